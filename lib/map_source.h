/*
 * lib/map_source.h — Postfix's table source format, shared by texthash:,
 * cidr:, the builders (tegami map / postmap) and the fuzzer.
 *
 * Logical lines as Postfix's readlline(): a line that starts with white
 * space continues the previous one; a line whose first non-blank character
 * is `#` is a comment; blank lines are ignored (neither ends a logical
 * line); a logical line that starts with white space is skipped with a
 * warning.  Entries are `key whitespace value` (postmap) or `key: value`
 * (postalias); a line without a value is skipped with a warning
 * "FILE, line N: expected format: key whitespace value", as postmap does.
 * postalias values are re-spaced token by token as Postfix stores them
 * ("a,b" -> "a, b", "x   y" -> "x y"; quoted strings kept).
 * Line numbers are those of the first physical line of the logical line.
 */
#ifndef TEGAMI_MAP_SOURCE_H
#define TEGAMI_MAP_SOURCE_H

#include <stddef.h>
#include "strbuf.h"

#define MAP_SOURCE_LINE_MAX	(1024 * 1024)	/* longest logical line */

struct map_source {
	const char *text;	/* whole source, not NUL-terminated */
	size_t	len;
	size_t	pos;		/* next byte to read */
	const char *file;	/* for messages */
	int	lineno;		/* physical lines consumed */
	int	line;		/* first line of the current logical line */
	struct strbuf buf;	/* the current logical line */
	struct strbuf val;	/* postalias: the value re-spaced as RFC 822
				 * tokens, as Postfix's tok822_externalize */
};

#define MAP_SOURCE_ALIASES	0x01	/* `key: value` entries (postalias) */

void	map_source_init(struct map_source *s, const char *text, size_t len,
	    const char *file);
void	map_source_release(struct map_source *s);

/* Next logical line in s->buf (s->line is its line number): 1, or 0 at
 * the end.  -1: a line that was skipped, with the warning in warn. */
int	map_source_next_line(struct map_source *s, struct strbuf *warn);

/* Next entry: 1 with *key and *value pointing into s->buf (valid until
 * the next call), 0 at the end, -1 for a skipped line with the warning
 * ("FILE, line N: ...") in warn: the caller reports it and carries on. */
int	map_source_next(struct map_source *s, int flags, char **key, char **value,
	    struct strbuf *warn);

/* Read a whole file into a malloc'd buffer (*len bytes, NUL added).
 * 0 / -1 with the reason in err; *st_out (may be NULL) gets its stat. */
struct stat;
int	map_source_read_file(const char *path, char **text, size_t *len,
	    struct stat *st_out, struct strbuf *err);

#endif
