/*
 * lib/conf.c — main.cf settings, the parameter registry, and `$name`
 * expansion.
 *
 * Settings come from one main.cf (conf_read_file) and from overrides
 * (master.cf -o, command line); an override wins.  Values stay raw until
 * asked for; expansion is lazy and memoised until the next change.  The
 * file is untrusted text: its size, the expansion depth, the number of
 * references followed and the expanded length are all bounded, so a loop
 * or an exponential chain of `$a$a` ends in an error, not a hang.  Errors
 * are returned with "FILE, line N: ..." in the caller's strbuf.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_file.h"
#include "log.h"

#define CONF_HASH_SIZE		1024
#define CONF_DEPTH_MAX		64		/* nested $name references */
#define CONF_STEPS_MAX		100000		/* references per top-level expansion */
#define CONF_VALUE_MAX		(1024 * 1024)	/* expanded value length */

struct setting {
	char   *name;
	char   *file_value;	/* NULL: not set in main.cf */
	char   *file;
	int	line;
	unsigned seq;		/* order in the file */
	char   *over_value;	/* NULL: no override */
	char   *cache;		/* memoised expansion, NULL when stale */
	struct setting *next;
};

static struct setting *conf_hash[CONF_HASH_SIZE];
static const struct conf_param **conf_tables;
static size_t conf_ntables;

/* Expansion state, global because a computed default (mydomain) may ask
 * for another value in the middle of an expansion. */
static int exp_depth;
static long exp_steps;
static const char *exp_error;

static unsigned
conf_hash_name(const char *name)
{
	unsigned h = 5381;

	while (*name)
		h = h * 33 + (unsigned char)*name++;
	return h % CONF_HASH_SIZE;
}

static struct setting *
conf_find(const char *name)
{
	struct setting *s;

	for (s = conf_hash[conf_hash_name(name)]; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static struct setting *
conf_find_or_add(const char *name)
{
	struct setting *s = conf_find(name);
	unsigned h;

	if (s != NULL)
		return s;
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	h = conf_hash_name(name);
	s->next = conf_hash[h];
	conf_hash[h] = s;
	return s;
}

/* Expansions made stale by conf_register: conf_value promised them valid
 * until the next read/override/reset, so they are freed only then. */
static char **conf_stale;
static size_t conf_nstale;

static void
conf_free_stale(void)
{
	size_t i;

	for (i = 0; i < conf_nstale; i++)
		free(conf_stale[i]);
	free(conf_stale);
	conf_stale = NULL;
	conf_nstale = 0;
}

/* Forget every memoised expansion (a setting or a default changed). */
static void
conf_invalidate_cache(int keep)
{
	size_t i;
	struct setting *s;

	for (i = 0; i < CONF_HASH_SIZE; i++)
		for (s = conf_hash[i]; s != NULL; s = s->next) {
			if (s->cache == NULL)
				continue;
			if (keep) {
				conf_stale = xreallocarray(conf_stale, conf_nstale + 1,
				    sizeof(*conf_stale));
				conf_stale[conf_nstale++] = s->cache;
			} else {
				free(s->cache);
			}
			s->cache = NULL;
		}
	if (!keep)
		conf_free_stale();
}

static void
conf_invalidate(void)
{
	conf_invalidate_cache(0);
}

int
conf_name_valid(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > CONF_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return 0;
	return 1;
}

void
conf_register(const struct conf_param *table)
{
	size_t i;

	for (i = 0; i < conf_ntables; i++)
		if (conf_tables[i] == table)
			return;
	conf_tables = xreallocarray(conf_tables, conf_ntables + 1,
	    sizeof(*conf_tables));
	conf_tables[conf_ntables++] = table;
	conf_invalidate_cache(1);
}

const struct conf_param *
conf_lookup_param(const char *name)
{
	size_t i;
	const struct conf_param *p;

	for (i = 0; i < conf_ntables; i++)
		for (p = conf_tables[i]; p->name != NULL; p++)
			if (strcmp(p->name, name) == 0)
				return p;
	return NULL;
}

const char *
conf_default_text(const struct conf_param *p)
{
	const char *v;

	if (p->default_fn != NULL && (v = p->default_fn()) != NULL)
		return v;
	return p->defval ? p->defval : "";
}

/* The raw text that applies to a name: override, file, default, "". */
static const char *
conf_effective_raw(const char *name)
{
	struct setting *s = conf_find(name);
	const struct conf_param *p;

	if (s != NULL && s->over_value != NULL)
		return s->over_value;
	if (s != NULL && s->file_value != NULL)
		return s->file_value;
	if ((p = conf_lookup_param(name)) != NULL)
		return conf_default_text(p);
	return "";
}

const char *
conf_raw(const char *name)
{
	struct setting *s = conf_find(name);

	if (s == NULL)
		return NULL;
	return s->over_value ? s->over_value : s->file_value;
}

int
conf_origin(const char *name, const char **file, int *line)
{
	struct setting *s = conf_find(name);

	if (s == NULL || (s->over_value == NULL && s->file_value == NULL))
		return -1;
	if (s->over_value != NULL) {
		*file = "-o";
		*line = 0;
	} else {
		*file = s->file;
		*line = s->line;
	}
	return 0;
}

static void conf_expand_into(const char *text, struct strbuf *out);
static const char *conf_expand_name(const char *name);

/* Find the '}' that closes a "${name?" text, honouring nested braces. */
static const char *
conf_match_brace(const char *p)
{
	int level = 1;

	for (; *p != '\0'; p++) {
		if (*p == '{')
			level++;
		else if (*p == '}' && --level == 0)
			return p;
	}
	return NULL;
}

/* Handle one "$..." at *pp (pointing at '$'); advance *pp past it. */
static void
conf_expand_ref(const char **pp, struct strbuf *out)
{
	const char *p = *pp + 1, *name, *text = NULL, *end;
	char namebuf[CONF_NAME_MAX + 1], op = 0, *tcopy;
	const char *val;
	size_t nlen;
	int brace = 0;

	if (*p == '$') {
		if (strbuf_append_char(out, '$') < 0)
			exp_error = "value too long after expansion";
		*pp = p + 1;
		return;
	}
	if (*p == '{') {
		brace = 1;
		p++;
	}
	name = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	nlen = (size_t)(p - name);
	if (nlen == 0 || nlen > CONF_NAME_MAX) {
		if (brace) {
			exp_error = "bad parameter name after \"${\"";
			*pp = p;
			return;
		}
		/* A lone '$' followed by no name is kept as text. */
		if (strbuf_append_char(out, '$') < 0)
			exp_error = "value too long after expansion";
		*pp = *pp + 1;
		return;
	}
	if (brace) {
		if (*p == '?' || *p == ':') {
			op = *p++;
			text = p;
			if ((end = conf_match_brace(p)) == NULL) {
				exp_error = "missing '}' in \"${name\" expression";
				*pp = p + strlen(p);
				return;
			}
			p = end + 1;
		} else if (*p == '}') {
			end = p++;
		} else {
			exp_error = "missing '}' in \"${name\" expression";
			*pp = p + strlen(p);
			return;
		}
	} else {
		end = p;
	}
	*pp = p;
	memcpy(namebuf, name, nlen);
	namebuf[nlen] = '\0';
	if (++exp_steps > CONF_STEPS_MAX) {
		exp_error = "too many $name references";
		return;
	}
	val = conf_expand_name(namebuf);
	if (exp_error != NULL)
		return;
	if (op == 0) {
		if (strbuf_append_str(out, val) < 0)
			exp_error = "value too long after expansion";
		return;
	}
	if ((op == '?') != (*val != '\0'))
		return;
	tcopy = xstrndup(text, (size_t)(end - text));
	conf_expand_into(tcopy, out);
	free(tcopy);
}

static void
conf_expand_into(const char *text, struct strbuf *out)
{
	const char *p = text, *dollar;

	if (++exp_depth > CONF_DEPTH_MAX) {
		exp_error = "expansion loop or nesting too deep";
		exp_depth--;
		return;
	}
	while (*p != '\0' && exp_error == NULL) {
		if ((dollar = strchr(p, '$')) == NULL) {
			if (strbuf_append_str(out, p) < 0)
				exp_error = "value too long after expansion";
			break;
		}
		if (strbuf_append(out, p, (size_t)(dollar - p)) < 0) {
			exp_error = "value too long after expansion";
			break;
		}
		p = dollar;
		conf_expand_ref(&p, out);
	}
	exp_depth--;
}

/* The expanded value of a name; memoised unless an error occurred.
 * Returns a pointer owned by the registry (or a static ""). */
static const char *
conf_expand_name(const char *name)
{
	struct setting *s = conf_find(name);
	struct strbuf sb;
	char *raw;

	if (s != NULL && s->cache != NULL)
		return s->cache;
	/* Copy: a computed default may use a static buffer. */
	raw = xstrdup(conf_effective_raw(name));
	strbuf_init(&sb, CONF_VALUE_MAX);
	conf_expand_into(raw, &sb);
	free(raw);
	if (exp_error != NULL) {
		strbuf_release(&sb);
		return "";
	}
	s = conf_find_or_add(name);
	free(s->cache);
	s->cache = strbuf_detach(&sb);
	strbuf_release(&sb);
	return s->cache;
}

/* Enter a top-level expansion, or a nested one from a default_fn. */
static int
conf_expand_begin(void)
{
	if (exp_depth == 0) {
		exp_steps = 0;
		exp_error = NULL;
		return 1;
	}
	return 0;
}

const char *
conf_value(const char *name)
{
	int top = conf_expand_begin();
	const char *v = conf_expand_name(name);

	if (top && exp_error != NULL) {
		log_warn("parameter %s: %s", name, exp_error);
		exp_error = NULL;
	}
	return v;
}

int
conf_expand_checked(const char *text, char **result, struct strbuf *err)
{
	int top = conf_expand_begin();
	struct strbuf sb;

	strbuf_init(&sb, CONF_VALUE_MAX);
	conf_expand_into(text, &sb);
	if (exp_error != NULL) {
		if (err != NULL)
			strbuf_set_str(err, exp_error);
		if (top)
			exp_error = NULL;
		strbuf_release(&sb);
		*result = NULL;
		return -1;
	}
	*result = strbuf_detach(&sb);
	strbuf_release(&sb);
	return 0;
}

char *
conf_expand(const char *text)
{
	char *res;

	if (conf_expand_checked(text, &res, NULL) < 0) {
		log_warn("cannot expand \"%.100s\"", text);
		return xstrdup("");
	}
	return res;
}

int
conf_set_override(const char *name_eq_value, struct strbuf *err)
{
	const char *eq = strchr(name_eq_value, '=');
	const char *n = name_eq_value, *ne, *v;
	struct setting *s;
	char *name;

	if (eq == NULL) {
		strbuf_set_printf(err, "override \"%.100s\": missing '='",
		    name_eq_value);
		return -1;
	}
	while (n < eq && isspace((unsigned char)*n))
		n++;
	ne = eq;
	while (ne > n && isspace((unsigned char)ne[-1]))
		ne--;
	if (!conf_name_valid(n, (size_t)(ne - n))) {
		strbuf_set_printf(err, "override \"%.100s\": bad parameter name",
		    name_eq_value);
		return -1;
	}
	v = eq + 1;
	while (isspace((unsigned char)*v))
		v++;
	name = xstrndup(n, (size_t)(ne - n));
	s = conf_find_or_add(name);
	free(name);
	free(s->over_value);
	s->over_value = xstrdup(v);
	conf_invalidate();
	return 0;
}

/* Store the parsed settings of one file, replacing earlier file settings. */
static void
conf_commit_file(const char *path, struct conf_line *lines, size_t n)
{
	size_t i;
	struct setting *s;

	for (i = 0; i < CONF_HASH_SIZE; i++)
		for (s = conf_hash[i]; s != NULL; s = s->next) {
			free(s->file_value);
			free(s->file);
			s->file_value = s->file = NULL;
		}
	for (i = 0; i < n; i++) {
		s = conf_find_or_add(lines[i].name);
		free(s->file_value);
		free(s->file);
		/* Later settings win, as in Postfix. */
		s->file_value = lines[i].value;
		lines[i].value = NULL;
		s->file = xstrdup(path);
		s->line = lines[i].line;
		s->seq = (unsigned)i;
	}
	conf_invalidate();
}

/* Commit parsed lines and free what conf_commit_file did not take. */
static void
conf_take_lines(const char *path, struct conf_line *lines, size_t n)
{
	size_t i;

	conf_commit_file(path, lines, n);
	for (i = 0; i < n; i++) {
		free(lines[i].name);
		free(lines[i].value);
	}
	free(lines);
}

int
conf_read_file(const char *path, struct strbuf *err)
{
	struct conf_line *lines;
	size_t n;

	if (conf_file_parse(path, &lines, &n, err) < 0)
		return -1;
	conf_take_lines(path, lines, n);
	return 0;
}

int
conf_read_text(const char *name, const char *text, size_t len,
    struct strbuf *err)
{
	struct conf_line *lines;
	size_t n;

	if (conf_text_parse(name, text, len, &lines, &n, err) < 0)
		return -1;
	conf_take_lines(name, lines, n);
	return 0;
}

/* Convert a number with an optional time unit to seconds. */
static int
conf_parse_time(const char *v, char unit, long *out)
{
	char *end, u;
	long n, mul;

	errno = 0;
	if (!isdigit((unsigned char)*v))
		return -1;
	n = strtol(v, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0')
		u = unit ? unit : 's';
	else if (end[1] == '\0')
		u = *end;
	else
		return -1;
	switch (tolower((unsigned char)u)) {
	case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	case 'w': mul = 604800; break;
	default: return -1;
	}
	if (n > LONG_MAX / mul)
		return -1;
	*out = n * mul;
	return 0;
}

static int
conf_parse_int(const char *v, long *out)
{
	char *end;

	errno = 0;
	if (*v == '\0' || isspace((unsigned char)*v))
		return -1;
	*out = strtol(v, &end, 10);
	return (errno != 0 || *end != '\0') ? -1 : 0;
}

static int
conf_parse_bool(const char *v, int *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* "FILE, line N: parameter NAME: " or the override/default variant. */
static void
conf_err_prefix(struct strbuf *err, const char *name)
{
	const char *file;
	int line;

	if (conf_origin(name, &file, &line) < 0)
		strbuf_set_printf(err, "parameter %s (default value): ", name);
	else if (line == 0)
		strbuf_set_printf(err, "override %s: parameter %s: ", file, name);
	else
		strbuf_set_printf(err, "%s, line %d: parameter %s: ", file, line,
		    name);
}

/* Convert and store one parameter's expanded value. */
static int
conf_bind_one(const struct conf_param *p, const char *v, struct strbuf *err)
{
	long n;
	int b;

	switch (p->type) {
	case CONF_STR:
		if (p->var != NULL) {
			free(*(char **)p->var);
			*(char **)p->var = xstrdup(v);
		}
		return 0;
	case CONF_BOOL:
		if (conf_parse_bool(v, &b) < 0) {
			conf_err_prefix(err, p->name);
			strbuf_printf(err, "expected yes or no, got \"%.100s\"", v);
			return -1;
		}
		if (p->var != NULL)
			*(int *)p->var = b;
		return 0;
	case CONF_INT:
	case CONF_TIME:
		if ((p->type == CONF_INT ? conf_parse_int(v, &n) :
		    conf_parse_time(v, p->unit, &n)) < 0 ||
		    (p->min < p->max && (n < p->min || n > p->max))) {
			conf_err_prefix(err, p->name);
			strbuf_printf(err, "expected %s", p->type == CONF_INT ?
			    "an integer" : "a time (number with unit s, m, h, d or w)");
			if (p->min < p->max)
				strbuf_printf(err, " between %ld and %ld%s", p->min,
				    p->max, p->type == CONF_TIME ? " seconds" : "");
			strbuf_printf(err, ", got \"%.100s\"", v);
			return -1;
		}
		if (p->var != NULL)
			*(long *)p->var = n;
		return 0;
	}
	log_panic("conf_bind_one: bad type %d for %s", (int)p->type, p->name);
}

int
conf_bind(struct strbuf *err)
{
	size_t i;
	const struct conf_param *p;
	const char *v;

	for (i = 0; i < conf_ntables; i++)
		for (p = conf_tables[i]; p->name != NULL; p++) {
			conf_expand_begin();
			v = conf_expand_name(p->name);
			if (exp_error != NULL) {
				conf_err_prefix(err, p->name);
				strbuf_append_str(err, exp_error);
				exp_error = NULL;
				return -1;
			}
			if (conf_bind_one(p, v, err) < 0)
				return -1;
		}
	return 0;
}

static int
conf_setting_cmp(const void *a, const void *b)
{
	const struct setting *x = *(struct setting *const *)a;
	const struct setting *y = *(struct setting *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

void
conf_foreach_unknown(void (*fn)(const char *, const char *, int, void *),
    void *ctx)
{
	struct setting **v = NULL, *s;
	size_t n = 0, i;

	for (i = 0; i < CONF_HASH_SIZE; i++)
		for (s = conf_hash[i]; s != NULL; s = s->next)
			if (s->file_value != NULL && conf_lookup_param(s->name) == NULL) {
				v = xreallocarray(v, n + 1, sizeof(*v));
				v[n++] = s;
			}
	if (n > 0)
		qsort(v, n, sizeof(*v), conf_setting_cmp);
	for (i = 0; i < n; i++)
		fn(v[i]->name, v[i]->file, v[i]->line, ctx);
	free(v);
}

static int
conf_param_cmp(const void *a, const void *b)
{
	const struct conf_param *x = *(const struct conf_param *const *)a;
	const struct conf_param *y = *(const struct conf_param *const *)b;

	return strcmp(x->name, y->name);
}

void
conf_foreach_param(void (*fn)(const struct conf_param *, const char *, void *),
    void *ctx)
{
	const struct conf_param **v = NULL, *p;
	size_t n = 0, i;

	for (i = 0; i < conf_ntables; i++)
		for (p = conf_tables[i]; p->name != NULL; p++) {
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = p;
		}
	if (n > 0)
		qsort(v, n, sizeof(*v), conf_param_cmp);
	for (i = 0; i < n; i++) {
		/* One visit per name, even when two tables share it. */
		if (i > 0 && strcmp(v[i - 1]->name, v[i]->name) == 0)
			continue;
		fn(v[i], conf_raw(v[i]->name), ctx);
	}
	free(v);
}

void
conf_reset(void)
{
	size_t i;
	const struct conf_param *p;
	struct setting *s, *next;

	for (i = 0; i < conf_ntables; i++)
		for (p = conf_tables[i]; p->name != NULL; p++)
			if (p->type == CONF_STR && p->var != NULL) {
				free(*(char **)p->var);
				*(char **)p->var = NULL;
			}
	free(conf_tables);
	conf_tables = NULL;
	conf_ntables = 0;
	for (i = 0; i < CONF_HASH_SIZE; i++) {
		for (s = conf_hash[i]; s != NULL; s = next) {
			next = s->next;
			free(s->name);
			free(s->file_value);
			free(s->file);
			free(s->over_value);
			free(s->cache);
			free(s);
		}
		conf_hash[i] = NULL;
	}
	conf_free_stale();
}

/* Is c a list separator (outside braces)? */
static int
conf_list_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

char **
conf_split_list(const char *value, size_t *count)
{
	char **list = xmalloc(sizeof(*list));
	size_t n = 0;
	const char *p = value, *start;
	int level;

	while (*p != '\0') {
		while (conf_list_sep(*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		/* "inline:{ a=b, c=d }" is one element: braces group. */
		for (level = 0; *p != '\0' && (level > 0 || !conf_list_sep(*p)); p++) {
			if (*p == '{')
				level++;
			else if (*p == '}' && level > 0)
				level--;
		}
		list = xreallocarray(list, n + 2, sizeof(*list));
		list[n++] = xstrndup(start, (size_t)(p - start));
	}
	list[n] = NULL;
	if (count != NULL)
		*count = n;
	return list;
}

void
conf_free_list(char **list)
{
	char **p;

	if (list == NULL)
		return;
	for (p = list; *p != NULL; p++)
		free(*p);
	free(list);
}

int
conf_list_contains(const char *list_value, const char *word)
{
	char **list = conf_split_list(list_value, NULL), **p;
	int found = 0;

	for (p = list; *p != NULL && !found; p++)
		found = strcasecmp(*p, word) == 0;
	conf_free_list(list);
	return found;
}
