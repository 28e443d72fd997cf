/*
 * master/master_params.c — the parameters only master reads.
 *
 * Registered by master and, through the Makefile, by `tegami conf` and
 * `tegami check`.  Everything master shares with the daemons (queue and
 * daemon directories, mail_owner, inet_interfaces, default_process_limit)
 * is in lib/mail_params.c.
 */
#include "conf.h"
#include "master_params.h"

long	var_service_throttle_time;

const struct conf_param master_params[] = {
	/* service_throttle_time: the longest back-off before a service whose
	 * daemon crashed or failed to start is started again; the back-off
	 * begins at 1s and doubles up to this. */
	{ "service_throttle_time", CONF_TIME, "60s", NULL,
	    &var_service_throttle_time, 1, 3600, 's' },
	CONF_TABLE_END
};
