// SPDX-License-Identifier: LGPL-2.1-or-later
/* The module's calls: a session opened, a lock taken, converted, released. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "preload.h"

/* Sessions live above the descriptors programs count on using. */
#define PL_SESSION_FD_MIN	64

static int pl_ioctl(int sfd, unsigned long cmd, void *arg)
{
	int saved = errno;
	int ret = 0;

	if (ioctl(sfd, cmd, arg) < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

int pl_ld_open(void)
{
	struct lockdev_attach a;
	int saved = errno;
	int fd, high, ret;

	fd = open(PL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		errno = saved;
		return ret;
	}
	high = pl_real.fcntl(fd, F_DUPFD_CLOEXEC, PL_SESSION_FD_MIN);
	if (high >= 0) {
		pl_real.close(fd);
		fd = high;
	}
	errno = saved;
	if (!pl_config.space)
		return fd;
	memset(&a, 0, sizeof(a));
	a.name = (__u64)(unsigned long)pl_config.space;
	a.name_len = strlen(pl_config.space);
	a.mode = 0600;
	ret = pl_ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
	if (ret) {
		pl_real.close(fd);
		errno = saved;
		return ret;
	}
	return fd;
}

int pl_ld_lock(int sfd, const struct pl_file *f, unsigned int mode,
	       bool nonblock)
{
	struct lockdev_lock l;

	memset(&l, 0, sizeof(l));
	l.name = (__u64)(unsigned long)f->name;
	l.name_len = f->name_len;
	l.mode = mode;
	l.flags = nonblock ? LOCKDEV_LOCK_NONBLOCK : 0;
	return pl_ioctl(sfd, LOCKDEV_IOC_LOCK, &l);
}

int pl_ld_convert(int sfd, const struct pl_file *f, unsigned int mode,
		  bool nonblock)
{
	struct lockdev_convert c;

	memset(&c, 0, sizeof(c));
	c.name = (__u64)(unsigned long)f->name;
	c.name_len = f->name_len;
	c.mode = mode;
	c.flags = nonblock ? LOCKDEV_LOCK_NONBLOCK : 0;
	return pl_ioctl(sfd, LOCKDEV_IOC_CONVERT, &c);
}

int pl_ld_unlock(int sfd, const struct pl_file *f)
{
	struct lockdev_unlock u;

	memset(&u, 0, sizeof(u));
	u.name = (__u64)(unsigned long)f->name;
	u.name_len = f->name_len;
	return pl_ioctl(sfd, LOCKDEV_IOC_UNLOCK, &u);
}

static bool pl_conflicts(unsigned int a, unsigned int b)
{
	if (a == LOCKDEV_MODE_NONE || b == LOCKDEV_MODE_NONE)
		return false;
	return a == LOCKDEV_MODE_EXCLUSIVE || b == LOCKDEV_MODE_EXCLUSIVE;
}

int pl_ld_holder(int sfd, const struct pl_file *f, unsigned int mode,
		 unsigned int *holder_mode)
{
	struct lockdev_entry e[32];
	struct lockdev_query q;
	pid_t self = getpid();
	unsigned int i;
	int ret;

	memset(&q, 0, sizeof(q));
	q.name = (__u64)(unsigned long)f->name;
	q.name_len = f->name_len;
	q.entries = (__u64)(unsigned long)e;
	q.nr_entries = 32;
	ret = pl_ioctl(sfd, LOCKDEV_IOC_QUERY, &q);
	if (ret)
		return ret;
	for (i = 0; i < q.nr_entries && i < 32; i++) {
		if (e[i].state != LOCKDEV_STATE_HELD || !e[i].pid ||
		    e[i].pid == (__u32)self || !pl_conflicts(e[i].mode, mode))
			continue;
		*holder_mode = e[i].mode;
		return e[i].pid;
	}
	return 0;
}
