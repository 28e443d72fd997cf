/*
 * auth/main.c — the SASL verification service (auth(8)).
 *
 * One event-driven process on private/auth (master.cf maxproc 1, so the
 * failed-login table is one table) that submission asks to verify AUTH
 * exchanges.  It starts as root only to read the password file in
 * pre_jail, then runs as mail_owner.  The work is in auth_service.c.
 */
#include "auth.h"
#include "server.h"

static const struct conf_param *const auth_tables[] = {
	auth_params,
	NULL
};

static const struct server_ops auth_ops = {
	.name = "auth",
	.params = auth_tables,
	.pre_jail = auth_service_pre_jail,
	.post_jail = auth_service_post_jail,
	.no_idle_exit = 1,
};

int
main(int argc, char **argv)
{
	event_server_main(argc, argv, &auth_ops, auth_service_accept);
}
