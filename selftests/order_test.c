// SPDX-License-Identifier: GPL-2.0
/*
 * Lock order: LOCKDEV_IOC_SET_ORDER and its three modes, and each edge of
 * the rule (uapi "Order"): a request at level L > 0 is in order only if
 * every ranked lock the session holds or awaits has a lower level, or level
 * L and a name that sorts before the new one (bytes unsigned, a prefix
 * first). Strict mode fails a request out of order with EDEADLK and
 * LOCKDEV_RESULT_ORDER; warn mode grants or queues it with
 * LOCKDEV_RESULT_ORDER; off checks nothing. Unranked requests and
 * conversions are never checked. Each violation is counted in
 * /proc/lockdev/stats order_violations and reported by LOCKDEV_IOC_DEADLOCK
 * (one member: the held lock in the way and the lock asked) and in
 * /proc/lockdev/deadlocks.
 *
 * Each test works on its own lock names, made from its name and pid, in the
 * default lockspace of its uid.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
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

#define S LOCKDEV_MODE_SHARED
#define A LOCKDEV_MODE_APPEND
#define X LOCKDEV_MODE_EXCLUSIVE
#define NONBLOCK LOCKDEV_LOCK_NONBLOCK
#define ASYNC LOCKDEV_LOCK_ASYNC
#define STRICT LOCKDEV_ORDER_STRICT
#define WARN LOCKDEV_ORDER_WARN
#define OFF LOCKDEV_ORDER_OFF
#define ORDER LOCKDEV_RESULT_ORDER
#define NAME_LEN 128

/* A LOCK of @len bytes of @name at @level; outputs poisoned first. */
static int lock_lv(int fd, const void *name, size_t len, __u32 mode,
		   __u32 flags, __u32 level, struct lockdev_lock *l)
{
	lock_input(l, "", mode, flags);
	l->name = ptr(name);
	l->name_len = len;
	l->level = level;
	return ioctl(fd, LOCKDEV_IOC_LOCK, l);
}

/* The counters an order violation moves. */
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
			  const struct counts *before, int deadlocks,
			  int cycles, int violations)
{
	struct counts now;

	read_counts(&now);
	ASSERT_LE(0, before->order_violations) {
		TH_LOG("no order_violations in " STATS);
	}
	ASSERT_LE(0, before->cycles) {
		TH_LOG("no cycles in " STATS);
	}
	EXPECT_EQ(before->deadlocks + deadlocks, now.deadlocks);
	EXPECT_EQ(before->cycles + cycles, now.cycles);
	EXPECT_EQ(before->order_violations + violations, now.order_violations);
}

/* The session id of @pid's entry in @state (0: any) on @name, from QUERY. */
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

/*
 * LOCKDEV_IOC_DEADLOCK on @fd must report one order violation: @held (at
 * @held_level in @held_mode) was in the way of @wait (@wait_mode at
 * @wait_level), asked by request @handle (0 if it got none); and
 * /proc/lockdev/deadlocks must show it.
 */
static void expect_order_report(struct __test_metadata *_metadata, int fd,
				 __u64 handle, __u64 session, __u32 flags,
				 const char *held, __u32 held_mode,
				 __u32 held_level, const char *wait,
				 __u32 wait_mode, __u32 wait_level)
{
	struct lockdev_cycle_member m[2];
	struct lockdev_deadlock d;
	char comm[17] = "", space[32];

	prctl(PR_GET_NAME, comm);
	ASSERT_EQ(0, deadlock_call(fd, &d, m, 2));
	EXPECT_EQ(ORDER, d.reason);
	EXPECT_EQ(handle, d.handle);
	EXPECT_EQ(0, d.flags);
	EXPECT_EQ(0, d.pad);
	EXPECT_GT(10000000000ull, d.age_ns) {
		TH_LOG("age_ns %llu", (unsigned long long)d.age_ns);
	}
	ASSERT_EQ(1, d.nr_members);
	EXPECT_EQ(session, m[0].session);
	expect_member(_metadata, &m[0], 0, getpid(), comm, flags, held, held_mode,
		      held_level, wait, wait_mode, wait_level);
	EXPECT_TRUE(poisoned(&m[1], sizeof(m[1])));
	snprintf(space, sizeof(space), "~%u", geteuid());
	expect_proc_report(_metadata, space, "order", m, 1);
}

FIXTURE(ord) {
	int fd[NFD];
	char prefix[96];
	char a[NAME_LEN], b[NAME_LEN], c[NAME_LEN], d[NAME_LEN];
	struct locker lk[MAXLK];
	struct counts before;
};

FIXTURE_SETUP(ord)
{
	int i;

	require_lock_feature(_metadata);
	for (i = 0; i < NFD; i++) {
		self->fd[i] = open_session();
		ASSERT_LE(0, self->fd[i]);
	}
	snprintf(self->prefix, sizeof(self->prefix), "order_test.%s.%d",
		 _metadata->name, getpid());
	snprintf(self->a, NAME_LEN, "%s.a", self->prefix);
	snprintf(self->b, NAME_LEN, "%s.b", self->prefix);
	snprintf(self->c, NAME_LEN, "%s.c", self->prefix);
	snprintf(self->d, NAME_LEN, "%s.d", self->prefix);
	read_counts(&self->before);
}

FIXTURE_TEARDOWN(ord)
{
	int i;

	alarm(0);
	for (i = 0; i < MAXLK; i++)
		locker_kill(&self->lk[i]);
	for (i = 0; i < NFD; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
}

/* ---- LOCKDEV_IOC_SET_ORDER ---- */

TEST(struct_layout)
{
	EXPECT_EQ(LOCKDEV_ORDER_SIZE_VER0, sizeof(struct lockdev_order));
	EXPECT_EQ(LOCKDEV_DEADLOCK_SIZE_VER0, sizeof(struct lockdev_deadlock));
}

/* Strict by default; mode 0 keeps the mode; old_mode is always the mode before. */
TEST_F(ord, set_order_modes)
{
	static const struct { __u32 set, old; } steps[] = {
		{ 0, STRICT }, { 0, STRICT }, { WARN, STRICT }, { 0, WARN },
		{ WARN, WARN }, { OFF, WARN }, { 0, OFF }, { STRICT, OFF },
		{ 0, STRICT }, { OFF, STRICT }, { WARN, OFF }, { STRICT, WARN },
		{ 0, STRICT },
	};
	__u32 old;
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		ASSERT_EQ(0, set_order(self->fd[0], steps[i].set, &old)) {
			TH_LOG("step %zu: set %u: errno %d", i, steps[i].set, errno);
		}
		EXPECT_EQ(steps[i].old, old) {
			TH_LOG("step %zu: set %u: old_mode %u, expected %u", i,
			       steps[i].set, old, steps[i].old);
		}
	}
	/* The mode is the session's: another session is still strict. */
	ASSERT_EQ(0, set_order(self->fd[0], OFF, &old));
	ASSERT_EQ(0, set_order(self->fd[1], 0, &old));
	EXPECT_EQ(STRICT, old);
}

/* A forked child shares the session, and so its order mode. */
TEST_F(ord, set_order_shared_by_fork)
{
	struct kid k;
	__u32 old;

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		_exit(set_order(self->fd[0], WARN, &old) ? 1 :
		      old == STRICT ? 0 : 2);
	}
	EXPECT_EQ(0, kid_reap(&k));
	ASSERT_EQ(0, set_order(self->fd[0], 0, &old));
	EXPECT_EQ(WARN, old);
}

/* Unknown modes, flags and pad: EINVAL, nothing written, nothing changed. */
TEST_F(ord, set_order_bad_input)
{
	static const struct { __u32 mode, flags, pad; } bad[] = {
		{ 4, 0, 0 }, { 0xffffffff, 0, 0 }, { 0x100 | WARN, 0, 0 },
		{ WARN, 1, 0 }, { WARN, 0x80000000, 0 }, { 0, 1, 0 },
		{ WARN, 0, 1 }, { 0, 0, 0x80000000 },
	};
	struct lockdev_order o;
	__u32 old;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		poison(&o, sizeof(o));
		o.mode = bad[i].mode;
		o.flags = bad[i].flags;
		o.pad = bad[i].pad;
		ret = ioctl(self->fd[0], LOCKDEV_IOC_SET_ORDER, &o);
		EXPECT_EQ(-1, ret) {
			TH_LOG("case %zu accepted", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %zu: errno %d", i, errno);
		}
		EXPECT_TRUE(poisoned(&o.old_mode, sizeof(o.old_mode))) {
			TH_LOG("case %zu: old_mode written", i);
		}
	}
	ASSERT_EQ(0, set_order(self->fd[0], 0, &old));
	EXPECT_EQ(STRICT, old);
}

/* The size rules of the calling convention, and a bad pointer. */
TEST_F(ord, set_order_struct_size)
{
	struct { struct lockdev_order o; __u64 extra[2]; } big;
	unsigned long nr_small =
		_IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC, 0x09, 8);
	unsigned long nr_big =
		_IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC, 0x09, sizeof(big));
	unsigned long nr_huge =
		_IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC, 0x09, 4097);
	char huge[4097];
	__u32 old;

	memset(&big, 0, sizeof(big));
	big.o.mode = WARN;
	EXPECT_EQ(-1, ioctl(self->fd[0], nr_small, &big));
	EXPECT_EQ(EINVAL, errno);

	/* Unknown bytes not zero: E2BIG, and the mode stays. */
	big.extra[1] = 1;
	EXPECT_EQ(-1, ioctl(self->fd[0], nr_big, &big));
	EXPECT_EQ(E2BIG, errno);
	memset(huge, 0, sizeof(huge));
	EXPECT_EQ(-1, ioctl(self->fd[0], nr_huge, huge));
	EXPECT_EQ(E2BIG, errno);
	ASSERT_EQ(0, set_order(self->fd[0], 0, &old));
	EXPECT_EQ(STRICT, old);

	/* Zero unknown bytes are accepted. */
	memset(&big, 0, sizeof(big));
	big.o.mode = WARN;
	big.o.old_mode = 77;
	EXPECT_EQ(0, ioctl(self->fd[0], nr_big, &big));
	EXPECT_EQ(STRICT, big.o.old_mode);
	EXPECT_EQ(0, big.extra[0]);
	EXPECT_EQ(0, big.extra[1]);
	ASSERT_EQ(0, set_order(self->fd[0], 0, &old));
	EXPECT_EQ(WARN, old);

	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_SET_ORDER, NULL));
	EXPECT_EQ(EFAULT, errno);
}

/* ---- strict ---- */

/* A lower level than a held lock: EDEADLK with ORDER, nothing taken, reported. */
TEST_F(ord, strict_lower_level)
{
	struct lockdev_lock l, held;
	__u64 session;

	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), X, 0, 2, &held));
	EXPECT_EQ(0, held.result);
	session = session_of(self->fd[0], self->a, getpid(), LOCKDEV_STATE_HELD);
	ASSERT_NE(0, session);

	EXPECT_EQ(-1, lock_lv(self->fd[0], self->b, strlen(self->b), S, 0, 1, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(ORDER, l.result);
	EXPECT_TRUE(poisoned(&l.handle, sizeof(l.handle)));
	EXPECT_TRUE(poisoned(&l.generation, sizeof(l.generation)));
	expect_no_lock(_metadata, self->fd[0], self->b);
	EXPECT_EQ(1, list_count(self->fd[0]));
	expect_counts(_metadata, &self->before, 1, 0, 1);
	expect_order_report(_metadata, self->fd[0], 0, session, 0, self->a, X, 2,
			    self->b, S, 1);

	/* A level above it is in order; the report stays the last EDEADLK. */
	EXPECT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), S, 0, 3, &l));
	EXPECT_EQ(0, l.result);
	expect_order_report(_metadata, self->fd[0], 0, session, 0, self->a, X, 2,
			    self->b, S, 1);
}

/* The same level with a name that sorts before a held one: EDEADLK. */
TEST_F(ord, strict_equal_level_lower_name)
{
	struct lockdev_lock l;
	__u64 session;

	ASSERT_EQ(0, lock_lv(self->fd[0], self->c, strlen(self->c), S, 0, 5, &l));
	session = session_of(self->fd[0], self->c, getpid(), LOCKDEV_STATE_HELD);
	EXPECT_EQ(-1, lock_lv(self->fd[0], self->b, strlen(self->b), A, 0, 5, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(ORDER, l.result);
	expect_no_lock(_metadata, self->fd[0], self->b);
	expect_counts(_metadata, &self->before, 1, 0, 1);
	expect_order_report(_metadata, self->fd[0], 0, session, 0, self->c, S, 5,
			    self->b, A, 5);
}

/* The same level with a name that sorts after every held one: granted. */
TEST_F(ord, strict_equal_level_higher_name)
{
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), X, 0, 5, &l));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), X, 0, 5, &l));
	EXPECT_EQ(0, l.result);
	ASSERT_EQ(0, lock_lv(self->fd[0], self->c, strlen(self->c), S, 0, 5, &l));
	EXPECT_EQ(0, l.result);
	/* Then a higher level, then the same level again after it. */
	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a) - 1, S, 0, 6, &l));
	EXPECT_EQ(0, l.result);
	EXPECT_EQ(4, list_count(self->fd[0]));
	expect_counts(_metadata, &self->before, 0, 0, 0);
}

/* A prefix sorts first: "x" before "xy". */
TEST_F(ord, strict_prefix_first)
{
	struct lockdev_lock l;
	__u64 session;
	char shortn[NAME_LEN];

	/* self->a is self->prefix + ".a": the prefix sorts before it. */
	snprintf(shortn, sizeof(shortn), "%s", self->prefix);
	ASSERT_EQ(0, lock_lv(self->fd[1], shortn, strlen(shortn), S, 0, 3, &l));
	ASSERT_EQ(0, lock_lv(self->fd[1], self->a, strlen(self->a), S, 0, 3, &l));
	EXPECT_EQ(0, l.result);
	close(self->fd[1]);
	self->fd[1] = -1;

	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), S, 0, 3, &l));
	session = session_of(self->fd[0], self->a, getpid(), LOCKDEV_STATE_HELD);
	EXPECT_EQ(-1, lock_lv(self->fd[0], shortn, strlen(shortn), S, 0, 3, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(ORDER, l.result);
	expect_counts(_metadata, &self->before, 1, 0, 1);
	expect_order_report(_metadata, self->fd[0], 0, session, 0, self->a, S, 3,
			    shortn, S, 3);
}

/* Bytes compare as unsigned: 0x7f before 0x80, and a NUL byte before 0x01. */
TEST_F(ord, strict_unsigned_bytes)
{
	char lo[NAME_LEN], hi[NAME_LEN], nul[NAME_LEN], one[NAME_LEN];
	size_t n = strlen(self->prefix);
	struct lockdev_cycle_member m[1];
	struct lockdev_deadlock d;
	struct lockdev_lock l;

	memcpy(lo, self->prefix, n);
	memcpy(hi, self->prefix, n);
	memcpy(nul, self->prefix, n);
	memcpy(one, self->prefix, n);
	lo[n] = 0x7f;
	hi[n] = (char)0x80;
	nul[n] = 0;
	one[n] = 1;
	nul[n + 1] = one[n + 1] = 'z';

	/* In order: granted. */
	ASSERT_EQ(0, lock_lv(self->fd[1], lo, n + 1, X, 0, 4, &l));
	ASSERT_EQ(0, lock_lv(self->fd[1], hi, n + 1, X, 0, 4, &l));
	EXPECT_EQ(0, l.result);
	ASSERT_EQ(0, lock_lv(self->fd[2], nul, n + 2, X, 0, 4, &l));
	ASSERT_EQ(0, lock_lv(self->fd[2], one, n + 2, X, 0, 4, &l));
	EXPECT_EQ(0, l.result);
	close(self->fd[1]);
	close(self->fd[2]);
	self->fd[1] = self->fd[2] = -1;

	/* Out of order: refused, and the report carries the raw bytes. */
	ASSERT_EQ(0, lock_lv(self->fd[0], hi, n + 1, S, 0, 4, &l));
	EXPECT_EQ(-1, lock_lv(self->fd[0], lo, n + 1, S, 0, 4, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(ORDER, l.result);
	ASSERT_EQ(0, deadlock_call(self->fd[0], &d, m, 1));
	ASSERT_EQ(1, d.nr_members);
	EXPECT_EQ(n + 1, m[0].held_name_len);
	EXPECT_EQ(0, memcmp(hi, m[0].held_name, n + 1));
	EXPECT_EQ(0, m[0].held_name[n + 1]);
	EXPECT_EQ(n + 1, m[0].wait_name_len);
	EXPECT_EQ(0, memcmp(lo, m[0].wait_name, n + 1));

	ASSERT_EQ(0, lock_lv(self->fd[3], one, n + 2, S, 0, 4, &l));
	EXPECT_EQ(-1, lock_lv(self->fd[3], nul, n + 2, S, 0, 4, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(ORDER, l.result);
	ASSERT_EQ(0, deadlock_call(self->fd[3], &d, m, 1));
	ASSERT_EQ(1, d.nr_members);
	EXPECT_EQ(n + 2, m[0].wait_name_len);
	EXPECT_EQ(0, memcmp(nul, m[0].wait_name, n + 2));
	expect_counts(_metadata, &self->before, 2, 0, 2);
}

/* Every ranked lock held counts: the one above the new level is named. */
TEST_F(ord, strict_checks_every_held)
{
	struct lockdev_lock l;
	__u64 session;

	ASSERT_EQ(0, lock_lv(self->fd[0], self->d, strlen(self->d), S, 0, 1, &l));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->c, strlen(self->c), S, 0, 2, &l));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), X, 0, 7, &l));
	session = session_of(self->fd[0], self->a, getpid(), LOCKDEV_STATE_HELD);
	EXPECT_EQ(-1, lock_lv(self->fd[0], self->b, strlen(self->b), X, 0, 3, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(ORDER, l.result);
	expect_order_report(_metadata, self->fd[0], 0, session, 0, self->a, X, 7,
			    self->b, X, 3);
	EXPECT_EQ(3, list_count(self->fd[0]));
	expect_counts(_metadata, &self->before, 1, 0, 1);
}

/* A request the session awaits counts as held. */
TEST_F(ord, strict_counts_awaited)
{
	struct lockdev_cycle_member m[1];
	struct lockdev_deadlock d;
	struct lockdev_cancel cn = { 0 };
	struct lockdev_completion comp;
	struct lockdev_lock l;
	__u64 session;

	ASSERT_EQ(0, lock_lv(self->fd[1], self->c, strlen(self->c), X, 0, 0, &l));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->c, strlen(self->c), S, ASYNC, 5, &l));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
	cn.handle = l.handle;
	session = session_of(self->fd[0], self->c, getpid(), LOCKDEV_STATE_WAITING);
	EXPECT_EQ(-1, lock_lv(self->fd[0], self->b, strlen(self->b), S, 0, 4, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(ORDER, l.result);
	/*
	 * What is in the way is a request, not a grant: the report may say
	 * so with LOCKDEV_MEMBER_QUEUED ("held_* is a request queued").
	 */
	ASSERT_EQ(0, deadlock_call(self->fd[0], &d, m, 1));
	ASSERT_EQ(1, d.nr_members);
	EXPECT_EQ(0, m[0].flags & ~LOCKDEV_MEMBER_QUEUED);
	expect_order_report(_metadata, self->fd[0], 0, session, m[0].flags,
			    self->c, S, 5, self->b, S, 4);
	EXPECT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_CANCEL, &cn));
	ASSERT_EQ(sizeof(comp), read(self->fd[0], &comp, sizeof(comp)));
	EXPECT_EQ(-ECANCELED, comp.result);
	/* Nothing held or awaited any more: any level is in order. */
	EXPECT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), S, 0, 4, &l));
	EXPECT_EQ(0, l.result);
	expect_counts(_metadata, &self->before, 1, 0, 1);
}

/* Unranked requests are never checked and never count. */
TEST_F(ord, strict_unranked_never_checked)
{
	struct lockdev_lock l;

	/* An unranked lock held, then ranked ones below its name. */
	ASSERT_EQ(0, lock_lv(self->fd[0], self->d, strlen(self->d), X, 0, 0, &l));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), X, 0, 1, &l));
	EXPECT_EQ(0, l.result);
	ASSERT_EQ(0, lock_lv(self->fd[0], self->c, strlen(self->c), X, 0, 9, &l));
	EXPECT_EQ(0, l.result);
	/* Unranked after ranked, in any name order. */
	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), S, 0, 0, &l));
	EXPECT_EQ(0, l.result);
	/* And a ranked one above them all still passes. */
	ASSERT_EQ(0, lock_lv(self->fd[0], self->prefix, strlen(self->prefix),
			     S, 0, 10, &l));
	EXPECT_EQ(0, l.result);
	EXPECT_EQ(5, list_count(self->fd[0]));
	expect_counts(_metadata, &self->before, 0, 0, 0);
}

/* A released lock no longer counts. */
TEST_F(ord, strict_release_clears)
{
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), X, 0, 2, &l));
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), X, 0, 1, &l));
	EXPECT_EQ(0, l.result);
	expect_counts(_metadata, &self->before, 0, 0, 0);
}

/* The order is checked before anything else: EDEADLK, not EAGAIN. */
TEST_F(ord, strict_before_nonblock)
{
	struct lockdev_lock l;
	struct snap before;

	ASSERT_EQ(0, lock_lv(self->fd[1], self->a, strlen(self->a), X, 0, 0, &l));
	take_snap(self->fd[1], self->a, &before);
	ASSERT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), X, 0, 2, &l));
	EXPECT_EQ(-1, lock_lv(self->fd[0], self->a, strlen(self->a), X,
			      NONBLOCK, 1, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(ORDER, l.result);
	EXPECT_EQ(-1, lock_lv(self->fd[0], self->a, strlen(self->a), X,
			      ASYNC, 1, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(ORDER, l.result);
	expect_snap(_metadata, self->fd[1], self->a, &before);
	expect_counts(_metadata, &self->before, 2, 0, 2);
}

/* A blocking request out of order fails at once instead of waiting. */
TEST_F(ord, strict_refuses_instead_of_waiting)
{
	struct act_reply r;

	actor_start(_metadata, &self->lk[0], -1);
	actor_start(_metadata, &self->lk[1], -1);
	actor_hold(_metadata, &self->lk[1], self->a, X, 0);
	actor_hold(_metadata, &self->lk[0], self->b, S, 2);
	actor_call(_metadata, &self->lk[0], ACT_LOCK, self->a, X, 0, 1, &r);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EDEADLK, r.err);
	EXPECT_EQ(ORDER, r.result);
	ASSERT_EQ(0, r.dl_ret);
	EXPECT_EQ(ORDER, r.dl.reason);
	ASSERT_EQ(1, r.dl.nr_members);
	expect_member(_metadata, &r.m[0], 0, self->lk[0].pid, NULL, 0,
		      self->b, S, 2, self->a, X, 1);
	expect_counts(_metadata, &self->before, 1, 0, 1);
}

/* Conversions are not new acquisitions: never checked. */
TEST_F(ord, strict_conversion_not_checked)
{
	struct lockdev_convert cv;
	struct lockdev_lock la, lb;

	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), S, 0, 1, &la));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), S, 0, 2, &lb));
	poison(&cv, sizeof(cv));
	cv.handle = la.handle;
	cv.name = 0;
	cv.name_len = 0;
	cv.mode = X;
	cv.flags = 0;
	cv.deadline_ns = 0;
	EXPECT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &cv));
	EXPECT_EQ(0, cv.result);
	cv.handle = lb.handle;
	cv.mode = A;
	cv.result = 0;
	EXPECT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &cv));
	EXPECT_EQ(0, cv.result);
	cv.handle = la.handle;
	cv.mode = S;
	EXPECT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &cv));
	EXPECT_EQ(0, cv.result);
	expect_counts(_metadata, &self->before, 0, 0, 0);
}

/*
 * Asking again for a lock the session holds is EALREADY, also when a lock
 * at a higher level is held: not an order violation.
 */
TEST_F(ord, strict_again_is_ealready)
{
	struct lockdev_lock la, lb, l;

	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), S, 0, 1, &la));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), S, 0, 2, &lb));
	EXPECT_EQ(-1, lock_lv(self->fd[0], self->a, strlen(self->a), S, 0, 1,
			      &l));
	EXPECT_EQ(EALREADY, errno);
	EXPECT_EQ(-1, lock_lv(self->fd[0], self->a, strlen(self->a), X, 0, 1,
			      &l));
	EXPECT_EQ(EALREADY, errno);
	expect_counts(_metadata, &self->before, 0, 0, 0);
}

/* The order is each session's own. */
TEST_F(ord, strict_per_session)
{
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), X, 0, 2, &l));
	ASSERT_EQ(0, lock_lv(self->fd[1], self->a, strlen(self->a), X, 0, 1, &l));
	EXPECT_EQ(0, l.result);
	expect_counts(_metadata, &self->before, 0, 0, 0);
}

/* ---- warn ---- */

/* Granted as usual, with ORDER in result, counted and reported. */
TEST_F(ord, warn_granted)
{
	struct lockdev_lock l;
	__u64 session;
	__u32 old;

	ASSERT_EQ(0, set_order(self->fd[0], WARN, &old));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), A, 0, 2, &l));
	EXPECT_EQ(0, l.result);
	session = session_of(self->fd[0], self->b, getpid(), LOCKDEV_STATE_HELD);
	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), X, 0, 1, &l));
	EXPECT_EQ(ORDER, l.result);
	EXPECT_NE(0, l.generation);
	EXPECT_EQ(2, list_count(self->fd[0]));
	expect_counts(_metadata, &self->before, 0, 0, 1);
	expect_order_report(_metadata, self->fd[0], l.handle, session, 0, self->b,
			    A, 2, self->a, X, 1);
	/* Equal level, lower name: the same. */
	ASSERT_EQ(0, lock_lv(self->fd[0], self->prefix, strlen(self->prefix),
			     S, 0, 2, &l));
	EXPECT_EQ(ORDER, l.result);
	expect_counts(_metadata, &self->before, 0, 0, 2);
	/* In order: no ORDER. */
	ASSERT_EQ(0, lock_lv(self->fd[0], self->c, strlen(self->c), S, 0, 3, &l));
	EXPECT_EQ(0, l.result);
	expect_counts(_metadata, &self->before, 0, 0, 2);
}

/* Out of order and not free: queued as usual, with ORDER. */
TEST_F(ord, warn_queued)
{
	struct lockdev_completion comp;
	struct lockdev_lock l;
	struct act_reply r;
	__u32 old;

	ASSERT_EQ(0, lock_lv(self->fd[1], self->a, strlen(self->a), X, 0, 0, &l));
	ASSERT_EQ(0, set_order(self->fd[0], WARN, &old));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), S, 0, 2, &l));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), S,
			     ASYNC, 1, &l));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED | ORDER, l.result);
	expect_counts(_metadata, &self->before, 0, 0, 1);
	ASSERT_EQ(0, unlock_name(self->fd[1], self->a));
	ASSERT_EQ(sizeof(comp), read(self->fd[0], &comp, sizeof(comp)));
	EXPECT_EQ(0, comp.result);
	EXPECT_EQ(l.handle, comp.handle);

	/* A blocking request in warn mode waits, and is granted with ORDER. */
	ASSERT_EQ(0, lock_lv(self->fd[1], self->c, strlen(self->c), X, 0, 0, &l));
	actor_start(_metadata, &self->lk[0], -1);
	actor_call(_metadata, &self->lk[0], ACT_ORDER, NULL, WARN, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(STRICT, r.nr);
	actor_hold(_metadata, &self->lk[0], self->d, S, 9);
	actor_must_wait(_metadata, &self->lk[0], self->fd[1], self->c, S, 8);
	expect_counts(_metadata, &self->before, 0, 0, 2);
	ASSERT_EQ(0, unlock_name(self->fd[1], self->c));
	actor_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(ORDER, r.result);
	ASSERT_EQ(0, r.dl_ret);
	EXPECT_EQ(ORDER, r.dl.reason);
	EXPECT_EQ(r.handle, r.dl.handle);
	ASSERT_EQ(1, r.dl.nr_members);
	expect_member(_metadata, &r.m[0], 0, self->lk[0].pid, NULL, 0,
		      self->d, S, 9, self->c, S, 8);
	expect_counts(_metadata, &self->before, 0, 0, 2);
}

/*
 * A request in warn mode that breaks the order and then would close a
 * cycle gets two reports, the order one and the cycle one: both are kept,
 * and both go. (The cycle report once took the order report's place, which
 * leaked it, and with it the lockspace it holds.)
 */
TEST(warn_report_then_cycle)
{
	char a[NAME_LEN], b[NAME_LEN], space[NAME_LEN];
	struct lockdev_attach at = { 0 };
	long long spaces;
	struct lockdev_lock l;
	int fd0, fd1;
	__u32 old;

	snprintf(a, sizeof(a), "order_test.cycle.%d.a", getpid());
	snprintf(b, sizeof(b), "order_test.cycle.%d.b", getpid());
	snprintf(space, sizeof(space), "order_test.cycle.%d", getpid());
	ASSERT_EQ(0, flush_reports());
	spaces = stat_value("lockspaces");
	fd0 = open_session();
	fd1 = open_session();
	ASSERT_LE(0, fd0);
	ASSERT_LE(0, fd1);
	at.name = ptr(space);
	at.name_len = strlen(space);
	at.mode = 0600;
	ASSERT_EQ(0, ioctl(fd0, LOCKDEV_IOC_ATTACH, &at));
	ASSERT_EQ(0, ioctl(fd1, LOCKDEV_IOC_ATTACH, &at));
	ASSERT_EQ(0, set_order(fd0, WARN, &old));
	ASSERT_EQ(0, lock_lv(fd0, b, strlen(b), S, 0, 2, &l));
	ASSERT_EQ(0, lock_lv(fd1, a, strlen(a), X, 0, 0, &l));
	ASSERT_EQ(0, lock_lv(fd1, b, strlen(b), X, ASYNC, 0, &l));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
	/* Level 1 under level 2: an order report; then the cycle. */
	EXPECT_EQ(-1, lock_lv(fd0, a, strlen(a), X, 0, 1, &l));
	EXPECT_EQ(EDEADLK, errno);
	/* That grants fd1's request: both unlock, nothing is owner-died. */
	EXPECT_EQ(0, unlock_name(fd0, b));
	EXPECT_EQ(0, unlock_name(fd1, b));
	EXPECT_EQ(0, unlock_name(fd1, a));
	close(fd1);
	close(fd0);
	ASSERT_EQ(0, flush_reports());
	EXPECT_EQ(spaces, stat_value("lockspaces"));
}

/* ---- off ---- */

/* Nothing is checked, counted or reported. */
TEST_F(ord, off_nothing)
{
	struct lockdev_cycle_member m[1];
	struct lockdev_deadlock d;
	struct lockdev_lock l;
	__u32 old;

	ASSERT_EQ(0, set_order(self->fd[0], OFF, &old));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->c, strlen(self->c), X, 0, 5, &l));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->b, strlen(self->b), X, 0, 5, &l));
	EXPECT_EQ(0, l.result);
	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), X, 0, 1, &l));
	EXPECT_EQ(0, l.result);
	EXPECT_EQ(3, list_count(self->fd[0]));
	expect_counts(_metadata, &self->before, 0, 0, 0);
	ASSERT_EQ(0, deadlock_call(self->fd[0], &d, m, 1));
	EXPECT_EQ(0, d.reason);
	EXPECT_EQ(0, d.nr_members);
	EXPECT_EQ(0, d.handle);
	EXPECT_TRUE(poisoned(m, sizeof(m)));
}

/* A mode change applies to later requests: what off let in now counts. */
TEST_F(ord, off_then_strict)
{
	struct lockdev_lock l;
	__u64 session;
	__u32 old;

	ASSERT_EQ(0, set_order(self->fd[0], OFF, &old));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->c, strlen(self->c), X, 0, 5, &l));
	ASSERT_EQ(0, lock_lv(self->fd[0], self->a, strlen(self->a), X, 0, 1, &l));
	ASSERT_EQ(0, set_order(self->fd[0], STRICT, &old));
	EXPECT_EQ(OFF, old);
	session = session_of(self->fd[0], self->c, getpid(), LOCKDEV_STATE_HELD);
	EXPECT_EQ(-1, lock_lv(self->fd[0], self->b, strlen(self->b), X, 0, 3, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(ORDER, l.result);
	expect_order_report(_metadata, self->fd[0], 0, session, 0, self->c, X, 5,
			    self->b, X, 3);
	expect_counts(_metadata, &self->before, 1, 0, 1);
}

/* ---- the reports /proc/lockdev/deadlocks keeps ---- */

/* The uids of these tests: UID_KEPT to UID_KEPT + 4. */
#define UID_KEPT	2060

/* The lockspace a session of @uid makes its order reports in. */
static void kept_space(char *space, size_t size, uid_t uid)
{
	snprintf(space, size, "order_test.kept.%u.%d", uid, getpid());
}

/*
 * Make order reports @first to @last in the session @fd, in lockspace
 * @space: each asks for "v<i>" at level 10 while "high" is held at level
 * 20, in strict mode. 0 or -1.
 */
static int order_reports(int fd, const char *space, int first, int last)
{
	char name[NAME_LEN];
	struct lockdev_lock l;
	int i;

	if (attach_space(fd, space, 0, 0600) || set_order(fd, STRICT, NULL) ||
	    lock_lv(fd, "high", 4, S, 0, 20, &l))
		return -1;
	for (i = first; i <= last; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		if (lock_lv(fd, name, strlen(name), S, 0, 10, &l) != -1 ||
		    errno != EDEADLK)
			return -1;
	}
	return 0;
}

/*
 * order_reports() in a new session of a kid of uid @uid, in kept_space() of
 * @uid; the kid's status.
 */
static int kid_order_reports(uid_t uid, int first, int last)
{
	char space[NAME_LEN];
	pid_t pid;
	int fd;

	kept_space(space, sizeof(space), uid);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (become(uid, uid))
			_exit(2);
		fd = open_session();
		_exit(fd < 0 || order_reports(fd, space, first, last) ? 1 : 0);
	}
	return reap(pid, WAIT_MS);
}

/* Is the report "v<i>" of @uid among the @n lines @d, as member 0? */
static bool kept_has(const struct dl_line *d, int n, uid_t uid, int i)
{
	char space[NAME_LEN], name[NAME_LEN];
	int j;

	kept_space(space, sizeof(space), uid);
	snprintf(name, sizeof(name), "v%d", i);
	for (j = 0; j < n; j++) {
		if (!d[j].member && !strcmp(d[j].space, space) &&
		    !strcmp(d[j].wait_name, name))
			return true;
	}
	return false;
}

/* The reports of @uid among the @n lines @d. */
static int kept_of(const struct dl_line *d, int n, uid_t uid)
{
	char space[NAME_LEN];
	int j, mine = 0;

	kept_space(space, sizeof(space), uid);
	for (j = 0; j < n; j++)
		mine += !d[j].member && !strcmp(d[j].space, space);
	return mine;
}

/*
 * One uid's reports push out only its own once it has its share: 20 of
 * them leave another uid's one report kept, and only the uid's newest 4.
 */
TEST(kept_share_per_uid)
{
	struct dl_line *d;
	int n, i;

	ASSERT_EQ(0, flush_reports());
	ASSERT_EQ(0, kid_order_reports(UID_KEPT, 0, 0));
	ASSERT_EQ(0, kid_order_reports(UID_KEPT + 1, 0, 19));
	n = read_deadlocks(&d);
	ASSERT_LE(0, n);
	EXPECT_TRUE(kept_has(d, n, UID_KEPT, 0));
	EXPECT_EQ(LOCKDEV_DEADLOCKS_KEPT_PER_USER, kept_of(d, n, UID_KEPT + 1));
	for (i = 20 - LOCKDEV_DEADLOCKS_KEPT_PER_USER; i < 20; i++)
		EXPECT_TRUE(kept_has(d, n, UID_KEPT + 1, i));
	free(d);
	EXPECT_EQ(0, flush_reports());
}

/*
 * With all LOCKDEV_DEADLOCKS_KEPT kept, four uids' four each, a fifth
 * uid's report pushes out the oldest of all; the rest stay, oldest first.
 */
TEST(kept_full_pushes_oldest)
{
	struct dl_line *d;
	int n, u, i;

	ASSERT_EQ(16, LOCKDEV_DEADLOCKS_KEPT);
	ASSERT_EQ(4, LOCKDEV_DEADLOCKS_KEPT_PER_USER);
	ASSERT_EQ(0, flush_reports());
	for (u = 1; u <= 4; u++)
		ASSERT_EQ(0, kid_order_reports(UID_KEPT + u, 0, 3));
	ASSERT_EQ(0, kid_order_reports(UID_KEPT, 0, 0));
	n = read_deadlocks(&d);
	ASSERT_LE(0, n);
	EXPECT_EQ(LOCKDEV_DEADLOCKS_KEPT, n);
	EXPECT_FALSE(kept_has(d, n, UID_KEPT + 1, 0));
	EXPECT_TRUE(kept_has(d, n, UID_KEPT, 0));
	for (u = 1; u <= 4; u++) {
		for (i = u == 1; i < 4; i++)
			EXPECT_TRUE(kept_has(d, n, UID_KEPT + u, i));
	}
	for (i = 1; i < n; i++)
		EXPECT_LT(d[i - 1].seq, d[i].seq);
	free(d);
	EXPECT_EQ(0, flush_reports());
}

/*
 * With all LOCKDEV_DEADLOCKS_KEPT kept, a report pushes out the oldest of
 * the uid that would keep the most, not an older one of a uid that keeps
 * fewer; and a uid with its share pushes out its own oldest.
 */
TEST(kept_full_pushes_the_most)
{
	struct dl_line *d;
	int n, u;

	ASSERT_EQ(16, LOCKDEV_DEADLOCKS_KEPT);
	ASSERT_EQ(4, LOCKDEV_DEADLOCKS_KEPT_PER_USER);
	ASSERT_EQ(0, flush_reports());
	ASSERT_EQ(0, kid_order_reports(UID_KEPT, 0, 0));
	for (u = 1; u <= 3; u++)
		ASSERT_EQ(0, kid_order_reports(UID_KEPT + u, 0, 3));
	ASSERT_EQ(0, kid_order_reports(UID_KEPT + 4, 0, 2));
	/* Full: the fourth of UID_KEPT + 4 would tie the most, four. */
	ASSERT_EQ(0, kid_order_reports(UID_KEPT + 4, 3, 3));
	n = read_deadlocks(&d);
	ASSERT_LE(0, n);
	EXPECT_EQ(LOCKDEV_DEADLOCKS_KEPT, n);
	EXPECT_TRUE(kept_has(d, n, UID_KEPT, 0));
	EXPECT_FALSE(kept_has(d, n, UID_KEPT + 1, 0));
	EXPECT_TRUE(kept_has(d, n, UID_KEPT + 4, 3));
	free(d);
	/* Its fifth: its own oldest goes. */
	ASSERT_EQ(0, kid_order_reports(UID_KEPT + 4, 4, 4));
	n = read_deadlocks(&d);
	ASSERT_LE(0, n);
	EXPECT_EQ(LOCKDEV_DEADLOCKS_KEPT, n);
	EXPECT_FALSE(kept_has(d, n, UID_KEPT + 4, 0));
	EXPECT_TRUE(kept_has(d, n, UID_KEPT + 4, 4));
	EXPECT_TRUE(kept_has(d, n, UID_KEPT + 2, 0));
	EXPECT_TRUE(kept_has(d, n, UID_KEPT, 0));
	free(d);
	EXPECT_EQ(0, flush_reports());
}

/*
 * With the kept reports emptied, root's one report "v0" in a session of
 * its own, kept_space() of uid 0; /proc/lockdev/deadlocks opened for
 * writing in *@wfd. The session, or -1.
 */
static int root_report(int *wfd)
{
	char space[NAME_LEN];
	int fd;

	*wfd = -1;
	if (flush_reports())
		return -1;
	fd = open_session();
	if (fd < 0)
		return -1;
	kept_space(space, sizeof(space), 0);
	if (order_reports(fd, space, 0, 0)) {
		close(fd);
		return -1;
	}
	*wfd = open(DEADLOCKS, O_WRONLY | O_CLOEXEC);
	return fd;
}

/* Root in an IPC namespace of its own empties nothing. */
TEST(kept_not_cleared_from_ipc_ns)
{
	struct dl_line *d;
	int fd, wfd, own, n;
	pid_t pid;

	fd = root_report(&wfd);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, wfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(2);
		if (write(wfd, "0", 1) != -1 || errno != EPERM)
			_exit(3);
		own = open(DEADLOCKS, O_WRONLY | O_CLOEXEC);
		if (own < 0)
			_exit(4);
		_exit(write(own, "0", 1) == -1 && errno == EPERM ? 0 : 5);
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
	n = read_deadlocks(&d);
	ASSERT_LE(0, n);
	EXPECT_TRUE(kept_has(d, n, 0, 0));
	free(d);
	close(wfd);
	close(fd);
	EXPECT_EQ(0, flush_reports());
}

/*
 * Writing "0" drops the kept reports, not a session's last one; anything
 * else written, and a writer without CAP_SYS_ADMIN, loses nothing.
 */
TEST(kept_cleared_by_root)
{
	static const char *const bad[] = { "1", "0x", "00\n", " 0" };
	struct lockdev_cycle_member m[2];
	struct lockdev_deadlock dd;
	struct dl_line *d;
	int fd, wfd, n;
	size_t i;
	pid_t pid;

	fd = root_report(&wfd);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, wfd);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, write(wfd, bad[i], strlen(bad[i])));
		EXPECT_EQ(EINVAL, errno);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become(UID_KEPT, UID_KEPT))
			_exit(2);
		if (open(DEADLOCKS, O_WRONLY | O_CLOEXEC) != -1 ||
		    errno != EACCES)
			_exit(3);
		_exit(write(wfd, "0", 1) == -1 && errno == EPERM ? 0 : 4);
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
	n = read_deadlocks(&d);
	ASSERT_LE(0, n);
	EXPECT_TRUE(kept_has(d, n, 0, 0));
	free(d);

	EXPECT_EQ(2, write(wfd, "0\n", 2));
	EXPECT_EQ(0, read_deadlocks(&d));
	free(d);
	EXPECT_EQ(0, deadlock_call(fd, &dd, m, 2));
	EXPECT_EQ(1, dd.nr_members);
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, dd.reason);
	EXPECT_EQ(1, write(wfd, "0", 1));
	close(wfd);
	close(fd);
}

TEST_HARNESS_MAIN
