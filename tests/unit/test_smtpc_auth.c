/*
 * tests/unit/test_smtpc_auth.c — smtp-client's smtp_sasl_password_maps
 * lookup: Postfix's order (sender, @domain, remote host name, next hop),
 * key case folding, "user:pass:word" splitting, the null sender, tables
 * that cannot be opened (bad spec: error; unreadable file: defer).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mail_params.h"
#include "../../smtp-client/smtpc_auth.h"

static char dir[] = "/tmp/test_smtpc_auth.XXXXXX";
static char spec[256];

static const char table[] =
	"# smarthost logins\n"
	"[mail.example.net]:587  relay:pa:ss\n"
	"smtp.example.com        hostuser:hostpw\n"
	"alice@example.org       alice:apw\n"
	"@example.com            dom:dpw\n"
	"nocolon.example         justuser\n";

static const struct {
	const char *label;
	int	sender_dep;
	const char *sender, *nexthop, *hostname;
	int	want;
	const char *user, *pass;
} cases[] = {
	{"next hop as given", 0, "x@y", "[mail.example.net]:587", "mail.example.net",
	    1, "relay", "pa:ss"},
	{"next hop folded", 0, "", "[MAIL.Example.NET]:587", "other", 1, "relay",
	    "pa:ss"},
	{"host name before next hop", 0, "", "[mail.example.net]:587",
	    "smtp.example.com", 1, "hostuser", "hostpw"},
	{"host name alone", 0, "", "example.com", "smtp.example.com", 1,
	    "hostuser", "hostpw"},
	{"no host name", 0, "", "[mail.example.net]:587", NULL, 1, "relay", "pa:ss"},
	{"sender first", 1, "alice@example.org", "[mail.example.net]:587",
	    "smtp.example.com", 1, "alice", "apw"},
	{"sender ignored when not dependent", 0, "alice@example.org",
	    "[mail.example.net]:587", "x", 1, "relay", "pa:ss"},
	{"sender extension stripped", 1, "alice+news@example.org",
	    "[mail.example.net]:587", "x", 1, "alice", "apw"},
	{"sender @domain", 1, "bob@example.com", "[mail.example.net]:587", "x", 1,
	    "dom", "dpw"},
	{"sender unknown: next hop", 1, "carol@example.edu",
	    "[mail.example.net]:587", "x", 1, "relay", "pa:ss"},
	{"null sender skips the sender keys", 1, "", "[mail.example.net]:587",
	    "x", 1, "relay", "pa:ss"},
	{"without brackets is another key", 0, "", "mail.example.net:587", "x", 0,
	    NULL, NULL},
	{"another port is another key", 0, "", "[mail.example.net]:465", "x", 0,
	    NULL, NULL},
	{"nothing", 1, "z@z", "example.org", "mx.example.org", 0, NULL, NULL},
	{"no colon: empty password", 0, "", "nocolon.example", NULL, 1, "justuser",
	    ""},
};

static int
setup(void **state)
{
	FILE   *f;
	char	path[200];

	(void)state;
	if (mkdtemp(dir) == NULL)
		return (-1);
	snprintf(path, sizeof(path), "%s/sasl_passwd", dir);
	if ((f = fopen(path, "w")) == NULL)
		return (-1);
	fputs(table, f);
	fclose(f);
	snprintf(spec, sizeof(spec), "texthash:%s", path);
	var_recipient_delimiter = "+";
	return (0);
}

static int
teardown(void **state)
{
	char	path[200];

	(void)state;
	smtpc_auth_close();
	snprintf(path, sizeof(path), "%s/sasl_passwd", dir);
	unlink(path);
	rmdir(dir);
	return (0);
}

static void
test_order(void **state)
{
	struct strbuf err;
	size_t	i;

	(void)state;
	strbuf_init(&err, 1024);
	assert_int_equal(smtpc_auth_init(spec, &err), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char   *user = NULL, *pass = NULL;
		int	r;

		r = smtpc_auth_lookup(spec, cases[i].sender_dep, cases[i].sender,
		    cases[i].nexthop, cases[i].hostname, &user, &pass, &err);
		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d (%s)", cases[i].label, r,
			    cases[i].want, err.data);
		if (r == 1) {
			if (strcmp(user, cases[i].user) != 0
			    || strcmp(pass, cases[i].pass) != 0)
				fail_msg("%s: got %s:%s, want %s:%s", cases[i].label,
				    user, pass, cases[i].user, cases[i].pass);
		} else if (user != NULL || pass != NULL)
			fail_msg("%s: result set without a match", cases[i].label);
		free(user);
		free(pass);
	}
	strbuf_release(&err);
}

static void
test_errors(void **state)
{
	struct strbuf err;
	char   *user, *pass;

	(void)state;
	strbuf_init(&err, 1024);
	/* No tables: no login, no error. */
	assert_int_equal(smtpc_auth_init("", &err), 0);
	assert_int_equal(smtpc_auth_lookup("", 1, "a@b", "[mail.example.net]:587",
	    "h", &user, &pass, &err), 0);
	assert_null(user);
	/* A bad table spec is refused at init, and by a lookup. */
	strbuf_reset(&err);
	assert_int_equal(smtpc_auth_init("nosuchtype:/x", &err), -1);
	assert_non_null(strstr(err.data, "smtp_sasl_password_maps"));
	assert_int_equal(smtpc_auth_lookup("nosuchtype:/x", 0, "",
	    "[mail.example.net]:587", "h", &user, &pass, &err), -1);
	/* A table that cannot be read defers (never "no login"). */
	strbuf_reset(&err);
	assert_int_equal(smtpc_auth_init("texthash:/nonexistent/sasl_passwd", &err),
	    0);
	assert_int_equal(smtpc_auth_lookup("texthash:/nonexistent/sasl_passwd", 0,
	    "", "[mail.example.net]:587", "h", &user, &pass, &err), -1);
	assert_non_null(strstr(err.data, "lookup error"));
	assert_null(user);
	/* A lookup with another value than init's opens that one. */
	assert_int_equal(smtpc_auth_lookup(spec, 0, "", "[mail.example.net]:587",
	    NULL, &user, &pass, &err), 1);
	assert_string_equal(user, "relay");
	free(user);
	free(pass);
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_errors),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
