/*
 * tests/unit/test_cleanup_rewrite.c — address rewriting in cleanup
 * (cleanup/cleanup_rewrite.c): canonical maps (sender, recipient, common;
 * @domain, bare user for local domains, extension propagation),
 * masquerade_domains with exceptions and `!`, virtual alias expansion
 * (one-to-many, recursive, self-reference, loop and expansion limits),
 * table failures (MAP_RETRY) as temporary errors, and whole messages
 * through cleanup_begin/cleanup_content/cleanup_finish into a queue
 * directory under /tmp.  texthash: tables are written under /tmp.
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

static char qdir[] = "/tmp/test_cleanup_rewrite.XXXXXX";
static char scanon[700], rcanon[700], canon[700], virt[700];
static char broken[] = "hash:/nonexistent/test_cleanup_rewrite/table";

static void
write_table(char *spec, size_t size, const char *name, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", qdir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	snprintf(spec, size, "texthash:%s", path);
}

/* Defaults of every rewriting parameter, then open the tables. */
static void
reset_params(void)
{
	var_sender_canonical_maps = scanon;
	var_recipient_canonical_maps = rcanon;
	var_canonical_maps = canon;
	var_virtual_alias_maps = virt;
	var_virtual_alias_domains = virt;
	var_canonical_classes = "envelope_sender, envelope_recipient, "
	    "header_sender, header_recipient";
	var_propagate_unmatched_extensions = "canonical, virtual";
	var_masquerade_domains = "!keep.example.com, example.com";
	var_masquerade_exceptions = "root";
	var_masquerade_classes = "envelope_sender, header_sender, header_recipient";
	var_virtual_alias_expansion_limit = 1000;
	var_virtual_alias_recursion_limit = 1000;
	cleanup_rewrite_init();
}

static int
setup(void **state)
{
	(void)state;
	if (test_queue_make(qdir) < 0)
		return -1;
	write_table(scanon, sizeof(scanon), "sender_canonical",
	    "alice@old.test   alice@new.test\n"
	    "@olddom.test     @newdom.test\n");
	write_table(rcanon, sizeof(rcanon), "recipient_canonical",
	    "carol@r.test     caroline@r.test\n");
	write_table(canon, sizeof(canon), "canonical",
	    "alice@new.test   a.smith@new.test\n"
	    "bob              robert@origin.test\n"
	    "joe@ext.test     joseph@ext.test\n");
	write_table(virt, sizeof(virt), "virtual",
	    "example.com        anything\n"
	    "info@example.com   alice, bob\n"
	    "team@example.com   info@example.com, carol@other.test\n"
	    "self@example.com   self@example.com, dave\n"
	    "loop1@example.com  loop2@example.com\n"
	    "loop2@example.com  loop1@example.com\n"
	    "@alias.test        @real.test\n");
	var_queue_dir = qdir;
	var_myorigin = "origin.test";
	var_myhostname = "host.origin.test";
	var_mydestination = "origin.test, localhost";
	var_recipient_delimiter = "+";
	var_header_size_limit = 4096;
	var_message_size_limit = 1000000;
	var_cleanup_rcpt_limit = 100;
	var_hopcount_limit = 50;
	var_always_add_missing_headers = 0;
	reset_params();
	return 0;
}

static int
teardown(void **state)
{
	char cmd[256];

	(void)state;
	var_sender_canonical_maps = var_recipient_canonical_maps =
	    var_canonical_maps = var_virtual_alias_maps =
	    var_virtual_alias_domains = "";
	cleanup_rewrite_init();		/* closes the tables */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", qdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_canonical(void **state)
{
	static const struct {
		int	which;
		const char *in, *want;
	} cases[] = {
		/* sender_canonical, then canonical on its result */
		{ CLEANUP_RW_SENDER, "alice@old.test", "a.smith@new.test" },
		{ CLEANUP_RW_RCPT, "alice@old.test", "alice@old.test" },
		{ CLEANUP_RW_RCPT, "alice@new.test", "a.smith@new.test" },
		/* @domain keeps the user and its extension */
		{ CLEANUP_RW_SENDER, "x@olddom.test", "x@newdom.test" },
		{ CLEANUP_RW_SENDER, "x+tag@olddom.test", "x+tag@newdom.test" },
		{ CLEANUP_RW_SENDER, "X@OLDDOM.TEST", "X@newdom.test" },
		/* bare user keys: local domains only */
		{ CLEANUP_RW_RCPT, "bob@origin.test", "robert@origin.test" },
		{ CLEANUP_RW_RCPT, "bob@localhost", "robert@origin.test" },
		{ CLEANUP_RW_RCPT, "bob@elsewhere.test", "bob@elsewhere.test" },
		/* unmatched extensions are propagated */
		{ CLEANUP_RW_RCPT, "bob+x@origin.test", "robert+x@origin.test" },
		{ CLEANUP_RW_RCPT, "joe+y@ext.test", "joseph+y@ext.test" },
		/* recipient_canonical is for recipients only */
		{ CLEANUP_RW_RCPT, "carol@r.test", "caroline@r.test" },
		{ CLEANUP_RW_SENDER, "carol@r.test", "carol@r.test" },
		{ CLEANUP_RW_SENDER, "", "" },
	};
	struct strbuf out, why;
	size_t i;

	(void)state;
	strbuf_init(&out, 1024);
	strbuf_init(&why, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cleanup_canonical(cases[i].in, cases[i].which,
		    &out, &why), 0);
		if (strcmp(out.data, cases[i].want) != 0)
			fail_msg("case %zu %s: got <%s> want <%s>", i, cases[i].in,
			    out.data, cases[i].want);
	}
	/* Without propagation the extension is dropped. */
	var_propagate_unmatched_extensions = "virtual";
	assert_int_equal(cleanup_canonical("joe+y@ext.test", CLEANUP_RW_RCPT,
	    &out, &why), 0);
	assert_string_equal(out.data, "joseph@ext.test");
	reset_params();
	strbuf_release(&out);
	strbuf_release(&why);
}

static void
test_masquerade(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "user@host.example.com", "user@example.com" },
		{ "user@a.b.example.com", "user@example.com" },
		{ "user@HOST.Example.COM", "user@example.com" },
		{ "root@host.example.com", "root@host.example.com" },
		{ "user@keep.example.com", "user@keep.example.com" },
		{ "user@example.com", "user@example.com" },
		{ "user@notexample.com", "user@notexample.com" },
		{ "user", "user" },
	};
	struct strbuf out;
	size_t i;

	(void)state;
	strbuf_init(&out, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cleanup_masquerade(cases[i].in, &out), 0);
		if (strcmp(out.data, cases[i].want) != 0)
			fail_msg("case %zu %s: got <%s> want <%s>", i, cases[i].in,
			    out.data, cases[i].want);
	}
	strbuf_release(&out);
}

/* Expand and join the result with '|'; returns the function's result. */
static int
expand(const char *addr, char *buf, size_t size, size_t *unknown)
{
	struct strbuf why;
	char **out = NULL;
	size_t n = 0, i;
	int rc;

	strbuf_init(&why, 1024);
	*unknown = 0;
	rc = cleanup_virtual_expand(addr, &out, &n, unknown, &why);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			strlcat(buf, "|", size);
		strlcat(buf, out[i], size);
		free(out[i]);
	}
	free(out);
	if (rc < 0)
		assert_true(why.len > 0);
	strbuf_release(&why);
	return rc;
}

static void
test_virtual(void **state)
{
	static const struct {
		const char *in, *want;
		size_t	unknown;
	} cases[] = {
		{ "info@example.com", "alice@origin.test|bob@origin.test", 0 },
		{ "INFO@Example.com", "alice@origin.test|bob@origin.test", 0 },
		{ "team@example.com",
		    "alice@origin.test|bob@origin.test|carol@other.test", 0 },
		{ "self@example.com", "self@example.com|dave@origin.test", 0 },
		{ "info+tag@example.com",
		    "alice+tag@origin.test|bob+tag@origin.test", 0 },
		{ "u+t@alias.test", "u+t@real.test", 0 },
		{ "x@other.test", "x@other.test", 0 },
		{ "nobody@example.com", "", 1 },
	};
	char buf[1024];
	size_t i, unknown;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(expand(cases[i].in, buf, sizeof(buf), &unknown), 0);
		if (strcmp(buf, cases[i].want) != 0 || unknown != cases[i].unknown)
			fail_msg("case %zu %s: got <%s> (%zu unknown) want <%s>", i,
			    cases[i].in, buf, unknown, cases[i].want);
	}
}

static void
test_virtual_limits(void **state)
{
	char buf[1024];
	size_t unknown;

	(void)state;
	/* A loop ends at the recursion limit: a temporary failure. */
	var_virtual_alias_recursion_limit = 20;
	assert_int_equal(expand("loop1@example.com", buf, sizeof(buf), &unknown), -1);
	/* team expands to 2, then info to 2 more: over a limit of 3. */
	var_virtual_alias_recursion_limit = 1000;
	var_virtual_alias_expansion_limit = 3;
	assert_int_equal(expand("team@example.com", buf, sizeof(buf), &unknown), -1);
	assert_int_equal(expand("info@example.com", buf, sizeof(buf), &unknown), 0);
	reset_params();
}

static void
test_retry(void **state)
{
	struct strbuf out, why;
	char buf[1024];
	size_t unknown;

	(void)state;
	strbuf_init(&out, 1024);
	strbuf_init(&why, 1024);
	var_canonical_maps = broken;
	cleanup_rewrite_init();
	assert_int_equal(cleanup_canonical("x@y.test", CLEANUP_RW_RCPT, &out,
	    &why), -1);
	assert_true(why.len > 0);
	reset_params();
	var_virtual_alias_maps = broken;
	cleanup_rewrite_init();
	assert_int_equal(expand("x@y.test", buf, sizeof(buf), &unknown), -1);
	reset_params();
	var_virtual_alias_domains = broken;
	cleanup_rewrite_init();
	/* every address not in the maps needs the domain list */
	assert_int_equal(expand("x@y.test", buf, sizeof(buf), &unknown), -1);
	assert_int_equal(expand("info@example.com", buf, sizeof(buf), &unknown), -1);
	reset_params();
	strbuf_release(&out);
	strbuf_release(&why);
}

struct result {
	int	status;
	char	reason[256];
	char	sender[256];
	char	rcpts[1024];
	char	content[8192];
};

static void
run_message(const char *sender, const char *const *rcpts,
    const char *content, struct result *res)
{
	struct cleanup_state st;
	struct ipc_msg *m = ipc_msg_new();
	struct strbuf why, reason, chunk;
	struct qfile_env *env = NULL;
	char id[QFILE_ID_LEN + 1], path[700];
	size_t i;
	off_t coff;
	int fd;

	memset(res, 0, sizeof(*res));
	strbuf_init(&why, 1024);
	strbuf_init(&reason, 1024);
	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_BEGIN);
	ipc_put_int(m, IPC_ATTR_FLAGS, 0);
	ipc_put_str(m, IPC_ATTR_SENDER, sender);
	cleanup_state_init(&st);
	assert_int_equal(cleanup_begin(&st, m, &why), 0);
	for (i = 0; rcpts[i] != NULL; i++)
		cleanup_add_rcpt(&st, rcpts[i], NULL, 0, 0);
	cleanup_content(&st, content, strlen(content));
	res->status = cleanup_finish(&st, id, &reason);
	strlcpy(res->reason, reason.data, sizeof(res->reason));
	cleanup_state_free(&st);
	ipc_msg_free(m);
	if (res->status == 0) {
		qfile_path(path, sizeof(path), qdir, QDIR_INCOMING, id);
		assert_true((fd = open(path, O_RDONLY)) >= 0);
		assert_int_equal(qfile_read_envelope(fd, &env, &why), 0);
		strlcpy(res->sender, env->sender, sizeof(res->sender));
		for (i = 0; i < env->nrcpt; i++) {
			if (res->rcpts[0])
				strlcat(res->rcpts, "|", sizeof(res->rcpts));
			strlcat(res->rcpts, env->rcpts[i].addr, sizeof(res->rcpts));
		}
		coff = env->content_off;
		strbuf_init(&chunk, STRBUF_NOLIMIT);
		while (qfile_read_content(fd, &coff, &chunk, &why) == 1)
			strlcat(res->content, chunk.data, sizeof(res->content));
		strbuf_release(&chunk);
		qfile_env_free(env);
		close(fd);
		unlink(path);
	}
	strbuf_release(&why);
	strbuf_release(&reason);
}

static void
test_message(void **state)
{
	static const char *const rcpts[] = { "info@example.com",
	    "nobody@example.com", "bob@origin.test", "alice@origin.test", NULL };
	static const char *const unknown[] = { "nobody@example.com", NULL };
	struct result res;

	(void)state;
	run_message("alice@old.test", rcpts,
	    "From: Alice Smith <alice@old.test>\n"
	    "Reply-To: \"Root\" <root@host.example.com>, u@host.example.com\n"
	    "To: info@example.com, Carol <carol@r.test>\n"
	    "Cc: bob\n"
	    "Subject: about alice@old.test\n"
	    "\n"
	    "body alice@old.test\n", &res);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.sender, "a.smith@new.test");
	/* virtual expansion, unknown dropped, duplicates once */
	assert_string_equal(res.rcpts,
	    "alice@origin.test|bob@origin.test|robert@origin.test");
	assert_non_null(strstr(res.content,
	    "From: Alice Smith <a.smith@new.test>\n"));
	assert_non_null(strstr(res.content,
	    "Reply-To: \"Root\" <root@host.example.com>, u@example.com\n"));
	/* header recipients: canonical, not virtual (as Postfix) */
	assert_non_null(strstr(res.content,
	    "To: info@example.com, Carol <caroline@r.test>\n"));
	assert_non_null(strstr(res.content, "Cc: robert@origin.test\n"));
	assert_non_null(strstr(res.content, "Subject: about alice@old.test\n"));
	assert_non_null(strstr(res.content, "body alice@old.test\n"));

	/* every recipient unknown in a virtual alias domain: 550 */
	run_message("x@y.test", unknown, "Subject: x\n\nx\n", &res);
	assert_int_equal(res.status, 550);
	assert_non_null(strstr(res.reason, "5.1.1"));

	/* a table that fails: 451, nothing queued */
	var_recipient_canonical_maps = broken;
	cleanup_rewrite_init();
	run_message("x@y.test", rcpts, "Subject: x\n\nx\n", &res);
	assert_int_equal(res.status, 451);
	assert_non_null(strstr(res.reason, "4.3.0"));
	reset_params();
	var_sender_canonical_maps = broken;
	cleanup_rewrite_init();
	run_message("x@y.test", unknown, "Subject: x\n\nx\n", &res);
	assert_int_equal(res.status, 451);
	reset_params();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_masquerade),
		cmocka_unit_test(test_virtual),
		cmocka_unit_test(test_virtual_limits),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_message),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
