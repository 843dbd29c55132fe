/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The misc device /dev/lockdev: dev.c registers it and has its file
 * operations, each open file description a session; ioctl.c decodes its
 * ioctls.
 */
#ifndef LOCKDEV_KMOD_DEV_H
#define LOCKDEV_KMOD_DEV_H

struct file;

int lockdev_dev_init(void);
void lockdev_dev_exit(void);

long lockdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* LOCKDEV_KMOD_DEV_H */
