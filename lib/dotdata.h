/*
 * lib/dotdata.h — the SMTP DATA reader (RFC 5321 4.1.1.4, 4.5.2).
 *
 * A state machine over the raw bytes that follow a 354 reply: lines must end
 * in CRLF, a leading dot is removed (dot-unstuffing), and the data ends
 * exactly at CRLF "." CRLF.  The content is handed out with LF line ends.
 * The same reader has a BDAT mode (RFC 3030 CHUNKING): chunks of a size
 * the client announced, no dot-stuffing, CRLF that may be split across
 * chunks; and a skip mode that throws away the bytes of a refused chunk.
 * A bare CR or LF never starts or ends a line (SMTP smuggling defence,
 * DESIGN §10): it marks the message bad and the reader goes on to the real
 * end marker.  Faults are sticky bits in `errs` (keep reading, answer once);
 * once any is set, no more content is produced.  Memory: nothing is
 * buffered here; output grows by at most the input fed.
 */
#ifndef TEGAMI_DOTDATA_H
#define TEGAMI_DOTDATA_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

#define DOTDATA_E_BARE_LF	0x01	/* LF without CR */
#define DOTDATA_E_BARE_CR	0x02	/* CR without LF */
#define DOTDATA_E_NUL		0x04	/* NUL byte in the content */
#define DOTDATA_E_LINE		0x08	/* a line longer than the line limit */
#define DOTDATA_E_SIZE		0x10	/* content larger than the size limit */

#define DOTDATA_M_DOT		0	/* DATA: up to CRLF.CRLF */
#define DOTDATA_M_BDAT		1	/* BDAT chunks */
#define DOTDATA_M_SKIP		2	/* discard a refused chunk */

struct dotdata {
	int	state;		/* private */
	int	mode;		/* DOTDATA_M_* */
	int	errs;		/* DOTDATA_E_* */
	size_t	line_len;	/* raw bytes of the current line, without CRLF */
	size_t	line_limit;	/* max raw line length incl. CRLF; 0 = none */
	uint64_t size;		/* content bytes produced (LF line ends) */
	uint64_t lines;		/* lines ended by CRLF so far */
	uint64_t size_limit;	/* 0 = none */
	uint64_t chunk_size;	/* BDAT: size of the current chunk */
	uint64_t chunk_left;	/* BDAT/skip: bytes of this chunk still due */
	uint64_t octets;	/* BDAT: raw bytes announced by all chunks */
	int	last;		/* BDAT: the current chunk is the LAST one */
};

/* Start reading one message: line_limit counts a line with its CRLF (RFC
 * 5321: 1000), size_limit the content bytes with LF line ends; 0 = none. */
void	dotdata_init(struct dotdata *d, size_t line_limit, uint64_t size_limit);

/*
 * Consume bytes from buf[0..len); unstuffed content is appended to out (at
 * most len bytes; the caller sizes out for that and empties it between
 * calls).  Returns 1 when the end marker was consumed (*used = bytes up to
 * and including it; what follows is the next command), 0 when every byte
 * was consumed and more is needed.  Check d->errs after the end.  In BDAT
 * and skip mode "the end" is the end of the current chunk.
 */
int	dotdata_feed(struct dotdata *d, const char *buf, size_t len,
	    size_t *used, struct strbuf *out);

/* Start reading a message in BDAT mode (limits as for dotdata_init); no
 * chunk is due until dotdata_chunk(). */
void	dotdata_bdat_init(struct dotdata *d, size_t line_limit,
	    uint64_t size_limit);
/* The next BDAT chunk: `size` raw bytes, `last` when it ends the message.
 * dotdata_feed() then returns 1 when the chunk is complete. */
void	dotdata_chunk(struct dotdata *d, uint64_t size, int last);
/* Skip mode: throw away the next `size` bytes (a refused BDAT chunk);
 * dotdata_feed() produces nothing and returns 1 when they are gone.  The
 * previous content and errors are forgotten. */
void	dotdata_skip(struct dotdata *d, uint64_t size);
/* After the LAST chunk: a CR left pending is a bare CR; a last line
 * without a line end gets its LF (appended to out, which needs 1 byte). */
void	dotdata_bdat_end(struct dotdata *d, struct strbuf *out);

/* Is a line begun and not yet ended (for per-record deadlines)? */
int	dotdata_partial(const struct dotdata *d);

/* A short reason for the first fault in errs (for logs), "" when none. */
const char *dotdata_strerror(int errs);

#endif
