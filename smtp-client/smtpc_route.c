/*
 * smtp-client/smtpc_route.c — from qmgr's next hop to the addresses to try.
 *
 * "[host]:port" and "[host]" are used as given (no MX lookup); "host:port"
 * and "host" get an MX lookup (smtp_host_lookup = dns): MX records by
 * preference, random among equals, the domain's own addresses when it has
 * none (the implicit MX), a null MX (RFC 7505) bounced at once.  With
 * smtp_host_lookup = native the host is given to getaddrinfo (/etc/hosts).
 * DNS answers come from lib/dns.c, which checks them; this file trusts the
 * parsed records but not their content (a name may be anything: an MX
 * that names an address literal is skipped, as RFC 5321 5.1 wants a host
 * name).  Lookups run on the process's event loop: the MX query, then the
 * A and AAAA queries of every MX host at once (inet_protocols decides
 * which), and the answers are put in MX order.  XXX smtp_host_lookup =
 * native calls getaddrinfo(), which blocks the loop while /etc/hosts (or
 * the system resolver) answers.  Errors are results, never fatal.
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
#include "server.h"
#include "smtp.h"

static int want_v4 = 1, want_v6 = 1;	/* inet_protocols */
static int lookup_dns = 1, lookup_native;	/* smtp_host_lookup */

void
smtpc_route_init(void)
{
	struct strbuf err;

	char **list;
	size_t n, i;

	/* "dns", "native", or both in order of preference ("dns, native":
	 * a name DNS does not know is looked up natively too). */
	list = conf_split_list(var_smtp_host_lookup, &n);
	lookup_dns = lookup_native = 0;
	for (i = 0; i < n; i++) {
		if (strcasecmp(list[i], "dns") == 0)
			lookup_dns = 1;
		else if (strcasecmp(list[i], "native") == 0)
			lookup_native = 1;
		else
			n = 0;
	}
	conf_free_list(list);
	if (!lookup_dns && !lookup_native)
		log_fatal("smtp_host_lookup: \"%s\": expected dns, native, or "
		    "\"dns, native\"", var_smtp_host_lookup);
	if (mail_params_inet_protocols(&want_v4, &want_v6) < 0)
		log_fatal("inet_protocols: \"%s\": expected all, ipv4, ipv6 or "
		    "\"ipv4, ipv6\"", var_inet_protocols);
	strbuf_init(&err, 1024);
	if (dns_init(server_event_base(), var_smtp_dns_servers,
	    var_smtp_dnssec_anchor, &err) < 0)
		log_fatal("parameter dns_nameservers: %s", err.data);
	strbuf_release(&err);
}

int
smtpc_hop_parse(const char *nexthop, int lmtp, struct smtpc_hop *hop,
    struct strbuf *why)
{
	const char *p = nexthop, *end, *port = NULL;
	size_t n;
	char *ep;
	long v;

	memset(hop, 0, sizeof(*hop));
	hop->port = lmtp ? 24 : 25;
	if (lmtp) {
		/* Postfix's LMTP forms: unix:PATH, inet:HOST[:PORT], and the
		 * plain HOST[:PORT]; no MX lookup (lmtp(8)). */
		hop->no_mx = 1;
		if (strncmp(p, "unix:", 5) == 0) {
			if (p[5] == '\0' || strlcpy(hop->path, p + 5,
			    sizeof(hop->path)) >= sizeof(hop->path)) {
				strbuf_set_printf(why, "bad next hop \"%.100s\"", nexthop);
				return -1;
			}
			strlcpy(hop->host, "localhost", sizeof(hop->host));
			return 0;
		}
		if (strncmp(p, "inet:", 5) == 0)
			p += 5;
	}
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

/* ---- asynchronous lookups ---- */

struct route_host;

struct route_q {			/* one A or AAAA query */
	struct smtpc_route_req *rq;
	struct route_host *h;
	int	type;
	struct dns_query *q;
};

struct route_host {			/* an MX host (or the host itself) */
	char	name[DNS_NAME_MAX + 1];
	struct route_q q[2];
	enum dns_status st[2];
	int	secure;			/* every answer was validated */
	size_t	naddr;
	char	(*addr)[46];
};

struct smtpc_route_req {
	struct smtpc_hop hop;
	smtpc_route_cb cb;
	void   *arg;
	struct dns_query *mxq;
	int	from_mx;		/* hosts came from MX records */
	int	mx_secure;
	struct route_host *h;
	size_t	nh, pending;
	struct event *ev;		/* completion from the loop */
	enum smtpc_route_status st;
	struct smtpc_route rt;
	struct strbuf why;
	int	native_tried;		/* "dns, native": the second way ran */
};

static void native_route(struct smtpc_route_req *rq);

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
    unsigned port, int dnssec)
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
	memset(t, 0, sizeof(*t));
	strlcpy(t->host, host, sizeof(t->host));
	strlcpy(t->addr, addr, sizeof(t->addr));
	t->port = port;
	t->dnssec = dnssec;
}

static void
req_free(struct smtpc_route_req *rq)
{
	size_t i, k;

	if (rq->mxq != NULL)
		dns_cancel(rq->mxq);
	for (i = 0; i < rq->nh; i++) {
		for (k = 0; k < 2; k++)
			if (rq->h[i].q[k].q != NULL)
				dns_cancel(rq->h[i].q[k].q);
		free(rq->h[i].addr);
	}
	free(rq->h);
	if (rq->ev != NULL)
		event_free(rq->ev);
	smtpc_route_free(&rq->rt);
	strbuf_release(&rq->why);
	free(rq);
}

static void
req_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct smtpc_route_req *rq = arg;

	(void)fd;
	(void)what;
	rq->cb(rq->arg, rq->st, &rq->rt, rq->why.data);
	req_free(rq);
}

/* Finish: the callback runs from the loop, never inside start(). */
static void
req_done(struct smtpc_route_req *rq, enum smtpc_route_status st,
    const char *dsn)
{
	struct timeval now = { 0, 0 };

	/* "dns, native": a name DNS says does not exist (or has no address)
	 * may still be in /etc/hosts. */
	if (st == SMTPC_ROUTE_BOUNCE && lookup_dns && lookup_native &&
	    !rq->native_tried && !rq->from_mx && dsn != NULL &&
	    strcmp(dsn, "5.1.2") == 0) {
		rq->native_tried = 1;
		strbuf_reset(&rq->why);
		native_route(rq);
		return;
	}
	rq->st = st;
	if (dsn != NULL)
		strlcpy(rq->rt.dsn, dsn, sizeof(rq->rt.dsn));
	if (st == SMTPC_ROUTE_OK)
		strbuf_reset(&rq->why);
	if ((rq->ev = evtimer_new(server_event_base(), req_deliver, rq)) == NULL)
		log_fatal("cannot make a timer");
	evtimer_add(rq->ev, &now);
}

/* Every host answered: the addresses in host order. */
static void
hosts_done(struct smtpc_route_req *rq)
{
	int defer = 0;
	size_t i, k;

	for (i = 0; i < rq->nh; i++) {
		struct route_host *h = &rq->h[i];

		for (k = 0; k < h->naddr; k++)
			add_target(&rq->rt, h->name, h->addr[k], rq->hop.port,
			    h->secure && (!rq->from_mx || rq->mx_secure));
		for (k = 0; k < 2; k++) {
			if (h->st[k] == DNS_TEMPFAIL || h->st[k] == DNS_BOGUS)
				defer = 1;
			if (h->st[k] != DNS_OK && h->naddr == 0 &&
			    (rq->why.len == 0 || h->st[k] != DNS_NODATA))
				strbuf_set_printf(&rq->why, "Host or domain name not "
				    "found. Name service error for name=%s type=%s: %s",
				    h->name, dns_type_name(h->q[k].type),
				    dns_text(h->st[k]));
		}
	}
	if (rq->rt.n > 0) {
		req_done(rq, SMTPC_ROUTE_OK, NULL);
		return;
	}
	if (rq->why.len == 0)
		strbuf_set_printf(&rq->why, "no address for any MX host of %s",
		    rq->hop.host);
	req_done(rq, defer ? SMTPC_ROUTE_DEFER : SMTPC_ROUTE_BOUNCE, defer ?
	    "4.4.3" : rq->from_mx ? "5.4.4" : "5.1.2");
}

static void
host_answer(void *arg, const struct dns_result *res)
{
	struct route_q *q = arg;
	struct route_host *h = q->h;
	struct smtpc_route_req *rq = q->rq;
	int k = q == &h->q[0] ? 0 : 1;
	size_t i;

	q->q = NULL;
	h->st[k] = res->status;
	if (!res->secure)
		h->secure = 0;
	for (i = 0; i < res->nrr; i++) {
		if (res->rr[i].type != res->qtype)
			continue;	/* CNAMEs on the way */
		h->addr = reallocarray(h->addr, h->naddr + 1, sizeof(*h->addr));
		if (h->addr == NULL)
			log_fatal("out of memory");
		strlcpy(h->addr[h->naddr++], res->rr[i].addr, sizeof(h->addr[0]));
	}
	if (res->status == DNS_OK && h->naddr == 0)
		h->st[k] = DNS_NODATA;
	if (--rq->pending == 0)
		hosts_done(rq);
}

/* Start the A/AAAA lookups of every host in rq->h. */
static void
hosts_start(struct smtpc_route_req *rq)
{
	size_t i;
	int k;

	for (i = 0; i < rq->nh; i++) {
		struct route_host *h = &rq->h[i];

		h->secure = 1;
		for (k = 0; k < 2; k++) {
			h->q[k].rq = rq;
			h->q[k].h = h;
			h->q[k].type = k == 0 ? DNS_T_A : DNS_T_AAAA;
			h->st[k] = DNS_NODATA;
			if ((k == 0 && !want_v4) || (k == 1 && !want_v6))
				continue;
			rq->pending++;
			h->q[k].q = dns_lookup(h->name, h->q[k].type, host_answer,
			    &h->q[k]);
			if (h->q[k].q == NULL) {
				rq->pending--;
				h->st[k] = DNS_TEMPFAIL;
			}
		}
	}
	if (rq->pending == 0)
		hosts_done(rq);
}

static void
hosts_add(struct smtpc_route_req *rq, const char *name)
{
	rq->h = reallocarray(rq->h, rq->nh + 1, sizeof(*rq->h));
	if (rq->h == NULL)
		log_fatal("out of memory");
	memset(&rq->h[rq->nh], 0, sizeof(rq->h[0]));
	strlcpy(rq->h[rq->nh].name, name, sizeof(rq->h[0].name));
	rq->nh++;
}

static int
is_literal(const char *host)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

static void
mx_answer(void *arg, const struct dns_result *res)
{
	struct smtpc_route_req *rq = arg;
	unsigned pref[64];
	size_t order[64], idx[64], i, n = 0;

	rq->mxq = NULL;
	if (res->status == DNS_NXDOMAIN || res->status == DNS_TEMPFAIL ||
	    res->status == DNS_BOGUS) {
		strbuf_set_printf(&rq->why, "Host or domain name not found. Name "
		    "service error for name=%s type=MX: %s", rq->hop.host,
		    dns_text(res->status));
		req_done(rq, res->status == DNS_NXDOMAIN ? SMTPC_ROUTE_BOUNCE :
		    SMTPC_ROUTE_DEFER, res->status == DNS_NXDOMAIN ? "5.1.2" :
		    "4.4.3");
		return;
	}
	for (i = 0; i < res->nrr && n < 64; i++)
		if (res->rr[i].type == DNS_T_MX) {
			pref[n] = res->rr[i].pref;
			idx[n++] = i;
		}
	if (n == 0) {
		/* RFC 5321 5.1: no MX, the domain itself is the implicit MX. */
		hosts_add(rq, rq->hop.host);
		hosts_start(rq);
		return;
	}
	/* RFC 7505: an MX "." says the domain takes no mail. */
	for (i = 0; i < n; i++) {
		const char *name = res->rr[idx[i]].name;

		if (strcmp(name, ".") == 0 || name[0] == '\0') {
			strbuf_set_printf(&rq->why, "Domain %s does not accept mail "
			    "(nullMX)", rq->hop.host);
			req_done(rq, SMTPC_ROUTE_BOUNCE, "5.1.10");
			return;
		}
	}
	rq->from_mx = 1;
	rq->mx_secure = res->secure;
	smtpc_mx_order(pref, n, order);
	for (i = 0; i < n && rq->nh < (size_t)var_smtp_mx_address_limit; i++) {
		const char *name = res->rr[idx[order[i]]].name;

		if (is_literal(name)) {
			log_warn("%s: MX host %s is an address, not a host name: "
			    "skipped", rq->hop.host, name);
			continue;
		}
		hosts_add(rq, name);
	}
	if (rq->nh == 0) {
		strbuf_set_printf(&rq->why, "no usable MX host for %s: every MX "
		    "record names an address", rq->hop.host);
		req_done(rq, SMTPC_ROUTE_BOUNCE, "5.4.4");
		return;
	}
	hosts_start(rq);
}

/* getaddrinfo: /etc/hosts and the system's resolver. */
static void
native_route(struct smtpc_route_req *rq)
{
	struct addrinfo hints, *res = NULL, *ai;
	const char *host = rq->hop.host;
	char addr[64];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_family = want_v4 && want_v6 ? AF_UNSPEC : want_v4 ? AF_INET :
	    AF_INET6;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		int hard = rc == EAI_NONAME
#ifdef EAI_NODATA
		    || rc == EAI_NODATA
#endif
		    ;

		strbuf_set_printf(&rq->why, "Host or domain name not found. Name "
		    "service error for name=%s type=A: %s", host,
		    hard ? "Host not found" : "Host not found, try again");
		req_done(rq, hard ? SMTPC_ROUTE_BOUNCE : SMTPC_ROUTE_DEFER,
		    hard ? "5.1.2" : "4.4.3");
		return;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr),
		    NULL, 0, NI_NUMERICHOST) == 0)
			add_target(&rq->rt, host, addr, rq->hop.port, 0);
	freeaddrinfo(res);
	if (rq->rt.n > 0) {
		req_done(rq, SMTPC_ROUTE_OK, NULL);
		return;
	}
	strbuf_set_printf(&rq->why, "Host or domain name not found: %s", host);
	req_done(rq, SMTPC_ROUTE_BOUNCE, "5.1.2");
}

struct smtpc_route_req *
smtpc_route_start(const struct smtpc_hop *hop, smtpc_route_cb cb, void *arg)
{
	struct smtpc_route_req *rq = calloc(1, sizeof(*rq));

	if (rq == NULL)
		log_fatal("out of memory");
	rq->hop = *hop;
	rq->cb = cb;
	rq->arg = arg;
	strbuf_init(&rq->why, 4096);
	if (hop->path[0] != '\0') {
		struct smtpc_target t;

		memset(&t, 0, sizeof(t));
		strlcpy(t.host, hop->host, sizeof(t.host));
		strlcpy(t.path, hop->path, sizeof(t.path));
		rq->rt.t = malloc(sizeof(t));
		if (rq->rt.t == NULL)
			log_fatal("out of memory");
		rq->rt.t[0] = t;
		rq->rt.n = 1;
		req_done(rq, SMTPC_ROUTE_OK, NULL);
	} else if (is_literal(hop->host)) {
		/* An address literal is its own address. */
		add_target(&rq->rt, hop->host, hop->host, hop->port, 0);
		req_done(rq, SMTPC_ROUTE_OK, NULL);
	} else if (!lookup_dns) {
		rq->native_tried = 1;
		native_route(rq);
	} else if (hop->no_mx) {
		hosts_add(rq, hop->host);
		hosts_start(rq);
	} else if ((rq->mxq = dns_lookup(hop->host, DNS_T_MX, mx_answer,
	    rq)) == NULL) {
		strbuf_set_printf(&rq->why, "Host or domain name not found. Name "
		    "service error for name=%s type=MX: %s", hop->host,
		    dns_text(DNS_TEMPFAIL));
		req_done(rq, SMTPC_ROUTE_DEFER, "4.4.3");
	}
	return rq;
}

void
smtpc_route_cancel(struct smtpc_route_req *rq)
{
	if (rq != NULL)
		req_free(rq);
}

void
smtpc_route_free(struct smtpc_route *rt)
{
	free(rt->t);
	rt->t = NULL;
	rt->n = 0;
}
