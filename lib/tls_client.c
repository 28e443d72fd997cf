/*
 * lib/tls_client.c — the client side of TLS for smtp-client: Postfix's
 * security levels and policy-table syntax, the client SSL_CTX, one SSL per
 * connection (SNI, reference names, DANE TLSA records) and the verdict
 * after the handshake.
 *
 * The handshake always completes (SSL_VERIFY_PEER with a callback that
 * records what went wrong and returns 1); tls_client_check() judges the
 * finished connection against the level afterwards, as Postfix does, so
 * the log can name what the peer presented.  Policy text comes from
 * lookup tables: it is checked (and fuzzed), and a bad entry is an error,
 * never a weaker level.  Peer certificates are untrusted.  Errors come
 * back in a strbuf; nothing here is fatal except running out of memory.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls_client.h"

/* Longest policy attribute value, host name and match list we accept. */
#define TLSC_VALUE_MAX	1024
#define TLSC_NAME_MAX	253

struct tls_client {
	SSL_CTX *ctx;
	unsigned opp_mask, mand_mask;	/* protocols: may / encrypt+ */
	char   *opp_ciphers, *mand_ciphers; /* OpenSSL lists */
	char   *high, *medium, *exclude;	/* for per-policy grades */
	char   *verify_match, *secure_match;
	char   *digest;
	int	dane;
};

/* What one SSL of ours knows, attached as ex_data (freed with the SSL). */
struct tls_client_conn {
	enum tls_level level;		/* the level it is judged at */
	int	names;			/* reference names were installed */
	int	dane;			/* TLSA records were installed */
	char   *digest;
	struct strbuf want;		/* the names, for messages */
	int	verify_err;		/* first error other than the name */
	int	verify_depth;
	int	name_mismatch;
};

static int tls_client_idx = -1;

/* ---- levels ------------------------------------------------------------ */

static const char *const tls_level_names[] = {
	[TLS_LEV_NONE] = "none",
	[TLS_LEV_MAY] = "may",
	[TLS_LEV_ENCRYPT] = "encrypt",
	[TLS_LEV_DANE] = "dane",
	[TLS_LEV_VERIFY] = "verify",
	[TLS_LEV_SECURE] = "secure",
};
#define TLS_NLEVELS	(sizeof(tls_level_names) / sizeof(tls_level_names[0]))

int
tls_level_parse(const char *name, enum tls_level *lev)
{
	size_t	i;

	for (i = 0; i < TLS_NLEVELS; i++) {
		if (strcasecmp(name, tls_level_names[i]) == 0) {
			*lev = (enum tls_level)i;
			return (0);
		}
	}
	return (-1);
}

const char *
tls_level_name(enum tls_level lev)
{
	return ((unsigned)lev < TLS_NLEVELS ? tls_level_names[lev] : "unknown");
}

int
tls_level_mandatory(enum tls_level lev)
{
	return (lev >= TLS_LEV_ENCRYPT);
}

/* ---- policies ---------------------------------------------------------- */

#define TLSC_SEPS	", :\t\r\n"

/* Is s a usable match name: "hostname", "nexthop", "dot-nexthop", or a
 * DNS name (letters, digits, '-', '_', '.', a leading '*.' wildcard is
 * not Postfix syntax and is refused)? */
static int
tls_match_word_ok(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || n > TLSC_NAME_MAX + 1)
		return (0);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		    || (c >= '0' && c <= '9') || c == '-' || c == '_'
		    || c == '.'))
			return (0);
	}
	/* A name is not only dots, and has no empty label after its first
	 * character (".example.com" is fine, "a..b" and "." are not). */
	if (strspn(s, ".") >= n)
		return (0);
	for (i = 1; i < n; i++)
		if (s[i] == '.' && s[i - 1] == '.')
			return (0);
	return (1);
}

/* Check a match list value (':'-separated in a policy). */
static int
tls_match_check(const char *v, struct strbuf *err)
{
	const char *p = v;
	int	n = 0;

	while (*p) {
		size_t	len;

		p += strspn(p, TLSC_SEPS);
		if (*p == '\0')
			break;
		len = strcspn(p, TLSC_SEPS);
		if (!tls_match_word_ok(p, len)) {
			(void)strbuf_set_printf(err, "match=: bad name \"%.*s\" "
			    "(expected hostname, nexthop, dot-nexthop or a "
			    "domain name)", (int)(len > 64 ? 64 : len), p);
			return (-1);
		}
		p += len;
		n++;
	}
	if (n == 0) {
		(void)strbuf_set_printf(err, "match=: no name given");
		return (-1);
	}
	return (0);
}

/* Is a cipher grade one that tegami offers? */
static int
tls_grade_ok(const char *g)
{
	return (strcasecmp(g, "high") == 0 || strcasecmp(g, "medium") == 0);
}

/* Printable form of untrusted text for an error message. */
static void
tls_quote(struct strbuf *out, const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n && i < 64; i++) {
		unsigned char c = (unsigned char)s[i];

		(void)strbuf_append_char(out, c < 0x20 || c > 0x7e || c == '"'
		    ? '?' : (char)c);
	}
	if (n > 64)
		(void)strbuf_append_str(out, "...");
}

/* One "name=value" word of a policy into p. */
static int
tls_policy_attr(const char *w, size_t n, struct tls_policy *p,
	    struct strbuf *err)
{
	const char *eq = memchr(w, '=', n);
	size_t	klen = eq ? (size_t)(eq - w) : n;
	char  **slot = NULL, *v;

	if (eq != NULL && klen == 5 && strncmp(w, "match", 5) == 0)
		slot = &p->match;
	else if (eq != NULL && klen == 9 && strncmp(w, "protocols", 9) == 0)
		slot = &p->protocols;
	else if (eq != NULL && klen == 7 && strncmp(w, "ciphers", 7) == 0)
		slot = &p->ciphers;
	if (slot == NULL) {
		(void)strbuf_set_str(err, "unknown attribute \"");
		tls_quote(err, w, klen);
		(void)strbuf_append_str(err, "\" (expected match=, protocols= "
		    "or ciphers=)");
		return (-1);
	}
	if (*slot != NULL) {
		(void)strbuf_set_printf(err, "attribute %.*s= given twice",
		    (int)klen, w);
		return (-1);
	}
	if (n - klen - 1 == 0 || n - klen - 1 > TLSC_VALUE_MAX) {
		(void)strbuf_set_printf(err, "attribute %.*s=: %s value",
		    (int)klen, w, n - klen - 1 ? "overlong" : "empty");
		return (-1);
	}
	v = xstrndup(eq + 1, n - klen - 1);
	*slot = v;
	if (slot == &p->match)
		return (tls_match_check(v, err));
	if (slot == &p->protocols) {
		unsigned mask;
		struct strbuf why;
		int	r;

		strbuf_init(&why, 1024);
		r = tls_protocol_mask(v, &mask, &why);
		if (r < 0)
			(void)strbuf_set_printf(err, "protocols=: %s", why.data);
		strbuf_release(&why);
		return (r);
	}
	if (!tls_grade_ok(v)) {
		(void)strbuf_set_str(err, "ciphers=: grade \"");
		tls_quote(err, v, strlen(v));
		(void)strbuf_append_str(err, "\" (expected high or medium)");
		return (-1);
	}
	return (0);
}

int
tls_policy_parse(const char *text, struct tls_policy *p, struct strbuf *err)
{
	const char *s = text, *w;
	size_t	n;
	int	first = 1;

	memset(p, 0, sizeof(*p));
	for (;;) {
		s += strspn(s, " \t\r\n,");
		if (*s == '\0')
			break;
		w = s;
		n = strcspn(s, " \t\r\n,");
		s += n;
		if (first) {
			char   *lev = xstrndup(w, n);
			int	r = tls_level_parse(lev, &p->level);

			free(lev);
			if (r < 0) {
				(void)strbuf_set_str(err, "unknown TLS security "
				    "level \"");
				tls_quote(err, w, n);
				(void)strbuf_append_str(err, "\" (expected none, "
				    "may, encrypt, dane, verify or secure)");
				goto fail;
			}
			first = 0;
		} else if (tls_policy_attr(w, n, p, err) < 0)
			goto fail;
	}
	if (first) {
		(void)strbuf_set_str(err, "empty TLS policy (expected a "
		    "security level)");
		goto fail;
	}
	return (0);
fail:
	tls_policy_release(p);
	return (-1);
}

void
tls_policy_release(struct tls_policy *p)
{
	free(p->match);
	free(p->protocols);
	free(p->ciphers);
	memset(p, 0, sizeof(*p));
}

/* ---- the context -------------------------------------------------------- */

static void
tls_conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
	    long argl, void *argp)
{
	struct tls_client_conn *c = ptr;

	if (c == NULL)
		return;
	free(c->digest);
	strbuf_release(&c->want);
	free(c);
}

/* Record verification trouble, never stop the handshake (the level is
 * judged afterwards).  The first error other than a name mismatch is
 * kept: it says why the chain is not trusted. */
static int
tls_client_verify_cb(int ok, X509_STORE_CTX *store)
{
	SSL    *ssl = X509_STORE_CTX_get_ex_data(store,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_client_conn *c = ssl ? SSL_get_ex_data(ssl, tls_client_idx)
	    : NULL;
	int	e;

	if (ok || c == NULL)
		return (1);
	e = X509_STORE_CTX_get_error(store);
	if (e == X509_V_ERR_HOSTNAME_MISMATCH)
		c->name_mismatch = 1;
	else if (c->verify_err == X509_V_OK) {
		c->verify_err = e;
		c->verify_depth = X509_STORE_CTX_get_error_depth(store);
	}
	return (1);
}

static const char *
tls_str(const char *s, const char *dflt)
{
	return (s && *s ? s : dflt);
}

/* The OpenSSL list for a grade; NULL with err. */
static char *
tls_client_cipher_list(const struct tls_client *tc, const char *grade,
	    struct strbuf *err)
{
	struct strbuf out;

	strbuf_init(&out, 65536);
	if (tls_cipher_list(grade, tc->high, tc->medium, tc->exclude, &out,
	    err) < 0) {
		strbuf_release(&out);
		return (NULL);
	}
	return (strbuf_detach(&out));
}

/* The client certificate and key. */
static int
tls_client_cert(SSL_CTX *ctx, const char *cert, const char *key,
	    struct strbuf *err)
{
	struct strbuf why;

	if (SSL_CTX_use_certificate_chain_file(ctx, cert) == 1
	    && SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1
	    && SSL_CTX_check_private_key(ctx) == 1)
		return (0);
	strbuf_init(&why, 1024);
	tls_errors(&why);
	(void)strbuf_set_printf(err, "client certificate %s / key %s: %s",
	    cert, key, why.len ? why.data : "unusable");
	strbuf_release(&why);
	return (-1);
}

struct tls_client *
tls_client_new(const struct tls_client_opts *o, struct strbuf *err)
{
	struct tls_client *tc = xcalloc(1, sizeof(*tc));
	struct strbuf why;
	const char *cafile = tls_str(o->ca_file, NULL);
	const char *capath = tls_str(o->ca_path, NULL);

	strbuf_init(&why, 1024);
	ERR_clear_error();
	if (tls_client_idx < 0 && (tls_client_idx = SSL_get_ex_new_index(0,
	    "tegami tls_client", NULL, NULL, tls_conn_free)) < 0) {
		(void)strbuf_set_printf(err, "cannot make an SSL ex_data index");
		goto fail;
	}
	if (tls_protocol_mask(tls_str(o->protocols, ""), &tc->opp_mask, err) < 0
	    || tls_protocol_mask(tls_str(o->mandatory_protocols, ""),
	    &tc->mand_mask, err) < 0)
		goto fail;
	tc->high = xstrdup(tls_str(o->high_cipherlist, "DEFAULT"));
	tc->medium = xstrdup(tls_str(o->medium_cipherlist, "DEFAULT"));
	tc->exclude = xstrdup(tls_str(o->exclude_ciphers, ""));
	if ((tc->opp_ciphers = tls_client_cipher_list(tc,
	    tls_str(o->ciphers, "medium"), err)) == NULL
	    || (tc->mand_ciphers = tls_client_cipher_list(tc,
	    tls_str(o->mandatory_ciphers, "medium"), err)) == NULL)
		goto fail;
	tc->verify_match = xstrdup(tls_str(o->verify_match, "hostname"));
	tc->secure_match = xstrdup(tls_str(o->secure_match,
	    "nexthop, dot-nexthop"));
	if (tls_match_check(tc->verify_match, err) < 0
	    || tls_match_check(tc->secure_match, err) < 0)
		goto fail;
	tc->digest = xstrdup(tls_str(o->fingerprint_digest, "sha256"));
	if (EVP_get_digestbyname(tc->digest) == NULL) {
		(void)strbuf_set_printf(err, "unknown fingerprint digest \"%s\"",
		    tc->digest);
		goto fail;
	}
	if ((tc->ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		tls_errors(&why);
		(void)strbuf_set_printf(err, "cannot make a TLS context: %s",
		    why.data);
		goto fail;
	}
	SSL_CTX_set_options(tc->ctx, SSL_OP_NO_COMPRESSION
	    | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(tc->ctx, SSL_MODE_RELEASE_BUFFERS
	    | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_verify(tc->ctx, SSL_VERIFY_PEER, tls_client_verify_cb);
	SSL_CTX_set_verify_depth(tc->ctx, 9);	/* smtp_tls_scert_verifydepth */
	if (SSL_CTX_set_cipher_list(tc->ctx, tc->opp_ciphers) != 1
	    || SSL_CTX_set_cipher_list(tc->ctx, tc->mand_ciphers) != 1) {
		tls_errors(&why);
		(void)strbuf_set_printf(err, "cipher list selects no cipher: %s",
		    why.data);
		goto fail;
	}
	if (cafile == NULL && capath == NULL) {
		if (SSL_CTX_set_default_verify_paths(tc->ctx) != 1)
			ERR_clear_error();	/* no system store: untrusted */
	} else if (SSL_CTX_load_verify_locations(tc->ctx, cafile, capath) != 1) {
		tls_errors(&why);
		(void)strbuf_set_printf(err, "cannot load CA %s %s: %s",
		    cafile ? "file" : "directory", cafile ? cafile : capath,
		    why.data);
		goto fail;
	}
	if (o->cert_file && *o->cert_file && tls_client_cert(tc->ctx,
	    o->cert_file, tls_str(o->key_file, o->cert_file), err) < 0)
		goto fail;
	if (o->dane_enable) {
		if (SSL_CTX_dane_enable(tc->ctx) <= 0) {
			tls_errors(&why);
			(void)strbuf_set_printf(err, "cannot enable DANE: %s",
			    why.data);
			goto fail;
		}
		tc->dane = 1;
	}
	strbuf_release(&why);
	return (tc);
fail:
	strbuf_release(&why);
	ERR_clear_error();
	tls_client_free(tc);
	return (NULL);
}

void
tls_client_free(struct tls_client *tc)
{
	if (tc == NULL)
		return;
	SSL_CTX_free(tc->ctx);
	free(tc->opp_ciphers);
	free(tc->mand_ciphers);
	free(tc->high);
	free(tc->medium);
	free(tc->exclude);
	free(tc->verify_match);
	free(tc->secure_match);
	free(tc->digest);
	free(tc);
}

SSL_CTX *
tls_client_ctx(const struct tls_client *tc)
{
	return (tc->ctx);
}

/* ---- DANE --------------------------------------------------------------- */

int
tls_tlsa_usable(const struct dns_rr *rr)
{
	size_t	n;

	if (rr->data == NULL || rr->data_len < 4)
		return (0);
	n = rr->data_len - 3;
	if (rr->data[0] != 2 && rr->data[0] != 3)	/* DANE-TA, DANE-EE */
		return (0);
	if (rr->data[1] > 1)				/* Cert, SPKI */
		return (0);
	switch (rr->data[2]) {
	case 0:
		return (1);
	case 1:
		return (n == 32);			/* SHA2-256 */
	case 2:
		return (n == 64);			/* SHA2-512 */
	default:
		return (0);
	}
}

enum tls_level
tls_client_dane_level(const struct dns_rr *tlsa, size_t ntlsa)
{
	size_t	i;

	if (ntlsa == 0)
		return (TLS_LEV_MAY);
	for (i = 0; i < ntlsa; i++)
		if (tls_tlsa_usable(&tlsa[i]))
			return (TLS_LEV_DANE);
	return (TLS_LEV_ENCRYPT);
}

/* ---- one connection ----------------------------------------------------- */

/* Limit one SSL to the protocols of mask (see tls.c's context version). */
static void
tls_ssl_protocols(SSL *ssl, unsigned mask)
{
	static const struct {
		unsigned bit;
		int	version;
		uint64_t no;
	} v[] = {
		{TLS_P_SSLv3, SSL3_VERSION, SSL_OP_NO_SSLv3},
		{TLS_P_TLSv1, TLS1_VERSION, SSL_OP_NO_TLSv1},
		{TLS_P_TLSv1_1, TLS1_1_VERSION, SSL_OP_NO_TLSv1_1},
		{TLS_P_TLSv1_2, TLS1_2_VERSION, SSL_OP_NO_TLSv1_2},
		{TLS_P_TLSv1_3, TLS1_3_VERSION, SSL_OP_NO_TLSv1_3},
	};
	int	min = 0, max = 0;
	size_t	i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!(mask & v[i].bit)) {
			SSL_set_options(ssl, v[i].no);
			continue;
		}
		if (min == 0)
			min = v[i].version;
		max = v[i].version;
	}
	(void)SSL_set_min_proto_version(ssl, min);
	(void)SSL_set_max_proto_version(ssl, max);
}

/* Is s a host name we may send as SNI (not an IP literal)? */
static int
tls_sni_ok(const char *s)
{
	unsigned char buf[16];
	size_t	n = strlen(s);

	if (n == 0 || n > TLSC_NAME_MAX || *s == '.' || inet_pton(AF_INET, s, buf) == 1
	    || inet_pton(AF_INET6, s, buf) == 1)
		return (0);
	return (tls_match_word_ok(s, n));
}

/* A next hop without "[...]" and ":port", in a new string. */
static char *
tls_bare_nexthop(const char *nh)
{
	const char *end;

	if (nh == NULL)
		return (xstrdup(""));
	if (*nh == '[' && (end = strchr(nh, ']')) != NULL)
		return (xstrndup(nh + 1, (size_t)(end - nh - 1)));
	return (xstrndup(nh, strcspn(nh, ":")));
}

/* Add one reference name; "" is skipped. */
static int
tls_add_name(SSL *ssl, struct tls_client_conn *c, const char *prefix,
	    const char *name, size_t n)
{
	char   *full;
	int	ok;

	if (n == 0 || strlen(prefix) + n > TLSC_NAME_MAX + 1)
		return (0);
	full = xmalloc(strlen(prefix) + n + 1);
	strcpy(full, prefix);
	strncat(full, name, n);
	ok = SSL_add1_host(ssl, full) == 1;
	if (ok) {
		(void)strbuf_printf(&c->want, "%s%s", c->want.len ? ", " : "",
		    full);
		c->names++;
	}
	free(full);
	return (ok ? 0 : -1);
}

/* The reference names of verify/secure from a match list. */
static int
tls_install_names(SSL *ssl, struct tls_client_conn *c, const char *match,
	    const char *nexthop, const char *hostname, struct strbuf *err)
{
	const char *p = match;
	int	r = 0;

	while (r == 0 && *p) {
		size_t	n;

		p += strspn(p, TLSC_SEPS);
		if (*p == '\0')
			break;
		n = strcspn(p, TLSC_SEPS);
		if (n == 8 && strncasecmp(p, "hostname", 8) == 0)
			r = tls_add_name(ssl, c, "", hostname, strlen(hostname));
		else if (n == 7 && strncasecmp(p, "nexthop", 7) == 0)
			r = tls_add_name(ssl, c, "", nexthop, strlen(nexthop));
		else if (n == 11 && strncasecmp(p, "dot-nexthop", 11) == 0)
			r = tls_add_name(ssl, c, ".", nexthop, strlen(nexthop));
		else
			r = tls_add_name(ssl, c, "", p, n);
		p += n;
	}
	if (r < 0) {
		(void)strbuf_set_printf(err, "cannot set the names to match");
		return (-1);
	}
	if (c->names == 0) {
		(void)strbuf_set_printf(err, "no name to match the certificate "
		    "against (match list \"%s\", next hop \"%s\", host \"%s\")",
		    match, nexthop, hostname);
		return (-1);
	}
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return (0);
}

/* Install the usable TLSA records; the count installed. */
static int
tls_install_tlsa(SSL *ssl, const char *hostname, const char *nexthop,
	    const struct dns_rr *tlsa, size_t ntlsa, struct strbuf *err)
{
	size_t	i;
	int	added = 0;

	if (SSL_dane_enable(ssl, hostname) <= 0) {
		tls_errors(err);
		(void)strbuf_printf(err, "%scannot enable DANE for %s",
		    err->len ? ": " : "", hostname);
		return (-1);
	}
	/* RFC 7672 3.1.3: no name checks with DANE-EE(3). */
	(void)SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	/* RFC 7672 3.2.2: with DANE-TA(2) the next-hop domain is a
	 * reference name too, beside the TLSA base domain. */
	if (*nexthop && strcasecmp(nexthop, hostname) != 0)
		(void)SSL_add1_host(ssl, nexthop);
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	for (i = 0; i < ntlsa; i++) {
		const unsigned char *d = tlsa[i].data;

		if (!tls_tlsa_usable(&tlsa[i]))
			continue;
		if (SSL_dane_tlsa_add(ssl, d[0], d[1], d[2], d + 3,
		    tlsa[i].data_len - 3) > 0)
			added++;
	}
	ERR_clear_error();	/* records OpenSSL could not use are skipped */
	return (added);
}

SSL *
tls_client_ssl_new(struct tls_client *tc, const struct tls_policy *p,
	    const char *nexthop, const char *hostname, const char *sni,
	    const struct dns_rr *tlsa, size_t ntlsa, struct strbuf *err)
{
	struct tls_client_conn *c;
	enum tls_level lev = p->level;
	char   *nh = tls_bare_nexthop(nexthop), *grade_list = NULL;
	const char *host = hostname ? hostname : "";
	unsigned mask;
	SSL    *ssl;

	ERR_clear_error();
	if (lev == TLS_LEV_NONE || (unsigned)lev >= TLS_NLEVELS) {
		(void)strbuf_set_printf(err, "no TLS at level %s",
		    tls_level_name(lev));
		free(nh);
		return (NULL);
	}
	if (lev == TLS_LEV_DANE && !tc->dane)
		lev = TLS_LEV_MAY;		/* no DANE here: opportunistic */
	else if (lev == TLS_LEV_DANE)
		lev = tls_client_dane_level(tlsa, ntlsa);
	if ((ssl = SSL_new(tc->ctx)) == NULL) {
		tls_errors(err);
		free(nh);
		return (NULL);
	}
	c = xcalloc(1, sizeof(*c));
	c->level = lev;
	c->digest = xstrdup(tc->digest);
	strbuf_init(&c->want, 4096);
	if (SSL_set_ex_data(ssl, tls_client_idx, c) != 1) {
		tls_conn_free(NULL, c, NULL, 0, 0, NULL);
		(void)strbuf_set_printf(err, "cannot attach the TLS state");
		goto fail;
	}
	SSL_set_connect_state(ssl);

	/* Protocols and ciphers: the level's, or the policy's. */
	mask = tls_level_mandatory(lev) ? tc->mand_mask : tc->opp_mask;
	if (p->protocols && tls_protocol_mask(p->protocols, &mask, err) < 0)
		goto fail;
	tls_ssl_protocols(ssl, mask);
	if (p->ciphers && (grade_list = tls_client_cipher_list(tc, p->ciphers,
	    err)) == NULL)
		goto fail;
	if (SSL_set_cipher_list(ssl, grade_list ? grade_list
	    : tls_level_mandatory(lev) ? tc->mand_ciphers : tc->opp_ciphers) != 1) {
		tls_errors(err);
		goto fail;
	}

	if (sni && tls_sni_ok(sni) && SSL_set_tlsext_host_name(ssl, sni) != 1) {
		tls_errors(err);
		goto fail;
	}
	if (lev == TLS_LEV_VERIFY || lev == TLS_LEV_SECURE) {
		const char *match = p->match ? p->match : lev == TLS_LEV_VERIFY
		    ? tc->verify_match : tc->secure_match;

		if (tls_install_names(ssl, c, match, nh, host, err) < 0)
			goto fail;
	} else if (lev == TLS_LEV_DANE) {
		int	n;

		if (*host == '\0') {
			(void)strbuf_set_printf(err, "DANE needs the server's "
			    "host name (the TLSA base domain)");
			goto fail;
		}
		if ((n = tls_install_tlsa(ssl, host, nh, tlsa, ntlsa, err)) < 0)
			goto fail;
		if (n == 0)
			c->level = TLS_LEV_ENCRYPT;	/* RFC 7672 2.2 */
		c->dane = n > 0;
		(void)strbuf_printf(&c->want, "TLSA records of %s", host);
	}
	free(grade_list);
	free(nh);
	return (ssl);
fail:
	free(grade_list);
	free(nh);
	SSL_free(ssl);
	ERR_clear_error();
	return (NULL);
}

enum tls_level
tls_client_ssl_level(SSL *ssl)
{
	struct tls_client_conn *c = tls_client_idx < 0 ? NULL
	    : SSL_get_ex_data(ssl, tls_client_idx);

	return (c ? c->level : TLS_LEV_NONE);
}

/* ---- the verdict -------------------------------------------------------- */

int
tls_client_check(SSL *ssl, struct tls_client_result *res, struct strbuf *why)
{
	struct tls_client_conn *c = tls_client_idx < 0 ? NULL
	    : SSL_get_ex_data(ssl, tls_client_idx);
	long	vr;
	int	chain_ok, matched;

	memset(res, 0, sizeof(*res));
	tls_info_get(ssl, c ? c->digest : "sha256", &res->info);
	res->trust = "Anonymous";
	if (c == NULL) {
		(void)strbuf_set_printf(why, "not a TLS client connection");
		return (-1);
	}
	if (!SSL_is_init_finished(ssl)) {
		(void)strbuf_set_printf(why, "TLS handshake not finished");
		return (-1);
	}
	vr = SSL_get_verify_result(ssl);
	if (!res->info.peer_cert) {
		/* Only an anonymous cipher sends no certificate. */
		if (c->level >= TLS_LEV_DANE) {
			(void)strbuf_set_printf(why, "Server certificate not "
			    "verified: the server sent no certificate");
			return (-1);
		}
		return (0);
	}
	chain_ok = c->verify_err == X509_V_OK;
	matched = vr == X509_V_OK && chain_ok && !c->name_mismatch;
	res->trust = !chain_ok ? "Untrusted" : matched && (c->names || c->dane)
	    ? "Verified" : "Trusted";
	if (c->dane && SSL_get0_dane_authority(ssl, NULL, NULL) >= 0
	    && vr == X509_V_OK)
		res->trust = "Verified";
	switch (c->level) {
	case TLS_LEV_DANE:
		if (strcmp(res->trust, "Verified") == 0)
			return (0);
		if (c->verify_err == X509_V_ERR_DANE_NO_MATCH || !chain_ok)
			(void)strbuf_set_printf(why, "Server certificate not "
			    "verified: no TLSA record matched (%s)",
			    X509_verify_cert_error_string(c->verify_err));
		else
			(void)strbuf_set_printf(why, "Server certificate not "
			    "verified: name mismatch (wanted %s, CN \"%s\")",
			    c->want.data, res->info.peer_cn.data);
		res->trust = "Untrusted";
		return (-1);
	case TLS_LEV_VERIFY:
	case TLS_LEV_SECURE:
		if (!chain_ok) {
			(void)strbuf_set_printf(why, "Server certificate not "
			    "trusted: %s (depth %d)",
			    X509_verify_cert_error_string(c->verify_err),
			    c->verify_depth);
			return (-1);
		}
		if (!matched) {
			(void)strbuf_set_printf(why, "Server certificate not "
			    "verified: name mismatch (wanted %s, CN \"%s\")",
			    c->want.data, res->info.peer_cn.data);
			return (-1);
		}
		return (0);
	default:
		return (0);
	}
}

void
tls_client_result_release(struct tls_client_result *res)
{
	tls_info_release(&res->info);
}
