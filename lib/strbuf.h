/*
 * lib/strbuf.h — growable byte buffer with a hard maximum length.
 *
 * The buffer is always NUL-terminated (the NUL is not counted in len), so
 * text can be used as a C string, while binary content may hold NUL bytes.
 * Growth is overflow-checked; an append that would pass `max` fails with -1
 * and leaves the buffer unchanged ("too long" is a result, never a silent
 * truncation).  Allocation failure is fatal (log_fatal), as in Postfix.
 */
#ifndef TEGAMI_STRBUF_H
#define TEGAMI_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#define STRBUF_NOLIMIT ((size_t)-1 / 2)

struct strbuf {
	char   *data;	/* always NUL-terminated; NULL only after detach */
	size_t	len;	/* bytes used, not counting the NUL */
	size_t	cap;	/* bytes allocated */
	size_t	max;	/* hard limit on len */
};

/* Initialise an empty buffer that may grow to at most `max` bytes. */
void	strbuf_init(struct strbuf *sb, size_t max);
/* Release memory; the buffer may be re-initialised. Accepts a zeroed struct. */
void	strbuf_release(struct strbuf *sb);
/* Heap-allocated variants; strbuf_free accepts NULL. */
struct strbuf *strbuf_new(size_t max);
void	strbuf_free(struct strbuf *sb);

/* Set len to 0 (memory kept). */
void	strbuf_reset(struct strbuf *sb);
/* Shorten to n bytes (n <= len). */
void	strbuf_truncate(struct strbuf *sb, size_t n);

/* Appends: 0 on success, -1 when the result would exceed max (unchanged). */
int	strbuf_append(struct strbuf *sb, const void *p, size_t n);
int	strbuf_append_str(struct strbuf *sb, const char *s);
int	strbuf_append_char(struct strbuf *sb, char c);
int	strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));
/* Replace the contents (reset + append). */
int	strbuf_set_str(struct strbuf *sb, const char *s);
int	strbuf_set_printf(struct strbuf *sb, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Remove the first n bytes (n <= len), shifting the rest down. */
void	strbuf_consume(struct strbuf *sb, size_t n);
/* Return the contents as a malloc'd string owned by the caller; sb is reset
 * and left owning no memory (releasing it is optional; appending works). */
char   *strbuf_detach(struct strbuf *sb);

/* Allocation helpers that never return NULL (fatal on failure). */
void   *xmalloc(size_t n);
void   *xcalloc(size_t nmemb, size_t size);
void   *xrealloc(void *p, size_t n);
void   *xreallocarray(void *p, size_t nmemb, size_t size);
char   *xstrdup(const char *s);
char   *xstrndup(const char *s, size_t n);

#endif
