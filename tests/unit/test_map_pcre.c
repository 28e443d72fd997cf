/*
 * tests/unit/test_map_pcre.c — the pcre: table (lib/map_pcre.c): Postfix's
 * pcre_table(5) format parsed from text, then looked up: flags (case is
 * ignored by default, `i` toggles it), negation, if/endif nesting,
 * continuation lines, $n substitution, broken tables reported with file
 * and line, and bounds on hostile input.  map_pcre_open is exercised with
 * a struct map filled here, as lib/map.c would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "map_int.h"

struct lookup_case {
	const char *table;
	const char *key;
	enum map_result want;
	const char *value;
};

static const struct lookup_case lookups[] = {
	/* case-insensitive by default; `i` makes it case-sensitive */
	{ "/^subject: buy now/ REJECT spam\n", "Subject: BUY NOW", MAP_FOUND, "REJECT spam" },
	{ "/^Subject: buy/i REJECT\n", "Subject: BUY", MAP_NOTFOUND, NULL },
	{ "/^Subject: buy/i REJECT\n", "Subject: buy", MAP_FOUND, "REJECT" },
	/* first match wins */
	{ "/a/ one\n/b/ two\n", "ab", MAP_FOUND, "one" },
	{ "/a/ one\n/b/ two\n", "b", MAP_FOUND, "two" },
	{ "/a/ one\n", "c", MAP_NOTFOUND, NULL },
	/* negation */
	{ "!/@example\\.com$/ OTHER\n", "u@example.com", MAP_NOTFOUND, NULL },
	{ "!/@example\\.com$/ OTHER\n", "u@example.org", MAP_FOUND, "OTHER" },
	/* substitution */
	{ "/^(.*)@(.*)$/ $2!$1\n", "joe@host", MAP_FOUND, "host!joe" },
	{ "/^(.*)@(.*)$/ ${2}x$(1)y$$\n", "joe@host", MAP_FOUND, "hostxjoey$" },
	{ "/^(a)|(b)$/ [$2]\n", "a", MAP_FOUND, "[]" },
	/* if / endif, nested, negated */
	{ "if /@example\\.com$/\n/^joe@/ JOE\nendif\n/^joe@/ OTHERJOE\n",
	  "joe@example.com", MAP_FOUND, "JOE" },
	{ "if /@example\\.com$/\n/^joe@/ JOE\nendif\n/^joe@/ OTHERJOE\n",
	  "joe@example.org", MAP_FOUND, "OTHERJOE" },
	{ "if /^a/\nif !/b/\n/./ A-NOT-B\nendif\n/./ A\nendif\n", "ac", MAP_FOUND, "A-NOT-B" },
	{ "if /^a/\nif !/b/\n/./ A-NOT-B\nendif\n/./ A\nendif\n", "ab", MAP_FOUND, "A" },
	{ "if /^a/\nif !/b/\n/./ A-NOT-B\nendif\n/./ A\nendif\n", "xb", MAP_NOTFOUND, NULL },
	/* comments, blank lines, continuation, other delimiters, CRLF */
	{ "# c\n\n   \n  # indented comment\n/x/ long\n  result\n", "x", MAP_FOUND, "long result" },
	{ "|a/b| slash\n", "a/b", MAP_FOUND, "slash" },
	{ "/a\\/b/ esc\r\n", "a/b", MAP_FOUND, "esc" },
	/* flags: m, s, x, U */
	{ "/^b$/ no\n/^b$/m yes\n", "a\nb", MAP_FOUND, "yes" },
	{ "/a.b/s dot\n", "a\nb", MAP_FOUND, "dot" },
	{ "/a.b/ dot\n", "a\nb", MAP_NOTFOUND, NULL },
	{ "/ a  b /x ext\n", "ab", MAP_FOUND, "ext" },
	{ "/(a+)/U [$1]\n", "aaa", MAP_FOUND, "[a]" },
	/* folded header: the logical header with its newline */
	{ "/^Subject:.*\\n\\s+bar/ FOLD\n", "Subject: foo\n\tbar", MAP_FOUND, "FOLD" },
};

static void
test_lookups(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		const struct lookup_case *c = &lookups[i];
		struct map_pcre_table *t = NULL;
		struct strbuf err, val;

		strbuf_init(&err, 1024);
		strbuf_init(&val, 1024);
		if (map_pcre_table_parse(c->table, strlen(c->table), "t", &t, &err) < 0)
			fail_msg("case %zu: %s", i, err.data);
		if (map_pcre_table_lookup(t, c->key, &val) != c->want)
			fail_msg("case %zu: key \"%s\": wrong result", i, c->key);
		if (c->value != NULL && strcmp(val.data, c->value) != 0)
			fail_msg("case %zu: got \"%s\" want \"%s\"", i, val.data, c->value);
		map_pcre_table_free(t);
		strbuf_release(&err);
		strbuf_release(&val);
	}
}

static const struct {
	const char *table;
	const char *err;
} broken[] = {
	{ "/ok/ x\n\n/a(/ bad\n", "f, line 3: error in regex" },
	{ "/ok/ x\n/abc bad\n", "f, line 2: missing closing /" },
	{ "/ok/ x\n/abc/ \n", "f, line 2: no result" },
	{ "/ok/q x\n", "f, line 1: unknown pattern flag" },
	{ "/(a)/ $2\n", "f, line 1: $2 out of range" },
	{ "!/(a)/ $1\n", "f, line 1: $number in the result of a negated" },
	{ "/a/ ${1\n", "f, line 1: unterminated" },
	{ "/a/ $x\n", "f, line 1: bad $" },
	{ "endif\n", "f, line 1: endif without if" },
	{ "/a/ b\nif /x/\n/y/ z\n", "f, line 2: if without endif" },
	{ "if /x/ junk\nendif\n", "f, line 1: garbage after if" },
	{ " /a/ b\n", "f, line 1: continuation line" },
	{ "abc def\n", "f, line 1: expected /pattern/" },
};

static void
test_broken(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		struct map_pcre_table *t = NULL;
		struct strbuf err;

		strbuf_init(&err, 1024);
		if (map_pcre_table_parse(broken[i].table, strlen(broken[i].table),
		    "f", &t, &err) == 0)
			fail_msg("case %zu: parsed", i);
		assert_null(t);
		if (strncmp(err.data, broken[i].err, strlen(broken[i].err)) != 0)
			fail_msg("case %zu: got \"%s\"", i, err.data);
		strbuf_release(&err);
	}
}

static void
test_bounds(void **state)
{
	struct map_pcre_table *t = NULL;
	struct strbuf err, val, big;
	char *key;
	time_t t0;
	int i;

	(void)state;
	strbuf_init(&err, 1024);
	strbuf_init(&val, 1024);
	strbuf_init(&big, STRBUF_NOLIMIT);
	/* a line longer than the limit is an error, not a crash */
	strbuf_append_str(&big, "/");
	for (i = 0; i < 70000; i++)
		strbuf_append_char(&big, 'a');
	strbuf_append_str(&big, "/ x\n");
	assert_int_equal(map_pcre_table_parse(big.data, big.len, "f", &t, &err), -1);
	assert_non_null(strstr(err.data, "line 1: line too long"));
	/* nesting depth is bounded */
	strbuf_reset(&big);
	for (i = 0; i < 100; i++)
		strbuf_append_str(&big, "if /a/\n");
	assert_int_equal(map_pcre_table_parse(big.data, big.len, "f", &t, &err), -1);
	assert_non_null(strstr(err.data, "nested too deeply"));
	/* NUL bytes */
	assert_int_equal(map_pcre_table_parse("/a/ b\0c\n", 8, "f", &t, &err), -1);
	/* catastrophic backtracking stops at the match limit: no match */
	const char *evil = "/^(a+)+$/ EVIL\n/./ SAFE\n";
	assert_int_equal(map_pcre_table_parse(evil, strlen(evil), "f", &t, &err), 0);
	key = malloc(20001);
	memset(key, 'a', 20000);
	key[19999] = 'b';
	key[20000] = '\0';
	t0 = time(NULL);
	assert_int_equal(map_pcre_table_lookup(t, key, &val), MAP_FOUND);
	assert_string_equal(val.data, "SAFE");
	assert_true(time(NULL) - t0 < 5);
	free(key);
	map_pcre_table_free(t);
	strbuf_release(&err);
	strbuf_release(&val);
	strbuf_release(&big);
}

static void
test_open(void **state)
{
	char path[] = "/tmp/test_map_pcre.XXXXXX";
	const char *text = "/^Subject: (.*)/ WARN subject $1\n";
	struct map m;
	struct strbuf err, val, why;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	memset(&m, 0, sizeof(m));
	m.name = path;
	m.flags = MAP_F_FOLD_KEY;
	strbuf_init(&err, 1024);
	strbuf_init(&val, 1024);
	strbuf_init(&why, 1024);
	assert_int_equal(map_pcre_open(&m, &err), 0);
	assert_int_equal(m.regexp, 1);
	assert_int_equal(m.flags & MAP_F_FOLD_KEY, 0);
	assert_int_equal(m.lookup(&m, "Subject: Hi", &val, &why), MAP_FOUND);
	assert_string_equal(val.data, "WARN subject Hi");
	m.close(&m);
	/* a broken file: -1 with file and line */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "/a/ b\n/(/ c\n", 12), 12);
	close(fd);
	memset(&m, 0, sizeof(m));
	m.name = path;
	assert_int_equal(map_pcre_open(&m, &err), -1);
	assert_non_null(strstr(err.data, ", line 2: "));
	assert_non_null(strstr(err.data, path));
	unlink(path);
	memset(&m, 0, sizeof(m));
	m.name = path;
	assert_int_equal(map_pcre_open(&m, &err), -1);
	strbuf_release(&err);
	strbuf_release(&val);
	strbuf_release(&why);
}

/* Open a pcre: file with the given text and flags through map_pcre_open. */
static int
open_text(struct map *m, char *path, const char *text, int flags,
    struct strbuf *err)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	memset(m, 0, sizeof(*m));
	m->name = path;
	m->flags = flags;
	return map_pcre_open(m, err);
}

/* MAP_F_NO_REGSUB (alias and mailbox tables): a result that splices the
 * client's text in is refused, so a quoted local part such as
 * "x,|cmd;x-list" cannot become an alias member. $$ is not substitution. */
static void
test_no_regsub(void **state)
{
	char path[] = "/tmp/test_map_pcre.XXXXXX";
	struct strbuf err, val, why;
	struct map m;

	(void)state;
	strbuf_init(&err, 1024);
	strbuf_init(&val, 1024);
	strbuf_init(&why, 1024);
	assert_int_equal(open_text(&m, path, "/^owner-/ postmaster\n"
	    "/^(.*)-list$/ ${1}-owner\n", MAP_F_NO_REGSUB, &err), -1);
	assert_non_null(strstr(err.data, ", line 2: $n substitution"));
	unlink(path);
	strcpy(path, "/tmp/test_map_pcre.XXXXXX");
	assert_int_equal(open_text(&m, path, "/^(.*)-list$/ cost$$5\n",
	    MAP_F_NO_REGSUB, &err), 0);
	assert_int_equal(m.lookup(&m, "a-list", &val, &why), MAP_FOUND);
	assert_string_equal(val.data, "cost$5");
	m.close(&m);
	unlink(path);
	/* Without the flag the same table substitutes. */
	strcpy(path, "/tmp/test_map_pcre.XXXXXX");
	assert_int_equal(open_text(&m, path, "/^(.*)-list$/ $1-owner\n", 0,
	    &err), 0);
	assert_int_equal(m.lookup(&m, "a-list", &val, &why), MAP_FOUND);
	assert_string_equal(val.data, "a-owner");
	m.close(&m);
	unlink(path);
	strbuf_release(&err);
	strbuf_release(&val);
	strbuf_release(&why);
}

/* Many $1 of a long key: bounded, and an answer of "retry", never a
 * silently shortened value. */
static void
test_result_limit(void **state)
{
	char path[] = "/tmp/test_map_pcre.XXXXXX";
	struct strbuf err, val, why;
	char *key;
	struct map m;

	(void)state;
	strbuf_init(&err, 1024);
	strbuf_init(&val, STRBUF_NOLIMIT);
	strbuf_init(&why, 1024);
	assert_int_equal(open_text(&m, path,
	    "/^(.*)$/ $1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1\n", 0, &err), 0);
	key = malloc(8001);
	memset(key, 'k', 8000);
	key[8000] = '\0';
	assert_int_equal(m.lookup(&m, key, &val, &why), MAP_RETRY);
	assert_non_null(strstr(why.data, "too long"));
	key[100] = '\0';
	assert_int_equal(m.lookup(&m, key, &val, &why), MAP_FOUND);
	assert_int_equal(val.len, 1600);
	free(key);
	m.close(&m);
	unlink(path);
	strbuf_release(&err);
	strbuf_release(&val);
	strbuf_release(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_no_regsub),
		cmocka_unit_test(test_result_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
