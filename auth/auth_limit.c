/*
 * auth/auth_limit.c — the failed-login table of auth(8).
 *
 * Keys are "addr:<client address>" and "user:<login>"; each remembers the
 * failures since its window started (the first failure after the previous
 * window ended).  The table is bounded: when full, expired entries go;
 * when every entry is live, a new key is not counted (fail open: the
 * limit is a brake, the password is the lock).  No I/O; unit-tested.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define LIMIT_BUCKETS	4096

struct limit_entry {
	struct limit_entry *next;
	time_t	start;			/* window start */
	long	failures;
	char	key[];
};

struct auth_limit {
	struct limit_entry *bucket[LIMIT_BUCKETS];
	long	max_failures;
	long	window;
	long	delay_max;
	size_t	limit;
	size_t	size;
};

static unsigned
limit_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h % LIMIT_BUCKETS);
}

struct auth_limit *
auth_limit_new(long max_failures, long window, long delay_max,
    size_t table_limit)
{
	struct auth_limit *l = xcalloc(1, sizeof(*l));

	l->max_failures = max_failures;
	l->window = window;
	l->delay_max = delay_max;
	l->limit = table_limit;
	return (l);
}

void
auth_limit_free(struct auth_limit *l)
{
	struct limit_entry *e, *n;
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < LIMIT_BUCKETS; i++)
		for (e = l->bucket[i]; e != NULL; e = n) {
			n = e->next;
			free(e);
		}
	free(l);
}

static int
limit_expired(const struct auth_limit *l, const struct limit_entry *e,
    time_t now)
{
	return (now - e->start >= l->window || now < e->start);
}

static struct limit_entry *
limit_find(struct auth_limit *l, const char *key)
{
	struct limit_entry *e;

	for (e = l->bucket[limit_hash(key)]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return (e);
	return (NULL);
}

static void
limit_purge(struct auth_limit *l, time_t now)
{
	struct limit_entry **pp, *e;
	size_t i;

	for (i = 0; i < LIMIT_BUCKETS; i++)
		for (pp = &l->bucket[i]; (e = *pp) != NULL;) {
			if (limit_expired(l, e, now)) {
				*pp = e->next;
				free(e);
				l->size--;
			} else
				pp = &e->next;
		}
}

int
auth_limit_blocked(struct auth_limit *l, const char *key, time_t now)
{
	struct limit_entry *e = limit_find(l, key);

	return (e != NULL && !limit_expired(l, e, now) &&
	    e->failures >= l->max_failures);
}

long
auth_limit_fail(struct auth_limit *l, const char *key, time_t now)
{
	struct limit_entry *e = limit_find(l, key);
	size_t n;
	unsigned h;

	if (e == NULL) {
		if (l->size >= l->limit)
			limit_purge(l, now);
		if (l->size >= l->limit)
			return (0);
		n = strlen(key);
		e = xmalloc(sizeof(*e) + n + 1);
		memcpy(e->key, key, n + 1);
		e->start = now;
		e->failures = 0;
		h = limit_hash(key);
		e->next = l->bucket[h];
		l->bucket[h] = e;
		l->size++;
	} else if (limit_expired(l, e, now)) {
		e->start = now;
		e->failures = 0;
	}
	return (++e->failures);
}

void
auth_limit_clear(struct auth_limit *l, const char *key)
{
	struct limit_entry **pp, *e;

	for (pp = &l->bucket[limit_hash(key)]; (e = *pp) != NULL;
	    pp = &e->next)
		if (strcmp(e->key, key) == 0) {
			*pp = e->next;
			free(e);
			l->size--;
			return;
		}
}

long
auth_limit_delay(const struct auth_limit *l, long n)
{
	long d = 1;

	if (n <= 0)
		return (0);
	while (--n > 0 && d < l->delay_max)
		d *= 2;
	return (d < l->delay_max ? d : l->delay_max);
}

size_t
auth_limit_size(const struct auth_limit *l)
{
	return (l->size);
}
