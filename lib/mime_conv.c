/*
 * lib/mime_conv.c — 8-bit to quoted-printable downgrade (see mime_conv.h).
 *
 * Input (a queue file's content, untrusted) is cut into lines, and lines
 * longer than MIME_CONV_PIECE into pieces, which drive a small MIME state
 * machine in the manner of Postfix's mime_state: header blocks (top level,
 * after a boundary, inside message/rfc822) and bodies.  In a header block
 * only Content-Type (a bounded copy, for type and boundary) and
 * Content-Transfer-Encoding (held back, bounded) are looked at; every other
 * field goes out as it came, 8-bit bytes included — as Postfix does, since
 * a header has no transfer encoding to change (RFC 6532 is for SMTPUTF8).
 * A part with no Content-Transfer-Encoding is 7bit (RFC 2045 6.1) and is
 * not touched even when it holds 8-bit bytes, again as Postfix does: the
 * label is what is converted, and finding unlabelled 8-bit data would mean
 * holding a whole part back.  Three things differ from Postfix, each so
 * that the output parses as the input did (converting it again changes
 * nothing; the fuzz harness checks this): no encoded line starts with "-",
 * a rewritten part's header always ends in an empty line, and an encoded
 * message/global is opaque.  Nothing logs, nothing fails; memory is the
 * piece, the two header copies and MIME_CONV_MAXDEPTH boundaries.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime_conv.h"

#define CTYPE_COPY_MAX	8192	/* Content-Type text kept for parsing */
#define CTE_HOLD_MAX	1024	/* Content-Transfer-Encoding held back */
#define QP_BREAK	73	/* soft break before a line passes this */

enum mc_state { MC_HEAD, MC_BODY };
enum mc_class { MC_PRIMARY, MC_PART, MC_NESTED };
enum mc_ctype { CT_OTHER, CT_TEXT, CT_MESSAGE, CT_MULTIPART };
enum mc_stype { ST_OTHER, ST_RFC822, ST_GLOBAL };
/* Content-Transfer-Encoding domains (RFC 2045 6.2): base64 and
 * quoted-printable are 7bit data. */
enum mc_domain { DOM_7BIT, DOM_8BIT, DOM_BINARY };
enum mc_field { F_NONE, F_PASS, F_CTYPE, F_CTE };

struct mc_bound {
	char   *str;
	size_t	len;
	enum mc_ctype def_ctype;	/* of parts without Content-Type */
	enum mc_stype def_stype;
};

struct mime_conv {
	struct strbuf piece;		/* the line (piece) being gathered */
	int	cont;			/* next piece continues a line */
	enum mc_state state;
	enum mc_class hclass;		/* which header block, in MC_HEAD */
	enum mc_ctype ctype;		/* of the current entity */
	enum mc_stype stype;
	enum mc_domain domain;
	int	encoded;		/* labelled base64 or quoted-printable */
	enum mc_field field;		/* the open header field */
	struct strbuf fbuf;		/* its copy (F_CTYPE) or held text (F_CTE) */
	int	ftrunc;			/* the F_CTYPE copy stopped at its limit */
	struct mc_bound stack[MIME_CONV_MAXDEPTH];
	size_t	depth;
	char	qp[QP_BREAK + 4];	/* quoted-printable output line */
	size_t	qp_len;
	struct strbuf tok;		/* tokenizer scratch */
	int	finished;
};

static void piece_in(struct mime_conv *, const char *, size_t, int,
	    struct strbuf *);

struct mime_conv *
mime_conv_new(void)
{
	struct mime_conv *mc = xcalloc(1, sizeof(*mc));

	strbuf_init(&mc->piece, MIME_CONV_PIECE);
	strbuf_init(&mc->fbuf, CTYPE_COPY_MAX);
	strbuf_init(&mc->tok, CTYPE_COPY_MAX);
	mc->state = MC_HEAD;
	mc->hclass = MC_PRIMARY;
	mc->ctype = CT_TEXT;
	mc->stype = ST_OTHER;
	mc->domain = DOM_7BIT;
	mc->field = F_NONE;
	return mc;
}

void
mime_conv_free(struct mime_conv *mc)
{
	size_t i;

	if (mc == NULL)
		return;
	for (i = 0; i < mc->depth; i++)
		free(mc->stack[i].str);
	strbuf_release(&mc->piece);
	strbuf_release(&mc->fbuf);
	strbuf_release(&mc->tok);
	free(mc);
}

int
mime_conv_has_8bit(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] >= 0x80)
			return 1;
	return 0;
}

static void
out_raw(struct strbuf *out, const char *p, size_t n, int eol)
{
	strbuf_append(out, p, n);
	if (eol)
		strbuf_append_char(out, '\n');
}

/* ---- quoted-printable (RFC 2045 6.7) ---------------------------------- */

static void
qp_byte(struct mime_conv *mc, unsigned char c, struct strbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	/* Rule 2: printable US-ASCII but "=" stands for itself; rule 3:
	 * SP and TAB too, except at the end of a line (qp_eol). */
	int lit = (c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t';
	size_t need = lit ? 1 : 3;

	/* Rule 5: a soft break "=" keeps every line within 76 characters
	 * (73 here, so the trailing-white-space fix still fits). */
	if (mc->qp_len + need > QP_BREAK) {
		strbuf_append(out, mc->qp, mc->qp_len);
		strbuf_append_str(out, "=\n");
		mc->qp_len = 0;
	}
	/* No encoded line starts with "-": a soft break must never make
	 * "--boundary" out of text that was inside a line (RFC 2046 5.1.1
	 * says a delimiter may not occur in a part's content). */
	if (c == '-' && mc->qp_len == 0)
		lit = 0;
	if (lit) {
		mc->qp[mc->qp_len++] = (char)c;
	} else {
		mc->qp[mc->qp_len++] = '=';
		mc->qp[mc->qp_len++] = hex[c >> 4];
		mc->qp[mc->qp_len++] = hex[c & 15];
	}
}

/* A hard line break: white space before it must be encoded (rule 3). */
static void
qp_eol(struct mime_conv *mc, struct strbuf *out)
{
	char c;

	if (mc->qp_len > 0 && ((c = mc->qp[mc->qp_len - 1]) == ' ' ||
	    c == '\t')) {
		mc->qp[mc->qp_len - 1] = '=';
		mc->qp[mc->qp_len++] = c == ' ' ? '2' : '0';
		mc->qp[mc->qp_len++] = c == ' ' ? '0' : '9';
	}
	strbuf_append(out, mc->qp, mc->qp_len);
	strbuf_append_char(out, '\n');
	mc->qp_len = 0;
}

/* ---- header values (RFC 2045 5.1 tokens, RFC 5322 comments) ----------- */

enum tok_type { TK_END, TK_WORD, TK_SPECIAL };

#define TSPECIALS "()<>@,;:\\\"/[]?="

/* The next token of [*pp, end): a word (token or quoted-string, unquoted
 * into mc->tok) or one tspecial (mc->tok holds it).  White space, line
 * breaks and (nested) comments are skipped. */
static enum tok_type
next_tok(struct mime_conv *mc, const char **pp, const char *end)
{
	const char *p = *pp;
	size_t level;

	strbuf_reset(&mc->tok);
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r'))
			p++;
		if (p >= end) {
			*pp = p;
			return TK_END;
		}
		if (*p == '(') {
			for (level = 0; p < end; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				else if (*p == '(')
					level++;
				else if (*p == ')' && --level == 0) {
					p++;
					break;
				}
			}
			continue;
		}
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end)
					p++;
				strbuf_append_char(&mc->tok, *p);
			}
			*pp = p < end ? p + 1 : p;
			return TK_WORD;
		}
		if (*p != '\0' && strchr(TSPECIALS, *p) != NULL) {
			strbuf_append_char(&mc->tok, *p);
			*pp = p + 1;
			return TK_SPECIAL;
		}
		while (p < end && (unsigned char)*p > ' ' && *p != 0x7f &&
		    strchr(TSPECIALS, *p) == NULL)
			strbuf_append_char(&mc->tok, *p++);
		if (mc->tok.len > 0) {
			*pp = p;
			return TK_WORD;
		}
		p++;		/* a control byte: not part of any token */
	}
}

static int
tok_is(const struct mime_conv *mc, enum tok_type t, const char *word)
{
	return t == TK_WORD && mc->tok.len == strlen(word) &&
	    strncasecmp(mc->tok.data, word, mc->tok.len) == 0;
}

static int
tok_special(const struct mime_conv *mc, enum tok_type t, char c)
{
	return t == TK_SPECIAL && mc->tok.data[0] == c;
}

static void
bound_push(struct mime_conv *mc, enum mc_ctype def_ctype,
    enum mc_stype def_stype)
{
	struct mc_bound *b;
	size_t n = mc->tok.len;

	/* Deeper nesting is not walked: those parts pass unchanged. */
	if (n == 0 || mc->depth >= MIME_CONV_MAXDEPTH)
		return;
	if (n > MIME_CONV_BOUND_MAX)
		n = MIME_CONV_BOUND_MAX;
	b = &mc->stack[mc->depth++];
	b->str = xmalloc(n);
	memcpy(b->str, mc->tok.data, n);
	b->len = n;
	b->def_ctype = def_ctype;
	b->def_stype = def_stype;
}

static void
bound_pop(struct mime_conv *mc)
{
	free(mc->stack[--mc->depth].str);
}

/* "type/subtype; attr=value; ..." — the value starts after the colon. */
static void
parse_ctype(struct mime_conv *mc, const char *p, const char *end)
{
	enum tok_type t;
	enum mc_ctype def_ctype = CT_TEXT;
	int digest = 0;

	t = next_tok(mc, &p, end);
	if (t != TK_WORD)
		return;
	if (tok_is(mc, t, "text"))
		mc->ctype = CT_TEXT;
	else if (tok_is(mc, t, "message"))
		mc->ctype = CT_MESSAGE;
	else if (tok_is(mc, t, "multipart"))
		mc->ctype = CT_MULTIPART;
	else
		mc->ctype = CT_OTHER;
	mc->stype = ST_OTHER;
	t = next_tok(mc, &p, end);
	if (tok_special(mc, t, '/')) {
		t = next_tok(mc, &p, end);
		if (tok_is(mc, t, "rfc822"))
			mc->stype = ST_RFC822;
		else if (tok_is(mc, t, "global"))
			mc->stype = ST_GLOBAL;
		else if (tok_is(mc, t, "digest"))
			digest = 1;
	}
	if (mc->ctype != CT_MULTIPART)
		return;
	/* RFC 2046 5.1.5: a digest's parts default to message/rfc822. */
	if (digest)
		def_ctype = CT_MESSAGE;
	/* Parameters: look for every "; boundary = value".  More than one
	 * is illegal; each is pushed, as Postfix does, so that content hidden
	 * behind either is still found. */
	while (t != TK_END) {
		if (!tok_special(mc, t, ';')) {
			t = next_tok(mc, &p, end);
			continue;
		}
		t = next_tok(mc, &p, end);
		if (!tok_is(mc, t, "boundary"))
			continue;
		t = next_tok(mc, &p, end);
		if (!tok_special(mc, t, '='))
			continue;
		t = next_tok(mc, &p, end);
		if (t == TK_WORD)
			bound_push(mc, def_ctype, digest ? ST_RFC822 : ST_OTHER);
		if (t != TK_END)
			t = next_tok(mc, &p, end);
	}
}

static void
parse_cte(struct mime_conv *mc, const char *p, const char *end)
{
	enum tok_type t = next_tok(mc, &p, end);

	/* An unknown encoding leaves the domain alone (Postfix). */
	if (tok_is(mc, t, "base64") || tok_is(mc, t, "quoted-printable")) {
		mc->domain = DOM_7BIT;
		mc->encoded = 1;
		return;
	}
	if (tok_is(mc, t, "7bit"))
		mc->domain = DOM_7BIT;
	else if (tok_is(mc, t, "8bit"))
		mc->domain = DOM_8BIT;
	else if (tok_is(mc, t, "binary"))
		mc->domain = DOM_BINARY;
	else
		return;
	mc->encoded = 0;
}

/* ---- header blocks ----------------------------------------------------- */

/* Length of "name:" (with obsolete white space before the colon) at the
 * start of a line, 0 when the line is no header field (RFC 5322 2.2). */
static size_t
field_name(const char *p, size_t n, size_t *name_len)
{
	size_t i = 0, nl;

	while (i < n && (unsigned char)p[i] > ' ' && (unsigned char)p[i] < 0x7f &&
	    p[i] != ':')
		i++;
	nl = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (nl == 0 || i >= n || p[i] != ':')
		return 0;
	*name_len = nl;
	return i + 1;
}

/* More text of the open field: a piece of a line, then LF when eol. */
static void
field_more(struct mime_conv *mc, const char *p, size_t n, int eol,
    struct strbuf *out)
{
	switch (mc->field) {
	case F_CTE:
		/* Held back until we know whether it is replaced; a field
		 * too long to be a real encoding name goes out as it is. */
		if (mc->fbuf.len + n + 1 <= CTE_HOLD_MAX) {
			out_raw(&mc->fbuf, p, n, eol);
			return;
		}
		strbuf_append(out, mc->fbuf.data, mc->fbuf.len);
		strbuf_reset(&mc->fbuf);
		mc->field = F_PASS;
		break;
	case F_CTYPE:
		/* Kept for parsing up to a limit; the rest is not parsed. */
		if (!mc->ftrunc && mc->fbuf.len + n + 1 <= CTYPE_COPY_MAX)
			out_raw(&mc->fbuf, p, n, eol);
		else
			mc->ftrunc = 1;
		break;
	default:
		break;
	}
	out_raw(out, p, n, eol);
}

/* The open field is complete. */
static void
field_end(struct mime_conv *mc, struct strbuf *out)
{
	size_t nl, off;
	const char *p = mc->fbuf.data, *end = p + mc->fbuf.len;

	switch (mc->field) {
	case F_CTYPE:
		if ((off = field_name(p, mc->fbuf.len, &nl)) > 0)
			parse_ctype(mc, p + off, end);
		break;
	case F_CTE:
		if ((off = field_name(p, mc->fbuf.len, &nl)) > 0)
			parse_cte(mc, p + off, end);
		/* An 8bit or binary label is replaced at the end of the
		 * block, where the Content-Type is known. */
		if (mc->domain == DOM_7BIT)
			strbuf_append(out, mc->fbuf.data, mc->fbuf.len);
		break;
	default:
		break;
	}
	strbuf_reset(&mc->fbuf);
	mc->ftrunc = 0;
	mc->field = F_NONE;
}

/* Entity defaults at the start of a header block. */
static void
entity_reset(struct mime_conv *mc, enum mc_ctype ctype, enum mc_stype stype)
{
	mc->ctype = ctype;
	mc->stype = stype;
	mc->domain = DOM_7BIT;
	mc->encoded = 0;
}

/* The header block ends (at an empty line when blank, else at a line that
 * is no field, or at end of input).  Label, then choose the body state. */
static void
head_end(struct mime_conv *mc, int blank, int eof, struct strbuf *out)
{
	int composite = mc->ctype == CT_MULTIPART ||
	    (mc->ctype == CT_MESSAGE && mc->stype != ST_GLOBAL);

	field_end(mc, out);
	/* RFC 6152 3: 8bit and binary become quoted-printable for a leaf;
	 * a composite entity only has an identity encoding (RFC 2046 5.1.1,
	 * 5.2.1), so its label says 7bit and its parts are converted. */
	if (mc->domain != DOM_7BIT)
		strbuf_printf(out, "Content-Transfer-Encoding: %s\n",
		    composite ? "7bit" : "quoted-printable");
	if (eof)
		return;
	/* A body without the empty separator line gets one at top level
	 * (as Postfix does), and in a part whose label was replaced: an
	 * encoded body line like "=0DSubject: x" must not read as a field.
	 * An untouched part gets none (its signature stays good). */
	if (blank || mc->hclass == MC_PRIMARY || mc->domain != DOM_7BIT)
		strbuf_append_char(out, '\n');
	mc->state = MC_BODY;
	/* message/global may be encoded (RFC 6532 3.5): then, and when it
	 * is converted here, its content is opaque.  (Postfix walks an
	 * encoded one, so its own 8-bit one would be walked a second time.) */
	if (mc->ctype == CT_MESSAGE && (mc->stype == ST_RFC822 ||
	    (mc->stype == ST_GLOBAL && mc->domain == DOM_7BIT &&
	    !mc->encoded))) {
		mc->state = MC_HEAD;
		mc->hclass = MC_NESTED;
		entity_reset(mc, CT_TEXT, ST_OTHER);
	} else if (mc->ctype == CT_MULTIPART) {
		/* The preamble: not a part, passed unchanged. */
		entity_reset(mc, CT_OTHER, ST_OTHER);
	}
	/* Else a leaf (or message/partial, message/external-body, an
	 * 8-bit message/global): its body is converted when labelled 8bit. */
}

static void
head_piece(struct mime_conv *mc, const char *p, size_t n, int eol,
    struct strbuf *out)
{
	size_t nl;

	if (mc->cont || (mc->field != F_NONE && n > 0 &&
	    (p[0] == ' ' || p[0] == '\t'))) {
		/* The rest of a long line, or a folded continuation. */
		if (mc->field == F_NONE)
			mc->field = F_PASS;
		field_more(mc, p, n, eol, out);
		return;
	}
	field_end(mc, out);
	if (n == 0 && eol) {
		head_end(mc, 1, 0, out);
		return;
	}
	if (field_name(p, n, &nl) > 0) {
		if (nl == 12 && strncasecmp(p, "Content-Type", nl) == 0)
			mc->field = F_CTYPE;
		else if (nl == 25 &&
		    strncasecmp(p, "Content-Transfer-Encoding", nl) == 0)
			mc->field = F_CTE;
		else
			mc->field = F_PASS;
		field_more(mc, p, n, eol, out);
		return;
	}
	/* Not a field: the block ends here and this line is the body (or
	 * the start of an embedded message's header). */
	head_end(mc, 0, 0, out);
	piece_in(mc, p, n, eol, out);
}

/* ---- bodies ------------------------------------------------------------- */

/* A line "--boundary" or "--boundary--" of any enclosing multipart
 * (RFC 2046 5.1.1; trailing text ignored, as most parsers do).  An outer
 * boundary also closes the inner multiparts.  Returns 1 when it was one. */
static int
boundary_line(struct mime_conv *mc, const char *p, size_t n)
{
	size_t i;
	struct mc_bound *b;

	if (mc->depth == 0 || n <= 2 || p[0] != '-' || p[1] != '-')
		return 0;
	for (i = mc->depth; i-- > 0;) {
		b = &mc->stack[i];
		if (n < 2 + b->len || memcmp(p + 2, b->str, b->len) != 0)
			continue;
		while (mc->depth > i + 1)
			bound_pop(mc);
		if (n >= 4 + b->len && p[2 + b->len] == '-' &&
		    p[3 + b->len] == '-') {
			/* Close delimiter: the epilogue is not a part. */
			bound_pop(mc);
			mc->state = MC_BODY;
			entity_reset(mc, CT_OTHER, ST_OTHER);
		} else {
			mc->state = MC_HEAD;
			mc->hclass = MC_PART;
			entity_reset(mc, b->def_ctype, b->def_stype);
		}
		return 1;
	}
	return 0;
}

static void
body_piece(struct mime_conv *mc, const char *p, size_t n, int eol,
    struct strbuf *out)
{
	size_t i;

	/* Only a line's first piece can be a boundary; a quoted-printable
	 * line was flushed at its end, so nothing is pending here. */
	if (!mc->cont && boundary_line(mc, p, n)) {
		out_raw(out, p, n, eol);
		return;
	}
	if (mc->domain == DOM_7BIT) {
		out_raw(out, p, n, eol);
		return;
	}
	for (i = 0; i < n; i++)
		qp_byte(mc, (unsigned char)p[i], out);
	if (eol)
		qp_eol(mc, out);
}

/* One piece of a line; eol says the line ends with it. */
static void
piece_in(struct mime_conv *mc, const char *p, size_t n, int eol,
    struct strbuf *out)
{
	/* (The rest of a long boundary line, seen in MC_HEAD, is passed
	 * through by head_piece: cont is set and no field is open.) */
	if (mc->state == MC_HEAD)
		head_piece(mc, p, n, eol, out);
	else
		body_piece(mc, p, n, eol, out);
	mc->cont = !eol;
}

void
mime_conv_feed(struct mime_conv *mc, const char *buf, size_t len,
    struct strbuf *out)
{
	const char *lf;
	size_t n, room;

	if (mc->finished)
		return;
	while (len > 0) {
		room = MIME_CONV_PIECE - mc->piece.len;
		n = len < room ? len : room;
		lf = memchr(buf, '\n', n);
		if (lf != NULL)
			n = (size_t)(lf - buf);
		strbuf_append(&mc->piece, buf, n);
		buf += n;
		len -= n;
		if (lf != NULL) {
			buf++;
			len--;
			piece_in(mc, mc->piece.data, mc->piece.len, 1, out);
			strbuf_reset(&mc->piece);
		} else if (mc->piece.len == MIME_CONV_PIECE) {
			piece_in(mc, mc->piece.data, mc->piece.len, 0, out);
			strbuf_reset(&mc->piece);
		}
	}
}

void
mime_conv_finish(struct mime_conv *mc, struct strbuf *out)
{
	if (mc->finished)
		return;
	if (mc->piece.len > 0 || mc->cont) {
		piece_in(mc, mc->piece.data, mc->piece.len, 1, out);
		strbuf_reset(&mc->piece);
	}
	/* Content that ends inside a header block: the label still has to
	 * be right for whatever followed the dropped 8bit one. */
	if (mc->state == MC_HEAD)
		head_end(mc, 0, 1, out);
	mc->finished = 1;
}
