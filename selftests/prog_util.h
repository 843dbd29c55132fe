/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the tests of the lockdev program (lib_program_test.c,
 * lib_cli_test.c): where the program is, and running shell command lines
 * with it as $LOCKDEV.
 */
#ifndef LOCKDEV_SELFTESTS_PROG_UTIL_H
#define LOCKDEV_SELFTESTS_PROG_UTIL_H

#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

/* Longest command line sh() and sh_out() run. */
#define SH_MAX		32768
/* Most output sh_out() keeps. */
#define SH_OUT_MAX	262144

/* Set $LOCKDEV to tools/lockdev next to this program's directory. */
static inline void find_program(struct __test_metadata *_metadata)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	ASSERT_LT(0, n);
	exe[n] = 0;
	snprintf(path, sizeof(path), "%s/../tools/lockdev", dirname(exe));
	ASSERT_EQ(0, access(path, X_OK)) {
		TH_LOG("no program at %s: build it first (make)", path);
	}
	ASSERT_EQ(0, setenv("LOCKDEV", path, 1));
}

/* Run a shell command line; its exit status, or 128 + a signal. */
static inline int __attribute__((format(printf, 1, 2)))
sh(const char *fmt, ...)
{
	static char cmd[SH_MAX];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	status = system(cmd);
	if (status < 0)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * The standard output of a shell command line (NUL-terminated, to free()),
 * and its exit status in *@status if given.
 */
static inline char *__attribute__((format(printf, 2, 3)))
sh_out_status(int *status, const char *fmt, ...)
{
	static char cmd[SH_MAX];
	char *buf = malloc(SH_OUT_MAX);
	size_t len = 0, n;
	va_list ap;
	FILE *p;
	int st;

	if (!buf)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	p = popen(cmd, "r");
	if (!p) {
		free(buf);
		return NULL;
	}
	while (len < SH_OUT_MAX - 1 &&
	       (n = fread(buf + len, 1, SH_OUT_MAX - 1 - len, p)) > 0)
		len += n;
	buf[len] = 0;
	st = pclose(p);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return buf;
}

#define sh_out(...) sh_out_status(NULL, __VA_ARGS__)

#endif /* LOCKDEV_SELFTESTS_PROG_UTIL_H */
