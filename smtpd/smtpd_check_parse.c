/*
 * smtpd/smtpd_check_parse.c — restriction lists from text to compiled form.
 *
 * A list is split on commas and white space as Postfix does, a {...} group
 * staying one word (inline:{ a=b, c=d }).  Each word is a restriction name
 * from the table below, a restriction class name, or, after an element
 * that takes one, its argument (a type:table, a DNSBL zone with an optional
 * "=d.d.d.d" reply filter).  The text is configuration or an access-table
 * result, so it is untrusted as far as syntax goes: every error is a
 * returned message naming the parameter, never a crash (fuzzed by
 * tests/fuzz/fuzz_restrictions.c).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtpd_check.h"

enum argkind { A_NONE, A_TABLE, A_ZONE };

static const struct {
	const char *name;
	enum smtpd_restr type;
	enum argkind arg;
} restr_names[] = {
	{ "permit", R_PERMIT, A_NONE },
	{ "reject", R_REJECT, A_NONE },
	{ "defer", R_DEFER, A_NONE },
	{ "defer_if_permit", R_DEFER_IF_PERMIT, A_NONE },
	{ "defer_if_reject", R_DEFER_IF_REJECT, A_NONE },
	{ "warn_if_reject", R_WARN_IF_REJECT, A_NONE },
	{ "permit_mynetworks", R_PERMIT_MYNETWORKS, A_NONE },
	{ "permit_sasl_authenticated", R_PERMIT_SASL, A_NONE },
	{ "permit_tls_clientcerts", R_PERMIT_TLS_CLIENTCERTS, A_NONE },
	{ "permit_auth_destination", R_PERMIT_AUTH_DEST, A_NONE },
	{ "reject_unauth_destination", R_REJECT_UNAUTH_DEST, A_NONE },
	{ "defer_unauth_destination", R_DEFER_UNAUTH_DEST, A_NONE },
	{ "reject_unauth_pipelining", R_REJECT_UNAUTH_PIPELINING, A_NONE },
	{ "reject_non_fqdn_helo_hostname", R_REJECT_NON_FQDN_HELO, A_NONE },
	{ "reject_non_fqdn_hostname", R_REJECT_NON_FQDN_HELO, A_NONE },
	{ "reject_invalid_helo_hostname", R_REJECT_INVALID_HELO, A_NONE },
	{ "reject_invalid_hostname", R_REJECT_INVALID_HELO, A_NONE },
	{ "reject_unknown_helo_hostname", R_REJECT_UNKNOWN_HELO, A_NONE },
	{ "reject_unknown_hostname", R_REJECT_UNKNOWN_HELO, A_NONE },
	{ "reject_non_fqdn_sender", R_REJECT_NON_FQDN_SENDER, A_NONE },
	{ "reject_non_fqdn_recipient", R_REJECT_NON_FQDN_RCPT, A_NONE },
	{ "reject_unknown_sender_domain", R_REJECT_UNKNOWN_SENDER_DOMAIN, A_NONE },
	{ "reject_unknown_recipient_domain", R_REJECT_UNKNOWN_RCPT_DOMAIN, A_NONE },
	{ "reject_unknown_client_hostname", R_REJECT_UNKNOWN_CLIENT, A_NONE },
	{ "reject_unknown_client", R_REJECT_UNKNOWN_CLIENT, A_NONE },
	{ "reject_unknown_reverse_client_hostname",
	    R_REJECT_UNKNOWN_REVERSE_CLIENT, A_NONE },
	{ "reject_unlisted_recipient", R_REJECT_UNLISTED_RCPT, A_NONE },
	{ "reject_multi_recipient_bounce", R_REJECT_MULTI_RCPT_BOUNCE, A_NONE },
	{ "check_client_access", R_CHECK_CLIENT_ACCESS, A_TABLE },
	{ "check_reverse_client_hostname_access", R_CHECK_REVERSE_CLIENT_ACCESS,
	    A_TABLE },
	{ "check_helo_access", R_CHECK_HELO_ACCESS, A_TABLE },
	{ "check_sender_access", R_CHECK_SENDER_ACCESS, A_TABLE },
	{ "check_recipient_access", R_CHECK_RCPT_ACCESS, A_TABLE },
	{ "reject_rbl_client", R_RBL_CLIENT, A_ZONE },
	{ "reject_rhsbl_client", R_RHSBL_CLIENT, A_ZONE },
	{ "reject_rhsbl_reverse_client", R_RHSBL_REVERSE_CLIENT, A_ZONE },
	{ "reject_rhsbl_sender", R_RHSBL_SENDER, A_ZONE },
	{ "reject_rhsbl_helo", R_RHSBL_HELO, A_ZONE },
	{ "reject_rhsbl_recipient", R_RHSBL_RCPT, A_ZONE },
	{ "reject_sender_login_mismatch", R_REJECT_SENDER_LOGIN, A_NONE },
	{ "reject_authenticated_sender_login_mismatch",
	    R_REJECT_AUTH_SENDER_LOGIN, A_NONE },
	{ "reject_unauthenticated_sender_login_mismatch",
	    R_REJECT_UNAUTH_SENDER_LOGIN, A_NONE },
};
#define NRESTR	(sizeof(restr_names) / sizeof(restr_names[0]))

#define WORD_MAX	4096	/* longest word of a list we accept */

struct map *(*smtpd_rlist_map_open)(const char *, int, struct strbuf *) =
	map_open;

/* Next word of a list: split on commas and white space, {...} kept
 * together.  NULL at the end; -1 in *bad for an unbalanced brace. */
static char *
rl_next(const char **pp, int *bad)
{
	const char *p = *pp, *start;
	int	depth = 0;

	while (*p == ',' || isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return (NULL);
	start = p;
	for (; *p != '\0'; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && depth > 0)
			depth--;
		else if (depth == 0 && (*p == ',' || isspace((unsigned char)*p)))
			break;
	}
	*bad = depth > 0;
	*pp = p;
	return (xstrndup(start, (size_t)(p - start)));
}

/* One octet set of a filter: "N" or "[N;N..M;...]". */
static int
rbl_octet_parse(const char **pp, unsigned char set[32])
{
	const char *p = *pp;
	int	bracket = 0;
	long	lo, hi, v;
	char   *end;

	memset(set, 0, 32);
	if (*p == '[') {
		bracket = 1;
		p++;
	}
	for (;;) {
		if (!isdigit((unsigned char)*p))
			return (-1);
		lo = strtol(p, &end, 10);
		p = end;
		hi = lo;
		if (bracket && p[0] == '.' && p[1] == '.') {
			p += 2;
			if (!isdigit((unsigned char)*p))
				return (-1);
			hi = strtol(p, &end, 10);
			p = end;
		}
		if (lo < 0 || hi > 255 || lo > hi)
			return (-1);
		for (v = lo; v <= hi; v++)
			set[v / 8] |= (unsigned char)(1u << (v % 8));
		if (!bracket)
			break;
		if (*p == ';') {
			p++;
			continue;
		}
		if (*p != ']')
			return (-1);
		p++;
		break;
	}
	*pp = p;
	return (0);
}

int
smtpd_rbl_filter_parse(const char *text, struct smtpd_rbl_filter *f)
{
	const char *p = text;
	int	i;

	for (i = 0; i < 4; i++) {
		if (i > 0 && *p++ != '.')
			return (-1);
		if (rbl_octet_parse(&p, f->octet[i]) < 0)
			return (-1);
	}
	return (*p == '\0' ? 0 : -1);
}

int
smtpd_rbl_filter_match(const struct smtpd_rbl_filter *f, const char *ipv4)
{
	const char *p = ipv4;
	char   *end;
	long	v;
	int	i;

	for (i = 0; i < 4; i++) {
		if (i > 0 && *p++ != '.')
			return (0);
		if (!isdigit((unsigned char)*p))
			return (0);
		v = strtol(p, &end, 10);
		p = end;
		if (v < 0 || v > 255 || !(f->octet[i][v / 8] & (1u << (v % 8))))
			return (0);
	}
	return (*p == '\0');
}

/* A DNSBL zone: a non-empty domain name (letters, digits, '-', '_',
 * dots), optionally followed by "=filter". */
static int
zone_parse(const char *word, struct smtpd_restriction *r)
{
	const char *eq = strchr(word, '=');
	size_t	n = eq ? (size_t)(eq - word) : strlen(word), i;

	if (n == 0 || n > 253 || word[0] == '.')
		return (-1);
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)word[i]) && word[i] != '-' &&
		    word[i] != '_' && word[i] != '.')
			return (-1);
	r->zone = xstrndup(word, n);
	if (r->zone[n - 1] == '.')
		r->zone[n - 1] = '\0';
	if (eq != NULL) {
		if (smtpd_rbl_filter_parse(eq + 1, &r->filter) < 0)
			return (-1);
		r->has_filter = 1;
	}
	return (0);
}

static int
is_pattern_table(const char *spec)
{
	return (strncasecmp(spec, "pcre:", 5) == 0 ||
	    strncasecmp(spec, "regexp:", 7) == 0 ||
	    strncasecmp(spec, "cidr:", 5) == 0);
}

static void
restriction_release(struct smtpd_restriction *r)
{
	map_close(r->table);
	free(r->zone);
}

/* Parse the argument of element r (already typed). */
static int
arg_parse(const char *param, enum argkind kind, struct smtpd_restriction *r,
    const char **pp, struct strbuf *err)
{
	struct strbuf merr;
	char   *word;
	int	bad = 0, ret = -1;

	word = rl_next(pp, &bad);
	if (word != NULL && bad) {
		strbuf_set_printf(err, "parameter %s: %s: missing '}' in "
		    "\"%.100s\"", param, r->name, word);
		free(word);
		return (-1);
	}
	if (word == NULL) {
		strbuf_set_printf(err, "parameter %s: %s needs %s", param, r->name,
		    kind == A_TABLE ? "a type:table argument" : "a DNS zone");
		free(word);
		return (-1);
	}
	if (kind == A_ZONE) {
		if ((ret = zone_parse(word, r)) < 0)
			strbuf_set_printf(err, "parameter %s: %s: bad DNS zone or "
			    "reply filter \"%.100s\"", param, r->name, word);
	} else if (strchr(word, ':') == NULL || word[0] == ':') {
		strbuf_set_printf(err, "parameter %s: %s needs a type:table "
		    "argument, got \"%.100s\"", param, r->name, word);
	} else {
		strbuf_init(&merr, 1024);
		r->table = smtpd_rlist_map_open(word, MAP_F_FOLD_KEY, &merr);
		if (r->table == NULL)
			strbuf_set_printf(err, "parameter %s: %s %.100s: %s", param,
			    r->name, word, merr.data);
		else {
			r->pattern_table = is_pattern_table(word);
			ret = 0;
		}
		strbuf_release(&merr);
	}
	free(word);
	return (ret);
}

struct smtpd_rlist *
smtpd_rlist_parse(const char *param, const char *value, char *const *classes,
    struct strbuf *err)
{
	struct smtpd_rlist *l = xcalloc(1, sizeof(*l));
	struct smtpd_restriction r;
	const char *p = value ? value : "";
	char   *word;
	size_t	i;
	int	bad = 0;

	l->param = xstrdup(param);
	while ((word = rl_next(&p, &bad)) != NULL) {
		memset(&r, 0, sizeof(r));
		if (bad || strlen(word) > WORD_MAX) {
			strbuf_set_printf(err, "parameter %s: %s in \"%.100s\"", param,
			    bad ? "missing '}'" : "word too long", word);
			goto fail;
		}
		for (i = 0; i < NRESTR; i++)
			if (strcasecmp(word, restr_names[i].name) == 0)
				break;
		if (i < NRESTR) {
			r.type = restr_names[i].type;
			r.name = restr_names[i].name;
			if (restr_names[i].arg != A_NONE &&
			    arg_parse(param, restr_names[i].arg, &r, &p, err) < 0) {
				restriction_release(&r);
				goto fail;
			}
		} else {
			for (i = 0; classes != NULL && classes[i] != NULL; i++)
				if (strcmp(word, classes[i]) == 0)
					break;
			if (classes == NULL || classes[i] == NULL) {
				strbuf_set_printf(err, "parameter %s: unknown "
				    "restriction \"%.100s\"", param, word);
				goto fail;
			}
			r.type = R_CLASS;
			r.name = "restriction class";
			r.zone = xstrdup(word);
		}
		free(word);
		l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
		l->v[l->n++] = r;
	}
	return (l);
fail:
	free(word);
	smtpd_rlist_free(l);
	return (NULL);
}

void
smtpd_rlist_free(struct smtpd_rlist *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		restriction_release(&l->v[i]);
	free(l->v);
	free(l->param);
	free(l);
}

int
smtpd_rlist_has(const struct smtpd_rlist *l, enum smtpd_restr type)
{
	size_t	i;

	for (i = 0; l != NULL && i < l->n; i++)
		if (l->v[i].type == type)
			return (1);
	return (0);
}
