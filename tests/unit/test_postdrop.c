/*
 * tests/unit/test_postdrop.c — postdrop's writer (sendmail/maildrop_write.c)
 * driven on a pipe into a queue directory under /tmp: a good stream is
 * committed with the uid recorded and mode 0444; `-t` without command-line
 * recipients records the header's; a -t message naming nobody, a stream
 * cut short and a stream with bytes after `end` leave nothing in maildrop/
 * (not even a temporary file).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../sendmail/maildrop.h"
#include "../../sendmail/postdrop.h"
#include "ipc_names.h"
#include "mail_params.h"
#include "test_util.h"

static char qdir[] = "/tmp/test_postdrop.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	if (test_queue_make(qdir) < 0)
		return -1;
	var_queue_dir = qdir;
	var_ipc_frame_limit = 1 << 20;
	var_ipc_timeout = 10;
	var_message_size_limit = 100000;
	var_header_size_limit = 1024;
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

static void
put_frame(struct strbuf *s, const char *req, const char *name, const char *value,
    int flags)
{
	struct ipc_msg *m = ipc_msg_new();

	ipc_put_str(m, IPC_ATTR_REQ, req);
	if (strcmp(req, IPC_REQ_BEGIN) == 0) {
		ipc_put_int(m, IPC_ATTR_FLAGS, flags);
		ipc_put_str(m, IPC_ATTR_SENDER, value);
	} else if (name != NULL && strcmp(name, IPC_ATTR_CHUNK) == 0)
		ipc_put_bytes(m, name, value, strlen(value));
	else if (name != NULL)
		ipc_put_str(m, name, value);
	assert_int_equal(ipc_encode(m, s), 0);
	ipc_msg_free(m);
}

/* Run postdrop_write on a pipe holding stream; returns its result. */
static int
drop(const struct strbuf *stream, char id[QFILE_ID_LEN + 1], struct strbuf *err)
{
	int fds[2], r;

	assert_int_equal(pipe(fds), 0);
	assert_true(stream->len < 60000);	/* fits the pipe */
	assert_int_equal(write(fds[1], stream->data, stream->len),
	    (ssize_t)stream->len);
	close(fds[1]);
	r = postdrop_write(fds[0], 4242, id, err);
	close(fds[0]);
	return r;
}

static size_t
maildrop_entries(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", qdir, QDIR_MAILDROP);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
read_env(const char *id, struct qfile_env **env, mode_t *mode)
{
	char path[512];
	struct strbuf why;
	struct stat st;
	int fd;

	strbuf_init(&why, 1024);
	qfile_path(path, sizeof(path), qdir, QDIR_MAILDROP, id);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	*mode = st.st_mode & 07777;
	assert_int_equal(qfile_read_envelope(fd, env, &why), 0);
	close(fd);
	unlink(path);
	strbuf_release(&why);
}

static void
test_good_stream(void **state)
{
	struct strbuf s, err;
	struct qfile_env *env;
	char id[QFILE_ID_LEN + 1];
	mode_t mode;

	(void)state;
	strbuf_init(&s, 1 << 16);
	strbuf_init(&err, 1024);
	put_frame(&s, IPC_REQ_BEGIN, NULL, "user", 0);
	put_frame(&s, IPC_REQ_RCPT, IPC_ATTR_RCPT, "bob@example.org", 0);
	put_frame(&s, IPC_REQ_DATA, IPC_ATTR_CHUNK, "Subject: x\n\nhi\n", 0);
	put_frame(&s, IPC_REQ_END, NULL, NULL, 0);
	assert_int_equal(drop(&s, id, &err), 0);
	read_env(id, &env, &mode);
	assert_int_equal(mode, 0444);
	assert_string_equal(env->sender, "user");
	assert_int_equal(env->nrcpt, 1);
	assert_string_equal(env->rcpts[0].addr, "bob@example.org");
	assert_string_equal(qfile_env_attr(env, IPC_ATTR_UID), "4242");
	assert_int_equal(env->content_size, 15);
	qfile_env_free(env);
	strbuf_release(&s);
	strbuf_release(&err);
}

static void
test_extract(void **state)
{
	struct strbuf s, err;
	struct qfile_env *env;
	char id[QFILE_ID_LEN + 1];
	mode_t mode;

	(void)state;
	strbuf_init(&s, 1 << 16);
	strbuf_init(&err, 1024);
	put_frame(&s, IPC_REQ_BEGIN, NULL, "user", CLEANUP_F_EXTRACT);
	put_frame(&s, IPC_REQ_DATA, IPC_ATTR_CHUNK, "To: Ann <ann@example.org>, bad@@x\n", 0);
	put_frame(&s, IPC_REQ_DATA, IPC_ATTR_CHUNK, "Bcc: carl\n\nbody\n", 0);
	put_frame(&s, IPC_REQ_END, NULL, NULL, 0);
	assert_int_equal(drop(&s, id, &err), 0);
	read_env(id, &env, &mode);
	assert_int_equal(env->flags, CLEANUP_F_EXTRACT);
	assert_int_equal(env->nrcpt, 2);
	assert_string_equal(env->rcpts[0].addr, "ann@example.org");
	assert_string_equal(env->rcpts[1].addr, "carl");
	qfile_env_free(env);

	/* -t naming nobody: refused at once, nothing left behind. */
	strbuf_reset(&s);
	put_frame(&s, IPC_REQ_BEGIN, NULL, "user", CLEANUP_F_EXTRACT);
	put_frame(&s, IPC_REQ_DATA, IPC_ATTR_CHUNK, "Subject: x\n\nbody\n", 0);
	put_frame(&s, IPC_REQ_END, NULL, NULL, 0);
	assert_int_equal(drop(&s, id, &err), -1);
	assert_string_equal(err.data, "No recipient addresses found in message header");
	assert_int_equal(maildrop_entries(), 0);
	strbuf_release(&s);
	strbuf_release(&err);
}

static void
test_bad_streams(void **state)
{
	struct strbuf s, err;
	char id[QFILE_ID_LEN + 1];
	size_t full;

	(void)state;
	strbuf_init(&s, 1 << 16);
	strbuf_init(&err, 1024);
	put_frame(&s, IPC_REQ_BEGIN, NULL, "user", 0);
	put_frame(&s, IPC_REQ_RCPT, IPC_ATTR_RCPT, "bob@example.org", 0);
	put_frame(&s, IPC_REQ_DATA, IPC_ATTR_CHUNK, "Subject: x\n\nhi\n", 0);
	full = s.len;
	/* No end marker: sendmail went away. */
	assert_int_equal(drop(&s, id, &err), -1);
	assert_int_equal(maildrop_entries(), 0);
	/* Something after the end. */
	put_frame(&s, IPC_REQ_END, NULL, NULL, 0);
	put_frame(&s, IPC_REQ_END, NULL, NULL, 0);
	assert_int_equal(drop(&s, id, &err), -1);
	assert_string_equal(err.data, "data after the end marker");
	assert_int_equal(maildrop_entries(), 0);
	/* Cut inside a frame. */
	strbuf_truncate(&s, full - 3);
	assert_int_equal(drop(&s, id, &err), -1);
	assert_int_equal(maildrop_entries(), 0);
	/* A user asking for local-submission privileges. */
	strbuf_reset(&s);
	put_frame(&s, IPC_REQ_BEGIN, NULL, "user", CLEANUP_F_LOCAL);
	assert_int_equal(drop(&s, id, &err), -1);
	assert_int_equal(maildrop_entries(), 0);
	strbuf_release(&s);
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_stream),
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_bad_streams),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
