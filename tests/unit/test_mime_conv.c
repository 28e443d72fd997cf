/*
 * tests/unit/test_mime_conv.c — lib/mime_conv: 8bit/binary parts become
 * quoted-printable, composites are relabelled 7bit and walked (nested
 * multipart, message/rfc822, digest), everything else passes unchanged.
 * Expected outputs are written by hand; every case is also fed whole, a
 * byte at a time and in odd chunks, which must all agree.  Long lines and
 * long header fields, the nesting limit, and a round trip (a small QP
 * decoder here must give back the input) complete it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mime_conv.h"
#include "strbuf.h"

/* Convert in[0..len), fed in chunks of `chunk` bytes (0 = all at once). */
static void
conv(const char *in, size_t len, size_t chunk, struct strbuf *out)
{
	struct mime_conv *mc = mime_conv_new();
	size_t off = 0, n;

	strbuf_reset(out);
	while (off < len) {
		n = chunk == 0 || chunk > len - off ? len - off : chunk;
		mime_conv_feed(mc, in + off, n, out);
		off += n;
	}
	mime_conv_finish(mc, out);
	mime_conv_free(mc);
}

/* Print bytes so a failure shows where two outputs part. */
static void
show(const char *label, const char *p, size_t n)
{
	size_t i;

	fprintf(stderr, "%s (%zu bytes): \"", label, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\n')
			fputs("\\n\n  ", stderr);
		else if (c < 32 || c >= 127 || c == '\\')
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
	fputs("\"\n", stderr);
}

/* Convert with several chunkings; each must give want. */
static void
check_conv(const char *label, const char *in, size_t inlen, const char *want,
    size_t wantlen)
{
	static const size_t chunks[] = { 0, 1, 2, 7, 64, 4095, 4097 };
	struct strbuf out;
	size_t i;

	strbuf_init(&out, STRBUF_NOLIMIT);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		conv(in, inlen, chunks[i], &out);
		if (out.len != wantlen || memcmp(out.data, want, wantlen) != 0) {
			show("got", out.data, out.len);
			show("want", want, wantlen);
			fail_msg("%s: output differs (chunk %zu)", label, chunks[i]);
		}
	}
	strbuf_release(&out);
}

struct conv_case {
	const char *label;
	const char *in;
	size_t	inlen;
	const char *want;
	size_t	wantlen;
};

#define C(label, in, want) { label, in, sizeof(in) - 1, want, sizeof(want) - 1 }
#define QP "Content-Transfer-Encoding: quoted-printable\n"
#define E8 "Content-Transfer-Encoding: 8bit\n"

static const struct conv_case conv_cases[] = {
	C("empty input", "", ""),
	C("7-bit message unchanged",
	    "Subject: hi\n\nhello\n",
	    "Subject: hi\n\nhello\n"),
	C("unlabelled 8-bit body unchanged (Postfix)",
	    "Subject: x\n\ncaf\xc3\xa9\n",
	    "Subject: x\n\ncaf\xc3\xa9\n"),
	C("unlabelled 8-bit MIME part unchanged",
	    "MIME-Version: 1.0\nContent-Type: text/plain\n\n\xe9\n",
	    "MIME-Version: 1.0\nContent-Type: text/plain\n\n\xe9\n"),
	C("8bit text: label moved to the end, body encoded",
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
	    E8 "Subject: s\n\ncaf\xc3\xa9 = x \nline2\t\n",
	    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
	    "Subject: s\n" QP "\ncaf=C3=A9 =3D x=20\nline2=09\n"),
	C("binary: NUL, CR and 0xff encoded",
	    "Content-Transfer-Encoding: binary\n\n\0\r\xff\n",
	    QP "\n=00=0D=FF\n"),
	C("label case and comments",
	    "Content-Transfer-Encoding: (x) 8BIT (y (z))\n\n\xe9\n",
	    QP "\n=E9\n"),
	C("folded label dropped with its continuation",
	    "Content-Transfer-Encoding:\n 8bit\nX: y\n\n\xe9\n",
	    "X: y\n" QP "\n=E9\n"),
	C("obsolete space before colon",
	    "Content-Transfer-Encoding : 8bit\n\n\xe9\n",
	    QP "\n=E9\n"),
	C("base64 unchanged",
	    "Content-Transfer-Encoding: base64\n\nw6k=\n",
	    "Content-Transfer-Encoding: base64\n\nw6k=\n"),
	C("quoted-printable unchanged",
	    "Content-Transfer-Encoding: quoted-printable\n\n=E9 \xe9\n",
	    "Content-Transfer-Encoding: quoted-printable\n\n=E9 \xe9\n"),
	C("7bit unchanged",
	    "Content-Transfer-Encoding: 7bit\n\na=b \n",
	    "Content-Transfer-Encoding: 7bit\n\na=b \n"),
	C("unknown encoding unchanged",
	    "Content-Transfer-Encoding: x-uuencode\n\n\xe9\n",
	    "Content-Transfer-Encoding: x-uuencode\n\n\xe9\n"),
	C("lone equals sign",
	    E8 "\n=\n",
	    QP "\n=3D\n"),
	C("leading dash encoded, empty lines kept",
	    E8 "\n-- \n\n--x\n",
	    QP "\n=2D-=20\n\n=2D-x\n"),
	C("8-bit header bytes left alone",
	    "Subject: caf\xe9\n" E8 "\nx\n",
	    "Subject: caf\xe9\n" QP "\nx\n"),
	C("no empty line before the body: one is added",
	    E8 "body \xe9\n",
	    QP "\nbody =E9\n"),
	C("no LF at the end: one is added",
	    E8 "\nabc \xe9",
	    QP "\nabc =E9\n"),
	C("trailing space at the very end",
	    E8 "\nabc ",
	    QP "\nabc=20\n"),
	C("header only, no LF",
	    "Subject: x\nContent-Transfer-Encoding: 8bit",
	    "Subject: x\n" QP),
	C("unlabelled content, no LF",
	    "Subject: x\n\nab",
	    "Subject: x\n\nab\n"),
	C("multipart: label 7bit, preamble/epilogue kept, parts converted",
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
	    E8
	    "\n"
	    "preamble \xe9\n"
	    "--b1\n"
	    "Content-Type: text/plain; charset=latin1\n"
	    E8
	    "\n"
	    "caf\xe9\n"
	    "--b1\n"
	    "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "AAAA\n"
	    "--b1--\n"
	    "epilogue \xe9\n",
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "\n"
	    "preamble \xe9\n"
	    "--b1\n"
	    "Content-Type: text/plain; charset=latin1\n"
	    QP
	    "\n"
	    "caf=E9\n"
	    "--b1\n"
	    "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "AAAA\n"
	    "--b1--\n"
	    "epilogue \xe9\n"),
	C("nested multipart, folded Content-Type, boundary cruft",
	    "Content-Type: multipart/mixed;\n"
	    "\tboundary=b1 (outer)\n"
	    E8
	    "\n"
	    "--b1 \n"
	    "Content-Type: multipart/alternative; boundary=\"b2\"\n"
	    "\n"
	    "--b2\n"
	    E8
	    "\n"
	    "\xe9\n"
	    "--b2--\n"
	    "--b1\n"
	    E8
	    "\n"
	    "\xe8\n"
	    "--b1--\n",
	    "Content-Type: multipart/mixed;\n"
	    "\tboundary=b1 (outer)\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "\n"
	    "--b1 \n"
	    "Content-Type: multipart/alternative; boundary=\"b2\"\n"
	    "\n"
	    "--b2\n"
	    QP
	    "\n"
	    "=E9\n"
	    "--b2--\n"
	    "--b1\n"
	    QP
	    "\n"
	    "=E8\n"
	    "--b1--\n"),
	C("outer boundary closes an unclosed inner multipart",
	    "Content-Type: multipart/mixed; boundary=b1\n"
	    "\n"
	    "--b1\n"
	    "Content-Type: multipart/alternative; boundary=b2\n"
	    "\n"
	    "--b2\n"
	    E8
	    "\n"
	    "\xe9\n"
	    "--b1\n"
	    E8
	    "\n"
	    "\xe8\n"
	    "--b1--\n"
	    "--b2\n"
	    E8
	    "\n"
	    "\xe7\n",
	    "Content-Type: multipart/mixed; boundary=b1\n"
	    "\n"
	    "--b1\n"
	    "Content-Type: multipart/alternative; boundary=b2\n"
	    "\n"
	    "--b2\n"
	    QP
	    "\n"
	    "=E9\n"
	    "--b1\n"
	    QP
	    "\n"
	    "=E8\n"
	    "--b1--\n"
	    "--b2\n"
	    E8
	    "\n"
	    "\xe7\n"),
	C("message/rfc822 part: relabelled 7bit, embedded header walked",
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "Content-Type: message/rfc822\n"
	    E8
	    "\n"
	    "Subject: inner \xe9\n"
	    E8
	    "\n"
	    "inner \xe9\n"
	    "--b--\n",
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "\n"
	    "Subject: inner \xe9\n"
	    QP
	    "\n"
	    "inner =E9\n"
	    "--b--\n"),
	C("top-level message/rfc822 with a multipart inside",
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: binary\n"
	    "\n"
	    "Content-Type: multipart/mixed; boundary=\"x y\"\n"
	    "\n"
	    "--x y\n"
	    "Content-Transfer-Encoding: binary\n"
	    "\n"
	    "\xff\n"
	    "--x y--\n",
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: 7bit\n"
	    "\n"
	    "Content-Type: multipart/mixed; boundary=\"x y\"\n"
	    "\n"
	    "--x y\n"
	    QP
	    "\n"
	    "=FF\n"
	    "--x y--\n"),
	C("digest parts default to message/rfc822",
	    "Content-Type: multipart/digest; boundary=d\n"
	    "\n"
	    "--d\n"
	    "\n"
	    E8
	    "\n"
	    "\xe9\n"
	    "--d--\n",
	    "Content-Type: multipart/digest; boundary=d\n"
	    "\n"
	    "--d\n"
	    "\n"
	    QP
	    "\n"
	    "=E9\n"
	    "--d--\n"),
	C("converted part header ended by a non-field line: empty line added",
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    E8
	    "\rX: \xe9\n"
	    "--b--\n",
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    QP
	    "\n"
	    "=0DX: =E9\n"
	    "--b--\n"),
	C("untouched part header ended by a non-field line: none added",
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "Content-Type: text/plain\n"
	    "\xe9\n"
	    "--b--\n",
	    "Content-Type: multipart/mixed; boundary=b\n"
	    "\n"
	    "--b\n"
	    "Content-Type: text/plain\n"
	    "\xe9\n"
	    "--b--\n"),
	C("message/partial labelled 8bit: 7bit label, body encoded (Postfix)",
	    "Content-Type: message/partial; id=x; number=1\n" E8 "\n\xe9\n",
	    "Content-Type: message/partial; id=x; number=1\n"
	    "Content-Transfer-Encoding: 7bit\n\n=E9\n"),
	C("8-bit message/global: quoted-printable, content opaque",
	    "Content-Type: message/global\n" E8 "\nSubject: \xe9\n" E8 "\n\xe9\n",
	    "Content-Type: message/global\n" QP
	    "\nSubject: =E9\n" E8 "\n=E9\n"),
	C("encoded message/global stays opaque",
	    "Content-Type: message/global\n" QP "\n" E8 "\n\xe9\n",
	    "Content-Type: message/global\n" QP "\n" E8 "\n\xe9\n"),
	C("7bit message/global is walked",
	    "Content-Type: message/global\n\n" E8 "\n\xe9\n",
	    "Content-Type: message/global\n\n" QP "\n=E9\n"),
	C("multipart without boundary: body passes unchanged",
	    "Content-Type: multipart/mixed\n" E8 "\n--b\n" E8 "\n\xe9\n",
	    "Content-Type: multipart/mixed\n"
	    "Content-Transfer-Encoding: 7bit\n\n--b\n" E8 "\n\xe9\n"),
	C("boundary-like text in a leaf body stays text",
	    E8 "\n--b1\n\xe9\n",
	    QP "\n=2D-b1\n=E9\n"),
	C("boundary parameter among others, case-insensitive names",
	    "content-type: Multipart/Mixed; charset=\"a;b\"; BOUNDARY=\"q\\\"z\"\n"
	    "\n--q\"z\ncontent-transfer-encoding: 8bit\n\n\xe9\n--q\"z--\n",
	    "content-type: Multipart/Mixed; charset=\"a;b\"; BOUNDARY=\"q\\\"z\"\n"
	    "\n--q\"z\n" QP "\n=E9\n--q\"z--\n"),
};

static void
test_conv_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(conv_cases) / sizeof(conv_cases[0]); i++)
		check_conv(conv_cases[i].label, conv_cases[i].in,
		    conv_cases[i].inlen, conv_cases[i].want,
		    conv_cases[i].wantlen);
}

/* ---- long lines and soft breaks ---- */

static void
rep(struct strbuf *sb, char c, size_t n)
{
	while (n-- > 0)
		strbuf_append_char(sb, c);
}

static void
test_soft_breaks(void **state)
{
	struct strbuf in, want;

	(void)state;
	strbuf_init(&in, STRBUF_NOLIMIT);
	strbuf_init(&want, STRBUF_NOLIMIT);

	/* 73 characters fit on a line as they are. */
	strbuf_set_str(&in, E8 "\n"); rep(&in, 'a', 73); strbuf_append_str(&in, "\n");
	strbuf_set_str(&want, QP "\n"); rep(&want, 'a', 73); strbuf_append_str(&want, "\n");
	check_conv("73 chars", in.data, in.len, want.data, want.len);

	/* The 74th goes to the next line after a soft break. */
	strbuf_set_str(&in, E8 "\n"); rep(&in, 'a', 74); strbuf_append_str(&in, "\n");
	strbuf_set_str(&want, QP "\n"); rep(&want, 'a', 73);
	strbuf_append_str(&want, "=\na\n");
	check_conv("74 chars", in.data, in.len, want.data, want.len);

	/* An escape is never split: 71 + 3 > 73. */
	strbuf_set_str(&in, E8 "\n"); rep(&in, 'a', 71); strbuf_append_str(&in, "\xe9\n");
	strbuf_set_str(&want, QP "\n"); rep(&want, 'a', 71);
	strbuf_append_str(&want, "=\n=E9\n");
	check_conv("escape at the break", in.data, in.len, want.data, want.len);

	/* Trailing white space on a full line: 72 + "=20" = 75 <= 76. */
	strbuf_set_str(&in, E8 "\n"); rep(&in, 'a', 72); strbuf_append_str(&in, " \n");
	strbuf_set_str(&want, QP "\n"); rep(&want, 'a', 72);
	strbuf_append_str(&want, "=20\n");
	check_conv("trailing space, full line", in.data, in.len, want.data,
	    want.len);

	/* Space before a soft break is not trailing; a "-" after one is
	 * encoded so no line can look like a boundary. */
	strbuf_set_str(&in, E8 "\n"); rep(&in, 'a', 72);
	strbuf_append_str(&in, " --b1\n");
	strbuf_set_str(&want, QP "\n"); rep(&want, 'a', 72);
	strbuf_append_str(&want, " =\n=2D-b1\n");
	check_conv("dash after soft break", in.data, in.len, want.data,
	    want.len);

	/* A 10000-byte 8-bit line: 24 escapes (72 characters) a line. */
	strbuf_set_str(&in, E8 "\n"); rep(&in, '\xe9', 10000); strbuf_append_str(&in, "\n");
	strbuf_set_str(&want, QP "\n");
	{
		size_t left = 10000, k;

		while (left > 0) {
			k = left < 24 ? left : 24;
			left -= k;
			while (k-- > 0)
				strbuf_append_str(&want, "=E9");
			strbuf_append_str(&want, left > 0 ? "=\n" : "\n");
		}
	}
	check_conv("10000-byte line", in.data, in.len, want.data, want.len);

	strbuf_release(&in);
	strbuf_release(&want);
}

static void
test_long_headers(void **state)
{
	struct strbuf in, want;

	(void)state;
	strbuf_init(&in, STRBUF_NOLIMIT);
	strbuf_init(&want, STRBUF_NOLIMIT);

	/* A 20000-byte header field (and folded continuation) passes. */
	strbuf_set_str(&in, "X-Long: "); rep(&in, 'x', 20000);
	strbuf_append_str(&in, "\n "); rep(&in, 'y', 9000);
	strbuf_append_str(&in, "\n" E8 "\n\xe9\n");
	strbuf_set_str(&want, "X-Long: "); rep(&want, 'x', 20000);
	strbuf_append_str(&want, "\n "); rep(&want, 'y', 9000);
	strbuf_append_str(&want, "\n" QP "\n=E9\n");
	check_conv("long header field", in.data, in.len, want.data, want.len);

	/* A boundary parameter 5000 bytes into a Content-Type (over one
	 * piece) is still found. */
	strbuf_set_str(&in, "Content-Type: multipart/mixed; x=\"");
	rep(&in, 'y', 5000);
	strbuf_append_str(&in, "\"; boundary=lb\n\n--lb\n" E8 "\n\xe9\n--lb--\n");
	strbuf_set_str(&want, "Content-Type: multipart/mixed; x=\"");
	rep(&want, 'y', 5000);
	strbuf_append_str(&want, "\"; boundary=lb\n\n--lb\n" QP "\n=E9\n--lb--\n");
	check_conv("boundary late in Content-Type", in.data, in.len,
	    want.data, want.len);

	/* Past the copy limit (8192) the boundary is not seen: the body is
	 * the preamble of a multipart without parts, unchanged. */
	strbuf_set_str(&in, "Content-Type: multipart/mixed; x=\"");
	rep(&in, 'y', 9000);
	strbuf_append_str(&in, "\"; boundary=lb\n\n--lb\n" E8 "\n\xe9\n--lb--\n");
	check_conv("boundary past the copy limit", in.data, in.len, in.data,
	    in.len);

	/* A label field too long to be held goes out as it is and is not
	 * parsed: the body is not converted. */
	strbuf_set_str(&in, "Content-Transfer-Encoding: 8bit (");
	rep(&in, 'c', 2000);
	strbuf_append_str(&in, ")\n\n\xe9\n");
	check_conv("overlong label kept", in.data, in.len, in.data, in.len);

	/* A boundary line longer than a piece, then a part to convert. */
	strbuf_set_str(&in, "Content-Type: multipart/mixed; boundary=b\n\n--b");
	rep(&in, ' ', 6000);
	strbuf_append_str(&in, "\n" E8 "\n\xe9\n--b--\n");
	strbuf_set_str(&want, "Content-Type: multipart/mixed; boundary=b\n\n--b");
	rep(&want, ' ', 6000);
	strbuf_append_str(&want, "\n" QP "\n=E9\n--b--\n");
	check_conv("long boundary line", in.data, in.len, want.data, want.len);

	strbuf_release(&in);
	strbuf_release(&want);
}

/* ---- nesting limit ---- */

/* n nested multiparts b0_..b(n-1)_ (no boundary a prefix of another),
 * the innermost part labelled 8bit. */
static void
nested(struct strbuf *sb, size_t n, int converted)
{
	size_t i;

	strbuf_reset(sb);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_printf(sb, "--b%zu_\n", i - 1);
		strbuf_printf(sb, "Content-Type: multipart/mixed; boundary=b%zu_\n\n",
		    i);
	}
	strbuf_printf(sb, "--b%zu_\n%s\n%s\n", n - 1, converted ? QP : E8,
	    converted ? "=E9" : "\xe9");
}

static void
test_depth_limit(void **state)
{
	struct strbuf in, want;

	(void)state;
	strbuf_init(&in, STRBUF_NOLIMIT);
	strbuf_init(&want, STRBUF_NOLIMIT);
	nested(&in, MIME_CONV_MAXDEPTH, 0);
	nested(&want, MIME_CONV_MAXDEPTH, 1);
	check_conv("at the depth limit", in.data, in.len, want.data, want.len);
	nested(&in, MIME_CONV_MAXDEPTH + 1, 0);
	check_conv("past the depth limit", in.data, in.len, in.data, in.len);
	nested(&in, 500, 0);
	check_conv("far past the depth limit", in.data, in.len, in.data, in.len);
	strbuf_release(&in);
	strbuf_release(&want);
}

/* ---- round trip ---- */

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a quoted-printable body; checks RFC 2045 6.7 on the way: lines
 * of at most 76, 7-bit printable (or TAB), no white space at a hard
 * line end, "=" only as "=XX" or a soft break.  -1 when broken. */
static int
qp_decode(const char *p, size_t n, struct strbuf *out)
{
	size_t i, start = 0, end;
	int hi, lo, soft;

	strbuf_reset(out);
	while (start < n) {
		const char *nl = memchr(p + start, '\n', n - start);

		if (nl == NULL)
			return -1;	/* output always ends with LF */
		end = (size_t)(nl - p);
		if (end - start > 76)
			return -1;
		for (i = start; i < end; i++) {
			unsigned char c = (unsigned char)p[i];

			if ((c < 32 && c != '\t') || c > 126)
				return -1;
		}
		if (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t' ||
		    p[start] == '-'))
			return -1;
		soft = 0;
		for (i = start; i < end; i++) {
			if (p[i] != '=') {
				strbuf_append_char(out, p[i]);
				continue;
			}
			if (i + 1 == end) {
				soft = 1;
				break;
			}
			if (i + 2 >= end)
				return -1;
			hi = hexval(p[i + 1]);
			lo = hexval(p[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			strbuf_append_char(out, (char)(hi * 16 + lo));
			i += 2;
		}
		if (!soft)
			strbuf_append_char(out, '\n');
		start = end + 1;
	}
	return 0;
}

static void
test_round_trip(void **state)
{
	static const char alphabet[] = "aZ09 \t=\n-.\r\x80\xe9\xff\0";
	struct strbuf body, in, out, dec, want;
	size_t iter, i, len, chunk, hlen;
	uint32_t r;

	(void)state;
	strbuf_init(&body, STRBUF_NOLIMIT);
	strbuf_init(&in, STRBUF_NOLIMIT);
	strbuf_init(&out, STRBUF_NOLIMIT);
	strbuf_init(&dec, STRBUF_NOLIMIT);
	strbuf_init(&want, STRBUF_NOLIMIT);
	for (iter = 0; iter < 400; iter++) {
		strbuf_reset(&body);
		len = rnd() % (iter % 10 == 0 ? 20000 : 600);
		for (i = 0; i < len; i++) {
			r = rnd() % 100;
			/* Mostly letters, some of every special case; few LFs
			 * so long lines happen. */
			if (r < 60)
				strbuf_append_char(&body, 'a' + rnd() % 26);
			else if (r < 62 && iter % 3 == 0)
				strbuf_append_char(&body, '\n');
			else
				strbuf_append_char(&body,
				    alphabet[rnd() % (sizeof(alphabet) - 1)]);
		}
		strbuf_set_str(&in, "Subject: t\n" E8 "\n");
		strbuf_append(&in, body.data, body.len);
		chunk = 1 + rnd() % 5000;
		conv(in.data, in.len, chunk, &out);
		hlen = strlen("Subject: t\n" QP "\n");
		if (out.len < hlen ||
		    memcmp(out.data, "Subject: t\n" QP "\n", hlen) != 0)
			fail_msg("round trip %zu: header changed", iter);
		if (qp_decode(out.data + hlen, out.len - hlen, &dec) != 0) {
			show("body", out.data + hlen, out.len - hlen);
			fail_msg("round trip %zu: not valid quoted-printable", iter);
		}
		/* The converter ends the last line. */
		strbuf_reset(&want);
		strbuf_append(&want, body.data, body.len);
		if (body.len > 0 && body.data[body.len - 1] != '\n')
			strbuf_append_char(&want, '\n');
		if (dec.len != want.len || memcmp(dec.data, want.data, want.len)) {
			show("decoded", dec.data, dec.len);
			show("want", want.data, want.len);
			fail_msg("round trip %zu: decoded body differs", iter);
		}
	}
	strbuf_release(&body);
	strbuf_release(&in);
	strbuf_release(&out);
	strbuf_release(&dec);
	strbuf_release(&want);
}

static void
test_has_8bit(void **state)
{
	(void)state;
	assert_int_equal(mime_conv_has_8bit("", 0), 0);
	assert_int_equal(mime_conv_has_8bit("abc\n\0\x7f", 6), 0);
	assert_int_equal(mime_conv_has_8bit("abc\x80", 4), 1);
	assert_int_equal(mime_conv_has_8bit("\xff", 1), 1);
}

static void
test_finish_twice_and_free_null(void **state)
{
	struct mime_conv *mc = mime_conv_new();
	struct strbuf out;

	(void)state;
	strbuf_init(&out, STRBUF_NOLIMIT);
	mime_conv_feed(mc, E8 "\n\xe9", sizeof(E8 "\n\xe9") - 1, &out);
	mime_conv_finish(mc, &out);
	mime_conv_finish(mc, &out);
	mime_conv_feed(mc, "more\n", 5, &out);	/* ignored after finish */
	assert_string_equal(out.data, QP "\n=E9\n");
	mime_conv_free(mc);
	mime_conv_free(NULL);
	strbuf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_table),
		cmocka_unit_test(test_soft_breaks),
		cmocka_unit_test(test_long_headers),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_has_8bit),
		cmocka_unit_test(test_finish_twice_and_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
