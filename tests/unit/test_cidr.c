/*
 * tests/unit/test_cidr.c — $mynetworks lists: parsing (IPv4, IPv6, the
 * [::1]/128 bracket form, bare addresses, skipped table/host entries,
 * errors) and matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cidr.h"

static const struct {
	const char *list;
	const char *addr;
	int	match;
} matches[] = {
	{"127.0.0.0/8 [::1]/128", "127.0.0.1", 1},
	{"127.0.0.0/8 [::1]/128", "127.255.1.2", 1},
	{"127.0.0.0/8 [::1]/128", "128.0.0.1", 0},
	{"127.0.0.0/8 [::1]/128", "::1", 1},
	{"127.0.0.0/8 [::1]/128", "::2", 0},
	{"127.0.0.0/8, 10.1.2.3", "10.1.2.3", 1},
	{"127.0.0.0/8, 10.1.2.3", "10.1.2.4", 0},
	{"192.168.0.0/16", "::ffff:192.168.7.7", 1},
	{"2001:db8::/32", "2001:db8:1::5", 1},
	{"[2001:db8::]/32", "2001:db9::5", 0},
	{"::1", "::1", 1},
	{"[::1]", "::1", 1},
	{"0.0.0.0/0", "203.0.113.9", 1},
	{"0.0.0.0/0", "2001:db8::1", 0},
	{"::/0", "2001:db8::1", 1},
	{"10.0.0.0/9", "10.127.255.255", 1},
	{"10.0.0.0/9", "10.128.0.0", 0},
	{"10.1.2.3/8", "10.9.9.9", 1},		/* host bits masked */
	{"hash:/etc/tegami/network_table 10.0.0.0/8", "10.0.0.1", 1},
	{"localhost 10.0.0.0/8", "10.0.0.1", 1},
	{"", "127.0.0.1", 0},
	{"127.0.0.0/8", "not-an-address", 0},
};

static void
test_match(void **state)
{
	struct strbuf err;
	size_t	i;

	(void)state;
	strbuf_init(&err, 256);
	for (i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
		struct cidr_list *l = cidr_list_parse(matches[i].list, &err);

		if (l == NULL)
			fail_msg("\"%s\": parse error %s", matches[i].list, err.data);
		if (cidr_list_match(l, matches[i].addr) != matches[i].match)
			fail_msg("\"%s\" ~ %s: got %d want %d", matches[i].list,
			    matches[i].addr, !matches[i].match, matches[i].match);
		cidr_list_free(l);
	}
	strbuf_release(&err);
}

static void
test_errors(void **state)
{
	static const char *bad[] = {
		"127.0.0.0/33", "::1/129", "1.2.3.4/", "1.2.3.4/x", "1.2.3.256",
		"[::1", "[]/8", "1.2.3.4/-1", "1.2.3.4/8/8",
	};
	struct strbuf err;
	size_t	i;

	(void)state;
	strbuf_init(&err, 256);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cidr_list *l;

		strbuf_reset(&err);
		l = cidr_list_parse(bad[i], &err);
		if (l != NULL)
			fail_msg("\"%s\": accepted", bad[i]);
		assert_true(err.len > 0);
	}
	assert_null(cidr_list_parse("10.0.0.0/8 300.1.1.1", &err));
	strbuf_release(&err);
}

static void
test_count(void **state)
{
	struct strbuf err;
	struct cidr_list *l;

	(void)state;
	strbuf_init(&err, 256);
	l = cidr_list_parse("127.0.0.0/8 [::1]/128 hash:/x host.example", &err);
	assert_non_null(l);
	assert_int_equal(cidr_list_count(l), 2);
	cidr_list_free(l);
	cidr_list_free(NULL);
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_count),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
