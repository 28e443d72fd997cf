/*
 * local-delivery/local_forward.c — reading ~/.forward and :include: files.
 *
 * Both are opened without following a final symlink and checked on the
 * open descriptor (no race between check and read): a regular file, not
 * group- or world-writable, owned by the user (.forward) or by the owner
 * of the context naming it (:include:; root's own files only for a
 * root-owned alias table).  The caller opens both with the privileges of
 * that context, never as root for a user.  Anything else is refused with
 * a reason naming the file, and the recipient is deferred, as Postfix does for an
 * unsafe .forward.  The text read is bounded by LOCAL_FORWARD_MAX.
 * local_forward_send() queues the copy for forwarded (non-local) targets
 * as one new message through cleanup, with a Delivered-To: header.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup_client.h"
#include "local.h"
#include "mail_params.h"

/* 1 read, 0 absent, -1 error/unsafe. */
static int
read_checked(const char *path, int want_owner, uid_t owner, uid_t *file_owner,
    gid_t *file_group, struct strbuf *value, struct strbuf *why)
{
	struct stat st;
	char buf[8192];
	ssize_t n;
	int fd;

	strbuf_reset(value);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		strbuf_set_printf(why, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		strbuf_set_printf(why, "cannot stat %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_set_printf(why, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		strbuf_set_printf(why, "%s is %s-writable: refusing to use it", path,
		    (st.st_mode & S_IWOTH) ? "world" : "group");
		close(fd);
		return -1;
	}
	if (want_owner == 1 && st.st_uid != owner) {
		strbuf_set_printf(why, "%s is owned by uid %lu, not by its user"
		    " (uid %lu): refusing to use it", path, (unsigned long)st.st_uid,
		    (unsigned long)owner);
		close(fd);
		return -1;
	}
	/* A root-owned include file is trusted only in root's own context
	 * (an alias table owned by root): anybody else naming one must not
	 * get its contents expanded (and echoed) on their behalf. */
	if (want_owner == 2 && st.st_uid != owner) {
		if (owner == 0 || st.st_uid != 0)
			strbuf_set_printf(why, "%s is owned by uid %lu, not by root or"
			    " the alias file owner (uid %lu): refusing to use it", path,
			    (unsigned long)st.st_uid, (unsigned long)owner);
		else
			strbuf_set_printf(why, "%s is owned by root, not by the owner"
			    " (uid %lu) of the file or table naming it: refusing to use"
			    " it", path, (unsigned long)owner);
		close(fd);
		return -1;
	}
	if (file_owner)
		*file_owner = st.st_uid;
	if (file_group)
		*file_group = st.st_gid;
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			strbuf_set_printf(why, "cannot read %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (value->len + (size_t)n > LOCAL_FORWARD_MAX) {
			strbuf_set_printf(why, "%s is larger than %d bytes", path,
			    LOCAL_FORWARD_MAX);
			close(fd);
			return -1;
		}
		strbuf_append(value, buf, (size_t)n);
	}
	close(fd);
	return 1;
}

/* Drop comment lines (# in the first column) and keep the rest. */
static void
strip_comments(struct strbuf *value)
{
	struct strbuf out;
	size_t i = 0;

	strbuf_init(&out, STRBUF_NOLIMIT);
	while (i < value->len) {
		const char *nl = memchr(value->data + i, '\n', value->len - i);
		size_t end = nl ? (size_t)(nl - value->data) + 1 : value->len;

		if (value->data[i] != '#')
			strbuf_append(&out, value->data + i, end - i);
		i = end;
	}
	strbuf_set_str(value, out.data);
	strbuf_release(&out);
}

int
local_forward_read(const char *path, uid_t uid, struct strbuf *value,
    struct strbuf *why)
{
	int rc = read_checked(path, 1, uid, NULL, NULL, value, why);

	if (rc > 0)
		strip_comments(value);
	return rc;
}

int
local_include_read(const char *path, uid_t owner, struct strbuf *value,
    uid_t *file_owner, gid_t *file_group, struct strbuf *why)
{
	int rc;

	if (path[0] != '/') {
		strbuf_set_printf(why, ":include: %s: not an absolute path", path);
		return -1;
	}
	rc = read_checked(path, 2, owner, file_owner, file_group, value, why);
	if (rc == 0) {
		strbuf_set_printf(why, ":include: %s: no such file", path);
		return -1;
	}
	if (rc > 0)
		strip_comments(value);
	return rc < 0 ? -1 : 0;
}

/* ---- forwarding: remote targets queued as one new message ---- */

int
local_forward_send(const struct local_msg *msg, const char *rcpt,
    const char *sender, const char *const *addrs, size_t n,
    char id[QFILE_ID_LEN + 1], struct strbuf *why)
{
	struct cleanup_client *c;
	struct strbuf chunk, line;
	off_t off = msg->env->content_off;
	size_t i;
	int rc;

	strbuf_reset(why);
	if ((c = cleanup_open(var_queue_dir, 0, why)) == NULL)
		return -1;
	strbuf_init(&chunk, STRBUF_NOLIMIT);
	strbuf_init(&line, LOCAL_ADDR_MAX + 64);
	rc = cleanup_sender(c, sender);
	for (i = 0; i < n && rc == 0; i++)
		rc = cleanup_rcpt(c, addrs[i], "", 0);
	/* Delivered-To: lets the next hop see a loop back to us. */
	if (rc == 0) {
		strbuf_printf(&line, "Delivered-To: %s\n", rcpt);
		rc = cleanup_data(c, line.data, line.len);
	}
	while (rc == 0 && (rc = qfile_read_content(msg->fd, &off, &chunk, why)) > 0)
		rc = cleanup_data(c, chunk.data, chunk.len);
	strbuf_release(&chunk);
	strbuf_release(&line);
	if (rc < 0) {
		if (why->len == 0)
			strbuf_set_str(why, "cleanup: I/O error");
		cleanup_abandon(c);
		return -1;
	}
	rc = cleanup_close(c, id, why);
	if (rc != 0 && why->len == 0)
		strbuf_set_str(why, "cleanup refused the forwarded message");
	return rc == 0 ? 0 : -1;
}
