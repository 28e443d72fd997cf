/*
 * tests/fuzz/fuzz_inline_map.c — libFuzzer harness for inline:{ ... }
 * table specs (lib/map_text.c, through map_open as every caller does).
 * The input is split at the first NUL byte: the part before it is the
 * text after "inline:", the rest a lookup key.  A spec that opens is
 * looked up and listed; every entry it lists must then be found with its
 * value (keys are folded, so a listed key is its own lookup key).  A spec
 * that does not open must say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "map_int.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	struct map *m;
	struct strbuf v, why;
};

static void
check_entry(const char *key, const char *value, void *ctx)
{
	struct check *c = ctx;

	if (strlen(key) > 64 * 1024)	/* map_lookup's key limit */
		return;
	if (map_lookup(c->m, key, &c->v, &c->why) != MAP_FOUND ||
	    strcmp(c->v.data, value) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t slen = nul ? (size_t)(nul - data) : size;
	struct strbuf err;
	struct check c;
	char *spec, *key;

	spec = malloc(slen + 8);
	if (spec == NULL)
		return 0;
	memcpy(spec, "inline:", 7);
	memcpy(spec + 7, data, slen);
	spec[7 + slen] = '\0';
	strbuf_init(&err, 4096);
	strbuf_init(&c.v, STRBUF_NOLIMIT);
	strbuf_init(&c.why, 4096);
	c.m = map_open(spec, MAP_F_FOLD_KEY, &err);
	if (c.m != NULL) {
		if (c.m->broken != NULL || c.m->dump == NULL)
			abort();
		key = nul ? strndup((const char *)nul + 1, size - slen - 1) : NULL;
		if (key != NULL)
			(void)map_lookup(c.m, key, &c.v, &c.why);
		free(key);
		(void)map_lookup(c.m, "", &c.v, &c.why);
		if (c.m->dump(c.m, check_entry, &c, &err) < 0)
			abort();
		map_close(c.m);
	} else if (err.len == 0)
		abort();
	strbuf_release(&err);
	strbuf_release(&c.v);
	strbuf_release(&c.why);
	free(spec);
	return 0;
}
