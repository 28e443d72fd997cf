/*
 * lib/dsn.c — compose RFC 3464 delivery status notifications.
 *
 * Called by qmgr's bounce code with the failed recipients of one message;
 * returns the complete bounce (multipart/report: a human-readable part in
 * Postfix's words, the machine-readable message/delivery-status part, and
 * the original headers as text/rfc822-headers).  Nothing here does I/O.
 * Texts from agents and remote servers are untrusted: they are cleaned of
 * control and 8-bit bytes and cut at DSN_TEXT_MAX before they are written
 * into a header-like field.  Errors (out's limit) are returned.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dsn.h"

int
dsn_status_valid(const char *s)
{
	const char *p = s;
	int part, digits;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	p = s + 2;
	/* RFC 3463: subject 1-3 digits, detail 1-3 digits. */
	for (part = 0; part < 2; part++) {
		for (digits = 0; isdigit((unsigned char)*p); p++)
			digits++;
		if (digits < 1 || digits > 3)
			return 0;
		if (part == 0 && *p++ != '.')
			return 0;
	}
	return *p == '\0';
}

int
dsn_append_clean(struct strbuf *out, const char *text, size_t max)
{
	size_t i;
	unsigned char c;

	for (i = 0; text != NULL && text[i] != '\0' && i < max; i++) {
		c = (unsigned char)text[i];
		if (c < 0x20 || c == 0x7f)
			c = ' ';
		else if (c >= 0x80)
			c = '?';
		if (strbuf_append_char(out, (char)c) < 0)
			return -1;
	}
	return 0;
}

void
dsn_format_date(int64_t when, char *buf, size_t size)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0) {
		if (size > 0)
			buf[0] = '\0';
	}
}

/* The boundary: queue id, time and host (only bcharsnospace of RFC 2046
 * kept), lengthened until it does not occur in the returned headers. */
static void
make_boundary(const struct dsn_report *r, struct strbuf *b)
{
	const char *h;
	int tries;

	strbuf_reset(b);
	strbuf_printf(b, "%s.%lld/", r->queue_id ? r->queue_id : "0",
	    (long long)r->now);
	for (h = r->reporting_mta ? r->reporting_mta : ""; *h && b->len < 60; h++)
		if (isalnum((unsigned char)*h) || *h == '.' || *h == '-')
			strbuf_append_char(b, *h);
	for (tries = 0; tries < 8 && r->headers != NULL &&
	    memmem(r->headers, r->headers_len, b->data, b->len) != NULL; tries++)
		strbuf_append_str(b, ".=_");
}

static int
put_clean_line(struct strbuf *out, const char *prefix, const char *text)
{
	if (strbuf_append_str(out, prefix) < 0 ||
	    dsn_append_clean(out, text, DSN_TEXT_MAX) < 0)
		return -1;
	return strbuf_append_char(out, '\n');
}

static int
put_headers(const struct dsn_report *r, const char *boundary, struct strbuf *out)
{
	char date[64];

	dsn_format_date(r->now, date, sizeof(date));
	if (put_clean_line(out, "From: MAILER-DAEMON@", r->reporting_mta) < 0)
		return -1;
	/* The comment goes on the From: line, as Postfix writes it. */
	strbuf_truncate(out, out->len - 1);
	if (strbuf_append_str(out, " (Mail Delivery System)\n") < 0 ||
	    strbuf_append_str(out, r->delayed ?
		"Subject: Delayed Mail (still being retried)\n" :
		"Subject: Undelivered Mail Returned to Sender\n") < 0 ||
	    put_clean_line(out, "To: ", r->sender) < 0 ||
	    strbuf_printf(out, "Date: %s\n", date) < 0 ||
	    strbuf_append_str(out, "Auto-Submitted: auto-replied\n") < 0 ||
	    strbuf_append_str(out, "MIME-Version: 1.0\n") < 0 ||
	    strbuf_printf(out, "Content-Type: multipart/report; "
		"report-type=delivery-status;\n\tboundary=\"%s\"\n", boundary) < 0 ||
	    strbuf_append_str(out, "Content-Transfer-Encoding: 8bit\n\n") < 0 ||
	    strbuf_append_str(out, "This is a MIME-encapsulated message.\n\n") < 0)
		return -1;
	return 0;
}

static int
put_notification(const struct dsn_report *r, const char *boundary,
    struct strbuf *out)
{
	size_t i;

	if (strbuf_printf(out, "--%s\n", boundary) < 0 ||
	    strbuf_append_str(out, "Content-Description: Notification\n"
		"Content-Type: text/plain; charset=us-ascii\n\n") < 0 ||
	    put_clean_line(out, "This is the mail system at host ",
		r->reporting_mta) < 0)
		return -1;
	strbuf_truncate(out, out->len - 1);
	/* Postfix's wording of a delay notice. */
	if (r->delayed) {
		char until[64];
		int64_t age = r->now - r->arrival;

		dsn_format_date(r->retry_until, until, sizeof(until));
		if (strbuf_append_str(out, ".\n\n"
		    "####################################################################\n"
		    "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
		    "####################################################################\n\n") < 0 ||
		    strbuf_printf(out, "Your message could not be delivered for "
			"more than %lld %s.\nIt will be retried until %s.\n\n",
			(long long)(age >= 3600 ? age / 3600 : age >= 60 ? age / 60 :
			age), age >= 3600 ? "hour(s)" : age >= 60 ? "minute(s)" :
			"second(s)", until) < 0 ||
		    strbuf_append_str(out,
		    "For further assistance, please send mail to postmaster.\n\n"
		    "                   The mail system\n") < 0)
			return -1;
	}
	if (!r->delayed && strbuf_append_str(out, ".\n\n"
	    "I'm sorry to have to inform you that your message could not\n"
	    "be delivered to one or more recipients. It's attached below.\n\n"
	    "For further assistance, please send mail to postmaster.\n\n"
	    "If you do so, please include this problem report. You can\n"
	    "delete your own text from the attached returned message.\n\n"
	    "                   The mail system\n") < 0)
		return -1;
	for (i = 0; i < r->nrcpt; i++) {
		const struct dsn_rcpt *rc = &r->rcpts[i];

		if (strbuf_append_str(out, "\n<") < 0 ||
		    dsn_append_clean(out, rc->addr, DSN_TEXT_MAX) < 0 ||
		    strbuf_append_str(out, ">: ") < 0 ||
		    dsn_append_clean(out, rc->diag && *rc->diag ? rc->diag :
			"delivery failed", DSN_TEXT_MAX) < 0 ||
		    strbuf_append_char(out, '\n') < 0)
			return -1;
	}
	return strbuf_append_char(out, '\n');
}

static int
put_orcpt(const char *orcpt, struct strbuf *out)
{
	/* RFC 3461: ORCPT is "addr-type;xtext"; a bare address is rfc822. */
	if (strchr(orcpt, ';') != NULL)
		return put_clean_line(out, "Original-Recipient: ", orcpt);
	return put_clean_line(out, "Original-Recipient: rfc822; ", orcpt);
}

static int
put_status(const struct dsn_report *r, const char *boundary, struct strbuf *out)
{
	char date[64];
	size_t i;

	dsn_format_date(r->arrival, date, sizeof(date));
	if (strbuf_printf(out, "--%s\n", boundary) < 0 ||
	    strbuf_append_str(out, "Content-Description: Delivery report\n"
		"Content-Type: message/delivery-status\n\n") < 0 ||
	    put_clean_line(out, "Reporting-MTA: dns; ", r->reporting_mta) < 0 ||
	    (r->envid && *r->envid &&
		put_clean_line(out, "Original-Envelope-Id: ", r->envid) < 0) ||
	    put_clean_line(out, "X-Tegami-Queue-ID: ", r->queue_id) < 0 ||
	    put_clean_line(out, "X-Tegami-Sender: rfc822; ", r->sender) < 0 ||
	    strbuf_printf(out, "Arrival-Date: %s\n", date) < 0)
		return -1;
	for (i = 0; i < r->nrcpt; i++) {
		const struct dsn_rcpt *rc = &r->rcpts[i];
		const char *status = dsn_status_valid(rc->status) ? rc->status : "5.0.0";

		if (strbuf_append_char(out, '\n') < 0 ||
		    put_clean_line(out, "Final-Recipient: rfc822; ", rc->addr) < 0 ||
		    (rc->orcpt && *rc->orcpt && put_orcpt(rc->orcpt, out) < 0) ||
		    put_clean_line(out, "Action: ", rc->action ? rc->action : "failed") < 0 ||
		    strbuf_printf(out, "Status: %s\n", status) < 0)
			return -1;
		if (r->delayed && r->retry_until > 0) {
			char until[64];

			dsn_format_date(r->retry_until, until, sizeof(until));
			if (strbuf_printf(out, "Will-Retry-Until: %s\n", until) < 0)
				return -1;
		}
		if (rc->diag && *rc->diag) {
			if (dsn_append_clean(out, "Diagnostic-Code: ", 32) < 0 ||
			    dsn_append_clean(out, rc->diag_type ? rc->diag_type :
				"X-Tegami", 32) < 0 ||
			    put_clean_line(out, "; ", rc->diag) < 0)
				return -1;
		}
	}
	return strbuf_append_char(out, '\n');
}

static int
put_returned_headers(const struct dsn_report *r, const char *boundary,
    struct strbuf *out)
{
	if (strbuf_printf(out, "--%s\n", boundary) < 0 ||
	    strbuf_append_str(out, "Content-Description: Undelivered Message Headers\n"
		"Content-Type: text/rfc822-headers\n\n") < 0)
		return -1;
	if (r->headers != NULL && r->headers_len > 0) {
		if (strbuf_append(out, r->headers, r->headers_len) < 0)
			return -1;
		if (r->headers[r->headers_len - 1] != '\n' &&
		    strbuf_append_char(out, '\n') < 0)
			return -1;
	}
	return strbuf_printf(out, "\n--%s--\n", boundary);
}

int
dsn_compose(const struct dsn_report *r, struct strbuf *out)
{
	struct strbuf b;
	int rc = -1;

	strbuf_init(&b, 256);
	make_boundary(r, &b);
	if (put_headers(r, b.data, out) == 0 &&
	    put_notification(r, b.data, out) == 0 &&
	    put_status(r, b.data, out) == 0 &&
	    put_returned_headers(r, b.data, out) == 0)
		rc = 0;
	strbuf_release(&b);
	return rc;
}
