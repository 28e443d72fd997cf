/*
 * local-delivery/local_params.c — the local delivery agent's parameters
 * (Postfix's names and defaults).
 *
 * Only local-delivery reads these; `tegami conf`/`check` link this table
 * too.  The mailbox choice they make is described in local(8); the alias,
 * .forward, file and command parameters in local(8) and aliases(5).
 */
#include <stddef.h>

#include "conf.h"
#include "local.h"

char   *var_home_mailbox;
char   *var_mail_spool_dir;
long	var_stale_lock_time;
long	var_deliver_lock_attempts;
long	var_deliver_lock_delay;
char   *var_default_privs;
char   *var_allow_commands;
char   *var_allow_files;
long	var_command_time_limit;
char   *var_forward_path;
char   *var_virt_mailbox_base;
char   *var_virt_uid_maps;
char   *var_virt_gid_maps;
long	var_virt_minimum_uid;

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
	/* The user whose rights file and command deliveries from a root-owned
	 * alias table (or :include: file) run with; never root. */
	{ "default_privs", CONF_STR, "nobody", NULL, &var_default_privs, 0, 0, 0 },
	/* Where mail to |command is allowed: alias, forward, include. */
	{ "allow_mail_to_commands", CONF_STR, "alias, forward", NULL,
	    &var_allow_commands, 0, 0, 0 },
	/* Where mail to /file/name is allowed: alias, forward, include. */
	{ "allow_mail_to_files", CONF_STR, "alias, forward", NULL,
	    &var_allow_files, 0, 0, 0 },
	/* Longest run of a |command delivery; it is then killed and the
	 * recipient deferred. */
	{ "command_time_limit", CONF_TIME, "1000s", NULL, &var_command_time_limit,
	    1, 86400, 's' },
	/* The user's forward file (simplified: only $home/.forward, or empty
	 * to ignore .forward files). */
	{ "forward_path", CONF_STR, "$home/.forward", NULL, &var_forward_path,
	    0, 0, 0 },
	/* Directory prepended to every virtual_mailbox_maps result. */
	{ "virtual_mailbox_base", CONF_STR, "", NULL, &var_virt_mailbox_base,
	    0, 0, 0 },
	/* Tables: virtual address -> the uid that owns its mailbox (e.g.
	 * static:5000). */
	{ "virtual_uid_maps", CONF_STR, "", NULL, &var_virt_uid_maps, 0, 0, 0 },
	/* Tables: virtual address -> the gid of its mailbox. */
	{ "virtual_gid_maps", CONF_STR, "", NULL, &var_virt_gid_maps, 0, 0, 0 },
	/* Lowest uid virtual_uid_maps may give; lower ones defer the mail. */
	{ "virtual_minimum_uid", CONF_INT, "100", NULL, &var_virt_minimum_uid,
	    0, 2147483647L, 0 },
	CONF_TABLE_END
};
