// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * RPM's transaction: read the database's generation, resolve dependencies
 * without the lock, then lock and check that nobody wrote in between. And
 * recovery: a transaction killed while it held the lock leaves it
 * owner-died; the next one sees that, repairs the database and marks the
 * lock consistent.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lockdev.h>

#define RPMDB	"rpmdb:/var/lib/rpm"

static int fail(const char *what, int err)
{
	fprintf(stderr, "rpm-transaction: %s: %s\n", what,
		lockdev_strerror(err, 0));
	return 1;
}

/* A transaction that dies half way, holding the lock. */
static void crash(void)
{
	struct lockdev *ld;

	if (lockdev_open(&ld, 0) ||
	    lockdev_lock(ld, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0, 0, NULL))
		_exit(1);
	/* ... half of the headers written ... */
	kill(getpid(), SIGKILL);
}

int main(void)
{
	struct lockdev_grant g;
	struct lockdev *ld;
	uint64_t seen;
	int ret, status;
	pid_t pid;

	ret = lockdev_open(&ld, 0);
	if (ret < 0)
		return fail("open", ret);

	/* Check, then act: nobody may have written in between. */
	ret = lockdev_generation(ld, RPMDB, &seen);
	if (ret < 0)
		return fail("generation", ret);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0)
		crash();
	if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status))
		return 1;

	ret = lockdev_lock(ld, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0,
			   LOCKDEV_RESTART, &g);
	if (ret < 0)
		return fail("lock", ret);
	if (g.generation == seen)
		return fail("the generation did not change", 0);
	printf("rpm-transaction: the database changed since the check: resolve again\n");

	if (!(g.result & LOCKDEV_RESULT_OWNER_DIED))
		return fail("owner-died was not reported", 0);
	printf("rpm-transaction: %s: rebuilding the indexes\n",
	       lockdev_strerror(0, g.result));
	/* ... rpmdb --rebuilddb ... */
	ret = lockdev_consistent(ld, g.handle);
	if (ret < 0)
		return fail("consistent", ret);
	lockdev_unlock(ld, g.handle);

	ret = lockdev_lock(ld, RPMDB, LOCKDEV_MODE_EXCLUSIVE, 0, 0, &g);
	if (ret < 0 || (g.result & LOCKDEV_RESULT_OWNER_DIED))
		return fail("the lock is still owner-died", ret);
	lockdev_close(ld);
	printf("rpm-transaction: done\n");
	return 0;
}
