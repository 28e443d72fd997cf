/*
 * lib/qfile.h — the queue file (DESIGN §4, doc/queue-format.md).
 *
 * One file per message, named by its queue id, made of typed,
 * length-prefixed records (lib/record.h): a version header, the envelope
 * (arrival time, sender, recipients each with a fixed-size status byte that
 * is updated in place, arrival attributes), the content, and an END record.
 * A file without its END record is unfinished, never a message.
 *
 * Writers build the file under a temporary name in the target directory,
 * then qfile_commit() makes it durable: fsync the file, rename it into place
 * without replacing anything, fsync the directory.  This is the one place a
 * queue file is made durable, so it can become a group commit later.
 *
 * Readers treat the file as untrusted: anything that does not parse is an
 * error with a reason (the caller moves the file to corrupt/ and logs).
 */
#ifndef TEGAMI_QFILE_H
#define TEGAMI_QFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "strbuf.h"

/* Queue ids: 8 hex digits of seconds, 5 of microseconds, 4 more (from the
 * inode of the temporary file) = 17 upper-case hex digits; they sort by
 * arrival. Uniqueness is enforced by the no-replace rename. */
#define QFILE_ID_LEN	17

/* Record types, the version header and the limits (doc/queue-format.md). */
#define QREC_VERSION	'V'	/* "TEGAMIQ1" + u32 BE version; always first */
#define QREC_ARRIVAL	'T'	/* i64 BE seconds since the epoch; exactly one */
#define QREC_FLAGS	'F'	/* u32 BE CLEANUP_F_*; at most one */
#define QREC_SENDER	'S'	/* the sender address; exactly one */
#define QREC_RCPT	'R'	/* status, notify, u16 len + addr, u16 len + orcpt */
#define QREC_ATTR	'A'	/* name NUL value */
#define QREC_CONTENT	'C'	/* a content chunk; content records are contiguous */
#define QREC_END	'E'	/* empty; the last record of a finished file */
#define QREC_TYPES	"VTFSRACE"
#define QFILE_MAGIC	"TEGAMIQ1"
#define QFILE_VERSION	1
#define QFILE_REC_MAX	(1024 * 1024)	/* longest record data a reader accepts */
#define QFILE_CHUNK	(64 * 1024)	/* content chunk size the writer makes */

/* Flags qmgr sets in the F record in place (above the CLEANUP_F_* bits). */
#define QFILE_F_DELAY_WARNED	0x10000	/* the "delayed mail" notice was sent */

/* Queue subdirectories under queue_directory. */
#define QDIR_MAILDROP	"maildrop"
#define QDIR_INCOMING	"incoming"
#define QDIR_ACTIVE	"active"
#define QDIR_DEFERRED	"deferred"
#define QDIR_HOLD	"hold"
#define QDIR_CORRUPT	"corrupt"
#define QDIR_DEFER_LOG	"defer"		/* per-message reasons for deferral */
#define QDIR_PUBLIC	"public"
#define QDIR_PRIVATE	"private"
#define QDIR_PID	"pid"

/* Recipient status byte. */
enum qfile_rcpt_status {
	QF_RCPT_PENDING = 'P',
	QF_RCPT_DONE = 'D',	/* delivered, or bounced and the bounce is queued */
};

struct qfile_rcpt {
	char   *addr;		/* external form (lib/addr.h) */
	char   *orcpt;		/* DSN ORCPT or NULL */
	int	notify;		/* DSN_NOTIFY_* bits, 0 = not given */
	int	status;		/* enum qfile_rcpt_status */
	off_t	status_off;	/* file offset of the status byte */
};

struct qfile_attr {
	char   *name;
	char   *value;
};

struct qfile_env {
	char	id[QFILE_ID_LEN + 1];	/* from the file name, set by caller or reader */
	int64_t	arrival;		/* seconds since the epoch */
	int	flags;			/* CLEANUP_F_* that made it, QFILE_F_* */
	off_t	flags_off;		/* file offset of the F record's data; 0 = none */
	char   *sender;			/* "" = null sender */
	struct qfile_rcpt *rcpts;
	size_t	nrcpt;
	struct qfile_attr *attrs;	/* client_addr, helo, protocol, ... */
	size_t	nattr;
	off_t	content_off;		/* first content record */
	int64_t	content_size;		/* bytes of content (LF line ends) */
};

/* ---- writing ---- */
struct qfile_writer;

/* Create a temporary file in QUEUE_DIR/SUBDIR. NULL with err on failure. */
struct qfile_writer *qfile_create(const char *queue_dir, const char *subdir,
	    struct strbuf *err);
int	qfile_put_arrival(struct qfile_writer *w, int64_t when);
int	qfile_put_flags(struct qfile_writer *w, int flags);
int	qfile_put_sender(struct qfile_writer *w, const char *sender);
int	qfile_put_rcpt(struct qfile_writer *w, const char *addr,
	    const char *orcpt, int notify);
int	qfile_put_attr(struct qfile_writer *w, const char *name, const char *value);
/* Content, any split; LF line ends. Envelope records may still follow
 * (recipients extracted from headers come after the content). */
int	qfile_put_content(struct qfile_writer *w, const void *p, size_t n);
/* Write END, fsync, rename to SUBDIR/ID (never replacing a file), fsync the
 * directory, free w.  id_out receives the queue id. -1 with err: the
 * temporary file is removed and nothing was queued. */
int	qfile_commit(struct qfile_writer *w, char id_out[QFILE_ID_LEN + 1],
	    struct strbuf *err);
/* Remove the temporary file and free w (accepts NULL). */
void	qfile_abort(struct qfile_writer *w);

/* ---- reading ---- */

/* Read the envelope of an open queue file (content is skipped, not read).
 * 0 with *out (free with qfile_env_free), -1 with why when corrupt or
 * unfinished. The id is left empty; callers that know it copy it in. */
int	qfile_read_envelope(int fd, struct qfile_env **out, struct strbuf *why);
void	qfile_env_free(struct qfile_env *env);
const char *qfile_env_attr(const struct qfile_env *env, const char *name);

/* Iterate over the content: set *off = env->content_off first, then each
 * call returns 1 with a chunk in `chunk` (replaced), 0 at the end of the
 * content, -1 when corrupt. */
int	qfile_read_content(int fd, off_t *off, struct strbuf *chunk,
	    struct strbuf *why);

/* Update a recipient's status byte in place (pwrite; no fsync: delivery is
 * at-least-once, a lost mark means a repeated delivery, never a lost one). */
int	qfile_mark_rcpt(int fd, const struct qfile_rcpt *r, int status);

/* Set flag in the F record in place (pwrite of its 4 bytes, no fsync:
 * a lost flag means a repeated notice, never a lost message).  Only when
 * the record holds what env says it holds.  0, -1 with errno (EINVAL: the
 * file has no F record or it changed). */
int	qfile_set_flag(int fd, struct qfile_env *env, int flag);

/* ---- names and moves ---- */
int	qfile_id_valid(const char *id);
/* QUEUE_DIR/SUBDIR/ID into buf; panics on a bad id (our invariant). */
void	qfile_path(char *buf, size_t size, const char *queue_dir,
	    const char *subdir, const char *id);
/* Move a queue file between subdirectories (rename, fsync the target
 * directory). 0 / -1 with errno. */
int	qfile_move(const char *queue_dir, const char *from, const char *to,
	    const char *id);
/* Create every queue subdirectory (mode 0700, maildrop 1730, public 0710). */
int	qfile_make_dirs(const char *queue_dir, struct strbuf *err);
/* As root, after qfile_make_dirs: every subdirectory owned by uid:gid
 * (mail_owner), maildrop/ and public/ group setgid_gid with modes 1730 and
 * 0710.  queue_dir itself is left alone. 0 / -1 with errno. */
int	qfile_chown_dirs(const char *queue_dir, uid_t uid, gid_t gid,
	    gid_t setgid_gid);

/* ---- debugging (lib/qfile_dump.c) ---- */

/* Print every record of an open queue file in readable form to out, like
 * Postfix's postcat; then check the whole file as a reader would.  0, or -1
 * with why when the file is corrupt (what was readable is still printed). */
int	qfile_dump(int fd, FILE *out, struct strbuf *why);

#endif
