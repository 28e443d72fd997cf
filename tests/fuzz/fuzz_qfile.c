/*
 * tests/fuzz/fuzz_qfile.c — libFuzzer harness for the queue-file reader
 * (lib/qfile_read.c over lib/record.c) and the dumper.  The input is a
 * whole queue file, held in a memfd (no file system writes).  When the
 * envelope parses, the content is walked to its end, every recipient's
 * status byte is marked in place and re-read, and the invariants a reader
 * promises are checked: offsets inside the file, content size matching.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "qfile.h"
#include "strbuf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(int fd, size_t size)
{
	struct qfile_env *env, *again;
	struct strbuf why, chunk;
	int64_t	total = 0;
	off_t	off;
	size_t	i;
	int	r;

	strbuf_init(&why, 1000);
	strbuf_init(&chunk, QFILE_REC_MAX);
	if (qfile_read_envelope(fd, &env, &why) == 0) {
		if (env->nrcpt == 0 || env->sender == NULL || env->content_off < 0 ||
		    (size_t)env->content_off >= size)
			abort();
		off = env->content_off;
		while ((r = qfile_read_content(fd, &off, &chunk, &why)) == 1)
			total += (int64_t)chunk.len;
		if (r != 0 || total != env->content_size)
			abort();
		for (i = 0; i < env->nrcpt; i++) {
			if (env->rcpts[i].status_off <= 0 ||
			    (size_t)env->rcpts[i].status_off >= size)
				abort();
			if (qfile_mark_rcpt(fd, &env->rcpts[i], QF_RCPT_DONE) < 0)
				abort();
		}
		if (qfile_read_envelope(fd, &again, &why) < 0 ||
		    again->nrcpt != env->nrcpt)
			abort();
		for (i = 0; i < again->nrcpt; i++)
			if (again->rcpts[i].status != QF_RCPT_DONE)
				abort();
		qfile_env_free(again);
		qfile_env_free(env);
	}
	strbuf_release(&why);
	strbuf_release(&chunk);
}

static void
dump(int fd)
{
	struct strbuf why;
	char   *text = NULL;
	size_t	len = 0;
	FILE   *out = open_memstream(&text, &len);

	if (out == NULL)
		return;
	strbuf_init(&why, 1000);
	(void)qfile_dump(fd, out, &why);
	fclose(out);
	free(text);
	strbuf_release(&why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int	fd = memfd_create("fuzz_qfile", MFD_CLOEXEC);

	if (fd < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	dump(fd);
	walk(fd, size);
	close(fd);
	return 0;
}
