/*
 * lib/anvil_client.c — the asynchronous anvil client (one per process).
 *
 * A non-blocking connection to QUEUE_DIR/private/anvil in a bufferevent,
 * and a FIFO of requests in the order they were sent (anvil answers in
 * order).  Only the head's deadline matters, as all requests have the same
 * time limit: one timer watches it.  Anvil is a peer we do not trust
 * blindly: replies go through ipc_decode with a small limit, and a
 * malformed or unexpected reply, a timeout or a lost connection fails
 * every pending request with -1 (from the event loop), closes the
 * connection and bumps the generation; the next request connects again.
 * Warnings are rate-limited to one a minute; nothing here is fatal except
 * allocation failure.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "anvil_client.h"
#include "ipc.h"
#include "ipc_names.h"
#include "log.h"
#include "netio.h"
#include "qfile.h"

#define ANVIL_REPLY_LIMIT	4096
#define ANVIL_WARN_EVERY	60	/* seconds between warnings */

enum anvil_kind { AK_CONNECT, AK_DISCONNECT, AK_MESSAGE, AK_RCPT };

struct anvil_req {
	TAILQ_ENTRY(anvil_req) link;
	enum anvil_kind kind;
	void	(*cb)(void *, int, long, long);	/* NULL: cancelled / none */
	void   *arg;
	long long deadline_ms;
};

TAILQ_HEAD(anvil_fifo, anvil_req);

static struct {
	struct event_base *base;
	char   *path;
	int	timeout_ms;
	struct bufferevent *bev;		/* NULL: not connected */
	struct event *timer;			/* the head's deadline */
	struct event *fail_ev;			/* deliver failures */
	struct anvil_fifo fifo;			/* sent, awaiting replies */
	struct anvil_fifo failed;		/* to be told -1 */
	unsigned long gen;
	unsigned npending;
	long long last_warn_ms;
	int	warned;				/* last_warn_ms is set */
	int	down;				/* warned since the last connect */
} ac;

static const char *const anvil_kind_req[] = {
	[AK_CONNECT] = IPC_REQ_ANVIL_CONNECT,
	[AK_DISCONNECT] = IPC_REQ_ANVIL_DISCONNECT,
	[AK_MESSAGE] = IPC_REQ_ANVIL_MESSAGE,
	[AK_RCPT] = IPC_REQ_ANVIL_RCPT,
};

static void anvil_read_cb(struct bufferevent *, void *);
static void anvil_event_cb(struct bufferevent *, short, void *);
static void anvil_timer_cb(evutil_socket_t, short, void *);
static void anvil_fail_cb(evutil_socket_t, short, void *);

static long long
anvil_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Fail open, but say so now and then. */
static void
anvil_warn(const char *why)
{
	long long now = anvil_now_ms();

	/* Once a minute, even when anvil comes and goes in between. */
	if (ac.warned && now - ac.last_warn_ms < ANVIL_WARN_EVERY * 1000LL)
		return;
	ac.warned = 1;
	ac.down = 1;
	ac.last_warn_ms = now;
	log_warn("anvil service %s: %s; client limits are not enforced",
	    ac.path ? ac.path : "(not set up)", why);
}

void
anvil_client_init(struct event_base *base, const char *queue_dir,
    int timeout_ms)
{
	char	path[4096];

	if (ac.base == NULL) {
		TAILQ_INIT(&ac.fifo);
		TAILQ_INIT(&ac.failed);
	}
	if (ac.base != base) {
		if (ac.bev != NULL || !TAILQ_EMPTY(&ac.fifo))
			log_panic("anvil_client_init: new event base while busy");
		if (ac.timer)
			event_free(ac.timer);
		if (ac.fail_ev)
			event_free(ac.fail_ev);
		ac.timer = evtimer_new(base, anvil_timer_cb, NULL);
		ac.fail_ev = event_new(base, -1, 0, anvil_fail_cb, NULL);
		if (ac.timer == NULL || ac.fail_ev == NULL)
			log_fatal("anvil client: cannot create events");
		ac.base = base;
	}
	free(ac.path);
	ac.path = NULL;
	if (service_path(path, sizeof(path), queue_dir, QDIR_PRIVATE,
	    "anvil") == 0)
		ac.path = xstrdup(path);
	ac.timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
}

unsigned long
anvil_client_generation(void)
{
	return (ac.gen);
}

unsigned
anvil_client_pending(void)
{
	return (ac.npending);
}

/* Arm the timer for the head of the FIFO (or stop it). */
static void
anvil_timer_arm(void)
{
	struct anvil_req *r = TAILQ_FIRST(&ac.fifo);
	struct timeval tv;
	long long left;

	if (r == NULL) {
		evtimer_del(ac.timer);
		return;
	}
	left = r->deadline_ms - anvil_now_ms();
	if (left < 0)
		left = 0;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	evtimer_add(ac.timer, &tv);
}

/* The connection is no good: close it, and tell every waiting request
 * -1 from the event loop (a callback may start new requests). */
static void
anvil_break(const char *why)
{
	anvil_warn(why);
	if (ac.bev != NULL) {
		bufferevent_free(ac.bev);
		ac.bev = NULL;
	}
	ac.gen++;
	TAILQ_CONCAT(&ac.failed, &ac.fifo, link);
	evtimer_del(ac.timer);
	if (!TAILQ_EMPTY(&ac.failed))
		event_active(ac.fail_ev, EV_TIMEOUT, 0);
}

static void
anvil_finish(struct anvil_req *r, int status, long count, long rate)
{
	void	(*cb)(void *, int, long, long) = r->cb;
	void   *arg = r->arg;

	ac.npending--;
	free(r);
	if (cb != NULL)
		cb(arg, status, count, rate);
}

static void
anvil_fail_cb(evutil_socket_t fd, short what, void *arg)
{
	struct anvil_req *r;

	while ((r = TAILQ_FIRST(&ac.failed)) != NULL) {
		TAILQ_REMOVE(&ac.failed, r, link);
		anvil_finish(r, -1, 0, 0);
	}
}

static int
anvil_open(void)
{
	int	fd;

	if (ac.path == NULL) {
		anvil_warn("no socket path");
		return (-1);
	}
	if ((fd = unix_connect_nonblock(ac.path)) < 0) {
		anvil_warn(strerror(errno));
		return (-1);
	}
	ac.bev = bufferevent_socket_new(ac.base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (ac.bev == NULL)
		log_fatal("bufferevent_socket_new failed");
	bufferevent_setcb(ac.bev, anvil_read_cb, NULL, anvil_event_cb, NULL);
	bufferevent_setwatermark(ac.bev, EV_READ, 0, 4 * ANVIL_REPLY_LIMIT);
	bufferevent_enable(ac.bev, EV_READ | EV_WRITE);
	ac.gen++;
	if (ac.down)
		log_info("anvil service %s: connected again", ac.path);
	ac.down = 0;
	return (0);
}

static struct anvil_req *
anvil_send(enum anvil_kind kind, const char *ident,
    void (*cb)(void *, int, long, long), void *arg)
{
	struct anvil_req *r;
	struct ipc_msg *m;
	struct strbuf out;
	int	bad;

	if (ac.base == NULL)
		log_panic("anvil client used before anvil_client_init");
	if (ac.bev == NULL && anvil_open() < 0)
		return (NULL);
	m = ipc_msg_new();
	ipc_put_str(m, IPC_ATTR_REQ, anvil_kind_req[kind]);
	ipc_put_str(m, IPC_ATTR_IDENT, ident);
	strbuf_init(&out, ANVIL_REPLY_LIMIT);
	bad = ipc_encode(m, &out) < 0;
	if (!bad)
		bufferevent_write(ac.bev, out.data, out.len);
	strbuf_release(&out);
	ipc_msg_free(m);
	if (bad) {
		anvil_warn("ident too long");
		return (NULL);
	}
	r = xcalloc(1, sizeof(*r));
	r->kind = kind;
	r->cb = cb;
	r->arg = arg;
	r->deadline_ms = anvil_now_ms() + ac.timeout_ms;
	TAILQ_INSERT_TAIL(&ac.fifo, r, link);
	ac.npending++;
	if (TAILQ_FIRST(&ac.fifo) == r)
		anvil_timer_arm();
	return (r);
}

struct anvil_req *
anvil_client_connect(const char *ident,
    void (*cb)(void *arg, int status, long count, long rate), void *arg)
{
	return (anvil_send(AK_CONNECT, ident, cb, arg));
}

struct anvil_req *
anvil_client_message(const char *ident,
    void (*cb)(void *arg, int status, long count, long rate), void *arg)
{
	return (anvil_send(AK_MESSAGE, ident, cb, arg));
}

struct anvil_req *
anvil_client_rcpt(const char *ident,
    void (*cb)(void *arg, int status, long count, long rate), void *arg)
{
	return (anvil_send(AK_RCPT, ident, cb, arg));
}

void
anvil_client_disconnect(const char *ident, unsigned long generation)
{
	/* A connection that closed took its counts with it. */
	if (ac.bev == NULL || generation != ac.gen)
		return;
	(void)anvil_send(AK_DISCONNECT, ident, NULL, NULL);
}

void
anvil_client_cancel(struct anvil_req *r)
{
	/* It stays in its queue: the reply still has to be matched. */
	if (r != NULL)
		r->cb = NULL;
}

/* One reply for the head request: 0, or -1 when it is malformed. */
static int
anvil_reply(const struct ipc_msg *m)
{
	struct anvil_req *r = TAILQ_FIRST(&ac.fifo);
	int64_t	status, count = 0, rate = 0;

	if (r == NULL)
		return (-1);
	if (ipc_get_int(m, IPC_ATTR_STATUS, &status) < 0)
		return (-1);
	if (status == 0 && (r->kind == AK_CONNECT || r->kind == AK_MESSAGE
	    || r->kind == AK_RCPT)) {
		if (ipc_get_int(m, IPC_ATTR_RATE, &rate) < 0 || rate < 0)
			return (-1);
		if (r->kind == AK_CONNECT && (ipc_get_int(m, IPC_ATTR_COUNT,
		    &count) < 0 || count < 0))
			return (-1);
	}
	TAILQ_REMOVE(&ac.fifo, r, link);
	anvil_timer_arm();
	/* Anvil could not count (e.g. its table is full): do not limit. */
	if (status != 0)
		anvil_finish(r, -1, 0, 0);
	else
		anvil_finish(r, 0, count > LONG_MAX ? LONG_MAX : (long)count,
		    rate > LONG_MAX ? LONG_MAX : (long)rate);
	return (0);
}

static void
anvil_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct ipc_msg *m;
	struct strbuf why;
	size_t	len, used;
	unsigned long gen = ac.gen;
	int	r;

	strbuf_init(&why, 256);
	/* A callback may break the connection (the generation changes). */
	while (ac.gen == gen && (len = evbuffer_get_length(in)) > 0) {
		r = ipc_decode(evbuffer_pullup(in, -1), len, ANVIL_REPLY_LIMIT,
		    &m, &used, &why);
		if (r == 0)
			break;
		if (r < 0) {
			anvil_break(why.data);
			break;
		}
		evbuffer_drain(in, used);
		r = anvil_reply(m);
		ipc_msg_free(m);
		if (r < 0) {
			anvil_break("malformed or unexpected reply");
			break;
		}
	}
	strbuf_release(&why);
}

static void
anvil_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & BEV_EVENT_CONNECTED)
		return;
	anvil_break(what & BEV_EVENT_EOF ? "connection closed" :
	    "connection error");
}

static void
anvil_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct anvil_req *r = TAILQ_FIRST(&ac.fifo);

	if (r == NULL)
		return;
	if (r->deadline_ms > anvil_now_ms()) {
		anvil_timer_arm();
		return;
	}
	anvil_break("timeout");
}
