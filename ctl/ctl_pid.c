/*
 * ctl/ctl_pid.c — is master running?  Asks its pid file.
 *
 * master holds an exclusive flock(2) on QUEUE_DIR/pid/master.pid for as
 * long as it lives (master/master_pid.c).  The file alone proves nothing
 * (a crash leaves it behind); the lock does.  A zombie master no longer
 * holds the lock either, so `stop` can wait on it safely.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/file.h>

#include "ctl.h"
#include "qfile.h"

pid_t
ctl_pid_running(const char *queue_dir)
{
	char path[PATH_MAX], text[32];
	ssize_t n;
	long pid;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s/master.pid", queue_dir,
	    QDIR_PID) >= (int)sizeof(path))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK) {
		close(fd);		/* nobody holds it: stale */
		return 0;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	pid = strtol(text, NULL, 10);
	if (pid <= 1 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
		return 0;
	return (pid_t)pid;
}
