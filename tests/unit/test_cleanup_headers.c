/*
 * tests/unit/test_cleanup_headers.c — cleanup's envelope and header
 * handling, run for real: each case builds a message through
 * cleanup_begin/cleanup_add_rcpt/cleanup_content/cleanup_finish into a
 * queue directory under /tmp and reads the queue file back (recipients,
 * content).  Covers: missing From/Date/Message-ID for local mail only,
 * Return-Path and Bcc removal, -t extraction (with Resent- fields and
 * duplicates), @$myorigin, a header block longer than header_size_limit,
 * hop count, size limit, no recipients, the missing final newline.  Also
 * the pure formatting helpers.
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

static char qdir[] = "/tmp/test_cleanup.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	if (test_queue_make(qdir) < 0)
		return -1;
	var_queue_dir = qdir;
	var_myorigin = "origin.test";
	var_myhostname = "host.test";
	var_header_size_limit = 1024;
	var_message_size_limit = 100000;
	var_cleanup_rcpt_limit = 100;
	var_hopcount_limit = 3;
	var_always_add_missing_headers = 0;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", qdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The outcome of one message. */
struct result {
	int	status;
	char	reason[256];
	char	rcpts[1024];		/* '|'-joined */
	char	sender[256];
	struct strbuf content;
};

static void
run_message(int flags, const char *sender, const char *const *rcpts,
    const char *content, size_t split, struct result *res)
{
	struct cleanup_state st;
	struct ipc_msg *m = ipc_msg_new();
	struct strbuf why, reason;
	struct qfile_env *env = NULL;
	char id[QFILE_ID_LEN + 1], path[512];
	size_t i, n = strlen(content), off;
	off_t coff;
	int fd;

	memset(res, 0, sizeof(*res));
	strbuf_init(&res->content, 1 << 20);
	strbuf_init(&why, 1024);
	strbuf_init(&reason, 1024);
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_BEGIN);
	ipc_put_int(m, IPC_ATTR_FLAGS, flags);
	ipc_put_str(m, IPC_ATTR_SENDER, sender);
	ipc_put_str(m, "uid", "1000");
	cleanup_state_init(&st);
	assert_int_equal(cleanup_begin(&st, m, &why), 0);
	for (i = 0; rcpts != NULL && rcpts[i] != NULL; i++)
		cleanup_add_rcpt(&st, rcpts[i], NULL, 0, 0);
	/* Feed in pieces of `split` bytes (0 = all at once). */
	for (off = 0; off < n; off += split ? split : n)
		cleanup_content(&st, content + off,
		    split && n - off > split ? split : n - off);
	res->status = cleanup_finish(&st, id, &reason);
	strlcpy(res->reason, reason.data, sizeof(res->reason));
	cleanup_state_free(&st);
	ipc_msg_free(m);
	if (res->status == 0) {
		qfile_path(path, sizeof(path), qdir, QDIR_INCOMING, id);
		fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(qfile_read_envelope(fd, &env, &why), 0);
		strlcpy(res->sender, env->sender, sizeof(res->sender));
		for (i = 0; i < env->nrcpt; i++) {
			if (i > 0)
				strlcat(res->rcpts, "|", sizeof(res->rcpts));
			strlcat(res->rcpts, env->rcpts[i].addr, sizeof(res->rcpts));
		}
		coff = env->content_off;
		{
			struct strbuf chunk;

			strbuf_init(&chunk, STRBUF_NOLIMIT);
			while (qfile_read_content(fd, &coff, &chunk, &why) == 1)
				strbuf_append(&res->content, chunk.data, chunk.len);
			strbuf_release(&chunk);
		}
		qfile_env_free(env);
		close(fd);
		unlink(path);
	} else
		strbuf_release(&res->content);	/* callers release only on success */
	strbuf_release(&why);
	strbuf_release(&reason);
}

static int
has_header(const struct result *r, const char *prefix)
{
	const char *p = r->content.data;

	/* Only the header block: up to the first empty line. */
	while (*p != '\0' && *p != '\n') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return 1;
		p = strchr(p, '\n');
		if (p == NULL)
			return 0;
		p++;
	}
	return 0;
}

static void
test_local_adds_headers(void **state)
{
	static const char *const rcpts[] = { "bob", NULL };
	struct result r;

	(void)state;
	run_message(CLEANUP_F_LOCAL, "alice", rcpts,
	    "Subject: hi\nReturn-Path: <evil@x>\n\nbody", 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.sender, "alice@origin.test");
	assert_string_equal(r.rcpts, "bob@origin.test");
	assert_true(has_header(&r, "Received: by host.test (tegami, from userid 1000);"));
	assert_true(has_header(&r, "From: alice@origin.test\n"));
	assert_true(has_header(&r, "Date: "));
	assert_true(has_header(&r, "Message-ID: <"));
	assert_false(has_header(&r, "Return-Path:"));
	/* The body gets its missing newline. */
	assert_non_null(strstr(r.content.data, "\n\nbody\n"));
	assert_int_equal(r.content.data[r.content.len - 1], '\n');
	strbuf_release(&r.content);
}

static void
test_remote_keeps_headers(void **state)
{
	static const char *const rcpts[] = { "bob@example.org", NULL };
	const char *msg = "Subject: hi\nFrom: a@example.org\n\nbody\n";
	struct result r;

	(void)state;
	run_message(0, "a@example.org", rcpts, msg, 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.content.data, msg);
	strbuf_release(&r.content);
}

static void
test_extract(void **state)
{
	static const char *const rcpts[] = { "cmdline@example.org", NULL };
	const char *msg = "To: Ann <ann@example.org>, bob\n"
	    "Cc: \"Smith, C\" <c@example.org>, cmdline@example.org\n"
	    "Bcc: hidden@example.org\n"
	    "Subject: t\n\nbody\n";
	struct result r;
	size_t split;

	(void)state;
	for (split = 0; split < 8; split += 7) {	/* whole, and 7-byte pieces */
		run_message(CLEANUP_F_LOCAL | CLEANUP_F_EXTRACT, "me", rcpts, msg,
		    split, &r);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.rcpts, "cmdline@example.org|ann@example.org|"
		    "bob@origin.test|c@example.org|hidden@example.org");
		assert_false(has_header(&r, "Bcc:"));
		assert_true(has_header(&r, "To: Ann <ann@example.org>, bob\n"));
		strbuf_release(&r.content);
	}
}

static void
test_extract_resent(void **state)
{
	const char *msg = "To: old@example.org\nResent-To: new@example.org\n"
	    "Resent-Bcc: secret@example.org\n\nbody\n";
	struct result r;

	(void)state;
	run_message(CLEANUP_F_EXTRACT, "me@example.org", NULL, msg, 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.rcpts, "new@example.org|secret@example.org");
	assert_false(has_header(&r, "Resent-Bcc:"));
	strbuf_release(&r.content);
}

static void
test_no_recipients(void **state)
{
	struct result r;

	(void)state;
	run_message(CLEANUP_F_EXTRACT, "me", NULL, "Subject: none\n\nx\n", 0, &r);
	assert_int_equal(r.status, 554);
	assert_string_equal(r.reason, "5.5.1 Error: no recipients specified");
}

static void
test_bad_addresses(void **state)
{
	static const char *const bad_rcpt[] = { "a@@b", NULL };
	static const char *const ok_rcpt[] = { "a@b.example", NULL };
	struct result r;

	(void)state;
	run_message(0, "x@y.example", bad_rcpt, "x\n", 0, &r);
	assert_int_equal(r.status, 554);
	assert_string_equal(r.reason, "5.1.3 Error: bad recipient address syntax");
	run_message(0, "x@@y", ok_rcpt, "x\n", 0, &r);
	assert_int_equal(r.status, 554);
	assert_string_equal(r.reason, "5.1.7 Error: bad sender address syntax");
}

static void
test_hops_and_size(void **state)
{
	static const char *const rcpts[] = { "a@b.example", NULL };
	struct strbuf big;
	struct result r;

	(void)state;
	run_message(0, "", rcpts, "Received: 1\nReceived: 2\nReceived: 3\n"
	    "Received: 4\n\nloop\n", 0, &r);
	assert_int_equal(r.status, 554);
	assert_string_equal(r.reason, "5.4.6 Error: too many hops");

	strbuf_init(&big, STRBUF_NOLIMIT);
	while (big.len <= (size_t)var_message_size_limit)
		strbuf_append_str(&big, "0123456789012345678901234567890123456789\n");
	run_message(0, "", rcpts, big.data, 4096, &r);
	assert_int_equal(r.status, 552);
	strbuf_release(&big);
}

static void
test_long_header_block(void **state)
{
	static const char *const rcpts[] = { "a@b.example", NULL };
	struct strbuf msg;
	struct result r;
	int i;

	(void)state;
	/* 40 fields of 40 bytes: more than header_size_limit (1024); the
	 * rest is kept as body, byte for byte, and Return-Path beyond the
	 * limit is not a header any more. */
	strbuf_init(&msg, STRBUF_NOLIMIT);
	for (i = 0; i < 40; i++)
		strbuf_printf(&msg, "X-Filler-%02d: %027d\n", i, i);
	strbuf_append_str(&msg, "Return-Path: <x@y>\n\nbody\n");
	run_message(0, "", rcpts, msg.data, 100, &r);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.content.data, "X-Filler-39"));
	assert_non_null(strstr(r.content.data, "Return-Path: <x@y>\n\nbody\n"));
	strbuf_release(&msg);
	strbuf_release(&r.content);
}

static void
test_non_header_first_line(void **state)
{
	static const char *const rcpts[] = { "a@b.example", NULL };
	struct result r;

	(void)state;
	run_message(CLEANUP_F_LOCAL, "me", rcpts, "hello world\n", 0, &r);
	assert_int_equal(r.status, 0);
	/* Added headers, then the separator, then the original text. */
	assert_non_null(strstr(r.content.data, ">\n\nhello world\n"));
	strbuf_release(&r.content);
}

static void
test_duplicates_and_limit(void **state)
{
	static const char *const dups[] = { "a@b.example", "A@B.EXAMPLE", "a", "a@b.example", NULL };
	struct result r;
	char **many;
	int i;

	(void)state;
	run_message(0, "", dups, "x\n", 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.rcpts, "a@b.example|A@b.example|a@origin.test");
	strbuf_release(&r.content);

	many = calloc(102, sizeof(char *));
	for (i = 0; i < 101; i++)
		assert_true(asprintf(&many[i], "u%d@b.example", i) > 0);
	run_message(0, "", (const char *const *)many, "x\n", 0, &r);
	assert_int_equal(r.status, 554);
	assert_string_equal(r.reason, "5.5.3 Error: too many recipients");
	for (i = 0; i < 101; i++)
		free(many[i]);
	free(many);
}

static void
test_formatters(void **state)
{
	struct strbuf sb;
	char date[64];

	(void)state;
	strbuf_init(&sb, 1024);
	assert_int_equal(cleanup_format_from(&sb, "u@h", NULL), 0);
	assert_string_equal(sb.data, "From: u@h");
	assert_int_equal(cleanup_format_from(&sb, "u@h", "A (B) \\C"), 0);
	assert_string_equal(sb.data, "From: u@h (A \\(B\\) \\\\C)");
	assert_int_equal(cleanup_format_from(&sb, "", "x"), 0);
	assert_string_equal(sb.data, "From: MAILER-DAEMON (x)");
	assert_int_equal(cleanup_format_msgid(&sb, 0, 42, 7, 3, "h.test"), 0);
	assert_string_equal(sb.data, "<19700101000000.000042.7.3@h.test>");
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(cleanup_format_date(86400 * 365, date, sizeof(date)), 0);
	assert_string_equal(date, "Fri, 01 Jan 1971 00:00:00 +0000");
	assert_int_equal(cleanup_qualify("u", "o.test", &sb), 0);
	assert_string_equal(sb.data, "u@o.test");
	assert_int_equal(cleanup_qualify("\"a@b\"", "o.test", &sb), 0);
	assert_string_equal(sb.data, "\"a@b\"@o.test");
	assert_int_equal(cleanup_qualify("u@d", "o.test", &sb), 0);
	assert_string_equal(sb.data, "u@d");
	strbuf_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_adds_headers),
		cmocka_unit_test(test_remote_keeps_headers),
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_extract_resent),
		cmocka_unit_test(test_no_recipients),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_hops_and_size),
		cmocka_unit_test(test_long_header_block),
		cmocka_unit_test(test_non_header_first_line),
		cmocka_unit_test(test_duplicates_and_limit),
		cmocka_unit_test(test_formatters),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
