/*
 * tests/unit/test_anvil_client.c — the asynchronous anvil client against a
 * fake anvil in the same event loop (a real UNIX socket in a temporary
 * queue directory): answers in order, cancel, fail-open on an unreachable
 * service, a closed connection, a timeout and a malformed reply (callbacks
 * get -1, never from inside the request call), reconnect with a new
 * generation, and disconnects that are not sent for an old generation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <cmocka.h>

#include "anvil_client.h"
#include "ipc.h"
#include "ipc_names.h"
#include "netio.h"
#include "qfile.h"
#include "test_util.h"

enum fake_mode { FAKE_ANSWER, FAKE_SILENT, FAKE_CLOSE, FAKE_GARBAGE };

static struct {
	struct event_base *base;
	char	dir[64];
	char	path[4096];
	int	lfd;
	struct event *accept_ev;
	struct bufferevent *conn;
	enum fake_mode mode;
	int	nconnects;		/* connections accepted */
	int	nreq;			/* requests seen */
	int	ndisconnect;
	char	last_ident[256];
} fake;

/* ---- the fake anvil ---- */

static void
fake_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct ipc_msg *m, *r;
	struct strbuf why, out;
	size_t	used;

	strbuf_init(&why, 256);
	strbuf_init(&out, 4096);
	while (ipc_decode(evbuffer_pullup(in, -1), evbuffer_get_length(in), 4096,
	    &m, &used, &why) == 1) {
		evbuffer_drain(in, used);
		fake.nreq++;
		snprintf(fake.last_ident, sizeof(fake.last_ident), "%s",
		    ipc_get_str(m, IPC_ATTR_IDENT));
		if (strcmp(ipc_get_str(m, IPC_ATTR_REQ), "disconnect") == 0)
			fake.ndisconnect++;
		if (fake.mode == FAKE_CLOSE) {
			ipc_msg_free(m);
			bufferevent_free(bev);
			fake.conn = NULL;
			break;
		}
		if (fake.mode == FAKE_GARBAGE)
			bufferevent_write(bev, "\0\0\0\3xyz", 7);
		if (fake.mode == FAKE_ANSWER) {
			r = ipc_msg_new();
			ipc_put_int(r, IPC_ATTR_STATUS, 0);
			ipc_put_int(r, IPC_ATTR_COUNT, 100 + fake.nreq);
			ipc_put_int(r, IPC_ATTR_RATE, 200 + fake.nreq);
			strbuf_reset(&out);
			ipc_encode(r, &out);
			bufferevent_write(bev, out.data, out.len);
			ipc_msg_free(r);
		}
		ipc_msg_free(m);
	}
	strbuf_release(&why);
	strbuf_release(&out);
}

static void
fake_event_cb(struct bufferevent *bev, short what, void *arg)
{
	bufferevent_free(bev);
	fake.conn = NULL;
}

static void
fake_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	int	fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		return;
	fake.nconnects++;
	if (fake.conn)
		bufferevent_free(fake.conn);
	fake.conn = bufferevent_socket_new(fake.base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(fake.conn, fake_read_cb, NULL, fake_event_cb, NULL);
	bufferevent_enable(fake.conn, EV_READ | EV_WRITE);
}

static void
fake_listen(void)
{
	struct strbuf err;

	strbuf_init(&err, 256);
	fake.lfd = unix_listen(fake.path, 10, 0600, &err);
	assert_true(fake.lfd >= 0);
	fd_set_nonblock(fake.lfd, 1);
	fake.accept_ev = event_new(fake.base, fake.lfd, EV_READ | EV_PERSIST,
	    fake_accept_cb, NULL);
	event_add(fake.accept_ev, NULL);
	strbuf_release(&err);
}

static void
fake_unlisten(void)
{
	event_free(fake.accept_ev);
	close(fake.lfd);
	unlink(fake.path);
}

/* ---- callbacks and the loop ---- */

struct answer {
	int	called;
	int	status;
	long	count, rate;
	int	order;
};
static int answer_seq;

static void
answer_cb(void *arg, int status, long count, long rate)
{
	struct answer *a = arg;

	a->called++;
	a->status = status;
	a->count = count;
	a->rate = rate;
	a->order = ++answer_seq;
}

/* Run the loop until *flag is set; bounded. */
static void
run_until(const int *flag)
{
	int	i;

	for (i = 0; i < 1000 && !*flag; i++)
		event_base_loop(fake.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	for (i = 0; i < 200 && !*flag; i++)
		event_base_loop(fake.base, EVLOOP_ONCE);
	assert_true(*flag);
}

static void
run_a_bit(void)
{
	int	i;

	for (i = 0; i < 100; i++)
		event_base_loop(fake.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static int
setup(void **state)
{
	memset(&fake, 0, sizeof(fake));
	strcpy(fake.dir, "/tmp/test_anvil_client.XXXXXX");
	if (test_queue_make(fake.dir) < 0)
		return (-1);
	snprintf(fake.path, sizeof(fake.path), "%s/%s/anvil", fake.dir,
	    QDIR_PRIVATE);
	fake.base = event_base_new();
	anvil_client_init(fake.base, fake.dir, 5000);
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	event_base_free(fake.base);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake.dir);
	return (system(cmd) == 0 ? 0 : -1);
}

/* ---- tests ---- */

static void
test_unreachable(void **state)
{
	struct answer a = {0};

	/* Nobody listens: no handle, the caller goes on unlimited. */
	assert_null(anvil_client_connect("smtpd:192.0.2.1", answer_cb, &a));
	run_a_bit();
	assert_int_equal(a.called, 0);
	assert_int_equal(anvil_client_pending(), 0);
}

static void
test_answers_in_order(void **state)
{
	struct answer a = {0}, b = {0}, c = {0}, d = {0};
	struct anvil_req *rb;
	unsigned long gen;

	fake_listen();
	fake.mode = FAKE_ANSWER;
	assert_non_null(anvil_client_connect("smtpd:192.0.2.1", answer_cb, &a));
	gen = anvil_client_generation();
	assert_non_null(rb = anvil_client_message("smtpd:192.0.2.1", answer_cb, &b));
	assert_non_null(anvil_client_rcpt("smtpd:192.0.2.1", answer_cb, &c));
	/* Never called from inside the request. */
	assert_int_equal(a.called + b.called + c.called, 0);
	anvil_client_cancel(rb);
	anvil_client_disconnect("smtpd:192.0.2.1", gen);
	assert_non_null(anvil_client_connect("smtpd:192.0.2.2", answer_cb, &d));
	assert_int_equal(anvil_client_pending(), 5);
	run_until(&d.called);
	assert_int_equal(a.called, 1);
	assert_int_equal(a.status, 0);
	assert_int_equal(a.count, 101);
	assert_int_equal(a.rate, 201);
	assert_int_equal(b.called, 0);		/* cancelled */
	assert_int_equal(c.called, 1);
	assert_int_equal(c.count, 0);		/* only connect has a count */
	assert_int_equal(c.rate, 203);
	assert_int_equal(d.count, 105);
	assert_true(a.order < c.order && c.order < d.order);
	assert_int_equal(fake.ndisconnect, 1);
	assert_string_equal(fake.last_ident, "smtpd:192.0.2.2");
	assert_int_equal(fake.nconnects, 1);	/* one shared connection */
	assert_int_equal(anvil_client_pending(), 0);
}

static void
test_closed_and_reconnect(void **state)
{
	struct answer a = {0}, b = {0}, c = {0};
	unsigned long gen;

	fake.mode = FAKE_CLOSE;
	assert_non_null(anvil_client_connect("smtpd:192.0.2.3", answer_cb, &a));
	gen = anvil_client_generation();
	assert_non_null(anvil_client_rcpt("smtpd:192.0.2.3", answer_cb, &b));
	run_until(&b.called);
	assert_int_equal(a.status, -1);
	assert_int_equal(b.status, -1);
	/* The closed connection took its counts: no disconnect is sent for
	 * the old generation, and the next request connects again. */
	fake.mode = FAKE_ANSWER;
	fake.ndisconnect = 0;
	anvil_client_disconnect("smtpd:192.0.2.3", gen);
	assert_non_null(anvil_client_connect("smtpd:192.0.2.4", answer_cb, &c));
	assert_true(anvil_client_generation() != gen);
	run_until(&c.called);
	assert_int_equal(c.status, 0);
	assert_int_equal(fake.ndisconnect, 0);
	assert_int_equal(fake.nconnects, 2);
}

static void
test_timeout(void **state)
{
	struct answer a = {0}, b = {0};
	struct anvil_req *ra;

	anvil_client_init(fake.base, fake.dir, 50);
	fake.mode = FAKE_SILENT;
	assert_non_null(ra = anvil_client_connect("smtpd:192.0.2.5", answer_cb, &a));
	assert_non_null(anvil_client_message("smtpd:192.0.2.5", answer_cb, &b));
	anvil_client_cancel(ra);
	run_until(&b.called);
	assert_int_equal(a.called, 0);
	assert_int_equal(b.status, -1);
	assert_int_equal(anvil_client_pending(), 0);
	anvil_client_init(fake.base, fake.dir, 5000);
}

static void
test_garbage(void **state)
{
	struct answer a = {0};

	fake.mode = FAKE_GARBAGE;
	assert_non_null(anvil_client_rcpt("smtpd:192.0.2.6", answer_cb, &a));
	run_until(&a.called);
	assert_int_equal(a.status, -1);
	fake_unlisten();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_answers_in_order),
		cmocka_unit_test(test_closed_and_reconnect),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_garbage),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
