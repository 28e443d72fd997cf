/*
 * lib/map_list.c — lists of tables ("hash:/etc/aliases, pcre:/x"),
 * searched in order (map.h), and building tables from their source files
 * (postmap / postalias / newaliases): map_build and map_build_list.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "map.h"
#include "map_int.h"
#include "map_source.h"

struct maplist {
	struct map **v;
	size_t	n;
};

/* Next list element: split on commas and white space, keeping braces
 * ({...}) together.  Returns a malloc'd element or NULL at the end; *err
 * set for an unbalanced brace. */
static char *
list_next(const char **pp, struct strbuf *err)
{
	const char *p = *pp, *start;
	int depth = 0;

	while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '\0')
		return NULL;
	start = p;
	for (; *p != '\0'; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && depth > 0)
			depth--;
		else if (depth == 0 && (*p == ',' || *p == ' ' || *p == '\t' ||
		    *p == '\n' || *p == '\r'))
			break;
	}
	if (depth > 0)
		strbuf_set_printf(err, "missing '}' in \"%s\"", start);
	*pp = p;
	return xstrndup(start, (size_t)(p - start));
}

struct maplist *
maplist_open(const char *list_value, int flags, struct strbuf *err)
{
	struct maplist *l = xcalloc(1, sizeof(*l));
	const char *p = list_value;
	struct map *m;
	char *spec;

	strbuf_reset(err);
	while ((spec = list_next(&p, err)) != NULL) {
		if (err->len > 0 ||
		    (m = map_open(spec, flags, err)) == NULL) {
			free(spec);
			maplist_close(l);
			return NULL;
		}
		free(spec);
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = m;
	}
	return l;
}

void
maplist_close(struct maplist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		map_close(l->v[i]);
	free(l->v);
	free(l);
}

size_t
maplist_count(const struct maplist *l)
{
	return l ? l->n : 0;
}

enum map_result
maplist_lookup(struct maplist *l, const char *key, struct strbuf *value,
    struct strbuf *why)
{
	enum map_result r;
	size_t i;

	for (i = 0; l != NULL && i < l->n; i++)
		if ((r = map_lookup(l->v[i], key, value, why)) != MAP_NOTFOUND)
			return r;
	return MAP_NOTFOUND;
}

enum map_result
maplist_lookup_addr(struct maplist *l, const char *addr, const char *delim,
    int bare_local, struct strbuf *value, struct strbuf *matched,
    struct strbuf *why)
{
	enum map_result r;
	size_t i;

	for (i = 0; l != NULL && i < l->n; i++)
		if ((r = map_lookup_addr(l->v[i], addr, delim, bare_local,
		    value, matched, why)) != MAP_NOTFOUND)
			return r;
	return MAP_NOTFOUND;
}

/* Parse the source file into entries (keys folded). Warnings logged. */
static int
build_read(const char *path, int build_flags, struct map_kv **out,
    size_t *nout, struct stat *st, struct strbuf *err)
{
	struct map_source src;
	struct strbuf warn;
	struct map_kv *kv = NULL;
	size_t n = 0, len;
	char *text, *key, *value;
	int rc;

	if (map_source_read_file(path, &text, &len, st, err) < 0)
		return -1;
	map_source_init(&src, text, len, path);
	strbuf_init(&warn, 4096);
	while ((rc = map_source_next(&src, (build_flags & MAP_BUILD_ALIASES) ?
	    MAP_SOURCE_ALIASES : 0, &key, &value, &warn)) != 0) {
		if (rc < 0) {
			log_warn("%s", warn.data);
			continue;
		}
		if (!(build_flags & MAP_BUILD_ALIASES) && key[strlen(key) - 1] == ':')
			log_warn("%s, line %d: record is in \"key: value\" format;"
			    " is this an alias file?", path, src.line);
		kv = xreallocarray(kv, n + 1, sizeof(*kv));
		kv[n].key = xstrdup(key);
		map_fold(kv[n].key);
		kv[n].value = xstrdup(value);
		kv[n].line = src.line;
		n++;
	}
	if (build_flags & MAP_BUILD_ALIASES) {	/* sendmail's "@:@" marker */
		kv = xreallocarray(kv, n + 1, sizeof(*kv));
		kv[n].key = xstrdup("@");
		kv[n].value = xstrdup("@");
		kv[n].line = src.lineno;
		n++;
	}
	strbuf_release(&warn);
	map_source_release(&src);
	free(text);
	*out = kv;
	*nout = n;
	return 0;
}

int
map_build(const char *spec, int build_flags, struct strbuf *err)
{
	const char *colon = strchr(spec, ':');
	struct map_kv *kv = NULL;
	struct stat st;
	size_t n = 0, i;
	char *type;
	int rc = -1;

	if (colon == NULL) {
		strbuf_set_printf(err, "table \"%s\": expected type:name", spec);
		return -1;
	}
	type = xstrndup(spec, (size_t)(colon - spec));
	if (strcmp(type, "hash") != 0 && strcmp(type, "btree") != 0 &&
	    strcmp(type, "lmdb") != 0) {
		strbuf_set_printf(err, "table \"%s\": type %s has no database to "
		    "build", spec, type);
		free(type);
		return -1;
	}
	if (build_read(colon + 1, build_flags, &kv, &n, &st, err) == 0) {
		if (strcmp(type, "lmdb") == 0)
			rc = map_lmdb_create(colon + 1, kv, n, st.st_uid,
			    st.st_gid, err);
		else
			rc = map_db_create(type, colon + 1, kv, n, st.st_uid,
			    st.st_gid, err);
	}
	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
	free(type);
	return rc;
}

int
map_build_list(const char *list, int build_flags, struct strbuf *err)
{
	const char *p = list;
	char *spec;
	int rc = 0;

	strbuf_reset(err);
	while ((spec = list_next(&p, err)) != NULL) {
		if (strncmp(spec, "hash:", 5) == 0 ||
		    strncmp(spec, "btree:", 6) == 0 ||
		    strncmp(spec, "lmdb:", 5) == 0) {
			if (map_build(spec, build_flags, err) < 0) {
				log_warn("%s", err->data);
				rc = -1;
			}
		}
		free(spec);
	}
	if (rc < 0 && err->len == 0)
		strbuf_set_str(err, "cannot build every table");
	return rc;
}
