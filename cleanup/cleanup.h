/*
 * cleanup/cleanup.h — the cleanup daemon's internal interface.
 *
 * One struct cleanup_state per message being received.  The protocol loop
 * (cleanup_proto.c) feeds validated frames to the envelope code
 * (cleanup_envelope.c) and the content code (cleanup_headers.c, which
 * parses the header block with lib/hdr and streams the body); the end of
 * the message is cleanup_commit.c.  Problems with the message itself are
 * sticky bits in state->errs, answered once at the end; a client that breaks
 * the protocol is dropped and nothing is queued.
 */
#ifndef TEGAMI_CLEANUP_H
#define TEGAMI_CLEANUP_H

#include <search.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "hdr.h"
#include "ipc.h"
#include "qfile.h"
#include "strbuf.h"

/* Parameters (cleanup_params.c). */
extern long var_hopcount_limit;
extern long var_cleanup_rcpt_limit;
extern int  var_always_add_missing_headers;
extern char *var_header_checks;
extern char *var_mime_header_checks;
extern char *var_nested_header_checks;
extern char *var_body_checks;
extern char *var_canonical_maps;
extern char *var_sender_canonical_maps;
extern char *var_recipient_canonical_maps;
extern char *var_canonical_classes;
extern char *var_propagate_unmatched_extensions;
extern char *var_masquerade_domains;
extern char *var_masquerade_exceptions;
extern char *var_masquerade_classes;
extern long var_virtual_alias_expansion_limit;
extern long var_virtual_alias_recursion_limit;
extern const struct conf_param cleanup_params[];

/* Sticky errors: a message with any of these is not queued. */
#define CLEANUP_ERR_WRITE	0x01	/* queue file write error (temporary) */
#define CLEANUP_ERR_SIZE	0x02	/* message_size_limit exceeded */
#define CLEANUP_ERR_RCPT_LIMIT	0x04	/* cleanup_recipient_limit exceeded */
#define CLEANUP_ERR_HOPS	0x08	/* hopcount_limit exceeded (mail loop) */
#define CLEANUP_ERR_BAD_RCPT	0x10	/* envelope recipient does not parse */
#define CLEANUP_ERR_NO_RCPT	0x20	/* nothing to deliver to */
#define CLEANUP_ERR_BAD_SENDER	0x40	/* sender does not parse */
#define CLEANUP_ERR_CONTENT	0x80	/* header/body_checks refused it (or
					 * a checks table is unavailable) */
#define CLEANUP_ERR_MAP		0x100	/* a rewriting table failed, or a
					 * virtual alias limit: temporary */
#define CLEANUP_ERR_VALIAS	0x200	/* every recipient was unknown in
					 * the virtual alias table */

struct cleanup_checks;		/* cleanup_checks.c, per message */

struct cleanup_state {
	int	flags;			/* CLEANUP_F_* of the begin frame */
	char   *sender;			/* validated, qualified; "" = null sender */
	char   *full_name;		/* local submissions: for From: */
	char   *uid;			/* local submissions: for Received: */
	char   *log_id;			/* for NOQUEUE logs, never NULL */
	struct qfile_writer *w;
	int	errs;			/* CLEANUP_ERR_* */
	/* recipients */
	size_t	nrcpt;
	struct hsearch_data seen;	/* duplicate filter (keys in seen_keys) */
	char  **seen_keys;
	size_t	nseen;
	/* content */
	int	in_data;		/* a data frame was seen: no more rcpts */
	int	hdr_done;
	struct strbuf hdrbuf;		/* the header block, header_size_limit */
	struct hdr_block blk;
	int64_t	in_size;		/* content bytes received */
	int	last_lf;		/* last content byte written was LF */
	int64_t	out_size;
	char   *message_id;		/* as found or generated, for the log */
	time_t	now;
	struct cleanup_checks *chk;	/* header/body_checks state, or NULL */
	int	hold;			/* place into hold/ once committed */
	size_t	rw_unknown;		/* recipients dropped: unknown in the
					 * virtual alias table (cleanup_rewrite.c) */
};

void	cleanup_state_init(struct cleanup_state *st);
void	cleanup_state_free(struct cleanup_state *st);

/* cleanup_envelope.c: the begin frame (flags, attributes, sender): opens
 * the queue file.  -1 with why when the frame breaks the protocol (the
 * client is dropped); problems with the message set errs instead. */
int	cleanup_begin(struct cleanup_state *st, const struct ipc_msg *m,
	    struct strbuf *why);
/* Add a recipient (validated, qualified, duplicates dropped); sets errs. */
void	cleanup_add_rcpt(struct cleanup_state *st, const char *addr,
	    const char *orcpt, int notify, int from_header);
/* Append @$myorigin to an address without a domain (external form). */
int	cleanup_qualify(const char *addr, const char *origin, struct strbuf *out);

/* cleanup_headers.c: content in any split, then the end of content. */
void	cleanup_content(struct cleanup_state *st, const char *p, size_t n);
void	cleanup_content_end(struct cleanup_state *st);
/* Pure helpers, exposed for tests. */
int	cleanup_format_date(time_t when, char *buf, size_t size);
int	cleanup_format_msgid(struct strbuf *out, time_t when, long usec,
	    long pid, unsigned counter, const char *hostname);
int	cleanup_format_from(struct strbuf *out, const char *sender,
	    const char *full_name);

/* cleanup_commit.c: finish the message: 0 and id when queued, else the
 * SMTP status with reason. The writer is gone afterwards. */
int	cleanup_finish(struct cleanup_state *st, char id[QFILE_ID_LEN + 1],
	    struct strbuf *reason);

/* cleanup_checks.c: header_checks, mime_header_checks, body_checks. */
enum cleanup_act {
	CACT_BAD,		/* unknown action or missing argument */
	CACT_DUNNO,		/* DUNNO, OK */
	CACT_REJECT, CACT_DISCARD, CACT_HOLD, CACT_WARN, CACT_INFO,
	CACT_IGNORE, CACT_REPLACE, CACT_PREPEND, CACT_FILTER, CACT_REDIRECT,
};
/* Open the tables (post_jail). A list that does not open defers mail. */
void	cleanup_checks_init(void);
/* Client details from the begin frame, and the first recipient, for logs. */
void	cleanup_checks_begin(struct cleanup_state *st, const struct ipc_msg *m);
void	cleanup_checks_rcpt(struct cleanup_state *st, const char *addr);
void	cleanup_checks_free(struct cleanup_state *st);
/* One logical header (folding newlines kept); `put` writes one line (no
 * LF given). 1 when the original header must not be written. */
int	cleanup_checks_header(struct cleanup_state *st, const char *line,
	    size_t len, void (*put)(struct cleanup_state *, const char *, size_t));
/* Body bytes in any split, passed through `out` after the checks; _end
 * flushes a last line without LF. */
int	cleanup_checks_body_active(void);
void	cleanup_checks_body(struct cleanup_state *st, const char *p, size_t n,
	    void (*out)(struct cleanup_state *, const char *, size_t));
void	cleanup_checks_body_end(struct cleanup_state *st,
	    void (*out)(struct cleanup_state *, const char *, size_t));
/* At the end: the reply status (0: none) and reason of a refusal; 1 with a
 * made-up id when the message is discarded (the writer is gone); REDIRECT
 * recipient before the commit; HOLD and REDIRECT fix-ups after it. */
int	cleanup_checks_reject(struct cleanup_state *st, struct strbuf *reason);
int	cleanup_checks_discard(struct cleanup_state *st, char id[QFILE_ID_LEN + 1]);
void	cleanup_checks_precommit(struct cleanup_state *st);
void	cleanup_checks_committed(struct cleanup_state *st, const char *id);
/* Move a committed message into hold/ when st->hold is set. */
void	cleanup_hold_committed(struct cleanup_state *st, const char *id);
/* Pure helpers, exposed for tests. */
enum cleanup_act cleanup_act_parse(const char *value, const char **text);
int	cleanup_reject_reply(const char *text, int *status, struct strbuf *reason);
int	cleanup_checks_logline(struct strbuf *out, const char *id,
	    const char *action, const char *where, const char *line, size_t len,
	    const char *client, const char *sender, const char *rcpt,
	    const char *proto, const char *helo, const char *text);

/* cleanup_rewrite.c: canonical_maps, masquerade_domains and
 * virtual_alias_maps.  Tables are opened by _init (post_jail); a table
 * that fails makes the message fail temporarily (CLEANUP_ERR_MAP). */
void	cleanup_rewrite_init(void);
/* The envelope sender (external form, qualified), rewritten in place. */
void	cleanup_rewrite_sender(struct cleanup_state *st, struct strbuf *addr);
/* An envelope recipient: canonical, masquerade, then virtual alias
 * expansion; emit(st, addr, ctx) is called for each resulting address.
 * An unknown address of a virtual alias domain is dropped (logged,
 * counted in rw_unknown). */
void	cleanup_rewrite_rcpt(struct cleanup_state *st, const char *addr,
	    void (*emit)(struct cleanup_state *, const char *, void *), void *ctx);
/* A header field (with its folding and final LF): when it is an address
 * header whose addresses change, the new field is written with put (no
 * final LF given) and 1 is returned; 0: write the original. */
int	cleanup_rewrite_header(struct cleanup_state *st, const char *field,
	    size_t len, void (*put)(struct cleanup_state *, const char *, size_t));
/* Pure steps, exposed for tests: 0 with the result in out (maybe the same
 * address), -1 with why when a table failed. */
#define CLEANUP_RW_SENDER	0	/* sender_canonical_maps + canonical_maps */
#define CLEANUP_RW_RCPT		1	/* recipient_canonical_maps + canonical_maps */
int	cleanup_canonical(const char *addr, int which, struct strbuf *out,
	    struct strbuf *why);
int	cleanup_masquerade(const char *addr, struct strbuf *out);
/* Expand one recipient through virtual_alias_maps: the final addresses are
 * appended to *out (count in *n; malloc'd strings, the caller frees), the
 * addresses of virtual alias domains found nowhere are counted in
 * *unknown.  0, or -1 with why on a table failure or when a limit was hit
 * (*out may then hold a partial result). */
int	cleanup_virtual_expand(const char *addr, char ***out, size_t *n,
	    size_t *unknown, struct strbuf *why);

/* cleanup_proto.c: serve one client connection. */
void	cleanup_service(int fd);

#endif
