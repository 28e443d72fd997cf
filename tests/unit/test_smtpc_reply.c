/*
 * tests/unit/test_smtpc_reply.c — smtp-client's SMTP reply reader.
 *
 * A table of server outputs with the expected reply (code, enhanced
 * status, text, line count) or the expected error; every case is run
 * whole and byte by byte: the result must not depend on how the bytes
 * arrived.  Limits: 2048 bytes a line, 100 lines a reply.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../smtp-client/smtp.h"

struct rcase {
	const char *label;
	const char *in;		/* NULL: built by the test */
	int	st;		/* SMTPC_REPLY_* */
	int	code;
	const char *esc;
	const char *text;	/* expected text or error substring */
	size_t	nlines;
	size_t	used;		/* bytes consumed (0 = all) */
};

static const struct rcase cases[] = {
	{ "greeting", "220 mx.example ESMTP\r\n", SMTPC_REPLY_DONE, 220, "",
	    "220 mx.example ESMTP", 1, 0 },
	{ "enhanced", "250 2.0.0 Ok: queued as X\r\n", SMTPC_REPLY_DONE, 250,
	    "2.0.0", "250 2.0.0 Ok: queued as X", 1, 0 },
	{ "enhanced of another class ignored", "550 2.0.0 odd\r\n",
	    SMTPC_REPLY_DONE, 550, "", "550 2.0.0 odd", 1, 0 },
	{ "multi-line", "250-mx\r\n250-PIPELINING\r\n250 SIZE 100\r\n",
	    SMTPC_REPLY_DONE, 250, "", "250-mx PIPELINING SIZE 100", 3, 0 },
	{ "code only", "250\r\n", SMTPC_REPLY_DONE, 250, "", "250", 1, 0 },
	{ "stops after the reply", "250 a\r\n250 b\r\n", SMTPC_REPLY_DONE, 250, "",
	    "250 a", 1, 7 },
	{ "control characters hidden", "550 a\x01" "b\r\n", SMTPC_REPLY_DONE, 550,
	    "", "550 a?b", 1, 0 },
	{ "incomplete", "250-mx\r\n250 SI", SMTPC_REPLY_MORE, 0, "", "", 0, 0 },
	{ "code changes", "250-a\r\n251 b\r\n", SMTPC_REPLY_BAD, 0, "", "code changed",
	    0, 0 },
	{ "not a code", "hello\r\n", SMTPC_REPLY_BAD, 0, "", "malformed", 0, 0 },
	{ "1xx", "150 x\r\n", SMTPC_REPLY_BAD, 0, "", "malformed", 0, 0 },
	{ "6xx", "650 x\r\n", SMTPC_REPLY_BAD, 0, "", "malformed", 0, 0 },
	{ "bad separator", "250_x\r\n", SMTPC_REPLY_BAD, 0, "", "malformed", 0, 0 },
	{ "short", "25\r\n", SMTPC_REPLY_BAD, 0, "", "malformed", 0, 0 },
	{ "bare LF", "250 ok\n", SMTPC_REPLY_BAD, 0, "", "bare LF", 0, 0 },
	{ "bare CR", "250 o\rk\r\n", SMTPC_REPLY_BAD, 0, "", "bare CR", 0, 0 },
	{ "too long", NULL, SMTPC_REPLY_BAD, 0, "", "too long", 0, 0 },
	{ "too many lines", NULL, SMTPC_REPLY_BAD, 0, "", "too many lines", 0, 0 },
	{ "100 lines is fine", NULL, SMTPC_REPLY_DONE, 250, "", NULL, 100, 0 },
};

static char *
build(const struct rcase *c)
{
	struct strbuf sb;
	int i;

	strbuf_init(&sb, STRBUF_NOLIMIT);
	if (strcmp(c->label, "too long") == 0) {
		strbuf_append_str(&sb, "250 ");
		for (i = 0; i < SMTPC_REPLY_LINE_MAX; i++)
			strbuf_append_char(&sb, 'x');
		strbuf_append_str(&sb, "\r\n");
	} else {
		int n = strcmp(c->label, "too many lines") == 0 ? 101 : 100;

		for (i = 0; i < n - 1; i++)
			strbuf_append_str(&sb, "250-line\r\n");
		strbuf_append_str(&sb, "250 last\r\n");
	}
	return strbuf_detach(&sb);
}

static void
run(const struct rcase *c, const char *in, size_t len, size_t step)
{
	struct smtpc_reader rd;
	struct strbuf why;
	size_t off = 0, used, n;
	int st = SMTPC_REPLY_MORE;

	smtpc_reader_init(&rd);
	smtpc_reader_next(&rd);
	strbuf_init(&why, 256);
	while (off < len && st == SMTPC_REPLY_MORE) {
		n = step && len - off > step ? step : len - off;
		st = smtpc_reply_feed(&rd, in + off, n, &used, &why);
		assert_true(used <= n);
		off += used;
	}
	if (st != c->st)
		fail_msg("%s (step %zu): got status %d, want %d (%s)", c->label, step,
		    st, c->st, why.data ? why.data : "");
	if (st == SMTPC_REPLY_DONE) {
		if (rd.reply.code != c->code || strcmp(rd.reply.esc, c->esc) != 0 ||
		    rd.reply.nlines != c->nlines ||
		    (c->text && strcmp(rd.reply.text.data, c->text) != 0))
			fail_msg("%s: got %d \"%s\" \"%s\" %zu, want %d \"%s\" \"%s\" %zu",
			    c->label, rd.reply.code, rd.reply.esc, rd.reply.text.data,
			    rd.reply.nlines, c->code, c->esc, c->text ? c->text : "",
			    c->nlines);
		if (c->used && off != c->used)
			fail_msg("%s: used %zu, want %zu", c->label, off, c->used);
	} else if (st == SMTPC_REPLY_BAD && strstr(why.data, c->text) == NULL) {
		fail_msg("%s: got \"%s\", want \"%s\"", c->label, why.data, c->text);
	}
	strbuf_release(&why);
	smtpc_reader_release(&rd);
}

static void
test_reply_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];
		char *in = c->in ? strdup(c->in) : build(c);

		run(c, in, strlen(in), 0);
		run(c, in, strlen(in), 1);
		run(c, in, strlen(in), 7);
		free(in);
	}
}

/* The EHLO keywords are kept one per line, NUL-separated. */
static void
test_reply_lines(void **state)
{
	static const char in[] = "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 10\r\n";
	struct smtpc_reader rd;
	struct strbuf why;
	size_t used;

	(void)state;
	smtpc_reader_init(&rd);
	strbuf_init(&why, 256);
	assert_int_equal(smtpc_reply_feed(&rd, in, sizeof(in) - 1, &used, &why),
	    SMTPC_REPLY_DONE);
	assert_int_equal(rd.reply.lines.len, sizeof("mx.example\0PIPELINING\0SIZE 10"));
	assert_memory_equal(rd.reply.lines.data, "mx.example\0PIPELINING\0SIZE 10\0",
	    rd.reply.lines.len);
	/* The next reply starts clean. */
	smtpc_reader_next(&rd);
	assert_int_equal(smtpc_reply_feed(&rd, "221 bye\r\n", 9, &used, &why),
	    SMTPC_REPLY_DONE);
	assert_int_equal(rd.reply.code, 221);
	assert_int_equal(rd.reply.nlines, 1);
	assert_string_equal(rd.reply.text.data, "221 bye");
	strbuf_release(&why);
	smtpc_reader_release(&rd);
}

/* Next hops as qmgr gives them. */
static void
test_hop_parse(void **state)
{
	static const struct {
		const char *in;
		int	lmtp;
		int	rc;
		const char *host;
		unsigned port;
		int	no_mx;
		const char *path;
	} hops[] = {
		{ "example.net", 0, 0, "example.net", 25, 0, NULL },
		{ "example.net:2525", 0, 0, "example.net", 2525, 0, NULL },
		{ "[mail.example.net]", 0, 0, "mail.example.net", 25, 1, NULL },
		{ "[mail.example.net]:587", 0, 0, "mail.example.net", 587, 1, NULL },
		{ "[127.0.0.1]:smtp", 0, 0, "127.0.0.1", 25, 1, NULL },
		{ "[::1]:26", 0, 0, "::1", 26, 1, NULL },
		{ "[mail.example.net", 0, -1, NULL, 0, 0, NULL },
		{ "[a]x", 0, -1, NULL, 0, 0, NULL },
		{ "host:0", 0, -1, NULL, 0, 0, NULL },
		{ "host:70000", 0, -1, NULL, 0, 0, NULL },
		{ "host:nosuchservice", 0, -1, NULL, 0, 0, NULL },
		{ "", 0, -1, NULL, 0, 0, NULL },
		{ "[]", 0, -1, NULL, 0, 0, NULL },
		/* LMTP (RFC 2033): unix:PATH, inet:host[:port], port 24 by default. */
		{ "unix:private/dovecot-lmtp", 1, 0, "localhost", 24, 1,
		    "private/dovecot-lmtp" },
		{ "inet:127.0.0.1:2424", 1, 0, "127.0.0.1", 2424, 1, NULL },
		{ "inet:lmtp.example", 1, 0, "lmtp.example", 24, 1, NULL },
		{ "inet:[::1]:24", 1, 0, "::1", 24, 1, NULL },
		{ "lmtp.example", 1, 0, "lmtp.example", 24, 1, NULL },
		{ "unix:", 1, -1, NULL, 0, 0, NULL },
		{ "inet:", 1, -1, NULL, 0, 0, NULL },
	};
	struct smtpc_hop hop;
	struct strbuf why;
	size_t i;

	(void)state;
	strbuf_init(&why, 256);
	for (i = 0; i < sizeof(hops) / sizeof(hops[0]); i++) {
		int rc = smtpc_hop_parse(hops[i].in, hops[i].lmtp, &hop, &why);

		if (rc != hops[i].rc)
			fail_msg("%s: got %d, want %d", hops[i].in, rc, hops[i].rc);
		if (rc == 0 && (strcmp(hop.host, hops[i].host) != 0 ||
		    hop.port != hops[i].port || hop.no_mx != hops[i].no_mx))
			fail_msg("%s: got %s %u %d", hops[i].in, hop.host, hop.port,
			    hop.no_mx);
		if (rc == 0 && hops[i].path && strcmp(hop.path, hops[i].path) != 0)
			fail_msg("%s: got path %s", hops[i].in, hop.path);
	}
	strbuf_release(&why);
}

/* MX order: by preference; equal preferences in random order (both
 * orders are seen over many runs). */
static void
test_mx_order(void **state)
{
	static const unsigned pref[5] = { 20, 10, 10, 5, 30 };
	size_t order[5];
	int first1 = 0, first2 = 0, i;

	(void)state;
	for (i = 0; i < 200; i++) {
		smtpc_mx_order(pref, 5, order);
		assert_int_equal(order[0], 3);
		assert_true((order[1] == 1 && order[2] == 2) ||
		    (order[1] == 2 && order[2] == 1));
		assert_int_equal(order[3], 0);
		assert_int_equal(order[4], 4);
		if (order[1] == 1)
			first1++;
		else
			first2++;
	}
	assert_true(first1 > 0 && first2 > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_reply_lines),
		cmocka_unit_test(test_hop_parse),
		cmocka_unit_test(test_mx_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
