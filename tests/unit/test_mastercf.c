/*
 * tests/unit/test_mastercf.c — master.cf: columns and their '-' defaults,
 * continuation lines, "{ ... }" arguments, and errors naming file and line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mastercf.h"
#include "strbuf.h"

static void
test_defaults_and_args(void **state)
{
	static const char text[] =
	    "# service type  private unpriv  chroot  wakeup  maxproc command\n"
	    "smtp      inet  n       -       n       -       -       smtpd\n"
	    "  -o smtpd_tls_security_level=may\n"
	    "\n"
	    "# comment inside the table\n"
	    "  -o { smtpd_client_restrictions = permit_mynetworks, reject }\n"
	    "127.0.0.1:2525 inet n - - - 4 smtpd\n"
	    "pickup    unix  n       -       y       60?     1       pickup\n"
	    "qmgr      unix  y       n       n       300     0       qmgr -v\n"
	    "cleanup   unix  -       -       -       -       -       cleanup\r\n";
	struct mastercf_entry *e;
	size_t n;
	struct strbuf err;

	(void)state;
	strbuf_init(&err, 1000);
	if (mastercf_parse_text("master.cf", text, strlen(text), 42, &e, &n, &err) < 0)
		fail_msg("parse: %s", err.data);
	assert_int_equal(n, 5);

	assert_string_equal(e[0].service, "smtp");
	assert_string_equal(e[0].type, "inet");
	assert_int_equal(e[0].private_, 0);
	assert_int_equal(e[0].unpriv, 1);
	assert_int_equal(e[0].chroot, 0);
	assert_int_equal(e[0].wakeup, 0);
	assert_int_equal(e[0].maxproc, 42);
	assert_int_equal(e[0].argc, 5);
	assert_string_equal(e[0].argv[0], "smtpd");
	assert_string_equal(e[0].argv[1], "-o");
	assert_string_equal(e[0].argv[2], "smtpd_tls_security_level=may");
	assert_string_equal(e[0].argv[3], "-o");
	assert_string_equal(e[0].argv[4],
	    "smtpd_client_restrictions = permit_mynetworks, reject");
	assert_null(e[0].argv[5]);
	assert_int_equal(e[0].line, 2);
	assert_string_equal(e[0].file, "master.cf");

	assert_string_equal(e[1].service, "127.0.0.1:2525");
	assert_int_equal(e[1].maxproc, 4);
	assert_int_equal(e[1].line, 7);

	assert_int_equal(e[2].chroot, 1);
	assert_int_equal(e[2].wakeup, 60);
	assert_int_equal(e[2].maxproc, 1);

	assert_int_equal(e[3].private_, 1);
	assert_int_equal(e[3].unpriv, 0);
	assert_int_equal(e[3].wakeup, 300);
	assert_int_equal(e[3].maxproc, 0);
	assert_int_equal(e[3].argc, 2);

	assert_int_equal(e[4].private_, 1);
	assert_int_equal(e[4].unpriv, 1);
	assert_int_equal(e[4].chroot, 0);
	assert_int_equal(e[4].argc, 1);
	assert_string_equal(e[4].argv[0], "cleanup");
	mastercf_free(e, n);
	strbuf_release(&err);
}

static void
test_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "smtp inet n - n - - \n", "master.cf, line 1: expected 8 or more fields" },
		{ "a unix - - - - - a\nsmtp tcp n - n - - smtpd\n",
		    "master.cf, line 2: unknown service type" },
		{ "smtp inet x - n - - smtpd\n", "master.cf, line 1: private field" },
		{ "smtp inet n yes n - - smtpd\n", "master.cf, line 1: unpriv field" },
		{ "smtp inet n - N - - smtpd\n", "master.cf, line 1: chroot field" },
		{ "smtp inet n - n -5 - smtpd\n", "master.cf, line 1: wakeup field" },
		{ "smtp inet n - n 5x - smtpd\n", "master.cf, line 1: wakeup field" },
		{ "smtp inet n - n - 1? smtpd\n", "master.cf, line 1: maxproc field" },
		{ "smtp inet n - n - 99999999999 smtpd\n", "master.cf, line 1: maxproc field" },
		{ "\n\n  -o x=y\n", "master.cf, line 3: continuation line" },
		{ "../x unix - - - - - a\n", "master.cf, line 1: bad service name" },
		{ "a/b unix - - - - - a\n", "master.cf, line 1: bad service name" },
		{ "a unix - - - - - a\n#\nb unix - - - - - b\na unix - - - - - c\n",
		    "master.cf, line 4: duplicate service a/unix (first at line 1)" },
		{ "a unix - - - - - a -o { x = y\n", "master.cf, line 1: missing '}'" },
		{ "a unix - - - - - a\nb unix - - - - - b\0\n", "master.cf: NUL byte" },
	};
	struct mastercf_entry *e;
	size_t n, i, len;
	struct strbuf err;

	(void)state;
	strbuf_init(&err, 1000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf_reset(&err);
		len = strlen(cases[i].text);
		if (strstr(cases[i].want, "NUL") != NULL)
			len += 2;
		if (mastercf_parse_text("master.cf", cases[i].text, len, 100, &e, &n,
		    &err) != -1)
			fail_msg("case %zu: accepted", i);
		if (strncmp(err.data, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err.data,
			    cases[i].want);
	}
	/* Same entry name with another type is fine; an empty file is fine. */
	assert_int_equal(mastercf_parse_text("m", "a unix - - - - - a\na inet - - - - - b\n",
	    38, 100, &e, &n, &err), 0);
	assert_int_equal(n, 2);
	mastercf_free(e, n);
	assert_int_equal(mastercf_parse_text("m", "# nothing\n", 10, 100, &e, &n, &err), 0);
	assert_int_equal(n, 0);
	mastercf_free(e, n);
	strbuf_release(&err);
}

static void
test_read_file(void **state)
{
	char path[] = "/tmp/test_mastercf.XXXXXX";
	struct mastercf_entry *e;
	size_t n;
	struct strbuf err;
	int fd;

	(void)state;
	strbuf_init(&err, 1000);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x unix - - - - - y\nz\n", 21), 21);
	close(fd);
	assert_int_equal(mastercf_read(path, 10, &e, &n, &err), -1);
	assert_non_null(strstr(err.data, ", line 2: expected 8 or more fields"));
	assert_int_equal(strncmp(err.data, path, strlen(path)), 0);
	unlink(path);
	assert_int_equal(mastercf_read(path, 10, &e, &n, &err), -1);
	assert_non_null(strstr(err.data, "cannot read"));
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_args),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_read_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
