/*
 * local-delivery/local_resolve.c — which mailbox a recipient means.
 *
 * The domain is dropped (qmgr sends only local domains) and the extension
 * after $recipient_delimiter is stripped.  Instance mode
 * ($instance_mailbox_base set, tegami init): the mailbox is
 * BASE/localpart/Maildir/, written as mail_owner (or as the current user
 * when not root).  System mode: the local part is a user of the passwd
 * database (lower case first, as Postfix does); $home_mailbox ending in /
 * means HOME/home_mailbox as a Maildir, any other $home_mailbox an mbox
 * in the home directory, and an empty one the mbox
 * $mail_spool_directory/USER.  A local part becomes a path component, so
 * it must be one safe component; anything else is an unknown user.
 * Results: 0, or -1 with a bounce (unknown user) or a deferral (lookup
 * trouble) in res.  Nothing is logged here.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "ipc_names.h"
#include "local.h"
#include "mail_params.h"
#include "privsep.h"

int
local_part_safe(const char *lp)
{
	size_t i, n = strlen(lp);

	/* One path component: no '/', no "." or ".." or hidden names, no
	 * white space or control characters. */
	if (n == 0 || n > ADDR_LOCAL_MAX || lp[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)lp[i] < 0x21 || (unsigned char)lp[i] > 0x7e ||
		    lp[i] == '/')
			return 0;
	return 1;
}

/* "user+ext" -> "user" (any character of $recipient_delimiter; never an
 * empty result). */
static void
strip_extension(struct strbuf *lp)
{
	const char *delim = var_recipient_delimiter;
	size_t i;

	if (delim == NULL || *delim == '\0')
		return;
	for (i = 1; i < lp->len; i++) {
		if (strchr(delim, lp->data[i]) != NULL) {
			strbuf_truncate(lp, i);
			return;
		}
	}
}

static int
set_path(char *buf, size_t size, const char *a, const char *b, const char *c,
    struct local_result *res)
{
	if ((size_t)snprintf(buf, size, "%s%s%s", a, b, c) >= size) {
		local_result_set(res, DELIVER_DEFER, "4.3.0", "mailbox path too long");
		return -1;
	}
	return 0;
}

static int
resolve_instance(const char *lp, struct local_mailbox *mb, struct local_result *res)
{
	const char *base = var_instance_mailbox_base;
	const char *sep = base[strlen(base) - 1] == '/' ? "" : "/";

	if (geteuid() == 0) {
		if (privsep_user(var_mail_owner, &mb->uid, &mb->gid) < 0) {
			local_result_set(res, DELIVER_DEFER, "4.3.0",
			    "unknown mail_owner user \"%s\"", var_mail_owner);
			return -1;
		}
	} else {
		mb->uid = getuid();
		mb->gid = getgid();
	}
	mb->kind = LOCAL_MAILDIR;
	if (set_path(mb->parent, sizeof(mb->parent), base, sep, lp, res) < 0 ||
	    set_path(mb->path, sizeof(mb->path), mb->parent, "/", "Maildir/", res) < 0)
		return -1;
	return 0;
}

/* 1 found, 0 unknown, -1 lookup error (errno). */
static int
lookup_user(const char *name, struct passwd *pw, char *buf, size_t size)
{
	struct passwd *found = NULL;
	int err = getpwnam_r(name, pw, buf, size, &found);

	if (found != NULL)
		return 1;
	/* Not found is 0 or one of these, depending on the NSS module. */
	if (err == 0 || err == ENOENT || err == ESRCH || err == EBADF || err == EPERM)
		return 0;
	errno = err;
	return -1;
}

static int
resolve_system(const char *lp, const char *orig, struct local_mailbox *mb,
    struct local_result *res)
{
	struct passwd pw;
	char buf[16384];
	int rc;

	rc = lookup_user(lp, &pw, buf, sizeof(buf));
	if (rc == 0 && strcmp(lp, orig) != 0 && local_part_safe(orig))
		rc = lookup_user(orig, &pw, buf, sizeof(buf));
	if (rc < 0) {
		local_result_set(res, DELIVER_DEFER, "4.3.0",
		    "cannot look up user \"%s\": %s", lp, strerror(errno));
		return -1;
	}
	if (rc == 0) {
		local_result_set(res, DELIVER_BOUNCE, "5.1.1", "unknown user: \"%s\"", lp);
		return -1;
	}
	mb->uid = pw.pw_uid;
	mb->gid = pw.pw_gid;
	mb->parent[0] = '\0';
	if (var_home_mailbox != NULL && *var_home_mailbox != '\0') {
		const char *hm = var_home_mailbox;

		while (*hm == '/')
			hm++;
		mb->kind = hm[strlen(hm) - 1] == '/' ? LOCAL_MAILDIR : LOCAL_MBOX;
		return set_path(mb->path, sizeof(mb->path), pw.pw_dir, "/", hm, res);
	}
	mb->kind = LOCAL_MBOX;
	return set_path(mb->path, sizeof(mb->path), var_mail_spool_dir ?
	    var_mail_spool_dir : "/var/mail", "/", pw.pw_name, res);
}

int
local_resolve(const char *rcpt, struct local_mailbox *mb, struct local_result *res)
{
	struct strbuf local, lower;
	size_t i;
	int rc = -1;

	memset(mb, 0, sizeof(*mb));
	strbuf_init(&local, LOCAL_ADDR_MAX);
	strbuf_init(&lower, LOCAL_ADDR_MAX);
	if (addr_split(rcpt, &local, NULL) < 0) {
		local_result_set(res, DELIVER_BOUNCE, "5.1.3", "bad address syntax");
		goto out;
	}
	strip_extension(&local);
	for (i = 0; i < local.len; i++)
		strbuf_append_char(&lower, (char)tolower((unsigned char)local.data[i]));
	if (!local_part_safe(lower.data)) {
		local_result_set(res, DELIVER_BOUNCE, "5.1.1", "unknown user: \"%.64s\"",
		    lower.data);
		goto out;
	}
	if (var_instance_mailbox_base != NULL && *var_instance_mailbox_base != '\0')
		rc = resolve_instance(lower.data, mb, res);
	else
		rc = resolve_system(lower.data, local.data, mb, res);
out:
	strbuf_release(&local);
	strbuf_release(&lower);
	return rc;
}
