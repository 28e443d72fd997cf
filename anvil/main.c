/*
 * anvil/main.c — the connection count and rate service (anvil(8)).
 *
 * One event-driven process on private/anvil (master.cf maxproc 1) that
 * every smtpd process asks before it lets a client in and at MAIL and
 * RCPT; the counts live only in this process's memory (anvil_table.c), so
 * it never exits for idleness.  The IPC side is anvil_service.c.
 */
#include "anvil.h"
#include "server.h"

static const struct conf_param *const anvil_tables[] = {
	anvil_params,
	NULL
};

static const struct server_ops anvil_ops = {
	.name = "anvil",
	.params = anvil_tables,
	.post_jail = anvil_service_init,
	.no_idle_exit = 1,
};

int
main(int argc, char **argv)
{
	event_server_main(argc, argv, &anvil_ops, anvil_service_accept);
}
