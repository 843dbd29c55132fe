// SPDX-License-Identifier: GPL-2.0
/*
 * LOCKDEV_IOC_LOCK_SET: up to LOCKDEV_SET_MAX locks taken all or nothing.
 * Items with the same name are one request in the strongest of their modes
 * (and must have the same level); the requests are sorted into the order
 * (unranked by name first, then by level and name) and taken in turn; a
 * deadline bounds the whole set; on failure every lock the call took is
 * released and failed names the item. Also the two-way copy: two processes
 * each taking two users' locks in opposite orders never deadlock with sets.
 *
 * Another session is an "actor" (util.h): a forked child that runs the calls
 * the test sends it. A test sees that an actor is blocked in the kernel by
 * polling QUERY until its request shows up waiting, never by sleeping
 * blindly. Each test works on its own lock names, made from its name and
 * pid, in the default lockspace of its uid.
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
#define NONBLOCK LOCKDEV_LOCK_NONBLOCK
#define DEADLINE LOCKDEV_LOCK_DEADLINE
#define ASYNC LOCKDEV_LOCK_ASYNC
#define NONE LOCKDEV_SET_NONE
#define MS 1000000ull
#define NAME_LEN 128

/* LOCK_SET with an explicit item size over @nr items of @size bytes at @buf. */
static int set_raw(int fd, void *buf, __u32 nr, __u32 size, __u32 flags,
		   struct lockdev_lock_set *s)
{
	poison(s, sizeof(*s));
	s->items = ptr(buf);
	s->nr_items = nr;
	s->item_size = size;
	s->flags = flags;
	s->deadline_ns = 0;
	s->pad = 0;
	return ioctl(fd, LOCKDEV_IOC_LOCK_SET, s);
}

/* LOCK_SET must fail with @err and @failed; no item output written. */
static void set_fails(struct __test_metadata *_metadata, int fd,
		      struct lockdev_set_item *it, __u32 nr, __u32 flags,
		      int err, __u32 failed, const char *what)
{
	struct lockdev_lock_set s;
	int ret, e;
	__u32 i;

	arm_alarm(10);
	ret = set_call(fd, it, nr, flags, 0, &s);
	e = errno;
	alarm(0);
	EXPECT_EQ(-1, ret) {
		TH_LOG("%s: the set was granted", what);
	}
	EXPECT_EQ(err, e) {
		TH_LOG("%s: errno %d (%s), expected %d", what, e, strerror(e), err);
	}
	EXPECT_EQ(failed, s.failed) {
		TH_LOG("%s: failed %u, expected %u", what, s.failed, failed);
	}
	for (i = 0; i < nr && i < LOCKDEV_SET_MAX; i++) {
		EXPECT_TRUE(poisoned(&it[i].handle, sizeof(it[i].handle))) {
			TH_LOG("%s: item %u's handle written", what, i);
		}
		EXPECT_TRUE(poisoned(&it[i].generation,
				     sizeof(it[i].generation)));
	}
}

/* Send a set to an actor: @n items of (name, mode, level); the answer comes later. */
static void actor_set(struct __test_metadata *_metadata, struct locker *lk,
		      const char *const *names, const __u32 *modes,
		      const __u32 *levels, __u32 n, __u32 flags,
		      __u64 deadline_ns)
{
	struct act_cmd c;
	__u32 i;

	memset(&c, 0, sizeof(c));
	c.op = ACT_SET;
	c.flags = flags;
	c.deadline_ns = deadline_ns;
	c.nr_items = n;
	ASSERT_GE(ACT_ITEMS, n);
	for (i = 0; i < n; i++) {
		ASSERT_GT(sizeof(c.items[i].name), strlen(names[i]));
		strcpy(c.items[i].name, names[i]);
		c.items[i].mode = modes ? modes[i] : X;
		c.items[i].level = levels ? levels[i] : 0;
	}
	ASSERT_EQ(0, write_all(lk->cmd, &c, sizeof(c)));
}

/* The mode and state @fd's QUERY shows for @pid on @name; 0 if none. */
static __u32 held_mode(int fd, const char *name, pid_t pid)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	int i;

	if (query(fd, name, &q, e, MAXE))
		return 0;
	i = find_entry(e, q.nr_entries, pid, HELD);
	return i < 0 ? 0 : e[i].mode;
}

/* No line of /proc/lockdev/locks is task @pid's. */
static void expect_no_proc_lines(struct __test_metadata *_metadata, pid_t pid)
{
	struct locks_line *l;
	int n, i;

	n = read_locks(NULL, NULL, &l);
	ASSERT_LE(0, n);
	for (i = 0; i < n; i++)
		EXPECT_NE(pid, l[i].pid) {
			TH_LOG("%s %s %s of %ld still in " LOCKS, l[i].name,
			       l[i].mode, l[i].state, l[i].pid);
		}
	free(l);
}

FIXTURE(set) {
	int fd[NFD];
	char prefix[96];
	char a[NAME_LEN], b[NAME_LEN], c[NAME_LEN], d[NAME_LEN];
	struct locker lk[MAXLK];
};

FIXTURE_SETUP(set)
{
	int i;

	require_lock_feature(_metadata);
	for (i = 0; i < NFD; i++) {
		self->fd[i] = open_session();
		ASSERT_LE(0, self->fd[i]);
	}
	snprintf(self->prefix, sizeof(self->prefix), "lockset_test.%s.%d",
		 _metadata->name, getpid());
	snprintf(self->a, NAME_LEN, "%s.a", self->prefix);
	snprintf(self->b, NAME_LEN, "%s.b", self->prefix);
	snprintf(self->c, NAME_LEN, "%s.c", self->prefix);
	snprintf(self->d, NAME_LEN, "%s.d", self->prefix);
}

FIXTURE_TEARDOWN(set)
{
	int i;

	alarm(0);
	for (i = 0; i < MAXLK; i++)
		locker_kill(&self->lk[i]);
	for (i = 0; i < NFD; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
}

TEST(struct_layout)
{
	EXPECT_EQ(LOCKDEV_SET_ITEM_SIZE_VER1, sizeof(struct lockdev_set_item));
	EXPECT_EQ(LOCKDEV_LOCK_SET_SIZE_VER0, sizeof(struct lockdev_lock_set));
}

/* ---- what a set takes ---- */

TEST_F(set, empty_set)
{
	struct lockdev_set_item it[1];
	struct lockdev_lock_set s;

	poison(it, sizeof(it));
	EXPECT_EQ(0, set_call(self->fd[0], it, 0, 0, 0, &s));
	EXPECT_EQ(NONE, s.failed);
	EXPECT_TRUE(poisoned(it, sizeof(it)));
	EXPECT_EQ(0, set_call(self->fd[0], NULL, 0, NONBLOCK, 0, &s));
	EXPECT_EQ(NONE, s.failed);
	EXPECT_EQ(0, list_count(self->fd[0]));
}

TEST_F(set, one_request)
{
	struct lockdev_set_item it[1];
	struct lockdev_held h[2];
	struct lockdev_lock_set s;
	struct lockdev_list li;
	struct lockdev_query q;

	set_item(&it[0], self->a, A, 0);
	ASSERT_EQ(0, set_call(self->fd[0], it, 1, 0, 0, &s));
	EXPECT_EQ(NONE, s.failed);
	EXPECT_EQ(0, it[0].result);
	EXPECT_NE(0, it[0].handle);
	EXPECT_NE(0, it[0].generation);
	ASSERT_EQ(0, list_call(self->fd[0], h, 2, &li));
	ASSERT_EQ(1, li.nr_entries);
	EXPECT_EQ(it[0].handle, h[0].handle);
	EXPECT_EQ(A, h[0].mode);
	EXPECT_EQ(HELD, h[0].state);
	ASSERT_EQ(0, query(self->fd[1], self->a, &q, NULL, 0));
	EXPECT_EQ(it[0].generation, q.generation);
	/* The handle is a LOCK handle like any other. */
	EXPECT_EQ(0, unlock_handle(self->fd[0], it[0].handle));
	expect_idle_lock(_metadata, self->fd[0], self->a);
}

/* Several names in reverse order: all taken, each its own handle. */
TEST_F(set, several_names)
{
	const char *names[] = { self->d, self->c, self->b, self->a };
	struct lockdev_set_item it[4];
	struct lockdev_held h[8];
	struct lockdev_lock_set s;
	struct lockdev_list li;
	int i, j, found;

	for (i = 0; i < 4; i++)
		set_item(&it[i], names[i], i % 2 ? S : X, 0);
	ASSERT_EQ(0, set_call(self->fd[0], it, 4, 0, 0, &s));
	EXPECT_EQ(NONE, s.failed);
	ASSERT_EQ(0, list_call(self->fd[0], h, 8, &li));
	ASSERT_EQ(4, li.nr_entries);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, it[i].result);
		EXPECT_NE(0, it[i].generation);
		for (j = 0; j < i; j++)
			EXPECT_NE(it[j].handle, it[i].handle);
		found = 0;
		for (j = 0; j < 4; j++)
			if (h[j].handle == it[i].handle) {
				found = 1;
				EXPECT_EQ(it[i].name_len, h[j].name_len);
				EXPECT_EQ(0, memcmp(names[i], h[j].name,
						    it[i].name_len));
				EXPECT_EQ(i % 2 ? S : X, h[j].mode);
			}
		EXPECT_TRUE(found) {
			TH_LOG("item %d's handle is not in LIST", i);
		}
	}
}

/*
 * Reversed input is sorted: in strict mode a set whose items are out of
 * order in the array succeeds, since they are taken in order.
 */
TEST_F(set, sorted_in_strict_mode)
{
	const char *names[] = { self->c, self->b, self->a, self->d };
	const __u32 levels[] = { 5, 5, 5, 1 };
	struct lockdev_set_item it[4];
	struct lockdev_lock_set s;
	__u32 old;
	int i;

	ASSERT_EQ(0, set_order(self->fd[0], 0, &old));
	ASSERT_EQ(LOCKDEV_ORDER_STRICT, old);
	for (i = 0; i < 4; i++)
		set_item(&it[i], names[i], X, levels[i]);
	ASSERT_EQ(0, set_call(self->fd[0], it, 4, 0, 0, &s)) {
		TH_LOG("errno %d, failed %u, result %#x", errno, s.failed,
		       s.result);
	}
	EXPECT_EQ(0, it[0].result | it[1].result | it[2].result | it[3].result);
	EXPECT_EQ(4, list_count(self->fd[0]));
}

/*
 * The order of acquisition, seen from outside: with the middle lock held by
 * another session, the set waits on it holding every lock before it in the
 * order and none after it. Unranked ones come first, by name; then by
 * level, then by name.
 */
TEST_F(set, acquisition_order)
{
	/* Sorted: d (unranked), c (level 1), b (level 2, "b" < "c"), a (3). */
	const char *names[] = { self->a, self->b, self->c, self->d, self->prefix };
	const __u32 levels[] = { 3, 2, 1, 0, 2 };
	const __u32 modes[] = { X, X, X, X, S };
	struct act_reply r;
	pid_t pid;
	int i;

	/* The prefix sorts before b at level 2: hold b, the set waits there. */
	actor_start(_metadata, &self->lk[0], -1);
	actor_hold(_metadata, &self->lk[0], self->b, S, 0);
	actor_start(_metadata, &self->lk[1], -1);
	pid = self->lk[1].pid;
	actor_set(_metadata, &self->lk[1], names, modes, levels, 5, 0, 0);
	ASSERT_TRUE(wait_entry(self->fd[0], self->b, pid, WAITING)) {
		if (actor_answer(&self->lk[1], &r, 0))
			TH_LOG("set did not wait: ret %d errno %d failed %u",
			       r.ret, r.err, r.failed);
	}
	EXPECT_EQ(X, held_mode(self->fd[0], self->d, pid));
	EXPECT_EQ(X, held_mode(self->fd[0], self->c, pid));
	EXPECT_EQ(S, held_mode(self->fd[0], self->prefix, pid));
	expect_no_lock(_metadata, self->fd[0], self->a);

	actor_release(_metadata, &self->lk[0], self->b);
	actor_granted(_metadata, &self->lk[1], &r);
	EXPECT_EQ(NONE, r.failed);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(modes[i], held_mode(self->fd[0], names[i], pid));
		EXPECT_NE(0, r.items[i].handle);
		EXPECT_EQ(0, r.items[i].result);
	}
}

/* Items of one name are one request in the strongest mode, one handle. */
TEST_F(set, duplicates_merged)
{
	static const struct { __u32 m1, m2, want; } cases[] = {
		{ S, X, X }, { X, S, X }, { S, A, A }, { A, S, A },
		{ A, X, X }, { S, S, S }, { A, A, A }, { X, X, X },
	};
	struct lockdev_set_item it[3];
	struct lockdev_held h[4];
	struct lockdev_lock_set s;
	struct lockdev_list li;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_item(&it[0], self->a, cases[i].m1, 4);
		set_item(&it[1], self->b, S, 0);
		set_item(&it[2], self->a, cases[i].m2, 4);
		ASSERT_EQ(0, set_call(self->fd[0], it, 3, 0, 0, &s)) {
			TH_LOG("case %zu: errno %d failed %u", i, errno, s.failed);
		}
		EXPECT_EQ(NONE, s.failed);
		EXPECT_EQ(it[0].handle, it[2].handle) {
			TH_LOG("case %zu: merged items got two handles", i);
		}
		EXPECT_EQ(it[0].generation, it[2].generation);
		EXPECT_EQ(it[0].result, it[2].result);
		EXPECT_NE(it[0].handle, it[1].handle);
		ASSERT_EQ(0, list_call(self->fd[0], h, 4, &li));
		ASSERT_EQ(2, li.nr_entries) {
			TH_LOG("case %zu: %u locks", i, li.nr_entries);
		}
		EXPECT_EQ(cases[i].want,
			  held_mode(self->fd[1], self->a, getpid())) {
			TH_LOG("case %zu: %u + %u", i, cases[i].m1, cases[i].m2);
		}
		ASSERT_EQ(0, unlock_handle(self->fd[0], it[0].handle));
		ASSERT_EQ(0, unlock_handle(self->fd[0], it[1].handle));
	}
}

/* Two identical items are valid: one lock. */
TEST_F(set, two_identical_names)
{
	struct lockdev_set_item it[2];
	struct lockdev_lock_set s;

	set_item(&it[0], self->a, X, 0);
	set_item(&it[1], self->a, X, 0);
	ASSERT_EQ(0, set_call(self->fd[0], it, 2, 0, 0, &s));
	EXPECT_EQ(NONE, s.failed);
	EXPECT_NE(0, it[0].handle);
	EXPECT_EQ(it[0].handle, it[1].handle);
	EXPECT_EQ(1, list_count(self->fd[0]));
	EXPECT_EQ(X, held_mode(self->fd[1], self->a, getpid()));
	/* One UNLOCK frees it. */
	EXPECT_EQ(0, unlock_handle(self->fd[0], it[1].handle));
	expect_idle_lock(_metadata, self->fd[0], self->a);
}

/* The most items: LOCKDEV_SET_MAX in one set. */
TEST_F(set, set_max)
{
	struct lockdev_set_item it[LOCKDEV_SET_MAX + 1];
	static char names[LOCKDEV_SET_MAX + 1][NAME_LEN];
	struct lockdev_lock_set s;
	int i;

	for (i = 0; i <= LOCKDEV_SET_MAX; i++) {
		snprintf(names[i], NAME_LEN, "%s.%03d", self->prefix,
			 LOCKDEV_SET_MAX - i);
		set_item(&it[i], names[i], S, 1);
	}
	set_fails(_metadata, self->fd[0], it, LOCKDEV_SET_MAX + 1, 0, E2BIG,
		  NONE, "nr_items 65");
	EXPECT_EQ(0, list_count(self->fd[0]));
	ASSERT_EQ(0, set_call(self->fd[0], it, LOCKDEV_SET_MAX, 0, 0, &s));
	EXPECT_EQ(NONE, s.failed);
	EXPECT_EQ(LOCKDEV_SET_MAX, list_count(self->fd[0]));
	for (i = 0; i < LOCKDEV_SET_MAX; i++)
		EXPECT_NE(0, it[i].handle);
}

/* ---- bad input ---- */

/* The levels of items with one name must agree: EINVAL at the later item. */
TEST_F(set, differing_levels)
{
	struct lockdev_set_item it[3];

	set_item(&it[0], self->a, S, 1);
	set_item(&it[1], self->b, X, 0);
	set_item(&it[2], self->a, S, 2);
	set_fails(_metadata, self->fd[0], it, 3, 0, EINVAL, 2, "levels 1, 2");
	set_item(&it[0], self->a, S, 0);
	set_item(&it[1], self->a, S, 3);
	set_item(&it[2], self->b, X, 0);
	set_fails(_metadata, self->fd[0], it, 3, 0, EINVAL, 1, "levels 0, 3");
	EXPECT_EQ(0, list_count(self->fd[0]));
	expect_no_lock(_metadata, self->fd[1], self->a);
	expect_no_lock(_metadata, self->fd[1], self->b);
}

/* Bad items: EINVAL or ENAMETOOLONG with the index, nothing taken. */
TEST_F(set, bad_items)
{
	char longn[LOCKDEV_NAME_MAX + 2];
	struct lockdev_set_item it[3];
	int i;

	long_name(longn, LOCKDEV_NAME_MAX + 1, self->prefix);
	for (i = 0; i < 6; i++) {
		set_item(&it[0], self->a, S, 0);
		set_item(&it[1], self->b, X, 0);
		set_item(&it[2], self->c, X, 0);
		switch (i) {
		case 0:
			it[1].mode = 0;
			set_fails(_metadata, self->fd[0], it, 3, 0, EINVAL, 1, "mode 0");
			break;
		case 1:
			it[2].mode = 5;
			set_fails(_metadata, self->fd[0], it, 3, 0, EINVAL, 2, "mode 5");
			break;
		case 2:
			it[1].name_len = 0;
			set_fails(_metadata, self->fd[0], it, 3, 0, EINVAL, 1, "name_len 0");
			break;
		case 3:
			set_item(&it[1], longn, X, 0);
			set_fails(_metadata, self->fd[0], it, 3, 0, ENAMETOOLONG,
				  1, "name too long");
			break;
		case 4:
			it[0].name = 8;
			set_fails(_metadata, self->fd[0], it, 3, 0, EFAULT, 0,
				  "bad name pointer");
			break;
		case 5:
			/* A name of the longest length is fine; outputs are ignored. */
			longn[LOCKDEV_NAME_MAX] = 0;
			set_item(&it[1], longn, X, 0);
			it[2].result = LOCKDEV_RESULT_QUEUED;
			it[2].handle = 7;
			EXPECT_EQ(0, set_call(self->fd[0], it, 3, 0, 0,
					      &(struct lockdev_lock_set){ 0 }));
			break;
		}
		if (i < 5 && list_count(self->fd[0])) {
			/* Refused input took locks: start afresh. */
			EXPECT_EQ(0, list_count(self->fd[0])) {
				TH_LOG("case %d took locks", i);
			}
			close(self->fd[0]);
			self->fd[0] = open_session();
			ASSERT_LE(0, self->fd[0]);
		}
	}
	EXPECT_EQ(3, list_count(self->fd[0]));
}

/* Bad flags, pad and combinations: EINVAL, no single item failed. */
TEST_F(set, bad_flags)
{
	static const struct { __u32 flags, pad; } bad[] = {
		{ ASYNC, 0 }, { NONBLOCK | DEADLINE, 0 }, { NONBLOCK | ASYNC, 0 },
		{ 0x10, 0 }, { 0x80000000, 0 }, { 0, 1 },
	};
	struct lockdev_set_item it[2];
	struct lockdev_lock_set s;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_item(&it[0], self->a, S, 0);
		set_item(&it[1], self->b, S, 0);
		poison(&s, sizeof(s));
		s.items = ptr(it);
		s.nr_items = 2;
		s.item_size = sizeof(it[0]);
		s.flags = bad[i].flags;
		s.deadline_ns = now_ns() + 1000 * MS;
		s.pad = bad[i].pad;
		ret = ioctl(self->fd[0], LOCKDEV_IOC_LOCK_SET, &s);
		EXPECT_EQ(-1, ret) {
			TH_LOG("case %zu accepted", i);
		}
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("case %zu: errno %d", i, errno);
		}
		EXPECT_EQ(NONE, s.failed) {
			TH_LOG("case %zu: failed %u", i, s.failed);
		}
		EXPECT_TRUE(poisoned(&it[0].handle, sizeof(it[0].handle)));
		EXPECT_EQ(0, list_count(self->fd[0]));
	}
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_LOCK_SET, NULL));
	EXPECT_EQ(EFAULT, errno);
	set_item(&it[0], self->a, S, 0);
	EXPECT_EQ(-1, set_raw(self->fd[0], (void *)8, 1, sizeof(it[0]), 0, &s));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, list_count(self->fd[0]));
}

/* item_size: at least VER0; larger items need their unknown bytes zero. */
TEST_F(set, item_size)
{
	struct big_item {
		struct lockdev_set_item it;
		__u64 extra;
	} big[2];
	char *huge;
	struct lockdev_lock_set s;
	int ret;

	set_item(&big[0].it, self->a, S, 0);
	EXPECT_EQ(-1, set_raw(self->fd[0], big, 1, LOCKDEV_SET_ITEM_SIZE_VER0 - 1,
			      0, &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, set_raw(self->fd[0], big, 1, 0, 0, &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, list_count(self->fd[0]));

	huge = calloc(2, 4097);
	ASSERT_NE(NULL, huge);
	set_item((struct lockdev_set_item *)huge, self->a, S, 0);
	memset(huge + sizeof(struct lockdev_set_item), 0,
	       4097 - sizeof(struct lockdev_set_item));
	EXPECT_EQ(-1, set_raw(self->fd[0], huge, 1, 4097, 0, &s));
	EXPECT_EQ(E2BIG, errno);
	free(huge);
	EXPECT_EQ(0, list_count(self->fd[0]));

	/* Bigger items with zero tails: the stride is item_size. */
	set_item(&big[0].it, self->a, S, 0);
	set_item(&big[1].it, self->b, X, 0);
	big[0].extra = big[1].extra = 0;
	ret = set_raw(self->fd[0], big, 2, sizeof(big[0]), 0, &s);
	ASSERT_EQ(0, ret) {
		TH_LOG("errno %d failed %u", errno, s.failed);
	}
	EXPECT_EQ(NONE, s.failed);
	EXPECT_NE(0, big[0].it.handle);
	EXPECT_NE(0, big[1].it.handle);
	EXPECT_EQ(0, big[0].extra);
	EXPECT_EQ(0, big[1].extra);
	EXPECT_EQ(S, held_mode(self->fd[1], self->a, getpid()));
	EXPECT_EQ(X, held_mode(self->fd[1], self->b, getpid()));
	ASSERT_EQ(0, unlock_name(self->fd[0], self->a));
	ASSERT_EQ(0, unlock_name(self->fd[0], self->b));

	/* An unknown byte not zero in the second item: E2BIG there. */
	set_item(&big[0].it, self->a, S, 0);
	set_item(&big[1].it, self->b, X, 0);
	big[0].extra = 0;
	big[1].extra = 1;
	EXPECT_EQ(-1, set_raw(self->fd[0], big, 2, sizeof(big[0]), 0, &s));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(1, s.failed);
	EXPECT_EQ(0, list_count(self->fd[0]));
	expect_idle_lock(_metadata, self->fd[1], self->a);
}

/* The set struct's own size rules. */
TEST_F(set, struct_size)
{
	struct { struct lockdev_lock_set s; __u64 extra; } big;
	unsigned long nr_small = _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC,
				      0x0a, LOCKDEV_LOCK_SET_SIZE_VER0 - 8);
	unsigned long nr_big = _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC,
				    0x0a, sizeof(big));
	struct lockdev_set_item it[1];

	set_item(&it[0], self->a, S, 0);
	memset(&big, 0, sizeof(big));
	big.s.items = ptr(it);
	big.s.nr_items = 1;
	big.s.item_size = sizeof(it[0]);
	EXPECT_EQ(-1, ioctl(self->fd[0], nr_small, &big));
	EXPECT_EQ(EINVAL, errno);
	big.extra = 1;
	EXPECT_EQ(-1, ioctl(self->fd[0], nr_big, &big));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, list_count(self->fd[0]));
	big.extra = 0;
	EXPECT_EQ(0, ioctl(self->fd[0], nr_big, &big));
	EXPECT_EQ(NONE, big.s.failed);
	EXPECT_EQ(1, list_count(self->fd[0]));
}

/* A name the session holds already: EALREADY at its index. */
TEST_F(set, held_already)
{
	struct lockdev_set_item it[2];
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->b, S, 0, &l));
	set_item(&it[0], self->a, S, 0);
	set_item(&it[1], self->b, S, 0);
	set_fails(_metadata, self->fd[0], it, 2, 0, EALREADY, 1, "b held");
	EXPECT_EQ(1, list_count(self->fd[0]));
	expect_unheld(_metadata, self->fd[1], self->a);
}

/* ---- all or nothing ---- */

/* One item held by another session: EAGAIN at its index, nothing kept. */
TEST_F(set, all_or_nothing_nonblock)
{
	struct lockdev_set_item it[4];
	struct lockdev_lock_set s;
	struct lockdev_lock l, sh;
	struct snap before_c, before_d;

	/* d is shared by another session, c exclusive. */
	ASSERT_EQ(0, lock_call(self->fd[1], self->c, X, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[2], self->d, S, 0, &sh));
	take_snap(self->fd[3], self->c, &before_c);
	take_snap(self->fd[3], self->d, &before_d);

	set_item(&it[0], self->d, S, 0);
	set_item(&it[1], self->a, X, 0);
	set_item(&it[2], self->c, A, 0);
	set_item(&it[3], self->b, X, 0);
	arm_alarm(10);
	EXPECT_EQ(-1, set_call(self->fd[0], it, 4, NONBLOCK, 0, &s));
	EXPECT_EQ(EAGAIN, errno);
	alarm(0);
	EXPECT_EQ(2, s.failed);
	EXPECT_EQ(0, list_count(self->fd[0]));
	expect_idle_lock(_metadata, self->fd[3], self->a);
	expect_idle_lock(_metadata, self->fd[3], self->b);
	expect_snap(_metadata, self->fd[3], self->c, &before_c);
	expect_snap(_metadata, self->fd[3], self->d, &before_d);
	/* This process's lines are only the other sessions' grants. */
	{
		struct locks_line *pl;
		int n = read_locks(NULL, NULL, &pl), i, mine = 0;

		ASSERT_LE(0, n);
		for (i = 0; i < n; i++) {
			if (pl[i].pid != getpid())
				continue;
			mine++;
			EXPECT_STREQ("held", pl[i].state);
			EXPECT_TRUE(!strcmp(pl[i].name, self->c) ||
				    !strcmp(pl[i].name, self->d)) {
				TH_LOG("a line for %s", pl[i].name);
			}
		}
		EXPECT_EQ(2, mine);
		free(pl);
	}

	/* Once c is free the same set succeeds. */
	ASSERT_EQ(0, unlock_handle(self->fd[1], l.handle));
	EXPECT_EQ(0, set_call(self->fd[0], it, 4, NONBLOCK, 0, &s));
	EXPECT_EQ(4, list_count(self->fd[0]));
}

/* The deadline bounds the whole set, not each item. */
TEST_F_TIMEOUT(set, deadline_whole_set, 60)
{
	const char *names[] = { self->a, self->b, self->c };
	struct lockdev_lock lb, lc;
	struct act_reply r;
	__u64 start, deadline, t;
	pid_t pid;

	ASSERT_EQ(0, lock_call(self->fd[1], self->b, X, 0, &lb));
	ASSERT_EQ(0, lock_call(self->fd[1], self->c, X, 0, &lc));
	actor_start(_metadata, &self->lk[0], -1);
	pid = self->lk[0].pid;
	start = now_ns();
	deadline = start + 1500 * MS;
	actor_set(_metadata, &self->lk[0], names, NULL, NULL, 3, DEADLINE,
		  deadline);
	ASSERT_TRUE(wait_entry(self->fd[0], self->b, pid, WAITING));
	EXPECT_EQ(X, held_mode(self->fd[0], self->a, pid));

	/* Halfway, b comes free: the set goes on to wait for c. */
	t = now_ns();
	if (t < start + 700 * MS)
		sleep_ms((start + 700 * MS - t) / MS);
	ASSERT_EQ(0, unlock_handle(self->fd[1], lb.handle));
	ASSERT_TRUE(wait_entry(self->fd[0], self->c, pid, WAITING));
	EXPECT_EQ(X, held_mode(self->fd[0], self->b, pid));

	actor_wait(_metadata, &self->lk[0], &r);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(ETIMEDOUT, r.err);
	EXPECT_EQ(2, r.failed);
	EXPECT_LE(deadline, r.end_ns);
	/* Per item it would have lasted until b's grant + 1.5 s. */
	EXPECT_GT(deadline + 600 * MS, r.end_ns) {
		TH_LOG("the set timed out %llu ms after its deadline",
		       (unsigned long long)(r.end_ns - deadline) / MS);
	}
	/* Nothing stays held: a and b are free again. */
	actor_call(_metadata, &self->lk[0], ACT_LIST, NULL, 0, 0, 0, &r);
	EXPECT_EQ(0, r.nr);
	expect_idle_lock(_metadata, self->fd[0], self->a);
	expect_idle_lock(_metadata, self->fd[0], self->b);
	expect_no_proc_lines(_metadata, pid);
}

/* A set waits as LOCK does, and gets everything once the last is free. */
TEST_F(set, blocking_set_granted)
{
	const char *names[] = { self->c, self->a, self->b };
	struct lockdev_lock l;
	struct act_reply r;
	pid_t pid;

	ASSERT_EQ(0, lock_call(self->fd[1], self->c, S, 0, &l));
	actor_start(_metadata, &self->lk[0], -1);
	pid = self->lk[0].pid;
	actor_set(_metadata, &self->lk[0], names, NULL, NULL, 3, 0, 0);
	ASSERT_TRUE(wait_entry(self->fd[0], self->c, pid, WAITING));
	actor_quiet(_metadata, &self->lk[0], QUIET_MS);
	ASSERT_EQ(0, unlock_handle(self->fd[1], l.handle));
	actor_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(NONE, r.failed);
	EXPECT_EQ(X, held_mode(self->fd[0], self->a, pid));
	EXPECT_EQ(X, held_mode(self->fd[0], self->b, pid));
	EXPECT_EQ(X, held_mode(self->fd[0], self->c, pid));
}

/*
 * A set's deadline of 2^63 - 1 or more is no deadline: the set waits until
 * its last lock comes free.
 */
TEST_F(set, deadline_far_future)
{
	static const __u64 far[] = { UINT64_MAX, 1ull << 63, (1ull << 63) - 1 };
	const char *names[] = { self->c, self->a, self->b };
	struct lockdev_lock l;
	struct act_reply r;
	__u64 unlocked;
	unsigned int i, j;
	pid_t pid;

	actor_start(_metadata, &self->lk[0], -1);
	pid = self->lk[0].pid;
	for (i = 0; i < ARRAY_SIZE(far); i++) {
		ASSERT_EQ(0, lock_call(self->fd[1], self->c, S, 0, &l));
		actor_set(_metadata, &self->lk[0], names, NULL, NULL, 3,
			  DEADLINE, far[i]);
		ASSERT_FALSE(actor_answer(&self->lk[0], &r, QUIET_MS)) {
			TH_LOG("deadline %#llx: ret %d errno %d, expected a wait",
			       (unsigned long long)far[i], r.ret, r.err);
		}
		EXPECT_TRUE(wait_entry(self->fd[0], self->c, pid, WAITING));
		unlocked = now_ns();
		ASSERT_EQ(0, unlock_handle(self->fd[1], l.handle));
		actor_granted(_metadata, &self->lk[0], &r);
		EXPECT_EQ(NONE, r.failed);
		/* Granted by the release, not before. */
		EXPECT_LE(unlocked, r.end_ns);
		for (j = 0; j < 3; j++)
			actor_release(_metadata, &self->lk[0], names[j]);
	}
}

/* A signal during a set's wait releases everything: EINTR. */
TEST_F(set, signal_releases_everything)
{
	const char *names[] = { self->c, self->a, self->b };
	struct lockdev_lock l;
	struct act_reply r;
	pid_t pid;

	ASSERT_EQ(0, lock_call(self->fd[1], self->c, X, 0, &l));
	actor_start(_metadata, &self->lk[0], -1);
	pid = self->lk[0].pid;
	actor_call(_metadata, &self->lk[0], ACT_SIGACT, NULL, 0, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	actor_set(_metadata, &self->lk[0], names, NULL, NULL, 3, 0, 0);
	ASSERT_TRUE(wait_entry(self->fd[0], self->c, pid, WAITING));
	EXPECT_EQ(X, held_mode(self->fd[0], self->a, pid));
	EXPECT_EQ(X, held_mode(self->fd[0], self->b, pid));

	ASSERT_EQ(0, kill(pid, SIGUSR1));
	actor_wait(_metadata, &self->lk[0], &r);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	EXPECT_EQ(1, r.sigs);
	EXPECT_TRUE(poisoned(&r.items[1].handle, sizeof(r.items[1].handle)));
	actor_call(_metadata, &self->lk[0], ACT_LIST, NULL, 0, 0, 0, &r);
	EXPECT_EQ(0, r.nr);
	expect_idle_lock(_metadata, self->fd[0], self->a);
	expect_idle_lock(_metadata, self->fd[0], self->b);
	ASSERT_TRUE(wait_no_entry(self->fd[0], self->c, pid));
	expect_no_proc_lines(_metadata, pid);
}

/* With SA_RESTART the set restarts whole, and is granted in the end. */
TEST_F(set, signal_restarts_set)
{
	const char *names[] = { self->c, self->a };
	struct lockdev_lock l;
	struct act_reply r;
	pid_t pid;

	ASSERT_EQ(0, lock_call(self->fd[1], self->c, X, 0, &l));
	actor_start(_metadata, &self->lk[0], -1);
	pid = self->lk[0].pid;
	actor_call(_metadata, &self->lk[0], ACT_SIGACT, NULL, 0, SA_RESTART,
		   0, &r);
	ASSERT_EQ(0, r.ret);
	actor_set(_metadata, &self->lk[0], names, NULL, NULL, 2, 0, 0);
	ASSERT_TRUE(wait_entry(self->fd[0], self->c, pid, WAITING));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	actor_quiet(_metadata, &self->lk[0], QUIET_MS);
	ASSERT_TRUE(wait_entry(self->fd[0], self->c, pid, WAITING));
	ASSERT_EQ(0, unlock_handle(self->fd[1], l.handle));
	actor_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(1, r.sigs);
	EXPECT_EQ(NONE, r.failed);
	EXPECT_EQ(X, held_mode(self->fd[0], self->a, pid));
	EXPECT_EQ(X, held_mode(self->fd[0], self->c, pid));
	actor_call(_metadata, &self->lk[0], ACT_LIST, NULL, 0, 0, 0, &r);
	EXPECT_EQ(2, r.nr);
}

/* A set is checked against what the session holds: ORDER, at the item. */
TEST_F(set, order_against_held)
{
	struct lockdev_set_item it[2];
	struct lockdev_lock_set s;
	struct lockdev_lock l;

	lock_input(&l, self->d, S, 0);
	l.level = 5;
	ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_LOCK, &l));
	set_item(&it[0], self->a, X, 6);
	set_item(&it[1], self->b, X, 3);
	arm_alarm(10);
	EXPECT_EQ(-1, set_call(self->fd[0], it, 2, 0, 0, &s));
	EXPECT_EQ(EDEADLK, errno);
	alarm(0);
	EXPECT_EQ(1, s.failed);
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, s.result);
	EXPECT_EQ(1, list_count(self->fd[0]));
	expect_no_lock(_metadata, self->fd[1], self->a);
	expect_no_lock(_metadata, self->fd[1], self->b);
}

/*
 * A set whose wait would close a cycle: EDEADLK with CYCLE at the item,
 * and the locks it took before are released.
 */
TEST_F(set, cycle_releases_taken)
{
	struct lockdev_set_item it[2];
	struct lockdev_lock_set s;
	struct lockdev_lock l;
	struct act_reply r;

	/* The actor holds b and waits for c, which this session holds. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->c, X, 0, &l));
	actor_start(_metadata, &self->lk[0], -1);
	actor_hold(_metadata, &self->lk[0], self->b, X, 0);
	actor_must_wait(_metadata, &self->lk[0], self->fd[1], self->c, X, 0);

	/* Sorted a, b: a is taken, then waiting for b closes the cycle. */
	set_item(&it[0], self->b, S, 0);
	set_item(&it[1], self->a, X, 0);
	arm_alarm(10);
	EXPECT_EQ(-1, set_call(self->fd[0], it, 2, 0, 0, &s));
	EXPECT_EQ(EDEADLK, errno);
	alarm(0);
	EXPECT_EQ(0, s.failed);
	EXPECT_EQ(LOCKDEV_RESULT_CYCLE, s.result);
	EXPECT_EQ(1, list_count(self->fd[0]));
	expect_idle_lock(_metadata, self->fd[1], self->a);

	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	actor_granted(_metadata, &self->lk[0], &r);
}

/* ---- the two-way copy with lock sets ---- */

static int rounds_knob(const char *env, int dflt)
{
	const char *v = getenv(env);

	return v && atoi(v) > 0 ? atoi(v) : dflt;
}

/*
 * Copy a message from user a to user b while another copies from b to a:
 * each locks both users' mailboxes in the order it names them. With lock
 * sets that never deadlocks, over many rounds: LOCKDEV_TEST_ROUNDS per
 * process (default 5000), or as many as fit in LOCKDEV_TEST_MS (default
 * 1500 ms; slow debug kernels get fewer), at least 100.
 */
TEST_F_TIMEOUT(set, two_way_copy_never_deadlocks, 300)
{
	int rounds = rounds_knob("LOCKDEV_TEST_ROUNDS", 5000);
	__u64 start = now_ns();
	__u64 stop = start + rounds_knob("LOCKDEV_TEST_MS", 1500) * MS;
	struct kid k[2];
	int i, status[2];

	for (i = 0; i < 2; i++) {
		ASSERT_LE(0, kid_fork(&k[i]));
		if (k[i].pid == 0) {
			struct lockdev_set_item it[2];
			struct lockdev_lock_set s;
			int fd = open_session(), n, bad = 0;

			alarm(250);
			if (fd < 0)
				_exit(2);
			for (n = 0; n < rounds && (n < 100 || now_ns() < stop); n++) {
				set_item(&it[0], i ? self->b : self->a, X, 1);
				set_item(&it[1], i ? self->a : self->b, X, 1);
				if (set_call(fd, it, 2, 0, 0, &s)) {
					fprintf(stderr, "# kid %d round %d: errno %d failed %u result %#x\n",
						i, n, errno, s.failed, s.result);
					bad++;
					continue;
				}
				if (unlock_handle(fd, it[1].handle) ||
				    unlock_handle(fd, it[0].handle))
					bad++;
			}
			/* Rounds done, in hundreds, in the exit status. */
			_exit(bad ? 1 : 10 + (n / 100 > 240 ? 240 : n / 100));
		}
	}
	for (i = 0; i < 2; i++) {
		close(k[i].wr);
		status[i] = reap(k[i].pid, 280 * 1000);
		close(k[i].rd);
		EXPECT_LE(11, status[i]) {
			TH_LOG("kid %d ended with %d", i, status[i]);
		}
	}
	TH_LOG("about %d and %d hundred rounds in %llu ms, no deadlock",
	       status[0] - 10, status[1] - 10,
	       (unsigned long long)(now_ns() - start) / MS);
	expect_unheld(_metadata, self->fd[0], self->a);
	expect_unheld(_metadata, self->fd[0], self->b);
}

TEST_HARNESS_MAIN
