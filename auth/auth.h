/*
 * auth/auth.h — the SASL verification service (auth(8)).
 *
 * auth_service.c  the IPC side: one exchange per connection, the request
 *                 state machine (auth_session_handle: decoded frame in,
 *                 reply out, no I/O, fuzzed) and the event loop glue
 * auth_mech.c     PLAIN and LOGIN decoding and the passwd backend's steps
 * auth_passwd.c   the password file: parsing, crypt(3) verification
 * auth_dovecot.c  the Dovecot auth client protocol backend
 * auth_limit.c    the failed-login table (per client address and per user)
 * auth_params.c   parameters
 * Nothing here trusts the peer: frames, responses and Dovecot's lines are
 * checked and bounded.  Functions return results; only start-up is fatal.
 */
#ifndef TEGAMI_AUTH_H
#define TEGAMI_AUTH_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "conf.h"
#include "strbuf.h"

#define AUTH_RESP_MAX		4096	/* longest client response, bytes */
#define AUTH_NAME_MAX		256	/* longest user name, bytes */
#define AUTH_PASS_MAX		1024	/* longest password, bytes */

#define AUTH_REASON_TEMP	"454 4.7.0 Temporary authentication failure"
#define AUTH_REASON_FAIL	"535 5.7.8 Authentication credentials invalid"
#define AUTH_REASON_MECH	"504 5.5.4 Unrecognized authentication type"
#define AUTH_REASON_LIMIT	"454 4.7.0 Too many failed authentication attempts"
#define AUTH_REASON_CANCEL	"501 5.7.0 Authentication cancelled"

extern char *var_sasl_type;
extern char *var_sasl_path;
extern char *var_sasl_password_file;
extern int var_sasl_proxy_auth;
extern long var_auth_failure_limit;
extern long var_auth_failure_window;
extern long var_auth_failure_delay_max;
extern long var_auth_table_limit;
extern long var_auth_dovecot_timeout;
extern long var_auth_exchange_timeout;
extern const struct conf_param auth_params[];

enum auth_result {
	AUTH_R_OK,		/* user holds the canonical name */
	AUTH_R_CONTINUE,	/* challenge holds the next challenge */
	AUTH_R_FAIL,		/* reason holds "535 ..." or "504 ..." */
	AUTH_R_TEMPFAIL,	/* reason holds "454 ..." */
};

/* ---- auth_mech.c ---- */

/* A user name we accept: 1..AUTH_NAME_MAX bytes, no NUL, CR or LF. */
int	auth_name_ok(const void *p, size_t len);
/* Split a PLAIN response (RFC 4616: authzid NUL authcid NUL passwd) into
 * three C strings.  0, or -1 with a reason in why (empty, missing NULs,
 * bad user name, over-long parts). */
int	auth_plain_decode(const void *resp, size_t len, struct strbuf *authzid,
	    struct strbuf *authcid, struct strbuf *passwd, const char **why);
/* The user a PLAIN or LOGIN response names, if this response (step 0 =
 * the first response) names one; for the rate limit before the password
 * is checked.  1 with user set, 0 when this response names none. */
int	auth_mech_peek_user(const char *mech, int step, const void *resp,
	    size_t len, struct strbuf *user);

/* Conversation with the password file for PLAIN and LOGIN. */
struct auth_mech_conv;
struct auth_mech_conv *auth_mech_start(const char *mech);	/* NULL: unknown */
void	auth_mech_free(struct auth_mech_conv *c);		/* accepts NULL */
/* One step: have_resp 0 means "no initial response".  The verification is
 * done by verify(user, password) (0 ok, -1 wrong, -2 tempfail). */
enum auth_result auth_mech_step(struct auth_mech_conv *c, int have_resp,
	    const void *resp, size_t len,
	    int (*verify)(const char *user, const char *pass),
	    struct strbuf *challenge, struct strbuf *user, struct strbuf *reason);

/* ---- auth_passwd.c ---- */

struct auth_passwd;
/* Parse password file text (name for warnings).  Malformed lines are
 * skipped with a warning naming file and line; never fails. */
struct auth_passwd *auth_passwd_parse(const char *name, const char *text,
	    size_t len);
/* Read and parse the file at path: NULL with errno on an open/read error. */
struct auth_passwd *auth_passwd_load(const char *path);
void	auth_passwd_free(struct auth_passwd *p);		/* accepts NULL */
size_t	auth_passwd_count(const struct auth_passwd *p);
/* The stored hash of user, or NULL. Borrowed. */
const char *auth_passwd_hash(const struct auth_passwd *p, const char *user);
/* 0 when pass matches user's hash, -1 otherwise (unknown users cost one
 * dummy crypt, so timing does not tell), -2 when crypt itself failed. */
int	auth_passwd_verify(const struct auth_passwd *p, const char *user,
	    const char *pass);

/* ---- auth_limit.c ---- */

struct auth_limit;
struct auth_limit *auth_limit_new(long max_failures, long window,
	    long delay_max, size_t table_limit);
void	auth_limit_free(struct auth_limit *l);		/* accepts NULL */
/* 1 when key has had max_failures failures within the window. */
int	auth_limit_blocked(struct auth_limit *l, const char *key, time_t now);
/* Count one failure; returns the failures of key in this window (0 when
 * the table was full and nothing was counted). */
long	auth_limit_fail(struct auth_limit *l, const char *key, time_t now);
/* Forget key (a successful login). */
void	auth_limit_clear(struct auth_limit *l, const char *key);
/* The delay in seconds after the n-th failure: 1, 2, 4 ... capped. */
long	auth_limit_delay(const struct auth_limit *l, long n);
size_t	auth_limit_size(const struct auth_limit *l);

/* ---- auth_dovecot.c ---- */

struct auth_dovecot;
/* Connect to Dovecot's auth socket and do the handshake; the mechanisms it
 * offers (and that we relay) go into mechs, space-separated.  NULL with a
 * reason on any trouble (the caller answers tempfail). */
struct auth_dovecot *auth_dovecot_open(const char *path, int timeout_ms,
	    struct strbuf *mechs, struct strbuf *why);
void	auth_dovecot_close(struct auth_dovecot *d);	/* accepts NULL */
/* 1 when Dovecot offered mech (after open). */
int	auth_dovecot_has_mech(const struct auth_dovecot *d, const char *mech);
/* Start (have_resp: initial response present) or continue an exchange. */
enum auth_result auth_dovecot_start(struct auth_dovecot *d, const char *mech,
	    const char *client_addr, int tls, int have_resp, const void *resp,
	    size_t len, struct strbuf *challenge, struct strbuf *user,
	    struct strbuf *reason);
enum auth_result auth_dovecot_step(struct auth_dovecot *d, const void *resp,
	    size_t len, struct strbuf *challenge, struct strbuf *user,
	    struct strbuf *reason);
/* Parse one reply line of Dovecot's (without the newline) for request id;
 * exposed for the unit test and the fuzzer. */
enum auth_result auth_dovecot_parse_reply(const char *line, unsigned id,
	    struct strbuf *challenge, struct strbuf *user, struct strbuf *reason);

/* ---- auth_service.c ---- */

/* The backend state shared by all sessions (set up by auth_service_init,
 * or by tests and the fuzzer). */
void	auth_service_set_passwd(struct auth_passwd *p);	/* takes ownership */
void	auth_service_set_limit(struct auth_limit *l);	/* takes ownership */

struct ipc_msg;
struct auth_session;
struct auth_session *auth_session_new(void);
void	auth_session_free(struct auth_session *s);	/* accepts NULL */
/*
 * Handle one decoded request; the answer is put into reply (which the
 * caller sends when the result is >= 0).  1: more requests may follow on
 * this connection; 0: the exchange is over (close after the reply); -1: a
 * protocol error, why says which (drop the connection, no reply).
 * A failure reply may carry `delay`: seconds the submission side waits
 * before it answers the client.
 */
int	auth_session_handle(struct auth_session *s, const struct ipc_msg *req,
	    struct ipc_msg *reply, time_t now, struct strbuf *why);

void	auth_service_pre_jail(void);
void	auth_service_post_jail(void);
void	auth_service_accept(int fd);

#endif
