// SPDX-License-Identifier: GPL-2.0
/*
 * Test hooks, built only into test builds of the module (make LOCKDEV_DEBUG=1)
 * so that the test runner can prove it fails on a kernel warning.
 */
#include <linux/bug.h>
#include <linux/kstrtox.h>
#include <linux/moduleparam.h>

static int lockdev_debug_warn_set(const char *val,
				  const struct kernel_param *kp)
{
	bool warn;
	int ret;

	ret = kstrtobool(val, &warn);
	if (ret)
		return ret;
	WARN(warn, "lockdev: warning raised through debug_warn\n");
	return 0;
}

static const struct kernel_param_ops lockdev_debug_warn_ops = {
	.set = lockdev_debug_warn_set,
};

module_param_cb(debug_warn, &lockdev_debug_warn_ops, NULL, 0200);
MODULE_PARM_DESC(debug_warn, "Writing 1 raises a kernel warning (test builds only)");
