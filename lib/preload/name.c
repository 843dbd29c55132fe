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

/* The length of the run of hex digits at @s, and whether it has a digit. */
static size_t pl_hex_run(const char *s, bool *digit)
{
	size_t n = 0;

	*digit = false;
	for (; isxdigit((unsigned char)s[n]); n++)
		*digit |= isdigit((unsigned char)s[n]) != 0;
	return n;
}

/*
 * The class of @path: @kind, a slash, and the class LOCKDEV_PRELOAD_CLASSES
 * gives it, or else the base name with each run of digits, and each run of
 * 6 or more hex digits with a digit among them (a temporary file's random
 * part), one '#', and every byte that is not printable ASCII, or a colon,
 * an '_'. Returns its length.
 */
static size_t pl_class(char *buf, const char *kind, const char *path)
{
	const char *base = strrchr(path, '/'), *given = pl_class_of(path);
	size_t n = strlen(kind), run;
	bool digits = false, digit;

	memcpy(buf, kind, n);
	buf[n++] = '/';
	if (given) {
		run = strlen(given);
		memcpy(buf + n, given, run);
		return n + run;
	}
	for (base = base ? base + 1 : path; *base && n < PL_CLASS_MAX; base++) {
		unsigned char c = *base;

		run = pl_hex_run(base, &digit);
		if (run >= 6 && digit) {
			if (!digits)
				buf[n++] = '#';
			digits = true;
			base += run - 1;
			continue;
		}
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

/*
 * The names made last, by device, inode and kind: the path of a file is
 * read from /proc once per process, as long as its entry stays (a file
 * renamed keeps its first name here; a new file on a reused inode number
 * gets the old one's path until its entry is pushed out). Guarded by the
 * table's mutex.
 */
#define PL_NAMES	64

static struct pl_name {
	bool used;
	bool mapped;
	bool flock;
	struct pl_file file;
} pl_names[PL_NAMES];

static struct pl_name *pl_name_slot(const struct stat *st, bool flock)
{
	unsigned long long h = st->st_ino * 31 + st->st_dev * 7 + flock;

	return &pl_names[h % PL_NAMES];
}

static bool pl_name_make(int fd, enum pl_kind kind, const struct stat *st,
			 struct pl_file *f)
{
	char link[32], path[4096], id[64];
	size_t n, idn, plen;
	ssize_t len;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof(path) - 1);
	if (len <= 0)
		len = snprintf(path, sizeof(path), "?");
	path[len] = '\0';
	if (!pl_path_mapped(path))
		return false;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	n = pl_class(f->name, kind == PL_FLOCK ? "flock" : "fcntl", path);
	idn = snprintf(id, sizeof(id), ":%llx:%llx:",
		       (unsigned long long)st->st_dev,
		       (unsigned long long)st->st_ino);
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

int pl_file_of(int fd, enum pl_kind kind, struct pl_file *f)
{
	bool flock = kind == PL_FLOCK;
	struct pl_name *e;
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return -1;
	e = pl_name_slot(&st, flock);
	if (!e->used || e->flock != flock || e->file.dev != st.st_dev ||
	    e->file.ino != st.st_ino) {
		e->used = true;
		e->flock = flock;
		e->mapped = pl_name_make(fd, kind, &st, &e->file);
		e->file.dev = st.st_dev;
		e->file.ino = st.st_ino;
	}
	*f = e->file;
	return e->mapped;
}
