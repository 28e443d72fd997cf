/*
 * ctl/ctl_daemon.c — start, stop, reload and status of the mail system.
 *
 * start checks the configuration (as `tegami check`), then runs
 * DAEMON_DIR/master: with -f master replaces this process and stays in the
 * foreground; otherwise master binds its sockets, locks its pid file and
 * detaches, and start returns once that is done (or fails after 10 s).
 * stop sends SIGTERM and waits until master (which waits for its
 * children) is gone.  Messages are Postfix's, so scripts and people that
 * know `postfix status` read them the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "ctl.h"
#include "mail_params.h"
#include "strbuf.h"

#define CTL_START_WAIT_MS	10000
#define CTL_STOP_WAIT_MS	30000	/* master itself SIGKILLs after 10 s */

static void
ctl_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Load main.cf (shared tables and master's); print the error. */
static int
ctl_daemon_config(void)
{
	struct strbuf err;
	int r;

	strbuf_init(&err, 4096);
	r = ctl_load_config(0, &err);
	if (r < 0)
		ctl_error("%s", err.data);
	strbuf_release(&err);
	return r;
}

static int
ctl_no_args(int argc, char **argv)
{
	if (argc > 1) {
		ctl_error("usage: tegami %s", argv[0]);
		return -1;
	}
	return 0;
}

/* Wait for a child with a time limit; its exit status, or -1. */
static int
ctl_wait_child(pid_t pid, long limit_ms)
{
	long waited;
	int status;
	pid_t r;

	for (waited = 0; waited < limit_ms; waited += 50) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		if (r < 0 && errno != EINTR)
			return -1;
		ctl_sleep_ms(50);
	}
	return -1;
}

/* After a failed start: show master's last fatal line from maillog_file
 * (syslog cannot be read back portably). */
static void
ctl_show_fatal(void)
{
	char buf[8192], *line, *found = NULL, *save;
	ssize_t n;
	off_t size;
	int fd;

	if (*var_maillog_file == '\0' ||
	    (fd = open(var_maillog_file, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	size = lseek(fd, 0, SEEK_END);
	n = pread(fd, buf, sizeof(buf) - 1, size > (off_t)sizeof(buf) - 1 ?
	    size - (off_t)sizeof(buf) + 1 : 0);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "/master[") != NULL &&
		    strstr(line, "fatal: ") != NULL)
			found = line;
	if (found != NULL)
		ctl_msg("%s", strstr(found, "fatal: "));
}

int
ctl_cmd_start(int argc, char **argv)
{
	char master_path[4096];
	char *av[6];
	int foreground = 0, n = 0, status;
	pid_t pid;

	if (argc == 2 && strcmp(argv[1], "-f") == 0)
		foreground = 1;
	else if (argc != 1) {
		ctl_error("usage: tegami start [-f]");
		return 1;
	}
	if (ctl_check_run(1) < 0)
		return 1;
	if ((pid = ctl_pid_running(var_queue_dir)) > 0) {
		ctl_error("the mail system is already running: PID: %ld",
		    (long)pid);
		return 1;
	}
	if (snprintf(master_path, sizeof(master_path), "%s/master",
	    var_daemon_dir) >= (int)sizeof(master_path)) {
		ctl_error("daemon_directory is too long");
		return 1;
	}
	av[n++] = master_path;
	av[n++] = "-c";
	av[n++] = (char *)ctl_config_dir;
	if (foreground)
		av[n++] = "-f";
	av[n] = NULL;
	if (foreground) {
		if (*var_maillog_file != '\0')
			ctl_msg("starting the mail system in the foreground; "
			    "log: %s", var_maillog_file);
		fflush(NULL);
		execv(master_path, av);
		ctl_error("cannot execute %s: %s", master_path, strerror(errno));
		return 1;
	}
	ctl_msg("starting the mail system");
	fflush(NULL);
	if ((pid = fork()) < 0) {
		ctl_error("fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execv(master_path, av);
		ctl_error("cannot execute %s: %s", master_path, strerror(errno));
		_exit(127);
	}
	status = ctl_wait_child(pid, CTL_START_WAIT_MS);
	if (status != 0 || ctl_pid_running(var_queue_dir) == 0) {
		ctl_show_fatal();
		ctl_error("the mail system did not start%s%s",
		    *var_maillog_file ? "; see " : " (see the mail log)",
		    var_maillog_file);
		return 1;
	}
	return 0;
}

int
ctl_cmd_stop(int argc, char **argv)
{
	long waited;
	pid_t pid;

	if (ctl_no_args(argc, argv) < 0 || ctl_daemon_config() < 0)
		return 1;
	if ((pid = ctl_pid_running(var_queue_dir)) == 0) {
		ctl_error("the mail system is not running");
		return 1;
	}
	ctl_msg("stopping the mail system");
	if (kill(pid, SIGTERM) < 0) {
		ctl_error("kill %ld: %s", (long)pid, strerror(errno));
		return 1;
	}
	for (waited = 0; waited < CTL_STOP_WAIT_MS; waited += 50) {
		if (ctl_pid_running(var_queue_dir) == 0)
			return 0;
		ctl_sleep_ms(50);
	}
	ctl_error("the mail system (PID: %ld) did not stop", (long)pid);
	return 1;
}

int
ctl_cmd_reload(int argc, char **argv)
{
	pid_t pid;

	if (ctl_no_args(argc, argv) < 0 || ctl_check_run(1) < 0)
		return 1;
	if ((pid = ctl_pid_running(var_queue_dir)) == 0) {
		ctl_error("the mail system is not running");
		return 1;
	}
	if (kill(pid, SIGHUP) < 0) {
		ctl_error("kill %ld: %s", (long)pid, strerror(errno));
		return 1;
	}
	ctl_msg("refreshing the mail system");
	return 0;
}

int
ctl_cmd_status(int argc, char **argv)
{
	pid_t pid;

	if (ctl_no_args(argc, argv) < 0 || ctl_daemon_config() < 0)
		return 1;
	if ((pid = ctl_pid_running(var_queue_dir)) == 0) {
		printf("tegami: the mail system is not running\n");
		return 1;
	}
	printf("tegami: the mail system is running: PID: %ld\n", (long)pid);
	return 0;
}
