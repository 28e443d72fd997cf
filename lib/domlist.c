/*
 * lib/domlist.c — domain match lists (virtual_alias_domains and the like):
 * `domain`, `.domain` (subdomains only), `!pattern` and `type:table`
 * entries, searched in order; the first entry that matches decides.
 * Callers: cleanup (cleanup_rewrite.c) and smtpd (smtpd_policy.c).  The
 * domain is untrusted input: it is only compared and looked up, with
 * MAP_F_FOLD_KEY.  Errors are returned; nothing here logs or exits.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "domlist.h"

struct domlist_entry {
	int	negate;
	char   *pattern;	/* a name or ".name"; NULL for a table */
	struct map *table;
};

struct domlist {
	struct domlist_entry *v;
	size_t	n;
};

struct domlist *
domlist_open(const char *value, struct strbuf *err)
{
	struct domlist *dl = xcalloc(1, sizeof(*dl));
	char **list = conf_split_list(value ? value : "", NULL), **p;
	struct domlist_entry *e;
	const char *s;

	for (p = list; *p != NULL; p++) {
		dl->v = xreallocarray(dl->v, dl->n + 1, sizeof(*dl->v));
		e = &dl->v[dl->n++];
		memset(e, 0, sizeof(*e));
		s = *p;
		if (*s == '!') {
			e->negate = 1;
			s++;
		}
		if (strchr(s, ':') != NULL && s[0] != '[') {
			if ((e->table = map_open(s, MAP_F_FOLD_KEY, err)) == NULL) {
				dl->n--;
				conf_free_list(list);
				domlist_free(dl);
				return NULL;
			}
		} else
			e->pattern = xstrdup(s);
	}
	conf_free_list(list);
	return dl;
}

void
domlist_free(struct domlist *dl)
{
	size_t i;

	if (dl == NULL)
		return;
	for (i = 0; i < dl->n; i++) {
		free(dl->v[i].pattern);
		map_close(dl->v[i].table);
	}
	free(dl->v);
	free(dl);
}

int
domlist_empty(const struct domlist *dl)
{
	return dl == NULL || dl->n == 0;
}

/* Does a name pattern match? ".example.com" matches strict subdomains. */
static int
pattern_match(const char *pat, const char *domain)
{
	size_t pl = strlen(pat), dl = strlen(domain);

	if (*pat == '.')
		return dl > pl && strcasecmp(domain + dl - pl, pat) == 0;
	return strcasecmp(pat, domain) == 0;
}

enum map_result
domlist_match(struct domlist *dl, const char *domain, struct strbuf *why)
{
	struct strbuf value;
	enum map_result r = MAP_NOTFOUND;
	size_t i;

	if (dl == NULL || domain == NULL || *domain == '\0')
		return MAP_NOTFOUND;
	strbuf_init(&value, STRBUF_NOLIMIT);
	for (i = 0; i < dl->n; i++) {
		if (dl->v[i].table != NULL)
			r = map_lookup(dl->v[i].table, domain, &value, why);
		else
			r = pattern_match(dl->v[i].pattern, domain) ?
			    MAP_FOUND : MAP_NOTFOUND;
		if (r == MAP_RETRY)
			break;
		if (r == MAP_FOUND) {
			r = dl->v[i].negate ? MAP_NOTFOUND : MAP_FOUND;
			break;
		}
	}
	strbuf_release(&value);
	return r;
}
