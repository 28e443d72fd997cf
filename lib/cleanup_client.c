/*
 * lib/cleanup_client.c — blocking client of the cleanup service.
 *
 * Used by pickup, by qmgr for bounces, and by tools.  Speaks the cleanup
 * protocol of lib/ipc_names.h over QUEUE_DIR/private/cleanup: a begin
 * frame, rcpt frames, content in data frames of up to CLEANUP_CHUNK bytes,
 * end, then one reply.  Every wait is bounded by ipc_timeout.  The first
 * error is sticky: it is kept in the client, later calls fail at once, and
 * cleanup_close() returns -1 with it.  The reply is untrusted input (a
 * status that is not 0/4xx/5xx or a bad queue id is a protocol error).
 * Nothing here logs; errors go to the caller (a bad attribute name is the
 * caller's bug and panics in lib/ipc.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup_client.h"
#include "ipc.h"
#include "ipc_names.h"
#include "mail_params.h"
#include "netio.h"

#define CLEANUP_CHUNK	(64 * 1024)	/* content bytes per data frame */
#define ABORT_TIMEOUT_MS 1000		/* best-effort abort on abandon */

struct cleanup_client {
	int	fd;
	int	flags;
	int	timeout_ms;
	int	failed;		/* sticky: an error happened, see err */
	int	begun;		/* the begin frame was sent */
	struct ipc_msg *begin;	/* arrival attributes until cleanup_sender */
	struct strbuf data;	/* content not yet sent */
	struct strbuf err;
};

static int
ipc_timeout_ms(void)
{
	long	t = var_ipc_timeout;

	if (t <= 0)
		return 0;
	return t > INT_MAX / 1000 ? INT_MAX : (int)(t * 1000);
}

static int
client_fail(struct cleanup_client *c, const char *what)
{
	if (!c->failed) {
		c->failed = 1;
		strbuf_set_printf(&c->err, "%s", what);
	}
	return -1;
}

static int
client_send(struct cleanup_client *c, const struct ipc_msg *m)
{
	if (c->failed)
		return -1;
	if (ipc_send(c->fd, m, c->timeout_ms) < 0) {
		c->failed = 1;
		strbuf_set_printf(&c->err, "send to cleanup service: %s",
		    errno == ETIMEDOUT ? "timeout" : strerror(errno));
		return -1;
	}
	return 0;
}

struct cleanup_client *
cleanup_open(const char *queue_dir, int flags, struct strbuf *err)
{
	struct cleanup_client *c;
	char	path[4096];
	int	fd, timeout = ipc_timeout_ms();

	if (service_path(path, sizeof(path), queue_dir, "private", "cleanup") < 0) {
		strbuf_set_printf(err, "cleanup service path too long");
		return NULL;
	}
	if ((fd = unix_connect(path, timeout)) < 0) {
		strbuf_set_printf(err, "connect to %s: %s", path, strerror(errno));
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->flags = flags;
	c->timeout_ms = timeout;
	c->begin = ipc_msg_new();
	ipc_put_str(c->begin, IPC_ATTR_REQ, IPC_REQ_BEGIN);
	ipc_put_int(c->begin, IPC_ATTR_FLAGS, flags);
	strbuf_init(&c->data, CLEANUP_CHUNK);
	strbuf_init(&c->err, 1024);
	return c;
}

int
cleanup_attr(struct cleanup_client *c, const char *name, const char *value)
{
	if (c->failed)
		return -1;
	if (c->begun)
		return client_fail(c, "cleanup_attr after the sender");
	ipc_put_str(c->begin, name, value);
	return 0;
}

int
cleanup_sender(struct cleanup_client *c, const char *sender)
{
	if (c->failed)
		return -1;
	if (c->begun)
		return client_fail(c, "cleanup_sender called twice");
	ipc_put_str(c->begin, IPC_ATTR_SENDER, sender);
	c->begun = 1;
	return client_send(c, c->begin);
}

int
cleanup_rcpt(struct cleanup_client *c, const char *rcpt, const char *orcpt,
    int notify)
{
	struct ipc_msg *m;
	int	r;

	if (c->failed)
		return -1;
	if (!c->begun)
		return client_fail(c, "cleanup_rcpt before the sender");
	m = ipc_msg_new();
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_RCPT);
	ipc_put_str(m, IPC_ATTR_RCPT, rcpt);
	if (orcpt != NULL)
		ipc_put_str(m, IPC_ATTR_ORCPT, orcpt);
	if (notify != 0)
		ipc_put_int(m, IPC_ATTR_NOTIFY, notify);
	r = client_send(c, m);
	ipc_msg_free(m);
	return r;
}

/* Send the buffered content as one data frame. */
static int
flush_data(struct cleanup_client *c)
{
	struct ipc_msg *m;
	int	r;

	if (c->data.len == 0)
		return 0;
	m = ipc_msg_new();
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_DATA);
	ipc_put_bytes(m, IPC_ATTR_CHUNK, c->data.data, c->data.len);
	r = client_send(c, m);
	ipc_msg_free(m);
	strbuf_reset(&c->data);
	return r;
}

int
cleanup_data(struct cleanup_client *c, const void *p, size_t n)
{
	const char *cp = p;
	size_t	room;

	if (c->failed)
		return -1;
	if (!c->begun)
		return client_fail(c, "cleanup_data before the sender");
	while (n > 0) {
		room = CLEANUP_CHUNK - c->data.len;
		if (room > n)
			room = n;
		strbuf_append(&c->data, cp, room);
		cp += room;
		n -= room;
		if (c->data.len == CLEANUP_CHUNK && flush_data(c) < 0)
			return -1;
	}
	return 0;
}

static void
client_free(struct cleanup_client *c)
{
	close(c->fd);
	ipc_msg_free(c->begin);
	strbuf_release(&c->data);
	strbuf_release(&c->err);
	free(c);
}

/* Check cleanup's reply; the return value of cleanup_close. */
static int
read_reply(struct cleanup_client *c, char id_out[QFILE_ID_LEN + 1],
    struct strbuf *reason)
{
	struct ipc_msg *m = NULL;
	const char *id, *text;
	int64_t	status;
	int	r;

	r = ipc_recv(c->fd, (size_t)var_ipc_frame_limit > 0 ?
	    (size_t)var_ipc_frame_limit : IPC_FRAME_LIMIT_DEFAULT,
	    c->timeout_ms, &m, &c->err);
	if (r == 0)
		strbuf_set_str(&c->err, "cleanup service closed the connection");
	if (r <= 0) {
		strbuf_set_printf(reason, "cleanup reply: %s", c->err.data);
		return -1;
	}
	id = ipc_get_str(m, IPC_ATTR_QUEUE_ID);
	text = ipc_get_str(m, IPC_ATTR_REASON);
	r = -1;
	if (ipc_get_int(m, IPC_ATTR_STATUS, &status) < 0)
		strbuf_set_str(reason, "cleanup reply without status");
	else if (status == 0 && (id == NULL || !qfile_id_valid(id)))
		strbuf_set_str(reason, "cleanup reply without a valid queue id");
	else if (status == 0) {
		memcpy(id_out, id, QFILE_ID_LEN + 1);
		strbuf_reset(reason);
		r = 0;
	} else if (status >= 400 && status <= 599) {
		strbuf_set_str(reason, text ? text : "4.3.0 cleanup gave no reason");
		r = (int)status;
	} else
		strbuf_set_printf(reason, "cleanup reply with bad status %lld",
		    (long long)status);
	ipc_msg_free(m);
	return r;
}

int
cleanup_close(struct cleanup_client *c, char id_out[QFILE_ID_LEN + 1],
    struct strbuf *reason)
{
	struct ipc_msg *m;
	int	r;

	if (!c->failed && !c->begun)
		client_fail(c, "cleanup_close before the sender");
	if (!c->failed && flush_data(c) == 0) {
		m = ipc_msg_new();
		ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_END);
		client_send(c, m);
		ipc_msg_free(m);
	}
	if (c->failed) {
		strbuf_set_str(reason, c->err.data);
		r = -1;
	} else
		r = read_reply(c, id_out, reason);
	client_free(c);
	return r;
}

void
cleanup_abandon(struct cleanup_client *c)
{
	struct ipc_msg *m;

	if (c == NULL)
		return;
	/* Closing alone abandons the message too; the abort frame only makes
	 * cleanup's log say why. */
	if (!c->failed && c->begun) {
		m = ipc_msg_new();
		ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_ABORT);
		(void)ipc_send(c->fd, m, ABORT_TIMEOUT_MS);
		ipc_msg_free(m);
	}
	client_free(c);
}
