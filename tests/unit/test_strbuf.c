/*
 * tests/unit/test_strbuf.c — strbuf: growth, the hard maximum (an append
 * past it fails and leaves the buffer unchanged), printf, consume, detach,
 * binary content, and the x*alloc helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "strbuf.h"

static void
test_append_and_limit(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 10);
	assert_int_equal(strbuf_append_str(&sb, "hello"), 0);
	assert_int_equal(strbuf_append_str(&sb, "world"), 0);
	assert_int_equal(sb.len, 10);
	assert_string_equal(sb.data, "helloworld");
	/* One byte past the maximum: refused, contents unchanged. */
	assert_int_equal(strbuf_append_char(&sb, '!'), -1);
	assert_int_equal(strbuf_append(&sb, "", 0), 0);
	assert_string_equal(sb.data, "helloworld");
	assert_int_equal(sb.len, 10);
	strbuf_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.data, "");
	assert_int_equal(strbuf_append(&sb, "0123456789A", 11), -1);
	assert_int_equal(sb.len, 0);
	strbuf_release(&sb);
	strbuf_release(&sb);	/* twice is harmless */
}

static void
test_huge_append_overflow(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, STRBUF_NOLIMIT);
	assert_int_equal(strbuf_append_str(&sb, "x"), 0);
	/* A length that would overflow size_t arithmetic must fail cleanly. */
	assert_int_equal(strbuf_append(&sb, "y", SIZE_MAX), -1);
	assert_int_equal(strbuf_append(&sb, "y", STRBUF_NOLIMIT), -1);
	assert_string_equal(sb.data, "x");
	strbuf_release(&sb);
}

static void
test_printf(void **state)
{
	struct strbuf *sb = strbuf_new(1000);
	char big[600];

	(void)state;
	assert_int_equal(strbuf_printf(sb, "%d-%s", 42, "x"), 0);
	assert_string_equal(sb->data, "42-x");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* Longer than the internal 256-byte first try. */
	assert_int_equal(strbuf_printf(sb, "%s", big), 0);
	assert_int_equal(sb->len, 4 + 599);
	assert_int_equal(strbuf_printf(sb, "%s", big), -1);
	assert_int_equal(sb->len, 4 + 599);
	assert_int_equal(strbuf_set_printf(sb, "n=%d", 7), 0);
	assert_string_equal(sb->data, "n=7");
	/* set_printf that does not fit keeps the old contents. */
	assert_int_equal(strbuf_set_printf(sb, "%s%s", big, big), -1);
	assert_string_equal(sb->data, "n=7");
	assert_int_equal(strbuf_set_str(sb, "abc"), 0);
	assert_string_equal(sb->data, "abc");
	strbuf_free(sb);
	strbuf_free(NULL);
}

static void
test_consume_truncate_detach(void **state)
{
	struct strbuf sb;
	char *s;

	(void)state;
	strbuf_init(&sb, 100);
	strbuf_append_str(&sb, "line1\r\nline2");
	strbuf_consume(&sb, 7);
	assert_string_equal(sb.data, "line2");
	strbuf_truncate(&sb, 4);
	assert_string_equal(sb.data, "line");
	strbuf_consume(&sb, 4);
	assert_int_equal(sb.len, 0);
	strbuf_append_str(&sb, "owned");
	s = strbuf_detach(&sb);
	assert_string_equal(s, "owned");
	assert_int_equal(sb.len, 0);
	assert_int_equal(strbuf_append_str(&sb, "again"), 0);
	assert_string_equal(sb.data, "again");
	free(s);
	/* Detach and forget: nothing left to leak (ASan checks). */
	free(strbuf_detach(&sb));
	strbuf_release(&sb);
}

static void
test_binary_and_growth(void **state)
{
	struct strbuf sb;
	size_t i;

	(void)state;
	strbuf_init(&sb, 100000);
	assert_int_equal(strbuf_append(&sb, "a\0b", 3), 0);
	assert_int_equal(sb.len, 3);
	assert_memory_equal(sb.data, "a\0b", 4);
	for (i = 0; i < 9999; i++)
		assert_int_equal(strbuf_append_str(&sb, "0123456789"), 0);
	assert_int_equal(sb.len, 99993);
	assert_int_equal(strbuf_append_str(&sb, "0123456789"), -1);
	assert_int_equal(strbuf_append_str(&sb, "0123456"), 0);
	assert_int_equal(sb.len, 100000);
	assert_true(sb.cap <= 100001);
	assert_int_equal(sb.data[sb.len], '\0');
	/* Appending from inside the buffer itself works. */
	strbuf_reset(&sb);
	strbuf_append_str(&sb, "abc");
	assert_int_equal(strbuf_append(&sb, sb.data, sb.len), 0);
	assert_string_equal(sb.data, "abcabc");
	strbuf_release(&sb);
}

static void
test_xalloc(void **state)
{
	char *p;
	int *v;

	(void)state;
	p = xstrndup("abcdef", 3);
	assert_string_equal(p, "abc");
	free(p);
	p = xstrndup("ab", 10);
	assert_string_equal(p, "ab");
	free(p);
	p = xstrdup("");
	assert_string_equal(p, "");
	free(p);
	v = xcalloc(4, sizeof(*v));
	assert_int_equal(v[3], 0);
	v = xreallocarray(v, 8, sizeof(*v));
	v[7] = 1;
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_limit),
		cmocka_unit_test(test_huge_append_overflow),
		cmocka_unit_test(test_printf),
		cmocka_unit_test(test_consume_truncate_detach),
		cmocka_unit_test(test_binary_and_growth),
		cmocka_unit_test(test_xalloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
