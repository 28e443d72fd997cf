/*
 * tests/fuzz/fuzz_smtp_reply_reader.c — smtp-client's reply reader over
 * arbitrary server output, split where the first byte says: every reply is
 * within the limits (code 200-599, at most 100 lines, bounded text), bytes
 * are consumed as promised, and a whole feed and a split feed read the
 * same replies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../smtp-client/smtp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read replies until the input ends or one is malformed; a checksum of
 * what was read. */
static uint64_t
run(const char *p, size_t n, size_t step)
{
	struct smtpc_reader rd;
	struct strbuf why;
	uint64_t sum = 0;
	size_t off = 0, used, len;
	int st;

	smtpc_reader_init(&rd);
	strbuf_init(&why, 256);
	smtpc_reader_next(&rd);
	while (off < n) {
		len = n - off < step ? n - off : step;
		st = smtpc_reply_feed(&rd, p + off, len, &used, &why);
		if (used > len)
			abort();
		off += used;
		if (st == SMTPC_REPLY_MORE) {
			if (used != len)
				abort();
			continue;
		}
		sum = sum * 31 + (uint64_t)st;
		if (st == SMTPC_REPLY_BAD)
			break;
		if (rd.reply.code < 200 || rd.reply.code > 599 || rd.reply.nlines == 0 ||
		    rd.reply.nlines > SMTPC_REPLY_LINES_MAX ||
		    rd.reply.text.len > SMTPC_REPLY_TEXT_MAX)
			abort();
		sum = sum * 31 + (uint64_t)rd.reply.code;
		for (size_t i = 0; i < rd.reply.text.len; i++)
			sum = sum * 131 + (unsigned char)rd.reply.text.data[i];
		smtpc_reader_next(&rd);
	}
	strbuf_release(&why);
	smtpc_reader_release(&rd);
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 64 + 1;
	if (run((const char *)data + 1, size - 1, size) !=
	    run((const char *)data + 1, size - 1, step))
		abort();
	return 0;
}
