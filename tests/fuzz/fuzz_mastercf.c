/*
 * tests/fuzz/fuzz_mastercf.c — master.cf text through mastercf_parse_text:
 * columns, continuation lines, "{ }" arguments, duplicate checks.  Every
 * successful parse is freed again (leaks are findings).
 */
#include <stddef.h>
#include <stdint.h>

#include "mastercf.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mastercf_entry *e;
	struct strbuf err;
	size_t n, i;
	int j, total = 0;

	strbuf_init(&err, 4096);
	if (mastercf_parse_text("master.cf", (const char *)data, size, 100, &e, &n,
	    &err) == 0) {
		for (i = 0; i < n; i++)
			for (j = 0; j < e[i].argc; j++)
				total += e[i].argv[j][0];
		mastercf_free(e, n);
	}
	strbuf_release(&err);
	return total == -1;
}
