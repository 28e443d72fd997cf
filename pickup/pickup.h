/*
 * pickup/pickup.h — the pickup daemon's internal interface.
 */
#ifndef TEGAMI_PICKUP_H
#define TEGAMI_PICKUP_H

#include "conf.h"

extern const struct conf_param pickup_params[];

/* One wake-up: feed every finished file in QUEUE_DIR/maildrop to cleanup. */
void	pickup_scan(void);

/* Outcome of one maildrop file. */
enum pickup_result {
	PICKUP_DONE,		/* queued by cleanup, file removed */
	PICKUP_RETRY,		/* temporary trouble: leave it for the next scan */
	PICKUP_CORRUPT,		/* moved to corrupt/ */
	PICKUP_STOP,		/* cleanup unreachable: stop this scan */
};

/* Process QUEUE_DIR/maildrop/ID. */
enum pickup_result pickup_file(const char *id);

#endif
