// SPDX-License-Identifier: GPL-2.0
/*
 * liblockdev: sessions, lock, trylock, timed lock, unlock, convert,
 * owner-died, generations, queries and lockdev_strerror(), against the
 * module. Other lock owners are child processes with sessions of their own;
 * every wait is bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "lib_util.h"

TEST(open_close)
{
	struct lockdev *ld = NULL, *ld2;
	struct lockdev_completion c;
	int fd;

	errno = 4321;
	EXPECT_EQ(-EINVAL, lockdev_open(&ld, 1));
	EXPECT_EQ(-EINVAL, lockdev_open(&ld, LOCKDEV_OPEN_NOCREATE));
	EXPECT_EQ(NULL, ld);
	/* Failures return the error and leave errno alone. */
	EXPECT_EQ(4321, errno);

	ld = lib_open(_metadata);
	fd = lockdev_fd(ld);
	ASSERT_LE(0, fd);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_NONBLOCK, fcntl(fd, F_GETFL) & O_NONBLOCK);

	/* Nor do the calls whose system calls fail. */
	errno = 4321;
	EXPECT_EQ(-ENOLCK, lockdev_unlock(ld, 12345));
	EXPECT_EQ(-EBADF, lockdev_open_fd(&ld2, 1000, 0));
	EXPECT_EQ(0, lockdev_read_completions(ld, &c, 1, 0, 0));
	EXPECT_EQ(4321, errno);
	lockdev_close(ld);
	EXPECT_EQ(4321, errno);
	EXPECT_EQ(-1, fcntl(fd, F_GETFD));
	lockdev_close(NULL);
}

TEST(get_version)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_version v;

	poison(&v, sizeof(v));
	ASSERT_EQ(0, lockdev_get_version(ld, &v));
	EXPECT_EQ(LOCKDEV_ABI_VERSION, v.abi_version);
	EXPECT_EQ(LOCKDEV_NAME_MAX, v.name_max);
	EXPECT_EQ(0, v.flags);
	EXPECT_TRUE(v.features & LOCKDEV_FEATURE_LOCK);
	EXPECT_EQ(0, v.features & ~LOCKDEV_FEATURE_ALL);
	lockdev_close(ld);
}

TEST(open_fd)
{
	struct lockdev *ld;
	int raw, null;

	raw = open_session();
	ASSERT_LE(0, raw);
	ASSERT_EQ(0, lockdev_open_fd(&ld, raw, 0));
	EXPECT_NE(raw, lockdev_fd(ld));
	/* One session: a lock taken through the handle is the raw fd's. */
	ASSERT_EQ(0, lockdev_lock(ld, "lib-fd", LOCKDEV_MODE_SHARED, 0, 0,
				  NULL));
	lockdev_close(ld);
	EXPECT_EQ(1, list_count(raw));
	EXPECT_EQ(0, unlock_name(raw, "lib-fd"));
	EXPECT_EQ(-EINVAL, lockdev_open_fd(&ld, raw, 1));
	EXPECT_EQ(-EINVAL, lockdev_open_fd(&ld, -1, 0));
	close(raw);
	EXPECT_EQ(-EBADF, lockdev_open_fd(&ld, raw, 0));

	null = open("/dev/null", O_RDWR);
	ASSERT_LE(0, null);
	EXPECT_EQ(-ENOTTY, lockdev_open_fd(&ld, null, 0));
	close(null);
}

TEST(open_space)
{
	char space[64], big[LOCKDEV_NAME_MAX + 2];
	struct lockdev *a, *b, *ld;
	struct lockdev_info info;
	struct kid k;

	snprintf(space, sizeof(space), "lib-space-%d", getpid());
	EXPECT_EQ(-ENOENT, lockdev_open_space(&ld, space, 0600,
					      LOCKDEV_OPEN_NOCREATE));
	ASSERT_EQ(0, lockdev_open_space(&a, space, 0600, 0));
	ASSERT_EQ(0, lockdev_lock(a, "mbox", LOCKDEV_MODE_EXCLUSIVE, 0, 0,
				  NULL));
	/* The same lockspace sees the lock, the default one does not. */
	ASSERT_EQ(0, lockdev_open_space(&b, space, 0, LOCKDEV_OPEN_NOCREATE));
	EXPECT_EQ(1, lockdev_query(b, "mbox", NULL, 0, &info));
	EXPECT_NE(0, info.generation);
	EXPECT_EQ(-EAGAIN, lockdev_trylock(b, "mbox", LOCKDEV_MODE_SHARED, 0,
					   NULL));
	lockdev_close(b);
	ld = lib_open(_metadata);
	EXPECT_EQ(0, lockdev_query(ld, "mbox", NULL, 0, &info));
	EXPECT_EQ(0, info.generation);
	lockdev_close(ld);
	lockdev_close(a);

	/* Another uid may neither read nor write a lockspace of mode 0600. */
	ASSERT_EQ(0, lockdev_open_space(&a, space, 0600, 0));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		ASSERT_EQ(0, become(65534, 65534));
		EXPECT_EQ(-EACCES, lockdev_open_space(&ld, space, 0600,
						      LOCKDEV_OPEN_NOCREATE));
		EXPECT_EQ(-EACCES, lockdev_open_space(&ld, space, 0600, 0));
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(a);

	EXPECT_EQ(-EINVAL, lockdev_open_space(&ld, NULL, 0600, 0));
	EXPECT_EQ(-EINVAL, lockdev_open_space(&ld, "", 0600, 0));
	EXPECT_EQ(-EINVAL, lockdev_open_space(&ld, space, 01000, 0));
	EXPECT_EQ(-EINVAL, lockdev_open_space(&ld, space, 0600, 0x80));
	long_name(big, LOCKDEV_NAME_MAX + 1, "lib-space");
	EXPECT_EQ(-ENAMETOOLONG, lockdev_open_space(&ld, big, 0600, 0));
}

TEST(lock_unlock)
{
	struct lockdev *ld = lib_open(_metadata);
	char big[LOCKDEV_NAME_MAX + 2];
	struct lockdev_entry e[2];
	struct lockdev_grant g, g2;
	struct lockdev_info info;

	poison(&g, sizeof(g));
	ASSERT_EQ(0, lockdev_lock(ld, "lib-lock", LOCKDEV_MODE_EXCLUSIVE, 0, 0,
				  &g));
	EXPECT_NE(0, g.handle);
	EXPECT_NE(0, g.generation);
	EXPECT_EQ(0, g.result);
	EXPECT_EQ(0, g.reserved0);
	EXPECT_EQ(0, g.reserved[0]);

	poison(e, sizeof(e));
	ASSERT_EQ(1, lockdev_query(ld, "lib-lock", e, 2, &info));
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(LOCKDEV_MODE_EXCLUSIVE, e[0].mode);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
	EXPECT_TRUE(poisoned(&e[1], sizeof(e[1])));
	EXPECT_EQ(g.generation, info.generation);
	EXPECT_EQ(1, info.nr_entries);
	EXPECT_EQ(0, info.flags);

	EXPECT_EQ(-EALREADY, lockdev_lock(ld, "lib-lock", LOCKDEV_MODE_SHARED,
					  0, 0, NULL));
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	EXPECT_EQ(-ENOLCK, lockdev_unlock(ld, g.handle));
	/* Released, it stays: idle. */
	EXPECT_EQ(0, lockdev_query(ld, "lib-lock", NULL, 0, &info));
	EXPECT_NE(0, info.generation);
	EXPECT_EQ(LOCKDEV_QUERY_IDLE, info.flags);

	ASSERT_EQ(0, lockdev_lock(ld, "lib-lock", LOCKDEV_MODE_APPEND, 7, 0,
				  &g2));
	EXPECT_NE(g.handle, g2.handle);
	EXPECT_EQ(0, lockdev_unlock_name(ld, "lib-lock"));
	EXPECT_EQ(-ENOLCK, lockdev_unlock_name(ld, "lib-lock"));

	EXPECT_EQ(-EINVAL, lockdev_unlock(ld, 0));
	EXPECT_EQ(-EINVAL, lockdev_unlock_name(ld, NULL));
	EXPECT_EQ(-EINVAL, lockdev_lock(ld, NULL, LOCKDEV_MODE_SHARED, 0, 0,
					NULL));
	EXPECT_EQ(-EINVAL, lockdev_lock(ld, "", LOCKDEV_MODE_SHARED, 0, 0,
					NULL));
	EXPECT_EQ(-EINVAL, lockdev_lock(ld, "lib-lock", 9, 0, 0, NULL));
	EXPECT_EQ(-EINVAL, lockdev_lock(ld, "lib-lock", LOCKDEV_MODE_SHARED,
					0, 0x80, NULL));
	long_name(big, LOCKDEV_NAME_MAX + 1, "lib-lock");
	EXPECT_EQ(-ENAMETOOLONG, lockdev_lock(ld, big, LOCKDEV_MODE_SHARED, 0,
					      0, NULL));
	long_name(big, LOCKDEV_NAME_MAX, "lib-lock");
	EXPECT_EQ(0, lockdev_trylock(ld, big, LOCKDEV_MODE_SHARED, 0, NULL));
	EXPECT_EQ(1, lockdev_list(ld, NULL, 0));
	lockdev_close(ld);
}

TEST(trylock_conflict)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_grant g;
	struct kid k;

	holder_start(_metadata, &k, "lib-try", LOCKDEV_MODE_EXCLUSIVE);
	EXPECT_EQ(-EAGAIN, lockdev_trylock(ld, "lib-try", LOCKDEV_MODE_SHARED,
					   0, &g));
	EXPECT_EQ(-EAGAIN, lockdev_timedlock(ld, "lib-try",
					     LOCKDEV_MODE_EXCLUSIVE, 0, 0, 0,
					     &g));
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));
	holder_stop(_metadata, &k, 'u');
	EXPECT_EQ(0, lockdev_trylock(ld, "lib-try", LOCKDEV_MODE_SHARED, 0,
				     &g));
	EXPECT_EQ(0, g.result);
	lockdev_close(ld);
}

/* A blocking lock waits for the holder, in another process. */
TEST(lock_waits)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_grant g;
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(ld, "lib-wait", LOCKDEV_MODE_APPEND, 0, 0,
				  &g));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev *me = lib_open(_metadata);

		/* APPEND is compatible with SHARED only: this waits. */
		EXPECT_EQ(0, lockdev_lock(me, "lib-wait", LOCKDEV_MODE_APPEND,
					  0, 0, NULL));
		kid_send(&k, 'G');
		KID_EXIT();
	}
	expect_waiting(_metadata, ld, "lib-wait", k.pid, LOCKDEV_STATE_WAITING);
	EXPECT_EQ(-1, kid_recv(&k, 200));
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	EXPECT_EQ('G', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

/* A timed lock fails with ETIMEDOUT after its timeout, or gets the lock. */
TEST(timedlock)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_grant g;
	__u64 start, took;
	struct kid k;

	holder_start(_metadata, &k, "lib-timed", LOCKDEV_MODE_EXCLUSIVE);
	start = now_ns();
	EXPECT_EQ(-ETIMEDOUT, lockdev_timedlock(ld, "lib-timed",
						LOCKDEV_MODE_SHARED, 0,
						300 * MS, 0, &g));
	took = now_ns() - start;
	EXPECT_LE(300 * MS, took);
	EXPECT_GT(WAIT_MS * MS, took);
	EXPECT_EQ(0, lockdev_list(ld, NULL, 0));
	EXPECT_EQ(-EINVAL, lockdev_timedlock(ld, "lib-timed",
					     LOCKDEV_MODE_SHARED, 0, MS, 2,
					     &g));

	/* Free again: a timed lock without end is granted at once. */
	holder_stop(_metadata, &k, 'u');
	EXPECT_EQ(0, lockdev_timedlock(ld, "lib-timed", LOCKDEV_MODE_SHARED, 0,
				       LOCKDEV_FOREVER, 0, &g));
	EXPECT_NE(0, g.handle);
	lockdev_close(ld);
}

/* A timed wait that another process ends before the timeout. */
TEST(timedlock_granted)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_grant g;
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(ld, "lib-tg", LOCKDEV_MODE_EXCLUSIVE, 0, 0,
				  &g));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev *me = lib_open(_metadata);
		struct lockdev_grant mine;

		EXPECT_EQ(0, lockdev_timedlock(me, "lib-tg",
					       LOCKDEV_MODE_SHARED, 0,
					       WAIT_MS * MS, 0, &mine));
		EXPECT_NE(g.generation, mine.generation);
		kid_send(&k, 'G');
		KID_EXIT();
	}
	expect_waiting(_metadata, ld, "lib-tg", k.pid, LOCKDEV_STATE_WAITING);
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	EXPECT_EQ('G', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

/* Without LOCKDEV_RESTART a signal ends the wait with -EINTR. */
TEST(eintr)
{
	struct lockdev *ld = lib_open(_metadata);
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(ld, "lib-intr", LOCKDEV_MODE_EXCLUSIVE, 0, 0,
				  NULL));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev *me = lib_open(_metadata);

		catch_no_restart(SIGUSR1);
		kid_send(&k, 'R');
		EXPECT_EQ(-EINTR, lockdev_lock(me, "lib-intr",
					       LOCKDEV_MODE_SHARED, 0, 0,
					       NULL));
		EXPECT_EQ(1, lib_sigs);
		EXPECT_EQ(0, lockdev_list(me, NULL, 0));
		kid_send(&k, 'I');
		KID_EXIT();
	}
	ASSERT_EQ('R', kid_recv(&k, WAIT_MS));
	expect_waiting(_metadata, ld, "lib-intr", k.pid, LOCKDEV_STATE_WAITING);
	kill(k.pid, SIGUSR1);
	EXPECT_EQ('I', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

/*
 * With LOCKDEV_RESTART the wait goes on through signals, and the deadline
 * is the one computed at the first call: a signal every 50 ms cannot
 * stretch a 600 ms timeout.
 */
TEST(restart_keeps_deadline)
{
	struct lockdev *ld = lib_open(_metadata);
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(ld, "lib-restart", LOCKDEV_MODE_EXCLUSIVE, 0,
				  0, NULL));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct itimerval it = {
			.it_interval = { 0, 50000 }, .it_value = { 0, 50000 },
		};
		struct lockdev *me = lib_open(_metadata);
		__u64 start, took;

		catch_no_restart(SIGALRM);
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
		start = now_ns();
		EXPECT_EQ(-ETIMEDOUT, lockdev_timedlock(me, "lib-restart",
							LOCKDEV_MODE_SHARED, 0,
							600 * MS,
							LOCKDEV_RESTART,
							NULL));
		took = now_ns() - start;
		EXPECT_LE(600 * MS, took);
		EXPECT_GT(5000 * MS, took);
		EXPECT_LE(3, lib_sigs);

		/* A blocking lock keeps waiting through them, then gets it. */
		kid_send(&k, 'T');
		EXPECT_EQ(0, lockdev_lock(me, "lib-restart",
					  LOCKDEV_MODE_SHARED, 0,
					  LOCKDEV_RESTART, NULL));
		kid_send(&k, 'G');
		KID_EXIT();
	}
	ASSERT_EQ('T', kid_recv(&k, WAIT_MS));
	expect_waiting(_metadata, ld, "lib-restart", k.pid,
		       LOCKDEV_STATE_WAITING);
	sleep_ms(300);
	EXPECT_EQ(0, lockdev_unlock_name(ld, "lib-restart"));
	EXPECT_EQ('G', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

TEST(convert)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_grant g, c;
	struct lockdev_entry e[2];
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(ld, "lib-conv", LOCKDEV_MODE_SHARED, 0, 0,
				  &g));
	/* Alone: the upgrade is immediate; the downgrade changes the generation. */
	ASSERT_EQ(0, lockdev_convert(ld, g.handle, LOCKDEV_MODE_EXCLUSIVE, 0, 0,
				     &c));
	EXPECT_EQ(g.handle, c.handle);
	EXPECT_EQ(g.generation, c.generation);
	ASSERT_EQ(0, lockdev_convert(ld, g.handle, LOCKDEV_MODE_SHARED,
				     LOCKDEV_FOREVER, 0, &c));
	EXPECT_NE(g.generation, c.generation);
	ASSERT_EQ(1, lockdev_query(ld, "lib-conv", e, 2, NULL));
	EXPECT_EQ(LOCKDEV_MODE_SHARED, e[0].mode);

	/* Another reader: the upgrade cannot be granted now. */
	holder_start(_metadata, &k, "lib-conv", LOCKDEV_MODE_SHARED);
	EXPECT_EQ(-EAGAIN, lockdev_convert(ld, g.handle,
					   LOCKDEV_MODE_EXCLUSIVE, 0, 0, &c));
	EXPECT_EQ(-ETIMEDOUT, lockdev_convert(ld, g.handle,
					      LOCKDEV_MODE_EXCLUSIVE,
					      200 * MS, 0, &c));
	ASSERT_EQ(2, lockdev_query(ld, "lib-conv", e, 2, NULL));
	EXPECT_EQ(LOCKDEV_MODE_SHARED, e[0].mode);
	EXPECT_EQ(LOCKDEV_MODE_SHARED, e[1].mode);

	EXPECT_EQ(-EINVAL, lockdev_convert(ld, 0, LOCKDEV_MODE_SHARED, 0, 0,
					   &c));
	EXPECT_EQ(-EINVAL, lockdev_convert(ld, g.handle, 0, 0, 0, &c));
	EXPECT_EQ(-EINVAL, lockdev_convert(ld, g.handle, LOCKDEV_MODE_SHARED,
					   0, 4, &c));
	EXPECT_EQ(-ENOLCK, lockdev_convert(ld, g.handle + 1000,
					   LOCKDEV_MODE_SHARED, 0, 0, &c));
	holder_stop(_metadata, &k, 'u');
	lockdev_close(ld);
}

/* A blocking upgrade waits for the other reader, in another process. */
TEST(convert_waits)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_grant g;
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(ld, "lib-cw", LOCKDEV_MODE_SHARED, 0, 0, &g));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		struct lockdev *me = lib_open(_metadata);
		struct lockdev_grant mine, up;

		ASSERT_EQ(0, lockdev_lock(me, "lib-cw", LOCKDEV_MODE_SHARED, 0,
					  0, &mine));
		kid_send(&k, 'S');
		EXPECT_EQ(0, lockdev_convert(me, mine.handle,
					     LOCKDEV_MODE_EXCLUSIVE,
					     LOCKDEV_FOREVER, 0, &up));
		kid_send(&k, 'X');
		KID_EXIT();
	}
	ASSERT_EQ('S', kid_recv(&k, WAIT_MS));
	expect_waiting(_metadata, ld, "lib-cw", k.pid,
		       LOCKDEV_STATE_CONVERTING);
	EXPECT_EQ(-1, kid_recv(&k, 200));
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	EXPECT_EQ('X', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, kid_reap(&k));
	lockdev_close(ld);
}

/* RPM's recovery: the holder died, the next one sees it and repairs. */
TEST(owner_died)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_info info;
	struct lockdev_grant g;
	struct kid k;

	lib_require(_metadata, LOCKDEV_FEATURE_OWNER_DIED, "owner-died");
	holder_start(_metadata, &k, "lib-died", LOCKDEV_MODE_EXCLUSIVE);
	holder_stop(_metadata, &k, 'q');

	ASSERT_EQ(0, lockdev_query(ld, "lib-died", NULL, 0, &info));
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED | LOCKDEV_QUERY_IDLE,
		  info.flags);
	ASSERT_EQ(0, lockdev_lock(ld, "lib-died", LOCKDEV_MODE_SHARED, 0, 0,
				  &g));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, g.result);
	/* Only an EXCLUSIVE holder may repair it. */
	EXPECT_EQ(-EPERM, lockdev_consistent(ld, g.handle));
	ASSERT_EQ(0, lockdev_convert(ld, g.handle, LOCKDEV_MODE_EXCLUSIVE, 0,
				     0, NULL));
	EXPECT_EQ(0, lockdev_consistent(ld, g.handle));
	EXPECT_EQ(-EINVAL, lockdev_consistent(ld, 0));
	EXPECT_EQ(-ENOLCK, lockdev_consistent(ld, g.handle + 1000));
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));

	ASSERT_EQ(0, lockdev_lock(ld, "lib-died", LOCKDEV_MODE_SHARED, 0, 0,
				  &g));
	EXPECT_EQ(0, g.result);
	lockdev_close(ld);
}

/* RPM's check: read the generation, lock later, see whether it moved. */
TEST(generation)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_grant g;
	uint64_t gen, before;
	struct kid k;

	ASSERT_EQ(0, lockdev_generation(ld, "lib-gen", &gen));
	EXPECT_EQ(0, gen);
	/* A reader elsewhere keeps the lock alive. */
	holder_start(_metadata, &k, "lib-gen", LOCKDEV_MODE_SHARED);
	ASSERT_EQ(0, lockdev_generation(ld, "lib-gen", &before));
	EXPECT_NE(0, before);

	ASSERT_EQ(0, lockdev_lock(ld, "lib-gen", LOCKDEV_MODE_SHARED, 0, 0,
				  &g));
	EXPECT_EQ(before, g.generation);
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	ASSERT_EQ(0, lockdev_generation(ld, "lib-gen", &gen));
	EXPECT_EQ(before, gen);

	ASSERT_EQ(0, lockdev_lock(ld, "lib-gen", LOCKDEV_MODE_APPEND, 0, 0,
				  &g));
	EXPECT_EQ(0, lockdev_unlock(ld, g.handle));
	ASSERT_EQ(0, lockdev_generation(ld, "lib-gen", &gen));
	EXPECT_NE(before, gen);
	holder_stop(_metadata, &k, 'u');
	EXPECT_EQ(-EINVAL, lockdev_generation(ld, NULL, &gen));
	lockdev_close(ld);
}

TEST(query_list)
{
	struct lockdev *ld = lib_open(_metadata);
	struct lockdev_held h[3];
	struct lockdev_entry e[3];
	struct lockdev_info info;
	struct kid k1, k2;

	holder_start(_metadata, &k1, "lib-q", LOCKDEV_MODE_SHARED);
	holder_start(_metadata, &k2, "lib-q", LOCKDEV_MODE_SHARED);
	ASSERT_EQ(0, lockdev_lock(ld, "lib-q", LOCKDEV_MODE_SHARED, 0, 0,
				  NULL));
	/* Room for one entry: one written, all three counted. */
	poison(e, sizeof(e));
	poison(&info, sizeof(info));
	EXPECT_EQ(3, lockdev_query(ld, "lib-q", e, 1, &info));
	EXPECT_EQ(3, info.nr_entries);
	EXPECT_EQ(0, info.reserved[0]);
	EXPECT_TRUE(e[0].pid == k1.pid || e[0].pid == k2.pid ||
		    e[0].pid == getpid());
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
	EXPECT_TRUE(poisoned(&e[1], 2 * sizeof(e[0])));
	EXPECT_EQ(-EINVAL, lockdev_query(ld, "lib-q", NULL, 1, &info));
	EXPECT_EQ(-EINVAL, lockdev_query(ld, NULL, e, 1, &info));

	ASSERT_EQ(0, lockdev_lock(ld, "lib-q2", LOCKDEV_MODE_EXCLUSIVE, 3, 0,
				  NULL));
	poison(h, sizeof(h));
	ASSERT_EQ(2, lockdev_list(ld, h, 3));
	EXPECT_TRUE(poisoned(&h[2], sizeof(h[2])));
	poison(h, sizeof(h));
	EXPECT_EQ(2, lockdev_list(ld, h, 1));
	EXPECT_TRUE(poisoned(&h[1], sizeof(h[1])));
	EXPECT_EQ(-EINVAL, lockdev_list(ld, NULL, 1));
	holder_stop(_metadata, &k1, 'u');
	holder_stop(_metadata, &k2, 'u');
	lockdev_close(ld);
}

TEST(error_text)
{
	const char *order = lockdev_strerror(-EDEADLK, LOCKDEV_RESULT_ORDER);
	const char *cycle = lockdev_strerror(EDEADLK, LOCKDEV_RESULT_CYCLE);

	EXPECT_NE(NULL, strstr(order, "order"));
	EXPECT_NE(NULL, strstr(cycle, "cycle"));
	EXPECT_STRNE(order, cycle);
	EXPECT_NE(NULL, strstr(lockdev_strerror(0, LOCKDEV_RESULT_OWNER_DIED),
			       "died"));
	EXPECT_NE(NULL, strstr(lockdev_strerror(-EOWNERDEAD, 0), "died"));
	EXPECT_STREQ(lockdev_strerror(-ENOLCK, 0), lockdev_strerror(ENOLCK, 0));
	EXPECT_STREQ(strerror(EIO), lockdev_strerror(-EIO, 0));
	EXPECT_STREQ("success", lockdev_strerror(0, 0));
}

TEST_HARNESS_MAIN
