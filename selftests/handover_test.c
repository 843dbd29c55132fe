// SPDX-License-Identifier: GPL-2.0
/*
 * An UNLOCK or a downgrading CONVERT that grants waiters while the
 * lockspace's deadlock detector is busy: it does not wait for the detector,
 * but hands the grant over to it (the handed_over counter of
 * /proc/lockdev/stats), and the waiter is still granted, once.
 *
 * A child keeps the detector busy: one session holds K locks, a second
 * holds "y" and waits for all K asynchronously, and a third asks for "y"
 * again and again with a deadline already passed, so that each request
 * walks the K waits before it times out. Meanwhile, round after round, a
 * fresh session takes "a", a second session queues for it asynchronously,
 * and the first, in the variant's way, lets it in and closes at once: the
 * waiter must be granted, and the closed session's teardown must wait for
 * a hand-over of it (which the debug lane's KASAN checks). The variants:
 * the holder unlocks; its hold is an asynchronous request's; it downgrades
 * to a mode the waiter shares, and keeps it; it downgrades to one the
 * waiter does not share, then unlocks, so that one request is handed over
 * twice.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
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
 * @walk_us how long its last one took. The parent's alone: @pid, the
 * walker's, and @stop, the pipe that stops it.
 */
struct walker {
	atomic_long seq;
	atomic_long walk_us;
	pid_t pid;
	int stop;
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

/* Start the walker, set up once it is; NULL if that failed. */
static struct walker *walker_start(void)
{
	int ready[2], stop[2];
	struct walker *wk;
	pid_t pid;
	char c;

	wk = mmap(NULL, sizeof(*wk), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (wk == MAP_FAILED || pipe(ready) || pipe2(stop, O_NONBLOCK))
		return NULL;
	/* Not straight into the shared @wk, where the child writes 0. */
	pid = fork();
	if (pid < 0)
		return NULL;
	if (!pid)
		walker_main(wk, ready[1], stop[0]);
	wk->pid = pid;
	close(ready[1]);
	close(stop[0]);
	wk->stop = stop[1];
	if (read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		return NULL;
	}
	close(ready[0]);
	return wk;
}

/* Stop the walker; 0 if every one of its walks timed out. */
static int walker_stop(struct walker *wk)
{
	int status, ret = -1;

	if (write(wk->stop, "s", 1) == 1 &&
	    waitpid(wk->pid, &status, 0) == wk->pid &&
	    WIFEXITED(status) && !WEXITSTATUS(status))
		ret = 0;
	close(wk->stop);
	munmap(wk, sizeof(*wk));
	return ret;
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

FIXTURE(handover) {
	int unused;
};

/*
 * @hold_flags: the holder's LOCK flags; @wait_mode: the waiter's mode;
 * @down_to: the holder first converts to this mode, if not 0; @unlock: the
 * holder then unlocks.
 */
FIXTURE_VARIANT(handover) {
	__u32 hold_flags;
	__u32 wait_mode;
	__u32 down_to;
	bool unlock;
};

FIXTURE_VARIANT_ADD(handover, unlock) {
	.wait_mode = LOCKDEV_MODE_EXCLUSIVE,
	.unlock = true,
};

FIXTURE_VARIANT_ADD(handover, unlock_async_hold) {
	.hold_flags = LOCKDEV_LOCK_ASYNC,
	.wait_mode = LOCKDEV_MODE_EXCLUSIVE,
	.unlock = true,
};

FIXTURE_VARIANT_ADD(handover, downgrade) {
	.wait_mode = LOCKDEV_MODE_SHARED,
	.down_to = LOCKDEV_MODE_SHARED,
};

FIXTURE_VARIANT_ADD(handover, downgrade_async_hold) {
	.hold_flags = LOCKDEV_LOCK_ASYNC,
	.wait_mode = LOCKDEV_MODE_APPEND,
	.down_to = LOCKDEV_MODE_SHARED,
};

FIXTURE_VARIANT_ADD(handover, downgrade_then_unlock) {
	.wait_mode = LOCKDEV_MODE_EXCLUSIVE,
	.down_to = LOCKDEV_MODE_SHARED,
	.unlock = true,
};

FIXTURE_SETUP(handover)
{
}

FIXTURE_TEARDOWN(handover)
{
}

/* A downgrade of @handle to @mode; its generation into *@gen. */
static int downgrade(int fd, __u64 handle, __u32 mode, __u64 *gen)
{
	struct lockdev_convert c;

	memset(&c, 0, sizeof(c));
	c.handle = handle;
	c.mode = mode;
	if (ioctl(fd, LOCKDEV_IOC_CONVERT, &c))
		return -1;
	*gen = c.generation;
	return 0;
}

/* One round: "a" let in to a queued waiter, its session closed at once. */
static int handover_round(struct __test_metadata *_metadata,
			  const FIXTURE_VARIANT(handover) *v,
			  struct walker *wk, int q)
{
	struct lockdev_completion c;
	struct lockdev_lock l, w;
	int p = open_session();
	__u64 gen = 0;

	if (p < 0)
		return -1;
	EXPECT_EQ(0, lock_call(p, "ho.a", LOCKDEV_MODE_EXCLUSIVE,
			       v->hold_flags, &l));
	/* Granted at once, asynchronous or not. */
	EXPECT_EQ(0, l.result);
	EXPECT_EQ(0, lock_call(q, "ho.a", v->wait_mode, LOCKDEV_LOCK_ASYNC,
			       &w));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, w.result);
	await_walk(wk);
	if (v->down_to)
		EXPECT_EQ(0, downgrade(p, l.handle, v->down_to, &gen));
	if (v->unlock)
		EXPECT_EQ(0, unlock_handle(p, l.handle));
	close(p);
	EXPECT_EQ(POLLIN, poll_in(q, 10000) & POLLIN);
	EXPECT_EQ((ssize_t)sizeof(c), read(q, &c, sizeof(c)));
	EXPECT_EQ(0, c.result);
	EXPECT_EQ(w.handle, c.handle);
	/* A downgrade that lets the waiter in is the last change it sees. */
	if (v->down_to && !v->unlock)
		EXPECT_EQ(gen, c.generation);
	EXPECT_EQ(0, unlock_handle(q, c.handle));
	return _metadata->passed ? 0 : -1;
}

TEST_F(handover, while_detector_walks)
{
	long long before = stat_value("handed_over"), handed = 0;
	struct walker *wk;
	int q, i;

	ASSERT_LE(0, before);
	wk = walker_start();
	ASSERT_NE(NULL, wk);
	q = open_session();
	ASSERT_LE(0, q);
	for (i = 0; i < ROUNDS && handed < WANT_HANDED; i++) {
		if (handover_round(_metadata, variant, wk, q))
			break;
		handed = stat_value("handed_over") - before;
	}
	EXPECT_EQ(0, walker_stop(wk));
	TH_LOG("%lld hand-overs in %d rounds", handed, i);
	EXPECT_LE(WANT_HANDED, handed);
	/* Nothing is left held or queued. */
	EXPECT_EQ(0, wait_lock_state(q, "ho.a", 0, 0));
	EXPECT_EQ(0, wait_lock_state(q, "ho.y", 0, 0));
	close(q);
}

/*
 * Two threads of one session on one hold, with a waiter queued, while the
 * walker keeps the detector busy: one thread downgrades the hold from
 * APPEND to SHARED and converts it back, again and again; the other asks
 * for EXCLUSIVE, which another session's SHARED hold blocks, with a
 * deadline a millisecond away. Some downgrades find the graph mutex taken
 * and hand their grants over, and the conversions that follow queue the
 * same request: each hand-over must be finished first, since a queued
 * request's wait takes the room of the hand-over's link (which the debug
 * lane's KASAN checks). The rarest order, a downgrade handing over to the
 * other thread between its taking the mutex and its queueing, is not
 * forced here: that thread then gives the mutex up and takes it again
 * (ld_convert()).
 */
struct flipper {
	int fd;
	__u64 handle;
	atomic_int stop;
	atomic_long bad;
	atomic_long ups;
};

static void *exclusive_thread(void *arg)
{
	struct flipper *f = arg;
	struct lockdev_convert c;

	while (!atomic_load(&f->stop)) {
		memset(&c, 0, sizeof(c));
		c.handle = f->handle;
		c.mode = LOCKDEV_MODE_EXCLUSIVE;
		c.flags = LOCKDEV_LOCK_DEADLINE;
		c.deadline_ns = now_ns() + 1000000;
		if (!ioctl(f->fd, LOCKDEV_IOC_CONVERT, &c))
			atomic_fetch_add(&f->bad, 1);
		else if (errno != ETIMEDOUT && errno != EBUSY)
			atomic_fetch_add(&f->bad, 1);
		else
			atomic_fetch_add(&f->ups, 1);
		/* Queued, it makes every downgrade EBUSY: not too often. */
		usleep(20000);
	}
	return NULL;
}

TEST(downgrade_races_own_upgrade)
{
	struct flipper f = {};
	struct lockdev_lock l, r, w;
	long long before = stat_value("handed_over"), handed;
	long flips = 0, bad = 0;
	struct walker *wk;
	pthread_t thread;
	__u64 gen;
	int rs, q;
	long t;

	wk = walker_start();
	ASSERT_NE(NULL, wk);
	f.fd = open_session();
	rs = open_session();
	q = open_session();
	ASSERT_LE(0, f.fd);
	ASSERT_LE(0, rs);
	ASSERT_LE(0, q);
	ASSERT_EQ(0, lock_call(rs, "ho.f", LOCKDEV_MODE_SHARED, 0, &r));
	ASSERT_EQ(0, lock_call(f.fd, "ho.f", LOCKDEV_MODE_APPEND, 0, &l));
	ASSERT_EQ(0, lock_call(q, "ho.f", LOCKDEV_MODE_EXCLUSIVE,
			       LOCKDEV_LOCK_ASYNC, &w));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, w.result);
	f.handle = l.handle;
	ASSERT_EQ(0, pthread_create(&thread, NULL, exclusive_thread, &f));
	for (t = now_ns(); now_ns() - t < 2000000000L; flips++) {
		/* EBUSY while the other thread's upgrade is queued. */
		if (downgrade(f.fd, f.handle, LOCKDEV_MODE_SHARED, &gen) &&
		    errno != EBUSY)
			bad++;
		if (downgrade(f.fd, f.handle, LOCKDEV_MODE_APPEND, &gen) &&
		    errno != EBUSY)
			bad++;
	}
	atomic_store(&f.stop, 1);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0, walker_stop(wk));
	handed = stat_value("handed_over") - before;
	TH_LOG("%ld flips, %ld upgrades, %lld hand-overs", flips,
	       atomic_load(&f.ups), handed);
	EXPECT_LE(WANT_HANDED, handed);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, atomic_load(&f.bad));
	/* The lock is as it was: two holders and the waiter. */
	EXPECT_EQ(0, wait_lock_state(q, "ho.f", 2, 1));
	EXPECT_EQ(0, unlock_handle(f.fd, f.handle));
	EXPECT_EQ(0, unlock_handle(rs, r.handle));
	EXPECT_EQ(POLLIN, poll_in(q, 10000) & POLLIN);
	close(q);
	close(rs);
	close(f.fd);
}

TEST_HARNESS_MAIN
