/*
 * ctl/ctl_queue.c — `tegami queue`: the queue tools (Postfix's postqueue
 * and postsuper in one).
 *
 *   flush                 every deferred message is due now, and qmgr forgets
 *                         its dead destinations (trigger 'F', as sendmail -q)
 *   list                  the mailq listing (sendmail/mailq.c, shared)
 *   delete ID ...|ALL     remove messages from every queue       (root)
 *   hold ID ...|ALL       move them to hold/ (no delivery)         (root)
 *   release ID ...|ALL    move held messages to deferred/, due now (root)
 *
 * Safe against a running qmgr as postsuper is: every change is one rename
 * or unlink of a queue file, and qmgr treats a file that vanished from
 * active/ as gone (the delivery in progress may still complete).  Queue
 * ids are checked before they become paths.  Errors are printed; the exit
 * status is 1 when anything failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "mail_params.h"
#include "netio.h"
#include "qfile.h"
#include "../sendmail/sendmail.h"

/* The queues a message can be in (maildrop/ is pickup's, not ours). */
static const char *const queues[] = {
	QDIR_INCOMING, QDIR_ACTIVE, QDIR_DEFERRED, QDIR_HOLD, NULL,
};

enum qop { QOP_DELETE, QOP_HOLD, QOP_RELEASE };

static const struct {
	const char *name;
	const char *done;	/* postsuper's summary words */
} qop_words[] = {
	[QOP_DELETE] = { "delete", "Deleted" },
	[QOP_HOLD] = { "hold", "Placed on hold" },
	[QOP_RELEASE] = { "release", "Released from hold" },
};

/* Apply op to message id found in queue `from`.  1 done, 0 nothing to do
 * (already held, not held), VANISHED (qmgr moved it meanwhile: look
 * again), -1 error (printed). */
#define VANISHED	2
/* qmgr moves files between the queues while we look: a message missed
 * because it moved is found by another pass. */
#define PASSES		5

static int
apply_one(enum qop op, const char *from, const char *id)
{
	char path[PATH_MAX];
	struct timespec ts[2];

	qfile_path(path, sizeof(path), var_queue_dir, from, id);
	switch (op) {
	case QOP_DELETE:
		if (unlink(path) < 0) {
			if (errno == ENOENT)
				return VANISHED;
			ctl_warn("%s: %s", path, strerror(errno));
			return -1;
		}
		/* Its defer log goes with it. */
		qfile_path(path, sizeof(path), var_queue_dir, QDIR_DEFER_LOG, id);
		(void)unlink(path);
		return 1;
	case QOP_HOLD:
		if (strcmp(from, QDIR_HOLD) == 0)
			return 0;
		break;
	case QOP_RELEASE:
		if (strcmp(from, QDIR_HOLD) != 0)
			return 0;
		/* Due now: the mtime of a deferred file is its retry time. */
		ts[0].tv_sec = ts[1].tv_sec = time(NULL);
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		(void)utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
		break;
	}
	if (qfile_move(var_queue_dir, from, op == QOP_HOLD ? QDIR_HOLD :
	    QDIR_DEFERRED, id) < 0) {
		if (errno == ENOENT)
			return VANISHED;
		ctl_warn("%s: cannot move from %s/: %s", id, from, strerror(errno));
		return -1;
	}
	return 1;
}

/* op on one id, wherever it is. */
static int
apply_id(enum qop op, const char *id, long *count)
{
	struct stat st;
	char path[PATH_MAX];
	int pass, rc = VANISHED;
	size_t i;

	if (!qfile_id_valid(id)) {
		ctl_warn("%s: not a queue id", id);
		return -1;
	}
	/* A message moving from a queue not read yet to one already read is
	 * missed by one pass, not by all of them. */
	for (pass = 0; pass < PASSES && rc == VANISHED; pass++) {
		for (i = 0; queues[i] != NULL && rc == VANISHED; i++) {
			qfile_path(path, sizeof(path), var_queue_dir, queues[i], id);
			if (lstat(path, &st) == 0)
				rc = apply_one(op, queues[i], id);
		}
	}
	if (rc < 0)
		return -1;
	if (rc == VANISHED) {
		ctl_warn("%s: no such message", id);
		return -1;
	}
	*count += rc;
	return 0;
}

/* One pass of op over every message; *missed is set when a message moved
 * away under us. */
static int
apply_pass(enum qop op, long *count, int *missed)
{
	char path[PATH_MAX];
	struct dirent *de;
	int errors = 0, rc;
	size_t i;
	DIR *dir;

	for (i = 0; queues[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", var_queue_dir, queues[i]);
		if ((dir = opendir(path)) == NULL) {
			ctl_warn("%s: %s", path, strerror(errno));
			errors++;
			continue;
		}
		/* Renames into another directory do not disturb this readdir. */
		while ((de = readdir(dir)) != NULL) {
			if (!qfile_id_valid(de->d_name))
				continue;
			if ((rc = apply_one(op, queues[i], de->d_name)) < 0)
				errors++;
			else if (rc == VANISHED)
				*missed = 1;
			else
				*count += rc;
		}
		closedir(dir);
	}
	return errors ? -1 : 0;
}

/* op on every message (ALL): passes until one changes nothing.  A message
 * that qmgr moved from a queue already read into one not read yet is
 * caught by the next pass (deferred/ -> active/ goes backwards). */
static int
apply_all(enum qop op, long *count)
{
	long before;
	int pass, missed, errors = 0;

	for (pass = 0; pass < PASSES; pass++) {
		before = *count;
		missed = 0;
		if (apply_pass(op, count, &missed) < 0)
			errors++;
		/* A second look at what hold or release moved changes
		 * nothing; delete finds only what it missed. */
		if (*count == before && !missed)
			break;
	}
	return errors ? -1 : 0;
}

static int
queue_modify(enum qop op, int argc, char **argv)
{
	long count = 0;
	int i, errors = 0;

	if (argc < 2) {
		ctl_error("usage: tegami queue %s ID ...|ALL", qop_words[op].name);
		return 1;
	}
	if (geteuid() != 0) {
		ctl_error("queue %s: only root may change the queue",
		    qop_words[op].name);
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "ALL") == 0) {
			if (apply_all(op, &count) < 0)
				errors++;
		} else if (apply_id(op, argv[i], &count) < 0) {
			errors++;
		}
	}
	ctl_msg("%s: %ld message%s", qop_words[op].done, count,
	    count == 1 ? "" : "s");
	/* Released mail is due: tell qmgr to look at deferred/ now. */
	if (op == QOP_RELEASE && count > 0)
		(void)trigger_send_byte(var_queue_dir, QDIR_PUBLIC, "qmgr", 'F');
	return errors ? 1 : 0;
}

int
ctl_cmd_queue(int argc, char **argv)
{
	struct strbuf err;
	const char *sub = argc > 1 ? argv[1] : "";

	strbuf_init(&err, 4096);
	if (ctl_load_config(0, &err) < 0) {
		ctl_error("%s", err.data);
		strbuf_release(&err);
		return 1;
	}
	strbuf_release(&err);
	if (strcmp(sub, "flush") == 0 && argc == 2) {
		if (trigger_send_byte(var_queue_dir, QDIR_PUBLIC, "qmgr", 'F') < 0) {
			ctl_error("Cannot flush mail queue - mail system is down");
			return 1;
		}
		return 0;
	}
	if (strcmp(sub, "list") == 0 && argc == 2)
		return mailq_run("tegami", ctl_config_dir) == SM_EX_OK ? 0 : 1;
	if (strcmp(sub, "delete") == 0)
		return queue_modify(QOP_DELETE, argc - 1, argv + 1);
	if (strcmp(sub, "hold") == 0)
		return queue_modify(QOP_HOLD, argc - 1, argv + 1);
	if (strcmp(sub, "release") == 0)
		return queue_modify(QOP_RELEASE, argc - 1, argv + 1);
	ctl_error("usage: tegami queue flush | list | delete ID ...|ALL | "
	    "hold ID ...|ALL | release ID ...|ALL");
	return 1;
}
