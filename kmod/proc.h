/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /proc/lockdev/ files: proc.c makes the directory and its files, whose
 * operations are in proc_locks.c (locks), proc_spaces.c (spaces, levels),
 * proc_order.c (order and lock_stat), report.c (deadlocks, in report.h)
 * and stats.c (stats, in stats.h).
 */
#ifndef LOCKDEV_KMOD_PROC_H
#define LOCKDEV_KMOD_PROC_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct ld_viewer;

int lockdev_proc_init(void);
void lockdev_proc_exit(void);
int ld_proc_reset_write(const struct ld_viewer *v, const char __user *buf,
			size_t count);

/* /proc/lockdev/locks (proc_locks.c). */
extern const struct proc_ops ld_locks_proc_ops;

/* /proc/lockdev/spaces and /proc/lockdev/levels (proc_spaces.c). */
extern const struct proc_ops ld_spaces_proc_ops;
extern const struct proc_ops ld_levels_proc_ops;

/* /proc/lockdev/order and /proc/lockdev/lock_stat (proc_order.c). */
extern const struct proc_ops ld_order_proc_ops;
extern const struct proc_ops ld_lock_stat_proc_ops;

#endif /* LOCKDEV_KMOD_PROC_H */
