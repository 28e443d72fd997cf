/*
 * local-delivery/local_deliver.c — one delivery request from qmgr.
 *
 * Read one request frame (bounded by ipc_frame_limit and ipc_timeout),
 * validate it (local_request.c), open QUEUE_DIR/active/ID read-only (the
 * name is built from the validated id, never taken from the peer), check
 * the recipients against the envelope, deliver each recipient and answer
 * {status=0, result, dsn, text per recipient}.  A recipient is first
 * checked for a Delivered-To: loop, then expanded (local_expand.c: aliases,
 * .forward) and each target delivered; the worst result counts, and
 * non-local targets are queued again as one new message.  A request with
 * transport=virtual goes to local_virtual.c instead of the expansion.  A request that cannot be
 * served as a whole is answered {status=4, text} and qmgr defers it; a
 * malformed frame is logged and the connection dropped.  Per-recipient
 * results are not logged here (qmgr logs them); warnings are.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <bsd/string.h>

#include "ipc_names.h"
#include "local.h"
#include "log.h"
#include "mail_params.h"
#include "netio.h"

#define WRITE_BUF	65536

void
local_result_init(struct local_result *r)
{
	r->result = DELIVER_DEFER;
	strlcpy(r->dsn, "4.3.0", sizeof(r->dsn));
	strbuf_init(&r->text, 4096);
}

void
local_result_release(struct local_result *r)
{
	strbuf_release(&r->text);
}

void
local_result_set(struct local_result *r, int result, const char *dsn,
    const char *fmt, ...)
{
	va_list ap;

	r->result = result;
	strlcpy(r->dsn, dsn, sizeof(r->dsn));
	strbuf_reset(&r->text);
	va_start(ap, fmt);
	if (strbuf_vprintf(&r->text, fmt, ap) < 0)
		strbuf_set_str(&r->text, "(reason too long)");
	va_end(ap);
}

/* ---- writing a message ---- */

struct wbuf {
	int	fd;
	struct strbuf buf;
	int	err;		/* errno of the first failed write */
};

static int
wbuf_flush(struct wbuf *w)
{
	if (w->err == 0 && w->buf.len > 0 &&
	    write_full(w->fd, w->buf.data, w->buf.len, 0) < 0)
		w->err = errno ? errno : EIO;
	strbuf_reset(&w->buf);
	return w->err ? -1 : 0;
}

static int
wbuf_put(struct wbuf *w, const char *p, size_t n)
{
	if (w->buf.len + n > WRITE_BUF && wbuf_flush(w) < 0)
		return -1;
	if (n > WRITE_BUF) {
		if (write_full(w->fd, p, n, 0) < 0)
			w->err = errno ? errno : EIO;
		return w->err ? -1 : 0;
	}
	strbuf_append(&w->buf, p, n);
	return 0;
}

/* Copy a chunk; in mbox mode a line that starts with "From " gets a '>'.
 * *bol says whether the chunk starts at the beginning of a line; a
 * "From " split across chunks is caught by keeping up to 4 bytes back. */
static int
put_content(struct wbuf *w, const char *p, size_t n, int mbox, int *bol,
    struct strbuf *held)
{
	size_t i, start = 0;

	if (!mbox)
		return wbuf_put(w, p, n);
	for (i = 0; i < n; i++) {
		if (held->len > 0) {
			strbuf_append_char(held, p[i]);
			if (held->len == 5 || memcmp(held->data, "From ", held->len) != 0) {
				if (held->len == 5 && memcmp(held->data, "From ", 5) == 0 &&
				    wbuf_put(w, ">", 1) < 0)
					return -1;
				if (wbuf_put(w, held->data, held->len) < 0)
					return -1;
				*bol = held->data[held->len - 1] == '\n';
				strbuf_reset(held);
			}
			start = i + 1;
			continue;
		}
		if (*bol && p[i] == 'F') {
			if (wbuf_put(w, p + start, i - start) < 0)
				return -1;
			strbuf_append_char(held, 'F');
			*bol = 0;
			start = i + 1;
			continue;
		}
		*bol = p[i] == '\n';
	}
	return wbuf_put(w, p + start, n - start);
}

static const char *
mbox_date(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	/* asctime(3) style, as every mbox reader expects. */
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(buf, size, "%a %b %e %H:%M:%S %Y", &tm) == 0)
		strlcpy(buf, "Thu Jan  1 00:00:00 1970", size);
	return buf;
}

int
local_write_message(const struct local_msg *msg, int out, const char *rcpt,
    int flags, struct strbuf *why)
{
	struct strbuf chunk, held;
	struct wbuf w = { .fd = out, .err = 0 };
	off_t off = msg->env->content_off;
	int mbox = (flags & LOCAL_W_MBOX) != 0, bol = 1, last_nl = 1, rc;
	char date[64];

	strbuf_init(&w.buf, WRITE_BUF + 1);
	strbuf_init(&chunk, STRBUF_NOLIMIT);
	strbuf_init(&held, 16);
	if (mbox)
		strbuf_printf(&w.buf, "From %s %s\n", msg->sender[0] ? msg->sender :
		    "MAILER-DAEMON", mbox_date(date, sizeof(date)));
	strbuf_printf(&w.buf, "Return-Path: <%s>\nDelivered-To: %s\n", msg->sender,
	    rcpt);
	while ((rc = qfile_read_content(msg->fd, &off, &chunk, why)) > 0) {
		if (chunk.len == 0)
			continue;
		if (put_content(&w, chunk.data, chunk.len, mbox, &bol, &held) < 0)
			break;
		last_nl = chunk.data[chunk.len - 1] == '\n';
	}
	if (rc < 0) {
		strbuf_release(&w.buf);
		strbuf_release(&chunk);
		strbuf_release(&held);
		errno = 0;
		return -1;
	}
	if (held.len > 0)
		wbuf_put(&w, held.data, held.len);
	/* The copy always ends with a newline; an mbox message with a blank
	 * line so that the next "From " starts a message. */
	if (!last_nl)
		wbuf_put(&w, "\n", 1);
	if (mbox)
		wbuf_put(&w, "\n", 1);
	wbuf_flush(&w);
	strbuf_release(&w.buf);
	strbuf_release(&chunk);
	strbuf_release(&held);
	if (w.err) {
		strbuf_set_printf(why, "write: %s", strerror(w.err));
		errno = w.err;
		return -1;
	}
	return 0;
}

/* ---- one recipient ---- */

/* Is there a Delivered-To: header equal to rcpt in the message header?
 * 1 yes, 0 no, -1 queue file trouble (why). */
static int
delivered_to_seen(const struct local_msg *msg, const char *rcpt, struct strbuf *why)
{
	struct strbuf chunk, line;
	off_t off = msg->env->content_off;
	size_t i, rl = strlen(rcpt);
	int rc, found = 0, done = 0;

	strbuf_init(&chunk, STRBUF_NOLIMIT);
	strbuf_init(&line, 8192);
	while (!done && (rc = qfile_read_content(msg->fd, &off, &chunk, why)) > 0) {
		for (i = 0; i < chunk.len && !done; i++) {
			if (chunk.data[i] != '\n') {
				if (line.len < 8000)
					strbuf_append_char(&line, chunk.data[i]);
				continue;
			}
			if (line.len == 0) {
				done = 1;	/* end of the header */
			} else if (line.len > 13 &&
			    strncasecmp(line.data, "Delivered-To:", 13) == 0) {
				const char *v = line.data + 13;
				size_t vl;

				while (*v == ' ' || *v == '\t')
					v++;
				vl = strlen(v);
				while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t' ||
				    v[vl - 1] == '\r'))
					vl--;
				if (vl == rl && strncasecmp(v, rcpt, rl) == 0)
					found = done = 1;
			}
			strbuf_reset(&line);
		}
	}
	strbuf_release(&chunk);
	strbuf_release(&line);
	if (!done && rc < 0)
		return -1;
	return found;
}

static void
deliver_mailbox(const struct local_msg *msg, const char *user, const char *rcpt,
    int cls, struct local_result *res)
{
	struct local_mailbox mb;

	if (local_resolve(user, &mb, res) < 0) {
		/* A name read from a user's .forward or an :include: file is
		 * not echoed into the DSN (it could be any line of any file
		 * the file's owner can read); the log has the detail. */
		if (cls == LOCAL_CLASS_INCLUDE || cls == LOCAL_CLASS_FORWARD) {
			const char *where = cls == LOCAL_CLASS_INCLUDE ?
			    ":include: file" : "~/.forward file";
			char dsn[sizeof(res->dsn)];

			log_warn("%s: to=<%s>: %s: %s", msg->env->id, rcpt, where,
			    res->text.data);
			strlcpy(dsn, res->dsn, sizeof(dsn));
			if (strcmp(dsn, "5.1.1") == 0)
				local_result_set(res, res->result, dsn,
				    "unknown user in %s", where);
			else
				local_result_set(res, res->result, dsn,
				    "cannot resolve a user named in %s", where);
		}
		return;
	}
	if (mb.kind == LOCAL_MAILDIR)
		local_maildir_deliver(msg, &mb, rcpt, res);
	else
		local_mbox_deliver(msg, &mb, rcpt, res);
}

/* Keep the worst result: defer over bounce over success. */
static void
merge_result(struct local_result *all, const struct local_result *one)
{
	static const int rank[6] = { 0, 0, 0, 0, 2, 1 };

	if (one->result < 0 || one->result > 5 || all->result < 0 || all->result > 5)
		return;
	if (rank[one->result] > rank[all->result] ||
	    (one->result == DELIVER_OK && all->result == DELIVER_OK)) {
		all->result = one->result;
		strlcpy(all->dsn, one->dsn, sizeof(all->dsn));
		strbuf_set_str(&all->text, one->text.data);
	}
}

/* The Delivered-To: loop check: 0 go on, -1 with res set. */
static int
loop_check(const struct local_msg *msg, const char *rcpt, struct local_result *res)
{
	struct strbuf why;
	int rc;

	strbuf_init(&why, 4096);
	rc = delivered_to_seen(msg, rcpt, &why);
	if (rc > 0)
		local_result_set(res, DELIVER_BOUNCE, "5.4.6",
		    "mail forwarding loop for %s", rcpt);
	else if (rc < 0)
		local_result_set(res, DELIVER_DEFER, "4.3.0",
		    "corrupt queue file: %s", why.data);
	strbuf_release(&why);
	return rc != 0 ? -1 : 0;
}

void
local_deliver_virtual_rcpt(const struct local_msg *msg, const char *rcpt,
    struct local_result *res)
{
	/* No aliases, no .forward: the virtual mailbox table decides. */
	if (loop_check(msg, rcpt, res) == 0)
		local_virtual_deliver(msg, rcpt, res);
}

void
local_deliver_rcpt(const struct local_msg *msg, const char *rcpt,
    struct local_result *res)
{
	struct local_expand_ops ops;
	struct local_expansion x;
	struct local_result one;
	struct strbuf why;
	const char **fwd = NULL;
	char id[QFILE_ID_LEN + 1];
	size_t i, nfwd = 0;

	if (loop_check(msg, rcpt, res) < 0)
		return;
	strbuf_init(&why, 4096);
	local_expand_ops_system(&ops);
	if (local_expand(&ops, NULL, rcpt, &x, res) < 0) {
		strbuf_release(&why);
		return;
	}
	local_result_init(&one);
	local_result_set(res, DELIVER_OK, "2.0.0", "delivered");
	for (i = 0; i < x.n; i++) {
		const struct local_target *t = &x.t[i];

		local_result_set(&one, DELIVER_DEFER, "4.3.0", "internal error");
		switch (t->kind) {
		case LOCAL_T_MAILBOX:
			deliver_mailbox(msg, t->value, rcpt, t->cls, &one);
			break;
		case LOCAL_T_FILE:
			local_file_deliver(msg, t, rcpt, &one);
			break;
		case LOCAL_T_COMMAND:
			local_pipe_deliver(msg, t, rcpt, &one);
			break;
		default:
			fwd = xreallocarray(fwd, nfwd + 1, sizeof(*fwd));
			fwd[nfwd++] = t->value;
			continue;
		}
		/* Which member of a fan-out failed (the result has one text). */
		if (one.result != DELIVER_OK && x.n > 1 && t->cls == 0)
			log_warn("%s: to=<%s>: %s: %s", msg->env->id, rcpt, t->value,
			    one.text.data);
		merge_result(res, &one);
	}
	if (nfwd > 0) {
		if (local_forward_send(msg, rcpt, x.owner ? x.owner : msg->sender,
		    fwd, nfwd, id, &why) == 0)
			local_result_set(&one, DELIVER_OK, "2.0.0", "forwarded as %s", id);
		else
			local_result_set(&one, DELIVER_DEFER, "4.3.0",
			    "cannot forward the message: %s", why.data);
		merge_result(res, &one);
	}
	free(fwd);
	local_result_release(&one);
	local_expansion_free(&x);
	strbuf_release(&why);
}

/* ---- one connection ---- */

static void
reply_refused(int fd, const char *id, const char *text)
{
	struct ipc_msg *reply = ipc_msg_new();

	log_warn("%s: refusing delivery request: %s", id, text);
	ipc_put_int(reply, IPC_ATTR_STATUS, DELIVER_DEFER);
	ipc_put_str(reply, IPC_ATTR_TEXT, text);
	if (ipc_send(fd, reply, (int)var_ipc_timeout * 1000) < 0)
		log_warn_errno("%s: cannot send reply to qmgr", id);
	ipc_msg_free(reply);
}

static void
deliver_all(int fd, const struct local_request *req, struct local_msg *msg)
{
	struct ipc_msg *reply = ipc_msg_new();
	struct local_result res;
	size_t i;

	ipc_put_int(reply, IPC_ATTR_STATUS, 0);
	local_result_init(&res);
	for (i = 0; i < req->nrcpt; i++) {
		local_result_set(&res, DELIVER_DEFER, "4.3.0", "internal error");
		if (req->virtual_mode)
			local_deliver_virtual_rcpt(msg, req->rcpts[i].addr, &res);
		else
			local_deliver_rcpt(msg, req->rcpts[i].addr, &res);
		ipc_put_int(reply, IPC_ATTR_RESULT, res.result);
		ipc_put_str(reply, IPC_ATTR_DSN, res.dsn);
		ipc_put_str(reply, IPC_ATTR_TEXT, res.text.data);
		if (res.result == DELIVER_DEFER)
			log_warn("%s: to=<%s>: %s", req->queue_id,
			    req->rcpts[i].addr, res.text.data);
	}
	local_result_release(&res);
	if (ipc_send(fd, reply, (int)var_ipc_timeout * 1000) < 0)
		log_warn_errno("%s: cannot send reply to qmgr", req->queue_id);
	ipc_msg_free(reply);
}

void
local_service(int fd)
{
	struct ipc_msg *m = NULL;
	struct local_request req;
	struct qfile_env *env = NULL;
	struct local_msg msg;
	struct strbuf why, path;
	int qfd;

	strbuf_init(&why, 4096);
	strbuf_init(&path, 4096);
	if (ipc_recv(fd, (size_t)var_ipc_frame_limit, (int)var_ipc_timeout * 1000,
	    &m, &why) <= 0) {
		if (why.len > 0)
			log_warn("malformed request from qmgr: %s", why.data);
		goto out;
	}
	if (local_request_parse(m, &req, &why) < 0) {
		reply_refused(fd, "NOQUEUE", why.data);
		goto out;
	}
	strbuf_printf(&path, "%s/%s", var_queue_dir, req.queue_file);
	if ((qfd = open(path.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		strbuf_set_printf(&why, "cannot open queue file: %s", strerror(errno));
		reply_refused(fd, req.queue_id, why.data);
	} else if (qfile_read_envelope(qfd, &env, &why) < 0) {
		strbuf_set_printf(&path, "corrupt queue file: %s", why.data);
		reply_refused(fd, req.queue_id, path.data);
	} else if (local_request_match(&req, env, &why) < 0) {
		reply_refused(fd, req.queue_id, why.data);
	} else {
		strlcpy(env->id, req.queue_id, sizeof(env->id));
		msg.fd = qfd;
		msg.env = env;
		msg.sender = env->sender;
		deliver_all(fd, &req, &msg);
	}
	if (qfd >= 0)
		close(qfd);
	qfile_env_free(env);
	local_request_free(&req);
out:
	ipc_msg_free(m);
	strbuf_release(&why);
	strbuf_release(&path);
}
