/*
 * lib/log.c — logging in Postfix's line shape: `tegami/NAME[PID]: text`.
 *
 * Every process logs through here, to syslog (facility mail), to a file
 * (maillog_file: one O_APPEND write(2) per line, so lines from many
 * processes never interleave) or to stderr.  Logged text may carry bytes
 * from the network, so control characters are replaced with '?' and a
 * line is capped at LOG_LINE_MAX bytes.  Nothing here allocates, so
 * xmalloc may call log_fatal safely.  log_fatal exits 1, log_panic aborts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "log.h"

#define LOG_LINE_MAX	4000	/* text bytes per line, after the prefix */

enum log_level { LVL_DEBUG, LVL_INFO, LVL_WARN, LVL_FATAL, LVL_PANIC };

static enum log_dest log_dest = LOG_DEST_STDERR;
static char log_progname[64] = "unknown";
static char log_syslog_name[64] = "tegami";
static char log_ident[160];		/* openlog keeps this pointer */
static int log_fd = -1;
static pid_t log_pid;
static int log_verbose;
static int log_syslog_open;
static int log_stderr_too;		/* foreground: stderr as well */

/* Open the syslog connection with ident SYSLOG_NAME/PROGNAME. */
static void
log_open_syslog(void)
{
	snprintf(log_ident, sizeof(log_ident), "%s/%s", log_syslog_name,
	    log_progname);
	if (log_syslog_open)
		closelog();
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
	log_syslog_open = 1;
}

void
log_init(const char *progname, enum log_dest dest, const char *path)
{
	if (progname != NULL) {
		const char *slash = strrchr(progname, '/');

		strlcpy(log_progname, slash ? slash + 1 : progname,
		    sizeof(log_progname));
	}
	log_pid = getpid();
	if (log_fd >= 0) {
		close(log_fd);
		log_fd = -1;
	}
	log_dest = dest;
	if (dest == LOG_DEST_FILE) {
		log_fd = open(path ? path : "", O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC | O_NOCTTY, 0644);
		if (log_fd < 0) {
			int saved = errno;

			log_dest = LOG_DEST_STDERR;
			log_warn("cannot open log file %s: %s; logging to stderr",
			    path ? path : "(null)", strerror(saved));
		}
	} else if (dest == LOG_DEST_SYSLOG) {
		log_open_syslog();
	}
}

void
log_set_syslog_name(const char *name)
{
	strlcpy(log_syslog_name, name && *name ? name : "tegami",
	    sizeof(log_syslog_name));
	if (log_dest == LOG_DEST_SYSLOG)
		log_open_syslog();
}

void
log_also_stderr(int on)
{
	log_stderr_too = on;
}

void
log_reset_pid(void)
{
	log_pid = getpid();
}

void
log_set_verbose(int on)
{
	log_verbose = on;
}

/* Copy text into dst, replacing control characters with '?'. */
static size_t
log_sanitize(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (; *src != '\0' && n + 1 < size; src++) {
		unsigned char c = (unsigned char)*src;

		dst[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	dst[n] = '\0';
	return n;
}

/* Write one finished line to the file or stderr in a single write(2). */
static void
log_write_line(int fd, const char *text, int with_stamp)
{
	char line[LOG_LINE_MAX + 512];
	char stamp[32] = "", host[256] = "";
	int len;

	if (with_stamp) {
		time_t now = time(NULL);
		struct tm tm;

		if (localtime_r(&now, &tm) != NULL)
			strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S ", &tm);
		if (gethostname(host, sizeof(host) - 1) < 0)
			strlcpy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		strlcat(host, " ", sizeof(host));
	}
	len = snprintf(line, sizeof(line), "%s%s%s/%s[%ld]: %s\n", stamp, host,
	    log_syslog_name, log_progname, (long)(log_pid ? log_pid : getpid()),
	    text);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line)) {
		len = sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	/* One write per line: O_APPEND keeps lines of many processes whole. */
	(void)!write(fd, line, (size_t)len);
}

static void log_emit(enum log_level, int, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
log_emit(enum log_level lvl, int with_errno, int saved_errno,
    const char *fmt, va_list ap)
{
	static const char *prefix[] = { "", "", "warning: ", "fatal: ", "panic: " };
	static const int prio[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_CRIT,
	    LOG_CRIT };
	char raw[LOG_LINE_MAX + 1], text[LOG_LINE_MAX + 1];
	size_t off;

	off = strlcpy(raw, prefix[lvl], sizeof(raw));
	vsnprintf(raw + off, sizeof(raw) - off, fmt, ap);
	if (with_errno) {
		strlcat(raw, ": ", sizeof(raw));
		strlcat(raw, strerror(saved_errno), sizeof(raw));
	}
	log_sanitize(text, sizeof(text), raw);

	switch (log_dest) {
	case LOG_DEST_SYSLOG:
		if (!log_syslog_open)
			log_open_syslog();
		syslog(prio[lvl], "%s", text);
		break;
	case LOG_DEST_FILE:
		if (log_fd >= 0) {
			log_write_line(log_fd, text, 1);
			break;
		}
		/* FALLTHROUGH */
	case LOG_DEST_STDERR:
		log_write_line(STDERR_FILENO, text, 0);
		return;
	}
	if (log_stderr_too)
		log_write_line(STDERR_FILENO, text, 0);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_emit(LVL_DEBUG, 0, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(LVL_INFO, 0, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(LVL_WARN, 0, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warn_errno(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(LVL_WARN, 1, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LVL_FATAL, 0, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_fatal_errno(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	log_emit(LVL_FATAL, 1, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
log_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LVL_PANIC, 0, 0, fmt, ap);
	va_end(ap);
	abort();
}
