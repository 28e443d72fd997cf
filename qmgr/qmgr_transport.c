/*
 * qmgr/qmgr_transport.c — which transport a recipient goes to.
 *
 * The transport table is the one place that knows the delivery agents:
 * a recipient whose domain is in $mydestination (or a bare local part)
 * goes to $local_transport (socket private/local); everything else goes
 * to "smtp", which has no agent yet and defers with a fixed text.  When
 * smtp-client arrives, its entry loses `unavailable` and nothing else
 * changes.  Addresses come from queue files (untrusted): an address that
 * does not split is reported, not guessed at.  Bad configuration is fatal
 * at start-up.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "mail_params.h"
#include "qmgr.h"

enum { TP_LOCAL, TP_SMTP, TP_COUNT };

static struct qmgr_transport transports[TP_COUNT + 1] = {
	[TP_LOCAL] = { .name = "local",
	    .rcpt_limit = &var_local_rcpt_limit,
	    .dest_limit = &var_local_dest_conc_limit },
	[TP_SMTP] = { .name = "smtp",
	    .unavailable = "delivery to remote domains is not available yet: "
		"no smtp-client",
	    .rcpt_limit = &var_local_rcpt_limit,
	    .dest_limit = &var_local_dest_conc_limit },
};

static char *local_nexthop;

/* A service name becomes a socket name under private/: one safe path
 * component only. */
static int
service_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= sizeof(transports[0].service) || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return 0;
	return 1;
}

void
qmgr_transport_init(void)
{
	const char *lt = var_local_transport ? var_local_transport : "local";
	const char *colon = strchr(lt, ':');
	size_t len = colon ? (size_t)(colon - lt) : strlen(lt);
	size_t i;

	if (!service_name_ok(lt, len))
		log_fatal("local_transport: bad transport name \"%s\"", lt);
	memcpy(transports[TP_LOCAL].service, lt, len);
	transports[TP_LOCAL].service[len] = '\0';
	free(local_nexthop);
	local_nexthop = xstrdup(colon && colon[1] ? colon + 1 :
	    var_myhostname ? var_myhostname : "localhost");
	strcpy(transports[TP_SMTP].service, "smtp");
	for (i = 0; i < TP_COUNT; i++) {
		if (transports[i].ready.tqh_last == NULL)
			TAILQ_INIT(&transports[i].ready);
	}
}

struct qmgr_transport *
qmgr_transport_at(size_t i)
{
	return i < TP_COUNT ? &transports[i] : NULL;
}

struct qmgr_transport *
qmgr_transport_resolve(const char *rcpt, struct strbuf *nexthop,
    struct strbuf *why)
{
	struct strbuf local, domain;
	struct qmgr_transport *tp = NULL;

	strbuf_init(&local, ADDR_PATH_MAX * 4);
	strbuf_init(&domain, ADDR_PATH_MAX * 4);
	if (addr_split(rcpt, &local, &domain) < 0) {
		strbuf_set_str(why, "bad address syntax");
		goto out;
	}
	if (domain.len == 0 || mail_params_is_local_domain(domain.data)) {
		tp = &transports[TP_LOCAL];
		strbuf_set_str(nexthop, local_nexthop ? local_nexthop : "");
	} else {
		tp = &transports[TP_SMTP];
		strbuf_set_str(nexthop, domain.data);
	}
out:
	strbuf_release(&local);
	strbuf_release(&domain);
	return tp;
}
