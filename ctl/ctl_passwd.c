/*
 * ctl/ctl_passwd.c — `tegami passwd [-m METHOD] USER`: add a user to
 * $smtpd_sasl_password_file or change their password (auth(8)).
 *
 * The password comes from standard input when it is not a terminal (one
 * line), else from two prompts without echo.  It is hashed with crypt(3)
 * (yescrypt by default; -m sha512 or bcrypt) and the file is rewritten
 * atomically: a temporary file in the same directory, fsync, rename, fsync
 * of the directory.  A new file is mode 0600 (root's: auth reads it as
 * root before it drops privileges); an existing file keeps its mode and
 * owner.  Other lines, comments and malformed lines are kept as they are.
 * When the mail system runs, master is asked to reload, so auth re-reads
 * the file.  Errors are printed; the exit status is 1.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ctl.h"
#include "mail_params.h"
#include "strbuf.h"

extern char *var_sasl_password_file;	/* auth/auth_params.c */

#define PASSWD_MAX	1024
#define PASSWD_FILE_MAX	(64 * 1024 * 1024)

static int
passwd_user_ok(const char *u)
{
	size_t n = strlen(u);

	if (n == 0 || n > 256)
		return (0);
	for (; *u != '\0'; u++)
		if ((unsigned char)*u <= ' ' || *u == ':' || *u == 0x7f ||
		    (*u == '#' && n == strlen(u)))	/* a comment */
			return (0);
	return (1);
}

/* One line from fd (no echo when it is a terminal). 0 / -1. */
static int
read_secret(int fd, const char *prompt, struct strbuf *out)
{
	struct termios old, noecho;
	int tty = isatty(fd), r = 0;
	char c;
	ssize_t n;

	strbuf_reset(out);
	if (tty) {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (tcgetattr(fd, &old) < 0)
			return (-1);
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &noecho);
	}
	for (;;) {
		n = read(fd, &c, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || c == '\n')
			break;
		if (strbuf_append_char(out, c) < 0) {
			r = -1;
			break;
		}
	}
	if (tty) {
		tcsetattr(fd, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (out->len > 0 && out->data[out->len - 1] == '\r')
		strbuf_truncate(out, out->len - 1);
	return (r);
}

static int
get_password(struct strbuf *pw)
{
	struct strbuf again;
	int r = 0;

	if (read_secret(0, "New password: ", pw) < 0) {
		ctl_error("password too long (at most %d bytes)", PASSWD_MAX);
		return (-1);
	}
	if (isatty(0)) {
		strbuf_init(&again, PASSWD_MAX);
		if (read_secret(0, "Again: ", &again) < 0 ||
		    strcmp(again.data, pw->data) != 0) {
			ctl_error("the passwords differ");
			r = -1;
		}
		explicit_bzero(again.data, again.len);
		strbuf_release(&again);
	}
	if (r == 0 && (pw->len == 0 || memchr(pw->data, '\0', pw->len))) {
		ctl_error("empty password or NUL byte in it");
		r = -1;
	}
	return (r);
}

static int
make_hash(const char *method, const char *pw, struct strbuf *hash)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *prefix, *h;
	int r = -1;

	if (strcmp(method, "yescrypt") == 0)
		prefix = "$y$";
	else if (strcmp(method, "sha512") == 0)
		prefix = "$6$";
	else if (strcmp(method, "bcrypt") == 0)
		prefix = "$2b$";
	else {
		ctl_error("-m %s: expected yescrypt, sha512 or bcrypt", method);
		return (-1);
	}
	if (crypt_gensalt_rn(prefix, 0, NULL, 0, salt, sizeof(salt)) == NULL) {
		ctl_error("crypt_gensalt: %s", strerror(errno));
		return (-1);
	}
	cd = xcalloc(1, sizeof(*cd));
	h = crypt_rn(pw, salt, cd, sizeof(*cd));
	if (h == NULL || h[0] == '*')
		ctl_error("crypt: %s", strerror(errno));
	else
		r = strbuf_set_str(hash, h);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return (r);
}

/* The file's text with user's line replaced (or appended). */
static int
new_text(const char *path, const char *user, const char *hash,
    struct strbuf *out, int *found)
{
	struct strbuf old;
	char buf[8192];
	const char *s, *nl, *end, *rest;
	size_t ulen = strlen(user);
	ssize_t n;
	int fd;

	strbuf_init(&old, PASSWD_FILE_MAX);
	*found = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (strbuf_append(&old, buf, (size_t)n) < 0)
				break;
		close(fd);
		if (n != 0) {
			ctl_error("read %s: %s", path, n < 0 ? strerror(errno) :
			    "file too large");
			strbuf_release(&old);
			return (-1);
		}
	} else if (errno != ENOENT) {
		ctl_error("open %s: %s", path, strerror(errno));
		return (-1);
	}
	s = old.data;
	end = old.data + old.len;
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		if (!*found && (size_t)(nl - s) > ulen &&
		    memcmp(s, user, ulen) == 0 && s[ulen] == ':') {
			/* Keep extra fields after the hash. */
			rest = memchr(s + ulen + 1, ':', (size_t)(nl - s) - ulen - 1);
			strbuf_printf(out, "%s:%s", user, hash);
			if (rest != NULL)
				strbuf_append(out, rest, (size_t)(nl - rest));
			strbuf_append_char(out, '\n');
			*found = 1;
		} else {
			strbuf_append(out, s, (size_t)(nl - s));
			strbuf_append_char(out, '\n');
		}
		s = nl + 1;
	}
	if (!*found)
		strbuf_printf(out, "%s:%s\n", user, hash);
	strbuf_release(&old);
	return (0);
}

static int
write_atomic(const char *path, const struct strbuf *text)
{
	struct strbuf tmp;
	struct stat st;
	char *dcopy;
	int fd, dfd, have = stat(path, &st) == 0, r = -1;

	strbuf_init(&tmp, 4096);
	strbuf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		ctl_error("create %s: %s", tmp.data, strerror(errno));
		goto out;
	}
	if (have) {
		/* Keep the owner and mode an administrator chose. */
		if (fchown(fd, st.st_uid, st.st_gid) < 0 && geteuid() == 0)
			ctl_warn("chown %s: %s", tmp.data, strerror(errno));
		fchmod(fd, st.st_mode & 07777);
	}
	if (write(fd, text->data, text->len) != (ssize_t)text->len ||
	    fsync(fd) < 0) {
		ctl_error("write %s: %s", tmp.data, strerror(errno));
		close(fd);
		unlink(tmp.data);
		goto out;
	}
	close(fd);
	if (rename(tmp.data, path) < 0) {
		ctl_error("rename %s: %s", tmp.data, strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	dcopy = xstrdup(path);
	if ((dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dcopy);
	r = 0;
out:
	strbuf_release(&tmp);
	return (r);
}

int
ctl_cmd_passwd(int argc, char **argv)
{
	struct strbuf err, pw, hash, text;
	const char *method = "yescrypt", *user;
	int c, found, r = 1;
	pid_t pid;

	optind = 1;
	while ((c = getopt(argc, argv, "m:")) != -1) {
		if (c != 'm') {
			ctl_error("usage: tegami passwd [-m yescrypt|sha512|bcrypt] USER");
			return (1);
		}
		method = optarg;
	}
	if (optind != argc - 1) {
		ctl_error("usage: tegami passwd [-m yescrypt|sha512|bcrypt] USER");
		return (1);
	}
	user = argv[optind];
	if (!passwd_user_ok(user)) {
		ctl_error("bad user name (no white space, ':' or control "
		    "characters; at most 256 bytes)");
		return (1);
	}
	strbuf_init(&err, 4096);
	if (ctl_load_config(1, &err) < 0) {
		ctl_error("%s", err.data);
		strbuf_release(&err);
		return (1);
	}
	strbuf_release(&err);
	strbuf_init(&pw, PASSWD_MAX);
	strbuf_init(&hash, 512);
	strbuf_init(&text, PASSWD_FILE_MAX);
	if (get_password(&pw) < 0 || make_hash(method, pw.data, &hash) < 0 ||
	    new_text(var_sasl_password_file, user, hash.data, &text,
	    &found) < 0 || write_atomic(var_sasl_password_file, &text) < 0)
		goto out;
	ctl_msg("%s: %s user %s", var_sasl_password_file,
	    found ? "changed" : "added", user);
	if ((pid = ctl_pid_running(var_queue_dir)) > 0 && kill(pid, SIGHUP) == 0)
		ctl_msg("refreshing the mail system");
	r = 0;
out:
	explicit_bzero(pw.data, pw.len);
	strbuf_release(&pw);
	strbuf_release(&hash);
	strbuf_release(&text);
	return (r);
}
