/*
 * qmgr/qmgr_params.c — the queue manager's parameters (main.cf names and
 * defaults are Postfix's where the meaning is the same).
 *
 * Only qmgr reads these; `tegami conf`/`check` link this table too.  Values
 * are checked by conf_bind() against the bounds given here.
 */
#include <stddef.h>

#include "conf.h"
#include "qmgr.h"

long	var_qmgr_active_limit;
long	var_min_backoff_time;
long	var_max_backoff_time;
long	var_queue_run_delay;
long	var_max_queue_lifetime;
long	var_bounce_queue_lifetime;
long	var_local_rcpt_limit;
long	var_local_dest_conc_limit;
long	var_default_rcpt_limit;
long	var_default_dest_conc_limit;
char   *var_relayhost;
char   *var_transport_maps;
char   *var_default_transport;
char   *var_virtual_transport;
char   *var_relay_transport;
char   *var_relay_domains;
char   *var_parent_domain_matches;

const struct conf_param qmgr_params[] = {
	/* Most messages the queue manager keeps in the active queue at once. */
	{ "qmgr_message_active_limit", CONF_INT, "20000", NULL,
	    &var_qmgr_active_limit, 1, 10000000, 0 },
	/* Shortest time a deferred message waits before the next attempt. */
	{ "minimal_backoff_time", CONF_TIME, "300s", NULL,
	    &var_min_backoff_time, 1, 100L * 86400, 's' },
	/* Longest time a deferred message waits before the next attempt. */
	{ "maximal_backoff_time", CONF_TIME, "4000s", NULL,
	    &var_max_backoff_time, 1, 100L * 86400, 's' },
	/* How often the deferred queue is scanned for messages that are due. */
	{ "queue_run_delay", CONF_TIME, "300s", NULL,
	    &var_queue_run_delay, 1, 100L * 86400, 's' },
	/* Age after which a message still deferred is returned as undeliverable. */
	{ "maximal_queue_lifetime", CONF_TIME, "5d", NULL,
	    &var_max_queue_lifetime, 0, 1000L * 86400, 'd' },
	/* The same for bounces and other mail with the null sender. */
	{ "bounce_queue_lifetime", CONF_TIME, "5d", NULL,
	    &var_bounce_queue_lifetime, 0, 1000L * 86400, 'd' },
	/* Recipients per delivery request to the local transport. */
	{ "local_destination_recipient_limit", CONF_INT, "1", NULL,
	    &var_local_rcpt_limit, 1, 100000, 0 },
	/* Parallel deliveries to one local recipient. */
	{ "local_destination_concurrency_limit", CONF_INT, "2", NULL,
	    &var_local_dest_conc_limit, 1, 100000, 0 },
	/* Recipients per delivery request to smtp and relay. */
	{ "default_destination_recipient_limit", CONF_INT, "50", NULL,
	    &var_default_rcpt_limit, 1, 100000, 0 },
	/* Parallel deliveries to one smtp or relay next hop. */
	{ "default_destination_concurrency_limit", CONF_INT, "20", NULL,
	    &var_default_dest_conc_limit, 1, 100000, 0 },
	/* Next hop of non-local mail ("[host]:port" = no MX lookup) when
	 * the transport names none; "" = the recipient's domain. */
	{ "relayhost", CONF_STR, "", NULL, &var_relayhost, 0, 0, 0 },
	/* Tables giving transport:nexthop per address or domain (transport(5));
	 * they override the defaults below. */
	{ "transport_maps", CONF_STR, "", NULL, &var_transport_maps, 0, 0, 0 },
	/* Transport for domains that are in no address class below (smtp:
	 * smtp-client through private/smtp). */
	{ "default_transport", CONF_STR, "smtp", NULL, &var_default_transport,
	    0, 0, 0 },
	/* Transport for $virtual_mailbox_domains (virtual = the local delivery
	 * agent in virtual mailbox mode). */
	{ "virtual_transport", CONF_STR, "virtual", NULL, &var_virtual_transport,
	    0, 0, 0 },
	/* Transport for $relay_domains (relay: smtp-client through private/relay). */
	{ "relay_transport", CONF_STR, "relay", NULL, &var_relay_transport,
	    0, 0, 0 },
	/* Domains this host relays to ($relay_transport); Postfix 3 default. */
	{ "relay_domains", CONF_STR, "", NULL, &var_relay_domains, 0, 0, 0 },
	/* Features where "example.com" also matches its subdomains; elsewhere
	 * ".example.com" is needed (Postfix's default list). */
	{ "parent_domain_matches_subdomains", CONF_STR, "debug_peer_list, "
	    "fast_flush_domains, mynetworks, permit_mx_backup_networks, "
	    "qmqpd_authorized_clients, relay_domains, smtpd_access_maps", NULL,
	    &var_parent_domain_matches, 0, 0, 0 },
	CONF_TABLE_END
};
