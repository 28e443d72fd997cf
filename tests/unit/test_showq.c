/*
 * tests/unit/test_showq.c — showq's report, driven through its service
 * function over a socketpair against a real queue directory: every queued
 * message is listed once, even when a message appears in two directories
 * (it moved from active/ to deferred/ while the report was being made).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bsd/string.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_names.h"
#include "mail_params.h"
#include "qfile.h"
#include "strbuf.h"
#include "../../showq/showq.h"

static char queue[64];

static void
make_message(const char *subdir, const char *rcpt, char id[QFILE_ID_LEN + 1])
{
	struct strbuf err;
	struct qfile_writer *w;

	strbuf_init(&err, 1024);
	w = qfile_create(queue, subdir, &err);
	assert_non_null(w);
	assert_int_equal(qfile_put_sender(w, "s@example.org"), 0);
	assert_int_equal(qfile_put_rcpt(w, rcpt, NULL, 0), 0);
	assert_int_equal(qfile_put_content(w, "Subject: x\n\nbody\n", 17), 0);
	assert_int_equal(qfile_commit(w, id, &err), 0);
	strbuf_release(&err);
}

/* Run showq_service and collect the queue ids it reports. */
static size_t
report(char ids[][QFILE_ID_LEN + 1], size_t room)
{
	struct ipc_msg *m = ipc_msg_new();
	struct strbuf why;
	int sv[2];
	size_t n = 0;
	const char *req, *id;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_LIST);
	assert_int_equal(ipc_send(sv[1], m, 1000), 0);
	ipc_msg_free(m);
	showq_service(sv[0]);
	close(sv[0]);
	strbuf_init(&why, 1024);
	for (;;) {
		m = NULL;
		assert_int_equal(ipc_recv(sv[1], 1 << 20, 1000, &m, &why), 1);
		req = ipc_get_str(m, IPC_ATTR_REQ);
		if (req != NULL && strcmp(req, IPC_REQ_END) == 0) {
			ipc_msg_free(m);
			break;
		}
		id = ipc_get_str(m, IPC_ATTR_QUEUE_ID);
		assert_non_null(id);
		assert_true(n < room);
		strlcpy(ids[n++], id, QFILE_ID_LEN + 1);
		ipc_msg_free(m);
	}
	strbuf_release(&why);
	close(sv[1]);
	return n;
}

static void
test_each_message_listed_once(void **state)
{
	char a[QFILE_ID_LEN + 1], b[QFILE_ID_LEN + 1], from[512], to[512];
	char got[8][QFILE_ID_LEN + 1];
	char cmd[1200];
	size_t n;

	(void)state;
	make_message(QDIR_ACTIVE, "one@example.org", a);
	make_message(QDIR_DEFERRED, "two@example.org", b);
	/* The same message in active/ and deferred/, as a moving file can be. */
	snprintf(from, sizeof(from), "%s/%s/%s", queue, QDIR_ACTIVE, a);
	snprintf(to, sizeof(to), "%s/%s/%s", queue, QDIR_DEFERRED, a);
	snprintf(cmd, sizeof(cmd), "cp %s %s", from, to);
	assert_int_equal(system(cmd), 0);

	n = report(got, 8);
	assert_int_equal(n, 2);
	assert_true((strcmp(got[0], a) == 0 && strcmp(got[1], b) == 0) ||
	    (strcmp(got[0], b) == 0 && strcmp(got[1], a) == 0));
	/* A second report starts afresh. */
	assert_int_equal(report(got, 8), 2);
}

static int
setup(void **state)
{
	struct strbuf err;

	(void)state;
	strcpy(queue, "/tmp/test_showq.XXXXXX");
	if (mkdtemp(queue) == NULL)
		return -1;
	strbuf_init(&err, 1024);
	if (qfile_make_dirs(queue, &err) < 0)
		return -1;
	strbuf_release(&err);
	var_queue_dir = queue;
	var_ipc_timeout = 10;
	var_ipc_frame_limit = 1 << 20;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", queue);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_message_listed_once,
		    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
