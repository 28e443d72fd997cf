/*
 * smtpd/smtpd_check_dns.c — the per-session cache of DNS answers that the
 * restriction evaluator reads, and the client's reverse/forward names.
 *
 * An element asks the cache for (name, type); when the answer is not there
 * the lookup is started (once) and the element answers PENDING.  When
 * every lookup started for the session has been answered, the session's
 * wake-up runs and the engine calls the policy hook again, which finds the
 * answers here.  The cache is bounded (SMTPD_DNS_MAX_ENTRIES; the oldest
 * answered entry goes first) and frees and cancels everything with the
 * session.  Answers are network data: names and addresses are copied as
 * the DNS module parsed them, TXT text is cut to printable ASCII and a
 * bounded length before it can reach a reply line.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns.h"
#include "log.h"
#include "smtpd_check_int.h"

#define ANSWER_MAX_RR	32	/* records kept per answer */
#define TXT_MAX		255	/* TXT bytes kept for a reply */

const struct smtpd_dns_resolver *smtpd_dns_resolver;

struct dns_entry {
	struct dns_entry *next;
	struct smtpd_dns *owner;
	char   *name;
	int	type;
	int	done;
	int	pending;	/* counted in npending */
	void   *query;		/* while pending with a resolver */
	struct smtpd_dns_answer a;
};

struct smtpd_dns {
	struct dns_entry *head, *tail;	/* oldest first */
	size_t	n, npending;
	int	waiting;
	void	(*wakeup)(void *);
	void   *arg;
};

struct smtpd_dns *
smtpd_dns_new(void (*wakeup)(void *), void *arg)
{
	struct smtpd_dns *d = xcalloc(1, sizeof(*d));

	d->wakeup = wakeup;
	d->arg = arg;
	return (d);
}

static void
answer_release(struct smtpd_dns_answer *a)
{
	size_t	i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	free(a->pref);
	free(a->txt);
	memset(a, 0, sizeof(*a));
}

static void
entry_free(struct dns_entry *e)
{
	if (e->pending && e->query != NULL && smtpd_dns_resolver != NULL)
		smtpd_dns_resolver->cancel(e->query);
	answer_release(&e->a);
	free(e->name);
	free(e);
}

void
smtpd_dns_free(struct smtpd_dns *d)
{
	struct dns_entry *e, *next;

	if (d == NULL)
		return;
	for (e = d->head; e != NULL; e = next) {
		next = e->next;
		entry_free(e);
	}
	free(d);
}

static struct dns_entry *
entry_find(const struct smtpd_dns *d, const char *name, int type)
{
	struct dns_entry *e;

	for (e = d->head; e != NULL; e = e->next)
		if (e->type == type && strcasecmp(e->name, name) == 0)
			return (e);
	return (NULL);
}

/* Make room: drop the oldest answered entry.  -1 when all are pending. */
static int
entry_evict(struct smtpd_dns *d)
{
	struct dns_entry *e, *prev = NULL;

	for (e = d->head; e != NULL; prev = e, e = e->next)
		if (e->done)
			break;
	if (e == NULL)
		return (-1);
	if (prev == NULL)
		d->head = e->next;
	else
		prev->next = e->next;
	if (d->tail == e)
		d->tail = prev;
	d->n--;
	entry_free(e);
	return (0);
}

static struct dns_entry *
entry_add(struct smtpd_dns *d, const char *name, int type)
{
	struct dns_entry *e;

	if (d->n >= SMTPD_DNS_MAX_ENTRIES && entry_evict(d) < 0)
		return (NULL);
	e = xcalloc(1, sizeof(*e));
	e->owner = d;
	e->name = xstrdup(name);
	e->type = type;
	if (d->tail != NULL)
		d->tail->next = e;
	else
		d->head = e;
	d->tail = e;
	d->n++;
	return (e);
}

static void
entry_set(struct dns_entry *e, int status, const char *const *v,
    const unsigned *pref, size_t n, const char *txt)
{
	size_t	i, j;

	answer_release(&e->a);
	e->a.status = status;
	if (n > ANSWER_MAX_RR)
		n = ANSWER_MAX_RR;
	e->a.v = xcalloc(n + 1, sizeof(*e->a.v));
	e->a.pref = xcalloc(n + 1, sizeof(*e->a.pref));
	for (i = 0; i < n; i++) {
		e->a.v[i] = xstrdup(v[i] ? v[i] : "");
		e->a.pref[i] = pref ? pref[i] : 0;
	}
	e->a.n = n;
	if (txt != NULL) {
		e->a.txt = xstrndup(txt, TXT_MAX);
		for (j = 0; e->a.txt[j] != '\0'; j++)
			if ((unsigned char)e->a.txt[j] < 0x20 ||
			    (unsigned char)e->a.txt[j] > 0x7e)
				e->a.txt[j] = '?';
	}
	if (e->pending) {
		e->pending = 0;
		e->owner->npending--;
	}
	e->done = 1;
	e->query = NULL;
}

static void
dns_maybe_wake(struct smtpd_dns *d)
{
	if (d->waiting && d->npending == 0) {
		d->waiting = 0;
		if (d->wakeup != NULL)
			d->wakeup(d->arg);
	}
}

/* The resolver's callback. */
static void
entry_answer(void *arg, const struct dns_result *res)
{
	struct dns_entry *e = arg;
	const char *v[ANSWER_MAX_RR];
	unsigned pref[ANSWER_MAX_RR];
	const char *txt = NULL;
	size_t	i, n = 0;

	for (i = 0; res->status == DNS_OK && i < res->nrr && n < ANSWER_MAX_RR;
	    i++) {
		const struct dns_rr *rr = &res->rr[i];

		if (rr->type != e->type)
			continue;	/* CNAMEs on the way */
		if (rr->type == DNS_T_A || rr->type == DNS_T_AAAA)
			v[n] = rr->addr;
		else if (rr->type == DNS_T_TXT) {
			if (txt == NULL && rr->data != NULL)
				txt = (const char *)rr->data;
			v[n] = "";
		} else
			v[n] = rr->name;
		pref[n++] = rr->pref;
	}
	entry_set(e, res->status == DNS_OK && n == 0 ? DNS_NODATA :
	    (int)res->status, v, pref, n, txt);
	dns_maybe_wake(e->owner);
}

const struct smtpd_dns_answer *
smtpd_dns_get(struct smtpd_dns *d, const char *name, int type)
{
	static const struct smtpd_dns_answer tempfail = { DNS_TEMPFAIL, 0, NULL,
	    NULL, NULL };
	struct dns_entry *e;

	if (d == NULL)
		return (&tempfail);
	if ((e = entry_find(d, name, type)) != NULL)
		return (e->done ? &e->a : NULL);
	if ((e = entry_add(d, name, type)) == NULL)
		return (&tempfail);	/* every slot pending: try later */
	if (smtpd_dns_resolver == NULL) {
		e->pending = 1;		/* offline: smtpd_dns_put() answers */
		d->npending++;
		return (NULL);
	}
	e->query = smtpd_dns_resolver->lookup(name, type, entry_answer, e);
	if (e->query == NULL) {
		entry_set(e, DNS_TEMPFAIL, NULL, NULL, 0, NULL);
		return (&e->a);
	}
	e->pending = 1;
	d->npending++;
	return (NULL);
}

void
smtpd_dns_put(struct smtpd_dns *d, const char *name, int type, int status,
    const char *const *v, size_t n, const char *txt)
{
	struct dns_entry *e = entry_find(d, name, type);

	if (e == NULL && (e = entry_add(d, name, type)) == NULL)
		return;
	if (e->pending && e->query != NULL && smtpd_dns_resolver != NULL)
		smtpd_dns_resolver->cancel(e->query);
	entry_set(e, status, v, NULL, n, txt);
	dns_maybe_wake(d);
}

size_t
smtpd_dns_pending(const struct smtpd_dns *d)
{
	return (d ? d->npending : 0);
}

void
smtpd_dns_pending_names(const struct smtpd_dns *d, struct strbuf *out)
{
	struct dns_entry *e;

	strbuf_reset(out);
	for (e = d ? d->head : NULL; e != NULL; e = e->next)
		if (!e->done)
			(void)strbuf_printf(out, "%s%s/%s", out->len ? " " : "",
			    e->name, dns_type_name(e->type));
}

void
smtpd_dns_wait(struct smtpd_dns *d)
{
	d->waiting = d->npending > 0;
}

/* Is text (A/AAAA) the same address as addr? */
static int
same_addr(const char *a, const char *b)
{
	unsigned char x[16], y[16];
	int	fam = strchr(a, ':') ? AF_INET6 : AF_INET;

	if (inet_pton(fam, a, x) != 1 || inet_pton(fam, b, y) != 1)
		return (0);
	return (memcmp(x, y, fam == AF_INET ? 4 : 16) == 0);
}

int
smtpd_dns_client_names(struct smtpd_dns *d, const char *addr,
    const char **name, int *name_status, const char **rev, int *rev_status)
{
	const struct smtpd_dns_answer *ptr, *fwd;
	struct strbuf q;
	int	v6 = strchr(addr, ':') != NULL;
	size_t	i;

	*name = *rev = "unknown";
	*name_status = *rev_status = SMTPD_PEER_PERM;
	strbuf_init(&q, 1024);
	if (dns_reverse_name(addr, v6 ? "ip6.arpa" : "in-addr.arpa", &q) < 0) {
		strbuf_release(&q);
		return (1);
	}
	ptr = smtpd_dns_get(d, q.data, DNS_T_PTR);
	strbuf_release(&q);
	if (ptr == NULL)
		return (0);
	if (ptr->status == DNS_TEMPFAIL) {
		*name_status = *rev_status = SMTPD_PEER_TEMP;
		return (1);
	}
	if (ptr->status != DNS_OK || ptr->n == 0)
		return (1);
	if (!smtpd_valid_hostname(ptr->v[0])) {
		log_warn("%s: malformed domain name in PTR record: %.100s", addr,
		    ptr->v[0]);
		return (1);
	}
	*rev = ptr->v[0];
	*rev_status = SMTPD_PEER_OK;
	fwd = smtpd_dns_get(d, ptr->v[0], v6 ? DNS_T_AAAA : DNS_T_A);
	if (fwd == NULL)
		return (0);
	if (fwd->status == DNS_TEMPFAIL) {
		*name_status = SMTPD_PEER_TEMP;
		return (1);
	}
	for (i = 0; fwd->status == DNS_OK && i < fwd->n; i++)
		if (same_addr(fwd->v[i], addr)) {
			*name = ptr->v[0];
			*name_status = SMTPD_PEER_OK;
			return (1);
		}
	log_warn("hostname %s does not resolve to address %s", ptr->v[0], addr);
	return (1);
}
