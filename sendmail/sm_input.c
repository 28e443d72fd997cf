/*
 * sendmail/sm_input.c — sendmail's standard input to message content.
 *
 * A small state machine over bytes, so that it works on any split of the
 * input and never holds more than two bytes back: CRLF line ends become LF
 * (sendmail_fix_line_endings: always; strict = only when the first line
 * ends in CRLF; never), and unless -i/-oi was given a line that holds a
 * single "." ends the input, as in sendmail (no dot-unstuffing: this is not
 * SMTP).  A "." at the very end of input without its newline ends it too.
 * Pure functions; the caller bounds the output buffer.
 */
#include <string.h>

#include "sendmail.h"

enum { ST_BOL, ST_LINE, ST_CR, ST_DOT, ST_DOT_CR };

void
sm_input_init(struct sm_input *in, int dot_ends, enum sm_crlf crlf)
{
	memset(in, 0, sizeof(*in));
	in->dot_ends = dot_ends;
	in->crlf = crlf;
	in->fix = crlf != SM_CRLF_NEVER;
	in->state = ST_BOL;
}

int
sm_crlf_mode(const char *value, enum sm_crlf *out)
{
	if (strcmp(value, "always") == 0)
		*out = SM_CRLF_ALWAYS;
	else if (strcmp(value, "strict") == 0)
		*out = SM_CRLF_STRICT;
	else if (strcmp(value, "never") == 0)
		*out = SM_CRLF_NEVER;
	else
		return -1;
	return 0;
}

/* A line end: in strict mode the first one decides for the message. */
static int
line_end(struct sm_input *in, int had_cr, struct strbuf *out)
{
	if (in->crlf == SM_CRLF_STRICT && !in->seen_lf)
		in->fix = had_cr;
	in->seen_lf = 1;
	in->state = ST_BOL;
	return strbuf_append_char(out, '\n');
}

/* A byte inside a line (or at its start when it is not a dot). */
static int
line_byte(struct sm_input *in, char c, struct strbuf *out)
{
	if (c == '\r' && in->fix) {
		in->state = ST_CR;
		return 0;
	}
	if (c == '\n')
		return line_end(in, 0, out);
	in->state = ST_LINE;
	return strbuf_append_char(out, c);
}

static int
input_byte(struct sm_input *in, char c, struct strbuf *out)
{
	switch (in->state) {
	case ST_BOL:
		if (c == '.' && in->dot_ends) {
			in->state = ST_DOT;
			return 0;
		}
		return line_byte(in, c, out);
	case ST_CR:
		if (c == '\n')
			return line_end(in, 1, out);
		if (strbuf_append_char(out, '\r') < 0)
			return -1;
		return line_byte(in, c, out);
	case ST_DOT:
		if (c == '\n') {
			in->done = 1;
			return 0;
		}
		if (c == '\r' && in->fix) {
			in->state = ST_DOT_CR;
			return 0;
		}
		if (strbuf_append_char(out, '.') < 0)
			return -1;
		return line_byte(in, c, out);
	case ST_DOT_CR:
		if (c == '\n') {
			in->done = 1;
			return 0;
		}
		if (strbuf_append(out, ".\r", 2) < 0)
			return -1;
		return line_byte(in, c, out);
	default:
		return line_byte(in, c, out);
	}
}

long
sm_input_feed(struct sm_input *in, const char *p, size_t n, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < n && !in->done; i++)
		if (input_byte(in, p[i], out) < 0)
			return -1;
	return (long)i;
}

int
sm_input_eof(struct sm_input *in, struct strbuf *out)
{
	if (in->done)
		return 0;
	switch (in->state) {
	case ST_CR:
		in->state = ST_LINE;
		return strbuf_append_char(out, '\r');
	case ST_DOT:
		in->done = 1;	/* "." as the last, unterminated line */
		return 0;
	case ST_DOT_CR:
		in->done = 1;
		return 0;
	default:
		return 0;
	}
}
