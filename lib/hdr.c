/*
 * lib/hdr.c — RFC 5322 header blocks (see hdr.h).
 *
 * Three small parsers over untrusted bytes: the incremental block scanner
 * (which lines are fields, where the body starts), the unfolder, and an
 * address-list tokenizer/parser modelled on the lenient reading that MTAs
 * apply to To/Cc/Bcc (Postfix tok822): comments vanish, quoted strings stay
 * quoted, the phrase before an angle-addr and group names are dropped.
 * Every loop is bounded by the input length and the caller's limits; every
 * error is returned, nothing logs or exits.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hdr.h"

/* ---- block scanner -------------------------------------------------------- */

void
hdr_block_init(struct hdr_block *b, size_t max_fields)
{
	memset(b, 0, sizeof(*b));
	b->max_fields = max_fields;
}

void
hdr_block_free(struct hdr_block *b)
{
	free(b->fields);
	memset(b, 0, sizeof(*b));
}

static void
block_push(struct hdr_block *b)
{
	if (!b->open)
		return;
	if (b->nfield == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->fields = xreallocarray(b->fields, b->cap, sizeof(*b->fields));
	}
	b->fields[b->nfield++] = b->cur;
	b->open = 0;
}

static void
block_finish(struct hdr_block *b, size_t end, size_t body, int blank)
{
	block_push(b);
	b->end = end;
	b->body = body;
	b->blank = blank;
	b->done = 1;
}

/* "name:" with a name of printable US-ASCII except ':' (RFC 5322 2.2);
 * white space before the colon is the obsolete syntax, accepted as
 * Postfix does.  Returns the name length, 0 when the line is no field. */
static size_t
field_name_len(const char *p, size_t n, size_t *value_off)
{
	size_t i = 0, name_len;

	while (i < n && p[i] > 32 && p[i] < 127 && p[i] != ':')
		i++;
	name_len = i;
	if (name_len == 0)
		return 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i >= n || p[i] != ':')
		return 0;
	*value_off = i + 1;
	return name_len;
}

static int
line_is_blank(const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n == 0;
}

/* Classify one complete line buf[pos..line_end). Returns 1 when the block
 * goes on, 0 when this line ended it. */
static int
block_line(struct hdr_block *b, const char *buf, size_t line_end)
{
	const char *line = buf + b->pos;
	size_t n = line_end - b->pos, name_len, value_off = 0;

	if (line_is_blank(line, n)) {
		block_finish(b, b->pos, line_end, 1);
		return 0;
	}
	if ((line[0] == ' ' || line[0] == '\t') && b->open) {
		b->cur.len = line_end - b->cur.off;
		b->pos = line_end;
		return 1;
	}
	name_len = field_name_len(line, n, &value_off);
	if (name_len == 0 || (b->max_fields > 0 &&
	    b->nfield + (size_t)b->open >= b->max_fields)) {
		block_finish(b, b->pos, b->pos, 0);
		return 0;
	}
	block_push(b);
	b->cur.off = b->pos;
	b->cur.len = n;
	b->cur.name_len = name_len;
	b->cur.value_off = value_off;
	b->open = 1;
	b->pos = line_end;
	return 1;
}

enum hdr_scan_result
hdr_block_scan(struct hdr_block *b, const char *buf, size_t len, int eof)
{
	const char *nl;
	size_t line_end;

	while (!b->done) {
		if (b->pos >= len) {
			if (!eof)
				return HDR_SCAN_MORE;
			block_finish(b, b->pos, b->pos, 0);
			break;
		}
		/* Remember how far we searched for LF so that a long line
		 * fed in tiny pieces is searched once, not once per piece. */
		if (b->searched < b->pos)
			b->searched = b->pos;
		nl = memchr(buf + b->searched, '\n', len - b->searched);
		if (nl == NULL) {
			b->searched = len;
			if (!eof)
				return HDR_SCAN_MORE;
			line_end = len;
		} else
			line_end = (size_t)(nl - buf) + 1;
		if (!block_line(b, buf, line_end))
			break;
	}
	return HDR_SCAN_DONE;
}

void
hdr_block_cut(struct hdr_block *b)
{
	size_t end;

	if (b->done)
		return;
	end = b->open ? b->cur.off : b->pos;
	b->open = 0;
	block_finish(b, end, end, 0);
}

int
hdr_name_is(const char *buf, const struct hdr_field *f, const char *name)
{
	size_t n = strlen(name);

	return f->name_len == n && strncasecmp(buf + f->off, name, n) == 0;
}

static const char *const plain_rcpt_fields[] = { "To", "Cc", "Bcc", NULL };
static const char *const resent_rcpt_fields[] = {
	"Resent-To", "Resent-Cc", "Resent-Bcc", NULL,
};

static int
name_in(const char *buf, const struct hdr_field *f, const char *const *names)
{
	for (; *names != NULL; names++)
		if (hdr_name_is(buf, f, *names))
			return 1;
	return 0;
}

size_t
hdr_rcpt_fields(const char *buf, const struct hdr_block *b,
    void (*fn)(const struct hdr_field *f, void *ctx), void *ctx)
{
	const char *const *names = plain_rcpt_fields;
	size_t i, n = 0;

	for (i = 0; i < b->nfield; i++)
		if (name_in(buf, &b->fields[i], resent_rcpt_fields))
			names = resent_rcpt_fields;
	for (i = 0; i < b->nfield; i++)
		if (name_in(buf, &b->fields[i], names)) {
			fn(&b->fields[i], ctx);
			n++;
		}
	return n;
}

/* ---- unfolding ------------------------------------------------------------ */

int
hdr_unfold(const char *value, size_t len, struct strbuf *out)
{
	size_t i, start, end;

	strbuf_reset(out);
	for (i = 0; i < len; i++) {
		char c = value[i];

		if (c == '\r' && i + 1 < len && value[i + 1] == '\n')
			continue;	/* CRLF: handled at the LF */
		if (c == '\n')
			continue;	/* folding or the final break: dropped */
		if (strbuf_append_char(out, c) < 0)
			return -1;
	}
	/* Trim white space around the value (it is not part of it). */
	for (start = 0; start < out->len && (out->data[start] == ' ' ||
	    out->data[start] == '\t'); start++)
		;
	for (end = out->len; end > start && (out->data[end - 1] == ' ' ||
	    out->data[end - 1] == '\t'); end--)
		;
	strbuf_truncate(out, end);
	strbuf_consume(out, start);
	return 0;
}

/* ---- address lists -------------------------------------------------------- */

enum tok_type { TOK_END, TOK_WORD, TOK_DLIT, TOK_SPECIAL, TOK_ERROR };

struct tokenizer {
	const char *p;
	size_t	len, i;
	const char *why;
};

#define SPECIALS "()<>[]:;@\\,.\""

/* Skip a quoted string, comment or domain literal that starts at t->i.
 * Returns 0 with t->i after the closing character, -1 when unbalanced. */
static int
tok_skip_delimited(struct tokenizer *t, char open, char close)
{
	int depth = 0;

	while (t->i < t->len) {
		char c = t->p[t->i++];

		if (c == '\\') {
			if (t->i < t->len)
				t->i++;
			continue;
		}
		if (c == close && open != close && depth > 1) {
			depth--;
			continue;
		}
		if (c == close && depth > 0)
			return 0;
		if (c == open)
			depth++;
	}
	return -1;
}

/* Next token (comments and white space skipped); start and n describe it. */
static enum tok_type
tok_next(struct tokenizer *t, size_t *start, size_t *n)
{
	for (;;) {
		char c;

		if (t->i >= t->len)
			return TOK_END;
		c = t->p[t->i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			t->i++;
			continue;
		}
		*start = t->i;
		if (c == '(') {
			if (tok_skip_delimited(t, '(', ')') < 0) {
				t->why = "unbalanced comment";
				return TOK_ERROR;
			}
			continue;
		}
		if (c == '"' || c == '[') {
			if (tok_skip_delimited(t, c, c == '"' ? '"' : ']') < 0) {
				t->why = c == '"' ? "unbalanced quoted string" :
				    "unbalanced domain literal";
				return TOK_ERROR;
			}
			*n = t->i - *start;
			return c == '"' ? TOK_WORD : TOK_DLIT;
		}
		if (strchr(SPECIALS, c) != NULL) {
			t->i++;
			*n = 1;
			return TOK_SPECIAL;
		}
		while (t->i < t->len && strchr(SPECIALS, t->p[t->i]) == NULL &&
		    t->p[t->i] != ' ' && t->p[t->i] != '\t' &&
		    t->p[t->i] != '\r' && t->p[t->i] != '\n')
			t->i++;
		*n = t->i - *start;
		return TOK_WORD;
	}
}

/* One mailbox being collected: the plain tokens (`cur`) and the contents
 * of an angle-addr (`angle`) are kept apart; the angle wins when present. */
struct addr_state {
	struct strbuf cur, angle;
	int	cur_phrase, angle_phrase;	/* two words in a row */
	int	cur_word, angle_word;		/* last token was a word */
	int	overflow;
	int	in_angle, saw_angle, in_group;
	size_t	count, max_addrs;
	void	(*fn)(const char *, void *);
	void   *ctx;
	const char *why;
};

static void
addr_append(struct addr_state *s, enum tok_type type, const char *p, size_t n)
{
	struct strbuf *sb = s->in_angle ? &s->angle : &s->cur;
	int *phrase = s->in_angle ? &s->angle_phrase : &s->cur_phrase;
	int *word = s->in_angle ? &s->angle_word : &s->cur_word;
	int is_word = (type == TOK_WORD || type == TOK_DLIT);

	if (is_word && *word)
		*phrase = 1;
	*word = is_word;
	if (strbuf_append(sb, p, n) < 0)
		s->overflow = 1;
}

static void
addr_reset(struct addr_state *s)
{
	strbuf_reset(&s->cur);
	strbuf_reset(&s->angle);
	s->cur_phrase = s->angle_phrase = 0;
	s->cur_word = s->angle_word = 0;
	s->overflow = 0;
	s->saw_angle = 0;
}

/* The mailbox is complete: report it. -1 when the address limit is hit. */
static int
addr_emit(struct addr_state *s)
{
	struct strbuf *sb = s->saw_angle ? &s->angle : &s->cur;
	int phrase = s->saw_angle ? s->angle_phrase : s->cur_phrase;
	int rc = 0;

	if (s->overflow)
		s->why = "address too long";
	else if (sb->len > 0 && !phrase) {
		if (s->max_addrs > 0 && s->count >= s->max_addrs) {
			s->why = "too many addresses";
			rc = -1;
		} else {
			s->count++;
			s->fn(sb->data, s->ctx);
		}
	}
	addr_reset(s);
	return rc;
}

/* Handle one special character. Returns -1 to stop the parse. */
static int
addr_special(struct addr_state *s, char c, const char *p)
{
	switch (c) {
	case ',':
		if (s->in_angle) {	/* obsolete route: @a,@b:x@y */
			addr_append(s, TOK_SPECIAL, p, 1);
			return 0;
		}
		return addr_emit(s);
	case ';':
		if (s->in_angle) {
			s->angle_phrase = 1;	/* junk inside <> */
			return 0;
		}
		s->in_group = 0;
		return addr_emit(s);
	case ':':
		if (s->in_angle && s->angle.len > 0 && s->angle.data[0] == '@') {
			strbuf_reset(&s->angle);	/* end of the route */
			s->angle_word = 0;
			return 0;
		}
		if (!s->in_angle && !s->in_group && !s->saw_angle) {
			strbuf_reset(&s->cur);		/* group display-name */
			s->cur_phrase = s->cur_word = 0;
			s->in_group = 1;
			return 0;
		}
		addr_append(s, TOK_SPECIAL, p, 1);
		*(s->in_angle ? &s->angle_phrase : &s->cur_phrase) = 1;
		return 0;
	case '<':
		if (s->in_angle)
			s->angle_phrase = 1;
		s->in_angle = s->saw_angle = 1;
		strbuf_reset(&s->angle);
		s->angle_phrase = s->angle_word = 0;
		return 0;
	case '>':
		if (s->in_angle)
			s->in_angle = 0;
		else
			s->cur_phrase = 1;
		return 0;
	default:
		addr_append(s, TOK_SPECIAL, p, 1);
		return 0;
	}
}

int
hdr_parse_addrs(const char *value, size_t len, size_t max_addrs,
    size_t max_len, void (*fn)(const char *addr, void *ctx), void *ctx,
    const char **why)
{
	struct tokenizer t = { value, len, 0, NULL };
	struct addr_state s;
	enum tok_type type;
	size_t start = 0, n = 0;
	int rc = 0;

	/* A NUL would cut an address short when it is used as a C string. */
	if (memchr(value, '\0', len) != NULL) {
		if (why != NULL)
			*why = "NUL character in address list";
		return -1;
	}
	memset(&s, 0, sizeof(s));
	strbuf_init(&s.cur, max_len);
	strbuf_init(&s.angle, max_len);
	s.max_addrs = max_addrs;
	s.fn = fn;
	s.ctx = ctx;
	while ((type = tok_next(&t, &start, &n)) != TOK_END) {
		if (type == TOK_ERROR) {
			s.why = t.why;
			rc = -1;
			break;
		}
		if (type == TOK_SPECIAL) {
			if (addr_special(&s, value[start], value + start) < 0) {
				rc = -1;
				break;
			}
		} else
			addr_append(&s, type, value + start, n);
	}
	if (rc == 0) {
		if (s.in_angle) {
			s.why = "unbalanced angle bracket";
			rc = -1;
		} else if (addr_emit(&s) < 0)
			rc = -1;
	}
	strbuf_release(&s.cur);
	strbuf_release(&s.angle);
	if (s.why != NULL) {
		rc = -1;
		if (why != NULL)
			*why = s.why;
	}
	return rc;
}
