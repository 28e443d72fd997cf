/*
 * smtpd/smtpd_anvil.c — per-client connection count and rate limits
 * (Postfix's smtpd_client_connection_count_limit and friends) through the
 * anvil service, which counts for all smtpd processes together.
 *
 * Each hook is restartable (lib/smtp_server.h): the first call sends a
 * request with lib/anvil_client.h and answers PENDING; the callback stores
 * the answer in this module's per-session record and wakes the session;
 * the second call finds the answer and decides.  The records are kept here
 * in a table keyed by session pointer, because the session's policy data
 * belongs to smtpd_policy.c.  A connect that was sent is given back at
 * disconnect (unless anvil's connection went away meanwhile: anvil then
 * forgot it itself).  Anvil unreachable or slow: no limit (fail open; the
 * client logs).  Bad exceptions are fatal at start-up.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anvil_client.h"
#include "cidr.h"
#include "log.h"
#include "mail_params.h"
#include "server.h"
#include "smtpd_anvil.h"

#define SMTPD_ANVIL_TIMEOUT_MS	2000	/* per request; then no limit */

enum smtpd_anvil_stage { SA_NONE, SA_CONNECT, SA_MAIL, SA_RCPT };

struct smtpd_anvil_sess {
	struct smtpd_anvil_sess *next;		/* hash chain */
	struct smtp_session *s;
	char   *ident;				/* "service:client_addr" */
	struct anvil_req *req;			/* awaiting an answer */
	enum smtpd_anvil_stage stage;		/* of req, or of the answer */
	int	answered;
	unsigned long seq;			/* the command it answers */
	int	status;
	long	count, rate;
	int	connected;			/* a connect was sent ... */
	unsigned long gen;			/* ... on this anvil connection */
};

static struct {
	int	init;
	struct cidr_list *exceptions;
	struct smtpd_anvil_sess **buckets;
	size_t	nbuckets;			/* power of two */
	size_t	n;
} sa;

void
smtpd_anvil_init(void)
{
	struct strbuf err;
	const char *v = var_smtpd_client_event_limit_exceptions;

	if (sa.init)
		return;
	strbuf_init(&err, 1024);
	sa.exceptions = cidr_list_parse(v ? v : "", &err);
	if (sa.exceptions == NULL)
		log_fatal("parameter smtpd_client_event_limit_exceptions: %s",
		    err.data);
	strbuf_release(&err);
	anvil_client_init(server_event_base(), var_queue_dir,
	    SMTPD_ANVIL_TIMEOUT_MS);
	sa.nbuckets = 64;
	sa.buckets = xcalloc(sa.nbuckets, sizeof(*sa.buckets));
	sa.init = 1;
}

/* ---- per-session records ---- */

static size_t
sa_hash(const struct smtp_session *s, size_t nbuckets)
{
	uint64_t h = (uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15ULL;

	return ((size_t)(h >> 32) & (nbuckets - 1));
}

static struct smtpd_anvil_sess *
sa_find(const struct smtp_session *s)
{
	struct smtpd_anvil_sess *r;

	for (r = sa.buckets[sa_hash(s, sa.nbuckets)]; r; r = r->next)
		if (r->s == s)
			return (r);
	return (NULL);
}

static void
sa_grow(void)
{
	struct smtpd_anvil_sess **nb, *r, *next;
	size_t	n = sa.nbuckets * 2, i, h;

	nb = xcalloc(n, sizeof(*nb));
	for (i = 0; i < sa.nbuckets; i++)
		for (r = sa.buckets[i]; r; r = next) {
			next = r->next;
			h = sa_hash(r->s, n);
			r->next = nb[h];
			nb[h] = r;
		}
	free(sa.buckets);
	sa.buckets = nb;
	sa.nbuckets = n;
}

static struct smtpd_anvil_sess *
sa_get(struct smtp_session *s)
{
	struct smtpd_anvil_sess *r = sa_find(s);
	const char *service = server_service_name();
	struct strbuf id;
	size_t	h;

	if (r != NULL)
		return (r);
	if (sa.n >= sa.nbuckets * 2)
		sa_grow();
	r = xcalloc(1, sizeof(*r));
	r->s = s;
	strbuf_init(&id, STRBUF_NOLIMIT);
	strbuf_printf(&id, "%s:%s", service ? service : "smtpd",
	    smtp_session_client_addr(s));
	r->ident = strbuf_detach(&id);
	h = sa_hash(s, sa.nbuckets);
	r->next = sa.buckets[h];
	sa.buckets[h] = r;
	sa.n++;
	return (r);
}

static void
sa_forget(struct smtpd_anvil_sess *r)
{
	struct smtpd_anvil_sess **pp;

	for (pp = &sa.buckets[sa_hash(r->s, sa.nbuckets)]; *pp != r;
	    pp = &(*pp)->next)
		;
	*pp = r->next;
	sa.n--;
	anvil_client_cancel(r->req);
	free(r->ident);
	free(r);
}

/* ---- asking anvil ---- */

static void
sa_answer_cb(void *arg, int status, long count, long rate)
{
	struct smtpd_anvil_sess *r = arg;

	r->req = NULL;
	r->answered = 1;
	r->status = status;
	r->count = count;
	r->rate = rate;
	smtp_session_wakeup(r->s);
}

/*
 * The restartable part shared by the hooks: 1 with the answer in *r when
 * it is there (status -1 = none: do not limit), 0 when a request is on its
 * way (the hook answers PENDING).
 */
static int
sa_ask(struct smtpd_anvil_sess *r, enum smtpd_anvil_stage stage)
{
	unsigned long seq = smtp_session_command_seq(r->s);

	/* The answer stays valid for the whole command, however often the
	 * policy runs it again (its later checks may wait for DNS). */
	if (r->answered && r->stage == stage && r->seq == seq)
		return (1);
	if (r->req != NULL && r->stage == stage && r->seq == seq)
		return (0);		/* woken up too early */
	/* A stale request of another stage (the engine moved on). */
	anvil_client_cancel(r->req);
	r->req = NULL;
	r->answered = 0;
	r->stage = stage;
	r->seq = seq;
	switch (stage) {
	case SA_CONNECT:
		r->req = anvil_client_connect(r->ident, sa_answer_cb, r);
		if (r->req != NULL) {
			r->connected = 1;
			r->gen = anvil_client_generation();
		}
		break;
	case SA_MAIL:
		r->req = anvil_client_message(r->ident, sa_answer_cb, r);
		break;
	case SA_RCPT:
		r->req = anvil_client_rcpt(r->ident, sa_answer_cb, r);
		break;
	case SA_NONE:
		log_panic("sa_ask: no stage");
	}
	if (r->req == NULL) {		/* anvil cannot be asked: no limit */
		r->answered = 1;
		r->status = -1;
		return (1);
	}
	return (0);
}

/* Exempt clients are not even counted. */
static int
sa_exempt(struct smtp_session *s)
{
	smtpd_anvil_init();
	return (cidr_list_match(sa.exceptions, smtp_session_client_addr(s)));
}

/* For logs: "name[addr]". */
static void
sa_warn(struct smtp_session *s, const char *what, long n)
{
	log_warn("%s exceeded: %ld from %s[%s] for service %s", what, n,
	    smtp_session_client_name(s), smtp_session_client_addr(s),
	    server_service_name() ? server_service_name() : "smtpd");
}

int
smtpd_anvil_connect(struct smtp_session *s, struct strbuf *reply)
{
	struct smtpd_anvil_sess *r;

	if ((var_smtpd_client_connection_count_limit <= 0
	    && var_smtpd_client_connection_rate_limit <= 0) || sa_exempt(s))
		return (SMTP_POLICY_ACCEPT);
	r = sa_get(s);
	if (!sa_ask(r, SA_CONNECT))
		return (SMTP_POLICY_PENDING);
	if (r->status != 0)
		return (SMTP_POLICY_ACCEPT);
	if (var_smtpd_client_connection_count_limit > 0
	    && r->count > var_smtpd_client_connection_count_limit) {
		sa_warn(s, "Connection concurrency limit", r->count);
		strbuf_set_printf(reply, "421 4.7.0 %s Error: too many connections "
		    "from %s", var_myhostname, smtp_session_client_addr(s));
		return (SMTP_POLICY_REJECT);
	}
	if (var_smtpd_client_connection_rate_limit > 0
	    && r->rate > var_smtpd_client_connection_rate_limit) {
		sa_warn(s, "Connection rate limit", r->rate);
		strbuf_set_printf(reply, "421 4.7.0 %s Error: too many connections "
		    "from %s", var_myhostname, smtp_session_client_addr(s));
		return (SMTP_POLICY_REJECT);
	}
	return (SMTP_POLICY_ACCEPT);
}

int
smtpd_anvil_mail(struct smtp_session *s, struct strbuf *reply)
{
	struct smtpd_anvil_sess *r;

	if (var_smtpd_client_message_rate_limit <= 0 || sa_exempt(s))
		return (SMTP_POLICY_ACCEPT);
	r = sa_get(s);
	if (!sa_ask(r, SA_MAIL))
		return (SMTP_POLICY_PENDING);
	if (r->status == 0 && r->rate > var_smtpd_client_message_rate_limit) {
		sa_warn(s, "Message delivery request rate limit", r->rate);
		strbuf_set_printf(reply, "450 4.7.1 Error: too much mail from %s",
		    smtp_session_client_addr(s));
		return (SMTP_POLICY_REJECT);
	}
	return (SMTP_POLICY_ACCEPT);
}

int
smtpd_anvil_rcpt(struct smtp_session *s, struct strbuf *reply)
{
	struct smtpd_anvil_sess *r;

	if (var_smtpd_client_recipient_rate_limit <= 0 || sa_exempt(s))
		return (SMTP_POLICY_ACCEPT);
	r = sa_get(s);
	if (!sa_ask(r, SA_RCPT))
		return (SMTP_POLICY_PENDING);
	if (r->status == 0 && r->rate > var_smtpd_client_recipient_rate_limit) {
		sa_warn(s, "Recipient address rate limit", r->rate);
		strbuf_set_printf(reply, "450 4.7.1 Error: too many recipients "
		    "from %s", smtp_session_client_addr(s));
		return (SMTP_POLICY_REJECT);
	}
	return (SMTP_POLICY_ACCEPT);
}

void
smtpd_anvil_disconnect(struct smtp_session *s)
{
	struct smtpd_anvil_sess *r;

	if (!sa.init || (r = sa_find(s)) == NULL)
		return;
	if (r->connected)
		anvil_client_disconnect(r->ident, r->gen);
	sa_forget(r);
}
