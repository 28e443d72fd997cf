/*
 * lib/anvil_client.h — asynchronous client of the anvil service
 * (private/anvil, see lib/ipc_names.h) for event-driven daemons.
 *
 * One shared connection per process, requests answered in order.  Anvil
 * is advice, never a reason to refuse mail: when it is unreachable, slow
 * (each request has a time limit) or broken, callbacks get status -1 and
 * the caller does not limit (fail open).  Errors are logged here, at most
 * once a minute; a later request connects again.
 */
#ifndef TEGAMI_ANVIL_CLIENT_H
#define TEGAMI_ANVIL_CLIENT_H

struct event_base;
struct anvil_req;	/* opaque: a request whose answer is awaited */

/* Where anvil lives and how long an answer may take (ms, > 0).  May be
 * called again (tests); an open connection is kept. */
void	anvil_client_init(struct event_base *base, const char *queue_dir,
	    int timeout_ms);

/*
 * Ask anvil to count a connection / a MAIL / a RCPT of ident
 * ("service:client_addr").  Returns a handle, and cb(arg, ...) is called
 * exactly once later from the event loop (never from inside this call)
 * unless the request is cancelled first.  Returns NULL when anvil cannot be
 * asked now: the caller goes on as with status -1, and cb is never called.
 * cb gets status 0 with count (connect only; else 0) and rate, or status
 * -1 when there is no answer (unreachable, timeout, anvil cannot count).
 */
struct anvil_req *anvil_client_connect(const char *ident,
	    void (*cb)(void *arg, int status, long count, long rate), void *arg);
struct anvil_req *anvil_client_message(const char *ident,
	    void (*cb)(void *arg, int status, long count, long rate), void *arg);
struct anvil_req *anvil_client_rcpt(const char *ident,
	    void (*cb)(void *arg, int status, long count, long rate), void *arg);
/* The callback of r will not be called (its session went away); r is
 * invalid afterwards.  Accepts NULL. */
void	anvil_client_cancel(struct anvil_req *r);

/* Which connection to anvil is current.  A connect counted on one
 * connection is given back by anvil when that connection closes; so a
 * disconnect is sent only when generation is still the one that was
 * current when the connect was sent (anvil_client_generation() right after
 * anvil_client_connect() returned non-NULL). */
unsigned long anvil_client_generation(void);
/* Give back one connection of ident (no answer awaited). */
void	anvil_client_disconnect(const char *ident, unsigned long generation);

/* Requests still awaiting an answer (tests). */
unsigned anvil_client_pending(void);

#endif
