/*
 * tests/fuzz/fuzz_proxy_proto.c — the PROXY protocol parser over arbitrary
 * bytes, fed whole and as growing prefixes in the split the first byte
 * chooses (a non-blocking reader's view): used never passes len, OK/ERROR
 * are final (a longer feed gives the same answer and the same header), and
 * NEED_MORE never goes beyond PROXY_HEADER_MAX bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum proxy_result
parse_copy(const uint8_t *data, size_t n, size_t *used,
    struct proxy_info *info)
{
	const char *why = NULL;
	enum proxy_result r;
	/* An exact-size heap copy: ASan catches any read past n. */
	uint8_t *copy = malloc(n ? n : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, data, n);
	memset(info, 0, sizeof(*info));
	r = proxy_parse(copy, n, used, info, &why);
	free(copy);
	if (r == PROXY_OK && (*used == 0 || *used > n
	    || *used > PROXY_HEADER_MAX))
		abort();
	if (r != PROXY_OK && *used != 0)
		abort();
	if (r == PROXY_ERROR && (why == NULL || *why == '\0'))
		abort();
	if (r == PROXY_NEED_MORE && n >= PROXY_HEADER_MAX)
		abort();
	if (r == PROXY_OK && !info->local && (info->client_port > 65535
	    || info->server_port > 65535 || info->client_addr[0] == '\0'
	    || memchr(info->client_addr, '\0', sizeof(info->client_addr)) == NULL))
		abort();
	return (r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_info whole, part;
	enum proxy_result rw, rp = PROXY_NEED_MORE;
	size_t	uw, up = 0, n, step;

	if (size < 1)
		return (0);
	step = 1 + data[0] % 32;
	data++;
	size--;
	rw = parse_copy(data, size, &uw, &whole);
	for (n = 0; n <= size; n += step) {
		rp = parse_copy(data, n, &up, &part);
		if (rp != PROXY_NEED_MORE)
			break;
	}
	if (rp == PROXY_NEED_MORE)
		rp = parse_copy(data, size, &up, &part);
	/* Whatever the split, the first final answer is the whole answer. */
	if (rp != rw)
		abort();
	if (rw == PROXY_OK && (up != uw || part.version != whole.version
	    || part.local != whole.local || part.family != whole.family
	    || strcmp(part.client_addr, whole.client_addr) != 0
	    || strcmp(part.server_addr, whole.server_addr) != 0
	    || part.client_port != whole.client_port
	    || part.server_port != whole.server_port))
		abort();
	return (0);
}
