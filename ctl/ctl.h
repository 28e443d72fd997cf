/*
 * ctl/ctl.h — the `tegami` administration command, shared between its files.
 *
 * main.c         options and the command table
 * ctl_params.c   every daemon's parameter table (for conf and check)
 * ctl_init.c     init: a self-contained instance in a directory
 * ctl_daemon.c   start, stop, reload, status
 * ctl_pid.c      is master running? (its locked pid file)
 * ctl_check.c    check: main.cf, master.cf, queue, daemon programs
 * ctl_conf.c     conf: postconf-like queries and edits
 * ctl_qdump.c    qdump: print a queue file (postcat-like)
 * ctl_queue.c    queue: flush, list, delete, hold, release (postqueue,
 *                postsuper); links sendmail/mailq.c for the listing
 * ctl_map.c      map, alias: lookup tables (postmap, postalias)
 * ctl_tls.c      tls-selfsigned: a snakeoil certificate for smtpd
 * ctl_passwd.c   passwd: users of auth(8)'s password file
 *
 * Commands return the process exit status; they print for the user
 * (`tegami: ...` on stderr for trouble), they do not log.
 */
#ifndef TEGAMI_CTL_H
#define TEGAMI_CTL_H

#include <sys/types.h>
#include "strbuf.h"

/* The configuration directory: -c, else $TEGAMI_CONFIG_DIR, else
 * /etc/tegami (set by main before a command runs). */
extern const char *ctl_config_dir;

/* Messages to stderr, prefixed "tegami: " (and "warning: "/"fatal: "). */
void	ctl_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Register parameter tables: every daemon's (all != 0) or only the shared
 * ones and master's.  Missing tables (a daemon not linked) are skipped. */
void	ctl_params_register(int all);
/* The names of tables that were not linked in (NULL-terminated list). */
const char *const *ctl_params_missing(void);

/* Register tables and load CONFIG_DIR/main.cf: 0, or -1 with err. */
int	ctl_load_config(int all, struct strbuf *err);

int	ctl_cmd_init(int argc, char **argv);
/* ctl_tls.c: `tls-selfsigned [-f]`, and the certificates of init: the
 * self-signed pairs in CONFIG_DIR/tls for host cn (kept when present). */
int	ctl_cmd_tls_selfsigned(int argc, char **argv);
int	ctl_tls_make_certs(const char *config_dir, const char *cn);
int	ctl_cmd_start(int argc, char **argv);
int	ctl_cmd_stop(int argc, char **argv);
int	ctl_cmd_reload(int argc, char **argv);
int	ctl_cmd_status(int argc, char **argv);
int	ctl_cmd_check(int argc, char **argv);
int	ctl_cmd_conf(int argc, char **argv);
int	ctl_cmd_qdump(int argc, char **argv);
/* ctl_queue.c: `queue flush|list|delete|hold|release ...` */
int	ctl_cmd_queue(int argc, char **argv);
int	ctl_cmd_map(int argc, char **argv);	/* ctl_map.c: postmap */
int	ctl_cmd_alias(int argc, char **argv);	/* ctl_map.c: postalias */
/* ctl_passwd.c: `passwd [-m METHOD] USER` (auth(8)'s password file) */
int	ctl_cmd_passwd(int argc, char **argv);

/* check's logic: 0 when nothing is wrong (warnings allowed), -1 when there
 * are errors (printed).  for_start (start, reload): quieter, and a daemon
 * program missing from daemon_directory is only a warning. */
int	ctl_check_run(int for_start);

/* master's pid when it runs (pid file present and locked), else 0. */
pid_t	ctl_pid_running(const char *queue_dir);

/* init's building blocks (unit tested): write main.cf / master.cf text for
 * an instance in dir. 0 / -1 with err. */
struct ctl_init_opts {
	const char *dir;		/* absolute instance directory */
	const char *daemon_dir;
	const char *command_dir;
	const char *mail_owner;
	const char *setgid_group;
	int	port_base;
};
int	ctl_init_main_cf(const struct ctl_init_opts *o, struct strbuf *out);
int	ctl_init_master_cf(const struct ctl_init_opts *o, struct strbuf *out);

#endif
