/*
 * smtpd/smtpd_check_unlisted.c — what kind of destination a recipient is,
 * and Postfix's implicit reject_unlisted_recipient.
 *
 * A recipient in $mydestination (or a bare local part, so RCPT
 * TO:<postmaster> works as RFC 5321 4.5.1 requires) is local; one in
 * $virtual_alias_domains or $virtual_mailbox_domains is virtual; one in
 * $relay_domains is relayed; anything else is relaying, which
 * reject_unauth_destination refuses.  Local recipients are checked against
 * $local_recipient_maps (found in any of its tables, e.g. passwd and
 * $alias_maps, whole or without the extension) and, with an
 * $instance_mailbox_base, must be usable as a mailbox directory name.
 * Virtual aliases (virtual(5)) must be in $virtual_alias_maps ("550 5.1.1
 * ... User unknown in virtual alias table"); a local address found there
 * is accepted too.  A table in trouble answers 451 4.3.0 (never accept or
 * refuse on a guess).  Tables are (re)opened when their values change.
 */
#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "conf.h"
#include "domlist.h"
#include "log.h"
#include "mail_params.h"
#include "map.h"
#include "smtp_server.h"
#include "smtpd.h"
#include "smtpd_check.h"

/* A domain list kept open while its parameter value stays the same. */
struct cached_domlist {
	char   *value;
	struct domlist *dl;
};

static struct domlist *
cached_domlist(struct cached_domlist *c, const char *param, const char *v)
{
	struct strbuf err;

	v = v ? v : "";
	if (c->value != NULL && strcmp(c->value, v) == 0)
		return (c->dl);
	free(c->value);
	domlist_free(c->dl);
	c->value = xstrdup(v);
	strbuf_init(&err, 1024);
	if ((c->dl = domlist_open(v, &err)) == NULL)
		log_warn("%s: %s", param, err.data);
	strbuf_release(&err);
	return (c->dl);
}

/* MAP_FOUND when domain is in the list (param), MAP_RETRY when the list
 * is in trouble. */
static enum map_result
in_domlist(struct cached_domlist *c, const char *param, const char *v,
    const char *domain)
{
	struct domlist *dl = cached_domlist(c, param, v);
	struct strbuf why;
	enum map_result r;

	if (dl == NULL)
		return (MAP_RETRY);
	strbuf_init(&why, 1024);
	if ((r = domlist_match(dl, domain, &why)) == MAP_RETRY)
		log_warn("%s lookup of %s: %s", param, domain, why.data);
	strbuf_release(&why);
	return (r);
}

/* relay_domains: "example.com" also matches its subdomains when
 * parent_domain_matches_subdomains names relay_domains. */
static enum map_result
in_relay_domains(const char *domain)
{
	static struct cached_domlist c;
	const char *p;
	enum map_result r;
	int	parent = var_smtpd_parent_domain_matches != NULL &&
	    conf_list_contains(var_smtpd_parent_domain_matches, "relay_domains");

	if ((r = in_domlist(&c, "relay_domains", var_smtpd_relay_domains,
	    domain)) != MAP_NOTFOUND || !parent)
		return (r);
	for (p = strchr(domain, '.'); p != NULL && p[1] != '\0';
	    p = strchr(p + 1, '.'))
		if ((r = in_domlist(&c, "relay_domains", var_smtpd_relay_domains,
		    p + 1)) != MAP_NOTFOUND)
			return (r);
	return (MAP_NOTFOUND);
}

enum smtpd_rcpt_class
smtpd_rcpt_class(const char *rcpt)
{
	static struct cached_domlist valias, vmailbox;
	const char *at = strrchr(rcpt, '@'), *dom;
	enum map_result r;

	if (at == NULL || at[1] == '\0')
		return (SMTPD_RC_LOCAL);
	dom = at + 1;
	if (mail_params_is_local_domain(dom))
		return (SMTPD_RC_LOCAL);
	if ((r = in_domlist(&valias, "virtual_alias_domains",
	    var_virtual_alias_domains, dom)) != MAP_NOTFOUND)
		return (r == MAP_FOUND ? SMTPD_RC_VALIAS : SMTPD_RC_RETRY);
	if ((r = in_domlist(&vmailbox, "virtual_mailbox_domains",
	    var_virtual_mailbox_domains, dom)) != MAP_NOTFOUND)
		return (r == MAP_FOUND ? SMTPD_RC_VMAILBOX : SMTPD_RC_RETRY);
	if ((r = in_relay_domains(dom)) != MAP_NOTFOUND)
		return (r == MAP_FOUND ? SMTPD_RC_RELAY : SMTPD_RC_RETRY);
	return (SMTPD_RC_OTHER);
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
smtpd_check_unlisted(const char *rcpt, struct strbuf *reply)
{
	struct strbuf local, domain;
	int	ret = SMTP_POLICY_ACCEPT, vm, is_local;
	enum smtpd_va va = SV_NONE;

	strbuf_init(&local, ADDR_PATH_MAX);
	strbuf_init(&domain, ADDR_PATH_MAX);
	if (addr_split(rcpt, &local, &domain) < 0) {
		strbuf_set_printf(reply, "501 5.1.3 Bad recipient address syntax");
		ret = SMTP_POLICY_REJECT;
		goto out;
	}
	is_local = domain.len == 0 || mail_params_is_local_domain(domain.data);
	if (domain.len > 0 && (va = smtpd_virtual_check(rcpt, domain.data,
	    is_local, reply)) != SV_NONE) {
		if (va == SV_REJECT)
			ret = SMTP_POLICY_REJECT;
	} else if (domain.len > 0 && (vm = smtpd_vmailbox_check(rcpt,
	    domain.data, reply)) >= 0) {
		ret = vm;	/* virtual mailbox domain (smtpd_vmailbox.c) */
	} else if (!is_local) {
		;		/* relaying: the restriction lists decided */
	} else if ((var_instance_mailbox_base && *var_instance_mailbox_base
	    && !smtpd_safe_local(local.data)) || !smtpd_local_known(local.data)) {
		strbuf_set_printf(reply, "550 5.1.1 <%s>: Recipient address rejected:"
		    " User unknown in local recipient table", rcpt);
		ret = SMTP_POLICY_REJECT;
	}
out:
	strbuf_release(&local);
	strbuf_release(&domain);
	return (ret);
}
