/*
 * ctl/ctl_map.c — `tegami map` (postmap(1)) and `tegami alias`
 * (postalias(1), newaliases): build NAME.db / NAME.lmdb from a source
 * file, query (-q KEY, or -q - for keys on standard input), delete (-d)
 * and dump (-s) tables, and convert one table into another (-C SRC DST,
 * e.g. hash: to lmdb:).  Exit status as postmap: 0 found / done, 1 not
 * found, 2 usage or a table that cannot be read or built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "mail_params.h"
#include "map.h"
#include "map_convert.h"
#include "map_int.h"

struct map_opts {
	const char *query;	/* -q */
	const char *del;	/* -d */
	int	dump;		/* -s */
	int	aliases;	/* -a (postalias) */
	int	fold;		/* !-f */
	int	convert;	/* -C SRC DST */
};

/* "hash:x" stays, a bare "x" becomes "hash:x" (default_database_type). */
static char *
map_spec_of(const char *arg)
{
	char *s;

	if (strchr(arg, ':') != NULL && arg[0] != '/')
		return xstrdup(arg);
	s = xmalloc(strlen(arg) + 6);
	strcpy(s, "hash:");
	strcat(s, arg);
	return s;
}

/* Look key up in each table in turn: 0 found (printed), 1 not, 2 retry. */
static int
map_query_one(struct map **maps, int n, const char *key, int batch,
    int aliases, struct strbuf *value, struct strbuf *why)
{
	int i;

	for (i = 0; i < n; i++) {
		switch (map_lookup(maps[i], key, value, why)) {
		case MAP_FOUND:
			if (batch)
				printf("%s%s\t%s\n", key, aliases ? ":" : "",
				    value->data);
			else
				printf("%s\n", value->data);
			return 0;
		case MAP_RETRY:
			ctl_error("%s", why->data);
			return 2;
		case MAP_NOTFOUND:
			break;
		}
	}
	return 1;
}

static int
map_query(struct map_opts *o, int argc, char **argv)
{
	struct strbuf value, why, err;
	struct map **maps;
	char line[65536];
	int i, n = 0, rc = 1, r;
	char *spec;

	strbuf_init(&value, STRBUF_NOLIMIT);
	strbuf_init(&why, 4096);
	strbuf_init(&err, 4096);
	maps = xcalloc((size_t)argc, sizeof(*maps));
	for (i = 0; i < argc; i++) {
		spec = map_spec_of(argv[i]);
		maps[n] = map_open(spec, o->fold ? MAP_F_FOLD_KEY : 0, &err);
		free(spec);
		if (maps[n] == NULL) {
			ctl_error("%s", err.data);
			rc = 2;
			goto out;
		}
		n++;
	}
	if (strcmp(o->query, "-") != 0) {
		rc = map_query_one(maps, n, o->query, 0, o->aliases, &value,
		    &why);
		goto out;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		r = map_query_one(maps, n, line, 1, o->aliases, &value, &why);
		if (r == 2) {
			rc = 2;
			break;
		}
		if (r == 0)
			rc = 0;
	}
out:
	fflush(stdout);
	for (i = 0; i < n; i++)
		map_close(maps[i]);
	free(maps);
	strbuf_release(&value);
	strbuf_release(&why);
	strbuf_release(&err);
	return rc;
}

static int
map_delete_key(const char *spec, const char *key, struct strbuf *err)
{
	const char *name = strchr(spec, ':') + 1;
	char *k = xstrdup(key);
	int r;

	map_fold(k);
	if (strncmp(spec, "lmdb:", 5) == 0)
		r = map_lmdb_delete(name, k, err);
	else if (strncmp(spec, "hash:", 5) == 0)
		r = map_db_delete("hash", name, k, err);
	else if (strncmp(spec, "btree:", 6) == 0)
		r = map_db_delete("btree", name, k, err);
	else {
		strbuf_set_printf(err, "%s: cannot delete from this table type",
		    spec);
		r = -1;
	}
	free(k);
	return r;
}

static void
map_print_entry(const char *key, const char *value, void *ctx)
{
	printf("%s\t%s\n", key, value);
}

/* -d, -s or build, for one table. 0 done, 1 -d found nothing, 2 error. */
static int
map_one(struct map_opts *o, const char *spec, struct strbuf *err)
{
	struct map *m;
	int r;

	if (o->del != NULL) {
		if ((r = map_delete_key(spec, o->del, err)) < 0) {
			ctl_error("%s", err->data);
			return 2;
		}
		return r ? 0 : 1;
	}
	if (o->dump) {
		if ((m = map_open(spec, 0, err)) == NULL) {
			ctl_error("%s", err->data);
			return 2;
		}
		r = 0;
		if (m->broken != NULL) {
			ctl_error("%s", m->broken);
			r = 2;
		} else if (m->dump == NULL) {
			ctl_error("%s: this table type cannot be listed", spec);
			r = 2;
		} else if (m->dump(m, map_print_entry, NULL, err) < 0) {
			ctl_error("%s", err->data);
			r = 2;
		}
		map_close(m);
		return r;
	}
	if (map_build(spec, o->aliases ? MAP_BUILD_ALIASES : 0, err) < 0) {
		ctl_error("%s", err->data);
		return 2;
	}
	return 0;
}

/* -C SRC DST: copy every entry of SRC into a new DST table. 0 / 2. */
static int
map_convert_cmd(int argc, char **argv)
{
	struct strbuf err;
	char *src, *dst;
	size_t n = 0;
	int rc = 0;

	if (argc != 2) {
		ctl_error("-C needs two tables: -C type:source type:result "
		    "(e.g. -C hash:/etc/aliases lmdb:/etc/aliases)");
		return 2;
	}
	strbuf_init(&err, 4096);
	src = map_spec_of(argv[0]);
	dst = map_spec_of(argv[1]);
	if (map_convert(src, dst, &n, &err) < 0) {
		ctl_error("%s", err.data);
		rc = 2;
	} else
		log_debug("%s: %zu entries copied from %s", dst, n, src);
	free(src);
	free(dst);
	strbuf_release(&err);
	return rc;
}

/* Shared by map and alias: options, then the tables. */
static int
map_main(int argc, char **argv, int aliases)
{
	struct map_opts o = { NULL, NULL, 0, aliases, 1, 0 };
	struct strbuf err;
	int c, i, rc = 0, r, any_found = 0;
	char *spec;

	optind = 1;
	while ((c = getopt(argc, argv, "CNabc:d:fhimno:pq:rsuUvw")) != -1) {
		switch (c) {
		case 'a': o.aliases = 1; break;
		case 'C': o.convert = 1; break;
		case 'c': ctl_config_dir = optarg; break;
		case 'd': o.del = optarg; break;
		case 'f': o.fold = 0; break;
		case 'q': o.query = optarg; break;
		case 's': o.dump = 1; break;
		case 'v': log_set_verbose(1); break;
		case 'N': case 'b': case 'h': case 'i': case 'm': case 'n':
		case 'o': case 'p': case 'r': case 'u': case 'U': case 'w':
			break;		/* postmap options with no effect here */
		default:
			return -1;
		}
	}
	if ((o.query != NULL) + (o.del != NULL) + o.dump + o.convert > 1) {
		ctl_error("-q, -d, -s and -C cannot be combined");
		return 2;
	}
	if (o.convert)
		return map_convert_cmd(argc - optind, argv + optind);
	if (o.query != NULL)
		return map_query(&o, argc - optind, argv + optind);
	strbuf_init(&err, 4096);
	for (i = optind; i < argc; i++) {
		spec = map_spec_of(argv[i]);
		r = map_one(&o, spec, &err);
		free(spec);
		if (r == 0)
			any_found = 1;
		else if (r == 2)
			rc = 2;
	}
	strbuf_release(&err);
	if (rc == 0 && o.del != NULL && !any_found)
		rc = 1;
	return rc;
}

int
ctl_cmd_map(int argc, char **argv)
{
	int rc = map_main(argc, argv, 0);

	if (rc < 0 || optind >= argc) {
		ctl_error("usage: tegami map [-afsv] [-q KEY | -q - | -d KEY] "
		    "type:file ...\n       tegami map -C type:source type:result");
		return 2;
	}
	return rc;
}

int
ctl_cmd_alias(int argc, char **argv)
{
	struct strbuf err;
	int rc;

	rc = map_main(argc, argv, 1);
	if (rc < 0) {
		ctl_error("usage: tegami alias [-q KEY | -d KEY | -s] "
		    "[type:file ...]");
		return 2;
	}
	if (optind < argc)
		return rc;
	/* No tables named: build $alias_database, as newaliases. */
	strbuf_init(&err, 4096);
	if (ctl_load_config(0, &err) < 0) {
		ctl_error("%s", err.data);
		strbuf_release(&err);
		return 2;
	}
	rc = map_build_list(var_alias_database, MAP_BUILD_ALIASES, &err) < 0 ?
	    2 : 0;
	if (rc)
		ctl_error("%s", err.data);
	strbuf_release(&err);
	return rc;
}
