/*
 * submission/main.c — the mail submission agent on ports 587 and 465
 * (submission(8)).
 *
 * smtpd with the MSA's settings: the same engine (lib/smtp_server*.c), the
 * same policy and restriction code (smtpd/, linked, not copied), AUTH on.
 * Postfix writes these settings as "-o" options of its submission entry in
 * master.cf; here they are built in, as -o options placed before the ones
 * master.cf gives, so master.cf can still override each of them and
 * main.cf (shared with port 25) cannot weaken them by accident.
 */
#include <stdlib.h>

#include "server.h"
#include "../smtpd/smtpd.h"
#include "../smtpd/smtpd_anvil.h"
#include "submission.h"
#include "tls_params.h"

static const char *const submission_defaults[] = {
	"smtpd_tls_security_level=encrypt",	/* no AUTH, no MAIL in clear */
	"smtpd_tls_auth_only=yes",
	"smtpd_sasl_auth_enable=yes",
	"smtpd_client_restrictions=",		/* the MX's lists are not */
	"smtpd_helo_restrictions=",		/* for mail users */
	"smtpd_sender_restrictions=reject_sender_login_mismatch",
	"smtpd_relay_restrictions=permit_sasl_authenticated,reject",
	"smtpd_recipient_restrictions=",
	"smtpd_reject_unlisted_recipient=no",
	"smtpd_greet_wait=0s",			/* MUAs are not spam engines */
	NULL
};

static const struct conf_param *const submission_tables[] = {
	smtpd_params,
	smtpd_check_params,
	smtpd_anvil_params,
	tls_server_params,
	submission_params,
	NULL
};

static const struct server_ops submission_ops = {
	.name = "submission",
	.params = submission_tables,
	.pre_jail = tls_server_pre_jail,	/* keys may be root's only */
	.post_jail = submission_policy_init,
};

int
main(int argc, char **argv)
{
	size_t	n = 0, i, k = 1;
	char  **av;

	while (submission_defaults[n])
		n++;
	av = calloc((size_t)argc + 2 * n + 1, sizeof(*av));
	if (av == NULL)
		abort();
	av[0] = argv[0];
	for (i = 0; i < n; i++) {
		av[k++] = (char *)"-o";
		av[k++] = (char *)submission_defaults[i];
	}
	for (i = 1; i < (size_t)argc; i++)
		av[k++] = argv[i];
	event_server_main((int)k, av, &submission_ops, submission_accept);
}
