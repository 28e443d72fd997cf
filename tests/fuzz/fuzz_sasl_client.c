/*
 * tests/fuzz/fuzz_sasl_client.c — the SMTP AUTH client (lib/sasl_client.c)
 * against a hostile server.  Input: lines; the first is "offered|filter|
 * secopts" for the mechanism choice, each further line one challenge
 * (base64-encoded by the harness, or passed raw when it starts with '!'),
 * the last one also tried as 235 success data.  Checks: every response is
 * strict base64, a failed exchange stays failed, nothing outgrows its
 * buffer.  The nonce is fixed ("fuzz") and the SCRAM iteration cap low so
 * the fuzzer can reach the key derivation quickly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sasl_client.h"
#include "sasl_codec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_STEPS 8

/* Split off the next line of [*p, end) into a NUL-terminated copy. */
static char *
next_line(const char **p, const char *end)
{
	const char *s = *p, *nl;

	if (s >= end)
		return (NULL);
	nl = memchr(s, '\n', (size_t)(end - s));
	if (nl == NULL)
		nl = end;
	*p = nl < end ? nl + 1 : end;
	return (xstrndup(s, (size_t)(nl - s)));
}

static void
check_b64(const struct strbuf *b)
{
	struct strbuf d;

	strbuf_init(&d, 1 << 16);
	if (sasl_base64_decode(b->data, b->len, &d) < 0)
		abort();
	strbuf_release(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct strbuf out, err, ch;
	struct sasl_client *sc;
	char   *first, *fields[3] = {"", "", ""}, *line, *s;
	int	i, has, failed = 0, steps = 0;

	if ((first = next_line(&p, end)) == NULL)
		return (0);
	/* offered|filter|secopts */
	for (s = first, i = 0; i < 3 && s != NULL; i++) {
		fields[i] = s;
		if ((s = strchr(s, '|')) != NULL)
			*s++ = '\0';
	}
	strbuf_init(&out, 1 << 16);
	strbuf_init(&err, 4096);
	strbuf_init(&ch, 1 << 16);
	sc = sasl_client_new(fields[0], fields[1], fields[2], "user", "pencil",
	    &err);
	free(first);
	if (sc == NULL)
		goto done;
	sasl_client_set_nonce(sc, "fuzz");
	sasl_client_set_max_iter(sc, 64);
	if (sasl_client_start(sc, &out, &has, &err) < 0)
		abort();
	check_b64(&out);
	while ((line = next_line(&p, end)) != NULL && steps++ < MAX_STEPS) {
		strbuf_reset(&ch);
		strbuf_reset(&out);
		if (line[0] == '!')
			strbuf_append_str(&ch, line + 1);
		else
			sasl_base64_encode(line, strlen(line), &ch);
		if (sasl_client_step(sc, ch.data, &out, &err) == 0) {
			if (failed)
				abort();	/* a failure must stick */
			check_b64(&out);
		} else
			failed = 1;
		free(line);
		line = NULL;
	}
	free(line);
	/* The last challenge again, as success data. */
	if (sasl_client_final(sc, ch.len ? ch.data : NULL, &err) == 0 && failed)
		abort();
	sasl_client_free(sc);
done:
	strbuf_release(&out);
	strbuf_release(&err);
	strbuf_release(&ch);
	return (0);
}
