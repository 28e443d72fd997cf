/*
 * lib/sasl_codec.h — the text encodings of an SMTP AUTH exchange (RFC 4954).
 *
 * Strict base64 (RFC 4648 4: the standard alphabet, '=' padding required,
 * no white space, no bits left over), the parsing of "AUTH mech [initial]"
 * and of a client's response line ('*' cancels, "=" is an empty initial
 * response).  Input is the network's: every function checks lengths and
 * returns an error code, never aborts, never logs.
 */
#ifndef TEGAMI_SASL_CODEC_H
#define TEGAMI_SASL_CODEC_H

#include <stddef.h>
#include "strbuf.h"

#define SASL_MECH_MAX	20	/* RFC 4422 3.1: 1..20 of [A-Z0-9-_] */

/* Append the base64 of p[0..n) to out; -1 when out's max would be passed. */
int	sasl_base64_encode(const void *p, size_t n, struct strbuf *out);
/* Decode the base64 text p[0..n) into out (appended); -1 when it is not
 * strict base64 or does not fit. */
int	sasl_base64_decode(const char *p, size_t n, struct strbuf *out);

enum sasl_parse {
	SASL_OK = 0,
	SASL_E_SYNTAX,		/* no mechanism, or junk after the response */
	SASL_E_MECH,		/* not a valid mechanism name */
	SASL_E_BASE64,		/* the response is not base64 */
	SASL_E_CANCEL,		/* the client said "*" */
};

/* The argument of AUTH: mechanism (upper-cased into mech, at least
 * SASL_MECH_MAX + 1 bytes), then the optional initial response, decoded
 * into resp; *has_resp says whether one was given ("=" gives an empty
 * one, RFC 4954 4). */
enum sasl_parse sasl_parse_auth(const char *arg, size_t len, char *mech,
	    struct strbuf *resp, int *has_resp);
/* A response line to a 334 challenge: "*" cancels, else base64. */
enum sasl_parse sasl_parse_response(const char *line, size_t len,
	    struct strbuf *resp);
/* Is this mechanism in the space-separated list (case-insensitive)? */
int	sasl_mech_listed(const char *list, const char *mech);
/* Is the mechanism a plaintext one (PLAIN, LOGIN)? */
int	sasl_mech_plaintext(const char *mech);

#endif
