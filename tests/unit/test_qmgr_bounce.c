/*
 * tests/unit/test_qmgr_bounce.c — the bounce qmgr composes for a real
 * queue file: the original header block (and nothing of the body) is
 * returned, every bounced recipient is reported with its status and
 * reason, and the report goes to the original sender.  A "delayed mail"
 * notice is the same report with Action: delayed, Will-Retry-Until and
 * Postfix's warning text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "../../qmgr/qmgr.h"
#include "ipc_names.h"
#include "local_test_msg.h"
#include "mail_params.h"

static char root[] = "/tmp/test_qmgr_bounce.XXXXXX";

static int
setup(void **state)
{
	struct strbuf err;

	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	strbuf_init(&err, 1024);
	if (qfile_make_dirs(root, &err) < 0)
		return -1;
	strbuf_release(&err);
	var_queue_dir = root;
	var_myhostname = "mx.example.net";
	var_header_size_limit = 102400;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_rm_rf(root);
	return 0;
}

static void
test_compose_from_queue_file(void **state)
{
	static const char *const rcpts[] = { "ok@localhost", "nobody@localhost",
	    "gone@localhost", NULL };
	static const char *const body[] = { "From: alice@example.org\nSubj",
	    "ect: will bounce\n\nsecret body text\n", NULL };
	struct qmgr_rstat rs[3];
	struct qmgr_message m;
	struct test_msg t;
	struct strbuf out, err;
	size_t idx[2] = { 1, 2 };

	(void)state;
	test_msg_make(&t, root, "alice@example.org", rcpts, body);
	memset(&m, 0, sizeof(m));
	memset(rs, 0, sizeof(rs));
	strcpy(m.id, t.id);
	m.fd = t.fd;
	m.env = t.env;
	m.rs = rs;
	rs[0].state = QR_SENT;
	rs[1].state = QR_BOUNCE;
	strcpy(rs[1].dsn, "5.1.1");
	rs[1].text = "unknown user: \"nobody\"";
	rs[2].state = QR_BOUNCE;
	strcpy(rs[2].dsn, "4.4.1");
	rs[2].text = "connection timed out";
	strbuf_init(&out, 1 << 20);
	strbuf_init(&err, 1024);
	assert_int_equal(qmgr_bounce_compose(&m, idx, 2, 0, 1700000100, &out, &err), 0);
	assert_non_null(strstr(out.data, "To: alice@example.org\n"));
	assert_non_null(strstr(out.data, "Final-Recipient: rfc822; nobody@localhost\n"
	    "Action: failed\nStatus: 5.1.1\n"));
	assert_non_null(strstr(out.data, "Final-Recipient: rfc822; gone@localhost\n"
	    "Action: failed\nStatus: 4.4.1\n"));
	assert_null(strstr(out.data, "ok@localhost"));
	assert_non_null(strstr(out.data, "Content-Type: text/rfc822-headers\n\n"
	    "From: alice@example.org\nSubject: will bounce\n\n--"));
	assert_null(strstr(out.data, "secret body text"));
	assert_non_null(strstr(out.data, "X-Tegami-Queue-ID: "));
	assert_non_null(strstr(out.data, t.id));
	strbuf_release(&out);
	strbuf_release(&err);
	test_msg_free(&t);
}

static void
test_message_without_headers(void **state)
{
	static const char *const rcpts[] = { "x@localhost", NULL };
	static const char *const body[] = { "\nonly a body\n", NULL };
	struct qmgr_rstat rs[1];
	struct qmgr_message m;
	struct test_msg t;
	struct strbuf out, err;
	size_t idx[1] = { 0 };

	(void)state;
	test_msg_make(&t, root, "alice@example.org", rcpts, body);
	memset(&m, 0, sizeof(m));
	memset(rs, 0, sizeof(rs));
	strcpy(m.id, t.id);
	m.fd = t.fd;
	m.env = t.env;
	m.rs = rs;
	rs[0].state = QR_BOUNCE;
	strcpy(rs[0].dsn, "5.1.1");
	strbuf_init(&out, 1 << 20);
	strbuf_init(&err, 1024);
	assert_int_equal(qmgr_bounce_compose(&m, idx, 1, 0, 1700000100, &out, &err), 0);
	assert_null(strstr(out.data, "only a body"));
	assert_non_null(strstr(out.data, "Content-Type: text/rfc822-headers\n\n\n--"));
	strbuf_release(&out);
	strbuf_release(&err);
	test_msg_free(&t);
}

static void
test_delay_notice(void **state)
{
	static const char *const rcpts[] = { "done@remote.example",
	    "late@remote.example", NULL };
	static const char *const body[] = { "From: alice@example.org\n"
	    "Subject: slow\n\nbody text\n", NULL };
	struct qmgr_rstat rs[2];
	struct qmgr_message m;
	struct test_msg t;
	struct strbuf out, err;
	size_t idx[1] = { 1 };
	long saved = var_max_queue_lifetime;

	(void)state;
	test_msg_make(&t, root, "alice@example.org", rcpts, body);
	memset(&m, 0, sizeof(m));
	memset(rs, 0, sizeof(rs));
	strcpy(m.id, t.id);
	m.fd = t.fd;
	m.env = t.env;
	m.rs = rs;
	rs[0].state = QR_SENT;
	rs[1].state = QR_DEFER;
	strcpy(rs[1].dsn, "4.4.1");
	rs[1].text = "connect to 192.0.2.1[192.0.2.1]:25: Connection refused";
	var_max_queue_lifetime = 5 * 86400;
	strbuf_init(&out, 1 << 20);
	strbuf_init(&err, 1024);
	assert_int_equal(qmgr_bounce_compose(&m, idx, 1, 1,
	    m.env->arrival + 4 * 3600 + 5, &out, &err), 0);
	assert_non_null(strstr(out.data,
	    "Subject: Delayed Mail (still being retried)\n"));
	assert_null(strstr(out.data, "Undelivered Mail Returned"));
	assert_non_null(strstr(out.data, "To: alice@example.org\n"));
	assert_non_null(strstr(out.data, "THIS IS A WARNING ONLY"));
	assert_non_null(strstr(out.data, "for more than 4 hour(s)"));
	assert_non_null(strstr(out.data, "Final-Recipient: rfc822; "
	    "late@remote.example\nAction: delayed\nStatus: 4.4.1\n"
	    "Will-Retry-Until: "));
	assert_non_null(strstr(out.data, "Connection refused"));
	/* Only the recipients it names; the delivered one is not there. */
	assert_null(strstr(out.data, "done@remote.example"));
	assert_null(strstr(out.data, "Action: failed"));
	assert_null(strstr(out.data, "body text"));
	var_max_queue_lifetime = saved;
	strbuf_release(&out);
	strbuf_release(&err);
	test_msg_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compose_from_queue_file),
		cmocka_unit_test(test_message_without_headers),
		cmocka_unit_test(test_delay_notice),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
