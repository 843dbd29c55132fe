/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Definitions shared by the files of liblockdev, not part of its API. */
#ifndef LIBLOCKDEV_INTERNAL_H
#define LIBLOCKDEV_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "lockdev.h"

#define LOCKDEV_API __attribute__((visibility("default")))

/* One session: an open file description of the device. */
struct lockdev {
	int fd;
};

/* ioctl() on the session, returning 0 or -errno; errno is left alone. */
int lockdev_do_ioctl(const struct lockdev *ld, unsigned long cmd, void *arg);

/* CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t lockdev_now_ns(void);

/*
 * The kernel's LOCKDEV_LOCK_* wait flags for a relative timeout, and the
 * absolute deadline in *deadline_ns when there is one: 0 never waits
 * (NONBLOCK), LOCKDEV_FOREVER waits without a deadline.
 */
unsigned int lockdev_wait_mode(uint64_t timeout_ns, uint64_t *deadline_ns);

/* A user pointer as the __u64 the uapi structs carry. */
static inline __u64 lockdev_ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/*
 * The length of a name as the uapi structs carry it: at most one past
 * LOCKDEV_NAME_MAX, which the kernel refuses with ENAMETOOLONG, so that
 * the length of a longer string is never cut to 32 bits.
 */
static inline __u32 lockdev_name_len(const char *name)
{
	return strnlen(name, LOCKDEV_NAME_MAX + 1);
}

#endif /* LIBLOCKDEV_INTERNAL_H */
