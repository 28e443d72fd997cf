/*
 * lib/smtp_server_tls.c — STARTTLS for the SMTP server engine (stub).
 *
 * Placeholder until TLS lands: STARTTLS is not offered and answered 502.
 */
#include "smtp_server_int.h"

int
smtp_tls_offer(const struct smtp_session *s)
{
	return (0);
}

int
smtp_cmd_starttls(struct smtp_session *s, struct smtp_cmd *c)
{
	smtp_reply(s, 502, "5.5.1", "Error: command not implemented");
	return (SMTP_CMD_REFUSED);
}
