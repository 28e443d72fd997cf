/*
 * smtp-client/smtpc_tls.c — STARTTLS for the SMTP client (placeholder:
 * TLS is never started until lib/tls_client.c lands).
 */
#include <stdlib.h>

#include "smtpc_sess.h"

struct tls_policy {
	int	level;
};

long	var_smtp_tls_loglevel;

void
smtpc_tls_init(void)
{
}

int
smtpc_tls_policy_lookup(const char *nexthop, const char *domain,
    struct tls_policy **out, struct strbuf *why)
{
	(void)nexthop;
	(void)domain;
	(void)why;
	*out = NULL;
	return 0;
}

void
smtpc_tls_policy_free(struct tls_policy *p)
{
	free(p);
}

void
smtpc_tls_session_init(struct smtpc_sess *s, const struct smtpc_msg *msg)
{
	(void)s;
	(void)msg;
}

int
smtpc_tls_after_hello(struct smtpc_sess *s)
{
	(void)s;
	return 0;
}

void
smtpc_tls_reply(struct smtpc_sess *s)
{
	smtpc_sess_site_fail(s, "unexpected STARTTLS reply");
}

void
smtpc_sess_tls_done(struct smtpc_sess *s, int ok, const char *err)
{
	(void)ok;
	(void)err;
	smtpc_sess_site_fail(s, "TLS not available");
}
