// SPDX-License-Identifier: GPL-2.0
/*
 * Locks of a cluster lockspace on one host: what lockdev does for any
 * lockspace holds when each grant also needs the host's DLM lock. Run in a
 * one-node cluster, which sets LOCKDEV_CLUSTER to the cluster's name:
 *
 *     selftests/vm/cluster -1 -- selftests/cluster/lock_test
 *
 * Each test creates a cluster lockspace of its own (a DLM lockspace is left
 * asynchronously, so names are not reused) and removes it in its teardown.
 * Other sessions are other processes (actors, util.h); every wait is
 * bounded.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"

#define S LOCKDEV_MODE_SHARED
#define A LOCKDEV_MODE_APPEND
#define X LOCKDEV_MODE_EXCLUSIVE
#define N LOCKDEV_MODE_NONE
#define NONBLOCK LOCKDEV_LOCK_NONBLOCK

FIXTURE(cl) {
	int fd;
	char space[64];
	struct locker a, b;
	bool a_up, b_up;
};

/* A new session attached to @space. */
static int cl_session(const char *space)
{
	struct lockdev_attach at = { .name = ptr(space),
				     .name_len = strlen(space) };
	int fd = open_session();

	if (fd >= 0 && ioctl(fd, LOCKDEV_IOC_ATTACH, &at)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cl_create(const char *space, const char *cluster)
{
	struct lockdev_space_ctl c = {
		.name = ptr(space), .name_len = strlen(space),
		.op = LOCKDEV_SPACE_CREATE, .flags = LOCKDEV_SPACE_CLUSTER,
		.mode = 0600, .uid = LOCKDEV_SPACE_KEEP,
		.gid = LOCKDEV_SPACE_KEEP, .cluster = ptr(cluster),
		.cluster_len = strlen(cluster),
	};
	int fd = open_session(), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, LOCKDEV_IOC_SPACE, &c);
	close(fd);
	return ret;
}

FIXTURE_SETUP(cl)
{
	static int seq;
	const char *cluster = getenv("LOCKDEV_CLUSTER");

	self->fd = -1;
	if (!cluster)
		SKIP(return, "no cluster: run it with selftests/vm/cluster -1");
	snprintf(self->space, sizeof(self->space), "lockdev_kst_%d_%d",
		 getpid(), ++seq);
	ASSERT_EQ(0, cl_create(self->space, cluster)) {
		TH_LOG("creating the cluster lockspace: %s", strerror(errno));
	}
	self->fd = cl_session(self->space);
	ASSERT_LE(0, self->fd);
}

/* Remove @space, FORCE: 0, or -1 with errno. */
static int cl_remove(const char *space)
{
	int fd = open_session(), ret;

	if (fd < 0)
		return -1;
	ret = space_ctl_call(fd, space, strlen(space), LOCKDEV_SPACE_REMOVE,
			     LOCKDEV_SPACE_FORCE, 0, 0, 0);
	close(fd);
	return ret;
}

/*
 * Wait until the host left the DLM lockspace of @space, removed, which it
 * does once its last session and the last of its locks are gone: 0, or -1
 * after @ms.
 */
static int cl_left(const char *space, int ms)
{
	char path[128];
	int i;

	snprintf(path, sizeof(path), "/sys/kernel/dlm/%s", space);
	for (i = 0; i < ms / 10 && !access(path, F_OK); i++)
		sleep_ms(10);
	return access(path, F_OK) ? 0 : -1;
}

FIXTURE_TEARDOWN(cl)
{
	if (self->a_up)
		locker_kill(&self->a);
	if (self->b_up)
		locker_kill(&self->b);
	if (self->fd < 0)
		return;
	close(self->fd);
	EXPECT_EQ(0, cl_remove(self->space)) {
		TH_LOG("removing %s: %s", self->space, strerror(errno));
	}
	EXPECT_EQ(0, cl_left(self->space, WAIT_MS));
}

/* Start actor @lk with a session of its own in the test's lockspace. */
static void cl_actor(struct __test_metadata *_metadata,
		     FIXTURE_DATA(cl) *self, struct locker *lk, bool *up)
{
	struct act_reply r;

	actor_start(_metadata, lk, -1);
	*up = true;
	actor_call(_metadata, lk, ACT_ATTACH, self->space, 0600, 0, 0, &r);
	ASSERT_EQ(0, r.ret) {
		TH_LOG("actor %d: attach: errno %d", lk->pid, r.err);
	}
}

/* The session's LOCK of @name in @mode with @flags: 0 or the errno. */
static int cl_lock(int fd, const char *name, __u32 mode, __u32 flags,
		   struct lockdev_lock *l)
{
	return lock_call(fd, name, mode, flags, l) ? errno : 0;
}

TEST_F(cl, exclusion_between_sessions)
{
	struct lockdev_lock l, l2;
	struct act_reply r;
	int fd2 = cl_session(self->space);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, cl_lock(self->fd, "mbox", X, 0, &l));
	EXPECT_EQ(EAGAIN, cl_lock(fd2, "mbox", X, NONBLOCK, &l2));
	EXPECT_EQ(EAGAIN, cl_lock(fd2, "mbox", S, NONBLOCK, &l2));
	cl_actor(_metadata, self, &self->a, &self->a_up);
	actor_must_wait(_metadata, &self->a, self->fd, "mbox", X, 0);
	actor_quiet(_metadata, &self->a, 300);
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	actor_granted(_metadata, &self->a, &r);
	EXPECT_EQ(EAGAIN, cl_lock(fd2, "mbox", S, NONBLOCK, &l2));
	actor_release(_metadata, &self->a, "mbox");
	EXPECT_EQ(0, cl_lock(fd2, "mbox", S, NONBLOCK, &l2));
	EXPECT_EQ(0, cl_lock(self->fd, "mbox", S, NONBLOCK, &l));
	close(fd2);
}

TEST_F(cl, waiting_exclusive_blocks_new_readers)
{
	struct lockdev_lock l, l2;
	struct act_reply r;
	int fd2 = cl_session(self->space);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, cl_lock(self->fd, "idx", S, 0, &l));
	cl_actor(_metadata, self, &self->a, &self->a_up);
	actor_must_wait(_metadata, &self->a, self->fd, "idx", X, 0);
	EXPECT_EQ(EAGAIN, cl_lock(fd2, "idx", S, NONBLOCK, &l2));
	/* APPEND does not block readers: a reader goes past a waiting one. */
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	actor_granted(_metadata, &self->a, &r);
	actor_release(_metadata, &self->a, "idx");
	ASSERT_EQ(0, cl_lock(self->fd, "idx", S, 0, &l));
	cl_actor(_metadata, self, &self->b, &self->b_up);
	actor_must_wait(_metadata, &self->b, self->fd, "idx", X, 0);
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	actor_granted(_metadata, &self->b, &r);
	close(fd2);
}

TEST_F(cl, value_and_generation)
{
	struct lockdev_unlock u = { .flags = LOCKDEV_UNLOCK_SET_VALUE };
	struct lockdev_lock l;
	__u64 g1, g2;

	ASSERT_EQ(0, cl_lock(self->fd, "v", X, LOCKDEV_LOCK_VALUE, &l));
	EXPECT_TRUE(l.result & LOCKDEV_RESULT_VALUE_INVALID);
	g1 = l.generation;
	/* A cluster lockspace's generations carry the host's tag. */
	EXPECT_NE(0, g1 >> 40);
	u.handle = l.handle;
	memcpy(u.value, "uid 4711", 8);
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_UNLOCK, &u));
	g2 = expect_idle_lock(_metadata, self->fd, "v");
	EXPECT_NE(g1, g2);
	EXPECT_EQ(g1 >> 40, g2 >> 40);
	ASSERT_EQ(0, cl_lock(self->fd, "v", S, LOCKDEV_LOCK_VALUE, &l));
	EXPECT_FALSE(l.result & LOCKDEV_RESULT_VALUE_INVALID);
	EXPECT_EQ(0, memcmp(l.value, "uid 4711", 8));
	EXPECT_EQ(g2, l.generation);
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	/* SHARED changes no generation. */
	EXPECT_EQ(g2, expect_idle_lock(_metadata, self->fd, "v"));
}

TEST_F(cl, none_converts_by_handle)
{
	struct lockdev_lock l, l2;
	int fd2 = cl_session(self->space);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, cl_lock(self->fd, "n", N, 0, &l));
	ASSERT_EQ(0, cl_lock(fd2, "n", X, NONBLOCK, &l2));
	EXPECT_EQ(-1, convert_nonblock(self->fd, l.handle, X));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, unlock_handle(fd2, l2.handle));
	EXPECT_EQ(0, convert_nonblock(self->fd, l.handle, X));
	EXPECT_EQ(EAGAIN, cl_lock(fd2, "n", S, NONBLOCK, &l2));
	EXPECT_EQ(0, convert_nonblock(self->fd, l.handle, N));
	EXPECT_EQ(0, cl_lock(fd2, "n", S, NONBLOCK, &l2));
	close(fd2);
}

TEST_F(cl, local_deadlock_detected)
{
	struct lockdev_lock l;
	struct act_reply r;

	cl_actor(_metadata, self, &self->a, &self->a_up);
	ASSERT_EQ(0, cl_lock(self->fd, "a", X, 0, &l));
	actor_hold(_metadata, &self->a, "b", X, 0);
	actor_must_wait(_metadata, &self->a, self->fd, "a", X, 0);
	EXPECT_EQ(EDEADLK, cl_lock(self->fd, "b", X, 0, &l));
	EXPECT_EQ(0, unlock_name(self->fd, "a"));
	actor_granted(_metadata, &self->a, &r);
}

TEST_F(cl, owner_died_after_kill)
{
	struct lockdev_lock l;
	struct lockdev_consistent c = { 0 };
	int status;

	cl_actor(_metadata, self, &self->a, &self->a_up);
	actor_hold(_metadata, &self->a, "od", X, 0);
	kill(self->a.pid, SIGKILL);
	waitpid(self->a.pid, &status, 0);
	self->a_up = false;
	ASSERT_EQ(0, cl_lock(self->fd, "od", X, LOCKDEV_LOCK_VALUE, &l));
	EXPECT_TRUE(l.result & LOCKDEV_RESULT_OWNER_DIED);
	EXPECT_TRUE(l.result & LOCKDEV_RESULT_VALUE_INVALID);
	c.handle = l.handle;
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_CONSISTENT, &c));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	ASSERT_EQ(0, cl_lock(self->fd, "od", X, 0, &l));
	EXPECT_FALSE(l.result & LOCKDEV_RESULT_OWNER_DIED);
}

/* Names longer than the DLM takes are hashed: they stay distinct locks. */
TEST_F(cl, long_names_stay_distinct)
{
	char n1[201], n2[201], n3[201];
	struct lockdev_lock l1, l2, l3, l;
	int fd2 = cl_session(self->space);

	ASSERT_LE(0, fd2);
	long_name(n1, 200, "user/");
	memcpy(n2, n1, sizeof(n2));
	n2[199] = n1[199] == 'x' ? 'y' : 'x';
	memcpy(n3, n1, sizeof(n3));
	n3[50] = n1[50] == 'x' ? 'y' : 'x';
	ASSERT_EQ(0, cl_lock(self->fd, n1, X, NONBLOCK, &l1));
	ASSERT_EQ(0, cl_lock(fd2, n2, X, NONBLOCK, &l2));
	ASSERT_EQ(0, cl_lock(fd2, n3, X, NONBLOCK, &l3));
	EXPECT_EQ(EAGAIN, cl_lock(fd2, n1, S, NONBLOCK, &l));
	EXPECT_EQ(0, unlock_handle(self->fd, l1.handle));
	EXPECT_EQ(0, cl_lock(fd2, n1, S, NONBLOCK, &l));
	close(fd2);
}

TEST_F(cl, lock_set_nonblock)
{
	struct lockdev_set_item it[3];
	struct lockdev_lock_set s;
	struct lockdev_lock l;
	int fd2 = cl_session(self->space);

	ASSERT_LE(0, fd2);
	set_item(&it[0], "s1", X, 0);
	set_item(&it[1], "s2", S, 0);
	set_item(&it[2], "s3", A, 0);
	ASSERT_EQ(0, set_call(self->fd, it, 3, NONBLOCK, 0, &s));
	EXPECT_EQ(EAGAIN, cl_lock(fd2, "s1", S, NONBLOCK, &l));
	set_item(&it[0], "s4", X, 0);
	set_item(&it[1], "s3", X, 0);
	EXPECT_EQ(-1, set_call(fd2, it, 2, NONBLOCK, 0, &s));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, s.failed);
	close(fd2);
}

TEST_F(cl, async_request_completes)
{
	struct lockdev_completion comp;
	struct lockdev_lock l, l2;
	int fd2 = cl_session(self->space);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, cl_lock(self->fd, "as", X, 0, &l));
	lock_input(&l2, "as", X, LOCKDEV_LOCK_ASYNC);
	ASSERT_EQ(0, ioctl(fd2, LOCKDEV_IOC_LOCK, &l2));
	EXPECT_TRUE(l2.result & LOCKDEV_RESULT_QUEUED);
	EXPECT_EQ(0, poll_in(fd2, 200));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	ASSERT_NE(0, poll_in(fd2, WAIT_MS));
	ASSERT_EQ(sizeof(comp), read(fd2, &comp, sizeof(comp)));
	EXPECT_EQ(0, comp.result);
	EXPECT_EQ(0, unlock_handle(fd2, l2.handle));
	close(fd2);
}

/* Many locks each with a DLM lock, taken and given back by closing. */
TEST_F(cl, many_locks_released_by_close)
{
	struct lockdev_lock l;
	char name[32];
	int fd2 = cl_session(self->space), i;

	ASSERT_LE(0, fd2);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		ASSERT_EQ(0, cl_lock(fd2, name, i % 2 ? X : A, 0, &l));
	}
	EXPECT_EQ(EAGAIN, cl_lock(self->fd, "m7", S, NONBLOCK, &l));
	close(fd2);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		ASSERT_EQ(0, cl_lock(self->fd, name, X, NONBLOCK, &l));
	}
}

#define DROP_ROUNDS	4
#define DROP_LOCKS	100
/* Well within the collector's period (10 s), which it does not wait for. */
#define DROP_LEFT_MS	5000

/*
 * A child attached to @space that takes DROP_LOCKS locks, each with a DLM
 * lock, gives back every third, says so on @ready and waits to be killed,
 * by the test or with it.
 */
static pid_t cl_dropper(const char *space, int ready)
{
	struct lockdev_lock l;
	char name[32];
	pid_t pid = fork();
	int fd, i;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = cl_session(space);
	for (i = 0; fd >= 0 && i < DROP_LOCKS; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		if (cl_lock(fd, name, i % 2 ? X : A, 0, &l) ||
		    (i % 3 == 0 && unlock_handle(fd, l.handle)))
			_exit(1);
	}
	if (fd < 0 || write(ready, "r", 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

/*
 * Locks whose last reference goes while their DLM locks are given back:
 * held by a process killed before or after its lockspace is removed, idle
 * ones dropped with the lockspace. Each hands its lock to the DLM work,
 * which releases the DLM lock and frees it; the host leaves the DLM
 * lockspace once every one is freed, soon after the last session went
 * whichever came first, the removal or the kill (the owner-died locks the
 * kill leaves go with the lockspace). Rounds of it make the debug kernel's
 * KASAN likely to see a lock touched after the work freed it.
 */
TEST_F_TIMEOUT(cl, locks_dropped_with_their_lockspace, 300)
{
	const char *cluster = getenv("LOCKDEV_CLUSTER");
	int round, p[2], status;
	char space[80], c;
	__u64 t0;
	pid_t pid;

	for (round = 0; round < DROP_ROUNDS; round++) {
		t0 = now_ns();
		snprintf(space, sizeof(space), "%s_drop%d", self->space,
			 round);
		ASSERT_EQ(0, cl_create(space, cluster));
		ASSERT_EQ(0, pipe(p));
		pid = cl_dropper(space, p[1]);
		ASSERT_LT(0, pid);
		close(p[1]);
		ASSERT_NE(0, poll_in(p[0], WAIT_MS));
		ASSERT_EQ(1, read(p[0], &c, 1));
		close(p[0]);
		/* Odd rounds remove the lockspace while the child holds. */
		if (round % 2)
			EXPECT_EQ(0, cl_remove(space));
		kill(pid, SIGKILL);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		if (!(round % 2))
			EXPECT_EQ(0, cl_remove(space));
		EXPECT_EQ(0, cl_left(space, DROP_LEFT_MS)) {
			TH_LOG("round %d: the host is still in %s", round,
			       space);
		}
		TH_LOG("round %d: %llu ms", round,
		       (unsigned long long)(now_ns() - t0) / 1000000);
	}
}

/*
 * What creating a cluster lockspace refuses on a host in a cluster: another
 * cluster's name, a name that exists. The name is free afterwards.
 */
TEST(create_errors)
{
	const char *cluster = getenv("LOCKDEV_CLUSTER");
	char name[64];
	int fd;

	if (!cluster)
		SKIP(return, "no cluster: run it with selftests/vm/cluster -1");
	snprintf(name, sizeof(name), "lockdev_kst_%d_errors", getpid());
	EXPECT_EQ(-1, cl_create(name, "not-this-cluster"));
	EXPECT_EQ(EBADR, errno);
	ASSERT_EQ(0, cl_create(name, cluster));
	EXPECT_EQ(-1, cl_create(name, cluster));
	EXPECT_EQ(EEXIST, errno);
	fd = open_session();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, space_ctl_call(fd, name, strlen(name),
				    LOCKDEV_SPACE_REMOVE, 0, 0, 0, 0));
	close(fd);
}

TEST_HARNESS_MAIN
