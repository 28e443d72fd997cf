/*
 * qmgr/qmgr_schedule.c — retry and expiry arithmetic of the queue manager.
 *
 * Pure functions used by qmgr_active.c when an attempt ends with deferred
 * recipients, and by the log lines.  The back-off is Postfix's: the wait
 * before the next attempt is the message's age clamped to
 * [minimal_backoff_time, maximal_backoff_time], so it doubles from one
 * attempt to the next until it reaches the maximum.  No errors, no I/O.
 */
#include <stdio.h>
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
