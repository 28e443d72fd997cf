/*
 * local-delivery/local_file.c — delivery to a /file target of an alias,
 * :include: or .forward.
 *
 * The message is appended in mbox format (From_ line, quoted "From "
 * lines, blank line) with the target's privileges (the alias table owner,
 * default_privs for root, or the .forward owner): the file is opened and
 * created only as that user, never as root, without following a final
 * symlink, and must be a regular file with a single link (/dev/null is
 * accepted and discards the message).  An fcntl lock serialises writers;
 * a failed write is truncated back.  Errors defer the recipient.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc_names.h"
#include "local.h"
#include "log.h"
#include "privsep.h"
#include "server.h"

static int
append_file(const struct local_msg *msg, const char *path, const char *rcpt,
    struct strbuf *why)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct stat st;
	long attempt;
	int fd, rc, err;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600);
	if (fd < 0) {
		strbuf_set_printf(why, "cannot open file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		strbuf_set_printf(why, "%s is not a regular file with one link", path);
		close(fd);
		errno = 0;
		return -1;
	}
	for (attempt = 0; fcntl(fd, F_SETLK, &fl) < 0; attempt++) {
		if (attempt >= var_deliver_lock_attempts) {
			strbuf_set_printf(why, "cannot lock %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		sleep((unsigned)(var_deliver_lock_delay > 0 ? var_deliver_lock_delay : 1));
	}
	if (fstat(fd, &st) < 0) {
		strbuf_set_printf(why, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	rc = local_write_message(msg, fd, rcpt, LOCAL_W_MBOX, why);
	err = errno;
	if (rc == 0 && fsync(fd) < 0) {
		err = errno;
		strbuf_set_printf(why, "fsync %s: %s", path, strerror(err));
		rc = -1;
	}
	if (rc < 0 && ftruncate(fd, st.st_size) < 0)
		log_warn_errno("cannot truncate %s back to %lld bytes", path,
		    (long long)st.st_size);
	close(fd);
	errno = err;
	return rc;
}

void
local_file_deliver(const struct local_msg *msg, const struct local_target *t,
    const char *rcpt, struct local_result *res)
{
	struct strbuf why;
	int rc, err;

	if (strcmp(t->value, "/dev/null") == 0) {
		local_result_set(res, DELIVER_OK, "2.0.0", "delivered to file: /dev/null");
		return;
	}
	if (privsep_become(t->uid, t->gid) < 0) {
		local_result_set(res, DELIVER_DEFER, "4.3.0",
		    "cannot switch to uid %ld: %s", (long)t->uid, strerror(errno));
		(void)privsep_restore();
		return;
	}
	strbuf_init(&why, 4096);
	rc = append_file(msg, t->value, rcpt, &why);
	err = errno;
	if (privsep_restore() < 0) {
		log_warn_errno("cannot restore privileges");
		server_request_exit();
	}
	if (rc == 0)
		local_result_set(res, DELIVER_OK, "2.0.0", "delivered to file: %s",
		    t->value);
	else
		local_result_set(res, DELIVER_DEFER, err ? local_errno_dsn(err) :
		    "4.3.0", "file delivery failed: %s", why.data);
	strbuf_release(&why);
}
