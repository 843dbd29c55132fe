// SPDX-License-Identifier: GPL-2.0
/*
 * An UNLOCK that grants waiters while the lockspace's deadlock detector is
 * busy: it does not wait for the detector, but hands the grant over to it
 * (the handed_over counter of /proc/lockdev/stats), and the waiter is still
 * granted, once.
 *
 * A child keeps the detector busy: one session holds K locks, a second
 * holds "y" and waits for all K asynchronously, and a third asks for "y"
 * again and again with a deadline already passed, so that each request
 * walks the K waits before it times out. Meanwhile, round after round, a
 * fresh session takes "a", a second session queues for it asynchronously,
 * and the first unlocks it and closes at once: the waiter must be granted,
 * and the closed session's teardown must wait for a handed-over release of
 * it (which the debug lane's KASAN checks).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"

/* Locks whose waits each walk of the detector crosses. */
#define K		3000
/* Rounds of the unlocker at most, and how many must have been handed over. */
#define ROUNDS		400
#define WANT_HANDED	3

/*
 * What the walker shares: @seq is odd while it is in a LOCK that walks,
 * @walk_us how long its last one took.
 */
struct walker {
	atomic_long seq;
	atomic_long walk_us;
};

/* CLOCK_MONOTONIC in microseconds. */
static long now_us(void)
{
	return now_ns() / 1000;
}

/* The busy detector of the comment above; exits 0 if every walk timed out. */
static int __attribute__((noreturn)) walker_main(struct walker *wk, int ready,
						 int stop)
{
	int s1 = open_session(), s2 = open_session(), s3 = open_session();
	struct lockdev_lock l;
	char name[32];
	long walks = 0, t;
	int i, bad = 0;

	if (s1 < 0 || s2 < 0 || s3 < 0 ||
	    lock_call(s2, "ho.y", LOCKDEV_MODE_EXCLUSIVE,
		      LOCKDEV_LOCK_NONBLOCK, &l))
		_exit(2);
	for (i = 0; i < K; i++) {
		snprintf(name, sizeof(name), "ho.x%d", i);
		if (lock_call(s1, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, &l) ||
		    lock_call(s2, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, &l) ||
		    l.result != LOCKDEV_RESULT_QUEUED)
			_exit(3);
	}
	if (write(ready, "r", 1) != 1)
		_exit(4);
	while (read(stop, name, 1) < 0 && errno == EAGAIN) {
		lock_input(&l, "ho.y", LOCKDEV_MODE_EXCLUSIVE,
			   LOCKDEV_LOCK_DEADLINE);
		l.deadline_ns = 1;
		t = now_us();
		atomic_fetch_add(&wk->seq, 1);
		if (ioctl(s3, LOCKDEV_IOC_LOCK, &l) != -1 ||
		    errno != ETIMEDOUT)
			bad++;
		atomic_fetch_add(&wk->seq, 1);
		atomic_store(&wk->walk_us, now_us() - t);
		walks++;
	}
	fprintf(stderr,
		"# the detector walked %ld times, the last in %ld us, %d not ETIMEDOUT\n",
		walks, atomic_load(&wk->walk_us), bad);
	close(s3);
	close(s2);
	close(s1);
	_exit(bad ? 5 : 0);
}

/* Wait for the walker to be in a walk that began after now. */
static void await_walk(struct walker *wk)
{
	long seq = atomic_load(&wk->seq), t = now_us();

	while (now_us() - t < 2000000) {
		long cur = atomic_load(&wk->seq);

		if (cur != seq && (cur & 1))
			break;
		usleep(50);
	}
	/* Into the walk: past the syscall's entry and the mutex. */
	usleep(atomic_load(&wk->walk_us) / 3);
}

/* One round: "a" unlocked with a waiter queued, its session closed at once. */
static int handover_round(struct __test_metadata *_metadata,
			  struct walker *wk, int q)
{
	struct lockdev_completion c;
	struct lockdev_lock l;
	int p = open_session();

	if (p < 0)
		return -1;
	EXPECT_EQ(0, lock_call(p, "ho.a", LOCKDEV_MODE_EXCLUSIVE,
			       LOCKDEV_LOCK_NONBLOCK, &l));
	EXPECT_EQ(0, lock_call(q, "ho.a", LOCKDEV_MODE_EXCLUSIVE,
			       LOCKDEV_LOCK_ASYNC, &l));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
	await_walk(wk);
	EXPECT_EQ(0, unlock_name(p, "ho.a"));
	close(p);
	EXPECT_EQ(POLLIN, poll_in(q, 10000) & POLLIN);
	EXPECT_EQ((ssize_t)sizeof(c), read(q, &c, sizeof(c)));
	EXPECT_EQ(0, c.result);
	EXPECT_EQ(l.handle, c.handle);
	EXPECT_EQ(0, unlock_handle(q, c.handle));
	return _metadata->passed ? 0 : -1;
}

TEST(unlock_while_detector_walks)
{
	long long before = stat_value("handed_over"), handed = 0;
	int ready[2], stop[2], q, i, status;
	struct walker *wk;
	char c;
	pid_t kid;

	ASSERT_LE(0, before);
	wk = mmap(NULL, sizeof(*wk), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, wk);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe2(stop, O_NONBLOCK));
	kid = fork();
	ASSERT_LE(0, kid);
	if (!kid)
		walker_main(wk, ready[1], stop[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	q = open_session();
	ASSERT_LE(0, q);
	for (i = 0; i < ROUNDS && handed < WANT_HANDED; i++) {
		if (handover_round(_metadata, wk, q))
			break;
		handed = stat_value("handed_over") - before;
	}
	ASSERT_EQ(1, write(stop[1], "s", 1));
	ASSERT_EQ(kid, waitpid(kid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	TH_LOG("%lld of %d unlocks handed over", handed, i);
	EXPECT_LE(WANT_HANDED, handed);
	/* Nothing is left held or queued. */
	EXPECT_EQ(0, wait_lock_state(q, "ho.a", 0, 0));
	EXPECT_EQ(0, wait_lock_state(q, "ho.y", 0, 0));
	close(q);
	munmap(wk, sizeof(*wk));
}

TEST_HARNESS_MAIN
