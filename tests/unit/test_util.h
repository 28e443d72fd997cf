/*
 * tests/unit/test_util.h — small helpers shared by the unit tests.
 * Header-only (static functions), so each test binary takes what it uses.
 */
#ifndef TEGAMI_TEST_UTIL_H
#define TEGAMI_TEST_UTIL_H

#include <stdlib.h>
#include "qfile.h"
#include "strbuf.h"

/* mkdtemp(tmpl) and create every queue subdirectory in it. 0 / -1. */
static inline int
test_queue_make(char *tmpl)
{
	struct strbuf err;
	int r;

	if (mkdtemp(tmpl) == NULL)
		return -1;
	strbuf_init(&err, 1024);
	r = qfile_make_dirs(tmpl, &err);
	strbuf_release(&err);
	return r;
}

#endif
