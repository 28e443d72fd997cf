/*
 * local-delivery/local_alias.c — alias values and the alias_maps lookup.
 *
 * local_alias_parse() splits one alias value (from an alias table, a
 * .forward or an :include: file) into its members, as Postfix's aliases(5)
 * reads it: members are separated by commas (and by newlines); double
 * quotes protect commas and white space ("|cmd a, b", |"cmd", "/a b");
 * a member is classified as a command (|), a file (/), an :include:, a
 * "\user" (mailbox, no further expansion) or an address.  Pure and bounded
 * (fuzzed).  local_alias_lookup() searches $alias_maps table by table so
 * that the owner of the table that answered is known: deliveries to files
 * and commands run as that owner (DESIGN §7, Postfix's local(8)).  A table
 * whose file is broken, or does not exist (newaliases never run), defers
 * the recipient, as Postfix does: delivering past a missing alias table
 * would send root's or a list's mail to the wrong place.
 */
#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <bsd/string.h>

#include "conf.h"
#include "local.h"
#include "log.h"
#include "map.h"
#include "mail_params.h"

void
local_alias_list_free(struct local_alias_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i].value);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static int
classify(const char *s)
{
	if (s[0] == '|')
		return LOCAL_A_COMMAND;
	if (strncasecmp(s, ":include:", 9) == 0)
		return LOCAL_A_INCLUDE;
	if (s[0] == '/')
		return LOCAL_A_FILE;
	if (s[0] == '\\')
		return LOCAL_A_MAILBOX;
	return LOCAL_A_ADDRESS;
}

/* Finish one member: trim, unquote, classify and store it. */
static int
add_member(struct local_alias_list *out, struct strbuf *tok, struct strbuf *err)
{
	struct local_alias_item *it;
	char *s = tok->data, *e = tok->data + tok->len, *v;
	int kind;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (s == e)
		return 0;		/* empty member: ignored as Postfix does */
	*e = '\0';
	/* Quotes were removed while scanning, so "|cmd" and |"cmd" are both
	 * a command whose text follows the bar. */
	kind = classify(s);
	switch (kind) {
	case LOCAL_A_COMMAND:
		v = s + 1;
		while (*v && isspace((unsigned char)*v))
			v++;
		break;
	case LOCAL_A_INCLUDE:
		v = s + 9;
		while (*v && isspace((unsigned char)*v))
			v++;
		break;
	case LOCAL_A_MAILBOX:
		v = s + 1;
		break;
	default:
		v = s;
		break;
	}
	if (*v == '\0') {
		strbuf_set_printf(err, "empty %s in alias value",
		    kind == LOCAL_A_COMMAND ? "command" : kind == LOCAL_A_INCLUDE ?
		    ":include: path" : "user name");
		return -1;
	}
	if (out->n >= LOCAL_ALIAS_MAX) {
		strbuf_set_printf(err, "more than %d members in alias value",
		    LOCAL_ALIAS_MAX);
		return -1;
	}
	out->items = xreallocarray(out->items, out->n + 1, sizeof(*out->items));
	it = &out->items[out->n++];
	it->kind = kind;
	it->value = xstrdup(v);
	return 0;
}

int
local_alias_parse(const char *value, size_t len, struct local_alias_list *out,
    struct strbuf *err)
{
	struct strbuf tok;
	size_t i;
	int inq = 0, rc = 0;

	out->items = NULL;
	out->n = 0;
	if (len > LOCAL_ALIAS_VALUE_MAX) {
		strbuf_set_printf(err, "alias value longer than %d bytes",
		    LOCAL_ALIAS_VALUE_MAX);
		return -1;
	}
	strbuf_init(&tok, LOCAL_ALIAS_VALUE_MAX);
	for (i = 0; i < len && rc == 0; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '\0' || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
			strbuf_set_str(err, "control character in alias value");
			rc = -1;
		} else if (c == '"') {
			inq = !inq;
		} else if (c == '\\' && inq && i + 1 < len) {
			strbuf_append_char(&tok, value[++i]);
		} else if (!inq && (c == ',' || c == '\n' || c == '\r')) {
			rc = add_member(out, &tok, err);
			strbuf_reset(&tok);
		} else {
			strbuf_append_char(&tok, (char)c);
		}
	}
	if (rc == 0 && inq) {
		strbuf_set_str(err, "unbalanced double quote in alias value");
		rc = -1;
	}
	if (rc == 0)
		rc = add_member(out, &tok, err);
	strbuf_release(&tok);
	if (rc < 0)
		local_alias_list_free(out);
	return rc;
}

/* ---- the alias_maps lookup ---- */

struct alias_table {
	struct map *map;
	char	path[PATH_MAX];		/* the file whose owner counts, or "" */
};

static struct alias_table *tables;
static size_t ntables;
static char *tables_spec;

/* The file a table reads: NAME.db for hash:/btree:, NAME.lmdb for lmdb:,
 * NAME for file-based types, "" for inline:, static:, unix:. */
static void
table_file(const char *spec, char *buf, size_t size)
{
	const char *colon = strchr(spec, ':');
	const char *name = colon ? colon + 1 : spec;
	size_t tlen = colon ? (size_t)(colon - spec) : 0;

	buf[0] = '\0';
	if (colon == NULL || *name != '/')
		return;
	if ((tlen == 4 && strncmp(spec, "hash", 4) == 0) ||
	    (tlen == 5 && strncmp(spec, "btree", 5) == 0))
		snprintf(buf, size, "%s.db", name);
	else if (tlen == 4 && strncmp(spec, "lmdb", 4) == 0)
		snprintf(buf, size, "%s.lmdb", name);
	else
		strlcpy(buf, name, size);
}

static void
tables_close(void)
{
	size_t i;

	for (i = 0; i < ntables; i++)
		map_close(tables[i].map);
	free(tables);
	free(tables_spec);
	tables = NULL;
	ntables = 0;
	tables_spec = NULL;
}

/* Open $alias_maps once per value (map.c re-opens changed files itself). */
static int
tables_open(struct strbuf *why)
{
	char **list;
	size_t n, i;
	const char *spec = var_alias_maps ? var_alias_maps : "";

	if (tables_spec != NULL && strcmp(tables_spec, spec) == 0)
		return 0;
	tables_close();
	tables_spec = xstrdup(spec);
	list = conf_split_list(spec, &n);
	if (list == NULL)
		return 0;
	tables = xcalloc(n ? n : 1, sizeof(*tables));
	for (i = 0; i < n; i++) {
		/* No $n substitution: a pcre: rule must never copy (remote)
		 * text of the address into an alias value, where it could
		 * become a |command or /file member (Postfix's paranoid flag). */
		struct map *m = map_open(list[i], MAP_F_FOLD_KEY | MAP_F_NO_REGSUB,
		    why);

		if (m == NULL) {
			strbuf_set_printf(why, "alias_maps: %s", list[i]);
			conf_free_list(list);
			tables_close();
			return -1;
		}
		tables[ntables].map = m;
		table_file(list[i], tables[ntables].path, sizeof(tables[ntables].path));
		ntables++;
	}
	conf_free_list(list);
	return 0;
}

enum map_result
local_alias_lookup(const char *key, struct strbuf *value, uid_t *owner,
    gid_t *group, struct strbuf *why)
{
	size_t i;
	enum map_result r;
	struct stat st, st2;
	int have, tries;

	if (tables_open(why) < 0)
		return MAP_RETRY;
	for (i = 0; i < ntables; i++) {
		/*
		 * The owner is that of the table file as it was when it
		 * answered: stat it just before and just after the lookup and
		 * accept the answer only when the file stayed the same (a
		 * table replaced in between is looked up again).  What remains
		 * is the race of a file replaced and put back while map.c
		 * reads it; replacing the file needs write access to its
		 * directory (root's, for /etc/aliases) anyway.
		 */
		for (tries = 0;; tries++) {
			have = tables[i].path[0] && stat(tables[i].path, &st) == 0;
			r = map_lookup(tables[i].map, key, value, why);
			if (r != MAP_FOUND || !tables[i].path[0])
				break;
			if (have && stat(tables[i].path, &st2) == 0 &&
			    st.st_dev == st2.st_dev && st.st_ino == st2.st_ino &&
			    st.st_uid == st2.st_uid && st.st_gid == st2.st_gid &&
			    st.st_mtime == st2.st_mtime)
				break;
			if (tries >= 2) {
				strbuf_set_printf(why, "%s changed during the lookup",
				    tables[i].path);
				return MAP_RETRY;
			}
		}
		if (r == MAP_NOTFOUND)
			continue;
		if (r == MAP_RETRY) {
			/* Say what to do when the database was never built. */
			if (tables[i].path[0] && access(tables[i].path, F_OK) < 0 &&
			    errno == ENOENT)
				strbuf_set_printf(why, "alias database %s does not exist "
				    "(run newaliases)", tables[i].path);
			return r;
		}
		/* The owner of the table file; root when there is none. */
		*owner = 0;
		*group = 0;
		if (tables[i].path[0]) {
			*owner = st.st_uid;
			*group = st.st_gid;
		}
		return MAP_FOUND;
	}
	return MAP_NOTFOUND;
}
