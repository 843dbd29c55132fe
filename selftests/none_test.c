// SPDX-License-Identifier: GPL-2.0
/*
 * LOCKDEV_MODE_NONE, the null mode: granted at once beside every mode,
 * granting nothing, and a handle that CONVERT takes to SHARED, APPEND or
 * EXCLUSIVE and back. A conversion from NONE is a new request: it queues
 * behind every earlier waiter (an ordinary upgrade queues ahead of them),
 * deadlock detection and the order check treat it as a LOCK. A NONE holder
 * that dies leaves no owner-died mark.
 *
 * Other sessions are other processes ("actors", util.h) that run the calls
 * the test sends them; a test sees that one waits by polling QUERY, and
 * every wait is bounded. Each test works on lock names of its own.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
#define N LOCKDEV_MODE_NONE
#define HELD LOCKDEV_STATE_HELD
#define WAITING LOCKDEV_STATE_WAITING
#define CONVERTING LOCKDEV_STATE_CONVERTING
#define NONBLOCK LOCKDEV_LOCK_NONBLOCK
#define VALNV LOCKDEV_RESULT_VALUE_INVALID

FIXTURE(none) {
	int fd;
	int fd2;
	char name[64];
	char name2[64];
	struct locker ac[3];
};

FIXTURE_SETUP(none)
{
	struct lockdev_version v = { 0 };
	int i;

	for (i = 0; i < 3; i++)
		self->ac[i].pid = 0;
	self->fd = open_session();
	self->fd2 = open_session();
	ASSERT_LE(0, self->fd);
	ASSERT_LE(0, self->fd2);
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_VERSION, &v));
	ASSERT_TRUE(v.features & LOCKDEV_FEATURE_RESIDENT);
	snprintf(self->name, sizeof(self->name), "none-%d", getpid());
	snprintf(self->name2, sizeof(self->name2), "none2-%d", getpid());
}

FIXTURE_TEARDOWN(none)
{
	int i;

	for (i = 0; i < 3; i++)
		locker_kill(&self->ac[i]);
	close(self->fd);
	close(self->fd2);
}

/* CONVERT by handle, bounded by an alarm in case it wrongly waits. */
static int convert_h(int fd, __u64 handle, __u32 mode, __u32 flags,
		     struct lockdev_convert *c)
{
	int ret, err;

	poison(c, sizeof(*c));
	c->handle = handle;
	c->name = 0;
	c->name_len = 0;
	c->mode = mode;
	c->flags = flags;
	c->deadline_ns = 0;
	arm_alarm(10);
	ret = ioctl(fd, LOCKDEV_IOC_CONVERT, c);
	err = errno;
	alarm(0);
	errno = err;
	return ret;
}

/* LOCK at @level without waiting. */
static int lock_level(int fd, const char *name, __u32 mode, __u32 level,
		      struct lockdev_lock *l)
{
	lock_input(l, name, mode, NONBLOCK);
	l->level = level;
	return ioctl(fd, LOCKDEV_IOC_LOCK, l);
}

/* The mode in which session @session holds @name (0: not held). */
static __u32 held_mode(int fd, const char *name, __u64 session)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	__u32 i;

	if (query(fd, name, &q, e, MAXE))
		return 0;
	for (i = 0; i < q.nr_entries && i < MAXE; i++)
		if (e[i].session == session && e[i].state == HELD)
			return e[i].mode;
	return 0;
}

/* The session id of this process's one hold of @name. */
static __u64 session_of(int fd, const char *name)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	int i;

	if (query(fd, name, &q, e, MAXE))
		return 0;
	i = find_entry(e, q.nr_entries, getpid(), HELD);
	return i < 0 ? 0 : e[i].session;
}

/* A LOCK in NONE is granted at once, whoever holds or waits. */
TEST_F(none, granted_beside_exclusive)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	struct lockdev_lock l, l2, l3;
	struct act_reply r;
	__u64 g;
	int fd3;

	actor_start(_metadata, &self->ac[0], -1);
	actor_call(_metadata, &self->ac[0], ACT_LOCK, self->name, X, NONBLOCK,
		   0, &r);
	ASSERT_EQ(0, r.ret);
	g = r.generation;

	ASSERT_EQ(0, lock_call(self->fd, self->name, N, NONBLOCK, &l));
	EXPECT_NE(0, l.handle);
	EXPECT_EQ(g, l.generation);
	EXPECT_EQ(0, l.result & ~VALNV);
	/* Without NONBLOCK too: it does not wait. */
	lock_input(&l2, self->name, N, 0);
	arm_alarm(10);
	EXPECT_EQ(0, ioctl(self->fd2, LOCKDEV_IOC_LOCK, &l2));
	alarm(0);
	EXPECT_EQ(g, l2.generation);

	/* An EXCLUSIVE waiting: a NONE request still goes ahead at once. */
	actor_start(_metadata, &self->ac[1], -1);
	actor_must_wait(_metadata, &self->ac[1], self->fd, self->name, X, 0);
	fd3 = open_session();
	ASSERT_LE(0, fd3);
	ASSERT_EQ(0, lock_call(fd3, self->name, N, NONBLOCK, &l3));

	ASSERT_EQ(0, query(self->fd, self->name, &q, e, MAXE));
	EXPECT_EQ(5, q.nr_entries);
	EXPECT_EQ(0, q.lock_flags & LOCKDEV_QUERY_IDLE);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(self->ac[0].pid, e[0].pid);
	EXPECT_EQ(4, count_state(self->fd, self->name, HELD));
	EXPECT_EQ(1, count_state(self->fd, self->name, WAITING));

	/* The session holds it (in NONE): LOCK again is EALREADY. */
	EXPECT_EQ(-1, lock_call(self->fd, self->name, S, NONBLOCK, &l2));
	EXPECT_EQ(EALREADY, errno);

	/* Releasing NONE holds changes no generation. */
	EXPECT_EQ(0, unlock_handle(fd3, l3.handle));
	close(fd3);
	EXPECT_EQ(0, unlock_name(self->fd2, self->name));
	ASSERT_EQ(0, query(self->fd, self->name, &q, e, MAXE));
	EXPECT_EQ(g, q.generation);
	EXPECT_EQ(3, q.nr_entries);
	actor_release(_metadata, &self->ac[0], self->name);
	actor_granted(_metadata, &self->ac[1], &r);
	EXPECT_EQ(0, unlock_handle(self->fd, l.handle));
}

/* CONVERT by handle from NONE to each mode and back; NONE grants nothing. */
TEST_F(none, convert_by_handle)
{
	static const __u32 modes[] = { S, A, X };
	struct lockdev_convert c;
	struct lockdev_lock l, o;
	struct lockdev_held h;
	struct lockdev_list li;
	__u64 g, sess;
	unsigned int i;

	ASSERT_EQ(0, lock_call(self->fd, self->name, N, 0, &l));
	g = l.generation;
	sess = session_of(self->fd, self->name);
	ASSERT_NE(0, sess);
	EXPECT_EQ(N, held_mode(self->fd, self->name, sess));
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		/* NONE grants nothing: another session takes EXCLUSIVE. */
		ASSERT_EQ(0, lock_call(self->fd2, self->name, X, NONBLOCK, &o));
		ASSERT_EQ(0, unlock_handle(self->fd2, o.handle));

		ASSERT_EQ(0, convert_h(self->fd, l.handle, modes[i], 0, &c)) {
			TH_LOG("NONE -> %s: errno %d", mode_name(modes[i]),
			       errno);
		}
		EXPECT_EQ(0, c.result & ~VALNV);
		EXPECT_NE(0, c.generation);
		g = c.generation;
		EXPECT_EQ(modes[i], held_mode(self->fd, self->name, sess));
		ASSERT_EQ(0, list_call(self->fd, &h, 1, &li));
		EXPECT_EQ(1, li.nr_entries);
		EXPECT_EQ(l.handle, h.handle);
		EXPECT_EQ(modes[i], h.mode);
		/* Held now: another session's EXCLUSIVE is refused. */
		EXPECT_EQ(-1, lock_call(self->fd2, self->name, X, NONBLOCK, &o));
		EXPECT_EQ(EAGAIN, errno);

		ASSERT_EQ(0, convert_h(self->fd, l.handle, N, 0, &c)) {
			TH_LOG("%s -> NONE: errno %d", mode_name(modes[i]),
			       errno);
		}
		EXPECT_EQ(N, held_mode(self->fd, self->name, sess));
		/* Down from APPEND or EXCLUSIVE: a new generation. */
		if (modes[i] == S) {
			EXPECT_EQ(g, c.generation);
		} else {
			EXPECT_NE(g, c.generation);
		}
		g = c.generation;
	}
	/* Up from NONE while another session holds SHARED: EAGAIN, still NONE. */
	ASSERT_EQ(0, lock_call(self->fd2, self->name, S, NONBLOCK, &o));
	EXPECT_EQ(-1, convert_h(self->fd, l.handle, X, NONBLOCK, &c));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(N, held_mode(self->fd, self->name, sess));
	EXPECT_EQ(0, convert_h(self->fd, l.handle, S, NONBLOCK, &c));
	/* To the mode held: at once. */
	EXPECT_EQ(0, convert_h(self->fd, l.handle, S, NONBLOCK, &c));
	EXPECT_EQ(S, held_mode(self->fd, self->name, sess));
	EXPECT_EQ(0, unlock_handle(self->fd2, o.handle));
	EXPECT_EQ(0, unlock_handle(self->fd, l.handle));
	EXPECT_EQ(-1, convert_h(self->fd, l.handle, S, 0, &c));
	EXPECT_EQ(ENOLCK, errno);
}

/*
 * A conversion from NONE does not overtake a waiting EXCLUSIVE: with
 * NONBLOCK it is EAGAIN, blocking it queues behind it. An ordinary upgrade
 * still queues ahead of the waiter.
 */
TEST_F(none, queued_behind_waiter)
{
	struct lockdev_convert c;
	struct lockdev_lock l;
	struct act_reply r;
	struct locker *a = &self->ac[0], *b = &self->ac[1], *w = &self->ac[2];

	actor_start(_metadata, a, -1);
	actor_start(_metadata, b, -1);
	actor_start(_metadata, w, -1);
	actor_hold(_metadata, a, self->name, S, 0);
	actor_must_wait(_metadata, b, self->fd, self->name, X, 0);

	/* SHARED beside the holder, but the waiting EXCLUSIVE is first. */
	ASSERT_EQ(0, lock_call(self->fd, self->name, N, NONBLOCK, &l));
	EXPECT_EQ(-1, convert_h(self->fd, l.handle, S, NONBLOCK, &c));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, count_state(self->fd, self->name, CONVERTING));

	/* Blocking, from another process: it queues behind the waiter. */
	actor_call(_metadata, w, ACT_LOCK, self->name, N, NONBLOCK, 0, &r);
	ASSERT_EQ(0, r.ret);
	actor_send(_metadata, w, ACT_CONVERT, self->name, S, 0, 0);
	ASSERT_TRUE(wait_queued(self->fd, self->name, w->pid));
	actor_quiet(_metadata, w, QUIET_MS);

	/* The holder goes: the EXCLUSIVE waiter is granted, not the reader. */
	actor_release(_metadata, a, self->name);
	actor_granted(_metadata, b, &r);
	actor_quiet(_metadata, w, QUIET_MS);
	actor_release(_metadata, b, self->name);
	actor_granted(_metadata, w, &r);
	EXPECT_EQ(0, r.result & ~VALNV);
	actor_release(_metadata, w, self->name);
	EXPECT_EQ(0, unlock_handle(self->fd, l.handle));
}

/* An ordinary upgrade (SHARED -> EXCLUSIVE) queues ahead of a waiter. */
TEST_F(none, upgrade_queued_ahead)
{
	struct locker *a = &self->ac[0], *b = &self->ac[1], *w = &self->ac[2];
	struct act_reply r;

	actor_start(_metadata, a, -1);
	actor_start(_metadata, b, -1);
	actor_start(_metadata, w, -1);
	actor_hold(_metadata, a, self->name, S, 0);
	actor_hold(_metadata, w, self->name, S, 0);
	actor_must_wait(_metadata, b, self->fd, self->name, X, 0);
	actor_send(_metadata, w, ACT_CONVERT, self->name, X, 0, 0);
	ASSERT_TRUE(wait_entry(self->fd, self->name, w->pid, CONVERTING));
	actor_release(_metadata, a, self->name);
	actor_granted(_metadata, w, &r);
	actor_quiet(_metadata, b, QUIET_MS);
	actor_release(_metadata, w, self->name);
	actor_granted(_metadata, b, &r);
	actor_release(_metadata, b, self->name);
}

/*
 * Two sessions each hold one lock in EXCLUSIVE and the other's in NONE;
 * each converts its NONE handle to EXCLUSIVE: a cycle, and one of them is
 * told with EDEADLK and LOCKDEV_RESULT_CYCLE.
 */
TEST_F(none, cycle_detected)
{
	struct locker *p1 = &self->ac[0], *p2 = &self->ac[1], *told, *other;
	struct act_reply r1, r2, *r;
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	const char *told_name;
	int i;

	actor_start(_metadata, p1, -1);
	actor_start(_metadata, p2, -1);
	actor_hold(_metadata, p1, self->name, X, 0);
	actor_hold(_metadata, p2, self->name2, X, 0);
	actor_hold(_metadata, p1, self->name2, N, 0);
	actor_hold(_metadata, p2, self->name, N, 0);

	actor_send(_metadata, p1, ACT_CONVERT, self->name2, X, 0, 0);
	ASSERT_TRUE(wait_queued(self->fd, self->name2, p1->pid));
	actor_send(_metadata, p2, ACT_CONVERT, self->name, X, 0, 0);
	if (actor_answer(p2, &r2, WAIT_MS)) {
		told = p2, other = p1, r = &r2, told_name = self->name;
	} else {
		ASSERT_TRUE(actor_answer(p1, &r1, WAIT_MS)) {
			TH_LOG("neither NONE -> EXCLUSIVE conversion was told of the cycle");
		}
		told = p1, other = p2, r = &r1, told_name = self->name2;
	}
	EXPECT_EQ(-1, r->ret);
	EXPECT_EQ(EDEADLK, r->err);
	EXPECT_EQ(LOCKDEV_RESULT_CYCLE, r->result & LOCKDEV_RESULT_CYCLE);
	EXPECT_EQ(0, r->dl_ret);
	EXPECT_EQ(LOCKDEV_RESULT_CYCLE, r->dl.reason);
	EXPECT_EQ(2, r->dl.nr_members);
	/* The failed conversion left its NONE hold as it was. */
	ASSERT_EQ(0, query(self->fd, told_name, &q, e, MAXE));
	i = find_entry(e, q.nr_entries, told->pid, HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(N, e[i].mode);
	actor_quiet(_metadata, other, QUIET_MS);
	/* The told one gives up its EXCLUSIVE lock: the other is granted. */
	actor_release(_metadata, told, told == p1 ? self->name : self->name2);
	actor_granted(_metadata, other, r == &r1 ? &r2 : &r1);
	actor_release(_metadata, told, told_name);
}

/*
 * The order check applies to a conversion from NONE, at the level of its
 * LOCK, and not to downgrades or ordinary upgrades.
 */
TEST_F(none, order_checked)
{
	struct lockdev_cycle_member m[2];
	struct lockdev_deadlock d;
	struct lockdev_convert c;
	struct lockdev_lock la, ld, lb;
	__u64 sess;

	ASSERT_EQ(0, lock_level(self->fd, "none-order-a", N, 10, &la));
	ASSERT_EQ(0, lock_level(self->fd, "none-order-d", X, 10, &ld));
	ASSERT_EQ(0, lock_level(self->fd, "none-order-z", X, 20, &lb));
	sess = session_of(self->fd, "none-order-a");

	/* Down and up again, not from NONE: never checked. */
	EXPECT_EQ(0, convert_h(self->fd, ld.handle, S, 0, &c));
	EXPECT_EQ(0, c.result & LOCKDEV_RESULT_ORDER);
	EXPECT_EQ(0, convert_h(self->fd, ld.handle, X, 0, &c));
	EXPECT_EQ(0, c.result & LOCKDEV_RESULT_ORDER);
	EXPECT_EQ(0, convert_h(self->fd, ld.handle, N, 0, &c));
	EXPECT_EQ(0, c.result & LOCKDEV_RESULT_ORDER);

	/* From NONE at level 10 while holding level 20: strict says no. */
	EXPECT_EQ(-1, convert_h(self->fd, la.handle, X, 0, &c));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, c.result & (LOCKDEV_RESULT_ORDER |
						    LOCKDEV_RESULT_CYCLE));
	EXPECT_EQ(N, held_mode(self->fd, "none-order-a", sess));
	ASSERT_EQ(0, deadlock_call(self->fd, &d, m, 2));
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, d.reason);
	EXPECT_EQ(1, d.nr_members);
	EXPECT_EQ(0, memcmp(m[0].wait_name, "none-order-a", 13));
	/* In its way: z (level 20); d, in NONE now, is in nobody's way. */
	EXPECT_EQ(0, memcmp(m[0].held_name, "none-order-z", 13));
	EXPECT_EQ(-1, convert_h(self->fd, ld.handle, S, 0, &c));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, c.result & LOCKDEV_RESULT_ORDER);

	/* Warn mode: granted, and the result says so. */
	ASSERT_EQ(0, set_order(self->fd, LOCKDEV_ORDER_WARN, NULL));
	EXPECT_EQ(0, convert_h(self->fd, la.handle, S, 0, &c));
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, c.result & LOCKDEV_RESULT_ORDER);
	EXPECT_EQ(S, held_mode(self->fd, "none-order-a", sess));
	/* Off: nothing said. */
	ASSERT_EQ(0, set_order(self->fd, LOCKDEV_ORDER_OFF, NULL));
	EXPECT_EQ(0, convert_h(self->fd, ld.handle, S, 0, &c));
	EXPECT_EQ(0, c.result & LOCKDEV_RESULT_ORDER);
	EXPECT_EQ(0, unlock_handle(self->fd, la.handle));
	EXPECT_EQ(0, unlock_handle(self->fd, ld.handle));
	EXPECT_EQ(0, unlock_handle(self->fd, lb.handle));
}

/*
 * A hold in NONE grants nothing and is never in the way of the order: a
 * lock at a lower level is granted while it stands, and the conversion
 * from it, checked as a new request, is then in order.
 */
TEST_F(none, order_ignores_none_holds)
{
	long long violations = stat_value("order_violations");
	struct lockdev_convert c;
	struct lockdev_lock lz, la;

	ASSERT_LE(0, violations);
	ASSERT_EQ(0, lock_level(self->fd, "none-ign-z", N, 20, &lz));
	EXPECT_EQ(0, lock_level(self->fd, "none-ign-a", X, 10, &la));
	EXPECT_EQ(0, la.result & LOCKDEV_RESULT_ORDER);
	EXPECT_EQ(0, convert_h(self->fd, lz.handle, X, 0, &c));
	EXPECT_EQ(0, c.result & LOCKDEV_RESULT_ORDER);
	/* Back to NONE: a later lower lock passes again. */
	EXPECT_EQ(0, convert_h(self->fd, lz.handle, N, 0, &c));
	EXPECT_EQ(0, unlock_handle(self->fd, la.handle));
	EXPECT_EQ(0, lock_level(self->fd, "none-ign-a", S, 10, &la));
	EXPECT_EQ(0, la.result & LOCKDEV_RESULT_ORDER);
	EXPECT_EQ(violations, stat_value("order_violations"));
	EXPECT_EQ(0, unlock_handle(self->fd, la.handle));
	EXPECT_EQ(0, unlock_handle(self->fd, lz.handle));
}

/* A blocking conversion, for a thread of the test's own. */
struct converter {
	int fd;
	__u64 handle;
	__u32 mode;
	int ret;
	int err;
};

static void *convert_thread(void *arg)
{
	struct converter *cv = arg;
	struct lockdev_convert c = {
		.handle = cv->handle, .mode = cv->mode,
	};

	cv->ret = ioctl(cv->fd, LOCKDEV_IOC_CONVERT, &c);
	cv->err = errno;
	return NULL;
}

/*
 * A conversion from NONE that waits asks for its lock as a new request
 * does: while it waits, another thread of the same session may not take
 * a lock of a lower level in strict mode.
 */
TEST_F(none, order_counts_waiting_conversion)
{
	struct converter cv = { .fd = self->fd, .mode = X };
	struct lockdev_cycle_member m[2];
	struct lockdev_deadlock d;
	struct lockdev_lock lz, lx, la;
	pthread_t t;

	ASSERT_EQ(0, lock_level(self->fd, "none-wc-z", N, 20, &lz));
	ASSERT_EQ(0, lock_level(self->fd2, "none-wc-z", X, 20, &lx));
	cv.handle = lz.handle;
	ASSERT_EQ(0, pthread_create(&t, NULL, convert_thread, &cv));
	ASSERT_TRUE(wait_queued(self->fd, "none-wc-z", getpid()));

	EXPECT_EQ(-1, lock_level(self->fd, "none-wc-a", X, 10, &la));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, la.result & (LOCKDEV_RESULT_ORDER |
						     LOCKDEV_RESULT_CYCLE));
	ASSERT_EQ(0, deadlock_call(self->fd, &d, m, 2));
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, d.reason);
	EXPECT_EQ(1, d.nr_members);
	EXPECT_EQ(0, memcmp(m[0].held_name, "none-wc-z", 10));
	EXPECT_EQ(LOCKDEV_MEMBER_QUEUED, m[0].flags & LOCKDEV_MEMBER_QUEUED);

	EXPECT_EQ(0, unlock_handle(self->fd2, lx.handle));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, cv.ret) {
		TH_LOG("conversion: %s", strerror(cv.err));
	}
	EXPECT_EQ(0, unlock_handle(self->fd, lz.handle));
}

/*
 * A conversion from NONE is checked against the order only once it is
 * valid: SET_VALUE on it fails with EPERM, not as an order violation.
 */
TEST_F(none, invalid_conversion_not_checked)
{
	long long violations = stat_value("order_violations");
	struct lockdev_lock lh, ll;
	struct lockdev_convert c;

	ASSERT_LE(0, violations);
	ASSERT_EQ(0, lock_level(self->fd, "none-inv-h", X, 20, &lh));
	ASSERT_EQ(0, lock_level(self->fd, "none-inv-l", N, 10, &ll));
	EXPECT_EQ(-1, convert_h(self->fd, ll.handle, X,
				LOCKDEV_CONVERT_SET_VALUE, &c));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(violations, stat_value("order_violations"));
	/* Without SET_VALUE it is checked, and strict mode refuses it. */
	EXPECT_EQ(-1, convert_h(self->fd, ll.handle, X, 0, &c));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, c.result & (LOCKDEV_RESULT_ORDER |
						    LOCKDEV_RESULT_CYCLE));
	EXPECT_EQ(violations + 1, stat_value("order_violations"));
	EXPECT_EQ(0, unlock_handle(self->fd, ll.handle));
	EXPECT_EQ(0, unlock_handle(self->fd, lh.handle));
}

/*
 * While a conversion of a lock from NONE waits, another conversion of it
 * by another thread fails with EBUSY, and is not checked against the
 * order as a conversion from NONE.
 */
TEST_F(none, busy_conversion_not_checked)
{
	long long violations = stat_value("order_violations");
	struct converter cv = { .fd = self->fd, .mode = X };
	struct lockdev_lock ll, lx, lh;
	struct lockdev_convert c;
	pthread_t t;

	ASSERT_LE(0, violations);
	ASSERT_EQ(0, lock_level(self->fd, "none-bc-l", N, 10, &ll));
	ASSERT_EQ(0, lock_level(self->fd2, "none-bc-l", X, 10, &lx));
	cv.handle = ll.handle;
	ASSERT_EQ(0, pthread_create(&t, NULL, convert_thread, &cv));
	ASSERT_TRUE(wait_queued(self->fd, "none-bc-l", getpid()));
	/* Above the waiting conversion's level: allowed. */
	ASSERT_EQ(0, lock_level(self->fd, "none-bc-h", X, 20, &lh));

	EXPECT_EQ(-1, convert_h(self->fd, ll.handle, S, 0, &c));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(violations, stat_value("order_violations"));

	EXPECT_EQ(0, unlock_handle(self->fd2, lx.handle));
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, cv.ret) {
		TH_LOG("conversion: %s", strerror(cv.err));
	}
	EXPECT_EQ(0, unlock_handle(self->fd, lh.handle));
	EXPECT_EQ(0, unlock_handle(self->fd, ll.handle));
}

/* A holder that dies in NONE leaves no owner-died mark; in EXCLUSIVE it does. */
TEST_F(none, dead_none_holder)
{
	long long deaths = stat_value("owner_deaths");
	struct lockdev_entry e[2];
	struct lockdev_query q;
	struct act_reply r;

	/* This session keeps the default lockspace (and its idle locks). */
	ASSERT_EQ(0, query(self->fd, self->name, &q, e, 2));
	actor_start(_metadata, &self->ac[0], -1);
	actor_hold(_metadata, &self->ac[0], self->name, N, 0);
	/* Up to EXCLUSIVE and back to NONE before dying: no mark either. */
	actor_hold(_metadata, &self->ac[0], self->name2, N, 0);
	actor_call(_metadata, &self->ac[0], ACT_CONVERT, self->name2, X, 0, 0,
		   &r);
	ASSERT_EQ(0, r.ret);
	actor_call(_metadata, &self->ac[0], ACT_CONVERT, self->name2, N, 0, 0,
		   &r);
	ASSERT_EQ(0, r.ret);
	locker_kill(&self->ac[0]);
	ASSERT_TRUE(wait_no_entry(self->fd, self->name, 0));
	ASSERT_EQ(0, query(self->fd, self->name, &q, e, 2));
	EXPECT_EQ(LOCKDEV_QUERY_IDLE, q.lock_flags & (LOCKDEV_QUERY_IDLE |
						      LOCKDEV_QUERY_OWNER_DIED));
	EXPECT_NE(0, q.generation);
	ASSERT_EQ(0, query(self->fd, self->name2, &q, e, 2));
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(LOCKDEV_QUERY_IDLE, q.lock_flags & (LOCKDEV_QUERY_IDLE |
						      LOCKDEV_QUERY_OWNER_DIED));
	EXPECT_EQ(deaths, stat_value("owner_deaths"));

	/* The contrast: killed while converted to EXCLUSIVE, it is marked. */
	actor_start(_metadata, &self->ac[1], -1);
	actor_hold(_metadata, &self->ac[1], self->name, N, 0);
	actor_call(_metadata, &self->ac[1], ACT_CONVERT, self->name, X, 0, 0,
		   &r);
	ASSERT_EQ(0, r.ret);
	locker_kill(&self->ac[1]);
	ASSERT_TRUE(wait_no_entry(self->fd, self->name, 0));
	ASSERT_EQ(0, query(self->fd, self->name, &q, e, 2));
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED,
		  q.lock_flags & LOCKDEV_QUERY_OWNER_DIED);
	EXPECT_EQ(deaths + 1, stat_value("owner_deaths"));
}

/* Modes 0 and 5 (and above) are still EINVAL, for LOCK, CONVERT and sets. */
TEST_F(none, bad_modes)
{
	static const __u32 bad[] = { 0, 5, 6, 0xffffffffu };
	struct lockdev_set_item it;
	struct lockdev_lock_set s;
	struct lockdev_convert c;
	struct lockdev_lock l, o;
	unsigned int i;
	__u64 sess;

	ASSERT_EQ(0, lock_call(self->fd, self->name, N, 0, &l));
	sess = session_of(self->fd, self->name);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, lock_call(self->fd2, self->name, bad[i], 0, &o))
			TH_LOG("LOCK mode %u", bad[i]);
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, convert_h(self->fd, l.handle, bad[i], 0, &c))
			TH_LOG("CONVERT mode %u", bad[i]);
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(N, held_mode(self->fd, self->name, sess));
		set_item(&it, self->name2, bad[i], 0);
		EXPECT_EQ(-1, set_call(self->fd2, &it, 1, 0, 0, &s))
			TH_LOG("LOCK_SET mode %u", bad[i]);
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(0, list_count(self->fd2));
	EXPECT_EQ(1, list_count(self->fd));
}

/*
 * /proc/lockdev/locks shows NONE holds with mode "none": NR_NONE sessions
 * of a lockspace of its own hold one lock in NONE, and nobody holds it in
 * another mode (so its holders are all the reader has to make room for).
 */
#define NR_NONE		40

TEST_F(none, proc_mode_none)
{
	struct lockdev_attach at;
	struct locks_line *ls;
	struct lockdev_lock l;
	char space[64];
	int i, nr, found = 0, fds[NR_NONE];

	snprintf(space, sizeof(space), "none-space-%d", getpid());
	memset(&at, 0, sizeof(at));
	at.name = ptr(space);
	at.name_len = strlen(space);
	at.mode = 0600;
	for (i = 0; i < NR_NONE; i++) {
		fds[i] = open_session();
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, ioctl(fds[i], LOCKDEV_IOC_ATTACH, &at));
		ASSERT_EQ(0, lock_call(fds[i], "p", N, 0, &l));
	}
	nr = read_locks(NULL, space, &ls);
	ASSERT_LE(0, nr);
	for (i = 0; i < nr; i++) {
		if (strcmp(ls[i].name, "p"))
			continue;
		found++;
		EXPECT_STREQ("none", ls[i].mode);
		EXPECT_STREQ("held", ls[i].state);
		EXPECT_EQ(getpid(), ls[i].pid);
		EXPECT_EQ(0, ls[i].owner_died);
		EXPECT_EQ(l.generation, ls[i].generation);
		EXPECT_EQ(-1, ls[i].nr_waits);
		EXPECT_NE(0, ls[i].session);
	}
	free(ls);
	EXPECT_EQ(NR_NONE, found);
	for (i = 0; i < NR_NONE; i++)
		close(fds[i]);
}

TEST_HARNESS_MAIN
