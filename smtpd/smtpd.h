/*
 * smtpd/smtpd.h — the port-25 daemon's parameters and policy.
 *
 * smtpd is the shared SMTP engine (lib/smtp_server.h) with the MX policy of
 * smtpd_policy.c: Postfix's restriction lists (smtpd_check.h; relay
 * control by default), local recipient validation.  Parameters are in
 * smtpd_params.c and smtpd_check_params.c.
 */
#ifndef TEGAMI_SMTPD_H
#define TEGAMI_SMTPD_H

#include "conf.h"
#include "smtp_server.h"

extern char *var_mail_name;
extern char *var_smtpd_banner;
extern long var_smtpd_timeout;
extern long var_smtpd_hard_error_limit;
extern long var_smtpd_junk_command_limit;
extern long var_smtpd_recipient_limit;
extern long var_smtpd_data_line_limit;
extern int var_disable_vrfy_command;

/* smtpd_check_params.c: the access restrictions (smtpd_check.h). */
extern char *var_smtpd_client_restrictions;
extern char *var_smtpd_helo_restrictions;
extern char *var_smtpd_sender_restrictions;
extern char *var_smtpd_relay_restrictions;
extern char *var_smtpd_recipient_restrictions;
extern char *var_smtpd_data_restrictions;
extern char *var_smtpd_eod_restrictions;
extern char *var_smtpd_restriction_classes;
extern int var_smtpd_delay_reject;
extern int var_smtpd_helo_required;
extern int var_smtpd_reject_unlisted_rcpt;
extern char *var_smtpd_null_key;
extern int var_smtpd_peername_lookup;
extern char *var_dns_nameservers;
extern char *var_smtpd_relay_domains;
extern char *var_smtpd_parent_domain_matches;
extern char *var_relay_clientcerts;
extern char *var_smtpd_sender_login_maps;
extern long var_access_map_reject_code;
extern long var_access_map_defer_code;
extern long var_reject_code;
extern long var_defer_code;
extern long var_maps_rbl_reject_code;
extern long var_unknown_address_reject_code;
extern long var_unknown_client_reject_code;
extern long var_unknown_hostname_reject_code;
extern long var_invalid_hostname_reject_code;
extern long var_non_fqdn_reject_code;
extern long var_relay_domains_reject_code;
extern long var_nullmx_reject_code;
extern char *var_unknown_address_tempfail_action;
extern char *var_unknown_helo_hostname_tempfail_action;
extern const struct conf_param smtpd_check_params[];
extern long var_smtpd_soft_error_limit;
extern long var_smtpd_error_sleep_time;
extern long var_smtpd_greet_wait;
extern int var_smtpd_per_record_deadline;
extern char *var_smtpd_upstream_proxy_protocol;
extern long var_smtpd_upstream_proxy_timeout;
extern char *var_smtpd_discard_ehlo_keywords;


extern const struct conf_param smtpd_params[];
extern const struct smtp_policy smtpd_policy;

/* After the configuration is loaded and privileges dropped: fill the
 * engine's configuration, parse $mynetworks (fatal when malformed). */
void	smtpd_policy_init(void);
/* Accept callback for event_server_main. */
void	smtpd_accept(int fd);

/* Virtual mailbox domains (smtpd_vmailbox.c): -1 when the domain is not
 * one; else SMTP_POLICY_ACCEPT, or SMTP_POLICY_REJECT with reply (550 for
 * an address not in virtual_mailbox_maps, 451 for a table in trouble). */
int	smtpd_vmailbox_check(const char *rcpt, const char *domain,
	    struct strbuf *reply);

#endif
