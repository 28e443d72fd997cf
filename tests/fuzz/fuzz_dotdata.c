/*
 * tests/fuzz/fuzz_dotdata.c — the DATA reader over arbitrary input: output
 * never exceeds input, the end marker is always a CRLF.CRLF preceded by a
 * real line start, and feeding split or whole gives the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dotdata.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct result {
	int	end;
	size_t	used;
	int	errs;
	uint64_t sum;
};

static void
run(const char *p, size_t n, size_t step, size_t line_limit, struct result *res)
{
	struct dotdata d;
	struct strbuf out;
	size_t	off = 0, used, end;

	memset(res, 0, sizeof(*res));
	dotdata_init(&d, line_limit, 4096);
	strbuf_init(&out, n + 1);
	while (off < n && !res->end) {
		end = off + step < n ? off + step : n;
		res->end = dotdata_feed(&d, p + off, end - off, &used, &out);
		if (used > end - off || out.len > used)
			abort();
		for (size_t i = 0; i < out.len; i++)
			res->sum = res->sum * 131 + (unsigned char)out.data[i];
		strbuf_reset(&out);
		off += used;
	}
	res->used = off;
	res->errs = d.errs;
	if (res->end && !(off >= 3 && memcmp(p + off - 3, ".\r\n", 3) == 0
	    && (off == 3 || (off >= 5 && memcmp(p + off - 5, "\r\n", 2) == 0))))
		abort();	/* ended anywhere but at CRLF.CRLF */
	strbuf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result a, b;

	if (size < 2)
		return (0);
	run((const char *)data + 2, size - 2, size, data[0] % 80, &a);
	run((const char *)data + 2, size - 2, 1 + data[1] % 7, data[0] % 80, &b);
	if (memcmp(&a, &b, sizeof(a)) != 0)
		abort();
	return (0);
}
