/*
 * tests/unit/test_dsn.c — lib/dsn.c: the composed bounce is parsed back
 * (headers, boundary, the three MIME parts and the per-recipient fields),
 * untrusted texts are cleaned, status codes are checked.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dsn.h"

/* The parts between "--B\n" lines, with the closing "--B--" checked. */
struct parsed {
	char	boundary[256];
	char   *headers;	/* top-level header block */
	char   *parts[8];	/* each part: its headers, blank line, body */
	int	nparts;
};

static char *
dup_range(const char *a, const char *b)
{
	char *s = malloc((size_t)(b - a) + 1);

	memcpy(s, a, (size_t)(b - a));
	s[b - a] = '\0';
	return s;
}

static void
parse_report(const char *msg, struct parsed *p)
{
	const char *hend = strstr(msg, "\n\n"), *b, *q, *cur, *next;
	char delim[300], close_delim[300];

	memset(p, 0, sizeof(*p));
	assert_non_null(hend);
	p->headers = dup_range(msg, hend + 1);
	b = strstr(p->headers, "boundary=\"");
	assert_non_null(b);
	b += 10;
	q = strchr(b, '"');
	assert_non_null(q);
	assert_true((size_t)(q - b) < sizeof(p->boundary));
	memcpy(p->boundary, b, (size_t)(q - b));
	snprintf(delim, sizeof(delim), "\n--%s\n", p->boundary);
	snprintf(close_delim, sizeof(close_delim), "\n--%s--\n", p->boundary);
	cur = strstr(hend, delim);
	assert_non_null(cur);
	while (cur != NULL && p->nparts < 8) {
		cur += strlen(delim);
		next = strstr(cur, delim);
		if (next == NULL) {
			next = strstr(cur, close_delim);
			assert_non_null(next);
			p->parts[p->nparts++] = dup_range(cur, next);
			/* Nothing but the closing delimiter after the last part. */
			assert_string_equal(next, close_delim);
			break;
		}
		p->parts[p->nparts++] = dup_range(cur, next);
		cur = next;
	}
}

static void
parsed_free(struct parsed *p)
{
	int i;

	free(p->headers);
	for (i = 0; i < p->nparts; i++)
		free(p->parts[i]);
}

static const char orig_headers[] =
	"Received: from client.example.org\n"
	"From: alice@example.org\n"
	"Subject: will bounce\n";

static void
make_report(struct dsn_report *r, struct dsn_rcpt *rc, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->reporting_mta = "mx.example.net";
	r->queue_id = "0123456789ABCDEF0";
	r->sender = "alice@example.org";
	r->arrival = 1700000000;
	r->now = 1700000100;
	r->rcpts = rc;
	r->nrcpt = n;
	r->headers = orig_headers;
	r->headers_len = strlen(orig_headers);
}

static void
test_compose_structure(void **state)
{
	struct dsn_rcpt rc[2] = {
		{ .addr = "nobody@mx.example.net", .status = "5.1.1",
		  .diag = "unknown user: \"nobody\"" },
		{ .addr = "bob@mx.example.net", .orcpt = "rfc822;Bob@Example.NET",
		  .status = "4.4.1", .diag = "connection timed out" },
	};
	struct dsn_report r;
	struct strbuf out;
	struct parsed p;

	(void)state;
	make_report(&r, rc, 2);
	strbuf_init(&out, 1 << 20);
	assert_int_equal(dsn_compose(&r, &out), 0);
	parse_report(out.data, &p);

	assert_non_null(strstr(p.headers,
	    "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"));
	assert_non_null(strstr(p.headers, "Subject: Undelivered Mail Returned to Sender\n"));
	assert_non_null(strstr(p.headers, "To: alice@example.org\n"));
	assert_non_null(strstr(p.headers, "Auto-Submitted: auto-replied\n"));
	assert_non_null(strstr(p.headers, "MIME-Version: 1.0\n"));
	assert_non_null(strstr(p.headers, "Content-Type: multipart/report; "
	    "report-type=delivery-status;"));
	assert_non_null(strstr(p.headers, "\nDate: "));
	assert_int_equal(p.nparts, 3);

	/* Part 1: the human-readable text. */
	assert_non_null(strstr(p.parts[0], "Content-Type: text/plain; charset=us-ascii\n\n"));
	assert_non_null(strstr(p.parts[0], "This is the mail system at host mx.example.net."));
	assert_non_null(strstr(p.parts[0],
	    "<nobody@mx.example.net>: unknown user: \"nobody\"\n"));
	assert_non_null(strstr(p.parts[0], "<bob@mx.example.net>: connection timed out\n"));

	/* Part 2: message/delivery-status with per-recipient groups. */
	assert_true(strncmp(strstr(p.parts[1], "Content-Type:"),
	    "Content-Type: message/delivery-status\n\n", 39) == 0);
	assert_non_null(strstr(p.parts[1], "\n\nReporting-MTA: dns; mx.example.net\n"));
	assert_non_null(strstr(p.parts[1], "X-Tegami-Queue-ID: 0123456789ABCDEF0\n"));
	assert_non_null(strstr(p.parts[1], "Arrival-Date: "));
	assert_non_null(strstr(p.parts[1],
	    "\n\nFinal-Recipient: rfc822; nobody@mx.example.net\n"
	    "Action: failed\nStatus: 5.1.1\n"
	    "Diagnostic-Code: X-Tegami; unknown user: \"nobody\"\n"));
	assert_non_null(strstr(p.parts[1],
	    "\n\nFinal-Recipient: rfc822; bob@mx.example.net\n"
	    "Original-Recipient: rfc822;Bob@Example.NET\n"
	    "Action: failed\nStatus: 4.4.1\n"));
	/* No Original-Recipient for the recipient without ORCPT. */
	assert_null(strstr(p.parts[1], "Original-Recipient: rfc822; nobody"));

	/* Part 3: the original headers, nothing of the body. */
	assert_non_null(strstr(p.parts[2], "Content-Type: text/rfc822-headers\n\n"));
	assert_non_null(strstr(p.parts[2], orig_headers));
	parsed_free(&p);
	strbuf_release(&out);
}

static void
test_compose_delayed(void **state)
{
	static const struct {
		const char *label;
		int64_t age;
		const char *want;
	} cases[] = {
		{ "seconds", 45, "for more than 45 second(s).\n" },
		{ "rounded down to minutes", 100, "for more than 1 minute(s).\n" },
		{ "minutes", 600, "for more than 10 minute(s).\n" },
		{ "hours", 4 * 3600 + 5, "for more than 4 hour(s).\n" },
	};
	struct dsn_rcpt rc[1] = {
		{ .addr = "late@remote.example", .status = "4.4.1",
		  .action = "delayed", .diag = "connection refused" },
	};
	struct dsn_report r;
	struct strbuf out;
	struct parsed p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_report(&r, rc, 1);
		r.delayed = 1;
		r.now = r.arrival + cases[i].age;
		r.retry_until = r.arrival + 5 * 86400;
		strbuf_init(&out, 1 << 20);
		assert_int_equal(dsn_compose(&r, &out), 0);
		parse_report(out.data, &p);
		assert_non_null(strstr(p.headers,
		    "Subject: Delayed Mail (still being retried)\n"));
		assert_int_equal(p.nparts, 3);
		assert_non_null(strstr(p.parts[0], "THIS IS A WARNING ONLY"));
		if (strstr(p.parts[0], cases[i].want) == NULL)
			fail_msg("%s: no \"%s\" in %s", cases[i].label,
			    cases[i].want, p.parts[0]);
		assert_null(strstr(p.parts[0], "I'm sorry"));
		assert_non_null(strstr(p.parts[1],
		    "Final-Recipient: rfc822; late@remote.example\n"
		    "Action: delayed\nStatus: 4.4.1\nWill-Retry-Until: "));
		parsed_free(&p);
		strbuf_release(&out);
	}
	/* Not a delay notice: no Will-Retry-Until. */
	make_report(&r, rc, 1);
	strbuf_init(&out, 1 << 20);
	assert_int_equal(dsn_compose(&r, &out), 0);
	assert_null(strstr(out.data, "Will-Retry-Until"));
	assert_non_null(strstr(out.data, "Undelivered Mail Returned to Sender"));
	strbuf_release(&out);
}

static void
test_compose_cleans_texts(void **state)
{
	struct dsn_rcpt rc[1] = {
		{ .addr = "x@y", .status = "9.9.9",
		  .diag = "evil\nInjected: header\r\x01\xff end" },
	};
	struct dsn_report r;
	struct strbuf out;
	struct parsed p;

	(void)state;
	make_report(&r, rc, 1);
	strbuf_init(&out, 1 << 20);
	assert_int_equal(dsn_compose(&r, &out), 0);
	parse_report(out.data, &p);
	assert_null(strstr(out.data, "\nInjected:"));
	assert_non_null(strstr(p.parts[1],
	    "Diagnostic-Code: X-Tegami; evil Injected: header  ? end\n"));
	/* An invalid status becomes the generic permanent one. */
	assert_non_null(strstr(p.parts[1], "Status: 5.0.0\n"));
	parsed_free(&p);
	strbuf_release(&out);
}

static void
test_boundary_not_in_headers(void **state)
{
	struct dsn_rcpt rc[1] = { { .addr = "x@y", .status = "5.1.1" } };
	struct dsn_report r;
	struct strbuf out;
	struct parsed p;
	char hdrs[512];

	(void)state;
	make_report(&r, rc, 1);
	/* Headers that contain the natural boundary. */
	snprintf(hdrs, sizeof(hdrs), "X-Trap: --%s.%d/%s\n", r.queue_id,
	    1700000100, r.reporting_mta);
	r.headers = hdrs;
	r.headers_len = strlen(hdrs);
	strbuf_init(&out, 1 << 20);
	assert_int_equal(dsn_compose(&r, &out), 0);
	parse_report(out.data, &p);
	assert_int_equal(p.nparts, 3);
	assert_null(strstr(hdrs, p.boundary));
	parsed_free(&p);
	strbuf_release(&out);
}

static void
test_compose_limit(void **state)
{
	struct dsn_rcpt rc[1] = { { .addr = "x@y", .status = "5.1.1" } };
	struct dsn_report r;
	struct strbuf out;

	(void)state;
	make_report(&r, rc, 1);
	strbuf_init(&out, 100);
	assert_int_equal(dsn_compose(&r, &out), -1);
	strbuf_release(&out);
}

static void
test_status_valid(void **state)
{
	static const struct { const char *s; int ok; } cases[] = {
		{ "5.1.1", 1 }, { "4.4.1", 1 }, { "2.0.0", 1 }, { "5.123.456", 1 },
		{ "3.1.1", 0 }, { "5.1", 0 }, { "5..1", 0 }, { "5.1.1 ", 0 },
		{ "5.1234.1", 0 }, { "", 0 }, { "x", 0 },
	};
	size_t i;

	(void)state;
	assert_false(dsn_status_valid(NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (dsn_status_valid(cases[i].s) != cases[i].ok)
			fail_msg("status \"%s\": got %d, want %d", cases[i].s,
			    !cases[i].ok, cases[i].ok);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compose_structure),
		cmocka_unit_test(test_compose_delayed),
		cmocka_unit_test(test_compose_cleans_texts),
		cmocka_unit_test(test_boundary_not_in_headers),
		cmocka_unit_test(test_compose_limit),
		cmocka_unit_test(test_status_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
