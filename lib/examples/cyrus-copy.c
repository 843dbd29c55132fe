// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Cyrus copying mail between two users: each copy locks both users, in
 * whatever order its arguments come, with one lock set. Two copiers that
 * go in opposite directions (alice to bob, bob to alice) never deadlock,
 * because the kernel takes the set in one order; a copy from a user to
 * herself names the same user twice, which is fine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <lockdev.h>

#define ROUNDS	500

static int copy(struct lockdev *ld, const char *from, const char *to)
{
	struct lockdev_set_req r[2] = {
		{ .name = from, .mode = LOCKDEV_MODE_EXCLUSIVE, .level = 1 },
		{ .name = to, .mode = LOCKDEV_MODE_EXCLUSIVE, .level = 1 },
	};
	unsigned int failed;
	int ret;

	ret = lockdev_lock_set(ld, r, 2, LOCKDEV_FOREVER, LOCKDEV_RESTART,
			       &failed);
	if (ret < 0) {
		fprintf(stderr, "copy %s -> %s: %s\n", from, to,
			lockdev_strerror(ret, failed < 2 ? r[failed].result : 0));
		return ret;
	}
	/* ... append the messages to the target, update both indexes ... */
	return lockdev_unlock_set(ld, r, 2);
}

static int copier(const char *from, const char *to)
{
	struct lockdev *ld;
	int i, ret;

	ret = lockdev_open(&ld, 0);
	if (ret < 0) {
		fprintf(stderr, "lockdev_open: %s\n", lockdev_strerror(ret, 0));
		return 1;
	}
	for (i = 0; i < ROUNDS && !ret; i++)
		ret = copy(ld, from, to);
	if (!ret)
		ret = copy(ld, from, from);
	lockdev_close(ld);
	return ret ? 1 : 0;
}

int main(void)
{
	int status, ok = 1;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0)
		_exit(copier("user:bob", "user:alice"));
	if (copier("user:alice", "user:bob"))
		ok = 0;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		ok = 0;
	printf("cyrus-copy: %d copies each way: %s\n", ROUNDS,
	       ok ? "done" : "FAILED");
	return ok ? 0 : 1;
}
