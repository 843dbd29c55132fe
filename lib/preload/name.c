// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The lockdev name of a file's lock: "KIND/CLASS:DEV:INO:PATH" (preload.h
 * says why), from fstat() and the descriptor's link in /proc/self/fd.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload.h"

/* Longest class, kind and slash included. */
#define PL_CLASS_MAX	64

/*
 * The class of @path: @kind, a slash, and the base name with each run of
 * digits one '#', and every byte that is not printable ASCII, or a colon,
 * an '_'. Returns its length.
 */
static size_t pl_class(char *buf, const char *kind, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(kind);
	bool digits = false;

	memcpy(buf, kind, n);
	buf[n++] = '/';
	for (base = base ? base + 1 : path; *base && n < PL_CLASS_MAX; base++) {
		unsigned char c = *base;

		if (isdigit(c)) {
			if (!digits)
				buf[n++] = '#';
			digits = true;
			continue;
		}
		digits = false;
		buf[n++] = (c > 0x20 && c < 0x7f && c != ':') ? c : '_';
	}
	return n;
}

bool pl_file_of(int fd, enum pl_kind kind, struct pl_file *f)
{
	char link[32], path[4096], id[64];
	size_t n, idn, plen;
	struct stat st;
	ssize_t len;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	if (len <= 0)
		len = snprintf(path, sizeof(path), "?");
	path[len] = '\0';
	if (!pl_path_mapped(path))
		return false;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	n = pl_class(f->name, kind == PL_FLOCK ? "flock" : "fcntl", path);
	idn = snprintf(id, sizeof(id), ":%llx:%llx:",
		       (unsigned long long)st.st_dev,
		       (unsigned long long)st.st_ino);
	memcpy(f->name + n, id, idn);
	n += idn;
	plen = len;
	if (n + plen > LOCKDEV_NAME_MAX) {
		/* The path's end says most: keep it, after "...". */
		memcpy(f->name + n, "...", 3);
		n += 3;
		memcpy(f->name + n, path + plen - (LOCKDEV_NAME_MAX - n),
		       LOCKDEV_NAME_MAX - n);
		n = LOCKDEV_NAME_MAX;
	} else {
		memcpy(f->name + n, path, plen);
		n += plen;
	}
	f->name_len = n;
	return true;
}
