/*
 * showq/main.c — the showq daemon (showq(8)): lists the queue for mailq.
 *
 * A single server on public/showq (showq.c does the work).  With
 * `--stdin` as its last argument it serves one client on fd 0 without the
 * master: mailq uses that when the mail system is down.
 */
#include <string.h>

#include "server.h"
#include "showq.h"

static const struct conf_param *const showq_tables[] = {
	showq_params,
	NULL
};

static const struct server_ops showq_ops = {
	.name = "showq",
	.params = showq_tables,
};

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[argc - 1], "--stdin") == 0)
		return showq_stdin_main(argc, argv);
	single_server_main(argc, argv, &showq_ops, showq_service);
}
