/*
 * tests/unit/test_cleanup_proto.c — cleanup's protocol loop
 * (cleanup_service) over a socket pair, with the service in a child
 * process: a whole message is answered with status 0 and a queue id that
 * names a file in incoming/; a refused message gets its status and reason;
 * abort, a disconnect, an unknown request and a recipient after data end
 * the connection with nothing queued; two messages may share a connection;
 * the SMTPUTF8 flag and the DSN attributes reach the queue file, checked.
 */
#include <bsd/string.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../cleanup/cleanup.h"
#include "ipc_names.h"
#include "mail_params.h"
#include "test_util.h"

static char qdir[] = "/tmp/test_cleanup_proto.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	if (test_queue_make(qdir) < 0)
		return -1;
	var_queue_dir = qdir;
	var_myorigin = "origin.test";
	var_myhostname = "host.test";
	var_header_size_limit = 4096;
	var_message_size_limit = 100000;
	var_cleanup_rcpt_limit = 100;
	var_hopcount_limit = 50;
	var_ipc_frame_limit = 1 << 20;
	var_ipc_timeout = 5;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", qdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Start cleanup_service on one end of a socket pair in a child. */
static int
start_service(pid_t *pid)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		close(sv[0]);
		cleanup_service(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

static void
stop_service(int fd, pid_t pid)
{
	int status;

	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
send_req(int fd, const char *req, const char *name, const char *value)
{
	struct ipc_msg *m = ipc_msg_new();

	ipc_put_str(m, IPC_ATTR_REQ, req);
	if (strcmp(req, IPC_REQ_BEGIN) == 0) {
		ipc_put_int(m, IPC_ATTR_FLAGS, 0);
		ipc_put_str(m, IPC_ATTR_SENDER, value);
	} else if (name != NULL && strcmp(name, IPC_ATTR_CHUNK) == 0)
		ipc_put_bytes(m, name, value, strlen(value));
	else if (name != NULL)
		ipc_put_str(m, name, value);
	assert_int_equal(ipc_send(fd, m, 5000), 0);
	ipc_msg_free(m);
}

/* The reply, or NULL when the service closed the connection. */
static struct ipc_msg *
recv_reply(int fd)
{
	struct ipc_msg *m = NULL;
	struct strbuf why;
	int r;

	strbuf_init(&why, 1024);
	r = ipc_recv(fd, 1 << 20, 5000, &m, &why);
	strbuf_release(&why);
	return r == 1 ? m : NULL;
}

static size_t
incoming_count(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", qdir, QDIR_INCOMING);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
send_message(int fd, const char *rcpt)
{
	send_req(fd, IPC_REQ_BEGIN, NULL, "a@example.org");
	if (rcpt != NULL)
		send_req(fd, IPC_REQ_RCPT, IPC_ATTR_RCPT, rcpt);
	send_req(fd, IPC_REQ_DATA, IPC_ATTR_CHUNK, "Subject: x\n\nbody\n");
	send_req(fd, IPC_REQ_END, NULL, NULL);
}

static void
test_queued_twice(void **state)
{
	struct ipc_msg *r;
	const char *id;
	char path[512];
	int64_t status = -1;
	pid_t pid;
	int fd, i;

	(void)state;
	fd = start_service(&pid);
	for (i = 0; i < 2; i++) {
		send_message(fd, "b@example.org");
		assert_non_null(r = recv_reply(fd));
		assert_int_equal(ipc_get_int(r, IPC_ATTR_STATUS, &status), 0);
		assert_int_equal(status, 0);
		assert_non_null(id = ipc_get_str(r, IPC_ATTR_QUEUE_ID));
		assert_true(qfile_id_valid(id));
		qfile_path(path, sizeof(path), qdir, QDIR_INCOMING, id);
		assert_int_equal(access(path, R_OK), 0);
		unlink(path);
		ipc_msg_free(r);
	}
	stop_service(fd, pid);
}

static void
test_refused(void **state)
{
	struct ipc_msg *r;
	int64_t status = -1;
	pid_t pid;
	int fd;

	(void)state;
	fd = start_service(&pid);
	send_message(fd, NULL);
	assert_non_null(r = recv_reply(fd));
	assert_int_equal(ipc_get_int(r, IPC_ATTR_STATUS, &status), 0);
	assert_int_equal(status, 554);
	assert_string_equal(ipc_get_str(r, IPC_ATTR_REASON),
	    "5.5.1 Error: no recipients specified");
	assert_null(ipc_get_str(r, IPC_ATTR_QUEUE_ID));
	ipc_msg_free(r);
	stop_service(fd, pid);
	assert_int_equal(incoming_count(), 0);
}

static void
test_dropped(void **state)
{
	static const char *const cases[] = { "abort", "disconnect", "unknown",
	    "rcpt-after-data", "end-first" };
	pid_t pid;
	size_t i;
	int fd;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = start_service(&pid);
		if (strcmp(cases[i], "end-first") != 0) {
			send_req(fd, IPC_REQ_BEGIN, NULL, "a@example.org");
			send_req(fd, IPC_REQ_RCPT, IPC_ATTR_RCPT, "b@example.org");
			send_req(fd, IPC_REQ_DATA, IPC_ATTR_CHUNK, "x\n");
		}
		if (strcmp(cases[i], "abort") == 0)
			send_req(fd, IPC_REQ_ABORT, NULL, NULL);
		else if (strcmp(cases[i], "unknown") == 0)
			send_req(fd, "frobnicate", NULL, NULL);
		else if (strcmp(cases[i], "rcpt-after-data") == 0)
			send_req(fd, IPC_REQ_RCPT, IPC_ATTR_RCPT, "c@example.org");
		else if (strcmp(cases[i], "end-first") == 0)
			send_req(fd, IPC_REQ_END, NULL, NULL);
		if (strcmp(cases[i], "disconnect") != 0) {
			/* No reply: the service closes the connection. */
			if (recv_reply(fd) != NULL)
				fail_msg("%s: got a reply", cases[i]);
		}
		stop_service(fd, pid);
		if (incoming_count() != 0)
			fail_msg("%s: something was queued", cases[i]);
	}
}

/* One message with the DSN and SMTPUTF8 attributes of an SMTP client. */
static const char *
send_dsn_message(int fd, const char *ret, const char *envid, int64_t notify2)
{
	struct ipc_msg *m = ipc_msg_new(), *r;
	static char id[QFILE_ID_LEN + 1];
	int64_t status = -1;

	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_BEGIN);
	ipc_put_int(m, IPC_ATTR_FLAGS, CLEANUP_F_SMTPUTF8);
	ipc_put_str(m, IPC_ATTR_PROTOCOL, "UTF8SMTP");
	ipc_put_str(m, IPC_ATTR_ENVID, envid);
	ipc_put_str(m, IPC_ATTR_RET, ret);
	ipc_put_str(m, IPC_ATTR_SENDER, "j\xc3\xb6rg@example.org");
	assert_int_equal(ipc_send(fd, m, 5000), 0);
	ipc_msg_free(m);
	m = ipc_msg_new();
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_RCPT);
	ipc_put_str(m, IPC_ATTR_RCPT, "b@example.org");
	ipc_put_str(m, IPC_ATTR_ORCPT, "rfc822;B@example.org");
	ipc_put_int(m, IPC_ATTR_NOTIFY, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY);
	assert_int_equal(ipc_send(fd, m, 5000), 0);
	ipc_msg_free(m);
	m = ipc_msg_new();
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_RCPT);
	ipc_put_str(m, IPC_ATTR_RCPT, "c@example.org");
	ipc_put_int(m, IPC_ATTR_NOTIFY, notify2);
	assert_int_equal(ipc_send(fd, m, 5000), 0);
	ipc_msg_free(m);
	send_req(fd, IPC_REQ_DATA, IPC_ATTR_CHUNK, "Subject: gr\xc3\xbc\xc3\x9f" "e\n\nbody\n");
	send_req(fd, IPC_REQ_END, NULL, NULL);
	assert_non_null(r = recv_reply(fd));
	assert_int_equal(ipc_get_int(r, IPC_ATTR_STATUS, &status), 0);
	assert_int_equal(status, 0);
	strlcpy(id, ipc_get_str(r, IPC_ATTR_QUEUE_ID), sizeof(id));
	ipc_msg_free(r);
	return id;
}

static struct qfile_env *
read_env(const char *id)
{
	struct qfile_env *env = NULL;
	struct strbuf why;
	char path[512];
	int fd;

	qfile_path(path, sizeof(path), qdir, QDIR_INCOMING, id);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	strbuf_init(&why, 1024);
	if (qfile_read_envelope(fd, &env, &why) < 0)
		fail_msg("%s: %s", id, why.data);
	strbuf_release(&why);
	close(fd);
	unlink(path);
	return env;
}

/* The SMTPUTF8 flag, ENVID, RET, ORCPT and NOTIFY reach the queue file;
 * values that break RFC 3461's rules are dropped. */
static void
test_dsn_smtputf8(void **state)
{
	struct qfile_env *env;
	pid_t pid;
	int fd;

	(void)state;
	fd = start_service(&pid);
	env = read_env(send_dsn_message(fd, "HDRS", "QQ314159", DSN_NOTIFY_NEVER));
	assert_true(env->flags & CLEANUP_F_SMTPUTF8);
	assert_string_equal(env->sender, "j\xc3\xb6rg@example.org");
	assert_string_equal(qfile_env_attr(env, IPC_ATTR_ENVID), "QQ314159");
	assert_string_equal(qfile_env_attr(env, IPC_ATTR_RET), "HDRS");
	assert_string_equal(qfile_env_attr(env, IPC_ATTR_PROTOCOL), "UTF8SMTP");
	assert_int_equal(env->nrcpt, 2);
	assert_string_equal(env->rcpts[0].orcpt, "rfc822;B@example.org");
	assert_int_equal(env->rcpts[0].notify, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY);
	assert_null(env->rcpts[1].orcpt);
	assert_int_equal(env->rcpts[1].notify, DSN_NOTIFY_NEVER);
	qfile_env_free(env);

	env = read_env(send_dsn_message(fd, "ALL",
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy",
	    DSN_NOTIFY_NEVER | DSN_NOTIFY_FAILURE));
	assert_null(qfile_env_attr(env, IPC_ATTR_ENVID));
	assert_null(qfile_env_attr(env, IPC_ATTR_RET));
	assert_int_equal(env->rcpts[1].notify, 0);
	qfile_env_free(env);
	stop_service(fd, pid);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queued_twice),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_dsn_smtputf8),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
