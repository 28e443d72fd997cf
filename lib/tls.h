/*
 * lib/tls.h — OpenSSL contexts for tegami's TLS servers (smtpd, submission)
 * and, later, the SMTP client; certificate helpers.
 *
 * A struct tls_server is one SSL_CTX made from the daemon's parameters while
 * it is still root (keys may be readable by root only): one or more
 * certificate chains (RSA and ECDSA side by side, OpenSSL picks by what the
 * client offers), the protocol range in Postfix's syntax, a cipher list,
 * server cipher preference, session resumption (a session cache and tickets
 * whose key lives only in this process), and an optional request for a
 * client certificate that is never a reason to fail the handshake.
 * Configuration text is trusted but checked: errors come back in a strbuf,
 * never fatal here.  Peer certificates are untrusted input.
 */
#ifndef TEGAMI_TLS_H
#define TEGAMI_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "strbuf.h"

/* Protocol bits of tls_protocol_mask(). */
#define TLS_P_SSLv2	0x01
#define TLS_P_SSLv3	0x02
#define TLS_P_TLSv1	0x04
#define TLS_P_TLSv1_1	0x08
#define TLS_P_TLSv1_2	0x10
#define TLS_P_TLSv1_3	0x20
#define TLS_P_ALL	0x3f

/*
 * Parse a protocol list in Postfix's syntax: names (SSLv2, SSLv3, TLSv1,
 * TLSv1.1, TLSv1.2, TLSv1.3; any case) separated by commas, colons or white
 * space; "NAME" enables only the named ones, "!NAME" excludes one,
 * ">=NAME" and "<=NAME" bound the range.  "" = every protocol.  0 with the
 * enabled TLS_P_* bits in *mask, or -1 (unknown name, nothing left) with
 * the reason in err.
 */
int	tls_protocol_mask(const char *spec, unsigned *mask, struct strbuf *err);

/* The OpenSSL cipher list (TLS 1.2 and older) for a Postfix cipher grade:
 * "high" or "medium" select high_list or medium_list; exclude is a list of
 * ciphers to remove (smtpd_tls_exclude_ciphers).  0 with the list in out,
 * or -1 (a grade tegami does not offer: low, export, null) with err. */
int	tls_cipher_list(const char *grade, const char *high_list,
	    const char *medium_list, const char *exclude, struct strbuf *out,
	    struct strbuf *err);

/* "AB:CD:..." (upper-case hex pairs) of n bytes, into out (replaced). */
void	tls_hex_fingerprint(const unsigned char *md, size_t n, struct strbuf *out);
/* The fingerprint of a certificate: the digest (an OpenSSL name: "sha256",
 * "sha1", "md5") of its DER form, formatted as above.  0 / -1. */
int	tls_cert_fingerprint(X509 *cert, const char *digest, struct strbuf *out);

struct tls_server_opts {
	const char *cert_file;		/* RSA (or any) chain, PEM; "" = none */
	const char *key_file;		/* its key ("" = in cert_file) */
	const char *eccert_file;	/* a second chain, ECDSA */
	const char *eckey_file;
	const char *chain_files;	/* list: files of key + chain, PEM */
	const char *ca_file;		/* CAs for client certificates, "" = none */
	const char *protocols;		/* Postfix syntax, see tls_protocol_mask */
	const char *cipher_list;	/* OpenSSL list (see tls_cipher_list) */
	const char *fingerprint_digest;	/* "sha256" */
	int	ask_ccert;		/* request a client certificate */
	int	server_preference;	/* our cipher order wins */
	long	cache_timeout;		/* seconds a session may be resumed;
					 * 0 = no resumption */
	const char *session_id;		/* session id context ("smtpd") */
};

struct tls_server;

/* A server context from opts; NULL with the reason in err (an unreadable
 * or mismatched key or certificate, no certificate at all, a bad protocol
 * list or cipher list). */
struct tls_server *tls_server_new(const struct tls_server_opts *opts,
	    struct strbuf *err);
void	tls_server_free(struct tls_server *ts);
/* The SSL_CTX, borrowed (for SSL_new). */
SSL_CTX *tls_server_ctx(const struct tls_server *ts);
/* The fingerprint digest name and whether a CA file was given. */
const char *tls_server_digest(const struct tls_server *ts);
int	tls_server_ask_ccert(const struct tls_server *ts);
int	tls_server_has_ca(const struct tls_server *ts);

/* Facts of an established connection, for logs and Received:. */
struct tls_info {
	const char *protocol;		/* "TLSv1.3", borrowed from OpenSSL */
	const char *cipher;		/* "TLS_AES_256_GCM_SHA384" */
	int	cipher_bits, cipher_alg_bits;
	int	peer_cert;		/* the client sent a certificate */
	int	peer_verified;		/* ...and it verified against ca_file */
	struct strbuf peer_cn;		/* its subject CN ("" when none) */
	struct strbuf issuer_cn;	/* its issuer CN */
	struct strbuf peer_fp;		/* its fingerprint, "" when none */
};
/* Fill info from an SSL whose handshake is done (release it after). */
void	tls_info_get(SSL *ssl, const char *digest, struct tls_info *info);
void	tls_info_release(struct tls_info *info);

/* The OpenSSL errors queued in this thread, "reason; reason", into out
 * (replaced), and the queue cleared; "" when none. */
void	tls_errors(struct strbuf *out);

/*
 * A self-signed certificate for host name cn, valid ten years (as Debian's
 * snakeoil): key type "rsa" (2048 bits) or "ec" (P-256).  The key file is
 * created with mode 0600, the certificate 0644; neither may exist yet.
 * 0 / -1 with err.
 */
int	tls_make_selfsigned(const char *type, const char *cn,
	    const char *cert_file, const char *key_file, struct strbuf *err);

#endif
