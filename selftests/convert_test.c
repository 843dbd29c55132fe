// SPDX-License-Identifier: GPL-2.0
/*
 * LOCKDEV_IOC_CONVERT: downgrades are immediate and wake the waiters they
 * unblock, upgrades wait (ahead of new requests) under NONBLOCK and DEADLINE,
 * two upgraders waiting for each other are a deadlock one of them is told
 * about, a second upgrade of the same lock is EBUSY, an unlock cancels a
 * waiting upgrade, the generation changes on downgrades, and bad input.
 *
 * Another session is usually another process, a "locker": a forked child
 * that runs the lock calls the test sends it over a pipe and answers each
 * with its outcome. A test sees that a locker is really blocked in the kernel
 * by polling QUERY until its request shows up waiting, never by sleeping
 * blindly; every wait is bounded, so a broken module fails a test rather than
 * hanging it. Each test works on its own lock names, made from its name and
 * pid.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"

/* How long a thing that must not happen is given to show itself. */
#define QUIET_MS	300

#define S LOCKDEV_MODE_SHARED
#define A LOCKDEV_MODE_APPEND
#define X LOCKDEV_MODE_EXCLUSIVE
#define HELD LOCKDEV_STATE_HELD
#define WAITING LOCKDEV_STATE_WAITING
#define CONVERTING LOCKDEV_STATE_CONVERTING
#define NONBLOCK LOCKDEV_LOCK_NONBLOCK
#define DEADLINE LOCKDEV_LOCK_DEADLINE
#define ASYNC LOCKDEV_LOCK_ASYNC
#define MS 1000000ull

/* A CONVERT request: inputs set, outputs (result, generation) poisoned. */
static void convert_input(struct lockdev_convert *c, __u64 handle,
			  const char *name, __u32 mode, __u32 flags)
{
	poison(c, sizeof(*c));
	c->handle = handle;
	c->name = name ? ptr(name) : 0;
	c->name_len = name ? strlen(name) : 0;
	c->mode = mode;
	c->flags = flags;
	c->deadline_ns = 0;
}

/* CONVERT by handle, bounded by an alarm in case it wrongly waits. */
static int convert_call(int fd, __u64 handle, __u32 mode, __u32 flags,
			struct lockdev_convert *c)
{
	int ret, err;

	convert_input(c, handle, NULL, mode, flags);
	arm_alarm(10);
	ret = ioctl(fd, LOCKDEV_IOC_CONVERT, c);
	err = errno;
	alarm(0);
	errno = err;
	return ret;
}

/* CONVERT must fail with @err, leaving the struct as it was. */
static void convert_fails(struct __test_metadata *_metadata, int fd,
			  struct lockdev_convert *c, int err, const char *what)
{
	struct lockdev_convert before = *c;
	int ret, e;

	arm_alarm(10);
	ret = ioctl(fd, LOCKDEV_IOC_CONVERT, c);
	e = errno;
	alarm(0);
	EXPECT_EQ(-1, ret) {
		TH_LOG("%s: the conversion was done", what);
	}
	EXPECT_EQ(err, e) {
		TH_LOG("%s: errno %d (%s), expected %d", what, e, strerror(e), err);
	}
	EXPECT_EQ(0, memcmp(c, &before, sizeof(*c))) {
		TH_LOG("%s: the struct was written", what);
	}
}

/* The one lock @fd holds must be in @mode, held. */
static void expect_held(struct __test_metadata *_metadata, int fd, __u32 mode)
{
	struct lockdev_held h[2];
	struct lockdev_list li;

	ASSERT_EQ(0, list_call(fd, h, 2, &li));
	ASSERT_EQ(1, li.nr_entries);
	EXPECT_EQ(mode, h[0].mode);
	EXPECT_EQ(HELD, h[0].state);
}

/* Ask the locker to convert its lock to @mode and see the upgrade wait. */
static void locker_must_convert_wait(struct __test_metadata *_metadata,
				     struct locker *lk, int fd,
				     const char *name, __u32 mode)
{
	struct locker_cmd c = { .op = OP_CONVERT, .mode = mode };
	struct locker_reply r;

	locker_send(_metadata, lk, &c);
	ASSERT_TRUE(wait_entry(fd, name, lk->pid, CONVERTING)) {
		if (locker_answer(lk, &r, 0))
			TH_LOG("locker %d did not wait: ret %d errno %d",
			       lk->pid, r.ret, r.err);
		else
			TH_LOG("locker %d never showed up converting", lk->pid);
	}
}

/* Which of two lockers answers first within @ms: 0, 1, or -1 for neither. */
static int first_answer(struct locker *a, struct locker *b, int ms)
{
	struct pollfd p[2] = {
		{ .fd = a->reply, .events = POLLIN },
		{ .fd = b->reply, .events = POLLIN },
	};
	int n;

	do {
		n = poll(p, 2, ms);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	return (p[0].revents & POLLIN) ? 0 : 1;
}

FIXTURE(cv) {
	int fd[NFD];
	char name[128];
	char name2[140];
	struct locker lk[MAXLK];
};

FIXTURE_SETUP(cv)
{
	int i;

	require_lock_feature(_metadata);
	for (i = 0; i < NFD; i++) {
		self->fd[i] = open_session();
		ASSERT_LE(0, self->fd[i]);
	}
	snprintf(self->name, sizeof(self->name), "convert_test.%s.%d",
		 _metadata->name, getpid());
	snprintf(self->name2, sizeof(self->name2), "%s.2", self->name);
}

FIXTURE_TEARDOWN(cv)
{
	int i;

	alarm(0);
	for (i = 0; i < MAXLK; i++)
		locker_kill(&self->lk[i]);
	for (i = 0; i < NFD; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
}

/* ---- downgrades: immediate, and they wake whom they unblock ---- */

TEST_F_TIMEOUT(cv, downgrade_exclusive_to_shared, 60)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	for (i = 0; i < 3; i++)
		locker_start(_metadata, &self->lk[i], -1, self->name, -1, i);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, S);
	locker_must_wait(_metadata, &self->lk[1], self->fd[1], self->name, X);
	locker_must_wait(_metadata, &self->lk[2], self->fd[1], self->name, S);

	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c)) {
		TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(0, c.result);
	EXPECT_NE(0, c.generation);
	EXPECT_NE(l.generation, c.generation);

	/* The reader queued first gets in; the writer and the reader behind it wait. */
	locker_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(c.generation, r.generation);
	locker_quiet(_metadata, &self->lk[1], QUIET_MS);
	locker_quiet(_metadata, &self->lk[2], 0);

	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(c.generation, q.generation);
	ASSERT_EQ(4, q.nr_entries);
	i = find_entry(e, 2, getpid(), HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(S, e[i].mode);
	i = find_entry(e, 2, self->lk[0].pid, HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(S, e[i].mode);
	EXPECT_EQ(self->lk[1].pid, e[2].pid);
	EXPECT_EQ(WAITING, e[2].state);
	EXPECT_EQ(X, e[2].mode);
	EXPECT_EQ(self->lk[2].pid, e[3].pid);
	EXPECT_EQ(WAITING, e[3].state);
	expect_held(_metadata, self->fd[0], S);
}

TEST_F_TIMEOUT(cv, downgrade_exclusive_to_append, 60)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, A);
	locker_must_wait(_metadata, &self->lk[1], self->fd[1], self->name, S);

	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, A, 0, &c)) {
		TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(0, c.result);
	EXPECT_NE(0, c.generation);
	EXPECT_NE(l.generation, c.generation);

	/* The reader gets in past the waiting appender; the appender waits. */
	locker_granted(_metadata, &self->lk[1], &r);
	locker_quiet(_metadata, &self->lk[0], QUIET_MS);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(3, q.nr_entries);
	i = find_entry(e, 2, getpid(), HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(A, e[i].mode);
	i = find_entry(e, 2, self->lk[1].pid, HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(S, e[i].mode);
	EXPECT_EQ(self->lk[0].pid, e[2].pid);
	EXPECT_EQ(WAITING, e[2].state);
	expect_held(_metadata, self->fd[0], A);

	/* When the appender leaves, the other one gets in. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	locker_granted(_metadata, &self->lk[0], &r);
}

TEST_F_TIMEOUT(cv, downgrade_append_to_shared, 60)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, A, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, A);
	locker_must_wait(_metadata, &self->lk[1], self->fd[1], self->name, X);

	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c)) {
		TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(0, c.result);
	EXPECT_NE(0, c.generation);
	EXPECT_NE(l.generation, c.generation);

	locker_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(c.generation, r.generation);
	locker_quiet(_metadata, &self->lk[1], QUIET_MS);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(3, q.nr_entries);
	i = find_entry(e, 2, getpid(), HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(S, e[i].mode);
	i = find_entry(e, 2, self->lk[0].pid, HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(A, e[i].mode);
	EXPECT_EQ(self->lk[1].pid, e[2].pid);
	EXPECT_EQ(WAITING, e[2].state);
	expect_held(_metadata, self->fd[0], S);
}

/* Converting to the mode held succeeds at once, whoever waits. */
TEST_F(cv, same_mode)
{
	static const __u32 modes[] = { S, A, X };
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_lock l;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, lock_call(self->fd[0], self->name, modes[i], 0, &l));
		ASSERT_EQ(0, convert_call(self->fd[0], l.handle, modes[i], 0, &c)) {
			TH_LOG("mode %u: errno %d", modes[i], errno);
		}
		EXPECT_EQ(0, c.result);
		EXPECT_NE(0, c.generation);
		ASSERT_EQ(0, convert_call(self->fd[0], l.handle, modes[i], NONBLOCK, &c)) {
			TH_LOG("mode %u, NONBLOCK: errno %d", modes[i], errno);
		}
		ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
		EXPECT_EQ(c.generation, q.generation);
		ASSERT_EQ(1, q.nr_entries);
		EXPECT_EQ(modes[i], e[0].mode);
		EXPECT_EQ(HELD, e[0].state);
		if (modes[i] == S)
			EXPECT_EQ(l.generation, c.generation);
		ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	}

	/* A reader behind which a writer waits stays a reader at once. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c)) {
		TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(l.generation, c.generation);
	locker_quiet(_metadata, &self->lk[0], 0);
}

/* Downgrades from APPEND or EXCLUSIVE change the generation; SHARED->SHARED does not. */
TEST_F(cv, generation)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_lock l;
	__u64 g;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	g = l.generation;
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, A, 0, &c));
	EXPECT_NE(g, c.generation);
	EXPECT_NE(0, c.generation);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(c.generation, q.generation);
	g = c.generation;

	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c));
	EXPECT_NE(g, c.generation);
	EXPECT_NE(0, c.generation);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(c.generation, q.generation);
	g = c.generation;

	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c));
	EXPECT_EQ(g, c.generation);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(g, q.generation);

	/* Up to EXCLUSIVE and straight down to SHARED. */
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, X, 0, &c));
	g = c.generation;
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(g, q.generation);
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c));
	EXPECT_NE(g, c.generation);
	EXPECT_NE(0, c.generation);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(c.generation, q.generation);
}

/* ---- upgrades ---- */

TEST_F(cv, upgrade_uncontended)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_lock l, l1;
	int i;

	/* Alone: at once. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, X, 0, &c)) {
		TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(0, c.result);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(-1, lock_call(self->fd[1], self->name, S, NONBLOCK, &l1));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, A, 0, &l));
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, X, NONBLOCK, &c)) {
		TH_LOG("errno %d", errno);
	}
	expect_held(_metadata, self->fd[0], X);
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));

	/* SHARED to APPEND next to another reader: compatible, so at once. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, A, NONBLOCK, &c)) {
		TH_LOG("errno %d", errno);
	}
	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	ASSERT_EQ(2, q.nr_entries);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(HELD, e[i].state);
	EXPECT_EQ(A + S, e[0].mode + e[1].mode);
	expect_held(_metadata, self->fd[0], A);
}

/*
 * An upgrade queues ahead of waiting requests, so one that is compatible
 * with the holders is granted even while a writer waits.
 */
TEST_F(cv, upgrade_not_blocked_by_waiters)
{
	struct lockdev_convert c;
	struct lockdev_lock l, l1;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[2], self->name, X);
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, A, NONBLOCK, &c)) {
		TH_LOG("errno %d", errno);
	}
	expect_held(_metadata, self->fd[0], A);
	locker_quiet(_metadata, &self->lk[0], 0);
}

TEST_F_TIMEOUT(cv, upgrade_waits, 60)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	locker_must_convert_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);
	locker_quiet(_metadata, &self->lk[0], QUIET_MS);

	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	i = find_entry(e, q.nr_entries, self->lk[0].pid, CONVERTING);
	ASSERT_LE(0, i);
	EXPECT_EQ(X, e[i].mode);
	EXPECT_LE(0, find_entry(e, q.nr_entries, getpid(), HELD));
	/* The upgrading holder is both: a holder in what it holds, then a waiter. */
	ASSERT_EQ(3, q.nr_entries);
	EXPECT_EQ(2, i);
	i = find_entry(e, 2, self->lk[0].pid, HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(S, e[i].mode);
	/* A new reader queues behind the upgrade. */
	EXPECT_EQ(-1, lock_call(self->fd[1], self->name, S, NONBLOCK, &l));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, unlock_name(self->fd[0], self->name));
	locker_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(0, r.result);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(self->lk[0].pid, e[0].pid);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
	locker_call(_metadata, &self->lk[0], OP_LIST, 0, 0, &r);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(X, r.h.mode);
	EXPECT_EQ(HELD, r.h.state);
}

TEST_F(cv, upgrade_nonblock)
{
	struct lockdev_convert c;
	struct lockdev_lock l, l1;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	take_snap(self->fd[2], self->name, &s);

	convert_input(&c, l.handle, NULL, X, NONBLOCK);
	convert_fails(_metadata, self->fd[0], &c, EAGAIN, "to EXCLUSIVE");
	convert_input(&c, 0, self->name, X, NONBLOCK);
	convert_fails(_metadata, self->fd[0], &c, EAGAIN, "to EXCLUSIVE, by name");
	/* Still a reader, nothing queued. */
	expect_snap(_metadata, self->fd[2], self->name, &s);
	expect_held(_metadata, self->fd[0], S);

	ASSERT_EQ(0, unlock_handle(self->fd[1], l1.handle));
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, X, NONBLOCK, &c)) {
		TH_LOG("errno %d", errno);
	}
	expect_held(_metadata, self->fd[0], X);
}

TEST_F(cv, upgrade_deadline)
{
	struct lockdev_convert c;
	struct lockdev_lock l, l1;
	__u64 deadline, t;
	struct snap s;
	int ret, err;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	take_snap(self->fd[2], self->name, &s);

	convert_input(&c, l.handle, NULL, X, DEADLINE);
	deadline = now_ns() + 300 * MS;
	c.deadline_ns = deadline;
	arm_alarm(20);
	ret = ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &c);
	err = errno;
	t = now_ns();
	alarm(0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ETIMEDOUT, err);
	EXPECT_LE(deadline, t);
	EXPECT_GT(deadline + 5000 * MS, t);
	EXPECT_TRUE(poisoned(&c.generation, sizeof(c.generation)));
	EXPECT_TRUE(poisoned(&c.result, sizeof(c.result)));
	expect_snap(_metadata, self->fd[2], self->name, &s);
	expect_held(_metadata, self->fd[0], S);

	/* A deadline in the past fails at once. */
	convert_input(&c, l.handle, NULL, X, DEADLINE);
	c.deadline_ns = now_ns() - 1000 * MS;
	t = now_ns();
	convert_fails(_metadata, self->fd[0], &c, ETIMEDOUT, "past deadline");
	EXPECT_GT(t + 2000 * MS, now_ns());
	expect_snap(_metadata, self->fd[2], self->name, &s);

	/* With nothing to wait for, it does not matter. */
	ASSERT_EQ(0, unlock_handle(self->fd[1], l1.handle));
	convert_input(&c, l.handle, NULL, X, DEADLINE);
	c.deadline_ns = now_ns() - 1000 * MS;
	EXPECT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &c));
	expect_held(_metadata, self->fd[0], X);
}

/*
 * An upgrade with a deadline of 2^63 - 1 or more waits as one without a
 * deadline: granted when the other reader leaves, 300 ms later.
 */
TEST_F(cv, upgrade_deadline_far_future)
{
	static const __u64 far[] = { UINT64_MAX, 1ull << 63, (1ull << 63) - 1 };
	struct locker_cmd c = { .op = OP_CONVERT, .mode = X,
				.flags = DEADLINE };
	struct locker_reply r;
	struct lockdev_lock l;
	__u64 unlocked;
	unsigned int i;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	for (i = 0; i < ARRAY_SIZE(far); i++) {
		ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
		locker_must_lock(_metadata, &self->lk[0], S, &r);
		c.deadline_ns = far[i];
		locker_send(_metadata, &self->lk[0], &c);
		ASSERT_FALSE(locker_answer(&self->lk[0], &r, QUIET_MS)) {
			TH_LOG("deadline %#llx: ret %d errno %d, expected a wait",
			       (unsigned long long)far[i], r.ret, r.err);
		}
		EXPECT_TRUE(wait_entry(self->fd[1], self->name,
				       self->lk[0].pid, CONVERTING));
		unlocked = now_ns();
		ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
		locker_granted(_metadata, &self->lk[0], &r);
		/* Granted by the release, not before. */
		EXPECT_LE(unlocked, r.end_ns);
		locker_call(_metadata, &self->lk[0], OP_LIST, 0, 0, &r);
		ASSERT_EQ(1, r.nr);
		EXPECT_EQ(X, r.h.mode);
		EXPECT_EQ(HELD, r.h.state);
		locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
		EXPECT_EQ(0, r.ret);
	}
}

/*
 * Holders A (a locker) and B (the test) read. A upgrades and waits for B. A
 * new reader C is refused: an incompatible request is queued. D (writer) and
 * E (reader) queue. When B leaves, A is granted EXCLUSIVE before D and E,
 * which then follow in order.
 */
TEST_F_TIMEOUT(cv, upgrade_ahead_of_new_requests, 90)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l, b;
	int i;

	for (i = 0; i < 3; i++)
		locker_start(_metadata, &self->lk[i], -1, self->name, -1, i);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &b));
	locker_must_convert_wait(_metadata, &self->lk[0], self->fd[3], self->name, X);

	lock_input(&l, self->name, S, NONBLOCK);
	poison(e, sizeof(e));
	l.entries = ptr(e);
	l.nr_entries = MAXE;
	EXPECT_EQ(-1, ioctl(self->fd[1], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(0, find_entry(e, l.nr_entries, self->lk[0].pid, CONVERTING)) {
		TH_LOG("the waiting upgrade is not among the %u entries", l.nr_entries);
	}

	locker_must_wait(_metadata, &self->lk[1], self->fd[3], self->name, X);
	locker_must_wait(_metadata, &self->lk[2], self->fd[3], self->name, S);

	ASSERT_EQ(0, unlock_handle(self->fd[0], b.handle));
	locker_granted(_metadata, &self->lk[0], &r);
	locker_quiet(_metadata, &self->lk[1], QUIET_MS);
	locker_quiet(_metadata, &self->lk[2], 0);
	ASSERT_EQ(0, query(self->fd[3], self->name, &q, e, MAXE));
	ASSERT_EQ(3, q.nr_entries);
	EXPECT_EQ(self->lk[0].pid, e[0].pid);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(self->lk[1].pid, e[1].pid);
	EXPECT_EQ(WAITING, e[1].state);
	EXPECT_EQ(self->lk[2].pid, e[2].pid);
	EXPECT_EQ(WAITING, e[2].state);

	locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[1], &r);
	locker_quiet(_metadata, &self->lk[2], QUIET_MS);
	locker_call(_metadata, &self->lk[1], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[2], &r);
}

/*
 * An upgrade goes ahead even of a writer that queued before it (else the
 * two would wait for each other).
 */
TEST_F_TIMEOUT(cv, upgrade_ahead_of_earlier_waiter, 60)
{
	struct locker_reply r;
	struct lockdev_lock b;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &b));
	locker_must_wait(_metadata, &self->lk[1], self->fd[3], self->name, X);
	locker_must_convert_wait(_metadata, &self->lk[0], self->fd[3], self->name, X);
	locker_quiet(_metadata, &self->lk[0], QUIET_MS);

	ASSERT_EQ(0, unlock_handle(self->fd[0], b.handle));
	locker_granted(_metadata, &self->lk[0], &r);
	locker_quiet(_metadata, &self->lk[1], QUIET_MS);
	locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[1], &r);
}

/*
 * A waiting upgrade holds back a reader that queued behind it; when the
 * upgrade times out, the reader is compatible with everything left and must
 * be granted, and the upgrader still reads.
 */
TEST_F_TIMEOUT(cv, expired_upgrade_unblocks_followers, 60)
{
	struct locker_cmd cmd = { .op = OP_CONVERT, .mode = X, .flags = DEADLINE };
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock b;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &b));
	cmd.deadline_ns = now_ns() + 1500 * MS;
	locker_send(_metadata, &self->lk[0], &cmd);
	ASSERT_TRUE(wait_entry(self->fd[1], self->name, self->lk[0].pid, CONVERTING));
	locker_must_wait(_metadata, &self->lk[1], self->fd[1], self->name, S);

	ASSERT_TRUE(locker_answer(&self->lk[0], &r, WAIT_MS));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(ETIMEDOUT, r.err);
	EXPECT_LE(cmd.deadline_ns, r.end_ns);
	locker_granted(_metadata, &self->lk[1], &r);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(3, q.nr_entries);
	EXPECT_GT(0, find_entry(e, q.nr_entries, 0, CONVERTING));
	EXPECT_GT(0, find_entry(e, q.nr_entries, 0, WAITING));
	locker_call(_metadata, &self->lk[0], OP_LIST, 0, 0, &r);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(S, r.h.mode);
	EXPECT_EQ(HELD, r.h.state);
}

/* Two readers both upgrading: exactly one is told EDEADLK. */
TEST_F_TIMEOUT(cv, two_upgraders_deadlock, 60)
{
	struct locker_cmd cmd = { .op = OP_CONVERT, .mode = X };
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	int told, other;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	locker_must_lock(_metadata, &self->lk[1], S, &r);
	locker_must_convert_wait(_metadata, &self->lk[0], self->fd[0], self->name, X);
	locker_send(_metadata, &self->lk[1], &cmd);

	told = first_answer(&self->lk[0], &self->lk[1], WAIT_MS);
	ASSERT_LE(0, told) {
		TH_LOG("neither upgrader was told of the deadlock");
	}
	other = !told;
	ASSERT_TRUE(locker_answer(&self->lk[told], &r, 0));
	EXPECT_EQ(-1, r.ret);
	ASSERT_EQ(EDEADLK, r.err) {
		TH_LOG("locker %d: ret %d errno %d", told, r.ret, r.err);
	}
	TH_LOG("upgrader %d was told EDEADLK", told);
	locker_quiet(_metadata, &self->lk[other], QUIET_MS);

	/* The one told still reads; the other still waits to upgrade. */
	locker_call(_metadata, &self->lk[told], OP_LIST, 0, 0, &r);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(S, r.h.mode);
	EXPECT_EQ(HELD, r.h.state);
	ASSERT_EQ(0, query(self->fd[0], self->name, &q, e, MAXE));
	EXPECT_LE(0, find_entry(e, q.nr_entries, self->lk[told].pid, HELD));
	EXPECT_LE(0, find_entry(e, q.nr_entries, self->lk[other].pid, CONVERTING));
	EXPECT_GT(0, find_entry(e, q.nr_entries, self->lk[told].pid, CONVERTING));

	/* When it gives up its lock, the other is granted. */
	locker_call(_metadata, &self->lk[told], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[other], &r);
	ASSERT_EQ(0, query(self->fd[0], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(self->lk[other].pid, e[0].pid);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
}

/* A thread that upgrades a lock of the session and reports how it ended. */
struct upgrader {
	int fd;
	__u64 handle;
	int ret;
	int err;
	int done[2];
	pthread_t thread;
};

static void *upgrade_thread(void *arg)
{
	struct upgrader *u = arg;
	struct lockdev_convert c;

	convert_input(&c, u->handle, NULL, X, 0);
	u->ret = ioctl(u->fd, LOCKDEV_IOC_CONVERT, &c);
	u->err = u->ret ? errno : 0;
	if (write(u->done[1], "x", 1) != 1)
		u->err = -1;
	return NULL;
}

/* Start the upgrade in a thread, with SIGALRM left to the main thread. */
static void upgrader_start(struct __test_metadata *_metadata, struct upgrader *u,
			   int fd, __u64 handle)
{
	sigset_t set, old;

	u->fd = fd;
	u->handle = handle;
	ASSERT_EQ(0, pipe(u->done));
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &set, &old));
	ASSERT_EQ(0, pthread_create(&u->thread, NULL, upgrade_thread, u));
	ASSERT_EQ(0, pthread_sigmask(SIG_SETMASK, &old, NULL));
}

static bool upgrader_done(struct upgrader *u, int ms)
{
	struct pollfd p = { .fd = u->done[0], .events = POLLIN };
	char b;

	if (poll(&p, 1, ms) != 1 || read(u->done[0], &b, 1) != 1)
		return false;
	pthread_join(u->thread, NULL);
	close(u->done[0]);
	close(u->done[1]);
	return true;
}

/* A second upgrade of the same lock by the same session: EBUSY. */
TEST_F(cv, second_upgrade_ebusy)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_lock l, l1;
	struct upgrader u;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	upgrader_start(_metadata, &u, self->fd[0], l.handle);
	ASSERT_TRUE(wait_entry(self->fd[2], self->name, 0, CONVERTING)) {
		if (upgrader_done(&u, 0))
			TH_LOG("the upgrade did not wait: ret %d errno %d", u.ret, u.err);
	}
	take_snap(self->fd[2], self->name, &s);

	convert_input(&c, l.handle, NULL, X, 0);
	convert_fails(_metadata, self->fd[0], &c, EBUSY, "blocking");
	convert_input(&c, l.handle, NULL, X, NONBLOCK);
	convert_fails(_metadata, self->fd[0], &c, EBUSY, "nonblock");
	convert_input(&c, 0, self->name, X, NONBLOCK);
	convert_fails(_metadata, self->fd[0], &c, EBUSY, "by name");
	expect_snap(_metadata, self->fd[2], self->name, &s);

	/* The first upgrade is still there and completes. */
	ASSERT_EQ(0, unlock_handle(self->fd[1], l1.handle));
	ASSERT_TRUE(upgrader_done(&u, WAIT_MS));
	EXPECT_EQ(0, u.ret) {
		TH_LOG("errno %d", u.err);
	}
	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
}

/* Another thread of the session unlocks while the upgrade waits: ECANCELED. */
TEST_F(cv, unlock_cancels_upgrade)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	struct lockdev_lock l, l1;
	struct upgrader u;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	upgrader_start(_metadata, &u, self->fd[0], l.handle);
	ASSERT_TRUE(wait_entry(self->fd[2], self->name, 0, CONVERTING)) {
		if (upgrader_done(&u, 0))
			TH_LOG("the upgrade did not wait: ret %d errno %d", u.ret, u.err);
	}

	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	ASSERT_TRUE(upgrader_done(&u, WAIT_MS));
	EXPECT_EQ(-1, u.ret);
	EXPECT_EQ(ECANCELED, u.err);
	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(S, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(0, list_count(self->fd[0]));
	EXPECT_EQ(1, list_count(self->fd[1]));
}

/* A signal ends a waiting upgrade, which leaves the old mode held. */
TEST_F(cv, upgrade_interrupted)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock b;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_call(_metadata, &self->lk[0], OP_SIGACT, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &b));
	locker_must_convert_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);

	ASSERT_EQ(0, kill(self->lk[0].pid, SIGUSR1));
	ASSERT_TRUE(locker_answer(&self->lk[0], &r, WAIT_MS));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	EXPECT_EQ(1, r.sigs);
	EXPECT_TRUE(poisoned(&r.generation, sizeof(r.generation)));

	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(2, q.nr_entries);
	EXPECT_GT(0, find_entry(e, q.nr_entries, 0, CONVERTING));
	EXPECT_LE(0, find_entry(e, q.nr_entries, self->lk[0].pid, HELD));
	locker_call(_metadata, &self->lk[0], OP_LIST, 0, 0, &r);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(S, r.h.mode);
	EXPECT_EQ(HELD, r.h.state);

	/* The other reader leaves: nothing upgrades behind the caller's back. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], b.handle));
	sleep_ms(QUIET_MS);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(self->lk[0].pid, e[0].pid);
	EXPECT_EQ(S, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
}

TEST_F(cv, convert_by_name)
{
	struct lockdev_convert c;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	convert_input(&c, 0, self->name, S, 0);
	ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &c));
	EXPECT_NE(l.generation, c.generation);
	expect_held(_metadata, self->fd[0], S);
	convert_input(&c, 0, self->name, X, NONBLOCK);
	ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &c));
	expect_held(_metadata, self->fd[0], X);
}

TEST_F(cv, convert_not_held)
{
	struct lockdev_convert c;
	struct lockdev_lock l, l1;
	struct snap s;

	convert_input(&c, 0, self->name, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "never locked, by name");
	convert_input(&c, 1, NULL, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "never locked, by handle");

	/* Another session's lock. */
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, X, 0, &l1));
	take_snap(self->fd[2], self->name, &s);
	convert_input(&c, 0, self->name, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "other session, by name");
	convert_input(&c, l1.handle, NULL, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "other session, by handle");
	expect_snap(_metadata, self->fd[2], self->name, &s);

	/* Handles the session was never given. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->name2, X, 0, &l));
	convert_input(&c, l.handle + 1, NULL, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "handle + 1");
	convert_input(&c, ~0ull, NULL, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "handle ~0");
	expect_held(_metadata, self->fd[0], X);

	/* Unlocked already. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	convert_input(&c, l.handle, NULL, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "unlocked, by handle");
	convert_input(&c, 0, self->name2, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "unlocked, by name");
	expect_idle_lock(_metadata, self->fd[2], self->name2);
}

/* A request still waiting (in a child sharing the session) is not held. */
TEST_F(cv, convert_waiting_request)
{
	struct lockdev_convert c;
	struct locker_reply r;
	struct lockdev_lock l1;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[1], self->name, X, 0, &l1));
	locker_start(_metadata, &self->lk[0], self->fd[0], self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[2], self->name, S);
	take_snap(self->fd[2], self->name, &s);
	convert_input(&c, 0, self->name, X, NONBLOCK);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "waiting request");
	expect_snap(_metadata, self->fd[2], self->name, &s);
	ASSERT_EQ(0, unlock_handle(self->fd[1], l1.handle));
	locker_granted(_metadata, &self->lk[0], &r);
}

TEST_F(cv, convert_bad_input)
{
	/* 4 is LOCKDEV_MODE_NONE. */
	static const __u32 modes[] = { 0, 5, 0x80000002u, ~0u };
	static const __u32 combos[] = {
		ASYNC, ASYNC | NONBLOCK, ASYNC | DEADLINE, NONBLOCK | DEADLINE,
	};
	char big[LOCKDEV_NAME_MAX + 2];
	struct lockdev_convert c;
	struct lockdev_lock l, l1;
	unsigned int i;
	char what[48];
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	take_snap(self->fd[2], self->name, &s);

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		snprintf(what, sizeof(what), "mode %#x", modes[i]);
		convert_input(&c, l.handle, NULL, modes[i], 0);
		convert_fails(_metadata, self->fd[0], &c, EINVAL, what);
	}
	/* Bad flags on an upgrade (to APPEND) that would otherwise succeed at once. */
	for (i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		snprintf(what, sizeof(what), "flags %#x", combos[i]);
		convert_input(&c, l.handle, NULL, A, combos[i]);
		c.deadline_ns = now_ns() + 100 * MS;
		convert_fails(_metadata, self->fd[0], &c, EINVAL, what);
	}
	for (i = 3; i < 32; i++) {
		/* LOCKDEV_LOCK_VALUE, LOCKDEV_CONVERT_SET_VALUE. */
		if (i == 3 || i == 4)
			continue;
		snprintf(what, sizeof(what), "flag bit %u", i);
		convert_input(&c, l.handle, NULL, A, 1u << i);
		convert_fails(_metadata, self->fd[0], &c, EINVAL, what);
	}
	convert_input(&c, l.handle, self->name, A, 0);
	convert_fails(_metadata, self->fd[0], &c, EINVAL, "handle and name");
	convert_input(&c, 0, NULL, A, 0);
	convert_fails(_metadata, self->fd[0], &c, EINVAL, "neither handle nor name");
	convert_input(&c, 0, NULL, A, 0);
	c.name_len = strlen(self->name);
	convert_fails(_metadata, self->fd[0], &c, EINVAL, "neither, with a length");
	convert_input(&c, 0, self->name, A, 0);
	c.name_len = 0;
	convert_fails(_metadata, self->fd[0], &c, EINVAL, "name_len 0");
	long_name(big, LOCKDEV_NAME_MAX + 1, self->name);
	convert_input(&c, 0, big, A, 0);
	convert_fails(_metadata, self->fd[0], &c, ENAMETOOLONG, "name_len 256");
	convert_input(&c, 0, self->name, A, 0);
	c.name = 8;
	convert_fails(_metadata, self->fd[0], &c, EFAULT, "name 8");
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, NULL));
	EXPECT_EQ(EFAULT, errno);

	expect_snap(_metadata, self->fd[2], self->name, &s);
	expect_held(_metadata, self->fd[0], S);
}

/* An upgrade whose outputs cannot be written is undone. */
TEST_F(cv, convert_read_only_struct)
{
	struct lockdev_convert *c;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	convert_input(c, l.handle, NULL, X, 0);
	ASSERT_EQ(0, mprotect(c, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, c));
	EXPECT_EQ(EFAULT, errno);
	expect_held(_metadata, self->fd[0], S);
	munmap(c, 4096);
}

/*
 * A downgrade cannot be undone once others may have been granted: it
 * stands, and the call says EFAULT (uapi header, top comment).
 */
TEST_F(cv, downgrade_read_only_struct_stands)
{
	struct lockdev_convert *c;
	struct lockdev_lock l, l2;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	convert_input(c, l.handle, NULL, S, 0);
	ASSERT_EQ(0, mprotect(c, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, c));
	EXPECT_EQ(EFAULT, errno);
	expect_held(_metadata, self->fd[0], S);
	EXPECT_EQ(0, lock_call(self->fd[1], self->name, S, LOCKDEV_LOCK_NONBLOCK,
			       &l2));
	munmap(c, 4096);
}

TEST_F(cv, convert_struct_size)
{
	struct lockdev_convert c, before;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	convert_input(&c, l.handle, NULL, S, 0);
	before = c;
	EXPECT_EQ(-1, ioctl(self->fd[0], _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC,
					      _IOC_NR(LOCKDEV_IOC_CONVERT),
					      LOCKDEV_CONVERT_SIZE_VER0 - 8), &c));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, memcmp(&c, &before, sizeof(c)));
	expect_held(_metadata, self->fd[0], X);
}

TEST_HARNESS_MAIN
