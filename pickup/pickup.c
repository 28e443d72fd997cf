/*
 * pickup/pickup.c — feed the files that postdrop left in QUEUE_DIR/maildrop
 * to cleanup (lib/cleanup_client.h), as Postfix's pickup does.
 *
 * A maildrop file belongs to the user who ran sendmail, so it is untrusted:
 * it is opened without following links and must be a regular file; the
 * submitting uid is the file's owner (not the "uid" attribute the file
 * claims); only the extract flag, the sender, the recipients, the full name
 * and the content are taken from it, and cleanup validates all of them
 * again with CLEANUP_F_LOCAL set.  The file is removed only after cleanup
 * answered 0.  A file that does not parse, or that cleanup rejects for good
 * (5xx), is moved to corrupt/ with a warning (XXX: Postfix bounces the
 * latter to the sender; tegami should too once bounces exist); a temporary
 * failure leaves it for the next scan.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup_client.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "pickup.h"
#include "qfile.h"

static enum pickup_result
pickup_corrupt(const char *id, const char *why)
{
	log_warn("%s: moving maildrop file to %s: %s", id, QDIR_CORRUPT, why);
	if (qfile_move(var_queue_dir, QDIR_MAILDROP, QDIR_CORRUPT, id) < 0) {
		log_warn_errno("%s: cannot move to %s", id, QDIR_CORRUPT);
		return PICKUP_RETRY;
	}
	return PICKUP_CORRUPT;
}

/* Send the file's message to cleanup. Returns the cleanup_close result
 * (0, 4xx/5xx, -1), or -2 when the file's content is corrupt. */
static int
pickup_send(int fd, const struct qfile_env *env, uid_t uid,
    char qid[QFILE_ID_LEN + 1], struct strbuf *reason)
{
	struct cleanup_client *c;
	struct strbuf chunk;
	const char *full_name = qfile_env_attr(env, IPC_ATTR_FULL_NAME);
	char uidbuf[32];
	off_t off = env->content_off;
	size_t i;
	int r;

	c = cleanup_open(var_queue_dir, CLEANUP_F_LOCAL |
	    (env->flags & CLEANUP_F_EXTRACT), reason);
	if (c == NULL)
		return -1;
	snprintf(uidbuf, sizeof(uidbuf), "%lu", (unsigned long)uid);
	r = cleanup_attr(c, IPC_ATTR_PROTOCOL, "local");
	if (r == 0)
		r = cleanup_attr(c, IPC_ATTR_UID, uidbuf);
	if (r == 0 && full_name != NULL)
		r = cleanup_attr(c, IPC_ATTR_FULL_NAME, full_name);
	if (r == 0)
		r = cleanup_sender(c, env->sender);
	for (i = 0; r == 0 && i < env->nrcpt; i++)
		r = cleanup_rcpt(c, env->rcpts[i].addr, NULL, 0);
	strbuf_init(&chunk, STRBUF_NOLIMIT);
	while (r == 0 && (r = qfile_read_content(fd, &off, &chunk, reason)) == 1)
		r = cleanup_data(c, chunk.data, chunk.len);
	strbuf_release(&chunk);
	if (r < 0) {
		/* qfile_read_content failed (corrupt), or the client did. */
		cleanup_abandon(c);
		return reason->len > 0 ? -2 : -1;
	}
	return cleanup_close(c, qid, reason);
}

enum pickup_result
pickup_file(const char *id)
{
	char path[4096], qid[QFILE_ID_LEN + 1] = "";
	struct qfile_env *env = NULL;
	struct strbuf why;
	struct stat st;
	enum pickup_result res;
	int fd, r;

	qfile_path(path, sizeof(path), var_queue_dir, QDIR_MAILDROP, id);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return PICKUP_DONE;	/* a concurrent pickup took it */
		if (errno == ELOOP)
			return pickup_corrupt(id, "symbolic link");
		log_warn_errno("%s: open maildrop file", id);
		return PICKUP_RETRY;
	}
	strbuf_init(&why, 1024);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		res = pickup_corrupt(id, "not a regular file");
	else if (qfile_read_envelope(fd, &env, &why) < 0)
		res = pickup_corrupt(id, why.data);
	else {
		r = pickup_send(fd, env, st.st_uid, qid, &why);
		if (r == 0) {
			log_info("%s: uid=%lu from=<%s>", qid,
			    (unsigned long)st.st_uid, env->sender);
			if (unlink(path) < 0 && errno != ENOENT)
				log_warn_errno("%s: remove %s", qid, path);
			res = PICKUP_DONE;
		} else if (r == -2)
			res = pickup_corrupt(id, why.data);
		else if (r >= 500)
			res = pickup_corrupt(id, why.data);
		else {
			log_warn("%s: cleanup: %s; will retry", id, why.len ?
			    why.data : "temporary failure");
			res = r < 0 ? PICKUP_STOP : PICKUP_RETRY;
		}
	}
	qfile_env_free(env);
	strbuf_release(&why);
	close(fd);
	return res;
}

void
pickup_scan(void)
{
	char dir[4096];
	struct dirent *de;
	DIR *d;

	if (snprintf(dir, sizeof(dir), "%s/%s", var_queue_dir, QDIR_MAILDROP) >=
	    (int)sizeof(dir) || (d = opendir(dir)) == NULL) {
		log_warn_errno("open %s/%s", var_queue_dir, QDIR_MAILDROP);
		return;
	}
	/* Temporary files of postdrop (t.PID.N) are not queue ids. */
	while ((de = readdir(d)) != NULL)
		if (qfile_id_valid(de->d_name) &&
		    pickup_file(de->d_name) == PICKUP_STOP)
			break;
	closedir(d);
}
