/*
 * lib/smtp_reply.c — SMTP replies with enhanced status codes.
 *
 * Formats replies for lib/smtp_server*.c and checks replies given as text
 * by policy hooks and by cleanup, which are peers we do not fully trust:
 * a malformed reply text must not reach the client as a broken reply (or
 * as an injected second reply line), so it is replaced by a generic 451.
 * Errors are returned; nothing is logged here.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "smtp_reply.h"

#define SMTP_REPLY_FALLBACK	"451 4.3.0 Error: internal error"

/* Append the lines of text, each with the code and esc prefix. */
static int
smtp_reply_lines(struct strbuf *out, int code, const char *esc,
	    const char *text)
{
	const char *nl;
	size_t	n;

	for (;;) {
		nl = strchr(text, '\n');
		n = nl ? (size_t)(nl - text) : strlen(text);
		if (strbuf_printf(out, "%03d%c", code, nl ? '-' : ' ') < 0)
			return (-1);
		if (esc && *esc && strbuf_printf(out, "%s ", esc) < 0)
			return (-1);
		if (strbuf_append(out, text, n) < 0
		    || strbuf_append(out, "\r\n", 2) < 0)
			return (-1);
		if (nl == NULL)
			return (0);
		text = nl + 1;
	}
}

int
smtp_reply_format(struct strbuf *out, int code, const char *esc,
	    const char *fmt, ...)
{
	struct strbuf text;
	va_list	ap;
	int	ret;

	strbuf_init(&text, 4096);
	va_start(ap, fmt);
	ret = strbuf_vprintf(&text, fmt, ap);
	va_end(ap);
	/* Never put a CR into a reply: lines are split at '\n' only. */
	for (size_t i = 0; i < text.len; i++)
		if (text.data[i] == '\r' || text.data[i] == '\0')
			text.data[i] = ' ';
	if (ret == 0)
		ret = smtp_reply_lines(out, code, esc, text.data);
	strbuf_release(&text);
	return (ret);
}

int
smtp_reply_check(const char *text, int *code)
{
	const char *p = text;
	int	i;

	for (i = 0; i < 3; i++)
		if (!isdigit((unsigned char)p[i]))
			return (-1);
	if (p[0] < '2' || p[0] > '5' || p[3] != ' ')
		return (-1);
	/* Enhanced code: class.subject.detail, class equal to the reply's. */
	if (p[4] != p[0] || p[5] != '.')
		return (-1);
	p += 6;
	for (i = 0; i < 2; i++) {
		if (!isdigit((unsigned char)*p))
			return (-1);
		while (isdigit((unsigned char)*p))
			p++;
		if (i == 0 && *p++ != '.')
			return (-1);
	}
	if (*p != ' ' && *p != '\0')
		return (-1);
	if (strpbrk(text, "\r\n") != NULL)
		return (-1);
	if (code)
		*code = (text[0] - '0') * 100 + (text[1] - '0') * 10
		    + (text[2] - '0');
	return (0);
}

int
smtp_reply_text(struct strbuf *out, const char *text)
{
	if (smtp_reply_check(text, NULL) < 0) {
		(void)strbuf_printf(out, "%s\r\n", SMTP_REPLY_FALLBACK);
		return (-1);
	}
	return (strbuf_printf(out, "%s\r\n", text));
}
