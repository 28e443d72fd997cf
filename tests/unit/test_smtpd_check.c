/*
 * tests/unit/test_smtpd_check.c — smtpd's restriction language
 * (smtpd/smtpd_check*.c) without a network: list parsing and its errors,
 * the start-up open-relay check, DNSBL reply filters, and the evaluation
 * of every element on hand-made session facts, with DNS answers fed into
 * the per-session cache (offline mode), including the PENDING / wake-up
 * cycle and the client's forward-confirmed name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "conf.h"
#include "dns.h"
#include "mail_params.h"
#include "smtp_server.h"
#include "../../smtpd/smtpd.h"
#include "../../smtpd/smtpd_check.h"

/* Load main.cf text over the defaults and compile the lists. */
static int
setup_conf(const char *text, struct strbuf *err)
{
	char	base[] = "mydestination = example.test, localhost\n"
	    "local_recipient_maps =\nalias_maps =\nmynetworks = 10.0.0.0/8\n";
	struct strbuf all;
	int	r;

	conf_reset();
	conf_register(mail_params_common);
	conf_register(smtpd_params);
	conf_register(smtpd_check_params);
	strbuf_init(&all, 65536);
	strbuf_append_str(&all, base);
	strbuf_append_str(&all, text);
	strbuf_reset(err);
	r = conf_read_text("main.cf", all.data, all.len, err);
	strbuf_release(&all);
	if (r == 0)
		r = conf_bind(err);
	if (r == 0)
		r = smtpd_check_init(err);
	return (r);
}

static void
default_facts(struct smtpd_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->client_addr = "192.0.2.1";
	f->client_name = "unknown";
	f->name_status = SMTPD_PEER_PERM;
	f->reverse_name = "unknown";
	f->reverse_status = SMTPD_PEER_PERM;
	f->helo = "client.example.org";
	f->sender = "a@sender.example";
	f->rcpt = "r@remote.example";
	f->protocol = "ESMTP";
}

/* ---- parsing ----------------------------------------------------------- */

static void
test_parse(void **state)
{
	static const struct {
		const char *value;
		int	ok;
		size_t	n;		/* elements when ok */
		const char *err;	/* part of the error otherwise */
	} cases[] = {
		{ "", 1, 0, NULL },
		{ " , ,\t", 1, 0, NULL },
		{ "permit_mynetworks, reject_unauth_destination", 1, 2, NULL },
		{ "permit_mynetworks reject_unauth_destination\n permit", 1, 3, NULL },
		{ "PERMIT", 1, 1, NULL },
		{ "check_client_access inline:{ 1.2.3.4=REJECT, x=OK }, permit", 1,
		    2, NULL },
		{ "check_sender_access static:OK", 1, 1, NULL },
		{ "reject_rbl_client zen.example", 1, 1, NULL },
		{ "reject_rbl_client zen.example=127.0.0.[2..11]", 1, 1, NULL },
		{ "reject_rhsbl_sender dbl.example=127.0.1.[2;4;6..9]", 1, 1, NULL },
		{ "myclass, permit", 1, 2, NULL },
		{ "frobnicate", 0, 0, "unknown restriction \"frobnicate\"" },
		{ "permit_mynetworks, check_client_access", 0, 0,
		    "check_client_access needs a type:table" },
		{ "check_client_access permit", 0, 0, "needs a type:table argument" },
		{ "check_helo_access nosuchtype:/x", 0, 0, "check_helo_access" },
		{ "reject_rbl_client", 0, 0, "needs a DNS zone" },
		{ "reject_rbl_client zen.example=127.0.0", 0, 0, "reply filter" },
		{ "reject_rbl_client zen.example=127.0.0.[3..2]", 0, 0, "filter" },
		{ "reject_rbl_client bad/zone", 0, 0, "bad DNS zone" },
		{ "check_client_access inline:{ a=b", 0, 0, "missing '}'" },
		{ "check_policy_service unix:private/policy", 0, 0,
		    "unknown restriction" },
	};
	char   *classes[] = { "myclass", NULL };
	struct smtpd_rlist *l;
	struct strbuf err;
	size_t	i;

	(void)state;
	strbuf_init(&err, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf_reset(&err);
		l = smtpd_rlist_parse("smtpd_test_restrictions", cases[i].value,
		    classes, &err);
		if (cases[i].ok) {
			if (l == NULL || l->n != cases[i].n)
				fail_msg("case %zu \"%s\": got %s (%zu), want %zu "
				    "elements", i, cases[i].value, l ? "ok" : err.data,
				    l ? l->n : 0, cases[i].n);
		} else {
			if (l != NULL || strstr(err.data, cases[i].err) == NULL ||
			    strstr(err.data, "smtpd_test_restrictions") == NULL)
				fail_msg("case %zu \"%s\": got \"%s\", want \"%s\"", i,
				    cases[i].value, l ? "ok" : err.data, cases[i].err);
		}
		smtpd_rlist_free(l);
	}
	strbuf_release(&err);
}

static void
test_init_errors(void **state)
{
	static const struct {
		const char *conf;
		const char *err;	/* NULL = must load */
	} cases[] = {
		{ "", NULL },
		{ "smtpd_relay_restrictions =\n", "open relay" },
		{ "smtpd_relay_restrictions = permit_mynetworks\n", "open relay" },
		{ "smtpd_relay_restrictions =\nsmtpd_recipient_restrictions = "
		    "permit_mynetworks, reject_unauth_destination\n", NULL },
		{ "smtpd_relay_restrictions = permit_mynetworks, defer\n", NULL },
		{ "smtpd_client_restrictions = reject_bogus\n",
		    "parameter smtpd_client_restrictions: unknown restriction" },
		{ "smtpd_restriction_classes = strict\nstrict = nonsense\n",
		    "parameter strict: unknown restriction \"nonsense\"" },
		{ "smtpd_restriction_classes = strict\nstrict = reject\n"
		    "smtpd_sender_restrictions = strict\n", NULL },
		{ "unknown_address_tempfail_action = bounce\n",
		    "unknown_address_tempfail_action" },
		{ "smtpd_data_restrictions = check_recipient_access\n",
		    "smtpd_data_restrictions: check_recipient_access needs" },
	};
	struct strbuf err;
	size_t	i;
	int	r;

	(void)state;
	strbuf_init(&err, 4096);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = setup_conf(cases[i].conf, &err);
		if (cases[i].err == NULL ? r != 0 :
		    (r == 0 || strstr(err.data, cases[i].err) == NULL))
			fail_msg("case %zu: got %d \"%s\", want \"%s\"", i, r,
			    err.data, cases[i].err ? cases[i].err : "ok");
	}
	strbuf_release(&err);
}

static void
test_rbl_filter(void **state)
{
	static const struct {
		const char *filter, *addr;
		int	parse_ok, match;
	} cases[] = {
		{ "127.0.0.2", "127.0.0.2", 1, 1 },
		{ "127.0.0.2", "127.0.0.3", 1, 0 },
		{ "127.0.0.[2..11]", "127.0.0.11", 1, 1 },
		{ "127.0.0.[2..11]", "127.0.0.12", 1, 0 },
		{ "127.0.0.[2;4;10..12]", "127.0.0.4", 1, 1 },
		{ "127.0.0.[2;4;10..12]", "127.0.0.3", 1, 0 },
		{ "127.[0..255].0.2", "127.200.0.2", 1, 1 },
		{ "127.0.0.2", "not-an-address", 1, 0 },
		{ "127.0.0.2", "127.0.0.2.5", 1, 0 },
		{ "127.0.0", NULL, 0, 0 },
		{ "127.0.0.256", NULL, 0, 0 },
		{ "127.0.0.[2..]", NULL, 0, 0 },
		{ "127.0.0.[2", NULL, 0, 0 },
		{ "127.0.0.2x", NULL, 0, 0 },
		{ "", NULL, 0, 0 },
	};
	struct smtpd_rbl_filter f;
	size_t	i;
	int	ok;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok = smtpd_rbl_filter_parse(cases[i].filter, &f) == 0;
		if (ok != cases[i].parse_ok)
			fail_msg("case %zu %s: parse got %d want %d", i,
			    cases[i].filter, ok, cases[i].parse_ok);
		if (ok && smtpd_rbl_filter_match(&f, cases[i].addr) != cases[i].match)
			fail_msg("case %zu %s ~ %s: want %d", i, cases[i].filter,
			    cases[i].addr, cases[i].match);
	}
}

/* ---- evaluation -------------------------------------------------------- */

/* A DNS answer to feed: v is a comma-separated list. */
struct answer {
	const char *name;
	int	type;
	int	status;
	const char *v;
	const char *txt;
};

struct eval_case {
	const char *label;
	const char *conf;
	enum smtpd_stage stage;
	/* facts that differ from default_facts (NULL = keep; "-" = NULL) */
	const char *addr, *name, *helo, *sender, *rcpt;
	int	name_status, reverse_status;	/* -1 = keep */
	int	bits;				/* F_* below */
	struct answer dns[4];
	int	want;				/* SMTP_POLICY_* */
	const char *reply;			/* expected reply, prefix match */
	int	flags;				/* expected tx flags */
};
#define F_MYNET		0x01
#define F_SASL		0x02
#define F_PIPE		0x04
#define F_CERT		0x08
#define F_NOHELO	0x10

#define ACC	SMTP_POLICY_ACCEPT
#define REJ	SMTP_POLICY_REJECT
#define K	-1, -1
#define NOKEY	NULL, NULL, NULL, NULL, NULL

static const struct eval_case eval_cases[] = {
	/* relay control, the defaults */
	{ "relay denied", "", SMTPD_RCPT, NOKEY, K, 0, {{0}}, REJ,
	    "554 5.7.1 <r@remote.example>: Relay access denied", 0 },
	{ "relay from mynetworks", "", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}},
	    ACC, NULL, 0 },
	{ "relay when authenticated", "", SMTPD_RCPT, NOKEY, K, F_SASL, {{0}},
	    ACC, NULL, 0 },
	{ "local domain", "", SMTPD_RCPT, NULL, NULL, NULL, NULL, "u@example.test",
	    K, 0, {{0}}, ACC, NULL, 0 },
	{ "bare local part", "", SMTPD_RCPT, NULL, NULL, NULL, NULL, "postmaster",
	    K, 0, {{0}}, ACC, NULL, 0 },
	{ "relay_domains", "relay_domains = remote.example\n", SMTPD_RCPT,
	    NOKEY, K, 0, {{0}}, ACC, NULL, 0 },
	{ "relay_domains parent", "relay_domains = example\n", SMTPD_RCPT,
	    NOKEY, K, 0, {{0}}, ACC, NULL, 0 },
	{ "defer_unauth_destination",
	    "smtpd_relay_restrictions = defer_unauth_destination\n", SMTPD_RCPT,
	    NOKEY, K, 0, {{0}}, REJ,
	    "450 4.7.1 <r@remote.example>: Relay access denied", 0 },
	{ "relay_domains_reject_code", "relay_domains_reject_code = 550\n",
	    SMTPD_RCPT, NOKEY, K, 0, {{0}}, REJ, "550 5.7.1 <r@remote.example>:", 0 },
	{ "permit_tls_clientcerts",
	    "relay_clientcerts = inline:{ AB:CD:EF=ok }\nsmtpd_relay_restrictions"
	    " = permit_tls_clientcerts, reject_unauth_destination\n", SMTPD_RCPT,
	    NOKEY, K, F_CERT, {{0}}, ACC, NULL, 0 },
	{ "permit_tls_clientcerts, other cert",
	    "relay_clientcerts = inline:{ 00:11=ok }\nsmtpd_relay_restrictions"
	    " = permit_tls_clientcerts, reject_unauth_destination\n", SMTPD_RCPT,
	    NOKEY, K, F_CERT, {{0}}, REJ, "554 5.7.1", 0 },
	{ "unlisted local recipient",
	    "local_recipient_maps = inline:{ alice=x }\n", SMTPD_RCPT, NULL, NULL,
	    NULL, NULL, "bob@example.test", K, 0, {{0}}, REJ,
	    "550 5.1.1 <bob@example.test>: Recipient address rejected: User "
	    "unknown in local recipient table", 0 },
	{ "listed local recipient",
	    "local_recipient_maps = inline:{ alice=x }\n", SMTPD_RCPT, NULL, NULL,
	    NULL, NULL, "alice@example.test", K, 0, {{0}}, ACC, NULL, 0 },
	{ "unlisted check off",
	    "local_recipient_maps = inline:{ alice=x }\n"
	    "smtpd_reject_unlisted_recipient = no\n", SMTPD_RCPT, NULL, NULL,
	    NULL, NULL, "bob@example.test", K, 0, {{0}}, ACC, NULL, 0 },
	/* generic elements */
	{ "reject in client list", "smtpd_client_restrictions = reject\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, REJ,
	    "554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied",
	    0 },
	{ "defer in helo list", "smtpd_helo_restrictions = defer\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, REJ,
	    "450 4.7.1 <client.example.org>: Helo command rejected: Access denied",
	    0 },
	{ "reject_code", "reject_code = 550\nsmtpd_sender_restrictions = reject\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, REJ,
	    "550 5.7.1 <a@sender.example>: Sender address rejected: Access denied",
	    0 },
	{ "permit ends only its list",
	    "smtpd_sender_restrictions = permit, reject\n", SMTPD_RCPT, NOKEY, K,
	    0, {{0}}, REJ, "554 5.7.1 <r@remote.example>: Relay access denied", 0 },
	{ "delay_reject=no: client list not at RCPT",
	    "smtpd_delay_reject = no\nsmtpd_client_restrictions = reject\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, ACC, NULL, 0 },
	{ "delay_reject=no: client list at CONNECT",
	    "smtpd_delay_reject = no\nsmtpd_client_restrictions = reject\n",
	    SMTPD_CONNECT, NOKEY, K, 0, {{0}}, REJ, "554 5.7.1 <unknown[192.0.2.1]>",
	    0 },
	{ "delay_reject=yes: nothing at CONNECT",
	    "smtpd_client_restrictions = reject\n", SMTPD_CONNECT, NOKEY, K, 0,
	    {{0}}, ACC, NULL, 0 },
	{ "delay_reject=no: sender list at MAIL",
	    "smtpd_delay_reject = no\nsmtpd_sender_restrictions = reject\n",
	    SMTPD_MAIL, NOKEY, K, 0, {{0}}, REJ, "554 5.7.1 <a@sender.example>: "
	    "Sender address rejected: Access denied", 0 },
	{ "data restrictions", "smtpd_data_restrictions = reject\n", SMTPD_DATA,
	    NULL, NULL, NULL, NULL, "-", K, 0, {{0}}, REJ,
	    "554 5.7.1 <DATA>: Data command rejected: Access denied", 0 },
	{ "end-of-data restrictions", "smtpd_end_of_data_restrictions = defer\n",
	    SMTPD_EOD, NULL, NULL, NULL, NULL, "-", K, 0, {{0}}, REJ,
	    "450 4.7.1 <END-OF-MESSAGE>: End-of-data rejected: Access denied", 0 },
	{ "helo required", "smtpd_helo_required = yes\n", SMTPD_MAIL, NOKEY, K,
	    F_NOHELO, {{0}}, REJ, "503 5.5.1 Error: send HELO/EHLO first", 0 },
	{ "defer_if_permit then permit",
	    "smtpd_client_restrictions = defer_if_permit, permit\n", SMTPD_RCPT,
	    NOKEY, K, F_MYNET, {{0}}, REJ, "450 4.7.1 <unknown[192.0.2.1]>: Client "
	    "host rejected: defer_if_permit requested", 0 },
	{ "defer_if_permit then reject",
	    "smtpd_client_restrictions = defer_if_permit, reject\n", SMTPD_RCPT,
	    NOKEY, K, F_MYNET, {{0}}, REJ, "554 5.7.1", 0 },
	{ "defer_if_reject", "smtpd_client_restrictions = defer_if_reject, "
	    "reject\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, REJ,
	    "450 4.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied", 0 },
	{ "warn_if_reject", "smtpd_client_restrictions = warn_if_reject, "
	    "reject\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, ACC, NULL, 0 },
	{ "warn_if_reject only the next one", "smtpd_client_restrictions = "
	    "warn_if_reject, reject_unknown_client_hostname, reject\n", SMTPD_RCPT,
	    NOKEY, K, F_MYNET, {{0}}, REJ, "554 5.7.1", 0 },
	{ "reject_unauth_pipelining", "smtpd_sender_restrictions = "
	    "reject_unauth_pipelining\n", SMTPD_RCPT, NOKEY, K, F_PIPE | F_MYNET,
	    {{0}}, REJ, "503 5.5.0 <a@sender.example>: Sender address rejected: "
	    "Improper use of SMTP command pipelining", 0 },
	{ "reject_unauth_pipelining, in step", "smtpd_sender_restrictions = "
	    "reject_unauth_pipelining\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}},
	    ACC, NULL, 0 },
	{ "multi-recipient bounce", "smtpd_data_restrictions = "
	    "reject_multi_recipient_bounce\n", SMTPD_RCPT, NULL, NULL, NULL, "",
	    NULL, K, F_MYNET, {{0}}, ACC, NULL, 0 },
	/* HELO syntax */
	{ "non-fqdn helo", "smtpd_helo_restrictions = reject_non_fqdn_helo_hostname\n",
	    SMTPD_RCPT, NULL, NULL, "localhost", NULL, NULL, K, F_MYNET, {{0}}, REJ,
	    "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified "
	    "hostname", 0 },
	{ "fqdn helo with dot", "smtpd_helo_restrictions = "
	    "reject_non_fqdn_helo_hostname\n", SMTPD_RCPT, NULL, NULL,
	    "mx.example.org.", NULL, NULL, K, F_MYNET, {{0}}, ACC, NULL, 0 },
	{ "helo literal is fqdn", "smtpd_helo_restrictions = "
	    "reject_non_fqdn_helo_hostname\n", SMTPD_RCPT, NULL, NULL,
	    "[192.0.2.1]", NULL, NULL, K, F_MYNET, {{0}}, ACC, NULL, 0 },
	{ "bare address helo is not fqdn", "smtpd_helo_restrictions = "
	    "reject_non_fqdn_helo_hostname\n", SMTPD_RCPT, NULL, NULL,
	    "192.0.2.1", NULL, NULL, K, F_MYNET, {{0}}, REJ, "504 5.5.2", 0 },
	{ "invalid helo", "smtpd_helo_restrictions = reject_invalid_helo_hostname\n",
	    SMTPD_RCPT, NULL, NULL, "bad!name", NULL, NULL, K, F_MYNET, {{0}}, REJ,
	    "501 5.5.2 <bad!name>: Helo command rejected: Invalid name", 0 },
	{ "invalid helo: empty label", "smtpd_helo_restrictions = "
	    "reject_invalid_helo_hostname\n", SMTPD_RCPT, NULL, NULL, "a..example",
	    NULL, NULL, K, F_MYNET, {{0}}, REJ, "501 5.5.2", 0 },
	{ "invalid helo: bad literal", "smtpd_helo_restrictions = "
	    "reject_invalid_helo_hostname\n", SMTPD_RCPT, NULL, NULL, "[300.1.1.1]",
	    NULL, NULL, K, F_MYNET, {{0}}, REJ, "501 5.5.2", 0 },
	{ "valid helo: IPv6 literal", "smtpd_helo_restrictions = "
	    "reject_invalid_helo_hostname\n", SMTPD_RCPT, NULL, NULL,
	    "[IPv6:2001:db8::1]", NULL, NULL, K, F_MYNET, {{0}}, ACC, NULL, 0 },
	{ "invalid_hostname_reject_code", "invalid_hostname_reject_code = 550\n"
	    "smtpd_helo_restrictions = reject_invalid_helo_hostname\n",
	    SMTPD_RCPT, NULL, NULL, "-x-", NULL, NULL, K, F_MYNET, {{0}}, REJ,
	    "550 5.5.2", 0 },
	/* address syntax */
	{ "non-fqdn sender", "smtpd_sender_restrictions = reject_non_fqdn_sender\n",
	    SMTPD_RCPT, NULL, NULL, NULL, "a@localhost", NULL, K, F_MYNET, {{0}},
	    REJ, "504 5.5.2 <a@localhost>: Sender address rejected: need "
	    "fully-qualified address", 0 },
	{ "null sender is fine", "smtpd_sender_restrictions = "
	    "reject_non_fqdn_sender\n", SMTPD_RCPT, NULL, NULL, NULL, "", NULL, K,
	    F_MYNET, {{0}}, ACC, NULL, 0 },
	{ "non-fqdn recipient", "smtpd_recipient_restrictions = "
	    "reject_non_fqdn_recipient\n", SMTPD_RCPT, NULL, NULL, NULL, NULL,
	    "postmaster", K, F_MYNET, {{0}}, REJ, "504 5.5.2 <postmaster>: "
	    "Recipient address rejected: need fully-qualified address", 0 },
	/* client names */
	{ "unknown client", "smtpd_client_restrictions = "
	    "reject_unknown_client_hostname\n", SMTPD_RCPT, NOKEY, K, F_MYNET,
	    {{0}}, REJ, "450 4.7.25 Client host rejected: cannot find your "
	    "hostname, [192.0.2.1]", 0 },
	{ "unknown client, code 550", "unknown_client_reject_code = 550\n"
	    "smtpd_client_restrictions = reject_unknown_client_hostname\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, REJ, "550 5.7.25", 0 },
	{ "unknown client, DNS trouble is 450", "unknown_client_reject_code = "
	    "550\nsmtpd_client_restrictions = reject_unknown_client_hostname\n",
	    SMTPD_RCPT, NOKEY, SMTPD_PEER_TEMP, -1, F_MYNET, {{0}}, REJ,
	    "450 4.7.25", 0 },
	{ "known client", "smtpd_client_restrictions = "
	    "reject_unknown_client_hostname\n", SMTPD_RCPT, NULL, "mail.example.org",
	    NULL, NULL, NULL, SMTPD_PEER_OK, SMTPD_PEER_OK, F_MYNET, {{0}}, ACC,
	    NULL, 0 },
	{ "unknown reverse client", "smtpd_client_restrictions = "
	    "reject_unknown_reverse_client_hostname\n", SMTPD_RCPT, NOKEY, K,
	    F_MYNET, {{0}}, REJ, "450 4.7.25 Client host rejected: cannot find "
	    "your reverse hostname, [192.0.2.1]", 0 },
	{ "reverse known, forward not", "smtpd_client_restrictions = "
	    "reject_unknown_reverse_client_hostname\n", SMTPD_RCPT, NOKEY,
	    SMTPD_PEER_PERM, SMTPD_PEER_OK, F_MYNET, {{0}}, ACC, NULL, 0 },
	{ NULL, NULL, 0, NOKEY, K, 0, {{0}}, 0, NULL, 0 }
};

/* Access tables, classes and DNS: a second table to keep them apart. */
static const struct eval_case access_cases[] = {
	{ "client address", "smtpd_client_restrictions = check_client_access "
	    "inline:{ 192.0.2.1=REJECT }\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}},
	    REJ, "554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access "
	    "denied", 0 },
	{ "client network 192.0.2", "smtpd_client_restrictions = "
	    "check_client_access inline:{ {192.0.2=REJECT go away} }\n", SMTPD_RCPT,
	    NOKEY, K, F_MYNET, {{0}}, REJ, "554 5.7.1 <unknown[192.0.2.1]>: Client "
	    "host rejected: go away", 0 },
	{ "client network 192", "smtpd_client_restrictions = "
	    "check_client_access inline:{ 192=DEFER }\n", SMTPD_RCPT,
	    NOKEY, K, F_MYNET, {{0}}, REJ, "450 4.7.1 <unknown[192.0.2.1]>", 0 },
	{ "client name parent domain", "smtpd_client_restrictions = "
	    "check_client_access inline:{ bad.example=REJECT }\n", SMTPD_RCPT,
	    NULL, "mail.bad.example", NULL, NULL, NULL, SMTPD_PEER_OK, -1, F_MYNET,
	    {{0}}, REJ, "554 5.7.1 <mail.bad.example[192.0.2.1]>: Client host "
	    "rejected", 0 },
	{ "client name, .domain style", "parent_domain_matches_subdomains =\n"
	    "smtpd_client_restrictions = check_client_access inline:{ "
	    "bad.example=REJECT }\n", SMTPD_RCPT, NULL, "mail.bad.example", NULL,
	    NULL, NULL, SMTPD_PEER_OK, -1, F_MYNET, {{0}}, ACC, NULL, 0 },
	{ "client name, .domain key", "parent_domain_matches_subdomains =\n"
	    "smtpd_client_restrictions = check_client_access inline:{ "
	    ".bad.example=REJECT }\n", SMTPD_RCPT, NULL, "mail.bad.example", NULL,
	    NULL, NULL, SMTPD_PEER_OK, -1, F_MYNET, {{0}}, REJ, "554 5.7.1", 0 },
	{ "name found before address", "smtpd_client_restrictions = "
	    "check_client_access inline:{ good.example=OK, 192.0.2.1=REJECT }, "
	    "reject\n", SMTPD_RCPT, NULL, "good.example", NULL, NULL, NULL,
	    SMTPD_PEER_OK, -1, F_MYNET, {{0}}, ACC, NULL, 0 },
	{ "DUNNO stops the search", "smtpd_client_restrictions = "
	    "check_client_access inline:{ 192.0.2.1=DUNNO, 192.0.2=REJECT }\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, ACC, NULL, 0 },
	{ "cidr table", "smtpd_client_restrictions = check_client_access "
	    "cidr:" "/nonexistent/cidr\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}},
	    REJ, "451 4.3.0 <unknown[192.0.2.1]>: Temporary lookup failure", 0 },
	{ "sender full address", "smtpd_sender_restrictions = check_sender_access"
	    " inline:{ a@sender.example=REJECT }\n", SMTPD_RCPT, NOKEY, K, F_MYNET,
	    {{0}}, REJ, "554 5.7.1 <a@sender.example>: Sender address rejected: "
	    "Access denied", 0 },
	{ "sender domain", "smtpd_sender_restrictions = check_sender_access"
	    " inline:{ sender.example=REJECT }\n", SMTPD_RCPT, NOKEY, K, F_MYNET,
	    {{0}}, REJ, "554 5.7.1 <a@sender.example>", 0 },
	{ "sender parent domain", "smtpd_sender_restrictions = "
	    "check_sender_access inline:{ example=REJECT }\n", SMTPD_RCPT, NULL,
	    NULL, NULL, "a@x.sender.example", NULL, K, F_MYNET, {{0}}, REJ,
	    "554 5.7.1 <a@x.sender.example>", 0 },
	{ "sender user@", "smtpd_sender_restrictions = check_sender_access"
	    " inline:{ a@=REJECT }\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, REJ,
	    "554 5.7.1 <a@sender.example>", 0 },
	{ "sender extension", "recipient_delimiter = +\nsmtpd_sender_restrictions"
	    " = check_sender_access inline:{ a@sender.example=REJECT }\n",
	    SMTPD_RCPT, NULL, NULL, NULL, "a+tag@sender.example", NULL, K, F_MYNET,
	    {{0}}, REJ, "554 5.7.1 <a+tag@sender.example>", 0 },
	{ "null sender key", "smtpd_sender_restrictions = check_sender_access"
	    " inline:{ <>=REJECT no bounces }\n", SMTPD_RCPT, NULL, NULL, NULL, "",
	    NULL, K, F_MYNET, {{0}}, REJ,
	    "554 5.7.1 <>: Sender address rejected: no bounces", 0 },
	{ "recipient access", "smtpd_recipient_restrictions = "
	    "check_recipient_access inline:{ u@example.test=REJECT }\n",
	    SMTPD_RCPT, NULL, NULL, NULL, NULL, "u@example.test", K, 0, {{0}}, REJ,
	    "554 5.7.1 <u@example.test>: Recipient address rejected: Access "
	    "denied", 0 },
	{ "recipient OK bypasses relay list? no: relay first", 
	    "smtpd_recipient_restrictions = check_recipient_access inline:{ "
	    "r@remote.example=OK }\n", SMTPD_RCPT, NOKEY, K, 0, {{0}}, REJ,
	    "554 5.7.1 <r@remote.example>: Relay access denied", 0 },
	{ "helo access", "smtpd_helo_restrictions = check_helo_access inline:{ "
	    "example.org=REJECT fake }\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}},
	    REJ, "554 5.7.1 <client.example.org>: Helo command rejected: fake", 0 },
	{ "numeric reply", "smtpd_sender_restrictions = check_sender_access "
	    "inline:{ {a@sender.example=550 5.7.0 custom text} }\n", SMTPD_RCPT,
	    NOKEY, K, F_MYNET, {{0}}, REJ, "550 5.7.0 custom text", 0 },
	{ "numeric 4xx without dsn", "smtpd_sender_restrictions = "
	    "check_sender_access inline:{ {a@sender.example=451 later} }\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, REJ, "451 4.7.1 later", 0 },
	{ "all-numeric is OK", "smtpd_sender_restrictions = check_sender_access "
	    "inline:{ a@sender.example=12345 }, reject\n", SMTPD_RCPT, NOKEY, K,
	    F_MYNET, {{0}}, ACC, NULL, 0 },
	/* smtpd_sender_login_maps (submission); the SASL user is "user". */
#define LOGIN(map, r)	"smtpd_sender_login_maps = inline:{ " map " }\n" \
	    "smtpd_sender_restrictions = " r "\n"
#define NOTOWNED "553 5.7.1 <a@sender.example>: Sender address rejected: " \
	    "not owned by user user"
	{ "login: owner", LOGIN("a@sender.example=user",
	    "reject_sender_login_mismatch"), SMTPD_RCPT, NOKEY, K, F_SASL,
	    {{0}}, ACC, NULL, 0 },
	{ "login: not the owner", LOGIN("a@sender.example=other",
	    "reject_sender_login_mismatch"), SMTPD_RCPT, NOKEY, K, F_SASL,
	    {{0}}, REJ, NOTOWNED, 0 },
	{ "login: no owner", LOGIN("b@sender.example=user",
	    "reject_sender_login_mismatch"), SMTPD_RCPT, NOKEY, K, F_SASL,
	    {{0}}, REJ, NOTOWNED, 0 },
	{ "login: one of the owners", LOGIN("{a@sender.example=other, user}",
	    "reject_sender_login_mismatch"), SMTPD_RCPT, NOKEY, K, F_SASL,
	    {{0}}, ACC, NULL, 0 },
	{ "login: @domain", LOGIN("@sender.example=user",
	    "reject_sender_login_mismatch"), SMTPD_RCPT, NOKEY, K, F_SASL,
	    {{0}}, ACC, NULL, 0 },
	{ "login: owned, not logged in", LOGIN("a@sender.example=user",
	    "reject_sender_login_mismatch"), SMTPD_RCPT, NOKEY, K, F_MYNET,
	    {{0}}, REJ, "553 5.7.1 <a@sender.example>: Sender address rejected: "
	    "not logged in", 0 },
	{ "login: unowned, not logged in", LOGIN("b@sender.example=user",
	    "reject_sender_login_mismatch"), SMTPD_RCPT, NOKEY, K, F_MYNET,
	    {{0}}, ACC, NULL, 0 },
	{ "login: authenticated half", LOGIN("a@sender.example=user",
	    "reject_authenticated_sender_login_mismatch"), SMTPD_RCPT, NOKEY, K,
	    F_MYNET, {{0}}, ACC, NULL, 0 },
	{ "login: unauthenticated half", LOGIN("a@sender.example=other",
	    "reject_unauthenticated_sender_login_mismatch"), SMTPD_RCPT, NOKEY,
	    K, F_SASL, {{0}}, ACC, NULL, 0 },
	{ "login: null sender", LOGIN("a@sender.example=other",
	    "reject_sender_login_mismatch"), SMTPD_RCPT, NULL, NULL, NULL, "",
	    NULL, K, F_SASL, {{0}}, ACC, NULL, 0 },
	{ "login: no map", "smtpd_sender_restrictions = "
	    "reject_sender_login_mismatch\n", SMTPD_RCPT, NOKEY, K, F_SASL,
	    {{0}}, ACC, NULL, 0 },
	{ "REJECT with dsn", "smtpd_sender_restrictions = check_sender_access "
	    "inline:{ {a@sender.example=REJECT 5.7.9 spam} }\n", SMTPD_RCPT, NOKEY,
	    K, F_MYNET, {{0}}, REJ, "554 5.7.9 <a@sender.example>: Sender address "
	    "rejected: spam", 0 },
	{ "access_map_reject_code", "access_map_reject_code = 550\n"
	    "smtpd_sender_restrictions = check_sender_access inline:{ "
	    "a@sender.example=REJECT }\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}},
	    REJ, "550 5.7.1", 0 },
	{ "HOLD", "smtpd_sender_restrictions = check_sender_access inline:{ "
	    "a@sender.example=HOLD }\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, ACC,
	    NULL, SMTP_TX_HOLD },
	{ "HOLD then rejected: no flag", "smtpd_sender_restrictions = "
	    "check_sender_access inline:{ a@sender.example=HOLD }, reject\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, REJ, "554", 0 },
	{ "DISCARD skips the rest", "smtpd_sender_restrictions = "
	    "check_sender_access inline:{ a@sender.example=DISCARD }\n",
	    SMTPD_RCPT, NOKEY, K, 0, {{0}}, ACC, NULL, SMTP_TX_DISCARD },
	{ "WARN goes on", "smtpd_sender_restrictions = check_sender_access "
	    "inline:{ a@sender.example=WARN }, reject\n", SMTPD_RCPT, NOKEY, K,
	    F_MYNET, {{0}}, REJ, "554", 0 },
	{ "DEFER_IF_PERMIT", "smtpd_sender_restrictions = check_sender_access "
	    "inline:{ a@sender.example=DEFER_IF_PERMIT }\n", SMTPD_RCPT, NOKEY, K,
	    F_MYNET, {{0}}, REJ, "450 4.7.1 <a@sender.example>: Sender address "
	    "rejected: Access denied", 0 },
	{ "restriction list as result", "smtpd_sender_restrictions = "
	    "check_sender_access inline:{ {a@sender.example=reject_non_fqdn_helo"
	    "_hostname, reject} }\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, REJ,
	    "554 5.7.1 <a@sender.example>: Sender address rejected: Access denied",
	    0 },
	{ "bad result", "smtpd_sender_restrictions = check_sender_access "
	    "inline:{ a@sender.example=FROBNICATE }\n", SMTPD_RCPT, NOKEY, K,
	    F_MYNET, {{0}}, REJ, "451 4.3.5 Server configuration error", 0 },
	{ "class via table", "smtpd_restriction_classes = strict\n"
	    "strict = reject_non_fqdn_sender, permit\n"
	    "smtpd_recipient_restrictions = check_recipient_access inline:{ "
	    "u@example.test=strict }\n", SMTPD_RCPT, NULL, NULL, NULL, "x@localhost",
	    "u@example.test", K, 0, {{0}}, REJ, "504 5.5.2 <x@localhost>: Sender "
	    "address rejected", 0 },
	{ "class passes", "smtpd_restriction_classes = strict\n"
	    "strict = reject_non_fqdn_sender, permit\n"
	    "smtpd_recipient_restrictions = check_recipient_access inline:{ "
	    "u@example.test=strict }, reject\n", SMTPD_RCPT, NULL, NULL, NULL,
	    NULL, "u@example.test", K, 0, {{0}}, ACC, NULL, 0 },
	{ "class in a list", "smtpd_restriction_classes = strict\n"
	    "strict = reject\nsmtpd_sender_restrictions = permit_sasl_authenticated,"
	    " strict\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {{0}}, REJ, "554 5.7.1", 0 },
	{ "class loop", "smtpd_restriction_classes = a b\na = b\nb = a\n"
	    "smtpd_sender_restrictions = a\n", SMTPD_RCPT, NOKEY, K, F_MYNET,
	    {{0}}, REJ, "451 4.3.5", 0 },
	/* DNS, answers fed into the cache */
	{ "rbl listed", "smtpd_client_restrictions = reject_rbl_client zen.test\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "1.2.0.192.zen.test", DNS_T_A, DNS_OK, "127.0.0.2", NULL },
		{ "1.2.0.192.zen.test", DNS_T_TXT, DNS_OK, "", "see http://x/\r\n" }},
	    REJ, "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
	    "using zen.test; see http://x/??", 0 },
	{ "rbl listed, no TXT", "smtpd_client_restrictions = reject_rbl_client "
	    "zen.test\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "1.2.0.192.zen.test", DNS_T_A, DNS_OK, "127.0.0.4", NULL },
		{ "1.2.0.192.zen.test", DNS_T_TXT, DNS_NXDOMAIN, NULL, NULL }},
	    REJ, "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
	    "using zen.test", 0 },
	{ "rbl not listed", "smtpd_client_restrictions = reject_rbl_client "
	    "zen.test\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "1.2.0.192.zen.test", DNS_T_A, DNS_NXDOMAIN, NULL, NULL }},
	    ACC, NULL, 0 },
	{ "rbl filter excludes", "smtpd_client_restrictions = reject_rbl_client "
	    "zen.test=127.0.0.[3..11]\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "1.2.0.192.zen.test", DNS_T_A, DNS_OK, "127.0.0.2", NULL }},
	    ACC, NULL, 0 },
	{ "rbl filter includes", "smtpd_client_restrictions = reject_rbl_client "
	    "zen.test=127.0.0.[3..11]\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "1.2.0.192.zen.test", DNS_T_A, DNS_OK, "127.0.0.2,127.0.0.10", NULL },
		{ "1.2.0.192.zen.test", DNS_T_TXT, DNS_TEMPFAIL, NULL, NULL }},
	    REJ, "554 5.7.1 Service unavailable", 0 },
	{ "rbl non-127 answer", "smtpd_client_restrictions = reject_rbl_client "
	    "zen.test\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "1.2.0.192.zen.test", DNS_T_A, DNS_OK, "192.0.2.99", NULL }},
	    ACC, NULL, 0 },
	{ "rbl tempfail lists nobody", "smtpd_client_restrictions = "
	    "reject_rbl_client zen.test\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "1.2.0.192.zen.test", DNS_T_A, DNS_TEMPFAIL, NULL, NULL }},
	    ACC, NULL, 0 },
	{ "maps_rbl_reject_code", "maps_rbl_reject_code = 550\n"
	    "smtpd_client_restrictions = reject_rbl_client zen.test\n", SMTPD_RCPT,
	    NOKEY, K, F_MYNET, {
		{ "1.2.0.192.zen.test", DNS_T_A, DNS_OK, "127.0.0.2", NULL },
		{ "1.2.0.192.zen.test", DNS_T_TXT, DNS_NXDOMAIN, NULL, NULL }},
	    REJ, "550 5.7.1 Service unavailable", 0 },
	{ "rhsbl sender", "smtpd_sender_restrictions = reject_rhsbl_sender "
	    "dbl.test\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "sender.example.dbl.test", DNS_T_A, DNS_OK, "127.0.1.2", NULL },
		{ "sender.example.dbl.test", DNS_T_TXT, DNS_OK, "", "spam domain" }},
	    REJ, "554 5.7.1 Service unavailable; Sender address [sender.example] "
	    "blocked using dbl.test; spam domain", 0 },
	{ "rhsbl helo", "smtpd_helo_restrictions = reject_rhsbl_helo dbl.test\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "client.example.org.dbl.test", DNS_T_A, DNS_OK, "127.0.1.2", NULL },
		{ "client.example.org.dbl.test", DNS_T_TXT, DNS_NODATA, NULL, NULL }},
	    REJ, "554 5.7.1 Service unavailable; Helo command [client.example.org]"
	    " blocked using dbl.test", 0 },
	{ "unknown sender domain", "smtpd_sender_restrictions = "
	    "reject_unknown_sender_domain\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "sender.example", DNS_T_MX, DNS_NXDOMAIN, NULL, NULL },
		{ "sender.example", DNS_T_A, DNS_NXDOMAIN, NULL, NULL },
		{ "sender.example", DNS_T_AAAA, DNS_NXDOMAIN, NULL, NULL }},
	    REJ, "450 4.1.8 <a@sender.example>: Sender address rejected: Domain "
	    "not found", 0 },
	{ "unknown sender domain, code 550", "unknown_address_reject_code = 550\n"
	    "smtpd_sender_restrictions = reject_unknown_sender_domain\n",
	    SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "sender.example", DNS_T_MX, DNS_NODATA, NULL, NULL },
		{ "sender.example", DNS_T_A, DNS_NODATA, NULL, NULL },
		{ "sender.example", DNS_T_AAAA, DNS_NODATA, NULL, NULL }},
	    REJ, "550 5.1.8 <a@sender.example>", 0 },
	{ "sender domain with MX", "smtpd_sender_restrictions = "
	    "reject_unknown_sender_domain\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "sender.example", DNS_T_MX, DNS_OK, "mx.sender.example", NULL },
		{ "sender.example", DNS_T_A, DNS_NODATA, NULL, NULL },
		{ "sender.example", DNS_T_AAAA, DNS_NODATA, NULL, NULL }},
	    ACC, NULL, 0 },
	{ "sender domain with A only", "smtpd_sender_restrictions = "
	    "reject_unknown_sender_domain\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "sender.example", DNS_T_MX, DNS_NODATA, NULL, NULL },
		{ "sender.example", DNS_T_A, DNS_OK, "192.0.2.7", NULL },
		{ "sender.example", DNS_T_AAAA, DNS_NODATA, NULL, NULL }},
	    ACC, NULL, 0 },
	{ "sender domain tempfail", "smtpd_sender_restrictions = "
	    "reject_unknown_sender_domain\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "sender.example", DNS_T_MX, DNS_TEMPFAIL, NULL, NULL },
		{ "sender.example", DNS_T_A, DNS_TEMPFAIL, NULL, NULL },
		{ "sender.example", DNS_T_AAAA, DNS_TEMPFAIL, NULL, NULL }},
	    REJ, "450 4.1.8 <a@sender.example>: Sender address rejected: Domain "
	    "not found", 0 },
	{ "sender domain tempfail, then reject", "smtpd_sender_restrictions = "
	    "reject_unknown_sender_domain, reject\n", SMTPD_RCPT, NOKEY, K,
	    F_MYNET, {
		{ "sender.example", DNS_T_MX, DNS_TEMPFAIL, NULL, NULL },
		{ "sender.example", DNS_T_A, DNS_TEMPFAIL, NULL, NULL },
		{ "sender.example", DNS_T_AAAA, DNS_TEMPFAIL, NULL, NULL }},
	    REJ, "554 5.7.1 <a@sender.example>: Sender address rejected: Access "
	    "denied", 0 },
	{ "sender null MX", "smtpd_sender_restrictions = "
	    "reject_unknown_sender_domain\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "sender.example", DNS_T_MX, DNS_OK, "", NULL },
		{ "sender.example", DNS_T_A, DNS_NODATA, NULL, NULL },
		{ "sender.example", DNS_T_AAAA, DNS_NODATA, NULL, NULL }},
	    REJ, "556 5.1.10 <a@sender.example>: Sender address rejected: Domain "
	    "sender.example does not accept mail (nullMX)", 0 },
	{ "unknown recipient domain", "smtpd_recipient_restrictions = "
	    "reject_unknown_recipient_domain\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "remote.example", DNS_T_MX, DNS_NXDOMAIN, NULL, NULL },
		{ "remote.example", DNS_T_A, DNS_NXDOMAIN, NULL, NULL },
		{ "remote.example", DNS_T_AAAA, DNS_NXDOMAIN, NULL, NULL }},
	    REJ, "450 4.1.2 <r@remote.example>: Recipient address rejected: "
	    "Domain not found", 0 },
	{ "our own recipient domain needs no DNS", "smtpd_recipient_restrictions"
	    " = reject_unknown_recipient_domain\n", SMTPD_RCPT, NULL, NULL, NULL,
	    NULL, "u@example.test", K, 0, {{0}}, ACC, NULL, 0 },
	{ "unknown helo hostname", "smtpd_helo_restrictions = "
	    "reject_unknown_helo_hostname\n", SMTPD_RCPT, NOKEY, K, F_MYNET, {
		{ "client.example.org", DNS_T_MX, DNS_NXDOMAIN, NULL, NULL },
		{ "client.example.org", DNS_T_A, DNS_NXDOMAIN, NULL, NULL },
		{ "client.example.org", DNS_T_AAAA, DNS_NXDOMAIN, NULL, NULL }},
	    REJ, "450 4.7.1 <client.example.org>: Helo command rejected: Host "
	    "not found", 0 },
	{ NULL, NULL, 0, NOKEY, K, 0, {{0}}, 0, NULL, 0 }
};

static void
feed(struct smtpd_dns *d, const struct answer *a)
{
	char   *copy, *v[8], *p;
	size_t	n = 0;

	copy = xstrdup(a->v ? a->v : "");
	if (a->v != NULL)
		for (p = strtok(copy, ","); p != NULL && n < 8; p = strtok(NULL, ","))
			v[n++] = p;
	if (a->v != NULL && *a->v == '\0')
		v[n++] = "";	/* one empty name: a null MX */
	smtpd_dns_put(d, a->name, a->type, a->status, (const char *const *)v, n,
	    a->txt);
	free(copy);
}

static void
run_cases(const struct eval_case *cases)
{
	const struct eval_case *c;
	struct smtpd_facts f;
	struct strbuf reply, err;
	int	r, flags;
	size_t	i;

	strbuf_init(&reply, 8192);
	strbuf_init(&err, 4096);
	for (c = cases; c->label != NULL; c++) {
		if (setup_conf(c->conf, &err) != 0)
			fail_msg("%s: config: %s", c->label, err.data);
		default_facts(&f);
#define SET(field, v) if ((v) != NULL) f.field = strcmp((v), "-") ? (v) : NULL
		SET(client_addr, c->addr);
		SET(client_name, c->name);
		SET(helo, c->helo);
		SET(sender, c->sender);
		SET(rcpt, c->rcpt);
		if (c->name_status >= 0)
			f.name_status = c->name_status;
		if (c->reverse_status >= 0)
			f.reverse_status = c->reverse_status;
		f.mynetworks = (c->bits & F_MYNET) != 0;
		f.sasl_user = (c->bits & F_SASL) ? "user" : NULL;
		f.pipelined = (c->bits & F_PIPE) != 0;
		f.tls_fingerprint = (c->bits & F_CERT) ? "AB:CD:EF" : NULL;
		if (c->bits & F_NOHELO)
			f.helo = "";
		f.dns = smtpd_dns_new(NULL, NULL);
		for (i = 0; i < 4 && c->dns[i].name != NULL; i++)
			feed(f.dns, &c->dns[i]);
		strbuf_reset(&reply);
		r = smtpd_check_stage(c->stage, &f, &reply, &flags);
		if (r != c->want || (c->reply != NULL &&
		    strncmp(reply.data, c->reply, strlen(c->reply)) != 0) ||
		    flags != c->flags)
			fail_msg("%s: got %d \"%s\" flags %d, want %d \"%s\" flags %d",
			    c->label, r, reply.data, flags, c->want,
			    c->reply ? c->reply : "", c->flags);
		if (smtpd_dns_pending(f.dns) != 0)
			fail_msg("%s: lookups left pending", c->label);
		smtpd_dns_free(f.dns);
	}
	strbuf_release(&reply);
	strbuf_release(&err);
}

static void
test_eval(void **state)
{
	(void)state;
	run_cases(eval_cases);
}

static void
test_eval_access_dns(void **state)
{
	(void)state;
	run_cases(access_cases);
}

static int wakeups;

static void
count_wakeup(void *arg)
{
	(void)arg;
	wakeups++;
}

/* PENDING until every answer is in; the wake-up comes once per wait. */
static void
test_pending(void **state)
{
	struct smtpd_facts f;
	struct strbuf reply, err, names;
	const char *v127[] = { "127.0.0.2" };
	int	r, flags;

	(void)state;
	strbuf_init(&reply, 8192);
	strbuf_init(&err, 4096);
	strbuf_init(&names, 4096);
	assert_int_equal(setup_conf("smtpd_client_restrictions = "
	    "reject_rbl_client a.test, reject_rbl_client b.test\n", &err), 0);
	default_facts(&f);
	f.mynetworks = 1;
	f.dns = smtpd_dns_new(count_wakeup, NULL);
	wakeups = 0;
	r = smtpd_check_stage(SMTPD_RCPT, &f, &reply, &flags);
	assert_int_equal(r, SMTP_POLICY_PENDING);
	smtpd_dns_pending_names(f.dns, &names);
	assert_string_equal(names.data, "1.2.0.192.a.test/A");
	smtpd_dns_put(f.dns, "1.2.0.192.a.test", DNS_T_A, DNS_NXDOMAIN, NULL, 0,
	    NULL);
	assert_int_equal(wakeups, 1);
	r = smtpd_check_stage(SMTPD_RCPT, &f, &reply, &flags);
	assert_int_equal(r, SMTP_POLICY_PENDING);
	smtpd_dns_pending_names(f.dns, &names);
	assert_string_equal(names.data, "1.2.0.192.b.test/A");
	/* An answer nobody waits for wakes nobody. */
	smtpd_dns_put(f.dns, "unrelated.test", DNS_T_A, DNS_OK, v127, 1, NULL);
	assert_int_equal(wakeups, 1);
	smtpd_dns_put(f.dns, "1.2.0.192.b.test", DNS_T_A, DNS_OK, v127, 1, NULL);
	assert_int_equal(wakeups, 2);
	r = smtpd_check_stage(SMTPD_RCPT, &f, &reply, &flags);
	assert_int_equal(r, SMTP_POLICY_PENDING);	/* now the TXT */
	smtpd_dns_put(f.dns, "1.2.0.192.b.test", DNS_T_TXT, DNS_OK, NULL, 0,
	    "go away");
	assert_int_equal(wakeups, 3);
	r = smtpd_check_stage(SMTPD_RCPT, &f, &reply, &flags);
	assert_int_equal(r, SMTP_POLICY_REJECT);
	assert_string_equal(reply.data, "554 5.7.1 Service unavailable; Client "
	    "host [192.0.2.1] blocked using b.test; go away");
	/* Without a cache every answer is a temporary failure: not listed. */
	smtpd_dns_free(f.dns);
	f.dns = NULL;
	assert_int_equal(smtpd_check_stage(SMTPD_RCPT, &f, &reply, &flags),
	    SMTP_POLICY_ACCEPT);
	strbuf_release(&reply);
	strbuf_release(&err);
	strbuf_release(&names);
}

/* The cache stays bounded and keeps what is pending. */
static void
test_cache_bound(void **state)
{
	struct smtpd_dns *d = smtpd_dns_new(NULL, NULL);
	char	name[64];
	int	i;

	(void)state;
	for (i = 0; i < 3 * SMTPD_DNS_MAX_ENTRIES; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		if (i % 2)
			smtpd_dns_put(d, name, DNS_T_A, DNS_NXDOMAIN, NULL, 0, NULL);
		else
			(void)smtpd_dns_get(d, name, DNS_T_A);
	}
	/* Half were left pending until the cache filled with them. */
	assert_int_equal(smtpd_dns_pending(d), SMTPD_DNS_MAX_ENTRIES);
	/* A full cache of pending lookups answers "try later". */
	assert_non_null(smtpd_dns_get(d, "more.test", DNS_T_A));
	assert_int_equal(smtpd_dns_get(d, "more.test", DNS_T_A)->status,
	    DNS_TEMPFAIL);
	smtpd_dns_free(d);
}

/* PTR, then forward confirmation. */
static void
test_client_names(void **state)
{
	static const struct {
		const char *label, *addr;
		struct answer dns[2];
		const char *name, *rev;
		int	ns, rs;
	} cases[] = {
		{ "confirmed", "192.0.2.1", {
			{ "1.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_OK, "mx.example", NULL },
			{ "mx.example", DNS_T_A, DNS_OK, "192.0.2.9,192.0.2.1", NULL }},
		    "mx.example", "mx.example", SMTPD_PEER_OK, SMTPD_PEER_OK },
		{ "not confirmed", "192.0.2.1", {
			{ "1.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_OK, "mx.example", NULL },
			{ "mx.example", DNS_T_A, DNS_OK, "192.0.2.9", NULL }},
		    "unknown", "mx.example", SMTPD_PEER_PERM, SMTPD_PEER_OK },
		{ "forward tempfail", "192.0.2.1", {
			{ "1.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_OK, "mx.example", NULL },
			{ "mx.example", DNS_T_A, DNS_TEMPFAIL, NULL, NULL }},
		    "unknown", "mx.example", SMTPD_PEER_TEMP, SMTPD_PEER_OK },
		{ "no PTR", "192.0.2.1", {
			{ "1.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_NXDOMAIN, NULL, NULL }},
		    "unknown", "unknown", SMTPD_PEER_PERM, SMTPD_PEER_PERM },
		{ "PTR tempfail", "192.0.2.1", {
			{ "1.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_TEMPFAIL, NULL, NULL }},
		    "unknown", "unknown", SMTPD_PEER_TEMP, SMTPD_PEER_TEMP },
		{ "malformed PTR", "192.0.2.1", {
			{ "1.2.0.192.in-addr.arpa", DNS_T_PTR, DNS_OK, "bad name!", NULL }},
		    "unknown", "unknown", SMTPD_PEER_PERM, SMTPD_PEER_PERM },
		{ "IPv6", "2001:db8::1", {
			{ "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
			    ".ip6.arpa", DNS_T_PTR, DNS_OK, "v6.example", NULL },
			{ "v6.example", DNS_T_AAAA, DNS_OK, "2001:0db8:0::0001", NULL }},
		    "v6.example", "v6.example", SMTPD_PEER_OK, SMTPD_PEER_OK },
	};
	const char *name, *rev;
	int	ns, rs, done;
	size_t	i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smtpd_dns *d = smtpd_dns_new(NULL, NULL);

		for (j = 0; j < 2; j++) {
			done = smtpd_dns_client_names(d, cases[i].addr, &name, &ns,
			    &rev, &rs);
			if (done || cases[i].dns[j].name == NULL)
				break;
			feed(d, &cases[i].dns[j]);
		}
		if (!done)
			done = smtpd_dns_client_names(d, cases[i].addr, &name, &ns,
			    &rev, &rs);
		if (!done || strcmp(name, cases[i].name) != 0 ||
		    strcmp(rev, cases[i].rev) != 0 || ns != cases[i].ns ||
		    rs != cases[i].rs)
			fail_msg("%s: got done=%d %s/%d %s/%d", cases[i].label, done,
			    name, ns, rev, rs);
		smtpd_dns_free(d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_rbl_filter),
		cmocka_unit_test(test_eval),
		cmocka_unit_test(test_eval_access_dns),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_cache_bound),
		cmocka_unit_test(test_client_names),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
