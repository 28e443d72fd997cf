/*
 * qmgr/qmgr_dispatch.c — delivery requests to the agents.
 *
 * qmgr_active.c queues recipients here; they are grouped into requests of
 * at most the transport's recipient limit, queued per destination, and
 * started round-robin over the destinations while the transport has fewer
 * than default_process_limit requests in flight and the destination fewer
 * than its window.  The window is Postfix's: it starts at
 * initial_destination_concurrency, grows with deliveries that reached a
 * server, shrinks when the agent reports a site failure (IPC_ATTR_SITE_FAIL:
 * no server of the destination could be talked to), never past
 * <transport>_destination_concurrency_limit (qmgr_schedule.c does the
 * arithmetic).  A destination whose failed cohorts reach the limit is dead
 * for minimal_backoff_time: its waiting and new recipients are deferred at
 * once with "delivery temporarily suspended: " and the agent's reason, then
 * one probe request decides; a flush ('F') revives every dead destination.
 * A per-recipient 4xx/5xx is not a destination failure.  A request is one
 * non-blocking connection to
 * QUEUE_DIR/private/SERVICE driven by libevent: write the request frame,
 * read one reply frame (lib/ipc.h, limit ipc_frame_limit, timeout
 * ipc_timeout).  The agent is untrusted: a refused connection, a lost or
 * malformed reply or a timeout defers every recipient of the request
 * without a result.  A full listen queue (EAGAIN) pauses the transport for
 * a second instead.  Nothing here is fatal.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <bsd/string.h>
#include <event2/event.h>

#include "dsn.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "netio.h"
#include "qmgr.h"
#include "server.h"

#define PAUSE_SECONDS	1

/* Requests of the message being queued that may still take recipients. */
static struct qmgr_job_list open_jobs = TAILQ_HEAD_INITIALIZER(open_jobs);
static struct event *pause_ev;
static int running, run_again;
/* Dead destinations, kept after their queue is empty (the cache). */
static TAILQ_HEAD(, qmgr_dest) dead_list = TAILQ_HEAD_INITIALIZER(dead_list);

static void job_start(struct qmgr_job *job);
static void job_io(evutil_socket_t fd, short what, void *arg);

/* ---- destinations ---- */

static unsigned
dest_hash(const char *key)
{
	unsigned h = 2166136261u;

	for (; *key; key++)
		h = (h ^ (unsigned char)tolower((unsigned char)*key)) * 16777619u;
	return h % QMGR_DEST_BUCKETS;
}

static struct qmgr_dest *
dest_get(struct qmgr_transport *tp, const char *key)
{
	unsigned h = dest_hash(key);
	struct qmgr_dest *d;

	for (d = tp->buckets[h]; d != NULL; d = d->hnext)
		if (strcasecmp(d->key, key) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	d->key = xstrdup(key);
	d->tp = tp;
	qmgr_conc_init(&d->conc, &tp->conc);
	TAILQ_INIT(&d->queue);
	d->hnext = tp->buckets[h];
	tp->buckets[h] = d;
	return d;
}

int
qmgr_dispatch_dest_limit(const struct qmgr_transport *tp,
    const struct qmgr_dest *d)
{
	int limit = d->conc.window;

	/* A destination that was dead gets one request until it answers. */
	if (d->probing)
		return 1;
	if (*tp->dest_limit > 0 && limit > *tp->dest_limit)
		limit = (int)*tp->dest_limit;
	return limit < 1 ? 1 : limit;
}

/* Put d on (or take it off) the ready list as its state says; free it when
 * it has nothing left and is not remembered as dead. */
static void
dest_update(struct qmgr_transport *tp, struct qmgr_dest *d)
{
	struct qmgr_dest **pp;
	int ready = !TAILQ_EMPTY(&d->queue) && d->dead_until == 0 &&
	    d->inflight < qmgr_dispatch_dest_limit(tp, d);

	if (ready && !d->on_ready) {
		TAILQ_INSERT_TAIL(&tp->ready, d, link);
		d->on_ready = 1;
	} else if (!ready && d->on_ready) {
		TAILQ_REMOVE(&tp->ready, d, link);
		d->on_ready = 0;
	}
	if (d->inflight > 0 || !TAILQ_EMPTY(&d->queue) || d->on_dead ||
	    d->probing)
		return;
	for (pp = &tp->buckets[dest_hash(d->key)]; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == d) {
			*pp = d->hnext;
			break;
		}
	}
	free(d->key);
	free(d);
}

/* ---- dead destinations ---- */

/* Defer every recipient of a job that never started (its destination is
 * dead) and drop it. */
static void
job_defer_now(struct qmgr_job *job, const char *dsn, const char *text)
{
	struct qmgr_message *m = job->msg;
	size_t i;

	for (i = 0; i < job->n; i++)
		qmgr_active_result(m, job->idx[i], DELIVER_DEFER, dsn, text,
		    job->tp->name, NULL);
	strbuf_release(&job->io);
	free(job->idx);
	free(job->nexthop);
	free(job);
	qmgr_active_job_done(m);
}

static void
dest_forget_dead(struct qmgr_dest *d)
{
	if (d->on_dead) {
		TAILQ_REMOVE(&dead_list, d, dead_link);
		d->on_dead = 0;
	}
	d->dead_until = 0;
	free(d->dead_reason);
	d->dead_reason = NULL;
}

/* Free dead destinations that nobody asked for long after their dead time
 * (a message for them would have been retried by then). */
static void
dead_sweep(time_t now)
{
	struct qmgr_dest *d, *next;

	for (d = TAILQ_FIRST(&dead_list); d != NULL; d = next) {
		next = TAILQ_NEXT(d, dead_link);
		if (d->dead_until + var_max_backoff_time < now) {
			dest_forget_dead(d);
			d->probing = 0;
			dest_update(d->tp, d);
		}
	}
}

/* The destination failed its last cohort: suspend it, defer what waits. */
static void
dest_kill(struct qmgr_dest *d, const char *dsn, const char *why)
{
	struct qmgr_job *job;
	struct strbuf text;

	strbuf_init(&text, 2048);
	strbuf_printf(&text, "delivery temporarily suspended: %s",
	    why && *why ? why : "destination not reachable");
	if (!d->on_dead) {
		TAILQ_INSERT_TAIL(&dead_list, d, dead_link);
		d->on_dead = 1;
	}
	free(d->dead_reason);
	d->dead_reason = strbuf_detach(&text);
	strlcpy(d->dead_dsn, dsn_status_valid(dsn) && dsn[0] == '4' ? dsn :
	    "4.4.1", sizeof(d->dead_dsn));
	d->dead_until = time(NULL) + var_min_backoff_time;
	d->probing = 0;
	log_info("%s: destination %s is dead for %lds: %s", d->tp->name,
	    d->key, var_min_backoff_time, why && *why ? why : "");
	while ((job = TAILQ_FIRST(&d->queue)) != NULL) {
		TAILQ_REMOVE(&d->queue, job, link);
		job_defer_now(job, d->dead_dsn, d->dead_reason);
	}
	dest_update(d->tp, d);
}

/* The agent's verdict on the destination (not on each recipient). */
static void
dest_feedback(struct qmgr_dest *d, int site_fail, const char *dsn,
    const char *why)
{
	if (!site_fail) {
		if (d->probing) {
			d->probing = 0;
			qmgr_conc_init(&d->conc, &d->tp->conc);
		}
		qmgr_conc_success(&d->conc, &d->tp->conc);
		return;
	}
	if (d->dead_until != 0)
		return;		/* already dead: a late reply changes nothing */
	if (d->probing || qmgr_conc_failure(&d->conc, &d->tp->conc))
		dest_kill(d, dsn, why);
}

void
qmgr_dispatch_revive(void)
{
	struct qmgr_dest *d;

	while ((d = TAILQ_FIRST(&dead_list)) != NULL) {
		log_info("%s: destination %s: dead state reset by a flush",
		    d->tp->name, d->key);
		dest_forget_dead(d);
		d->probing = 0;
		qmgr_conc_init(&d->conc, &d->tp->conc);
		dest_update(d->tp, d);
	}
}

/* ---- queueing ---- */

static void
job_enqueue(struct qmgr_job *job)
{
	const char *key = *job->tp->rcpt_limit == 1 ?
	    job->msg->env->rcpts[job->idx[0]].addr : job->nexthop;
	time_t now = time(NULL);
	struct qmgr_dest *d;

	dead_sweep(now);
	d = job->dest = dest_get(job->tp, key);
	if (d->dead_until != 0) {
		if (now < d->dead_until) {
			/* Postfix: not contacted again until its time is up. */
			job_defer_now(job, d->dead_dsn, d->dead_reason);
			return;
		}
		/* The dead time is over: one probe request goes out. */
		dest_forget_dead(d);
		d->probing = 1;
	}
	TAILQ_INSERT_TAIL(&d->queue, job, link);
	dest_update(job->tp, d);
}

void
qmgr_dispatch_add(struct qmgr_message *m, struct qmgr_transport *tp,
    const char *nexthop, size_t i)
{
	struct qmgr_job *job;
	size_t cap;

	TAILQ_FOREACH(job, &open_jobs, link)
		if (job->msg == m && job->tp == tp &&
		    strcasecmp(job->nexthop, nexthop) == 0)
			break;
	if (job == NULL) {
		cap = (size_t)*tp->rcpt_limit < m->env->nrcpt ?
		    (size_t)*tp->rcpt_limit : m->env->nrcpt;
		job = xcalloc(1, sizeof(*job));
		job->msg = m;
		job->tp = tp;
		job->idx = xcalloc(cap ? cap : 1, sizeof(*job->idx));
		job->nexthop = xstrdup(nexthop);
		job->fd = -1;
		strbuf_init(&job->io, (size_t)var_ipc_frame_limit + 4);
		m->jobs++;
		TAILQ_INSERT_TAIL(&open_jobs, job, link);
	}
	job->idx[job->n++] = i;
	if (job->n >= (size_t)*tp->rcpt_limit) {
		TAILQ_REMOVE(&open_jobs, job, link);
		job_enqueue(job);
	}
}

void
qmgr_dispatch_flush(struct qmgr_message *m)
{
	struct qmgr_job *job, *next;

	for (job = TAILQ_FIRST(&open_jobs); job != NULL; job = next) {
		next = TAILQ_NEXT(job, link);
		if (job->msg != m)
			continue;
		TAILQ_REMOVE(&open_jobs, job, link);
		job_enqueue(job);
	}
}

static void
pause_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t i;

	(void)fd; (void)what; (void)arg;
	for (i = 0; qmgr_transport_at(i) != NULL; i++)
		qmgr_transport_at(i)->paused = 0;
	qmgr_dispatch_run();
}

static void
transport_pause(struct qmgr_transport *tp)
{
	struct timeval tv = { PAUSE_SECONDS, 0 };

	tp->paused = 1;
	if (pause_ev == NULL)
		pause_ev = evtimer_new(server_event_base(), pause_cb, NULL);
	if (pause_ev != NULL)
		evtimer_add(pause_ev, &tv);
}

void
qmgr_dispatch_run(void)
{
	struct qmgr_transport *tp;
	struct qmgr_dest *d;
	struct qmgr_job *job;
	size_t i;

	/* Finishing a request may start the next; no recursion. */
	if (running) {
		run_again = 1;
		return;
	}
	running = 1;
	do {
		run_again = 0;
		for (i = 0; (tp = qmgr_transport_at(i)) != NULL; i++) {
			while (!tp->paused && tp->busy < var_default_process_limit &&
			    (d = TAILQ_FIRST(&tp->ready)) != NULL) {
				job = TAILQ_FIRST(&d->queue);
				TAILQ_REMOVE(&d->queue, job, link);
				d->inflight++;
				tp->busy++;
				/* Round-robin: the destination goes to the back. */
				TAILQ_REMOVE(&tp->ready, d, link);
				d->on_ready = 0;
				dest_update(tp, d);
				job_start(job);
			}
		}
	} while (run_again);
	running = 0;
}

/* ---- one request ---- */

void
qmgr_request_build(const struct qmgr_job *job, struct ipc_msg *req)
{
	const struct qfile_env *env = job->msg->env;
	char qf[sizeof(QDIR_ACTIVE) + QFILE_ID_LEN + 2];
	size_t i;

	snprintf(qf, sizeof(qf), "%s/%s", QDIR_ACTIVE, job->msg->id);
	ipc_put_str(req, IPC_ATTR_REQ, IPC_REQ_DELIVER);
	ipc_put_str(req, IPC_ATTR_QUEUE_ID, job->msg->id);
	ipc_put_str(req, IPC_ATTR_QUEUE_FILE, qf);
	ipc_put_str(req, IPC_ATTR_SENDER, env->sender);
	ipc_put_str(req, IPC_ATTR_NEXTHOP, job->nexthop);
	if (job->tp != NULL && job->tp->agent_mode != NULL)
		ipc_put_str(req, IPC_ATTR_TRANSPORT, job->tp->agent_mode);
	for (i = 0; i < job->n; i++) {
		const struct qfile_rcpt *r = &env->rcpts[job->idx[i]];

		ipc_put_str(req, IPC_ATTR_RCPT, r->addr);
		ipc_put_str(req, IPC_ATTR_ORCPT, r->orcpt ? r->orcpt : "");
		ipc_put_int(req, IPC_ATTR_RCPT_OFFSET, (int64_t)r->status_off);
	}
}

static void
result_set(struct qmgr_result *r, int result, const char *dsn,
    const char *defdsn, const char *text)
{
	struct strbuf t;

	r->result = result;
	if (dsn_status_valid(dsn) && dsn[0] == defdsn[0])
		strlcpy(r->dsn, dsn, sizeof(r->dsn));
	else
		strlcpy(r->dsn, defdsn, sizeof(r->dsn));
	strbuf_init(&t, DSN_TEXT_MAX + 1);
	dsn_append_clean(&t, text ? text : "", DSN_TEXT_MAX);
	free(r->text);
	r->text = strbuf_detach(&t);
}

void
qmgr_reply_parse(const struct ipc_msg *reply, size_t n, const char *relay,
    struct qmgr_result *out)
{
	struct strbuf why;
	int64_t status, res;
	size_t i;

	strbuf_init(&why, 2048);
	if (ipc_get_int(reply, IPC_ATTR_STATUS, &status) < 0) {
		strbuf_printf(&why, "delivery temporarily suspended: malformed "
		    "reply from %s: no status", relay);
	} else if (status != 0) {
		/* The agent refused the whole request; say what it said. */
		const char *text = ipc_get_str(reply, IPC_ATTR_TEXT);

		strbuf_printf(&why, "%s", text && *text ? text :
		    "delivery agent refused the request");
	}
	for (i = 0; i < n; i++) {
		const char *dsn = ipc_get_str_n(reply, IPC_ATTR_DSN, i);
		const char *text = ipc_get_str_n(reply, IPC_ATTR_TEXT, i);

		out[i].text = NULL;
		if (why.len > 0) {
			result_set(&out[i], DELIVER_DEFER, NULL, "4.3.0", why.data);
		} else if (ipc_get_int_n(reply, IPC_ATTR_RESULT, i, &res) < 0 ||
		    (res != DELIVER_OK && res != DELIVER_DEFER && res != DELIVER_BOUNCE)) {
			strbuf_set_printf(&why, "delivery temporarily suspended: "
			    "malformed reply from %s: bad or missing result", relay);
			result_set(&out[i], DELIVER_DEFER, NULL, "4.3.0", why.data);
			strbuf_reset(&why);
		} else if (res == DELIVER_OK) {
			result_set(&out[i], DELIVER_OK, dsn, "2.0.0",
			    text ? text : "delivered");
		} else if (res == DELIVER_BOUNCE) {
			result_set(&out[i], DELIVER_BOUNCE, dsn, "5.0.0",
			    text ? text : "delivery failed");
		} else {
			result_set(&out[i], DELIVER_DEFER, dsn, "4.0.0",
			    text ? text : "delivery deferred");
		}
	}
	strbuf_release(&why);
}

/* The request is over: release the connection and the slot. */
static void
job_finish(struct qmgr_job *job)
{
	struct qmgr_transport *tp = job->tp;
	struct qmgr_message *m = job->msg;

	if (job->ev != NULL)
		event_free(job->ev);
	if (job->fd >= 0)
		close(job->fd);
	tp->busy--;
	job->dest->inflight--;
	dest_update(tp, job->dest);
	strbuf_release(&job->io);
	free(job->idx);
	free(job->nexthop);
	free(job);
	qmgr_active_job_done(m);
	qmgr_dispatch_run();
}

/* Defer every recipient of the request: the agent said nothing usable. */
static void job_fail(struct qmgr_job *job, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
job_fail(struct qmgr_job *job, const char *fmt, ...)
{
	struct strbuf text;
	va_list ap;
	size_t i;

	strbuf_init(&text, 2048);
	strbuf_append_str(&text, "delivery temporarily suspended: ");
	va_start(ap, fmt);
	strbuf_vprintf(&text, fmt, ap);
	va_end(ap);
	gettimeofday(&job->times.done, NULL);
	if (job->times.sent.tv_sec == 0)
		job->times.sent = job->times.done;
	for (i = 0; i < job->n; i++)
		qmgr_active_result(job->msg, job->idx[i], DELIVER_DEFER, "4.3.0",
		    text.data, job->tp->service, &job->times);
	strbuf_release(&text);
	/* The agent failed, not the destination: a probe that said nothing
	 * leaves the destination alive, with its initial window. */
	if (job->dest->probing) {
		job->dest->probing = 0;
		qmgr_conc_init(&job->dest->conc, &job->tp->conc);
	}
	job_finish(job);
}

/* A relay name from an agent goes into a log line: short, printable. */
static int
relay_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 300 || (unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == ',')
			return 0;
	return i > 0;
}

/* TLS text for the log: printable, no comma (it ends at the next field). */
static int
tls_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= 250 || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == ',')
			return 0;
	return 1;
}

/* Did the agent say it could not talk to any server of the destination? */
int
qmgr_reply_site_fail(const struct ipc_msg *reply)
{
	int64_t v;

	return ipc_get_int(reply, IPC_ATTR_SITE_FAIL, &v) == 0 && v != 0;
}

static void
job_reply(struct qmgr_job *job, struct ipc_msg *reply)
{
	struct qmgr_result *res = xcalloc(job->n, sizeof(*res));
	int site_fail = qmgr_reply_site_fail(reply);
	size_t i;

	gettimeofday(&job->times.done, NULL);
	qmgr_reply_parse(reply, job->n, job->tp->service, res);
	/* Feedback before the results: a dead destination's waiting requests
	 * are deferred with the reason of this one. */
	dest_feedback(job->dest, site_fail, res[0].dsn, res[0].text);
	for (i = 0; i < job->n; i++) {
		/* An agent may name the server it used (smtp: host[addr]:port). */
		const char *relay = ipc_get_str_n(reply, IPC_ATTR_RELAY, i);
		const char *tls = ipc_get_str_n(reply, IPC_ATTR_TLS, i);
		char where[600];

		if (relay == NULL || !relay_ok(relay))
			relay = job->tp->service;
		/* The session's TLS goes into the log line after relay=
		 * ("tls=Verified TLS TLSv1.3 with cipher ..."). */
		if (tls != NULL && tls[0] != '\0' && tls_ok(tls)) {
			snprintf(where, sizeof(where), "%s, tls=%s", relay, tls);
			relay = where;
		}
		qmgr_active_result(job->msg, job->idx[i], res[i].result, res[i].dsn,
		    res[i].text, relay, &job->times);
		free(res[i].text);
	}
	free(res);
	job_finish(job);
}

static int
job_wait(struct qmgr_job *job, short what)
{
	struct timeval tv = { var_ipc_timeout > 0 ? var_ipc_timeout : 3600, 0 };

	event_free(job->ev);
	job->ev = event_new(server_event_base(), job->fd, what | EV_PERSIST,
	    job_io, job);
	return job->ev == NULL ? -1 : event_add(job->ev, &tv);
}

static void
job_read(struct qmgr_job *job)
{
	char buf[16384];
	struct ipc_msg *reply = NULL;
	struct strbuf why;
	size_t used;
	ssize_t n;
	int rc;

	n = read(job->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		job_fail(job, "lost connection with %s", job->tp->service);
		return;
	}
	if (strbuf_append(&job->io, buf, (size_t)n) < 0) {
		job_fail(job, "reply from %s is too large", job->tp->service);
		return;
	}
	strbuf_init(&why, 1024);
	rc = ipc_decode(job->io.data, job->io.len, (size_t)var_ipc_frame_limit,
	    &reply, &used, &why);
	if (rc < 0) {
		log_warn("%s: malformed reply from %s: %s", job->msg->id,
		    job->tp->service, why.data);
		job_fail(job, "malformed reply from %s: %s", job->tp->service, why.data);
	} else if (rc > 0) {
		job_reply(job, reply);
		ipc_msg_free(reply);
	}
	strbuf_release(&why);
}

static void
job_io(evutil_socket_t fd, short what, void *arg)
{
	struct qmgr_job *job = arg;
	ssize_t n;

	(void)fd;
	if (what & EV_TIMEOUT) {
		job_fail(job, "conversation with %s timed out", job->tp->service);
		return;
	}
	if (!job->sending) {
		job_read(job);
		return;
	}
	n = write(job->fd, job->io.data + job->io_off, job->io.len - job->io_off);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		job_fail(job, "lost connection with %s: %s", job->tp->service, strerror(errno));
		return;
	}
	job->io_off += (size_t)n;
	if (job->io_off < job->io.len)
		return;
	job->sending = 0;
	gettimeofday(&job->times.sent, NULL);
	strbuf_reset(&job->io);
	if (job_wait(job, EV_READ) < 0)
		job_fail(job, "cannot wait for %s", job->tp->service);
}

static void
job_start(struct qmgr_job *job)
{
	struct timeval tv = { var_ipc_timeout > 0 ? var_ipc_timeout : 3600, 0 };
	char path[PATH_MAX];
	struct ipc_msg *req;
	size_t i;

	gettimeofday(&job->times.start, NULL);
	for (i = 0; i < job->n; i++)
		job->msg->rs[job->idx[i]].state = QR_BUSY;
	if (service_path(path, sizeof(path), var_queue_dir, QDIR_PRIVATE,
	    job->tp->service) < 0) {
		job_fail(job, "bad socket path for %s", job->tp->service);
		return;
	}
	if ((job->fd = unix_connect_nonblock(path)) < 0) {
		if (errno == EAGAIN) {
			/* The agent's listen queue is full: try again soon. */
			job->tp->busy--;
			job->dest->inflight--;
			TAILQ_INSERT_HEAD(&job->dest->queue, job, link);
			dest_update(job->tp, job->dest);
			transport_pause(job->tp);
			return;
		}
		job_fail(job, "connect to private/%s: %s", job->tp->service, strerror(errno));
		return;
	}
	req = ipc_msg_new();
	qmgr_request_build(job, req);
	strbuf_reset(&job->io);
	if (ipc_encode(req, &job->io) < 0) {
		ipc_msg_free(req);
		job_fail(job, "request to %s is too large", job->tp->service);
		return;
	}
	ipc_msg_free(req);
	job->io_off = 0;
	job->sending = 1;
	job->ev = event_new(server_event_base(), job->fd, EV_WRITE | EV_PERSIST,
	    job_io, job);
	if (job->ev == NULL || event_add(job->ev, &tv) < 0)
		job_fail(job, "cannot wait for %s", job->tp->service);
}
