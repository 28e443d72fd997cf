/*
 * tests/unit/test_dotdata.c — the DATA reader: unstuffing, the exact end
 * marker, sticky faults, and a table of SMTP smuggling attempts.  Every
 * case is also fed split at each byte boundary and one byte at a time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dotdata.h"

struct dd_case {
	const char *label;
	const char *in;		/* raw input after 354 */
	size_t	line_limit;
	uint64_t size_limit;
	int	end;		/* end marker found */
	size_t	used;		/* bytes up to the end marker (when end) */
	int	errs;
	const char *out;	/* content (when errs == 0) */
};

static const struct dd_case cases[] = {
	{"empty message", ".\r\n", 0, 0, 1, 3, 0, ""},
	{"simple", "a\r\nb\r\n.\r\n", 0, 0, 1, 9, 0, "a\nb\n"},
	{"unstuff", "..x\r\n..\r\n.\r\n", 0, 0, 1, 12, 0, ".x\n.\n"},
	{"dot in line", "a.b\r\n .\r\n.\r\n", 0, 0, 1, 12, 0, "a.b\n .\n"},
	{"stops at end", "a\r\n.\r\nMAIL", 0, 0, 1, 6, 0, "a\n"},
	{"no end yet", "a\r\n.", 0, 0, 0, 0, 0, "a\n"},
	{"dot space not end", "a\r\n. \r\n.\r\n", 0, 0, 1, 10, 0, "a\n \n"},
	/* smuggling: none of these may end the data */
	{"LF.CRLF", "a\n.\r\nMAIL FROM:<x>\r\n.\r\n", 0, 0, 1, 23, DOTDATA_E_BARE_LF, NULL},
	{"CRLF.LF", "a\r\n.\nRCPT\r\n.\r\n", 0, 0, 1, 14, DOTDATA_E_BARE_LF, NULL},
	{"LF.LF", "a\n.\nx\r\n.\r\n", 0, 0, 1, 10, DOTDATA_E_BARE_LF, NULL},
	{"CR.CRLF", "a\r.\r\nMAIL\r\n.\r\n", 0, 0, 1, 14, DOTDATA_E_BARE_CR, NULL},
	{"CRLF.CR", "a\r\n.\rMAIL\r\n.\r\n", 0, 0, 1, 14, DOTDATA_E_BARE_CR, NULL},
	{"CR.CR", "a\r.\rx\r\n.\r\n", 0, 0, 1, 10, DOTDATA_E_BARE_CR, NULL},
	{"bare CR in text", "a\rb\r\n.\r\n", 0, 0, 1, 8, DOTDATA_E_BARE_CR, NULL},
	{"CR CR LF", "a\r\r\n.\r\n", 0, 0, 1, 7, DOTDATA_E_BARE_CR, NULL},
	{"NUL", "a\0b\r\n.\r\n", 0, 0, 1, 8, DOTDATA_E_NUL, NULL},
	/* limits */
	{"line at limit", "1234\r\n.\r\n", 6, 0, 1, 9, 0, "1234\n"},
	{"line over limit", "12345\r\n.\r\n", 6, 0, 1, 10, DOTDATA_E_LINE, NULL},
	{"size at limit", "abc\r\n.\r\n", 0, 4, 1, 8, 0, "abc\n"},
	{"size over limit", "abcd\r\n.\r\n", 0, 4, 1, 9, DOTDATA_E_SIZE, NULL},
};

static size_t
case_len(const struct dd_case *c)
{
	return (strcmp(c->label, "NUL") == 0 ? 8 : strlen(c->in));
}

static void
run_case(const struct dd_case *c, size_t split, size_t step)
{
	struct dotdata d;
	struct strbuf out, all;
	size_t	len = case_len(c), off = 0, end, used;
	int	r = 0;

	dotdata_init(&d, c->line_limit, c->size_limit);
	strbuf_init(&all, 4096);
	strbuf_init(&out, 4096);
	while (off < len && r == 0) {
		end = step ? off + step : (off < split ? split : len);
		if (end > len)
			end = len;
		r = dotdata_feed(&d, c->in + off, end - off, &used, &out);
		assert_true(used <= end - off);
		assert_true(out.len <= used);
		strbuf_append(&all, out.data, out.len);
		strbuf_reset(&out);
		off += used;
	}
	if (r != c->end)
		fail_msg("%s (split %zu step %zu): end %d want %d", c->label, split,
		    step, r, c->end);
	if (c->end && off != c->used)
		fail_msg("%s: used %zu want %zu", c->label, off, c->used);
	if (d.errs != c->errs)
		fail_msg("%s (split %zu step %zu): errs %#x want %#x", c->label,
		    split, step, d.errs, c->errs);
	if (c->out && (all.len != strlen(c->out) || memcmp(all.data, c->out, all.len)))
		fail_msg("%s: content \"%s\" want \"%s\"", c->label, all.data, c->out);
	strbuf_release(&out);
	strbuf_release(&all);
}

static void
test_table(void **state)
{
	size_t	i, split;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_case(&cases[i], case_len(&cases[i]), 0);
		for (split = 1; split < case_len(&cases[i]); split++)
			run_case(&cases[i], split, 0);
		run_case(&cases[i], 0, 1);
	}
}

static void
test_strerror(void **state)
{
	(void)state;
	assert_string_equal(dotdata_strerror(0), "");
	assert_string_equal(dotdata_strerror(DOTDATA_E_BARE_LF | DOTDATA_E_SIZE), "bare LF");
	assert_string_equal(dotdata_strerror(DOTDATA_E_SIZE), "message too large");
}

/* After an error no more content is produced (memory stays flat). */
static void
test_no_output_after_error(void **state)
{
	struct dotdata d;
	struct strbuf out;
	size_t	used;

	(void)state;
	dotdata_init(&d, 0, 0);
	strbuf_init(&out, 100);
	assert_int_equal(dotdata_feed(&d, "x\ny\r\nzzz\r\n", 10, &used, &out), 0);
	assert_int_equal(d.errs, DOTDATA_E_BARE_LF);
	assert_int_equal(out.len, 1);		/* only the "x" before the fault */
	strbuf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_no_output_after_error),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
