/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the lockdev selftests. */
#ifndef LOCKDEV_SELFTESTS_UTIL_H
#define LOCKDEV_SELFTESTS_UTIL_H

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define LOCKDEV_DEV "/dev/lockdev"

/* Byte written over output buffers, so that a call that writes nothing shows. */
#define POISON 0xa5

static inline int open_session(void)
{
	return open(LOCKDEV_DEV, O_RDWR | O_CLOEXEC);
}

static inline void poison(void *buf, size_t len)
{
	memset(buf, POISON, len);
}

#endif /* LOCKDEV_SELFTESTS_UTIL_H */
