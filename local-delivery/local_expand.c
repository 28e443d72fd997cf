/*
 * local-delivery/local_expand.c — a recipient becomes delivery targets.
 *
 * The local part (lower case) is looked up in $alias_maps, first whole and
 * then without its $recipient_delimiter extension; an alias value's
 * members are expanded again (addresses in local domains recursively,
 * other addresses become forward targets queued as a new message), /file
 * and |command members become targets run with the alias table owner's
 * privileges (default_privs for root), :include: files are read and
 * expanded with the class "include".  A local part that is no alias is a
 * system user whose ~/.forward is expanded the same way (as the user);
 * without one, or for "\user" and an alias naming itself, it is the
 * user's mailbox.  Loops: a name met again among its own ancestors, or
 * more than LOCAL_EXPAND_DEPTH levels, bounce with 5.4.6; a name reached
 * twice by different paths is expanded once.  Data comes through
 * struct local_expand_ops so that unit tests can use fake tables.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "ipc_names.h"
#include "local.h"
#include "log.h"
#include "mail_params.h"
#include "privsep.h"

struct xctx {
	const struct local_expand_ops *ops;
	void   *ctx;
	struct local_expansion *out;
	struct local_result *res;
	const char *domain;		/* the recipient's domain or "" */
	char   *chain[LOCAL_EXPAND_DEPTH + 2];	/* ancestors being expanded */
	size_t	nchain;
	char  **seen;			/* local parts already expanded */
	size_t	nseen;
};

int
local_class_mask(const char *list)
{
	int mask = 0;

	if (list == NULL)
		return 0;
	if (conf_list_contains(list, "alias"))
		mask |= LOCAL_CLASS_ALIAS;
	if (conf_list_contains(list, "forward"))
		mask |= LOCAL_CLASS_FORWARD;
	if (conf_list_contains(list, "include"))
		mask |= LOCAL_CLASS_INCLUDE;
	return mask;
}

void
local_expansion_free(struct local_expansion *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		free(e->t[i].value);
		free(e->t[i].via);
	}
	free(e->t);
	free(e->owner);
	e->t = NULL;
	e->n = 0;
	e->owner = NULL;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static int
add_target(struct xctx *x, int kind, const char *value, uid_t uid, gid_t gid,
    int cls)
{
	struct local_expansion *o = x->out;
	struct local_target *t;
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->t[i].kind == kind && strcmp(o->t[i].value, value) == 0 &&
		    (kind == LOCAL_T_MAILBOX || kind == LOCAL_T_FORWARD ||
		    o->t[i].uid == uid))
			return 0;	/* duplicate */
	if (o->n >= LOCAL_TARGET_MAX) {
		local_result_set(x->res, DELIVER_BOUNCE, "5.3.0",
		    "alias expansion has more than %d targets", LOCAL_TARGET_MAX);
		return -1;
	}
	o->t = xreallocarray(o->t, o->n + 1, sizeof(*o->t));
	t = &o->t[o->n++];
	t->kind = kind;
	t->value = xstrdup(value);
	t->via = xstrdup(x->nchain ? x->chain[x->nchain - 1] : value);
	t->uid = uid;
	t->gid = gid;
	t->cls = cls;
	return 0;
}

static int expand_local(struct xctx *x, const char *lp, int depth, int cls);

/* Privileges for a file or command of a table owned by uid:gid.  Root
 * never runs them: uid 0 gets default_privs, and so does group 0 (a table
 * owned by someuser:root must not give its commands gid 0). */
static void
fix_privs(const struct xctx *x, uid_t *uid, gid_t *gid)
{
	if (*uid == 0) {
		*uid = x->ops->default_uid;
		*gid = x->ops->default_gid;
	} else if (*gid == 0)
		*gid = x->ops->default_gid;
}

static int
expand_value(struct xctx *x, const char *value, size_t len, int cls, uid_t uid,
    gid_t gid, int depth, const char *what)
{
	struct local_alias_list l;
	struct strbuf err, sub;
	uid_t ouid = uid;		/* the context's owner, before fix_privs */
	gid_t ogid = gid;
	size_t i;
	int rc = 0;

	strbuf_init(&err, 1024);
	if (local_alias_parse(value, len, &l, &err) < 0) {
		local_result_set(x->res, DELIVER_DEFER, "4.3.0", "%s: %s", what,
		    err.data);
		strbuf_release(&err);
		return -1;
	}
	fix_privs(x, &uid, &gid);
	strbuf_init(&sub, LOCAL_FORWARD_MAX);
	for (i = 0; i < l.n && rc == 0; i++) {
		struct local_alias_item *it = &l.items[i];

		switch (it->kind) {
		case LOCAL_A_MAILBOX:
			lower(it->value);
			rc = add_target(x, LOCAL_T_MAILBOX, it->value, 0, 0, cls);
			break;
		case LOCAL_A_FILE:
			if (!(x->ops->allow_files & cls)) {
				local_result_set(x->res, DELIVER_BOUNCE, "5.7.1",
				    "mail to file is restricted (%s)", what);
				rc = -1;
			} else
				rc = add_target(x, LOCAL_T_FILE, it->value, uid, gid, cls);
			break;
		case LOCAL_A_COMMAND:
			if (!(x->ops->allow_commands & cls)) {
				local_result_set(x->res, DELIVER_BOUNCE, "5.7.1",
				    "mail to command is restricted (%s)", what);
				rc = -1;
			} else
				rc = add_target(x, LOCAL_T_COMMAND, it->value, uid, gid,
				    cls);
			break;
		case LOCAL_A_INCLUDE: {
			uid_t fu = 0;
			gid_t fg = 0;

			if (depth >= LOCAL_EXPAND_DEPTH) {
				local_result_set(x->res, DELIVER_BOUNCE, "5.4.6",
				    "mail forwarding loop for %s (:include: %s)",
				    x->chain[0], it->value);
				rc = -1;
				break;
			}
			/* Read with the privileges of the current context (the
			 * .forward's user, the alias table owner, default_privs
			 * for root's), as Postfix does: naming a file is no way to
			 * have root read it. */
			if (x->ops->include(x->ctx, it->value, ouid, uid, gid, &sub,
			    &fu, &fg, &err) < 0) {
				local_result_set(x->res, DELIVER_DEFER, "4.3.0", "%s",
				    err.data);
				rc = -1;
				break;
			}
			/* The file belongs to the context (or to root in root's
			 * context): its members keep the context's privileges. */
			(void)fu;
			(void)fg;
			rc = expand_value(x, sub.data, sub.len, LOCAL_CLASS_INCLUDE, ouid,
			    ogid, depth + 1, it->value);
			break;
		}
		default: {
			struct strbuf lp, dom;

			strbuf_init(&lp, LOCAL_ADDR_MAX);
			strbuf_init(&dom, LOCAL_ADDR_MAX);
			if (addr_split(it->value, &lp, &dom) < 0 || lp.len == 0) {
				/* Text of a user's file is not echoed into a DSN. */
				if (cls == LOCAL_CLASS_ALIAS)
					local_result_set(x->res, DELIVER_BOUNCE, "5.1.3",
					    "bad address \"%.100s\" in %s", it->value, what);
				else {
					log_warn("bad address \"%.100s\" in %s", it->value,
					    what);
					local_result_set(x->res, DELIVER_BOUNCE, "5.1.3",
					    "bad address syntax in %s", cls ==
					    LOCAL_CLASS_INCLUDE ? ":include: file" :
					    "~/.forward file");
				}
				rc = -1;
			} else if (dom.len > 0 && (lower(dom.data),
			    !x->ops->is_local_domain(dom.data))) {
				rc = add_target(x, LOCAL_T_FORWARD, it->value, 0, 0, cls);
			} else {
				lower(lp.data);
				rc = expand_local(x, lp.data, depth + 1, cls);
			}
			strbuf_release(&lp);
			strbuf_release(&dom);
			break;
		}
		}
	}
	strbuf_release(&sub);
	strbuf_release(&err);
	local_alias_list_free(&l);
	return rc;
}

/* "user+ext" -> length of "user", or 0 when there is no extension. */
static size_t
base_len(const char *lp, const char *delim)
{
	size_t i;

	if (delim == NULL || *delim == '\0')
		return 0;
	for (i = 1; lp[i]; i++)
		if (strchr(delim, lp[i]) != NULL)
			return i;
	return 0;
}

static enum map_result
alias_find(struct xctx *x, const char *lp, struct strbuf *value, uid_t *uid,
    gid_t *gid, char **found, struct strbuf *why)
{
	enum map_result r;
	size_t n;

	r = x->ops->alias(x->ctx, lp, value, uid, gid, why);
	if (r != MAP_NOTFOUND) {
		*found = xstrdup(lp);
		return r;
	}
	if ((n = base_len(lp, x->ops->delim)) == 0)
		return r;
	*found = xstrndup(lp, n);
	r = x->ops->alias(x->ctx, *found, value, uid, gid, why);
	return r;
}

static int
expand_local(struct xctx *x, const char *lp, int depth, int cls)
{
	struct strbuf value, why;
	enum map_result r;
	char *name = NULL, *base;
	uid_t uid = 0;
	gid_t gid = 0;
	size_t i, n;
	int rc = 0, f;

	if (depth > LOCAL_EXPAND_DEPTH) {
		local_result_set(x->res, DELIVER_BOUNCE, "5.4.6",
		    "mail forwarding loop for %s (more than %d levels)",
		    x->chain[0], LOCAL_EXPAND_DEPTH);
		return -1;
	}
	for (i = 0; i < x->nchain; i++) {
		if (strcmp(x->chain[i], lp) != 0)
			continue;
		/* "name: name, other": the name's own mailbox. */
		if (i == x->nchain - 1)
			return add_target(x, LOCAL_T_MAILBOX, lp, 0, 0, cls);
		local_result_set(x->res, DELIVER_BOUNCE, "5.4.6",
		    "mail forwarding loop for %s (%s expands back to %s)",
		    x->chain[0], x->chain[x->nchain - 1], lp);
		return -1;
	}
	for (i = 0; i < x->nseen; i++)
		if (strcmp(x->seen[i], lp) == 0)
			return 0;	/* reached before by another path */
	x->seen = xreallocarray(x->seen, x->nseen + 1, sizeof(*x->seen));
	x->seen[x->nseen++] = xstrdup(lp);
	x->chain[x->nchain++] = xstrdup(lp);

	strbuf_init(&value, LOCAL_ALIAS_VALUE_MAX);
	strbuf_init(&why, 1024);
	r = alias_find(x, lp, &value, &uid, &gid, &name, &why);
	if (r == MAP_RETRY) {
		local_result_set(x->res, DELIVER_DEFER, "4.3.0",
		    "alias lookup of %s failed: %s", lp, why.data);
		rc = -1;
	} else if (r == MAP_FOUND) {
		if (x->out->owner == NULL && strncmp(name, "owner-", 6) != 0) {
			struct strbuf ov, ok;
			uid_t ou;
			gid_t og;

			strbuf_init(&ov, LOCAL_ALIAS_VALUE_MAX);
			strbuf_init(&ok, LOCAL_ADDR_MAX);
			strbuf_printf(&ok, "owner-%s", name);
			if (x->ops->alias(x->ctx, ok.data, &ov, &ou, &og, &why) == MAP_FOUND) {
				if (*x->domain)
					strbuf_printf(&ok, "@%s", x->domain);
				x->out->owner = strbuf_detach(&ok);
			}
			strbuf_release(&ov);
			strbuf_release(&ok);
		}
		rc = expand_value(x, value.data, value.len, LOCAL_CLASS_ALIAS, uid,
		    gid, depth, name);
	} else {
		/* Not an alias: a user, maybe with a .forward. */
		n = base_len(lp, x->ops->delim);
		base = n ? xstrndup(lp, n) : xstrdup(lp);
		f = x->ops->forward ? x->ops->forward(x->ctx, base, &value, &uid, &gid,
		    &why) : 0;
		if (f < 0) {
			local_result_set(x->res, DELIVER_DEFER, "4.3.0", "%s", why.data);
			rc = -1;
		} else if (f > 0) {
			/* The .forward's owner is never root here (checked), but
			 * a root .forward gets default_privs all the same. */
			if (strcmp(base, lp) != 0) {
				free(x->chain[x->nchain - 1]);
				x->chain[x->nchain - 1] = xstrdup(base);
			}
			rc = expand_value(x, value.data, value.len, LOCAL_CLASS_FORWARD,
			    uid, gid, depth, "~/.forward");
		} else {
			rc = add_target(x, LOCAL_T_MAILBOX, base, 0, 0, cls);
		}
		free(base);
	}
	free(name);
	strbuf_release(&value);
	strbuf_release(&why);
	free(x->chain[--x->nchain]);
	return rc;
}

int
local_expand(const struct local_expand_ops *ops, void *ctx, const char *rcpt,
    struct local_expansion *out, struct local_result *res)
{
	struct xctx x;
	struct strbuf lp, dom;
	size_t i;
	int rc;

	memset(&x, 0, sizeof(x));
	memset(out, 0, sizeof(*out));
	x.ops = ops;
	x.ctx = ctx;
	x.out = out;
	x.res = res;
	strbuf_init(&lp, LOCAL_ADDR_MAX);
	strbuf_init(&dom, LOCAL_ADDR_MAX);
	if (addr_split(rcpt, &lp, &dom) < 0 || lp.len == 0) {
		local_result_set(res, DELIVER_BOUNCE, "5.1.3", "bad address syntax");
		strbuf_release(&lp);
		strbuf_release(&dom);
		return -1;
	}
	x.domain = dom.data;
	lower(lp.data);
	rc = expand_local(&x, lp.data, 0, 0);
	for (i = 0; i < x.nseen; i++)
		free(x.seen[i]);
	free(x.seen);
	strbuf_release(&lp);
	strbuf_release(&dom);
	if (rc < 0)
		local_expansion_free(out);
	return rc;
}

/* ---- the real data sources ---- */

static enum map_result
sys_alias(void *ctx, const char *key, struct strbuf *value, uid_t *owner,
    gid_t *group, struct strbuf *why)
{
	(void)ctx;
	if (var_alias_maps == NULL || *var_alias_maps == '\0')
		return MAP_NOTFOUND;
	return local_alias_lookup(key, value, owner, group, why);
}

static int
sys_forward(void *ctx, const char *user, struct strbuf *value, uid_t *uid,
    gid_t *gid, struct strbuf *why)
{
	struct passwd pw, *found = NULL;
	char buf[16384], path[PATH_MAX];
	int rc;

	(void)ctx;
	/* Instance mailboxes are not system users: no .forward there. */
	if (var_instance_mailbox_base != NULL && *var_instance_mailbox_base != '\0')
		return 0;
	if (var_forward_path == NULL || *var_forward_path == '\0')
		return 0;
	if (!local_part_safe(user) ||
	    getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
		return 0;
	if (snprintf(path, sizeof(path), "%s/.forward", pw.pw_dir) >= (int)sizeof(path))
		return 0;
	/* Read as the user: a home directory root cannot enter is no
	 * reason to defer, and a user cannot make root read other files. */
	if (privsep_become(pw.pw_uid, pw.pw_gid) < 0) {
		strbuf_set_printf(why, "cannot switch to user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	rc = local_forward_read(path, pw.pw_uid, value, why);
	if (privsep_restore() < 0)
		log_fatal_errno("cannot restore root privileges");
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return rc;
}

static int
sys_include(void *ctx, const char *path, uid_t owner, uid_t uid, gid_t gid,
    struct strbuf *value, uid_t *file_uid, gid_t *file_gid, struct strbuf *why)
{
	int rc;

	(void)ctx;
	/* Open and read with the context's privileges, like sys_forward. */
	if (privsep_become(uid, gid) < 0) {
		strbuf_set_printf(why, ":include: %s: cannot switch to uid %lu: %s",
		    path, (unsigned long)uid, strerror(errno));
		return -1;
	}
	rc = local_include_read(path, owner, value, file_uid, file_gid, why);
	if (privsep_restore() < 0)
		log_fatal_errno("cannot restore root privileges");
	return rc;
}

void
local_expand_ops_system(struct local_expand_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->alias = sys_alias;
	ops->forward = sys_forward;
	ops->include = sys_include;
	ops->is_local_domain = mail_params_is_local_domain;
	ops->delim = var_recipient_delimiter;
	ops->allow_commands = local_class_mask(var_allow_commands);
	ops->allow_files = local_class_mask(var_allow_files);
	if (getuid() != 0) {
		ops->default_uid = getuid();
		ops->default_gid = getgid();
	} else if (privsep_user(var_default_privs, &ops->default_uid,
	    &ops->default_gid) < 0) {
		ops->default_uid = 65534;
		ops->default_gid = 65534;
	}
}
