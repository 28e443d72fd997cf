/*
 * lib/proxy_proto.c — HAProxy PROXY protocol v1/v2 header parser
 * (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt).
 *
 * Called by a non-blocking reader with everything received so far; it keeps
 * no state, so a call costs at most PROXY_HEADER_MAX bytes of work.  The
 * bytes are untrusted: every byte is checked as soon as it is seen, so a
 * wrong first byte is an error at once, and no index ever reaches len.
 * Addresses must parse with inet_pton() for the family the header states;
 * the printable text handed out is inet_ntop()'s, never the client's.
 * Errors are returned with a static reason; nothing here logs.
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy_proto.h"

static const char v1_sig[] = "PROXY ";
#define V1_SIG_LEN	(sizeof(v1_sig) - 1)

static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
#define V2_SIG_LEN	sizeof(v2_sig)
#define V2_HDR_LEN	16	/* signature, ver/cmd, fam/proto, length */

/* v2 fields */
#define V2_VERSION	0x20
#define V2_CMD_LOCAL	0x00
#define V2_CMD_PROXY	0x01
#define V2_FAM_UNSPEC	0x0
#define V2_FAM_INET	0x1
#define V2_FAM_INET6	0x2
#define V2_FAM_UNIX	0x3
#define V2_PROTO_UNSPEC	0x0
#define V2_PROTO_STREAM	0x1
#define V2_PROTO_DGRAM	0x2
#define V2_ADDR_INET	12	/* 2 x 4 address bytes, 2 x 2 port bytes */
#define V2_ADDR_INET6	36	/* 2 x 16, 2 x 2 */
#define V2_ADDR_UNIX	216	/* 2 x 108 */

static enum proxy_result
proxy_fail(const char **why, const char *text)
{
	if (why != NULL)
		*why = text;
	return (PROXY_ERROR);
}

/* Compare the part of a signature that has arrived: 0 when it agrees. */
static int
sig_prefix_differs(const unsigned char *buf, size_t len,
    const unsigned char *sig, size_t siglen)
{
	return (memcmp(buf, sig, len < siglen ? len : siglen) != 0);
}

/* ---- v1 ---------------------------------------------------------------- */

/* A v1 port: 1-5 decimal digits, no sign, no leading zero, <= 65535. */
static int
v1_port(const char *p, size_t n, unsigned *port)
{
	unsigned long v = 0;
	size_t	i;

	if (n == 0 || n > 5 || (n > 1 && p[0] == '0'))
		return (-1);
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (-1);
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if (v > 65535)
		return (-1);
	*port = (unsigned)v;
	return (0);
}

/* A v1 address of the stated family, turned into our own text. */
static int
v1_addr(const char *p, size_t n, int family, char *out, size_t outsize)
{
	char	tmp[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];

	/* The length check comes first: tmp only ever holds a token that
	 * fits, a longer one is an error, not a truncation. */
	if (n == 0 || n >= sizeof(tmp))
		return (-1);
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	if (inet_pton(family, tmp, bin) != 1)
		return (-1);
	if (inet_ntop(family, bin, out, (socklen_t)outsize) == NULL)
		return (-1);
	return (0);
}

/* The next space-separated token of line[*pos..end): exactly one space
 * between tokens, none at either end. */
static int
v1_token(const char *line, size_t end, size_t *pos, const char **tok,
    size_t *toklen)
{
	size_t	start = *pos, i = start;

	while (i < end && line[i] != ' ')
		i++;
	if (i == start)
		return (-1);
	*tok = line + start;
	*toklen = i - start;
	*pos = i < end ? i + 1 : i;
	/* A separator must be followed by a token. */
	if (i < end && *pos == end)
		return (-1);
	return (0);
}

static int
tok_is(const char *tok, size_t n, const char *word)
{
	return (n == strlen(word) && memcmp(tok, word, n) == 0);
}

/* Parse the complete v1 line buf[0..eol) (eol = index of its CR). */
static enum proxy_result
v1_line(const char *line, size_t eol, struct proxy_info *out,
    const char **why)
{
	struct proxy_info info;
	const char *tok;
	size_t	pos = V1_SIG_LEN, n;
	int	family;

	memset(&info, 0, sizeof(info));
	info.version = 1;
	/* The spec: whatever follows "UNKNOWN" up to CRLF is ignored. */
	n = strlen("UNKNOWN");
	if (eol - pos >= n && memcmp(line + pos, "UNKNOWN", n) == 0
	    && (eol - pos == n || line[pos + n] == ' ')) {
		info.local = 1;
		info.family = AF_UNSPEC;
		*out = info;
		return (PROXY_OK);
	}
	if (v1_token(line, eol, &pos, &tok, &n) < 0)
		return (proxy_fail(why, "v1: missing protocol"));
	if (tok_is(tok, n, "TCP4"))
		family = AF_INET;
	else if (tok_is(tok, n, "TCP6"))
		family = AF_INET6;
	else
		return (proxy_fail(why, "v1: unknown protocol"));
	info.family = family;
	if (v1_token(line, eol, &pos, &tok, &n) < 0
	    || v1_addr(tok, n, family, info.client_addr,
	    sizeof(info.client_addr)) < 0)
		return (proxy_fail(why, "v1: bad source address"));
	if (v1_token(line, eol, &pos, &tok, &n) < 0
	    || v1_addr(tok, n, family, info.server_addr,
	    sizeof(info.server_addr)) < 0)
		return (proxy_fail(why, "v1: bad destination address"));
	if (v1_token(line, eol, &pos, &tok, &n) < 0
	    || v1_port(tok, n, &info.client_port) < 0)
		return (proxy_fail(why, "v1: bad source port"));
	if (v1_token(line, eol, &pos, &tok, &n) < 0
	    || v1_port(tok, n, &info.server_port) < 0)
		return (proxy_fail(why, "v1: bad destination port"));
	if (pos != eol)
		return (proxy_fail(why, "v1: junk after destination port"));
	*out = info;
	return (PROXY_OK);
}

static enum proxy_result
v1_parse(const unsigned char *buf, size_t len, size_t *used,
    struct proxy_info *out, const char **why)
{
	enum proxy_result r;
	size_t	i;

	if (sig_prefix_differs(buf, len, (const unsigned char *)v1_sig,
	    V1_SIG_LEN))
		return (proxy_fail(why, "not a PROXY protocol header"));
	for (i = V1_SIG_LEN; i < len; i++) {
		/* The CR may be at most at index 105, its LF at 106. */
		if (i >= PROXY_V1_MAX - 1)
			return (proxy_fail(why, "v1: no CRLF within 107 bytes"));
		if (buf[i] == '\r') {
			if (i + 1 == len)
				return (PROXY_NEED_MORE);
			if (buf[i + 1] != '\n')
				return (proxy_fail(why, "v1: CR without LF"));
			r = v1_line((const char *)buf, i, out, why);
			if (r == PROXY_OK)
				*used = i + 2;
			return (r);
		}
		/* Printable ASCII only; a bare LF ends nothing here. */
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return (proxy_fail(why, "v1: bad character"));
	}
	/* 106 bytes without a CR: the line cannot end within 107. */
	if (len >= PROXY_V1_MAX - 1)
		return (proxy_fail(why, "v1: no CRLF within 107 bytes"));
	return (PROXY_NEED_MORE);
}

/* ---- v2 ---------------------------------------------------------------- */

static enum proxy_result
v2_addresses(const unsigned char *a, size_t alen, int fam,
    struct proxy_info *info, const char **why)
{
	size_t	alen_need = fam == V2_FAM_INET ? V2_ADDR_INET : V2_ADDR_INET6;
	size_t	asize = fam == V2_FAM_INET ? 4 : 16;
	int	family = fam == V2_FAM_INET ? AF_INET : AF_INET6;

	if (alen < alen_need)
		return (proxy_fail(why, "v2: address block too short"));
	info->family = family;
	if (inet_ntop(family, a, info->client_addr,
	    sizeof(info->client_addr)) == NULL
	    || inet_ntop(family, a + asize, info->server_addr,
	    sizeof(info->server_addr)) == NULL)
		return (proxy_fail(why, "v2: bad address"));
	info->client_port = ((unsigned)a[2 * asize] << 8) | a[2 * asize + 1];
	info->server_port = ((unsigned)a[2 * asize + 2] << 8) | a[2 * asize + 3];
	/* Whatever follows the addresses (TLVs) is skipped unread. */
	return (PROXY_OK);
}

static enum proxy_result
v2_parse(const unsigned char *buf, size_t len, size_t *used,
    struct proxy_info *out, const char **why)
{
	struct proxy_info info;
	size_t	total;
	int	cmd, fam, proto;

	if (sig_prefix_differs(buf, len, v2_sig, V2_SIG_LEN))
		return (proxy_fail(why, "not a PROXY protocol header"));
	/* Check each header byte as soon as it is there. */
	if (len > 12) {
		if ((buf[12] & 0xf0) != V2_VERSION)
			return (proxy_fail(why, "v2: bad version"));
		cmd = buf[12] & 0x0f;
		if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY)
			return (proxy_fail(why, "v2: unknown command"));
	}
	if (len > 13 && (buf[12] & 0x0f) == V2_CMD_PROXY) {
		/* LOCAL ignores the family byte, as the spec says. */
		if ((buf[13] >> 4) > V2_FAM_UNIX)
			return (proxy_fail(why, "v2: unknown address family"));
		if ((buf[13] & 0x0f) > V2_PROTO_DGRAM)
			return (proxy_fail(why, "v2: unknown transport protocol"));
	}
	if (len < V2_HDR_LEN)
		return (PROXY_NEED_MORE);
	total = V2_HDR_LEN + (((size_t)buf[14] << 8) | buf[15]);
	if (total > PROXY_V2_MAX)
		return (proxy_fail(why, "v2: header longer than 536 bytes"));
	if (len < total)
		return (PROXY_NEED_MORE);

	memset(&info, 0, sizeof(info));
	info.version = 2;
	cmd = buf[12] & 0x0f;
	fam = buf[13] >> 4;
	proto = buf[13] & 0x0f;
	if (cmd == V2_CMD_LOCAL || fam == V2_FAM_UNSPEC) {
		/* Health checks from the proxy itself, or "no address":
		 * the connection's own endpoints apply. */
		info.local = 1;
		info.family = AF_UNSPEC;
	} else if (fam == V2_FAM_UNIX) {
		if (total - V2_HDR_LEN < V2_ADDR_UNIX)
			return (proxy_fail(why, "v2: address block too short"));
		info.local = 1;		/* no IP client to name */
		info.family = AF_UNSPEC;
	} else if (proto != V2_PROTO_STREAM) {
		return (proxy_fail(why, "v2: not a stream connection"));
	} else if (v2_addresses(buf + V2_HDR_LEN, total - V2_HDR_LEN, fam,
	    &info, why) != PROXY_OK)
		return (PROXY_ERROR);
	*out = info;
	*used = total;
	return (PROXY_OK);
}

/* ---- both -------------------------------------------------------------- */

enum proxy_result
proxy_parse(const unsigned char *buf, size_t len, size_t *used,
    struct proxy_info *out, const char **why)
{
	*used = 0;
	if (len == 0)
		return (PROXY_NEED_MORE);
	if (buf[0] == (unsigned char)v1_sig[0])
		return (v1_parse(buf, len, used, out, why));
	if (buf[0] == v2_sig[0])
		return (v2_parse(buf, len, used, out, why));
	return (proxy_fail(why, "not a PROXY protocol header"));
}
