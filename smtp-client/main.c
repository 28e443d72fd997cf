/*
 * smtp-client/main.c — the SMTP delivery agent (program `smtp`, serving
 * private/smtp and private/relay).
 *
 * qmgr sends one request per connection naming a message in active/, its
 * next hop and its recipients; the agent finds the servers (MX lookup or
 * the literal [host]), speaks SMTP to them and answers with one result per
 * recipient.  XXX first cut: a single server (one delivery at a time per
 * process; master runs several), plain TCP.  See smtp-client(8).
 */
#include <stddef.h>

#include "mail_params.h"
#include "server.h"
#include "smtp.h"

static const struct conf_param *const smtp_tables[] = {
	smtp_params,
	NULL,
};

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "smtp",
		.params = smtp_tables,
		.post_jail = smtpc_post_jail,
	};

	single_server_main(argc, argv, &ops, smtpc_service);
}
