/*
 * lib/mail_params.h — parameters shared by every tegami program.
 *
 * Only parameters that several programs read live here; a parameter used by
 * one daemon lives in that daemon's own table (STYLE.md).  Names and
 * defaults are Postfix's where the meaning is the same.  Every program
 * registers mail_params_common before reading main.cf.
 */
#ifndef TEGAMI_MAIL_PARAMS_H
#define TEGAMI_MAIL_PARAMS_H

#include "conf.h"

#ifndef TEGAMI_PREFIX
#define TEGAMI_PREFIX "/usr/local"
#endif
#define DEF_CONFIG_DIR		"/etc/tegami"
#define CONFIG_DIR_ENV		"TEGAMI_CONFIG_DIR"

extern char *var_config_dir;		/* config_directory (set from -c) */
extern char *var_queue_dir;		/* queue_directory = /var/spool/tegami */
extern char *var_daemon_dir;		/* daemon_directory = PREFIX/libexec/tegami */
extern char *var_command_dir;		/* command_directory = PREFIX/sbin */
extern char *var_mail_owner;		/* mail_owner = tegami */
extern char *var_setgid_group;		/* setgid_group = tegami-drop */
extern char *var_myhostname;		/* myhostname = gethostname() (FQDN) */
extern char *var_mydomain;		/* mydomain = myhostname minus first label */
extern char *var_myorigin;		/* myorigin = $myhostname */
extern char *var_mydestination;		/* mydestination = $myhostname, localhost.$mydomain, localhost */
extern char *var_mynetworks;		/* mynetworks = 127.0.0.0/8 [::1]/128 */
extern char *var_inet_interfaces;	/* inet_interfaces = all */
extern char *var_inet_protocols;	/* inet_protocols = all */
extern char *var_maillog_file;		/* maillog_file = "" (syslog) */
extern char *var_syslog_name;		/* syslog_name = tegami */
extern char *var_instance_mailbox_base;	/* instance_mailbox_base = "" (system users) */
extern char *var_recipient_delimiter;	/* recipient_delimiter = "" */
extern char *var_local_recipient_maps;	/* local_recipient_maps = unix:passwd.byname */
extern char *var_alias_maps;		/* alias_maps = hash:/etc/aliases */
extern char *var_alias_database;	/* alias_database = hash:/etc/aliases */
extern char *var_local_transport;
extern char *var_virtual_alias_maps;	/* virtual_alias_maps = "" (cleanup, smtpd) */
extern char *var_virtual_alias_domains;	/* virtual_alias_domains = $virtual_alias_maps */
extern char *var_virtual_mailbox_maps;	/* virtual_mailbox_maps = "" (smtpd, qmgr, local) */
extern char *var_virtual_mailbox_domains; /* virtual_mailbox_domains = $virtual_mailbox_maps */	/* local_transport = local */
extern char *var_bounce_notice_recipient; /* postmaster */
extern long var_message_size_limit;	/* message_size_limit = 10240000 */
extern long var_ipc_timeout;		/* ipc_timeout = 3600s */
extern long var_max_idle;		/* max_idle = 100s */
extern long var_max_use;		/* max_use = 100 */
extern long var_default_process_limit;	/* default_process_limit = 100 */
extern long var_ipc_frame_limit;	/* ipc_frame_limit = 1048576 */
extern long var_header_size_limit;	/* header_size_limit = 102400 */
extern long var_line_length_limit;	/* line_length_limit = 2048 */
extern int  var_verbose;		/* debug_logging = no */

extern const struct conf_param mail_params_common[];

/* Register mail_params_common, read CONFIG_DIR/main.cf, apply overrides,
 * bind. On error: -1 with the reason in err. config_dir NULL = the
 * TEGAMI_CONFIG_DIR environment variable, else /etc/tegami. */
int	mail_params_load(const char *config_dir, char **overrides,
	    struct strbuf *err);

/* inet_protocols as two flags: 0, or -1 for a bad value. */
int	mail_params_inet_protocols(int *v4, int *v6);
/* Is domain one of $mydestination (case-insensitive; a "localhost" entry
 * also matches "localhost.")? */
int	mail_params_is_local_domain(const char *domain);

#endif
