/*
 * tests/unit/test_netio.c — UNIX listen/connect/trigger round trip (with a
 * stale socket and a non-socket in the way), loopback TCP listeners, the
 * service splitter, bounded reads and writes with timeouts, peer identity.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <unistd.h>
#include <cmocka.h>

#include "netio.h"
#include "strbuf.h"

static char dir[64];

static int
setup(void **state)
{
	char p[128];

	(void)state;
	strcpy(dir, "/tmp/test_netio.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(p, sizeof(p), "%s/public", dir);
	return mkdir(p, 0755);
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_unix_roundtrip(void **state)
{
	char path[128], buf[16];
	struct strbuf err, addr;
	struct stat st;
	int lfd, cfd, afd;
	uid_t uid;

	(void)state;
	strbuf_init(&err, 1000);
	strbuf_init(&addr, 100);
	assert_int_equal(service_path(path, sizeof(path), dir, "public", "qmgr"), 0);
	lfd = unix_listen(path, 16, 0622, &err);
	if (lfd < 0)
		fail_msg("unix_listen: %s", err.data);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0622);
	/* Listening again over the stale socket works. */
	close(lfd);
	lfd = unix_listen(path, 16, 0666, &err);
	assert_true(lfd >= 0);

	cfd = unix_connect(path, 1000);
	assert_true(cfd >= 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(write_full(cfd, "hello", 5, 1000), 0);
	assert_int_equal(read_full(afd, buf, 5, 1000), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(peer_uid(afd, &uid), 0);
	assert_int_equal(uid, getuid());
	assert_int_equal(peer_addr(afd, &addr, NULL), 0);
	assert_string_equal(addr.data, "unix");

	/* Timeout: nothing to read. */
	errno = 0;
	assert_int_equal(read_full(afd, buf, 1, 50), -1);
	assert_int_equal(errno, ETIMEDOUT);
	/* EOF: a short count. */
	assert_int_equal(write_full(cfd, "ab", 2, 1000), 0);
	close(cfd);
	assert_int_equal(read_full(afd, buf, 5, 1000), 2);
	close(afd);

	/* Trigger: one byte arrives, the sender never blocks. */
	assert_int_equal(trigger_send(dir, "public", "qmgr"), 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(read_full(afd, buf, 2, 1000), 1);
	close(afd);
	close(lfd);
	/* No listener: an error, not a hang. */
	unlink(path);
	assert_int_equal(trigger_send(dir, "public", "qmgr"), -1);
	assert_int_equal(unix_connect(path, 100), -1);
	assert_int_equal(unix_connect(path, 0), -1);
	strbuf_release(&err);
	strbuf_release(&addr);
}

static void
test_unix_listen_errors(void **state)
{
	char path[128], longp[300];
	struct strbuf err;
	int fd;

	(void)state;
	strbuf_init(&err, 1000);
	/* A regular file is never removed to make room for a socket. */
	snprintf(path, sizeof(path), "%s/public/file", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(unix_listen(path, 5, 0666, &err), -1);
	assert_non_null(strstr(err.data, "not a socket"));
	assert_int_equal(access(path, F_OK), 0);
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(unix_listen(longp, 5, 0666, &err), -1);
	assert_int_equal(service_path(longp, 10, dir, "public", "x"), -1);
	/* A full backlog counts as "trigger pending": success, no blocking. */
	snprintf(path, sizeof(path), "%s/public/busy", dir);
	fd = unix_listen(path, 1, 0666, &err);
	assert_true(fd >= 0);
	for (int i = 0; i < 50; i++)
		assert_int_equal(trigger_send(dir, "public", "busy"), 0);
	close(fd);
	strbuf_release(&err);
}

static void
test_inet(void **state)
{
	struct strbuf err, host, port, a, p;
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char pbuf[16];
	int lfd, cfd, afd;

	(void)state;
	strbuf_init(&err, 1000);
	strbuf_init(&host, 100);
	strbuf_init(&port, 100);
	strbuf_init(&a, 100);
	strbuf_init(&p, 100);
	lfd = inet_listen("127.0.0.1", "0", 5, &err);
	if (lfd < 0)
		fail_msg("inet_listen: %s", err.data);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&sin, len), 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(peer_addr(afd, &a, &p), 0);
	assert_string_equal(a.data, "127.0.0.1");
	assert_true(atoi(p.data) > 0);
	close(afd);
	close(cfd);
	close(lfd);

	/* "localhost" maps to 127.0.0.1 without a resolver; names are refused. */
	lfd = inet_listen("localhost", "0", 5, &err);
	assert_true(lfd >= 0);
	close(lfd);
	assert_int_equal(inet_listen("mail.example.com", "0", 5, &err), -1);
	assert_non_null(strstr(err.data, "numeric"));
	/* Any address (dual stack or IPv4), and [::1] when IPv6 exists. */
	lfd = inet_listen("", "0", 5, &err);
	if (lfd < 0)
		fail_msg("inet_listen any: %s", err.data);
	close(lfd);
	lfd = inet_listen("all", "0", 5, &err);
	assert_true(lfd >= 0);
	close(lfd);
	lfd = inet_listen("[::1]", "0", 5, &err);
	if (lfd >= 0)
		close(lfd);
	/* A port that is in use is an error. */
	lfd = inet_listen("127.0.0.1", "0", 5, &err);
	len = sizeof(sin);
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	snprintf(pbuf, sizeof(pbuf), "%d", ntohs(sin.sin_port));
	assert_int_equal(inet_listen("127.0.0.1", pbuf, 5, &err), -1);
	close(lfd);

	assert_int_equal(inet_split_service("[::1]:25", &host, &port), 0);
	assert_string_equal(host.data, "::1");
	assert_string_equal(port.data, "25");
	assert_int_equal(inet_split_service("127.0.0.1:2525", &host, &port), 0);
	assert_string_equal(host.data, "127.0.0.1");
	assert_string_equal(port.data, "2525");
	assert_int_equal(inet_split_service("smtp", &host, &port), 0);
	assert_string_equal(host.data, "");
	assert_string_equal(port.data, "smtp");
	assert_int_equal(inet_split_service("*:587", &host, &port), 0);
	assert_string_equal(host.data, "*");
	assert_int_equal(inet_split_service("::1:25", &host, &port), -1);
	assert_int_equal(inet_split_service("[::1]25", &host, &port), -1);
	assert_int_equal(inet_split_service("host:", &host, &port), -1);
	assert_int_equal(inet_split_service("", &host, &port), -1);
	strbuf_release(&err);
	strbuf_release(&host);
	strbuf_release(&port);
	strbuf_release(&a);
	strbuf_release(&p);
}

static void
test_fd_flags_and_write_timeout(void **state)
{
	int sv[2], fl;
	char big[65536];
	size_t i;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fd_set_nonblock(sv[0], 1), 0);
	fl = fcntl(sv[0], F_GETFL);
	assert_true(fl & O_NONBLOCK);
	assert_int_equal(fd_set_nonblock(sv[0], 0), 0);
	assert_false(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	assert_int_equal(fd_set_cloexec(sv[0], 1), 0);
	assert_true(fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
	/* A peer that never reads: write_full times out instead of hanging. */
	memset(big, 'x', sizeof(big));
	fd_set_nonblock(sv[0], 1);
	errno = 0;
	for (i = 0; i < 100; i++)
		if (write_full(sv[0], big, sizeof(big), 50) < 0)
			break;
	assert_true(i < 100);
	assert_int_equal(errno, ETIMEDOUT);
	/* A closed peer: EPIPE, not SIGPIPE. */
	close(sv[1]);
	assert_int_equal(write_full(sv[0], "x", 1, 50), -1);
	assert_int_equal(errno, EPIPE);
	close(sv[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unix_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_listen_errors, setup, teardown),
		cmocka_unit_test(test_inet),
		cmocka_unit_test(test_fd_flags_and_write_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
