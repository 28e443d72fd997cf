/*
 * qmgr/main.c — the queue manager: moves messages from incoming/ and
 * deferred/ through active/ to the delivery agents, and decides what
 * happens to each recipient (done, deferred with back-off, bounced).
 *
 * A trigger server (lib/server.h) that never exits when idle: master
 * starts one and keeps it.  It wakes on a byte on public/qmgr (cleanup
 * after queueing, sendmail -q with 'F' to flush the deferred queue) and
 * on its -w period; everything else runs from its own libevent timers
 * and connections.  Runs as mail_owner.  See qmgr(8); the modules are
 * listed in qmgr.h.
 */
#include <stddef.h>

#include "mail_params.h"
#include "qmgr.h"
#include "server.h"

static const struct conf_param *const qmgr_tables[] = {
	qmgr_params,
	NULL,
};

static void
qmgr_post_jail(void)
{
	qmgr_scan_init();
}

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "qmgr",
		.params = qmgr_tables,
		.post_jail = qmgr_post_jail,
		.no_idle_exit = 1,
	};

	trigger_server_main(argc, argv, &ops, qmgr_scan_trigger);
}
