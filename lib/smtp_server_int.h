/*
 * lib/smtp_server_int.h — the SMTP session, private to lib/smtp_server*.c.
 *
 * smtp_server.c: session life, input loop, replies, reset, close.
 * smtp_server_cmd.c: one handler per verb, dispatched from a table.
 * smtp_server_data.c: DATA content, Received: header, end of data.
 * smtp_server_cleanup.c: the non-blocking conversation with cleanup.
 */
#ifndef TEGAMI_SMTP_SERVER_INT_H
#define TEGAMI_SMTP_SERVER_INT_H

#include <stdint.h>

#include "dotdata.h"
#include "linerd.h"
#include "smtp_cmd.h"
#include "smtp_server.h"

struct bufferevent;
struct event;

/* The session state machine (DESIGN §10). */
enum smtp_state {
	SMTP_S_PROXY,		/* reading the PROXY protocol header */
	SMTP_S_CONNECT,		/* before the greeting: policy, greet wait */
	SMTP_S_START,		/* greeted, no HELO/EHLO yet */
	SMTP_S_READY,		/* HELO/EHLO done, no transaction */
	SMTP_S_MAIL,		/* MAIL accepted, no recipient yet */
	SMTP_S_RCPT,		/* at least one RCPT accepted */
	SMTP_S_BDAT,		/* between BDAT chunks (RFC 3030) */
	SMTP_S_DATA,		/* reading message content (DATA, a BDAT
				 * chunk, or a refused chunk to skip) */
	SMTP_S_DATA_END,	/* content done, waiting for cleanup's answer */
	SMTP_S_CLOSING,		/* last reply queued; close once written */
};

/* Cleanup connection state of the current transaction. */
enum smtp_cleanup_state {
	SMTP_CL_NONE,		/* no connection */
	SMTP_CL_OPEN,		/* frames flowing */
	SMTP_CL_BROKEN,		/* lost or misbehaved: the transaction fails */
};

struct smtp_session {
	const struct smtp_policy *policy;
	const struct smtp_server_config *cfg;
	struct bufferevent *bev;		/* the client */
	enum smtp_state state;
	char	client_addr[64];
	char	client_port[8];
	char	server_addr[64];
	char	client_name[256];		/* "unknown": no rDNS (yet) */
	char   *reverse_name;			/* PTR result, NULL when none */
	char   *helo;				/* NULL before HELO/EHLO */
	int	esmtp;				/* EHLO was used */
	int	relay_ok;
	int	errors;				/* error replies sent */
	long	junk;				/* NOOP, RSET, VRFY, HELP seen */
	const char *last_cmd;			/* for "lost connection after X" */
	unsigned cmd_ok[SMTP_VERB_COUNT];
	unsigned cmd_total[SMTP_VERB_COUNT];
	struct linerd lr;
	struct strbuf reply;			/* scratch: hook replies */
	/* a hook answered SMTP_POLICY_PENDING (see smtp_session_wakeup) */
	enum smtp_wait { SMTP_W_NONE, SMTP_W_CONNECT, SMTP_W_COMMAND,
	    SMTP_W_EOD } waiting;
	struct strbuf pending_line;		/* the command to run again */
	int	rerun;				/* running it again: no counting */
	unsigned long cmd_seq;			/* commands so far */
	struct event *wake_ev;			/* wake-up, run from the loop */
	struct event *timer_ev;			/* greet wait, error sleep */
	struct event *record_ev;		/* smtpd_per_record_deadline */
	uint64_t records;			/* command lines ended so far */
	int	connect_ok;			/* the connect policy said yes */
	int	greet_passed;			/* greet wait over (or none) */
	int	timer_pending;			/* error sleep: replies held */
	int	pipelined;			/* input waited behind the command */
	void   *policy_data;
	int	tx_flags;			/* SMTP_TX_* */
	/* TLS and SASL facts, filled by smtp_server_tls.c and AUTH */
	char   *tls_protocol;
	char   *tls_cipher;
	char   *tls_peer_fp;
	char   *sasl_user;
	char   *sasl_method;			/* the mechanism of sasl_user */
	struct smtp_auth *auth;			/* an AUTH exchange under way */
	/* the transaction */
	char   *sender;				/* NULL before MAIL */
	int	smtputf8;			/* MAIL ... SMTPUTF8 (RFC 6531) */
	char   *sasl_sender;			/* MAIL ... AUTH= (RFC 4954 5) */
	size_t	nrcpt;
	char   *first_rcpt;			/* for the Received: "for" clause */
	const char *curr_rcpt;			/* RCPT being checked, borrowed */
	struct dotdata dd;
	struct strbuf content;			/* content not yet framed */
	/* cleanup */
	enum smtp_cleanup_state cl_state;
	struct bufferevent *cl_bev;
};

/* smtp_server.c */
void	smtp_reply(struct smtp_session *s, int code, const char *esc,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	smtp_reply_hook(struct smtp_session *s, const char *text);
void	smtp_session_reset(struct smtp_session *s);
void	smtp_session_close(struct smtp_session *s);	/* after the last reply */
void	smtp_session_resume(struct smtp_session *s);
/* End the session now, without a reply (a failed TLS handshake). */
void	smtp_session_free(struct smtp_session *s);
/* Give the session a new bufferevent (TLS) with the engine's callbacks. */
void	smtp_session_set_bev(struct smtp_session *s, struct bufferevent *bev);
/* The connect stage: policy, then the greeting (after wrapper-mode TLS). */
void	smtp_connect_stage(struct smtp_session *s);
void	smtp_log_reject(struct smtp_session *s, const char *cmd,
	    const char *reply, const char *rcpt);

/* smtp_server_cmd.c: run one command line (from linerd). */
void	smtp_command(struct smtp_session *s, const char *line, size_t len);
/* What a command handler returns: done, refused, or waiting for a hook. */
#define SMTP_CMD_DONE		0
#define SMTP_CMD_REFUSED	(-1)
#define SMTP_CMD_WAIT		1
#define SMTP_CMD_ASYNC		2	/* finishes later; counts itself */
/* Ask a policy hook's answer about cmd; returns SMTP_POLICY_* and, for a
 * reject, logs it and queues the reply. */
int	smtp_policy_ask(struct smtp_session *s, const char *cmd,
	    const char *rcpt, int result);
/* The EHLO keyword lines after the host name ("PIPELINING\nSIZE 10240000
 * ..."), in out. */
void	smtp_ehlo_keywords(struct smtp_session *s, struct strbuf *out);

/* Hold replies and input for `seconds` (error sleep, a failed AUTH). */
void	smtp_session_sleep(struct smtp_session *s, long seconds);

/* smtp_server_auth.c: AUTH (RFC 4954) and its exchange with private/auth. */
int	smtp_cmd_auth(struct smtp_session *s, struct smtp_cmd *c);
/* "\nAUTH PLAIN LOGIN" when AUTH is offered in this session now. */
void	smtp_auth_ehlo(struct smtp_session *s, struct strbuf *out);
/* May MAIL carry AUTH= (is AUTH part of this server)? */
int	smtp_auth_mail_param_ok(const struct smtp_session *s);
/* Is the session waiting for the auth service (input paused)? */
int	smtp_auth_busy(const struct smtp_session *s);
/* A client line (linerd result) while a 334 is out: 1 = it was the
 * exchange's; 0 = no exchange waits for the client. */
int	smtp_auth_line(struct smtp_session *s, int lr_result, const char *line,
	    size_t len);
/* Abandon the exchange (the session ends). */
void	smtp_auth_free(struct smtp_session *s);

/* smtp_server_tls.c: STARTTLS (and implicit TLS). */
int	smtp_cmd_starttls(struct smtp_session *s, struct smtp_cmd *c);
/* Is STARTTLS offered in this session now? */
int	smtp_tls_offer(const struct smtp_session *s);
/* Level encrypt before STARTTLS: reply 530 and return 1; else 0. */
int	smtp_tls_required(struct smtp_session *s);
/* Wrapper mode: the TLS handshake before the connect stage. */
void	smtp_tls_wrapper(struct smtp_session *s);
/* The TLS comments of Received: ("\n\t(using ...)"), appended to out. */
void	smtp_tls_received(struct smtp_session *s, struct strbuf *out);

/* smtp_server_bdat.c: BDAT (RFC 3030). */
int	smtp_cmd_bdat(struct smtp_session *s, struct smtp_cmd *c);
/* Is CHUNKING offered? */
int	smtp_bdat_offer(const struct smtp_session *s);

/* smtp_server_data.c */
void	smtp_data_start(struct smtp_session *s);
/* The first BDAT chunk: Received:, the reader in BDAT mode, SMTP_S_BDAT. */
void	smtp_data_start_chunks(struct smtp_session *s);
int	smtp_data_feed(struct smtp_session *s, const char *p, size_t n,
	    size_t *used);
void	smtp_data_end(struct smtp_session *s);
void	smtp_data_result(struct smtp_session *s, int status, const char *id,
	    const char *reason);

/* smtp_server_cleanup.c */
/* envid: DSN ENVID or NULL; ret: SMTP_RET_* (lib/smtp_cmd.h) */
int	smtp_cleanup_open(struct smtp_session *s, const char *envid, int ret);
/* orcpt: DSN ORCPT or NULL; notify: DSN_NOTIFY_* bits, 0 = none */
void	smtp_cleanup_rcpt(struct smtp_session *s, const char *rcpt,
	    const char *orcpt, int notify);
void	smtp_cleanup_data(struct smtp_session *s, const void *p, size_t n);
void	smtp_cleanup_end(struct smtp_session *s);
void	smtp_cleanup_close(struct smtp_session *s);
size_t	smtp_cleanup_pending(const struct smtp_session *s);

#endif
