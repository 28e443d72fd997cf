/*
 * sendmail/sendmail.c — the sendmail command's top level: parse the
 * command line, load main.cf (-C DIR, TEGAMI_CONFIG_DIR or /etc/tegami),
 * then send a message, list the queue (-bp, mailq), flush (-q) or answer
 * for newaliases (-bi).
 *
 * sendmail runs with its caller's privileges and trusts nothing it is
 * given.  Recipients are parsed as address lists (as Postfix does, so
 * `sendmail "Ann <ann@x>"` works) and each must be a valid mailbox; a bare
 * local part is fine (cleanup appends @$myorigin).  Fatal errors print
 * `sendmail: fatal: ...` and return a sysexits code.
 */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "hdr.h"
#include "log.h"
#include "mail_params.h"
#include "map.h"
#include "maildrop.h"
#include "netio.h"
#include "sendmail.h"

struct rcpt_list {
	char  **v;
	int	n;
	const char *bad;	/* first argument that did not parse */
};

static void
rcpt_collect(const char *addr, void *ctx)
{
	struct rcpt_list *l = ctx;
	struct strbuf out;
	const char *why;

	strbuf_init(&out, ADDR_PATH_MAX * 2);
	if (addr_parse_mailbox(addr, strlen(addr), ADDR_F_LOCAL_OK | ADDR_F_UTF8,
	    &out, &why) < 0) {
		if (l->bad == NULL)
			l->bad = xstrdup(addr);
	} else {
		l->v = xreallocarray(l->v, (size_t)l->n + 2, sizeof(char *));
		l->v[l->n++] = strbuf_detach(&out);
		l->v[l->n] = NULL;
	}
	strbuf_release(&out);
}

/* Parse every argument as an address list. -1 with l->bad set. */
static int
parse_rcpts(const struct sm_opts *o, struct rcpt_list *l)
{
	const char *why;
	int i;

	for (i = 0; i < o->nrcpt && l->bad == NULL; i++)
		if (hdr_parse_addrs(o->rcpts[i], strlen(o->rcpts[i]), 0,
		    ADDR_PATH_MAX * 2, rcpt_collect, l, &why) < 0 && l->bad == NULL)
			l->bad = xstrdup(o->rcpts[i]);
	return l->bad ? -1 : 0;
}

/* The full name: -F, else $NAME, else the GECOS field; without control
 * characters, at most MAILDROP_FULL_NAME_MAX bytes. */
static void
full_name_of(const struct sm_opts *o, const struct passwd *pw,
    struct strbuf *out)
{
	const char *src = o->full_name, *cp;
	int gecos = 0;

	if (src == NULL)
		src = getenv("NAME");
	if (src == NULL && pw != NULL && pw->pw_gecos != NULL) {
		src = pw->pw_gecos;
		gecos = 1;
	}
	for (cp = src; cp != NULL && *cp != '\0' && !(gecos && *cp == ','); cp++) {
		if (out->len >= MAILDROP_FULL_NAME_MAX) {
			/* Cut at a character boundary: drop the last UTF-8
			 * sequence, which may be partial. */
			while (out->len > 0 && ((unsigned char)
			    out->data[out->len - 1] & 0xc0) == 0x80)
				strbuf_truncate(out, out->len - 1);
			if (out->len > 0 && (unsigned char)out->data[out->len - 1] >= 0xc0)
				strbuf_truncate(out, out->len - 1);
			break;
		}
		strbuf_append_char(out, (unsigned char)*cp < 0x20 || *cp == 0x7f ?
		    ' ' : *cp);
	}
}

static int fatal(const char *progname, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

static int
fatal(const char *progname, int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: fatal: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

static int
send_mode(const char *progname, struct sm_opts *o)
{
	struct passwd *pw = getpwuid(getuid());
	struct strbuf sender, name;
	struct rcpt_list rl = { NULL, 0, NULL };
	const char *why;
	int rc, i;

	strbuf_init(&sender, ADDR_PATH_MAX * 2);
	strbuf_init(&name, MAILDROP_FULL_NAME_MAX + 8);
	if (o->sender != NULL) {
		sm_strip_brackets(o->sender, &sender);
		if (sender.len > 0 && addr_parse_mailbox(sender.data, sender.len,
		    ADDR_F_LOCAL_OK | ADDR_F_UTF8, &name, &why) < 0) {
			rc = fatal(progname, SM_EX_USAGE,
			    "bad sender address syntax: %s", o->sender);
			goto out;
		}
	} else if (pw != NULL)
		strbuf_set_str(&sender, pw->pw_name);
	else {
		rc = fatal(progname, SM_EX_USAGE, "no login name found for user ID %ld",
		    (long)getuid());
		goto out;
	}
	if (parse_rcpts(o, &rl) < 0) {
		rc = fatal(progname, SM_EX_USAGE,
		    "bad recipient address syntax: %s", rl.bad);
		goto out;
	}
	if (rl.n == 0 && !o->extract) {
		rc = fatal(progname, SM_EX_USAGE, "Recipient addresses must be "
		    "specified on the command line or via the -t option");
		goto out;
	}
	strbuf_reset(&name);
	full_name_of(o, pw, &name);
	o->rcpts = rl.v;
	o->nrcpt = rl.n;
	rc = sm_submit(o, sender.data, name.data, stdin);
out:
	for (i = 0; i < rl.n; i++)
		free(rl.v[i]);
	free(rl.v);
	free((char *)rl.bad);
	strbuf_release(&sender);
	strbuf_release(&name);
	return rc;
}

int
sendmail_main(int argc, char **argv)
{
	struct sm_opts o;
	struct strbuf err;
	enum sm_crlf crlf;
	const char *progname;
	int rc;

	progname = argc > 0 && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 :
	    (argc > 0 ? argv[0] : "sendmail");
	log_init(progname, LOG_DEST_STDERR, NULL);
	strbuf_init(&err, 4096);
	if (sm_parse_args(argc, argv, &o, &err) < 0)
		return fatal(progname, SM_EX_USAGE, "%s", err.data);
	conf_register(sendmail_params);
	if (mail_params_load(o.config_dir, NULL, &err) < 0)
		return fatal(progname, SM_EX_TEMPFAIL, "%s", err.data);
	if (sm_crlf_mode(var_sendmail_fix_line_endings, &crlf) < 0)
		return fatal(progname, SM_EX_CONFIG, "bad sendmail_fix_line_endings "
		    "value: %s (expected always, strict or never)",
		    var_sendmail_fix_line_endings);
	log_set_verbose(o.verbose || var_verbose);
	switch (o.mode) {
	case SM_MODE_NEWALIASES:
		/* newaliases / -bI: build $alias_database (postalias). */
		rc = SM_EX_OK;
		if (map_build_list(var_alias_database, MAP_BUILD_ALIASES,
		    &err) < 0)
			rc = fatal(progname, SM_EX_CONFIG, "%s", err.data);
		break;
	case SM_MODE_MAILQ:
		rc = mailq_run(progname, var_config_dir);
		break;
	case SM_MODE_FLUSH:
		rc = SM_EX_OK;
		if (trigger_send_byte(var_queue_dir, "public", "qmgr", 'F') < 0)
			rc = fatal(progname, SM_EX_UNAVAILABLE, "Cannot flush "
			    "mail queue - mail system is down");
		break;
	default:
		rc = send_mode(progname, &o);
		break;
	}
	strbuf_release(&err);
	return rc;
}
