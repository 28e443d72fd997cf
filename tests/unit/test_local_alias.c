/*
 * tests/unit/test_local_alias.c — the alias value parser (quotes, commas,
 * :include:, |"quoted command", \user), the expansion engine with fake
 * tables (recursion, self reference, loops, depth, owner- aliases,
 * extension fallback, restricted classes, broken tables defer, include
 * files) and the .forward / :include: permission checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../local-delivery/local.h"
#include "ipc_names.h"
#include "mail_params.h"

/* ---- parser ---- */

static void
test_parse_table(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		int kinds[4];
		const char *vals[4];
	} cases[] = {
		{ "alice, bob", 2, { LOCAL_A_ADDRESS, LOCAL_A_ADDRESS },
		    { "alice", "bob" } },
		{ " alice ,,bob@example.org\n carol", 3,
		    { LOCAL_A_ADDRESS, LOCAL_A_ADDRESS, LOCAL_A_ADDRESS },
		    { "alice", "bob@example.org", "carol" } },
		{ "/var/log/mail.copy", 1, { LOCAL_A_FILE }, { "/var/log/mail.copy" } },
		{ "\"|/bin/sh -c 'cat > /tmp/x, y'\", bob", 2,
		    { LOCAL_A_COMMAND, LOCAL_A_ADDRESS },
		    { "/bin/sh -c 'cat > /tmp/x, y'", "bob" } },
		{ "|\"/usr/bin/procmail -a x\"", 1, { LOCAL_A_COMMAND },
		    { "/usr/bin/procmail -a x" } },
		{ "|/usr/bin/vacation alice", 1, { LOCAL_A_COMMAND },
		    { "/usr/bin/vacation alice" } },
		{ ":include:/etc/mail/list, \\alice", 2,
		    { LOCAL_A_INCLUDE, LOCAL_A_MAILBOX }, { "/etc/mail/list", "alice" } },
		{ ":INCLUDE: /x", 1, { LOCAL_A_INCLUDE }, { "/x" } },
		{ "\"/a file\"", 1, { LOCAL_A_FILE }, { "/a file" } },
		{ "\"a\\\"b\"", 1, { LOCAL_A_ADDRESS }, { "a\"b" } },
		{ "", 0, { 0 }, { NULL } },
		{ " , ,", 0, { 0 }, { NULL } },
	};
	struct local_alias_list l;
	struct strbuf err;
	size_t i, j;

	(void)state;
	strbuf_init(&err, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (local_alias_parse(cases[i].in, strlen(cases[i].in), &l, &err) < 0)
			fail_msg("case %zu: %s", i, err.data);
		if (l.n != cases[i].n)
			fail_msg("case %zu: %zu members, want %zu", i, l.n, cases[i].n);
		for (j = 0; j < l.n; j++) {
			assert_int_equal(l.items[j].kind, cases[i].kinds[j]);
			assert_string_equal(l.items[j].value, cases[i].vals[j]);
		}
		local_alias_list_free(&l);
	}
	strbuf_release(&err);
}

static void
test_parse_errors(void **state)
{
	static const char *bad[] = {
		"\"alice", "|", ":include:", "a\001b", "\\",
	};
	struct local_alias_list l;
	struct strbuf err;
	size_t i;

	(void)state;
	strbuf_init(&err, 1024);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		if (local_alias_parse(bad[i], strlen(bad[i]), &l, &err) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_true(err.len > 0);
		assert_int_equal(l.n, 0);
	}
	/* A NUL inside the value is refused too. */
	assert_int_equal(local_alias_parse("a\0b", 3, &l, &err), -1);
	strbuf_release(&err);
}

/* ---- expansion with fake tables ---- */

static const char *const *fake_aliases;	/* key, value, key, value, ..., NULL */
static int fake_retry;
static const char *fake_forward_user, *fake_forward_value;
static const char *fake_include_value;
static uid_t fake_alias_uid;		/* owner of the fake alias table */
static gid_t fake_alias_gid;
static int include_calls;		/* how the last include was read */
static uid_t include_owner, include_uid;
static gid_t include_gid;

static enum map_result
fake_alias(void *ctx, const char *key, struct strbuf *value, uid_t *owner,
    gid_t *group, struct strbuf *why)
{
	size_t i;

	(void)ctx;
	if (fake_retry) {
		strbuf_set_str(why, "hash:/etc/aliases: corrupt database");
		return MAP_RETRY;
	}
	for (i = 0; fake_aliases[i]; i += 2)
		if (strcmp(fake_aliases[i], key) == 0) {
			strbuf_set_str(value, fake_aliases[i + 1]);
			*owner = fake_alias_uid;
			*group = fake_alias_gid;
			return MAP_FOUND;
		}
	return MAP_NOTFOUND;
}

static int
fake_forward(void *ctx, const char *user, struct strbuf *value, uid_t *uid,
    gid_t *gid, struct strbuf *why)
{
	(void)ctx;
	(void)why;
	if (fake_forward_user == NULL || strcmp(user, fake_forward_user) != 0)
		return 0;
	strbuf_set_str(value, fake_forward_value);
	*uid = 2000;
	*gid = 2000;
	return 1;
}

static int
fake_include(void *ctx, const char *path, uid_t owner, uid_t ruid, gid_t rgid,
    struct strbuf *value, uid_t *uid, gid_t *gid, struct strbuf *why)
{
	(void)ctx;
	include_calls++;
	include_owner = owner;
	include_uid = ruid;
	include_gid = rgid;
	if (fake_include_value == NULL) {
		strbuf_set_printf(why, ":include: %s: no such file", path);
		return -1;
	}
	strbuf_set_str(value, fake_include_value);
	*uid = 0;
	*gid = 0;
	return 0;
}

static int
fake_local_domain(const char *d)
{
	return strcmp(d, "localhost") == 0 || strcmp(d, "example.org") == 0;
}

static void
fake_ops(struct local_expand_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->alias = fake_alias;
	ops->forward = fake_forward;
	ops->include = fake_include;
	ops->is_local_domain = fake_local_domain;
	ops->default_uid = 65534;
	ops->default_gid = 65534;
	ops->allow_commands = LOCAL_CLASS_ALIAS | LOCAL_CLASS_FORWARD;
	ops->allow_files = LOCAL_CLASS_ALIAS | LOCAL_CLASS_FORWARD;
	ops->delim = "+";
	fake_retry = 0;
	fake_forward_user = NULL;
	fake_include_value = NULL;
	fake_alias_uid = 1000;
	fake_alias_gid = 1000;
	include_calls = 0;
	include_owner = include_uid = 12345;
	include_gid = 12345;
}

/* "M:alice F:/x C:cmd R:a@b" summary of the targets. */
static void
summary(const struct local_expansion *x, struct strbuf *out)
{
	static const char kinds[] = "MFCR";
	size_t i;

	strbuf_reset(out);
	for (i = 0; i < x->n; i++)
		strbuf_printf(out, "%s%c:%s", i ? " " : "", kinds[x->t[i].kind],
		    x->t[i].value);
}

static void
test_expand_fanout(void **state)
{
	static const char *const tab[] = {
		"team", "alice, bob, Carol@Example.org, /tmp/team.mbox, "
		    "\"|/bin/cat > /dev/null\", dave@remote.test",
		"carol", "carol, x@remote.test",
		"owner-team", "alice",
		NULL,
	};
	struct local_expand_ops ops;
	struct local_expansion x;
	struct local_result res;
	struct strbuf s;

	(void)state;
	fake_ops(&ops);
	fake_aliases = tab;
	local_result_init(&res);
	strbuf_init(&s, 4096);
	assert_int_equal(local_expand(&ops, NULL, "Team+x@localhost", &x, &res), 0);
	summary(&x, &s);
	assert_string_equal(s.data, "M:alice M:bob M:carol R:x@remote.test "
	    "F:/tmp/team.mbox C:/bin/cat > /dev/null R:dave@remote.test");
	/* Files and commands as the alias table owner. */
	assert_int_equal(x.t[4].uid, 1000);
	assert_int_equal(x.t[5].gid, 1000);
	assert_string_equal(x.owner, "owner-team@localhost");
	local_expansion_free(&x);
	strbuf_release(&s);
	local_result_release(&res);
}

static void
test_expand_loops(void **state)
{
	static const char *const tab[] = {
		"a", "b", "b", "a",
		"self", "self, other",
		"d1", "d2", "d2", "d3", "d3", "d4", "d4", "d5", "d5", "d6", "d6", "d7",
		"d7", "d8", "d8", "d9", "d9", "d10", "d10", "d11", "d11", "d12",
		"d12", "d13", "d13", "d14", "d14", "d15", "d15", "d16", "d16", "d17",
		"d17", "d18", "d18", "d19", "d19", "d20", "d20", "d21", "d21", "d22",
		"dup", "x, y, z", "x", "z", "y", "z",
		NULL,
	};
	struct local_expand_ops ops;
	struct local_expansion x;
	struct local_result res;
	struct strbuf s;

	(void)state;
	fake_ops(&ops);
	fake_aliases = tab;
	local_result_init(&res);
	strbuf_init(&s, 4096);
	assert_int_equal(local_expand(&ops, NULL, "a@localhost", &x, &res), -1);
	assert_int_equal(res.result, DELIVER_BOUNCE);
	assert_string_equal(res.dsn, "5.4.6");
	assert_non_null(strstr(res.text.data, "mail forwarding loop for a"));
	assert_int_equal(x.n, 0);

	assert_int_equal(local_expand(&ops, NULL, "self", &x, &res), 0);
	summary(&x, &s);
	assert_string_equal(s.data, "M:self M:other");
	local_expansion_free(&x);

	assert_int_equal(local_expand(&ops, NULL, "d1", &x, &res), -1);
	assert_string_equal(res.dsn, "5.4.6");

	/* Reached twice by different paths: one delivery, no loop. */
	assert_int_equal(local_expand(&ops, NULL, "dup", &x, &res), 0);
	summary(&x, &s);
	assert_string_equal(s.data, "M:z");
	local_expansion_free(&x);
	strbuf_release(&s);
	local_result_release(&res);
}

static void
test_expand_forward_and_classes(void **state)
{
	static const char *const tab[] = {
		"list", ":include:/etc/list",
		"rootfile", "/var/log/x",
		NULL,
	};
	struct local_expand_ops ops;
	struct local_expansion x;
	struct local_result res;
	struct strbuf s;

	(void)state;
	fake_ops(&ops);
	fake_aliases = tab;
	local_result_init(&res);
	strbuf_init(&s, 4096);

	/* .forward: \user is the mailbox, others are expanded, as the user. */
	fake_forward_user = "alice";
	fake_forward_value = "\\alice, |/usr/bin/procmail\n";
	assert_int_equal(local_expand(&ops, NULL, "alice+tag@example.org", &x, &res), 0);
	summary(&x, &s);
	assert_string_equal(s.data, "M:alice C:/usr/bin/procmail");
	assert_int_equal(x.t[1].uid, 2000);
	local_expansion_free(&x);

	/* Commands from a .forward may be turned off. */
	ops.allow_commands = LOCAL_CLASS_ALIAS;
	assert_int_equal(local_expand(&ops, NULL, "alice", &x, &res), -1);
	assert_int_equal(res.result, DELIVER_BOUNCE);
	assert_non_null(strstr(res.text.data, "mail to command is restricted"));

	/* :include: members; a command there is restricted by default. */
	fake_include_value = "bob, carol@remote.test";
	assert_int_equal(local_expand(&ops, NULL, "list", &x, &res), 0);
	summary(&x, &s);
	assert_string_equal(s.data, "M:bob R:carol@remote.test");
	local_expansion_free(&x);
	fake_include_value = "|/bin/true";
	assert_int_equal(local_expand(&ops, NULL, "list", &x, &res), -1);
	assert_int_equal(res.result, DELIVER_BOUNCE);
	fake_include_value = NULL;
	assert_int_equal(local_expand(&ops, NULL, "list", &x, &res), -1);
	assert_int_equal(res.result, DELIVER_DEFER);
	assert_non_null(strstr(res.text.data, "/etc/list"));

	/* A broken table defers, never bounces. */
	fake_retry = 1;
	assert_int_equal(local_expand(&ops, NULL, "anyone", &x, &res), -1);
	assert_int_equal(res.result, DELIVER_DEFER);
	assert_non_null(strstr(res.text.data, "corrupt database"));
	strbuf_release(&s);
	local_result_release(&res);
}

static void
test_expand_root_owner(void **state)
{
	struct local_expand_ops ops;
	struct local_expansion x;
	struct local_result res;

	(void)state;
	fake_ops(&ops);
	/* An include file owned by root keeps the alias owner's privileges;
	 * a root alias owner would get default_privs (fix_privs). */
	fake_aliases = (const char *const[]){ "l", ":include:/x", NULL };
	fake_include_value = "/tmp/out";
	ops.allow_files |= LOCAL_CLASS_INCLUDE;
	local_result_init(&res);
	assert_int_equal(local_expand(&ops, NULL, "l", &x, &res), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.t[0].kind, LOCAL_T_FILE);
	assert_int_equal(x.t[0].uid, 1000);
	local_expansion_free(&x);
	/* ... and files from an include are allowed only when listed. */
	ops.allow_files = LOCAL_CLASS_ALIAS;
	assert_int_equal(local_expand(&ops, NULL, "l", &x, &res), -1);
	local_result_release(&res);
}

/* :include: files are read with the privileges of the context naming
 * them, never as root for a user (the file would be read as root and its
 * lines echoed back in bounces). */
static void
test_include_privileges(void **state)
{
	struct local_expand_ops ops;
	struct local_expansion x;
	struct local_result res;

	(void)state;
	fake_ops(&ops);
	local_result_init(&res);
	fake_aliases = (const char *const[]){ "l", ":include:/x",
	    "cmd", "|/bin/true", NULL };
	fake_include_value = "secretline";

	/* A user's .forward: read as that user (owner 2000). */
	fake_forward_user = "alice";
	fake_forward_value = ":include:/etc/shadow\n";
	assert_int_equal(local_expand(&ops, NULL, "alice", &x, &res), 0);
	assert_int_equal(include_calls, 1);
	assert_int_equal(include_owner, 2000);
	assert_int_equal(include_uid, 2000);
	assert_int_equal(include_gid, 2000);
	/* Its members are marked as coming from a file (not echoed). */
	assert_int_equal(x.n, 1);
	assert_int_equal(x.t[0].kind, LOCAL_T_MAILBOX);
	assert_int_equal(x.t[0].cls, LOCAL_CLASS_INCLUDE);
	local_expansion_free(&x);

	/* A bad address there bounces without its text. */
	fake_include_value = "@secretdomain";
	assert_int_equal(local_expand(&ops, NULL, "alice", &x, &res), -1);
	assert_int_equal(res.result, DELIVER_BOUNCE);
	assert_null(strstr(res.text.data, "secret"));
	fake_include_value = "secretline";

	/* An alias table owned by a user: read as that user. */
	include_calls = 0;
	assert_int_equal(local_expand(&ops, NULL, "l", &x, &res), 0);
	assert_int_equal(include_calls, 1);
	assert_int_equal(include_owner, 1000);
	assert_int_equal(include_uid, 1000);
	assert_int_equal(include_gid, 1000);
	assert_int_equal(x.t[0].cls, LOCAL_CLASS_INCLUDE);
	local_expansion_free(&x);

	/* A root-owned alias table: root's context (owner 0), read with
	 * default_privs. */
	fake_alias_uid = 0;
	fake_alias_gid = 0;
	assert_int_equal(local_expand(&ops, NULL, "l", &x, &res), 0);
	assert_int_equal(include_owner, 0);
	assert_int_equal(include_uid, 65534);
	assert_int_equal(include_gid, 65534);
	local_expansion_free(&x);

	/* A table owned by someuser:root: commands never get gid 0. */
	fake_alias_uid = 1000;
	fake_alias_gid = 0;
	assert_int_equal(local_expand(&ops, NULL, "cmd", &x, &res), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.t[0].kind, LOCAL_T_COMMAND);
	assert_int_equal(x.t[0].uid, 1000);
	assert_int_equal(x.t[0].gid, 65534);
	local_expansion_free(&x);
	assert_int_equal(local_expand(&ops, NULL, "l", &x, &res), 0);
	assert_int_equal(include_uid, 1000);
	assert_int_equal(include_gid, 65534);
	local_expansion_free(&x);
	local_result_release(&res);
}

/* ---- .forward and :include: permissions ---- */

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_forward_perms(void **state)
{
	char dir[] = "/tmp/test_local_alias.XXXXXX", path[256];
	struct strbuf value, why;
	uid_t fu;
	gid_t fg;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/.forward", dir);
	strbuf_init(&value, LOCAL_FORWARD_MAX);
	strbuf_init(&why, 1024);
	assert_int_equal(local_forward_read(path, getuid(), &value, &why), 0);
	write_file(path, "# me\nbob, \\me\n", 0644);
	assert_int_equal(local_forward_read(path, getuid(), &value, &why), 1);
	assert_string_equal(value.data, "bob, \\me\n");
	/* Not the user's file. */
	assert_int_equal(local_forward_read(path, getuid() + 1, &value, &why), -1);
	assert_non_null(strstr(why.data, "not by its user"));
	assert_non_null(strstr(why.data, path));
	write_file(path, "bob\n", 0664);
	assert_int_equal(local_forward_read(path, getuid(), &value, &why), -1);
	assert_non_null(strstr(why.data, "group-writable"));
	write_file(path, "bob\n", 0646);
	assert_int_equal(local_forward_read(path, getuid(), &value, &why), -1);
	assert_non_null(strstr(why.data, "world-writable"));

	/* :include: owned by us (the "alias owner") or root only. */
	write_file(path, "carol\n", 0644);
	assert_int_equal(local_include_read(path, getuid(), &value, &fu, &fg, &why), 0);
	assert_string_equal(value.data, "carol\n");
	assert_int_equal(fu, getuid());
	if (getuid() == 0) {
		assert_int_equal(chown(path, 1, 1), 0);
		assert_int_equal(local_include_read(path, 2, &value, &fu, &fg, &why), -1);
		assert_non_null(strstr(why.data, "not by root or the alias file owner"));
		/* Root's file: only in root's own context. */
		assert_int_equal(chown(path, 0, 0), 0);
		assert_int_equal(local_include_read(path, 2, &value, &fu, &fg, &why), -1);
		assert_non_null(strstr(why.data, "owned by root"));
		assert_int_equal(local_include_read(path, 0, &value, &fu, &fg, &why), 0);
	}
	assert_int_equal(local_include_read("relative", 0, &value, &fu, &fg, &why), -1);
	unlink(path);
	assert_int_equal(local_include_read(path, 0, &value, &fu, &fg, &why), -1);
	assert_non_null(strstr(why.data, "no such file"));
	rmdir(dir);
	strbuf_release(&value);
	strbuf_release(&why);
}

static void
test_class_mask(void **state)
{
	(void)state;
	assert_int_equal(local_class_mask("alias, forward"),
	    LOCAL_CLASS_ALIAS | LOCAL_CLASS_FORWARD);
	assert_int_equal(local_class_mask("include"), LOCAL_CLASS_INCLUDE);
	assert_int_equal(local_class_mask(""), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_expand_fanout),
		cmocka_unit_test(test_expand_loops),
		cmocka_unit_test(test_expand_forward_and_classes),
		cmocka_unit_test(test_expand_root_owner),
		cmocka_unit_test(test_include_privileges),
		cmocka_unit_test(test_forward_perms),
		cmocka_unit_test(test_class_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
