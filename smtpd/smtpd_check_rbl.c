/*
 * smtpd/smtpd_check_rbl.c — restrictions that need DNS answers: DNS
 * blocklists (reject_rbl_client, reject_rhsbl_*) and existence checks
 * (reject_unknown_{sender,recipient}_domain, reject_unknown_helo_hostname).
 *
 * Answers come from the session's cache (smtpd_check_dns.c); a missing
 * one makes the element answer C_PENDING, and the stage runs again when
 * it is in.  A blocklist that cannot be asked lists nobody (as Postfix); a
 * domain whose existence cannot be known is deferred by
 * unknown_address_tempfail_action, never rejected.  The TXT text of a
 * listing goes into the reply only after the cache made it printable.
 */
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "log.h"
#include "mail_params.h"
#include "smtpd.h"
#include "smtpd_check_int.h"

/* Does an A answer of a blocklist list the query? */
static int
rbl_listed(const struct smtpd_restriction *r, const struct smtpd_dns_answer *a)
{
	size_t	i;

	if (a->status != DNS_OK)
		return (0);
	for (i = 0; i < a->n; i++)
		if (r->has_filter ? smtpd_rbl_filter_match(&r->filter, a->v[i]) :
		    strncmp(a->v[i], "127.", 4) == 0)
			return (1);
	return (0);
}

/* Look qname up in the zone of r; `what` is shown in the reply. */
static int
rbl_check(struct smtpd_eval *ev, const struct smtpd_restriction *r,
    const char *qname, const char *cls, const char *what)
{
	const struct smtpd_dns_answer *a, *t;

	if ((a = smtpd_dns_get(ev->f->dns, qname, DNS_T_A)) == NULL)
		return (C_PENDING);
	if (!rbl_listed(r, a))
		return (C_DUNNO);
	if ((t = smtpd_dns_get(ev->f->dns, qname, DNS_T_TXT)) == NULL)
		return (C_PENDING);
	return (smtpd_ev_reject(ev, (int)var_maps_rbl_reject_code, "5.7.1",
	    "Service unavailable; %s [%s] blocked using %s%s%s", cls, what,
	    r->zone, t->status == DNS_OK && t->txt ? "; " : "",
	    t->status == DNS_OK && t->txt ? t->txt : ""));
}

static int
rbl_client(struct smtpd_eval *ev, const struct smtpd_restriction *r)
{
	const char *addr = ev->f->client_addr;
	struct strbuf q;
	int	st;

	if (addr == NULL || *addr == '\0')
		return (C_DUNNO);
	strbuf_init(&q, 1024);
	if (dns_reverse_name(addr, r->zone, &q) < 0)
		st = C_DUNNO;
	else
		st = rbl_check(ev, r, q.data, "Client host", addr);
	strbuf_release(&q);
	return (st);
}

/* A domain in a right-hand-side blocklist. */
static int
rhsbl(struct smtpd_eval *ev, const struct smtpd_restriction *r,
    const char *domain, const char *cls)
{
	struct strbuf q;
	int	st;

	if (domain == NULL || *domain == '\0' || *domain == '[' ||
	    strcmp(domain, "unknown") == 0 || !smtpd_valid_hostname(domain))
		return (C_DUNNO);
	strbuf_init(&q, 1024);
	if (strbuf_printf(&q, "%s.%s", domain, r->zone) < 0 || q.len > 253)
		st = C_DUNNO;
	else
		st = rbl_check(ev, r, q.data, cls, domain);
	strbuf_release(&q);
	return (st);
}

enum unk_kind { UNK_SENDER, UNK_RCPT, UNK_HELO };

/* reject_unknown_{sender,recipient}_domain, reject_unknown_helo_hostname:
 * no MX and no A/AAAA is unknown; a null MX (RFC 7505) refuses mail. */
static int
unknown_domain(struct smtpd_eval *ev, const char *addr, enum unk_kind kind)
{
	static const char *const cls[] = { "Sender address",
	    "Recipient address", "Helo command" };
	const struct smtpd_dns_answer *mx, *a, *aaaa;
	const char *dom, *dsn, *what, *action;
	enum smtpd_rcpt_class rc;
	int	code, tempfail;

	if (addr == NULL || *addr == '\0')
		return (C_DUNNO);
	dom = kind == UNK_HELO ? addr : smtpd_addr_domain(addr);
	if (*dom == '\0' || *dom == '[')
		return (C_DUNNO);
	if (kind != UNK_HELO && (rc = smtpd_rcpt_class(addr)) != SMTPD_RC_OTHER &&
	    rc != SMTPD_RC_RETRY && rc != SMTPD_RC_RELAY)
		return (C_DUNNO);	/* our own domains */
	mx = smtpd_dns_get(ev->f->dns, dom, DNS_T_MX);
	a = smtpd_dns_get(ev->f->dns, dom, DNS_T_A);
	aaaa = smtpd_dns_get(ev->f->dns, dom, DNS_T_AAAA);
	if (mx == NULL || a == NULL || aaaa == NULL)
		return (C_PENDING);
	if (mx->status == DNS_OK && mx->n == 1 && (mx->v[0][0] == '\0' ||
	    strcmp(mx->v[0], ".") == 0) && kind != UNK_HELO)
		return (smtpd_ev_reject(ev, (int)var_nullmx_reject_code, "5.1.10",
		    "<%s>: %s rejected: Domain %s does not accept mail (nullMX)",
		    addr, cls[kind], dom));
	if (mx->status == DNS_OK || (mx->status != DNS_NXDOMAIN &&
	    (a->status == DNS_OK || aaaa->status == DNS_OK)))
		return (C_DUNNO);
	tempfail = mx->status == DNS_TEMPFAIL || (mx->status != DNS_NXDOMAIN &&
	    (a->status == DNS_TEMPFAIL || aaaa->status == DNS_TEMPFAIL));
	if (kind == UNK_HELO) {
		code = (int)var_unknown_hostname_reject_code;
		dsn = "4.7.1";
		what = "Host not found";
		action = var_unknown_helo_hostname_tempfail_action;
	} else {
		code = (int)var_unknown_address_reject_code;
		dsn = kind == UNK_SENDER ? "4.1.8" : "4.1.2";
		what = "Domain not found";
		action = var_unknown_address_tempfail_action;
	}
	if (!tempfail)
		return (smtpd_ev_reject(ev, code, dsn, "<%s>: %s rejected: %s",
		    addr, cls[kind], what));
	if (strcmp(action, "defer") == 0)
		return (smtpd_ev_reject(ev, 450, dsn, "<%s>: %s rejected: %s",
		    addr, cls[kind], what));
	return (smtpd_ev_defer_if_permit(ev, 450, dsn, "<%s>: %s rejected: %s",
	    addr, cls[kind], what));
}

int
smtpd_ev_dns(struct smtpd_eval *ev, const struct smtpd_restriction *r,
    const struct smtpd_ctx *ctx)
{
	const struct smtpd_facts *f = ev->f;

	switch (r->type) {
	case R_REJECT_UNKNOWN_SENDER_DOMAIN:
		return (unknown_domain(ev, f->sender, UNK_SENDER));
	case R_REJECT_UNKNOWN_RCPT_DOMAIN:
		return (unknown_domain(ev, f->rcpt, UNK_RCPT));
	case R_REJECT_UNKNOWN_HELO:
		if (f->helo == NULL || !smtpd_valid_hostname(f->helo))
			return (C_DUNNO);
		return (unknown_domain(ev, f->helo, UNK_HELO));
	case R_RBL_CLIENT:
		return (rbl_client(ev, r));
	case R_RHSBL_CLIENT:
		return (rhsbl(ev, r, f->client_name, "Client host"));
	case R_RHSBL_REVERSE_CLIENT:
		return (rhsbl(ev, r, f->reverse_name, "Client host"));
	case R_RHSBL_SENDER:
		return (f->sender ? rhsbl(ev, r, smtpd_addr_domain(f->sender),
		    "Sender address") : C_DUNNO);
	case R_RHSBL_HELO:
		return (rhsbl(ev, r, f->helo, "Helo command"));
	case R_RHSBL_RCPT:
		return (f->rcpt ? rhsbl(ev, r, smtpd_addr_domain(f->rcpt),
		    "Recipient address") : C_DUNNO);
	default:
		(void)ctx;
		return (C_DUNNO);
	}
}
