/*
 * lib/sasl_codec.c — strict base64 and the AUTH argument and response
 * parsers of the SMTP server (RFC 4954, RFC 4648).
 *
 * Hand-written instead of OpenSSL's EVP_DecodeBlock, which accepts white
 * space, pads its output with NUL bytes for '=' and does not tell a
 * missing '=' from a complete quantum.  Everything here treats its input
 * as hostile: lengths are checked before each append, errors are codes.
 */
#include <string.h>
#include <strings.h>

#include "sasl_codec.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
sasl_base64_encode(const void *p, size_t n, struct strbuf *out)
{
	const unsigned char *in = p;
	char	q[4];
	size_t	i;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		q[0] = b64_alphabet[(v >> 18) & 63];
		q[1] = b64_alphabet[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64_alphabet[v & 63] : '=';
		if (strbuf_append(out, q, 4) < 0)
			return (-1);
	}
	return (0);
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

int
sasl_base64_decode(const char *p, size_t n, struct strbuf *out)
{
	size_t	i;

	if (n % 4 != 0)
		return (-1);
	for (i = 0; i < n; i += 4) {
		int	v[4], k, pad = 0;
		unsigned bits;
		char	b[3];

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)p[i + k];

			/* '=' only in the last quantum, only at its end. */
			if (c == '=' && i + 4 == n && k >= 2) {
				pad++;
				v[k] = 0;
				continue;
			}
			if (pad || (v[k] = b64_value(c)) < 0)
				return (-1);
		}
		bits = (unsigned)v[0] << 18 | (unsigned)v[1] << 12
		    | (unsigned)v[2] << 6 | (unsigned)v[3];
		/* The bits after the last byte must be zero (RFC 4648 3.5). */
		if ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15)))
			return (-1);
		b[0] = (char)(bits >> 16);
		b[1] = (char)(bits >> 8);
		b[2] = (char)bits;
		if (strbuf_append(out, b, (size_t)(3 - pad)) < 0)
			return (-1);
	}
	return (0);
}

enum sasl_parse
sasl_parse_auth(const char *arg, size_t len, char *mech, struct strbuf *resp,
	    int *has_resp)
{
	size_t	i = 0, m;

	*has_resp = 0;
	mech[0] = '\0';
	while (i < len && arg[i] != ' ')
		i++;
	if (i == 0)
		return (SASL_E_SYNTAX);
	if (i > SASL_MECH_MAX)
		return (SASL_E_MECH);
	for (m = 0; m < i; m++) {
		char	c = arg[m];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		    || c == '-' || c == '_'))
			return (SASL_E_MECH);
		mech[m] = c;
	}
	mech[i] = '\0';
	while (i < len && arg[i] == ' ')
		i++;
	if (i == len)
		return (SASL_OK);
	arg += i;
	len -= i;
	if (memchr(arg, ' ', len) != NULL)
		return (SASL_E_SYNTAX);
	*has_resp = 1;
	if (len == 1 && arg[0] == '=')		/* an empty initial response */
		return (SASL_OK);
	if (len == 1 && arg[0] == '*')
		return (SASL_E_CANCEL);
	return (sasl_base64_decode(arg, len, resp) < 0 ? SASL_E_BASE64 : SASL_OK);
}

enum sasl_parse
sasl_parse_response(const char *line, size_t len, struct strbuf *resp)
{
	if (len == 1 && line[0] == '*')
		return (SASL_E_CANCEL);
	return (sasl_base64_decode(line, len, resp) < 0 ? SASL_E_BASE64 : SASL_OK);
}

int
sasl_mech_listed(const char *list, const char *mech)
{
	size_t	n = strlen(mech);

	while (*list) {
		size_t	w;

		while (*list == ' ' || *list == ',')
			list++;
		w = strcspn(list, " ,");
		if (w == n && n > 0 && strncasecmp(list, mech, n) == 0)
			return (1);
		list += w;
	}
	return (0);
}

int
sasl_mech_plaintext(const char *mech)
{
	return (strcasecmp(mech, "PLAIN") == 0 || strcasecmp(mech, "LOGIN") == 0);
}
