/*
 * ctl/ctl_init.c — `tegami init DIR [--port-base N]`: a self-contained
 * instance (configuration, queue, mailboxes, log) in one directory.
 *
 * This is how tests, benchmarks and `make run` get a mail system without
 * touching /etc or /var: main.cf points every path into DIR, the SMTP
 * service listens on 127.0.0.1:N+25, local mail lands in DIR/mail.  As
 * root the daemons still run as an unprivileged mail_owner (`tegami`,
 * created when missing); as an ordinary user, as that user.  A self-signed
 * certificate in DIR/tls makes STARTTLS work out of the box (ctl_tls.c).
 * Errors are printed; an existing main.cf is never overwritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "conf.h"
#include "ctl.h"
#include "mail_params.h"
#include "map.h"
#include "qfile.h"
#include "strbuf.h"

#define CTL_DEF_PORT_BASE	2500
#define CTL_ROOT_OWNER		"tegami"
#define CTL_ROOT_DROP_GROUP	"tegami-drop"

/* Append a main.cf value: '$' is doubled so a path is taken literally. */
static int
put_value(struct strbuf *out, const char *name, const char *value)
{
	int r = strbuf_printf(out, "%s =%s", name, *value ? " " : "");

	for (; r == 0 && *value; value++)
		r = *value == '$' ? strbuf_append_str(out, "$$") :
		    strbuf_append_char(out, *value);
	return r < 0 ? -1 : strbuf_append_char(out, '\n');
}

int
ctl_init_main_cf(const struct ctl_init_opts *o, struct strbuf *out)
{
	struct strbuf path;
	int r = 0;

	strbuf_init(&path, PATH_MAX);
	r |= strbuf_printf(out, "# main.cf of a tegami instance, made by "
	    "`tegami init %s`.\n# Every path points into the instance; all "
	    "other parameters keep\n# their defaults (`tegami -c %s conf -d`)."
	    "\n\n", o->dir, o->dir);
	r |= strbuf_set_printf(&path, "%s/spool", o->dir);
	r |= put_value(out, "queue_directory", path.data);
	r |= put_value(out, "daemon_directory", o->daemon_dir);
	r |= put_value(out, "command_directory", o->command_dir);
	r |= strbuf_set_printf(&path, "%s/maillog", o->dir);
	r |= put_value(out, "maillog_file", path.data);
	r |= put_value(out, "mail_owner", o->mail_owner);
	r |= put_value(out, "setgid_group", o->setgid_group);
	r |= strbuf_append_str(out, "\n# Mail for these domains is delivered "
	    "here, every local part to\n# its own mailbox under "
	    "instance_mailbox_base.\n");
	r |= strbuf_append_str(out, "mydestination = $myhostname, "
	    "localhost.$mydomain, localhost\n");
	r |= strbuf_set_printf(&path, "%s/mail", o->dir);
	r |= put_value(out, "instance_mailbox_base", path.data);
	r |= put_value(out, "local_recipient_maps", "");
	r |= strbuf_set_printf(&path, "hash:%s/aliases", o->dir);
	r |= put_value(out, "alias_maps", path.data);
	r |= put_value(out, "alias_database", path.data);
	r |= put_value(out, "inet_interfaces", "127.0.0.1");
	r |= strbuf_append_str(out, "\n# STARTTLS with the self-signed "
	    "certificates init made (RSA and ECDSA),\n# as Debian's snakeoil "
	    "does for a fresh Postfix.\n");
	r |= put_value(out, "smtpd_tls_security_level", "may");
	r |= strbuf_set_printf(&path, "%s/tls/cert.pem", o->dir);
	r |= put_value(out, "smtpd_tls_cert_file", path.data);
	r |= strbuf_set_printf(&path, "%s/tls/key.pem", o->dir);
	r |= put_value(out, "smtpd_tls_key_file", path.data);
	r |= strbuf_set_printf(&path, "%s/tls/eccert.pem", o->dir);
	r |= put_value(out, "smtpd_tls_eccert_file", path.data);
	r |= strbuf_set_printf(&path, "%s/tls/eckey.pem", o->dir);
	r |= put_value(out, "smtpd_tls_eckey_file", path.data);
	strbuf_release(&path);
	return r ? -1 : 0;
}

int
ctl_init_master_cf(const struct ctl_init_opts *o, struct strbuf *out)
{
	int r = 0;

	r |= strbuf_printf(out, "# master.cf of a tegami instance, made by "
	    "`tegami init %s`.\n#\n", o->dir);
	r |= strbuf_append_str(out, "# service type  private unpriv  chroot  "
	    "wakeup  maxproc command + args\n");
	r |= strbuf_printf(out, "127.0.0.1:%d inet n - n - - smtpd\n",
	    o->port_base + 25);
	/* Submission (submission(8)): STARTTLS on N+87, TLS from the first
	 * byte on N+65; AUTH and mandatory TLS are submission's defaults. */
	r |= strbuf_printf(out, "127.0.0.1:%d inet n - n - - submission\n",
	    o->port_base + 87);
	r |= strbuf_printf(out, "127.0.0.1:%d inet n - n - - submission\n"
	    "  -o smtpd_tls_wrappermode=yes\n", o->port_base + 65);
	r |= strbuf_append_str(out,
	    "pickup    unix  n       -       n       60      1       pickup\n"
	    "cleanup   unix  -       -       n       -       0       cleanup\n"
	    "qmgr      unix  n       -       n       300     1       qmgr\n"
	    "local     unix  -       n       n       -       -       local\n"
	    "smtp      unix  -       -       n       -       -       smtp\n"
	    "relay     unix  -       -       n       -       -       smtp\n"
	    "lmtp      unix  -       -       n       -       -       smtp\n"
	    "showq     unix  n       -       n       -       -       showq\n"
	    "anvil     unix  -       -       n       -       1       anvil\n"
	    "auth      unix  -       -       n       -       1       auth -o max_use=1000000\n");
	return r ? -1 : 0;
}

/* Run a command (no shell); its exit status, or -1. */
static int
run_cmd(char *const av[])
{
	pid_t pid;
	int status;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		execvp(av[0], av);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* As root: the system user and group the instance needs. */
static int
ensure_accounts(void)
{
	char *groupadd[] = { "groupadd", "--system", CTL_ROOT_DROP_GROUP, NULL };
	char *useradd[] = { "useradd", "--system", "--no-create-home",
	    "--shell", "/usr/sbin/nologin", CTL_ROOT_OWNER, NULL };

	if (getgrnam(CTL_ROOT_DROP_GROUP) == NULL) {
		if (run_cmd(groupadd) != 0 && getgrnam(CTL_ROOT_DROP_GROUP) == NULL) {
			ctl_error("cannot create group %s", CTL_ROOT_DROP_GROUP);
			return -1;
		}
		ctl_msg("created group %s", CTL_ROOT_DROP_GROUP);
	}
	if (getpwnam(CTL_ROOT_OWNER) == NULL) {
		if (run_cmd(useradd) != 0 && getpwnam(CTL_ROOT_OWNER) == NULL) {
			ctl_error("cannot create user %s", CTL_ROOT_OWNER);
			return -1;
		}
		ctl_msg("created system user %s", CTL_ROOT_OWNER);
	}
	return 0;
}

/* BINDIR (of this program) and BINDIR/../libexec/tegami. */
static int
find_dirs(char *bindir, char *daemondir)
{
	char exe[PATH_MAX], tmp[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		ctl_error("readlink /proc/self/exe: %s", strerror(errno));
		return -1;
	}
	exe[n] = '\0';
	snprintf(bindir, PATH_MAX, "%s", dirname(exe));
	if (snprintf(tmp, sizeof(tmp), "%s/../libexec/tegami", bindir) >=
	    (int)sizeof(tmp))
		return -1;
	if (realpath(tmp, daemondir) == NULL) {
		ctl_warn("%s: %s", tmp, strerror(errno));
		snprintf(daemondir, PATH_MAX, "%s", tmp);
	}
	return 0;
}

static int
write_new_file(const char *path, const struct strbuf *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text->data, text->len) != (ssize_t)text->len ||
	    close(fd) < 0) {
		ctl_error("%s: %s", path, strerror(errno));
		return -1;
	}
	ctl_msg("created %s", path);
	return 0;
}

static int
make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		ctl_error("mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	if (chmod(path, mode) < 0) {
		ctl_error("chmod %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The unprivileged daemons must reach DIR: warn about closed parents. */
static void
warn_parents(const char *dir)
{
	char path[PATH_MAX], *slash;
	struct stat st;

	snprintf(path, sizeof(path), "%s", dir);
	while ((slash = strrchr(path, '/')) != NULL && slash != path) {
		*slash = '\0';
		if (stat(path, &st) == 0 && (st.st_mode & 0001) == 0)
			ctl_warn("%s is not searchable by others; mail_owner "
			    "cannot reach the instance", path);
	}
}

/* PATH_MAX buf = dir/sub; -1 (and a message) when too long. */
static int
path_join(char *buf, const char *dir, const char *sub)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, sub) >= PATH_MAX) {
		ctl_error("%s/%s: name too long", dir, sub);
		return -1;
	}
	return 0;
}

/* Queue, mailbox directory and log file, owned by mail_owner as root. */
static int
make_tree(const struct ctl_init_opts *o)
{
	struct strbuf err;
	char path[PATH_MAX];
	struct passwd *pw = NULL;
	struct group *gr;
	int fd;

	if (geteuid() == 0 && (pw = getpwnam(o->mail_owner)) == NULL) {
		ctl_error("mail_owner %s: no such user", o->mail_owner);
		return -1;
	}
	if (path_join(path, o->dir, "spool") < 0)
		return -1;
	strbuf_init(&err, 1024);
	if (make_dir(path, 0755) < 0 || qfile_make_dirs(path, &err) < 0) {
		if (err.len)
			ctl_error("%s", err.data);
		strbuf_release(&err);
		return -1;
	}
	strbuf_release(&err);
	if (pw != NULL) {
		gr = getgrnam(o->setgid_group);
		if (qfile_chown_dirs(path, pw->pw_uid, pw->pw_gid,
		    gr ? gr->gr_gid : pw->pw_gid) < 0) {
			ctl_error("chown %s: %s", path, strerror(errno));
			return -1;
		}
		if (path_join(path, o->dir, "spool/" QDIR_PID) < 0)
			return -1;
		if (chown(path, 0, 0) < 0 || chmod(path, 0755) < 0)
			ctl_warn("chown %s: %s", path, strerror(errno));
	}
	ctl_msg("created %s/spool", o->dir);
	if (path_join(path, o->dir, "mail") < 0 || make_dir(path, 0755) < 0)
		return -1;
	if (pw != NULL && chown(path, pw->pw_uid, pw->pw_gid) < 0)
		ctl_warn("chown %s: %s", path, strerror(errno));
	ctl_msg("created %s", path);
	if (path_join(path, o->dir, "maillog") < 0)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) >= 0) {
		if (pw != NULL && fchown(fd, pw->pw_uid, pw->pw_gid) < 0)
			ctl_warn("chown %s: %s", path, strerror(errno));
		close(fd);
	}
	return 0;
}

/* The instance's aliases file and its database (as newaliases builds). */
static int
make_aliases(const char *dir)
{
	static const char text[] =
	    "# Aliases of this tegami instance (aliases(5)).  After a change,\n"
	    "# run: tegami -c DIR alias   (or newaliases -C DIR)\n"
	    "postmaster: root\n"
	    "MAILER-DAEMON: postmaster\n";
	char path[PATH_MAX + 16];
	struct strbuf body, err;
	int r;

	snprintf(path, sizeof(path), "%s/aliases", dir);
	strbuf_init(&body, sizeof(text));
	(void)strbuf_append_str(&body, text);
	r = access(path, F_OK) == 0 ? 0 : write_new_file(path, &body);
	strbuf_release(&body);
	if (r < 0)
		return -1;
	strbuf_init(&err, 4096);
	snprintf(path, sizeof(path), "hash:%s/aliases", dir);
	if ((r = map_build(path, MAP_BUILD_ALIASES, &err)) < 0)
		ctl_error("%s", err.data);
	strbuf_release(&err);
	return r;
}

static int
init_usage(void)
{
	ctl_error("usage: tegami init DIR [--port-base N]");
	return 1;
}

int
ctl_cmd_init(int argc, char **argv)
{
	char dir[PATH_MAX], bindir[PATH_MAX], daemondir[PATH_MAX];
	char path[PATH_MAX + 16], owner[256], group[256];
	struct ctl_init_opts o;
	struct strbuf text;
	const char *arg = NULL;
	struct passwd *pw;
	struct group *gr;
	char *end;
	long base = CTL_DEF_PORT_BASE;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port-base") == 0 && i + 1 < argc) {
			base = strtol(argv[++i], &end, 10);
			if (*end != '\0' || base < 1 || base > 65535 - 25)
				return init_usage();
		} else if (arg == NULL && argv[i][0] != '-')
			arg = argv[i];
		else
			return init_usage();
	}
	if (arg == NULL)
		return init_usage();
	if (make_dir(arg, 0755) < 0)
		return 1;
	if (realpath(arg, dir) == NULL) {
		ctl_error("%s: %s", arg, strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/main.cf", dir);
	if (access(path, F_OK) == 0) {
		ctl_error("%s exists; not overwriting an instance", path);
		return 1;
	}
	if (find_dirs(bindir, daemondir) < 0)
		return 1;
	if (geteuid() == 0) {
		if (ensure_accounts() < 0)
			return 1;
		snprintf(owner, sizeof(owner), "%s", CTL_ROOT_OWNER);
		snprintf(group, sizeof(group), "%s", CTL_ROOT_DROP_GROUP);
	} else {
		if ((pw = getpwuid(getuid())) == NULL) {
			ctl_error("who am I? uid %ld has no name", (long)getuid());
			return 1;
		}
		snprintf(owner, sizeof(owner), "%s", pw->pw_name);
		gr = getgrgid(pw->pw_gid);
		snprintf(group, sizeof(group), "%s", gr ? gr->gr_name : owner);
	}
	o = (struct ctl_init_opts){ dir, daemondir, bindir, owner, group,
	    (int)base };

	strbuf_init(&text, 65536);
	if (ctl_init_main_cf(&o, &text) < 0 || write_new_file(path, &text) < 0)
		return 1;
	strbuf_reset(&text);
	snprintf(path, sizeof(path), "%s/master.cf", dir);
	if (ctl_init_master_cf(&o, &text) < 0 || (access(path, F_OK) != 0 &&
	    write_new_file(path, &text) < 0))
		return 1;
	strbuf_release(&text);
	if (make_tree(&o) < 0 || make_aliases(dir) < 0)
		return 1;
	conf_register(mail_params_common);	/* for $myhostname's default */
	if (ctl_tls_make_certs(dir, conf_value("myhostname")) < 0)
		return 1;
	if (geteuid() == 0)
		warn_parents(dir);
	printf("tegami: instance ready in %s (SMTP on 127.0.0.1:%ld)\n"
	    "  start it:  %s/tegami -c %s start\n"
	    "  send mail: swaks --server 127.0.0.1:%ld --to you@localhost\n"
	    "  mail lands in %s/mail/, the log is %s/maillog\n",
	    dir, base + 25, bindir, dir, base + 25, dir, dir);
	return 0;
}
