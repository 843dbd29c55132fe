// SPDX-License-Identifier: LGPL-2.1-or-later
/* Sessions: opening, attaching to a lockspace, closing, the order mode. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

/*
 * Wrap @fd, which the new handle owns, after checking it is a session.
 * Like every function of the library, it leaves errno as it found it.
 */
static int lockdev_wrap(struct lockdev **ldp, int fd)
{
	struct lockdev_version v;
	struct lockdev *ld;
	int saved = errno;
	int ret;

	ld = malloc(sizeof(*ld));
	if (!ld) {
		close(fd);
		errno = saved;
		return -ENOMEM;
	}
	ld->fd = fd;
	memset(&v, 0, sizeof(v));
	ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_VERSION, &v);
	if (ret) {
		lockdev_close(ld);
		return ret;
	}
	*ldp = ld;
	return 0;
}

/*
 * The session's descriptor is non-blocking so that reading completions
 * never waits after poll() said they were there: only read() looks at
 * O_NONBLOCK, the lock calls wait as their flags say.
 */
static int lockdev_open_device(void)
{
	int saved = errno;
	int fd = open(LOCKDEV_DEVICE_PATH, O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		fd = -errno;
	errno = saved;
	return fd;
}

LOCKDEV_API int lockdev_open(struct lockdev **ldp, unsigned int flags)
{
	int fd;

	if (flags)
		return -EINVAL;
	fd = lockdev_open_device();
	if (fd < 0)
		return fd;
	return lockdev_wrap(ldp, fd);
}

LOCKDEV_API int lockdev_open_space(struct lockdev **ldp, const char *space,
				   unsigned int mode, unsigned int flags)
{
	struct lockdev_attach a;
	struct lockdev *ld;
	int ret;

	if (!space || (flags & ~LOCKDEV_OPEN_FLAGS_ALL))
		return -EINVAL;
	ret = lockdev_open(&ld, 0);
	if (ret)
		return ret;
	memset(&a, 0, sizeof(a));
	a.name = lockdev_ptr(space);
	a.name_len = lockdev_name_len(space);
	a.mode = mode;
	if (flags & LOCKDEV_OPEN_NOCREATE)
		a.flags |= LOCKDEV_ATTACH_NOCREATE;
	ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_ATTACH, &a);
	if (ret) {
		lockdev_close(ld);
		return ret;
	}
	*ldp = ld;
	return 0;
}

LOCKDEV_API int lockdev_open_fd(struct lockdev **ldp, int fd,
				unsigned int flags)
{
	int saved = errno;
	int dup;

	if (fd < 0 || flags)
		return -EINVAL;
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0) {
		dup = -errno;
		errno = saved;
		return dup;
	}
	return lockdev_wrap(ldp, dup);
}

LOCKDEV_API void lockdev_close(struct lockdev *ld)
{
	int saved = errno;

	if (!ld)
		return;
	close(ld->fd);
	free(ld);
	errno = saved;
}

LOCKDEV_API int lockdev_fd(const struct lockdev *ld)
{
	return ld->fd;
}

LOCKDEV_API int lockdev_set_order(struct lockdev *ld, unsigned int mode,
				  unsigned int *old_mode)
{
	struct lockdev_order o;
	int ret;

	memset(&o, 0, sizeof(o));
	o.mode = mode;
	ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_SET_ORDER, &o);
	if (!ret && old_mode)
		*old_mode = o.old_mode;
	return ret;
}

int lockdev_do_ioctl(const struct lockdev *ld, unsigned long cmd, void *arg)
{
	int saved = errno;
	int ret = 0;

	if (ioctl(ld->fd, cmd, arg) < 0) {
		ret = -errno;
		errno = saved;
	}
	return ret;
}
