/*
 * tests/unit/test_map.c — lookup tables: each type found / not found /
 * retry, key folding, Postfix's address search order, parent-domain
 * matching, re-open of a changed table, a corrupt .db answering RETRY,
 * and a DB_CONFIG in the current directory having no effect.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "map.h"
#include "map_int.h"

static char dir[] = "/tmp/test_map.XXXXXX";

static void
write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static char *
path_of(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Look key up in spec: "=value", "-" (not found) or "!" (retry). */
static void
expect(struct map *m, const char *key, const char *want)
{
	struct strbuf v, why;
	enum map_result r;
	char got[1024];

	strbuf_init(&v, STRBUF_NOLIMIT);
	strbuf_init(&why, STRBUF_NOLIMIT);
	r = map_lookup(m, key, &v, &why);
	if (r == MAP_FOUND)
		snprintf(got, sizeof(got), "=%s", v.data);
	else
		snprintf(got, sizeof(got), "%s", r == MAP_NOTFOUND ? "-" : "!");
	if (strcmp(got, want) != 0)
		fail_msg("%s: key \"%s\": got \"%s\" want \"%s\" (%s)",
		    map_spec(m), key, got, want, why.data);
	strbuf_release(&v);
	strbuf_release(&why);
}

static struct map *
open_ok(const char *fmt, const char *name)
{
	struct strbuf err, spec;
	struct map *m;

	strbuf_init(&err, 4096);
	strbuf_init(&spec, 4096);
	strbuf_printf(&spec, fmt, name ? path_of(name) : "");
	m = map_open(spec.data, MAP_F_FOLD_KEY, &err);
	if (m == NULL)
		fail_msg("map_open %s: %s", spec.data, err.data);
	strbuf_release(&err);
	strbuf_release(&spec);
	return m;
}

static const char src[] =
    "# a table\n"
    "Alice@Example.com  a1\n"
    "bob  b1,\n"
    "  b2\n"
    "@example.com  catchall\n";

static void
check_basic(struct map *m)
{
	expect(m, "alice@example.com", "=a1");
	expect(m, "ALICE@EXAMPLE.COM", "=a1");		/* folded */
	expect(m, "bob", "=b1,  b2");
	expect(m, "carol", "-");
}

static void
test_built_types(void **state)
{
	static const char *types[] = { "hash", "btree", "lmdb" };
	struct strbuf err, spec;
	struct map *m;
	size_t i;

	(void)state;
	strbuf_init(&err, 4096);
	strbuf_init(&spec, 4096);
	for (i = 0; i < 3; i++) {
		write_file("t", src);
		strbuf_set_printf(&spec, "%s:%s", types[i], path_of("t"));
		if (map_build(spec.data, 0, &err) < 0)
			fail_msg("build %s: %s", spec.data, err.data);
		m = open_ok(spec.data, NULL);
		check_basic(m);
		map_close(m);
	}
	m = open_ok("texthash:%s", "t");
	check_basic(m);
	map_close(m);
	/* a missing database opens, and answers RETRY */
	m = open_ok("hash:%s", "missing");
	expect(m, "bob", "!");
	map_close(m);
	strbuf_release(&err);
	strbuf_release(&spec);
}

static void
test_memory_types(void **state)
{
	struct strbuf err;
	struct map *m;

	(void)state;
	strbuf_init(&err, 4096);
	m = open_ok("inline:{ Key1=v1, key2 = v 2 , { key3 = a, b } }%s", NULL);
	expect(m, "key1", "=v1");
	expect(m, "KEY2", "=v 2");
	expect(m, "key3", "=a, b");
	expect(m, "key4", "-");
	map_close(m);
	m = open_ok("static:OK%s", NULL);
	expect(m, "anything", "=OK");
	map_close(m);
	m = open_ok("static:{ two words }%s", NULL);
	expect(m, "x", "=two words");
	map_close(m);
	assert_null(map_open("inline:{ novalue }", 0, &err));
	assert_non_null(strstr(err.data, "novalue"));
	assert_null(map_open("bogus:x", 0, &err));
	assert_null(map_open("noname", 0, &err));
	m = open_ok("unix:passwd.byname%s", NULL);
	expect(m, "root", "=root:x:0:0:root:/root:/bin/bash");
	expect(m, "no-such-user-here", "-");
	map_close(m);
	strbuf_release(&err);
}

static void
test_cidr(void **state)
{
	struct map *m;

	(void)state;
	write_file("c", "10.0.0.0/8 net10\n10.1.2.3 host\n"
	    "[2001:db8::]/32 v6\n0.0.0.0/0 any4\n");
	m = open_ok("cidr:%s", "c");
	expect(m, "10.1.2.3", "=net10");	/* first match wins */
	expect(m, "192.0.2.1", "=any4");
	expect(m, "2001:db8::5", "=v6");
	expect(m, "2001:db9::5", "-");
	expect(m, "::ffff:10.9.9.9", "=net10");
	expect(m, "not-an-address", "-");
	map_close(m);
	write_file("c", "10.0.0.0/8 ok\n10.1.0.0/8 bad\n");
	m = open_ok("cidr:%s", "c");
	expect(m, "10.1.1.1", "!");		/* host bits: broken table */
	map_close(m);
}

/* The address search order of access(5)/virtual(5). */
static const struct {
	const char *keys;	/* table entries, "k=v;..." */
	const char *addr;
	int	local;
	const char *want;	/* matched key, or "-" */
} order[] = {
	{ "u+e@d.com;u@d.com;u+e;u;@d.com", "u+e@d.com", 1, "u+e@d.com" },
	{ "u@d.com;u+e;u;@d.com", "u+e@d.com", 1, "u@d.com" },
	{ "u+e;u;@d.com", "u+e@d.com", 1, "u+e" },
	{ "u;@d.com", "u+e@d.com", 1, "u" },
	{ "@d.com", "u+e@d.com", 1, "@d.com" },
	{ "u+e;u;@d.com", "u+e@d.com", 0, "@d.com" },	/* not local */
	{ "u", "u+e@d.com", 0, "-" },
	{ "u@d.com", "U+E@D.COM", 0, "U@D.COM" },	/* folded lookup */
	{ "owner-list@d.com", "owner-list@d.com", 0, "owner-list@d.com" },
	{ "u", "u", 0, "u" },				/* bare local part */
	{ "u", "u+e", 0, "u" },
	{ "+e@d.com", "+e@d.com", 0, "+e@d.com" },	/* no user: no split */
};

static void
test_addr_order(void **state)
{
	struct strbuf spec, err, v, matched, why;
	struct map *m;
	size_t i;
	char *p, *k, *save;

	(void)state;
	strbuf_init(&spec, 4096);
	strbuf_init(&err, 4096);
	strbuf_init(&v, 4096);
	strbuf_init(&matched, 4096);
	strbuf_init(&why, 4096);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		strbuf_set_str(&spec, "inline:{");
		p = strdup(order[i].keys);
		for (k = strtok_r(p, ";", &save); k; k = strtok_r(NULL, ";", &save))
			strbuf_printf(&spec, "%s=x, ", k);
		free(p);
		strbuf_append_str(&spec, "}");
		assert_non_null(m = map_open(spec.data, MAP_F_FOLD_KEY, &err));
		strbuf_reset(&matched);
		switch (map_lookup_addr(m, order[i].addr, "+", order[i].local,
		    &v, &matched, &why)) {
		case MAP_FOUND:
			break;
		case MAP_NOTFOUND:
			strbuf_set_str(&matched, "-");
			break;
		default:
			fail_msg("retry: %s", why.data);
		}
		if (strcmp(matched.data, order[i].want) != 0)
			fail_msg("case %zu (%s): matched \"%s\" want \"%s\"", i,
			    order[i].addr, matched.data, order[i].want);
		map_close(m);
	}
	/* '-' as delimiter keeps owner-xxx whole */
	assert_non_null(m = map_open("inline:{owner=x}", MAP_F_FOLD_KEY, &err));
	assert_int_equal(map_lookup_addr(m, "owner-list", "-", 1, &v, &matched,
	    &why), MAP_NOTFOUND);
	map_close(m);
	strbuf_release(&spec);
	strbuf_release(&err);
	strbuf_release(&v);
	strbuf_release(&matched);
	strbuf_release(&why);
}

static void
test_domain_and_list(void **state)
{
	struct strbuf err, v, why, matched;
	struct map *m;
	struct maplist *l;

	(void)state;
	strbuf_init(&err, 4096);
	strbuf_init(&v, 4096);
	strbuf_init(&why, 4096);
	strbuf_init(&matched, 4096);
	assert_non_null(m = map_open("inline:{ .example.com=parent, "
	    "a.example.com=exact }", MAP_F_FOLD_KEY, &err));
	assert_int_equal(map_lookup_domain(m, "a.example.com", 1, &v, &why),
	    MAP_FOUND);
	assert_string_equal(v.data, "exact");
	assert_int_equal(map_lookup_domain(m, "x.y.Example.com", 1, &v, &why),
	    MAP_FOUND);
	assert_string_equal(v.data, "parent");
	assert_int_equal(map_lookup_domain(m, "x.example.com", 0, &v, &why),
	    MAP_NOTFOUND);
	assert_int_equal(map_lookup_domain(m, "example.com", 1, &v, &why),
	    MAP_NOTFOUND);
	map_close(m);

	assert_non_null(l = maplist_open("inline:{a=1, b=2}, static:3",
	    MAP_F_FOLD_KEY, &err));
	assert_int_equal(maplist_count(l), 2);
	assert_int_equal(maplist_lookup(l, "B", &v, &why), MAP_FOUND);
	assert_string_equal(v.data, "2");
	assert_int_equal(maplist_lookup(l, "z", &v, &why), MAP_FOUND);
	assert_string_equal(v.data, "3");
	maplist_close(l);
	/* a broken table stops the search */
	strbuf_set_printf(&matched, "hash:%s, static:x", path_of("absent"));
	assert_non_null(l = maplist_open(matched.data, 0, &err));
	assert_int_equal(maplist_lookup_addr(l, "u@d", "+", 0, &v, &matched,
	    &why), MAP_RETRY);
	assert_non_null(strstr(why.data, "absent.db"));
	maplist_close(l);
	strbuf_release(&err);
	strbuf_release(&v);
	strbuf_release(&why);
	strbuf_release(&matched);
}

static void
test_reopen_and_broken(void **state)
{
	struct strbuf err, spec;
	struct map *m;
	FILE *f;

	(void)state;
	strbuf_init(&err, 4096);
	strbuf_init(&spec, 4096);
	write_file("r", "k one\n");
	strbuf_set_printf(&spec, "hash:%s", path_of("r"));
	assert_int_equal(map_build(spec.data, 0, &err), 0);
	m = open_ok(spec.data, NULL);
	expect(m, "k", "=one");
	write_file("r", "k two\n");
	assert_int_equal(map_build(spec.data, 0, &err), 0);
	sleep(2);			/* changes are noticed once a second */
	expect(m, "k", "=two");
	/* a corrupt .db: RETRY with a reason, then back after a rebuild */
	assert_non_null(f = fopen(path_of("r.db"), "w"));
	fputs("this is not a berkeley db file at all, not even close\n", f);
	fclose(f);
	sleep(2);
	expect(m, "k", "!");
	assert_non_null(m->broken);
	assert_non_null(strstr(m->broken, "r.db"));
	assert_int_equal(map_build(spec.data, 0, &err), 0);
	sleep(2);
	expect(m, "k", "=two");
	map_close(m);
	/* texthash re-reads its source */
	m = open_ok("texthash:%s", "r");
	expect(m, "k", "=two");
	write_file("r", "k three\n");
	sleep(2);
	expect(m, "k", "=three");
	map_close(m);
	strbuf_release(&err);
	strbuf_release(&spec);
}

/* CVE-2017-10140: a DB_CONFIG in the current directory is not read. */
static void
test_db_config_ignored(void **state)
{
	struct strbuf err, spec;
	struct map *m;
	char cwd[1024];

	(void)state;
	strbuf_init(&err, 4096);
	strbuf_init(&spec, 4096);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	write_file("DB_CONFIG", "set_data_dir /nonexistent/x\nbogus_directive\n");
	write_file("z", "k v\n");
	assert_int_equal(map_build("hash:z", 0, &err), 0);
	m = open_ok("hash:z%s", NULL);
	expect(m, "k", "=v");
	map_close(m);
	unlink(path_of("DB_CONFIG"));
	assert_int_equal(chdir(cwd), 0);
	strbuf_release(&err);
	strbuf_release(&spec);
}

static void
test_aliases_build(void **state)
{
	struct strbuf err, spec;
	struct map *m;

	(void)state;
	strbuf_init(&err, 4096);
	strbuf_init(&spec, 4096);
	write_file("aliases", "# aliases\nPostmaster: root\nroot: alice,\n"
	    "   bob\nbad line\n");
	strbuf_set_printf(&spec, "hash:%s", path_of("aliases"));
	assert_int_equal(map_build(spec.data, MAP_BUILD_ALIASES, &err), 0);
	m = open_ok(spec.data, NULL);
	expect(m, "postmaster", "=root");
	expect(m, "root", "=alice, bob");
	expect(m, "@", "=@");
	expect(m, "bad", "-");
	map_close(m);
	strbuf_release(&err);
	strbuf_release(&spec);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_built_types),
		cmocka_unit_test(test_memory_types),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_addr_order),
		cmocka_unit_test(test_domain_and_list),
		cmocka_unit_test(test_reopen_and_broken),
		cmocka_unit_test(test_db_config_ignored),
		cmocka_unit_test(test_aliases_build),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
