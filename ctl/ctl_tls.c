/*
 * ctl/ctl_tls.c — a self-signed certificate for the SMTP server, made the
 * way Debian's snakeoil is for a fresh Postfix, so STARTTLS works out of
 * the box: by `tegami init` for an instance, and by `tegami tls-selfsigned`
 * (run by `make install`) for a configuration without a certificate.
 *
 * Files: CONFIG/tls/cert.pem + key.pem (RSA 2048) and eccert.pem +
 * eckey.pem (ECDSA P-256), CN = $myhostname; keys mode 0600 (owned by
 * whoever runs this: root on a real install, read by smtpd before it drops
 * privileges).  Existing files are kept, never overwritten.  Errors are
 * printed.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "tls.h"

/* One key pair unless both of its files exist. */
static int
ctl_tls_pair(const char *dir, const char *type, const char *cert,
	    const char *key, const char *cn)
{
	char	cpath[PATH_MAX], kpath[PATH_MAX];
	struct strbuf err;
	int	r;

	if (snprintf(cpath, sizeof(cpath), "%s/%s", dir, cert) >= PATH_MAX
	    || snprintf(kpath, sizeof(kpath), "%s/%s", dir, key) >= PATH_MAX) {
		ctl_error("%s: name too long", dir);
		return (-1);
	}
	if (access(cpath, F_OK) == 0 && access(kpath, F_OK) == 0)
		return (0);
	strbuf_init(&err, 1024);
	if ((r = tls_make_selfsigned(type, cn, cpath, kpath, &err)) < 0)
		ctl_error("%s", err.data);
	else
		ctl_msg("created %s and %s (self-signed, CN=%s)", cpath, kpath, cn);
	strbuf_release(&err);
	return (r);
}

int
ctl_tls_make_certs(const char *config_dir, const char *cn)
{
	char	dir[PATH_MAX];

	if (snprintf(dir, sizeof(dir), "%s/tls", config_dir) >= PATH_MAX) {
		ctl_error("%s/tls: name too long", config_dir);
		return (-1);
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		ctl_error("mkdir %s: %s", dir, strerror(errno));
		return (-1);
	}
	if (ctl_tls_pair(dir, "rsa", "cert.pem", "key.pem", cn) < 0
	    || ctl_tls_pair(dir, "ec", "eccert.pem", "eckey.pem", cn) < 0)
		return (-1);
	return (0);
}

/* `tegami tls-selfsigned [-f]`: certificates and main.cf settings, unless
 * smtpd_tls_cert_file is already set (-f: even then). */
int
ctl_cmd_tls_selfsigned(int argc, char **argv)
{
	static const char *const names[] = { "smtpd_tls_cert_file",
	    "smtpd_tls_key_file", "smtpd_tls_eccert_file",
	    "smtpd_tls_eckey_file" };
	static const char *const files[] = { "cert.pem", "key.pem",
	    "eccert.pem", "eckey.pem" };
	char	main_cf[PATH_MAX + 16], value[PATH_MAX], dir[PATH_MAX];
	struct strbuf err;
	int	force = 0, i;
	char   *cn;

	if (argc == 2 && strcmp(argv[1], "-f") == 0)
		force = 1;
	else if (argc != 1) {
		ctl_error("usage: tegami tls-selfsigned [-f]");
		return (2);
	}
	strbuf_init(&err, 1024);
	if (ctl_load_config(1, &err) < 0) {
		ctl_error("%s", err.data);
		strbuf_release(&err);
		return (1);
	}
	if (*conf_value("smtpd_tls_cert_file") && !force) {
		ctl_msg("smtpd_tls_cert_file is set (%s); not making a "
		    "certificate", conf_value("smtpd_tls_cert_file"));
		strbuf_release(&err);
		return (0);
	}
	cn = xstrdup(conf_value("myhostname"));
	if (realpath(ctl_config_dir, dir) == NULL) {
		ctl_error("%s: %s", ctl_config_dir, strerror(errno));
		free(cn);
		strbuf_release(&err);
		return (1);
	}
	if (ctl_tls_make_certs(dir, cn) < 0) {
		free(cn);
		strbuf_release(&err);
		return (1);
	}
	free(cn);
	snprintf(main_cf, sizeof(main_cf), "%s/main.cf", dir);
	for (i = 0; i < 4; i++) {
		if (snprintf(value, sizeof(value), "%s/tls/%s", dir,
		    files[i]) >= PATH_MAX
		    || conf_edit_file(main_cf, names[i], value, &err) < 0)
			goto edit_error;
	}
	if (*conf_value("smtpd_tls_security_level") == '\0'
	    && conf_edit_file(main_cf, "smtpd_tls_security_level", "may",
	    &err) < 0)
		goto edit_error;
	ctl_msg("%s: smtpd uses the new certificate (smtpd_tls_security_level "
	    "= %s)", main_cf, *conf_value("smtpd_tls_security_level") ?
	    conf_value("smtpd_tls_security_level") : "may");
	strbuf_release(&err);
	return (0);
edit_error:
	ctl_error("%s: %s", main_cf, err.len ? err.data : "name too long");
	strbuf_release(&err);
	return (1);
}
