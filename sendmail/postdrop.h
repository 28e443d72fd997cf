/*
 * sendmail/postdrop.h — postdrop's writer (maildrop_write.c), separate
 * from postdrop.c (its main) so that tests can drive it on a pipe.
 */
#ifndef TEGAMI_POSTDROP_H
#define TEGAMI_POSTDROP_H

#include <sys/types.h>

#include "qfile.h"
#include "strbuf.h"

/* Read the sendmail stream from fd until it ends, validate it, and commit
 * it to QUEUE_DIR/maildrop with uid recorded.  0 with id, -1 with err
 * (nothing is left in maildrop/). */
int	postdrop_write(int fd, uid_t uid, char id[QFILE_ID_LEN + 1],
	    struct strbuf *err);

#endif
