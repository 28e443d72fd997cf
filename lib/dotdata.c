/*
 * lib/dotdata.c — the SMTP DATA reader state machine.
 *
 * States describe where we are in a line.  The crucial rule (the SMTP
 * smuggling attacks of 2023) is that only a real CRLF moves to the start of
 * a line: after a bare LF or a bare CR we stay inside the line, so "\n.\r\n"
 * or "\r.\r\n" can never end the data here, while a receiver downstream that
 * is lenient about line ends could see them as the end marker.  The message
 * is marked bad instead and refused once the real CRLF.CRLF arrives.
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
	d->errs = 0;
	d->line_len = 0;
	d->line_limit = line_limit;
	d->size = 0;
	d->size_limit = size_limit;
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

int
dotdata_feed(struct dotdata *d, const char *buf, size_t len, size_t *used,
	    struct strbuf *out)
{
	size_t	i;
	char	c;

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
			if (c == '\n') {
				dotdata_put(d, '\n', out);
				d->state = DD_BOL;
				break;
			}
			d->errs |= DOTDATA_E_BARE_CR;
			dotdata_count(d);
			d->state = DD_TEXT;
			dotdata_text(d, c, out);
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
