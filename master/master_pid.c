/*
 * master/master_pid.c — QUEUE_DIR/pid/master.pid, written and locked.
 *
 * The flock(2) on the pid file is what makes "one master per queue" true:
 * a second master fails to take it and refuses to start, and `tegami
 * status` treats a pid file that nobody holds locked as stale.  The lock
 * goes away by itself when master dies, however it dies.
 * Errors are returned; the caller decides whether they are fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>

#include "master.h"
#include "qfile.h"

#define MASTER_PID_FILE	"master.pid"

static int
master_pid_path(char *buf, size_t size, const char *queue_dir)
{
	int n = snprintf(buf, size, "%s/%s/%s", queue_dir, QDIR_PID,
	    MASTER_PID_FILE);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
master_pid_lock(const char *queue_dir, struct strbuf *err)
{
	char path[PATH_MAX], text[32];
	ssize_t n;
	int fd;

	if (master_pid_path(path, sizeof(path), queue_dir) < 0) {
		strbuf_set_printf(err, "queue directory name too long");
		return -1;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		strbuf_set_printf(err, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int saved = errno;

		n = pread(fd, text, sizeof(text) - 1, 0);
		text[n > 0 ? n : 0] = '\0';
		text[strcspn(text, "\n")] = '\0';
		if (saved == EWOULDBLOCK)
			strbuf_set_printf(err, "the mail system is already "
			    "running (pid %s, %s)", text, path);
		else
			strbuf_set_printf(err, "lock %s: %s", path,
			    strerror(saved));
		close(fd);
		return -1;
	}
	return fd;
}

int
master_pid_write(int fd, pid_t pid)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%ld\n", (long)pid);

	if (ftruncate(fd, 0) < 0)
		return -1;
	if (pwrite(fd, text, (size_t)n, 0) != n)
		return -1;
	return 0;
}

void
master_pid_remove(const char *queue_dir, int fd)
{
	char path[PATH_MAX];

	/* Unlink before the lock goes, so nobody sees a stale unlocked file
	 * appear between the two. */
	if (master_pid_path(path, sizeof(path), queue_dir) == 0)
		(void)unlink(path);
	if (fd >= 0)
		close(fd);
}
