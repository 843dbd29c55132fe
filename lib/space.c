// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Lockspaces an administrator creates, changes and removes: each call
 * opens a session of its own for LOCKDEV_IOC_SPACE and closes it again.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "internal.h"

static int lockdev_space_ctl(const char *space, unsigned int op,
			     unsigned int flags, unsigned int mode,
			     uid_t uid, gid_t gid)
{
	struct lockdev_space_ctl c;
	struct lockdev *ld;
	int ret;

	if (!space)
		return -EINVAL;
	ret = lockdev_open(&ld, 0);
	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	c.name = lockdev_ptr(space);
	c.name_len = strlen(space);
	c.op = op;
	c.flags = flags;
	c.mode = mode;
	c.uid = uid;
	c.gid = gid;
	ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_SPACE, &c);
	lockdev_close(ld);
	return ret;
}

LOCKDEV_API int lockdev_space_create(const char *space, unsigned int mode,
				     uid_t uid, gid_t gid)
{
	return lockdev_space_ctl(space, LOCKDEV_SPACE_CREATE, 0, mode, uid,
				 gid);
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
