/*
 * tests/fuzz/fuzz_mime_conv.c — libFuzzer harness for lib/mime_conv.
 * The first byte picks a mode and a chunk size.  Mode "any": the rest is
 * a whole message; fed whole and in chunks the output must be the same,
 * no bigger than 4 bytes per input byte (+4), and converting the output
 * again must change nothing (a converted part is labelled
 * quoted-printable; no encoded line can turn into a boundary).
 * Mode "leaf": the rest is the body of a part labelled 8bit; the output
 * body must be valid 7-bit quoted-printable that decodes to the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime_conv.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LEAF_HDR	"Content-Transfer-Encoding: 8bit\n\n"
#define LEAF_OUT	"Content-Transfer-Encoding: quoted-printable\n\n"

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

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 2045 6.7 checks while decoding; aborts on any violation. */
static void
qp_decode(const char *p, size_t n, struct strbuf *out)
{
	size_t i, start = 0, end;
	int hi, lo, soft;

	while (start < n) {
		const char *nl = memchr(p + start, '\n', n - start);

		if (nl == NULL)
			abort();
		end = (size_t)(nl - p);
		if (end - start > 76)
			abort();
		if (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t' ||
		    p[start] == '-'))
			abort();
		soft = 0;
		for (i = start; i < end; i++) {
			unsigned char c = (unsigned char)p[i];

			if ((c < 32 && c != '\t') || c > 126)
				abort();
			if (c != '=') {
				strbuf_append_char(out, (char)c);
				continue;
			}
			if (i + 1 == end) {
				soft = 1;
				break;
			}
			if (i + 2 >= end)
				abort();
			hi = hexval(p[i + 1]);
			lo = hexval(p[i + 2]);
			if (hi < 0 || lo < 0)
				abort();
			strbuf_append_char(out, (char)(hi * 16 + lo));
			i += 2;
		}
		if (!soft)
			strbuf_append_char(out, '\n');
		start = end + 1;
	}
}

static void
mode_any(const char *in, size_t len, size_t chunk)
{
	struct strbuf a, b, c;

	strbuf_init(&a, STRBUF_NOLIMIT);
	strbuf_init(&b, STRBUF_NOLIMIT);
	strbuf_init(&c, STRBUF_NOLIMIT);
	conv(in, len, 0, &a);
	conv(in, len, chunk, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	if (a.len > 4 * len + 4)
		abort();
	if (a.len > 0 && a.data[a.len - 1] != '\n')
		abort();
	conv(a.data, a.len, chunk, &c);
	if (c.len != a.len || memcmp(c.data, a.data, a.len) != 0)
		abort();
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&c);
}

static void
mode_leaf(const char *body, size_t len, size_t chunk)
{
	struct strbuf in, out, dec;
	size_t hl = sizeof(LEAF_OUT) - 1;

	strbuf_init(&in, STRBUF_NOLIMIT);
	strbuf_init(&out, STRBUF_NOLIMIT);
	strbuf_init(&dec, STRBUF_NOLIMIT);
	strbuf_set_str(&in, LEAF_HDR);
	strbuf_append(&in, body, len);
	conv(in.data, in.len, chunk, &out);
	if (out.len < hl || memcmp(out.data, LEAF_OUT, hl) != 0)
		abort();
	qp_decode(out.data + hl, out.len - hl, &dec);
	/* The converter ends the last line. */
	if (len > 0 && body[len - 1] != '\n')
		strbuf_append_char(&in, '\n');
	if (dec.len != in.len - (sizeof(LEAF_HDR) - 1) ||
	    memcmp(dec.data, in.data + sizeof(LEAF_HDR) - 1, dec.len) != 0)
		abort();
	strbuf_release(&in);
	strbuf_release(&out);
	strbuf_release(&dec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk;

	if (size == 0)
		return 0;
	chunk = 1 + (data[0] >> 1) * 37;	/* 1 .. 4700: below and above a piece */
	if (data[0] & 1)
		mode_leaf((const char *)data + 1, size - 1, chunk);
	else
		mode_any((const char *)data + 1, size - 1, chunk);
	return 0;
}
