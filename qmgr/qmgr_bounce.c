/*
 * qmgr/qmgr_bounce.c — non-delivery and delay notifications.
 *
 * When a delivery attempt ends with bounced recipients, qmgr_active.c
 * calls qmgr_bounce_send(): the original headers are read from the queue
 * file, lib/dsn.c composes the RFC 3464 report, and the report is queued
 * through cleanup (flags CLEANUP_F_BOUNCE|CLEANUP_F_LOCAL) from the null
 * sender to the original sender.  Only when cleanup answers with a queue
 * id does the caller mark those recipients done; any failure is returned
 * with a reason, and the caller keeps the recipients deferred.
 * A delay notice (delay_warning_time) is the same report with Action:
 * delayed and Postfix's "Delayed Mail (still being retried)" text.
 * XXX the cleanup client is blocking (bounded by ipc_timeout): qmgr's event
 * loop waits while a bounce is queued, as it is rare and quick.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup_client.h"
#include "dsn.h"
#include "ipc_names.h"
#include "mail_params.h"
#include "qmgr.h"

/* Read the header block of m's content (up to and including the last
 * header line's newline) into hdrs. */
static int
read_headers(struct qmgr_message *m, struct strbuf *hdrs, struct strbuf *err)
{
	struct strbuf chunk;
	off_t off = m->env->content_off;
	const char *end;
	size_t limit = var_header_size_limit > 0 ? (size_t)var_header_size_limit : 102400;
	int rc;

	strbuf_init(&chunk, STRBUF_NOLIMIT);
	for (;;) {
		if (hdrs->len > 0 && hdrs->data[0] == '\n') {
			strbuf_reset(hdrs);	/* no headers at all */
			break;
		}
		if ((end = memmem(hdrs->data, hdrs->len, "\n\n", 2)) != NULL) {
			strbuf_truncate(hdrs, (size_t)(end - hdrs->data) + 1);
			break;
		}
		if (hdrs->len >= limit)
			break;		/* returned headers are cut, not lost */
		rc = qfile_read_content(m->fd, &off, &chunk, err);
		if (rc < 0) {
			strbuf_release(&chunk);
			return -1;
		}
		if (rc == 0)
			break;
		if (chunk.len > limit - hdrs->len)
			strbuf_truncate(&chunk, limit - hdrs->len);
		if (strbuf_append(hdrs, chunk.data, chunk.len) < 0)
			break;
	}
	strbuf_release(&chunk);
	return 0;
}

int
qmgr_bounce_compose(struct qmgr_message *m, const size_t *idx, size_t n,
    int delayed, int64_t now, struct strbuf *out, struct strbuf *err)
{
	struct dsn_rcpt *rc = xcalloc(n ? n : 1, sizeof(*rc));
	struct dsn_report r;
	struct strbuf hdrs;
	size_t i;
	int ret = -1;

	strbuf_init(&hdrs, STRBUF_NOLIMIT);
	if (read_headers(m, &hdrs, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		const struct qfile_rcpt *qr = &m->env->rcpts[idx[i]];

		rc[i].addr = qr->addr;
		rc[i].orcpt = qr->orcpt;
		rc[i].status = m->rs[idx[i]].dsn;
		rc[i].action = delayed ? "delayed" : "failed";
		rc[i].diag = m->rs[idx[i]].text;
	}
	memset(&r, 0, sizeof(r));
	r.reporting_mta = var_myhostname ? var_myhostname : "localhost";
	r.queue_id = m->id;
	r.sender = m->env->sender;
	r.arrival = m->env->arrival;
	r.now = now;
	r.envid = qfile_env_attr(m->env, IPC_ATTR_ENVID);
	r.rcpts = rc;
	r.nrcpt = n;
	r.headers = hdrs.data;
	r.headers_len = hdrs.len;
	r.delayed = delayed;
	if (delayed)
		r.retry_until = m->env->arrival + (m->env->sender[0] == '\0' ?
		    var_bounce_queue_lifetime : var_max_queue_lifetime);
	if (dsn_compose(&r, out) < 0)
		strbuf_set_str(err, "bounce message too large");
	else
		ret = 0;
out:
	strbuf_release(&hdrs);
	free(rc);
	return ret;
}

int
qmgr_bounce_send(struct qmgr_message *m, const size_t *idx, size_t n,
    int delayed, char newid[QFILE_ID_LEN + 1], struct strbuf *err)
{
	struct cleanup_client *c;
	struct strbuf text;
	int rc;

	strbuf_init(&text, STRBUF_NOLIMIT);
	if (qmgr_bounce_compose(m, idx, n, delayed, (int64_t)time(NULL), &text,
	    err) < 0) {
		strbuf_release(&text);
		return -1;
	}
	if ((c = cleanup_open(var_queue_dir, CLEANUP_F_BOUNCE | CLEANUP_F_LOCAL,
	    err)) == NULL) {
		strbuf_release(&text);
		return -1;
	}
	if (cleanup_sender(c, "") < 0 || cleanup_rcpt(c, m->env->sender, NULL, 0) < 0 ||
	    cleanup_data(c, text.data, text.len) < 0) {
		cleanup_abandon(c);
		strbuf_set_str(err, "lost connection with cleanup");
		strbuf_release(&text);
		return -1;
	}
	strbuf_release(&text);
	rc = cleanup_close(c, newid, err);
	if (rc > 0) {
		/* cleanup refused: keep its reason, say who refused. */
		struct strbuf why;

		strbuf_init(&why, 2048);
		strbuf_printf(&why, "cleanup refused the %s: %d %s", delayed ?
		    "delay notice" : "bounce", rc, err->data);
		strbuf_set_str(err, why.data);
		strbuf_release(&why);
		return -1;
	}
	return rc;
}
