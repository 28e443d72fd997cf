/*
 * tests/unit/test_qmgr_schedule.c — qmgr's back-off (Postfix style: the
 * message age clamped to [minimal, maximal], doubling between attempts),
 * queue lifetime expiry, the delay format of the log lines, the
 * per-destination concurrency window (slow start, positive and negative
 * feedback, failed cohorts) and when a delay notice is due.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <limits.h>
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

static void
test_feedback_parse(void **state)
{
	static const struct {
		const char *in;
		int ok;
		double value;
		int per_conc;
	} cases[] = {
		{ "1", 1, 1, 0 },
		{ "0.5", 1, 0.5, 0 },
		{ "1/concurrency", 1, 1, 1 },
		{ "0.25/concurrency", 1, 0.25, 1 },
		{ "", 0, 0, 0 },
		{ "0", 0, 0, 0 },
		{ "2", 0, 0, 0 },
		{ "-1", 0, 0, 0 },
		{ "1/conc", 0, 0, 0 },
		{ "1 /concurrency", 0, 0, 0 },
		{ "abc", 0, 0, 0 },
	};
	double v;
	int pc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = -1;
		pc = -1;
		if ((qmgr_feedback_parse(cases[i].in, &v, &pc) == 0) != cases[i].ok)
			fail_msg("\"%s\": parse %s", cases[i].in, cases[i].ok ?
			    "failed" : "succeeded");
		if (cases[i].ok && (v != cases[i].value || pc != cases[i].per_conc))
			fail_msg("\"%s\": got %g/%d", cases[i].in, v, pc);
	}
	assert_int_equal(qmgr_feedback_parse(NULL, &v, &pc), -1);
}

/* Postfix's defaults: initial 5, limit 20, feedback 1 and 1, one cohort. */
static const struct qmgr_conc_params defaults = { 5, 20, 1, 1, 1, 0, 0 };

static void
test_conc_init(void **state)
{
	static const struct {
		const char *label;
		long init, limit;
		int want;
	} cases[] = {
		{ "slow start", 5, 20, 5 },
		{ "initial above the limit", 5, 2, 2 },
		{ "limit 1", 5, 1, 1 },
		{ "no limit", 5, 0, 5 },
		{ "initial 0 is 1", 0, 20, 1 },
	};
	struct qmgr_conc_params p = defaults;
	struct qmgr_conc c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p.init = cases[i].init;
		p.limit = cases[i].limit;
		memset(&c, 0xff, sizeof(c));
		qmgr_conc_init(&c, &p);
		if (c.window != cases[i].want || c.success != 0 || c.failure != 0 ||
		    c.fail_cohorts != 0)
			fail_msg("%s: window %d, want %d", cases[i].label, c.window,
			    cases[i].want);
	}
	p.limit = 0;
	assert_int_equal(qmgr_conc_limit(&p), INT_MAX);
	p.limit = 7;
	assert_int_equal(qmgr_conc_limit(&p), 7);
}

static void
test_conc_grows_by_one_per_success_to_the_limit(void **state)
{
	struct qmgr_conc c;
	int i;

	(void)state;
	qmgr_conc_init(&c, &defaults);
	for (i = 1; i <= 15; i++) {
		qmgr_conc_success(&c, &defaults);
		assert_int_equal(c.window, 5 + i);
	}
	/* At the limit it stays there. */
	for (i = 0; i < 10; i++)
		qmgr_conc_success(&c, &defaults);
	assert_int_equal(c.window, 20);
}

static void
test_conc_per_concurrency_feedback(void **state)
{
	struct qmgr_conc_params p = defaults;
	struct qmgr_conc c;
	int i;

	(void)state;
	p.pos_per_conc = 1;	/* "1/concurrency": a window of successes */
	p.neg_per_conc = 1;
	qmgr_conc_init(&c, &p);
	for (i = 0; i < 4; i++)
		qmgr_conc_success(&c, &p);
	assert_int_equal(c.window, 5);
	qmgr_conc_success(&c, &p);
	assert_int_equal(c.window, 6);
	for (i = 0; i < 5; i++)
		qmgr_conc_success(&c, &p);
	assert_int_equal(c.window, 6);
	qmgr_conc_success(&c, &p);
	assert_int_equal(c.window, 7);
	/* Negative: at once at the start of the cycle, then per window. */
	p.cohort_limit = 0;
	assert_int_equal(qmgr_conc_failure(&c, &p), 0);
	assert_int_equal(c.window, 6);
	for (i = 0; i < 5; i++)
		assert_int_equal(qmgr_conc_failure(&c, &p), 0);
	assert_int_equal(c.window, 6);
	assert_int_equal(qmgr_conc_failure(&c, &p), 0);
	assert_int_equal(c.window, 5);
}

static void
test_conc_failure_shrinks_then_dies(void **state)
{
	struct qmgr_conc c;
	const int want[] = { 4, 3, 2 };
	int i;

	(void)state;
	/* Window 5: pseudo-cohorts 1/5 + 1/4 + 1/3 < 1, + 1/2 >= 1. */
	qmgr_conc_init(&c, &defaults);
	for (i = 0; i < 3; i++) {
		assert_int_equal(qmgr_conc_failure(&c, &defaults), 0);
		assert_int_equal(c.window, want[i]);
	}
	assert_int_equal(qmgr_conc_failure(&c, &defaults), 1);
}

static void
test_conc_dead_at_window_one(void **state)
{
	struct qmgr_conc_params p = defaults;
	struct qmgr_conc c;

	(void)state;
	p.init = 1;
	qmgr_conc_init(&c, &p);
	/* One failed cohort at concurrency 1: dead. */
	assert_int_equal(qmgr_conc_failure(&c, &p), 1);
	/* Two allowed: the first failure only shrinks (not below 1). */
	p.cohort_limit = 2;
	qmgr_conc_init(&c, &p);
	assert_int_equal(qmgr_conc_failure(&c, &p), 0);
	assert_int_equal(c.window, 1);
	assert_int_equal(qmgr_conc_failure(&c, &p), 1);
	/* 0: never dead. */
	p.cohort_limit = 0;
	qmgr_conc_init(&c, &p);
	for (int i = 0; i < 100; i++)
		assert_int_equal(qmgr_conc_failure(&c, &p), 0);
	assert_int_equal(c.window, 1);
}

static void
test_conc_success_resets_cohorts(void **state)
{
	struct qmgr_conc_params p = defaults;
	struct qmgr_conc c;
	int i;

	(void)state;
	p.init = 2;
	qmgr_conc_init(&c, &p);
	/* Failure, success, failure ... never two cohorts in a row. */
	for (i = 0; i < 20; i++) {
		assert_int_equal(qmgr_conc_failure(&c, &p), 0);
		assert_true(c.window >= 1);
		qmgr_conc_success(&c, &p);
	}
	assert_int_equal(c.fail_cohorts, 0);
	/* A per-recipient 4xx is no failure: only qmgr_conc_failure() counts,
	 * and successes only raise the window. */
	qmgr_conc_init(&c, &p);
	qmgr_conc_success(&c, &p);
	assert_int_equal(c.window, 3);
}

static void
test_delay_warning_due(void **state)
{
	static const struct {
		const char *label;
		int64_t age;
		long warn;
		int want;
	} cases[] = {
		{ "off (0, Postfix's default)", 100000, 0, 0 },
		{ "younger", 3599, 3600, 0 },
		{ "exactly", 3600, 3600, 1 },
		{ "older", 7200, 14400, 0 },
		{ "older still", 20000, 14400, 1 },
		{ "clock went backwards", -10, 1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (qmgr_delay_warning_due(1700000000 + cases[i].age, 1700000000,
		    cases[i].warn) != cases[i].want)
			fail_msg("%s: want %d", cases[i].label, cases[i].want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_table),
		cmocka_unit_test(test_backoff_doubles),
		cmocka_unit_test(test_expired),
		cmocka_unit_test(test_format_delay),
		cmocka_unit_test(test_feedback_parse),
		cmocka_unit_test(test_conc_init),
		cmocka_unit_test(test_conc_grows_by_one_per_success_to_the_limit),
		cmocka_unit_test(test_conc_per_concurrency_feedback),
		cmocka_unit_test(test_conc_failure_shrinks_then_dies),
		cmocka_unit_test(test_conc_dead_at_window_one),
		cmocka_unit_test(test_conc_success_resets_cohorts),
		cmocka_unit_test(test_delay_warning_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
