/*
 * smtpd/smtpd_vmailbox.c — RCPT checks for virtual mailbox domains.
 *
 * A recipient whose domain is in $virtual_mailbox_domains is accepted from
 * any client (it is a final destination, not relaying) when its address
 * is in $virtual_mailbox_maps (user+ext@domain, user@domain, @domain), and
 * refused with "550 5.1.1 ... User unknown in virtual mailbox table"
 * otherwise, as Postfix's reject_unlisted_recipient.  A table in trouble
 * answers 451 4.3.0: never accept or refuse on a guess.  The tables are
 * (re)opened when the parameter values change.
 */
#include <stdlib.h>
#include <string.h>

#include "domlist.h"
#include "log.h"
#include "mail_params.h"
#include "map.h"
#include "smtpd.h"

static struct domlist *vm_domains;
static struct maplist *vm_maps;
static int vm_broken;		/* a parameter that does not open */

static void
vmailbox_open(void)
{
	static char *doms_value, *maps_value;
	const char *dv = var_virtual_mailbox_domains ? var_virtual_mailbox_domains : "";
	const char *mv = var_virtual_mailbox_maps ? var_virtual_mailbox_maps : "";
	struct strbuf err;

	if (doms_value != NULL && strcmp(doms_value, dv) == 0 &&
	    maps_value != NULL && strcmp(maps_value, mv) == 0)
		return;
	free(doms_value);
	free(maps_value);
	doms_value = xstrdup(dv);
	maps_value = xstrdup(mv);
	domlist_free(vm_domains);
	maplist_close(vm_maps);
	vm_broken = 0;
	strbuf_init(&err, 1024);
	if ((vm_domains = domlist_open(dv, &err)) == NULL) {
		log_warn("virtual_mailbox_domains: %s", err.data);
		vm_broken = 1;
	}
	if ((vm_maps = maplist_open(mv, MAP_F_FOLD_KEY, &err)) == NULL) {
		log_warn("virtual_mailbox_maps: %s", err.data);
		vm_broken = 1;
	}
	strbuf_release(&err);
}

int
smtpd_vmailbox_check(const char *rcpt, const char *domain, struct strbuf *reply)
{
	struct strbuf value, why;
	enum map_result r;
	int ret = -1;

	vmailbox_open();
	if (vm_domains != NULL && domlist_empty(vm_domains))
		return -1;
	strbuf_init(&value, 65536);
	strbuf_init(&why, 1024);
	/* A domain list that cannot be opened may name this domain: answer
	 * "try again", never "relay access denied". */
	r = vm_domains == NULL ? MAP_RETRY :
	    domlist_match(vm_domains, domain, &why);
	if (r == MAP_FOUND) {
		r = vm_broken ? MAP_RETRY : maplist_lookup_addr(vm_maps, rcpt,
		    var_recipient_delimiter, 0, &value, NULL, &why);
		if (r == MAP_FOUND) {
			ret = SMTP_POLICY_ACCEPT;
		} else if (r == MAP_NOTFOUND) {
			strbuf_set_printf(reply, "550 5.1.1 <%s>: Recipient address "
			    "rejected: User unknown in virtual mailbox table", rcpt);
			ret = SMTP_POLICY_REJECT;
		}
	}
	if (r == MAP_RETRY) {
		log_warn("virtual mailbox lookup of %s: %s", rcpt, why.len ?
		    why.data : "table unavailable");
		strbuf_set_printf(reply, "451 4.3.0 <%s>: Recipient address "
		    "rejected: Temporary lookup failure", rcpt);
		ret = SMTP_POLICY_REJECT;
	}
	strbuf_release(&value);
	strbuf_release(&why);
	return ret;
}
