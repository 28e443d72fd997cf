/*
 * smtpd/smtpd_check_int.h — the evaluator's state, shared by the
 * smtpd_check*.c files only.
 *
 * One struct smtpd_eval lives for one evaluation of one stage.  Elements
 * answer C_DUNNO (go on), C_OK (this list permits), C_REJECT (stop
 * everything; the reply is in ev->reply) or C_PENDING (a DNS answer is
 * missing; stop and run the stage again later).
 */
#ifndef TEGAMI_SMTPD_CHECK_INT_H
#define TEGAMI_SMTPD_CHECK_INT_H

#include "smtpd_check.h"

enum { C_DUNNO, C_OK, C_REJECT, C_PENDING };

#define SMTPD_CHECK_DEPTH	20	/* classes and table results nesting */

/* Who a reply is about: "<name>: class rejected: ..." */
struct smtpd_ctx {
	const char *name;	/* "a@b", "host.example", "unknown[192.0.2.1]" */
	const char *cls;	/* "Sender address", "Client host", ... */
};

struct smtpd_eval {
	const struct smtpd_facts *f;
	enum smtpd_stage stage;
	const char *cmd;		/* "RCPT", for logs */
	char   *namaddr;		/* "name[addr]" */
	struct strbuf *reply;
	int	tx_flags;
	int	warn_next;		/* warn_if_reject: the next element */
	int	warn_now;		/* ... is the current one */
	int	defer_if_reject;
	int	dip_active;		/* defer_if_permit seen */
	struct strbuf dip_reply;
	int	depth;
};

/* smtpd_check.c */
int	smtpd_ev_reject(struct smtpd_eval *ev, int code, const char *dsn,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	smtpd_ev_defer_if_permit(struct smtpd_eval *ev, int code,
	    const char *dsn, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));
void	smtpd_ev_log(struct smtpd_eval *ev, const char *what, const char *text);
int	smtpd_ev_list(struct smtpd_eval *ev, const struct smtpd_rlist *l,
	    const struct smtpd_ctx *ctx);
/* A class or a list given as an access-table result. */
int	smtpd_ev_text_list(struct smtpd_eval *ev, const char *text,
	    const struct smtpd_ctx *ctx);
const char *smtpd_addr_domain(const char *addr);	/* "" when none */
int	smtpd_valid_hostname(const char *name);
int	smtpd_valid_ipaddr(const char *text);
extern int smtpd_access_parent_style;	/* "example.com" matches subdomains */
extern struct maplist *smtpd_relay_clientcerts;

/* smtpd_check_access.c */
int	smtpd_ev_access(struct smtpd_eval *ev, const struct smtpd_restriction *r,
	    const struct smtpd_ctx *ctx);

/* smtpd_check_login.c: smtpd_sender_login_maps. */
int	smtpd_login_init(struct strbuf *err);
void	smtpd_login_free(void);
int	smtpd_ev_login(struct smtpd_eval *ev, const struct smtpd_restriction *r);

/* smtpd_check_rbl.c: DNSBL and DNS existence checks. */
int	smtpd_ev_dns(struct smtpd_eval *ev, const struct smtpd_restriction *r,
	    const struct smtpd_ctx *ctx);

#endif
