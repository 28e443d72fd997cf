/*
 * lib/conf_file.c — main.cf as a file: parse logical lines, edit in place.
 *
 * Syntax (Postfix): `name = value`; a line starting with white space
 * continues the previous setting; blank lines and lines whose first
 * non-blank character is '#' are ignored (also between a setting and its
 * continuation lines).  The file is read whole, bounded by CONF_FILE_MAX,
 * and parsed as a small line state machine.  conf_edit_file rewrites the
 * file through a temporary file, fsync and rename, so a crash leaves the old
 * or the new file, never half of one.  Errors are returned, never fatal.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_file.h"
#include "log.h"

/* One physical line: [start, end) without the newline. */
struct conf_phys {
	const char *start, *end;
	int	lineno;
};

/* Step to the next physical line; 0 at the end of text. */
static int
conf_next_phys(const char **pos, const char *limit, struct conf_phys *ph)
{
	const char *p = *pos, *nl;

	if (p >= limit)
		return 0;
	nl = memchr(p, '\n', (size_t)(limit - p));
	ph->start = p;
	ph->end = nl ? nl : limit;
	ph->lineno++;
	*pos = nl ? nl + 1 : limit;
	return 1;
}

enum conf_kind { CK_BLANK, CK_COMMENT, CK_CONT, CK_SETTING };

static enum conf_kind
conf_classify(const struct conf_phys *ph)
{
	const char *p = ph->start;

	while (p < ph->end && isspace((unsigned char)*p))
		p++;
	if (p == ph->end)
		return CK_BLANK;
	if (*p == '#')
		return CK_COMMENT;
	return p == ph->start ? CK_SETTING : CK_CONT;
}

/* Trim white space (including a CR of a CRLF file) from both ends. */
static void
conf_trim(const char **s, const char **e)
{
	while (*s < *e && isspace((unsigned char)**s))
		(*s)++;
	while (*e > *s && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* Split a setting line into name and value. */
static int
conf_parse_setting(const char *file, const struct conf_phys *ph,
    struct conf_line *out, struct strbuf *err)
{
	const char *p = ph->start, *name = p, *ne, *vs, *ve;

	while (p < ph->end && !isspace((unsigned char)*p) && *p != '=')
		p++;
	ne = p;
	while (p < ph->end && isspace((unsigned char)*p))
		p++;
	if (p == ph->end || *p != '=') {
		strbuf_set_printf(err, "%s, line %d: missing '=' after parameter "
		    "name \"%.*s\"", file, ph->lineno, (int)(ne - name > 100 ? 100 :
		    ne - name), name);
		return -1;
	}
	if (!conf_name_valid(name, (size_t)(ne - name))) {
		strbuf_set_printf(err, "%s, line %d: bad parameter name \"%.*s\"",
		    file, ph->lineno, (int)(ne - name > 100 ? 100 : ne - name), name);
		return -1;
	}
	vs = p + 1;
	ve = ph->end;
	conf_trim(&vs, &ve);
	out->name = xstrndup(name, (size_t)(ne - name));
	out->value = xstrndup(vs, (size_t)(ve - vs));
	out->line = ph->lineno;
	return 0;
}

static void
conf_lines_free(struct conf_line *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(lines[i].name);
		free(lines[i].value);
	}
	free(lines);
}

/* Move the value collected in cur into the last line (if any). */
static void
conf_finish_value(struct conf_line *lines, size_t n, struct strbuf *cur)
{
	if (n == 0)
		return;
	free(lines[n - 1].value);
	lines[n - 1].value = strbuf_detach(cur);
}

int
conf_text_parse(const char *file, const char *text, size_t len,
    struct conf_line **linesp, size_t *count, struct strbuf *err)
{
	struct conf_line *lines = NULL;
	struct conf_phys ph = { NULL, NULL, 0 };
	const char *pos = text, *limit = text + len, *s, *e;
	struct strbuf cur;	/* value of the entry being continued */
	size_t n = 0;

	/* The joined value never exceeds the text: no limit is hit. */
	strbuf_init(&cur, len + 1);
	while (conf_next_phys(&pos, limit, &ph)) {
		if (memchr(ph.start, '\0', (size_t)(ph.end - ph.start)) != NULL) {
			strbuf_set_printf(err, "%s, line %d: NUL byte in text",
			    file, ph.lineno);
			goto fail;
		}
		switch (conf_classify(&ph)) {
		case CK_BLANK:
		case CK_COMMENT:
			break;
		case CK_CONT:
			if (n == 0) {
				strbuf_set_printf(err, "%s, line %d: continuation line "
				    "(starting with white space) without a setting "
				    "before it", file, ph.lineno);
				goto fail;
			}
			s = ph.start;
			e = ph.end;
			conf_trim(&s, &e);
			if (cur.len > 0)
				(void)strbuf_append_char(&cur, ' ');
			(void)strbuf_append(&cur, s, (size_t)(e - s));
			break;
		case CK_SETTING:
			conf_finish_value(lines, n, &cur);
			lines = xreallocarray(lines, n + 1, sizeof(*lines));
			if (conf_parse_setting(file, &ph, &lines[n], err) < 0)
				goto fail;
			(void)strbuf_set_str(&cur, lines[n].value);
			n++;
			break;
		}
	}
	conf_finish_value(lines, n, &cur);
	strbuf_release(&cur);
	*linesp = lines;
	*count = n;
	return 0;
fail:
	strbuf_release(&cur);
	conf_lines_free(lines, n);
	return -1;
}

int
conf_file_slurp(const char *path, struct strbuf *sb)
{
	char buf[8192];
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	strbuf_reset(sb);
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (strbuf_append(sb, buf, (size_t)r) < 0) {
			close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	if (r < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

int
conf_file_read(const char *path, struct strbuf *sb, struct strbuf *err)
{
	strbuf_init(sb, CONF_FILE_MAX);
	if (conf_file_slurp(path, sb) < 0) {
		strbuf_set_printf(err, "%s: cannot read: %s", path,
		    errno == EFBIG ? "file too large" : strerror(errno));
		strbuf_release(sb);
		return -1;
	}
	return 0;
}

int
conf_file_parse(const char *path, struct conf_line **lines, size_t *count,
    struct strbuf *err)
{
	struct strbuf sb;
	int r;

	if (conf_file_read(path, &sb, err) < 0)
		return -1;
	r = conf_text_parse(path, sb.data, sb.len, lines, count, err);
	strbuf_release(&sb);
	return r;
}

/* Is this setting line for `name`? */
static int
conf_phys_is(const struct conf_phys *ph, const char *name)
{
	size_t nlen = strlen(name);
	const char *p;

	if ((size_t)(ph->end - ph->start) < nlen ||
	    memcmp(ph->start, name, nlen) != 0)
		return 0;
	p = ph->start + nlen;
	while (p < ph->end && isspace((unsigned char)*p))
		p++;
	return p < ph->end && *p == '=';
}

/* Build the edited text: replace the first setting of name (dropping its
 * continuation lines and any later duplicates), else append. */
static int
conf_edit_text(const struct strbuf *in, const char *name, const char *value,
    struct strbuf *out)
{
	struct conf_phys ph = { NULL, NULL, 0 };
	const char *pos = in->data, *limit = in->data + in->len;
	int done = 0, skipping = 0, r = 0;

	while (conf_next_phys(&pos, limit, &ph)) {
		enum conf_kind k = conf_classify(&ph);

		if (k == CK_CONT && skipping)
			continue;
		if (k == CK_SETTING) {
			skipping = conf_phys_is(&ph, name);
			if (skipping) {
				if (!done)
					r |= strbuf_printf(out, "%s = %s\n", name, value);
				done = 1;
				continue;
			}
		}
		r |= strbuf_append(out, ph.start, (size_t)(ph.end - ph.start));
		r |= strbuf_append_char(out, '\n');
	}
	if (!done)
		r |= strbuf_printf(out, "%s = %s\n", name, value);
	return r < 0 ? -1 : 0;
}

/* Write text to path atomically: temp file, fsync, rename, fsync dir. */
static int
conf_write_atomic(const char *path, const struct strbuf *text, mode_t mode,
    struct strbuf *err)
{
	char *tmp, *dcopy;
	const char *what = "write";
	size_t off = 0;
	ssize_t w;
	int fd, dfd;

	if (asprintf(&tmp, "%s.tmpXXXXXX", path) < 0)
		log_fatal("out of memory");
	if ((fd = mkstemp(tmp)) < 0) {
		strbuf_set_printf(err, "%s: cannot create temporary file: %s",
		    path, strerror(errno));
		free(tmp);
		return -1;
	}
	if (fchmod(fd, mode) < 0) {
		what = "fchmod";
		goto fail;
	}
	while (off < text->len) {
		w = write(fd, text->data + off, text->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	what = "fsync";
	if (fsync(fd) < 0)
		goto fail;
	what = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	what = "rename";
	if (rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	/* The rename is durable only when the directory is flushed too. */
	dcopy = xstrdup(path);
	if ((dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	return 0;
fail:
	strbuf_set_printf(err, "%s: %s: %s", tmp, what, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

int
conf_edit_file(const char *path, const char *name, const char *value,
    struct strbuf *err)
{
	struct strbuf in, out;
	struct stat st;
	mode_t mode = 0644;
	int r;

	if (!conf_name_valid(name, strlen(name))) {
		strbuf_set_printf(err, "bad parameter name \"%.100s\"", name);
		return -1;
	}
	if (strpbrk(value, "\r\n") != NULL) {
		strbuf_set_printf(err, "parameter %s: value must not contain a "
		    "line break", name);
		return -1;
	}
	strbuf_init(&in, CONF_FILE_MAX);
	if (conf_file_slurp(path, &in) < 0 && errno != ENOENT) {
		strbuf_set_printf(err, "%s: cannot read: %s", path, strerror(errno));
		strbuf_release(&in);
		return -1;
	}
	if (stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	strbuf_init(&out, CONF_FILE_MAX + 1024);
	if (conf_edit_text(&in, name, value, &out) < 0) {
		strbuf_set_printf(err, "%s: file too large", path);
		r = -1;
	} else {
		r = conf_write_atomic(path, &out, mode, err);
	}
	strbuf_release(&in);
	strbuf_release(&out);
	return r;
}
