/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interfaces between the files of the lockdev module.
 *
 * Files: main.c loads and unloads the module; dev.c is the misc device and
 * its file operations; ioctl.c decodes and answers ioctls; stats.c keeps the
 * counters shown in /proc/lockdev/stats; proc.c creates /proc/lockdev/.
 */
#ifndef LOCKDEV_KMOD_LOCKDEV_H
#define LOCKDEV_KMOD_LOCKDEV_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/seq_file.h>

#define LOCKDEV_VERSION_MAJOR	0
#define LOCKDEV_VERSION_MINOR	1
#define LOCKDEV_VERSION_PATCH	0
#define LOCKDEV_VERSION_STRING	"0.1.0"

/*
 * struct lockdev_stats - module-wide counters for /proc/lockdev/stats
 * @sessions: sessions open now.
 * @sessions_opened: sessions opened since load.
 *
 * Every field is atomic and needs no lock.
 */
struct lockdev_stats {
	atomic_long_t sessions;
	atomic_long_t sessions_opened;
};

extern struct lockdev_stats lockdev_stats;

int lockdev_stats_show(struct seq_file *m, void *v);

int lockdev_dev_init(void);
void lockdev_dev_exit(void);

int lockdev_proc_init(void);
void lockdev_proc_exit(void);

long lockdev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* LOCKDEV_KMOD_LOCKDEV_H */
