/*
 * cleanup/cleanup_proto.c — the cleanup protocol on one client connection
 * (lib/ipc_names.h, doc/ipc.md): begin, rcpt*, data*, end, or abort.
 *
 * Frames are read with the bounded ipc reader (ipc_frame_limit,
 * ipc_timeout) and dispatched from a table by request and state.  A frame
 * that breaks the protocol, a malformed frame, a timeout or a client that
 * goes away ends the connection with a log line and nothing is queued; the
 * daemon carries on with its next client.  Problems with the message itself
 * are answered once, after `end` (cleanup_commit.c).
 */
#include <string.h>
#include <sys/types.h>

#include "cleanup.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "netio.h"

enum proto_state { PS_IDLE, PS_MESSAGE };

enum proto_result { PR_CONTINUE, PR_DONE, PR_ERROR };

struct proto {
	int	fd;
	enum proto_state state;
	struct cleanup_state st;
	struct strbuf why;
};

static enum proto_result
do_begin(struct proto *p, const struct ipc_msg *m)
{
	cleanup_state_init(&p->st);
	if (cleanup_begin(&p->st, m, &p->why) < 0) {
		cleanup_state_free(&p->st);
		return PR_ERROR;
	}
	p->state = PS_MESSAGE;
	return PR_CONTINUE;
}

static enum proto_result
do_rcpt(struct proto *p, const struct ipc_msg *m)
{
	const char *rcpt = ipc_get_str(m, IPC_ATTR_RCPT);
	int64_t notify = 0;

	if (p->st.in_data) {
		strbuf_set_str(&p->why, "rcpt after data");
		return PR_ERROR;
	}
	if (rcpt == NULL) {
		strbuf_set_str(&p->why, "rcpt without address");
		return PR_ERROR;
	}
	(void)ipc_get_int(m, IPC_ATTR_NOTIFY, &notify);
	/* RFC 3461 4.1: NEVER stands alone; anything else is "not given". */
	if (notify < 0 || notify > 0x0f ||
	    ((notify & DSN_NOTIFY_NEVER) && notify != DSN_NOTIFY_NEVER))
		notify = 0;
	cleanup_add_rcpt(&p->st, rcpt, ipc_get_str(m, IPC_ATTR_ORCPT),
	    (int)notify, 0);
	return PR_CONTINUE;
}

static enum proto_result
do_data(struct proto *p, const struct ipc_msg *m)
{
	const void *chunk;
	size_t len;

	if ((chunk = ipc_get_bytes(m, IPC_ATTR_CHUNK, &len)) == NULL) {
		strbuf_set_str(&p->why, "data without chunk");
		return PR_ERROR;
	}
	p->st.in_data = 1;
	cleanup_content(&p->st, chunk, len);
	return PR_CONTINUE;
}

static enum proto_result
do_end(struct proto *p, const struct ipc_msg *m)
{
	char id[QFILE_ID_LEN + 1] = "";
	struct strbuf reason;
	struct ipc_msg *reply = ipc_msg_new();
	int status;

	int64_t flags = 0;

	/* The SMTP server's access policy may say HOLD after the begin. */
	if (ipc_get_int(m, IPC_ATTR_FLAGS, &flags) == 0 && (flags & CLEANUP_F_HOLD))
		p->st.hold = 1;
	strbuf_init(&reason, 1024);
	status = cleanup_finish(&p->st, id, &reason);
	ipc_put_int(reply, IPC_ATTR_STATUS, status);
	if (status == 0)
		ipc_put_str(reply, IPC_ATTR_QUEUE_ID, id);
	else
		ipc_put_str(reply, IPC_ATTR_REASON, reason.data);
	if (ipc_send(p->fd, reply, (int)var_ipc_timeout * 1000) < 0)
		log_warn_errno("%s: cannot send reply to client", status == 0 ?
		    id : p->st.log_id);
	ipc_msg_free(reply);
	strbuf_release(&reason);
	cleanup_state_free(&p->st);
	p->state = PS_IDLE;
	return PR_CONTINUE;
}

static enum proto_result
do_abort(struct proto *p, const struct ipc_msg *m)
{
	(void)m;
	log_debug("%s: client abandoned the message", p->st.log_id);
	cleanup_state_free(&p->st);
	p->state = PS_IDLE;
	return PR_DONE;
}

static const struct {
	const char *req;
	enum proto_state state;
	enum proto_result (*fn)(struct proto *, const struct ipc_msg *);
} proto_table[] = {
	{ IPC_REQ_BEGIN, PS_IDLE, do_begin },
	{ IPC_REQ_RCPT, PS_MESSAGE, do_rcpt },
	{ IPC_REQ_DATA, PS_MESSAGE, do_data },
	{ IPC_REQ_END, PS_MESSAGE, do_end },
	{ IPC_REQ_ABORT, PS_MESSAGE, do_abort },
};

static enum proto_result
proto_dispatch(struct proto *p, const struct ipc_msg *m)
{
	const char *req = ipc_get_str(m, IPC_ATTR_REQ);
	size_t i;

	for (i = 0; req != NULL && i < sizeof(proto_table) / sizeof(proto_table[0]); i++) {
		if (strcmp(req, proto_table[i].req) != 0)
			continue;
		if (proto_table[i].state != p->state) {
			strbuf_set_printf(&p->why, "unexpected %s request", req);
			return PR_ERROR;
		}
		return proto_table[i].fn(p, m);
	}
	strbuf_set_printf(&p->why, "unknown request %.30s", req ? req : "(none)");
	return PR_ERROR;
}

void
cleanup_service(int fd)
{
	struct proto p;
	struct ipc_msg *m;
	enum proto_result r = PR_CONTINUE;
	uid_t uid;
	int rc;

	memset(&p, 0, sizeof(p));
	p.fd = fd;
	p.state = PS_IDLE;
	strbuf_init(&p.why, 1024);
	while (r == PR_CONTINUE) {
		rc = ipc_recv(fd, (size_t)var_ipc_frame_limit,
		    (int)var_ipc_timeout * 1000, &m, &p.why);
		if (rc <= 0) {
			if (rc < 0 || p.state != PS_IDLE)
				r = PR_ERROR;
			if (rc < 0 && p.why.len == 0)
				strbuf_set_str(&p.why, "connection lost");
			else if (rc == 0)
				strbuf_set_str(&p.why, "client disconnected");
			break;
		}
		r = proto_dispatch(&p, m);
		ipc_msg_free(m);
	}
	if (r == PR_ERROR) {
		if (peer_uid(fd, &uid) < 0)
			uid = (uid_t)-1;
		log_warn("%s: cleanup client uid=%ld: %s; message not queued",
		    p.state == PS_MESSAGE ? p.st.log_id : "NOQUEUE", (long)uid,
		    p.why.data);
	}
	if (p.state == PS_MESSAGE)
		cleanup_state_free(&p.st);
	strbuf_release(&p.why);
}
