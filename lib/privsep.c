/*
 * lib/privsep.c — dropping root for good (daemons), and acting as a user
 * for a while (local-delivery writing as the recipient).
 *
 * privsep_drop is called by the server skeleton after the pre-drop setup;
 * it sets groups, gid and uid (real, effective and saved) and then proves
 * that root cannot come back.  Any failure there is fatal: a daemon that
 * meant to drop root and could not must not run.  privsep_become/restore
 * change only effective ids and return errors.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privsep.h"
#include "strbuf.h"

int
privsep_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	errno = 0;
	if (user == NULL || (pw = getpwnam(user)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

void
privsep_drop(const char *user)
{
	uid_t uid, ruid, euid, suid;
	gid_t gid, rgid, egid, sgid;

	if (geteuid() != 0)
		return;
	if (privsep_user(user, &uid, &gid) < 0)
		log_fatal("privsep: unknown user \"%s\" (mail_owner)", user);
	if (uid == 0)
		log_fatal("privsep: user \"%s\" has uid 0; refusing to run "
		    "daemons as root", user);
	if (initgroups(user, gid) < 0)
		log_fatal_errno("privsep: initgroups(%s)", user);
	if (setresgid(gid, gid, gid) < 0)
		log_fatal_errno("privsep: setresgid(%ld)", (long)gid);
	if (setresuid(uid, uid, uid) < 0)
		log_fatal_errno("privsep: setresuid(%ld)", (long)uid);
	if (getresuid(&ruid, &euid, &suid) < 0 || ruid != uid || euid != uid ||
	    suid != uid)
		log_fatal("privsep: uid is not %ld after setresuid", (long)uid);
	if (getresgid(&rgid, &egid, &sgid) < 0 || rgid != gid || egid != gid ||
	    sgid != gid)
		log_fatal("privsep: gid is not %ld after setresgid", (long)gid);
	/* The proof: with every uid changed, root must be out of reach. */
	if (setuid(0) == 0 || seteuid(0) == 0)
		log_fatal("privsep: could regain root after dropping to %s", user);
}

int
privsep_become(uid_t uid, gid_t gid)
{
	struct passwd *pw;

	if (getuid() != 0)
		return 0;	/* unprivileged instance: nothing to switch */
	/* Order: groups and gid while still root, the uid last. */
	if (seteuid(0) < 0)
		return -1;
	pw = getpwuid(uid);
	if (pw != NULL ? initgroups(pw->pw_name, gid) < 0 :
	    setgroups(1, &gid) < 0)
		return -1;
	if (setegid(gid) < 0)
		return -1;
	if (seteuid(uid) < 0) {
		int saved = errno;

		(void)setegid(0);
		errno = saved;
		return -1;
	}
	return 0;
}

int
privsep_restore(void)
{
	gid_t root_gid = 0;

	if (getuid() != 0)
		return 0;
	if (seteuid(0) < 0 || setegid(0) < 0 || setgroups(1, &root_gid) < 0)
		return -1;
	return 0;
}
