/*
 * sendmail/postdrop.c — postdrop(8), the setgid helper that lets sendmail
 * put a message into QUEUE_DIR/maildrop (DESIGN §3).
 *
 * It runs with the caller's uid and the setgid_group's gid, so everything
 * about its invocation is untrusted: descriptors above 2 are closed, the
 * environment is cleared (TEGAMI_CONFIG_DIR is ignored), no lookup table or
 * Berkeley DB is ever opened (CVE-2017-10140), a configuration directory
 * other than the default needs root or alternate_config_directories, and
 * the stream on stdin is validated frame by frame and capped at
 * message_size_limit (maildrop_write.c).  Exit 0 once the file is committed
 * (whether or not the mail system runs: pickup finds it later), 75 on any
 * failure with the reason on stderr.
 */
#include <bsd/unistd.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "mail_params.h"
#include "netio.h"
#include "postdrop.h"
#include "sendmail.h"

static void __attribute__((noreturn, format(printf, 2, 3)))
postdrop_fatal(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "postdrop: fatal: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* Descriptors 0-2 open (a closed stderr must not become a queue file),
 * nothing else inherited. */
static void
sanitize_fds(void)
{
	int fd;

	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			exit(SM_EX_TEMPFAIL);
	closefrom(3);
}

/* Is dir, exactly as written, one of the list's entries?  (Paths are
 * case-sensitive: no case folding here, unlike conf_list_contains.) */
static int
config_dir_listed(const char *list_value, const char *dir)
{
	char **list = conf_split_list(list_value, NULL);
	int found = 0;
	size_t i;

	for (i = 0; list[i] != NULL && !found; i++)
		found = strcmp(list[i], dir) == 0;
	conf_free_list(list);
	return found;
}

/* A non-default -c from an ordinary user of the setgid program must be
 * listed in the default main.cf's alternate_config_directories. */
static void
authorize_config_dir(const char *dir)
{
	struct strbuf err;

	strbuf_init(&err, 4096);
	conf_register(sendmail_params);
	if (mail_params_load(DEF_CONFIG_DIR, NULL, &err) < 0)
		postdrop_fatal(SM_EX_TEMPFAIL, "%s", err.data);
	if (!config_dir_listed(var_alternate_config_dirs, dir))
		postdrop_fatal(SM_EX_USAGE, "-c %s: not listed in "
		    "alternate_config_directories", dir);
	conf_reset();
	strbuf_release(&err);
}

int
main(int argc, char **argv)
{
	int privileged = getegid() != getgid() || geteuid() != getuid();
	const char *config_dir = NULL;
	char id[QFILE_ID_LEN + 1];
	struct strbuf err;
	int c;

	sanitize_fds();
	umask(077);
	if (privileged)
		clearenv();
	log_init("postdrop", LOG_DEST_STDERR, NULL);
	while ((c = getopt(argc, argv, "c:v")) != -1) {
		if (c == 'c')
			config_dir = optarg;
		else if (c != 'v')
			postdrop_fatal(SM_EX_USAGE, "usage: postdrop [-c config_dir] [-v]");
	}
	if (privileged && getuid() != 0 && config_dir != NULL &&
	    strcmp(config_dir, DEF_CONFIG_DIR) != 0)
		authorize_config_dir(config_dir);
	strbuf_init(&err, 4096);
	conf_register(sendmail_params);
	if (mail_params_load(config_dir, NULL, &err) < 0)
		postdrop_fatal(SM_EX_TEMPFAIL, "%s", err.data);
	if (postdrop_write(STDIN_FILENO, getuid(), id, &err) < 0)
		postdrop_fatal(SM_EX_TEMPFAIL, "uid=%lu: %s", (unsigned long)getuid(),
		    err.data);
	/* A lost wake-up is harmless: pickup also scans maildrop/ on its
	 * timer, and finds the file after the next start. */
	(void)trigger_send(var_queue_dir, QDIR_PUBLIC, "pickup");
	strbuf_release(&err);
	return SM_EX_OK;
}
