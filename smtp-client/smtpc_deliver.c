/*
 * smtp-client/smtpc_deliver.c — the private/smtp service: one delivery
 * request from qmgr per connection (lib/ipc_names.h "delivery agents").
 *
 * The request is checked as local-delivery checks it (the same parser:
 * active/ID only, bounded strings, every recipient a pending recipient of
 * the queue file at its offset); the next hop is resolved into addresses,
 * which are tried in order until every recipient has a result.  The reply
 * gives each recipient's result, DSN, text and the relay (host[addr]:port)
 * for qmgr's log line.  A bad request is refused (logged), never fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>

#include "../local-delivery/local.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "smtp.h"

void
smtpc_post_jail(void)
{
	smtpc_route_init();
}

void
smtpc_fail_rest(struct smtpc_msg *msg, int result, const char *dsn,
    const char *text, int final)
{
	size_t i;

	for (i = 0; i < msg->nrcpt; i++) {
		struct smtpc_rcpt *r = &msg->rcpts[i];

		if (r->result >= 0)
			continue;
		strlcpy(r->dsn, dsn, sizeof(r->dsn));
		strbuf_set_str(&r->text, text);
		if (final)
			r->result = result;
	}
}

/* Route, then try the addresses in order. */
static void
deliver(struct smtpc_msg *msg)
{
	struct smtpc_hop hop;
	struct smtpc_route rt;
	struct strbuf why;
	enum smtpc_route_status st;
	size_t i;

	strbuf_init(&why, 4096);
	if (smtpc_hop_parse(msg->nexthop, &hop, &why) < 0) {
		smtpc_fail_rest(msg, DELIVER_DEFER, "4.3.5", why.data, 1);
		strbuf_release(&why);
		return;
	}
	st = smtpc_route_resolve(&hop, &rt, &why);
	if (st != SMTPC_ROUTE_OK) {
		smtpc_fail_rest(msg, st == SMTPC_ROUTE_BOUNCE ? DELIVER_BOUNCE :
		    DELIVER_DEFER, rt.dsn, why.data, 1);
	} else {
		for (i = 0; i < rt.n; i++)
			if (smtpc_session_run(msg, &rt.t[i]) == SMTPC_SESSION_DONE)
				break;
		/* Every address failed softly: the last reason stays. */
		for (i = 0; i < msg->nrcpt; i++)
			if (msg->rcpts[i].result < 0)
				msg->rcpts[i].result = DELIVER_DEFER;
	}
	smtpc_route_free(&rt);
	strbuf_release(&why);
}

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
deliver_all(int fd, const struct local_request *req, int qfd,
    const struct qfile_env *env)
{
	struct ipc_msg *reply = ipc_msg_new();
	struct smtpc_msg msg;
	size_t i;

	memset(&msg, 0, sizeof(msg));
	msg.id = req->queue_id;
	msg.sender = env->sender;
	msg.nexthop = req->nexthop;
	msg.qfd = qfd;
	msg.env = env;
	msg.nrcpt = req->nrcpt;
	msg.rcpts = calloc(req->nrcpt, sizeof(*msg.rcpts));
	if (msg.rcpts == NULL)
		log_fatal("out of memory");
	for (i = 0; i < msg.nrcpt; i++) {
		msg.rcpts[i].addr = req->rcpts[i].addr;
		msg.rcpts[i].result = -1;
		strlcpy(msg.rcpts[i].dsn, "4.3.0", sizeof(msg.rcpts[i].dsn));
		strlcpy(msg.rcpts[i].relay, "none", sizeof(msg.rcpts[i].relay));
		strbuf_init(&msg.rcpts[i].text, 4096);
	}
	deliver(&msg);
	ipc_put_int(reply, IPC_ATTR_STATUS, 0);
	for (i = 0; i < msg.nrcpt; i++) {
		ipc_put_int(reply, IPC_ATTR_RESULT, msg.rcpts[i].result);
		ipc_put_str(reply, IPC_ATTR_DSN, msg.rcpts[i].dsn);
		ipc_put_str(reply, IPC_ATTR_TEXT, msg.rcpts[i].text.data);
		ipc_put_str(reply, IPC_ATTR_RELAY, msg.rcpts[i].relay);
		strbuf_release(&msg.rcpts[i].text);
	}
	free(msg.rcpts);
	if (ipc_send(fd, reply, (int)var_ipc_timeout * 1000) < 0)
		log_warn_errno("%s: cannot send reply to qmgr", req->queue_id);
	ipc_msg_free(reply);
}

void
smtpc_service(int fd)
{
	struct ipc_msg *m = NULL;
	struct local_request req;
	struct qfile_env *env = NULL;
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
		deliver_all(fd, &req, qfd, env);
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
