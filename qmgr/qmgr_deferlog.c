/*
 * qmgr/qmgr_deferlog.c — the per-message defer log, QUEUE_DIR/defer/ID.
 *
 * Format (also in doc/defer-log.md): a sequence of lib/record.h records,
 * one pair per deferred recipient, appended in the order of the results:
 *     'R' record: the recipient address (external form, no NUL)
 *     'W' record: the reason ("delivery temporarily suspended: ...")
 * Both records of a pair go out in one O_APPEND write.  qmgr removes the
 * log when a message enters the active queue (the reasons of the new
 * attempt replace the old ones) and when the message leaves the queue;
 * readers (showq, bounces of expired messages) take the last 'W' for a
 * recipient.  Readers treat the file as untrusted.  Errors are returned.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qmgr.h"
#include "record.h"

#define DEFERLOG_REC_MAX	4096	/* longest address or reason kept */

static void
deferlog_path(char *buf, size_t size, const char *queue_dir, const char *id)
{
	qfile_path(buf, size, queue_dir, QDIR_DEFER_LOG, id);
}

int
qmgr_deferlog_append(const char *queue_dir, const char *id, const char *rcpt,
    const char *reason)
{
	char path[PATH_MAX];
	struct strbuf rec;
	size_t rlen = strnlen(rcpt, DEFERLOG_REC_MAX);
	size_t wlen = strnlen(reason, DEFERLOG_REC_MAX);
	int fd, rc = -1;

	deferlog_path(path, sizeof(path), queue_dir, id);
	strbuf_init(&rec, 2 * (DEFERLOG_REC_MAX + REC_HDR_LEN));
	if (rec_put(&rec, 'R', rcpt, rlen) < 0 || rec_put(&rec, 'W', reason, wlen) < 0)
		goto out;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out;
	if (write(fd, rec.data, rec.len) == (ssize_t)rec.len)
		rc = 0;
	else if (errno == 0)
		errno = EIO;
	if (close(fd) < 0)
		rc = -1;
out:
	strbuf_release(&rec);
	return rc;
}

void
qmgr_deferlog_remove(const char *queue_dir, const char *id)
{
	char path[PATH_MAX];

	deferlog_path(path, sizeof(path), queue_dir, id);
	(void)unlink(path);
}

int
qmgr_deferlog_read(const char *queue_dir, const char *id,
    int (*fn)(const char *rcpt, const char *reason, void *ctx), void *ctx,
    struct strbuf *why)
{
	char path[PATH_MAX];
	struct rec_reader *rd;
	struct strbuf rcpt, data;
	struct rec rec;
	int fd, st, rc = -1;

	deferlog_path(path, sizeof(path), queue_dir, id);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		strbuf_set_printf(why, "open %s: %s", path, strerror(errno));
		return -1;
	}
	rd = xmalloc(sizeof(*rd));
	rec_reader_init(rd, fd, 0, DEFERLOG_REC_MAX, "RW");
	strbuf_init(&rcpt, DEFERLOG_REC_MAX);
	strbuf_init(&data, DEFERLOG_REC_MAX);
	for (;;) {
		st = rec_next(rd, &rec, &data);
		if (st == REC_EOF) {
			rc = rcpt.len == 0 ? 0 : -1;
			if (rc < 0)
				strbuf_set_str(why, "recipient without a reason");
			break;
		}
		if (st != REC_OK) {
			strbuf_set_str(why, rec_status_str(st));
			break;
		}
		if (rec.type == 'R') {
			if (strlen(data.data) != data.len) {
				strbuf_set_str(why, "NUL in recipient");
				break;
			}
			strbuf_set_str(&rcpt, data.data);
			continue;
		}
		/* 'W' */
		if (rcpt.len == 0) {
			strbuf_set_str(why, "reason without a recipient");
			break;
		}
		if (strlen(data.data) != data.len) {
			strbuf_set_str(why, "NUL in reason");
			break;
		}
		if (fn(rcpt.data, data.data, ctx) != 0) {
			rc = 0;
			break;
		}
		strbuf_reset(&rcpt);
	}
	strbuf_release(&rcpt);
	strbuf_release(&data);
	free(rd);
	close(fd);
	return rc;
}
