/*
 * jpkictl: the operator's command line.
 *
 *   jpkictl init --dir D ...        create a development CA hierarchy
 *   jpkictl migrate (--db C | -c F) apply pending database migrations
 *   jpkictl enroll ...              register client certificates as principals
 *   jpkictl operator ..., audit verify ...
 *   jpkictl help [COMMAND], jpkictl COMMAND --help, jpkictl --version
 * Reference: man/jpkictl.8.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* The list of commands: on stdout for a help request (0), on stderr for a usage error (2). */
static int
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: jpkictl COMMAND [options]\n"
	    "       jpkictl help [COMMAND] | --help | --version\n\ncommands:\n");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'jpkictl COMMAND --help' describes a command's options; jpkictl(8).\n");
	return f == stdout ? 0 : 2;
}

static int
is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h") || !strcmp(a, "help");
}

/*
 * jpkictl COMMAND --help, jpkictl help COMMAND: the command's own usage.
 * Some commands print it only as a usage error (stderr, 2); asked for, it
 * is the answer: stdout and 0.
 */
static int
command_help(size_t i)
{
	char *args[] = { (char *)cmds[i].name, (char *)"--help", NULL };
	int rc;

	fflush(stdout);
	if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0)
		return 1;
	rc = cmds[i].fn(2, args);
	return rc == 2 ? 0 : rc;
}

int
main(int argc, char **argv)
{
	size_t i;
	const char *name;

	log_set_ident("jpkictl");
	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("jpkictl %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (is_help(argv[1]) && argc <= 3) {
		if (argc == 2)
			return usage(stdout);
		name = argv[2];
	} else if (argc == 3 && strcmp(argv[2], "--help") == 0)
		name = argv[1];
	else
		name = NULL;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(name != NULL ? name : argv[1], cmds[i].name) == 0)
			return name != NULL ? command_help(i) : cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "jpkictl: unknown command '%s'\n", name != NULL ? name : argv[1]);
	return usage(stderr);
}
