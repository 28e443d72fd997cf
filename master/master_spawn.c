/*
 * master/master_spawn.c — starting children on demand (Postfix's model).
 *
 * master watches each listen socket only while the service has no idle or
 * starting child and is below its process limit; when a connection waits,
 * it forks one child, which takes the connection itself.  Children report
 * busy/idle on the service's status pipe (lib/server.h).  A child that has
 * not reported yet counts as idle for MASTER_START_GUARD_MS, so a slow
 * starter cannot cause a fork storm.  Wakeup services (qmgr, pickup) are
 * kept running.  A child that crashes (signal, non-zero exit, or exit
 * before it was ever ready) throttles its service with a back-off of 1 s
 * doubling to service_throttle_time.  Status bytes are untrusted only in
 * that a pid that is not this service's child is ignored.
 * Errors: fork failures throttle the service; nothing here is fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <event2/event.h>

#include "master.h"
#include "log.h"
#include "netio.h"

#define MASTER_MAX_ARGS	256

/* ---- pure decisions (unit tested) ---- */

enum master_action
master_decide(const struct master_counts *c)
{
	if (c->stopping || c->throttled)
		return MASTER_WAIT;
	if (c->wakeup > 0 && c->total == 0)
		return MASTER_SPAWN_NOW;
	if (c->maxproc > 0 && c->total >= c->maxproc)
		return MASTER_WAIT;
	if (c->idle + c->starting > 0)
		return MASTER_WAIT;
	return MASTER_LISTEN;
}

long
master_backoff_next(long cur, long max)
{
	long next = cur <= 0 ? 1 : cur * 2;

	if (max < 1)
		max = 1;
	return next > max ? max : next;
}

int
master_exit_is_crash(int status, int reported, long lived_ms)
{
	if (WIFSIGNALED(status))
		return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		return 1;
	/* Exit 0 before ever being ready, within the start guard: a daemon
	 * that cannot start; respawning it at once would spin. */
	return !reported && lived_ms < MASTER_START_GUARD_MS;
}

long
master_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- counting and evaluation ---- */

static void
service_counts(const struct master_service *svc, struct master_counts *c)
{
	const struct master_child *ch;
	long now = master_now_ms();

	memset(c, 0, sizeof(*c));
	for (ch = svc->children; ch != NULL; ch = ch->next) {
		c->total++;
		if (ch->gen != svc->gen || ch->told_to_stop)
			continue;
		if (ch->state == MASTER_CHILD_IDLE)
			c->idle++;
		else if (ch->state == MASTER_CHILD_STARTING &&
		    now - ch->started_ms < MASTER_START_GUARD_MS)
			c->starting++;
	}
	c->maxproc = svc->maxproc;
	c->wakeup = svc->wakeup;
	c->throttled = svc->throttled;
	c->stopping = master.stopping || svc->removed;
}

static void spawn_child(struct master_service *svc);

void
master_evaluate(struct master_service *svc)
{
	struct master_counts c;
	enum master_action act;

	if (svc->listen_ev == NULL)
		return;
	service_counts(svc, &c);
	act = master_decide(&c);
	if (act == MASTER_SPAWN_NOW) {
		spawn_child(svc);
		service_counts(svc, &c);
		act = master_decide(&c);
	}
	if (act == MASTER_LISTEN && !svc->listening) {
		event_add(svc->listen_ev, NULL);
		svc->listening = 1;
	} else if (act != MASTER_LISTEN && svc->listening) {
		event_del(svc->listen_ev);
		svc->listening = 0;
	}
}

void
master_evaluate_all(void)
{
	struct master_service *svc;

	for (svc = master.services; svc != NULL; svc = svc->next)
		master_evaluate(svc);
}

/* ---- spawning ---- */

/* Build the daemon's command line: DAEMON_DIR/COMMAND -c DIR -n NAME -t
 * TYPE [-u] [-w N] [-f] [-v] ARGS... */
static int
spawn_argv(const struct master_service *svc, char *path, size_t size,
    char **av, char *wakeup, size_t wsize)
{
	int n = 0, i;

	if (svc->argv[0][0] == '/') {
		if (snprintf(path, size, "%s", svc->argv[0]) >= (int)size)
			return -1;
	} else if (snprintf(path, size, "%s/%s", master.conf.daemon_dir,
	    svc->argv[0]) >= (int)size)
		return -1;
	av[n++] = path;
	av[n++] = "-c";
	av[n++] = master.conf.config_dir;
	av[n++] = "-n";
	av[n++] = svc->name;
	av[n++] = "-t";
	av[n++] = svc->type;
	if (svc->unpriv)
		av[n++] = "-u";
	if (svc->wakeup > 0) {
		snprintf(wakeup, wsize, "%d", svc->wakeup);
		av[n++] = "-w";
		av[n++] = wakeup;
	}
	if (master.foreground)
		av[n++] = "-f";
	if (master.verbose)
		av[n++] = "-v";
	for (i = 1; svc->argv[i] != NULL; i++) {
		if (n >= MASTER_MAX_ARGS - 1)
			return -1;
		av[n++] = svc->argv[i];
	}
	av[n] = NULL;
	return 0;
}

/* In the child: listen socket to fd 3, status pipe to fd 4, nothing else
 * open but stdio, default signals, then exec. Never returns. */
static void
spawn_exec(struct master_service *svc, char *path, char **av)
{
	sigset_t none;
	int lfd, sfd, sig;

	log_reset_pid();
	/* Out of master's process group: a Ctrl-C at master's terminal (-f)
	 * is master's to handle; it stops its children itself. */
	(void)setsid();
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Say why now: the descriptor shuffle below may overwrite the log's. */
	if (access(path, X_OK) < 0) {
		log_warn_errno("cannot execute %s", path);
		_exit(127);
	}
	/* Move both out of the way first: either may already sit on 3 or 4. */
	lfd = fcntl(svc->listen_fd, F_DUPFD, 10);
	sfd = fcntl(svc->status_fd[1], F_DUPFD, 10);
	if (lfd < 0 || sfd < 0 || dup2(lfd, SERVER_LISTEN_FD) < 0 ||
	    dup2(sfd, SERVER_STATUS_FD) < 0) {
		log_warn_errno("%s: cannot set up descriptors", path);
		_exit(1);
	}
	closefrom(SERVER_STATUS_FD + 1);
	/* The daemon must not outlive master (it would hold the ports). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	execv(path, av);
	_exit(127);
}

static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	master_evaluate(arg);
}

static void throttle(struct master_service *svc, int crashed);

static void
spawn_child(struct master_service *svc)
{
	char path[4096], wakeup[16], *av[MASTER_MAX_ARGS];
	struct master_child *ch;
	/* Look again just after the start guard ends, in case it never reports. */
	struct timeval tv = { MASTER_START_GUARD_MS / 1000,
	    (MASTER_START_GUARD_MS % 1000 + 50) * 1000L };
	pid_t pid;

	if (spawn_argv(svc, path, sizeof(path), av, wakeup, sizeof(wakeup)) < 0) {
		log_warn("%s: command line too long", svc->name);
		throttle(svc, 0);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn_errno("fork");
		throttle(svc, 0);
		return;
	}
	if (pid == 0)
		spawn_exec(svc, path, av);
	log_debug("spawned %s pid %ld for service %s", path, (long)pid,
	    svc->name);
	ch = xcalloc(1, sizeof(*ch));
	ch->pid = pid;
	ch->svc = svc;
	ch->state = MASTER_CHILD_STARTING;
	ch->gen = svc->gen;
	ch->started_ms = master_now_ms();
	ch->next = svc->children;
	svc->children = ch;
	evtimer_add(svc->guard_ev, &tv);
}

/* ---- throttling ---- */

static void
throttle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct master_service *svc = arg;

	(void)fd; (void)what;
	svc->throttled = 0;
	master_evaluate(svc);
}

static void
throttle(struct master_service *svc, int crashed)
{
	struct timeval tv;

	svc->backoff = master_backoff_next(svc->backoff,
	    master.conf.throttle_max);
	svc->throttled = 1;
	tv.tv_sec = svc->backoff;
	tv.tv_usec = 0;
	evtimer_add(svc->throttle_ev, &tv);
	if (crashed)
		log_warn("service %s: %s crashed -- throttling for %lds",
		    svc->name, svc->argv[0], svc->backoff);
	else
		log_warn("%s: bad command startup -- throttling for %lds",
		    svc->argv[0], svc->backoff);
}

/* ---- status pipe ---- */

static struct master_child *
child_find(pid_t pid, struct master_service **svc_out)
{
	struct master_service *svc;
	struct master_child *ch;

	for (svc = master.services; svc != NULL; svc = svc->next)
		for (ch = svc->children; ch != NULL; ch = ch->next)
			if (ch->pid == pid) {
				*svc_out = svc;
				return ch;
			}
	return NULL;
}

static void
status_apply(struct master_service *svc, unsigned pid, int letter)
{
	struct master_service *owner;
	struct master_child *ch = child_find((pid_t)pid, &owner);

	if (ch == NULL || owner != svc) {
		log_debug("status from unknown pid %u on service %s", pid,
		    svc->name);
		return;
	}
	ch->reported = 1;
	svc->backoff = 0;	/* it started: the next crash backs off anew */
	ch->state = letter == SERVER_STATUS_BUSY ? MASTER_CHILD_BUSY :
	    MASTER_CHILD_IDLE;
	/* A child of an older generation (reload) is retired once idle. */
	if (ch->state == MASTER_CHILD_IDLE && !ch->told_to_stop &&
	    (ch->gen != svc->gen || svc->removed || master.stopping)) {
		kill(ch->pid, SIGTERM);
		ch->told_to_stop = 1;
	}
}

static void
status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct master_service *svc = arg;
	unsigned char buf[SERVER_STATUS_SIZE * 64];
	size_t off = 0;
	ssize_t n;
	unsigned pid;
	int letter;

	(void)what;
	memcpy(buf, svc->sbuf, svc->slen);
	n = read(fd, buf + svc->slen, sizeof(buf) - svc->slen);
	if (n <= 0)
		return;
	n += (ssize_t)svc->slen;
	for (; off + SERVER_STATUS_SIZE <= (size_t)n; off += SERVER_STATUS_SIZE)
		if (server_status_decode(buf + off, &pid, &letter) == 0)
			status_apply(svc, pid, letter);
		else
			log_warn("service %s: bad status report", svc->name);
	svc->slen = (size_t)n - off;
	memcpy(svc->sbuf, buf + off, svc->slen);
	master_evaluate(svc);
}

int
master_status_open(struct master_service *svc)
{
	if (pipe2(svc->status_fd, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_warn_errno("pipe");
		return -1;
	}
	return 0;
}

void
master_status_close(struct master_service *svc)
{
	int i;

	if (svc->status_ev != NULL) {
		event_free(svc->status_ev);
		svc->status_ev = NULL;
	}
	for (i = 0; i < 2; i++)
		if (svc->status_fd[i] >= 0) {
			close(svc->status_fd[i]);
			svc->status_fd[i] = -1;
		}
}

static void
listen_cb(evutil_socket_t fd, short what, void *arg)
{
	struct master_service *svc = arg;
	struct master_counts c;

	(void)fd; (void)what;
	service_counts(svc, &c);
	if (master_decide(&c) == MASTER_LISTEN)
		spawn_child(svc);
	master_evaluate(svc);
}

void
master_services_start(void)
{
	struct master_service *svc;

	for (svc = master.services; svc != NULL; svc = svc->next) {
		if (svc->removed || svc->listen_ev != NULL)
			continue;
		svc->listen_ev = event_new(master.base, svc->listen_fd,
		    EV_READ | EV_PERSIST, listen_cb, svc);
		svc->status_ev = event_new(master.base, svc->status_fd[0],
		    EV_READ | EV_PERSIST, status_cb, svc);
		svc->throttle_ev = evtimer_new(master.base, throttle_cb, svc);
		svc->guard_ev = evtimer_new(master.base, guard_cb, svc);
		if (svc->listen_ev == NULL || svc->status_ev == NULL ||
		    svc->throttle_ev == NULL || svc->guard_ev == NULL)
			log_fatal("cannot create events");
		event_add(svc->status_ev, NULL);
		master_evaluate(svc);
	}
}

/* ---- exits and signals ---- */

static void
child_exited(struct master_service *svc, struct master_child *ch, int status)
{
	long lived = master_now_ms() - ch->started_ms;
	char path[4096];

	if (svc->argv[0][0] == '/')
		snprintf(path, sizeof(path), "%s", svc->argv[0]);
	else
		snprintf(path, sizeof(path), "%s/%s", master.conf.daemon_dir,
		    svc->argv[0]);
	if (WIFSIGNALED(status) && !(ch->told_to_stop &&
	    WTERMSIG(status) == SIGTERM))
		log_warn("process %s pid %ld killed by signal %d", path,
		    (long)ch->pid, WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warn("process %s pid %ld exit status %d", path,
		    (long)ch->pid, WEXITSTATUS(status));
	if (master.stopping || svc->removed || ch->told_to_stop)
		return;
	if (master_exit_is_crash(status, ch->reported, lived))
		throttle(svc, ch->reported);
}

void
master_reap_children(void)
{
	struct master_service *svc;
	struct master_child *ch, **pp;
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((ch = child_find(pid, &svc)) == NULL)
			continue;
		for (pp = &svc->children; *pp != ch; pp = &(*pp)->next)
			;
		*pp = ch->next;
		child_exited(svc, ch, status);
		free(ch);
		if (svc->removed)
			master_service_reap(svc);
		else
			master_evaluate(svc);
	}
	master_stop_check();
}

void
master_signal_children(struct master_service *svc, int sig, int idle_only)
{
	struct master_child *ch;

	for (ch = svc->children; ch != NULL; ch = ch->next) {
		if (idle_only && ch->state == MASTER_CHILD_BUSY)
			continue;
		kill(ch->pid, sig);
		if (sig == SIGTERM || sig == SIGKILL)
			ch->told_to_stop = 1;
	}
}

int
master_child_count(void)
{
	struct master_service *svc;
	struct master_child *ch;
	int n = 0;

	for (svc = master.services; svc != NULL; svc = svc->next)
		for (ch = svc->children; ch != NULL; ch = ch->next)
			n++;
	return n;
}
