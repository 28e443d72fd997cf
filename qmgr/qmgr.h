/*
 * qmgr/qmgr.h — the queue manager's modules, shared inside qmgr/ only.
 *
 *   qmgr_params.c    the parameter table
 *   qmgr_scan.c      start-up recovery, incoming/ and deferred/ scans, timers
 *   qmgr_active.c    active messages: open, per-recipient results, the end
 *                    of a delivery attempt (remove, defer with back-off, bounce)
 *   qmgr_transport.c which transport a recipient goes to (the transport table)
 *   qmgr_dispatch.c  delivery requests to the agents, concurrency limits
 *   qmgr_schedule.c  back-off, expiry and delay arithmetic (pure functions)
 *   qmgr_bounce.c    non-delivery notifications through cleanup
 *   qmgr_deferlog.c  the per-message defer log (defer/ID)
 */
#ifndef TEGAMI_QMGR_H
#define TEGAMI_QMGR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/time.h>

#include "conf.h"
#include "ipc.h"
#include "qfile.h"
#include "strbuf.h"

/* ---- parameters (qmgr_params.c) ---- */
extern long var_qmgr_active_limit;	/* qmgr_message_active_limit */
extern long var_min_backoff_time;	/* minimal_backoff_time */
extern long var_max_backoff_time;	/* maximal_backoff_time */
extern long var_queue_run_delay;	/* queue_run_delay */
extern long var_max_queue_lifetime;	/* maximal_queue_lifetime */
extern long var_bounce_queue_lifetime;	/* bounce_queue_lifetime */
extern long var_local_rcpt_limit;	/* local_destination_recipient_limit */
extern long var_local_dest_conc_limit;	/* local_destination_concurrency_limit */
extern long var_default_rcpt_limit;	/* default_destination_recipient_limit */
extern long var_default_dest_conc_limit; /* default_destination_concurrency_limit */
extern long var_init_dest_conc;		/* initial_destination_concurrency */
extern long var_default_cohort_limit;	/* default_destination_concurrency_failed_cohort_limit */
extern char *var_default_pos_feedback;	/* default_destination_concurrency_positive_feedback */
extern char *var_default_neg_feedback;	/* default_destination_concurrency_negative_feedback */
extern long var_delay_warning_time;	/* delay_warning_time (0 = off) */
extern char *var_relayhost;		/* relayhost = "" */
extern char *var_transport_maps;	/* transport_maps = "" */
extern char *var_default_transport;	/* default_transport = smtp */
extern char *var_virtual_transport;	/* virtual_transport = virtual */
extern char *var_relay_transport;	/* relay_transport = relay */
extern char *var_relay_domains;		/* relay_domains = "" */
extern char *var_parent_domain_matches;	/* parent_domain_matches_subdomains */
extern const struct conf_param qmgr_params[];

/* Postfix's per-transport overrides: "<transport>_" + one of these
 * suffixes (smtp_destination_concurrency_limit, ...). */
extern const char *const qmgr_transport_param_suffixes[];
/* Is name a per-transport override for one of the services (a
 * NULL-terminated list of master.cf service names)?  1 yes, 0 no; a value
 * set in main.cf that does not convert is -1 with the reason in err. */
int	qmgr_params_transport_known(const char *name,
	    const char *const *services, struct strbuf *err);
/* The value of "<transport>_<suffix>" when main.cf sets it, else def.
 * 0, or -1 with err (file, line, what was expected). */
int	qmgr_params_transport_int(const char *transport, const char *suffix,
	    long def, long min, long max, long *out, struct strbuf *err);
/* The same for the string-valued feedback parameters (borrowed). */
const char *qmgr_params_transport_str(const char *transport,
	    const char *suffix, const char *def);

/* ---- messages (qmgr_active.c) ---- */
enum qmgr_rstate {
	QR_SKIP,	/* done in an earlier attempt */
	QR_TODO,	/* waiting for a delivery request */
	QR_BUSY,	/* in a request */
	QR_SENT,	/* delivered (marked done in the file) */
	QR_DEFER,	/* deferred in this attempt */
	QR_BOUNCE,	/* failed for good in this attempt */
};

struct qmgr_rstat {
	int	state;			/* enum qmgr_rstate */
	char	dsn[16];		/* enhanced status of the result */
	char   *text;			/* reason (malloc'd) for DEFER / BOUNCE */
};

struct qmgr_message {
	char	id[QFILE_ID_LEN + 1];
	int	fd;			/* active/ID, read-write (status bytes) */
	struct qfile_env *env;
	struct qmgr_rstat *rs;		/* one per env->rcpts[] */
	struct timeval t_active;	/* when it entered the active queue */
	size_t	jobs;			/* delivery requests not finished */
	TAILQ_ENTRY(qmgr_message) link;
};

/* Per-request timing for the delays=a/b/c/d log field. */
struct qmgr_times {
	struct timeval start;		/* request taken from the queue */
	struct timeval sent;		/* request written */
	struct timeval done;		/* reply read */
};

/* Number of messages in the active queue. */
size_t	qmgr_active_count(void);
/* Take active/ID into memory and queue its recipients (the file is in
 * active/ already).  A corrupt file is moved to corrupt/. */
void	qmgr_active_open(const char *id);
/* The result of one recipient (called by qmgr_dispatch.c). `relay` names
 * the agent; times may be NULL (no request was made). */
void	qmgr_active_result(struct qmgr_message *m, size_t i, int result,
	    const char *dsn, const char *text, const char *relay,
	    const struct qmgr_times *times);
/* A request of m finished; when it was the last one, the attempt ends. */
void	qmgr_active_job_done(struct qmgr_message *m);

/* ---- scanning and timers (qmgr_scan.c) ---- */
/* Start-up: active/ back to incoming/, timers. */
void	qmgr_scan_init(void);
/* The trigger handler: a wake-up from cleanup, sendmail -q, or -w. */
void	qmgr_scan_trigger(void);
/* Capacity in the active queue was freed: rescan soon if work was left. */
void	qmgr_scan_kick(void);

/* ---- transports (qmgr_transport.c) ---- */
struct qmgr_job;
struct qmgr_dest;
struct event;
TAILQ_HEAD(qmgr_job_list, qmgr_job);
TAILQ_HEAD(qmgr_dest_list, qmgr_dest);

#define QMGR_DEST_BUCKETS	4096

/* A destination's concurrency window and its feedback state
 * (qmgr_schedule.c; Postfix's qmgr_queue.c). */
struct qmgr_conc_params {
	long	init;			/* initial_destination_concurrency */
	long	limit;			/* <tp>_destination_concurrency_limit; 0 = none */
	long	cohort_limit;		/* <tp>_destination_concurrency_failed_cohort_limit */
	double	pos, neg;		/* feedback amounts */
	int	pos_per_conc, neg_per_conc;	/* "N/concurrency" forms */
};
struct qmgr_conc {
	int	window;			/* requests allowed in flight */
	double	success, failure;	/* feedback not yet turned into a step */
	double	fail_cohorts;		/* failed pseudo-cohorts since a success */
};

struct qmgr_transport {
	const char *name;		/* "local", "virtual", "smtp" */
	const char *unavailable;	/* defer text when there is no agent yet */
	const char *agent_mode;		/* `transport` attribute of requests, or NULL */
	const char *param_name;		/* prefix of its per-transport parameters */
	long   *rcpt_limit;		/* recipients per request */
	long   *dest_limit;		/* requests in flight per destination */
	struct qmgr_conc_params conc;	/* slow start and feedback */
	long	rcpt_lim, dest_lim;	/* what rcpt_limit / dest_limit point to */
	char	service[64];		/* private/SERVICE socket */
	int	busy;			/* requests in flight */
	int	paused;			/* the agent's socket is full: wait */
	struct qmgr_dest_list ready;	/* destinations that may start a request */
	struct qmgr_dest *buckets[QMGR_DEST_BUCKETS];	/* every live destination */
};

/* A destination: the unit of the per-destination concurrency limit (for
 * local with one recipient per request: the recipient). */
struct qmgr_dest {
	char   *key;
	int	inflight;
	int	on_ready;
	struct qmgr_conc conc;		/* the concurrency window */
	time_t	dead_until;		/* dead (suspended) until then; 0 = alive */
	int	probing;		/* dead time over: one request decides */
	char   *dead_reason;		/* the agent's reason when it died */
	char	dead_dsn[16];
	int	on_dead;		/* on the dead list */
	struct qmgr_transport *tp;
	TAILQ_ENTRY(qmgr_dest) dead_link;
	struct qmgr_job_list queue;	/* waiting requests */
	struct qmgr_dest *hnext;	/* hash chain */
	TAILQ_ENTRY(qmgr_dest) link;	/* on the transport's ready list */
};

/* Read $local_transport and the other transport parameters, open
 * transport_maps and the domain lists; fatal on bad configuration. */
void	qmgr_transport_init(void);

/* Where one recipient goes (transport(5) and Postfix's address classes). */
enum qmgr_route_kind {
	QMGR_ROUTE_DELIVER,		/* a request to tp, nexthop set */
	QMGR_ROUTE_BOUNCE,		/* fail now: dsn + why (error transport,
					 * bad address) */
	QMGR_ROUTE_DEFER,		/* try later: dsn + why (retry transport,
					 * no agent, table trouble) */
};
struct qmgr_route {
	int	kind;			/* enum qmgr_route_kind */
	struct qmgr_transport *tp;	/* QMGR_ROUTE_DELIVER */
	char	dsn[16];		/* BOUNCE / DEFER */
	const char *relay;		/* for the log: transport name or "none" */
};
/* Resolve rcpt: the class default ($local_transport for $mydestination,
 * $virtual_transport for $virtual_mailbox_domains, $relay_transport for
 * $relay_domains, else $default_transport), overridden by transport_maps
 * (address, domain, parent domains, "*").  nexthop receives the next hop
 * for DELIVER, why the reason for BOUNCE / DEFER. */
/* Route a recipient of a message that header/body checks sent to a FILTER
 * ("transport:nexthop", recorded by cleanup as the `filter` attribute):
 * every recipient goes there, whatever its address class. */
void	qmgr_transport_filter(const char *filter, const char *rcpt,
	    struct qmgr_route *rt, struct strbuf *nexthop, struct strbuf *why);
void	qmgr_transport_route(const char *rcpt, struct qmgr_route *rt,
	    struct strbuf *nexthop, struct strbuf *why);
/* The old interface: the transport (NULL with why when the recipient is
 * not delivered by an agent now). */
struct qmgr_transport *qmgr_transport_resolve(const char *rcpt,
	    struct strbuf *nexthop, struct strbuf *why);
/* Iterate over all transports: NULL-terminated. */
struct qmgr_transport *qmgr_transport_at(size_t i);

/* ---- dispatch (qmgr_dispatch.c) ---- */
struct qmgr_job {
	struct qmgr_message *msg;
	struct qmgr_transport *tp;
	size_t	*idx;			/* recipient indexes into msg->env->rcpts */
	size_t	n;
	char   *nexthop;
	struct qmgr_dest *dest;
	int	fd;
	int	sending;		/* 1 while writing the request */
	struct event *ev;
	struct strbuf io;		/* request out, then reply in */
	size_t	io_off;
	struct qmgr_times times;
	TAILQ_ENTRY(qmgr_job) link;
};

/* Queue recipient i of m for transport tp (grouped into requests up to the
 * transport's recipient limit; call qmgr_dispatch_flush(m) at the end). */
void	qmgr_dispatch_add(struct qmgr_message *m, struct qmgr_transport *tp,
	    const char *nexthop, size_t i);
/* Close m's open groups. */
void	qmgr_dispatch_flush(struct qmgr_message *m);
/* Start as many waiting requests as the limits allow. */
void	qmgr_dispatch_run(void);
/* Forget every dead destination (a flush: "the site is back"). */
void	qmgr_dispatch_revive(void);
/* How many requests d may have in flight now. */
int	qmgr_dispatch_dest_limit(const struct qmgr_transport *tp,
	    const struct qmgr_dest *d);

/* One recipient's result as read from an agent's reply. */
struct qmgr_result {
	int	result;			/* DELIVER_OK / _DEFER / _BOUNCE */
	char	dsn[16];
	char   *text;			/* malloc'd */
};
/* Turn a reply frame for n recipients into n results: anything missing
 * or malformed becomes a deferral.  Pure; results' texts are malloc'd. */
void	qmgr_reply_parse(const struct ipc_msg *reply, size_t n,
	    const char *relay, struct qmgr_result *out);
/* Does a reply carry IPC_ATTR_SITE_FAIL (a destination failure)? */
int	qmgr_reply_site_fail(const struct ipc_msg *reply);
/* Build the request frame of a job (exposed for the tests). */
void	qmgr_request_build(const struct qmgr_job *job, struct ipc_msg *m);

/* ---- schedule arithmetic (qmgr_schedule.c) ---- */
/* Seconds until the next attempt for a message of this age (Postfix:
 * the age, clamped to [min, max], so the wait doubles). */
long	qmgr_backoff(int64_t now, int64_t arrival, long min_backoff,
	    long max_backoff);
/* Has a message passed its queue lifetime (null sender: bounce_queue_lifetime)? */
int	qmgr_expired(int64_t now, int64_t arrival, int null_sender,
	    long max_lifetime, long bounce_lifetime);
/* "1/concurrency" or "N/concurrency" or "N" (0 < N <= 1) -> value and
 * form.  0 / -1. */
int	qmgr_feedback_parse(const char *s, double *value, int *per_conc);
/* The largest window p allows (INT_MAX when the limit is 0). */
int	qmgr_conc_limit(const struct qmgr_conc_params *p);
/* A new destination: the initial window. */
void	qmgr_conc_init(struct qmgr_conc *c, const struct qmgr_conc_params *p);
/* A delivery that reached a server: positive feedback. */
void	qmgr_conc_success(struct qmgr_conc *c, const struct qmgr_conc_params *p);
/* A site failure: negative feedback.  1 when the destination is now
 * dead (its failed cohorts reached the limit), else 0. */
int	qmgr_conc_failure(struct qmgr_conc *c, const struct qmgr_conc_params *p);
/* Is a "delayed mail" notice due for a message of this age? */
int	qmgr_delay_warning_due(int64_t now, int64_t arrival,
	    long delay_warning_time);
/* A delay for the log: "0", "0.12", "1.2", "12". */
void	qmgr_format_delay(double seconds, char *buf, size_t size);
double	qmgr_tv_diff(const struct timeval *later, const struct timeval *earlier);

/* ---- bounces (qmgr_bounce.c) ---- */
/* Queue a non-delivery notification (delayed: a "delayed mail" notice)
 * for recipients idx[0..n-1] of m to its sender. 0 with the new queue id,
 * -1 with the reason in err. */
int	qmgr_bounce_send(struct qmgr_message *m, const size_t *idx, size_t n,
	    int delayed, char newid[QFILE_ID_LEN + 1], struct strbuf *err);
/* Compose the notice text (no I/O but reading m's headers from its fd). */
int	qmgr_bounce_compose(struct qmgr_message *m, const size_t *idx, size_t n,
	    int delayed, int64_t now, struct strbuf *out, struct strbuf *err);

/* ---- defer log (qmgr_deferlog.c) ---- */
/* Append "rcpt was deferred because reason" to QUEUE_DIR/defer/ID. 0 / -1. */
int	qmgr_deferlog_append(const char *queue_dir, const char *id,
	    const char *rcpt, const char *reason);
/* Remove QUEUE_DIR/defer/ID (a missing file is fine). */
void	qmgr_deferlog_remove(const char *queue_dir, const char *id);
/* Read every (rcpt, reason) pair in order; fn returns non-zero to stop.
 * 0 at the end, -1 when the log is missing or malformed (why). */
int	qmgr_deferlog_read(const char *queue_dir, const char *id,
	    int (*fn)(const char *rcpt, const char *reason, void *ctx),
	    void *ctx, struct strbuf *why);

#endif
