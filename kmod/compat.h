/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the oldest kernel the module builds for (6.1) lacks and a newer one
 * has, defined as the newer one does.
 */
#ifndef LOCKDEV_KMOD_COMPAT_H
#define LOCKDEV_KMOD_COMPAT_H

#include <linux/compiler_attributes.h>

/*
 * __uninitialized (compiler_attributes.h from 6.9 on): a stack variable
 * that CONFIG_INIT_STACK_ALL_ZERO, set in Debian's kernels, must not zero on
 * entry. The module marks so only what it writes whole before reading it,
 * on the paths a mail server takes most: the argument structs and name
 * buffers of LOCK, UNLOCK and CONVERT, and a wait, which is set up only
 * when a request queues (ld_enqueue()).
 */
#ifndef __uninitialized
#if __has_attribute(__uninitialized__)
#define __uninitialized __attribute__((__uninitialized__))
#else
#define __uninitialized
#endif
#endif

#endif /* LOCKDEV_KMOD_COMPAT_H */
