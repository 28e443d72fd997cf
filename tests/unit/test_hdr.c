/*
 * tests/unit/test_hdr.c — lib/hdr: header block scanning (end of block,
 * folding, non-field lines, limits, byte-at-a-time feeding), unfolding, and
 * address-list extraction (quotes, comments, angle-addrs, groups, routes,
 * malformed values).  Table-driven; failures print got/want.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hdr.h"
#include "strbuf.h"

/* ---- block scanning ---- */

struct scan_case {
	const char *label;
	const char *in;
	size_t	max_fields;
	int	eof;
	const char *names;	/* field names joined with '|' */
	size_t	end, body;
	int	blank;
};

static const struct scan_case scan_cases[] = {
	{ "simple", "From: a@b\nTo: c@d\n\nbody\n", 0, 1, "From|To", 18, 19, 1 },
	{ "folded", "Subject: a\n b\n\tc\nTo: x\n\nbody", 0, 1, "Subject|To", 23, 24, 1 },
	{ "crlf blank", "A: 1\r\n\r\nbody", 0, 1, "A", 6, 8, 1 },
	{ "no blank, body line", "A: 1\nhello world\n", 0, 1, "A", 5, 5, 0 },
	{ "first line not a field", "hello\nA: 1\n", 0, 1, "", 0, 0, 0 },
	{ "first line folded", " x: 1\n", 0, 1, "", 0, 0, 0 },
	{ "headers only, eof", "A: 1\nB: 2", 0, 1, "A|B", 9, 9, 0 },
	{ "empty message", "", 0, 1, "", 0, 0, 0 },
	{ "blank first", "\nbody\n", 0, 1, "", 0, 1, 1 },
	{ "space before colon", "Subject : x\n\n", 0, 1, "Subject", 12, 13, 1 },
	{ "empty name", ": x\n\n", 0, 1, "", 0, 0, 0 },
	{ "field limit", "A: 1\nB: 2\nC: 3\n\n", 2, 1, "A|B", 10, 10, 0 },
	{ "mbox From_ line is body", "From a@b Tue\nA: 1\n", 0, 1, "", 0, 0, 0 },
	{ "control char in name", "A\001: 1\n\n", 0, 1, "", 0, 0, 0 },
};

static void
names_of(const struct hdr_block *b, const char *buf, struct strbuf *out)
{
	size_t i;

	strbuf_reset(out);
	for (i = 0; i < b->nfield; i++) {
		if (i > 0)
			strbuf_append_char(out, '|');
		strbuf_append(out, buf + b->fields[i].off, b->fields[i].name_len);
	}
}

static void
check_scan(const struct scan_case *c, struct hdr_block *b)
{
	struct strbuf names;

	strbuf_init(&names, 4096);
	names_of(b, c->in, &names);
	if (strcmp(names.data, c->names) != 0 || b->end != c->end ||
	    b->body != c->body || b->blank != c->blank)
		fail_msg("%s: got names=%s end=%zu body=%zu blank=%d, want "
		    "names=%s end=%zu body=%zu blank=%d", c->label, names.data,
		    b->end, b->body, b->blank, c->names, c->end, c->body, c->blank);
	strbuf_release(&names);
}

static void
test_scan_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(scan_cases) / sizeof(scan_cases[0]); i++) {
		const struct scan_case *c = &scan_cases[i];
		struct hdr_block b;

		hdr_block_init(&b, c->max_fields);
		assert_int_equal(hdr_block_scan(&b, c->in, strlen(c->in), c->eof),
		    HDR_SCAN_DONE);
		check_scan(c, &b);
		hdr_block_free(&b);
	}
}

/* Feeding one byte at a time must give the same answer as all at once. */
static void
test_scan_bytewise(void **state)
{
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(scan_cases) / sizeof(scan_cases[0]); i++) {
		const struct scan_case *c = &scan_cases[i];
		struct hdr_block b;
		enum hdr_scan_result r = HDR_SCAN_MORE;
		size_t len = strlen(c->in);

		hdr_block_init(&b, c->max_fields);
		for (n = 0; n <= len && r == HDR_SCAN_MORE; n++)
			r = hdr_block_scan(&b, c->in, n, n == len);
		assert_int_equal(r, HDR_SCAN_DONE);
		check_scan(c, &b);
		hdr_block_free(&b);
	}
}

static void
test_scan_more_and_cut(void **state)
{
	const char *in = "A: 1\nB: 2\n more";
	struct hdr_block b;

	(void)state;
	hdr_block_init(&b, 0);
	/* B may still be continued: not done without eof. */
	assert_int_equal(hdr_block_scan(&b, in, strlen(in), 0), HDR_SCAN_MORE);
	assert_int_equal(b.nfield, 1);
	hdr_block_cut(&b);
	assert_int_equal(b.nfield, 1);
	assert_int_equal(b.end, 5);
	assert_int_equal(b.body, 5);
	assert_int_equal(b.blank, 0);
	hdr_block_free(&b);
}

static void
test_name_is(void **state)
{
	const char *in = "message-ID: <x@y>\n\n";
	struct hdr_block b;

	(void)state;
	hdr_block_init(&b, 0);
	hdr_block_scan(&b, in, strlen(in), 1);
	assert_int_equal(b.nfield, 1);
	assert_true(hdr_name_is(in, &b.fields[0], "Message-Id"));
	assert_false(hdr_name_is(in, &b.fields[0], "Message"));
	assert_int_equal(b.fields[0].value_off, 11);
	hdr_block_free(&b);
}

static void
name_of_field(const struct hdr_field *f, void *ctx)
{
	struct strbuf *sb = ctx;

	if (sb->len > 0)
		strbuf_append_char(sb, '|');
	strbuf_printf(sb, "%zu", f->off);
}

static void
test_rcpt_fields(void **state)
{
	static const struct { const char *in, *want; size_t n; } cases[] = {
		{ "To: a\nSubject: s\nCc: b\nBcc: c\n\n", "0|17|23", 3 },
		{ "To: a\nResent-To: b\nresent-bcc: c\n\n", "6|19", 2 },
		{ "Subject: x\n\n", "", 0 },
	};
	struct hdr_block b;
	struct strbuf got;
	size_t i, n;

	(void)state;
	strbuf_init(&got, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf_reset(&got);
		hdr_block_init(&b, 0);
		hdr_block_scan(&b, cases[i].in, strlen(cases[i].in), 1);
		n = hdr_rcpt_fields(cases[i].in, &b, name_of_field, &got);
		if (n != cases[i].n || strcmp(got.data, cases[i].want) != 0)
			fail_msg("rcpt fields %zu: got %zu [%s], want %zu [%s]", i, n,
			    got.data, cases[i].n, cases[i].want);
		hdr_block_free(&b);
	}
	strbuf_release(&got);
}

/* ---- unfolding ---- */

static void
test_unfold(void **state)
{
	static const struct { const char *in, *want; } cases[] = {
		{ " hello\n", "hello" },
		{ " a\n b\r\n\tc\r\n", "a b\tc" },
		{ "   \n", "" },
		{ "x", "x" },
		{ " a\rb\n", "a\rb" },
	};
	struct strbuf out;
	size_t i;

	(void)state;
	strbuf_init(&out, 100);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(hdr_unfold(cases[i].in, strlen(cases[i].in), &out), 0);
		if (strcmp(out.data, cases[i].want) != 0)
			fail_msg("unfold %zu: got [%s] want [%s]", i, out.data, cases[i].want);
	}
	strbuf_release(&out);
	strbuf_init(&out, 3);
	assert_int_equal(hdr_unfold("abcdef", 6, &out), -1);
	strbuf_release(&out);
}

/* ---- address lists ---- */

static void
collect(const char *addr, void *ctx)
{
	struct strbuf *sb = ctx;

	if (sb->len > 0)
		strbuf_append_char(sb, '|');
	strbuf_append_str(sb, addr);
}

struct addr_case {
	const char *in;
	const char *want;	/* addresses joined with '|' */
	int	rc;
};

static const struct addr_case addr_cases[] = {
	{ "a@example.com", "a@example.com", 0 },
	{ "a@example.com, b@example.org", "a@example.com|b@example.org", 0 },
	{ "John Smith <john@example.com>", "john@example.com", 0 },
	{ "\"Smith, John\" <john@example.com>, x@y", "john@example.com|x@y", 0 },
	{ "john@example.com (John, Smith)", "john@example.com", 0 },
	{ "(c1 (nested)) j (c) @ (c) example.com", "j@example.com", 0 },
	{ "\"quoted local\"@example.com", "\"quoted local\"@example.com", 0 },
	{ "\"a\\\"b\"@x", "\"a\\\"b\"@x", 0 },
	{ "friends: a@x, B <b@y>; c@z", "a@x|b@y|c@z", 0 },
	{ "undisclosed-recipients:;", "", 0 },
	{ "<@route1,@route2:user@dest>", "user@dest", 0 },
	{ "user@[192.0.2.1]", "user@[192.0.2.1]", 0 },
	{ "John Smith", "", 0 },
	{ "postmaster", "postmaster", 0 },
	{ ",,a@b,,", "a@b", 0 },
	{ "first.last @ example.com", "first.last@example.com", 0 },
	{ "<>", "", 0 },
	{ "a@b, \"unterminated", "a@b", -1 },
	{ "a@b (unterminated", "", -1 },
	{ "a@b, c@d (unterminated", "a@b", -1 },
	{ "a@b, <c@d", "a@b", -1 },
	{ "x <a@[1.2", "", -1 },
	{ "a@b\n\t, c@d", "a@b|c@d", 0 },
};

static void
test_addrs_table(void **state)
{
	struct strbuf got;
	const char *why;
	size_t i;
	int rc;

	(void)state;
	strbuf_init(&got, 4096);
	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *c = &addr_cases[i];

		strbuf_reset(&got);
		why = NULL;
		rc = hdr_parse_addrs(c->in, strlen(c->in), 0, 256, collect, &got, &why);
		if (rc != c->rc || strcmp(got.data, c->want) != 0)
			fail_msg("[%s]: got rc=%d [%s] (%s), want rc=%d [%s]", c->in,
			    rc, got.data, why ? why : "-", c->rc, c->want);
		if (rc < 0)
			assert_non_null(why);
	}
	strbuf_release(&got);
}

static void
test_addrs_limits(void **state)
{
	struct strbuf got;
	const char *why = NULL;
	char longaddr[400];

	(void)state;
	strbuf_init(&got, 4096);
	assert_int_equal(hdr_parse_addrs("a@b, c@d, e@f", 13, 2, 256, collect,
	    &got, &why), -1);
	assert_string_equal(got.data, "a@b|c@d");
	assert_string_equal(why, "too many addresses");

	memset(longaddr, 'x', sizeof(longaddr));
	memcpy(longaddr + sizeof(longaddr) - 10, "@b, ok@c  ", 10);
	strbuf_reset(&got);
	assert_int_equal(hdr_parse_addrs(longaddr, sizeof(longaddr), 0, 256,
	    collect, &got, &why), -1);
	assert_string_equal(got.data, "ok@c");
	assert_string_equal(why, "address too long");
	strbuf_release(&got);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_table),
		cmocka_unit_test(test_scan_bytewise),
		cmocka_unit_test(test_scan_more_and_cut),
		cmocka_unit_test(test_name_is),
		cmocka_unit_test(test_rcpt_fields),
		cmocka_unit_test(test_unfold),
		cmocka_unit_test(test_addrs_table),
		cmocka_unit_test(test_addrs_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
