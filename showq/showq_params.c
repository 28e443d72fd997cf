/*
 * showq/showq_params.c — showq's own parameters.  Like Postfix's showq it
 * has none beyond the shared ones (queue_directory, ipc_timeout,
 * ipc_frame_limit); the table gives new ones a home.
 */
#include <stddef.h>

#include "showq.h"

const struct conf_param showq_params[] = {
	CONF_TABLE_END
};
