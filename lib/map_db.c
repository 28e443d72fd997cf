/*
 * lib/map_db.c — hash: and btree: tables in Berkeley DB 5.3 files
 * (NAME.db), in Postfix's on-disk format: key and value each stored with
 * their terminating NUL; lookups try with the NUL, then without.
 *
 * Every open goes through an explicit private environment whose home is
 * "/" and with absolute file names, so a DB_CONFIG in the current
 * directory is never read (CVE-2017-10140).  Builds write a temporary
 * file beside NAME.db and rename it into place.
 */
#include <sys/stat.h>

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "map_int.h"

struct map_db {
	DB_ENV *env;
	DB     *db;
};

/* NAME + ".db" as an absolute path (malloc'd). */
static char *
db_path(const char *name, const char *suffix)
{
	char cwd[PATH_MAX];
	char *p;
	size_t n;

	if (name[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	n = strlen(cwd) + 1 + strlen(name) + strlen(suffix) + 1;
	p = xmalloc(n);
	snprintf(p, n, "%s%s%s%s", cwd, cwd[0] ? "/" : "", name, suffix);
	return p;
}

/* Berkeley DB's own messages: the caller reports errors with context. */
static void
db_quiet(const DB_ENV *env, const char *pfx, const char *msg)
{
	(void)env;
	(void)pfx;
	log_debug("Berkeley DB: %s", msg);
}

/* A private environment (no DB_CONFIG, no DB_HOME, no region files). */
static int
db_env_private(DB_ENV **envp, u_int32_t cache_mb, struct strbuf *err)
{
	DB_ENV *env;
	int ret;

	if ((ret = db_env_create(&env, 0)) != 0) {
		strbuf_set_printf(err, "db_env_create: %s", db_strerror(ret));
		return -1;
	}
	env->set_errcall(env, db_quiet);
	if (cache_mb > 0)
		(void)env->set_cachesize(env, 0, cache_mb * 1024 * 1024, 1);
	if ((ret = env->open(env, "/", DB_PRIVATE | DB_CREATE | DB_INIT_MPOOL,
	    0)) != 0) {
		strbuf_set_printf(err, "Berkeley DB environment: %s",
		    db_strerror(ret));
		env->close(env, 0);
		return -1;
	}
	*envp = env;
	return 0;
}

static DBTYPE
db_type(const char *type)
{
	return strcmp(type, "btree") == 0 ? DB_BTREE : DB_HASH;
}

/* Open path read-only (or read-write) in a fresh environment. */
static int
db_open_file(const char *type, const char *path, int rdwr, DB_ENV **envp,
    DB **dbp, struct strbuf *err)
{
	DB *db;
	int ret;

	if (db_env_private(envp, 0, err) < 0)
		return -1;
	if ((ret = db_create(&db, *envp, 0)) != 0) {
		strbuf_set_printf(err, "db_create: %s", db_strerror(ret));
		(*envp)->close(*envp, 0);
		return -1;
	}
	ret = db->open(db, NULL, path, NULL, db_type(type),
	    rdwr ? 0 : DB_RDONLY, 0);
	if (ret != 0) {
		if (ret == ENOENT)
			strbuf_set_printf(err, "open database %s: %s", path,
			    strerror(ret));
		else
			strbuf_set_printf(err, "open database %s: %s (is it a "
			    "%s: file of Berkeley DB %d.%d? rebuild it with "
			    "tegami map %s:%.*s)", path, db_strerror(ret), type,
			    DB_VERSION_MAJOR, DB_VERSION_MINOR, type,
			    (int)(strlen(path) - 3), path);
		db->close(db, 0);
		(*envp)->close(*envp, 0);
		return -1;
	}
	*dbp = db;
	return 0;
}

/* Get key (with NUL, then without). 0 found, DB_NOTFOUND, or error. */
static int
db_get2(DB *db, const char *key, DBT *v)
{
	DBT k;
	int ret, nul;

	for (nul = 1; nul >= 0; nul--) {
		memset(&k, 0, sizeof(k));
		memset(v, 0, sizeof(*v));
		k.data = (void *)key;
		k.size = (u_int32_t)strlen(key) + (u_int32_t)nul;
		if ((ret = db->get(db, NULL, &k, v, 0)) != DB_NOTFOUND)
			return ret;
	}
	return DB_NOTFOUND;
}

static enum map_result
map_db_lookup(struct map *m, const char *key, struct strbuf *value,
    struct strbuf *why)
{
	struct map_db *d = m->priv;
	DBT v;
	int ret;

	ret = db_get2(d->db, key, &v);
	if (ret == DB_NOTFOUND)
		return MAP_NOTFOUND;
	if (ret != 0) {
		strbuf_set_printf(why, "%s: lookup error: %s", m->spec,
		    db_strerror(ret));
		return MAP_RETRY;
	}
	map_set_stored(value, v.data, v.size);
	return MAP_FOUND;
}

static int
map_db_dump(struct map *m, void (*fn)(const char *, const char *, void *),
    void *ctx, struct strbuf *err)
{
	struct map_db *d = m->priv;
	struct strbuf k, v;
	DBC *c;
	DBT dk, dv;
	int ret;

	if ((ret = d->db->cursor(d->db, NULL, &c, 0)) != 0) {
		strbuf_set_printf(err, "%s: %s", m->spec, db_strerror(ret));
		return -1;
	}
	strbuf_init(&k, STRBUF_NOLIMIT);
	strbuf_init(&v, STRBUF_NOLIMIT);
	memset(&dk, 0, sizeof(dk));
	memset(&dv, 0, sizeof(dv));
	while ((ret = c->get(c, &dk, &dv, DB_NEXT)) == 0) {
		map_set_stored(&k, dk.data, dk.size);
		map_set_stored(&v, dv.data, dv.size);
		fn(k.data, v.data, ctx);
	}
	c->close(c);
	strbuf_release(&k);
	strbuf_release(&v);
	if (ret != DB_NOTFOUND) {
		strbuf_set_printf(err, "%s: %s", m->spec, db_strerror(ret));
		return -1;
	}
	return 0;
}

static void
map_db_close(struct map *m)
{
	struct map_db *d = m->priv;

	d->db->close(d->db, 0);
	d->env->close(d->env, 0);
	free(d);
}

int
map_hash_open(struct map *m, struct strbuf *err)
{
	struct map_db *d = xcalloc(1, sizeof(*d));
	char *path = db_path(m->name, ".db");

	if (db_open_file(m->type, path, 0, &d->env, &d->db, err) < 0) {
		free(path);
		free(d);
		return -1;
	}
	free(path);
	m->priv = d;
	m->lookup = map_db_lookup;
	m->close = map_db_close;
	m->dump = map_db_dump;
	return 0;
}

/* Put every entry; duplicates keep the first with a warning. */
static int
db_fill(DB *db, const char *name, const struct map_kv *kv, size_t n,
    struct strbuf *err)
{
	DBT k, v;
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		k.data = kv[i].key;
		k.size = (u_int32_t)strlen(kv[i].key) + 1;
		v.data = kv[i].value;
		v.size = (u_int32_t)strlen(kv[i].value) + 1;
		ret = db->put(db, NULL, &k, &v, DB_NOOVERWRITE);
		if (ret == DB_KEYEXIST)
			log_warn("%s, line %d: duplicate entry: \"%s\"", name,
			    kv[i].line, kv[i].key);
		else if (ret != 0) {
			strbuf_set_printf(err, "%s, line %d: cannot store \"%s\":"
			    " %s", name, kv[i].line, kv[i].key, db_strerror(ret));
			return -1;
		}
	}
	return 0;
}

int
map_db_create(const char *type, const char *name, const struct map_kv *kv,
    size_t n, uid_t src_uid, gid_t src_gid, struct strbuf *err)
{
	char *path = db_path(name, ".db"), *tmp;
	DB_ENV *env;
	DB *db;
	int ret, rc = -1;

	tmp = xmalloc(strlen(path) + 32);
	sprintf(tmp, "%s.tmp%ld", path, (long)getpid());
	(void)unlink(tmp);
	if (db_env_private(&env, 64, err) < 0)
		goto out;
	if ((ret = db_create(&db, env, 0)) != 0) {
		strbuf_set_printf(err, "db_create: %s", db_strerror(ret));
		env->close(env, 0);
		goto out;
	}
	ret = db->open(db, NULL, tmp, NULL, db_type(type),
	    DB_CREATE | DB_EXCL, 0644);
	if (ret != 0) {
		strbuf_set_printf(err, "create %s: %s", tmp, db_strerror(ret));
		db->close(db, 0);
		env->close(env, 0);
		goto out;
	}
	rc = db_fill(db, name, kv, n, err);
	if ((ret = db->close(db, 0)) != 0 && rc == 0) {
		strbuf_set_printf(err, "write %s: %s", tmp, db_strerror(ret));
		rc = -1;
	}
	env->close(env, 0);
	/* DB_EXCL created tmp with O_EXCL (no planted link is followed);
	 * check it is still that lone file before giving it away. */
	if (rc == 0 && map_tmp_install(tmp, path, NULL, src_uid, src_gid,
	    err) < 0)
		rc = -1;
out:
	if (rc < 0)
		(void)unlink(tmp);
	free(tmp);
	free(path);
	return rc;
}

int
map_db_delete(const char *type, const char *name, const char *key,
    struct strbuf *err)
{
	char *path = db_path(name, ".db");
	DB_ENV *env;
	DB *db;
	DBT k;
	int ret, nul, rc = 0;

	if (db_open_file(type, path, 1, &env, &db, err) < 0) {
		free(path);
		return -1;
	}
	for (nul = 1; nul >= 0 && rc == 0; nul--) {
		memset(&k, 0, sizeof(k));
		k.data = (void *)key;
		k.size = (u_int32_t)strlen(key) + (u_int32_t)nul;
		ret = db->del(db, NULL, &k, 0);
		if (ret == 0)
			rc = 1;
		else if (ret != DB_NOTFOUND) {
			strbuf_set_printf(err, "%s: %s", path, db_strerror(ret));
			rc = -1;
		}
	}
	if ((ret = db->close(db, 0)) != 0 && rc >= 0) {
		strbuf_set_printf(err, "%s: %s", path, db_strerror(ret));
		rc = -1;
	}
	env->close(env, 0);
	free(path);
	return rc;
}
