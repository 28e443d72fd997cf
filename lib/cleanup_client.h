/*
 * lib/cleanup_client.h — blocking client of the cleanup service
 * (private/cleanup, protocol in lib/ipc_names.h and doc/ipc.md).
 *
 * Used by pickup, by qmgr to queue bounces, and by tools.  smtpd does not
 * use it: it speaks the same frames non-blocking from its event loop.
 * Every call returns -1 on an I/O or protocol error with the reason in the
 * client's error buffer (see cleanup_close); after an error only
 * cleanup_abandon() is useful.
 */
#ifndef TEGAMI_CLEANUP_CLIENT_H
#define TEGAMI_CLEANUP_CLIENT_H

#include <stddef.h>
#include "qfile.h"
#include "strbuf.h"

struct cleanup_client;

/* Connect to QUEUE_DIR/private/cleanup (timeout: ipc_timeout). `flags` are
 * CLEANUP_F_*. NULL with err on failure. */
struct cleanup_client *cleanup_open(const char *queue_dir, int flags,
	    struct strbuf *err);
/* An arrival attribute (IPC_ATTR_CLIENT_ADDR, IPC_ATTR_PROTOCOL, ...); only
 * before cleanup_sender(). */
int	cleanup_attr(struct cleanup_client *c, const char *name, const char *value);
/* Send the begin frame with the attributes given so far and the sender. */
int	cleanup_sender(struct cleanup_client *c, const char *sender);
int	cleanup_rcpt(struct cleanup_client *c, const char *rcpt,
	    const char *orcpt, int notify);
/* Content with LF line ends, any split (buffered into chunk frames). */
int	cleanup_data(struct cleanup_client *c, const void *p, size_t n);
/* Send end, wait for the reply, free c. Returns 0 when queued (id_out set),
 * the SMTP status code (4xx/5xx) when cleanup refused the message, -1 on an
 * I/O or protocol error; `reason` receives cleanup's reason text or the
 * error. */
int	cleanup_close(struct cleanup_client *c, char id_out[QFILE_ID_LEN + 1],
	    struct strbuf *reason);
/* Abandon the message and free c (accepts NULL). */
void	cleanup_abandon(struct cleanup_client *c);

#endif
