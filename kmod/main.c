// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev: named, ordered, hierarchical locks for cooperating processes.
 *
 * Module load and unload: each part is set up in turn and torn down in the
 * reverse order, the device last in and first out so that no session can
 * exist while the rest is being torn down.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/printk.h>

#include "cluster.h"
#include "dev.h"
#include "events.h"
#include "lockdev.h"
#include "proc.h"
#include "report.h"
#include "request.h"
#include "space.h"

static int __init lockdev_init(void)
{
	int ret;

	ret = ld_cl_init();
	if (ret)
		return ret;

	ret = ld_lock_init();
	if (ret)
		goto err_cl;

	ret = lockdev_proc_init();
	if (ret)
		goto err_lock;

	ret = ld_events_init();
	if (ret)
		goto err_proc;

	ret = lockdev_dev_init();
	if (ret)
		goto err_events;

	pr_info("version " LOCKDEV_VERSION_STRING " loaded\n");
	return 0;

err_events:
	ld_events_exit();
err_proc:
	lockdev_proc_exit();
err_lock:
	ld_lock_exit();
err_cl:
	ld_cl_exit();
	return ret;
}

static void __exit lockdev_exit(void)
{
	lockdev_dev_exit();
	ld_events_exit();
	lockdev_proc_exit();
	ld_report_exit();
	ld_space_exit();
	ld_lock_exit();
	ld_cl_exit();
}

module_init(lockdev_init);
module_exit(lockdev_exit);

MODULE_DESCRIPTION("Named, ordered, hierarchical locks for cooperating processes");
MODULE_AUTHOR("The lockdev developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(LOCKDEV_VERSION_STRING);
