/*
 * auth/auth_params.c — parameters of the auth(8) service.
 *
 * smtpd_sasl_type and smtpd_sasl_path are Postfix's names (the meaning is
 * the same: which SASL backend, and where Dovecot's socket is); the rest
 * are tegami's.  The main.cf(5) entries are written from these comments.
 */
#include "auth.h"

char   *var_sasl_type;
char   *var_sasl_path;
char   *var_sasl_password_file;
int	var_sasl_proxy_auth;
long	var_auth_failure_limit;
long	var_auth_failure_window;
long	var_auth_failure_delay_max;
long	var_auth_table_limit;
long	var_auth_dovecot_timeout;
long	var_auth_exchange_timeout;

const struct conf_param auth_params[] = {
	/* "tegami": the password file $smtpd_sasl_password_file; "dovecot":
	 * Dovecot's auth socket $smtpd_sasl_path. */
	{"smtpd_sasl_type", CONF_STR, "tegami", NULL, &var_sasl_type, 0, 0, 0},
	/* Dovecot's auth client socket (type dovecot).  A relative path is
	 * taken relative to $queue_directory, as in Postfix. */
	{"smtpd_sasl_path", CONF_STR, "/run/dovecot/auth-client", NULL,
	    &var_sasl_path, 0, 0, 0},
	/* "user:hash" lines with crypt(3) hashes (yescrypt, sha512-crypt,
	 * bcrypt); read by auth as root at start, see auth(8). */
	{"smtpd_sasl_password_file", CONF_STR, "$config_directory/passwd", NULL,
	    &var_sasl_password_file, 0, 0, 0},
	/* Allow a PLAIN authorization identity that differs from the login
	 * (the login then acts as that user).  Default: refused. */
	{"smtpd_sasl_proxy_authorization", CONF_BOOL, "no", NULL,
	    &var_sasl_proxy_auth, 0, 0, 0},
	/* Failed logins per client address, and per user, within
	 * $auth_failure_window after which auth answers 454 4.7.0 without
	 * checking the password. */
	{"auth_failure_limit", CONF_INT, "10", NULL, &var_auth_failure_limit,
	    1, 1000000, 0},
	{"auth_failure_window", CONF_TIME, "15m", NULL, &var_auth_failure_window,
	    1, 86400 * 7, 's'},
	/* The delay (seconds) the submission side waits before answering a
	 * failed login doubles from 1 with every failure up to this. */
	{"auth_failure_delay_max", CONF_TIME, "16s", NULL,
	    &var_auth_failure_delay_max, 0, 3600, 's'},
	/* Most client addresses and users the failure table remembers. */
	{"auth_table_limit", CONF_INT, "100000", NULL, &var_auth_table_limit,
	    100, 100000000, 0},
	/* How long auth waits for Dovecot (connect, each answer). */
	{"auth_dovecot_timeout", CONF_TIME, "5s", NULL,
	    &var_auth_dovecot_timeout, 1, 600, 's'},
	/* How long one exchange may wait for the submission side's next
	 * request. */
	{"auth_exchange_timeout", CONF_TIME, "300s", NULL,
	    &var_auth_exchange_timeout, 1, 3600, 's'},
	CONF_TABLE_END
};
