/*
 * lib/mastercf.h — master.cf, Postfix's service table.
 *
 *   # service type  private unpriv  chroot  wakeup  maxproc command + args
 *   smtp      inet  n       -       n       -       -       smtpd -o a=b
 *
 * '-' means the default: private y, unpriv y, chroot n, wakeup 0, maxproc
 * $default_process_limit (passed in).  A wakeup may end in '?' (Postfix:
 * only when the service is in use); it is accepted and ignored.  For inet
 * services the service field is [host:]port; for unix/fifo/pass a name.
 * Lines starting with white space continue the previous entry.  Errors name
 * the file and line.
 */
#ifndef TEGAMI_MASTERCF_H
#define TEGAMI_MASTERCF_H

#include <stddef.h>
#include "strbuf.h"

#define MASTERCF_WAKEUP_MAX	604800	/* one week, in seconds */

struct mastercf_entry {
	char   *service;	/* "smtp", "127.0.0.1:2525", "cleanup" */
	char   *type;		/* "inet", "unix", "fifo", "pass", "unix-dgram" */
	int	private_;	/* 1: socket in private/, 0: in public/ */
	int	unpriv;		/* 1: drop to mail_owner */
	int	chroot;
	int	wakeup;		/* seconds, 0 = none */
	int	maxproc;	/* 0 = unlimited */
	char  **argv;		/* command and its arguments, NULL-terminated */
	int	argc;
	char   *file;		/* for messages */
	int	line;
};

/* Read a master.cf. On success *entries is a malloc'd array of *count
 * entries; free with mastercf_free. -1 with "FILE, line N: ..." in err. */
int	mastercf_read(const char *path, int default_maxproc,
	    struct mastercf_entry **entries, size_t *count, struct strbuf *err);
void	mastercf_free(struct mastercf_entry *entries, size_t count);
/* The same for text already in memory (len bytes; `path` names it in
 * messages). Used by mastercf_read and the fuzz harness. */
int	mastercf_parse_text(const char *path, const char *text, size_t len,
	    int default_maxproc, struct mastercf_entry **entries, size_t *count,
	    struct strbuf *err);

#endif
