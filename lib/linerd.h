/*
 * lib/linerd.h — bounded line reader for SMTP command lines.
 *
 * The caller feeds raw bytes as they arrive (any split); linerd returns one
 * complete line at a time, or "need more".  A line ends at LF.  Per RFC 5321
 * a line must end in CRLF: a line ended by a bare LF, or holding a CR that
 * is not followed by LF, is reported as such (SMTP smuggling defence,
 * DESIGN §10) instead of being returned as a line.  A line longer than the
 * limit is reported as "too long" when its end arrives; its excess bytes
 * are discarded, so memory never exceeds the limit given at creation.
 * Input is untrusted; nothing here logs or fails fatally.
 */
#ifndef TEGAMI_LINERD_H
#define TEGAMI_LINERD_H

#include <stddef.h>
#include "strbuf.h"

enum linerd_result {
	LINERD_NEED_MORE = 0,	/* every byte consumed, no complete line yet */
	LINERD_LINE,		/* a CRLF line is in lr->line (without CRLF) */
	LINERD_TOO_LONG,	/* a line longer than the limit ended (discarded) */
	LINERD_BARE_LF,		/* a line ended in LF without CR (discarded) */
	LINERD_BARE_CR,		/* a line held a CR not followed by LF (discarded) */
};

struct linerd {
	struct strbuf line;	/* the current line, never longer than limit */
	size_t	limit;		/* maximum line length without CRLF */
	int	flags;		/* LINERD_F_* (private) */
};

/* Prepare a reader for lines of at most `limit` bytes (without CRLF). */
void	linerd_init(struct linerd *lr, size_t limit);
/* Release the reader's memory (it may be initialised again). */
void	linerd_release(struct linerd *lr);
/* Forget any partial line (e.g. when the input switches to DATA). */
void	linerd_reset(struct linerd *lr);
/* Is a partial line pending (bytes consumed without a line end)? */
int	linerd_pending(const struct linerd *lr);

/*
 * Consume bytes from buf[0..len) up to and including the end of at most one
 * line; *used receives the bytes consumed.  Returns an enum linerd_result.
 * After LINERD_LINE the line is in lr->line until the next call.  Precedence
 * when a line has several faults: TOO_LONG, then BARE_LF, then BARE_CR.
 */
enum linerd_result linerd_feed(struct linerd *lr, const char *buf, size_t len,
	    size_t *used);

#endif
