// SPDX-License-Identifier: LGPL-2.1-or-later
/* flock(2): a lock of the open file description, always the whole file. */
#define _GNU_SOURCE
#include <sys/file.h>

#include "preload.h"

static int pl_flock_real(const struct pl_call *c, unsigned int mode, bool nb)
{
	int op = !mode ? LOCK_UN :
		 mode == LOCKDEV_MODE_SHARED ? LOCK_SH : LOCK_EX;

	return pl_real.flock(c->fd, op | (nb ? LOCK_NB : 0));
}

PL_API int flock(int fd, int op)
{
	struct pl_call c = {
		.kind = PL_FLOCK,
		.fd = fd,
		.nonblock = op & LOCK_NB,
		.real = pl_flock_real,
	};

	if (!__atomic_load_n(&pl_real.close, __ATOMIC_ACQUIRE))
		pl_real_init();
	switch (op & ~LOCK_NB) {
	case LOCK_SH:
		c.mode = LOCKDEV_MODE_SHARED;
		break;
	case LOCK_EX:
		c.mode = LOCKDEV_MODE_EXCLUSIVE;
		break;
	case LOCK_UN:
		c.mode = 0;
		break;
	default:
		return pl_real.flock(fd, op);
	}
	return pl_call(&c);
}
