/*
 * tests/unit/test_smtp_server.c — the SMTP server engine (lib/smtp_server*.c)
 * driven in-process: a socketpair is the client, a fake cleanup service on
 * QDIR/private/cleanup runs in the same libevent loop and records the frames
 * it gets.  Covers the greeting, HELO/EHLO replies, a full transaction (frames,
 * Received: header, dot-unstuffing, LF line ends, a 1 MB message), pipelining,
 * command order (503), RSET, bare LF in commands and DATA, cleanup refusals,
 * a lost, silent or missing cleanup, the hard error limit, the recipient and
 * size limits, the timeout, back-pressure (a stalled cleanup, a client that
 * does not read its replies) and the policy hooks' replies.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "ipc.h"
#include "ipc_names.h"
#include "log.h"
#include "netio.h"
#include "smtp_server.h"
#include "strbuf.h"

#define QUEUE_ID	"0123456789ABCDEF0"
#define MAX_CONNS	16
#define WAIT_MS		3000

/* ---- the fake cleanup service ------------------------------------------ */

enum fake_mode {
	FK_QUEUE,		/* {status=0, queue_id} after end */
	FK_STATUS,		/* {status=fake_status, reason=fake_reason} */
	FK_BAD_ID,		/* {status=0, queue_id="../x"} */
	FK_CLOSE_AT_END,	/* close without a reply after end */
	FK_CLOSE_AT_RCPT,	/* close after the first rcpt frame */
	FK_EARLY_REPLY,		/* answer {status=0} right after begin */
	FK_CLOSE_AT_DATA,	/* close at the first data frame */
	FK_SILENT,		/* never answer */
};

/* One connection from the engine and what it carried. */
struct fconn {
	int	fd;
	struct event *ev;
	struct strbuf in;
	struct strbuf seq;	/* "begin,rcpt,data,end" */
	struct strbuf rcpts;	/* "a@b,c@d" */
	struct strbuf data;	/* every chunk, concatenated */
	char	sender[128];
	char	helo[128];
	char	protocol[16];
	char	client_addr[64];
	int	saw_end;
	int	eof;		/* the engine closed its side */
};

static struct event_base *base;
static struct event *tick_ev;
static char qdir[64];
static char logpath[128];
static int lfd = -1;
static struct event *lev;
static struct fconn conns[MAX_CONNS];
static int nconns;
static enum fake_mode fake_mode;
static int fake_status;
static const char *fake_reason;
static int fake_stall;		/* new connections are not read from */

static void
fconn_close(struct fconn *c)
{
	if (c->fd < 0)
		return;
	event_free(c->ev);
	c->ev = NULL;
	close(c->fd);
	c->fd = -1;
}

static void
fake_reply(struct fconn *c, int64_t status, const char *id, const char *reason)
{
	struct ipc_msg *r = ipc_msg_new();
	struct strbuf out;

	ipc_put_int(r, IPC_ATTR_STATUS, status);
	if (id)
		ipc_put_str(r, IPC_ATTR_QUEUE_ID, id);
	if (reason)
		ipc_put_str(r, IPC_ATTR_REASON, reason);
	strbuf_init(&out, 1 << 16);
	assert_int_equal(ipc_encode(r, &out), 0);
	assert_int_equal(write(c->fd, out.data, out.len), (ssize_t)out.len);
	strbuf_release(&out);
	ipc_msg_free(r);
}

static void
copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "(null)");
}

/* Handle one frame; 0 to go on, -1 when the fake closed the connection. */
static int
fake_frame(struct fconn *c, struct ipc_msg *m)
{
	const char *req = ipc_get_str(m, IPC_ATTR_REQ);
	const void *chunk;
	size_t	len;

	assert_non_null(req);
	if (c->seq.len)
		(void)strbuf_append_char(&c->seq, ',');
	(void)strbuf_append_str(&c->seq, req);
	if (strcmp(req, IPC_REQ_BEGIN) == 0) {
		copy_str(c->sender, sizeof(c->sender), ipc_get_str(m, IPC_ATTR_SENDER));
		copy_str(c->helo, sizeof(c->helo), ipc_get_str(m, IPC_ATTR_HELO));
		copy_str(c->protocol, sizeof(c->protocol),
		    ipc_get_str(m, IPC_ATTR_PROTOCOL));
		copy_str(c->client_addr, sizeof(c->client_addr),
		    ipc_get_str(m, IPC_ATTR_CLIENT_ADDR));
		if (fake_mode == FK_EARLY_REPLY)
			fake_reply(c, 0, QUEUE_ID, NULL);
	} else if (strcmp(req, IPC_REQ_RCPT) == 0) {
		if (c->rcpts.len)
			(void)strbuf_append_char(&c->rcpts, ',');
		(void)strbuf_append_str(&c->rcpts, ipc_get_str(m, IPC_ATTR_RCPT));
		if (fake_mode == FK_CLOSE_AT_RCPT) {
			fconn_close(c);
			return (-1);
		}
	} else if (strcmp(req, IPC_REQ_DATA) == 0) {
		if (fake_mode == FK_CLOSE_AT_DATA) {
			fconn_close(c);
			return (-1);
		}
		chunk = ipc_get_bytes(m, IPC_ATTR_CHUNK, &len);
		assert_non_null(chunk);
		assert_int_equal(strbuf_append(&c->data, chunk, len), 0);
	} else if (strcmp(req, IPC_REQ_END) == 0) {
		c->saw_end = 1;
		switch (fake_mode) {
		case FK_STATUS:
			fake_reply(c, fake_status, NULL, fake_reason);
			break;
		case FK_BAD_ID:
			fake_reply(c, 0, "../x", NULL);
			break;
		case FK_CLOSE_AT_END:
			fconn_close(c);
			return (-1);
		case FK_SILENT:
			break;
		default:
			fake_reply(c, 0, QUEUE_ID, NULL);
			break;
		}
	}
	return (0);
}

/* Read at most 4 KiB per call: the engine sees a slow-ish peer. */
static void
fake_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fconn *c = arg;
	struct ipc_msg *m;
	struct strbuf why;
	char	buf[4096];
	size_t	used;
	ssize_t	n;
	int	r;

	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		c->eof = 1;
		fconn_close(c);
		return;
	}
	assert_int_equal(strbuf_append(&c->in, buf, (size_t)n), 0);
	strbuf_init(&why, 256);
	while ((r = ipc_decode(c->in.data, c->in.len, 1 << 20, &m, &used,
	    &why)) == 1) {
		strbuf_consume(&c->in, used);
		r = fake_frame(c, m);
		ipc_msg_free(m);
		if (r < 0)
			break;
	}
	if (r < 0 && c->fd >= 0)
		fail_msg("fake cleanup: bad frame: %s", why.data);
	strbuf_release(&why);
}

static void
fake_accept_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fconn *c;
	int	cfd = accept(fd, NULL, NULL);

	if (cfd < 0)
		return;
	assert_true(nconns < MAX_CONNS);
	c = &conns[nconns++];
	memset(c, 0, sizeof(*c));
	c->fd = cfd;
	strbuf_init(&c->in, 2 << 20);
	strbuf_init(&c->seq, 1 << 20);
	strbuf_init(&c->rcpts, 4096);
	strbuf_init(&c->data, 4 << 20);
	(void)fd_set_nonblock(cfd, 1);
	c->ev = event_new(base, cfd, EV_READ | EV_PERSIST, fake_read_cb, c);
	if (!fake_stall)
		event_add(c->ev, NULL);
}

/* Start reading the connections accepted while stalled. */
static void
fake_unstall(void)
{
	int	i;

	fake_stall = 0;
	for (i = 0; i < nconns; i++)
		if (conns[i].fd >= 0)
			event_add(conns[i].ev, NULL);
}

static void
fake_start(void)
{
	struct strbuf err;
	char	path[256];

	snprintf(path, sizeof(path), "%s/private/cleanup", qdir);
	strbuf_init(&err, 1024);
	lfd = unix_listen(path, 16, 0600, &err);
	if (lfd < 0)
		fail_msg("listen %s: %s", path, err.data);
	strbuf_release(&err);
	(void)fd_set_nonblock(lfd, 1);
	lev = event_new(base, lfd, EV_READ | EV_PERSIST, fake_accept_cb, NULL);
	event_add(lev, NULL);
}

/* No cleanup service at all: nothing listens at the path. */
static void
fake_stop(void)
{
	char	path[256];

	if (lfd >= 0) {
		event_free(lev);
		close(lfd);
		lfd = -1;
	}
	snprintf(path, sizeof(path), "%s/private/cleanup", qdir);
	(void)unlink(path);
}

static void
fake_reset(void)
{
	int	i;

	for (i = 0; i < nconns; i++) {
		fconn_close(&conns[i]);
		strbuf_release(&conns[i].in);
		strbuf_release(&conns[i].seq);
		strbuf_release(&conns[i].rcpts);
		strbuf_release(&conns[i].data);
	}
	nconns = 0;
}

/* ---- the policy under test's control ----------------------------------- */

static struct smtp_server_config cfg;
static int refuse_connect;
static int disconnects;
static char hook_sender[128];		/* smtp_session_sender() seen by check_rcpt */
static size_t hook_nrcpt;		/* smtp_session_rcpt_count() seen there */

static int
t_on_connect(struct smtp_session *s, struct strbuf *reply)
{
	if (!refuse_connect)
		return (SMTP_POLICY_ACCEPT);
	(void)strbuf_set_str(reply, "554 5.7.1 Go away");
	return (SMTP_POLICY_REJECT);
}

static int
t_check_helo(struct smtp_session *s, const char *helo, struct strbuf *reply)
{
	if (strcmp(helo, "bad.helo") != 0)
		return (SMTP_POLICY_ACCEPT);
	(void)strbuf_set_printf(reply, "550 5.7.1 <%s>: Helo command rejected", helo);
	return (SMTP_POLICY_REJECT);
}

static int
t_check_mail(struct smtp_session *s, const char *sender, struct strbuf *reply)
{
	if (strcmp(sender, "spam@x.test") != 0)
		return (SMTP_POLICY_ACCEPT);
	(void)strbuf_set_printf(reply, "553 5.7.1 <%s>: Sender address rejected",
	    sender);
	return (SMTP_POLICY_REJECT);
}

static int
t_check_rcpt(struct smtp_session *s, const char *rcpt, struct strbuf *reply)
{
	copy_str(hook_sender, sizeof(hook_sender), smtp_session_sender(s));
	hook_nrcpt = smtp_session_rcpt_count(s);
	if (strcmp(rcpt, "weird@y.test") == 0) {
		(void)strbuf_set_str(reply, "not a reply");
		return (SMTP_POLICY_REJECT);
	}
	if (strcmp(rcpt, "bad@y.test") != 0)
		return (SMTP_POLICY_ACCEPT);
	(void)strbuf_set_printf(reply, "550 5.1.1 <%s>: Recipient address rejected:"
	    " test", rcpt);
	return (SMTP_POLICY_REJECT);
}

static void
t_on_disconnect(struct smtp_session *s)
{
	disconnects++;
}

static const struct smtp_policy policy = {
	.name = "test",
	.flags = 0,
	.config = &cfg,
	.on_connect = t_on_connect,
	.check_helo = t_check_helo,
	.check_mail = t_check_mail,
	.check_rcpt = t_check_rcpt,
	.on_disconnect = t_on_disconnect,
};

/* ---- the client side ---------------------------------------------------- */

static int cfd = -1;
static struct strbuf outq;	/* not yet written to the engine */
static struct strbuf got;	/* read from the engine since the last chat */
static int got_eof;
static int client_reads = 1;	/* 0: a client that does not read replies */

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* One loop step, then move client bytes both ways. */
static void
step(void)
{
	char	buf[65536];
	ssize_t	n;

	event_base_loop(base, EVLOOP_ONCE);	/* the 10 ms tick bounds it */
	if (cfd < 0)
		return;
	while (outq.len > 0) {
		n = write(cfd, outq.data, outq.len);
		if (n <= 0)
			break;
		strbuf_consume(&outq, (size_t)n);
	}
	if (!client_reads)
		return;
	while ((n = read(cfd, buf, sizeof(buf))) > 0)
		assert_int_equal(strbuf_append(&got, buf, (size_t)n), 0);
	if (n == 0)
		got_eof = 1;
}

/* Complete replies in got: lines "DDD text" (not "DDD-text").  Counted
 * incrementally (a test reads 60000 replies); reset with got. */
static size_t got_scanned;
static int got_replies;

static int
count_replies(void)
{
	const char *p, *eol;

	if (got.len < got_scanned) {
		got_scanned = 0;
		got_replies = 0;
	}
	p = got.data + got_scanned;
	while ((eol = strstr(p, "\r\n")) != NULL) {
		if (eol - p >= 4 && p[3] == ' ')
			got_replies++;
		p = eol + 2;
	}
	got_scanned = (size_t)(p - got.data);
	return (got_replies);
}

/* Send text, run the loop until `want` replies arrived (or EOF, or time
 * out after ms), return what came. */
static const char *
chat_wait(const char *text, int want, long ms)
{
	long	end = now_ms() + ms;

	strbuf_reset(&got);
	got_scanned = 0;
	got_replies = 0;
	if (text)
		assert_int_equal(strbuf_append_str(&outq, text), 0);
	do
		step();
	while ((outq.len > 0 || count_replies() < want) && !got_eof
	    && now_ms() < end);
	return (got.data);
}

static const char *
chat(const char *text, int want)
{
	return (chat_wait(text, want, WAIT_MS));
}

/* Run the loop for a while without expecting anything. */
static void
settle(int steps)
{
	while (steps-- > 0)
		step();
}

static void
client_open(void)
{
	int	sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cfd = sv[0];
	(void)fd_set_nonblock(cfd, 1);
	got_eof = 0;
	strbuf_reset(&outq);
	smtp_server_accept(sv[1], &policy);
}

/* Open a session and check the greeting. */
static void
client_greeted(void)
{
	client_open();
	assert_string_equal(chat(NULL, 1), "220 mx.test ESMTP tegami\r\n");
}

/* Read until the engine closes the connection; 1 if it did. */
static int
wait_eof(void)
{
	long	end = now_ms() + WAIT_MS;

	while (!got_eof && now_ms() < end)
		step();
	return (got_eof);
}

static void
client_close(void)
{
	long	end = now_ms() + WAIT_MS;

	if (cfd >= 0)
		close(cfd);
	cfd = -1;
	while (smtp_server_sessions() > 0 && now_ms() < end)
		step();
	assert_int_equal(smtp_server_sessions(), 0);
}

/* Is this text in the log file? */
static int
log_has(const char *text)
{
	FILE   *f = fopen(logpath, "r");
	char	line[4096];
	int	found = 0;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return (found);
}

/* ---- fixtures ----------------------------------------------------------- */

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
}

static int
group_setup(void **state)
{
	struct timeval tv = {0, 10000};
	char	path[128];

	strcpy(qdir, "/tmp/test_smtp_server.XXXXXX");
	assert_non_null(mkdtemp(qdir));
	snprintf(path, sizeof(path), "%s/private", qdir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(logpath, sizeof(logpath), "%s/maillog", qdir);
	log_init("smtpd", LOG_DEST_FILE, logpath);
	base = event_base_new();
	assert_non_null(base);
	tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	evtimer_add(tick_ev, &tv);
	strbuf_init(&outq, 8 << 20);
	strbuf_init(&got, 1 << 20);
	return (0);
}

static int
group_teardown(void **state)
{
	char	cmd[128];

	event_free(tick_ev);
	event_base_free(base);
	strbuf_release(&outq);
	strbuf_release(&got);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", qdir);
	return (system(cmd));
}

static int
setup(void **state)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.base = base;
	cfg.myhostname = "mx.test";
	cfg.mail_name = "tegami";
	cfg.banner = "mx.test ESMTP tegami";
	cfg.queue_dir = qdir;
	cfg.timeout = 30;
	cfg.hard_error_limit = 20;
	cfg.recipient_limit = 1000;
	cfg.command_line_limit = 2048;
	cfg.data_line_limit = 1000;
	cfg.message_size_limit = 10240000;
	cfg.ipc_frame_limit = 1 << 20;
	cfg.disable_vrfy = 1;
	fake_mode = FK_QUEUE;
	fake_stall = 0;
	client_reads = 1;
	refuse_connect = 0;
	disconnects = 0;
	hook_sender[0] = '\0';
	fake_start();
	return (0);
}

static int
teardown(void **state)
{
	fake_unstall();		/* a paused session notices EOF only then */
	client_reads = 1;
	if (cfd >= 0 || smtp_server_sessions() > 0)
		client_close();
	fake_stop();
	fake_reset();
	return (0);
}

#define EHLO_REPLY	"250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n" \
			"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n" \
			"250-SMTPUTF8\r\n250 CHUNKING\r\n"
#define OK_MAIL		"250 2.1.0 Ok\r\n"
#define OK_RCPT		"250 2.1.5 Ok\r\n"
#define GO_AHEAD	"354 End data with <CR><LF>.<CR><LF>\r\n"
#define QUEUED		"250 2.0.0 Ok: queued as " QUEUE_ID "\r\n"
#define WRITE_ERROR	"451 4.3.0 Error: queue file write error\r\n"

/* EHLO, MAIL and one RCPT, each checked. */
static void
client_in_rcpt(void)
{
	client_greeted();
	assert_string_equal(chat("EHLO client.test\r\n", 1), EHLO_REPLY);
	assert_string_equal(chat("MAIL FROM:<a@x.test>\r\n", 1), OK_MAIL);
	assert_string_equal(chat("RCPT TO:<b@y.test>\r\n", 1), OK_RCPT);
}

/* The content after our Received: header (which must come first). */
static const char *
after_received(const struct fconn *c, const char *proto, const char *for_clause)
{
	char	want[256];
	const char *p;

	snprintf(want, sizeof(want), "Received: from client.test (unknown [unix])\n"
	    "\tby mx.test (tegami) with %s%s; ", proto, for_clause);
	if (strncmp(c->data.data, want, strlen(want)) != 0)
		fail_msg("got content \"%.200s\", want it to start with \"%s\"",
		    c->data.data, want);
	p = strchr(c->data.data + strlen(want), '\n');
	assert_non_null(p);
	return (p + 1);
}

/* ---- tests -------------------------------------------------------------- */

static void
test_greeting_helo_ehlo(void **state)
{
	client_greeted();
	assert_int_equal(smtp_server_sessions(), 1);
	assert_string_equal(chat("HELO client.test\r\n", 1), "250 mx.test\r\n");
	assert_string_equal(chat("EHLO client.test\r\n", 1), EHLO_REPLY);
	/* VRFY is offered only when enabled. */
	cfg.disable_vrfy = 0;
	assert_string_equal(chat("EHLO client.test\r\n", 1),
	    "250-mx.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
	    "250-SMTPUTF8\r\n250 CHUNKING\r\n");
	assert_string_equal(chat("VRFY root\r\n", 1), "252 2.0.0 Cannot VRFY user,"
	    " but will accept message and attempt delivery\r\n");
	assert_string_equal(chat("QUIT\r\n", 1), "221 2.0.0 Bye\r\n");
	assert_true(wait_eof());
	client_close();
	assert_int_equal(disconnects, 1);
	assert_true(log_has("disconnect from unknown[unix] helo=1 ehlo=2 quit=1"
	    " vrfy=1 commands=5"));
}

/* Single replies to single commands, each in a fresh session. */
static void
test_command_replies(void **state)
{
	static const struct {
		const char *label;
		const char *before;	/* commands first, replies ignored */
		int	nbefore;
		const char *cmd;
		const char *want;
	} cases[] = {
		{"MAIL before HELO", "", 0, "MAIL FROM:<a@x.test>\r\n",
		    "503 5.5.1 Error: send HELO/EHLO first\r\n"},
		{"RCPT before MAIL", "EHLO c\r\n", 1, "RCPT TO:<b@y.test>\r\n",
		    "503 5.5.1 Error: need MAIL command\r\n"},
		{"DATA before MAIL", "EHLO c\r\n", 1, "DATA\r\n",
		    "503 5.5.1 Error: need MAIL command\r\n"},
		{"DATA before RCPT", "EHLO c\r\nMAIL FROM:<a@x.test>\r\n", 2,
		    "DATA\r\n", "503 5.5.1 Error: need RCPT command\r\n"},
		{"nested MAIL", "EHLO c\r\nMAIL FROM:<a@x.test>\r\n", 2,
		    "MAIL FROM:<b@x.test>\r\n", "503 5.5.1 Error: nested MAIL command\r\n"},
		{"RCPT before HELO", "", 0, "RCPT TO:<b@y.test>\r\n",
		    "503 5.5.1 Error: need MAIL command\r\n"},
		{"HELP", "", 0, "HELP\r\n", "214 2.0.0 Commands: HELO EHLO MAIL RCPT"
		    " DATA RSET NOOP QUIT HELP\r\n"},
		{"bad recipient", "EHLO c\r\nMAIL FROM:<a@x.test>\r\n", 2,
		    "RCPT TO:<b@@y>\r\n", "501 5.1.3 Bad recipient address syntax\r\n"},
		{"HELO without name", "", 0, "HELO\r\n",
		    "501 5.5.4 Syntax: HELO hostname\r\n"},
		{"bad sender", "EHLO c\r\n", 1, "MAIL FROM:<a@@x>\r\n",
		    "501 5.1.7 Bad sender address syntax\r\n"},
		{"MAIL SIZE too big", "EHLO c\r\n", 1,
		    "MAIL FROM:<a@x.test> SIZE=10240001\r\n",
		    "552 5.3.4 Message size exceeds fixed limit\r\n"},
		{"DATA with argument", "EHLO c\r\n", 1, "DATA x\r\n",
		    "501 5.5.4 Syntax: DATA\r\n"},
		{"unknown verb", "", 0, "FROB\r\n",
		    "502 5.5.2 Error: command not recognized\r\n"},
		{"VRFY disabled", "", 0, "VRFY root\r\n",
		    "502 5.5.1 VRFY command is disabled\r\n"},
		{"NOOP", "", 0, "NOOP\r\n", "250 2.0.0 Ok\r\n"},
		{"RSET with argument", "", 0, "RSET x\r\n",
		    "501 5.5.4 Syntax: RSET\r\n"},
		{"bare LF in command", "", 0, "NOOP\n",
		    "500 5.5.2 Error: bare <LF> received\r\n"},
		{"bare CR in command", "", 0, "NO\rOP\r\n",
		    "500 5.5.2 Error: bare <CR> received\r\n"},
		{"refused HELO", "", 0, "EHLO bad.helo\r\n",
		    "550 5.7.1 <bad.helo>: Helo command rejected\r\n"},
		{"refused sender", "EHLO c\r\n", 1, "MAIL FROM:<spam@x.test>\r\n",
		    "553 5.7.1 <spam@x.test>: Sender address rejected\r\n"},
		{"refused recipient", "EHLO c\r\nMAIL FROM:<a@x.test>\r\n", 2,
		    "RCPT TO:<bad@y.test>\r\n",
		    "550 5.1.1 <bad@y.test>: Recipient address rejected: test\r\n"},
		{"malformed hook reply", "EHLO c\r\nMAIL FROM:<a@x.test>\r\n", 2,
		    "RCPT TO:<weird@y.test>\r\n",
		    "451 4.3.0 Error: internal error\r\n"},
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r;

		client_greeted();
		if (cases[i].nbefore)
			chat(cases[i].before, cases[i].nbefore);
		r = chat(cases[i].cmd, 1);
		if (strcmp(r, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].label, r,
			    cases[i].want);
		/* The session goes on after a refusal. */
		r = chat("NOOP\r\n", 1);
		if (strcmp(r, "250 2.0.0 Ok\r\n") != 0)
			fail_msg("%s: NOOP after: got \"%s\"", cases[i].label, r);
		client_close();
	}
	assert_true(log_has("NOQUEUE: reject: RCPT from unknown[unix]: 550 5.1.1"
	    " <bad@y.test>: Recipient address rejected: test; from=<a@x.test>"
	    " to=<bad@y.test> proto=ESMTP helo=<c>"));
}

/* A refused HELO leaves the session without one. */
static void
test_refused_helo_keeps_state(void **state)
{
	client_greeted();
	chat("EHLO bad.helo\r\n", 1);
	assert_string_equal(chat("MAIL FROM:<a@x.test>\r\n", 1),
	    "503 5.5.1 Error: send HELO/EHLO first\r\n");
	client_close();
}

/* on_connect refusing: its reply, then the connection is closed. */
static void
test_connect_refused(void **state)
{
	refuse_connect = 1;
	client_open();
	assert_string_equal(chat(NULL, 1), "554 5.7.1 Go away\r\n");
	assert_true(wait_eof());
	client_close();
	assert_int_equal(disconnects, 1);
	assert_int_equal(nconns, 0);
}

static void
test_full_transaction(void **state)
{
	const struct fconn *c;

	client_greeted();
	assert_string_equal(chat("EHLO client.test\r\n", 1), EHLO_REPLY);
	assert_string_equal(chat("MAIL FROM:<a@x.test>\r\n", 1), OK_MAIL);
	assert_string_equal(chat("RCPT TO:<b@y.test>\r\n", 1), OK_RCPT);
	assert_string_equal(hook_sender, "a@x.test");
	assert_int_equal(hook_nrcpt, 0);
	assert_string_equal(chat("RCPT TO:<bad@y.test>\r\n", 1),
	    "550 5.1.1 <bad@y.test>: Recipient address rejected: test\r\n");
	assert_string_equal(chat("RCPT TO:<c@y.test>\r\n", 1), OK_RCPT);
	assert_int_equal(hook_nrcpt, 1);
	assert_string_equal(chat("DATA\r\n", 1), GO_AHEAD);
	assert_string_equal(chat("Subject: test\r\n\r\nline one\r\n..dot line\r\n"
	    "..\r\n.x\r\nlast\r\n.\r\n", 1), QUEUED);
	assert_string_equal(chat("QUIT\r\n", 1), "221 2.0.0 Bye\r\n");
	assert_true(wait_eof());
	client_close();

	assert_int_equal(nconns, 1);
	c = &conns[0];
	/* begin, the recipients, content in data frames (the first holds the
	 * Received: header), end. */
	assert_int_equal(strncmp(c->seq.data, "begin,rcpt,rcpt,data,", 21), 0);
	assert_string_equal(strstr(c->seq.data, ",end"), ",end");
	assert_null(strstr(c->seq.data + 21, "begin"));
	assert_null(strstr(c->seq.data + 21, "rcpt"));
	assert_string_equal(c->sender, "a@x.test");
	assert_string_equal(c->helo, "client.test");
	assert_string_equal(c->protocol, "ESMTP");
	assert_string_equal(c->client_addr, "unix");
	assert_string_equal(c->rcpts.data, "b@y.test,c@y.test");
	assert_true(c->saw_end);
	/* Two recipients: no "for" clause. */
	assert_string_equal(after_received(c, "ESMTP", ""),
	    "Subject: test\n\nline one\n.dot line\n.\nx\nlast\n");
	assert_true(log_has(QUEUE_ID ": client=unknown[unix]"));
	assert_true(log_has(" ehlo=1 mail=1 rcpt=2/3 data=1 quit=1 commands=6/7"));
}

/* HELO, one recipient: SMTP protocol and the "for" clause. */
static void
test_helo_one_rcpt(void **state)
{
	const struct fconn *c;

	client_greeted();
	assert_string_equal(chat("HELO client.test\r\nMAIL FROM:<>\r\n"
	    "RCPT TO:<b@y.test>\r\nDATA\r\n", 4),
	    "250 mx.test\r\n" OK_MAIL OK_RCPT GO_AHEAD);
	assert_string_equal(chat("body\r\n.\r\n", 1), QUEUED);
	client_close();
	assert_int_equal(nconns, 1);
	c = &conns[0];
	assert_string_equal(c->sender, "");
	assert_string_equal(c->protocol, "SMTP");
	assert_string_equal(after_received(c, "SMTP", "\n\tfor <b@y.test>"),
	    "body\n");
}

/* A whole session in one write: replies in order, then EOF. */
static void
test_pipelining(void **state)
{
	client_greeted();
	assert_string_equal(chat("EHLO client.test\r\nMAIL FROM:<a@x.test>\r\n"
	    "RCPT TO:<bad@y.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
	    "Subject: p\r\n\r\nhello\r\n.\r\n"
	    "MAIL FROM:<a2@x.test>\r\nRCPT TO:<b2@y.test>\r\nDATA\r\nsecond\r\n.\r\n"
	    "NOOP\r\nQUIT\r\n", 11),
	    EHLO_REPLY OK_MAIL
	    "550 5.1.1 <bad@y.test>: Recipient address rejected: test\r\n"
	    OK_RCPT GO_AHEAD QUEUED OK_MAIL OK_RCPT GO_AHEAD QUEUED
	    "250 2.0.0 Ok\r\n" "221 2.0.0 Bye\r\n");
	assert_true(wait_eof());
	client_close();
	assert_int_equal(nconns, 2);
	assert_string_equal(conns[0].rcpts.data, "b@y.test");
	assert_string_equal(after_received(&conns[0], "ESMTP", "\n\tfor <b@y.test>"),
	    "Subject: p\n\nhello\n");
	assert_string_equal(conns[1].sender, "a2@x.test");
	assert_string_equal(after_received(&conns[1], "ESMTP", "\n\tfor <b2@y.test>"),
	    "second\n");
}

/* RSET ends the transaction (cleanup sees the connection go, no end);
 * MAIL after it starts a new one. */
static void
test_rset(void **state)
{
	client_in_rcpt();
	assert_string_equal(chat("RSET\r\n", 1), "250 2.0.0 Ok\r\n");
	assert_string_equal(chat("RCPT TO:<b@y.test>\r\n", 1),
	    "503 5.5.1 Error: need MAIL command\r\n");
	assert_string_equal(chat("MAIL FROM:<a2@x.test>\r\n", 1), OK_MAIL);
	assert_string_equal(chat("RCPT TO:<c@y.test>\r\nDATA\r\n", 2),
	    OK_RCPT GO_AHEAD);
	assert_string_equal(chat("x\r\n.\r\n", 1), QUEUED);
	settle(5);
	assert_int_equal(nconns, 2);
	assert_string_equal(conns[0].seq.data, "begin,rcpt");
	assert_true(conns[0].eof);
	assert_false(conns[0].saw_end);
	assert_string_equal(conns[1].sender, "a2@x.test");
	assert_string_equal(conns[1].rcpts.data, "c@y.test");
	assert_true(conns[1].saw_end);
	/* EHLO in a transaction resets it as well. */
	assert_string_equal(chat("MAIL FROM:<a3@x.test>\r\n", 1), OK_MAIL);
	assert_string_equal(chat("EHLO client.test\r\n", 1), EHLO_REPLY);
	assert_string_equal(chat("RCPT TO:<b@y.test>\r\n", 1),
	    "503 5.5.1 Error: need MAIL command\r\n");
	settle(5);
	assert_int_equal(nconns, 3);
	assert_true(conns[2].eof);
	client_close();
}

/* Faults in DATA: one reply at the end marker, no end frame to cleanup,
 * the cleanup connection dropped, the session goes on. */
static void
test_data_faults(void **state)
{
	static const struct {
		const char *label;
		long	line_limit, size_limit;
		const char *content;
		const char *want;
	} cases[] = {
		{"bare LF", 1000, 0, "line1\nline2\r\n.\r\n",
		    "550 5.5.2 Error: bare <LF> received\r\n"},
		{"bare LF end smuggling", 1000, 0, "a\r\n\n.\n\r\nMAIL FROM:<e@v>\r\n.\r\n",
		    "550 5.5.2 Error: bare <LF> received\r\n"},
		{"bare CR", 1000, 0, "li\rne\r\n.\r\n",
		    "550 5.5.2 Error: bare <CR> received\r\n"},
		{"NUL", 1000, 0, "a\0b\r\n.\r\n",
		    "554 5.6.0 Error: NUL character in message\r\n"},
		{"long line", 20, 0, "0123456789012345678901234567890\r\n.\r\n",
		    "554 5.6.0 Error: message line too long\r\n"},
		{"too big", 1000, 100, NULL,
		    "552 5.3.4 Message size exceeds fixed limit\r\n"},
	};
	char	big[400];
	size_t	i;

	memset(big, 'x', sizeof(big));
	memcpy(big + sizeof(big) - 6, "\r\n.\r\n", 6);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *content = cases[i].content ? cases[i].content : big;
		size_t	len = cases[i].content ? strlen(content) : strlen(big);
		const char *r;

		/* strlen() stops at the NUL of the NUL case. */
		if (cases[i].content && strcmp(cases[i].label, "NUL") == 0)
			len = 8;
		cfg.data_line_limit = cases[i].line_limit;
		cfg.message_size_limit = cases[i].size_limit;
		client_greeted();
		chat("HELO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
		    "DATA\r\n", 4);
		assert_int_equal(strbuf_append(&outq, content, len), 0);
		r = chat(NULL, 1);
		if (strcmp(r, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].label, r,
			    cases[i].want);
		r = chat("NOOP\r\n", 1);
		if (strcmp(r, "250 2.0.0 Ok\r\n") != 0)
			fail_msg("%s: NOOP after: got \"%s\"", cases[i].label, r);
		settle(5);
		assert_int_equal(nconns, (int)i + 1);
		if (conns[i].saw_end || !conns[i].eof)
			fail_msg("%s: cleanup got \"%s\", eof %d; want no end, eof",
			    cases[i].label, conns[i].seq.data, conns[i].eof);
		client_close();
	}
	assert_true(log_has("message refused in DATA"));
}

/* Cleanup's verdict and cleanup failures reach the client. */
static void
test_cleanup_answers(void **state)
{
	static const struct {
		const char *label;
		enum fake_mode mode;
		int	status;
		const char *reason;
		const char *want;
	} cases[] = {
		{"451", FK_STATUS, 451, "4.3.0 Try again later",
		    "451 4.3.0 Try again later\r\n"},
		{"554", FK_STATUS, 554, "5.7.1 Content rejected",
		    "554 5.7.1 Content rejected\r\n"},
		{"status 250", FK_STATUS, 250, "2.0.0 what", WRITE_ERROR},
		{"status without reason", FK_STATUS, 451, NULL, WRITE_ERROR},
		{"reason mismatch", FK_STATUS, 451, "5.7.1 mixed",
		    "451 4.3.0 Error: internal error\r\n"},
		{"bad queue id", FK_BAD_ID, 0, NULL, WRITE_ERROR},
		{"closed at end", FK_CLOSE_AT_END, 0, NULL, WRITE_ERROR},
		{"closed in DATA", FK_CLOSE_AT_DATA, 0, NULL, WRITE_ERROR},
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *r;

		fake_mode = cases[i].mode;
		fake_status = cases[i].status;
		fake_reason = cases[i].reason;
		client_greeted();
		chat("EHLO c\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
		    "DATA\r\n", 4);
		r = chat("Subject: x\r\n\r\nbody\r\n.\r\n", 1);
		if (strcmp(r, cases[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", cases[i].label, r,
			    cases[i].want);
		/* The session is ready for the next message. */
		fake_mode = FK_QUEUE;
		r = chat("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
		    "x\r\n.\r\n", 4);
		if (strcmp(r, OK_MAIL OK_RCPT GO_AHEAD QUEUED) != 0)
			fail_msg("%s: next message: got \"%s\"", cases[i].label, r);
		client_close();
	}
}

/* Cleanup goes away after RCPT: DATA is refused with 451. */
static void
test_cleanup_lost_before_data(void **state)
{
	fake_mode = FK_CLOSE_AT_RCPT;
	client_in_rcpt();
	settle(5);
	assert_string_equal(chat("DATA\r\n", 1), WRITE_ERROR);
	assert_string_equal(chat("RCPT TO:<b@y.test>\r\n", 1),
	    "503 5.5.1 Error: need MAIL command\r\n");
	client_close();
}

/* Cleanup answers before the end: the transaction fails with 451. */
static void
test_cleanup_early_reply(void **state)
{
	fake_mode = FK_EARLY_REPLY;
	client_in_rcpt();
	settle(5);
	assert_string_equal(chat("DATA\r\n", 1), WRITE_ERROR);
	assert_true(log_has("unexpected reply before end of data"));
	client_close();
}

/* Nothing listens on private/cleanup: MAIL gets 451 and nothing starts. */
static void
test_cleanup_unreachable(void **state)
{
	fake_stop();
	client_greeted();
	chat("EHLO c\r\n", 1);
	assert_string_equal(chat("MAIL FROM:<a@x.test>\r\n", 1), WRITE_ERROR);
	assert_string_equal(chat("RCPT TO:<b@y.test>\r\n", 1),
	    "503 5.5.1 Error: need MAIL command\r\n");
	client_close();
}

/* The hard error limit: 421 and close; what follows is not read. */
static void
test_hard_error_limit(void **state)
{
	size_t	len;

	cfg.hard_error_limit = 3;
	client_greeted();
	assert_string_equal(chat("FROB\r\nEHLO bad.helo\r\nFROB\r\nNOOP\r\n", 4),
	    "502 5.5.2 Error: command not recognized\r\n"
	    "550 5.7.1 <bad.helo>: Helo command rejected\r\n"
	    "502 5.5.2 Error: command not recognized\r\n"
	    "421 4.7.0 mx.test Error: too many errors\r\n");
	len = got.len;
	assert_true(wait_eof());
	assert_int_equal(got.len, len);	/* no reply to NOOP */
	client_close();
	assert_int_equal(disconnects, 1);
}

/* The recipient limit gives 452 4.5.3; the accepted ones go through. */
static void
test_recipient_limit(void **state)
{
	cfg.recipient_limit = 2;
	client_greeted();
	assert_string_equal(chat("EHLO c\r\nMAIL FROM:<a@x.test>\r\n"
	    "RCPT TO:<r1@y.test>\r\nRCPT TO:<r2@y.test>\r\nRCPT TO:<r3@y.test>\r\n"
	    "DATA\r\nx\r\n.\r\n", 7),
	    EHLO_REPLY OK_MAIL OK_RCPT OK_RCPT
	    "452 4.5.3 Error: too many recipients\r\n" GO_AHEAD QUEUED);
	client_close();
	assert_string_equal(conns[0].rcpts.data, "r1@y.test,r2@y.test");
}

/* An overlong command line is refused when it ends. */
static void
test_line_too_long(void **state)
{
	char	line[3000];

	memset(line, 'A', sizeof(line));
	memcpy(line, "NOOP ", 5);
	memcpy(line + sizeof(line) - 3, "\r\n", 3);
	client_greeted();
	assert_string_equal(chat(line, 1), "500 5.5.2 Error: line too long\r\n");
	assert_string_equal(chat("NOOP\r\n", 1), "250 2.0.0 Ok\r\n");
	client_close();
}

/* A 1 MB message: more than the engine buffers for cleanup, so reading
 * pauses and resumes; every byte arrives in order. */
static void
test_big_message(void **state)
{
	const size_t nlines = 16000;
	struct strbuf want;
	const struct fconn *c;
	char	line[80];
	size_t	i;

	strbuf_init(&want, 2 << 20);
	client_in_rcpt();
	assert_string_equal(chat("DATA\r\n", 1), GO_AHEAD);
	for (i = 0; i < nlines; i++) {
		snprintf(line, sizeof(line), "%s%06zu %s", i % 7 == 0 ? "." : "", i,
		    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghij");
		(void)strbuf_printf(&outq, "%s%s\r\n", line[0] == '.' ? "." : "", line);
		(void)strbuf_printf(&want, "%s\n", line);
	}
	assert_true(outq.len > 1000000);
	assert_string_equal(chat_wait(".\r\n", 1, 20000), QUEUED);
	client_close();
	c = &conns[0];
	assert_int_equal(strlen(after_received(c, "ESMTP", "\n\tfor <b@y.test>")), want.len);
	assert_string_equal(after_received(c, "ESMTP", "\n\tfor <b@y.test>"), want.data);
	strbuf_release(&want);
}

/* Cleanup does not read: the engine stops reading the client instead of
 * buffering the message (the client's writes back up); once cleanup
 * reads again the message goes through whole. */
static void
test_slow_cleanup(void **state)
{
	const struct fconn *c;
	size_t	i, want_len = 0;

	fake_stall = 1;
	client_in_rcpt();
	assert_string_equal(chat("DATA\r\n", 1), GO_AHEAD);
	for (i = 0; i < 40000; i++) {
		size_t	before = outq.len;

		(void)strbuf_printf(&outq, "%06zu 456789012345678901234567890123456789"
		    "0123456789012345678901234567890123\r\n", i);
		want_len += outq.len - before - 1;	/* CRLF -> LF */
	}
	(void)strbuf_append_str(&outq, ".\r\n");
	strbuf_reset(&got);
	settle(100);
	if (outq.len == 0)
		fail_msg("the engine read the whole 3 MB message with cleanup stalled");
	assert_int_equal(got.len, 0);
	fake_unstall();
	assert_string_equal(chat_wait(NULL, 1, 20000), QUEUED);
	client_close();
	c = &conns[0];
	assert_int_equal(strlen(after_received(c, "ESMTP", "\n\tfor <b@y.test>")),
	    want_len);
}

/* A client that pipelines without reading replies: the engine stops
 * reading it; when it reads again every reply arrives, in order. */
static void
test_unread_replies(void **state)
{
	const size_t n = 60000;
	size_t	i;
	const char *p;

	client_greeted();
	client_reads = 0;
	strbuf_reset(&got);
	for (i = 0; i < n; i++)
		(void)strbuf_append_str(&outq, "NOOP\r\n");
	settle(100);
	if (outq.len == 0)
		fail_msg("the engine read every command while replies piled up");
	client_reads = 1;
	p = chat_wait("QUIT\r\n", (int)n + 1, 20000);
	for (i = 0; i < n; i++, p += 14)
		if (strncmp(p, "250 2.0.0 Ok\r\n", 14) != 0)
			fail_msg("reply %zu: got \"%.20s\"", i, p);
	assert_string_equal(p, "221 2.0.0 Bye\r\n");
	client_close();
}

/* Cleanup never answers after the end: 451 after the timeout. */
static void
test_cleanup_timeout(void **state)
{
	cfg.timeout = 1;
	fake_mode = FK_SILENT;
	client_in_rcpt();
	assert_string_equal(chat("DATA\r\nx\r\n.\r\n", 2), GO_AHEAD WRITE_ERROR);
	assert_true(log_has("cleanup service: timeout"));
	assert_string_equal(chat("NOOP\r\n", 1), "250 2.0.0 Ok\r\n");
	client_close();
}

/* The client goes away in DATA: the session ends, cleanup sees no end. */
static void
test_client_gone_in_data(void **state)
{
	client_in_rcpt();
	assert_string_equal(chat("DATA\r\nsome content\r\n", 1), GO_AHEAD);
	client_close();
	settle(5);
	assert_int_equal(disconnects, 1);
	assert_int_equal(nconns, 1);
	assert_true(conns[0].eof);
	assert_false(conns[0].saw_end);
	assert_true(log_has("lost connection after DATA from unknown[unix]"));
}

/* A silent client gets 421 4.4.2 after the timeout. */
static void
test_timeout(void **state)
{
	cfg.timeout = 1;
	client_greeted();
	assert_string_equal(chat_wait(NULL, 1, 4000),
	    "421 4.4.2 mx.test Error: timeout exceeded\r\n");
	assert_true(wait_eof());
	client_close();
}

/* A non-SMTP client is sent away. */
static void
test_http(void **state)
{
	client_greeted();
	assert_string_equal(chat("GET / HTTP/1.0\r\n", 1),
	    "221 2.7.0 Error: I can break rules, too. Goodbye.\r\n");
	assert_true(wait_eof());
	client_close();
}

/*
 * BDAT: 2996 one-byte chunks make the content of one message, gathered
 * into a few data frames (memory and frames do not grow with the number
 * of chunks); a bare LF in a later message is refused at LAST and nothing
 * of it is committed.
 */
static void
test_bdat_tiny_chunks(void **state)
{
	static const char msg[] = "Subject: tiny\r\n\r\nbody line\r\n";
	struct strbuf in, want;
	const struct fconn *c;
	const char *p;
	size_t	i, ndata = 0, n = 0;

	client_in_rcpt();
	strbuf_init(&in, 1 << 20);
	strbuf_init(&want, 1 << 20);
	for (i = 0; i < 107 * (sizeof(msg) - 1); i++) {	/* 2996 */
		char	b = msg[i % (sizeof(msg) - 1)];

		(void)strbuf_printf(&in, "BDAT 1\r\n%c", b);
		if (b != '\r')
			(void)strbuf_append_char(&want, b);
	}
	(void)strbuf_append_str(&in, "BDAT 0 LAST\r\n");
	p = chat_wait(in.data, 2997, 20000);
	for (i = 0; i < 2996; i++) {
		if (strncmp(p, "250 2.0.0 Ok: 1 octets\r\n", 24) != 0)
			fail_msg("chunk %zu: got \"%.40s\"", i, p);
		p += 24;
	}
	assert_string_equal(p, QUEUED);
	assert_int_equal(nconns, 1);
	c = &conns[0];
	assert_string_equal(after_received(c, "ESMTP", "\n\tfor <b@y.test>"), want.data);
	for (p = c->seq.data; (p = strstr(p, "data")) != NULL; p += 4)
		ndata++;
	if (ndata > 3)		/* Received:, then the content in one frame */
		fail_msg("%zu data frames for 2996 chunks", ndata);
	/* A CR and an LF in different chunks are no line end: 550 at LAST
	 * (bare LF comes first in the reply when there are both). */
	assert_string_equal(chat("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
	    "BDAT 3\r\nab\r" "BDAT 2\r\nc\n" "BDAT 2 LAST\r\n\r\n", 5), OK_MAIL OK_RCPT
	    "250 2.0.0 Ok: 3 octets\r\n250 2.0.0 Ok: 2 octets\r\n"
	    "550 5.5.2 Error: bare <LF> received\r\n");
	/* DATA is refused between chunks; RSET ends the transaction. */
	assert_string_equal(chat("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\n"
	    "BDAT 1\r\nxDATA\r\nRSET\r\nBDAT 0 LAST\r\nQUIT\r\n", 7), OK_MAIL OK_RCPT
	    "250 2.0.0 Ok: 1 octets\r\n503 5.5.1 Error: DATA after BDAT\r\n"
	    "250 2.0.0 Ok\r\n503 5.5.1 Error: need MAIL command\r\n221 2.0.0 Bye\r\n");
	assert_true(wait_eof());
	client_close();
	for (i = 1; i < (size_t)nconns; i++)
		n += conns[i].saw_end;
	assert_int_equal(n, 0);		/* nothing else was committed */
	assert_true(log_has(" bdat=3000/3002 "));
	strbuf_release(&in);
	strbuf_release(&want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_greeting_helo_ehlo),
		T(test_command_replies),
		T(test_refused_helo_keeps_state),
		T(test_connect_refused),
		T(test_full_transaction),
		T(test_helo_one_rcpt),
		T(test_pipelining),
		T(test_rset),
		T(test_data_faults),
		T(test_cleanup_answers),
		T(test_cleanup_lost_before_data),
		T(test_cleanup_early_reply),
		T(test_cleanup_unreachable),
		T(test_hard_error_limit),
		T(test_recipient_limit),
		T(test_line_too_long),
		T(test_big_message),
		T(test_slow_cleanup),
		T(test_unread_replies),
		T(test_cleanup_timeout),
		T(test_client_gone_in_data),
		T(test_timeout),
		T(test_http),
		T(test_bdat_tiny_chunks),
#undef T
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
