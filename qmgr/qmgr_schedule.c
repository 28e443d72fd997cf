/*
 * qmgr/qmgr_schedule.c — retry and expiry arithmetic of the queue manager.
 *
 * Pure functions used by qmgr_active.c when an attempt ends with deferred
 * recipients, and by the log lines.  The back-off is Postfix's: the wait
 * before the next attempt is the message's age clamped to
 * [minimal_backoff_time, maximal_backoff_time], so it doubles from one
 * attempt to the next until it reaches the maximum.  Also the concurrency
 * window of a destination (slow start and feedback, below) and when a delay
 * notice is due.  No errors, no I/O.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmgr.h"

long
qmgr_backoff(int64_t now, int64_t arrival, long min_backoff, long max_backoff)
{
	int64_t age = now - arrival;

	if (max_backoff < min_backoff)
		max_backoff = min_backoff;
	/* A clock that went backwards gives a negative age: the minimum. */
	if (age < min_backoff)
		return min_backoff;
	if (age > max_backoff)
		return max_backoff;
	return (long)age;
}

int
qmgr_expired(int64_t now, int64_t arrival, int null_sender, long max_lifetime,
    long bounce_lifetime)
{
	long lifetime = null_sender ? bounce_lifetime : max_lifetime;

	/* A lifetime of 0 means "one attempt only", as in Postfix. */
	return now - arrival >= lifetime;
}

void
qmgr_format_delay(double s, char *buf, size_t size)
{
	size_t len;

	if (s < 0.005) {
		snprintf(buf, size, "0");
		return;
	}
	if (s >= 10)
		snprintf(buf, size, "%.0f", s);
	else if (s >= 1)
		snprintf(buf, size, "%.1f", s);
	else
		snprintf(buf, size, "%.2f", s);
	/* "0.10" -> "0.1", "2.0" -> "2". */
	if (strchr(buf, '.') != NULL) {
		len = strlen(buf);
		while (len > 0 && buf[len - 1] == '0')
			buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '.')
			buf[--len] = '\0';
	}
}

double
qmgr_tv_diff(const struct timeval *later, const struct timeval *earlier)
{
	double d = (double)(later->tv_sec - earlier->tv_sec) +
	    (double)(later->tv_usec - earlier->tv_usec) / 1e6;

	return d < 0 ? 0 : d;
}

/* ---- per-destination concurrency feedback (Postfix's qmgr_queue.c) ----
 * The window is how many requests a destination may have in flight.  It
 * starts at initial_destination_concurrency; each delivery that reached a
 * server adds positive feedback ("1/concurrency": one whole window of
 * successes raises it by one; "1": every success does), each site failure
 * takes negative feedback off, never below 1.  Failures also add up
 * "pseudo-cohorts" (1/window each, before the window shrinks); once
 * failed_cohort_limit of them have failed with no success in between, the
 * destination is dead (at window 1 with the defaults: the first failure).
 * Feedback has a hysteresis of 1: the window moves in whole steps. */

static double
feedback_value(double fb, int per_conc, int window)
{
	return per_conc ? fb / (window > 0 ? window : 1) : fb;
}

int
qmgr_conc_limit(const struct qmgr_conc_params *p)
{
	return p->limit > 0 ? (int)p->limit : INT_MAX;
}

void
qmgr_conc_init(struct qmgr_conc *c, const struct qmgr_conc_params *p)
{
	int limit = qmgr_conc_limit(p);

	c->window = p->init < 1 ? 1 : (int)p->init;
	if (c->window > limit)
		c->window = limit;
	c->success = c->failure = c->fail_cohorts = 0;
}

void
qmgr_conc_success(struct qmgr_conc *c, const struct qmgr_conc_params *p)
{
	int limit = qmgr_conc_limit(p);
	double fb;

	/* A delivery that worked ends a run of failed cohorts. */
	c->fail_cohorts = 0;
	if (c->window >= limit) {
		c->window = limit;
		return;
	}
	fb = feedback_value(p->pos, p->pos_per_conc, c->window);
	c->success += fb;
	/* fb / 2: rounding errors must not cost a step. */
	while (c->success + fb / 2 >= 1 && c->window < limit) {
		c->window++;
		c->success -= 1;
		c->failure = 0;
	}
	if (c->window >= limit)
		c->success = 0;
}

int
qmgr_conc_failure(struct qmgr_conc *c, const struct qmgr_conc_params *p)
{
	double fb;

	if (c->window < 1)
		c->window = 1;
	c->fail_cohorts += 1.0 / c->window;
	if (p->cohort_limit > 0 && c->fail_cohorts + 1e-9 >= (double)p->cohort_limit)
		return 1;
	/* Negative feedback takes effect at once at the start of its cycle
	 * (failure 0), then once per whole step of feedback: with "1" every
	 * site failure costs one, with "1/concurrency" a window's worth. */
	fb = feedback_value(p->neg, p->neg_per_conc, c->window);
	c->failure -= fb;
	while (c->failure < -1e-9) {
		c->window--;
		c->success = 0;
		c->failure += 1;
	}
	if (c->window < 1)
		c->window = 1;
	return 0;
}

/* ---- delay warnings ---- */

int
qmgr_delay_warning_due(int64_t now, int64_t arrival, long delay_warning_time)
{
	/* 0 turns the feature off, as in Postfix. */
	return delay_warning_time > 0 && now - arrival >= delay_warning_time;
}
