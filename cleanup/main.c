/*
 * cleanup/main.c — the cleanup daemon (cleanup(8)): turns an envelope and
 * a content stream from smtpd or pickup into a durable queue file and
 * answers with its queue id.
 *
 * A single server: one client stream at a time, blocking (DESIGN §2); the
 * master starts more processes on demand.  The protocol is in
 * cleanup_proto.c, the envelope in cleanup_envelope.c, header fix-ups in
 * cleanup_headers.c, the commit in cleanup_commit.c; parameters in
 * cleanup_params.c.  Runs as mail_owner after the skeleton's privilege drop.
 */
#include "cleanup.h"
#include "server.h"

static const struct conf_param *const cleanup_tables[] = {
	cleanup_params,
	NULL
};

/* Open the tables once privileges are dropped. */
static void
cleanup_post_jail(void)
{
	cleanup_checks_init();		/* header/body_checks */
	cleanup_rewrite_init();		/* canonical, virtual alias */
}

static const struct server_ops cleanup_ops = {
	.name = "cleanup",
	.params = cleanup_tables,
	.post_jail = cleanup_post_jail,
};

int
main(int argc, char **argv)
{
	single_server_main(argc, argv, &cleanup_ops, cleanup_service);
}
