/*
 * smtp-client/smtp.h — the SMTP delivery agent's modules, shared inside
 * smtp-client/ only.
 *
 *   smtp_params.c     the parameter table
 *   smtpc_reply.c     the SMTP reply reader (pure, fuzzed)
 *   smtpc_route.c     next hop -> list of addresses (MX via lib/dns, native)
 *   smtpc_session.c   one SMTP session over plain TCP (blocking, timeouts)
 *   smtpc_deliver.c   the private/smtp service: request, routing, results
 */
#ifndef TEGAMI_SMTP_CLIENT_H
#define TEGAMI_SMTP_CLIENT_H

#include <stddef.h>

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
extern char *var_smtp_helo_name;	/* smtp_helo_name = $myhostname */
extern int var_smtp_skip_5xx_greeting;	/* smtp_skip_5xx_greeting = yes */
extern char *var_smtp_dns_servers;	/* dns_nameservers = "" */
extern const struct conf_param smtp_params[];

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
	char	addr[46];		/* numeric address */
	unsigned port;
};

struct smtpc_hop {
	char	host[256];		/* host or domain, brackets removed */
	unsigned port;
	int	no_mx;			/* "[host]" form */
};

/* "[host]:port", "[host]", "host:port", "host" -> hop.  0, or -1 with why. */
int	smtpc_hop_parse(const char *nexthop, struct smtpc_hop *hop,
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

/* Create the resolver (lib/dns.h on a private event base): once, after the
 * privilege drop.  Fatal on a bad dns_nameservers. */
void	smtpc_route_init(void);
/* Resolve hop into at most smtp_mx_address_limit addresses (MX records by
 * preference, random among equals, else the implicit MX; or the host's
 * addresses for "[host]" and smtp_host_lookup = native).  Blocks until
 * answered; lookups run on the private event loop. */
enum smtpc_route_status smtpc_route_resolve(const struct smtpc_hop *hop,
	    struct smtpc_route *rt, struct strbuf *why);
void	smtpc_route_free(struct smtpc_route *rt);
/* Sort MX-like entries (pref, index) by preference with random order
 * among equal ones (exposed for the tests).  pref[] and order[] of n. */
void	smtpc_mx_order(const unsigned *pref, size_t n, size_t *order);

/* ---- sessions (smtpc_session.c) ---- */
/* Per-recipient state of one delivery. */
struct smtpc_rcpt {
	const char *addr;		/* borrowed */
	int	result;			/* DELIVER_* or -1 while still to do */
	char	dsn[16];
	struct strbuf text;
	char	relay[340];		/* host[addr]:port it was last tried at */
};

struct smtpc_msg {
	const char *id;			/* queue id */
	const char *sender;
	const char *nexthop;		/* as given by qmgr (loop message) */
	int	qfd;			/* open queue file */
	const struct qfile_env *env;
	struct smtpc_rcpt *rcpts;
	size_t	nrcpt;
};

/* Outcome of one session, for the caller's choice of the next address. */
enum smtpc_session_status {
	SMTPC_SESSION_DONE,		/* every recipient has a result */
	SMTPC_SESSION_NEXT,		/* site-level soft error: the recipients
					 * without a result may try the next
					 * address (their text says why) */
};

/* Deliver msg's recipients that have no result yet to target. */
enum smtpc_session_status smtpc_session_run(struct smtpc_msg *msg,
	    const struct smtpc_target *target);

/* ---- the service (smtpc_deliver.c) ---- */
void	smtpc_service(int fd);
void	smtpc_post_jail(void);

/* Set the result of every recipient still without one. */
void	smtpc_fail_rest(struct smtpc_msg *msg, int result, const char *dsn,
	    const char *text, int final);

#endif
