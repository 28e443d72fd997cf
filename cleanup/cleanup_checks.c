/*
 * cleanup/cleanup_checks.c — header_checks, mime_header_checks and
 * body_checks (Postfix's header_checks(5)): every logical header (with
 * its folding newlines, without the final one) and every body line is
 * looked up in the configured tables, and the result is an action:
 * REJECT, DISCARD, HOLD, WARN, INFO, IGNORE, REPLACE, PREPEND, FILTER,
 * REDIRECT, DUNNO/OK.  Each action is logged as Postfix does ("ID: reject:
 * header ... from client; from=<> to=<> proto= helo=<>: text").
 *
 * A table that cannot be consulted (MAP_RETRY, or a list that does not
 * open) refuses the message temporarily (451 4.3.0): never accepted
 * unchecked.  REJECT and DISCARD stop all further checks.  DISCARD answers
 * success with a made-up queue id (the 17-hex-digit shape smtpd expects)
 * and queues nothing; HOLD commits into incoming/ then moves the file into
 * hold/; FILTER is stored as the `filter` queue-file attribute; REDIRECT
 * adds the address as a recipient and marks every other recipient done
 * right after the commit.  MIME part headers are not parsed: Content-* and
 * MIME-Version fields of the message header go to mime_header_checks,
 * nested_header_checks is opened but not used yet.  Body lines are split
 * at CHECK_LINE_MAX bytes, as Postfix's line_length_limit.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "ipc_names.h"
#include "log.h"
#include "map.h"
#include "mail_params.h"

#define CHECK_LINE_MAX	2048	/* body line split, as line_length_limit */
#define CHECK_VALUE_MAX	4096	/* longest table result */
#define CHECK_LOG_MAX	200	/* header/body text shown in logs */

struct checks_table {
	const char *param;	/* "header_checks" */
	char  **var;
	struct maplist *list;	/* NULL: not configured, or broken */
	char   *broken;		/* why the list could not be opened */
};

static struct checks_table tables[] = {
	{ "header_checks", &var_header_checks, NULL, NULL },
	{ "mime_header_checks", &var_mime_header_checks, NULL, NULL },
	{ "nested_header_checks", &var_nested_header_checks, NULL, NULL },
	{ "body_checks", &var_body_checks, NULL, NULL },
};
enum { T_HEADER, T_MIME, T_NESTED, T_BODY };

struct cleanup_checks {
	char   *client;		/* "name[addr]" */
	char   *helo;
	char   *proto;
	char   *rcpt;		/* first recipient, for the log */
	int	stop;		/* REJECT or DISCARD seen: no more checks */
	int	status;		/* reply status when errs has CONTENT */
	char   *reason;		/* "5.7.1 text" */
	int	discard;
	int	hold;
	char   *redirect;
	char   *filter;		/* FILTER transport:nexthop, written at the end */
	struct strbuf line;	/* body line being assembled */
	struct strbuf value;
	struct strbuf why;
	void	(*write)(struct cleanup_state *, const char *, size_t);
};

static const struct {
	const char *name;
	enum cleanup_act act;
	int	need_text;
} act_names[] = {
	{ "REJECT", CACT_REJECT, 0 },
	{ "DISCARD", CACT_DISCARD, 0 },
	{ "HOLD", CACT_HOLD, 0 },
	{ "WARN", CACT_WARN, 0 },
	{ "INFO", CACT_INFO, 0 },
	{ "IGNORE", CACT_IGNORE, 0 },
	{ "REPLACE", CACT_REPLACE, 1 },
	{ "PREPEND", CACT_PREPEND, 1 },
	{ "FILTER", CACT_FILTER, 1 },
	{ "REDIRECT", CACT_REDIRECT, 1 },
	{ "DUNNO", CACT_DUNNO, 0 },
	{ "OK", CACT_DUNNO, 0 },
};

/* ---- pure helpers ---- */

enum cleanup_act
cleanup_act_parse(const char *value, const char **text)
{
	size_t i, n;

	while (isspace((unsigned char)*value))
		value++;
	for (n = 0; value[n] && !isspace((unsigned char)value[n]); n++)
		;
	*text = value + n;
	while (isspace((unsigned char)**text))
		(*text)++;
	for (i = 0; i < sizeof(act_names) / sizeof(act_names[0]); i++) {
		if (strlen(act_names[i].name) != n ||
		    strncasecmp(value, act_names[i].name, n) != 0)
			continue;
		if (act_names[i].need_text && **text == '\0')
			return CACT_BAD;
		if (act_names[i].act == CACT_FILTER && strchr(*text, ':') == NULL)
			return CACT_BAD;
		if (act_names[i].act == CACT_REDIRECT && strchr(*text, '@') == NULL)
			return CACT_BAD;
		return act_names[i].act;
	}
	return CACT_BAD;
}

int
cleanup_reject_reply(const char *text, int *status, struct strbuf *reason)
{
	const char *p = text;

	/* "REJECT 4.7.1 text" defers, "REJECT 5.x.y text" or plain text
	 * rejects: the enhanced status code decides the class. */
	while (isspace((unsigned char)*p))
		p++;
	if ((p[0] == '4' || p[0] == '5') && p[1] == '.' &&
	    isdigit((unsigned char)p[2]) && strspn(p + 2, "0123456789.") >= 3 &&
	    (p[2 + strspn(p + 2, "0123456789.")] == ' ' ||
	    p[2 + strspn(p + 2, "0123456789.")] == '\0')) {
		*status = p[0] == '4' ? 450 : 550;
		return strbuf_set_str(reason, p);
	}
	*status = 550;
	return strbuf_set_printf(reason, "5.7.1 %s", *p ? p :
	    "message content rejected");
}

int
cleanup_checks_logline(struct strbuf *out, const char *id, const char *action,
    const char *where, const char *line, size_t len, const char *client,
    const char *sender, const char *rcpt, const char *proto, const char *helo,
    const char *text)
{
	size_t i;

	strbuf_reset(out);
	if (strbuf_printf(out, "%s: %s: %s ", id, action, where) < 0)
		return -1;
	/* The folding newlines (and any control character) become spaces. */
	for (i = 0; i < len && i < CHECK_LOG_MAX; i++)
		if (strbuf_append_char(out, (unsigned char)line[i] < 0x20 ||
		    line[i] == 0x7f ? ' ' : line[i]) < 0)
			return -1;
	return strbuf_printf(out, " from %s; from=<%s> to=<%s> proto=%s "
	    "helo=<%s>%s%s", client ? client : "local", sender ? sender : "",
	    rcpt ? rcpt : "", proto ? proto : "local", helo ? helo : "",
	    text && *text ? ": " : "", text ? text : "");
}

/* ---- start-up ---- */

void
cleanup_checks_init(void)
{
	struct strbuf err;
	size_t i;

	strbuf_init(&err, 1024);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		const char *v = *tables[i].var;

		maplist_close(tables[i].list);
		tables[i].list = NULL;
		free(tables[i].broken);
		tables[i].broken = NULL;
		if (v == NULL || v[strspn(v, " \t,")] == '\0')
			continue;
		strbuf_reset(&err);
		tables[i].list = maplist_open(v, 0, &err);
		if (tables[i].list == NULL) {
			/* Every message is deferred until this is fixed. */
			log_warn("%s = %s: %s", tables[i].param, v, err.data);
			tables[i].broken = xstrdup(err.data);
		}
	}
	strbuf_release(&err);
}

/* ---- per message ---- */

static struct cleanup_checks *
chk_get(struct cleanup_state *st)
{
	if (st->chk == NULL) {
		st->chk = xcalloc(1, sizeof(*st->chk));
		strbuf_init(&st->chk->line, CHECK_LINE_MAX);
		strbuf_init(&st->chk->value, CHECK_VALUE_MAX);
		strbuf_init(&st->chk->why, 1024);
	}
	return st->chk;
}

void
cleanup_checks_begin(struct cleanup_state *st, const struct ipc_msg *m)
{
	struct cleanup_checks *c = chk_get(st);
	const char *name = ipc_get_str(m, IPC_ATTR_CLIENT_NAME);
	const char *addr = ipc_get_str(m, IPC_ATTR_CLIENT_ADDR);
	const char *v;
	char buf[600];

	if (addr != NULL) {
		snprintf(buf, sizeof(buf), "%.255s[%.255s]", name ? name :
		    "unknown", addr);
		c->client = xstrdup(buf);
	}
	if ((v = ipc_get_str(m, IPC_ATTR_HELO)) != NULL)
		c->helo = xstrndup(v, 255);
	if ((v = ipc_get_str(m, IPC_ATTR_PROTOCOL)) != NULL)
		c->proto = xstrndup(v, 32);
}

void
cleanup_checks_rcpt(struct cleanup_state *st, const char *addr)
{
	struct cleanup_checks *c = chk_get(st);

	if (c->rcpt == NULL)
		c->rcpt = xstrndup(addr, 255);
}

void
cleanup_checks_free(struct cleanup_state *st)
{
	struct cleanup_checks *c = st->chk;

	if (c == NULL)
		return;
	free(c->client);
	free(c->helo);
	free(c->proto);
	free(c->rcpt);
	free(c->reason);
	free(c->redirect);
	free(c->filter);
	strbuf_release(&c->line);
	strbuf_release(&c->value);
	strbuf_release(&c->why);
	free(c);
	st->chk = NULL;
}

static void
log_action(struct cleanup_state *st, const char *action, const char *where,
    const char *line, size_t len, const char *text)
{
	struct cleanup_checks *c = st->chk;
	struct strbuf out;

	strbuf_init(&out, 2048);
	(void)cleanup_checks_logline(&out, st->log_id, action, where, line, len,
	    c->client, st->sender, c->rcpt, c->proto, c->helo, text);
	log_info("%s", out.data);
	strbuf_release(&out);
}

static void
refuse(struct cleanup_state *st, int status, const char *reason)
{
	struct cleanup_checks *c = st->chk;

	if (c->reason == NULL) {
		c->status = status;
		c->reason = xstrdup(reason);
	}
	c->stop = 1;
	st->errs |= CLEANUP_ERR_CONTENT;
}

/*
 * Look one line up and act. `line`/`len` is the text; `put` writes a line
 * (without its LF) of the output. Returns 1 when the original line must
 * not be written (IGNORE, REPLACE), else 0.
 */
static int
check_line(struct cleanup_state *st, int tab, const char *where,
    const char *line, size_t len,
    void (*put)(struct cleanup_state *, const char *, size_t))
{
	struct cleanup_checks *c = chk_get(st);
	struct strbuf reason;
	enum map_result r;
	enum cleanup_act act;
	const char *text;
	char *key;
	int status, drop = 0;

	if (c->stop)
		return 0;
	if (tables[tab].broken != NULL) {
		log_warn("%s: %s: %s unavailable: %s", st->log_id, where,
		    tables[tab].param, tables[tab].broken);
		refuse(st, 451, "4.3.0 Error: content check table unavailable");
		return 0;
	}
	if (tables[tab].list == NULL)
		return 0;
	key = xstrndup(line, len);
	r = maplist_lookup(tables[tab].list, key, &c->value, &c->why);
	free(key);
	if (r == MAP_RETRY) {
		log_warn("%s: %s lookup failed: %s", st->log_id,
		    tables[tab].param, c->why.data);
		refuse(st, 451, "4.3.0 Error: content check table unavailable");
		return 0;
	}
	if (r != MAP_FOUND)
		return 0;
	act = cleanup_act_parse(c->value.data, &text);
	switch (act) {
	case CACT_BAD:
		log_warn("%s: %s: unknown or incomplete action \"%.100s\": ignored",
		    st->log_id, tables[tab].param, c->value.data);
		break;
	case CACT_DUNNO:
		break;
	case CACT_REJECT:
		strbuf_init(&reason, 1024);
		(void)cleanup_reject_reply(text, &status, &reason);
		log_action(st, "reject", where, line, len, reason.data);
		refuse(st, status, reason.data);
		strbuf_release(&reason);
		break;
	case CACT_DISCARD:
		log_action(st, "discard", where, line, len, text);
		c->discard = 1;
		c->stop = 1;
		break;
	case CACT_HOLD:
		log_action(st, "hold", where, line, len, text);
		c->hold = 1;
		break;
	case CACT_WARN:
		log_action(st, "warning", where, line, len, text);
		break;
	case CACT_INFO:
		log_action(st, "info", where, line, len, text);
		break;
	case CACT_IGNORE:
		drop = 1;
		break;
	case CACT_REPLACE:
		log_action(st, "replace", where, line, len, text);
		put(st, text, strlen(text));
		drop = 1;
		break;
	case CACT_PREPEND:
		log_action(st, "prepend", where, line, len, text);
		put(st, text, strlen(text));
		break;
	case CACT_FILTER:
		log_action(st, "filter", where, line, len, text);
		/* Recorded at the end: an envelope record now would split the
		 * content, which must stay contiguous.  The last FILTER wins. */
		free(c->filter);
		c->filter = xstrdup(text);
		break;
	case CACT_REDIRECT:
		log_action(st, "redirect", where, line, len, text);
		free(c->redirect);
		c->redirect = xstrdup(text);
		break;
	}
	return drop;
}

static int
is_mime_header(const char *line, size_t len)
{
	return (len >= 8 && strncasecmp(line, "Content-", 8) == 0) ||
	    (len >= 13 && strncasecmp(line, "MIME-Version:", 13) == 0) ||
	    (len >= 13 && strncasecmp(line, "MIME-Version ", 13) == 0);
}

int
cleanup_checks_header(struct cleanup_state *st, const char *line, size_t len,
    void (*put)(struct cleanup_state *, const char *, size_t))
{
	while (len > 0 && line[len - 1] == '\n')
		len--;
	return check_line(st, is_mime_header(line, len) ? T_MIME : T_HEADER,
	    "header", line, len, put);
}

/* A replacement or prepended body line: the text, then LF. */
static void
put_body_line(struct cleanup_state *st, const char *text, size_t len)
{
	st->chk->write(st, text, len);
	st->chk->write(st, "\n", 1);
}

/* The line in chk->line is complete (nl: it ends in LF): check, write. */
static void
body_line(struct cleanup_state *st, int nl,
    void (*out)(struct cleanup_state *, const char *, size_t))
{
	struct cleanup_checks *c = st->chk;
	struct strbuf *l = &c->line;

	c->write = out;
	if (!check_line(st, T_BODY, "body", l->data, nl ? l->len - 1 : l->len,
	    put_body_line))
		out(st, l->data, l->len);
	strbuf_reset(l);
}

int
cleanup_checks_body_active(void)
{
	return tables[T_BODY].list != NULL || tables[T_BODY].broken != NULL;
}

void
cleanup_checks_body(struct cleanup_state *st, const char *p, size_t n,
    void (*out)(struct cleanup_state *, const char *, size_t))
{
	struct cleanup_checks *c;
	const char *nl;
	size_t take;

	if (!cleanup_checks_body_active()) {
		out(st, p, n);
		return;
	}
	c = chk_get(st);
	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) + 1 : n;
		if (take > c->line.max - c->line.len)
			take = c->line.max - c->line.len;
		(void)strbuf_append(&c->line, p, take);
		p += take;
		n -= take;
		if (c->line.data[c->line.len - 1] == '\n')
			body_line(st, 1, out);
		else if (c->line.len == c->line.max)
			body_line(st, 0, out);
	}
}

void
cleanup_checks_body_end(struct cleanup_state *st,
    void (*out)(struct cleanup_state *, const char *, size_t))
{
	if (st->chk != NULL && st->chk->line.len > 0)
		body_line(st, 0, out);
}

/* ---- the end of the message ---- */

int
cleanup_checks_reject(struct cleanup_state *st, struct strbuf *reason)
{
	if (st->chk == NULL || st->chk->reason == NULL)
		return 0;
	strbuf_set_str(reason, st->chk->reason);
	return st->chk->status;
}

int
cleanup_checks_discard(struct cleanup_state *st, char id[QFILE_ID_LEN + 1])
{
	static unsigned counter;
	struct timespec ts;
	unsigned long long v;
	size_t i;

	if (st->chk == NULL || !st->chk->discard)
		return 0;
	/* Nothing is queued; the client still gets an id of the usual shape
	 * so the log lines of both sides can be matched. */
	clock_gettime(CLOCK_REALTIME, &ts);
	v = ((unsigned long long)ts.tv_sec << 20) ^ (unsigned long long)ts.tv_nsec ^
	    ((unsigned long long)getpid() << 40) ^ ++counter;
	for (i = 0; i < QFILE_ID_LEN; i++) {
		id[i] = "0123456789ABCDEF"[v & 0xf];
		v = (v >> 4) | ((v & 0xf) << 60);
		if (i == 15)
			v ^= (unsigned long long)ts.tv_nsec;
	}
	id[QFILE_ID_LEN] = '\0';
	log_info("%s: discarded (%s), reply id %s", st->log_id,
	    st->message_id ? st->message_id : "no message-id", id);
	qfile_abort(st->w);
	st->w = NULL;
	return 1;
}

void
cleanup_checks_precommit(struct cleanup_state *st)
{
	if (st->chk == NULL || st->w == NULL)
		return;
	if (st->chk->filter != NULL &&
	    qfile_put_attr(st->w, "filter", st->chk->filter) < 0)
		st->errs |= CLEANUP_ERR_WRITE;
	if (st->chk->redirect != NULL &&
	    qfile_put_rcpt(st->w, st->chk->redirect, NULL, 0) < 0)
		st->errs |= CLEANUP_ERR_WRITE;
}

void
cleanup_checks_committed(struct cleanup_state *st, const char *id)
{
	struct qfile_env *env = NULL;
	struct strbuf why;
	char path[4096];
	size_t i;
	int fd;

	if (st->chk == NULL)
		return;
	if (st->chk->redirect != NULL) {
		/* Only the REDIRECT address (the last recipient) stays. */
		strbuf_init(&why, 1024);
		qfile_path(path, sizeof(path), var_queue_dir, QDIR_INCOMING, id);
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0 ||
		    qfile_read_envelope(fd, &env, &why) < 0)
			log_warn("%s: redirect: cannot update recipients: %s", id,
			    fd < 0 ? strerror(errno) : why.data);
		else
			for (i = 0; i + 1 < env->nrcpt; i++)
				if (qfile_mark_rcpt(fd, &env->rcpts[i], QF_RCPT_DONE) < 0)
					log_warn_errno("%s: redirect: cannot mark "
					    "recipient", id);
		qfile_env_free(env);
		if (fd >= 0)
			close(fd);
		strbuf_release(&why);
	}
	if (st->chk->hold)
		st->hold = 1;
}

/* HOLD from header_checks or from the SMTP server's access policy. */
void
cleanup_hold_committed(struct cleanup_state *st, const char *id)
{
	if (st->hold) {
		if (qfile_move(var_queue_dir, QDIR_INCOMING, QDIR_HOLD, id) < 0)
			log_warn_errno("%s: cannot move to %s", id, QDIR_HOLD);
		else
			log_info("%s: placed on hold", id);
	}
}
