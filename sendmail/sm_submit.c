/*
 * sendmail/sm_submit.c — hand a message to the setgid postdrop helper.
 *
 * sendmail runs as its caller and cannot write into maildrop/; it starts
 * DAEMON_DIR/postdrop with a pipe on its stdin and streams the message as
 * cleanup-protocol frames (sendmail/maildrop.h, doc/sendmail-postdrop.md):
 * begin, one rcpt per recipient, the content converted by sm_input.c in
 * data frames, end.  postdrop's exit status is the verdict: only 0 means
 * the message is safely in the queue.  If sendmail stops early (input too
 * big, a write error) it closes the pipe without `end`, and postdrop
 * queues nothing.  Messages go to stderr in Postfix's form.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc_names.h"
#include "mail_params.h"
#include "maildrop.h"
#include "sendmail.h"

#define SM_CHUNK	(64 * 1024)	/* stdin bytes per read and per frame */

static pid_t
postdrop_start(int *wfd)
{
	char path[4096];
	int fds[2];
	pid_t pid;

	if (snprintf(path, sizeof(path), "%s/postdrop", var_daemon_dir) >=
	    (int)sizeof(path) || pipe(fds) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(fds[0], STDIN_FILENO) < 0)
			_exit(SM_EX_TEMPFAIL);
		close(fds[0]);
		close(fds[1]);
		execl(path, "postdrop", "-c", var_config_dir, (char *)NULL);
		fprintf(stderr, "sendmail: fatal: execute %s: %s\n", path,
		    strerror(errno));
		_exit(SM_EX_TEMPFAIL);
	}
	close(fds[0]);
	*wfd = fds[1];
	return pid;
}

static int
send_frame(int fd, struct ipc_msg *m)
{
	int r = ipc_send(fd, m, 0);

	ipc_msg_reset(m);
	return r;
}

static int
send_data(int fd, struct ipc_msg *m, struct strbuf *out)
{
	int r = 0;

	if (out->len > 0) {
		ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_DATA);
		ipc_put_bytes(m, IPC_ATTR_CHUNK, out->data, out->len);
		r = send_frame(fd, m);
		strbuf_reset(out);
	}
	return r;
}

/* Stream stdin: 0, -1 on a write error, -2 when the message is too big,
 * -3 on a read error. */
static int
stream_content(int fd, struct ipc_msg *m, const struct sm_opts *o, FILE *in)
{
	struct sm_input conv;
	struct strbuf out;
	enum sm_crlf crlf = SM_CRLF_ALWAYS;
	char *buf = xmalloc(SM_CHUNK);
	int64_t total = 0;
	size_t n;
	int r = 0;

	(void)sm_crlf_mode(var_sendmail_fix_line_endings, &crlf);
	sm_input_init(&conv, o->dot_ends, crlf);
	strbuf_init(&out, SM_CHUNK + 16);
	while (r == 0 && !conv.done && (n = fread(buf, 1, SM_CHUNK, in)) > 0) {
		if (sm_input_feed(&conv, buf, n, &out) < 0)
			r = -1;
		total += (int64_t)out.len;
		if (var_message_size_limit > 0 && total > var_message_size_limit)
			r = -2;
		else if (r == 0)
			r = send_data(fd, m, &out);
	}
	if (r == 0 && ferror(in))
		r = -3;
	if (r == 0 && sm_input_eof(&conv, &out) == 0)
		r = send_data(fd, m, &out);
	strbuf_release(&out);
	free(buf);
	return r;
}

static int
stream_message(int fd, const struct sm_opts *o, const char *sender,
    const char *full_name, FILE *in)
{
	struct ipc_msg *m = ipc_msg_new();
	int i, r;

	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_BEGIN);
	ipc_put_int(m, IPC_ATTR_FLAGS, o->extract ? CLEANUP_F_EXTRACT : 0);
	ipc_put_str(m, IPC_ATTR_SENDER, sender);
	if (full_name != NULL && *full_name != '\0')
		ipc_put_str(m, IPC_ATTR_FULL_NAME, full_name);
	r = send_frame(fd, m);
	for (i = 0; r == 0 && i < o->nrcpt; i++) {
		ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_RCPT);
		ipc_put_str(m, IPC_ATTR_RCPT, o->rcpts[i]);
		r = send_frame(fd, m);
	}
	if (r == 0)
		r = stream_content(fd, m, o, in);
	if (r == 0) {
		ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_END);
		r = send_frame(fd, m);
	}
	ipc_msg_free(m);
	return r;
}

int
sm_submit(const struct sm_opts *o, const char *sender, const char *full_name,
    FILE *in)
{
	int fd, status, r;
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	if ((pid = postdrop_start(&fd)) < 0) {
		fprintf(stderr, "sendmail: fatal: cannot run postdrop: %s\n",
		    strerror(errno));
		return SM_EX_TEMPFAIL;
	}
	r = stream_message(fd, o, sender, full_name, in);
	close(fd);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == -2) {
		fprintf(stderr, "sendmail: fatal: message file too big\n");
		return SM_EX_DATAERR;
	}
	if (r == -3) {
		fprintf(stderr, "sendmail: fatal: error reading input: %s\n",
		    strerror(errno));
		return SM_EX_TEMPFAIL;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		/* postdrop said why on stderr. */
		if (WIFSIGNALED(status))
			fprintf(stderr, "sendmail: fatal: postdrop killed by "
			    "signal %d\n", WTERMSIG(status));
		return SM_EX_TEMPFAIL;
	}
	return r == 0 ? SM_EX_OK : SM_EX_TEMPFAIL;
}
