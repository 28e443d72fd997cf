/*
 * tests/unit/test_cleanup_checks.c — header_checks and body_checks in
 * cleanup (cleanup/cleanup_checks.c).  The pure helpers (action parsing,
 * the REJECT reply, the log line) are table-driven; the actions are run for
 * real: a pcre: table under /tmp, cleanup_checks_init(), then a message
 * through cleanup_begin/cleanup_content/cleanup_finish into a queue
 * directory, and the queue file (incoming/ or hold/) read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <cmocka.h>
#include <bsd/string.h>

#include "../../cleanup/cleanup.h"
#include "ipc_names.h"
#include "mail_params.h"
#include "qfile.h"
#include "test_util.h"

static char qdir[] = "/tmp/test_cleanup_checks.XXXXXX";
static char hpath[600], bpath[600];
static char hspec[620], bspec[620];

static const char header_table[] =
    "/^Subject: reject me/ REJECT go away\n"
    "/^Subject: defer me/ REJECT 4.7.1 later\n"
    "/^Subject: plain reject/ REJECT\n"
    "/^Subject: discard/ DISCARD\n"
    "/^Subject: hold/ HOLD held for review\n"
    "/^Subject: warn/ WARN looked at\n"
    "/^X-Secret:/ IGNORE\n"
    "/^Subject: old(.*)/ REPLACE Subject: new$1\n"
    "/^Subject: tagme/ PREPEND X-Tag: yes\n"
    "/^Subject: filter/ FILTER smtp:[127.0.0.1]:10025\n"
    "/^Subject: redirect/ REDIRECT boss@example.org\n"
    "/^Subject: folded\\n\\tline/ REJECT folded\n"
    "/^Subject: bogus/ FROB\n"
    "/^Content-Type: application\\/x-evil/ REJECT evil type\n";

static const char body_table[] =
    "/^bad body line$/ REJECT no thanks\n"
    "/^drop this$/ IGNORE\n"
    "/^swap (.*)$/ REPLACE swapped $1\n";

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
setup(void **state)
{
	(void)state;
	if (test_queue_make(qdir) < 0)
		return -1;
	snprintf(hpath, sizeof(hpath), "%s/header_checks", qdir);
	snprintf(bpath, sizeof(bpath), "%s/body_checks", qdir);
	snprintf(hspec, sizeof(hspec), "pcre:%s", hpath);
	snprintf(bspec, sizeof(bspec), "pcre:%s", bpath);
	write_file(hpath, header_table);
	write_file(bpath, body_table);
	var_queue_dir = qdir;
	var_myorigin = "origin.test";
	var_myhostname = "host.test";
	var_header_size_limit = 4096;
	var_message_size_limit = 1000000;
	var_cleanup_rcpt_limit = 100;
	var_hopcount_limit = 50;
	var_always_add_missing_headers = 0;
	var_header_checks = hspec;
	var_mime_header_checks = hspec;
	var_nested_header_checks = hspec;
	var_body_checks = bspec;
	cleanup_checks_init();
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	var_header_checks = var_mime_header_checks = var_nested_header_checks =
	    var_body_checks = "";
	cleanup_checks_init();	/* closes the tables */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", qdir);
	return system(cmd) == 0 ? 0 : -1;
}

struct result {
	int	status;
	char	id[QFILE_ID_LEN + 1];
	char	reason[256];
	char	rcpts[1024];		/* pending recipients, '|'-joined */
	char	dir[32];		/* where the file was found */
	char	filter[256];
	char	content[8192];
};

static void
run_message(const char *content, size_t split, struct result *res)
{
	static const char *const dirs[] = { QDIR_INCOMING, QDIR_HOLD, NULL };
	struct cleanup_state st;
	struct ipc_msg *m = ipc_msg_new();
	struct strbuf why, reason, chunk;
	struct qfile_env *env = NULL;
	char path[700];
	const char *v;
	size_t i, n = strlen(content), off;
	off_t coff;
	int fd = -1;

	memset(res, 0, sizeof(*res));
	strbuf_init(&why, 1024);
	strbuf_init(&reason, 1024);
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_BEGIN);
	ipc_put_int(m, IPC_ATTR_FLAGS, 0);
	ipc_put_str(m, IPC_ATTR_SENDER, "a@example.org");
	ipc_put_str(m, IPC_ATTR_CLIENT_ADDR, "127.0.0.1");
	ipc_put_str(m, IPC_ATTR_HELO, "client.test");
	ipc_put_str(m, IPC_ATTR_PROTOCOL, "ESMTP");
	cleanup_state_init(&st);
	assert_int_equal(cleanup_begin(&st, m, &why), 0);
	cleanup_add_rcpt(&st, "c@example.org", NULL, 0, 0);
	cleanup_add_rcpt(&st, "d@example.org", NULL, 0, 0);
	for (off = 0; off < n; off += split ? split : n)
		cleanup_content(&st, content + off,
		    split && n - off > split ? split : n - off);
	res->status = cleanup_finish(&st, res->id, &reason);
	strlcpy(res->reason, reason.data, sizeof(res->reason));
	cleanup_state_free(&st);
	ipc_msg_free(m);
	if (res->status == 0) {
		for (i = 0; dirs[i] != NULL; i++) {
			qfile_path(path, sizeof(path), qdir, dirs[i], res->id);
			if ((fd = open(path, O_RDONLY)) >= 0)
				break;
		}
		if (fd < 0)
			goto done;	/* discarded */
		strlcpy(res->dir, dirs[i], sizeof(res->dir));
		assert_int_equal(qfile_read_envelope(fd, &env, &why), 0);
		for (i = 0; i < env->nrcpt; i++) {
			if (env->rcpts[i].status != QF_RCPT_PENDING)
				continue;
			if (res->rcpts[0])
				strlcat(res->rcpts, "|", sizeof(res->rcpts));
			strlcat(res->rcpts, env->rcpts[i].addr, sizeof(res->rcpts));
		}
		if ((v = qfile_env_attr(env, "filter")) != NULL)
			strlcpy(res->filter, v, sizeof(res->filter));
		coff = env->content_off;
		strbuf_init(&chunk, STRBUF_NOLIMIT);
		while (qfile_read_content(fd, &coff, &chunk, &why) == 1)
			strlcat(res->content, chunk.data, sizeof(res->content));
		strbuf_release(&chunk);
		qfile_env_free(env);
		close(fd);
		unlink(path);
	}
done:
	strbuf_release(&why);
	strbuf_release(&reason);
}

/* ---- pure helpers ---- */

static void
test_act_parse(void **state)
{
	static const struct {
		const char *value;
		enum cleanup_act act;
		const char *text;
	} cases[] = {
		{ "REJECT", CACT_REJECT, "" },
		{ "reject  some text", CACT_REJECT, "some text" },
		{ "DISCARD", CACT_DISCARD, "" },
		{ "HOLD why", CACT_HOLD, "why" },
		{ "WARN", CACT_WARN, "" },
		{ "INFO x", CACT_INFO, "x" },
		{ "IGNORE", CACT_IGNORE, "" },
		{ "REPLACE X-A: b", CACT_REPLACE, "X-A: b" },
		{ "REPLACE", CACT_BAD, NULL },
		{ "PREPEND X-B: c", CACT_PREPEND, "X-B: c" },
		{ "PREPEND ", CACT_BAD, NULL },
		{ "FILTER smtp:host", CACT_FILTER, "smtp:host" },
		{ "FILTER nocolon", CACT_BAD, NULL },
		{ "REDIRECT a@b", CACT_REDIRECT, "a@b" },
		{ "REDIRECT nobody", CACT_BAD, NULL },
		{ "DUNNO", CACT_DUNNO, "" },
		{ "OK", CACT_DUNNO, "" },
		{ "REJECTED", CACT_BAD, NULL },
		{ "", CACT_BAD, NULL },
	};
	const char *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cleanup_act_parse(cases[i].value, &text) != cases[i].act)
			fail_msg("case %zu (%s): wrong action", i, cases[i].value);
		if (cases[i].text != NULL)
			assert_string_equal(text, cases[i].text);
	}
}

static void
test_reject_reply(void **state)
{
	static const struct {
		const char *text;
		int status;
		const char *reason;
	} cases[] = {
		{ "", 550, "5.7.1 message content rejected" },
		{ "go away", 550, "5.7.1 go away" },
		{ "5.7.0 policy", 550, "5.7.0 policy" },
		{ "4.7.1 try later", 450, "4.7.1 try later" },
		{ "4.7 short", 550, "5.7.1 4.7 short" },
		{ "5.1.1x no", 550, "5.7.1 5.1.1x no" },
	};
	struct strbuf r;
	size_t i;
	int status;

	(void)state;
	strbuf_init(&r, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cleanup_reject_reply(cases[i].text, &status, &r), 0);
		assert_int_equal(status, cases[i].status);
		assert_string_equal(r.data, cases[i].reason);
	}
	strbuf_release(&r);
}

static void
test_logline(void **state)
{
	struct strbuf out;
	const char *h = "Subject: buy\n\tnow";

	(void)state;
	strbuf_init(&out, 2048);
	assert_int_equal(cleanup_checks_logline(&out, "ABC", "reject", "header",
	    h, strlen(h), "unknown[127.0.0.1]", "a@b", "c@d", "ESMTP", "x",
	    "5.7.1 spam"), 0);
	assert_string_equal(out.data, "ABC: reject: header Subject: buy  now from "
	    "unknown[127.0.0.1]; from=<a@b> to=<c@d> proto=ESMTP helo=<x>: "
	    "5.7.1 spam");
	assert_int_equal(cleanup_checks_logline(&out, "ABC", "warning", "body",
	    "x", 1, NULL, NULL, NULL, NULL, NULL, ""), 0);
	assert_string_equal(out.data, "ABC: warning: body x from local; from=<> "
	    "to=<> proto=local helo=<>");
	strbuf_release(&out);
}

/* ---- actions, for real ---- */

static void
test_reject(void **state)
{
	struct result r;

	(void)state;
	run_message("Subject: reject me now\n\nbody\n", 0, &r);
	assert_int_equal(r.status, 550);
	assert_string_equal(r.reason, "5.7.1 go away");
	run_message("Subject: defer me\n\nbody\n", 0, &r);
	assert_int_equal(r.status, 450);
	assert_string_equal(r.reason, "4.7.1 later");
	run_message("Subject: plain reject\n\nbody\n", 0, &r);
	assert_int_equal(r.status, 550);
	assert_string_equal(r.reason, "5.7.1 message content rejected");
	/* the logical header, folded, with its newline */
	run_message("Subject: folded\n\tline\n\nbody\n", 0, &r);
	assert_int_equal(r.status, 550);
	/* MIME headers go to mime_header_checks (= $header_checks here) */
	run_message("Content-Type: application/x-evil\n\nbody\n", 0, &r);
	assert_int_equal(r.status, 550);
	assert_string_equal(r.reason, "5.7.1 evil type");
	/* body_checks, in any split */
	run_message("Subject: x\n\nfirst\nbad body line\nlast\n", 3, &r);
	assert_int_equal(r.status, 550);
	assert_string_equal(r.reason, "5.7.1 no thanks");
}

static void
test_discard_hold(void **state)
{
	struct result r;

	(void)state;
	run_message("Subject: discard\n\nbody\n", 0, &r);
	assert_int_equal(r.status, 0);
	assert_true(qfile_id_valid(r.id));
	assert_string_equal(r.dir, "");		/* nothing queued */
	run_message("Subject: hold\n\nbody\n", 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.dir, QDIR_HOLD);
	run_message("Subject: warn\n\nbody\n", 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.dir, QDIR_INCOMING);
	assert_string_equal(r.content, "Subject: warn\n\nbody\n");
}

static void
test_edit(void **state)
{
	struct result r;
	size_t split;

	(void)state;
	for (split = 0; split < 8; split += 7) {
		run_message("X-Secret: 1\nSubject: old stuff\nX-Other: 2\n\n"
		    "keep\ndrop this\nswap me\nno newline", split, &r);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.content, "Subject: new stuff\nX-Other: 2\n\n"
		    "keep\nswapped me\nno newline\n");
	}
	run_message("Subject: tagme\n\nb\n", 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.content, "X-Tag: yes\nSubject: tagme\n\nb\n");
	/* an unknown action is logged and ignored */
	run_message("Subject: bogus\n\nb\n", 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.content, "Subject: bogus\n\nb\n");
}

static void
test_filter_redirect(void **state)
{
	struct result r;

	(void)state;
	run_message("Subject: filter\n\nb\n", 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.filter, "smtp:[127.0.0.1]:10025");
	assert_string_equal(r.rcpts, "c@example.org|d@example.org");
	run_message("Subject: redirect\n\nb\n", 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.rcpts, "boss@example.org");
}

static void
test_broken_table(void **state)
{
	struct result r;

	(void)state;
	/* A table that does not compile defers every message: 4xx, never
	 * accepted unchecked. */
	write_file(hpath, "/ok/ WARN\n/(/ REJECT\n");
	cleanup_checks_init();
	run_message("Subject: anything\n\nb\n", 0, &r);
	if (r.status != 451)
		fail_msg("status %d (%s)", r.status, r.reason);
	assert_string_equal(r.reason, "4.3.0 Error: content check table unavailable");
	write_file(hpath, header_table);
	cleanup_checks_init();
	run_message("Subject: anything\n\nb\n", 0, &r);
	assert_int_equal(r.status, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_act_parse),
		cmocka_unit_test(test_reject_reply),
		cmocka_unit_test(test_logline),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_discard_hold),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_filter_redirect),
		cmocka_unit_test(test_broken_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
