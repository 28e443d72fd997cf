/*
 * smtp-client/smtpc_auth.h — the smarthost login of a delivery:
 * smtp_sasl_password_maps, opened before the privilege drop and searched
 * in Postfix's order.  No I/O besides the table lookups; no logging.
 */
#ifndef TEGAMI_SMTPC_AUTH_H
#define TEGAMI_SMTPC_AUTH_H

#include "strbuf.h"

/* Open the tables of `maps` (smtp_sasl_password_maps) now, while still
 * root: sasl_passwd files are usually 0600 root (Postfix opens them
 * before the chroot too).  "" opens nothing.  0 / -1 with err (bad
 * table spec).  Calling it again with another value re-opens. */
int	smtpc_auth_init(const char *maps, struct strbuf *err);
/* Close the tables (for tests and exit). */
void	smtpc_auth_close(void);

/*
 * user:password for one session, searched as Postfix's smtp(8) does:
 * with sender_dependent (smtp_sender_dependent_authentication; pass 0 for
 * LMTP) and a non-null sender, by the sender address (user+ext@domain,
 * user@domain, @domain); then by the remote host name; then by the next
 * hop as given ("[mail.example.net]:587", "example.com").  The value is
 * "user:password", split at the first ':' (the password may hold ':'; no
 * ':' gives an empty password, as Postfix).  `maps` must be what
 * smtpc_auth_init was given (otherwise it is opened now, which fails for a
 * root-only file after the privilege drop and defers).  1 found (*user,
 * *pass malloc'd: the caller wipes and frees), 0 none, -1 table error
 * (defer) with err.  hostname may be NULL or "".
 */
int	smtpc_auth_lookup(const char *maps, int sender_dependent,
	    const char *sender, const char *nexthop, const char *hostname,
	    char **user, char **pass, struct strbuf *err);

#endif
