/*
 * smtp-client/smtpc_session.c — one SMTP session with one server address.
 *
 * Greeting, EHLO (HELO when EHLO is refused), MAIL/RCPT/DATA (pipelined
 * when the server offers PIPELINING), the content with CRLF line ends and
 * dot-stuffing, QUIT.  Every state has its Postfix timeout; the server is
 * untrusted: replies go through the bounded reader of smtpc_reply.c and a
 * malformed one ends the session.  Results are set per recipient
 * (DELIVER_*); a site-level soft failure leaves the recipients open for
 * the next address.  XXX first cut: plain TCP, blocking I/O with poll().
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <bsd/string.h>

#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "netio.h"
#include "smtp.h"

#define CHUNK	65536

struct sess {
	struct smtpc_msg *msg;
	const struct smtpc_target *tg;
	int	fd;
	struct smtpc_reader rd;
	char	in[4096];
	size_t	in_off, in_len;
	char	peer[340];		/* host[addr]:port */
	char	hostaddr[320];		/* host[addr] */
	int	pipelining;
	long	size_limit;		/* server's SIZE, 0 = none given */
	int	has_size;
	int	broken;			/* the connection is unusable */
	struct strbuf why;		/* last reason */
	struct strbuf out;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connect with smtp_connect_timeout. -1 with s->why. */
static int
sess_connect(struct sess *s)
{
	struct addrinfo hints, *ai = NULL;
	char port[16];
	struct pollfd pfd;
	int fd, rc, err = 0;
	socklen_t len = sizeof(err);

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", s->tg->port);
	if (getaddrinfo(s->tg->addr, port, &hints, &ai) != 0) {
		strbuf_set_printf(&s->why, "connect to %s: bad address", s->peer);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		strbuf_set_printf(&s->why, "connect to %s: %s", s->peer, strerror(errno));
		return -1;
	}
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (rc < 0 && errno == EINPROGRESS) {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			rc = poll(&pfd, 1, (int)var_smtp_connect_timeout * 1000);
		while (rc < 0 && errno == EINTR);
		if (rc == 0) {
			close(fd);
			strbuf_set_printf(&s->why, "connect to %s: Connection timed out",
			    s->peer);
			return -1;
		}
		if (rc < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		rc = err ? -1 : 0;
		errno = err;
	}
	if (rc < 0) {
		strbuf_set_printf(&s->why, "connect to %s: %s", s->peer, strerror(errno));
		close(fd);
		return -1;
	}
	s->fd = fd;
	return 0;
}

/* Read one reply within timeout seconds (for the whole reply, so a server
 * trickling bytes cannot hold us longer).  0, or -1 with s->why naming
 * `stage` and s->broken set. */
static int
sess_reply(struct sess *s, long timeout, const char *stage)
{
	long long deadline = now_ms() + timeout * 1000;
	struct strbuf bad;
	size_t used;
	ssize_t n;
	int rc;

	smtpc_reader_next(&s->rd);
	strbuf_init(&bad, 256);
	for (;;) {
		if (s->in_off < s->in_len) {
			rc = smtpc_reply_feed(&s->rd, s->in + s->in_off,
			    s->in_len - s->in_off, &used, &bad);
			s->in_off += used;
			if (rc == SMTPC_REPLY_DONE)
				break;
			if (rc == SMTPC_REPLY_BAD) {
				strbuf_set_printf(&s->why, "malformed reply from %s while "
				    "%s: %s", s->hostaddr, stage, bad.data);
				goto fail;
			}
			continue;
		}
		s->in_off = s->in_len = 0;
		struct pollfd pfd = { s->fd, POLLIN, 0 };
		long long left = deadline - now_ms();

		if (left <= 0 || (rc = poll(&pfd, 1, (int)left)) == 0) {
			strbuf_set_printf(&s->why, "conversation with %s timed out "
			    "while %s", s->hostaddr, stage);
			goto fail;
		}
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			strbuf_set_printf(&s->why, "lost connection with %s while %s",
			    s->hostaddr, stage);
			goto fail;
		}
		n = read(s->fd, s->in, sizeof(s->in));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			strbuf_set_printf(&s->why, "lost connection with %s while %s",
			    s->hostaddr, stage);
			goto fail;
		}
		s->in_len = (size_t)n;
	}
	strbuf_release(&bad);
	return 0;
fail:
	strbuf_release(&bad);
	s->broken = 1;
	return -1;
}

/* Send s->out within timeout.  0, or -1 with s->why. */
static int
sess_flush(struct sess *s, long timeout, const char *stage)
{
	int rc = 0;

	if (s->out.len > 0 && write_full(s->fd, s->out.data, s->out.len,
	    (int)timeout * 1000) < 0) {
		strbuf_set_printf(&s->why, "%s with %s while %s",
		    errno == ETIMEDOUT ? "conversation timed out" : "lost connection",
		    s->hostaddr, stage);
		s->broken = 1;
		rc = -1;
	}
	strbuf_reset(&s->out);
	return rc;
}

static void
rcpt_set(struct smtpc_rcpt *r, int result, const char *dsn, const char *relay,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
rcpt_set(struct smtpc_rcpt *r, int result, const char *dsn, const char *relay,
    const char *fmt, ...)
{
	va_list ap;

	r->result = result;
	strlcpy(r->dsn, dsn, sizeof(r->dsn));
	strlcpy(r->relay, relay, sizeof(r->relay));
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
	if (r->esc[0] != '\0')
		return r->esc;
	snprintf(buf, size, "%d.0.0", r->code / 100);
	return buf;
}

/* Every open recipient gets the server's reply (`cmd` names the command). */
static void
fail_open_reply(struct sess *s, const char *cmd)
{
	const struct smtpc_reply *r = &s->rd.reply;
	char dbuf[16];
	const char *dsn = reply_dsn(r, dbuf, sizeof(dbuf));
	size_t i;

	for (i = 0; i < s->msg->nrcpt; i++) {
		if (s->msg->rcpts[i].result >= 0)
			continue;
		rcpt_set(&s->msg->rcpts[i], r->code >= 500 ? DELIVER_BOUNCE :
		    DELIVER_DEFER, dsn, s->peer, "host %s said: %s (in reply to %s "
		    "command)", s->hostaddr, r->text.data, cmd);
	}
}

/* Is name (the first word of a greeting or EHLO reply) ourselves? */
static int
names_me(const struct smtpc_reply *r)
{
	const char *t = r->lines.data;
	size_t n = strcspn(t, " ");

	return var_myhostname != NULL && n == strlen(var_myhostname) &&
	    strncasecmp(t, var_myhostname, n) == 0;
}

static int
loops_back(struct sess *s)
{
	size_t i;

	log_warn("%s: host %s greeted me with my own hostname %s", s->msg->id,
	    s->hostaddr, var_myhostname);
	for (i = 0; i < s->msg->nrcpt; i++)
		if (s->msg->rcpts[i].result < 0)
			rcpt_set(&s->msg->rcpts[i], DELIVER_BOUNCE, "5.4.6", s->peer,
			    "mail for %s loops back to myself", s->msg->nexthop);
	return -1;
}

/* EHLO keywords: PIPELINING, SIZE n. */
static void
ehlo_features(struct sess *s)
{
	const char *p = s->rd.reply.lines.data, *end = p + s->rd.reply.lines.len;
	size_t i;

	for (i = 0; p < end; i++, p += strlen(p) + 1) {
		if (i == 0)
			continue;	/* the server's name */
		if (strcasecmp(p, "PIPELINING") == 0)
			s->pipelining = 1;
		else if (strncasecmp(p, "SIZE", 4) == 0 && (p[4] == '\0' ||
		    p[4] == ' ')) {
			s->has_size = 1;
			s->size_limit = p[4] ? strtol(p + 5, NULL, 10) : 0;
			if (s->size_limit < 0)
				s->size_limit = 0;
		}
	}
}

/* Greeting and EHLO/HELO.  0 ready; -1 with the recipients' state set or
 * s->why for the next address. */
static int
sess_hello(struct sess *s)
{
	if (sess_reply(s, var_smtp_helo_timeout,
	    "receiving the initial server greeting") < 0)
		return -1;
	if (s->rd.reply.code != 220) {
		const struct smtpc_reply *r = &s->rd.reply;

		if (r->code >= 500 && !var_smtp_skip_5xx_greeting) {
			fail_open_reply(s, "the initial server greeting");
			return -1;
		}
		strbuf_set_printf(&s->why, "host %s refused to talk to me: %s",
		    s->hostaddr, r->text.data);
		return -1;
	}
	if (names_me(&s->rd.reply))
		return loops_back(s);
	strbuf_printf(&s->out, "EHLO %s\r\n", var_smtp_helo_name);
	if (sess_flush(s, var_smtp_helo_timeout, "sending EHLO") < 0 ||
	    sess_reply(s, var_smtp_helo_timeout, "receiving the EHLO reply") < 0)
		return -1;
	if (s->rd.reply.code / 100 == 2) {
		if (names_me(&s->rd.reply))
			return loops_back(s);
		ehlo_features(s);
		return 0;
	}
	strbuf_printf(&s->out, "HELO %s\r\n", var_smtp_helo_name);
	if (sess_flush(s, var_smtp_helo_timeout, "sending HELO") < 0 ||
	    sess_reply(s, var_smtp_helo_timeout, "receiving the HELO reply") < 0)
		return -1;
	if (s->rd.reply.code / 100 != 2) {
		if (s->rd.reply.code >= 500)
			fail_open_reply(s, "HELO");
		else
			strbuf_set_printf(&s->why, "host %s refused to talk to me: %s",
			    s->hostaddr, s->rd.reply.text.data);
		return -1;
	}
	if (names_me(&s->rd.reply))
		return loops_back(s);
	return 0;
}

/* The content: LF -> CRLF, a leading "." doubled (RFC 5321 4.5.2). */
static int
sess_content(struct sess *s)
{
	struct strbuf chunk;
	off_t off = s->msg->env->content_off;
	int bol = 1, rc;
	size_t i;

	strbuf_init(&chunk, STRBUF_NOLIMIT);
	while ((rc = qfile_read_content(s->msg->qfd, &off, &chunk, &s->why)) > 0) {
		for (i = 0; i < chunk.len; i++) {
			char c = chunk.data[i];

			if (bol && c == '.')
				strbuf_append_char(&s->out, '.');
			if (c == '\n')
				strbuf_append_str(&s->out, "\r\n");
			else
				strbuf_append_char(&s->out, c);
			bol = c == '\n';
		}
		if (s->out.len >= CHUNK && sess_flush(s, var_smtp_data_xfer_timeout,
		    "sending message body") < 0) {
			strbuf_release(&chunk);
			return -1;
		}
	}
	strbuf_release(&chunk);
	if (rc < 0) {
		strbuf_set_printf(&s->why, "corrupt queue file: %s", s->why.data);
		s->broken = 1;
		return -1;
	}
	if (!bol)
		strbuf_append_str(&s->out, "\r\n");
	strbuf_append_str(&s->out, ".\r\n");
	return sess_flush(s, var_smtp_data_xfer_timeout, "sending message body");
}

/* MAIL, RCPT..., DATA.  Returns 0 when the session may QUIT cleanly. */
static int
sess_transaction(struct sess *s)
{
	struct smtpc_msg *m = s->msg;
	size_t i, nsent = 0, nok = 0;
	size_t *sent = calloc(m->nrcpt ? m->nrcpt : 1, sizeof(*sent));
	char dbuf[16];
	int rc = -1;

	if (sent == NULL)
		log_fatal("out of memory");
	if (s->has_size && s->size_limit > 0 && m->env->content_size > s->size_limit) {
		for (i = 0; i < m->nrcpt; i++)
			if (m->rcpts[i].result < 0)
				rcpt_set(&m->rcpts[i], DELIVER_BOUNCE, "5.3.4", s->peer,
				    "message size %lld exceeds size limit %ld of server %s",
				    (long long)m->env->content_size, s->size_limit,
				    s->hostaddr);
		free(sent);
		return 0;
	}
	strbuf_printf(&s->out, "MAIL FROM:<%s>", m->sender);
	if (s->has_size)
		strbuf_printf(&s->out, " SIZE=%lld", (long long)m->env->content_size);
	strbuf_append_str(&s->out, "\r\n");
	if (!s->pipelining) {
		if (sess_flush(s, var_smtp_mail_timeout, "sending MAIL FROM") < 0 ||
		    sess_reply(s, var_smtp_mail_timeout, "receiving the MAIL FROM reply") < 0)
			goto out;
		if (s->rd.reply.code / 100 != 2) {
			fail_open_reply(s, "MAIL FROM");
			rc = 0;
			goto out;
		}
	}
	for (i = 0; i < m->nrcpt; i++) {
		if (m->rcpts[i].result >= 0)
			continue;
		sent[nsent++] = i;
		strbuf_printf(&s->out, "RCPT TO:<%s>\r\n", m->rcpts[i].addr);
		if (!s->pipelining) {
			if (sess_flush(s, var_smtp_rcpt_timeout, "sending RCPT TO") < 0 ||
			    sess_reply(s, var_smtp_rcpt_timeout,
			    "receiving the RCPT TO reply") < 0)
				goto out;
			if (s->rd.reply.code / 100 == 2) {
				nok++;
				continue;
			}
			rcpt_set(&m->rcpts[i], s->rd.reply.code >= 500 ? DELIVER_BOUNCE :
			    DELIVER_DEFER, reply_dsn(&s->rd.reply, dbuf, sizeof(dbuf)),
			    s->peer, "host %s said: %s (in reply to RCPT TO command)",
			    s->hostaddr, s->rd.reply.text.data);
			sent[nsent - 1] = (size_t)-1;
		}
	}
	if (s->pipelining) {
		/* RFC 2920: DATA goes in the same batch; the server refuses it
		 * when no recipient was accepted. */
		strbuf_append_str(&s->out, "DATA\r\n");
		if (sess_flush(s, var_smtp_mail_timeout, "sending MAIL FROM") < 0 ||
		    sess_reply(s, var_smtp_mail_timeout, "receiving the MAIL FROM reply") < 0)
			goto out;
		if (s->rd.reply.code / 100 != 2) {
			fail_open_reply(s, "MAIL FROM");
			/* Read the rest of the batch so QUIT is in sync. */
			for (i = 0; i <= nsent; i++)
				if (sess_reply(s, var_smtp_rcpt_timeout,
				    "receiving the RCPT TO reply") < 0)
					goto out;
			rc = 0;
			goto out;
		}
		for (i = 0; i < nsent; i++) {
			struct smtpc_rcpt *r = &m->rcpts[sent[i]];

			if (sess_reply(s, var_smtp_rcpt_timeout,
			    "receiving the RCPT TO reply") < 0)
				goto out;
			if (s->rd.reply.code / 100 == 2) {
				nok++;
				continue;
			}
			rcpt_set(r, s->rd.reply.code >= 500 ? DELIVER_BOUNCE :
			    DELIVER_DEFER, reply_dsn(&s->rd.reply, dbuf, sizeof(dbuf)),
			    s->peer, "host %s said: %s (in reply to RCPT TO command)",
			    s->hostaddr, s->rd.reply.text.data);
			sent[i] = (size_t)-1;
		}
		if (sess_reply(s, var_smtp_data_init_timeout,
		    "receiving the DATA reply") < 0)
			goto out;
		if (nok == 0) {
			/* A server that says 354 with no recipient: nothing safe to
			 * send (an empty "." would deliver nothing to no one). */
			rc = s->rd.reply.code == 354 ? -1 : 0;
			if (rc < 0)
				s->broken = 1;
			goto out;
		}
	} else {
		if (nok == 0) {
			rc = 0;
			goto out;
		}
		strbuf_append_str(&s->out, "DATA\r\n");
		if (sess_flush(s, var_smtp_data_init_timeout, "sending DATA") < 0 ||
		    sess_reply(s, var_smtp_data_init_timeout,
		    "receiving the DATA reply") < 0)
			goto out;
	}
	if (s->rd.reply.code != 354) {
		fail_open_reply(s, "DATA");
		rc = 0;
		goto out;
	}
	if (sess_content(s) < 0 || sess_reply(s, var_smtp_data_done_timeout,
	    "receiving the end of data reply") < 0) {
		if (strncmp(s->why.data, "lost connection", 15) == 0 &&
		    strstr(s->why.data, "while receiving") != NULL)
			strbuf_set_printf(&s->why, "lost connection with %s while "
			    "sending end of data -- message may be sent more than once",
			    s->hostaddr);
		goto out;
	}
	for (i = 0; i < m->nrcpt; i++) {
		if (m->rcpts[i].result >= 0)
			continue;
		if (s->rd.reply.code / 100 == 2)
			rcpt_set(&m->rcpts[i], DELIVER_OK, reply_dsn(&s->rd.reply,
			    dbuf, sizeof(dbuf)), s->peer, "%s", s->rd.reply.text.data);
		else
			rcpt_set(&m->rcpts[i], s->rd.reply.code >= 500 ? DELIVER_BOUNCE :
			    DELIVER_DEFER, reply_dsn(&s->rd.reply, dbuf, sizeof(dbuf)),
			    s->peer, "host %s said: %s (in reply to end of DATA command)",
			    s->hostaddr, s->rd.reply.text.data);
	}
	rc = 0;
out:
	free(sent);
	return rc;
}

enum smtpc_session_status
smtpc_session_run(struct smtpc_msg *msg, const struct smtpc_target *target)
{
	struct sess s;
	enum smtpc_session_status st = SMTPC_SESSION_DONE;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.msg = msg;
	s.tg = target;
	s.fd = -1;
	/* Bounded by smtpc_target's sizes: 255 + 45 + 2. */
	if (snprintf(s.hostaddr, sizeof(s.hostaddr), "%s[%s]", target->host,
	    target->addr) >= (int)sizeof(s.hostaddr))
		log_panic("host name too long");
	if (snprintf(s.peer, sizeof(s.peer), "%.300s:%u", s.hostaddr,
	    target->port) >= (int)sizeof(s.peer))
		log_panic("relay name too long");
	smtpc_reader_init(&s.rd);
	strbuf_init(&s.why, 4096);
	strbuf_init(&s.out, STRBUF_NOLIMIT);
	if (sess_connect(&s) == 0 && sess_hello(&s) == 0 &&
	    sess_transaction(&s) == 0 && !s.broken) {
		strbuf_append_str(&s.out, "QUIT\r\n");
		/* QUIT's reply does not change any result. */
		if (sess_flush(&s, var_smtp_quit_timeout, "sending QUIT") == 0)
			(void)sess_reply(&s, var_smtp_quit_timeout,
			    "receiving the QUIT reply");
		strbuf_reset(&s.why);
	}
	if (s.why.len > 0) {
		/* Site-level trouble: recipients without a result wait for the
		 * next address with this reason. */
		log_info("%s: %s", msg->id, s.why.data);
		for (i = 0; i < msg->nrcpt; i++)
			if (msg->rcpts[i].result < 0) {
				strlcpy(msg->rcpts[i].relay, s.peer,
				    sizeof(msg->rcpts[i].relay));
				st = SMTPC_SESSION_NEXT;
			}
		smtpc_fail_rest(msg, DELIVER_DEFER, strncmp(s.why.data, "connect to",
		    10) == 0 ? "4.4.1" : "4.4.2", s.why.data, 0);
	}
	if (s.fd >= 0)
		close(s.fd);
	smtpc_reader_release(&s.rd);
	strbuf_release(&s.why);
	strbuf_release(&s.out);
	return st;
}
