/*
 * tests/fuzz/fuzz_dns_rr.c — libFuzzer harness for DNS record parsing
 * (lib/dns.c, dns_rr_parse) and reverse names (dns_reverse_name).  The
 * first input byte chooses the record type (A, AAAA, PTR, CNAME, MX, TXT,
 * TLSA, an unknown type) or, for the last choice, treats the rest as an
 * address for dns_reverse_name; the rest is the RDATA.  Checked: a parsed
 * name is short, lower-case and holds only [a-z0-9_-.\] (escapes), so it
 * can never carry text into a log line; TXT data fits the input; a failed
 * parse owns no memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_name(const char *name)
{
	size_t	n = strnlen(name, DNS_NAME_MAX + 1), i;

	if (n > DNS_NAME_MAX || n == 0)
		abort();
	for (i = 0; i < n; i++) {
		char	c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '\\'))
			abort();
	}
}

static void
fuzz_reverse(const uint8_t *data, size_t size)
{
	struct strbuf out;
	char   *addr = strndup((const char *)data, size);

	strbuf_init(&out, 1024);
	if (addr != NULL && dns_reverse_name(addr, "in-addr.arpa", &out) == 0) {
		if (out.len == 0 || out.len > 100)
			abort();
	} else if (out.len != 0)
		abort();
	free(addr);
	strbuf_release(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int types[] = { DNS_T_A, DNS_T_AAAA, DNS_T_PTR,
	    DNS_T_CNAME, DNS_T_MX, DNS_T_TXT, DNS_T_TLSA, 99 };
	struct dns_rr rr;
	unsigned char *copy;
	size_t	len;
	int	sel, type;

	if (size == 0)
		return 0;
	sel = data[0] % 9;
	len = size - 1;
	if (sel == 8) {
		fuzz_reverse(data + 1, len);
		return 0;
	}
	type = types[sel];
	/* An exact-size copy, so reading one byte too far is caught. */
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, len);
	if (dns_rr_parse(type, copy, len, &rr) == 0) {
		switch (type) {
		case DNS_T_A:
		case DNS_T_AAAA:
			if (rr.addr[0] == '\0' || rr.data != NULL)
				abort();
			break;
		case DNS_T_PTR:
		case DNS_T_CNAME:
		case DNS_T_MX:
			check_name(rr.name);
			if (rr.pref > 65535 || rr.data != NULL)
				abort();
			break;
		case DNS_T_TXT:
		case DNS_T_TLSA:
			if (rr.data == NULL || rr.data_len > len ||
			    rr.data[rr.data_len] != '\0')
				abort();
			break;
		default:
			abort();	/* unknown types never parse */
		}
	} else if (rr.data != NULL)
		abort();
	dns_rr_release(&rr);
	free(copy);
	return 0;
}
