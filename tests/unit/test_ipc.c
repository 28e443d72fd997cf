/*
 * tests/unit/test_ipc.c — lib/ipc: attribute round trips (all types,
 * repeated names, n-th getters, type mismatches), the exact wire encoding,
 * partial frames, a table of malformed frames, unknown attributes skipped,
 * frame limits, blocking send/recv over a socketpair (clean end, truncated
 * stream, timeout, oversize) and the log text.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipc.h"
#include "strbuf.h"

static struct ipc_msg *
round_trip(const struct ipc_msg *m)
{
	struct strbuf buf, why;
	struct ipc_msg *out = NULL;
	size_t	consumed = 0;

	strbuf_init(&buf, STRBUF_NOLIMIT);
	strbuf_init(&why, 1000);
	assert_int_equal(ipc_encode(m, &buf), 0);
	if (ipc_decode(buf.data, buf.len, IPC_FRAME_LIMIT_DEFAULT, &out, &consumed,
	    &why) != 1)
		fail_msg("decode: %s", why.data);
	assert_int_equal(consumed, buf.len);
	strbuf_release(&buf);
	strbuf_release(&why);
	return out;
}

static void
test_round_trip(void **state)
{
	struct ipc_msg *m = ipc_msg_new(), *r;
	int64_t	v;
	size_t	len;
	const char *b;

	(void)state;
	ipc_put_str(m, "req", "rcpt");
	ipc_put_str(m, "rcpt", "a@b");
	ipc_put_str(m, "rcpt", "c@d");
	ipc_put_str(m, "empty", "");
	ipc_put_int(m, "notify", 6);
	ipc_put_int(m, "neg", INT64_MIN);
	ipc_put_int(m, "rcpt", 42);	/* same name, other type */
	ipc_put_bytes(m, "chunk", "a\0b", 3);
	ipc_put_bytes(m, "nothing", NULL, 0);
	r = round_trip(m);
	assert_string_equal(ipc_get_str(r, "req"), "rcpt");
	assert_string_equal(ipc_get_str_n(r, "rcpt", 0), "a@b");
	assert_string_equal(ipc_get_str_n(r, "rcpt", 1), "c@d");
	assert_null(ipc_get_str_n(r, "rcpt", 2));
	assert_string_equal(ipc_get_str(r, "empty"), "");
	assert_int_equal(ipc_count(r, "rcpt"), 3);
	assert_int_equal(ipc_count(r, "absent"), 0);
	assert_int_equal(ipc_get_int(r, "notify", &v), 0);
	assert_int_equal(v, 6);
	assert_int_equal(ipc_get_int(r, "neg", &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(ipc_get_int(r, "rcpt", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(ipc_get_int_n(r, "rcpt", 1, &v), -1);
	/* Type mismatches are "absent". */
	assert_int_equal(ipc_get_int(r, "req", &v), -1);
	assert_null(ipc_get_str(r, "notify"));
	assert_null(ipc_get_bytes(r, "req", &len));
	b = ipc_get_bytes(r, "chunk", &len);
	assert_int_equal(len, 3);
	assert_memory_equal(b, "a\0b", 3);
	assert_non_null(ipc_get_bytes(r, "nothing", &len));
	assert_int_equal(len, 0);
	ipc_msg_free(r);

	ipc_msg_reset(m);
	assert_int_equal(ipc_count(m, "req"), 0);
	r = round_trip(m);		/* an empty frame is fine */
	assert_null(ipc_get_str(r, "req"));
	ipc_msg_free(r);
	ipc_msg_free(m);
	ipc_msg_free(NULL);
}

static void
test_wire_format(void **state)
{
	struct ipc_msg *m = ipc_msg_new();
	struct strbuf buf;
	static const char want[] =
	    "\0\0\0\x1b"			/* payload length 27 */
	    "s\3req" "\0\0\0\3end"		/* 12 */
	    "i\1n" "\0\0\0\x08\0\0\0\0\0\0\1\2";	/* 15 */

	(void)state;
	ipc_put_str(m, "req", "end");
	ipc_put_int(m, "n", 258);
	strbuf_init(&buf, 1000);
	assert_int_equal(ipc_encode(m, &buf), 0);
	assert_int_equal(buf.len, sizeof(want) - 1);
	assert_memory_equal(buf.data, want, sizeof(want) - 1);
	/* A full out buffer: -1 and unchanged. */
	strbuf_release(&buf);
	strbuf_init(&buf, 10);
	strbuf_append_str(&buf, "xy");
	assert_int_equal(ipc_encode(m, &buf), -1);
	assert_string_equal(buf.data, "xy");
	strbuf_release(&buf);
	ipc_msg_free(m);
}

/* Every prefix of a frame is "need more"; two frames decode in turn. */
static void
test_partial_and_consecutive(void **state)
{
	struct ipc_msg *m = ipc_msg_new(), *r = NULL;
	struct strbuf buf, why;
	size_t	cut, one, consumed;

	(void)state;
	ipc_put_str(m, "req", "data");
	ipc_put_bytes(m, "chunk", "hello\n", 6);
	strbuf_init(&buf, STRBUF_NOLIMIT);
	strbuf_init(&why, 1000);
	ipc_encode(m, &buf);
	one = buf.len;
	for (cut = 0; cut < one; cut++) {
		consumed = 12345;
		assert_int_equal(ipc_decode(buf.data, cut, 1000, &r, &consumed, &why), 0);
		assert_int_equal(consumed, 12345);
	}
	ipc_put_str(m, "extra", "x");
	ipc_encode(m, &buf);
	assert_int_equal(ipc_decode(buf.data, buf.len, 1000, &r, &consumed, &why), 1);
	assert_int_equal(consumed, one);
	assert_null(ipc_get_str(r, "extra"));
	ipc_msg_free(r);
	assert_int_equal(ipc_decode(buf.data + one, buf.len - one, 1000, &r,
	    &consumed, &why), 1);
	assert_string_equal(ipc_get_str(r, "extra"), "x");
	ipc_msg_free(r);
	ipc_msg_free(m);
	strbuf_release(&buf);
	strbuf_release(&why);
}

struct bad_case {
	const char *label;
	const char *frame;	/* whole frame including the length prefix */
	size_t	len;
	size_t	limit;
	const char *want;	/* substring of why; NULL = decodes */
};

#define F(s)	s, sizeof(s) - 1

static const struct bad_case bad_cases[] = {
	{"good", F("\0\0\0\x09" "s\1a" "\0\0\0\2xy"), 100, NULL},
	{"over limit", F("\0\0\0\x09" "s\1a" "\0\0\0\2xy"), 8, "exceeds the limit"},
	{"huge length", F("\xff\xff\xff\xff"), 100, "exceeds the limit"},
	{"bad type", F("\0\0\0\x09" "x\1a" "\0\0\0\2xy"), 100, "bad attribute type"},
	{"empty name", F("\0\0\0\x09" "s\0" "\0\0\0\2xy" "z"), 100, "bad attribute name"},
	{"upper-case name", F("\0\0\0\x09" "s\1A" "\0\0\0\2xy"), 100, "bad attribute name"},
	{"dash in name", F("\0\0\0\x0b" "s\3a-b" "\0\0\0\2xy"), 100, "bad attribute name"},
	{"NUL in name", F("\0\0\0\x09" "s\2a\0" "\0\0\0\1y"), 100, "bad attribute name"},
	{"name 65 long", F("\0\0\0\x4b" "s\x41"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\0\0\0\0" "zzzz"), 100, "bad attribute name"},
	{"int of 7 bytes", F("\0\0\0\x0e" "i\1n" "\0\0\0\7" "1234567"), 100,
	    "integer attribute"},
	{"int of 9 bytes", F("\0\0\0\x10" "i\1n" "\0\0\0\x09" "123456789"), 100,
	    "integer attribute"},
	{"NUL in string", F("\0\0\0\x09" "s\1a" "\0\0\0\2x\0"), 100, "NUL in string"},
	{"NUL in bytes is fine", F("\0\0\0\x09" "b\1a" "\0\0\0\2x\0"), 100, NULL},
	{"value past frame", F("\0\0\0\x09" "s\1a" "\0\0\0\3xy" "z"), 100, "past the end"},
	{"header past frame", F("\0\0\0\x04" "s\1a" "\0" "\0\0\0\2xy"), 100, "past the end"},
	{"lone type byte", F("\0\0\0\x01" "s"), 100, "past the end"},
	{"name past frame", F("\0\0\0\x03" "s\5ab"), 100, "past the end"},
};

static void
test_bad_frames(void **state)
{
	struct ipc_msg *r;
	struct strbuf why;
	size_t	i, consumed;
	int	got;

	(void)state;
	strbuf_init(&why, 1000);
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];

		strbuf_reset(&why);
		r = NULL;
		got = ipc_decode(c->frame, c->len, c->limit, &r, &consumed, &why);
		if (c->want == NULL && got != 1)
			fail_msg("%s: got %d (%s) want a message", c->label, got, why.data);
		if (c->want != NULL && (got != -1 || strstr(why.data, c->want) == NULL))
			fail_msg("%s: got %d \"%s\" want -1 \"%s\"", c->label, got,
			    why.data, c->want);
		if (c->want == NULL)
			assert_int_equal(consumed, c->len);
		ipc_msg_free(r);
	}
	strbuf_release(&why);
}

/* A newer peer's attributes are simply never asked for. */
static void
test_unknown_skipped(void **state)
{
	struct strbuf buf, why;
	struct ipc_msg *m = ipc_msg_new(), *r;
	size_t	consumed;
	int64_t	v;

	(void)state;
	/* Built by hand from a message with extra names. */
	ipc_put_str(m, "future_mode", "turbo");
	ipc_put_str(m, "req", "end");
	ipc_put_bytes(m, "future_blob", "\1\2", 2);
	ipc_put_int(m, "status", 0);
	ipc_put_int(m, "future_int", 99);
	strbuf_init(&buf, STRBUF_NOLIMIT);
	strbuf_init(&why, 1000);
	ipc_encode(m, &buf);
	assert_int_equal(ipc_decode(buf.data, buf.len, 1000, &r, &consumed, &why), 1);
	assert_string_equal(ipc_get_str(r, "req"), "end");
	assert_int_equal(ipc_get_int(r, "status", &v), 0);
	assert_int_equal(v, 0);
	ipc_msg_free(r);
	ipc_msg_free(m);
	strbuf_release(&buf);
	strbuf_release(&why);
}

static void
test_send_recv(void **state)
{
	struct ipc_msg *m = ipc_msg_new(), *r;
	struct strbuf why;
	int	sv[2];
	char	big[200000];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	strbuf_init(&why, 1000);
	memset(big, 'q', sizeof(big));
	ipc_put_str(m, "req", "begin");
	ipc_put_int(m, "flags", 3);
	assert_int_equal(ipc_send(sv[0], m, 1000), 0);
	ipc_msg_reset(m);
	ipc_put_str(m, "req", "data");
	ipc_put_bytes(m, "chunk", big, 100000);	/* more than the socket buffer? */
	assert_int_equal(ipc_send(sv[0], m, 1000), 0);

	assert_int_equal(ipc_recv(sv[1], 1 << 20, 1000, &r, &why), 1);
	assert_string_equal(ipc_get_str(r, "req"), "begin");
	ipc_msg_free(r);
	assert_int_equal(ipc_recv(sv[1], 1 << 20, 1000, &r, &why), 1);
	assert_string_equal(ipc_get_str(r, "req"), "data");
	ipc_msg_free(r);

	/* Nothing arrives: timeout. */
	assert_int_equal(ipc_recv(sv[1], 1 << 20, 50, &r, &why), -1);
	assert_non_null(strstr(why.data, "timeout"));

	/* Over the reader's limit. */
	assert_int_equal(ipc_send(sv[0], m, 1000), 0);
	assert_int_equal(ipc_recv(sv[1], 1000, 1000, &r, &why), -1);
	assert_non_null(strstr(why.data, "exceeds the limit"));
	close(sv[0]);
	close(sv[1]);

	/* Truncated: half a frame, then the peer goes away. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], "\0\0\0\x20" "s\3req", 9), 9);
	close(sv[0]);
	assert_int_equal(ipc_recv(sv[1], 1 << 20, 1000, &r, &why), -1);
	assert_non_null(strstr(why.data, "truncated"));
	close(sv[1]);

	/* Truncated inside the length prefix. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], "\0\0", 2), 2);
	close(sv[0]);
	assert_int_equal(ipc_recv(sv[1], 1 << 20, 1000, &r, &why), -1);
	assert_non_null(strstr(why.data, "truncated"));
	close(sv[1]);

	/* A clean end between frames, and a peer that is gone on send. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[0]);
	assert_int_equal(ipc_recv(sv[1], 1 << 20, 1000, &r, &why), 0);
	assert_int_equal(ipc_send(sv[1], m, 1000), -1);	/* EPIPE, no SIGPIPE */
	assert_int_equal(errno, EPIPE);
	close(sv[1]);

	/* A malformed frame on the wire. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[0], "\0\0\0\x09" "s\1A" "\0\0\0\2xy", 13), 13);
	assert_int_equal(ipc_recv(sv[1], 1 << 20, 1000, &r, &why), -1);
	assert_non_null(strstr(why.data, "bad attribute name"));
	close(sv[0]);
	close(sv[1]);

	/* Send times out when the peer never reads. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ipc_msg_reset(m);
	ipc_put_bytes(m, "chunk", big, sizeof(big));
	while (ipc_send(sv[0], m, 100) == 0)
		;
	assert_int_equal(errno, ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
	ipc_msg_free(m);
	strbuf_release(&why);
}

static void
test_to_text(void **state)
{
	struct ipc_msg *m = ipc_msg_new();
	struct strbuf out;
	char	longv[300];

	(void)state;
	memset(longv, 'x', sizeof(longv) - 1);
	longv[sizeof(longv) - 1] = 0;
	ipc_put_str(m, "req", "rcpt");
	ipc_put_str(m, "rcpt", "a\"b\\c\n\x7f");
	ipc_put_int(m, "notify", -5);
	ipc_put_bytes(m, "chunk", "abc", 3);
	ipc_put_str(m, "text", longv);
	strbuf_init(&out, 10000);
	ipc_msg_to_text(m, &out);
	assert_non_null(strstr(out.data,
	    "req=\"rcpt\", rcpt=\"a\\\"b\\\\c\\x0a\\x7f\", notify=-5, chunk=<3 bytes>, "
	    "text=\"xxxx"));
	assert_non_null(strstr(out.data, "xxx...\""));
	assert_true(out.len < 200);
	strbuf_release(&out);
	ipc_msg_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wire_format),
		cmocka_unit_test(test_partial_and_consecutive),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_unknown_skipped),
		cmocka_unit_test(test_send_recv),
		cmocka_unit_test(test_to_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
