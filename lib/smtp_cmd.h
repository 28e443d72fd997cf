/*
 * lib/smtp_cmd.h — parse one SMTP command line (RFC 5321 4.1).
 *
 * smtp_cmd_parse() splits a line (already without CRLF, from linerd) into
 * a verb and its argument text; smtp_cmd_parse_path() reads the argument of
 * MAIL and RCPT: "FROM:" / "TO:", the path (lib/addr.h) and the ESMTP
 * parameters (SIZE=, BODY=; others are reported as unsupported).  Input is
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
};

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

/* The parsed argument of MAIL FROM / RCPT TO. */
struct smtp_path_args {
	struct strbuf addr;	/* external form (lib/addr.h), "" = null sender */
	uint64_t size;		/* SIZE= value, 0 when absent */
	int	has_size;
	int	body;		/* SMTP_BODY_* */
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

/* Parse "FROM:<path> [params]" (rcpt == 0) or "TO:<path> [params]"
 * (rcpt == 1).  *why receives a static reason for logs on error; for
 * E_PARAM and E_UNSUPPORTED args->bad/bad_len name the parameter (borrowed
 * from arg). */
enum smtp_cmd_err smtp_cmd_parse_path(const char *arg, size_t len, int rcpt,
	    struct smtp_path_args *args, const char **why);

/* The name of a verb ("MAIL"), for logs and counters. */
const char *smtp_verb_name(enum smtp_verb verb);

#endif
