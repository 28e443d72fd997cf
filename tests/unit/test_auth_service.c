/*
 * tests/unit/test_auth_service.c — auth(8)'s request state machine without
 * I/O: decoded requests in, replies out (mechs, PLAIN, LOGIN, cancel,
 * requests out of order or after the end, bad mech and client_addr, the
 * delay and the limit); and Dovecot's reply lines (CONT, OK, FAIL, temp,
 * wrong ids, escapes, garbage) with the result wanted.
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
#include "ipc.h"
#include "ipc_names.h"

static struct ipc_msg *
req(const char *r, const char *mech, const char *addr, const char *resp,
    size_t len)
{
	struct ipc_msg *m = ipc_msg_new();

	ipc_put_str(m, IPC_ATTR_REQ, r);
	if (mech != NULL)
		ipc_put_str(m, IPC_ATTR_MECH, mech);
	if (addr != NULL)
		ipc_put_str(m, IPC_ATTR_CLIENT_ADDR, addr);
	if (resp != NULL)
		ipc_put_bytes(m, IPC_ATTR_RESP, resp, len);
	return (m);
}

static int
handle(struct auth_session *s, struct ipc_msg *m, struct ipc_msg *reply,
    time_t now)
{
	struct strbuf why;
	int r;

	strbuf_init(&why, 256);
	r = auth_session_handle(s, m, reply, now, &why);
	ipc_msg_free(m);
	strbuf_release(&why);
	return (r);
}

static int
setup(void **state)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], text[512];
	struct crypt_data cd;

	(void)state;
	memset(&cd, 0, sizeof(cd));
	crypt_gensalt_rn("$6$", 0, NULL, 0, salt, sizeof(salt));
	snprintf(text, sizeof(text), "alice:%s\n",
	    crypt_rn("pw", salt, &cd, sizeof(cd)));
	auth_service_set_passwd(auth_passwd_parse("test", text, strlen(text)));
	var_auth_failure_limit = 3;
	var_auth_failure_delay_max = 16;
	auth_service_set_limit(auth_limit_new(3, 100, 16, 1000));
	return (0);
}

#define P(s) s, sizeof(s) - 1

static void
test_exchanges(void **state)
{
	struct ipc_msg *reply = ipc_msg_new();
	struct auth_session *s;
	const void *b;
	size_t len;
	int64_t d;

	(void)state;
	/* mechs, then PLAIN ok on the same connection. */
	s = auth_session_new();
	assert_int_equal(handle(s, req("mechs", 0, 0, 0, 0), reply, 1), 1);
	assert_string_equal(ipc_get_str(reply, IPC_ATTR_MECHS), "PLAIN LOGIN");
	assert_int_equal(handle(s, req("auth-start", "PLAIN", "192.0.2.1",
	    P("\0alice\0pw")), reply, 1), 0);
	assert_string_equal(ipc_get_str(reply, IPC_ATTR_AUTH_STATUS), "ok");
	assert_string_equal(ipc_get_str(reply, IPC_ATTR_USER), "alice");
	/* Anything after the end is a protocol error. */
	assert_int_equal(handle(s, req("mechs", 0, 0, 0, 0), reply, 1), -1);
	auth_session_free(s);

	/* LOGIN in three turns. */
	s = auth_session_new();
	assert_int_equal(handle(s, req("auth-start", "LOGIN", "192.0.2.1",
	    NULL, 0), reply, 1), 1);
	assert_string_equal(ipc_get_str(reply, IPC_ATTR_AUTH_STATUS), "continue");
	b = ipc_get_bytes(reply, IPC_ATTR_CHALLENGE, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(b, "Username:", 9);
	assert_int_equal(handle(s, req("auth-step", 0, 0, P("alice")), reply, 1), 1);
	assert_int_equal(handle(s, req("auth-step", 0, 0, P("pw")), reply, 1), 0);
	assert_string_equal(ipc_get_str(reply, IPC_ATTR_USER), "alice");
	auth_session_free(s);

	/* Cancel. */
	s = auth_session_new();
	assert_int_equal(handle(s, req("auth-start", "PLAIN", "192.0.2.1",
	    NULL, 0), reply, 1), 1);
	assert_int_equal(handle(s, req("auth-cancel", 0, 0, 0, 0), reply, 1), 0);
	assert_string_equal(ipc_get_str(reply, IPC_ATTR_AUTH_STATUS), "fail");
	auth_session_free(s);

	/* Unknown and malformed mechanism names: 504. */
	s = auth_session_new();
	assert_int_equal(handle(s, req("auth-start", "CRAM-MD5", "192.0.2.1",
	    NULL, 0), reply, 1), 0);
	assert_string_equal(ipc_get_str(reply, IPC_ATTR_REASON), AUTH_REASON_MECH);
	auth_session_free(s);
	s = auth_session_new();
	assert_int_equal(handle(s, req("auth-start", "pl ain\t", "192.0.2.1",
	    NULL, 0), reply, 1), 0);
	assert_string_equal(ipc_get_str(reply, IPC_ATTR_REASON), AUTH_REASON_MECH);
	auth_session_free(s);

	/* Protocol errors. */
	s = auth_session_new();
	assert_int_equal(handle(s, req("auth-step", 0, 0, P("x")), reply, 1), -1);
	auth_session_free(s);
	s = auth_session_new();
	assert_int_equal(handle(s, req("auth-start", "PLAIN", NULL, P("x")),
	    reply, 1), -1);
	auth_session_free(s);
	s = auth_session_new();
	assert_int_equal(handle(s, req("auth-start", "PLAIN", "a\tb", P("x")),
	    reply, 1), -1);
	auth_session_free(s);
	s = auth_session_new();
	assert_int_equal(handle(s, req("auth-start", "PLAIN", "192.0.2.1", 0, 0),
	    reply, 1), 1);
	assert_int_equal(handle(s, req("auth-step", 0, 0, 0, 0), reply, 1), -1);
	auth_session_free(s);
	s = auth_session_new();
	assert_int_equal(handle(s, req("bogus", 0, 0, 0, 0), reply, 1), -1);
	auth_session_free(s);

	/* Failures: delay 1, 2, then the limit (454), then blocked even with
	 * the right password, from this address and for this user. */
	{
		static const int64_t want_delay[] = { 1, 2, 4 };
		int i;

		for (i = 0; i < 3; i++) {
			s = auth_session_new();
			assert_int_equal(handle(s, req("auth-start", "PLAIN",
			    "198.51.100.1", P("\0alice\0bad")), reply, 10), 0);
			assert_int_equal(ipc_get_int(reply, IPC_ATTR_DELAY, &d), 0);
			assert_int_equal(d, want_delay[i]);
			assert_string_equal(ipc_get_str(reply,
			    IPC_ATTR_AUTH_STATUS), i < 2 ? "fail" : "tempfail");
			auth_session_free(s);
		}
		assert_string_equal(ipc_get_str(reply, IPC_ATTR_REASON),
		    AUTH_REASON_LIMIT);
		s = auth_session_new();
		handle(s, req("auth-start", "PLAIN", "198.51.100.1",
		    P("\0alice\0pw")), reply, 11);
		assert_string_equal(ipc_get_str(reply, IPC_ATTR_AUTH_STATUS),
		    "tempfail");
		auth_session_free(s);
		s = auth_session_new();
		handle(s, req("auth-start", "PLAIN", "198.51.100.2",
		    P("\0alice\0pw")), reply, 11);
		assert_string_equal(ipc_get_str(reply, IPC_ATTR_AUTH_STATUS),
		    "tempfail");
		auth_session_free(s);
		/* After the window, alice may log in again. */
		s = auth_session_new();
		handle(s, req("auth-start", "PLAIN", "198.51.100.2",
		    P("\0alice\0pw")), reply, 200);
		assert_string_equal(ipc_get_str(reply, IPC_ATTR_AUTH_STATUS), "ok");
		auth_session_free(s);
	}
	ipc_msg_free(reply);
}

static const struct {
	const char *label;
	const char *line;
	enum auth_result want;
	const char *out;	/* challenge / user */
} dcases[] = {
	{"OK with user", "OK\t1\tuser=zoe", AUTH_R_OK, "zoe"},
	{"OK with more params", "OK\t1\tuser=zoe\toriginal_user=Zoe", AUTH_R_OK,
	    "zoe"},
	{"OK without user", "OK\t1", AUTH_R_TEMPFAIL, ""},
	{"OK for another id", "OK\t2\tuser=zoe", AUTH_R_TEMPFAIL, ""},
	{"OK bad id", "OK\t1x\tuser=zoe", AUTH_R_TEMPFAIL, ""},
	{"OK user with escaped tab", "OK\t1\tuser=a\001tb", AUTH_R_OK, "a\tb"},
	{"OK user with escaped LF", "OK\t1\tuser=a\001nb", AUTH_R_TEMPFAIL, ""},
	{"OK bad escape", "OK\t1\tuser=a\001xb", AUTH_R_TEMPFAIL, ""},
	{"FAIL", "FAIL\t1\tuser=zoe", AUTH_R_FAIL, "zoe"},
	{"FAIL bare", "FAIL\t1", AUTH_R_FAIL, ""},
	{"FAIL temp", "FAIL\t1\ttemp", AUTH_R_TEMPFAIL, ""},
	{"CONT empty", "CONT\t1\t", AUTH_R_CONTINUE, ""},
	{"CONT base64", "CONT\t1\tVXNlcm5hbWU6", AUTH_R_CONTINUE, "Username:"},
	{"CONT padded", "CONT\t1\tYQ==", AUTH_R_CONTINUE, "a"},
	{"CONT bad base64", "CONT\t1\t!!!!", AUTH_R_TEMPFAIL, ""},
	{"CONT bad length", "CONT\t1\tYQ=", AUTH_R_TEMPFAIL, ""},
	{"garbage", "hello", AUTH_R_TEMPFAIL, ""},
	{"empty", "", AUTH_R_TEMPFAIL, ""},
	{"unknown verb", "MAYBE\t1\tuser=zoe", AUTH_R_TEMPFAIL, ""},
};

static void
test_dovecot_replies(void **state)
{
	struct strbuf ch, user, reason;
	enum auth_result r;
	const char *got;
	size_t i;

	(void)state;
	strbuf_init(&ch, AUTH_RESP_MAX);
	strbuf_init(&user, AUTH_NAME_MAX);
	strbuf_init(&reason, 512);
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		r = auth_dovecot_parse_reply(dcases[i].line, 1, &ch, &user,
		    &reason);
		got = r == AUTH_R_CONTINUE ? ch.data : user.data;
		if (r != dcases[i].want || strcmp(got, dcases[i].out) != 0)
			fail_msg("case \"%s\": got %d \"%s\", want %d \"%s\"",
			    dcases[i].label, r, got, dcases[i].want,
			    dcases[i].out);
		if (r == AUTH_R_TEMPFAIL && strcmp(reason.data,
		    AUTH_REASON_TEMP) != 0)
			fail_msg("case \"%s\": reason %s", dcases[i].label,
			    reason.data);
	}
	strbuf_release(&ch);
	strbuf_release(&user);
	strbuf_release(&reason);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exchanges),
		cmocka_unit_test(test_dovecot_replies),
	};

	return (cmocka_run_group_tests(tests, setup, NULL));
}
