/*
 * lib/smtp_reply.h — SMTP replies with enhanced status codes (RFC 3463).
 *
 * Every reply tegami's SMTP servers send goes through here, so each one has
 * a three-digit code, an enhanced code whose class matches, and CRLF line
 * ends; a text with '\n' becomes a multi-line reply ("250-..." lines).
 * Policy hooks hand replies around as one-line text "554 5.7.1 reason";
 * smtp_reply_check() validates that shape.  Never fatal.
 */
#ifndef TEGAMI_SMTP_REPLY_H
#define TEGAMI_SMTP_REPLY_H

#include "strbuf.h"

/* Append "CODE ESC text\r\n" to out (multi-line when text has '\n'; esc
 * may be NULL for 220/221/250-HELO style replies without one).
 * -1 when out's maximum would be passed. */
int	smtp_reply_format(struct strbuf *out, int code, const char *esc,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Append a reply given as one text "CODE ESC text" (a hook's reply) with
 * CRLF.  A text that is not of that shape is replaced by
 * "451 4.3.0 Error: internal error" (and -1 returned). */
int	smtp_reply_text(struct strbuf *out, const char *text);

/* Is text "DDD D.D.D text" with the same first digit in both codes, and
 * free of CR/LF?  On success *code receives the three-digit code. */
int	smtp_reply_check(const char *text, int *code);

#endif
