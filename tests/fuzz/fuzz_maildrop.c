/*
 * tests/fuzz/fuzz_maildrop.c — libFuzzer harness for the stream that the
 * setgid postdrop reads from its (untrusted) caller: frame decoding plus
 * maildrop_check_frame()'s validation, through maildrop_check_buffer().
 * Small limits so that the size and recipient checks are reached.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../../sendmail/maildrop.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf why;
	int rc;

	strbuf_init(&why, 1024);
	rc = maildrop_check_buffer(data, size, 64 * 1024, 4096, 20, &why);
	if (rc < 0 && why.len == 0)
		abort();	/* every rejection says why */
	strbuf_release(&why);
	return 0;
}
