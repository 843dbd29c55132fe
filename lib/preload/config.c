// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Configuration from the environment, read once when the library is
 * loaded, and the log:
 *
 *  LOCKDEV_PRELOAD_SPACE    the lockspace (default: the uid's own)
 *  LOCKDEV_PRELOAD_INCLUDE  colon-separated globs of the paths mapped
 *                           (default: every regular file)
 *  LOCKDEV_PRELOAD_EXCLUDE  colon-separated globs of paths left alone
 *  LOCKDEV_PRELOAD_CLASSES  colon-separated GLOB=CLASS: the lock class of
 *                           the paths GLOB matches, the first match's
 *  LOCKDEV_PRELOAD_LOG      0 (default), 1 problems, 2 every lock call
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

struct pl_config pl_config;

/* The globs of @s, split at colons; NULL for none. */
static char **pl_globs(const char *s)
{
	char **v, *copy, *p, *save;
	size_t n = 2;

	if (!s || !*s)
		return NULL;
	for (p = (char *)s; *p; p++)
		n += *p == ':';
	copy = strdup(s);
	v = calloc(n, sizeof(*v));
	if (!copy || !v) {
		free(copy);
		free(v);
		return NULL;
	}
	n = 0;
	for (p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
		v[n++] = p;
	return v;
}

static void pl_say(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Whether @class can name a lock class: 1 to PL_CLASS_MAX - 6 printable
 * ASCII bytes (room for "flock/"), no space and no colon.
 */
static bool pl_class_ok(const char *class)
{
	size_t n = strlen(class), i;

	if (!n || n > PL_CLASS_MAX - 6)
		return false;
	for (i = 0; i < n; i++)
		if (class[i] <= 0x20 || class[i] >= 0x7f || class[i] == ':')
			return false;
	return true;
}

/*
 * LOCKDEV_PRELOAD_CLASSES: its entries, each split at its last '=' into
 * the glob and the class, as pairs of strings; an entry that is not
 * GLOB=CLASS with a valid class is said on stderr and left out.
 */
static char **pl_classes(const char *s)
{
	char **v = pl_globs(s), **in, **out, *eq;

	if (!v)
		return NULL;
	for (in = out = v; *in; in++) {
		eq = strrchr(*in, '=');
		if (!eq || eq == *in || !pl_class_ok(eq + 1)) {
			pl_say("LOCKDEV_PRELOAD_CLASSES: \"%s\" is not GLOB=CLASS (a class is 1 to %d printable bytes, no space or colon): left out",
			       *in, PL_CLASS_MAX - 6);
			continue;
		}
		*eq = '\0';
		*out++ = *in;
	}
	*out = NULL;
	return v;
}

void pl_config_init(void)
{
	const char *s;

	s = getenv("LOCKDEV_PRELOAD_SPACE");
	if (s && *s)
		pl_config.space = strdup(s);
	pl_config.include = pl_globs(getenv("LOCKDEV_PRELOAD_INCLUDE"));
	pl_config.exclude = pl_globs(getenv("LOCKDEV_PRELOAD_EXCLUDE"));
	pl_config.classes = pl_classes(getenv("LOCKDEV_PRELOAD_CLASSES"));
	s = getenv("LOCKDEV_PRELOAD_LOG");
	if (s)
		pl_config.log = atoi(s);
}

static bool pl_match(char **globs, const char *path)
{
	for (; *globs; globs++)
		if (!fnmatch(*globs, path, 0))
			return true;
	return false;
}

bool pl_path_mapped(const char *path)
{
	if (pl_config.include && !pl_match(pl_config.include, path))
		return false;
	return !pl_config.exclude || !pl_match(pl_config.exclude, path);
}

const char *pl_class_of(const char *path)
{
	char **c;

	for (c = pl_config.classes; c && *c; c++)
		if (!fnmatch(*c, path, 0))
			return *c + strlen(*c) + 1;
	return NULL;
}

/* One line on stderr, written at once; errno is kept. */
static void pl_vsay(const char *fmt, va_list ap)
{
	char buf[768];
	int saved = errno;
	int n, m;

	n = snprintf(buf, sizeof(buf), "lockdev-preload[%d]: ", (int)getpid());
	m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
	if (m > (int)sizeof(buf) - n - 2)
		m = sizeof(buf) - n - 2;
	n += m;
	buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, n) < 0)
		errno = saved;
	errno = saved;
}

void pl_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (pl_config.log < level)
		return;
	va_start(ap, fmt);
	pl_vsay(fmt, ap);
	va_end(ap);
}

static void pl_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pl_vsay(fmt, ap);
	va_end(ap);
}

void pl_fallback_notice(int err)
{
	static int said;

	if (__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		return;
	pl_say("%s: %s: using the kernel's locks only", PL_DEVICE_PATH,
	       strerror(err));
}

__attribute__((constructor)) static void pl_init(void)
{
	pl_real_init();
	pl_config_init();
	pl_table_init();
}
