/*
 * lib/map_text.c — tables kept in memory: texthash: (the postmap source
 * file read directly), inline:{ key=value, { key = text } } and
 * static:VALUE (static:{ text with spaces }).  Keys are folded as postmap
 * folds them; duplicates keep the first entry with a warning.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "map_int.h"
#include "map_source.h"

struct map_mem {
	struct map_kv *kv;	/* sorted by key after load */
	size_t	n;
};

static int
kv_cmp(const void *a, const void *b)
{
	const struct map_kv *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : (x->line > y->line) - (x->line < y->line);
}

static void
mem_add(struct map_mem *t, const char *key, size_t klen, const char *value,
    size_t vlen, int line)
{
	t->kv = xreallocarray(t->kv, t->n + 1, sizeof(*t->kv));
	t->kv[t->n].key = xstrndup(key, klen);
	map_fold(t->kv[t->n].key);
	t->kv[t->n].value = xstrndup(value, vlen);
	t->kv[t->n].line = line;
	t->n++;
}

/* Sort; drop later duplicates with a warning. */
static void
mem_finish(struct map_mem *t, const char *name)
{
	size_t i, o = 0;

	if (t->n == 0)
		return;
	qsort(t->kv, t->n, sizeof(*t->kv), kv_cmp);
	for (i = 0; i < t->n; i++) {
		if (o > 0 && strcmp(t->kv[o - 1].key, t->kv[i].key) == 0) {
			log_warn("%s, line %d: duplicate entry: \"%s\"", name,
			    t->kv[i].line, t->kv[i].key);
			free(t->kv[i].key);
			free(t->kv[i].value);
			continue;
		}
		t->kv[o++] = t->kv[i];
	}
	t->n = o;
}

static void
mem_free(struct map_mem *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->kv[i].key);
		free(t->kv[i].value);
	}
	free(t->kv);
	free(t);
}

static enum map_result
map_mem_lookup(struct map *m, const char *key, struct strbuf *value,
    struct strbuf *why)
{
	struct map_mem *t = m->priv;
	struct map_kv probe, *hit;

	probe.key = (char *)key;
	probe.line = 0;
	/* compare keys only: lines differ */
	hit = NULL;
	{
		size_t lo = 0, hi = t->n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = strcmp(probe.key, t->kv[mid].key);

			if (c == 0) {
				hit = &t->kv[mid];
				break;
			}
			if (c < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
	}
	if (hit == NULL)
		return MAP_NOTFOUND;
	strbuf_set_str(value, hit->value);
	return MAP_FOUND;
}

static int
map_mem_dump(struct map *m, void (*fn)(const char *, const char *, void *),
    void *ctx, struct strbuf *err)
{
	struct map_mem *t = m->priv;
	size_t i;

	for (i = 0; i < t->n; i++)
		fn(t->kv[i].key, t->kv[i].value, ctx);
	return 0;
}

static void
map_mem_close(struct map *m)
{
	mem_free(m->priv);
}

static void
mem_install(struct map *m, struct map_mem *t)
{
	m->priv = t;
	m->lookup = map_mem_lookup;
	m->close = map_mem_close;
	m->dump = map_mem_dump;
}

int
map_texthash_open(struct map *m, struct strbuf *err)
{
	struct map_source src;
	struct map_mem *t;
	struct strbuf warn;
	char *text, *key, *value;
	size_t len;
	int rc;

	if (map_source_read_file(m->name, &text, &len, NULL, err) < 0)
		return -1;
	t = xcalloc(1, sizeof(*t));
	map_source_init(&src, text, len, m->name);
	strbuf_init(&warn, 4096);
	while ((rc = map_source_next(&src, 0, &key, &value, &warn)) != 0) {
		if (rc < 0)
			log_warn("%s", warn.data);
		else
			mem_add(t, key, strlen(key), value, strlen(value),
			    src.line);
	}
	strbuf_release(&warn);
	map_source_release(&src);
	free(text);
	mem_finish(t, m->name);
	mem_install(m, t);
	return 0;
}

#define IS_SP(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/* Trimmed [*a, *b). */
static void
trim(const char **a, const char **b)
{
	while (*a < *b && IS_SP(**a))
		(*a)++;
	while (*b > *a && IS_SP((*b)[-1]))
		(*b)--;
}

/* The text between the outer braces of "{ ... }" as [*a, *b); -1 if the
 * braces are missing or unbalanced. */
static int
brace_body(const char *s, const char **a, const char **b)
{
	const char *e = s + strlen(s);

	trim(&s, &e);
	if (e - s < 2 || *s != '{' || e[-1] != '}')
		return -1;
	*a = s + 1;
	*b = e - 1;
	return 0;
}

/* One inline element [a, b): "key=value" or "{ key = value }". */
static int
inline_elem(struct map *m, struct map_mem *t, const char *a, const char *b,
    struct strbuf *err)
{
	const char *eq, *ke, *vs;

	trim(&a, &b);
	if (a < b && *a == '{') {
		if (b[-1] != '}')
			goto bad;
		a++;
		b--;
	}
	for (eq = a; eq < b && *eq != '='; eq++)
		;
	if (eq == b)
		goto bad;
	ke = eq;
	vs = eq + 1;
	trim(&a, &ke);
	trim(&vs, &b);
	if (a == ke)
		goto bad;
	mem_add(t, a, (size_t)(ke - a), vs, (size_t)(b - vs), 0);
	return 0;
bad:
	strbuf_set_printf(err, "%s: expected \"key=value\" or \"{ key = value }\""
	    ", found \"%.*s\"", m->spec, (int)(b - a), a);
	return -1;
}

int
map_inline_open(struct map *m, struct strbuf *err)
{
	struct map_mem *t;
	const char *a, *b, *p, *start;
	int depth;

	if (brace_body(m->name, &a, &b) < 0) {
		strbuf_set_printf(err, "%s: expected inline:{ key=value, ... }",
		    m->spec);
		return -1;
	}
	t = xcalloc(1, sizeof(*t));
	for (p = a; p < b;) {
		while (p < b && (IS_SP(*p) || *p == ','))
			p++;
		if (p == b)
			break;
		start = p;
		depth = 0;
		for (; p < b; p++) {
			if (*p == '{')
				depth++;
			else if (*p == '}')
				depth--;
			else if (depth == 0 && *p == ',')
				break;
		}
		if (depth != 0 || inline_elem(m, t, start, p, err) < 0) {
			if (depth != 0)
				strbuf_set_printf(err, "%s: unbalanced braces",
				    m->spec);
			mem_free(t);
			return -1;
		}
	}
	mem_finish(t, m->spec);
	mem_install(m, t);
	return 0;
}

static enum map_result
map_static_lookup(struct map *m, const char *key, struct strbuf *value,
    struct strbuf *why)
{
	strbuf_set_str(value, m->priv);
	return MAP_FOUND;
}

static void
map_static_close(struct map *m)
{
	free(m->priv);
}

int
map_static_open(struct map *m, struct strbuf *err)
{
	const char *a, *b;

	if (m->name[0] == '{') {
		if (brace_body(m->name, &a, &b) < 0) {
			strbuf_set_printf(err, "%s: missing '}'", m->spec);
			return -1;
		}
		trim(&a, &b);
		m->priv = xstrndup(a, (size_t)(b - a));
	} else
		m->priv = xstrdup(m->name);
	m->lookup = map_static_lookup;
	m->close = map_static_close;
	return 0;
}
