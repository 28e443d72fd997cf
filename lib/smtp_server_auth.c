/*
 * lib/smtp_server_auth.c — SMTP AUTH (RFC 4954) in the server engine.
 *
 * The engine never sees a password database: each AUTH exchange is one
 * non-blocking connection to QUEUE_DIR/private/auth (lib/ipc_names.h,
 * "auth"), which gets the mechanism and the client's decoded responses and
 * answers continue (a challenge, sent as "334 base64"), ok (the canonical
 * user name), fail or tempfail.  While the service thinks, the session
 * stops reading; while the client thinks, its lines go to the exchange
 * instead of the command table.  The auth service is a peer we do not
 * trust blindly: a frame limit, a timeout, and anything unexpected is
 * "454 4.7.0 Temporary authentication failure", never a success.  The
 * client's responses are never logged.
 */
#include <bsd/string.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "ipc.h"
#include "ipc_names.h"
#include "log.h"
#include "netio.h"
#include "qfile.h"
#include "sasl_codec.h"
#include "smtp_reply.h"
#include "smtp_server_int.h"

#define AUTH_REPLY_LIMIT	(64 * 1024)	/* biggest frame from auth */
#define AUTH_RESP_LIMIT		(12 * 1024)	/* decoded client response */
#define AUTH_DELAY_MAX		60		/* seconds a failure may wait */
#define AUTH_MECHS_FALLBACK	"PLAIN LOGIN"
/* The auth service may ask for a failure to be answered late. */
#ifndef IPC_ATTR_DELAY
#define IPC_ATTR_DELAY		"delay"
#endif
#define AUTH_TEMPFAIL		"454 4.7.0 Temporary authentication failure"

/* One AUTH exchange. */
struct smtp_auth {
	struct smtp_session *s;
	struct bufferevent *bev;	/* NULL once the service went away */
	char	mech[SASL_MECH_MAX + 1];
	int	client_turn;		/* a 334 is out: the next line is ours */
};

static char *smtp_auth_mechs;		/* the service's list, cached */

static void smtp_auth_read_cb(struct bufferevent *, void *);
static void smtp_auth_event_cb(struct bufferevent *, short, void *);

/* ---- the mechanism list ------------------------------------------------- */

/* Does the list hold only mechanism names?  (It goes into EHLO.) */
static int
smtp_auth_mechs_valid(const char *list)
{
	const char *p;

	if (*list == '\0' || strlen(list) > 512)
		return (0);
	for (p = list; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
		    || *p == '-' || *p == '_' || *p == ' '))
			return (0);
	return (1);
}

void
smtp_server_auth_init(const char *queue_dir, int timeout_ms)
{
	char	path[4096];
	struct ipc_msg *q, *r = NULL;
	struct strbuf why;
	const char *st, *mechs;
	int	fd = -1;

	if (smtp_auth_mechs != NULL)
		return;
	strbuf_init(&why, 256);
	q = ipc_msg_new();
	ipc_put_str(q, IPC_ATTR_REQ, IPC_REQ_MECHS);
	if (service_path(path, sizeof(path), queue_dir, QDIR_PRIVATE, "auth") < 0
	    || (fd = unix_connect(path, timeout_ms)) < 0
	    || ipc_send(fd, q, timeout_ms) < 0
	    || ipc_recv(fd, AUTH_REPLY_LIMIT, timeout_ms, &r, &why) != 1)
		log_warn("auth service %s: cannot ask for mechanisms%s%s; "
		    "offering %s", path, why.len ? ": " : "", why.data,
		    AUTH_MECHS_FALLBACK);
	else if ((st = ipc_get_str(r, IPC_ATTR_AUTH_STATUS)) == NULL
	    || strcmp(st, AUTH_STATUS_OK) != 0
	    || (mechs = ipc_get_str(r, IPC_ATTR_MECHS)) == NULL
	    || !smtp_auth_mechs_valid(mechs))
		log_warn("auth service %s: malformed mechanism list; offering %s",
		    path, AUTH_MECHS_FALLBACK);
	else
		smtp_auth_mechs = xstrdup(mechs);
	if (smtp_auth_mechs == NULL)
		smtp_auth_mechs = xstrdup(AUTH_MECHS_FALLBACK);
	if (fd >= 0)
		(void)close(fd);
	ipc_msg_free(q);
	ipc_msg_free(r);
	strbuf_release(&why);
}

/* Is AUTH part of this server at all? */
static int
smtp_auth_enabled(const struct smtp_session *s)
{
	return ((s->policy->flags & SMTP_POLICY_F_AUTH_ALLOWED)
	    && s->cfg->sasl_auth_enable && !(s->cfg->discard_ehlo & SMTP_EXT_AUTH));
}

/* AUTH only in TLS (smtpd_tls_auth_only, or level encrypt), and not yet. */
static int
smtp_auth_needs_tls(const struct smtp_session *s)
{
	return (s->tls_protocol == NULL && (s->cfg->tls_auth_only
	    || s->cfg->tls_level == SMTP_TLS_ENCRYPT));
}

/* May this mechanism be used in this session (security options)? */
static int
smtp_auth_mech_allowed(const struct smtp_session *s, const char *mech)
{
	unsigned sec = s->tls_protocol ? s->cfg->sasl_tls_sec : s->cfg->sasl_sec;

	if ((sec & SMTP_SASL_NOPLAINTEXT) && sasl_mech_plaintext(mech))
		return (0);
	if ((sec & SMTP_SASL_NOANONYMOUS) && strcmp(mech, "ANONYMOUS") == 0)
		return (0);
	return (1);
}

/* The mechanisms offered in this session, space-separated, into out. */
static void
smtp_auth_offered(const struct smtp_session *s, struct strbuf *out)
{
	const char *p = smtp_auth_mechs ? smtp_auth_mechs : AUTH_MECHS_FALLBACK;
	char	mech[SASL_MECH_MAX + 1];

	while (*p) {
		size_t	w;

		while (*p == ' ')
			p++;
		w = strcspn(p, " ");
		if (w > 0 && w <= SASL_MECH_MAX) {
			memcpy(mech, p, w);
			mech[w] = '\0';
			if (smtp_auth_mech_allowed(s, mech))
				(void)strbuf_printf(out, "%s%s", out->len ? " " : "",
				    mech);
		}
		p += w;
	}
}

void
smtp_auth_ehlo(struct smtp_session *s, struct strbuf *out)
{
	struct strbuf list;

	if (!smtp_auth_enabled(s) || smtp_auth_needs_tls(s))
		return;
	strbuf_init(&list, 1024);
	smtp_auth_offered(s, &list);
	if (list.len > 0) {
		(void)strbuf_printf(out, "\nAUTH %s", list.data);
		/* Outlook Express 4 and friends know only the draft's form. */
		if (s->cfg->sasl_broken_clients)
			(void)strbuf_printf(out, "\nAUTH=%s", list.data);
	}
	strbuf_release(&list);
}

int
smtp_auth_mail_param_ok(const struct smtp_session *s)
{
	return (smtp_auth_enabled(s));
}

/* ---- one exchange ------------------------------------------------------- */

int
smtp_auth_busy(const struct smtp_session *s)
{
	return (s->auth != NULL && !s->auth->client_turn);
}

static void
smtp_auth_send(struct smtp_auth *a, struct ipc_msg *m)
{
	struct strbuf out;

	strbuf_init(&out, AUTH_RESP_LIMIT + 1024);
	if (ipc_encode(m, &out) == 0 && a->bev)
		bufferevent_write(a->bev, out.data, out.len);
	strbuf_release(&out);
}

/* A connection we no longer want: tell the service, then let it go
 * on its own (the frame is flushed first, unless the peer is gone). */
static void
smtp_auth_detached_cb(struct bufferevent *bev, void *arg)
{
	bufferevent_free(bev);
}

static void
smtp_auth_detached_event(struct bufferevent *bev, short what, void *arg)
{
	bufferevent_free(bev);
}

/* End the exchange (the reply, if any, is the caller's). */
void
smtp_auth_free(struct smtp_session *s)
{
	struct smtp_auth *a = s->auth;
	struct timeval tv = { 10, 0 };	/* to flush the cancel frame */
	struct ipc_msg *m;

	if (a == NULL)
		return;
	s->auth = NULL;
	if (a->bev && a->client_turn) {
		m = ipc_msg_new();
		ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_AUTH_CANCEL);
		smtp_auth_send(a, m);
		ipc_msg_free(m);
		bufferevent_disable(a->bev, EV_READ);
		bufferevent_set_timeouts(a->bev, NULL, &tv);
		bufferevent_setcb(a->bev, NULL, smtp_auth_detached_cb,
		    smtp_auth_detached_event, NULL);
	} else if (a->bev)
		bufferevent_free(a->bev);
	free(a);
}

/* The exchange is over: reply, maybe wait (a failure the service wants
 * slowed down), and read commands again. */
static void
smtp_auth_done(struct smtp_session *s, const char *reply, long delay)
{
	smtp_auth_free(s);
	smtp_reply_hook(s, reply);
	if (delay > 0)
		smtp_session_sleep(s, delay > AUTH_DELAY_MAX ? AUTH_DELAY_MAX : delay);
	smtp_session_resume(s);
}

static void
smtp_auth_tempfail(struct smtp_session *s, const char *why)
{
	log_warn("%s[%s]: SASL %s authentication aborted: auth service: %s",
	    s->client_name, s->client_addr, s->auth ? s->auth->mech : "", why);
	smtp_auth_done(s, AUTH_TEMPFAIL, 0);
}

/* The text of a reply after its codes, for the log. */
static const char *
smtp_auth_reason_text(const char *reply)
{
	const char *p = reply + 4;

	p += strcspn(p, " ");
	return (*p ? p + 1 : p);
}

/* A user name from the service: printable, no spaces or controls. */
static int
smtp_auth_user_valid(const char *u)
{
	size_t	n = u ? strlen(u) : 0, i;

	if (n == 0 || n > 255)
		return (0);
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] <= 0x20 || u[i] == 0x7f)
			return (0);
	return (1);
}

/* One answer of the service. */
static void
smtp_auth_answer(struct smtp_session *s, struct ipc_msg *m)
{
	struct smtp_auth *a = s->auth;
	const char *st = ipc_get_str(m, IPC_ATTR_AUTH_STATUS);
	const char *reason = ipc_get_str(m, IPC_ATTR_REASON);
	const char *user = ipc_get_str(m, IPC_ATTR_USER);
	const void *ch;
	size_t	chlen;
	int64_t	delay = 0;
	int	code = 0;
	struct strbuf b64;

	if (st == NULL || a->client_turn) {
		smtp_auth_tempfail(s, "malformed reply");
		return;
	}
	(void)ipc_get_int(m, IPC_ATTR_DELAY, &delay);
	if (strcmp(st, AUTH_STATUS_CONTINUE) == 0) {
		if ((ch = ipc_get_bytes(m, IPC_ATTR_CHALLENGE, &chlen)) == NULL)
			ch = "", chlen = 0;
		strbuf_init(&b64, (size_t)s->cfg->command_line_limit);
		if (chlen > AUTH_RESP_LIMIT
		    || sasl_base64_encode(ch, chlen, &b64) < 0) {
			strbuf_release(&b64);
			smtp_auth_tempfail(s, "challenge too long");
			return;
		}
		/* RFC 4954 4: "334 " and the base64 challenge, no status code. */
		smtp_reply(s, 334, NULL, "%s", b64.data);
		strbuf_release(&b64);
		a->client_turn = 1;
		if (a->bev)
			bufferevent_set_timeouts(a->bev, NULL, NULL);
		smtp_session_resume(s);
	} else if (strcmp(st, AUTH_STATUS_OK) == 0) {
		if (!smtp_auth_user_valid(user)) {
			smtp_auth_tempfail(s, "malformed user name");
			return;
		}
		free(s->sasl_user);
		free(s->sasl_method);
		s->sasl_user = xstrdup(user);
		s->sasl_method = xstrdup(a->mech);
		s->cmd_ok[SMTP_VERB_AUTH]++;
		smtp_auth_done(s, "235 2.7.0 Authentication successful", 0);
	} else if (strcmp(st, AUTH_STATUS_FAIL) == 0
	    || strcmp(st, AUTH_STATUS_TEMPFAIL) == 0) {
		int	temp = st[0] == 't';

		if (reason == NULL || smtp_reply_check(reason, &code) < 0
		    || code / 100 != (temp ? 4 : 5))
			reason = temp ? AUTH_TEMPFAIL : "535 5.7.8 Error: "
			    "authentication failed: authentication failure";
		log_warn("%s[%s]: SASL %s authentication failed: %s",
		    s->client_name, s->client_addr, a->mech,
		    smtp_auth_reason_text(reason));
		smtp_auth_done(s, reason, delay > 0 ? (long)delay : 0);
		/* Over the service's failure limit: this client is done. */
		if (temp && strcasestr(reason, "Too many") != NULL)
			smtp_session_close(s);
	} else
		smtp_auth_tempfail(s, "unknown status");
}

static void
smtp_auth_read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t	len = evbuffer_get_length(in), used;
	struct ipc_msg *m = NULL;
	struct strbuf why;
	int	r;

	strbuf_init(&why, 256);
	r = ipc_decode(evbuffer_pullup(in, -1), len, AUTH_REPLY_LIMIT, &m,
	    &used, &why);
	if (r < 0)
		smtp_auth_tempfail(s, why.data);
	else if (r > 0) {
		evbuffer_drain(in, used);
		smtp_auth_answer(s, m);
	}
	ipc_msg_free(m);
	strbuf_release(&why);
}

static void
smtp_auth_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_session *s = arg;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (s->auth->client_turn) {
		/* Gone while the client types: found out at its next line. */
		bufferevent_free(s->auth->bev);
		s->auth->bev = NULL;
		return;
	}
	smtp_auth_tempfail(s, (what & BEV_EVENT_TIMEOUT) ? "timeout"
	    : (what & BEV_EVENT_EOF) ? "lost connection" : "connection error");
}

/* Connect to the service and send the start frame. */
static int
smtp_auth_start(struct smtp_session *s, const char *mech,
	    const struct strbuf *resp, int has_resp)
{
	struct smtp_auth *a;
	struct ipc_msg *m;
	struct timeval tv = { s->cfg->timeout, 0 };
	char	path[4096];
	int	fd;

	if (service_path(path, sizeof(path), s->cfg->queue_dir, QDIR_PRIVATE,
	    "auth") < 0)
		return (-1);
	if ((fd = unix_connect_nonblock(path)) < 0) {
		log_warn_errno("connect to auth service %s", path);
		return (-1);
	}
	a = xcalloc(1, sizeof(*a));
	a->s = s;
	strlcpy(a->mech, mech, sizeof(a->mech));
	a->bev = bufferevent_socket_new(s->cfg->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (a->bev == NULL)
		log_fatal("bufferevent_socket_new failed");
	bufferevent_setcb(a->bev, smtp_auth_read_cb, NULL, smtp_auth_event_cb, s);
	bufferevent_setwatermark(a->bev, EV_READ, 0, AUTH_REPLY_LIMIT + 4);
	bufferevent_set_timeouts(a->bev, &tv, &tv);
	bufferevent_enable(a->bev, EV_READ | EV_WRITE);
	s->auth = a;

	m = ipc_msg_new();
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_AUTH_START);
	ipc_put_str(m, IPC_ATTR_MECH, mech);
	ipc_put_str(m, IPC_ATTR_CLIENT_ADDR, s->client_addr);
	ipc_put_int(m, IPC_ATTR_TLS, s->tls_protocol != NULL);
	if (has_resp)
		ipc_put_bytes(m, IPC_ATTR_RESP, resp->data, resp->len);
	smtp_auth_send(a, m);
	ipc_msg_free(m);
	return (0);
}

/* AUTH mechanism [initial-response] (RFC 4954 4). */
int
smtp_cmd_auth(struct smtp_session *s, struct smtp_cmd *c)
{
	char	mech[SASL_MECH_MAX + 1];
	struct strbuf resp;
	int	has_resp, ret = -1;
	enum sasl_parse p;

	if (!smtp_auth_enabled(s)) {
		smtp_reply(s, 503, "5.5.1", "Error: authentication not enabled");
		return (-1);
	}
	if (s->state == SMTP_S_START || !s->esmtp) {
		smtp_reply(s, 503, "5.5.1", "Error: send EHLO first");
		return (-1);
	}
	if (s->sasl_user) {
		smtp_reply(s, 503, "5.5.1", "Error: already authenticated");
		return (-1);
	}
	if (s->state != SMTP_S_READY) {
		smtp_reply(s, 503, "5.5.1", "Error: MAIL transaction in progress");
		return (-1);
	}
	if (smtp_auth_needs_tls(s)) {
		smtp_reply(s, 538, "5.7.11", "Encryption required for requested"
		    " authentication mechanism");
		return (-1);
	}
	strbuf_init(&resp, AUTH_RESP_LIMIT);
	p = sasl_parse_auth(c->arg, c->arg_len, mech, &resp, &has_resp);
	if (p == SASL_E_SYNTAX || p == SASL_E_MECH)
		smtp_reply(s, 501, "5.5.4", "Syntax: AUTH mechanism");
	else if (!sasl_mech_listed(smtp_auth_mechs ? smtp_auth_mechs
	    : AUTH_MECHS_FALLBACK, mech))
		smtp_reply(s, 504, "5.5.4", "Unsupported authentication mechanism");
	else if (!smtp_auth_mech_allowed(s, mech)) {
		if (s->tls_protocol == NULL && sasl_mech_plaintext(mech))
			smtp_reply(s, 538, "5.7.11", "Encryption required for "
			    "requested authentication mechanism");
		else
			smtp_reply(s, 504, "5.5.4", "Unsupported authentication"
			    " mechanism");
	} else if (p == SASL_E_CANCEL)
		smtp_reply(s, 501, "5.7.0", "Authentication aborted");
	else if (p == SASL_E_BASE64)
		smtp_reply(s, 501, "5.5.2", "Cannot decode response");
	else if (smtp_auth_start(s, mech, &resp, has_resp) < 0)
		smtp_reply_hook(s, AUTH_TEMPFAIL);
	else
		ret = SMTP_CMD_ASYNC;	/* counted when it succeeds */
	strbuf_release(&resp);
	return (ret);
}

/*
 * A line from the client while a 334 is out.  Returns 1 when the line
 * belonged to the exchange (it is then handled), 0 when no exchange
 * waits for the client.
 */
int
smtp_auth_line(struct smtp_session *s, int lr_result, const char *line,
	    size_t len)
{
	struct smtp_auth *a = s->auth;
	struct strbuf resp;
	struct ipc_msg *m;
	struct timeval tv;
	enum sasl_parse p;

	if (a == NULL || !a->client_turn)
		return (0);
	if (lr_result == LINERD_TOO_LONG) {
		smtp_auth_done(s, "500 5.5.6 Authentication exchange line is too "
		    "long", 0);
		return (1);
	}
	if (lr_result != LINERD_LINE) {
		smtp_auth_done(s, "500 5.5.2 Error: bad line ending in "
		    "authentication exchange", 0);
		return (1);
	}
	strbuf_init(&resp, AUTH_RESP_LIMIT);
	p = sasl_parse_response(line, len, &resp);
	if (p == SASL_E_CANCEL)
		smtp_auth_done(s, "501 5.7.0 Authentication aborted", 0);
	else if (p != SASL_OK)
		smtp_auth_done(s, "501 5.5.2 Invalid base64 data in continued "
		    "response", 0);
	else if (a->bev == NULL)
		smtp_auth_tempfail(s, "lost connection");
	else {
		m = ipc_msg_new();
		ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_AUTH_STEP);
		ipc_put_bytes(m, IPC_ATTR_RESP, resp.data, resp.len);
		smtp_auth_send(a, m);
		ipc_msg_free(m);
		a->client_turn = 0;
		tv.tv_sec = s->cfg->timeout;
		tv.tv_usec = 0;
		bufferevent_set_timeouts(a->bev, &tv, &tv);
	}
	strbuf_release(&resp);
	return (1);
}
