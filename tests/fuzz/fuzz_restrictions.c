/*
 * tests/fuzz/fuzz_restrictions.c — smtpd restriction lists
 * (smtpd/smtpd_check_parse.c) from arbitrary text: the list parser, the
 * DNSBL reply-filter parser, and, for a list that parses, one evaluation
 * at every stage on fixed session facts without DNS.  Only inline: and
 * static: tables are opened (no file or socket is touched).  A list that
 * does not parse must leave an error naming the parameter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "mail_params.h"
#include "map.h"
#include "../../smtpd/smtpd.h"
#include "../../smtpd/smtpd_check.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct map *
open_inline_only(const char *spec, int flags, struct strbuf *err)
{
	if (strncasecmp(spec, "inline:", 7) != 0 &&
	    strncasecmp(spec, "static:", 7) != 0) {
		strbuf_set_str(err, "fuzz: only inline: and static: tables");
		return (NULL);
	}
	return (map_open(spec, flags, err));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	static char *classes[] = { "c1", "strict", NULL };
	struct smtpd_rbl_filter filter;
	struct smtpd_facts f;
	struct smtpd_rlist *l;
	struct strbuf err, reply;
	char   *text;
	int	stage, flags;

	if (!init) {
		log_init("fuzz", LOG_DEST_STDERR, NULL);
		conf_register(mail_params_common);
		conf_register(smtpd_check_params);
		strbuf_init(&err, 1024);
		if (conf_bind(&err) != 0 || smtpd_check_init(&err) != 0)
			abort();
		strbuf_release(&err);
		smtpd_rlist_map_open = open_inline_only;
		init = 1;
	}
	if (size > 8192)
		return (0);
	text = strndup((const char *)data, size);
	if (text == NULL)
		return (0);
	(void)smtpd_rbl_filter_parse(text, &filter);
	(void)smtpd_rbl_filter_match(&filter, text);
	strbuf_init(&err, 4096);
	strbuf_init(&reply, 8192);
	l = smtpd_rlist_parse("smtpd_fuzz_restrictions", text, classes, &err);
	if (l == NULL) {
		if (strstr(err.data, "smtpd_fuzz_restrictions") == NULL)
			abort();
	} else {
		memset(&f, 0, sizeof(f));
		f.client_addr = "192.0.2.1";
		f.client_name = "mail.example.org";
		f.reverse_name = "mail.example.org";
		f.helo = text[0] ? text : "client.example";
		f.sender = "a@example.org";
		f.rcpt = "r@example.net";
		f.protocol = "ESMTP";
		f.tls_fingerprint = "AB:CD";
		for (stage = SMTPD_CONNECT; stage <= SMTPD_EOD; stage++)
			(void)smtpd_check_list(l, (enum smtpd_stage)stage, &f, &reply,
			    &flags);
		smtpd_rlist_free(l);
	}
	strbuf_release(&err);
	strbuf_release(&reply);
	free(text);
	return (0);
}
