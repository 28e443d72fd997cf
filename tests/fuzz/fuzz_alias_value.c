/*
 * tests/fuzz/fuzz_alias_value.c — the alias value list parser and the
 * expansion engine of local-delivery.
 *
 * The input is parsed as one alias value (local_alias_parse); every
 * member must come back non-empty with a known kind.  Then the input is
 * used as the value of every alias and of every :include: file of a fake
 * table, and "x@localhost" is expanded: whatever the input, expansion must
 * end (loops, depth and target limits) and free everything.  Nothing is
 * read or written outside memory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../local-delivery/local.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fz_value;
static size_t fz_len;

static enum map_result
fz_alias(void *ctx, const char *key, struct strbuf *value, uid_t *owner,
    gid_t *group, struct strbuf *why)
{
	(void)ctx;
	(void)why;
	/* Names ending in "0" are not aliases, so mailboxes appear too. */
	if (key[0] == '\0' || key[strlen(key) - 1] == '0')
		return MAP_NOTFOUND;
	if (strcmp(key, "retry") == 0)
		return MAP_RETRY;
	strbuf_reset(value);
	if (strbuf_append(value, fz_value, fz_len) < 0)
		return MAP_NOTFOUND;
	*owner = 1;
	*group = 1;
	return MAP_FOUND;
}

static int
fz_include(void *ctx, const char *path, uid_t owner, uid_t as_uid,
    gid_t as_gid, struct strbuf *value, uid_t *uid, gid_t *gid,
    struct strbuf *why)
{
	(void)ctx;
	(void)path;
	(void)owner;
	(void)as_uid;
	(void)as_gid;
	(void)why;
	strbuf_reset(value);
	if (strbuf_append(value, fz_value, fz_len) < 0)
		return -1;
	*uid = 0;
	*gid = 0;
	return 0;
}

static int
fz_local(const char *domain)
{
	return strcmp(domain, "localhost") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct local_alias_list l;
	struct local_expand_ops ops;
	struct local_expansion x;
	struct local_result res;
	struct strbuf err;
	size_t i;

	if (size > 4096)
		return 0;
	strbuf_init(&err, 1024);
	if (local_alias_parse((const char *)data, size, &l, &err) == 0) {
		for (i = 0; i < l.n; i++)
			if (l.items[i].value[0] == '\0' && l.items[i].kind != LOCAL_A_ADDRESS)
				abort();
		local_alias_list_free(&l);
	}
	strbuf_release(&err);

	memset(&ops, 0, sizeof(ops));
	ops.alias = fz_alias;
	ops.include = fz_include;
	ops.is_local_domain = fz_local;
	ops.default_uid = 65534;
	ops.default_gid = 65534;
	ops.allow_commands = LOCAL_CLASS_ALIAS | LOCAL_CLASS_INCLUDE;
	ops.allow_files = LOCAL_CLASS_ALIAS | LOCAL_CLASS_INCLUDE;
	ops.delim = "+";
	fz_value = (const char *)data;
	fz_len = size;
	local_result_init(&res);
	if (local_expand(&ops, NULL, "x@localhost", &x, &res) == 0) {
		for (i = 0; i < x.n; i++)
			if (x.t[i].value == NULL)
				abort();
		local_expansion_free(&x);
	}
	local_result_release(&res);
	return 0;
}
