/*
 * smtp-client/smtpc_conn.c — connections to servers on the event loop.
 *
 * Connects over TCP or a UNIX socket (LMTP), reads replies through the
 * bounded reader of smtpc_reply.c and hands each complete one to
 * smtpc_session.c, keeps one deadline per stage (a server that trickles
 * bytes gains nothing: the deadline is for the whole reply), switches a
 * connection to TLS after STARTTLS (throwing away anything the server
 * sent before the handshake, the client side of CVE-2021-38371), and
 * keeps idle connections for reuse (smtp_connection_cache_time_limit).
 * The server is untrusted; every failure ends in smtpc_sess_failed() with
 * a reason, never a crash.  A session is freed only outside its own
 * callbacks (in_cb/closing).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <bsd/string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>

#include "log.h"
#include "mail_params.h"
#include "server.h"
#include "tls.h"
#include "smtpc_sess.h"

#define CONTENT_LOW_MARK	(64 * 1024)

static TAILQ_HEAD(, smtpc_sess) idle_list = TAILQ_HEAD_INITIALIZER(idle_list);
static size_t idle_count;

static void conn_read(struct bufferevent *bev, void *arg);
static void conn_write(struct bufferevent *bev, void *arg);
static void conn_event(struct bufferevent *bev, short what, void *arg);

static void
conn_free(struct smtpc_sess *s)
{
	if (s->state == ST_IDLE) {
		TAILQ_REMOVE(&idle_list, s, link);
		idle_count--;
	}
	if (s->bev != NULL)
		bufferevent_free(s->bev);
	if (s->deadline != NULL)
		event_free(s->deadline);
	if (s->idle_ev != NULL)
		event_free(s->idle_ev);
	smtpc_content_end(s);
	smtpc_tls_session_free(s);
	smtpc_sasl_session_free(s);
	smtpc_reader_release(&s->rd);
	strbuf_release(&s->feat.auth);
	strbuf_release(&s->why);
	strbuf_release(&s->tls_summary);
	free(s->pend);
	free(s->accepted);
	free(s->cache_key);
	free(s);
}

void
smtpc_conn_close(struct smtpc_sess *s)
{
	if (s->in_cb > 0) {
		s->closing = 1;
		if (s->bev != NULL)
			bufferevent_disable(s->bev, EV_READ | EV_WRITE);
		if (s->deadline != NULL)
			event_del(s->deadline);
		return;
	}
	conn_free(s);
}

/* Enter a callback; leave it with conn_leave, which frees a session that
 * was closed meanwhile.  Returns 1 when the session still lives. */
static int
conn_leave(struct smtpc_sess *s)
{
	if (--s->in_cb == 0 && s->closing) {
		conn_free(s);
		return 0;
	}
	return !s->closing;
}

static void
conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct smtpc_sess *s = arg;
	char buf[600];

	(void)fd;
	(void)what;
	if (s->state == ST_CONNECT && s->why.len > 0)
		snprintf(buf, sizeof(buf), "%s", s->why.data);
	else if (s->state == ST_CONNECT)
		snprintf(buf, sizeof(buf), "connect to %s: Connection timed out",
		    s->peer);
	else
		snprintf(buf, sizeof(buf), "conversation with %s timed out while %s",
		    s->hostaddr, s->stage);
	s->in_cb++;
	s->broken = 1;
	smtpc_sess_failed(s, buf);
	conn_leave(s);
}

void
smtpc_conn_deadline(struct smtpc_sess *s, long seconds, const char *stage)
{
	struct timeval tv = { seconds > 0 ? seconds : 1, 0 };

	s->stage = stage;
	evtimer_add(s->deadline, &tv);
}

static void
conn_setup_bev(struct smtpc_sess *s, struct bufferevent *bev)
{
	s->bev = bev;
	bufferevent_setcb(bev, conn_read, NULL, conn_event, s);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct smtpc_sess *
smtpc_conn_new(const struct smtpc_target *tg, const char *cache_key)
{
	struct event_base *base = server_event_base();
	struct smtpc_sess *s = calloc(1, sizeof(*s));
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	struct bufferevent *bev;

	if (s == NULL || (cache_key != NULL &&
	    (s->cache_key = strdup(cache_key)) == NULL))
		log_fatal("out of memory");
	s->tg = *tg;
	s->fd = -1;
	s->state = ST_CONNECT;
	s->created = time(NULL);
	if (tg->path[0] != '\0') {
		snprintf(s->hostaddr, sizeof(s->hostaddr), "%s", tg->path);
		snprintf(s->peer, sizeof(s->peer), "%s", tg->path);
	} else {
		snprintf(s->hostaddr, sizeof(s->hostaddr), "%s[%s]", tg->host,
		    tg->addr);
		snprintf(s->peer, sizeof(s->peer), "%s[%s]:%u", tg->host, tg->addr,
		    tg->port);
	}
	smtpc_reader_init(&s->rd);
	strbuf_init(&s->feat.auth, 1024);
	strbuf_init(&s->why, 4096);
	strbuf_init(&s->tls_summary, 512);
	s->deadline = evtimer_new(base, conn_timeout, s);
	if (s->deadline == NULL)
		log_fatal("cannot make a timer");

	memset(&ss, 0, sizeof(ss));
	if (tg->path[0] != '\0') {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		sun->sun_family = AF_UNIX;
		/* A relative path is under queue_directory, as in Postfix
		 * ("lmtp:unix:private/dovecot-lmtp"). */
		if (tg->path[0] == '/')
			strlcpy(sun->sun_path, tg->path, sizeof(sun->sun_path));
		else if ((size_t)snprintf(sun->sun_path, sizeof(sun->sun_path),
		    "%s/%s", var_queue_dir, tg->path) >= sizeof(sun->sun_path))
			sun->sun_path[0] = '\0';	/* too long: connect fails */
		sslen = sizeof(*sun);
	} else if (inet_pton(AF_INET, tg->addr,
	    &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)tg->port);
		sslen = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, tg->addr,
	    &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)tg->port);
		sslen = sizeof(struct sockaddr_in6);
	}
	bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		log_fatal("cannot make a connection's events");
	conn_setup_bev(s, bev);
	smtpc_conn_deadline(s, var_smtp_connect_timeout, "connecting");
	/* A refusal may be reported at once (UNIX socket): through the
	 * event callback, which runs later for a deferred error only; so
	 * an immediate failure is turned into a zero timeout. */
	if (sslen == 0 || bufferevent_socket_connect(bev, (struct sockaddr *)&ss,
	    (int)sslen) < 0) {
		struct timeval now = { 0, 0 };

		strbuf_set_printf(&s->why, "connect to %s: %s", s->peer,
		    sslen == 0 ? "bad address" : strerror(errno));
		s->stage = NULL;
		evtimer_add(s->deadline, &now);
	}
	return s;
}

void
smtpc_conn_printf(struct smtpc_sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(s->bev), fmt, ap);
	va_end(ap);
}

void
smtpc_conn_write(struct smtpc_sess *s, const void *p, size_t n)
{
	bufferevent_write(s->bev, p, n);
}

size_t
smtpc_conn_pending(const struct smtpc_sess *s)
{
	return evbuffer_get_length(bufferevent_get_output(s->bev));
}

void
smtpc_conn_want_write(struct smtpc_sess *s, int on)
{
	bufferevent_setwatermark(s->bev, EV_WRITE, on ? CONTENT_LOW_MARK : 0, 0);
	bufferevent_setcb(s->bev, conn_read, on ? conn_write : NULL, conn_event, s);
}

static void
conn_write(struct bufferevent *bev, void *arg)
{
	struct smtpc_sess *s = arg;

	(void)bev;
	if (s->state != ST_CONTENT)
		return;
	s->in_cb++;
	smtpc_sess_writable(s);
	conn_leave(s);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct smtpc_sess *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;
	struct strbuf bad;
	size_t used;
	int rc;

	s->in_cb++;
	if (s->state == ST_IDLE || s->state == ST_CONNECT) {
		/* An idle server talks only to say goodbye (421): drop it. */
		evbuffer_drain(in, evbuffer_get_length(in));
		smtpc_conn_close(s);
		conn_leave(s);
		return;
	}
	strbuf_init(&bad, 512);
	while (!s->closing && s->bev == bev && evbuffer_get_length(in) > 0) {
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		rc = smtpc_reply_feed(&s->rd, v.iov_base, v.iov_len, &used, &bad);
		evbuffer_drain(in, used);
		if (rc == SMTPC_REPLY_MORE)
			continue;
		if (rc == SMTPC_REPLY_BAD) {
			char buf[800];

			snprintf(buf, sizeof(buf), "malformed reply from %s while %s: %s",
			    s->hostaddr, s->stage ? s->stage : "talking", bad.data);
			s->broken = 1;
			smtpc_sess_failed(s, buf);
			break;
		}
		evtimer_del(s->deadline);
		smtpc_sess_reply(s);
		smtpc_reader_next(&s->rd);
	}
	strbuf_release(&bad);
	conn_leave(s);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtpc_sess *s = arg;
	char buf[800];
	int err = EVUTIL_SOCKET_ERROR();

	(void)bev;
	s->in_cb++;
	if (what & BEV_EVENT_CONNECTED) {
		evtimer_del(s->deadline);
		if (s->state == ST_TLS) {
			s->tls_active = 1;
			smtpc_sess_tls_done(s, 1, NULL);
		} else {
			s->fd = bufferevent_getfd(bev);
			s->state = ST_GREET;
			smtpc_sess_connected(s);
		}
	} else if (s->state == ST_IDLE) {
		smtpc_conn_close(s);
	} else if (s->state == ST_TLS) {
		struct strbuf e;

		strbuf_init(&e, 512);
		tls_errors(&e);
		evtimer_del(s->deadline);
		smtpc_sess_tls_done(s, 0, e.len ? e.data :
		    (what & BEV_EVENT_EOF) ? "lost connection" : "handshake failed");
		strbuf_release(&e);
	} else {
		if (s->state == ST_CONNECT)
			snprintf(buf, sizeof(buf), "connect to %s: %s", s->peer,
			    err ? strerror(err) : "Connection refused");
		else
			snprintf(buf, sizeof(buf), "lost connection with %s while %s",
			    s->hostaddr, s->stage ? s->stage : "talking");
		s->broken = 1;
		smtpc_sess_failed(s, buf);
	}
	ERR_clear_error();
	conn_leave(s);
}

void
smtpc_conn_start_tls(struct smtpc_sess *s, SSL *ssl)
{
	struct bufferevent *old = s->bev, *bev;
	int fd = bufferevent_getfd(old);

	/* Whatever arrived after the 220 to STARTTLS is not the server's
	 * TLS: it is thrown away, never read as a reply later. */
	evbuffer_drain(bufferevent_get_input(old),
	    evbuffer_get_length(bufferevent_get_input(old)));
	bufferevent_setcb(old, NULL, NULL, NULL, NULL);
	bufferevent_setfd(old, -1);
	bufferevent_free(old);
	bev = bufferevent_openssl_socket_new(server_event_base(), fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		log_fatal("cannot make the TLS events of a connection");
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	s->state = ST_TLS;
	conn_setup_bev(s, bev);
	smtpc_reader_next(&s->rd);
}

SSL *
smtpc_conn_ssl(struct smtpc_sess *s)
{
	return s->tls_active ? bufferevent_openssl_get_ssl(s->bev) : NULL;
}

/* ---- the idle cache ---- */

static void
idle_expire(evutil_socket_t fd, short what, void *arg)
{
	struct smtpc_sess *s = arg;

	(void)fd;
	(void)what;
	/* Idle too long: say goodbye without waiting for the answer (over
	 * TLS the close alone; the server sees the end of the stream). */
	if (!s->tls_active && s->fd >= 0)
		(void)send(s->fd, "QUIT\r\n", 6, MSG_NOSIGNAL | MSG_DONTWAIT);
	conn_free(s);
}

int
smtpc_conn_cache_put(struct smtpc_sess *s)
{
	struct timeval tv = { var_smtp_cache_time, 0 };

	if (s->cache_key == NULL || var_smtp_cache_time <= 0 || s->broken ||
	    s->closing ||
	    time(NULL) - s->created >= var_smtp_reuse_time ||
	    (var_smtp_reuse_count > 0 && s->reuses >= (unsigned)var_smtp_reuse_count))
		return -1;
	if (s->idle_ev == NULL &&
	    (s->idle_ev = evtimer_new(server_event_base(), idle_expire, s)) == NULL)
		log_fatal("cannot make a timer");
	evtimer_del(s->deadline);
	smtpc_conn_want_write(s, 0);
	s->state = ST_IDLE;
	TAILQ_INSERT_TAIL(&idle_list, s, link);
	idle_count++;
	evtimer_add(s->idle_ev, &tv);
	return 0;
}

struct smtpc_sess *
smtpc_conn_cache_take(const char *key)
{
	struct smtpc_sess *s;

	TAILQ_FOREACH(s, &idle_list, link)
		if (strcmp(s->cache_key, key) == 0)
			break;
	if (s == NULL)
		return NULL;
	TAILQ_REMOVE(&idle_list, s, link);
	idle_count--;
	evtimer_del(s->idle_ev);
	s->state = ST_XACT;
	s->reuses++;
	smtpc_reader_next(&s->rd);
	return s;
}
