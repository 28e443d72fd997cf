/*
 * tests/unit/test_sendmail.c — the sendmail command's pure parts: argument
 * parsing (bundling, attached and separate arguments, ignored options,
 * argv[0] modes, errors), stdin conversion (CRLF, the "." line, -i, strict
 * line endings, every split of the input), the postdrop stream validator,
 * and the mailq layout.  Table-driven; failures print got/want.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../sendmail/maildrop.h"
#include "../../sendmail/sendmail.h"
#include "ipc_names.h"

/* ---- arguments ---- */

struct args_case {
	const char *argv[10];
	int	rc;
	enum sm_mode mode;
	int	extract, dot_ends;
	const char *sender, *full_name, *config_dir;
	int	nrcpt;
	const char *first_rcpt;
};

static const struct args_case args_cases[] = {
	{ { "sendmail", "bob", NULL }, 0, SM_MODE_SEND, 0, 1, NULL, NULL, NULL, 1, "bob" },
	{ { "/usr/sbin/sendmail", "-t", "-i", NULL }, 0, SM_MODE_SEND, 1, 0, NULL, NULL, NULL, 0, NULL },
	{ { "sendmail", "-ti", "-fme@x", "a", "b", NULL }, 0, SM_MODE_SEND, 1, 0, "me@x", NULL, NULL, 2, "a" },
	{ { "sendmail", "-f", "me@x", "-F", "Me Myself", "-C", "/c", NULL }, 0, SM_MODE_SEND, 0, 1, "me@x", "Me Myself", "/c", 0, NULL },
	{ { "sendmail", "-oi", "-oem", "-odb", "--", "-dash", NULL }, 0, SM_MODE_SEND, 0, 0, NULL, NULL, NULL, 1, "-dash" },
	{ { "sendmail", "-bp", NULL }, 0, SM_MODE_MAILQ, 0, 1, NULL, NULL, NULL, 0, NULL },
	{ { "/usr/bin/mailq", NULL }, 0, SM_MODE_MAILQ, 0, 1, NULL, NULL, NULL, 0, NULL },
	{ { "newaliases", NULL }, 0, SM_MODE_NEWALIASES, 0, 1, NULL, NULL, NULL, 0, NULL },
	{ { "sendmail", "-bi", NULL }, 0, SM_MODE_NEWALIASES, 0, 1, NULL, NULL, NULL, 0, NULL },
	{ { "sendmail", "-q", NULL }, 0, SM_MODE_FLUSH, 0, 1, NULL, NULL, NULL, 0, NULL },
	{ { "sendmail", "-q30m", NULL }, 0, SM_MODE_FLUSH, 0, 1, NULL, NULL, NULL, 0, NULL },
	{ { "sendmail", "-N", "never", "-R", "hdrs", "-V", "x", "r", NULL }, 0, SM_MODE_SEND, 0, 1, NULL, NULL, NULL, 1, "r" },
	{ { "sendmail", "-r", "bounce@x", "r", NULL }, 0, SM_MODE_SEND, 0, 1, "bounce@x", NULL, NULL, 1, "r" },
	{ { "sendmail", "a", "-t", NULL }, 0, SM_MODE_SEND, 0, 1, NULL, NULL, NULL, 2, "a" },
	{ { "sendmail", "-bs", NULL }, -1, 0, 0, 0, NULL, NULL, NULL, 0, NULL },
	{ { "sendmail", "-Z", NULL }, -1, 0, 0, 0, NULL, NULL, NULL, 0, NULL },
	{ { "sendmail", "-f", NULL }, -1, 0, 0, 0, NULL, NULL, NULL, 0, NULL },
};

static int
streq_null(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void
test_args(void **state)
{
	struct strbuf why;
	struct sm_opts o;
	size_t i;
	int argc, rc;

	(void)state;
	strbuf_init(&why, 1024);
	for (i = 0; i < sizeof(args_cases) / sizeof(args_cases[0]); i++) {
		const struct args_case *c = &args_cases[i];

		for (argc = 0; c->argv[argc] != NULL; argc++)
			;
		strbuf_reset(&why);
		rc = sm_parse_args(argc, (char **)c->argv, &o, &why);
		if (rc != c->rc)
			fail_msg("case %zu (%s %s): rc %d want %d (%s)", i, c->argv[0],
			    c->argv[1] ? c->argv[1] : "", rc, c->rc, why.data);
		if (rc < 0) {
			assert_true(why.len > 0);
			continue;
		}
		if (o.mode != c->mode || o.extract != c->extract ||
		    o.dot_ends != c->dot_ends || !streq_null(o.sender, c->sender) ||
		    !streq_null(o.full_name, c->full_name) ||
		    !streq_null(o.config_dir, c->config_dir) || o.nrcpt != c->nrcpt ||
		    (c->nrcpt > 0 && strcmp(o.rcpts[0], c->first_rcpt) != 0))
			fail_msg("case %zu: got mode=%d t=%d dot=%d f=%s F=%s C=%s n=%d",
			    i, o.mode, o.extract, o.dot_ends, o.sender ? o.sender : "-",
			    o.full_name ? o.full_name : "-",
			    o.config_dir ? o.config_dir : "-", o.nrcpt);
	}
	strbuf_release(&why);
}

static void
test_strip_brackets(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 100);
	assert_string_equal(sm_strip_brackets("<>", &sb), "");
	assert_string_equal(sm_strip_brackets("<a@b>", &sb), "a@b");
	assert_string_equal(sm_strip_brackets("a@b", &sb), "a@b");
	assert_string_equal(sm_strip_brackets("", &sb), "");
	strbuf_release(&sb);
}

/* ---- input conversion ---- */

struct input_case {
	const char *in;
	int	dot_ends;
	enum sm_crlf crlf;
	const char *want;
};

static const struct input_case input_cases[] = {
	{ "a\nb\n", 1, SM_CRLF_ALWAYS, "a\nb\n" },
	{ "a\r\nb\r\n", 1, SM_CRLF_ALWAYS, "a\nb\n" },
	{ "a\r\nb\r\n", 1, SM_CRLF_NEVER, "a\r\nb\r\n" },
	{ "a\rb\r\r\n", 1, SM_CRLF_ALWAYS, "a\rb\r\n" },
	{ "kept\n.\ndropped\n", 1, SM_CRLF_ALWAYS, "kept\n" },
	{ "kept\r\n.\r\ndropped\r\n", 1, SM_CRLF_ALWAYS, "kept\n" },
	{ "kept\n.\ndropped\n", 0, SM_CRLF_ALWAYS, "kept\n.\ndropped\n" },
	{ "..x\n.y\n. \n", 1, SM_CRLF_ALWAYS, "..x\n.y\n. \n" },
	{ "a\n.", 1, SM_CRLF_ALWAYS, "a\n" },
	{ ".\n", 1, SM_CRLF_ALWAYS, "" },
	{ "a\n.", 0, SM_CRLF_ALWAYS, "a\n." },
	{ "x.\ny", 1, SM_CRLF_ALWAYS, "x.\ny" },
	{ "trailing\r", 1, SM_CRLF_ALWAYS, "trailing\r" },
	{ "a\nb\r\n", 1, SM_CRLF_STRICT, "a\nb\r\n" },
	{ "a\r\nb\r\n", 1, SM_CRLF_STRICT, "a\nb\n" },
	{ ".\r", 1, SM_CRLF_ALWAYS, "" },
	{ ".\rx\n", 1, SM_CRLF_ALWAYS, ".\rx\n" },
};

static void
convert(const struct input_case *c, size_t split, struct strbuf *out)
{
	struct sm_input in;
	size_t n = strlen(c->in), off = 0, take;
	long used;

	strbuf_reset(out);
	sm_input_init(&in, c->dot_ends, c->crlf);
	while (off < n && !in.done) {
		take = split == 0 || n - off < split ? n - off : split;
		used = sm_input_feed(&in, c->in + off, take, out);
		assert_true(used >= 0);
		off += (size_t)used;
	}
	assert_int_equal(sm_input_eof(&in, out), 0);
}

static void
test_input(void **state)
{
	struct strbuf out;
	size_t i, split;

	(void)state;
	strbuf_init(&out, 4096);
	for (i = 0; i < sizeof(input_cases) / sizeof(input_cases[0]); i++)
		for (split = 0; split < 4; split++) {
			convert(&input_cases[i], split, &out);
			if (strcmp(out.data, input_cases[i].want) != 0)
				fail_msg("input case %zu split %zu: got [%s] want [%s]",
				    i, split, out.data, input_cases[i].want);
		}
	strbuf_release(&out);
}

static void
test_crlf_mode(void **state)
{
	enum sm_crlf m;

	(void)state;
	assert_int_equal(sm_crlf_mode("strict", &m), 0);
	assert_int_equal(m, SM_CRLF_STRICT);
	assert_int_equal(sm_crlf_mode("sometimes", &m), -1);
}

/* ---- the postdrop stream ---- */

static void
frame(struct strbuf *s, const char *req, const char *name, const char *value)
{
	struct ipc_msg *m = ipc_msg_new();

	ipc_put_str(m, IPC_ATTR_REQ, req);
	if (name != NULL && strcmp(name, IPC_ATTR_CHUNK) == 0)
		ipc_put_bytes(m, name, value, strlen(value));
	else if (name != NULL)
		ipc_put_str(m, name, value);
	assert_int_equal(ipc_encode(m, s), 0);
	ipc_msg_free(m);
}

static void
begin(struct strbuf *s, int flags, const char *sender)
{
	struct ipc_msg *m = ipc_msg_new();

	ipc_put_str(m, IPC_ATTR_REQ, IPC_REQ_BEGIN);
	ipc_put_int(m, IPC_ATTR_FLAGS, flags);
	if (sender != NULL)
		ipc_put_str(m, IPC_ATTR_SENDER, sender);
	assert_int_equal(ipc_encode(m, s), 0);
	ipc_msg_free(m);
}

static void
test_stream(void **state)
{
	struct strbuf s, why;

	(void)state;
	strbuf_init(&s, 1 << 20);
	strbuf_init(&why, 1024);

	/* A good stream. */
	begin(&s, 0, "user");
	frame(&s, IPC_REQ_RCPT, IPC_ATTR_RCPT, "bob@example.org");
	frame(&s, IPC_REQ_DATA, IPC_ATTR_CHUNK, "Subject: x\n\nhi\n");
	frame(&s, IPC_REQ_END, NULL, NULL);
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 1000, 10, &why), 0);
	/* Truncated by one byte, and with a byte after the end. */
	assert_int_equal(maildrop_check_buffer(s.data, s.len - 1, 1 << 20, 1000, 10, &why), -1);
	strbuf_append_char(&s, 'x');
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 1000, 10, &why), -1);
	/* Too big. */
	strbuf_truncate(&s, s.len - 1);
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 5, 10, &why), -1);
	assert_string_equal(why.data, "message file too big");

	/* The user may not ask for CLEANUP_F_LOCAL or BOUNCE. */
	strbuf_reset(&s);
	begin(&s, CLEANUP_F_BOUNCE, "user");
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 0, 0, &why), -1);

	/* No recipients without -t; with -t it is fine. */
	strbuf_reset(&s);
	begin(&s, 0, "user");
	frame(&s, IPC_REQ_END, NULL, NULL);
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 0, 0, &why), -1);
	strbuf_reset(&s);
	begin(&s, CLEANUP_F_EXTRACT, "");
	frame(&s, IPC_REQ_END, NULL, NULL);
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 0, 0, &why), 0);

	/* Bad address, rcpt after data, no sender, wrong first frame. */
	strbuf_reset(&s);
	begin(&s, 0, "user");
	frame(&s, IPC_REQ_RCPT, IPC_ATTR_RCPT, "a@@b");
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 0, 0, &why), -1);
	strbuf_reset(&s);
	begin(&s, 0, "user");
	frame(&s, IPC_REQ_DATA, IPC_ATTR_CHUNK, "x");
	frame(&s, IPC_REQ_RCPT, IPC_ATTR_RCPT, "a@b");
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 0, 0, &why), -1);
	assert_string_equal(why.data, "recipient after content");
	strbuf_reset(&s);
	begin(&s, 0, NULL);
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 0, 0, &why), -1);
	strbuf_reset(&s);
	frame(&s, IPC_REQ_END, NULL, NULL);
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 0, 0, &why), -1);
	/* Recipient limit. */
	strbuf_reset(&s);
	begin(&s, 0, "user");
	frame(&s, IPC_REQ_RCPT, IPC_ATTR_RCPT, "a");
	frame(&s, IPC_REQ_RCPT, IPC_ATTR_RCPT, "b");
	frame(&s, IPC_REQ_END, NULL, NULL);
	assert_int_equal(maildrop_check_buffer(s.data, s.len, 1 << 20, 0, 1, &why), -1);
	assert_string_equal(why.data, "too many recipients");
	strbuf_release(&s);
	strbuf_release(&why);
}

/* ---- mailq layout ---- */

static void
test_mailq_format(void **state)
{
	struct mailq_totals t = { 0, 0 };
	struct ipc_msg *m = ipc_msg_new();
	struct strbuf out;
	const char *want_start = "0123456789ABCDEF0*    1234 ";

	(void)state;
	strbuf_init(&out, 8192);
	mailq_format_header(&out);
	assert_string_equal(out.data, "-Queue ID-  --Size-- ----Arrival Time---- "
	    "-Sender/Recipient-------\n");
	strbuf_reset(&out);
	ipc_put_str(m, IPC_ATTR_QUEUE_ID, "0123456789ABCDEF0");
	ipc_put_str(m, IPC_ATTR_QUEUE_NAME, "active");
	ipc_put_int(m, IPC_ATTR_SIZE, 1234);
	ipc_put_int(m, IPC_ATTR_ARRIVAL, 0);
	ipc_put_str(m, IPC_ATTR_SENDER, "sender@example.com");
	ipc_put_str(m, IPC_ATTR_RCPT, "r1@example.com");
	ipc_put_str(m, IPC_ATTR_RCPT_REASON, "timed out");
	ipc_put_str(m, IPC_ATTR_RCPT, "r2@example.com");
	ipc_put_str(m, IPC_ATTR_RCPT_REASON, "timed out");
	ipc_put_str(m, IPC_ATTR_RCPT, "r3\001@example.com");
	ipc_put_str(m, IPC_ATTR_RCPT_REASON, "");
	assert_int_equal(mailq_format_entry(m, &out, &t), 0);
	if (strncmp(out.data, want_start, strlen(want_start)) != 0)
		fail_msg("got [%s]", out.data);
	assert_non_null(strstr(out.data, "  sender@example.com\n(timed out)\n"
	    "                                         r1@example.com\n"
	    "                                         r2@example.com\n"
	    "                                         r3?@example.com\n\n"));
	strbuf_reset(&out);
	mailq_format_footer(&t, &out);
	assert_string_equal(out.data, "-- 2 Kbytes in 1 Request.\n");
	t.requests = 0;
	strbuf_reset(&out);
	mailq_format_footer(&t, &out);
	assert_string_equal(out.data, "Mail queue is empty\n");
	/* A frame without an id is refused. */
	ipc_msg_reset(m);
	assert_int_equal(mailq_format_entry(m, &out, &t), -1);
	ipc_msg_free(m);
	strbuf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_strip_brackets),
		cmocka_unit_test(test_input),
		cmocka_unit_test(test_crlf_mode),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_mailq_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
