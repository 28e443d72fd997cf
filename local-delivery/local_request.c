/*
 * local-delivery/local_request.c — validate a delivery request from qmgr.
 *
 * The peer is untrusted even though it is our own qmgr (STYLE.md): the
 * request must name a message as exactly "active/" + a valid queue id (a
 * path from the peer is never opened as given), carry between 1 and
 * LOCAL_RCPT_MAX recipients, each with an offset, with bounded strings free
 * of control characters; and, once the queue file is open, every
 * recipient must be a pending recipient of that file at that offset.
 * Pure functions (fuzzed by tests/fuzz/fuzz_deliver_req.c); errors are
 * returned with a reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bsd/string.h>

#include "ipc_names.h"
#include "local.h"

/* Addresses go into a Delivered-To: header and into path names: no
 * control characters, bounded length. */
static int
text_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max)
			return 0;
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	}
	return 1;
}

void
local_request_free(struct local_request *req)
{
	free(req->rcpts);
	req->rcpts = NULL;
	req->nrcpt = 0;
}

static int
parse_rcpts(const struct ipc_msg *m, struct local_request *req, struct strbuf *why)
{
	size_t n = ipc_count(m, IPC_ATTR_RCPT), norcpt = ipc_count(m, IPC_ATTR_ORCPT);
	size_t i, j;
	int64_t off;

	if (n == 0 || n > LOCAL_RCPT_MAX) {
		strbuf_set_printf(why, "bad recipient count %zu", n);
		return -1;
	}
	if (ipc_count(m, IPC_ATTR_RCPT_OFFSET) != n || (norcpt != 0 && norcpt != n)) {
		strbuf_set_str(why, "recipient, orcpt and offset counts differ");
		return -1;
	}
	req->rcpts = calloc(n, sizeof(*req->rcpts));
	if (req->rcpts == NULL) {
		strbuf_set_str(why, "out of memory");
		return -1;
	}
	req->nrcpt = n;
	for (i = 0; i < n; i++) {
		struct local_rcpt *r = &req->rcpts[i];

		r->addr = ipc_get_str_n(m, IPC_ATTR_RCPT, i);
		r->orcpt = norcpt ? ipc_get_str_n(m, IPC_ATTR_ORCPT, i) : "";
		if (r->addr == NULL || r->orcpt == NULL ||
		    ipc_get_int_n(m, IPC_ATTR_RCPT_OFFSET, i, &off) < 0) {
			strbuf_set_printf(why, "recipient %zu: attribute of the wrong type", i);
			return -1;
		}
		if (r->addr[0] == '\0' || !text_ok(r->addr, LOCAL_ADDR_MAX) ||
		    !text_ok(r->orcpt, LOCAL_ADDR_MAX)) {
			strbuf_set_printf(why, "recipient %zu: bad address", i);
			return -1;
		}
		if (off <= 0 || off > (int64_t)1 << 40) {
			strbuf_set_printf(why, "recipient %zu: bad offset", i);
			return -1;
		}
		r->offset = (off_t)off;
		/* One status byte, one delivery. */
		for (j = 0; j < i; j++) {
			if (req->rcpts[j].offset == r->offset) {
				strbuf_set_printf(why, "recipient %zu: duplicate offset", i);
				return -1;
			}
		}
	}
	return 0;
}

int
local_request_parse(const struct ipc_msg *m, struct local_request *req,
    struct strbuf *why)
{
	const char *s;

	memset(req, 0, sizeof(*req));
	s = ipc_get_str(m, IPC_ATTR_REQ);
	if (s == NULL || strcmp(s, IPC_REQ_DELIVER) != 0) {
		strbuf_set_str(why, "not a delivery request");
		return -1;
	}
	s = ipc_get_str(m, IPC_ATTR_QUEUE_ID);
	if (s == NULL || !qfile_id_valid(s)) {
		strbuf_set_str(why, "bad queue id");
		return -1;
	}
	strlcpy(req->queue_id, s, sizeof(req->queue_id));
	snprintf(req->queue_file, sizeof(req->queue_file), "%s/%s", QDIR_ACTIVE,
	    req->queue_id);
	/* The only file we will open is the one we named ourselves. */
	s = ipc_get_str(m, IPC_ATTR_QUEUE_FILE);
	if (s == NULL || strcmp(s, req->queue_file) != 0) {
		strbuf_set_str(why, "queue file is not active/ID");
		return -1;
	}
	req->sender = ipc_get_str(m, IPC_ATTR_SENDER);
	if (req->sender == NULL || !text_ok(req->sender, LOCAL_ADDR_MAX)) {
		strbuf_set_str(why, "bad or missing sender");
		return -1;
	}
	req->nexthop = ipc_get_str(m, IPC_ATTR_NEXTHOP);
	if (req->nexthop == NULL)
		req->nexthop = "";
	else if (!text_ok(req->nexthop, LOCAL_ADDR_MAX)) {
		strbuf_set_str(why, "bad nexthop");
		return -1;
	}
	/* Absent or "local": aliases and system users; "virtual": virtual
	 * mailboxes.  Anything else is refused, not guessed at. */
	s = ipc_get_str(m, IPC_ATTR_TRANSPORT);
	if (s != NULL && strcmp(s, "virtual") == 0)
		req->virtual_mode = 1;
	else if (s != NULL && strcmp(s, "local") != 0) {
		strbuf_set_str(why, "unknown transport attribute");
		return -1;
	}
	if (parse_rcpts(m, req, why) < 0) {
		local_request_free(req);
		return -1;
	}
	return 0;
}

int
local_request_match(const struct local_request *req, const struct qfile_env *env,
    struct strbuf *why)
{
	size_t i, j;

	if (strcmp(req->sender, env->sender) != 0) {
		strbuf_set_str(why, "sender does not match the queue file");
		return -1;
	}
	for (i = 0; i < req->nrcpt; i++) {
		const struct local_rcpt *r = &req->rcpts[i];

		for (j = 0; j < env->nrcpt; j++)
			if (env->rcpts[j].status_off == r->offset)
				break;
		if (j == env->nrcpt || strcmp(env->rcpts[j].addr, r->addr) != 0) {
			strbuf_set_printf(why, "recipient %zu does not match the "
			    "queue file", i);
			return -1;
		}
		if (env->rcpts[j].status != QF_RCPT_PENDING) {
			strbuf_set_printf(why, "recipient %zu is already done", i);
			return -1;
		}
	}
	return 0;
}
