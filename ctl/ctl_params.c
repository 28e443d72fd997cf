/*
 * ctl/ctl_params.c — every daemon's parameter table, for `tegami conf` and
 * `tegami check`.
 *
 * The Makefile links each program's `*_params.c` into the tegami binary;
 * each exports `const struct conf_param <daemon>_params[]`.  The references
 * are weak so that a partial build (a daemon that does not compile yet)
 * still links; `tegami check` names the tables that are missing.
 */
#include <stddef.h>

#include "conf.h"
#include "ctl.h"
#include "mail_params.h"
#include "tls_params.h"		/* lib/: always linked, not weak */

#define WEAK __attribute__((weak))

extern const struct conf_param smtpd_params[] WEAK;
extern const struct conf_param smtpd_check_params[] WEAK;
extern const struct conf_param submission_params[] WEAK;
extern const struct conf_param cleanup_params[] WEAK;
extern const struct conf_param qmgr_params[] WEAK;
extern const struct conf_param local_params[] WEAK;
extern const struct conf_param pickup_params[] WEAK;
extern const struct conf_param showq_params[] WEAK;
extern const struct conf_param anvil_params[] WEAK;
extern const struct conf_param auth_params[] WEAK;
extern const struct conf_param smtpd_anvil_params[] WEAK;
extern const struct conf_param sendmail_params[] WEAK;
extern const struct conf_param master_params[] WEAK;
extern const struct conf_param smtp_params[] WEAK;

static const struct {
	const char *name;
	const struct conf_param *table;
	int	always;			/* needed by start/stop/status too */
} ctl_tables[] = {
	{ "master_params", master_params, 1 },
	{ "smtpd_params", smtpd_params, 0 },
	{ "tls_server_params", tls_server_params, 0 },
	{ "smtpd_check_params", smtpd_check_params, 0 },
	{ "submission_params", submission_params, 0 },
	{ "cleanup_params", cleanup_params, 0 },
	{ "qmgr_params", qmgr_params, 0 },
	{ "local_params", local_params, 0 },
	{ "pickup_params", pickup_params, 0 },
	{ "showq_params", showq_params, 0 },
	{ "anvil_params", anvil_params, 0 },
	{ "auth_params", auth_params, 0 },
	{ "smtpd_anvil_params", smtpd_anvil_params, 0 },
	{ "sendmail_params", sendmail_params, 0 },
	{ "smtp_params", smtp_params, 0 },
};
#define CTL_NTABLES (sizeof(ctl_tables) / sizeof(ctl_tables[0]))

void
ctl_params_register(int all)
{
	size_t i;

	conf_register(mail_params_common);
	for (i = 0; i < CTL_NTABLES; i++)
		if (ctl_tables[i].table != NULL && (all || ctl_tables[i].always))
			conf_register(ctl_tables[i].table);
}

const char *const *
ctl_params_missing(void)
{
	static const char *missing[CTL_NTABLES + 1];
	size_t i, n = 0;

	for (i = 0; i < CTL_NTABLES; i++)
		if (ctl_tables[i].table == NULL)
			missing[n++] = ctl_tables[i].name;
	missing[n] = NULL;
	return missing;
}

int
ctl_load_config(int all, struct strbuf *err)
{
	conf_reset();
	ctl_params_register(all);
	return mail_params_load(ctl_config_dir, NULL, err);
}
