/*
 * lib/qfile.c — writing queue files, making them durable, queue names.
 *
 * Called by cleanup (every new message) and by tools that build queue
 * files.  A writer builds the file as `t.<pid>.<n>` in the target
 * directory; qfile_commit() is the one place where a queue file becomes
 * durable (fsync file, no-replace rename to its queue id, fsync directory),
 * and a caller may answer 250 only after it returned 0.  The reader side is
 * lib/qfile_read.c; the format is doc/queue-format.md.
 * Errors are returned (0 / -1 with errno or a reason in a strbuf); a
 * temporary file that cannot be removed is a warning; only a bad queue id
 * reaching qfile_path() panics (our own invariant).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "qfile.h"
#include "record.h"

#define WRITER_FLUSH	(64 * 1024)	/* write(2) the buffer past this size */
#define COMMIT_TRIES	10000		/* fresh-timestamp retries on EEXIST */

struct qfile_writer {
	int	dirfd;
	int	fd;
	char	tmpname[64];
	struct strbuf out;	/* encoded records not yet written */
	struct strbuf chunk;	/* content not yet made into a record */
	int	err;		/* sticky errno of the first failure, 0 = fine */
	int	have_arrival;
	int	have_flags;
	int	have_sender;
	size_t	nrcpt;
	int	content_state;	/* 0 none yet, 1 in content, 2 content ended */
};

static unsigned tmp_counter;

/* Record the first failure; every later call fails with it. */
static int
writer_fail(struct qfile_writer *w, int err)
{
	if (w->err == 0)
		w->err = err;
	errno = w->err;
	return -1;
}

static int
writer_flush(struct qfile_writer *w)
{
	const char *p = w->out.data;
	size_t	n = w->out.len;
	ssize_t	r;

	while (n > 0) {
		r = write(w->fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return writer_fail(w, r < 0 ? errno : EIO);
		p += r;
		n -= (size_t)r;
	}
	strbuf_reset(&w->out);
	return 0;
}

static int
writer_put(struct qfile_writer *w, int type, const void *p, size_t n)
{
	if (w->err)
		return writer_fail(w, w->err);
	if (rec_put(&w->out, type, p, n) < 0)
		return writer_fail(w, EFBIG);
	if (w->out.len >= WRITER_FLUSH)
		return writer_flush(w);
	return 0;
}

/* Turn buffered content into a C record. */
static int
writer_put_chunk(struct qfile_writer *w)
{
	int	r;

	if (w->chunk.len == 0)
		return 0;
	r = writer_put(w, QREC_CONTENT, w->chunk.data, w->chunk.len);
	strbuf_reset(&w->chunk);
	return r;
}

/* An envelope record: ends the content if it had started (contiguity). */
static int
writer_put_env(struct qfile_writer *w, int type, const void *p, size_t n)
{
	if (w->content_state == 1) {
		if (writer_put_chunk(w) < 0)
			return -1;
		w->content_state = 2;
	}
	return writer_put(w, type, p, n);
}

struct qfile_writer *
qfile_create(const char *queue_dir, const char *subdir, struct strbuf *err)
{
	struct qfile_writer *w;
	unsigned char vrec[sizeof(QFILE_MAGIC) - 1 + 4];
	char	dir[4096];
	int	tries;

	if (snprintf(dir, sizeof(dir), "%s/%s", queue_dir, subdir) >= (int)sizeof(dir)) {
		strbuf_set_printf(err, "queue directory name too long");
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->fd = -1;
	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd < 0) {
		strbuf_set_printf(err, "open %s: %s", dir, strerror(errno));
		free(w);
		return NULL;
	}
	/* A stale t.PID.N of an earlier process with our pid: take the next. */
	for (tries = 0; tries < 100 && w->fd < 0; tries++) {
		snprintf(w->tmpname, sizeof(w->tmpname), "t.%ld.%u",
		    (long)getpid(), tmp_counter++);
		w->fd = openat(w->dirfd, w->tmpname,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (w->fd < 0 && errno != EEXIST)
			break;
	}
	if (w->fd < 0) {
		strbuf_set_printf(err, "create %s/%s: %s", dir, w->tmpname,
		    strerror(errno));
		close(w->dirfd);
		free(w);
		return NULL;
	}
	strbuf_init(&w->out, WRITER_FLUSH + QFILE_REC_MAX + REC_HDR_LEN);
	strbuf_init(&w->chunk, QFILE_CHUNK);
	memcpy(vrec, QFILE_MAGIC, sizeof(QFILE_MAGIC) - 1);
	rec_be32_put(vrec + sizeof(QFILE_MAGIC) - 1, QFILE_VERSION);
	writer_put(w, QREC_VERSION, vrec, sizeof(vrec));
	return w;
}

int
qfile_put_arrival(struct qfile_writer *w, int64_t when)
{
	unsigned char b[8];

	if (w->have_arrival++)
		return writer_fail(w, EINVAL);
	rec_be64_put(b, (uint64_t)when);
	return writer_put_env(w, QREC_ARRIVAL, b, sizeof(b));
}

int
qfile_put_flags(struct qfile_writer *w, int flags)
{
	unsigned char b[4];

	if (w->have_flags++ || flags < 0)
		return writer_fail(w, EINVAL);
	rec_be32_put(b, (uint32_t)flags);
	return writer_put_env(w, QREC_FLAGS, b, sizeof(b));
}

int
qfile_put_sender(struct qfile_writer *w, const char *sender)
{
	if (w->have_sender++)
		return writer_fail(w, EINVAL);
	return writer_put_env(w, QREC_SENDER, sender, strlen(sender));
}

int
qfile_put_rcpt(struct qfile_writer *w, const char *addr, const char *orcpt,
    int notify)
{
	unsigned char hdr[4];
	size_t	alen = strlen(addr), olen = orcpt ? strlen(orcpt) : 0;
	struct strbuf rec;
	int	r;

	/* The format's limits (u16 lengths, 4 notify bits) are checked here
	 * so the writer can never produce a file its reader rejects. */
	if (alen == 0 || alen > 0xffff || olen > 0xffff || notify < 0 ||
	    notify > 0x0f)
		return writer_fail(w, EINVAL);
	strbuf_init(&rec, 2 + 2 + alen + 2 + olen);
	hdr[0] = QF_RCPT_PENDING;
	hdr[1] = (unsigned char)notify;
	rec_be16_put(hdr + 2, (uint16_t)alen);
	strbuf_append(&rec, hdr, 4);
	strbuf_append(&rec, addr, alen);
	rec_be16_put(hdr, (uint16_t)olen);
	strbuf_append(&rec, hdr, 2);
	strbuf_append(&rec, orcpt ? orcpt : "", olen);
	r = writer_put_env(w, QREC_RCPT, rec.data, rec.len);
	strbuf_release(&rec);
	if (r == 0)
		w->nrcpt++;
	return r;
}

/* Attribute names are [a-z0-9_]+, as IPC names are. */
static int
attr_name_valid(const char *name)
{
	const char *cp;

	if (*name == 0 || strlen(name) > 64)
		return 0;
	for (cp = name; *cp; cp++)
		if (!((*cp >= 'a' && *cp <= 'z') || (*cp >= '0' && *cp <= '9') ||
		    *cp == '_'))
			return 0;
	return 1;
}

int
qfile_put_attr(struct qfile_writer *w, const char *name, const char *value)
{
	size_t	nlen = strlen(name), vlen = strlen(value);
	struct strbuf rec;
	int	r;

	if (!attr_name_valid(name) || vlen > QFILE_REC_MAX - nlen - 1)
		return writer_fail(w, EINVAL);
	strbuf_init(&rec, QFILE_REC_MAX);
	strbuf_append(&rec, name, nlen + 1);	/* with its NUL */
	strbuf_append(&rec, value, vlen);
	r = writer_put_env(w, QREC_ATTR, rec.data, rec.len);
	strbuf_release(&rec);
	return r;
}

int
qfile_put_content(struct qfile_writer *w, const void *p, size_t n)
{
	const char *cp = p;
	size_t	room;

	if (w->err)
		return writer_fail(w, w->err);
	if (w->content_state == 2)	/* content records must be contiguous */
		return writer_fail(w, EINVAL);
	w->content_state = 1;
	while (n > 0) {
		room = QFILE_CHUNK - w->chunk.len;
		if (room > n)
			room = n;
		strbuf_append(&w->chunk, cp, room);
		cp += room;
		n -= room;
		if (w->chunk.len == QFILE_CHUNK && writer_put_chunk(w) < 0)
			return -1;
	}
	return 0;
}

static void
writer_free(struct qfile_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	close(w->dirfd);
	strbuf_release(&w->out);
	strbuf_release(&w->chunk);
	free(w);
}

void
qfile_abort(struct qfile_writer *w)
{
	if (w == NULL)
		return;
	if (unlinkat(w->dirfd, w->tmpname, 0) < 0 && errno != ENOENT)
		log_warn_errno("remove temporary queue file %s", w->tmpname);
	writer_free(w);
}

/* The queue id: seconds, microseconds, low bits of the inode, in hex. */
static void
make_id(char id[QFILE_ID_LEN + 1], ino_t ino)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	snprintf(id, QFILE_ID_LEN + 1, "%08lX%05lX%04lX",
	    (unsigned long)tv.tv_sec & 0xffffffffUL,
	    (unsigned long)tv.tv_usec & 0xfffffUL,
	    (unsigned long)ino & 0xffffUL);
}

/* Rename without replacing: renameat2(RENAME_NOREPLACE), or link+unlink on
 * a file system without it.  Either way an existing id is never lost. */
static int
rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(dirfd, from, dirfd, to, 0) < 0)
		return -1;
	(void)unlinkat(dirfd, from, 0);
	return 0;
}

/* Finish the file: pending content, arrival if never given, END. */
static int
writer_finish(struct qfile_writer *w, struct strbuf *err)
{
	if (!w->have_sender || w->nrcpt == 0) {
		strbuf_set_printf(err, "queue file has no %s",
		    w->have_sender ? "recipients" : "sender");
		return -1;
	}
	if (w->content_state == 1 && writer_put_chunk(w) < 0)
		goto fail;
	if (!w->have_arrival && qfile_put_arrival(w, (int64_t)time(NULL)) < 0)
		goto fail;
	if (writer_put(w, QREC_END, NULL, 0) < 0 || writer_flush(w) < 0)
		goto fail;
	return 0;
fail:
	strbuf_set_printf(err, "write queue file: %s", strerror(w->err));
	return -1;
}

int
qfile_commit(struct qfile_writer *w, char id_out[QFILE_ID_LEN + 1],
    struct strbuf *err)
{
	char	id[QFILE_ID_LEN + 1];
	struct stat st;
	int	tries;

	if (writer_finish(w, err) < 0)
		goto fail;
	/* Data before name: the file's blocks must be on disk before the
	 * directory entry that makes it a message can be. */
	if (fsync(w->fd) < 0 || fstat(w->fd, &st) < 0) {
		strbuf_set_printf(err, "fsync queue file: %s", strerror(errno));
		goto fail;
	}
	for (tries = 0;; tries++) {
		make_id(id, st.st_ino);
		if (rename_noreplace(w->dirfd, w->tmpname, id) == 0)
			break;
		if (errno != EEXIST || tries >= COMMIT_TRIES) {
			strbuf_set_printf(err, "rename queue file: %s", strerror(errno));
			goto fail;
		}
	}
	/* The rename is durable only when the directory is.  If that fails
	 * we take the name back: the client gets a 4xx and retries, so
	 * keeping the file could only make a duplicate. */
	if (fsync(w->dirfd) < 0) {
		strbuf_set_printf(err, "fsync queue directory: %s", strerror(errno));
		if (unlinkat(w->dirfd, id, 0) < 0)
			log_warn_errno("remove unsynced queue file %s", id);
		writer_free(w);
		return -1;
	}
	memcpy(id_out, id, sizeof(id));
	writer_free(w);
	return 0;
fail:
	qfile_abort(w);
	return -1;
}

/* ---- names and moves ---- */

int
qfile_id_valid(const char *id)
{
	size_t	i;

	for (i = 0; i < QFILE_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'A' && id[i] <= 'F')))
			return 0;
	return id[i] == 0;
}

void
qfile_path(char *buf, size_t size, const char *queue_dir, const char *subdir,
    const char *id)
{
	if (!qfile_id_valid(id))
		log_panic("qfile_path: bad queue id");
	if ((size_t)snprintf(buf, size, "%s/%s/%s", queue_dir, subdir, id) >= size)
		log_panic("qfile_path: path too long for buffer");
}

static int
fsync_dir(const char *path)
{
	int	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int	r, saved;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

int
qfile_move(const char *queue_dir, const char *from, const char *to,
    const char *id)
{
	char	src[4096], dst[4096];

	qfile_path(src, sizeof(src), queue_dir, from, id);
	qfile_path(dst, sizeof(dst), queue_dir, to, id);
	if (rename(src, dst) < 0)
		return -1;
	/* dst's directory entry must survive a crash; on Linux file systems
	 * that also commits the removal from the source directory. */
	strrchr(dst, '/')[0] = 0;
	return fsync_dir(dst);
}

/* Subdirectories with their modes (header comment of qfile.h). */
static const struct qdir {
	const char *name;
	mode_t	mode;
	int	setgid_group;	/* group is setgid_group, not mail_owner's */
} qdirs[] = {
	{QDIR_MAILDROP, 01730, 1},
	{QDIR_INCOMING, 0700, 0},
	{QDIR_ACTIVE, 0700, 0},
	{QDIR_DEFERRED, 0700, 0},
	{QDIR_HOLD, 0700, 0},
	{QDIR_CORRUPT, 0700, 0},
	{QDIR_DEFER_LOG, 0700, 0},
	{QDIR_PUBLIC, 0710, 1},
	{QDIR_PRIVATE, 0700, 0},
	{QDIR_PID, 0700, 0},
};

int
qfile_make_dirs(const char *queue_dir, struct strbuf *err)
{
	char	path[4096];
	size_t	i;

	if (mkdir(queue_dir, 0755) < 0 && errno != EEXIST) {
		strbuf_set_printf(err, "mkdir %s: %s", queue_dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(qdirs) / sizeof(qdirs[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", queue_dir,
		    qdirs[i].name) >= (int)sizeof(path)) {
			strbuf_set_printf(err, "queue directory name too long");
			return -1;
		}
		if (mkdir(path, qdirs[i].mode) < 0) {
			if (errno == EEXIST)
				continue;	/* keep what the administrator set */
			strbuf_set_printf(err, "mkdir %s: %s", path, strerror(errno));
			return -1;
		}
		/* mkdir's mode passed through the umask and drops sticky. */
		if (chmod(path, qdirs[i].mode) < 0) {
			strbuf_set_printf(err, "chmod %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
qfile_chown_dirs(const char *queue_dir, uid_t uid, gid_t gid, gid_t setgid_gid)
{
	char	path[4096];
	size_t	i;

	for (i = 0; i < sizeof(qdirs) / sizeof(qdirs[0]); i++) {
		if (snprintf(path, sizeof(path), "%s/%s", queue_dir,
		    qdirs[i].name) >= (int)sizeof(path)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (chown(path, uid, qdirs[i].setgid_group ? setgid_gid : gid) < 0)
			return -1;
		/* chown clears set-id bits; set the mode after it. */
		if (chmod(path, qdirs[i].mode) < 0)
			return -1;
	}
	return 0;
}
