// SPDX-License-Identifier: LGPL-2.1-or-later
/* Sessions: opening and closing the device. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

LOCKDEV_API int lockdev_open(struct lockdev **ldp, unsigned int flags)
{
	struct lockdev *ld;

	if (flags & ~LOCKDEV_OPEN_FLAGS_ALL)
		return -EINVAL;
	ld = malloc(sizeof(*ld));
	if (!ld)
		return -ENOMEM;
	ld->fd = open(LOCKDEV_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (ld->fd < 0) {
		int err = -errno;

		free(ld);
		return err;
	}
	*ldp = ld;
	return 0;
}

LOCKDEV_API void lockdev_close(struct lockdev *ld)
{
	if (!ld)
		return;
	close(ld->fd);
	free(ld);
}

LOCKDEV_API int lockdev_fd(const struct lockdev *ld)
{
	return ld->fd;
}

int lockdev_do_ioctl(const struct lockdev *ld, unsigned long cmd, void *arg)
{
	return ioctl(ld->fd, cmd, arg) < 0 ? -errno : 0;
}
