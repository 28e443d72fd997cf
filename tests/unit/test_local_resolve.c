/*
 * tests/unit/test_local_resolve.c — which mailbox a recipient means:
 * unsafe local parts are unknown users, instance mode maps to
 * BASE/localpart/Maildir/, system mode follows home_mailbox and
 * mail_spool_directory for a passwd user (lower case, extension stripped)
 * and bounces unknown users with 5.1.1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../local-delivery/local.h"
#include "ipc_names.h"
#include "mail_params.h"

static void
test_local_part_safe(void **state)
{
	static const struct { const char *lp; int ok; } cases[] = {
		{ "alice", 1 }, { "a.b-c_d+e", 1 }, { "x", 1 },
		{ "", 0 }, { ".", 0 }, { "..", 0 }, { ".profile", 0 },
		{ "a/b", 0 }, { "../etc", 0 }, { "a b", 0 }, { "a\tb", 0 },
		{ "a\nb", 0 }, { "caf\xc3\xa9", 0 }, { "a\x7f", 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (local_part_safe(cases[i].lp) != cases[i].ok)
			fail_msg("\"%s\": got %d, want %d", cases[i].lp,
			    !cases[i].ok, cases[i].ok);
}

static void
test_instance_mode(void **state)
{
	struct local_mailbox mb;
	struct local_result res;

	(void)state;
	var_instance_mailbox_base = "/srv/mail/";
	var_recipient_delimiter = "+-";
	var_mail_owner = "root";
	local_result_init(&res);
	assert_int_equal(local_resolve("Alice+news@example.org", &mb, &res), 0);
	assert_int_equal(mb.kind, LOCAL_MAILDIR);
	assert_string_equal(mb.parent, "/srv/mail/alice");
	assert_string_equal(mb.path, "/srv/mail/alice/Maildir/");
	assert_int_equal(local_resolve("bob-x", &mb, &res), 0);
	assert_string_equal(mb.path, "/srv/mail/bob/Maildir/");
	/* The delimiter never empties the local part. */
	assert_int_equal(local_resolve("+x@y", &mb, &res), 0);
	assert_string_equal(mb.path, "/srv/mail/+x/Maildir/");
	var_instance_mailbox_base = "/srv/mail";
	assert_int_equal(local_resolve("carol@localhost", &mb, &res), 0);
	assert_string_equal(mb.path, "/srv/mail/carol/Maildir/");
	if (geteuid() != 0)
		assert_int_equal(mb.uid, getuid());

	assert_int_equal(local_resolve(".x@localhost", &mb, &res), -1);
	assert_int_equal(res.result, DELIVER_BOUNCE);
	assert_string_equal(res.dsn, "5.1.1");
	assert_int_equal(local_resolve("\"../../etc\"@localhost", &mb, &res), -1);
	assert_int_equal(res.result, DELIVER_BOUNCE);
	assert_int_equal(local_resolve("\"a/b\"@localhost", &mb, &res), -1);
	assert_int_equal(res.result, DELIVER_BOUNCE);
	local_result_release(&res);
	var_recipient_delimiter = "";
}

static void
test_system_mode(void **state)
{
	struct passwd *pw = getpwuid(0);
	struct local_mailbox mb;
	struct local_result res;
	char want[4200];

	(void)state;
	assert_non_null(pw);
	var_instance_mailbox_base = "";
	var_recipient_delimiter = "+";
	var_mail_spool_dir = "/var/mail";
	local_result_init(&res);

	var_home_mailbox = "";
	assert_int_equal(local_resolve("ROOT+ext@localhost", &mb, &res), 0);
	assert_int_equal(mb.kind, LOCAL_MBOX);
	assert_string_equal(mb.path, "/var/mail/root");
	assert_int_equal(mb.uid, 0);

	var_home_mailbox = "Maildir/";
	assert_int_equal(local_resolve("root@localhost", &mb, &res), 0);
	assert_int_equal(mb.kind, LOCAL_MAILDIR);
	snprintf(want, sizeof(want), "%s/Maildir/", pw->pw_dir);
	assert_string_equal(mb.path, want);
	assert_string_equal(mb.parent, "");

	var_home_mailbox = "mail/inbox";
	assert_int_equal(local_resolve("root@localhost", &mb, &res), 0);
	assert_int_equal(mb.kind, LOCAL_MBOX);
	snprintf(want, sizeof(want), "%s/mail/inbox", pw->pw_dir);
	assert_string_equal(mb.path, want);

	assert_int_equal(local_resolve("no-such-user-xyz@localhost", &mb, &res), -1);
	assert_int_equal(res.result, DELIVER_BOUNCE);
	assert_string_equal(res.dsn, "5.1.1");
	assert_string_equal(res.text.data, "unknown user: \"no-such-user-xyz\"");
	assert_int_equal(local_resolve("../root@localhost", &mb, &res), -1);
	assert_int_equal(res.result, DELIVER_BOUNCE);
	var_home_mailbox = "";
	var_recipient_delimiter = "";
	local_result_release(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_part_safe),
		cmocka_unit_test(test_instance_mode),
		cmocka_unit_test(test_system_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
