/*
 * tests/unit/test_auth_limit.c — auth(8)'s failed-login table: a labelled
 * script of failures, checks and clears at given times (limit 3, window
 * 100 s), the delay sequence and its cap, and the table limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../auth/auth.h"

enum op { FAIL, BLOCKED, CLEAR };

static const struct {
	const char *label;
	enum op	op;
	const char *key;
	time_t	now;
	long	want;		/* FAIL: count; BLOCKED: 0/1 */
} script[] = {
	{"first failure", FAIL, "addr:a", 1000, 1},
	{"not blocked yet", BLOCKED, "addr:a", 1000, 0},
	{"second", FAIL, "addr:a", 1010, 2},
	{"other key separate", FAIL, "user:a", 1010, 1},
	{"third", FAIL, "addr:a", 1020, 3},
	{"blocked at the limit", BLOCKED, "addr:a", 1021, 1},
	{"other key not blocked", BLOCKED, "user:a", 1021, 0},
	{"unknown key not blocked", BLOCKED, "addr:b", 1021, 0},
	{"still blocked near the end", BLOCKED, "addr:a", 1099, 1},
	{"window over: free", BLOCKED, "addr:a", 1100, 0},
	{"new window counts from 1", FAIL, "addr:a", 1100, 1},
	{"clock went back: expired", BLOCKED, "addr:a", 900, 0},
	{"same window: 2", FAIL, "user:a", 1101, 2},
	{"clear", CLEAR, "user:a", 1102, 0},
	{"cleared key counts from 1", FAIL, "user:a", 1103, 1},
};

static void
test_script(void **state)
{
	struct auth_limit *l = auth_limit_new(3, 100, 16, 1000);
	long got = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		switch (script[i].op) {
		case FAIL:
			got = auth_limit_fail(l, script[i].key, script[i].now);
			break;
		case BLOCKED:
			got = auth_limit_blocked(l, script[i].key, script[i].now);
			break;
		case CLEAR:
			auth_limit_clear(l, script[i].key);
			got = 0;
			break;
		}
		if (got != script[i].want)
			fail_msg("step %zu \"%s\": got %ld, want %ld", i,
			    script[i].label, got, script[i].want);
	}
	auth_limit_free(l);
}

static void
test_delay(void **state)
{
	static const long want[] = { 0, 1, 2, 4, 8, 16, 16, 16 };
	struct auth_limit *l = auth_limit_new(3, 100, 16, 1000);
	struct auth_limit *z = auth_limit_new(3, 100, 0, 1000);
	struct auth_limit *odd = auth_limit_new(3, 100, 5, 1000);
	long n;

	(void)state;
	for (n = 0; n < 8; n++)
		if (auth_limit_delay(l, n) != want[n])
			fail_msg("delay after %ld failures: got %ld, want %ld", n,
			    auth_limit_delay(l, n), want[n]);
	assert_int_equal(auth_limit_delay(l, 1000000), 16);
	assert_int_equal(auth_limit_delay(z, 5), 0);
	assert_int_equal(auth_limit_delay(odd, 4), 5);
	auth_limit_free(l);
	auth_limit_free(z);
	auth_limit_free(odd);
}

static void
test_table_limit(void **state)
{
	struct auth_limit *l = auth_limit_new(3, 100, 16, 100);
	char key[32];
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "addr:%d", i);
		assert_int_equal(auth_limit_fail(l, key, 10), 1);
	}
	assert_int_equal(auth_limit_size(l), 100);
	/* Full of live entries: a new key is not counted. */
	assert_int_equal(auth_limit_fail(l, "addr:new", 20), 0);
	assert_int_equal(auth_limit_blocked(l, "addr:new", 20), 0);
	/* Known keys still count. */
	assert_int_equal(auth_limit_fail(l, "addr:5", 20), 2);
	/* Once the window is over, expired entries make room. */
	assert_int_equal(auth_limit_fail(l, "addr:new", 115), 1);
	assert_true(auth_limit_size(l) <= 2);
	auth_limit_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_table_limit),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
