/*
 * lib/smtp_server_tls.c — STARTTLS (RFC 3207) and implicit TLS (wrapper
 * mode, port 465) for the SMTP server engine.
 *
 * The switch: once the "220 Ready to start TLS" (or nothing, in wrapper
 * mode) is on the wire, the plain bufferevent is freed without closing the
 * socket and an OpenSSL bufferevent takes the socket over; the handshake
 * runs under its own callbacks and a deadline (smtpd_starttls_timeout),
 * and only a finished handshake gives the session back to the engine's
 * callbacks.  Everything the client sent after STARTTLS and before the
 * handshake is thrown away (CVE-2011-0411), and the session forgets its
 * HELO (RFC 3207 4.2).  A failed handshake ends that session with a log
 * line; nothing here is fatal.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "log.h"
#include "smtp_server_int.h"
#include "tls.h"

/* A session between STARTTLS and the end of its handshake. */
struct smtp_tls_hs {
	struct smtp_session *s;
	struct event *deadline;
	unsigned char *prefix;		/* wrapper mode behind a PROXY header:
					 * TLS bytes that came with it */
	size_t	prefix_len;
};

static void smtp_tls_switch(struct bufferevent *, void *);
static void smtp_tls_plain_event(struct bufferevent *, short, void *);

int
smtp_tls_offer(const struct smtp_session *s)
{
	return (s->cfg->tls_level != SMTP_TLS_NONE && !s->cfg->tls_wrappermode
	    && s->tls_protocol == NULL);
}

/* smtpd_tls_security_level = encrypt: no mail in the clear. */
int
smtp_tls_required(struct smtp_session *s)
{
	if (s->cfg->tls_level != SMTP_TLS_ENCRYPT || s->tls_protocol != NULL)
		return (0);
	smtp_reply(s, 530, "5.7.0", "Must issue a STARTTLS command first");
	return (1);
}

static void
smtp_tls_hs_free(struct smtp_tls_hs *hs)
{
	if (hs->deadline)
		event_free(hs->deadline);
	free(hs->prefix);
	free(hs);
}

/* The handshake failed or was cut short: log, end the session. */
static void
smtp_tls_fail(struct smtp_tls_hs *hs, const char *why)
{
	struct smtp_session *s = hs->s;

	log_info("SSL_accept error from %s[%s]: %s", s->client_name,
	    s->client_addr, why);
	smtp_tls_hs_free(hs);
	smtp_session_free(s);
}

/*
 * Leave the plain text behind: from now on the old bufferevent only
 * writes what is queued (the 220), then smtp_tls_switch() runs.  keep:
 * bytes already read belong to TLS (wrapper mode); else they were
 * pipelined after STARTTLS and are discarded.
 */
static void
smtp_tls_begin(struct smtp_session *s, int keep)
{
	struct smtp_tls_hs *hs = xcalloc(1, sizeof(*hs));
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t	n = evbuffer_get_length(in);

	hs->s = s;
	if (keep && n > 0) {
		hs->prefix = xmalloc(n);
		hs->prefix_len = (size_t)evbuffer_remove(in, hs->prefix, n);
		if (s->cfg->tls_loglevel >= 2)
			log_info("%s[%s]: %zu byte(s) of TLS came with the PROXY "
			    "header", s->client_name, s->client_addr, hs->prefix_len);
	} else if (n > 0) {
		/* CVE-2011-0411: a command injected before the handshake must
		 * not run inside the encrypted session. */
		log_info("%s[%s]: %zu byte(s) sent after STARTTLS discarded",
		    s->client_name, s->client_addr, n);
		evbuffer_drain(in, n);
	}
	linerd_reset(&s->lr);
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_setcb(s->bev, NULL, smtp_tls_switch, smtp_tls_plain_event, hs);
	bufferevent_enable(s->bev, EV_WRITE);
	/* Nothing to write (wrapper mode): switch from the event loop, never
	 * under a caller that still holds the old bufferevent. */
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		bufferevent_trigger(s->bev, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
}

int
smtp_cmd_starttls(struct smtp_session *s, struct smtp_cmd *c)
{
	if (c->arg_len > 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: STARTTLS");
		return (SMTP_CMD_REFUSED);
	}
	if (s->tls_protocol != NULL) {
		smtp_reply(s, 503, "5.5.1", "Error: TLS already active");
		return (SMTP_CMD_REFUSED);
	}
	if (s->cfg->tls_level == SMTP_TLS_NONE
	    || (s->cfg->discard_ehlo & SMTP_EXT_STARTTLS)) {
		smtp_reply(s, 502, "5.5.1", "Error: command not implemented");
		return (SMTP_CMD_REFUSED);
	}
	if (s->state == SMTP_S_MAIL || s->state == SMTP_S_RCPT) {
		smtp_reply(s, 503, "5.5.1", "Error: MAIL transaction in progress");
		return (SMTP_CMD_REFUSED);
	}
	if (s->cfg->tls == NULL) {
		smtp_reply(s, 454, "4.7.0", "TLS not available due to local "
		    "problem");
		return (SMTP_CMD_REFUSED);
	}
	smtp_reply(s, 220, "2.0.0", "Ready to start TLS");
	/* The input loop finds the input empty and stops: nothing after
	 * STARTTLS runs in the clear. */
	smtp_tls_begin(s, 0);
	return (SMTP_CMD_DONE);
}

void
smtp_tls_wrapper(struct smtp_session *s)
{
	smtp_tls_begin(s, 1);
}

/* The plain connection failed while the 220 was being written. */
static void
smtp_tls_plain_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_tls_hs *hs = arg;
	struct smtp_session *s = hs->s;

	log_info("%s after %s from %s[%s]", (what & BEV_EVENT_TIMEOUT)
	    ? "timeout" : "lost connection", s->last_cmd, s->client_name,
	    s->client_addr);
	smtp_tls_hs_free(hs);
	smtp_session_free(s);
}

/* ---- wrapper mode behind a PROXY header: replay bytes already read ---- */

/* The bytes a filter BIO returns before it reads from the socket; owned
 * by the BIO (it outlives the handshake). */
struct smtp_tls_prefix {
	unsigned char *data;
	size_t	len;
};

static int
smtp_tls_prefix_read(BIO *b, char *out, int outl)
{
	struct smtp_tls_prefix *p = BIO_get_data(b);
	int	r;

	BIO_clear_retry_flags(b);
	if (p != NULL && p->len > 0 && outl > 0) {
		size_t	n = p->len < (size_t)outl ? p->len : (size_t)outl;

		memcpy(out, p->data, n);
		memmove(p->data, p->data + n, p->len - n);
		p->len -= n;
		return ((int)n);
	}
	if (BIO_next(b) == NULL)
		return (0);
	r = BIO_read(BIO_next(b), out, outl);
	BIO_copy_next_retry(b);
	return (r);
}

static int
smtp_tls_prefix_write(BIO *b, const char *in, int inl)
{
	int	r;

	BIO_clear_retry_flags(b);
	if (BIO_next(b) == NULL)
		return (0);
	r = BIO_write(BIO_next(b), in, inl);
	BIO_copy_next_retry(b);
	return (r);
}

static long
smtp_tls_prefix_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct smtp_tls_prefix *p = BIO_get_data(b);

	if (cmd == BIO_CTRL_PENDING && p != NULL && p->len > 0)
		return ((long)p->len);
	return (BIO_next(b) ? BIO_ctrl(BIO_next(b), cmd, num, ptr) : 0);
}

static int
smtp_tls_prefix_create(BIO *b)
{
	BIO_set_init(b, 1);
	return (1);
}

static int
smtp_tls_prefix_destroy(BIO *b)
{
	struct smtp_tls_prefix *p = BIO_get_data(b);

	if (p != NULL) {
		free(p->data);
		free(p);
		BIO_set_data(b, NULL);
	}
	return (1);
}

/* The read side of the SSL: the saved bytes first (taken from hs), then
 * the socket. */
static BIO *
smtp_tls_prefix_bio(struct smtp_tls_hs *hs, int fd)
{
	static BIO_METHOD *method;
	struct smtp_tls_prefix *p;
	BIO    *b, *sock;

	if (method == NULL) {
		method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_FILTER,
		    "tegami prefix");
		if (method == NULL)
			return (NULL);
		(void)BIO_meth_set_read(method, smtp_tls_prefix_read);
		(void)BIO_meth_set_write(method, smtp_tls_prefix_write);
		(void)BIO_meth_set_ctrl(method, smtp_tls_prefix_ctrl);
		(void)BIO_meth_set_create(method, smtp_tls_prefix_create);
		(void)BIO_meth_set_destroy(method, smtp_tls_prefix_destroy);
	}
	if ((b = BIO_new(method)) == NULL)
		return (NULL);
	if ((sock = BIO_new_socket(fd, BIO_NOCLOSE)) == NULL) {
		BIO_free(b);
		return (NULL);
	}
	p = xcalloc(1, sizeof(*p));
	p->data = hs->prefix;
	p->len = hs->prefix_len;
	hs->prefix = NULL;
	hs->prefix_len = 0;
	BIO_set_data(b, p);
	return (BIO_push(b, sock));
}

/* ---- the handshake ------------------------------------------------------- */

static void smtp_tls_hs_event(struct bufferevent *, short, void *);

static void
smtp_tls_deadline(evutil_socket_t fd, short what, void *arg)
{
	smtp_tls_fail(arg, "timeout");
}

/* The plain output is on the wire: hand the socket to OpenSSL. */
static void
smtp_tls_switch(struct bufferevent *old, void *arg)
{
	struct smtp_tls_hs *hs = arg;
	struct smtp_session *s = hs->s;
	evutil_socket_t fd = bufferevent_getfd(old);
	struct timeval tv = { s->cfg->starttls_timeout, 0 };
	struct bufferevent *bev;
	SSL    *ssl;

	if (s->cfg->tls == NULL) {
		/* Wrapper mode without a usable certificate. */
		smtp_tls_fail(hs, "TLS not available due to local problem");
		return;
	}
	if ((ssl = SSL_new(tls_server_ctx(s->cfg->tls))) == NULL) {
		ERR_clear_error();
		smtp_tls_fail(hs, "cannot make a TLS session (out of memory)");
		return;
	}
	if (hs->prefix_len > 0) {
		BIO    *rbio = smtp_tls_prefix_bio(hs, fd);
		BIO    *wbio = BIO_new_socket(fd, BIO_NOCLOSE);

		if (rbio == NULL || wbio == NULL) {
			BIO_free_all(rbio);
			BIO_free(wbio);
			SSL_free(ssl);
			ERR_clear_error();
			smtp_tls_fail(hs, "cannot make a TLS session (out of memory)");
			return;
		}
		SSL_set_bio(ssl, rbio, wbio);
	}
	/* Whatever the plain bufferevent read meanwhile is not TLS. */
	evbuffer_drain(bufferevent_get_input(old),
	    evbuffer_get_length(bufferevent_get_input(old)));
	/* Free the plain bufferevent but keep the socket: the new one
	 * closes it (exactly once, at smtp_session_free). */
	bufferevent_setcb(old, NULL, NULL, NULL, NULL);
	bufferevent_setfd(old, -1);
	bufferevent_free(old);
	bev = bufferevent_openssl_socket_new(s->cfg->base, fd, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		log_fatal("cannot make the TLS events of a session");
	s->bev = bev;
	/* A client that just closes (no close_notify) is an EOF, as in
	 * plain text. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	if (s->cfg->tls_loglevel >= 2)
		log_info("setting up TLS connection from %s[%s]", s->client_name,
		    s->client_addr);
	/* The deadline bounds the whole handshake; a client that sends one
	 * byte at a time gains nothing. */
	hs->deadline = evtimer_new(s->cfg->base, smtp_tls_deadline, hs);
	if (hs->deadline == NULL)
		log_fatal("cannot make the TLS events of a session");
	evtimer_add(hs->deadline, &tv);
	bufferevent_setcb(bev, NULL, NULL, smtp_tls_hs_event, hs);
	bufferevent_set_timeouts(bev, &tv, &tv);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* Record the facts and log them the way Postfix does. */
static void
smtp_tls_established(struct smtp_session *s, SSL *ssl)
{
	const struct tls_server *ts = s->cfg->tls;
	struct tls_info info;

	tls_info_get(ssl, tls_server_digest(ts), &info);
	free(s->tls_protocol);
	free(s->tls_cipher);
	free(s->tls_peer_fp);
	s->tls_protocol = xstrdup(info.protocol);
	s->tls_cipher = xstrdup(info.cipher);
	s->tls_peer_fp = info.peer_fp.len ? xstrdup(info.peer_fp.data) : NULL;
	if (s->cfg->tls_loglevel >= 1) {
		log_info("%s TLS connection established from %s[%s]: %s with "
		    "cipher %s (%d/%d bits)", !info.peer_cert ? "Anonymous" :
		    info.peer_verified && tls_server_has_ca(ts) ? "Trusted" :
		    "Untrusted", s->client_name, s->client_addr, info.protocol,
		    info.cipher, info.cipher_bits, info.cipher_alg_bits);
		if (info.peer_cert)
			log_info("%s[%s]: client certificate: subject_CN=%s, "
			    "issuer_CN=%s, fingerprint=%s, verified=%s",
			    s->client_name, s->client_addr, info.peer_cn.data,
			    info.issuer_cn.data, info.peer_fp.data,
			    info.peer_verified && tls_server_has_ca(ts) ? "yes" : "no");
	}
	tls_info_release(&info);
}

static void
smtp_tls_hs_event(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_tls_hs *hs = arg;
	struct smtp_session *s = hs->s;
	struct strbuf why;
	unsigned long e;
	char	buf[256];

	if (!(what & BEV_EVENT_CONNECTED)) {
		strbuf_init(&why, 1024);
		while ((e = bufferevent_get_openssl_error(bev)) != 0) {
			ERR_error_string_n(e, buf, sizeof(buf));
			(void)strbuf_printf(&why, "%s%s", why.len ? "; " : "", buf);
		}
		if (why.len == 0)
			(void)strbuf_set_str(&why, (what & BEV_EVENT_TIMEOUT)
			    ? "timeout" : "lost connection");
		smtp_tls_fail(hs, why.data);
		strbuf_release(&why);
		return;
	}
	smtp_tls_established(s, bufferevent_openssl_get_ssl(bev));
	smtp_tls_hs_free(hs);
	if (s->state == SMTP_S_CONNECT) {
		/* Wrapper mode: now the connect stage and the greeting.  A
		 * client that talked first is a PREGREET, as in plain text. */
		smtp_session_set_bev(s, bev);
		smtp_session_resume(s);
		if (s->state == SMTP_S_CONNECT)
			smtp_connect_stage(s);
		return;
	}
	/* RFC 3207 4.2: forget everything the client said before. */
	free(s->helo);
	s->helo = NULL;
	s->esmtp = 0;
	/* ... including a login made in the clear (RFC 3207 4.2). */
	free(s->sasl_user);
	free(s->sasl_method);
	s->sasl_user = s->sasl_method = NULL;
	smtp_session_reset(s);
	smtp_session_set_bev(s, bev);
	smtp_session_resume(s);
}

/* "(using TLSv1.3 with cipher X (256/256 bits))" and Postfix's client
 * certificate comment, each on its own folded line of Received:. */
void
smtp_tls_received(struct smtp_session *s, struct strbuf *out)
{
	const struct tls_server *ts = s->cfg->tls;
	struct tls_info info;
	SSL    *ssl = bufferevent_openssl_get_ssl(s->bev);

	if (ssl == NULL || ts == NULL)
		return;
	tls_info_get(ssl, tls_server_digest(ts), &info);
	(void)strbuf_printf(out, "\n\t(using %s with cipher %s (%d/%d bits))",
	    info.protocol, info.cipher, info.cipher_bits, info.cipher_alg_bits);
	if (!tls_server_ask_ccert(ts))
		(void)strbuf_append_str(out, "\n\t(No client certificate requested)");
	else if (!info.peer_cert)
		(void)strbuf_append_str(out, "\n\t(Client did not present a "
		    "certificate)");
	else
		(void)strbuf_printf(out, "\n\t(Client CN \"%s\", Issuer \"%s\" (%s))",
		    info.peer_cn.data, info.issuer_cn.data,
		    info.peer_verified && tls_server_has_ca(ts) ? "verified OK"
		    : "not verified");
	tls_info_release(&info);
}
