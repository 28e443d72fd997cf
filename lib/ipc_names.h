/*
 * lib/ipc_names.h — request and attribute names of every tegami service.
 * The protocols themselves are described in doc/ipc.md; keep them in step.
 */
#ifndef TEGAMI_IPC_NAMES_H
#define TEGAMI_IPC_NAMES_H

/* Every request frame carries IPC_ATTR_REQ. */
#define IPC_ATTR_REQ		"req"

/* ---- cleanup (private/cleanup) -------------------------------------------
 * client -> cleanup, in order:
 *   {req=begin, flags, [client_name, client_addr, helo, protocol, sasl_user,
 *    envid, ret, log_id, full_name, uid], sender}
 *   {req=rcpt, rcpt, [orcpt, notify]}          one per recipient (0 or more)
 *   {req=data, chunk}                          message content, LF line ends,
 *                                               any split, 0 or more frames
 *   {req=end, [flags]}                         flags: CLEANUP_F_HOLD
 * begin's flags: CLEANUP_F_LOCAL, _EXTRACT, _BOUNCE, _SMTPUTF8; envid is
 * xtext-decoded printable text, ret "FULL" or "HDRS", orcpt
 * "addr-type;address" with the address decoded.
 * cleanup -> client: {status, [queue_id], [reason]}
 *   status 0 = queued (queue_id set); 4xx / 5xx = the SMTP code to give, with
 *   reason = "4.3.0 text" (enhanced code first).
 * A client that sends `req=abort` (or disconnects) abandons the message.
 */
#define IPC_REQ_BEGIN		"begin"
#define IPC_REQ_RCPT		"rcpt"
#define IPC_REQ_DATA		"data"
#define IPC_REQ_END		"end"
#define IPC_REQ_ABORT		"abort"

#define IPC_ATTR_FLAGS		"flags"
#define IPC_ATTR_CLIENT_NAME	"client_name"
#define IPC_ATTR_CLIENT_ADDR	"client_addr"
#define IPC_ATTR_HELO		"helo"
#define IPC_ATTR_PROTOCOL	"protocol"	/* SMTP, ESMTP, ESMTPS, ESMTPSA, local */
#define IPC_ATTR_SASL_USER	"sasl_user"
#define IPC_ATTR_ENVID		"envid"
#define IPC_ATTR_RET		"ret"		/* FULL / HDRS */
#define IPC_ATTR_LOG_ID		"log_id"	/* session id for NOQUEUE logs */
#define IPC_ATTR_FULL_NAME	"full_name"	/* sendmail -F, for a missing From: */
#define IPC_ATTR_UID		"uid"		/* the submitting user's uid (local mail) */
#define IPC_ATTR_SENDER		"sender"
#define IPC_ATTR_RCPT		"rcpt"
#define IPC_ATTR_ORCPT		"orcpt"
#define IPC_ATTR_NOTIFY		"notify"	/* DSN_NOTIFY_* bits */
#define IPC_ATTR_CHUNK		"chunk"
#define IPC_ATTR_STATUS		"status"
#define IPC_ATTR_QUEUE_ID	"queue_id"
#define IPC_ATTR_REASON		"reason"

/* cleanup flags */
#define CLEANUP_F_LOCAL		0x01	/* local submission: add missing From/Date/Message-ID,
					 * append $myorigin to bare addresses */
#define CLEANUP_F_EXTRACT	0x02	/* sendmail -t: recipients from To/Cc/Bcc, Bcc removed */
#define CLEANUP_F_BOUNCE	0x04	/* a bounce/notice made by tegami itself */
#define CLEANUP_F_HOLD		0x08	/* in the end frame: place into hold/ */
#define CLEANUP_F_SMTPUTF8	0x10	/* in begin: SMTPUTF8 (RFC 6531) message;
					 * stored in the queue file's flags */

/* DSN NOTIFY bits (RFC 3461) */
#define DSN_NOTIFY_NEVER	0x01
#define DSN_NOTIFY_SUCCESS	0x02
#define DSN_NOTIFY_FAILURE	0x04
#define DSN_NOTIFY_DELAY	0x08

/* ---- delivery agents (private/local, later private/smtp) -------------------
 * qmgr -> agent: {req=deliver, queue_id, queue_file ("active/ID", relative to
 *   queue_directory), sender, nexthop, [transport], then per recipient:
 *   rcpt, orcpt, rcpt_offset (status byte offset in the queue file)}
 * agent -> qmgr: {status=0, then per recipient in request order:
 *   result (0 delivered, 4 deferred, 5 bounced), dsn ("2.0.0"), text}
 * A lost connection means every recipient without a result is deferred.
 */
#define IPC_REQ_DELIVER		"deliver"
#define IPC_ATTR_QUEUE_FILE	"queue_file"
#define IPC_ATTR_NEXTHOP	"nexthop"
#define IPC_ATTR_TRANSPORT	"transport"	/* optional: "virtual" = virtual
						 * mailbox delivery by local */
#define IPC_ATTR_RCPT_OFFSET	"rcpt_offset"
#define IPC_ATTR_RESULT		"result"
#define IPC_ATTR_DSN		"dsn"
#define IPC_ATTR_TEXT		"text"
#define IPC_ATTR_RELAY		"relay"		/* optional, per recipient: the
						 * server tried, host[addr]:port,
						 * for the log (smtp) */
#define IPC_ATTR_TLS		"tls"		/* optional, per recipient: the
						 * TLS of the session that gave
						 * the result, for the log (smtp):
						 * "Verified TLS TLSv1.3 with
						 * cipher X (256/256 bits)" */
/* optional, once per reply: int 1 when the agent could not complete a
 * session with any server of the destination (connection refused or timed
 * out, 4xx greeting, DNS temporary failure).  Only this counts against the
 * destination in qmgr's concurrency feedback and dead-destination cache;
 * a per-recipient 4xx/5xx does not. */
#define IPC_ATTR_SITE_FAIL	"site_fail"

#define DELIVER_OK		0
#define DELIVER_DEFER		4
#define DELIVER_BOUNCE		5

/* ---- showq (public/showq) ---------------------------------------------------
 * client connects and sends {req=list}; showq answers one frame per message
 *   {queue_id, queue_name, size, arrival, sender, rcpt..., rcpt_reason...}
 * (rcpt_reason "" when none) and finally {req=end}.
 */
#define IPC_REQ_LIST		"list"
#define IPC_ATTR_QUEUE_NAME	"queue_name"
#define IPC_ATTR_SIZE		"size"
#define IPC_ATTR_ARRIVAL	"arrival"
#define IPC_ATTR_RCPT_REASON	"rcpt_reason"

/* ---- anvil (private/anvil) --------------------------------------------------
 * One long-lived connection per client process; requests are answered in
 * order, one reply frame each.  ident = "service:client_addr".
 *   {req=connect, ident}     -> {status=0, count, rate}  (count and rate
 *                               include this connection)
 *   {req=disconnect, ident}  -> {status=0}
 *   {req=message, ident}     -> {status=0, rate}         (MAIL FROM)
 *   {req=rcpt, ident}        -> {status=0, rate}         (RCPT TO)
 * status 1 = anvil cannot count (table full): the client does not limit.
 * Rates count events in the current $anvil_rate_time_unit window.  When a
 * client's connection closes, every connection it counted is given back.
 * An unknown request or a malformed frame ends that connection.
 */
#define IPC_REQ_ANVIL_CONNECT	"connect"
#define IPC_REQ_ANVIL_DISCONNECT "disconnect"
#define IPC_REQ_ANVIL_MESSAGE	"message"
#define IPC_REQ_ANVIL_RCPT	"rcpt"
#define IPC_ATTR_IDENT		"ident"
#define IPC_ATTR_COUNT		"count"
#define IPC_ATTR_RATE		"rate"

#define ANVIL_STAT_OK		0
#define ANVIL_STAT_FULL		1

/* ---- auth (private/auth) ----------------------------------------------------
 * One connection per AUTH exchange (submission -> auth).  The auth service
 * checks its peer's uid (SO_PEERCRED) and never trusts the frames.
 * Replies carry auth_status (a string) and are answered in order:
 *   {req=mechs}                        -> {auth_status=ok, mechs="PLAIN LOGIN"}
 *   {req=auth-start, mech, client_addr, tls (0/1), [resp]}
 *       resp: the decoded initial response (bytes; present and empty for
 *       "=", absent when the client gave none)
 *   then zero or more rounds of
 *       auth -> {auth_status=continue, challenge (bytes, to be base64'd)}
 *       client -> {req=auth-step, resp (bytes)} | {req=auth-cancel}
 *   ending with
 *       auth -> {auth_status=ok, user}         the canonical login name
 *             | {auth_status=fail, reason, [delay]}  "535 5.7.8 text", "504 ..."
 *             | {auth_status=tempfail, reason, [delay]} "454 4.7.0 text"
 *   delay (int): seconds the submission side waits before it sends the
 *   failure to the client (failed-login back-off; auth itself never sleeps).
 *   A tempfail "454 4.7.0 Too many failed authentication attempts" means
 *   the client address or user is over auth_failure_limit: disconnect.
 */
#define IPC_REQ_MECHS		"mechs"
#define IPC_REQ_AUTH_START	"auth-start"
#define IPC_REQ_AUTH_STEP	"auth-step"
#define IPC_REQ_AUTH_CANCEL	"auth-cancel"
#define IPC_ATTR_MECH		"mech"
#define IPC_ATTR_MECHS		"mechs"
#define IPC_ATTR_TLS		"tls"
#define IPC_ATTR_RESP		"resp"
#define IPC_ATTR_CHALLENGE	"challenge"
#define IPC_ATTR_USER		"user"
#define IPC_ATTR_AUTH_STATUS	"auth_status"
#define IPC_ATTR_DELAY		"delay"
#define AUTH_STATUS_OK		"ok"
#define AUTH_STATUS_CONTINUE	"continue"
#define AUTH_STATUS_FAIL	"fail"
#define AUTH_STATUS_TEMPFAIL	"tempfail"

#endif
