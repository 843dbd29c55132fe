// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlock detection and its reports: a request whose wait would close a
 * cycle of sessions waiting for each other fails with EDEADLK and
 * LOCKDEV_RESULT_CYCLE (an asynchronous one completes so), and
 * LOCKDEV_IOC_DEADLOCK and /proc/lockdev/deadlocks then name the cycle:
 * member 0 the session itself, each member waiting for what the next holds
 * (or has queued ahead, LOCKDEV_MEMBER_QUEUED). Cycles of 2, 3 and 20
 * sessions, through a shared lock with several holders, through a waiter
 * queued ahead, of two upgraders, closed by an upgrade queued ahead of a
 * waiter (through what the upgrade waits for, or through another wait of
 * its session), closed by an asynchronous request; the two-way copy with
 * plain locks; and no false reports for waits that are not cycles (chains,
 * diamonds, long queues, compatible waiters ahead).
 *
 * Other sessions are "actors" (util.h), forked children that run the calls
 * the test sends them. Each wait is seen in QUERY before the next step;
 * the test process itself is the session that closes each cycle, so the
 * member that is told is known.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
#define ASYNC LOCKDEV_LOCK_ASYNC
#define CYCLE LOCKDEV_RESULT_CYCLE
#define QUEUED LOCKDEV_MEMBER_QUEUED
#define MS 1000000ull
#define NAME_LEN 128
/* Actors a test may start: a cycle of 20 needs 19. */
#define NACT 24

struct counts {
	long long deadlocks, cycles, order_violations;
};

static void read_counts(struct counts *c)
{
	c->deadlocks = stat_value("deadlocks");
	c->cycles = stat_value("cycles");
	c->order_violations = stat_value("order_violations");
}

static void expect_counts(struct __test_metadata *_metadata,
			  const struct counts *before, int deadlocks, int cycles)
{
	struct counts now;

	read_counts(&now);
	ASSERT_LE(0, before->cycles) {
		TH_LOG("no cycles in " STATS);
	}
	EXPECT_EQ(before->deadlocks + deadlocks, now.deadlocks);
	EXPECT_EQ(before->cycles + cycles, now.cycles);
	EXPECT_EQ(before->order_violations, now.order_violations);
}

/* The session id QUERY of @name shows for @pid in @state, or 0. */
static __u64 session_of(int fd, const char *name, pid_t pid, __u32 state)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	int i;

	if (query(fd, name, &q, e, MAXE))
		return 0;
	i = find_entry(e, q.nr_entries, pid, state);
	return i < 0 ? 0 : e[i].session;
}

/* The line of task @pid on lock @name in /proc/lockdev/locks must wait for exactly @want. */
static void expect_waits_for(struct __test_metadata *_metadata,
			     const char *name, pid_t pid, const char *state,
			     const pid_t *want, int n)
{
	struct locks_line *l;
	int nr, i, j, k, found = 0;

	nr = read_locks(NULL, NULL, &l);
	ASSERT_LE(0, nr);
	for (i = 0; i < nr; i++) {
		if (strcmp(l[i].name, name) || l[i].pid != pid ||
		    strcmp(l[i].state, state))
			continue;
		found = 1;
		EXPECT_EQ(n, l[i].nr_waits) {
			TH_LOG("%s of %d waits for %d tasks, expected %d",
			       name, pid, l[i].nr_waits, n);
		}
		for (j = 0; j < n; j++) {
			for (k = 0; k < l[i].nr_waits; k++)
				if (l[i].waits[k] == want[j])
					break;
			EXPECT_GT(l[i].nr_waits, k) {
				TH_LOG("%s of %d does not wait for %d", name,
				       pid, want[j]);
			}
		}
	}
	EXPECT_TRUE(found) {
		TH_LOG("no %s line of %d for %s", state, pid, name);
	}
	free(l);
}

/* Read the one completion waiting on @fd. */
static void read_completion(struct __test_metadata *_metadata, int fd,
			    struct lockdev_completion *c)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
	poison(c, sizeof(*c));
	ASSERT_EQ(sizeof(*c), read(fd, c, sizeof(*c)));
}

/* An own LOCK at level 0 that must fail with EDEADLK for a cycle. */
static void lock_must_deadlock(struct __test_metadata *_metadata, int fd,
			       const char *name, __u32 mode)
{
	struct lockdev_lock l;
	int ret, err;

	lock_input(&l, name, mode, 0);
	arm_alarm(20);
	ret = ioctl(fd, LOCKDEV_IOC_LOCK, &l);
	err = errno;
	alarm(0);
	ASSERT_EQ(-1, ret) {
		TH_LOG("the lock that closes the cycle was granted");
	}
	ASSERT_EQ(EDEADLK, err) {
		TH_LOG("errno %d (%s), expected EDEADLK", err, strerror(err));
	}
	EXPECT_EQ(CYCLE, l.result);
	EXPECT_TRUE(poisoned(&l.handle, sizeof(l.handle)));
	EXPECT_TRUE(poisoned(&l.generation, sizeof(l.generation)));
}

/* The session's report: a cycle of @n members read into @m (room for @cap). */
static void read_cycle(struct __test_metadata *_metadata, int fd,
		       struct lockdev_cycle_member *m, __u32 cap, __u32 n,
		       __u64 handle, __u64 alt)
{
	struct lockdev_deadlock d;

	ASSERT_EQ(0, deadlock_call(fd, &d, m, cap));
	EXPECT_EQ(CYCLE, d.reason);
	EXPECT_TRUE(d.handle == handle || d.handle == alt) {
		TH_LOG("handle %llu, expected %llu", (unsigned long long)d.handle,
		       (unsigned long long)handle);
	}
	EXPECT_GT(10000000000ull, d.age_ns);
	ASSERT_EQ(n, d.nr_members);
	expect_cycle_chain(_metadata, m, n < cap ? n : cap);
}

FIXTURE(dl) {
	int fd[NFD];
	char prefix[96];
	char a[NAME_LEN], b[NAME_LEN], c[NAME_LEN];
	char space[32];
	char comm[17];
	struct locker lk[NACT];
	struct counts before;
};

FIXTURE_SETUP(dl)
{
	int i;

	require_lock_feature(_metadata);
	for (i = 0; i < NFD; i++) {
		self->fd[i] = open_session();
		ASSERT_LE(0, self->fd[i]);
	}
	snprintf(self->prefix, sizeof(self->prefix), "deadlock_test.%s.%d",
		 _metadata->name, getpid());
	snprintf(self->a, NAME_LEN, "%s.a", self->prefix);
	snprintf(self->b, NAME_LEN, "%s.b", self->prefix);
	snprintf(self->c, NAME_LEN, "%s.c", self->prefix);
	snprintf(self->space, sizeof(self->space), "~%u", geteuid());
	prctl(PR_GET_NAME, self->comm);
	read_counts(&self->before);
}

FIXTURE_TEARDOWN(dl)
{
	int i;

	alarm(0);
	for (i = 0; i < NACT; i++)
		locker_kill(&self->lk[i]);
	for (i = 0; i < NFD; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
}

TEST(struct_layout)
{
	EXPECT_EQ(LOCKDEV_DEADLOCK_SIZE_VER0, sizeof(struct lockdev_deadlock));
	EXPECT_EQ(56 + 2 * (LOCKDEV_NAME_MAX + 1),
		  sizeof(struct lockdev_cycle_member));
}

/* ---- LOCKDEV_IOC_DEADLOCK itself ---- */

TEST_F(dl, report_none)
{
	struct lockdev_cycle_member m[2];
	struct lockdev_deadlock d;

	ASSERT_EQ(0, deadlock_call(self->fd[0], &d, m, 2));
	EXPECT_EQ(0, d.reason);
	EXPECT_EQ(0, d.nr_members);
	EXPECT_EQ(0, d.handle);
	EXPECT_TRUE(poisoned(m, sizeof(m)));
	ASSERT_EQ(0, deadlock_call(self->fd[0], &d, NULL, 0));
	EXPECT_EQ(0, d.reason);
	EXPECT_EQ(0, d.nr_members);
}

TEST_F(dl, report_bad_input)
{
	unsigned long nr_small = _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC,
				      0x0b, LOCKDEV_DEADLOCK_SIZE_VER0 - 8);
	struct lockdev_cycle_member m[1];
	struct lockdev_deadlock d;
	int i;

	for (i = 0; i < 4; i++) {
		poison(&d, sizeof(d));
		poison(m, sizeof(m));
		d.members = ptr(m);
		d.nr_members = 1;
		d.flags = i == 0 ? 1 : i == 1 ? 0x80000000 : 0;
		d.pad = i >= 2 ? (i == 2 ? 1 : 0x10000) : 0;
		EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_DEADLOCK, &d));
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %d: errno %d", i, errno);
		}
		EXPECT_TRUE(poisoned(&d.reason, sizeof(d.reason)));
		EXPECT_TRUE(poisoned(&d.handle, 16));
		EXPECT_EQ(1, d.nr_members);
		EXPECT_TRUE(poisoned(m, sizeof(m)));
	}
	memset(&d, 0, sizeof(d));
	EXPECT_EQ(-1, ioctl(self->fd[0], nr_small, &d));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_DEADLOCK, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* ---- cycles ---- */

/* The smallest cycle: this session holds a and asks b; the actor the reverse. */
TEST_F(dl, cycle_of_two)
{
	struct lockdev_cycle_member m[3];
	struct lockdev_lock l;
	struct act_reply r;
	pid_t p1, me = getpid();
	__u64 s0, s1;

	ASSERT_EQ(0, lock_call(self->fd[0], self->a, X, 0, &l));
	actor_start(_metadata, &self->lk[0], -1);
	p1 = self->lk[0].pid;
	actor_hold(_metadata, &self->lk[0], self->b, X, 0);
	actor_must_wait(_metadata, &self->lk[0], self->fd[1], self->a, A, 0);
	expect_waits_for(_metadata, self->a, p1, "waiting", &me, 1);
	s0 = session_of(self->fd[1], self->a, me, HELD);
	s1 = session_of(self->fd[1], self->b, p1, HELD);

	lock_must_deadlock(_metadata, self->fd[0], self->b, S);
	expect_counts(_metadata, &self->before, 1, 1);
	EXPECT_EQ(1, list_count(self->fd[0]));

	read_cycle(_metadata, self->fd[0], m, 3, 2, 0, 0);
	EXPECT_EQ(s0, m[0].session);
	EXPECT_EQ(s1, m[1].session);
	expect_member(_metadata, &m[0], 0, me, self->comm, 0,
		      self->a, X, 0, self->b, S, 0);
	expect_member(_metadata, &m[1], 1, p1, self->comm, 0,
		      self->b, X, 0, self->a, A, 0);
	EXPECT_TRUE(poisoned(&m[2], sizeof(m[2])));
	expect_proc_report(_metadata, self->space, "cycle", m, 2);

	/* The actor still waits, and gets a once this session lets go. */
	actor_quiet(_metadata, &self->lk[0], QUIET_MS);
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	actor_granted(_metadata, &self->lk[0], &r);
	expect_counts(_metadata, &self->before, 1, 1);
}

/*
 * A ring of @n sessions: this one holds r0, actor i holds ri and waits for
 * r(i-1); asking r(n-1) closes it. Then checks the report, member by
 * member, and the /proc line of each.
 */
static void ring(struct __test_metadata *_metadata,
		 FIXTURE_DATA(dl) *self, int n)
{
	char (*names)[NAME_LEN] = calloc(n, NAME_LEN);
	struct lockdev_cycle_member *m = calloc(n + 1, sizeof(*m));
	__u64 *sess = calloc(n, sizeof(*sess));
	struct lockdev_lock l;
	struct lockdev_deadlock d;
	struct act_reply r;
	pid_t pids[NACT + 1], prev;
	char comm[17];
	int i, j;

	ASSERT_TRUE(names && m && sess);
	ASSERT_GE(NACT + 1, n);
	for (i = 0; i < n; i++)
		snprintf(names[i], NAME_LEN, "%s.r%02d", self->prefix, i);
	ASSERT_EQ(0, lock_call(self->fd[0], names[0], X, 0, &l));
	pids[0] = getpid();
	sess[0] = session_of(self->fd[1], names[0], pids[0], HELD);
	for (i = 1; i < n; i++) {
		actor_start(_metadata, &self->lk[i - 1], -1);
		pids[i] = self->lk[i - 1].pid;
		actor_hold(_metadata, &self->lk[i - 1], names[i], X, 0);
		sess[i] = session_of(self->fd[1], names[i], pids[i], HELD);
	}
	for (i = 1; i < n; i++) {
		actor_must_wait(_metadata, &self->lk[i - 1], self->fd[1],
				names[i - 1], i % 2 ? X : A, 0);
		prev = pids[i - 1];
		expect_waits_for(_metadata, names[i - 1], pids[i], "waiting",
				 &prev, 1);
	}

	lock_must_deadlock(_metadata, self->fd[0], names[n - 1], X);
	expect_counts(_metadata, &self->before, 1, 1);

	/* Room for one fewer than there are: nr_members says how many. */
	poison(m, (n + 1) * sizeof(*m));
	ASSERT_EQ(0, deadlock_call(self->fd[0], &d, m, n - 1));
	EXPECT_EQ(n, d.nr_members);
	EXPECT_TRUE(poisoned(&m[n - 1], 2 * sizeof(*m)));

	read_cycle(_metadata, self->fd[0], m, n + 1, n, 0, 0);
	EXPECT_TRUE(poisoned(&m[n], sizeof(*m)));
	expect_member(_metadata, &m[0], 0, pids[0], self->comm, 0,
		      names[0], X, 0, names[n - 1], X, 0);
	EXPECT_EQ(sess[0], m[0].session);
	for (j = 1; j < n; j++) {
		i = n - j;
		comm_of(pids[i], comm);
		expect_member(_metadata, &m[j], j, pids[i], comm, 0,
			      names[i], X, 0, names[i - 1], i % 2 ? X : A, 0);
		EXPECT_EQ(sess[i], m[j].session);
	}
	expect_proc_report(_metadata, self->space, "cycle", m, n);

	/* Nobody else was told: every actor still waits. */
	for (i = 1; i < n; i++)
		EXPECT_TRUE(wait_entry(self->fd[1], names[i - 1], pids[i],
				       WAITING));
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	actor_granted(_metadata, &self->lk[0], &r);
	expect_counts(_metadata, &self->before, 1, 1);
	free(names);
	free(m);
	free(sess);
}

TEST_F_TIMEOUT(dl, cycle_of_three, 60)
{
	ring(_metadata, self, 3);
}

TEST_F_TIMEOUT(dl, cycle_of_twenty, 180)
{
	ring(_metadata, self, 20);
}

/*
 * A cycle through a shared lock with several holders: the actor waits for
 * every holder of a in SHARED, this session among them.
 */
TEST_F(dl, cycle_through_shared_holders)
{
	struct lockdev_cycle_member m[2];
	struct lockdev_lock l;
	struct act_reply r;
	pid_t me = getpid(), p1, p2, p3, want[3];

	actor_start(_metadata, &self->lk[0], -1);
	actor_start(_metadata, &self->lk[1], -1);
	actor_start(_metadata, &self->lk[2], -1);
	p1 = self->lk[0].pid;
	p2 = self->lk[1].pid;
	p3 = self->lk[2].pid;
	actor_hold(_metadata, &self->lk[1], self->a, S, 0);
	ASSERT_EQ(0, lock_call(self->fd[0], self->a, S, 0, &l));
	actor_hold(_metadata, &self->lk[2], self->a, S, 0);
	actor_hold(_metadata, &self->lk[0], self->b, A, 0);
	actor_must_wait(_metadata, &self->lk[0], self->fd[1], self->a, X, 0);
	want[0] = p2;
	want[1] = me;
	want[2] = p3;
	expect_waits_for(_metadata, self->a, p1, "waiting", want, 3);

	lock_must_deadlock(_metadata, self->fd[0], self->b, A);
	read_cycle(_metadata, self->fd[0], m, 2, 2, 0, 0);
	expect_member(_metadata, &m[0], 0, me, self->comm, 0,
		      self->a, S, 0, self->b, A, 0);
	expect_member(_metadata, &m[1], 1, p1, self->comm, 0,
		      self->b, A, 0, self->a, X, 0);
	expect_proc_report(_metadata, self->space, "cycle", m, 2);
	expect_counts(_metadata, &self->before, 1, 1);

	/* The other holders going does not grant it; this one going does. */
	actor_release(_metadata, &self->lk[1], self->a);
	actor_release(_metadata, &self->lk[2], self->a);
	actor_quiet(_metadata, &self->lk[0], QUIET_MS);
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	actor_granted(_metadata, &self->lk[0], &r);
}

/*
 * A cycle through a waiter queued ahead: this session's SHARED request for
 * q would queue behind the second actor's EXCLUSIVE one, which waits for
 * the first actor's SHARED hold, and the first actor waits for r, held
 * here.
 */
TEST_F(dl, cycle_through_queued_waiter)
{
	struct lockdev_cycle_member m[3];
	struct lockdev_lock l;
	pid_t me = getpid(), p1, p2;

	ASSERT_EQ(0, lock_call(self->fd[0], self->b, X, 0, &l));
	actor_start(_metadata, &self->lk[0], -1);
	actor_start(_metadata, &self->lk[1], -1);
	p1 = self->lk[0].pid;
	p2 = self->lk[1].pid;
	actor_hold(_metadata, &self->lk[0], self->a, S, 0);
	actor_must_wait(_metadata, &self->lk[1], self->fd[1], self->a, X, 0);
	actor_must_wait(_metadata, &self->lk[0], self->fd[1], self->b, A, 0);
	expect_waits_for(_metadata, self->a, p2, "waiting", &p1, 1);
	expect_waits_for(_metadata, self->b, p1, "waiting", &me, 1);

	lock_must_deadlock(_metadata, self->fd[0], self->a, S);
	read_cycle(_metadata, self->fd[0], m, 3, 3, 0, 0);
	expect_member(_metadata, &m[0], 0, me, self->comm, 0,
		      self->b, X, 0, self->a, S, 0);
	expect_member(_metadata, &m[1], 1, p2, self->comm, QUEUED,
		      self->a, X, 0, self->a, X, 0);
	expect_member(_metadata, &m[2], 2, p1, self->comm, 0,
		      self->a, S, 0, self->b, A, 0);
	expect_proc_report(_metadata, self->space, "cycle", m, 3);
	expect_counts(_metadata, &self->before, 1, 1);
}

/* Two readers upgrading one lock: CONVERT fails with EDEADLK and CYCLE. */
TEST_F(dl, two_upgraders)
{
	struct lockdev_cycle_member m[2];
	struct lockdev_convert cv;
	struct lockdev_lock l;
	struct act_reply r;
	pid_t me = getpid(), p1;
	int ret, err;

	ASSERT_EQ(0, lock_call(self->fd[0], self->a, S, 0, &l));
	actor_start(_metadata, &self->lk[0], -1);
	p1 = self->lk[0].pid;
	actor_hold(_metadata, &self->lk[0], self->a, S, 0);
	actor_send(_metadata, &self->lk[0], ACT_CONVERT, self->a, X, 0, 0);
	ASSERT_TRUE(wait_entry(self->fd[1], self->a, p1, CONVERTING));
	expect_waits_for(_metadata, self->a, p1, "converting", &me, 1);

	poison(&cv, sizeof(cv));
	cv.handle = l.handle;
	cv.name = 0;
	cv.name_len = 0;
	cv.mode = X;
	cv.flags = 0;
	cv.deadline_ns = 0;
	arm_alarm(20);
	ret = ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &cv);
	err = errno;
	alarm(0);
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EDEADLK, err);
	EXPECT_EQ(CYCLE, cv.result);
	EXPECT_TRUE(poisoned(&cv.generation, sizeof(cv.generation)));

	/* The request is the conversion of the lock l.handle names. */
	read_cycle(_metadata, self->fd[0], m, 2, 2, 0, l.handle);
	expect_member(_metadata, &m[0], 0, me, self->comm, 0,
		      self->a, S, 0, self->a, X, 0);
	/* The other holds a in SHARED, and has its upgrade queued ahead. */
	EXPECT_EQ(0, m[1].flags & ~QUEUED);
	expect_member(_metadata, &m[1], 1, p1, self->comm, m[1].flags,
		      self->a, 0, 0, self->a, X, 0);
	EXPECT_EQ(m[1].flags & QUEUED ? X : S, m[1].held_mode);
	expect_proc_report(_metadata, self->space, "cycle", m, 2);
	expect_counts(_metadata, &self->before, 1, 1);

	/* This one still holds a in SHARED; letting go upgrades the other. */
	EXPECT_EQ(1, list_count(self->fd[0]));
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	actor_granted(_metadata, &self->lk[0], &r);
}

/*
 * An upgrade queues ahead of requests already waiting, so those it conflicts
 * with come to wait for it. W's APPEND request on a waits only for Z until
 * this session upgrades a; the upgrade would wait for H, H waits for W on
 * b, and W would then wait for this session: a cycle that exists only once
 * the upgrade is queued, caught before it is.
 */
TEST_F(dl, upgrade_ahead_of_waiter)
{
	struct lockdev_cycle_member m[3];
	struct lockdev_convert cv;
	struct lockdev_lock l;
	struct act_reply r;
	pid_t me = getpid(), ph, pw;
	int ret, err;

	ASSERT_EQ(0, lock_call(self->fd[0], self->a, S, 0, &l));
	actor_start(_metadata, &self->lk[0], -1);
	actor_start(_metadata, &self->lk[1], -1);
	actor_start(_metadata, &self->lk[2], -1);
	ph = self->lk[0].pid;
	pw = self->lk[1].pid;
	actor_hold(_metadata, &self->lk[0], self->a, S, 0);
	actor_hold(_metadata, &self->lk[2], self->a, A, 0);
	actor_hold(_metadata, &self->lk[1], self->b, X, 0);
	actor_must_wait(_metadata, &self->lk[1], self->fd[1], self->a, A, 0);
	actor_must_wait(_metadata, &self->lk[0], self->fd[1], self->b, S, 0);

	poison(&cv, sizeof(cv));
	cv.handle = l.handle;
	cv.name = 0;
	cv.name_len = 0;
	cv.mode = X;
	cv.flags = 0;
	cv.deadline_ns = 0;
	arm_alarm(20);
	ret = ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &cv);
	err = errno;
	alarm(0);
	ASSERT_EQ(-1, ret) {
		TH_LOG("the upgrade that closes the cycle was granted");
	}
	ASSERT_EQ(EDEADLK, err);
	EXPECT_EQ(CYCLE, cv.result);

	read_cycle(_metadata, self->fd[0], m, 3, 3, l.handle, l.handle);
	/* This session: its upgrade of a would be queued ahead of W's. */
	expect_member(_metadata, &m[0], 0, me, self->comm, QUEUED,
		      self->a, X, 0, self->a, X, 0);
	expect_member(_metadata, &m[1], 1, ph, self->comm, 0,
		      self->a, S, 0, self->b, S, 0);
	expect_member(_metadata, &m[2], 2, pw, self->comm, 0,
		      self->b, X, 0, self->a, A, 0);
	expect_counts(_metadata, &self->before, 1, 1);

	/* Nothing was queued: as Z lets go, W gets a, then H gets b. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	actor_release(_metadata, &self->lk[2], self->a);
	actor_granted(_metadata, &self->lk[1], &r);
	actor_release(_metadata, &self->lk[1], self->b);
	actor_granted(_metadata, &self->lk[0], &r);
}

/*
 * The cycle an upgrade closes by queueing ahead may come back to this
 * session through another of its waits, not through what the upgrade
 * waits for. H holds a in APPEND, this session a in SHARED; W holds b and
 * waits for a in APPEND (for H); this session's asynchronous request for b
 * waits for W. Its upgrade of a would wait for H alone, but W's request
 * would then wait behind it: this session waits for W (b), W for it (a).
 */
TEST_F(dl, upgrade_closes_cycle_through_other_wait)
{
	struct lockdev_cycle_member m[2];
	struct lockdev_completion comp;
	struct lockdev_lock l, lb;
	struct lockdev_convert cv;
	struct act_reply r;
	pid_t me = getpid(), pw;
	int ret, err;

	actor_start(_metadata, &self->lk[0], -1);
	actor_start(_metadata, &self->lk[1], -1);
	pw = self->lk[1].pid;
	actor_hold(_metadata, &self->lk[0], self->a, A, 0);
	ASSERT_EQ(0, lock_call(self->fd[0], self->a, S, 0, &l));
	actor_hold(_metadata, &self->lk[1], self->b, X, 0);
	actor_must_wait(_metadata, &self->lk[1], self->fd[1], self->a, A, 0);
	lock_input(&lb, self->b, X, ASYNC);
	ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_LOCK, &lb));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, lb.result);

	poison(&cv, sizeof(cv));
	cv.handle = l.handle;
	cv.name = 0;
	cv.name_len = 0;
	cv.mode = X;
	cv.flags = 0;
	cv.deadline_ns = 0;
	arm_alarm(20);
	ret = ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &cv);
	err = errno;
	alarm(0);
	ASSERT_EQ(-1, ret) {
		TH_LOG("the upgrade that closes the cycle was granted");
	}
	ASSERT_EQ(EDEADLK, err);
	EXPECT_EQ(CYCLE, cv.result);

	read_cycle(_metadata, self->fd[0], m, 2, 2, l.handle, l.handle);
	/* This session waits for b, and its upgrade of a would block W. */
	expect_member(_metadata, &m[0], 0, me, self->comm, QUEUED,
		      self->a, X, 0, self->b, X, 0);
	expect_member(_metadata, &m[1], 1, pw, self->comm, 0,
		      self->b, X, 0, self->a, A, 0);
	expect_counts(_metadata, &self->before, 1, 1);

	/* Nothing was queued: as H lets go, W gets a, then this session b. */
	actor_release(_metadata, &self->lk[0], self->a);
	actor_granted(_metadata, &self->lk[1], &r);
	actor_release(_metadata, &self->lk[1], self->b);
	read_completion(_metadata, self->fd[0], &comp);
	EXPECT_EQ(lb.handle, comp.handle);
	EXPECT_EQ(0, comp.result);
}

/* An asynchronous request that closes a cycle is queued and completes with EDEADLK. */
TEST_F(dl, async_closes_cycle)
{
	struct lockdev_cycle_member m[2];
	struct lockdev_completion comp;
	struct lockdev_lock l, la;
	struct act_reply r;
	pid_t me = getpid(), p1;

	ASSERT_EQ(0, lock_call(self->fd[0], self->a, X, 0, &la));
	actor_start(_metadata, &self->lk[0], -1);
	p1 = self->lk[0].pid;
	actor_hold(_metadata, &self->lk[0], self->b, X, 0);
	actor_must_wait(_metadata, &self->lk[0], self->fd[1], self->a, X, 0);

	lock_input(&l, self->b, S, ASYNC);
	l.user_data = 0x5eed;
	ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
	EXPECT_NE(0, l.handle);
	read_completion(_metadata, self->fd[0], &comp);
	EXPECT_EQ(0x5eed, comp.user_data);
	EXPECT_EQ(l.handle, comp.handle);
	EXPECT_EQ(-EDEADLK, comp.result);
	EXPECT_EQ(CYCLE, comp.flags);
	EXPECT_EQ(1, list_count(self->fd[0]));

	read_cycle(_metadata, self->fd[0], m, 2, 2, l.handle, l.handle);
	expect_member(_metadata, &m[0], 0, me, self->comm, 0,
		      self->a, X, 0, self->b, S, 0);
	expect_member(_metadata, &m[1], 1, p1, self->comm, 0,
		      self->b, X, 0, self->a, X, 0);
	expect_proc_report(_metadata, self->space, "cycle", m, 2);
	expect_counts(_metadata, &self->before, 1, 1);
	ASSERT_EQ(0, unlock_handle(self->fd[0], la.handle));
	actor_granted(_metadata, &self->lk[0], &r);
}

/* An actor's report of the cycle its async request closed, read by the actor. */
TEST_F(dl, async_cycle_in_actor)
{
	struct act_reply r;
	pid_t p1;

	ASSERT_EQ(0, lock_call(self->fd[0], self->a, X, 0, &(struct lockdev_lock){ 0 }));
	actor_start(_metadata, &self->lk[0], -1);
	p1 = self->lk[0].pid;
	actor_hold(_metadata, &self->lk[0], self->b, X, 0);
	actor_call(_metadata, &self->lk[0], ACT_LOCK, self->a, X, ASYNC, 0, &r);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, r.result);
	ASSERT_TRUE(wait_entry(self->fd[1], self->a, p1, WAITING));
	/* Now this session closes the cycle. */
	lock_must_deadlock(_metadata, self->fd[0], self->b, X);
	/* The actor's request is untouched: it still waits. */
	actor_quiet(_metadata, &self->lk[0], 0);
	ASSERT_TRUE(wait_entry(self->fd[1], self->a, p1, WAITING));
	ASSERT_EQ(0, unlock_name(self->fd[0], self->a));
	actor_call(_metadata, &self->lk[0], ACT_READ, NULL, 0, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.comp.result);
	expect_counts(_metadata, &self->before, 1, 1);
}

/* ---- the two-way copy with plain locks ---- */

/*
 * Copy from user a to user b while another copies from b to a, each with
 * plain blocking locks in the order it names them, both holding their
 * first lock before asking the second. Every round deadlocks: exactly one
 * side is told, with CYCLE, lets go of its first lock, and the other gets
 * its second. LOCKDEV_DEADLOCK_ROUNDS rounds (default 20).
 */
TEST_F_TIMEOUT(dl, two_way_copy_plain_locks, 300)
{
	const char *v = getenv("LOCKDEV_DEADLOCK_ROUNDS");
	int rounds = v && atoi(v) > 0 ? atoi(v) : 20;
	struct kid k[2];
	int i, n, c[2], told[2] = { 0, 0 };

	for (i = 0; i < 2; i++) {
		ASSERT_LE(0, kid_fork(&k[i]));
		if (k[i].pid == 0) {
			const char *first = i ? self->b : self->a;
			const char *second = i ? self->a : self->b;
			struct lockdev_lock l1, l2;
			int fd = open_session(), cmd;

			alarm(280);
			if (fd < 0)
				_exit(2);
			while ((cmd = kid_recv(&k[i], 60000)) == 'G') {
				/* G: go, S: second, N: next, Q: quit. */
				if (lock_call(fd, first, X, 0, &l1))
					_exit(3);
				kid_send(&k[i], 'L');
				if (kid_recv(&k[i], 60000) != 'S')
					_exit(4);
				if (!lock_call(fd, second, X, 0, &l2)) {
					kid_send(&k[i], 'W');
					unlock_handle(fd, l2.handle);
					unlock_handle(fd, l1.handle);
				} else if (errno == EDEADLK &&
					   l2.result == CYCLE) {
					unlock_handle(fd, l1.handle);
					kid_send(&k[i], 'D');
				} else {
					kid_send(&k[i], 'E');
				}
				if (kid_recv(&k[i], 60000) != 'N')
					_exit(5);
			}
			_exit(cmd == 'Q' ? 0 : 6);
		}
	}
	for (n = 0; n < rounds; n++) {
		for (i = 0; i < 2; i++)
			ASSERT_EQ(0, kid_send(&k[i], 'G'));
		for (i = 0; i < 2; i++)
			ASSERT_EQ('L', kid_recv(&k[i], WAIT_MS));
		ASSERT_EQ(0, kid_send(&k[0], 'S'));
		/* The second asks only once the first waits: a real cycle. */
		ASSERT_TRUE(wait_entry(self->fd[0], self->b, k[0].pid, WAITING));
		ASSERT_EQ(0, kid_send(&k[1], 'S'));
		for (i = 0; i < 2; i++)
			c[i] = kid_recv(&k[i], WAIT_MS);
		EXPECT_TRUE((c[0] == 'W' && c[1] == 'D') ||
			    (c[0] == 'D' && c[1] == 'W')) {
			TH_LOG("round %d: answers %c %c", n, c[0], c[1]);
		}
		for (i = 0; i < 2; i++) {
			told[i] += c[i] == 'D';
			ASSERT_EQ(0, kid_send(&k[i], 'N'));
		}
	}
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, kid_send(&k[i], 'Q'));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, kid_reap(&k[i]));
	/* The one who closed the cycle is the one told. */
	EXPECT_EQ(0, told[0]);
	EXPECT_EQ(rounds, told[1]);
	expect_counts(_metadata, &self->before, rounds, rounds);
	expect_unheld(_metadata, self->fd[0], self->a);
	expect_unheld(_metadata, self->fd[0], self->b);
}

/*
 * The same copy with no sequencing at all: both sides race. Whenever both
 * end up waiting, exactly one is told; the run ends with everything free.
 */
TEST_F_TIMEOUT(dl, two_way_copy_racing, 300)
{
	const char *v = getenv("LOCKDEV_DEADLOCK_ROUNDS");
	int rounds = 10 * (v && atoi(v) > 0 ? atoi(v) : 20);
	long long deadlocks = stat_value("cycles");
	struct kid k[2];
	int i, st[2];

	for (i = 0; i < 2; i++) {
		ASSERT_LE(0, kid_fork(&k[i]));
		if (k[i].pid == 0) {
			const char *first = i ? self->b : self->a;
			const char *second = i ? self->a : self->b;
			struct lockdev_lock l1, l2;
			int fd = open_session(), n, told = 0;

			alarm(280);
			if (fd < 0)
				_exit(2);
			for (n = 0; n < rounds; n++) {
				if (lock_call(fd, first, X, 0, &l1))
					_exit(3);
				if (!lock_call(fd, second, X, 0, &l2)) {
					unlock_handle(fd, l2.handle);
				} else if (errno != EDEADLK ||
					   l2.result != CYCLE) {
					_exit(4);
				} else {
					told++;
				}
				unlock_handle(fd, l1.handle);
			}
			/* How often this side was told, in the exit status. */
			_exit(10 + (told > 200 ? 200 : told));
		}
	}
	for (i = 0; i < 2; i++) {
		close(k[i].wr);
		st[i] = reap(k[i].pid, 280 * 1000);
		close(k[i].rd);
		EXPECT_LE(10, st[i]) {
			TH_LOG("kid %d ended with %d", i, st[i]);
		}
	}
	TH_LOG("%d rounds each: told %d and %d times", rounds, st[0] - 10,
	       st[1] - 10);
	EXPECT_LE(0, deadlocks);
	if (st[0] - 10 < 200 && st[1] - 10 < 200)
		EXPECT_EQ(deadlocks + st[0] - 10 + st[1] - 10,
			  stat_value("cycles"));
	expect_unheld(_metadata, self->fd[0], self->a);
	expect_unheld(_metadata, self->fd[0], self->b);
}

/* ---- no false reports ---- */

/* A chain of waits that ends at a holder who waits for nothing. */
TEST_F_TIMEOUT(dl, chain_is_no_cycle, 60)
{
	char names[6][NAME_LEN];
	struct lockdev_lock l;
	int i;

	for (i = 0; i < 6; i++)
		snprintf(names[i], NAME_LEN, "%s.%d", self->prefix, i);
	ASSERT_EQ(0, lock_call(self->fd[0], names[0], X, 0, &l));
	for (i = 1; i < 6; i++) {
		actor_start(_metadata, &self->lk[i], -1);
		actor_hold(_metadata, &self->lk[i], names[i], S, 0);
	}
	/* Each waits for the one before it: 5 -> 4 -> ... -> 1 -> this one. */
	for (i = 1; i < 6; i++)
		actor_must_wait(_metadata, &self->lk[i], self->fd[1],
				names[i - 1], i == 1 ? S : X, 0);
	/* And this session takes more locks of its own: still no cycle. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->c, X, NONBLOCK, &l));
	for (i = 1; i < 6; i++)
		actor_quiet(_metadata, &self->lk[i], i == 1 ? QUIET_MS : 0);
	/* A waiter at the end of the chain, on the last one's lock. */
	actor_start(_metadata, &self->lk[0], -1);
	actor_must_wait(_metadata, &self->lk[0], self->fd[1], names[5], X, 0);
	expect_counts(_metadata, &self->before, 0, 0);

	/* Release the head: the first waiter gets it, the rest still wait. */
	ASSERT_EQ(0, unlock_name(self->fd[0], names[0]));
	ASSERT_TRUE(wait_entry(self->fd[1], names[0], self->lk[1].pid, HELD));
	for (i = 2; i < 6; i++)
		actor_quiet(_metadata, &self->lk[i], 0);
	expect_counts(_metadata, &self->before, 0, 0);
}

/*
 * A diamond: the top waits for a lock two sessions hold SHARED, both of
 * which wait for one the bottom holds; the bottom then takes more.
 */
TEST_F_TIMEOUT(dl, diamond_is_no_cycle, 60)
{
	struct locker *top = &self->lk[0], *left = &self->lk[1];
	struct locker *right = &self->lk[2], *bottom = &self->lk[3];
	pid_t want[2];

	actor_start(_metadata, top, -1);
	actor_start(_metadata, left, -1);
	actor_start(_metadata, right, -1);
	actor_start(_metadata, bottom, -1);
	actor_hold(_metadata, top, self->prefix, X, 0);
	actor_hold(_metadata, left, self->a, S, 0);
	actor_hold(_metadata, right, self->a, S, 0);
	actor_hold(_metadata, bottom, self->b, X, 0);
	actor_must_wait(_metadata, left, self->fd[1], self->b, S, 0);
	actor_must_wait(_metadata, right, self->fd[1], self->b, S, 0);
	actor_must_wait(_metadata, top, self->fd[1], self->a, X, 0);
	want[0] = left->pid;
	want[1] = right->pid;
	expect_waits_for(_metadata, self->a, top->pid, "waiting", want, 2);
	/* The bottom takes another lock, and one someone waits behind. */
	actor_hold(_metadata, bottom, self->c, S, 0);
	/* This session waits for the top too: still a diamond, no cycle. */
	actor_start(_metadata, &self->lk[4], -1);
	actor_must_wait(_metadata, &self->lk[4], self->fd[1], self->prefix, S, 0);
	actor_quiet(_metadata, top, QUIET_MS);
	actor_quiet(_metadata, left, 0);
	actor_quiet(_metadata, right, 0);
	expect_counts(_metadata, &self->before, 0, 0);
}

/* A long queue of waiters that each hold locks of their own. */
TEST_F_TIMEOUT(dl, long_queue_is_no_cycle, 60)
{
	static const __u32 modes[] = { S, X, A, S, A, X, S, S };
	char own[8][NAME_LEN];
	struct lockdev_lock l;
	struct act_reply r;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->a, X, 0, &l));
	for (i = 0; i < 8; i++) {
		snprintf(own[i], NAME_LEN, "%s.own%d", self->prefix, i);
		actor_start(_metadata, &self->lk[i], -1);
		actor_hold(_metadata, &self->lk[i], own[i], X, 0);
		actor_must_wait(_metadata, &self->lk[i], self->fd[1], self->a,
				modes[i], 0);
	}
	/* The queue's later waiters wait for earlier ones too, not a cycle. */
	for (i = 0; i < 8; i++)
		actor_quiet(_metadata, &self->lk[i], i ? 0 : QUIET_MS);
	expect_counts(_metadata, &self->before, 0, 0);
	/* Let the queue drain: each releases a once granted. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	for (i = 0; i < 8; i++) {
		actor_granted(_metadata, &self->lk[i], &r);
		actor_release(_metadata, &self->lk[i], self->a);
	}
	expect_idle_lock(_metadata, self->fd[0], self->a);
	expect_counts(_metadata, &self->before, 0, 0);
}

/*
 * A compatible request queued ahead is no edge: the second actor's SHARED
 * request for a and its EXCLUSIVE one for b are both queued; the third,
 * holding b, asks a in SHARED behind them. It waits for the holder of a
 * only, so there is no cycle.
 */
TEST_F(dl, compatible_waiter_ahead_is_no_edge)
{
	struct locker *h = &self->lk[0], *w = &self->lk[1], *t = &self->lk[2];
	struct act_reply r;

	actor_start(_metadata, h, -1);
	actor_start(_metadata, w, -1);
	actor_start(_metadata, t, -1);
	actor_hold(_metadata, h, self->a, X, 0);
	actor_hold(_metadata, t, self->b, X, 0);
	actor_call(_metadata, w, ACT_LOCK, self->a, S, ASYNC, 0, &r);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, r.result);
	actor_call(_metadata, w, ACT_LOCK, self->b, X, ASYNC, 0, &r);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, r.result);
	actor_must_wait(_metadata, t, self->fd[1], self->a, S, 0);
	expect_waits_for(_metadata, self->a, t->pid, "waiting", &h->pid, 1);
	actor_quiet(_metadata, t, QUIET_MS);
	expect_counts(_metadata, &self->before, 0, 0);

	/* The holder goes: both SHARED requests are granted. */
	actor_release(_metadata, h, self->a);
	actor_granted(_metadata, t, &r);
	actor_call(_metadata, w, ACT_READ, NULL, 0, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(0, r.comp.result);
	expect_counts(_metadata, &self->before, 0, 0);
}

/* A wait that ended leaves no edge behind: the next wait is no cycle. */
TEST_F(dl, ended_wait_leaves_no_edge)
{
	struct pollfd p = { .fd = self->fd[0], .events = POLLIN };
	struct lockdev_completion comp;
	struct lockdev_lock l;
	struct act_reply r;
	struct act_cmd c;

	ASSERT_EQ(0, lock_call(self->fd[0], self->a, X, 0, &l));
	actor_start(_metadata, &self->lk[0], -1);
	actor_hold(_metadata, &self->lk[0], self->b, X, 0);
	/* The actor waits for a with a deadline and gives up. */
	memset(&c, 0, sizeof(c));
	c.op = ACT_LOCK;
	c.mode = X;
	c.flags = LOCKDEV_LOCK_DEADLINE;
	c.deadline_ns = now_ns() + 200 * MS;
	strcpy(c.name, self->a);
	ASSERT_EQ(0, write_all(self->lk[0].cmd, &c, sizeof(c)));
	actor_wait(_metadata, &self->lk[0], &r);
	EXPECT_EQ(ETIMEDOUT, r.err);
	/* Waiting for b now closes nothing: queued, no completion yet. */
	lock_input(&l, self->b, X, ASYNC);
	ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
	EXPECT_EQ(0, poll(&p, 1, QUIET_MS));
	actor_release(_metadata, &self->lk[0], self->b);
	read_completion(_metadata, self->fd[0], &comp);
	EXPECT_EQ(0, comp.result);
	EXPECT_EQ(0, comp.flags & CYCLE);
	expect_counts(_metadata, &self->before, 0, 0);
}

TEST_HARNESS_MAIN
