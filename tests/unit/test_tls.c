/*
 * tests/unit/test_tls.c — lib/tls.c: Postfix's protocol-list syntax, the
 * cipher grades, the fingerprint format, self-signed certificates (RSA
 * and ECDSA, key mode 0600) and server contexts made from them: one pair,
 * both pairs at once (an in-memory handshake shows a client limited to
 * ECDSA gets the EC certificate and one limited to RSA the RSA one),
 * key and certificate in one file, chain files, and the errors (missing
 * file, mismatched key, no certificate, bad protocol list).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls.h"

/* ---- protocol lists ------------------------------------------------------ */

#define P12_13	(TLS_P_TLSv1_2 | TLS_P_TLSv1_3)

static const struct {
	const char *label;
	const char *spec;
	int	ok;
	unsigned mask;
} protocol_cases[] = {
	{"empty: all", "", 1, TLS_P_ALL},
	{"floor", ">=TLSv1.2", 1, P12_13},
	{"Postfix exclusions", "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", 1, P12_13},
	{"no spaces", "!SSLv3,!TLSv1", 1,
	    TLS_P_SSLv2 | TLS_P_TLSv1_1 | P12_13},
	{"colons", "!SSLv2:!SSLv3:!TLSv1:!TLSv1.1:!TLSv1.2", 1, TLS_P_TLSv1_3},
	{"only one", "TLSv1.2", 1, TLS_P_TLSv1_2},
	{"two named", "TLSv1.2 TLSv1.3", 1, P12_13},
	{"ceiling", "<=TLSv1.2", 1, TLS_P_ALL & ~TLS_P_TLSv1_3},
	{"range", ">=TLSv1.1 <=TLSv1.2", 1, TLS_P_TLSv1_1 | TLS_P_TLSv1_2},
	{"same floor and ceiling", ">=TLSv1.2:<=TLSv1.2", 1, TLS_P_TLSv1_2},
	{"floor and exclusion", ">=TLSv1.2, !TLSv1.3", 1, TLS_P_TLSv1_2},
	{"any case", "tlsv1.3", 1, TLS_P_TLSv1_3},
	{"unknown name", "TLSv1.4", 0, 0},
	{"unknown excluded", "!TLSv9", 0, 0},
	{"bare operator", ">=", 0, 0},
	{"nothing left", ">=TLSv1.2 !TLSv1.2 !TLSv1.3", 0, 0},
	{"only SSLv2 (not in OpenSSL)", "SSLv2", 0, 0},
	{"inverted range", ">=TLSv1.3 <=TLSv1.2", 0, 0},
	{"overlong word", "TLSv1.2xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0, 0},
};

static void
test_protocol_mask(void **state)
{
	struct strbuf err;
	size_t	i;
	int	bad = 0;

	strbuf_init(&err, 1024);
	for (i = 0; i < sizeof(protocol_cases) / sizeof(protocol_cases[0]); i++) {
		unsigned mask = 0;
		int	r = tls_protocol_mask(protocol_cases[i].spec, &mask, &err);

		if ((r == 0) != protocol_cases[i].ok
		    || (r == 0 && mask != protocol_cases[i].mask)) {
			print_error("%s (\"%s\"): got r=%d mask=%#x, want ok=%d "
			    "mask=%#x (%s)\n", protocol_cases[i].label,
			    protocol_cases[i].spec, r, mask, protocol_cases[i].ok,
			    protocol_cases[i].mask, err.data);
			bad++;
		}
		if (r < 0 && strstr(err.data, "protocol") == NULL) {
			print_error("%s: error without a reason: \"%s\"\n",
			    protocol_cases[i].label, err.data);
			bad++;
		}
	}
	strbuf_release(&err);
	assert_int_equal(bad, 0);
}

/* ---- cipher grades, fingerprints ----------------------------------------- */

static void
test_cipher_list(void **state)
{
	struct strbuf out, err;

	strbuf_init(&out, 4096);
	strbuf_init(&err, 1024);
	assert_int_equal(tls_cipher_list("high", "H", "M", "", &out, &err), 0);
	assert_string_equal(out.data, "H");
	assert_int_equal(tls_cipher_list("MEDIUM", "H", "M", "RC4, aNULL",
	    &out, &err), 0);
	assert_string_equal(out.data, "M:!RC4:!aNULL");
	assert_int_equal(tls_cipher_list("low", "H", "M", "", &out, &err), -1);
	assert_non_null(strstr(err.data, "low"));
	assert_int_equal(tls_cipher_list("export", "H", "M", "", &out, &err), -1);
	assert_int_equal(tls_cipher_list("null", "H", "M", "", &out, &err), -1);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void
test_fingerprint_format(void **state)
{
	static const struct {
		const char *label;
		const unsigned char *md;
		size_t	n;
		const char *want;
	} cases[] = {
		{"empty", (const unsigned char *)"", 0, ""},
		{"one byte", (const unsigned char *)"\x0a", 1, "0A"},
		{"upper case pairs", (const unsigned char *)"\xab\xcd\x01\xff", 4,
		    "AB:CD:01:FF"},
	};
	struct strbuf out;
	size_t	i;

	strbuf_init(&out, 256);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tls_hex_fingerprint(cases[i].md, cases[i].n, &out);
		if (strcmp(out.data, cases[i].want) != 0)
			print_error("%s: got \"%s\", want \"%s\"\n", cases[i].label,
			    out.data, cases[i].want);
		assert_string_equal(out.data, cases[i].want);
	}
	strbuf_release(&out);
}

/* ---- certificates and contexts ------------------------------------------- */

static char tmpdir[] = "/tmp/test_tls.XXXXXX";
static char rsa_cert[256], rsa_key[256], ec_cert[256], ec_key[256];

static void
path(char *buf, const char *name)
{
	snprintf(buf, 256, "%s/%s", tmpdir, name);
}

static int
setup_certs(void **state)
{
	struct strbuf err;

	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	path(rsa_cert, "cert.pem");
	path(rsa_key, "key.pem");
	path(ec_cert, "eccert.pem");
	path(ec_key, "eckey.pem");
	strbuf_init(&err, 1024);
	if (tls_make_selfsigned("rsa", "mx.example.org", rsa_cert, rsa_key,
	    &err) < 0 || tls_make_selfsigned("ec", "mx.example.org", ec_cert,
	    ec_key, &err) < 0) {
		print_error("tls_make_selfsigned: %s\n", err.data);
		strbuf_release(&err);
		return (-1);
	}
	strbuf_release(&err);
	return (0);
}

static int
teardown_certs(void **state)
{
	char	cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return (system(cmd) == 0 ? 0 : -1);
}

static X509 *
read_cert(const char *file)
{
	FILE   *fp = fopen(file, "r");
	X509   *x;

	assert_non_null(fp);
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(x);
	return (x);
}

static void
test_selfsigned(void **state)
{
	struct strbuf err, fp;
	struct stat st;
	X509   *x;
	char	name[256];
	int	i;

	assert_int_equal(stat(rsa_key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(ec_key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(rsa_cert, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	x = read_cert(rsa_cert);
	X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
	assert_string_equal(name, "/CN=mx.example.org");
	assert_int_equal(X509_check_host(x, "mx.example.org", 0, 0, NULL), 1);
	assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(x)), 2048);
	assert_int_equal(X509_cmp_current_time(X509_get0_notAfter(x)), 1);
	/* SHA-256: 32 pairs and 31 colons, upper-case hex. */
	strbuf_init(&fp, 256);
	assert_int_equal(tls_cert_fingerprint(x, "sha256", &fp), 0);
	assert_int_equal(fp.len, 95);
	for (i = 0; i < 95; i++)
		assert_true(i % 3 == 2 ? fp.data[i] == ':' :
		    strchr("0123456789ABCDEF", fp.data[i]) != NULL);
	assert_int_equal(tls_cert_fingerprint(x, "sha1", &fp), 0);
	assert_int_equal(fp.len, 59);
	assert_int_equal(tls_cert_fingerprint(x, "nodigest", &fp), -1);
	X509_free(x);
	x = read_cert(ec_cert);
	assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(x)), EVP_PKEY_EC);
	X509_free(x);

	/* Never over an existing file. */
	strbuf_init(&err, 1024);
	assert_int_equal(tls_make_selfsigned("rsa", "x", rsa_cert, rsa_key,
	    &err), -1);
	assert_non_null(strstr(err.data, "exists"));
	assert_int_equal(tls_make_selfsigned("dsa", "x", "/nonexistent/c",
	    "/nonexistent/k", &err), -1);
	strbuf_release(&err);
	strbuf_release(&fp);
}

static void
opts_init(struct tls_server_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cert_file = o->key_file = "";
	o->eccert_file = o->eckey_file = "";
	o->chain_files = o->ca_file = "";
	o->protocols = ">=TLSv1.2";
	o->cipher_list = "ECDHE+AESGCM:!aNULL";
	o->fingerprint_digest = "sha256";
	o->server_preference = 1;
	o->cache_timeout = 3600;
	o->session_id = "test";
}

/*
 * A TLS handshake in memory against ts, by a client allowed only the
 * signature algorithms sigalgs; returns the base id of the key in the
 * certificate the server chose (EVP_PKEY_RSA, EVP_PKEY_EC), -1 on failure.
 */
static int
handshake_key_type(struct tls_server *ts, const char *sigalgs, int max_version)
{
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	SSL    *c, *s;
	BIO    *cb, *sb;
	X509   *peer;
	int	i, rc = 0, rs = 0, type = -1;

	assert_non_null(cctx);
	assert_int_equal(SSL_CTX_set1_sigalgs_list(cctx, sigalgs), 1);
	if (max_version)
		SSL_CTX_set_max_proto_version(cctx, max_version);
	c = SSL_new(cctx);
	s = SSL_new(tls_server_ctx(ts));
	assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (i = 0; i < 20 && (rc != 1 || rs != 1); i++) {
		if (rc != 1)
			rc = SSL_do_handshake(c);
		if (rs != 1)
			rs = SSL_do_handshake(s);
	}
	if (rc == 1 && rs == 1 && (peer = SSL_get1_peer_certificate(c)) != NULL) {
		type = EVP_PKEY_get_base_id(X509_get0_pubkey(peer));
		X509_free(peer);
	}
	ERR_clear_error();
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	return (type);
}

static void
test_server_two_chains(void **state)
{
	struct tls_server_opts o;
	struct tls_server *ts;
	struct strbuf err;

	strbuf_init(&err, 1024);
	opts_init(&o);
	o.cert_file = rsa_cert;
	o.key_file = rsa_key;
	o.eccert_file = ec_cert;
	o.eckey_file = ec_key;
	ts = tls_server_new(&o, &err);
	if (ts == NULL)
		print_error("tls_server_new: %s\n", err.data);
	assert_non_null(ts);
	assert_int_equal(SSL_CTX_get_min_proto_version(tls_server_ctx(ts)),
	    TLS1_2_VERSION);
	assert_true(SSL_CTX_get_options(tls_server_ctx(ts))
	    & SSL_OP_CIPHER_SERVER_PREFERENCE);
	assert_string_equal(tls_server_digest(ts), "sha256");
	/* OpenSSL chooses the chain by what the client can verify. */
	assert_int_equal(handshake_key_type(ts, "ECDSA+SHA256", 0), EVP_PKEY_EC);
	assert_int_equal(handshake_key_type(ts, "RSA-PSS+SHA256:RSA+SHA256", 0),
	    EVP_PKEY_RSA);
	assert_int_equal(handshake_key_type(ts, "ECDSA+SHA256", TLS1_2_VERSION),
	    EVP_PKEY_EC);
	assert_int_equal(handshake_key_type(ts, "RSA+SHA256", TLS1_2_VERSION),
	    EVP_PKEY_RSA);
	tls_server_free(ts);

	/* RSA only: an ECDSA-only client cannot connect. */
	o.eccert_file = o.eckey_file = "";
	assert_non_null(ts = tls_server_new(&o, &err));
	assert_int_equal(handshake_key_type(ts, "RSA-PSS+SHA256", 0), EVP_PKEY_RSA);
	assert_int_equal(handshake_key_type(ts, "ECDSA+SHA256", 0), -1);
	tls_server_free(ts);
	strbuf_release(&err);
}

/* Concatenate files into dst. */
static void
cat_files(const char *dst, const char *a, const char *b)
{
	char	cmd[1024];

	snprintf(cmd, sizeof(cmd), "cat '%s' '%s' > '%s'", a, b, dst);
	assert_int_equal(system(cmd), 0);
}

static void
test_server_files(void **state)
{
	struct tls_server_opts o;
	struct tls_server *ts;
	struct strbuf err;
	char	both[256], both_rev[256], both_ec[256], chains[256];
	char	chains_list[600];

	strbuf_init(&err, 1024);
	/* Key and certificate in one file, key_file = $cert_file. */
	path(both, "both.pem");
	cat_files(both, rsa_key, rsa_cert);
	opts_init(&o);
	o.cert_file = o.key_file = both;
	assert_non_null(ts = tls_server_new(&o, &err));
	tls_server_free(ts);
	/* Certificate first, then key. */
	path(both_rev, "both_rev.pem");
	cat_files(both_rev, ec_cert, ec_key);
	o.cert_file = both_rev;
	o.key_file = "";
	assert_non_null(ts = tls_server_new(&o, &err));
	assert_int_equal(handshake_key_type(ts, "ECDSA+SHA256", 0), EVP_PKEY_EC);
	tls_server_free(ts);
	/* smtpd_tls_chain_files: two key + chain sequences in one file
	 * (each key first, as Postfix wants). */
	path(both_ec, "both_ec.pem");
	cat_files(both_ec, ec_key, ec_cert);
	path(chains, "chains.pem");
	cat_files(chains, both, both_ec);
	opts_init(&o);
	o.chain_files = chains;
	assert_non_null(ts = tls_server_new(&o, &err));
	assert_int_equal(handshake_key_type(ts, "ECDSA+SHA256", 0), EVP_PKEY_EC);
	assert_int_equal(handshake_key_type(ts, "RSA-PSS+SHA256", 0), EVP_PKEY_RSA);
	tls_server_free(ts);
	/* ...or as a list of files. */
	snprintf(chains_list, sizeof(chains_list), "%s, %s", both, both_ec);
	o.chain_files = chains_list;
	assert_non_null(ts = tls_server_new(&o, &err));
	tls_server_free(ts);
	strbuf_release(&err);
}

static void
test_server_errors(void **state)
{
	static const struct {
		const char *label;
		int	which;		/* what opts_case sets */
		const char *want;	/* in the error */
	} cases[] = {
		{"no certificate", 0, "no server certificate"},
		{"missing file", 1, "cannot open"},
		{"key of another certificate", 2, "does not match"},
		{"key file without certificate", 3, "no certificate"},
		{"bad protocol list", 4, "TLSv9"},
		{"bad digest", 5, "digest"},
		{"cipher list selects nothing", 6, "cipher list"},
		{"chain file without key", 7, "no private key"},
		{"missing CA file", 8, "CA file"},
	};
	struct tls_server_opts o;
	struct tls_server *ts;
	struct strbuf err;
	size_t	i;

	strbuf_init(&err, 1024);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		opts_init(&o);
		o.cert_file = rsa_cert;
		o.key_file = rsa_key;
		switch (cases[i].which) {
		case 0:
			o.cert_file = o.key_file = "";
			break;
		case 1:
			o.key_file = "/nonexistent/key.pem";
			break;
		case 2:
			o.key_file = ec_key;
			break;
		case 3:
			o.cert_file = rsa_key;
			break;
		case 4:
			o.protocols = ">=TLSv9";
			break;
		case 5:
			o.fingerprint_digest = "nodigest";
			break;
		case 6:
			o.cipher_list = "NOSUCHCIPHER";
			break;
		case 7:
			o.cert_file = o.key_file = "";
			o.chain_files = rsa_cert;
			break;
		case 8:
			o.ca_file = "/nonexistent/ca.pem";
			break;
		}
		strbuf_reset(&err);
		ts = tls_server_new(&o, &err);
		if (ts != NULL || strstr(err.data, cases[i].want) == NULL)
			print_error("%s: got %p \"%s\", want NULL and \"%s\"\n",
			    cases[i].label, (void *)ts, err.data, cases[i].want);
		assert_null(ts);
		assert_non_null(strstr(err.data, cases[i].want));
	}
	strbuf_release(&err);
}

static void
test_server_ask_ccert(void **state)
{
	struct tls_server_opts o;
	struct tls_server *ts;
	struct strbuf err;

	strbuf_init(&err, 1024);
	opts_init(&o);
	o.cert_file = rsa_cert;
	o.key_file = rsa_key;
	o.ask_ccert = 1;
	o.ca_file = rsa_cert;
	o.cache_timeout = 0;
	assert_non_null(ts = tls_server_new(&o, &err));
	assert_int_equal(tls_server_ask_ccert(ts), 1);
	assert_int_equal(tls_server_has_ca(ts), 1);
	assert_int_equal(SSL_CTX_get_verify_mode(tls_server_ctx(ts)),
	    SSL_VERIFY_PEER);
	assert_int_equal(SSL_CTX_get_session_cache_mode(tls_server_ctx(ts)),
	    SSL_SESS_CACHE_OFF);
	/* No client certificate: the handshake still succeeds. */
	assert_int_equal(handshake_key_type(ts, "RSA-PSS+SHA256", 0), EVP_PKEY_RSA);
	tls_server_free(ts);
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocol_mask),
		cmocka_unit_test(test_cipher_list),
		cmocka_unit_test(test_fingerprint_format),
		cmocka_unit_test(test_selfsigned),
		cmocka_unit_test(test_server_two_chains),
		cmocka_unit_test(test_server_files),
		cmocka_unit_test(test_server_errors),
		cmocka_unit_test(test_server_ask_ccert),
	};

	return (cmocka_run_group_tests(tests, setup_certs, teardown_certs));
}
