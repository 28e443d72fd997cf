/*
 * local-delivery/local.h — the local delivery agent's modules, shared
 * inside local-delivery/ only.
 *
 *   local_params.c   the parameter table
 *   local_request.c  validation of a request from qmgr (pure; fuzzed)
 *   local_deliver.c  one connection: request, queue file, per-recipient
 *                    delivery, reply; the message writer shared by the
 *                    mailbox formats
 *   local_resolve.c  which mailbox (and which user) a recipient means
 *   local_maildir.c  Maildir delivery
 *   local_mbox.c     mbox delivery with dot-lock and fcntl lock
 */
#ifndef TEGAMI_LOCAL_H
#define TEGAMI_LOCAL_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "ipc.h"
#include "qfile.h"
#include "strbuf.h"

/* ---- parameters (local_params.c) ---- */
extern char *var_home_mailbox;		/* home_mailbox = "" */
extern char *var_mail_spool_dir;	/* mail_spool_directory = /var/mail */
extern long var_stale_lock_time;	/* stale_lock_time = 500s */
extern long var_deliver_lock_attempts;	/* deliver_lock_attempts = 20 */
extern long var_deliver_lock_delay;	/* deliver_lock_delay = 1s */
extern const struct conf_param local_params[];

/* ---- requests (local_request.c) ---- */
#define LOCAL_RCPT_MAX		1000	/* recipients in one request */
#define LOCAL_ADDR_MAX		1024	/* bytes in an address from qmgr */

struct local_rcpt {
	const char *addr;	/* borrowed from the request message */
	const char *orcpt;	/* "" when none */
	off_t	offset;		/* status byte offset in the queue file */
};

struct local_request {
	char	queue_id[QFILE_ID_LEN + 1];
	char	queue_file[sizeof(QDIR_ACTIVE) + QFILE_ID_LEN + 1];
	const char *sender;	/* borrowed; "" = null sender */
	const char *nexthop;	/* borrowed; "" when absent */
	struct local_rcpt *rcpts;
	size_t	nrcpt;
};

/* Check a request frame from qmgr and extract it (strings borrowed from m,
 * which must outlive req). 0, or -1 with why. */
int	local_request_parse(const struct ipc_msg *m, struct local_request *req,
	    struct strbuf *why);
void	local_request_free(struct local_request *req);
/* Every requested recipient must be a pending recipient of the queue file
 * with the same address at the same offset. 0, or -1 with why. */
int	local_request_match(const struct local_request *req,
	    const struct qfile_env *env, struct strbuf *why);

/* ---- results ---- */
struct local_result {
	int	result;		/* DELIVER_OK / _DEFER / _BOUNCE */
	char	dsn[16];
	struct strbuf text;
};

void	local_result_init(struct local_result *r);
void	local_result_release(struct local_result *r);
void	local_result_set(struct local_result *r, int result, const char *dsn,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- the message being delivered (local_deliver.c) ---- */
struct local_msg {
	int	fd;			/* the queue file, read-only */
	const struct qfile_env *env;
	const char *sender;
};

#define LOCAL_W_MBOX	0x01	/* quote "From " lines, end with a blank line */

/* Write Return-Path, Delivered-To and the content to out. 0, or -1 with
 * errno (write) or 0 (queue file) and the reason in why. */
int	local_write_message(const struct local_msg *msg, int out,
	    const char *rcpt, int flags, struct strbuf *why);
/* Handle one connection from qmgr (the single_server service). */
void	local_service(int fd);
/* Deliver one recipient of msg; the result goes to res. */
void	local_deliver_rcpt(const struct local_msg *msg, const char *rcpt,
	    struct local_result *res);

/* ---- mailboxes (local_resolve.c) ---- */
enum local_kind {
	LOCAL_MAILDIR,
	LOCAL_MBOX,
};

struct local_mailbox {
	int	kind;			/* enum local_kind */
	char	path[PATH_MAX];		/* Maildir directory, or the mbox file */
	char	parent[PATH_MAX];	/* directory to create first, or "" */
	uid_t	uid;			/* who writes */
	gid_t	gid;
};

/* Is a local part usable as one path component? */
int	local_part_safe(const char *lp);
/* Which mailbox rcpt means. 0, or -1 with res set to a bounce or defer. */
int	local_resolve(const char *rcpt, struct local_mailbox *mb,
	    struct local_result *res);

/* ---- formats (local_maildir.c, local_mbox.c) ---- */
void	local_maildir_deliver(const struct local_msg *msg,
	    const struct local_mailbox *mb, const char *rcpt,
	    struct local_result *res);
void	local_mbox_deliver(const struct local_msg *msg,
	    const struct local_mailbox *mb, const char *rcpt,
	    struct local_result *res);
/* A Maildir file name "TIME.M<usec>P<pid>Q<count>.HOST" into buf. */
void	local_maildir_name(char *buf, size_t size);
/* The dsn for a write error: 4.2.2 quota, 4.3.1 disk full, else 4.2.0. */
const char *local_errno_dsn(int err);

#endif
