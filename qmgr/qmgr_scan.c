/*
 * qmgr/qmgr_scan.c — where the queue manager finds work.
 *
 * At start-up every file left in active/ by a previous qmgr goes back to
 * incoming/ (delivery is at-least-once: those messages are resumed).  On
 * every wake-up (a trigger from cleanup, sendmail -q, the -w period) and on
 * a short timer while work remains, incoming/ is scanned; deferred/ is
 * scanned every queue_run_delay, and at once on a flush request ('F').  A
 * deferred file is due when its mtime (the next retry time qmgr set when it
 * deferred the message) is not in the future.  Only names that are valid
 * queue ids are taken (temporary files are not messages).  The active queue
 * holds at most qmgr_message_active_limit messages; the rest waits on disk.
 * Directory trouble is a warning; the next scan tries again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <event2/event.h>

#include "log.h"
#include "mail_params.h"
#include "qmgr.h"
#include "server.h"

#define RESCAN_BUSY_MS	1000	/* while messages are active or left waiting */
#define RESCAN_KICK_MS	100	/* after capacity was freed */
#define FD_RESERVE	256	/* descriptors kept for agents, triggers, logs */

static struct event *scan_ev;		/* the next incoming/ (and maybe deferred/) scan */
static struct event *deferred_ev;	/* every queue_run_delay */
static int incoming_more, deferred_more, deferred_due, flush_due;
static time_t last_deferred_scan;

/* Collect up to `room` names from QUEUE_DIR/SUBDIR that are valid ids
 * (and, in deferred/, due unless flushing). Returns the count. */
static size_t
collect(const char *subdir, int check_due, size_t room, char (*ids)[QFILE_ID_LEN + 1],
    int *more)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);
	size_t n = 0;
	DIR *dir;

	*more = 0;
	snprintf(path, sizeof(path), "%s/%s", var_queue_dir, subdir);
	if ((dir = opendir(path)) == NULL) {
		log_warn_errno("open %s", path);
		return 0;
	}
	while ((de = readdir(dir)) != NULL) {
		if (!qfile_id_valid(de->d_name))
			continue;
		if (check_due) {
			if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			if (st.st_mtime > now)
				continue;
		}
		if (n >= room) {
			*more = 1;
			break;
		}
		memcpy(ids[n], de->d_name, QFILE_ID_LEN + 1);
		n++;
	}
	closedir(dir);
	return n;
}

/* How many more queue files this process may hold open. */
static size_t
fd_room(void)
{
	struct rlimit rl;
	size_t limit, used = qmgr_active_count() + FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return (size_t)-1;
	limit = (size_t)rl.rlim_cur;
	return limit > used ? limit - used : 0;
}

/* Move due files of SUBDIR into active/ and open them. The names are
 * collected first: a message may come back to deferred/ during the loop. */
static void
scan_dir(const char *subdir, int check_due, int *more)
{
	size_t room, n, i;
	char (*ids)[QFILE_ID_LEN + 1];

	if (qmgr_active_count() >= (size_t)var_qmgr_active_limit) {
		*more = 1;
		return;
	}
	room = (size_t)var_qmgr_active_limit - qmgr_active_count();
	if (room > 10000)
		room = 10000;		/* one batch; the rest on the next scan */
	/* Every active message holds its queue file open: never take more
	 * than the descriptor limit allows (a failed open would strand the
	 * file in active/ until the next start). */
	if (room > fd_room()) {
		room = fd_room();
		if (room == 0) {
			*more = 1;
			return;
		}
	}
	ids = xcalloc(room, sizeof(*ids));
	n = collect(subdir, check_due, room, ids, more);
	if (n == room)
		*more = 1;
	for (i = 0; i < n; i++) {
		if (qfile_move(var_queue_dir, subdir, QDIR_ACTIVE, ids[i]) < 0) {
			if (errno != ENOENT)
				log_warn_errno("%s: cannot move from %s/ to %s/", ids[i],
				    subdir, QDIR_ACTIVE);
			continue;
		}
		qmgr_active_open(ids[i]);
	}
	free(ids);
}

static void
arm_scan(long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (scan_ev == NULL)
		return;
	/* Never postpone a scan that is due sooner. */
	if (evtimer_pending(scan_ev, NULL) && ms >= RESCAN_BUSY_MS)
		return;
	evtimer_add(scan_ev, &tv);
}

static void
scan_now(void)
{
	time_t now = time(NULL);

	scan_dir(QDIR_INCOMING, 0, &incoming_more);
	if (flush_due || deferred_due || deferred_more ||
	    now - last_deferred_scan >= var_queue_run_delay) {
		last_deferred_scan = now;
		scan_dir(QDIR_DEFERRED, !flush_due, &deferred_more);
		flush_due = deferred_due = 0;
	}
	if (incoming_more || deferred_more || qmgr_active_count() > 0)
		arm_scan(RESCAN_BUSY_MS);
}

static void
scan_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	scan_now();
}

static void
deferred_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	deferred_due = 1;
	scan_now();
}

void
qmgr_scan_kick(void)
{
	if (incoming_more || deferred_more)
		arm_scan(RESCAN_KICK_MS);
}

/* A flush: make every deferred message due now (its mtime is its next
 * retry time), so that the scans that follow take all of them, batch by
 * batch, and not only the first batch.  A message deferred again later
 * gets a new retry time as usual. */
static void
make_all_due(void)
{
	char path[PATH_MAX];
	struct timespec ts[2];
	struct dirent *de;
	struct stat st;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%s", var_queue_dir, QDIR_DEFERRED);
	if ((dir = opendir(path)) == NULL) {
		log_warn_errno("open %s", path);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[1] = ts[0];
	while ((de = readdir(dir)) != NULL) {
		if (!qfile_id_valid(de->d_name) ||
		    fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    st.st_mtime <= ts[0].tv_sec)
			continue;
		if (utimensat(dirfd(dir), de->d_name, ts, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno != ENOENT)
			log_warn_errno("%s: cannot make it due", de->d_name);
	}
	closedir(dir);
}

void
qmgr_scan_trigger(void)
{
	/* 'F' (sendmail -q, tegami queue flush): every deferred message is due. */
	if (server_trigger_byte() == 'F') {
		make_all_due();
		flush_due = 1;
		/* A flush says the sites are back: retry them now. */
		qmgr_dispatch_revive();
	}
	scan_now();
}

/* A previous qmgr died with these in active/: resume them. */
static void
recover_active(void)
{
	char (*ids)[QFILE_ID_LEN + 1];
	size_t n, i, total = 0;
	int more;

	ids = xcalloc(10000, sizeof(*ids));
	do {
		n = collect(QDIR_ACTIVE, 0, 10000, ids, &more);
		for (i = 0; i < n; i++) {
			if (qfile_move(var_queue_dir, QDIR_ACTIVE, QDIR_INCOMING, ids[i]) < 0)
				log_warn_errno("%s: cannot move from %s/ back to %s/",
				    ids[i], QDIR_ACTIVE, QDIR_INCOMING);
			else
				total++;
		}
	} while (more && total > 0 && n > 0);
	free(ids);
	if (total > 0)
		log_info("resumed %zu message(s) left in %s/", total, QDIR_ACTIVE);
}

void
qmgr_scan_init(void)
{
	struct timeval tv = { var_queue_run_delay, 0 };

	qmgr_transport_init();
	recover_active();
	scan_ev = evtimer_new(server_event_base(), scan_cb, NULL);
	deferred_ev = event_new(server_event_base(), -1, EV_PERSIST, deferred_cb, NULL);
	if (scan_ev == NULL || deferred_ev == NULL)
		log_fatal("cannot create timer events");
	evtimer_add(deferred_ev, &tv);
	/* The first scan takes both queues. */
	deferred_due = 1;
	arm_scan(0);
}
