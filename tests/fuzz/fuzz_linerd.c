/*
 * tests/fuzz/fuzz_linerd.c — linerd over arbitrary input, split where the
 * first byte says: lines never exceed the limit, every byte is consumed,
 * and a whole feed and a split feed give the same results.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linerd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run the reader; return a checksum of results and lines. */
static uint64_t
run(const char *p, size_t n, size_t limit, size_t step)
{
	struct linerd lr;
	uint64_t sum = 0;
	size_t	off = 0, used, end;
	enum linerd_result r;

	linerd_init(&lr, limit);
	while (off < n) {
		end = off + step < n ? off + step : n;
		while (off < end) {
			r = linerd_feed(&lr, p + off, end - off, &used);
			if (used == 0 || used > end - off || lr.line.len > limit)
				abort();
			off += used;
			if (r == LINERD_NEED_MORE)
				continue;	/* how often depends on the split */
			sum = sum * 31 + (uint64_t)r;
			if (r == LINERD_LINE)
				for (size_t i = 0; i < lr.line.len; i++)
					sum = sum * 131 + (unsigned char)lr.line.data[i];
		}
	}
	linerd_release(&lr);
	return (sum);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	limit, step;

	if (size < 2)
		return (0);
	limit = data[0] % 64;
	step = 1 + data[1] % 16;
	if (run((const char *)data + 2, size - 2, limit, size) !=
	    run((const char *)data + 2, size - 2, limit, step))
		abort();
	return (0);
}
