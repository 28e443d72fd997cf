/*
 * tests/unit/test_qmgr_deferlog.c — the defer log (QUEUE_DIR/defer/ID):
 * appended pairs read back in order, removal, and a damaged log is
 * reported instead of trusted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>
#include <cmocka.h>

#include "../../qmgr/qmgr.h"
#include "record.h"

#define ID "0123456789ABCDEF0"

static char qdir[] = "/tmp/test_qmgr_deferlog.XXXXXX";

struct seen {
	char	rcpt[8][256];
	char	reason[8][256];
	int	n;
};

static int
collect(const char *rcpt, const char *reason, void *ctx)
{
	struct seen *s = ctx;

	if (s->n >= 8)
		return 1;
	snprintf(s->rcpt[s->n], sizeof(s->rcpt[0]), "%s", rcpt);
	snprintf(s->reason[s->n], sizeof(s->reason[0]), "%s", reason);
	s->n++;
	return 0;
}

static int
setup(void **state)
{
	char path[256];

	(void)state;
	if (mkdtemp(qdir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/defer", qdir);
	return mkdir(path, 0700);
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", qdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_round_trip(void **state)
{
	struct seen s = { .n = 0 };
	struct strbuf why;

	(void)state;
	strbuf_init(&why, 1024);
	assert_int_equal(qmgr_deferlog_append(qdir, ID, "a@x", "connection refused"), 0);
	assert_int_equal(qmgr_deferlog_append(qdir, ID, "b@x",
	    "delivery temporarily suspended: lost connection with local"), 0);
	assert_int_equal(qmgr_deferlog_append(qdir, ID, "a@x", "second reason"), 0);
	assert_int_equal(qmgr_deferlog_read(qdir, ID, collect, &s, &why), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.rcpt[0], "a@x");
	assert_string_equal(s.reason[0], "connection refused");
	assert_string_equal(s.rcpt[1], "b@x");
	assert_string_equal(s.reason[1],
	    "delivery temporarily suspended: lost connection with local");
	assert_string_equal(s.rcpt[2], "a@x");
	assert_string_equal(s.reason[2], "second reason");

	qmgr_deferlog_remove(qdir, ID);
	assert_int_equal(qmgr_deferlog_read(qdir, ID, collect, &s, &why), -1);
	/* Removing a missing log is fine. */
	qmgr_deferlog_remove(qdir, ID);
	strbuf_release(&why);
}

static void
write_raw(const char *data, size_t len)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/defer/%s", qdir, ID);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
test_damaged_logs(void **state)
{
	struct seen s = { .n = 0 };
	struct strbuf why, raw;

	(void)state;
	strbuf_init(&why, 1024);
	strbuf_init(&raw, 4096);

	/* A truncated record. */
	rec_put(&raw, 'R', "a@x", 3);
	rec_put(&raw, 'W', "reason", 6);
	write_raw(raw.data, raw.len - 2);
	assert_int_equal(qmgr_deferlog_read(qdir, ID, collect, &s, &why), -1);
	assert_int_equal(s.n, 0);

	/* A reason without a recipient. */
	strbuf_reset(&raw);
	rec_put(&raw, 'W', "reason", 6);
	write_raw(raw.data, raw.len);
	assert_int_equal(qmgr_deferlog_read(qdir, ID, collect, &s, &why), -1);

	/* An unknown record type. */
	strbuf_reset(&raw);
	rec_put(&raw, 'X', "reason", 6);
	write_raw(raw.data, raw.len);
	assert_int_equal(qmgr_deferlog_read(qdir, ID, collect, &s, &why), -1);

	/* A recipient left without its reason. */
	strbuf_reset(&raw);
	rec_put(&raw, 'R', "a@x", 3);
	write_raw(raw.data, raw.len);
	assert_int_equal(qmgr_deferlog_read(qdir, ID, collect, &s, &why), -1);

	/* A NUL inside a reason. */
	strbuf_reset(&raw);
	rec_put(&raw, 'R', "a@x", 3);
	rec_put(&raw, 'W', "re\0son", 6);
	write_raw(raw.data, raw.len);
	assert_int_equal(qmgr_deferlog_read(qdir, ID, collect, &s, &why), -1);
	assert_int_equal(s.n, 0);

	qmgr_deferlog_remove(qdir, ID);
	strbuf_release(&why);
	strbuf_release(&raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damaged_logs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
