/*
 * local-delivery/local_params.c — the local delivery agent's parameters
 * (Postfix's names and defaults).
 *
 * Only local-delivery reads these; `tegami conf`/`check` link this table
 * too.  The mailbox choice they make is described in local(8).
 */
#include <stddef.h>

#include "conf.h"
#include "local.h"

char   *var_home_mailbox;
char   *var_mail_spool_dir;
long	var_stale_lock_time;
long	var_deliver_lock_attempts;
long	var_deliver_lock_delay;

const struct conf_param local_params[] = {
	/* Mailbox relative to the user's home; a trailing / means Maildir;
	 * empty = mbox in mail_spool_directory. */
	{ "home_mailbox", CONF_STR, "", NULL, &var_home_mailbox, 0, 0, 0 },
	/* Directory of the users' mbox files when home_mailbox is empty. */
	{ "mail_spool_directory", CONF_STR, "/var/mail", NULL,
	    &var_mail_spool_dir, 0, 0, 0 },
	/* Age after which a mailbox dot-lock file is removed as stale. */
	{ "stale_lock_time", CONF_TIME, "500s", NULL, &var_stale_lock_time,
	    1, 100000, 's' },
	/* Times to try to lock an mbox before the delivery is deferred. */
	{ "deliver_lock_attempts", CONF_INT, "20", NULL,
	    &var_deliver_lock_attempts, 1, 1000, 0 },
	/* Wait between two attempts to lock an mbox. */
	{ "deliver_lock_delay", CONF_TIME, "1s", NULL, &var_deliver_lock_delay,
	    0, 3600, 's' },
	CONF_TABLE_END
};
