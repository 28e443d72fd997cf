/*
 * tests/unit/test_anvil_table.c — anvil's counting logic: a labelled
 * script of events (connect, disconnect, message, rcpt at given times, by
 * given owners) with the expected answers; windows that end and start
 * again; an owner that goes away gives its counts back and nobody else's;
 * expiry and the table limit (eviction of idle idents, refusal when all
 * have connections); statistics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../anvil/anvil.h"

enum op { CONN, DISC, MSG, RCPT, DROP, PEEK };

struct step {
	const char *label;
	enum op	op;
	int	owner;			/* 0..2; DROP frees and renews it */
	const char *ident;
	time_t	now;
	long	want_count;		/* CONN, PEEK; -1 = absent (PEEK) */
	long	want_rate;		/* CONN: conn rate, MSG/RCPT: theirs,
					 * PEEK: conn rate */
};

#define A "smtpd:192.0.2.1"
#define B "smtpd:2001:db8::1"

/* Unit 60 s. */
static const struct step script[] = {
	{"first connect", CONN, 0, A, 100, 1, 1},
	{"second connect, same owner", CONN, 0, A, 101, 2, 2},
	{"third, other owner", CONN, 1, A, 102, 3, 3},
	{"other ident is separate", CONN, 0, B, 102, 1, 1},
	{"disconnect", DISC, 0, A, 103, 0, 0},
	{"peek after disconnect", PEEK, 0, A, 103, 2, 3},
	{"forged disconnect by owner 2 is ignored", DISC, 2, A, 104, 0, 0},
	{"peek unchanged", PEEK, 0, A, 104, 2, 3},
	{"message rate 1", MSG, 1, A, 105, 0, 1},
	{"message rate 2", MSG, 1, A, 106, 0, 2},
	{"rcpt rate 1", RCPT, 1, A, 106, 0, 1},
	{"rcpt rate 2", RCPT, 1, A, 107, 0, 2},
	{"rcpt rate 3", RCPT, 1, A, 159, 0, 3},
	/* The window started at 100; at 160 it has ended: all rates restart,
	 * the count stays. */
	{"new window: conn rate 1, count 3", CONN, 1, A, 160, 3, 1},
	{"new window: message rate 1", MSG, 1, A, 161, 0, 1},
	{"new window: rcpt rate 1", RCPT, 1, A, 161, 0, 1},
	/* Owner 1 goes away (its smtpd crashed): its 2 connections go. */
	{"owner 1 dropped", DROP, 1, NULL, 162, 0, 0},
	{"count is owner 0's only", PEEK, 0, A, 162, 1, 1},
	{"owner 0 disconnects", DISC, 0, A, 163, 0, 0},
	{"count 0, rates kept", PEEK, 0, A, 163, 0, 1},
	{"rates gone when window ends", PEEK, 0, A, 220, 0, 0},
	/* Idle since 163, unit 60: removed by any event from 223 on. */
	{"B still there (connected)", PEEK, 0, B, 300, 1, 0},
	{"any event expires idle A", MSG, 0, B, 300, 0, 1},
	{"A is gone", PEEK, 0, A, 300, -1, 0},
	{"A starts from scratch", CONN, 2, A, 301, 1, 1},
};

static void
test_script(void **state)
{
	struct anvil_table *t = anvil_table_new(60, 1000);
	struct anvil_owner *o[3];
	long	count, rate, cr, mr, rr;
	size_t	i;

	(void)state;
	for (i = 0; i < 3; i++)
		o[i] = anvil_owner_new(t);
	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		const struct step *s = &script[i];

		count = rate = -99;
		switch (s->op) {
		case CONN:
			assert_int_equal(anvil_table_connect(t, o[s->owner],
			    s->ident, s->now, &count, &rate), 0);
			break;
		case DISC:
			anvil_table_disconnect(t, o[s->owner], s->ident, s->now);
			continue;
		case MSG:
			assert_int_equal(anvil_table_message(t, s->ident, s->now,
			    &rate), 0);
			count = 0;
			break;
		case RCPT:
			assert_int_equal(anvil_table_rcpt(t, s->ident, s->now,
			    &rate), 0);
			count = 0;
			break;
		case DROP:
			anvil_owner_free(o[s->owner], s->now);
			o[s->owner] = anvil_owner_new(t);
			continue;
		case PEEK:
			if (anvil_table_peek(t, s->ident, s->now, &count, &cr,
			    &mr, &rr) < 0) {
				count = -1;
				rate = 0;
			} else
				rate = cr;
			break;
		}
		if (count != s->want_count || rate != s->want_rate)
			fail_msg("step %zu \"%s\": got count %ld rate %ld, want "
			    "%ld %ld", i, s->label, count, rate, s->want_count,
			    s->want_rate);
	}
	anvil_table_free(t);	/* frees the owners too */
}

/* Connections keep an ident alive however old it is; without them it goes
 * once its window has ended. */
static void
test_expire(void **state)
{
	struct anvil_table *t = anvil_table_new(10, 1000);
	struct anvil_owner *o = anvil_owner_new(t);
	long	c, r, x;

	(void)state;
	assert_int_equal(anvil_table_connect(t, o, "s:1", 0, &c, &r), 0);
	assert_int_equal(anvil_table_rcpt(t, "s:2", 0, &r), 0);
	assert_int_equal(anvil_table_size(t), 2);
	anvil_table_expire(t, 9);
	assert_int_equal(anvil_table_size(t), 2);
	anvil_table_expire(t, 10);
	assert_int_equal(anvil_table_size(t), 1);		/* s:2 went */
	anvil_table_expire(t, 1000);
	assert_int_equal(anvil_table_size(t), 1);		/* s:1 held */
	assert_int_equal(anvil_table_peek(t, "s:1", 1000, &c, &r, &x, &x), 0);
	assert_int_equal(c, 1);
	anvil_owner_free(o, 1000);
	anvil_table_expire(t, 1009);
	assert_int_equal(anvil_table_size(t), 1);
	anvil_table_expire(t, 1010);
	assert_int_equal(anvil_table_size(t), 0);
	anvil_table_free(t);
}

/* A full table evicts the least recently used ident without connections;
 * when all have connections a new ident is refused. */
static void
test_limit(void **state)
{
	struct anvil_table *t = anvil_table_new(60, 3);
	struct anvil_owner *o = anvil_owner_new(t);
	struct anvil_stats st;
	long	c, r, x;

	(void)state;
	assert_int_equal(anvil_table_rcpt(t, "s:idle1", 0, &r), 0);
	assert_int_equal(anvil_table_rcpt(t, "s:idle2", 1, &r), 0);
	assert_int_equal(anvil_table_rcpt(t, "s:idle1", 2, &r), 0);	/* touch */
	assert_int_equal(r, 2);
	assert_int_equal(anvil_table_connect(t, o, "s:busy", 3, &c, &r), 0);
	/* Full: a new ident evicts idle2 (least recently used). */
	assert_int_equal(anvil_table_connect(t, o, "s:new", 4, &c, &r), 0);
	assert_int_equal(anvil_table_size(t), 3);
	assert_int_equal(anvil_table_peek(t, "s:idle2", 4, &c, &x, &x, &x), -1);
	assert_int_equal(anvil_table_peek(t, "s:idle1", 4, &c, &x, &x, &r), 0);
	assert_int_equal(r, 2);
	/* Then idle1; then nothing is left to evict. */
	assert_int_equal(anvil_table_connect(t, o, "s:new2", 5, &c, &r), 0);
	assert_int_equal(anvil_table_connect(t, o, "s:new3", 6, &c, &r), -1);
	assert_int_equal(anvil_table_message(t, "s:new3", 6, &r), -1);
	assert_int_equal(anvil_table_size(t), 3);
	/* Known idents still count. */
	assert_int_equal(anvil_table_connect(t, o, "s:busy", 6, &c, &r), 0);
	assert_int_equal(c, 2);
	anvil_table_stats(t, &st);
	assert_int_equal(st.evicted, 2);
	assert_int_equal(st.max_size, 3);
	assert_int_equal(st.max_count, 2);
	assert_string_equal(st.max_count_ident, "s:busy");
	assert_int_equal(st.max_rcpt_rate, 2);
	assert_string_equal(st.max_rcpt_rate_ident, "s:idle1");
	anvil_table_stats(t, &st);
	assert_int_equal(st.evicted, 0);
	assert_int_equal(st.max_count, 0);
	/* An owner giving back frees room again. */
	anvil_owner_free(o, 7);
	anvil_table_expire(t, 67);
	assert_int_equal(anvil_table_size(t), 0);
	anvil_table_free(t);
}

/* Many idents and owners: the hash table grows, every count is right, and
 * dropping the owners returns everything. */
static void
test_many(void **state)
{
	struct anvil_table *t = anvil_table_new(60, 100000);
	struct anvil_owner *o[4];
	char	ident[64];
	long	c, r, x;
	int	i, k;

	(void)state;
	for (k = 0; k < 4; k++)
		o[k] = anvil_owner_new(t);
	for (i = 0; i < 5000; i++) {
		snprintf(ident, sizeof(ident), "smtpd:10.0.%d.%d", i / 256, i % 256);
		for (k = 0; k <= i % 4; k++)
			assert_int_equal(anvil_table_connect(t, o[k], ident, 0,
			    &c, &r), 0);
		assert_int_equal(c, i % 4 + 1);
	}
	assert_int_equal(anvil_table_size(t), 5000);
	for (i = 0; i < 5000; i += 7) {
		snprintf(ident, sizeof(ident), "smtpd:10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(anvil_table_peek(t, ident, 1, &c, &r, &x, &x), 0);
		assert_int_equal(c, i % 4 + 1);
		assert_int_equal(r, i % 4 + 1);
	}
	anvil_owner_free(o[0], 2);
	snprintf(ident, sizeof(ident), "smtpd:10.0.0.3");
	assert_int_equal(anvil_table_peek(t, ident, 2, &c, &r, &x, &x), 0);
	assert_int_equal(c, 3);
	for (k = 1; k < 4; k++)
		anvil_owner_free(o[k], 2);
	anvil_table_expire(t, 62);
	assert_int_equal(anvil_table_size(t), 0);
	anvil_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_script),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_many),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
