/*
 * tests/fuzz/fuzz_hdr.c — libFuzzer harness for lib/hdr: the header block
 * scanner (all at once and split in two at a data-chosen point, which must
 * agree), the unfolder, the address-list parser on every field found and
 * the choice of recipient fields.
 * Checks the scanner's invariants (fields in order, inside the block).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count_addr(const char *addr, void *ctx)
{
	size_t *n = ctx;

	if (addr[0] == '\0')
		abort();	/* empty addresses are never reported */
	(*n)++;
}

static void
count_field(const struct hdr_field *f, void *ctx)
{
	size_t *n = ctx;

	(void)f;
	(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct hdr_block a, b;
	struct strbuf val;
	size_t i, split, prev_end = 0, naddr;
	const char *why;

	hdr_block_init(&a, 64);
	hdr_block_scan(&a, buf, size, 1);

	/* The same input fed in two pieces must give the same block. */
	split = size > 0 ? data[0] % (size + 1) : 0;
	hdr_block_init(&b, 64);
	if (hdr_block_scan(&b, buf, split, 0) == HDR_SCAN_MORE)
		hdr_block_scan(&b, buf, size, 1);
	if (a.end != b.end || a.body != b.body || a.nfield != b.nfield ||
	    a.blank != b.blank)
		abort();
	if (a.end > a.body || a.body > size || a.nfield > 64)
		abort();

	strbuf_init(&val, 4096);
	for (i = 0; i < a.nfield; i++) {
		const struct hdr_field *f = &a.fields[i];

		if (f->off != prev_end || f->off + f->len > a.end ||
		    f->value_off > f->len || f->name_len == 0)
			abort();
		prev_end = f->off + f->len;
		(void)hdr_unfold(buf + f->off + f->value_off,
		    f->len - f->value_off, &val);
		naddr = 0;
		why = NULL;
		(void)hdr_parse_addrs(buf + f->off + f->value_off,
		    f->len - f->value_off, 100, 256, count_addr, &naddr, &why);
		if (naddr > 100)
			abort();
	}
	if (a.nfield > 0 && prev_end != a.end)
		abort();
	naddr = 0;
	if (hdr_rcpt_fields(buf, &a, count_field, &naddr) != naddr ||
	    naddr > a.nfield)
		abort();
	strbuf_release(&val);
	hdr_block_free(&a);
	hdr_block_free(&b);
	return 0;
}
