/*
 * tests/unit/test_local_virtual.c — virtual mailbox resolution and
 * delivery: virtual_mailbox_maps search order (user+ext@domain,
 * user@domain, @domain), Maildir vs mbox by the trailing slash, uid/gid
 * from their tables and virtual_minimum_uid, unsafe paths and broken
 * tables deferred, unknown addresses bounced; and a real delivery through
 * local_deliver_virtual_rcpt into BASE/domain/user/new with the headers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../local-delivery/local.h"
#include "ipc_names.h"
#include "local_test_msg.h"
#include "mail_params.h"

static char root[] = "/tmp/test_local_virtual.XXXXXX";
static char qdir[4096], base[4096];

#define MBOX_MAP "inline:{ ann@vmail.example = vmail.example/ann/, " \
	"bob@vmail.example = vmail.example/bob.mbox, " \
	"@other.example = other.example/catchall/, " \
	"dot@vmail.example = vmail.example/../../etc/x, " \
	"abs@vmail.example = /vmail.example/abs/, " \
	"low@vmail.example = vmail.example/low/, " \
	"nouid@vmail.example = vmail.example/nouid/, " \
	"baduid@vmail.example = vmail.example/baduid/ }"
#define UID_MAP "inline:{ ann@vmail.example = 5000, bob@vmail.example = 5001, " \
	"@other.example = 5002, dot@vmail.example = 5000, abs@vmail.example = 5000, " \
	"low@vmail.example = 99, baduid@vmail.example = 12x }"

struct vcase {
	const char *rcpt;
	int	rc;
	int	kind;		/* rc 0 */
	const char *path;	/* rc 0: relative to base */
	const char *parent;	/* rc 0: relative to base, "" = none */
	long	uid;
	int	result;		/* rc -1 */
	const char *dsn;
};

static int
setup(void **state)
{
	struct strbuf err;

	(void)state;
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(qdir, sizeof(qdir), "%s/queue", root);
	snprintf(base, sizeof(base), "%s/vmail", root);
	strbuf_init(&err, 1024);
	if (mkdir(qdir, 0700) < 0 || qfile_make_dirs(qdir, &err) < 0 ||
	    mkdir(base, 0755) < 0)
		return -1;
	strbuf_release(&err);
	var_queue_dir = qdir;
	var_recipient_delimiter = "+";
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	test_rm_rf(root);
	return 0;
}

static struct maplist *
open_list(const char *spec)
{
	struct strbuf err;
	struct maplist *l;

	strbuf_init(&err, 1024);
	l = maplist_open(spec, MAP_F_FOLD_KEY, &err);
	if (l == NULL)
		fail_msg("%s: %s", spec, err.data);
	strbuf_release(&err);
	return l;
}

static void
test_resolve(void **state)
{
	static const struct vcase cases[] = {
		{ "ann@vmail.example", 0, LOCAL_MAILDIR, "/vmail.example/ann",
		    "/vmail.example", 5000, 0, 0 },
		{ "Ann+news@VMAIL.example", 0, LOCAL_MAILDIR, "/vmail.example/ann",
		    "/vmail.example", 5000, 0, 0 },
		{ "bob@vmail.example", 0, LOCAL_MBOX, "/vmail.example/bob.mbox",
		    "", 5001, 0, 0 },
		/* @domain catches every address of the domain. */
		{ "zed@other.example", 0, LOCAL_MAILDIR, "/other.example/catchall",
		    "/other.example", 5002, 0, 0 },
		/* A leading slash stays under the base. */
		{ "abs@vmail.example", 0, LOCAL_MAILDIR, "/vmail.example/abs",
		    "/vmail.example", 5000, 0, 0 },
		{ "carl@vmail.example", -1, 0, 0, 0, 0, DELIVER_BOUNCE, "5.1.1" },
		{ "ann@elsewhere.example", -1, 0, 0, 0, 0, DELIVER_BOUNCE, "5.1.1" },
		{ "dot@vmail.example", -1, 0, 0, 0, 0, DELIVER_DEFER, "4.3.5" },
		{ "low@vmail.example", -1, 0, 0, 0, 0, DELIVER_DEFER, "4.3.5" },
		{ "nouid@vmail.example", -1, 0, 0, 0, 0, DELIVER_DEFER, "4.3.5" },
		{ "baduid@vmail.example", -1, 0, 0, 0, 0, DELIVER_DEFER, "4.3.5" },
	};
	struct local_virtual v;
	struct local_mailbox mb;
	struct local_result res;
	char want[8192];
	size_t i;
	int rc;

	(void)state;
	v.mailbox = open_list(MBOX_MAP);
	v.uid = open_list(UID_MAP);
	v.gid = open_list("static:6000");
	v.base = "/srv/vmail/";
	v.min_uid = 100;
	v.delim = "+";
	local_result_init(&res);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct vcase *c = &cases[i];

		rc = local_virtual_resolve(&v, c->rcpt, &mb, &res);
		if (rc != c->rc)
			fail_msg("%s: rc %d, want %d (%s)", c->rcpt, rc, c->rc,
			    res.text.data);
		if (rc < 0) {
			if (res.result != c->result || strcmp(res.dsn, c->dsn) != 0)
				fail_msg("%s: %d %s, want %d %s", c->rcpt, res.result,
				    res.dsn, c->result, c->dsn);
			continue;
		}
		assert_int_equal(mb.kind, c->kind);
		snprintf(want, sizeof(want), "/srv/vmail%s", c->path);
		assert_string_equal(mb.path, want);
		if (*c->parent)
			snprintf(want, sizeof(want), "/srv/vmail%s", c->parent);
		else
			want[0] = '\0';
		assert_string_equal(mb.parent, want);
		assert_int_equal(mb.uid, c->uid);
		assert_int_equal(mb.gid, 6000);
	}
	local_result_release(&res);
	maplist_close(v.mailbox);
	maplist_close(v.uid);
	maplist_close(v.gid);
}

static void
test_broken_table_defers(void **state)
{
	struct local_virtual v;
	struct local_mailbox mb;
	struct local_result res;

	(void)state;
	v.mailbox = open_list("texthash:/nonexistent/h13/vmailbox");
	v.uid = open_list("static:5000");
	v.gid = open_list("static:5000");
	v.base = "/srv";
	v.min_uid = 100;
	v.delim = "";
	local_result_init(&res);
	assert_int_equal(local_virtual_resolve(&v, "ann@vmail.example", &mb, &res), -1);
	assert_int_equal(res.result, DELIVER_DEFER);
	assert_string_equal(res.dsn, "4.3.0");
	local_result_release(&res);
	maplist_close(v.mailbox);
	maplist_close(v.uid);
	maplist_close(v.gid);
}

static void
test_deliver(void **state)
{
	static const char *const rcpts[] = { "ann@vmail.example", NULL };
	static const char *const body[] = { "Subject: v\n\nhello\n", NULL };
	struct test_msg t;
	struct local_msg msg;
	struct local_result res;
	char dir[8192], path[8700], uid[32], *text;
	struct dirent *de;
	DIR *d;

	(void)state;
	snprintf(uid, sizeof(uid), "static:%ld", (long)getuid());
	var_virtual_mailbox_maps = MBOX_MAP;
	var_virt_uid_maps = uid;
	var_virt_gid_maps = "static:0";
	var_virt_mailbox_base = base;
	var_virt_minimum_uid = 0;
	test_msg_make(&t, qdir, "s@example.org", rcpts, body);
	memset(&msg, 0, sizeof(msg));
	msg.fd = t.fd;
	msg.env = t.env;
	msg.sender = t.env->sender;
	local_result_init(&res);
	local_deliver_virtual_rcpt(&msg, "ann@vmail.example", &res);
	assert_int_equal(res.result, DELIVER_OK);
	/* BASE/vmail.example did not exist: it was made on the way. */
	snprintf(dir, sizeof(dir), "%s/vmail.example/ann/new", base);
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL && de->d_name[0] == '.')
		;
	assert_non_null(de);
	snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
	closedir(d);
	text = test_read_file(path);
	assert_string_equal(text, "Return-Path: <s@example.org>\n"
	    "Delivered-To: ann@vmail.example\nSubject: v\n\nhello\n");
	free(text);
	/* Not in the table: bounced, nothing written. */
	local_deliver_virtual_rcpt(&msg, "carl@vmail.example", &res);
	assert_int_equal(res.result, DELIVER_BOUNCE);
	assert_string_equal(res.dsn, "5.1.1");
	local_result_release(&res);
	test_msg_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_broken_table_defers),
		cmocka_unit_test(test_deliver),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
