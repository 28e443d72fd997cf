/*
 * lib/ipc.c — attribute frames between tegami processes (lib/ipc.h,
 * doc/ipc.md).
 *
 * Every daemon-to-daemon exchange goes through here.  The peer is
 * untrusted, even when it is another tegami daemon: a frame's length is
 * checked against the reader's limit before anything is allocated for it,
 * every attribute is checked (type, name syntax, length, NUL in strings,
 * integer size), and a bad frame is an error with a reason for the caller's
 * log line, never a crash.  Sending or adding a bad name is our own bug and
 * panics.  I/O waits with poll(2) against one deadline per frame, so a slow
 * peer cannot stretch a timeout by trickling bytes.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "record.h"

#define IPC_HDR_LEN	4
#define TEXT_VALUE_MAX	100	/* ipc_msg_to_text shortens longer values */

struct ipc_attr {
	int	type;
	char	name[IPC_NAME_MAX + 1];
	char   *value;		/* len bytes + a NUL (strings are C strings) */
	size_t	len;
};

struct ipc_msg {
	struct ipc_attr *attrs;
	size_t	n;
	size_t	cap;
};

struct ipc_msg *
ipc_msg_new(void)
{
	return xcalloc(1, sizeof(struct ipc_msg));
}

void
ipc_msg_reset(struct ipc_msg *m)
{
	size_t	i;

	for (i = 0; i < m->n; i++)
		free(m->attrs[i].value);
	m->n = 0;
}

void
ipc_msg_free(struct ipc_msg *m)
{
	if (m == NULL)
		return;
	ipc_msg_reset(m);
	free(m->attrs);
	free(m);
}

/* 1..IPC_NAME_MAX bytes of [a-z0-9_]. */
static int
name_valid(const char *name, size_t len)
{
	size_t	i;

	if (len == 0 || len > IPC_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return 0;
	return 1;
}

static void
msg_add(struct ipc_msg *m, int type, const char *name, size_t nlen,
    const void *p, size_t len)
{
	struct ipc_attr *a;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		m->attrs = xreallocarray(m->attrs, m->cap, sizeof(*m->attrs));
	}
	a = &m->attrs[m->n++];
	a->type = type;
	memcpy(a->name, name, nlen);
	a->name[nlen] = 0;
	a->value = xmalloc(len + 1);
	if (len > 0)
		memcpy(a->value, p, len);
	a->value[len] = 0;
	a->len = len;
}

/* Adding a bad name or an oversized value is a bug in the caller. */
static void
put_checked(struct ipc_msg *m, int type, const char *name, const void *p,
    size_t len)
{
	size_t	nlen = strlen(name);

	if (!name_valid(name, nlen))
		log_panic("ipc: bad attribute name \"%.70s\"", name);
	if (len > REC_LEN_MAX)
		log_panic("ipc: attribute %s too long", name);
	msg_add(m, type, name, nlen, p, len);
}

void
ipc_put_str(struct ipc_msg *m, const char *name, const char *value)
{
	put_checked(m, IPC_T_STR, name, value, strlen(value));
}

void
ipc_put_int(struct ipc_msg *m, const char *name, int64_t value)
{
	unsigned char b[8];

	rec_be64_put(b, (uint64_t)value);
	put_checked(m, IPC_T_INT, name, b, sizeof(b));
}

void
ipc_put_bytes(struct ipc_msg *m, const char *name, const void *p, size_t n)
{
	put_checked(m, IPC_T_BYTES, name, p, n);
}

/* The n-th attribute called name with the given type, or NULL. */
static const struct ipc_attr *
find(const struct ipc_msg *m, const char *name, int type, size_t n)
{
	size_t	i;

	for (i = 0; i < m->n; i++)
		if (m->attrs[i].type == type && strcmp(m->attrs[i].name, name) == 0 &&
		    n-- == 0)
			return &m->attrs[i];
	return NULL;
}

const char *
ipc_get_str_n(const struct ipc_msg *m, const char *name, size_t n)
{
	const struct ipc_attr *a = find(m, name, IPC_T_STR, n);

	return a ? a->value : NULL;
}

const char *
ipc_get_str(const struct ipc_msg *m, const char *name)
{
	return ipc_get_str_n(m, name, 0);
}

int
ipc_get_int_n(const struct ipc_msg *m, const char *name, size_t n, int64_t *out)
{
	const struct ipc_attr *a = find(m, name, IPC_T_INT, n);

	if (a == NULL)
		return -1;
	*out = (int64_t)rec_be64_get((const unsigned char *)a->value);
	return 0;
}

int
ipc_get_int(const struct ipc_msg *m, const char *name, int64_t *out)
{
	return ipc_get_int_n(m, name, 0, out);
}

const void *
ipc_get_bytes(const struct ipc_msg *m, const char *name, size_t *len)
{
	const struct ipc_attr *a = find(m, name, IPC_T_BYTES, 0);

	if (a == NULL)
		return NULL;
	*len = a->len;
	return a->value;
}

size_t
ipc_count(const struct ipc_msg *m, const char *name)
{
	size_t	i, c = 0;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->attrs[i].name, name) == 0)
			c++;
	return c;
}

int
ipc_encode(const struct ipc_msg *m, struct strbuf *out)
{
	unsigned char b[4];
	size_t	old = out->len, total = 0, i, nlen;
	const struct ipc_attr *a;

	for (i = 0; i < m->n; i++) {
		a = &m->attrs[i];
		total += 1 + 1 + strlen(a->name) + 4 + a->len;
		if (total > REC_LEN_MAX)
			return -1;
	}
	rec_be32_put(b, (uint32_t)total);
	if (strbuf_append(out, b, 4) < 0)
		return -1;
	for (i = 0; i < m->n; i++) {
		a = &m->attrs[i];
		nlen = strlen(a->name);
		b[0] = (unsigned char)a->type;
		b[1] = (unsigned char)nlen;
		if (strbuf_append(out, b, 2) < 0 ||
		    strbuf_append(out, a->name, nlen) < 0)
			goto toolong;
		rec_be32_put(b, (uint32_t)a->len);
		if (strbuf_append(out, b, 4) < 0 ||
		    strbuf_append(out, a->value, a->len) < 0)
			goto toolong;
	}
	return 0;
toolong:
	strbuf_truncate(out, old);
	return -1;
}

/* Parse one attribute at p (at most left bytes); its size or -1. */
static ssize_t
decode_attr(struct ipc_msg *m, const unsigned char *p, size_t left,
    struct strbuf *why)
{
	const unsigned char *val;
	size_t	nlen, vlen;
	int	type;

	if (left < 2)
		goto trunc;
	type = p[0];
	nlen = p[1];
	if (type != IPC_T_STR && type != IPC_T_INT && type != IPC_T_BYTES) {
		strbuf_set_printf(why, "bad attribute type 0x%02x", type);
		return -1;
	}
	if (left < 2 + nlen + 4)
		goto trunc;
	if (!name_valid((const char *)p + 2, nlen)) {
		strbuf_set_printf(why, "bad attribute name");
		return -1;
	}
	vlen = rec_be32_get(p + 2 + nlen);
	if (vlen > left - (2 + nlen + 4))
		goto trunc;
	val = p + 2 + nlen + 4;
	if (type == IPC_T_INT && vlen != 8) {
		strbuf_set_printf(why, "integer attribute of %zu bytes", vlen);
		return -1;
	}
	if (type == IPC_T_STR && memchr(val, 0, vlen) != NULL) {
		strbuf_set_printf(why, "NUL in string attribute");
		return -1;
	}
	msg_add(m, type, (const char *)p + 2, nlen, val, vlen);
	return (ssize_t)(2 + nlen + 4 + vlen);
trunc:
	strbuf_set_printf(why, "attribute runs past the end of its frame");
	return -1;
}

int
ipc_decode(const void *buf, size_t len, size_t limit, struct ipc_msg **out,
    size_t *consumed, struct strbuf *why)
{
	const unsigned char *p = buf;
	struct ipc_msg *m;
	size_t	plen, off;
	ssize_t	n;

	if (len < IPC_HDR_LEN)
		return 0;
	plen = rec_be32_get(p);
	if (plen > limit) {
		strbuf_set_printf(why, "frame of %zu bytes exceeds the limit of %zu",
		    plen, limit);
		return -1;
	}
	if (len - IPC_HDR_LEN < plen)
		return 0;
	m = ipc_msg_new();
	p += IPC_HDR_LEN;
	for (off = 0; off < plen; off += (size_t)n) {
		n = decode_attr(m, p + off, plen - off, why);
		if (n < 0) {
			ipc_msg_free(m);
			return -1;
		}
	}
	*out = m;
	*consumed = IPC_HDR_LEN + plen;
	return 1;
}

/* ---- blocking I/O with one deadline per frame ---- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for `events` or the deadline passes (0 = none).
 * 0 / -1 with errno (ETIMEDOUT). */
static int
wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int64_t	left;
	int	r;

	for (;;) {
		left = deadline ? deadline - now_ms() : -1;
		if (deadline && left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static int64_t
deadline_of(int timeout_ms)
{
	return timeout_ms > 0 ? now_ms() + timeout_ms : 0;
}

int
ipc_send(int fd, const struct ipc_msg *m, int timeout_ms)
{
	struct strbuf frame;
	int64_t	deadline = deadline_of(timeout_ms);
	size_t	off = 0;
	ssize_t	w;
	int	r = 0;

	strbuf_init(&frame, STRBUF_NOLIMIT);
	if (ipc_encode(m, &frame) < 0) {
		errno = EMSGSIZE;
		r = -1;
	}
	while (r == 0 && off < frame.len) {
		if ((r = wait_fd(fd, POLLOUT, deadline)) < 0)
			break;
		/* MSG_NOSIGNAL: a peer that went away is an error, not a
		 * SIGPIPE that kills the daemon. */
		w = send(fd, frame.data + off, frame.len - off,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == ENOTSOCK)
			w = write(fd, frame.data + off, frame.len - off);
		if (w < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (w < 0)
			r = -1;
		else
			off += (size_t)w;
	}
	strbuf_release(&frame);
	return r;
}

/* Read exactly n bytes: n, fewer at end of stream, -1 on error/timeout. */
static ssize_t
read_deadline(int fd, void *buf, size_t n, int64_t deadline)
{
	char   *cp = buf;
	size_t	got = 0;
	ssize_t	r;

	while (got < n) {
		if (wait_fd(fd, POLLIN, deadline) < 0)
			return -1;
		r = read(fd, cp + got, n - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
ipc_recv(int fd, size_t limit, int timeout_ms, struct ipc_msg **out,
    struct strbuf *why)
{
	int64_t	deadline = deadline_of(timeout_ms);
	unsigned char hdr[IPC_HDR_LEN];
	unsigned char *frame;
	size_t	plen, consumed;
	ssize_t	got;
	int	r;

	got = read_deadline(fd, hdr, sizeof(hdr), deadline);
	if (got == 0)
		return 0;
	if (got < 0 || (size_t)got < sizeof(hdr))
		goto ioerr;
	plen = rec_be32_get(hdr);
	if (plen > limit) {
		strbuf_set_printf(why, "frame of %zu bytes exceeds the limit of %zu",
		    plen, limit);
		return -1;
	}
	frame = xmalloc(sizeof(hdr) + plen);
	memcpy(frame, hdr, sizeof(hdr));
	got = read_deadline(fd, frame + sizeof(hdr), plen, deadline);
	if (got < 0 || (size_t)got < plen) {
		free(frame);
		goto ioerr;
	}
	r = ipc_decode(frame, sizeof(hdr) + plen, limit, out, &consumed, why);
	free(frame);
	return r == 1 ? 1 : -1;
ioerr:
	if (got >= 0)
		strbuf_set_printf(why, "truncated frame (end of stream)");
	else if (errno == ETIMEDOUT)
		strbuf_set_printf(why, "timeout reading frame");
	else
		strbuf_set_printf(why, "read frame: %s", strerror(errno));
	return -1;
}

/* ---- text for logs ---- */

static void
text_value(struct strbuf *out, const struct ipc_attr *a)
{
	size_t	i, n = a->len < TEXT_VALUE_MAX ? a->len : TEXT_VALUE_MAX;
	unsigned char c;

	if (a->type == IPC_T_INT) {
		strbuf_printf(out, "%lld",
		    (long long)(int64_t)rec_be64_get((const unsigned char *)a->value));
		return;
	}
	if (a->type == IPC_T_BYTES) {
		strbuf_printf(out, "<%zu bytes>", a->len);
		return;
	}
	strbuf_append_char(out, '"');
	for (i = 0; i < n; i++) {
		c = (unsigned char)a->value[i];
		if (c == '"' || c == '\\')
			strbuf_printf(out, "\\%c", c);
		else if (c >= 0x20 && c < 0x7f)
			strbuf_append_char(out, (char)c);
		else
			strbuf_printf(out, "\\x%02x", c);
	}
	if (n < a->len)
		strbuf_append_str(out, "...");
	strbuf_append_char(out, '"');
}

void
ipc_msg_to_text(const struct ipc_msg *m, struct strbuf *out)
{
	size_t	i;

	for (i = 0; i < m->n; i++) {
		if (i > 0)
			strbuf_append_str(out, ", ");
		strbuf_printf(out, "%s=", m->attrs[i].name);
		text_value(out, &m->attrs[i]);
	}
}
