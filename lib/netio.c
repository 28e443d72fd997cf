/*
 * lib/netio.c — sockets: UNIX and TCP listeners, connects, triggers, and
 * blocking reads and writes with a deadline.
 *
 * Called by master (listeners), by every client of a daemon (connects) and
 * by anything that wakes a trigger service.  Host names are never resolved
 * here: listeners take numeric addresses only (no DNS in the start-up
 * path).  Nothing is fatal: errors are -1 with errno, or a reason in err.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "netio.h"

int
fd_set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl);
}

int
fd_set_cloexec(int fd, int on)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return -1;
	fl = on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC);
	return fcntl(fd, F_SETFD, fl);
}

/* Fill a sockaddr_un; -1 (ENAMETOOLONG) when the path does not fit. */
static int
netio_sun(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlcpy(sun->sun_path, path, sizeof(sun->sun_path)) >=
	    sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
unix_listen(const char *path, int backlog, mode_t mode, struct strbuf *err)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	if (netio_sun(&sun, path) < 0) {
		strbuf_set_printf(err, "socket path too long: %s", path);
		return -1;
	}
	/* Remove a stale socket only; never a file someone put there. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			strbuf_set_printf(err, "%s: exists and is not a socket", path);
			return -1;
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			strbuf_set_printf(err, "unlink %s: %s", path, strerror(errno));
			return -1;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		strbuf_set_printf(err, "socket: %s", strerror(errno));
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		strbuf_set_printf(err, "bind %s: %s", path, strerror(errno));
		goto fail;
	}
	/* chmod on the path: fchmod on a socket does not change the inode. */
	if (chmod(path, mode) < 0) {
		strbuf_set_printf(err, "chmod %s: %s", path, strerror(errno));
		goto fail;
	}
	if (listen(fd, backlog) < 0) {
		strbuf_set_printf(err, "listen %s: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* Milliseconds left until deadline (monotonic ms); 0 when past. */
static long long
netio_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
netio_left(long long deadline)
{
	long long left = deadline - netio_now_ms();

	return left > 0 ? (int)(left > 0x7fffffff ? 0x7fffffff : left) : 0;
}

/* Wait for events on fd until deadline (timeout_ms <= 0: no wait needed).
 * 0 when ready, -1 with ETIMEDOUT or poll's errno. */
static int
netio_wait(int fd, short events, int timeout_ms, long long deadline)
{
	struct pollfd pfd = { fd, events, 0 };
	int r;

	if (timeout_ms <= 0)
		return 0;
	for (;;) {
		r = poll(&pfd, 1, netio_left(deadline));
		if (r > 0)
			return 0;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

int
unix_connect_nonblock(const char *path)
{
	struct sockaddr_un sun;
	int fd, saved;

	if (netio_sun(&sun, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 &&
	    errno != EINPROGRESS) {
		/* EAGAIN on a UNIX socket: the listener's backlog is full. */
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
unix_connect(const char *path, int timeout_ms)
{
	long long deadline = netio_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int fd, saved;

	if (timeout_ms <= 0) {
		struct sockaddr_un sun;

		if (netio_sun(&sun, path) < 0)
			return -1;
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		return fd;
	}
	/* A full backlog gives EAGAIN at once: retry until the deadline. */
	while ((fd = unix_connect_nonblock(path)) < 0) {
		if (errno != EAGAIN)
			return -1;
		if (netio_left(deadline) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		poll(NULL, 0, 10);
	}
	if (fd_set_nonblock(fd, 0) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Create, bind and listen one TCP socket for a resolved address. */
static int
netio_tcp_listen(const struct sockaddr *sa, socklen_t salen, int backlog,
    int dual, struct strbuf *err)
{
	int fd, on = 1, off = 0, saved;

	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		saved = errno;
		strbuf_set_printf(err, "socket: %s", strerror(errno));
		errno = saved;
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		goto fail_errno;
	if (sa->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual ? &off : &on,
		    sizeof(int));
	if (bind(fd, sa, salen) < 0 || listen(fd, backlog) < 0)
		goto fail_errno;
	return fd;
fail_errno:
	saved = errno;
	strbuf_set_printf(err, "bind/listen: %s", strerror(errno));
	close(fd);
	errno = saved;
	return -1;
}

int
inet_listen(const char *host, const char *port, int backlog, struct strbuf *err)
{
	struct addrinfo hints, *res = NULL;
	char hbuf[INET6_ADDRSTRLEN + 4];
	size_t hl;
	int any, fd, r;

	if (host == NULL)
		host = "";
	any = *host == '\0' || strcmp(host, "*") == 0 || strcasecmp(host, "all") == 0;
	if (!any) {
		/* Strip [brackets]; map "localhost" without asking any resolver. */
		hl = strlen(host);
		if (host[0] == '[' && hl >= 2 && host[hl - 1] == ']' &&
		    hl - 2 < sizeof(hbuf)) {
			memcpy(hbuf, host + 1, hl - 2);
			hbuf[hl - 2] = '\0';
		} else if (strlcpy(hbuf, host, sizeof(hbuf)) >= sizeof(hbuf)) {
			strbuf_set_printf(err, "bad listen address \"%.100s\"", host);
			return -1;
		}
		if (strcasecmp(hbuf, "localhost") == 0)
			strlcpy(hbuf, "127.0.0.1", sizeof(hbuf));
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
	hints.ai_family = any ? AF_INET6 : AF_UNSPEC;
	r = getaddrinfo(any ? "::" : hbuf, port, &hints, &res);
	if (r == 0 && any) {
		/* Dual-stack [::] first; IPv4 0.0.0.0 when IPv6 is missing. */
		fd = netio_tcp_listen(res->ai_addr, res->ai_addrlen, backlog, 1, err);
		freeaddrinfo(res);
		if (fd >= 0 || (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL))
			return fd;
		hints.ai_family = AF_INET;
		r = getaddrinfo("0.0.0.0", port, &hints, &res);
	}
	if (r != 0) {
		strbuf_set_printf(err, "listen address \"%.100s\" port \"%.100s\": %s "
		    "(numeric addresses only)", host, port ? port : "", gai_strerror(r));
		return -1;
	}
	fd = netio_tcp_listen(res->ai_addr, res->ai_addrlen, backlog, 0, err);
	freeaddrinfo(res);
	return fd;
}

int
inet_split_service(const char *service, struct strbuf *host, struct strbuf *port)
{
	const char *colon, *close;

	strbuf_reset(host);
	strbuf_reset(port);
	if (service[0] == '[') {
		if ((close = strchr(service, ']')) == NULL || close[1] != ':')
			return -1;
		if (strbuf_append(host, service + 1, (size_t)(close - service - 1)) < 0)
			return -1;
		colon = close + 1;
	} else if ((colon = strrchr(service, ':')) != NULL) {
		if (memchr(service, ':', (size_t)(colon - service)) != NULL)
			return -1;	/* bare IPv6 needs [brackets] */
		if (strbuf_append(host, service, (size_t)(colon - service)) < 0)
			return -1;
	} else {
		colon = service - 1;
	}
	if (colon[1] == '\0' || strbuf_set_str(port, colon + 1) < 0)
		return -1;
	return 0;
}

int
service_path(char *buf, size_t size, const char *queue_dir,
    const char *visibility, const char *name)
{
	int n = snprintf(buf, size, "%s/%s/%s", queue_dir, visibility, name);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
trigger_send(const char *queue_dir, const char *visibility, const char *name)
{
	return trigger_send_byte(queue_dir, visibility, name, 'W');
}

int
trigger_send_byte(const char *queue_dir, const char *visibility,
    const char *name, char byte)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd, saved;

	if (service_path(path, sizeof(path), queue_dir, visibility, name) < 0)
		return -1;
	if ((fd = unix_connect_nonblock(path)) < 0)
		/* A full backlog means wake-ups are already pending. */
		return errno == EAGAIN ? 0 : -1;
	/* EPIPE/ECONNRESET: the server took the connection and let go early;
	 * the wake-up happened all the same. */
	if (send(fd, &byte, 1, MSG_NOSIGNAL) < 0 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EPIPE && errno != ECONNRESET) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/* write(2) without SIGPIPE on sockets. */
static ssize_t
netio_write(int fd, const void *buf, size_t n)
{
	ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

	if (w < 0 && errno == ENOTSOCK)
		w = write(fd, buf, n);
	return w;
}

int
write_full(int fd, const void *buf, size_t n, int timeout_ms)
{
	long long deadline = netio_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		if (netio_wait(fd, POLLOUT, timeout_ms, deadline) < 0)
			return -1;
		w = netio_write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* A non-blocking fd without a timeout: wait here. */
				if (timeout_ms <= 0) {
					struct pollfd pfd = { fd, POLLOUT, 0 };

					(void)poll(&pfd, 1, -1);
				}
				continue;
			}
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

ssize_t
read_full(int fd, void *buf, size_t n, int timeout_ms)
{
	long long deadline = netio_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	char *p = buf;
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		if (netio_wait(fd, POLLIN, timeout_ms, deadline) < 0)
			return -1;
		r = read(fd, p + got, n - got);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
				/* A non-blocking fd without a timeout: wait here. */
				if (timeout_ms <= 0 && errno != EINTR) {
					struct pollfd pfd = { fd, POLLIN, 0 };

					(void)poll(&pfd, 1, -1);
				}
				continue;
			}
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int sock_addr(int fd, int local, struct strbuf *addr,
    struct strbuf *port);

int
peer_addr(int fd, struct strbuf *addr, struct strbuf *port)
{
	return sock_addr(fd, 0, addr, port);
}

int
local_addr(int fd, struct strbuf *addr, struct strbuf *port)
{
	return sock_addr(fd, 1, addr, port);
}

static int
sock_addr(int fd, int local, struct strbuf *addr, struct strbuf *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char hbuf[INET6_ADDRSTRLEN], pbuf[16];
	const void *src;
	int pnum;

	if ((local ? getsockname(fd, (struct sockaddr *)&ss, &len) :
	    getpeername(fd, (struct sockaddr *)&ss, &len)) < 0)
		return -1;
	if (ss.ss_family == AF_UNIX) {
		strbuf_set_str(addr, "unix");
		if (port != NULL)
			strbuf_reset(port);
		return 0;
	}
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		src = &sin->sin_addr;
		pnum = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		pnum = ntohs(sin6->sin6_port);
		/* Show an IPv4 client of a dual-stack socket as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			src = &sin6->sin6_addr.s6_addr[12];
			ss.ss_family = AF_INET;
		} else {
			src = &sin6->sin6_addr;
		}
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (inet_ntop(ss.ss_family, src, hbuf, sizeof(hbuf)) == NULL)
		return -1;
	if (strbuf_set_str(addr, hbuf) < 0)
		return -1;
	if (port != NULL) {
		snprintf(pbuf, sizeof(pbuf), "%d", pnum);
		if (strbuf_set_str(port, pbuf) < 0)
			return -1;
	}
	return 0;
}

int
peer_uid(int fd, uid_t *uid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -1;
	*uid = cred.uid;
	return 0;
}
