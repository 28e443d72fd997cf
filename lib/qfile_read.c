/*
 * lib/qfile_read.c — reading queue files, and the in-place status update.
 *
 * Called by qmgr, the delivery agents, showq and the queue tools.  A queue
 * file is untrusted input: every record is checked against the format in
 * doc/queue-format.md, and anything that does not parse (wrong version,
 * missing or repeated envelope records, bad lengths, NUL in an address,
 * content that is not contiguous, no END record, bytes after END) is an
 * error with a reason; the caller moves the file to corrupt/ and logs it.
 * Memory is bounded by QFILE_REC_MAX per record.  Nothing here logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qfile.h"
#include "record.h"

/* Parser state of one envelope read. */
struct env_state {
	struct qfile_env *env;
	int	seen_arrival;
	int	seen_flags;
	int	seen_sender;
	int	content_state;	/* 0 none yet, 1 in content, 2 content ended */
	size_t	rcpt_cap;
	size_t	attr_cap;
};

static int
bad(struct strbuf *why, const struct rec *rec, const char *what)
{
	strbuf_set_printf(why, "offset %lld: %s", (long long)rec->off, what);
	return -1;
}

/* The V record: magic and a version we know. */
static int
parse_version(const struct rec *rec, const struct strbuf *d, struct strbuf *why)
{
	size_t	mlen = sizeof(QFILE_MAGIC) - 1;

	if (rec->type != QREC_VERSION)
		return bad(why, rec, "first record is not the version record");
	if (d->len != mlen + 4 || memcmp(d->data, QFILE_MAGIC, mlen) != 0)
		return bad(why, rec, "bad magic in version record");
	if (rec_be32_get((const unsigned char *)d->data + mlen) != QFILE_VERSION)
		return bad(why, rec, "unsupported queue file version");
	return 0;
}

/* R: status, notify, u16 alen, addr, u16 olen, orcpt. */
static int
parse_rcpt(struct env_state *s, const struct rec *rec, const struct strbuf *d,
    struct strbuf *why)
{
	const unsigned char *p = (const unsigned char *)d->data;
	struct qfile_rcpt *r;
	size_t	alen, olen;

	if (d->len < 6)
		return bad(why, rec, "short recipient record");
	if (p[0] != QF_RCPT_PENDING && p[0] != QF_RCPT_DONE)
		return bad(why, rec, "bad recipient status byte");
	if (p[1] > 0x0f)
		return bad(why, rec, "bad recipient notify byte");
	alen = rec_be16_get(p + 2);
	if (alen == 0 || 4 + alen + 2 > d->len)
		return bad(why, rec, "bad recipient address length");
	olen = rec_be16_get(p + 4 + alen);
	if (4 + alen + 2 + olen != d->len)
		return bad(why, rec, "bad recipient orcpt length");
	if (memchr(p + 4, 0, alen) || memchr(p + 6 + alen, 0, olen))
		return bad(why, rec, "NUL in recipient record");
	if (s->env->nrcpt == s->rcpt_cap) {
		s->rcpt_cap = s->rcpt_cap ? 2 * s->rcpt_cap : 4;
		s->env->rcpts = xreallocarray(s->env->rcpts, s->rcpt_cap,
		    sizeof(*s->env->rcpts));
	}
	r = &s->env->rcpts[s->env->nrcpt++];
	r->status = p[0];
	r->notify = p[1];
	r->addr = xstrndup((const char *)p + 4, alen);
	r->orcpt = olen ? xstrndup((const char *)p + 6 + alen, olen) : NULL;
	r->status_off = rec->data_off;
	return 0;
}

/* A: name NUL value, name non-empty, no second NUL. */
static int
parse_attr(struct env_state *s, const struct rec *rec, const struct strbuf *d,
    struct strbuf *why)
{
	const char *nul = memchr(d->data, 0, d->len);
	struct qfile_attr *a;
	size_t	nlen;

	if (nul == NULL || nul == d->data)
		return bad(why, rec, "bad attribute name");
	nlen = (size_t)(nul - d->data);
	if (memchr(nul + 1, 0, d->len - nlen - 1))
		return bad(why, rec, "NUL in attribute value");
	if (s->env->nattr == s->attr_cap) {
		s->attr_cap = s->attr_cap ? 2 * s->attr_cap : 8;
		s->env->attrs = xreallocarray(s->env->attrs, s->attr_cap,
		    sizeof(*s->env->attrs));
	}
	a = &s->env->attrs[s->env->nattr++];
	a->name = xstrndup(d->data, nlen);
	a->value = xstrndup(nul + 1, d->len - nlen - 1);
	return 0;
}

/* One envelope record after the version record (not C or E). */
static int
parse_env_rec(struct env_state *s, const struct rec *rec,
    const struct strbuf *d, struct strbuf *why)
{
	switch (rec->type) {
	case QREC_ARRIVAL:
		if (s->seen_arrival++ || d->len != 8)
			return bad(why, rec, "bad or repeated arrival record");
		s->env->arrival = (int64_t)rec_be64_get((const unsigned char *)d->data);
		return 0;
	case QREC_FLAGS:
		if (s->seen_flags++ || d->len != 4)
			return bad(why, rec, "bad or repeated flags record");
		s->env->flags = (int)(rec_be32_get((const unsigned char *)d->data) & 0x7fffffff);
		s->env->flags_off = rec->data_off;
		return 0;
	case QREC_SENDER:
		if (s->seen_sender++)
			return bad(why, rec, "repeated sender record");
		if (memchr(d->data, 0, d->len))
			return bad(why, rec, "NUL in sender");
		s->env->sender = xstrndup(d->data, d->len);
		return 0;
	case QREC_RCPT:
		return parse_rcpt(s, rec, d, why);
	case QREC_ATTR:
		return parse_attr(s, rec, d, why);
	default:	/* V again: the reader's type set has nothing else */
		return bad(why, rec, "repeated version record");
	}
}

static int
rec_error(struct strbuf *why, const struct rec_reader *rd, int st)
{
	if (st == REC_EOF)
		strbuf_set_printf(why, "offset %lld: no end record (unfinished file)",
		    (long long)rd->off);
	else if (st == REC_IOERR)
		strbuf_set_printf(why, "offset %lld: read error: %s",
		    (long long)rd->off, strerror(errno));
	else
		strbuf_set_printf(why, "offset %lld: %s", (long long)rd->off,
		    rec_status_str(st));
	return -1;
}

/* After E: the file must end right there. */
static int
check_end(struct rec_reader *rd, const struct rec *rec, struct strbuf *why)
{
	unsigned char c;
	ssize_t	got;

	if (rec->len != 0)
		return bad(why, rec, "end record with data");
	do
		got = pread(rd->fd, &c, 1, rd->off);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return rec_error(why, rd, REC_IOERR);
	if (got > 0)
		return bad(why, rec, "data after the end record");
	return 0;
}

/* The semantic checks once every record was read. */
static int
check_complete(const struct env_state *s, struct strbuf *why)
{
	if (!s->seen_sender)
		strbuf_set_printf(why, "no sender record");
	else if (!s->seen_arrival)
		strbuf_set_printf(why, "no arrival record");
	else if (s->env->nrcpt == 0)
		strbuf_set_printf(why, "no recipient records");
	else
		return 0;
	return -1;
}

/* The record loop of qfile_read_envelope(). */
static int
read_records(struct rec_reader *rd, struct env_state *s, struct strbuf *d,
    struct strbuf *why)
{
	struct rec rec;
	int	st;

	if ((st = rec_next(rd, &rec, d)) != REC_OK)
		return rec_error(why, rd, st);
	if (parse_version(&rec, d, why) < 0)
		return -1;
	for (;;) {
		/* Content is skipped (data NULL) but its presence checked. */
		if ((st = rec_next(rd, &rec, NULL)) != REC_OK)
			return rec_error(why, rd, st);
		if (rec.type == QREC_END) {
			if (s->content_state == 0)
				s->env->content_off = rec.off;
			return check_end(rd, &rec, why);
		}
		if (rec.type == QREC_CONTENT) {
			if (s->content_state == 2)
				return bad(why, &rec, "content records are not contiguous");
			if (s->content_state == 0)
				s->env->content_off = rec.off;
			s->content_state = 1;
			s->env->content_size += (int64_t)rec.len;
			continue;
		}
		if (s->content_state == 1)
			s->content_state = 2;
		/* Re-read the (small) envelope record with its data. */
		rd->off = rec.off;
		if ((st = rec_next(rd, &rec, d)) != REC_OK)
			return rec_error(why, rd, st);
		if (parse_env_rec(s, &rec, d, why) < 0)
			return -1;
	}
}

int
qfile_read_envelope(int fd, struct qfile_env **out, struct strbuf *why)
{
	struct rec_reader *rd = xmalloc(sizeof(*rd));
	struct env_state s;
	struct strbuf d;
	int	r;

	memset(&s, 0, sizeof(s));
	s.env = xcalloc(1, sizeof(*s.env));
	strbuf_init(&d, QFILE_REC_MAX);
	rec_reader_init(rd, fd, 0, QFILE_REC_MAX, QREC_TYPES);
	r = read_records(rd, &s, &d, why);
	if (r == 0)
		r = check_complete(&s, why);
	if (r == 0 && s.env->sender == NULL)
		s.env->sender = xstrdup("");
	strbuf_release(&d);
	free(rd);
	if (r < 0) {
		qfile_env_free(s.env);
		*out = NULL;
		return -1;
	}
	*out = s.env;
	return 0;
}

void
qfile_env_free(struct qfile_env *env)
{
	size_t	i;

	if (env == NULL)
		return;
	for (i = 0; i < env->nrcpt; i++) {
		free(env->rcpts[i].addr);
		free(env->rcpts[i].orcpt);
	}
	for (i = 0; i < env->nattr; i++) {
		free(env->attrs[i].name);
		free(env->attrs[i].value);
	}
	free(env->rcpts);
	free(env->attrs);
	free(env->sender);
	free(env);
}

const char *
qfile_env_attr(const struct qfile_env *env, const char *name)
{
	size_t	i;

	for (i = 0; i < env->nattr; i++)
		if (strcmp(env->attrs[i].name, name) == 0)
			return env->attrs[i].value;
	return NULL;
}

int
qfile_read_content(int fd, off_t *off, struct strbuf *chunk, struct strbuf *why)
{
	struct rec_reader *rd = xmalloc(sizeof(*rd));
	struct rec rec;
	int	st;

	rec_reader_init(rd, fd, *off, QFILE_REC_MAX, QREC_TYPES);
	/* Peek at the type first, so the end of the content (the first
	 * envelope or END record) costs no data read. */
	st = rec_next(rd, &rec, NULL);
	if (st == REC_OK && rec.type != QREC_CONTENT) {
		free(rd);
		return 0;
	}
	if (st == REC_OK) {
		rd->off = *off;
		st = rec_next(rd, &rec, chunk);
	}
	if (st != REC_OK) {
		rec_error(why, rd, st);
		free(rd);
		return -1;
	}
	*off = rd->off;
	free(rd);
	return 1;
}

int
qfile_mark_rcpt(int fd, const struct qfile_rcpt *r, int status)
{
	unsigned char old, new = (unsigned char)status;
	ssize_t	n;

	if (status != QF_RCPT_PENDING && status != QF_RCPT_DONE) {
		errno = EINVAL;
		return -1;
	}
	/* The offset came from a reader, maybe by way of another process:
	 * only ever overwrite a byte that is a status byte. */
	do
		n = pread(fd, &old, 1, r->status_off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0 || (old != QF_RCPT_PENDING && old != QF_RCPT_DONE)) {
		errno = EINVAL;
		return -1;
	}
	do
		n = pwrite(fd, &new, 1, r->status_off);
	while (n < 0 && errno == EINTR);
	if (n != 1) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

int
qfile_set_flag(int fd, struct qfile_env *env, int flag)
{
	unsigned char old[4], new[4];
	ssize_t	n;

	if (env->flags_off <= 0 || flag <= 0) {
		errno = EINVAL;
		return -1;
	}
	/* As for a status byte: the bytes there must be this file's flags
	 * record as we read it, or nothing is written. */
	do
		n = pread(fd, old, sizeof(old), env->flags_off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n != (ssize_t)sizeof(old) ||
	    (int)(rec_be32_get(old) & 0x7fffffff) != env->flags) {
		errno = EINVAL;
		return -1;
	}
	rec_be32_put(new, (uint32_t)(env->flags | flag));
	do
		n = pwrite(fd, new, sizeof(new), env->flags_off);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(new)) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	env->flags |= flag;
	return 0;
}
