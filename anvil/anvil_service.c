/*
 * anvil/anvil_service.c — the IPC side of anvil(8).
 *
 * Every smtpd process keeps one connection to private/anvil; each
 * connection is an owner in the table (anvil_table.c), so when an smtpd
 * exits or crashes its connection counts go with it.  Requests and replies
 * are the frames of lib/ipc_names.h, answered in order.  Clients are other
 * tegami daemons, still untrusted: the peer uid must be ours or root, a
 * frame over ANVIL_FRAME_LIMIT, a malformed frame, an unknown request, a
 * bad ident or a client that stops reading its replies ends that
 * connection with a warning, never the daemon.  Setup trouble is fatal.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "anvil.h"
#include "ipc.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "netio.h"
#include "server.h"

#define ANVIL_FRAME_LIMIT	4096		/* requests are tiny */
#define ANVIL_INPUT_MAX		(64 * 1024)	/* read no further ahead */
#define ANVIL_OUTPUT_MAX	(256 * 1024)	/* unread replies before we
						 * give up on a client */

struct anvil_conn {
	struct bufferevent *bev;
	struct anvil_owner *owner;
	long	uid;				/* for logs */
};

static struct anvil_table *anvil_tab;
static struct event *anvil_status_ev;

/* The table's clock: monotonic, so a wall clock step changes no window. */
static time_t
anvil_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

/* ---- statistics -------------------------------------------------------- */

static void
anvil_status_log(void)
{
	struct anvil_stats st;

	anvil_table_stats(anvil_tab, &st);
	if (st.max_conn_rate > 0)
		log_info("statistics: max connection rate %ld/%lds for (%s)",
		    st.max_conn_rate, var_anvil_rate_time_unit,
		    st.max_conn_rate_ident);
	if (st.max_count > 0)
		log_info("statistics: max connection count %ld for (%s)",
		    st.max_count, st.max_count_ident);
	if (st.max_msg_rate > 0)
		log_info("statistics: max message rate %ld/%lds for (%s)",
		    st.max_msg_rate, var_anvil_rate_time_unit,
		    st.max_msg_rate_ident);
	if (st.max_rcpt_rate > 0)
		log_info("statistics: max recipient rate %ld/%lds for (%s)",
		    st.max_rcpt_rate, var_anvil_rate_time_unit,
		    st.max_rcpt_rate_ident);
	if (st.max_size > 0)
		log_info("statistics: max cache size %zu", st.max_size);
	if (st.evicted > 0)
		log_warn("anvil_table_limit %ld reached: %ld client(s) forgotten "
		    "early", var_anvil_table_limit, st.evicted);
}

static void
anvil_status_cb(evutil_socket_t fd, short what, void *arg)
{
	anvil_table_expire(anvil_tab, anvil_now());
	anvil_status_log();
}

void
anvil_service_init(void)
{
	struct timeval tv;

	anvil_tab = anvil_table_new(var_anvil_rate_time_unit,
	    (size_t)var_anvil_table_limit);
	if (var_anvil_status_update_time > 0) {
		anvil_status_ev = event_new(server_event_base(), -1, EV_PERSIST,
		    anvil_status_cb, NULL);
		if (anvil_status_ev == NULL)
			log_fatal("cannot create the status timer");
		tv.tv_sec = var_anvil_status_update_time;
		tv.tv_usec = 0;
		event_add(anvil_status_ev, &tv);
	}
	/* XXX The event skeleton retires a process after $max_use
	 * connections; anvil's counts live in this process, so it must not
	 * retire (smtpd processes come and go and each is one connection).
	 * lib/server.c could honour no_idle_exit for this instead. */
	var_max_use = LONG_MAX;
}

/* ---- requests ---------------------------------------------------------- */

static void
anvil_conn_close(struct anvil_conn *c)
{
	bufferevent_free(c->bev);
	anvil_owner_free(c->owner, anvil_now());
	free(c);
	server_conn_done();
}

static void
anvil_conn_fail(struct anvil_conn *c, const char *why)
{
	log_warn("anvil client uid=%ld: %s; connection dropped", c->uid, why);
	anvil_conn_close(c);
}

/* Request handlers: fill the reply; -1 = the request is malformed. */
static int
anvil_do_connect(struct anvil_conn *c, const char *ident, struct ipc_msg *r)
{
	long	count, rate;

	if (anvil_table_connect(anvil_tab, c->owner, ident, anvil_now(), &count,
	    &rate) < 0) {
		ipc_put_int(r, IPC_ATTR_STATUS, ANVIL_STAT_FULL);
		return (0);
	}
	ipc_put_int(r, IPC_ATTR_STATUS, ANVIL_STAT_OK);
	ipc_put_int(r, IPC_ATTR_COUNT, count);
	ipc_put_int(r, IPC_ATTR_RATE, rate);
	return (0);
}

static int
anvil_do_disconnect(struct anvil_conn *c, const char *ident, struct ipc_msg *r)
{
	anvil_table_disconnect(anvil_tab, c->owner, ident, anvil_now());
	ipc_put_int(r, IPC_ATTR_STATUS, ANVIL_STAT_OK);
	return (0);
}

static int
anvil_do_rate(const char *ident, struct ipc_msg *r,
    int (*count_fn)(struct anvil_table *, const char *, time_t, long *))
{
	long	rate;

	if (count_fn(anvil_tab, ident, anvil_now(), &rate) < 0) {
		ipc_put_int(r, IPC_ATTR_STATUS, ANVIL_STAT_FULL);
		return (0);
	}
	ipc_put_int(r, IPC_ATTR_STATUS, ANVIL_STAT_OK);
	ipc_put_int(r, IPC_ATTR_RATE, rate);
	return (0);
}

static int
anvil_do_message(struct anvil_conn *c, const char *ident, struct ipc_msg *r)
{
	return (anvil_do_rate(ident, r, anvil_table_message));
}

static int
anvil_do_rcpt(struct anvil_conn *c, const char *ident, struct ipc_msg *r)
{
	return (anvil_do_rate(ident, r, anvil_table_rcpt));
}

static const struct {
	const char *req;
	int	(*fn)(struct anvil_conn *, const char *, struct ipc_msg *);
} anvil_requests[] = {
	{IPC_REQ_ANVIL_CONNECT, anvil_do_connect},
	{IPC_REQ_ANVIL_DISCONNECT, anvil_do_disconnect},
	{IPC_REQ_ANVIL_MESSAGE, anvil_do_message},
	{IPC_REQ_ANVIL_RCPT, anvil_do_rcpt},
};

/* One request: 0 with the reply queued, -1 with why set. */
static int
anvil_request(struct anvil_conn *c, const struct ipc_msg *m,
    struct strbuf *why)
{
	const char *req = ipc_get_str(m, IPC_ATTR_REQ);
	const char *ident = ipc_get_str(m, IPC_ATTR_IDENT);
	struct ipc_msg *reply;
	struct strbuf out;
	size_t	i, n = sizeof(anvil_requests) / sizeof(anvil_requests[0]);
	int	r = 0;

	if (req == NULL)
		return (strbuf_set_str(why, "request without req"), -1);
	for (i = 0; i < n; i++)
		if (strcmp(req, anvil_requests[i].req) == 0)
			break;
	if (i == n)
		return (strbuf_set_str(why, "unknown request"), -1);
	if (ident == NULL || *ident == '\0' || strlen(ident) > ANVIL_IDENT_MAX)
		return (strbuf_set_str(why, "missing or bad ident"), -1);
	log_debug("uid=%ld: %s %s", c->uid, req, ident);
	reply = ipc_msg_new();
	strbuf_init(&out, ANVIL_FRAME_LIMIT);
	if (anvil_requests[i].fn(c, ident, reply) < 0
	    || ipc_encode(reply, &out) < 0) {
		strbuf_set_str(why, "cannot answer");
		r = -1;
	} else
		bufferevent_write(c->bev, out.data, out.len);
	strbuf_release(&out);
	ipc_msg_free(reply);
	return (r);
}

static void
anvil_read_cb(struct bufferevent *bev, void *arg)
{
	struct anvil_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct ipc_msg *m;
	struct strbuf why;
	size_t	used, len;
	int	r;

	strbuf_init(&why, 256);
	while ((len = evbuffer_get_length(in)) > 0) {
		r = ipc_decode(evbuffer_pullup(in, -1), len, ANVIL_FRAME_LIMIT,
		    &m, &used, &why);
		if (r == 0)
			break;
		if (r > 0) {
			evbuffer_drain(in, used);
			r = anvil_request(c, m, &why);
			ipc_msg_free(m);
		}
		if (r < 0) {
			anvil_conn_fail(c, why.data);
			strbuf_release(&why);
			return;
		}
	}
	strbuf_release(&why);
	if (evbuffer_get_length(bufferevent_get_output(bev)) > ANVIL_OUTPUT_MAX)
		anvil_conn_fail(c, "client does not read its replies");
}

static void
anvil_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct anvil_conn *c = arg;

	/* An smtpd that exits closes; one that is killed with replies unread
	 * resets.  Both are normal ends: its counts go back. */
	if ((what & BEV_EVENT_EOF) || errno == ECONNRESET) {
		log_debug("anvil client uid=%ld: disconnected", c->uid);
		anvil_conn_close(c);
	} else
		anvil_conn_fail(c, "connection error");
}

void
anvil_service_accept(int fd)
{
	struct anvil_conn *c;
	uid_t	uid;

	if (peer_uid(fd, &uid) < 0 || (uid != 0 && uid != geteuid())) {
		log_warn("anvil: connection from uid=%ld refused",
		    peer_uid(fd, &uid) < 0 ? -1L : (long)uid);
		close(fd);
		server_conn_done();
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->uid = (long)uid;
	c->owner = anvil_owner_new(anvil_tab);
	c->bev = bufferevent_socket_new(server_event_base(), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		log_fatal("bufferevent_socket_new failed");
	bufferevent_setcb(c->bev, anvil_read_cb, NULL, anvil_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, ANVIL_INPUT_MAX);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}
