/*
 * smtp-client/smtpc_sess.h — one connection to a server and the protocol
 * state on it, shared by smtpc_conn.c (I/O, deadlines, TLS, the idle
 * cache), smtpc_session.c (the SMTP/LMTP dialogue) and smtpc_content.c
 * (the message content).  Private to smtp-client/.
 */
#ifndef TEGAMI_SMTPC_SESS_H
#define TEGAMI_SMTPC_SESS_H

#include <sys/queue.h>
#include <time.h>

#include <openssl/ssl.h>

#include "smtp.h"

struct bufferevent;
struct event;
struct mime_conv;
struct sasl_client;
struct dns_query;
struct dns_rr;

enum smtpc_state {
	ST_CONNECT,		/* TCP/UNIX connect in progress */
	ST_GREET,		/* waiting for the 220 greeting */
	ST_EHLO,		/* EHLO (or LHLO) sent */
	ST_HELO,		/* HELO sent after EHLO was refused */
	ST_STARTTLS,		/* STARTTLS sent */
	ST_TLS,			/* handshake in progress */
	ST_AUTH,		/* an AUTH exchange */
	ST_XACT,		/* MAIL/RCPT/DATA replies awaited */
	ST_CONTENT,		/* sending the content */
	ST_DOT,			/* end-of-data reply (replies for LMTP) */
	ST_RSET,		/* RSET before going idle */
	ST_IDLE,		/* in the connection cache */
	ST_QUIT,		/* QUIT sent; closing */
};

/* One command of a transaction whose reply is awaited. */
enum smtpc_pend_kind { P_MAIL, P_RCPT, P_DATA, P_BDAT };
struct smtpc_pend {
	enum smtpc_pend_kind kind;
	size_t	idx;			/* recipient index (P_RCPT) */
};

/* What the server said it can do (EHLO keywords). */
struct smtpc_features {
	int	esmtp;			/* EHLO/LHLO was accepted */
	int	pipelining, eightbitmime, smtputf8, dsn, chunking, starttls;
	int	has_size;
	long	size_limit;		/* 0 = none given */
	struct strbuf auth;		/* AUTH mechanisms, space separated */
};

struct smtpc_sess {
	struct bufferevent *bev;
	int	fd;
	enum smtpc_state state;
	struct event *deadline;		/* the current stage's time limit */
	const char *stage;		/* "receiving the initial server greeting" */
	struct smtpc_reader rd;
	struct smtpc_target tg;
	char	peer[400];		/* host[addr]:port (relay=) */
	char	hostaddr[400];		/* host[addr] */
	char   *cache_key;
	time_t	created;
	unsigned reuses;		/* transactions after the first */
	struct smtpc_features feat;

	/* TLS */
	int	tls_level;		/* enum tls_level of this connection */
	int	tls_active;
	int	tls_plain_retry;	/* "may": handshake failed, plaintext */
	int	tls_wrapper;		/* TLS from the first byte (port 465) */
	struct strbuf tls_summary;	/* "Verified TLS TLSv1.3 with cipher ..." */
	struct dns_query *tlsa_q;	/* DANE: the TLSA lookup in progress */
	struct dns_rr *tlsa;		/* DANE: validated TLSA records */
	size_t	ntlsa;

	/* the job being served (NULL while idle) */
	struct smtpc_job *job;
	struct smtpc_msg *msg;
	int	site_fail;		/* no transaction was possible */
	int	broken;			/* the connection is unusable */
	struct strbuf why;		/* site-level reason */

	/* AUTH */
	struct sasl_client *sasl;	/* the exchange in progress */
	int	sasl_done;		/* logged in on this connection */
	char	sasl_user[256];		/* as whom (for the log) */

	/* transaction */
	struct smtpc_pend *pend;
	size_t	npend, nsent, ndone;
	size_t	nok;			/* recipients accepted */
	unsigned char *accepted;	/* per recipient: RCPT got 2xx */
	size_t	lmtp_next;		/* LMTP: next accepted recipient */
	int	mail_failed;
	int	use_bdat;
	size_t	bdat_wait;		/* BDAT replies outstanding */
	int	bdat_failed;

	/* content */
	off_t	coff;			/* next queue file offset */
	int	cdone;			/* every chunk has been queued */
	int	bol;			/* at the beginning of a line */
	struct mime_conv *mime;		/* 8-bit downgrade, NULL when not */
	struct strbuf chunk, conv;

	/* callbacks in progress: free later */
	int	in_cb, closing;
	struct event *idle_ev;
	TAILQ_ENTRY(smtpc_sess) link;
};

/* ---- smtpc_conn.c ---- */
/* A new connection to tg (connect started; ST_CONNECT). */
struct smtpc_sess *smtpc_conn_new(const struct smtpc_target *tg,
	    const char *cache_key);
/* Queue text for the server (printf-like; CRLF is the caller's). */
void	smtpc_conn_printf(struct smtpc_sess *s, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	smtpc_conn_write(struct smtpc_sess *s, const void *p, size_t n);
/* Bytes waiting to be written. */
size_t	smtpc_conn_pending(const struct smtpc_sess *s);
/* Wait at most `seconds` for the next event of stage (a reply, or room to
 * write content); replaces the previous deadline. */
void	smtpc_conn_deadline(struct smtpc_sess *s, long seconds, const char *stage);
/* Close and free now or, inside a callback, when it returns. */
void	smtpc_conn_close(struct smtpc_sess *s);
/* Switch to TLS with ssl (owned from here); whatever the server sent
 * before is thrown away. */
void	smtpc_conn_start_tls(struct smtpc_sess *s, SSL *ssl);
SSL    *smtpc_conn_ssl(struct smtpc_sess *s);
/* Notify the content producer when the output falls below a low mark. */
void	smtpc_conn_want_write(struct smtpc_sess *s, int on);
/* Keep an idle connection for reuse under s->cache_key; 0, or -1 when
 * it may not be kept (then it is the caller's). */
int	smtpc_conn_cache_put(struct smtpc_sess *s);
/* Take an idle connection for key, or NULL. */
struct smtpc_sess *smtpc_conn_cache_take(const char *key);

/* ---- smtpc_session.c: events from smtpc_conn.c ---- */
void	smtpc_sess_connected(struct smtpc_sess *s);
void	smtpc_sess_reply(struct smtpc_sess *s);
void	smtpc_sess_tls_done(struct smtpc_sess *s, int ok, const char *err);
/* The connection failed: what says why ("lost connection", "timed out"
 * ...), already formatted with the stage. */
void	smtpc_sess_failed(struct smtpc_sess *s, const char *what);
/* Room to write content. */
void	smtpc_sess_writable(struct smtpc_sess *s);

/* ---- smtpc_session.c: for smtpc_tls.c and smtpc_sasl.c ---- */
/* Say EHLO again (after TLS is up). */
void	smtpc_sess_hello_again(struct smtpc_sess *s);
/* Logged in: start the transaction. */
void	smtpc_sess_ready(struct smtpc_sess *s);
/* Give up on this server with text (the next address may be tried). */
void	smtpc_sess_site_fail(struct smtpc_sess *s, const char *text);
/* The TLS handshake failed at level may: connect to the same server
 * again and go on in plaintext (s is closed). */
void	smtpc_sess_retry_plain(struct smtpc_sess *s);

/* ---- smtpc_tls.c ---- */
/* A new session: its TLS level from msg's policy (DANE lookups start). */
void	smtpc_tls_session_init(struct smtpc_sess *s, const struct smtpc_msg *msg);
/* After EHLO: 0 to go on, 1 when STARTTLS was sent or the session ended. */
int	smtpc_tls_after_hello(struct smtpc_sess *s);
/* The reply to STARTTLS. */
void	smtpc_tls_reply(struct smtpc_sess *s);
/* smtp_tls_wrappermode: start TLS at connect; 1 when started (or the
 * session ended), 0 for plain SMTP. */
int	smtpc_tls_wrapper_start(struct smtpc_sess *s);
/* Forget the session's TLS state (a TLSA lookup in progress too). */
void	smtpc_tls_session_free(struct smtpc_sess *s);

/* ---- smtpc_sasl.c ---- */
/* After EHLO (and TLS): 0 to go on, 1 when AUTH was sent or the session
 * ended. */
int	smtpc_sasl_after_hello(struct smtpc_sess *s);
void	smtpc_sasl_reply(struct smtpc_sess *s);
void	smtpc_sasl_session_free(struct smtpc_sess *s);

/* ---- smtpc_content.c ---- */
/* Prepare to send msg's content (DATA or BDAT, downgrade when needed). */
void	smtpc_content_begin(struct smtpc_sess *s);
/* Queue more content while the output is below the mark; 1 when the end
 * (".", or the BDAT LAST chunk) has been queued, 0 for more later, -1 on
 * a corrupt queue file (s->why). */
int	smtpc_content_more(struct smtpc_sess *s);
void	smtpc_content_end(struct smtpc_sess *s);
/* Does msg's content have 8-bit bytes?  Reads the queue file once. */
int	smtpc_content_8bit(struct smtpc_msg *msg);

#endif
