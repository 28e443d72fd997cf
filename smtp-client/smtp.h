/*
 * smtp-client/smtp.h — the SMTP/LMTP delivery agent's modules, shared
 * inside smtp-client/ only.
 *
 *   smtp_params.c     the parameter table
 *   smtpc_reply.c     the SMTP reply reader (pure, fuzzed)
 *   smtpc_route.c     next hop -> addresses to try (MX via lib/dns, native),
 *                     asynchronous
 *   smtpc_conn.c      connections: connect, reply reading with deadlines,
 *                     STARTTLS, and the cache of idle connections
 *   smtpc_session.c   the SMTP/LMTP protocol on one connection
 *   smtpc_content.c   the message content: CRLF, dot-stuffing, BDAT,
 *                     8-bit downgrade
 *   smtpc_deliver.c   the private/smtp service: one job per request from
 *                     qmgr; routing, the addresses in turn, results
 *
 * One process holds many jobs and connections on the libevent loop of
 * lib/server.c's event skeleton (DESIGN.md 2: network-facing daemons are
 * event-driven).
 */
#ifndef TEGAMI_SMTP_CLIENT_H
#define TEGAMI_SMTP_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "linerd.h"
#include "qfile.h"
#include "strbuf.h"

/* ---- parameters (smtp_params.c) ---- */
extern char *var_smtp_host_lookup;	/* smtp_host_lookup = dns */
extern long var_smtp_mx_address_limit;	/* smtp_mx_address_limit = 5 */
extern long var_smtp_connect_timeout;	/* smtp_connect_timeout = 30s */
extern long var_smtp_helo_timeout;	/* smtp_helo_timeout = 300s */
extern long var_smtp_mail_timeout;	/* smtp_mail_timeout = 300s */
extern long var_smtp_rcpt_timeout;	/* smtp_rcpt_timeout = 300s */
extern long var_smtp_data_init_timeout;	/* smtp_data_init_timeout = 120s */
extern long var_smtp_data_xfer_timeout;	/* smtp_data_xfer_timeout = 180s */
extern long var_smtp_data_done_timeout;	/* smtp_data_done_timeout = 600s */
extern long var_smtp_quit_timeout;	/* smtp_quit_timeout = 300s */
extern long var_smtp_rset_timeout;	/* smtp_rset_timeout = 20s */
extern char *var_smtp_helo_name;	/* smtp_helo_name = $myhostname */
extern int var_smtp_skip_5xx_greeting;	/* smtp_skip_5xx_greeting = yes */
extern char *var_smtp_dns_servers;	/* dns_nameservers = "" */
extern char *var_smtp_dnssec_anchor;	/* smtp_dns_trust_anchor_file */
extern int var_smtp_cache_demand;	/* smtp_connection_cache_on_demand */
extern long var_smtp_cache_time;	/* smtp_connection_cache_time_limit = 2s */
extern long var_smtp_reuse_time;	/* smtp_connection_reuse_time_limit */
extern long var_smtp_reuse_count;	/* smtp_connection_reuse_count_limit */
extern int var_smtp_use_chunking;	/* smtp_use_chunking = yes */
extern int var_disable_mime_oconv;	/* disable_mime_output_conversion */
extern char *var_smtp_tls_level;	/* smtp_tls_security_level = "" */
extern char *var_smtp_tls_policy_maps;
extern char *var_smtp_tls_ca_file;	/* smtp_tls_CAfile */
extern char *var_smtp_tls_ca_path;	/* smtp_tls_CApath */
extern char *var_smtp_tls_cert_file;
extern char *var_smtp_tls_key_file;
extern char *var_smtp_tls_protocols;
extern char *var_smtp_tls_mandatory_protocols;
extern char *var_smtp_tls_ciphers;
extern char *var_smtp_tls_mandatory_ciphers;
extern char *var_smtp_tls_exclude_ciphers;
extern long var_smtp_tls_loglevel;
extern char *var_smtp_tls_fingerprint_digest;
extern char *var_smtp_tls_verify_match;	/* smtp_tls_verify_cert_match */
extern char *var_smtp_tls_secure_match;	/* smtp_tls_secure_cert_match */
extern char *var_smtp_dns_support_level;
extern int var_smtp_tls_wrappermode;	/* smtp_tls_wrappermode = no */
extern int var_smtp_sasl_auth_enable;	/* smtp_sasl_auth_enable = no */
extern char *var_smtp_sasl_password_maps;
extern char *var_smtp_sasl_security_options;
extern char *var_smtp_sasl_tls_security_options;
extern char *var_smtp_sasl_mech_filter;	/* smtp_sasl_mechanism_filter */
extern int var_smtp_sender_dependent_auth; /* smtp_sender_dependent_authentication */
extern const struct conf_param smtp_params[];

/* Is this process the LMTP client (program or service named "lmtp")? */
extern int smtpc_lmtp;

/* ---- replies (smtpc_reply.c) ---- */
#define SMTPC_REPLY_LINE_MAX	2048	/* bytes in one reply line */
#define SMTPC_REPLY_LINES_MAX	100	/* lines in one multi-line reply */
#define SMTPC_REPLY_TEXT_MAX	2048	/* reply text kept for logs and DSNs */

enum smtpc_reply_status {
	SMTPC_REPLY_MORE = 0,	/* every byte consumed, reply not complete */
	SMTPC_REPLY_DONE,	/* a whole reply is in the reader */
	SMTPC_REPLY_BAD,	/* malformed or over a limit (why says which) */
};

struct smtpc_reply {
	int	code;			/* 200..599 */
	char	esc[16];		/* enhanced status "X.Y.Z" or "" */
	size_t	nlines;
	struct strbuf text;		/* lines joined by a space, control
					 * characters replaced, at most
					 * SMTPC_REPLY_TEXT_MAX */
	struct strbuf lines;		/* each line's text after "NNN-", NUL
					 * separated (EHLO keywords) */
};

struct smtpc_reader {
	struct linerd lr;
	struct smtpc_reply reply;
	int	in_reply;		/* a first line was read */
};

void	smtpc_reader_init(struct smtpc_reader *rd);
void	smtpc_reader_release(struct smtpc_reader *rd);
/* Start on the next reply (the previous one is forgotten; buffered bytes
 * are the caller's). */
void	smtpc_reader_next(struct smtpc_reader *rd);
/* Consume bytes from buf[0..len) up to the end of one reply at most;
 * *used receives the bytes consumed.  Pure: no I/O.  After DONE the reply
 * is in rd->reply; after BAD the reader must not be fed again. */
enum smtpc_reply_status smtpc_reply_feed(struct smtpc_reader *rd,
	    const char *buf, size_t len, size_t *used, struct strbuf *why);

/* ---- routing (smtpc_route.c) ---- */
struct smtpc_target {
	char	host[256];		/* the name to show: MX host or literal */
	char	addr[46];		/* numeric address ("" for a UNIX path) */
	char	path[108];		/* LMTP over a UNIX socket, else "" */
	unsigned port;
	int	dnssec;			/* MX and address answers were DNSSEC
					 * validated (DANE may apply) */
};

struct smtpc_hop {
	char	host[256];		/* host or domain, brackets removed */
	char	path[108];		/* lmtp "unix:PATH" */
	unsigned port;
	int	no_mx;			/* "[host]" form (and every LMTP hop) */
};

/* "[host]:port", "[host]", "host:port", "host" -> hop; for LMTP also
 * "unix:PATH", "inet:HOST[:PORT]" (default port 24, no MX lookup).
 * 0, or -1 with why. */
int	smtpc_hop_parse(const char *nexthop, int lmtp, struct smtpc_hop *hop,
	    struct strbuf *why);

/* Result of resolving a next hop into addresses to try. */
enum smtpc_route_status {
	SMTPC_ROUTE_OK,			/* targets filled (n > 0) */
	SMTPC_ROUTE_DEFER,		/* try later (dsn, why) */
	SMTPC_ROUTE_BOUNCE,		/* fail now (dsn, why) */
};
struct smtpc_route {
	struct smtpc_target *t;
	size_t	n;
	char	dsn[16];
};

struct smtpc_route_req;
/* Called once from the event loop with the outcome; rt and why are
 * borrowed for the call (move rt->t out by taking the struct). */
typedef void (*smtpc_route_cb)(void *arg, enum smtpc_route_status st,
	    struct smtpc_route *rt, const char *why);

/* Create the resolver on the process's event base: once, after the
 * privilege drop.  Fatal on a bad dns_nameservers or smtp_host_lookup. */
void	smtpc_route_init(void);
/* Resolve hop into at most smtp_mx_address_limit addresses (MX records by
 * preference, random among equals, else the implicit MX; or the host's
 * addresses for "[host]" and smtp_host_lookup = native).  cb runs later,
 * exactly once, unless the request is cancelled. */
struct smtpc_route_req *smtpc_route_start(const struct smtpc_hop *hop,
	    smtpc_route_cb cb, void *arg);
void	smtpc_route_cancel(struct smtpc_route_req *rq);
void	smtpc_route_free(struct smtpc_route *rt);
/* Sort MX-like entries (pref, index) by preference with random order
 * among equal ones (exposed for the tests).  pref[] and order[] of n. */
void	smtpc_mx_order(const unsigned *pref, size_t n, size_t *order);

/* ---- one delivery request (smtpc_deliver.c) ---- */
/* Per-recipient state of one delivery. */
struct smtpc_rcpt {
	const char *addr;		/* borrowed */
	const char *orcpt;		/* borrowed, "" when none */
	int	notify;			/* DSN_NOTIFY_* */
	int	result;			/* DELIVER_* or -1 while still to do */
	char	dsn[16];
	struct strbuf text;
	char	relay[340];		/* host[addr]:port it was last tried at */
	char	tls[200];		/* the TLS of that session, "" = none */
};

struct tls_policy;

struct smtpc_msg {
	const char *id;			/* queue id */
	const char *sender;
	const char *nexthop;		/* as given by qmgr (loop message) */
	int	qfd;			/* open queue file */
	const struct qfile_env *env;
	const char *envid, *ret;	/* DSN, NULL when not given */
	int	eightbit;		/* content has bytes >= 0x80: -1 unknown */
	struct smtpc_rcpt *rcpts;
	size_t	nrcpt;
	int	final;			/* the last address of the route: a soft
					 * error is the recipient's result */
	const struct tls_policy *tls;	/* the destination's TLS policy */
};

/* Set the result of every recipient still without one (final), or only
 * their reason (!final: they may still try the next address). */
void	smtpc_fail_rest(struct smtpc_msg *msg, int result, const char *dsn,
	    const char *text, int final);

/* ---- sessions (smtpc_session.c, smtpc_conn.c) ---- */
/* Outcome of one session for one job. */
enum smtpc_session_status {
	SMTPC_SESSION_DONE,		/* every recipient has a result */
	SMTPC_SESSION_NEXT,		/* the recipients without a result may
					 * try the next address */
};

struct smtpc_sess;
struct smtpc_job;

/* The job's callback when its session is done with it (the session is
 * then no longer the job's). */
void	smtpc_job_session_done(struct smtpc_job *job,
	    enum smtpc_session_status st, int site_fail);

/* Start a session with target for msg (connect, greet, EHLO, TLS, AUTH,
 * the transaction); smtpc_job_session_done() follows, later. cache_key
 * names the destination for connection reuse (copied). */
void	smtpc_session_start(struct smtpc_job *job, struct smtpc_msg *msg,
	    const struct smtpc_target *target, const char *cache_key);
/* Reuse an idle connection cached under cache_key for msg: 1 when one was
 * taken (the transaction starts; the callback follows later), else 0. */
int	smtpc_session_reuse(struct smtpc_job *job, struct smtpc_msg *msg,
	    const char *cache_key);

/* ---- TLS (smtpc_tls.c) ---- */
/* The client TLS context from the smtp_tls_* parameters (before the
 * privilege drop: keys may be root's); fatal on a bad configuration. */
void	smtpc_tls_init(void);
/* The TLS policy of a destination: smtp_tls_policy_maps by next hop as
 * given, then by domain and its parents (".domain"), else the global
 * smtp_tls_security_level.  0 with *out (free with smtpc_tls_policy_free),
 * or -1 with why (a table that cannot be read: defer). */
int	smtpc_tls_policy_lookup(const char *nexthop, const char *domain,
	    struct tls_policy **out, struct strbuf *why);
void	smtpc_tls_policy_free(struct tls_policy *p);

/* ---- SASL (smtpc_sasl.c) ---- */
/* Open smtp_sasl_password_maps (before the privilege drop). */
void	smtpc_sasl_init(void);
/* smtp_sender_dependent_authentication is on. */
int	smtpc_sasl_sender_dependent(void);

/* ---- the service (smtpc_deliver.c) ---- */
void	smtpc_accept(int fd);
void	smtpc_pre_jail(void);
void	smtpc_post_jail(void);

#endif
