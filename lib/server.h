/*
 * lib/server.h — the daemon skeletons (STYLE.md lesson 3).
 *
 * A daemon's main() declares its parameter tables and callbacks and calls one
 * of these; the skeleton owns everything else:
 *   - options given by master: -c CONFIG_DIR, -n SERVICE, -t TYPE, -u (drop
 *     privileges to mail_owner), -w SECONDS (wake-up period), -o name=value
 *     (repeatable), -v (verbose), -f (log to stderr), -S (stand-alone: no
 *     master, listen on the service socket itself; for tests and debugging);
 *   - loading main.cf with the overrides and starting the log;
 *   - pre_jail() while still root (open keys, bind privileged things), then
 *     the privilege drop (lib/privsep.h), then post_jail();
 *   - the accept loop on the listening socket master passes as fd 3, and
 *     status reports to master on fd 4 (busy/idle, see doc/ipc.md);
 *   - exit after max_use requests or max_idle seconds without work.
 *
 * Three kinds: single (one stream at a time, blocking handler: cleanup,
 * local-delivery, showq), event (libevent, many connections in one process:
 * smtpd), trigger (libevent; a wake-up byte on the socket or the -w timer
 * calls the handler: qmgr, pickup).
 */
#ifndef TEGAMI_SERVER_H
#define TEGAMI_SERVER_H

#include "conf.h"

#define SERVER_LISTEN_FD	3
#define SERVER_STATUS_FD	4

#ifndef TEGAMI_VERSION
#define TEGAMI_VERSION		"0.1"
#endif

/* Status reports on SERVER_STATUS_FD: SERVER_STATUS_SIZE bytes, the child's
 * pid (u32, host order) then one of these letters.  A child sends IDLE once
 * it is ready, BUSY when it takes a connection and IDLE when it is free
 * again (event servers: first connection / last connection). */
#define SERVER_STATUS_SIZE	5
#define SERVER_STATUS_BUSY	'B'
#define SERVER_STATUS_IDLE	'I'

struct event_base;

struct server_ops {
	const char *name;			/* program name in logs: "smtpd" */
	const struct conf_param *const *params;	/* NULL-terminated list of tables
						 * (mail_params_common is added) */
	void	(*pre_jail)(void);		/* may be NULL */
	void	(*post_jail)(void);		/* may be NULL */
	int	keep_root;			/* never drop privileges (local-delivery) */
	int	no_idle_exit;			/* qmgr: run until master stops it */
};

/* One stream at a time: service(fd) handles one connection; the skeleton
 * closes fd afterwards. */
void	single_server_main(int argc, char **argv, const struct server_ops *ops,
	    void (*service)(int fd)) __attribute__((noreturn));

/* Event-driven: accept(fd) is called for every new connection (fd is
 * non-blocking and owned by the callee). The callee calls
 * server_conn_done() when it has closed a connection. */
void	event_server_main(int argc, char **argv, const struct server_ops *ops,
	    void (*accept_fn)(int fd)) __attribute__((noreturn));
void	server_conn_done(void);

/* Trigger: trigger() runs on every wake-up (a connection that writes a
 * byte, or the -w period, and once at start when -w is given). Wake-ups
 * carry no data. */
void	trigger_server_main(int argc, char **argv, const struct server_ops *ops,
	    void (*trigger)(void)) __attribute__((noreturn));

/* In a trigger() call: the first byte of the wake-up that caused it, or 0
 * for the -w timer.  Wake-ups carry no data, but qmgr takes 'F' (sendmail
 * -q) as "treat every deferred message as due". */
int	server_trigger_byte(void);

/* The libevent base of an event or trigger server (valid after pre_jail). */
struct event_base *server_event_base(void);
/* The service name (-n) and wake-up period (-w) the daemon was started with. */
const char *server_service_name(void);
int	server_wakeup_seconds(void);
/* Ask the skeleton to exit after the current request (fatal conditions that
 * are not worth a crash, or a reload). */
void	server_request_exit(void);

/* Encode / decode one status report (master uses the decoder). decode
 * returns 0 with pid and letter, -1 on an unknown letter. */
void	server_status_encode(unsigned char buf[SERVER_STATUS_SIZE], unsigned pid,
	    int letter);
int	server_status_decode(const unsigned char buf[SERVER_STATUS_SIZE],
	    unsigned *pid, int *letter);

#endif
