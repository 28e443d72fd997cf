/*
 * smtp-client/smtpc_auth.c — which login a delivery uses with a server
 * that wants SMTP AUTH: Postfix's smtp_sasl_password_maps lookup
 * (smtp_sasl_glue.c: sender, then remote host name, then next hop).
 *
 * The tables are opened by smtpc_auth_init() in the pre-jail step, as
 * root, and kept open; the values are trusted configuration.  A table that
 * cannot be read answers "retry": the delivery is deferred, never sent
 * without the login.  The value buffers are wiped after use.  Nothing here
 * logs: errors go to the caller's strbuf.
 */
#include <stdlib.h>
#include <string.h>
#include <bsd/string.h>

#include "mail_params.h"
#include "map.h"
#include "smtpc_auth.h"

static struct maplist *pw_maps;		/* the open tables, or NULL */
static char *pw_spec;			/* the value they were opened from */

void
smtpc_auth_close(void)
{
	maplist_close(pw_maps);
	pw_maps = NULL;
	free(pw_spec);
	pw_spec = NULL;
}

int
smtpc_auth_init(const char *maps, struct strbuf *err)
{
	struct maplist *l = NULL;

	if (maps == NULL)
		maps = "";
	if (maps[0] != '\0') {
		struct strbuf why;

		strbuf_init(&why, 1024);
		l = maplist_open(maps, MAP_F_FOLD_KEY, &why);
		if (l == NULL) {
			strbuf_set_printf(err, "smtp_sasl_password_maps: %s",
			    why.data);
			strbuf_release(&why);
			return (-1);
		}
		strbuf_release(&why);
	}
	smtpc_auth_close();
	pw_maps = l;
	pw_spec = xstrdup(maps);
	return (0);
}

static void
wipe_release(struct strbuf *sb)
{
	if (sb->data != NULL)
		explicit_bzero(sb->data, sb->cap);
	strbuf_release(sb);
}

int
smtpc_auth_lookup(const char *maps, int sender_dependent, const char *sender,
    const char *nexthop, const char *hostname, char **user, char **pass,
    struct strbuf *err)
{
	struct strbuf value, why;
	enum map_result r = MAP_NOTFOUND;
	const char *delim = var_recipient_delimiter ? var_recipient_delimiter : "";
	const char *colon;
	int	ret;

	*user = *pass = NULL;
	if (maps == NULL)
		maps = "";
	if ((pw_spec == NULL || strcmp(pw_spec, maps) != 0)
	    && smtpc_auth_init(maps, err) < 0)
		return (-1);
	if (pw_maps == NULL)
		return (0);
	strbuf_init(&value, 4096);
	strbuf_init(&why, 1024);
	/* Postfix's order: the sender (not for the null sender), then the
	 * server's host name, then the next hop; a table error stops the
	 * search, since a later key could give another login. */
	if (sender_dependent && sender != NULL && sender[0] != '\0')
		r = maplist_lookup_addr(pw_maps, sender, delim, 0, &value, NULL,
		    &why);
	if (r == MAP_NOTFOUND && hostname != NULL && hostname[0] != '\0')
		r = maplist_lookup(pw_maps, hostname, &value, &why);
	if (r == MAP_NOTFOUND && nexthop != NULL && nexthop[0] != '\0')
		r = maplist_lookup(pw_maps, nexthop, &value, &why);
	switch (r) {
	case MAP_FOUND:
		if ((colon = strchr(value.data, ':')) != NULL) {
			*user = xstrndup(value.data, (size_t)(colon - value.data));
			*pass = xstrdup(colon + 1);
		} else {
			*user = xstrdup(value.data);
			*pass = xstrdup("");
		}
		ret = 1;
		break;
	case MAP_RETRY:
		strbuf_set_printf(err, "smtp_sasl_password_maps lookup error: %s",
		    why.data);
		ret = -1;
		break;
	default:
		ret = 0;
		break;
	}
	wipe_release(&value);
	strbuf_release(&why);
	return (ret);
}
