/*
 * sendmail/sm_args.c — the sendmail command line, as Postfix's sendmail
 * reads it: the name it was called by (mailq, newaliases), bundled
 * single-letter options ("-ti"), option arguments attached or separate
 * ("-fuser" / "-f user"), options ignored for compatibility (-oXXX, -N, -R,
 * -V, -X, -B, -h, -L, -O, -n, -m, -U, -G), and recipients after the
 * options or after "--".  A pure function over argv: errors are returned.
 */
#include <string.h>

#include "sendmail.h"

/* Options that take an argument and are accepted but ignored. */
#define IGNORED_WITH_ARG	"NRVXBhLO"
#define IGNORED_FLAGS		"nmUGv"

static int
opt_b(struct sm_opts *o, const char *arg, struct strbuf *why)
{
	if (strcmp(arg, "m") == 0)
		o->mode = SM_MODE_SEND;
	else if (strcmp(arg, "p") == 0)
		o->mode = SM_MODE_MAILQ;
	else if (strcmp(arg, "i") == 0)
		o->mode = SM_MODE_NEWALIASES;
	else {
		strbuf_set_printf(why, "-b%.10s is not supported", arg);
		return -1;
	}
	return 0;
}

/* One option letter with its argument (NULL for flags). */
static int
opt_apply(struct sm_opts *o, char c, const char *arg, struct strbuf *why)
{
	switch (c) {
	case 't':
		o->extract = 1;
		return 0;
	case 'i':
		o->dot_ends = 0;
		return 0;
	case 'f':
	case 'r':
		o->sender = arg;
		return 0;
	case 'F':
		o->full_name = arg;
		return 0;
	case 'C':
		o->config_dir = arg;
		return 0;
	case 'b':
		return opt_b(o, arg, why);
	default:
		if (c == 'v')
			o->verbose++;
		return 0;	/* IGNORED_WITH_ARG / IGNORED_FLAGS */
	}
}

static int
takes_arg(char c)
{
	return strchr("frFCb" IGNORED_WITH_ARG, c) != NULL;
}

/* One "-xyz" token; *i advances past a separate argument. */
static int
parse_token(int argc, char **argv, int *i, struct sm_opts *o,
    struct strbuf *why)
{
	const char *tok = argv[*i] + 1;
	const char *arg;

	/* -oi is -i; any other -oXXX is a sendmail option we ignore. -q
	 * with or without an interval or queue selector asks for a flush. */
	if (tok[0] == 'o') {
		if (strcmp(tok, "oi") == 0)
			o->dot_ends = 0;
		return 0;
	}
	if (tok[0] == 'q') {
		o->mode = SM_MODE_FLUSH;
		return 0;
	}
	for (; *tok; tok++) {
		if (!takes_arg(*tok)) {
			if (strchr("ti" IGNORED_FLAGS, *tok) == NULL) {
				strbuf_set_printf(why, "invalid option -- '%c'",
				    (unsigned char)*tok >= 0x20 ? *tok : '?');
				return -1;
			}
			if (opt_apply(o, *tok, NULL, why) < 0)
				return -1;
			continue;
		}
		if (tok[1] != '\0')
			arg = tok + 1;
		else if (*i + 1 < argc)
			arg = argv[++*i];
		else {
			strbuf_set_printf(why, "option requires an argument -- '%c'",
			    *tok);
			return -1;
		}
		return opt_apply(o, *tok, arg, why);
	}
	return 0;
}

int
sm_parse_args(int argc, char **argv, struct sm_opts *o, struct strbuf *why)
{
	const char *name = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
	int i;

	memset(o, 0, sizeof(*o));
	o->dot_ends = 1;
	name = name ? name + 1 : (argc > 0 && argv[0] ? argv[0] : "sendmail");
	if (strcmp(name, "mailq") == 0)
		o->mode = SM_MODE_MAILQ;
	else if (strcmp(name, "newaliases") == 0)
		o->mode = SM_MODE_NEWALIASES;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			break;
		if (parse_token(argc, argv, &i, o, why) < 0)
			return -1;
	}
	o->rcpts = argv + i;
	o->nrcpt = argc - i;
	return 0;
}

const char *
sm_strip_brackets(const char *s, struct strbuf *out)
{
	size_t n = strlen(s);

	strbuf_reset(out);
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		strbuf_append(out, s + 1, n - 2);
	else
		strbuf_append(out, s, n);
	return out->data;
}
