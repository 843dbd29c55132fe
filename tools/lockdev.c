// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev: the command-line program of the lockdev module. This file is
 * the dispatch: a subcommand by its name, else the run form,
 *
 *   lockdev [run] [options] NAME command [args...]   run under a named lock,
 *   lockdev [run] [options] NAME -c command          as util-linux flock(1)
 *   lockdev [run] [options] --fd N NAME              lock in an open session
 *
 * A first word that is not a subcommand is taken as a lock name only if it
 * does not look like a mistyped subcommand (see typo()): a typo never takes
 * a lock. Exit codes are in cli.h and lockdev(1).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static int cmd_help(int argc, char **argv);

static const struct subcommand subcommands[] = {
	{ "run", cmd_run, "run a command under a named lock (the default)" },
	{ "list", cmd_list, "show holders and waiters (--tree: who blocks whom)" },
	{ "spaces", cmd_spaces, "show the lockspaces" },
	{ "space", cmd_space, "create, change or remove a lockspace (admin)" },
	{ "order", cmd_order, "show the learned lock order and its inversions" },
	{ "stats", cmd_stats, "show the module's counters (--classes: per class)" },
	{ "deadlocks", cmd_deadlocks, "show the deadlocks and order violations kept" },
	{ "version", cmd_version, "show the module's version and features" },
	{ "monitor", cmd_monitor, "follow events, one line each (--json)" },
	{ "help", cmd_help, "show this help" },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %1$s <command> [<args>]\n"
		"       %1$s [run] [options] NAME command [args...]\n"
		"       %1$s --version\n\ncommands:\n", cli_prog);
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
			subcommands[i].help);
	fprintf(f, "\n'%s COMMAND --help' shows the options of each; see lockdev(1).\n",
		cli_prog);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

/*
 * The optimal string alignment distance of @a and @b: insertions,
 * deletions, substitutions and swaps of neighbours, one each. Up to 15
 * bytes; longer words are far from every subcommand.
 */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[16][16], best;

	if (la > 15 || lb > 15)
		return 16;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/*
 * The subcommand @word is a typo of, or NULL: one edit away (two for
 * subcommands of six letters or more), or its first three letters or more.
 */
static const char *typo(const char *word)
{
	size_t i, len = strlen(word), d, max;

	for (i = 0; i < N_SUBCOMMANDS; i++) {
		const char *name = subcommands[i].name;

		d = distance(word, name);
		max = strlen(name) >= 6 && len >= 4 ? 2 : 1;
		if (d <= max || (len >= 3 && !strncmp(word, name, len)))
			return name;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	char argv0[32];
	const char *near;
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("%s %s\n", cli_prog, LOCKDEV_PACKAGE_VERSION);
		return 0;
	}
	/* getopt's messages start with argv[0]: say "lockdev SUBCOMMAND". */
	argv[0] = (char *)cli_prog;
	for (i = 0; i < N_SUBCOMMANDS; i++) {
		if (!strcmp(argv[1], subcommands[i].name)) {
			cli_cmd = subcommands[i].name;
			snprintf(argv0, sizeof(argv0), "%s %s", cli_prog,
				 cli_cmd);
			argv[1] = argv0;
			return subcommands[i].run(argc - 1, argv + 1);
		}
	}
	near = argv[1][0] == '-' ? NULL : typo(argv[1]);
	if (near) {
		cli_err("%s is not a command; did you mean '%s'?\n"
			"To take a lock called so, write: %s run %s COMMAND...",
			msg_str(argv[1]), near, cli_prog, msg_str(argv[1]));
		return cli_bad_option();
	}
	/* The bare form: lockdev [options] NAME command... */
	return cmd_run(argc, argv);
}
