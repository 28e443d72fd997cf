/*
 * tests/fuzz/fuzz_ipc.c — libFuzzer harness for the IPC frame decoder
 * (lib/ipc.c).  The input is a byte stream of frames; they are decoded
 * one after another with a small limit (so the limit check is reached),
 * each decoded message is rendered for a log line, re-encoded, and the
 * re-encoding must decode to the same bytes again (round trip).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_LIMIT	4096

static void
check_round_trip(const struct ipc_msg *m, const uint8_t *frame, size_t len)
{
	struct strbuf enc, text, why;
	struct ipc_msg *again = NULL;
	size_t	consumed;

	strbuf_init(&enc, STRBUF_NOLIMIT);
	strbuf_init(&text, 1 << 16);
	strbuf_init(&why, 1000);
	if (ipc_encode(m, &enc) < 0)
		abort();
	/* The encoding is canonical: same bytes as the input frame. */
	if (enc.len != len || memcmp(enc.data, frame, len) != 0)
		abort();
	if (ipc_decode(enc.data, enc.len, FUZZ_LIMIT, &again, &consumed, &why) != 1 ||
	    consumed != enc.len)
		abort();
	ipc_msg_to_text(again, &text);
	ipc_msg_free(again);
	strbuf_release(&enc);
	strbuf_release(&text);
	strbuf_release(&why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf why;
	struct ipc_msg *m;
	size_t	off = 0, consumed;
	int	r;

	strbuf_init(&why, 1000);
	while (off < size) {
		m = NULL;
		r = ipc_decode(data + off, size - off, FUZZ_LIMIT, &m, &consumed, &why);
		if (r != 1)
			break;
		if (consumed < 4 || consumed > size - off)
			abort();
		check_round_trip(m, data + off, consumed);
		(void)ipc_get_str(m, "req");
		(void)ipc_count(m, "rcpt");
		ipc_msg_free(m);
		off += consumed;
	}
	strbuf_release(&why);
	return 0;
}
