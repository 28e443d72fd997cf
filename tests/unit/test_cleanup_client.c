/*
 * tests/unit/test_cleanup_client.c — lib/cleanup_client against a fake
 * cleanup service (a thread on QDIR/private/cleanup): the frames it sends
 * (begin with attributes, rcpt, 64 KiB data chunks, end), a queued reply,
 * a refusal, malformed replies, a vanished server, misuse, and abandon.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup_client.h"
#include "ipc.h"
#include "ipc_names.h"
#include "mail_params.h"
#include "netio.h"

#define CONTENT_LEN	150000

/* What the fake server saw and how it answers. */
struct fake {
	int	lfd;
	int	reply;		/* 0 queued, 1 refuse, 2 bad id, 3 close, 4 bad status */
	char	sender[64];
	char	helo[64];
	int64_t	flags;
	int	nrcpt;
	int64_t	notify;
	char	orcpt[64];
	size_t	ndata, data_len;
	int	saw_end, saw_abort;
};

static char qdir[64];

static void *
serve(void *arg)
{
	struct fake *f = arg;
	struct ipc_msg *m, *r;
	struct strbuf why;
	const char *req;
	const void *chunk;
	size_t	len;
	int	fd = accept(f->lfd, NULL, NULL);

	strbuf_init(&why, 1000);
	while (fd >= 0 && ipc_recv(fd, 1 << 20, 5000, &m, &why) == 1) {
		req = ipc_get_str(m, IPC_ATTR_REQ);
		if (strcmp(req, IPC_REQ_BEGIN) == 0) {
			snprintf(f->sender, sizeof(f->sender), "%s",
			    ipc_get_str(m, IPC_ATTR_SENDER));
			if (ipc_get_str(m, IPC_ATTR_HELO))
				snprintf(f->helo, sizeof(f->helo), "%s",
				    ipc_get_str(m, IPC_ATTR_HELO));
			ipc_get_int(m, IPC_ATTR_FLAGS, &f->flags);
		} else if (strcmp(req, IPC_REQ_RCPT) == 0) {
			f->nrcpt++;
			ipc_get_int(m, IPC_ATTR_NOTIFY, &f->notify);
			if (ipc_get_str(m, IPC_ATTR_ORCPT))
				snprintf(f->orcpt, sizeof(f->orcpt), "%s",
				    ipc_get_str(m, IPC_ATTR_ORCPT));
		} else if (strcmp(req, IPC_REQ_DATA) == 0) {
			chunk = ipc_get_bytes(m, IPC_ATTR_CHUNK, &len);
			f->ndata++;
			f->data_len += chunk ? len : 0;
		} else if (strcmp(req, IPC_REQ_ABORT) == 0) {
			f->saw_abort = 1;
		} else if (strcmp(req, IPC_REQ_END) == 0) {
			f->saw_end = 1;
			ipc_msg_free(m);
			break;
		}
		ipc_msg_free(m);
	}
	if (f->saw_end && f->reply != 3) {
		r = ipc_msg_new();
		if (f->reply == 0 || f->reply == 2) {
			ipc_put_int(r, IPC_ATTR_STATUS, 0);
			ipc_put_str(r, IPC_ATTR_QUEUE_ID,
			    f->reply == 0 ? "0123456789ABCDEF0" : "../x");
		} else if (f->reply == 1) {
			ipc_put_int(r, IPC_ATTR_STATUS, 550);
			ipc_put_str(r, IPC_ATTR_REASON, "5.7.1 content rejected");
		} else
			ipc_put_int(r, IPC_ATTR_STATUS, 250);
		ipc_send(fd, r, 5000);
		ipc_msg_free(r);
	}
	if (fd >= 0)
		close(fd);
	strbuf_release(&why);
	return NULL;
}

static int
setup(void **state)
{
	struct strbuf err;
	struct fake *f = calloc(1, sizeof(*f));
	char	path[256];

	strcpy(qdir, "/tmp/test_cleanup_client.XXXXXX");
	assert_non_null(mkdtemp(qdir));
	snprintf(path, sizeof(path), "%s/private", qdir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/private/cleanup", qdir);
	strbuf_init(&err, 1000);
	f->lfd = unix_listen(path, 5, 0600, &err);
	if (f->lfd < 0)
		fail_msg("listen: %s", err.data);
	strbuf_release(&err);
	var_ipc_timeout = 5;
	var_ipc_frame_limit = 1 << 20;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fake *f = *state;
	char	cmd[128];

	close(f->lfd);
	free(f);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", qdir);
	return system(cmd);
}

/* Misuse is an error, and the first error is sticky up to close. */
static void
test_misuse_sticky(void **state)
{
	struct fake *f = *state;
	struct cleanup_client *c;
	struct strbuf err;
	char	id[QFILE_ID_LEN + 1];
	pthread_t th;

	strbuf_init(&err, 1000);
	assert_int_equal(pthread_create(&th, NULL, serve, f), 0);
	c = cleanup_open(qdir, 0, &err);
	assert_non_null(c);
	assert_int_equal(cleanup_sender(c, "me@example.org"), 0);
	assert_int_equal(cleanup_attr(c, IPC_ATTR_PROTOCOL, "late"), -1);
	assert_int_equal(cleanup_rcpt(c, "you@example.com", NULL, 0), -1);
	assert_int_equal(cleanup_close(c, id, &err), -1);
	assert_string_equal(err.data, "cleanup_attr after the sender");
	pthread_join(th, NULL);
	assert_false(f->saw_end);
	strbuf_release(&err);
}

/* The same conversation without the misuse. */
static int
send_clean(struct fake *f, char id[QFILE_ID_LEN + 1], struct strbuf *reason)
{
	struct cleanup_client *c;
	struct strbuf err;
	pthread_t th;
	char   *content = malloc(CONTENT_LEN);
	size_t	off;
	int	r;

	memset(content, 'm', CONTENT_LEN);
	strbuf_init(&err, 1000);
	assert_int_equal(pthread_create(&th, NULL, serve, f), 0);
	c = cleanup_open(qdir, CLEANUP_F_LOCAL, &err);
	assert_non_null(c);
	assert_int_equal(cleanup_attr(c, IPC_ATTR_HELO, "client.example"), 0);
	assert_int_equal(cleanup_sender(c, "me@example.org"), 0);
	assert_int_equal(cleanup_rcpt(c, "you@example.com", "rfc822;you@example.com",
	    DSN_NOTIFY_FAILURE), 0);
	assert_int_equal(cleanup_rcpt(c, "other@example.com", NULL, 0), 0);
	for (off = 0; off < CONTENT_LEN; off += 7000)
		assert_int_equal(cleanup_data(c, content + off,
		    CONTENT_LEN - off < 7000 ? CONTENT_LEN - off : 7000), 0);
	r = cleanup_close(c, id, reason);
	pthread_join(th, NULL);
	free(content);
	strbuf_release(&err);
	return r;
}

static void
test_frames_and_reply(void **state)
{
	struct fake *f = *state;
	struct strbuf reason;
	char	id[QFILE_ID_LEN + 1] = "";

	strbuf_init(&reason, 1000);
	f->reply = 0;
	if (send_clean(f, id, &reason) != 0)
		fail_msg("close: %s", reason.data);
	assert_string_equal(id, "0123456789ABCDEF0");
	assert_string_equal(f->sender, "me@example.org");
	assert_string_equal(f->helo, "client.example");
	assert_int_equal(f->flags, CLEANUP_F_LOCAL);
	assert_int_equal(f->nrcpt, 2);
	assert_int_equal(f->notify, DSN_NOTIFY_FAILURE);
	assert_string_equal(f->orcpt, "rfc822;you@example.com");
	assert_int_equal(f->data_len, CONTENT_LEN);
	assert_int_equal(f->ndata, 3);		/* 64K + 64K + rest */
	assert_true(f->saw_end);
	strbuf_release(&reason);
}

static void
test_refused_and_bad_replies(void **state)
{
	const struct {
		int	reply;
		int	want;
		const char *reason;
	} cases[] = {
		{1, 550, "5.7.1 content rejected"},
		{2, -1, "valid queue id"},
		{3, -1, "closed the connection"},
		{4, -1, "bad status 250"},
	};
	struct fake *f = *state;
	struct strbuf reason;
	char	id[QFILE_ID_LEN + 1];
	size_t	i;
	int	got;

	strbuf_init(&reason, 1000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int	lfd = f->lfd;

		memset(f, 0, sizeof(*f));
		f->lfd = lfd;
		f->reply = cases[i].reply;
		got = send_clean(f, id, &reason);
		if (got != cases[i].want || strstr(reason.data, cases[i].reason) == NULL)
			fail_msg("reply %d: got %d \"%s\" want %d \"%s\"", cases[i].reply,
			    got, reason.data, cases[i].want, cases[i].reason);
	}
	strbuf_release(&reason);
}

static void
test_abandon_and_no_server(void **state)
{
	struct fake *f = *state;
	struct cleanup_client *c;
	struct strbuf err;
	pthread_t th;

	strbuf_init(&err, 1000);
	assert_int_equal(pthread_create(&th, NULL, serve, f), 0);
	c = cleanup_open(qdir, 0, &err);
	assert_non_null(c);
	assert_int_equal(cleanup_rcpt(c, "x@y", NULL, 0), -1);	/* before sender */
	cleanup_abandon(c);
	pthread_join(th, NULL);
	assert_false(f->saw_abort);		/* nothing begun, nothing to abort */

	f->saw_abort = 0;
	f->ndata = 0;
	assert_int_equal(pthread_create(&th, NULL, serve, f), 0);
	c = cleanup_open(qdir, 0, &err);
	assert_int_equal(cleanup_sender(c, ""), 0);
	assert_int_equal(cleanup_data(c, "x\n", 2), 0);
	cleanup_abandon(c);
	pthread_join(th, NULL);
	assert_true(f->saw_abort);
	assert_int_equal(f->ndata, 0);		/* buffered data is dropped */
	cleanup_abandon(NULL);

	close(f->lfd);
	f->lfd = -1;
	assert_null(cleanup_open("/nonexistent", 0, &err));
	assert_non_null(strstr(err.data, "connect to /nonexistent/private/cleanup"));
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);	/* for teardown */
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_misuse_sticky, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frames_and_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_and_bad_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abandon_and_no_server, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
