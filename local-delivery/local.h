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
 *   local_alias.c    alias value parser, the alias_maps lookup
 *   local_forward.c  ~/.forward reading and its permission checks
 *   local_expand.c   recipient -> delivery targets (aliases, .forward,
 *                    :include:, loops)
 *   local_file.c     delivery to /file targets
 *   local_pipe.c     delivery to |command targets
 *   local_virtual.c  virtual mailboxes (requests with transport=virtual):
 *                    virtual_mailbox_maps, virtual_uid_maps/_gid_maps
 */
#ifndef TEGAMI_LOCAL_H
#define TEGAMI_LOCAL_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "map.h"
#include "ipc.h"
#include "qfile.h"
#include "strbuf.h"

/* ---- parameters (local_params.c) ---- */
extern char *var_home_mailbox;		/* home_mailbox = "" */
extern char *var_mail_spool_dir;	/* mail_spool_directory = /var/mail */
extern long var_stale_lock_time;	/* stale_lock_time = 500s */
extern long var_deliver_lock_attempts;	/* deliver_lock_attempts = 20 */
extern long var_deliver_lock_delay;	/* deliver_lock_delay = 1s */
extern char *var_default_privs;		/* default_privs = nobody */
extern char *var_allow_commands;	/* allow_mail_to_commands = alias, forward */
extern char *var_allow_files;		/* allow_mail_to_files = alias, forward */
extern long var_command_time_limit;	/* command_time_limit = 1000s */
extern char *var_forward_path;		/* forward_path = $home/.forward */
extern char *var_virt_mailbox_base;	/* virtual_mailbox_base = "" */
extern char *var_virt_uid_maps;		/* virtual_uid_maps = "" */
extern char *var_virt_gid_maps;		/* virtual_gid_maps = "" */
extern long var_virt_minimum_uid;	/* virtual_minimum_uid = 100 */
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
	int	virtual_mode;	/* transport=virtual: virtual mailbox delivery */
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
/* The same for a virtual mailbox recipient (transport=virtual). */
void	local_deliver_virtual_rcpt(const struct local_msg *msg, const char *rcpt,
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

/* ---- alias values (local_alias.c) ---- */
#define LOCAL_ALIAS_MAX		1000	/* members in one alias value */
#define LOCAL_ALIAS_VALUE_MAX	100000	/* bytes in one alias value */

enum local_alias_kind {
	LOCAL_A_ADDRESS,	/* user, user@domain */
	LOCAL_A_MAILBOX,	/* \user: the mailbox, no further expansion */
	LOCAL_A_FILE,		/* /path */
	LOCAL_A_COMMAND,	/* |command (value without the bar) */
	LOCAL_A_INCLUDE,	/* :include:/path (value is the path) */
};

struct local_alias_item {
	int	kind;		/* enum local_alias_kind */
	char   *value;		/* unquoted, prefix removed */
};

struct local_alias_list {
	struct local_alias_item *items;
	size_t	n;
};

/* Split an alias value into members (commas and newlines outside double
 * quotes separate them). 0, or -1 with err (out is then empty). */
int	local_alias_parse(const char *value, size_t len,
	    struct local_alias_list *out, struct strbuf *err);
void	local_alias_list_free(struct local_alias_list *l);
/* Look key up in $alias_maps; on MAP_FOUND owner/group are those of the
 * table file that answered (0 when it has no file). */
enum map_result local_alias_lookup(const char *key, struct strbuf *value,
	    uid_t *owner, gid_t *group, struct strbuf *why);

/* ---- .forward and :include: files (local_forward.c) ---- */
#define LOCAL_FORWARD_MAX	65536	/* bytes read from such a file */

/* Read a .forward owned by uid: 1 with its text in value, 0 when there is
 * none, -1 (defer; why names the file) when it is unsafe or unreadable. */
int	local_forward_read(const char *path, uid_t uid, struct strbuf *value,
	    struct strbuf *why);
/* Read an :include: file, which must be owned by owner (the owner of the
 * expansion context: the alias table owner or the .forward's user), or by
 * root only when owner is root itself, and not be group/world-writable.
 * The caller opens it with the context's privileges (never as root for a
 * user's context).  *file_owner receives its owner. 0, or -1 with why. */
int	local_include_read(const char *path, uid_t owner, struct strbuf *value,
	    uid_t *file_owner, gid_t *file_group, struct strbuf *why);

/* Queue the message again for addrs (one new message through cleanup,
 * with "Delivered-To: rcpt" prepended). 0 with id, or -1 with why. */
int	local_forward_send(const struct local_msg *msg, const char *rcpt,
	    const char *sender, const char *const *addrs, size_t n,
	    char id[QFILE_ID_LEN + 1], struct strbuf *why);

/* ---- expansion (local_expand.c) ---- */
#define LOCAL_EXPAND_DEPTH	20	/* nested aliases/.forward/:include: */
#define LOCAL_TARGET_MAX	1000	/* targets of one recipient */

enum local_target_kind {
	LOCAL_T_MAILBOX,	/* value: a local part (mailbox owner) */
	LOCAL_T_FILE,		/* value: absolute path */
	LOCAL_T_COMMAND,	/* value: shell command */
	LOCAL_T_FORWARD,	/* value: an address queued as a new message */
};

struct local_target {
	int	kind;		/* enum local_target_kind */
	char   *value;
	char   *via;		/* the local part it was expanded from */
	uid_t	uid;		/* privileges for files and commands */
	gid_t	gid;
	int	cls;		/* LOCAL_CLASS_* of the text it came from; 0 for
				 * the recipient itself */
};

struct local_expansion {
	struct local_target *t;
	size_t	n;
	char   *owner;		/* "owner-NAME" to use as sender, or NULL */
};

/* Where expansion gets its data (replaced by fakes in unit tests). */
struct local_expand_ops {
	enum map_result (*alias)(void *ctx, const char *key, struct strbuf *value,
		    uid_t *owner, gid_t *group, struct strbuf *why);
	/* 1 value found (with the owner ids), 0 no .forward, -1 defer */
	int	(*forward)(void *ctx, const char *user, struct strbuf *value,
		    uid_t *uid, gid_t *gid, struct strbuf *why);
	/* Read an :include: file for a context owned by owner (0: root's,
	 * i.e. a root-owned alias table), opening and reading it with the
	 * context's privileges uid/gid (default_privs for root's context).
	 * 0 with the file's owner ids, or -1 (defer) with why. */
	int	(*include)(void *ctx, const char *path, uid_t owner, uid_t uid,
		    gid_t gid, struct strbuf *value, uid_t *file_uid,
		    gid_t *file_gid, struct strbuf *why);
	int	(*is_local_domain)(const char *domain);
	/* uid/gid for file and command deliveries made for root */
	uid_t	default_uid;
	gid_t	default_gid;
	int	allow_commands;	/* LOCAL_CLASS_* bits */
	int	allow_files;
	const char *delim;	/* recipient_delimiter */
};

#define LOCAL_CLASS_ALIAS	0x01
#define LOCAL_CLASS_FORWARD	0x02
#define LOCAL_CLASS_INCLUDE	0x04

/* "alias, forward, include" -> LOCAL_CLASS_* bits. */
int	local_class_mask(const char *list);
/* Expand recipient rcpt.  0 with targets in out, or -1 with res set
 * (bounce: loop, unknown user, restricted; defer: table trouble). */
int	local_expand(const struct local_expand_ops *ops, void *ctx,
	    const char *rcpt, struct local_expansion *out, struct local_result *res);
void	local_expansion_free(struct local_expansion *e);
/* The real data sources (alias_maps, ~/.forward, passwd). */
void	local_expand_ops_system(struct local_expand_ops *ops);

/* ---- files and commands (local_file.c, local_pipe.c) ---- */
void	local_file_deliver(const struct local_msg *msg, const struct local_target *t,
	    const char *rcpt, struct local_result *res);
/* rcpt: the original recipient (RECIPIENT, LOCAL, DOMAIN, EXTENSION). */
void	local_pipe_deliver(const struct local_msg *msg, const struct local_target *t,
	    const char *rcpt, struct local_result *res);

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

/* ---- virtual mailboxes (local_virtual.c) ---- */
struct local_virtual {
	struct maplist *mailbox;	/* virtual_mailbox_maps */
	struct maplist *uid;		/* virtual_uid_maps */
	struct maplist *gid;		/* virtual_gid_maps */
	const char *base;		/* virtual_mailbox_base */
	long	min_uid;		/* virtual_minimum_uid */
	const char *delim;		/* recipient_delimiter */
};

/* Which mailbox (and which uid/gid) the virtual address rcpt means:
 * lookups rcpt (user+ext@domain, user@domain, @domain) in each table.
 * 0, or -1 with res set: bounce 5.1.1 for an address not in the mailbox
 * table, defer 4.3.5 for a configuration problem (no uid, uid below the
 * minimum, unsafe path), defer 4.3.0 for a table in trouble. */
int	local_virtual_resolve(const struct local_virtual *v, const char *rcpt,
	    struct local_mailbox *mb, struct local_result *res);
/* Deliver rcpt to its virtual mailbox with the configured tables. */
void	local_virtual_deliver(const struct local_msg *msg, const char *rcpt,
	    struct local_result *res);

#endif
