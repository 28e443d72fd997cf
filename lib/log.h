/*
 * lib/log.h — logging in Postfix's line shape.
 *
 * Lines look like `tegami/smtpd[1234]: 0123456789ABCDEF0: from=<a@b>, ...`
 * so existing Postfix log tools read them.  Destination: syslog facility
 * mail (default), a file (`maillog_file`, each line one O_APPEND write with a
 * syslog-style timestamp and hostname), or stderr (foreground / tools).
 *
 * Levels (STYLE.md): info = normal event; warn = this operation failed, the
 * process carries on; fatal = log and exit(1) (master restarts daemons);
 * panic = our own invariant broke: log and abort().
 */
#ifndef TEGAMI_LOG_H
#define TEGAMI_LOG_H

#include <stdarg.h>

enum log_dest {
	LOG_DEST_SYSLOG,
	LOG_DEST_FILE,
	LOG_DEST_STDERR,
};

/*
 * Set the program name shown as `tegami/NAME[PID]` (syslog_name "tegami" is
 * the prefix) and the destination.  `path` is used for LOG_DEST_FILE.  May be
 * called again (after the configuration is read) to switch destination.
 * Before any call, lines go to stderr as `tegami/unknown`.
 */
void	log_init(const char *progname, enum log_dest dest, const char *path);
/* Set from the parameters maillog_file / syslog_name after configuration
 * was loaded: file when maillog_file is set, otherwise syslog, unless the
 * process was told to log to stderr (foreground). */
void	log_set_syslog_name(const char *name);	/* default "tegami" */
/* Foreground processes (`tegami start -f`, daemon -f): with a file or
 * syslog destination, write every line to stderr as well. */
void	log_also_stderr(int on);
/* After fork(): refresh the cached pid. */
void	log_reset_pid(void);
/* Verbose (debug) logging on/off; log_debug is silent when off. */
void	log_set_verbose(int on);

void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void	log_fatal_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void	log_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Warnings are written as `warning: ...`, fatal as `fatal: ...`, panic as
 * `panic: ...`, as Postfix does.  _errno variants append `: strerror(errno)`. */

#endif
