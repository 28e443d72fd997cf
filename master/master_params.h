/*
 * master/master_params.h — master's own parameter table (master_params.c).
 */
#ifndef TEGAMI_MASTER_PARAMS_H
#define TEGAMI_MASTER_PARAMS_H

#include "conf.h"

extern long var_service_throttle_time;	/* service_throttle_time = 60s */
extern const struct conf_param master_params[];

#endif
