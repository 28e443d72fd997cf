/*
 * tests/fuzz/fuzz_smtpc_hop.c — smtp-client's next-hop parser over
 * arbitrary text (a transport_maps result or relayhost value): as SMTP and
 * as LMTP, every accepted hop has a non-empty NUL-terminated host within
 * its buffer and a port in 1..65535; LMTP and "[host]" hops never ask for
 * an MX lookup; a UNIX path is only ever set for LMTP.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../smtp-client/smtp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtpc_hop hop;
	struct strbuf why;
	char *text;
	int lmtp;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	strbuf_init(&why, 1024);
	for (lmtp = 0; lmtp < 2; lmtp++) {
		if (smtpc_hop_parse(text, lmtp, &hop, &why) < 0) {
			if (why.len == 0)
				abort();
			continue;
		}
		if (memchr(hop.host, '\0', sizeof(hop.host)) == NULL ||
		    memchr(hop.path, '\0', sizeof(hop.path)) == NULL ||
		    hop.host[0] == '\0' || hop.port < 1 || hop.port > 65535)
			abort();
		if ((lmtp || text[0] == '[') && !hop.no_mx)
			abort();
		if (!lmtp && hop.path[0] != '\0')
			abort();
	}
	strbuf_release(&why);
	free(text);
	return 0;
}
