/*
 * pickup/main.c — the pickup daemon (pickup(8)): moves messages that
 * sendmail/postdrop left in QUEUE_DIR/maildrop into the queue through
 * cleanup.
 *
 * A trigger server: postdrop's wake-up on public/pickup, or the master.cf
 * wake-up period, runs one scan (pickup.c).  Runs as mail_owner.
 */
#include "pickup.h"
#include "server.h"

static const struct conf_param *const pickup_tables[] = {
	pickup_params,
	NULL
};

static const struct server_ops pickup_ops = {
	.name = "pickup",
	.params = pickup_tables,
};

int
main(int argc, char **argv)
{
	trigger_server_main(argc, argv, &pickup_ops, pickup_scan);
}
