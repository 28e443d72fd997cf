/*
 * lib/map.h — lookup tables: one interface for every `type:name` table
 * (DESIGN §7), with Postfix's file formats and lookup semantics.
 *
 * Types: hash: and btree: (Berkeley DB, NAME.db, opened only through an
 * explicit DB environment so a stray DB_CONFIG has no effect), lmdb:
 * (NAME.lmdb), texthash: (the source file itself), inline:{ k=v, ... },
 * static:VALUE, pcre: (lib/map_pcre.c), cidr:, unix:passwd.byname.
 *
 * A lookup has three outcomes: found (value set), not found, or retry (the
 * table is broken or unreadable right now: the caller defers, never
 * bounces).  Tables whose file changed since they were opened are re-opened
 * by the next lookup; a .db older than its source is reported once.
 * Errors carry the file and line where there is one.
 */
#ifndef TEGAMI_MAP_H
#define TEGAMI_MAP_H

#include <stddef.h>
#include "strbuf.h"

enum map_result {
	MAP_FOUND,
	MAP_NOTFOUND,
	MAP_RETRY,
};

/* Open flags. */
#define MAP_F_NO_REGSUB	0x02	/* refuse tables whose results use $n
				 * substitution (alias and mailbox tables:
				 * Postfix's "paranoid" flag) */
#define MAP_F_FOLD_KEY	0x01	/* lower-case keys before lookup (the default
				 * for every table but pcre:, as Postfix) */

struct map;		/* one table; opaque */
struct maplist;		/* a list such as "hash:/etc/aliases, pcre:/x"; opaque */

/* Open one table. NULL with err for an unknown type or bad syntax of the
 * spec itself; a table whose file cannot be read now still opens, and its
 * lookups answer MAP_RETRY with the reason (so mail is deferred). */
struct map *map_open(const char *spec, int flags, struct strbuf *err);
void	map_close(struct map *m);		/* accepts NULL */
const char *map_spec(const struct map *m);	/* "hash:/etc/aliases" */

/* Plain lookup of one key. value receives the result on MAP_FOUND; why
 * receives the reason on MAP_RETRY. */
enum map_result map_lookup(struct map *m, const char *key, struct strbuf *value,
	    struct strbuf *why);

/*
 * Postfix's search order for an email address (access, virtual, canonical
 * tables): user+ext@domain, user@domain (when delim is set and the local
 * part has an extension), then, when the domain is local or `bare_local`
 * is set, user+ext and user; then @domain.  For regexp-type tables (pcre:)
 * the whole address is the only key.  *matched (may be NULL) receives the
 * key that matched, for $1-like extension propagation by callers.
 */
enum map_result map_lookup_addr(struct map *m, const char *addr, const char *delim,
	    int bare_local, struct strbuf *value, struct strbuf *matched,
	    struct strbuf *why);

/* A domain, then its parents (sub.example.com, .example.com, .com) when
 * parent_match is set, as parent_domain_matches_subdomains does. */
enum map_result map_lookup_domain(struct map *m, const char *domain,
	    int parent_match, struct strbuf *value, struct strbuf *why);

/* Lists of tables, searched in order: the first FOUND wins; a RETRY stops
 * the search (the answer cannot be known). */
struct maplist *maplist_open(const char *list_value, int flags, struct strbuf *err);
void	maplist_close(struct maplist *l);	/* accepts NULL */
size_t	maplist_count(const struct maplist *l);
enum map_result maplist_lookup(struct maplist *l, const char *key,
	    struct strbuf *value, struct strbuf *why);
enum map_result maplist_lookup_addr(struct maplist *l, const char *addr,
	    const char *delim, int bare_local, struct strbuf *value,
	    struct strbuf *matched, struct strbuf *why);

/* Build NAME.db / NAME.lmdb from the source file NAME (postmap); for
 * aliases (postalias) values are checked as alias lists and the sendmail
 * `@:@` marker is added. 0 / -1 with "FILE, line N: ..." in err. */
#define MAP_BUILD_ALIASES	0x01
int	map_build(const char *spec, int build_flags, struct strbuf *err);
/* Build every hash:, btree: and lmdb: table of a list (newaliases with
 * $alias_database); other types are skipped.  0, or -1 when one failed
 * (each failure logged, the last one in err). */
int	map_build_list(const char *list, int build_flags, struct strbuf *err);

#endif
