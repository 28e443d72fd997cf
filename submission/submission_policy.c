/*
 * submission/submission_policy.c — the MSA policy: smtpd's, plus AUTH.
 *
 * No hook of its own: the restriction hooks are smtpd's (smtpd_policy.c),
 * run with submission's parameter values (main.c), so permit_sasl_-
 * authenticated and reject_sender_login_mismatch do the MSA's work.  What
 * is added here is the SASL part of the engine's configuration.  Bad
 * configuration is fatal at start-up.
 */
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mail_params.h"
#include "../smtpd/smtpd.h"
#include "submission.h"

struct smtp_policy submission_policy;
static struct smtp_server_config submission_config;

int
submission_sasl_options(const char *value, unsigned *flags, struct strbuf *err)
{
	static const char *const noop[] = { "nodictionary", "noactive",
	    "mutual_auth", "forward_secrecy", NULL };
	const char *p = value;
	size_t	w, i;

	*flags = 0;
	while (*p) {
		p += strspn(p, ", \t");
		if ((w = strcspn(p, ", \t")) == 0)
			break;
		if (w == 11 && strncasecmp(p, "noplaintext", w) == 0)
			*flags |= SMTP_SASL_NOPLAINTEXT;
		else if (w == 11 && strncasecmp(p, "noanonymous", w) == 0)
			*flags |= SMTP_SASL_NOANONYMOUS;
		else {
			for (i = 0; noop[i]; i++)
				if (strlen(noop[i]) == w
				    && strncasecmp(p, noop[i], w) == 0)
					break;
			if (noop[i] == NULL) {
				strbuf_set_printf(err, "unknown option \"%.*s\"",
				    (int)(w > 64 ? 64 : w), p);
				return (-1);
			}
		}
		p += w;
	}
	return (0);
}

void
submission_policy_init(void)
{
	struct strbuf err;

	smtpd_policy_init();
	/* smtpd's configuration, with the SASL part filled in. */
	submission_config = *smtpd_policy.config;
	submission_policy = smtpd_policy;
	submission_policy.name = "submission";
	submission_policy.flags |= SMTP_POLICY_F_AUTH_ALLOWED;
	submission_policy.config = &submission_config;
	strbuf_init(&err, 256);
	if (submission_sasl_options(var_smtpd_sasl_security_options,
	    &submission_config.sasl_sec, &err) < 0)
		log_fatal("parameter smtpd_sasl_security_options: %s", err.data);
	if (submission_sasl_options(var_smtpd_sasl_tls_security_options,
	    &submission_config.sasl_tls_sec, &err) < 0)
		log_fatal("parameter smtpd_sasl_tls_security_options: %s",
		    err.data);
	strbuf_release(&err);
	submission_config.sasl_auth_enable = var_smtpd_sasl_auth_enable;
	submission_config.sasl_broken_clients = var_broken_sasl_auth_clients;
	submission_config.sasl_auth_header = var_smtpd_sasl_authenticated_header;
	if (var_smtpd_sasl_auth_enable)
		smtp_server_auth_init(var_queue_dir, 2000);
}

void
submission_accept(int fd)
{
	smtp_server_accept(fd, &submission_policy);
}
