/*
 * lib/netio.h — sockets: listening, connecting, triggers, bounded blocking I/O.
 *
 * Service sockets live at QUEUE_DIR/private/NAME and QUEUE_DIR/public/NAME.
 * Errors are returned (-1 with errno, or with a reason in err); nothing here
 * is fatal.
 */
#ifndef TEGAMI_NETIO_H
#define TEGAMI_NETIO_H

#include <stddef.h>
#include <sys/types.h>
#include "strbuf.h"

/* A UNIX stream listener at path (an old socket there is removed). */
int	unix_listen(const char *path, int backlog, mode_t mode, struct strbuf *err);
/* Blocking connect to a UNIX stream socket, with a timeout in ms (<=0: none). */
int	unix_connect(const char *path, int timeout_ms);
/* Non-blocking connect; fd returned at once (connect in progress or done). */
int	unix_connect_nonblock(const char *path);
/* A TCP listener on host:port ("*" or "" = any, IPv4/IPv6, "[::1]"). */
int	inet_listen(const char *host, const char *port, int backlog, struct strbuf *err);
/* Split "[host]:port", "host:port" or "port" for master.cf inet services. */
int	inet_split_service(const char *service, struct strbuf *host, struct strbuf *port);

/* Wake a trigger service: connect to QUEUE_DIR/public/NAME (or private/),
 * write one byte, close; never blocks for long. 0 / -1. */
int	trigger_send(const char *queue_dir, const char *visibility, const char *name);
/* The same with a chosen byte ('F' asks qmgr to flush the deferred queue). */
int	trigger_send_byte(const char *queue_dir, const char *visibility,
	    const char *name, char byte);
/* Path of a service socket into buf: QUEUE_DIR/VISIBILITY/NAME. */
int	service_path(char *buf, size_t size, const char *queue_dir,
	    const char *visibility, const char *name);

int	fd_set_nonblock(int fd, int on);
int	fd_set_cloexec(int fd, int on);

/* Write or read exactly n bytes with a timeout (ms, <=0 none).
 * write_full: 0 / -1. read_full: n on success, 0..n-1 at EOF, -1 on error
 * (errno ETIMEDOUT on timeout). */
int	write_full(int fd, const void *buf, size_t n, int timeout_ms);
ssize_t	read_full(int fd, void *buf, size_t n, int timeout_ms);

/* Printable peer address of a connected socket ("127.0.0.1", "::1",
 * "unix"), and the peer's uid for UNIX sockets (SO_PEERCRED). */
int	peer_addr(int fd, struct strbuf *addr, struct strbuf *port);
/* The same for the socket's own (local) address. */
int	local_addr(int fd, struct strbuf *addr, struct strbuf *port);
int	peer_uid(int fd, uid_t *uid);

#endif
