/*
 * lib/smtp_server_cmd.c — one handler per SMTP verb, dispatched from a
 * table of {verb, handler, states where it is allowed}.
 *
 * Handlers check syntax, then order (503), then ask the policy hook, then
 * change state.  Each returns 0 when the command succeeded (for the
 * "disconnect from" counters) and -1 when it was refused.  Client mistakes
 * get a reply with an enhanced status code and, for rejects, a log line;
 * nothing here is fatal.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "smtp_server_int.h"

#define S(x)	(1u << (x))
#define IN_TX	(S(SMTP_S_MAIL) | S(SMTP_S_RCPT))

/* Start (or restart) the session after HELO/EHLO. */
static int
smtp_helo_common(struct smtp_session *s, struct smtp_cmd *c, int esmtp)
{
	char   *helo;

	/* Lenient as Postfix: any text will do (restrictions may say more),
	 * but not none, and not more than a domain name can be (RFC 1035);
	 * control characters never reach here (smtp_cmd_parse). */
	if (c->arg_len == 0 || c->arg_len > 255) {
		smtp_reply(s, 501, "5.5.4", "Syntax: %s hostname", c->name);
		return (-1);
	}
	helo = xstrndup(c->arg, c->arg_len);
	strbuf_reset(&s->reply);
	if (s->policy->check_helo) {
		int	r = smtp_policy_ask(s, c->name, NULL,
		    s->policy->check_helo(s, helo, &s->reply));

		if (r != SMTP_POLICY_ACCEPT) {
			free(helo);
			return (r == SMTP_POLICY_PENDING ? SMTP_CMD_WAIT : -1);
		}
	}
	/* RFC 5321 4.1.4: HELO/EHLO in a transaction resets it. */
	free(s->helo);
	s->helo = helo;
	s->esmtp = esmtp;
	smtp_session_reset(s);
	return (0);
}

static int
cmd_helo(struct smtp_session *s, struct smtp_cmd *c)
{
	int	r;

	if ((r = smtp_helo_common(s, c, 0)) != 0)
		return (r);
	smtp_reply(s, 250, NULL, "%s", s->cfg->myhostname);
	return (0);
}

static int
cmd_ehlo(struct smtp_session *s, struct smtp_cmd *c)
{
	struct strbuf kw;
	int	r;

	if ((r = smtp_helo_common(s, c, 1)) != 0)
		return (r);
	strbuf_init(&kw, 4096);
	smtp_ehlo_keywords(s, &kw);
	smtp_reply(s, 250, NULL, "%s%s", s->cfg->myhostname, kw.data);
	strbuf_release(&kw);
	return (0);
}

/*
 * "\nKEYWORD" for each extension offered now (RFC 5321 4.1.1.1), in
 * Postfix's order, minus $smtpd_discard_ehlo_keywords (whose use is then
 * refused where it has a use: parameters, BDAT, VRFY).
 */
void
smtp_ehlo_keywords(struct smtp_session *s, struct strbuf *out)
{
	const struct smtp_server_config *cfg = s->cfg;
	unsigned off = cfg->discard_ehlo;
	struct strbuf names;

	if (!(off & SMTP_EXT_PIPELINING))
		(void)strbuf_append_str(out, "\nPIPELINING");
	if (!(off & SMTP_EXT_SIZE)) {
		if (cfg->message_size_limit > 0)
			(void)strbuf_printf(out, "\nSIZE %ld", cfg->message_size_limit);
		else
			(void)strbuf_append_str(out, "\nSIZE");
	}
	if (!cfg->disable_vrfy && !(off & SMTP_EXT_VRFY))
		(void)strbuf_append_str(out, "\nVRFY");
	if (smtp_tls_offer(s) && !(off & SMTP_EXT_STARTTLS))
		(void)strbuf_append_str(out, "\nSTARTTLS");
	if (!(off & SMTP_EXT_AUTH))
		smtp_auth_ehlo(s, out);
	if (!(off & SMTP_EXT_ENHANCEDSTATUSCODES))
		(void)strbuf_append_str(out, "\nENHANCEDSTATUSCODES");
	if (!(off & SMTP_EXT_8BITMIME))
		(void)strbuf_append_str(out, "\n8BITMIME");
	if (!(off & SMTP_EXT_DSN))
		(void)strbuf_append_str(out, "\nDSN");
	if (!(off & SMTP_EXT_SMTPUTF8))
		(void)strbuf_append_str(out, "\nSMTPUTF8");
	if (smtp_bdat_offer(s))
		(void)strbuf_append_str(out, "\nCHUNKING");
	if ((off & ~SMTP_EXT_SILENT) && !(off & SMTP_EXT_SILENT)) {
		strbuf_init(&names, 256);
		smtp_ext_names(off, &names);
		log_info("%s[%s]: discarding EHLO keywords: %s", s->client_name,
		    s->client_addr, names.data);
		strbuf_release(&names);
	}
}

/* The reply to a MAIL or RCPT argument that does not parse. */
static void
smtp_path_refuse(struct smtp_session *s, enum smtp_cmd_err err, int flags,
	    const struct smtp_path_args *a, const char *why)
{
	struct strbuf text;
	const char *esc;
	int	code;

	strbuf_init(&text, 256);
	code = smtp_cmd_path_reply(err, flags, a, why, &esc, &text);
	smtp_reply(s, code, esc, "%s", text.data);
	strbuf_release(&text);
}

static int
cmd_mail(struct smtp_session *s, struct smtp_cmd *c)
{
	struct smtp_path_args a;
	enum smtp_cmd_err err;
	const char *why;
	int	ret = -1;

	if (s->state == SMTP_S_START) {
		smtp_reply(s, 503, "5.5.1", "Error: send HELO/EHLO first");
		return (-1);
	}
	if (smtp_tls_required(s))
		return (-1);
	if (s->state == SMTP_S_BDAT) {
		smtp_reply(s, 503, "5.5.1", "Error: MAIL after BDAT");
		return (-1);
	}
	if (s->state != SMTP_S_READY) {
		smtp_reply(s, 503, "5.5.1", "Error: nested MAIL command");
		return (-1);
	}
	smtp_path_args_init(&a);
	/* BINARYMIME (RFC 3030) is never offered: such content could not be
	 * sent on with DATA, and bare CR/LF in it is refused as smuggling. */
	err = smtp_cmd_parse_path(c->arg, c->arg_len, 0,
	    s->cfg->discard_ehlo | SMTP_EXT_BINARYMIME
	    | (smtp_auth_mail_param_ok(s) ? 0 : SMTP_EXT_AUTH), &a, &why);
	if (err != SMTP_CMD_OK) {
		smtp_path_refuse(s, err, 0, &a, why);
		goto out;
	}
	if (a.has_size && s->cfg->message_size_limit > 0
	    && a.size > (uint64_t)s->cfg->message_size_limit) {
		smtp_reply(s, 552, "5.3.4", "Message size exceeds fixed limit");
		goto out;
	}
	strbuf_reset(&s->reply);
	if (s->policy->check_mail) {
		/* The sender is known to the hook, but not yet accepted. */
		int	r;

		s->sender = xstrdup(a.addr.data);
		r = smtp_policy_ask(s, "MAIL", NULL,
		    s->policy->check_mail(s, a.addr.data, &s->reply));
		free(s->sender);
		s->sender = NULL;
		if (r != SMTP_POLICY_ACCEPT) {
			if (r == SMTP_POLICY_PENDING)
				ret = SMTP_CMD_WAIT;
			goto out;
		}
	}
	s->sender = xstrdup(a.addr.data);
	s->smtputf8 = a.smtputf8;
	/* RFC 4954 5: recorded (logged with the queue id), trusted no
	 * further; "<>" says the submitter is not known. */
	if (a.has_auth)
		s->sasl_sender = xstrdup(a.auth.data);
	if (smtp_cleanup_open(s, a.envid.data, a.ret) < 0) {
		smtp_reply(s, 451, "4.3.0", "Error: queue file write error");
		smtp_session_reset(s);
		goto out;
	}
	s->state = SMTP_S_MAIL;
	smtp_reply(s, 250, "2.1.0", "Ok");
	ret = 0;
out:
	smtp_path_args_release(&a);
	return (ret);
}

static int
cmd_rcpt(struct smtp_session *s, struct smtp_cmd *c)
{
	struct smtp_path_args a;
	enum smtp_cmd_err err;
	const char *why;
	int	ret = -1, flags = SMTP_PATH_RCPT;

	if (s->state == SMTP_S_BDAT) {
		smtp_reply(s, 503, "5.5.1", "Error: RCPT after BDAT");
		return (-1);
	}
	if (!(S(s->state) & IN_TX)) {
		smtp_reply(s, 503, "5.5.1", "Error: need MAIL command");
		return (-1);
	}
	if (s->smtputf8)
		flags |= SMTP_PATH_UTF8;
	smtp_path_args_init(&a);
	err = smtp_cmd_parse_path(c->arg, c->arg_len, flags,
	    s->cfg->discard_ehlo, &a, &why);
	if (err != SMTP_CMD_OK) {
		smtp_path_refuse(s, err, flags, &a, why);
		goto out;
	}
	if (s->cfg->recipient_limit > 0
	    && s->nrcpt >= (size_t)s->cfg->recipient_limit) {
		smtp_reply(s, 452, "4.5.3", "Error: too many recipients");
		goto out;
	}
	strbuf_reset(&s->reply);
	if (s->policy->check_rcpt) {
		int	r;

		s->curr_rcpt = a.addr.data;
		r = smtp_policy_ask(s, "RCPT", a.addr.data,
		    s->policy->check_rcpt(s, a.addr.data, &s->reply));
		s->curr_rcpt = NULL;
		if (r != SMTP_POLICY_ACCEPT) {
			if (r == SMTP_POLICY_PENDING)
				ret = SMTP_CMD_WAIT;
			goto out;
		}
	}
	smtp_cleanup_rcpt(s, a.addr.data, a.orcpt.data, a.notify);
	if (s->nrcpt++ == 0)
		s->first_rcpt = xstrdup(a.addr.data);
	s->state = SMTP_S_RCPT;
	smtp_reply(s, 250, "2.1.5", "Ok");
	ret = 0;
out:
	smtp_path_args_release(&a);
	return (ret);
}

static int
cmd_data(struct smtp_session *s, struct smtp_cmd *c)
{
	if (c->arg_len > 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: DATA");
		return (-1);
	}
	if (s->state == SMTP_S_START || s->state == SMTP_S_READY) {
		smtp_reply(s, 503, "5.5.1", "Error: need MAIL command");
		return (-1);
	}
	if (s->state == SMTP_S_BDAT) {		/* RFC 3030 3 */
		smtp_reply(s, 503, "5.5.1", "Error: DATA after BDAT");
		return (-1);
	}
	if (s->state != SMTP_S_RCPT) {
		smtp_reply(s, 503, "5.5.1", "Error: need RCPT command");
		return (-1);
	}
	if (s->policy->check_data) {
		int	r;

		strbuf_reset(&s->reply);
		r = smtp_policy_ask(s, "DATA", NULL,
		    s->policy->check_data(s, &s->reply));
		if (r == SMTP_POLICY_PENDING)
			return (SMTP_CMD_WAIT);
		if (r != SMTP_POLICY_ACCEPT)
			return (-1);
	}
	if (s->cl_state != SMTP_CL_OPEN) {
		log_warn("%s[%s]: cleanup connection lost before DATA",
		    s->client_name, s->client_addr);
		smtp_reply(s, 451, "4.3.0", "Error: queue file write error");
		smtp_session_reset(s);
		return (-1);
	}
	smtp_data_start(s);
	smtp_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	return (0);
}

static int
cmd_rset(struct smtp_session *s, struct smtp_cmd *c)
{
	if (c->arg_len > 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: RSET");
		return (-1);
	}
	smtp_session_reset(s);
	smtp_reply(s, 250, "2.0.0", "Ok");
	return (0);
}

static int
cmd_noop(struct smtp_session *s, struct smtp_cmd *c)
{
	smtp_reply(s, 250, "2.0.0", "Ok");
	return (0);
}

static int
cmd_quit(struct smtp_session *s, struct smtp_cmd *c)
{
	smtp_reply(s, 221, "2.0.0", "Bye");
	smtp_session_close(s);
	return (0);
}

static int
cmd_help(struct smtp_session *s, struct smtp_cmd *c)
{
	smtp_reply(s, 214, "2.0.0", "Commands: HELO EHLO MAIL RCPT DATA RSET"
	    " NOOP QUIT HELP%s", s->cfg->disable_vrfy ? "" : " VRFY");
	return (0);
}

static int
cmd_vrfy(struct smtp_session *s, struct smtp_cmd *c)
{
	if (s->cfg->disable_vrfy || (s->cfg->discard_ehlo & SMTP_EXT_VRFY)) {
		smtp_reply(s, 502, "5.5.1", "VRFY command is disabled");
		return (-1);
	}
	if (c->arg_len == 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: VRFY address");
		return (-1);
	}
	/* Never confirm or deny an address (harvesting); RFC 5321 3.5.3. */
	smtp_reply(s, 252, "2.0.0", "Cannot VRFY user, but will accept"
	    " message and attempt delivery");
	return (0);
}

static int
cmd_http(struct smtp_session *s, struct smtp_cmd *c)
{
	log_warn("non-SMTP command from %s[%s]: %.*s", s->client_name,
	    s->client_addr, (int)(c->line_len > 100 ? 100 : c->line_len), c->line);
	smtp_reply(s, 221, "2.7.0", "Error: I can break rules, too. Goodbye.");
	smtp_session_close(s);
	return (-1);
}

/* EXPN would list a mailing list's members to anyone: never offered. */
static int
cmd_expn(struct smtp_session *s, struct smtp_cmd *c)
{
	smtp_reply(s, 502, "5.5.1", "EXPN command is disabled");
	return (-1);
}

/* ETRN (RFC 1985) needs a per-site queue; tegami has none. */
static int
cmd_etrn(struct smtp_session *s, struct smtp_cmd *c)
{
	smtp_reply(s, 502, "5.5.1", "Error: ETRN is not supported");
	return (-1);
}

static int
cmd_unknown(struct smtp_session *s, struct smtp_cmd *c)
{
	smtp_reply(s, 502, "5.5.2", "Error: command not recognized");
	return (-1);
}

static const struct {
	enum smtp_verb verb;
	int	(*fn)(struct smtp_session *, struct smtp_cmd *);
} smtp_handlers[] = {
	{SMTP_VERB_HELO, cmd_helo},
	{SMTP_VERB_EHLO, cmd_ehlo},
	{SMTP_VERB_MAIL, cmd_mail},
	{SMTP_VERB_RCPT, cmd_rcpt},
	{SMTP_VERB_DATA, cmd_data},
	{SMTP_VERB_RSET, cmd_rset},
	{SMTP_VERB_NOOP, cmd_noop},
	{SMTP_VERB_QUIT, cmd_quit},
	{SMTP_VERB_HELP, cmd_help},
	{SMTP_VERB_VRFY, cmd_vrfy},
	{SMTP_VERB_HTTP, cmd_http},
	{SMTP_VERB_EXPN, cmd_expn},
	{SMTP_VERB_ETRN, cmd_etrn},
	{SMTP_VERB_AUTH, smtp_cmd_auth},	/* smtp_server_auth.c */
	{SMTP_VERB_STARTTLS, smtp_cmd_starttls},
	{SMTP_VERB_BDAT, smtp_cmd_bdat},
};

void
smtp_command(struct smtp_session *s, const char *line, size_t len)
{
	struct smtp_cmd c;
	int	(*fn)(struct smtp_session *, struct smtp_cmd *) = cmd_unknown;
	size_t	i;

	if (smtp_cmd_parse(line, len, &c) != SMTP_CMD_OK) {
		s->cmd_total[c.verb]++;
		s->last_cmd = c.name;
		smtp_reply(s, 500, "5.5.2", "Error: bad character in command");
		return;
	}
	for (i = 0; i < sizeof(smtp_handlers) / sizeof(smtp_handlers[0]); i++)
		if (smtp_handlers[i].verb == c.verb)
			fn = smtp_handlers[i].fn;
	s->last_cmd = c.name;
	/* A command run again after a hook's wake-up was counted already. */
	if (!s->rerun) {
		s->cmd_seq++;
		s->cmd_total[c.verb]++;
		/* A client that only keeps the session busy (Postfix's
		 * smtpd_junk_command_limit): past the limit every junk
		 * command counts as an error, so the hard error limit ends
		 * the session. */
		if ((c.verb == SMTP_VERB_NOOP || c.verb == SMTP_VERB_RSET ||
		    c.verb == SMTP_VERB_VRFY || c.verb == SMTP_VERB_HELP) &&
		    s->cfg->junk_command_limit > 0 &&
		    ++s->junk > s->cfg->junk_command_limit)
			s->errors++;
	}
	switch (fn(s, &c)) {
	case SMTP_CMD_DONE:
		s->cmd_ok[c.verb]++;
		break;
	case SMTP_CMD_WAIT:
		/* A hook went to find out; run the line again on wake-up. */
		if (line != s->pending_line.data) {
			strbuf_reset(&s->pending_line);
			(void)strbuf_append(&s->pending_line, line, len);
		}
		s->waiting = SMTP_W_COMMAND;
		break;
	default:
		break;
	}
}
