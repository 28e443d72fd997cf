/*
 * cleanup/cleanup_params.c — the cleanup daemon's own parameters.
 *
 * Names and defaults are Postfix's where the meaning is the same
 * (hopcount_limit, always_add_missing_headers); cleanup_recipient_limit is
 * tegami's bound on recipients per message (envelope plus extracted).
 * header_checks, mime_header_checks, nested_header_checks and body_checks
 * are Postfix's (cleanup_checks.c); so are the address rewriting
 * parameters (canonical, masquerade, virtual alias: cleanup_rewrite.c).
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
char   *var_canonical_maps;
char   *var_sender_canonical_maps;
char   *var_recipient_canonical_maps;
char   *var_canonical_classes;
char   *var_propagate_unmatched_extensions;
char   *var_masquerade_domains;
char   *var_masquerade_exceptions;
char   *var_masquerade_classes;
long	var_virtual_alias_expansion_limit;
long	var_virtual_alias_recursion_limit;

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
	/* Tables mapping sender and recipient addresses (envelope and headers) to new ones, after the sender/recipient-specific ones (canonical(5)). */
	{ "canonical_maps", CONF_STR, "", NULL,
	    &var_canonical_maps, 0, 0, 0 },
	/* Tables mapping sender addresses only, looked up before canonical_maps. */
	{ "sender_canonical_maps", CONF_STR, "", NULL,
	    &var_sender_canonical_maps, 0, 0, 0 },
	/* Tables mapping recipient addresses only, looked up before canonical_maps. */
	{ "recipient_canonical_maps", CONF_STR, "", NULL,
	    &var_recipient_canonical_maps, 0, 0, 0 },
	/* Which addresses canonical mapping applies to: envelope_sender, envelope_recipient, header_sender, header_recipient. */
	{ "canonical_classes", CONF_STR,
	    "envelope_sender, envelope_recipient, header_sender, header_recipient",
	    NULL, &var_canonical_classes, 0, 0, 0 },
	/* Lookups that keep a user+ext address's extension when only user matched: canonical, virtual. */
	{ "propagate_unmatched_extensions", CONF_STR, "canonical, virtual", NULL,
	    &var_propagate_unmatched_extensions, 0, 0, 0 },
	/* Domains whose subdomains are stripped from addresses (host.example.com becomes example.com); !domain keeps that domain as it is. */
	{ "masquerade_domains", CONF_STR, "", NULL,
	    &var_masquerade_domains, 0, 0, 0 },
	/* Local parts (such as root) that are never masqueraded. */
	{ "masquerade_exceptions", CONF_STR, "", NULL,
	    &var_masquerade_exceptions, 0, 0, 0 },
	/* Which addresses masquerading applies to: envelope_sender, envelope_recipient, header_sender, header_recipient. */
	{ "masquerade_classes", CONF_STR,
	    "envelope_sender, header_sender, header_recipient", NULL,
	    &var_masquerade_classes, 0, 0, 0 },
	/* Most addresses one recipient may expand to through virtual_alias_maps; more defers the message. */
	{ "virtual_alias_expansion_limit", CONF_INT, "1000", NULL,
	    &var_virtual_alias_expansion_limit, 1, 10000000, 0 },
	/* Deepest nesting of virtual_alias_maps lookups for one recipient; deeper (a loop) defers the message. */
	{ "virtual_alias_recursion_limit", CONF_INT, "1000", NULL,
	    &var_virtual_alias_recursion_limit, 1, 10000000, 0 },
	CONF_TABLE_END
};
