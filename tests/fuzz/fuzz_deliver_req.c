/*
 * tests/fuzz/fuzz_deliver_req.c — local-delivery's request validation.
 *
 * The input is one IPC frame as qmgr would send it to private/local.  A
 * frame that decodes goes through local_request_parse() and, when that
 * accepts it, local_request_match() against a fixed envelope; the same
 * frame is also read as an agent's reply by qmgr_reply_parse().  Nothing
 * is written anywhere.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../local-delivery/local.h"
#include "../../qmgr/qmgr.h"
#include "ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct qfile_rcpt rcpts[3] = {
		{ .addr = "u0@localhost", .status = QF_RCPT_PENDING, .status_off = 100 },
		{ .addr = "u1@localhost", .status = QF_RCPT_PENDING, .status_off = 200 },
		{ .addr = "u2@localhost", .status = QF_RCPT_DONE, .status_off = 300 },
	};
	struct qfile_env env;
	struct local_request req;
	struct qmgr_result res[3];
	struct ipc_msg *m = NULL;
	struct strbuf why;
	size_t used, i;

	memset(&env, 0, sizeof(env));
	env.sender = "a@example.org";
	env.rcpts = rcpts;
	env.nrcpt = 3;
	strbuf_init(&why, 1024);
	if (ipc_decode(data, size, 65536, &m, &used, &why) == 1) {
		if (local_request_parse(m, &req, &why) == 0) {
			(void)local_request_match(&req, &env, &why);
			local_request_free(&req);
		}
		qmgr_reply_parse(m, 3, "local", res);
		for (i = 0; i < 3; i++)
			free(res[i].text);
		ipc_msg_free(m);
	}
	strbuf_release(&why);
	return 0;
}
