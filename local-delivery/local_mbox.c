/*
 * local-delivery/local_mbox.c — delivery into an mbox file.
 *
 * Locking is what mail readers expect: a dot-lock FILE.lock (created with
 * O_EXCL; removed as stale after stale_lock_time; created as root when the
 * user cannot write the spool directory, as Postfix does for a root:mail
 * 2775 /var/mail) and an fcntl write lock on the mailbox (an open file
 * description lock, which also conflicts with the classic fcntl locks of
 * other programs).  The mailbox is opened as the user without following
 * symlinks and must be a regular file with one link (and, as root, owned
 * by the user); a new one is created 0600 and given to the user.  The copy
 * starts with a "From SENDER DATE" line, quotes body lines that start
 * with "From ", ends with a blank line and is fsync'd; on any error the
 * file is cut back to its old size and the delivery is deferred.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ipc_names.h"
#include "local.h"
#include "log.h"
#include "privsep.h"
#include "server.h"

/* Running as root, acting as the user (privsep_become). */
static int
switched(void)
{
	return getuid() == 0;
}

/* Run open(2) as root for a moment: the user could not write the spool
 * directory.  With `give`, a file made here is handed to the user while we
 * are still root (the user cannot fchown a root-owned file). */
static int
open_as_root(const char *path, int flags, const struct local_mailbox *mb,
    int give)
{
	int fd, err;

	if (privsep_restore() < 0)
		return -1;
	fd = open(path, flags, 0600);
	if (fd >= 0 && give && fchown(fd, mb->uid, mb->gid) < 0) {
		err = errno;
		close(fd);
		(void)unlink(path);
		fd = -1;
		errno = err;
	}
	err = errno;
	if (privsep_become(mb->uid, mb->gid) < 0) {
		log_warn_errno("cannot switch back to uid %ld", (long)mb->uid);
		server_request_exit();
	}
	errno = err;
	return fd;
}

static int
unlink_as(const char *path, int as_root, const struct local_mailbox *mb)
{
	int rc, err;

	if (!as_root)
		return unlink(path);
	if (privsep_restore() < 0)
		return -1;
	rc = unlink(path);
	err = errno;
	if (privsep_become(mb->uid, mb->gid) < 0)
		server_request_exit();
	errno = err;
	return rc;
}

static int
dotlock_take(const char *lock, const struct local_mailbox *mb, int *as_root,
    struct strbuf *why)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	long attempt;
	int fd, nap = 0;

	*as_root = 0;
	for (attempt = 0; attempt < var_deliver_lock_attempts; attempt++) {
		if (nap && var_deliver_lock_delay > 0)
			sleep((unsigned)var_deliver_lock_delay);
		nap = 1;
		fd = open(lock, flags, 0600);
		if (fd < 0 && errno == EACCES && switched()) {
			fd = open_as_root(lock, flags, mb, 0);
			*as_root = fd >= 0;
		}
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != EEXIST) {
			strbuf_set_printf(why, "cannot create lock file %s: %s", lock,
			    strerror(errno));
			return -1;
		}
		if (lstat(lock, &st) == 0 && time(NULL) - st.st_mtime > var_stale_lock_time) {
			log_warn("removing stale lock file %s", lock);
			if (unlink(lock) < 0 && errno == EACCES && switched())
				(void)unlink_as(lock, 1, mb);
			nap = 0;
		}
	}
	strbuf_set_printf(why, "cannot create lock file %s: %s", lock, strerror(EEXIST));
	return -1;
}

static int
mbox_open(const struct local_mailbox *mb, struct strbuf *why)
{
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	int fd;

	fd = open(mb->path, flags);
	if (fd < 0 && errno == ENOENT) {
		fd = open(mb->path, flags | O_CREAT | O_EXCL, 0600);
		if (fd < 0 && errno == EACCES && switched()) {
			fd = open_as_root(mb->path, flags | O_CREAT | O_EXCL, mb, 1);
		}
	}
	if (fd < 0) {
		strbuf_set_printf(why, "cannot open mailbox %s: %s", mb->path,
		    strerror(errno));
		return -1;
	}
	/* Never append to a device, a hard link to someone's file, or a file
	 * that is not the user's. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (switched() && st.st_uid != mb->uid)) {
		strbuf_set_printf(why, "mailbox %s is not a regular file owned by "
		    "the recipient with one link", mb->path);
		close(fd);
		errno = 0;
		return -1;
	}
	return fd;
}

static int
fcntl_lock(int fd, const char *path, struct strbuf *why)
{
	struct flock fl;
	long attempt;

	for (attempt = 0; attempt < var_deliver_lock_attempts; attempt++) {
		if (attempt > 0 && var_deliver_lock_delay > 0)
			sleep((unsigned)var_deliver_lock_delay);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
#ifdef F_OFD_SETLK
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
#else
		if (fcntl(fd, F_SETLK, &fl) == 0)
#endif
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			break;
	}
	strbuf_set_printf(why, "cannot lock mailbox %s: %s", path, strerror(errno));
	return -1;
}

/* Lock, append, fsync; cut back on error. 0 or -1 with why and errno. */
static int
append_copy(const struct local_msg *msg, const struct local_mailbox *mb,
    const char *rcpt, struct strbuf *why)
{
	struct stat st;
	int fd, err = 0, rc = -1;

	if ((fd = mbox_open(mb, why)) < 0)
		return -1;
	if (fcntl_lock(fd, mb->path, why) < 0 || fstat(fd, &st) < 0) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	if (local_write_message(msg, fd, rcpt, LOCAL_W_MBOX, why) < 0) {
		err = errno;
	} else if (fsync(fd) < 0) {
		err = errno;
		strbuf_set_printf(why, "fsync: %s", strerror(err));
	} else {
		rc = 0;
	}
	if (rc < 0 && ftruncate(fd, st.st_size) < 0)
		log_warn_errno("cannot truncate %s back to %lld bytes", mb->path,
		    (long long)st.st_size);
	if (close(fd) < 0 && rc == 0) {
		err = errno;
		strbuf_set_printf(why, "close: %s", strerror(err));
		rc = -1;
	}
	errno = err;
	return rc;
}

void
local_mbox_deliver(const struct local_msg *msg, const struct local_mailbox *mb,
    const char *rcpt, struct local_result *res)
{
	char lock[PATH_MAX + 8];
	struct strbuf why;
	int as_root, rc, err;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", mb->path) >= sizeof(lock)) {
		local_result_set(res, DELIVER_DEFER, "4.3.0", "mailbox path too long");
		return;
	}
	if (privsep_become(mb->uid, mb->gid) < 0) {
		local_result_set(res, DELIVER_DEFER, "4.3.0",
		    "cannot switch to uid %ld: %s", (long)mb->uid, strerror(errno));
		(void)privsep_restore();
		return;
	}
	strbuf_init(&why, 4096);
	if (dotlock_take(lock, mb, &as_root, &why) < 0) {
		err = errno;
		rc = -1;
	} else {
		rc = append_copy(msg, mb, rcpt, &why);
		err = errno;
		if (unlink_as(lock, as_root, mb) < 0)
			log_warn_errno("cannot remove lock file %s", lock);
	}
	if (privsep_restore() < 0) {
		log_warn_errno("cannot restore privileges");
		server_request_exit();
	}
	if (rc == 0)
		local_result_set(res, DELIVER_OK, "2.0.0", "delivered to mailbox");
	else
		local_result_set(res, DELIVER_DEFER, local_errno_dsn(err),
		    "mbox delivery failed: %s", why.data);
	strbuf_release(&why);
}
