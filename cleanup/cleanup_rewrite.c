/*
 * cleanup/cleanup_rewrite.c — address rewriting in cleanup, as Postfix's
 * canonical(5), masquerade_domains and virtual(5): sender_canonical_maps
 * then canonical_maps for senders, recipient_canonical_maps then
 * canonical_maps for recipients, in the envelope and in the address
 * headers (canonical_classes); masquerading (masquerade_classes); then
 * virtual_alias_maps for envelope recipients, one-to-many and recursive,
 * bounded by virtual_alias_recursion_limit and _expansion_limit.
 *
 * Hooks: cleanup_begin (sender), cleanup_add_rcpt (recipients) and
 * headers_done (each header field, after header_checks).  A table that
 * cannot be consulted, or a limit that is hit, sets CLEANUP_ERR_MAP: the
 * message is refused with 451 4.3.0, never queued unrewritten.  A
 * recipient of a virtual alias domain found in no table is dropped with a
 * log line; when no recipient is left the message gets 550 5.1.1
 * (CLEANUP_ERR_VALIAS).  Addresses are looked up in external form.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cleanup.h"
#include "conf.h"
#include "domlist.h"
#include "hdr.h"
#include "log.h"
#include "mail_params.h"
#include "map.h"

#define RW_ADDR_MAX	(ADDR_PATH_MAX * 2)	/* one address, with room */
#define RW_VALUE_MAX	65536		/* longest table result */
#define RW_CANON_DEPTH	10		/* canonical re-lookups, as Postfix */
#define RW_HDR_ADDRS	1000		/* addresses rewritten per header */

struct rw_table {
	const char *param;
	char  **var;
	struct maplist *list;	/* NULL: not configured or broken */
	char   *broken;		/* why the list did not open */
};

static struct rw_table rw_tables[] = {
	{ "sender_canonical_maps", &var_sender_canonical_maps, NULL, NULL },
	{ "recipient_canonical_maps", &var_recipient_canonical_maps, NULL, NULL },
	{ "canonical_maps", &var_canonical_maps, NULL, NULL },
	{ "virtual_alias_maps", &var_virtual_alias_maps, NULL, NULL },
};
enum { T_SCANON, T_RCANON, T_CANON, T_VIRTUAL };
#define RW_NTABLES (sizeof(rw_tables) / sizeof(rw_tables[0]))

static struct domlist *rw_vdomains;
static char *rw_vdomains_broken;

/* ---- start-up ---- */

void
cleanup_rewrite_init(void)
{
	struct strbuf err;
	const char *v;
	size_t i;

	strbuf_init(&err, 1024);
	for (i = 0; i < RW_NTABLES; i++) {
		maplist_close(rw_tables[i].list);
		rw_tables[i].list = NULL;
		free(rw_tables[i].broken);
		rw_tables[i].broken = NULL;
		v = *rw_tables[i].var;
		if (v == NULL || v[strspn(v, " \t,")] == '\0')
			continue;
		strbuf_reset(&err);
		rw_tables[i].list = maplist_open(v, MAP_F_FOLD_KEY, &err);
		if (rw_tables[i].list == NULL) {
			/* Every message is deferred until this is fixed. */
			log_warn("%s = %s: %s", rw_tables[i].param, v, err.data);
			rw_tables[i].broken = xstrdup(err.data);
		}
	}
	domlist_free(rw_vdomains);
	free(rw_vdomains_broken);
	rw_vdomains_broken = NULL;
	strbuf_reset(&err);
	rw_vdomains = domlist_open(var_virtual_alias_domains, &err);
	if (rw_vdomains == NULL) {
		log_warn("virtual_alias_domains = %s: %s",
		    var_virtual_alias_domains, err.data);
		rw_vdomains_broken = xstrdup(err.data);
	}
	strbuf_release(&err);
}

/* ---- small helpers ---- */

static int
rw_class(const char *list, const char *cls)
{
	return list != NULL && conf_list_contains(list, cls);
}

/* A domain whose bare `user` keys apply (canonical(5): $myorigin,
 * $mydestination). */
static int
rw_local_domain(const char *domain)
{
	return *domain == '\0' || mail_params_is_local_domain(domain) ||
	    (var_myorigin != NULL && strcasecmp(domain, var_myorigin) == 0);
}

/* Where the extension of local part lp[0..n) starts (n: none), as
 * lib/map.c does for its search order. */
static size_t
rw_ext_offset(const char *lp, size_t n)
{
	const char *delim = var_recipient_delimiter;
	size_t i;

	if (delim == NULL || *delim == '\0')
		return n;
	if (strchr(delim, '-') != NULL && ((n > 6 &&
	    strncasecmp(lp, "owner-", 6) == 0) || (n > 8 &&
	    strncasecmp(lp + n - 8, "-request", 8) == 0)))
		return n;
	for (i = 1; i < n; i++)
		if (strchr(delim, lp[i]) != NULL)
			return i;
	return n;
}

/* Append @$myorigin to a bare local part. */
static void
rw_qualify(const char *addr, struct strbuf *out)
{
	if (cleanup_qualify(addr, var_myorigin, out) < 0)
		strbuf_set_str(out, addr);
}

/*
 * Turn one table result item into an address for the looked-up addr:
 * "@domain" keeps the user (without extension), a bare name gets
 * @$myorigin, and an extension that the matching key did not contain is
 * carried over when propagate is set (propagate_unmatched_extensions).
 */
static void
rw_result(const char *addr, const char *matched, const char *item,
    int propagate, struct strbuf *out)
{
	const char *at = strrchr(addr, '@'), *rat;
	size_t lplen = at ? (size_t)(at - addr) : strlen(addr);
	size_t ext = rw_ext_offset(addr, lplen);
	struct strbuf tmp;

	strbuf_init(&tmp, RW_ADDR_MAX);
	if (*item == '@') {
		strbuf_append(&tmp, addr, ext);
		strbuf_append_str(&tmp, item);
	} else
		strbuf_set_str(&tmp, item);
	rw_qualify(tmp.data, out);
	/* The key matched with the extension: user+ext@domain or user+ext. */
	if (ext < lplen && propagate && strcasecmp(matched, addr) != 0 &&
	    !(strlen(matched) == lplen && strncasecmp(matched, addr, lplen) == 0)) {
		strbuf_set_str(&tmp, out->data);
		rat = strrchr(tmp.data, '@');
		strbuf_reset(out);
		strbuf_append(out, tmp.data, rat ? (size_t)(rat - tmp.data) : tmp.len);
		strbuf_append(out, addr + ext, lplen - ext);
		if (rat != NULL)
			strbuf_append_str(out, rat);
	}
	strbuf_release(&tmp);
}

/* Look addr up in one table list: value and matched key on MAP_FOUND. */
static enum map_result
rw_lookup(int t, const char *addr, struct strbuf *value, struct strbuf *matched,
    struct strbuf *why)
{
	const char *at = strrchr(addr, '@');

	if (rw_tables[t].broken != NULL) {
		strbuf_set_printf(why, "%s: %s", rw_tables[t].param,
		    rw_tables[t].broken);
		return MAP_RETRY;
	}
	if (rw_tables[t].list == NULL)
		return MAP_NOTFOUND;
	return maplist_lookup_addr(rw_tables[t].list, addr,
	    var_recipient_delimiter, rw_local_domain(at ? at + 1 : ""), value,
	    matched, why);
}

/* One canonical table, re-applied to its own result (Postfix's
 * cleanup_map11) until it stops changing. 0, or -1 with why. */
static int
rw_map11(int t, struct strbuf *addr, struct strbuf *why)
{
	struct strbuf value, matched, next;
	char **items;
	enum map_result r = MAP_NOTFOUND;
	int depth, propagate = rw_class(var_propagate_unmatched_extensions,
	    "canonical");

	strbuf_init(&value, RW_VALUE_MAX);
	strbuf_init(&matched, RW_ADDR_MAX);
	strbuf_init(&next, RW_ADDR_MAX);
	for (depth = 0; depth < RW_CANON_DEPTH; depth++) {
		r = rw_lookup(t, addr->data, &value, &matched, why);
		if (r != MAP_FOUND)
			break;
		/* canonical is one-to-one: the first address of the result */
		items = conf_split_list(value.data, NULL);
		if (items[0] != NULL)
			rw_result(addr->data, matched.data, items[0], propagate, &next);
		conf_free_list(items);
		if (next.len == 0 || strcasecmp(next.data, addr->data) == 0)
			break;
		strbuf_set_str(addr, next.data);
	}
	if (depth == RW_CANON_DEPTH) {
		strbuf_set_printf(why, "unreasonable %s map nesting for %s",
		    rw_tables[t].param, addr->data);
		r = MAP_RETRY;
	}
	strbuf_release(&value);
	strbuf_release(&matched);
	strbuf_release(&next);
	return r == MAP_RETRY ? -1 : 0;
}

/* ---- pure steps ---- */

int
cleanup_canonical(const char *addr, int which, struct strbuf *out,
    struct strbuf *why)
{
	strbuf_set_str(out, addr);
	if (*addr == '\0')
		return 0;		/* the null sender stays null */
	if (rw_map11(which == CLEANUP_RW_SENDER ? T_SCANON : T_RCANON, out,
	    why) < 0)
		return -1;
	return rw_map11(T_CANON, out, why);
}

int
cleanup_masquerade(const char *addr, struct strbuf *out)
{
	const char *at = strrchr(addr, '@');
	char **list, **p, *local;
	size_t dlen, plen;
	const char *dom;

	strbuf_set_str(out, addr);
	if (at == NULL || var_masquerade_domains == NULL ||
	    *var_masquerade_domains == '\0')
		return 0;
	local = xstrndup(addr, (size_t)(at - addr));
	if (rw_class(var_masquerade_exceptions, local)) {
		free(local);
		return 0;
	}
	dom = at + 1;
	dlen = strlen(dom);
	list = conf_split_list(var_masquerade_domains, NULL);
	for (p = list; *p != NULL; p++) {
		if (**p == '!') {
			if (strcasecmp(*p + 1, dom) == 0)
				break;		/* never masquerade this one */
			continue;
		}
		plen = strlen(*p);
		if (strcasecmp(*p, dom) == 0)
			break;			/* already the short form */
		if (dlen > plen && dom[dlen - plen - 1] == '.' &&
		    strcasecmp(dom + dlen - plen, *p) == 0) {
			strbuf_set_printf(out, "%s@%s", local, *p);
			break;
		}
	}
	conf_free_list(list);
	free(local);
	return 0;
}

struct vexp {
	char ***out;
	size_t *n;
	size_t *unknown;
	size_t	count;			/* addresses produced so far */
	struct strbuf *why;
};

static void
vexp_emit(struct vexp *x, const char *addr)
{
	size_t i;

	for (i = 0; i < *x->n; i++)
		if (strcasecmp((*x->out)[i], addr) == 0)
			return;
	*x->out = xreallocarray(*x->out, *x->n + 1, sizeof(char *));
	(*x->out)[(*x->n)++] = xstrdup(addr);
}

/* Expand addr at nesting depth; 0 or -1 (why set). */
static int
vexp_one(struct vexp *x, const char *addr, long depth)
{
	struct strbuf value, matched, item;
	const char *at = strrchr(addr, '@');
	enum map_result r;
	char **items, **p;
	int rc = 0, propagate = rw_class(var_propagate_unmatched_extensions,
	    "virtual");

	if (depth > var_virtual_alias_recursion_limit) {
		strbuf_set_printf(x->why, "unreasonable virtual_alias_maps map "
		    "nesting for %s", addr);
		return -1;
	}
	strbuf_init(&value, RW_VALUE_MAX);
	strbuf_init(&matched, RW_ADDR_MAX);
	strbuf_init(&item, RW_ADDR_MAX);
	r = rw_lookup(T_VIRTUAL, addr, &value, &matched, x->why);
	if (r == MAP_NOTFOUND && at != NULL) {
		if (rw_vdomains_broken != NULL) {
			strbuf_set_printf(x->why, "virtual_alias_domains: %s",
			    rw_vdomains_broken);
			r = MAP_RETRY;
		} else if ((r = domlist_match(rw_vdomains, at + 1, x->why)) ==
		    MAP_FOUND) {
			(*x->unknown)++;
			r = MAP_FOUND;
			goto out;
		} else if (r == MAP_NOTFOUND)
			vexp_emit(x, addr);
	} else if (r == MAP_NOTFOUND)
		vexp_emit(x, addr);
	if (r != MAP_FOUND)
		goto out;
	items = conf_split_list(value.data, NULL);
	for (p = items; *p != NULL && rc == 0; p++) {
		if (++x->count > (size_t)var_virtual_alias_expansion_limit) {
			strbuf_set_printf(x->why, "unreasonable virtual_alias_maps "
			    "map expansion size for %s", addr);
			rc = -1;
			break;
		}
		rw_result(addr, matched.data, *p, propagate, &item);
		/* An address that lists itself is delivered as it is. */
		if (strcasecmp(item.data, addr) == 0)
			vexp_emit(x, item.data);
		else
			rc = vexp_one(x, item.data, depth + 1);
	}
	conf_free_list(items);
out:
	strbuf_release(&value);
	strbuf_release(&matched);
	strbuf_release(&item);
	return r == MAP_RETRY ? -1 : rc;
}

int
cleanup_virtual_expand(const char *addr, char ***out, size_t *n,
    size_t *unknown, struct strbuf *why)
{
	struct vexp x = { out, n, unknown, 0, why };

	return vexp_one(&x, addr, 0);
}

/* ---- hooks ---- */

static void
rw_fail(struct cleanup_state *st, const char *what, const char *why)
{
	log_warn("%s: %s: %s; message not accepted, try again later",
	    st->log_id, what, why);
	st->errs |= CLEANUP_ERR_MAP;
}

/* Canonical (when cls is in canonical_classes) then masquerade (when in
 * masquerade_classes) of one address, in place. -1 on failure. */
static int
rw_addr(struct cleanup_state *st, struct strbuf *addr, int which,
    const char *cls)
{
	struct strbuf out, why;
	int rc = 0;

	strbuf_init(&out, RW_ADDR_MAX);
	strbuf_init(&why, 1024);
	if (rw_class(var_canonical_classes, cls)) {
		if (cleanup_canonical(addr->data, which, &out, &why) < 0) {
			rw_fail(st, "canonical mapping", why.data);
			rc = -1;
		} else
			strbuf_set_str(addr, out.data);
	}
	if (rc == 0 && rw_class(var_masquerade_classes, cls)) {
		(void)cleanup_masquerade(addr->data, &out);
		strbuf_set_str(addr, out.data);
	}
	strbuf_release(&out);
	strbuf_release(&why);
	return rc;
}

void
cleanup_rewrite_sender(struct cleanup_state *st, struct strbuf *addr)
{
	if (addr->len > 0)
		(void)rw_addr(st, addr, CLEANUP_RW_SENDER, "envelope_sender");
}

void
cleanup_rewrite_rcpt(struct cleanup_state *st, const char *addr,
    void (*emit)(struct cleanup_state *, const char *, void *), void *ctx)
{
	struct strbuf a, why;
	char **out = NULL;
	size_t n = 0, unknown = 0, i;

	strbuf_init(&a, RW_ADDR_MAX);
	strbuf_init(&why, 1024);
	strbuf_set_str(&a, addr);
	if (rw_addr(st, &a, CLEANUP_RW_RCPT, "envelope_recipient") < 0)
		goto out;
	if (cleanup_virtual_expand(a.data, &out, &n, &unknown, &why) < 0) {
		rw_fail(st, "virtual alias expansion", why.data);
		goto out;
	}
	if (unknown > 0) {
		log_info("%s: reject: to=<%s>: 5.1.1 User unknown in virtual "
		    "alias table; from=<%s>", st->log_id, a.data,
		    st->sender ? st->sender : "");
		st->rw_unknown += unknown;
	}
	for (i = 0; i < n; i++)
		emit(st, out[i], ctx);
out:
	for (i = 0; i < n; i++)
		free(out[i]);
	free(out);
	strbuf_release(&a);
	strbuf_release(&why);
}

/* ---- headers ---- */

static const char *const sender_hdrs[] = {
	"From", "Reply-To", "Sender", "Return-Receipt-To", "Errors-To",
	"Resent-From", "Resent-Reply-To", "Resent-Sender", NULL,
};
static const char *const rcpt_hdrs[] = {
	"To", "Cc", "Bcc", "Apparently-To", "Resent-To", "Resent-Cc",
	"Resent-Bcc", NULL,
};

static int
hdr_in(const char *name, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && strncasecmp(name, *list, n) == 0)
			return 1;
	return 0;
}

struct hdr_rw {
	char  **addrs;
	size_t	n;
};

static void
hdr_collect(const char *addr, void *ctx)
{
	struct hdr_rw *h = ctx;

	h->addrs = xreallocarray(h->addrs, h->n + 1, sizeof(char *));
	h->addrs[h->n++] = xstrdup(addr);
}

static int
addr_boundary(char c)
{
	return c == '\0' || c == '<' || c == '>' || c == ',' || c == ';' ||
	    c == ':' || c == '(' || c == ' ' || c == '\t' || c == '\n' ||
	    c == '\r';
}

/* Replace the first whole occurrence of old at or after *pos in text. */
static int
hdr_replace(struct strbuf *text, size_t *pos, const char *old,
    const char *new)
{
	size_t olen = strlen(old), i;
	struct strbuf tmp;

	for (i = *pos; i + olen <= text->len; i++) {
		if (strncasecmp(text->data + i, old, olen) != 0 ||
		    !addr_boundary(i > 0 ? text->data[i - 1] : '\0') ||
		    !addr_boundary(text->data[i + olen]))
			continue;
		strbuf_init(&tmp, STRBUF_NOLIMIT);
		strbuf_append(&tmp, text->data, i);
		strbuf_append_str(&tmp, new);
		strbuf_append_str(&tmp, text->data + i + olen);
		strbuf_set_str(text, tmp.data);
		strbuf_release(&tmp);
		*pos = i + strlen(new);
		return 1;
	}
	return 0;
}

/* Is there anything that could change a header address? */
static int
rw_header_active(void)
{
	int t;

	for (t = T_SCANON; t <= T_CANON; t++)
		if (rw_tables[t].list != NULL || rw_tables[t].broken != NULL)
			return 1;
	return var_masquerade_domains != NULL && *var_masquerade_domains != '\0';
}

int
cleanup_rewrite_header(struct cleanup_state *st, const char *field,
    size_t len, void (*put)(struct cleanup_state *, const char *, size_t))
{
	const char *colon = memchr(field, ':', len), *why = NULL;
	struct strbuf text, a, q;
	struct hdr_rw h = { NULL, 0 };
	size_t nlen, pos, i;
	int which, changed = 0;
	const char *cls;

	if (colon == NULL || !rw_header_active())
		return 0;
	for (nlen = (size_t)(colon - field); nlen > 0 &&
	    (field[nlen - 1] == ' ' || field[nlen - 1] == '\t'); nlen--)
		;
	if (hdr_in(field, nlen, sender_hdrs)) {
		which = CLEANUP_RW_SENDER;
		cls = "header_sender";
	} else if (hdr_in(field, nlen, rcpt_hdrs)) {
		which = CLEANUP_RW_RCPT;
		cls = "header_recipient";
	} else
		return 0;
	if (!rw_class(var_canonical_classes, cls) &&
	    !rw_class(var_masquerade_classes, cls))
		return 0;
	while (len > 0 && field[len - 1] == '\n')
		len--;
	/* A malformed list is left alone: what was parsed before the error
	 * is still rewritten. */
	(void)hdr_parse_addrs(colon + 1, len - (size_t)(colon + 1 - field),
	    RW_HDR_ADDRS, ADDR_PATH_MAX, hdr_collect, &h, &why);
	strbuf_init(&text, STRBUF_NOLIMIT);
	strbuf_init(&a, RW_ADDR_MAX);
	strbuf_init(&q, RW_ADDR_MAX);
	strbuf_append(&text, field, len);
	pos = (size_t)(colon + 1 - field);
	for (i = 0; i < h.n; i++) {
		rw_qualify(h.addrs[i], &q);
		strbuf_set_str(&a, q.data);
		if (rw_addr(st, &a, which, cls) < 0)
			break;
		if (strcmp(a.data, q.data) != 0 &&
		    hdr_replace(&text, &pos, h.addrs[i], a.data))
			changed = 1;
	}
	if (changed && !(st->errs & CLEANUP_ERR_MAP))
		put(st, text.data, text.len);
	for (i = 0; i < h.n; i++)
		free(h.addrs[i]);
	free(h.addrs);
	strbuf_release(&text);
	strbuf_release(&a);
	strbuf_release(&q);
	return changed && !(st->errs & CLEANUP_ERR_MAP);
}
