/*
 * tests/fuzz/fuzz_cidr_table.c — libFuzzer harness for the cidr: table
 * parser (lib/map_cidr.c, map_cidr_table_parse).  The input is split at
 * the first NUL byte: the part before it is the table text, the rest a
 * lookup key.  A table that parses is looked up with that key and a few
 * fixed IPv4/IPv6 addresses; a table that does not parse must leave no
 * table and an error naming "line".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map_cidr.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "", "0.0.0.0", "10.1.2.3",
	    "255.255.255.255", "::", "::1", "::ffff:192.0.2.1", "2001:db8::1",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "not-an-address" };
	struct map_cidr *t = NULL;
	struct strbuf err, val;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tlen = nul ? (size_t)(nul - data) : size, i;
	char *key;

	strbuf_init(&err, 4096);
	strbuf_init(&val, 65536);
	if (map_cidr_table_parse((const char *)data, tlen, "fuzz", &t, &err) == 0) {
		key = nul ? strndup((const char *)nul + 1, size - tlen - 1) : NULL;
		if (key != NULL)
			(void)map_cidr_table_lookup(t, key, &val);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			(void)map_cidr_table_lookup(t, keys[i], &val);
		free(key);
		map_cidr_table_free(t);
	} else if (t != NULL || strstr(err.data, "line") == NULL)
		abort();
	strbuf_release(&err);
	strbuf_release(&val);
	return 0;
}
