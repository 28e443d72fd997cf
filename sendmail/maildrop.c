/*
 * sendmail/maildrop.c — validation of the sendmail-to-postdrop stream.
 *
 * postdrop runs setgid and reads whatever its caller wrote, so each frame
 * is checked for order (begin, rcpt*, data*, end), for the request and
 * attributes it must carry, for addresses that parse as mailboxes
 * (lib/addr, bare local parts allowed: cleanup qualifies them), for a sane
 * full name, and against the recipient and size limits.  A caller can only
 * ask for CLEANUP_F_EXTRACT; CLEANUP_F_LOCAL is set by pickup, never by the
 * user.  Errors are returned with a reason; nothing here logs or exits.
 */
#include <string.h>

#include "addr.h"
#include "ipc_names.h"
#include "maildrop.h"

void
maildrop_check_init(struct maildrop_check *c, int64_t max_size,
    size_t max_rcpt)
{
	memset(c, 0, sizeof(*c));
	c->max_size = max_size;
	c->max_rcpt = max_rcpt;
}

static int
mailbox_ok(const char *addr, struct strbuf *why)
{
	struct strbuf out;
	const char *bad = NULL;
	int rc;

	strbuf_init(&out, ADDR_PATH_MAX * 2);
	rc = addr_parse_mailbox(addr, strlen(addr), ADDR_F_LOCAL_OK | ADDR_F_UTF8,
	    &out, &bad);
	strbuf_release(&out);
	if (rc < 0)
		strbuf_set_printf(why, "bad address <%.100s>: %s", addr, bad);
	return rc;
}

/* Printable text (UTF-8 allowed) without control characters. */
static int
text_ok(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || ++n > max)
			return 0;
	return 1;
}

static int
check_begin(struct maildrop_check *c, const struct ipc_msg *m,
    struct maildrop_item *it, struct strbuf *why)
{
	int64_t flags = 0;

	it->sender = ipc_get_str(m, IPC_ATTR_SENDER);
	it->full_name = ipc_get_str(m, IPC_ATTR_FULL_NAME);
	if (ipc_get_int(m, IPC_ATTR_FLAGS, &flags) == 0 &&
	    (flags & ~(int64_t)CLEANUP_F_EXTRACT) != 0) {
		strbuf_set_str(why, "flags other than extract");
		return -1;
	}
	if (it->sender == NULL) {
		strbuf_set_str(why, "begin without sender");
		return -1;
	}
	if (*it->sender != '\0' && mailbox_ok(it->sender, why) < 0)
		return -1;
	if (it->full_name != NULL && !text_ok(it->full_name,
	    MAILDROP_FULL_NAME_MAX)) {
		strbuf_set_str(why, "bad full name");
		return -1;
	}
	it->kind = MAILDROP_BEGIN;
	it->flags = c->flags = (int)flags;
	c->state = 1;
	return 0;
}

static int
check_rcpt(struct maildrop_check *c, const struct ipc_msg *m,
    struct maildrop_item *it, struct strbuf *why)
{
	if (c->state != 1) {
		strbuf_set_str(why, "recipient after content");
		return -1;
	}
	if ((it->rcpt = ipc_get_str(m, IPC_ATTR_RCPT)) == NULL ||
	    *it->rcpt == '\0') {
		strbuf_set_str(why, "rcpt without an address");
		return -1;
	}
	if (mailbox_ok(it->rcpt, why) < 0)
		return -1;
	if (c->max_rcpt > 0 && c->nrcpt >= c->max_rcpt) {
		strbuf_set_str(why, "too many recipients");
		return -1;
	}
	c->nrcpt++;
	it->kind = MAILDROP_RCPT;
	return 0;
}

static int
check_data(struct maildrop_check *c, const struct ipc_msg *m,
    struct maildrop_item *it, struct strbuf *why)
{
	if ((it->data = ipc_get_bytes(m, IPC_ATTR_CHUNK, &it->len)) == NULL) {
		strbuf_set_str(why, "data without chunk");
		return -1;
	}
	if (c->max_size > 0 && (int64_t)it->len > c->max_size - c->size) {
		strbuf_set_str(why, "message file too big");
		return -1;
	}
	c->size += (int64_t)it->len;
	c->state = 2;
	it->kind = MAILDROP_DATA;
	return 0;
}

static int
check_end(struct maildrop_check *c, struct maildrop_item *it,
    struct strbuf *why)
{
	if (c->nrcpt == 0 && (c->flags & CLEANUP_F_EXTRACT) == 0) {
		strbuf_set_str(why, "no recipients specified");
		return -1;
	}
	c->state = 3;
	it->kind = MAILDROP_END;
	return 0;
}

int
maildrop_check_frame(struct maildrop_check *c, const struct ipc_msg *m,
    struct maildrop_item *it, struct strbuf *why)
{
	const char *req = ipc_get_str(m, IPC_ATTR_REQ);

	memset(it, 0, sizeof(*it));
	if (req == NULL) {
		strbuf_set_str(why, "frame without request");
		return -1;
	}
	if (c->state == 3) {
		strbuf_set_str(why, "data after end");
		return -1;
	}
	if (c->state == 0) {
		if (strcmp(req, IPC_REQ_BEGIN) == 0)
			return check_begin(c, m, it, why);
		strbuf_set_str(why, "stream does not start with begin");
		return -1;
	}
	if (strcmp(req, IPC_REQ_RCPT) == 0)
		return check_rcpt(c, m, it, why);
	if (strcmp(req, IPC_REQ_DATA) == 0)
		return check_data(c, m, it, why);
	if (strcmp(req, IPC_REQ_END) == 0)
		return check_end(c, it, why);
	strbuf_set_printf(why, "unexpected request %.30s", req);
	return -1;
}

int
maildrop_check_buffer(const void *buf, size_t len, size_t frame_limit,
    int64_t max_size, size_t max_rcpt, struct strbuf *why)
{
	struct maildrop_check c;
	struct maildrop_item it;
	struct ipc_msg *m;
	const char *p = buf;
	size_t off = 0, used;
	int r;

	maildrop_check_init(&c, max_size, max_rcpt);
	while (c.state != 3) {
		r = ipc_decode(p + off, len - off, frame_limit, &m, &used, why);
		if (r == 0) {
			strbuf_set_str(why, "stream ends before end");
			return -1;
		}
		if (r < 0)
			return -1;
		off += used;
		r = maildrop_check_frame(&c, m, &it, why);
		ipc_msg_free(m);
		if (r < 0)
			return -1;
	}
	if (off != len) {
		strbuf_set_str(why, "data after end");
		return -1;
	}
	return 0;
}
