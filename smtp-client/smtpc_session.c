/*
 * smtp-client/smtpc_session.c — the SMTP (and LMTP) dialogue on one
 * connection, driven by replies from smtpc_conn.c.
 *
 * Greeting, EHLO (HELO when EHLO is refused; LHLO for LMTP), STARTTLS and
 * AUTH when wanted (smtpc_tls.c, smtpc_sasl.c), then a transaction: MAIL,
 * RCPT..., DATA (all in one batch when the server offers PIPELINING,
 * RFC 2920) or BDAT (CHUNKING), the content (smtpc_content.c) and the
 * end-of-data reply -- one per accepted recipient for LMTP (RFC 2033 4.2).
 * Results are set per recipient: 5xx bounces; 4xx defers, or, while
 * other addresses of the destination are left, leaves the recipient open
 * for the next one (as Postfix does).  Site-level trouble (no greeting,
 * lost connection, TLS required and missing) leaves the open recipients
 * for the next address with the reason.  After a transaction a healthy
 * connection is reset (RSET) and kept for reuse, else closed with QUIT.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <bsd/string.h>
#include <event2/event.h>

#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "server.h"
#include "smtpc_sess.h"

static void xact_start(struct smtpc_sess *s);
static void xact_over(struct smtpc_sess *s);

/* ---- results ---- */

static void
rcpt_set(struct smtpc_rcpt *r, const struct smtpc_sess *s, int result,
    const char *dsn, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
rcpt_set(struct smtpc_rcpt *r, const struct smtpc_sess *s, int result,
    const char *dsn, const char *fmt, ...)
{
	va_list ap;

	r->result = result;
	strlcpy(r->dsn, dsn, sizeof(r->dsn));
	strlcpy(r->relay, s->peer, sizeof(r->relay));
	strlcpy(r->tls, s->tls_active ? s->tls_summary.data : "", sizeof(r->tls));
	strbuf_reset(&r->text);
	va_start(ap, fmt);
	if (strbuf_vprintf(&r->text, fmt, ap) < 0)
		strbuf_set_str(&r->text, "(reason too long)");
	va_end(ap);
}

/* The DSN of a reply: its enhanced code, else X.0.0 of its class. */
static const char *
reply_dsn(const struct smtpc_reply *r, char *buf, size_t size)
{
	if (r->esc[0] != '\0' && r->esc[0] == '0' + r->code / 100)
		return r->esc;
	snprintf(buf, size, "%d.0.0", r->code / 100);
	return buf;
}

/* Recipient i gets the current reply to cmd: 2xx delivered, 5xx bounced,
 * 4xx deferred -- or kept open for the next address (not final). */
static void
rcpt_reply(struct smtpc_sess *s, size_t i, const char *cmd)
{
	const struct smtpc_reply *r = &s->rd.reply;
	struct smtpc_rcpt *rc = &s->msg->rcpts[i];
	char dbuf[16];
	const char *dsn = reply_dsn(r, dbuf, sizeof(dbuf));

	if (r->code / 100 == 2) {
		rcpt_set(rc, s, DELIVER_OK, dsn, "%s", r->text.data);
		return;
	}
	rcpt_set(rc, s, r->code >= 500 ? DELIVER_BOUNCE : DELIVER_DEFER, dsn,
	    "host %s said: %s (in reply to %s command)", s->hostaddr,
	    r->text.data, cmd);
	if (r->code < 500 && !s->msg->final)
		rc->result = -1;	/* the next address may do better */
}

/* Every open recipient gets the reply to cmd. */
static void
open_reply(struct smtpc_sess *s, const char *cmd)
{
	size_t i;

	for (i = 0; i < s->msg->nrcpt; i++)
		if (s->msg->rcpts[i].result < 0)
			rcpt_reply(s, i, cmd);
}

/* Every open recipient that the server accepted gets the reply. */
static void
accepted_reply(struct smtpc_sess *s, const char *cmd)
{
	size_t i;

	for (i = 0; i < s->msg->nrcpt; i++)
		if (s->accepted[i] && s->msg->rcpts[i].result < 0)
			rcpt_reply(s, i, cmd);
}

/* ---- the end of a job's use of the session ---- */

static void
sess_quit(struct smtpc_sess *s)
{
	smtpc_conn_printf(s, "QUIT\r\n");
	s->state = ST_QUIT;
	smtpc_conn_deadline(s, var_smtp_quit_timeout, "receiving the QUIT reply");
}

/* Hand the recipients back to the job; then reset the connection for
 * reuse, or close it. */
static void
sess_finish(struct smtpc_sess *s)
{
	struct smtpc_job *job = s->job;
	struct smtpc_msg *msg = s->msg;
	enum smtpc_session_status st = SMTPC_SESSION_DONE;
	int site_fail = s->site_fail;
	size_t i;

	if (job == NULL)
		log_panic("session without a job");
	if (s->why.len > 0) {
		/* Site-level trouble: recipients without a result wait for the
		 * next address with this reason. */
		log_info("%s: %s", msg->id, s->why.data);
		smtpc_fail_rest(msg, DELIVER_DEFER, strncmp(s->why.data,
		    "connect to", 10) == 0 ? "4.4.1" : "4.4.2", s->why.data, 0);
		for (i = 0; i < msg->nrcpt; i++)
			if (msg->rcpts[i].result < 0)
				strlcpy(msg->rcpts[i].relay, s->peer,
				    sizeof(msg->rcpts[i].relay));
	}
	for (i = 0; i < msg->nrcpt; i++)
		if (msg->rcpts[i].result < 0)
			st = SMTPC_SESSION_NEXT;
	s->job = NULL;
	s->msg = NULL;
	s->site_fail = 0;
	strbuf_reset(&s->why);
	smtpc_content_end(s);
	if (s->broken || s->closing) {
		smtpc_conn_close(s);
	} else if (s->state >= ST_XACT && s->cache_key != NULL &&
	    var_smtp_cache_time > 0) {
		smtpc_conn_printf(s, "RSET\r\n");
		s->state = ST_RSET;
		smtpc_conn_deadline(s, var_smtp_rset_timeout,
		    "receiving the RSET reply");
	} else {
		sess_quit(s);
	}
	smtpc_job_session_done(job, st, site_fail);
}

/* Site-level soft trouble: the open recipients try the next address. */
static void
sess_site(struct smtpc_sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sess_site(struct smtpc_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (strbuf_vprintf(&s->why, fmt, ap) < 0)
		strbuf_set_str(&s->why, "(reason too long)");
	va_end(ap);
	if (s->state < ST_XACT)
		s->site_fail = 1;
	sess_finish(s);
}

void
smtpc_sess_failed(struct smtpc_sess *s, const char *what)
{
	s->broken = 1;
	if (s->job == NULL) {
		smtpc_conn_close(s);
		return;
	}
	if (s->state == ST_DOT && !smtpc_lmtp && !s->use_bdat &&
	    strncmp(what, "lost connection", 15) == 0) {
		/* The server may have taken the message before it went
		 * away: say so (Postfix's words). */
		strbuf_set_printf(&s->why, "lost connection with %s while sending "
		    "end of data -- message may be sent more than once",
		    s->hostaddr);
	} else {
		strbuf_set_str(&s->why, what);
	}
	if (s->state < ST_XACT)
		s->site_fail = 1;
	sess_finish(s);
}

/* ---- greeting and EHLO ---- */

/* Is name (the first word of a greeting or EHLO reply) ourselves? */
static int
names_me(const struct smtpc_reply *r)
{
	const char *t = r->lines.data;
	size_t n = strcspn(t, " ");

	return var_myhostname != NULL && n == strlen(var_myhostname) &&
	    strncasecmp(t, var_myhostname, n) == 0;
}

static void
loops_back(struct smtpc_sess *s)
{
	size_t i;

	log_warn("%s: host %s greeted me with my own hostname %s", s->msg->id,
	    s->hostaddr, var_myhostname);
	for (i = 0; i < s->msg->nrcpt; i++)
		if (s->msg->rcpts[i].result < 0)
			rcpt_set(&s->msg->rcpts[i], s, DELIVER_BOUNCE, "5.4.6",
			    "mail for %s loops back to myself", s->msg->nexthop);
	sess_finish(s);
}

static void
features_reset(struct smtpc_features *f)
{
	strbuf_reset(&f->auth);
	f->esmtp = 0;
	f->pipelining = f->eightbitmime = f->smtputf8 = f->dsn = f->chunking = 0;
	f->starttls = f->has_size = 0;
	f->size_limit = 0;
}

/* EHLO keywords. */
static void
ehlo_features(struct smtpc_sess *s)
{
	struct smtpc_features *f = &s->feat;
	const char *p = s->rd.reply.lines.data, *end = p + s->rd.reply.lines.len;
	size_t i;

	features_reset(f);
	f->esmtp = 1;
	for (i = 0; p < end; i++, p += strlen(p) + 1) {
		if (i == 0)
			continue;	/* the server's name */
		if (strcasecmp(p, "PIPELINING") == 0)
			f->pipelining = 1;
		else if (strcasecmp(p, "8BITMIME") == 0)
			f->eightbitmime = 1;
		else if (strcasecmp(p, "SMTPUTF8") == 0)
			f->smtputf8 = 1;
		else if (strcasecmp(p, "DSN") == 0)
			f->dsn = 1;
		else if (strcasecmp(p, "CHUNKING") == 0)
			f->chunking = 1;
		else if (strcasecmp(p, "STARTTLS") == 0)
			f->starttls = 1;
		else if (strncasecmp(p, "AUTH", 4) == 0 && (p[4] == ' ' ||
		    p[4] == '=')) {
			strbuf_reset(&f->auth);
			strbuf_append_str(&f->auth, p + 5);
		} else if (strncasecmp(p, "SIZE", 4) == 0 && (p[4] == '\0' ||
		    p[4] == ' ')) {
			f->has_size = 1;
			f->size_limit = p[4] ? strtol(p + 5, NULL, 10) : 0;
			if (f->size_limit < 0)
				f->size_limit = 0;
		}
	}
}

static void
send_ehlo(struct smtpc_sess *s)
{
	smtpc_conn_printf(s, "%s %s\r\n", smtpc_lmtp ? "LHLO" : "EHLO",
	    var_smtp_helo_name);
	s->state = ST_EHLO;
	smtpc_conn_deadline(s, var_smtp_helo_timeout, smtpc_lmtp ?
	    "receiving the LHLO reply" : "receiving the EHLO reply");
}

void
smtpc_sess_connected(struct smtpc_sess *s)
{
	if (smtpc_tls_wrapper_start(s))
		return;
	smtpc_conn_deadline(s, var_smtp_helo_timeout,
	    "receiving the initial server greeting");
}

/* The server would not talk to us (a 4XX greeting or HELO, or an
 * EHLO refused where HELO is no way out): try the next server. */
static void
refused(struct smtpc_sess *s)
{
	sess_site(s, "host %s refused to talk to me: %s", s->hostaddr,
	    s->rd.reply.text.data);
}

static void
greet_reply(struct smtpc_sess *s)
{
	const struct smtpc_reply *r = &s->rd.reply;

	if (r->code != 220) {
		if (r->code >= 500 && !var_smtp_skip_5xx_greeting) {
			open_reply(s, "the initial server greeting");
			sess_finish(s);
			return;
		}
		refused(s);
		return;
	}
	if (names_me(r)) {
		loops_back(s);
		return;
	}
	send_ehlo(s);
}

/* After EHLO/HELO (and again after TLS): TLS, then AUTH, then mail. */
static void
after_hello(struct smtpc_sess *s)
{
	int r = smtpc_tls_after_hello(s);

	if (r != 0)
		return;		/* STARTTLS sent, or the session ended */
	if (smtpc_sasl_after_hello(s) != 0)
		return;
	xact_start(s);
}

static void
ehlo_reply(struct smtpc_sess *s)
{
	const struct smtpc_reply *r = &s->rd.reply;

	if (r->code / 100 == 2) {
		if (!s->tls_active && names_me(r)) {
			loops_back(s);
			return;
		}
		ehlo_features(s);
		after_hello(s);
		return;
	}
	if (smtpc_lmtp || s->tls_active) {
		refused(s);
		return;
	}
	smtpc_conn_printf(s, "HELO %s\r\n", var_smtp_helo_name);
	s->state = ST_HELO;
	smtpc_conn_deadline(s, var_smtp_helo_timeout, "receiving the HELO reply");
}

static void
helo_reply(struct smtpc_sess *s)
{
	const struct smtpc_reply *r = &s->rd.reply;

	if (r->code / 100 != 2) {
		if (r->code >= 500) {
			open_reply(s, "HELO");
			sess_finish(s);
		} else {
			refused(s);
		}
		return;
	}
	if (names_me(r)) {
		loops_back(s);
		return;
	}
	features_reset(&s->feat);
	after_hello(s);
}

/* Called by smtpc_tls.c when the TLS session is up and checked. */
void
smtpc_sess_hello_again(struct smtpc_sess *s)
{
	send_ehlo(s);
}

/* Called by smtpc_sasl.c when the login succeeded. */
void
smtpc_sess_ready(struct smtpc_sess *s)
{
	xact_start(s);
}

/* Site-level failure from smtpc_tls.c / smtpc_sasl.c. */
void
smtpc_sess_site_fail(struct smtpc_sess *s, const char *text)
{
	sess_site(s, "%s", text);
}

/* Called by smtpc_tls.c: level may and the handshake failed.  The same
 * server gets a new connection without TLS (Postfix does the same); the
 * broken one goes. */
void
smtpc_sess_retry_plain(struct smtpc_sess *s)
{
	struct smtpc_sess *n = smtpc_conn_new(&s->tg, s->cache_key);

	n->job = s->job;
	n->msg = s->msg;
	n->tls_level = 0;		/* TLS_LEV_NONE */
	n->tls_plain_retry = 1;
	s->job = NULL;
	s->msg = NULL;
	s->broken = 1;
	smtpc_conn_close(s);
}

/* ---- the transaction ---- */

/* xtext (RFC 3461 4): printable ASCII but '+' and '=' as is, else +HH. */
static void
xtext(struct strbuf *out, const char *v)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c > ' ' && c < 0x7f && c != '+' && c != '=')
			strbuf_append_char(out, (char)c);
		else
			strbuf_printf(out, "+%02X", c);
	}
}

static int
has_8bit(const char *v)
{
	for (; *v; v++)
		if ((unsigned char)*v >= 0x80)
			return 1;
	return 0;
}

static const char *
pend_stage(enum smtpc_pend_kind k)
{
	switch (k) {
	case P_MAIL:
		return "receiving the MAIL FROM reply";
	case P_RCPT:
		return "receiving the RCPT TO reply";
	case P_DATA:
		return "receiving the DATA reply";
	default:
		return "receiving the BDAT reply";
	}
}

static long
pend_timeout(enum smtpc_pend_kind k)
{
	return k == P_MAIL ? var_smtp_mail_timeout : k == P_RCPT ?
	    var_smtp_rcpt_timeout : var_smtp_data_init_timeout;
}

/* Write the command of s->pend[i]. */
static void
send_pend(struct smtpc_sess *s, size_t i)
{
	struct smtpc_msg *m = s->msg;
	const struct smtpc_pend *p = &s->pend[i];
	struct strbuf cmd;

	strbuf_init(&cmd, STRBUF_NOLIMIT);
	switch (p->kind) {
	case P_MAIL:
		strbuf_printf(&cmd, "MAIL FROM:<%s>", m->sender);
		if (s->feat.has_size)
			strbuf_printf(&cmd, " SIZE=%lld", (long long)m->env->content_size);
		if (s->feat.eightbitmime && m->eightbit == 1)
			strbuf_append_str(&cmd, " BODY=8BITMIME");
		if (s->feat.smtputf8 && (m->env->flags & CLEANUP_F_SMTPUTF8))
			strbuf_append_str(&cmd, " SMTPUTF8");
		if (s->feat.dsn && m->ret != NULL && *m->ret)
			strbuf_printf(&cmd, " RET=%s", m->ret);
		if (s->feat.dsn && m->envid != NULL && *m->envid) {
			strbuf_append_str(&cmd, " ENVID=");
			xtext(&cmd, m->envid);
		}
		break;
	case P_RCPT: {
		const struct smtpc_rcpt *r = &m->rcpts[p->idx];

		strbuf_printf(&cmd, "RCPT TO:<%s>", r->addr);
		if (s->feat.dsn && r->notify != 0) {
			static const struct { int bit; const char *name; } nt[] = {
				{ DSN_NOTIFY_SUCCESS, "SUCCESS" },
				{ DSN_NOTIFY_FAILURE, "FAILURE" },
				{ DSN_NOTIFY_DELAY, "DELAY" },
			};
			const char *sep = "";
			size_t k;

			strbuf_append_str(&cmd, " NOTIFY=");
			if (r->notify & DSN_NOTIFY_NEVER)
				strbuf_append_str(&cmd, "NEVER");
			else
				for (k = 0; k < 3; k++)
					if (r->notify & nt[k].bit) {
						strbuf_printf(&cmd, "%s%s", sep, nt[k].name);
						sep = ",";
					}
		}
		if (s->feat.dsn && r->orcpt != NULL && *r->orcpt) {
			/* Stored as "type;address" with the address decoded. */
			const char *semi = strchr(r->orcpt, ';');

			strbuf_append_str(&cmd, " ORCPT=");
			if (semi != NULL) {
				strbuf_append(&cmd, r->orcpt, (size_t)(semi - r->orcpt) + 1);
				xtext(&cmd, semi + 1);
			} else {
				strbuf_append_str(&cmd, "rfc822;");
				xtext(&cmd, r->orcpt);
			}
		}
		break;
	}
	case P_DATA:
		strbuf_append_str(&cmd, "DATA");
		break;
	case P_BDAT:
		break;
	}
	strbuf_append_str(&cmd, "\r\n");
	smtpc_conn_write(s, cmd.data, cmd.len);
	strbuf_release(&cmd);
	s->nsent = i + 1;
}

static void
xact_start(struct smtpc_sess *s)
{
	struct smtpc_msg *m = s->msg;
	size_t i, n;

	s->state = ST_XACT;
	if (s->feat.has_size && s->feat.size_limit > 0 &&
	    m->env->content_size > s->feat.size_limit) {
		for (i = 0; i < m->nrcpt; i++)
			if (m->rcpts[i].result < 0)
				rcpt_set(&m->rcpts[i], s, DELIVER_BOUNCE, "5.3.4",
				    "message size %lld exceeds size limit %ld of server %s",
				    (long long)m->env->content_size, s->feat.size_limit,
				    s->hostaddr);
		sess_finish(s);
		return;
	}
	if ((m->env->flags & CLEANUP_F_SMTPUTF8) && !s->feat.smtputf8) {
		int utf8 = has_8bit(m->sender);

		for (i = 0; i < m->nrcpt; i++)
			if (m->rcpts[i].result < 0 && has_8bit(m->rcpts[i].addr))
				utf8 = 1;
		if (utf8) {
			/* RFC 6531 3.4: no downgrade of the envelope. */
			for (i = 0; i < m->nrcpt; i++)
				if (m->rcpts[i].result < 0)
					rcpt_set(&m->rcpts[i], s, DELIVER_BOUNCE, "5.6.7",
					    "SMTPUTF8 is required, but was not "
					    "offered by host %s", s->hostaddr);
			sess_finish(s);
			return;
		}
	}
	if (m->eightbit < 0 && (s->feat.eightbitmime || !var_disable_mime_oconv))
		m->eightbit = smtpc_content_8bit(m);
	s->use_bdat = s->feat.chunking && var_smtp_use_chunking && !smtpc_lmtp;
	free(s->pend);
	free(s->accepted);
	s->pend = calloc(m->nrcpt + 2, sizeof(*s->pend));
	s->accepted = calloc(m->nrcpt ? m->nrcpt : 1, 1);
	if (s->pend == NULL || s->accepted == NULL)
		log_fatal("out of memory");
	n = 0;
	s->pend[n++].kind = P_MAIL;
	for (i = 0; i < m->nrcpt; i++)
		if (m->rcpts[i].result < 0) {
			s->pend[n].kind = P_RCPT;
			s->pend[n++].idx = i;
		}
	if (!s->use_bdat)
		s->pend[n++].kind = P_DATA;
	s->npend = n;
	s->nsent = s->ndone = s->nok = 0;
	s->mail_failed = s->bdat_failed = 0;
	s->bdat_wait = 0;
	s->lmtp_next = 0;
	if (s->feat.pipelining) {
		/* RFC 2920: DATA goes in the same batch; the server refuses
		 * it when no recipient was accepted. */
		for (i = 0; i < n; i++)
			send_pend(s, i);
	} else {
		send_pend(s, 0);
	}
	smtpc_conn_deadline(s, pend_timeout(P_MAIL), pend_stage(P_MAIL));
}

static void
content_go(struct smtpc_sess *s)
{
	smtpc_content_begin(s);
	smtpc_sess_writable(s);
}

static void
data_reply(struct smtpc_sess *s)
{
	if (s->rd.reply.code == 354) {
		if (s->mail_failed || s->nok == 0) {
			/* A server that says 354 with no recipient: nothing
			 * safe to send ("." would make an empty message). */
			s->broken = 1;
			xact_over(s);
			return;
		}
		content_go(s);
		return;
	}
	if (!s->mail_failed && s->nok > 0)
		accepted_reply(s, "DATA");
	xact_over(s);
}

static void
xact_reply(struct smtpc_sess *s)
{
	const struct smtpc_reply *r = &s->rd.reply;
	const struct smtpc_pend *p;

	if (s->ndone >= s->nsent) {
		/* A reply to nothing we sent: the dialogue is out of step. */
		sess_site(s, "host %s sent an unexpected reply: %s", s->hostaddr,
		    r->text.data);
		s->broken = 1;
		return;
	}
	p = &s->pend[s->ndone++];
	switch (p->kind) {
	case P_MAIL:
		if (r->code / 100 != 2) {
			s->mail_failed = 1;
			open_reply(s, "MAIL FROM");
		}
		break;
	case P_RCPT:
		if (s->mail_failed)
			break;
		if (r->code / 100 == 2) {
			s->accepted[p->idx] = 1;
			s->nok++;
		} else {
			rcpt_reply(s, p->idx, "RCPT TO");
		}
		break;
	case P_DATA:
		data_reply(s);
		return;
	case P_BDAT:
		break;
	}
	if (s->ndone < s->nsent) {
		smtpc_conn_deadline(s, pend_timeout(s->pend[s->ndone].kind),
		    pend_stage(s->pend[s->ndone].kind));
		return;
	}
	/* Not pipelining: the next command, if any is worth sending. */
	if (s->mail_failed || (s->ndone == s->npend - (s->use_bdat ? 0 : 1) &&
	    s->nok == 0)) {
		xact_over(s);
		return;
	}
	if (s->ndone < s->npend) {
		send_pend(s, s->ndone);
		smtpc_conn_deadline(s, pend_timeout(s->pend[s->ndone].kind),
		    pend_stage(s->pend[s->ndone].kind));
		return;
	}
	/* Every reply is in (BDAT: no DATA command). */
	content_go(s);
}

/* The end-of-data reply (replies, one per accepted recipient, for LMTP). */
static void
dot_reply(struct smtpc_sess *s)
{
	struct smtpc_msg *m = s->msg;

	if (smtpc_lmtp) {
		while (s->lmtp_next < m->nrcpt && !s->accepted[s->lmtp_next])
			s->lmtp_next++;
		if (s->lmtp_next < m->nrcpt) {
			/* LMTP's per-recipient reply is final: no next address
			 * gets a second copy. */
			int final = m->final;

			m->final = 1;
			rcpt_reply(s, s->lmtp_next++, "end of DATA");
			m->final = final;
		}
		while (s->lmtp_next < m->nrcpt && !s->accepted[s->lmtp_next])
			s->lmtp_next++;
		if (s->lmtp_next < m->nrcpt) {
			smtpc_conn_deadline(s, var_smtp_data_done_timeout,
			    "receiving the end of data reply");
			return;
		}
	} else {
		accepted_reply(s, "end of DATA");
	}
	xact_over(s);
}

/* A reply to one of the BDAT chunks; the last one ends the transaction. */
static void
bdat_reply(struct smtpc_sess *s)
{
	const struct smtpc_reply *r = &s->rd.reply;

	if (s->bdat_wait == 0) {
		s->broken = 1;
		sess_site(s, "host %s sent an unexpected reply: %s", s->hostaddr,
		    r->text.data);
		return;
	}
	s->bdat_wait--;
	if (r->code / 100 != 2 && !s->bdat_failed) {
		/* The first refusal decides (RFC 3030 4.2: later chunks of a
		 * failed transaction are refused too). */
		s->bdat_failed = 1;
		accepted_reply(s, "BDAT");
	}
	if (s->state == ST_DOT && s->bdat_wait == 0) {
		if (!s->bdat_failed)
			accepted_reply(s, "end of BDAT");
		xact_over(s);
	} else if (s->state == ST_DOT) {
		smtpc_conn_deadline(s, var_smtp_data_done_timeout,
		    "receiving the BDAT reply");
	}
}

static void
xact_over(struct smtpc_sess *s)
{
	sess_finish(s);
}

void
smtpc_sess_writable(struct smtpc_sess *s)
{
	int rc;

	if (s->state != ST_CONTENT || s->closing)
		return;
	rc = smtpc_content_more(s);
	if (rc < 0) {
		/* Our queue file, not the server: every accepted recipient
		 * waits; the connection is mid-content, so it is dropped. */
		log_warn("%s: %s", s->msg->id, s->why.data);
		smtpc_fail_rest(s->msg, DELIVER_DEFER, "4.3.0", s->why.data, 1);
		strbuf_reset(&s->why);
		s->broken = 1;
		sess_finish(s);
		return;
	}
	if (rc == 0) {
		smtpc_conn_deadline(s, var_smtp_data_xfer_timeout,
		    "sending message body");
		return;
	}
	smtpc_conn_want_write(s, 0);
	s->state = ST_DOT;
	if (s->use_bdat && s->bdat_wait == 0) {
		xact_over(s);	/* every BDAT reply is in already */
		return;
	}
	smtpc_conn_deadline(s, var_smtp_data_done_timeout, s->use_bdat ?
	    "receiving the BDAT reply" : "receiving the end of data reply");
}

/* ---- replies ---- */

void
smtpc_sess_reply(struct smtpc_sess *s)
{
	switch (s->state) {
	case ST_GREET:
		greet_reply(s);
		break;
	case ST_EHLO:
		ehlo_reply(s);
		break;
	case ST_HELO:
		helo_reply(s);
		break;
	case ST_STARTTLS:
		smtpc_tls_reply(s);
		break;
	case ST_AUTH:
		smtpc_sasl_reply(s);
		break;
	case ST_XACT:
		xact_reply(s);
		break;
	case ST_CONTENT:
		if (s->use_bdat) {
			bdat_reply(s);
			break;
		}
		/* A reply in the middle of the content: the server gave up
		 * on it; its word is final and the stream is out of step. */
		s->broken = 1;
		smtpc_conn_want_write(s, 0);
		s->state = ST_DOT;
		dot_reply(s);
		break;
	case ST_DOT:
		if (s->use_bdat)
			bdat_reply(s);
		else
			dot_reply(s);
		break;
	case ST_RSET:
		if (s->rd.reply.code / 100 != 2 || smtpc_conn_cache_put(s) < 0)
			sess_quit(s);
		break;
	case ST_QUIT:
	default:
		smtpc_conn_close(s);
		break;
	}
}

/* ---- entry points ---- */

static void
reuse_go(evutil_socket_t fd, short what, void *arg)
{
	struct smtpc_sess *s = arg;

	(void)fd;
	(void)what;
	s->in_cb++;
	xact_start(s);
	if (--s->in_cb == 0 && s->closing)
		smtpc_conn_close(s);
}

void
smtpc_session_start(struct smtpc_job *job, struct smtpc_msg *msg,
    const struct smtpc_target *target, const char *cache_key)
{
	struct smtpc_sess *s = smtpc_conn_new(target, cache_key);

	s->job = job;
	s->msg = msg;
	smtpc_tls_session_init(s, msg);
}

int
smtpc_session_reuse(struct smtpc_job *job, struct smtpc_msg *msg,
    const char *cache_key)
{
	struct smtpc_sess *s = smtpc_conn_cache_take(cache_key);
	struct timeval now = { 0, 0 };

	if (s == NULL)
		return 0;
	s->job = job;
	s->msg = msg;
	log_info("%s: reusing connection to %s (conn_use=%u)", msg->id, s->peer,
	    s->reuses + 1);
	/* Asynchronous, as a new session is: the caller sees its callback
	 * only from the event loop. */
	if (event_base_once(server_event_base(), -1, EV_TIMEOUT, reuse_go, s,
	    &now) < 0)
		log_fatal("cannot schedule an event");
	return 1;
}
