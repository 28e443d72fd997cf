/*
 * tests/fuzz/fuzz_smtp_cmd.c — the SMTP command parser: any line goes
 * through smtp_cmd_parse and, as MAIL and RCPT arguments, through
 * smtp_cmd_parse_path; results must stay inside the input and the
 * address buffer within its limit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "smtp_cmd.h"
#include "smtp_reply.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct smtp_path_args a;
	struct smtp_cmd c;
	const char *why;
	char   *text;
	int	rcpt;

	(void)smtp_cmd_parse(line, size, &c);
	if (c.arg < line || c.arg + c.arg_len > line + size)
		abort();
	smtp_path_args_init(&a);
	for (rcpt = 0; rcpt < 2; rcpt++) {
		if (smtp_cmd_parse_path(c.arg, c.arg_len, rcpt, &a, &why) == SMTP_CMD_OK
		    && (a.addr.len > ADDR_PATH_MAX || strlen(a.addr.data) != a.addr.len))
			abort();
		if (a.bad_len && (a.bad < c.arg || a.bad + a.bad_len > c.arg + c.arg_len))
			abort();
	}
	smtp_path_args_release(&a);
	/* The reply checker sees hook/cleanup text: it must not crash. */
	text = strndup(line, size);
	if (text) {
		(void)smtp_reply_check(text, NULL);
		free(text);
	}
	return (0);
}
