/*
 * auth/auth_dovecot.c — Dovecot's auth client protocol (version 1), the
 * "dovecot" backend of auth(8).
 *
 * One connection to Dovecot per exchange: VERSION + CPID, then Dovecot's
 * VERSION, MECH, ..., DONE; then AUTH / CONT lines, answered by CONT, OK
 * or FAIL.  Responses and challenges travel base64-encoded.  Dovecot is
 * trusted no more than a client: every read has a deadline
 * ($auth_dovecot_timeout) and a length limit, and anything unexpected
 * (missing socket, slowness, garbage, a reply for another id) is a
 * temporary failure, never a success.  Nothing here is fatal.
 * XXX the waits block auth's one process: while Dovecot is slow, other
 * exchanges wait too (each at most $auth_dovecot_timeout per step).  A
 * Dovecot that answers slowly fails everybody anyway.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "auth.h"
#include "log.h"
#include "netio.h"

#define DOVECOT_LINE_MAX	16384
#define DOVECOT_MECHS_MAX	1024

/* The mechanisms we relay (others, e.g. ANONYMOUS or GSSAPI, are not
 * offered even when Dovecot has them). */
static const char *const relay_mechs[] = {
	"PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256", NULL
};

struct auth_dovecot {
	int	fd;
	int	timeout_ms;
	unsigned id;
	struct strbuf in;		/* unread bytes from Dovecot */
	struct strbuf mechs;		/* " PLAIN LOGIN " */
};

/* ---- base64 (OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock) ---- */

static int
b64_encode(const void *p, size_t n, struct strbuf *out)
{
	size_t need = 4 * ((n + 2) / 3);
	size_t old = out->len;

	if (need > out->max - out->len)
		return (-1);
	/* Grow by appending filler, then encode over it (EVP_EncodeBlock
	 * also writes a NUL at data[len], which a strbuf always has room
	 * for). */
	while (out->len < old + need)
		if (strbuf_append_char(out, '=') < 0)
			return (-1);
	EVP_EncodeBlock((unsigned char *)out->data + old, p, (int)n);
	return (0);
}

static int
b64_decode(const char *s, size_t n, struct strbuf *out)
{
	unsigned char *buf;
	int r, pad = 0;

	strbuf_reset(out);
	if (n == 0)
		return (0);
	if (n % 4 != 0 || n > 4 * (AUTH_RESP_MAX + 2) / 3 + 4)
		return (-1);
	if (s[n - 1] == '=')
		pad++;
	if (s[n - 2] == '=')
		pad++;
	buf = xmalloc(n);
	r = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
	if (r < 0 || r < pad || strbuf_append(out, buf, (size_t)(r - pad)) < 0)
		r = -1;
	free(buf);
	return (r < 0 ? -1 : 0);
}

/* ---- line I/O with deadlines ---- */

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Read one line into line (without "\n"). 0, or -1 with why. */
static int
dovecot_read_line(struct auth_dovecot *d, struct strbuf *line,
    struct strbuf *why)
{
	long deadline = now_ms() + d->timeout_ms;
	struct pollfd pfd;
	char buf[4096];
	char *nl;
	ssize_t n;
	long left;
	int pr;

	for (;;) {
		if ((nl = memchr(d->in.data, '\n', d->in.len)) != NULL) {
			strbuf_reset(line);
			strbuf_append(line, d->in.data, (size_t)(nl - d->in.data));
			strbuf_consume(&d->in, (size_t)(nl - d->in.data) + 1);
			if (memchr(line->data, '\0', line->len) != NULL) {
				strbuf_set_str(why, "NUL byte from Dovecot");
				return (-1);
			}
			return (0);
		}
		if ((left = deadline - now_ms()) <= 0) {
			strbuf_set_str(why, "timeout waiting for Dovecot");
			return (-1);
		}
		pfd.fd = d->fd;
		pfd.events = POLLIN;
		pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			strbuf_set_str(why, pr == 0 ? "timeout waiting for "
			    "Dovecot" : "poll failed");
			return (-1);
		}
		n = read(d->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			strbuf_set_str(why, n == 0 ? "Dovecot closed the "
			    "connection" : "read from Dovecot failed");
			return (-1);
		}
		if (strbuf_append(&d->in, buf, (size_t)n) < 0) {
			strbuf_set_str(why, "line from Dovecot too long");
			return (-1);
		}
	}
}

static int
dovecot_write(struct auth_dovecot *d, const struct strbuf *s)
{
	return (write_full(d->fd, s->data, s->len, d->timeout_ms));
}

/* Split line into at most max tab-separated fields (pointers into line,
 * which is modified).  Returns the count. */
static size_t
split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	while (n < max) {
		f[n++] = line;
		if ((line = strchr(line, '\t')) == NULL)
			break;
		*line++ = '\0';
	}
	return (n);
}

/* Dovecot's tab escaping: \001 then '1', 't', 'r' or 'n'. */
static int
unescape(const char *s, struct strbuf *out)
{
	strbuf_reset(out);
	for (; *s != '\0'; s++) {
		char c = *s;

		if (c == '\001') {
			switch (*++s) {
			case '1': c = '\001'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			default: return (-1);
			}
		}
		if (strbuf_append_char(out, c) < 0)
			return (-1);
	}
	return (0);
}

/* ---- handshake ---- */

static int
relayable(const char *mech)
{
	size_t i;

	for (i = 0; relay_mechs[i] != NULL; i++)
		if (strcasecmp(relay_mechs[i], mech) == 0)
			return (1);
	return (0);
}

struct auth_dovecot *
auth_dovecot_open(const char *path, int timeout_ms, struct strbuf *mechs,
    struct strbuf *why)
{
	struct auth_dovecot *d;
	struct strbuf line;
	char *f[4];
	size_t n;
	int fd, ok = 0, version = 0;

	if ((fd = unix_connect(path, timeout_ms)) < 0) {
		strbuf_set_printf(why, "connect to %s: %s", path,
		    strerror(errno));
		return (NULL);
	}
	d = xcalloc(1, sizeof(*d));
	d->fd = fd;
	d->timeout_ms = timeout_ms;
	strbuf_init(&d->in, DOVECOT_LINE_MAX);
	strbuf_init(&d->mechs, DOVECOT_MECHS_MAX);
	strbuf_init(&line, DOVECOT_LINE_MAX);
	strbuf_set_printf(&line, "VERSION\t1\t2\nCPID\t%ld\n", (long)getpid());
	if (dovecot_write(d, &line) < 0) {
		strbuf_set_printf(why, "write to %s: %s", path, strerror(errno));
		goto out;
	}
	strbuf_set_str(&d->mechs, " ");
	/* Bounded: every line costs a read with a deadline, and the input
	 * buffer and the mechanism list have maxima. */
	for (;;) {
		if (dovecot_read_line(d, &line, why) < 0)
			goto out;
		n = split_tabs(line.data, f, 4);
		if (strcmp(f[0], "VERSION") == 0) {
			if (n < 2 || strcmp(f[1], "1") != 0) {
				strbuf_set_str(why, "unsupported Dovecot "
				    "protocol version");
				goto out;
			}
			version = 1;
		} else if (strcmp(f[0], "MECH") == 0 && n >= 2) {
			if (relayable(f[1]) &&
			    (strbuf_append_str(&d->mechs, f[1]) < 0 ||
			    strbuf_append_char(&d->mechs, ' ') < 0)) {
				strbuf_set_str(why, "too many mechanisms");
				goto out;
			}
		} else if (strcmp(f[0], "DONE") == 0)
			break;
		/* SPID, CUID, COOKIE and anything newer: not needed. */
	}
	if (!version) {
		strbuf_set_str(why, "no VERSION line from Dovecot");
		goto out;
	}
	ok = 1;
	if (mechs != NULL) {
		strbuf_reset(mechs);
		if (d->mechs.len > 2)
			strbuf_append(mechs, d->mechs.data + 1, d->mechs.len - 2);
	}
out:
	strbuf_release(&line);
	if (!ok) {
		auth_dovecot_close(d);
		return (NULL);
	}
	return (d);
}

void
auth_dovecot_close(struct auth_dovecot *d)
{
	if (d == NULL)
		return;
	close(d->fd);
	strbuf_release(&d->in);
	strbuf_release(&d->mechs);
	free(d);
}

int
auth_dovecot_has_mech(const struct auth_dovecot *d, const char *mech)
{
	struct strbuf k;
	int r;

	strbuf_init(&k, 128);
	r = strbuf_printf(&k, " %s ", mech) == 0 &&
	    strcasestr(d->mechs.data, k.data) != NULL;
	strbuf_release(&k);
	return (r);
}

/* ---- replies ---- */

enum auth_result
auth_dovecot_parse_reply(const char *text, unsigned id,
    struct strbuf *challenge, struct strbuf *user, struct strbuf *reason)
{
	struct strbuf line, val;
	enum auth_result r = AUTH_R_TEMPFAIL;
	char *f[64], *end;
	unsigned long rid;
	size_t n, i;
	int temp = 0, have_user = 0;

	strbuf_init(&line, DOVECOT_LINE_MAX);
	strbuf_init(&val, DOVECOT_LINE_MAX);
	strbuf_set_str(reason, AUTH_REASON_TEMP);
	strbuf_reset(challenge);
	strbuf_reset(user);
	if (strbuf_set_str(&line, text) < 0)
		goto out;
	n = split_tabs(line.data, f, 64);
	if (n < 2)
		goto out;
	errno = 0;
	rid = strtoul(f[1], &end, 10);
	if (errno != 0 || *end != '\0' || end == f[1] || rid != id)
		goto out;
	if (strcmp(f[0], "CONT") == 0) {
		if (n != 3 || b64_decode(f[2], strlen(f[2]), challenge) < 0 ||
		    challenge->len > AUTH_RESP_MAX)
			goto out;
		r = AUTH_R_CONTINUE;
		goto out;
	}
	if (strcmp(f[0], "OK") != 0 && strcmp(f[0], "FAIL") != 0)
		goto out;
	for (i = 2; i < n; i++) {
		if (strcmp(f[i], "temp") == 0)
			temp = 1;
		else if (strncmp(f[i], "user=", 5) == 0) {
			if (unescape(f[i] + 5, &val) < 0 ||
			    !auth_name_ok(val.data, val.len))
				goto out;
			strbuf_set_str(user, val.data);
			have_user = 1;
		}
	}
	if (strcmp(f[0], "OK") == 0) {
		/* A success must name the user; anything less is not one. */
		if (have_user) {
			strbuf_reset(reason);
			r = AUTH_R_OK;
		}
	} else if (!temp) {
		strbuf_set_str(reason, AUTH_REASON_FAIL);
		r = AUTH_R_FAIL;
	}
out:
	if (r == AUTH_R_TEMPFAIL && !have_user)
		strbuf_reset(user);
	strbuf_release(&line);
	strbuf_release(&val);
	return (r);
}

static enum auth_result
dovecot_exchange(struct auth_dovecot *d, struct strbuf *out,
    struct strbuf *challenge, struct strbuf *user, struct strbuf *reason)
{
	struct strbuf line, why;
	enum auth_result r;

	strbuf_init(&line, DOVECOT_LINE_MAX);
	strbuf_init(&why, 256);
	if (dovecot_write(d, out) < 0) {
		log_warn("auth: dovecot: write: %s", strerror(errno));
		r = AUTH_R_TEMPFAIL;
	} else if (dovecot_read_line(d, &line, &why) < 0) {
		log_warn("auth: dovecot: %s", why.data);
		r = AUTH_R_TEMPFAIL;
	} else {
		r = auth_dovecot_parse_reply(line.data, d->id, challenge, user,
		    reason);
		if (r == AUTH_R_TEMPFAIL && strncmp(line.data, "FAIL\t", 5) != 0)
			log_warn("auth: dovecot: unexpected reply");
	}
	if (r == AUTH_R_TEMPFAIL)
		strbuf_set_str(reason, AUTH_REASON_TEMP);
	explicit_bzero(out->data, out->len);
	strbuf_release(&line);
	strbuf_release(&why);
	return (r);
}

enum auth_result
auth_dovecot_start(struct auth_dovecot *d, const char *mech,
    const char *client_addr, int tls, int have_resp, const void *resp,
    size_t len, struct strbuf *challenge, struct strbuf *user,
    struct strbuf *reason)
{
	struct strbuf out;
	enum auth_result r;

	d->id = 1;
	strbuf_init(&out, DOVECOT_LINE_MAX);
	/* mech and client_addr were checked by the caller (no tabs or
	 * newlines: a known mechanism, a printable address). */
	strbuf_printf(&out, "AUTH\t%u\t%s\tservice=smtp\tnologin", d->id, mech);
	if (client_addr[0] != '\0')
		strbuf_printf(&out, "\trip=%s", client_addr);
	if (tls)
		strbuf_append_str(&out, "\tsecured");
	if (have_resp) {
		strbuf_append_str(&out, "\tresp=");
		if (b64_encode(resp, len, &out) < 0) {
			strbuf_release(&out);
			strbuf_set_str(reason, AUTH_REASON_FAIL);
			return (AUTH_R_FAIL);
		}
	}
	if (strbuf_append_char(&out, '\n') < 0) {
		strbuf_release(&out);
		strbuf_set_str(reason, AUTH_REASON_FAIL);
		return (AUTH_R_FAIL);
	}
	r = dovecot_exchange(d, &out, challenge, user, reason);
	strbuf_release(&out);
	return (r);
}

enum auth_result
auth_dovecot_step(struct auth_dovecot *d, const void *resp, size_t len,
    struct strbuf *challenge, struct strbuf *user, struct strbuf *reason)
{
	struct strbuf out;
	enum auth_result r;

	strbuf_init(&out, DOVECOT_LINE_MAX);
	strbuf_printf(&out, "CONT\t%u\t", d->id);
	if (b64_encode(resp, len, &out) < 0 ||
	    strbuf_append_char(&out, '\n') < 0) {
		strbuf_release(&out);
		strbuf_set_str(reason, AUTH_REASON_FAIL);
		return (AUTH_R_FAIL);
	}
	r = dovecot_exchange(d, &out, challenge, user, reason);
	strbuf_release(&out);
	return (r);
}
