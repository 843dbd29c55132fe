// SPDX-License-Identifier: LGPL-2.1-or-later
/* Asynchronous requests: cancelling them and reading their completions. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

LOCKDEV_API int lockdev_cancel(struct lockdev *ld, uint64_t handle)
{
	struct lockdev_cancel c;

	if (!handle)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	c.handle = handle;
	return lockdev_do_ioctl(ld, LOCKDEV_IOC_CANCEL, &c);
}

/*
 * Wait until completions are ready: 1, 0 at the deadline, or -errno.
 * errno is the caller's to restore.
 */
static int lockdev_wait_ready(struct lockdev *ld, unsigned int kflags,
			      uint64_t deadline, unsigned int flags)
{
	struct pollfd p = { .fd = ld->fd, .events = POLLIN };
	struct timespec ts, *tsp = NULL;
	int ret;

	for (;;) {
		if (kflags & LOCKDEV_LOCK_NONBLOCK) {
			ts.tv_sec = 0;
			ts.tv_nsec = 0;
			tsp = &ts;
		} else if (kflags & LOCKDEV_LOCK_DEADLINE) {
			uint64_t now = lockdev_now_ns();
			uint64_t left = deadline > now ? deadline - now : 0;

			ts.tv_sec = left / 1000000000ULL;
			ts.tv_nsec = left % 1000000000ULL;
			tsp = &ts;
		}
		ret = ppoll(&p, 1, tsp, NULL);
		if (ret >= 0)
			return ret;
		if (errno != EINTR || !(flags & LOCKDEV_RESTART))
			return -errno;
	}
}

LOCKDEV_API int lockdev_read_completions(struct lockdev *ld,
					 struct lockdev_completion *comps,
					 unsigned int nr, uint64_t timeout_ns,
					 unsigned int flags)
{
	int saved = errno;
	unsigned int kflags;
	uint64_t deadline;
	ssize_t n;
	int ret;

	if (!nr || !comps || (flags & ~LOCKDEV_WAIT_FLAGS_ALL))
		return -EINVAL;
	kflags = lockdev_wait_mode(timeout_ns, &deadline);
	for (;;) {
		ret = lockdev_wait_ready(ld, kflags, deadline, flags);
		if (ret <= 0)
			break;
		n = read(ld->fd, comps, (size_t)nr * sizeof(*comps));
		if (n >= 0) {
			ret = n / sizeof(*comps);
			break;
		}
		/* EAGAIN: someone sharing the session read them first. */
		ret = -errno;
		if (ret != -EAGAIN &&
		    (ret != -EINTR || !(flags & LOCKDEV_RESTART)))
			break;
	}
	errno = saved;
	return ret;
}
