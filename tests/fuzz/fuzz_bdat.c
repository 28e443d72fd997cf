/*
 * tests/fuzz/fuzz_bdat.c — the BDAT reader (lib/dotdata.c in BDAT mode)
 * over arbitrary chunks: each chunk is consumed exactly (never a byte of
 * what follows it), output never exceeds input, feeding in small steps
 * gives the result of feeding whole chunks, and the result equals a plain
 * model: a bare CR or LF anywhere (also split between chunks, or a CR at
 * the very end) or a NUL is an error, otherwise CRLF becomes LF and a last
 * line without its end gets one.  Then a skip of a chunk produces nothing.
 *
 * Input: byte 0 = step size, then chunks of [length byte][bytes].
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dotdata.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	int	errs;
	size_t	len;
	uint64_t sum;
};

/* The chunks in p[0..n): [len][bytes]...; the last one is LAST. */
static void
run(const uint8_t *p, size_t n, size_t step, struct strbuf *all,
    struct result *res)
{
	struct dotdata d;
	struct strbuf out;
	size_t	off = 0, clen, done, used, avail, offer;

	memset(res, 0, sizeof(*res));	/* padding too: compared whole */
	dotdata_bdat_init(&d, 0, 0);
	strbuf_init(&out, 65536 + 2);
	strbuf_reset(all);
	while (off < n) {
		clen = p[off++];
		if (clen > n - off)
			clen = n - off;
		dotdata_chunk(&d, clen, off + clen >= n);
		done = 0;
		for (;;) {
			/* Offer all that is left: bytes after the chunk must
			 * stay unread. */
			avail = n - off - done;
			offer = step && step < avail ? step : avail;
			if (dotdata_feed(&d, (const char *)p + off + done, offer,
			    &used, &out)) {
				done += used;
				break;
			}
			if (used != offer || used == 0)
				abort();	/* all taken inside a chunk */
			done += used;
		}
		if (done != clen || out.len > clen)
			abort();
		strbuf_append(all, out.data, out.len);
		strbuf_reset(&out);
		off += clen;
	}
	dotdata_bdat_end(&d, &out);
	strbuf_append(all, out.data, out.len);
	res->errs = d.errs;
	res->len = all->len;
	res->sum = 0;
	for (size_t i = 0; i < all->len; i++)
		res->sum = res->sum * 131 + (unsigned char)all->data[i];
	strbuf_release(&out);
}

/* The model, over the chunk bytes put together. */
static void
model(const uint8_t *p, size_t n, struct strbuf *wire, struct strbuf *want,
    int *errs)
{
	size_t	off = 0, clen, i;

	strbuf_reset(wire);
	while (off < n) {
		clen = p[off++];
		if (clen > n - off)
			clen = n - off;
		strbuf_append(wire, p + off, clen);
		off += clen;
	}
	*errs = 0;
	strbuf_reset(want);
	for (i = 0; i < wire->len; i++) {
		char	c = wire->data[i];

		if (c == '\n' && (i == 0 || wire->data[i - 1] != '\r'))
			*errs |= DOTDATA_E_BARE_LF;
		if (c == '\r' && (i + 1 == wire->len || wire->data[i + 1] != '\n'))
			*errs |= DOTDATA_E_BARE_CR;
		if (c == '\0')
			*errs |= DOTDATA_E_NUL;
		if (c != '\r')
			strbuf_append_char(want, c);
	}
	if (wire->len > 0 && wire->data[wire->len - 1] != '\n')
		strbuf_append_char(want, '\n');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf all, wire, want;
	struct result a, b;
	struct dotdata d;
	size_t	used;
	int	errs;

	if (size < 1)
		return (0);
	strbuf_init(&all, STRBUF_NOLIMIT);
	strbuf_init(&wire, STRBUF_NOLIMIT);
	strbuf_init(&want, STRBUF_NOLIMIT);
	run(data + 1, size - 1, 0, &all, &a);
	run(data + 1, size - 1, 1 + data[0] % 7, &all, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	model(data + 1, size - 1, &wire, &want, &errs);
	if (errs != a.errs)
		abort();
	if (!errs && (all.len != want.len || memcmp(all.data, want.data, all.len)))
		abort();
	/* Skip mode: the same bytes vanish, nothing comes out. */
	dotdata_skip(&d, wire.len);
	strbuf_reset(&all);
	if (dotdata_feed(&d, wire.data, wire.len, &used, &all) != 1
	    || used != wire.len || all.len != 0)
		abort();
	strbuf_release(&all);
	strbuf_release(&wire);
	strbuf_release(&want);
	return (0);
}
