/*
 * smtp-client/smtpc_tls.c — STARTTLS for the SMTP client: the policy of a
 * destination, DANE TLSA lookups, the handshake's verdict, and the
 * fallback to plaintext that level "may" allows.
 *
 * The mechanics (SSL_CTX, SSL per connection, certificate and TLSA
 * checks) are lib/tls_client.c's; the handshake runs on the connection's
 * bufferevent (smtpc_conn.c).  What a server sends is untrusted: a
 * failed or unsatisfying handshake ends the session with a reason (the
 * next address is tried, the mail deferred when none is left), never
 * the process.  A bad smtp_tls_* configuration is fatal at start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <bsd/string.h>

#include "dns.h"
#include "log.h"
#include "map.h"
#include "tls.h"
#include "tls_client.h"
#include "tls_params.h"
#include "smtpc_sess.h"

static struct tls_client *tls_ctx;	/* NULL: no TLS possible */
static struct strbuf tls_ctx_why;	/* why tls_ctx is NULL */
static struct maplist *policy_maps;
static enum tls_level default_level;
static int dnssec_support;		/* smtp_dns_support_level = dnssec */

/* Is TLS wanted anywhere?  Then make the context (root: key files). */
void
smtpc_tls_init(void)
{
	struct tls_client_opts o;
	struct strbuf err;
	const char *lev = var_smtp_tls_level;

	strbuf_init(&err, 1024);
	strbuf_init(&tls_ctx_why, 1024);
	if (lev[0] == '\0')
		default_level = TLS_LEV_NONE;
	else if (tls_level_parse(lev, &default_level) < 0)
		log_fatal("smtp_tls_security_level: bad value \"%s\"", lev);
	dnssec_support = strcasecmp(var_smtp_dns_support_level, "dnssec") == 0;
	if (var_smtp_dns_support_level[0] != '\0' && !dnssec_support &&
	    strcasecmp(var_smtp_dns_support_level, "enabled") != 0 &&
	    strcasecmp(var_smtp_dns_support_level, "disabled") != 0)
		log_fatal("smtp_dns_support_level: bad value \"%s\"",
		    var_smtp_dns_support_level);
	if (var_smtp_tls_policy_maps[0] != '\0' &&
	    (policy_maps = maplist_open(var_smtp_tls_policy_maps, 0, &err)) == NULL)
		log_fatal("smtp_tls_policy_maps: %s", err.data);
	if (default_level == TLS_LEV_NONE && policy_maps == NULL &&
	    !var_smtp_tls_wrappermode) {
		strbuf_set_str(&tls_ctx_why, "TLS is not configured");
		strbuf_release(&err);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.cert_file = var_smtp_tls_cert_file;
	o.key_file = var_smtp_tls_key_file;
	o.ca_file = var_smtp_tls_ca_file;
	o.ca_path = var_smtp_tls_ca_path;
	o.protocols = var_smtp_tls_protocols;
	o.mandatory_protocols = var_smtp_tls_mandatory_protocols;
	o.ciphers = var_smtp_tls_ciphers;
	o.mandatory_ciphers = var_smtp_tls_mandatory_ciphers;
	o.high_cipherlist = var_tls_high_cipherlist;
	o.medium_cipherlist = var_tls_medium_cipherlist;
	o.exclude_ciphers = var_smtp_tls_exclude_ciphers;
	o.verify_match = var_smtp_tls_verify_match;
	o.secure_match = var_smtp_tls_secure_match;
	o.fingerprint_digest = var_smtp_tls_fingerprint_digest;
	o.dane_enable = dnssec_support;
	if ((tls_ctx = tls_client_new(&o, &err)) == NULL) {
		/* Opportunistic mail still goes (in plaintext); mandatory
		 * TLS is deferred with this reason. */
		log_warn("TLS client context: %s", err.data);
		strbuf_set_printf(&tls_ctx_why, "TLS is not available: %s",
		    err.data);
	}
	strbuf_release(&err);
}

/* ---- the policy of a destination ---- */

static enum map_result
policy_find(const char *key, struct strbuf *value, struct strbuf *why)
{
	return maplist_lookup(policy_maps, key, value, why);
}

int
smtpc_tls_policy_lookup(const char *nexthop, const char *domain,
    struct tls_policy **out, struct strbuf *why)
{
	struct tls_policy *p = xcalloc(1, sizeof(*p));
	struct strbuf value, err, key;
	enum map_result r = MAP_NOTFOUND;
	const char *d;

	p->level = default_level;
	*out = p;
	if (smtpc_lmtp || policy_maps == NULL)
		return 0;
	strbuf_init(&value, 4096);
	strbuf_init(&err, 1024);
	strbuf_init(&key, 1024);
	/* Postfix's order: the next hop as given ("[host]:port"), then,
	 * for a domain, the domain and its parents as ".parent". */
	r = policy_find(nexthop, &value, &err);
	if (r == MAP_NOTFOUND && nexthop[0] != '[' && strcmp(nexthop, domain) != 0)
		r = policy_find(domain, &value, &err);
	for (d = strchr(domain, '.'); r == MAP_NOTFOUND && d && nexthop[0] != '[';
	    d = strchr(d + 1, '.'))
		r = policy_find(d, &value, &err);
	if (r == MAP_RETRY) {
		strbuf_set_printf(why, "TLS policy lookup for %s: %s", nexthop,
		    err.data);
	} else if (r == MAP_FOUND) {
		if (tls_policy_parse(value.data, p, &err) < 0) {
			strbuf_set_printf(why, "Invalid TLS policy for %s: %s",
			    nexthop, err.data);
			r = MAP_RETRY;
		}
	}
	strbuf_release(&value);
	strbuf_release(&err);
	strbuf_release(&key);
	return r == MAP_RETRY ? -1 : 0;
}

void
smtpc_tls_policy_free(struct tls_policy *p)
{
	if (p == NULL)
		return;
	tls_policy_release(p);
	free(p);
}

/* ---- a session ---- */

void
smtpc_tls_session_init(struct smtpc_sess *s, const struct smtpc_msg *msg)
{
	enum tls_level lev = msg->tls ? msg->tls->level : default_level;

	if (s->tg.path[0] != '\0')
		lev = TLS_LEV_NONE;		/* a local UNIX socket */
	if (lev == TLS_LEV_DANE && (!dnssec_support || !s->tg.dnssec)) {
		/* RFC 7672 2.2: without validated MX and address records the
		 * TLSA records cannot be trusted: opportunistic TLS. */
		lev = TLS_LEV_MAY;
	}
	s->tls_level = lev;
}

static const char *
level_name(const struct smtpc_sess *s)
{
	return tls_level_name((enum tls_level)s->tls_level);
}

static void
send_starttls(struct smtpc_sess *s)
{
	smtpc_conn_printf(s, "STARTTLS\r\n");
	s->state = ST_STARTTLS;
	smtpc_conn_deadline(s, var_smtp_helo_timeout,
	    "receiving the STARTTLS reply");
}

static void
tlsa_answer(void *arg, const struct dns_result *res)
{
	struct smtpc_sess *s = arg;
	char buf[600];
	size_t i, n = 0;

	s->tlsa_q = NULL;
	s->in_cb++;
	if (res->status == DNS_OK && res->secure) {
		s->tlsa = xcalloc(res->nrr, sizeof(*s->tlsa));
		for (i = 0; i < res->nrr; i++) {
			const struct dns_rr *rr = &res->rr[i];

			if (rr->type != DNS_T_TLSA || rr->data_len < 3)
				continue;
			s->tlsa[n] = *rr;
			s->tlsa[n].data = xmalloc(rr->data_len);
			memcpy(s->tlsa[n].data, rr->data, rr->data_len);
			n++;
		}
		s->ntlsa = n;
		/* DANE, or encrypt when no record is usable, or may. */
		s->tls_level = tls_client_dane_level(s->tlsa, s->ntlsa);
		send_starttls(s);
	} else if (res->status == DNS_OK || res->status == DNS_NXDOMAIN ||
	    res->status == DNS_NODATA) {
		/* No TLSA records, or records not validated: opportunistic
		 * (RFC 7672 2.2). */
		s->tls_level = TLS_LEV_MAY;
		send_starttls(s);
	} else {
		/* A failed or bogus lookup may hide records an attacker
		 * removed: never fall back, try later. */
		snprintf(buf, sizeof(buf), "TLSA lookup error for %s:%u: %s",
		    s->tg.host, s->tg.port, res->status == DNS_BOGUS ?
		    "DNSSEC validation failed" : res->why ? res->why :
		    dns_status_name(res->status));
		smtpc_sess_site_fail(s, buf);
	}
	if (--s->in_cb == 0 && s->closing)
		smtpc_conn_close(s);
}

int
smtpc_tls_after_hello(struct smtpc_sess *s)
{
	char buf[600], qname[300];

	if (s->tls_active || s->tls_level == TLS_LEV_NONE)
		return 0;
	if (!s->feat.starttls) {
		if (s->tls_level == TLS_LEV_MAY)
			return 0;
		snprintf(buf, sizeof(buf), "TLS is required, but was not offered "
		    "by host %s", s->hostaddr);
		smtpc_sess_site_fail(s, buf);
		return 1;
	}
	if (tls_ctx == NULL) {
		if (s->tls_level == TLS_LEV_MAY)
			return 0;
		smtpc_sess_site_fail(s, tls_ctx_why.data);
		return 1;
	}
	if (s->tls_level == TLS_LEV_DANE && s->tlsa == NULL) {
		snprintf(qname, sizeof(qname), "_%u._tcp.%s", s->tg.port,
		    s->tg.host);
		s->state = ST_STARTTLS;
		if ((s->tlsa_q = dns_lookup(qname, DNS_T_TLSA, tlsa_answer, s))
		    == NULL) {
			snprintf(buf, sizeof(buf), "TLSA lookup error for %s", qname);
			smtpc_sess_site_fail(s, buf);
		}
		return 1;
	}
	send_starttls(s);
	return 1;
}

/* Make the SSL at the session's level and switch the connection. */
static void
start_handshake(struct smtpc_sess *s)
{
	struct tls_policy p;
	struct strbuf err;
	const char *sni;
	SSL *ssl;
	char buf[800];

	/* The destination's policy at the level this session came to (dane
	 * may have become may or encrypt; wrapper mode needs encrypt). */
	memset(&p, 0, sizeof(p));
	if (s->msg->tls != NULL)
		p = *s->msg->tls;
	p.level = (enum tls_level)s->tls_level;
	strbuf_init(&err, 1024);
	/* SNI: the server's name; never an address literal. */
	sni = s->tg.addr[0] != '\0' && strcmp(s->tg.host, s->tg.addr) == 0 ?
	    NULL : s->tg.host;
	ssl = tls_client_ssl_new(tls_ctx, &p, s->msg->nexthop, s->tg.host, sni,
	    s->tlsa, s->ntlsa, &err);
	if (ssl == NULL) {
		snprintf(buf, sizeof(buf), "cannot start TLS with %s: %s",
		    s->hostaddr, err.data);
		strbuf_release(&err);
		smtpc_sess_site_fail(s, buf);
		return;
	}
	strbuf_release(&err);
	smtpc_conn_start_tls(s, ssl);
	smtpc_conn_deadline(s, var_smtp_helo_timeout, "performing the TLS "
	    "handshake");
}

/* smtp_tls_wrappermode: TLS from the first byte (port 465), at level
 * encrypt at least.  1 when the handshake started (or the session
 * ended), 0 for a plain connection. */
int
smtpc_tls_wrapper_start(struct smtpc_sess *s)
{
	if (!var_smtp_tls_wrappermode || s->tg.path[0] != '\0')
		return 0;
	if (tls_ctx == NULL) {
		smtpc_sess_site_fail(s, tls_ctx_why.data);
		return 1;
	}
	if (s->tls_level < TLS_LEV_ENCRYPT)
		s->tls_level = TLS_LEV_ENCRYPT;
	s->tls_wrapper = 1;
	start_handshake(s);
	return 1;
}

/* STARTTLS refused: plaintext at level may, else the end. */
void
smtpc_tls_reply(struct smtpc_sess *s)
{
	const struct smtpc_reply *r = &s->rd.reply;
	char buf[800];

	if (r->code != 220) {
		if (s->tls_level == TLS_LEV_MAY) {
			if (smtpc_sasl_after_hello(s) == 0)
				smtpc_sess_ready(s);
			return;
		}
		snprintf(buf, sizeof(buf), "TLS is required, but host %s refused "
		    "to start TLS: %s", s->hostaddr, r->text.data);
		smtpc_sess_site_fail(s, buf);
		return;
	}
	start_handshake(s);
}

/* The handshake is over (smtpc_conn.c): judge it. */
void
smtpc_sess_tls_done(struct smtpc_sess *s, int ok, const char *err)
{
	struct tls_client_result res;
	struct strbuf why;
	char buf[1200];

	if (!ok) {
		if (s->tls_level == TLS_LEV_MAY) {
			log_info("%s: TLS handshake with %s failed: %s; trying "
			    "again without TLS", s->msg ? s->msg->id : "-",
			    s->peer, err);
			smtpc_sess_retry_plain(s);
			return;
		}
		snprintf(buf, sizeof(buf), "Cannot start TLS: handshake failure "
		    "with %s: %s", s->hostaddr, err);
		smtpc_sess_site_fail(s, buf);
		return;
	}
	strbuf_init(&why, 1024);
	memset(&res, 0, sizeof(res));
	ok = tls_client_check(smtpc_conn_ssl(s), &res, &why) == 0;
	strbuf_set_printf(&s->tls_summary, "%s TLS %s with cipher %s "
	    "(%d/%d bits)", res.trust ? res.trust : "Anonymous",
	    res.info.protocol ? res.info.protocol : "?",
	    res.info.cipher ? res.info.cipher : "?", res.info.cipher_bits,
	    res.info.cipher_alg_bits);
	if (var_smtp_tls_loglevel >= 1 || !ok)
		log_info("%s TLS connection established to %s: %s with cipher %s "
		    "(%d/%d bits)", res.trust ? res.trust : "Anonymous", s->peer,
		    res.info.protocol ? res.info.protocol : "?",
		    res.info.cipher ? res.info.cipher : "?",
		    res.info.cipher_bits, res.info.cipher_alg_bits);
	if (var_smtp_tls_loglevel >= 2 && res.info.peer_cn.len)
		log_info("%s: subject_CN=%s, issuer_CN=%s, fingerprint=%s",
		    s->peer, res.info.peer_cn.data, res.info.issuer_cn.data,
		    res.info.peer_fp.data);
	tls_client_result_release(&res);
	if (!ok) {
		snprintf(buf, sizeof(buf), "TLS with %s at level %s: %s",
		    s->hostaddr, level_name(s), why.data);
		strbuf_release(&why);
		smtpc_sess_site_fail(s, buf);
		return;
	}
	strbuf_release(&why);
	if (s->tls_wrapper) {
		/* Wrapper mode: the greeting comes over TLS. */
		s->state = ST_GREET;
		smtpc_conn_deadline(s, var_smtp_helo_timeout,
		    "receiving the initial server greeting");
		return;
	}
	smtpc_sess_hello_again(s);
}

void
smtpc_tls_session_free(struct smtpc_sess *s)
{
	size_t i;

	if (s->tlsa_q != NULL) {
		dns_cancel(s->tlsa_q);
		s->tlsa_q = NULL;
	}
	for (i = 0; i < s->ntlsa; i++)
		free(s->tlsa[i].data);
	free(s->tlsa);
	s->tlsa = NULL;
	s->ntlsa = 0;
}
