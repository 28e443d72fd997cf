/*
 * local-delivery/local_maildir.c — delivery into a Maildir.
 *
 * As the mailbox's user (privsep_become when running as root): create the
 * Maildir, the directories above it and its tmp/ new/ cur/ when missing
 * (mode 0700), write the copy
 * under a unique name in tmp/ (O_EXCL, O_NOFOLLOW), fsync it, rename it
 * into new/ and fsync new/: success is reported only when the message is
 * durable.  Any error removes the temporary file and defers with a precise
 * text ("maildir delivery failed: ..."); nothing here is fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <bsd/string.h>

#include "ipc_names.h"
#include "local.h"
#include "log.h"
#include "privsep.h"
#include "server.h"

const char *
local_errno_dsn(int err)
{
	if (err == EDQUOT)
		return "4.2.2";		/* mailbox full */
	if (err == ENOSPC)
		return "4.3.1";		/* mail system full */
	return "4.2.0";
}

void
local_maildir_name(char *buf, size_t size)
{
	static unsigned long count;
	char host[256], safe[1024];
	struct timeval tv;
	size_t i, o = 0;

	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	/* The Maildir spec: '/' and ':' in the host name are escaped. */
	for (i = 0; host[i] != '\0' && o + 5 < sizeof(safe); i++) {
		if (host[i] == '/')
			o += (size_t)snprintf(safe + o, sizeof(safe) - o, "\\057");
		else if (host[i] == ':')
			o += (size_t)snprintf(safe + o, sizeof(safe) - o, "\\072");
		else
			safe[o++] = host[i];
	}
	safe[o] = '\0';
	gettimeofday(&tv, NULL);
	snprintf(buf, size, "%lld.M%ldP%ldQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++count, safe);
}

static int
make_dir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* mkdir -p: every missing directory of path (virtual mailboxes such as
 * BASE/domain/user/ need more than one level). */
static int
make_parents(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (strlcpy(buf, path, sizeof(buf)) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = strchr(buf + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (make_dir(buf) < 0)
			return -1;
		*p = '/';
	}
	return make_dir(buf);
}

/* Create what is missing of the Maildir. Returns the failing path in why. */
static int
make_maildir(const struct local_mailbox *mb, struct strbuf *why)
{
	static const char *const subs[] = { "tmp", "new", "cur" };
	char path[PATH_MAX + 8];
	size_t i;

	if (mb->parent[0] != '\0' && make_parents(mb->parent) < 0) {
		strbuf_set_printf(why, "create %s: %s", mb->parent, strerror(errno));
		return -1;
	}
	if (make_dir(mb->path) < 0) {
		strbuf_set_printf(why, "create %s: %s", mb->path, strerror(errno));
		return -1;
	}
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", mb->path, subs[i]);
		if (make_dir(path) < 0) {
			strbuf_set_printf(why, "create %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Write the copy; 0 or -1 with why and errno (0 for queue-file trouble). */
static int
write_copy(const struct local_msg *msg, const struct local_mailbox *mb,
    const char *rcpt, struct strbuf *why)
{
	char name[512], tmp[PATH_MAX + 600], new[PATH_MAX + 600], dir[PATH_MAX + 8];
	int fd, err;

	if (make_maildir(mb, why) < 0)
		return -1;
	local_maildir_name(name, sizeof(name));
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", mb->path, name);
	snprintf(new, sizeof(new), "%s/new/%s", mb->path, name);
	snprintf(dir, sizeof(dir), "%s/new", mb->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		strbuf_set_printf(why, "create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (local_write_message(msg, fd, rcpt, 0, why) < 0)
		goto fail;
	if (fsync(fd) < 0) {
		strbuf_set_printf(why, "fsync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		strbuf_set_printf(why, "close %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, new) < 0) {
		strbuf_set_printf(why, "rename %s to %s: %s", tmp, new, strerror(errno));
		goto fail;
	}
	/* The directory entry must be durable before we say "delivered". */
	if (fsync_dir(dir) < 0) {
		err = errno;
		strbuf_set_printf(why, "fsync %s: %s", dir, strerror(err));
		(void)unlink(new);
		errno = err;
		return -1;
	}
	return 0;
fail:
	err = errno;
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp);
	errno = err;
	return -1;
}

void
local_maildir_deliver(const struct local_msg *msg, const struct local_mailbox *mb,
    const char *rcpt, struct local_result *res)
{
	struct strbuf why;
	int rc, err;

	if (privsep_become(mb->uid, mb->gid) < 0) {
		local_result_set(res, DELIVER_DEFER, "4.3.0",
		    "cannot switch to uid %ld: %s", (long)mb->uid, strerror(errno));
		(void)privsep_restore();
		return;
	}
	strbuf_init(&why, 4096);
	rc = write_copy(msg, mb, rcpt, &why);
	err = errno;
	if (privsep_restore() < 0) {
		/* We cannot be root again: finish this request, then exit. */
		log_warn_errno("cannot restore privileges");
		server_request_exit();
	}
	if (rc == 0)
		local_result_set(res, DELIVER_OK, "2.0.0", "delivered to maildir");
	else
		local_result_set(res, DELIVER_DEFER, local_errno_dsn(err),
		    "maildir delivery failed: %s", why.data);
	strbuf_release(&why);
}
