/*
 * lib/smtp_server_cleanup.c — the session's conversation with cleanup.
 *
 * At MAIL the session opens a non-blocking connection to
 * QUEUE_DIR/private/cleanup and sends the frames of lib/ipc_names.h (begin,
 * rcpt, data chunks, end) into a bufferevent as the transaction goes; the
 * SMTP session never waits for cleanup except after the end frame.  Cleanup
 * is a peer we do not trust blindly: its answer goes through ipc_decode with
 * a frame limit, and a lost connection, a timeout, an early or malformed
 * frame turns into a 451 for this message and a warning, never more.
 */
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "ipc.h"
#include "ipc_names.h"
#include "log.h"
#include "netio.h"
#include "qfile.h"
#include "smtp_server_int.h"

#define CLEANUP_REPLY_LIMIT	(64 * 1024)

static void smtp_cleanup_read_cb(struct bufferevent *, void *);
static void smtp_cleanup_write_cb(struct bufferevent *, void *);
static void smtp_cleanup_event_cb(struct bufferevent *, short, void *);

/* Encode one frame into the cleanup output buffer. */
static void
smtp_cleanup_send(struct smtp_session *s, struct ipc_msg *m)
{
	struct strbuf out;

	if (s->cl_state != SMTP_CL_OPEN)
		return;
	strbuf_init(&out, (size_t)s->cfg->ipc_frame_limit + 4);
	if (ipc_encode(m, &out) < 0) {
		log_warn("%s[%s]: frame for cleanup too large", s->client_name,
		    s->client_addr);
		s->cl_state = SMTP_CL_BROKEN;
	} else
		bufferevent_write(s->cl_bev, out.data, out.len);
	strbuf_release(&out);
}

/* The connection failed: the transaction can no longer be queued. */
static void
smtp_cleanup_fail(struct smtp_session *s, const char *why)
{
	log_warn("%s[%s]: cleanup service: %s", s->client_name, s->client_addr,
	    why);
	if (s->cl_bev) {
		bufferevent_free(s->cl_bev);
		s->cl_bev = NULL;
	}
	s->cl_state = SMTP_CL_BROKEN;
	if (s->state == SMTP_S_DATA_END)
		smtp_data_result(s, -1, NULL, why);
	else if (s->state == SMTP_S_DATA)
		smtp_session_resume(s);		/* may have paused on us */
}

int
smtp_cleanup_open(struct smtp_session *s, const char *envid, int ret)
{
	char	path[4096];
	struct ipc_msg *m;
	struct timeval tv;
	int	fd;

	if (service_path(path, sizeof(path), s->cfg->queue_dir, QDIR_PRIVATE,
	    "cleanup") < 0)
		return (-1);
	if ((fd = unix_connect_nonblock(path)) < 0) {
		log_warn_errno("connect to cleanup service %s", path);
		return (-1);
	}
	s->cl_bev = bufferevent_socket_new(s->cfg->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->cl_bev == NULL)
		log_fatal("bufferevent_socket_new failed");
	bufferevent_setcb(s->cl_bev, smtp_cleanup_read_cb, smtp_cleanup_write_cb,
	    smtp_cleanup_event_cb, s);
	bufferevent_setwatermark(s->cl_bev, EV_WRITE, 64 * 1024, 0);
	/* Never buffer more than one reply frame from cleanup. */
	bufferevent_setwatermark(s->cl_bev, EV_READ, 0, CLEANUP_REPLY_LIMIT + 4);
	tv.tv_sec = s->cfg->timeout;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(s->cl_bev, NULL, &tv);
	bufferevent_enable(s->cl_bev, EV_READ | EV_WRITE);
	s->cl_state = SMTP_CL_OPEN;

	m = ipc_msg_new();
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_BEGIN);
	ipc_put_int(m, IPC_ATTR_FLAGS, s->smtputf8 ? CLEANUP_F_SMTPUTF8 : 0);
	ipc_put_str(m, IPC_ATTR_CLIENT_NAME, s->client_name);
	ipc_put_str(m, IPC_ATTR_CLIENT_ADDR, s->client_addr);
	ipc_put_str(m, IPC_ATTR_HELO, s->helo ? s->helo : "");
	ipc_put_str(m, IPC_ATTR_PROTOCOL, smtp_session_protocol(s));
	if (s->sasl_user)
		ipc_put_str(m, IPC_ATTR_SASL_USER, s->sasl_user);
	/* DSN (RFC 3461), checked by lib/smtp_cmd.c */
	if (envid && *envid)
		ipc_put_str(m, IPC_ATTR_ENVID, envid);
	if (ret != SMTP_RET_NONE)
		ipc_put_str(m, IPC_ATTR_RET, ret == SMTP_RET_FULL ? "FULL" : "HDRS");
	ipc_put_str(m, IPC_ATTR_SENDER, s->sender);
	smtp_cleanup_send(s, m);
	ipc_msg_free(m);
	return (0);
}

void
smtp_cleanup_rcpt(struct smtp_session *s, const char *rcpt,
	    const char *orcpt, int notify)
{
	struct ipc_msg *m = ipc_msg_new();

	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_RCPT);
	ipc_put_str(m, IPC_ATTR_RCPT, rcpt);
	if (orcpt && *orcpt)
		ipc_put_str(m, IPC_ATTR_ORCPT, orcpt);
	if (notify)
		ipc_put_int(m, IPC_ATTR_NOTIFY, notify);
	smtp_cleanup_send(s, m);
	ipc_msg_free(m);
}

void
smtp_cleanup_data(struct smtp_session *s, const void *p, size_t n)
{
	struct ipc_msg *m;

	if (s->cl_state != SMTP_CL_OPEN || n == 0)
		return;
	m = ipc_msg_new();
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_DATA);
	ipc_put_bytes(m, IPC_ATTR_CHUNK, p, n);
	smtp_cleanup_send(s, m);
	ipc_msg_free(m);
}

void
smtp_cleanup_end(struct smtp_session *s)
{
	struct ipc_msg *m = ipc_msg_new();
	struct timeval tv;

	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_END);
	if (s->tx_flags & SMTP_TX_HOLD)
		ipc_put_int(m, IPC_ATTR_FLAGS, CLEANUP_F_HOLD);
	smtp_cleanup_send(s, m);
	ipc_msg_free(m);
	/* Cleanup fsyncs now; give it the same time a client gets. */
	tv.tv_sec = s->cfg->timeout;
	tv.tv_usec = 0;
	if (s->cl_bev)
		bufferevent_set_timeouts(s->cl_bev, &tv, &tv);
}

/* Abandon the transaction: closing the socket tells cleanup to drop it. */
void
smtp_cleanup_close(struct smtp_session *s)
{
	if (s->cl_bev) {
		bufferevent_free(s->cl_bev);
		s->cl_bev = NULL;
	}
	s->cl_state = SMTP_CL_NONE;
}

size_t
smtp_cleanup_pending(const struct smtp_session *s)
{
	if (s->cl_bev == NULL)
		return (0);
	return (evbuffer_get_length(bufferevent_get_output(s->cl_bev)));
}

static void
smtp_cleanup_read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t	len = evbuffer_get_length(in), used;
	struct ipc_msg *m = NULL;
	struct strbuf why;
	int64_t	status;
	int	r;

	strbuf_init(&why, 256);
	r = ipc_decode(evbuffer_pullup(in, -1), len, CLEANUP_REPLY_LIMIT, &m,
	    &used, &why);
	if (r == 0) {
		strbuf_release(&why);
		return;
	}
	if (r < 0) {
		smtp_cleanup_fail(s, why.data);
	} else if (s->state != SMTP_S_DATA_END) {
		smtp_cleanup_fail(s, "unexpected reply before end of data");
	} else if (ipc_get_int(m, IPC_ATTR_STATUS, &status) < 0
	    || (status == 0 && !qfile_id_valid(ipc_get_str(m, IPC_ATTR_QUEUE_ID)
	    ? ipc_get_str(m, IPC_ATTR_QUEUE_ID) : ""))) {
		smtp_cleanup_fail(s, "malformed reply");
	} else {
		evbuffer_drain(in, used);
		smtp_data_result(s, (int)status, ipc_get_str(m, IPC_ATTR_QUEUE_ID),
		    ipc_get_str(m, IPC_ATTR_REASON));
	}
	ipc_msg_free(m);
	strbuf_release(&why);
}

static void
smtp_cleanup_write_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session *s = arg;

	/* Below the low-water mark: let a paused client send again. */
	if (s->state == SMTP_S_DATA
	    && !(bufferevent_get_enabled(s->bev) & EV_READ))
		smtp_session_resume(s);
}

static void
smtp_cleanup_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_session *s = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		smtp_cleanup_fail(s, "timeout");
	else if (what & BEV_EVENT_EOF)
		smtp_cleanup_fail(s, "lost connection");
	else
		smtp_cleanup_fail(s, "connection error");
}
