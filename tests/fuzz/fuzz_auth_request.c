/*
 * tests/fuzz/fuzz_auth_request.c — auth(8)'s request handling.
 *
 * Input byte 0 chooses: even — the rest is a stream of IPC frames, each
 * handed in turn to one auth_session (the state machine submission talks
 * to), against a password file with one cheap ($1$) hash, until the
 * session ends or a frame is malformed; odd — the rest is one reply line
 * from Dovecot for auth_dovecot_parse_reply().  No I/O.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../auth/auth.h"
#include "ipc.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_init(void)
{
	static const char pw[] =
	    "alice:$1$saltsalt$6SNdNaZLKst2LlSm7oPPL1\n";	/* "pw" */

	log_init("fuzz", LOG_DEST_STDERR, NULL);
	auth_service_set_passwd(auth_passwd_parse("fuzz", pw, strlen(pw)));
	var_auth_failure_limit = 5;
	var_auth_failure_delay_max = 16;
	auth_service_set_limit(auth_limit_new(5, 60, 16, 1000));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct auth_session *s;
	struct ipc_msg *m, *reply;
	struct strbuf why, a, b, c;
	size_t used, off = 1;
	time_t now = 1000;
	char *line;
	int r;

	if (!ready) {
		fuzz_init();
		ready = 1;
	}
	if (size < 1)
		return 0;
	strbuf_init(&why, 1024);
	if (data[0] & 1) {
		line = strndup((const char *)data + 1, size - 1);
		strbuf_init(&a, AUTH_RESP_MAX);
		strbuf_init(&b, AUTH_NAME_MAX);
		strbuf_init(&c, 512);
		(void)auth_dovecot_parse_reply(line, 1, &a, &b, &c);
		strbuf_release(&a);
		strbuf_release(&b);
		strbuf_release(&c);
		free(line);
		strbuf_release(&why);
		return 0;
	}
	s = auth_session_new();
	reply = ipc_msg_new();
	while (off < size && ipc_decode(data + off, size - off, 16384, &m,
	    &used, &why) == 1) {
		off += used;
		r = auth_session_handle(s, m, reply, now++, &why);
		ipc_msg_free(m);
		if (r <= 0)
			break;
	}
	ipc_msg_free(reply);
	auth_session_free(s);
	strbuf_release(&why);
	return 0;
}
