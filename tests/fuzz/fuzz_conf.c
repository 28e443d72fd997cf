/*
 * tests/fuzz/fuzz_conf.c — main.cf text through the parser, the registry,
 * $name expansion and typed binding of the common parameters.  Looks for
 * crashes, leaks, and expansions that do not terminate (loops, `$a$a`
 * chains).  Writes nothing; the registry is reset after every input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "mail_params.h"

static void
unknown_cb(const char *name, const char *file, int line, void *ctx)
{
	(void)name; (void)file; (void)line;
	(*(int *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct strbuf err;
	char *res, **list;
	int n = 0;

	if (!init) {
		log_init("fuzz_conf", LOG_DEST_STDERR, NULL);
		init = 1;
	}
	strbuf_init(&err, 4096);
	conf_register(mail_params_common);
	if (conf_read_text("main.cf", (const char *)data, size, &err) == 0) {
		(void)conf_bind(&err);
		(void)conf_value("mydestination");
		(void)conf_value("a");
		conf_foreach_unknown(unknown_cb, &n);
		(void)mail_params_is_local_domain("localhost");
		list = conf_split_list(conf_value("mynetworks"), NULL);
		conf_free_list(list);
	}
	/* The input as a value with $references, too. */
	res = NULL;
	if (memchr(data, '\0', size) == NULL) {
		char *text = malloc(size + 1);

		memcpy(text, data, size);
		text[size] = '\0';
		if (conf_expand_checked(text, &res, &err) == 0)
			free(res);
		list = conf_split_list(text, NULL);
		conf_free_list(list);
		free(text);
	}
	conf_reset();
	strbuf_release(&err);
	return 0;
}
