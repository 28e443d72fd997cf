/*
 * lib/smtp_server_bdat.c — BDAT for the SMTP server engine (stub).
 *
 * Placeholder until CHUNKING lands: BDAT is not offered and answered 502.
 */
#include "smtp_server_int.h"

int
smtp_bdat_offer(const struct smtp_session *s)
{
	return (0);
}

int
smtp_cmd_bdat(struct smtp_session *s, struct smtp_cmd *c)
{
	smtp_reply(s, 502, "5.5.1", "Error: command not implemented");
	return (SMTP_CMD_REFUSED);
}
