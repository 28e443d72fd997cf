/*
 * lib/map_cidr.h — the cidr: table source parser on its own, so it can be
 * fuzzed and tested without a file (map_cidr_open reads the file and
 * calls it).  The format is Postfix's cidr_table(5); see lib/map_cidr.c.
 */
#ifndef TEGAMI_MAP_CIDR_H
#define TEGAMI_MAP_CIDR_H

#include <stddef.h>
#include "map.h"

struct map_cidr;	/* a parsed table; opaque */

/* Parse the whole text of a cidr table (file: the name for messages).
 * 0 with *out set, or -1 with "FILE, line N: reason: \"pattern\"" in err
 * and *out left NULL. */
int	map_cidr_table_parse(const char *text, size_t len, const char *file,
	    struct map_cidr **out, struct strbuf *err);
/* key: an IPv4 or IPv6 address; anything else is not found. */
enum map_result map_cidr_table_lookup(const struct map_cidr *t, const char *key,
	    struct strbuf *value);
void	map_cidr_table_free(struct map_cidr *t);	/* accepts NULL */

#endif
