/*
 * qmgr/qmgr_params.c — the queue manager's parameters (main.cf names and
 * defaults are Postfix's where the meaning is the same).
 *
 * Only qmgr reads these; `tegami conf`/`check` link this table too.  Values
 * are checked by conf_bind() against the bounds given here.  Postfix's
 * per-transport overrides ("<transport>_destination_concurrency_limit" for
 * a transport named in master.cf) are not in the table: qmgr reads them by
 * name (qmgr_params_transport_int), and `tegami check` asks
 * qmgr_params_transport_known() before it calls such a name unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
long	var_init_dest_conc;
long	var_default_cohort_limit;
char   *var_default_pos_feedback;
char   *var_default_neg_feedback;
long	var_delay_warning_time;
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
	/* Window a destination starts with (slow start), before feedback. */
	{ "initial_destination_concurrency", CONF_INT, "5", NULL,
	    &var_init_dest_conc, 1, 100000, 0 },
	/* Failed pseudo-cohorts (a window's worth of site failures, no
	 * success between) after which a destination is dead; 0 = never. */
	{ "default_destination_concurrency_failed_cohort_limit", CONF_INT, "1",
	    NULL, &var_default_cohort_limit, 0, 100000, 0 },
	/* Window growth per delivery that reached a server: N or
	 * N/concurrency (0 < N <= 1); 1 = one more per delivery. */
	{ "default_destination_concurrency_positive_feedback", CONF_STR,
	    "1", NULL, &var_default_pos_feedback, 0, 0, 0 },
	/* Window shrink per site failure, same syntax. */
	{ "default_destination_concurrency_negative_feedback", CONF_STR,
	    "1", NULL, &var_default_neg_feedback, 0, 0, 0 },
	/* Age of a still-deferred message when its sender gets one "delayed
	 * mail" notice; 0 = never (Postfix's default). */
	{ "delay_warning_time", CONF_TIME, "0h", NULL, &var_delay_warning_time,
	    0, 1000L * 86400, 'h' },
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

const char *const qmgr_transport_param_suffixes[] = {
	"destination_concurrency_limit",
	"destination_recipient_limit",
	"initial_destination_concurrency",
	"destination_concurrency_failed_cohort_limit",
	"destination_concurrency_positive_feedback",
	"destination_concurrency_negative_feedback",
	NULL,
};

/* Feedback syntax (the arithmetic is in qmgr_schedule.c). */
int
qmgr_feedback_parse(const char *s, double *value, int *per_conc)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	v = strtod(s, &end);
	if (end == s || v <= 0 || v > 1)
		return -1;
	if (*end == '\0') {
		*per_conc = 0;
	} else if (strcmp(end, "/concurrency") == 0) {
		*per_conc = 1;
	} else {
		return -1;
	}
	*value = v;
	return 0;
}

/* name = transport + "_" + suffix?  The suffix, else NULL. */
static const char *
transport_suffix(const char *name, const char *transport)
{
	size_t n = strlen(transport);
	size_t i;

	if (strncmp(name, transport, n) != 0 || name[n] != '_')
		return NULL;
	for (i = 0; qmgr_transport_param_suffixes[i] != NULL; i++)
		if (strcmp(name + n + 1, qmgr_transport_param_suffixes[i]) == 0)
			return qmgr_transport_param_suffixes[i];
	return NULL;
}

static void
param_where(struct strbuf *err, const char *name)
{
	const char *file;
	int line;

	if (conf_origin(name, &file, &line) == 0 && line > 0)
		strbuf_set_printf(err, "%s, line %d: parameter %s: ", file, line,
		    name);
	else
		strbuf_set_printf(err, "parameter %s: ", name);
}

/* Check one value of a per-transport parameter. */
static int
check_value(const char *name, const char *suffix, struct strbuf *err)
{
	const char *v = conf_value(name);
	double fb;
	long n;
	int pc;
	char *end;

	if (strstr(suffix, "feedback") != NULL) {
		if (qmgr_feedback_parse(v, &fb, &pc) == 0)
			return 0;
		param_where(err, name);
		strbuf_printf(err, "expected N or N/concurrency with 0 < N <= 1, "
		    "got \"%.100s\"", v);
		return -1;
	}
	n = strtol(v, &end, 10);
	if (*v != '\0' && *end == '\0' && n >= 0 && n <= 100000 &&
	    (n > 0 || strstr(suffix, "cohort") != NULL ||
	    strcmp(suffix, "destination_concurrency_limit") == 0))
		return 0;
	param_where(err, name);
	strbuf_printf(err, "expected an integer between %d and 100000, got "
	    "\"%.100s\"", strstr(suffix, "cohort") != NULL ||
	    strcmp(suffix, "destination_concurrency_limit") == 0 ? 0 : 1, v);
	return -1;
}

int
qmgr_params_transport_known(const char *name, const char *const *services,
    struct strbuf *err)
{
	const char *suffix;

	for (; *services != NULL; services++)
		if ((suffix = transport_suffix(name, *services)) != NULL)
			return check_value(name, suffix, err) < 0 ? -1 : 1;
	return 0;
}

int
qmgr_params_transport_int(const char *transport, const char *suffix,
    long def, long min, long max, long *out, struct strbuf *err)
{
	char name[256];
	const char *v;
	char *end;
	long n;

	if (snprintf(name, sizeof(name), "%s_%s", transport, suffix) >=
	    (int)sizeof(name) || conf_raw(name) == NULL) {
		*out = def;
		return 0;
	}
	v = conf_value(name);
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < min || n > max) {
		param_where(err, name);
		strbuf_printf(err, "expected an integer between %ld and %ld, got "
		    "\"%.100s\"", min, max, v);
		return -1;
	}
	*out = n;
	return 0;
}

const char *
qmgr_params_transport_str(const char *transport, const char *suffix,
    const char *def)
{
	char name[256];

	if (snprintf(name, sizeof(name), "%s_%s", transport, suffix) <
	    (int)sizeof(name) && conf_raw(name) != NULL)
		return conf_value(name);
	return def;
}
