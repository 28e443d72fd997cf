/*
 * lib/smtp_cmd.c — SMTP command line parser.
 *
 * Bounded parsing over (pointer, length): the verb is looked up in a table
 * (case-insensitive, RFC 5321 2.4), MAIL/RCPT arguments are parsed by
 * lib/addr.c and a small ESMTP parameter loop.  Lenient where Postfix is
 * (a space after "FROM:"), strict where it matters: control characters in a
 * command line are refused, every number is range-checked.  Never fatal.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "smtp_cmd.h"

static const struct {
	const char *name;
	enum smtp_verb verb;
} smtp_verbs[] = {
	{"HELO", SMTP_VERB_HELO},
	{"EHLO", SMTP_VERB_EHLO},
	{"MAIL", SMTP_VERB_MAIL},
	{"RCPT", SMTP_VERB_RCPT},
	{"DATA", SMTP_VERB_DATA},
	{"RSET", SMTP_VERB_RSET},
	{"NOOP", SMTP_VERB_NOOP},
	{"QUIT", SMTP_VERB_QUIT},
	{"HELP", SMTP_VERB_HELP},
	{"VRFY", SMTP_VERB_VRFY},
	{"EXPN", SMTP_VERB_EXPN},
	{"ETRN", SMTP_VERB_ETRN},
	{"STARTTLS", SMTP_VERB_STARTTLS},
	{"AUTH", SMTP_VERB_AUTH},
	{"BDAT", SMTP_VERB_BDAT},
	/* Browsers and proxies talking to port 25 (Postfix's
	 * smtpd_forbidden_commands): cross-protocol attacks. */
	{"GET", SMTP_VERB_HTTP},
	{"POST", SMTP_VERB_HTTP},
	{"CONNECT", SMTP_VERB_HTTP},
	{"HEAD", SMTP_VERB_HTTP},
	{"PUT", SMTP_VERB_HTTP},
};

#define SMTP_VERB_MAX	8	/* longest verb name */

const char *
smtp_verb_name(enum smtp_verb verb)
{
	size_t	i;

	for (i = 0; i < sizeof(smtp_verbs) / sizeof(smtp_verbs[0]); i++)
		if (smtp_verbs[i].verb == verb)
			return (verb == SMTP_VERB_HTTP ? "HTTP" : smtp_verbs[i].name);
	return ("UNKNOWN");
}

static int
is_space(char c)
{
	return (c == ' ' || c == '\t');
}

enum smtp_cmd_err
smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd)
{
	enum smtp_cmd_err err = SMTP_CMD_OK;
	size_t	i, vlen;

	cmd->verb = SMTP_VERB_UNKNOWN;
	cmd->name = "UNKNOWN";
	cmd->arg = "";
	cmd->arg_len = 0;
	cmd->line = line;
	cmd->line_len = len;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			err = SMTP_CMD_E_CHAR;
	}
	for (vlen = 0; vlen < len && !is_space(line[vlen]); vlen++)
		;
	if (vlen > 0 && vlen <= SMTP_VERB_MAX) {
		for (i = 0; i < sizeof(smtp_verbs) / sizeof(smtp_verbs[0]); i++) {
			if (strlen(smtp_verbs[i].name) == vlen
			    && strncasecmp(smtp_verbs[i].name, line, vlen) == 0) {
				cmd->verb = smtp_verbs[i].verb;
				cmd->name = smtp_verb_name(cmd->verb);
				break;
			}
		}
	}
	/* MAIL FROM: and RCPT TO: are verbs with the keyword in the arg. */
	for (i = vlen; i < len && is_space(line[i]); i++)
		;
	while (len > i && is_space(line[len - 1]))
		len--;
	cmd->arg = line + i;
	cmd->arg_len = len - i;
	return (err);
}

void
smtp_path_args_init(struct smtp_path_args *args)
{
	strbuf_init(&args->addr, ADDR_PATH_MAX);
	args->size = 0;
	args->has_size = 0;
	args->body = SMTP_BODY_NONE;
	args->bad = "";
	args->bad_len = 0;
}

void
smtp_path_args_release(struct smtp_path_args *args)
{
	strbuf_release(&args->addr);
}

/* Parse a decimal SIZE value (1..20 digits, no overflow). */
static int
parse_size(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t	i;

	if (n == 0 || n > 20)
		return (-1);
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return (-1);
		if (v > (UINT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return (0);
}

/* One ESMTP parameter "KEY[=VALUE]" of MAIL (rcpt == 0) or RCPT. */
static enum smtp_cmd_err
parse_param(const char *p, size_t n, int rcpt, struct smtp_path_args *args,
	    const char **why)
{
	const char *eq = memchr(p, '=', n);
	size_t	klen = eq ? (size_t)(eq - p) : n;
	const char *val = eq ? eq + 1 : NULL;
	size_t	vlen = eq ? n - klen - 1 : 0;

	if (!rcpt && klen == 4 && strncasecmp(p, "SIZE", 4) == 0) {
		if (val == NULL || parse_size(val, vlen, &args->size) < 0) {
			*why = "bad SIZE value";
			return (SMTP_CMD_E_PARAM);
		}
		args->has_size = 1;
		return (SMTP_CMD_OK);
	}
	if (!rcpt && klen == 4 && strncasecmp(p, "BODY", 4) == 0) {
		if (val && vlen == 4 && strncasecmp(val, "7BIT", 4) == 0)
			args->body = SMTP_BODY_7BIT;
		else if (val && vlen == 8 && strncasecmp(val, "8BITMIME", 8) == 0)
			args->body = SMTP_BODY_8BITMIME;
		else {
			*why = "bad BODY value";
			return (SMTP_CMD_E_PARAM);
		}
		return (SMTP_CMD_OK);
	}
	*why = "unsupported parameter";
	return (SMTP_CMD_E_UNSUPPORTED);
}

enum smtp_cmd_err
smtp_cmd_parse_path(const char *arg, size_t len, int rcpt,
	    struct smtp_path_args *args, const char **why)
{
	const char *kw = rcpt ? "TO:" : "FROM:";
	size_t	kwlen = strlen(kw), used, i, start;
	enum smtp_cmd_err err;

	*why = "";
	strbuf_reset(&args->addr);
	args->size = 0;
	args->has_size = 0;
	args->body = SMTP_BODY_NONE;
	args->bad = "";
	args->bad_len = 0;
	if (len < kwlen || strncasecmp(arg, kw, kwlen) != 0) {
		*why = "syntax";
		return (SMTP_CMD_E_SYNTAX);
	}
	arg += kwlen;
	len -= kwlen;
	for (i = 0; i < len && is_space(arg[i]); i++)	/* "FROM: <a@b>" */
		;
	arg += i;
	len -= i;
	if (addr_parse_path(arg, len, rcpt ? ADDR_F_LOCAL_OK : ADDR_F_NULL_OK,
	    &args->addr, &used, why) < 0)
		return (SMTP_CMD_E_ADDR);
	if (used > len)
		return (SMTP_CMD_E_ADDR);
	/* Parameters: SP-separated esmtp-keyword["=" esmtp-value]. */
	i = used;
	if (i < len && !is_space(arg[i])) {
		*why = "garbage after address";
		return (SMTP_CMD_E_ADDR);
	}
	while (i < len) {
		while (i < len && is_space(arg[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		while (i < len && !is_space(arg[i]))
			i++;
		err = parse_param(arg + start, i - start, rcpt, args, why);
		if (err != SMTP_CMD_OK) {
			args->bad = arg + start;
			args->bad_len = i - start;
			return (err);
		}
	}
	return (SMTP_CMD_OK);
}
