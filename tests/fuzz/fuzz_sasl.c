/*
 * tests/fuzz/fuzz_sasl.c — the SASL exchange parser of the SMTP server
 * (lib/sasl_codec.c): AUTH arguments and response lines from arbitrary
 * bytes.  Checks: strict base64 is canonical (whatever decodes encodes
 * back to the same text), encoding any bytes decodes back to them, a
 * mechanism is 1..20 of [A-Z0-9-_], and no response outgrows its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sasl_codec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_mech(const char *mech)
{
	size_t	i, n = strlen(mech);

	if (n == 0 || n > SASL_MECH_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (!((mech[i] >= 'A' && mech[i] <= 'Z') || (mech[i] >= '0'
		    && mech[i] <= '9') || mech[i] == '-' || mech[i] == '_'))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char	mech[SASL_MECH_MAX + 1];
	struct strbuf a, b;
	int	has;
	enum sasl_parse r;

	strbuf_init(&a, 4096);
	strbuf_init(&b, 8192);
	/* A response line: decode, and if it decoded, encode it back. */
	if (sasl_parse_response(p, size, &a) == SASL_OK) {
		if (sasl_base64_encode(a.data, a.len, &b) < 0 || b.len != size
		    || memcmp(b.data, p, size) != 0)
			abort();
	} else if (a.len > 4096)
		abort();
	/* Any bytes survive a round trip. */
	strbuf_reset(&a);
	strbuf_reset(&b);
	if (size <= 3000) {
		if (sasl_base64_encode(p, size, &b) < 0
		    || sasl_base64_decode(b.data, b.len, &a) < 0
		    || a.len != size || memcmp(a.data, p, size) != 0)
			abort();
	}
	/* The AUTH command's argument. */
	strbuf_reset(&a);
	r = sasl_parse_auth(p, size, mech, &a, &has);
	if (r == SASL_OK || r == SASL_E_BASE64 || r == SASL_E_CANCEL)
		check_mech(mech);
	if (r == SASL_OK && !has && a.len != 0)
		abort();
	strbuf_release(&a);
	strbuf_release(&b);
	return (0);
}
