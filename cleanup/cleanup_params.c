/*
 * cleanup/cleanup_params.c — the cleanup daemon's own parameters.
 *
 * Names and defaults are Postfix's where the meaning is the same
 * (hopcount_limit, always_add_missing_headers); cleanup_recipient_limit is
 * tegami's bound on recipients per message (envelope plus extracted).
 * header_checks, mime_header_checks, nested_header_checks and body_checks
 * are Postfix's (cleanup_checks.c).
 * header_size_limit and message_size_limit are shared (lib/mail_params.h).
 * `tegami conf`/`check` link this table too.
 */
#include <stddef.h>

#include "cleanup.h"

long	var_hopcount_limit;
long	var_cleanup_rcpt_limit;
int	var_always_add_missing_headers;
char   *var_header_checks;
char   *var_mime_header_checks;
char   *var_nested_header_checks;
char   *var_body_checks;

const struct conf_param cleanup_params[] = {
	/* Most Received: headers a message may have before it is rejected as a mail loop. */
	{ "hopcount_limit", CONF_INT, "50", NULL,
	    &var_hopcount_limit, 1, 100000, 0 },
	/* Most recipients of one message, from the envelope and from -t headers together. */
	{ "cleanup_recipient_limit", CONF_INT, "10000", NULL,
	    &var_cleanup_rcpt_limit, 1, 10000000, 0 },
	/* Add missing From:, Date: and Message-ID: to mail from remote clients too (local mail always gets them). */
	{ "always_add_missing_headers", CONF_BOOL, "no", NULL,
	    &var_always_add_missing_headers, 0, 0, 0 },
	/* Tables (pcre: and others) each logical message header is looked up in; the result is an action such as REJECT or HOLD (header_checks(5)). */
	{ "header_checks", CONF_STR, "", NULL,
	    &var_header_checks, 0, 0, 0 },
	/* Tables for the MIME headers (MIME-Version:, Content-*) instead of header_checks. */
	{ "mime_header_checks", CONF_STR, "$header_checks", NULL,
	    &var_mime_header_checks, 0, 0, 0 },
	/* Tables for the headers of attached messages (not used yet: tegami does not parse MIME parts). */
	{ "nested_header_checks", CONF_STR, "$header_checks", NULL,
	    &var_nested_header_checks, 0, 0, 0 },
	/* Tables each message body line is looked up in, with the same actions as header_checks. */
	{ "body_checks", CONF_STR, "", NULL,
	    &var_body_checks, 0, 0, 0 },
	CONF_TABLE_END
};
