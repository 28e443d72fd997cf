/*
 * master/main.c — tegami's master: the one root process that owns every
 * listening socket of master.cf and starts the daemons on demand.
 *
 * Read as a table of contents: options, main.cf, queue directories, the
 * pid file lock (one master per queue), the listeners, detach, then the
 * event loop in which children are spawned (master_spawn.c) and signals
 * reload or stop the system (master_signal.c).  Everything that can fail
 * at start-up fails here, in the foreground, before `tegami start` returns.
 * See master(8).
 */
#include <stdlib.h>
#include <event2/event.h>

#include "master.h"
#include "log.h"
#include "mastercf.h"
#include "strbuf.h"

int
main(int argc, char **argv)
{
	struct mastercf_entry *entries;
	struct strbuf err;
	size_t n;

	log_init("master", LOG_DEST_STDERR, NULL);
	master_args(argc, argv);

	strbuf_init(&err, 4096);
	if (master_conf_load(&master.conf, &err) < 0)
		log_fatal("%s", err.data);
	if (master_services_read(&entries, &n, &err) < 0)
		log_fatal("%s", err.data);
	master_log_start();

	master_queue_init();
	if ((master.pid_fd = master_pid_lock(master.conf.queue_dir, &err)) < 0)
		log_fatal("%s", err.data);
	master_services_update(entries, n, 1);
	mastercf_free(entries, n);
	strbuf_release(&err);

	master_detach();
	master_events_init();
	master_services_start();
	log_info("daemon started -- version %s, configuration %s",
	    TEGAMI_VERSION, master.conf.config_dir);
	event_base_dispatch(master.base);
	log_fatal("event loop ended");
}
