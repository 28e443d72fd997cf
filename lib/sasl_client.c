/*
 * lib/sasl_client.c — SMTP AUTH, client side: mechanism choice, PLAIN,
 * LOGIN and SCRAM-SHA-256 (RFC 5802, RFC 7677) with OpenSSL's PBKDF2 and
 * HMAC.  Used by smtp-client/ to log in to a smarthost.
 *
 * Every challenge is hostile input: it is decoded with a size limit, must
 * arrive in the state that expects it, and a SCRAM server-first message
 * must extend our nonce and carry a salt and an iteration count within
 * bounds (the count is capped: it is CPU the server makes us spend).  The
 * server's signature is compared in constant time.  Passwords and derived
 * keys are wiped before memory is freed.  Errors go to the caller's strbuf.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "sasl_client.h"
#include "sasl_codec.h"

#define CHALLENGE_MAX	4096	/* decoded bytes in one challenge */
#define SALT_MAX	256	/* decoded SCRAM salt */
#define NONCE_BYTES	18	/* 24 base64 characters of client nonce */
#define KEY_LEN		SHA256_DIGEST_LENGTH

enum sc_mech {
	SC_SCRAM,
	SC_PLAIN,
	SC_LOGIN,
};

enum sc_state {
	SC_INIT,		/* nothing sent */
	SC_STARTED,		/* AUTH sent (PLAIN: with its response) */
	SC_LOGIN_USER,		/* LOGIN: user name sent */
	SC_LOGIN_PASS,		/* LOGIN: password sent */
	SC_SCRAM_FIRST,		/* SCRAM: client-first sent */
	SC_SCRAM_FINAL,		/* SCRAM: client-final sent */
	SC_DONE,		/* SCRAM: server verified */
	SC_FAILED,
};

/* Security option bits (smtp_sasl_security_options, Cyrus SASL's names). */
#define SEC_NOPLAINTEXT		0x01
#define SEC_NOANONYMOUS		0x02
#define SEC_NOACTIVE		0x04
#define SEC_NODICTIONARY	0x08
#define SEC_MUTUAL_AUTH		0x10
#define SEC_FORWARD_SECRECY	0x20

static const struct {
	const char *name;
	unsigned bit;
} sec_words[] = {
	{"noplaintext", SEC_NOPLAINTEXT},
	{"noanonymous", SEC_NOANONYMOUS},
	{"noactive", SEC_NOACTIVE},
	{"nodictionary", SEC_NODICTIONARY},
	{"mutual_auth", SEC_MUTUAL_AUTH},
	{"forward_secrecy", SEC_FORWARD_SECRECY},
};

/* In order of preference; `refused` = the option bits that rule it out. */
static const struct {
	const char *name;
	enum sc_mech mech;
	unsigned refused;
} mech_table[] = {
	/* SCRAM is open to an offline dictionary attack on a captured
	 * exchange, and has no forward secrecy of its own. */
	{"SCRAM-SHA-256", SC_SCRAM, SEC_NODICTIONARY | SEC_FORWARD_SECRECY},
	{"PLAIN", SC_PLAIN, SEC_NOPLAINTEXT | SEC_NOACTIVE | SEC_NODICTIONARY
	    | SEC_MUTUAL_AUTH | SEC_FORWARD_SECRECY},
	{"LOGIN", SC_LOGIN, SEC_NOPLAINTEXT | SEC_NOACTIVE | SEC_NODICTIONARY
	    | SEC_MUTUAL_AUTH | SEC_FORWARD_SECRECY},
};

struct sasl_client {
	enum sc_mech mech;
	enum sc_state state;
	const char *name;
	char   *user;
	char   *pass;
	char   *nonce;			/* client nonce, or NULL until start */
	unsigned max_iter;
	struct strbuf first_bare;	/* SCRAM client-first-message-bare */
	unsigned char server_sig[KEY_LEN];
};

#define WORD_SEP	" \t\r\n,"

/* Append at most cap bytes of untrusted text, printable ASCII only. */
static void
append_safe(struct strbuf *err, const char *s, size_t n, size_t cap)
{
	size_t	i;

	for (i = 0; i < n && i < cap; i++)
		strbuf_append_char(err, (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?');
	if (n > cap)
		strbuf_append_str(err, "...");
}

static void
wipe_release(struct strbuf *sb)
{
	if (sb->data != NULL)
		explicit_bzero(sb->data, sb->cap);
	strbuf_release(sb);
}

static void
wipe_free_str(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* The option bits of a security options value; -1 on an unknown word. */
static int
parse_secopts(const char *v, unsigned *bits, struct strbuf *err)
{
	*bits = 0;
	while (v != NULL && *v) {
		size_t	w, i;

		v += strspn(v, WORD_SEP);
		if ((w = strcspn(v, WORD_SEP)) == 0)
			break;
		for (i = 0; i < sizeof(sec_words) / sizeof(sec_words[0]); i++)
			if (strlen(sec_words[i].name) == w
			    && strncasecmp(v, sec_words[i].name, w) == 0)
				break;
		if (i == sizeof(sec_words) / sizeof(sec_words[0])) {
			strbuf_set_str(err, "unknown SASL security option \"");
			append_safe(err, v, w, 64);
			strbuf_append_str(err, "\"");
			return (-1);
		}
		*bits |= sec_words[i].bit;
		v += w;
	}
	return (0);
}

/* Does the mechanism filter let `mech` through?  Postfix's match-list
 * rule: the first entry naming it decides ("!NAME" excludes); no entry
 * naming it excludes it, unless the filter is empty.  -1 on a bad word. */
static int
filter_allows(const char *filter, const char *mech, struct strbuf *err)
{
	size_t	n = strlen(mech);
	int	any = 0;

	while (filter != NULL && *filter) {
		size_t	w, i;
		int	neg = 0;

		filter += strspn(filter, WORD_SEP);
		if ((w = strcspn(filter, WORD_SEP)) == 0)
			break;
		any = 1;
		if (filter[0] == '!') {
			neg = 1;
			filter++;
			w--;
		}
		for (i = 0; i < w; i++) {
			char	c = filter[i];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
			    || (c >= '0' && c <= '9') || c == '-' || c == '_'))
				break;
		}
		if (w == 0 || w > SASL_MECH_MAX || i < w) {
			strbuf_set_str(err, "unsupported smtp_sasl_mechanism_filter"
			    " entry \"");
			append_safe(err, filter - neg, w + (size_t)neg, 64);
			strbuf_append_str(err, "\" (mechanism names only)");
			return (-1);
		}
		if (w == n && strncasecmp(filter, mech, n) == 0)
			return (!neg);
		filter += w;
	}
	return (!any);
}

struct sasl_client *
sasl_client_new(const char *offered, const char *filter, const char *secopts,
    const char *user, const char *pass, struct strbuf *err)
{
	struct sasl_client *sc;
	unsigned bits;
	size_t	i;
	int	r = 0;

	/* "" is never named by the filter: this checks every entry. */
	if (parse_secopts(secopts, &bits, err) < 0
	    || filter_allows(filter, "", err) < 0)
		return (NULL);
	for (i = 0; i < sizeof(mech_table) / sizeof(mech_table[0]); i++) {
		if (!sasl_mech_listed(offered ? offered : "", mech_table[i].name))
			continue;
		if ((r = filter_allows(filter, mech_table[i].name, err)) < 0)
			return (NULL);
		if (r && (bits & mech_table[i].refused) == 0)
			break;
	}
	if (i == sizeof(mech_table) / sizeof(mech_table[0])) {
		strbuf_set_str(err, "no mechanism available: server offers \"");
		append_safe(err, offered ? offered : "", offered ? strlen(offered)
		    : 0, 200);
		strbuf_printf(err, "\", filter \"%s\", security options \"%s\"",
		    filter ? filter : "", secopts ? secopts : "");
		return (NULL);
	}
	sc = xcalloc(1, sizeof(*sc));
	sc->mech = mech_table[i].mech;
	sc->name = mech_table[i].name;
	sc->state = SC_INIT;
	sc->user = xstrdup(user);
	sc->pass = xstrdup(pass);
	sc->max_iter = SASL_CLIENT_MAX_ITER;
	strbuf_init(&sc->first_bare, 4 * CHALLENGE_MAX);
	return (sc);
}

const char *
sasl_client_mech(const struct sasl_client *sc)
{
	return (sc->name);
}

void
sasl_client_set_nonce(struct sasl_client *sc, const char *nonce)
{
	free(sc->nonce);
	sc->nonce = xstrdup(nonce);
}

void
sasl_client_set_max_iter(struct sasl_client *sc, unsigned max_iter)
{
	sc->max_iter = max_iter;
}

void
sasl_client_free(struct sasl_client *sc)
{
	if (sc == NULL)
		return;
	wipe_free_str(sc->user);
	wipe_free_str(sc->pass);
	free(sc->nonce);
	wipe_release(&sc->first_bare);
	explicit_bzero(sc, sizeof(*sc));
	free(sc);
}

/* RFC 5802 5.1 saslname: ',' and '=' escaped as =2C and =3D. */
static int
append_saslname(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		int	r;

		if (*s == ',')
			r = strbuf_append_str(out, "=2C");
		else if (*s == '=')
			r = strbuf_append_str(out, "=3D");
		else
			r = strbuf_append_char(out, *s);
		if (r < 0)
			return (-1);
	}
	return (0);
}

static int
fail(struct sasl_client *sc, struct strbuf *err, const char *why)
{
	sc->state = SC_FAILED;
	strbuf_set_str(err, why);
	return (-1);
}

int
sasl_client_start(struct sasl_client *sc, struct strbuf *ir_b64, int *has_ir,
    struct strbuf *err)
{
	struct strbuf msg;
	int	r = 0;

	*has_ir = 0;
	if (sc->state != SC_INIT)
		return (fail(sc, err, "SASL exchange already started"));
	strbuf_init(&msg, 4 * CHALLENGE_MAX);
	switch (sc->mech) {
	case SC_PLAIN:
		/* RFC 4616: authzid (empty), NUL, authcid, NUL, password. */
		r = strbuf_append_char(&msg, '\0');
		r |= strbuf_append_str(&msg, sc->user);
		r |= strbuf_append_char(&msg, '\0');
		r |= strbuf_append_str(&msg, sc->pass);
		sc->state = SC_STARTED;
		break;
	case SC_LOGIN:
		sc->state = SC_STARTED;
		strbuf_release(&msg);
		return (0);
	case SC_SCRAM:
		if (sc->nonce == NULL) {
			unsigned char raw[NONCE_BYTES];
			struct strbuf n;

			arc4random_buf(raw, sizeof(raw));
			strbuf_init(&n, 64);
			sasl_base64_encode(raw, sizeof(raw), &n);
			sc->nonce = strbuf_detach(&n);
		}
		/* XXX no SASLprep (RFC 4013) of the name and password: the
		 * bytes are used as configured, which is what ASCII logins
		 * need and what Dovecot compares against. */
		strbuf_reset(&sc->first_bare);
		r = strbuf_append_str(&sc->first_bare, "n=");
		r |= append_saslname(&sc->first_bare, sc->user);
		r |= strbuf_printf(&sc->first_bare, ",r=%s", sc->nonce);
		/* gs2-header "n,,": no channel binding, no authzid. */
		r |= strbuf_append_str(&msg, "n,,");
		r |= strbuf_append(&msg, sc->first_bare.data, sc->first_bare.len);
		sc->state = SC_SCRAM_FIRST;
		break;
	}
	if (r != 0 || sasl_base64_encode(msg.data, msg.len, ir_b64) < 0) {
		wipe_release(&msg);
		return (fail(sc, err, "SASL initial response too long"));
	}
	wipe_release(&msg);
	*has_ir = 1;
	return (0);
}

/* Decode a challenge into out; -1 with err. */
static int
decode_challenge(struct sasl_client *sc, const char *b64, struct strbuf *out,
    struct strbuf *err)
{
	size_t	n = strlen(b64);

	if (n > (CHALLENGE_MAX + 2) / 3 * 4)
		return (fail(sc, err, "SASL challenge too long"));
	if (sasl_base64_decode(b64, n, out) < 0) {
		fail(sc, err, "SASL challenge is not base64: \"");
		append_safe(err, b64, n, 64);
		strbuf_append_str(err, "\"");
		return (-1);
	}
	if (memchr(out->data, '\0', out->len) != NULL && sc->mech == SC_SCRAM)
		return (fail(sc, err, "SCRAM message holds a NUL byte"));
	return (0);
}

/* Parse a decimal iteration count in [1, max]; -1 otherwise. */
static long
parse_iter(const char *p, size_t n, unsigned max)
{
	unsigned long v = 0;
	size_t	i;

	if (n == 0 || (p[0] == '0'))
		return (-1);
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (-1);
		v = v * 10 + (unsigned long)(p[i] - '0');
		if (v > max)
			return (-1);
	}
	return ((long)v);
}

static int
hmac256(const unsigned char *key, size_t klen, const void *data, size_t dlen,
    unsigned char out[KEY_LEN])
{
	unsigned int olen = 0;

	if (HMAC(EVP_sha256(), key, (int)klen, data, dlen, out, &olen) == NULL
	    || olen != KEY_LEN)
		return (-1);
	return (0);
}

/* The keys and proof of RFC 5802 3; fills proof and sc->server_sig. */
static int
scram_compute(struct sasl_client *sc, const struct strbuf *salt, long iter,
    const struct strbuf *auth_msg, unsigned char proof[KEY_LEN])
{
	unsigned char salted[KEY_LEN], ckey[KEY_LEN], stored[KEY_LEN],
	    csig[KEY_LEN], skey[KEY_LEN];
	int	r = -1;
	size_t	i;

	if (PKCS5_PBKDF2_HMAC(sc->pass, (int)strlen(sc->pass),
	    (const unsigned char *)salt->data, (int)salt->len, (int)iter,
	    EVP_sha256(), KEY_LEN, salted) != 1)
		goto out;
	if (hmac256(salted, KEY_LEN, "Client Key", 10, ckey) < 0
	    || SHA256(ckey, KEY_LEN, stored) == NULL
	    || hmac256(stored, KEY_LEN, auth_msg->data, auth_msg->len, csig) < 0
	    || hmac256(salted, KEY_LEN, "Server Key", 10, skey) < 0
	    || hmac256(skey, KEY_LEN, auth_msg->data, auth_msg->len,
	    sc->server_sig) < 0)
		goto out;
	for (i = 0; i < KEY_LEN; i++)
		proof[i] = ckey[i] ^ csig[i];
	r = 0;
out:
	explicit_bzero(salted, sizeof(salted));
	explicit_bzero(ckey, sizeof(ckey));
	explicit_bzero(stored, sizeof(stored));
	explicit_bzero(csig, sizeof(csig));
	explicit_bzero(skey, sizeof(skey));
	return (r);
}

/* Next comma-separated attribute of msg[*pos..len): *val, *vlen after
 * "x=".  Returns the attribute letter, or 0 at the end, -1 if malformed. */
static int
next_attr(const char *msg, size_t len, size_t *pos, const char **val,
    size_t *vlen)
{
	size_t	p = *pos, e;

	if (p >= len)
		return (0);
	for (e = p; e < len && msg[e] != ','; e++)
		;
	if (e - p < 2 || msg[p + 1] != '=' || !((msg[p] >= 'a' && msg[p] <= 'z')
	    || (msg[p] >= 'A' && msg[p] <= 'Z')))
		return (-1);
	*val = msg + p + 2;
	*vlen = e - p - 2;
	*pos = e < len ? e + 1 : e;
	if (e < len && e + 1 == len)	/* a trailing comma */
		return (-1);
	return ((unsigned char)msg[p]);
}

/* server-first-message -> client-final-message (RFC 5802 7). */
static int
scram_first(struct sasl_client *sc, const struct strbuf *sf,
    struct strbuf *resp_b64, struct strbuf *err)
{
	const char *nonce = NULL, *saltv = NULL, *iterv = NULL, *v;
	size_t	nlen = 0, slen = 0, ilen = 0, vlen, pos = 0, cn, i;
	struct strbuf salt, am, final;
	unsigned char proof[KEY_LEN];
	long	iter;
	int	a, k, r = -1;

	/* r=nonce,s=salt,i=count[,ext...]: in this order (m= is a
	 * mandatory extension we do not know, so we must fail). */
	for (k = 0; (a = next_attr(sf->data, sf->len, &pos, &v, &vlen)) > 0; k++) {
		if (k == 0 && a == 'r')
			nonce = v, nlen = vlen;
		else if (k == 1 && a == 's')
			saltv = v, slen = vlen;
		else if (k == 2 && a == 'i')
			iterv = v, ilen = vlen;
		else if (k < 3) {
			if (a == 'm')
				return (fail(sc, err, "SCRAM server requires an "
				    "unsupported extension"));
			break;
		}
	}
	if (a < 0 || nonce == NULL || saltv == NULL || iterv == NULL)
		return (fail(sc, err, "malformed SCRAM server-first message"));
	/* The server's nonce starts with ours and adds its own part. */
	cn = strlen(sc->nonce);
	if (nlen <= cn || memcmp(nonce, sc->nonce, cn) != 0)
		return (fail(sc, err, "SCRAM server nonce does not extend ours"));
	for (i = 0; i < nlen; i++)
		if (nonce[i] < 0x21 || nonce[i] > 0x7e)
			return (fail(sc, err, "SCRAM server nonce has a bad "
			    "character"));
	if ((iter = parse_iter(iterv, ilen, sc->max_iter)) < 0) {
		fail(sc, err, "SCRAM iteration count \"");
		append_safe(err, iterv, ilen, 20);
		strbuf_printf(err, "\" not in 1..%u", sc->max_iter);
		return (-1);
	}
	strbuf_init(&salt, SALT_MAX);
	strbuf_init(&am, 4 * CHALLENGE_MAX);
	strbuf_init(&final, 4 * CHALLENGE_MAX);
	if (slen == 0 || sasl_base64_decode(saltv, slen, &salt) < 0
	    || salt.len == 0) {
		fail(sc, err, "SCRAM salt is empty, too long or not base64");
		goto out;
	}
	/* client-final-message-without-proof; "biws" = base64("n,,"). */
	strbuf_append_str(&final, "c=biws,r=");
	strbuf_append(&final, nonce, nlen);
	/* AuthMessage = client-first-bare "," server-first "," c-f-w-p */
	if (strbuf_append(&am, sc->first_bare.data, sc->first_bare.len) < 0
	    || strbuf_append_char(&am, ',') < 0
	    || strbuf_append(&am, sf->data, sf->len) < 0
	    || strbuf_append_char(&am, ',') < 0
	    || strbuf_append(&am, final.data, final.len) < 0) {
		fail(sc, err, "SCRAM message too long");
		goto out;
	}
	if (scram_compute(sc, &salt, iter, &am, proof) < 0) {
		fail(sc, err, "SCRAM key derivation failed");
		goto out;
	}
	if (strbuf_append_str(&final, ",p=") < 0
	    || sasl_base64_encode(proof, KEY_LEN, &final) < 0
	    || sasl_base64_encode(final.data, final.len, resp_b64) < 0) {
		fail(sc, err, "SCRAM response too long");
		goto out;
	}
	sc->state = SC_SCRAM_FINAL;
	r = 0;
out:
	explicit_bzero(proof, sizeof(proof));
	strbuf_release(&salt);
	strbuf_release(&am);
	wipe_release(&final);
	return (r);
}

/* server-final-message: "v=signature" or "e=error" (RFC 5802 7). */
static int
scram_verify(struct sasl_client *sc, const struct strbuf *sfin,
    struct strbuf *err)
{
	const char *v;
	size_t	vlen, pos = 0;
	struct strbuf sig;
	int	a, ok;

	a = next_attr(sfin->data, sfin->len, &pos, &v, &vlen);
	if (a == 'e') {
		fail(sc, err, "SCRAM server error: ");
		append_safe(err, v, vlen, 100);
		return (-1);
	}
	if (a != 'v')
		return (fail(sc, err, "malformed SCRAM server-final message"));
	strbuf_init(&sig, 64);
	ok = sasl_base64_decode(v, vlen, &sig) == 0 && sig.len == KEY_LEN
	    && CRYPTO_memcmp(sig.data, sc->server_sig, KEY_LEN) == 0;
	strbuf_release(&sig);
	if (!ok)
		return (fail(sc, err, "SCRAM server signature does not verify: "
		    "the server does not know the password"));
	sc->state = SC_DONE;
	return (0);
}

int
sasl_client_step(struct sasl_client *sc, const char *challenge_b64,
    struct strbuf *resp_b64, struct strbuf *err)
{
	struct strbuf ch;
	int	r = -1;

	strbuf_init(&ch, CHALLENGE_MAX);
	if (sc->state == SC_FAILED) {
		strbuf_set_str(err, "SASL exchange already failed");
		goto out;
	}
	if (decode_challenge(sc, challenge_b64, &ch, err) < 0)
		goto out;
	switch (sc->state) {
	case SC_STARTED:
		if (sc->mech != SC_LOGIN)
			break;
		/* LOGIN's prompts ("Username:") are not standard: the
		 * first challenge gets the user name, whatever it says. */
		if (sasl_base64_encode(sc->user, strlen(sc->user), resp_b64) < 0) {
			fail(sc, err, "SASL response too long");
			goto out;
		}
		sc->state = SC_LOGIN_USER;
		r = 0;
		goto out;
	case SC_LOGIN_USER:
		if (sasl_base64_encode(sc->pass, strlen(sc->pass), resp_b64) < 0) {
			fail(sc, err, "SASL response too long");
			goto out;
		}
		sc->state = SC_LOGIN_PASS;
		r = 0;
		goto out;
	case SC_SCRAM_FIRST:
		r = scram_first(sc, &ch, resp_b64, err);
		goto out;
	case SC_SCRAM_FINAL:
		/* The server's proof; the client answers with an empty
		 * line (RFC 4954 4: no additional data with 235). */
		r = scram_verify(sc, &ch, err);
		goto out;
	default:
		break;
	}
	fail(sc, err, "unexpected SASL challenge from server");
out:
	strbuf_release(&ch);
	return (r);
}

int
sasl_client_final(struct sasl_client *sc, const char *data_b64_or_null,
    struct strbuf *err)
{
	if (sc->state == SC_FAILED) {
		strbuf_set_str(err, "SASL exchange already failed");
		return (-1);
	}
	if (data_b64_or_null != NULL && *data_b64_or_null != '\0') {
		struct strbuf ch;
		int	r = -1;

		strbuf_init(&ch, CHALLENGE_MAX);
		if (sc->state != SC_SCRAM_FINAL)
			fail(sc, err, "unexpected SASL success data from server");
		else if (decode_challenge(sc, data_b64_or_null, &ch, err) == 0)
			r = scram_verify(sc, &ch, err);
		strbuf_release(&ch);
		return (r);
	}
	switch (sc->mech) {
	case SC_PLAIN:
		if (sc->state == SC_STARTED)
			return (0);
		break;
	case SC_LOGIN:
		if (sc->state == SC_LOGIN_PASS)
			return (0);
		break;
	case SC_SCRAM:
		if (sc->state == SC_DONE)
			return (0);
		return (fail(sc, err, "SCRAM server accepted without proving "
		    "it knows the password"));
	}
	return (fail(sc, err, "SASL success before the exchange was complete"));
}
