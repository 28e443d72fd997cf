/*
 * auth/auth_service.c — the IPC side of auth(8): one AUTH exchange per
 * connection from submission (protocol in lib/ipc_names.h, doc/ipc.md).
 *
 * auth_session_handle() is the state machine: a decoded request in, a
 * reply out, no I/O (the fuzzer drives it).  The peer is untrusted: its
 * uid must be root or mail_owner, and a malformed frame, an unknown
 * request or one out of order ends the connection with a warning, never
 * the daemon.  Every login attempt is logged with user and client (never
 * the response); failures are counted per client address and per user
 * (auth_limit.c) and answered with a growing `delay`, then 454.  Start-up
 * trouble (a bad smtpd_sasl_type) is fatal; a missing password file is not.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "auth.h"
#include "ipc.h"
#include "ipc_names.h"
#include "log.h"
#include "mail_params.h"
#include "netio.h"
#include "privsep.h"
#include "server.h"

#define AUTH_FRAME_LIMIT	(2 * AUTH_RESP_MAX + 1024)
#define AUTH_MECH_MAX		32
#define AUTH_ADDR_MAX		128
#define PASSWD_MECHS		"PLAIN LOGIN"

enum sess_state { S_NEW, S_STEP, S_DONE };

struct auth_session {
	enum sess_state state;
	char	mech[AUTH_MECH_MAX + 1];
	struct strbuf client;		/* client address, for logs */
	int	tls;
	int	nresp;			/* responses seen so far */
	struct strbuf user;		/* the user, once known */
	struct auth_mech_conv *mc;	/* type tegami */
	struct auth_dovecot *dc;	/* type dovecot */
};

static struct auth_passwd *auth_pw;
static struct auth_limit *auth_lim;
static struct stat auth_pw_st;		/* the snapshot's file, for changes */
static int auth_pw_have_st;
static int auth_dovecot_type;
static char *auth_dovecot_path;
static uid_t auth_owner_uid = (uid_t)-1;

void
auth_service_set_passwd(struct auth_passwd *p)
{
	auth_passwd_free(auth_pw);
	auth_pw = p;
}

void
auth_service_set_limit(struct auth_limit *l)
{
	auth_limit_free(auth_lim);
	auth_lim = l;
}

static time_t
auth_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

/* ---- the password file snapshot ---- */

static int
same_file(const struct stat *a, const struct stat *b)
{
	return (a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec);
}

static void
passwd_load(int at_start)
{
	struct auth_passwd *p;
	struct stat st;
	int have = stat(var_sasl_password_file, &st) == 0;

	if ((p = auth_passwd_load(var_sasl_password_file)) == NULL) {
		if (at_start)
			log_warn("auth: %s: %s; every login fails until it "
			    "exists", var_sasl_password_file, strerror(errno));
		if (!at_start && errno == EACCES) {
			/* Readable only by root (as it should be): the master
			 * starts a new auth, which reads it as root. */
			log_info("auth: %s changed; restarting to re-read it",
			    var_sasl_password_file);
			server_request_exit();
		}
		if (!at_start && errno != EACCES) {
			log_warn("auth: %s: %s", var_sasl_password_file,
			    strerror(errno));
			auth_service_set_passwd(auth_passwd_parse("(none)", "", 0));
		}
	} else {
		auth_service_set_passwd(p);
		log_info("auth: %s: %zu users", var_sasl_password_file,
		    auth_passwd_count(p));
	}
	if (auth_pw == NULL)
		auth_pw = auth_passwd_parse("(none)", "", 0);
	auth_pw_have_st = have;
	if (have)
		auth_pw_st = st;
}

/* Before each passwd exchange: has the file changed under us? */
static void
passwd_check_change(void)
{
	struct stat st;
	int have;

	if (var_sasl_password_file == NULL)	/* tests, the fuzzer */
		return;
	have = stat(var_sasl_password_file, &st) == 0;
	if (have == auth_pw_have_st && (!have || same_file(&st, &auth_pw_st)))
		return;
	passwd_load(0);
}

static int
passwd_verify(const char *user, const char *pass)
{
	if (auth_pw == NULL)
		return (-2);
	return (auth_passwd_verify(auth_pw, user, pass));
}

/* ---- the state machine ---- */

struct auth_session *
auth_session_new(void)
{
	struct auth_session *s = xcalloc(1, sizeof(*s));

	strbuf_init(&s->client, AUTH_ADDR_MAX);
	strbuf_init(&s->user, AUTH_NAME_MAX);
	return (s);
}

void
auth_session_free(struct auth_session *s)
{
	if (s == NULL)
		return;
	auth_mech_free(s->mc);
	auth_dovecot_close(s->dc);
	strbuf_release(&s->client);
	strbuf_release(&s->user);
	free(s);
}

/* A user name or address made safe for one log line. */
static void
log_safe(struct strbuf *out, const char *s)
{
	strbuf_reset(out);
	for (; *s != '\0' && out->len + 4 < out->max; s++)
		if (isprint((unsigned char)*s) && *s != '\\' && *s != ',')
			strbuf_append_char(out, *s);
		else
			strbuf_printf(out, "\\x%02x", (unsigned char)*s);
}

static void
log_attempt(const struct auth_session *s, const char *what,
    const char *reason)
{
	struct strbuf u, c;

	strbuf_init(&u, 4 * AUTH_NAME_MAX + 8);
	strbuf_init(&c, 4 * AUTH_ADDR_MAX + 8);
	log_safe(&u, s->user.data);
	log_safe(&c, s->client.data);
	if (reason == NULL)
		log_info("auth: login %s: user=%s, client=%s, mech=%s", what,
		    u.data, c.data, s->mech);
	else
		log_info("auth: login %s: user=%s, client=%s, mech=%s, "
		    "reason=\"%s\"", what, u.data, c.data, s->mech, reason);
	strbuf_release(&u);
	strbuf_release(&c);
}

static void
key_of(struct strbuf *k, const char *kind, const char *v)
{
	strbuf_reset(k);
	strbuf_printf(k, "%s:%s", kind, v);
}

static int
reply_final(struct auth_session *s, struct ipc_msg *reply,
    const char *status, const char *reason, long delay)
{
	ipc_put_str(reply, IPC_ATTR_AUTH_STATUS, status);
	ipc_put_str(reply, IPC_ATTR_REASON, reason);
	if (delay > 0)
		ipc_put_int(reply, IPC_ATTR_DELAY, delay);
	s->state = S_DONE;
	return (0);
}

/* The end of an exchange (or its next challenge). */
static int
session_result(struct auth_session *s, enum auth_result r,
    const struct strbuf *challenge, const struct strbuf *user,
    const struct strbuf *reason, struct ipc_msg *reply, time_t now)
{
	struct strbuf k;
	long na = 0, nu = 0, n;

	if (user->len > 0 && s->user.len == 0)
		strbuf_set_str(&s->user, user->data);
	switch (r) {
	case AUTH_R_CONTINUE:
		ipc_put_str(reply, IPC_ATTR_AUTH_STATUS, AUTH_STATUS_CONTINUE);
		ipc_put_bytes(reply, IPC_ATTR_CHALLENGE, challenge->data,
		    challenge->len);
		s->state = S_STEP;
		return (1);
	case AUTH_R_OK:
		strbuf_set_str(&s->user, user->data);
		log_attempt(s, "ok", NULL);
		strbuf_init(&k, AUTH_ADDR_MAX + AUTH_NAME_MAX + 8);
		key_of(&k, "addr", s->client.data);
		auth_limit_clear(auth_lim, k.data);
		key_of(&k, "user", s->user.data);
		auth_limit_clear(auth_lim, k.data);
		strbuf_release(&k);
		ipc_put_str(reply, IPC_ATTR_AUTH_STATUS, AUTH_STATUS_OK);
		ipc_put_str(reply, IPC_ATTR_USER, user->data);
		s->state = S_DONE;
		return (0);
	case AUTH_R_TEMPFAIL:
		log_attempt(s, "tempfail", reason->data);
		return (reply_final(s, reply, AUTH_STATUS_TEMPFAIL,
		    reason->data, 0));
	case AUTH_R_FAIL:
	default:
		break;
	}
	log_attempt(s, "failed", reason->data);
	strbuf_init(&k, AUTH_ADDR_MAX + AUTH_NAME_MAX + 8);
	key_of(&k, "addr", s->client.data);
	na = auth_limit_fail(auth_lim, k.data, now);
	if (s->user.len > 0) {
		key_of(&k, "user", s->user.data);
		nu = auth_limit_fail(auth_lim, k.data, now);
	}
	strbuf_release(&k);
	n = na > nu ? na : nu;
	if (n >= var_auth_failure_limit)
		return (reply_final(s, reply, AUTH_STATUS_TEMPFAIL,
		    AUTH_REASON_LIMIT, auth_limit_delay(auth_lim, n)));
	return (reply_final(s, reply, AUTH_STATUS_FAIL, reason->data,
	    auth_limit_delay(auth_lim, n)));
}

/* A response from the client (initial or a step). */
static int
session_resp(struct auth_session *s, int have_resp, const void *resp,
    size_t len, struct ipc_msg *reply, time_t now)
{
	struct strbuf ch, user, reason, k;
	enum auth_result r;
	int ret, blocked = 0;

	strbuf_init(&ch, AUTH_RESP_MAX);
	strbuf_init(&user, AUTH_NAME_MAX);
	strbuf_init(&reason, 512);
	if (have_resp && len > AUTH_RESP_MAX) {
		strbuf_set_printf(&reason, "%s (response too long)",
		    AUTH_REASON_FAIL);
		r = AUTH_R_FAIL;
		goto done;
	}
	/* Learn the user before the password is checked, so a user over the
	 * limit gets no more guesses. */
	if (have_resp && auth_mech_peek_user(s->mech, s->nresp, resp, len,
	    &user) == 1) {
		strbuf_set_str(&s->user, user.data);
		strbuf_init(&k, AUTH_NAME_MAX + 8);
		key_of(&k, "user", user.data);
		blocked = auth_limit_blocked(auth_lim, k.data, now);
		strbuf_release(&k);
	}
	if (have_resp)
		s->nresp++;
	if (blocked) {
		log_attempt(s, "refused", AUTH_REASON_LIMIT);
		ret = reply_final(s, reply, AUTH_STATUS_TEMPFAIL,
		    AUTH_REASON_LIMIT, var_auth_failure_delay_max);
		goto out;
	}
	if (s->dc != NULL)
		r = s->state == S_NEW ?
		    auth_dovecot_start(s->dc, s->mech, s->client.data, s->tls,
		    have_resp, resp, len, &ch, &user, &reason) :
		    auth_dovecot_step(s->dc, resp, len, &ch, &user, &reason);
	else
		r = auth_mech_step(s->mc, have_resp, resp, len, passwd_verify,
		    &ch, &user, &reason);
done:
	ret = session_result(s, r, &ch, &user, &reason, reply, now);
out:
	strbuf_release(&ch);
	strbuf_release(&user);
	strbuf_release(&reason);
	return (ret);
}

static int
mech_name_ok(const char *m)
{
	size_t i, n = strlen(m);

	if (n == 0 || n > AUTH_MECH_MAX)
		return (0);
	for (i = 0; i < n; i++)
		if (!isupper((unsigned char)m[i]) && !isdigit((unsigned char)m[i])
		    && m[i] != '-' && m[i] != '_')
			return (0);
	return (1);
}

static int
addr_ok(const char *a)
{
	size_t i, n = strlen(a);

	if (n > AUTH_ADDR_MAX)
		return (0);
	for (i = 0; i < n; i++)
		if (!isgraph((unsigned char)a[i]))
			return (0);
	return (1);
}

static int
do_mechs(struct auth_session *s, struct ipc_msg *reply)
{
	struct strbuf mechs, why;
	struct auth_dovecot *d;

	if (!auth_dovecot_type) {
		ipc_put_str(reply, IPC_ATTR_AUTH_STATUS, AUTH_STATUS_OK);
		ipc_put_str(reply, IPC_ATTR_MECHS, PASSWD_MECHS);
		return (1);
	}
	strbuf_init(&mechs, 1024);
	strbuf_init(&why, 512);
	d = auth_dovecot_open(auth_dovecot_path,
	    (int)var_auth_dovecot_timeout * 1000, &mechs, &why);
	if (d == NULL) {
		log_warn("auth: dovecot: %s", why.data);
		ipc_put_str(reply, IPC_ATTR_AUTH_STATUS, AUTH_STATUS_TEMPFAIL);
		ipc_put_str(reply, IPC_ATTR_REASON, AUTH_REASON_TEMP);
	} else {
		ipc_put_str(reply, IPC_ATTR_AUTH_STATUS, AUTH_STATUS_OK);
		ipc_put_str(reply, IPC_ATTR_MECHS, mechs.data);
	}
	auth_dovecot_close(d);
	strbuf_release(&mechs);
	strbuf_release(&why);
	return (1);
}

static int
do_start(struct auth_session *s, const struct ipc_msg *req,
    struct ipc_msg *reply, time_t now, struct strbuf *why)
{
	const char *mech = ipc_get_str(req, IPC_ATTR_MECH);
	const char *addr = ipc_get_str(req, IPC_ATTR_CLIENT_ADDR);
	const void *resp;
	struct strbuf k, w;
	int64_t tls = 0;
	size_t len = 0;
	int blocked;

	if (mech == NULL || addr == NULL || !addr_ok(addr))
		return (strbuf_set_str(why, "auth-start without mech or with "
		    "a missing or bad client_addr"), -1);
	(void)ipc_get_int(req, IPC_ATTR_TLS, &tls);
	s->tls = tls != 0;
	strbuf_set_str(&s->client, addr);
	resp = ipc_get_bytes(req, IPC_ATTR_RESP, &len);
	snprintf(s->mech, sizeof(s->mech), "%s", mech_name_ok(mech) ? mech :
	    "(bad)");
	if (!mech_name_ok(mech))
		return (reply_final(s, reply, AUTH_STATUS_FAIL, AUTH_REASON_MECH,
		    0));
	strbuf_init(&k, AUTH_ADDR_MAX + 8);
	key_of(&k, "addr", addr);
	blocked = auth_limit_blocked(auth_lim, k.data, now);
	strbuf_release(&k);
	if (blocked) {
		log_attempt(s, "refused", AUTH_REASON_LIMIT);
		return (reply_final(s, reply, AUTH_STATUS_TEMPFAIL,
		    AUTH_REASON_LIMIT, var_auth_failure_delay_max));
	}
	if (auth_dovecot_type) {
		strbuf_init(&w, 512);
		s->dc = auth_dovecot_open(auth_dovecot_path,
		    (int)var_auth_dovecot_timeout * 1000, NULL, &w);
		if (s->dc == NULL)
			log_warn("auth: dovecot: %s", w.data);
		strbuf_release(&w);
		if (s->dc == NULL) {
			log_attempt(s, "tempfail", AUTH_REASON_TEMP);
			return (reply_final(s, reply, AUTH_STATUS_TEMPFAIL,
			    AUTH_REASON_TEMP, 0));
		}
		if (!auth_dovecot_has_mech(s->dc, mech))
			return (reply_final(s, reply, AUTH_STATUS_FAIL,
			    AUTH_REASON_MECH, 0));
	} else {
		passwd_check_change();
		if ((s->mc = auth_mech_start(mech)) == NULL)
			return (reply_final(s, reply, AUTH_STATUS_FAIL,
			    AUTH_REASON_MECH, 0));
	}
	return (session_resp(s, resp != NULL, resp, len, reply, now));
}

int
auth_session_handle(struct auth_session *s, const struct ipc_msg *req,
    struct ipc_msg *reply, time_t now, struct strbuf *why)
{
	const char *r = ipc_get_str(req, IPC_ATTR_REQ);
	const void *resp;
	size_t len = 0;

	ipc_msg_reset(reply);
	if (r == NULL)
		return (strbuf_set_str(why, "request without req"), -1);
	if (s->state == S_DONE)
		return (strbuf_set_str(why, "request after the end of the "
		    "exchange"), -1);
	if (strcmp(r, IPC_REQ_MECHS) == 0 && s->state == S_NEW)
		return (do_mechs(s, reply));
	if (strcmp(r, IPC_REQ_AUTH_START) == 0 && s->state == S_NEW)
		return (do_start(s, req, reply, now, why));
	if (strcmp(r, IPC_REQ_AUTH_STEP) == 0 && s->state == S_STEP) {
		if ((resp = ipc_get_bytes(req, IPC_ATTR_RESP, &len)) == NULL)
			return (strbuf_set_str(why, "auth-step without resp"),
			    -1);
		return (session_resp(s, 1, resp, len, reply, now));
	}
	if (strcmp(r, IPC_REQ_AUTH_CANCEL) == 0 && s->state == S_STEP) {
		/* RFC 4954 §4: "*" cancels; not a failed guess. */
		log_attempt(s, "cancelled", NULL);
		return (reply_final(s, reply, AUTH_STATUS_FAIL,
		    AUTH_REASON_CANCEL, 0));
	}
	strbuf_set_printf(why, "unexpected request %.40s", r);
	return (-1);
}

/* ---- start-up ---- */

void
auth_service_pre_jail(void)
{
	gid_t gid;

	if (strcmp(var_sasl_type, "dovecot") == 0) {
		auth_dovecot_type = 1;
		if (var_sasl_path[0] == '/')
			auth_dovecot_path = xstrdup(var_sasl_path);
		else if (asprintf(&auth_dovecot_path, "%s/%s", var_queue_dir,
		    var_sasl_path) < 0)
			log_fatal("out of memory");
	} else if (strcmp(var_sasl_type, "tegami") == 0)
		passwd_load(1);		/* as root: the file is root's */
	else
		log_fatal("smtpd_sasl_type = %s: expected \"tegami\" or "
		    "\"dovecot\"", var_sasl_type);
	if (privsep_user(var_mail_owner, &auth_owner_uid, &gid) < 0)
		auth_owner_uid = (uid_t)-1;
}

void
auth_service_post_jail(void)
{
	auth_service_set_limit(auth_limit_new(var_auth_failure_limit,
	    var_auth_failure_window, var_auth_failure_delay_max,
	    (size_t)var_auth_table_limit));
}

/* ---- connections ---- */

struct auth_conn {
	struct bufferevent *bev;
	struct auth_session *s;
	long	uid;
	int	closing;		/* reply queued, close when written */
};

static void
conn_free(struct auth_conn *c)
{
	bufferevent_free(c->bev);
	auth_session_free(c->s);
	free(c);
	server_conn_done();
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct auth_conn *c = arg;

	if (c->closing)
		conn_free(c);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct auth_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct ipc_msg *m, *reply;
	struct strbuf why, out;
	size_t used, len;
	int r;

	if (c->closing) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	strbuf_init(&why, 256);
	strbuf_init(&out, AUTH_FRAME_LIMIT);
	reply = ipc_msg_new();
	while ((len = evbuffer_get_length(in)) > 0 && !c->closing) {
		r = ipc_decode(evbuffer_pullup(in, -1), len, AUTH_FRAME_LIMIT,
		    &m, &used, &why);
		if (r == 0)
			break;
		if (r > 0) {
			evbuffer_drain(in, used);
			r = auth_session_handle(c->s, m, reply, auth_now(), &why);
			ipc_msg_free(m);
		}
		if (r < 0) {
			log_warn("auth: client uid=%ld: %s; disconnecting",
			    c->uid, why.data);
			ipc_msg_free(reply);
			strbuf_release(&why);
			strbuf_release(&out);
			conn_free(c);
			return;
		}
		strbuf_reset(&out);
		if (ipc_encode(reply, &out) < 0)
			log_panic("auth: reply too long");
		bufferevent_write(bev, out.data, out.len);
		if (r == 0)
			c->closing = 1;
	}
	ipc_msg_free(reply);
	strbuf_release(&why);
	strbuf_release(&out);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct auth_conn *c = arg;

	if (what & BEV_EVENT_TIMEOUT)
		log_warn("auth: client uid=%ld: timeout; disconnecting", c->uid);
	else if (!(what & BEV_EVENT_EOF) && errno != ECONNRESET)
		log_warn("auth: client uid=%ld: connection error", c->uid);
	conn_free(c);
}

void
auth_service_accept(int fd)
{
	struct auth_conn *c;
	struct timeval tv;
	uid_t uid;

	if (peer_uid(fd, &uid) < 0 || (uid != 0 && uid != geteuid() &&
	    uid != auth_owner_uid)) {
		log_warn("auth: connection from uid=%ld refused",
		    peer_uid(fd, &uid) < 0 ? -1L : (long)uid);
		close(fd);
		server_conn_done();
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->uid = (long)uid;
	c->s = auth_session_new();
	c->bev = bufferevent_socket_new(server_event_base(), fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		log_fatal("bufferevent_socket_new failed");
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 2 * AUTH_FRAME_LIMIT);
	tv.tv_sec = var_auth_exchange_timeout;
	tv.tv_usec = 0;
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}
