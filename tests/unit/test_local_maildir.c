/*
 * tests/unit/test_local_maildir.c — Maildir delivery into a temporary
 * instance mailbox base: the message appears in new/ with Return-Path and
 * Delivered-To, tmp/ is left empty, unsafe local parts bounce without
 * touching the disk, and a failing rename defers and cleans up tmp/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "../../local-delivery/local.h"
#include "ipc_names.h"
#include "local_test_msg.h"
#include "mail_params.h"

static char root[] = "/tmp/test_local_maildir.XXXXXX";
static char qdir[4096], base[4096];

static int
setup(void **state)
{
	struct strbuf err;

	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(qdir, sizeof(qdir), "%s/queue", root);
	snprintf(base, sizeof(base), "%s/mail", root);
	strbuf_init(&err, 1024);
	if (mkdir(qdir, 0700) < 0 || qfile_make_dirs(qdir, &err) < 0 ||
	    mkdir(base, 0700) < 0)
		return -1;
	strbuf_release(&err);
	var_queue_dir = qdir;
	var_instance_mailbox_base = base;
	var_recipient_delimiter = "+";
	/* As root, instance mailboxes are written as mail_owner. */
	var_mail_owner = "root";
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_rm_rf(root);
	return 0;
}

/* Names in DIR (not . and ..); returns the count, first name in first. */
static int
list_dir(const char *dir, char *first, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n++ == 0 && first)
			snprintf(first, size, "%s", de->d_name);
	}
	closedir(d);
	return n;
}

static void
test_deliver_to_new(void **state)
{
	static const char *const rcpts[] = { "Bob+lists@localhost", NULL };
	static const char *const body[] = { "Subject: hi\n", "\nFrom the body\nend\n", NULL };
	struct test_msg t;
	struct local_msg msg;
	struct local_result res;
	char dir[4200], name[512], path[4800], *text;
	struct stat st;

	(void)state;
	test_msg_make(&t, qdir, "a@example.org", rcpts, body);
	msg.fd = t.fd;
	msg.env = t.env;
	msg.sender = t.env->sender;
	local_result_init(&res);
	local_deliver_rcpt(&msg, "Bob+lists@localhost", &res);
	if (res.result != DELIVER_OK)
		fail_msg("result %d %s %s", res.result, res.dsn, res.text.data);
	assert_string_equal(res.dsn, "2.0.0");
	assert_string_equal(res.text.data, "delivered to maildir");

	/* Lower-cased, extension stripped: BASE/bob/Maildir/. */
	snprintf(dir, sizeof(dir), "%s/bob/Maildir/new", base);
	assert_int_equal(list_dir(dir, name, sizeof(name)), 1);
	snprintf(dir, sizeof(dir), "%s/bob/Maildir/tmp", base);
	assert_int_equal(list_dir(dir, NULL, 0), 0);
	snprintf(dir, sizeof(dir), "%s/bob/Maildir/cur", base);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	/* TIME.M<usec>P<pid>Q<n>.HOST */
	assert_non_null(strstr(name, ".M"));
	assert_non_null(strstr(name, "P"));
	assert_non_null(strstr(name, "Q"));

	snprintf(path, sizeof(path), "%s/bob/Maildir/new/%s", base, name);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = test_read_file(path);
	assert_string_equal(text, "Return-Path: <a@example.org>\n"
	    "Delivered-To: Bob+lists@localhost\n"
	    "Subject: hi\n\nFrom the body\nend\n");
	free(text);

	/* A second delivery gets a second, different file. */
	local_deliver_rcpt(&msg, "bob@localhost", &res);
	assert_int_equal(res.result, DELIVER_OK);
	snprintf(dir, sizeof(dir), "%s/bob/Maildir/new", base);
	assert_int_equal(list_dir(dir, NULL, 0), 2);
	local_result_release(&res);
	test_msg_free(&t);
}

static void
test_null_sender_and_missing_newline(void **state)
{
	static const char *const rcpts[] = { "carol@localhost", NULL };
	static const char *const body[] = { "Subject: x\n\nno newline", NULL };
	struct test_msg t;
	struct local_msg msg;
	struct local_result res;
	char dir[4200], name[512], path[4800], *text;

	(void)state;
	test_msg_make(&t, qdir, "", rcpts, body);
	msg.fd = t.fd;
	msg.env = t.env;
	msg.sender = t.env->sender;
	local_result_init(&res);
	local_deliver_rcpt(&msg, "carol@localhost", &res);
	assert_int_equal(res.result, DELIVER_OK);
	snprintf(dir, sizeof(dir), "%s/carol/Maildir/new", base);
	assert_int_equal(list_dir(dir, name, sizeof(name)), 1);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = test_read_file(path);
	assert_string_equal(text, "Return-Path: <>\nDelivered-To: carol@localhost\n"
	    "Subject: x\n\nno newline\n");
	free(text);
	local_result_release(&res);
	test_msg_free(&t);
}

static void
test_unsafe_local_part_bounces(void **state)
{
	static const char *const rcpts[] = { "x@localhost", NULL };
	static const char *const body[] = { "Subject: x\n\nbody\n", NULL };
	static const char *const bad[] = {
		".hidden@localhost", "..@localhost", "\"a/b\"@localhost",
		"\"a b\"@localhost",
	};
	struct test_msg t;
	struct local_msg msg;
	struct local_result res;
	size_t i;

	(void)state;
	test_msg_make(&t, qdir, "a@example.org", rcpts, body);
	msg.fd = t.fd;
	msg.env = t.env;
	msg.sender = t.env->sender;
	local_result_init(&res);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		local_deliver_rcpt(&msg, bad[i], &res);
		if (res.result != DELIVER_BOUNCE || strcmp(res.dsn, "5.1.1") != 0)
			fail_msg("%s: got %d %s %s, want a 5.1.1 bounce", bad[i],
			    res.result, res.dsn, res.text.data);
	}
	/* Nothing was created for them. */
	assert_int_equal(list_dir(base, NULL, 0) >= 0, 1);
	{
		char p[4200];
		struct stat st;

		snprintf(p, sizeof(p), "%s/.hidden", base);
		assert_int_equal(stat(p, &st), -1);
		snprintf(p, sizeof(p), "%s/a", base);
		assert_int_equal(stat(p, &st), -1);
	}
	local_result_release(&res);
	test_msg_free(&t);
}

static void
test_failure_defers_and_cleans_tmp(void **state)
{
	static const char *const rcpts[] = { "dave@localhost", NULL };
	static const char *const body[] = { "Subject: x\n\nbody\n", NULL };
	struct test_msg t;
	struct local_msg msg;
	struct local_result res;
	char path[4200];
	int fd;

	(void)state;
	/* new/ is a file: the rename into it fails. */
	snprintf(path, sizeof(path), "%s/dave", base);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/dave/Maildir", base);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/dave/Maildir/new", base);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);

	test_msg_make(&t, qdir, "a@example.org", rcpts, body);
	msg.fd = t.fd;
	msg.env = t.env;
	msg.sender = t.env->sender;
	local_result_init(&res);
	local_deliver_rcpt(&msg, "dave@localhost", &res);
	assert_int_equal(res.result, DELIVER_DEFER);
	assert_int_equal(res.dsn[0], '4');
	assert_non_null(strstr(res.text.data, "maildir delivery failed: "));
	snprintf(path, sizeof(path), "%s/dave/Maildir/tmp", base);
	assert_int_equal(list_dir(path, NULL, 0), 0);
	local_result_release(&res);
	test_msg_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deliver_to_new),
		cmocka_unit_test(test_null_sender_and_missing_newline),
		cmocka_unit_test(test_unsafe_local_part_bounces),
		cmocka_unit_test(test_failure_defers_and_cleans_tmp),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
