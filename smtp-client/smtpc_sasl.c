/*
 * smtp-client/smtpc_sasl.c — AUTH for the SMTP client (a smarthost
 * login): smtp_sasl_auth_enable, the password from
 * smtp_sasl_password_maps (smtpc_auth.c), the mechanism and its steps
 * from lib/sasl_client.c.
 *
 * Which mechanisms are allowed depends on the session: over plaintext
 * smtp_sasl_security_options (Postfix's default "noplaintext,
 * noanonymous" leaves only SCRAM, so a password never crosses the wire
 * in clear unless the configuration says so), over TLS
 * smtp_sasl_tls_security_options.  A failed login, a table error or no
 * usable mechanism ends the session: the mail is deferred (Postfix's
 * smtp_sasl_auth_soft_bounce), never sent unauthenticated to a server
 * that wants a login.  Passwords are never logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bsd/string.h>

#include "log.h"
#include "sasl_client.h"
#include "smtpc_auth.h"
#include "smtpc_sess.h"

void
smtpc_sasl_init(void)
{
	struct strbuf err;

	if (!var_smtp_sasl_auth_enable)
		return;
	strbuf_init(&err, 1024);
	if (smtpc_auth_init(var_smtp_sasl_password_maps, &err) < 0)
		log_fatal("smtp_sasl_password_maps: %s", err.data);
	strbuf_release(&err);
}

int
smtpc_sasl_sender_dependent(void)
{
	return var_smtp_sasl_auth_enable && var_smtp_sender_dependent_auth &&
	    !smtpc_lmtp;
}

static void
wipe_free(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

/* After EHLO (and TLS): log in when we have a password for this server
 * and it offers AUTH. */
int
smtpc_sasl_after_hello(struct smtpc_sess *s)
{
	struct strbuf err, ir;
	char *user = NULL, *pass = NULL, buf[1200];
	int rc, has_ir = 0;

	if (!var_smtp_sasl_auth_enable || s->sasl_done || s->feat.auth.len == 0)
		return 0;
	strbuf_init(&err, 1024);
	rc = smtpc_auth_lookup(var_smtp_sasl_password_maps,
	    smtpc_sasl_sender_dependent(), s->msg->sender, s->msg->nexthop,
	    s->tg.host, &user, &pass, &err);
	if (rc <= 0) {
		strbuf_release(&err);
		if (rc == 0)
			return 0;	/* no login for this server */
		snprintf(buf, sizeof(buf), "SASL password lookup for %s: %s",
		    s->msg->nexthop, err.data);
		smtpc_sess_site_fail(s, buf);
		return 1;
	}
	s->sasl = sasl_client_new(s->feat.auth.data, var_smtp_sasl_mech_filter,
	    s->tls_active ? var_smtp_sasl_tls_security_options :
	    var_smtp_sasl_security_options, user, pass, &err);
	wipe_free(pass);
	if (s->sasl == NULL) {
		snprintf(buf, sizeof(buf), "SASL authentication failed: cannot "
		    "authenticate to server %s: %s", s->hostaddr, err.data);
		free(user);
		strbuf_release(&err);
		smtpc_sess_site_fail(s, buf);
		return 1;
	}
	strlcpy(s->sasl_user, user, sizeof(s->sasl_user));
	free(user);
	strbuf_init(&ir, 4096);
	if (sasl_client_start(s->sasl, &ir, &has_ir, &err) < 0) {
		snprintf(buf, sizeof(buf), "SASL authentication failed: %s",
		    err.data);
		strbuf_release(&ir);
		strbuf_release(&err);
		smtpc_sess_site_fail(s, buf);
		return 1;
	}
	if (!has_ir)
		smtpc_conn_printf(s, "AUTH %s\r\n", sasl_client_mech(s->sasl));
	else
		smtpc_conn_printf(s, "AUTH %s %s\r\n", sasl_client_mech(s->sasl),
		    ir.len ? ir.data : "=");
	explicit_bzero(ir.data, ir.len);
	strbuf_release(&ir);
	strbuf_release(&err);
	s->state = ST_AUTH;
	smtpc_conn_deadline(s, var_smtp_helo_timeout,
	    "receiving the AUTH reply");
	return 1;
}

void
smtpc_sasl_reply(struct smtpc_sess *s)
{
	const struct smtpc_reply *r = &s->rd.reply;
	struct strbuf err, resp;
	char buf[1500];

	strbuf_init(&err, 1024);
	if (r->code == 334) {
		const char *ch = r->text.len > 4 ? r->text.data + 4 : "";

		strbuf_init(&resp, 4096);
		if (sasl_client_step(s->sasl, ch, &resp, &err) < 0) {
			snprintf(buf, sizeof(buf), "SASL authentication failed with "
			    "server %s: %s", s->hostaddr, err.data);
			strbuf_release(&resp);
			strbuf_release(&err);
			smtpc_sess_site_fail(s, buf);
			return;
		}
		smtpc_conn_printf(s, "%s\r\n", resp.len ? resp.data : "");
		explicit_bzero(resp.data, resp.len);
		strbuf_release(&resp);
		strbuf_release(&err);
		smtpc_conn_deadline(s, var_smtp_helo_timeout,
		    "receiving the AUTH reply");
		return;
	}
	if (r->code == 235) {
		if (sasl_client_final(s->sasl, NULL, &err) < 0) {
			snprintf(buf, sizeof(buf), "SASL authentication failed with "
			    "server %s: %s", s->hostaddr, err.data);
			strbuf_release(&err);
			smtpc_sess_site_fail(s, buf);
			return;
		}
		log_info("%s: SASL %s login to %s as %s", s->msg->id,
		    sasl_client_mech(s->sasl), s->peer, s->sasl_user);
		s->sasl_done = 1;
		sasl_client_free(s->sasl);
		s->sasl = NULL;
		strbuf_release(&err);
		smtpc_sess_ready(s);
		return;
	}
	snprintf(buf, sizeof(buf), "SASL authentication failed; server %s said: "
	    "%s", s->hostaddr, r->text.data);
	strbuf_release(&err);
	smtpc_sess_site_fail(s, buf);
}

void
smtpc_sasl_session_free(struct smtpc_sess *s)
{
	sasl_client_free(s->sasl);
	s->sasl = NULL;
}
