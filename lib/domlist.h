/*
 * lib/domlist.h — domain lists such as virtual_alias_domains (Postfix's
 * domain match lists): a list of `domain` (that name exactly),
 * `.domain` (its subdomains), `!pattern` (not this one: the first match in
 * the list decides) and `type:table` entries (the domain is a key of the
 * table, whatever its value).  Used by cleanup (cleanup_rewrite.c) and
 * smtpd (relay control and the virtual alias check at RCPT).
 * Matching is case-insensitive; a table in trouble makes the answer
 * MAP_RETRY (never a guess).  Errors are returned, nothing is logged.
 */
#ifndef TEGAMI_DOMLIST_H
#define TEGAMI_DOMLIST_H

#include "map.h"
#include "strbuf.h"

struct domlist;		/* opaque */

/* Parse a list value.  NULL with err when a table spec does not open. An
 * empty value gives a list that matches nothing. */
struct domlist *domlist_open(const char *value, struct strbuf *err);
void	domlist_free(struct domlist *dl);	/* accepts NULL */
/* Does the (non-empty) list have any entry? */
int	domlist_empty(const struct domlist *dl);
/* MAP_FOUND when domain is in the list, MAP_NOTFOUND when not (or when a
 * `!` entry excludes it), MAP_RETRY with why when a table failed. */
enum map_result domlist_match(struct domlist *dl, const char *domain,
	    struct strbuf *why);

#endif
