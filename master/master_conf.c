/*
 * master/master_conf.c — master's options, main.cf, the queue directories.
 *
 * master reads main.cf through lib/mail_params (plus its own table) and
 * copies what it needs into struct master_config, so that a reload whose
 * main.cf is broken leaves the running settings intact.  As root it makes
 * the queue directories and the log file belong to mail_owner, so that the
 * unprivileged daemons can use them.
 * Errors: bad usage and a broken environment at start-up are fatal;
 * master_conf_load returns its errors (reload warns and carries on).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <grp.h>
#include <sys/stat.h>

#include "master.h"
#include "master_params.h"
#include "conf.h"
#include "log.h"
#include "mail_params.h"
#include "privsep.h"
#include "qfile.h"
#include "strbuf.h"

struct master_state master = { .pid_fd = -1 };

static void
master_usage(void)
{
	log_fatal("usage: master [-c config_dir] [-f] [-v]");
}

void
master_args(int argc, char **argv)
{
	char real[PATH_MAX];
	const char *dir = NULL;
	int c;

	while ((c = getopt(argc, argv, "c:fv")) != -1) {
		switch (c) {
		case 'c':
			dir = optarg;
			break;
		case 'f':
			master.foreground = 1;
			break;
		case 'v':
			master.verbose = 1;
			break;
		default:
			master_usage();
		}
	}
	if (optind != argc)
		master_usage();
	if (dir == NULL)
		dir = getenv(CONFIG_DIR_ENV);
	if (dir == NULL || *dir == '\0')
		dir = DEF_CONFIG_DIR;
	/* master chdirs to / when it detaches; children get an absolute -c. */
	if (realpath(dir, real) == NULL)
		log_fatal_errno("config directory %s", dir);
	master.conf.config_dir = xstrdup(real);
}

int
master_conf_load(struct master_config *conf, struct strbuf *err)
{
	char *dir;

	conf_reset();
	conf_register(master_params);
	if (mail_params_load(master.conf.config_dir, NULL, err) < 0)
		return -1;
	dir = xstrdup(master.conf.config_dir);
	if (conf == &master.conf)	/* start-up: replaces master_args' copy */
		free(conf->config_dir);
	conf->config_dir = dir;
	conf->queue_dir = xstrdup(var_queue_dir);
	conf->daemon_dir = xstrdup(var_daemon_dir);
	conf->mail_owner = xstrdup(var_mail_owner);
	conf->setgid_group = xstrdup(var_setgid_group);
	conf->inet_interfaces = xstrdup(var_inet_interfaces);
	conf->maillog_file = xstrdup(var_maillog_file);
	conf->process_limit = var_default_process_limit;
	conf->throttle_max = var_service_throttle_time;
	return 0;
}

void
master_conf_free(struct master_config *conf)
{
	free(conf->config_dir);
	free(conf->queue_dir);
	free(conf->daemon_dir);
	free(conf->mail_owner);
	free(conf->setgid_group);
	free(conf->inet_interfaces);
	free(conf->maillog_file);
	memset(conf, 0, sizeof(*conf));
}

void
master_log_start(void)
{
	/* -f (foreground): the file, and stderr as well. */
	log_also_stderr(master.foreground);
	if (master.conf.maillog_file != NULL && *master.conf.maillog_file)
		log_init("master", LOG_DEST_FILE, master.conf.maillog_file);
	else
		log_init("master", master.foreground ? LOG_DEST_STDERR :
		    LOG_DEST_SYSLOG, NULL);
	log_set_verbose(master.verbose || var_verbose);
}

void
master_owner_ids(uid_t *uid, gid_t *gid)
{
	if (privsep_user(master.conf.mail_owner, uid, gid) == 0)
		return;
	if (geteuid() == 0)
		log_fatal("mail_owner %s: no such user", master.conf.mail_owner);
	*uid = geteuid();
	*gid = getegid();
}

/* The daemons run as mail_owner and append to maillog_file themselves. */
static void
master_log_file_init(uid_t uid, gid_t gid)
{
	int fd;

	if (master.conf.maillog_file == NULL || *master.conf.maillog_file == '\0')
		return;
	fd = open(master.conf.maillog_file, O_WRONLY | O_APPEND | O_CREAT |
	    O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0640);
	if (fd < 0) {
		log_warn_errno("open %s", master.conf.maillog_file);
		return;
	}
	if (geteuid() == 0 && fchown(fd, uid, gid) < 0)
		log_warn_errno("chown %s", master.conf.maillog_file);
	close(fd);
}

void
master_queue_init(void)
{
	struct strbuf err;
	char path[PATH_MAX];
	struct group *gr;
	uid_t uid;
	gid_t gid, drop_gid;

	strbuf_init(&err, 1024);
	if (mkdir(master.conf.queue_dir, 0755) < 0 && errno != EEXIST)
		log_fatal_errno("mkdir %s", master.conf.queue_dir);
	if (qfile_make_dirs(master.conf.queue_dir, &err) < 0)
		log_fatal("queue directory %s: %s", master.conf.queue_dir,
		    err.data);
	strbuf_release(&err);
	master_owner_ids(&uid, &gid);
	if (geteuid() == 0) {
		if ((gr = getgrnam(master.conf.setgid_group)) != NULL)
			drop_gid = gr->gr_gid;
		else {
			log_warn("setgid_group %s: no such group",
			    master.conf.setgid_group);
			drop_gid = gid;
		}
		if (qfile_chown_dirs(master.conf.queue_dir, uid, gid,
		    drop_gid) < 0)
			log_fatal_errno("chown %s", master.conf.queue_dir);
		/* pid/ stays root's: only master writes there. */
		if (snprintf(path, sizeof(path), "%s/%s", master.conf.queue_dir,
		    QDIR_PID) >= (int)sizeof(path))
			log_fatal("queue directory name too long");
		if (chown(path, 0, 0) < 0 || chmod(path, 0755) < 0)
			log_fatal_errno("chown %s", path);
	}
	master_log_file_init(uid, gid);
}
