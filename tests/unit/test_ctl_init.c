/*
 * tests/unit/test_ctl_init.c — the files `tegami init` writes.
 *
 * The generated main.cf must parse, point every path into the instance,
 * and give the values the instance relies on; the generated master.cf
 * must parse and put SMTP on port base + 25 with the services an instance
 * needs (cleanup private, showq public, local privileged).  Parsing goes through the real
 * readers (lib/conf, lib/mastercf) from a temporary directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "../../ctl/ctl.h"
#include "mail_params.h"
#include "mastercf.h"
#include "strbuf.h"

static const struct ctl_init_opts opts = {
	"/srv/inst$1", "/opt/t/libexec/tegami", "/opt/t/bin", "mailer",
	"maildrop", 3000
};

static void
write_file(const char *path, const struct strbuf *sb)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fwrite(sb->data, 1, sb->len, fp), sb->len);
	assert_int_equal(fclose(fp), 0);
}

static void
test_main_cf(void **state)
{
	static const struct { const char *name, *want; } want[] = {
		{ "queue_directory", "/srv/inst$1/spool" },
		{ "daemon_directory", "/opt/t/libexec/tegami" },
		{ "command_directory", "/opt/t/bin" },
		{ "maillog_file", "/srv/inst$1/maillog" },
		{ "mail_owner", "mailer" },
		{ "setgid_group", "maildrop" },
		{ "instance_mailbox_base", "/srv/inst$1/mail" },
		{ "local_recipient_maps", "" },
		{ "inet_interfaces", "127.0.0.1" },
	};
	char dir[] = "/tmp/test_ctl_init.XXXXXX", path[256];
	struct strbuf sb, err;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	strbuf_init(&sb, 65536);
	strbuf_init(&err, 1024);
	assert_int_equal(ctl_init_main_cf(&opts, &sb), 0);
	snprintf(path, sizeof(path), "%s/main.cf", dir);
	write_file(path, &sb);
	conf_reset();
	conf_register(mail_params_common);
	assert_int_equal(conf_read_file(path, &err), 0);
	assert_int_equal(conf_bind(&err), 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *got = conf_value(want[i].name);

		if (strcmp(got, want[i].want) != 0)
			print_error("%s: got \"%s\", want \"%s\"\n",
			    want[i].name, got, want[i].want);
		assert_string_equal(got, want[i].want);
	}
	/* '$' in the directory name was written as "$$". */
	assert_non_null(strstr(sb.data, "/srv/inst$$1/spool"));
	conf_reset();
	unlink(path);
	rmdir(dir);
	strbuf_release(&sb);
	strbuf_release(&err);
}

static void
test_master_cf(void **state)
{
	char dir[] = "/tmp/test_ctl_init.XXXXXX", path[256];
	struct mastercf_entry *e;
	struct strbuf sb, err;
	size_t n, i;
	int seen = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	strbuf_init(&sb, 65536);
	strbuf_init(&err, 1024);
	assert_int_equal(ctl_init_master_cf(&opts, &sb), 0);
	snprintf(path, sizeof(path), "%s/master.cf", dir);
	write_file(path, &sb);
	assert_int_equal(mastercf_read(path, 100, &e, &n, &err), 0);
	assert_int_equal(n, 13);	/* with auth(8)'s line, smtp, relay, lmtp */
	for (i = 0; i < n; i++) {
		if (strcmp(e[i].argv[0], "smtpd") == 0) {
			assert_string_equal(e[i].service, "127.0.0.1:3025");
			assert_string_equal(e[i].type, "inet");
			seen |= 1;
		} else if (strcmp(e[i].argv[0], "submission") == 0) {
			/* 587 with STARTTLS, 465 with TLS from the start. */
			if (strcmp(e[i].service, "127.0.0.1:3087") == 0) {
				assert_int_equal(e[i].argc, 1);
				seen |= 64;
			} else {
				assert_string_equal(e[i].service, "127.0.0.1:3065");
				assert_int_equal(e[i].argc, 3);
				assert_string_equal(e[i].argv[2],
				    "smtpd_tls_wrappermode=yes");
				seen |= 128;
			}
		} else if (strcmp(e[i].argv[0], "showq") == 0) {
			assert_int_equal(e[i].private_, 0);
			seen |= 2;
		} else if (strcmp(e[i].argv[0], "local") == 0) {
			assert_int_equal(e[i].private_, 1);
			assert_int_equal(e[i].unpriv, 0);
			seen |= 4;
		} else if (strcmp(e[i].argv[0], "cleanup") == 0) {
			/* smtpd and pickup connect to private/cleanup. */
			assert_int_equal(e[i].private_, 1);
			assert_int_equal(e[i].maxproc, 0);
			seen |= 16;
		} else if (strcmp(e[i].argv[0], "anvil") == 0) {
			/* One process: the counts live in its memory. */
			assert_int_equal(e[i].private_, 1);
			assert_int_equal(e[i].maxproc, 1);
			seen |= 32;
		} else if (strcmp(e[i].argv[0], "smtp") == 0) {
			/* smtp-client serves private/smtp, private/relay
			 * and, speaking LMTP, private/lmtp. */
			assert_int_equal(e[i].private_, 1);
			assert_true(strcmp(e[i].service, "smtp") == 0 ||
			    strcmp(e[i].service, "relay") == 0 ||
			    strcmp(e[i].service, "lmtp") == 0);
			seen |= 256;
		} else if (strcmp(e[i].argv[0], "qmgr") == 0) {
			assert_int_equal(e[i].wakeup, 300);
			assert_int_equal(e[i].maxproc, 1);
			seen |= 8;
		}
	}
	assert_int_equal(seen, 511);
	mastercf_free(e, n);
	unlink(path);
	rmdir(dir);
	strbuf_release(&sb);
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_cf),
		cmocka_unit_test(test_master_cf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
