/*
 * lib/mime_conv.h — 8BITMIME -> 7bit downgrade of message content
 * (RFC 6152 section 3, RFC 2045 6.7), for smtp-client when the server
 * does not announce 8BITMIME.
 *
 * A streaming converter: the queue file's content (header, empty line,
 * body; LF line ends) goes in, in chunks of any size, and the converted
 * content comes out with LF line ends (the caller adds CRLF and
 * dot-stuffing).  Like Postfix's mime_state, it converts only what is
 * labelled 8bit or binary: such a leaf part gets "Content-Transfer-Encoding:
 * quoted-printable" and a quoted-printable body; a multipart or
 * message part is relabelled 7bit and walked.  Unlabelled 8-bit data and
 * 8-bit bytes in header fields go out unchanged (see mime_conv.c).
 * Memory is bounded (lines are handled in pieces, nesting and saved header
 * text have limits) whatever the input; nothing here logs or fails.
 */
#ifndef TEGAMI_MIME_CONV_H
#define TEGAMI_MIME_CONV_H

#include <stddef.h>
#include "strbuf.h"

#define MIME_CONV_MAXDEPTH	20	/* multipart levels that are walked */
#define MIME_CONV_PIECE		4096	/* longer lines are handled in pieces */
#define MIME_CONV_BOUND_MAX	1024	/* boundary bytes kept (prefix match) */

struct mime_conv;

/* A converter at the start of a message (top-level header, text/plain,
 * 7bit).  Owned by the caller; release with mime_conv_free(). */
struct mime_conv *mime_conv_new(void);

/*
 * Feed buf[0..len), the next bytes of the content (any chunking, lines of
 * any length, any byte values).  Converted output is appended to out,
 * which should have no limit of its own (STRBUF_NOLIMIT): the output is at
 * most about 3.2 times the input plus a short line per header block.
 */
void	mime_conv_feed(struct mime_conv *mc, const char *buf, size_t len,
	    struct strbuf *out);

/* End of content: flush what is held back.  A last line without LF gets
 * one, so non-empty output always ends with LF.  No feed after this. */
void	mime_conv_finish(struct mime_conv *mc, struct strbuf *out);

/* Release; accepts NULL. */
void	mime_conv_free(struct mime_conv *mc);

/* Is any byte of buf[0..len) >= 0x80?  The cheap test a caller runs over
 * the content first: 7-bit content never needs a converter. */
int	mime_conv_has_8bit(const char *buf, size_t len);

#endif
