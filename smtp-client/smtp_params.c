/*
 * smtp-client/smtp_params.c — the SMTP delivery agent's parameters
 * (Postfix's names and defaults where the meaning is the same).
 *
 * Only smtp-client reads these; `tegami conf`/`check` link this table too.
 * Values are checked by conf_bind() against the bounds given here; their
 * meaning is described in smtp-client(8) and main.cf(5).
 */
#include <stddef.h>

#include "conf.h"
#include "smtp.h"

char   *var_smtp_host_lookup;
long	var_smtp_mx_address_limit;
long	var_smtp_connect_timeout;
long	var_smtp_helo_timeout;
long	var_smtp_mail_timeout;
long	var_smtp_rcpt_timeout;
long	var_smtp_data_init_timeout;
long	var_smtp_data_xfer_timeout;
long	var_smtp_data_done_timeout;
long	var_smtp_quit_timeout;
char   *var_smtp_helo_name;
int	var_smtp_skip_5xx_greeting;
char   *var_smtp_dns_servers;
char   *var_smtp_dnssec_anchor;
long	var_smtp_rset_timeout;
int	var_smtp_cache_demand;
long	var_smtp_cache_time;
long	var_smtp_reuse_time;
long	var_smtp_reuse_count;
int	var_smtp_use_chunking;
int	var_disable_mime_oconv;
char   *var_smtp_tls_level;
char   *var_smtp_tls_policy_maps;
char   *var_smtp_tls_ca_file;
char   *var_smtp_tls_ca_path;
char   *var_smtp_tls_cert_file;
char   *var_smtp_tls_key_file;
char   *var_smtp_tls_protocols;
char   *var_smtp_tls_mandatory_protocols;
char   *var_smtp_tls_ciphers;
char   *var_smtp_tls_mandatory_ciphers;
char   *var_smtp_tls_exclude_ciphers;
long	var_smtp_tls_loglevel;
char   *var_smtp_tls_fingerprint_digest;
char   *var_smtp_tls_verify_match;
char   *var_smtp_tls_secure_match;
char   *var_smtp_dns_support_level;
int	var_smtp_tls_wrappermode;
int	var_smtp_sasl_auth_enable;
char   *var_smtp_sasl_password_maps;
char   *var_smtp_sasl_security_options;
char   *var_smtp_sasl_tls_security_options;
char   *var_smtp_sasl_mech_filter;
int	var_smtp_sender_dependent_auth;

#define S(n, d, v)	{ n, CONF_STR, d, NULL, &v, 0, 0, 0 }

const struct conf_param smtp_params[] = {
	/* ---- AUTH (smtpc_sasl.c, smtpc_auth.c, lib/sasl_client.c) ---- */
	/* Log in to servers we have a password for. */
	{ "smtp_sasl_auth_enable", CONF_BOOL, "no", NULL,
	    &var_smtp_sasl_auth_enable, 0, 0, 0 },
	/* "[host]:port", host or (sender-dependent) sender -> user:password. */
	S("smtp_sasl_password_maps", "", var_smtp_sasl_password_maps),
	/* Mechanisms allowed without TLS (noplaintext: no PLAIN or LOGIN). */
	S("smtp_sasl_security_options", "noplaintext, noanonymous",
	    var_smtp_sasl_security_options),
	/* ... and with TLS. */
	S("smtp_sasl_tls_security_options", "noanonymous",
	    var_smtp_sasl_tls_security_options),
	/* Mechanism names to use (!name: not that one); "" = all. */
	S("smtp_sasl_mechanism_filter", "", var_smtp_sasl_mech_filter),
	/* Look the password up by sender first (connections are then not
	 * shared between senders). */
	{ "smtp_sender_dependent_authentication", CONF_BOOL, "no", NULL,
	    &var_smtp_sender_dependent_auth, 0, 0, 0 },
	/* ---- TLS (smtpc_tls.c, lib/tls_client.c) ---- */
	/* none (or empty), may, encrypt, dane, verify, secure. */
	S("smtp_tls_security_level", "", var_smtp_tls_level),
	/* Per-destination levels: "LEVEL [match=... protocols=... ciphers=...]". */
	S("smtp_tls_policy_maps", "", var_smtp_tls_policy_maps),
	/* Trust anchors for verify/secure; both empty = the system store. */
	S("smtp_tls_CAfile", "", var_smtp_tls_ca_file),
	S("smtp_tls_CApath", "", var_smtp_tls_ca_path),
	/* A client certificate, when a server asks for one. */
	S("smtp_tls_cert_file", "", var_smtp_tls_cert_file),
	S("smtp_tls_key_file", "$smtp_tls_cert_file", var_smtp_tls_key_file),
	/* Protocols at level may, and at encrypt and above. */
	S("smtp_tls_protocols", ">=TLSv1", var_smtp_tls_protocols),
	S("smtp_tls_mandatory_protocols", ">=TLSv1.2",
	    var_smtp_tls_mandatory_protocols),
	/* Cipher grades (medium, high), and names taken out of them. */
	S("smtp_tls_ciphers", "medium", var_smtp_tls_ciphers),
	S("smtp_tls_mandatory_ciphers", "medium", var_smtp_tls_mandatory_ciphers),
	S("smtp_tls_exclude_ciphers", "", var_smtp_tls_exclude_ciphers),
	/* 0: problems only; 1: a line per TLS session; 2: and the
	 * certificate's names and fingerprint. */
	{ "smtp_tls_loglevel", CONF_INT, "0", NULL, &var_smtp_tls_loglevel,
	    0, 4, 0 },
	S("smtp_tls_fingerprint_digest", "sha256",
	    var_smtp_tls_fingerprint_digest),
	/* Names a certificate must match at levels verify and secure. */
	S("smtp_tls_verify_cert_match", "hostname", var_smtp_tls_verify_match),
	S("smtp_tls_secure_cert_match", "nexthop, dot-nexthop",
	    var_smtp_tls_secure_match),
	/* TLS from the first byte, not STARTTLS (a relayhost on port 465). */
	{ "smtp_tls_wrappermode", CONF_BOOL, "no", NULL,
	    &var_smtp_tls_wrappermode, 0, 0, 0 },
	/* disabled, enabled (or empty), dnssec (DANE needs it). */
	S("smtp_dns_support_level", "", var_smtp_dns_support_level),
	/* Time for the RSET that checks a connection before it is kept. */
	{ "smtp_rset_timeout", CONF_TIME, "20s", NULL, &var_smtp_rset_timeout,
	    1, 3600, 's' },
	/* Keep connections for reuse (by next hop). */
	{ "smtp_connection_cache_on_demand", CONF_BOOL, "yes", NULL,
	    &var_smtp_cache_demand, 0, 0, 0 },
	/* How long an idle connection is kept; 0 = never kept. */
	{ "smtp_connection_cache_time_limit", CONF_TIME, "2s", NULL,
	    &var_smtp_cache_time, 0, 3600, 's' },
	/* A connection is not reused once this old. */
	{ "smtp_connection_reuse_time_limit", CONF_TIME, "300s", NULL,
	    &var_smtp_reuse_time, 1, 86400, 's' },
	/* Transactions after the first on one connection; 0 = no limit. */
	{ "smtp_connection_reuse_count_limit", CONF_INT, "0", NULL,
	    &var_smtp_reuse_count, 0, 1000000, 0 },
	/* Send the content with BDAT when the server offers CHUNKING. */
	{ "smtp_use_chunking", CONF_BOOL, "yes", NULL, &var_smtp_use_chunking,
	    0, 0, 0 },
	/* Never convert 8-bit content to quoted-printable for a server
	 * without 8BITMIME (send it as it is). */
	{ "disable_mime_output_conversion", CONF_BOOL, "no", NULL,
	    &var_disable_mime_oconv, 0, 0, 0 },
	/* DNSSEC trust anchor for validating answers (DANE); "" = answers
	 * are never validated, so DANE falls back to "may". */
	{ "dns_trust_anchor_file", CONF_STR, "", NULL, &var_smtp_dnssec_anchor,
	    0, 0, 0 },
	/* How server addresses are found: dns (MX, A, AAAA through the
	 * resolver of lib/dns.c) or native (getaddrinfo: /etc/hosts, no MX). */
	{ "smtp_host_lookup", CONF_STR, "dns", NULL, &var_smtp_host_lookup,
	    0, 0, 0 },
	/* Most server addresses tried in one delivery (all MX hosts). */
	{ "smtp_mx_address_limit", CONF_INT, "5", NULL,
	    &var_smtp_mx_address_limit, 1, 1000, 0 },
	/* Time to complete the TCP connection. */
	{ "smtp_connect_timeout", CONF_TIME, "30s", NULL,
	    &var_smtp_connect_timeout, 1, 3600, 's' },
	/* Time for the greeting and the reply to EHLO/HELO. */
	{ "smtp_helo_timeout", CONF_TIME, "300s", NULL,
	    &var_smtp_helo_timeout, 1, 3600, 's' },
	/* Time for sending MAIL FROM and reading its reply. */
	{ "smtp_mail_timeout", CONF_TIME, "300s", NULL,
	    &var_smtp_mail_timeout, 1, 3600, 's' },
	/* Time for sending RCPT TO and reading its reply. */
	{ "smtp_rcpt_timeout", CONF_TIME, "300s", NULL,
	    &var_smtp_rcpt_timeout, 1, 3600, 's' },
	/* Time for sending DATA and reading its 354 reply. */
	{ "smtp_data_init_timeout", CONF_TIME, "120s", NULL,
	    &var_smtp_data_init_timeout, 1, 3600, 's' },
	/* Time for each write of the message content. */
	{ "smtp_data_xfer_timeout", CONF_TIME, "180s", NULL,
	    &var_smtp_data_xfer_timeout, 1, 3600, 's' },
	/* Time for sending "." and reading the final reply. */
	{ "smtp_data_done_timeout", CONF_TIME, "600s", NULL,
	    &var_smtp_data_done_timeout, 1, 3600, 's' },
	/* Time for sending QUIT and reading its reply. */
	{ "smtp_quit_timeout", CONF_TIME, "300s", NULL,
	    &var_smtp_quit_timeout, 1, 3600, 's' },
	/* The name sent with EHLO and HELO. */
	{ "smtp_helo_name", CONF_STR, "$myhostname", NULL, &var_smtp_helo_name,
	    0, 0, 0 },
	/* A server that greets with 5XX is skipped (the next address is
	 * tried; the mail is deferred if none is left) instead of bouncing. */
	{ "smtp_skip_5xx_greeting", CONF_BOOL, "yes", NULL,
	    &var_smtp_skip_5xx_greeting, 0, 0, 0 },
	/* DNS servers for the lookups ("" = /etc/resolv.conf); the same
	 * parameter smtpd reads. */
	{ "dns_nameservers", CONF_STR, "", NULL, &var_smtp_dns_servers, 0, 0, 0 },
	CONF_TABLE_END
};
