/*
 * auth/auth_mech.c — PLAIN (RFC 4616) and LOGIN, server side, for the
 * password-file backend of auth(8); and the decoding both backends use to
 * learn the user name early (for the failed-login limit).
 *
 * Input is the client's decoded response, untrusted: empty or over-long
 * responses, a user name with NUL, CR or LF, a PLAIN response without its
 * two NULs and an authorization identity that differs from the login (unless
 * smtpd_sasl_proxy_authorization) are failures.  No I/O, nothing fatal;
 * secrets are wiped after use.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"

enum mech_kind { MECH_PLAIN, MECH_LOGIN };

struct auth_mech_conv {
	enum mech_kind kind;
	int	step;			/* LOGIN: 0 want user, 1 want password */
	struct strbuf login;		/* LOGIN: the user name */
};

int
auth_name_ok(const void *p, size_t len)
{
	const char *s = p;
	size_t i;

	if (len == 0 || len > AUTH_NAME_MAX)
		return (0);
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
			return (0);
	return (1);
}

int
auth_plain_decode(const void *resp, size_t len, struct strbuf *authzid,
    struct strbuf *authcid, struct strbuf *passwd, const char **why)
{
	const char *s = resp, *n1, *n2;
	size_t zl, cl, pl;

	strbuf_reset(authzid);
	strbuf_reset(authcid);
	strbuf_reset(passwd);
	if (len == 0 || len > AUTH_RESP_MAX) {
		*why = len == 0 ? "empty response" : "response too long";
		return (-1);
	}
	if ((n1 = memchr(s, '\0', len)) == NULL ||
	    (n2 = memchr(n1 + 1, '\0', len - (size_t)(n1 + 1 - s))) == NULL) {
		*why = "malformed PLAIN response";
		return (-1);
	}
	zl = (size_t)(n1 - s);
	cl = (size_t)(n2 - n1 - 1);
	pl = len - (size_t)(n2 + 1 - s);
	if (memchr(n2 + 1, '\0', pl) != NULL) {
		*why = "malformed PLAIN response";
		return (-1);
	}
	if (!auth_name_ok(n1 + 1, cl) || (zl > 0 && !auth_name_ok(s, zl))) {
		*why = "bad user name";
		return (-1);
	}
	if (pl == 0 || pl > AUTH_PASS_MAX) {
		*why = pl == 0 ? "empty password" : "password too long";
		return (-1);
	}
	if (strbuf_append(authzid, s, zl) < 0 ||
	    strbuf_append(authcid, n1 + 1, cl) < 0 ||
	    strbuf_append(passwd, n2 + 1, pl) < 0) {
		*why = "response too long";
		return (-1);
	}
	return (0);
}

int
auth_mech_peek_user(const char *mech, int step, const void *resp,
    size_t len, struct strbuf *user)
{
	struct strbuf z, p;
	const char *why;
	int r = 0;

	strbuf_reset(user);
	if (strcasecmp(mech, "PLAIN") == 0) {
		strbuf_init(&z, AUTH_NAME_MAX);
		strbuf_init(&p, AUTH_PASS_MAX);
		r = auth_plain_decode(resp, len, &z, user, &p, &why) == 0;
		explicit_bzero(p.data, p.len);
		strbuf_release(&z);
		strbuf_release(&p);
		if (!r)
			strbuf_reset(user);
	} else if (strcasecmp(mech, "LOGIN") == 0 && step == 0 &&
	    auth_name_ok(resp, len)) {
		r = strbuf_append(user, resp, len) == 0;
	}
	return (r);
}

struct auth_mech_conv *
auth_mech_start(const char *mech)
{
	struct auth_mech_conv *c;
	enum mech_kind k;

	if (strcasecmp(mech, "PLAIN") == 0)
		k = MECH_PLAIN;
	else if (strcasecmp(mech, "LOGIN") == 0)
		k = MECH_LOGIN;
	else
		return (NULL);
	c = xcalloc(1, sizeof(*c));
	c->kind = k;
	strbuf_init(&c->login, AUTH_NAME_MAX);
	return (c);
}

void
auth_mech_free(struct auth_mech_conv *c)
{
	if (c == NULL)
		return;
	strbuf_release(&c->login);
	free(c);
}

/* Verify and set the result. */
static enum auth_result
mech_verify(const char *login, const char *pass, const char *as,
    int (*verify)(const char *, const char *), struct strbuf *user,
    struct strbuf *reason)
{
	switch (verify(login, pass)) {
	case 0:
		strbuf_set_str(user, as);
		return (AUTH_R_OK);
	case -2:
		strbuf_set_str(reason, AUTH_REASON_TEMP);
		return (AUTH_R_TEMPFAIL);
	default:
		strbuf_set_str(user, login);	/* for the log and the limit */
		strbuf_set_str(reason, AUTH_REASON_FAIL);
		return (AUTH_R_FAIL);
	}
}

static enum auth_result
mech_plain(int have_resp, const void *resp, size_t len,
    int (*verify)(const char *, const char *), struct strbuf *user,
    struct strbuf *reason)
{
	struct strbuf z, c, p;
	const char *why;
	enum auth_result r;

	(void)have_resp;
	strbuf_init(&z, AUTH_NAME_MAX);
	strbuf_init(&c, AUTH_NAME_MAX);
	strbuf_init(&p, AUTH_PASS_MAX);
	if (auth_plain_decode(resp, len, &z, &c, &p, &why) < 0) {
		strbuf_set_printf(reason, "%s (%s)", AUTH_REASON_FAIL, why);
		r = AUTH_R_FAIL;
	} else if (z.len > 0 && strcmp(z.data, c.data) != 0 &&
	    !var_sasl_proxy_auth) {
		/* RFC 4616 §2: the server decides whether authcid may act
		 * as authzid; by default nobody may. */
		strbuf_set_str(user, c.data);
		strbuf_set_printf(reason, "%s (authorization identity "
		    "differs from the login)", AUTH_REASON_FAIL);
		r = AUTH_R_FAIL;
	} else
		r = mech_verify(c.data, p.data, z.len > 0 ? z.data : c.data,
		    verify, user, reason);
	explicit_bzero(p.data, p.len);
	strbuf_release(&z);
	strbuf_release(&c);
	strbuf_release(&p);
	return (r);
}

enum auth_result
auth_mech_step(struct auth_mech_conv *c, int have_resp, const void *resp,
    size_t len, int (*verify)(const char *user, const char *pass),
    struct strbuf *challenge, struct strbuf *user, struct strbuf *reason)
{
	struct strbuf p;
	enum auth_result r;

	strbuf_reset(challenge);
	if (!have_resp) {
		/* PLAIN: an empty challenge (RFC 4954 "334 "); LOGIN: ask
		 * for the user name as every LOGIN server does. */
		if (c->kind == MECH_LOGIN && c->step == 0)
			strbuf_set_str(challenge, "Username:");
		return (AUTH_R_CONTINUE);
	}
	if (len == 0 || len > AUTH_RESP_MAX) {
		strbuf_set_printf(reason, "%s (%s)", AUTH_REASON_FAIL,
		    len == 0 ? "empty response" : "response too long");
		return (AUTH_R_FAIL);
	}
	if (c->kind == MECH_PLAIN)
		return (mech_plain(have_resp, resp, len, verify, user, reason));
	if (c->step == 0) {
		if (!auth_name_ok(resp, len)) {
			strbuf_set_printf(reason, "%s (bad user name)",
			    AUTH_REASON_FAIL);
			return (AUTH_R_FAIL);
		}
		strbuf_reset(&c->login);
		strbuf_append(&c->login, resp, len);
		c->step = 1;
		strbuf_set_str(challenge, "Password:");
		return (AUTH_R_CONTINUE);
	}
	if (len > AUTH_PASS_MAX || memchr(resp, '\0', len) != NULL) {
		strbuf_set_str(user, c->login.data);
		strbuf_set_printf(reason, "%s (bad password)", AUTH_REASON_FAIL);
		return (AUTH_R_FAIL);
	}
	strbuf_init(&p, AUTH_PASS_MAX);
	strbuf_append(&p, resp, len);
	r = mech_verify(c->login.data, p.data, c->login.data, verify, user,
	    reason);
	explicit_bzero(p.data, p.len);
	strbuf_release(&p);
	return (r);
}
