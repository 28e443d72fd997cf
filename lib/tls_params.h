/*
 * lib/tls_params.h — the smtpd_tls_* parameters of the SMTP servers
 * (smtpd, later submission) and the context they make.
 *
 * A daemon lists tls_server_params among its tables, calls
 * tls_server_pre_jail() while still root (it reads the keys), and
 * tls_server_configure() (declared in smtp_server.h) when it fills its
 * engine configuration.
 */
#ifndef TEGAMI_TLS_PARAMS_H
#define TEGAMI_TLS_PARAMS_H

#include "conf.h"

extern char *var_smtpd_tls_level;
extern char *var_smtpd_tls_cert_file;
extern char *var_smtpd_tls_key_file;
extern char *var_smtpd_tls_eccert_file;
extern char *var_smtpd_tls_eckey_file;
extern char *var_smtpd_tls_chain_files;
extern char *var_smtpd_tls_ca_file;
extern long var_smtpd_tls_loglevel;
extern int var_smtpd_tls_received_header;
extern long var_smtpd_starttls_timeout;
extern int var_smtpd_tls_wrappermode;
extern int var_smtpd_tls_auth_only;
extern int var_smtpd_tls_ask_ccert;
extern char *var_smtpd_tls_protocols;
extern char *var_smtpd_tls_mandatory_protocols;
extern char *var_smtpd_tls_ciphers;
extern char *var_smtpd_tls_mandatory_ciphers;
extern char *var_smtpd_tls_exclude_ciphers;
extern char *var_smtpd_tls_fingerprint_digest;
extern long var_smtpd_tls_session_cache_timeout;
extern char *var_tls_high_cipherlist;
extern char *var_tls_medium_cipherlist;
extern int var_tls_preempt_cipherlist;

extern const struct conf_param tls_server_params[];

/* smtpd_tls_security_level as SMTP_TLS_*; -1 for a bad value. */
int	tls_server_level(const char *value);
/* Root, before the privilege drop: check the parameters (a bad value is
 * fatal) and, unless the level is none, load the certificates (trouble
 * there is a warning: STARTTLS then answers 454). */
void	tls_server_pre_jail(void);

#endif
