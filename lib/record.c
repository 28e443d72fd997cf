/*
 * lib/record.c — typed, length-prefixed records: writer and bounded reader.
 *
 * Used by lib/qfile.c for queue files.  The reader treats the file as
 * untrusted: a length field is checked against the caller's limit before
 * any memory is set aside for it, and the end of the file inside a record
 * is "truncated", never a short record.  Reads go through pread(2) so the
 * reader never moves the fd's own offset and always knows where each record
 * starts.  Errors are returned; nothing here logs.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

void
rec_be16_put(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

void
rec_be32_put(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

void
rec_be64_put(unsigned char *p, uint64_t v)
{
	rec_be32_put(p, (uint32_t)(v >> 32));
	rec_be32_put(p + 4, (uint32_t)v);
}

uint16_t
rec_be16_get(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

uint32_t
rec_be32_get(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

uint64_t
rec_be64_get(const unsigned char *p)
{
	return ((uint64_t)rec_be32_get(p) << 32) | rec_be32_get(p + 4);
}

void
rec_header(unsigned char hdr[REC_HDR_LEN], int type, uint32_t len)
{
	hdr[0] = (unsigned char)type;
	rec_be32_put(hdr + 1, len);
}

int
rec_put(struct strbuf *out, int type, const void *data, size_t len)
{
	unsigned char hdr[REC_HDR_LEN];
	size_t	old = out->len;

	if (len > REC_LEN_MAX)
		return -1;
	rec_header(hdr, type, (uint32_t)len);
	if (strbuf_append(out, hdr, sizeof(hdr)) < 0)
		return -1;
	if (len > 0 && strbuf_append(out, data, len) < 0) {
		strbuf_truncate(out, old);
		return -1;
	}
	return 0;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *cp = p;
	ssize_t	w;

	while (n > 0) {
		w = write(fd, cp, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		cp += w;
		n -= (size_t)w;
	}
	return 0;
}

int
rec_write(int fd, int type, const void *data, size_t len)
{
	unsigned char hdr[REC_HDR_LEN];

	if (len > REC_LEN_MAX) {
		errno = EINVAL;
		return -1;
	}
	rec_header(hdr, type, (uint32_t)len);
	if (write_all(fd, hdr, sizeof(hdr)) < 0)
		return -1;
	return len > 0 ? write_all(fd, data, len) : 0;
}

void
rec_reader_init(struct rec_reader *r, int fd, off_t off, size_t max,
    const char *types)
{
	r->fd = fd;
	r->off = off;
	r->max = max;
	r->types = types;
	r->win_off = 0;
	r->win_len = 0;
}

/* pread until n bytes or the end of the file; bytes read or -1. */
static ssize_t
pread_all(int fd, void *buf, size_t n, off_t off)
{
	char   *cp = buf;
	size_t	got = 0;
	ssize_t	r;

	while (got < n) {
		r = pread(fd, cp + got, n - got, off + (off_t)got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * Make the window start at `off` unless it already holds `need` bytes from
 * there.  Returns how many bytes from off are in the window (may be fewer
 * than need at the end of the file), or -1 on a read error.
 */
static ssize_t
window_fill(struct rec_reader *r, off_t off, size_t need)
{
	ssize_t	got;

	if (off >= r->win_off && off - r->win_off <= (off_t)r->win_len) {
		size_t	have = r->win_len - (size_t)(off - r->win_off);

		if (have >= need)
			return (ssize_t)have;
	}
	got = pread_all(r->fd, r->win, sizeof(r->win), off);
	if (got < 0) {
		r->win_len = 0;
		return -1;
	}
	r->win_off = off;
	r->win_len = (size_t)got;
	return got;
}

/* Copy len data bytes at off into data, through the window. */
static int
read_data(struct rec_reader *r, off_t off, size_t len, struct strbuf *data)
{
	ssize_t	have;
	size_t	n;

	strbuf_reset(data);
	while (len > 0) {
		n = len < sizeof(r->win) ? len : sizeof(r->win);
		have = window_fill(r, off, n);
		if (have < 0)
			return REC_IOERR;
		if (have == 0)
			return REC_TRUNC;
		if ((size_t)have < n)
			n = (size_t)have;
		if (strbuf_append(data, r->win + (off - r->win_off), n) < 0)
			return REC_TOOLONG;
		off += (off_t)n;
		len -= n;
	}
	return REC_OK;
}

/* Check that the byte at off exists, without touching the window. */
static int
byte_exists(int fd, off_t off)
{
	unsigned char c;
	ssize_t	got = pread_all(fd, &c, 1, off);

	if (got < 0)
		return REC_IOERR;
	return got == 1 ? REC_OK : REC_TRUNC;
}

int
rec_next(struct rec_reader *r, struct rec *rec, struct strbuf *data)
{
	const unsigned char *hp;
	ssize_t	have;
	uint32_t len;
	int	type, st;

	have = window_fill(r, r->off, REC_HDR_LEN);
	if (have < 0)
		return REC_IOERR;
	if (have == 0)
		return REC_EOF;
	if (have < REC_HDR_LEN)
		return REC_TRUNC;
	hp = r->win + (r->off - r->win_off);
	type = hp[0];
	len = rec_be32_get(hp + 1);
	if (r->types != NULL && (type == 0 || strchr(r->types, type) == NULL))
		return REC_BADTYPE;
	if (len > r->max)
		return REC_TOOLONG;
	/* The offset cannot overflow: len fits 32 bits and off_t is 64. */
	rec->type = type;
	rec->off = r->off;
	rec->data_off = r->off + REC_HDR_LEN;
	rec->len = len;
	if (data != NULL)
		st = read_data(r, rec->data_off, len, data);
	else
		st = len > 0 ? byte_exists(r->fd, rec->data_off + len - 1) : REC_OK;
	if (st != REC_OK)
		return st;
	r->off = rec->data_off + (off_t)len;
	return REC_OK;
}

const char *
rec_status_str(int status)
{
	switch (status) {
	case REC_OK:
		return "ok";
	case REC_EOF:
		return "end of file";
	case REC_TRUNC:
		return "truncated record";
	case REC_TOOLONG:
		return "record too long";
	case REC_BADTYPE:
		return "unknown record type";
	case REC_IOERR:
		return "read error";
	default:
		return "unknown record status";
	}
}
