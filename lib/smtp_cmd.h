/*
 * lib/smtp_cmd.h — parse one SMTP command line (RFC 5321 4.1).
 *
 * smtp_cmd_parse() splits a line (already without CRLF, from linerd) into
 * a verb and its argument text; smtp_cmd_parse_path() reads the argument of
 * MAIL and RCPT: "FROM:" / "TO:", the path (lib/addr.h) and the ESMTP
 * parameters (SIZE, BODY, SMTPUTF8, and DSN's RET, ENVID, NOTIFY, ORCPT;
 * others are reported as unsupported); smtp_cmd_parse_bdat() the size of a
 * BDAT chunk.  EHLO keywords have mask bits (SMTP_EXT_*) so that a list of
 * them (smtpd_discard_ehlo_keywords) can switch extensions off.  Input is
 * untrusted; results are typed errors with a static reason, never fatal.
 */
#ifndef TEGAMI_SMTP_CMD_H
#define TEGAMI_SMTP_CMD_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

enum smtp_verb {
	SMTP_VERB_UNKNOWN = 0,
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_HELP,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_ETRN,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
	SMTP_VERB_BDAT,
	SMTP_VERB_HTTP,		/* GET, POST, CONNECT, HEAD, PUT: not SMTP */
	SMTP_VERB_COUNT
};

enum smtp_cmd_err {
	SMTP_CMD_OK = 0,
	SMTP_CMD_E_CHAR,	/* control character in the line */
	SMTP_CMD_E_SYNTAX,	/* "FROM:" / "TO:" missing, or bad parameter list */
	SMTP_CMD_E_ADDR,	/* the path does not parse */
	SMTP_CMD_E_PARAM,	/* a known parameter with a bad value */
	SMTP_CMD_E_UNSUPPORTED,	/* a parameter we do not offer */
	SMTP_CMD_E_DUP,		/* a parameter given twice (RFC 5321 4.1.2) */
	SMTP_CMD_E_UTF8,	/* a non-ASCII address without SMTPUTF8 */
	SMTP_CMD_E_DISABLED,	/* a DSN parameter while DSN is switched off */
};

/* EHLO keywords (extensions) as mask bits. */
#define SMTP_EXT_PIPELINING	0x0001
#define SMTP_EXT_SIZE		0x0002
#define SMTP_EXT_VRFY		0x0004
#define SMTP_EXT_ETRN		0x0008
#define SMTP_EXT_STARTTLS	0x0010
#define SMTP_EXT_AUTH		0x0020
#define SMTP_EXT_ENHANCEDSTATUSCODES 0x0040
#define SMTP_EXT_8BITMIME	0x0080
#define SMTP_EXT_DSN		0x0100
#define SMTP_EXT_SMTPUTF8	0x0200
#define SMTP_EXT_CHUNKING	0x0400
#define SMTP_EXT_BINARYMIME	0x0800
#define SMTP_EXT_SILENT		0x8000	/* "silent-discard": do not log */

struct smtp_cmd {
	enum smtp_verb verb;
	const char *name;	/* upper-case verb name ("MAIL"), "UNKNOWN" */
	const char *arg;	/* argument text (points into the line), "" */
	size_t	arg_len;
	const char *line;	/* the whole line (borrowed), for logs */
	size_t	line_len;
};

#define SMTP_BODY_NONE		0
#define SMTP_BODY_7BIT		1
#define SMTP_BODY_8BITMIME	2
#define SMTP_BODY_BINARYMIME	3

#define SMTP_RET_NONE		0
#define SMTP_RET_FULL		1
#define SMTP_RET_HDRS		2

/* flags of smtp_cmd_parse_path() */
#define SMTP_PATH_RCPT		0x01	/* "TO:<path>" (else "FROM:<path>") */
#define SMTP_PATH_UTF8		0x02	/* RCPT of an SMTPUTF8 transaction */

#define SMTP_ENVID_MAX		100	/* RFC 3461 4.4, as sent (xtext) */
#define SMTP_ORCPT_MAX		500	/* RFC 3461 4.2, as sent */
#define SMTP_AUTH_PARAM_MAX	500	/* MAIL AUTH=, as sent */

/* The parsed argument of MAIL FROM / RCPT TO. */
struct smtp_path_args {
	struct strbuf addr;	/* external form (lib/addr.h), "" = null sender */
	uint64_t size;		/* SIZE= value, 0 when absent */
	int	has_size;
	int	body;		/* SMTP_BODY_* */
	int	smtputf8;	/* MAIL ... SMTPUTF8 (RFC 6531) */
	int	ret;		/* SMTP_RET_* (RFC 3461 RET=) */
	struct strbuf envid;	/* ENVID, xtext decoded; "" when absent */
	int	notify;		/* NOTIFY: DSN_NOTIFY_* bits of lib/ipc_names.h,
				 * 0 when absent */
	struct strbuf orcpt;	/* ORCPT as "addr-type;address" with the
				 * address xtext decoded; "" when absent */
	struct strbuf auth;	/* MAIL AUTH= (RFC 4954 5), xtext decoded */
	int	has_auth;
	const char *bad;	/* the offending parameter, in the argument */
	size_t	bad_len;
};

/* Split line[0..len) into verb and argument (white space after the verb
 * skipped, trailing white space dropped).  Returns SMTP_CMD_OK or
 * SMTP_CMD_E_CHAR (NUL or other control character; cmd still set). */
enum smtp_cmd_err smtp_cmd_parse(const char *line, size_t len,
	    struct smtp_cmd *cmd);

/* Initialise / release the strbuf inside args. */
void	smtp_path_args_init(struct smtp_path_args *args);
void	smtp_path_args_release(struct smtp_path_args *args);

/* Parse "FROM:<path> [params]" or, with SMTP_PATH_RCPT in flags, "TO:<path>
 * [params]".  Parameters of the extensions in `off` (SMTP_EXT_* bits) are
 * refused.  A non-ASCII address needs SMTPUTF8 on this MAIL or, for RCPT,
 * SMTP_PATH_UTF8.  *why receives a static reason on error (for E_PARAM the
 * reply text); for parameter errors args->bad/bad_len name the parameter
 * (borrowed from arg). */
enum smtp_cmd_err smtp_cmd_parse_path(const char *arg, size_t len, int flags,
	    unsigned off, struct smtp_path_args *args, const char **why);

/* The reply to a MAIL/RCPT argument that smtp_cmd_parse_path() refused
 * with err: returns the code, sets *esc (static) and puts the text in out. */
int	smtp_cmd_path_reply(enum smtp_cmd_err err, int flags,
	    const struct smtp_path_args *args, const char *why, const char **esc,
	    struct strbuf *out);

/* Parse the argument of BDAT (RFC 3030): "chunk-size [LAST]", the size
 * 1-20 decimal digits without overflow.  SMTP_CMD_OK or SMTP_CMD_E_SYNTAX. */
enum smtp_cmd_err smtp_cmd_parse_bdat(const char *arg, size_t len,
	    uint64_t *size, int *last);

/* The SMTP_EXT_* bits of the EHLO keywords in a list (comma or white space
 * separated, any case; "silent-discard" sets SMTP_EXT_SILENT; unknown words
 * are ignored, as Postfix does). */
unsigned smtp_ext_mask(const char *list);
/* The names of the keywords in mask, space-separated, appended to out. */
void	smtp_ext_names(unsigned mask, struct strbuf *out);

/* The name of a verb ("MAIL"), for logs and counters. */
const char *smtp_verb_name(enum smtp_verb verb);

#endif
