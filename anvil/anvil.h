/*
 * anvil/anvil.h — the connection count and rate service (anvil(8)).
 *
 * anvil_table.c is the counting logic (no I/O, unit-tested): per ident
 * ("service:client_addr") a connection count and, per
 * $anvil_rate_time_unit window, connection, message and recipient rates.
 * Connections are held by owners (one per client connection of anvil), so
 * a client that goes away gives back everything it held.  anvil_service.c
 * speaks the IPC protocol (lib/ipc_names.h); anvil_params.c has the
 * parameters.
 */
#ifndef TEGAMI_ANVIL_H
#define TEGAMI_ANVIL_H

#include <stddef.h>
#include <time.h>

#include "conf.h"

#define ANVIL_IDENT_MAX		256	/* longest ident accepted, bytes */

extern long var_anvil_rate_time_unit;
extern long var_anvil_status_update_time;
extern long var_anvil_table_limit;
extern const struct conf_param anvil_params[];

struct anvil_table;
struct anvil_owner;

/* A table with rate windows of time_unit seconds (> 0) holding at most
 * limit (> 0) idents. */
struct anvil_table *anvil_table_new(long time_unit, size_t limit);
/* Frees the table and every owner still in it. */
void	anvil_table_free(struct anvil_table *t);	/* accepts NULL */

/* An owner of connections; anvil_owner_free() gives back everything it
 * still holds (the client disconnected or crashed). */
struct anvil_owner *anvil_owner_new(struct anvil_table *t);
void	anvil_owner_free(struct anvil_owner *o, time_t now);	/* accepts NULL */

/*
 * Events at time now (a monotonic clock in seconds).  connect counts one
 * more connection held by o and one more in the connection rate; message
 * and rcpt count one more in their rate.  The results include this event.
 * 0, or -1 when the ident is new and the table is full of idents that all
 * have connections (nothing was counted).
 */
int	anvil_table_connect(struct anvil_table *t, struct anvil_owner *o,
	    const char *ident, time_t now, long *count, long *rate);
int	anvil_table_message(struct anvil_table *t, const char *ident,
	    time_t now, long *rate);
int	anvil_table_rcpt(struct anvil_table *t, const char *ident,
	    time_t now, long *rate);
/* One connection of ident held by o ends; nothing when o holds none (a
 * repeated or forged disconnect cannot take another client's count). */
void	anvil_table_disconnect(struct anvil_table *t, struct anvil_owner *o,
	    const char *ident, time_t now);

/* Remove idents without connections whose window has ended.  Every event
 * does this too, so calling it is only needed to free memory early. */
void	anvil_table_expire(struct anvil_table *t, time_t now);
/* Number of idents in the table. */
size_t	anvil_table_size(const struct anvil_table *t);
/* For tests and status: the current numbers of an ident without counting
 * (rates as of now: 0 when the window has ended).  -1 when absent. */
int	anvil_table_peek(const struct anvil_table *t, const char *ident,
	    time_t now, long *count, long *conn_rate, long *msg_rate,
	    long *rcpt_rate);

/* Highest values since the last report, Postfix's "statistics:" lines. */
struct anvil_stats {
	long	max_count;
	char	max_count_ident[ANVIL_IDENT_MAX + 1];
	long	max_conn_rate;
	char	max_conn_rate_ident[ANVIL_IDENT_MAX + 1];
	long	max_msg_rate;
	char	max_msg_rate_ident[ANVIL_IDENT_MAX + 1];
	long	max_rcpt_rate;
	char	max_rcpt_rate_ident[ANVIL_IDENT_MAX + 1];
	size_t	max_size;		/* idents in the table */
	long	evicted;		/* idents dropped because the table was full */
};
/* Copy the statistics out and start new ones. */
void	anvil_table_stats(struct anvil_table *t, struct anvil_stats *out);

/* anvil_service.c: the daemon's parts for main.c. */
void	anvil_service_init(void);		/* post_jail */
void	anvil_service_accept(int fd);		/* event_server_main */

#endif
