/*
 * lib/dotdata.c — the SMTP DATA reader state machine.
 *
 * States describe where we are in a line.  The crucial rule (the SMTP
 * smuggling attacks of 2023) is that only a real CRLF moves to the start of
 * a line: after a bare LF or a bare CR we stay inside the line, so "\n.\r\n"
 * or "\r.\r\n" can never end the data here, while a receiver downstream that
 * is lenient about line ends could see them as the end marker.  The message
 * is marked bad instead and refused once the real CRLF.CRLF arrives.
 * BDAT chunks follow the same line rules without the dot: the message is
 * sent on with DATA later, so a bare CR or LF must be refused here too.
 * Called by lib/smtp_server_data.c; input is untrusted; never fatal.
 */
#include "dotdata.h"

enum dotdata_state {
	DD_BOL,		/* at the start of a line (after CRLF, or first byte) */
	DD_DOT,		/* "." at the start of a line */
	DD_DOT_CR,	/* ".\r" at the start of a line */
	DD_TEXT,	/* inside a line */
	DD_CR,		/* "\r" inside a line */
};

void
dotdata_init(struct dotdata *d, size_t line_limit, uint64_t size_limit)
{
	d->state = DD_BOL;
	d->mode = DOTDATA_M_DOT;
	d->errs = 0;
	d->line_len = 0;
	d->line_limit = line_limit;
	d->size = 0;
	d->lines = 0;
	d->size_limit = size_limit;
	d->chunk_size = 0;
	d->chunk_left = 0;
	d->octets = 0;
	d->last = 0;
}

void
dotdata_bdat_init(struct dotdata *d, size_t line_limit, uint64_t size_limit)
{
	dotdata_init(d, line_limit, size_limit);
	d->mode = DOTDATA_M_BDAT;
}

void
dotdata_chunk(struct dotdata *d, uint64_t size, int last)
{
	d->chunk_size = size;
	d->chunk_left = size;
	d->octets += size;
	d->last = last;
}

void
dotdata_skip(struct dotdata *d, uint64_t size)
{
	dotdata_init(d, 0, 0);
	d->mode = DOTDATA_M_SKIP;
	d->chunk_left = size;
}

/* Produce one content byte (counted against the size limit). */
static void
dotdata_put(struct dotdata *d, char c, struct strbuf *out)
{
	if (c == '\0')
		d->errs |= DOTDATA_E_NUL;
	d->size++;
	if (d->size_limit > 0 && d->size > d->size_limit)
		d->errs |= DOTDATA_E_SIZE;
	if (d->errs)
		return;
	if (strbuf_append_char(out, c) < 0)
		d->errs |= DOTDATA_E_SIZE;	/* caller sized out too small */
}

/* Count one raw byte of the current line (not CR/LF of its CRLF). */
static void
dotdata_count(struct dotdata *d)
{
	d->line_len++;
	if (d->line_limit > 0 && d->line_len + 2 > d->line_limit)
		d->errs |= DOTDATA_E_LINE;
}

/* A byte inside a line (state DD_TEXT). */
static void
dotdata_text(struct dotdata *d, char c, struct strbuf *out)
{
	if (c == '\r') {
		d->state = DD_CR;
		return;
	}
	if (c == '\n') {
		d->errs |= DOTDATA_E_BARE_LF;	/* stays inside the line */
		dotdata_count(d);
		return;
	}
	dotdata_count(d);
	dotdata_put(d, c, out);
}

/* The byte after a CR in text: LF ends the line, anything else makes the
 * CR a bare one (sticky error) and is text. */
static void
dotdata_after_cr(struct dotdata *d, char c, struct strbuf *out)
{
	if (c == '\n') {
		dotdata_put(d, '\n', out);
		d->state = DD_BOL;
		d->lines++;
		return;
	}
	d->errs |= DOTDATA_E_BARE_CR;
	dotdata_count(d);
	d->state = DD_TEXT;
	dotdata_text(d, c, out);
}

/*
 * One byte of a BDAT chunk.  No dot-stuffing (RFC 3030 2), but the line
 * rules of DATA: only CRLF ends a line, and it may be split between two
 * chunks, which is why DD_CR survives the end of a chunk.
 */
static void
dotdata_bdat_byte(struct dotdata *d, char c, struct strbuf *out)
{
	switch (d->state) {
	case DD_BOL:
		d->line_len = 0;
		d->state = DD_TEXT;
		dotdata_text(d, c, out);
		break;
	case DD_CR:
		dotdata_after_cr(d, c, out);
		break;
	default:
		dotdata_text(d, c, out);
		break;
	}
}

/* BDAT and skip mode: at most chunk_left bytes, then the chunk is done. */
static int
dotdata_feed_chunk(struct dotdata *d, const char *buf, size_t len,
	    size_t *used, struct strbuf *out)
{
	size_t	n = len, i;

	if (d->chunk_left < n)
		n = (size_t)d->chunk_left;
	if (d->mode == DOTDATA_M_BDAT)
		for (i = 0; i < n; i++)
			dotdata_bdat_byte(d, buf[i], out);
	d->chunk_left -= n;
	*used = n;
	return (d->chunk_left == 0);
}

void
dotdata_bdat_end(struct dotdata *d, struct strbuf *out)
{
	if (d->mode != DOTDATA_M_BDAT)
		return;
	if (d->state == DD_CR) {
		/* The message ended inside "\r\n": a bare CR. */
		d->errs |= DOTDATA_E_BARE_CR;
		dotdata_count(d);
		d->state = DD_TEXT;
	}
	if (d->state == DD_TEXT) {
		/* RFC 3030 lets the last chunk end mid-line; the content we
		 * queue (and later send with DATA) ends with a line end. */
		dotdata_put(d, '\n', out);
		d->state = DD_BOL;
	}
}

int
dotdata_feed(struct dotdata *d, const char *buf, size_t len, size_t *used,
	    struct strbuf *out)
{
	size_t	i;
	char	c;

	if (d->mode != DOTDATA_M_DOT)
		return (dotdata_feed_chunk(d, buf, len, used, out));
	for (i = 0; i < len; i++) {
		c = buf[i];
		switch (d->state) {
		case DD_BOL:
			d->line_len = 0;
			if (c == '.') {
				dotdata_count(d);
				d->state = DD_DOT;
			} else {
				d->state = DD_TEXT;
				dotdata_text(d, c, out);
			}
			break;
		case DD_DOT:
			if (c == '\r') {
				d->state = DD_DOT_CR;
			} else {
				/* Unstuff: the leading dot is dropped. */
				d->state = DD_TEXT;
				dotdata_text(d, c, out);
			}
			break;
		case DD_DOT_CR:
			if (c == '\n') {
				*used = i + 1;
				d->state = DD_BOL;
				return (1);
			}
			/* ".\r" + other: a bare CR, and the dot was stuffing. */
			d->errs |= DOTDATA_E_BARE_CR;
			d->state = DD_TEXT;
			dotdata_text(d, c, out);
			break;
		case DD_TEXT:
			dotdata_text(d, c, out);
			break;
		case DD_CR:
			dotdata_after_cr(d, c, out);
			break;
		}
	}
	*used = len;
	return (0);
}

const char *
dotdata_strerror(int errs)
{
	if (errs & DOTDATA_E_BARE_LF)
		return ("bare LF");
	if (errs & DOTDATA_E_BARE_CR)
		return ("bare CR");
	if (errs & DOTDATA_E_NUL)
		return ("NUL character");
	if (errs & DOTDATA_E_LINE)
		return ("line too long");
	if (errs & DOTDATA_E_SIZE)
		return ("message too large");
	return ("");
}

int
dotdata_partial(const struct dotdata *d)
{
	return (d->state != DD_BOL);
}
