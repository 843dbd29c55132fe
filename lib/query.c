// SPDX-License-Identifier: LGPL-2.1-or-later
/* Queries: a lock's holders and waiters, the session's locks, deadlocks. */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* The entries one call can write; the count is still the whole. */
static __u32 lockdev_cap(unsigned int nr)
{
	return nr > LOCKDEV_ENTRIES_MAX ? LOCKDEV_ENTRIES_MAX : nr;
}

/* QUERY @name; with the lock's value into @value when it is not NULL. */
static int lockdev_do_query(struct lockdev *ld, const char *name,
			    struct lockdev_entry *entries, unsigned int nr,
			    struct lockdev_info *info,
			    struct lockdev_value *value)
{
	struct lockdev_query q;
	int ret;

	if (!name || (nr && !entries))
		return -EINVAL;
	memset(&q, 0, sizeof(q));
	q.name = lockdev_ptr(name);
	q.name_len = lockdev_name_len(name);
	q.entries = lockdev_ptr(entries);
	q.nr_entries = lockdev_cap(nr);
	if (value)
		q.flags = LOCKDEV_QUERY_VALUE;
	ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_QUERY, &q);
	if (ret)
		return ret;
	if (info) {
		memset(info, 0, sizeof(*info));
		info->generation = q.generation;
		info->flags = q.lock_flags;
		info->nr_entries = q.nr_entries;
	}
	if (value) {
		memset(value, 0, sizeof(*value));
		memcpy(value->data, q.value, LOCKDEV_VALUE_LEN);
		value->valid = !(q.lock_flags & LOCKDEV_QUERY_VALUE_INVALID);
	}
	return q.nr_entries > (__u32)INT32_MAX ? INT32_MAX : (int)q.nr_entries;
}

LOCKDEV_API int lockdev_query(struct lockdev *ld, const char *name,
			      struct lockdev_entry *entries, unsigned int nr,
			      struct lockdev_info *info)
{
	return lockdev_do_query(ld, name, entries, nr, info, NULL);
}

LOCKDEV_API int lockdev_query_value(struct lockdev *ld, const char *name,
				    struct lockdev_entry *entries,
				    unsigned int nr, struct lockdev_info *info,
				    struct lockdev_value *value)
{
	return lockdev_do_query(ld, name, entries, nr, info, value);
}

LOCKDEV_API int lockdev_generation(struct lockdev *ld, const char *name,
				   uint64_t *generation)
{
	struct lockdev_info info;
	int ret;

	ret = lockdev_query(ld, name, NULL, 0, &info);
	if (ret < 0)
		return ret;
	*generation = info.generation;
	return 0;
}

LOCKDEV_API int lockdev_list(struct lockdev *ld, struct lockdev_held *held,
			     unsigned int nr)
{
	struct lockdev_list l;
	int ret;

	if (nr && !held)
		return -EINVAL;
	memset(&l, 0, sizeof(l));
	l.entries = lockdev_ptr(held);
	l.nr_entries = lockdev_cap(nr);
	ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_LIST, &l);
	if (ret)
		return ret;
	return l.nr_entries > (__u32)INT32_MAX ? INT32_MAX : (int)l.nr_entries;
}

LOCKDEV_API int lockdev_deadlock(struct lockdev *ld,
				 struct lockdev_deadlock_info *info,
				 struct lockdev_cycle_member *members,
				 unsigned int nr)
{
	struct lockdev_deadlock d;
	int ret;

	if (nr && !members)
		return -EINVAL;
	memset(&d, 0, sizeof(d));
	d.members = lockdev_ptr(members);
	d.nr_members = nr > LOCKDEV_CYCLE_MAX ? LOCKDEV_CYCLE_MAX : nr;
	ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_DEADLOCK, &d);
	if (ret)
		return ret;
	if (info) {
		memset(info, 0, sizeof(*info));
		info->reason = d.reason;
		info->nr_members = d.nr_members;
		info->handle = d.handle;
		info->age_ns = d.age_ns;
	}
	return d.nr_members;
}
