/*
 * lib/addr.h — RFC 5321 paths and mailboxes.
 *
 * Addresses travel inside tegami in their external form: exactly the
 * mailbox as it would be written in an SMTP path (a quoted local part stays
 * quoted), without the angle brackets; the null sender is "".  The domain
 * part is lower-cased when stored; the local part is kept as received.
 *
 * Limits (RFC 5321 4.5.3.1): local part 64 octets, domain 255, path 256.
 * Input is untrusted; every function returns an error with a static reason
 * string and never writes past its output buffer.
 */
#ifndef TEGAMI_ADDR_H
#define TEGAMI_ADDR_H

#include <stddef.h>
#include "strbuf.h"

#define ADDR_LOCAL_MAX	64
#define ADDR_DOMAIN_MAX	255
#define ADDR_PATH_MAX	256

#define ADDR_F_NULL_OK		0x01	/* "<>" is acceptable (reverse-path) */
#define ADDR_F_NO_BRACKETS	0x02	/* accept a path without <> (lenient clients) */
#define ADDR_F_LOCAL_OK		0x04	/* accept a bare local part (RCPT TO:<postmaster>) */
#define ADDR_F_UTF8		0x08	/* SMTPUTF8: UTF-8 in local part and domain */

/*
 * Parse an SMTP path at the start of `in` (`<a@b>`, `<@r1,@r2:a@b>` — the
 * source route is accepted and dropped, `<>`).  On success returns 0, stores
 * the mailbox in `out` (external form, "" for <>) and sets *consumed to the
 * bytes used (parameters follow after that).  On error returns -1 and sets
 * *why to a static text such as "5.1.7 Bad sender address syntax"-free
 * reason ("malformed address", "local part too long", ...).
 */
int	addr_parse_path(const char *in, size_t len, int flags,
	    struct strbuf *out, size_t *consumed, const char **why);

/* Parse a bare mailbox (local@domain, or a bare local part with
 * ADDR_F_LOCAL_OK) that must make up all of `in`. Same results. */
int	addr_parse_mailbox(const char *in, size_t len, int flags,
	    struct strbuf *out, const char **why);

/* Split an external-form address at its last '@' outside quotes. `local`
 * receives the local part unquoted (quoted-pairs resolved), `domain` the
 * domain ("" when there is none). Either may be NULL. 0 / -1. */
int	addr_split(const char *addr, struct strbuf *local, struct strbuf *domain);

/* Is this a syntactically valid domain name (LDH labels, or a domain
 * literal [1.2.3.4] / [IPv6:...])? With utf8, UTF-8 labels are allowed. */
int	addr_domain_valid(const char *domain, int utf8);
/* A domain with at least one dot (or a domain literal). */
int	addr_domain_is_fqdn(const char *domain);

/* Is p[0..len) valid UTF-8 (no overlong forms, surrogates, code points
 * past U+10FFFF, or C1 controls)?  ASCII bytes are not checked here. */
int	addr_utf8_valid(const char *p, size_t len);

/* Quote a local part if it is not a valid dot-string (for external form). */
int	addr_quote_local(const char *local, size_t len, struct strbuf *out);

#endif
