/*
 * smtpd/smtpd.h — the port-25 daemon's parameters and policy.
 *
 * smtpd is the shared SMTP engine (lib/smtp_server.h) with the MX policy of
 * smtpd_policy.c: relay control by $mydestination and $mynetworks, local
 * recipient validation.  Parameters are in smtpd_params.c.
 */
#ifndef TEGAMI_SMTPD_H
#define TEGAMI_SMTPD_H

#include "conf.h"
#include "smtp_server.h"

extern char *var_mail_name;
extern char *var_smtpd_banner;
extern long var_smtpd_timeout;
extern long var_smtpd_hard_error_limit;
extern long var_smtpd_junk_command_limit;
extern long var_smtpd_recipient_limit;
extern long var_smtpd_data_line_limit;
extern int var_disable_vrfy_command;
extern long var_smtpd_soft_error_limit;
extern long var_smtpd_error_sleep_time;
extern long var_smtpd_greet_wait;
extern char *var_smtpd_upstream_proxy_protocol;
extern long var_smtpd_upstream_proxy_timeout;
extern char *var_smtpd_discard_ehlo_keywords;


extern const struct conf_param smtpd_params[];
extern const struct smtp_policy smtpd_policy;

/* After the configuration is loaded and privileges dropped: fill the
 * engine's configuration, parse $mynetworks (fatal when malformed). */
void	smtpd_policy_init(void);
/* Accept callback for event_server_main. */
void	smtpd_accept(int fd);

/* The relay and recipient decision for one RCPT address (for tests):
 * SMTP_POLICY_ACCEPT or SMTP_POLICY_REJECT with the reply in `reply`. */
int	smtpd_check_rcpt_addr(const char *rcpt, int relay_ok,
	    struct strbuf *reply);

/* Virtual mailbox domains (smtpd_vmailbox.c): -1 when the domain is not
 * one; else SMTP_POLICY_ACCEPT, or SMTP_POLICY_REJECT with reply (550 for
 * an address not in virtual_mailbox_maps, 451 for a table in trouble). */
int	smtpd_vmailbox_check(const char *rcpt, const char *domain,
	    struct strbuf *reply);

#endif
