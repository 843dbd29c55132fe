// SPDX-License-Identifier: GPL-2.0
/*
 * Messages and exit codes: every message starts "lockdev:" or, inside a
 * subcommand the user named, "lockdev SUBCOMMAND:"; a usage error ends with
 * the line that says where the help is.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char *cli_prog = "lockdev";
/* The subcommand the user named, or NULL. */
const char *cli_cmd;

static void prefix(void)
{
	fflush(stdout);
	if (cli_cmd)
		fprintf(stderr, "%s %s: ", cli_prog, cli_cmd);
	else
		fprintf(stderr, "%s: ", cli_prog);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A usage error: the message, the hint; EXIT_USAGE. */
int cli_usage_err(const char *fmt, ...)
{
	va_list ap;

	prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return cli_bad_option();
}

/* After getopt's own message: the hint; EXIT_USAGE. */
int cli_bad_option(void)
{
	if (cli_cmd)
		fprintf(stderr, "Try '%s %s --help' for more information.\n",
			cli_prog, cli_cmd);
	else
		fprintf(stderr, "Try '%s --help' for more information.\n",
			cli_prog);
	return EXIT_USAGE;
}

int cli_no_memory(void)
{
	cli_err("out of memory");
	return EXIT_SYSTEM;
}

static int not_loaded(void)
{
	cli_err("the lockdev module is not loaded (modprobe lockdev)");
	return EXIT_NOT_LOADED;
}

/* The exit code and message for a failure to open the device. */
int cli_open_failure(int err)
{
	if (err == -ENOENT && access(PROC_DIR, F_OK) != 0)
		return not_loaded();
	if (err == -ENOENT || err == -ENXIO || err == -ENODEV) {
		cli_err("the lockdev module is loaded but %s is missing",
			LOCKDEV_DEVICE_PATH);
		return EXIT_NO_DEVICE;
	}
	if (err == -EACCES || err == -EPERM) {
		cli_err("%s: permission denied (see lockdev(7), PERMISSIONS)",
			LOCKDEV_DEVICE_PATH);
		return EXIT_PERMISSION;
	}
	cli_err("%s: %s", LOCKDEV_DEVICE_PATH, strerror(-err));
	return EXIT_SYSTEM;
}

/* The exit code and message for a /proc/lockdev file that cannot be read. */
int cli_proc_failure(const char *path, int err)
{
	if (err == ENOENT && access(PROC_DIR, F_OK) != 0)
		return not_loaded();
	if (err == ENOENT) {
		cli_err("%s: not provided by the loaded lockdev module (too old)",
			path);
		return EXIT_NOT_AVAILABLE;
	}
	if (err == EACCES || err == EPERM) {
		cli_err("%s: permission denied", path);
		return EXIT_PERMISSION;
	}
	cli_err("%s: %s", path, strerror(err));
	return EXIT_SYSTEM;
}
