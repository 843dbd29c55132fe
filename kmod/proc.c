// SPDX-License-Identifier: GPL-2.0
/*
 * The /proc/lockdev/ directory and its files.
 */
#include <linux/capability.h>
#include <linux/proc_fs.h>
#include <linux/uaccess.h>

#include "proc.h"
#include "report.h"
#include "space.h"
#include "stats.h"

static struct proc_dir_entry *lockdev_proc_dir;

/**
 * ld_proc_reset_write() - check a write that resets a /proc/lockdev/ file
 * @v: the viewer of the task that opened the file
 * @buf: what is written
 * @count: its length
 *
 * A reset is "0", a newline may follow, written by a task that sees every
 * lockspace (CAP_SYS_ADMIN in the initial user namespace, and the initial
 * IPC namespace) to a file that such a task opened: a container's root,
 * or a service in an IPC namespace of its own, resets nothing it cannot
 * see.
 *
 * Return: 0 to reset; -EPERM, -EINVAL or -EFAULT.
 */
int ld_proc_reset_write(const struct ld_viewer *v, const char __user *buf,
			size_t count)
{
	char kbuf[2];

	if (!v->all || !ld_current_in_init_ipc() || !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (!count || count > sizeof(kbuf))
		return -EINVAL;
	if (copy_from_user(kbuf, buf, count))
		return -EFAULT;
	if (kbuf[0] != '0' || (count == 2 && kbuf[1] != '\n'))
		return -EINVAL;
	return 0;
}

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
