/*
 * lib/record.h — typed, length-prefixed records (doc/queue-format.md).
 *
 * A record is one type byte, a 4-byte big-endian data length, then the
 * data.  Writers append records to a strbuf or write them to an fd; the
 * reader walks a file with pread(2) from a given offset, through its own
 * read-ahead window, and reports every record's file offset so that a
 * caller (lib/qfile.c) can later update a byte in place.  Input is
 * untrusted: the reader tells a clean end from a truncated record, a record
 * longer than the caller's limit and a type the caller does not accept.
 * Nothing here logs or exits; errors are returned.
 */
#ifndef TEGAMI_RECORD_H
#define TEGAMI_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "strbuf.h"

#define REC_HDR_LEN	5		/* type + u32 length */
#define REC_LEN_MAX	0xffffffffu	/* what the length field can say */
#define REC_WINDOW	16384		/* reader's read-ahead window */

/* Results of rec_next(). */
enum rec_status {
	REC_OK = 1,		/* a whole record */
	REC_EOF = 0,		/* clean end: no byte left at a record boundary */
	REC_TRUNC = -1,		/* the file ends inside a record */
	REC_TOOLONG = -2,	/* length field above the reader's limit */
	REC_BADTYPE = -3,	/* type byte not in the accepted set */
	REC_IOERR = -4,		/* pread failed (errno set) */
};

/* One record as the reader found it. */
struct rec {
	int	type;		/* the type byte, 0..255 */
	off_t	off;		/* file offset of the record header */
	off_t	data_off;	/* file offset of the data (off + REC_HDR_LEN) */
	size_t	len;		/* data length */
};

struct rec_reader {
	int	fd;
	off_t	off;		/* offset of the next record */
	size_t	max;		/* largest data length accepted */
	const char *types;	/* accepted type bytes (borrowed), NULL = any */
	off_t	win_off;	/* file offset of win[0] */
	size_t	win_len;	/* valid bytes in win */
	unsigned char win[REC_WINDOW];
};

/* Append one record to out. 0, or -1 when out's max would be passed or
 * len does not fit the length field (out unchanged). */
int	rec_put(struct strbuf *out, int type, const void *data, size_t len);

/* Write one record to fd (whole, retrying short writes and EINTR).
 * 0 / -1 with errno. */
int	rec_write(int fd, int type, const void *data, size_t len);

/* Encode a record header into hdr. */
void	rec_header(unsigned char hdr[REC_HDR_LEN], int type, uint32_t len);

/* Start reading fd at offset off; records longer than max are REC_TOOLONG;
 * `types` (kept, not copied) lists accepted type bytes, NULL accepts all. */
void	rec_reader_init(struct rec_reader *r, int fd, off_t off, size_t max,
	    const char *types);

/*
 * Read the next record: REC_OK with *rec filled and the data in `data`
 * (replaced; NUL-terminated by strbuf), or a rec_status <= 0.  With data ==
 * NULL the data is skipped, but the reader still checks that the file holds
 * all of it.  After a result other than REC_OK the reader stays where it is.
 * `data`'s own max must be at least the reader's max.
 */
int	rec_next(struct rec_reader *r, struct rec *rec, struct strbuf *data);

/* A short static text for a rec_status ("truncated record", ...). */
const char *rec_status_str(int status);

/* Big-endian helpers shared by the record users. */
void	rec_be16_put(unsigned char *p, uint16_t v);
void	rec_be32_put(unsigned char *p, uint32_t v);
void	rec_be64_put(unsigned char *p, uint64_t v);
uint16_t rec_be16_get(const unsigned char *p);
uint32_t rec_be32_get(const unsigned char *p);
uint64_t rec_be64_get(const unsigned char *p);

#endif
