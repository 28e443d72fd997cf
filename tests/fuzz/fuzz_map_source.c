/*
 * tests/fuzz/fuzz_map_source.c — libFuzzer harness for the Postfix table
 * source parser (lib/map_source.c) in both modes (postmap `key value` and
 * postalias `key: value`), and for the cidr: rule parser through a table
 * written to a file under /tmp.  Every entry must have a non-empty key and
 * value without NUL; every warning must name the file and a line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "map.h"
#include "map_source.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
parse_all(const uint8_t *data, size_t size, int flags)
{
	struct map_source s;
	struct strbuf warn;
	char *k, *v;
	int rc;

	strbuf_init(&warn, 4096);
	map_source_init(&s, (const char *)data, size, "fuzz");
	while ((rc = map_source_next(&s, flags, &k, &v, &warn)) != 0) {
		if (rc < 0) {
			if (strncmp(warn.data, "fuzz, line ", 11) != 0)
				abort();
			continue;
		}
		if (*k == '\0' || *v == '\0' || s.line < 1 || s.line > s.lineno)
			abort();
	}
	map_source_release(&s);
	strbuf_release(&warn);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "10.1.2.3", "::1", "::ffff:1.2.3.4",
	    "2001:db8::1", "x" };
	struct strbuf err, v, why;
	char path[64];
	struct map *m;
	size_t i;
	FILE *f;

	if (size > 65536)
		return 0;
	parse_all(data, size, 0);
	parse_all(data, size, MAP_SOURCE_ALIASES);
	snprintf(path, sizeof(path), "/tmp/fuzz_map_source.%ld", (long)getpid());
	if ((f = fopen(path, "w")) == NULL)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	strbuf_init(&err, 4096);
	strbuf_init(&v, 4096);
	strbuf_init(&why, 4096);
	strbuf_set_printf(&err, "cidr:%s", path);
	{
		char *spec = strbuf_detach(&err);

		strbuf_init(&err, 4096);
		if ((m = map_open(spec, MAP_F_FOLD_KEY, &err)) != NULL) {
			for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
				(void)map_lookup(m, keys[i], &v, &why);
			map_close(m);
		}
		free(spec);
	}
	unlink(path);
	strbuf_release(&err);
	strbuf_release(&v);
	strbuf_release(&why);
	return 0;
}
