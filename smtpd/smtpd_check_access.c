/*
 * smtpd/smtpd_check_access.c — check_{client,reverse_client_hostname,helo,
 * sender,recipient}_access: Postfix's access(5) tables.
 *
 * Search order as Postfix's smtpd: a client by its name and the parent
 * domains, then by its address and the address with its last octets
 * removed; an e-mail address as user+ext@domain, user@domain, the domain
 * and its parents, user+ext@, user@ (the null sender by
 * $smtpd_null_access_lookup_key).  Parent domains are "example.com" when
 * parent_domain_matches_subdomains names smtpd_access_maps, else
 * ".example.com".  pcre:, regexp: and cidr: tables see whole keys only.
 * The first key found decides, even DUNNO.  Table values are
 * administrator data, but a value that does not parse only costs a 451
 * and a warning, never the process.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mail_params.h"
#include "smtp_server.h"
#include "smtpd.h"
#include "smtpd_check_int.h"

/* An enhanced status code at the start of text ("5.7.1 "): its length. */
static size_t
dsn_prefix(const char *text)
{
	const char *p = text;
	size_t	n;

	if ((*p != '2' && *p != '4' && *p != '5') || p[1] != '.')
		return (0);
	p += 2;
	for (n = 0; isdigit((unsigned char)*p) && n < 4; p++)
		n++;
	if (n == 0 || n > 3 || *p++ != '.')
		return (0);
	for (n = 0; isdigit((unsigned char)*p) && n < 4; p++)
		n++;
	if (n == 0 || n > 3 || (*p != '\0' && *p != ' ' && *p != '\t'))
		return (0);
	return ((size_t)(p - text));
}

static int
word_is(const char *cmd, size_t len, const char *name)
{
	return (strlen(name) == len && strncasecmp(cmd, name, len) == 0);
}

/* Apply the value an access table gave for a key. */
static int
table_result(struct smtpd_eval *ev, const char *table, const char *value,
    const struct smtpd_ctx *ctx)
{
	struct strbuf t;
	const char *cmd = value, *text;
	char	dsn[16];
	size_t	len, dl, i;
	int	code, st;

	while (isspace((unsigned char)*cmd))
		cmd++;
	len = strcspn(cmd, " \t");
	for (text = cmd + len; isspace((unsigned char)*text); text++)
		;
	if (word_is(cmd, len, "OK"))
		return (C_OK);
	for (i = 0; i < len && isdigit((unsigned char)cmd[i]); i++)
		;
	/* An all-numeric value means OK (Postfix); so does "2NN text". */
	if (len > 0 && i == len && (*text == '\0' || (len == 3 && *cmd == '2')))
		return (C_OK);
	if (word_is(cmd, len, "DUNNO"))
		return (C_DUNNO);
	if (len == 3 && i == 3 && (*cmd == '4' || *cmd == '5')) {
		code = (cmd[0] - '0') * 100 + (cmd[1] - '0') * 10 + cmd[2] - '0';
		if ((dl = dsn_prefix(text)) > 0) {
			snprintf(dsn, sizeof(dsn), "%.*s", (int)dl, text);
			for (text += dl; isspace((unsigned char)*text); text++)
				;
		} else
			snprintf(dsn, sizeof(dsn), "%c.7.1", *cmd);
		return (smtpd_ev_reject(ev, code, dsn, "%s", *text ? text :
		    "Access denied"));
	}
	if (word_is(cmd, len, "REJECT") || word_is(cmd, len, "DEFER") ||
	    word_is(cmd, len, "DEFER_IF_PERMIT")) {
		code = word_is(cmd, len, "REJECT") ? (int)var_access_map_reject_code :
		    (int)var_access_map_defer_code;
		snprintf(dsn, sizeof(dsn), "%c.7.1", code >= 500 ? '5' : '4');
		if ((dl = dsn_prefix(text)) > 0) {
			snprintf(dsn, sizeof(dsn), "%.*s", (int)dl, text);
			for (text += dl; isspace((unsigned char)*text); text++)
				;
		}
		if (*text == '\0')
			text = "Access denied";
		if (word_is(cmd, len, "DEFER_IF_PERMIT"))
			return (smtpd_ev_defer_if_permit(ev, code, dsn, "<%s>: %s "
			    "rejected: %s", ctx->name, ctx->cls, text));
		return (smtpd_ev_reject(ev, code, dsn, "<%s>: %s rejected: %s",
		    ctx->name, ctx->cls, text));
	}
	if (word_is(cmd, len, "DEFER_IF_REJECT")) {
		ev->defer_if_reject = 1;
		return (C_DUNNO);
	}
	if (word_is(cmd, len, "HOLD") || word_is(cmd, len, "DISCARD") ||
	    word_is(cmd, len, "WARN")) {
		strbuf_init(&t, 8192);
		(void)strbuf_printf(&t, "<%s>: %s %s", ctx->name, ctx->cls, *text ?
		    text : word_is(cmd, len, "HOLD") ? "triggers HOLD action" :
		    word_is(cmd, len, "DISCARD") ? "triggers DISCARD action" :
		    "triggers WARN action");
		if (word_is(cmd, len, "WARN")) {
			smtpd_ev_log(ev, "warn", t.data);
			st = C_DUNNO;
		} else if (word_is(cmd, len, "HOLD")) {
			smtpd_ev_log(ev, "hold", t.data);
			ev->tx_flags |= SMTP_TX_HOLD;
			st = C_DUNNO;
		} else {
			smtpd_ev_log(ev, "discard", t.data);
			ev->tx_flags |= SMTP_TX_DISCARD;
			st = C_OK;
		}
		strbuf_release(&t);
		return (st);
	}
	if (word_is(cmd, len, "PREPEND") || word_is(cmd, len, "FILTER") ||
	    word_is(cmd, len, "REDIRECT") || word_is(cmd, len, "BCC") ||
	    word_is(cmd, len, "INFO")) {
		log_warn("%s: action %.*s is not supported; ignored", table,
		    (int)len, cmd);
		return (C_DUNNO);
	}
	/* Anything else is a restriction list (or a class name). */
	return (smtpd_ev_text_list(ev, value, ctx));
}

/* Look up one key: -1 not found, else the C_* result. */
static int
lookup_key(struct smtpd_eval *ev, struct map *m, const char *key,
    const struct smtpd_ctx *ctx)
{
	struct strbuf value, why;
	enum map_result r;
	int	st = -1;

	if (*key == '\0')
		return (-1);
	strbuf_init(&value, 65536);
	strbuf_init(&why, 1024);
	r = map_lookup(m, key, &value, &why);
	if (r == MAP_RETRY) {
		log_warn("%s: table lookup problem for %s: %s", map_spec(m), key,
		    why.data);
		st = smtpd_ev_reject(ev, 451, "4.3.0", "<%s>: Temporary lookup "
		    "failure", ctx->name);
	} else if (r == MAP_FOUND)
		st = table_result(ev, map_spec(m), value.data, ctx);
	strbuf_release(&value);
	strbuf_release(&why);
	return (st);
}

/* A domain, then its parent domains. */
static int
domain_access(struct smtpd_eval *ev, const struct smtpd_restriction *r,
    const char *domain, const struct smtpd_ctx *ctx)
{
	const char *p;
	char   *key;
	int	st;

	if ((st = lookup_key(ev, r->table, domain, ctx)) >= 0 || r->pattern_table)
		return (st);
	for (p = strchr(domain + 1, '.'); p != NULL && p[1] != '\0';
	    p = strchr(p + 1, '.')) {
		if (smtpd_access_parent_style)
			key = xstrdup(p + 1);
		else
			key = xstrdup(p);
		st = lookup_key(ev, r->table, key, ctx);
		free(key);
		if (st >= 0)
			return (st);
	}
	return (-1);
}

/* An address, then the address without its last octets / groups. */
static int
addr_access(struct smtpd_eval *ev, const struct smtpd_restriction *r,
    const char *addr, const struct smtpd_ctx *ctx)
{
	char   *key = xstrdup(addr), *cut;
	char	sep = strchr(addr, ':') != NULL ? ':' : '.';
	int	st;

	for (;;) {
		if ((st = lookup_key(ev, r->table, key, ctx)) >= 0 ||
		    r->pattern_table)
			break;
		if ((cut = strrchr(key, sep)) == NULL)
			break;
		while (cut > key && cut[-1] == sep)
			cut--;
		*cut = '\0';
		if (*key == '\0')
			break;
	}
	free(key);
	return (st);
}

/* user+ext@domain, user@domain, domain..., user+ext@, user@ */
static int
mail_access(struct smtpd_eval *ev, const struct smtpd_restriction *r,
    const char *addr, const struct smtpd_ctx *ctx)
{
	const char *at = strrchr(addr, '@'), *dom = at ? at + 1 : "";
	const char *delim = var_recipient_delimiter;
	size_t	llen = at ? (size_t)(at - addr) : strlen(addr), base;
	struct strbuf key;
	int	st = -1, pass;

	if (*addr == '\0')
		return (lookup_key(ev, r->table, var_smtpd_null_key, ctx));
	if ((st = lookup_key(ev, r->table, addr, ctx)) >= 0 || r->pattern_table)
		return (st);
	base = llen;
	if (delim != NULL && *delim != '\0') {
		base = strcspn(addr, delim);
		if (base == 0 || base > llen)
			base = llen;
	}
	strbuf_init(&key, 2048);
	if (base < llen && at != NULL) {
		(void)strbuf_printf(&key, "%.*s@%s", (int)base, addr, dom);
		st = lookup_key(ev, r->table, key.data, ctx);
	}
	if (st < 0 && *dom != '\0')
		st = domain_access(ev, r, dom, ctx);
	for (pass = 0; st < 0 && pass < 2; pass++) {
		if (pass == 1 && base == llen)
			break;
		strbuf_set_printf(&key, "%.*s@", (int)(pass ? base : llen), addr);
		st = lookup_key(ev, r->table, key.data, ctx);
	}
	strbuf_release(&key);
	return (st);
}

int
smtpd_ev_access(struct smtpd_eval *ev, const struct smtpd_restriction *r,
    const struct smtpd_ctx *ctx)
{
	const struct smtpd_facts *f = ev->f;
	struct smtpd_ctx my;
	int	st = -1;

	switch (r->type) {
	case R_CHECK_CLIENT_ACCESS:
		my.name = ev->namaddr;
		my.cls = "Client host";
		if (f->client_name != NULL && strcmp(f->client_name, "unknown") != 0)
			st = domain_access(ev, r, f->client_name, &my);
		if (st < 0 && f->client_addr != NULL)
			st = addr_access(ev, r, f->client_addr, &my);
		break;
	case R_CHECK_REVERSE_CLIENT_ACCESS:
		my.name = ev->namaddr;
		my.cls = "Client host";
		if (f->reverse_name != NULL && strcmp(f->reverse_name, "unknown") != 0)
			st = domain_access(ev, r, f->reverse_name, &my);
		if (st < 0 && f->client_addr != NULL)
			st = addr_access(ev, r, f->client_addr, &my);
		break;
	case R_CHECK_HELO_ACCESS:
		if (f->helo == NULL || *f->helo == '\0')
			break;
		my.name = f->helo;
		my.cls = "Helo command";
		st = domain_access(ev, r, f->helo, &my);
		break;
	case R_CHECK_SENDER_ACCESS:
		if (f->sender == NULL)
			break;
		my.name = f->sender;
		my.cls = "Sender address";
		st = mail_access(ev, r, f->sender, &my);
		break;
	default:
		if (f->rcpt == NULL)
			break;
		my.name = f->rcpt;
		my.cls = "Recipient address";
		st = mail_access(ev, r, f->rcpt, &my);
		break;
	}
	(void)ctx;
	return (st < 0 ? C_DUNNO : st);
}
