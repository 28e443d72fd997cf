/*
 * smtpd/smtpd_policy.c — the MX policy of port 25.
 *
 * Relay control: a recipient in $mydestination (or a bare local part, so
 * RCPT TO:<postmaster> works as RFC 5321 4.5.1 requires) is local; any
 * other domain is accepted only from a client in $mynetworks, else
 * "554 5.7.1 Relay access denied".  Local recipients are checked against
 * $local_recipient_maps (found in any of its tables, e.g. passwd and
 * $alias_maps, whole or without the extension) and, with an
 * $instance_mailbox_base, must be usable as a mailbox directory name.
 * Virtual aliases (virtual(5)): a domain in $virtual_alias_domains is
 * accepted from any client, and its addresses must be in
 * $virtual_alias_maps ("550 5.1.1 ... User unknown in virtual alias
 * table"); a local address found there is accepted too.  A table in
 * trouble answers 451 4.3.0 (never accept or refuse on a guess).
 * Bad configuration is fatal at start-up; client input only gets replies.
 */
#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cidr.h"
#include "conf.h"
#include "domlist.h"
#include "log.h"
#include "mail_params.h"
#include "map.h"
#include "server.h"
#include "smtp_cmd.h"
#include "smtpd.h"

static struct smtp_server_config smtpd_config;
static struct cidr_list *smtpd_mynetworks;

static int smtpd_on_connect(struct smtp_session *, struct strbuf *);
static int smtpd_check_rcpt(struct smtp_session *, const char *, struct strbuf *);
static void smtpd_on_disconnect(struct smtp_session *);

const struct smtp_policy smtpd_policy = {
	.name = "smtpd",
	.flags = 0,
	.config = &smtpd_config,
	.on_connect = smtpd_on_connect,
	.check_rcpt = smtpd_check_rcpt,
	.on_disconnect = smtpd_on_disconnect,
};

void
smtpd_policy_init(void)
{
	struct strbuf err;

	strbuf_init(&err, 1024);
	smtpd_mynetworks = cidr_list_parse(var_mynetworks, &err);
	if (smtpd_mynetworks == NULL)
		log_fatal("parameter mynetworks: %s", err.data);
	strbuf_release(&err);
	smtpd_config.base = server_event_base();
	smtpd_config.myhostname = var_myhostname;
	smtpd_config.mail_name = var_mail_name;
	smtpd_config.banner = var_smtpd_banner;
	smtpd_config.queue_dir = var_queue_dir;
	smtpd_config.timeout = var_smtpd_timeout;
	smtpd_config.hard_error_limit = var_smtpd_hard_error_limit;
	smtpd_config.junk_command_limit = var_smtpd_junk_command_limit;
	smtpd_config.recipient_limit = var_smtpd_recipient_limit;
	smtpd_config.command_line_limit = var_line_length_limit;
	smtpd_config.data_line_limit = var_smtpd_data_line_limit;
	smtpd_config.message_size_limit = var_message_size_limit;
	smtpd_config.ipc_frame_limit = var_ipc_frame_limit;
	smtpd_config.disable_vrfy = var_disable_vrfy_command;
	smtpd_config.soft_error_limit = var_smtpd_soft_error_limit;
	smtpd_config.error_sleep_time = var_smtpd_error_sleep_time;
	smtpd_config.greet_wait = var_smtpd_greet_wait;
	tls_server_configure(&smtpd_config);
	if (strcmp(var_smtpd_upstream_proxy_protocol, "haproxy") == 0)
		smtpd_config.upstream_proxy = 1;
	else if (*var_smtpd_upstream_proxy_protocol != '\0')
		log_fatal("parameter smtpd_upstream_proxy_protocol: unknown "
		    "protocol \"%s\" (expected \"haproxy\" or nothing)",
		    var_smtpd_upstream_proxy_protocol);
	smtpd_config.upstream_proxy_timeout = var_smtpd_upstream_proxy_timeout;
	smtpd_config.discard_ehlo = smtp_ext_mask(var_smtpd_discard_ehlo_keywords);
}

void
smtpd_accept(int fd)
{
	smtp_server_accept(fd, &smtpd_policy);
}

static int
smtpd_on_connect(struct smtp_session *s, struct strbuf *reply)
{
	smtp_session_set_relay_ok(s, cidr_list_match(smtpd_mynetworks,
	    smtp_session_client_addr(s)));
	/* Our own networks are not tested for talking before the greeting. */
	if (smtp_session_relay_ok(s))
		smtp_session_set_greet_wait(s, 0);
	return (SMTP_POLICY_ACCEPT);
}

static void
smtpd_on_disconnect(struct smtp_session *s)
{
	server_conn_done();
}

/* Could this local part name a mailbox directory safely? */
static int
smtpd_safe_local(const char *local)
{
	const char *p;

	if (*local == '\0' || *local == '.')
		return (0);
	for (p = local; *p; p++)
		if (*p == '/' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return (0);
	return (1);
}

/* Is name in $local_recipient_maps' tables (other than passwd)?  The
 * list is opened once per value; a table in trouble counts as known (local
 * defers the mail later; never refuse on a broken table). */
static int
smtpd_local_in_maps(const char *name)
{
	static struct maplist *maps;
	static char *maps_value;
	struct strbuf value, why, err;
	enum map_result r;

	if (maps_value == NULL || strcmp(maps_value, var_local_recipient_maps) != 0) {
		maplist_close(maps);
		free(maps_value);
		maps_value = xstrdup(var_local_recipient_maps);
		strbuf_init(&err, 1024);
		if ((maps = maplist_open(maps_value, MAP_F_FOLD_KEY, &err)) == NULL)
			log_warn("local_recipient_maps: %s", err.data);
		strbuf_release(&err);
	}
	if (maps == NULL)
		return (1);
	strbuf_init(&value, 65536);
	strbuf_init(&why, 1024);
	r = maplist_lookup(maps, name, &value, &why);
	if (r == MAP_RETRY)
		log_warn("local_recipient_maps lookup of %s: %s", name, why.data);
	strbuf_release(&value);
	strbuf_release(&why);
	return (r != MAP_NOTFOUND);
}

/* Is the (unquoted) local part a known local recipient? */
static int
smtpd_local_known(const char *local)
{
	char	user[ADDR_LOCAL_MAX + 1];
	size_t	i, n;
	int	pw_listed;

	if (var_local_recipient_maps == NULL || *var_local_recipient_maps == '\0')
		return (1);
	if (strcasecmp(local, "postmaster") == 0)
		return (1);		/* RFC 5321 4.5.1; aliased by local */
	pw_listed = conf_list_contains(var_local_recipient_maps, "unix:passwd.byname");
	/* The whole local part first, then without the extension. */
	n = strlen(local);
	if (n == 0 || n >= sizeof(user))
		return (0);
	for (i = 0; i < n; i++)
		user[i] = (char)tolower((unsigned char)local[i]);
	user[n] = '\0';
	if (pw_listed && getpwnam(user) != NULL)
		return (1);
	if (smtpd_local_in_maps(user))
		return (1);
	if (var_recipient_delimiter && *var_recipient_delimiter)
		n = strcspn(user, var_recipient_delimiter);
	if (n == 0 || n == strlen(user))
		return (0);
	user[n] = '\0';
	if (pw_listed && getpwnam(user) != NULL)
		return (1);
	return (smtpd_local_in_maps(user));
}

enum smtpd_va { SV_NONE, SV_ACCEPT, SV_REJECT };

/* The virtual alias tables, (re)opened when their values change. */
static void
smtpd_virtual_open(struct maplist **maps, struct domlist **doms)
{
	static struct maplist *vmaps;
	static struct domlist *vdoms;
	static char *maps_value, *doms_value;
	const char *mv = var_virtual_alias_maps ?
	    var_virtual_alias_maps : "";
	const char *dv = var_virtual_alias_domains ?
	    var_virtual_alias_domains : "";
	struct strbuf err;

	strbuf_init(&err, 1024);
	if (maps_value == NULL || strcmp(maps_value, mv) != 0) {
		maplist_close(vmaps);
		free(maps_value);
		maps_value = xstrdup(mv);
		vmaps = NULL;
		if (mv[strspn(mv, " \t,")] != '\0' &&
		    (vmaps = maplist_open(mv, MAP_F_FOLD_KEY, &err)) == NULL)
			log_warn("virtual_alias_maps: %s", err.data);
	}
	if (doms_value == NULL || strcmp(doms_value, dv) != 0) {
		domlist_free(vdoms);
		free(doms_value);
		doms_value = xstrdup(dv);
		if ((vdoms = domlist_open(dv, &err)) == NULL)
			log_warn("virtual_alias_domains: %s", err.data);
	}
	strbuf_release(&err);
	*maps = vmaps;
	*doms = vdoms;
}

/* Virtual alias domains and addresses (see the top of this file). */
static enum smtpd_va
smtpd_virtual_check(const char *rcpt, const char *domain, int local,
    struct strbuf *reply)
{
	struct maplist *maps;
	struct domlist *doms;
	struct strbuf value, why;
	enum map_result rd = MAP_NOTFOUND, ra = MAP_NOTFOUND;
	enum smtpd_va ret = SV_NONE;
	int broken;

	smtpd_virtual_open(&maps, &doms);
	broken = maps == NULL && var_virtual_alias_maps != NULL &&
	    var_virtual_alias_maps[strspn(var_virtual_alias_maps,
	    " \t,")] != '\0';
	strbuf_init(&value, 65536);
	strbuf_init(&why, 1024);
	/* A domain list that did not open: any domain may be one of them. */
	rd = doms != NULL ? domlist_match(doms, domain, &why) : MAP_RETRY;
	if (rd == MAP_FOUND || local) {
		if (maps != NULL)
			ra = maplist_lookup_addr(maps, rcpt, var_recipient_delimiter,
			    local, &value, NULL, &why);
		if (ra == MAP_FOUND)
			ret = SV_ACCEPT;
		else if (ra == MAP_RETRY || broken)
			rd = MAP_RETRY;
		else if (rd == MAP_FOUND) {
			strbuf_set_printf(reply, "550 5.1.1 <%s>: Recipient address "
			    "rejected: User unknown in virtual alias table", rcpt);
			ret = SV_REJECT;
		}
	}
	if (rd == MAP_RETRY && ret != SV_ACCEPT) {
		log_warn("virtual alias lookup of %s: %s", rcpt, why.len ?
		    why.data : "table unavailable");
		strbuf_set_printf(reply, "451 4.3.0 <%s>: Recipient address "
		    "rejected: Temporary lookup failure", rcpt);
		ret = SV_REJECT;
	}
	strbuf_release(&value);
	strbuf_release(&why);
	return (ret);
}

int
smtpd_check_rcpt_addr(const char *rcpt, int relay_ok, struct strbuf *reply)
{
	struct strbuf local, domain;
	int	ret = SMTP_POLICY_ACCEPT, vm;
	enum smtpd_va va = SV_NONE;

	strbuf_init(&local, ADDR_PATH_MAX);
	strbuf_init(&domain, ADDR_PATH_MAX);
	if (addr_split(rcpt, &local, &domain) < 0) {
		strbuf_set_printf(reply, "501 5.1.3 Bad recipient address syntax");
		ret = SMTP_POLICY_REJECT;
	} else if (domain.len > 0 && (va = smtpd_virtual_check(rcpt, domain.data,
	    mail_params_is_local_domain(domain.data), reply)) != SV_NONE) {
		if (va == SV_REJECT)
			ret = SMTP_POLICY_REJECT;
	} else if (domain.len > 0 && (vm = smtpd_vmailbox_check(rcpt,
	    domain.data, reply)) >= 0) {
		ret = vm;	/* virtual mailbox domain (smtpd_vmailbox.c) */
	} else if (domain.len > 0 && !mail_params_is_local_domain(domain.data)) {
		if (!relay_ok) {
			strbuf_set_printf(reply, "554 5.7.1 <%s>: Relay access denied",
			    rcpt);
			ret = SMTP_POLICY_REJECT;
		}
	} else if ((var_instance_mailbox_base && *var_instance_mailbox_base
	    && !smtpd_safe_local(local.data)) || !smtpd_local_known(local.data)) {
		strbuf_set_printf(reply, "550 5.1.1 <%s>: Recipient address rejected:"
		    " User unknown in local recipient table", rcpt);
		ret = SMTP_POLICY_REJECT;
	}
	strbuf_release(&local);
	strbuf_release(&domain);
	return (ret);
}

static int
smtpd_check_rcpt(struct smtp_session *s, const char *rcpt, struct strbuf *reply)
{
	return (smtpd_check_rcpt_addr(rcpt, smtp_session_relay_ok(s), reply));
}
