/*
 * lib/map.c — `type:name` tables (map.h): spec parsing, dispatch to each
 * type's open function (map_int.h), broken tables answering MAP_RETRY,
 * change detection with re-open, key folding, Postfix's search orders for
 * addresses and domains, lists of tables, and building NAME.db/NAME.lmdb
 * from a source file (postmap / postalias).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "map.h"
#include "map_int.h"
#include "map_source.h"

#define MAP_KEY_MAX	(64 * 1024)	/* longest lookup key */

static const struct map_type {
	const char *name;
	int	(*open)(struct map *m, struct strbuf *err);
	const char *suffix;	/* watched file: name + suffix; NULL: none */
	int	built;		/* has a source file it is built from */
} map_types[] = {
	{ "hash", map_hash_open, ".db", 1 },
	{ "btree", map_hash_open, ".db", 1 },
	{ "lmdb", map_lmdb_open, ".lmdb", 1 },
	{ "texthash", map_texthash_open, "", 0 },
	{ "inline", map_inline_open, NULL, 0 },
	{ "static", map_static_open, NULL, 0 },
	{ "pcre", map_pcre_open, "", 0 },
	{ "cidr", map_cidr_open, "", 0 },
	{ "unix", map_unix_open, NULL, 0 },
};
#define MAP_NTYPES (sizeof(map_types) / sizeof(map_types[0]))

static const struct map_type *
map_type_find(const char *type)
{
	size_t i;

	for (i = 0; i < MAP_NTYPES; i++)
		if (strcmp(map_types[i].name, type) == 0)
			return &map_types[i];
	return NULL;
}

int
map_tmp_create(const char *tmp, struct stat *created, struct strbuf *err)
{
	int fd;

	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || fstat(fd, created) < 0) {
		strbuf_set_printf(err, "create %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int
map_tmp_install(const char *tmp, const char *path, const struct stat *created,
    uid_t uid, gid_t gid, struct strbuf *err)
{
	struct stat st;
	int fd, rc = 0;

	if ((fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) < 0) {
		strbuf_set_printf(err, "open %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* Someone swapped the file (a hard link to another file, or a new
	 * one): do not touch it, and do not install it. */
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 || (created != NULL &&
	    (st.st_dev != created->st_dev || st.st_ino != created->st_ino))) {
		strbuf_set_printf(err, "%s was replaced while it was built", tmp);
		close(fd);
		return -1;
	}
	if (getuid() == 0 && uid != (uid_t)-1 && fchown(fd, uid, gid) < 0) {
		strbuf_set_printf(err, "chown %s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && fsync(fd) < 0) {
		strbuf_set_printf(err, "fsync %s: %s", tmp, strerror(errno));
		rc = -1;
	}
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0) {
		strbuf_set_printf(err, "rename %s to %s: %s", tmp, path,
		    strerror(errno));
		rc = -1;
	}
	return rc;
}

void
map_set_stored(struct strbuf *sb, const void *data, size_t n)
{
	if (n > 0 && ((const char *)data)[n - 1] == '\0')
		n--;
	strbuf_reset(sb);
	(void)strbuf_append(sb, data, n);
}

void
map_fold(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Remember the identity of the watched file (or that it is missing). */
static void
map_watch_note(struct map *m)
{
	struct stat st;

	m->watch_checked = time(NULL);
	if (m->watch_path == NULL)
		return;
	if (stat(m->watch_path, &st) < 0) {
		m->watch_exists = 0;
		return;
	}
	m->watch_exists = 1;
	m->watch_dev = st.st_dev;
	m->watch_ino = st.st_ino;
	m->watch_mtime = st.st_mtim;
}

/* Built tables: warn when the source is newer than the database. */
static void
map_check_age(struct map *m, const struct map_type *t)
{
	struct stat src, db;

	if (!t->built || m->broken != NULL)
		return;
	if (stat(m->name, &src) < 0 || stat(m->watch_path, &db) < 0)
		return;
	if (src.st_mtim.tv_sec > db.st_mtim.tv_sec ||
	    (src.st_mtim.tv_sec == db.st_mtim.tv_sec &&
	    src.st_mtim.tv_nsec > db.st_mtim.tv_nsec))
		log_warn("database %s is older than source file %s",
		    m->watch_path, m->name);
}

/* (Re)open through the type; a failure leaves a broken table. */
static void
map_do_open(struct map *m, const struct map_type *t)
{
	struct strbuf err;

	strbuf_init(&err, 4096);
	free(m->broken);
	m->broken = NULL;
	m->lookup = NULL;
	m->close = NULL;
	m->dump = NULL;
	m->priv = NULL;
	map_watch_note(m);
	if (t->open(m, &err) < 0) {
		if (err.len == 0)
			strbuf_set_printf(&err, "%s: cannot open table", m->spec);
		m->broken = xstrdup(err.data);
		log_warn("%s", m->broken);
	} else
		map_check_age(m, t);
	strbuf_release(&err);
}

static void
map_do_close(struct map *m)
{
	if (m->close != NULL && m->broken == NULL)
		m->close(m);
	m->close = NULL;
	m->priv = NULL;
}

struct map *
map_open(const char *spec, int flags, struct strbuf *err)
{
	const struct map_type *t;
	const char *colon;
	struct map *m;

	while (strncmp(spec, "proxy:", 6) == 0)	/* Postfix's proxymap */
		spec += 6;
	if ((colon = strchr(spec, ':')) == NULL || colon == spec) {
		strbuf_set_printf(err, "table \"%s\": expected type:name", spec);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->spec = xstrdup(spec);
	m->type = xstrndup(spec, (size_t)(colon - spec));
	m->name = xstrdup(colon + 1);
	m->flags = flags;
	if ((t = map_type_find(m->type)) == NULL) {
		strbuf_set_printf(err, "table \"%s\": unknown table type \"%s\"",
		    spec, m->type);
		map_close(m);
		return NULL;
	}
	if (*m->name == '\0') {
		strbuf_set_printf(err, "table \"%s\": empty name", spec);
		map_close(m);
		return NULL;
	}
	if (t->suffix != NULL) {
		m->watch_path = xmalloc(strlen(m->name) + strlen(t->suffix) + 1);
		strcpy(m->watch_path, m->name);
		strcat(m->watch_path, t->suffix);
	}
	map_do_open(m, t);
	/* Errors in the spec text itself (inline:, static:) are not
	 * recoverable: there is no file to change. */
	if (m->broken != NULL && m->watch_path == NULL) {
		strbuf_set_str(err, m->broken);
		map_close(m);
		return NULL;
	}
	return m;
}

void
map_close(struct map *m)
{
	if (m == NULL)
		return;
	map_do_close(m);
	free(m->spec);
	free(m->type);
	free(m->name);
	free(m->watch_path);
	free(m->broken);
	free(m);
}

const char *
map_spec(const struct map *m)
{
	return m->spec;
}

/* At most once a second: re-open when the watched file changed. */
static void
map_refresh(struct map *m)
{
	const struct map_type *t;
	struct stat st;
	time_t now = time(NULL);
	int exists, changed;

	if (m->watch_path == NULL || now == m->watch_checked)
		return;
	m->watch_checked = now;
	exists = stat(m->watch_path, &st) == 0;
	if (exists != m->watch_exists)
		changed = 1;
	else if (!exists)
		changed = 0;
	else
		changed = st.st_dev != m->watch_dev || st.st_ino != m->watch_ino ||
		    st.st_mtim.tv_sec != m->watch_mtime.tv_sec ||
		    st.st_mtim.tv_nsec != m->watch_mtime.tv_nsec;
	if (!changed)
		return;
	if ((t = map_type_find(m->type)) == NULL)
		return;
	log_info("table %s has changed -- reopening", m->spec);
	map_do_close(m);
	map_do_open(m, t);
}

enum map_result
map_lookup(struct map *m, const char *key, struct strbuf *value,
    struct strbuf *why)
{
	char *k;
	enum map_result r;

	map_refresh(m);
	if (m->broken != NULL) {
		strbuf_set_str(why, m->broken);
		return MAP_RETRY;
	}
	if (strlen(key) > MAP_KEY_MAX)
		return MAP_NOTFOUND;
	if ((m->flags & MAP_F_FOLD_KEY) && !m->regexp) {
		k = xstrdup(key);
		map_fold(k);
		r = m->lookup(m, k, value, why);
		free(k);
	} else
		r = m->lookup(m, key, value, why);
	return r;
}

/*
 * Where the extension starts in local part [lp, lp+n): the first
 * delimiter character, but not for owner-xxx / xxx-request with '-'
 * (Postfix's split_addr).  n when there is none.
 */
static size_t
addr_ext_offset(const char *lp, size_t n, const char *delim)
{
	size_t i;

	if (delim == NULL || *delim == '\0')
		return n;
	if (strchr(delim, '-') != NULL) {
		if (n > 6 && strncasecmp(lp, "owner-", 6) == 0)
			return n;
		if (n > 8 && strncasecmp(lp + n - 8, "-request", 8) == 0)
			return n;
	}
	for (i = 0; i < n; i++)
		if (strchr(delim, lp[i]) != NULL)
			return i > 0 ? i : n;
	return n;
}

/* One step of a search: FOUND/RETRY end the search. */
static enum map_result
addr_try(struct map *m, const char *key, struct strbuf *value,
    struct strbuf *matched, struct strbuf *why)
{
	enum map_result r = map_lookup(m, key, value, why);

	if (r == MAP_FOUND && matched != NULL)
		strbuf_set_str(matched, key);
	return r;
}

enum map_result
map_lookup_addr(struct map *m, const char *addr, const char *delim,
    int bare_local, struct strbuf *value, struct strbuf *matched,
    struct strbuf *why)
{
	const char *at;
	struct strbuf key;
	size_t lplen, ext;
	enum map_result r;

	map_refresh(m);
	if (m->regexp || m->broken != NULL)
		return addr_try(m, addr, value, matched, why);
	at = strrchr(addr, '@');
	lplen = at ? (size_t)(at - addr) : strlen(addr);
	ext = addr_ext_offset(addr, lplen, delim);
	strbuf_init(&key, STRBUF_NOLIMIT);
	/* user+ext@domain, then user@domain */
	if (at != NULL) {
		if ((r = addr_try(m, addr, value, matched, why)) != MAP_NOTFOUND)
			goto out;
		if (ext < lplen) {
			strbuf_set_str(&key, "");
			strbuf_append(&key, addr, ext);
			strbuf_append_str(&key, at);
			if ((r = addr_try(m, key.data, value, matched, why)) !=
			    MAP_NOTFOUND)
				goto out;
		}
	}
	/* user+ext, then user: for local domains or bare addresses */
	if (at == NULL || bare_local) {
		strbuf_set_str(&key, "");
		strbuf_append(&key, addr, lplen);
		if (lplen > 0 && (r = addr_try(m, key.data, value, matched,
		    why)) != MAP_NOTFOUND)
			goto out;
		if (ext < lplen) {
			strbuf_truncate(&key, ext);
			if ((r = addr_try(m, key.data, value, matched, why)) !=
			    MAP_NOTFOUND)
				goto out;
		}
	}
	/* @domain */
	r = MAP_NOTFOUND;
	if (at != NULL && at[1] != '\0')
		r = addr_try(m, at, value, matched, why);
out:
	strbuf_release(&key);
	return r;
}

enum map_result
map_lookup_domain(struct map *m, const char *domain, int parent_match,
    struct strbuf *value, struct strbuf *why)
{
	enum map_result r;
	const char *p;

	if ((r = map_lookup(m, domain, value, why)) != MAP_NOTFOUND)
		return r;
	if (!parent_match || m->regexp)
		return MAP_NOTFOUND;
	for (p = strchr(domain + (*domain == '.'), '.'); p != NULL;
	    p = strchr(p + 1, '.')) {
		if (p[1] == '\0')
			break;
		if ((r = map_lookup(m, p, value, why)) != MAP_NOTFOUND)
			return r;
	}
	return MAP_NOTFOUND;
}
