/*
 * master/master_listen.c — binding the service sockets of master.cf.
 *
 * inet services listen on [host:]port (only a port: the first address of
 * inet_interfaces, "all" = every address); unix services on
 * QUEUE_DIR/private/NAME (mode 0600, owned by mail_owner when master runs
 * as root) or QUEUE_DIR/public/NAME (mode 0666; the public/ directory
 * itself is 0710 group setgid_group, which is the real gate).
 * Listen sockets are non-blocking and close-on-exec in master; a child
 * gets its copy as fd 3 (master_spawn.c).  Errors are returned.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <strings.h>
#include <bsd/string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <event2/event.h>

#include "master.h"
#include "conf.h"
#include "log.h"
#include "netio.h"
#include "qfile.h"

#define MASTER_INET_BACKLOG	512
/* Internal services (cleanup above all) see bursts: every smtpd session
 * connects to cleanup at MAIL FROM, and a full backlog makes a
 * non-blocking connect fail at once with EAGAIN (a 451 to the client).
 * The kernel clamps this to net.core.somaxconn. */
#define MASTER_UNIX_BACKLOG	1024

const char *
master_listen_default_host(const char *inet_interfaces)
{
	static char first[256];
	char **list;
	size_t n;

	list = conf_split_list(inet_interfaces ? inet_interfaces : "", &n);
	if (n == 0 || strcasecmp(list[0], "all") == 0)
		first[0] = '\0';
	else if (strcasecmp(list[0], "loopback-only") == 0 ||
	    strcasecmp(list[0], "localhost") == 0)
		strlcpy(first, "127.0.0.1", sizeof(first));
	else
		strlcpy(first, list[0], sizeof(first));
	if (n > 1)
		log_warn("inet_interfaces: only the first address (%s) is used "
		    "for services without a host", list[0]);
	conf_free_list(list);
	return first;
}

static int
master_listen_inet(struct master_service *svc, struct strbuf *err)
{
	struct strbuf host, port;
	const char *h;
	int fd;

	strbuf_init(&host, 1024);
	strbuf_init(&port, 64);
	if (inet_split_service(svc->name, &host, &port) < 0) {
		strbuf_set_printf(err, "bad inet service %s", svc->name);
		fd = -1;
	} else {
		if (host.len == 0)
			h = master_listen_default_host(master.conf.inet_interfaces);
		else if (strcasecmp(host.data, "all") == 0 ||
		    strcmp(host.data, "*") == 0)
			h = "";
		else
			h = host.data;
		fd = inet_listen(h, port.data, MASTER_INET_BACKLOG, err);
	}
	strbuf_release(&host);
	strbuf_release(&port);
	return fd;
}

static int
master_listen_unix(struct master_service *svc, struct strbuf *err)
{
	char path[PATH_MAX];
	uid_t uid;
	gid_t gid;
	int fd;

	if (strchr(svc->name, '/') != NULL || service_path(path, sizeof(path),
	    master.conf.queue_dir, svc->private_ ? QDIR_PRIVATE : QDIR_PUBLIC,
	    svc->name) < 0) {
		strbuf_set_printf(err, "bad unix service name %s", svc->name);
		return -1;
	}
	fd = unix_listen(path, MASTER_UNIX_BACKLOG, svc->private_ ? 0600 : 0666,
	    err);
	if (fd < 0)
		return -1;
	if (svc->private_ && geteuid() == 0) {
		master_owner_ids(&uid, &gid);
		if (chown(path, uid, gid) < 0) {
			strbuf_set_printf(err, "chown %s: %s", path,
			    strerror(errno));
			close(fd);
			unlink(path);
			return -1;
		}
	}
	svc->path = xstrdup(path);
	return fd;
}

int
master_listen_open(struct master_service *svc, struct strbuf *err)
{
	int fd;

	if (strcmp(svc->type, "inet") == 0)
		fd = master_listen_inet(svc, err);
	else if (strcmp(svc->type, "unix") == 0)
		fd = master_listen_unix(svc, err);
	else {
		strbuf_set_printf(err, "service type %s is not supported",
		    svc->type);
		return -1;
	}
	if (fd < 0)
		return -1;
	fd_set_nonblock(fd, 1);
	fd_set_cloexec(fd, 1);
	svc->listen_fd = fd;
	return 0;
}

void
master_listen_close(struct master_service *svc, int unlink_path)
{
	if (svc->listen_ev != NULL) {
		event_free(svc->listen_ev);
		svc->listen_ev = NULL;
		svc->listening = 0;
	}
	if (svc->listen_fd >= 0) {
		close(svc->listen_fd);
		svc->listen_fd = -1;
	}
	if (unlink_path && svc->path != NULL)
		(void)unlink(svc->path);
}
