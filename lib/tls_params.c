/*
 * lib/tls_params.c — the TLS parameters of the SMTP servers and the
 * context they make.
 *
 * Names and defaults are Postfix's where the meaning is the same; the
 * exceptions are marked (TLS 1.2 as the floor, server cipher preference,
 * a summary log line per TLS session).  tls_server_pre_jail() runs as
 * root in every smtpd process: a bad value is fatal (DESIGN §6), a
 * certificate that cannot be loaded is a warning and leaves the server
 * without TLS (STARTTLS answers 454, as Postfix does).
 */
#include <string.h>
#include <strings.h>

#include "log.h"
#include "smtp_server.h"
#include "tls.h"
#include "tls_params.h"

char   *var_smtpd_tls_level;
char   *var_smtpd_tls_cert_file;
char   *var_smtpd_tls_key_file;
char   *var_smtpd_tls_eccert_file;
char   *var_smtpd_tls_eckey_file;
char   *var_smtpd_tls_chain_files;
char   *var_smtpd_tls_ca_file;
long	var_smtpd_tls_loglevel;
int	var_smtpd_tls_received_header;
long	var_smtpd_starttls_timeout;
int	var_smtpd_tls_wrappermode;
int	var_smtpd_tls_auth_only;
int	var_smtpd_tls_ask_ccert;
char   *var_smtpd_tls_protocols;
char   *var_smtpd_tls_mandatory_protocols;
char   *var_smtpd_tls_ciphers;
char   *var_smtpd_tls_mandatory_ciphers;
char   *var_smtpd_tls_exclude_ciphers;
char   *var_smtpd_tls_fingerprint_digest;
long	var_smtpd_tls_session_cache_timeout;
char   *var_tls_high_cipherlist;
char   *var_tls_medium_cipherlist;
int	var_tls_preempt_cipherlist;

#define S(n, d, v)	{ n, CONF_STR, d, NULL, &v, 0, 0, 0 }
#define B(n, d, v)	{ n, CONF_BOOL, d, NULL, &v, 0, 0, 0 }
#define I(n, d, v, lo, hi) { n, CONF_INT, d, NULL, &v, lo, hi, 0 }
#define T(n, d, v, lo, hi) { n, CONF_TIME, d, NULL, &v, lo, hi, 's' }

/* Forward secrecy and AEAD first; no RC4, 3DES, export, NULL or
 * anonymous cipher in either list (TLS 1.3 suites are OpenSSL's own). */
#define TLS_HIGH_LIST	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20" \
			":!aNULL:!eNULL:!PSK:!SRP:!DSS:!AESCCM8"
#define TLS_MEDIUM_LIST	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20" \
			":ECDHE+AES:DHE+AES:RSA+AESGCM:RSA+AES" \
			":!aNULL:!eNULL:!PSK:!SRP:!DSS:!AESCCM8"

const struct conf_param tls_server_params[] = {
	/* none: no STARTTLS; may: offer it; encrypt: require it before MAIL
	 * (and AUTH).  Postfix's default "" means none; `tegami init` and
	 * `make install` write "may" next to the certificate they make. */
	S("smtpd_tls_security_level", "", var_smtpd_tls_level),
	/* The server certificate (PEM, chain after the leaf; RSA usually). */
	S("smtpd_tls_cert_file", "", var_smtpd_tls_cert_file),
	/* Its private key (may be in the certificate file). */
	S("smtpd_tls_key_file", "$smtpd_tls_cert_file", var_smtpd_tls_key_file),
	/* A second certificate, ECDSA, used with clients that prefer it. */
	S("smtpd_tls_eccert_file", "", var_smtpd_tls_eccert_file),
	S("smtpd_tls_eckey_file", "$smtpd_tls_eccert_file",
	    var_smtpd_tls_eckey_file),
	/* Files each holding private keys, each followed by its chain. */
	S("smtpd_tls_chain_files", "", var_smtpd_tls_chain_files),
	/* CA certificates for client certificates (sent in the request). */
	S("smtpd_tls_CAfile", "", var_smtpd_tls_ca_file),
	/* 0: errors only; 1: a summary per TLS session and the client
	 * certificate; 2: also the start of each handshake.  Postfix's
	 * default is 0; tegami's is 1. */
	I("smtpd_tls_loglevel", "1", var_smtpd_tls_loglevel, 0, 4),
	/* Protocol and cipher (and client certificate) in Received:. */
	B("smtpd_tls_received_header", "no", var_smtpd_tls_received_header),
	/* Time for the TLS handshake after STARTTLS (or at connect). */
	T("smtpd_starttls_timeout", "300s", var_smtpd_starttls_timeout, 1, 3600),
	/* TLS from the first byte (port 465, "smtps"), before the greeting. */
	B("smtpd_tls_wrappermode", "no", var_smtpd_tls_wrappermode),
	/* Offer AUTH only in a TLS session. */
	B("smtpd_tls_auth_only", "no", var_smtpd_tls_auth_only),
	/* Ask the client for a certificate (never required; its fingerprint
	 * is logged and given to the policy). */
	B("smtpd_tls_ask_ccert", "no", var_smtpd_tls_ask_ccert),
	/* Protocols at level may, and at level encrypt, in Postfix's syntax
	 * (">=TLSv1.2", "!SSLv2, !SSLv3, !TLSv1, !TLSv1.1").  Postfix's
	 * default also allows TLS 1.0 and 1.1; tegami's does not. */
	S("smtpd_tls_protocols", ">=TLSv1.2", var_smtpd_tls_protocols),
	S("smtpd_tls_mandatory_protocols", ">=TLSv1.2",
	    var_smtpd_tls_mandatory_protocols),
	/* Cipher grade (medium or high) at level may, and at level encrypt. */
	S("smtpd_tls_ciphers", "medium", var_smtpd_tls_ciphers),
	S("smtpd_tls_mandatory_ciphers", "medium",
	    var_smtpd_tls_mandatory_ciphers),
	/* Ciphers removed from the grade's list. */
	S("smtpd_tls_exclude_ciphers", "", var_smtpd_tls_exclude_ciphers),
	/* Digest of client certificate fingerprints (sha256, sha1, md5). */
	S("smtpd_tls_fingerprint_digest", "sha256",
	    var_smtpd_tls_fingerprint_digest),
	/* How long a TLS session may be resumed (cache and tickets, kept in
	 * each smtpd process); 0 turns resumption off. */
	T("smtpd_tls_session_cache_timeout", "3600s",
	    var_smtpd_tls_session_cache_timeout, 0, 8640000),
	/* OpenSSL cipher lists of the high and medium grades (TLS 1.2).
	 * Postfix's lists are wider (3DES, CBC, anonymous); tegami's keep
	 * forward secrecy and AEAD first and nothing weak at all. */
	S("tls_high_cipherlist", TLS_HIGH_LIST, var_tls_high_cipherlist),
	S("tls_medium_cipherlist", TLS_MEDIUM_LIST, var_tls_medium_cipherlist),
	/* The server's cipher order wins.  Postfix's default is no. */
	B("tls_preempt_cipherlist", "yes", var_tls_preempt_cipherlist),
	CONF_TABLE_END
};

static struct tls_server *tls_server_loaded;

int
tls_server_level(const char *value)
{
	if (*value == '\0' || strcasecmp(value, "none") == 0)
		return (SMTP_TLS_NONE);
	if (strcasecmp(value, "may") == 0)
		return (SMTP_TLS_MAY);
	if (strcasecmp(value, "encrypt") == 0)
		return (SMTP_TLS_ENCRYPT);
	return (-1);
}

void
tls_server_pre_jail(void)
{
	struct tls_server_opts o;
	struct strbuf err, ciphers;
	int	level = tls_server_level(var_smtpd_tls_level);
	int	mandatory = level == SMTP_TLS_ENCRYPT || var_smtpd_tls_wrappermode;
	unsigned mask;

	if (level < 0)
		log_fatal("parameter smtpd_tls_security_level: \"%s\": expected "
		    "none, may or encrypt", var_smtpd_tls_level);
	/* Wrapper mode is TLS whatever the level says. */
	if (level == SMTP_TLS_NONE && !var_smtpd_tls_wrappermode)
		return;
	strbuf_init(&err, 1024);
	strbuf_init(&ciphers, 4096);
	o.protocols = mandatory ? var_smtpd_tls_mandatory_protocols
	    : var_smtpd_tls_protocols;
	if (tls_protocol_mask(o.protocols, &mask, &err) < 0)
		log_fatal("parameter smtpd_tls%s_protocols: %s",
		    mandatory ? "_mandatory" : "", err.data);
	if (tls_cipher_list(mandatory ? var_smtpd_tls_mandatory_ciphers
	    : var_smtpd_tls_ciphers, var_tls_high_cipherlist,
	    var_tls_medium_cipherlist, var_smtpd_tls_exclude_ciphers,
	    &ciphers, &err) < 0)
		log_fatal("parameter smtpd_tls%s_ciphers: %s",
		    mandatory ? "_mandatory" : "", err.data);
	o.cert_file = var_smtpd_tls_cert_file;
	o.key_file = var_smtpd_tls_key_file;
	o.eccert_file = var_smtpd_tls_eccert_file;
	o.eckey_file = var_smtpd_tls_eckey_file;
	o.chain_files = var_smtpd_tls_chain_files;
	o.ca_file = var_smtpd_tls_ca_file;
	o.cipher_list = ciphers.data;
	o.fingerprint_digest = var_smtpd_tls_fingerprint_digest;
	o.ask_ccert = var_smtpd_tls_ask_ccert;
	o.server_preference = var_tls_preempt_cipherlist;
	o.cache_timeout = var_smtpd_tls_session_cache_timeout;
	o.session_id = "tegami-smtpd";
	tls_server_free(tls_server_loaded);
	tls_server_loaded = tls_server_new(&o, &err);
	if (tls_server_loaded == NULL)
		log_warn("TLS is not available: %s", err.data);
	strbuf_release(&err);
	strbuf_release(&ciphers);
}

void
tls_server_configure(struct smtp_server_config *cfg)
{
	int	level = tls_server_level(var_smtpd_tls_level);

	cfg->tls = tls_server_loaded;
	cfg->tls_level = level < 0 ? SMTP_TLS_NONE : level;
	cfg->tls_wrappermode = var_smtpd_tls_wrappermode;
	cfg->tls_auth_only = var_smtpd_tls_auth_only;
	cfg->tls_received_header = var_smtpd_tls_received_header;
	cfg->tls_loglevel = (int)var_smtpd_tls_loglevel;
	cfg->starttls_timeout = var_smtpd_starttls_timeout;
}
