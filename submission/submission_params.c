/*
 * submission/submission_params.c — the SASL parameters of the submission
 * server (submission(8)); every other parameter is smtpd's.
 *
 * Names and defaults are Postfix's.  The submission program turns AUTH on
 * with a built-in override (main.c), so the defaults here are those of a
 * plain smtpd, as in Postfix.
 */
#include "submission.h"

int	var_smtpd_sasl_auth_enable;
char   *var_smtpd_sasl_security_options;
char   *var_smtpd_sasl_tls_security_options;
int	var_broken_sasl_auth_clients;
int	var_smtpd_sasl_authenticated_header;

const struct conf_param submission_params[] = {
	/* Offer SMTP AUTH (RFC 4954); the credentials are checked by the
	 * auth service on private/auth (auth(8)). */
	{"smtpd_sasl_auth_enable", CONF_BOOL, "no", NULL,
	    &var_smtpd_sasl_auth_enable, 0, 0, 0},
	/* Mechanisms refused in sessions without TLS: noplaintext (PLAIN,
	 * LOGIN), noanonymous; nodictionary, noactive, mutual_auth and
	 * forward_secrecy are accepted and have no effect. */
	{"smtpd_sasl_security_options", CONF_STR, "noanonymous", NULL,
	    &var_smtpd_sasl_security_options, 0, 0, 0},
	/* The same for sessions with TLS. */
	{"smtpd_sasl_tls_security_options", CONF_STR,
	    "$smtpd_sasl_security_options", NULL,
	    &var_smtpd_sasl_tls_security_options, 0, 0, 0},
	/* Also announce "AUTH=PLAIN LOGIN" (the pre-RFC form of Outlook
	 * Express 4 and Microsoft Exchange 5.0). */
	{"broken_sasl_auth_clients", CONF_BOOL, "no", NULL,
	    &var_broken_sasl_auth_clients, 0, 0, 0},
	/* Name the login in Received: "(Authenticated sender: alice)". */
	{"smtpd_sasl_authenticated_header", CONF_BOOL, "no", NULL,
	    &var_smtpd_sasl_authenticated_header, 0, 0, 0},
	CONF_TABLE_END
};
