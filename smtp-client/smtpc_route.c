/*
 * smtp-client/smtpc_route.c — from qmgr's next hop to the addresses to try.
 *
 * "[host]:port" and "[host]" are used as given (no MX lookup); "host:port"
 * and "host" get an MX lookup (smtp_host_lookup = dns): MX records by
 * preference, random among equals, the domain's own addresses when it has
 * none (the implicit MX), a null MX (RFC 7505) bounced at once.  With
 * smtp_host_lookup = native the host is given to getaddrinfo (/etc/hosts).
 * DNS answers come from lib/dns.c, which checks them; this file trusts the
 * parsed records but not their content (a name may be anything).
 * XXX first cut: the daemon is a single server, so every lookup is run to
 * completion on a private event loop (the process serves one delivery at
 * a time anyway).  Errors are results (defer or bounce), never fatal.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <event2/event.h>

#include "dns.h"
#include "log.h"
#include "mail_params.h"
#include "smtp.h"

static struct event_base *route_base;

void
smtpc_route_init(void)
{
	struct strbuf err;

	if (strcmp(var_smtp_host_lookup, "dns") != 0 &&
	    strcmp(var_smtp_host_lookup, "native") != 0)
		log_fatal("smtp_host_lookup: \"%s\": expected dns or native",
		    var_smtp_host_lookup);
	if ((route_base = event_base_new()) == NULL)
		log_fatal("cannot create an event base");
	strbuf_init(&err, 1024);
	if (dns_init(route_base, var_smtp_dns_servers, NULL, &err) < 0)
		log_fatal("parameter dns_nameservers: %s", err.data);
	strbuf_release(&err);
}

int
smtpc_hop_parse(const char *nexthop, struct smtpc_hop *hop, struct strbuf *why)
{
	const char *p = nexthop, *end, *port = NULL;
	size_t n;
	char *ep;
	long v;

	memset(hop, 0, sizeof(*hop));
	hop->port = 25;
	if (*p == '[') {
		if ((end = strchr(p, ']')) == NULL) {
			strbuf_set_printf(why, "bad next hop \"%.100s\": no ]", nexthop);
			return -1;
		}
		hop->no_mx = 1;
		p++;
		n = (size_t)(end - p);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0') {
			strbuf_set_printf(why, "bad next hop \"%.100s\"", nexthop);
			return -1;
		}
	} else {
		end = strrchr(p, ':');
		n = end ? (size_t)(end - p) : strlen(p);
		if (end)
			port = end + 1;
	}
	if (n == 0 || n >= sizeof(hop->host)) {
		strbuf_set_printf(why, "bad next hop \"%.100s\"", nexthop);
		return -1;
	}
	memcpy(hop->host, p, n);
	hop->host[n] = '\0';
	if (port != NULL) {
		v = strtol(port, &ep, 10);
		if (*port == '\0' || *ep != '\0' || v < 1 || v > 65535) {
			struct servent *se = getservbyname(port, "tcp");

			if (se == NULL) {
				strbuf_set_printf(why, "bad port in next hop \"%.100s\"",
				    nexthop);
				return -1;
			}
			v = ntohs((unsigned short)se->s_port);
		}
		hop->port = (unsigned)v;
	}
	return 0;
}

void
smtpc_mx_order(const unsigned *pref, size_t n, size_t *order)
{
	unsigned *key = calloc(n ? n : 1, sizeof(*key));
	size_t i, j, t;

	for (i = 0; i < n; i++) {
		order[i] = i;
		key[i] = arc4random();
	}
	/* Insertion sort: (preference, random key). n is small (a DNS answer). */
	for (i = 1; i < n; i++) {
		for (j = i; j > 0; j--) {
			size_t a = order[j - 1], b = order[j];

			if (pref[a] < pref[b] || (pref[a] == pref[b] && key[a] <= key[b]))
				break;
			t = order[j - 1];
			order[j - 1] = order[j];
			order[j] = t;
		}
	}
	free(key);
}

/* ---- a blocking lookup on the private loop ---- */

struct answer {
	int	done;
	enum dns_status status;
	const char *why;
	size_t	n;
	unsigned pref[64];
	char	name[64][DNS_NAME_MAX + 1];	/* MX exchange or address */
};

static void
answer_cb(void *arg, const struct dns_result *res)
{
	struct answer *a = arg;
	size_t i;

	a->done = 1;
	a->status = res->status;
	a->why = res->why;
	for (i = 0; i < res->nrr && a->n < 64; i++) {
		const struct dns_rr *rr = &res->rr[i];

		if (rr->type != res->qtype)
			continue;	/* CNAMEs on the way */
		a->pref[a->n] = rr->pref;
		strlcpy(a->name[a->n], rr->type == DNS_T_MX ? rr->name : rr->addr,
		    sizeof(a->name[0]));
		a->n++;
	}
	if (a->status == DNS_OK && a->n == 0)
		a->status = DNS_NODATA;
}

static void
lookup(const char *name, int type, struct answer *a)
{
	memset(a, 0, sizeof(*a));
	if (dns_lookup(name, type, answer_cb, a) == NULL) {
		a->status = DNS_TEMPFAIL;
		a->why = "resolver error";
		return;
	}
	/* Bounded: lib/dns.c ends every query by its own timeout. */
	while (!a->done)
		if (event_base_loop(route_base, EVLOOP_ONCE) < 0) {
			a->status = DNS_TEMPFAIL;
			a->why = "event loop error";
			return;
		}
}

static const char *
dns_text(enum dns_status st)
{
	switch (st) {
	case DNS_NXDOMAIN:
		return "Host not found";
	case DNS_NODATA:
		return "Host found but no data record of requested type";
	default:
		return "Host not found, try again";
	}
}

static void
add_target(struct smtpc_route *rt, const char *host, const char *addr,
    unsigned port)
{
	struct smtpc_target *t;
	size_t i;

	if (rt->n >= (size_t)var_smtp_mx_address_limit)
		return;
	for (i = 0; i < rt->n; i++)
		if (strcmp(rt->t[i].addr, addr) == 0 && rt->t[i].port == port)
			return;
	rt->t = reallocarray(rt->t, rt->n + 1, sizeof(*rt->t));
	if (rt->t == NULL)
		log_fatal("out of memory");
	t = &rt->t[rt->n++];
	strlcpy(t->host, host, sizeof(t->host));
	strlcpy(t->addr, addr, sizeof(t->addr));
	t->port = port;
}

/* A and AAAA of host through DNS.  OK when at least one address was added;
 * else DEFER or BOUNCE with the worst DNS status in why. */
static enum smtpc_route_status
host_addrs_dns(const char *host, unsigned port, struct smtpc_route *rt,
    struct strbuf *why)
{
	static const int types[2] = { DNS_T_A, DNS_T_AAAA };
	enum smtpc_route_status st = SMTPC_ROUTE_BOUNCE;
	struct answer *a = malloc(sizeof(*a));
	size_t i, k, before = rt->n;

	if (a == NULL)
		log_fatal("out of memory");
	for (k = 0; k < 2; k++) {
		lookup(host, types[k], a);
		for (i = 0; i < a->n; i++)
			add_target(rt, host, a->name[i], port);
		if (a->status == DNS_TEMPFAIL || a->status == DNS_BOGUS)
			st = SMTPC_ROUTE_DEFER;
		if (a->status != DNS_OK && (why->len == 0 || a->status != DNS_NODATA))
			strbuf_set_printf(why, "Host or domain name not found. Name "
			    "service error for name=%s type=%s: %s", host,
			    dns_type_name(types[k]), dns_text(a->status));
	}
	free(a);
	if (rt->n > before)
		return SMTPC_ROUTE_OK;
	strlcpy(rt->dsn, st == SMTPC_ROUTE_DEFER ? "4.4.3" : "5.1.2",
	    sizeof(rt->dsn));
	return st;
}

/* getaddrinfo: /etc/hosts and the system's resolver. */
static enum smtpc_route_status
host_addrs_native(const char *host, unsigned port, struct smtpc_route *rt,
    struct strbuf *why)
{
	struct addrinfo hints, *res = NULL, *ai;
	char addr[64];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		int hard = rc == EAI_NONAME
#ifdef EAI_NODATA
		    || rc == EAI_NODATA
#endif
		    ;

		strbuf_set_printf(why, "Host or domain name not found. Name "
		    "service error for name=%s type=A: %s", host,
		    hard ? "Host not found" : "Host not found, try again");
		strlcpy(rt->dsn, hard ? "5.1.2" : "4.4.3", sizeof(rt->dsn));
		return hard ? SMTPC_ROUTE_BOUNCE : SMTPC_ROUTE_DEFER;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
		    NULL, 0, NI_NUMERICHOST) == 0)
			add_target(rt, host, addr, port);
	}
	freeaddrinfo(res);
	if (rt->n > 0)
		return SMTPC_ROUTE_OK;
	strbuf_set_printf(why, "Host or domain name not found: %s", host);
	strlcpy(rt->dsn, "5.1.2", sizeof(rt->dsn));
	return SMTPC_ROUTE_BOUNCE;
}

static enum smtpc_route_status
host_addrs(const char *host, unsigned port, struct smtpc_route *rt,
    struct strbuf *why)
{
	unsigned char buf[16];

	/* An address literal is its own address. */
	if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1) {
		add_target(rt, host, host, port);
		return SMTPC_ROUTE_OK;
	}
	if (strcmp(var_smtp_host_lookup, "native") == 0)
		return host_addrs_native(host, port, rt, why);
	return host_addrs_dns(host, port, rt, why);
}

/* The MX records of hop->host. */
static enum smtpc_route_status
mx_route(const struct smtpc_hop *hop, struct smtpc_route *rt, struct strbuf *why)
{
	struct answer *a = malloc(sizeof(*a));
	enum smtpc_route_status st = SMTPC_ROUTE_BOUNCE;
	struct strbuf one;
	size_t order[64], i;
	int defer = 0;

	if (a == NULL)
		log_fatal("out of memory");
	lookup(hop->host, DNS_T_MX, a);
	if (a->status == DNS_NXDOMAIN || a->status == DNS_TEMPFAIL ||
	    a->status == DNS_BOGUS) {
		strbuf_set_printf(why, "Host or domain name not found. Name service "
		    "error for name=%s type=MX: %s", hop->host, dns_text(a->status));
		st = a->status == DNS_NXDOMAIN ? SMTPC_ROUTE_BOUNCE : SMTPC_ROUTE_DEFER;
		strlcpy(rt->dsn, st == SMTPC_ROUTE_BOUNCE ? "5.1.2" : "4.4.3",
		    sizeof(rt->dsn));
		free(a);
		return st;
	}
	if (a->status == DNS_NODATA) {
		/* RFC 5321 5.1: no MX, the domain itself is the implicit MX. */
		free(a);
		return host_addrs(hop->host, hop->port, rt, why);
	}
	/* RFC 7505: a single MX "." says the domain takes no mail. */
	for (i = 0; i < a->n; i++) {
		if (strcmp(a->name[i], ".") == 0 || a->name[i][0] == '\0') {
			strbuf_set_printf(why, "Domain %s does not accept mail (nullMX)",
			    hop->host);
			strlcpy(rt->dsn, "5.1.10", sizeof(rt->dsn));
			free(a);
			return SMTPC_ROUTE_BOUNCE;
		}
	}
	smtpc_mx_order(a->pref, a->n, order);
	strbuf_init(&one, 2048);
	for (i = 0; i < a->n && rt->n < (size_t)var_smtp_mx_address_limit; i++) {
		const char *mx = a->name[order[i]];

		strbuf_reset(&one);
		if (host_addrs(mx, hop->port, rt, &one) == SMTPC_ROUTE_DEFER)
			defer = 1;
		if (one.len > 0)
			strbuf_set_str(why, one.data);
	}
	strbuf_release(&one);
	free(a);
	if (rt->n > 0) {
		strbuf_reset(why);
		return SMTPC_ROUTE_OK;
	}
	st = defer ? SMTPC_ROUTE_DEFER : SMTPC_ROUTE_BOUNCE;
	strlcpy(rt->dsn, defer ? "4.4.3" : "5.4.4", sizeof(rt->dsn));
	if (why->len == 0)
		strbuf_set_printf(why, "no address for any MX host of %s", hop->host);
	return st;
}

enum smtpc_route_status
smtpc_route_resolve(const struct smtpc_hop *hop, struct smtpc_route *rt,
    struct strbuf *why)
{
	memset(rt, 0, sizeof(*rt));
	strbuf_reset(why);
	if (hop->no_mx || strcmp(var_smtp_host_lookup, "native") == 0)
		return host_addrs(hop->host, hop->port, rt, why);
	return mx_route(hop, rt, why);
}

void
smtpc_route_free(struct smtpc_route *rt)
{
	free(rt->t);
	rt->t = NULL;
	rt->n = 0;
}
