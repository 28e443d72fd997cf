/*
 * lib/sasl_client.h — the client side of SMTP AUTH (RFC 4954): choosing a
 * mechanism among those a server offers, and computing the responses for
 * PLAIN (RFC 4616), LOGIN and SCRAM-SHA-256 (RFC 5802, RFC 7677).
 *
 * Challenges are the remote server's and untrusted: each is decoded with a
 * size limit and checked; a SCRAM server must extend our nonce, give a sane
 * salt and iteration count, and prove it knows the password (its signature
 * is verified).  Credentials are copied and wiped when freed.  Errors are
 * returned with a reason in a caller's strbuf; nothing here logs.
 */
#ifndef TEGAMI_SASL_CLIENT_H
#define TEGAMI_SASL_CLIENT_H

#include "strbuf.h"

/* Cap on a SCRAM server's iteration count ("i="): bounds the CPU one
 * challenge can cost us (RFC 7677 asks for at least 4096). */
#define SASL_CLIENT_MAX_ITER	100000

struct sasl_client;	/* one AUTH exchange; opaque */

/*
 * Choose a mechanism among `offered` (the EHLO AUTH list, space or comma
 * separated) that passes `filter` (smtp_sasl_mechanism_filter: names, or
 * "!name" to exclude, first match decides; "" = all) and `secopts` (the
 * smtp_sasl_security_options or, with TLS up, the
 * smtp_sasl_tls_security_options value: noplaintext drops PLAIN and LOGIN,
 * mutual_auth keeps only SCRAM, noactive drops PLAIN and LOGIN,
 * nodictionary and forward_secrecy drop all three, noanonymous is always
 * met).  Preference: SCRAM-SHA-256, PLAIN, LOGIN.  user and pass are copied.
 * NULL with err when nothing is left ("no mechanism available: ...") or an
 * option or filter word is unknown.
 */
struct sasl_client *sasl_client_new(const char *offered, const char *filter,
	    const char *secopts, const char *user, const char *pass,
	    struct strbuf *err);
/* The chosen mechanism's name ("PLAIN"); borrowed, lives as long as sc. */
const char *sasl_client_mech(const struct sasl_client *sc);
/* The initial response, base64, appended to ir_b64 (PLAIN: "\0user\0pass";
 * SCRAM: the client-first message; LOGIN: none, *has_ir = 0).  An empty
 * initial response is sent as "=" by the caller (RFC 4954 4).  0 / -1. */
int	sasl_client_start(struct sasl_client *sc, struct strbuf *ir_b64,
	    int *has_ir, struct strbuf *err);
/* One 334 challenge (the base64 text after "334 ") -> the response line,
 * base64, appended to resp_b64 (may be empty).  -1 with err for a
 * challenge that is not base64 or not expected now, a bad SCRAM nonce,
 * salt or iteration count, a server error ("e="), or a server signature
 * that does not verify.  After -1 the caller cancels ("*") or quits. */
int	sasl_client_step(struct sasl_client *sc, const char *challenge_b64,
	    struct strbuf *resp_b64, struct strbuf *err);
/* After 235: 0 when the exchange is complete; for SCRAM only when the
 * server-final message was received and verified, either earlier as a 334
 * challenge (RFC 4954 has no success data) or as data_b64 here.  -1 with
 * err otherwise: a server that skips its proof is not trusted. */
int	sasl_client_final(struct sasl_client *sc, const char *data_b64_or_null,
	    struct strbuf *err);
/* Wipe the credentials and keys and free; accepts NULL. */
void	sasl_client_free(struct sasl_client *sc);

/* Test hooks: a fixed client nonce (printable, no ','; before start), and
 * a lower iteration cap (so fuzzing stays fast). */
void	sasl_client_set_nonce(struct sasl_client *sc, const char *nonce);
void	sasl_client_set_max_iter(struct sasl_client *sc, unsigned max_iter);

#endif
