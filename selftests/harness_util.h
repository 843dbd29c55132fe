/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the lockdev selftests that need the kselftest harness
 * (_metadata, ASSERT_*, SKIP): include after kselftest_harness.h and util.h.
 */
#ifndef LOCKDEV_SELFTESTS_HARNESS_UTIL_H
#define LOCKDEV_SELFTESTS_HARNESS_UTIL_H

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "util.h"

static inline void expect_snap(struct __test_metadata *_metadata, int fd,
			       const char *name, const struct snap *before)
{
	struct snap now;
	__u32 i;

	take_snap(fd, name, &now);
	EXPECT_EQ(0, now.ret);
	EXPECT_EQ(before->generation, now.generation);
	EXPECT_EQ(before->lock_flags, now.lock_flags);
	ASSERT_EQ(before->nr, now.nr);
	for (i = 0; i < now.nr && i < MAXE; i++) {
		EXPECT_EQ(before->e[i].session, now.e[i].session);
		EXPECT_EQ(before->e[i].pid, now.e[i].pid);
		EXPECT_EQ(before->e[i].mode, now.e[i].mode);
		EXPECT_EQ(before->e[i].state, now.e[i].state);
		EXPECT_EQ(before->e[i].level, now.e[i].level);
	}
}

/* The lock must not exist: generation 0, nobody in it, entries untouched. */
static inline void expect_no_lock(struct __test_metadata *_metadata, int fd,
				  const char *name)
{
	struct lockdev_entry e[2];
	struct lockdev_query q;

	ASSERT_EQ(0, query(fd, name, &q, e, 2));
	EXPECT_EQ(0, q.generation);
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(0, q.lock_flags);
	EXPECT_TRUE(poisoned(e, sizeof(e)));
}

/* Skip when the module does not implement the lock calls. */
static inline void require_lock_feature(struct __test_metadata *_metadata)
{
	struct lockdev_version v = { 0 };
	int fd = open_session();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_VERSION, &v));
	close(fd);
	if (!(v.features & LOCKDEV_FEATURE_LOCK))
		SKIP(_exit(255), "the module lacks LOCKDEV_FEATURE_LOCK");
}

/*
 * Start a locker on @name: its own session if @fd < 0, else the test's
 * session @fd, shared. After each grant it writes @idx to @order if >= 0.
 */
static inline void locker_start(struct __test_metadata *_metadata,
				struct locker *lk, int fd, const char *name,
				int order, int idx)
{
	int c[2], r[2];

	ASSERT_EQ(0, pipe(c));
	ASSERT_EQ(0, pipe(r));
	fflush(stdout);
	fflush(stderr);
	lk->pid = fork();
	ASSERT_LE(0, lk->pid);
	if (lk->pid == 0) {
		close(c[1]);
		close(r[0]);
		locker_main(fd, name, c[0], r[1], order, idx);
	}
	close(c[0]);
	close(r[1]);
	lk->cmd = c[1];
	lk->reply = r[0];
}

static inline void locker_send(struct __test_metadata *_metadata,
			       struct locker *lk, const struct locker_cmd *c)
{
	ASSERT_EQ(0, write_all(lk->cmd, c, sizeof(*c)));
}

/* Ask the locker to lock in @mode with @flags; the answer comes later. */
static inline void locker_lock(struct __test_metadata *_metadata,
			       struct locker *lk, __u32 mode, __u32 flags)
{
	struct locker_cmd c = { .op = OP_LOCK, .mode = mode, .flags = flags };

	locker_send(_metadata, lk, &c);
}

/* Send one command and wait for its answer, which must come. */
static inline void locker_call(struct __test_metadata *_metadata,
			       struct locker *lk, __u32 op, __u32 mode,
			       __u32 flags, struct locker_reply *r)
{
	struct locker_cmd c = { .op = op, .mode = mode, .flags = flags };

	locker_send(_metadata, lk, &c);
	ASSERT_TRUE(locker_answer(lk, r, WAIT_MS)) {
		TH_LOG("locker %d did not answer op %u", lk->pid, op);
	}
}

/* Lock in @mode from the locker; the grant must come at once. */
static inline void locker_must_lock(struct __test_metadata *_metadata,
				    struct locker *lk, __u32 mode,
				    struct locker_reply *r)
{
	locker_call(_metadata, lk, OP_LOCK, mode, 0, r);
	ASSERT_EQ(0, r->ret) {
		TH_LOG("locker %d: lock failed with errno %d", lk->pid, r->err);
	}
}

/* Ask for @mode, blocking, and wait until QUERY shows the request waiting. */
static inline void locker_must_wait(struct __test_metadata *_metadata,
				    struct locker *lk, int fd,
				    const char *name, __u32 mode)
{
	struct locker_reply r;

	locker_lock(_metadata, lk, mode, 0);
	ASSERT_TRUE(wait_entry(fd, name, lk->pid, LOCKDEV_STATE_WAITING)) {
		if (locker_answer(lk, &r, 0))
			TH_LOG("locker %d did not wait: ret %d errno %d",
			       lk->pid, r.ret, r.err);
		else
			TH_LOG("locker %d never showed up waiting", lk->pid);
	}
}

/* The locker must not have answered anything within QUIET_MS. */
static inline void locker_quiet(struct __test_metadata *_metadata,
				struct locker *lk, int ms)
{
	struct locker_reply r;

	ASSERT_FALSE(locker_answer(lk, &r, ms)) {
		TH_LOG("locker %d answered op %u: ret %d errno %d, expected no answer",
		       lk->pid, r.op, r.ret, r.err);
	}
}

/* Wait for the answer to an earlier request, which must be a grant. */
static inline void locker_granted(struct __test_metadata *_metadata,
				  struct locker *lk, struct locker_reply *r)
{
	ASSERT_TRUE(locker_answer(lk, r, WAIT_MS)) {
		TH_LOG("locker %d was not granted in time", lk->pid);
	}
	ASSERT_EQ(0, r->ret) {
		TH_LOG("locker %d: errno %d, expected a grant", lk->pid, r->err);
	}
}

#endif /* LOCKDEV_SELFTESTS_HARNESS_UTIL_H */
