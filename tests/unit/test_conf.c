/*
 * tests/unit/test_conf.c — main.cf parsing (continuations, comments, errors
 * naming file and line), $name expansion (nested, conditional, loops,
 * exponential chains), typed binding with bounds and time units, unknown
 * parameters, conf_edit_file, list splitting, and mail_params_load.
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

#include "conf.h"
#include "mail_params.h"
#include "strbuf.h"

static char tmpdir[64];

static int
setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test_conf.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	conf_reset();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to tmpdir/name; returns the path (static). */
static const char *
write_file(const char *name, const char *text)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite(text, 1, strlen(text), fp);
	fclose(fp);
	return path;
}

static char *read_all(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 65536);

	assert_non_null(fp);
	assert_true(fread(buf, 1, 65535, fp) < 65535);
	fclose(fp);
	return buf;
}

static void
test_parse(void **state)
{
	struct strbuf err;
	const char *path, *file;
	int line;

	(void)state;
	strbuf_init(&err, 1000);
	path = write_file("main.cf",
	    "# comment\n"
	    "\n"
	    "alpha = one\n"
	    "beta=two  \n"
	    "list = a,\n"
	    "    b\n"
	    "# a comment between continuation lines\n"
	    "\tc\n"
	    "crlf = x\r\n"
	    "alpha = again\n"
	    "empty =\n"
	    "hash = a # not a comment\n");
	assert_int_equal(conf_read_file(path, &err), 0);
	assert_string_equal(conf_raw("alpha"), "again");
	assert_string_equal(conf_raw("beta"), "two");
	assert_string_equal(conf_raw("list"), "a, b c");
	assert_string_equal(conf_raw("crlf"), "x");
	assert_string_equal(conf_raw("empty"), "");
	assert_string_equal(conf_raw("hash"), "a # not a comment");
	assert_null(conf_raw("nothere"));
	assert_int_equal(conf_origin("alpha", &file, &line), 0);
	assert_string_equal(file, path);
	assert_int_equal(line, 10);
	assert_int_equal(conf_origin("list", &file, &line), 0);
	assert_int_equal(line, 5);
	assert_int_equal(conf_origin("nothere", &file, &line), -1);
	strbuf_release(&err);
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* suffix after "PATH, " */
	} cases[] = {
		{ "a = 1\nbogus line\n", "line 2: missing '='" },
		{ "a = 1\n\n  cont\nb c = 2\n", "line 4: missing '='" },
		{ "   x = 1\n", "line 1: continuation line" },
		{ "a-b = 1\n", "line 1: bad parameter name" },
		{ "= 1\n", "line 1: bad parameter name" },
		{ "a = 1\nb = 2\nc\n", "line 3: missing '='" },
	};
	struct strbuf err, want;
	size_t i;
	const char *path;

	(void)state;
	strbuf_init(&err, 1000);
	strbuf_init(&want, 1000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = write_file("bad.cf", cases[i].text);
		strbuf_reset(&err);
		assert_int_equal(conf_read_file(path, &err), -1);
		strbuf_set_printf(&want, "%s, %s", path, cases[i].want);
		if (strncmp(err.data, want.data, want.len) != 0)
			fail_msg("case %zu: got \"%s\", want prefix \"%s\"", i,
			    err.data, want.data);
	}
	strbuf_reset(&err);
	assert_int_equal(conf_read_file("/nonexistent/main.cf", &err), -1);
	assert_non_null(strstr(err.data, "/nonexistent/main.cf"));
	/* A NUL byte is an error, not a silent end of line. */
	{
		char p2[128];
		FILE *fp;

		snprintf(p2, sizeof(p2), "%s/nul.cf", tmpdir);
		fp = fopen(p2, "w");
		fwrite("a = 1\nb = x\0y\n", 1, 14, fp);
		fclose(fp);
		assert_int_equal(conf_read_file(p2, &err), -1);
		assert_non_null(strstr(err.data, "line 2: NUL"));
	}
	strbuf_release(&err);
	strbuf_release(&want);
}

static char *var_s1, *var_s2;
static long var_i1, var_t1, var_t2;
static int var_b1;

static const struct conf_param test_table[] = {
	{ "s1", CONF_STR, "default-$s2", NULL, &var_s1, 0, 0, 0 },
	{ "s2", CONF_STR, "two", NULL, &var_s2, 0, 0, 0 },
	{ "i1", CONF_INT, "5", NULL, &var_i1, 1, 10, 0 },
	{ "t1", CONF_TIME, "100s", NULL, &var_t1, 0, 0, 's' },
	{ "t2", CONF_TIME, "2", NULL, &var_t2, 0, 0, 'h' },
	{ "b1", CONF_BOOL, "yes", NULL, &var_b1, 0, 0, 0 },
	CONF_TABLE_END
};

static void
test_expand(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "$a", "1" },
		{ "${a}x", "1x" },
		{ "$a.$b", "1.1" },
		{ "$b", "1" },
		{ "${a?yes}", "yes" },
		{ "${a:no}", "" },
		{ "${empty?yes}", "" },
		{ "${empty:no}", "no" },
		{ "${unset:no}", "no" },
		{ "$$a", "$a" },
		{ "$$", "$" },
		{ "cost $", "cost $" },
		{ "$unknown-x", "-x" },
		{ "${a?${b}-{braced}}", "1-{braced}" },
		{ "${a?$nested}", "1/1" },
		{ "${empty?x}${a?y}${empty:z}", "yz" },
		{ "$s2", "two" },		/* registered default */
		{ "$s1", "default-two" },	/* default with $name */
		{ "$unreg", "raw value" },	/* set, not registered */
		{ "", "" },
	};
	static const char *bad[] = {
		"$loop1", "${a", "${a?x", "${}", "$self", "$exp0",
	};
	struct strbuf err;
	size_t i;
	char *res, *path;
	const char *p;
	char text[4096];
	int n = 0;

	(void)state;
	strbuf_init(&err, 1000);
	conf_register(test_table);
	n += snprintf(text + n, sizeof(text) - n,
	    "a = 1\nb = $a\nempty =\nnested = $a/$b\nunreg = raw value\n"
	    "loop1 = x$loop2\nloop2 = y$loop1\nself = $self\n");
	/* exp0 = $exp1$exp1, ... : 2^40 references unless bounded. */
	for (i = 0; i < 40; i++)
		n += snprintf(text + n, sizeof(text) - n,
		    "exp%zu = $exp%zu$exp%zu\n", i, i + 1, i + 1);
	n += snprintf(text + n, sizeof(text) - n, "exp40 = xx\n");
	path = strdup(write_file("main.cf", text));
	assert_int_equal(conf_read_file(path, &err), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		res = conf_expand(cases[i].in);
		if (strcmp(res, cases[i].want) != 0)
			fail_msg("expand \"%s\": got \"%s\", want \"%s\"",
			    cases[i].in, res, cases[i].want);
		free(res);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strbuf_reset(&err);
		if (conf_expand_checked(bad[i], &res, &err) != -1)
			fail_msg("expand \"%s\" should fail, got \"%s\"", bad[i], res);
		assert_true(err.len > 0);
	}
	/* conf_value is memoised and stable until the next change. */
	p = conf_value("nested");
	assert_string_equal(p, "1/1");
	assert_ptr_equal(p, conf_value("nested"));
	assert_string_equal(conf_value("loop1"), "");
	free(path);
	strbuf_release(&err);
}

static void
test_bind(void **state)
{
	struct strbuf err;
	const char *path;

	(void)state;
	strbuf_init(&err, 1000);
	conf_register(test_table);
	conf_register(test_table);	/* harmless */
	path = write_file("main.cf", "s2 = over$$\ni1 = 10\nt1 = 10m\nb1 = No\n");
	assert_int_equal(conf_read_file(path, &err), 0);
	assert_int_equal(conf_bind(&err), 0);
	assert_string_equal(var_s1, "default-over$");
	assert_string_equal(var_s2, "over$");
	assert_int_equal(var_i1, 10);
	assert_int_equal(var_t1, 600);
	assert_int_equal(var_t2, 7200);	/* bare number, unit 'h' */
	assert_int_equal(var_b1, 0);

	/* An override wins over the file; binding again frees the old string. */
	assert_int_equal(conf_set_override("s2 = third", &err), 0);
	assert_int_equal(conf_set_override("t2=1w", &err), 0);
	assert_int_equal(conf_bind(&err), 0);
	assert_string_equal(var_s2, "third");
	assert_int_equal(var_t2, 604800);
	assert_int_equal(conf_set_override("noequals", &err), -1);
	assert_int_equal(conf_set_override("bad name=1", &err), -1);
	conf_reset();
	assert_null(var_s1);
	assert_null(var_s2);
	strbuf_release(&err);
}

static void
test_bind_errors(void **state)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "\ni1 = 11\n", "line 2: parameter i1: expected an integer between 1 and 10" },
		{ "i1 = 0\n", "line 1: parameter i1: expected an integer" },
		{ "i1 = 5x\n", "line 1: parameter i1: expected an integer" },
		{ "i1 =\n", "line 1: parameter i1: expected an integer" },
		{ "a=1\nb=2\nt1 = 5y\n", "line 3: parameter t1: expected a time" },
		{ "t1 = -5s\n", "line 1: parameter t1: expected a time" },
		{ "t1 = 99999999999999999w\n", "line 1: parameter t1: expected a time" },
		{ "t1 = 5ss\n", "line 1: parameter t1: expected a time" },
		{ "b1 = maybe\n", "line 1: parameter b1: expected yes or no" },
		{ "s1 = $x\nx = $s1\n", "line 1: parameter s1: expansion loop" },
		{ "i1 = $x\nx = 3$y\ny=\n", NULL },	/* expands to "3": fine */
	};
	struct strbuf err, want;
	const char *path;
	size_t i;

	(void)state;
	strbuf_init(&err, 1000);
	strbuf_init(&want, 1000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_reset();
		conf_register(test_table);
		path = write_file("main.cf", cases[i].text);
		assert_int_equal(conf_read_file(path, &err), 0);
		strbuf_reset(&err);
		if (cases[i].want == NULL) {
			assert_int_equal(conf_bind(&err), 0);
			continue;
		}
		assert_int_equal(conf_bind(&err), -1);
		strbuf_set_printf(&want, "%s, %s", path, cases[i].want);
		if (strncmp(err.data, want.data, want.len) != 0)
			fail_msg("case %zu: got \"%s\", want prefix \"%s\"", i,
			    err.data, want.data);
	}
	assert_int_equal(var_i1, 3);
	/* A bad override is reported as such. */
	conf_reset();
	conf_register(test_table);
	assert_int_equal(conf_set_override("i1=zz", &err), 0);
	assert_int_equal(conf_bind(&err), -1);
	assert_non_null(strstr(err.data, "parameter i1: expected an integer"));
	strbuf_release(&err);
	strbuf_release(&want);
}

struct seen {
	char	names[512];
};

static void
unknown_cb(const char *name, const char *file, int line, void *ctx)
{
	struct seen *s = ctx;
	size_t n = strlen(s->names);

	(void)file;
	snprintf(s->names + n, sizeof(s->names) - n, "%s:%d ", name, line);
}

static void
param_cb(const struct conf_param *p, const char *raw, void *ctx)
{
	struct seen *s = ctx;
	size_t n = strlen(s->names);

	snprintf(s->names + n, sizeof(s->names) - n, "%s=%s ", p->name,
	    raw ? raw : "(default)");
}

static void
test_unknown_and_foreach(void **state)
{
	struct seen s;
	struct strbuf err;
	const char *path;

	(void)state;
	strbuf_init(&err, 1000);
	conf_register(test_table);
	path = write_file("main.cf", "zeta = 1\ni1 = 2\nalpha = 3\nmystery=4\n");
	assert_int_equal(conf_read_file(path, &err), 0);
	memset(&s, 0, sizeof(s));
	conf_foreach_unknown(unknown_cb, &s);
	assert_string_equal(s.names, "zeta:1 alpha:3 mystery:4 ");
	memset(&s, 0, sizeof(s));
	conf_foreach_param(param_cb, &s);
	assert_string_equal(s.names, "b1=(default) i1=2 s1=(default) "
	    "s2=(default) t1=(default) t2=(default) ");
	assert_non_null(conf_lookup_param("t2"));
	assert_null(conf_lookup_param("zeta"));
	assert_string_equal(conf_default_text(conf_lookup_param("s1")),
	    "default-$s2");
	strbuf_release(&err);
}

static void
test_edit_file(void **state)
{
	struct strbuf err;
	const char *path;
	char *got, p[128];
	struct stat st;

	(void)state;
	strbuf_init(&err, 1000);
	path = write_file("edit.cf",
	    "# head\n"
	    "a = 1\n"
	    "target = old,\n"
	    "    continued\n"
	    "\tmore\n"
	    "b = 2\n"
	    "target = dup\n"
	    "  dupcont\n"
	    "c = 3");
	strcpy(p, path);
	chmod(p, 0640);
	assert_int_equal(conf_edit_file(p, "target", "new value", &err), 0);
	got = read_all(p);
	assert_string_equal(got,
	    "# head\n"
	    "a = 1\n"
	    "target = new value\n"
	    "b = 2\n"
	    "c = 3\n");
	free(got);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	/* Not there yet: appended. */
	assert_int_equal(conf_edit_file(p, "added", "x", &err), 0);
	got = read_all(p);
	assert_non_null(strstr(got, "c = 3\nadded = x\n"));
	free(got);
	/* The result parses back to what was written. */
	assert_int_equal(conf_read_file(p, &err), 0);
	assert_string_equal(conf_raw("target"), "new value");
	assert_string_equal(conf_raw("added"), "x");
	/* A prefix of another name is not that name. */
	assert_int_equal(conf_edit_file(p, "a", "9", &err), 0);
	assert_int_equal(conf_read_file(p, &err), 0);
	assert_string_equal(conf_raw("a"), "9");
	assert_string_equal(conf_raw("added"), "x");
	/* Missing file: created. */
	snprintf(p, sizeof(p), "%s/new.cf", tmpdir);
	assert_int_equal(conf_edit_file(p, "n", "v", &err), 0);
	got = read_all(p);
	assert_string_equal(got, "n = v\n");
	free(got);
	assert_int_equal(conf_edit_file(p, "bad name", "v", &err), -1);
	assert_int_equal(conf_edit_file(p, "n", "two\nlines", &err), -1);
	assert_int_equal(conf_edit_file("/nonexistent/dir/x.cf", "n", "v", &err), -1);
	/* No temporary files left behind. */
	assert_int_equal(system("sh -c 'ls /tmp/test_conf.*/*.tmp* 2>/dev/null "
	    "| grep -q .'") == 0, 0);
	strbuf_release(&err);
}

static void
test_lists(void **state)
{
	static const struct {
		const char *in;
		const char *want[6];
	} cases[] = {
		{ "a, b  c,,d", { "a", "b", "c", "d", NULL } },
		{ "  ,, ", { NULL } },
		{ "", { NULL } },
		{ "hash:/etc/aliases inline:{ a=b, c=d }, x",
		    { "hash:/etc/aliases", "inline:{ a=b, c=d }", "x", NULL } },
		{ "one\ttwo\nthree", { "one", "two", "three", NULL } },
		{ "unbalanced{ a, b", { "unbalanced{ a, b", NULL } },
	};
	size_t i, j, n;
	char **l;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		l = conf_split_list(cases[i].in, &n);
		for (j = 0; cases[i].want[j] != NULL; j++) {
			if (l[j] == NULL || strcmp(l[j], cases[i].want[j]) != 0)
				fail_msg("list \"%s\" item %zu: got \"%s\", want \"%s\"",
				    cases[i].in, j, l[j] ? l[j] : "(null)",
				    cases[i].want[j]);
		}
		assert_null(l[j]);
		assert_int_equal(n, j);
		conf_free_list(l);
	}
	assert_true(conf_list_contains("Foo, bar", "foo"));
	assert_true(conf_list_contains("Foo, bar", "BAR"));
	assert_false(conf_list_contains("Foo, bar", "ba"));
	conf_free_list(NULL);
}

static void
test_mail_params(void **state)
{
	struct strbuf err;
	char *over[] = { "myhostname=mx.Example.org", "max_use=7", NULL };
	char *bad_over[] = { "max_use=0", NULL };

	(void)state;
	strbuf_init(&err, 1000);
	write_file("main.cf", "queue_directory = /tmp/q\n"
	    "mydestination = $myhostname, localhost.$mydomain, localhost, $extra\n"
	    "extra = other.test.\n");
	if (mail_params_load(tmpdir, over, &err) < 0)
		fail_msg("mail_params_load: %s", err.data);
	assert_string_equal(var_config_dir, tmpdir);
	assert_string_equal(var_queue_dir, "/tmp/q");
	assert_string_equal(var_myhostname, "mx.Example.org");
	assert_string_equal(var_mydomain, "Example.org");
	assert_string_equal(var_myorigin, "mx.Example.org");
	assert_int_equal(var_max_use, 7);
	assert_int_equal(var_message_size_limit, 10240000);
	assert_int_equal(var_ipc_timeout, 3600);
	assert_int_equal(var_max_idle, 100);
	assert_int_equal(var_verbose, 0);
	assert_string_equal(var_mynetworks, "127.0.0.0/8 [::1]/128");
	assert_string_equal(var_setgid_group, "tegami-drop");
	assert_string_equal(var_daemon_dir, TEGAMI_PREFIX "/libexec/tegami");
	assert_true(mail_params_is_local_domain("MX.example.ORG"));
	assert_true(mail_params_is_local_domain("mx.example.org."));
	assert_true(mail_params_is_local_domain("localhost.example.org"));
	assert_true(mail_params_is_local_domain("localhost"));
	assert_true(mail_params_is_local_domain("localhost."));
	assert_true(mail_params_is_local_domain("other.test"));
	assert_false(mail_params_is_local_domain("example.org"));
	assert_false(mail_params_is_local_domain(""));
	conf_reset();

	/* Computed defaults: myhostname has a dot, mydomain follows it. */
	write_file("main.cf", "# empty\n");
	assert_int_equal(mail_params_load(tmpdir, NULL, &err), 0);
	assert_non_null(strchr(var_myhostname, '.'));
	assert_string_equal(var_mydomain, strchr(var_myhostname, '.') + 1);
	assert_string_equal(var_myorigin, var_myhostname);
	conf_reset();

	/* Errors name the file; a missing main.cf is an error. */
	write_file("main.cf", "max_use = many\n");
	assert_int_equal(mail_params_load(tmpdir, NULL, &err), -1);
	assert_non_null(strstr(err.data, "main.cf, line 1: parameter max_use: "
	    "expected an integer"));
	conf_reset();
	write_file("main.cf", "\n");
	assert_int_equal(mail_params_load(tmpdir, bad_over, &err), -1);
	assert_non_null(strstr(err.data, "max_use"));
	conf_reset();
	assert_int_equal(mail_params_load("/nonexistent", NULL, &err), -1);
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expand, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_foreach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mail_params, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
