/*
 * tests/unit/test_sasl_client.c — the SMTP AUTH client: mechanism choice
 * (offer, filter, security options), PLAIN and LOGIN encodings, the
 * RFC 7677 SCRAM-SHA-256 test vector with a fixed nonce, and hostile
 * servers (nonce not extending ours, bad salt, iteration counts 0 and
 * huge, unknown mandatory extension, wrong server signature, no proof).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sasl_client.h"
#include "sasl_codec.h"

/* The RFC 7677 3 exchange. */
#define V_NONCE	"rOprNGfwEbeRWgbNEkqO"
#define V_SNONCE V_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define V_FIRST	"n,,n=user,r=" V_NONCE
#define V_SFIRST "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define V_FINAL	"c=biws,r=" V_SNONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define V_SFINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

/* base64 of a text, in a static buffer (tests only). */
static const char *
b64(const char *s)
{
	static struct strbuf out;

	if (out.data == NULL)
		strbuf_init(&out, 8192);
	strbuf_reset(&out);
	assert_int_equal(sasl_base64_encode(s, strlen(s), &out), 0);
	return (out.data);
}

/* Decode base64 text and compare with the expected bytes. */
static void
assert_b64(const char *label, const struct strbuf *got, const void *want,
    size_t wlen)
{
	struct strbuf d;

	strbuf_init(&d, 8192);
	if (sasl_base64_decode(got->data, got->len, &d) < 0)
		fail_msg("%s: not base64: \"%s\"", label, got->data);
	if (d.len != wlen || memcmp(d.data, want, wlen) != 0)
		fail_msg("%s: got \"%.*s\" (%zu bytes), want %zu bytes", label,
		    (int)d.len, d.data, d.len, wlen);
	strbuf_release(&d);
}

static const struct {
	const char *label;
	const char *offered, *filter, *secopts;
	const char *want;		/* mechanism, or NULL */
	const char *err;		/* substring of err when NULL */
} choices[] = {
	{"SCRAM preferred", "LOGIN PLAIN SCRAM-SHA-256", "", "", "SCRAM-SHA-256", NULL},
	{"PLAIN over LOGIN", "LOGIN PLAIN CRAM-MD5", "", "noanonymous", "PLAIN", NULL},
	{"LOGIN alone", "LOGIN", "", "noanonymous", "LOGIN", NULL},
	{"case and commas", "login, plain", "", "", "PLAIN", NULL},
	{"noplaintext keeps SCRAM", "PLAIN SCRAM-SHA-256", "",
	    "noplaintext, noanonymous", "SCRAM-SHA-256", NULL},
	{"noplaintext refuses PLAIN", "PLAIN LOGIN", "", "noplaintext, noanonymous",
	    NULL, "no mechanism available: server offers \"PLAIN LOGIN\""},
	{"mutual_auth", "PLAIN LOGIN", "", "mutual_auth", NULL, "no mechanism"},
	{"nodictionary", "PLAIN SCRAM-SHA-256", "", "nodictionary", NULL,
	    "no mechanism"},
	{"noactive keeps SCRAM", "PLAIN SCRAM-SHA-256", "", "noactive",
	    "SCRAM-SHA-256", NULL},
	{"filter", "PLAIN LOGIN SCRAM-SHA-256", "login", "", "LOGIN", NULL},
	{"filter list", "PLAIN LOGIN SCRAM-SHA-256", "login, plain", "", "PLAIN", NULL},
	{"filter negation", "PLAIN LOGIN SCRAM-SHA-256", "!scram-sha-256, plain, login",
	    "", "PLAIN", NULL},
	{"filter only negation", "PLAIN", "!login", "", NULL, "filter \"!login\""},
	{"filter excludes all", "PLAIN LOGIN", "scram-sha-256", "", NULL,
	    "no mechanism"},
	{"nothing known", "CRAM-MD5 DIGEST-MD5 GSSAPI", "", "", NULL, "no mechanism"},
	{"nothing offered", "", "", "", NULL, "server offers \"\""},
	{"no substring match", "XPLAIN PLAINX", "", "", NULL, "no mechanism"},
	{"hostile offer is quoted safely", "X\x01Y", "", "", NULL, "offers \"X?Y\""},
	{"unknown option", "PLAIN", "", "noplaintext, bogus", NULL,
	    "unknown SASL security option \"bogus\""},
	{"table as filter", "PLAIN", "hash:/etc/x", "", NULL,
	    "unsupported smtp_sasl_mechanism_filter entry"},
	{"bad filter word after a match", "PLAIN", "plain, /x/", "", NULL,
	    "unsupported smtp_sasl_mechanism_filter"},
};

static void
test_choice(void **state)
{
	struct strbuf err;
	size_t	i;

	(void)state;
	strbuf_init(&err, 1024);
	for (i = 0; i < sizeof(choices) / sizeof(choices[0]); i++) {
		struct sasl_client *sc;

		strbuf_reset(&err);
		sc = sasl_client_new(choices[i].offered, choices[i].filter,
		    choices[i].secopts, "u", "p", &err);
		if (choices[i].want != NULL) {
			if (sc == NULL)
				fail_msg("%s: got NULL (%s), want %s",
				    choices[i].label, err.data, choices[i].want);
			if (strcmp(sasl_client_mech(sc), choices[i].want) != 0)
				fail_msg("%s: got %s, want %s", choices[i].label,
				    sasl_client_mech(sc), choices[i].want);
		} else {
			if (sc != NULL)
				fail_msg("%s: got %s, want NULL", choices[i].label,
				    sasl_client_mech(sc));
			if (strstr(err.data, choices[i].err) == NULL)
				fail_msg("%s: err \"%s\", want \"%s\"",
				    choices[i].label, err.data, choices[i].err);
		}
		sasl_client_free(sc);
	}
	strbuf_release(&err);
}

static void
test_plain(void **state)
{
	struct sasl_client *sc;
	struct strbuf out, err;
	int	has;

	(void)state;
	strbuf_init(&out, 1024);
	strbuf_init(&err, 1024);
	sc = sasl_client_new("PLAIN", "", "", "user", "pen:cil", &err);
	assert_non_null(sc);
	/* 235 before anything was sent is not a success. */
	assert_int_equal(sasl_client_final(sc, NULL, &err), -1);
	sasl_client_free(sc);

	sc = sasl_client_new("PLAIN", "", "", "user", "pen:cil", &err);
	assert_int_equal(sasl_client_start(sc, &out, &has, &err), 0);
	assert_int_equal(has, 1);
	assert_b64("PLAIN", &out, "\0user\0pen:cil", 13);
	assert_int_equal(sasl_client_final(sc, NULL, &err), 0);
	assert_int_equal(sasl_client_final(sc, "", &err), 0);
	/* A second start is refused. */
	assert_int_equal(sasl_client_start(sc, &out, &has, &err), -1);
	sasl_client_free(sc);

	/* A challenge after PLAIN's initial response is not expected. */
	sc = sasl_client_new("PLAIN", "", "", "user", "pencil", &err);
	strbuf_reset(&out);
	assert_int_equal(sasl_client_start(sc, &out, &has, &err), 0);
	assert_string_equal(out.data, "AHVzZXIAcGVuY2ls");
	strbuf_reset(&out);
	assert_int_equal(sasl_client_step(sc, "", &out, &err), -1);
	assert_non_null(strstr(err.data, "unexpected SASL challenge"));
	assert_int_equal(sasl_client_final(sc, NULL, &err), -1);
	sasl_client_free(sc);
	strbuf_release(&out);
	strbuf_release(&err);
}

static void
test_login(void **state)
{
	struct sasl_client *sc;
	struct strbuf out, err;
	int	has;

	(void)state;
	strbuf_init(&out, 1024);
	strbuf_init(&err, 1024);
	sc = sasl_client_new("LOGIN", "", "", "alice@example.org", "s3cret", &err);
	assert_non_null(sc);
	assert_int_equal(sasl_client_start(sc, &out, &has, &err), 0);
	assert_int_equal(has, 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(sasl_client_step(sc, b64("Username:"), &out, &err), 0);
	assert_string_equal(out.data, b64("alice@example.org"));
	/* 235 after the user name only is not a complete exchange... */
	strbuf_reset(&out);
	assert_int_equal(sasl_client_step(sc, b64("Password:"), &out, &err), 0);
	assert_string_equal(out.data, b64("s3cret"));
	assert_int_equal(sasl_client_final(sc, NULL, &err), 0);
	/* ...and a third challenge is refused. */
	strbuf_reset(&out);
	assert_int_equal(sasl_client_step(sc, b64("More:"), &out, &err), -1);
	sasl_client_free(sc);

	sc = sasl_client_new("LOGIN", "", "", "a", "b", &err);
	assert_int_equal(sasl_client_start(sc, &out, &has, &err), 0);
	assert_int_equal(sasl_client_step(sc, "VXNlcm5hbWU6", &out, &err), 0);
	assert_int_equal(sasl_client_final(sc, NULL, &err), -1);
	sasl_client_free(sc);

	/* Not base64. */
	sc = sasl_client_new("LOGIN", "", "", "a", "b", &err);
	assert_int_equal(sasl_client_start(sc, &out, &has, &err), 0);
	assert_int_equal(sasl_client_step(sc, "VXNlcm5hbWU6\x01", &out, &err), -1);
	assert_non_null(strstr(err.data, "not base64"));
	assert_int_equal(sasl_client_step(sc, "VXNlcm5hbWU6", &out, &err), -1);
	sasl_client_free(sc);
	strbuf_release(&out);
	strbuf_release(&err);
}

/* Start the RFC 7677 exchange; returns the client. */
static struct sasl_client *
scram_begin(struct strbuf *out, struct strbuf *err)
{
	struct sasl_client *sc;
	int	has;

	sc = sasl_client_new("PLAIN SCRAM-SHA-256", "", "noplaintext", "user",
	    "pencil", err);
	assert_non_null(sc);
	assert_string_equal(sasl_client_mech(sc), "SCRAM-SHA-256");
	sasl_client_set_nonce(sc, V_NONCE);
	strbuf_reset(out);
	assert_int_equal(sasl_client_start(sc, out, &has, err), 0);
	assert_int_equal(has, 1);
	assert_b64("client-first", out, V_FIRST, strlen(V_FIRST));
	return (sc);
}

static void
test_scram_vector(void **state)
{
	struct sasl_client *sc;
	struct strbuf out, err;

	(void)state;
	strbuf_init(&out, 1024);
	strbuf_init(&err, 1024);
	/* The server-final message as a 334 challenge, answered by "". */
	sc = scram_begin(&out, &err);
	strbuf_reset(&out);
	if (sasl_client_step(sc, b64(V_SFIRST), &out, &err) != 0)
		fail_msg("server-first: %s", err.data);
	assert_b64("client-final", &out, V_FINAL, strlen(V_FINAL));
	/* 235 now would skip the server's proof. */
	strbuf_reset(&out);
	if (sasl_client_step(sc, b64(V_SFINAL), &out, &err) != 0)
		fail_msg("server-final: %s", err.data);
	assert_int_equal(out.len, 0);
	assert_int_equal(sasl_client_final(sc, NULL, &err), 0);
	sasl_client_free(sc);

	/* The server-final message as data with the success reply. */
	sc = scram_begin(&out, &err);
	strbuf_reset(&out);
	assert_int_equal(sasl_client_step(sc, b64(V_SFIRST), &out, &err), 0);
	assert_int_equal(sasl_client_final(sc, b64(V_SFINAL), &err), 0);
	sasl_client_free(sc);

	/* 235 without the proof. */
	sc = scram_begin(&out, &err);
	strbuf_reset(&out);
	assert_int_equal(sasl_client_step(sc, b64(V_SFIRST), &out, &err), 0);
	assert_int_equal(sasl_client_final(sc, NULL, &err), -1);
	assert_non_null(strstr(err.data, "without proving"));
	sasl_client_free(sc);

	/* A random nonce: 24 base64 characters. */
	{
		struct sasl_client *r;
		struct strbuf d;
		int	has;

		r = sasl_client_new("SCRAM-SHA-256", "", "", "user", "pencil", &err);
		strbuf_reset(&out);
		strbuf_init(&d, 1024);
		assert_int_equal(sasl_client_start(r, &out, &has, &err), 0);
		assert_int_equal(sasl_base64_decode(out.data, out.len, &d), 0);
		assert_int_equal(d.len, strlen("n,,n=user,r=") + 24);
		assert_memory_equal(d.data, "n,,n=user,r=", 12);
		strbuf_release(&d);
		sasl_client_free(r);
	}
	strbuf_release(&out);
	strbuf_release(&err);
}

/* saslname escaping (RFC 5802 5.1). */
static void
test_scram_name(void **state)
{
	struct sasl_client *sc;
	struct strbuf out, err;
	int	has;
	const char *want = "n,,n=a=2Cb=3Dc@d,r=xyz";

	(void)state;
	strbuf_init(&out, 1024);
	strbuf_init(&err, 1024);
	sc = sasl_client_new("SCRAM-SHA-256", "", "", "a,b=c@d", "p", &err);
	sasl_client_set_nonce(sc, "xyz");
	assert_int_equal(sasl_client_start(sc, &out, &has, &err), 0);
	assert_b64("saslname", &out, want, strlen(want));
	sasl_client_free(sc);
	strbuf_release(&out);
	strbuf_release(&err);
}

/* Hostile server-first messages: each must give -1 and the reason. */
static const struct {
	const char *label;
	const char *sfirst;
	const char *err;
} bad_first[] = {
	{"nonce not extending ours", "r=XOprNGfwEbeRWgbNEkqO%hv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	    "does not extend ours"},
	{"nonce equal to ours", "r=" V_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	    "does not extend ours"},
	{"nonce shorter", "r=rOpr,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	    "does not extend ours"},
	{"nonce with a space", "r=" V_NONCE "a b,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	    "bad character"},
	{"i=0", "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0", "iteration count \"0\""},
	{"i huge", "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=100001",
	    "not in 1..100000"},
	{"i overflowing", "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,"
	    "i=99999999999999999999999999", "iteration count"},
	{"i negative", "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=-1",
	    "iteration count"},
	{"i leading zero", "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=04096",
	    "iteration count"},
	{"i empty", "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=", "iteration count"},
	{"i not a number", "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4k",
	    "iteration count"},
	{"salt empty", "r=" V_SNONCE ",s=,i=4096", "salt"},
	{"salt not base64", "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096", "salt"},
	{"salt too long", NULL, "salt"},
	{"mandatory extension", "m=x,r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
	    "unsupported extension"},
	{"order", "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=" V_SNONCE ",i=4096", "malformed"},
	{"missing count", "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==", "malformed"},
	{"trailing comma", "r=" V_SNONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,",
	    "malformed"},
	{"empty", "", "malformed"},
	{"server error", "e=other-error", "malformed"},
};

static void
test_scram_bad_first(void **state)
{
	struct strbuf out, err, big;
	size_t	i;

	(void)state;
	strbuf_init(&out, 8192);
	strbuf_init(&err, 1024);
	strbuf_init(&big, 8192);
	strbuf_set_str(&big, "r=" V_SNONCE ",s=");
	for (i = 0; i < 100; i++)
		strbuf_append_str(&big, "QUFBQUFBQUFB");	/* 9 bytes each */
	strbuf_append_str(&big, ",i=4096");
	for (i = 0; i < sizeof(bad_first) / sizeof(bad_first[0]); i++) {
		struct sasl_client *sc = scram_begin(&out, &err);
		const char *sf = bad_first[i].sfirst ? bad_first[i].sfirst : big.data;

		strbuf_reset(&out);
		strbuf_reset(&err);
		if (sasl_client_step(sc, b64(sf), &out, &err) != -1)
			fail_msg("%s: accepted", bad_first[i].label);
		if (strstr(err.data, bad_first[i].err) == NULL)
			fail_msg("%s: err \"%s\", want \"%s\"", bad_first[i].label,
			    err.data, bad_first[i].err);
		/* Nothing goes on after a failure. */
		assert_int_equal(sasl_client_step(sc, b64(V_SFINAL), &out, &err), -1);
		assert_int_equal(sasl_client_final(sc, NULL, &err), -1);
		sasl_client_free(sc);
	}
	/* A NUL byte inside the message. */
	{
		struct sasl_client *sc = scram_begin(&out, &err);
		struct strbuf nb;

		strbuf_init(&nb, 1024);
		sasl_base64_encode("r=" V_SNONCE "\0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
		    strlen("r=" V_SNONCE) + 1 + strlen(",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"),
		    &nb);
		assert_int_equal(sasl_client_step(sc, nb.data, &out, &err), -1);
		assert_non_null(strstr(err.data, "NUL"));
		strbuf_release(&nb);
		sasl_client_free(sc);
	}
	/* Extensions after the count are allowed (RFC 5802 7). */
	{
		struct sasl_client *sc = scram_begin(&out, &err);

		strbuf_reset(&out);
		assert_int_equal(sasl_client_step(sc, b64(V_SFIRST ",x=ext"), &out,
		    &err), 0);
		sasl_client_free(sc);
	}
	/* The cap can be lowered, and the vector's 4096 is then refused. */
	{
		struct sasl_client *sc = scram_begin(&out, &err);

		sasl_client_set_max_iter(sc, 4095);
		assert_int_equal(sasl_client_step(sc, b64(V_SFIRST), &out, &err), -1);
		assert_non_null(strstr(err.data, "not in 1..4095"));
		sasl_client_free(sc);
	}
	strbuf_release(&big);
	strbuf_release(&out);
	strbuf_release(&err);
}

/* Hostile server-final messages. */
static const struct {
	const char *label;
	const char *sfinal;
	const char *err;
} bad_final[] = {
	{"wrong signature", "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=",
	    "does not verify"},
	{"other signature", "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	    "does not verify"},
	{"short signature", "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl9",
	    "does not verify"},
	{"signature not base64", "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4",
	    "does not verify"},
	{"empty signature", "v=", "does not verify"},
	{"server error", "e=invalid-proof", "SCRAM server error: invalid-proof"},
	{"server error hostile", "e=a\x1b[31mb", "SCRAM server error: a?[31mb"},
	{"garbage", "hello", "malformed"},
	{"empty", "", "malformed"},
};

static void
test_scram_bad_final(void **state)
{
	struct strbuf out, err;
	size_t	i;

	(void)state;
	strbuf_init(&out, 8192);
	strbuf_init(&err, 1024);
	for (i = 0; i < sizeof(bad_final) / sizeof(bad_final[0]); i++) {
		int	via_final;

		/* Each case both as a 334 challenge and as 235 data. */
		for (via_final = 0; via_final < 2; via_final++) {
			struct sasl_client *sc = scram_begin(&out, &err);
			int	r;

			strbuf_reset(&out);
			assert_int_equal(sasl_client_step(sc, b64(V_SFIRST), &out,
			    &err), 0);
			strbuf_reset(&err);
			if (via_final && bad_final[i].sfinal[0] == '\0')
				r = sasl_client_final(sc, "", &err);
			else if (via_final)
				r = sasl_client_final(sc, b64(bad_final[i].sfinal),
				    &err);
			else
				r = sasl_client_step(sc, b64(bad_final[i].sfinal),
				    &out, &err);
			if (r != -1)
				fail_msg("%s (%d): accepted", bad_final[i].label,
				    via_final);
			if (via_final && bad_final[i].sfinal[0] == '\0')
				assert_non_null(strstr(err.data, "without proving"));
			else if (strstr(err.data, bad_final[i].err) == NULL)
				fail_msg("%s: err \"%s\", want \"%s\"",
				    bad_final[i].label, err.data, bad_final[i].err);
			assert_int_equal(sasl_client_final(sc, NULL, &err), -1);
			sasl_client_free(sc);
		}
	}
	strbuf_release(&out);
	strbuf_release(&err);
}

/* A wrong password gives a proof the server would refuse, and the real
 * server's signature does not verify against our keys. */
static void
test_scram_wrong_password(void **state)
{
	struct sasl_client *sc;
	struct strbuf out, err;
	int	has;

	(void)state;
	strbuf_init(&out, 8192);
	strbuf_init(&err, 1024);
	sc = sasl_client_new("SCRAM-SHA-256", "", "", "user", "pencil2", &err);
	sasl_client_set_nonce(sc, V_NONCE);
	assert_int_equal(sasl_client_start(sc, &out, &has, &err), 0);
	strbuf_reset(&out);
	assert_int_equal(sasl_client_step(sc, b64(V_SFIRST), &out, &err), 0);
	{
		struct strbuf d;

		strbuf_init(&d, 1024);
		assert_int_equal(sasl_base64_decode(out.data, out.len, &d), 0);
		assert_int_not_equal(strcmp(d.data, V_FINAL), 0);
		strbuf_release(&d);
	}
	assert_int_equal(sasl_client_step(sc, b64(V_SFINAL), &out, &err), -1);
	assert_non_null(strstr(err.data, "does not verify"));
	sasl_client_free(sc);
	strbuf_release(&out);
	strbuf_release(&err);
}

/* Oversized and unexpected challenges. */
static void
test_limits(void **state)
{
	struct sasl_client *sc;
	struct strbuf out, err, big;
	size_t	i;
	int	has;

	(void)state;
	strbuf_init(&out, 8192);
	strbuf_init(&err, 1024);
	strbuf_init(&big, 65536);
	for (i = 0; i < 8000; i++)
		strbuf_append_str(&big, "QUFB");
	sc = sasl_client_new("LOGIN", "", "", "a", "b", &err);
	assert_int_equal(sasl_client_start(sc, &out, &has, &err), 0);
	assert_int_equal(sasl_client_step(sc, big.data, &out, &err), -1);
	assert_non_null(strstr(err.data, "too long"));
	sasl_client_free(sc);
	/* A challenge before start. */
	sc = sasl_client_new("SCRAM-SHA-256", "", "", "a", "b", &err);
	assert_int_equal(sasl_client_step(sc, b64(V_SFIRST), &out, &err), -1);
	sasl_client_free(sc);
	/* Success data for PLAIN. */
	sc = sasl_client_new("PLAIN", "", "", "a", "b", &err);
	assert_int_equal(sasl_client_start(sc, &out, &has, &err), 0);
	assert_int_equal(sasl_client_final(sc, b64("x"), &err), -1);
	sasl_client_free(sc);
	sasl_client_free(NULL);
	strbuf_release(&big);
	strbuf_release(&out);
	strbuf_release(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_login),
		cmocka_unit_test(test_scram_vector),
		cmocka_unit_test(test_scram_name),
		cmocka_unit_test(test_scram_bad_first),
		cmocka_unit_test(test_scram_bad_final),
		cmocka_unit_test(test_scram_wrong_password),
		cmocka_unit_test(test_limits),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
