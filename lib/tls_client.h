/*
 * lib/tls_client.h — the client side of TLS for smtp-client: security
 * levels and per-destination policies in Postfix's syntax, the SSL_CTX,
 * one SSL per connection (SNI, host names to match, DANE TLSA records),
 * and the verdict after the handshake.
 *
 * The handshake itself is driven by the caller (libevent's OpenSSL
 * bufferevent).  It always runs to completion whatever the certificate:
 * the level is judged afterwards by tls_client_check(), as in Postfix, so
 * the log can say what the peer presented.  Policy text (from
 * smtp_tls_policy_maps) is checked and fuzzed; peer certificates are
 * untrusted.  Errors come back in a strbuf, nothing here is fatal.
 */
#ifndef TEGAMI_TLS_CLIENT_H
#define TEGAMI_TLS_CLIENT_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "dns.h"
#include "strbuf.h"
#include "tls.h"

/* Postfix's smtp_tls_security_level values, weakest first. */
enum tls_level {
	TLS_LEV_NONE,		/* plaintext */
	TLS_LEV_MAY,		/* STARTTLS when offered, plaintext if not */
	TLS_LEV_ENCRYPT,	/* TLS required, the certificate is not checked */
	TLS_LEV_DANE,		/* RFC 7672: TLSA records decide */
	TLS_LEV_VERIFY,		/* TLS, a trusted chain, a matching name */
	TLS_LEV_SECURE,		/* as verify, names from the next hop */
};

/* "none", "may", "encrypt", "dane", "verify", "secure" (any case): 0 with
 * *lev set, -1 for anything else ("" is not a level here: the caller maps
 * Postfix's empty default to none). */
int	tls_level_parse(const char *name, enum tls_level *lev);
/* The name of a level ("may"), static. */
const char *tls_level_name(enum tls_level lev);
/* Does the level require TLS (encrypt and above)? */
int	tls_level_mandatory(enum tls_level lev);

/* One smtp_tls_policy_maps entry, or the defaults (zeroed + level). */
struct tls_policy {
	enum tls_level level;
	char   *match;		/* verify/secure: names to match, separated by
				 * ':' (also ',' or white space): "hostname"
				 * (the MX host), "nexthop", "dot-nexthop",
				 * ".example.com" (any subdomain),
				 * "example.com"; NULL = the client's default
				 * (smtp_tls_verify_cert_match or
				 * smtp_tls_secure_cert_match) */
	char   *protocols;	/* Postfix syntax; NULL = the client's */
	char   *ciphers;	/* grade "high"/"medium"; NULL = the client's */
};

/*
 * Parse "LEVEL [name=value ...]", the result of an smtp_tls_policy_maps
 * lookup; attributes match=, protocols=, ciphers= (checked here).  0 with
 * p filled (release it), or -1 with the reason in err and p zeroed.
 */
int	tls_policy_parse(const char *text, struct tls_policy *p,
	    struct strbuf *err);
void	tls_policy_release(struct tls_policy *p);

struct tls_client_opts {
	const char *cert_file;		/* optional client certificate, PEM */
	const char *key_file;		/* its key; ""/NULL = in cert_file */
	const char *ca_file;		/* trust anchors; both "" = the */
	const char *ca_path;		/* system's default store */
	const char *protocols;		/* levels may (and dane -> may) */
	const char *mandatory_protocols; /* levels encrypt and above */
	const char *ciphers;		/* grade at level may */
	const char *mandatory_ciphers;	/* grade at encrypt and above */
	const char *high_cipherlist;	/* OpenSSL lists of the grades */
	const char *medium_cipherlist;
	const char *exclude_ciphers;	/* NULL/"" = none */
	const char *verify_match;	/* default match of level verify */
	const char *secure_match;	/* default match of level secure */
	const char *fingerprint_digest;	/* "sha256" */
	int	dane_enable;		/* SSL_CTX_dane_enable */
};

struct tls_client;

/* A client context from o (certificates read now: call before dropping
 * privileges).  NULL with the reason in err. */
struct tls_client *tls_client_new(const struct tls_client_opts *o,
	    struct strbuf *err);
void	tls_client_free(struct tls_client *tc);
/* The SSL_CTX, borrowed. */
SSL_CTX *tls_client_ctx(const struct tls_client *tc);

/* Is one TLSA record usable in SMTP (RFC 7672 3.1.3: DANE-TA(2) or
 * DANE-EE(3), selector 0/1, matching type 0/1/2 with the digest's size)? */
int	tls_tlsa_usable(const struct dns_rr *rr);
/* The level a "dane" destination really gets from its DNSSEC-validated
 * TLSA records (RFC 7672 2.2): DANE when at least one is usable, ENCRYPT
 * when there are records but none usable, MAY when there are none. */
enum tls_level tls_client_dane_level(const struct dns_rr *tlsa, size_t ntlsa);

/*
 * A new SSL (client mode, connect state) for one connection at policy
 * p; level none is an error.  sni: the server name to send (NULL or an
 * IP literal = none; at level dane OpenSSL sends hostname when sni is
 * NULL).  nexthop ("example.com", "[host]:port" is stripped) and
 * hostname (the MX host) fill in the match names of verify/secure.  At
 * level dane the usable tlsa records (only DNSSEC-validated ones: the
 * caller's job) are installed with hostname as the TLSA base domain and
 * nexthop as a second reference name; with none usable the connection
 * is judged as encrypt, with no records at all (or a context without
 * dane_enable) as may.  Protocols and ciphers: the policy's, else the
 * mandatory ones at encrypt and above, else the opportunistic ones.
 * The SSL is the caller's (SSL_free frees our state too); NULL with err.
 */
SSL    *tls_client_ssl_new(struct tls_client *tc, const struct tls_policy *p,
	    const char *nexthop, const char *hostname, const char *sni,
	    const struct dns_rr *tlsa, size_t ntlsa, struct strbuf *err);

/* The level an SSL from tls_client_ssl_new is judged at (dane may have
 * become encrypt or may), TLS_LEV_NONE for a foreign SSL. */
enum tls_level tls_client_ssl_level(SSL *ssl);

struct tls_client_result {
	const char *trust;	/* "Verified", "Trusted", "Untrusted",
				 * "Anonymous" (static) */
	struct tls_info info;	/* protocol, cipher, peer CN, fingerprint */
};

/*
 * After a completed handshake: does the connection satisfy its level?
 * Fills res (always; release it) for Postfix's log line "<trust> TLS
 * connection established to HOST: PROTOCOL with cipher X (N/M bits)" and
 * returns 0, or -1 with the reason in why ("Server certificate not
 * trusted: ...", "Server certificate not verified: name mismatch ...",
 * "no TLSA record matched ...").
 */
int	tls_client_check(SSL *ssl, struct tls_client_result *res,
	    struct strbuf *why);
void	tls_client_result_release(struct tls_client_result *res);

#endif
