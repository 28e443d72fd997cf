/*
 * lib/smtp_server.h — the shared SMTP server engine (STYLE.md lesson 7).
 *
 * One engine, several policies: smtpd (port 25) and, later, submission
 * (587/465) differ only in the struct smtp_policy they pass.  The engine
 * owns the protocol: the command reader (lib/linerd.h), the per-session
 * state machine with one reset routine, replies with enhanced status codes,
 * PIPELINING, the DATA reader (lib/dotdata.h), limits and timeouts, and the
 * non-blocking hand-off to cleanup.  It runs on the libevent base given in
 * the configuration; one process holds many sessions.
 *
 * Policy hooks return SMTP_POLICY_ACCEPT, or SMTP_POLICY_REJECT with the
 * reply text ("554 5.7.1 <a@b>: Relay access denied", no CRLF) in `reply`.
 */
#ifndef TEGAMI_SMTP_SERVER_H
#define TEGAMI_SMTP_SERVER_H

#include <stddef.h>
#include "strbuf.h"

struct event_base;
struct tls_server;
struct smtp_session;

enum smtp_policy_result {
	SMTP_POLICY_ACCEPT = 0,
	SMTP_POLICY_REJECT = 1,
	/* The hook started asynchronous work (DNS, anvil) and will call
	 * smtp_session_wakeup() when it is done; the engine then stops reading
	 * and, on wake-up, calls the same hook again with the same arguments
	 * (hooks are restartable: they keep their answers in the session's
	 * policy data and find them the second time). */
	SMTP_POLICY_PENDING = 2,
};

/* Transaction actions a policy may ask for (HOLD, DISCARD of Postfix's
 * access tables); smtp_session_set_tx_flags(). */
#define SMTP_TX_HOLD		0x01	/* queue into hold/ */
#define SMTP_TX_DISCARD		0x02	/* answer 250, queue nothing */

/* Limits and names, filled by the daemon from its parameters after the
 * configuration is loaded (the engine reads no parameter itself). */
struct smtp_server_config {
	struct event_base *base;
	const char *myhostname;
	const char *mail_name;		/* "tegami", in Received: */
	const char *banner;		/* after "220 " */
	const char *queue_dir;		/* where private/cleanup lives */
	long	timeout;		/* seconds per read/write (smtpd_timeout) */
	long	hard_error_limit;	/* errors before 421 and close */
	long	junk_command_limit;	/* NOOP/RSET/VRFY/HELP before each one
					 * counts as an error; 0 = no limit */
	long	recipient_limit;	/* RCPTs per message */
	long	command_line_limit;	/* bytes, without CRLF */
	long	data_line_limit;	/* bytes with CRLF, 0 = none */
	long	message_size_limit;	/* content bytes, 0 = none */
	long	ipc_frame_limit;	/* biggest frame accepted from cleanup */
	int	disable_vrfy;		/* 502 to VRFY */
	long	soft_error_limit;	/* errors before each error reply waits */
	long	error_sleep_time;	/* that wait, seconds */
	long	greet_wait;		/* seconds before the banner (PREGREET
					 * test); 0 = none */
	/* TLS, filled by tls_server_configure() (lib/tls_params.c) */
	struct tls_server *tls;		/* NULL: no TLS (STARTTLS gets 454) */
	int	tls_level;		/* SMTP_TLS_NONE, _MAY, _ENCRYPT */
	int	tls_wrappermode;	/* TLS from the first byte (port 465) */
	int	tls_auth_only;		/* AUTH only after TLS */
	int	tls_received_header;	/* protocol and cipher in Received: */
	int	tls_loglevel;		/* smtpd_tls_loglevel */
	long	starttls_timeout;	/* seconds for the TLS handshake */
	int	per_record_deadline;	/* timeout is per whole line, not per read */
	int	upstream_proxy;		/* a HAProxy PROXY header comes first */
	long	upstream_proxy_timeout;	/* seconds to wait for it */
	unsigned discard_ehlo;		/* SMTP_EXT_* (lib/smtp_cmd.h) not
					 * announced and refused
					 * (smtpd_discard_ehlo_keywords) */
	/* SMTP AUTH (lib/smtp_server_auth.c), for a policy with
	 * SMTP_POLICY_F_AUTH_ALLOWED; the service is private/auth. */
	int	sasl_auth_enable;	/* smtpd_sasl_auth_enable */
	unsigned sasl_sec;		/* SMTP_SASL_*: unencrypted sessions */
	unsigned sasl_tls_sec;		/* SMTP_SASL_*: in TLS */
	int	sasl_broken_clients;	/* also announce "AUTH=..." */
	int	sasl_auth_header;	/* "(Authenticated sender: u)" in
					 * Received: */
};

/* smtpd_sasl_security_options */
#define SMTP_SASL_NOPLAINTEXT	0x01	/* no PLAIN, LOGIN */
#define SMTP_SASL_NOANONYMOUS	0x02	/* no ANONYMOUS */

/* Ask private/auth for its mechanisms (blocking, once per process, at
 * start-up); "PLAIN LOGIN" when it cannot say. */
void	smtp_server_auth_init(const char *queue_dir, int timeout_ms);

#define SMTP_TLS_NONE		0
#define SMTP_TLS_MAY		1	/* offer STARTTLS */
#define SMTP_TLS_ENCRYPT	2	/* and require it before MAIL */

/* Fill the TLS part of cfg from the smtpd_tls_* parameters and the
 * context tls_server_pre_jail() made (lib/tls_params.c). */
void	tls_server_configure(struct smtp_server_config *cfg);

#define SMTP_POLICY_F_AUTH_ALLOWED	0x01	/* AUTH when sasl_auth_enable */

struct smtp_policy {
	const char *name;			/* "smtpd", for logs */
	int	flags;				/* SMTP_POLICY_F_* */
	const struct smtp_server_config *config;
	/* After accept, before the greeting: reject = reply and close. */
	int	(*on_connect)(struct smtp_session *s, struct strbuf *reply);
	int	(*check_helo)(struct smtp_session *s, const char *helo,
		    struct strbuf *reply);
	int	(*check_mail)(struct smtp_session *s, const char *sender,
		    struct strbuf *reply);
	int	(*check_rcpt)(struct smtp_session *s, const char *rcpt,
		    struct strbuf *reply);
	/* DATA or the first BDAT: the transaction is complete. */
	int	(*check_data)(struct smtp_session *s, struct strbuf *reply);
	/* The whole message was received, before it is committed. */
	int	(*check_eod)(struct smtp_session *s, struct strbuf *reply);
	/* The session's connection was closed (e.g. server_conn_done). */
	void	(*on_disconnect)(struct smtp_session *s);
};

/* Start a session on a connected, non-blocking socket; the engine owns fd
 * from now on and closes it when the session ends. */
void	smtp_server_accept(int fd, const struct smtp_policy *policy);
/* Number of live sessions in this process. */
size_t	smtp_server_sessions(void);

/* Session facts for policy hooks; strings are borrowed from the session. */
const char *smtp_session_client_addr(const struct smtp_session *s);
const char *smtp_session_client_name(const struct smtp_session *s);
const char *smtp_session_helo(const struct smtp_session *s);	/* "" before */
const char *smtp_session_sender(const struct smtp_session *s);	/* NULL before MAIL */
size_t	smtp_session_rcpt_count(const struct smtp_session *s);
const char *smtp_session_client_port(const struct smtp_session *s);
/* The client's name from DNS (forward-confirmed), "unknown" when none;
 * the policy sets it after its reverse lookup. */
void	smtp_session_set_client_name(struct smtp_session *s, const char *name);
/* The name the PTR record gave, even when not forward-confirmed. */
const char *smtp_session_reverse_name(const struct smtp_session *s);
void	smtp_session_set_reverse_name(struct smtp_session *s, const char *name);
const char *smtp_session_rcpt(const struct smtp_session *s); /* RCPT being checked */
/* The server address the client connected to ("" when unknown). */
const char *smtp_session_server_addr(const struct smtp_session *s);
/* TLS facts: NULL when the session is not encrypted. */
const char *smtp_session_tls_protocol(const struct smtp_session *s);
const char *smtp_session_tls_cipher(const struct smtp_session *s);
/* SHA-256 fingerprint of the client certificate ("AB:CD:..."), NULL when
 * the client sent none. */
const char *smtp_session_tls_peer_fingerprint(const struct smtp_session *s);
/* The SASL login name, NULL when not authenticated. */
const char *smtp_session_sasl_user(const struct smtp_session *s);
/* The mechanism it logged in with (NULL when not authenticated). */
const char *smtp_session_sasl_method(const struct smtp_session *s);
/* Did the client send this command before our previous reply (RFC 2920
 * pipelining without EHLO, or talking ahead where it must not)? */
int	smtp_session_pipelined(const struct smtp_session *s);
/* Did the client greet with EHLO (may it pipeline, RFC 2920)? */
int	smtp_session_esmtp(const struct smtp_session *s);
/* The protocol name for logs and Received: (SMTP, ESMTP, ESMTPS, ...). */
const char *smtp_session_protocol(const struct smtp_session *s);
/* Per-session data of the policy (freed by its on_disconnect). */
void	smtp_session_set_policy_data(struct smtp_session *s, void *data);
void   *smtp_session_policy_data(const struct smtp_session *s);
/* From on_connect: the greet wait for this client (0 = greet at once,
 * e.g. for $mynetworks). */
void	smtp_session_set_greet_wait(struct smtp_session *s, int seconds);
/* Number of the command being run (1 for the first, 0 at connect); the
 * same when a command runs again after a wake-up, so hooks can tell a
 * repeat from a new command. */
unsigned long smtp_session_command_seq(const struct smtp_session *s);
/* Resume a session whose hook answered SMTP_POLICY_PENDING. */
void	smtp_session_wakeup(struct smtp_session *s);
/* HOLD / DISCARD the current transaction (SMTP_TX_*); reset with it. */
void	smtp_session_set_tx_flags(struct smtp_session *s, int flags);
/* May this client relay (mynetworks, later AUTH)?  Set by policy hooks. */
void	smtp_session_set_relay_ok(struct smtp_session *s, int ok);
int	smtp_session_relay_ok(const struct smtp_session *s);

#endif
