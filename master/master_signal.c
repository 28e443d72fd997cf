/*
 * master/master_signal.c — master's life cycle: detach, reload, stop.
 *
 * Signals arrive through libevent, so every handler runs as an ordinary
 * callback between other events (no async-signal-safety puzzles):
 *   SIGCHLD  reap children (master_spawn.c)
 *   SIGHUP   re-read main.cf and master.cf; on a broken file keep running
 *            with the old settings and say why
 *   SIGTERM, SIGINT  close the listeners, SIGTERM every child, wait for
 *            them (SIGKILL after MASTER_STOP_WAIT seconds), remove the pid
 *            file, exit 0
 * Errors: detach failures are fatal (we are still in the foreground then).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "master.h"
#include "log.h"

void
master_detach(void)
{
	pid_t pid;
	int fd;

	if (master.foreground) {
		if (master_pid_write(master.pid_fd, getpid()) < 0)
			log_fatal_errno("write pid file");
		return;
	}
	pid = fork();
	if (pid < 0)
		log_fatal_errno("fork");
	if (pid > 0) {
		/* Listeners are bound and the pid file is locked (the child
		 * shares the lock), so `tegami start` may return now. */
		if (master_pid_write(master.pid_fd, pid) < 0)
			log_fatal_errno("write pid file");
		_exit(0);
	}
	log_reset_pid();
	if (setsid() < 0)
		log_warn_errno("setsid");
	if (chdir("/") < 0)
		log_fatal_errno("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

void
master_stop_check(void)
{
	if (!master.stopping || master_child_count() > 0)
		return;
	master_pid_remove(master.conf.queue_dir, master.pid_fd);
	master.pid_fd = -1;
	exit(0);
}

static void
kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct master_service *svc;

	(void)fd; (void)what; (void)arg;
	log_warn("%d process(es) did not stop in %ds; killing them",
	    master_child_count(), MASTER_STOP_WAIT);
	for (svc = master.services; svc != NULL; svc = svc->next)
		master_signal_children(svc, SIGKILL, 0);
}

static void
master_stop(int sig)
{
	struct master_service *svc;
	struct timeval tv = { MASTER_STOP_WAIT, 0 };

	if (master.stopping)
		return;
	log_info("terminating on signal %d", sig);
	master.stopping = 1;
	for (svc = master.services; svc != NULL; svc = svc->next) {
		master_listen_close(svc, 0);
		master_signal_children(svc, SIGTERM, 0);
	}
	master.kill_ev = evtimer_new(master.base, kill_cb, NULL);
	if (master.kill_ev != NULL)
		evtimer_add(master.kill_ev, &tv);
	master_stop_check();
}

void
master_reload(void)
{
	struct master_config conf;
	struct mastercf_entry *e;
	struct strbuf err;
	size_t n;

	memset(&conf, 0, sizeof(conf));
	strbuf_init(&err, 4096);
	if (master_conf_load(&conf, &err) < 0) {
		log_warn("reload: %s; keeping the running configuration",
		    err.data);
		master_conf_free(&conf);
		strbuf_release(&err);
		return;
	}
	if (strcmp(conf.queue_dir, master.conf.queue_dir) != 0) {
		log_warn("reload: queue_directory changed; it takes effect "
		    "after a restart");
		free(conf.queue_dir);
		conf.queue_dir = xstrdup(master.conf.queue_dir);
	}
	master_conf_free(&master.conf);
	master.conf = conf;
	master_log_start();
	if (master_services_read(&e, &n, &err) < 0) {
		log_warn("reload: %s; keeping the running services", err.data);
		strbuf_release(&err);
		return;
	}
	master_services_update(e, n, 0);
	mastercf_free(e, n);
	strbuf_release(&err);
	master_services_start();
	master_evaluate_all();
	log_info("reload -- version %s, configuration %s", TEGAMI_VERSION,
	    master.conf.config_dir);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what; (void)arg;
	switch (sig) {
	case SIGCHLD:
		master_reap_children();
		break;
	case SIGHUP:
		if (!master.stopping)
			master_reload();
		break;
	default:
		master_stop((int)sig);
		break;
	}
}

void
master_events_init(void)
{
	static const int sigs[] = { SIGCHLD, SIGHUP, SIGTERM, SIGINT };
	struct event *ev;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	master.base = event_base_new();
	if (master.base == NULL)
		log_fatal("event_base_new failed");
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev = evsignal_new(master.base, sigs[i], signal_cb, NULL);
		if (ev == NULL || evsignal_add(ev, NULL) < 0)
			log_fatal("cannot watch signal %d", sigs[i]);
	}
}
