/*
 * tests/unit/test_tls_client.c — lib/tls_client.c: level names, the
 * smtp_tls_policy_maps syntax (a table of good and bad entries), TLSA
 * usability and the DANE level of a record set, client contexts and their
 * errors, and real handshakes in memory (a BIO pair) against server
 * contexts made here with certificates made at test time (a test CA,
 * leaves for mx.example.com and other.example.net, a self-signed and an
 * expired leaf): may, encrypt, verify, secure and match= lists, DANE-EE
 * and DANE-TA records matching and not, unusable records, SNI, protocols.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls_client.h"

/* ---- levels and policies ------------------------------------------------- */

static void
test_levels(void **state)
{
	static const char *const names[] = {"none", "may", "encrypt", "dane",
	    "verify", "secure"};
	enum tls_level lev;
	size_t	i;

	for (i = 0; i < 6; i++) {
		assert_int_equal(tls_level_parse(names[i], &lev), 0);
		assert_int_equal(lev, (enum tls_level)i);
		assert_string_equal(tls_level_name(lev), names[i]);
	}
	assert_int_equal(tls_level_parse("VERIFY", &lev), 0);
	assert_int_equal(lev, TLS_LEV_VERIFY);
	assert_int_equal(tls_level_parse("", &lev), -1);
	assert_int_equal(tls_level_parse("fingerprint", &lev), -1);
	assert_int_equal(tls_level_parse("mayx", &lev), -1);
	assert_false(tls_level_mandatory(TLS_LEV_MAY));
	assert_true(tls_level_mandatory(TLS_LEV_ENCRYPT));
	assert_true(tls_level_mandatory(TLS_LEV_SECURE));
}

static const struct {
	const char *label;
	const char *text;
	int	ok;
	enum tls_level level;
	const char *match, *protocols, *ciphers;	/* NULL = unset */
	const char *err;		/* in the error when !ok */
} policy_cases[] = {
	{"bare level", "may", 1, TLS_LEV_MAY, NULL, NULL, NULL, NULL},
	{"white space around", "  encrypt \t", 1, TLS_LEV_ENCRYPT, NULL, NULL,
	    NULL, NULL},
	{"level any case", "Secure", 1, TLS_LEV_SECURE, NULL, NULL, NULL, NULL},
	{"match list", "secure match=nexthop:dot-nexthop", 1, TLS_LEV_SECURE,
	    "nexthop:dot-nexthop", NULL, NULL, NULL},
	{"Postfix example", "verify match=hostname:.example.com "
	    "protocols=!SSLv2:!SSLv3 ciphers=high", 1, TLS_LEV_VERIFY,
	    "hostname:.example.com", "!SSLv2:!SSLv3", "high", NULL},
	{"comma separated", "encrypt,protocols=>=TLSv1.2", 1, TLS_LEV_ENCRYPT,
	    NULL, ">=TLSv1.2", NULL, NULL},
	{"dane", "dane", 1, TLS_LEV_DANE, NULL, NULL, NULL, NULL},
	{"none", "none", 1, TLS_LEV_NONE, NULL, NULL, NULL, NULL},
	{"empty", "", 0, 0, NULL, NULL, NULL, "empty"},
	{"only space", " \t ", 0, 0, NULL, NULL, NULL, "empty"},
	{"unknown level", "fingerprint match=AB:CD", 0, 0, NULL, NULL, NULL,
	    "unknown TLS security level \"fingerprint\""},
	{"unknown attribute", "verify tafile=/etc/ta.pem", 0, 0, NULL, NULL,
	    NULL, "unknown attribute \"tafile\""},
	{"attribute without =", "verify match", 0, 0, NULL, NULL, NULL,
	    "unknown attribute \"match\""},
	{"empty value", "verify match=", 0, 0, NULL, NULL, NULL, "empty"},
	{"twice", "verify match=a.example match=b.example", 0, 0, NULL, NULL,
	    NULL, "twice"},
	{"bad protocol", "encrypt protocols=TLSv9", 0, 0, NULL, NULL, NULL,
	    "TLSv9"},
	{"bad grade", "encrypt ciphers=export", 0, 0, NULL, NULL, NULL,
	    "grade \"export\""},
	{"bad match name", "verify match=*.example.com", 0, 0, NULL, NULL,
	    NULL, "bad name"},
	{"empty label", "verify match=a..example.com", 0, 0, NULL, NULL, NULL,
	    "bad name"},
	{"only separators", "verify match=:::", 0, 0, NULL, NULL, NULL,
	    "no name"},
	{"control bytes quoted", "verify \x01\x7f=x", 0, 0, NULL, NULL, NULL,
	    "unknown attribute \"??\""},
};

static int
same(const char *a, const char *b)
{
	return (a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0);
}

static void
test_policy_parse(void **state)
{
	struct tls_policy p;
	struct strbuf err;
	size_t	i;
	int	bad = 0;

	strbuf_init(&err, 1024);
	for (i = 0; i < sizeof(policy_cases) / sizeof(policy_cases[0]); i++) {
		int	r;

		strbuf_reset(&err);
		r = tls_policy_parse(policy_cases[i].text, &p, &err);
		if ((r == 0) != policy_cases[i].ok) {
			print_error("%s: r=%d (%s)\n", policy_cases[i].label, r,
			    err.data);
			bad++;
		} else if (r == 0 && (p.level != policy_cases[i].level
		    || !same(p.match, policy_cases[i].match)
		    || !same(p.protocols, policy_cases[i].protocols)
		    || !same(p.ciphers, policy_cases[i].ciphers))) {
			print_error("%s: level %d match %s protocols %s ciphers "
			    "%s\n", policy_cases[i].label, p.level,
			    p.match ? p.match : "-", p.protocols ? p.protocols
			    : "-", p.ciphers ? p.ciphers : "-");
			bad++;
		} else if (r < 0 && (strstr(err.data, policy_cases[i].err) == NULL
		    || p.match || p.protocols || p.ciphers)) {
			print_error("%s: error \"%s\", want \"%s\"\n",
			    policy_cases[i].label, err.data, policy_cases[i].err);
			bad++;
		}
		tls_policy_release(&p);
	}
	strbuf_release(&err);
	assert_int_equal(bad, 0);
}

/* ---- TLSA records ---------------------------------------------------------- */

static struct dns_rr
tlsa_rr(int usage, int selector, int mtype, const unsigned char *d, size_t n)
{
	struct dns_rr rr;

	memset(&rr, 0, sizeof(rr));
	rr.type = DNS_T_TLSA;
	rr.data = malloc(n + 3);
	assert_non_null(rr.data);
	rr.data[0] = (unsigned char)usage;
	rr.data[1] = (unsigned char)selector;
	rr.data[2] = (unsigned char)mtype;
	if (n)
		memcpy(rr.data + 3, d, n);
	rr.data_len = n + 3;
	return (rr);
}

static void
test_tlsa_usable(void **state)
{
	static const unsigned char z[64];
	static const struct {
		const char *label;
		int	u, s, m;
		size_t	n;
		int	usable;
	} cases[] = {
		{"DANE-EE SPKI SHA-256", 3, 1, 1, 32, 1},
		{"DANE-TA cert SHA-256", 2, 0, 1, 32, 1},
		{"DANE-EE SHA-512", 3, 1, 2, 64, 1},
		{"DANE-EE full", 3, 0, 0, 40, 1},
		{"PKIX-TA", 0, 0, 1, 32, 0},
		{"PKIX-EE", 1, 1, 1, 32, 0},
		{"usage 4", 4, 1, 1, 32, 0},
		{"selector 2", 3, 2, 1, 32, 0},
		{"mtype 3", 3, 1, 3, 32, 0},
		{"short SHA-256", 3, 1, 1, 31, 0},
		{"SHA-512 size of SHA-256", 3, 1, 2, 32, 0},
		{"no data", 3, 1, 0, 0, 0},
	};
	struct dns_rr set[3];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dns_rr rr = tlsa_rr(cases[i].u, cases[i].s, cases[i].m, z,
		    cases[i].n);

		if (tls_tlsa_usable(&rr) != cases[i].usable)
			print_error("%s: usable %d\n", cases[i].label,
			    tls_tlsa_usable(&rr));
		assert_int_equal(tls_tlsa_usable(&rr), cases[i].usable);
		free(rr.data);
	}
	set[0] = tlsa_rr(1, 1, 1, z, 32);
	set[1] = tlsa_rr(3, 1, 1, z, 20);
	set[2] = tlsa_rr(3, 1, 1, z, 32);
	assert_int_equal(tls_client_dane_level(set, 0), TLS_LEV_MAY);
	assert_int_equal(tls_client_dane_level(set, 2), TLS_LEV_ENCRYPT);
	assert_int_equal(tls_client_dane_level(set, 3), TLS_LEV_DANE);
	for (i = 0; i < 3; i++)
		free(set[i].data);
}

/* ---- certificates ---------------------------------------------------------- */

static char tmpdir[] = "/tmp/test_tls_client.XXXXXX";
static char ca_file[300], leaf_cert_file[300], leaf_key_file[300];
static EVP_PKEY *ca_key, *leaf_key;
static X509 *ca_cert, *leaf_mx, *leaf_other, *leaf_self, *leaf_expired;

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A certificate for cn with key, signed by issuer (NULL: self-signed),
 * valid from `from` to `to` days from now. */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
	    int ca, long from, long to)
{
	static long serial = 1;
	X509   *x = X509_new();
	char	san[300];

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), (int)from, 0,
	    NULL));
	assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), (int)to, 0,
	    NULL));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(x),
	    "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(issuer
	    ? issuer : x)), 1);
	if (ca) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer ? issuer : x, NID_basic_constraints,
		    "critical,CA:FALSE");
		snprintf(san, sizeof(san), "DNS:%s", cn);
		add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
	}
	assert_int_not_equal(X509_sign(x, ikey ? ikey : key, EVP_sha256()), 0);
	return (x);
}

static void
write_pem(const char *file, X509 *x, EVP_PKEY *k)
{
	FILE   *fp = fopen(file, "w");

	assert_non_null(fp);
	if (x)
		assert_int_equal(PEM_write_X509(fp, x), 1);
	if (k)
		assert_int_equal(PEM_write_PrivateKey(fp, k, NULL, NULL, 0, NULL,
		    NULL), 1);
	assert_int_equal(fclose(fp), 0);
}

static int
setup_certs(void **state)
{
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", tmpdir);
	snprintf(leaf_cert_file, sizeof(leaf_cert_file), "%s/leaf.pem", tmpdir);
	snprintf(leaf_key_file, sizeof(leaf_key_file), "%s/leafkey.pem", tmpdir);
	ca_key = EVP_EC_gen("P-256");
	leaf_key = EVP_EC_gen("P-256");
	if (ca_key == NULL || leaf_key == NULL)
		return (-1);
	ca_cert = make_cert("Test CA", ca_key, NULL, NULL, 1, -1, 30);
	leaf_mx = make_cert("mx.example.com", leaf_key, ca_cert, ca_key, 0, -1, 30);
	leaf_other = make_cert("other.example.net", leaf_key, ca_cert, ca_key, 0,
	    -1, 30);
	leaf_self = make_cert("mx.example.com", leaf_key, NULL, NULL, 0, -1, 30);
	leaf_expired = make_cert("mx.example.com", leaf_key, ca_cert, ca_key, 0,
	    -30, -1);
	write_pem(ca_file, ca_cert, NULL);
	write_pem(leaf_cert_file, leaf_mx, NULL);
	write_pem(leaf_key_file, NULL, leaf_key);
	return (0);
}

static int
teardown_certs(void **state)
{
	char	cmd[512];

	X509_free(ca_cert);
	X509_free(leaf_mx);
	X509_free(leaf_other);
	X509_free(leaf_self);
	X509_free(leaf_expired);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(leaf_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return (system(cmd) == 0 ? 0 : -1);
}

/* ---- contexts -------------------------------------------------------------- */

static void
copts_init(struct tls_client_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->ca_file = ca_file;
	o->ca_path = "";
	o->protocols = ">=TLSv1";
	o->mandatory_protocols = ">=TLSv1.2";
	o->ciphers = "medium";
	o->mandatory_ciphers = "medium";
	o->high_cipherlist = "ECDHE+AESGCM:!aNULL";
	o->medium_cipherlist = "ECDHE+AESGCM:ECDHE+AES:!aNULL";
	o->verify_match = "hostname";
	o->secure_match = "nexthop, dot-nexthop";
	o->fingerprint_digest = "sha256";
	o->dane_enable = 1;
}

static void
test_client_new_errors(void **state)
{
	static const struct {
		const char *label;
		int	which;
		const char *want;
	} cases[] = {
		{"bad protocols", 0, "TLSv9"},
		{"bad mandatory protocols", 1, "enables no"},
		{"bad grade", 2, "grade"},
		{"bad digest", 3, "digest"},
		{"missing CA file", 4, "cannot load CA"},
		{"key of no certificate", 5, "client certificate"},
		{"bad verify match", 6, "bad name"},
		{"list selects nothing", 7, "no cipher"},
	};
	struct tls_client_opts o;
	struct tls_client *tc;
	struct strbuf err;
	size_t	i;

	strbuf_init(&err, 4096);
	/* A good one, with a client certificate; and the system store. */
	copts_init(&o);
	o.cert_file = leaf_cert_file;
	o.key_file = leaf_key_file;
	tc = tls_client_new(&o, &err);
	if (tc == NULL)
		print_error("tls_client_new: %s\n", err.data);
	assert_non_null(tc);
	assert_non_null(SSL_CTX_get0_certificate(tls_client_ctx(tc)));
	tls_client_free(tc);
	o.ca_file = "";
	o.cert_file = NULL;
	assert_non_null(tc = tls_client_new(&o, &err));
	tls_client_free(tc);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		copts_init(&o);
		switch (cases[i].which) {
		case 0: o.protocols = "TLSv9"; break;
		case 1: o.mandatory_protocols = "SSLv2"; break;
		case 2: o.mandatory_ciphers = "low"; break;
		case 3: o.fingerprint_digest = "nodigest"; break;
		case 4: o.ca_file = "/nonexistent/ca.pem"; break;
		case 5: o.cert_file = ca_file; o.key_file = leaf_key_file; break;
		case 6: o.verify_match = "hostname:*.x"; break;
		case 7: o.medium_cipherlist = "NOSUCHCIPHER"; break;
		}
		strbuf_reset(&err);
		tc = tls_client_new(&o, &err);
		if (tc != NULL || strstr(err.data, cases[i].want) == NULL)
			print_error("%s: \"%s\"\n", cases[i].label, err.data);
		assert_null(tc);
		assert_non_null(strstr(err.data, cases[i].want));
	}
	strbuf_release(&err);
}

/* ---- handshakes ------------------------------------------------------------ */

static char seen_sni[300];

static int
sni_cb(SSL *s, int *al, void *arg)
{
	const char *n = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);

	snprintf(seen_sni, sizeof(seen_sni), "%s", n ? n : "");
	return (SSL_TLSEXT_ERR_OK);
}

/* A server context presenting leaf (+ the CA when chain). */
static SSL_CTX *
server_ctx(X509 *leaf, int chain)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_use_certificate(ctx, leaf), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(ctx, leaf_key), 1);
	if (chain)
		assert_int_equal(SSL_CTX_add1_chain_cert(ctx, ca_cert), 1);
	SSL_CTX_set_tlsext_servername_callback(ctx, sni_cb);
	return (ctx);
}

/* Run a handshake between the client SSL c and a server of sctx in
 * memory; 0 when both ends finished. */
static int
handshake(SSL *c, SSL_CTX *sctx)
{
	SSL    *s = SSL_new(sctx);
	BIO    *cb, *sb;
	int	i, rc = 0, rs = 0;

	assert_non_null(s);
	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_accept_state(s);
	seen_sni[0] = '\0';
	for (i = 0; i < 20 && (rc != 1 || rs != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		if (rs != 1)
			rs = SSL_do_handshake(s);
	}
	ERR_clear_error();
	SSL_free(s);
	return (rc == 1 && rs == 1 ? 0 : -1);
}

enum tlsa_kind { T_NONE, T_EE_SPKI, T_EE_SPKI_BAD, T_TA_CERT, T_TA_CERT_BAD,
	T_UNUSABLE, T_EE_CERT512, T_EE_FULL };

/* The TLSA records of a kind (for the leaf key and the CA). */
static size_t
make_tlsa(enum tlsa_kind k, struct dns_rr *rr)
{
	unsigned char md[EVP_MAX_MD_SIZE], *der = NULL;
	unsigned n = 0;
	int	len;

	switch (k) {
	case T_NONE:
		return (0);
	case T_EE_SPKI:
	case T_EE_SPKI_BAD:
		len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf_mx), &der);
		assert_true(len > 0);
		assert_int_equal(EVP_Digest(der, (size_t)len, md, &n,
		    EVP_sha256(), NULL), 1);
		OPENSSL_free(der);
		if (k == T_EE_SPKI_BAD)
			md[0] ^= 0xff;
		rr[0] = tlsa_rr(1, 1, 1, md, n);	/* PKIX-EE: skipped */
		rr[1] = tlsa_rr(3, 1, 1, md, n);
		return (2);
	case T_TA_CERT:
	case T_TA_CERT_BAD:
		assert_int_equal(X509_digest(ca_cert, EVP_sha256(), md, &n), 1);
		if (k == T_TA_CERT_BAD)
			md[5] ^= 0x01;
		rr[0] = tlsa_rr(2, 0, 1, md, n);
		return (1);
	case T_UNUSABLE:
		memset(md, 0x5a, 32);
		rr[0] = tlsa_rr(1, 1, 1, md, 32);
		rr[1] = tlsa_rr(3, 1, 1, md, 20);
		rr[2] = tlsa_rr(0, 0, 1, md, 32);
		return (3);
	case T_EE_CERT512:
		assert_int_equal(X509_digest(leaf_mx, EVP_sha512(), md, &n), 1);
		rr[0] = tlsa_rr(3, 0, 2, md, n);
		return (1);
	case T_EE_FULL:
		len = i2d_X509(leaf_mx, &der);
		assert_true(len > 0);
		rr[0] = tlsa_rr(3, 0, 0, der, (size_t)len);
		OPENSSL_free(der);
		return (1);
	}
	return (0);
}

enum leaf_kind { L_MX, L_OTHER, L_SELF, L_EXPIRED };

static const struct {
	const char *label;
	const char *policy;
	enum leaf_kind leaf;
	const char *nexthop, *hostname, *sni;
	enum tlsa_kind tlsa;
	int	ok;
	const char *trust;
	enum tls_level judged;		/* tls_client_ssl_level */
	const char *why;		/* in the reason when !ok */
} hs_cases[] = {
	{"may: self-signed", "may", L_SELF, "example.com", "mx.example.com",
	    NULL, T_NONE, 1, "Untrusted", TLS_LEV_MAY, NULL},
	{"may: CA-signed is trusted", "may", L_MX, "example.com",
	    "mx.example.com", NULL, T_NONE, 1, "Trusted", TLS_LEV_MAY, NULL},
	{"may: wrong name is fine", "may", L_OTHER, "example.com",
	    "mx.example.com", NULL, T_NONE, 1, "Trusted", TLS_LEV_MAY, NULL},
	{"encrypt: self-signed", "encrypt", L_SELF, "example.com",
	    "mx.example.com", NULL, T_NONE, 1, "Untrusted", TLS_LEV_ENCRYPT, NULL},
	{"encrypt: expired", "encrypt", L_EXPIRED, "example.com",
	    "mx.example.com", NULL, T_NONE, 1, "Untrusted", TLS_LEV_ENCRYPT, NULL},
	{"verify: CA and host name", "verify", L_MX, "example.com",
	    "mx.example.com", "mx.example.com", T_NONE, 1, "Verified",
	    TLS_LEV_VERIFY, NULL},
	{"verify: host name any case", "verify", L_MX, "example.com",
	    "MX.Example.COM", NULL, T_NONE, 1, "Verified", TLS_LEV_VERIFY, NULL},
	{"verify: wrong name", "verify", L_OTHER, "example.com",
	    "mx.example.com", NULL, T_NONE, 0, "Trusted", TLS_LEV_VERIFY,
	    "name mismatch (wanted mx.example.com"},
	{"verify: self-signed", "verify", L_SELF, "example.com",
	    "mx.example.com", NULL, T_NONE, 0, "Untrusted", TLS_LEV_VERIFY,
	    "not trusted"},
	{"verify: expired", "verify", L_EXPIRED, "example.com",
	    "mx.example.com", NULL, T_NONE, 0, "Untrusted", TLS_LEV_VERIFY,
	    "expired"},
	{"verify: match=.example.com", "verify match=.example.com", L_MX,
	    "example.org", "mail.example.org", NULL, T_NONE, 1, "Verified",
	    TLS_LEV_VERIFY, NULL},
	{"verify: match=example.com is exact", "verify match=example.com",
	    L_MX, "example.org", "mx.example.com", NULL, T_NONE, 0, "Trusted",
	    TLS_LEV_VERIFY, "name mismatch"},
	{"verify: second name of a list", "verify match=a.example:mx.example.com",
	    L_MX, "example.org", "x", NULL, T_NONE, 1, "Verified",
	    TLS_LEV_VERIFY, NULL},
	{"secure: dot-nexthop", "secure", L_MX, "example.com",
	    "ignored.example.org", NULL, T_NONE, 1, "Verified", TLS_LEV_SECURE,
	    NULL},
	{"secure: MX host name is not enough", "secure", L_MX, "example.org",
	    "mx.example.com", NULL, T_NONE, 0, "Trusted", TLS_LEV_SECURE,
	    "wanted example.org, .example.org"},
	{"secure: bracketed next hop", "secure match=nexthop", L_MX,
	    "[mx.example.com]:587", "mx.example.com", NULL, T_NONE, 1,
	    "Verified", TLS_LEV_SECURE, NULL},
	{"dane: DANE-EE 3 1 1, self-signed", "dane", L_SELF, "example.com",
	    "mx.example.com", NULL, T_EE_SPKI, 1, "Verified", TLS_LEV_DANE, NULL},
	{"dane: DANE-EE ignores the name", "dane", L_OTHER, "example.com",
	    "mx.example.com", NULL, T_EE_SPKI, 1, "Verified", TLS_LEV_DANE, NULL},
	{"dane: DANE-EE 3 1 1 mismatch", "dane", L_SELF, "example.com",
	    "mx.example.com", NULL, T_EE_SPKI_BAD, 0, "Untrusted", TLS_LEV_DANE,
	    "no TLSA record matched"},
	{"dane: DANE-EE mismatch, CA-signed", "dane", L_MX, "example.com",
	    "mx.example.com", NULL, T_EE_SPKI_BAD, 0, "Untrusted", TLS_LEV_DANE,
	    "no TLSA record matched"},
	{"dane: DANE-EE 3 0 2", "dane", L_MX, "example.com",
	    "mx.example.com", NULL, T_EE_CERT512, 1, "Verified", TLS_LEV_DANE,
	    NULL},
	{"dane: DANE-EE 3 0 0", "dane", L_MX, "example.com", "mx.example.com",
	    NULL, T_EE_FULL, 1, "Verified", TLS_LEV_DANE, NULL},
	{"dane: DANE-TA 2 0 1", "dane", L_MX, "example.com", "mx.example.com",
	    NULL, T_TA_CERT, 1, "Verified", TLS_LEV_DANE, NULL},
	{"dane: DANE-TA, next-hop name", "dane", L_OTHER, "example.net",
	    "other.example.net", NULL, T_TA_CERT, 1, "Verified", TLS_LEV_DANE,
	    NULL},
	{"dane: DANE-TA 2 0 1 mismatch", "dane", L_MX, "example.com",
	    "mx.example.com", NULL, T_TA_CERT_BAD, 0, "Untrusted", TLS_LEV_DANE,
	    "no TLSA record matched"},
	{"dane: DANE-TA, wrong name", "dane", L_OTHER, "example.com",
	    "mx.example.com", NULL, T_TA_CERT, 0, "Untrusted", TLS_LEV_DANE,
	    "name mismatch"},
	{"dane: unusable records -> encrypt", "dane", L_SELF, "example.com",
	    "mx.example.com", NULL, T_UNUSABLE, 1, "Untrusted", TLS_LEV_ENCRYPT,
	    NULL},
	{"dane: no records -> may", "dane", L_SELF, "example.com",
	    "mx.example.com", NULL, T_NONE, 1, "Untrusted", TLS_LEV_MAY, NULL},
};

static void
test_handshakes(void **state)
{
	struct tls_client_opts o;
	struct tls_client *tc;
	struct strbuf err, why;
	size_t	i, j;
	int	bad = 0;

	strbuf_init(&err, 4096);
	strbuf_init(&why, 4096);
	copts_init(&o);
	tc = tls_client_new(&o, &err);
	assert_non_null(tc);
	for (i = 0; i < sizeof(hs_cases) / sizeof(hs_cases[0]); i++) {
		struct tls_client_result res;
		struct tls_policy p;
		struct dns_rr rr[4];
		size_t	nrr = make_tlsa(hs_cases[i].tlsa, rr);
		X509   *leaf = hs_cases[i].leaf == L_MX ? leaf_mx
		    : hs_cases[i].leaf == L_OTHER ? leaf_other
		    : hs_cases[i].leaf == L_SELF ? leaf_self : leaf_expired;
		SSL_CTX *sctx = server_ctx(leaf, hs_cases[i].leaf != L_SELF);
		SSL    *ssl;
		int	r;

		assert_int_equal(tls_policy_parse(hs_cases[i].policy, &p, &err), 0);
		ssl = tls_client_ssl_new(tc, &p, hs_cases[i].nexthop,
		    hs_cases[i].hostname, hs_cases[i].sni, rr, nrr, &err);
		if (ssl == NULL)
			print_error("%s: ssl_new: %s\n", hs_cases[i].label, err.data);
		assert_non_null(ssl);
		assert_int_equal(handshake(ssl, sctx), 0);
		strbuf_reset(&why);
		r = tls_client_check(ssl, &res, &why);
		if ((r == 0) != hs_cases[i].ok
		    || strcmp(res.trust, hs_cases[i].trust) != 0
		    || tls_client_ssl_level(ssl) != hs_cases[i].judged
		    || (!hs_cases[i].ok && strstr(why.data, hs_cases[i].why) == NULL)) {
			print_error("%s: r=%d trust=%s level=%s why=\"%s\"\n",
			    hs_cases[i].label, r, res.trust,
			    tls_level_name(tls_client_ssl_level(ssl)), why.data);
			bad++;
		}
		/* The log line's facts are there whatever the verdict. */
		if (res.info.protocol == NULL || !res.info.peer_cert
		    || res.info.peer_fp.len != 95) {
			print_error("%s: no connection facts\n", hs_cases[i].label);
			bad++;
		}
		tls_client_result_release(&res);
		SSL_free(ssl);
		SSL_CTX_free(sctx);
		tls_policy_release(&p);
		for (j = 0; j < nrr; j++)
			free(rr[j].data);
	}
	tls_client_free(tc);
	strbuf_release(&err);
	strbuf_release(&why);
	assert_int_equal(bad, 0);
}

/* SNI, protocols and ciphers per policy, DANE without dane_enable,
 * level none, and checking an unfinished or foreign SSL. */
static void
test_connection_details(void **state)
{
	struct tls_client_opts o;
	struct tls_client *tc;
	struct tls_client_result res;
	struct tls_policy p;
	struct strbuf err, why;
	SSL_CTX *sctx = server_ctx(leaf_mx, 1), *plain;
	SSL    *ssl;
	struct dns_rr rr[4];
	size_t	nrr = make_tlsa(T_EE_SPKI, rr), j;

	strbuf_init(&err, 4096);
	strbuf_init(&why, 4096);
	copts_init(&o);
	assert_non_null(tc = tls_client_new(&o, &err));

	/* SNI: a name is sent, an IP literal is not; dane sends the host. */
	assert_int_equal(tls_policy_parse("may", &p, &err), 0);
	assert_non_null(ssl = tls_client_ssl_new(tc, &p, "example.com",
	    "mx.example.com", "mx.example.com", NULL, 0, &err));
	assert_int_equal(handshake(ssl, sctx), 0);
	assert_string_equal(seen_sni, "mx.example.com");
	SSL_free(ssl);
	assert_non_null(ssl = tls_client_ssl_new(tc, &p, "[192.0.2.1]",
	    "192.0.2.1", "192.0.2.1", NULL, 0, &err));
	assert_int_equal(handshake(ssl, sctx), 0);
	assert_string_equal(seen_sni, "");
	SSL_free(ssl);
	tls_policy_release(&p);
	assert_int_equal(tls_policy_parse("dane", &p, &err), 0);
	assert_non_null(ssl = tls_client_ssl_new(tc, &p, "example.com",
	    "mx.example.com", NULL, rr, nrr, &err));
	assert_int_equal(handshake(ssl, sctx), 0);
	assert_string_equal(seen_sni, "mx.example.com");
	SSL_free(ssl);
	/* dane without a host name is an error. */
	assert_null(tls_client_ssl_new(tc, &p, "example.com", NULL, NULL, rr,
	    nrr, &err));
	assert_non_null(strstr(err.data, "host name"));
	tls_policy_release(&p);

	/* Protocols: the policy's, else the level's. */
	assert_int_equal(tls_policy_parse("encrypt protocols=TLSv1.2 "
	    "ciphers=high", &p, &err), 0);
	assert_non_null(ssl = tls_client_ssl_new(tc, &p, "example.com",
	    "mx.example.com", NULL, NULL, 0, &err));
	assert_int_equal(handshake(ssl, sctx), 0);
	assert_int_equal(tls_client_check(ssl, &res, &why), 0);
	assert_string_equal(res.info.protocol, "TLSv1.2");
	assert_non_null(strstr(res.info.cipher, "GCM"));
	tls_client_result_release(&res);
	SSL_free(ssl);
	tls_policy_release(&p);
	assert_int_equal(tls_policy_parse("encrypt protocols=TLSv1.3", &p,
	    &err), 0);
	plain = SSL_CTX_new(TLS_server_method());
	assert_non_null(plain);
	assert_int_equal(SSL_CTX_use_certificate(plain, leaf_mx), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey(plain, leaf_key), 1);
	SSL_CTX_set_max_proto_version(plain, TLS1_2_VERSION);
	assert_non_null(ssl = tls_client_ssl_new(tc, &p, "example.com",
	    "mx.example.com", NULL, NULL, 0, &err));
	assert_int_equal(handshake(ssl, plain), -1);	/* no common protocol */
	/* An unfinished handshake is never accepted. */
	assert_int_equal(tls_client_check(ssl, &res, &why), -1);
	assert_non_null(strstr(why.data, "not finished"));
	tls_client_result_release(&res);
	SSL_free(ssl);
	SSL_CTX_free(plain);
	tls_policy_release(&p);

	/* Level none makes no SSL; a foreign SSL is not judged. */
	assert_int_equal(tls_policy_parse("none", &p, &err), 0);
	assert_null(tls_client_ssl_new(tc, &p, "example.com", "mx.example.com",
	    NULL, NULL, 0, &err));
	assert_non_null(strstr(err.data, "none"));
	tls_policy_release(&p);
	assert_non_null(ssl = SSL_new(sctx));
	assert_int_equal(tls_client_ssl_level(ssl), TLS_LEV_NONE);
	assert_int_equal(tls_client_check(ssl, &res, &why), -1);
	tls_client_result_release(&res);
	SSL_free(ssl);
	/* verify with no name to match is an error. */
	assert_int_equal(tls_policy_parse("verify", &p, &err), 0);
	assert_null(tls_client_ssl_new(tc, &p, "example.com", "", NULL, NULL, 0,
	    &err));
	assert_non_null(strstr(err.data, "no name"));
	tls_policy_release(&p);
	tls_client_free(tc);

	/* A context without DANE: level dane is opportunistic. */
	o.dane_enable = 0;
	assert_non_null(tc = tls_client_new(&o, &err));
	assert_int_equal(tls_policy_parse("dane", &p, &err), 0);
	assert_non_null(ssl = tls_client_ssl_new(tc, &p, "example.com",
	    "mx.example.com", NULL, rr, nrr, &err));
	assert_int_equal(tls_client_ssl_level(ssl), TLS_LEV_MAY);
	SSL_free(ssl);
	tls_policy_release(&p);
	tls_client_free(tc);

	for (j = 0; j < nrr; j++)
		free(rr[j].data);
	SSL_CTX_free(sctx);
	strbuf_release(&err);
	strbuf_release(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_policy_parse),
		cmocka_unit_test(test_tlsa_usable),
		cmocka_unit_test(test_client_new_errors),
		cmocka_unit_test(test_handshakes),
		cmocka_unit_test(test_connection_details),
	};

	return (cmocka_run_group_tests(tests, setup_certs, teardown_certs));
}
