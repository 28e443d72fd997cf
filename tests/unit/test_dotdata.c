/*
 * tests/unit/test_dotdata.c — the DATA reader: unstuffing, the exact end
 * marker, sticky faults, and a table of SMTP smuggling attempts.  Every
 * case is also fed split at each byte boundary and one byte at a time.
 * BDAT mode: chunks (CRLF split between them, tiny chunks, empty LAST),
 * the same smuggling table without dots, limits, skip mode.
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

/* ---- BDAT mode ---------------------------------------------------------- */

struct bdat_case {
	const char *label;
	const char *chunks[6];	/* the chunks, in order; the last is LAST */
	const char *after;	/* bytes after the last chunk (not consumed) */
	size_t	line_limit;
	uint64_t size_limit;
	int	errs;
	const char *out;	/* content (when errs == 0) */
};

static const struct bdat_case bdat_cases[] = {
	{"empty message", {""}, "", 0, 0, 0, ""},
	{"one chunk", {"a\r\nb\r\n"}, "QUIT\r\n", 0, 0, 0, "a\nb\n"},
	{"no dot stuffing", {"..x\r\n.\r\n"}, "", 0, 0, 0, "..x\n.\n"},
	{"CRLF split over chunks", {"a\r", "\nb\r\n"}, "", 0, 0, 0, "a\nb\n"},
	{"many tiny chunks", {"a", "\r", "\n", "b", "\r", "\n"}, "", 0, 0, 0, "a\nb\n"},
	{"last line without end", {"a\r\nb"}, "", 0, 0, 0, "a\nb\n"},
	{"empty last chunk", {"a\r\n", ""}, "", 0, 0, 0, "a\n"},
	{"dot line is text", {"a\r\n.\r\nMAIL FROM:<x@y>\r\n"}, "", 0, 0, 0,
	    "a\n.\nMAIL FROM:<x@y>\n"},
	/* smuggling: a bare LF or CR is refused as in DATA */
	{"bare LF", {"a\nb\r\n"}, "", 0, 0, DOTDATA_E_BARE_LF, NULL},
	{"LF.CRLF", {"a\n.\r\nMAIL FROM:<evil@x>\r\n"}, "", 0, 0, DOTDATA_E_BARE_LF, NULL},
	{"CR.CRLF", {"a\r.\r\nMAIL\r\n"}, "", 0, 0, DOTDATA_E_BARE_CR, NULL},
	{"bare CR", {"a\rb\r\n"}, "", 0, 0, DOTDATA_E_BARE_CR, NULL},
	{"CR at end of chunk, then text", {"a\r", "b\r\n"}, "", 0, 0,
	    DOTDATA_E_BARE_CR, NULL},
	{"CR at end of message", {"a\r\nb\r"}, "", 0, 0, DOTDATA_E_BARE_CR, NULL},
	{"CR then empty LAST", {"a\r", ""}, "", 0, 0, DOTDATA_E_BARE_CR, NULL},
	{"CR CR LF", {"a\r\r\n"}, "", 0, 0, DOTDATA_E_BARE_CR, NULL},
	{"LF in a later chunk", {"a\r\n", "b\n", "c\r\n"}, "", 0, 0,
	    DOTDATA_E_BARE_LF, NULL},
	{"NUL", {"a\0b\r\n"}, "", 0, 0, DOTDATA_E_NUL, NULL},
	{"line at limit", {"1234\r\n"}, "", 6, 0, 0, "1234\n"},
	{"line over limit", {"12", "345\r\n"}, "", 6, 0, DOTDATA_E_LINE, NULL},
	{"size at limit", {"abc\r\n"}, "", 0, 4, 0, "abc\n"},
	{"size over limit", {"ab", "cd\r\n"}, "", 0, 4, DOTDATA_E_SIZE, NULL},
};

static size_t
bdat_chunk_len(const struct bdat_case *c, size_t i)
{
	/* the NUL case has one embedded NUL */
	return (strcmp(c->label, "NUL") == 0 ? 5 : strlen(c->chunks[i]));
}

static void
run_bdat(const struct bdat_case *c, size_t step)
{
	struct dotdata d;
	struct strbuf out, all;
	size_t	i, n, off, used, nchunks;
	char	buf[256];
	int	r;

	for (nchunks = 1; nchunks < 6 && c->chunks[nchunks]; nchunks++)
		;
	dotdata_bdat_init(&d, c->line_limit, c->size_limit);
	strbuf_init(&all, 4096);
	strbuf_init(&out, 4096);
	for (i = 0; i < nchunks; i++) {
		n = bdat_chunk_len(c, i);
		/* the chunk followed by what comes after it on the wire */
		memcpy(buf, c->chunks[i], n);
		memcpy(buf + n, c->after, strlen(c->after));
		dotdata_chunk(&d, n, i == nchunks - 1);
		assert_int_equal(d.chunk_size, n);
		off = 0;
		r = n == 0;
		while (!r) {
			size_t	want = step ? step : n + strlen(c->after);

			if (off + want > n + strlen(c->after))
				want = n + strlen(c->after) - off;
			r = dotdata_feed(&d, buf + off, want, &used, &out);
			assert_true(used <= want);
			off += used;
			strbuf_append(&all, out.data, out.len);
			strbuf_reset(&out);
			if (!r && used < want)
				fail_msg("%s: stopped inside a chunk", c->label);
		}
		if (off != n)
			fail_msg("%s (step %zu): chunk %zu used %zu of %zu", c->label,
			    step, i, off, n);
	}
	dotdata_bdat_end(&d, &out);
	strbuf_append(&all, out.data, out.len);
	if (d.errs != c->errs)
		fail_msg("%s (step %zu): errs %#x want %#x", c->label, step, d.errs,
		    c->errs);
	if (c->out && (all.len != strlen(c->out) || memcmp(all.data, c->out, all.len)))
		fail_msg("%s (step %zu): content \"%s\" want \"%s\"", c->label, step,
		    all.data, c->out);
	strbuf_release(&out);
	strbuf_release(&all);
}

static void
test_bdat_table(void **state)
{
	size_t	i, step;

	(void)state;
	for (i = 0; i < sizeof(bdat_cases) / sizeof(bdat_cases[0]); i++)
		for (step = 0; step < 4; step++)
			run_bdat(&bdat_cases[i], step);
}

/* Skip mode: exactly the refused chunk's bytes go, nothing is produced;
 * reading DATA after BDAT starts clean. */
static void
test_bdat_skip(void **state)
{
	struct dotdata d;
	struct strbuf out;
	size_t	used;

	(void)state;
	strbuf_init(&out, 100);
	dotdata_bdat_init(&d, 0, 0);
	dotdata_chunk(&d, 3, 0);
	assert_int_equal(dotdata_feed(&d, "a\nb", 3, &used, &out), 1);
	assert_int_equal(d.errs, DOTDATA_E_BARE_LF);
	dotdata_skip(&d, 5);
	assert_int_equal(d.errs, 0);
	strbuf_reset(&out);
	assert_int_equal(dotdata_feed(&d, "xy", 2, &used, &out), 0);
	assert_int_equal(used, 2);
	assert_int_equal(dotdata_feed(&d, "z\r\nQUIT\r\n", 9, &used, &out), 1);
	assert_int_equal(used, 3);
	assert_int_equal(out.len, 0);
	/* dotdata_bdat_end does nothing outside BDAT mode */
	dotdata_bdat_end(&d, &out);
	assert_int_equal(out.len, 0);
	dotdata_init(&d, 0, 0);
	assert_int_equal(d.mode, DOTDATA_M_DOT);
	assert_int_equal(d.octets, 0);
	assert_int_equal(dotdata_feed(&d, "a\r\n.\r\n", 6, &used, &out), 1);
	assert_string_equal(out.data, "a\n");
	strbuf_release(&out);
}

/* The announced octets add up over the chunks (for the SIZE check). */
static void
test_bdat_octets(void **state)
{
	struct dotdata d;
	struct strbuf out;
	size_t	used, i;

	(void)state;
	strbuf_init(&out, 100);
	dotdata_bdat_init(&d, 0, 0);
	for (i = 0; i < 1000; i++) {
		dotdata_chunk(&d, 1, 0);
		assert_int_equal(dotdata_feed(&d, i % 2 ? "\n" : "\r", 1, &used, &out), 1);
		assert_int_equal(used, 1);
		strbuf_reset(&out);
	}
	assert_int_equal(d.octets, 1000);
	assert_int_equal(d.size, 500);
	assert_int_equal(d.errs, 0);
	strbuf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_no_output_after_error),
		cmocka_unit_test(test_bdat_table),
		cmocka_unit_test(test_bdat_skip),
		cmocka_unit_test(test_bdat_octets),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
