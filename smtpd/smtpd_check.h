/*
 * smtpd/smtpd_check.h — Postfix's SMTP access restriction language.
 *
 * Restriction lists (smtpd_client_restrictions, ...) are parsed once at
 * start-up into compiled lists (smtpd_check_parse.c); a list that names an
 * unknown restriction or lacks a table is a configuration error.  The
 * evaluator (smtpd_check.c) works on a struct smtpd_facts that the policy
 * (smtpd_policy.c) fills from the engine's session, so it can be tested
 * without a session.  Answers from DNS come from a per-session cache
 * (smtpd_check_dns.c); an element whose answer is not there yet starts the
 * lookup and the evaluation answers SMTP_POLICY_PENDING, to be run again
 * from the start of the stage once every answer is in.
 */
#ifndef TEGAMI_SMTPD_CHECK_H
#define TEGAMI_SMTPD_CHECK_H

#include <stddef.h>

#include "map.h"
#include "strbuf.h"

struct dns_result;

/* ---- the compiled form ------------------------------------------------- */

enum smtpd_restr {
	R_PERMIT, R_REJECT, R_DEFER, R_DEFER_IF_PERMIT, R_DEFER_IF_REJECT,
	R_WARN_IF_REJECT, R_PERMIT_MYNETWORKS, R_PERMIT_SASL,
	R_PERMIT_TLS_CLIENTCERTS, R_PERMIT_AUTH_DEST, R_REJECT_UNAUTH_DEST,
	R_DEFER_UNAUTH_DEST, R_REJECT_UNAUTH_PIPELINING,
	R_REJECT_NON_FQDN_HELO, R_REJECT_INVALID_HELO, R_REJECT_UNKNOWN_HELO,
	R_REJECT_NON_FQDN_SENDER, R_REJECT_NON_FQDN_RCPT,
	R_REJECT_UNKNOWN_SENDER_DOMAIN, R_REJECT_UNKNOWN_RCPT_DOMAIN,
	R_REJECT_UNKNOWN_CLIENT, R_REJECT_UNKNOWN_REVERSE_CLIENT,
	R_REJECT_UNLISTED_RCPT, R_REJECT_MULTI_RCPT_BOUNCE,
	R_CHECK_CLIENT_ACCESS, R_CHECK_REVERSE_CLIENT_ACCESS,
	R_CHECK_HELO_ACCESS, R_CHECK_SENDER_ACCESS, R_CHECK_RCPT_ACCESS,
	R_RBL_CLIENT, R_RHSBL_CLIENT, R_RHSBL_REVERSE_CLIENT, R_RHSBL_SENDER,
	R_RHSBL_HELO, R_RHSBL_RCPT,
	R_REJECT_SENDER_LOGIN, R_REJECT_AUTH_SENDER_LOGIN,
	R_REJECT_UNAUTH_SENDER_LOGIN,	/* smtpd_check_login.c */
	R_CLASS,		/* a name from smtpd_restriction_classes */
};

/* A DNSBL reply filter ("=127.0.0.[2..11]"): one 256-bit set per octet. */
struct smtpd_rbl_filter {
	unsigned char octet[4][32];
};

struct smtpd_restriction {
	enum smtpd_restr type;
	const char *name;		/* "check_client_access" (static) */
	struct map *table;		/* check_*_access */
	int	pattern_table;		/* pcre:/regexp:/cidr: (whole keys only) */
	char   *zone;			/* DNSBL zone; class name for R_CLASS */
	int	has_filter;
	struct smtpd_rbl_filter filter;
};

struct smtpd_rlist {
	char   *param;			/* "smtpd_recipient_restrictions" */
	size_t	n;
	struct smtpd_restriction *v;
};

/* Parse a list value (split on commas and white space, {...} kept whole).
 * classes: the names of smtpd_restriction_classes (may be NULL); an
 * element that is one of them is R_CLASS.  NULL with "parameter PARAM: ..."
 * in err for an unknown element, a missing or bad table, a bad DNSBL
 * filter. */
struct smtpd_rlist *smtpd_rlist_parse(const char *param, const char *value,
	    char *const *classes, struct strbuf *err);
void	smtpd_rlist_free(struct smtpd_rlist *l);	/* accepts NULL */
/* How tables are opened (map_open; the fuzzer opens inline: only). */
extern struct map *(*smtpd_rlist_map_open)(const char *spec, int flags,
	    struct strbuf *err);
/* Does the list contain an element of this type (top level only)? */
int	smtpd_rlist_has(const struct smtpd_rlist *l, enum smtpd_restr type);
/* Parse a DNSBL filter "d.d.d.d" where d is N, or [N;N..M;...]. -1 bad. */
int	smtpd_rbl_filter_parse(const char *text, struct smtpd_rbl_filter *f);
int	smtpd_rbl_filter_match(const struct smtpd_rbl_filter *f,
	    const char *ipv4);

/* ---- the per-session DNS cache (smtpd_check_dns.c) --------------------- */

struct smtpd_dns;

/* One answer: status is an enum dns_status; v holds the A/AAAA addresses
 * or the MX/PTR names (MX sorted as received, pref in pref[]); txt the
 * first TXT record, made printable. */
struct smtpd_dns_answer {
	int	status;
	size_t	n;
	char  **v;
	unsigned *pref;
	char   *txt;
};

/* How the cache starts and cancels lookups: lib/dns.h in the daemon; NULL
 * (the default) = offline: a missing answer stays pending until
 * smtpd_dns_put() supplies it (unit tests). */
struct smtpd_dns_resolver {
	void   *(*lookup)(const char *name, int type,
		    void (*cb)(void *, const struct dns_result *), void *arg);
	void	(*cancel)(void *query);
};
extern const struct smtpd_dns_resolver *smtpd_dns_resolver;

#define SMTPD_DNS_MAX_ENTRIES	256	/* answers kept per session */

/* wakeup(arg) is called once every lookup started since the last
 * smtpd_dns_wait() has been answered. */
struct smtpd_dns *smtpd_dns_new(void (*wakeup)(void *), void *arg);
void	smtpd_dns_free(struct smtpd_dns *d);	/* cancels; accepts NULL */
/* The answer for (name, type); NULL when it is not known yet (the lookup
 * is then started, once). */
const struct smtpd_dns_answer *smtpd_dns_get(struct smtpd_dns *d,
	    const char *name, int type);
/* Store an answer (the lookup's callback; tests). */
void	smtpd_dns_put(struct smtpd_dns *d, const char *name, int type,
	    int status, const char *const *v, size_t n, const char *txt);
size_t	smtpd_dns_pending(const struct smtpd_dns *d);
/* Names of pending lookups, for tests: "name/TYPE" joined by ' '. */
void	smtpd_dns_pending_names(const struct smtpd_dns *d, struct strbuf *out);
/* The caller got PENDING: call wakeup once nothing is pending any more
 * (never from within this call). */
void	smtpd_dns_wait(struct smtpd_dns *d);

enum smtpd_peer_status {
	SMTPD_PEER_OK,
	SMTPD_PEER_TEMP,	/* DNS trouble: try again later */
	SMTPD_PEER_PERM,	/* no name, or not forward-confirmed */
};

/* The client's names: PTR of addr, then A/AAAA of that name (forward
 * confirmation).  0 while answers are missing (lookups started), 1 when
 * done: *rev = PTR name or "unknown", *name = confirmed name or
 * "unknown" (static or owned by the cache; copy them). */
int	smtpd_dns_client_names(struct smtpd_dns *d, const char *addr,
	    const char **name, int *name_status, const char **rev,
	    int *rev_status);

/* ---- evaluation -------------------------------------------------------- */

/* The stage (the command being checked). */
enum smtpd_stage {
	SMTPD_CONNECT, SMTPD_HELO, SMTPD_MAIL, SMTPD_RCPT, SMTPD_DATA,
	SMTPD_EOD,
};

/* What is known about the session; strings are borrowed. */
struct smtpd_facts {
	const char *client_addr;
	const char *client_name;	/* forward-confirmed, "unknown" */
	int	name_status;		/* enum smtpd_peer_status */
	const char *reverse_name;	/* from PTR, "unknown" */
	int	reverse_status;
	const char *helo;		/* NULL or "" before HELO/EHLO */
	const char *sender;		/* NULL before MAIL; "" = <> */
	const char *rcpt;		/* RCPT being checked; NULL otherwise */
	size_t	rcpt_count;		/* recipients accepted so far */
	const char *tls_fingerprint;	/* client certificate; NULL none */
	const char *sasl_user;		/* NULL when not authenticated */
	const char *protocol;		/* "ESMTP", for logs */
	int	pipelined;		/* command sent ahead of our reply */
	int	mynetworks;		/* client in $mynetworks */
	int	discarded;		/* DISCARD already decided: accept */
	struct smtpd_dns *dns;		/* NULL: DNS answers are TEMPFAIL */
};

/* The compiled configuration: every list, every class (smtpd_check.c). */
int	smtpd_check_init(struct strbuf *err);
void	smtpd_check_free(void);

/* Evaluate the lists of a stage (with smtpd_delay_reject, RCPT also runs
 * the client, HELO and sender lists; CONNECT/HELO/MAIL then run nothing).
 * Returns SMTP_POLICY_ACCEPT, _REJECT (reply in `reply`, no CRLF) or
 * _PENDING (DNS answers missing; smtpd_dns_wait() was called).  *tx_flags
 * receives SMTP_TX_HOLD / SMTP_TX_DISCARD actions met on the way. */
int	smtpd_check_stage(enum smtpd_stage stage, const struct smtpd_facts *f,
	    struct strbuf *reply, int *tx_flags);

/* Evaluate one list (tests, fuzz): same results. */
int	smtpd_check_list(const struct smtpd_rlist *l, enum smtpd_stage stage,
	    const struct smtpd_facts *f, struct strbuf *reply, int *tx_flags);

/* The recipient classes of reject_unauth_destination / unlisted checks
 * (smtpd_check_unlisted.c). */
enum smtpd_rcpt_class {
	SMTPD_RC_LOCAL,		/* $mydestination or a bare local part */
	SMTPD_RC_VALIAS,	/* $virtual_alias_domains */
	SMTPD_RC_VMAILBOX,	/* $virtual_mailbox_domains */
	SMTPD_RC_RELAY,		/* $relay_domains */
	SMTPD_RC_OTHER,		/* anything else: relaying */
	SMTPD_RC_RETRY,		/* a table in trouble */
};
enum smtpd_rcpt_class smtpd_rcpt_class(const char *rcpt);
/* Postfix's implicit reject_unlisted_recipient: SMTP_POLICY_ACCEPT, or
 * _REJECT with "550 5.1.1 ... User unknown ..." / "451 4.3.0 ...". */
int	smtpd_check_unlisted(const char *rcpt, struct strbuf *reply);

#endif
