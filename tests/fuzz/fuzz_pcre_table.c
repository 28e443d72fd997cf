/*
 * tests/fuzz/fuzz_pcre_table.c — libFuzzer harness for the pcre: table
 * parser (lib/map_pcre.c).  The input is split at the first NUL byte: the
 * part before it is the table text, the rest a lookup key.  A table that
 * parses is looked up with that key and with a few fixed keys; a table that
 * does not parse must leave no table and an error naming "line".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map_int.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "", "Subject: hello", "a@b.c",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab" };
	struct map_pcre_table *t = NULL;
	struct strbuf err, val;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t tlen = nul ? (size_t)(nul - data) : size, i;
	char *key;

	strbuf_init(&err, 4096);
	strbuf_init(&val, 65536);
	if (map_pcre_table_parse((const char *)data, tlen, "fuzz", &t, &err) == 0) {
		key = nul ? strndup((const char *)nul + 1, size - tlen - 1) : NULL;
		if (key != NULL)
			(void)map_pcre_table_lookup(t, key, &val);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			(void)map_pcre_table_lookup(t, keys[i], &val);
		free(key);
		map_pcre_table_free(t);
	} else if (t != NULL || strstr(err.data, "line") == NULL)
		abort();
	strbuf_release(&err);
	strbuf_release(&val);
	return 0;
}
