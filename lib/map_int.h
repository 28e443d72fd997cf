/*
 * lib/map_int.h — the contract between lib/map.c and each table type
 * (map_db.c, map_lmdb.c, map_text.c, map_pcre.c, map_cidr.c, map_unix.c).
 * Only map*.c files include this.
 *
 * map.c parses "type:name", allocates the struct map, and calls the type's
 * open function, which fills in `lookup`, `close` and `priv`.  An open
 * function returns 0, or -1 when the table cannot be used now (err says
 * why, with file and line where there is one): map.c then keeps the map as
 * a "broken" table whose lookups answer MAP_RETRY with that reason, and
 * tries to open it again on later lookups when its file changes.
 */
#ifndef TEGAMI_MAP_INT_H
#define TEGAMI_MAP_INT_H

#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include "map.h"

struct map {
	char   *spec;		/* "pcre:/etc/tegami/header_checks" */
	char   *type;		/* "pcre" */
	char   *name;		/* "/etc/tegami/header_checks" */
	int	flags;		/* MAP_F_* */
	int	regexp;		/* set by the type: whole-key lookups only */
	enum map_result (*lookup)(struct map *m, const char *key,
		    struct strbuf *value, struct strbuf *why);
	void	(*close)(struct map *m);
	void   *priv;
	/* change detection, maintained by map.c: the file the table was
	 * read from (source or .db), and its identity when opened */
	char   *watch_path;
	dev_t	watch_dev;
	ino_t	watch_ino;
	struct timespec watch_mtime;
	char   *broken;		/* non-NULL: the reason lookups answer RETRY */
	/* added by map.c's owner (zero when a type does not set them) */
	int	watch_exists;	/* the watched file existed when last seen */
	time_t	watch_checked;	/* last stat of watch_path (at most 1/s) */
	/* optional: call fn for every entry (tegami map -s); 0 / -1 */
	int	(*dump)(struct map *m, void (*fn)(const char *key,
		    const char *value, void *ctx), void *ctx, struct strbuf *err);
};

/* One entry of a table source, for the builders (map_build). */
struct map_kv {
	char   *key;
	char   *value;
	int	line;		/* line of the source file */
};

/* Write NAME.db (type "hash" or "btree") / NAME.lmdb from kv[0..n-1]
 * into a temporary file renamed into place; duplicates keep the first
 * entry with a warning naming source file and line.  src_uid/src_gid:
 * owner given to the result when running as root (-1: leave).  0 / -1. */
int	map_db_create(const char *type, const char *name, const struct map_kv *kv,
	    size_t n, uid_t src_uid, gid_t src_gid, struct strbuf *err);
int	map_lmdb_create(const char *name, const struct map_kv *kv, size_t n,
	    uid_t src_uid, gid_t src_gid, struct strbuf *err);
/* Delete key from NAME.db / NAME.lmdb in place: 1 deleted, 0 not there,
 * -1 error. */
int	map_db_delete(const char *type, const char *name, const char *key,
	    struct strbuf *err);
int	map_lmdb_delete(const char *name, const char *key, struct strbuf *err);

/* Lower-case ASCII letters of s in place (Postfix's key folding). */
void	map_fold(char *s);
/* Set sb to a stored key or value, without the trailing NUL that Postfix's
 * databases keep (hash:, btree:, lmdb:). */
void	map_set_stored(struct strbuf *sb, const void *data, size_t n);

/* Safe temporary files for table builds, which root may run in a
 * directory another user can write.  map_tmp_create makes TMP with
 * O_EXCL|O_NOFOLLOW (never through a planted link) and records its
 * identity.  map_tmp_install re-opens TMP without following links, checks
 * it is a regular file with one link (and, given `created`, the same
 * file), hands it to uid/gid when root (uid -1: keep), fsyncs it and
 * renames it to PATH.  0 / -1 with err. */
int	map_tmp_create(const char *tmp, struct stat *created, struct strbuf *err);
int	map_tmp_install(const char *tmp, const char *path,
	    const struct stat *created, uid_t uid, gid_t gid, struct strbuf *err);

/* Each type's open function. `name` is m->name. */
int	map_hash_open(struct map *m, struct strbuf *err);	/* hash: btree: */
int	map_lmdb_open(struct map *m, struct strbuf *err);
int	map_texthash_open(struct map *m, struct strbuf *err);
int	map_inline_open(struct map *m, struct strbuf *err);
int	map_static_open(struct map *m, struct strbuf *err);
int	map_pcre_open(struct map *m, struct strbuf *err);
int	map_cidr_open(struct map *m, struct strbuf *err);
int	map_unix_open(struct map *m, struct strbuf *err);

/* The pcre table source parser, separate so it can be fuzzed: parse the
 * whole text of a pcre table (file name for messages); 0 / -1 with
 * "FILE, line N: ..." in err.  On success *out is an opaque compiled
 * table for map_pcre_table_lookup / map_pcre_table_free. */
struct map_pcre_table;
int	map_pcre_table_parse(const char *text, size_t len, const char *file,
	    struct map_pcre_table **out, struct strbuf *err);
enum map_result map_pcre_table_lookup(struct map_pcre_table *t, const char *key,
	    struct strbuf *value);
void	map_pcre_table_free(struct map_pcre_table *t);

#endif
