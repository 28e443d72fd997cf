/*
 * lib/strbuf.c — growable byte buffer with a hard maximum, and the x*alloc
 * helpers.
 *
 * Every module that handles untrusted bytes accumulates them here: the
 * maximum given at creation is the only limit, and an append that would
 * pass it fails with -1 leaving the buffer unchanged.  Size arithmetic is
 * overflow-checked.  Allocation failure is fatal (log_fatal), as in Postfix;
 * everything else is returned.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "strbuf.h"

#define STRBUF_MINCAP	64

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		log_fatal("out of memory allocating %zu bytes", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		log_fatal("out of memory allocating %zu x %zu bytes", nmemb, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		log_fatal("out of memory reallocating %zu bytes", n);
	return q;
}

void *
xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		log_fatal("allocation overflow: %zu x %zu", nmemb, size);
	return xrealloc(p, nmemb * size);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
strbuf_init(struct strbuf *sb, size_t max)
{
	sb->cap = STRBUF_MINCAP;
	sb->data = xmalloc(sb->cap);
	sb->data[0] = '\0';
	sb->len = 0;
	sb->max = max > STRBUF_NOLIMIT ? STRBUF_NOLIMIT : max;
}

void
strbuf_release(struct strbuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}

struct strbuf *
strbuf_new(size_t max)
{
	struct strbuf *sb = xmalloc(sizeof(*sb));

	strbuf_init(sb, max);
	return sb;
}

void
strbuf_free(struct strbuf *sb)
{
	if (sb == NULL)
		return;
	strbuf_release(sb);
	free(sb);
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->data != NULL)
		sb->data[0] = '\0';
}

void
strbuf_truncate(struct strbuf *sb, size_t n)
{
	if (n > sb->len)
		log_panic("strbuf_truncate: %zu > length %zu", n, sb->len);
	sb->len = n;
	if (sb->data != NULL)
		sb->data[n] = '\0';
}

/* Make room for `need` more bytes plus the NUL; -1 when past max. */
static int
strbuf_reserve(struct strbuf *sb, size_t need)
{
	size_t want, ncap;

	if (need > sb->max || sb->len > sb->max - need)
		return -1;
	want = sb->len + need + 1;
	if (want <= sb->cap)
		return 0;
	ncap = sb->cap ? sb->cap : STRBUF_MINCAP;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	/* Never allocate much more than the limit allows. */
	if (ncap > sb->max + 1 && want <= sb->max + 1)
		ncap = sb->max + 1;
	sb->data = xrealloc(sb->data, ncap);
	sb->cap = ncap;
	return 0;
}

int
strbuf_append(struct strbuf *sb, const void *p, size_t n)
{
	if (strbuf_reserve(sb, n) < 0)
		return -1;
	if (n > 0)
		memmove(sb->data + sb->len, p, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
	return 0;
}

int
strbuf_append_str(struct strbuf *sb, const char *s)
{
	return strbuf_append(sb, s, strlen(s));
}

int
strbuf_append_char(struct strbuf *sb, char c)
{
	return strbuf_append(sb, &c, 1);
}

int
strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	char small[256];
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return strbuf_append(sb, small, (size_t)n);
	if (strbuf_reserve(sb, (size_t)n) < 0)
		return -1;
	/* Reserve made room for n bytes + NUL after len. */
	if (vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap) != n) {
		sb->data[sb->len] = '\0';
		return -1;
	}
	sb->len += (size_t)n;
	return 0;
}

int
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
	return r;
}

int
strbuf_set_str(struct strbuf *sb, const char *s)
{
	size_t n = strlen(s);

	if (n > sb->max)
		return -1;
	strbuf_reset(sb);
	return strbuf_append(sb, s, n);
}

int
strbuf_set_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	size_t oldlen = sb->len;
	char *save;
	int r;

	/* "Unchanged on failure": keep a copy of the old contents. */
	save = xmalloc(oldlen + 1);
	if (oldlen > 0)
		memcpy(save, sb->data, oldlen);
	strbuf_reset(sb);
	va_start(ap, fmt);
	r = strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
	if (r < 0) {
		strbuf_reset(sb);
		(void)strbuf_append(sb, save, oldlen);
	}
	free(save);
	return r;
}

void
strbuf_consume(struct strbuf *sb, size_t n)
{
	if (n > sb->len)
		log_panic("strbuf_consume: %zu > length %zu", n, sb->len);
	if (n == 0)
		return;
	memmove(sb->data, sb->data + n, sb->len - n);
	sb->len -= n;
	sb->data[sb->len] = '\0';
}

char *
strbuf_detach(struct strbuf *sb)
{
	char *p = sb->data;

	/* The buffer is left empty and owns no memory, so a caller that
	 * detaches and forgets the struct leaks nothing; appends still work. */
	sb->data = NULL;
	sb->len = sb->cap = 0;
	return p ? p : xstrdup("");
}
