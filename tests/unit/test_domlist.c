/*
 * tests/unit/test_domlist.c — domain match lists (lib/domlist.c): names,
 * .subdomain patterns, !exclusions (first match decides), type:table
 * entries (inline:), case, and a table in trouble answering MAP_RETRY.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "domlist.h"

static void
test_match(void **state)
{
	static const struct {
		const char *list, *domain;
		enum map_result want;
	} cases[] = {
		{ "example.com", "example.com", MAP_FOUND },
		{ "example.com", "EXAMPLE.Com", MAP_FOUND },
		{ "example.com", "sub.example.com", MAP_NOTFOUND },
		{ ".example.com", "sub.example.com", MAP_FOUND },
		{ ".example.com", "example.com", MAP_NOTFOUND },
		{ "!a.example.com, .example.com", "a.example.com", MAP_NOTFOUND },
		{ "!a.example.com, .example.com", "b.example.com", MAP_FOUND },
		{ "other.test example.com", "example.com", MAP_FOUND },
		{ "inline:{ v.test=x }", "V.TEST", MAP_FOUND },
		{ "inline:{ v.test=x }", "w.test", MAP_NOTFOUND },
		{ "!inline:{ v.test=x }, v.test", "v.test", MAP_NOTFOUND },
		{ "", "example.com", MAP_NOTFOUND },
		{ "example.com", "", MAP_NOTFOUND },
		{ "hash:/nonexistent/domlist/x", "example.com", MAP_RETRY },
	};
	struct strbuf err, why;
	struct domlist *dl;
	size_t i;

	(void)state;
	strbuf_init(&err, 1024);
	strbuf_init(&why, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dl = domlist_open(cases[i].list, &err);
		assert_non_null(dl);
		if (domlist_match(dl, cases[i].domain, &why) != cases[i].want)
			fail_msg("case %zu: %s in [%s]: want %d", i,
			    cases[i].domain, cases[i].list, (int)cases[i].want);
		domlist_free(dl);
	}
	dl = domlist_open(" , ", &err);
	assert_true(domlist_empty(dl));
	domlist_free(dl);
	assert_null(domlist_open("nosuchtype:x", &err));
	assert_true(err.len > 0);
	strbuf_release(&err);
	strbuf_release(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
