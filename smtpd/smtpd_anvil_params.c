/*
 * smtpd/smtpd_anvil_params.c — smtpd's client limits enforced with anvil(8)
 * (smtpd_anvil.c).  Names and defaults are Postfix's; a limit of 0 means
 * no limit.  The main.cf(5) entries are written from these comments.
 */
#include "smtpd_anvil.h"

long	var_smtpd_client_connection_count_limit;
long	var_smtpd_client_connection_rate_limit;
long	var_smtpd_client_message_rate_limit;
long	var_smtpd_client_recipient_rate_limit;
char   *var_smtpd_client_event_limit_exceptions;

const struct conf_param smtpd_anvil_params[] = {
	/* Simultaneous connections one client (address) may have to this
	 * service; one more gets "421 4.7.0 ... too many connections".
	 * Postfix's default is $default_process_limit / 2. */
	{"smtpd_client_connection_count_limit", CONF_INT, "50", NULL,
	    &var_smtpd_client_connection_count_limit, 0, 100000000, 0},
	/* Connections one client may make per $anvil_rate_time_unit. */
	{"smtpd_client_connection_rate_limit", CONF_INT, "0", NULL,
	    &var_smtpd_client_connection_rate_limit, 0, 100000000, 0},
	/* MAIL FROM commands one client may send per $anvil_rate_time_unit;
	 * more get "450 4.7.1 Error: too much mail from ADDR". */
	{"smtpd_client_message_rate_limit", CONF_INT, "0", NULL,
	    &var_smtpd_client_message_rate_limit, 0, 100000000, 0},
	/* RCPT TO commands one client may send per $anvil_rate_time_unit;
	 * more get "450 4.7.1 Error: too many recipients from ADDR". */
	{"smtpd_client_recipient_rate_limit", CONF_INT, "0", NULL,
	    &var_smtpd_client_recipient_rate_limit, 0, 100000000, 0},
	/* Clients (networks, as in $mynetworks) that no limit above applies
	 * to; they are not even counted. */
	{"smtpd_client_event_limit_exceptions", CONF_STR, "$mynetworks", NULL,
	    &var_smtpd_client_event_limit_exceptions, 0, 0, 0},
	CONF_TABLE_END
};
