/*
 * lib/map_convert.c — `tegami map -C SRC DST`: list every entry of one
 * table through its dump hook (map_int.h) and build another table from
 * them with the same builders as `tegami map` (map_db_create,
 * map_lmdb_create), which write a temporary file and rename it into
 * place.  Entries are copied as stored: keys are not folded again, alias
 * values are not re-checked, and Postfix's "@" marker key of an aliases
 * database is kept like any other entry.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "map_convert.h"
#include "map_int.h"

struct convert_buf {
	struct map_kv *kv;
	size_t	n;
	size_t	cap;
};

static void
convert_add(const char *key, const char *value, void *ctx)
{
	struct convert_buf *b = ctx;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->kv = xreallocarray(b->kv, b->cap, sizeof(*b->kv));
	}
	b->kv[b->n].key = xstrdup(key);
	b->kv[b->n].value = xstrdup(value);
	/* the "line" of a duplicate warning: the entry's position */
	b->kv[b->n].line = (int)(b->n < 0x7fffffff ? b->n + 1 : 0x7fffffff);
	b->n++;
}

static void
convert_free(struct convert_buf *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->kv[i].key);
		free(b->kv[i].value);
	}
	free(b->kv);
}

/* The builder type of dst: "hash", "btree" or "lmdb", and its file
 * (name + suffix, malloc'd). NULL when dst cannot be built. */
static const char *
convert_dst_type(const char *dst, const char **name, char **file)
{
	static const struct {
		const char *type, *prefix, *suffix;
	} t[] = {
		{ "hash", "hash:", ".db" },
		{ "btree", "btree:", ".db" },
		{ "lmdb", "lmdb:", ".lmdb" },
	};
	size_t i, pl;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		pl = strlen(t[i].prefix);
		if (strncmp(dst, t[i].prefix, pl) != 0 || dst[pl] == '\0')
			continue;
		*name = dst + pl;
		*file = xmalloc(strlen(*name) + strlen(t[i].suffix) + 1);
		strcpy(*file, *name);
		strcat(*file, t[i].suffix);
		return t[i].type;
	}
	return NULL;
}

/* Read all of src into b. 0 / -1. */
static int
convert_read(const char *src, struct convert_buf *b, uid_t *uid, gid_t *gid,
    const char *dst_file, struct strbuf *err)
{
	struct stat st;
	struct map *m;
	int rc = -1;

	if ((m = map_open(src, 0, err)) == NULL)
		return -1;
	if (m->broken != NULL)
		strbuf_set_str(err, m->broken);
	else if (m->dump == NULL)
		strbuf_set_printf(err, "%s: this table type cannot be listed",
		    src);
	else if (m->watch_path != NULL && strcmp(m->watch_path, dst_file) == 0)
		strbuf_set_printf(err, "%s: the result would replace the "
		    "source file %s", src, dst_file);
	else
		rc = m->dump(m, convert_add, b, err);
	if (rc == 0 && m->watch_path != NULL && stat(m->watch_path, &st) == 0) {
		*uid = st.st_uid;
		*gid = st.st_gid;
	}
	map_close(m);
	return rc;
}

int
map_convert(const char *src, const char *dst, size_t *count,
    struct strbuf *err)
{
	struct convert_buf b = { NULL, 0, 0 };
	const char *type, *name;
	char *file = NULL;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int rc;

	if ((type = convert_dst_type(dst, &name, &file)) == NULL) {
		strbuf_set_printf(err, "%s: the result must be a hash:, btree: "
		    "or lmdb: table", dst);
		return -1;
	}
	rc = convert_read(src, &b, &uid, &gid, file, err);
	if (rc == 0 && strcmp(type, "lmdb") == 0)
		rc = map_lmdb_create(name, b.kv, b.n, uid, gid, err);
	else if (rc == 0)
		rc = map_db_create(type, name, b.kv, b.n, uid, gid, err);
	if (rc == 0 && count != NULL)
		*count = b.n;
	convert_free(&b);
	free(file);
	return rc;
}
