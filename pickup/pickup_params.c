/*
 * pickup/pickup_params.c — pickup's own parameters.  Like Postfix's pickup
 * it has none beyond the shared ones (queue_directory, ipc_timeout,
 * ipc_frame_limit, message_size_limit); the table exists so that `tegami
 * conf` sees every daemon the same way and new ones have a home.
 */
#include <stddef.h>

#include "pickup.h"

const struct conf_param pickup_params[] = {
	CONF_TABLE_END
};
