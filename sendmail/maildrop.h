/*
 * sendmail/maildrop.h — the stream that sendmail hands to postdrop, and the
 * attributes that a local submission carries from postdrop through pickup
 * to cleanup (doc/sendmail-postdrop.md).
 *
 * The stream is the cleanup protocol's frames (lib/ipc_names.h) on
 * postdrop's stdin: {req=begin, flags, sender, [full_name]}, {req=rcpt,
 * rcpt} per recipient, {req=data, chunk} frames, {req=end}.  postdrop is
 * setgid, so the stream is untrusted: maildrop_check_frame() validates
 * every frame before postdrop writes anything from it.
 */
#ifndef TEGAMI_MAILDROP_H
#define TEGAMI_MAILDROP_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "ipc_names.h"
#include "strbuf.h"

#define MAILDROP_FULL_NAME_MAX	256	/* longest -F text accepted */
#define MAILDROP_RCPT_MAX	100000	/* far above cleanup_recipient_limit:
					 * only bounds what one stream costs */

enum maildrop_kind {
	MAILDROP_BEGIN,
	MAILDROP_RCPT,
	MAILDROP_DATA,
	MAILDROP_END,
};

/* One validated frame; pointers are borrowed from the frame. */
struct maildrop_item {
	enum maildrop_kind kind;
	int	flags;			/* BEGIN: CLEANUP_F_EXTRACT or 0 */
	const char *sender;		/* BEGIN: "" or a mailbox as given */
	const char *full_name;		/* BEGIN: NULL when absent */
	const char *rcpt;		/* RCPT */
	const void *data;		/* DATA */
	size_t	len;
};

struct maildrop_check {
	int	state;			/* 0 begin, 1 rcpt, 2 data, 3 ended */
	int	flags;
	size_t	nrcpt, max_rcpt;
	int64_t	size, max_size;		/* content bytes so far / allowed */
};

/* Start checking a stream: at most max_rcpt recipients and max_size bytes
 * of content (0 = no limit). */
void	maildrop_check_init(struct maildrop_check *c, int64_t max_size,
	    size_t max_rcpt);
/* Validate the next frame: 0 with *it, -1 with why (the stream is bad:
 * wrong order, unknown request, a bad address, too big, ...). */
int	maildrop_check_frame(struct maildrop_check *c, const struct ipc_msg *m,
	    struct maildrop_item *it, struct strbuf *why);
/* Decode and validate a whole stream held in memory (the fuzz target):
 * it must end with {req=end} and nothing after it.  0 / -1 with why. */
int	maildrop_check_buffer(const void *buf, size_t len, size_t frame_limit,
	    int64_t max_size, size_t max_rcpt, struct strbuf *why);

#endif
