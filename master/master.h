/*
 * master/master.h — the master's state, shared by its files.
 *
 * master_conf.c   options, main.cf, queue directories, log file
 * master_pid.c    the locked pid file (one master per queue)
 * master_service.c  services from master.cf; reload merges old and new
 * master_listen.c binding and closing listen sockets
 * master_spawn.c  children: spawn decisions, status reports, exits, back-off
 * master_signal.c SIGCHLD, SIGHUP (reload), SIGTERM/SIGINT (stop), detach
 *
 * One master process owns one `struct master_state`; its files share it
 * through the global `master` (a daemon has exactly one).
 */
#ifndef TEGAMI_MASTER_H
#define TEGAMI_MASTER_H

#include <sys/types.h>
#include "mastercf.h"
#include "server.h"
#include "strbuf.h"

struct event;
struct event_base;

/* Settings master uses, copied out of the registry so that a failed reload
 * leaves them intact. */
struct master_config {
	char   *config_dir;		/* absolute */
	char   *queue_dir;
	char   *daemon_dir;
	char   *mail_owner;
	char   *setgid_group;
	char   *inet_interfaces;
	char   *maillog_file;
	long	process_limit;		/* default_process_limit */
	long	throttle_max;		/* service_throttle_time: back-off cap */
};

enum master_child_state {
	MASTER_CHILD_STARTING,		/* forked, has not reported yet */
	MASTER_CHILD_IDLE,
	MASTER_CHILD_BUSY,
};

struct master_service;

struct master_child {
	pid_t	pid;
	struct master_service *svc;
	enum master_child_state state;
	unsigned gen;			/* service generation at spawn */
	long	started_ms;		/* monotonic clock */
	int	reported;		/* sent at least one status */
	int	told_to_stop;		/* SIGTERM sent */
	struct master_child *next;
};

struct master_service {
	char   *key;			/* identity across reloads */
	char   *name;			/* master.cf service field */
	char   *type;			/* inet, unix */
	int	private_;
	int	unpriv;
	int	wakeup;
	int	maxproc;		/* 0 = unlimited */
	char  **argv;			/* command + args, NULL-terminated */
	char   *path;			/* unix socket path, NULL for inet */
	int	listen_fd;
	struct event *listen_ev;
	int	listening;		/* listen_ev is added */
	int	status_fd[2];		/* children write [1], master reads [0] */
	struct event *status_ev;
	unsigned char sbuf[SERVER_STATUS_SIZE];
	size_t	slen;
	unsigned gen;			/* bumped by every reload */
	struct master_child *children;
	int	removed;		/* gone from master.cf; freed when empty */
	long	backoff;		/* seconds of the last throttle, 0 = none */
	int	throttled;
	struct event *throttle_ev;
	struct event *guard_ev;		/* re-evaluate when a start guard ends */
	struct master_service *next;
};

struct master_state {
	struct master_config conf;
	int	foreground;		/* -f */
	int	verbose;		/* -v */
	int	pid_fd;
	struct event_base *base;
	struct master_service *services;
	int	stopping;
	struct event *kill_ev;		/* SIGKILL stragglers on stop */
};

extern struct master_state master;

/* How long a starting child stops further spawns for its service, and how
 * long master waits for children on stop before SIGKILL. */
#define MASTER_START_GUARD_MS	1000
#define MASTER_STOP_WAIT	10

/* ---- master_conf.c ---- */
/* Parse master's own options (-c DIR, -f, -v); fatal on bad usage. */
void	master_args(int argc, char **argv);
/* Load main.cf into conf. 0, or -1 with err (the old conf is untouched). */
int	master_conf_load(struct master_config *conf, struct strbuf *err);
void	master_conf_free(struct master_config *conf);
/* Start (or restart) logging per maillog_file / -f. */
void	master_log_start(void);
/* Create the queue directories, chown them as root, create the log file. */
void	master_queue_init(void);
/* Look up mail_owner; fatal when it does not exist and we are root. */
void	master_owner_ids(uid_t *uid, gid_t *gid);

/* ---- master_pid.c ---- */
/* Open and lock QUEUE_DIR/pid/master.pid. fd, or -1 with err (another
 * master holds it: "already running"). */
int	master_pid_lock(const char *queue_dir, struct strbuf *err);
/* Replace the file's contents with pid. 0 / -1. */
int	master_pid_write(int fd, pid_t pid);
/* Unlink (while still locked) and close. */
void	master_pid_remove(const char *queue_dir, int fd);

/* ---- master_service.c ---- */
/* Make the service list match master.cf entries: new services are bound,
 * removed ones closed, kept ones updated (their old children are retired).
 * Bind failures are fatal when strict (start-up), else warnings (the
 * service is skipped). */
void	master_services_update(const struct mastercf_entry *e, size_t n,
	    int strict);
/* Read master.cf; fatal at start-up (reload: warn and keep). */
int	master_services_read(struct mastercf_entry **e, size_t *n,
	    struct strbuf *err);
/* Hook every service into the event loop (after detach). */
void	master_services_start(void);
/* Free a removed service that has no children left. */
void	master_service_reap(struct master_service *svc);
/* The key of a master.cf entry: "inet:HOST:PORT", "unix:private:NAME". */
char   *master_service_key(const struct mastercf_entry *e);

/* ---- master_listen.c ---- */
/* Bind svc's socket (svc->listen_fd). 0 / -1 with err. */
int	master_listen_open(struct master_service *svc, struct strbuf *err);
/* Stop listening and close; unlink the socket when unlink_path. */
void	master_listen_close(struct master_service *svc, int unlink_path);
/* The host to bind for an inet service given only a port. */
const char *master_listen_default_host(const char *inet_interfaces);

/* ---- master_spawn.c ---- */
struct master_counts {
	int	total;			/* every live child, old generations too */
	int	idle;			/* current generation, idle */
	int	starting;		/* current generation, inside the start guard */
	int	maxproc;		/* 0 = unlimited */
	int	wakeup;			/* wakeup service: keep one running */
	int	throttled;
	int	stopping;
};
enum master_action {
	MASTER_WAIT,			/* neither listen nor spawn */
	MASTER_LISTEN,			/* spawn when a connection arrives */
	MASTER_SPAWN_NOW,		/* start a child at once */
};
/* The spawn decision, a pure function of the counts. */
enum master_action master_decide(const struct master_counts *c);
/* The next back-off delay: 1 s, then doubling, capped at max. */
long	master_backoff_next(long cur, long max);
/* Is this exit a crash (throttle the service)? lived_ms: age at exit. */
int	master_exit_is_crash(int status, int reported, long lived_ms);

long	master_now_ms(void);
/* Apply the decision for svc: add/remove the listen event, spawn. */
void	master_evaluate(struct master_service *svc);
void	master_evaluate_all(void);
/* Events for a service's status pipe (created with the service). */
int	master_status_open(struct master_service *svc);
void	master_status_close(struct master_service *svc);
/* Reap exited children (SIGCHLD). */
void	master_reap_children(void);
/* Send sig to children of svc: all, or only idle/starting ones. */
void	master_signal_children(struct master_service *svc, int sig,
	    int idle_only);
int	master_child_count(void);

/* ---- master_signal.c ---- */
/* Fork into the background unless -f: the parent writes the child's pid
 * into the pid file and exits 0; the child detaches from the terminal. */
void	master_detach(void);
/* Create the event base and the signal events. */
void	master_events_init(void);
/* Re-read main.cf and master.cf (SIGHUP). */
void	master_reload(void);
/* Exit when stopping and the last child is gone. */
void	master_stop_check(void);

#endif
