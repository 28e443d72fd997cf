/*
 * smtpd/smtpd_check_login.c — who may use which sender address after
 * SMTP AUTH: smtpd_sender_login_maps and the reject_*sender_login_mismatch
 * restrictions, with Postfix's semantics.
 *
 * The table maps a sender address (address, user@domain, user@, @domain:
 * map_lookup_addr's order) to the login names that own it, separated by
 * commas or spaces.  A table that cannot answer defers (451 4.3.0); the
 * configuration is checked at start-up (a table that does not open is
 * fatal there).  The null sender is never checked.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "map.h"
#include "mail_params.h"
#include "smtpd.h"
#include "smtpd_check_int.h"

static struct maplist *smtpd_login_maps;

int
smtpd_login_init(struct strbuf *err)
{
	const char *v = var_smtpd_sender_login_maps;

	smtpd_login_free();
	if (v == NULL || *v == '\0')
		return (0);
	if ((smtpd_login_maps = maplist_open(v, MAP_F_FOLD_KEY, err)) == NULL) {
		char   *why = xstrdup(err->data);

		strbuf_set_printf(err, "parameter smtpd_sender_login_maps: %s", why);
		free(why);
		return (-1);
	}
	return (0);
}

void
smtpd_login_free(void)
{
	maplist_close(smtpd_login_maps);
	smtpd_login_maps = NULL;
}

/* Is user one of the owners ("alice, bob" or "alice bob")? */
static int
owner_listed(const char *owners, const char *user)
{
	size_t	n = strlen(user);

	while (*owners) {
		size_t	w;

		owners += strspn(owners, ", \t");
		w = strcspn(owners, ", \t");
		if (w == n && strncasecmp(owners, user, n) == 0)
			return (1);
		owners += w;
	}
	return (0);
}

int
smtpd_ev_login(struct smtpd_eval *ev, const struct smtpd_restriction *r)
{
	const struct smtpd_facts *f = ev->f;
	const char *sender = f->sender;
	struct strbuf owners, why;
	enum map_result res;
	int	st = C_DUNNO, auth, unauth;

	if (smtpd_login_maps == NULL || sender == NULL || *sender == '\0')
		return (C_DUNNO);
	auth = r->type != R_REJECT_UNAUTH_SENDER_LOGIN;
	unauth = r->type != R_REJECT_AUTH_SENDER_LOGIN;
	if (f->sasl_user ? !auth : !unauth)
		return (C_DUNNO);
	strbuf_init(&owners, 65536);
	strbuf_init(&why, 1024);
	res = maplist_lookup_addr(smtpd_login_maps, sender,
	    var_recipient_delimiter, 0, &owners, NULL, &why);
	if (res == MAP_RETRY) {
		log_warn("smtpd_sender_login_maps lookup of %s: %s", sender,
		    why.data);
		st = smtpd_ev_reject(ev, 451, "4.3.0", "<%s>: Sender address "
		    "rejected: Temporary lookup failure", sender);
	} else if (f->sasl_user) {
		if (res != MAP_FOUND || !owner_listed(owners.data, f->sasl_user))
			st = smtpd_ev_reject(ev, 553, "5.7.1", "<%s>: Sender "
			    "address rejected: not owned by user %s", sender,
			    f->sasl_user);
	} else if (res == MAP_FOUND)
		st = smtpd_ev_reject(ev, 553, "5.7.1", "<%s>: Sender address "
		    "rejected: not logged in", sender);
	strbuf_release(&owners);
	strbuf_release(&why);
	return (st);
}
