/*
 * jpkictl: the operator's command line.
 *
 *   jpkictl init --dir D ...        create a development CA hierarchy
 *   jpkictl migrate (--db C | -c F) apply pending database migrations
 *   jpkictl enroll ...              register client certificates as principals
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "tools/jpkictl.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*help;
} cmds[] = {
	{ "init", jpkictl_init_main, "create a development CA hierarchy (--dir D)" },
	{ "migrate", jpkictl_migrate_main, "apply pending database migrations" },
	{ "enroll", jpkictl_enroll_main, "register client certificates (terminal, feed, ...)" },
	/* ---- operators: sessions ---- */
	{ "operator", jpkictl_operator_main, "operator accounts (add, passwd, totp, list, ...)" },
	/* ---- end operators: sessions ---- */

	/* ---- operators: audit ---- */
	{ "audit", jpkictl_audit_main, "verify the audit chain (audit verify -c jpkid.conf)" },
	/* ---- end operators: audit ---- */
};

static int
usage(void)
{
	size_t i;

	fprintf(stderr, "usage: jpkictl COMMAND [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(stderr, "\n'jpkictl COMMAND --help' describes a command's options.\n");
	return 2;
}

int
main(int argc, char **argv)
{
	size_t i;

	log_set_ident("jpkictl");
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("jpkictl %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "jpkictl: unknown command '%s'\n", argv[1]);
	return usage();
}
