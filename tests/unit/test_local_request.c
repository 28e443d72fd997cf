/*
 * tests/unit/test_local_request.c — local-delivery's request validation:
 * the queue file must be exactly active/ID, counts and types must agree,
 * offsets must be sane and unique, and every recipient must match a
 * pending recipient of the queue file.  Also: what qmgr builds is what
 * local accepts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../local-delivery/local.h"
#include "../../qmgr/qmgr.h"
#include "ipc_names.h"

#define ID "0123456789ABCDEF0"

/* Variations of one request, applied by build(). */
struct req_spec {
	const char *label;
	const char *req, *queue_id, *queue_file, *sender;
	int	nrcpt;
	const char *rcpt0;
	int	orcpts;		/* -1: as many as rcpts, else that many */
	int	offsets;	/* -1: as many as rcpts */
	int64_t	off0, off1;
	int	off_as_str;
	int	ok;
};

static struct ipc_msg *
build(const struct req_spec *s)
{
	struct ipc_msg *m = ipc_msg_new();
	int i, nor = s->orcpts < 0 ? s->nrcpt : s->orcpts;
	int noff = s->offsets < 0 ? s->nrcpt : s->offsets;
	char addr[64];

	if (s->req)
		ipc_put_str(m, IPC_ATTR_REQ, s->req);
	if (s->queue_id)
		ipc_put_str(m, IPC_ATTR_QUEUE_ID, s->queue_id);
	if (s->queue_file)
		ipc_put_str(m, IPC_ATTR_QUEUE_FILE, s->queue_file);
	if (s->sender)
		ipc_put_str(m, IPC_ATTR_SENDER, s->sender);
	for (i = 0; i < s->nrcpt; i++) {
		snprintf(addr, sizeof(addr), "u%d@localhost", i);
		ipc_put_str(m, IPC_ATTR_RCPT, i == 0 && s->rcpt0 ? s->rcpt0 : addr);
	}
	for (i = 0; i < nor; i++)
		ipc_put_str(m, IPC_ATTR_ORCPT, "");
	for (i = 0; i < noff; i++) {
		int64_t off = i == 0 ? s->off0 : i == 1 ? s->off1 : 1000 + i;

		if (s->off_as_str)
			ipc_put_str(m, IPC_ATTR_RCPT_OFFSET, "100");
		else
			ipc_put_int(m, IPC_ATTR_RCPT_OFFSET, off);
	}
	return m;
}

#define OK_REQ "deliver", ID, "active/" ID, "a@example.org"

static void
test_validation_table(void **state)
{
	static const struct req_spec cases[] = {
		{ "valid, one recipient", OK_REQ, 1, NULL, -1, -1, 100, 0, 0, 1 },
		{ "valid, two recipients", OK_REQ, 2, NULL, -1, -1, 100, 200, 0, 1 },
		{ "valid, null sender", "deliver", ID, "active/" ID, "", 1, NULL, -1, -1, 100, 0, 0, 1 },
		{ "valid, no orcpt at all", OK_REQ, 2, NULL, 0, -1, 100, 200, 0, 1 },
		{ "wrong request", "list", ID, "active/" ID, "a@b", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "no request name", NULL, ID, "active/" ID, "a@b", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "bad queue id", "deliver", "../../etc/passwd", "active/" ID, "a@b", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "lower-case id", "deliver", "0123456789abcdef0", "active/0123456789abcdef0", "a@b", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "path escape", "deliver", ID, "active/../x", "a@b", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "incoming queue", "deliver", ID, "incoming/" ID, "a@b", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "absolute path", "deliver", ID, "/var/spool/tegami/active/" ID, "a@b", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "dot segment", "deliver", ID, "active/./" ID, "a@b", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "other id", "deliver", ID, "active/0123456789ABCDEF1", "a@b", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "no queue file", "deliver", ID, NULL, "a@b", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "no sender", "deliver", ID, "active/" ID, NULL, 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "sender with newline", "deliver", ID, "active/" ID, "a@b\nX: y", 1, NULL, -1, -1, 100, 0, 0, 0 },
		{ "no recipients", OK_REQ, 0, NULL, -1, -1, 100, 0, 0, 0 },
		{ "too many recipients", OK_REQ, LOCAL_RCPT_MAX + 1, NULL, -1, -1, 100, 200, 0, 0 },
		{ "missing offset", OK_REQ, 2, NULL, -1, 1, 100, 200, 0, 0 },
		{ "extra offset", OK_REQ, 1, NULL, -1, 2, 100, 200, 0, 0 },
		{ "orcpt count", OK_REQ, 2, NULL, 1, -1, 100, 200, 0, 0 },
		{ "offset as string", OK_REQ, 1, NULL, -1, -1, 100, 0, 1, 0 },
		{ "zero offset", OK_REQ, 1, NULL, -1, -1, 0, 0, 0, 0 },
		{ "negative offset", OK_REQ, 1, NULL, -1, -1, -5, 0, 0, 0 },
		{ "huge offset", OK_REQ, 1, NULL, -1, -1, (int64_t)1 << 50, 0, 0, 0 },
		{ "duplicate offsets", OK_REQ, 2, NULL, -1, -1, 100, 100, 0, 0 },
		{ "empty recipient", OK_REQ, 1, "", -1, -1, 100, 0, 0, 0 },
		{ "recipient with CR", OK_REQ, 1, "a\r@b", -1, -1, 100, 0, 0, 0 },
	};
	struct local_request req;
	struct strbuf why;
	struct ipc_msg *m;
	size_t i;
	int rc;

	(void)state;
	strbuf_init(&why, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = build(&cases[i]);
		strbuf_reset(&why);
		rc = local_request_parse(m, &req, &why);
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: got %d (%s), want %s", cases[i].label, rc,
			    why.data, cases[i].ok ? "ok" : "refused");
		if (rc == 0) {
			assert_int_equal(req.nrcpt, (size_t)cases[i].nrcpt);
			assert_string_equal(req.queue_id, ID);
			local_request_free(&req);
		}
		ipc_msg_free(m);
	}
	strbuf_release(&why);
}

static void
test_overlong_recipient(void **state)
{
	struct req_spec s = { "long", OK_REQ, 1, NULL, -1, -1, 100, 0, 0, 0 };
	char *big = malloc(LOCAL_ADDR_MAX + 10);
	struct local_request req;
	struct strbuf why;
	struct ipc_msg *m;

	(void)state;
	memset(big, 'a', LOCAL_ADDR_MAX + 9);
	big[LOCAL_ADDR_MAX + 9] = '\0';
	s.rcpt0 = big;
	m = build(&s);
	strbuf_init(&why, 1024);
	assert_int_equal(local_request_parse(m, &req, &why), -1);
	ipc_msg_free(m);
	strbuf_release(&why);
	free(big);
}

static void
make_env(struct qfile_env *env, struct qfile_rcpt *r)
{
	memset(env, 0, sizeof(*env));
	memset(r, 0, 3 * sizeof(*r));
	env->sender = "a@example.org";
	r[0].addr = "u0@localhost"; r[0].status = QF_RCPT_PENDING; r[0].status_off = 100;
	r[1].addr = "u1@localhost"; r[1].status = QF_RCPT_PENDING; r[1].status_off = 200;
	r[2].addr = "u2@localhost"; r[2].status = QF_RCPT_DONE; r[2].status_off = 300;
	env->rcpts = r;
	env->nrcpt = 3;
}

static void
test_match_against_queue_file(void **state)
{
	static const struct req_spec cases[] = {
		{ "both match", OK_REQ, 2, NULL, -1, -1, 100, 200, 0, 1 },
		{ "offset of nobody", OK_REQ, 1, NULL, -1, -1, 150, 0, 0, 0 },
		{ "offset of another recipient", OK_REQ, 2, NULL, -1, -1, 200, 100, 0, 0 },
		{ "other address at the offset", OK_REQ, 1, "evil@localhost", -1, -1, 100, 0, 0, 0 },
		{ "address differs in case", OK_REQ, 1, "U0@localhost", -1, -1, 100, 0, 0, 0 },
		{ "recipient already done", "deliver", ID, "active/" ID, "a@example.org", 1, "u2@localhost", -1, -1, 300, 0, 0, 0 },
		{ "other sender", "deliver", ID, "active/" ID, "b@example.org", 1, NULL, -1, -1, 100, 0, 0, 0 },
	};
	struct qfile_rcpt r[3];
	struct qfile_env env;
	struct local_request req;
	struct strbuf why;
	struct ipc_msg *m;
	size_t i;
	int rc;

	(void)state;
	make_env(&env, r);
	strbuf_init(&why, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = build(&cases[i]);
		assert_int_equal(local_request_parse(m, &req, &why), 0);
		rc = local_request_match(&req, &env, &why);
		if ((rc == 0) != cases[i].ok)
			fail_msg("%s: got %d (%s), want %s", cases[i].label, rc,
			    why.data, cases[i].ok ? "ok" : "refused");
		local_request_free(&req);
		ipc_msg_free(m);
	}
	strbuf_release(&why);
}

/* qmgr's request, through the wire format, is accepted by local. */
static void
test_qmgr_request_accepted(void **state)
{
	struct qfile_rcpt r[3];
	struct qfile_env env;
	struct qmgr_message msg;
	struct qmgr_job job;
	size_t idx[2] = { 0, 1 };
	struct ipc_msg *m, *back = NULL;
	struct local_request req;
	struct strbuf wire, why;
	size_t used;

	(void)state;
	make_env(&env, r);
	r[1].orcpt = "rfc822;U1@localhost";
	memset(&msg, 0, sizeof(msg));
	strcpy(msg.id, ID);
	msg.env = &env;
	memset(&job, 0, sizeof(job));
	job.msg = &msg;
	job.idx = idx;
	job.n = 2;
	job.nexthop = "localhost";
	m = ipc_msg_new();
	qmgr_request_build(&job, m);
	strbuf_init(&wire, 1 << 20);
	strbuf_init(&why, 1024);
	assert_int_equal(ipc_encode(m, &wire), 0);
	assert_int_equal(ipc_decode(wire.data, wire.len, 1 << 20, &back, &used, &why), 1);
	assert_int_equal(local_request_parse(back, &req, &why), 0);
	assert_int_equal(local_request_match(&req, &env, &why), 0);
	assert_int_equal(req.nrcpt, 2);
	assert_string_equal(req.rcpts[1].addr, "u1@localhost");
	assert_string_equal(req.rcpts[1].orcpt, "rfc822;U1@localhost");
	assert_int_equal(req.rcpts[1].offset, 200);
	assert_string_equal(req.queue_file, "active/" ID);
	local_request_free(&req);
	ipc_msg_free(m);
	ipc_msg_free(back);
	strbuf_release(&wire);
	strbuf_release(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validation_table),
		cmocka_unit_test(test_overlong_recipient),
		cmocka_unit_test(test_match_against_queue_file),
		cmocka_unit_test(test_qmgr_request_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
