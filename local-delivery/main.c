/*
 * local-delivery/main.c — the local delivery agent (private/local).
 *
 * qmgr sends one request per connection naming a message in active/ and
 * its recipients; local-delivery checks the request against the queue
 * file, writes each recipient's copy into its Maildir or mbox, and answers
 * with one result per recipient.  A single server (one connection at a
 * time); it keeps root (keep_root) so that it can write as each recipient
 * user, switching effective ids for every write (lib/privsep.h); in an
 * instance run by a normal user everything is that user.  See local(8).
 */
#include <stddef.h>

#include "local.h"
#include "mail_params.h"
#include "server.h"

static const struct conf_param *const local_tables[] = {
	local_params,
	NULL,
};

int
main(int argc, char **argv)
{
	static const struct server_ops ops = {
		.name = "local",
		.params = local_tables,
		.keep_root = 1,
	};

	single_server_main(argc, argv, &ops, local_service);
}
