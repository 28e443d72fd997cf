/*
 * qmgr/qmgr_transport.c — which transport a recipient goes to.
 *
 * The transport table is the one place that knows the delivery agents.
 * A recipient first gets the default of its address class, as Postfix's
 * trivial-rewrite: $mydestination (or a bare local part) -> $local_transport,
 * $virtual_mailbox_domains -> $virtual_transport, $relay_domains ->
 * $relay_transport, anything else -> $default_transport.  transport_maps
 * then overrides it (transport(5)): the address, the address without its
 * extension, the domain, its parents (".example.com", or "example.com"
 * when parent_domain_matches_subdomains lists transport_maps), then "*".
 * A result "transport:nexthop" with an empty transport keeps the class
 * default, an empty nexthop keeps the domain.
 *
 * Transports: local (private/$local_transport), virtual (the same agent,
 * with `transport=virtual` in the request: virtual mailbox delivery),
 * error (bounce now with the next hop as the text) and retry (defer with
 * it), smtp and relay (private/smtp and private/relay: smtp-client),
 * lmtp (private/lmtp: smtp-client speaking LMTP to "unix:PATH" or
 * "inet:host:port"); any
 * other name is deferred as unknown.  $relayhost is the next hop of the
 * default and relay classes when their transport names none.  A table in trouble defers.  Bad
 * configuration is fatal at start-up; queue-file addresses only get
 * results.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <bsd/string.h>

#include "addr.h"
#include "domlist.h"
#include "dsn.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "map.h"
#include "qmgr.h"

enum { TP_LOCAL, TP_VIRTUAL, TP_SMTP, TP_RELAY, TP_LMTP, TP_COUNT };

static struct qmgr_transport transports[TP_COUNT + 1] = {
	[TP_LOCAL] = { .name = "local" },
	[TP_VIRTUAL] = { .name = "virtual", .agent_mode = "virtual" },
	[TP_SMTP] = { .name = "smtp" },
	[TP_RELAY] = { .name = "relay" },
	[TP_LMTP] = { .name = "lmtp" },
};

static char *local_nexthop;
static struct maplist *transport_maps;
static struct domlist *virtual_domains, *relay_domains;
static int tmaps_parent;	/* transport_maps in parent_domain_matches_subdomains */
static int relay_parent;	/* relay_domains in it */

/* A service name becomes a socket name under private/: one safe path
 * component only. */
static int
service_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= sizeof(transports[0].service) || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return 0;
	return 1;
}

/* A domain list parameter (lib/domlist.h: ".example.com" names
 * subdomains; parent_domain_matches_subdomains is applied by the caller). */
static struct domlist *
open_domains(const char *name, const char *value)
{
	struct domlist *l;
	struct strbuf err;

	strbuf_init(&err, 1024);
	if ((l = domlist_open(value ? value : "", &err)) == NULL)
		log_fatal("%s: %s", name, err.data);
	strbuf_release(&err);
	return l;
}

/* The per-transport parameters of tp (Postfix: <transport>_name when set,
 * else the default_ one; local and virtual default to local_'s). */
static void
transport_limits(struct qmgr_transport *tp, int local)
{
	struct qmgr_conc_params *c = &tp->conc;
	const char *name = tp->param_name;
	const char *pos = var_default_pos_feedback ? var_default_pos_feedback :
	    "1";
	const char *neg = var_default_neg_feedback ? var_default_neg_feedback :
	    "1";
	struct strbuf err;

	strbuf_init(&err, 1024);
	if (qmgr_params_transport_int(name, "destination_recipient_limit",
	    local ? var_local_rcpt_limit : var_default_rcpt_limit, 1, 100000,
	    &tp->rcpt_lim, &err) < 0 ||
	    qmgr_params_transport_int(name, "destination_concurrency_limit",
	    local ? var_local_dest_conc_limit : var_default_dest_conc_limit, 0,
	    100000, &tp->dest_lim, &err) < 0 ||
	    qmgr_params_transport_int(name, "initial_destination_concurrency",
	    var_init_dest_conc, 1, 100000, &c->init, &err) < 0 ||
	    qmgr_params_transport_int(name,
	    "destination_concurrency_failed_cohort_limit",
	    var_default_cohort_limit, 0, 100000, &c->cohort_limit, &err) < 0)
		log_fatal("%s", err.data);
	strbuf_release(&err);
	if (qmgr_feedback_parse(qmgr_params_transport_str(name,
	    "destination_concurrency_positive_feedback", pos), &c->pos,
	    &c->pos_per_conc) < 0)
		log_fatal("%s_destination_concurrency_positive_feedback: expected "
		    "N or N/concurrency with 0 < N <= 1", name);
	if (qmgr_feedback_parse(qmgr_params_transport_str(name,
	    "destination_concurrency_negative_feedback", neg), &c->neg,
	    &c->neg_per_conc) < 0)
		log_fatal("%s_destination_concurrency_negative_feedback: expected "
		    "N or N/concurrency with 0 < N <= 1", name);
	if (tp->rcpt_lim < 1)
		tp->rcpt_lim = 1;
	c->limit = tp->dest_lim;
	tp->rcpt_limit = &tp->rcpt_lim;
	tp->dest_limit = &tp->dest_lim;
}

void
qmgr_transport_init(void)
{
	const char *lt = var_local_transport ? var_local_transport : "local";
	const char *colon = strchr(lt, ':');
	size_t len = colon ? (size_t)(colon - lt) : strlen(lt);
	struct strbuf err;
	size_t i;

	if (!service_name_ok(lt, len))
		log_fatal("local_transport: bad transport name \"%s\"", lt);
	memcpy(transports[TP_LOCAL].service, lt, len);
	transports[TP_LOCAL].service[len] = '\0';
	/* Virtual mailboxes are a mode of the same agent. */
	strlcpy(transports[TP_VIRTUAL].service, transports[TP_LOCAL].service,
	    sizeof(transports[TP_VIRTUAL].service));
	free(local_nexthop);
	local_nexthop = xstrdup(colon && colon[1] ? colon + 1 :
	    var_myhostname ? var_myhostname : "localhost");
	strcpy(transports[TP_SMTP].service, "smtp");
	strcpy(transports[TP_RELAY].service, "relay");
	strcpy(transports[TP_LMTP].service, "lmtp");
	for (i = 0; i < TP_COUNT; i++) {
		if (transports[i].ready.tqh_last == NULL)
			TAILQ_INIT(&transports[i].ready);
		/* virtual is a mode of the local agent: local's limits. */
		transports[i].param_name = i == TP_VIRTUAL ?
		    transports[TP_LOCAL].service : transports[i].service;
		transport_limits(&transports[i], i == TP_LOCAL || i == TP_VIRTUAL);
	}
	maplist_close(transport_maps);
	strbuf_init(&err, 1024);
	transport_maps = maplist_open(var_transport_maps ? var_transport_maps : "",
	    MAP_F_FOLD_KEY, &err);
	if (transport_maps == NULL)
		log_fatal("transport_maps: %s", err.data);
	strbuf_release(&err);
	tmaps_parent = conf_list_contains(var_parent_domain_matches ?
	    var_parent_domain_matches : "", "transport_maps");
	relay_parent = conf_list_contains(var_parent_domain_matches ?
	    var_parent_domain_matches : "", "relay_domains");
	domlist_free(virtual_domains);
	domlist_free(relay_domains);
	virtual_domains = open_domains("virtual_mailbox_domains",
	    var_virtual_mailbox_domains);
	relay_domains = open_domains("relay_domains", var_relay_domains);
}

struct qmgr_transport *
qmgr_transport_at(size_t i)
{
	return i < TP_COUNT ? &transports[i] : NULL;
}

/* "transport:nexthop" -> its parts (either may be empty). */
static void
split_spec(const char *spec, struct strbuf *tp, struct strbuf *hop)
{
	const char *colon = strchr(spec, ':');

	strbuf_reset(tp);
	strbuf_reset(hop);
	if (colon == NULL) {
		strbuf_append_str(tp, spec);
		return;
	}
	strbuf_append(tp, spec, (size_t)(colon - spec));
	strbuf_append_str(hop, colon + 1);
}

/* Search transport_maps for rcpt (split into local and domain). */
static enum map_result
tmaps_search(const char *rcpt, const char *local, const char *domain,
    struct strbuf *value, struct strbuf *why)
{
	const char *delim = var_recipient_delimiter;
	enum map_result r;
	struct strbuf key;
	const char *p;
	size_t n;

	if (maplist_count(transport_maps) == 0)
		return MAP_NOTFOUND;
	strbuf_init(&key, ADDR_PATH_MAX * 4);
	r = MAP_NOTFOUND;
	if (*domain != '\0') {
		r = maplist_lookup(transport_maps, rcpt, value, why);
		n = delim && *delim ? strcspn(local, delim) : strlen(local);
		if (r == MAP_NOTFOUND && n > 0 && local[n] != '\0') {
			strbuf_printf(&key, "%.*s@%s", (int)n, local, domain);
			r = maplist_lookup(transport_maps, key.data, value, why);
		}
		if (r == MAP_NOTFOUND)
			r = maplist_lookup(transport_maps, domain, value, why);
		for (p = strchr(domain, '.'); r == MAP_NOTFOUND && p != NULL &&
		    p[1] != '\0'; p = strchr(p + 1, '.'))
			r = maplist_lookup(transport_maps, tmaps_parent ? p + 1 : p,
			    value, why);
	}
	if (r == MAP_NOTFOUND)
		r = maplist_lookup(transport_maps, "*", value, why);
	strbuf_release(&key);
	return r;
}

/* relay_domains, with parent domains when parent_domain_matches_subdomains
 * lists relay_domains (Postfix's default). */
static enum map_result
relay_match(const char *domain, struct strbuf *why)
{
	enum map_result r = domlist_match(relay_domains, domain, why);
	const char *p;

	for (p = strchr(domain, '.'); r == MAP_NOTFOUND && relay_parent &&
	    p != NULL && p[1] != '\0'; p = strchr(p + 1, '.'))
		r = domlist_match(relay_domains, p + 1, why);
	return r;
}

/* The default "transport:nexthop" of the address class of domain. */
static enum map_result
class_default(const char *domain, const char **spec, int *remote,
    struct strbuf *why)
{
	enum map_result r;

	*remote = 1;
	*spec = var_default_transport ? var_default_transport : "smtp";
	if (*domain == '\0' || mail_params_is_local_domain(domain)) {
		*spec = var_local_transport ? var_local_transport : "local";
		*remote = 0;
		return MAP_FOUND;
	}
	if ((r = domlist_match(virtual_domains, domain, why)) != MAP_NOTFOUND) {
		*remote = 0;
		*spec = var_virtual_transport ? var_virtual_transport : "virtual";
		return r;
	}
	if ((r = relay_match(domain, why)) != MAP_NOTFOUND) {
		*spec = var_relay_transport ? var_relay_transport : "relay";
		return r;
	}
	return MAP_FOUND;
}

/* error:/retry: text "D.D.D words" -> dsn (class forced) and text. */
static void
route_text(struct qmgr_route *rt, int kind, const char *text,
    struct strbuf *why)
{
	const char *def = kind == QMGR_ROUTE_BOUNCE ? "5.0.0" : "4.0.0";
	size_t n = strcspn(text, " \t");
	char code[16];

	rt->kind = kind;
	strlcpy(rt->dsn, def, sizeof(rt->dsn));
	if (n > 0 && n < sizeof(code)) {
		memcpy(code, text, n);
		code[n] = '\0';
		if (dsn_status_valid(code)) {
			if (code[0] == def[0])
				strlcpy(rt->dsn, code, sizeof(rt->dsn));
			text += n;
			while (*text == ' ' || *text == '\t')
				text++;
		}
	}
	strbuf_set_str(why, *text ? text : kind == QMGR_ROUTE_BOUNCE ?
	    "delivery failed: error transport" : "delivery deferred: retry transport");
}

/* Turn the chosen transport name and next hop into the route. */
static void
route_pick(const char *name, const char *hop, const char *domain,
    struct qmgr_route *rt, struct strbuf *nexthop, struct strbuf *why)
{
	struct qmgr_transport *tp = NULL;
	size_t i;

	if (strcmp(name, "error") == 0 || strcmp(name, "retry") == 0) {
		rt->relay = strcmp(name, "error") == 0 ? "error" : "retry";
		route_text(rt, *name == 'e' ? QMGR_ROUTE_BOUNCE : QMGR_ROUTE_DEFER,
		    hop, why);
		return;
	}
	if (strcmp(name, transports[TP_LOCAL].service) == 0)
		tp = &transports[TP_LOCAL];
	for (i = 0; tp == NULL && i < TP_COUNT; i++)
		if (strcmp(name, transports[i].name) == 0)
			tp = &transports[i];
	if (tp == NULL) {
		rt->kind = QMGR_ROUTE_DEFER;
		strlcpy(rt->dsn, "4.3.0", sizeof(rt->dsn));
		strbuf_set_printf(why, "mail transport unavailable: unknown "
		    "transport \"%.64s\"", name);
		return;
	}
	if (tp->unavailable != NULL) {
		rt->kind = QMGR_ROUTE_DEFER;
		strlcpy(rt->dsn, "4.3.0", sizeof(rt->dsn));
		strbuf_set_str(why, tp->unavailable);
		return;
	}
	rt->kind = QMGR_ROUTE_DELIVER;
	rt->tp = tp;
	rt->relay = tp->name;
	if (*hop != '\0')
		strbuf_set_str(nexthop, hop);
	else if (tp == &transports[TP_LOCAL])
		strbuf_set_str(nexthop, local_nexthop ? local_nexthop : "");
	else
		strbuf_set_str(nexthop, domain);
}

void
qmgr_transport_route(const char *rcpt, struct qmgr_route *rt,
    struct strbuf *nexthop, struct strbuf *why)
{
	struct strbuf local, domain, value, dname, dhop, name, hop;
	const char *spec;
	enum map_result r;
	int remote = 0;

	memset(rt, 0, sizeof(*rt));
	rt->relay = "none";
	strbuf_init(&local, ADDR_PATH_MAX * 4);
	strbuf_init(&domain, ADDR_PATH_MAX * 4);
	strbuf_init(&value, 4096);
	strbuf_init(&dname, 4096);
	strbuf_init(&dhop, 4096);
	strbuf_init(&name, 4096);
	strbuf_init(&hop, 4096);
	strbuf_reset(nexthop);
	if (addr_split(rcpt, &local, &domain) < 0) {
		rt->kind = QMGR_ROUTE_BOUNCE;
		strlcpy(rt->dsn, "5.1.3", sizeof(rt->dsn));
		strbuf_set_str(why, "bad address syntax");
		goto out;
	}
	if ((r = class_default(domain.data, &spec, &remote, why)) == MAP_FOUND)
		r = tmaps_search(rcpt, local.data, domain.data, &value, why);
	if (r == MAP_RETRY) {
		rt->kind = QMGR_ROUTE_DEFER;
		strlcpy(rt->dsn, "4.3.0", sizeof(rt->dsn));
		if (strbuf_set_printf(&value, "transport table lookup failed: %s",
		    why->data) == 0)
			strbuf_set_str(why, value.data);
		goto out;
	}
	split_spec(spec, &dname, &dhop);
	if (r == MAP_FOUND) {
		split_spec(value.data, &name, &hop);
		/* An empty field keeps the class default's. */
		if (name.len == 0)
			strbuf_set_str(&name, dname.data);
		if (hop.len == 0 && strcmp(name.data, dname.data) == 0)
			strbuf_set_str(&hop, dhop.data);
	} else {
		strbuf_set_str(&name, dname.data);
		strbuf_set_str(&hop, dhop.data);
	}
	/* Postfix: $relayhost overrides the domain as the next hop of
	 * non-local mail, unless the transport names one. */
	if (remote && hop.len == 0 && var_relayhost != NULL && *var_relayhost &&
	    (strcmp(name.data, "smtp") == 0 || strcmp(name.data, "relay") == 0))
		strbuf_set_str(&hop, var_relayhost);
	route_pick(name.data, hop.data, domain.data, rt, nexthop, why);
out:
	strbuf_release(&local);
	strbuf_release(&domain);
	strbuf_release(&value);
	strbuf_release(&dname);
	strbuf_release(&dhop);
	strbuf_release(&name);
	strbuf_release(&hop);
}

void
qmgr_transport_filter(const char *filter, const char *rcpt,
    struct qmgr_route *rt, struct strbuf *nexthop, struct strbuf *why)
{
	struct strbuf local, domain, name, hop;

	memset(rt, 0, sizeof(*rt));
	rt->relay = "none";
	strbuf_init(&local, ADDR_PATH_MAX * 4);
	strbuf_init(&domain, ADDR_PATH_MAX * 4);
	strbuf_init(&name, 4096);
	strbuf_init(&hop, 4096);
	strbuf_reset(nexthop);
	(void)addr_split(rcpt, &local, &domain);
	split_spec(filter, &name, &hop);
	route_pick(name.data, hop.data, domain.data, rt, nexthop, why);
	strbuf_release(&local);
	strbuf_release(&domain);
	strbuf_release(&name);
	strbuf_release(&hop);
}

struct qmgr_transport *
qmgr_transport_resolve(const char *rcpt, struct strbuf *nexthop,
    struct strbuf *why)
{
	struct qmgr_route rt;

	qmgr_transport_route(rcpt, &rt, nexthop, why);
	return rt.kind == QMGR_ROUTE_DELIVER ? rt.tp : NULL;
}
