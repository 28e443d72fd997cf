/*
 * cleanup/cleanup_headers.c — the content of a message in cleanup: the
 * header block and its fix-ups, then the body, streamed to the queue file.
 *
 * The first header_size_limit bytes are collected and scanned with lib/hdr;
 * when the block is longer, the rest is treated as body (the bytes are
 * kept, only not processed as headers).  Fix-ups, as Postfix's cleanup:
 * Return-Path: is removed (local delivery adds its own); with -t the
 * recipients of To/Cc/Bcc (or of the Resent- fields when there are any) are
 * added and Bcc: removed; local submissions get a Received: line and the
 * missing From:, Date: and Message-ID:; more than hopcount_limit Received:
 * fields is a mail loop.  Only the header block is held in memory.  Errors
 * are sticky bits in st->errs.  header_checks and body_checks are hooks
 * into cleanup_checks.c (cleanup_checks_header, cleanup_checks_body);
 * address rewriting of From/To/... is a hook into cleanup_rewrite.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cleanup.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"

#define MSGID_LOG_MAX	200	/* longest Message-ID kept for the log */
#define HDR_LINE_MAX	2048	/* longest header line cleanup builds */
#define HDR_ADDR_MAX	512	/* longest address taken from a header */

enum hdr_kind {
	HK_OTHER,
	HK_RETURN_PATH,
	HK_BCC,
	HK_RESENT_BCC,
	HK_FROM,
	HK_DATE,
	HK_MSGID,
	HK_RECEIVED,
};

static const struct {
	const char *name;
	enum hdr_kind kind;
} hdr_kinds[] = {
	{ "Return-Path", HK_RETURN_PATH },
	{ "Bcc", HK_BCC },
	{ "Resent-Bcc", HK_RESENT_BCC },
	{ "From", HK_FROM },
	{ "Date", HK_DATE },
	{ "Message-ID", HK_MSGID },
	{ "Received", HK_RECEIVED },
};

static enum hdr_kind
field_kind(const char *buf, const struct hdr_field *f)
{
	size_t i;

	for (i = 0; i < sizeof(hdr_kinds) / sizeof(hdr_kinds[0]); i++)
		if (hdr_name_is(buf, f, hdr_kinds[i].name))
			return hdr_kinds[i].kind;
	return HK_OTHER;
}

/* ---- pure helpers ---- */

int
cleanup_format_date(time_t when, char *buf, size_t size)
{
	struct tm tm;

	/* RFC 5322 3.3, in the local time zone, English names whatever the
	 * locale (daemons run in the C locale). */
	if (localtime_r(&when, &tm) == NULL ||
	    strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		return -1;
	return 0;
}

int
cleanup_format_msgid(struct strbuf *out, time_t when, long usec, long pid,
    unsigned counter, const char *hostname)
{
	struct tm tm;
	char stamp[32];

	/* The queue id is not known before commit; time, microseconds, pid
	 * and a per-process counter make the id unique on this host. */
	if (gmtime_r(&when, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm) == 0)
		return -1;
	return strbuf_set_printf(out, "<%s.%06ld.%ld.%u@%s>", stamp, usec, pid,
	    counter, hostname);
}

int
cleanup_format_from(struct strbuf *out, const char *sender,
    const char *full_name)
{
	const char *cp;

	strbuf_reset(out);
	if (strbuf_printf(out, "From: %s", *sender ? sender : "MAILER-DAEMON") < 0)
		return -1;
	if (full_name == NULL || *full_name == '\0')
		return 0;
	/* The full name goes into a comment: quote what would end it. */
	if (strbuf_append_str(out, " (") < 0)
		return -1;
	for (cp = full_name; *cp; cp++) {
		if ((*cp == '(' || *cp == ')' || *cp == '\\') &&
		    strbuf_append_char(out, '\\') < 0)
			return -1;
		if (strbuf_append_char(out, (unsigned char)*cp < 0x20 ? ' ' : *cp) < 0)
			return -1;
	}
	return strbuf_append_char(out, ')');
}

/* ---- writing ---- */

static void
put_content(struct cleanup_state *st, const char *p, size_t n)
{
	if (n == 0 || st->w == NULL || (st->errs & CLEANUP_ERR_WRITE))
		return;
	if (qfile_put_content(st->w, p, n) < 0) {
		log_warn_errno("%s: queue file write error", st->log_id);
		st->errs |= CLEANUP_ERR_WRITE;
		return;
	}
	st->out_size += (int64_t)n;
	st->last_lf = p[n - 1] == '\n';
}

/* A header line cleanup made up (no LF in text). */
static void
put_header(struct cleanup_state *st, const char *text)
{
	put_content(st, text, strlen(text));
	put_content(st, "\n", 1);
}

/* A line from header_checks REPLACE/PREPEND (cleanup_checks.c). */
static void
put_check_line(struct cleanup_state *st, const char *text, size_t len)
{
	put_content(st, text, len);
	put_content(st, "\n", 1);
}

static void
put_field(struct cleanup_state *st, const struct hdr_field *f)
{
	put_content(st, st->hdrbuf.data + f->off, f->len);
	if (f->len > 0 && st->hdrbuf.data[f->off + f->len - 1] != '\n')
		put_content(st, "\n", 1);
}

/* ---- header processing ---- */

static void
extract_one(const char *addr, void *ctx)
{
	cleanup_add_rcpt(ctx, addr, NULL, 0, 1);
}

static void
extract_rcpts(const struct hdr_field *f, void *ctx)
{
	struct cleanup_state *st = ctx;
	const char *why = NULL;

	if (hdr_parse_addrs(st->hdrbuf.data + f->off + f->value_off,
	    f->len - f->value_off, (size_t)var_cleanup_rcpt_limit,
	    HDR_ADDR_MAX, extract_one, st, &why) < 0)
		log_warn("%s: malformed %.*s header: %s", st->log_id,
		    (int)f->name_len, st->hdrbuf.data + f->off, why);
}

static void
remember_msgid(struct cleanup_state *st, const struct hdr_field *f)
{
	struct strbuf v;

	strbuf_init(&v, (size_t)var_header_size_limit);
	if (hdr_unfold(st->hdrbuf.data + f->off + f->value_off,
	    f->len - f->value_off, &v) == 0 && v.len > 0) {
		free(st->message_id);
		st->message_id = xstrndup(v.data, v.len > MSGID_LOG_MAX ?
		    MSGID_LOG_MAX : v.len);
	}
	strbuf_release(&v);
}

/* Add what a local submission lacks: Received (first), then the rest
 * after the existing fields. */
static void
add_received(struct cleanup_state *st)
{
	char date[64], line[HDR_LINE_MAX];

	if (st->uid == NULL || cleanup_format_date(st->now, date, sizeof(date)) < 0)
		return;
	if (snprintf(line, sizeof(line), "Received: by %s (tegami, from userid %s);"
	    "\n\t%s", var_myhostname, st->uid, date) < (int)sizeof(line))
		put_header(st, line);
}

static void
add_missing(struct cleanup_state *st, int have_from, int have_date,
    int have_msgid)
{
	static unsigned counter;
	struct strbuf sb;
	struct timeval tv;
	char date[64];

	strbuf_init(&sb, HDR_LINE_MAX);
	if (!have_from && cleanup_format_from(&sb, st->sender, st->full_name) == 0)
		put_header(st, sb.data);
	if (!have_date && cleanup_format_date(st->now, date, sizeof(date)) == 0) {
		strbuf_set_printf(&sb, "Date: %s", date);
		put_header(st, sb.data);
	}
	gettimeofday(&tv, NULL);
	if (!have_msgid && cleanup_format_msgid(&sb, tv.tv_sec, (long)tv.tv_usec,
	    (long)getpid(), ++counter, var_myhostname) == 0) {
		free(st->message_id);
		st->message_id = xstrdup(sb.data);
		strbuf_set_printf(&sb, "Message-ID: %s", st->message_id);
		put_header(st, sb.data);
	}
	strbuf_release(&sb);
}

/* The header block is complete: extract, fix up, write, then write what
 * was collected beyond it as body. */
static void
headers_done(struct cleanup_state *st)
{
	const struct hdr_block *b = &st->blk;
	int extract = (st->flags & CLEANUP_F_EXTRACT) != 0;
	int local = (st->flags & CLEANUP_F_LOCAL) != 0;
	int have[HK_RECEIVED + 1] = { 0 };
	enum hdr_kind kind;
	size_t i, rest;

	st->hdr_done = 1;
	for (i = 0; i < b->nfield; i++) {
		kind = field_kind(st->hdrbuf.data, &b->fields[i]);
		have[kind]++;
		if (kind == HK_MSGID)
			remember_msgid(st, &b->fields[i]);
	}
	if (have[HK_RECEIVED] > var_hopcount_limit)
		st->errs |= CLEANUP_ERR_HOPS;
	if (extract)
		(void)hdr_rcpt_fields(st->hdrbuf.data, b, extract_rcpts, st);
	/* Recipients are all known now; content records follow. */
	if (local)
		add_received(st);
	for (i = 0; i < b->nfield; i++) {
		kind = field_kind(st->hdrbuf.data, &b->fields[i]);
		if (kind == HK_RETURN_PATH || (extract && (kind == HK_BCC ||
		    kind == HK_RESENT_BCC)))
			continue;
		/* header_checks hook: may drop or replace the field */
		if (cleanup_checks_header(st, st->hdrbuf.data + b->fields[i].off,
		    b->fields[i].len, put_check_line))
			continue;
		/* canonical/masquerade hook: may write a rewritten field */
		if (cleanup_rewrite_header(st, st->hdrbuf.data + b->fields[i].off,
		    b->fields[i].len, put_check_line))
			continue;
		put_field(st, &b->fields[i]);
	}
	if (local || var_always_add_missing_headers)
		add_missing(st, have[HK_FROM] > 0, have[HK_DATE] > 0,
		    have[HK_MSGID] > 0);
	rest = st->hdrbuf.len - b->end;
	/* A header block that ended at a non-field line gets the empty
	 * separator line, so the added fields never run into the body. */
	if (!b->blank && (rest > 0 || st->out_size > 0))
		put_content(st, "\n", 1);
	cleanup_checks_body(st, st->hdrbuf.data + b->end, rest, put_content);
}

void
cleanup_content(struct cleanup_state *st, const char *p, size_t n)
{
	size_t room, take;
	enum hdr_scan_result r;

	if (var_message_size_limit > 0 &&
	    (int64_t)n > var_message_size_limit - st->in_size)
		st->errs |= CLEANUP_ERR_SIZE;
	st->in_size += (int64_t)n;
	if (st->errs & CLEANUP_ERR_SIZE)
		return;		/* keep reading, store nothing */
	while (n > 0 && !st->hdr_done) {
		room = st->hdrbuf.max - st->hdrbuf.len;
		take = room < n ? room : n;
		strbuf_append(&st->hdrbuf, p, take);
		p += take;
		n -= take;
		r = hdr_block_scan(&st->blk, st->hdrbuf.data, st->hdrbuf.len, 0);
		if (r == HDR_SCAN_MORE && st->hdrbuf.len == st->hdrbuf.max) {
			hdr_block_cut(&st->blk);
			r = HDR_SCAN_DONE;
		}
		if (r == HDR_SCAN_DONE)
			headers_done(st);
	}
	cleanup_checks_body(st, p, n, put_content);	/* body_checks hook */
}

void
cleanup_content_end(struct cleanup_state *st)
{
	if (st->errs & CLEANUP_ERR_SIZE)
		return;
	if (!st->hdr_done) {
		(void)hdr_block_scan(&st->blk, st->hdrbuf.data, st->hdrbuf.len, 1);
		headers_done(st);
	}
	cleanup_checks_body_end(st, put_content);
	/* Every line of a queued message ends in LF. */
	if (st->out_size > 0 && !st->last_lf)
		put_content(st, "\n", 1);
}
