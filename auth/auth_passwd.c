/*
 * auth/auth_passwd.c — the password file of auth(8) ($smtpd_sasl_password_file).
 *
 * Lines are "user:hash" (further ":fields" are ignored), '#' comments and
 * blank lines.  A malformed line (no ':', a bad user name, a hash that is
 * not a crypt(3) "$id$..." string, a duplicate user) is skipped with a
 * warning naming the file and line, and the others keep working.  Hashes
 * are checked with crypt_rn(3) (libxcrypt: yescrypt, sha512-crypt, bcrypt)
 * and compared in constant time; an unknown user costs a dummy crypt.
 * Nothing here is fatal; the file is read once by the caller (as root).
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "log.h"

#define PASSWD_FILE_MAX	(64 * 1024 * 1024)
#define PASSWD_LINE_MAX	4096

struct passwd_entry {
	char   *user;
	char   *hash;
};

struct auth_passwd {
	struct passwd_entry *v;
	size_t	n, cap;
};

static int
hash_ok(const char *h, size_t len)
{
	size_t i;

	if (len < 4 || h[0] != '$')
		return (0);
	for (i = 0; i < len; i++)
		if ((unsigned char)h[i] <= ' ' || (unsigned char)h[i] >= 0x7f)
			return (0);
	return (1);
}

static void
passwd_add(struct auth_passwd *p, const char *user, size_t ulen,
    const char *hash, size_t hlen)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 16;
		p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
	}
	p->v[p->n].user = xstrndup(user, ulen);
	p->v[p->n].hash = xstrndup(hash, hlen);
	p->n++;
}

/* One line (without its newline); warns and returns on a bad one. */
static void
passwd_line(struct auth_passwd *p, const char *name, long lineno,
    const char *s, size_t len)
{
	const char *colon, *hash, *end;
	size_t i, ulen;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	for (i = 0; i < len && (s[i] == ' ' || s[i] == '\t'); i++)
		;
	if (i == len || s[i] == '#')
		return;
	if (len > PASSWD_LINE_MAX) {
		log_warn("%s, line %ld: line too long; ignored", name, lineno);
		return;
	}
	colon = memchr(s, ':', len);
	if (colon == NULL) {
		log_warn("%s, line %ld: expected \"user:hash\"; ignored", name,
		    lineno);
		return;
	}
	ulen = (size_t)(colon - s);
	if (!auth_name_ok(s, ulen) || memchr(s, ' ', ulen) != NULL ||
	    memchr(s, '\t', ulen) != NULL) {
		log_warn("%s, line %ld: bad user name; ignored", name, lineno);
		return;
	}
	hash = colon + 1;
	end = memchr(hash, ':', len - ulen - 1);
	if (end == NULL)
		end = s + len;
	if (!hash_ok(hash, (size_t)(end - hash))) {
		log_warn("%s, line %ld: user %.*s: not a crypt(3) hash; ignored",
		    name, lineno, (int)ulen, s);
		return;
	}
	for (i = 0; i < p->n; i++)
		if (strlen(p->v[i].user) == ulen &&
		    memcmp(p->v[i].user, s, ulen) == 0) {
			log_warn("%s, line %ld: duplicate user %.*s; the first "
			    "line wins", name, lineno, (int)ulen, s);
			return;
		}
	passwd_add(p, s, ulen, hash, (size_t)(end - hash));
}

struct auth_passwd *
auth_passwd_parse(const char *name, const char *text, size_t len)
{
	struct auth_passwd *p = xcalloc(1, sizeof(*p));
	const char *s = text, *nl, *end = text + len;
	long lineno = 0;

	while (s < end) {
		lineno++;
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		if (memchr(s, '\0', (size_t)(nl - s)) != NULL)
			log_warn("%s, line %ld: NUL byte; ignored", name, lineno);
		else
			passwd_line(p, name, lineno, s, (size_t)(nl - s));
		s = nl + 1;
	}
	return (p);
}

struct auth_passwd *
auth_passwd_load(const char *path)
{
	struct auth_passwd *p;
	struct strbuf buf;
	char chunk[8192];
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (NULL);
	strbuf_init(&buf, PASSWD_FILE_MAX);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (strbuf_append(&buf, chunk, (size_t)n) < 0) {
			n = -1;
			errno = EFBIG;
			break;
		}
	}
	saved = errno;
	close(fd);
	if (n < 0) {
		strbuf_release(&buf);
		errno = saved;
		return (NULL);
	}
	p = auth_passwd_parse(path, buf.data, buf.len);
	strbuf_release(&buf);
	return (p);
}

void
auth_passwd_free(struct auth_passwd *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		free(p->v[i].user);
		explicit_bzero(p->v[i].hash, strlen(p->v[i].hash));
		free(p->v[i].hash);
	}
	free(p->v);
	free(p);
}

size_t
auth_passwd_count(const struct auth_passwd *p)
{
	return (p->n);
}

const char *
auth_passwd_hash(const struct auth_passwd *p, const char *user)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].user, user) == 0)
			return (p->v[i].hash);
	return (NULL);
}

/* A setting for the dummy crypt of unknown users: yescrypt, the default
 * cost, made once. */
static const char *
dummy_setting(void)
{
	static char setting[CRYPT_GENSALT_OUTPUT_SIZE];

	if (setting[0] == '\0' &&
	    crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof(setting)) == NULL)
		strcpy(setting, "$6$tegamidummysalt");
	return (setting);
}

int
auth_passwd_verify(const struct auth_passwd *p, const char *user,
    const char *pass)
{
	struct crypt_data *cd;
	const char *hash, *out;
	size_t hl;
	int r;

	hash = auth_passwd_hash(p, user);
	cd = xcalloc(1, sizeof(*cd));
	out = crypt_rn(pass, hash != NULL ? hash : dummy_setting(), cd,
	    sizeof(*cd));
	if (hash == NULL)
		r = -1;
	else if (out == NULL || out[0] == '*') {
		log_warn("auth: user %s: crypt failed on the stored hash: %s",
		    user, strerror(errno));
		r = -1;
	} else {
		hl = strlen(hash);
		r = (strlen(out) == hl && CRYPTO_memcmp(out, hash, hl) == 0) ?
		    0 : -1;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return (r);
}
