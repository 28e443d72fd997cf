/*
 * lib/map_pcre.c — pcre: tables in Postfix's pcre_table(5) format, with
 * libpcre2-8.
 *
 * The whole file is read and compiled once at open (map.c re-opens it when
 * the file changes).  Rules are `/pattern/flags result`, `!/pattern/flags
 * result`, `if /pattern/flags` ... `endif` (nesting, `!` allowed); a line
 * starting with white space continues the previous logical line; `#`
 * comments.  Flags toggle from Postfix's defaults (case-insensitive, all
 * else off): i, m, s, x, A, E, U, X.  The result may use $1..$99, ${n},
 * $(n) and $$.  Any error makes the whole table broken ("FILE, line N:
 * ..."), so lookups answer MAP_RETRY and mail is deferred rather than
 * passed unchecked.  Everything is bounded: line length, rule count,
 * nesting, and PCRE match/depth limits so no key can hang a daemon (a
 * match that hits a limit is logged and counts as no match, as Postfix).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "map_int.h"

#define PCRE_LINE_MAX	(64 * 1024)	/* longest logical line */
#define PCRE_RULES_MAX	200000		/* rules (incl. if/endif) per table */
#define PCRE_NEST_MAX	64		/* if..endif depth */
#define PCRE_FILE_MAX	(64L * 1024 * 1024)	/* largest table file */
#define PCRE_MATCH_LIMIT 200000		/* pcre2_set_match_limit */
#define PCRE_DEPTH_LIMIT 5000		/* pcre2_set_depth_limit */
#define PCRE_SUBST_MAX	99		/* highest $n */
#define PCRE_VALUE_MAX	(64 * 1024)	/* longest result after substitution */

enum rule_kind { R_MATCH, R_IF, R_ENDIF };

struct pcre_rule {
	enum rule_kind kind;
	int	negate;
	int	lineno;
	pcre2_code *re;
	char   *result;		/* R_MATCH */
	size_t	skip;		/* R_IF: index of the matching endif */
};

struct map_pcre_table {
	char   *file;
	struct pcre_rule *rules;
	size_t	nrule;
	size_t	cap;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

void
map_pcre_table_free(struct map_pcre_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrule; i++) {
		pcre2_code_free(t->rules[i].re);
		free(t->rules[i].result);
	}
	free(t->rules);
	pcre2_match_data_free(t->md);
	pcre2_match_context_free(t->mctx);
	free(t->file);
	free(t);
}

/* Check the $ syntax of a result; the highest group it uses in *maxref. */
static int
check_result(const char *r, int *maxref, struct strbuf *why)
{
	const char *p;
	int n;
	char close;

	*maxref = 0;
	for (p = r; *p; p++) {
		if (*p != '$')
			continue;
		p++;
		if (*p == '$')
			continue;
		close = *p == '{' ? '}' : *p == '(' ? ')' : 0;
		if (close)
			p++;
		if (!isdigit((unsigned char)*p)) {
			strbuf_set_str(why, "bad $ substitution in result");
			return -1;
		}
		for (n = 0; isdigit((unsigned char)*p); p++) {
			n = n * 10 + (*p - '0');
			if (n > PCRE_SUBST_MAX) {
				strbuf_set_str(why, "$ substitution number out of range");
				return -1;
			}
		}
		if (close && *p != close) {
			strbuf_set_str(why, "unterminated ${ or $( in result");
			return -1;
		}
		if (!close)
			p--;
		if (n > *maxref)
			*maxref = n;
	}
	return 0;
}

/* Parse "/pattern/flags" at *pp (after an optional '!'); compile it. */
static pcre2_code *
parse_pattern(char **pp, struct strbuf *why)
{
	char *p = *pp, *pat, *end;
	char delim;
	uint32_t opts = PCRE2_CASELESS;
	int ecode;
	PCRE2_SIZE eoff;
	pcre2_code *re;
	PCRE2_UCHAR emsg[256];

	delim = *p;
	if (delim == '\0' || isspace((unsigned char)delim) ||
	    isalnum((unsigned char)delim) || delim == '\\') {
		strbuf_set_str(why, "expected /pattern/");
		return NULL;
	}
	pat = ++p;
	/* The pattern ends at the next unescaped delimiter. */
	for (; *p && *p != delim; p++)
		if (*p == '\\' && p[1] != '\0')
			p++;
	if (*p != delim) {
		strbuf_printf(why, "missing closing %c of pattern", delim);
		return NULL;
	}
	end = p++;
	for (; *p && !isspace((unsigned char)*p); p++) {
		switch (*p) {
		case 'i': opts ^= PCRE2_CASELESS; break;
		case 'm': opts ^= PCRE2_MULTILINE; break;
		case 's': opts ^= PCRE2_DOTALL; break;
		case 'x': opts ^= PCRE2_EXTENDED; break;
		case 'A': opts ^= PCRE2_ANCHORED; break;
		case 'E': opts ^= PCRE2_DOLLAR_ENDONLY; break;
		case 'U': opts ^= PCRE2_UNGREEDY; break;
		case 'X': break;	/* PCRE_EXTRA: always on in pcre2 */
		default:
			strbuf_printf(why, "unknown pattern flag \"%c\"", *p);
			return NULL;
		}
	}
	re = pcre2_compile((PCRE2_SPTR)pat, (PCRE2_SIZE)(end - pat), opts,
	    &ecode, &eoff, NULL);
	if (re == NULL) {
		if (pcre2_get_error_message(ecode, emsg, sizeof(emsg)) < 0)
			strcpy((char *)emsg, "unknown error");
		strbuf_printf(why, "error in regex at offset %zu: %s",
		    (size_t)eoff, (char *)emsg);
		return NULL;
	}
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);	/* optional speed-up */
	*pp = p;
	return re;
}

static void
add_rule(struct map_pcre_table *t, const struct pcre_rule *r)
{
	if (t->nrule == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->rules = xreallocarray(t->rules, t->cap, sizeof(*t->rules));
	}
	t->rules[t->nrule++] = *r;
}

/* One logical line (NUL-terminated, modifiable). 0 / -1 with why. */
static int
parse_line(struct map_pcre_table *t, char *line, int lineno, size_t *stack,
    size_t *depth, struct strbuf *why)
{
	struct pcre_rule r;
	char *p = line, *e;
	uint32_t ncap;
	int maxref;

	memset(&r, 0, sizeof(r));
	r.lineno = lineno;
	if (t->nrule >= PCRE_RULES_MAX) {
		strbuf_set_str(why, "too many rules");
		return -1;
	}
	if (strncmp(p, "endif", 5) == 0 && (p[5] == '\0' ||
	    isspace((unsigned char)p[5]))) {
		for (p += 5; isspace((unsigned char)*p); p++)
			;
		if (*p) {
			strbuf_set_str(why, "garbage after endif");
			return -1;
		}
		if (*depth == 0) {
			strbuf_set_str(why, "endif without if");
			return -1;
		}
		t->rules[stack[--*depth]].skip = t->nrule + 1;
		r.kind = R_ENDIF;
		add_rule(t, &r);
		return 0;
	}
	if (strncmp(p, "if", 2) == 0 && (isspace((unsigned char)p[2]) ||
	    p[2] == '!' || p[2] == '/')) {
		r.kind = R_IF;
		for (p += 2; isspace((unsigned char)*p); p++)
			;
	} else
		r.kind = R_MATCH;
	if (*p == '!') {
		r.negate = 1;
		p++;
	}
	if ((r.re = parse_pattern(&p, why)) == NULL)
		return -1;
	while (isspace((unsigned char)*p))
		p++;
	if (r.kind == R_IF) {
		if (*p) {
			strbuf_set_str(why, "garbage after if /pattern/");
			goto bad;
		}
		if (*depth >= PCRE_NEST_MAX) {
			strbuf_set_str(why, "if..endif nested too deeply");
			goto bad;
		}
		stack[(*depth)++] = t->nrule;
		add_rule(t, &r);
		return 0;
	}
	if (*p == '\0') {
		strbuf_set_str(why, "no result after pattern");
		goto bad;
	}
	for (e = p + strlen(p); e > p && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	if (check_result(p, &maxref, why) < 0)
		goto bad;
	if (maxref > 0 && r.negate) {
		strbuf_set_str(why, "$number in the result of a negated pattern");
		goto bad;
	}
	if (pcre2_pattern_info(r.re, PCRE2_INFO_CAPTURECOUNT, &ncap) == 0 &&
	    (uint32_t)maxref > ncap) {
		strbuf_printf(why, "$%d out of range: the pattern has %u "
		    "substring(s)", maxref, ncap);
		goto bad;
	}
	r.result = xstrdup(p);
	add_rule(t, &r);
	return 0;
bad:
	pcre2_code_free(r.re);
	return -1;
}

int
map_pcre_table_parse(const char *text, size_t len, const char *file,
    struct map_pcre_table **out, struct strbuf *err)
{
	struct map_pcre_table *t = xcalloc(1, sizeof(*t));
	struct strbuf line, why;
	size_t stack[PCRE_NEST_MAX], depth = 0, i, n;
	const char *p = text, *end = text + len, *nl;
	int lineno = 0, start = 0, toolong = 0;

	*out = NULL;
	t->file = xstrdup(file);
	strbuf_init(&line, PCRE_LINE_MAX);
	strbuf_init(&why, 512);
	for (;;) {
		/* Read one physical line; a continuation joins the logical one. */
		int eof = p >= end;

		if (!eof) {
			nl = memchr(p, '\n', (size_t)(end - p));
			n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			lineno++;
			if (memchr(p, '\0', n) != NULL) {
				strbuf_set_str(&why, "NUL character in line");
				start = lineno;
				goto fail;
			}
		} else
			n = 0, nl = NULL;
		if (!eof && n > 0 && p[n - 1] == '\r')
			n--;	/* tolerate CRLF files */
		if (!eof && n > 0 && isspace((unsigned char)*p)) {
			/* continuation, or a whitespace-only line */
			for (i = 0; i < n && isspace((unsigned char)p[i]); i++)
				;
			if (i < n && p[i] != '#' && line.len > 0) {
				if (strbuf_append_char(&line, ' ') < 0 ||
				    strbuf_append(&line, p + i, n - i) < 0)
					toolong = 1;
			} else if (i < n && p[i] != '#') {
				strbuf_set_str(&why, "continuation line without a "
				    "logical line before it");
				start = lineno;
				goto fail;
			}
		} else if (eof || n == 0 || *p == '#' || !isspace((unsigned char)*p)) {
			/* the previous logical line is complete */
			if (toolong) {
				strbuf_set_str(&why, "line too long");
				goto fail;
			}
			if (line.len > 0 && parse_line(t, line.data, start,
			    stack, &depth, &why) < 0)
				goto fail;
			strbuf_reset(&line);
			if (!eof && n > 0 && *p != '#') {
				start = lineno;
				if (strbuf_append(&line, p, n) < 0)
					toolong = 1;
			}
		}
		if (eof)
			break;
		p = nl ? nl + 1 : end;
	}
	if (depth > 0) {
		start = t->rules[stack[depth - 1]].lineno;
		strbuf_set_str(&why, "if without endif");
		goto fail;
	}
	t->md = pcre2_match_data_create(PCRE_SUBST_MAX + 1, NULL);
	t->mctx = pcre2_match_context_create(NULL);
	if (t->md == NULL || t->mctx == NULL)
		log_fatal("map_pcre_table_parse: out of memory");
	pcre2_set_match_limit(t->mctx, PCRE_MATCH_LIMIT);
	pcre2_set_depth_limit(t->mctx, PCRE_DEPTH_LIMIT);
	strbuf_release(&line);
	strbuf_release(&why);
	*out = t;
	return 0;
fail:
	strbuf_set_printf(err, "%s, line %d: %s", file, start, why.data);
	strbuf_release(&line);
	strbuf_release(&why);
	map_pcre_table_free(t);
	return -1;
}

/* Expand $n in a result from the last match of subject.  -1 when the
 * result would pass PCRE_VALUE_MAX (many $n of a long key): never an
 * unbounded allocation, never a silently shortened value. */
static int
expand_result(struct map_pcre_table *t, const char *res, const char *subject,
    int rc, struct strbuf *value)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(t->md);
	const char *p;
	size_t n;
	int r = 0;

	strbuf_reset(value);
	for (p = res; *p && r == 0; p++) {
		if (value->len >= PCRE_VALUE_MAX)
			return -1;
		if (*p != '$') {
			r = strbuf_append_char(value, *p);
			continue;
		}
		p++;
		if (*p == '$') {
			r = strbuf_append_char(value, '$');
			continue;
		}
		if (*p == '{' || *p == '(')
			p++;
		for (n = 0; isdigit((unsigned char)*p) && n < 100; p++)
			n = n * 10 + (size_t)(*p - '0');
		if (*p != '}' && *p != ')')
			p--;
		/* An unset group expands to nothing. */
		if (n < (size_t)rc && ov[2 * n] != PCRE2_UNSET) {
			if (value->len + (ov[2 * n + 1] - ov[2 * n]) > PCRE_VALUE_MAX)
				return -1;
			r = strbuf_append(value, subject + ov[2 * n],
			    ov[2 * n + 1] - ov[2 * n]);
		}
	}
	return r < 0 || value->len > PCRE_VALUE_MAX ? -1 : 0;
}

/* Does a result use $n substitution? */
static int
uses_substitution(const char *res)
{
	const char *p;

	for (p = res; (p = strchr(p, '$')) != NULL; p++) {
		if (p[1] == '$') {
			p++;
			continue;
		}
		if (isdigit((unsigned char)p[1]) || p[1] == '{' || p[1] == '(')
			return 1;
	}
	return 0;
}

/* 1 match, 0 no match (including a match that hit a limit). */
static int
rule_match(struct map_pcre_table *t, const struct pcre_rule *r,
    const char *key, size_t klen, int *rcp)
{
	int rc;

	rc = pcre2_match(r->re, (PCRE2_SPTR)key, klen, 0, 0, t->md, t->mctx);
	*rcp = rc;
	if (rc == PCRE2_ERROR_NOMATCH)
		return r->negate;
	if (rc < 0) {
		PCRE2_UCHAR emsg[128];

		if (pcre2_get_error_message(rc, emsg, sizeof(emsg)) < 0)
			strcpy((char *)emsg, "unknown error");
		log_warn("pcre map %s, line %d: matching error: %s (treated as "
		    "no match)", t->file, r->lineno, (char *)emsg);
		return 0;
	}
	if (rc == 0)
		*rcp = PCRE_SUBST_MAX + 1;	/* ovector too small: cannot happen */
	return !r->negate;
}

enum map_result
map_pcre_table_lookup(struct map_pcre_table *t, const char *key,
    struct strbuf *value)
{
	size_t i = 0, klen = strlen(key);
	const struct pcre_rule *r;
	int rc;

	while (i < t->nrule) {
		r = &t->rules[i];
		switch (r->kind) {
		case R_ENDIF:
			i++;
			break;
		case R_IF:
			i = rule_match(t, r, key, klen, &rc) ? i + 1 : r->skip;
			break;
		case R_MATCH:
			if (rule_match(t, r, key, klen, &rc)) {
				if (r->negate)
					rc = 0;
				if (expand_result(t, r->result, key, rc, value) < 0) {
					log_warn("%s, line %d: result longer than %d "
					    "bytes after substitution", t->file,
					    r->lineno, PCRE_VALUE_MAX);
					return MAP_RETRY;
				}
				return MAP_FOUND;
			}
			i++;
			break;
		}
	}
	return MAP_NOTFOUND;
}

/* ---- the map type ---- */

static enum map_result
pcre_lookup(struct map *m, const char *key, struct strbuf *value,
    struct strbuf *why)
{
	enum map_result r = map_pcre_table_lookup(m->priv, key, value);

	if (r == MAP_RETRY)
		strbuf_set_printf(why, "%s: result too long after substitution",
		    m->name);
	return r;
}

static void
pcre_close(struct map *m)
{
	map_pcre_table_free(m->priv);
	m->priv = NULL;
}

int
map_pcre_open(struct map *m, struct strbuf *err)
{
	struct map_pcre_table *t;
	struct stat sb;
	char *text;
	ssize_t got;
	size_t len = 0;
	int fd, rc;

	m->regexp = 1;
	m->flags &= ~MAP_F_FOLD_KEY;	/* keys are matched as given */
	if ((fd = open(m->name, O_RDONLY | O_CLOEXEC)) < 0) {
		strbuf_set_printf(err, "open %s: %s", m->name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > PCRE_FILE_MAX) {
		strbuf_set_printf(err, "%s: not a regular file or too large",
		    m->name);
		close(fd);
		return -1;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size) {
		got = read(fd, text + len, (size_t)sb.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			strbuf_set_printf(err, "read %s: %s", m->name, strerror(errno));
			free(text);
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	rc = map_pcre_table_parse(text, len, m->name, &t, err);
	free(text);
	if (rc < 0)
		return -1;
	/* Tables whose results become alias members, mailbox paths or ids
	 * must not splice client text into results (Postfix's paranoid
	 * flag): a quoted local part could inject a |command member. */
	if (m->flags & MAP_F_NO_REGSUB) {
		size_t i;

		for (i = 0; i < t->nrule; i++)
			if (t->rules[i].kind == R_MATCH &&
			    uses_substitution(t->rules[i].result)) {
				strbuf_set_printf(err, "%s, line %d: $n substitution "
				    "is not allowed in this table", m->name,
				    t->rules[i].lineno);
				map_pcre_table_free(t);
				return -1;
			}
	}
	m->priv = t;
	m->lookup = pcre_lookup;
	m->close = pcre_close;
	return 0;
}
