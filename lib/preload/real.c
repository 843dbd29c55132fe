// SPDX-License-Identifier: LGPL-2.1-or-later
/* The real functions this library stands in front of, from dlsym(). */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "preload.h"

struct pl_real pl_real;

/*
 * Idempotent: called from the constructor and from any interposed function
 * that runs before it (another library's constructor); two threads that
 * race store the same pointers. close_range and closefrom may be missing
 * (older C libraries): their wrappers then fail with ENOSYS.
 */
void pl_real_init(void)
{
	pl_real.flock = dlsym(RTLD_NEXT, "flock");
	pl_real.fcntl = dlsym(RTLD_NEXT, "fcntl");
	pl_real.fcntl64 = dlsym(RTLD_NEXT, "fcntl64");
	if (!pl_real.fcntl64)
		pl_real.fcntl64 = pl_real.fcntl;
	pl_real.lockf = dlsym(RTLD_NEXT, "lockf");
	pl_real.fclose = dlsym(RTLD_NEXT, "fclose");
	pl_real.dup = dlsym(RTLD_NEXT, "dup");
	pl_real.dup2 = dlsym(RTLD_NEXT, "dup2");
	pl_real.dup3 = dlsym(RTLD_NEXT, "dup3");
	pl_real.close_range = dlsym(RTLD_NEXT, "close_range");
	pl_real.closefrom = dlsym(RTLD_NEXT, "closefrom");
	/* Last: the wrappers test it to know whether this ran. */
	__atomic_store_n(&pl_real.close, dlsym(RTLD_NEXT, "close"),
			 __ATOMIC_RELEASE);
}
