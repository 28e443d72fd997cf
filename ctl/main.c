/*
 * ctl/main.c — `tegami [-c DIR] COMMAND [ARGS]`, the administration
 * command (postfix(1), postconf(1) and postcat(1) in one).
 *
 * This file holds the option parsing and the table of commands; each
 * command lives in its own ctl_*.c file.  The configuration directory is
 * -c DIR, else $TEGAMI_CONFIG_DIR, else /etc/tegami.  See tegami(1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "mail_params.h"

static const struct ctl_command {
	const char *name;
	int	(*run)(int argc, char **argv);
	const char *usage;
} ctl_commands[] = {
	{ "init", ctl_cmd_init, "init DIR [--port-base N]" },
	{ "tls-selfsigned", ctl_cmd_tls_selfsigned, "tls-selfsigned [-f]" },
	{ "start", ctl_cmd_start, "start [-f]" },
	{ "stop", ctl_cmd_stop, "stop" },
	{ "reload", ctl_cmd_reload, "reload" },
	{ "status", ctl_cmd_status, "status" },
	{ "check", ctl_cmd_check, "check" },
	{ "conf", ctl_cmd_conf, "conf [-n | -d] [name ...] | conf -e name=value ..." },
	{ "qdump", ctl_cmd_qdump, "qdump FILE ..." },
	{ "queue", ctl_cmd_queue, "queue flush | list | delete ID ...|ALL | "
	    "hold ID ...|ALL | release ID ...|ALL" },
	{ "map", ctl_cmd_map, "map [-afs] [-q KEY | -q - | -d KEY] type:file ...\n"
	    "       tegami [-c config_dir] map -C type:source type:result" },
	{ "alias", ctl_cmd_alias, "alias [-q KEY | -d KEY | -s] [type:file ...]" },
	{ "passwd", ctl_cmd_passwd, "passwd [-m yescrypt|sha512|bcrypt] USER" },
};
#define CTL_NCOMMANDS (sizeof(ctl_commands) / sizeof(ctl_commands[0]))

static void ctl_usage(void) __attribute__((noreturn));

static void
ctl_usage(void)
{
	size_t i;

	fprintf(stderr, "usage: tegami [-c config_dir] command\n");
	for (i = 0; i < CTL_NCOMMANDS; i++)
		fprintf(stderr, "       tegami [-c config_dir] %s\n",
		    ctl_commands[i].usage);
	exit(2);
}

int
main(int argc, char **argv)
{
	size_t i;
	int c;

	const char *base;

	log_init("tegami", LOG_DEST_STDERR, NULL);
	/* Invoked as postmap / postalias (links): Postfix's commands. */
	base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (strcmp(base, "postmap") == 0 || strcmp(base, "postalias") == 0) {
		if ((ctl_config_dir = getenv(CONFIG_DIR_ENV)) == NULL ||
		    *ctl_config_dir == '\0')
			ctl_config_dir = DEF_CONFIG_DIR;
		log_init(base, LOG_DEST_STDERR, NULL);
		return base[4] == 'm' ? ctl_cmd_map(argc, argv) :
		    ctl_cmd_alias(argc, argv);
	}
	/* '+': options after the command belong to the command. */
	while ((c = getopt(argc, argv, "+c:")) != -1) {
		if (c != 'c')
			ctl_usage();
		ctl_config_dir = optarg;
	}
	if (ctl_config_dir == NULL)
		ctl_config_dir = getenv(CONFIG_DIR_ENV);
	if (ctl_config_dir == NULL || *ctl_config_dir == '\0')
		ctl_config_dir = DEF_CONFIG_DIR;
	if (optind >= argc)
		ctl_usage();
	for (i = 0; i < CTL_NCOMMANDS; i++)
		if (strcmp(argv[optind], ctl_commands[i].name) == 0) {
			optind++;
			return ctl_commands[i].run(argc - optind + 1,
			    argv + optind - 1);
		}
	ctl_error("unknown command: %s", argv[optind]);
	ctl_usage();
}
