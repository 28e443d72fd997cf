/*
 * lib/map_unix.c — unix:passwd.byname and unix:group.byname: the system
 * user and group databases.  The value is the passwd (group) line as
 * Postfix's dict_unix gives it: `name:passwd:uid:gid:gecos:dir:shell`.
 * A lookup error other than "no such entry" answers MAP_RETRY.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "map_int.h"

static enum map_result
unix_passwd_lookup(struct map *m, const char *key, struct strbuf *value,
    struct strbuf *why)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(key)) == NULL) {
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM)
			return MAP_NOTFOUND;
		strbuf_set_printf(why, "%s: getpwnam(%s): %s", m->spec, key,
		    strerror(errno));
		return MAP_RETRY;
	}
	strbuf_set_printf(value, "%s:%s:%ld:%ld:%s:%s:%s", pw->pw_name,
	    pw->pw_passwd, (long)pw->pw_uid, (long)pw->pw_gid, pw->pw_gecos,
	    pw->pw_dir, pw->pw_shell);
	return MAP_FOUND;
}

static enum map_result
unix_group_lookup(struct map *m, const char *key, struct strbuf *value,
    struct strbuf *why)
{
	struct group *gr;
	char **mem;

	errno = 0;
	if ((gr = getgrnam(key)) == NULL) {
		if (errno == 0 || errno == ENOENT || errno == ESRCH ||
		    errno == EBADF || errno == EPERM)
			return MAP_NOTFOUND;
		strbuf_set_printf(why, "%s: getgrnam(%s): %s", m->spec, key,
		    strerror(errno));
		return MAP_RETRY;
	}
	strbuf_set_printf(value, "%s:%s:%ld:", gr->gr_name, gr->gr_passwd,
	    (long)gr->gr_gid);
	for (mem = gr->gr_mem; *mem; mem++)
		strbuf_printf(value, "%s%s", mem == gr->gr_mem ? "" : ",", *mem);
	return MAP_FOUND;
}

int
map_unix_open(struct map *m, struct strbuf *err)
{
	if (strcmp(m->name, "passwd.byname") == 0)
		m->lookup = unix_passwd_lookup;
	else if (strcmp(m->name, "group.byname") == 0)
		m->lookup = unix_group_lookup;
	else {
		strbuf_set_printf(err, "%s: unknown table (expected "
		    "unix:passwd.byname or unix:group.byname)", m->spec);
		return -1;
	}
	return 0;
}
