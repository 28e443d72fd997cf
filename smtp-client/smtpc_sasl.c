/*
 * smtp-client/smtpc_sasl.c — AUTH for the SMTP client (placeholder until
 * lib/sasl_client.c lands: no login is ever attempted).
 */
#include "smtpc_sess.h"

void
smtpc_sasl_init(void)
{
}

int
smtpc_sasl_sender_dependent(void)
{
	return 0;
}

int
smtpc_sasl_after_hello(struct smtpc_sess *s)
{
	(void)s;
	return 0;
}

void
smtpc_sasl_reply(struct smtpc_sess *s)
{
	smtpc_sess_site_fail(s, "unexpected AUTH reply");
}

void
smtpc_sasl_session_free(struct smtpc_sess *s)
{
	(void)s;
}
