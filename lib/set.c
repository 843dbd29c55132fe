// SPDX-License-Identifier: LGPL-2.1-or-later
/* Lock sets: many locks at once, all or nothing, in the order. */
#include <errno.h>
#include <string.h>

#include "internal.h"

LOCKDEV_API int lockdev_lock_set(struct lockdev *ld,
				 struct lockdev_set_req *reqs,
				 unsigned int nr, uint64_t timeout_ns,
				 unsigned int flags, unsigned int *failed)
{
	struct lockdev_set_item items[LOCKDEV_SET_MAX];
	unsigned int idx[LOCKDEV_SET_MAX];
	struct lockdev_lock_set s;
	unsigned int i, n = 0;
	uint64_t deadline;
	int ret;

	if (failed)
		*failed = LOCKDEV_SET_NONE;
	if ((nr && !reqs) || (flags & ~LOCKDEV_WAIT_FLAGS_ALL))
		return -EINVAL;
	memset(items, 0, sizeof(items));
	for (i = 0; i < nr; i++) {
		struct lockdev_set_req *r = &reqs[i];

		r->handle = 0;
		r->generation = 0;
		r->result = 0;
		if (!r->name)
			continue;
		if (n == LOCKDEV_SET_MAX)
			return -E2BIG;
		items[n].name = lockdev_ptr(r->name);
		items[n].name_len = lockdev_name_len(r->name);
		items[n].mode = r->mode;
		items[n].level = r->level;
		idx[n++] = i;
	}

	memset(&s, 0, sizeof(s));
	s.flags = lockdev_wait_mode(timeout_ns, &deadline);
	do {
		s.items = lockdev_ptr(items);
		s.nr_items = n;
		s.item_size = sizeof(items[0]);
		s.deadline_ns = deadline;
		/* Left as it is when the call fails before any item. */
		s.failed = LOCKDEV_SET_NONE;
		s.result = 0;
		s.pad = 0;
		ret = lockdev_do_ioctl(ld, LOCKDEV_IOC_LOCK_SET, &s);
	} while (ret == -EINTR && (flags & LOCKDEV_RESTART));

	if (ret) {
		if (s.failed < n) {
			if (failed)
				*failed = idx[s.failed];
			reqs[idx[s.failed]].result = s.result;
		}
		return ret;
	}
	for (i = 0; i < n; i++) {
		struct lockdev_set_req *r = &reqs[idx[i]];

		r->handle = items[i].handle;
		r->generation = items[i].generation;
		r->result = items[i].result;
	}
	return 0;
}

LOCKDEV_API int lockdev_unlock_set(struct lockdev *ld,
				   const struct lockdev_set_req *reqs,
				   unsigned int nr)
{
	unsigned int i, j;
	int ret = 0;

	if (nr && !reqs)
		return -EINVAL;
	for (i = 0; i < nr; i++) {
		int err;

		if (!reqs[i].name || !reqs[i].handle)
			continue;
		for (j = 0; j < i; j++)
			if (reqs[j].name && reqs[j].handle == reqs[i].handle)
				break;
		if (j < i)
			continue;
		err = lockdev_unlock(ld, reqs[i].handle);
		if (err && !ret)
			ret = err;
	}
	return ret;
}
