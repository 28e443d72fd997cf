/*
 * tests/fuzz/fuzz_addr.c — SMTP paths and mailboxes.  The first byte picks
 * the ADDR_F_* flags, the rest is the path.  Every accepted address must
 * parse again as a mailbox, fit the limits, and split cleanly; the result
 * of addr_quote_local must be a valid local part.  A broken invariant
 * aborts (a finding).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-parse a stored address; it must come back unchanged. */
static void
check_roundtrip(const struct strbuf *out, int flags)
{
	struct strbuf again, local, domain, q;
	const char *why;

	if (out->len == 0)
		return;
	strbuf_init(&again, ADDR_PATH_MAX);
	strbuf_init(&local, ADDR_PATH_MAX);
	strbuf_init(&domain, ADDR_PATH_MAX);
	strbuf_init(&q, 4 * ADDR_PATH_MAX);
	if (out->len + 2 > ADDR_PATH_MAX)
		abort();
	if (addr_parse_mailbox(out->data, out->len, flags | ADDR_F_LOCAL_OK,
	    &again, &why) != 0 || strcmp(again.data, out->data) != 0)
		abort();
	if (addr_split(out->data, &local, &domain) != 0)
		abort();
	if (domain.len > 0 && !addr_domain_valid(domain.data, 1))
		abort();
	if (addr_quote_local(local.data, local.len, &q) == 0) {
		strbuf_append_str(&q, "@x");
		if (addr_parse_mailbox(q.data, q.len, ADDR_F_UTF8, &again, &why) != 0 &&
		    strcmp(why, "local part too long") != 0 &&
		    strcmp(why, "invalid UTF-8 in address") != 0)
			abort();
	}
	strbuf_release(&again);
	strbuf_release(&local);
	strbuf_release(&domain);
	strbuf_release(&q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf out;
	const char *why;
	size_t consumed;
	int flags;
	char *s;

	if (size < 1)
		return 0;
	flags = data[0] & 0x0f;
	data++;
	size--;
	strbuf_init(&out, ADDR_PATH_MAX);
	if (addr_parse_path((const char *)data, size, flags, &out, &consumed,
	    &why) == 0) {
		if (consumed > size || consumed > ADDR_PATH_MAX)
			abort();
		check_roundtrip(&out, flags);
	} else if (why == NULL) {
		abort();
	}
	if (addr_parse_mailbox((const char *)data, size, flags, &out, &why) == 0)
		check_roundtrip(&out, flags);
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	(void)addr_domain_valid(s, flags & ADDR_F_UTF8);
	(void)addr_domain_is_fqdn(s);
	strbuf_reset(&out);
	(void)addr_split(s, &out, NULL);
	free(s);
	strbuf_release(&out);
	return 0;
}
