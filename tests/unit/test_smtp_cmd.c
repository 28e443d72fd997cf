/*
 * tests/unit/test_smtp_cmd.c — SMTP command lines to verb, argument and
 * MAIL/RCPT parameters (SIZE, BODY, SMTPUTF8, DSN: values, limits,
 * duplicates, switched-off extensions, exact replies), the BDAT argument,
 * EHLO keyword lists, and the reply formatter (lib/smtp_reply.c).
 * Table-driven; failures print got/want.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ipc_names.h"
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

#define R	SMTP_PATH_RCPT
#define RU	(SMTP_PATH_RCPT | SMTP_PATH_UTF8)
#define OFF_DSN	SMTP_EXT_DSN
#define NS	DSN_NOTIFY_SUCCESS
#define NF	DSN_NOTIFY_FAILURE
#define ND	DSN_NOTIFY_DELAY

static const struct path_case {
	const char *arg;
	int	flags;
	unsigned off;
	enum smtp_cmd_err err;
	const char *addr;
	uint64_t size;
	int	body;
} paths[] = {
	{"FROM:<a@b.example>", 0, 0, SMTP_CMD_OK, "a@b.example", 0, 0},
	{"from:<a@B.example>", 0, 0, SMTP_CMD_OK, "a@b.example", 0, 0},
	{"FROM: <a@b.example>", 0, 0, SMTP_CMD_OK, "a@b.example", 0, 0},
	{"FROM:<>", 0, 0, SMTP_CMD_OK, "", 0, 0},
	{"FROM:<a@b.example> SIZE=1000", 0, 0, SMTP_CMD_OK, "a@b.example", 1000, 0},
	{"FROM:<a@b.example> size=5 body=8bitmime", 0, 0, SMTP_CMD_OK, "a@b.example", 5,
	    SMTP_BODY_8BITMIME},
	{"FROM:<a@b.example>  BODY=7BIT ", 0, 0, SMTP_CMD_OK, "a@b.example", 0, SMTP_BODY_7BIT},
	{"FROM:<a@b.example> SIZE=", 0, 0, SMTP_CMD_E_PARAM, NULL, 0, 0},
	{"FROM:<a@b.example> SIZE", 0, 0, SMTP_CMD_E_PARAM, NULL, 0, 0},
	{"FROM:<a@b.example> SIZE=-1", 0, 0, SMTP_CMD_E_PARAM, NULL, 0, 0},
	{"FROM:<a@b.example> SIZE=99999999999999999999", 0, 0, SMTP_CMD_E_PARAM, NULL, 0, 0},
	{"FROM:<a@b.example> SIZE=18446744073709551615", 0, 0, SMTP_CMD_OK, "a@b.example",
	    UINT64_MAX, 0},
	{"FROM:<a@b.example> SIZE=1 SIZE=1", 0, 0, SMTP_CMD_E_DUP, NULL, 0, 0},
	{"FROM:<a@b.example> BODY=7BIT body=7bit", 0, 0, SMTP_CMD_E_DUP, NULL, 0, 0},
	{"FROM:<a@b.example> BODY=BINARYMIME", 0, SMTP_EXT_BINARYMIME,
	    SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"FROM:<a@b.example> BODY=BINARYMIME", 0, 0, SMTP_CMD_OK, "a@b.example", 0,
	    SMTP_BODY_BINARYMIME},
	{"FROM:<a@b.example> BODY=8BITMIME", 0, SMTP_EXT_8BITMIME,
	    SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"FROM:<a@b.example> BODY=9BIT", 0, 0, SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"FROM:<a@b.example> SIZE=10", 0, SMTP_EXT_SIZE, SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"FROM:<a@b.example> FOO", 0, 0, SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"FROM:<a@b.example> NOTIFY=NEVER", 0, 0, SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"FROM:<a@b.example>x", 0, 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"FROM:a@b.example", 0, 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"FROM:<a@@b>", 0, 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"FROM <a@b>", 0, 0, SMTP_CMD_E_SYNTAX, NULL, 0, 0},
	{"TO:<a@b>", 0, 0, SMTP_CMD_E_SYNTAX, NULL, 0, 0},
	{"", 0, 0, SMTP_CMD_E_SYNTAX, NULL, 0, 0},
	{"TO:<postmaster>", R, 0, SMTP_CMD_OK, "postmaster", 0, 0},
	{"TO:<u@example.org>", R, 0, SMTP_CMD_OK, "u@example.org", 0, 0},
	{"TO:<>", R, 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"TO:<u@example.org> SIZE=1", R, 0, SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"TO:<u@example.org> RET=FULL", R, 0, SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"FROM:<u@example.org>", R, 0, SMTP_CMD_E_SYNTAX, NULL, 0, 0},
	/* SMTPUTF8 (RFC 6531) */
	{"FROM:<j\xc3\xb6rg@b\xc3\xbc.de> SMTPUTF8", 0, 0, SMTP_CMD_OK,
	    "j\xc3\xb6rg@b\xc3\xbc.de", 0, 0},
	{"FROM:<j\xc3\xb6rg@x.de>", 0, 0, SMTP_CMD_E_UTF8, NULL, 0, 0},
	{"FROM:<a@x.de> SMTPUTF8=yes", 0, 0, SMTP_CMD_E_PARAM, NULL, 0, 0},
	{"FROM:<a@x.de> SMTPUTF8 SMTPUTF8", 0, 0, SMTP_CMD_E_DUP, NULL, 0, 0},
	{"FROM:<a@x.de> SMTPUTF8", 0, SMTP_EXT_SMTPUTF8, SMTP_CMD_E_UNSUPPORTED, NULL, 0, 0},
	{"FROM:<j\xc3\xb6rg@x.de> SMTPUTF8", 0, SMTP_EXT_SMTPUTF8, SMTP_CMD_E_UNSUPPORTED,
	    NULL, 0, 0},
	{"FROM:<j\xc3@x.de> SMTPUTF8", 0, 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"FROM:<j\xc0\xafrg@x.de> SMTPUTF8", 0, 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"FROM:<j\xed\xa0\x80@x.de> SMTPUTF8", 0, 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"FROM:<j\xc2\x85@x.de> SMTPUTF8", 0, 0, SMTP_CMD_E_ADDR, NULL, 0, 0},
	{"TO:<\xe7\x94\xa8@\xe4\xbe\x8b.jp>", R, 0, SMTP_CMD_E_UTF8, NULL, 0, 0},
	{"TO:<\xe7\x94\xa8@\xe4\xbe\x8b.jp>", RU, 0, SMTP_CMD_OK, "\xe7\x94\xa8@\xe4\xbe\x8b.jp",
	    0, 0},
	/* DSN (RFC 3461) parameters: values in the next table */
	{"FROM:<a@x.de> RET=FULL ENVID=x", 0, OFF_DSN, SMTP_CMD_E_DISABLED, NULL, 0, 0},
	{"TO:<a@x.de> NOTIFY=NEVER", R, OFF_DSN, SMTP_CMD_E_DISABLED, NULL, 0, 0},
	{"FROM:<a@x.de> RET=FULL RET=HDRS", 0, 0, SMTP_CMD_E_DUP, NULL, 0, 0},
	{"FROM:<a@x.de> ENVID=a ENVID=a", 0, 0, SMTP_CMD_E_DUP, NULL, 0, 0},
	{"TO:<a@x.de> NOTIFY=NEVER NOTIFY=NEVER", R, 0, SMTP_CMD_E_DUP, NULL, 0, 0},
	{"TO:<a@x.de> ORCPT=rfc822;a@x.de ORCPT=rfc822;a@x.de", R, 0, SMTP_CMD_E_DUP,
	    NULL, 0, 0},
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
		const struct path_case *p = &paths[i];
		enum smtp_cmd_err e = smtp_cmd_parse_path(p->arg, strlen(p->arg),
		    p->flags, p->off, &a, &why);

		if (e != p->err)
			fail_msg("\"%s\": got err %d (%s) want %d", p->arg, e, why,
			    p->err);
		if (e != SMTP_CMD_OK)
			continue;
		if (strcmp(a.addr.data, p->addr) != 0 || a.size != p->size
		    || a.body != p->body)
			fail_msg("\"%s\": got <%s> size %ju body %d", p->arg,
			    a.addr.data, (uintmax_t)a.size, a.body);
	}
	/* The offending parameter is named. */
	assert_int_equal(smtp_cmd_parse_path("FROM:<a@b> X=1 FOO=2", 20, 0, 0, &a,
	    &why), SMTP_CMD_E_UNSUPPORTED);
	assert_int_equal(a.bad_len, 3);
	assert_memory_equal(a.bad, "X=1", 3);
	smtp_path_args_release(&a);
}

/* DSN and SMTPUTF8 values as stored. */
static const struct dsn_case {
	const char *arg;
	int	flags;
	enum smtp_cmd_err err;
	int	ret;
	const char *envid;
	int	notify;
	const char *orcpt;
	int	smtputf8;
} dsn_cases[] = {
	{"FROM:<a@x.de> RET=FULL", 0, SMTP_CMD_OK, SMTP_RET_FULL, "", 0, "", 0},
	{"FROM:<a@x.de> ret=hdrs", 0, SMTP_CMD_OK, SMTP_RET_HDRS, "", 0, "", 0},
	{"FROM:<a@x.de> RET=ALL", 0, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> RET", 0, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> ENVID=QQ314159", 0, SMTP_CMD_OK, 0, "QQ314159", 0, "", 0},
	{"FROM:<a@x.de> ENVID=a+2Bb+3dc+20d", 0, SMTP_CMD_OK, 0, "a+b=c d", 0, "", 0},
	{"FROM:<a@x.de> ENVID=", 0, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> ENVID=a+2", 0, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> ENVID=a+ZZ", 0, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> ENVID=a+0Ab", 0, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> ENVID=a+00b", 0, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> ENVID=a+C3+B6", 0, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> ENVID=a=b", 0, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> ENVID=\xc3\xb6", 0, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> ENVID=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0, SMTP_CMD_OK, 0,
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0, "", 0},
	{"FROM:<a@x.de> ENVID=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy", 0, SMTP_CMD_E_PARAM,
	    0, NULL, 0, NULL, 0},
	{"FROM:<a@x.de> SMTPUTF8 RET=HDRS", 0, SMTP_CMD_OK, SMTP_RET_HDRS, "", 0, "", 1},
	{"TO:<a@x.de> NOTIFY=NEVER", R, SMTP_CMD_OK, 0, "", DSN_NOTIFY_NEVER, "", 0},
	{"TO:<a@x.de> NOTIFY=success,FAILURE,Delay", R, SMTP_CMD_OK, 0, "", NS | NF | ND,
	    "", 0},
	{"TO:<a@x.de> NOTIFY=DELAY", R, SMTP_CMD_OK, 0, "", ND, "", 0},
	{"TO:<a@x.de> NOTIFY=NEVER,SUCCESS", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> NOTIFY=SUCCESS,NEVER", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> NOTIFY=SUCCESS,SUCCESS", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> NOTIFY=SUCCESS,", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> NOTIFY=,DELAY", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> NOTIFY=", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> NOTIFY", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> NOTIFY=ALWAYS", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> ORCPT=rfc822;b@y.de", R, SMTP_CMD_OK, 0, "", 0, "rfc822;b@y.de", 0},
	{"TO:<a@x.de> ORCPT=RFC822;b+2Bc@y.de", R, SMTP_CMD_OK, 0, "", 0,
	    "RFC822;b+c@y.de", 0},
	{"TO:<a@x.de> ORCPT=rfc822;postmaster", R, SMTP_CMD_OK, 0, "", 0,
	    "rfc822;postmaster", 0},
	{"TO:<a@x.de> ORCPT=x-local;some+20thing", R, SMTP_CMD_OK, 0, "", 0,
	    "x-local;some thing", 0},
	{"TO:<a@x.de> NOTIFY=FAILURE ORCPT=rfc822;b@y.de", R, SMTP_CMD_OK, 0, "", NF,
	    "rfc822;b@y.de", 0},
	{"TO:<a@x.de> ORCPT=b@y.de", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> ORCPT=;b@y.de", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> ORCPT=rfc822;", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> ORCPT=rfc 822;b@y.de", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> ORCPT=rf.c;b@y.de", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> ORCPT=rfc822;b@@y.de", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> ORCPT=rfc822;b+0D+0A@y.de", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> ORCPT=rfc822;b+C3+B6@y.de", R, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
	{"TO:<a@x.de> ORCPT=rfc822;b+C3+B6@y.de", RU, SMTP_CMD_OK, 0, "", 0,
	    "rfc822;b\xc3\xb6@y.de", 0},
	{"TO:<a@x.de> ORCPT=rfc822;b+C3@y.de", RU, SMTP_CMD_E_PARAM, 0, NULL, 0, NULL, 0},
};

static void
test_dsn_params(void **state)
{
	struct smtp_path_args a;
	const char *why;
	size_t	i;

	(void)state;
	smtp_path_args_init(&a);
	for (i = 0; i < sizeof(dsn_cases) / sizeof(dsn_cases[0]); i++) {
		const struct dsn_case *d = &dsn_cases[i];
		enum smtp_cmd_err e = smtp_cmd_parse_path(d->arg, strlen(d->arg),
		    d->flags, 0, &a, &why);

		if (e != d->err)
			fail_msg("\"%s\": got err %d (%s) want %d", d->arg, e, why,
			    d->err);
		if (e != SMTP_CMD_OK)
			continue;
		if (a.ret != d->ret || strcmp(a.envid.data, d->envid) != 0
		    || a.notify != d->notify || strcmp(a.orcpt.data, d->orcpt) != 0
		    || a.smtputf8 != d->smtputf8)
			fail_msg("\"%s\": got ret %d envid \"%s\" notify %#x orcpt \"%s\""
			    " utf8 %d", d->arg, a.ret, a.envid.data, a.notify,
			    a.orcpt.data, a.smtputf8);
	}
	/* 500 characters of ORCPT are fine, 501 are not. */
	{
		char	arg[700];
		size_t	n;

		n = (size_t)snprintf(arg, sizeof(arg), "TO:<a@x.de> ORCPT=x;");
		while (n < 18 + 500)	/* "TO:<a@x.de> ORCPT=" is 18 */
			arg[n++] = 'y';
		arg[n] = '\0';
		assert_int_equal(smtp_cmd_parse_path(arg, n, R, 0, &a, &why), SMTP_CMD_OK);
		assert_int_equal(a.orcpt.len, 500);
		arg[n++] = 'y';
		arg[n] = '\0';
		assert_int_equal(smtp_cmd_parse_path(arg, n, R, 0, &a, &why),
		    SMTP_CMD_E_PARAM);
	}
	smtp_path_args_release(&a);
}

/* The replies: exact code, enhanced code and text. */
static const struct {
	const char *arg;
	int	flags;
	unsigned off;
	const char *reply;
} replies[] = {
	{"FROM <a@b>", 0, 0, "501 5.5.4 Syntax: MAIL FROM:<address>"},
	{"TO <a@b>", R, 0, "501 5.5.4 Syntax: RCPT TO:<address>"},
	{"FROM:<a@@b>", 0, 0, "501 5.1.7 Bad sender address syntax"},
	{"TO:<a@@b>", R, 0, "501 5.1.3 Bad recipient address syntax"},
	{"FROM:<\xc3\xb6@b>", 0, 0, "553 5.6.7 Must declare SMTPUTF8 to send unicode address"},
	{"TO:<\xc3\xb6@b>", R, 0, "553 5.6.7 Must declare SMTPUTF8 to send unicode address"},
	{"FROM:<a@b> SIZE=x", 0, 0, "501 5.5.4 Bad message size syntax"},
	{"FROM:<a@b> RET=x", 0, 0, "501 5.5.4 Bad RET parameter syntax"},
	{"FROM:<a@b> ENVID=+", 0, 0, "501 5.5.4 Bad ENVID parameter syntax"},
	{"TO:<a@b> NOTIFY=x", R, 0, "501 5.5.4 Error: Bad NOTIFY parameter syntax"},
	{"TO:<a@b> ORCPT=x", R, 0, "501 5.5.4 Error: Bad ORCPT parameter syntax"},
	{"TO:<a@b> NOTIFY=NEVER notify=never", R, 0,
	    "501 5.5.4 Error: duplicate notify parameter"},
	{"FROM:<a@b> ENVID=x", 0, OFF_DSN, "501 5.7.1 DSN support is disabled"},
	{"FROM:<a@b> SMTPUTF8", 0, SMTP_EXT_SMTPUTF8, "555 5.5.4 Unsupported option: SMTPUTF8"},
	{"FROM:<a@b> BODY=BINARYMIME", 0, SMTP_EXT_BINARYMIME,
	    "555 5.5.4 Unsupported option: BODY=BINARYMIME"},
	/* AUTH= only where AUTH is offered (submission, RFC 4954 5). */
	{"FROM:<a@b> AUTH=<>", 0, SMTP_EXT_AUTH,
	    "555 5.5.4 Unsupported option: AUTH=<>"},
	{"FROM:<a@b> AUTH=a+zz", 0, 0, "501 5.5.4 Bad AUTH parameter syntax"},
	{"FROM:<a@b> AUTH=", 0, 0, "501 5.5.4 Bad AUTH parameter syntax"},
	{"FROM:<a@b> AUTH=a+0Ab", 0, 0, "501 5.5.4 Bad AUTH parameter syntax"},
};

static void
test_path_replies(void **state)
{
	struct smtp_path_args a;
	struct strbuf text, got;
	const char *why, *esc;
	size_t	i;
	int	code;

	(void)state;
	smtp_path_args_init(&a);
	strbuf_init(&text, 1024);
	strbuf_init(&got, 1024);
	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		enum smtp_cmd_err e = smtp_cmd_parse_path(replies[i].arg,
		    strlen(replies[i].arg), replies[i].flags, replies[i].off, &a, &why);

		if (e == SMTP_CMD_OK)
			fail_msg("\"%s\": accepted", replies[i].arg);
		code = smtp_cmd_path_reply(e, replies[i].flags, &a, why, &esc, &text);
		strbuf_set_printf(&got, "%d %s %s", code, esc, text.data);
		if (strcmp(got.data, replies[i].reply) != 0)
			fail_msg("\"%s\": got \"%s\" want \"%s\"", replies[i].arg,
			    got.data, replies[i].reply);
	}
	strbuf_release(&text);
	strbuf_release(&got);
	smtp_path_args_release(&a);
}

static const struct {
	const char *arg;
	enum smtp_cmd_err err;
	uint64_t size;
	int	last;
} bdats[] = {
	{"0 LAST", SMTP_CMD_OK, 0, 1},
	{"100", SMTP_CMD_OK, 100, 0},
	{"100 last", SMTP_CMD_OK, 100, 1},
	{"100\tLAST", SMTP_CMD_OK, 100, 1},
	{"18446744073709551615", SMTP_CMD_OK, UINT64_MAX, 0},
	{"18446744073709551616", SMTP_CMD_E_SYNTAX, 0, 0},
	{"", SMTP_CMD_E_SYNTAX, 0, 0},
	{"LAST", SMTP_CMD_E_SYNTAX, 0, 0},
	{"-1", SMTP_CMD_E_SYNTAX, 0, 0},
	{"+1", SMTP_CMD_E_SYNTAX, 0, 0},
	{"0x10", SMTP_CMD_E_SYNTAX, 0, 0},
	{"10LAST", SMTP_CMD_E_SYNTAX, 0, 0},
	{"10 LAST x", SMTP_CMD_E_SYNTAX, 0, 0},
	{"10 LASTX", SMTP_CMD_E_SYNTAX, 0, 0},
	{"10 FIRST", SMTP_CMD_E_SYNTAX, 0, 0},
};

static void
test_bdat(void **state)
{
	uint64_t size;
	size_t	i;
	int	last;

	(void)state;
	for (i = 0; i < sizeof(bdats) / sizeof(bdats[0]); i++) {
		enum smtp_cmd_err e;

		size = 12345;
		last = 7;
		e = smtp_cmd_parse_bdat(bdats[i].arg, strlen(bdats[i].arg), &size, &last);
		if (e != bdats[i].err || (e == SMTP_CMD_OK && (size != bdats[i].size
		    || last != bdats[i].last)))
			fail_msg("BDAT \"%s\": got err %d size %ju last %d", bdats[i].arg,
			    e, (uintmax_t)size, last);
	}
}

static void
test_ext_mask(void **state)
{
	struct strbuf names;

	(void)state;
	assert_int_equal(smtp_ext_mask(""), 0);
	assert_int_equal(smtp_ext_mask(NULL), 0);
	assert_int_equal(smtp_ext_mask("dsn"), SMTP_EXT_DSN);
	assert_int_equal(smtp_ext_mask(" Chunking,  smtputf8\tpipelining ,nonsense"),
	    SMTP_EXT_CHUNKING | SMTP_EXT_SMTPUTF8 | SMTP_EXT_PIPELINING);
	assert_int_equal(smtp_ext_mask("silent-discard, dsn"),
	    SMTP_EXT_SILENT | SMTP_EXT_DSN);
	assert_int_equal(smtp_ext_mask("dsnx sizes"), 0);
	strbuf_init(&names, 256);
	smtp_ext_names(SMTP_EXT_SILENT | SMTP_EXT_DSN | SMTP_EXT_SIZE, &names);
	assert_string_equal(names.data, "SIZE DSN");
	strbuf_release(&names);
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
		cmocka_unit_test(test_dsn_params),
		cmocka_unit_test(test_path_replies),
		cmocka_unit_test(test_bdat),
		cmocka_unit_test(test_ext_mask),
		cmocka_unit_test(test_reply),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
