/*
 * smtp-client/main.c — the SMTP and LMTP delivery agent (program `smtp`,
 * serving private/smtp, private/relay and, under the service name lmtp,
 * private/lmtp).
 *
 * qmgr sends one request per connection naming a message in active/, its
 * next hop and its recipients; the agent finds the servers (MX lookup,
 * [host], or an LMTP socket), speaks SMTP or LMTP to them, with TLS and a
 * login where configured, and answers with one result per recipient.  One
 * process holds many deliveries and keeps idle connections for reuse.
 * See smtp-client(8).
 */
#include <stddef.h>

#include "mail_params.h"
#include "server.h"
#include "smtp.h"
#include "tls_params.h"

static const struct conf_param *const smtp_tables[] = {
	smtp_params,
	tls_server_params,	/* tls_high_cipherlist, tls_medium_cipherlist */
	NULL,
};

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "smtp",
		.params = smtp_tables,
		.pre_jail = smtpc_pre_jail,
		.post_jail = smtpc_post_jail,
	};

	event_server_main(argc, argv, &ops, smtpc_accept);
}
