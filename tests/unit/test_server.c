/*
 * tests/unit/test_server.c — the daemon skeletons of lib/server.c.
 *
 * The status report encoding, then real skeletons in forked children with
 * a temp config dir (main.cf: queue_directory, maillog_file): stand-alone
 * (-S) single servers that echo a byte — max_use from main.cf and from -o,
 * SIGTERM when idle and when busy, max_idle, bad options and a missing
 * listen socket (exit 1); a single server under a fake master (listen socket
 * on fd 3, busy/idle reports on fd 4); an event and a trigger server.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "netio.h"
#include "server.h"
#include "strbuf.h"

#define WAIT_MS	5000

static char tdir[64];		/* config dir: tdir/etc, queue dir: tdir/q */
static char cdir[96], qdir[96], logpath[128];

/* ---- status encoding ---------------------------------------------------- */

static void
test_status_encoding(void **state)
{
	static const struct {
		unsigned pid;
		int	letter;
		int	want;
	} cases[] = {
		{1234, SERVER_STATUS_BUSY, 0},
		{0xfffffffeu, SERVER_STATUS_IDLE, 0},
		{0, SERVER_STATUS_IDLE, 0},
		{77, 'X', -1},
		{77, 0, -1},
		{77, 'b', -1},
	};
	unsigned char buf[SERVER_STATUS_SIZE];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t raw;
		unsigned pid = 999;
		int	letter = '?', got;

		server_status_encode(buf, cases[i].pid, cases[i].letter);
		memcpy(&raw, buf, sizeof(raw));		/* host order */
		assert_int_equal(raw, cases[i].pid);
		assert_int_equal(buf[4], (unsigned char)cases[i].letter);
		got = server_status_decode(buf, &pid, &letter);
		if (got != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, got, cases[i].want);
		if (got == 0) {
			assert_int_equal(pid, cases[i].pid);
			assert_int_equal(letter, cases[i].letter);
		} else {		/* untouched on error */
			assert_int_equal(pid, 999);
			assert_int_equal(letter, '?');
		}
	}
}

/* ---- children ----------------------------------------------------------- */

static const struct server_ops test_ops = {
	.name = "testsvc",
	.params = NULL,
};

/* Echo one byte; 'w' first means: ack, then echo the next byte (a busy
 * request the parent controls). */
static void
echo_service(int fd)
{
	char	c;

	if (read_full(fd, &c, 1, 5000) != 1)
		return;
	if (c == 'w') {
		(void)write_full(fd, &c, 1, 5000);
		if (read_full(fd, &c, 1, 5000) != 1)
			return;
	}
	(void)write_full(fd, &c, 1, 5000);
}

static void
echo_accept(int fd)
{
	(void)fd_set_nonblock(fd, 0);
	echo_service(fd);
	close(fd);
	server_conn_done();
}

/* Trigger server: report each wake-up byte on the pipe at fd 5. */
static void
trigger_fn(void)
{
	char	c = (char)server_trigger_byte();

	(void)write(5, &c, 1);
}

enum kind { K_SINGLE, K_EVENT, K_TRIGGER };

/* Write main.cf with the given extra lines. */
static void
write_main_cf(const char *extra)
{
	char	path[160];
	FILE   *f;

	snprintf(path, sizeof(path), "%s/main.cf", cdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "queue_directory = %s\nmaillog_file = %s\n%s", qdir, logpath,
	    extra);
	assert_int_equal(fclose(f), 0);
}

/* Fork a skeleton with "-c CDIR" and the given options.  fd3/fd4/fd5 >= 0
 * become the child's fds 3, 4, 5; otherwise those are closed. */
static pid_t
spawn(enum kind kind, const char *const *opts, int fd3, int fd4, int fd5)
{
	char   *argv[32];
	int	argc = 0, hi[3] = {-1, -1, -1}, src[3] = {fd3, fd4, fd5}, i;
	pid_t	pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid > 0)
		return (pid);
	/* Move the chosen fds out of the way, then into place. */
	for (i = 0; i < 3; i++)
		if (src[i] >= 0)
			hi[i] = fcntl(src[i], F_DUPFD, 20);
	for (i = 0; i < 3; i++) {
		close(3 + i);
		if (hi[i] >= 0) {
			dup2(hi[i], 3 + i);
			close(hi[i]);
		}
	}
	argv[argc++] = (char *)"testsvc";
	argv[argc++] = (char *)"-c";
	argv[argc++] = cdir;
	for (; *opts; opts++)
		argv[argc++] = (char *)*opts;
	argv[argc] = NULL;
	switch (kind) {
	case K_EVENT:
		event_server_main(argc, argv, &test_ops, echo_accept);
	case K_TRIGGER:
		trigger_server_main(argc, argv, &test_ops, trigger_fn);
	default:
		single_server_main(argc, argv, &test_ops, echo_service);
	}
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Wait for the child's exit; its status, or -1 (killed) after ms. */
static int
wait_exit(pid_t pid, long ms)
{
	long	end = now_ms() + ms;
	int	st;

	while (now_ms() < end) {
		pid_t	r = waitpid(pid, &st, WNOHANG);

		assert_true(r >= 0);
		if (r == pid)
			return (WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return (-1);
}

/* Has the child exited yet (without waiting)? */
static int
exited(pid_t pid)
{
	int	st;

	return (waitpid(pid, &st, WNOHANG) == pid);
}

/* Connect to QDIR/VIS/testsvc, retrying while the child starts. */
static int
connect_svc(const char *vis)
{
	char	path[160];
	long	end = now_ms() + WAIT_MS;
	int	fd;

	snprintf(path, sizeof(path), "%s/%s/testsvc", qdir, vis);
	while ((fd = unix_connect(path, 1000)) < 0 && now_ms() < end)
		usleep(10000);
	if (fd < 0)
		fail_msg("connect %s: %s", path, strerror(errno));
	return (fd);
}

/* One connection: send c, expect it back, and the server's close. */
static void
echo_once(char c)
{
	int	fd = connect_svc("private");
	char	r = 0;

	assert_int_equal(write_full(fd, &c, 1, WAIT_MS), 0);
	assert_int_equal(read_full(fd, &r, 1, WAIT_MS), 1);
	assert_int_equal(r, c);
	assert_int_equal(read_full(fd, &r, 1, WAIT_MS), 0);	/* closed */
	close(fd);
}

static int
log_has(const char *text)
{
	FILE   *f = fopen(logpath, "r");
	char	line[4096];
	int	found = 0;

	if (f == NULL)
		return (0);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, text) != NULL;
	fclose(f);
	return (found);
}

static int
setup(void **state)
{
	char	path[160];

	strcpy(tdir, "/tmp/test_server.XXXXXX");
	assert_non_null(mkdtemp(tdir));
	snprintf(cdir, sizeof(cdir), "%s/etc", tdir);
	snprintf(qdir, sizeof(qdir), "%s/q", tdir);
	snprintf(logpath, sizeof(logpath), "%s/maillog", tdir);
	assert_int_equal(mkdir(cdir, 0700), 0);
	assert_int_equal(mkdir(qdir, 0700), 0);
	snprintf(path, sizeof(path), "%s/private", qdir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/public", qdir);
	assert_int_equal(mkdir(path, 0700), 0);
	return (0);
}

static int
teardown(void **state)
{
	char	cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	return (system(cmd));
}

/* ---- single server, stand-alone ----------------------------------------- */

/* max_use = 2 in main.cf: two echoes, then exit 0; -v logs "ready"; the
 * private socket is 0600. */
static void
test_single_max_use(void **state)
{
	static const char *const opts[] = {"-S", "-n", "testsvc", "-t", "unix",
	    "-v", NULL};
	char	path[160];
	struct stat st;
	pid_t	pid;

	write_main_cf("max_use = 2\n");
	pid = spawn(K_SINGLE, opts, -1, -1, -1);
	echo_once('a');
	snprintf(path, sizeof(path), "%s/private/testsvc", qdir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_false(exited(pid));
	echo_once('b');
	assert_int_equal(wait_exit(pid, WAIT_MS), 0);
	assert_true(log_has("testsvc: service testsvc type unix ready"));
}

/* -o overrides main.cf: max_use=1 exits after the first connection. */
static void
test_single_override(void **state)
{
	static const char *const opts[] = {"-S", "-o", "max_use=1", NULL};
	pid_t	pid;

	write_main_cf("max_use = 100\n");
	pid = spawn(K_SINGLE, opts, -1, -1, -1);
	echo_once('x');		/* -n defaults to the program name */
	assert_int_equal(wait_exit(pid, WAIT_MS), 0);
}

/* SIGTERM while idle: exit 0 at once. */
static void
test_single_sigterm_idle(void **state)
{
	static const char *const opts[] = {"-S", NULL};
	pid_t	pid;

	write_main_cf("");
	pid = spawn(K_SINGLE, opts, -1, -1, -1);
	echo_once('a');
	usleep(50000);		/* back in poll() */
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(wait_exit(pid, WAIT_MS), 0);
}

/* SIGTERM while busy: the request is finished, then exit 0. */
static void
test_single_sigterm_busy(void **state)
{
	static const char *const opts[] = {"-S", NULL};
	pid_t	pid;
	char	c = 'w';
	int	fd;

	write_main_cf("");
	pid = spawn(K_SINGLE, opts, -1, -1, -1);
	fd = connect_svc("private");
	assert_int_equal(write_full(fd, &c, 1, WAIT_MS), 0);
	assert_int_equal(read_full(fd, &c, 1, WAIT_MS), 1);	/* ack: busy now */
	assert_int_equal(c, 'w');
	assert_int_equal(kill(pid, SIGTERM), 0);
	usleep(100000);
	assert_false(exited(pid));
	c = 'z';
	assert_int_equal(write_full(fd, &c, 1, WAIT_MS), 0);
	c = 0;
	assert_int_equal(read_full(fd, &c, 1, WAIT_MS), 1);
	assert_int_equal(c, 'z');
	close(fd);
	assert_int_equal(wait_exit(pid, WAIT_MS), 0);
}

/* max_idle: an unused server exits 0 by itself. */
static void
test_single_max_idle(void **state)
{
	static const char *const opts[] = {"-S", NULL};
	long	start = now_ms();
	pid_t	pid;

	write_main_cf("max_idle = 1s\n");
	pid = spawn(K_SINGLE, opts, -1, -1, -1);
	assert_int_equal(wait_exit(pid, WAIT_MS), 0);
	assert_true(now_ms() - start >= 900);
}

/* Start-up errors are fatal: exit 1 with a log line. */
static void
test_startup_errors(void **state)
{
	static const char *const bad_opt[] = {"-S", "-x", NULL};
	static const char *const extra_arg[] = {"-S", "extra", NULL};
	static const char *const bad_w[] = {"-S", "-w", "-1", NULL};
	static const char *const bad_o[] = {"-S", "-o", "max_use=zero", NULL};
	static const char *const no_listen[] = {NULL};
	static const struct {
		const char *label;
		const char *const *opts;
		const char *log;	/* in maillog, or NULL: before the log */
	} cases[] = {
		{"unknown option", bad_opt, NULL},
		{"extra argument", extra_arg, NULL},
		{"bad -w", bad_w, NULL},
		{"bad -o value", bad_o, NULL},
		{"no listen socket", no_listen, "no listen socket on fd 3"},
	};
	size_t	i;

	write_main_cf("");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int	devnull = open("/dev/null", O_WRONLY), saved = dup(2), got;
		pid_t	pid;

		dup2(devnull, 2);	/* the child's fatal line */
		pid = spawn(K_SINGLE, cases[i].opts, -1, -1, -1);
		dup2(saved, 2);
		close(saved);
		close(devnull);
		got = wait_exit(pid, WAIT_MS);
		if (got != 1)
			fail_msg("%s: got exit %d, want 1", cases[i].label, got);
		if (cases[i].log && !log_has(cases[i].log))
			fail_msg("%s: no \"%s\" in the log", cases[i].label,
			    cases[i].log);
	}
}

/* ---- single server under a fake master ---------------------------------- */

static void
read_status(int fd, pid_t pid, int want)
{
	unsigned char buf[SERVER_STATUS_SIZE];
	struct pollfd pfd = {fd, POLLIN, 0};
	unsigned got_pid;
	int	letter;

	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	assert_int_equal(read(fd, buf, sizeof(buf)), SERVER_STATUS_SIZE);
	assert_int_equal(server_status_decode(buf, &got_pid, &letter), 0);
	assert_int_equal(got_pid, (unsigned)pid);
	if (letter != want)
		fail_msg("status: got '%c', want '%c'", letter, want);
}

/* Listen socket on fd 3 (not bound by the child), reports on fd 4:
 * I when ready, B and I around each connection. */
static void
test_single_under_master(void **state)
{
	static const char *const opts[] = {"-n", "testsvc", "-o", "max_use=2",
	    NULL};
	struct strbuf err;
	char	path[160];
	int	lfd, sp[2];
	pid_t	pid;

	write_main_cf("");
	snprintf(path, sizeof(path), "%s/private/testsvc", qdir);
	strbuf_init(&err, 1024);
	lfd = unix_listen(path, 10, 0600, &err);
	assert_true(lfd >= 0);
	strbuf_release(&err);
	assert_int_equal(pipe(sp), 0);
	pid = spawn(K_SINGLE, opts, lfd, sp[1], -1);
	close(sp[1]);
	close(lfd);
	read_status(sp[0], pid, SERVER_STATUS_IDLE);
	echo_once('m');
	read_status(sp[0], pid, SERVER_STATUS_BUSY);
	read_status(sp[0], pid, SERVER_STATUS_IDLE);
	echo_once('n');
	read_status(sp[0], pid, SERVER_STATUS_BUSY);
	read_status(sp[0], pid, SERVER_STATUS_IDLE);
	assert_int_equal(wait_exit(pid, WAIT_MS), 0);
	close(sp[0]);
}

/* ---- event and trigger servers ------------------------------------------ */

/* Event server: echoes, retires after max_use connections once they are
 * done; SIGTERM when idle exits 0. */
static void
test_event_server(void **state)
{
	static const char *const opts[] = {"-S", "-o", "max_use=2", NULL};
	static const char *const opts_term[] = {"-S", NULL};
	pid_t	pid;

	write_main_cf("");
	pid = spawn(K_EVENT, opts, -1, -1, -1);
	echo_once('e');
	assert_false(exited(pid));
	echo_once('f');
	assert_int_equal(wait_exit(pid, WAIT_MS), 0);

	pid = spawn(K_EVENT, opts_term, -1, -1, -1);
	echo_once('g');
	usleep(50000);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(wait_exit(pid, WAIT_MS), 0);
}

/* Trigger server: listens on public/ (0666); each wake-up byte reaches the
 * handler through server_trigger_byte(); exits after max_use wake-ups. */
static void
test_trigger_server(void **state)
{
	static const char *const opts[] = {"-S", "-o", "max_use=2", NULL};
	struct pollfd pfd;
	struct stat st;
	char	path[160], c;
	int	p[2], i;
	pid_t	pid;

	write_main_cf("");
	assert_int_equal(pipe(p), 0);
	pid = spawn(K_TRIGGER, opts, -1, -1, p[1]);
	close(p[1]);
	snprintf(path, sizeof(path), "%s/public/testsvc", qdir);
	for (i = 0; i < 500 && stat(path, &st) < 0; i++)
		usleep(10000);
	assert_int_equal(st.st_mode & 0777, 0666);
	assert_int_equal(trigger_send_byte(qdir, "public", "testsvc", 'F'), 0);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'F');
	assert_int_equal(trigger_send(qdir, "public", "testsvc"), 0);
	assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'W');
	assert_int_equal(wait_exit(pid, WAIT_MS), 0);
	close(p[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_encoding),
#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_single_max_use),
		T(test_single_override),
		T(test_single_sigterm_idle),
		T(test_single_sigterm_busy),
		T(test_single_max_idle),
		T(test_startup_errors),
		T(test_single_under_master),
		T(test_event_server),
		T(test_trigger_server),
#undef T
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
