/*
 * tests/unit/test_addr.c — RFC 5321 path and mailbox parsing: a table of
 * good and bad paths, the limits, SMTPUTF8, addr_split, addr_quote_local,
 * and the public isemail test set (Dominic Sayers, is_email 3.05) read at
 * run time from $TEGAMI_SRCDIR/../shared/testdata/isemail/tests.xml (or
 * ../shared/... from the current directory).  A missing file is a failure.
 *
 * isemail category -> what an RFC 5321 parser must do:
 *   ISEMAIL_VALID_CATEGORY  valid                         -> accept
 *   ISEMAIL_DNSWARN         valid syntax, DNS warnings     -> accept (no DNS here)
 *   ISEMAIL_RFC5321         valid in RFC 5321 (quoted local part, address
 *                           literal, TLD-only or numeric domain) -> accept
 *   ISEMAIL_RFC5322         only valid in RFC 5322 (domain literals that are
 *                           not address literals, over-long parts) -> reject
 *   ISEMAIL_DEPREC          obsolete RFC 5322 syntax (quoted-pairs of control
 *                           characters, "a"."b" local parts, "::" standing for
 *                           one group)                      -> reject
 *   ISEMAIL_CFWS            comments and folding white space, RFC 5322 only
 *                                                           -> reject
 *   ISEMAIL_ERR             invalid everywhere              -> reject
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "strbuf.h"

struct path_case {
	const char *in;
	size_t	len;		/* 0: strlen(in) */
	int	flags;
	const char *want;	/* stored mailbox, or NULL: must fail */
	size_t	consumed;	/* when want != NULL; 0: don't check */
	const char *why;	/* when want == NULL; NULL: don't check */
};

#define NUL_OK	ADDR_F_NULL_OK
#define NOBR	ADDR_F_NO_BRACKETS
#define LOCOK	ADDR_F_LOCAL_OK
#define U8	ADDR_F_UTF8

static const struct path_case path_cases[] = {
	{ "<a@b.c>", 0, 0, "a@b.c", 7, NULL },
	{ "<A.b-c+d@EXAMPLE.Com> SIZE=10", 0, 0, "A.b-c+d@example.com", 21, NULL },
	{ "<@r1.x,@r2.y:u@d.e>", 0, 0, "u@d.e", 19, NULL },
	{ "<@[1.2.3.4]:u@d.e>", 0, 0, "u@d.e", 0, NULL },
	{ "<>", 0, NUL_OK, "", 2, NULL },
	{ "<> BODY=8BITMIME", 0, NUL_OK, "", 2, NULL },
	{ "<\"a b\"@x.y>", 0, 0, "\"a b\"@x.y", 0, NULL },
	{ "<\"a\\\"b\\\\\"@x.y>", 0, 0, "\"a\\\"b\\\\\"@x.y", 0, NULL },
	{ "<\"\"@x.y>", 0, 0, "\"\"@x.y", 0, NULL },
	{ "<u@[127.0.0.1]>", 0, 0, "u@[127.0.0.1]", 0, NULL },
	{ "<u@[ipv6:2001:DB8::1]>", 0, 0, "u@[IPv6:2001:db8::1]", 0, NULL },
	{ "<u@[IPv6:::ffff:1.2.3.4]>", 0, 0, "u@[IPv6:::ffff:1.2.3.4]", 0, NULL },
	{ "<postmaster>", 0, LOCOK, "postmaster", 12, NULL },
	{ "<Postmaster@Localhost>", 0, 0, "Postmaster@localhost", 0, NULL },
	{ "a@b.c SIZE=1", 0, NOBR, "a@b.c", 5, NULL },
	{ "a@b.c", 0, NOBR, "a@b.c", 5, NULL },
	{ "<a@b.c>", 0, NOBR, "a@b.c", 7, NULL },
	{ "<1@2.3>", 0, 0, "1@2.3", 0, NULL },
	{ "<x@a-b.c--d.e>", 0, 0, "x@a-b.c--d.e", 0, NULL },
	{ "<j\xc3\xb6rg@B\xc3\xbc" "cher.de>", 0, U8, "j\xc3\xb6rg@b\xc3\xbc" "cher.de", 0, NULL },
	{ "<\"\xe2\x82\xac x\"@a.b>", 0, U8, "\"\xe2\x82\xac x\"@a.b", 0, NULL },

	{ "<>", 0, 0, NULL, 0, "null address not allowed" },
	{ "a@b.c", 0, 0, NULL, 0, "address must be enclosed in <>" },
	{ "", 0, 0, NULL, 0, NULL },
	{ "<", 0, 0, NULL, 0, NULL },
	{ "<a@b.c", 0, 0, NULL, 0, "missing '>' after address" },
	{ "<a@b.c >", 0, 0, NULL, 0, NULL },
	{ "< a@b.c>", 0, 0, NULL, 0, NULL },
	{ "<a@b..c>", 0, 0, NULL, 0, "bad domain syntax" },
	{ "<.a@b>", 0, 0, NULL, 0, NULL },
	{ "<a.@b>", 0, 0, NULL, 0, NULL },
	{ "<a..b@c>", 0, 0, NULL, 0, NULL },
	{ "<@b.c>", 0, 0, NULL, 0, NULL },
	{ "<a@>", 0, 0, NULL, 0, NULL },
	{ "<a@-b.c>", 0, 0, NULL, 0, "bad domain syntax" },
	{ "<a@b-.c>", 0, 0, NULL, 0, "bad domain syntax" },
	{ "<a@b_c.d>", 0, 0, NULL, 0, NULL },
	{ "<a@b.c.>", 0, 0, NULL, 0, "bad domain syntax" },
	{ "<a b@c>", 0, 0, NULL, 0, NULL },
	{ "<a(c)@b>", 0, 0, NULL, 0, NULL },
	{ "<a@b (c)>", 0, 0, NULL, 0, NULL },
	{ "<@a b:c@d>", 0, 0, NULL, 0, NULL },
	{ "<@a,b:c@d>", 0, 0, NULL, 0, NULL },
	{ "<@a:>", 0, 0, NULL, 0, NULL },
	{ "<a@[1.2.3]>", 0, 0, NULL, 0, "bad address literal" },
	{ "<a@[1.2.3.256]>", 0, 0, NULL, 0, "bad address literal" },
	{ "<a@[IPv6:1::2::3]>", 0, 0, NULL, 0, "bad address literal" },
	{ "<a@[IPv6:1:2:3:4:5:6:7::8]>", 0, 0, NULL, 0, "bad address literal" },
	{ "<a@[IPv6:1:2:3:4:5:6::8]>", 0, 0, NULL, 0, "bad address literal" },
	{ "<a@[tag:xyz]>", 0, 0, NULL, 0, "bad address literal" },
	{ "<a@[1.2.3.4>", 0, 0, NULL, 0, "bad address literal" },
	{ "<a@[]>", 0, 0, NULL, 0, "bad address literal" },
	{ "<a\r@b>", 0, 0, NULL, 0, "control character in address" },
	{ "<a@b\nc>", 0, 0, NULL, 0, "control character in address" },
	{ "<a@b\n>", 0, 0, NULL, 0, "control character in address" },
	{ "<a\0b@c>", 7, 0, NULL, 0, "control character in address" },
	{ "<a@b\0>", 6, 0, NULL, 0, "control character in address" },
	{ "<\"a\x01\"@b>", 0, 0, NULL, 0, "control character in address" },
	{ "<\"a\\\x01\"@b>", 0, 0, NULL, 0, "control character in address" },
	{ "<\"a\x7f\"@b>", 0, 0, NULL, 0, "control character in address" },
	{ "<\"ab@c>", 0, 0, NULL, 0, NULL },
	{ "<\"ab\\\">", 0, 0, NULL, 0, NULL },
	{ "<\"a\"b@c>", 0, 0, NULL, 0, NULL },
	{ "<\"a\".\"b\"@c>", 0, 0, NULL, 0, NULL },
	{ "<j\xc3\xb6rg@x.de>", 0, 0, NULL, 0, "non-ASCII address without SMTPUTF8" },
	{ "<a@b\xc3\xbc.de>", 0, 0, NULL, 0, "non-ASCII address without SMTPUTF8" },
	{ "<a\xc3\x28@x.de>", 0, U8, NULL, 0, "invalid UTF-8 in address" },
	{ "<a\xc0\xaf@x.de>", 0, U8, NULL, 0, "invalid UTF-8 in address" },
	{ "<a\xed\xa0\x80@x.de>", 0, U8, NULL, 0, "invalid UTF-8 in address" },
	{ "<a\xe2\x82@x.de>", 0, U8, NULL, 0, "invalid UTF-8 in address" },
	{ "<a@x\xf5\x80\x80\x80.de>", 0, U8, NULL, 0, "invalid UTF-8 in address" },
	{ "<a\xc2\x85@x.de>", 0, U8, NULL, 0, "invalid UTF-8 in address" },	/* C1 NEL */
	{ "<a\xc2\x9f@x.de>", 0, U8, NULL, 0, "invalid UTF-8 in address" },	/* C1 APC */
	{ "<a\xc2\xa0@x.de>", 0, U8, "a\xc2\xa0@x.de", 0, NULL },		/* U+00A0 is fine */
	{ "<a\xf4\x90\x80\x80@x.de>", 0, U8, NULL, 0, "invalid UTF-8 in address" }, /* > U+10FFFF */
	{ "<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8>", 0, U8,
	    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8", 0, NULL },
	{ "<postmaster>", 0, 0, NULL, 0, "address has no domain" },
	{ "a@b.c,x", 0, NOBR, NULL, 0, NULL },
	{ "<a@b.c>x", 0, 0, "a@b.c", 7, NULL },	/* the caller checks what follows */
};

static void
test_path_table(void **state)
{
	struct strbuf out;
	const char *why;
	size_t i, consumed, len;
	int r;

	(void)state;
	strbuf_init(&out, ADDR_PATH_MAX);
	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];

		len = c->len ? c->len : strlen(c->in);
		why = NULL;
		consumed = 9999;
		strbuf_set_str(&out, "junk");
		r = addr_parse_path(c->in, len, c->flags, &out, &consumed, &why);
		if (c->want != NULL) {
			if (r != 0)
				fail_msg("case %zu \"%s\": got error \"%s\", want \"%s\"",
				    i, c->in, why, c->want);
			if (strcmp(out.data, c->want) != 0)
				fail_msg("case %zu \"%s\": got \"%s\", want \"%s\"", i,
				    c->in, out.data, c->want);
			if (c->consumed && consumed != c->consumed)
				fail_msg("case %zu \"%s\": consumed %zu, want %zu", i,
				    c->in, consumed, c->consumed);
		} else {
			if (r != -1)
				fail_msg("case %zu \"%s\": accepted as \"%s\", want error",
				    i, c->in, out.data);
			assert_non_null(why);
			if (c->why != NULL && strcmp(why, c->why) != 0)
				fail_msg("case %zu \"%s\": reason \"%s\", want \"%s\"", i,
				    c->in, why, c->why);
		}
	}
	strbuf_release(&out);
}

/* Build "<" + local(n) + "@" + domain + ">" style inputs for the limits. */
static void
test_limits(void **state)
{
	struct strbuf out, in;
	const char *why;
	size_t consumed;
	int i;

	(void)state;
	strbuf_init(&out, ADDR_PATH_MAX);
	strbuf_init(&in, 4096);

	/* Local part: 64 ok, 65 too long (quotes count). */
	strbuf_set_str(&in, "<");
	for (i = 0; i < 64; i++)
		strbuf_append_char(&in, 'l');
	strbuf_append_str(&in, "@x.y>");
	assert_int_equal(addr_parse_path(in.data, in.len, 0, &out, &consumed, &why), 0);
	strbuf_set_str(&in, "<l");
	for (i = 0; i < 64; i++)
		strbuf_append_char(&in, 'l');
	strbuf_append_str(&in, "@x.y>");
	assert_int_equal(addr_parse_path(in.data, in.len, 0, &out, &consumed, &why), -1);
	assert_string_equal(why, "local part too long");
	strbuf_set_str(&in, "<\"");
	for (i = 0; i < 63; i++)
		strbuf_append_char(&in, 'q');
	strbuf_append_str(&in, "\"@x.y>");
	assert_int_equal(addr_parse_path(in.data, in.len, 0, &out, &consumed, &why), -1);
	assert_string_equal(why, "local part too long");

	/* Label: 63 ok, 64 too long. */
	strbuf_set_str(&in, "<a@");
	for (i = 0; i < 63; i++)
		strbuf_append_char(&in, 'd');
	strbuf_append_str(&in, ".y>");
	assert_int_equal(addr_parse_path(in.data, in.len, 0, &out, &consumed, &why), 0);
	strbuf_set_str(&in, "<a@d");
	for (i = 0; i < 63; i++)
		strbuf_append_char(&in, 'd');
	strbuf_append_str(&in, ".y>");
	assert_int_equal(addr_parse_path(in.data, in.len, 0, &out, &consumed, &why), -1);
	assert_string_equal(why, "domain label too long");

	/* Domain over 255: 5 labels of 63 = 319. */
	strbuf_set_str(&in, "<a@");
	for (i = 0; i < 5; i++)
		strbuf_printf(&in, "%s%.63s", i ? "." : "",
		    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
	strbuf_append_str(&in, ">");
	assert_int_equal(addr_parse_path(in.data, in.len, 0, &out, &consumed, &why), -1);
	assert_string_equal(why, "domain too long");

	/* Path: exactly 256 octets with <> accepted, 257 refused. */
	strbuf_set_str(&in, "<");
	for (i = 0; i < 64; i++)
		strbuf_append_char(&in, 'l');
	strbuf_append_str(&in, "@");
	while (in.len < 255 - 2)
		strbuf_append_str(&in, in.len % 60 == 0 ? "." : "d");
	strbuf_append_str(&in, "dd>");
	assert_int_equal(in.len, 256);
	if (addr_parse_path(in.data, in.len, 0, &out, &consumed, &why) != 0)
		fail_msg("256-octet path refused: %s", why);
	strbuf_truncate(&in, in.len - 1);
	strbuf_append_str(&in, "d>");
	assert_int_equal(addr_parse_path(in.data, in.len, 0, &out, &consumed, &why), -1);
	assert_string_equal(why, "address too long");
	strbuf_release(&out);
	strbuf_release(&in);
}

static void
test_mailbox(void **state)
{
	struct strbuf out;
	const char *why;

	(void)state;
	strbuf_init(&out, ADDR_PATH_MAX);
	assert_int_equal(addr_parse_mailbox("u@EX.org", 8, 0, &out, &why), 0);
	assert_string_equal(out.data, "u@ex.org");
	assert_int_equal(addr_parse_mailbox("u@ex.org>", 9, 0, &out, &why), -1);
	assert_int_equal(addr_parse_mailbox("<u@ex.org>", 10, 0, &out, &why), -1);
	assert_int_equal(addr_parse_mailbox("u", 1, 0, &out, &why), -1);
	assert_int_equal(addr_parse_mailbox("u", 1, LOCOK, &out, &why), 0);
	assert_string_equal(out.data, "u");
	assert_int_equal(addr_parse_mailbox("", 0, LOCOK, &out, &why), -1);
	assert_int_equal(addr_parse_mailbox("u@ex.org ", 9, 0, &out, &why), -1);
	strbuf_release(&out);
}

static void
test_split_quote_domain(void **state)
{
	struct strbuf l, d, q;

	(void)state;
	strbuf_init(&l, 300);
	strbuf_init(&d, 300);
	strbuf_init(&q, 300);
	assert_int_equal(addr_split("\"a\\\"b@c\"@x.y", &l, &d), 0);
	assert_string_equal(l.data, "a\"b@c");
	assert_string_equal(d.data, "x.y");
	assert_int_equal(addr_split("noat", &l, &d), 0);
	assert_string_equal(l.data, "noat");
	assert_string_equal(d.data, "");
	assert_int_equal(addr_split("a@b@c", &l, NULL), 0);
	assert_string_equal(l.data, "a@b");
	assert_int_equal(addr_split("", NULL, &d), 0);
	assert_string_equal(d.data, "");
	assert_int_equal(addr_split("\"open@x", &l, &d), -1);

	assert_int_equal(addr_quote_local("a.b", 3, &q), 0);
	assert_string_equal(q.data, "a.b");
	strbuf_reset(&q);
	assert_int_equal(addr_quote_local("a b", 3, &q), 0);
	assert_string_equal(q.data, "\"a b\"");
	strbuf_reset(&q);
	assert_int_equal(addr_quote_local("a\"b\\", 4, &q), 0);
	assert_string_equal(q.data, "\"a\\\"b\\\\\"");
	strbuf_reset(&q);
	assert_int_equal(addr_quote_local(".a", 2, &q), 0);
	assert_string_equal(q.data, "\".a\"");
	strbuf_reset(&q);
	assert_int_equal(addr_quote_local("", 0, &q), 0);
	assert_string_equal(q.data, "\"\"");
	strbuf_reset(&q);
	assert_int_equal(addr_quote_local("a\nb", 3, &q), -1);
	/* Round trip: quote, then parse, then split gives the original back. */
	strbuf_reset(&q);
	assert_int_equal(addr_quote_local("we ird\"\\x", 9, &q), 0);
	strbuf_append_str(&q, "@x.y");
	{
		const char *why;
		struct strbuf out;

		strbuf_init(&out, 300);
		assert_int_equal(addr_parse_mailbox(q.data, q.len, 0, &out, &why), 0);
		assert_int_equal(addr_split(out.data, &l, &d), 0);
		assert_string_equal(l.data, "we ird\"\\x");
		strbuf_release(&out);
	}

	assert_true(addr_domain_valid("example.com", 0));
	assert_true(addr_domain_valid("localhost", 0));
	assert_true(addr_domain_valid("[10.0.0.1]", 0));
	assert_true(addr_domain_valid("[IPv6:::1]", 0));
	assert_true(addr_domain_valid("b\xc3\xbc" "cher.de", 1));
	assert_false(addr_domain_valid("b\xc3\xbc" "cher.de", 0));
	assert_false(addr_domain_valid("", 0));
	assert_false(addr_domain_valid("a..b", 0));
	assert_false(addr_domain_valid("a.b ", 0));
	assert_false(addr_domain_valid("-a.b", 0));
	assert_true(addr_domain_is_fqdn("a.b"));
	assert_true(addr_domain_is_fqdn("[1.2.3.4]"));
	assert_false(addr_domain_is_fqdn("localhost"));
	assert_false(addr_domain_is_fqdn("a..b"));
	strbuf_release(&l);
	strbuf_release(&d);
	strbuf_release(&q);
}

/* Decode the XML text of an <address>: entities, and the isemail
 * convention that U+2400+n stands for control character n. */
static void
xml_decode(const char *s, size_t n, struct strbuf *out)
{
	size_t i = 0;
	unsigned long cp;
	char *end;

	strbuf_reset(out);
	while (i < n) {
		if (s[i] != '&') {
			strbuf_append_char(out, s[i++]);
			continue;
		}
		if (strncmp(s + i, "&amp;", 5) == 0) {
			strbuf_append_char(out, '&'); i += 5;
		} else if (strncmp(s + i, "&lt;", 4) == 0) {
			strbuf_append_char(out, '<'); i += 4;
		} else if (strncmp(s + i, "&gt;", 4) == 0) {
			strbuf_append_char(out, '>'); i += 4;
		} else if (strncmp(s + i, "&quot;", 6) == 0) {
			strbuf_append_char(out, '"'); i += 6;
		} else if (strncmp(s + i, "&apos;", 6) == 0) {
			strbuf_append_char(out, '\''); i += 6;
		} else if (strncmp(s + i, "&#x", 3) == 0) {
			cp = strtoul(s + i + 3, &end, 16);
			assert_int_equal(*end, ';');
			i = (size_t)(end - s) + 1;
			if (cp >= 0x2400 && cp <= 0x241f)
				strbuf_append_char(out, (char)(cp - 0x2400));
			else if (cp < 0x80)
				strbuf_append_char(out, (char)cp);
			else if (cp < 0x800) {
				strbuf_append_char(out, (char)(0xc0 | (cp >> 6)));
				strbuf_append_char(out, (char)(0x80 | (cp & 0x3f)));
			} else {
				strbuf_append_char(out, (char)(0xe0 | (cp >> 12)));
				strbuf_append_char(out, (char)(0x80 | ((cp >> 6) & 0x3f)));
				strbuf_append_char(out, (char)(0x80 | (cp & 0x3f)));
			}
		} else {
			fail_msg("unknown XML entity at \"%.10s\"", s + i);
		}
	}
}

/* Return the text between <tag> and </tag> inside [s, e), or NULL. */
static const char *
xml_field(const char *s, const char *e, const char *tag, size_t *len)
{
	char open[32], close[32], empty[32];
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	snprintf(empty, sizeof(empty), "<%s/>", tag);
	if ((a = memmem(s, (size_t)(e - s), empty, strlen(empty))) != NULL) {
		*len = 0;
		return a;
	}
	if ((a = memmem(s, (size_t)(e - s), open, strlen(open))) == NULL)
		return NULL;
	a += strlen(open);
	if ((b = memmem(a, (size_t)(e - a), close, strlen(close))) == NULL)
		return NULL;
	*len = (size_t)(b - a);
	return a;
}

static char *
isemail_load(void)
{
	const char *src = getenv("TEGAMI_SRCDIR");
	char path[4096];
	struct strbuf sb;
	FILE *fp;
	char buf[8192];
	size_t n;

	snprintf(path, sizeof(path), "%s/../shared/testdata/isemail/tests.xml",
	    src && *src ? src : ".");
	fp = fopen(path, "r");
	if (fp == NULL)
		fail_msg("cannot open %s (the isemail test set is required)", path);
	strbuf_init(&sb, 4 * 1024 * 1024);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		assert_int_equal(strbuf_append(&sb, buf, n), 0);
	fclose(fp);
	return strbuf_detach(&sb);
}

static void
test_isemail(void **state)
{
	char *xml = isemail_load();
	const char *p = xml, *t, *te, *a, *c;
	size_t alen, clen, consumed, ntests = 0, naccept = 0, nreject = 0;
	struct strbuf addr, out, path;
	const char *why;
	int accept = 0, r1, r2;
	char cat[64];

	(void)state;
	strbuf_init(&addr, 4096);
	strbuf_init(&out, ADDR_PATH_MAX);
	strbuf_init(&path, 4096);
	while ((t = strstr(p, "<test id=\"")) != NULL) {
		te = strstr(t, "</test>");
		assert_non_null(te);
		a = xml_field(t, te, "address", &alen);
		c = xml_field(t, te, "category", &clen);
		assert_non_null(a);
		assert_non_null(c);
		assert_true(clen < sizeof(cat));
		memcpy(cat, c, clen);
		cat[clen] = '\0';
		xml_decode(a, alen, &addr);
		if (!strcmp(cat, "ISEMAIL_VALID_CATEGORY") ||
		    !strcmp(cat, "ISEMAIL_DNSWARN") || !strcmp(cat, "ISEMAIL_RFC5321"))
			accept = 1;
		else if (!strcmp(cat, "ISEMAIL_RFC5322") || !strcmp(cat, "ISEMAIL_DEPREC") ||
		    !strcmp(cat, "ISEMAIL_CFWS") || !strcmp(cat, "ISEMAIL_ERR"))
			accept = 0;
		else
			fail_msg("unknown isemail category %s", cat);
		r1 = addr_parse_mailbox(addr.data, addr.len, 0, &out, &why);
		strbuf_set_str(&path, "<");
		strbuf_append(&path, addr.data, addr.len);
		strbuf_append_char(&path, '>');
		r2 = addr_parse_path(path.data, path.len, 0, &out, &consumed, &why);
		if (r2 == 0 && consumed != path.len)
			r2 = -1;	/* trailing text is not part of the path */
		if (accept && (r1 != 0 || r2 != 0))
			fail_msg("isemail %.12s (%s) \"%s\": rejected (%s), want accepted",
			    t + 10, cat, addr.data, why);
		if (!accept && (r1 == 0 || r2 == 0))
			fail_msg("isemail %.12s (%s) \"%s\": accepted, want rejected",
			    t + 10, cat, addr.data);
		accept ? naccept++ : nreject++;
		ntests++;
		p = te;
	}
	/* The 3.05 set has 164 tests: make sure we really read them. */
	assert_true(ntests >= 160);
	assert_true(naccept >= 35);
	assert_true(nreject >= 120);
	free(xml);
	strbuf_release(&addr);
	strbuf_release(&out);
	strbuf_release(&path);
}

static void
test_utf8_valid(void **state)
{
	static const struct {
		const char *in;
		int	ok;
	} cases[] = {
		{"", 1}, {"abc", 1}, {"j\xc3\xb6rg", 1}, {"\xe4\xbe\x8b", 1},
		{"\xf0\x9f\x93\xa7", 1}, {"\xf4\x8f\xbf\xbf", 1},
		{"\xc3", 0},			/* truncated */
		{"\xc0\xaf", 0},		/* overlong */
		{"\xe0\x80\xaf", 0},		/* overlong */
		{"\xed\xa0\x80", 0},		/* surrogate */
		{"\xf4\x90\x80\x80", 0},	/* > U+10FFFF */
		{"\xc2\x80", 0},		/* C1 control */
		{"\xc2\x9f", 0},		/* C1 control */
		{"\xc2\xa0", 1},
		{"\x80", 0}, {"\xff", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (addr_utf8_valid(cases[i].in, strlen(cases[i].in)) != cases[i].ok)
			fail_msg("case %zu: want %d", i, cases[i].ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_table),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_mailbox),
		cmocka_unit_test(test_split_quote_domain),
		cmocka_unit_test(test_isemail),
		cmocka_unit_test(test_utf8_valid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
