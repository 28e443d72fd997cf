/*
 * ctl/ctl_util.c — what every `tegami` command shares: the configuration
 * directory and the messages for the user (stderr, "tegami: ..."), which
 * are output for a person at a terminal, not log lines.
 */
#include <stdarg.h>
#include <stdio.h>

#include "ctl.h"

const char *ctl_config_dir;

static void ctl_vmsg(const char *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
ctl_vmsg(const char *level, const char *fmt, va_list ap)
{
	fprintf(stderr, "tegami: %s", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
ctl_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vmsg("", fmt, ap);
	va_end(ap);
}

void
ctl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void
ctl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vmsg("fatal: ", fmt, ap);
	va_end(ap);
}

