// SPDX-License-Identifier: GPL-2.0
/*
 * Handles: a handle that ended (its lock released) is never valid again in
 * its session, also after thousands of lock and unlock cycles have reused
 * the module's internal slots: UNLOCK, CONVERT and CONSISTENT of it fail
 * with ENOLCK and CANCEL with ENOENT, and none of them ever acts on the
 * lock that holds the slot now. Every handle a session gets is new.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"

#define S LOCKDEV_MODE_SHARED
#define X LOCKDEV_MODE_EXCLUSIVE
#define NONBLOCK LOCKDEV_LOCK_NONBLOCK

/* Lock and unlock cycles of the reuse test. */
#define CYCLES		3000
/* Locks held at once in the wide test. */
#define WIDE		256

static int consistent_h(int fd, __u64 handle)
{
	struct lockdev_consistent c;

	memset(&c, 0, sizeof(c));
	c.handle = handle;
	return ioctl(fd, LOCKDEV_IOC_CONSISTENT, &c);
}

static int cancel_h(int fd, __u64 handle)
{
	struct lockdev_cancel c;

	memset(&c, 0, sizeof(c));
	c.handle = handle;
	return ioctl(fd, LOCKDEV_IOC_CANCEL, &c);
}

/* Only for TEST_F_TIMEOUT: the reuse tests run long on slow lanes. */
FIXTURE(hnd) {
	int unused;
};

FIXTURE_SETUP(hnd)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(hnd)
{
}

/* Every call on ended handle @h fails and leaves the session as it was. */
static void expect_ended(struct __test_metadata *_metadata, int fd,
			 __u64 h, int live)
{
	EXPECT_EQ(-1, unlock_handle(fd, h)) {
		TH_LOG("UNLOCK of ended handle %#llx succeeded",
		       (unsigned long long)h);
	}
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, convert_nonblock(fd, h, S)) {
		TH_LOG("CONVERT of ended handle %#llx succeeded",
		       (unsigned long long)h);
	}
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, consistent_h(fd, h));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, cancel_h(fd, h));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(live, list_count(fd));
}

/* Whether @h is among the @n handles at @old. */
static bool known(const __u64 *old, int n, __u64 h)
{
	int i;

	for (i = 0; i < n; i++)
		if (old[i] == h)
			return true;
	return false;
}

/*
 * Lock a new name while the previous handle has just ended (so its slot is
 * free for the new lock), check the ended handle is refused and the new
 * lock untouched, unlock. At the end, every old handle again, while other
 * locks hold the slots.
 */
TEST_F_TIMEOUT(hnd, ended_never_valid, 120)
{
	__u64 *old = calloc(CYCLES, sizeof(*old)), prev = 0;
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	struct lockdev_lock keep, l, live[8];
	char name[64], base[32];
	int fd = open_session(), i, n = 0;

	ASSERT_NE(NULL, old);
	ASSERT_LE(0, fd);
	snprintf(base, sizeof(base), "hnd-%d", getpid());
	snprintf(name, sizeof(name), "%s-keep", base);
	ASSERT_EQ(0, lock_call(fd, name, X, NONBLOCK, &keep));
	for (i = 0; i < CYCLES; i++) {
		snprintf(name, sizeof(name), "%s-%d", base, i % 4);
		ASSERT_EQ(0, lock_call(fd, name, X, NONBLOCK, &l)) {
			TH_LOG("cycle %d: errno %d", i, errno);
		}
		EXPECT_NE(0, l.handle);
		EXPECT_NE(keep.handle, l.handle);
		EXPECT_FALSE(known(old, n, l.handle)) {
			TH_LOG("cycle %d: handle %#llx given out again", i,
			       (unsigned long long)l.handle);
		}
		if (prev) {
			expect_ended(_metadata, fd, prev, 2);
			ASSERT_EQ(0, query(fd, name, &q, e, MAXE));
			EXPECT_EQ(1, q.nr_entries);
			EXPECT_EQ(X, e[0].mode);
		}
		ASSERT_EQ(0, unlock_handle(fd, l.handle));
		old[n++] = l.handle;
		prev = l.handle;
		if (!_metadata->passed)
			break;
	}

	/* New locks in the slots; every old handle refused, none touched. */
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "%s-live-%d", base, i);
		ASSERT_EQ(0, lock_call(fd, name, X, NONBLOCK, &live[i]));
		EXPECT_FALSE(known(old, n, live[i].handle));
	}
	for (i = 0; i < n && _metadata->passed; i++)
		expect_ended(_metadata, fd, old[i], 9);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "%s-live-%d", base, i);
		ASSERT_EQ(0, query(fd, name, &q, e, MAXE));
		EXPECT_EQ(1, q.nr_entries);
		EXPECT_EQ(X, e[0].mode);
		EXPECT_EQ(0, unlock_handle(fd, live[i].handle));
	}
	EXPECT_EQ(0, unlock_handle(fd, keep.handle));
	close(fd);
	free(old);
}

/* Many held at once, all released, as many again: no old handle works. */
TEST_F_TIMEOUT(hnd, ended_never_valid_wide, 120)
{
	__u64 *old = calloc(WIDE, sizeof(*old));
	struct lockdev_lock l[WIDE];
	char name[64];
	int fd = open_session(), i, round;

	ASSERT_NE(NULL, old);
	ASSERT_LE(0, fd);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < WIDE; i++) {
			snprintf(name, sizeof(name), "hndw-%d-%d-%d", getpid(),
				 round, i);
			ASSERT_EQ(0, lock_call(fd, name, round ? X : S,
					       NONBLOCK, &l[i]));
			if (round)
				EXPECT_FALSE(known(old, WIDE, l[i].handle));
		}
		EXPECT_EQ(WIDE, list_count(fd));
		if (round)
			break;
		for (i = 0; i < WIDE; i++) {
			ASSERT_EQ(0, unlock_handle(fd, l[i].handle));
			old[i] = l[i].handle;
		}
	}
	for (i = 0; i < WIDE && _metadata->passed; i++)
		expect_ended(_metadata, fd, old[i], WIDE);
	for (i = 0; i < WIDE; i++) {
		snprintf(name, sizeof(name), "hndw-%d-1-%d", getpid(), i);
		EXPECT_EQ(1, count_state(fd, name, LOCKDEV_STATE_HELD));
	}
	close(fd);
	free(old);
}

/* Locks of the room test: more than a session keeps room for when idle. */
#define ROOM		200

/* Lock and unlock the ROOM names of @tag in session @fd. */
static int room_cycle(int fd, const char *tag)
{
	struct lockdev_lock l[ROOM];
	char name[64];
	int i;

	for (i = 0; i < ROOM; i++) {
		snprintf(name, sizeof(name), "room-%d-%s-%d", getpid(), tag, i);
		if (lock_call(fd, name, X, NONBLOCK, &l[i]))
			return -1;
	}
	for (i = 0; i < ROOM; i++)
		if (unlock_handle(fd, l[i].handle))
			return -1;
	return 0;
}

/*
 * A session that had many requests gives their room back when its last
 * ends: the same locks taken and released in a second session leave the
 * module's memory as the first did (the locks stay resident, idle).
 */
TEST(room_given_back)
{
	int s1 = open_session(), s2 = open_session();
	long long first;

	ASSERT_LE(0, s1);
	ASSERT_LE(0, s2);
	ASSERT_EQ(0, room_cycle(s1, "a"));
	first = stat_value("memory");
	ASSERT_LT(0, first);
	ASSERT_EQ(0, room_cycle(s2, "a"));
	EXPECT_EQ(first, stat_value("memory"));
	/* And the session still works, with handles it never gave. */
	ASSERT_EQ(0, room_cycle(s1, "a"));
	EXPECT_EQ(first, stat_value("memory"));
	close(s2);
	close(s1);
}

/*
 * An asynchronous request's handle ends with its completion: when it was
 * cancelled, or granted and released, the handle is refused as any other.
 */
TEST(async_handle_ended)
{
	struct lockdev_completion c;
	struct lockdev_lock l, w;
	char name[64];
	int fd = open_session(), fd2 = open_session();

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	snprintf(name, sizeof(name), "hnda-%d", getpid());
	ASSERT_EQ(0, lock_call(fd2, name, X, NONBLOCK, &l));
	ASSERT_EQ(0, lock_call(fd, name, X, LOCKDEV_LOCK_ASYNC, &w));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, w.result & LOCKDEV_RESULT_QUEUED);
	ASSERT_EQ(0, cancel_h(fd, w.handle));
	ASSERT_NE(0, poll_in(fd, SOON_MS) & POLLIN);
	ASSERT_EQ(sizeof(c), read(fd, &c, sizeof(c)));
	EXPECT_EQ(-ECANCELED, c.result);
	expect_ended(_metadata, fd, w.handle, 0);
	ASSERT_EQ(0, unlock_handle(fd2, l.handle));
	ASSERT_EQ(0, lock_call(fd, name, X, NONBLOCK, &l));
	EXPECT_NE(w.handle, l.handle);
	expect_ended(_metadata, fd, w.handle, 1);
	EXPECT_EQ(0, unlock_handle(fd, l.handle));
	close(fd);
	close(fd2);
}

TEST_HARNESS_MAIN
