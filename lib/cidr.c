/*
 * lib/cidr.c — lists of IPv4/IPv6 networks ($mynetworks).
 *
 * Every network is kept as 16 bytes (IPv4 as an IPv4-mapped IPv6 address,
 * so one compare routine serves both) plus a prefix length.  Used by the
 * smtpd policy to decide who may relay.  Input is configuration text:
 * malformed entries are errors with a reason, unsupported ones warnings.
 */
#include <arpa/inet.h>
#include <bsd/string.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "conf.h"
#include "log.h"

struct cidr_net {
	uint8_t	addr[16];
	int	bits;		/* prefix length over the 128-bit form */
};

struct cidr_list {
	struct cidr_net *nets;
	size_t	count;
};

/* Parse a printable address into the 16-byte form. *v4 set for IPv4. */
static int
cidr_addr(const char *text, uint8_t out[16], int *v4)
{
	struct in_addr a4;

	if (inet_pton(AF_INET, text, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		*v4 = 1;
		return (0);
	}
	*v4 = 0;
	return (inet_pton(AF_INET6, text, out) == 1 ? 0 : -1);
}

/* Does a network's prefix match addr? */
static int
cidr_net_match(const struct cidr_net *n, const uint8_t addr[16])
{
	int	full = n->bits / 8, rest = n->bits % 8;
	uint8_t	mask;

	if (memcmp(n->addr, addr, (size_t)full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	mask = (uint8_t)(0xff << (8 - rest));
	return ((n->addr[full] & mask) == (addr[full] & mask));
}

/* Clear the host bits; 1 when some were set. */
static int
cidr_net_mask(struct cidr_net *n)
{
	int	i, changed = 0;

	for (i = 0; i < 16; i++) {
		int	keep = n->bits - i * 8;
		uint8_t	mask = keep >= 8 ? 0xff : keep <= 0 ? 0 :
		    (uint8_t)(0xff << (8 - keep));

		if (n->addr[i] & ~mask)
			changed = 1;
		n->addr[i] &= mask;
	}
	return (changed);
}

/* Does an entry look like something we skip (host name, type:table)? */
static int
cidr_unsupported(const char *e)
{
	const char *colon = strchr(e, ':');
	const char *p;

	if (colon && colon > e && isalpha((unsigned char)e[0])) {
		for (p = e; p < colon && isalnum((unsigned char)*p); p++)
			;
		if (p == colon && colon[1] != ':' && !isxdigit((unsigned char)colon[1]))
			return (1);	/* hash:/etc/..., cidr:..., inline:{...} */
		if (p == colon && colon[1] == '/')
			return (1);
	}
	if (colon == NULL && strchr(e, '/') == NULL)
		for (p = e; *p; p++)
			if (isalpha((unsigned char)*p) || *p == '-')
				return (1);	/* a host name */
	return (0);
}

/* Parse one entry into n. 0, 1 = skipped, -1 = error (err set). */
static int
cidr_parse_entry(const char *entry, struct cidr_net *n, struct strbuf *err)
{
	char	buf[128];
	char   *slash, *addr = buf, *end;
	int	v4;
	long	bits;

	if (strlcpy(buf, entry, sizeof(buf)) >= sizeof(buf)) {
		strbuf_printf(err, "network too long: %.40s...", entry);
		return (-1);
	}
	if (cidr_unsupported(buf)) {
		log_warn("mynetworks: entry \"%s\" is not supported yet; ignored",
		    entry);
		return (1);
	}
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (addr[0] == '[') {
		size_t	len = strlen(addr);

		if (len < 3 || addr[len - 1] != ']')
			goto bad;
		addr[len - 1] = '\0';
		addr++;
	}
	if (cidr_addr(addr, n->addr, &v4) < 0)
		goto bad;
	if (slash) {
		if (!isdigit((unsigned char)*slash))
			goto bad;
		bits = strtol(slash, &end, 10);
		if (*end != '\0' || bits < 0 || bits > (v4 ? 32 : 128))
			goto bad;
	} else
		bits = v4 ? 32 : 128;
	n->bits = (int)bits + (v4 ? 96 : 0);
	if (cidr_net_mask(n))
		log_warn("mynetworks: \"%s\": host bits set under the mask;"
		    " using the network", entry);
	return (0);
bad:
	strbuf_printf(err, "bad network \"%s\": expected address or address/prefix",
	    entry);
	return (-1);
}

struct cidr_list *
cidr_list_parse(const char *value, struct strbuf *err)
{
	struct cidr_list *list = xcalloc(1, sizeof(*list));
	char  **words;
	size_t	n, i;

	words = conf_split_list(value ? value : "", &n);
	list->nets = xcalloc(n ? n : 1, sizeof(*list->nets));
	for (i = 0; i < n; i++) {
		int	r = cidr_parse_entry(words[i], &list->nets[list->count], err);

		if (r < 0) {
			conf_free_list(words);
			cidr_list_free(list);
			return (NULL);
		}
		if (r == 0)
			list->count++;
	}
	conf_free_list(words);
	return (list);
}

void
cidr_list_free(struct cidr_list *list)
{
	if (list == NULL)
		return;
	free(list->nets);
	free(list);
}

int
cidr_list_match(const struct cidr_list *list, const char *addr)
{
	uint8_t	a[16];
	size_t	i;
	int	v4;

	if (list == NULL || cidr_addr(addr, a, &v4) < 0)
		return (0);
	for (i = 0; i < list->count; i++)
		if (cidr_net_match(&list->nets[i], a))
			return (1);
	return (0);
}

size_t
cidr_list_count(const struct cidr_list *list)
{
	return (list ? list->count : 0);
}
