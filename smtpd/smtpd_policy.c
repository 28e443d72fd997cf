/*
 * smtpd/smtpd_policy.c — the MX policy of port 25: the engine's hooks.
 *
 * Each hook fills a struct smtpd_facts from the session and runs the
 * restriction lists of its stage (smtpd_check.h): the client lists at
 * connect (or at RCPT with smtpd_delay_reject), HELO, MAIL, RCPT (relay
 * then recipient lists, then the implicit reject_unlisted_recipient),
 * DATA and end of data.  At connect the client's name is looked up (PTR,
 * forward-confirmed) when smtpd_peername_lookup is set.  A hook whose
 * lists need DNS answers returns SMTP_POLICY_PENDING and the per-session
 * cache wakes the session once they are in; the engine then calls the
 * hook again.  HOLD and DISCARD actions become transaction flags.  Bad
 * configuration is fatal at start-up; client input only gets replies.
 */
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "dns.h"
#include "log.h"
#include "mail_params.h"
#include "server.h"
#include "smtp_cmd.h"
#include "smtpd.h"
#include "smtpd_anvil.h"
#include "smtpd_check.h"

static struct smtp_server_config smtpd_config;
static struct cidr_list *smtpd_mynetworks;

static int smtpd_on_connect(struct smtp_session *, struct strbuf *);
static int smtpd_check_helo(struct smtp_session *, const char *, struct strbuf *);
static int smtpd_check_mail(struct smtp_session *, const char *, struct strbuf *);
static int smtpd_check_rcpt(struct smtp_session *, const char *, struct strbuf *);
static int smtpd_check_data(struct smtp_session *, struct strbuf *);
static int smtpd_check_eod(struct smtp_session *, struct strbuf *);
static void smtpd_on_disconnect(struct smtp_session *);

const struct smtp_policy smtpd_policy = {
	.name = "smtpd",
	.flags = 0,
	.config = &smtpd_config,
	.on_connect = smtpd_on_connect,
	.check_helo = smtpd_check_helo,
	.check_mail = smtpd_check_mail,
	.check_rcpt = smtpd_check_rcpt,
	.check_data = smtpd_check_data,
	.check_eod = smtpd_check_eod,
	.on_disconnect = smtpd_on_disconnect,
};

/* The per-session DNS cache asks lib/dns.c. */
static void *
smtpd_dns_lookup(const char *name, int type,
    void (*cb)(void *, const struct dns_result *), void *arg)
{
	return (dns_lookup(name, type, cb, arg));
}

static void
smtpd_dns_cancel(void *q)
{
	dns_cancel(q);
}

static const struct smtpd_dns_resolver smtpd_resolver = {
	smtpd_dns_lookup, smtpd_dns_cancel,
};

void
smtpd_policy_init(void)
{
	struct strbuf err;

	strbuf_init(&err, 1024);
	smtpd_mynetworks = cidr_list_parse(var_mynetworks, &err);
	if (smtpd_mynetworks == NULL)
		log_fatal("parameter mynetworks: %s", err.data);
	if (smtpd_check_init(&err) < 0)
		log_fatal("%s", err.data);
	smtpd_anvil_init();
	if (dns_init(server_event_base(), var_dns_nameservers, NULL, &err) < 0)
		log_fatal("parameter dns_nameservers: %s", err.data);
	smtpd_dns_resolver = &smtpd_resolver;
	strbuf_release(&err);
	smtpd_config.base = server_event_base();
	smtpd_config.myhostname = var_myhostname;
	smtpd_config.mail_name = var_mail_name;
	smtpd_config.banner = var_smtpd_banner;
	smtpd_config.queue_dir = var_queue_dir;
	smtpd_config.timeout = var_smtpd_timeout;
	smtpd_config.hard_error_limit = var_smtpd_hard_error_limit;
	smtpd_config.junk_command_limit = var_smtpd_junk_command_limit;
	smtpd_config.recipient_limit = var_smtpd_recipient_limit;
	smtpd_config.command_line_limit = var_line_length_limit;
	smtpd_config.data_line_limit = var_smtpd_data_line_limit;
	smtpd_config.message_size_limit = var_message_size_limit;
	smtpd_config.ipc_frame_limit = var_ipc_frame_limit;
	smtpd_config.disable_vrfy = var_disable_vrfy_command;
	smtpd_config.soft_error_limit = var_smtpd_soft_error_limit;
	smtpd_config.error_sleep_time = var_smtpd_error_sleep_time;
	smtpd_config.greet_wait = var_smtpd_greet_wait;
	smtpd_config.per_record_deadline = var_smtpd_per_record_deadline;
	tls_server_configure(&smtpd_config);
	if (strcmp(var_smtpd_upstream_proxy_protocol, "haproxy") == 0)
		smtpd_config.upstream_proxy = 1;
	else if (*var_smtpd_upstream_proxy_protocol != '\0')
		log_fatal("parameter smtpd_upstream_proxy_protocol: unknown "
		    "protocol \"%s\" (expected \"haproxy\" or nothing)",
		    var_smtpd_upstream_proxy_protocol);
	smtpd_config.upstream_proxy_timeout = var_smtpd_upstream_proxy_timeout;
	smtpd_config.discard_ehlo = smtp_ext_mask(var_smtpd_discard_ehlo_keywords);
}

void
smtpd_accept(int fd)
{
	smtp_server_accept(fd, &smtpd_policy);
}

/* ---- the restriction hooks ---------------------------------------------- */

/* Per-session data of the policy. */
struct smtpd_sess {
	struct smtp_session *s;
	struct smtpd_dns *dns;
	int	names_done;
	char   *client_name, *reverse_name;
	int	name_status, reverse_status;
	int	mynetworks;
	int	ill_pipelining;		/* a command sent ahead where not allowed */
	int	session_flags;		/* HOLD/DISCARD met at CONNECT/HELO */
	int	tx_flags;		/* ... and in this transaction */
};

static void
smtpd_wakeup(void *arg)
{
	struct smtpd_sess *ps = arg;

	smtp_session_wakeup(ps->s);
}

static struct smtpd_sess *
smtpd_sess_get(struct smtp_session *s)
{
	struct smtpd_sess *ps = smtp_session_policy_data(s);

	if (ps == NULL) {
		ps = xcalloc(1, sizeof(*ps));
		ps->s = s;
		ps->dns = smtpd_dns_new(smtpd_wakeup, ps);
		ps->name_status = ps->reverse_status = SMTPD_PEER_PERM;
		smtp_session_set_policy_data(s, ps);
	}
	return (ps);
}

/* The facts of the session for the evaluator (smtpd_check.h). */
static void
smtpd_facts_fill(struct smtp_session *s, struct smtpd_sess *ps,
    struct smtpd_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->client_addr = smtp_session_client_addr(s);
	f->client_name = ps->client_name ? ps->client_name : "unknown";
	f->name_status = ps->name_status;
	f->reverse_name = ps->reverse_name ? ps->reverse_name : "unknown";
	f->reverse_status = ps->reverse_status;
	f->helo = smtp_session_helo(s);
	f->sender = smtp_session_sender(s);
	f->rcpt_count = smtp_session_rcpt_count(s);
	f->tls_fingerprint = smtp_session_tls_peer_fingerprint(s);
	f->sasl_user = smtp_session_sasl_user(s);
	f->protocol = smtp_session_protocol(s);
	f->pipelined = ps->ill_pipelining;
	f->mynetworks = ps->mynetworks;
	f->discarded = (ps->tx_flags & SMTP_TX_DISCARD) != 0;
	f->dns = ps->dns;
}

/* Postfix's "improper pipelining", remembered for the session: input
 * behind HELO/EHLO or DATA (which must end a group, RFC 2920), or behind
 * any command of a client that did not say EHLO. */
static void
smtpd_note_pipelining(struct smtp_session *s, struct smtpd_sess *ps,
    int must_be_last)
{
	if (smtp_session_pipelined(s) && (must_be_last ||
	    !smtp_session_esmtp(s)))
		ps->ill_pipelining = 1;
}

/* The client's names (PTR, forward-confirmed): 0 while DNS is asked. */
static int
smtpd_client_names(struct smtp_session *s, struct smtpd_sess *ps)
{
	const char *name, *rev;
	int	ns, rs;

	if (ps->names_done)
		return (1);
	if (!var_smtpd_peername_lookup) {
		ps->names_done = 1;
		return (1);
	}
	if (!smtpd_dns_client_names(ps->dns, smtp_session_client_addr(s),
	    &name, &ns, &rev, &rs)) {
		smtpd_dns_wait(ps->dns);
		return (0);
	}
	ps->names_done = 1;
	ps->client_name = xstrdup(name);
	ps->reverse_name = xstrdup(rev);
	ps->name_status = ns;
	ps->reverse_status = rs;
	smtp_session_set_reverse_name(s, rev);
	smtp_session_set_client_name(s, name);
	return (1);
}

static int
smtpd_on_connect(struct smtp_session *s, struct strbuf *reply)
{
	struct smtpd_sess *ps = smtpd_sess_get(s);
	struct smtpd_facts f;
	int	r, flags;

	/* Connection count and rate over all smtpd processes (anvil). */
	if ((r = smtpd_anvil_connect(s, reply)) != SMTP_POLICY_ACCEPT)
		return (r);
	ps->mynetworks = cidr_list_match(smtpd_mynetworks,
	    smtp_session_client_addr(s));
	smtp_session_set_relay_ok(s, ps->mynetworks);
	/* Our own networks are not tested for talking before the greeting. */
	if (ps->mynetworks)
		smtp_session_set_greet_wait(s, 0);
	if (!smtpd_client_names(s, ps))
		return (SMTP_POLICY_PENDING);
	smtpd_facts_fill(s, ps, &f);
	r = smtpd_check_stage(SMTPD_CONNECT, &f, reply, &flags);
	if (r == SMTP_POLICY_ACCEPT)
		ps->session_flags |= flags;
	return (r);
}

static int
smtpd_check_helo(struct smtp_session *s, const char *helo,
    struct strbuf *reply)
{
	struct smtpd_sess *ps = smtpd_sess_get(s);
	struct smtpd_facts f;
	int	r, flags;

	smtpd_note_pipelining(s, ps, 1);
	smtpd_facts_fill(s, ps, &f);
	f.helo = helo;
	r = smtpd_check_stage(SMTPD_HELO, &f, reply, &flags);
	if (r == SMTP_POLICY_ACCEPT)
		ps->session_flags |= flags;
	return (r);
}

static int
smtpd_check_mail(struct smtp_session *s, const char *sender,
    struct strbuf *reply)
{
	struct smtpd_sess *ps = smtpd_sess_get(s);
	struct smtpd_facts f;
	int	r, flags;

	if ((r = smtpd_anvil_mail(s, reply)) != SMTP_POLICY_ACCEPT)
		return (r);
	ps->tx_flags = ps->session_flags;	/* a new transaction */
	smtpd_note_pipelining(s, ps, 0);
	smtpd_facts_fill(s, ps, &f);
	f.sender = sender;
	r = smtpd_check_stage(SMTPD_MAIL, &f, reply, &flags);
	if (r == SMTP_POLICY_ACCEPT)
		ps->tx_flags |= flags;
	return (r);
}

/* RCPT, DATA, end of data: HOLD/DISCARD go to the transaction. */
static int
smtpd_check_tx(struct smtp_session *s, enum smtpd_stage stage,
    const char *rcpt, struct strbuf *reply)
{
	struct smtpd_sess *ps = smtpd_sess_get(s);
	struct smtpd_facts f;
	int	r, flags;

	if (stage == SMTPD_RCPT
	    && (r = smtpd_anvil_rcpt(s, reply)) != SMTP_POLICY_ACCEPT)
		return (r);
	if (stage != SMTPD_EOD)
		smtpd_note_pipelining(s, ps, stage == SMTPD_DATA);
	smtpd_facts_fill(s, ps, &f);
	f.rcpt = rcpt;
	r = smtpd_check_stage(stage, &f, reply, &flags);
	if (r == SMTP_POLICY_ACCEPT) {
		ps->tx_flags |= flags;
		if (ps->tx_flags)
			smtp_session_set_tx_flags(s, ps->tx_flags);
	}
	return (r);
}

static int
smtpd_check_rcpt(struct smtp_session *s, const char *rcpt, struct strbuf *reply)
{
	return (smtpd_check_tx(s, SMTPD_RCPT, rcpt, reply));
}

static int
smtpd_check_data(struct smtp_session *s, struct strbuf *reply)
{
	return (smtpd_check_tx(s, SMTPD_DATA, NULL, reply));
}

static int
smtpd_check_eod(struct smtp_session *s, struct strbuf *reply)
{
	return (smtpd_check_tx(s, SMTPD_EOD, NULL, reply));
}

static void
smtpd_on_disconnect(struct smtp_session *s)
{
	struct smtpd_sess *ps = smtp_session_policy_data(s);

	smtpd_anvil_disconnect(s);
	if (ps != NULL) {
		smtpd_dns_free(ps->dns);	/* cancels what is pending */
		free(ps->client_name);
		free(ps->reverse_name);
		free(ps);
		smtp_session_set_policy_data(s, NULL);
	}
	server_conn_done();
}
