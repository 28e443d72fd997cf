/*
 * lib/map_cidr.c — cidr: tables, Postfix's cidr_table(5) format:
 * `network/prefix result` or `address result`, IPv4 and IPv6 (optionally
 * in [brackets]), searched in file order, first match wins.  A malformed
 * line makes the table broken (lookups answer MAP_RETRY naming file and
 * line) rather than silently matching less than the administrator wrote.
 * The parser works on a buffer (map_cidr.h) so it can be fuzzed.
 */
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "map_cidr.h"
#include "map_int.h"
#include "map_source.h"

struct cidr_rule {
	int	family;		/* AF_INET / AF_INET6 */
	unsigned char net[16];
	int	bits;
	char   *value;
};

struct map_cidr {
	struct cidr_rule *v;
	size_t	n;
};

/* Parse "addr[/bits]" (brackets allowed) into r. 0 / -1 with reason. */
static int
cidr_parse(const char *pat, struct cidr_rule *r, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *addr = buf, *end;
	int len, i, max;
	long bits;

	if (strlen(pat) >= sizeof(buf)) {
		*why = "bad address pattern";
		return -1;
	}
	strcpy(buf, pat);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (*addr == '[') {
		len = (int)strlen(addr);
		if (addr[len - 1] != ']') {
			*why = "missing ']'";
			return -1;
		}
		addr[len - 1] = '\0';
		addr++;
	}
	memset(r->net, 0, sizeof(r->net));
	if (inet_pton(AF_INET, addr, r->net) == 1) {
		r->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, r->net) == 1) {
		r->family = AF_INET6;
		max = 128;
	} else {
		*why = "bad network address";
		return -1;
	}
	bits = max;
	if (slash) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 || bits > max) {
			*why = "bad network prefix length";
			return -1;
		}
	}
	r->bits = (int)bits;
	for (i = r->bits; i < max; i++)
		if (r->net[i / 8] & (0x80 >> (i % 8))) {
			*why = "non-null host address bits";
			return -1;
		}
	return 0;
}

static int
cidr_match(const struct cidr_rule *r, const unsigned char *a, int family)
{
	int full = r->bits / 8, rem = r->bits % 8;

	if (family != r->family)
		return 0;
	if (memcmp(r->net, a, (size_t)full) != 0)
		return 0;
	return rem == 0 || ((r->net[full] ^ a[full]) & (0xff << (8 - rem))) == 0;
}

enum map_result
map_cidr_table_lookup(const struct map_cidr *t, const char *key,
    struct strbuf *value)
{
	unsigned char a[16];
	int family;
	size_t i;

	memset(a, 0, sizeof(a));
	if (inet_pton(AF_INET, key, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, key, a) == 1) {
		family = AF_INET6;
		/* ::ffff:a.b.c.d matches IPv4 rules too, as Postfix */
		static const unsigned char v4m[12] = { 0, 0, 0, 0, 0, 0, 0, 0,
		    0, 0, 0xff, 0xff };
		for (i = 0; i < t->n; i++) {
			if (cidr_match(&t->v[i], a, AF_INET6) ||
			    (memcmp(a, v4m, 12) == 0 &&
			    cidr_match(&t->v[i], a + 12, AF_INET))) {
				strbuf_set_str(value, t->v[i].value);
				return MAP_FOUND;
			}
		}
		return MAP_NOTFOUND;
	} else
		return MAP_NOTFOUND;
	for (i = 0; i < t->n; i++)
		if (cidr_match(&t->v[i], a, family)) {
			strbuf_set_str(value, t->v[i].value);
			return MAP_FOUND;
		}
	return MAP_NOTFOUND;
}

static enum map_result
map_cidr_lookup(struct map *m, const char *key, struct strbuf *value,
    struct strbuf *why)
{
	return map_cidr_table_lookup(m->priv, key, value);
}

void
map_cidr_table_free(struct map_cidr *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i].value);
	free(t->v);
	free(t);
}

static void
map_cidr_close(struct map *m)
{
	map_cidr_table_free(m->priv);
}

int
map_cidr_table_parse(const char *text, size_t len, const char *file,
    struct map_cidr **out, struct strbuf *err)
{
	struct map_source src;
	struct map_cidr *t;
	struct cidr_rule r;
	char *key, *value;
	const char *why;
	int rc;

	*out = NULL;
	t = xcalloc(1, sizeof(*t));
	map_source_init(&src, text, len, file);
	while ((rc = map_source_next(&src, 0, &key, &value, err)) != 0) {
		if (rc > 0 && cidr_parse(key, &r, &why) < 0) {
			/* Quote at most 64 bytes of the pattern: the message must
			 * fit the caller's buffer whatever the input. */
			strbuf_set_printf(err, "%s, line %d: %s: \"%.64s%s\"", file,
			    src.line, why, key, strlen(key) > 64 ? "..." : "");
			rc = -1;
		}
		if (rc < 0)
			break;
		r.value = xstrdup(value);
		t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
		t->v[t->n++] = r;
	}
	map_source_release(&src);
	if (rc < 0) {
		map_cidr_table_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

int
map_cidr_open(struct map *m, struct strbuf *err)
{
	struct map_cidr *t;
	char *text;
	size_t len;
	int rc;

	if (map_source_read_file(m->name, &text, &len, NULL, err) < 0)
		return -1;
	rc = map_cidr_table_parse(text, len, m->name, &t, err);
	free(text);
	if (rc < 0)
		return -1;
	m->priv = t;
	m->lookup = map_cidr_lookup;
	m->close = map_cidr_close;
	return 0;
}
