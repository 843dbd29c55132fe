// SPDX-License-Identifier: GPL-2.0
/*
 * liblockdev: asynchronous requests, their completions through epoll and
 * lockdev_read_completions(), cancelling them. Other lock owners are child
 * processes with sessions of their own; every wait is bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "lib_util.h"

#define NCOMP	4

/* The one completion that must come within WAIT_MS. */
static int one_completion(struct lockdev *ld, struct lockdev_completion *c)
{
	return lockdev_read_completions(ld, c, 1, WAIT_MS * MS, 0);
}

TEST(granted_at_once)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_completion c[NCOMP];
	struct lockdev_grant g;

	lib_require(_metadata, LOCKDEV_FEATURE_ASYNC, "asynchronous requests");
	ASSERT_EQ(0, lockdev_lock_async(ld, "lib-async", LOCKDEV_MODE_SHARED,
					0, LOCKDEV_FOREVER, 42, &g));
	EXPECT_NE(0, g.handle);
	EXPECT_NE(0, g.generation);
	EXPECT_EQ(0, g.result & LOCKDEV_RESULT_QUEUED);
	/* A grant at once posts no completion. */
	EXPECT_EQ(0, lockdev_read_completions(ld, c, NCOMP, 0, 0));
	EXPECT_EQ(-EALREADY, lockdev_lock_async(ld, "lib-async",
						LOCKDEV_MODE_SHARED, 0,
						LOCKDEV_FOREVER, 1, &g));
	EXPECT_EQ(-EINVAL, lockdev_lock_async(ld, NULL, LOCKDEV_MODE_SHARED,
					      0, LOCKDEV_FOREVER, 1, &g));
	EXPECT_EQ(0, lockdev_unlock_name(ld, "lib-async"));
	lockdev_close(ld);
}

/* The completion wakes epoll when the holder, elsewhere, lets go. */
TEST(epoll_completion)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_completion c[NCOMP];
	struct epoll_event ev = { .events = EPOLLIN };
	struct lockdev_entry e[2];
	struct lockdev_grant g;
	struct kid k;
	int ep;

	lib_require(_metadata, LOCKDEV_FEATURE_ASYNC, "asynchronous requests");
	holder_start(_metadata, &k, "lib-ep", LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lockdev_lock_async(ld, "lib-ep", LOCKDEV_MODE_SHARED, 0,
					LOCKDEV_FOREVER, 42, &g));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, g.result);
	EXPECT_NE(0, g.handle);

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.data.u64 = 7;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, lockdev_fd(ld), &ev));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 200));
	EXPECT_EQ(0, lockdev_read_completions(ld, c, NCOMP, 0, 0));

	holder_stop(_metadata, &k, 'u');
	ASSERT_EQ(1, epoll_wait(ep, &ev, 1, WAIT_MS));
	EXPECT_EQ(7, ev.data.u64);
	EXPECT_TRUE(ev.events & EPOLLIN);
	poison(c, sizeof(c));
	ASSERT_EQ(1, lockdev_read_completions(ld, c, NCOMP, 0, 0));
	EXPECT_EQ(42, c[0].user_data);
	EXPECT_EQ(g.handle, c[0].handle);
	EXPECT_EQ(0, c[0].result);
	EXPECT_NE(0, c[0].generation);
	EXPECT_TRUE(poisoned(&c[1], sizeof(c[1])));
	EXPECT_EQ(0, epoll_wait(ep, &ev, 1, 0));

	ASSERT_EQ(1, lockdev_query(ld, "lib-ep", e, 2, NULL));
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	close(ep);
	lockdev_close(ld);
}

/* Two requests end one after the other: one record per read of one. */
TEST(several_completions)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_completion c[NCOMP];
	struct lockdev_grant ga, gb;
	struct kid ka, kb;

	lib_require(_metadata, LOCKDEV_FEATURE_ASYNC, "asynchronous requests");
	holder_start(_metadata, &ka, "lib-sa", LOCKDEV_MODE_EXCLUSIVE);
	holder_start(_metadata, &kb, "lib-sb", LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lockdev_lock_async(ld, "lib-sa", LOCKDEV_MODE_EXCLUSIVE,
					0, LOCKDEV_FOREVER, 1, &ga));
	ASSERT_EQ(0, lockdev_lock_async(ld, "lib-sb", LOCKDEV_MODE_EXCLUSIVE,
					0, LOCKDEV_FOREVER, 2, &gb));
	holder_stop(_metadata, &kb, 'u');
	holder_stop(_metadata, &ka, 'u');
	ASSERT_EQ(1, one_completion(ld, c));
	EXPECT_EQ(2, c[0].user_data);
	EXPECT_EQ(gb.handle, c[0].handle);
	ASSERT_EQ(1, one_completion(ld, c));
	EXPECT_EQ(1, c[0].user_data);
	EXPECT_EQ(ga.handle, c[0].handle);
	EXPECT_EQ(2, lockdev_list(ld, NULL, 0));
	lockdev_close(ld);
}

TEST(deadline)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_completion c;
	struct lockdev_grant g;
	__u64 start;
	struct kid k;

	lib_require(_metadata, LOCKDEV_FEATURE_ASYNC, "asynchronous requests");
	holder_start(_metadata, &k, "lib-adl", LOCKDEV_MODE_EXCLUSIVE);
	start = now_ns();
	ASSERT_EQ(0, lockdev_lock_async(ld, "lib-adl", LOCKDEV_MODE_SHARED, 0,
					300 * MS, 9, &g));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, g.result);
	ASSERT_EQ(1, one_completion(ld, &c));
	EXPECT_LE(300 * MS, now_ns() - start);
	EXPECT_EQ(-ETIMEDOUT, c.result);
	EXPECT_EQ(9, c.user_data);
	EXPECT_EQ(g.handle, c.handle);
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));
	holder_stop(_metadata, &k, 'u');
	lockdev_close(ld);
}

TEST(cancel)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_completion c;
	struct lockdev_grant g;
	struct kid k;

	lib_require(_metadata, LOCKDEV_FEATURE_ASYNC, "asynchronous requests");
	holder_start(_metadata, &k, "lib-cancel", LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lockdev_lock_async(ld, "lib-cancel",
					LOCKDEV_MODE_EXCLUSIVE, 0,
					LOCKDEV_FOREVER, 5, &g));
	EXPECT_EQ(1, lockdev_list(ld, NULL, 0));
	EXPECT_EQ(0, lockdev_cancel(ld, g.handle));
	ASSERT_EQ(1, one_completion(ld, &c));
	EXPECT_EQ(-ECANCELED, c.result);
	EXPECT_EQ(5, c.user_data);
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));
	EXPECT_EQ(-ENOENT, lockdev_cancel(ld, g.handle));
	EXPECT_EQ(-EINVAL, lockdev_cancel(ld, 0));
	holder_stop(_metadata, &k, 'u');
	lockdev_close(ld);
}

TEST(read_errors_and_timeout)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_completion c[NCOMP];
	__u64 start, took;

	EXPECT_EQ(-EINVAL, lockdev_read_completions(ld, c, 0, 0, 0));
	EXPECT_EQ(-EINVAL, lockdev_read_completions(ld, NULL, 1, 0, 0));
	EXPECT_EQ(-EINVAL, lockdev_read_completions(ld, c, 1, 0, 2));
	start = now_ns();
	EXPECT_EQ(0, lockdev_read_completions(ld, c, NCOMP, 300 * MS, 0));
	took = now_ns() - start;
	EXPECT_LE(300 * MS, took);
	EXPECT_GT(WAIT_MS * MS, took);
	lockdev_close(ld);
}

/* A reader blocked without end is woken by a grant another process allows. */
TEST(read_waits)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_completion c;
	struct lockdev_grant g;
	struct kid k;

	lib_require(_metadata, LOCKDEV_FEATURE_ASYNC, "asynchronous requests");
	ASSERT_EQ(0, lockdev_lock(ld, "lib-rw", LOCKDEV_MODE_EXCLUSIVE, 0, 0,
				  NULL));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev *me = lib_open(_metadata);

		ASSERT_EQ(0, lockdev_lock_async(me, "lib-rw",
						LOCKDEV_MODE_SHARED, 0,
						LOCKDEV_FOREVER, 3, &g));
		kid_send(&k, 'Q');
		ASSERT_EQ(1, lockdev_read_completions(me, &c, 1,
						      LOCKDEV_FOREVER, 0));
		EXPECT_EQ(0, c.result);
		EXPECT_EQ(3, c.user_data);
		kid_send(&k, 'C');
		KID_EXIT();
	}
	ASSERT_EQ('Q', kid_recv(&k, WAIT_MS));
	expect_waiting(_metadata, ld, "lib-rw", k.pid, LOCKDEV_STATE_WAITING);
	EXPECT_EQ(-1, kid_recv(&k, 300));
	EXPECT_EQ(0, lockdev_unlock_name(ld, "lib-rw"));
	EXPECT_EQ('C', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

/* EINTR ends the wait for completions unless LOCKDEV_RESTART; the timeout holds. */
TEST(read_eintr)
{
	struct itimerval it = {
		.it_interval = { 0, 50000 }, .it_value = { 0, 50000 },
	};
	struct itimerval off = { 0 };
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_completion c;
	__u64 start, took;

	catch_no_restart(SIGALRM);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, lockdev_read_completions(ld, &c, 1, LOCKDEV_FOREVER,
						   0));
	start = now_ns();
	lib_sigs = 0;
	EXPECT_EQ(0, lockdev_read_completions(ld, &c, 1, 600 * MS,
					      LOCKDEV_RESTART));
	took = now_ns() - start;
	setitimer(ITIMER_REAL, &off, NULL);
	EXPECT_LE(600 * MS, took);
	EXPECT_GT(5000 * MS, took);
	EXPECT_LE(3, lib_sigs);
	lockdev_close(ld);
}

/*
 * An asynchronous request whose wait would close a cycle completes at once
 * with EDEADLK: we hold A, the child holds B and waits for A, we ask for B.
 */
TEST(cycle)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_completion c;
	struct lockdev_grant g;
	struct kid k;

	lib_require(_metadata, LOCKDEV_FEATURE_ASYNC, "asynchronous requests");
	ASSERT_EQ(0, lockdev_lock(ld, "lib-cyc-a", LOCKDEV_MODE_EXCLUSIVE, 0,
				  0, NULL));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev *me = lib_open(_metadata);

		ASSERT_EQ(0, lockdev_lock(me, "lib-cyc-b",
					  LOCKDEV_MODE_EXCLUSIVE, 0, 0, NULL));
		kid_send(&k, 'B');
		EXPECT_EQ(0, lockdev_lock(me, "lib-cyc-a",
					  LOCKDEV_MODE_EXCLUSIVE, 0, 0, NULL));
		kid_send(&k, 'A');
		KID_EXIT();
	}
	ASSERT_EQ('B', kid_recv(&k, WAIT_MS));
	expect_waiting(_metadata, ld, "lib-cyc-a", k.pid,
		       LOCKDEV_STATE_WAITING);
	ASSERT_EQ(0, lockdev_lock_async(ld, "lib-cyc-b",
					LOCKDEV_MODE_EXCLUSIVE, 0,
					LOCKDEV_FOREVER, 11, &g));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, g.result);
	ASSERT_EQ(1, lockdev_read_completions(ld, &c, 1, 0, 0));
	EXPECT_EQ(-EDEADLK, c.result);
	EXPECT_EQ(11, c.user_data);
	/* Modules before the deadlock reports did not say why. */
	if (lib_has_call(lockdev_deadlock(ld, NULL, NULL, 0)))
		EXPECT_TRUE(c.flags & LOCKDEV_RESULT_CYCLE);
	EXPECT_EQ(0, lockdev_unlock_name(ld, "lib-cyc-a"));
	EXPECT_EQ('A', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

TEST_HARNESS_MAIN
