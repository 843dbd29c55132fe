/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Definitions shared by the files of liblockdev, not part of its API. */
#ifndef LIBLOCKDEV_INTERNAL_H
#define LIBLOCKDEV_INTERNAL_H

#include "liblockdev.h"

#define LOCKDEV_API __attribute__((visibility("default")))

/* One session: an open file description of the device. */
struct lockdev {
	int fd;
};

/* ioctl() on the session, returning 0 or -errno. */
int lockdev_do_ioctl(const struct lockdev *ld, unsigned long cmd, void *arg);

#endif /* LIBLOCKDEV_INTERNAL_H */
