/*
 * anvil/anvil_table.c — the counting logic of anvil(8), without I/O.
 *
 * Per ident: the number of open connections (held by owners, so a client
 * of anvil that disappears gives its connections back), and connection,
 * message and recipient rates in a window of time_unit seconds that starts
 * with the first event after the previous window ended; then all three
 * start again from zero (Postfix's anvil does the same).
 * Memory is bounded: an ident without connections whose window has ended
 * is removed; idents without connections sit in a list in the order they
 * were last used, so expiry is amortised O(1) per event.  When the table
 * holds `limit` idents, a new one first evicts expired idents, then the
 * least recently used one without connections (its rates are forgotten:
 * counted in the statistics); when every ident has connections the event
 * is refused (-1) and the caller does not limit.  Idents are checked by the
 * caller (length, no NUL); internal inconsistencies panic.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "anvil.h"
#include "log.h"
#include "strbuf.h"

#define ANVIL_BUCKETS_MIN	64

struct anvil_hold;

struct anvil_entry {
	struct anvil_entry *hnext;		/* hash chain */
	TAILQ_ENTRY(anvil_entry) idle;		/* when count == 0 */
	LIST_HEAD(, anvil_hold) holds;		/* owners of the connections */
	uint64_t hash;
	long	count;
	long	conn_rate, msg_rate, rcpt_rate;
	time_t	start;				/* window start */
	time_t	touched;			/* last event */
	char	ident[];
};

/* n connections of one ident held by one owner. */
struct anvil_hold {
	LIST_ENTRY(anvil_hold) by_entry;
	LIST_ENTRY(anvil_hold) by_owner;
	struct anvil_entry *e;
	struct anvil_owner *o;
	long	n;
};

struct anvil_owner {
	struct anvil_table *t;
	LIST_ENTRY(anvil_owner) link;
	LIST_HEAD(, anvil_hold) holds;
};

struct anvil_table {
	struct anvil_entry **buckets;
	size_t	nbuckets;			/* power of two */
	size_t	size;
	size_t	limit;
	long	unit;
	uint64_t seed;
	TAILQ_HEAD(, anvil_entry) idle;		/* oldest touch first */
	LIST_HEAD(, anvil_owner) owners;
	struct anvil_stats stats;
};

/* FNV-1a, seeded per process so that clients cannot aim at one chain. */
static uint64_t
anvil_hash(const struct anvil_table *t, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ t->seed;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

struct anvil_table *
anvil_table_new(long time_unit, size_t limit)
{
	struct anvil_table *t = xcalloc(1, sizeof(*t));

	if (time_unit <= 0 || limit == 0)
		log_panic("anvil_table_new: bad unit %ld or limit %zu",
		    time_unit, limit);
	t->unit = time_unit;
	t->limit = limit;
	t->nbuckets = ANVIL_BUCKETS_MIN;
	t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
	t->seed = ((uint64_t)arc4random() << 32) | arc4random();
	TAILQ_INIT(&t->idle);
	LIST_INIT(&t->owners);
	return (t);
}

static struct anvil_entry *
anvil_find(const struct anvil_table *t, const char *ident, uint64_t h)
{
	struct anvil_entry *e;

	for (e = t->buckets[h & (t->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && strcmp(e->ident, ident) == 0)
			return (e);
	return (NULL);
}

static void
anvil_grow(struct anvil_table *t)
{
	struct anvil_entry **nb, *e, *next;
	size_t	n = t->nbuckets * 2, i;

	nb = xcalloc(n, sizeof(*nb));
	for (i = 0; i < t->nbuckets; i++)
		for (e = t->buckets[i]; e; e = next) {
			next = e->hnext;
			e->hnext = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(t->buckets);
	t->buckets = nb;
	t->nbuckets = n;
}

/* Unlink and free an entry without connections. */
static void
anvil_remove(struct anvil_table *t, struct anvil_entry *e)
{
	struct anvil_entry **pp;

	if (e->count != 0 || !LIST_EMPTY(&e->holds))
		log_panic("anvil_remove: %s still has connections", e->ident);
	for (pp = &t->buckets[e->hash & (t->nbuckets - 1)]; *pp != e;
	    pp = &(*pp)->hnext)
		if (*pp == NULL)
			log_panic("anvil_remove: %s not in its chain", e->ident);
	*pp = e->hnext;
	TAILQ_REMOVE(&t->idle, e, idle);
	t->size--;
	free(e);
}

void
anvil_table_expire(struct anvil_table *t, time_t now)
{
	struct anvil_entry *e;

	/* touched >= start, so touched + unit <= now means the window has
	 * ended; the list is in touch order, so the scan stops early.  An
	 * ident touched later but with an older window goes on a later call. */
	while ((e = TAILQ_FIRST(&t->idle)) != NULL && e->touched + t->unit <= now)
		anvil_remove(t, e);
}

/* The entry for ident, made when absent; NULL when the table is full of
 * idents with connections. */
static struct anvil_entry *
anvil_get(struct anvil_table *t, const char *ident, time_t now)
{
	struct anvil_entry *e;
	uint64_t h = anvil_hash(t, ident);
	size_t	len;

	anvil_table_expire(t, now);
	if ((e = anvil_find(t, ident, h)) != NULL)
		return (e);
	if (t->size >= t->limit) {
		if ((e = TAILQ_FIRST(&t->idle)) == NULL)
			return (NULL);
		anvil_remove(t, e);
		t->stats.evicted++;
	}
	if (t->size >= t->nbuckets)
		anvil_grow(t);
	len = strlen(ident);
	e = xcalloc(1, sizeof(*e) + len + 1);
	memcpy(e->ident, ident, len + 1);
	e->hash = h;
	LIST_INIT(&e->holds);
	e->start = now;
	e->touched = now;
	e->hnext = t->buckets[h & (t->nbuckets - 1)];
	t->buckets[h & (t->nbuckets - 1)] = e;
	TAILQ_INSERT_TAIL(&t->idle, e, idle);	/* count is 0 so far */
	if (++t->size > t->stats.max_size)
		t->stats.max_size = t->size;
	return (e);
}

/* An event happens: a new window when the old one ended; keep the idle
 * list in touch order. */
static void
anvil_touch(struct anvil_table *t, struct anvil_entry *e, time_t now)
{
	if (e->start + t->unit <= now) {
		e->start = now;
		e->conn_rate = e->msg_rate = e->rcpt_rate = 0;
	}
	e->touched = now;
	if (e->count == 0) {
		TAILQ_REMOVE(&t->idle, e, idle);
		TAILQ_INSERT_TAIL(&t->idle, e, idle);
	}
}

static void
anvil_max(long *max, char *max_ident, long value, const char *ident)
{
	if (value > *max) {
		*max = value;
		/* Idents are at most ANVIL_IDENT_MAX bytes (checked by the
		 * caller), and the buffer holds that plus the NUL. */
		strlcpy(max_ident, ident, ANVIL_IDENT_MAX + 1);
	}
}

int
anvil_table_connect(struct anvil_table *t, struct anvil_owner *o,
    const char *ident, time_t now, long *count, long *rate)
{
	struct anvil_entry *e;
	struct anvil_hold *h;

	if ((e = anvil_get(t, ident, now)) == NULL)
		return (-1);
	anvil_touch(t, e, now);
	LIST_FOREACH(h, &e->holds, by_entry)
		if (h->o == o)
			break;
	if (h == NULL) {
		h = xcalloc(1, sizeof(*h));
		h->e = e;
		h->o = o;
		LIST_INSERT_HEAD(&e->holds, h, by_entry);
		LIST_INSERT_HEAD(&o->holds, h, by_owner);
	}
	h->n++;
	if (e->count++ == 0)
		TAILQ_REMOVE(&t->idle, e, idle);
	e->conn_rate++;
	anvil_max(&t->stats.max_count, t->stats.max_count_ident, e->count, ident);
	anvil_max(&t->stats.max_conn_rate, t->stats.max_conn_rate_ident,
	    e->conn_rate, ident);
	*count = e->count;
	*rate = e->conn_rate;
	return (0);
}

int
anvil_table_message(struct anvil_table *t, const char *ident, time_t now,
    long *rate)
{
	struct anvil_entry *e;

	if ((e = anvil_get(t, ident, now)) == NULL)
		return (-1);
	anvil_touch(t, e, now);
	*rate = ++e->msg_rate;
	anvil_max(&t->stats.max_msg_rate, t->stats.max_msg_rate_ident, *rate,
	    ident);
	return (0);
}

int
anvil_table_rcpt(struct anvil_table *t, const char *ident, time_t now,
    long *rate)
{
	struct anvil_entry *e;

	if ((e = anvil_get(t, ident, now)) == NULL)
		return (-1);
	anvil_touch(t, e, now);
	*rate = ++e->rcpt_rate;
	anvil_max(&t->stats.max_rcpt_rate, t->stats.max_rcpt_rate_ident, *rate,
	    ident);
	return (0);
}

/* Give back n connections of a hold; the ident becomes idle at zero. */
static void
anvil_release(struct anvil_table *t, struct anvil_hold *h, long n, time_t now)
{
	struct anvil_entry *e = h->e;

	if (n > h->n || n > e->count)
		log_panic("anvil_release: %s: %ld of %ld/%ld", e->ident, n, h->n,
		    e->count);
	h->n -= n;
	e->count -= n;
	if (h->n == 0) {
		LIST_REMOVE(h, by_entry);
		LIST_REMOVE(h, by_owner);
		free(h);
	}
	if (e->count == 0) {
		e->touched = now;
		TAILQ_INSERT_TAIL(&t->idle, e, idle);
	}
}

void
anvil_table_disconnect(struct anvil_table *t, struct anvil_owner *o,
    const char *ident, time_t now)
{
	struct anvil_entry *e;
	struct anvil_hold *h;

	if ((e = anvil_find(t, ident, anvil_hash(t, ident))) == NULL)
		return;
	LIST_FOREACH(h, &e->holds, by_entry)
		if (h->o == o)
			break;
	if (h != NULL)
		anvil_release(t, h, 1, now);
	anvil_table_expire(t, now);
}

struct anvil_owner *
anvil_owner_new(struct anvil_table *t)
{
	struct anvil_owner *o = xcalloc(1, sizeof(*o));

	o->t = t;
	LIST_INIT(&o->holds);
	LIST_INSERT_HEAD(&t->owners, o, link);
	return (o);
}

void
anvil_owner_free(struct anvil_owner *o, time_t now)
{
	struct anvil_hold *h;

	if (o == NULL)
		return;
	while ((h = LIST_FIRST(&o->holds)) != NULL)
		anvil_release(o->t, h, h->n, now);
	LIST_REMOVE(o, link);
	free(o);
}

void
anvil_table_free(struct anvil_table *t)
{
	struct anvil_owner *o;
	struct anvil_entry *e, *next;
	size_t	i;

	if (t == NULL)
		return;
	while ((o = LIST_FIRST(&t->owners)) != NULL)
		anvil_owner_free(o, 0);
	for (i = 0; i < t->nbuckets; i++)
		for (e = t->buckets[i]; e; e = next) {
			next = e->hnext;
			free(e);
		}
	free(t->buckets);
	free(t);
}

size_t
anvil_table_size(const struct anvil_table *t)
{
	return (t->size);
}

int
anvil_table_peek(const struct anvil_table *t, const char *ident, time_t now,
    long *count, long *conn_rate, long *msg_rate, long *rcpt_rate)
{
	const struct anvil_entry *e = anvil_find(t, ident, anvil_hash(t, ident));
	int	live;

	if (e == NULL)
		return (-1);
	live = e->start + t->unit > now;
	*count = e->count;
	*conn_rate = live ? e->conn_rate : 0;
	*msg_rate = live ? e->msg_rate : 0;
	*rcpt_rate = live ? e->rcpt_rate : 0;
	return (0);
}

void
anvil_table_stats(struct anvil_table *t, struct anvil_stats *out)
{
	*out = t->stats;
	memset(&t->stats, 0, sizeof(t->stats));
	t->stats.max_size = t->size;
}
