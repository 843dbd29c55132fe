// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/lockdev misc device. Each open file description is one session.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <uapi/linux/lockdev.h>

#include "lockdev.h"

static int lockdev_open(struct inode *inode, struct file *file)
{
	atomic_long_inc(&lockdev_stats.sessions);
	atomic_long_inc(&lockdev_stats.sessions_opened);
	return nonseekable_open(inode, file);
}

static int lockdev_release(struct inode *inode, struct file *file)
{
	atomic_long_dec(&lockdev_stats.sessions);
	return 0;
}

static const struct file_operations lockdev_fops = {
	.owner		= THIS_MODULE,
	.open		= lockdev_open,
	.release	= lockdev_release,
	.unlocked_ioctl	= lockdev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice lockdev_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= LOCKDEV_DEVICE_NAME,
	.fops	= &lockdev_fops,
	.mode	= 0666,
};

/**
 * lockdev_dev_init() - register /dev/lockdev
 *
 * Return: 0 or a negative errno from misc_register().
 */
int lockdev_dev_init(void)
{
	return misc_register(&lockdev_misc);
}

/**
 * lockdev_dev_exit() - unregister /dev/lockdev
 */
void lockdev_dev_exit(void)
{
	misc_deregister(&lockdev_misc);
}
