/*
 * tests/unit/test_qmgr_transport.c — where qmgr sends a recipient: the
 * address classes ($mydestination -> local, $virtual_mailbox_domains ->
 * virtual, $relay_domains -> relay, else default_transport) and
 * transport_maps overriding them (address, address without extension,
 * domain, ".parent" or parent, "*"), with the error and retry transports,
 * empty fields, unknown transports, a table in trouble and bad addresses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../qmgr/qmgr.h"
#include "ipc_names.h"
#include "mail_params.h"

#define TMAPS "inline:{ remote.example = local:, " \
	"{ bounce.example = error:5.7.1 no mail here }, " \
	"{ later.example = retry:4.4.1 not today }, " \
	"{ soft.example = error:4.1.1 soft }, " \
	"noreason.example = error:, " \
	".sub.example = local:, vip@other.example = local:, " \
	"other.example = relay:, weird.example = foo:bar, " \
	"vhop.example = virtual:, vnh.example = virtual:mailhost, " \
	"local.example = :, ann@vmail.example = local: }"

struct tcase {
	const char *rcpt;
	int	kind;
	const char *tp;		/* transport name (DELIVER) */
	const char *hop;	/* nexthop (DELIVER) */
	const char *dsn;	/* BOUNCE / DEFER */
	const char *text;	/* substring of why (BOUNCE / DEFER) */
};

static void
configure(const char *tmaps, const char *pdms)
{
	var_myhostname = "mx.example";
	var_mydestination = "mx.example, localhost, local.example";
	var_local_transport = "local";
	var_default_transport = "smtp";
	var_virtual_transport = "virtual";
	var_relay_transport = "relay";
	var_relay_domains = "relay.example";
	var_virtual_mailbox_domains = "vmail.example, vhop.example, vnh.example";
	var_recipient_delimiter = "+";
	var_transport_maps = (char *)tmaps;
	var_parent_domain_matches = (char *)pdms;
	var_relayhost = "";
	qmgr_transport_init();
}

static void
run_cases(const struct tcase *c, size_t n)
{
	struct strbuf hop, why;
	struct qmgr_route rt;
	size_t i;

	strbuf_init(&hop, 4096);
	strbuf_init(&why, 4096);
	for (i = 0; i < n; i++) {
		strbuf_reset(&why);
		qmgr_transport_route(c[i].rcpt, &rt, &hop, &why);
		if (rt.kind != c[i].kind)
			fail_msg("%s: kind %d, want %d (%s)", c[i].rcpt, rt.kind,
			    c[i].kind, why.data ? why.data : "");
		if (rt.kind == QMGR_ROUTE_DELIVER) {
			if (strcmp(rt.tp->name, c[i].tp) != 0 ||
			    strcmp(hop.data, c[i].hop) != 0)
				fail_msg("%s: %s:%s, want %s:%s", c[i].rcpt,
				    rt.tp->name, hop.data, c[i].tp, c[i].hop);
			continue;
		}
		if (strcmp(rt.dsn, c[i].dsn) != 0 || strstr(why.data, c[i].text) == NULL)
			fail_msg("%s: %s \"%s\", want %s \"%s\"", c[i].rcpt, rt.dsn,
			    why.data, c[i].dsn, c[i].text);
	}
	strbuf_release(&hop);
	strbuf_release(&why);
}

static void
test_classes_and_table(void **state)
{
	static const struct tcase cases[] = {
		/* Address classes. */
		{ "u@mx.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "U@LOCALHOST", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "postmaster", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "bob@vmail.example", QMGR_ROUTE_DELIVER, "virtual", "vmail.example", 0, 0 },
		{ "x@relay.example", QMGR_ROUTE_DELIVER, "relay", "relay.example", 0, 0 },
		{ "x@else.example", QMGR_ROUTE_DELIVER, "smtp", "else.example", 0, 0 },
		/* transport_maps by domain. */
		{ "u@remote.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "u@REMOTE.Example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "x@bounce.example", QMGR_ROUTE_BOUNCE, 0, 0, "5.7.1", "no mail here" },
		{ "y@later.example", QMGR_ROUTE_DEFER, 0, 0, "4.4.1", "not today" },
		/* error: always bounces, retry: always defers. */
		{ "z@soft.example", QMGR_ROUTE_BOUNCE, 0, 0, "5.0.0", "soft" },
		{ "z@noreason.example", QMGR_ROUTE_BOUNCE, 0, 0, "5.0.0", "error transport" },
		/* ".sub.example" names subdomains only. */
		{ "p@a.sub.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "p@b.a.sub.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "p@sub.example", QMGR_ROUTE_DELIVER, "smtp", "sub.example", 0, 0 },
		/* The address before the domain, with and without extension. */
		{ "vip@other.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "vip+tag@other.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "q@other.example", QMGR_ROUTE_DELIVER, "relay", "other.example", 0, 0 },
		{ "ann@vmail.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "x@weird.example", QMGR_ROUTE_DEFER, 0, 0, "4.3.0",
		    "unknown transport \"foo\"" },
		/* Empty next hop: the domain; explicit: kept. */
		{ "a@vhop.example", QMGR_ROUTE_DELIVER, "virtual", "vhop.example", 0, 0 },
		{ "a@vnh.example", QMGR_ROUTE_DELIVER, "virtual", "mailhost", 0, 0 },
		/* ":" keeps the class default. */
		{ "a@local.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		/* Unusable addresses bounce. */
		{ "\"unterminated@x.example", QMGR_ROUTE_BOUNCE, 0, 0, "5.1.3",
		    "bad address" },
	};

	(void)state;
	configure(TMAPS, "relay_domains");
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_parent_domain_matches_subdomains(void **state)
{
	static const struct tcase cases[] = {
		{ "p@a.sub2.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "p@sub2.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		/* ".dot.example" is then not a pattern for subdomains. */
		{ "p@a.dot.example", QMGR_ROUTE_DELIVER, "smtp", "a.dot.example", 0, 0 },
	};

	(void)state;
	configure("inline:{ sub2.example = local:, .dot.example = local: }",
	    "transport_maps");
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* The class defaults are transport:nexthop specs too (error/retry make
 * the class visible). */
static void
test_class_defaults(void **state)
{
	static const struct tcase cases[] = {
		{ "x@relay.example", QMGR_ROUTE_DEFER, 0, 0, "4.7.1", "relay class" },
		/* relay_domains is in parent_domain_matches_subdomains. */
		{ "x@a.relay.example", QMGR_ROUTE_DEFER, 0, 0, "4.7.1", "relay class" },
		{ "x@else.example", QMGR_ROUTE_BOUNCE, 0, 0, "5.7.1", "default class" },
		{ "x@vmail.example", QMGR_ROUTE_DELIVER, "virtual", "vmail.example", 0, 0 },
	};

	static const struct tcase exact[] = {
		{ "x@a.relay.example", QMGR_ROUTE_BOUNCE, 0, 0, "5.7.1", "default class" },
	};

	(void)state;
	configure("", "relay_domains");
	var_default_transport = "error:5.7.1 default class";
	var_relay_transport = "retry:4.7.1 relay class";
	qmgr_transport_init();
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
	/* Without it, relay_domains names exactly the domains listed. */
	var_parent_domain_matches = "";
	qmgr_transport_init();
	run_cases(exact, 1);
}

static void
test_wildcard(void **state)
{
	static const struct tcase cases[] = {
		{ "a@anything.example", QMGR_ROUTE_BOUNCE, 0, 0, "5.1.2", "closed" },
		{ "a@open.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		/* The wildcard also applies to local domains, as Postfix. */
		{ "a@mx.example", QMGR_ROUTE_BOUNCE, 0, 0, "5.1.2", "closed" },
	};

	(void)state;
	configure("inline:{ { * = error:5.1.2 closed }, open.example = local: }", "");
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_table_trouble_defers(void **state)
{
	static const struct tcase cases[] = {
		{ "a@anything.example", QMGR_ROUTE_DEFER, 0, 0, "4.3.0",
		    "transport table lookup failed" },
		{ "a@mx.example", QMGR_ROUTE_DEFER, 0, 0, "4.3.0",
		    "transport table lookup failed" },
	};

	(void)state;
	configure("texthash:/nonexistent/h13/transport", "");
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void
test_virtual_request_attribute(void **state)
{
	struct strbuf hop, why;
	struct qmgr_route rt;

	(void)state;
	configure("inline:{ later.example = retry:try later }", "");
	strbuf_init(&hop, 4096);
	strbuf_init(&why, 4096);
	qmgr_transport_route("ann@vmail.example", &rt, &hop, &why);
	assert_int_equal(rt.kind, QMGR_ROUTE_DELIVER);
	/* The virtual transport is the local agent in virtual mode. */
	assert_string_equal(rt.tp->service, "local");
	assert_string_equal(rt.tp->agent_mode, "virtual");
	qmgr_transport_route("u@mx.example", &rt, &hop, &why);
	assert_null(rt.tp->agent_mode);
	/* The old interface still answers NULL for a deferral. */
	assert_null(qmgr_transport_resolve("x@later.example", &hop, &why));
	assert_non_null(qmgr_transport_resolve("u@mx.example", &hop, &why));
	strbuf_release(&hop);
	strbuf_release(&why);
}

/* relayhost: the next hop of the default and relay classes, unless the
 * transport (class default or transport_maps) names one; never local. */
static void
test_relayhost(void **state)
{
	static const struct tcase cases[] = {
		{ "x@else.example", QMGR_ROUTE_DELIVER, "smtp", "[smart.example]:587", 0, 0 },
		{ "x@relay.example", QMGR_ROUTE_DELIVER, "relay", "[smart.example]:587", 0, 0 },
		{ "x@hop.example", QMGR_ROUTE_DELIVER, "smtp", "mx.hop.example:2525", 0, 0 },
		{ "x@empty.example", QMGR_ROUTE_DELIVER, "smtp", "[smart.example]:587", 0, 0 },
		{ "u@mx.example", QMGR_ROUTE_DELIVER, "local", "mx.example", 0, 0 },
		{ "bob@vmail.example", QMGR_ROUTE_DELIVER, "virtual", "vmail.example", 0, 0 },
	};

	(void)state;
	configure("inline:{ hop.example = smtp:mx.hop.example:2525, "
	    "empty.example = smtp: }", "");
	var_relayhost = "[smart.example]:587";
	run_cases(cases, sizeof(cases) / sizeof(cases[0]));
	var_relayhost = "";
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classes_and_table),
		cmocka_unit_test(test_parent_domain_matches_subdomains),
		cmocka_unit_test(test_class_defaults),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_table_trouble_defers),
		cmocka_unit_test(test_virtual_request_attribute),
		cmocka_unit_test(test_relayhost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
