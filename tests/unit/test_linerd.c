/*
 * tests/unit/test_linerd.c — the bounded SMTP line reader.
 *
 * A table of inputs (with their expected sequence of results and lines) is
 * run whole, then split at every byte boundary, then fed one byte at a
 * time: the results must not depend on how the input arrived.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "linerd.h"

#define MAXEV	8

struct lr_case {
	const char *label;
	const char *in;
	size_t	limit;
	int	nev;
	struct {
		enum linerd_result r;
		const char *line;	/* for LINERD_LINE */
	} ev[MAXEV];
};

static const struct lr_case cases[] = {
	{"one line", "EHLO x\r\n", 100, 1, {{LINERD_LINE, "EHLO x"}}},
	{"two lines", "A\r\nB\r\n", 100, 2, {{LINERD_LINE, "A"}, {LINERD_LINE, "B"}}},
	{"empty line", "\r\n", 100, 1, {{LINERD_LINE, ""}}},
	{"partial", "NOOP", 100, 0, {{0, NULL}}},
	{"bare LF", "A\nB\r\n", 100, 2, {{LINERD_BARE_LF, NULL}, {LINERD_LINE, "B"}}},
	{"bare CR", "A\rB\r\nC\r\n", 100, 2, {{LINERD_BARE_CR, NULL}, {LINERD_LINE, "C"}}},
	{"CR CR LF", "A\r\r\n", 100, 1, {{LINERD_BARE_CR, NULL}}},
	{"exact limit", "12345\r\n", 5, 1, {{LINERD_LINE, "12345"}}},
	{"too long", "123456\r\nok\r\n", 5, 2, {{LINERD_TOO_LONG, NULL}, {LINERD_LINE, "ok"}}},
	{"very long", "1234567890123456789\r\nx\r\n", 5, 2,
	    {{LINERD_TOO_LONG, NULL}, {LINERD_LINE, "x"}}},
	{"too long wins over bare LF", "1234567\n", 5, 1, {{LINERD_TOO_LONG, NULL}}},
	{"NUL kept", "A\0B\r\n", 100, 1, {{LINERD_LINE, "A"}}},
};

/* Feed `in` in pieces of `step` bytes (0 = split once at `split`). */
static void
run_case(const struct lr_case *c, size_t len, size_t split, size_t step)
{
	struct linerd lr;
	size_t	off = 0, end, used;
	int	nev = 0;
	enum linerd_result r;

	linerd_init(&lr, c->limit);
	while (off < len) {
		end = step ? off + step : (off < split ? split : len);
		if (end > len)
			end = len;
		while (off < end) {
			r = linerd_feed(&lr, c->in + off, end - off, &used);
			assert_true(used > 0 && used <= end - off);
			off += used;
			if (r == LINERD_NEED_MORE)
				continue;
			if (nev >= c->nev)
				fail_msg("%s: extra result %d", c->label, r);
			if (r != c->ev[nev].r)
				fail_msg("%s (split %zu step %zu): event %d got %d want %d",
				    c->label, split, step, nev, r, c->ev[nev].r);
			if (r == LINERD_LINE && strcmp(lr.line.data, c->ev[nev].line) != 0)
				fail_msg("%s: got line \"%s\" want \"%s\"", c->label,
				    lr.line.data, c->ev[nev].line);
			assert_true(lr.line.len <= c->limit);
			nev++;
		}
	}
	if (nev != c->nev)
		fail_msg("%s: got %d results want %d", c->label, nev, c->nev);
	linerd_release(&lr);
}

static void
test_table(void **state)
{
	size_t	i, split, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].in);
		if (strcmp(cases[i].label, "NUL kept") == 0)
			len = 5;
		run_case(&cases[i], len, len, 0);
		for (split = 1; split < len; split++)
			run_case(&cases[i], len, split, 0);
		run_case(&cases[i], len, 0, 1);
	}
}

static void
test_nul_line_length(void **state)
{
	struct linerd lr;
	size_t	used;

	(void)state;
	linerd_init(&lr, 10);
	assert_int_equal(linerd_feed(&lr, "A\0B\r\n", 5, &used), LINERD_LINE);
	assert_int_equal(lr.line.len, 3);
	assert_memory_equal(lr.line.data, "A\0B", 3);
	linerd_release(&lr);
}

static void
test_pending_reset(void **state)
{
	struct linerd lr;
	size_t	used;

	(void)state;
	linerd_init(&lr, 10);
	assert_false(linerd_pending(&lr));
	assert_int_equal(linerd_feed(&lr, "DA", 2, &used), LINERD_NEED_MORE);
	assert_true(linerd_pending(&lr));
	linerd_reset(&lr);
	assert_false(linerd_pending(&lr));
	assert_int_equal(linerd_feed(&lr, "TA\r\n", 4, &used), LINERD_LINE);
	assert_string_equal(lr.line.data, "TA");
	linerd_release(&lr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nul_line_length),
		cmocka_unit_test(test_pending_reset),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
