/*
 * ctl/ctl_check.c — `tegami check`: is this configuration fit to start?
 *
 * Loads main.cf with every daemon's parameter table registered, so that
 * every known name is checked and every unknown one is reported (warning,
 * with file and line); qmgr's per-transport names (<service>_destination_
 * concurrency_limit ...) are known for every service in master.cf.
 * Errors: a value that does not convert, a master.cf that does not parse,
 * a mail_owner that does not exist (as root), a program named in master.cf
 * that is not in daemon_directory (for start and reload only master
 * itself; a missing daemon is a warning).  Queue
 * directories that are missing or owned by someone else are warnings:
 * master creates and fixes them when it starts.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "ctl.h"
#include "mail_params.h"
#include "mastercf.h"
#include "privsep.h"
#include "qfile.h"
#include "strbuf.h"

struct ctl_check {
	int	quiet;
	int	for_start;		/* missing daemons are warnings */
	int	errors;
	char  **services;		/* master.cf service names, NULL-terminated */
};

/* qmgr's per-transport parameters (<transport>_destination_...); weak so
 * that a build without qmgr still links. */
extern int qmgr_params_transport_known(const char *name,
    const char *const *services, struct strbuf *err) __attribute__((weak));

/* The service names of master.cf (transports for qmgr's parameters). */
static char **
master_services(void)
{
	struct mastercf_entry *e;
	struct strbuf err;
	char path[PATH_MAX], **v;
	size_t n, i;

	snprintf(path, sizeof(path), "%s/master.cf", ctl_config_dir);
	strbuf_init(&err, 4096);
	if (mastercf_read(path, (int)var_default_process_limit, &e, &n,
	    &err) < 0)
		n = 0, e = NULL;	/* check_master_cf says why */
	strbuf_release(&err);
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = xstrdup(e[i].service);
	if (e != NULL)
		mastercf_free(e, n);
	return v;
}

static void
check_unknown(const char *name, const char *file, int line, void *ctx)
{
	const char *classes = conf_value("smtpd_restriction_classes");

	struct ctl_check *c = ctx;
	struct strbuf err;
	int known = 0;

	/* A restriction class (Postfix's smtpd_restriction_classes) is a
	 * name the administrator defines in main.cf. */
	if (classes != NULL && conf_list_contains(classes, name))
		return;
	/* smtp_destination_concurrency_limit and the like, for any
	 * transport in master.cf (Postfix's <transport>_ parameters). */
	if (qmgr_params_transport_known != NULL && c->services != NULL) {
		strbuf_init(&err, 1024);
		known = qmgr_params_transport_known(name,
		    (const char *const *)c->services, &err);
		if (known < 0) {
			ctl_error("%s", err.data);
			c->errors++;
		}
		strbuf_release(&err);
		if (known != 0)
			return;
	}
	/* Always said, start included: a misspelt name silently ignored is
	 * the worst kind of configuration bug. */
	ctl_warn("%s, line %d: unknown parameter %s", file, line, name);
}

static void
check_program(struct ctl_check *c, const char *cmd, const char *where)
{
	char path[PATH_MAX];

	if (cmd[0] == '/')
		snprintf(path, sizeof(path), "%s", cmd);
	else if (snprintf(path, sizeof(path), "%s/%s", var_daemon_dir, cmd) >=
	    (int)sizeof(path)) {
		ctl_error("%s: program name too long", where);
		c->errors++;
		return;
	}
	if (access(path, X_OK) >= 0)
		return;
	/* start goes ahead: master logs the failed exec and throttles that
	 * one service, and the rest of the mail system runs. */
	if (c->for_start && strcmp(cmd, "master") != 0) {
		ctl_warn("%s: %s: %s", where, path, strerror(errno));
		return;
	}
	ctl_error("%s: %s: %s", where, path, strerror(errno));
	c->errors++;
}

static void
check_master_cf(struct ctl_check *c)
{
	struct mastercf_entry *e;
	struct strbuf err;
	char path[PATH_MAX], where[PATH_MAX + 32];
	size_t n, i;

	snprintf(path, sizeof(path), "%s/master.cf", ctl_config_dir);
	strbuf_init(&err, 4096);
	if (mastercf_read(path, (int)var_default_process_limit, &e, &n,
	    &err) < 0) {
		ctl_error("%s", err.data);
		c->errors++;
		strbuf_release(&err);
		return;
	}
	strbuf_release(&err);
	check_program(c, "master", "daemon_directory");
	for (i = 0; i < n; i++) {
		snprintf(where, sizeof(where), "%s, line %d", e[i].file,
		    e[i].line);
		if (strcmp(e[i].type, "inet") != 0 &&
		    strcmp(e[i].type, "unix") != 0) {
			ctl_error("%s: service type %s is not supported", where,
			    e[i].type);
			c->errors++;
		}
		check_program(c, e[i].argv[0], where);
		/* Columns tegami reads but does not act on, or that give a
		 * network-facing daemon root: say so (warnings, not errors). */
		if (e[i].chroot)
			ctl_warn("%s: service %s: the chroot column is not "
			    "implemented; the service runs without chroot", where,
			    e[i].service);
		if (!e[i].unpriv && strcmp(e[i].argv[0], "local") != 0)
			ctl_warn("%s: service %s: unpriv n runs %s as root; only "
			    "local needs that", where, e[i].service, e[i].argv[0]);
	}
	mastercf_free(e, n);
}

static void
check_queue(struct ctl_check *c, uid_t uid)
{
	static const char *const dirs[] = { QDIR_MAILDROP, QDIR_INCOMING,
	    QDIR_ACTIVE, QDIR_DEFERRED, QDIR_HOLD, QDIR_CORRUPT, QDIR_PUBLIC,
	    QDIR_PRIVATE };
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	if (stat(var_queue_dir, &st) < 0) {
		if (!c->quiet)
			ctl_warn("queue_directory %s: %s (master creates it)",
			    var_queue_dir, strerror(errno));
		return;
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", var_queue_dir, dirs[i]);
		if (stat(path, &st) < 0) {
			if (!c->quiet)
				ctl_warn("%s: %s (master creates it)", path,
				    strerror(errno));
		} else if (!S_ISDIR(st.st_mode)) {
			ctl_error("%s: not a directory", path);
			c->errors++;
		} else if (geteuid() == 0 && st.st_uid != uid && !c->quiet)
			ctl_warn("%s: owner is uid %ld, not mail_owner %s "
			    "(master fixes it)", path, (long)st.st_uid,
			    var_mail_owner);
	}
}

int
ctl_check_run(int for_start)
{
	struct ctl_check c = { for_start, for_start, 0, NULL };
	int quiet = for_start;
	const char *const *missing;
	struct strbuf err;
	uid_t uid = 0;
	gid_t gid;

	strbuf_init(&err, 4096);
	if (ctl_load_config(1, &err) < 0) {
		ctl_error("%s", err.data);
		strbuf_release(&err);
		return -1;
	}
	strbuf_release(&err);
	c.services = master_services();
	conf_foreach_unknown(check_unknown, &c);
	for (char **sv = c.services; *sv != NULL; sv++)
		free(*sv);
	free(c.services);
	c.services = NULL;
	for (missing = ctl_params_missing(); *missing != NULL; missing++)
		if (!quiet)
			ctl_warn("parameter table %s is not built in; its "
			    "parameters are reported as unknown", *missing);
	if (privsep_user(var_mail_owner, &uid, &gid) < 0 && geteuid() == 0) {
		ctl_error("mail_owner %s: no such user", var_mail_owner);
		c.errors++;
	} else if (uid == 0 && geteuid() == 0) {
		ctl_error("mail_owner %s must not be root", var_mail_owner);
		c.errors++;
	}
	if (geteuid() == 0 && getgrnam(var_setgid_group) == NULL && !quiet)
		ctl_warn("setgid_group %s: no such group", var_setgid_group);
	check_master_cf(&c);
	check_queue(&c, uid);
	return c.errors > 0 ? -1 : 0;
}

int
ctl_cmd_check(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		ctl_error("usage: tegami check");
		return 1;
	}
	return ctl_check_run(0) < 0 ? 1 : 0;
}
