/*
 * sendmail/sendmail_params.c — parameters of the sendmail command and of
 * its setgid postdrop helper (both link this table).  Names and defaults
 * are Postfix's.
 */
#include <stddef.h>

#include "sendmail.h"

char	*var_sendmail_fix_line_endings;
char	*var_alternate_config_dirs;

const struct conf_param sendmail_params[] = {
	/* How sendmail treats CRLF in its input: always (CRLF becomes LF), strict (only when the first line ends in CRLF) or never. */
	{ "sendmail_fix_line_endings", CONF_STR, "always", NULL,
	    &var_sendmail_fix_line_endings, 0, 0, 0 },
	/* Configuration directories that an ordinary user may name with sendmail -C (postdrop -c) besides the default one. */
	{ "alternate_config_directories", CONF_STR, "", NULL,
	    &var_alternate_config_dirs, 0, 0, 0 },
	CONF_TABLE_END
};
