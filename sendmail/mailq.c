/*
 * sendmail/mailq.c — mailq (sendmail -bp): the queue listing in Postfix's
 * layout, from the showq service (public/showq, lib/ipc_names.h).
 *
 * When showq cannot be reached (the mail system is down) and the queue is
 * readable by the caller (root), showq is run directly on a socket pair, as
 * Postfix's postqueue does.  showq's answers are treated as untrusted:
 * frames are bounded by ipc_frame_limit, and control characters in
 * addresses or reasons are shown as '?', never passed to the terminal.
 */
#include <bsd/string.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc_names.h"
#include "mail_params.h"
#include "netio.h"
#include "qfile.h"
#include "sendmail.h"

#define RCPT_INDENT	41	/* column of recipients, as Postfix */

/* Append text with control characters replaced. */
static void
append_safe(struct strbuf *out, const char *s)
{
	for (; *s; s++)
		strbuf_append_char(out, (unsigned char)*s < 0x20 || *s == 0x7f ?
		    '?' : *s);
}

void
mailq_format_header(struct strbuf *out)
{
	strbuf_printf(out, "%-11s %8s %-20s %s\n", "-Queue ID-", "--Size--",
	    "----Arrival Time----", "-Sender/Recipient-------");
}

int
mailq_format_entry(const struct ipc_msg *m, struct strbuf *out,
    struct mailq_totals *t)
{
	const char *id = ipc_get_str(m, IPC_ATTR_QUEUE_ID);
	const char *queue = ipc_get_str(m, IPC_ATTR_QUEUE_NAME);
	const char *sender = ipc_get_str(m, IPC_ATTR_SENDER);
	const char *rcpt, *reason, *last_reason = "";
	int64_t size = 0, arrival = 0;
	char when[32];
	struct tm tm;
	time_t tt;
	size_t i;
	int mark = ' ';

	if (id == NULL || !qfile_id_valid(id) || queue == NULL || sender == NULL ||
	    ipc_get_int(m, IPC_ATTR_SIZE, &size) < 0 ||
	    ipc_get_int(m, IPC_ATTR_ARRIVAL, &arrival) < 0)
		return -1;
	if (strcmp(queue, QDIR_ACTIVE) == 0)
		mark = '*';
	else if (strcmp(queue, QDIR_HOLD) == 0)
		mark = '!';
	tt = (time_t)arrival;
	if (localtime_r(&tt, &tm) == NULL ||
	    strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm) == 0)
		strlcpy(when, "?", sizeof(when));
	strbuf_printf(out, "%s%c%8lld %-20.20s ", id, mark, (long long)size, when);
	append_safe(out, *sender ? sender : "MAILER-DAEMON");
	strbuf_append_char(out, '\n');
	for (i = 0; (rcpt = ipc_get_str_n(m, IPC_ATTR_RCPT, i)) != NULL; i++) {
		reason = ipc_get_str_n(m, IPC_ATTR_RCPT_REASON, i);
		/* A reason is shown once for the recipients that share it. */
		if (reason != NULL && *reason && strcmp(reason, last_reason) != 0) {
			strbuf_append_char(out, '(');
			append_safe(out, reason);
			strbuf_append_str(out, ")\n");
		}
		last_reason = reason ? reason : "";
		strbuf_printf(out, "%*s", RCPT_INDENT, "");
		append_safe(out, rcpt);
		strbuf_append_char(out, '\n');
	}
	strbuf_append_char(out, '\n');
	t->requests++;
	t->bytes += size;
	return 0;
}

void
mailq_format_footer(const struct mailq_totals *t, struct strbuf *out)
{
	if (t->requests == 0) {
		strbuf_append_str(out, "Mail queue is empty\n");
		return;
	}
	strbuf_printf(out, "-- %lld Kbytes in %ld Request%s.\n",
	    (long long)((t->bytes + 1023) / 1024), t->requests,
	    t->requests == 1 ? "" : "s");
}

/* Read showq's frames from fd and print the listing. Returns 0, or -1
 * when the conversation broke (the listing so far is printed). */
static int
mailq_read(const char *progname, int fd)
{
	struct mailq_totals t = { 0, 0 };
	struct strbuf out, why;
	struct ipc_msg *m = ipc_msg_new();
	const char *req;
	int r, rc = -1;

	strbuf_init(&out, STRBUF_NOLIMIT);
	strbuf_init(&why, 1024);
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_LIST);
	r = ipc_send(fd, m, (int)var_ipc_timeout * 1000);
	ipc_msg_free(m);
	while (r >= 0 && (r = ipc_recv(fd, (size_t)var_ipc_frame_limit,
	    (int)var_ipc_timeout * 1000, &m, &why)) == 1) {
		req = ipc_get_str(m, IPC_ATTR_REQ);
		if (req != NULL && strcmp(req, IPC_REQ_END) == 0) {
			ipc_msg_free(m);
			rc = 0;
			break;
		}
		if (t.requests == 0 && out.len == 0)
			mailq_format_header(&out);
		if (mailq_format_entry(m, &out, &t) < 0)
			fprintf(stderr, "%s: warning: malformed queue entry\n",
			    progname);
		ipc_msg_free(m);
		fwrite(out.data, 1, out.len, stdout);
		strbuf_reset(&out);
	}
	if (rc == 0)
		mailq_format_footer(&t, &out);
	else
		fprintf(stderr, "%s: fatal: error reading queue report%s%s\n",
		    progname, why.len ? ": " : "", why.data);
	fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
	strbuf_release(&out);
	strbuf_release(&why);
	return rc;
}

/* showq run by us on a socket pair (the mail system is down). */
static int
mailq_direct(const char *progname, const char *config_dir)
{
	char path[4096], qdir[4096];
	int sv[2], status, rc;
	pid_t pid;

	if (snprintf(qdir, sizeof(qdir), "%s/%s", var_queue_dir, QDIR_INCOMING) >=
	    (int)sizeof(qdir) || access(qdir, R_OK | X_OK) < 0 ||
	    snprintf(path, sizeof(path), "%s/showq", var_daemon_dir) >=
	    (int)sizeof(path) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		if (dup2(sv[1], STDIN_FILENO) < 0)
			_exit(1);
		execl(path, "showq", "-c", config_dir, "--stdin", (char *)NULL);
		_exit(1);
	}
	close(sv[1]);
	rc = mailq_read(progname, sv[0]);
	close(sv[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return rc;
}

int
mailq_run(const char *progname, const char *config_dir)
{
	char path[4096];
	int fd, rc;

	signal(SIGPIPE, SIG_IGN);
	if (service_path(path, sizeof(path), var_queue_dir, QDIR_PUBLIC,
	    "showq") == 0 && (fd = unix_connect(path,
	    (int)var_ipc_timeout * 1000)) >= 0) {
		rc = mailq_read(progname, fd);
		close(fd);
		return rc == 0 ? SM_EX_OK : SM_EX_UNAVAILABLE;
	}
	if (mailq_direct(progname, config_dir) == 0)
		return SM_EX_OK;
	fprintf(stderr, "%s: fatal: Queue report unavailable - mail system is "
	    "down\n", progname);
	return SM_EX_UNAVAILABLE;
}
