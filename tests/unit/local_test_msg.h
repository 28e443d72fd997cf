/*
 * tests/unit/local_test_msg.h — build a real queue file in a temporary
 * queue directory and open it as local-delivery does (for the
 * test_local_*.c and test_qmgr_bounce.c tests).
 */
#ifndef TEGAMI_LOCAL_TEST_MSG_H
#define TEGAMI_LOCAL_TEST_MSG_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qfile.h"

/* Arrival time written into new test messages. */
static int64_t test_msg_arrival = 1700000000;

struct test_msg {
	char	id[QFILE_ID_LEN + 1];
	int	fd;
	struct qfile_env *env;
};

/* Queue a message in QDIR/active with the given sender, recipients and
 * content (given as pieces, each one qfile_put_content call). */
static inline void
test_msg_make_in(struct test_msg *t, const char *qdir, const char *subdir,
    const char *sender, const char *const *rcpts, const char *const *pieces)
{
	struct strbuf err;
	struct qfile_writer *w;
	char path[4096];
	size_t i;

	strbuf_init(&err, 1024);
	w = qfile_create(qdir, subdir, &err);
	if (w == NULL) {
		fprintf(stderr, "qfile_create: %s\n", err.data);
		abort();
	}
	if (qfile_put_arrival(w, test_msg_arrival) < 0 || qfile_put_sender(w, sender) < 0)
		abort();
	for (i = 0; rcpts[i] != NULL; i++)
		if (qfile_put_rcpt(w, rcpts[i], NULL, 0) < 0)
			abort();
	for (i = 0; pieces[i] != NULL; i++)
		if (qfile_put_content(w, pieces[i], strlen(pieces[i])) < 0)
			abort();
	if (qfile_commit(w, t->id, &err) < 0) {
		fprintf(stderr, "qfile_commit: %s\n", err.data);
		abort();
	}
	qfile_path(path, sizeof(path), qdir, subdir, t->id);
	t->fd = open(path, O_RDWR);
	if (t->fd < 0 || qfile_read_envelope(t->fd, &t->env, &err) < 0) {
		fprintf(stderr, "read back: %s\n", err.data);
		abort();
	}
	strbuf_release(&err);
}

static inline void
test_msg_make(struct test_msg *t, const char *qdir, const char *sender,
    const char *const *rcpts, const char *const *pieces)
{
	test_msg_make_in(t, qdir, QDIR_ACTIVE, sender, rcpts, pieces);
}

static inline void
test_msg_free(struct test_msg *t)
{
	qfile_env_free(t->env);
	close(t->fd);
}

/* The whole contents of a file (malloc'd), or NULL. */
static inline char *
test_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		abort();
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static inline void
test_rm_rf(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

#endif
