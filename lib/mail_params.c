/*
 * lib/mail_params.c — the parameters every tegami program shares, and the
 * one call that loads main.cf for a program.
 *
 * Names and defaults are Postfix's where the meaning is the same.  The
 * computed defaults (myhostname, mydomain) never touch DNS: the host name
 * comes from gethostname(), made fully qualified with ".localdomain" when
 * it has no dot.  Errors are returned with the reason in a strbuf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <bsd/string.h>

#include "conf.h"
#include "log.h"
#include "mail_params.h"

char   *var_config_dir;
char   *var_queue_dir;
char   *var_daemon_dir;
char   *var_command_dir;
char   *var_mail_owner;
char   *var_setgid_group;
char   *var_myhostname;
char   *var_mydomain;
char   *var_myorigin;
char   *var_mydestination;
char   *var_mynetworks;
char   *var_inet_interfaces;
char   *var_inet_protocols;
char   *var_maillog_file;
char   *var_syslog_name;
char   *var_instance_mailbox_base;
char   *var_recipient_delimiter;
char   *var_local_recipient_maps;
char   *var_local_transport;
char   *var_virtual_alias_maps;
char   *var_virtual_alias_domains;
char   *var_virtual_mailbox_maps;
char   *var_virtual_mailbox_domains;
char   *var_alias_maps;
char   *var_alias_database;
char   *var_bounce_notice_recipient;
long	var_message_size_limit;
long	var_ipc_timeout;
long	var_max_idle;
long	var_max_use;
long	var_default_process_limit;
long	var_ipc_frame_limit;
long	var_header_size_limit;
long	var_line_length_limit;
int	var_verbose;

/* myhostname: gethostname(), made fully qualified without DNS. */
static const char *
mail_params_myhostname(void)
{
	static char host[256 + sizeof(".localdomain")];

	if (gethostname(host, 256) < 0 || host[0] == '\0')
		strlcpy(host, "localhost", sizeof(host));
	host[255] = '\0';
	if (strchr(host, '.') == NULL)
		strlcat(host, ".localdomain", sizeof(host));
	return host;
}

/* mydomain: $myhostname minus its first label ("localdomain" if none). */
static const char *
mail_params_mydomain(void)
{
	static char dom[1024];
	const char *host = conf_value("myhostname"), *dot = strchr(host, '.');

	strlcpy(dom, dot && dot[1] ? dot + 1 : "localdomain", sizeof(dom));
	return dom;
}

/* config_directory: -c (an override), else $TEGAMI_CONFIG_DIR, else /etc/tegami. */
static const char *
mail_params_config_dir(void)
{
	const char *env = getenv(CONFIG_DIR_ENV);

	return env && *env ? env : DEF_CONFIG_DIR;
}

#define S(n, d, v)	{ n, CONF_STR, d, NULL, &v, 0, 0, 0 }
#define SF(n, f, v)	{ n, CONF_STR, NULL, f, &v, 0, 0, 0 }
#define I(n, d, v, lo, hi) { n, CONF_INT, d, NULL, &v, lo, hi, 0 }
#define T(n, d, v, lo, hi) { n, CONF_TIME, d, NULL, &v, lo, hi, 's' }

const struct conf_param mail_params_common[] = {
	/* Directory with main.cf and master.cf (-c DIR, TEGAMI_CONFIG_DIR). */
	SF("config_directory", mail_params_config_dir, var_config_dir),
	/* Root of the mail queue and of the service sockets. */
	S("queue_directory", "/var/spool/tegami", var_queue_dir),
	/* Where the daemon programs live. */
	S("daemon_directory", TEGAMI_PREFIX "/libexec/tegami", var_daemon_dir),
	/* Where the administrative commands live. */
	S("command_directory", TEGAMI_PREFIX "/sbin", var_command_dir),
	/* Unprivileged user the daemons run as; owns the queue. */
	S("mail_owner", "tegami", var_mail_owner),
	/* Group of the setgid maildrop helper (postdrop). */
	S("setgid_group", "tegami-drop", var_setgid_group),
	/* Fully qualified name of this host (default: gethostname, no DNS). */
	SF("myhostname", mail_params_myhostname, var_myhostname),
	/* Domain of this host (default: $myhostname minus its first label). */
	SF("mydomain", mail_params_mydomain, var_mydomain),
	/* Domain appended to unqualified addresses of locally posted mail. */
	S("myorigin", "$myhostname", var_myorigin),
	/* Domains delivered by the local transport. */
	S("mydestination", "$myhostname, localhost.$mydomain, localhost",
	    var_mydestination),
	/* Trusted client networks (may relay). */
	S("mynetworks", "127.0.0.0/8 [::1]/128", var_mynetworks),
	/* Addresses the inet services listen on ("all" or a list). */
	S("inet_interfaces", "all", var_inet_interfaces),
	S("inet_protocols", "all", var_inet_protocols),
	/* Log to this file instead of syslog when not empty. */
	S("maillog_file", "", var_maillog_file),
	/* Prefix of the program name in log lines (tegami/smtpd). */
	S("syslog_name", "tegami", var_syslog_name),
	/* Self-contained instance: mailboxes under this directory, not /home. */
	S("instance_mailbox_base", "", var_instance_mailbox_base),
	/* Separators of address extensions (user+ext); empty = none. */
	S("recipient_delimiter", "", var_recipient_delimiter),
	/* Tables of valid local recipients (empty = accept any). */
	S("local_recipient_maps", "unix:passwd.byname", var_local_recipient_maps),
	/* Alias tables searched by local delivery (postalias format). */
	S("alias_maps", "hash:/etc/aliases", var_alias_maps),
	/* Alias databases built by newaliases / tegami alias. */
	S("alias_database", "hash:/etc/aliases", var_alias_database),
	/* Transport for domains in $mydestination. */
	S("local_transport", "local", var_local_transport),
	/* Tables of virtual alias addresses (virtual(5)): read by cleanup
	 * (rewriting) and smtpd (which addresses exist). */
	S("virtual_alias_maps", "", var_virtual_alias_maps),
	/* Domains whose every address must be in virtual_alias_maps. */
	S("virtual_alias_domains", "$virtual_alias_maps", var_virtual_alias_domains),
	/* Tables: virtual mailbox address -> path under virtual_mailbox_base;
	 * read by smtpd, qmgr and local. */
	S("virtual_mailbox_maps", "", var_virtual_mailbox_maps),
	/* Domains whose mailboxes are not system users. */
	S("virtual_mailbox_domains", "$virtual_mailbox_maps", var_virtual_mailbox_domains),
	/* Who receives bounce notices for the postmaster. */
	S("bounce_notice_recipient", "postmaster", var_bounce_notice_recipient),
	/* Largest message accepted, in bytes (0 = no limit). */
	I("message_size_limit", "10240000", var_message_size_limit, 0, 0x7fffffffL),
	/* Time limit of one IPC exchange between daemons. */
	T("ipc_timeout", "3600s", var_ipc_timeout, 1, 86400 * 7),
	/* Idle time after which a daemon process exits. */
	T("max_idle", "100s", var_max_idle, 1, 86400 * 7),
	/* Connections a daemon process serves before it exits. */
	I("max_use", "100", var_max_use, 1, 1000000),
	/* Default per-service process limit (master.cf maxproc "-"). */
	I("default_process_limit", "100", var_default_process_limit, 1, 100000),
	/* Largest IPC frame between daemons, in bytes. */
	I("ipc_frame_limit", "1048576", var_ipc_frame_limit, 1024, 0x7fffffffL),
	/* Largest message header (all header lines), in bytes. */
	I("header_size_limit", "102400", var_header_size_limit, 1, 0x7fffffffL),
	/* Longest text line before it is split, in bytes. */
	I("line_length_limit", "2048", var_line_length_limit, 1, 0x7fffffffL),
	/* Verbose logging (log_debug). */
	{ "debug_logging", CONF_BOOL, "no", NULL, &var_verbose, 0, 0, 0 },
	CONF_TABLE_END
};

int
mail_params_load(const char *config_dir, char **overrides, struct strbuf *err)
{
	char *path, *o;
	int r;

	if (config_dir == NULL || *config_dir == '\0')
		config_dir = mail_params_config_dir();
	conf_register(mail_params_common);
	if (asprintf(&o, "config_directory=%s", config_dir) < 0)
		log_fatal("out of memory");
	r = conf_set_override(o, err);
	free(o);
	if (r < 0)
		return -1;
	if (asprintf(&path, "%s/main.cf", config_dir) < 0)
		log_fatal("out of memory");
	r = conf_read_file(path, err);
	free(path);
	if (r < 0)
		return -1;
	for (; overrides != NULL && *overrides != NULL; overrides++)
		if (conf_set_override(*overrides, err) < 0)
			return -1;
	if (conf_bind(err) < 0)
		return -1;
	log_set_verbose(var_verbose);
	log_set_syslog_name(var_syslog_name);
	return 0;
}

/* Compare two domain names case-insensitively, ignoring one trailing dot. */
static int
mail_params_domain_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

int
mail_params_inet_protocols(int *v4, int *v6)
{
	const char *p = var_inet_protocols ? var_inet_protocols : "all";
	char word[16];
	size_t n;

	*v4 = *v6 = 0;
	for (;;) {
		p += strspn(p, ", \t\r\n");
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t\r\n");
		if (n >= sizeof(word))
			return -1;
		memcpy(word, p, n);
		word[n] = '\0';
		p += n;
		if (strcasecmp(word, "all") == 0)
			*v4 = *v6 = 1;
		else if (strcasecmp(word, "ipv4") == 0)
			*v4 = 1;
		else if (strcasecmp(word, "ipv6") == 0)
			*v6 = 1;
		else
			return -1;
	}
	return *v4 || *v6 ? 0 : -1;
}

int
mail_params_is_local_domain(const char *domain)
{
	const char *dest = var_mydestination ? var_mydestination :
	    conf_value("mydestination");
	char **list = conf_split_list(dest, NULL), **p;
	int found = 0;

	for (p = list; *p != NULL && !found; p++)
		found = mail_params_domain_eq(*p, domain);
	conf_free_list(list);
	return found;
}
