/*
 * ctl/ctl_conf.c — `tegami conf`, after postconf(1).
 *
 *   conf              every known parameter, `name = value`, sorted
 *   conf -n           only those set in main.cf (unknown names included)
 *   conf -d           the defaults
 *   conf name ...     the named ones (unknown: a warning, as postconf)
 *   conf -e n=v ...   edit main.cf in place
 * Values are printed raw (unexpanded), as postconf does without -x.
 * main.cf is only read here, never bound, so a bad value does not stop
 * anyone from looking at it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "strbuf.h"

enum conf_mode { CONF_ALL, CONF_SET, CONF_DEFAULTS };

/* Set in main.cf, not by an override (config_directory is one). */
static int
conf_in_file(const char *name)
{
	const char *file;
	int line;

	return conf_origin(name, &file, &line) == 0 && line > 0;
}

static const char *
conf_shown(const char *name, enum conf_mode mode)
{
	const struct conf_param *p = conf_lookup_param(name);
	const char *raw = conf_raw(name);

	if (mode == CONF_DEFAULTS)
		return p != NULL ? conf_default_text(p) : NULL;
	if (raw != NULL)
		return raw;
	return p != NULL ? conf_default_text(p) : NULL;
}

static void
conf_print(const char *name, const char *value)
{
	printf("%s =%s%s\n", name, *value ? " " : "", value);
}

struct conf_walk {
	enum conf_mode mode;
	char  **names;
	size_t	n;
};

static void
conf_visit(const struct conf_param *p, const char *raw, void *ctx)
{
	struct conf_walk *w = ctx;

	(void)raw;
	if (w->mode == CONF_SET && !conf_in_file(p->name))
		return;
	w->names = xreallocarray(w->names, w->n + 1, sizeof(char *));
	w->names[w->n++] = (char *)p->name;
}

static void
conf_visit_unknown(const char *name, const char *file, int line, void *ctx)
{
	struct conf_walk *w = ctx;

	(void)file; (void)line;
	w->names = xreallocarray(w->names, w->n + 1, sizeof(char *));
	w->names[w->n++] = (char *)name;
}

static int
conf_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
conf_list(enum conf_mode mode)
{
	struct conf_walk w = { mode, NULL, 0 };
	size_t i;

	conf_foreach_param(conf_visit, &w);
	if (mode == CONF_SET)
		conf_foreach_unknown(conf_visit_unknown, &w);
	if (w.n > 0)
		qsort(w.names, w.n, sizeof(char *), conf_name_cmp);
	for (i = 0; i < w.n; i++)
		conf_print(w.names[i], conf_shown(w.names[i], mode));
	free(w.names);
	return 0;
}

static int
conf_edit(int argc, char **argv, const char *path)
{
	struct strbuf err;
	char *name, *eq;
	int i, r = 0;

	strbuf_init(&err, 4096);
	for (i = 0; i < argc && r == 0; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL || eq == argv[i]) {
			ctl_error("-e: expected name=value: %s", argv[i]);
			r = 1;
			break;
		}
		name = xstrndup(argv[i], (size_t)(eq - argv[i]));
		/* Trim "name = value" typed with blanks around '='. */
		name[strcspn(name, " \t")] = '\0';
		eq++;
		eq += strspn(eq, " \t");
		if (conf_lookup_param(name) == NULL)
			ctl_warn("unknown parameter: %s", name);
		if (conf_edit_file(path, name, eq, &err) < 0) {
			ctl_error("%s", err.data);
			r = 1;
		}
		free(name);
	}
	strbuf_release(&err);
	return r;
}

int
ctl_cmd_conf(int argc, char **argv)
{
	enum conf_mode mode = CONF_ALL;
	struct strbuf err;
	char path[4096];
	const char *v;
	int c, edit = 0, i;

	optind = 1;
	while ((c = getopt(argc, argv, "nde")) != -1) {
		switch (c) {
		case 'n':
			mode = CONF_SET;
			break;
		case 'd':
			mode = CONF_DEFAULTS;
			break;
		case 'e':
			edit = 1;
			break;
		default:
			ctl_error("usage: tegami conf [-n | -d] [name ...] | "
			    "conf -e name=value ...");
			return 1;
		}
	}
	snprintf(path, sizeof(path), "%s/main.cf", ctl_config_dir);
	conf_reset();
	ctl_params_register(1);
	strbuf_init(&err, 4096);
	if (conf_read_file(path, &err) < 0) {
		ctl_error("%s", err.data);
		strbuf_release(&err);
		return 1;
	}
	strbuf_release(&err);
	if (edit)
		return conf_edit(argc - optind, argv + optind, path);
	if (optind == argc)
		return conf_list(mode);
	for (i = optind; i < argc; i++) {
		v = conf_shown(argv[i], mode);
		if (v == NULL || (mode == CONF_SET && !conf_in_file(argv[i])))
			ctl_warn("%s: unknown parameter", argv[i]);
		else
			conf_print(argv[i], v);
	}
	return 0;
}
