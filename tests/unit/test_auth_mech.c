/*
 * tests/unit/test_auth_mech.c — PLAIN and LOGIN in auth(8): a labelled
 * table of PLAIN responses (well-formed, missing NULs, empty parts, NUL,
 * CR and LF in names, over-long) with the parts or the failure wanted;
 * whole PLAIN and LOGIN conversations against a stub verifier, including
 * authzid handling with and without smtpd_sasl_proxy_authorization; and
 * the early user-name peek used by the failed-login limit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../auth/auth.h"

#define R(s) s, sizeof(s) - 1

static const struct {
	const char *label;
	const char *resp;
	size_t	len;
	int	ok;
	const char *z, *c, *p;
} plain_cases[] = {
	{"no authzid", R("\0alice\0pw"), 1, "", "alice", "pw"},
	{"authzid", R("bob\0alice\0pw"), 1, "bob", "alice", "pw"},
	{"password with spaces", R("\0alice\0p w x"), 1, "", "alice", "p w x"},
	{"empty", R(""), 0, NULL, NULL, NULL},
	{"no NUL", R("alice pw"), 0, NULL, NULL, NULL},
	{"one NUL", R("alice\0pw"), 0, NULL, NULL, NULL},
	{"three NULs", R("\0alice\0pw\0"), 0, NULL, NULL, NULL},
	{"empty login", R("\0\0pw"), 0, NULL, NULL, NULL},
	{"empty password", R("\0alice\0"), 0, NULL, NULL, NULL},
	{"CR in login", R("\0al\rice\0pw"), 0, NULL, NULL, NULL},
	{"LF in login", R("\0al\nice\0pw"), 0, NULL, NULL, NULL},
	{"CR in authzid", R("b\rob\0alice\0pw"), 0, NULL, NULL, NULL},
	{"only NULs", R("\0\0"), 0, NULL, NULL, NULL},
};

static void
test_plain_decode(void **state)
{
	struct strbuf z, c, p;
	const char *why;
	size_t i;
	int r;

	(void)state;
	strbuf_init(&z, AUTH_NAME_MAX);
	strbuf_init(&c, AUTH_NAME_MAX);
	strbuf_init(&p, AUTH_PASS_MAX);
	for (i = 0; i < sizeof(plain_cases) / sizeof(plain_cases[0]); i++) {
		why = NULL;
		r = auth_plain_decode(plain_cases[i].resp, plain_cases[i].len,
		    &z, &c, &p, &why) == 0;
		if (r != plain_cases[i].ok)
			fail_msg("case \"%s\": got %s (%s), want %s",
			    plain_cases[i].label, r ? "ok" : "fail",
			    why ? why : "-", plain_cases[i].ok ? "ok" : "fail");
		if (r && (strcmp(z.data, plain_cases[i].z) != 0 ||
		    strcmp(c.data, plain_cases[i].c) != 0 ||
		    strcmp(p.data, plain_cases[i].p) != 0))
			fail_msg("case \"%s\": got %s/%s/%s", plain_cases[i].label,
			    z.data, c.data, p.data);
		if (!r && why == NULL)
			fail_msg("case \"%s\": no reason", plain_cases[i].label);
	}
	/* Over-long: a response of AUTH_RESP_MAX + 1 bytes. */
	{
		char big[AUTH_RESP_MAX + 1];

		memset(big, 'x', sizeof(big));
		big[0] = '\0';
		big[10] = '\0';
		assert_int_equal(auth_plain_decode(big, sizeof(big), &z, &c, &p,
		    &why), -1);
	}
	strbuf_release(&z);
	strbuf_release(&c);
	strbuf_release(&p);
}

static int verify_calls;

/* alice / pw is right; "temp" is a backend failure. */
static int
stub_verify(const char *user, const char *pass)
{
	verify_calls++;
	if (strcmp(user, "temp") == 0)
		return (-2);
	return (strcmp(user, "alice") == 0 && strcmp(pass, "pw") == 0 ? 0 : -1);
}

struct turn {
	int	have;
	const char *resp;
	size_t	len;
	enum auth_result want;
	const char *want_out;	/* challenge (CONTINUE), user (OK), reason
				 * prefix (FAIL/TEMPFAIL) */
};

static const struct {
	const char *label;
	const char *mech;
	int	proxy;
	struct turn t[4];
} convs[] = {
	{"PLAIN initial ok", "PLAIN", 0, {
	    {1, R("\0alice\0pw"), AUTH_R_OK, "alice"}}},
	{"PLAIN no initial, then ok", "PLAIN", 0, {
	    {0, NULL, 0, AUTH_R_CONTINUE, ""},
	    {1, R("\0alice\0pw"), AUTH_R_OK, "alice"}}},
	{"PLAIN wrong password", "PLAIN", 0, {
	    {1, R("\0alice\0px"), AUTH_R_FAIL, "535 5.7.8"}}},
	{"PLAIN authzid = login", "PLAIN", 0, {
	    {1, R("alice\0alice\0pw"), AUTH_R_OK, "alice"}}},
	{"PLAIN authzid differs: refused", "PLAIN", 0, {
	    {1, R("bob\0alice\0pw"), AUTH_R_FAIL, "535 5.7.8"}}},
	{"PLAIN authzid differs, proxy allowed", "PLAIN", 1, {
	    {1, R("bob\0alice\0pw"), AUTH_R_OK, "bob"}}},
	{"PLAIN proxy with wrong password", "PLAIN", 1, {
	    {1, R("bob\0alice\0px"), AUTH_R_FAIL, "535"}}},
	{"PLAIN backend tempfail", "PLAIN", 0, {
	    {1, R("\0temp\0pw"), AUTH_R_TEMPFAIL, "454 4.7.0"}}},
	{"PLAIN empty initial (=)", "PLAIN", 0, {
	    {1, R(""), AUTH_R_FAIL, "535"}}},
	{"LOGIN ok", "LOGIN", 0, {
	    {0, NULL, 0, AUTH_R_CONTINUE, "Username:"},
	    {1, R("alice"), AUTH_R_CONTINUE, "Password:"},
	    {1, R("pw"), AUTH_R_OK, "alice"}}},
	{"LOGIN user as initial response", "LOGIN", 0, {
	    {1, R("alice"), AUTH_R_CONTINUE, "Password:"},
	    {1, R("pw"), AUTH_R_OK, "alice"}}},
	{"LOGIN wrong", "LOGIN", 0, {
	    {0, NULL, 0, AUTH_R_CONTINUE, "Username:"},
	    {1, R("alice"), AUTH_R_CONTINUE, "Password:"},
	    {1, R("nope"), AUTH_R_FAIL, "535"}}},
	{"LOGIN NUL in user", "LOGIN", 0, {
	    {1, R("al\0ice"), AUTH_R_FAIL, "535"}}},
	{"LOGIN LF in user", "LOGIN", 0, {
	    {1, R("al\nice"), AUTH_R_FAIL, "535"}}},
	{"LOGIN empty user", "LOGIN", 0, {
	    {0, NULL, 0, AUTH_R_CONTINUE, "Username:"},
	    {1, R(""), AUTH_R_FAIL, "535"}}},
	{"LOGIN empty password", "LOGIN", 0, {
	    {1, R("alice"), AUTH_R_CONTINUE, "Password:"},
	    {1, R(""), AUTH_R_FAIL, "535"}}},
	{"LOGIN NUL in password", "LOGIN", 0, {
	    {1, R("alice"), AUTH_R_CONTINUE, "Password:"},
	    {1, R("p\0w"), AUTH_R_FAIL, "535"}}},
};

static void
test_conversations(void **state)
{
	struct strbuf ch, user, reason;
	struct auth_mech_conv *c;
	enum auth_result r;
	const char *got;
	size_t i, k;

	(void)state;
	strbuf_init(&ch, AUTH_RESP_MAX);
	strbuf_init(&user, AUTH_NAME_MAX);
	strbuf_init(&reason, 512);
	for (i = 0; i < sizeof(convs) / sizeof(convs[0]); i++) {
		var_sasl_proxy_auth = convs[i].proxy;
		c = auth_mech_start(convs[i].mech);
		assert_non_null(c);
		for (k = 0; k < 4 && convs[i].t[k].want_out != NULL; k++) {
			const struct turn *t = &convs[i].t[k];

			strbuf_reset(&user);
			strbuf_reset(&reason);
			r = auth_mech_step(c, t->have, t->resp, t->len,
			    stub_verify, &ch, &user, &reason);
			got = r == AUTH_R_CONTINUE ? ch.data : r == AUTH_R_OK ?
			    user.data : reason.data;
			if (r != t->want || strncmp(got, t->want_out,
			    strlen(t->want_out)) != 0 ||
			    (r == AUTH_R_CONTINUE && strcmp(got, t->want_out)))
				fail_msg("conv \"%s\" turn %zu: got %d \"%s\", want "
				    "%d \"%s\"", convs[i].label, k, r, got,
				    t->want, t->want_out);
		}
		auth_mech_free(c);
	}
	var_sasl_proxy_auth = 0;
	assert_null(auth_mech_start("CRAM-MD5"));
	assert_non_null(c = auth_mech_start("plain"));	/* case-insensitive */
	auth_mech_free(c);
	strbuf_release(&ch);
	strbuf_release(&user);
	strbuf_release(&reason);
}

static void
test_peek(void **state)
{
	struct strbuf u;

	(void)state;
	strbuf_init(&u, AUTH_NAME_MAX);
	assert_int_equal(auth_mech_peek_user("PLAIN", 0, R("\0alice\0pw"), &u), 1);
	assert_string_equal(u.data, "alice");
	assert_int_equal(auth_mech_peek_user("PLAIN", 0, R("junk"), &u), 0);
	assert_string_equal(u.data, "");
	assert_int_equal(auth_mech_peek_user("LOGIN", 0, R("bob"), &u), 1);
	assert_string_equal(u.data, "bob");
	assert_int_equal(auth_mech_peek_user("LOGIN", 1, R("password"), &u), 0);
	assert_int_equal(auth_mech_peek_user("LOGIN", 0, R("b\nob"), &u), 0);
	assert_int_equal(auth_mech_peek_user("SCRAM-SHA-256", 0, R("n,,n=x"), &u), 0);
	assert_int_equal(auth_name_ok(R("alice")), 1);
	assert_int_equal(auth_name_ok(R("")), 0);
	strbuf_release(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_decode),
		cmocka_unit_test(test_conversations),
		cmocka_unit_test(test_peek),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
