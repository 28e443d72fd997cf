/*
 * lib/smtp_server.c — SMTP server engine: session life and the input loop.
 *
 * Each session is a bufferevent on the client socket.  The input loop runs
 * every complete command line in the input buffer in order (PIPELINING);
 * replies are appended to the output buffer, which libevent writes once the
 * loop returns, so a pipelined group is answered in one write.  Reading
 * pauses while too many replies wait for a client that does not read, while
 * cleanup is slower than the client, and while cleanup decides on a
 * message.  Every error path goes through smtp_session_reset(), the one
 * reset routine.  Client trouble is logged (info/warn), never fatal.
 */
#include <arpa/inet.h>
#include <bsd/string.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "netio.h"
#include "proxy_proto.h"
#include "smtp_reply.h"
#include "smtp_server_int.h"

#define SMTP_OUT_HIGH	(64 * 1024)	/* unread replies before we stop reading */
#define SMTP_CHUNK	(16 * 1024)	/* input bytes handled per step */

static size_t smtp_nsessions;

static void smtp_read_cb(struct bufferevent *, void *);
static void smtp_write_cb(struct bufferevent *, void *);
static void smtp_event_cb(struct bufferevent *, short, void *);

size_t
smtp_server_sessions(void)
{
	return (smtp_nsessions);
}

const char *
smtp_session_client_addr(const struct smtp_session *s)
{
	return (s->client_addr);
}

const char *
smtp_session_client_name(const struct smtp_session *s)
{
	return (s->client_name);
}

const char *
smtp_session_helo(const struct smtp_session *s)
{
	return (s->helo ? s->helo : "");
}

const char *
smtp_session_sender(const struct smtp_session *s)
{
	return (s->sender);
}

size_t
smtp_session_rcpt_count(const struct smtp_session *s)
{
	return (s->nrcpt);
}

const char *
smtp_session_client_port(const struct smtp_session *s)
{
	return (s->client_port);
}

const char *
smtp_session_server_addr(const struct smtp_session *s)
{
	return (s->server_addr);
}

void
smtp_session_set_client_name(struct smtp_session *s, const char *name)
{
	strlcpy(s->client_name, name && *name ? name : "unknown",
	    sizeof(s->client_name));
}

const char *
smtp_session_reverse_name(const struct smtp_session *s)
{
	return (s->reverse_name);
}

void
smtp_session_set_reverse_name(struct smtp_session *s, const char *name)
{
	free(s->reverse_name);
	s->reverse_name = name ? xstrdup(name) : NULL;
}

const char *
smtp_session_rcpt(const struct smtp_session *s)
{
	return (s->curr_rcpt);
}

const char *
smtp_session_tls_protocol(const struct smtp_session *s)
{
	return (s->tls_protocol);
}

const char *
smtp_session_tls_cipher(const struct smtp_session *s)
{
	return (s->tls_cipher);
}

const char *
smtp_session_tls_peer_fingerprint(const struct smtp_session *s)
{
	return (s->tls_peer_fp);
}

const char *
smtp_session_sasl_user(const struct smtp_session *s)
{
	return (s->sasl_user);
}

const char *
smtp_session_sasl_method(const struct smtp_session *s)
{
	return (s->sasl_method);
}

int
smtp_session_pipelined(const struct smtp_session *s)
{
	return (s->pipelined);
}

int
smtp_session_esmtp(const struct smtp_session *s)
{
	return (s->esmtp);
}

const char *
smtp_session_protocol(const struct smtp_session *s)
{
	/* RFC 6531 3.7.3: an SMTPUTF8 transaction is "with UTF8SMTP[S][A]". */
	if (s->smtputf8)
		return (s->tls_protocol ? (s->sasl_user ? "UTF8SMTPSA" :
		    "UTF8SMTPS") : (s->sasl_user ? "UTF8SMTPA" : "UTF8SMTP"));
	if (!s->esmtp)
		return ("SMTP");
	if (s->tls_protocol && s->sasl_user)
		return ("ESMTPSA");
	if (s->tls_protocol)
		return ("ESMTPS");
	if (s->sasl_user)
		return ("ESMTPA");
	return ("ESMTP");
}

void
smtp_session_set_policy_data(struct smtp_session *s, void *data)
{
	s->policy_data = data;
}

void *
smtp_session_policy_data(const struct smtp_session *s)
{
	return (s->policy_data);
}

unsigned long
smtp_session_command_seq(const struct smtp_session *s)
{
	return (s->cmd_seq);
}

void
smtp_session_set_tx_flags(struct smtp_session *s, int flags)
{
	s->tx_flags |= flags;
}

/*
 * A hook's answer: a reject is logged and answered here; PENDING means the
 * caller stops and the command runs again on wake-up.
 */
int
smtp_policy_ask(struct smtp_session *s, const char *cmd, const char *rcpt,
	    int result)
{
	if (result == SMTP_POLICY_REJECT) {
		smtp_log_reject(s, cmd, s->reply.data, rcpt);
		smtp_reply_hook(s, s->reply.data);
	}
	return (result);
}

/* Wake-ups run from the event loop, never inside the hook that asked. */
void
smtp_session_wakeup(struct smtp_session *s)
{
	if (s->waiting != SMTP_W_NONE)
		event_active(s->wake_ev, EV_TIMEOUT, 0);
}

void
smtp_session_set_relay_ok(struct smtp_session *s, int ok)
{
	s->relay_ok = ok;
}

int
smtp_session_relay_ok(const struct smtp_session *s)
{
	return (s->relay_ok);
}

/* Queue one reply; 4xx/5xx count towards the hard error limit. */
void
smtp_reply(struct smtp_session *s, int code, const char *esc,
	    const char *fmt, ...)
{
	struct strbuf text, out;
	va_list	ap;

	strbuf_init(&text, 4096);
	strbuf_init(&out, 8192);
	va_start(ap, fmt);
	(void)strbuf_vprintf(&text, fmt, ap);
	va_end(ap);
	(void)smtp_reply_format(&out, code, esc, "%s", text.data);
	if (code >= 400)
		s->errors++;
	bufferevent_write(s->bev, out.data, out.len);
	strbuf_release(&text);
	strbuf_release(&out);
}

/* Queue a reply given as text by a hook or by cleanup. */
void
smtp_reply_hook(struct smtp_session *s, const char *text)
{
	struct strbuf out;
	int	code = 451;

	strbuf_init(&out, 8192);
	if (smtp_reply_text(&out, text) < 0)
		log_warn("%s: malformed reply text from policy: \"%.100s\"",
		    s->policy->name, text);
	else
		(void)smtp_reply_check(text, &code);
	if (code >= 400)
		s->errors++;
	bufferevent_write(s->bev, out.data, out.len);
	strbuf_release(&out);
}

/* NOQUEUE: reject: RCPT from unknown[1.2.3.4]: 554 ...; from=<> to=<> ... */
void
smtp_log_reject(struct smtp_session *s, const char *cmd, const char *reply,
	    const char *rcpt)
{
	struct strbuf line;

	strbuf_init(&line, 4096);
	(void)strbuf_printf(&line, "NOQUEUE: reject: %s from %s[%s]: %s;",
	    cmd, s->client_name, s->client_addr, reply);
	if (s->sender)
		(void)strbuf_printf(&line, " from=<%s>", s->sender);
	if (rcpt)
		(void)strbuf_printf(&line, " to=<%s>", rcpt);
	(void)strbuf_printf(&line, " proto=%s helo=<%s>",
	    smtp_session_protocol(s), s->helo ? s->helo : "");
	log_info("%s", line.data);
	strbuf_release(&line);
}

/*
 * The one reset routine (DESIGN §10): end the transaction whatever state
 * it is in.  RSET, HELO/EHLO, the end of every message, every error path
 * and the end of the session come through here.
 */
void
smtp_session_reset(struct smtp_session *s)
{
	smtp_cleanup_close(s);
	free(s->sender);
	s->sender = NULL;
	s->smtputf8 = 0;
	free(s->sasl_sender);
	s->sasl_sender = NULL;
	free(s->first_rcpt);
	s->first_rcpt = NULL;
	s->nrcpt = 0;
	s->tx_flags = 0;
	strbuf_reset(&s->content);
	dotdata_init(&s->dd, 0, 0);
	if (s->state != SMTP_S_CLOSING && s->state != SMTP_S_CONNECT
	    && s->state != SMTP_S_PROXY)
		s->state = s->helo ? SMTP_S_READY : SMTP_S_START;
}

/* The last reply is queued: stop reading, free once it is written. */
void
smtp_session_close(struct smtp_session *s)
{
	smtp_session_reset(s);
	s->state = SMTP_S_CLOSING;
	s->waiting = SMTP_W_NONE;
	evtimer_del(s->timer_ev);
	evtimer_del(s->record_ev);
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_enable(s->bev, EV_WRITE);
}

/* Postfix's "disconnect from" statistics: ehlo=1 mail=1 ... commands=N. */
static void
smtp_log_disconnect(struct smtp_session *s)
{
	struct strbuf line;
	unsigned ok = 0, total = 0;
	int	v;

	strbuf_init(&line, 4096);
	(void)strbuf_printf(&line, "disconnect from %s[%s]", s->client_name,
	    s->client_addr);
	for (v = 1; v <= SMTP_VERB_COUNT; v++) {
		int	i = v % SMTP_VERB_COUNT;	/* UNKNOWN last */
		char	name[16];
		size_t	j;

		if (s->cmd_total[i] == 0)
			continue;
		strlcpy(name, smtp_verb_name((enum smtp_verb)i), sizeof(name));
		for (j = 0; name[j]; j++)
			name[j] = (char)(name[j] | 0x20);	/* lower case */
		if (s->cmd_ok[i] == s->cmd_total[i])
			(void)strbuf_printf(&line, " %s=%u", name, s->cmd_total[i]);
		else
			(void)strbuf_printf(&line, " %s=%u/%u", name, s->cmd_ok[i],
			    s->cmd_total[i]);
		ok += s->cmd_ok[i];
		total += s->cmd_total[i];
	}
	if (ok == total)
		(void)strbuf_printf(&line, " commands=%u", total);
	else
		(void)strbuf_printf(&line, " commands=%u/%u", ok, total);
	log_info("%s", line.data);
	strbuf_release(&line);
}

void
smtp_session_free(struct smtp_session *s)
{
	if (s->state != SMTP_S_CLOSING)
		s->state = SMTP_S_CLOSING;
	smtp_session_reset(s);
	smtp_auth_free(s);
	smtp_log_disconnect(s);
	smtp_nsessions--;
	/* The policy forgets the session (cancels its lookups) first. */
	if (s->policy->on_disconnect)
		s->policy->on_disconnect(s);
	bufferevent_free(s->bev);
	event_free(s->wake_ev);
	event_free(s->timer_ev);
	event_free(s->record_ev);
	linerd_release(&s->lr);
	strbuf_release(&s->reply);
	strbuf_release(&s->pending_line);
	strbuf_release(&s->content);
	free(s->helo);
	free(s->reverse_name);
	free(s->tls_protocol);
	free(s->tls_cipher);
	free(s->tls_peer_fp);
	free(s->sasl_user);
	free(s->sasl_method);
	free(s);
}

/* Turn reading on again, and run what is already buffered. */
void
smtp_session_resume(struct smtp_session *s)
{
	if (s->state == SMTP_S_CLOSING || s->state == SMTP_S_DATA_END
	    || s->waiting != SMTP_W_NONE || s->timer_pending
	    || smtp_auth_busy(s))
		return;
	bufferevent_enable(s->bev, EV_READ);
	smtp_read_cb(s->bev, s);
}

/* Should the input loop stop for now (and reading be turned off)? */
static int
smtp_must_pause(struct smtp_session *s)
{
	if (s->waiting != SMTP_W_NONE || s->timer_pending || smtp_auth_busy(s))
		return (1);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) > SMTP_OUT_HIGH)
		return (1);
	if (s->state == SMTP_S_DATA && smtp_cleanup_pending(s) > SMTP_OUT_HIGH * 4)
		return (1);
	return (0);
}

/* Hold replies and input for `seconds` (error sleep, failed AUTH). */
void
smtp_session_sleep(struct smtp_session *s, long seconds)
{
	struct timeval tv = { seconds, 0 };

	s->timer_pending = 1;
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	evtimer_add(s->timer_ev, &tv);
}

/*
 * After each command: the hard error limit ends the session; past the soft
 * limit every error reply waits smtpd_error_sleep_time (Postfix), which
 * slows a client that probes addresses or throws junk.
 */
static void
smtp_after_command(struct smtp_session *s, int errors_before)
{
	if (s->state == SMTP_S_CLOSING)
		return;
	if (s->cfg->hard_error_limit > 0
	    && s->errors >= s->cfg->hard_error_limit) {
		log_warn("too many errors after %s from %s[%s]", s->last_cmd,
		    s->client_name, s->client_addr);
		smtp_reply(s, 421, "4.7.0", "%s Error: too many errors",
		    s->cfg->myhostname);
		smtp_session_close(s);
		return;
	}
	if (s->errors > errors_before && s->cfg->soft_error_limit > 0
	    && s->errors > s->cfg->soft_error_limit
	    && s->cfg->error_sleep_time > 0)
		smtp_session_sleep(s, s->cfg->error_sleep_time);
}

/* One step of command input: feed linerd, run a finished line. */
static void
smtp_command_input(struct smtp_session *s, struct evbuffer *in,
	    const char *p, size_t n)
{
	enum linerd_result r;
	size_t	used;
	int	errors_before = s->errors;

	r = linerd_feed(&s->lr, p, n, &used);
	evbuffer_drain(in, used);		/* p is invalid from here */
	/* A response in an AUTH exchange is not a command (nor logged). */
	if (r != LINERD_NEED_MORE
	    && smtp_auth_line(s, (int)r, s->lr.line.data, s->lr.line.len)) {
		smtp_after_command(s, errors_before);
		return;
	}
	if (r != LINERD_NEED_MORE)
		s->records++;
	switch (r) {
	case LINERD_NEED_MORE:
		return;
	case LINERD_LINE:
		/* Input behind this line was sent before our reply. */
		s->pipelined = evbuffer_get_length(in) > 0;
		smtp_command(s, s->lr.line.data, s->lr.line.len);
		break;
	case LINERD_TOO_LONG:
		smtp_reply(s, 500, "5.5.2", "Error: line too long");
		break;
	case LINERD_BARE_LF:
		log_warn("bare <LF> received from %s[%s] after %s",
		    s->client_name, s->client_addr, s->last_cmd);
		smtp_reply(s, 500, "5.5.2", "Error: bare <LF> received");
		break;
	case LINERD_BARE_CR:
		log_warn("bare <CR> received from %s[%s] after %s",
		    s->client_name, s->client_addr, s->last_cmd);
		smtp_reply(s, 500, "5.5.2", "Error: bare <CR> received");
		break;
	}
	smtp_after_command(s, errors_before);
}

/*
 * The client talked before the greeting: an SMTP client must wait for it
 * (RFC 5321 3.1), spam engines often do not (postscreen's PREGREET test).
 */
static void
smtp_pregreet(struct smtp_session *s, struct evbuffer *in)
{
	size_t	n = evbuffer_get_length(in), show = n > 40 ? 40 : n;
	unsigned char *p = evbuffer_pullup(in, (ssize_t)show);
	struct strbuf text;
	size_t	i;

	strbuf_init(&text, 256);
	/* Never log credentials, even ones sent out of turn. */
	if (show >= 4 && strncasecmp((const char *)p, "AUTH", 4) == 0)
		show = 4;
	for (i = 0; i < show; i++)
		(void)strbuf_printf(&text, (p[i] < 0x20 || p[i] > 0x7e || p[i] == '\\')
		    ? "\\x%02x" : "%c", p[i]);
	if (show == 4 && n > 4 && strncasecmp((const char *)p, "AUTH", 4) == 0)
		(void)strbuf_append_str(&text, " <redacted>");
	log_warn("PREGREET %zu after CONNECT from %s[%s]: %s", n,
	    s->client_name, s->client_addr, text.data);
	strbuf_release(&text);
	evbuffer_drain(in, n);
	s->waiting = SMTP_W_NONE;
	smtp_reply(s, 554, "5.5.1", "Error: talking before the greeting");
	smtp_session_close(s);
}

static void smtp_session_begin(struct smtp_session *);

/*
 * Behind a load balancer (smtpd_upstream_proxy_protocol = haproxy) the
 * connection starts with a PROXY v1 or v2 header that names the real
 * client.  Until it is complete nothing else is read; a header that is
 * malformed, too long or late ends the connection.
 */
static void
smtp_proxy_input(struct smtp_session *s, struct evbuffer *in)
{
	size_t	n = evbuffer_get_length(in), used = 0;
	struct proxy_info info;
	const char *why = "malformed header";
	enum proxy_result r;

	if (n > PROXY_HEADER_MAX)
		n = PROXY_HEADER_MAX;
	r = proxy_parse(evbuffer_pullup(in, (ssize_t)n), n, &used, &info, &why);
	if (r == PROXY_NEED_MORE && n < PROXY_HEADER_MAX)
		return;
	if (r != PROXY_OK) {
		if (r == PROXY_NEED_MORE)
			why = "header too long";
		log_warn("haproxy read: %s from [%s]:%s", why, s->client_addr,
		    s->client_port);
		smtp_reply(s, 421, "4.7.0", "%s Error: bad PROXY protocol header",
		    s->cfg->myhostname);
		smtp_session_close(s);
		return;
	}
	evbuffer_drain(in, used);
	evtimer_del(s->timer_ev);
	if (!info.local) {
		strlcpy(s->client_addr, info.client_addr, sizeof(s->client_addr));
		(void)snprintf(s->client_port, sizeof(s->client_port), "%u",
		    info.client_port);
		strlcpy(s->server_addr, info.server_addr, sizeof(s->server_addr));
	}
	smtp_session_begin(s);
	/* Anything after the header came before the greeting. */
	if (s->state == SMTP_S_CONNECT && evbuffer_get_length(in) > 0)
		smtp_pregreet(s, in);
}

/*
 * smtpd_per_record_deadline (Postfix): smtpd_timeout bounds a whole
 * command or content line, not each read, so a client that trickles a
 * byte at a time cannot hold a session forever.  The deadline starts with
 * the first byte of a line and is cancelled when the line ends.
 */
static void
smtp_record_deadline(struct smtp_session *s, uint64_t records_before)
{
	struct timeval tv = { s->cfg->timeout, 0 };
	int	partial;

	if (!s->cfg->per_record_deadline || s->state == SMTP_S_CLOSING)
		return;
	if (s->state == SMTP_S_DATA)
		partial = dotdata_partial(&s->dd);
	else if (s->state >= SMTP_S_START && s->state <= SMTP_S_RCPT)
		partial = linerd_pending(&s->lr);
	else
		partial = 0;
	if (!partial)
		evtimer_del(s->record_ev);
	else if (s->records + s->dd.lines != records_before
	    || !evtimer_pending(s->record_ev, NULL))
		evtimer_add(s->record_ev, &tv);	/* a new line began */
}

static void
smtp_record_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;

	log_info("timeout after %s from %s[%s]", s->last_cmd, s->client_name,
	    s->client_addr);
	smtp_reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
	    s->cfg->myhostname);
	smtp_session_close(s);
}

/* The input loop: run everything complete in the input buffer. */
static void
smtp_read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	const char *p;
	size_t	n, used;
	uint64_t records_before = s->records + s->dd.lines;

	if (s->state == SMTP_S_PROXY) {
		smtp_proxy_input(s, in);
		return;
	}
	if (s->state == SMTP_S_CONNECT) {
		if (evbuffer_get_length(in) > 0)
			smtp_pregreet(s, in);
		return;
	}
	while (s->state != SMTP_S_CLOSING && s->state != SMTP_S_DATA_END) {
		if (smtp_must_pause(s)) {
			bufferevent_disable(bev, EV_READ);
			return;
		}
		n = evbuffer_get_contiguous_space(in);
		if (n == 0)
			break;
		if (n > SMTP_CHUNK)
			n = SMTP_CHUNK;
		p = (const char *)evbuffer_pullup(in, (ssize_t)n);
		if (s->state == SMTP_S_DATA) {
			int	end = smtp_data_feed(s, p, n, &used);

			evbuffer_drain(in, used);
			if (end)
				smtp_data_end(s);
		} else
			smtp_command_input(s, in, p, n);
	}
	if (s->state == SMTP_S_DATA_END || s->waiting != SMTP_W_NONE)
		bufferevent_disable(bev, EV_READ);
	smtp_record_deadline(s, records_before);
}

/* The greeting, once the connect policy said yes and the wait is over. */
static void
smtp_greet_maybe(struct smtp_session *s)
{
	if (s->state != SMTP_S_CONNECT || !s->connect_ok || !s->greet_passed)
		return;
	s->state = SMTP_S_START;
	smtp_reply(s, 220, NULL, "%s", s->cfg->banner);
	/* Whatever arrived during the wait was a PREGREET, already handled. */
	smtp_session_resume(s);
}

/* The connect stage: the policy's on_connect, which may wait for DNS. */
void
smtp_connect_stage(struct smtp_session *s)
{
	const struct smtp_policy *policy = s->policy;
	int	r;

	if (policy->on_connect) {
		strbuf_reset(&s->reply);
		r = policy->on_connect(s, &s->reply);
		if (s->state == SMTP_S_CLOSING)
			return;
		if (r == SMTP_POLICY_PENDING) {
			s->waiting = SMTP_W_CONNECT;
			return;
		}
		/* Logged once the policy has looked the client's name up. */
		log_info("connect from %s[%s]", s->client_name, s->client_addr);
		if (r != SMTP_POLICY_ACCEPT) {
			smtp_log_reject(s, "CONNECT", s->reply.data, NULL);
			smtp_reply_hook(s, s->reply.data);
			smtp_session_close(s);
			return;
		}
	} else
		log_info("connect from %s[%s]", s->client_name, s->client_addr);
	s->connect_ok = 1;
	smtp_greet_maybe(s);
}

void
smtp_session_set_greet_wait(struct smtp_session *s, int seconds)
{
	if (s->state != SMTP_S_CONNECT || s->greet_passed)
		return;
	if (seconds <= 0) {
		evtimer_del(s->timer_ev);
		s->greet_passed = 1;
	}
}

/* Timer: the greet wait is over, or an error sleep ended. */
static void
smtp_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;

	if (s->state == SMTP_S_PROXY) {
		log_warn("haproxy read: timeout error from [%s]:%s",
		    s->client_addr, s->client_port);
		smtp_reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
		    s->cfg->myhostname);
		smtp_session_close(s);
		return;
	}
	if (s->state == SMTP_S_CONNECT) {
		s->greet_passed = 1;
		smtp_greet_maybe(s);
		return;
	}
	s->timer_pending = 0;
	bufferevent_enable(s->bev, EV_WRITE);
	smtp_session_resume(s);
}

/* A hook's asynchronous work is done: run the waiting stage again. */
static void
smtp_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;
	enum smtp_wait w = s->waiting;
	int	errors_before = s->errors;

	if (w == SMTP_W_NONE || s->state == SMTP_S_CLOSING)
		return;
	s->waiting = SMTP_W_NONE;
	switch (w) {
	case SMTP_W_CONNECT:
		smtp_connect_stage(s);
		return;
	case SMTP_W_COMMAND:
		s->rerun = 1;
		smtp_command(s, s->pending_line.data, s->pending_line.len);
		s->rerun = 0;
		smtp_after_command(s, errors_before);
		break;
	case SMTP_W_EOD:
		smtp_data_end(s);
		break;
	default:
		break;
	}
	smtp_session_resume(s);
}

static void
smtp_write_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session *s = arg;

	/* Called when the output buffer has drained. */
	if (s->state == SMTP_S_CLOSING) {
		smtp_session_free(s);
		return;
	}
	if (!(bufferevent_get_enabled(bev) & EV_READ))
		smtp_session_resume(s);
}

static void
smtp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_session *s = arg;

	if (s->state == SMTP_S_CLOSING) {
		smtp_session_free(s);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		log_info("timeout after %s from %s[%s]", s->last_cmd,
		    s->client_name, s->client_addr);
		if (what & BEV_EVENT_WRITING) {
			smtp_session_free(s);
			return;
		}
		smtp_reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
		    s->cfg->myhostname);
		smtp_session_close(s);
		return;
	}
	/* EOF or error: the client went away without QUIT. */
	log_info("lost connection after %s from %s[%s]", s->last_cmd,
	    s->client_name, s->client_addr);
	smtp_session_free(s);
}

void
smtp_server_accept(int fd, const struct smtp_policy *policy)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));
	const struct smtp_server_config *cfg = policy->config;
	struct strbuf addr, port;
	struct timeval tv;

	s->policy = policy;
	s->cfg = cfg;
	s->state = SMTP_S_CONNECT;
	s->last_cmd = "CONNECT";
	strlcpy(s->client_name, "unknown", sizeof(s->client_name));
	strbuf_init(&addr, 64);
	strbuf_init(&port, 16);
	if (peer_addr(fd, &addr, &port) < 0 || addr.len == 0)
		(void)strbuf_set_str(&addr, "unknown");
	strlcpy(s->client_addr, addr.data, sizeof(s->client_addr));
	strlcpy(s->client_port, port.data, sizeof(s->client_port));
	if (local_addr(fd, &addr, &port) == 0)
		strlcpy(s->server_addr, addr.data, sizeof(s->server_addr));
	strbuf_release(&addr);
	strbuf_release(&port);
	linerd_init(&s->lr, (size_t)cfg->command_line_limit);
	strbuf_init(&s->reply, 1024);
	strbuf_init(&s->pending_line, (size_t)cfg->command_line_limit + 2);
	strbuf_init(&s->content, SMTP_CHUNK * 2 + 64);
	dotdata_init(&s->dd, 0, 0);
	(void)fd_set_nonblock(fd, 1);
	s->bev = bufferevent_socket_new(cfg->base, fd, BEV_OPT_CLOSE_ON_FREE);
	s->wake_ev = event_new(cfg->base, -1, 0, smtp_wake_cb, s);
	s->timer_ev = evtimer_new(cfg->base, smtp_timer_cb, s);
	s->record_ev = evtimer_new(cfg->base, smtp_record_timeout, s);
	if (s->bev == NULL || s->wake_ev == NULL || s->timer_ev == NULL
	    || s->record_ev == NULL)
		log_fatal("cannot make the events of a new session");
	smtp_nsessions++;
	smtp_session_set_bev(s, s->bev);
	if (cfg->upstream_proxy) {
		s->state = SMTP_S_PROXY;
		tv.tv_sec = cfg->upstream_proxy_timeout;
		tv.tv_usec = 0;
		evtimer_add(s->timer_ev, &tv);
		return;
	}
	smtp_session_begin(s);
}

/* The engine's callbacks and timeouts on the client's bufferevent (a new
 * one after STARTTLS). */
void
smtp_session_set_bev(struct smtp_session *s, struct bufferevent *bev)
{
	struct timeval tv = { s->cfg->timeout, 0 };

	s->bev = bev;
	bufferevent_setcb(bev, smtp_read_cb, smtp_write_cb, smtp_event_cb, s);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* The client is known: log it, start the greet wait and the policy. */
static void
smtp_session_begin(struct smtp_session *s)
{
	struct timeval tv = { s->cfg->greet_wait, 0 };

	s->state = SMTP_S_CONNECT;
	/* The greet wait runs while the policy looks the client up. */
	if (s->cfg->greet_wait > 0)
		evtimer_add(s->timer_ev, &tv);
	else
		s->greet_passed = 1;
	/* Implicit TLS (port 465): the handshake first, then the policy. */
	if (s->cfg->tls_wrappermode) {
		smtp_tls_wrapper(s);
		return;
	}
	smtp_connect_stage(s);
}
