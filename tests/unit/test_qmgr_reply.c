/*
 * tests/unit/test_qmgr_reply.c — how qmgr reads a delivery agent's reply:
 * per-recipient results in order, dsn codes checked against the result
 * class, and anything missing or malformed turned into a deferral (the
 * agent is untrusted; a recipient is never marked done by accident), and
 * the site-failure signal (IPC_ATTR_SITE_FAIL) that alone counts against
 * a destination.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmgr/qmgr.h"
#include "ipc_names.h"

static void
free_results(struct qmgr_result *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].text);
}

static void
test_good_reply(void **state)
{
	struct ipc_msg *m = ipc_msg_new();
	struct qmgr_result r[3];

	(void)state;
	ipc_put_int(m, IPC_ATTR_STATUS, 0);
	ipc_put_int(m, IPC_ATTR_RESULT, DELIVER_OK);
	ipc_put_str(m, IPC_ATTR_DSN, "2.0.0");
	ipc_put_str(m, IPC_ATTR_TEXT, "delivered to maildir");
	ipc_put_int(m, IPC_ATTR_RESULT, DELIVER_BOUNCE);
	ipc_put_str(m, IPC_ATTR_DSN, "5.1.1");
	ipc_put_str(m, IPC_ATTR_TEXT, "unknown user: \"x\"");
	ipc_put_int(m, IPC_ATTR_RESULT, DELIVER_DEFER);
	ipc_put_str(m, IPC_ATTR_DSN, "4.2.2");
	ipc_put_str(m, IPC_ATTR_TEXT, "maildir delivery failed: quota\nexceeded");
	qmgr_reply_parse(m, 3, "local", r);
	assert_int_equal(r[0].result, DELIVER_OK);
	assert_string_equal(r[0].dsn, "2.0.0");
	assert_string_equal(r[0].text, "delivered to maildir");
	assert_int_equal(r[1].result, DELIVER_BOUNCE);
	assert_string_equal(r[1].dsn, "5.1.1");
	assert_int_equal(r[2].result, DELIVER_DEFER);
	assert_string_equal(r[2].dsn, "4.2.2");
	/* Texts go into log lines and bounces: no newline survives. */
	assert_string_equal(r[2].text, "maildir delivery failed: quota exceeded");
	free_results(r, 3);
	ipc_msg_free(m);
}

static void
test_malformed_replies(void **state)
{
	struct ipc_msg *m;
	struct qmgr_result r[2];

	(void)state;
	/* No status at all: everything deferred. */
	m = ipc_msg_new();
	ipc_put_int(m, IPC_ATTR_RESULT, DELIVER_OK);
	qmgr_reply_parse(m, 1, "local", r);
	assert_int_equal(r[0].result, DELIVER_DEFER);
	assert_non_null(strstr(r[0].text, "malformed reply from local"));
	free_results(r, 1);
	ipc_msg_free(m);

	/* One result for two recipients: the second is deferred. */
	m = ipc_msg_new();
	ipc_put_int(m, IPC_ATTR_STATUS, 0);
	ipc_put_int(m, IPC_ATTR_RESULT, DELIVER_OK);
	qmgr_reply_parse(m, 2, "local", r);
	assert_int_equal(r[0].result, DELIVER_OK);
	assert_string_equal(r[0].dsn, "2.0.0");
	assert_int_equal(r[1].result, DELIVER_DEFER);
	free_results(r, 2);
	ipc_msg_free(m);

	/* A result code that does not exist, and a result as a string. */
	m = ipc_msg_new();
	ipc_put_int(m, IPC_ATTR_STATUS, 0);
	ipc_put_int(m, IPC_ATTR_RESULT, 2);
	qmgr_reply_parse(m, 1, "local", r);
	assert_int_equal(r[0].result, DELIVER_DEFER);
	free_results(r, 1);
	ipc_msg_free(m);
	m = ipc_msg_new();
	ipc_put_int(m, IPC_ATTR_STATUS, 0);
	ipc_put_str(m, IPC_ATTR_RESULT, "0");
	qmgr_reply_parse(m, 1, "local", r);
	assert_int_equal(r[0].result, DELIVER_DEFER);
	free_results(r, 1);
	ipc_msg_free(m);

	/* A dsn of the wrong class is replaced: a "2.0.0" bounce is 5.0.0. */
	m = ipc_msg_new();
	ipc_put_int(m, IPC_ATTR_STATUS, 0);
	ipc_put_int(m, IPC_ATTR_RESULT, DELIVER_BOUNCE);
	ipc_put_str(m, IPC_ATTR_DSN, "2.0.0");
	ipc_put_int(m, IPC_ATTR_RESULT, DELIVER_DEFER);
	ipc_put_str(m, IPC_ATTR_DSN, "garbage");
	qmgr_reply_parse(m, 2, "local", r);
	assert_string_equal(r[0].dsn, "5.0.0");
	assert_string_equal(r[1].dsn, "4.0.0");
	free_results(r, 2);
	ipc_msg_free(m);
}

static void
test_refused_request(void **state)
{
	struct ipc_msg *m = ipc_msg_new();
	struct qmgr_result r[2];

	(void)state;
	ipc_put_int(m, IPC_ATTR_STATUS, DELIVER_DEFER);
	ipc_put_str(m, IPC_ATTR_TEXT, "recipient 0 does not match the queue file");
	/* A refusal wins over any per-recipient result it carries. */
	ipc_put_int(m, IPC_ATTR_RESULT, DELIVER_OK);
	qmgr_reply_parse(m, 2, "local", r);
	assert_int_equal(r[0].result, DELIVER_DEFER);
	assert_int_equal(r[1].result, DELIVER_DEFER);
	assert_string_equal(r[1].text, "recipient 0 does not match the queue file");
	free_results(r, 2);
	ipc_msg_free(m);
}

static void
test_site_fail(void **state)
{
	static const struct {
		const char *label;
		int put;		/* 0 none, 1 int, 2 string */
		int64_t value;
		int want;
	} cases[] = {
		{ "absent: per-recipient 4xx only", 0, 0, 0 },
		{ "site_fail=1", 1, 1, 1 },
		{ "site_fail=0", 1, 0, 0 },
		{ "a string is not the int attribute", 2, 1, 0 },
	};
	struct qmgr_result r[1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ipc_msg *m = ipc_msg_new();

		ipc_put_int(m, IPC_ATTR_STATUS, 0);
		ipc_put_int(m, IPC_ATTR_RESULT, DELIVER_DEFER);
		ipc_put_str(m, IPC_ATTR_DSN, "4.4.1");
		ipc_put_str(m, IPC_ATTR_TEXT, "connect to x[192.0.2.1]:25: "
		    "Connection refused");
		if (cases[i].put == 1)
			ipc_put_int(m, IPC_ATTR_SITE_FAIL, cases[i].value);
		else if (cases[i].put == 2)
			ipc_put_str(m, IPC_ATTR_SITE_FAIL, "1");
		if (qmgr_reply_site_fail(m) != cases[i].want)
			fail_msg("%s: want %d", cases[i].label, cases[i].want);
		/* The per-recipient result is the same either way. */
		qmgr_reply_parse(m, 1, "smtp", r);
		assert_int_equal(r[0].result, DELIVER_DEFER);
		assert_string_equal(r[0].dsn, "4.4.1");
		free_results(r, 1);
		ipc_msg_free(m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_reply),
		cmocka_unit_test(test_malformed_replies),
		cmocka_unit_test(test_refused_request),
		cmocka_unit_test(test_site_fail),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
