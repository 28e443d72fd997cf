/*
 * tests/unit/test_log.c — log lines in a file and on stderr: the syslog-like
 * shape, level prefixes, control characters neutralised, the length cap,
 * debug on/off, errno text, and that fatal exits 1 and panic aborts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "strbuf.h"

static char path[64];

static int
setup(void **state)
{
	int fd;

	(void)state;
	strcpy(path, "/tmp/test_log.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	log_init("unknown", LOG_DEST_STDERR, NULL);
	log_set_syslog_name("tegami");
	log_set_verbose(0);
	unlink(path);
	return 0;
}

/* Read the log file into a NUL-terminated malloc'd buffer. */
static char *
slurp(void)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, (1 << 16) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Does line number `idx` (0-based) of text match the regex? */
static void
assert_line(const char *text, int idx, const char *re)
{
	regex_t rx;
	char line[8192];
	const char *p = text, *nl;
	int i;

	for (i = 0; i < idx && p != NULL; i++)
		p = (nl = strchr(p, '\n')) ? nl + 1 : NULL;
	assert_non_null(p);
	nl = strchr(p, '\n');
	assert_non_null(nl);
	assert_true((size_t)(nl - p) < sizeof(line));
	memcpy(line, p, (size_t)(nl - p));
	line[nl - p] = '\0';
	assert_int_equal(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
	if (regexec(&rx, line, 0, NULL, 0) != 0)
		fail_msg("line %d: got \"%s\", want /%s/", idx, line, re);
	regfree(&rx);
}

#define STAMP "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [^ ]+ "

static void
test_file_format(void **state)
{
	char *text, re[256], big[6000];
	long pid = (long)getpid();

	(void)state;
	log_init("/usr/libexec/tegami/smtpd", LOG_DEST_FILE, path);
	log_info("ABC123: from=<a@b>, size=%d", 1234);
	log_warn("bad input");
	log_debug("not shown");
	log_set_verbose(1);
	log_debug("shown");
	log_info("ctl\r\nchars\x01\x7f end\ttab");
	errno = ENOENT;
	log_warn_errno("open %s", "x");
	log_set_syslog_name("tegami-2");
	log_info("renamed");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_info("%s", big);
	log_info("after");

	text = slurp();
	snprintf(re, sizeof(re), STAMP "tegami/smtpd\\[%ld\\]: ABC123: from=<a@b>, "
	    "size=1234$", pid);
	assert_line(text, 0, re);
	snprintf(re, sizeof(re), STAMP "tegami/smtpd\\[%ld\\]: warning: bad input$", pid);
	assert_line(text, 1, re);
	assert_line(text, 2, ": shown$");
	assert_line(text, 3, ": ctl\\?\\?chars\\?\\? end\\?tab$");
	assert_line(text, 4, ": warning: open x: No such file or directory$");
	assert_line(text, 5, " tegami-2/smtpd\\[[0-9]+\\]: renamed$");
	assert_line(text, 6, ": x{3900,4000}$");
	assert_line(text, 7, ": after$");
	assert_null(strstr(text, "not shown"));
	free(text);
}

static void
test_stderr_format(void **state)
{
	int fd, status;
	pid_t pid;
	char *text, re[128];

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_TRUNC);
		dup2(fd, 2);
		log_init("pickup", LOG_DEST_STDERR, NULL);
		log_info("hello");
		log_fatal("cannot go on: %d", 7);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	text = slurp();
	snprintf(re, sizeof(re), "^tegami/pickup\\[%ld\\]: hello$", (long)pid);
	assert_line(text, 0, re);
	snprintf(re, sizeof(re), "^tegami/pickup\\[%ld\\]: fatal: cannot go on: 7$",
	    (long)pid);
	assert_line(text, 1, re);
	free(text);
}

/* Foreground: every line goes to the file and to stderr. */
static void
test_file_and_stderr(void **state)
{
	char errpath[64] = "/tmp/test_log_err.XXXXXX";
	int fd, status;
	pid_t pid;
	char *text;
	FILE *fp;
	char line[512];

	(void)state;
	assert_true((fd = mkstemp(errpath)) >= 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd, 2);
		log_also_stderr(1);
		log_init("master", LOG_DEST_FILE, path);
		log_info("both places");
		log_also_stderr(0);
		log_info("file only");
		_exit(0);
	}
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	text = slurp();
	assert_line(text, 0, STAMP "tegami/master\\[[0-9]+\\]: both places$");
	assert_line(text, 1, ": file only$");
	free(text);
	assert_non_null(fp = fopen(errpath, "r"));
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_true(strstr(line, "tegami/master[") == line);
	assert_non_null(strstr(line, ": both places"));
	assert_null(fgets(line, sizeof(line), fp));
	fclose(fp);
	unlink(errpath);
}

static void
test_panic_aborts(void **state)
{
	int status;
	pid_t pid;
	char *text;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		log_init("qmgr", LOG_DEST_FILE, path);
		log_panic("invariant broke");
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	text = slurp();
	assert_line(text, 0, "tegami/qmgr\\[[0-9]+\\]: panic: invariant broke$");
	free(text);
}

static void
test_bad_file_falls_back(void **state)
{
	(void)state;
	/* An unopenable file must not lose the message or crash. */
	log_init("x", LOG_DEST_FILE, "/nonexistent/dir/log");
	log_info("still logged somewhere");
	log_init("x", LOG_DEST_SYSLOG, NULL);
	log_info("test_log: syslog line");
	log_reset_pid();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stderr_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_and_stderr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_panic_aborts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_file_falls_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
