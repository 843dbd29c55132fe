// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding of lockdev ioctls: number checks, extensible argument copies and
 * the handlers. The rules are those of the uapi header's top comment.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <uapi/linux/lockdev.h>

#include "lockdev.h"

/* Largest argument struct the module accepts from any caller. */
#define LOCKDEV_ARG_MAX		4096

/*
 * lockdev_arg_in() - copy in an extensible argument
 * @karg: the kernel's copy, @ksize bytes
 * @ksize: the size of the struct this module knows
 * @ver0: the struct's first published size
 * @cmd: the ioctl number, whose size bits give the caller's size
 * @uarg: the caller's struct
 *
 * Return: 0, -EINVAL for a size below @ver0, -E2BIG for a size above
 * LOCKDEV_ARG_MAX or non-zero bytes past @ksize, -EFAULT.
 */
static int lockdev_arg_in(void *karg, size_t ksize, size_t ver0,
			  unsigned int cmd, const void __user *uarg)
{
	size_t usize = _IOC_SIZE(cmd);

	if (usize < ver0)
		return -EINVAL;
	if (usize > LOCKDEV_ARG_MAX)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, usize);
}

/*
 * lockdev_arg_out() - copy out an extensible argument
 *
 * Writes at most the caller's size. Bytes past @ksize were checked to be
 * zero by lockdev_arg_in() and stay so.
 */
static int lockdev_arg_out(unsigned int cmd, void __user *uarg,
			   const void *karg, size_t ksize)
{
	if (copy_to_user(uarg, karg, min_t(size_t, ksize, _IOC_SIZE(cmd))))
		return -EFAULT;
	return 0;
}

static int lockdev_ioc_version(unsigned int cmd, void __user *uarg)
{
	struct lockdev_version v;
	int ret;

	ret = lockdev_arg_in(&v, sizeof(v), LOCKDEV_VERSION_SIZE_VER0, cmd,
			     uarg);
	if (ret)
		return ret;
	if (v.flags & ~LOCKDEV_VERSION_FLAGS_ALL)
		return -EINVAL;
	if (memchr_inv(v.reserved, 0, sizeof(v.reserved)))
		return -EINVAL;

	v.abi_version = LOCKDEV_ABI_VERSION;
	v.major = LOCKDEV_VERSION_MAJOR;
	v.minor = LOCKDEV_VERSION_MINOR;
	v.patch = LOCKDEV_VERSION_PATCH;
	v.name_max = LOCKDEV_NAME_MAX;
	v.features = LOCKDEV_FEATURE_ALL;
	return lockdev_arg_out(cmd, uarg, &v, sizeof(v));
}

/**
 * lockdev_ioctl() - the device's unlocked_ioctl
 * @file: the session's file
 * @cmd: the ioctl number
 * @arg: the argument pointer
 *
 * Return: what the handler returns, or -ENOTTY for a number that is not a
 * lockdev ioctl.
 */
long lockdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != LOCKDEV_IOC_MAGIC ||
	    _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return -ENOTTY;

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(LOCKDEV_IOC_VERSION):
		return lockdev_ioc_version(cmd, uarg);
	default:
		return -ENOTTY;
	}
}
