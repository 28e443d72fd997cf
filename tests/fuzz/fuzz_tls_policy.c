/*
 * tests/fuzz/fuzz_tls_policy.c — libFuzzer harness for the
 * smtp_tls_policy_maps entry parser (lib/tls_client.c, tls_policy_parse)
 * and the TLSA usability check.  The input up to the first NUL byte is
 * the policy text; the rest is one TLSA RDATA.  A policy that parses has a
 * valid level and non-empty attributes; one that does not leaves nothing
 * allocated and an error.  Level names round-trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_client.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t	tlen = nul ? (size_t)(nul - data) : size;
	char   *text = strndup((const char *)data, tlen);
	struct tls_policy p;
	struct strbuf err;
	struct dns_rr rr;
	enum tls_level lev;

	if (text == NULL)
		return 0;
	strbuf_init(&err, 4096);
	if (tls_policy_parse(text, &p, &err) == 0) {
		if ((unsigned)p.level > TLS_LEV_SECURE
		    || tls_level_parse(tls_level_name(p.level), &lev) != 0
		    || lev != p.level
		    || (p.match && *p.match == '\0')
		    || (p.protocols && *p.protocols == '\0')
		    || (p.ciphers && *p.ciphers == '\0'))
			abort();
	} else if (p.match || p.protocols || p.ciphers || err.len == 0)
		abort();
	tls_policy_release(&p);
	if (nul != NULL) {
		memset(&rr, 0, sizeof(rr));
		rr.data_len = size - tlen - 1;
		rr.data = malloc(rr.data_len + 1);
		if (rr.data != NULL) {
			memcpy(rr.data, nul + 1, rr.data_len);
			if (tls_tlsa_usable(&rr) && (rr.data_len < 4
			    || (rr.data[0] != 2 && rr.data[0] != 3)))
				abort();
			(void)tls_client_dane_level(&rr, 1);
			free(rr.data);
		}
	}
	strbuf_release(&err);
	free(text);
	return 0;
}
