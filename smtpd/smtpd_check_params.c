/*
 * smtpd/smtpd_check_params.c — parameters of smtpd's access restrictions
 * (smtpd_check*.c) and of its DNS use.
 *
 * Names, defaults and reply codes are Postfix's where the meaning is the
 * same; the exceptions are marked.  The lists are parsed once at start-up
 * (smtpd_check_init); a bad one is fatal.
 */
#include "smtpd.h"

char   *var_smtpd_client_restrictions;
char   *var_smtpd_helo_restrictions;
char   *var_smtpd_sender_restrictions;
char   *var_smtpd_relay_restrictions;
char   *var_smtpd_recipient_restrictions;
char   *var_smtpd_data_restrictions;
char   *var_smtpd_eod_restrictions;
char   *var_smtpd_restriction_classes;
int	var_smtpd_delay_reject;
int	var_smtpd_helo_required;
int	var_smtpd_reject_unlisted_rcpt;
char   *var_smtpd_null_key;
int	var_smtpd_peername_lookup;
char   *var_dns_nameservers;
char   *var_smtpd_relay_domains;
char   *var_smtpd_parent_domain_matches;
char   *var_relay_clientcerts;
char   *var_smtpd_sender_login_maps;
long	var_access_map_reject_code;
long	var_access_map_defer_code;
long	var_reject_code;
long	var_defer_code;
long	var_maps_rbl_reject_code;
long	var_unknown_address_reject_code;
long	var_unknown_client_reject_code;
long	var_unknown_hostname_reject_code;
long	var_invalid_hostname_reject_code;
long	var_non_fqdn_reject_code;
long	var_relay_domains_reject_code;
long	var_nullmx_reject_code;
char   *var_unknown_address_tempfail_action;
char   *var_unknown_helo_hostname_tempfail_action;

#define CODE(name, def, var) \
	{ name, CONF_INT, def, NULL, var, 400, 599, 0 }

const struct conf_param smtpd_check_params[] = {
	/* Restrictions at the connection (or, with smtpd_delay_reject, at
	 * each RCPT). */
	{"smtpd_client_restrictions", CONF_STR, "", NULL,
	    &var_smtpd_client_restrictions, 0, 0, 0},
	/* Restrictions on the HELO/EHLO name. */
	{"smtpd_helo_restrictions", CONF_STR, "", NULL,
	    &var_smtpd_helo_restrictions, 0, 0, 0},
	/* Restrictions on MAIL FROM. */
	{"smtpd_sender_restrictions", CONF_STR, "", NULL,
	    &var_smtpd_sender_restrictions, 0, 0, 0},
	/* Relay control at RCPT, before smtpd_recipient_restrictions.
	 * Postfix's default ends in defer_unauth_destination; tegami's in
	 * reject_unauth_destination (554 Relay access denied). */
	{"smtpd_relay_restrictions", CONF_STR, "permit_mynetworks, "
	    "permit_sasl_authenticated, reject_unauth_destination", NULL,
	    &var_smtpd_relay_restrictions, 0, 0, 0},
	/* Restrictions at RCPT, after smtpd_relay_restrictions. */
	{"smtpd_recipient_restrictions", CONF_STR, "", NULL,
	    &var_smtpd_recipient_restrictions, 0, 0, 0},
	/* Tables: sender address -> the SASL login names that own it
	 * (reject_*sender_login_mismatch). */
	{"smtpd_sender_login_maps", CONF_STR, "", NULL,
	    &var_smtpd_sender_login_maps, 0, 0, 0},
	/* Restrictions at DATA (and the first BDAT). */
	{"smtpd_data_restrictions", CONF_STR, "", NULL,
	    &var_smtpd_data_restrictions, 0, 0, 0},
	/* Restrictions after the message content was received. */
	{"smtpd_end_of_data_restrictions", CONF_STR, "", NULL,
	    &var_smtpd_eod_restrictions, 0, 0, 0},
	/* Names of restriction classes: each is a parameter holding a list,
	 * usable in lists and as an access table result. */
	{"smtpd_restriction_classes", CONF_STR, "", NULL,
	    &var_smtpd_restriction_classes, 0, 0, 0},
	/* Evaluate client, HELO and sender restrictions at RCPT time. */
	{"smtpd_delay_reject", CONF_BOOL, "yes", NULL,
	    &var_smtpd_delay_reject, 0, 0, 0},
	/* Require HELO/EHLO before MAIL. */
	{"smtpd_helo_required", CONF_BOOL, "no", NULL,
	    &var_smtpd_helo_required, 0, 0, 0},
	/* Refuse unknown recipients of local and virtual domains (Postfix's
	 * implicit reject_unlisted_recipient). */
	{"smtpd_reject_unlisted_recipient", CONF_BOOL, "yes", NULL,
	    &var_smtpd_reject_unlisted_rcpt, 0, 0, 0},
	/* Access table key for the null sender. */
	{"smtpd_null_access_lookup_key", CONF_STR, "<>", NULL,
	    &var_smtpd_null_key, 0, 0, 0},
	/* Look up the client's name in DNS (PTR, then forward-confirm). */
	{"smtpd_peername_lookup", CONF_BOOL, "yes", NULL,
	    &var_smtpd_peername_lookup, 0, 0, 0},
	/* Name servers to ask ("ADDR" or "ADDR@PORT", list); empty = the
	 * system's /etc/resolv.conf and /etc/hosts.  Not in Postfix. */
	{"dns_nameservers", CONF_STR, "", NULL, &var_dns_nameservers, 0, 0, 0},
	/* Domains this host relays to (reject_unauth_destination passes
	 * them); also qmgr's, with the same default. */
	{"relay_domains", CONF_STR, "", NULL, &var_smtpd_relay_domains, 0, 0, 0},
	/* Same as qmgr's: where "example.com" also matches subdomains. */
	{"parent_domain_matches_subdomains", CONF_STR, "debug_peer_list, "
	    "fast_flush_domains, mynetworks, permit_mx_backup_networks, "
	    "qmqpd_authorized_clients, relay_domains, smtpd_access_maps", NULL,
	    &var_smtpd_parent_domain_matches, 0, 0, 0},
	/* Client certificate fingerprints for permit_tls_clientcerts. */
	{"relay_clientcerts", CONF_STR, "", NULL, &var_relay_clientcerts, 0, 0, 0},
	/* Reply for REJECT in an access table. */
	CODE("access_map_reject_code", "554", &var_access_map_reject_code),
	/* Reply for DEFER in an access table. */
	CODE("access_map_defer_code", "450", &var_access_map_defer_code),
	/* Reply for the reject restriction. */
	CODE("reject_code", "554", &var_reject_code),
	/* Reply for defer, defer_if_permit and a deferred reject. */
	CODE("defer_code", "450", &var_defer_code),
	/* Reply for a client or domain in a DNS blocklist. */
	CODE("maps_rbl_reject_code", "554", &var_maps_rbl_reject_code),
	/* Reply for reject_unknown_sender/recipient_domain. */
	CODE("unknown_address_reject_code", "450",
	    &var_unknown_address_reject_code),
	/* Reply for reject_unknown_(reverse_)client_hostname. */
	CODE("unknown_client_reject_code", "450",
	    &var_unknown_client_reject_code),
	/* Reply for reject_unknown_helo_hostname. */
	CODE("unknown_hostname_reject_code", "450",
	    &var_unknown_hostname_reject_code),
	/* Reply for reject_invalid_helo_hostname. */
	CODE("invalid_hostname_reject_code", "501",
	    &var_invalid_hostname_reject_code),
	/* Reply for reject_non_fqdn_*. */
	CODE("non_fqdn_reject_code", "504", &var_non_fqdn_reject_code),
	/* Reply for reject_unauth_destination. */
	CODE("relay_domains_reject_code", "554", &var_relay_domains_reject_code),
	/* Reply for a domain with a null MX (RFC 7505). */
	CODE("nullmx_reject_code", "556", &var_nullmx_reject_code),
	/* What a DNS failure in reject_unknown_sender/recipient_domain does:
	 * defer_if_permit or defer. */
	{"unknown_address_tempfail_action", CONF_STR, "defer_if_permit", NULL,
	    &var_unknown_address_tempfail_action, 0, 0, 0},
	/* The same for reject_unknown_helo_hostname. */
	{"unknown_helo_hostname_tempfail_action", CONF_STR, "defer_if_permit",
	    NULL, &var_unknown_helo_hostname_tempfail_action, 0, 0, 0},
	CONF_TABLE_END
};
