/*
 * lib/map_lmdb.c — lmdb: tables (NAME.lmdb, one file: MDB_NOSUBDIR),
 * Postfix's recommended replacement for Berkeley DB.  Keys and values
 * carry their NUL as in hash: files; lookups try with and without it.
 * Readers open without the lock file (MDB_NOLOCK): builds never change a
 * file in place but write a new one and rename it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "map_int.h"

struct map_lmdb {
	MDB_env *env;
	MDB_dbi	dbi;
};

static char *
lmdb_path(const char *name)
{
	char *p = xmalloc(strlen(name) + 6);

	strcpy(p, name);
	strcat(p, ".lmdb");
	return p;
}

/* Open path; rdonly readers take no lock. 0 / -1. */
static int
lmdb_env_open(const char *path, int rdonly, size_t mapsize, MDB_env **envp,
    struct strbuf *err)
{
	MDB_env *env;
	int ret;

	if ((ret = mdb_env_create(&env)) != 0) {
		strbuf_set_printf(err, "mdb_env_create: %s", mdb_strerror(ret));
		return -1;
	}
	if (mapsize > 0)
		(void)mdb_env_set_mapsize(env, mapsize);
	ret = mdb_env_open(env, path, MDB_NOSUBDIR | (rdonly ?
	    MDB_RDONLY | MDB_NOLOCK : MDB_NOLOCK), 0644);
	if (ret != 0) {
		strbuf_set_printf(err, "open database %s: %s", path,
		    mdb_strerror(ret));
		mdb_env_close(env);
		return -1;
	}
	*envp = env;
	return 0;
}

static int
lmdb_get2(struct map_lmdb *d, const char *key, MDB_val *v)
{
	MDB_txn *txn;
	MDB_val k;
	int ret = MDB_NOTFOUND, nul;

	if ((ret = mdb_txn_begin(d->env, NULL, MDB_RDONLY, &txn)) != 0)
		return ret;
	for (nul = 1; nul >= 0; nul--) {
		k.mv_data = (void *)key;
		k.mv_size = strlen(key) + (size_t)nul;
		if ((ret = mdb_get(txn, d->dbi, &k, v)) != MDB_NOTFOUND)
			break;
	}
	/* the value stays valid until the txn ends: copy before that */
	if (ret == 0) {
		char *copy = xmalloc(v->mv_size + 1);
		memcpy(copy, v->mv_data, v->mv_size);
		v->mv_data = copy;
	}
	mdb_txn_abort(txn);
	return ret;
}

static enum map_result
map_lmdb_lookup(struct map *m, const char *key, struct strbuf *value,
    struct strbuf *why)
{
	MDB_val v;
	int ret = lmdb_get2(m->priv, key, &v);

	if (ret == MDB_NOTFOUND)
		return MAP_NOTFOUND;
	if (ret != 0) {
		strbuf_set_printf(why, "%s: lookup error: %s", m->spec,
		    mdb_strerror(ret));
		return MAP_RETRY;
	}
	map_set_stored(value, v.mv_data, v.mv_size);
	free(v.mv_data);
	return MAP_FOUND;
}

static int
map_lmdb_dump(struct map *m, void (*fn)(const char *, const char *, void *),
    void *ctx, struct strbuf *err)
{
	struct map_lmdb *d = m->priv;
	struct strbuf ks, vs;
	MDB_cursor *c;
	MDB_txn *txn;
	MDB_val k, v;
	int ret;

	if ((ret = mdb_txn_begin(d->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (ret = mdb_cursor_open(txn, d->dbi, &c)) != 0) {
		strbuf_set_printf(err, "%s: %s", m->spec, mdb_strerror(ret));
		return -1;
	}
	strbuf_init(&ks, STRBUF_NOLIMIT);
	strbuf_init(&vs, STRBUF_NOLIMIT);
	while ((ret = mdb_cursor_get(c, &k, &v, MDB_NEXT)) == 0) {
		map_set_stored(&ks, k.mv_data, k.mv_size);
		map_set_stored(&vs, v.mv_data, v.mv_size);
		fn(ks.data, vs.data, ctx);
	}
	mdb_cursor_close(c);
	mdb_txn_abort(txn);
	strbuf_release(&ks);
	strbuf_release(&vs);
	return 0;
}

static void
map_lmdb_close(struct map *m)
{
	struct map_lmdb *d = m->priv;

	mdb_env_close(d->env);
	free(d);
}

int
map_lmdb_open(struct map *m, struct strbuf *err)
{
	struct map_lmdb *d = xcalloc(1, sizeof(*d));
	char *path = lmdb_path(m->name);
	MDB_txn *txn;
	int ret;

	if (lmdb_env_open(path, 1, 0, &d->env, err) < 0)
		goto fail;
	if ((ret = mdb_txn_begin(d->env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (ret = mdb_dbi_open(txn, NULL, 0, &d->dbi)) != 0) {
		strbuf_set_printf(err, "open database %s: %s", path,
		    mdb_strerror(ret));
		mdb_env_close(d->env);
		goto fail;
	}
	mdb_txn_commit(txn);
	free(path);
	m->priv = d;
	m->lookup = map_lmdb_lookup;
	m->close = map_lmdb_close;
	m->dump = map_lmdb_dump;
	return 0;
fail:
	free(path);
	free(d);
	return -1;
}

/* Write every entry in one transaction; duplicates keep the first. */
static int
lmdb_fill(MDB_env *env, const char *name, const struct map_kv *kv, size_t n,
    struct strbuf *err)
{
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	size_t i;
	int ret;

	if ((ret = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (ret = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0) {
		strbuf_set_printf(err, "%s: %s", name, mdb_strerror(ret));
		return -1;
	}
	for (i = 0; i < n; i++) {
		k.mv_data = kv[i].key;
		k.mv_size = strlen(kv[i].key) + 1;
		v.mv_data = kv[i].value;
		v.mv_size = strlen(kv[i].value) + 1;
		ret = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
		if (ret == MDB_KEYEXIST)
			log_warn("%s, line %d: duplicate entry: \"%s\"", name,
			    kv[i].line, kv[i].key);
		else if (ret != 0) {
			strbuf_set_printf(err, "%s, line %d: cannot store \"%s\":"
			    " %s", name, kv[i].line, kv[i].key, mdb_strerror(ret));
			mdb_txn_abort(txn);
			return -1;
		}
	}
	if ((ret = mdb_txn_commit(txn)) != 0) {
		strbuf_set_printf(err, "%s: %s", name, mdb_strerror(ret));
		return -1;
	}
	return 0;
}

int
map_lmdb_create(const char *name, const struct map_kv *kv, size_t n,
    uid_t src_uid, gid_t src_gid, struct strbuf *err)
{
	char *path = lmdb_path(name), *tmp;
	size_t i, bytes = 0;
	MDB_env *env;
	struct stat created;
	int rc = -1;

	for (i = 0; i < n; i++)
		bytes += strlen(kv[i].key) + strlen(kv[i].value) + 64;
	tmp = xmalloc(strlen(path) + 32);
	sprintf(tmp, "%s.tmp%ld", path, (long)getpid());
	/* LMDB opens its file with O_CREAT but not O_EXCL: create it
	 * ourselves first, so a link planted at the name is never followed. */
	if (map_tmp_create(tmp, &created, err) < 0)
		goto out;
	if (lmdb_env_open(tmp, 0, 4 * bytes + 16 * 1024 * 1024, &env, err) < 0)
		goto out;
	rc = lmdb_fill(env, name, kv, n, err);
	if (rc == 0 && mdb_env_sync(env, 1) != 0)
		rc = -1;
	mdb_env_close(env);
	if (rc == 0 && map_tmp_install(tmp, path, &created, src_uid, src_gid,
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
map_lmdb_delete(const char *name, const char *key, struct strbuf *err)
{
	char *path = lmdb_path(name);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k;
	int ret, nul, rc = 0;

	if (lmdb_env_open(path, 0, 0, &env, err) < 0) {
		free(path);
		return -1;
	}
	if ((ret = mdb_txn_begin(env, NULL, 0, &txn)) != 0 ||
	    (ret = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0) {
		strbuf_set_printf(err, "%s: %s", path, mdb_strerror(ret));
		mdb_env_close(env);
		free(path);
		return -1;
	}
	for (nul = 1; nul >= 0; nul--) {
		k.mv_data = (void *)key;
		k.mv_size = strlen(key) + (size_t)nul;
		if (mdb_del(txn, dbi, &k, NULL) == 0)
			rc = 1;
	}
	if ((ret = mdb_txn_commit(txn)) != 0) {
		strbuf_set_printf(err, "%s: %s", path, mdb_strerror(ret));
		rc = -1;
	}
	mdb_env_close(env);
	free(path);
	return rc;
}
