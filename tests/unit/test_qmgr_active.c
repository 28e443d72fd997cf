/*
 * tests/unit/test_qmgr_active.c — the end of a delivery attempt, without
 * agents: a remote recipient (default_transport = retry:) is deferred, the file
 * goes to deferred/ with its mtime at the next retry and a defer log; an
 * expired message whose bounce cannot be queued stays deferred; an expired
 * null-sender message is dropped; a finished one is removed; a corrupt one
 * goes to corrupt/; the scan takes incoming/ and due deferred/ files, and
 * a local recipient whose agent is not there is deferred.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <utime.h>
#include <cmocka.h>

#include "../../qmgr/qmgr.h"
#include "ipc_names.h"
#include "local_test_msg.h"
#include "mail_params.h"

static char root[] = "/tmp/test_qmgr_active.XXXXXX";

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
	var_myhostname = "host.example";
	var_mydestination = "host.example, localhost";
	var_local_transport = "local";
	/* No agents here: remote mail goes to the retry transport. */
	var_default_transport = "retry:remote delivery is off in this test";
	var_min_backoff_time = 300;
	var_max_backoff_time = 4000;
	var_queue_run_delay = 300;
	var_max_queue_lifetime = 5 * 86400;
	var_bounce_queue_lifetime = 5 * 86400;
	var_qmgr_active_limit = 100;
	var_local_rcpt_limit = 1;
	var_local_dest_conc_limit = 2;
	var_default_process_limit = 10;
	var_ipc_frame_limit = 1 << 20;
	var_ipc_timeout = 10;
	var_header_size_limit = 102400;
	qmgr_transport_init();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_rm_rf(root);
	return 0;
}

static int
exists(const char *subdir, const char *id, struct stat *st)
{
	char path[4200];
	struct stat tmp;

	qfile_path(path, sizeof(path), root, subdir, id);
	return stat(path, st ? st : &tmp) == 0;
}

struct reasons {
	int	n;
	char	last[512];
};

static int
collect(const char *rcpt, const char *reason, void *ctx)
{
	struct reasons *r = ctx;

	(void)rcpt;
	r->n++;
	snprintf(r->last, sizeof(r->last), "%s", reason);
	return 0;
}

static void
queue_one(struct test_msg *t, const char *subdir, const char *sender,
    const char *rcpt, int64_t age)
{
	const char *rcpts[] = { rcpt, NULL };
	static const char *const body[] = { "Subject: t\n\nbody\n", NULL };

	test_msg_arrival = (int64_t)time(NULL) - age;
	test_msg_make_in(t, root, subdir, sender, rcpts, body);
	/* qmgr opens its own descriptor. */
	qfile_env_free(t->env);
	close(t->fd);
}

static void
test_remote_is_deferred(void **state)
{
	struct test_msg t;
	struct stat st;
	struct reasons r = { 0, "" };
	struct strbuf why;
	time_t now = time(NULL);

	(void)state;
	queue_one(&t, QDIR_ACTIVE, "a@example.org", "x@remote.example", 0);
	qmgr_active_open(t.id);
	assert_int_equal(qmgr_active_count(), 0);
	assert_false(exists(QDIR_ACTIVE, t.id, NULL));
	assert_true(exists(QDIR_DEFERRED, t.id, &st));
	/* mtime = the next retry: now + minimal_backoff_time. */
	assert_true(st.st_mtime >= now + 300 && st.st_mtime <= now + 305);
	strbuf_init(&why, 1024);
	assert_int_equal(qmgr_deferlog_read(root, t.id, collect, &r, &why), 0);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.last, "remote delivery is off in this test");
	strbuf_release(&why);
}

static void
test_expired_bounce_not_queued_stays_deferred(void **state)
{
	struct test_msg t;
	struct stat st;
	time_t now = time(NULL);
	struct reasons r = { 0, "" };
	struct strbuf why;

	(void)state;
	/* Six days old; there is no cleanup to take the bounce. */
	queue_one(&t, QDIR_ACTIVE, "a@example.org", "x@remote.example", 6 * 86400);
	qmgr_active_open(t.id);
	assert_true(exists(QDIR_DEFERRED, t.id, &st));
	assert_true(st.st_mtime >= now + 4000 && st.st_mtime <= now + 4005);
	strbuf_init(&why, 1024);
	assert_int_equal(qmgr_deferlog_read(root, t.id, collect, &r, &why), 0);
	assert_true(r.n >= 1);
	strbuf_release(&why);
}

static void
test_expired_null_sender_dropped(void **state)
{
	struct test_msg t;

	(void)state;
	queue_one(&t, QDIR_ACTIVE, "", "x@remote.example", 6 * 86400);
	qmgr_active_open(t.id);
	assert_false(exists(QDIR_ACTIVE, t.id, NULL));
	assert_false(exists(QDIR_DEFERRED, t.id, NULL));
	assert_false(exists(QDIR_DEFER_LOG, t.id, NULL));
}

static void
test_done_message_removed(void **state)
{
	static const char *const rcpts[] = { "x@remote.example", NULL };
	static const char *const body[] = { "Subject: t\n\nbody\n", NULL };
	struct test_msg t;

	(void)state;
	test_msg_arrival = (int64_t)time(NULL);
	test_msg_make(&t, root, "a@example.org", rcpts, body);
	assert_int_equal(qfile_mark_rcpt(t.fd, &t.env->rcpts[0], QF_RCPT_DONE), 0);
	test_msg_free(&t);
	qmgr_active_open(t.id);
	assert_false(exists(QDIR_ACTIVE, t.id, NULL));
	assert_false(exists(QDIR_DEFERRED, t.id, NULL));
}

static void
test_corrupt_moved(void **state)
{
	const char *id = "00000001000000000";
	char path[4200];
	int fd;

	(void)state;
	qfile_path(path, sizeof(path), root, QDIR_ACTIVE, id);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage", 7), 7);
	close(fd);
	qmgr_active_open(id);
	assert_false(exists(QDIR_ACTIVE, id, NULL));
	assert_true(exists(QDIR_CORRUPT, id, NULL));
}

static void
test_scan_incoming_and_due_deferred(void **state)
{
	struct test_msg in, due, later, local;
	struct utimbuf ut;
	char path[4200], tmp[4200];
	struct stat st;
	int fd;

	(void)state;
	queue_one(&in, QDIR_INCOMING, "a@example.org", "x@remote.example", 0);
	queue_one(&local, QDIR_INCOMING, "a@example.org", "bob@localhost", 0);
	queue_one(&due, QDIR_DEFERRED, "a@example.org", "x@remote.example", 0);
	queue_one(&later, QDIR_DEFERRED, "a@example.org", "x@remote.example", 0);
	qfile_path(path, sizeof(path), root, QDIR_DEFERRED, due.id);
	ut.actime = ut.modtime = time(NULL) - 10;
	assert_int_equal(utime(path, &ut), 0);
	qfile_path(path, sizeof(path), root, QDIR_DEFERRED, later.id);
	ut.actime = ut.modtime = time(NULL) + 1000;
	assert_int_equal(utime(path, &ut), 0);
	/* A temporary file of a writer is not a message. */
	snprintf(tmp, sizeof(tmp), "%s/%s/t.123.1", root, QDIR_INCOMING);
	fd = open(tmp, O_WRONLY | O_CREAT, 0600);
	close(fd);

	qmgr_scan_trigger();
	assert_int_equal(qmgr_active_count(), 0);
	assert_false(exists(QDIR_INCOMING, in.id, NULL));
	assert_true(exists(QDIR_DEFERRED, in.id, NULL));
	/* The local agent is not running: deferred, not lost. */
	assert_true(exists(QDIR_DEFERRED, local.id, NULL));
	/* Retried: its retry time moved into the future. */
	assert_true(exists(QDIR_DEFERRED, due.id, &st));
	assert_true(st.st_mtime > time(NULL));
	/* Not due: untouched. */
	assert_true(exists(QDIR_DEFERRED, later.id, &st));
	assert_true(st.st_mtime >= time(NULL) + 900);
	assert_int_equal(stat(tmp, &st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remote_is_deferred),
		cmocka_unit_test(test_expired_bounce_not_queued_stays_deferred),
		cmocka_unit_test(test_expired_null_sender_dropped),
		cmocka_unit_test(test_done_message_removed),
		cmocka_unit_test(test_corrupt_moved),
		cmocka_unit_test(test_scan_incoming_and_due_deferred),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
