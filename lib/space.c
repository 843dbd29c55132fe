// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lockspaces an administrator creates (also cluster lockspaces), changes
 * and removes, their order mode default and declared levels: each call opens a session of its own
 * for LOCKDEV_IOC_SPACE and closes it again.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"

/* LOCKDEV_IOC_SPACE of @c on @space, by a session of its own. */
static int lockdev_space_call(const char *space, struct lockdev_space_ctl *c)
{
	struct lockdev *ld;
	int ret;

	if (!space)
		return -EINVAL;
	ret = lockdev_open(&ld, 0);
	if (ret)
		return ret;
	c->name = lockdev_ptr(space);
	c->name_len = lockdev_name_len(space);
	ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_SPACE, c);
	lockdev_close(ld);
	return ret;
}

static int lockdev_space_ctl(const char *space, unsigned int op,
			     unsigned int flags, unsigned int mode,
			     uid_t uid, gid_t gid)
{
	struct lockdev_space_ctl c;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.flags = flags;
	c.mode = mode;
	c.uid = uid;
	c.gid = gid;
	return lockdev_space_call(space, &c);
}

LOCKDEV_API int lockdev_space_create(const char *space, unsigned int mode,
				     uid_t uid, gid_t gid)
{
	return lockdev_space_ctl(space, LOCKDEV_SPACE_CREATE, 0, mode, uid,
				 gid);
}

LOCKDEV_API int lockdev_space_replace(const char *space, unsigned int mode,
				      uid_t uid, gid_t gid)
{
	return lockdev_space_ctl(space, LOCKDEV_SPACE_CREATE,
				 LOCKDEV_SPACE_REPLACE, mode, uid, gid);
}

LOCKDEV_API int lockdev_space_create_cluster(const char *space,
					     const char *cluster,
					     unsigned int mode, uid_t uid,
					     gid_t gid)
{
	struct lockdev_space_ctl c;

	if (!cluster)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.op = LOCKDEV_SPACE_CREATE;
	c.flags = LOCKDEV_SPACE_CLUSTER;
	c.mode = mode;
	c.uid = uid;
	c.gid = gid;
	c.cluster = lockdev_ptr(cluster);
	c.cluster_len = lockdev_name_len(cluster);
	return lockdev_space_call(space, &c);
}

LOCKDEV_API int lockdev_space_set(const char *space, unsigned int mode,
				  uid_t uid, gid_t gid, unsigned int flags)
{
	return lockdev_space_ctl(space, LOCKDEV_SPACE_SET, flags, mode, uid,
				 gid);
}

LOCKDEV_API int lockdev_space_remove(const char *space, unsigned int flags)
{
	return lockdev_space_ctl(space, LOCKDEV_SPACE_REMOVE, flags,
				 LOCKDEV_SPACE_KEEP, LOCKDEV_SPACE_KEEP,
				 LOCKDEV_SPACE_KEEP);
}

LOCKDEV_API int lockdev_space_set_order(const char *space,
					unsigned int order_mode)
{
	struct lockdev_space_ctl c;

	/* 0 would keep the mode: a call that changes nothing is a mistake. */
	if (!order_mode)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.op = LOCKDEV_SPACE_SET;
	c.mode = LOCKDEV_SPACE_KEEP;
	c.uid = LOCKDEV_SPACE_KEEP;
	c.gid = LOCKDEV_SPACE_KEEP;
	c.order_mode = order_mode;
	return lockdev_space_call(space, &c);
}

LOCKDEV_API int lockdev_space_level(const char *space, const char *prefix,
				    unsigned int level)
{
	struct lockdev_space_ctl c;

	if (!prefix)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.op = LOCKDEV_SPACE_LEVEL;
	c.prefix = lockdev_ptr(prefix);
	c.prefix_len = lockdev_name_len(prefix);
	c.level = level;
	return lockdev_space_call(space, &c);
}
