/*
 * tests/fuzz/fuzz_smtp_cmd.c — the SMTP command parser: any line goes
 * through smtp_cmd_parse and, as MAIL and RCPT arguments (with and without
 * SMTPUTF8, with DSN on and off), through smtp_cmd_parse_path; results must
 * stay inside the input, the address and DSN values within their limits
 * and rules, and every refusal must have a well-formed reply.  The BDAT
 * argument parser and the EHLO keyword list parser get the same input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ipc_names.h"
#include "smtp_cmd.h"
#include "smtp_reply.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct smtp_path_args a;
	struct smtp_cmd c;
	struct strbuf reply, full;
	const char *why, *esc;
	uint64_t bsize;
	char   *text;
	int	flags, code, last;

	(void)smtp_cmd_parse(line, size, &c);
	if (c.arg < line || c.arg + c.arg_len > line + size)
		abort();
	smtp_path_args_init(&a);
	strbuf_init(&reply, 4096);
	strbuf_init(&full, 4096);
	for (flags = 0; flags < 4; flags++) {
		unsigned off = (flags & 1) ? SMTP_EXT_DSN | SMTP_EXT_SMTPUTF8 : 0;
		enum smtp_cmd_err e = smtp_cmd_parse_path(c.arg, c.arg_len, flags,
		    off, &a, &why);

		if (e == SMTP_CMD_OK) {
			if (a.addr.len > ADDR_PATH_MAX || strlen(a.addr.data) != a.addr.len)
				abort();
			/* DSN values as stored: bounded, printable, well-formed */
			if (a.envid.len > SMTP_ENVID_MAX || a.orcpt.len > SMTP_ORCPT_MAX
			    || strlen(a.envid.data) != a.envid.len
			    || strlen(a.orcpt.data) != a.orcpt.len
			    || (a.orcpt.len && strchr(a.orcpt.data, ';') == NULL))
				abort();
			for (size_t i = 0; i < a.envid.len; i++)
				if (a.envid.data[i] < 0x20 || a.envid.data[i] > 0x7e)
					abort();
			if ((a.notify & DSN_NOTIFY_NEVER) && a.notify != DSN_NOTIFY_NEVER)
				abort();
			/* a non-ASCII address only with SMTPUTF8 */
			for (size_t i = 0; i < a.addr.len; i++)
				if ((unsigned char)a.addr.data[i] >= 0x80 && !a.smtputf8
				    && !(flags & SMTP_PATH_UTF8))
					abort();
			continue;
		}
		if (a.bad_len && (a.bad < c.arg || a.bad + a.bad_len > c.arg + c.arg_len))
			abort();
		/* the reply to the refusal is a well-formed SMTP reply */
		code = smtp_cmd_path_reply(e, flags, &a, why, &esc, &reply);
		strbuf_reset(&full);
		strbuf_printf(&full, "%d %s %s", code, esc, reply.data);
		for (size_t i = 0; i < full.len; i++)
			if ((unsigned char)full.data[i] < 0x20)
				full.data[i] = '?';
		if (smtp_reply_check(full.data, NULL) < 0 || code < 500)
			abort();
	}
	strbuf_release(&reply);
	strbuf_release(&full);
	if (smtp_cmd_parse_bdat(c.arg, c.arg_len, &bsize, &last) == SMTP_CMD_OK
	    && (last != 0 && last != 1))
		abort();
	smtp_path_args_release(&a);
	/* The reply checker sees hook/cleanup text: it must not crash. */
	text = strndup(line, size);
	if (text) {
		(void)smtp_reply_check(text, NULL);
		(void)smtp_ext_mask(text);
		free(text);
	}
	return (0);
}
