/*
 * showq/showq.c — the queue listing service behind mailq (public/showq,
 * lib/ipc_names.h).
 *
 * Walks incoming, active, deferred, hold and maildrop, reads each file's
 * envelope (never its content) and sends one frame per message that still
 * has pending recipients; a deferred recipient carries the last reason from
 * the message's defer log (QUEUE_DIR/defer/ID, 'R'/'W' record pairs written
 * by qmgr).  Queue files and defer logs are untrusted: one that does not
 * parse is skipped with a warning, and a frame never grows past half of
 * ipc_frame_limit.  The client is untrusted too: it only chooses when to
 * ask.  Errors are logged, never fatal.
 */
#include <bsd/string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <search.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "record.h"
#include "showq.h"

#define DEFER_PAIRS_MAX	1000	/* defer log entries considered per message */
#define DEFER_REC_MAX	4096	/* longest address or reason read */

static const char *const showq_queues[] = {
	QDIR_INCOMING, QDIR_ACTIVE, QDIR_DEFERRED, QDIR_HOLD, QDIR_MAILDROP, NULL,
};

struct defer_pair {
	char   *rcpt;
	char   *reason;
};

struct defer_log {
	struct defer_pair *v;
	size_t	n;
};

static void
defer_log_free(struct defer_log *dl)
{
	size_t i;

	for (i = 0; i < dl->n; i++) {
		free(dl->v[i].rcpt);
		free(dl->v[i].reason);
	}
	free(dl->v);
	dl->v = NULL;
	dl->n = 0;
}

/* Read the defer log of id (absent: no reasons). */
static void
defer_log_read(const char *id, struct defer_log *dl)
{
	char path[4096];
	struct rec_reader *rd;
	struct strbuf data, rcpt;
	struct rec rec;
	int fd, st;

	qfile_path(path, sizeof(path), var_queue_dir, QDIR_DEFER_LOG, id);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return;
	rd = xmalloc(sizeof(*rd));
	rec_reader_init(rd, fd, 0, DEFER_REC_MAX, "RW");
	strbuf_init(&data, DEFER_REC_MAX);
	strbuf_init(&rcpt, DEFER_REC_MAX);
	while (dl->n < DEFER_PAIRS_MAX && (st = rec_next(rd, &rec, &data)) == REC_OK) {
		if (strlen(data.data) != data.len)
			break;		/* NUL inside: corrupt */
		if (rec.type == 'R') {
			strbuf_set_str(&rcpt, data.data);
			continue;
		}
		if (rcpt.len == 0)
			break;
		dl->v = xreallocarray(dl->v, dl->n + 1, sizeof(*dl->v));
		dl->v[dl->n].rcpt = xstrdup(rcpt.data);
		dl->v[dl->n].reason = xstrdup(data.data);
		dl->n++;
		strbuf_reset(&rcpt);
	}
	strbuf_release(&data);
	strbuf_release(&rcpt);
	free(rd);
	close(fd);
}

/* The latest reason for rcpt, "" when none. */
static const char *
defer_reason(const struct defer_log *dl, const char *rcpt)
{
	size_t i;

	for (i = dl->n; i > 0; i--)
		if (strcmp(dl->v[i - 1].rcpt, rcpt) == 0)
			return dl->v[i - 1].reason;
	return "";
}

int
showq_entry(const struct qfile_env *env, const char *queue_name,
    struct ipc_msg *m)
{
	struct defer_log dl = { NULL, 0 };
	size_t i, budget = (size_t)var_ipc_frame_limit / 2, used = 0, npending = 0;
	const char *reason;

	defer_log_read(env->id, &dl);
	ipc_put_str(m, IPC_ATTR_QUEUE_ID, env->id);
	ipc_put_str(m, IPC_ATTR_QUEUE_NAME, queue_name);
	ipc_put_int(m, IPC_ATTR_SIZE, env->content_size);
	ipc_put_int(m, IPC_ATTR_ARRIVAL, env->arrival);
	ipc_put_str(m, IPC_ATTR_SENDER, env->sender);
	for (i = 0; i < env->nrcpt; i++) {
		if (env->rcpts[i].status != QF_RCPT_PENDING)
			continue;
		reason = defer_reason(&dl, env->rcpts[i].addr);
		/* XXX A huge recipient list is cut short rather than sent
		 * in a frame the client would refuse. */
		used += strlen(env->rcpts[i].addr) + strlen(reason) + 64;
		if (used > budget)
			break;
		ipc_put_str(m, IPC_ATTR_RCPT, env->rcpts[i].addr);
		ipc_put_str(m, IPC_ATTR_RCPT_REASON, reason);
		npending++;
	}
	defer_log_free(&dl);
	return npending > 0 ? 0 : -1;
}

/* Ids already listed in this report: a message that moves between
 * directories while they are walked (active/ to deferred/, say) is listed
 * once. */
static void *showq_seen;

static int
showq_seen_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Send the entry for one file; -1 when the client went away. */
static int
showq_file(int client, const char *queue, const char *id)
{
	char path[4096];
	struct qfile_env *env = NULL;
	struct ipc_msg *m;
	struct strbuf why;
	struct stat st;
	int fd, rc = 0;

	if (tfind(id, &showq_seen, showq_seen_cmp) != NULL)
		return 0;
	qfile_path(path, sizeof(path), var_queue_dir, queue, id);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno != ENOENT)	/* gone: delivered meanwhile */
			log_warn_errno("%s: open %s", id, path);
		return 0;
	}
	strbuf_init(&why, 1024);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		log_warn("%s: %s is not a regular file", id, path);
	else if (qfile_read_envelope(fd, &env, &why) < 0)
		log_warn("%s: skipping unreadable queue file %s: %s", id, path,
		    why.data);
	else {
		strlcpy(env->id, id, sizeof(env->id));
		m = ipc_msg_new();
		if (showq_entry(env, queue, m) == 0 &&
		    ipc_send(client, m, (int)var_ipc_timeout * 1000) < 0)
			rc = -1;
		(void)tsearch(xstrdup(id), &showq_seen, showq_seen_cmp);
		ipc_msg_free(m);
	}
	qfile_env_free(env);
	strbuf_release(&why);
	close(fd);
	return rc;
}

/* Every message of one queue directory; -1 when the client went away. */
static int
showq_queue(int client, const char *queue)
{
	char dir[4096];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (snprintf(dir, sizeof(dir), "%s/%s", var_queue_dir, queue) >=
	    (int)sizeof(dir) || (d = opendir(dir)) == NULL) {
		log_warn_errno("open %s/%s", var_queue_dir, queue);
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (qfile_id_valid(de->d_name))
			rc = showq_file(client, queue, de->d_name);
	closedir(d);
	return rc;
}

void
showq_service(int fd)
{
	struct ipc_msg *m = NULL;
	struct strbuf why;
	const char *req;
	size_t i;
	int rc;

	strbuf_init(&why, 1024);
	rc = ipc_recv(fd, (size_t)var_ipc_frame_limit, (int)var_ipc_timeout * 1000,
	    &m, &why);
	req = rc == 1 ? ipc_get_str(m, IPC_ATTR_REQ) : NULL;
	if (req == NULL || strcmp(req, IPC_REQ_LIST) != 0) {
		if (rc != 0)
			log_warn("showq client: %s", rc < 0 ? why.data :
			    "unexpected request");
		goto out;
	}
	for (i = 0; showq_queues[i] != NULL; i++)
		if (showq_queue(fd, showq_queues[i]) < 0)
			goto out;
	ipc_msg_reset(m);
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_END);
	tdestroy(showq_seen, free);
	showq_seen = NULL;
	if (ipc_send(fd, m, (int)var_ipc_timeout * 1000) < 0)
		log_warn_errno("showq client went away");
out:
	if (showq_seen != NULL) {
		tdestroy(showq_seen, free);
		showq_seen = NULL;
	}
	ipc_msg_free(m);
	strbuf_release(&why);
}

int
showq_stdin_main(int argc, char **argv)
{
	const char *config_dir = NULL;
	struct strbuf err;
	int i;

	log_init("showq", LOG_DEST_STDERR, NULL);
	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], "-c") == 0)
			config_dir = argv[++i];
	strbuf_init(&err, 4096);
	conf_register(showq_params);
	if (mail_params_load(config_dir, NULL, &err) < 0)
		log_fatal("%s", err.data);
	strbuf_release(&err);
	showq_service(STDIN_FILENO);
	return 0;
}
