/*
 * local-delivery/local_pipe.c — delivery to a |command target.
 *
 * The message (Return-Path, Delivered-To, content) is written into an
 * anonymous memory file that becomes the command's standard input, so
 * that a command that reads nothing can never block us.  The command runs
 * as `/bin/sh -c COMMAND` in a forked child that drops every id to the
 * target's uid/gid for good (never root) before exec, in its own session,
 * with the environment of Postfix's local(8): SENDER, RECIPIENT, LOCAL,
 * DOMAIN, EXTENSION, HOME, USER, SHELL, PATH=/usr/bin:/bin.  Standard
 * output and error are collected (the first LOCAL_PIPE_OUTPUT bytes go
 * into a bounce).  Exit 0 is success, the sysexits codes 71, 74, 75 and 78
 * defer, any other status bounces; a command that runs longer than
 * $command_time_limit (until it exits, even after closing its output) is
 * killed with its process group and deferred.  The child runs with umask
 * 077.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "ipc_names.h"
#include "local.h"
#include "log.h"
#include "mail_params.h"

#define LOCAL_PIPE_OUTPUT	1000

static void
child_env(const struct local_msg *msg, const char *rcpt, const struct passwd *pw)
{
	struct strbuf lp, dom;
	const char *delim = var_recipient_delimiter;
	size_t i;

	clearenv();
	strbuf_init(&lp, LOCAL_ADDR_MAX);
	strbuf_init(&dom, LOCAL_ADDR_MAX);
	(void)addr_split(rcpt, &lp, &dom);
	for (i = 0; i < lp.len; i++)
		lp.data[i] = (char)tolower((unsigned char)lp.data[i]);
	setenv("SENDER", msg->sender, 1);
	setenv("RECIPIENT", rcpt, 1);
	setenv("DOMAIN", dom.data, 1);
	if (delim && *delim) {
		for (i = 1; i < lp.len; i++)
			if (strchr(delim, lp.data[i]) != NULL) {
				setenv("EXTENSION", lp.data + i + 1, 1);
				lp.data[i] = '\0';
				break;
			}
	}
	setenv("LOCAL", lp.data, 1);
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("HOME", pw ? pw->pw_dir : "/", 1);
	setenv("USER", pw ? pw->pw_name : "nobody", 1);
	setenv("LOGNAME", pw ? pw->pw_name : "nobody", 1);
	setenv("SHELL", pw && pw->pw_shell && *pw->pw_shell ? pw->pw_shell : "/bin/sh", 1);
}

static void __attribute__((noreturn))
child_run(const struct local_msg *msg, const struct local_target *t,
    const char *rcpt, int in, int out)
{
	struct passwd *pw = getpwuid(t->uid);

	(void)setsid();
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(75);
	closefrom(3);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (geteuid() == 0 || getuid() == 0) {
		/* For good: real, effective and saved ids, then prove it. */
		if (setuid(0) < 0 ||
		    (pw ? initgroups(pw->pw_name, t->gid) : setgroups(1, &t->gid)) < 0 ||
		    setresgid(t->gid, t->gid, t->gid) < 0 ||
		    setresuid(t->uid, t->uid, t->uid) < 0) {
			dprintf(2, "cannot switch to uid %ld\n", (long)t->uid);
			_exit(75);
		}
		if (t->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
			_exit(75);
	}
	child_env(msg, rcpt, pw);
	(void)umask(077);
	if (chdir(pw && pw->pw_dir ? pw->pw_dir : "/") < 0 && chdir("/") < 0)
		_exit(75);
	execl("/bin/sh", "sh", "-c", t->value, (char *)NULL);
	dprintf(2, "cannot run /bin/sh: %s\n", strerror(errno));
	_exit(75);
}

/* Collect output until EOF or the deadline. 0, or -1 on timeout. */
static int
collect(int fd, struct strbuf *output, time_t deadline)
{
	char buf[4096];
	ssize_t n;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		time_t left = deadline - time(NULL);

		if (left <= 0)
			return -1;
		if (poll(&p, 1, left > 1000 ? 1000000 : (int)left * 1000) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p.revents == 0)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (output->len < LOCAL_PIPE_OUTPUT)
			strbuf_append(output, buf, (size_t)n + output->len >
			    LOCAL_PIPE_OUTPUT ? LOCAL_PIPE_OUTPUT - output->len : (size_t)n);
	}
}

static void
clean_output(struct strbuf *o)
{
	size_t i;

	while (o->len && (o->data[o->len - 1] == '\n' || o->data[o->len - 1] == ' '))
		strbuf_truncate(o, o->len - 1);
	for (i = 0; i < o->len; i++)
		if ((unsigned char)o->data[i] < 0x20 || (unsigned char)o->data[i] > 0x7e)
			o->data[i] = ' ';
}

void
local_pipe_deliver(const struct local_msg *msg, const struct local_target *t,
    const char *rcpt, struct local_result *res)
{
	struct strbuf why, output;
	int in, pfd[2], status = 0, timed_out;
	time_t deadline;
	pid_t pid;

	strbuf_init(&why, 4096);
	strbuf_init(&output, LOCAL_PIPE_OUTPUT + 1);
	if ((in = memfd_create("tegami-pipe", MFD_CLOEXEC)) < 0) {
		local_result_set(res, DELIVER_DEFER, "4.3.0", "memfd_create: %s",
		    strerror(errno));
		goto out;
	}
	if (local_write_message(msg, in, rcpt, 0, &why) < 0 ||
	    lseek(in, 0, SEEK_SET) < 0) {
		local_result_set(res, DELIVER_DEFER, "4.3.0",
		    "cannot copy the message for the command: %s", why.data);
		close(in);
		goto out;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		local_result_set(res, DELIVER_DEFER, "4.3.0", "pipe: %s", strerror(errno));
		close(in);
		goto out;
	}
	if ((pid = fork()) < 0) {
		local_result_set(res, DELIVER_DEFER, "4.3.0", "fork: %s", strerror(errno));
		close(in);
		close(pfd[0]);
		close(pfd[1]);
		goto out;
	}
	if (pid == 0)
		child_run(msg, t, rcpt, in, pfd[1]);
	close(in);
	close(pfd[1]);
	deadline = time(NULL) +
	    (var_command_time_limit > 0 ? var_command_time_limit : 1000);
	timed_out = collect(pfd[0], &output, deadline) < 0;
	close(pfd[0]);
	/* A command that closed its output may still run: the time limit
	 * holds until it has exited, not only until EOF. */
	while (!timed_out) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (w == 0) {
			if (time(NULL) >= deadline) {
				timed_out = 1;
				break;
			}
			(void)poll(NULL, 0, 100);
		}
	}
	if (timed_out) {
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
	}
	if (timed_out)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	clean_output(&output);
	if (timed_out) {
		local_result_set(res, DELIVER_DEFER, "4.3.0",
		    "command time limit exceeded: \"%.200s\"", t->value);
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		local_result_set(res, DELIVER_OK, "2.0.0", "delivered to command: %.200s",
		    t->value);
	} else if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);
		int soft = code == 71 || code == 74 || code == 75 || code == 78;

		local_result_set(res, soft ? DELIVER_DEFER : DELIVER_BOUNCE,
		    soft ? "4.3.0" : "5.3.0",
		    "Command died with status %d: \"%.200s\"%s%s", code, t->value,
		    output.len ? ". Command output: " : "", output.data);
	} else {
		local_result_set(res, DELIVER_DEFER, "4.3.0",
		    "Command killed by signal %d: \"%.200s\"%s%s",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0, t->value,
		    output.len ? ". Command output: " : "", output.data);
	}
out:
	strbuf_release(&why);
	strbuf_release(&output);
}
