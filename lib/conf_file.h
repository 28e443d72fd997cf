/*
 * lib/conf_file.h — the main.cf file format itself: parsing a file into
 * logical "name = value" lines, and editing one setting in place.
 *
 * Used by conf.c (the registry) and by `tegami conf -e` through
 * conf_edit_file().  Input is untrusted text with bounded size; errors are
 * returned as "FILE, line N: ..." in the caller's strbuf.
 */
#ifndef TEGAMI_CONF_FILE_H
#define TEGAMI_CONF_FILE_H

#include <stddef.h>
#include "strbuf.h"

#define CONF_NAME_MAX	100		/* parameter name length */
#define CONF_FILE_MAX	(4 * 1024 * 1024) /* main.cf size */

struct conf_line {
	char   *name;		/* malloc'd */
	char   *value;		/* malloc'd, continuation lines joined by a space */
	int	line;		/* line number of the name */
};

/* Is name[0..len) a valid parameter name ([A-Za-z0-9_], 1..CONF_NAME_MAX)? */
int	conf_name_valid(const char *name, size_t len);

/* Parse text (len bytes, may hold NUL: an error) into logical settings.
 * `file` is used in messages only. On success *lines is a malloc'd array of
 * *count entries owned by the caller. */
int	conf_text_parse(const char *file, const char *text, size_t len,
	    struct conf_line **lines, size_t *count, struct strbuf *err);
/* Read a file (at most CONF_FILE_MAX bytes) and parse it. */
int	conf_file_parse(const char *path, struct conf_line **lines,
	    size_t *count, struct strbuf *err);
/* Read a whole file into sb (max CONF_FILE_MAX). 0 / -1 with errno set. */
int	conf_file_slurp(const char *path, struct strbuf *sb);
/* Initialise sb (max CONF_FILE_MAX) and read a whole file into it. -1 with
 * "PATH: cannot read: reason" in err (sb released). */
int	conf_file_read(const char *path, struct strbuf *sb, struct strbuf *err);

#endif
