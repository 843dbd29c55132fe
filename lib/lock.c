// SPDX-License-Identifier: LGPL-2.1-or-later
/* Locking one name: lock, trylock, timed and asynchronous; unlock, convert. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "internal.h"

uint64_t lockdev_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

unsigned int lockdev_wait_mode(uint64_t timeout_ns, uint64_t *deadline_ns)
{
	uint64_t now;

	*deadline_ns = 0;
	if (timeout_ns == LOCKDEV_FOREVER)
		return 0;
	if (!timeout_ns)
		return LOCKDEV_LOCK_NONBLOCK;
	now = lockdev_now_ns();
	if (timeout_ns > UINT64_MAX - now)
		return 0;
	*deadline_ns = now + timeout_ns;
	return LOCKDEV_LOCK_DEADLINE;
}

static void lockdev_fill_grant(struct lockdev_grant *grant, __u64 handle,
			       __u64 generation, __u32 result)
{
	if (!grant)
		return;
	memset(grant, 0, sizeof(*grant));
	grant->handle = handle;
	grant->generation = generation;
	grant->result = result;
}

/* The value a grant returned (LOCKDEV_LOCK_VALUE); @result says if valid. */
static void lockdev_fill_value(struct lockdev_value *value, const __u8 *data,
			       __u32 result)
{
	if (!value)
		return;
	memset(value, 0, sizeof(*value));
	memcpy(value->data, data, LOCKDEV_VALUE_LEN);
	value->valid = !(result & LOCKDEV_RESULT_VALUE_INVALID);
}

/* @len bytes at @value into a uapi value block, zero-padded. */
static int lockdev_copy_value(__u8 *dst, const void *value, size_t len)
{
	if (len > LOCKDEV_VALUE_LEN || (len && !value))
		return -EINVAL;
	memset(dst, 0, LOCKDEV_VALUE_LEN);
	if (len)
		memcpy(dst, value, len);
	return 0;
}

/*
 * LOCK with the kernel's flags @kflags, again after EINTR if asked; with the
 * lock's value into @value when it is not NULL.
 */
static int lockdev_do_lock(struct lockdev *ld, const char *name,
			   unsigned int mode, unsigned int level,
			   unsigned int kflags, uint64_t deadline_ns,
			   uint64_t user_data, unsigned int flags,
			   struct lockdev_grant *grant,
			   struct lockdev_value *value)
{
	struct lockdev_lock l;
	int ret;

	if (!name || (flags & ~LOCKDEV_WAIT_FLAGS_ALL))
		return -EINVAL;
	if (value)
		kflags |= LOCKDEV_LOCK_VALUE;
	do {
		memset(&l, 0, sizeof(l));
		l.name = lockdev_ptr(name);
		l.name_len = lockdev_name_len(name);
		l.mode = mode;
		l.level = level;
		l.flags = kflags;
		l.deadline_ns = deadline_ns;
		l.user_data = user_data;
		ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_LOCK, &l);
	} while (ret == -EINTR && (flags & LOCKDEV_RESTART));
	if (ret && ret != -EDEADLK)
		return ret;
	lockdev_fill_grant(grant, l.handle, l.generation, l.result);
	if (!ret)
		lockdev_fill_value(value, l.value, l.result);
	return ret;
}

LOCKDEV_API int lockdev_lock(struct lockdev *ld, const char *name,
			     unsigned int mode, unsigned int level,
			     unsigned int flags, struct lockdev_grant *grant)
{
	return lockdev_do_lock(ld, name, mode, level, 0, 0, 0, flags, grant,
			       NULL);
}

LOCKDEV_API int lockdev_trylock(struct lockdev *ld, const char *name,
				unsigned int mode, unsigned int level,
				struct lockdev_grant *grant)
{
	return lockdev_do_lock(ld, name, mode, level, LOCKDEV_LOCK_NONBLOCK,
			       0, 0, 0, grant, NULL);
}

LOCKDEV_API int lockdev_timedlock(struct lockdev *ld, const char *name,
				  unsigned int mode, unsigned int level,
				  uint64_t timeout_ns, unsigned int flags,
				  struct lockdev_grant *grant)
{
	uint64_t deadline;
	unsigned int kflags = lockdev_wait_mode(timeout_ns, &deadline);

	return lockdev_do_lock(ld, name, mode, level, kflags, deadline, 0,
			       flags, grant, NULL);
}

LOCKDEV_API int lockdev_lock_value(struct lockdev *ld, const char *name,
				   unsigned int mode, unsigned int level,
				   uint64_t timeout_ns, unsigned int flags,
				   struct lockdev_grant *grant,
				   struct lockdev_value *value)
{
	uint64_t deadline;
	unsigned int kflags = lockdev_wait_mode(timeout_ns, &deadline);

	return lockdev_do_lock(ld, name, mode, level, kflags, deadline, 0,
			       flags, grant, value);
}

LOCKDEV_API int lockdev_lock_async(struct lockdev *ld, const char *name,
				   unsigned int mode, unsigned int level,
				   uint64_t timeout_ns, uint64_t user_data,
				   struct lockdev_grant *grant)
{
	unsigned int kflags = LOCKDEV_LOCK_ASYNC;
	uint64_t deadline = 0, now;

	/* No NONBLOCK here: a timeout of 0 is a deadline that has passed. */
	if (timeout_ns != LOCKDEV_FOREVER) {
		now = lockdev_now_ns();
		if (timeout_ns <= UINT64_MAX - now) {
			deadline = now + timeout_ns;
			kflags |= LOCKDEV_LOCK_DEADLINE;
		}
	}
	return lockdev_do_lock(ld, name, mode, level, kflags, deadline,
			       user_data, 0, grant, NULL);
}

LOCKDEV_API int lockdev_unlock(struct lockdev *ld, uint64_t handle)
{
	struct lockdev_unlock u;

	if (!handle)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	u.handle = handle;
	return lockdev_do_ioctl(ld, LOCKDEV_IOC_UNLOCK, &u);
}

LOCKDEV_API int lockdev_unlock_value(struct lockdev *ld, uint64_t handle,
				     const void *value, size_t len)
{
	struct lockdev_unlock u;
	int ret;

	if (!handle)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	ret = lockdev_copy_value(u.value, value, len);
	if (ret)
		return ret;
	u.handle = handle;
	u.flags = LOCKDEV_UNLOCK_SET_VALUE;
	return lockdev_do_ioctl(ld, LOCKDEV_IOC_UNLOCK, &u);
}

LOCKDEV_API int lockdev_unlock_name(struct lockdev *ld, const char *name)
{
	struct lockdev_unlock u;

	if (!name)
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	u.name = lockdev_ptr(name);
	u.name_len = lockdev_name_len(name);
	return lockdev_do_ioctl(ld, LOCKDEV_IOC_UNLOCK, &u);
}

/*
 * CONVERT with the kernel's flags @kflags, again after EINTR if asked; with
 * the value set from @set (SET_VALUE) when it is not NULL, and the lock's
 * value into @value when that is not NULL.
 */
static int lockdev_do_convert(struct lockdev *ld, uint64_t handle,
			      unsigned int mode, unsigned int kflags,
			      uint64_t deadline_ns, unsigned int flags,
			      const __u8 *set, struct lockdev_grant *grant,
			      struct lockdev_value *value)
{
	struct lockdev_convert c;
	int ret;

	if (!handle || (flags & ~LOCKDEV_WAIT_FLAGS_ALL))
		return -EINVAL;
	if (set)
		kflags |= LOCKDEV_CONVERT_SET_VALUE;
	if (value)
		kflags |= LOCKDEV_LOCK_VALUE;
	do {
		memset(&c, 0, sizeof(c));
		c.handle = handle;
		c.mode = mode;
		c.flags = kflags;
		c.deadline_ns = deadline_ns;
		if (set)
			memcpy(c.value, set, LOCKDEV_VALUE_LEN);
		ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_CONVERT, &c);
	} while (ret == -EINTR && (flags & LOCKDEV_RESTART));
	if (ret && ret != -EDEADLK)
		return ret;
	lockdev_fill_grant(grant, handle, c.generation, c.result);
	if (!ret)
		lockdev_fill_value(value, c.value, c.result);
	return ret;
}

LOCKDEV_API int lockdev_convert(struct lockdev *ld, uint64_t handle,
				unsigned int mode, uint64_t timeout_ns,
				unsigned int flags, struct lockdev_grant *grant)
{
	uint64_t deadline;
	unsigned int kflags = lockdev_wait_mode(timeout_ns, &deadline);

	return lockdev_do_convert(ld, handle, mode, kflags, deadline, flags,
				  NULL, grant, NULL);
}

LOCKDEV_API int lockdev_convert_value(struct lockdev *ld, uint64_t handle,
				      unsigned int mode, uint64_t timeout_ns,
				      unsigned int flags,
				      struct lockdev_grant *grant,
				      struct lockdev_value *value)
{
	uint64_t deadline;
	unsigned int kflags = lockdev_wait_mode(timeout_ns, &deadline);

	return lockdev_do_convert(ld, handle, mode, kflags, deadline, flags,
				  NULL, grant, value);
}

LOCKDEV_API int lockdev_downgrade_value(struct lockdev *ld, uint64_t handle,
					unsigned int mode, const void *value,
					size_t len, struct lockdev_grant *grant)
{
	__u8 set[LOCKDEV_VALUE_LEN];
	int ret;

	ret = lockdev_copy_value(set, value, len);
	if (ret)
		return ret;
	return lockdev_do_convert(ld, handle, mode, LOCKDEV_LOCK_NONBLOCK, 0,
				  0, set, grant, NULL);
}

LOCKDEV_API int lockdev_consistent(struct lockdev *ld, uint64_t handle)
{
	struct lockdev_consistent c;

	if (!handle)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.handle = handle;
	return lockdev_do_ioctl(ld, LOCKDEV_IOC_CONSISTENT, &c);
}
