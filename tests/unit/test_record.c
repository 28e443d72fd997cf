/*
 * tests/unit/test_record.c — lib/record: encoding, round trips through a
 * file (offsets of every record, records larger than the read-ahead
 * window, skipping data), and the reader's verdicts: clean end, truncated
 * at every offset, too long, unknown type.  Files live in memfds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "record.h"
#include "strbuf.h"

static int
mem_file(const void *p, size_t n)
{
	int	fd = memfd_create("rec", 0);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	return fd;
}

static void
test_header_encoding(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb, 100);
	assert_int_equal(rec_put(&sb, 'S', "abc", 3), 0);
	assert_int_equal(sb.len, 8);
	assert_memory_equal(sb.data, "S\0\0\0\3abc", 8);
	assert_int_equal(rec_put(&sb, 'E', NULL, 0), 0);
	assert_memory_equal(sb.data + 8, "E\0\0\0\0", 5);
	/* A record that does not fit leaves the buffer unchanged. */
	assert_int_equal(rec_put(&sb, 'C', "0123456789012345678901234567890123456789"
	    "012345678901234567890123456789012345678901234567890123456789", 100), -1);
	assert_int_equal(sb.len, 13);
	strbuf_release(&sb);
}

static void
test_be_helpers(void **state)
{
	unsigned char b[8];

	(void)state;
	rec_be16_put(b, 0xbeef);
	assert_int_equal(rec_be16_get(b), 0xbeef);
	rec_be32_put(b, 0xdeadbeef);
	assert_int_equal(rec_be32_get(b), 0xdeadbeef);
	assert_int_equal(b[0], 0xde);
	rec_be64_put(b, 0x0123456789abcdefULL);
	assert_true(rec_be64_get(b) == 0x0123456789abcdefULL);
	assert_int_equal(b[7], 0xef);
}

/* Several records, one bigger than the window: types, offsets, data. */
static void
test_round_trip(void **state)
{
	static char big[3 * REC_WINDOW + 17];
	struct strbuf file, data;
	struct rec_reader rd;
	struct rec rec;
	off_t	offs[4];
	int	fd;

	(void)state;
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = 'y';
	strbuf_init(&file, STRBUF_NOLIMIT);
	offs[0] = (off_t)file.len;
	rec_put(&file, 'A', "one", 3);
	offs[1] = (off_t)file.len;
	rec_put(&file, 'B', big, sizeof(big));
	offs[2] = (off_t)file.len;
	rec_put(&file, 'C', "", 0);
	offs[3] = (off_t)file.len;
	rec_put(&file, 'A', "two", 3);
	fd = mem_file(file.data, file.len);

	strbuf_init(&data, sizeof(big));
	rec_reader_init(&rd, fd, 0, sizeof(big), "ABC");
	assert_int_equal(rec_next(&rd, &rec, &data), REC_OK);
	assert_int_equal(rec.type, 'A');
	assert_int_equal(rec.off, offs[0]);
	assert_int_equal(rec.data_off, offs[0] + REC_HDR_LEN);
	assert_string_equal(data.data, "one");
	assert_int_equal(rec_next(&rd, &rec, &data), REC_OK);
	assert_int_equal(rec.type, 'B');
	assert_int_equal(rec.off, offs[1]);
	assert_int_equal(data.len, sizeof(big));
	assert_memory_equal(data.data, big, sizeof(big));
	assert_int_equal(rec_next(&rd, &rec, &data), REC_OK);
	assert_int_equal(rec.type, 'C');
	assert_int_equal(data.len, 0);
	assert_int_equal(rec_next(&rd, &rec, &data), REC_OK);
	assert_int_equal(rec.off, offs[3]);
	assert_string_equal(data.data, "two");
	assert_int_equal(rec_next(&rd, &rec, &data), REC_EOF);
	assert_int_equal(rec_next(&rd, &rec, &data), REC_EOF);

	/* Skipping: same records, no data, same offsets. */
	rec_reader_init(&rd, fd, offs[1], sizeof(big), NULL);
	assert_int_equal(rec_next(&rd, &rec, NULL), REC_OK);
	assert_int_equal(rec.len, sizeof(big));
	assert_int_equal(rec_next(&rd, &rec, NULL), REC_OK);
	assert_int_equal(rec.off, offs[2]);
	close(fd);
	strbuf_release(&file);
	strbuf_release(&data);
}

/* Every proper prefix of a file ends in REC_TRUNC or a clean REC_EOF at a
 * record boundary, with or without reading data. */
static void
test_truncate_everywhere(void **state)
{
	static char big[REC_WINDOW + 5];
	struct strbuf file, data;
	struct rec_reader rd;
	struct rec rec;
	size_t	cut, boundaries[4], nb = 0, i;
	int	fd, st, skip, at_boundary;

	(void)state;
	memset(big, 'z', sizeof(big));
	strbuf_init(&file, STRBUF_NOLIMIT);
	boundaries[nb++] = file.len;
	rec_put(&file, 'A', "hello", 5);
	boundaries[nb++] = file.len;
	rec_put(&file, 'B', big, sizeof(big));
	boundaries[nb++] = file.len;
	rec_put(&file, 'E', NULL, 0);
	boundaries[nb++] = file.len;
	strbuf_init(&data, sizeof(big));
	for (skip = 0; skip < 2; skip++) {
		for (cut = 0; cut <= file.len; cut++) {
			fd = mem_file(file.data, cut);
			rec_reader_init(&rd, fd, 0, sizeof(big), NULL);
			while ((st = rec_next(&rd, &rec, skip ? NULL : &data)) == REC_OK)
				;
			at_boundary = 0;
			for (i = 0; i < nb; i++)
				at_boundary |= boundaries[i] == cut;
			if (st != (at_boundary ? REC_EOF : REC_TRUNC))
				fail_msg("cut %zu skip %d: got %d want %d", cut, skip,
				    st, at_boundary ? REC_EOF : REC_TRUNC);
			close(fd);
		}
	}
	strbuf_release(&file);
	strbuf_release(&data);
}

struct verdict_case {
	const char *label;
	const char *bytes;
	size_t	len;
	size_t	max;
	const char *types;
	int	want;
};

static const struct verdict_case verdict_cases[] = {
	{"empty file", "", 0, 10, NULL, REC_EOF},
	{"one byte", "A", 1, 10, NULL, REC_TRUNC},
	{"header only", "A\0\0\0\1", 5, 10, NULL, REC_TRUNC},
	{"at limit", "A\0\0\0\3abc", 8, 3, NULL, REC_OK},
	{"over limit", "A\0\0\0\4abcd", 9, 3, NULL, REC_TOOLONG},
	{"huge length", "A\377\377\377\377", 5, 1 << 20, NULL, REC_TOOLONG},
	{"bad type", "Z\0\0\0\0", 5, 10, "AB", REC_BADTYPE},
	{"NUL type", "\0\0\0\0\0", 5, 10, "AB", REC_BADTYPE},
	{"accepted type", "B\0\0\0\0", 5, 10, "AB", REC_OK},
};

static void
test_verdicts(void **state)
{
	struct strbuf data;
	struct rec_reader rd;
	struct rec rec;
	size_t	i;
	int	fd, got, skip;

	(void)state;
	strbuf_init(&data, 1 << 20);
	for (i = 0; i < sizeof(verdict_cases) / sizeof(verdict_cases[0]); i++) {
		const struct verdict_case *c = &verdict_cases[i];

		for (skip = 0; skip < 2; skip++) {
			fd = mem_file(c->bytes, c->len);
			rec_reader_init(&rd, fd, 0, c->max, c->types);
			got = rec_next(&rd, &rec, skip ? NULL : &data);
			if (got != c->want)
				fail_msg("%s (skip %d): got %d (%s) want %d", c->label,
				    skip, got, rec_status_str(got), c->want);
			/* A failed read does not move the reader. */
			if (got != REC_OK)
				assert_int_equal(rd.off, 0);
			close(fd);
		}
	}
	strbuf_release(&data);
}

static void
test_write_fd(void **state)
{
	struct strbuf data;
	struct rec_reader rd;
	struct rec rec;
	int	fd = memfd_create("rec", 0);

	(void)state;
	assert_int_equal(rec_write(fd, 'X', "data", 4), 0);
	assert_int_equal(rec_write(fd, 'Y', NULL, 0), 0);
	strbuf_init(&data, 100);
	rec_reader_init(&rd, fd, 0, 100, "XY");
	assert_int_equal(rec_next(&rd, &rec, &data), REC_OK);
	assert_string_equal(data.data, "data");
	assert_int_equal(rec_next(&rd, &rec, &data), REC_OK);
	assert_int_equal(rec.type, 'Y');
	assert_int_equal(rec_next(&rd, &rec, &data), REC_EOF);
	assert_int_equal(rec_write(-1, 'X', "a", 1), -1);
	strbuf_release(&data);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_encoding),
		cmocka_unit_test(test_be_helpers),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_truncate_everywhere),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_write_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
