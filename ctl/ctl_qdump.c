/*
 * ctl/ctl_qdump.c — `tegami qdump FILE ...`: print queue files record by
 * record (postcat(1)), through lib/qfile's dumper.  A corrupt file is
 * reported with the reason; the exit status is 1 when any file was bad.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "qfile.h"
#include "strbuf.h"

int
ctl_cmd_qdump(int argc, char **argv)
{
	struct strbuf why;
	int i, fd, r = 0;

	if (argc < 2) {
		ctl_error("usage: tegami qdump FILE ...");
		return 1;
	}
	strbuf_init(&why, 4096);
	for (i = 1; i < argc; i++) {
		if ((fd = open(argv[i], O_RDONLY | O_CLOEXEC)) < 0) {
			ctl_error("open %s: %s", argv[i], strerror(errno));
			r = 1;
			continue;
		}
		if (argc > 2)
			printf("*** %s\n", argv[i]);
		strbuf_reset(&why);
		if (qfile_dump(fd, stdout, &why) < 0) {
			fflush(stdout);
			ctl_error("%s: %s", argv[i], why.data);
			r = 1;
		}
		close(fd);
	}
	fflush(stdout);
	strbuf_release(&why);
	return r;
}
