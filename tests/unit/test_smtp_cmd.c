/*
 * tests/unit/test_smtp_cmd.c — SMTP command lines to verb, argument and
 * MAIL/RCPT parameters, and the reply formatter (lib/smtp_reply.c).
 * Table-driven; failures print got/want.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "smtp_cmd.h"
#include "smtp_reply.h"

static const struct {
	const char *line;
	enum smtp_verb verb;
	const char *arg;
	enum smtp_cmd_err err;
} verbs[] = {
	{"EHLO client.example", SMTP_VERB_EHLO, "client.example", SMTP_CMD_OK},
	{"ehlo   client.example  ", SMTP_VERB_EHLO, "client.example", SMTP_CMD_OK},
	{"HELO", SMTP_VERB_HELO, "", SMTP_CMD_OK},
	{"MAIL FROM:<a@b>", SMTP_VERB_MAIL, "FROM:<a@b>", SMTP_CMD_OK},
	{"rcpt to:<a@b>", SMTP_VERB_RCPT, "to:<a@b>", SMTP_CMD_OK},
	{"DATA", SMTP_VERB_DATA, "", SMTP_CMD_OK},
	{"QUIT", SMTP_VERB_QUIT, "", SMTP_CMD_OK},
	{"StartTLS", SMTP_VERB_STARTTLS, "", SMTP_CMD_OK},
	{"GET / HTTP/1.1", SMTP_VERB_HTTP, "/ HTTP/1.1", SMTP_CMD_OK},
	{"CONNECT host:25 HTTP/1.0", SMTP_VERB_HTTP, "host:25 HTTP/1.0", SMTP_CMD_OK},
	{"MAILFROM:<a@b>", SMTP_VERB_UNKNOWN, "", SMTP_CMD_OK},
	{"DATAX", SMTP_VERB_UNKNOWN, "", SMTP_CMD_OK},
	{"", SMTP_VERB_UNKNOWN, "", SMTP_CMD_OK},
	{"NOOP \x01", SMTP_VERB_NOOP, "\x01", SMTP_CMD_E_CHAR},
	{"NOOP\tx", SMTP_VERB_NOOP, "x", SMTP_CMD_OK},
};

static void
test_verbs(void **state)
{
	struct smtp_cmd c;
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		enum smtp_cmd_err e = smtp_cmd_parse(verbs[i].line,
		    strlen(verbs[i].line), &c);

		if (e != verbs[i].err || c.verb != verbs[i].verb
		    || c.arg_len != strlen(verbs[i].arg)
		    || memcmp(c.arg, verbs[i].arg, c.arg_len) != 0)
			fail_msg("\"%s\": got verb %d arg \"%.*s\" err %d, want %d \"%s\" %d",
			    verbs[i].line, c.verb, (int)c.arg_len, c.arg, e,
			    verbs[i].verb, verbs[i].arg, verbs[i].err);
	}
}

static void
test_nul_in_line(void **state)
{
	struct smtp_cmd c;

	(void)state;
	assert_int_equal(smtp_cmd_parse("NOOP a\0b", 8, &c), SMTP_CMD_E_CHAR);
}

static const struct {
	const char *arg;
	int	rcpt;
	enum smtp_cmd_err err;
	const char *addr;
	uint64_t size;
	int	body;
} paths[] = {
	{"FROM:<a@b.example>", 0, SMTP_CMD_OK, "a@b.example", 0, 0},
	{"from:<a@B.example>", 0, SMTP_CMD_OK, "a@b.example", 0, 0},
	{"FROM: <a@b.example>", 0, SMTP_CMD_OK, "a@b.example", 0, 0},
	{"FROM:<>", 0, SMTP_CMD_OK, "", 0, 0},
	{"FROM:<a@b.example> SIZE=1000", 0, SMTP_CMD_OK, "a@b.example", 1000, 0},
	{"FROM:<a@b.example> size=5 body=8bitmime", 0, SMTP_CMD_OK, "a@b.example", 5,
	    SMTP_BODY_8BITMIME},
	{"FROM:<a@b.example>  BODY=7BIT ", 0, SMTP_CMD_OK, "a@b.example", 0, SMTP_BODY_7BIT},
	{"FROM:<a@b.example> SIZE=", 0, SMTP_CMD_E_PARAM, NULL, 0, 0},
	{"FROM:<a@b.example> SIZE=-1", 0, SMTP_CMD_E_PARAM, NULL, 0, 0},
	{"FROM:<a@b.example> SIZE=99999999999999999999", 0, SMTP_CMD_E_PARAM, NULL, 0, 0},
	{"FROM:<a@b.example> SIZE=18446744073709551615", 0, SMTP_CMD_OK, "a@b.example",
	    UINT64_MAX, 0},
	{"FROM:<a@b.example> BODY=BINARYMIME", 0, SMTP_CMD_E_PARAM, NULL, 0, 0},
	{"FROM:<a@b.example> FOO", 0, SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"FROM:<a@b.example>x", 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"FROM:a@b.example", 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"FROM:<a@@b>", 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"FROM <a@b>", 0, SMTP_CMD_E_SYNTAX, NULL, 0, 0},
	{"TO:<a@b>", 0, SMTP_CMD_E_SYNTAX, NULL, 0, 0},
	{"", 0, SMTP_CMD_E_SYNTAX, NULL, 0, 0},
	{"TO:<postmaster>", 1, SMTP_CMD_OK, "postmaster", 0, 0},
	{"TO:<u@example.org>", 1, SMTP_CMD_OK, "u@example.org", 0, 0},
	{"TO:<>", 1, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"TO:<u@example.org> SIZE=1", 1, SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"FROM:<u@example.org>", 1, SMTP_CMD_E_SYNTAX, NULL, 0, 0},
};

static void
test_paths(void **state)
{
	struct smtp_path_args a;
	const char *why;
	size_t	i;

	(void)state;
	smtp_path_args_init(&a);
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		enum smtp_cmd_err e = smtp_cmd_parse_path(paths[i].arg,
		    strlen(paths[i].arg), paths[i].rcpt, &a, &why);

		if (e != paths[i].err)
			fail_msg("\"%s\": got err %d (%s) want %d", paths[i].arg, e,
			    why, paths[i].err);
		if (e != SMTP_CMD_OK)
			continue;
		if (strcmp(a.addr.data, paths[i].addr) != 0 || a.size != paths[i].size
		    || a.body != paths[i].body)
			fail_msg("\"%s\": got <%s> size %ju body %d", paths[i].arg,
			    a.addr.data, (uintmax_t)a.size, a.body);
	}
	/* The offending parameter is named. */
	assert_int_equal(smtp_cmd_parse_path("FROM:<a@b> X=1 FOO=2", 20, 0, &a, &why),
	    SMTP_CMD_E_UNSUPPORTED);
	assert_int_equal(a.bad_len, 3);
	assert_memory_equal(a.bad, "X=1", 3);
	smtp_path_args_release(&a);
}

static void
test_reply(void **state)
{
	struct strbuf out;
	int	code;

	(void)state;
	strbuf_init(&out, 1024);
	smtp_reply_format(&out, 250, NULL, "host\nPIPELINING\n8BITMIME");
	assert_string_equal(out.data, "250-host\r\n250-PIPELINING\r\n250 8BITMIME\r\n");
	strbuf_reset(&out);
	smtp_reply_format(&out, 550, "5.1.1", "no\rsuch");
	assert_string_equal(out.data, "550 5.1.1 no such\r\n");
	strbuf_reset(&out);
	assert_int_equal(smtp_reply_text(&out, "554 5.7.1 denied"), 0);
	assert_string_equal(out.data, "554 5.7.1 denied\r\n");
	strbuf_reset(&out);
	assert_int_equal(smtp_reply_text(&out, "554 4.7.1 class mismatch"), -1);
	assert_string_equal(out.data, "451 4.3.0 Error: internal error\r\n");
	assert_int_equal(smtp_reply_check("451 4.3.0 x", &code), 0);
	assert_int_equal(code, 451);
	assert_int_equal(smtp_reply_check("250 2.0.0", NULL), 0);
	assert_int_equal(smtp_reply_check("250 2.0.0 a\r\n250 b", NULL), -1);
	assert_int_equal(smtp_reply_check("25 2.0.0 x", NULL), -1);
	assert_int_equal(smtp_reply_check("650 6.0.0 x", NULL), -1);
	assert_int_equal(smtp_reply_check("250 2.0 x", NULL), -1);
	assert_int_equal(smtp_reply_check("250 2.0.x", NULL), -1);
	strbuf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_nul_in_line),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_reply),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
