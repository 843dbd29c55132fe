/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * lockdev: named, ordered, hierarchical locks for cooperating processes.
 *
 * This header is the whole user-space interface of the lockdev module and its
 * specification. It compiles on its own as C90 and as C++.
 *
 * Device
 * ------
 * The module registers the misc device /dev/lockdev. Each open file
 * description of it is one session, the unit that owns locks. Every call on a
 * session is an ioctl() on its file descriptor.
 *
 * Calling convention
 * ------------------
 * Every ioctl number is built with _IOWR(LOCKDEV_IOC_MAGIC, nr, struct) and
 * carries the size of its argument struct in its size bits. Structs grow only
 * at the end, so a program built against an older or a newer header keeps
 * working:
 *
 *  - a size below the struct's first published size (LOCKDEV_*_SIZE_VER0)
 *    fails with EINVAL;
 *  - a size above what the running module knows is accepted only if every
 *    byte the module does not know is zero; otherwise the call fails with
 *    E2BIG; sizes above 4096 bytes fail with E2BIG;
 *  - a size below what the module knows means the missing fields are zero;
 *  - the module writes back at most the size the caller gave.
 *
 * Every flags field rejects unknown bits with EINVAL, and every field named
 * reserved or pad must be zero, else EINVAL. A call that fails changes
 * nothing. Other errors every call can return:
 *
 *  ENOTTY  the number is not a lockdev ioctl, or its direction bits are not
 *          _IOC_READ|_IOC_WRITE.
 *  EFAULT  the argument pointer is not readable and writable for its size.
 *
 * LOCKDEV_IOC_VERSION (struct lockdev_version)
 * --------------------------------------------
 * Reports the interface the running module implements. In: flags (must be 0)
 * and reserved (must be 0). Out: abi_version, the module's release as
 * major.minor.patch, features (LOCKDEV_FEATURE_* bits; a program tests the
 * bit of each feature it needs) and name_max, the longest lock name in bytes.
 * Errors: EINVAL (flags or reserved not zero, size too small), E2BIG, EFAULT.
 *
 * /proc/lockdev/stats
 * -------------------
 * One "name value" pair per line, values in decimal. The first line is
 * "version N", the version of this format; names are only ever added, at the
 * end, and keep their meaning:
 *
 *  version          format version, LOCKDEV_PROC_STATS_VERSION
 *  sessions         sessions open now
 *  sessions_opened  sessions opened since the module was loaded
 */
#ifndef _UAPI_LINUX_LOCKDEV_H
#define _UAPI_LINUX_LOCKDEV_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define LOCKDEV_DEVICE_NAME		"lockdev"

#define LOCKDEV_ABI_VERSION		1
#define LOCKDEV_PROC_STATS_VERSION	1

/* Longest lock name, in bytes. */
#define LOCKDEV_NAME_MAX		255

/* Bits of lockdev_version.features; none is defined by ABI version 1. */
#define LOCKDEV_FEATURE_ALL		0

/* Bits of lockdev_version.flags. */
#define LOCKDEV_VERSION_FLAGS_ALL	0U

struct lockdev_version {
	__u32 flags;
	__u32 abi_version;
	__u32 major;
	__u32 minor;
	__u32 patch;
	__u32 name_max;
	__u64 features;
	__u64 reserved[2];
};

#define LOCKDEV_VERSION_SIZE_VER0	48

#define LOCKDEV_IOC_MAGIC		0xD7

#define LOCKDEV_IOC_VERSION \
	_IOWR(LOCKDEV_IOC_MAGIC, 0x00, struct lockdev_version)

#endif /* _UAPI_LINUX_LOCKDEV_H */
