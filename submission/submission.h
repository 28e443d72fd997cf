/*
 * submission/submission.h — the MSA on ports 587 and 465 (submission(8)).
 *
 * submission is smtpd's engine and smtpd's policy (smtpd/smtpd_policy.c,
 * the restriction language of smtpd_check*.c) with AUTH turned on, the
 * SASL parameters of submission_params.c, and the built-in overrides of
 * submission_defaults[] (main.c) that Postfix puts in master.cf as
 * "submission ... smtpd -o ...".
 */
#ifndef TEGAMI_SUBMISSION_H
#define TEGAMI_SUBMISSION_H

#include "conf.h"
#include "smtp_server.h"

extern int var_smtpd_sasl_auth_enable;
extern char *var_smtpd_sasl_security_options;
extern char *var_smtpd_sasl_tls_security_options;
extern int var_broken_sasl_auth_clients;
extern int var_smtpd_sasl_authenticated_header;
extern const struct conf_param submission_params[];

/* The policy: smtpd's hooks, named "submission", AUTH allowed. */
extern struct smtp_policy submission_policy;

/* smtpd_sasl_security_options to SMTP_SASL_* bits; -1 for an unknown
 * word (named in err). */
int	submission_sasl_options(const char *value, unsigned *flags,
	    struct strbuf *err);
/* post_jail: smtpd's policy set-up, then the SASL part of the engine's
 * configuration and the mechanism list from private/auth. */
void	submission_policy_init(void);
void	submission_accept(int fd);

#endif
