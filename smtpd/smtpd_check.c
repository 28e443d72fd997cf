/*
 * smtpd/smtpd_check.c — evaluation of Postfix's restriction lists.
 *
 * smtpd_check_init() compiles every list and class once (a bad one is a
 * configuration error: -1 with the parameter named, fatal in the daemon),
 * and refuses a configuration whose relay and recipient lists could never
 * refuse a relay attempt.  smtpd_check_stage() runs the lists of one stage
 * on the facts of a session: the first permit ends a list (the next list
 * runs), a reject ends everything.  Facts come from the network and are
 * untrusted; they only ever become reply text after Postfix's "<x>: class
 * rejected:" prefix, never a format string.  Table failures answer 451
 * 4.3.0; nothing here is fatal after start-up.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "smtp_server.h"
#include "smtpd.h"
#include "smtpd_check_int.h"

enum { L_CLIENT, L_HELO, L_SENDER, L_RELAY, L_RCPT, L_DATA, L_EOD, L_COUNT };

static struct smtpd_rlist *check_lists[L_COUNT];
static char **check_class_names;
static struct smtpd_rlist **check_classes;
static size_t check_nclasses;
int	smtpd_access_parent_style;
struct maplist *smtpd_relay_clientcerts;

/* Lists given as access-table results, parsed once per text. */
#define TEXT_CACHE_MAX	64
static struct {
	char   *text;
	struct smtpd_rlist *l;
} text_cache[TEXT_CACHE_MAX];
static size_t text_cache_n;

static void
text_cache_clear(void)
{
	size_t	i;

	for (i = 0; i < text_cache_n; i++) {
		free(text_cache[i].text);
		smtpd_rlist_free(text_cache[i].l);
	}
	text_cache_n = 0;
}

void
smtpd_check_free(void)
{
	size_t	i;

	for (i = 0; i < L_COUNT; i++) {
		smtpd_rlist_free(check_lists[i]);
		check_lists[i] = NULL;
	}
	for (i = 0; i < check_nclasses; i++)
		smtpd_rlist_free(check_classes[i]);
	free(check_classes);
	check_classes = NULL;
	check_nclasses = 0;
	conf_free_list(check_class_names);
	check_class_names = NULL;
	maplist_close(smtpd_relay_clientcerts);
	smtpd_relay_clientcerts = NULL;
	smtpd_login_free();
	text_cache_clear();
}

/* Could the relay and recipient lists ever refuse anything? */
static int
check_has_decision(void)
{
	static const enum smtpd_restr decisive[] = { R_REJECT, R_DEFER,
	    R_DEFER_IF_PERMIT, R_REJECT_UNAUTH_DEST, R_DEFER_UNAUTH_DEST };
	size_t	i;

	for (i = 0; i < sizeof(decisive) / sizeof(decisive[0]); i++)
		if (smtpd_rlist_has(check_lists[L_RELAY], decisive[i]) ||
		    smtpd_rlist_has(check_lists[L_RCPT], decisive[i]))
			return (1);
	return (0);
}

int
smtpd_check_init(struct strbuf *err)
{
	static const struct {
		const char *param;
		char  **var;
	} params[L_COUNT] = {
		{ "smtpd_client_restrictions", &var_smtpd_client_restrictions },
		{ "smtpd_helo_restrictions", &var_smtpd_helo_restrictions },
		{ "smtpd_sender_restrictions", &var_smtpd_sender_restrictions },
		{ "smtpd_relay_restrictions", &var_smtpd_relay_restrictions },
		{ "smtpd_recipient_restrictions", &var_smtpd_recipient_restrictions },
		{ "smtpd_data_restrictions", &var_smtpd_data_restrictions },
		{ "smtpd_end_of_data_restrictions", &var_smtpd_eod_restrictions },
	};
	const char *v;
	size_t	i;

	smtpd_check_free();
	check_class_names = conf_split_list(var_smtpd_restriction_classes ?
	    var_smtpd_restriction_classes : "", &check_nclasses);
	check_classes = xcalloc(check_nclasses + 1, sizeof(*check_classes));
	for (i = 0; i < check_nclasses; i++) {
		v = conf_value(check_class_names[i]);
		if ((check_classes[i] = smtpd_rlist_parse(check_class_names[i], v,
		    check_class_names, err)) == NULL)
			return (-1);
	}
	for (i = 0; i < L_COUNT; i++)
		if ((check_lists[i] = smtpd_rlist_parse(params[i].param,
		    *params[i].var, check_class_names, err)) == NULL)
			return (-1);
	if (!check_has_decision()) {
		strbuf_set_printf(err, "parameters smtpd_relay_restrictions and "
		    "smtpd_recipient_restrictions: neither contains "
		    "reject_unauth_destination, defer_unauth_destination, reject, "
		    "defer or defer_if_permit: this would be an open relay");
		return (-1);
	}
	for (i = 0; i < 2; i++) {
		v = i == 0 ? var_unknown_address_tempfail_action :
		    var_unknown_helo_hostname_tempfail_action;
		if (v == NULL || (strcmp(v, "defer_if_permit") != 0 &&
		    strcmp(v, "defer") != 0)) {
			strbuf_set_printf(err, "parameter %s: expected defer or "
			    "defer_if_permit, got \"%.100s\"", i == 0 ?
			    "unknown_address_tempfail_action" :
			    "unknown_helo_hostname_tempfail_action", v ? v : "");
			return (-1);
		}
	}
	smtpd_access_parent_style = var_smtpd_parent_domain_matches != NULL &&
	    conf_list_contains(var_smtpd_parent_domain_matches,
	    "smtpd_access_maps");
	if (var_relay_clientcerts != NULL && *var_relay_clientcerts != '\0' &&
	    (smtpd_relay_clientcerts = maplist_open(var_relay_clientcerts,
	    MAP_F_FOLD_KEY, err)) == NULL) {
		char   *why = xstrdup(err->data);

		strbuf_set_printf(err, "parameter relay_clientcerts: %s", why);
		free(why);
		return (-1);
	}
	if (smtpd_login_init(err) < 0)
		return (-1);
	return (0);
}

/* ---- replies and logs -------------------------------------------------- */

static const char *
stage_cmd(enum smtpd_stage stage)
{
	static const char *const names[] = { "CONNECT", "HELO", "MAIL", "RCPT",
	    "DATA", "END-OF-MESSAGE" };

	return (names[stage]);
}

/* "NOQUEUE: what: RCPT from name[addr]: text; from=<> to=<> proto= helo=<>" */
void
smtpd_ev_log(struct smtpd_eval *ev, const char *what, const char *text)
{
	const struct smtpd_facts *f = ev->f;
	struct strbuf line;

	strbuf_init(&line, 8192);
	(void)strbuf_printf(&line, "NOQUEUE: %s: %s from %s: %s;", what, ev->cmd,
	    ev->namaddr, text);
	if (f->sender != NULL)
		(void)strbuf_printf(&line, " from=<%s>", f->sender);
	if (f->rcpt != NULL)
		(void)strbuf_printf(&line, " to=<%s>", f->rcpt);
	if (f->protocol != NULL)
		(void)strbuf_printf(&line, " proto=%s", f->protocol);
	if (f->helo != NULL && *f->helo)
		(void)strbuf_printf(&line, " helo=<%s>", f->helo);
	log_info("%s", line.data);
	strbuf_release(&line);
}

/* The reply "CODE D.D.D text" with the status class made to agree with
 * the code, deferred by defer_if_reject, or only logged by warn_if_reject. */
static void
ev_format(struct strbuf *out, int *code, const char *dsn, const char *fmt,
    va_list ap, int defer)
{
	struct strbuf text;
	char	d[16];

	strbuf_init(&text, 4096);
	(void)strbuf_vprintf(&text, fmt, ap);
	if (defer && *code / 100 == 5)
		*code = (int)var_defer_code;
	snprintf(d, sizeof(d), "%s", dsn);
	d[0] = (char)('0' + *code / 100);
	strbuf_set_printf(out, "%d %s %s", *code, d, text.data);
	strbuf_release(&text);
}

int
smtpd_ev_reject(struct smtpd_eval *ev, int code, const char *dsn,
    const char *fmt, ...)
{
	struct strbuf tmp;
	va_list	ap;

	va_start(ap, fmt);
	if (ev->warn_now) {
		strbuf_init(&tmp, 8192);
		ev_format(&tmp, &code, dsn, fmt, ap, 0);
		va_end(ap);
		smtpd_ev_log(ev, "reject_warning", tmp.data);
		strbuf_release(&tmp);
		return (C_DUNNO);
	}
	ev_format(ev->reply, &code, dsn, fmt, ap, ev->defer_if_reject);
	va_end(ap);
	return (C_REJECT);
}

int
smtpd_ev_defer_if_permit(struct smtpd_eval *ev, int code, const char *dsn,
    const char *fmt, ...)
{
	va_list	ap;

	if (ev->dip_active)
		return (C_DUNNO);
	va_start(ap, fmt);
	ev_format(&ev->dip_reply, &code, dsn, fmt, ap, 0);
	va_end(ap);
	ev->dip_active = 1;
	return (C_DUNNO);
}

/* ---- syntax helpers ---------------------------------------------------- */

const char *
smtpd_addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return (at ? at + 1 : "");
}

int
smtpd_valid_ipaddr(const char *text)
{
	unsigned char buf[16];

	if (strncasecmp(text, "IPv6:", 5) == 0)
		return (inet_pton(AF_INET6, text + 5, buf) == 1);
	return (inet_pton(AF_INET, text, buf) == 1 ||
	    inet_pton(AF_INET6, text, buf) == 1);
}

/* Postfix's valid_hostname(): LDH (and '_') labels of 1-63 bytes, no
 * label starting or ending with '-', at most 255 bytes, not all numeric;
 * one final dot is allowed. */
int
smtpd_valid_hostname(const char *name)
{
	size_t	len = strlen(name), label = 0, i;
	int	numeric = 1;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 255)
		return (0);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0 || name[i - 1] == '-')
				return (0);
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return (0);
		if (c == '-' && label == 0)
			return (0);
		if (!isdigit(c))
			numeric = 0;
		if (++label > 63)
			return (0);
	}
	if (name[len - 1] == '-')
		return (0);
	return (!numeric);
}

static int
is_literal(const char *name)
{
	size_t	n = strlen(name);

	return (n >= 2 && name[0] == '[' && name[n - 1] == ']');
}

static int
ev_helo_syntax(struct smtpd_eval *ev, const struct smtpd_restriction *r)
{
	const char *helo = ev->f->helo;
	char   *inner;
	int	ok;

	if (helo == NULL || *helo == '\0')
		return (C_DUNNO);
	if (r->type == R_REJECT_NON_FQDN_HELO) {
		if (is_literal(helo))
			return (C_DUNNO);
		inner = xstrdup(helo);
		if (inner[strlen(inner) - 1] == '.')
			inner[strlen(inner) - 1] = '\0';
		ok = smtpd_valid_hostname(inner) && strchr(inner, '.') != NULL;
		free(inner);
		if (ok)
			return (C_DUNNO);
		return (smtpd_ev_reject(ev, (int)var_non_fqdn_reject_code, "4.5.2",
		    "<%s>: Helo command rejected: need fully-qualified hostname",
		    helo));
	}
	if (is_literal(helo)) {
		inner = xstrndup(helo + 1, strlen(helo) - 2);
		ok = smtpd_valid_ipaddr(inner);
		free(inner);
	} else
		ok = smtpd_valid_hostname(helo) || smtpd_valid_ipaddr(helo);
	if (ok)
		return (C_DUNNO);
	return (smtpd_ev_reject(ev, (int)var_invalid_hostname_reject_code,
	    "5.5.2", "<%s>: Helo command rejected: Invalid name", helo));
}

/* reject_non_fqdn_sender / _recipient */
static int
ev_non_fqdn_addr(struct smtpd_eval *ev, const char *addr, const char *cls)
{
	const char *dom;
	char   *test;
	size_t	n;
	int	ok;

	if (addr == NULL || *addr == '\0')
		return (C_DUNNO);
	dom = smtpd_addr_domain(addr);
	if (is_literal(dom))
		return (C_DUNNO);
	test = xstrdup(dom);
	n = strlen(test);
	if (n > 1 && test[n - 1] == '.' && test[n - 2] != '.')
		test[n - 1] = '\0';
	ok = *test != '\0' && smtpd_valid_hostname(test) &&
	    strchr(test, '.') != NULL;
	free(test);
	if (ok)
		return (C_DUNNO);
	return (smtpd_ev_reject(ev, (int)var_non_fqdn_reject_code, "4.5.2",
	    "<%s>: %s rejected: need fully-qualified address", addr, cls));
}

/* reject/defer/permit_auth_destination */
static int
ev_auth_dest(struct smtpd_eval *ev, const struct smtpd_restriction *r)
{
	const char *rcpt = ev->f->rcpt;
	enum smtpd_rcpt_class c;

	if (rcpt == NULL)
		return (C_DUNNO);
	c = smtpd_rcpt_class(rcpt);
	if (c == SMTPD_RC_RETRY)
		return (smtpd_ev_reject(ev, 451, "4.3.0", "<%s>: Recipient address "
		    "rejected: Temporary lookup failure", rcpt));
	if (c != SMTPD_RC_OTHER)
		return (r->type == R_PERMIT_AUTH_DEST ? C_OK : C_DUNNO);
	if (r->type == R_PERMIT_AUTH_DEST)
		return (C_DUNNO);
	return (smtpd_ev_reject(ev, r->type == R_REJECT_UNAUTH_DEST ?
	    (int)var_relay_domains_reject_code : (int)var_defer_code,
	    "5.7.1", "<%s>: Relay access denied", rcpt));
}

static int
ev_tls_clientcerts(struct smtpd_eval *ev)
{
	struct strbuf value, why;
	enum map_result res;

	if (ev->f->tls_fingerprint == NULL || smtpd_relay_clientcerts == NULL)
		return (C_DUNNO);
	strbuf_init(&value, 65536);
	strbuf_init(&why, 1024);
	res = maplist_lookup(smtpd_relay_clientcerts, ev->f->tls_fingerprint,
	    &value, &why);
	if (res == MAP_RETRY)
		log_warn("relay_clientcerts lookup of %s: %s",
		    ev->f->tls_fingerprint, why.data);
	strbuf_release(&value);
	strbuf_release(&why);
	if (res == MAP_RETRY)
		return (smtpd_ev_reject(ev, 451, "4.3.0", "<%s>: Temporary lookup "
		    "failure", ev->namaddr));
	return (res == MAP_FOUND ? C_OK : C_DUNNO);
}

static int
ev_class(struct smtpd_eval *ev, const char *name, const struct smtpd_ctx *ctx)
{
	size_t	i;

	for (i = 0; i < check_nclasses; i++)
		if (strcmp(check_class_names[i], name) == 0)
			break;
	if (i == check_nclasses)	/* a list parsed with other classes */
		return (smtpd_ev_reject(ev, 451, "4.3.5", "Server configuration "
		    "error"));
	return (smtpd_ev_list(ev, check_classes[i], ctx));
}

/* One element. */
static int
ev_one(struct smtpd_eval *ev, const struct smtpd_restriction *r,
    const struct smtpd_ctx *ctx)
{
	const struct smtpd_facts *f = ev->f;

	switch (r->type) {
	case R_PERMIT:
		return (C_OK);
	case R_REJECT:
		return (smtpd_ev_reject(ev, (int)var_reject_code, "5.7.1",
		    "<%s>: %s rejected: Access denied", ctx->name, ctx->cls));
	case R_DEFER:
		return (smtpd_ev_reject(ev, (int)var_defer_code, "4.7.1",
		    "<%s>: %s rejected: Access denied", ctx->name, ctx->cls));
	case R_DEFER_IF_PERMIT:
		return (smtpd_ev_defer_if_permit(ev, (int)var_defer_code, "4.7.1",
		    "<%s>: %s rejected: defer_if_permit requested", ctx->name,
		    ctx->cls));
	case R_DEFER_IF_REJECT:
		ev->defer_if_reject = 1;
		return (C_DUNNO);
	case R_WARN_IF_REJECT:
		ev->warn_next = 1;
		return (C_DUNNO);
	case R_PERMIT_MYNETWORKS:
		return (f->mynetworks ? C_OK : C_DUNNO);
	case R_PERMIT_SASL:
		return (f->sasl_user != NULL ? C_OK : C_DUNNO);
	case R_PERMIT_TLS_CLIENTCERTS:
		return (ev_tls_clientcerts(ev));
	case R_PERMIT_AUTH_DEST:
	case R_REJECT_UNAUTH_DEST:
	case R_DEFER_UNAUTH_DEST:
		return (ev_auth_dest(ev, r));
	case R_REJECT_UNAUTH_PIPELINING:
		if (!f->pipelined)
			return (C_DUNNO);
		return (smtpd_ev_reject(ev, 503, "5.5.0", "<%s>: %s rejected: "
		    "Improper use of SMTP command pipelining", ctx->name, ctx->cls));
	case R_REJECT_NON_FQDN_HELO:
	case R_REJECT_INVALID_HELO:
		return (ev_helo_syntax(ev, r));
	case R_REJECT_NON_FQDN_SENDER:
		return (ev_non_fqdn_addr(ev, f->sender, "Sender address"));
	case R_REJECT_NON_FQDN_RCPT:
		return (ev_non_fqdn_addr(ev, f->rcpt, "Recipient address"));
	case R_REJECT_UNKNOWN_CLIENT:
		if (f->name_status == SMTPD_PEER_OK)
			return (C_DUNNO);
		return (smtpd_ev_reject(ev, f->name_status == SMTPD_PEER_PERM ?
		    (int)var_unknown_client_reject_code : 450, "4.7.25",
		    "Client host rejected: cannot find your hostname, [%s]",
		    f->client_addr));
	case R_REJECT_UNKNOWN_REVERSE_CLIENT:
		if (f->reverse_status == SMTPD_PEER_OK)
			return (C_DUNNO);
		return (smtpd_ev_reject(ev, f->reverse_status == SMTPD_PEER_PERM ?
		    (int)var_unknown_client_reject_code : 450, "4.7.25",
		    "Client host rejected: cannot find your reverse hostname, [%s]",
		    f->client_addr));
	case R_REJECT_UNLISTED_RCPT:
		if (f->rcpt == NULL || smtpd_check_unlisted(f->rcpt, ev->reply) ==
		    SMTP_POLICY_ACCEPT)
			return (C_DUNNO);
		return (C_REJECT);
	case R_REJECT_MULTI_RCPT_BOUNCE:
		if (f->sender == NULL || *f->sender != '\0' ||
		    f->rcpt_count + (f->rcpt != NULL) <= 1)
			return (C_DUNNO);
		return (smtpd_ev_reject(ev, 550, "5.5.3", "<%s>: %s rejected: "
		    "Multi-recipient bounce", ctx->name, ctx->cls));
	case R_CHECK_CLIENT_ACCESS:
	case R_CHECK_REVERSE_CLIENT_ACCESS:
	case R_CHECK_HELO_ACCESS:
	case R_CHECK_SENDER_ACCESS:
	case R_CHECK_RCPT_ACCESS:
		return (smtpd_ev_access(ev, r, ctx));
	case R_REJECT_UNKNOWN_HELO:
	case R_REJECT_UNKNOWN_SENDER_DOMAIN:
	case R_REJECT_UNKNOWN_RCPT_DOMAIN:
	case R_RBL_CLIENT:
	case R_RHSBL_CLIENT:
	case R_RHSBL_REVERSE_CLIENT:
	case R_RHSBL_SENDER:
	case R_RHSBL_HELO:
	case R_RHSBL_RCPT:
		return (smtpd_ev_dns(ev, r, ctx));
	case R_CLASS:
		return (ev_class(ev, r->zone, ctx));
	case R_REJECT_SENDER_LOGIN:
	case R_REJECT_AUTH_SENDER_LOGIN:
	case R_REJECT_UNAUTH_SENDER_LOGIN:
		return (smtpd_ev_login(ev, r));
	}
	return (C_DUNNO);
}

int
smtpd_ev_list(struct smtpd_eval *ev, const struct smtpd_rlist *l,
    const struct smtpd_ctx *ctx)
{
	size_t	i;
	int	st = C_DUNNO;

	if (++ev->depth > SMTPD_CHECK_DEPTH) {
		log_warn("%s: restriction classes nested too deeply (a loop?)",
		    l->param);
		ev->depth--;
		return (smtpd_ev_reject(ev, 451, "4.3.5", "Server configuration "
		    "error"));
	}
	for (i = 0; i < l->n; i++) {
		ev->warn_now = ev->warn_next;
		ev->warn_next = 0;
		st = ev_one(ev, &l->v[i], ctx);
		ev->warn_now = 0;
		if (st != C_DUNNO)
			break;
	}
	ev->depth--;
	return (st);
}

int
smtpd_ev_text_list(struct smtpd_eval *ev, const char *text,
    const struct smtpd_ctx *ctx)
{
	struct smtpd_rlist *l = NULL;
	struct strbuf err;
	size_t	i;

	for (i = 0; i < text_cache_n; i++)
		if (strcmp(text_cache[i].text, text) == 0)
			l = text_cache[i].l;
	if (l == NULL) {
		strbuf_init(&err, 1024);
		l = smtpd_rlist_parse("access table result", text,
		    check_class_names, &err);
		if (l == NULL) {
			log_warn("%s", err.data);
			strbuf_release(&err);
			return (smtpd_ev_reject(ev, 451, "4.3.5", "Server "
			    "configuration error"));
		}
		strbuf_release(&err);
		if (text_cache_n < TEXT_CACHE_MAX) {
			text_cache[text_cache_n].text = xstrdup(text);
			text_cache[text_cache_n++].l = l;
		} else {	/* full: this one is not kept */
			i = (size_t)smtpd_ev_list(ev, l, ctx);
			smtpd_rlist_free(l);
			return ((int)i);
		}
	}
	return (smtpd_ev_list(ev, l, ctx));
}

/* ---- stages ------------------------------------------------------------ */

static int
ev_run(struct smtpd_eval *ev, int list)
{
	const struct smtpd_facts *f = ev->f;
	struct smtpd_ctx ctx;

	switch (list) {
	case L_CLIENT:
		ctx.name = ev->namaddr;
		ctx.cls = "Client host";
		break;
	case L_HELO:
		ctx.name = f->helo ? f->helo : "";
		ctx.cls = "Helo command";
		break;
	case L_SENDER:
		ctx.name = f->sender ? f->sender : "";
		ctx.cls = "Sender address";
		break;
	case L_RELAY:
	case L_RCPT:
		ctx.name = f->rcpt ? f->rcpt : "";
		ctx.cls = "Recipient address";
		break;
	case L_DATA:
		ctx.name = "DATA";
		ctx.cls = "Data command";
		break;
	default:
		ctx.name = "END-OF-MESSAGE";
		ctx.cls = "End-of-data";
		break;
	}
	ev->warn_next = 0;
	return (smtpd_ev_list(ev, check_lists[list], &ctx));
}

static void
ev_init(struct smtpd_eval *ev, enum smtpd_stage stage,
    const struct smtpd_facts *f, struct strbuf *reply)
{
	struct strbuf na;

	memset(ev, 0, sizeof(*ev));
	ev->f = f;
	ev->stage = stage;
	ev->cmd = stage_cmd(stage);
	ev->reply = reply;
	strbuf_init(&ev->dip_reply, 4096);
	strbuf_init(&na, 1024);
	(void)strbuf_printf(&na, "%.255s[%.64s]", f->client_name ?
	    f->client_name : "unknown", f->client_addr ? f->client_addr : "");
	ev->namaddr = strbuf_detach(&na);
}

/* The end of a stage: PENDING, a reject, or a deferred permit. */
static int
ev_finish(struct smtpd_eval *ev, int st, int *tx_flags)
{
	int	ret;

	if (st == C_PENDING && smtpd_dns_pending(ev->f->dns) == 0) {
		/* Cannot happen: an element waits for nothing. */
		log_warn("%s from %s: DNS answer pending without a lookup",
		    ev->cmd, ev->namaddr);
		strbuf_set_str(ev->reply, "451 4.3.0 Temporary lookup failure");
		ret = SMTP_POLICY_REJECT;
	} else if (st == C_PENDING) {
		smtpd_dns_wait(ev->f->dns);
		ret = SMTP_POLICY_PENDING;
	} else if (st == C_REJECT) {
		ret = SMTP_POLICY_REJECT;
	} else if (ev->dip_active) {
		strbuf_set_str(ev->reply, ev->dip_reply.data);
		ret = SMTP_POLICY_REJECT;
	} else
		ret = SMTP_POLICY_ACCEPT;
	*tx_flags = ret == SMTP_POLICY_ACCEPT ? ev->tx_flags : 0;
	free(ev->namaddr);
	strbuf_release(&ev->dip_reply);
	return (ret);
}

int
smtpd_check_list(const struct smtpd_rlist *l, enum smtpd_stage stage,
    const struct smtpd_facts *f, struct strbuf *reply, int *tx_flags)
{
	struct smtpd_eval ev;
	struct smtpd_ctx ctx = { "x", "Test" };

	ev_init(&ev, stage, f, reply);
	return (ev_finish(&ev, smtpd_ev_list(&ev, l, &ctx), tx_flags));
}

int
smtpd_check_stage(enum smtpd_stage stage, const struct smtpd_facts *f,
    struct strbuf *reply, int *tx_flags)
{
	struct smtpd_eval ev;
	int	run[L_COUNT] = { 0 }, i, st = C_DUNNO;

	*tx_flags = 0;
	if (f->discarded && stage >= SMTPD_MAIL)
		return (SMTP_POLICY_ACCEPT);
	if (stage == SMTPD_MAIL && var_smtpd_helo_required &&
	    (f->helo == NULL || *f->helo == '\0')) {
		strbuf_set_str(reply, "503 5.5.1 Error: send HELO/EHLO first");
		return (SMTP_POLICY_REJECT);
	}
	if (text_cache_n == TEXT_CACHE_MAX)
		text_cache_clear();
	switch (stage) {
	case SMTPD_CONNECT:
		run[L_CLIENT] = !var_smtpd_delay_reject;
		break;
	case SMTPD_HELO:
		run[L_HELO] = !var_smtpd_delay_reject;
		break;
	case SMTPD_MAIL:
		run[L_SENDER] = !var_smtpd_delay_reject;
		break;
	case SMTPD_RCPT:
		run[L_CLIENT] = run[L_HELO] = run[L_SENDER] = var_smtpd_delay_reject;
		run[L_RELAY] = run[L_RCPT] = 1;
		break;
	case SMTPD_DATA:
		run[L_DATA] = 1;
		break;
	case SMTPD_EOD:
		run[L_EOD] = 1;
		break;
	}
	ev_init(&ev, stage, f, reply);
	for (i = 0; i < L_COUNT; i++) {
		if (!run[i] || check_lists[i] == NULL)
			continue;
		st = ev_run(&ev, i);
		if (st == C_REJECT || st == C_PENDING)
			break;
		/* A permit ends its own list only; DISCARD ends them all. */
		if (ev.tx_flags & SMTP_TX_DISCARD)
			break;
	}
	if (st != C_REJECT && st != C_PENDING && stage == SMTPD_RCPT &&
	    var_smtpd_reject_unlisted_rcpt && !(ev.tx_flags & SMTP_TX_DISCARD) &&
	    f->rcpt != NULL &&
	    smtpd_check_unlisted(f->rcpt, reply) != SMTP_POLICY_ACCEPT)
		st = C_REJECT;
	return (ev_finish(&ev, st, tx_flags));
}
