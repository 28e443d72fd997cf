/*
 * sendmail/maildrop_write.c — postdrop's work: read the sendmail stream
 * from a file descriptor, validate every frame (maildrop.c), and write the
 * message as a queue file in QUEUE_DIR/maildrop (lib/qfile), recording the
 * caller's uid.  The file is committed only after `end` arrived and the
 * stream ended cleanly; on any error the temporary file is removed and
 * nothing is left in maildrop/.  Errors are returned with a reason.
 *
 * A queue file needs a recipient, so for `sendmail -t` without recipients
 * on the command line postdrop records the ones the header block names
 * (lib/hdr, as cleanup will: cleanup extracts them again and drops the
 * duplicates).  Only the header block (header_size_limit) is kept in
 * memory for that; a -t message that names nobody is refused here, at
 * once, rather than later by cleanup.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "addr.h"
#include "hdr.h"
#include "ipc_names.h"
#include "mail_params.h"
#include "maildrop.h"
#include "postdrop.h"


/* The header block, collected for -t (see the top of the file). */
struct drop_hdrs {
	struct strbuf buf;
	struct hdr_block blk;
	int	done;
	struct qfile_writer *w;
	size_t	nrcpt;
	int	err;
};

static void
hdrs_collect(struct drop_hdrs *h, const char *p, size_t n)
{
	size_t room = h->buf.max - h->buf.len;

	if (h->done)
		return;
	strbuf_append(&h->buf, p, n < room ? n : room);
	if (hdr_block_scan(&h->blk, h->buf.data, h->buf.len, 0) == HDR_SCAN_DONE)
		h->done = 1;
	else if (h->buf.len == h->buf.max) {
		hdr_block_cut(&h->blk);
		h->done = 1;
	}
}

static void
hdrs_addr(const char *addr, void *ctx)
{
	struct drop_hdrs *h = ctx;
	struct strbuf out;
	const char *why;

	strbuf_init(&out, ADDR_PATH_MAX * 2);
	/* An address that does not parse is left for cleanup to report. */
	if (h->nrcpt < MAILDROP_RCPT_MAX && addr_parse_mailbox(addr, strlen(addr),
	    ADDR_F_LOCAL_OK | ADDR_F_UTF8, &out, &why) == 0) {
		if (qfile_put_rcpt(h->w, out.data, NULL, 0) < 0)
			h->err = 1;
		h->nrcpt++;
	}
	strbuf_release(&out);
}

static void
hdrs_field(const struct hdr_field *f, void *ctx)
{
	struct drop_hdrs *h = ctx;
	const char *why;

	(void)hdr_parse_addrs(h->buf.data + f->off + f->value_off,
	    f->len - f->value_off, MAILDROP_RCPT_MAX, ADDR_PATH_MAX * 2,
	    hdrs_addr, h, &why);
}

/* -t without command-line recipients: record the header's. 0 / -1. */
static int
hdrs_extract(struct drop_hdrs *h, struct strbuf *err)
{
	if (!h->done)
		(void)hdr_block_scan(&h->blk, h->buf.data, h->buf.len, 1);
	(void)hdr_rcpt_fields(h->buf.data, &h->blk, hdrs_field, h);
	if (h->err) {
		strbuf_set_str(err, "queue file write error");
		return -1;
	}
	if (h->nrcpt == 0) {
		strbuf_set_str(err, "No recipient addresses found in message header");
		return -1;
	}
	return 0;
}

/* Write one validated item. 0 / -1. */
static int
write_item(struct qfile_writer *w, const struct maildrop_item *it, uid_t uid)
{
	char uidbuf[32];

	switch (it->kind) {
	case MAILDROP_BEGIN:
		snprintf(uidbuf, sizeof(uidbuf), "%lu", (unsigned long)uid);
		if (qfile_put_arrival(w, time(NULL)) < 0 ||
		    qfile_put_flags(w, it->flags) < 0 ||
		    qfile_put_sender(w, it->sender) < 0 ||
		    qfile_put_attr(w, IPC_ATTR_UID, uidbuf) < 0)
			return -1;
		if (it->full_name != NULL && *it->full_name != '\0')
			return qfile_put_attr(w, IPC_ATTR_FULL_NAME, it->full_name);
		return 0;
	case MAILDROP_RCPT:
		return qfile_put_rcpt(w, it->rcpt, NULL, 0);
	case MAILDROP_DATA:
		return qfile_put_content(w, it->data, it->len);
	default:
		return 0;
	}
}

int
postdrop_write(int fd, uid_t uid, char id[QFILE_ID_LEN + 1],
    struct strbuf *err)
{
	struct maildrop_check check;
	struct maildrop_item it;
	struct qfile_writer *w;
	struct ipc_msg *m;
	struct drop_hdrs hdrs;
	char path[4096];
	int r;

	maildrop_check_init(&check, var_message_size_limit, MAILDROP_RCPT_MAX);
	if ((w = qfile_create(var_queue_dir, QDIR_MAILDROP, err)) == NULL)
		return -1;
	memset(&hdrs, 0, sizeof(hdrs));
	strbuf_init(&hdrs.buf, (size_t)var_header_size_limit);
	hdr_block_init(&hdrs.blk, 0);
	hdrs.w = w;
	for (;;) {
		r = ipc_recv(fd, (size_t)var_ipc_frame_limit,
		    (int)var_ipc_timeout * 1000, &m, err);
		if (r < 0)
			break;
		if (r == 0) {
			/* Only a stream that ended after `end` is a message. */
			if (check.state != 3) {
				strbuf_set_str(err, "input ends before the end marker");
				r = -1;
			}
			break;
		}
		if (check.state == 3) {
			strbuf_set_str(err, "data after the end marker");
			r = -1;
		} else if ((r = maildrop_check_frame(&check, m, &it, err)) == 0 &&
		    write_item(w, &it, uid) < 0) {
			strbuf_set_str(err, "queue file write error");
			r = -1;
		}
		if (r == 0 && it.kind == MAILDROP_DATA)
			hdrs_collect(&hdrs, it.data, it.len);
		ipc_msg_free(m);
		if (r < 0)
			break;
	}
	if (r == 0 && check.nrcpt == 0 && (check.flags & CLEANUP_F_EXTRACT))
		r = hdrs_extract(&hdrs, err);
	strbuf_release(&hdrs.buf);
	hdr_block_free(&hdrs.blk);
	if (r < 0) {
		if (err->len == 0)
			strbuf_set_str(err, "malformed input");
		qfile_abort(w);
		return -1;
	}
	if (qfile_commit(w, id, err) < 0)
		return -1;
	/* pickup runs as mail_owner and must read a file that belongs to the
	 * caller; maildrop/ (mode 1730) keeps other users out. */
	qfile_path(path, sizeof(path), var_queue_dir, QDIR_MAILDROP, id);
	(void)chmod(path, 0444);
	return 0;
}
