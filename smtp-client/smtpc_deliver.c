/*
 * smtp-client/smtpc_deliver.c — the private/smtp (and private/lmtp)
 * service: one job per connection from qmgr (lib/ipc_names.h "delivery
 * agents"), many jobs at once on the event loop.
 *
 * The request is read without blocking and checked as local-delivery
 * checks it (the same parser: active/ID only, bounded strings, every
 * recipient a pending recipient of the queue file at its offset).  A job
 * first tries an idle connection to the same destination; otherwise the
 * next hop is resolved (smtpc_route.c) and the addresses are tried in
 * order until every recipient has a result.  The reply gives each
 * recipient's result, DSN, text and relay (host[addr]:port), and
 * site_fail when no server of the destination could be talked to (qmgr's
 * dead-destination feedback).  A bad request is refused (logged), never
 * fatal; qmgr is trusted no more than any peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "../local-delivery/local.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "server.h"
#include "smtp.h"

struct smtpc_job {
	struct bufferevent *bev;	/* the connection from qmgr */
	struct ipc_msg *req_msg;
	struct local_request req;
	int	have_req;
	struct qfile_env *env;
	int	qfd;
	struct smtpc_msg msg;
	struct smtpc_hop hop;
	struct smtpc_route_req *rq;
	struct smtpc_route rt;
	size_t	next;			/* next address of rt */
	int	routed;
	int	reached;		/* a server got as far as MAIL FROM */
	int	replied;
	int	qmgr_gone;		/* the connection failed before the reply */
	char   *cache_key;
	struct tls_policy *tls;
};

int	smtpc_lmtp;

void
smtpc_pre_jail(void)
{
	const char *name = server_service_name();

	smtpc_lmtp = name != NULL && strcmp(name, "lmtp") == 0;
	smtpc_tls_init();
	smtpc_sasl_init();
}

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

/* ---- the end of a job ---- */

static void
job_free(struct smtpc_job *job)
{
	size_t i;

	if (job->rq != NULL)
		smtpc_route_cancel(job->rq);
	smtpc_route_free(&job->rt);
	for (i = 0; i < job->msg.nrcpt; i++)
		strbuf_release(&job->msg.rcpts[i].text);
	free(job->msg.rcpts);
	if (job->qfd >= 0)
		close(job->qfd);
	qfile_env_free(job->env);
	if (job->have_req)
		local_request_free(&job->req);
	ipc_msg_free(job->req_msg);
	smtpc_tls_policy_free(job->tls);
	free(job->cache_key);
	if (job->bev != NULL)
		bufferevent_free(job->bev);
	free(job);
	server_conn_done();
}

static void
job_written(struct bufferevent *bev, void *arg)
{
	(void)bev;
	job_free(arg);
}

static void
job_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtpc_job *job = arg;

	(void)bev;
	(void)what;
	/* After the reply: it could not be written.  Before: qmgr went
	 * away; the delivery goes on (a session may hold the job) and its
	 * reply is dropped. */
	if (job->replied) {
		job_free(job);
		return;
	}
	job->qmgr_gone = 1;
	bufferevent_disable(job->bev, EV_READ | EV_WRITE);
}

/* Send frame m (freed) and end the job once it is written. */
static void
job_send(struct smtpc_job *job, struct ipc_msg *m)
{
	struct strbuf out;

	job->replied = 1;
	if (job->qmgr_gone) {
		ipc_msg_free(m);
		job_free(job);
		return;
	}
	strbuf_init(&out, STRBUF_NOLIMIT);
	if (ipc_encode(m, &out) < 0)
		log_panic("cannot encode a reply");
	ipc_msg_free(m);
	bufferevent_setcb(job->bev, NULL, job_written, job_event, job);
	bufferevent_enable(job->bev, EV_WRITE);
	bufferevent_write(job->bev, out.data, out.len);
	strbuf_release(&out);
}

static void
job_refuse(struct smtpc_job *job, const char *id, const char *text)
{
	struct ipc_msg *reply = ipc_msg_new();

	log_warn("%s: refusing delivery request: %s", id, text);
	ipc_put_int(reply, IPC_ATTR_STATUS, DELIVER_DEFER);
	ipc_put_str(reply, IPC_ATTR_TEXT, text);
	job_send(job, reply);
}

static void
job_reply(struct smtpc_job *job)
{
	struct ipc_msg *reply = ipc_msg_new();
	struct smtpc_msg *msg = &job->msg;
	int all_defer = 1;
	size_t i;

	for (i = 0; i < msg->nrcpt; i++) {
		if (msg->rcpts[i].result < 0)
			msg->rcpts[i].result = DELIVER_DEFER;
		if (msg->rcpts[i].result != DELIVER_DEFER)
			all_defer = 0;
	}
	ipc_put_int(reply, IPC_ATTR_STATUS, 0);
	for (i = 0; i < msg->nrcpt; i++) {
		ipc_put_int(reply, IPC_ATTR_RESULT, msg->rcpts[i].result);
		ipc_put_str(reply, IPC_ATTR_DSN, msg->rcpts[i].dsn);
		ipc_put_str(reply, IPC_ATTR_TEXT, msg->rcpts[i].text.data);
		ipc_put_str(reply, IPC_ATTR_RELAY, msg->rcpts[i].relay);
		ipc_put_str(reply, IPC_ATTR_TLS, msg->rcpts[i].tls);
	}
	/* Nobody of the destination would talk to us: qmgr slows down or
	 * suspends the destination (its dead-destination cache). */
	if (all_defer && !job->reached && msg->nrcpt > 0)
		ipc_put_int(reply, IPC_ATTR_SITE_FAIL, 1);
	job_send(job, reply);
}

/* ---- addresses in turn ---- */

static void route_done(void *arg, enum smtpc_route_status st,
	    struct smtpc_route *rt, const char *why);

static void
next_target(struct smtpc_job *job)
{
	if (!job->routed) {
		/* A reused connection let the recipients down softly: now
		 * the destination's addresses. */
		job->rq = smtpc_route_start(&job->hop, route_done, job);
		return;
	}
	if (job->next >= job->rt.n) {
		job_reply(job);	/* the last soft reason stays */
		return;
	}
	job->msg.final = job->next + 1 >= job->rt.n;
	smtpc_session_start(job, &job->msg, &job->rt.t[job->next++],
	    job->cache_key);
}

void
smtpc_job_session_done(struct smtpc_job *job, enum smtpc_session_status st,
    int site_fail)
{
	if (!site_fail)
		job->reached = 1;
	if (st == SMTPC_SESSION_NEXT)
		next_target(job);
	else
		job_reply(job);
}

static void
route_done(void *arg, enum smtpc_route_status st, struct smtpc_route *rt,
    const char *why)
{
	struct smtpc_job *job = arg;

	job->rq = NULL;		/* freed by smtpc_route.c after this call */
	job->routed = 1;
	if (st != SMTPC_ROUTE_OK) {
		smtpc_fail_rest(&job->msg, st == SMTPC_ROUTE_BOUNCE ?
		    DELIVER_BOUNCE : DELIVER_DEFER, rt->dsn, why, 1);
		job_reply(job);
		return;
	}
	job->rt = *rt;
	rt->t = NULL;
	rt->n = 0;
	next_target(job);
}

/* ---- the request ---- */

static void
job_start(struct smtpc_job *job)
{
	struct smtpc_msg *msg = &job->msg;
	const struct qfile_env *env = job->env;
	const struct local_request *req = &job->req;
	struct strbuf why, key;
	size_t i, k;

	memset(msg, 0, sizeof(*msg));
	msg->id = req->queue_id;
	msg->sender = env->sender;
	msg->nexthop = req->nexthop;
	msg->qfd = job->qfd;
	msg->env = env;
	msg->envid = qfile_env_attr(env, IPC_ATTR_ENVID);
	msg->ret = qfile_env_attr(env, IPC_ATTR_RET);
	msg->eightbit = -1;
	msg->nrcpt = req->nrcpt;
	msg->rcpts = calloc(req->nrcpt ? req->nrcpt : 1, sizeof(*msg->rcpts));
	if (msg->rcpts == NULL)
		log_fatal("out of memory");
	for (i = 0; i < msg->nrcpt; i++) {
		struct smtpc_rcpt *r = &msg->rcpts[i];

		r->addr = req->rcpts[i].addr;
		r->orcpt = req->rcpts[i].orcpt;
		for (k = 0; k < env->nrcpt; k++)
			if (env->rcpts[k].status_off == req->rcpts[i].offset)
				r->notify = env->rcpts[k].notify;
		r->result = -1;
		strlcpy(r->dsn, "4.3.0", sizeof(r->dsn));
		strlcpy(r->relay, "none", sizeof(r->relay));
		r->tls[0] = '\0';
		strbuf_init(&r->text, 4096);
	}
	strbuf_init(&why, 4096);
	strbuf_init(&key, 4096);
	if (smtpc_hop_parse(msg->nexthop, smtpc_lmtp, &job->hop, &why) < 0) {
		smtpc_fail_rest(msg, DELIVER_DEFER, "4.3.5", why.data, 1);
		job_reply(job);
		goto out;
	}
	if (smtpc_tls_policy_lookup(msg->nexthop, job->hop.host, &job->tls,
	    &why) < 0) {
		smtpc_fail_rest(msg, DELIVER_DEFER, "4.3.0", why.data, 1);
		job_reply(job);
		goto out;
	}
	msg->tls = job->tls;
	/* Connections are shared by destination (and, with sender-dependent
	 * logins, by sender). */
	strbuf_printf(&key, "%s\n%s", server_service_name(), msg->nexthop);
	if (smtpc_sasl_sender_dependent())
		strbuf_printf(&key, "\n%s", msg->sender);
	if ((job->cache_key = strdup(key.data)) == NULL)
		log_fatal("out of memory");
	msg->final = 1;
	if (!smtpc_session_reuse(job, msg, job->cache_key))
		job->rq = smtpc_route_start(&job->hop, route_done, job);
out:
	strbuf_release(&why);
	strbuf_release(&key);
}

/* A whole request frame arrived. */
static void
job_request(struct smtpc_job *job, struct ipc_msg *m)
{
	struct strbuf why, path;

	job->req_msg = m;
	strbuf_init(&why, 4096);
	strbuf_init(&path, 4096);
	if (local_request_parse(m, &job->req, &why) < 0) {
		job_refuse(job, "NOQUEUE", why.data);
		goto out;
	}
	job->have_req = 1;
	strbuf_printf(&path, "%s/%s", var_queue_dir, job->req.queue_file);
	if ((job->qfd = open(path.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		strbuf_set_printf(&why, "cannot open queue file: %s", strerror(errno));
		job_refuse(job, job->req.queue_id, why.data);
	} else if (qfile_read_envelope(job->qfd, &job->env, &why) < 0) {
		strbuf_set_printf(&path, "corrupt queue file: %s", why.data);
		job_refuse(job, job->req.queue_id, path.data);
	} else if (local_request_match(&job->req, job->env, &why) < 0) {
		job_refuse(job, job->req.queue_id, why.data);
	} else {
		strlcpy(job->env->id, job->req.queue_id, sizeof(job->env->id));
		job_start(job);
	}
out:
	strbuf_release(&why);
	strbuf_release(&path);
}

static void
job_read(struct bufferevent *bev, void *arg)
{
	struct smtpc_job *job = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len = evbuffer_get_length(in), used = 0;
	struct ipc_msg *m = NULL;
	struct strbuf why;
	int rc;

	strbuf_init(&why, 1024);
	rc = ipc_decode(evbuffer_pullup(in, -1), len, (size_t)var_ipc_frame_limit,
	    &m, &used, &why);
	if (rc == 0) {
		strbuf_release(&why);
		return;		/* more to come */
	}
	bufferevent_disable(bev, EV_READ);
	bufferevent_set_timeouts(bev, NULL, NULL);
	bufferevent_setcb(bev, NULL, NULL, job_event, job);
	evbuffer_drain(in, len);
	if (rc < 0) {
		log_warn("malformed request from qmgr: %s", why.data);
		strbuf_release(&why);
		job_free(job);
		return;
	}
	strbuf_release(&why);
	job_request(job, m);
}

static void
job_first_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & BEV_EVENT_TIMEOUT)
		log_warn("timeout reading a request from qmgr");
	job_free(arg);
}

void
smtpc_accept(int fd)
{
	struct smtpc_job *job = calloc(1, sizeof(*job));
	struct timeval tv = { var_ipc_timeout, 0 };

	if (job == NULL)
		log_fatal("out of memory");
	job->qfd = -1;
	job->bev = bufferevent_socket_new(server_event_base(), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (job->bev == NULL)
		log_fatal("cannot make a connection's events");
	/* A request frame is bounded by ipc_frame_limit; nothing more is
	 * read until it has been answered. */
	bufferevent_setwatermark(job->bev, EV_READ, 0,
	    (size_t)var_ipc_frame_limit + 64);
	bufferevent_set_timeouts(job->bev, &tv, NULL);
	bufferevent_setcb(job->bev, job_read, NULL, job_first_event, job);
	bufferevent_enable(job->bev, EV_READ);
}
