/*
 * lib/dsn.h — delivery status notifications (RFC 3464) as text.
 *
 * Pure functions: the caller (qmgr's bounce code, later smtp-client's
 * notices) gathers the failed recipients and the original header block and
 * gets back a complete multipart/report message with LF line ends, ready to
 * be handed to cleanup.  Every text that came from elsewhere (agent
 * replies, remote servers, the original headers' boundary clash) is
 * sanitised here: no control characters, no 8-bit bytes in the report
 * fields, bounded line length.
 */
#ifndef TEGAMI_DSN_H
#define TEGAMI_DSN_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

/* Longest diagnostic text kept in a report field (longer text is cut). */
#define DSN_TEXT_MAX	900

struct dsn_rcpt {
	const char *addr;	/* final recipient (external form) */
	const char *orcpt;	/* original recipient or NULL/"" ("rfc822;a@b" or "a@b") */
	const char *status;	/* enhanced status "5.1.1"; "5.0.0" when NULL/invalid */
	const char *action;	/* "failed" when NULL */
	const char *diag_type;	/* "X-Tegami" when NULL; "smtp" for a remote reply */
	const char *diag;	/* diagnostic text or NULL */
};

struct dsn_report {
	const char *reporting_mta;	/* $myhostname */
	const char *queue_id;		/* the original message's id */
	const char *sender;		/* the original envelope sender (bounce recipient) */
	int64_t	arrival;		/* the original message's arrival time */
	int64_t	now;			/* Date: of the report */
	const char *envid;		/* DSN ENVID or NULL */
	const struct dsn_rcpt *rcpts;
	size_t	nrcpt;
	const char *headers;		/* the original header block (may be NULL) */
	size_t	headers_len;
	int	delayed;		/* a "delayed mail" notice (Action: delayed,
					 * RFC 3464 s2.3.3), not a bounce; set
					 * Will-Retry-Until with retry_until */
	int64_t	retry_until;		/* delayed: when the message expires */
};

/*
 * Compose the whole bounce message (headers and body, LF line ends) into
 * out (appended).  0, or -1 when out's limit was reached.
 */
int	dsn_compose(const struct dsn_report *r, struct strbuf *out);

/* Is s an enhanced status code "C.S.D" with C in 2/4/5 (RFC 3463)? */
int	dsn_status_valid(const char *s);

/* Append text with control and 8-bit bytes replaced (by ' ' and '?'),
 * cut at max bytes. */
int	dsn_append_clean(struct strbuf *out, const char *text, size_t max);

/* An RFC 5322 date ("Tue, 24 Nov 2026 05:22:29 +0000") in local time. */
void	dsn_format_date(int64_t when, char *buf, size_t size);

#endif
