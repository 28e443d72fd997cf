/*
 * tests/unit/test_map_source.c — Postfix's table source format:
 * continuation lines, comments (also between continuations), blank
 * lines, `key value` and `key: value` splitting, and warnings that name
 * the file and the first line of the logical line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "map_source.h"

/* Parse text; write "key=value@line;" or "!warning;" for each entry. */
static void
parse(const char *text, int flags, struct strbuf *out)
{
	struct map_source s;
	struct strbuf warn;
	char *k, *v;
	int rc;

	strbuf_init(&warn, 4096);
	map_source_init(&s, text, strlen(text), "F");
	strbuf_reset(out);
	while ((rc = map_source_next(&s, flags, &k, &v, &warn)) != 0) {
		if (rc < 0)
			strbuf_printf(out, "!%s;", warn.data);
		else
			strbuf_printf(out, "%s=%s@%d;", k, v, s.line);
	}
	map_source_release(&s);
	strbuf_release(&warn);
}

static const struct {
	const char *text;
	int	flags;
	const char *want;
} cases[] = {
	{ "a b\n", 0, "a=b@1;" },
	{ "a b", 0, "a=b@1;" },				/* no final newline */
	{ "a\tb  c  \n", 0, "a=b  c@1;" },		/* value trimmed */
	{ "# c\n\na b\n", 0, "a=b@3;" },
	{ "a b\n c\n\td\n", 0, "a=b c\td@1;" },		/* continuations */
	{ "a b\n# x\n c\n", 0, "a=b c@1;" },		/* comment inside */
	{ "a b\n\n c\n", 0, "a=b c@1;" },		/* blank inside */
	{ "a b\n   # indented comment\nc d\n", 0, "a=b@1;c=d@3;" },
	{ "a\nb c\n", 0, "!F, line 1: expected format: key whitespace value;"
	    "b=c@2;" },
	{ " a b\nc d\n", 0, "!F, line 1: logical line must not start with "
	    "whitespace; skipped;c=d@2;" },
	{ "a b\r\nc d\r\n", 0, "a=b@1;c=d@2;" },
	{ "x\n y z\n", 0, "x=y z@1;" },	/* value on the continuation */
	{ "root: admin, bob\n", MAP_SOURCE_ALIASES, "root=admin, bob@1;" },
	{ "root : a\n  b\n", MAP_SOURCE_ALIASES, "root=a b@1;" },
	{ "x:   a   b  ,c\n", MAP_SOURCE_ALIASES, "x=a b, c@1;" },
	{ "l: :include:/etc/l, \"|cmd  arg\", u@h\n", MAP_SOURCE_ALIASES,
	    "l=:include:/etc/l, \"|cmd  arg\", u@h@1;" },
	{ "p: |/bin/prog x,/var/f\n", MAP_SOURCE_ALIASES,
	    "p=|/bin/prog x, /var/f@1;" },
	{ "n: Name <u@h>\n", MAP_SOURCE_ALIASES, "n=Name <u@h>@1;" },
	{ "\"a:b\": c\n", MAP_SOURCE_ALIASES, "a:b=c@1;" },
	{ "nocolon\nx: y\n", MAP_SOURCE_ALIASES,
	    "!F, line 1: need name:value pair;x=y@2;" },
	{ "x:\n", MAP_SOURCE_ALIASES, "!F, line 1: need name:value pair;" },
	{ "", 0, "" },
	{ "\n\n#\n", 0, "" },
};

static void
test_cases(void **state)
{
	struct strbuf out;
	size_t i;

	(void)state;
	strbuf_init(&out, STRBUF_NOLIMIT);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse(cases[i].text, cases[i].flags, &out);
		if (strcmp(out.data, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, out.data,
			    cases[i].want);
	}
	strbuf_release(&out);
}

/* A logical line over the limit is skipped with a warning, not cut. */
static void
test_too_long(void **state)
{
	struct strbuf text, out;
	size_t i;

	(void)state;
	strbuf_init(&text, STRBUF_NOLIMIT);
	strbuf_init(&out, STRBUF_NOLIMIT);
	strbuf_append_str(&text, "k ");
	for (i = 0; i < MAP_SOURCE_LINE_MAX / 32 + 2; i++)
		strbuf_append_str(&text, " 123456789012345678901234567890123456"
		    "789012345678901234567890\n");
	strbuf_append_str(&text, "a b\n");
	parse(text.data, 0, &out);
	assert_non_null(strstr(out.data, "!F, line 1: line too long"));
	assert_non_null(strstr(out.data, "a=b@"));
	strbuf_release(&text);
	strbuf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
