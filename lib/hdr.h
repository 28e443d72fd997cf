/*
 * lib/hdr.h — RFC 5322 header blocks: finding the fields, unfolding them,
 * and extracting the addresses of To/Cc/Bcc/From-style fields.
 *
 * cleanup collects the start of a message (at most header_size_limit bytes)
 * and lets hdr_block_scan() find where the header block ends and where each
 * field starts; the scan is incremental, so feeding the block in many small
 * pieces costs no more than one big piece.  Fields are described by offsets
 * into the caller's buffer, never copied.  Everything here treats its input
 * as untrusted, is bounded by the caller's limits, and returns errors; no
 * function logs or exits.
 */
#ifndef TEGAMI_HDR_H
#define TEGAMI_HDR_H

#include <stddef.h>
#include "strbuf.h"

/* One header field: buf[off .. off+len) is the whole field including its
 * folded continuation lines and the final LF (absent only at the very end
 * of a message without one).  The name is buf[off .. off+name_len); the
 * value starts at buf[off+value_off] (just after the colon). */
struct hdr_field {
	size_t	off;
	size_t	len;
	size_t	name_len;
	size_t	value_off;
};

struct hdr_block {
	struct hdr_field *fields;	/* complete fields, in order */
	size_t	nfield;
	size_t	cap;
	size_t	max_fields;		/* 0 = no limit of our own */
	/* Results, valid once hdr_block_scan() returned HDR_SCAN_DONE: */
	size_t	end;			/* bytes that are header fields */
	size_t	body;			/* where the body starts: after the empty
					 * separator line when there was one, else == end */
	int	blank;			/* the block ended with an empty line */
	/* Scanner state (private). */
	size_t	pos;			/* start of the next unclassified line */
	size_t	searched;		/* bytes already searched for LF */
	int	open;			/* fields[nfield] is being extended */
	struct hdr_field cur;
	int	done;
};

enum hdr_scan_result {
	HDR_SCAN_MORE,		/* need more bytes (or eof) to decide */
	HDR_SCAN_DONE,		/* end, body and fields are final */
};

/* Start (or restart) a scan. max_fields 0 = unlimited; when the limit is
 * reached the block ends there and the remaining lines count as body. */
void	hdr_block_init(struct hdr_block *b, size_t max_fields);
void	hdr_block_free(struct hdr_block *b);

/*
 * Scan buf[0..len), which must start at the message's first byte and only
 * grow between calls (the same bytes, more of them).  The block ends at an
 * empty line, at a line that is not a field (no "name:" — that line is the
 * first body line), at the field limit, or at eof.  With eof the last line
 * may lack its LF.
 */
enum hdr_scan_result hdr_block_scan(struct hdr_block *b, const char *buf,
	    size_t len, int eof);
/* The caller's buffer is full (header_size_limit): end the block before
 * the field that is still open; it and everything after it is body. */
void	hdr_block_cut(struct hdr_block *b);

/* Is buf[0..len) (a field name) equal to name, ignoring case? */
int	hdr_name_is(const char *buf, const struct hdr_field *f, const char *name);

/*
 * The fields that name the recipients of a message for `sendmail -t`
 * (RFC 5322 3.6.3 and 3.6.6): To, Cc and Bcc, or, when the block has any
 * Resent-To/Resent-Cc/Resent-Bcc field, only those.  fn(field, ctx) is
 * called for each, in order; returns how many there were.
 */
size_t	hdr_rcpt_fields(const char *buf, const struct hdr_block *b,
	    void (*fn)(const struct hdr_field *f, void *ctx), void *ctx);

/* Unfold a field value (RFC 5322 2.2.3: remove each line break that is
 * followed by white space), drop the final line break and the white space
 * around the value.  Result in out (replaced); -1 when out's max is hit. */
int	hdr_unfold(const char *value, size_t len, struct strbuf *out);

/*
 * Extract the addr-specs of an address-list value (RFC 5322 3.4: mailbox,
 * name-addr with angle-addr, groups "name: a, b;", comments, quoted
 * strings, domain literals, obsolete routes "<@a,@b:x@y>" whose route is
 * dropped).  For every address found, fn(addr, ctx) is called with the
 * address in external form (lib/addr.h: local part as written, quotes kept,
 * white space and comments removed) — the caller still validates it with
 * addr_parse_mailbox().  A mailbox that is only a phrase ("John Smith") is
 * skipped.  At most max_addrs addresses are reported (0 = no limit); an
 * address longer than max_len is skipped and counted as an error.
 * Returns 0, or -1 with *why set to a static reason when the value is
 * malformed (unbalanced quote, comment or angle bracket, a NUL byte, too
 * many addresses); addresses before the error have been reported.
 */
int	hdr_parse_addrs(const char *value, size_t len, size_t max_addrs,
	    size_t max_len, void (*fn)(const char *addr, void *ctx), void *ctx,
	    const char **why);

#endif
