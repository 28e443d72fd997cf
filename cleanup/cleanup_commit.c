/*
 * cleanup/cleanup_commit.c — the end of a message in cleanup: the one
 * answer to the client.
 *
 * A message with a sticky error is abandoned (the temporary file removed)
 * and answered with the SMTP status of its most important error: problems
 * of the message itself are permanent (5xx), a queue write error is
 * temporary (451).  Otherwise the queue file is made durable by
 * qfile_commit() — only after it returned the client hears status 0 with
 * the queue id — the Message-ID is logged as Postfix's cleanup does, and
 * header_checks DISCARD, HOLD and REDIRECT are finished by the
 * cleanup_checks_* hooks around the commit.  qmgr is woken (a lost wake-up
 * is harmless: qmgr also scans the queue).
 */
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "mail_params.h"
#include "netio.h"

/* In order of precedence: the first error found decides the answer. */
static const struct {
	int	err;
	int	status;
	const char *reason;
} cleanup_errors[] = {
	{ CLEANUP_ERR_SIZE, 552, "5.3.4 Error: message file too big" },
	{ CLEANUP_ERR_HOPS, 554, "5.4.6 Error: too many hops" },
	{ CLEANUP_ERR_BAD_SENDER, 554, "5.1.7 Error: bad sender address syntax" },
	{ CLEANUP_ERR_BAD_RCPT, 554, "5.1.3 Error: bad recipient address syntax" },
	{ CLEANUP_ERR_RCPT_LIMIT, 554, "5.5.3 Error: too many recipients" },
	{ CLEANUP_ERR_MAP, 451, "4.3.0 Error: address rewriting temporarily unavailable" },
	{ CLEANUP_ERR_WRITE, 451, "4.3.0 Error: queue file write error" },
	{ CLEANUP_ERR_VALIAS, 550, "5.1.1 Error: User unknown in virtual alias table" },
	{ CLEANUP_ERR_NO_RCPT, 554, "5.5.1 Error: no recipients specified" },
	{ CLEANUP_ERR_CONTENT, 550, "5.7.1 message content rejected" },
};

static int
cleanup_reject(struct cleanup_state *st, struct strbuf *reason)
{
	size_t i;
	int status;

	/* header/body_checks REJECT (or an unavailable table) */
	if ((st->errs & CLEANUP_ERR_CONTENT) &&
	    (status = cleanup_checks_reject(st, reason)) != 0) {
		/* already logged by cleanup_checks.c, with the header */
		qfile_abort(st->w);
		st->w = NULL;
		return status;
	}
	for (i = 0; i < sizeof(cleanup_errors) / sizeof(cleanup_errors[0]); i++)
		if (st->errs & cleanup_errors[i].err)
			break;
	if (i == sizeof(cleanup_errors) / sizeof(cleanup_errors[0]))
		log_panic("cleanup_reject: no known error in 0x%x", st->errs);
	strbuf_set_str(reason, cleanup_errors[i].reason);
	log_info("%s: reject: %s; from=<%s>, nrcpt=%zu", st->log_id,
	    cleanup_errors[i].reason, st->sender ? st->sender : "", st->nrcpt);
	qfile_abort(st->w);
	st->w = NULL;
	return cleanup_errors[i].status;
}

int
cleanup_finish(struct cleanup_state *st, char id[QFILE_ID_LEN + 1],
    struct strbuf *reason)
{
	struct strbuf err;

	cleanup_content_end(st);
	if (st->nrcpt == 0)
		st->errs |= st->rw_unknown > 0 ? CLEANUP_ERR_VALIAS :
		    CLEANUP_ERR_NO_RCPT;
	if (st->w == NULL)
		st->errs |= CLEANUP_ERR_WRITE;
	if (st->errs)
		return cleanup_reject(st, reason);
	if (cleanup_checks_discard(st, id))
		return 0;	/* DISCARD: success, nothing queued */
	cleanup_checks_precommit(st);	/* REDIRECT recipient */
	if (st->errs)
		return cleanup_reject(st, reason);
	strbuf_init(&err, 1024);
	if (qfile_commit(st->w, id, &err) < 0) {
		st->w = NULL;	/* commit freed it and removed the file */
		log_warn("%s: queue file commit failed: %s", st->log_id, err.data);
		strbuf_release(&err);
		st->errs |= CLEANUP_ERR_WRITE;
		return cleanup_reject(st, reason);
	}
	st->w = NULL;
	strbuf_release(&err);
	log_info("%s: message-id=%s", id, st->message_id ? st->message_id : "<>");
	cleanup_checks_committed(st, id);	/* HOLD, REDIRECT */
	cleanup_hold_committed(st, id);
	if (trigger_send(var_queue_dir, "public", "qmgr") < 0)
		log_warn_errno("%s: cannot wake qmgr", id);
	return 0;
}
