/*
 * lib/ipc.h — the one framing for daemon-to-daemon talk (DESIGN §5).
 *
 * A frame is a 4-byte big-endian payload length followed by the payload: a
 * sequence of attributes, each
 *     u8 type ('s' string, 'i' signed 64-bit integer, 'b' bytes)
 *     u8 name length (1..64), name bytes ([a-z0-9_])
 *     u32 big-endian value length, value bytes
 *                 (string: no NUL; integer: exactly 8 bytes, big-endian)
 * An attribute name may repeat (one per recipient, say); getters take the
 * n-th occurrence.  Unknown attributes are simply not asked for, so a newer
 * peer can talk to an older one.  Frames larger than the reader's limit,
 * truncated frames and malformed attributes are errors with a reason; the
 * caller logs it with the peer's name and drops the connection.
 *
 * Request and attribute names are the constants of ipc_names.h.
 */
#ifndef TEGAMI_IPC_H
#define TEGAMI_IPC_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

#define IPC_FRAME_LIMIT_DEFAULT	(1024 * 1024)
#define IPC_NAME_MAX		64

enum ipc_type {
	IPC_T_STR = 's',
	IPC_T_INT = 'i',
	IPC_T_BYTES = 'b',
};

struct ipc_msg;	/* opaque */

struct ipc_msg *ipc_msg_new(void);
void	ipc_msg_free(struct ipc_msg *m);		/* accepts NULL */
void	ipc_msg_reset(struct ipc_msg *m);		/* remove every attribute */

/* Add attributes (copied). A string must not contain NUL. */
void	ipc_put_str(struct ipc_msg *m, const char *name, const char *value);
void	ipc_put_int(struct ipc_msg *m, const char *name, int64_t value);
void	ipc_put_bytes(struct ipc_msg *m, const char *name, const void *p, size_t n);

/* Getters for the n-th (0-based) attribute called `name` whose type
 * matches. Pointers are borrowed from the message. */
const char *ipc_get_str(const struct ipc_msg *m, const char *name);	/* NULL if absent */
const char *ipc_get_str_n(const struct ipc_msg *m, const char *name, size_t n);
int	ipc_get_int(const struct ipc_msg *m, const char *name, int64_t *out);	/* 0 / -1 */
int	ipc_get_int_n(const struct ipc_msg *m, const char *name, size_t n, int64_t *out);
const void *ipc_get_bytes(const struct ipc_msg *m, const char *name, size_t *len);
/* How many attributes called `name` the message has. */
size_t	ipc_count(const struct ipc_msg *m, const char *name);

/* Append the encoded frame to out. -1 when out's max would be passed. */
int	ipc_encode(const struct ipc_msg *m, struct strbuf *out);

/*
 * Decode one frame from the start of buf.  Returns 1 with *out (new message,
 * caller frees) and *consumed set; 0 when buf holds less than a whole frame
 * (nothing consumed); -1 when the frame is malformed or longer than limit
 * (why says which).
 */
int	ipc_decode(const void *buf, size_t len, size_t limit,
	    struct ipc_msg **out, size_t *consumed, struct strbuf *why);

/* Blocking I/O on a stream socket, with a timeout in milliseconds (<= 0:
 * none).  ipc_send: 0 / -1 (errno set; ETIMEDOUT on timeout).
 * ipc_recv: 1 with *out; 0 at a clean end of stream between frames; -1 on
 * error, timeout, truncation or a malformed frame (why says which). */
int	ipc_send(int fd, const struct ipc_msg *m, int timeout_ms);
int	ipc_recv(int fd, size_t limit, int timeout_ms, struct ipc_msg **out,
	    struct strbuf *why);

/* For logs: "name=value, ..." with values shortened and escaped. */
void	ipc_msg_to_text(const struct ipc_msg *m, struct strbuf *out);

#endif
