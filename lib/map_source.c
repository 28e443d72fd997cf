/*
 * lib/map_source.c — the Postfix table source parser (see map_source.h):
 * logical lines with continuations and comments, then `key value` or
 * `key: value` entries.  Everything is bounded: a logical line longer
 * than MAP_SOURCE_LINE_MAX is skipped with a warning, never truncated.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map_source.h"

#define IS_SPACE(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || \
			 (c) == '\n' || (c) == '\v' || (c) == '\f')

void
map_source_init(struct map_source *s, const char *text, size_t len,
    const char *file)
{
	s->text = text;
	s->len = len;
	s->pos = 0;
	s->file = file;
	s->lineno = 0;
	s->line = 0;
	strbuf_init(&s->buf, MAP_SOURCE_LINE_MAX);
	strbuf_init(&s->val, MAP_SOURCE_LINE_MAX * 2);
}

void
map_source_release(struct map_source *s)
{
	strbuf_release(&s->buf);
	strbuf_release(&s->val);
}

/* One physical line: [*start, *end) without the newline; advances pos. */
static void
physical_line(struct map_source *s, size_t *start, size_t *end)
{
	const char *nl;

	*start = s->pos;
	nl = memchr(s->text + s->pos, '\n', s->len - s->pos);
	*end = nl ? (size_t)(nl - s->text) : s->len;
	s->pos = nl ? *end + 1 : s->len;
	s->lineno++;
}

/* 1 when the physical line [a, b) is blank or a comment. */
static int
ignorable(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && IS_SPACE(p[i]))
		i++;
	return i == n || p[i] == '#';
}

int
map_source_next_line(struct map_source *s, struct strbuf *warn)
{
	size_t a, b;
	int toolong = 0;
	char next;

	strbuf_reset(&s->buf);
	/* Skip to the first line with text. */
	for (;;) {
		if (s->pos >= s->len)
			return 0;
		physical_line(s, &a, &b);
		if (!ignorable(s->text + a, b - a))
			break;
	}
	s->line = s->lineno;
	if (strbuf_append(&s->buf, s->text + a, b - a) < 0)
		toolong = 1;
	/* Continuation lines, skipping comment and blank lines in between. */
	while (s->pos < s->len) {
		next = s->text[s->pos];
		if (next != '#' && !IS_SPACE(next))
			break;
		physical_line(s, &a, &b);
		if (ignorable(s->text + a, b - a))
			continue;
		if (!toolong && strbuf_append(&s->buf, s->text + a, b - a) < 0)
			toolong = 1;
	}
	if (toolong) {
		strbuf_set_printf(warn, "%s, line %d: line too long (more than "
		    "%d bytes); skipped", s->file, s->line, MAP_SOURCE_LINE_MAX);
		return -1;
	}
	if (memchr(s->buf.data, '\0', s->buf.len) != NULL) {
		strbuf_set_printf(warn, "%s, line %d: NUL byte in line; skipped",
		    s->file, s->line);
		return -1;
	}
	if (IS_SPACE(s->buf.data[0])) {
		strbuf_set_printf(warn, "%s, line %d: logical line must not "
		    "start with whitespace; skipped", s->file, s->line);
		return -1;
	}
	return 1;
}

/* Remove trailing white space. */
static void
trim_right(char *p)
{
	size_t n = strlen(p);

	while (n > 0 && IS_SPACE(p[n - 1]))
		p[--n] = '\0';
}

#define SPECIALS	"()<>@,;:\\\".[]"

enum tok_kind { TOK_WORD, TOK_OP };

/* One RFC 822 token at p: its end, kind and operator character. */
static const char *
tok_next(const char *p, enum tok_kind *kind, char *op)
{
	int depth;

	*kind = TOK_WORD;
	*op = *p;
	if (*p == '"' || *p == '[') {
		char close = *p == '"' ? '"' : ']';

		for (p++; *p && *p != close; p++)
			if (*p == '\\' && p[1])
				p++;
		return *p ? p + 1 : p;
	}
	if (*p == '(') {
		for (depth = 0; *p; p++) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0)
				return p + 1;
		}
		return p;
	}
	if (strchr(SPECIALS, *p)) {
		*kind = TOK_OP;
		return p + 1;
	}
	while (*p && !IS_SPACE(*p) && !strchr(SPECIALS, *p))
		p++;
	return p;
}

/* Re-space an alias value as tok822_externalize does: a space after a
 * comma, before '<', and between two words; none around other operators. */
static void
alias_respace(const char *p, struct strbuf *out)
{
	enum tok_kind kind, prev_kind = TOK_OP;
	const char *e;
	char op, prev_op = 0;
	int first = 1;

	strbuf_reset(out);
	for (;;) {
		while (IS_SPACE(*p))
			p++;
		if (*p == '\0')
			break;
		e = tok_next(p, &kind, &op);
		if (!first && (prev_op == ',' || (kind == TOK_OP && op == '<') ||
		    (kind == TOK_WORD && prev_kind == TOK_WORD)))
			strbuf_append_char(out, ' ');
		strbuf_append(out, p, (size_t)(e - p));
		prev_kind = kind;
		prev_op = kind == TOK_OP ? op : 0;
		first = 0;
		p = e;
	}
}

/* postalias: `name: value`; the name may be a "quoted" local part. */
static int
split_alias(struct map_source *s, char **key, char **value, struct strbuf *warn)
{
	char *p = s->buf.data, *colon, *k, *e;

	if (*p == '"') {
		e = strchr(p + 1, '"');
		colon = e ? strchr(e + 1, ':') : NULL;
	} else
		colon = strchr(p, ':');
	if (colon == NULL)
		goto bad;
	*colon = '\0';
	trim_right(p);
	k = p;
	if (*k == '"' && strlen(k) >= 2 && k[strlen(k) - 1] == '"') {
		k[strlen(k) - 1] = '\0';
		k++;
	}
	p = colon + 1;
	while (IS_SPACE(*p))
		p++;
	trim_right(p);
	if (*k == '\0' || *p == '\0')
		goto bad;
	*key = k;
	alias_respace(p, &s->val);
	*value = s->val.data;
	return 1;
bad:
	strbuf_set_printf(warn, "%s, line %d: need name:value pair", s->file,
	    s->line);
	return -1;
}

int
map_source_next(struct map_source *s, int flags, char **key, char **value,
    struct strbuf *warn)
{
	char *p;
	int rc;

	if ((rc = map_source_next_line(s, warn)) <= 0)
		return rc;
	if (flags & MAP_SOURCE_ALIASES)
		return split_alias(s, key, value, warn);
	/* Split on the first white space, trim the value (as postmap). */
	p = s->buf.data;
	*key = p;
	while (*p != '\0' && !IS_SPACE(*p))
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while (IS_SPACE(*p))
		p++;
	trim_right(p);
	*value = p;
	if (**key == '\0' || **value == '\0') {
		strbuf_set_printf(warn, "%s, line %d: expected format: key "
		    "whitespace value", s->file, s->line);
		return -1;
	}
	return 1;
}

int
map_source_read_file(const char *path, char **text, size_t *len,
    struct stat *st_out, struct strbuf *err)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		strbuf_set_printf(err, "open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		strbuf_set_printf(err, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if (st.st_size > (off_t)1 << 31) {
		strbuf_set_printf(err, "%s: file too large", path);
		close(fd);
		return -1;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			strbuf_set_printf(err, "read %s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*text = buf;
	*len = got;
	if (st_out)
		*st_out = st;
	return 0;
}
