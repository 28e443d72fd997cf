/*
 * tests/unit/test_auth_passwd.c — auth(8)'s password file: a labelled table
 * of files (comments, blank lines, CRLF, malformed lines, duplicates, extra
 * fields) with the users that must and must not come out; verification of
 * real yescrypt, sha512-crypt and bcrypt hashes (right, wrong, unknown user).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <crypt.h>
#include <cmocka.h>

#include "../../auth/auth.h"

#define H "$6$salt$abc"

static const struct {
	const char *label;
	const char *text;
	size_t	want_count;
	const char *user;		/* looked up */
	const char *want_hash;		/* NULL: absent */
} cases[] = {
	{"one user", "alice:" H "\n", 1, "alice", H},
	{"no final newline", "alice:" H, 1, "alice", H},
	{"CRLF", "alice:" H "\r\n", 1, "alice", H},
	{"comment and blank", "# x\n\n   \nalice:" H "\n", 1, "alice", H},
	{"indented comment", "  # bob:" H "\nalice:" H "\n", 1, "bob", NULL},
	{"extra fields ignored", "alice:" H ":1000:x\n", 1, "alice", H},
	{"no colon", "alice " H "\nbob:" H "\n", 1, "bob", H},
	{"no colon: absent", "alice " H "\nbob:" H "\n", 1, "alice", NULL},
	{"empty user", ":" H "\nbob:" H "\n", 1, "bob", H},
	{"empty hash", "alice:\nbob:" H "\n", 1, "alice", NULL},
	{"not a crypt hash", "alice:secret\nbob:" H "\n", 1, "alice", NULL},
	{"space in hash", "alice:$6$a b\n", 0, "alice", NULL},
	{"space in user", "al ice:" H "\n", 0, "al ice", NULL},
	{"NUL in line", "al\0ice:" H "\nbob:" H "\n", 1, "bob", H},
	{"duplicate: first wins", "alice:$6$first\nalice:$6$second\n", 1,
	    "alice", "$6$first"},
	{"empty file", "", 0, "alice", NULL},
	{"case matters", "Alice:" H "\n", 1, "alice", NULL},
};

static void
test_parse(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct auth_passwd *p;
		const char *h;

		/* The NUL case needs its real length. */
		len = strcmp(cases[i].label, "NUL in line") == 0 ?
		    strlen(cases[i].text) + 1 + strlen(cases[i].text +
		    strlen(cases[i].text) + 1) : strlen(cases[i].text);
		p = auth_passwd_parse("test", cases[i].text, len);
		h = auth_passwd_hash(p, cases[i].user);
		if (auth_passwd_count(p) != cases[i].want_count ||
		    (h == NULL) != (cases[i].want_hash == NULL) ||
		    (h != NULL && strcmp(h, cases[i].want_hash) != 0))
			fail_msg("case \"%s\": got count %zu hash %s, want %zu %s",
			    cases[i].label, auth_passwd_count(p), h ? h : "(none)",
			    cases[i].want_count, cases[i].want_hash ?
			    cases[i].want_hash : "(none)");
		auth_passwd_free(p);
	}
}

static void
test_verify(void **state)
{
	static const char *const prefixes[] = { "$y$", "$6$", "$2b$" };
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], text[1024];
	struct crypt_data cd;
	struct auth_passwd *p;
	const char *h;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		memset(&cd, 0, sizeof(cd));
		assert_non_null(crypt_gensalt_rn(prefixes[i], 0, NULL, 0, salt,
		    sizeof(salt)));
		h = crypt_rn("pw of alice", salt, &cd, sizeof(cd));
		assert_non_null(h);
		snprintf(text, sizeof(text), "alice:%s\n", h);
		p = auth_passwd_parse("test", text, strlen(text));
		if (auth_passwd_verify(p, "alice", "pw of alice") != 0)
			fail_msg("%s: right password refused", prefixes[i]);
		if (auth_passwd_verify(p, "alice", "pw of alicE") != -1)
			fail_msg("%s: wrong password accepted", prefixes[i]);
		if (auth_passwd_verify(p, "alice", "") != -1)
			fail_msg("%s: empty password accepted", prefixes[i]);
		if (auth_passwd_verify(p, "bob", "pw of alice") != -1)
			fail_msg("%s: unknown user accepted", prefixes[i]);
		auth_passwd_free(p);
	}
	/* A stored hash crypt cannot use never matches. */
	p = auth_passwd_parse("test", "alice:$99$junk\n", 15);
	assert_int_equal(auth_passwd_verify(p, "alice", "junk"), -1);
	auth_passwd_free(p);
}

static void
test_load_missing(void **state)
{
	(void)state;
	assert_null(auth_passwd_load("/nonexistent/tegami/passwd"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_load_missing),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
