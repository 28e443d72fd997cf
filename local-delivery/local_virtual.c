/*
 * local-delivery/local_virtual.c — virtual mailboxes: mailboxes that are
 * not system users (Postfix's virtual(8), as a mode of this agent).
 *
 * qmgr sends a request with transport=virtual for recipients routed to the
 * "virtual" transport ($virtual_mailbox_domains, or transport_maps).  The
 * recipient is looked up in virtual_mailbox_maps (user+ext@domain,
 * user@domain, @domain); the result is a path under virtual_mailbox_base,
 * a Maildir when it ends in '/', else an mbox file.  The owner comes from
 * virtual_uid_maps and virtual_gid_maps (same keys), and a uid below
 * virtual_minimum_uid is refused.  The copy is written by local_maildir.c
 * or local_mbox.c as that uid (missing Maildir directories are created as
 * it).  Not in the table: bounce 5.1.1; configuration trouble: defer.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <bsd/string.h>

#include "ipc_names.h"
#include "local.h"
#include "log.h"
#include "mail_params.h"

/* 1 when a table result is a safe relative path: no ".." component, no
 * control characters.  Leading slashes are skipped by the caller. */
static int
path_safe(const char *p)
{
	const char *c;

	for (c = p; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return 0;
	for (c = p; c != NULL; c = strchr(c, '/')) {
		if (*c == '/')
			c++;
		if (c[0] == '.' && c[1] == '.' && (c[2] == '/' || c[2] == '\0'))
			return 0;
	}
	return 1;
}

/* Look up a numeric id; 0 or -1 with res set. */
static int
lookup_id(struct maplist *maps, const char *what, const char *rcpt,
    const char *delim, long *id, struct local_result *res)
{
	struct strbuf value, why;
	enum map_result r;
	char *end;
	int rc = -1;

	strbuf_init(&value, 1024);
	strbuf_init(&why, 1024);
	r = maplist_lookup_addr(maps, rcpt, delim, 0, &value, NULL, &why);
	if (r == MAP_RETRY) {
		local_result_set(res, DELIVER_DEFER, "4.3.0",
		    "%s lookup failed: %s", what, why.data);
	} else if (r == MAP_NOTFOUND) {
		local_result_set(res, DELIVER_DEFER, "4.3.5", "mail system "
		    "configuration error: no %s result for %s", what, rcpt);
	} else {
		errno = 0;
		*id = strtol(value.data, &end, 10);
		if (errno != 0 || end == value.data || *end != '\0' || *id < 0 ||
		    *id > INT_MAX)
			local_result_set(res, DELIVER_DEFER, "4.3.5", "mail system "
			    "configuration error: bad %s result \"%.30s\" for %s",
			    what, value.data, rcpt);
		else
			rc = 0;
	}
	strbuf_release(&value);
	strbuf_release(&why);
	return rc;
}

/* Fill mb->path (and mb->parent for a Maildir) from base and rel. */
static int
set_paths(const struct local_virtual *v, const char *rel,
    struct local_mailbox *mb, struct local_result *res)
{
	const char *base = v->base ? v->base : "";
	size_t bl = strlen(base), n;
	char *slash;

	while (*rel == '/')
		rel++;
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	if (*rel == '\0' || !path_safe(rel)) {
		local_result_set(res, DELIVER_DEFER, "4.3.5", "mail system "
		    "configuration error: unsafe virtual mailbox path \"%.100s\"", rel);
		return -1;
	}
	n = strlen(rel);
	mb->kind = rel[n - 1] == '/' ? LOCAL_MAILDIR : LOCAL_MBOX;
	if ((size_t)snprintf(mb->path, sizeof(mb->path), "%.*s/%s", (int)bl, base,
	    rel) >= sizeof(mb->path)) {
		local_result_set(res, DELIVER_DEFER, "4.3.0", "mailbox path too long");
		return -1;
	}
	n = strlen(mb->path);
	while (n > 1 && mb->path[n - 1] == '/')
		mb->path[--n] = '\0';
	mb->parent[0] = '\0';
	if (mb->kind == LOCAL_MAILDIR) {
		/* The directories above the Maildir, created when missing. */
		strlcpy(mb->parent, mb->path, sizeof(mb->parent));
		if ((slash = strrchr(mb->parent, '/')) != NULL && slash != mb->parent)
			*slash = '\0';
		else
			mb->parent[0] = '\0';
	}
	return 0;
}

int
local_virtual_resolve(const struct local_virtual *v, const char *rcpt,
    struct local_mailbox *mb, struct local_result *res)
{
	struct strbuf value, why;
	enum map_result r;
	long uid, gid;
	int rc = -1;

	memset(mb, 0, sizeof(*mb));
	strbuf_init(&value, 4096);
	strbuf_init(&why, 1024);
	r = maplist_lookup_addr(v->mailbox, rcpt, v->delim, 0, &value, NULL, &why);
	if (r == MAP_RETRY) {
		local_result_set(res, DELIVER_DEFER, "4.3.0",
		    "virtual_mailbox_maps lookup failed: %s", why.data);
		goto out;
	}
	if (r == MAP_NOTFOUND) {
		local_result_set(res, DELIVER_BOUNCE, "5.1.1", "user unknown in "
		    "virtual mailbox table: %s", rcpt);
		goto out;
	}
	if (set_paths(v, value.data, mb, res) < 0 ||
	    lookup_id(v->uid, "virtual_uid_maps", rcpt, v->delim, &uid, res) < 0 ||
	    lookup_id(v->gid, "virtual_gid_maps", rcpt, v->delim, &gid, res) < 0)
		goto out;
	if (uid < v->min_uid) {
		local_result_set(res, DELIVER_DEFER, "4.3.5", "mail system "
		    "configuration error: uid %ld for %s is below "
		    "virtual_minimum_uid %ld", uid, rcpt, v->min_uid);
		goto out;
	}
	mb->uid = (uid_t)uid;
	mb->gid = (gid_t)gid;
	rc = 0;
out:
	strbuf_release(&value);
	strbuf_release(&why);
	return rc;
}

/* The configured tables, opened on first use (one process serves a few
 * requests; tables reopen themselves when their files change). */
static int
virtual_open(struct local_virtual *v, struct local_result *res)
{
	static struct maplist *mailbox, *uid, *gid;
	static int opened;
	struct strbuf err;

	if (!opened) {
		strbuf_init(&err, 1024);
		/* No $n substitution into mailbox paths or ids (paranoid). */
		if ((mailbox = maplist_open(var_virtual_mailbox_maps ?
		    var_virtual_mailbox_maps : "", MAP_F_FOLD_KEY | MAP_F_NO_REGSUB,
		    &err)) == NULL)
			log_warn("virtual_mailbox_maps: %s", err.data);
		else if ((uid = maplist_open(var_virt_uid_maps ? var_virt_uid_maps :
		    "", MAP_F_FOLD_KEY | MAP_F_NO_REGSUB, &err)) == NULL)
			log_warn("virtual_uid_maps: %s", err.data);
		else if ((gid = maplist_open(var_virt_gid_maps ? var_virt_gid_maps :
		    "", MAP_F_FOLD_KEY | MAP_F_NO_REGSUB, &err)) == NULL)
			log_warn("virtual_gid_maps: %s", err.data);
		else
			opened = 1;
		strbuf_release(&err);
		if (!opened) {
			maplist_close(mailbox);
			maplist_close(uid);
			mailbox = uid = NULL;
			local_result_set(res, DELIVER_DEFER, "4.3.5", "mail system "
			    "configuration error: bad virtual mailbox table");
			return -1;
		}
	}
	v->mailbox = mailbox;
	v->uid = uid;
	v->gid = gid;
	v->base = var_virt_mailbox_base;
	v->min_uid = var_virt_minimum_uid;
	v->delim = var_recipient_delimiter;
	return 0;
}

void
local_virtual_deliver(const struct local_msg *msg, const char *rcpt,
    struct local_result *res)
{
	struct local_virtual v;
	struct local_mailbox mb;

	if (virtual_open(&v, res) < 0 || local_virtual_resolve(&v, rcpt, &mb, res) < 0)
		return;
	if (mb.kind == LOCAL_MAILDIR)
		local_maildir_deliver(msg, &mb, rcpt, res);
	else
		local_mbox_deliver(msg, &mb, rcpt, res);
}
