/*
 * tests/unit/test_master_spawn.c — master's pure decisions and its pid file.
 *
 * The spawn decision (listen, wait, spawn now) is a function of a
 * service's counts, the back-off a function of the last delay, and the
 * crash test a function of the exit status; tables of labelled cases pin
 * them down.  The pid file test takes the lock twice, as two masters on
 * one queue would, and expects the second to be refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../master/master.h"
#include "server.h"
#include "strbuf.h"

static const struct {
	const char *label;
	struct master_counts c;
	enum master_action want;
} decide_cases[] = {
	/* total idle starting maxproc wakeup throttled stopping */
	{ "no child, room: listen", { 0, 0, 0, 100, 0, 0, 0 }, MASTER_LISTEN },
	{ "one idle child: wait", { 1, 1, 0, 100, 0, 0, 0 }, MASTER_WAIT },
	{ "one starting child: wait", { 1, 0, 1, 100, 0, 0, 0 }, MASTER_WAIT },
	{ "all busy, room: listen", { 3, 0, 0, 100, 0, 0, 0 }, MASTER_LISTEN },
	{ "all busy, at limit: wait", { 3, 0, 0, 3, 0, 0, 0 }, MASTER_WAIT },
	{ "unlimited maxproc: listen", { 500, 0, 0, 0, 0, 0, 0 }, MASTER_LISTEN },
	{ "throttled: wait", { 0, 0, 0, 100, 0, 1, 0 }, MASTER_WAIT },
	{ "stopping: wait", { 0, 0, 0, 100, 0, 0, 1 }, MASTER_WAIT },
	{ "wakeup, none running: spawn", { 0, 0, 0, 1, 60, 0, 0 }, MASTER_SPAWN_NOW },
	{ "wakeup, one running: wait", { 1, 1, 0, 1, 60, 0, 0 }, MASTER_WAIT },
	{ "wakeup, old gen exiting: wait", { 1, 0, 0, 1, 60, 0, 0 }, MASTER_WAIT },
	{ "wakeup, throttled: wait", { 0, 0, 0, 1, 60, 1, 0 }, MASTER_WAIT },
};

static void
test_decide(void **state)
{
	size_t i;
	enum master_action got;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]); i++) {
		got = master_decide(&decide_cases[i].c);
		if (got != decide_cases[i].want) {
			print_error("%s: got %d, want %d\n", decide_cases[i].label,
			    got, decide_cases[i].want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void
test_backoff(void **state)
{
	static const long want[] = { 1, 2, 4, 8, 16, 32, 60, 60, 60 };
	long cur = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cur = master_backoff_next(cur, 60);
		assert_int_equal(cur, want[i]);
	}
	assert_int_equal(master_backoff_next(0, 0), 1);	/* cap below 1 */
	assert_int_equal(master_backoff_next(5, 3), 3);
}

static void
test_exit_is_crash(void **state)
{
	static const struct {
		const char *label;
		int status, reported;
		long lived;
		int want;
	} cases[] = {
		{ "exit 0 after work", 0 << 8, 1, 5000, 0 },
		{ "exit 0 idle timeout", 0 << 8, 1, 100000, 0 },
		{ "exit 0, never ready, at once", 0 << 8, 0, 10, 1 },
		{ "exit 0, never ready, late", 0 << 8, 0, 5000, 0 },
		{ "exit 1 (fatal)", 1 << 8, 1, 5000, 1 },
		{ "exit 127 (exec failed)", 127 << 8, 0, 3, 1 },
		{ "killed by signal 9", 9, 1, 5000, 1 },
		{ "killed by signal 11", 11, 0, 1, 1 },
	};
	size_t i;
	int bad = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (master_exit_is_crash(cases[i].status, cases[i].reported,
		    cases[i].lived) != cases[i].want) {
			print_error("%s: got %d, want %d\n", cases[i].label,
			    !cases[i].want, cases[i].want);
			bad++;
		}
	assert_int_equal(bad, 0);
}

static void
test_status_codec(void **state)
{
	unsigned char buf[SERVER_STATUS_SIZE];
	unsigned pid;
	int letter;

	(void)state;
	server_status_encode(buf, 123456, SERVER_STATUS_BUSY);
	assert_int_equal(server_status_decode(buf, &pid, &letter), 0);
	assert_int_equal(pid, 123456);
	assert_int_equal(letter, 'B');
	server_status_encode(buf, 7, SERVER_STATUS_IDLE);
	assert_int_equal(server_status_decode(buf, &pid, &letter), 0);
	assert_int_equal(letter, 'I');
	buf[4] = 'X';
	assert_int_equal(server_status_decode(buf, &pid, &letter), -1);
}

static void
test_pid_lock(void **state)
{
	char dir[] = "/tmp/test_master_pid.XXXXXX", path[PATH_MAX], text[32];
	struct strbuf err;
	int fd1, fd2, rfd;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pid", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	strbuf_init(&err, 1024);

	fd1 = master_pid_lock(dir, &err);
	assert_true(fd1 >= 0);
	assert_int_equal(master_pid_write(fd1, 4242), 0);
	/* A second master on the same queue is refused and names the first. */
	fd2 = master_pid_lock(dir, &err);
	assert_int_equal(fd2, -1);
	assert_non_null(strstr(err.data, "already running"));
	assert_non_null(strstr(err.data, "4242"));

	snprintf(path, sizeof(path), "%s/pid/master.pid", dir);
	rfd = open(path, O_RDONLY);
	assert_true(rfd >= 0);
	n = read(rfd, text, sizeof(text) - 1);
	assert_true(n > 0);
	text[n] = '\0';
	assert_string_equal(text, "4242\n");
	close(rfd);

	master_pid_remove(dir, fd1);
	assert_int_equal(access(path, F_OK), -1);
	/* Once released, the next master gets it. */
	fd2 = master_pid_lock(dir, &err);
	assert_true(fd2 >= 0);
	master_pid_remove(dir, fd2);
	snprintf(path, sizeof(path), "%s/pid", dir);
	rmdir(path);
	rmdir(dir);
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_exit_is_crash),
		cmocka_unit_test(test_status_codec),
		cmocka_unit_test(test_pid_lock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
