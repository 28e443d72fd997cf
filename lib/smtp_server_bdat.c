/*
 * lib/smtp_server_bdat.c — BDAT (RFC 3030 CHUNKING) for the SMTP server
 * engine.
 *
 * "BDAT size [LAST]" is followed by exactly `size` bytes of content, which
 * the input loop hands to lib/dotdata.c in BDAT mode (smtp_server_data.c);
 * the content streams to cleanup like DATA's, so many tiny chunks cost no
 * more memory than one big one.  A refused chunk is still read and thrown
 * away (skip mode), because its bytes are not commands; every refusal ends
 * the transaction through the one reset routine (RFC 3030 2: after an
 * error the client sends no more chunks of this message), so after the
 * skip the session is back in READY (or START before HELO).  Only a size
 * that does not parse ends the session: the stream cannot be followed any
 * more.  Input is untrusted; never fatal.
 */
#include <inttypes.h>

#include "log.h"
#include "smtp_server_int.h"

int
smtp_bdat_offer(const struct smtp_session *s)
{
	return (!(s->cfg->discard_ehlo & SMTP_EXT_CHUNKING));
}

/* The chunk's reply is given: end the transaction if asked, then read and
 * discard the chunk's bytes before the next command. */
static int
smtp_bdat_refuse(struct smtp_session *s, uint64_t size, int reset)
{
	if (reset)
		smtp_session_reset(s);
	if (size > 0) {
		dotdata_skip(&s->dd, size);
		s->state = SMTP_S_DATA;
	}
	return (SMTP_CMD_REFUSED);
}

/* Where BDAT may not come now: the 503 and the skip. */
static int
smtp_bdat_order(struct smtp_session *s, uint64_t size)
{
	switch (s->state) {
	case SMTP_S_START:
		smtp_reply(s, 503, "5.5.1", "Error: send HELO/EHLO first");
		return (smtp_bdat_refuse(s, size, 0));
	case SMTP_S_READY:
		smtp_reply(s, 503, "5.5.1", "Error: need MAIL command");
		return (smtp_bdat_refuse(s, size, 0));
	default:
		smtp_reply(s, 503, "5.5.1", "Error: need RCPT command");
		return (smtp_bdat_refuse(s, size, 1));
	}
}

/* The first chunk: the check_data hook (asked before anything changes, so
 * that a PENDING answer can run this command again), then the Received:
 * header.  SMTP_CMD_DONE when the chunk may be read. */
static int
smtp_bdat_first(struct smtp_session *s, uint64_t size)
{
	int	r;

	/* The chunk's bytes follow BDAT by design (RFC 3030 3): they are no
	 * improper pipelining (reject_unauth_pipelining at this stage). */
	s->pipelined = 0;
	if (s->policy->check_data) {
		strbuf_reset(&s->reply);
		r = smtp_policy_ask(s, "BDAT", NULL,
		    s->policy->check_data(s, &s->reply));
		if (r == SMTP_POLICY_PENDING)
			return (SMTP_CMD_WAIT);	/* chunk bytes stay unread */
		if (r != SMTP_POLICY_ACCEPT)
			return (smtp_bdat_refuse(s, size, 1));
	}
	if (s->cl_state == SMTP_CL_OPEN)
		smtp_data_start_chunks(s);
	return (SMTP_CMD_DONE);
}

int
smtp_cmd_bdat(struct smtp_session *s, struct smtp_cmd *c)
{
	uint64_t size, limit = (uint64_t)s->cfg->message_size_limit;
	int	last, r;

	if (smtp_cmd_parse_bdat(c->arg, c->arg_len, &size, &last) != SMTP_CMD_OK) {
		/* Without the size the chunk cannot be told from the commands
		 * after it: reading on would run message text as commands. */
		log_warn("%s[%s]: malformed BDAT command: %.*s", s->client_name,
		    s->client_addr, (int)(c->line_len > 100 ? 100 : c->line_len),
		    c->line);
		smtp_reply(s, 521, "5.5.4", "Syntax: BDAT count [LAST]");
		smtp_session_close(s);
		return (SMTP_CMD_REFUSED);
	}
	if (!smtp_bdat_offer(s)) {
		/* Not announced (smtpd_discard_ehlo_keywords): refused like
		 * any failed BDAT, transaction and chunk included. */
		smtp_reply(s, 502, "5.5.1", "Error: command not implemented");
		return (smtp_bdat_refuse(s, size, 1));
	}
	if (s->state != SMTP_S_RCPT && s->state != SMTP_S_BDAT)
		return (smtp_bdat_order(s, size));
	if (size == 0 && !last) {
		/* A loop of empty chunks would keep a session busy forever. */
		smtp_reply(s, 551, "5.7.1", "Null BDAT request");
		return (smtp_bdat_refuse(s, 0, 1));
	}
	/* SIZE (RFC 1870) for BDAT: the announced octets, before any is read. */
	if (limit > 0 && (size > limit || s->dd.octets > limit - size)) {
		log_warn("%s[%s]: BDAT chunk of %" PRIu64 " octets exceeds the"
		    " message size limit", s->client_name, s->client_addr, size);
		smtp_reply(s, 552, "5.3.4", "Chunk exceeds message size limit");
		return (smtp_bdat_refuse(s, size, 1));
	}
	if (s->state == SMTP_S_RCPT
	    && (r = smtp_bdat_first(s, size)) != SMTP_CMD_DONE)
		return (r);
	if (s->cl_state != SMTP_CL_OPEN) {
		log_warn("%s[%s]: cleanup connection lost before BDAT",
		    s->client_name, s->client_addr);
		smtp_reply(s, 451, "4.3.0", "Error: queue file write error");
		return (smtp_bdat_refuse(s, size, 1));
	}
	dotdata_chunk(&s->dd, size, last);
	if (size > 0) {
		s->state = SMTP_S_DATA;		/* the input loop reads it */
		return (SMTP_CMD_DONE);
	}
	/* "BDAT 0 LAST": the message is complete now.  Counted here, since
	 * the end of data may already count a failure against it. */
	s->cmd_ok[SMTP_VERB_BDAT]++;
	smtp_data_end(s);
	return (SMTP_CMD_REFUSED);	/* not counted a second time */
}
