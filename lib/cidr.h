/*
 * lib/cidr.h — lists of IPv4/IPv6 networks ($mynetworks).
 *
 * Entries as Postfix writes them: "127.0.0.0/8", "192.0.2.7", "::1/128",
 * "[::1]/128", "[2001:db8::]/32".  Host bits set under the mask are
 * cleared with a warning.  Entries that are not addresses (host names,
 * "type:table" lookups) are not supported yet: they are skipped with a
 * warning, so a Postfix configuration still loads.  A malformed address or
 * prefix length is an error with a reason.  Matching takes a printable
 * address ("127.0.0.1", "::ffff:10.1.2.3" matches IPv4 networks).
 */
#ifndef TEGAMI_CIDR_H
#define TEGAMI_CIDR_H

#include "strbuf.h"

struct cidr_list;

/* Parse a list value (split on commas and white space).  NULL with the
 * reason in err on a malformed entry. */
struct cidr_list *cidr_list_parse(const char *value, struct strbuf *err);
void	cidr_list_free(struct cidr_list *list);	/* accepts NULL */
/* 1 when addr (printable IPv4 or IPv6) is in one of the networks, 0 when
 * not or when addr does not parse. */
int	cidr_list_match(const struct cidr_list *list, const char *addr);
/* Number of networks in the list. */
size_t	cidr_list_count(const struct cidr_list *list);

#endif
