// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: the floors, what a lockdev lock is measured against. Each
 * operation is one lock + unlock pair (or two ioctls), run n times.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lockbench.h"

/* An ioctl number of the device's type and direction that it rejects. */
#define EMPTY_IOC	_IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC, 0x7f, 8)

int op_empty2(struct op *op, long n)
{
	uint64_t buf = 0;
	long i;
	int k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < 2; k++) {
			if (ioctl(op->fd, EMPTY_IOC, &buf) != -1)
				return EPROTO;
			if (errno != ENOTTY)
				return errno;
		}
	}
	return 0;
}

/* Two VERSION ioctls: the struct is copied in, checked and copied out. */
int op_version2(struct op *op, long n)
{
	struct lockdev_version v;
	long i;

	for (i = 0; i < n; i++) {
		memset(&v, 0, sizeof(v));
		if (ioctl(op->fd, LOCKDEV_IOC_VERSION, &v))
			return errno;
		memset(&v, 0, sizeof(v));
		if (ioctl(op->fd, LOCKDEV_IOC_VERSION, &v))
			return errno;
	}
	return 0;
}

int op_flock(struct op *op, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (flock(op->fd, LOCK_EX) || flock(op->fd, LOCK_UN))
			return errno;
	return 0;
}

static int fcntl_pairs(int fd, int cmd, long n)
{
	struct flock lk, un;
	long i;

	memset(&lk, 0, sizeof(lk));
	lk.l_type = F_WRLCK;
	lk.l_whence = SEEK_SET;
	un = lk;
	un.l_type = F_UNLCK;
	for (i = 0; i < n; i++)
		if (fcntl(fd, cmd, &lk) || fcntl(fd, cmd, &un))
			return errno;
	return 0;
}

int op_fcntl(struct op *op, long n)
{
	return fcntl_pairs(op->fd, F_SETLK, n);
}

int op_ofd(struct op *op, long n)
{
	return fcntl_pairs(op->fd, F_OFD_SETLK, n);
}

/*
 * A futex-based mutex (0 free, 1 locked, 2 locked with waiters): the floor of
 * any lock at all, a compare-and-swap each way when nobody waits. @shared:
 * the word is in memory that other processes map (FUTEX_WAIT and
 * FUTEX_WAKE without FUTEX_PRIVATE_FLAG).
 */
static atomic_int futex_word;

void futex_lock(atomic_int *w, int shared)
{
	int op = FUTEX_WAIT | (shared ? 0 : FUTEX_PRIVATE_FLAG);
	int c = 0;

	if (atomic_compare_exchange_strong(w, &c, 1))
		return;
	if (c != 2)
		c = atomic_exchange(w, 2);
	while (c) {
		syscall(SYS_futex, w, op, 2, NULL, NULL, 0);
		c = atomic_exchange(w, 2);
	}
}

void futex_unlock(atomic_int *w, int shared)
{
	int op = FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG);

	if (atomic_fetch_sub(w, 1) != 1) {
		atomic_store(w, 0);
		syscall(SYS_futex, w, op, 1, NULL, NULL, 0);
	}
}

int op_futex(struct op *op, long n)
{
	long i;

	(void)op;
	for (i = 0; i < n; i++) {
		futex_lock(&futex_word, 0);
		futex_unlock(&futex_word, 0);
	}
	return 0;
}
