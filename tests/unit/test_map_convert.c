/*
 * tests/unit/test_map_convert.c — map_convert (`tegami map -C`): a hash:
 * table copied to lmdb: (and btree:, and back) holds exactly the same
 * keys and values, byte for byte (no re-folding, the aliases "@" marker
 * kept); texthash: and inline: sources; bad source or result types, a
 * missing source and a result that would replace its source fail with a
 * reason and leave the old result and no temporary file behind.
 */
#include <sys/stat.h>

#include <dirent.h>
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
#include "map_convert.h"
#include "map_int.h"

static char dir[] = "/tmp/test_map_convert.XXXXXX";

static char *
path_of(const char *name)
{
	static char path[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, name);
	return path[i];
}

static char *
spec_of(const char *type, const char *name)
{
	static char spec[4][300];
	static int i;

	i = (i + 1) % 4;
	snprintf(spec[i], sizeof(spec[i]), "%s:%s", type, path_of(name));
	return spec[i];
}

static void
write_file(const char *name, const char *text)
{
	FILE *f;

	assert_non_null(f = fopen(path_of(name), "w"));
	fputs(text, f);
	fclose(f);
}

/* A table's dump as sorted "key\tvalue\n" lines. */
static void
dump_add(const char *key, const char *value, void *ctx)
{
	struct strbuf *sb = ctx;

	strbuf_append_str(sb, key);
	strbuf_append_str(sb, "\t");
	strbuf_append_str(sb, value);
	strbuf_append_str(sb, "\n");
}

static int
line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
dump_sorted(const char *spec)
{
	struct strbuf sb, err, out;
	struct map *m;
	char *lines[4096], *p, *nl;
	size_t n = 0, i;

	strbuf_init(&sb, STRBUF_NOLIMIT);
	strbuf_init(&err, 4096);
	strbuf_init(&out, STRBUF_NOLIMIT);
	assert_non_null(m = map_open(spec, 0, &err));
	assert_null(m->broken);
	assert_non_null(m->dump);
	assert_int_equal(m->dump(m, dump_add, &sb, &err), 0);
	map_close(m);
	for (p = sb.data; *p != '\0' && n < 4096; p = nl + 1) {
		nl = strchr(p, '\n');
		*nl = '\0';
		lines[n++] = p;
	}
	qsort(lines, n, sizeof(lines[0]), line_cmp);
	for (i = 0; i < n; i++) {
		strbuf_append_str(&out, lines[i]);
		strbuf_append_str(&out, "\n");
	}
	p = xstrdup(out.data);
	strbuf_release(&sb);
	strbuf_release(&err);
	strbuf_release(&out);
	return p;
}

static void
expect(const char *spec, const char *key, const char *want)
{
	struct strbuf v, why, err;
	struct map *m;
	enum map_result r;

	strbuf_init(&v, STRBUF_NOLIMIT);
	strbuf_init(&why, 4096);
	strbuf_init(&err, 4096);
	assert_non_null(m = map_open(spec, MAP_F_FOLD_KEY, &err));
	r = map_lookup(m, key, &v, &why);
	if (want == NULL)
		assert_int_equal(r, MAP_NOTFOUND);
	else {
		assert_int_equal(r, MAP_FOUND);
		assert_string_equal(v.data, want);
	}
	map_close(m);
	strbuf_release(&v);
	strbuf_release(&why);
	strbuf_release(&err);
}

/* No "*.tmp*" file left in dir. */
static void
assert_no_tmp(void)
{
	struct dirent *e;
	DIR *d;

	assert_non_null(d = opendir(dir));
	while ((e = readdir(d)) != NULL)
		assert_null(strstr(e->d_name, ".tmp"));
	closedir(d);
}

static void
test_hash_to_lmdb_same_entries(void **state)
{
	struct strbuf err;
	char *a, *b;
	size_t n = 0;

	strbuf_init(&err, 4096);
	write_file("aliases", "# aliases\nroot: admin\npostmaster: root\n"
	    "Admin: alice, bob\nlist: :include:/etc/list\n"
	    "pipe: \"|/usr/bin/foo bar\"\nlong: a,\n  b,\n  c\n");
	assert_int_equal(map_build(spec_of("hash", "aliases"), MAP_BUILD_ALIASES,
	    &err), 0);
	assert_int_equal(map_convert(spec_of("hash", "aliases"),
	    spec_of("lmdb", "aliases"), &n, &err), 0);
	a = dump_sorted(spec_of("hash", "aliases"));
	b = dump_sorted(spec_of("lmdb", "aliases"));
	assert_string_equal(a, b);
	assert_non_null(strstr(b, "@\t@\n"));		/* postalias marker */
	assert_non_null(strstr(b, "admin\talice, bob\n"));
	assert_true(n >= 7);
	expect(spec_of("lmdb", "aliases"), "ADMIN", "alice, bob");
	expect(spec_of("lmdb", "aliases"), "pipe", "\"|/usr/bin/foo bar\"");
	expect(spec_of("lmdb", "aliases"), "nobody", NULL);
	assert_no_tmp();
	free(a);
	free(b);
	strbuf_release(&err);
}

/* Stored bytes are copied, not re-folded: a key written with capitals
 * by another tool stays as it is; btree: and back to hash: too. */
static void
test_exact_copy_chain(void **state)
{
	struct map_kv kv[] = {
		{ "MixedCase", "Value With Spaces", 1 },
		{ "user+tag@example.com", "x@y", 2 },
		{ "", "empty key", 3 },
		{ "k", "", 4 },
	};
	struct strbuf err;
	char *a, *b, *c, *d;
	size_t n = 0;

	strbuf_init(&err, 4096);
	assert_int_equal(map_db_create("hash", path_of("raw"), kv, 4, (uid_t)-1,
	    (gid_t)-1, &err), 0);
	assert_int_equal(map_convert(spec_of("hash", "raw"),
	    spec_of("lmdb", "raw"), &n, &err), 0);
	assert_int_equal(n, 4);
	assert_int_equal(map_convert(spec_of("lmdb", "raw"),
	    spec_of("btree", "raw2"), NULL, &err), 0);
	assert_int_equal(map_convert(spec_of("btree", "raw2"),
	    spec_of("hash", "raw3"), NULL, &err), 0);
	a = dump_sorted(spec_of("hash", "raw"));
	b = dump_sorted(spec_of("lmdb", "raw"));
	c = dump_sorted(spec_of("btree", "raw2"));
	d = dump_sorted(spec_of("hash", "raw3"));
	assert_non_null(strstr(a, "MixedCase\tValue With Spaces\n"));
	assert_string_equal(a, b);
	assert_string_equal(a, c);
	assert_string_equal(a, d);
	free(a);
	free(b);
	free(c);
	free(d);
	strbuf_release(&err);
}

static void
test_other_sources(void **state)
{
	struct strbuf err;
	size_t n = 9;

	strbuf_init(&err, 4096);
	write_file("text", "Key1 value one\nkey2 value two\n");
	assert_int_equal(map_convert(spec_of("texthash", "text"),
	    spec_of("lmdb", "text"), &n, &err), 0);
	assert_int_equal(n, 2);
	expect(spec_of("lmdb", "text"), "key1", "value one");
	assert_int_equal(map_convert("inline:{ a=b, { c = d e } }",
	    spec_of("hash", "inl"), &n, &err), 0);
	assert_int_equal(n, 2);
	expect(spec_of("hash", "inl"), "c", "d e");
	write_file("empty", "# nothing\n");
	assert_int_equal(map_convert(spec_of("texthash", "empty"),
	    spec_of("lmdb", "empty"), &n, &err), 0);
	assert_int_equal(n, 0);
	expect(spec_of("lmdb", "empty"), "a", NULL);
	strbuf_release(&err);
}

/* Failures: reason in err, the previous result untouched. */
static void
test_failures(void **state)
{
	static const struct {
		const char *src_type, *src, *dst_type, *dst, *want;
	} t[] = {
		{ "hash", "missing", "lmdb", "keep", "No such file" },
		{ "pcre", "re", "lmdb", "keep", "cannot be listed" },
		{ "texthash", "keepsrc", "pcre", "keep", "hash:, btree: or lmdb:" },
		{ "texthash", "keepsrc", "texthash", "keep", "must be" },
		{ "hash", "keep", "btree", "keep", "would replace" },
	};
	struct strbuf err;
	size_t i;

	strbuf_init(&err, 4096);
	write_file("re", "/a/ b\n");
	write_file("keepsrc", "old value\n");
	assert_int_equal(map_convert(spec_of("texthash", "keepsrc"),
	    spec_of("hash", "keep"), NULL, &err), 0);
	assert_int_equal(map_convert(spec_of("texthash", "keepsrc"),
	    spec_of("lmdb", "keep"), NULL, &err), 0);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		strbuf_reset(&err);
		assert_int_equal(map_convert(spec_of(t[i].src_type, t[i].src),
		    spec_of(t[i].dst_type, t[i].dst), NULL, &err), -1);
		if (strstr(err.data, t[i].want) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err.data,
			    t[i].want);
	}
	assert_int_equal(map_convert("hash:", spec_of("lmdb", "x"), NULL, &err),
	    -1);
	assert_int_equal(map_convert(spec_of("texthash", "keepsrc"), "lmdb:",
	    NULL, &err), -1);
	expect(spec_of("lmdb", "keep"), "old", "value");
	expect(spec_of("hash", "keep"), "old", "value");
	assert_no_tmp();
	strbuf_release(&err);
}

static int
setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_to_lmdb_same_entries),
		cmocka_unit_test(test_exact_copy_chain),
		cmocka_unit_test(test_other_sources),
		cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
