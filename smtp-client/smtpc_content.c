/*
 * smtp-client/smtpc_content.c — the message content on its way out.
 *
 * Reads the queue file's content records in order and writes them with
 * CRLF line ends: dot-stuffed and ended by "." for DATA (RFC 5321 4.5.2),
 * or in BDAT chunks, the last one marked LAST (RFC 3030).  When the server
 * does not announce 8BITMIME and the content has 8-bit bytes, the content
 * goes through lib/mime_conv.c (quoted-printable) unless
 * disable_mime_output_conversion is set.  Output is produced while the
 * connection's output buffer is below its mark, so a large message costs
 * a bounded amount of memory.  A corrupt queue file is an error for the
 * caller (s->why), never fatal.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mime_conv.h"
#include "smtpc_sess.h"

#define BDAT_CHUNK	(64 * 1024)
#define OUT_MARK	(128 * 1024)

int
smtpc_content_8bit(struct smtpc_msg *msg)
{
	struct strbuf chunk, why;
	off_t off = msg->env->content_off;
	int rc, found = 0;
	size_t i;

	if (msg->eightbit >= 0)
		return msg->eightbit;
	strbuf_init(&chunk, STRBUF_NOLIMIT);
	strbuf_init(&why, 1024);
	while (!found && (rc = qfile_read_content(msg->qfd, &off, &chunk, &why)) > 0)
		for (i = 0; i < chunk.len; i++)
			if ((unsigned char)chunk.data[i] >= 0x80) {
				found = 1;
				break;
			}
	strbuf_release(&chunk);
	strbuf_release(&why);
	/* A corrupt file is found (and reported) when the content is sent. */
	msg->eightbit = found;
	return found;
}

void
smtpc_content_begin(struct smtpc_sess *s)
{
	s->coff = s->msg->env->content_off;
	s->cdone = 0;
	s->bol = 1;
	strbuf_init(&s->chunk, STRBUF_NOLIMIT);
	strbuf_init(&s->conv, STRBUF_NOLIMIT);
	if (!s->feat.eightbitmime && !var_disable_mime_oconv &&
	    smtpc_content_8bit(s->msg) == 1)
		s->mime = mime_conv_new();
	s->state = ST_CONTENT;
	smtpc_conn_want_write(s, 1);
}

void
smtpc_content_end(struct smtpc_sess *s)
{
	mime_conv_free(s->mime);
	s->mime = NULL;
	strbuf_release(&s->chunk);
	strbuf_release(&s->conv);
}

/* LF -> CRLF, and for DATA a leading "." doubled, into out. */
static void
encode(struct smtpc_sess *s, const char *p, size_t n, struct strbuf *out)
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		if (s->bol && p[i] == '.' && !s->use_bdat) {
			strbuf_append(out, p + start, i - start);
			strbuf_append_char(out, '.');
			start = i;
		}
		if (p[i] == '\n') {
			strbuf_append(out, p + start, i - start);
			strbuf_append_str(out, "\r\n");
			start = i + 1;
		}
		s->bol = p[i] == '\n';
	}
	strbuf_append(out, p + start, n - start);
}

static void
bdat_send(struct smtpc_sess *s, const struct strbuf *data, int last)
{
	smtpc_conn_printf(s, "BDAT %zu%s\r\n", data->len, last ? " LAST" : "");
	smtpc_conn_write(s, data->data, data->len);
	s->bdat_wait++;
}

int
smtpc_content_more(struct smtpc_sess *s)
{
	struct strbuf out;
	int rc;

	if (s->cdone)
		return 1;
	strbuf_init(&out, STRBUF_NOLIMIT);
	while (smtpc_conn_pending(s) < OUT_MARK) {
		rc = qfile_read_content(s->msg->qfd, &s->coff, &s->chunk, &s->why);
		if (rc < 0) {
			strbuf_set_printf(&s->chunk, "corrupt queue file: %s",
			    s->why.data);
			strbuf_set_str(&s->why, s->chunk.data);
			strbuf_release(&out);
			return -1;
		}
		if (s->mime != NULL) {
			strbuf_reset(&s->conv);
			if (rc > 0)
				mime_conv_feed(s->mime, s->chunk.data, s->chunk.len,
				    &s->conv);
			else
				mime_conv_finish(s->mime, &s->conv);
			encode(s, s->conv.data, s->conv.len, &out);
		} else
		if (rc > 0) {
			encode(s, s->chunk.data, s->chunk.len, &out);
		}
		if (rc == 0) {
			if (!s->bol)
				strbuf_append_str(&out, "\r\n");
			if (s->use_bdat) {
				bdat_send(s, &out, 1);
			} else {
				strbuf_append_str(&out, ".\r\n");
				smtpc_conn_write(s, out.data, out.len);
			}
			s->cdone = 1;
			strbuf_release(&out);
			return 1;
		}
		if (s->use_bdat) {
			if (out.len >= BDAT_CHUNK) {
				bdat_send(s, &out, 0);
				strbuf_reset(&out);
			}
		} else {
			smtpc_conn_write(s, out.data, out.len);
			strbuf_reset(&out);
		}
	}
	/* BDAT: what is gathered goes as a (shorter) chunk of its own. */
	if (s->use_bdat && out.len > 0)
		bdat_send(s, &out, 0);
	strbuf_release(&out);
	return 0;
}
