/*
 * tests/unit/test_local_mbox.c — mbox delivery: the From_ line, headers,
 * ">From " quoting (also across a content chunk boundary), the closing
 * blank line, appending, and locking: a fresh dot-lock or an fcntl lock
 * held on another descriptor defers the delivery and leaves the mailbox
 * as it was; a stale dot-lock is removed.  Symlinks are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <utime.h>
#include <cmocka.h>

#include "../../local-delivery/local.h"
#include "ipc_names.h"
#include "local_test_msg.h"
#include "mail_params.h"

static char root[] = "/tmp/test_local_mbox.XXXXXX";
static char qdir[4096];

static int
setup(void **state)
{
	struct strbuf err;

	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(qdir, sizeof(qdir), "%s/queue", root);
	strbuf_init(&err, 1024);
	if (mkdir(qdir, 0700) < 0 || qfile_make_dirs(qdir, &err) < 0)
		return -1;
	strbuf_release(&err);
	var_queue_dir = qdir;
	var_deliver_lock_attempts = 1;
	var_deliver_lock_delay = 0;
	var_stale_lock_time = 500;
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
mailbox_at(struct local_mailbox *mb, const char *name)
{
	memset(mb, 0, sizeof(*mb));
	mb->kind = LOCAL_MBOX;
	snprintf(mb->path, sizeof(mb->path), "%s/%s", root, name);
	mb->uid = getuid();
	mb->gid = getgid();
}

static void
deliver(const char *sender, const char *const *body, const struct local_mailbox *mb,
    struct local_result *res)
{
	static const char *const rcpts[] = { "u@localhost", NULL };
	struct test_msg t;
	struct local_msg msg;

	test_msg_make(&t, qdir, sender, rcpts, body);
	msg.fd = t.fd;
	msg.env = t.env;
	msg.sender = t.env->sender;
	local_mbox_deliver(&msg, mb, "u@localhost", res);
	test_msg_free(&t);
}

static void
test_format_and_quoting(void **state)
{
	static const char *const body[] = {
		"Subject: s\n\nFrom here on\nbody\nFrom\nFromage\n>From x\n From y\nlast",
		NULL };
	static const char *const body2[] = { "Subject: two\n\nFrom again\n", NULL };
	struct local_mailbox mb;
	struct local_result res;
	struct stat st;
	char *text, *p, lock[4200];

	(void)state;
	mailbox_at(&mb, "mbox1");
	local_result_init(&res);
	deliver("a@example.org", body, &mb, &res);
	if (res.result != DELIVER_OK)
		fail_msg("%d %s %s", res.result, res.dsn, res.text.data);
	assert_string_equal(res.text.data, "delivered to mailbox");
	assert_int_equal(stat(mb.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = test_read_file(mb.path);
	assert_true(strncmp(text, "From a@example.org ", 19) == 0);
	p = strchr(text, '\n');
	assert_non_null(p);
	/* asctime-style date: "Tue Nov 24 05:22:29 2026" */
	assert_int_equal(p - (text + 19), 24);
	assert_string_equal(p + 1, "Return-Path: <a@example.org>\n"
	    "Delivered-To: u@localhost\n"
	    "Subject: s\n\n>From here on\nbody\nFrom\nFromage\n>From x\n From y\nlast\n\n");
	free(text);

	/* The null sender is MAILER-DAEMON; a second message is appended. */
	deliver("", body2, &mb, &res);
	assert_int_equal(res.result, DELIVER_OK);
	text = test_read_file(mb.path);
	p = strstr(text, "\n\nFrom MAILER-DAEMON ");
	assert_non_null(p);
	assert_non_null(strstr(p, "Return-Path: <>\n"));
	assert_non_null(strstr(p, "\n\n>From again\n\n"));
	free(text);
	/* The dot-lock is gone. */
	snprintf(lock, sizeof(lock), "%s.lock", mb.path);
	assert_int_equal(stat(lock, &st), -1);
	local_result_release(&res);
}

static void
test_quote_across_chunks(void **state)
{
	/* "From " starts two bytes before the 64 KiB content chunk boundary. */
	size_t fill = QFILE_CHUNK - 3;
	char *first = malloc(fill + 4), *text, *want;
	const char *body[] = { first, "om split\nend\n", NULL };
	struct local_mailbox mb;
	struct local_result res;

	(void)state;
	memset(first, 'x', fill);
	memcpy(first + fill, "\nFr", 4);
	mailbox_at(&mb, "mbox2");
	local_result_init(&res);
	deliver("a@example.org", body, &mb, &res);
	assert_int_equal(res.result, DELIVER_OK);
	text = test_read_file(mb.path);
	want = strstr(text, "\n>From split\nend\n\n");
	assert_non_null(want);
	assert_string_equal(want, "\n>From split\nend\n\n");
	free(text);
	free(first);
	local_result_release(&res);
}

static void
test_locks_defer(void **state)
{
	static const char *const body[] = { "Subject: s\n\nx\n", NULL };
	struct local_mailbox mb;
	struct local_result res;
	struct flock fl;
	struct stat st;
	char lock[4200], *before, *after;
	struct utimbuf old;
	int fd;

	(void)state;
	mailbox_at(&mb, "mbox3");
	local_result_init(&res);
	deliver("a@example.org", body, &mb, &res);
	assert_int_equal(res.result, DELIVER_OK);
	before = test_read_file(mb.path);

	/* A fresh dot-lock held by someone else. */
	snprintf(lock, sizeof(lock), "%s.lock", mb.path);
	fd = open(lock, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	deliver("a@example.org", body, &mb, &res);
	assert_int_equal(res.result, DELIVER_DEFER);
	assert_non_null(strstr(res.text.data, "lock"));
	assert_int_equal(stat(lock, &st), 0);	/* not ours to remove */

	/* The same lock, stale: removed, and the delivery goes through. */
	old.actime = old.modtime = time(NULL) - 1000;
	assert_int_equal(utime(lock, &old), 0);
	var_deliver_lock_attempts = 2;
	deliver("a@example.org", body, &mb, &res);
	var_deliver_lock_attempts = 1;
	assert_int_equal(res.result, DELIVER_OK);
	assert_int_equal(stat(lock, &st), -1);
	free(before);
	before = test_read_file(mb.path);

	/* An fcntl lock held on another descriptor (a mail reader). */
	fd = open(mb.path, O_RDWR);
	assert_true(fd >= 0);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	assert_int_equal(fcntl(fd, F_SETLK, &fl), 0);
	deliver("a@example.org", body, &mb, &res);
	assert_int_equal(res.result, DELIVER_DEFER);
	assert_non_null(strstr(res.text.data, "cannot lock mailbox"));
	after = test_read_file(mb.path);
	assert_string_equal(before, after);
	close(fd);
	assert_int_equal(stat(lock, &st), -1);
	free(before);
	free(after);
	local_result_release(&res);
}

static void
test_symlink_refused(void **state)
{
	static const char *const body[] = { "Subject: s\n\nx\n", NULL };
	struct local_mailbox mb;
	struct local_result res;
	char target[4200], *text;
	int fd;

	(void)state;
	snprintf(target, sizeof(target), "%s/target", root);
	fd = open(target, O_WRONLY | O_CREAT, 0600);
	close(fd);
	mailbox_at(&mb, "link");
	assert_int_equal(symlink(target, mb.path), 0);
	local_result_init(&res);
	deliver("a@example.org", body, &mb, &res);
	assert_int_equal(res.result, DELIVER_DEFER);
	text = test_read_file(target);
	assert_string_equal(text, "");
	free(text);
	local_result_release(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_quoting),
		cmocka_unit_test(test_quote_across_chunks),
		cmocka_unit_test(test_locks_defer),
		cmocka_unit_test(test_symlink_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
