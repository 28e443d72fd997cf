/*
 * smtpd/main.c — the SMTP server for port 25 (smtpd(8)).
 *
 * An event server: one process holds many SMTP sessions (DESIGN §2).  The
 * protocol engine is lib/smtp_server.c; this daemon adds its parameters
 * (smtpd_params.c) and the MX policy (smtpd_policy.c).  The skeleton in
 * lib/server.c does options, configuration, privilege drop and accepting.
 */
#include "server.h"
#include "smtpd.h"
#include "smtpd_anvil.h"
#include "tls_params.h"

static const struct conf_param *const smtpd_tables[] = {
	smtpd_params,
	smtpd_check_params,
	smtpd_anvil_params,
	tls_server_params,
	NULL
};

static const struct server_ops smtpd_ops = {
	.name = "smtpd",
	.params = smtpd_tables,
	.pre_jail = tls_server_pre_jail,	/* keys may be root's only */
	.post_jail = smtpd_policy_init,
};

int
main(int argc, char **argv)
{
	event_server_main(argc, argv, &smtpd_ops, smtpd_accept);
}
