/*
 * anvil/anvil_params.c — parameters of the anvil(8) service.
 *
 * Names and defaults are Postfix's where the meaning is the same;
 * anvil_table_limit is tegami's (Postfix's anvil has no bound).  The
 * main.cf(5) entries are written from these comments.
 */
#include "anvil.h"

long	var_anvil_rate_time_unit;
long	var_anvil_status_update_time;
long	var_anvil_table_limit;

const struct conf_param anvil_params[] = {
	/* The window for connection, message and recipient rates: a rate is
	 * the number of events since the window started; a new window starts
	 * with the first event after the old one ended. */
	{"anvil_rate_time_unit", CONF_TIME, "60s", NULL,
	    &var_anvil_rate_time_unit, 1, 86400, 's'},
	/* How often anvil logs the highest count and rates it saw ("0" =
	 * never). */
	{"anvil_status_update_time", CONF_TIME, "600s", NULL,
	    &var_anvil_status_update_time, 0, 86400, 's'},
	/* Most clients (service, address) anvil remembers.  When full, idents
	 * without connections are forgotten, oldest first; when every ident
	 * has connections, a new client is not limited.  Not in Postfix. */
	{"anvil_table_limit", CONF_INT, "100000", NULL, &var_anvil_table_limit,
	    100, 100000000, 0},
	CONF_TABLE_END
};
