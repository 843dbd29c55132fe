// SPDX-License-Identifier: GPL-2.0
/*
 * liblockdev: the null mode and locking by handle, and the lock value
 * block: lockdev_lock_value(), lockdev_convert_value(),
 * lockdev_unlock_value(), lockdev_downgrade_value() and
 * lockdev_query_value(), with their error paths, against the module. Other
 * lock owners are child processes with sessions of their own; every wait is
 * bounded. Lock names carry the test's pid: a lock stays resident, with its
 * value, after the test that made it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "lib_util.h"

static const uint8_t zero[LOCKDEV_VALUE_LEN];

/* A name no earlier run of this test used: "lib-val-<pid>-@what". */
static const char *vname(const char *what)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "lib-val-%d-%s", (int)getpid(), what);
	return buf;
}

/* Open a session, skipping the test when the module lacks values. */
static struct lockdev *val_open(struct __test_metadata *_metadata)
{
	lib_require(_metadata, LOCKDEV_FEATURE_RESIDENT, "values");
	return lib_open(_metadata);
}

/* A new lock's value is not valid; once set, every grant returns it. */
TEST(new_invalid_then_set)
{
	struct lockdev *ld = val_open(_metadata);
	const char *name = vname("new");
	const uint64_t rev = 0x1122334455667788ULL;
	struct lockdev_value v;
	struct lockdev_info info;
	struct lockdev_grant g;
	uint64_t got;

	poison(&v, sizeof(v));
	ASSERT_EQ(0, lockdev_lock_value(ld, name, LOCKDEV_MODE_EXCLUSIVE, 0,
					LOCKDEV_FOREVER, 0, &g, &v));
	EXPECT_EQ(LOCKDEV_RESULT_VALUE_INVALID, g.result);
	EXPECT_EQ(0, v.valid);
	EXPECT_EQ(0, memcmp(v.data, zero, sizeof(zero)));
	EXPECT_EQ(0, v.reserved0);
	EXPECT_STREQ("granted, but the lock's value is not valid",
		     lockdev_strerror(0, g.result));

	/* Held, not set yet: a query says not valid too. */
	poison(&v, sizeof(v));
	ASSERT_EQ(1, lockdev_query_value(ld, name, NULL, 0, &info, &v));
	EXPECT_TRUE(info.flags & LOCKDEV_QUERY_VALUE_INVALID);
	EXPECT_EQ(0, v.valid);
	EXPECT_EQ(0, memcmp(v.data, zero, sizeof(zero)));

	ASSERT_EQ(0, lockdev_unlock_value(ld, g.handle, &rev, sizeof(rev)));
	EXPECT_EQ(-ENOLCK, lockdev_unlock(ld, g.handle));

	/* Idle now: the query reads it, valid. */
	poison(&v, sizeof(v));
	ASSERT_EQ(0, lockdev_query_value(ld, name, NULL, 0, &info, &v));
	EXPECT_EQ(LOCKDEV_QUERY_IDLE, info.flags);
	EXPECT_EQ(1, v.valid);
	memcpy(&got, v.data, sizeof(got));
	EXPECT_EQ(rev, got);
	EXPECT_EQ(0, memcmp(v.data + sizeof(rev), zero,
			    sizeof(zero) - sizeof(rev)));

	/* A reader's grant carries it. */
	poison(&v, sizeof(v));
	ASSERT_EQ(0, lockdev_lock_value(ld, name, LOCKDEV_MODE_SHARED, 0, 0,
					0, &g, &v));
	EXPECT_EQ(0, g.result);
	EXPECT_EQ(1, v.valid);
	memcpy(&got, v.data, sizeof(got));
	EXPECT_EQ(rev, got);
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));

	/* The calls without the value do not say it is not valid. */
	ASSERT_EQ(0, lockdev_lock(ld, vname("new2"), LOCKDEV_MODE_EXCLUSIVE, 0,
				  0, &g));
	EXPECT_EQ(0, g.result);
	ASSERT_EQ(1, lockdev_query(ld, vname("new2"), NULL, 0, &info));
	EXPECT_EQ(0, info.flags);
	/* NULL and 0 set the value to zero bytes, valid. */
	ASSERT_EQ(0, lockdev_unlock_value(ld, g.handle, NULL, 0));
	ASSERT_EQ(0, lockdev_query_value(ld, vname("new2"), NULL, 0, NULL,
					 &v));
	EXPECT_EQ(1, v.valid);
	EXPECT_EQ(0, memcmp(v.data, zero, sizeof(zero)));
	lockdev_close(ld);
}

/* The whole block round-trips, set by an appender. */
TEST(full_block_from_append)
{
	struct lockdev *ld = val_open(_metadata);
	const char *name = vname("full");
	uint8_t set[LOCKDEV_VALUE_LEN];
	struct lockdev_value v;
	struct lockdev_grant g;
	unsigned int i;

	for (i = 0; i < sizeof(set); i++)
		set[i] = 0xa0 + i;
	ASSERT_EQ(0, lockdev_lock(ld, name, LOCKDEV_MODE_APPEND, 0, 0, &g));
	ASSERT_EQ(0, lockdev_unlock_value(ld, g.handle, set, sizeof(set)));
	ASSERT_EQ(0, lockdev_lock_value(ld, name, LOCKDEV_MODE_EXCLUSIVE, 0, 0,
					0, &g, &v));
	EXPECT_EQ(1, v.valid);
	EXPECT_EQ(0, memcmp(set, v.data, sizeof(set)));
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	lockdev_close(ld);
}

/* Only APPEND and EXCLUSIVE may set it; the lock stays held as it was. */
TEST(set_eperm)
{
	struct lockdev *ld = val_open(_metadata);
	const char *name = vname("eperm");
	const uint32_t one = 1, two = 2;
	struct lockdev_entry e[2];
	struct lockdev_value v;
	struct lockdev_grant g;
	uint32_t got;

	ASSERT_EQ(0, lockdev_lock(ld, name, LOCKDEV_MODE_EXCLUSIVE, 0, 0, &g));
	ASSERT_EQ(0, lockdev_unlock_value(ld, g.handle, &one, sizeof(one)));

	ASSERT_EQ(0, lockdev_lock(ld, name, LOCKDEV_MODE_SHARED, 0, 0, &g));
	EXPECT_EQ(-EPERM, lockdev_unlock_value(ld, g.handle, &two,
					       sizeof(two)));
	EXPECT_EQ(-EPERM, lockdev_downgrade_value(ld, g.handle,
						  LOCKDEV_MODE_NONE, &two,
						  sizeof(two), NULL));
	ASSERT_EQ(1, lockdev_query(ld, name, e, 2, NULL));
	EXPECT_EQ(LOCKDEV_MODE_SHARED, e[0].mode);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);

	/* In NONE: not on unlock, not on the way up. */
	ASSERT_EQ(0, lockdev_convert(ld, g.handle, LOCKDEV_MODE_NONE, 0, 0,
				     NULL));
	EXPECT_EQ(-EPERM, lockdev_unlock_value(ld, g.handle, &two,
					       sizeof(two)));
	EXPECT_EQ(-EPERM, lockdev_downgrade_value(ld, g.handle,
						  LOCKDEV_MODE_EXCLUSIVE, &two,
						  sizeof(two), NULL));
	ASSERT_EQ(1, lockdev_query(ld, name, e, 2, NULL));
	EXPECT_EQ(LOCKDEV_MODE_NONE, e[0].mode);
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));

	ASSERT_EQ(0, lockdev_query_value(ld, name, NULL, 0, NULL, &v));
	EXPECT_EQ(1, v.valid);
	memcpy(&got, v.data, sizeof(got));
	EXPECT_EQ(one, got);
	lockdev_close(ld);
}

/* Bad arguments fail in the library or the module, changing nothing. */
TEST(bad_arguments)
{
	struct lockdev *ld = val_open(_metadata);
	const char *name = vname("args");
	uint8_t big[LOCKDEV_VALUE_LEN + 1] = { 0 };
	struct lockdev_value v;
	struct lockdev_grant g;

	EXPECT_EQ(-EINVAL, lockdev_lock_value(ld, NULL, LOCKDEV_MODE_SHARED, 0,
					      0, 0, &g, &v));
	EXPECT_EQ(-EINVAL, lockdev_lock_value(ld, name, LOCKDEV_MODE_SHARED, 0,
					      0, 4, &g, &v));
	EXPECT_EQ(-EINVAL, lockdev_lock_value(ld, name, 0, 0, 0, 0, &g, &v));
	EXPECT_EQ(-EINVAL, lockdev_query_value(ld, NULL, NULL, 0, NULL, &v));

	ASSERT_EQ(0, lockdev_lock(ld, name, LOCKDEV_MODE_EXCLUSIVE, 0, 0, &g));
	EXPECT_EQ(-EINVAL, lockdev_unlock_value(ld, 0, big, 1));
	EXPECT_EQ(-EINVAL, lockdev_unlock_value(ld, g.handle, big,
						sizeof(big)));
	EXPECT_EQ(-EINVAL, lockdev_unlock_value(ld, g.handle, NULL, 1));
	EXPECT_EQ(-ENOLCK, lockdev_unlock_value(ld, g.handle + 1000, big, 1));
	EXPECT_EQ(-EINVAL, lockdev_downgrade_value(ld, 0, LOCKDEV_MODE_NONE,
						   big, 1, NULL));
	EXPECT_EQ(-EINVAL, lockdev_downgrade_value(ld, g.handle,
						   LOCKDEV_MODE_NONE, big,
						   sizeof(big), NULL));
	EXPECT_EQ(-EINVAL, lockdev_downgrade_value(ld, g.handle, 0, big, 1,
						   NULL));
	EXPECT_EQ(-ENOLCK, lockdev_downgrade_value(ld, g.handle + 1000,
						   LOCKDEV_MODE_NONE, big, 1,
						   NULL));
	EXPECT_EQ(-EINVAL, lockdev_convert_value(ld, 0, LOCKDEV_MODE_SHARED,
						 0, 0, &g, &v));
	EXPECT_EQ(-EINVAL, lockdev_convert_value(ld, g.handle,
						 LOCKDEV_MODE_SHARED, 0, 4,
						 &g, &v));
	EXPECT_EQ(-ENOLCK, lockdev_convert_value(ld, g.handle + 1000,
						 LOCKDEV_MODE_SHARED, 0, 0,
						 NULL, &v));

	/* Still held in EXCLUSIVE, the value never set. */
	ASSERT_EQ(1, lockdev_query_value(ld, name, NULL, 0, NULL, &v));
	EXPECT_EQ(0, v.valid);
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	lockdev_close(ld);
}

/*
 * By handle: NONE, up to EXCLUSIVE and down to NONE setting the value, up
 * again reading it, never passing the name.
 */
TEST(relock_by_handle)
{
	struct lockdev *ld = val_open(_metadata);
	const char *name = vname("relock");
	struct lockdev_grant g, c, d;
	struct lockdev_entry e[2];
	struct lockdev_value v;
	uint64_t rev, got;

	ASSERT_EQ(0, lockdev_lock(ld, name, LOCKDEV_MODE_NONE, 0, 0, &g));
	ASSERT_EQ(1, lockdev_query(ld, name, e, 2, NULL));
	EXPECT_EQ(LOCKDEV_MODE_NONE, e[0].mode);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);

	poison(&v, sizeof(v));
	ASSERT_EQ(0, lockdev_convert_value(ld, g.handle,
					   LOCKDEV_MODE_EXCLUSIVE, 0, 0, &c,
					   &v));
	EXPECT_EQ(g.handle, c.handle);
	EXPECT_EQ(LOCKDEV_RESULT_VALUE_INVALID, c.result);
	EXPECT_EQ(0, v.valid);
	for (rev = 1; rev <= 3; rev++) {
		ASSERT_EQ(0, lockdev_downgrade_value(ld, g.handle,
						     LOCKDEV_MODE_NONE, &rev,
						     sizeof(rev), &d));
		EXPECT_EQ(g.handle, d.handle);
		EXPECT_NE(c.generation, d.generation);
		ASSERT_EQ(1, lockdev_query(ld, name, e, 2, NULL));
		EXPECT_EQ(LOCKDEV_MODE_NONE, e[0].mode);
		poison(&v, sizeof(v));
		ASSERT_EQ(0, lockdev_convert_value(ld, g.handle,
						   LOCKDEV_MODE_EXCLUSIVE,
						   LOCKDEV_FOREVER, 0, &c,
						   &v));
		EXPECT_EQ(0, c.result);
		EXPECT_EQ(d.generation, c.generation);
		EXPECT_EQ(1, v.valid);
		memcpy(&got, v.data, sizeof(got));
		EXPECT_EQ(rev, got);
	}
	/* Down to NONE without setting it: the value stays. */
	ASSERT_EQ(0, lockdev_convert(ld, g.handle, LOCKDEV_MODE_NONE, 0, 0,
				     NULL));
	ASSERT_EQ(0, lockdev_convert_value(ld, g.handle, LOCKDEV_MODE_SHARED,
					   0, 0, NULL, &v));
	memcpy(&got, v.data, sizeof(got));
	EXPECT_EQ(3, got);
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	EXPECT_EQ(-ENOLCK, lockdev_convert(ld, g.handle, LOCKDEV_MODE_NONE, 0,
					   0, NULL));
	lockdev_close(ld);
}

/*
 * NONE is compatible with an EXCLUSIVE holder in another process; its
 * upgrade waits for that holder and gets the value it left.
 */
TEST(relock_waits_for_holder)
{
	struct lockdev *ld = val_open(_metadata);
	const char *name = vname("wait");
	const uint64_t rev = 42;
	struct lockdev_value v;
	struct lockdev_grant g;
	uint64_t got;
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(ld, name, LOCKDEV_MODE_NONE, 0, 0, &g));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev *me = lib_open(_metadata);
		struct lockdev_grant mine;

		ASSERT_EQ(0, lockdev_lock(me, name, LOCKDEV_MODE_EXCLUSIVE, 0,
					  0, &mine));
		kid_send(&k, 'X');
		ASSERT_EQ('u', kid_recv(&k, WAIT_MS));
		EXPECT_EQ(0, lockdev_unlock_value(me, mine.handle, &rev,
						  sizeof(rev)));
		KID_EXIT();
	}
	ASSERT_EQ('X', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(-EAGAIN, lockdev_convert_value(ld, g.handle,
						 LOCKDEV_MODE_SHARED, 0, 0,
						 NULL, &v));
	EXPECT_EQ(-ETIMEDOUT, lockdev_convert_value(ld, g.handle,
						    LOCKDEV_MODE_EXCLUSIVE,
						    100 * MS, 0, NULL, &v));
	ASSERT_EQ(0, kid_send(&k, 'u'));
	poison(&v, sizeof(v));
	ASSERT_EQ(0, lockdev_convert_value(ld, g.handle,
					   LOCKDEV_MODE_EXCLUSIVE,
					   10000 * MS, LOCKDEV_RESTART, NULL,
					   &v));
	EXPECT_EQ(1, v.valid);
	memcpy(&got, v.data, sizeof(got));
	EXPECT_EQ(rev, got);
	EXPECT_EQ(0, kid_reap(&k));
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	lockdev_close(ld);
}

/* A grant that waited gets the value its predecessor set on unlock. */
TEST(waiting_grant_carries_value)
{
	struct lockdev *ld = val_open(_metadata);
	const char *name = vname("handoff");
	const uint64_t rev = 7;
	struct lockdev_value v;
	struct lockdev_grant g;
	uint64_t got;
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(ld, name, LOCKDEV_MODE_EXCLUSIVE, 0, 0, &g));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev *me = lib_open(_metadata);
		struct lockdev_value mv;
		struct lockdev_grant mine;
		uint64_t r;

		kid_send(&k, 'S');
		ASSERT_EQ(0, lockdev_lock_value(me, name, LOCKDEV_MODE_SHARED,
						0, LOCKDEV_FOREVER,
						LOCKDEV_RESTART, &mine, &mv));
		memcpy(&r, mv.data, sizeof(r));
		kid_send(&k, mv.valid && r == rev ? 'V' : 'N');
		KID_EXIT();
	}
	ASSERT_EQ('S', kid_recv(&k, WAIT_MS));
	expect_waiting(_metadata, ld, name, k.pid, LOCKDEV_STATE_WAITING);
	ASSERT_EQ(0, lockdev_downgrade_value(ld, g.handle, LOCKDEV_MODE_SHARED,
					     &rev, sizeof(rev), NULL));
	EXPECT_EQ('V', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, kid_reap(&k));

	ASSERT_EQ(1, lockdev_query_value(ld, name, NULL, 0, NULL, &v));
	EXPECT_EQ(1, v.valid);
	memcpy(&got, v.data, sizeof(got));
	EXPECT_EQ(rev, got);
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	lockdev_close(ld);
}

/* A holder in APPEND that dies leaves the value not valid, and zero. */
TEST(owner_died_invalidates)
{
	struct lockdev *ld = val_open(_metadata);
	const char *name = vname("died");
	const uint64_t rev = 99;
	struct lockdev_info info;
	struct lockdev_value v;
	struct lockdev_grant g;
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(ld, name, LOCKDEV_MODE_EXCLUSIVE, 0, 0, &g));
	ASSERT_EQ(0, lockdev_unlock_value(ld, g.handle, &rev, sizeof(rev)));
	holder_start(_metadata, &k, name, LOCKDEV_MODE_APPEND);
	holder_stop(_metadata, &k, 'q');

	ASSERT_EQ(0, lockdev_query_value(ld, name, NULL, 0, &info, &v));
	EXPECT_TRUE(info.flags & LOCKDEV_QUERY_OWNER_DIED);
	EXPECT_TRUE(info.flags & LOCKDEV_QUERY_VALUE_INVALID);
	EXPECT_EQ(0, v.valid);
	poison(&v, sizeof(v));
	ASSERT_EQ(0, lockdev_lock_value(ld, name, LOCKDEV_MODE_EXCLUSIVE, 0, 0,
					0, &g, &v));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED | LOCKDEV_RESULT_VALUE_INVALID,
		  g.result);
	EXPECT_EQ(0, v.valid);
	EXPECT_EQ(0, memcmp(v.data, zero, sizeof(zero)));
	/* Repaired and set again: valid. */
	EXPECT_EQ(0, lockdev_consistent(ld, g.handle));
	ASSERT_EQ(0, lockdev_unlock_value(ld, g.handle, &rev, sizeof(rev)));
	ASSERT_EQ(0, lockdev_lock_value(ld, name, LOCKDEV_MODE_SHARED, 0, 0,
					0, &g, &v));
	EXPECT_EQ(0, g.result);
	EXPECT_EQ(1, v.valid);
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	lockdev_close(ld);
}

TEST_HARNESS_MAIN
