// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The calls that close and copy descriptors, for the bookkeeping of which
 * descriptors refer to a locked open file description (table.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <unistd.h>

#include "preload.h"

static void pl_ready(void)
{
	if (!__atomic_load_n(&pl_real.close, __ATOMIC_ACQUIRE))
		pl_real_init();
}

PL_API int close(int fd)
{
	pl_ready();
	if (pl_table_busy())
		pl_fd_closing(fd);
	return pl_real.close(fd);
}

/* The C library closes a stream's descriptor without calling close(). */
PL_API int fclose(FILE *stream)
{
	int fd;

	pl_ready();
	if (pl_table_busy() && stream) {
		fd = fileno(stream);
		if (fd >= 0)
			pl_fd_closing(fd);
	}
	return pl_real.fclose(stream);
}

PL_API int dup(int fd)
{
	int ret;

	pl_ready();
	ret = pl_real.dup(fd);
	if (ret >= 0 && pl_table_busy())
		pl_fd_copied(fd, ret);
	return ret;
}

/* dup2() and dup3() close @fd2 first when @fd is open and another one. */
static void pl_replacing(int fd, int fd2)
{
	if (fd != fd2 && pl_table_busy() &&
	    pl_real.fcntl(fd, F_GETFD) >= 0)
		pl_fd_closing(fd2);
}

PL_API int dup2(int fd, int fd2)
{
	int ret;

	pl_ready();
	pl_replacing(fd, fd2);
	ret = pl_real.dup2(fd, fd2);
	if (ret >= 0 && fd != fd2 && pl_table_busy())
		pl_fd_copied(fd, ret);
	return ret;
}

PL_API int dup3(int fd, int fd2, int flags)
{
	int ret;

	pl_ready();
	pl_replacing(fd, fd2);
	ret = pl_real.dup3(fd, fd2, flags);
	if (ret >= 0 && pl_table_busy())
		pl_fd_copied(fd, ret);
	return ret;
}

PL_API int close_range(unsigned int first, unsigned int last, int flags)
{
	pl_ready();
	if (!pl_real.close_range) {
		errno = ENOSYS;
		return -1;
	}
	if (!(flags & CLOSE_RANGE_CLOEXEC) && first <= last &&
	    pl_table_busy())
		pl_fds_closing(first, last);
	return pl_real.close_range(first, last, flags);
}

PL_API void closefrom(int lowfd)
{
	pl_ready();
	if (lowfd >= 0 && pl_table_busy())
		pl_fds_closing(lowfd, UINT_MAX);
	if (pl_real.closefrom)
		pl_real.closefrom(lowfd);
}
