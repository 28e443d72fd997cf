/*
 * tests/unit/test_qfile.c — lib/qfile: write, commit and read back a queue
 * file; mark a recipient in place; ids that sort by creation; the commit
 * failure paths (a full disk, fsync of the file, the rename, fsync of the
 * directory, made to fail by link-time stubs of write(2), fsync(2) and
 * renameat2(2) below);
 * a table of corrupt files and a good file truncated at every offset;
 * names, moves, directory modes and the dumper.  Works in a mkdtemp dir.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "ipc_names.h"
#include "qfile.h"
#include "record.h"
#include "strbuf.h"

/* ---- link-time failure stubs: these override libc's for this binary ---- */

static int fail_fsync_file, fail_fsync_dir, fail_rename, fail_write;

ssize_t
write(int fd, const void *buf, size_t n)
{
	if (fail_write) {
		errno = ENOSPC;
		return -1;
	}
	return syscall(SYS_write, fd, buf, n);
}

int
fsync(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode) && fail_fsync_dir) {
			errno = EIO;
			return -1;
		}
		if (S_ISREG(st.st_mode) && fail_fsync_file) {
			errno = ENOSPC;
			return -1;
		}
	}
	return (int)syscall(SYS_fsync, fd);
}

int
renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
    unsigned int flags)
{
	if (fail_rename) {
		errno = EIO;
		return -1;
	}
	return (int)syscall(SYS_renameat2, olddirfd, oldpath, newdirfd, newpath,
	    flags);
}

/* ---- fixtures ---- */

static char qdir[64];

static int
setup(void **state)
{
	struct strbuf err;

	(void)state;
	strcpy(qdir, "/tmp/test_qfile.XXXXXX");
	assert_non_null(mkdtemp(qdir));
	strbuf_init(&err, 1000);
	if (qfile_make_dirs(qdir, &err) < 0)
		fail_msg("make_dirs: %s", err.data);
	strbuf_release(&err);
	fail_fsync_file = fail_fsync_dir = fail_rename = fail_write = 0;
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", qdir);
	return system(cmd);
}

/* Names in QDIR/sub, '|'-joined and sorted. */
static void
list_dir(const char *sub, struct strbuf *out)
{
	char	path[256], *names[64];
	struct dirent *de;
	DIR    *d;
	int	n = 0, i, j;

	snprintf(path, sizeof(path), "%s/%s", qdir, sub);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL && n < 64)
		if (de->d_name[0] != '.' || (de->d_name[1] && de->d_name[1] != '.'))
			names[n++] = strdup(de->d_name);
	closedir(d);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char   *t = names[i];

				names[i] = names[j];
				names[j] = t;
			}
	strbuf_reset(out);
	for (i = 0; i < n; i++) {
		if (i)
			strbuf_append_char(out, '|');
		strbuf_append_str(out, names[i]);
		free(names[i]);
	}
}

static void
assert_dir_empty(const char *sub)
{
	struct strbuf names;

	strbuf_init(&names, 10000);
	list_dir(sub, &names);
	if (names.len != 0)
		fail_msg("%s not empty: %s", sub, names.data);
	strbuf_release(&names);
}

static char *
content_text(size_t n)
{
	char   *p = malloc(n);
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (i % 61 == 60) ? '\n' : (char)('a' + i % 26);
	return p;
}

#define BIG_CONTENT (3 * QFILE_CHUNK + 100)

/* The good message used by most tests; returns its id. */
static void
write_good(char id[QFILE_ID_LEN + 1])
{
	struct qfile_writer *w;
	struct strbuf err;
	char   *text = content_text(BIG_CONTENT);

	strbuf_init(&err, 1000);
	w = qfile_create(qdir, QDIR_INCOMING, &err);
	assert_non_null(w);
	assert_int_equal(qfile_put_arrival(w, 1700000000), 0);
	assert_int_equal(qfile_put_flags(w, CLEANUP_F_LOCAL), 0);
	assert_int_equal(qfile_put_sender(w, "alice@example.org"), 0);
	assert_int_equal(qfile_put_rcpt(w, "bob@example.com", "rfc822;bob@example.com",
	    DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE), 0);
	assert_int_equal(qfile_put_attr(w, "client_addr", "192.0.2.1"), 0);
	assert_int_equal(qfile_put_attr(w, "helo", "mail.example.org"), 0);
	/* Content in odd pieces, then an envelope record after it. */
	assert_int_equal(qfile_put_content(w, text, 1), 0);
	assert_int_equal(qfile_put_content(w, text + 1, QFILE_CHUNK), 0);
	assert_int_equal(qfile_put_content(w, text + 1 + QFILE_CHUNK,
	    BIG_CONTENT - 1 - QFILE_CHUNK), 0);
	assert_int_equal(qfile_put_rcpt(w, "carol@example.net", NULL, 0), 0);
	if (qfile_commit(w, id, &err) < 0)
		fail_msg("commit: %s", err.data);
	assert_true(qfile_id_valid(id));
	strbuf_release(&err);
	free(text);
}

static int
open_q(const char *sub, const char *id, int flags)
{
	char	path[256];
	int	fd;

	qfile_path(path, sizeof(path), qdir, sub, id);
	fd = open(path, flags);
	assert_true(fd >= 0);
	return fd;
}

/* ---- round trip ---- */

static void
test_round_trip(void **state)
{
	char	id[QFILE_ID_LEN + 1];
	struct qfile_env *env;
	struct strbuf why, chunk, all, names;
	char   *text = content_text(BIG_CONTENT);
	off_t	off;
	int	fd, r, chunks = 0;

	(void)state;
	write_good(id);
	strbuf_init(&names, 1000);
	list_dir(QDIR_INCOMING, &names);
	assert_string_equal(names.data, id);	/* no temporary left */

	strbuf_init(&why, 1000);
	fd = open_q(QDIR_INCOMING, id, O_RDONLY);
	if (qfile_read_envelope(fd, &env, &why) < 0)
		fail_msg("read: %s", why.data);
	assert_int_equal(env->arrival, 1700000000);
	assert_int_equal(env->flags, CLEANUP_F_LOCAL);
	assert_string_equal(env->sender, "alice@example.org");
	assert_int_equal(env->nrcpt, 2);
	assert_string_equal(env->rcpts[0].addr, "bob@example.com");
	assert_string_equal(env->rcpts[0].orcpt, "rfc822;bob@example.com");
	assert_int_equal(env->rcpts[0].notify, DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE);
	assert_int_equal(env->rcpts[0].status, QF_RCPT_PENDING);
	assert_string_equal(env->rcpts[1].addr, "carol@example.net");
	assert_null(env->rcpts[1].orcpt);
	assert_int_equal(env->rcpts[1].notify, 0);
	assert_int_equal(env->nattr, 2);
	assert_string_equal(qfile_env_attr(env, "client_addr"), "192.0.2.1");
	assert_string_equal(qfile_env_attr(env, "helo"), "mail.example.org");
	assert_null(qfile_env_attr(env, "sasl_user"));
	assert_int_equal(env->content_size, BIG_CONTENT);
	assert_string_equal(env->id, "");

	strbuf_init(&chunk, QFILE_REC_MAX);
	strbuf_init(&all, STRBUF_NOLIMIT);
	off = env->content_off;
	while ((r = qfile_read_content(fd, &off, &chunk, &why)) == 1) {
		strbuf_append(&all, chunk.data, chunk.len);
		chunks++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(chunks, 4);	/* 64 KiB chunks */
	assert_int_equal(all.len, BIG_CONTENT);
	assert_memory_equal(all.data, text, BIG_CONTENT);
	qfile_env_free(env);
	close(fd);
	strbuf_release(&why);
	strbuf_release(&chunk);
	strbuf_release(&all);
	strbuf_release(&names);
	free(text);
}

static void
test_empty_content_null_sender(void **state)
{
	struct qfile_writer *w;
	struct qfile_env *env;
	struct strbuf err, chunk;
	char	id[QFILE_ID_LEN + 1];
	off_t	off;
	int	fd;

	(void)state;
	strbuf_init(&err, 1000);
	strbuf_init(&chunk, QFILE_REC_MAX);
	w = qfile_create(qdir, QDIR_INCOMING, &err);
	assert_int_equal(qfile_put_sender(w, ""), 0);
	assert_int_equal(qfile_put_rcpt(w, "x@y", NULL, DSN_NOTIFY_NEVER), 0);
	assert_int_equal(qfile_commit(w, id, &err), 0);
	fd = open_q(QDIR_INCOMING, id, O_RDONLY);
	if (qfile_read_envelope(fd, &env, &err) < 0)
		fail_msg("read: %s", err.data);
	assert_string_equal(env->sender, "");
	assert_true(env->arrival > 1700000000);	/* filled in by commit */
	assert_int_equal(env->content_size, 0);
	off = env->content_off;
	assert_int_equal(qfile_read_content(fd, &off, &chunk, &err), 0);
	qfile_env_free(env);
	close(fd);
	strbuf_release(&err);
	strbuf_release(&chunk);
}

/* ---- writer refusals ---- */

static void
test_writer_refusals(void **state)
{
	struct qfile_writer *w;
	struct strbuf err;
	char	id[QFILE_ID_LEN + 1];

	(void)state;
	strbuf_init(&err, 1000);
	/* No recipients: nothing queued, temporary removed. */
	w = qfile_create(qdir, QDIR_INCOMING, &err);
	assert_int_equal(qfile_put_sender(w, "a@b"), 0);
	assert_int_equal(qfile_commit(w, id, &err), -1);
	assert_non_null(strstr(err.data, "no recipients"));
	assert_dir_empty(QDIR_INCOMING);

	/* Bad values are refused and the error is sticky. */
	w = qfile_create(qdir, QDIR_INCOMING, &err);
	assert_int_equal(qfile_put_sender(w, "a@b"), 0);
	assert_int_equal(qfile_put_sender(w, "a@b"), -1);
	assert_int_equal(qfile_put_rcpt(w, "c@d", NULL, 0), -1);
	assert_int_equal(qfile_commit(w, id, &err), -1);
	assert_dir_empty(QDIR_INCOMING);

	w = qfile_create(qdir, QDIR_INCOMING, &err);
	assert_int_equal(qfile_put_rcpt(w, "", NULL, 0), -1);
	qfile_abort(w);
	w = qfile_create(qdir, QDIR_INCOMING, &err);
	assert_int_equal(qfile_put_rcpt(w, "a@b", NULL, 0x10), -1);
	qfile_abort(w);
	w = qfile_create(qdir, QDIR_INCOMING, &err);
	assert_int_equal(qfile_put_attr(w, "Bad-Name", "x"), -1);
	qfile_abort(w);
	/* Content after an envelope record that followed content. */
	w = qfile_create(qdir, QDIR_INCOMING, &err);
	assert_int_equal(qfile_put_content(w, "a\n", 2), 0);
	assert_int_equal(qfile_put_rcpt(w, "a@b", NULL, 0), 0);
	assert_int_equal(qfile_put_content(w, "b\n", 2), -1);
	qfile_abort(w);
	qfile_abort(NULL);
	assert_dir_empty(QDIR_INCOMING);

	assert_null(qfile_create(qdir, "nonexistent", &err));
	assert_true(err.len > 0);
	strbuf_release(&err);
}

/* ---- durability failures ---- */

struct commit_fail_case {
	const char *label;
	int    *flag;
	const char *want;
};

static void
test_commit_failures(void **state)
{
	const struct commit_fail_case cases[] = {
		{"write (disk full)", &fail_write, "No space left"},
		{"fsync of the file", &fail_fsync_file, "fsync queue file"},
		{"rename", &fail_rename, "rename queue file"},
		{"fsync of the directory", &fail_fsync_dir, "fsync queue directory"},
	};
	struct qfile_writer *w;
	struct strbuf err;
	char	id[QFILE_ID_LEN + 1];
	size_t	i;

	(void)state;
	strbuf_init(&err, 1000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w = qfile_create(qdir, QDIR_INCOMING, &err);
		assert_non_null(w);
		qfile_put_sender(w, "a@b");
		qfile_put_rcpt(w, "c@d", NULL, 0);
		qfile_put_content(w, "hello\n", 6);
		strbuf_reset(&err);
		*cases[i].flag = 1;
		memset(id, 0, sizeof(id));
		if (qfile_commit(w, id, &err) != -1)
			fail_msg("%s: commit succeeded", cases[i].label);
		*cases[i].flag = 0;
		if (strstr(err.data, cases[i].want) == NULL)
			fail_msg("%s: got \"%s\" want \"%s\"", cases[i].label,
			    err.data, cases[i].want);
		assert_string_equal(id, "");	/* no id handed out */
		assert_dir_empty(QDIR_INCOMING);
	}
	strbuf_release(&err);
}

/* ---- mark in place ---- */

static void
test_mark_rcpt(void **state)
{
	char	id[QFILE_ID_LEN + 1];
	struct qfile_env *env, *env2;
	struct qfile_rcpt bogus;
	struct strbuf why;
	int	fd;

	(void)state;
	write_good(id);
	strbuf_init(&why, 1000);
	fd = open_q(QDIR_INCOMING, id, O_RDWR);
	assert_int_equal(qfile_read_envelope(fd, &env, &why), 0);
	assert_int_equal(qfile_mark_rcpt(fd, &env->rcpts[1], QF_RCPT_DONE), 0);
	assert_int_equal(qfile_read_envelope(fd, &env2, &why), 0);
	assert_int_equal(env2->rcpts[0].status, QF_RCPT_PENDING);
	assert_int_equal(env2->rcpts[1].status, QF_RCPT_DONE);
	assert_string_equal(env2->rcpts[1].addr, "carol@example.net");
	qfile_env_free(env2);
	/* Back to pending works too; a bad status or offset is refused. */
	assert_int_equal(qfile_mark_rcpt(fd, &env->rcpts[1], QF_RCPT_PENDING), 0);
	assert_int_equal(qfile_mark_rcpt(fd, &env->rcpts[0], 'X'), -1);
	bogus = env->rcpts[0];
	bogus.status_off += 1;		/* the notify byte, not a status */
	assert_int_equal(qfile_mark_rcpt(fd, &bogus, QF_RCPT_DONE), -1);
	bogus.status_off = 1 << 30;	/* past the end */
	assert_int_equal(qfile_mark_rcpt(fd, &bogus, QF_RCPT_DONE), -1);
	assert_int_equal(qfile_read_envelope(fd, &env2, &why), 0);
	assert_int_equal(env2->rcpts[0].status, QF_RCPT_PENDING);
	assert_int_equal(env2->rcpts[1].status, QF_RCPT_PENDING);
	qfile_env_free(env2);
	qfile_env_free(env);
	close(fd);
	strbuf_release(&why);
}

/* ---- flags in place (qmgr's QFILE_F_DELAY_WARNED) ---- */

static void
test_set_flag(void **state)
{
	char	id[QFILE_ID_LEN + 1], id2[QFILE_ID_LEN + 1];
	struct qfile_env *env, *env2;
	struct qfile_writer *w;
	struct strbuf why;
	int	fd, saved;

	(void)state;
	write_good(id);
	strbuf_init(&why, 1000);
	fd = open_q(QDIR_INCOMING, id, O_RDWR);
	assert_int_equal(qfile_read_envelope(fd, &env, &why), 0);
	assert_true(env->flags_off > 0);
	assert_int_equal(env->flags, CLEANUP_F_LOCAL);
	assert_int_equal(qfile_set_flag(fd, env, QFILE_F_DELAY_WARNED), 0);
	assert_int_equal(env->flags, CLEANUP_F_LOCAL | QFILE_F_DELAY_WARNED);
	/* Durable in the file, and nothing else changed. */
	assert_int_equal(qfile_read_envelope(fd, &env2, &why), 0);
	assert_int_equal(env2->flags, CLEANUP_F_LOCAL | QFILE_F_DELAY_WARNED);
	assert_string_equal(env2->sender, "alice@example.org");
	assert_int_equal(env2->nrcpt, 2);
	qfile_env_free(env2);
	/* Setting it again is harmless. */
	assert_int_equal(qfile_set_flag(fd, env, QFILE_F_DELAY_WARNED), 0);
	/* An envelope that does not match the bytes there: nothing written. */
	saved = env->flags;
	env->flags = CLEANUP_F_BOUNCE;
	assert_int_equal(qfile_set_flag(fd, env, 0x20000), -1);
	assert_int_equal(errno, EINVAL);
	env->flags = saved;
	env->flags_off = 0;
	assert_int_equal(qfile_set_flag(fd, env, QFILE_F_DELAY_WARNED), -1);
	assert_int_equal(qfile_read_envelope(fd, &env2, &why), 0);
	assert_int_equal(env2->flags, CLEANUP_F_LOCAL | QFILE_F_DELAY_WARNED);
	qfile_env_free(env2);
	qfile_env_free(env);
	close(fd);

	/* A file without a flags record: refused, the file stays as it was. */
	w = qfile_create(qdir, QDIR_INCOMING, &why);
	assert_non_null(w);
	assert_int_equal(qfile_put_arrival(w, 1700000000), 0);
	assert_int_equal(qfile_put_sender(w, "alice@example.org"), 0);
	assert_int_equal(qfile_put_rcpt(w, "bob@example.com", NULL, 0), 0);
	assert_int_equal(qfile_put_content(w, "x\n", 2), 0);
	assert_int_equal(qfile_commit(w, id2, &why), 0);
	fd = open_q(QDIR_INCOMING, id2, O_RDWR);
	assert_int_equal(qfile_read_envelope(fd, &env, &why), 0);
	assert_int_equal(env->flags_off, 0);
	assert_int_equal(qfile_set_flag(fd, env, QFILE_F_DELAY_WARNED), -1);
	assert_int_equal(errno, EINVAL);
	qfile_env_free(env);
	close(fd);
	strbuf_release(&why);
}

/* ---- ids ---- */

static void
test_ids_sort_by_creation(void **state)
{
	char	ids[8][QFILE_ID_LEN + 1];
	int	i;

	(void)state;
	for (i = 0; i < 8; i++)
		write_good(ids[i]);
	for (i = 1; i < 8; i++)
		if (strcmp(ids[i - 1], ids[i]) >= 0)
			fail_msg("id %d %s not after %s", i, ids[i], ids[i - 1]);
}

static void
test_id_valid(void **state)
{
	const struct {
		const char *id;
		int	want;
	} cases[] = {
		{"0123456789ABCDEF0", 1},
		{"FFFFFFFFFFFFFFFFF", 1},
		{"0123456789abcdef0", 0},	/* lower case */
		{"0123456789ABCDEF", 0},	/* short */
		{"0123456789ABCDEF01", 0},	/* long */
		{"0123456789ABCDEG0", 0},
		{"t.123.4", 0},
		{"", 0},
		{"../../etc/passwd0", 0},
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (qfile_id_valid(cases[i].id) != cases[i].want)
			fail_msg("\"%s\": got %d want %d", cases[i].id,
			    qfile_id_valid(cases[i].id), cases[i].want);
}

static void
test_move_and_path(void **state)
{
	char	id[QFILE_ID_LEN + 1], path[256], want[256];
	struct strbuf names;

	(void)state;
	write_good(id);
	qfile_path(path, sizeof(path), qdir, QDIR_ACTIVE, id);
	snprintf(want, sizeof(want), "%s/active/%s", qdir, id);
	assert_string_equal(path, want);
	assert_int_equal(qfile_move(qdir, QDIR_INCOMING, QDIR_ACTIVE, id), 0);
	assert_dir_empty(QDIR_INCOMING);
	strbuf_init(&names, 1000);
	list_dir(QDIR_ACTIVE, &names);
	assert_string_equal(names.data, id);
	assert_int_equal(qfile_move(qdir, QDIR_INCOMING, QDIR_ACTIVE, id), -1);
	assert_int_equal(errno, ENOENT);
	strbuf_release(&names);
}

static void
test_dirs(void **state)
{
	const struct {
		const char *name;
		mode_t	mode;
	} dirs[] = {
		{"maildrop", 01730}, {"incoming", 0700}, {"active", 0700},
		{"deferred", 0700}, {"hold", 0700}, {"corrupt", 0700},
		{"defer", 0700}, {"public", 0710}, {"private", 0700}, {"pid", 0700},
	};
	struct strbuf err;
	struct stat st;
	char	path[256];
	size_t	i;

	(void)state;
	strbuf_init(&err, 1000);
	assert_int_equal(qfile_make_dirs(qdir, &err), 0);	/* again: harmless */
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", qdir, dirs[i].name);
		assert_int_equal(stat(path, &st), 0);
		if ((st.st_mode & 07777) != dirs[i].mode)
			fail_msg("%s: mode %o want %o", dirs[i].name,
			    st.st_mode & 07777, dirs[i].mode);
	}
	if (geteuid() == 0) {
		assert_int_equal(qfile_chown_dirs(qdir, 1, 2, 3), 0);
		for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
			int	drop = strcmp(dirs[i].name, "maildrop") == 0 ||
			    strcmp(dirs[i].name, "public") == 0;

			snprintf(path, sizeof(path), "%s/%s", qdir, dirs[i].name);
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_uid, 1);
			assert_int_equal(st.st_gid, drop ? 3 : 2);
			assert_int_equal(st.st_mode & 07777, dirs[i].mode);
		}
	}
	strbuf_release(&err);
}

/* ---- corrupt files ---- */

/* Build a file from a compact description: one record per entry. */
struct raw_rec {
	int	type;
	const char *data;
	size_t	len;
};

#define R(t, s)	{ t, s, sizeof(s) - 1 }
#define VOK	R('V', "TEGAMIQ1\0\0\0\1")
#define TOK	R('T', "\0\0\0\0\x65\x53\xf1\x00")
#define SOK	R('S', "a@b")
#define ROK	R('R', "P\0\0\3c@d\0\0")
#define EOK	R('E', "")
#define END	{ 0, NULL, 0 }
#define TR(s)	s, sizeof(s) - 1
#define NOTR	NULL, 0

struct corrupt_case {
	const char *label;
	struct raw_rec recs[10];
	const char *trailer;	/* raw bytes appended, NULL = none */
	size_t	tlen;
	const char *want;	/* substring of the reason; NULL = must parse */
};

static const struct corrupt_case corrupt_cases[] = {
	{"good minimal", {VOK, TOK, SOK, ROK, EOK, END}, NOTR, NULL},
	{"good, content and rcpt after", {VOK, TOK, SOK, R('C', "hi\n"),
	    R('C', "there\n"), ROK, R('A', "helo\0x"), EOK, END}, NOTR, NULL},
	{"good, empty attr value", {VOK, TOK, SOK, ROK, R('A', "helo\0"), EOK, END},
	    NOTR, NULL},
	{"empty file", {END}, NOTR, "no end record"},
	{"no version", {TOK, SOK, ROK, EOK, END}, NOTR, "first record"},
	{"bad magic", {R('V', "TEGAMIQ2\0\0\0\1"), TOK, SOK, ROK, EOK, END}, NOTR,
	    "bad magic"},
	{"short version", {R('V', "TEGAMIQ1"), TOK, SOK, ROK, EOK, END}, NOTR,
	    "bad magic"},
	{"bad version", {R('V', "TEGAMIQ1\0\0\0\2"), TOK, SOK, ROK, EOK, END}, NOTR,
	    "unsupported"},
	{"version twice", {VOK, VOK, TOK, SOK, ROK, EOK, END}, NOTR, "repeated version"},
	{"no sender", {VOK, TOK, ROK, EOK, END}, NOTR, "no sender"},
	{"sender twice", {VOK, TOK, SOK, SOK, ROK, EOK, END}, NOTR, "repeated sender"},
	{"NUL in sender", {VOK, TOK, R('S', "a\0b"), ROK, EOK, END}, NOTR, "NUL in sender"},
	{"no arrival", {VOK, SOK, ROK, EOK, END}, NOTR, "no arrival"},
	{"arrival twice", {VOK, TOK, TOK, SOK, ROK, EOK, END}, NOTR, "arrival"},
	{"short arrival", {VOK, R('T', "\0\0\0\1"), SOK, ROK, EOK, END}, NOTR, "arrival"},
	{"flags twice", {VOK, TOK, R('F', "\0\0\0\1"), R('F', "\0\0\0\1"), SOK, ROK,
	    EOK, END}, NOTR, "flags"},
	{"no recipients", {VOK, TOK, SOK, EOK, END}, NOTR, "no recipient"},
	{"unknown type", {VOK, TOK, SOK, ROK, R('X', "??"), EOK, END}, NOTR,
	    "unknown record type"},
	{"too long", {VOK, TOK, SOK, ROK, END}, TR("C\x00\x10\x00\x01"), "too long"},
	{"truncated record", {VOK, TOK, SOK, ROK, END}, TR("C\0\0\0\x10short"),
	    "truncated"},
	{"no end record", {VOK, TOK, SOK, ROK, R('C', "x\n"), END}, NOTR,
	    "no end record"},
	{"data after end", {VOK, TOK, SOK, ROK, EOK, END}, TR("x"), "after the end"},
	{"record after end", {VOK, TOK, SOK, ROK, EOK, EOK, END}, NOTR, "after the end"},
	{"end with data", {VOK, TOK, SOK, ROK, R('E', "x"), END}, NOTR, "end record with data"},
	{"bad status", {VOK, TOK, SOK, R('R', "X\0\0\3c@d\0\0"), EOK, END}, NOTR,
	    "status"},
	{"bad notify", {VOK, TOK, SOK, R('R', "P\x10\0\3c@d\0\0"), EOK, END}, NOTR,
	    "notify"},
	{"NUL in rcpt", {VOK, TOK, SOK, R('R', "P\0\0\3c\0d\0\0"), EOK, END}, NOTR,
	    "NUL"},
	{"NUL in orcpt", {VOK, TOK, SOK, R('R', "P\0\0\3c@d\0\2a\0"), EOK, END}, NOTR,
	    "NUL"},
	{"empty rcpt", {VOK, TOK, SOK, R('R', "P\0\0\0\0\0"), EOK, END}, NOTR,
	    "address length"},
	{"rcpt length past record", {VOK, TOK, SOK, R('R', "P\0\0\11c@d\0\0"), EOK,
	    END}, NOTR, "address length"},
	{"orcpt length wrong", {VOK, TOK, SOK, R('R', "P\0\0\3c@d\0\5ab"), EOK, END},
	    NOTR, "orcpt length"},
	{"short rcpt", {VOK, TOK, SOK, R('R', "P\0\0"), EOK, END}, NOTR, "short"},
	{"attr without NUL", {VOK, TOK, SOK, ROK, R('A', "helo"), EOK, END}, NOTR,
	    "attribute name"},
	{"attr empty name", {VOK, TOK, SOK, ROK, R('A', "\0x"), EOK, END}, NOTR,
	    "attribute name"},
	{"attr two NULs", {VOK, TOK, SOK, ROK, R('A', "a\0b\0c"), EOK, END}, NOTR,
	    "NUL in attribute"},
	{"content split", {VOK, TOK, SOK, R('C', "a\n"), ROK, R('C', "b\n"), EOK, END},
	    NOTR, "not contiguous"},
	{"truncated header", {VOK, TOK, SOK, ROK, END}, TR("E\0\0"), "truncated"},
};

static int
write_raw(const struct corrupt_case *c, struct strbuf *file)
{
	const struct raw_rec *r;
	char	path[256];
	int	fd;

	strbuf_reset(file);
	for (r = c->recs; r->type; r++)
		assert_int_equal(rec_put(file, r->type, r->data, r->len), 0);
	if (c->trailer)
		strbuf_append(file, c->trailer, c->tlen);
	snprintf(path, sizeof(path), "%s/corrupt/raw", qdir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, file->data, file->len), (ssize_t)file->len);
	return fd;
}

static void
test_corrupt_table(void **state)
{
	struct qfile_env *env;
	struct strbuf why, file;
	size_t	i;
	int	fd, r;

	(void)state;
	strbuf_init(&why, 1000);
	strbuf_init(&file, 1 << 20);
	for (i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++) {
		const struct corrupt_case *c = &corrupt_cases[i];

		fd = write_raw(c, &file);
		strbuf_reset(&why);
		env = NULL;
		r = qfile_read_envelope(fd, &env, &why);
		if (c->want == NULL && r != 0)
			fail_msg("%s: got error \"%s\", want success", c->label, why.data);
		if (c->want != NULL && (r != -1 || env != NULL))
			fail_msg("%s: got success, want \"%s\"", c->label, c->want);
		if (c->want != NULL && strstr(why.data, c->want) == NULL)
			fail_msg("%s: got \"%s\" want \"%s\"", c->label, why.data, c->want);
		qfile_env_free(env);
		close(fd);
	}
	strbuf_release(&why);
	strbuf_release(&file);
}

/* Every proper prefix of a real queue file is an error, never a crash. */
static void
test_truncate_everywhere(void **state)
{
	char	id[QFILE_ID_LEN + 1], path[256];
	struct qfile_writer *w;
	struct qfile_env *env;
	struct strbuf why;
	struct stat st;
	char   *bytes;
	off_t	cut;
	int	fd, tfd;

	(void)state;
	strbuf_init(&why, 1000);
	w = qfile_create(qdir, QDIR_INCOMING, &why);
	qfile_put_sender(w, "s@x");
	qfile_put_rcpt(w, "r@x", "rfc822;r@x", DSN_NOTIFY_DELAY);
	qfile_put_attr(w, "protocol", "ESMTP");
	qfile_put_content(w, "Subject: x\n\nbody\n", 17);
	qfile_put_rcpt(w, "r2@x", NULL, 0);
	assert_int_equal(qfile_commit(w, id, &why), 0);
	fd = open_q(QDIR_INCOMING, id, O_RDONLY);
	assert_int_equal(fstat(fd, &st), 0);
	bytes = malloc((size_t)st.st_size);
	assert_int_equal(read(fd, bytes, (size_t)st.st_size), st.st_size);
	close(fd);
	snprintf(path, sizeof(path), "%s/corrupt/cut", qdir);
	for (cut = 0; cut <= st.st_size; cut++) {
		tfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		assert_int_equal(write(tfd, bytes, (size_t)cut), cut);
		env = NULL;
		if (qfile_read_envelope(tfd, &env, &why) != (cut == st.st_size ? 0 : -1))
			fail_msg("cut at %lld of %lld: wrong verdict (%s)", (long long)cut,
			    (long long)st.st_size, why.data);
		qfile_env_free(env);
		close(tfd);
	}
	free(bytes);
	strbuf_release(&why);
}

/* ---- the dumper ---- */

static void
test_dump(void **state)
{
	struct qfile_writer *w;
	struct strbuf why;
	char	id[QFILE_ID_LEN + 1], *text = NULL;
	size_t	size = 0;
	FILE   *out;
	int	fd;
	const char *want =
	    "*** ENVELOPE RECORDS ***\n"
	    "version: TEGAMIQ1 1\n"
	    "arrival: 1700000000\n"
	    "flags: 0x1\n"
	    "sender: s@x\n"
	    "recipient: r@x status=pending notify=8 orcpt=rfc822;r@x\n"
	    "attr: helo=evil\\033[2J\n"
	    "*** MESSAGE CONTENTS ***\n"
	    "Subject: x\n\nbody\n"
	    "*** ENVELOPE RECORDS (after content) ***\n"
	    "recipient: r2@x status=pending notify=0\n"
	    "*** END OF MESSAGE ***\n";

	(void)state;
	strbuf_init(&why, 1000);
	w = qfile_create(qdir, QDIR_INCOMING, &why);
	qfile_put_arrival(w, 1700000000);
	qfile_put_flags(w, CLEANUP_F_LOCAL);
	qfile_put_sender(w, "s@x");
	qfile_put_rcpt(w, "r@x", "rfc822;r@x", DSN_NOTIFY_DELAY);
	qfile_put_attr(w, "helo", "evil\033[2J");
	qfile_put_content(w, "Subject: x\n\nbody\n", 17);
	qfile_put_rcpt(w, "r2@x", NULL, 0);
	assert_int_equal(qfile_commit(w, id, &why), 0);
	fd = open_q(QDIR_INCOMING, id, O_RDONLY);
	out = open_memstream(&text, &size);
	assert_int_equal(qfile_dump(fd, out, &why), 0);
	fclose(out);
	assert_string_equal(text, want);
	free(text);
	close(fd);

	/* A corrupt file is still printed up to the bad record. */
	fd = open_q(QDIR_INCOMING, id, O_RDWR);
	assert_int_equal(ftruncate(fd, 60), 0);
	out = open_memstream(&text, &size);
	assert_int_equal(qfile_dump(fd, out, &why), -1);
	fclose(out);
	assert_non_null(strstr(text, "sender: s@x"));
	assert_non_null(strstr(text, "truncated record"));
	free(text);
	close(fd);
	strbuf_release(&why);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_content_null_sender, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mark_rcpt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_sort_by_creation, setup, teardown),
		cmocka_unit_test(test_id_valid),
		cmocka_unit_test_setup_teardown(test_move_and_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
