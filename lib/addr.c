/*
 * lib/addr.c — RFC 5321 paths and mailboxes, parsed exactly by the grammar
 * of section 4.1.2 (Dot-string or Quoted-string local part, LDH domain or
 * IPv4/IPv6 address literal), with the limits of 4.5.3.1.
 *
 * Called by smtpd (MAIL FROM / RCPT TO), sendmail, cleanup and the queue
 * tools.  Input is untrusted: no comments, no folding white space, no
 * control characters, nothing from RFC 5322's obsolete syntax.  SMTPUTF8
 * (RFC 6531) adds valid UTF-8 in local part and domain.  Errors are -1 with
 * a static reason; nothing is fatal and nothing is written past `out`.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

#define R_SYNTAX	"bad address syntax"
#define R_LOCAL_LONG	"local part too long"
#define R_DOMAIN_LONG	"domain too long"
#define R_LABEL_LONG	"domain label too long"
#define R_PATH_LONG	"address too long"
#define R_DOMAIN	"bad domain syntax"
#define R_LITERAL	"bad address literal"
#define R_CTRL		"control character in address"
#define R_8BIT		"non-ASCII address without SMTPUTF8"
#define R_UTF8		"invalid UTF-8 in address"
#define R_NULL		"null address not allowed"
#define R_NOLT		"address must be enclosed in <>"
#define R_NOGT		"missing '>' after address"
#define R_NODOMAIN	"address has no domain"
#define R_LOCAL		"bad local part syntax"

/* A cursor over untrusted bytes. */
struct scan {
	const unsigned char *p, *end;
	int	flags;
	const char *why;
};

/* RFC 5322 atext. */
static int
addr_atext(unsigned char c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Length of a valid UTF-8 sequence at p (>= 0x80 lead), 0 when invalid. */
static size_t
addr_utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n, i;
	unsigned min, cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2; cp = p[0] & 0x1f; min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3; cp = p[0] & 0x0f; min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4; cp = p[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* No overlong forms, no surrogates, nothing past U+10FFFF, and no
	 * C1 control characters (U+0080..U+009F): controls have no place in
	 * an address, in any encoding. */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    cp <= 0x9f)
		return 0;
	return n;
}

int
addr_utf8_valid(const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p, *end = s + len;
	size_t n;

	while (s < end) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((n = addr_utf8_len(s, end)) == 0)
			return 0;
		s += n;
	}
	return 1;
}

/* Accept one non-ASCII character at s->p when SMTPUTF8 allows it;
 * returns its length, or 0 with s->why set. */
static size_t
addr_scan_8bit(struct scan *s)
{
	size_t n;

	if (!(s->flags & ADDR_F_UTF8)) {
		s->why = R_8BIT;
		return 0;
	}
	if ((n = addr_utf8_len(s->p, s->end)) == 0)
		s->why = R_UTF8;
	return n;
}

/* The reason for an unexpected byte. */
static const char *
addr_bad_byte(unsigned char c, const char *dflt)
{
	return (c < 0x20 || c == 0x7f) ? R_CTRL : dflt;
}

/* Dot-string = Atom *("." Atom). */
static int
addr_scan_dotstring(struct scan *s)
{
	size_t n;
	int atom_len = 0;

	for (;;) {
		if (s->p < s->end && *s->p >= 0x80) {
			if ((n = addr_scan_8bit(s)) == 0)
				return -1;
			s->p += n;
			atom_len++;
		} else if (s->p < s->end && addr_atext(*s->p)) {
			s->p++;
			atom_len++;
		} else if (s->p < s->end && *s->p == '.' && atom_len > 0) {
			s->p++;
			atom_len = 0;
			if (s->p == s->end || *s->p == '.' || *s->p == '@') {
				s->why = R_LOCAL;
				return -1;
			}
		} else {
			break;
		}
	}
	if (atom_len == 0) {
		s->why = s->p < s->end ? addr_bad_byte(*s->p, R_LOCAL) : R_LOCAL;
		return -1;
	}
	return 0;
}

/* Quoted-string = DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE. */
static int
addr_scan_quoted(struct scan *s)
{
	unsigned char c;
	size_t n;

	s->p++;		/* opening quote */
	while (s->p < s->end) {
		c = *s->p;
		if (c == '"') {
			s->p++;
			return 0;
		}
		if (c == '\\') {
			/* quoted-pairSMTP = %d92 %d32-126 */
			if (s->p + 1 >= s->end || s->p[1] < 32 || s->p[1] > 126) {
				s->why = s->p + 1 < s->end ?
				    addr_bad_byte(s->p[1], R_LOCAL) : R_LOCAL;
				return -1;
			}
			s->p += 2;
		} else if (c >= 0x80) {
			if ((n = addr_scan_8bit(s)) == 0)
				return -1;
			s->p += n;
		} else if (c >= 32 && c <= 126) {
			s->p++;		/* qtextSMTP: 32-33, 35-91, 93-126 */
		} else {
			s->why = addr_bad_byte(c, R_LOCAL);
			return -1;
		}
	}
	s->why = R_LOCAL;	/* unterminated */
	return -1;
}

/* One domain label: Let-dig [Ldh-str], at most 63 octets. */
static int
addr_scan_label(struct scan *s)
{
	const unsigned char *start = s->p;
	int last_hyphen = 0;
	size_t n;

	while (s->p < s->end) {
		if (*s->p >= 0x80) {
			if ((n = addr_scan_8bit(s)) == 0)
				return -1;
			s->p += n;
			last_hyphen = 0;
		} else if (isalnum(*s->p)) {
			s->p++;
			last_hyphen = 0;
		} else if (*s->p == '-' && s->p > start) {
			s->p++;
			last_hyphen = 1;
		} else {
			break;
		}
	}
	if (s->p == start || last_hyphen) {
		s->why = s->p < s->end ? addr_bad_byte(*s->p, R_DOMAIN) : R_DOMAIN;
		return -1;
	}
	if (s->p - start > 63) {
		s->why = R_LABEL_LONG;
		return -1;
	}
	return 0;
}

/* Is this the text of an RFC 5321 IPv6-addr?  inet_pton checks the form;
 * RFC 5321 also limits the groups around "::" (IPv6-comp: at most 6,
 * IPv6v4-comp: at most 4), which inet_pton does not. */
static int
addr_ipv6_ok(const char *text)
{
	unsigned char bin[16];
	const char *dc = strstr(text, "::"), *p;
	int groups = 0, in_group = 0, v4 = strchr(text, '.') != NULL;

	if (inet_pton(AF_INET6, text, bin) != 1)
		return 0;
	if (dc == NULL)
		return 1;
	for (p = text; *p != '\0' && *p != '.'; p++) {
		if (*p == ':') {
			in_group = 0;
		} else if (!in_group) {
			in_group = 1;
			groups++;
		}
	}
	if (v4)
		groups--;	/* the first IPv4 octet was counted */
	return groups <= (v4 ? 4 : 6);
}

/* address-literal = "[" ( IPv4 / "IPv6:" IPv6 ) "]"; General-address-
 * literal (another tag) is refused: nothing can deliver to it. */
static int
addr_scan_literal(struct scan *s)
{
	const unsigned char *start = ++s->p, *close;
	char text[64];
	unsigned char bin[16];
	size_t n;

	close = memchr(start, ']', (size_t)(s->end - start));
	n = close ? (size_t)(close - start) : 0;
	if (close == NULL || n == 0 || n >= sizeof(text)) {
		s->why = R_LITERAL;
		return -1;
	}
	memcpy(text, start, n);
	text[n] = '\0';
	if (strlen(text) != n) {
		s->why = R_CTRL;
		return -1;
	}
	if (strncasecmp(text, "IPv6:", 5) == 0 ? !addr_ipv6_ok(text + 5) :
	    inet_pton(AF_INET, text, bin) != 1) {
		s->why = R_LITERAL;
		return -1;
	}
	s->p = close + 1;
	return 0;
}

/* Domain = sub-domain *("." sub-domain), or an address literal. */
static int
addr_scan_domain(struct scan *s, int literal_ok)
{
	const unsigned char *start = s->p;

	if (s->p < s->end && *s->p == '[') {
		if (!literal_ok) {
			s->why = R_DOMAIN;
			return -1;
		}
		return addr_scan_literal(s);
	}
	for (;;) {
		if (addr_scan_label(s) < 0)
			return -1;
		if (s->p < s->end && *s->p == '.' && s->p + 1 < s->end &&
		    s->p[1] != '.') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '.') {
			s->why = R_DOMAIN;
			return -1;
		}
		break;
	}
	if (s->p - start > ADDR_DOMAIN_MAX) {
		s->why = R_DOMAIN_LONG;
		return -1;
	}
	return 0;
}

/* Append the domain in stored form: names lower-cased (ASCII only),
 * literals with the tag spelled "IPv6:" and hex digits lower-cased. */
static int
addr_put_domain(struct strbuf *out, const unsigned char *d, size_t n)
{
	size_t i, from = 0;

	if (n > 6 && d[0] == '[' && strncasecmp((const char *)d + 1, "IPv6:", 5) == 0) {
		if (strbuf_append_str(out, "[IPv6:") < 0)
			return -1;
		from = 6;
	}
	for (i = from; i < n; i++)
		if (strbuf_append_char(out, (char)tolower(d[i])) < 0)
			return -1;
	return 0;
}

/* Mailbox = Local-part "@" ( Domain / address-literal ), stored into out. */
static int
addr_scan_mailbox(struct scan *s, struct strbuf *out)
{
	const unsigned char *local = s->p, *dom;
	size_t llen;

	if (s->p == s->end) {
		s->why = R_SYNTAX;
		return -1;
	}
	if ((*s->p == '"' ? addr_scan_quoted(s) : addr_scan_dotstring(s)) < 0)
		return -1;
	llen = (size_t)(s->p - local);
	if (llen > ADDR_LOCAL_MAX) {
		s->why = R_LOCAL_LONG;
		return -1;
	}
	strbuf_reset(out);
	if (s->p == s->end || *s->p != '@') {
		if (!(s->flags & ADDR_F_LOCAL_OK)) {
			s->why = s->p < s->end ? addr_bad_byte(*s->p, R_NODOMAIN) :
			    R_NODOMAIN;
			return -1;
		}
		return strbuf_append(out, local, llen) < 0 ? (s->why = R_PATH_LONG, -1) : 0;
	}
	s->p++;
	dom = s->p;
	if (addr_scan_domain(s, 1) < 0)
		return -1;
	if (strbuf_append(out, local, llen + 1) < 0 ||
	    addr_put_domain(out, dom, (size_t)(s->p - dom)) < 0) {
		s->why = R_PATH_LONG;
		return -1;
	}
	return 0;
}

/* A-d-l = At-domain *( "," At-domain ) ":" — checked, then dropped. */
static int
addr_scan_route(struct scan *s)
{
	for (;;) {
		if (s->p >= s->end || *s->p != '@') {
			s->why = R_SYNTAX;
			return -1;
		}
		s->p++;
		if (addr_scan_domain(s, 1) < 0)
			return -1;
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ':') {
			s->p++;
			return 0;
		}
		s->why = s->p < s->end ? addr_bad_byte(*s->p, R_SYNTAX) : R_SYNTAX;
		return -1;
	}
}

int
addr_parse_path(const char *in, size_t len, int flags, struct strbuf *out,
    size_t *consumed, const char **why)
{
	struct scan s = { (const unsigned char *)in,
	    (const unsigned char *)in + len, flags, NULL };
	const unsigned char *mbox_start;
	size_t mbox_len;
	int bracket = len > 0 && in[0] == '<';

	if (!bracket && !(flags & ADDR_F_NO_BRACKETS)) {
		*why = len > 0 ? addr_bad_byte((unsigned char)in[0], R_NOLT) : R_NOLT;
		return -1;
	}
	if (bracket) {
		s.p++;
		if (s.p < s.end && *s.p == '>') {
			if (!(flags & ADDR_F_NULL_OK)) {
				*why = R_NULL;
				return -1;
			}
			strbuf_reset(out);
			*consumed = 2;
			return 0;
		}
		if (s.p < s.end && *s.p == '@' && addr_scan_route(&s) < 0) {
			*why = s.why;
			return -1;
		}
	}
	mbox_start = s.p;
	if (addr_scan_mailbox(&s, out) < 0) {
		*why = s.why;
		return -1;
	}
	mbox_len = (size_t)(s.p - mbox_start);
	if (bracket) {
		if (s.p >= s.end || *s.p != '>') {
			*why = s.p < s.end ? addr_bad_byte(*s.p, R_NOGT) : R_NOGT;
			return -1;
		}
		s.p++;
	} else if (s.p < s.end && *s.p != ' ') {
		*why = addr_bad_byte(*s.p, R_SYNTAX);
		return -1;
	}
	/* 4.5.3.1.3: 256 octets including the punctuation. */
	if ((size_t)(s.p - (const unsigned char *)in) > ADDR_PATH_MAX ||
	    mbox_len + 2 > ADDR_PATH_MAX) {
		*why = R_PATH_LONG;
		return -1;
	}
	*consumed = (size_t)(s.p - (const unsigned char *)in);
	return 0;
}

int
addr_parse_mailbox(const char *in, size_t len, int flags, struct strbuf *out,
    const char **why)
{
	struct scan s = { (const unsigned char *)in,
	    (const unsigned char *)in + len, flags, NULL };

	if (addr_scan_mailbox(&s, out) < 0) {
		*why = s.why;
		return -1;
	}
	if (s.p != s.end) {
		*why = addr_bad_byte(*s.p, R_SYNTAX);
		return -1;
	}
	if (len + 2 > ADDR_PATH_MAX) {
		*why = R_PATH_LONG;
		return -1;
	}
	return 0;
}

int
addr_split(const char *addr, struct strbuf *local, struct strbuf *domain)
{
	const char *p, *at = NULL;
	int inq = 0;

	for (p = addr; *p != '\0'; p++) {
		if (inq && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == '"')
			inq = !inq;
		else if (!inq && *p == '@')
			at = p;
	}
	if (inq)
		return -1;
	if (at == NULL)
		at = p;
	if (local != NULL) {
		strbuf_reset(local);
		for (p = addr, inq = 0; p < at; p++) {
			if (*p == '"') {
				inq = !inq;
				continue;
			}
			if (inq && *p == '\\' && p + 1 < at)
				p++;
			if (strbuf_append_char(local, *p) < 0)
				return -1;
		}
	}
	if (domain != NULL && strbuf_set_str(domain, *at ? at + 1 : "") < 0)
		return -1;
	return 0;
}

int
addr_domain_valid(const char *domain, int utf8)
{
	size_t len = strlen(domain);
	struct scan s = { (const unsigned char *)domain,
	    (const unsigned char *)domain + len, utf8 ? ADDR_F_UTF8 : 0, NULL };

	return len > 0 && addr_scan_domain(&s, 1) == 0 && s.p == s.end;
}

int
addr_domain_is_fqdn(const char *domain)
{
	if (!addr_domain_valid(domain, 1))
		return 0;
	return domain[0] == '[' || strchr(domain, '.') != NULL;
}

int
addr_quote_local(const char *local, size_t len, struct strbuf *out)
{
	struct scan s = { (const unsigned char *)local,
	    (const unsigned char *)local + len, ADDR_F_UTF8, NULL };
	size_t i;
	unsigned char c;

	if (len > 0 && addr_scan_dotstring(&s) == 0 && s.p == s.end)
		return strbuf_append(out, local, len);
	if (strbuf_append_char(out, '"') < 0)
		return -1;
	for (i = 0; i < len; i++) {
		c = (unsigned char)local[i];
		/* quoted-pairSMTP cannot carry control characters. */
		if (c < 32 || c == 127)
			return -1;
		if ((c == '"' || c == '\\') && strbuf_append_char(out, '\\') < 0)
			return -1;
		if (strbuf_append_char(out, (char)c) < 0)
			return -1;
	}
	return strbuf_append_char(out, '"');
}
