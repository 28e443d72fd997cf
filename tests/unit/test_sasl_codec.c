/*
 * tests/unit/test_sasl_codec.c — strict base64 (RFC 4648 test vectors,
 * padding, leftover bits, bad characters), the AUTH argument parser
 * (mechanism names, "=" and "*", junk), response lines, mechanism lists.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sasl_codec.h"

/* RFC 4648 10, and the shapes an AUTH PLAIN response has. */
static const struct {
	const char *plain;
	size_t	len;
	const char *b64;
} vectors[] = {
	{"", 0, ""},
	{"f", 1, "Zg=="},
	{"fo", 2, "Zm8="},
	{"foo", 3, "Zm9v"},
	{"foob", 4, "Zm9vYg=="},
	{"fooba", 5, "Zm9vYmE="},
	{"foobar", 6, "Zm9vYmFy"},
	{"\0alice\0secret", 13, "AGFsaWNlAHNlY3JldA=="},
	{"\xff\xfe\xfd", 3, "//79"},
	{"\xfb\xef", 2, "++8="},
};

static void
test_vectors(void **state)
{
	struct strbuf out;
	size_t	i;

	(void)state;
	strbuf_init(&out, 1024);
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		strbuf_reset(&out);
		assert_int_equal(sasl_base64_encode(vectors[i].plain,
		    vectors[i].len, &out), 0);
		assert_string_equal(out.data, vectors[i].b64);
		strbuf_reset(&out);
		assert_int_equal(sasl_base64_decode(vectors[i].b64,
		    strlen(vectors[i].b64), &out), 0);
		assert_int_equal(out.len, vectors[i].len);
		assert_memory_equal(out.data, vectors[i].plain, vectors[i].len);
	}
	strbuf_release(&out);
}

/* Not strict base64: each must be refused. */
static const char *const bad_b64[] = {
	"Zg",		/* no padding */
	"Zg=",		/* short padding */
	"Zm9vY",	/* length not a multiple of 4 */
	"Zh==",		/* leftover bits not zero */
	"Zm9=",		/* leftover bits not zero */
	"Z===",		/* three '=' */
	"====",
	"Zg==Zg==",	/* '=' before the end */
	"Zm=v",		/* '=' inside a quantum */
	"Zm9v\n",	/* white space */
	"Zm 9",
	"Zm9-",		/* base64url alphabet */
	"Zm9_",
	"Zm9\x80",
	"*",
};

static void
test_bad(void **state)
{
	struct strbuf out;
	size_t	i;

	(void)state;
	strbuf_init(&out, 1024);
	for (i = 0; i < sizeof(bad_b64) / sizeof(bad_b64[0]); i++)
		if (sasl_base64_decode(bad_b64[i], strlen(bad_b64[i]), &out) == 0)
			fail_msg("accepted \"%s\"", bad_b64[i]);
	strbuf_release(&out);
}

static void
test_limit(void **state)
{
	struct strbuf out;

	(void)state;
	strbuf_init(&out, 3);
	assert_int_equal(sasl_base64_decode("Zm9v", 4, &out), 0);
	strbuf_reset(&out);
	assert_int_equal(sasl_base64_decode("Zm9vYg==", 8, &out), -1);
	strbuf_reset(&out);
	assert_int_equal(sasl_base64_encode("foob", 4, &out), -1);
	strbuf_release(&out);
}

static const struct {
	const char *arg;
	enum sasl_parse want;
	const char *mech;
	int	has_resp;
	const char *resp;
	size_t	rlen;			/* 0: strlen(resp) */
} auth_args[] = {
	{"PLAIN", SASL_OK, "PLAIN", 0, "", 0},
	{"plain", SASL_OK, "PLAIN", 0, "", 0},
	{"PLAIN AGFsaWNlAHNlY3JldA==", SASL_OK, "PLAIN", 1, "\0alice\0secret", 13},
	{"PLAIN  Zm9v", SASL_OK, "PLAIN", 1, "foo", 0},
	{"PLAIN =", SASL_OK, "PLAIN", 1, "", 0},
	{"LOGIN YWxpY2U=", SASL_OK, "LOGIN", 1, "alice", 0},
	{"SCRAM-SHA-256", SASL_OK, "SCRAM-SHA-256", 0, "", 0},
	{"X_Y-1", SASL_OK, "X_Y-1", 0, "", 0},
	{"PLAIN *", SASL_E_CANCEL, "PLAIN", 1, "", 0},
	{"PLAIN !!!!", SASL_E_BASE64, "PLAIN", 1, "", 0},
	{"PLAIN Zg", SASL_E_BASE64, "PLAIN", 1, "", 0},
	{"PLAIN Zm9v extra", SASL_E_SYNTAX, "PLAIN", 0, "", 0},
	{"", SASL_E_SYNTAX, "", 0, "", 0},
	{" PLAIN", SASL_E_SYNTAX, "", 0, "", 0},
	{"PL/AIN", SASL_E_MECH, "", 0, "", 0},
	{"PLAIN\x01", SASL_E_MECH, "", 0, "", 0},
	{"ABCDEFGHIJKLMNOPQRSTU", SASL_E_MECH, "", 0, "", 0},	/* 21 */
	{"ABCDEFGHIJKLMNOPQRST", SASL_OK, "ABCDEFGHIJKLMNOPQRST", 0, "", 0},
};

static void
test_parse_auth(void **state)
{
	char	mech[SASL_MECH_MAX + 1];
	struct strbuf resp;
	int	has;
	size_t	i;

	(void)state;
	strbuf_init(&resp, 1024);
	for (i = 0; i < sizeof(auth_args) / sizeof(auth_args[0]); i++) {
		enum sasl_parse r;

		strbuf_reset(&resp);
		r = sasl_parse_auth(auth_args[i].arg, strlen(auth_args[i].arg),
		    mech, &resp, &has);
		if (r != auth_args[i].want)
			fail_msg("\"%s\": got %d want %d", auth_args[i].arg, r,
			    auth_args[i].want);
		if (r == SASL_E_MECH || r == SASL_E_SYNTAX)
			continue;
		assert_string_equal(mech, auth_args[i].mech);
		assert_int_equal(has, auth_args[i].has_resp);
		if (r == SASL_OK && has) {
			size_t	n = auth_args[i].rlen ? auth_args[i].rlen :
			    strlen(auth_args[i].resp);

			assert_int_equal(resp.len, n);
			assert_memory_equal(resp.data, auth_args[i].resp, n);
		}
	}
	strbuf_release(&resp);
}

static void
test_response(void **state)
{
	struct strbuf resp;

	(void)state;
	strbuf_init(&resp, 1024);
	assert_int_equal(sasl_parse_response("*", 1, &resp), SASL_E_CANCEL);
	assert_int_equal(sasl_parse_response("", 0, &resp), SASL_OK);
	assert_int_equal(resp.len, 0);
	assert_int_equal(sasl_parse_response("YWxpY2U=", 8, &resp), SASL_OK);
	assert_string_equal(resp.data, "alice");
	assert_int_equal(sasl_parse_response("**", 2, &resp), SASL_E_BASE64);
	assert_int_equal(sasl_parse_response("YWxpY2U", 7, &resp), SASL_E_BASE64);
	strbuf_release(&resp);
}

static void
test_mechs(void **state)
{
	(void)state;
	assert_true(sasl_mech_listed("PLAIN LOGIN", "PLAIN"));
	assert_true(sasl_mech_listed("PLAIN LOGIN", "login"));
	assert_true(sasl_mech_listed(" PLAIN,  LOGIN ", "LOGIN"));
	assert_false(sasl_mech_listed("PLAIN LOGIN", "PLAI"));
	assert_false(sasl_mech_listed("PLAIN LOGIN", "LOGINX"));
	assert_false(sasl_mech_listed("PLAIN LOGIN", ""));
	assert_false(sasl_mech_listed("", "PLAIN"));
	assert_true(sasl_mech_plaintext("plain"));
	assert_true(sasl_mech_plaintext("LOGIN"));
	assert_false(sasl_mech_plaintext("SCRAM-SHA-256"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_parse_auth),
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_mechs),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
