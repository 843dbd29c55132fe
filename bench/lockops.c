// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: lockdev's own operations.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lockbench.h"

int ld_lock(int fd, const char *name, int len, uint32_t mode, uint32_t flags,
	    uint64_t *handle)
{
	struct lockdev_lock l;

	memset(&l, 0, sizeof(l));
	l.name = (uintptr_t)name;
	l.name_len = len;
	l.mode = mode;
	l.flags = flags;
	if (ioctl(fd, LOCKDEV_IOC_LOCK, &l))
		return errno;
	*handle = l.handle;
	return 0;
}

int ld_unlock(int fd, uint64_t handle)
{
	struct lockdev_unlock u;

	memset(&u, 0, sizeof(u));
	u.handle = handle;
	return ioctl(fd, LOCKDEV_IOC_UNLOCK, &u) ? errno : 0;
}

int ld_convert(int fd, uint64_t handle, uint32_t mode)
{
	struct lockdev_convert c;

	memset(&c, 0, sizeof(c));
	c.handle = handle;
	c.mode = mode;
	return ioctl(fd, LOCKDEV_IOC_CONVERT, &c) ? errno : 0;
}

/* By name: LOCK EXCLUSIVE of the pool's next name, UNLOCK by handle. */
int op_lock(struct op *op, long n)
{
	uint64_t h = 0;
	long i;
	int e;

	for (i = 0; i < n; i++) {
		e = ld_lock(op->fd, pool_take(op->names), op->names->len,
			    LOCKDEV_MODE_EXCLUSIVE, 0, &h);
		if (!e)
			e = ld_unlock(op->fd, h);
		if (e)
			return e;
	}
	return 0;
}

/*
 * By handle: a lock held in NONE (relock_setup) converted to EXCLUSIVE and
 * back to NONE.
 */
int op_relock(struct op *op, long n)
{
	long i;
	int e;

	for (i = 0; i < n; i++) {
		e = ld_convert(op->fd, op->handle, LOCKDEV_MODE_EXCLUSIVE);
		if (!e)
			e = ld_convert(op->fd, op->handle, LOCKDEV_MODE_NONE);
		if (e)
			return e;
	}
	return 0;
}

/*
 * Takes the lock the relock figure converts, in NONE, and tries one
 * conversion each way. EINVAL means the module has no NONE mode.
 */
int relock_setup(struct op *op, const char *name, int len)
{
	int e;

	e = ld_lock(op->fd, name, len, LOCKDEV_MODE_NONE, 0, &op->handle);
	if (e)
		return e;
	return op_relock(op, 1);
}

/*
 * A blocking LOCK of a lock another session holds, with a deadline already
 * passed: it has to wait, so the module runs deadlock detection and queues
 * it, then finds the deadline gone and fails with ETIMEDOUT, without
 * sleeping.
 */
int op_detect(struct op *op, long n)
{
	struct lockdev_lock l;
	const char *name;
	long i;

	for (i = 0; i < n; i++) {
		name = pool_take(op->names);
		memset(&l, 0, sizeof(l));
		l.name = (uintptr_t)name;
		l.name_len = op->names->len;
		l.mode = LOCKDEV_MODE_EXCLUSIVE;
		l.flags = LOCKDEV_LOCK_DEADLINE;
		l.deadline_ns = 1;
		if (!ioctl(op->fd, LOCKDEV_IOC_LOCK, &l))
			return EPROTO;
		if (errno != ETIMEDOUT)
			return errno;
	}
	return 0;
}
