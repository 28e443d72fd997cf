/*
 * showq/showq.h — the showq daemon's internal interface.
 */
#ifndef TEGAMI_SHOWQ_H
#define TEGAMI_SHOWQ_H

#include "conf.h"
#include "ipc.h"
#include "qfile.h"

extern const struct conf_param showq_params[];

/* Serve one client: read {req=list}, answer one frame per queued message
 * with pending recipients, then {req=end}. */
void	showq_service(int fd);

/* Build the frame for one queue file (env with id set): 0, or -1 when it
 * has no pending recipient. Reasons come from QUEUE_DIR/defer/ID. */
int	showq_entry(const struct qfile_env *env, const char *queue_name,
	    struct ipc_msg *m);

/* mailq's fallback: serve one client on fd 0 without the master
 * (`showq -c DIR --stdin`). */
int	showq_stdin_main(int argc, char **argv);

#endif
