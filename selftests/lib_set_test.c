// SPDX-License-Identifier: GPL-2.0
/*
 * liblockdev: lock sets (missing and duplicate names, all or nothing, the
 * limit), the order mode and the reports of deadlocks and order
 * violations. Other lock owners are child processes with sessions of their
 * own; every wait is bounded. A test of a call the module does not have yet
 * (ENOTTY) is skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "lib_util.h"

#define REQ(n, m) { .name = (n), .mode = (m) }

static void require_sets(struct __test_metadata *_metadata,
			 struct lockdev *ld)
{
	if (!lib_has_call(lockdev_lock_set(ld, NULL, 0, 0, 0, NULL)))
		SKIP(_exit(255), "the module does not implement LOCK_SET");
}

static void require_order(struct __test_metadata *_metadata,
			  struct lockdev *ld)
{
	if (!lib_has_call(lockdev_set_order(ld, 0, NULL)))
		SKIP(_exit(255), "the module does not implement SET_ORDER");
}

static void require_report(struct __test_metadata *_metadata,
			   struct lockdev *ld)
{
	if (!lib_has_call(lockdev_deadlock(ld, NULL, NULL, 0)))
		SKIP(_exit(255), "the module does not implement DEADLOCK");
}

/* The mode @ld holds @name in, or 0. */
static __u32 held_mode(struct lockdev *ld, const char *name)
{
	struct lockdev_entry e[4];
	int i, n = lockdev_query(ld, name, e, 4, NULL);

	for (i = 0; i < n && i < 4; i++)
		if (e[i].pid == (__u32)getpid() &&
		    e[i].state == LOCKDEV_STATE_HELD)
			return e[i].mode;
	return 0;
}

/* Cyrus: lock both users; the second may be missing or the same. */
TEST(missing_and_duplicate)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_set_req r[3] = {
		REQ("user:bob", LOCKDEV_MODE_EXCLUSIVE),
		REQ(NULL, LOCKDEV_MODE_EXCLUSIVE),
		REQ("user:alice", LOCKDEV_MODE_EXCLUSIVE),
	};
	struct lockdev_set_req same[2] = {
		REQ("user:carol", LOCKDEV_MODE_SHARED),
		REQ("user:carol", LOCKDEV_MODE_EXCLUSIVE),
	};
	unsigned int failed = 0;

	require_sets(_metadata, ld);
	r[1].handle = 99;
	ASSERT_EQ(0, lockdev_lock_set(ld, r, 3, LOCKDEV_FOREVER, 0, &failed));
	EXPECT_EQ(LOCKDEV_SET_NONE, failed);
	EXPECT_NE(0, r[0].handle);
	EXPECT_NE(0, r[2].handle);
	EXPECT_NE(r[0].handle, r[2].handle);
	EXPECT_NE(0, r[0].generation);
	EXPECT_EQ(0, r[1].handle);
	EXPECT_EQ(0, r[1].generation);
	EXPECT_EQ(LOCKDEV_MODE_EXCLUSIVE, held_mode(ld, "user:alice"));
	EXPECT_EQ(LOCKDEV_MODE_EXCLUSIVE, held_mode(ld, "user:bob"));
	EXPECT_EQ(2, lockdev_list(ld, NULL, 0));
	EXPECT_EQ(0, lockdev_unlock_set(ld, r, 3));
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));

	/* One name twice: one lock, in the stronger mode, one handle. */
	ASSERT_EQ(0, lockdev_lock_set(ld, same, 2, 0, 0, &failed));
	EXPECT_EQ(same[0].handle, same[1].handle);
	EXPECT_NE(0, same[0].handle);
	EXPECT_EQ(LOCKDEV_MODE_EXCLUSIVE, held_mode(ld, "user:carol"));
	EXPECT_EQ(1, lockdev_list(ld, NULL, 0));
	EXPECT_EQ(0, lockdev_unlock_set(ld, same, 2));
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));

	/* Nothing at all to lock is fine too. */
	EXPECT_EQ(0, lockdev_lock_set(ld, NULL, 0, 0, 0, &failed));
	EXPECT_EQ(0, lockdev_lock_set(ld, r + 1, 1, 0, 0, &failed));
	EXPECT_EQ(0, lockdev_unlock_set(ld, NULL, 0));
	lockdev_close(ld);
}

TEST(bad_input)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_set_req r[LOCKDEV_SET_MAX + 1];
	char names[LOCKDEV_SET_MAX + 1][16];
	unsigned int failed, i;

	require_sets(_metadata, ld);
	for (i = 0; i <= LOCKDEV_SET_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "lib-max-%u", i);
		memset(&r[i], 0, sizeof(r[i]));
		r[i].name = names[i];
		r[i].mode = LOCKDEV_MODE_SHARED;
	}
	EXPECT_EQ(-E2BIG, lockdev_lock_set(ld, r, LOCKDEV_SET_MAX + 1, 0, 0,
					   &failed));
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));
	/* 65 requests of which one is missing are 64 locks: the limit. */
	r[10].name = NULL;
	ASSERT_EQ(0, lockdev_lock_set(ld, r, LOCKDEV_SET_MAX + 1, 0, 0,
				      &failed));
	EXPECT_EQ(LOCKDEV_SET_MAX, lockdev_list(ld, NULL, 0));
	EXPECT_EQ(0, lockdev_unlock_set(ld, r, LOCKDEV_SET_MAX + 1));
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));

	EXPECT_EQ(-EINVAL, lockdev_lock_set(ld, NULL, 1, 0, 0, &failed));
	EXPECT_EQ(-EINVAL, lockdev_lock_set(ld, r, 2, 0, 2, &failed));
	r[1].mode = 9;
	EXPECT_EQ(-EINVAL, lockdev_lock_set(ld, r, 2, 0, 0, &failed));
	EXPECT_EQ(1, failed);
	/* One name at two levels is a mistake. */
	r[1].mode = LOCKDEV_MODE_SHARED;
	r[1].name = r[0].name;
	r[1].level = 3;
	EXPECT_EQ(-EINVAL, lockdev_lock_set(ld, r, 2, 0, 0, &failed));
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));
	EXPECT_EQ(-EINVAL, lockdev_unlock_set(ld, NULL, 1));
	lockdev_close(ld);
}

/* All or nothing: a conflict on one name leaves none of them held. */
TEST(all_or_nothing)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_set_req r[3] = {
		REQ("lib-aon-a", LOCKDEV_MODE_EXCLUSIVE),
		REQ(NULL, 0),
		REQ("lib-aon-b", LOCKDEV_MODE_EXCLUSIVE),
	};
	unsigned int failed;
	__u64 start;
	struct kid k;

	require_sets(_metadata, ld);
	holder_start(_metadata, &k, "lib-aon-b", LOCKDEV_MODE_SHARED);
	EXPECT_EQ(-EAGAIN, lockdev_lock_set(ld, r, 3, 0, 0, &failed));
	EXPECT_EQ(2, failed);
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, lockdev_lock_set(ld, r, 3, 300 * MS,
					       LOCKDEV_RESTART, &failed));
	EXPECT_LE(300 * MS, now_ns() - start);
	EXPECT_EQ(2, failed);
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));
	holder_stop(_metadata, &k, 'u');
	EXPECT_EQ(0, lockdev_lock_set(ld, r, 3, 0, 0, &failed));
	EXPECT_EQ(2, lockdev_list(ld, NULL, 0));
	lockdev_close(ld);
}

/* A blocking set waits for a holder in another process. */
TEST(set_waits)
{
	struct lockdev *ld = lib_open(_metadata);
	struct kid k;

	require_sets(_metadata, ld);
	ASSERT_EQ(0, lockdev_lock(ld, "lib-sw-b", LOCKDEV_MODE_EXCLUSIVE, 0, 0,
				  NULL));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev_set_req r[2] = {
			REQ("lib-sw-b", LOCKDEV_MODE_SHARED),
			REQ("lib-sw-a", LOCKDEV_MODE_SHARED),
		};
		struct lockdev *me = lib_open(_metadata);

		EXPECT_EQ(0, lockdev_lock_set(me, r, 2, LOCKDEV_FOREVER, 0,
					      NULL));
		EXPECT_EQ(2, lockdev_list(me, NULL, 0));
		kid_send(&k, 'G');
		KID_EXIT();
	}
	expect_waiting(_metadata, ld, "lib-sw-b", k.pid, LOCKDEV_STATE_WAITING);
	EXPECT_EQ(-1, kid_recv(&k, 200));
	EXPECT_EQ(0, lockdev_unlock_name(ld, "lib-sw-b"));
	EXPECT_EQ('G', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

/*
 * Cyrus's two-user copy: two processes lock both users, in opposite
 * orders of the arguments, over and over. Sorted by the kernel, they never
 * deadlock.
 */
TEST(two_user_copy)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_set_req r[2] = {
		REQ("user:alice", LOCKDEV_MODE_EXCLUSIVE),
		REQ("user:bob", LOCKDEV_MODE_EXCLUSIVE),
	};
	struct kid k;
	int i;

	require_sets(_metadata, ld);
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev_set_req mine[2] = {
			REQ("user:bob", LOCKDEV_MODE_EXCLUSIVE),
			REQ("user:alice", LOCKDEV_MODE_EXCLUSIVE),
		};
		struct lockdev *me = lib_open(_metadata);

		for (i = 0; i < 200; i++) {
			ASSERT_EQ(0, lockdev_lock_set(me, mine, 2,
						      LOCKDEV_FOREVER, 0,
						      NULL));
			ASSERT_EQ(0, lockdev_unlock_set(me, mine, 2));
		}
		KID_EXIT();
	}
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, lockdev_lock_set(ld, r, 2, LOCKDEV_FOREVER, 0,
					      NULL));
		ASSERT_EQ(0, lockdev_unlock_set(ld, r, 2));
	}
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

TEST(order_modes)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_deadlock_info info;
	struct lockdev_cycle_member m[2];
	struct lockdev_grant g;
	unsigned int old = 0;

	require_order(_metadata, ld);
	ASSERT_EQ(0, lockdev_set_order(ld, 0, &old));
	EXPECT_EQ(LOCKDEV_ORDER_STRICT, old);
	EXPECT_EQ(-EINVAL, lockdev_set_order(ld, 9, &old));

	/* Strict: level 1 after level 2 breaks the order. */
	ASSERT_EQ(0, lockdev_lock(ld, "lib-ord-b", LOCKDEV_MODE_SHARED, 2, 0,
				  NULL));
	poison(&g, sizeof(g));
	EXPECT_EQ(-EDEADLK, lockdev_lock(ld, "lib-ord-a", LOCKDEV_MODE_SHARED,
					 1, 0, &g));
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, g.result & LOCKDEV_RESULT_ORDER);
	EXPECT_NE(NULL, strstr(lockdev_strerror(-EDEADLK, g.result), "order"));
	EXPECT_EQ(1, lockdev_list(ld, NULL, 0));
	/* Unranked requests are never checked. */
	EXPECT_EQ(0, lockdev_lock(ld, "lib-ord-0", LOCKDEV_MODE_SHARED, 0, 0,
				  NULL));

	if (lib_has_call(lockdev_deadlock(ld, NULL, NULL, 0))) {
		poison(m, sizeof(m));
		ASSERT_EQ(1, lockdev_deadlock(ld, &info, m, 2));
		EXPECT_EQ(LOCKDEV_RESULT_ORDER, info.reason);
		EXPECT_EQ(1, info.nr_members);
		EXPECT_EQ(getpid(), m[0].pid);
		EXPECT_EQ(0, memcmp(m[0].held_name, "lib-ord-b", 10));
		EXPECT_EQ(0, memcmp(m[0].wait_name, "lib-ord-a", 10));
		EXPECT_EQ(2, m[0].held_level);
		EXPECT_EQ(1, m[0].wait_level);
		EXPECT_TRUE(poisoned(&m[1], sizeof(m[1])));
	}

	/* Warn: granted, and said. */
	ASSERT_EQ(0, lockdev_set_order(ld, LOCKDEV_ORDER_WARN, &old));
	EXPECT_EQ(LOCKDEV_ORDER_STRICT, old);
	ASSERT_EQ(0, lockdev_lock(ld, "lib-ord-a", LOCKDEV_MODE_SHARED, 1, 0,
				  &g));
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, g.result);
	EXPECT_NE(NULL, strstr(lockdev_strerror(0, g.result), "order"));
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));

	/* Off: granted, not said. */
	ASSERT_EQ(0, lockdev_set_order(ld, LOCKDEV_ORDER_OFF, &old));
	EXPECT_EQ(LOCKDEV_ORDER_WARN, old);
	ASSERT_EQ(0, lockdev_lock(ld, "lib-ord-a", LOCKDEV_MODE_SHARED, 1, 0,
				  &g));
	EXPECT_EQ(0, g.result);
	ASSERT_EQ(0, lockdev_set_order(ld, 0, &old));
	EXPECT_EQ(LOCKDEV_ORDER_OFF, old);
	lockdev_close(ld);
}

/* A set in strict order mode that breaks the order with what is held. */
TEST(set_order_violation)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_set_req r[2] = {
		{ .name = "lib-sov-a", .mode = LOCKDEV_MODE_SHARED, .level = 1 },
		{ .name = "lib-sov-c", .mode = LOCKDEV_MODE_SHARED, .level = 3 },
	};
	unsigned int failed;

	require_sets(_metadata, ld);
	require_order(_metadata, ld);
	ASSERT_EQ(0, lockdev_lock(ld, "lib-sov-b", LOCKDEV_MODE_SHARED, 2, 0,
				  NULL));
	EXPECT_EQ(-EDEADLK, lockdev_lock_set(ld, r, 2, 0, 0, &failed));
	EXPECT_EQ(0, failed);
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, r[0].result);
	EXPECT_EQ(1, lockdev_list(ld, NULL, 0));
	lockdev_close(ld);
}

/*
 * A cycle of two sessions: we hold A, the child holds B and waits for A;
 * our request for B fails with EDEADLK, and (once the module has the
 * reports) its result and the report name the cycle.
 */
TEST(cycle_report)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_deadlock_info info;
	struct lockdev_cycle_member m[LOCKDEV_CYCLE_MAX];
	struct lockdev_grant g;
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(ld, "lib-cr-a", LOCKDEV_MODE_EXCLUSIVE, 0, 0,
				  NULL));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev *me = lib_open(_metadata);

		ASSERT_EQ(0, lockdev_lock(me, "lib-cr-b",
					  LOCKDEV_MODE_EXCLUSIVE, 0, 0, NULL));
		kid_send(&k, 'B');
		EXPECT_EQ(0, lockdev_lock(me, "lib-cr-a",
					  LOCKDEV_MODE_EXCLUSIVE, 0, 0, NULL));
		KID_EXIT();
	}
	ASSERT_EQ('B', kid_recv(&k, WAIT_MS));
	expect_waiting(_metadata, ld, "lib-cr-a", k.pid, LOCKDEV_STATE_WAITING);
	poison(&g, sizeof(g));
	EXPECT_EQ(-EDEADLK, lockdev_lock(ld, "lib-cr-b", LOCKDEV_MODE_SHARED,
					 0, LOCKDEV_RESTART, &g));
	EXPECT_EQ(1, lockdev_list(ld, NULL, 0));
	require_report(_metadata, ld);
	EXPECT_EQ(LOCKDEV_RESULT_CYCLE, g.result);
	EXPECT_NE(NULL, strstr(lockdev_strerror(-EDEADLK, g.result), "cycle"));

	poison(m, sizeof(m));
	ASSERT_EQ(2, lockdev_deadlock(ld, &info, m, LOCKDEV_CYCLE_MAX));
	EXPECT_EQ(LOCKDEV_RESULT_CYCLE, info.reason);
	EXPECT_EQ(2, info.nr_members);
	EXPECT_GT(WAIT_MS * MS, info.age_ns);
	EXPECT_EQ(getpid(), m[0].pid);
	EXPECT_EQ(0, memcmp(m[0].wait_name, "lib-cr-b", 9));
	EXPECT_EQ(0, memcmp(m[0].held_name, "lib-cr-a", 9));
	EXPECT_EQ(k.pid, m[1].pid);
	EXPECT_EQ(0, memcmp(m[1].wait_name, "lib-cr-a", 9));
	EXPECT_EQ(0, memcmp(m[1].held_name, "lib-cr-b", 9));
	EXPECT_TRUE(poisoned(&m[2], sizeof(m[2])));
	/* Room for one: one written, two counted. */
	poison(m, sizeof(m));
	EXPECT_EQ(2, lockdev_deadlock(ld, &info, m, 1));
	EXPECT_TRUE(poisoned(&m[1], sizeof(m[1])));
	EXPECT_EQ(-EINVAL, lockdev_deadlock(ld, &info, NULL, 1));

	EXPECT_EQ(0, lockdev_unlock_name(ld, "lib-cr-a"));
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

TEST_HARNESS_MAIN
