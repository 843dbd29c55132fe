// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters: the limits of the uapi header. Root may change them at
 * run time; a change applies to later requests.
 */
#include <linux/moduleparam.h>

#include "events.h"
#include "params.h"

unsigned int ld_max_locks_per_space = 4 << 20;
module_param_named(max_locks_per_space, ld_max_locks_per_space, uint, 0644);
MODULE_PARM_DESC(max_locks_per_space, "Locks that may exist in one lockspace (ENOSPC beyond)");

unsigned int ld_max_locks_per_user = 4 << 20;
module_param_named(max_locks_per_user, ld_max_locks_per_user, uint, 0644);
MODULE_PARM_DESC(max_locks_per_user, "Requests held or queued by the sessions of one uid (EDQUOT beyond)");

unsigned int ld_max_waiters_per_user = 1 << 16;
module_param_named(max_waiters_per_user, ld_max_waiters_per_user, uint, 0644);
MODULE_PARM_DESC(max_waiters_per_user, "Requests queued by the sessions of one uid (EDQUOT beyond)");

unsigned int ld_max_sessions_per_user = 1 << 16;
module_param_named(max_sessions_per_user, ld_max_sessions_per_user, uint, 0644);
MODULE_PARM_DESC(max_sessions_per_user, "Sessions one uid may have open (EDQUOT beyond)");

unsigned int ld_max_spaces_per_user = 1024;
module_param_named(max_spaces_per_user, ld_max_spaces_per_user, uint, 0644);
MODULE_PARM_DESC(max_spaces_per_user, "Named lockspaces one uid may have created (EDQUOT beyond)");

unsigned int ld_max_classes = 1 << 16;
module_param_named(max_classes, ld_max_classes, uint, 0644);
MODULE_PARM_DESC(max_classes, "Lock classes that may exist, over all lockspaces (order_full beyond)");

unsigned int ld_max_class_edges = 1 << 18;
module_param_named(max_class_edges, ld_max_class_edges, uint, 0644);
MODULE_PARM_DESC(max_class_edges, "Learned-order edges that may exist, over all lockspaces (order_full beyond)");

unsigned int ld_max_classes_per_space = 1024;
module_param_named(max_classes_per_space, ld_max_classes_per_space, uint, 0644);
MODULE_PARM_DESC(max_classes_per_space, "Lock classes one lockspace may have (order_full beyond)");

unsigned int ld_max_class_edges_per_space = 4096;
module_param_named(max_class_edges_per_space, ld_max_class_edges_per_space, uint, 0644);
MODULE_PARM_DESC(max_class_edges_per_space, "Learned-order edges one lockspace may have (order_full beyond)");

unsigned int ld_max_classes_per_user = 4096;
module_param_named(max_classes_per_user, ld_max_classes_per_user, uint, 0644);
MODULE_PARM_DESC(max_classes_per_user, "Lock classes the lockspaces owned by one uid may have together (order_full beyond)");

unsigned int ld_max_class_edges_per_user = 16384;
module_param_named(max_class_edges_per_user, ld_max_class_edges_per_user, uint, 0644);
MODULE_PARM_DESC(max_class_edges_per_user, "Learned-order edges the lockspaces owned by one uid may have together (order_full beyond)");

unsigned int ld_max_idle_locks_per_space = 1 << 20;
module_param_named(max_idle_locks_per_space, ld_max_idle_locks_per_space, uint, 0644);
MODULE_PARM_DESC(max_idle_locks_per_space, "Idle resident locks one lockspace keeps; the least recently used go beyond");

unsigned int ld_max_idle_locks = 2 << 20;
module_param_named(max_idle_locks, ld_max_idle_locks, uint, 0644);
MODULE_PARM_DESC(max_idle_locks, "Idle resident locks of all lockspaces; the uids whose lockspaces have the most give some up beyond");

/* Thresholds of events: a change rescans at once (events.c). */
static int ld_param_set_threshold(const char *val,
				  const struct kernel_param *kp)
{
	int ret = param_set_uint(val, kp);

	if (!ret)
		ld_events_kick();
	return ret;
}

static const struct kernel_param_ops ld_threshold_ops = {
	.set = ld_param_set_threshold,
	.get = param_get_uint,
};

unsigned int ld_held_threshold_ms;
module_param_cb(held_threshold_ms, &ld_threshold_ops, &ld_held_threshold_ms,
		0644);
MODULE_PARM_DESC(held_threshold_ms, "Report a lock held longer than this many ms to netlink listeners (0: never)");

unsigned int ld_wait_threshold_ms;
module_param_cb(wait_threshold_ms, &ld_threshold_ops, &ld_wait_threshold_ms,
		0644);
MODULE_PARM_DESC(wait_threshold_ms, "Report a wait longer than this many ms to netlink listeners (0: never)");
