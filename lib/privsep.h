/*
 * lib/privsep.h — dropping privileges, once and for good.
 *
 * privsep_drop() looks up the user, then setgroups() to its groups,
 * setresgid(), setresuid() and checks that neither id can be regained; any
 * failure is fatal (a daemon that meant to drop root and could not must not
 * run).  When the process does not run as root it does nothing: an instance
 * started by an ordinary user runs every daemon as that user.
 */
#ifndef TEGAMI_PRIVSEP_H
#define TEGAMI_PRIVSEP_H

#include <sys/types.h>

/* Drop to `user` (mail_owner) for good, if running as root. */
void	privsep_drop(const char *user);
/* Look up a user: 0 with uid/gid, -1 when unknown. */
int	privsep_user(const char *user, uid_t *uid, gid_t *gid);

/* Temporarily act as uid/gid (effective ids only, with the user's
 * supplementary groups), for local-delivery writing as the recipient. Only
 * when running as root; 0 / -1. privsep_restore() returns to root. */
int	privsep_become(uid_t uid, gid_t gid);
int	privsep_restore(void);

#endif
