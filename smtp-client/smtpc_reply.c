/*
 * smtp-client/smtpc_reply.c — the SMTP reply reader of the delivery agent.
 *
 * Bytes from the remote server are untrusted.  A reply is one or more
 * CRLF lines "NNN-text" ending with "NNN text" (RFC 5321 4.2); every line
 * must carry the same code, 2xx-5xx.  Limits: SMTPC_REPLY_LINE_MAX bytes a
 * line (lib/linerd.h), SMTPC_REPLY_LINES_MAX lines a reply; past either the
 * reply is malformed.  Pure functions over bytes (no I/O; fuzzed by
 * tests/fuzz/fuzz_smtp_reply_reader.c); errors are returned with a reason.
 */
#include <string.h>

#include "dsn.h"
#include "smtp.h"

void
smtpc_reader_init(struct smtpc_reader *rd)
{
	memset(rd, 0, sizeof(*rd));
	linerd_init(&rd->lr, SMTPC_REPLY_LINE_MAX);
	strbuf_init(&rd->reply.text, SMTPC_REPLY_TEXT_MAX + 1);
	/* Every line's text, bounded by the line and count limits. */
	strbuf_init(&rd->reply.lines,
	    (SMTPC_REPLY_LINE_MAX + 1) * SMTPC_REPLY_LINES_MAX);
}

void
smtpc_reader_release(struct smtpc_reader *rd)
{
	linerd_release(&rd->lr);
	strbuf_release(&rd->reply.text);
	strbuf_release(&rd->reply.lines);
}

void
smtpc_reader_next(struct smtpc_reader *rd)
{
	rd->in_reply = 0;
	rd->reply.code = 0;
	rd->reply.esc[0] = '\0';
	rd->reply.nlines = 0;
	strbuf_reset(&rd->reply.text);
	strbuf_reset(&rd->reply.lines);
}

/* The text for logs: control characters and non-ASCII become '?', and it
 * stops at SMTPC_REPLY_TEXT_MAX (a log line, not data: cutting is fine). */
static void
text_add(struct strbuf *t, const char *p, size_t n)
{
	size_t i;

	if (t->len > 0 && t->len < SMTPC_REPLY_TEXT_MAX)
		strbuf_append_char(t, ' ');
	for (i = 0; i < n && t->len < SMTPC_REPLY_TEXT_MAX; i++) {
		unsigned char c = (unsigned char)p[i];

		strbuf_append_char(t, c < 0x20 || c >= 0x7f ? '?' : (char)c);
	}
}

/* "X.Y.Z" at the start of the first line's text, class matching the code. */
static void
esc_parse(struct smtpc_reply *r, const char *p, size_t n)
{
	size_t k = 0;
	char code[16];

	while (k < n && k < sizeof(code) - 1 && p[k] != ' ')
		k++;
	if (k == 0 || k >= sizeof(code) - 1)
		return;
	memcpy(code, p, k);
	code[k] = '\0';
	if (dsn_status_valid(code) && code[0] == '0' + r->code / 100)
		memcpy(r->esc, code, k + 1);
}

/* One complete line.  MORE, DONE or BAD. */
static enum smtpc_reply_status
line_parse(struct smtpc_reader *rd, const char *p, size_t n, struct strbuf *why)
{
	struct smtpc_reply *r = &rd->reply;
	int code;

	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || (n > 3 && p[3] != ' ' && p[3] != '-')) {
		strbuf_set_str(why, "malformed reply line");
		return SMTPC_REPLY_BAD;
	}
	code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (rd->in_reply && code != r->code) {
		strbuf_set_str(why, "reply code changed inside a multi-line reply");
		return SMTPC_REPLY_BAD;
	}
	if (++r->nlines > SMTPC_REPLY_LINES_MAX) {
		strbuf_set_str(why, "too many lines in a reply");
		return SMTPC_REPLY_BAD;
	}
	if (!rd->in_reply) {
		rd->in_reply = 1;
		r->code = code;
		text_add(&r->text, p, n);
		if (n > 4)
			esc_parse(r, p + 4, n - 4);
	} else {
		text_add(&r->text, n > 4 ? p + 4 : "", n > 4 ? n - 4 : 0);
	}
	if (strbuf_append(&r->lines, n > 4 ? p + 4 : "", n > 4 ? n - 4 : 0) < 0 ||
	    strbuf_append_char(&r->lines, '\0') < 0) {
		strbuf_set_str(why, "reply too large");
		return SMTPC_REPLY_BAD;
	}
	return n > 3 && p[3] == '-' ? SMTPC_REPLY_MORE : SMTPC_REPLY_DONE;
}

enum smtpc_reply_status
smtpc_reply_feed(struct smtpc_reader *rd, const char *buf, size_t len,
    size_t *used, struct strbuf *why)
{
	size_t off = 0, n;
	enum smtpc_reply_status st;

	*used = 0;
	while (off < len) {
		switch (linerd_feed(&rd->lr, buf + off, len - off, &n)) {
		case LINERD_NEED_MORE:
			off += n;
			continue;
		case LINERD_LINE:
			off += n;
			st = line_parse(rd, rd->lr.line.data, rd->lr.line.len, why);
			if (st != SMTPC_REPLY_MORE) {
				*used = off;
				return st;
			}
			continue;
		case LINERD_TOO_LONG:
			strbuf_set_str(why, "reply line too long");
			break;
		case LINERD_BARE_LF:
			strbuf_set_str(why, "reply line ends in a bare LF");
			break;
		default:
			strbuf_set_str(why, "reply line holds a bare CR");
			break;
		}
		*used = off + n;
		return SMTPC_REPLY_BAD;
	}
	*used = off;
	return SMTPC_REPLY_MORE;
}
