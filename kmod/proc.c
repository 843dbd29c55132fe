// SPDX-License-Identifier: GPL-2.0
/*
 * The /proc/lockdev/ directory and its files.
 */
#include <linux/proc_fs.h>

#include "proc.h"
#include "report.h"
#include "stats.h"

static struct proc_dir_entry *lockdev_proc_dir;

/**
 * lockdev_proc_init() - create /proc/lockdev/ and its files
 *
 * Return: 0 or -ENOMEM.
 */
int lockdev_proc_init(void)
{
	lockdev_proc_dir = proc_mkdir("lockdev", NULL);
	if (!lockdev_proc_dir)
		return -ENOMEM;

	if (!proc_create_single("stats", 0444, lockdev_proc_dir,
				lockdev_stats_show) ||
	    !proc_create("locks", 0444, lockdev_proc_dir, &ld_locks_proc_ops) ||
	    !proc_create("spaces", 0444, lockdev_proc_dir,
			 &ld_spaces_proc_ops) ||
	    !proc_create("levels", 0444, lockdev_proc_dir,
			 &ld_levels_proc_ops) ||
	    !proc_create("deadlocks", 0644, lockdev_proc_dir,
			 &ld_deadlocks_proc_ops) ||
	    !proc_create("order", 0444, lockdev_proc_dir, &ld_order_proc_ops) ||
	    !proc_create("lock_stat", 0644, lockdev_proc_dir,
			 &ld_lock_stat_proc_ops)) {
		proc_remove(lockdev_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

/**
 * lockdev_proc_exit() - remove /proc/lockdev/ and everything below it
 */
void lockdev_proc_exit(void)
{
	proc_remove(lockdev_proc_dir);
}
