/*
 * cleanup/cleanup_envelope.c — the envelope of a message in cleanup: the
 * begin frame (flags, arrival attributes, sender) and the recipients, from
 * the client's rcpt frames or extracted from headers (-t).
 *
 * Everything here is untrusted input, even from our own smtpd: addresses
 * are parsed again with lib/addr, bare local parts get @$myorigin (as
 * Postfix's append_at_myorigin), duplicates are dropped, and the number of
 * recipients is bounded by cleanup_recipient_limit.  Address rewriting
 * (canonical, masquerade, virtual alias) is a hook into cleanup_rewrite.c.  Problems with the
 * message are sticky bits in st->errs; a frame that breaks the protocol is
 * an error returned to the caller, which drops the client.
 */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "cleanup.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "../sendmail/maildrop.h"

#define ATTR_VALUE_MAX	1024	/* longest arrival attribute kept */
#define ORCPT_MAX	500	/* RFC 3461 4.2: an ORCPT fits an SMTP line */
#define ENVID_MAX	100	/* RFC 3461 4.4 */
#define CLEANUP_F_KNOWN	(CLEANUP_F_LOCAL | CLEANUP_F_EXTRACT | CLEANUP_F_BOUNCE | \
			    CLEANUP_F_SMTPUTF8)

/* Arrival attributes cleanup stores in the queue file (others are
 * ignored: a newer client may send more). */
static const char *const stored_attrs[] = {
	IPC_ATTR_CLIENT_NAME, IPC_ATTR_CLIENT_ADDR, IPC_ATTR_HELO,
	IPC_ATTR_PROTOCOL, IPC_ATTR_SASL_USER, IPC_ATTR_ENVID, IPC_ATTR_RET,
	IPC_ATTR_UID, NULL,
};

void
cleanup_state_init(struct cleanup_state *st)
{
	memset(st, 0, sizeof(*st));
	strbuf_init(&st->hdrbuf, (size_t)var_header_size_limit);
	hdr_block_init(&st->blk, 0);
	st->log_id = xstrdup("NOQUEUE");
	st->last_lf = 1;
	st->now = time(NULL);
}

void
cleanup_state_free(struct cleanup_state *st)
{
	size_t i;

	qfile_abort(st->w);
	if (st->seen_keys != NULL)
		hdestroy_r(&st->seen);
	for (i = 0; i < st->nseen; i++)
		free(st->seen_keys[i]);
	free(st->seen_keys);
	free(st->sender);
	free(st->full_name);
	free(st->uid);
	free(st->log_id);
	free(st->message_id);
	cleanup_checks_free(st);
	strbuf_release(&st->hdrbuf);
	hdr_block_free(&st->blk);
	memset(st, 0, sizeof(*st));
}

int
cleanup_qualify(const char *addr, const char *origin, struct strbuf *out)
{
	struct strbuf domain;
	int rc;

	strbuf_init(&domain, ADDR_PATH_MAX * 2);
	rc = addr_split(addr, NULL, &domain);
	strbuf_reset(out);
	if (rc == 0) {
		if (domain.len == 0 && *addr != '\0' && origin != NULL && *origin)
			rc = strbuf_printf(out, "%s@%s", addr, origin);
		else
			rc = strbuf_append_str(out, addr);
	}
	strbuf_release(&domain);
	return rc;
}

/* A printable attribute value of bounded length (it ends up in logs and
 * in Received: headers built from it). */
static int
attr_value_ok(const char *v)
{
	size_t n = 0;

	for (; *v; v++, n++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f || n >= ATTR_VALUE_MAX)
			return 0;
	return 1;
}

/* Parse and qualify an address; -1 when it is not a mailbox. */
static int
normalize_addr(const char *in, struct strbuf *out, const char **why)
{
	struct strbuf parsed;
	int rc;

	strbuf_init(&parsed, ADDR_PATH_MAX * 2);
	rc = addr_parse_mailbox(in, strlen(in), ADDR_F_LOCAL_OK | ADDR_F_UTF8,
	    &parsed, why);
	if (rc == 0 && cleanup_qualify(parsed.data, var_myorigin, out) < 0) {
		*why = "address too long";
		rc = -1;
	}
	strbuf_release(&parsed);
	return rc;
}

/* DSN attributes (RFC 3461) have tighter rules than the others: RET is
 * FULL or HDRS, ENVID printable ASCII of at most 100 characters. */
static int
dsn_attr_ok(const char *name, const char *v)
{
	if (strcmp(name, IPC_ATTR_RET) == 0)
		return strcmp(v, "FULL") == 0 || strcmp(v, "HDRS") == 0;
	if (strcmp(name, IPC_ATTR_ENVID) == 0) {
		if (*v == '\0' || strlen(v) > ENVID_MAX)
			return 0;
		for (; *v; v++)
			if ((unsigned char)*v > 0x7e)
				return 0;
	}
	return 1;
}

static void
begin_attrs(struct cleanup_state *st, const struct ipc_msg *m)
{
	const char *v;
	size_t i;

	for (i = 0; stored_attrs[i] != NULL; i++) {
		if ((v = ipc_get_str(m, stored_attrs[i])) == NULL)
			continue;
		if (!attr_value_ok(v) || !dsn_attr_ok(stored_attrs[i], v)) {
			log_warn("%s: ignoring malformed %s attribute", st->log_id,
			    stored_attrs[i]);
			continue;
		}
		if (qfile_put_attr(st->w, stored_attrs[i], v) < 0)
			st->errs |= CLEANUP_ERR_WRITE;
	}
	if ((v = ipc_get_str(m, IPC_ATTR_FULL_NAME)) != NULL && attr_value_ok(v))
		st->full_name = xstrdup(v);
	if ((v = ipc_get_str(m, IPC_ATTR_UID)) != NULL && attr_value_ok(v) &&
	    strspn(v, "0123456789") == strlen(v) && strlen(v) < 12)
		st->uid = xstrdup(v);
}

int
cleanup_begin(struct cleanup_state *st, const struct ipc_msg *m,
    struct strbuf *why)
{
	const char *sender = ipc_get_str(m, IPC_ATTR_SENDER);
	const char *log_id = ipc_get_str(m, IPC_ATTR_LOG_ID);
	const char *bad = NULL;
	struct strbuf addr, err;
	int64_t flags = 0;

	if (sender == NULL || (ipc_get_int(m, IPC_ATTR_FLAGS, &flags) == 0 &&
	    (flags & ~(int64_t)CLEANUP_F_KNOWN) != 0)) {
		strbuf_set_str(why, sender == NULL ? "begin without sender" :
		    "unknown flags in begin");
		return -1;
	}
	if (log_id != NULL && attr_value_ok(log_id) && strlen(log_id) < 64) {
		free(st->log_id);
		st->log_id = xstrdup(log_id);
	}
	st->flags = (int)flags;
	strbuf_init(&addr, ADDR_PATH_MAX * 2);
	if (*sender != '\0' && normalize_addr(sender, &addr, &bad) < 0) {
		log_warn("%s: reject: bad sender address <%.100s>: %s",
		    st->log_id, sender, bad);
		st->errs |= CLEANUP_ERR_BAD_SENDER;
	} else
		cleanup_rewrite_sender(st, &addr);	/* canonical, masquerade */
	st->sender = xstrdup(addr.data);
	strbuf_release(&addr);

	strbuf_init(&err, 1024);
	st->w = qfile_create(var_queue_dir, QDIR_INCOMING, &err);
	if (st->w == NULL) {
		log_warn("%s: cannot create queue file: %s", st->log_id, err.data);
		st->errs |= CLEANUP_ERR_WRITE;
	} else if (qfile_put_arrival(st->w, st->now) < 0 ||
	    qfile_put_flags(st->w, st->flags) < 0 ||
	    qfile_put_sender(st->w, st->sender) < 0)
		st->errs |= CLEANUP_ERR_WRITE;
	strbuf_release(&err);
	if (st->w != NULL)
		begin_attrs(st, m);
	cleanup_checks_begin(st, m);	/* client details for checks logs */
	return 0;
}

/* Remember addr; 1 when it was seen before. */
static int
seen_before(struct cleanup_state *st, const char *addr)
{
	ENTRY e, *found = NULL;

	if (st->seen_keys == NULL) {
		memset(&st->seen, 0, sizeof(st->seen));
		if (hcreate_r((size_t)var_cleanup_rcpt_limit * 4 / 3 + 16,
		    &st->seen) == 0)
			log_fatal("hcreate_r: out of memory");
		st->seen_keys = xcalloc((size_t)var_cleanup_rcpt_limit,
		    sizeof(char *));
	}
	e.key = (char *)addr;
	e.data = NULL;
	if (hsearch_r(e, FIND, &found, &st->seen) != 0)
		return 1;
	if (st->nseen >= (size_t)var_cleanup_rcpt_limit)
		return 0;
	e.key = st->seen_keys[st->nseen++] = xstrdup(addr);
	if (hsearch_r(e, ENTER, &found, &st->seen) == 0)
		log_warn("%s: duplicate filter full", st->log_id);
	return 0;
}

/* What a recipient frame carries besides the address. */
struct rcpt_extra {
	const char *orcpt;
	int	notify;
};

/* One recipient after rewriting: duplicates dropped, limit, queue file. */
static void
add_final_rcpt(struct cleanup_state *st, const char *addr, void *ctx)
{
	const struct rcpt_extra *x = ctx;

	if (seen_before(st, addr))
		return;
	if (st->nrcpt >= (size_t)var_cleanup_rcpt_limit) {
		st->errs |= CLEANUP_ERR_RCPT_LIMIT;
		return;
	}
	/* Counted even without a file, so that a write error is not
	 * mistaken for "no recipients". */
	st->nrcpt++;
	cleanup_checks_rcpt(st, addr);
	if (st->w != NULL && qfile_put_rcpt(st->w, addr,
	    x->orcpt != NULL && *x->orcpt != '\0' &&
	    strlen(x->orcpt) <= ORCPT_MAX && attr_value_ok(x->orcpt) ?
	    x->orcpt : NULL, x->notify & 0x0f) < 0)
		st->errs |= CLEANUP_ERR_WRITE;
}

void
cleanup_add_rcpt(struct cleanup_state *st, const char *addr,
    const char *orcpt, int notify, int from_header)
{
	struct rcpt_extra x = { orcpt, notify };
	struct strbuf norm;
	const char *why = NULL;

	strbuf_init(&norm, ADDR_PATH_MAX * 2);
	if (normalize_addr(addr, &norm, &why) < 0) {
		if (from_header)
			log_warn("%s: ignoring bad recipient address <%.100s> in "
			    "message header: %s", st->log_id, addr, why);
		else {
			log_warn("%s: reject: bad recipient address <%.100s>: %s",
			    st->log_id, addr, why);
			st->errs |= CLEANUP_ERR_BAD_RCPT;
		}
	} else	/* canonical, masquerade, virtual alias (one to many) */
		cleanup_rewrite_rcpt(st, norm.data, add_final_rcpt, &x);
	strbuf_release(&norm);
}
