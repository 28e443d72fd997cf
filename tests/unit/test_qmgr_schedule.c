/*
 * tests/unit/test_qmgr_schedule.c — qmgr's back-off (Postfix style: the
 * message age clamped to [minimal, maximal], doubling between attempts),
 * queue lifetime expiry and the delay format of the log lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmgr/qmgr.h"

static void
test_backoff_table(void **state)
{
	static const struct {
		const char *label;
		int64_t age;
		long want;
	} cases[] = {
		{ "new message", 0, 300 },
		{ "clock went backwards", -50, 300 },
		{ "younger than the minimum", 299, 300 },
		{ "second attempt", 300, 300 },
		{ "third attempt", 600, 600 },
		{ "fourth attempt", 1200, 1200 },
		{ "fifth attempt", 2400, 2400 },
		{ "capped", 4800, 4000 },
		{ "a day old", 86400, 4000 },
	};
	size_t i;
	long got;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = qmgr_backoff(1700000000 + cases[i].age, 1700000000, 300, 4000);
		if (got != cases[i].want)
			fail_msg("%s: got %ld, want %ld", cases[i].label, got,
			    cases[i].want);
	}
	/* A maximum below the minimum is the minimum. */
	assert_int_equal(qmgr_backoff(10000, 0, 300, 100), 300);
}

static void
test_backoff_doubles(void **state)
{
	int64_t arrival = 1000, now = arrival;
	long waits[6];
	int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		waits[i] = qmgr_backoff(now, arrival, 300, 4000);
		now += waits[i];
	}
	assert_int_equal(waits[0], 300);
	assert_int_equal(waits[1], 300);
	assert_int_equal(waits[2], 600);
	assert_int_equal(waits[3], 1200);
	assert_int_equal(waits[4], 2400);
	assert_int_equal(waits[5], 4000);
}

static void
test_expired(void **state)
{
	const long day = 86400;

	(void)state;
	assert_false(qmgr_expired(4 * day, 0, 0, 5 * day, 5 * day));
	assert_true(qmgr_expired(5 * day, 0, 0, 5 * day, 5 * day));
	assert_true(qmgr_expired(6 * day, 0, 0, 5 * day, 5 * day));
	/* Null sender: bounce_queue_lifetime. */
	assert_true(qmgr_expired(2 * day, 0, 1, 5 * day, 1 * day));
	assert_false(qmgr_expired(2 * day, 0, 0, 5 * day, 1 * day));
	/* Lifetime 0: one attempt only. */
	assert_true(qmgr_expired(0, 0, 0, 0, 0));
}

static void
test_format_delay(void **state)
{
	static const struct { double s; const char *want; } cases[] = {
		{ 0, "0" }, { 0.004, "0" }, { 0.01, "0.01" }, { 0.1, "0.1" },
		{ 0.123, "0.12" }, { 1.25, "1.2" }, { 2.0, "2" }, { 12.4, "12" },
		{ 1234.5, "1234" }, { -1, "0" },
	};
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		qmgr_format_delay(cases[i].s, buf, sizeof(buf));
		if (strcmp(buf, cases[i].want) != 0 &&
		    !(cases[i].s == 1234.5 && strcmp(buf, "1235") == 0))
			fail_msg("%g: got \"%s\", want \"%s\"", cases[i].s, buf,
			    cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_table),
		cmocka_unit_test(test_backoff_doubles),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_format_delay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
