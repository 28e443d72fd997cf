/*
 * smtpd/smtpd_params.c — parameters of the SMTP server (smtpd(8)).
 *
 * Names and defaults are Postfix's where the meaning is the same; the
 * exceptions are marked.  The lead writes main.cf(5) from these comments.
 */
#include "smtpd.h"

char   *var_mail_name;
char   *var_smtpd_banner;
long	var_smtpd_timeout;
long	var_smtpd_hard_error_limit;
long	var_smtpd_junk_command_limit;
long	var_smtpd_recipient_limit;
long	var_smtpd_data_line_limit;
int	var_disable_vrfy_command;
long	var_smtpd_soft_error_limit;
long	var_smtpd_error_sleep_time;
long	var_smtpd_greet_wait;
int	var_smtpd_per_record_deadline;
char   *var_smtpd_upstream_proxy_protocol;
long	var_smtpd_upstream_proxy_timeout;
char   *var_smtpd_discard_ehlo_keywords;
/* cleanup's parameters too (cleanup_params.c): same names and defaults;
 * the variables differ because `tegami` links both tables. */
/* Also qmgr's and local's (virtual mailboxes): same names and defaults. */

const struct conf_param smtpd_params[] = {
	/* Name of the mail system in the Received: header and the greeting. */
	{"mail_name", CONF_STR, "tegami", NULL, &var_mail_name, 0, 0, 0},
	/* Text after "220 " in the greeting. */
	{"smtpd_banner", CONF_STR, "$myhostname ESMTP $mail_name", NULL,
	    &var_smtpd_banner, 0, 0, 0},
	/* Time to wait for a client's command or data, or to send a reply. */
	{"smtpd_timeout", CONF_TIME, "300s", NULL, &var_smtpd_timeout, 1, 86400, 's'},
	/* Error replies in one session before it is closed with 421. */
	{"smtpd_hard_error_limit", CONF_INT, "20", NULL,
	    &var_smtpd_hard_error_limit, 1, 100000, 0},
	/* Recipients accepted per message; more get 452 4.5.3. */
	/* NOOP, RSET, VRFY and HELP commands per session before each further
	 * one counts as an error (towards smtpd_hard_error_limit). */
	{"smtpd_junk_command_limit", CONF_INT, "100", NULL,
	    &var_smtpd_junk_command_limit, 0, 100000000, 0},
	{"smtpd_recipient_limit", CONF_INT, "1000", NULL,
	    &var_smtpd_recipient_limit, 1, 10000000, 0},
	/* Longest DATA line in bytes including CRLF (RFC 5321: 1000); longer
	 * lines refuse the message (554 5.6.0); 0 = no limit.  Not in Postfix. */
	{"smtpd_data_line_limit", CONF_INT, "1000", NULL,
	    &var_smtpd_data_line_limit, 0, 1000000000, 0},
	/* Answer VRFY with 502. Postfix's default is "no"; tegami's is "yes"
	 * (no address harvesting). */
	{"disable_vrfy_command", CONF_BOOL, "yes", NULL,
	    &var_disable_vrfy_command, 0, 0, 0},
	/* Errors (without a delivered message) after which every error
	 * reply waits $smtpd_error_sleep_time. */
	{"smtpd_soft_error_limit", CONF_INT, "10", NULL,
	    &var_smtpd_soft_error_limit, 0, 100000, 0},
	{"smtpd_error_sleep_time", CONF_TIME, "1s", NULL,
	    &var_smtpd_error_sleep_time, 0, 3600, 's'},
	/* Time before the greeting during which a client that talks is
	 * disconnected (postscreen's PREGREET test, inside smtpd).  Not in
	 * Postfix's smtpd; clients in $mynetworks are greeted at once. */
	{"smtpd_greet_wait", CONF_TIME, "1s", NULL, &var_smtpd_greet_wait,
	    0, 60, 's'},
	/* smtpd_timeout bounds a whole line, not each read.  Postfix's
	 * default is "no" (yes only under stress); tegami's is "yes". */
	{"smtpd_per_record_deadline", CONF_BOOL, "yes", NULL,
	    &var_smtpd_per_record_deadline, 0, 0, 0},
	/* "haproxy": every connection starts with a PROXY v1/v2 header from a
	 * load balancer, which names the real client; "" = none. */
	{"smtpd_upstream_proxy_protocol", CONF_STR, "", NULL,
	    &var_smtpd_upstream_proxy_protocol, 0, 0, 0},
	{"smtpd_upstream_proxy_timeout", CONF_TIME, "5s", NULL,
	    &var_smtpd_upstream_proxy_timeout, 1, 3600, 's'},
	/* EHLO keywords (pipelining, size, vrfy, starttls, 8bitmime, dsn,
	 * smtputf8, chunking, ...) not announced; using the extension is then
	 * refused.  "silent-discard": do not log the discarding. */
	{"smtpd_discard_ehlo_keywords", CONF_STR, "", NULL,
	    &var_smtpd_discard_ehlo_keywords, 0, 0, 0},
	CONF_TABLE_END
};
