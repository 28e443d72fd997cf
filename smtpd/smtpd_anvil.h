/*
 * smtpd/smtpd_anvil.h — per-client connection count and rate limits
 * through the anvil service (Postfix's smtpd_client_*_limit parameters).
 *
 * The hooks follow lib/smtp_server.h: SMTP_POLICY_ACCEPT, _REJECT with the
 * reply in `reply`, or _PENDING (anvil was asked; the session is woken up
 * and the hook called again with the same arguments).  Clients in
 * $smtpd_client_event_limit_exceptions are never counted.  When anvil does
 * not answer, nobody is limited (fail open).
 */
#ifndef TEGAMI_SMTPD_ANVIL_H
#define TEGAMI_SMTPD_ANVIL_H

#include "conf.h"
#include "smtp_server.h"

extern long var_smtpd_client_connection_count_limit;
extern long var_smtpd_client_connection_rate_limit;
extern long var_smtpd_client_message_rate_limit;
extern long var_smtpd_client_recipient_rate_limit;
extern char *var_smtpd_client_event_limit_exceptions;
extern const struct conf_param smtpd_anvil_params[];

/* After the configuration is loaded (post_jail): parse the exceptions
 * (fatal when malformed) and set up the anvil client.  The hooks call it
 * themselves when it was not called. */
void	smtpd_anvil_init(void);

/* on_connect: count the connection; 421 over the count or rate limit
 * (the engine then closes). */
int	smtpd_anvil_connect(struct smtp_session *s, struct strbuf *reply);
/*
 * Each command counts one event: the first call of smtpd_anvil_mail /
 * smtpd_anvil_rcpt for a command asks anvil; every later call for the same
 * command (smtp_session_command_seq), however often the hook runs again
 * while other checks wait for DNS, finds that answer and counts nothing.
 */
/* check_mail: 450 over the message rate limit. */
int	smtpd_anvil_mail(struct smtp_session *s, struct strbuf *reply);
/* check_rcpt: 450 over the recipient rate limit. */
int	smtpd_anvil_rcpt(struct smtp_session *s, struct strbuf *reply);
/* on_disconnect: give the connection back, forget the session.  Must be
 * called for every session that went through smtpd_anvil_connect. */
void	smtpd_anvil_disconnect(struct smtp_session *s);

#endif
