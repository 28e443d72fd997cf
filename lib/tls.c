/*
 * lib/tls.c — OpenSSL server contexts, Postfix's protocol and cipher
 * grammar, certificate fingerprints and self-signed certificates.
 *
 * Called by the daemons before they drop privileges (tls_server_new reads
 * key files that may be readable by root only) and by `tegami init`.  The
 * configuration is trusted but checked; every failure is returned with a
 * reason naming the file and OpenSSL's complaint, never fatal here.  Peer
 * certificates (tls_info_get) are untrusted: only digests and escaped
 * names come out of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "tls.h"

struct tls_server {
	SSL_CTX *ctx;
	char   *digest;
	int	ask_ccert;
	int	has_ca;
};

/* ---- protocols ---------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned bit;
	int	version;		/* OpenSSL's, 0 = not supported */
} tls_protocols[] = {
	{"SSLv2", TLS_P_SSLv2, 0},
	{"SSLv3", TLS_P_SSLv3, SSL3_VERSION},
	{"TLSv1", TLS_P_TLSv1, TLS1_VERSION},
	{"TLSv1.1", TLS_P_TLSv1_1, TLS1_1_VERSION},
	{"TLSv1.2", TLS_P_TLSv1_2, TLS1_2_VERSION},
	{"TLSv1.3", TLS_P_TLSv1_3, TLS1_3_VERSION},
};
#define TLS_NPROTOCOLS	(sizeof(tls_protocols) / sizeof(tls_protocols[0]))

/* The bit of a protocol name, 0 when unknown. */
static unsigned
tls_protocol_bit(const char *name)
{
	size_t	i;

	for (i = 0; i < TLS_NPROTOCOLS; i++)
		if (strcasecmp(name, tls_protocols[i].name) == 0)
			return (tls_protocols[i].bit);
	return (0);
}

int
tls_protocol_mask(const char *spec, unsigned *mask, struct strbuf *err)
{
	unsigned include = 0, exclude = 0, lo = TLS_P_SSLv2, hi = TLS_P_TLSv1_3;
	unsigned bit, range = 0, b;
	const char *p = spec, *q;
	char	word[32];

	while (*p) {
		size_t	n;

		p += strspn(p, ", :\t\r\n");
		if (*p == '\0')
			break;
		n = strcspn(p, ", :\t\r\n");
		q = p;
		p += n;
		if (n >= sizeof(word)) {
			(void)strbuf_set_printf(err, "protocol list \"%s\": "
			    "unknown protocol \"%.*s...\"", spec, 20, q);
			return (-1);
		}
		memcpy(word, q, n);
		word[n] = '\0';
		if (word[0] == '!') {
			bit = tls_protocol_bit(word + 1);
			exclude |= bit;
		} else if (strncmp(word, ">=", 2) == 0) {
			bit = tls_protocol_bit(word + 2);
			lo = bit;
		} else if (strncmp(word, "<=", 2) == 0) {
			bit = tls_protocol_bit(word + 2);
			hi = bit;
		} else {
			bit = tls_protocol_bit(word);
			include |= bit;
		}
		if (bit == 0) {
			(void)strbuf_set_printf(err, "protocol list \"%s\": "
			    "unknown protocol \"%s\" (expected SSLv2, SSLv3, "
			    "TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, with !, >= or "
			    "<=)", spec, word);
			return (-1);
		}
	}
	for (b = lo; b != 0 && b <= hi && b <= TLS_P_TLSv1_3; b <<= 1)
		range |= b;
	*mask = (include ? include : TLS_P_ALL) & ~exclude & range;
	/* SSLv2 is not in OpenSSL 3: a list that leaves only it is empty. */
	if ((*mask & ~TLS_P_SSLv2) == 0) {
		(void)strbuf_set_printf(err, "protocol list \"%s\" enables no "
		    "protocol", spec);
		return (-1);
	}
	return (0);
}

/* Limit ctx to the protocols of mask: the outer bounds as the minimum and
 * maximum version, holes ("!TLSv1.2" between 1.1 and 1.3) as options. */
static void
tls_apply_protocols(SSL_CTX *ctx, unsigned mask)
{
	int	min = 0, max = 0;
	size_t	i;

	for (i = 0; i < TLS_NPROTOCOLS; i++) {
		if (tls_protocols[i].version == 0 || !(mask & tls_protocols[i].bit))
			continue;
		if (min == 0)
			min = tls_protocols[i].version;
		max = tls_protocols[i].version;
	}
	(void)SSL_CTX_set_min_proto_version(ctx, min);
	(void)SSL_CTX_set_max_proto_version(ctx, max);
	if (!(mask & TLS_P_TLSv1))
		SSL_CTX_set_options(ctx, SSL_OP_NO_TLSv1);
	if (!(mask & TLS_P_TLSv1_1))
		SSL_CTX_set_options(ctx, SSL_OP_NO_TLSv1_1);
	if (!(mask & TLS_P_TLSv1_2))
		SSL_CTX_set_options(ctx, SSL_OP_NO_TLSv1_2);
	if (!(mask & TLS_P_TLSv1_3))
		SSL_CTX_set_options(ctx, SSL_OP_NO_TLSv1_3);
}

/* ---- ciphers, fingerprints, errors -------------------------------------- */

int
tls_cipher_list(const char *grade, const char *high_list,
	    const char *medium_list, const char *exclude, struct strbuf *out,
	    struct strbuf *err)
{
	char  **ex;
	size_t	i;

	strbuf_reset(out);
	if (strcasecmp(grade, "high") == 0)
		(void)strbuf_append_str(out, high_list);
	else if (strcasecmp(grade, "medium") == 0)
		(void)strbuf_append_str(out, medium_list);
	else {
		(void)strbuf_set_printf(err, "cipher grade \"%s\": expected "
		    "\"medium\" or \"high\" (tegami offers no low, export or "
		    "null grade)", grade);
		return (-1);
	}
	ex = conf_split_list(exclude, NULL);
	for (i = 0; ex[i]; i++)
		(void)strbuf_printf(out, ":!%s", ex[i]);
	conf_free_list(ex);
	return (0);
}

void
tls_hex_fingerprint(const unsigned char *md, size_t n, struct strbuf *out)
{
	size_t	i;

	strbuf_reset(out);
	for (i = 0; i < n; i++)
		(void)strbuf_printf(out, "%s%02X", i ? ":" : "", md[i]);
}

int
tls_cert_fingerprint(X509 *cert, const char *digest, struct strbuf *out)
{
	const EVP_MD *md = EVP_get_digestbyname(digest);
	unsigned char buf[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (md == NULL || X509_digest(cert, md, buf, &n) != 1)
		return (-1);
	tls_hex_fingerprint(buf, n, out);
	return (0);
}

void
tls_errors(struct strbuf *out)
{
	unsigned long e;
	char	buf[256];

	strbuf_reset(out);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		(void)strbuf_printf(out, "%s%s", out->len ? "; " : "", buf);
	}
}

/* ---- certificates and keys ---------------------------------------------- */

/* One key with its certificate chain (leaf first). */
struct tls_chain {
	EVP_PKEY *key;
	STACK_OF(X509) *certs;
};

static void
tls_chain_release(struct tls_chain *c)
{
	EVP_PKEY_free(c->key);
	sk_X509_pop_free(c->certs, X509_free);
	c->key = NULL;
	c->certs = NULL;
}

/*
 * Read the PEM objects of a file in order: every private key starts a new
 * chain (a key after certificates that have none yet is theirs), every
 * certificate joins the current one.  Other objects (EC PARAMETERS) are
 * skipped.  Chains are appended to (*chains)[*n].  0 / -1 with err.
 */
static int
tls_read_pem(const char *path, struct tls_chain **chains, size_t *n,
	    struct strbuf *err)
{
	struct strbuf why;
	BIO    *bio;
	char   *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long	len;
	int	ret = 0, objects = 0;

	ERR_clear_error();
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		(void)strbuf_set_printf(err, "cannot open %s: %s", path,
		    strerror(errno ? errno : EIO));
		ERR_clear_error();
		return (-1);
	}
	while (ret == 0 && PEM_read_bio(bio, &name, &header, &data, &len)) {
		const unsigned char *p = data;
		struct tls_chain *c = *n ? &(*chains)[*n - 1] : NULL;

		objects++;
		if (strcmp(name, "CERTIFICATE") == 0 ||
		    strcmp(name, "X509 CERTIFICATE") == 0) {
			X509   *x = d2i_X509(NULL, &p, len);

			if (x == NULL) {
				(void)strbuf_set_printf(err, "%s: bad certificate",
				    path);
				ret = -1;
			} else {
				if (c == NULL) {
					*chains = xreallocarray(*chains, *n + 1,
					    sizeof(**chains));
					c = &(*chains)[(*n)++];
					c->key = NULL;
					c->certs = NULL;
				}
				if (c->certs == NULL)
					c->certs = sk_X509_new_null();
				if (c->certs == NULL || !sk_X509_push(c->certs, x)) {
					X509_free(x);
					(void)strbuf_set_printf(err, "%s: out of memory",
					    path);
					ret = -1;
				}
			}
		} else if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0) {
			(void)strbuf_set_printf(err, "%s: the private key is "
			    "encrypted (a passphrase cannot be given)", path);
			ret = -1;
		} else if (strstr(name, "PRIVATE KEY") != NULL) {
			EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, len);

			if (k == NULL) {
				(void)strbuf_set_printf(err, "%s: bad private key",
				    path);
				ret = -1;
			} else {
				if (c == NULL || c->key != NULL) {
					*chains = xreallocarray(*chains, *n + 1,
					    sizeof(**chains));
					c = &(*chains)[(*n)++];
					c->certs = NULL;
				}
				c->key = k;
			}
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	BIO_free(bio);
	if (ret == 0 && objects == 0) {
		strbuf_init(&why, 512);
		tls_errors(&why);
		(void)strbuf_set_printf(err, "%s: no PEM certificate or key found%s%s",
		    path, why.len ? ": " : "", why.data);
		strbuf_release(&why);
		ret = -1;
	}
	ERR_clear_error();		/* PEM_read_bio's "no start line" at EOF */
	return (ret);
}

/* Install one chain into ctx after checking that key and leaf match. */
static int
tls_use_chain(SSL_CTX *ctx, struct tls_chain *c, const char *what,
	    struct strbuf *err)
{
	struct strbuf why;
	STACK_OF(X509) *rest;
	X509   *leaf;
	int	ok;

	if (c->key == NULL) {
		(void)strbuf_set_printf(err, "%s: no private key", what);
		return (-1);
	}
	if (c->certs == NULL || sk_X509_num(c->certs) == 0) {
		(void)strbuf_set_printf(err, "%s: no certificate", what);
		return (-1);
	}
	leaf = sk_X509_value(c->certs, 0);
	if (X509_check_private_key(leaf, c->key) != 1) {
		ERR_clear_error();
		(void)strbuf_set_printf(err, "%s: the private key does not match "
		    "the certificate", what);
		return (-1);
	}
	rest = sk_X509_dup(c->certs);
	if (rest == NULL) {
		(void)strbuf_set_printf(err, "%s: out of memory", what);
		return (-1);
	}
	(void)sk_X509_shift(rest);
	ok = SSL_CTX_use_cert_and_key(ctx, leaf, c->key, rest, 1);
	sk_X509_free(rest);
	if (ok != 1) {
		strbuf_init(&why, 512);
		tls_errors(&why);
		(void)strbuf_set_printf(err, "%s: cannot use the certificate: %s",
		    what, why.data);
		strbuf_release(&why);
		return (-1);
	}
	return (0);
}

/* A certificate file and its key file ("" or the same name: one file). */
static int
tls_load_pair(SSL_CTX *ctx, const char *cert_file, const char *key_file,
	    struct strbuf *err)
{
	struct tls_chain *certs = NULL, *keys = NULL, pair = {NULL, NULL};
	size_t	nc = 0, nk = 0, i;
	int	ret = -1;

	if (tls_read_pem(cert_file, &certs, &nc, err) < 0)
		goto out;
	if (*key_file && strcmp(key_file, cert_file) != 0
	    && tls_read_pem(key_file, &keys, &nk, err) < 0)
		goto out;
	/* The key: from the key file, else from the certificate file. */
	for (i = 0; i < nk && pair.key == NULL; i++)
		if (keys[i].key)
			pair.key = keys[i].key, keys[i].key = NULL;
	for (i = 0; i < nc && pair.key == NULL; i++)
		if (certs[i].key)
			pair.key = certs[i].key, certs[i].key = NULL;
	/* The certificates of the certificate file, in order. */
	for (i = 0; i < nc; i++) {
		while (certs[i].certs && sk_X509_num(certs[i].certs) > 0) {
			if (pair.certs == NULL)
				pair.certs = sk_X509_new_null();
			if (pair.certs == NULL)
				goto out;
			(void)sk_X509_push(pair.certs, sk_X509_shift(certs[i].certs));
		}
	}
	if (pair.certs == NULL) {
		(void)strbuf_set_printf(err, "%s: no certificate", cert_file);
		goto out;
	}
	ret = tls_use_chain(ctx, &pair, cert_file, err);
out:
	tls_chain_release(&pair);
	for (i = 0; i < nc; i++)
		tls_chain_release(&certs[i]);
	for (i = 0; i < nk; i++)
		tls_chain_release(&keys[i]);
	free(certs);
	free(keys);
	return (ret);
}

/* Postfix's smtpd_tls_chain_files: each file holds key + chain sequences. */
static int
tls_load_chain_files(SSL_CTX *ctx, const char *list, int *loaded,
	    struct strbuf *err)
{
	char  **files = conf_split_list(list, NULL);
	struct tls_chain *chains = NULL;
	size_t	n = 0, i, f;
	int	ret = 0;

	for (f = 0; ret == 0 && files[f]; f++) {
		n = 0;
		if (tls_read_pem(files[f], &chains, &n, err) < 0)
			ret = -1;
		for (i = 0; ret == 0 && i < n; i++) {
			if ((ret = tls_use_chain(ctx, &chains[i], files[f], err)) == 0)
				(*loaded)++;
		}
		for (i = 0; i < n; i++)
			tls_chain_release(&chains[i]);
	}
	free(chains);
	conf_free_list(files);
	return (ret);
}

/* A client certificate is asked for, never required and never a reason
 * to fail: whether it verified is read afterwards (tls_info_get). */
static int
tls_verify_any(int ok, X509_STORE_CTX *store)
{
	return (1);
}

struct tls_server *
tls_server_new(const struct tls_server_opts *o, struct strbuf *err)
{
	struct tls_server *ts = xcalloc(1, sizeof(*ts));
	struct strbuf why;
	unsigned mask;
	int	loaded = 0;
	long	opts;

	strbuf_init(&why, 1024);
	ERR_clear_error();
	if (tls_protocol_mask(o->protocols, &mask, err) < 0)
		goto fail;
	if (EVP_get_digestbyname(o->fingerprint_digest) == NULL) {
		(void)strbuf_set_printf(err, "unknown fingerprint digest \"%s\"",
		    o->fingerprint_digest);
		goto fail;
	}
	if ((ts->ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_errors(&why);
		(void)strbuf_set_printf(err, "cannot make a TLS context: %s",
		    why.data);
		goto fail;
	}
	tls_apply_protocols(ts->ctx, mask);
	opts = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
	if (o->server_preference)
		opts |= SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA;
	SSL_CTX_set_options(ts->ctx, opts);
	/* Idle sessions keep no I/O buffers (thousands per process). */
	SSL_CTX_set_mode(ts->ctx, SSL_MODE_RELEASE_BUFFERS
	    | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (*o->cipher_list && SSL_CTX_set_cipher_list(ts->ctx, o->cipher_list) != 1) {
		tls_errors(&why);
		(void)strbuf_set_printf(err, "cipher list \"%s\" selects no "
		    "cipher: %s", o->cipher_list, why.data);
		goto fail;
	}
	/* DHE with the built-in groups sized to the certificate's key. */
	(void)SSL_CTX_set_dh_auto(ts->ctx, 1);

	if (*o->cert_file) {
		if (tls_load_pair(ts->ctx, o->cert_file, o->key_file, err) < 0)
			goto fail;
		loaded++;
	}
	if (*o->eccert_file) {
		if (tls_load_pair(ts->ctx, o->eccert_file, o->eckey_file, err) < 0)
			goto fail;
		loaded++;
	}
	if (*o->chain_files
	    && tls_load_chain_files(ts->ctx, o->chain_files, &loaded, err) < 0)
		goto fail;
	if (loaded == 0) {
		(void)strbuf_set_printf(err, "no server certificate configured "
		    "(smtpd_tls_cert_file, smtpd_tls_eccert_file or "
		    "smtpd_tls_chain_files)");
		goto fail;
	}

	/* Resumption: an in-process cache for session ids, and tickets
	 * sealed with the random key OpenSSL made for this context, which
	 * never leaves the process. */
	(void)SSL_CTX_set_session_id_context(ts->ctx,
	    (const unsigned char *)o->session_id,
	    (unsigned)(strlen(o->session_id) > SSL_MAX_SID_CTX_LENGTH
	    ? SSL_MAX_SID_CTX_LENGTH : strlen(o->session_id)));
	if (o->cache_timeout > 0) {
		SSL_CTX_set_session_cache_mode(ts->ctx, SSL_SESS_CACHE_SERVER);
		(void)SSL_CTX_sess_set_cache_size(ts->ctx, 4096);
		(void)SSL_CTX_set_timeout(ts->ctx, o->cache_timeout);
	} else {
		SSL_CTX_set_session_cache_mode(ts->ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ts->ctx, SSL_OP_NO_TICKET);
		(void)SSL_CTX_set_num_tickets(ts->ctx, 0);
	}

	if (*o->ca_file) {
		STACK_OF(X509_NAME) *names;

		if (SSL_CTX_load_verify_locations(ts->ctx, o->ca_file, NULL) != 1
		    || (names = SSL_load_client_CA_file(o->ca_file)) == NULL) {
			tls_errors(&why);
			(void)strbuf_set_printf(err, "cannot load CA file %s: %s",
			    o->ca_file, why.data);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ts->ctx, names);
		ts->has_ca = 1;
	}
	if (o->ask_ccert) {
		SSL_CTX_set_verify(ts->ctx, SSL_VERIFY_PEER, tls_verify_any);
		SSL_CTX_set_verify_depth(ts->ctx, 9);
	}
	ts->ask_ccert = o->ask_ccert;
	ts->digest = xstrdup(o->fingerprint_digest);
	strbuf_release(&why);
	return (ts);
fail:
	strbuf_release(&why);
	ERR_clear_error();
	tls_server_free(ts);
	return (NULL);
}

void
tls_server_free(struct tls_server *ts)
{
	if (ts == NULL)
		return;
	SSL_CTX_free(ts->ctx);
	free(ts->digest);
	free(ts);
}

SSL_CTX *
tls_server_ctx(const struct tls_server *ts)
{
	return (ts->ctx);
}

const char *
tls_server_digest(const struct tls_server *ts)
{
	return (ts->digest);
}

int
tls_server_ask_ccert(const struct tls_server *ts)
{
	return (ts->ask_ccert);
}

int
tls_server_has_ca(const struct tls_server *ts)
{
	return (ts->has_ca);
}

/* ---- facts of a connection ---------------------------------------------- */

/* The CN of a name, printable ASCII only (it goes into logs and headers). */
static void
tls_name_cn(X509_NAME *name, struct strbuf *out)
{
	int	i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	ASN1_STRING *d;
	const unsigned char *p;
	int	len, j;

	strbuf_reset(out);
	if (i < 0 || (d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)))
	    == NULL)
		return;
	p = ASN1_STRING_get0_data(d);
	len = ASN1_STRING_length(d);
	for (j = 0; j < len && j < 256; j++)
		(void)strbuf_append_char(out, p[j] < 0x20 || p[j] > 0x7e
		    || p[j] == '"' || p[j] == '\\' ? '?' : (char)p[j]);
}

void
tls_info_get(SSL *ssl, const char *digest, struct tls_info *info)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	X509   *peer;

	memset(info, 0, sizeof(*info));
	strbuf_init(&info->peer_cn, 512);
	strbuf_init(&info->issuer_cn, 512);
	strbuf_init(&info->peer_fp, 256);
	info->protocol = SSL_get_version(ssl);
	info->cipher = c ? SSL_CIPHER_get_name(c) : "unknown";
	info->cipher_bits = c ? SSL_CIPHER_get_bits(c, &info->cipher_alg_bits) : 0;
	if ((peer = SSL_get1_peer_certificate(ssl)) != NULL) {
		info->peer_cert = 1;
		info->peer_verified = SSL_get_verify_result(ssl) == X509_V_OK;
		tls_name_cn(X509_get_subject_name(peer), &info->peer_cn);
		tls_name_cn(X509_get_issuer_name(peer), &info->issuer_cn);
		if (tls_cert_fingerprint(peer, digest, &info->peer_fp) < 0)
			strbuf_reset(&info->peer_fp);
		X509_free(peer);
	}
}

void
tls_info_release(struct tls_info *info)
{
	strbuf_release(&info->peer_cn);
	strbuf_release(&info->issuer_cn);
	strbuf_release(&info->peer_fp);
}

/* ---- self-signed certificates ------------------------------------------- */

/* Add one X.509v3 extension given in openssl.cnf syntax. */
static int
tls_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int	ok;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return (-1);
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return (ok == 1 ? 0 : -1);
}

/* Is cn usable in a subjectAltName dNSName (letters, digits, '-', '.')? */
static int
tls_dns_name(const char *cn)
{
	if (*cn == '\0' || strlen(cn) > 253)
		return (0);
	for (; *cn; cn++)
		if (!((*cn >= 'a' && *cn <= 'z') || (*cn >= 'A' && *cn <= 'Z')
		    || (*cn >= '0' && *cn <= '9') || *cn == '-' || *cn == '.'))
			return (0);
	return (1);
}

/* Write a new file (O_EXCL) with mode; writer gets the stream. */
static int
tls_write_new(const char *path, mode_t mode, int (*writer)(FILE *, void *),
	    void *arg, struct strbuf *err)
{
	FILE   *fp;
	int	fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0) {
		(void)strbuf_set_printf(err, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		(void)strbuf_set_printf(err, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return (-1);
	}
	ok = writer(fp, arg) == 1;
	ok = fflush(fp) == 0 && ok;
	ok = fsync(fileno(fp)) == 0 && ok;
	ok = fclose(fp) == 0 && ok;
	if (!ok) {
		(void)strbuf_set_printf(err, "%s: write failed", path);
		unlink(path);
		return (-1);
	}
	return (0);
}

static int
tls_write_key(FILE *fp, void *key)
{
	return (PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL));
}

static int
tls_write_cert(FILE *fp, void *x)
{
	return (PEM_write_X509(fp, x));
}

int
tls_make_selfsigned(const char *type, const char *cn, const char *cert_file,
	    const char *key_file, struct strbuf *err)
{
	struct strbuf why, san;
	EVP_PKEY *key = NULL;
	X509   *x = NULL;
	BIGNUM *serial = NULL;
	X509_NAME *name;
	int	ec = strcmp(type, "ec") == 0, ret = -1;

	strbuf_init(&why, 1024);
	strbuf_init(&san, 512);
	ERR_clear_error();
	if (!ec && strcmp(type, "rsa") != 0) {
		(void)strbuf_set_printf(err, "key type \"%s\": expected rsa or ec",
		    type);
		goto out;
	}
	key = ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
	if (key == NULL || (x = X509_new()) == NULL || (serial = BN_new()) == NULL)
		goto ssl_error;
	/* A random 63-bit serial: positive, and never the same twice. */
	if (X509_set_version(x, 2) != 1 || BN_rand(serial, 63, BN_RAND_TOP_ANY,
	    BN_RAND_BOTTOM_ANY) != 1
	    || BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL)
		goto ssl_error;
	if (X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL
	    || X509_time_adj_ex(X509_getm_notAfter(x), 3650, 0, NULL) == NULL
	    || X509_set_pubkey(x, key) != 1)
		goto ssl_error;
	name = X509_get_subject_name(x);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1
	    || X509_set_issuer_name(x, name) != 1)
		goto ssl_error;
	if (tls_add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0
	    || tls_add_ext(x, NID_key_usage, ec ? "critical,digitalSignature"
	    : "critical,digitalSignature,keyEncipherment") < 0
	    || tls_add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth") < 0
	    || tls_add_ext(x, NID_subject_key_identifier, "hash") < 0)
		goto ssl_error;
	if (tls_dns_name(cn)) {
		(void)strbuf_printf(&san, "DNS:%s", cn);
		if (tls_add_ext(x, NID_subject_alt_name, san.data) < 0)
			goto ssl_error;
	}
	if (X509_sign(x, key, EVP_sha256()) == 0)
		goto ssl_error;
	if (tls_write_new(key_file, 0600, tls_write_key, key, err) < 0)
		goto out;
	if (tls_write_new(cert_file, 0644, tls_write_cert, x, err) < 0) {
		unlink(key_file);
		goto out;
	}
	ret = 0;
	goto out;
ssl_error:
	tls_errors(&why);
	(void)strbuf_set_printf(err, "cannot make a %s certificate for %s: %s",
	    ec ? "ECDSA" : "RSA", cn, why.len ? why.data : "unknown error");
out:
	BN_free(serial);
	X509_free(x);
	EVP_PKEY_free(key);
	strbuf_release(&why);
	strbuf_release(&san);
	ERR_clear_error();
	return (ret);
}
