/*
 * lib/smtp_server_data.c — the content of a message: DATA and BDAT chunks.
 *
 * After 354, or after each BDAT command, the raw input goes through
 * lib/dotdata.c (dot mode, or BDAT mode with the chunk's size); content
 * (LF line ends) is streamed to cleanup in frames, never held whole; BDAT
 * content is gathered into frames of a bounded size, so a million one-byte
 * chunks cost the memory and frames of one big chunk.  The first content is
 * our Received: header.  At the end marker (or the LAST chunk) a sticky
 * error (bare CR/LF, NUL, long line, size) abandons the cleanup transaction
 * and gives one reply; otherwise the end frame goes out and the session
 * waits for cleanup's verdict (smtp_data_result).  Never fatal.
 */
#include <bsd/string.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "smtp_server_int.h"

/* RFC 5322 date-time of now: "Tue, 24 Nov 2026 05:22:29 +0000 (UTC)". */
static void
smtp_date(char *buf, size_t size)
{
	time_t	now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	if (strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z (%Z)", &tm) == 0)
		strlcpy(buf, "Thu, 01 Jan 1970 00:00:00 +0000", size);
}

/* Copy untrusted text into a header, replacing what does not belong;
 * utf8: the text is known to be valid UTF-8 (a checked SMTPUTF8 address,
 * RFC 6532 allows it in headers). */
static void
smtp_header_text(struct strbuf *out, const char *text, int utf8)
{
	for (; *text; text++) {
		unsigned char c = (unsigned char)*text;

		(void)strbuf_append_char(out, (c < 0x20 || c == 0x7f ||
		    (c > 0x7f && !utf8)) ? '?' : (char)c);
	}
}

/* The Received: header, in Postfix's shape (no queue id: not known yet). */
static void
smtp_received(struct smtp_session *s, struct strbuf *out)
{
	char	date[64];

	smtp_date(date, sizeof(date));
	(void)strbuf_append_str(out, "Received: from ");
	smtp_header_text(out, s->helo ? s->helo : "", 0);
	(void)strbuf_printf(out, " (%s [%s])", s->client_name, s->client_addr);
	if (s->tls_protocol && s->cfg->tls_received_header)
		smtp_tls_received(s, out);
	/* Postfix's smtpd_sasl_authenticated_header. */
	if (s->sasl_user && s->cfg->sasl_auth_header) {
		(void)strbuf_append_str(out, "\n\t(Authenticated sender: ");
		smtp_header_text(out, s->sasl_user, 0);
		(void)strbuf_append_str(out, ")");
	}
	(void)strbuf_printf(out, "\n\tby %s (%s) with %s", s->cfg->myhostname,
	    s->cfg->mail_name, smtp_session_protocol(s));
	if (s->nrcpt == 1 && s->first_rcpt) {
		(void)strbuf_append_str(out, "\n\tfor <");
		smtp_header_text(out, s->first_rcpt, s->smtputf8);
		(void)strbuf_append_str(out, ">");
	}
	(void)strbuf_printf(out, "; %s\n", date);
}

/* The Received: header goes first, for DATA and BDAT alike. */
static void
smtp_data_header(struct smtp_session *s)
{
	struct strbuf hdr;

	strbuf_init(&hdr, 4096);
	smtp_received(s, &hdr);
	smtp_cleanup_data(s, hdr.data, hdr.len);
	strbuf_release(&hdr);
	strbuf_reset(&s->content);
}

void
smtp_data_start(struct smtp_session *s)
{
	smtp_data_header(s);
	dotdata_init(&s->dd, (size_t)s->cfg->data_line_limit,
	    (uint64_t)s->cfg->message_size_limit);
	s->state = SMTP_S_DATA;
}

void
smtp_data_start_chunks(struct smtp_session *s)
{
	smtp_data_header(s);
	dotdata_bdat_init(&s->dd, (size_t)s->cfg->data_line_limit,
	    (uint64_t)s->cfg->message_size_limit);
	s->state = SMTP_S_BDAT;
}

/* Send the gathered BDAT content to cleanup. */
static void
smtp_data_flush(struct smtp_session *s)
{
	if (s->content.len > 0 && !s->dd.errs && s->cl_state == SMTP_CL_OPEN)
		smtp_cleanup_data(s, s->content.data, s->content.len);
	strbuf_reset(&s->content);
}

/* A BDAT chunk (or a refused one to skip): content is kept in s->content
 * until the next bytes might not fit (+1 for the LF dotdata_bdat_end may
 * add), then framed; the input loop hands over at most its step size. */
static int
smtp_data_feed_chunk(struct smtp_session *s, const char *p, size_t n,
	    size_t *used)
{
	int	end;

	if (s->content.len > 0 && s->content.len + n + 1 > s->content.max)
		smtp_data_flush(s);
	if (n + 1 > s->content.max - s->content.len)
		n = s->content.max - s->content.len - 1;
	end = dotdata_feed(&s->dd, p, n, used, &s->content);
	if (s->dd.errs)
		strbuf_reset(&s->content);	/* refused anyway */
	return (end);
}

int
smtp_data_feed(struct smtp_session *s, const char *p, size_t n, size_t *used)
{
	int	end;

	if (s->dd.mode != DOTDATA_M_DOT)
		return (smtp_data_feed_chunk(s, p, n, used));
	end = dotdata_feed(&s->dd, p, n, used, &s->content);
	/* Content of a message that is already refused goes nowhere. */
	if (s->content.len > 0 && !s->dd.errs && s->cl_state == SMTP_CL_OPEN)
		smtp_cleanup_data(s, s->content.data, s->content.len);
	strbuf_reset(&s->content);
	return (end);
}

/* DATA was counted a success at 354 (the last BDAT when it was read);
 * the message failed after all. */
static void
smtp_data_failed(struct smtp_session *s)
{
	enum smtp_verb v = s->dd.mode == DOTDATA_M_BDAT ? SMTP_VERB_BDAT :
	    SMTP_VERB_DATA;

	if (s->cmd_ok[v] > 0)
		s->cmd_ok[v]--;
}

/* The reply for a sticky DATA error (first fault wins). */
static void
smtp_data_refuse(struct smtp_session *s)
{
	int	errs = s->dd.errs;

	log_warn("%s[%s]: message refused in %s: %s", s->client_name,
	    s->client_addr, s->dd.mode == DOTDATA_M_BDAT ? "BDAT" : "DATA",
	    dotdata_strerror(errs));
	if (errs & DOTDATA_E_BARE_LF)
		smtp_reply(s, 550, "5.5.2", "Error: bare <LF> received");
	else if (errs & DOTDATA_E_BARE_CR)
		smtp_reply(s, 550, "5.5.2", "Error: bare <CR> received");
	else if (errs & DOTDATA_E_NUL)
		smtp_reply(s, 554, "5.6.0", "Error: NUL character in message");
	else if (errs & DOTDATA_E_LINE)
		smtp_reply(s, 554, "5.6.0", "Error: message line too long");
	else
		smtp_reply(s, 552, "5.3.4", "Message size exceeds fixed limit");
}

/*
 * The end of a BDAT chunk: 1 when the message goes on (the chunk was LAST),
 * 0 when this is all (a refused chunk is gone, or a chunk that is not the
 * last got its 250).
 */
static int
smtp_data_chunk_end(struct smtp_session *s)
{
	if (s->dd.mode == DOTDATA_M_SKIP) {
		/* Its reply was given at the BDAT command. */
		dotdata_init(&s->dd, 0, 0);
		s->state = s->helo ? SMTP_S_READY : SMTP_S_START;
		return (0);
	}
	if (!s->dd.last) {
		smtp_reply(s, 250, "2.0.0", "Ok: %" PRIu64 " octets",
		    s->dd.chunk_size);
		s->state = SMTP_S_BDAT;
		return (0);
	}
	/* Again after a check_eod wake-up: both steps are then no-ops. */
	dotdata_bdat_end(&s->dd, &s->content);
	smtp_data_flush(s);
	return (1);
}

void
smtp_data_end(struct smtp_session *s)
{
	if (s->dd.mode != DOTDATA_M_DOT && !smtp_data_chunk_end(s))
		return;
	s->last_cmd = "END-OF-MESSAGE";
	if (s->dd.errs) {
		smtp_data_failed(s);
		smtp_data_refuse(s);
		smtp_session_reset(s);
		return;
	}
	if (s->cl_state != SMTP_CL_OPEN) {
		smtp_data_failed(s);
		log_warn("%s[%s]: cleanup connection lost during DATA",
		    s->client_name, s->client_addr);
		smtp_reply(s, 451, "4.3.0", "Error: queue file write error");
		smtp_session_reset(s);
		return;
	}
	if (s->policy->check_eod) {
		int	r;

		strbuf_reset(&s->reply);
		r = smtp_policy_ask(s, "END-OF-MESSAGE", NULL,
		    s->policy->check_eod(s, &s->reply));
		if (r == SMTP_POLICY_PENDING) {
			s->waiting = SMTP_W_EOD;	/* here again on wake-up */
			return;
		}
		if (r != SMTP_POLICY_ACCEPT) {
			smtp_data_failed(s);
			smtp_session_reset(s);
			return;
		}
	}
	if (s->tx_flags & SMTP_TX_DISCARD) {
		/* Postfix's DISCARD: the client hears success, nothing is
		 * queued. */
		log_info("NOQUEUE: discard: END-OF-MESSAGE from %s[%s]; from=<%s>"
		    " nrcpt=%zu", s->client_name, s->client_addr,
		    s->sender ? s->sender : "", s->nrcpt);
		smtp_reply(s, 250, "2.0.0", "Ok");
		s->errors = 0;
		smtp_session_reset(s);
		return;
	}
	smtp_cleanup_end(s);
	s->state = SMTP_S_DATA_END;
}

/*
 * Cleanup's verdict (or its loss: status -1).  Status 0 = queued as id;
 * 4xx/5xx = refused with reason "X.Y.Z text".
 */
void
smtp_data_result(struct smtp_session *s, int status, const char *id,
	    const char *reason)
{
	char	text[512];

	if (status == 0) {
		if (s->sasl_user)
			log_info("%s: client=%s[%s], sasl_method=%s, "
			    "sasl_username=%s%s%s", id, s->client_name,
			    s->client_addr, s->sasl_method, s->sasl_user,
			    s->sasl_sender ? ", sasl_sender=" : "",
			    s->sasl_sender ? s->sasl_sender : "");
		else
			log_info("%s: client=%s[%s]", id, s->client_name,
			    s->client_addr);
		smtp_reply(s, 250, "2.0.0", "Ok: queued as %s", id);
		/* The error limits count errors "without delivering mail". */
		s->errors = 0;
	} else if (status >= 400 && status <= 599 && reason
	    && snprintf(text, sizeof(text), "%d %s", status, reason)
	    < (int)sizeof(text)) {
		smtp_log_reject(s, "END-OF-MESSAGE", text, NULL);
		smtp_reply_hook(s, text);
		smtp_data_failed(s);
	} else {
		smtp_data_failed(s);
		log_warn("%s[%s]: cleanup failed: %s", s->client_name,
		    s->client_addr, reason ? reason : "unknown error");
		smtp_reply(s, 451, "4.3.0", "Error: queue file write error");
	}
	s->state = SMTP_S_READY;	/* reset keeps a finished session */
	smtp_session_reset(s);
	smtp_session_resume(s);
}
