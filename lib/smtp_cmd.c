/*
 * lib/smtp_cmd.c — SMTP command line parser.
 *
 * Bounded parsing over (pointer, length): the verb is looked up in a table
 * (case-insensitive, RFC 5321 2.4), MAIL/RCPT arguments are parsed by
 * lib/addr.c and a small ESMTP parameter loop.  Lenient where Postfix is
 * (a space after "FROM:"), strict where it matters: control characters in a
 * command line are refused, every number is range-checked, a parameter may
 * appear once, DSN values are decoded from xtext and checked (RFC 3461),
 * and a non-ASCII address needs SMTPUTF8 (RFC 6531).  Never fatal.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "ipc_names.h"
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
	strbuf_init(&args->envid, SMTP_ENVID_MAX);
	strbuf_init(&args->orcpt, SMTP_ORCPT_MAX);
	strbuf_init(&args->auth, SMTP_AUTH_PARAM_MAX);
	args->has_auth = 0;
	args->size = 0;
	args->has_size = 0;
	args->body = SMTP_BODY_NONE;
	args->smtputf8 = 0;
	args->ret = SMTP_RET_NONE;
	args->notify = 0;
	args->bad = "";
	args->bad_len = 0;
}

void
smtp_path_args_release(struct smtp_path_args *args)
{
	strbuf_release(&args->addr);
	strbuf_release(&args->envid);
	strbuf_release(&args->orcpt);
	strbuf_release(&args->auth);
}

/* Parse a decimal number (1..20 digits, no overflow). */
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

/* Does p[0..n) equal the (upper-case) word w, ignoring case? */
static int
word_is(const char *p, size_t n, const char *w)
{
	return (strlen(w) == n && strncasecmp(p, w, n) == 0);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/*
 * RFC 3461 4: xtext = *( xchar / hexchar ), xchar = "!".."~" except "+" and
 * "=", hexchar = "+" 2HEXDIG.  Decoded into out (appended); -1 when it is
 * malformed or does not fit.  (Lower-case hex is accepted: being strict
 * about it helps no one.)
 */
static int
xtext_decode(const char *p, size_t n, struct strbuf *out)
{
	size_t	i;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '+') {
			if (n - i < 3 || (hi = hexval(p[i + 1])) < 0
			    || (lo = hexval(p[i + 2])) < 0)
				return (-1);
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c < 33 || c > 126 || c == '=')
			return (-1);
		if (strbuf_append_char(out, (char)c) < 0)
			return (-1);
	}
	return (0);
}

/* Printable ASCII (graphic and space) only; with utf8, valid UTF-8 too. */
static int
text_ok(const char *p, size_t n, int utf8)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
			return (0);
	}
	return (!utf8 || addr_utf8_valid(p, n));
}

/* The value of one parameter: val is NULL when there was no "=". */
typedef enum smtp_cmd_err (*param_fn)(const char *val, size_t vlen,
	    int flags, struct smtp_path_args *a, const char **why);

static enum smtp_cmd_err
param_size(const char *val, size_t vlen, int flags, struct smtp_path_args *a,
	    const char **why)
{
	if (val == NULL || parse_size(val, vlen, &a->size) < 0) {
		*why = "Bad message size syntax";
		return (SMTP_CMD_E_PARAM);
	}
	a->has_size = 1;
	return (SMTP_CMD_OK);
}

static enum smtp_cmd_err
param_body(const char *val, size_t vlen, int flags, struct smtp_path_args *a,
	    const char **why)
{
	/* Postfix answers 555 "Unsupported option" to other values. */
	*why = "unsupported BODY value";
	if (val && word_is(val, vlen, "7BIT"))
		a->body = SMTP_BODY_7BIT;
	else if (val && word_is(val, vlen, "8BITMIME"))
		a->body = SMTP_BODY_8BITMIME;
	else if (val && word_is(val, vlen, "BINARYMIME"))
		a->body = SMTP_BODY_BINARYMIME;
	else
		return (SMTP_CMD_E_UNSUPPORTED);
	return (SMTP_CMD_OK);
}

static enum smtp_cmd_err
param_smtputf8(const char *val, size_t vlen, int flags,
	    struct smtp_path_args *a, const char **why)
{
	if (val != NULL) {		/* RFC 6531 3.4: no value */
		*why = "Bad SMTPUTF8 parameter syntax";
		return (SMTP_CMD_E_PARAM);
	}
	a->smtputf8 = 1;
	return (SMTP_CMD_OK);
}

static enum smtp_cmd_err
param_ret(const char *val, size_t vlen, int flags, struct smtp_path_args *a,
	    const char **why)
{
	if (val && word_is(val, vlen, "FULL"))
		a->ret = SMTP_RET_FULL;
	else if (val && word_is(val, vlen, "HDRS"))
		a->ret = SMTP_RET_HDRS;
	else {
		*why = "Bad RET parameter syntax";
		return (SMTP_CMD_E_PARAM);
	}
	return (SMTP_CMD_OK);
}

/* RFC 3461 4.4: ENVID=xtext, at most 100 characters, printable ASCII. */
static enum smtp_cmd_err
param_envid(const char *val, size_t vlen, int flags, struct smtp_path_args *a,
	    const char **why)
{
	strbuf_reset(&a->envid);
	if (val == NULL || vlen == 0 || vlen > SMTP_ENVID_MAX
	    || xtext_decode(val, vlen, &a->envid) < 0
	    || !text_ok(a->envid.data, a->envid.len, 0)) {
		strbuf_reset(&a->envid);
		*why = "Bad ENVID parameter syntax";
		return (SMTP_CMD_E_PARAM);
	}
	return (SMTP_CMD_OK);
}

/* RFC 3461 4.1: NOTIFY=NEVER, or a list of SUCCESS, FAILURE, DELAY. */
static enum smtp_cmd_err
param_notify(const char *val, size_t vlen, int flags,
	    struct smtp_path_args *a, const char **why)
{
	static const struct {
		const char *name;
		int	bit;
	} words[] = {
		{"NEVER", DSN_NOTIFY_NEVER},
		{"SUCCESS", DSN_NOTIFY_SUCCESS},
		{"FAILURE", DSN_NOTIFY_FAILURE},
		{"DELAY", DSN_NOTIFY_DELAY},
	};
	size_t	i = 0, start, j;
	int	mask = 0, bit;

	*why = "Error: Bad NOTIFY parameter syntax";
	if (val == NULL || vlen == 0)
		return (SMTP_CMD_E_PARAM);
	while (i <= vlen) {
		for (start = i; i < vlen && val[i] != ','; i++)
			;
		for (bit = 0, j = 0; j < sizeof(words) / sizeof(words[0]); j++)
			if (word_is(val + start, i - start, words[j].name))
				bit = words[j].bit;
		if (bit == 0 || (mask & bit))
			return (SMTP_CMD_E_PARAM);	/* unknown, empty, twice */
		mask |= bit;
		i++;			/* past the comma (or the end) */
	}
	if ((mask & DSN_NOTIFY_NEVER) && mask != DSN_NOTIFY_NEVER)
		return (SMTP_CMD_E_PARAM);	/* NEVER must stand alone */
	a->notify = mask;
	return (SMTP_CMD_OK);
}

/*
 * RFC 3461 4.2: ORCPT=addr-type ";" xtext, at most 500 characters.  Stored
 * as "addr-type;address" with the address decoded; an rfc822 address must
 * parse as a mailbox (UTF-8 allowed in an SMTPUTF8 transaction), any other
 * type must be printable text.
 */
static enum smtp_cmd_err
param_orcpt(const char *val, size_t vlen, int flags,
	    struct smtp_path_args *a, const char **why)
{
	const char *semi = val ? memchr(val, ';', vlen) : NULL;
	int	utf8 = (flags & SMTP_PATH_UTF8) != 0;
	size_t	tlen, i, alen;
	struct strbuf mbox;
	const char *bad;
	int	ok = 0;

	*why = "Error: Bad ORCPT parameter syntax";
	strbuf_reset(&a->orcpt);
	if (semi == NULL || vlen > SMTP_ORCPT_MAX)
		return (SMTP_CMD_E_PARAM);
	tlen = (size_t)(semi - val);
	for (i = 0; i < tlen; i++)
		if (!isalnum((unsigned char)val[i]) && val[i] != '-')
			return (SMTP_CMD_E_PARAM);
	if (tlen == 0 || strbuf_append(&a->orcpt, val, tlen + 1) < 0
	    || xtext_decode(semi + 1, vlen - tlen - 1, &a->orcpt) < 0)
		goto bad;
	alen = a->orcpt.len - tlen - 1;
	if (alen == 0 || !text_ok(a->orcpt.data + tlen + 1, alen, utf8))
		goto bad;
	if (word_is(val, tlen, "RFC822")) {
		strbuf_init(&mbox, ADDR_PATH_MAX);
		ok = addr_parse_mailbox(a->orcpt.data + tlen + 1, alen,
		    ADDR_F_LOCAL_OK | (utf8 ? ADDR_F_UTF8 : 0), &mbox, &bad) == 0;
		strbuf_release(&mbox);
		if (!ok)
			goto bad;
	}
	return (SMTP_CMD_OK);
bad:
	strbuf_reset(&a->orcpt);
	return (SMTP_CMD_E_PARAM);
}

/* RFC 4954 5: AUTH=xtext (a mailbox, or "<>"); printable ASCII. */
static enum smtp_cmd_err
param_auth(const char *val, size_t vlen, int flags, struct smtp_path_args *a,
	    const char **why)
{
	strbuf_reset(&a->auth);
	if (val == NULL || vlen == 0 || vlen > SMTP_AUTH_PARAM_MAX
	    || xtext_decode(val, vlen, &a->auth) < 0
	    || !text_ok(a->auth.data, a->auth.len, 0)) {
		*why = "Bad AUTH parameter syntax";
		return (SMTP_CMD_E_PARAM);
	}
	a->has_auth = 1;
	return (SMTP_CMD_OK);
}

/* The parameters we know, for which command and which extension. */
static const struct {
	const char *name;
	int	rcpt;			/* 1: RCPT, 0: MAIL */
	unsigned ext;			/* SMTP_EXT_* that offers it */
	param_fn fn;
} smtp_params[] = {
	{"SIZE", 0, SMTP_EXT_SIZE, param_size},
	{"BODY", 0, 0, param_body},
	{"SMTPUTF8", 0, SMTP_EXT_SMTPUTF8, param_smtputf8},
	{"RET", 0, SMTP_EXT_DSN, param_ret},
	{"ENVID", 0, SMTP_EXT_DSN, param_envid},
	{"NOTIFY", 1, SMTP_EXT_DSN, param_notify},
	{"ORCPT", 1, SMTP_EXT_DSN, param_orcpt},
	{"AUTH", 0, SMTP_EXT_AUTH, param_auth},
};

/* One ESMTP parameter "KEY[=VALUE]" of MAIL or RCPT. */
static enum smtp_cmd_err
parse_param(const char *p, size_t n, int flags, unsigned off, unsigned *seen,
	    struct smtp_path_args *args, const char **why)
{
	const char *eq = memchr(p, '=', n);
	size_t	klen = eq ? (size_t)(eq - p) : n, i;
	const char *val = eq ? eq + 1 : NULL;
	size_t	vlen = eq ? n - klen - 1 : 0;
	int	rcpt = (flags & SMTP_PATH_RCPT) != 0;
	enum smtp_cmd_err err;

	*why = "unsupported parameter";
	for (i = 0; i < sizeof(smtp_params) / sizeof(smtp_params[0]); i++)
		if (smtp_params[i].rcpt == rcpt && word_is(p, klen, smtp_params[i].name))
			break;
	if (i == sizeof(smtp_params) / sizeof(smtp_params[0]))
		return (SMTP_CMD_E_UNSUPPORTED);
	if (smtp_params[i].ext & off) {
		/* Not announced (smtpd_discard_ehlo_keywords): refused. */
		if (smtp_params[i].ext == SMTP_EXT_DSN) {
			*why = "DSN support is disabled";
			return (SMTP_CMD_E_DISABLED);
		}
		return (SMTP_CMD_E_UNSUPPORTED);
	}
	if (*seen & (1u << i)) {
		*why = "duplicate parameter";
		return (SMTP_CMD_E_DUP);
	}
	*seen |= 1u << i;
	err = smtp_params[i].fn(val, vlen, flags, args, why);
	/* BODY=8BITMIME / BINARYMIME only when offered. */
	if (err == SMTP_CMD_OK && ((args->body == SMTP_BODY_8BITMIME
	    && (off & SMTP_EXT_8BITMIME)) || (args->body == SMTP_BODY_BINARYMIME
	    && (off & SMTP_EXT_BINARYMIME)))) {
		*why = "unsupported BODY value";
		err = SMTP_CMD_E_UNSUPPORTED;
	}
	return (err);
}

/* Does the address hold a byte outside ASCII? */
static int
addr_8bit(const struct strbuf *addr)
{
	size_t	i;

	for (i = 0; i < addr->len; i++)
		if ((unsigned char)addr->data[i] >= 0x80)
			return (1);
	return (0);
}

enum smtp_cmd_err
smtp_cmd_parse_path(const char *arg, size_t len, int flags, unsigned off,
	    struct smtp_path_args *args, const char **why)
{
	int	rcpt = (flags & SMTP_PATH_RCPT) != 0;
	const char *kw = rcpt ? "TO:" : "FROM:";
	size_t	kwlen = strlen(kw), used, i, start;
	unsigned seen = 0;
	enum smtp_cmd_err err;

	*why = "";
	strbuf_reset(&args->addr);
	strbuf_reset(&args->envid);
	strbuf_reset(&args->orcpt);
	args->size = 0;
	args->has_size = 0;
	args->body = SMTP_BODY_NONE;
	args->smtputf8 = 0;
	args->ret = SMTP_RET_NONE;
	args->notify = 0;
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
	/* UTF-8 is parsed (and checked) always; whether it is allowed is
	 * known only after the parameters (SMTPUTF8 comes after the path). */
	if (addr_parse_path(arg, len, (rcpt ? ADDR_F_LOCAL_OK : ADDR_F_NULL_OK)
	    | ADDR_F_UTF8, &args->addr, &used, why) < 0)
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
		err = parse_param(arg + start, i - start, flags, off, &seen,
		    args, why);
		if (err != SMTP_CMD_OK) {
			args->bad = arg + start;
			args->bad_len = i - start;
			return (err);
		}
	}
	/* RFC 6531 3.5: a non-ASCII address without SMTPUTF8. */
	if (addr_8bit(&args->addr) && !args->smtputf8
	    && !(flags & SMTP_PATH_UTF8)) {
		*why = "non-ASCII address without SMTPUTF8";
		return (SMTP_CMD_E_UTF8);
	}
	return (SMTP_CMD_OK);
}

int
smtp_cmd_path_reply(enum smtp_cmd_err err, int flags,
	    const struct smtp_path_args *args, const char *why, const char **esc,
	    struct strbuf *out)
{
	int	rcpt = (flags & SMTP_PATH_RCPT) != 0;
	size_t	klen;

	strbuf_reset(out);
	*esc = "5.5.4";
	switch (err) {
	case SMTP_CMD_E_ADDR:
		*esc = rcpt ? "5.1.3" : "5.1.7";
		(void)strbuf_append_str(out, rcpt ? "Bad recipient address syntax"
		    : "Bad sender address syntax");
		return (501);
	case SMTP_CMD_E_UTF8:
		*esc = "5.6.7";
		(void)strbuf_append_str(out,
		    "Must declare SMTPUTF8 to send unicode address");
		return (553);
	case SMTP_CMD_E_PARAM:
		(void)strbuf_append_str(out, why);
		return (501);
	case SMTP_CMD_E_DUP:
		for (klen = 0; klen < args->bad_len && args->bad[klen] != '='; klen++)
			;
		(void)strbuf_printf(out, "Error: duplicate %.*s parameter",
		    (int)(klen > 20 ? 20 : klen), args->bad);
		return (501);
	case SMTP_CMD_E_DISABLED:
		*esc = "5.7.1";
		(void)strbuf_append_str(out, "DSN support is disabled");
		return (501);
	case SMTP_CMD_E_UNSUPPORTED:
		(void)strbuf_printf(out, "Unsupported option: %.*s",
		    (int)(args->bad_len > 64 ? 64 : args->bad_len), args->bad);
		return (555);
	default:
		(void)strbuf_append_str(out, rcpt ? "Syntax: RCPT TO:<address>"
		    : "Syntax: MAIL FROM:<address>");
		return (501);
	}
}

enum smtp_cmd_err
smtp_cmd_parse_bdat(const char *arg, size_t len, uint64_t *size, int *last)
{
	size_t	n, i;

	for (n = 0; n < len && !is_space(arg[n]); n++)
		;
	if (parse_size(arg, n, size) < 0)
		return (SMTP_CMD_E_SYNTAX);
	for (i = n; i < len && is_space(arg[i]); i++)
		;
	*last = 0;
	if (i == len)
		return (n == len ? SMTP_CMD_OK : SMTP_CMD_E_SYNTAX);
	if (i == n || !word_is(arg + i, len - i, "LAST"))
		return (SMTP_CMD_E_SYNTAX);
	*last = 1;
	return (SMTP_CMD_OK);
}

static const struct {
	const char *name;
	unsigned bit;
} smtp_exts[] = {
	{"PIPELINING", SMTP_EXT_PIPELINING},
	{"SIZE", SMTP_EXT_SIZE},
	{"VRFY", SMTP_EXT_VRFY},
	{"ETRN", SMTP_EXT_ETRN},
	{"STARTTLS", SMTP_EXT_STARTTLS},
	{"AUTH", SMTP_EXT_AUTH},
	{"ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES},
	{"8BITMIME", SMTP_EXT_8BITMIME},
	{"DSN", SMTP_EXT_DSN},
	{"SMTPUTF8", SMTP_EXT_SMTPUTF8},
	{"CHUNKING", SMTP_EXT_CHUNKING},
	{"BINARYMIME", SMTP_EXT_BINARYMIME},
	{"SILENT-DISCARD", SMTP_EXT_SILENT},
};

unsigned
smtp_ext_mask(const char *list)
{
	unsigned mask = 0;
	size_t	n, i;

	while (list && *list) {
		list += strspn(list, ", \t\r\n");
		n = strcspn(list, ", \t\r\n");
		for (i = 0; n > 0 && i < sizeof(smtp_exts) / sizeof(smtp_exts[0]); i++)
			if (word_is(list, n, smtp_exts[i].name))
				mask |= smtp_exts[i].bit;
		list += n;
	}
	return (mask);
}

void
smtp_ext_names(unsigned mask, struct strbuf *out)
{
	size_t	i;

	for (i = 0; i < sizeof(smtp_exts) / sizeof(smtp_exts[0]); i++)
		if ((mask & smtp_exts[i].bit) && smtp_exts[i].bit != SMTP_EXT_SILENT)
			(void)strbuf_printf(out, "%s%s", out->len ? " " : "",
			    smtp_exts[i].name);
}
