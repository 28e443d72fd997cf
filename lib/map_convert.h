/*
 * lib/map_convert.h — copy a table into a table of another type
 * (`tegami map -C hash:/etc/aliases lmdb:/etc/aliases`): the way off
 * Berkeley DB when a distribution drops it.  Keys and values are copied
 * exactly as stored: no folding, no alias checks, no source file needed.
 */
#ifndef TEGAMI_MAP_CONVERT_H
#define TEGAMI_MAP_CONVERT_H

#include <stddef.h>
#include "strbuf.h"

/* Read every entry of src (any type that can be listed: hash:, btree:,
 * lmdb:, texthash:, inline:) and write dst (hash:, btree: or lmdb:) as a
 * temporary file renamed into place, so readers see the old table or the
 * whole new one.  dst gets the owner of src's file when run as root.
 * *count (may be NULL) receives the number of entries.  0, or -1 with the
 * reason in err (dst is then left as it was). */
int	map_convert(const char *src, const char *dst, size_t *count,
	    struct strbuf *err);

#endif
