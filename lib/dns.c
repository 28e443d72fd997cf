/*
 * lib/dns.c — asynchronous DNS lookups over libunbound on the libevent loop.
 *
 * libunbound resolves in a thread of its own (ub_ctx_async) and signals
 * answers on ub_fd(); an event on the process's base calls ub_process().
 * Every answer, and every timeout of our own per-query timer, is handed to
 * the caller from a separate event callback, so a callback never runs inside
 * dns_lookup() or inside libunbound.  Record data is untrusted network input:
 * dns_rr_parse() checks every length and drops what does not parse.
 * Errors: set-up errors are results (-1 with text); a lookup that cannot
 * start is logged and returns NULL; answers carry a status, never a crash.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <unbound.h>

#include "dns.h"
#include "log.h"

#define DNS_CLASS_IN	1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_REFUSED 5
#define DNS_WIRE_NAME_MAX 255	/* RFC 1035 3.1, length octets included */
#define DNS_LABEL_MAX	63

struct dns_query {
	struct dns_query *prev, *next;	/* the list of live queries */
	char   *qname;
	int	qtype;
	int	ub_id;		/* libunbound's id while it still works on it */
	int	ub_busy;	/* ub_id is valid (not yet answered) */
	int	ub_err;		/* libunbound's error code, when answered */
	struct ub_result *ub_res;	/* the answer, until delivered */
	int	answered;	/* libunbound called back */
	int	in_cb;		/* the caller's callback is running */
	struct event *ev;	/* our timeout, then the delivery */
	void	(*cb)(void *arg, const struct dns_result *res);
	void   *arg;
};

static struct ub_ctx *dns_ctx;
static struct event_base *dns_base;
static struct event *dns_fd_ev;
static struct dns_query *dns_queries;
static size_t dns_nqueries;
static unsigned dns_timeout = 10;

/* ---- record parsing ------------------------------------------------- */

/* Append c to the presentation name; \DDD for anything not [a-z0-9_-]. */
static int
dns_name_putc(char *out, size_t *olen, unsigned char c)
{
	char	tmp[5];
	size_t	n;

	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_') {
		tmp[0] = (char)c;
		n = 1;
	} else {
		snprintf(tmp, sizeof(tmp), "\\%03u", (unsigned)c);
		n = 4;
	}
	if (*olen + n > DNS_NAME_MAX)
		return (-1);
	memcpy(out + *olen, tmp, n);
	*olen += n;
	out[*olen] = '\0';
	return (0);
}

/*
 * Unpack an uncompressed wire-format name at p[0..len) into out
 * (DNS_NAME_MAX + 1 bytes).  *used = octets consumed.  A compression
 * pointer or an extended label type is malformed (libunbound expands
 * names), so are labels over 63, wire names over 255 octets and
 * presentation forms over DNS_NAME_MAX.
 */
static int
dns_name_unpack(const unsigned char *p, size_t len, size_t *used, char *out)
{
	size_t	pos = 0, wire = 0, olen = 0, i;
	unsigned c;

	out[0] = '\0';
	for (;;) {
		if (pos >= len)
			return (-1);
		c = p[pos++];
		wire++;
		if (c == 0)
			break;
		if ((c & 0xc0) != 0 || c > DNS_LABEL_MAX)
			return (-1);
		if (c > len - pos || wire + c + 1 > DNS_WIRE_NAME_MAX)
			return (-1);
		if (olen > 0) {
			if (olen + 1 > DNS_NAME_MAX)
				return (-1);
			out[olen++] = '.';
			out[olen] = '\0';
		}
		for (i = 0; i < c; i++)
			if (dns_name_putc(out, &olen, p[pos + i]) < 0)
				return (-1);
		pos += c;
		wire += c;
	}
	if (olen == 0)
		strcpy(out, ".");	/* the root */
	*used = pos;
	return (0);
}

/* A name that must fill the rest of the RDATA exactly. */
static int
dns_name_whole(const unsigned char *p, size_t len, char *out)
{
	size_t	used;

	if (dns_name_unpack(p, len, &used, out) < 0 || used != len)
		return (-1);
	return (0);
}

/* TXT: one or more <length><bytes> strings, joined. */
static int
dns_txt_parse(const unsigned char *p, size_t len, struct dns_rr *rr)
{
	size_t	pos = 0, out = 0, n;

	if (len == 0)
		return (-1);
	while (pos < len) {
		n = p[pos++];
		if (n > len - pos)
			return (-1);
		pos += n;
	}
	rr->data = xmalloc(len + 1);
	for (pos = 0; pos < len; pos += n) {
		n = p[pos++];
		memcpy(rr->data + out, p + pos, n);
		out += n;
	}
	rr->data[out] = '\0';
	rr->data_len = out;
	return (0);
}

int
dns_rr_parse(int type, const unsigned char *rdata, size_t len,
    struct dns_rr *rr)
{
	memset(rr, 0, sizeof(*rr));
	rr->type = type;
	if (rdata == NULL && len > 0)
		return (-1);
	switch (type) {
	case DNS_T_A:
		if (len != 4 || inet_ntop(AF_INET, rdata, rr->addr,
		    sizeof(rr->addr)) == NULL)
			return (-1);
		return (0);
	case DNS_T_AAAA:
		if (len != 16 || inet_ntop(AF_INET6, rdata, rr->addr,
		    sizeof(rr->addr)) == NULL)
			return (-1);
		return (0);
	case DNS_T_PTR:
	case DNS_T_CNAME:
		return (dns_name_whole(rdata, len, rr->name));
	case DNS_T_MX:
		if (len < 3)
			return (-1);
		rr->pref = (unsigned)rdata[0] << 8 | rdata[1];
		return (dns_name_whole(rdata + 2, len - 2, rr->name));
	case DNS_T_TXT:
		return (dns_txt_parse(rdata, len, rr));
	case DNS_T_TLSA:
		if (len < 3)
			return (-1);
		rr->data = xmalloc(len + 1);
		memcpy(rr->data, rdata, len);
		rr->data[len] = '\0';
		rr->data_len = len;
		return (0);
	default:
		return (-1);
	}
}

void
dns_rr_release(struct dns_rr *rr)
{
	free(rr->data);
	rr->data = NULL;
	rr->data_len = 0;
}

/* ---- names ---------------------------------------------------------- */

int
dns_reverse_name(const char *addr, const char *suffix, struct strbuf *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	size_t	slen;
	int	i, r = 0;

	strbuf_reset(out);
	if (addr == NULL)
		return (-1);
	if (inet_pton(AF_INET, addr, a) == 1)
		r = strbuf_printf(out, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
	else if (inet_pton(AF_INET6, addr, a) != 1)
		return (-1);
	else if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
		/* IPv4-mapped: the IPv4 client it really is */
		r = strbuf_printf(out, "%u.%u.%u.%u", a[15], a[14], a[13], a[12]);
	else
		for (i = 15; i >= 0 && r == 0; i--)
			r = strbuf_printf(out, "%s%c.%c", i == 15 ? "" : ".",
			    hex[a[i] & 0x0f], hex[a[i] >> 4]);
	if (r == 0 && suffix != NULL && *suffix != '\0') {
		slen = strlen(suffix);
		if (suffix[slen - 1] == '.')
			slen--;
		if (slen > 0 && (strbuf_append_char(out, '.') < 0 ||
		    strbuf_append(out, suffix, slen) < 0))
			r = -1;
	}
	if (r < 0) {
		strbuf_reset(out);
		return (-1);
	}
	return (0);
}

const char *
dns_type_name(int type)
{
	switch (type) {
	case DNS_T_A:		return ("A");
	case DNS_T_CNAME:	return ("CNAME");
	case DNS_T_PTR:		return ("PTR");
	case DNS_T_MX:		return ("MX");
	case DNS_T_TXT:		return ("TXT");
	case DNS_T_AAAA:	return ("AAAA");
	case DNS_T_TLSA:	return ("TLSA");
	default:		return ("unknown");
	}
}

const char *
dns_status_name(enum dns_status status)
{
	switch (status) {
	case DNS_OK:		return ("ok");
	case DNS_NXDOMAIN:	return ("NXDOMAIN");
	case DNS_NODATA:	return ("NODATA");
	case DNS_TEMPFAIL:	return ("TEMPFAIL");
	case DNS_BOGUS:		return ("BOGUS");
	default:		return ("unknown");
	}
}

/* ---- the resolver --------------------------------------------------- */

static void
dns_query_unlink(struct dns_query *q)
{
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		dns_queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
	dns_nqueries--;
}

static void
dns_query_free(struct dns_query *q)
{
	if (q->ub_busy)
		(void)ub_cancel(dns_ctx, q->ub_id);
	if (q->ub_res != NULL)
		ub_resolve_free(q->ub_res);
	event_free(q->ev);
	free(q->qname);
	free(q);
}

/* Turn libunbound's answer into a result with records; rr is allocated. */
static void
dns_result_fill(struct dns_query *q, struct dns_result *res)
{
	struct ub_result *u = q->ub_res;
	size_t	n = 0, i;

	if (q->ub_err != 0 || u == NULL) {
		res->why = q->ub_err != 0 ? ub_strerror(q->ub_err) :
		    "resolver error";
		return;
	}
	res->secure = u->secure;
	if (u->bogus) {
		res->status = DNS_BOGUS;
		res->why = "DNSSEC validation failed";
		return;
	}
	switch (u->rcode) {
	case 0:
		break;
	case DNS_RCODE_NXDOMAIN:
		res->status = DNS_NXDOMAIN;
		res->why = "NXDOMAIN";
		return;
	case DNS_RCODE_SERVFAIL:
		res->why = "SERVFAIL";
		return;
	case DNS_RCODE_REFUSED:
		res->why = "REFUSED";
		return;
	default:
		res->why = "unexpected rcode";
		return;
	}
	if (!u->havedata || u->data == NULL || u->data[0] == NULL) {
		res->status = DNS_NODATA;
		res->why = "no records of that type";
		return;
	}
	while (u->data[n] != NULL)
		n++;
	res->rr = xcalloc(n, sizeof(*res->rr));
	for (i = 0; i < n; i++) {
		struct dns_rr *rr = &res->rr[res->nrr];

		if (u->len[i] < 0 || dns_rr_parse(q->qtype,
		    (const unsigned char *)u->data[i], (size_t)u->len[i],
		    rr) < 0) {
			log_warn("dns: %s/%s: malformed record skipped",
			    q->qname, dns_type_name(q->qtype));
			dns_rr_release(rr);
			continue;
		}
		rr->ttl = u->ttl < 0 ? 0 : (unsigned)u->ttl;
		res->nrr++;
	}
	if (res->nrr == 0) {
		res->why = "malformed records";	/* not "no such records" */
		return;
	}
	res->status = DNS_OK;
	res->why = "ok";
}

/* Our event: the answer is in, or the timeout passed.  Tell the caller. */
static void
dns_deliver(evutil_socket_t fd, short what, void *arg)
{
	struct dns_query *q = arg;
	struct dns_result res;
	size_t	i;

	memset(&res, 0, sizeof(res));
	res.status = DNS_TEMPFAIL;
	res.qname = q->qname;
	res.qtype = q->qtype;
	if (q->answered)
		dns_result_fill(q, &res);
	else
		res.why = "timeout";
	if (q->ub_busy) {		/* timed out: libunbound may stop too */
		(void)ub_cancel(dns_ctx, q->ub_id);
		q->ub_busy = 0;
	}
	/* The query is gone before cb runs: cb may cancel others, start new
	 * ones or even shut the resolver down. */
	dns_query_unlink(q);
	q->in_cb = 1;
	q->cb(q->arg, &res);
	for (i = 0; i < res.nrr; i++)
		dns_rr_release(&res.rr[i]);
	free(res.rr);
	dns_query_free(q);
}

/* libunbound's callback (from ub_process): keep the answer, defer. */
static void
dns_ub_answer(void *arg, int err, struct ub_result *result)
{
	struct dns_query *q = arg;

	q->ub_busy = 0;
	q->answered = 1;
	q->ub_err = err;
	q->ub_res = result;
	evtimer_del(q->ev);
	event_active(q->ev, EV_TIMEOUT, 1);
}

static void
dns_fd_ready(evutil_socket_t fd, short what, void *arg)
{
	int	err;

	if ((err = ub_process(dns_ctx)) != 0)
		log_warn("dns: resolver: %s", ub_strerror(err));
}

struct dns_query *
dns_lookup(const char *name, int type,
    void (*cb)(void *arg, const struct dns_result *res), void *arg)
{
	struct dns_query *q;
	struct timeval tv;
	const char *p;
	int	err;

	if (dns_ctx == NULL) {
		log_warn("dns: lookup of %s before dns_init", name);
		return (NULL);
	}
	if (strcmp(dns_type_name(type), "unknown") == 0 || name == NULL ||
	    *name == '\0' || strlen(name) > DNS_NAME_MAX + 1)
		return (NULL);
	for (p = name; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return (NULL);
	q = xcalloc(1, sizeof(*q));
	q->qname = xstrdup(name);
	q->qtype = type;
	q->cb = cb;
	q->arg = arg;
	q->ev = evtimer_new(dns_base, dns_deliver, q);
	if (q->ev == NULL)
		log_fatal("dns: cannot create a timer event");
	err = ub_resolve_async(dns_ctx, name, type, DNS_CLASS_IN, q,
	    dns_ub_answer, &q->ub_id);
	if (err != 0) {
		log_warn("dns: cannot look up %s/%s: %s", name,
		    dns_type_name(type), ub_strerror(err));
		event_free(q->ev);
		free(q->qname);
		free(q);
		return (NULL);
	}
	/* libunbound answers only through ub_process, but be sure. */
	if (!q->answered) {
		q->ub_busy = 1;
		tv.tv_sec = dns_timeout;
		tv.tv_usec = 0;
		evtimer_add(q->ev, &tv);
	}
	q->next = dns_queries;
	if (dns_queries != NULL)
		dns_queries->prev = q;
	dns_queries = q;
	dns_nqueries++;
	return (q);
}

void
dns_cancel(struct dns_query *q)
{
	if (q == NULL || q->in_cb)	/* its callback is running: freed after */
		return;
	dns_query_unlink(q);
	dns_query_free(q);
}

size_t
dns_pending(void)
{
	return (dns_nqueries);
}

void
dns_set_timeout(unsigned seconds)
{
	dns_timeout = seconds == 0 ? 1 : seconds;
}

void
dns_shutdown(void)
{
	while (dns_queries != NULL)
		dns_cancel(dns_queries);
	if (dns_fd_ev != NULL)
		event_free(dns_fd_ev);
	dns_fd_ev = NULL;
	if (dns_ctx != NULL)
		ub_ctx_delete(dns_ctx);
	dns_ctx = NULL;
	dns_base = NULL;
}

/* Add each "ADDR" or "ADDR@PORT" of servers as a forwarder. */
static int
dns_set_servers(const char *servers, struct strbuf *err)
{
	char   *copy = xstrdup(servers), *tok, *save = NULL, *at;
	unsigned char a[16];
	int	r, n = 0;

	for (tok = strtok_r(copy, ", \t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t\n", &save)) {
		if ((at = strchr(tok, '@')) != NULL)
			*at = '\0';
		if (inet_pton(AF_INET, tok, a) != 1 &&
		    inet_pton(AF_INET6, tok, a) != 1) {
			strbuf_set_printf(err, "DNS server \"%.64s\": not an "
			    "IP address", tok);
			free(copy);
			return (-1);
		}
		if (at != NULL) {
			char   *end;
			long	port = strtol(at + 1, &end, 10);

			if (at[1] == '\0' || *end != '\0' || port < 1 ||
			    port > 65535 || !isdigit((unsigned char)at[1])) {
				strbuf_set_printf(err, "DNS server \"%.64s@%.16s\": "
				    "bad port", tok, at + 1);
				free(copy);
				return (-1);
			}
			*at = '@';
		}
		if ((r = ub_ctx_set_fwd(dns_ctx, tok)) != 0) {
			strbuf_set_printf(err, "DNS server \"%.64s\": %s", tok,
			    ub_strerror(r));
			free(copy);
			return (-1);
		}
		n++;
	}
	free(copy);
	if (n == 0) {
		strbuf_set_str(err, "no DNS server given");
		return (-1);
	}
	return (0);
}

/*
 * libunbound answers these zones itself with NXDOMAIN (RFC 6303, RFC 6761),
 * as a recursive server should.  tegami always forwards to a resolver the
 * administrator chose, so that resolver decides: a site's own PTR records
 * for its RFC 1918 clients must be found, and test setups use 192.0.2.x
 * and "test.".  Kept: localhost., 127.in-addr.arpa., ::1, onion., invalid.
 */
static const char *const dns_unserved_zones[] = {
	"10.in-addr.arpa.", "16.172.in-addr.arpa.", "17.172.in-addr.arpa.",
	"18.172.in-addr.arpa.", "19.172.in-addr.arpa.", "20.172.in-addr.arpa.",
	"21.172.in-addr.arpa.", "22.172.in-addr.arpa.", "23.172.in-addr.arpa.",
	"24.172.in-addr.arpa.", "25.172.in-addr.arpa.", "26.172.in-addr.arpa.",
	"27.172.in-addr.arpa.", "28.172.in-addr.arpa.", "29.172.in-addr.arpa.",
	"30.172.in-addr.arpa.", "31.172.in-addr.arpa.", "168.192.in-addr.arpa.",
	"0.in-addr.arpa.", "254.169.in-addr.arpa.", "2.0.192.in-addr.arpa.",
	"100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.",
	"255.255.255.255.in-addr.arpa.",
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.",
	"b.e.f.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.", "home.arpa.",
	"resolver.arpa.", "service.arpa.", "empty.as112.arpa.", "test.",
	NULL
};

/* The libunbound context, configured.  -1 with err. */
static int
dns_configure(const char *servers, const char *trust_anchor_file,
    struct strbuf *err)
{
	char	zone[32];
	int	r, i;

	/* Threads, not a forked helper; answers come through ub_fd. */
	if ((r = ub_ctx_async(dns_ctx, 1)) != 0) {
		strbuf_set_printf(err, "libunbound: %s", ub_strerror(r));
		return (-1);
	}
	/* Forwarders on loopback (systemd-resolved, a local unbound, the
	 * tests' stub server) are to be asked, not skipped. */
	if ((r = ub_ctx_set_option(dns_ctx, "do-not-query-localhost:",
	    "no")) != 0) {
		strbuf_set_printf(err, "libunbound: %s", ub_strerror(r));
		return (-1);
	}
	if (servers == NULL || *servers == '\0') {
		if ((r = ub_ctx_resolvconf(dns_ctx, NULL)) != 0) {
			strbuf_set_printf(err, "/etc/resolv.conf: %s",
			    ub_strerror(r));
			return (-1);
		}
		if ((r = ub_ctx_hosts(dns_ctx, NULL)) != 0) {
			strbuf_set_printf(err, "/etc/hosts: %s", ub_strerror(r));
			return (-1);
		}
	} else if (dns_set_servers(servers, err) < 0)
		return (-1);
	if (trust_anchor_file != NULL && *trust_anchor_file != '\0' &&
	    (r = ub_ctx_add_ta_file(dns_ctx, trust_anchor_file)) != 0) {
		strbuf_set_printf(err, "trust anchor file %s: %s",
		    trust_anchor_file, ub_strerror(r));
		return (-1);
	}
	/*
	 * Finalize now, not at the first lookup: the trust anchor file is read
	 * while the process still sees it (before chroot and privilege drop)
	 * and a bad one is a start-up error.  The first ub_ctx_zone_remove
	 * finalizes (libunbound has no call for just that).
	 */
	if ((r = ub_ctx_zone_remove(dns_ctx, dns_unserved_zones[0])) != 0) {
		if (trust_anchor_file != NULL && *trust_anchor_file != '\0')
			strbuf_set_printf(err, "resolver start-up (trust anchor "
			    "file %s?): %s", trust_anchor_file, ub_strerror(r));
		else
			strbuf_set_printf(err, "resolver start-up: %s",
			    ub_strerror(r));
		return (-1);
	}
	for (i = 1; dns_unserved_zones[i] != NULL; i++)
		(void)ub_ctx_zone_remove(dns_ctx, dns_unserved_zones[i]);
	for (i = 64; i < 128; i++) {		/* RFC 6598 shared space */
		snprintf(zone, sizeof(zone), "%d.100.in-addr.arpa.", i);
		(void)ub_ctx_zone_remove(dns_ctx, zone);
	}
	/* Named servers decide about loopback names too (a test's DNS
	 * server may give 127.0.0.1 a PTR record); the system resolver
	 * keeps libunbound's own answers for them. */
	if (servers != NULL && *servers != '\0') {
		(void)ub_ctx_zone_remove(dns_ctx, "localhost.");
		(void)ub_ctx_zone_remove(dns_ctx, "127.in-addr.arpa.");
		(void)ub_ctx_zone_remove(dns_ctx, "1.0.0.0.0.0.0.0.0.0.0.0.0.0."
		    "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.");
	}
	return (0);
}

int
dns_init(struct event_base *base, const char *servers,
    const char *trust_anchor_file, struct strbuf *err)
{
	dns_shutdown();
	if ((dns_ctx = ub_ctx_create()) == NULL) {
		strbuf_set_str(err, "libunbound: cannot create a context");
		return (-1);
	}
	if (dns_configure(servers, trust_anchor_file, err) < 0) {
		dns_shutdown();
		return (-1);
	}
	dns_base = base;
	dns_fd_ev = event_new(base, ub_fd(dns_ctx), EV_READ | EV_PERSIST,
	    dns_fd_ready, NULL);
	if (dns_fd_ev == NULL || event_add(dns_fd_ev, NULL) < 0) {
		strbuf_set_str(err, "cannot watch the resolver's descriptor");
		dns_shutdown();
		return (-1);
	}
	return (0);
}
