/*
 * qmgr/qmgr_active.c — messages in the active queue.
 *
 * qmgr_scan.c moves a file into active/ and calls qmgr_active_open(); this
 * module reads the envelope (a file that does not parse goes to corrupt/),
 * resolves each pending recipient to a transport and hands it to
 * qmgr_dispatch.c.  Results come back one recipient at a time: a delivered
 * recipient is marked done in the file at once (delivery is at-least-once:
 * the mark comes only after the agent said so); when the last request of a
 * message is finished the attempt ends: bounces are queued first, then the
 * file is removed when nothing is left, or moved to deferred/ with its
 * mtime set to the next retry time (after a "delayed mail" notice once the
 * message is older than delay_warning_time).  A file that vanished from
 * active/ meanwhile (tegami queue delete/hold) is only logged.  Queue-file
 * trouble is a warning for that message; the daemon carries on.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bsd/string.h>

#include "dsn.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "qmgr.h"

static TAILQ_HEAD(, qmgr_message) active = TAILQ_HEAD_INITIALIZER(active);
static size_t nactive;

size_t
qmgr_active_count(void)
{
	return nactive;
}

/* orig_to= is logged when the ORCPT differs from the recipient. */
static const char *
orcpt_address(const char *orcpt)
{
	if (orcpt == NULL || *orcpt == '\0')
		return NULL;
	if (strncasecmp(orcpt, "rfc822;", 7) == 0)
		orcpt += 7;
	while (*orcpt == ' ')
		orcpt++;
	return *orcpt ? orcpt : NULL;
}

static void
log_result(struct qmgr_message *m, size_t i, const char *relay,
    const struct qmgr_times *t, const char *status)
{
	const struct qfile_rcpt *r = &m->env->rcpts[i];
	const struct qmgr_rstat *rs = &m->rs[i];
	struct timeval now, arrival = { .tv_sec = (time_t)m->env->arrival };
	char d[16], a[16], b[16], c[16], dd[16];
	const char *orig = orcpt_address(r->orcpt);
	struct strbuf line;

	gettimeofday(&now, NULL);
	qmgr_format_delay(qmgr_tv_diff(t ? &t->done : &now, &arrival), d, sizeof(d));
	qmgr_format_delay(qmgr_tv_diff(&m->t_active, &arrival), a, sizeof(a));
	qmgr_format_delay(t ? qmgr_tv_diff(&t->start, &m->t_active) :
	    qmgr_tv_diff(&now, &m->t_active), b, sizeof(b));
	qmgr_format_delay(t ? qmgr_tv_diff(&t->sent, &t->start) : 0, c, sizeof(c));
	qmgr_format_delay(t ? qmgr_tv_diff(&t->done, &t->sent) : 0, dd, sizeof(dd));

	strbuf_init(&line, 4096);
	strbuf_printf(&line, "%s: to=<", m->id);
	dsn_append_clean(&line, r->addr, 512);
	strbuf_append_str(&line, ">, ");
	if (orig != NULL && strcasecmp(orig, r->addr) != 0) {
		strbuf_append_str(&line, "orig_to=<");
		dsn_append_clean(&line, orig, 512);
		strbuf_append_str(&line, ">, ");
	}
	strbuf_printf(&line, "relay=%s, delay=%s, delays=%s/%s/%s/%s, dsn=%s, "
	    "status=%s (", relay, d, a, b, c, dd, rs->dsn, status);
	dsn_append_clean(&line, rs->text ? rs->text : "", DSN_TEXT_MAX);
	strbuf_append_char(&line, ')');
	log_info("%s", line.data);
	strbuf_release(&line);
}

static void
set_status(struct qmgr_rstat *rs, int state, const char *dsn,
    const char *defdsn, const char *text)
{
	rs->state = state;
	/* The status must be of the class the result says. */
	if (dsn_status_valid(dsn) && dsn[0] == defdsn[0])
		strlcpy(rs->dsn, dsn, sizeof(rs->dsn));
	else
		strlcpy(rs->dsn, defdsn, sizeof(rs->dsn));
	free(rs->text);
	rs->text = xstrdup(text ? text : "");
}

void
qmgr_active_result(struct qmgr_message *m, size_t i, int result,
    const char *dsn, const char *text, const char *relay,
    const struct qmgr_times *times)
{
	struct qmgr_rstat *rs = &m->rs[i];

	switch (result) {
	case DELIVER_OK:
		set_status(rs, QR_SENT, dsn, "2.0.0", text);
		if (qfile_mark_rcpt(m->fd, &m->env->rcpts[i], QF_RCPT_DONE) < 0)
			log_warn_errno("%s: cannot mark recipient done "
			    "(it may be delivered again)", m->id);
		log_result(m, i, relay, times, "sent");
		break;
	case DELIVER_BOUNCE:
		set_status(rs, QR_BOUNCE, dsn, "5.0.0", text);
		log_result(m, i, relay, times, "bounced");
		break;
	default:
		set_status(rs, QR_DEFER, dsn, "4.0.0", text);
		log_result(m, i, relay, times, "deferred");
		if (qmgr_deferlog_append(var_queue_dir, m->id,
		    m->env->rcpts[i].addr, rs->text) < 0)
			log_warn_errno("%s: cannot append to the defer log", m->id);
		break;
	}
}

static void
message_free(struct qmgr_message *m)
{
	size_t i;

	TAILQ_REMOVE(&active, m, link);
	nactive--;
	if (m->fd >= 0)
		close(m->fd);
	for (i = 0; m->rs != NULL && i < m->env->nrcpt; i++)
		free(m->rs[i].text);
	free(m->rs);
	qfile_env_free(m->env);
	free(m);
}

/* RFC 3461: a recipient with NOTIFY that lacks FAILURE gets no bounce. */
static int
wants_failure_notice(const struct qfile_rcpt *r)
{
	return r->notify == 0 || (r->notify & DSN_NOTIFY_FAILURE) != 0;
}

/* Queue the bounce for every bounced recipient; when that fails they stay
 * deferred (the reason is kept, the next attempt tries again). */
static void
send_bounces(struct qmgr_message *m)
{
	size_t i, n = 0, *idx = xcalloc(m->env->nrcpt, sizeof(*idx));
	char newid[QFILE_ID_LEN + 1];
	struct strbuf err;

	for (i = 0; i < m->env->nrcpt; i++)
		if (m->rs[i].state == QR_BOUNCE && wants_failure_notice(&m->env->rcpts[i]))
			idx[n++] = i;
	if (n == 0) {
		free(idx);
		return;
	}
	if (m->env->sender[0] == '\0') {
		/* XXX Postfix sends a "double bounce" to postmaster here; the
		 * first cut logs and drops it. */
		log_info("%s: sender is null, discarding bounce", m->id);
		free(idx);
		return;
	}
	strbuf_init(&err, 1024);
	if (qmgr_bounce_send(m, idx, n, 0, newid, &err) == 0) {
		log_info("%s: sender non-delivery notification: %s", m->id, newid);
	} else {
		log_warn("%s: cannot queue the non-delivery notification: %s",
		    m->id, err.data);
		for (i = 0; i < n; i++) {
			m->rs[idx[i]].state = QR_DEFER;
			if (qmgr_deferlog_append(var_queue_dir, m->id,
			    m->env->rcpts[idx[i]].addr, m->rs[idx[i]].text) < 0)
				log_warn_errno("%s: cannot append to the defer log",
				    m->id);
		}
	}
	strbuf_release(&err);
	free(idx);
}

/* RFC 3461: NOTIFY absent means Postfix's default (delay notices on when
 * delay_warning_time is set); NOTIFY=NEVER or a list without DELAY: none. */
static int
wants_delay_notice(const struct qfile_rcpt *r)
{
	return r->notify == 0 || (r->notify & DSN_NOTIFY_DELAY) != 0;
}

/* Once the message is older than delay_warning_time, its sender gets one
 * "delayed mail" notice for the recipients still deferred.  "Once" is the
 * QFILE_F_DELAY_WARNED flag in the queue file, set after cleanup queued the
 * notice (a crash between the two repeats the notice, never loses it). */
static void
send_delay_notice(struct qmgr_message *m, int64_t now)
{
	size_t i, n = 0, *idx;
	char newid[QFILE_ID_LEN + 1];
	struct strbuf err;

	if (!qmgr_delay_warning_due(now, m->env->arrival, var_delay_warning_time) ||
	    (m->env->flags & QFILE_F_DELAY_WARNED) != 0 ||
	    m->env->sender[0] == '\0')
		return;
	if (m->env->flags_off == 0) {
		/* Nowhere to record it: no notice rather than one per retry. */
		log_warn("%s: no flags record, no delay notice", m->id);
		return;
	}
	idx = xcalloc(m->env->nrcpt, sizeof(*idx));
	for (i = 0; i < m->env->nrcpt; i++)
		if (m->rs[i].state == QR_DEFER && wants_delay_notice(&m->env->rcpts[i]))
			idx[n++] = i;
	strbuf_init(&err, 1024);
	if (n == 0) {
		/* Nobody asked: remember that the time has come anyway. */
		if (qfile_set_flag(m->fd, m->env, QFILE_F_DELAY_WARNED) < 0)
			log_warn_errno("%s: cannot record the delay notice", m->id);
	} else if (qmgr_bounce_send(m, idx, n, 1, newid, &err) == 0) {
		log_info("%s: sender delay notification: %s", m->id, newid);
		if (qfile_set_flag(m->fd, m->env, QFILE_F_DELAY_WARNED) < 0)
			log_warn_errno("%s: cannot record the delay notice (it "
			    "may be sent again)", m->id);
	} else {
		log_warn("%s: cannot queue the delay notification: %s", m->id,
		    err.data);
	}
	strbuf_release(&err);
	free(idx);
}

static void
defer_message(struct qmgr_message *m, int64_t now)
{
	long wait = qmgr_backoff(now, m->env->arrival, var_min_backoff_time,
	    var_max_backoff_time);
	struct timespec ts[2];

	/* Like Postfix, the mtime of a deferred file is its next retry time. */
	ts[0].tv_sec = (time_t)now;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = (time_t)(now + wait);
	ts[1].tv_nsec = 0;
	if (futimens(m->fd, ts) < 0)
		log_warn_errno("%s: cannot set the retry time", m->id);
	if (qfile_move(var_queue_dir, QDIR_ACTIVE, QDIR_DEFERRED, m->id) == 0)
		return;
	if (errno == ENOENT)
		/* tegami queue delete or hold took it while it was active. */
		log_info("%s: removed from %s/ during delivery", m->id, QDIR_ACTIVE);
	else
		log_warn_errno("%s: cannot move to %s/ (it stays in %s/ until "
		    "qmgr restarts)", m->id, QDIR_DEFERRED, QDIR_ACTIVE);
}

static void
remove_message(struct qmgr_message *m)
{
	char path[PATH_MAX];

	qfile_path(path, sizeof(path), var_queue_dir, QDIR_ACTIVE, m->id);
	if (unlink(path) < 0 && errno != ENOENT) {
		log_warn_errno("%s: cannot remove %s", m->id, path);
		return;
	}
	qmgr_deferlog_remove(var_queue_dir, m->id);
	log_info("%s: removed", m->id);
}

/* The end of a delivery attempt: every recipient has a result. */
static void
message_finish(struct qmgr_message *m)
{
	int64_t now = (int64_t)time(NULL);
	size_t i, deferred = 0, expired = 0;

	if (qmgr_expired(now, m->env->arrival, m->env->sender[0] == '\0',
	    var_max_queue_lifetime, var_bounce_queue_lifetime)) {
		for (i = 0; i < m->env->nrcpt; i++) {
			if (m->rs[i].state == QR_DEFER) {
				/* Action: failed with the last (4.x.y) reason. */
				m->rs[i].state = QR_BOUNCE;
				expired++;
			}
		}
		if (expired > 0)
			log_info("%s: from=<%s>, status=expired, returned to sender",
			    m->id, m->env->sender);
	}
	send_bounces(m);
	for (i = 0; i < m->env->nrcpt; i++) {
		if (m->rs[i].state == QR_BOUNCE &&
		    qfile_mark_rcpt(m->fd, &m->env->rcpts[i], QF_RCPT_DONE) < 0)
			log_warn_errno("%s: cannot mark recipient done", m->id);
		if (m->rs[i].state == QR_DEFER)
			deferred++;
	}
	if (deferred == 0) {
		remove_message(m);
	} else {
		send_delay_notice(m, now);
		defer_message(m, now);
	}
	message_free(m);
	qmgr_scan_kick();
}

void
qmgr_active_job_done(struct qmgr_message *m)
{
	if (m->jobs > 0)
		m->jobs--;
	if (m->jobs == 0)
		message_finish(m);
}

static void
move_corrupt(const char *id, const char *why)
{
	if (qfile_move(var_queue_dir, QDIR_ACTIVE, QDIR_CORRUPT, id) < 0)
		log_warn_errno("%s: corrupt queue file: %s; cannot move to %s/",
		    id, why, QDIR_CORRUPT);
	else
		log_warn("%s: corrupt queue file: %s, moved to %s/", id, why,
		    QDIR_CORRUPT);
}

/* Resolve every pending recipient and queue it for its transport. */
static void
queue_recipients(struct qmgr_message *m)
{
	struct strbuf nexthop, why;
	struct qmgr_route rt;
	const char *filter = qfile_env_attr(m->env, "filter");
	size_t i;

	strbuf_init(&nexthop, 1024);
	strbuf_init(&why, 1024);
	for (i = 0; i < m->env->nrcpt; i++) {
		if (m->env->rcpts[i].status == QF_RCPT_DONE) {
			m->rs[i].state = QR_SKIP;
			continue;
		}
		if (filter != NULL && *filter != '\0')
			qmgr_transport_filter(filter, m->env->rcpts[i].addr, &rt,
			    &nexthop, &why);
		else
			qmgr_transport_route(m->env->rcpts[i].addr, &rt, &nexthop,
			    &why);
		if (rt.kind == QMGR_ROUTE_DELIVER) {
			m->rs[i].state = QR_TODO;
			qmgr_dispatch_add(m, rt.tp, nexthop.data, i);
		} else {
			qmgr_active_result(m, i, rt.kind == QMGR_ROUTE_BOUNCE ?
			    DELIVER_BOUNCE : DELIVER_DEFER, rt.dsn, why.data,
			    rt.relay, NULL);
		}
	}
	qmgr_dispatch_flush(m);
	strbuf_release(&nexthop);
	strbuf_release(&why);
}

void
qmgr_active_open(const char *id)
{
	char path[PATH_MAX];
	struct qmgr_message *m;
	struct qfile_env *env;
	struct strbuf why;
	struct stat st;
	int fd;

	qfile_path(path, sizeof(path), var_queue_dir, QDIR_ACTIVE, id);
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		log_warn_errno("%s: open %s", id, path);
		return;
	}
	strbuf_init(&why, 1024);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		move_corrupt(id, "not a regular file");
		strbuf_release(&why);
		return;
	}
	if (qfile_read_envelope(fd, &env, &why) < 0) {
		close(fd);
		move_corrupt(id, why.data);
		strbuf_release(&why);
		return;
	}
	strbuf_release(&why);
	strlcpy(env->id, id, sizeof(env->id));

	m = xcalloc(1, sizeof(*m));
	strlcpy(m->id, id, sizeof(m->id));
	m->fd = fd;
	m->env = env;
	m->rs = xcalloc(env->nrcpt ? env->nrcpt : 1, sizeof(*m->rs));
	gettimeofday(&m->t_active, NULL);
	TAILQ_INSERT_TAIL(&active, m, link);
	nactive++;
	log_info("%s: from=<%s>, size=%lld, nrcpt=%zu (queue active)", id,
	    env->sender, (long long)env->content_size, env->nrcpt);
	/* The reasons of this attempt replace those of the last one. */
	qmgr_deferlog_remove(var_queue_dir, id);

	/* Hold a reference while queueing so that recipients that fail at
	 * once cannot end the attempt under our feet. */
	m->jobs++;
	queue_recipients(m);
	qmgr_active_job_done(m);
	qmgr_dispatch_run();
}
