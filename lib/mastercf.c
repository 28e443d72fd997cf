/*
 * lib/mastercf.c — read master.cf, Postfix's service table, into entries.
 *
 * Called by master at start-up and on reload, and by `tegami check`.  The
 * file is read whole (bounded by CONF_FILE_MAX), split into logical lines
 * (a line starting with white space continues the entry above; blank and
 * '#' lines are ignored) and every column is checked: y/n/-, non-negative
 * numbers, a known type, a service name that cannot escape the socket
 * directory, no duplicate service.  Errors name file and line; none is fatal.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "conf_file.h"
#include "log.h"
#include "mastercf.h"

#define MASTERCF_FIELDS	7	/* service .. maxproc, then the command */

/* Tokenise a logical line: white space separates, "{ text }" is one
 * token with the braces and the white space inside them stripped. */
static int
mastercf_tokens(const char *text, char ***argvp, int *argcp)
{
	char **argv = xmalloc(sizeof(*argv));
	const char *p = text, *start, *end;
	int argc = 0, level;

	while (*p != '\0') {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (*p == '{') {
			start = ++p;
			for (level = 1; *p != '\0' && level > 0; p++) {
				if (*p == '{')
					level++;
				else if (*p == '}')
					level--;
			}
			if (level > 0)
				goto fail;
			end = p - 1;
			while (start < end && isspace((unsigned char)*start))
				start++;
			while (end > start && isspace((unsigned char)end[-1]))
				end--;
		} else {
			start = p;
			while (*p != '\0' && !isspace((unsigned char)*p))
				p++;
			end = p;
		}
		argv = xreallocarray(argv, (size_t)argc + 2, sizeof(*argv));
		argv[argc++] = xstrndup(start, (size_t)(end - start));
	}
	argv[argc] = NULL;
	*argvp = argv;
	*argcp = argc;
	return 0;
fail:
	argv[argc] = NULL;
	for (level = 0; level < argc; level++)
		free(argv[level]);
	free(argv);
	return -1;
}

/* y / n / - (default) */
static int
mastercf_bool(const char *v, int dflt, int *out)
{
	if (strcmp(v, "-") == 0)
		*out = dflt;
	else if (strcmp(v, "y") == 0 || strcmp(v, "n") == 0)
		*out = v[0] == 'y';
	else
		return -1;
	return 0;
}

/* A non-negative decimal int, or '-' for dflt; wakeup may end in '?'. */
static int
mastercf_number(const char *v, int dflt, int allow_q, int *out)
{
	char *end;
	long n;

	if (strcmp(v, "-") == 0) {
		*out = dflt;
		return 0;
	}
	if (!isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (allow_q && *end == '?')
		end++;
	if (errno != 0 || *end != '\0' || n > INT_MAX)
		return -1;
	*out = (int)n;
	return 0;
}

static int
mastercf_type_ok(const char *t)
{
	static const char *types[] = { "inet", "unix", "fifo", "pass",
	    "unix-dgram", NULL };
	int i;

	for (i = 0; types[i] != NULL; i++)
		if (strcmp(t, types[i]) == 0)
			return 1;
	return 0;
}

static void
mastercf_entry_free(struct mastercf_entry *e)
{
	int i;

	free(e->service);
	free(e->type);
	for (i = 0; e->argv != NULL && i < e->argc; i++)
		free(e->argv[i]);
	free(e->argv);
	free(e->file);
}

void
mastercf_free(struct mastercf_entry *entries, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		mastercf_entry_free(&entries[i]);
	free(entries);
}

/* Check the columns of one logical line and build the entry. */
static int
mastercf_entry(const char *path, int line, const char *text, int default_maxproc,
    struct mastercf_entry *e, struct strbuf *err)
{
	char **tok;
	int ntok, i;
	const char *what = NULL;

	memset(e, 0, sizeof(*e));
	if (mastercf_tokens(text, &tok, &ntok) < 0) {
		strbuf_set_printf(err, "%s, line %d: missing '}'", path, line);
		return -1;
	}
	if (ntok < MASTERCF_FIELDS + 1)
		what = "expected 8 or more fields: service type private unpriv "
		    "chroot wakeup maxproc command";
	else if (!mastercf_type_ok(tok[1]))
		what = "unknown service type (expected inet, unix, fifo, pass or "
		    "unix-dgram)";
	else if (strcmp(tok[1], "inet") != 0 && (strchr(tok[0], '/') != NULL ||
	    tok[0][0] == '.'))
		what = "bad service name (no '/' or leading '.' allowed)";
	else if (mastercf_bool(tok[2], 1, &e->private_) < 0)
		what = "private field: expected y, n or -";
	else if (mastercf_bool(tok[3], 1, &e->unpriv) < 0)
		what = "unpriv field: expected y, n or -";
	else if (mastercf_bool(tok[4], 0, &e->chroot) < 0)
		what = "chroot field: expected y, n or -";
	else if (mastercf_number(tok[5], 0, 1, &e->wakeup) < 0 ||
	    e->wakeup > MASTERCF_WAKEUP_MAX)
		what = "wakeup field: expected a number of seconds up to 604800, or -";
	else if (mastercf_number(tok[6], default_maxproc, 0, &e->maxproc) < 0)
		what = "maxproc field: expected a non-negative number or -";
	if (what != NULL) {
		strbuf_set_printf(err, "%s, line %d: %s", path, line, what);
		for (i = 0; i < ntok; i++)
			free(tok[i]);
		free(tok);
		return -1;
	}
	e->service = tok[0];
	e->type = tok[1];
	for (i = 2; i < MASTERCF_FIELDS; i++)
		free(tok[i]);
	e->argc = ntok - MASTERCF_FIELDS;
	memmove(tok, tok + MASTERCF_FIELDS, ((size_t)e->argc + 1) * sizeof(*tok));
	e->argv = tok;
	e->file = xstrdup(path);
	e->line = line;
	return 0;
}

/* Append the entry for one finished logical line; checks duplicates. */
static int
mastercf_add(const char *path, int line, const char *text, int default_maxproc,
    struct mastercf_entry **v, size_t *n, struct strbuf *err)
{
	struct mastercf_entry e;
	size_t i;

	if (mastercf_entry(path, line, text, default_maxproc, &e, err) < 0)
		return -1;
	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].service, e.service) == 0 &&
		    strcmp((*v)[i].type, e.type) == 0) {
			strbuf_set_printf(err, "%s, line %d: duplicate service %s/%s "
			    "(first at line %d)", path, line, e.service, e.type,
			    (*v)[i].line);
			mastercf_entry_free(&e);
			return -1;
		}
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[(*n)++] = e;
	return 0;
}

int
mastercf_parse_text(const char *path, const char *text, size_t len,
    int default_maxproc, struct mastercf_entry **entries, size_t *count,
    struct strbuf *err)
{
	struct mastercf_entry *v = NULL;
	struct strbuf cur;
	const char *p = text, *limit = text + len, *nl, *q;
	size_t n = 0;
	int lineno = 0, cur_line = 0, r = 0;

	if (memchr(text, '\0', len) != NULL) {
		strbuf_set_printf(err, "%s: NUL byte in text", path);
		return -1;
	}
	strbuf_init(&cur, len + 1);
	while (p < limit && r == 0) {
		nl = memchr(p, '\n', (size_t)(limit - p));
		if (nl == NULL)
			nl = limit;
		lineno++;
		for (q = p; q < nl && isspace((unsigned char)*q); q++)
			;
		if (q == nl || *q == '#') {
			/* blank or comment: ignored, even inside an entry */
		} else if (q != p) {
			if (cur_line == 0) {
				strbuf_set_printf(err, "%s, line %d: continuation line "
				    "(starting with white space) without an entry "
				    "before it", path, lineno);
				r = -1;
			}
			strbuf_append_char(&cur, ' ');
			strbuf_append(&cur, p, (size_t)(nl - p));
		} else {
			if (cur_line != 0)
				r = mastercf_add(path, cur_line, cur.data,
				    default_maxproc, &v, &n, err);
			strbuf_set_str(&cur, "");
			strbuf_append(&cur, p, (size_t)(nl - p));
			cur_line = lineno;
		}
		p = nl < limit ? nl + 1 : limit;
	}
	if (r == 0 && cur_line != 0)
		r = mastercf_add(path, cur_line, cur.data, default_maxproc, &v, &n,
		    err);
	strbuf_release(&cur);
	if (r < 0) {
		mastercf_free(v, n);
		return -1;
	}
	*entries = v;
	*count = n;
	return 0;
}

int
mastercf_read(const char *path, int default_maxproc,
    struct mastercf_entry **entries, size_t *count, struct strbuf *err)
{
	struct strbuf sb;
	int r;

	if (conf_file_read(path, &sb, err) < 0)
		return -1;
	r = mastercf_parse_text(path, sb.data, sb.len, default_maxproc, entries,
	    count, err);
	strbuf_release(&sb);
	return r;
}
