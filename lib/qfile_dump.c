/*
 * lib/qfile_dump.c — print a queue file in readable form (like postcat).
 *
 * Used by `tegami qdump FILE` and by golden-file tests of cleanup.  Every
 * record is printed as `type: value` in file order, content as the message
 * text between markers; names and addresses are escaped so that a hostile
 * file cannot write control characters to a terminal.  Printing stops at
 * the first record that does not parse; afterwards the whole file is
 * checked with qfile_read_envelope() and its verdict is the result.
 * Errors are returned with a reason; nothing here logs.
 */
#include <stdlib.h>
#include <string.h>

#include "qfile.h"
#include "record.h"

/* Print bytes with C-style escapes for anything not printable ASCII. */
static void
put_escaped(FILE *out, const char *p, size_t n)
{
	size_t	i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '\\')
			fputs("\\\\", out);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, out);
		else
			fprintf(out, "\\%03o", c);
	}
}

/* Message text: printable bytes, tab and newline as they are. */
static void
put_content(FILE *out, const char *p, size_t n)
{
	size_t	i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c == '\n' || c == '\t' || c >= 0x20)
			fputc(c, out);
		else
			fprintf(out, "\\%03o", c);
	}
}

static void
dump_rcpt(FILE *out, const struct strbuf *d)
{
	const unsigned char *p = (const unsigned char *)d->data;
	size_t	alen, olen;

	if (d->len < 6 || (alen = rec_be16_get(p + 2)) + 6 > d->len ||
	    (olen = rec_be16_get(p + 4 + alen)) + alen + 6 != d->len) {
		fputs("recipient: (malformed)\n", out);
		return;
	}
	fputs("recipient: ", out);
	put_escaped(out, (const char *)p + 4, alen);
	fprintf(out, " status=%s notify=%u",
	    p[0] == QF_RCPT_DONE ? "done" : p[0] == QF_RCPT_PENDING ? "pending" :
	    "bad", p[1]);
	if (olen > 0) {
		fputs(" orcpt=", out);
		put_escaped(out, (const char *)p + 6 + alen, olen);
	}
	fputc('\n', out);
}

static void
dump_env_rec(FILE *out, const struct rec *rec, const struct strbuf *d)
{
	const unsigned char *p = (const unsigned char *)d->data;
	const char *nul;

	switch (rec->type) {
	case QREC_VERSION:
		fputs("version: ", out);
		put_escaped(out, d->data, d->len >= 4 ? d->len - 4 : d->len);
		if (d->len >= 4)
			fprintf(out, " %u", rec_be32_get(p + d->len - 4));
		fputc('\n', out);
		break;
	case QREC_ARRIVAL:
		if (d->len == 8)
			fprintf(out, "arrival: %lld\n", (long long)rec_be64_get(p));
		else
			fputs("arrival: (malformed)\n", out);
		break;
	case QREC_FLAGS:
		if (d->len == 4)
			fprintf(out, "flags: 0x%x\n", rec_be32_get(p));
		else
			fputs("flags: (malformed)\n", out);
		break;
	case QREC_SENDER:
		fputs("sender: ", out);
		put_escaped(out, d->data, d->len);
		fputc('\n', out);
		break;
	case QREC_RCPT:
		dump_rcpt(out, d);
		break;
	case QREC_ATTR:
		nul = memchr(d->data, 0, d->len);
		fputs("attr: ", out);
		put_escaped(out, d->data, nul ? (size_t)(nul - d->data) : d->len);
		fputc('=', out);
		if (nul)
			put_escaped(out, nul + 1, d->len - (size_t)(nul - d->data) - 1);
		fputc('\n', out);
		break;
	}
}

/* The record loop; returns the final rec_next status or 0 after E. */
static int
dump_records(int fd, FILE *out, struct strbuf *d)
{
	struct rec_reader *rd = xmalloc(sizeof(*rd));
	struct rec rec;
	int	in_content = 0, ends_nl = 1, st;

	rec_reader_init(rd, fd, 0, QFILE_REC_MAX, QREC_TYPES);
	fputs("*** ENVELOPE RECORDS ***\n", out);
	while ((st = rec_next(rd, &rec, d)) == REC_OK) {
		if (rec.type == QREC_CONTENT && !in_content) {
			fputs("*** MESSAGE CONTENTS ***\n", out);
			in_content = 1;
		} else if (rec.type != QREC_CONTENT && in_content) {
			if (!ends_nl)	/* keep the marker on its own line */
				fputc('\n', out);
			in_content = 0;
			if (rec.type != QREC_END)
				fputs("*** ENVELOPE RECORDS (after content) ***\n", out);
		}
		if (rec.type == QREC_CONTENT) {
			put_content(out, d->data, d->len);
			if (d->len > 0)
				ends_nl = d->data[d->len - 1] == '\n';
		}
		else if (rec.type == QREC_END) {
			fputs("*** END OF MESSAGE ***\n", out);
			st = 0;
			break;
		} else
			dump_env_rec(out, &rec, d);
	}
	free(rd);
	return st;
}

int
qfile_dump(int fd, FILE *out, struct strbuf *why)
{
	struct qfile_env *env;
	struct strbuf d;
	int	st;

	strbuf_init(&d, QFILE_REC_MAX);
	st = dump_records(fd, out, &d);
	strbuf_release(&d);
	if (st < 0)
		fprintf(out, "*** %s ***\n", rec_status_str(st));
	if (qfile_read_envelope(fd, &env, why) < 0)
		return -1;
	qfile_env_free(env);
	return 0;
}
