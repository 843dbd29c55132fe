// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fcntl(2) and fcntl64: F_SETLK, F_SETLKW and F_GETLK (POSIX locks) and
 * their F_OFD_ forms, for the whole file; F_DUPFD for the bookkeeping of
 * open file descriptions. lockf(3) and lockf64, whose F_LOCK is a POSIX
 * lock from the file offset. Everything else goes to the real call as it came.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "preload.h"

/* On LP64 struct flock is struct flock64: fcntl and fcntl64 are one. */
_Static_assert(sizeof(off_t) == 8, "liblockdev-preload needs a 64-bit off_t");

typedef int (*pl_fcntl_fn)(int fd, int cmd, ...);

/* A struct flock of the whole file: from 0 to the end, and beyond. */
static bool pl_whole(int fd, const struct flock *fl)
{
	off_t pos;

	if (fl->l_len)
		return false;
	switch (fl->l_whence) {
	case SEEK_SET:
		return !fl->l_start;
	case SEEK_CUR:
		pos = lseek(fd, 0, SEEK_CUR);
		return pos >= 0 && pos + fl->l_start == 0;
	default:
		return false;
	}
}

struct pl_setlk {
	pl_fcntl_fn fn;
	struct flock *fl;
	bool ofd;
};

static int pl_fcntl_real(const struct pl_call *c, unsigned int mode, bool nb)
{
	const struct pl_setlk *s = c->arg;
	struct flock fl = *s->fl;
	int cmd;

	fl.l_type = !mode ? F_UNLCK :
		    mode == LOCKDEV_MODE_SHARED ? F_RDLCK : F_WRLCK;
	if (s->ofd)
		cmd = nb ? F_OFD_SETLK : F_OFD_SETLKW;
	else
		cmd = nb ? F_SETLK : F_SETLKW;
	return s->fn(c->fd, cmd, &fl);
}

static int pl_setlk(pl_fcntl_fn fn, int fd, int cmd, struct flock *fl)
{
	struct pl_setlk s = {
		.fn = fn,
		.fl = fl,
		.ofd = cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW,
	};
	struct pl_call c = {
		.kind = s.ofd ? PL_OFD : PL_POSIX,
		.fd = fd,
		.nonblock = cmd == F_SETLK || cmd == F_OFD_SETLK,
		.real = pl_fcntl_real,
		.arg = &s,
	};

	if (!fl || !pl_whole(fd, fl))
		return fn(fd, cmd, fl);
	switch (fl->l_type) {
	case F_RDLCK:
		c.mode = LOCKDEV_MODE_SHARED;
		break;
	case F_WRLCK:
		c.mode = LOCKDEV_MODE_EXCLUSIVE;
		break;
	case F_UNLCK:
		c.mode = 0;
		break;
	default:
		return fn(fd, cmd, fl);
	}
	return pl_call(&c);
}

/*
 * The kernel answers first: every holder through this library holds the
 * kernel's lock too. A holder that lockdev granted and that has not taken
 * the kernel's lock yet is reported from lockdev.
 */
static int pl_fcntl_getlk(pl_fcntl_fn fn, int fd, int cmd, struct flock *fl)
{
	unsigned int want, held;
	bool whole;
	pid_t pid;
	int ret;

	if (!fl)
		return fn(fd, cmd, fl);
	whole = pl_whole(fd, fl);
	want = fl->l_type == F_RDLCK ? LOCKDEV_MODE_SHARED :
	       LOCKDEV_MODE_EXCLUSIVE;
	ret = fn(fd, cmd, fl);
	if (ret || fl->l_type != F_UNLCK || !whole)
		return ret;
	if (!pl_getlk(cmd == F_GETLK ? PL_POSIX : PL_OFD, fd, want, &held,
		      &pid))
		return 0;
	fl->l_type = held == LOCKDEV_MODE_SHARED ? F_RDLCK : F_WRLCK;
	fl->l_whence = SEEK_SET;
	fl->l_start = 0;
	fl->l_len = 0;
	fl->l_pid = cmd == F_GETLK ? pid : -1;
	return 0;
}

static int pl_fcntl(pl_fcntl_fn fn, int fd, int cmd, void *arg)
{
	int ret;

	switch (cmd) {
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return pl_setlk(fn, fd, cmd, arg);
	case F_GETLK:
	case F_OFD_GETLK:
		return pl_fcntl_getlk(fn, fd, cmd, arg);
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		ret = fn(fd, cmd, arg);
		if (ret >= 0 && pl_table_busy())
			pl_fd_copied(fd, ret);
		return ret;
	default:
		return fn(fd, cmd, arg);
	}
}

static void *pl_fcntl_arg(va_list ap)
{
	return va_arg(ap, void *);
}

PL_API int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	if (!__atomic_load_n(&pl_real.close, __ATOMIC_ACQUIRE))
		pl_real_init();
	va_start(ap, cmd);
	arg = pl_fcntl_arg(ap);
	va_end(ap);
	return pl_fcntl(pl_real.fcntl, fd, cmd, arg);
}

PL_API int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	if (!__atomic_load_n(&pl_real.close, __ATOMIC_ACQUIRE))
		pl_real_init();
	va_start(ap, cmd);
	arg = pl_fcntl_arg(ap);
	va_end(ap);
	return pl_fcntl(pl_real.fcntl64, fd, cmd, arg);
}

static int pl_lockf_real(const struct pl_call *c, unsigned int mode, bool nb)
{
	return pl_real.lockf(c->fd, !mode ? F_ULOCK : nb ? F_TLOCK : F_LOCK,
			     0);
}

PL_API int lockf(int fd, int cmd, off_t len)
{
	struct pl_call c = {
		.kind = PL_POSIX,
		.fd = fd,
		.mode = LOCKDEV_MODE_EXCLUSIVE,
		.real = pl_lockf_real,
	};

	if (!__atomic_load_n(&pl_real.close, __ATOMIC_ACQUIRE))
		pl_real_init();
	if (len || lseek(fd, 0, SEEK_CUR) != 0)
		return pl_real.lockf(fd, cmd, len);
	switch (cmd) {
	case F_LOCK:
		break;
	case F_TLOCK:
		c.nonblock = true;
		break;
	case F_ULOCK:
		c.mode = 0;
		break;
	default:
		return pl_real.lockf(fd, cmd, len);
	}
	return pl_call(&c);
}

/* Programs built with _FILE_OFFSET_BITS=64 call lockf64: on LP64, lockf. */
PL_API int lockf64(int fd, int cmd, off_t len) __attribute__((alias("lockf")));
