/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * liblockdev: the C interface to the lockdev module.
 *
 * Every function returns 0 (or a non-negative value where its page says so)
 * or a negative errno, and never sets errno. The library keeps no global
 * state.
 *
 * Thread safety: a struct lockdev is one session, one lock owner. Calls on
 * different handles never interfere. Calls on one handle from several
 * threads are safe where the kernel serialises them, but the threads then
 * share ownership of its locks; threads that need to be separate owners open
 * a handle each.
 */
#ifndef LIBLOCKDEV_H
#define LIBLOCKDEV_H

#include <linux/lockdev.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Path of the device node the library opens. */
#define LOCKDEV_DEVICE_PATH	"/dev/" LOCKDEV_DEVICE_NAME

/* Flags of lockdev_open(); none is defined yet. */
#define LOCKDEV_OPEN_FLAGS_ALL	0U

struct lockdev;

int lockdev_open(struct lockdev **ldp, unsigned int flags);
void lockdev_close(struct lockdev *ld);
int lockdev_fd(const struct lockdev *ld);
int lockdev_get_version(struct lockdev *ld, struct lockdev_version *version);

#ifdef __cplusplus
}
#endif

#endif /* LIBLOCKDEV_H */
