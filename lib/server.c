/*
 * lib/server.c — the three daemon skeletons (single, event, trigger).
 *
 * Called from a daemon's main() with its parameter tables and callbacks.
 * Common start-up: options from master, main.cf + -o overrides, the log,
 * pre_jail() as root, the privilege drop (-u), post_jail().  Then the accept
 * loop on the listen socket master passes as fd 3, with busy/idle reports
 * to master on fd 4 (5 bytes: u32 pid in host order + 'B' or 'I'; write
 * failures are ignored: master may be gone or restarting).
 * Trust: master is trusted for its options; connections are not, but this
 * file never reads from them except the wake-up bytes of a trigger.
 * Errors: bad options, configuration or a missing listen socket are fatal
 * (master logs the exit and backs off); accept() trouble is a warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <event2/event.h>

#include "server.h"
#include "log.h"
#include "mail_params.h"
#include "mastercf.h"
#include "netio.h"
#include "privsep.h"
#include "qfile.h"
#include "strbuf.h"

#define SERVER_MAX_OVERRIDES	64
#define SERVER_TERM_GRACE	5	/* event server: seconds to finish on SIGTERM */

enum server_kind { SERVER_SINGLE, SERVER_EVENT, SERVER_TRIGGER };

/* Everything the skeleton knows about this process. */
static struct {
	enum server_kind kind;
	const struct server_ops *ops;
	const char *config_dir;
	const char *service;
	const char *type;
	int	unpriv;
	int	wakeup;
	int	verbose;
	int	foreground;
	int	standalone;
	char   *overrides[SERVER_MAX_OVERRIDES + 1];
	int	noverride;
	int	status_ok;		/* fd 4 is open */
	pid_t	parent;			/* master, for the parent-death check */
	struct event_base *base;
	struct event *accept_ev;
	struct event *idle_ev;
	struct event *pause_ev;
	long	uses;
	int	conns;			/* event server: open connections */
	int	stopping;		/* SIGTERM or server_request_exit() */
} srv;

static volatile sig_atomic_t single_busy;
static volatile sig_atomic_t single_term;

/* ---- status reports ---- */

void
server_status_encode(unsigned char buf[SERVER_STATUS_SIZE], unsigned pid,
    int letter)
{
	uint32_t p = pid;

	memcpy(buf, &p, sizeof(p));
	buf[4] = (unsigned char)letter;
}

int
server_status_decode(const unsigned char buf[SERVER_STATUS_SIZE],
    unsigned *pid, int *letter)
{
	uint32_t p;

	memcpy(&p, buf, sizeof(p));
	if (buf[4] != SERVER_STATUS_BUSY && buf[4] != SERVER_STATUS_IDLE)
		return -1;
	*pid = p;
	*letter = buf[4];
	return 0;
}

static void
status_send(int letter)
{
	unsigned char buf[SERVER_STATUS_SIZE];
	ssize_t n;

	if (!srv.status_ok)
		return;
	server_status_encode(buf, (unsigned)getpid(), letter);
	/* One write below PIPE_BUF is atomic; failures do not matter. */
	n = write(SERVER_STATUS_FD, buf, sizeof(buf));
	(void)n;
}

/* ---- accessors ---- */

struct event_base *
server_event_base(void)
{
	return srv.base;
}

const char *
server_service_name(void)
{
	return srv.service;
}

int
server_wakeup_seconds(void)
{
	return srv.wakeup;
}

/* ---- start-up common to all kinds ---- */

static void
usage(const char *prog)
{
	log_fatal("usage: %s [-c config_dir] [-n service] [-t type] [-u] "
	    "[-w seconds] [-o name=value] [-v] [-f] [-S]", prog);
}

static void
parse_args(int argc, char **argv)
{
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "c:n:t:uw:o:vfS")) != -1) {
		switch (c) {
		case 'c':
			srv.config_dir = optarg;
			break;
		case 'n':
			srv.service = optarg;
			break;
		case 't':
			srv.type = optarg;
			break;
		case 'u':
			srv.unpriv = 1;
			break;
		case 'w':
			srv.wakeup = atoi(optarg);
			if (srv.wakeup < 0 || srv.wakeup > MASTERCF_WAKEUP_MAX)
				log_fatal("bad -w value: %s", optarg);
			break;
		case 'o':
			if (srv.noverride >= SERVER_MAX_OVERRIDES)
				log_fatal("too many -o options");
			srv.overrides[srv.noverride++] = optarg;
			break;
		case 'v':
			srv.verbose = 1;
			break;
		case 'f':
			srv.foreground = 1;
			break;
		case 'S':
			srv.standalone = 1;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	if (srv.service == NULL)
		srv.service = srv.ops->name;
	if (srv.type == NULL)
		srv.type = "unix";
}

static void
load_config(void)
{
	struct strbuf err;
	const struct conf_param *const *t;

	if (srv.ops->params != NULL)
		for (t = srv.ops->params; *t != NULL; t++)
			conf_register(*t);
	strbuf_init(&err, 4096);
	if (mail_params_load(srv.config_dir, srv.overrides, &err) < 0)
		log_fatal("%s", err.data);
	strbuf_release(&err);

	/* -f (foreground): the file, and stderr as well. */
	log_also_stderr(srv.foreground);
	if (var_maillog_file != NULL && *var_maillog_file != '\0')
		log_init(srv.ops->name, LOG_DEST_FILE, var_maillog_file);
	else
		log_init(srv.ops->name, srv.foreground ? LOG_DEST_STDERR :
		    LOG_DEST_SYSLOG, NULL);
	if (var_syslog_name != NULL && *var_syslog_name != '\0')
		log_set_syslog_name(var_syslog_name);
	log_set_verbose(srv.verbose || var_verbose);
}

/* With -S the skeleton binds the service socket itself. */
static void
listen_standalone(void)
{
	struct strbuf err, host, port;
	char path[4096];
	const char *vis;
	int fd;

	strbuf_init(&err, 1024);
	if (strcmp(srv.type, "inet") == 0) {
		strbuf_init(&host, 1024);
		strbuf_init(&port, 64);
		if (inet_split_service(srv.service, &host, &port) < 0)
			log_fatal("bad inet service: %s", srv.service);
		fd = inet_listen(host.data, port.data, 100, &err);
		strbuf_release(&host);
		strbuf_release(&port);
	} else {
		vis = srv.kind == SERVER_TRIGGER ? QDIR_PUBLIC : QDIR_PRIVATE;
		if (service_path(path, sizeof(path), var_queue_dir, vis,
		    srv.service) < 0)
			log_fatal("service path too long: %s", srv.service);
		fd = unix_listen(path, 100, srv.kind == SERVER_TRIGGER ?
		    0666 : 0600, &err);
	}
	if (fd < 0)
		log_fatal("cannot listen on %s: %s", srv.service, err.data);
	if (fd != SERVER_LISTEN_FD) {
		if (dup2(fd, SERVER_LISTEN_FD) < 0)
			log_fatal_errno("dup2");
		close(fd);
	}
	strbuf_release(&err);
}

static void
single_sigterm(int sig)
{
	(void)sig;
	/* Idle: go now. Busy: the loop exits after the current request. */
	if (!single_busy)
		_exit(0);
	single_term = 1;
}

/* Hold a free descriptor slot with /dev/null (see server_start). */
static void
reserve_fd(int want)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd >= 0 && fd != want) {
		(void)dup2(fd, want);
		close(fd);
	}
}

static void
server_start(int argc, char **argv, const struct server_ops *ops,
    enum server_kind kind)
{
	struct sigaction sa;
	int have_listen, have_status;

	/* Without master (-S, or a missing socket) fds 3 and 4 may be free:
	 * hold them, or the log file opened by load_config() would take fd 3
	 * and be mistaken for the listen socket or replaced by it. */
	have_listen = fcntl(SERVER_LISTEN_FD, F_GETFD) >= 0;
	have_status = fcntl(SERVER_STATUS_FD, F_GETFD) >= 0;
	if (!have_listen)
		reserve_fd(SERVER_LISTEN_FD);
	if (!have_status)
		reserve_fd(SERVER_STATUS_FD);
	srv.ops = ops;
	srv.kind = kind;
	srv.parent = getppid();
	log_init(ops->name, LOG_DEST_STDERR, NULL);
	parse_args(argc, argv);
	load_config();

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (kind == SERVER_SINGLE) {
		sa.sa_handler = single_sigterm;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGTERM, &sa, NULL);
	}

	if (!have_status)
		close(SERVER_STATUS_FD);
	if (srv.standalone)
		listen_standalone();
	else if (!have_listen)
		log_fatal("no listen socket on fd %d (use -S to run stand-alone)",
		    SERVER_LISTEN_FD);
	fd_set_cloexec(SERVER_LISTEN_FD, 1);
	/* Siblings share the socket: a loser of the accept race must get
	 * EAGAIN, not block. */
	fd_set_nonblock(SERVER_LISTEN_FD, 1);
	if (!srv.standalone && have_status) {
		srv.status_ok = 1;
		fd_set_cloexec(SERVER_STATUS_FD, 1);
		fd_set_nonblock(SERVER_STATUS_FD, 1);
	}

	if (kind != SERVER_SINGLE) {
		srv.base = event_base_new();
		if (srv.base == NULL)
			log_fatal("event_base_new failed");
	}
	if (ops->pre_jail != NULL)
		ops->pre_jail();
	if (!ops->keep_root && srv.unpriv && geteuid() == 0)
		privsep_drop(var_mail_owner);
	if (ops->post_jail != NULL)
		ops->post_jail();

	/* A daemon must not outlive its master (the new master could not bind
	 * the ports).  The setting is lost on a uid change, so set it here. */
	if (!srv.standalone) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != srv.parent)
			exit(0);
	}
	log_debug("%s: service %s type %s ready", ops->name, srv.service,
	    srv.type);
	status_send(SERVER_STATUS_IDLE);
}

static long
idle_limit(void)
{
	if (srv.ops->no_idle_exit || var_max_idle <= 0)
		return 0;
	return var_max_idle;
}

void
server_request_exit(void)
{
	srv.stopping = 1;
	if (srv.kind == SERVER_SINGLE)
		single_term = 1;
	else if (srv.kind == SERVER_TRIGGER)
		event_base_loopexit(srv.base, NULL);
	else {
		if (srv.accept_ev != NULL)
			event_del(srv.accept_ev);
		if (srv.conns == 0)
			event_base_loopexit(srv.base, NULL);
	}
}

/* ---- single ---- */

void
single_server_main(int argc, char **argv, const struct server_ops *ops,
    void (*service)(int fd))
{
	struct pollfd pfd;
	long idle;
	int fd, n;

	server_start(argc, argv, ops, SERVER_SINGLE);
	idle = idle_limit();
	for (;;) {
		pfd.fd = SERVER_LISTEN_FD;
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, idle > 0 ? (int)(idle * 1000) : -1);
		if (n == 0)
			exit(0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_fatal_errno("poll");
		}
		fd = accept4(SERVER_LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED) {
				log_warn_errno("accept");
				sleep(1);
			}
			continue;
		}
		single_busy = 1;
		status_send(SERVER_STATUS_BUSY);
		service(fd);
		close(fd);
		status_send(SERVER_STATUS_IDLE);
		single_busy = 0;
		if (single_term || ++srv.uses >= var_max_use)
			exit(0);
	}
}

/* ---- event ---- */

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (srv.conns == 0)
		exit(0);
}

static void
idle_arm(void)
{
	struct timeval tv;
	long idle = idle_limit();

	if (idle <= 0 || srv.idle_ev == NULL)
		return;
	tv.tv_sec = idle;
	tv.tv_usec = 0;
	evtimer_add(srv.idle_ev, &tv);
}

static void
pause_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (!srv.stopping)
		event_add(srv.accept_ev, NULL);
}

/* Out of descriptors: stop accepting for a second instead of spinning on
 * a level-triggered listen socket. */
static void
accept_pause(void)
{
	struct timeval tv = { 1, 0 };

	log_warn_errno("accept");
	event_del(srv.accept_ev);
	evtimer_add(srv.pause_ev, &tv);
}

static void
event_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	void (*accept_fn)(int) = (void (*)(int))arg;
	int fd;

	(void)what;
	while (!srv.stopping) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				accept_pause();
			else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn_errno("accept");
			return;
		}
		if (srv.conns++ == 0) {
			status_send(SERVER_STATUS_BUSY);
			if (srv.idle_ev != NULL)
				evtimer_del(srv.idle_ev);
		}
		accept_fn(fd);
		if (++srv.uses >= var_max_use) {
			/* Retire: serve what we have, take nothing new. */
			srv.stopping = 1;
			event_del(srv.accept_ev);
			/* accept_fn may have finished the connection. */
			if (srv.conns == 0)
				event_base_loopexit(srv.base, NULL);
		}
	}
}

void
server_conn_done(void)
{
	if (srv.conns <= 0)
		log_panic("server_conn_done: no open connection");
	if (--srv.conns > 0)
		return;
	status_send(SERVER_STATUS_IDLE);
	if (srv.stopping)
		event_base_loopexit(srv.base, NULL);
	else
		idle_arm();
}

static void
grace_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (srv.conns > 0)
		log_info("terminating with %d open connection(s)", srv.conns);
	exit(0);
}

static void
event_sigterm_cb(evutil_socket_t sig, short what, void *arg)
{
	struct event *grace;
	struct timeval tv = { SERVER_TERM_GRACE, 0 };

	(void)sig; (void)what; (void)arg;
	if (srv.stopping && srv.conns == 0)
		exit(0);
	srv.stopping = 1;
	event_del(srv.accept_ev);
	if (srv.conns == 0)
		exit(0);
	grace = evtimer_new(srv.base, grace_cb, NULL);
	evtimer_add(grace, &tv);
}

void
event_server_main(int argc, char **argv, const struct server_ops *ops,
    void (*accept_fn)(int fd))
{
	struct event *term;

	server_start(argc, argv, ops, SERVER_EVENT);
	srv.accept_ev = event_new(srv.base, SERVER_LISTEN_FD,
	    EV_READ | EV_PERSIST, event_accept_cb, (void *)accept_fn);
	srv.idle_ev = evtimer_new(srv.base, idle_cb, NULL);
	srv.pause_ev = evtimer_new(srv.base, pause_cb, NULL);
	term = evsignal_new(srv.base, SIGTERM, event_sigterm_cb, NULL);
	if (srv.accept_ev == NULL || srv.idle_ev == NULL ||
	    srv.pause_ev == NULL || term == NULL)
		log_fatal("cannot create events");
	evsignal_add(term, NULL);
	if (!srv.stopping)
		event_add(srv.accept_ev, NULL);
	idle_arm();
	event_base_dispatch(srv.base);
	exit(0);
}

/* ---- trigger ---- */

static void (*trigger_fn)(void);
static int trigger_byte;	/* first byte of the current wake-up, 0 = timer */

int
server_trigger_byte(void)
{
	return trigger_byte;
}

static void
trigger_run(void)
{
	status_send(SERVER_STATUS_BUSY);
	trigger_fn();
	status_send(SERVER_STATUS_IDLE);
	if (srv.idle_ev != NULL)
		idle_arm();
}

#define TRIGGER_READ_TIMEOUT	2	/* seconds to wait for the wake-up byte */

/* The wake-up byte arrived (or EOF, or the time ran out): let go, work. */
static void
trigger_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *ev = arg;
	char buf[16];
	ssize_t n;

	(void)what;
	n = read(fd, buf, sizeof(buf));
	event_free(ev);
	close(fd);
	trigger_byte = n > 0 ? (unsigned char)buf[0] : 0;
	trigger_run();
	trigger_byte = 0;
	if (!srv.ops->no_idle_exit && ++srv.uses >= var_max_use)
		exit(0);
}

static void
trigger_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct timeval tv = { TRIGGER_READ_TIMEOUT, 0 };
	struct event *ev;
	int fd;

	(void)what; (void)arg;
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE)
			accept_pause();
		return;
	}
	/* The byte carries no meaning (DESIGN §5), but closing before it
	 * arrives would give the writer EPIPE: wait for it, briefly. */
	ev = event_new(srv.base, fd, EV_READ, trigger_read_cb, event_self_cbarg());
	if (ev == NULL) {
		close(fd);
		trigger_run();
		return;
	}
	event_add(ev, &tv);
}

static void
trigger_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	trigger_run();
}

static void
trigger_sigterm_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig; (void)what; (void)arg;
	exit(0);
}

void
trigger_server_main(int argc, char **argv, const struct server_ops *ops,
    void (*trigger)(void))
{
	struct event *term, *timer;
	struct timeval tv;

	trigger_fn = trigger;
	server_start(argc, argv, ops, SERVER_TRIGGER);
	srv.accept_ev = event_new(srv.base, SERVER_LISTEN_FD,
	    EV_READ | EV_PERSIST, trigger_accept_cb, NULL);
	srv.pause_ev = evtimer_new(srv.base, pause_cb, NULL);
	term = evsignal_new(srv.base, SIGTERM, trigger_sigterm_cb, NULL);
	if (srv.accept_ev == NULL || srv.pause_ev == NULL || term == NULL)
		log_fatal("cannot create events");
	evsignal_add(term, NULL);
	event_add(srv.accept_ev, NULL);
	if (idle_limit() > 0) {
		srv.idle_ev = evtimer_new(srv.base, idle_cb, NULL);
		idle_arm();
	}
	if (srv.wakeup > 0) {
		timer = event_new(srv.base, -1, EV_PERSIST, trigger_timer_cb,
		    NULL);
		tv.tv_sec = srv.wakeup;
		tv.tv_usec = 0;
		evtimer_add(timer, &tv);
		/* One wake-up at start: work left from before a restart is
		 * not kept waiting a whole period (wake-ups are idempotent). */
		event_base_once(srv.base, -1, EV_TIMEOUT, trigger_timer_cb,
		    NULL, NULL);
	}
	if (!srv.stopping)
		event_base_dispatch(srv.base);
	exit(0);
}
