/*
 * lib/linerd.c — bounded line reader for SMTP command lines.
 *
 * A tiny state machine over bytes: it accumulates one line in a strbuf whose
 * maximum is the line limit, remembers a pending CR across calls, and marks
 * faults (too long, bare CR) in flags until the line's LF arrives; the fault
 * is reported then, so replies stay in step with the client's lines.
 * Input is untrusted.  Errors are results, never logged, never fatal.
 */
#include "linerd.h"

#define LINERD_F_CR		0x01	/* previous byte was a CR */
#define LINERD_F_TOO_LONG	0x02	/* line passed the limit */
#define LINERD_F_BARE_CR	0x04	/* a CR not followed by LF was seen */
#define LINERD_F_DATA		0x08	/* at least one byte of this line seen */

void
linerd_init(struct linerd *lr, size_t limit)
{
	strbuf_init(&lr->line, limit);
	lr->limit = limit;
	lr->flags = 0;
}

void
linerd_release(struct linerd *lr)
{
	strbuf_release(&lr->line);
	lr->flags = 0;
}

void
linerd_reset(struct linerd *lr)
{
	strbuf_reset(&lr->line);
	lr->flags = 0;
}

int
linerd_pending(const struct linerd *lr)
{
	return ((lr->flags & LINERD_F_DATA) != 0);
}

/* Append one byte of line content, or note that the line is too long. */
static void
linerd_put(struct linerd *lr, char c)
{
	if (lr->flags & LINERD_F_TOO_LONG)
		return;
	if (strbuf_append_char(&lr->line, c) < 0) {
		lr->flags |= LINERD_F_TOO_LONG;
		strbuf_reset(&lr->line);	/* free for the next line */
	}
}

/* The line ended at an LF; decide what it was and clear the state. */
static enum linerd_result
linerd_end(struct linerd *lr)
{
	int	flags = lr->flags;

	lr->flags = 0;
	if (flags & LINERD_F_TOO_LONG)
		return (LINERD_TOO_LONG);
	if (!(flags & LINERD_F_CR))
		return (LINERD_BARE_LF);
	if (flags & LINERD_F_BARE_CR)
		return (LINERD_BARE_CR);
	return (LINERD_LINE);
}

enum linerd_result
linerd_feed(struct linerd *lr, const char *buf, size_t len, size_t *used)
{
	size_t	i;
	char	c;

	/* A line returned by the previous call is gone now. */
	if (!(lr->flags & LINERD_F_DATA))
		strbuf_reset(&lr->line);
	for (i = 0; i < len; i++) {
		c = buf[i];
		lr->flags |= LINERD_F_DATA;
		if (c == '\n') {
			*used = i + 1;
			return (linerd_end(lr));
		}
		if (lr->flags & LINERD_F_CR) {
			/* The CR we held back was not followed by LF. */
			lr->flags |= LINERD_F_BARE_CR;
			linerd_put(lr, '\r');
		}
		if (c == '\r') {
			lr->flags |= LINERD_F_CR;
			continue;
		}
		lr->flags &= ~LINERD_F_CR;
		linerd_put(lr, c);
	}
	*used = len;
	return (LINERD_NEED_MORE);
}
