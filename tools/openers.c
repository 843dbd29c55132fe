// SPDX-License-Identifier: GPL-2.0
/*
 * The processes that have each session open, found as lslocks(8) finds
 * those of an open file description lock: by the "lockdev_session:" line of
 * every /proc/PID/fdinfo the caller may read. This process is left out: it
 * may have inherited a session from its shell, but goes away at once.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "list.h"

static int opener_cmp(const void *a, const void *b)
{
	const struct opener *x = a, *y = b;

	if (x->session != y->session)
		return x->session < y->session ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/*
 * Whether the link /proc/PID/fd/@fd names a file called lockdev. The link
 * is read, never followed: a stat() would ask the file's file system, and
 * a FUSE or NFS file of another process could make it wait for ever.
 */
static bool fd_named_lockdev(int pid_dir, const char *fd)
{
	char path[64], target[4096];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "fd/%s", fd);
	n = readlinkat(pid_dir, path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = 0;
	base = strrchr(target, '/');
	return base && !strcmp(base + 1, LOCKDEV_DEVICE_NAME);
}

/* The session of descriptor @fd of @pid, from its "lockdev_session:" line. */
static uint64_t fd_session(int pid_dir, const char *fd)
{
	static const char key[] = "lockdev_session:";
	char path[64], buf[4096], *p;
	uint64_t session = 0;
	ssize_t n;
	int f;

	if (!fd_named_lockdev(pid_dir, fd))
		return 0;
	snprintf(path, sizeof(path), "fdinfo/%s", fd);
	f = openat(pid_dir, path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, key, sizeof(key) - 1)) {
			session = strtoull(p + sizeof(key) - 1, NULL, 10);
			break;
		}
	}
	return session;
}

static int add_opener(struct openers *o, size_t *cap, uint64_t session,
		      pid_t pid)
{
	struct opener *more;

	if (o->n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		more = realloc(o->v, *cap * sizeof(*more));
		if (!more)
			return -1;
		o->v = more;
	}
	o->v[o->n].session = session;
	o->v[o->n++].pid = pid;
	return 0;
}

/* Add each session @pid has open (once); -1 out of memory. */
static int scan_pid(struct openers *o, int proc, const char *pid_name,
		    size_t *cap)
{
	size_t i, first = o->n;
	struct dirent *e;
	uint64_t session;
	int pid_dir, fds, ret = 0;
	DIR *d;

	pid_dir = openat(proc, pid_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pid_dir < 0)
		return 0;
	fds = openat(pid_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fds < 0 ? NULL : fdopendir(fds);
	if (!d) {
		if (fds >= 0)
			close(fds);
		close(pid_dir);
		return 0;
	}
	while (!ret && (e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		session = fd_session(pid_dir, e->d_name);
		if (!session)
			continue;
		for (i = first; i < o->n; i++)
			if (o->v[i].session == session)
				break;
		if (i == o->n)
			ret = add_opener(o, cap, session, atoi(pid_name));
	}
	closedir(d);
	close(pid_dir);
	return ret;
}

/* Fill @o; 0, or -1 out of memory. */
int openers_scan(struct openers *o)
{
	struct dirent *e;
	size_t cap = 0;
	int proc, ret = 0;
	char self[16];
	DIR *d;

	o->v = NULL;
	o->n = 0;
	proc = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = proc < 0 ? NULL : fdopendir(dup(proc));
	if (!d) {
		if (proc >= 0)
			close(proc);
		return 0;
	}
	snprintf(self, sizeof(self), "%d", (int)getpid());
	while (!ret && (e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]) &&
		    strcmp(e->d_name, self))
			ret = scan_pid(o, proc, e->d_name, &cap);
	closedir(d);
	close(proc);
	if (!ret)
		qsort(o->v, o->n, sizeof(*o->v), opener_cmp);
	return ret;
}

/* The openers of @session: *@n of them from the returned one. */
const struct opener *openers_of(const struct openers *o, uint64_t session,
				size_t *n)
{
	size_t lo = 0, hi = o->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (o->v[mid].session < session)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (*n = 0; lo + *n < o->n && o->v[lo + *n].session == session;
	     (*n)++)
		;
	return o->v + lo;
}

void openers_free(struct openers *o)
{
	free(o->v);
	o->v = NULL;
	o->n = 0;
}
