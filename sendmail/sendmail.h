/*
 * sendmail/sendmail.h — the sendmail command (sendmail(1), also mailq and
 * newaliases) and the pieces shared with postdrop: argument parsing, input
 * conversion, the hand-off to postdrop, and the queue listing.
 *
 * Everything the command reads (arguments, stdin, showq's answers) is
 * untrusted; errors are returned to sendmail.c, which prints them in
 * Postfix's form (`sendmail: fatal: ...`) and exits with a sysexits code.
 */
#ifndef TEGAMI_SENDMAIL_H
#define TEGAMI_SENDMAIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "ipc.h"
#include "qfile.h"
#include "strbuf.h"

/* sysexits.h values, as Postfix's sendmail uses them. */
#define SM_EX_OK		0
#define SM_EX_USAGE		64
#define SM_EX_DATAERR		65
#define SM_EX_UNAVAILABLE	69
#define SM_EX_SOFTWARE		70
#define SM_EX_TEMPFAIL		75
#define SM_EX_CONFIG		78

/* Parameters (sendmail_params.c). */
extern char *var_sendmail_fix_line_endings;
extern char *var_alternate_config_dirs;
extern const struct conf_param sendmail_params[];

enum sm_mode {
	SM_MODE_SEND,		/* default, -bm */
	SM_MODE_MAILQ,		/* -bp, or called as mailq */
	SM_MODE_NEWALIASES,	/* -bi, or called as newaliases */
	SM_MODE_FLUSH,		/* -q */
};

struct sm_opts {
	enum sm_mode mode;
	int	extract;		/* -t */
	int	dot_ends;		/* neither -i nor -oi */
	int	verbose;		/* -v */
	const char *sender;		/* -f / -r, NULL when not given */
	const char *full_name;		/* -F */
	const char *config_dir;		/* -C */
	char  **rcpts;			/* the remaining arguments (borrowed) */
	int	nrcpt;
};

/* sendmail.c: the whole command; returns the exit code. */
int	sendmail_main(int argc, char **argv);

/* sm_args.c: parse argv (argv[0] decides mailq/newaliases).  0, or -1
 * with a message in why (exit EX_USAGE). */
int	sm_parse_args(int argc, char **argv, struct sm_opts *o,
	    struct strbuf *why);
/* Normalize a -f value: "<>" and "" are the null sender, "<a@b>" is a@b. */
const char *sm_strip_brackets(const char *s, struct strbuf *out);

/* sm_input.c: sendmail's stdin to message content.  CRLF becomes LF (per
 * sendmail_fix_line_endings); without -i a line with a single "." ends the
 * input.  No other change (no dot-unstuffing). */
enum sm_crlf { SM_CRLF_ALWAYS, SM_CRLF_STRICT, SM_CRLF_NEVER };
struct sm_input {
	int	dot_ends;
	enum sm_crlf crlf;
	int	fix;			/* converting CRLF now */
	int	seen_lf;		/* strict mode has decided */
	int	state;
	int	done;			/* the "." line was seen */
};
void	sm_input_init(struct sm_input *in, int dot_ends, enum sm_crlf crlf);
/* Convert p[0..n) and append to out; returns the bytes consumed (fewer
 * than n only when the "." line ended the input: in->done). -1 when out
 * is full. */
long	sm_input_feed(struct sm_input *in, const char *p, size_t n,
	    struct strbuf *out);
/* End of input: flush held bytes into out. */
int	sm_input_eof(struct sm_input *in, struct strbuf *out);
int	sm_crlf_mode(const char *value, enum sm_crlf *out);

/* sm_submit.c: run postdrop and stream the message to it.  Returns an
 * exit code; messages go to stderr. */
int	sm_submit(const struct sm_opts *o, const char *sender,
	    const char *full_name, FILE *in);

/* mailq.c: the queue listing. */
struct mailq_totals {
	long	requests;
	int64_t	bytes;
};
/* Format one showq frame in Postfix's mailq layout into out. -1 when
 * the frame lacks what a listing needs. */
int	mailq_format_entry(const struct ipc_msg *m, struct strbuf *out,
	    struct mailq_totals *t);
void	mailq_format_header(struct strbuf *out);
void	mailq_format_footer(const struct mailq_totals *t, struct strbuf *out);
/* List the queue through public/showq, or by running showq directly when
 * the service is down and the queue is readable.  Returns an exit code. */
int	mailq_run(const char *progname, const char *config_dir);

#endif
