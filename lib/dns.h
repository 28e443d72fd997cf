/*
 * lib/dns.h — asynchronous DNS lookups over libunbound on the libevent loop.
 *
 * Used by smtpd (reverse lookups, DNSBL, domain checks) and later by
 * smtp-client (MX, A/AAAA, TLSA).  One resolver per process, driven by the
 * process's event_base: no lookup ever blocks the loop.  Answers come back
 * as typed records (struct dns_rr) with an explicit status, so a temporary
 * failure is never mistaken for "does not exist".  The wire data from the
 * network is untrusted: record data is parsed by dns_rr_parse() with
 * bounds checks (fuzzed), and a malformed record is dropped, never fatal.
 */
#ifndef TEGAMI_DNS_H
#define TEGAMI_DNS_H

#include <stddef.h>
#include "strbuf.h"

struct event_base;
struct dns_query;

enum dns_status {
	DNS_OK = 0,		/* records of the type asked for (nrr > 0) */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_NODATA,		/* the name exists, no records of the type */
	DNS_TEMPFAIL,		/* timeout, SERVFAIL, resolver trouble: try later */
	DNS_BOGUS,		/* DNSSEC validation failed */
};

/* RR types tegami asks for. */
#define DNS_T_A		1
#define DNS_T_CNAME	5
#define DNS_T_PTR	12
#define DNS_T_MX	15
#define DNS_T_TXT	16
#define DNS_T_AAAA	28
#define DNS_T_TLSA	52

#define DNS_NAME_MAX	255	/* presentation form, without the final dot */

struct dns_rr {
	int	type;
	unsigned ttl;
	unsigned pref;		/* MX preference */
	char	name[DNS_NAME_MAX + 1];	/* MX exchange, PTR/CNAME target, lower
					 * case, no final dot; the root is
					 * "." (null MX, RFC 7505); a label
					 * byte other than [a-z0-9_-] is
					 * written \DDD */
	char	addr[46];	/* A / AAAA in text form */
	unsigned char *data;	/* TXT: the strings joined (NUL-terminated;
				 * raw bytes from the network: may hold
				 * NUL, CR, LF: escape before use);
				 * TLSA: usage, selector, mtype, data (raw,
				 * the whole RDATA, len >= 3) */
	size_t	data_len;
};

struct dns_result {
	enum dns_status status;
	int	secure;		/* answer validated by DNSSEC */
	const char *why;	/* for logs ("SERVFAIL", "timeout"), static */
	const char *qname;	/* the name asked for */
	int	qtype;
	size_t	nrr;
	struct dns_rr *rr;	/* nrr records, in the order received */
};

/*
 * Start the process's resolver on base.  servers: "" or NULL = the system's
 * /etc/resolv.conf and /etc/hosts; else a list of "ADDR" or "ADDR@PORT"
 * (comma/space separated) to forward to (tests: "127.0.0.1@5353").
 * trust_anchor_file: NULL/"" = no DNSSEC validation.  -1 with err on failure.
 */
int	dns_init(struct event_base *base, const char *servers,
	    const char *trust_anchor_file, struct strbuf *err);

/*
 * Look name up (type DNS_T_*).  cb is always called later from the event
 * loop, exactly once, unless the query is cancelled first; the result and
 * its records are borrowed for the duration of the call.  Returns the
 * query handle (valid until cb runs or dns_cancel), or NULL when the query
 * could not even be started (then cb is not called).
 */
struct dns_query *dns_lookup(const char *name, int type,
	    void (*cb)(void *arg, const struct dns_result *res), void *arg);

/* Forget a query whose answer is no longer wanted (cb will not run). */
void	dns_cancel(struct dns_query *q);

/* Queries started and not yet answered or cancelled (for tests/leaks). */
size_t	dns_pending(void);

/*
 * Our own limit on one lookup, whatever libunbound's retries do: when it
 * passes, the query ends with DNS_TEMPFAIL, why "timeout".  Default 10 s;
 * applies to queries started afterwards.  0 is taken as 1.
 */
void	dns_set_timeout(unsigned seconds);

/*
 * Stop the resolver: pending queries are dropped (their callbacks never
 * run) and libunbound's context is freed.  dns_init may be called again
 * afterwards (tests, or a process that changes servers).  A no-op when the
 * resolver is not running.
 */
void	dns_shutdown(void);

/*
 * The reverse name of an IPv4 or IPv6 address in text form under suffix:
 * ("192.0.2.1", "in-addr.arpa") -> "1.2.0.192.in-addr.arpa";
 * ("192.0.2.1", "zen.example") -> "1.2.0.192.zen.example" (DNSBL); IPv6
 * nibbles under "ip6.arpa" or the DNSBL zone.  -1 for a bad address.
 */
int	dns_reverse_name(const char *addr, const char *suffix,
	    struct strbuf *out);

/*
 * Parse the RDATA of one record of the given type (wire format, as
 * libunbound hands it: compressed names already expanded) into rr.
 * -1 when malformed (the record is then skipped).  rr->data is malloc'd
 * (free with dns_rr_release).  Malformed includes: a compression pointer,
 * a label over 63 octets, a name over 255 octets on the wire or over
 * DNS_NAME_MAX characters once escaped, bytes left over after a name, a
 * TXT length byte past the end, an unsupported type.
 */
int	dns_rr_parse(int type, const unsigned char *rdata, size_t len,
	    struct dns_rr *rr);
void	dns_rr_release(struct dns_rr *rr);

/* "A", "MX", ... for logs. */
const char *dns_type_name(int type);
const char *dns_status_name(enum dns_status status);

#endif
