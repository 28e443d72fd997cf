/*
 * master/master_service.c — the services of master.cf, across reloads.
 *
 * A service is known by its key (type and address or socket path), so a
 * reload that keeps a line keeps its listen socket: clients never see the
 * socket vanish.  Kept services get the new command and limits and a new
 * generation; their old children are told to finish (idle ones at once,
 * busy ones when they report idle).  Removed services stop listening at
 * once and are freed when their last child is gone.
 * Errors: master.cf syntax errors are returned; a service that cannot be
 * bound is fatal at start-up and skipped with a warning on reload (the
 * rest of the mail system keeps running).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>

#include "master.h"
#include "log.h"
#include "mastercf.h"

char *
master_service_key(const struct mastercf_entry *e)
{
	char *key;

	if (asprintf(&key, "%s:%s:%s", e->type,
	    strcmp(e->type, "inet") == 0 ? "" : e->private_ ? "private" :
	    "public", e->service) < 0)
		log_fatal("out of memory");
	return key;
}

int
master_services_read(struct mastercf_entry **e, size_t *n, struct strbuf *err)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/master.cf",
	    master.conf.config_dir) >= (int)sizeof(path)) {
		strbuf_set_printf(err, "config directory name too long");
		return -1;
	}
	return mastercf_read(path, (int)master.conf.process_limit, e, n, err);
}

static char **
argv_copy(char **argv)
{
	char **copy;
	size_t n = 0, i;

	while (argv[n] != NULL)
		n++;
	copy = xcalloc(n + 1, sizeof(*copy));
	for (i = 0; i < n; i++)
		copy[i] = xstrdup(argv[i]);
	return copy;
}

static void
argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* Copy the settings of an entry into svc (new or kept). */
static void
service_set(struct master_service *svc, const struct mastercf_entry *e)
{
	argv_free(svc->argv);
	svc->argv = argv_copy(e->argv);
	svc->unpriv = e->unpriv;
	svc->wakeup = e->wakeup;
	svc->maxproc = e->maxproc;
	if (e->chroot)
		log_debug("%s: chroot is not supported; ignored", e->service);
}

static struct master_service *
service_new(const struct mastercf_entry *e, char *key, int strict)
{
	struct master_service *svc = xcalloc(1, sizeof(*svc));
	struct strbuf err;

	svc->key = key;
	svc->name = xstrdup(e->service);
	svc->type = xstrdup(e->type);
	svc->private_ = e->private_;
	svc->listen_fd = -1;
	svc->status_fd[0] = svc->status_fd[1] = -1;
	service_set(svc, e);
	strbuf_init(&err, 1024);
	if (master_listen_open(svc, &err) < 0 || master_status_open(svc) < 0) {
		/* At start-up the caller is still in the foreground: fail so
		 * `tegami start` says so; on reload, keep the rest running. */
		if (strict)
			log_fatal("%s, line %d: service %s: %s", e->file,
			    e->line, e->service, err.len ? err.data :
			    "pipe failed");
		log_warn("%s, line %d: service %s not started: %s", e->file,
		    e->line, e->service, err.len ? err.data : "pipe failed");
		master_listen_close(svc, 0);
		svc->removed = 1;
		master_service_reap(svc);
		svc = NULL;
	}
	strbuf_release(&err);
	return svc;
}

void
master_service_reap(struct master_service *svc)
{
	struct master_service **pp;

	if (!svc->removed || svc->children != NULL)
		return;
	for (pp = &master.services; *pp != NULL; pp = &(*pp)->next)
		if (*pp == svc) {
			*pp = svc->next;
			break;
		}
	master_listen_close(svc, 0);
	master_status_close(svc);
	if (svc->throttle_ev != NULL)
		event_free(svc->throttle_ev);
	if (svc->guard_ev != NULL)
		event_free(svc->guard_ev);
	argv_free(svc->argv);
	free(svc->path);
	free(svc->key);
	free(svc->name);
	free(svc->type);
	free(svc);
}

static struct master_service *
service_find(const char *key)
{
	struct master_service *svc;

	for (svc = master.services; svc != NULL; svc = svc->next)
		if (!svc->removed && strcmp(svc->key, key) == 0)
			return svc;
	return NULL;
}

void
master_services_update(const struct mastercf_entry *e, size_t n, int strict)
{
	struct master_service *svc, *next, **seen;
	size_t i, nseen = 0;
	char *key;

	seen = xcalloc(n + 1, sizeof(*seen));
	for (i = 0; i < n; i++) {
		key = master_service_key(&e[i]);
		if ((svc = service_find(key)) != NULL) {
			free(key);
			service_set(svc, &e[i]);
			svc->gen++;
			master_signal_children(svc, SIGTERM, 1);
		} else if ((svc = service_new(&e[i], key, strict)) != NULL) {
			svc->next = master.services;
			master.services = svc;
			if (master.base != NULL)
				master_services_start();
		} else
			continue;
		seen[nseen++] = svc;
	}
	for (svc = master.services; svc != NULL; svc = next) {
		next = svc->next;
		for (i = 0; i < nseen && seen[i] != svc; i++)
			;
		if (i < nseen || svc->removed)
			continue;
		log_info("service %s (%s) removed", svc->name, svc->type);
		svc->removed = 1;
		master_listen_close(svc, 1);
		master_signal_children(svc, SIGTERM, 0);
		master_service_reap(svc);
	}
	free(seen);
}
