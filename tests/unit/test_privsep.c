/*
 * tests/unit/test_privsep.c — privilege drop for good (in a child: uid,
 * gid and groups changed, root cannot be regained) and the temporary
 * switch of local-delivery (a file created while acting as a user belongs
 * to that user; restore gives root back).  As non-root, drop is a no-op.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "privsep.h"

/* Run fn in a child; returns its exit status (0 = all checks held). */
static int
in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int
drop_child(void)
{
	uid_t uid, r, e, s;
	gid_t gid, groups[64];
	int n, i;

	if (privsep_user("nobody", &uid, &gid) < 0)
		return 10;
	privsep_drop("nobody");
	if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid)
		return 11;
	if (getgid() != gid || getegid() != gid)
		return 12;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 13;
	n = getgroups(64, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == 0)
			return 14;
	return 0;
}

static void
test_drop(void **state)
{
	uid_t uid;
	gid_t gid;

	(void)state;
	assert_int_equal(privsep_user("root", &uid, &gid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(privsep_user("no-such-user-tegami", &uid, &gid), -1);
	if (geteuid() != 0) {
		uid_t before = getuid();

		privsep_drop("nobody");		/* a no-op for ordinary users */
		assert_int_equal(getuid(), before);
		return;
	}
	assert_int_equal(in_child(drop_child), 0);
}

static int
become_child(void)
{
	char path[] = "/tmp/test_privsep.XXXXXX";
	struct stat st;
	uid_t uid;
	gid_t gid;
	int fd;

	if (privsep_user("nobody", &uid, &gid) < 0)
		return 20;
	if (privsep_become(uid, gid) < 0)
		return 21;
	if (geteuid() != uid || getegid() != gid)
		return 22;
	if ((fd = mkstemp(path)) < 0)
		return 23;
	if (fstat(fd, &st) < 0 || st.st_uid != uid)
		return 24;
	close(fd);
	/* As the user, root's files are not writable. */
	if (open("/etc/shadow", O_RDONLY) >= 0)
		return 25;
	if (privsep_restore() < 0 || geteuid() != 0 || getegid() != 0)
		return 26;
	unlink(path);
	return 0;
}

static void
test_become_restore(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		assert_int_equal(privsep_become(getuid(), getgid()), 0);
		assert_int_equal(privsep_restore(), 0);
		return;
	}
	assert_int_equal(in_child(become_child), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_become_restore),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
