// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev: the command-line program of the lockdev module.
 *
 * Exit codes: 0 success, 64 usage error, 69 module not loaded, 72 module
 * loaded but no device node, 77 permission denied, 71 any other error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lockdev.h"

#define PROC_DIR	"/proc/lockdev"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const char *prog = "lockdev";

/* The exit code and message for a failure to open the device. */
static int open_failure(int err)
{
	if (err == -ENOENT && access(PROC_DIR, F_OK) != 0) {
		fprintf(stderr, "%s: the lockdev module is not loaded (modprobe lockdev)\n",
			prog);
		return EX_UNAVAILABLE;
	}
	if (err == -ENOENT || err == -ENXIO || err == -ENODEV) {
		fprintf(stderr, "%s: the lockdev module is loaded but %s is missing\n",
			prog, LOCKDEV_DEVICE_PATH);
		return EX_OSFILE;
	}
	if (err == -EACCES || err == -EPERM) {
		fprintf(stderr, "%s: %s: permission denied\n", prog,
			LOCKDEV_DEVICE_PATH);
		return EX_NOPERM;
	}
	fprintf(stderr, "%s: %s: %s\n", prog, LOCKDEV_DEVICE_PATH,
		strerror(-err));
	return EX_OSERR;
}

static int cmd_version(int argc, char **argv)
{
	struct lockdev_version v;
	struct lockdev *ld;
	int ret;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s version\n", prog);
		return EX_USAGE;
	}
	ret = lockdev_open(&ld, 0);
	if (ret)
		return open_failure(ret);
	ret = lockdev_get_version(ld, &v);
	lockdev_close(ld);
	if (ret) {
		fprintf(stderr, "%s: version: %s\n", prog, strerror(-ret));
		return EX_OSERR;
	}
	printf("module %u.%u.%u\nabi %u\nfeatures 0x%llx\nname_max %u\n",
	       v.major, v.minor, v.patch, v.abi_version,
	       (unsigned long long)v.features, v.name_max);
	return 0;
}

static int cmd_stats(int argc, char **argv)
{
	char buf[4096];
	size_t n;
	FILE *f;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: %s stats\n", prog);
		return EX_USAGE;
	}
	f = fopen(PROC_DIR "/stats", "r");
	if (!f)
		return open_failure(-errno);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

static int cmd_help(int argc, char **argv);

static const struct subcommand subcommands[] = {
	{ "version", cmd_version, "show the module's version and features" },
	{ "stats", cmd_stats, "show the module's counters" },
	{ "help", cmd_help, "show this help" },
};

#define N_SUBCOMMANDS (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s <command> [<args>]\n\ncommands:\n", prog);
	for (i = 0; i < N_SUBCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", subcommands[i].name,
			subcommands[i].help);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 1, argv + 1);
	for (i = 0; i < N_SUBCOMMANDS; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[1]);
	usage(stderr);
	return EX_USAGE;
}
