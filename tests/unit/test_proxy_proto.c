/*
 * tests/unit/test_proxy_proto.c — PROXY protocol v1/v2 headers: a table of
 * labelled good and bad headers, each also fed one byte at a time (every
 * proper prefix must say NEED_MORE unless the header is bad at that byte),
 * early rejection of non-PROXY input, and the caps (107 / 536 bytes).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "proxy_proto.h"

#define V2SIG "\r\n\r\n\0\r\nQUIT\n"

struct pcase {
	const char *label;
	const char *in;
	size_t	len;			/* 0: strlen(in) */
	enum proxy_result want;
	size_t	used;			/* OK: header length */
	int	local;
	const char *client, *server;
	unsigned cport, sport;
	size_t	bad_at;			/* ERROR: first prefix length that
					 * is an error (0: only the whole) */
};

#define B(s) s, sizeof(s) - 1

static const struct pcase cases[] = {
	/* ---- v1 good ---- */
	{"v1 tcp4", "PROXY TCP4 192.0.2.1 198.51.100.2 56324 25\r\nEHLO x\r\n", 0,
	    PROXY_OK, 44, 0, "192.0.2.1", "198.51.100.2", 56324, 25, 0},
	{"v1 tcp6", "PROXY TCP6 2001:db8::1 2001:DB8:0::2 1 65535\r\n", 0,
	    PROXY_OK, 46, 0, "2001:db8::1", "2001:db8::2", 1, 65535, 0},
	{"v1 port 0", "PROXY TCP4 1.2.3.4 5.6.7.8 0 0\r\n", 0,
	    PROXY_OK, 32, 0, "1.2.3.4", "5.6.7.8", 0, 0, 0},
	{"v1 unknown", "PROXY UNKNOWN\r\n", 0, PROXY_OK, 15, 1, "", "", 0, 0, 0},
	{"v1 unknown + junk", "PROXY UNKNOWN ffff:f::f 1.2.3 x y\r\n", 0,
	    PROXY_OK, 35, 1, "", "", 0, 0, 0},
	{"v1 v4-mapped in tcp6", "PROXY TCP6 ::ffff:10.0.0.1 ::1 2 3\r\n", 0,
	    PROXY_OK, 36, 0, "::ffff:10.0.0.1", "::1", 2, 3, 0},
	/* ---- v1 bad ---- */
	{"plain EHLO", "EHLO client.example\r\n", 0, PROXY_ERROR, 0, 0, 0, 0, 0, 0, 1},
	{"P then junk", "PRXY TCP4\r\n", 0, PROXY_ERROR, 0, 0, 0, 0, 0, 0, 3},
	{"lower case", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 1},
	{"v1 no space after PROXY", "PROXYTCP4\r\n", 0, PROXY_ERROR, 0, 0, 0, 0, 0, 0, 6},
	{"v1 tcp5", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", 0, PROXY_ERROR, 0, 0, 0, 0, 0, 0, 0},
	{"v1 unknownx", "PROXY UNKNOWNX\r\n", 0, PROXY_ERROR, 0, 0, 0, 0, 0, 0, 0},
	{"v1 v6 addr in tcp4", "PROXY TCP4 ::1 5.6.7.8 1 2\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 v4 addr in tcp6", "PROXY TCP6 1.2.3.4 ::1 1 2\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 bad octet", "PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 host name", "PROXY TCP4 localhost 5.6.7.8 1 2\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 port 65536", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 port sign", "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 port leading zero", "PROXY TCP4 1.2.3.4 5.6.7.8 025 2\r\n", 0,
	    PROXY_ERROR, 0, 0, 0, 0, 0, 0, 0},
	{"v1 port hex", "PROXY TCP4 1.2.3.4 5.6.7.8 0x19 2\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 port 6 digits", "PROXY TCP4 1.2.3.4 5.6.7.8 000025 2\r\n", 0,
	    PROXY_ERROR, 0, 0, 0, 0, 0, 0, 0},
	{"v1 missing port", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 extra token", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 trailing space", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 double space", "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v1 tab", "PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 11},
	{"v1 bare LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", 0, PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 31},
	{"v1 CR without LF", "PROXY UNKNOWN\rX", 0, PROXY_ERROR, 0, 0, 0, 0, 0, 0, 15},
	{"v1 NUL", B("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n"), PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 19},
	{"v1 long address token",
	    "PROXY TCP6 0000:0000:0000:0000:0000:0000:0000:0000:1 ::1 1 2\r\n", 0,
	    PROXY_ERROR, 0, 0, 0, 0, 0, 0, 0},
	{"v1 longest is 107",
	    "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", 0,
	    PROXY_OK, 107, 1, "", "", 0, 0, 0},
	{"v1 108 bytes",
	    "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 655350\r\n", 0,
	    PROXY_ERROR, 0, 0, 0, 0, 0, 0, 106},
	/* ---- v2 good ---- */
	{"v2 tcp4", B(V2SIG "\x21\x11\x00\x0c" "\xc0\x00\x02\x01" "\xc6\x33\x64\x02"
	    "\xdc\x04\x00\x19" "EHLO"), PROXY_OK, 28, 0,
	    "192.0.2.1", "198.51.100.2", 56324, 25, 0},
	{"v2 tcp6", B(V2SIG "\x21\x21\x00\x24"
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02" "\x00\x01\xff\xff"),
	    PROXY_OK, 52, 0, "2001:db8::1", "2001:db8::2", 1, 65535, 0},
	{"v2 tcp4 with TLVs", B(V2SIG "\x21\x11\x00\x13" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01\x00\x02" "\x04\x00\x04" "abcd"),
	    PROXY_OK, 35, 0, "1.2.3.4", "5.6.7.8", 1, 2, 0},
	{"v2 local", B(V2SIG "\x20\x00\x00\x00"), PROXY_OK, 16, 1, "", "", 0, 0, 0},
	{"v2 local ignores family", B(V2SIG "\x20\xff\x00\x02" "xy"),
	    PROXY_OK, 18, 1, "", "", 0, 0, 0},
	{"v2 proxy unspec", B(V2SIG "\x21\x00\x00\x00"), PROXY_OK, 16, 1,
	    "", "", 0, 0, 0},
	/* ---- v2 bad ---- */
	{"v2 bad signature", B("\r\n\r\n\0\r\nQUIX\n" "\x21\x11\x00\x0c"),
	    PROXY_ERROR, 0, 0, 0, 0, 0, 0, 11},
	{"v2 version 1", B(V2SIG "\x11\x11\x00\x0c" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01\x00\x02"), PROXY_ERROR, 0, 0, 0, 0, 0, 0, 13},
	{"v2 version 3", B(V2SIG "\x31\x11\x00\x00"), PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 13},
	{"v2 command 2", B(V2SIG "\x22\x11\x00\x0c"), PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 13},
	{"v2 family 4", B(V2SIG "\x21\x41\x00\x0c"), PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 14},
	{"v2 protocol 3", B(V2SIG "\x21\x13\x00\x0c"), PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 14},
	{"v2 udp", B(V2SIG "\x21\x12\x00\x0c" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01\x00\x02"), PROXY_ERROR, 0, 0, 0, 0, 0, 0, 0},
	{"v2 short inet block", B(V2SIG "\x21\x11\x00\x0b" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01\x00"), PROXY_ERROR, 0, 0, 0, 0, 0, 0, 0},
	{"v2 inet6 with inet block", B(V2SIG "\x21\x21\x00\x0c" "\x01\x02\x03\x04"
	    "\x05\x06\x07\x08" "\x00\x01\x00\x02"), PROXY_ERROR, 0, 0, 0, 0, 0, 0, 0},
	{"v2 short unix block", B(V2SIG "\x21\x31\x00\x04" "/tmp"), PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 0},
	{"v2 length over cap", B(V2SIG "\x21\x11\x02\x09"), PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 16},
	{"v2 length 65535", B(V2SIG "\x20\x00\xff\xff"), PROXY_ERROR,
	    0, 0, 0, 0, 0, 0, 16},
	{"binary junk", B("\x16\x03\x01\x02\x00"), PROXY_ERROR, 0, 0, 0, 0, 0, 0, 1},
	{"CR LF only", B("\r\n"), PROXY_NEED_MORE, 0, 0, 0, 0, 0, 0, 0},
	{"CR LF EHLO", B("\r\nEHLO"), PROXY_ERROR, 0, 0, 0, 0, 0, 0, 3},
};

static size_t
case_len(const struct pcase *c)
{
	return (c->len ? c->len : strlen(c->in));
}

static void
check_whole(const struct pcase *c)
{
	struct proxy_info info;
	const char *why = NULL;
	size_t	used = 99;
	enum proxy_result r;

	memset(&info, 0x55, sizeof(info));
	r = proxy_parse((const unsigned char *)c->in, case_len(c), &used,
	    &info, &why);
	if (r != c->want)
		fail_msg("%s: got %d want %d (%s)", c->label, r, c->want,
		    why ? why : "");
	if (r != PROXY_OK) {
		if (used != 0)
			fail_msg("%s: used %zu on non-OK", c->label, used);
		if (r == PROXY_ERROR && (why == NULL || *why == '\0'))
			fail_msg("%s: no reason", c->label);
		return;
	}
	if (used != c->used)
		fail_msg("%s: used got %zu want %zu", c->label, used, c->used);
	if (info.local != c->local)
		fail_msg("%s: local got %d want %d", c->label, info.local, c->local);
	if (strcmp(info.client_addr, c->client) != 0
	    || strcmp(info.server_addr, c->server) != 0)
		fail_msg("%s: addrs got %s %s want %s %s", c->label,
		    info.client_addr, info.server_addr, c->client, c->server);
	if (info.client_port != c->cport || info.server_port != c->sport)
		fail_msg("%s: ports got %u %u want %u %u", c->label,
		    info.client_port, info.server_port, c->cport, c->sport);
	if (info.version != (c->in[0] == 'P' ? 1 : 2))
		fail_msg("%s: version %d", c->label, info.version);
	if (!c->local && info.family != (strchr(c->client, ':') ? AF_INET6 : AF_INET))
		fail_msg("%s: family %d", c->label, info.family);
}

/* Feed prefixes of growing length, as a reader that gets one byte per
 * read() would: NEED_MORE until the end (or until bad_at for errors). */
static void
check_bytewise(const struct pcase *c)
{
	struct proxy_info info;
	const char *why;
	size_t	n, used, total = case_len(c);
	size_t	end = c->want == PROXY_OK ? c->used : total;
	enum proxy_result r;

	for (n = 0; n <= end; n++) {
		why = NULL;
		/* An exact-size copy, so ASan sees any read past n. */
		unsigned char *copy = test_malloc(n ? n : 1);

		memcpy(copy, c->in, n);
		r = proxy_parse(copy, n, &used, &info, &why);
		test_free(copy);
		if (c->want == PROXY_ERROR && c->bad_at != 0 && n >= c->bad_at) {
			if (r != PROXY_ERROR)
				fail_msg("%s: prefix %zu got %d want error", c->label,
				    n, r);
			return;
		}
		if (n < end && r != PROXY_NEED_MORE)
			fail_msg("%s: prefix %zu of %zu got %d (%s) want NEED_MORE",
			    c->label, n, end, r, why ? why : "");
		if (n == end && r != c->want)
			fail_msg("%s: whole prefix got %d want %d", c->label, r,
			    c->want);
	}
}

static void
test_cases(void **state)
{
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_whole(&cases[i]);
		check_bytewise(&cases[i]);
	}
}

/* A v1 line that never ends: NEED_MORE up to 106 bytes, then an error. */
static void
test_v1_no_crlf(void **state)
{
	unsigned char buf[200];
	struct proxy_info info;
	const char *why;
	size_t	n, used;

	(void)state;
	memcpy(buf, "PROXY ", 6);
	memset(buf + 6, 'A', sizeof(buf) - 6);
	for (n = 0; n < sizeof(buf); n++) {
		enum proxy_result r = proxy_parse(buf, n, &used, &info, &why);

		if (n < PROXY_V1_MAX - 1)
			assert_int_equal(r, PROXY_NEED_MORE);
		else
			assert_int_equal(r, PROXY_ERROR);
	}
	/* A CR as byte 107 (index 106) is too late as well. */
	memset(buf + 6, 'A', sizeof(buf) - 6);
	buf[106] = '\r';
	buf[107] = '\n';
	assert_int_equal(proxy_parse(buf, 108, &used, &info, &why), PROXY_ERROR);
}

/* v2 at the cap is fine, one byte more is not; the error comes as soon
 * as the length field is complete. */
static void
test_v2_cap(void **state)
{
	unsigned char buf[PROXY_V2_MAX + 1];
	struct proxy_info info;
	const char *why;
	size_t	used, alen = PROXY_V2_MAX - 16;

	(void)state;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, V2SIG, 12);
	buf[12] = 0x21;
	buf[13] = 0x11;
	buf[14] = (unsigned char)(alen >> 8);
	buf[15] = (unsigned char)alen;
	buf[16] = 10;
	assert_int_equal(proxy_parse(buf, PROXY_V2_MAX - 1, &used, &info, &why),
	    PROXY_NEED_MORE);
	assert_int_equal(proxy_parse(buf, PROXY_V2_MAX, &used, &info, &why),
	    PROXY_OK);
	assert_int_equal(used, PROXY_V2_MAX);
	assert_string_equal(info.client_addr, "10.0.0.0");
	alen++;
	buf[14] = (unsigned char)(alen >> 8);
	buf[15] = (unsigned char)alen;
	assert_int_equal(proxy_parse(buf, 16, &used, &info, &why), PROXY_ERROR);
	assert_non_null(strstr(why, "536"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_v1_no_crlf),
		cmocka_unit_test(test_v2_cap),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
