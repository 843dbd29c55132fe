// SPDX-License-Identifier: GPL-2.0
/*
 * LOCKDEV_IOC_LOCK, UNLOCK, QUERY and LIST: the compatibility of the modes,
 * the grant policy, blocking, non-blocking and timed waits, signals during a
 * wait, sessions shared by fork and released by close, and bad input.
 *
 * Another session is usually another process, a "locker": a forked child
 * that runs the lock calls the test sends it over a pipe and answers each
 * with its outcome. A test sees that a locker is really blocked in the kernel
 * by polling QUERY until its request shows up waiting, never by sleeping
 * blindly; every wait is bounded, so a broken module fails a test rather than
 * hanging it. Each test works on its own lock names, made from its name and
 * pid.
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
#include <sys/mman.h>
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
#define MS 1000000ull

/* The entry's comm must be this process's. */
static void expect_comm(struct __test_metadata *_metadata,
			const struct lockdev_entry *e)
{
	char comm[17] = { 0 };

	ASSERT_EQ(0, prctl(PR_GET_NAME, comm));
	EXPECT_EQ(0, strncmp(comm, (const char *)e->comm, 16)) {
		TH_LOG("comm \"%.16s\", expected \"%s\"", e->comm, comm);
	}
}

/* LOCK must fail with @err, leaving the struct as it was. */
static void lock_fails(struct __test_metadata *_metadata, int fd,
		       struct lockdev_lock *l, int err, const char *what)
{
	struct lockdev_lock before = *l;
	int ret, e;

	arm_alarm(10);
	ret = ioctl(fd, LOCKDEV_IOC_LOCK, l);
	e = errno;
	alarm(0);
	EXPECT_EQ(-1, ret) {
		TH_LOG("%s: the lock was granted", what);
	}
	EXPECT_EQ(err, e) {
		TH_LOG("%s: errno %d (%s), expected %d", what, e, strerror(e), err);
	}
	EXPECT_EQ(0, memcmp(l, &before, sizeof(*l))) {
		TH_LOG("%s: the struct was written", what);
	}
	if (!ret)
		unlock_handle(fd, l->handle);
}

/* UNLOCK must fail with @err, leaving the struct as it was. */
static void unlock_fails(struct __test_metadata *_metadata, int fd,
			 struct lockdev_unlock *u, int err, const char *what)
{
	struct lockdev_unlock before = *u;
	int ret, e;

	ret = ioctl(fd, LOCKDEV_IOC_UNLOCK, u);
	e = errno;
	EXPECT_EQ(-1, ret) {
		TH_LOG("%s: unlock succeeded", what);
	}
	EXPECT_EQ(err, e) {
		TH_LOG("%s: errno %d (%s), expected %d", what, e, strerror(e), err);
	}
	EXPECT_EQ(0, memcmp(u, &before, sizeof(*u)));
}

FIXTURE(lk) {
	int fd[NFD];
	char name[128];
	char name2[140];
	struct locker lk[MAXLK];
};

FIXTURE_SETUP(lk)
{
	int i;

	require_lock_feature(_metadata);
	for (i = 0; i < NFD; i++) {
		self->fd[i] = open_session();
		ASSERT_LE(0, self->fd[i]);
	}
	snprintf(self->name, sizeof(self->name), "lock_test.%s.%d",
		 _metadata->name, getpid());
	snprintf(self->name2, sizeof(self->name2), "%s.2", self->name);
}

FIXTURE_TEARDOWN(lk)
{
	int i;

	alarm(0);
	for (i = 0; i < MAXLK; i++)
		locker_kill(&self->lk[i]);
	for (i = 0; i < NFD; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
}

/* ---- basic calls ---- */

TEST_F(lk, lock_unlock_by_handle)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	EXPECT_NE(0, l.handle);
	EXPECT_NE(0, l.generation);
	EXPECT_EQ(0, l.result);

	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(l.generation, q.generation);
	EXPECT_EQ(0, q.lock_flags);
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_NE(0, e[0].session);
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(0, e[0].level);
	EXPECT_GT(60000 * MS, e[0].age_ns);
	expect_comm(_metadata, &e[0]);
	EXPECT_TRUE(poisoned(&e[1], sizeof(e) - sizeof(e[0])));

	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	expect_idle_lock(_metadata, self->fd[1], self->name);
	EXPECT_EQ(0, list_count(self->fd[0]));
}

TEST_F(lk, unlock_by_name)
{
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	EXPECT_EQ(0, unlock_name(self->fd[0], self->name));
	expect_idle_lock(_metadata, self->fd[1], self->name);
	EXPECT_EQ(0, list_count(self->fd[0]));
	/* The handle went with the grant. */
	EXPECT_EQ(-1, unlock_handle(self->fd[0], l.handle));
	EXPECT_EQ(ENOLCK, errno);
}

TEST_F(lk, level_reported)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_held h[2];
	struct lockdev_query q;
	struct lockdev_list li;
	struct lockdev_lock l;

	lock_input(&l, self->name, A, 0);
	l.level = 7;
	ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_LOCK, &l));
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(7, e[0].level);
	EXPECT_EQ(A, e[0].mode);
	ASSERT_EQ(0, list_call(self->fd[0], h, 2, &li));
	ASSERT_EQ(1, li.nr_entries);
	EXPECT_EQ(7, h[0].level);
	EXPECT_EQ(A, h[0].mode);
	EXPECT_EQ(l.handle, h[0].handle);
}

/* A name is bytes: a NUL is an ordinary byte, and 255 bytes are allowed. */
TEST_F(lk, names_are_bytes)
{
	char n1[160], n2[160], big[LOCKDEV_NAME_MAX + 1];
	size_t len = strlen(self->name), i;
	struct lockdev_entry e[MAXE];
	struct lockdev_held h[2];
	struct lockdev_query q;
	struct lockdev_list li;
	struct lockdev_lock l;

	memcpy(n1, self->name, len);
	memcpy(n2, self->name, len);
	n1[len] = n2[len] = 0;
	n1[len + 1] = 'a';
	n2[len + 1] = 'b';

	lock_input(&l, n1, X, 0);
	l.name_len = len + 2;
	ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_LOCK, &l));
	/* "name" and "name\0b" are other locks (taken in ascending order). */
	EXPECT_EQ(0, lock_call(self->fd[1], self->name, X, NONBLOCK, &l));
	lock_input(&l, n2, X, NONBLOCK);
	l.name_len = len + 2;
	EXPECT_EQ(0, ioctl(self->fd[1], LOCKDEV_IOC_LOCK, &l));
	/* "name\0a" is the held one. */
	lock_input(&l, n1, X, NONBLOCK);
	l.name_len = len + 2;
	EXPECT_EQ(-1, ioctl(self->fd[2], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, list_call(self->fd[0], h, 2, &li));
	ASSERT_EQ(1, li.nr_entries);
	EXPECT_EQ(len + 2, h[0].name_len);
	EXPECT_EQ(0, memcmp(h[0].name, n1, len + 2));
	for (i = len + 2; i < sizeof(h[0].name); i++)
		EXPECT_EQ(0, h[0].name[i]);

	/* The longest name. */
	long_name(big, LOCKDEV_NAME_MAX, self->name);
	ASSERT_EQ(0, lock_call(self->fd[3], big, X, 0, &l));
	ASSERT_EQ(0, query(self->fd[0], big, &q, e, MAXE));
	EXPECT_EQ(1, q.nr_entries);
	EXPECT_EQ(l.generation, q.generation);
	ASSERT_EQ(0, list_call(self->fd[3], h, 2, &li));
	ASSERT_EQ(1, li.nr_entries);
	EXPECT_EQ(LOCKDEV_NAME_MAX, h[0].name_len);
	EXPECT_EQ(0, memcmp(h[0].name, big, LOCKDEV_NAME_MAX));
	EXPECT_EQ(0, h[0].name[LOCKDEV_NAME_MAX]);
	EXPECT_EQ(0, unlock_name(self->fd[3], big));
	expect_idle_lock(_metadata, self->fd[0], big);
}

/*
 * Every name length, 1 to LOCKDEV_NAME_MAX, in a lockspace of the test's
 * own: each is its own lock, holds and lists its whole name and no byte
 * more, and is let go. The module keeps a lock in a cache of its name's
 * length class; names one byte apart cross every class boundary.
 */
TEST_F(lk, every_name_length)
{
	char space[64], name[LOCKDEV_NAME_MAX + 1];
	__u64 handles[LOCKDEV_NAME_MAX + 1];
	int fd = self->fd[0], len, seen[LOCKDEV_NAME_MAX + 1] = { 0 };
	const __u32 probe[] = { 1, 64, 65, 128, 129, 200, LOCKDEV_NAME_MAX };
	struct lockdev_list li;
	struct lockdev_lock l;
	struct lockdev_held *h;
	__u32 i;

	h = calloc(LOCKDEV_NAME_MAX + 1, sizeof(*h));
	ASSERT_NE(NULL, h);
	snprintf(space, sizeof(space), "lock_test.names.%d", getpid());
	ASSERT_EQ(0, attach_space(fd, space, 0, 0600));
	ASSERT_EQ(0, attach_space(self->fd[1], space, 0, 0600));
	/* Names of one byte 'n' each, so each is a prefix of the next. */
	memset(name, 'n', sizeof(name));
	for (len = 1; len <= LOCKDEV_NAME_MAX; len++) {
		lock_input(&l, name, X, NONBLOCK);
		l.name_len = len;
		ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_LOCK, &l)) {
			TH_LOG("a name of %d bytes: %s", len, strerror(errno));
		}
		ASSERT_EQ(0, list_call(fd, h, 2, &li));
		ASSERT_EQ(1, li.nr_entries);
		EXPECT_EQ(len, h[0].name_len);
		EXPECT_EQ(0, memcmp(h[0].name, name, len));
		EXPECT_EQ(0, h[0].name[len]);
		EXPECT_EQ(0, unlock_handle(fd, l.handle));
	}
	/* All held at once, every one a lock of its own. */
	for (len = 1; len <= LOCKDEV_NAME_MAX; len++) {
		lock_input(&l, name, X, NONBLOCK);
		l.name_len = len;
		ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_LOCK, &l)) {
			TH_LOG("a name of %d bytes: %s", len, strerror(errno));
		}
		handles[len] = l.handle;
	}
	ASSERT_EQ(0, list_call(fd, h, LOCKDEV_NAME_MAX + 1, &li));
	ASSERT_EQ(LOCKDEV_NAME_MAX, li.nr_entries);
	for (i = 0; i < li.nr_entries; i++) {
		ASSERT_LE(1, h[i].name_len);
		ASSERT_GE(LOCKDEV_NAME_MAX, h[i].name_len);
		EXPECT_EQ(0, seen[h[i].name_len]++);
		EXPECT_EQ(0, memcmp(h[i].name, name, h[i].name_len));
		EXPECT_EQ(0, h[i].name[h[i].name_len]);
	}
	/* Another session finds them held, on both sides of a boundary too. */
	for (i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
		lock_input(&l, name, X, NONBLOCK);
		l.name_len = probe[i];
		EXPECT_EQ(-1, ioctl(self->fd[1], LOCKDEV_IOC_LOCK, &l));
		EXPECT_EQ(EAGAIN, errno);
	}
	for (len = 1; len <= LOCKDEV_NAME_MAX; len++)
		EXPECT_EQ(0, unlock_handle(fd, handles[len]));
	free(h);
}

TEST_F(lk, unlock_not_held)
{
	struct lockdev_lock l;
	struct snap s;

	/* Nothing held at all. */
	EXPECT_EQ(-1, unlock_name(self->fd[0], self->name));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, unlock_handle(self->fd[0], 1));
	EXPECT_EQ(ENOLCK, errno);

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	take_snap(self->fd[1], self->name, &s);
	ASSERT_EQ(0, s.ret);

	/* Handles the session was never given. */
	EXPECT_EQ(-1, unlock_handle(self->fd[0], l.handle + 1));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, unlock_handle(self->fd[0], l.handle ^ (1ull << 40)));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, unlock_handle(self->fd[0], ~0ull));
	EXPECT_EQ(ENOLCK, errno);

	/* Another session's lock, by name and by its handle. */
	EXPECT_EQ(-1, unlock_name(self->fd[1], self->name));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, unlock_handle(self->fd[1], l.handle));
	EXPECT_EQ(ENOLCK, errno);
	expect_snap(_metadata, self->fd[1], self->name, &s);
	EXPECT_EQ(1, list_count(self->fd[0]));

	/* Unlocked already. */
	EXPECT_EQ(0, unlock_handle(self->fd[0], l.handle));
	EXPECT_EQ(-1, unlock_handle(self->fd[0], l.handle));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, unlock_name(self->fd[0], self->name));
	EXPECT_EQ(ENOLCK, errno);
	expect_idle_lock(_metadata, self->fd[1], self->name);
}

/* A second LOCK of a held name fails at once, whatever its mode and flags. */
TEST_F(lk, relock_held_ealready)
{
	static const __u32 modes[] = { S, A, X };
	static const __u32 flags[] = { NONBLOCK, 0, DEADLINE };
	struct lockdev_lock l, r;
	char what[64];
	unsigned int i, j;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	take_snap(self->fd[1], self->name, &s);
	for (i = 0; i < 3; i++) {
		for (j = 0; j < 3; j++) {
			lock_input(&r, self->name, modes[i], flags[j]);
			if (flags[j] & DEADLINE)
				r.deadline_ns = now_ns() + 200 * MS;
			snprintf(what, sizeof(what), "mode %u flags %#x",
				 modes[i], flags[j]);
			lock_fails(_metadata, self->fd[0], &r, EALREADY, what);
		}
	}
	expect_snap(_metadata, self->fd[1], self->name, &s);
	EXPECT_EQ(1, list_count(self->fd[0]));
	EXPECT_EQ(0, unlock_handle(self->fd[0], l.handle));
}

/*
 * A session that awaits a lock (here in a child sharing it) gets EALREADY
 * too, and LIST shows the request waiting.
 */
TEST_F(lk, relock_awaited_ealready)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_list li;
	struct lockdev_held h[2];
	struct lockdev_lock l, m;

	ASSERT_EQ(0, lock_call(self->fd[1], self->name, X, 0, &l));
	locker_start(_metadata, &self->lk[0], self->fd[0], self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[2], self->name, X);

	lock_input(&m, self->name, S, NONBLOCK);
	lock_fails(_metadata, self->fd[0], &m, EALREADY, "nonblock");
	lock_input(&m, self->name, X, DEADLINE);
	m.deadline_ns = now_ns() + 200 * MS;
	lock_fails(_metadata, self->fd[0], &m, EALREADY, "deadline");

	ASSERT_EQ(0, list_call(self->fd[0], h, 2, &li));
	ASSERT_EQ(1, li.nr_entries);
	EXPECT_EQ(WAITING, h[0].state);
	EXPECT_EQ(X, h[0].mode);
	EXPECT_EQ(strlen(self->name), h[0].name_len);
	EXPECT_EQ(0, memcmp(h[0].name, self->name, strlen(self->name)));

	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	EXPECT_EQ(2, q.nr_entries);

	ASSERT_EQ(0, unlock_handle(self->fd[1], l.handle));
	locker_granted(_metadata, &self->lk[0], &r);
	ASSERT_EQ(0, list_call(self->fd[0], h, 2, &li));
	ASSERT_EQ(1, li.nr_entries);
	EXPECT_EQ(HELD, h[0].state);
	EXPECT_EQ(r.handle, h[0].handle);
}

TEST_F(lk, handles_unique)
{
	struct lockdev_held h[16];
	char names[16][160];
	struct lockdev_list li;
	struct lockdev_lock l;
	__u64 handle[16];
	int i, j, found;

	/* Ascending names, so that no lock order can object. */
	for (i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]), "%s.%02d", self->name, i);
		ASSERT_EQ(0, lock_call(self->fd[0], names[i], S, 0, &l));
		handle[i] = l.handle;
		EXPECT_NE(0, handle[i]);
		for (j = 0; j < i; j++)
			EXPECT_NE(handle[j], handle[i]);
	}
	ASSERT_EQ(0, list_call(self->fd[0], h, 16, &li));
	ASSERT_EQ(16, li.nr_entries);
	for (i = 0; i < 16; i++) {
		found = 0;
		for (j = 0; j < 16; j++) {
			if (h[j].name_len != strlen(names[i]) ||
			    memcmp(h[j].name, names[i], h[j].name_len))
				continue;
			found++;
			EXPECT_EQ(handle[i], h[j].handle);
			EXPECT_EQ(HELD, h[j].state);
			EXPECT_EQ(S, h[j].mode);
		}
		EXPECT_EQ(1, found);
	}
	/* Handles are the session's own. */
	EXPECT_EQ(-1, unlock_handle(self->fd[1], handle[0]));
	EXPECT_EQ(ENOLCK, errno);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0, unlock_handle(self->fd[0], handle[i]));
	EXPECT_EQ(0, list_count(self->fd[0]));
}

TEST_F(lk, generation)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	struct lockdev_lock l, l1;
	__u64 g1, g2, g3;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	g1 = l.generation;
	EXPECT_NE(0, g1);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(g1, q.generation);
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));

	/* Released from EXCLUSIVE: a value it never had. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	g2 = l.generation;
	EXPECT_NE(0, g2);
	EXPECT_NE(g1, g2);
	/* Another reader gets the same generation... */
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	EXPECT_EQ(g2, l1.generation);
	/* ...and a reader leaving changes nothing. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	EXPECT_EQ(g2, q.generation);
	/* An appender's grant changes nothing, its release does. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, A, 0, &l));
	EXPECT_EQ(g2, l.generation);
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	g3 = q.generation;
	EXPECT_NE(0, g3);
	EXPECT_NE(g2, g3);
	EXPECT_NE(g1, g3);
	/* The last reader leaving changes nothing either: idle, at g3. */
	ASSERT_EQ(0, unlock_handle(self->fd[1], l1.handle));
	EXPECT_EQ(g3, expect_idle_lock(_metadata, self->fd[2], self->name));

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	EXPECT_EQ(g3, l.generation);
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	EXPECT_NE(0, q.generation);
	EXPECT_NE(g1, q.generation);
	EXPECT_NE(g2, q.generation);
	EXPECT_NE(g3, q.generation);
}

/* ---- QUERY and LIST ---- */

TEST_F(lk, query_missing)
{
	char big[LOCKDEV_NAME_MAX + 1];
	struct lockdev_entry e[2];
	struct lockdev_query q;

	ASSERT_EQ(0, query(self->fd[0], self->name, &q, e, 2));
	EXPECT_EQ(0, q.generation);
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(0, q.lock_flags);
	EXPECT_EQ(ptr(self->name), q.name);
	EXPECT_EQ(strlen(self->name), q.name_len);
	EXPECT_EQ(0, q.flags);
	EXPECT_TRUE(poisoned(e, sizeof(e)));

	long_name(big, LOCKDEV_NAME_MAX, self->name);
	expect_no_lock(_metadata, self->fd[0], big);
	/* A query creates nothing. */
	EXPECT_EQ(0, list_count(self->fd[0]));
	expect_no_lock(_metadata, self->fd[1], self->name);
}

TEST_F(lk, query_holders_then_waiters)
{
	struct locker_cmd c = { .op = OP_LOCK };
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	c.mode = X;
	c.level = 3;
	locker_send(_metadata, &self->lk[0], &c);
	ASSERT_TRUE(wait_entry(self->fd[2], self->name, self->lk[0].pid, WAITING));
	c.mode = S;
	c.level = 4;
	locker_send(_metadata, &self->lk[1], &c);
	ASSERT_TRUE(wait_entry(self->fd[2], self->name, self->lk[1].pid, WAITING));

	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	EXPECT_EQ(l.generation, q.generation);
	ASSERT_EQ(4, q.nr_entries);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(getpid(), e[i].pid);
		EXPECT_EQ(S, e[i].mode);
		EXPECT_EQ(HELD, e[i].state);
		EXPECT_EQ(0, e[i].level);
		expect_comm(_metadata, &e[i]);
	}
	EXPECT_NE(e[0].session, e[1].session);
	EXPECT_EQ(self->lk[0].pid, e[2].pid);
	EXPECT_EQ(X, e[2].mode);
	EXPECT_EQ(WAITING, e[2].state);
	EXPECT_EQ(3, e[2].level);
	EXPECT_EQ(self->lk[1].pid, e[3].pid);
	EXPECT_EQ(S, e[3].mode);
	EXPECT_EQ(WAITING, e[3].state);
	EXPECT_EQ(4, e[3].level);
	EXPECT_NE(e[2].session, e[3].session);
	EXPECT_NE(e[0].session, e[2].session);
	EXPECT_NE(e[1].session, e[2].session);
	EXPECT_GT(60000 * MS, e[2].age_ns);
	EXPECT_TRUE(poisoned(&e[4], sizeof(e) - 4 * sizeof(e[0])));
}

TEST_F(lk, query_capacity)
{
	struct lockdev_entry e[4];
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, lock_call(self->fd[i], self->name, S, 0, &l));

	poison(e, sizeof(e));
	ASSERT_EQ(0, query(self->fd[3], self->name, &q, e, 2));
	EXPECT_EQ(3, q.nr_entries);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(HELD, e[1].state);
	EXPECT_TRUE(poisoned(&e[2], 2 * sizeof(e[0])));

	poison(e, sizeof(e));
	ASSERT_EQ(0, query(self->fd[3], self->name, &q, e, 0));
	EXPECT_EQ(3, q.nr_entries);
	EXPECT_TRUE(poisoned(e, sizeof(e)));

	ASSERT_EQ(0, query(self->fd[3], self->name, &q, NULL, 0));
	EXPECT_EQ(l.generation, q.generation);
}

TEST_F(lk, list_own_locks)
{
	static const __u32 modes[3] = { S, A, X };
	struct lockdev_held h[8];
	struct lockdev_list li;
	struct lockdev_lock l;
	char names[3][160];
	__u64 handle[3], gen[3];
	int i, j, found;
	size_t k;

	for (i = 0; i < 3; i++) {
		snprintf(names[i], sizeof(names[i]), "%s.%c", self->name, 'a' + i);
		ASSERT_EQ(0, lock_call(self->fd[0], names[i], modes[i], 0, &l));
		handle[i] = l.handle;
		gen[i] = l.generation;
	}
	/* Another session's lock is not in the list. */
	ASSERT_EQ(0, lock_call(self->fd[1], names[0], S, 0, &l));

	ASSERT_EQ(0, list_call(self->fd[0], h, 8, &li));
	ASSERT_EQ(3, li.nr_entries);
	EXPECT_EQ(0, li.flags);
	for (i = 0; i < 3; i++) {
		found = 0;
		for (j = 0; j < 3; j++) {
			if (h[j].handle != handle[i])
				continue;
			found++;
			EXPECT_EQ(gen[i], h[j].generation);
			EXPECT_EQ(modes[i], h[j].mode);
			EXPECT_EQ(HELD, h[j].state);
			EXPECT_EQ(0, h[j].level);
			ASSERT_EQ(strlen(names[i]), h[j].name_len);
			EXPECT_EQ(0, memcmp(h[j].name, names[i], h[j].name_len));
			for (k = h[j].name_len; k < sizeof(h[j].name); k++)
				EXPECT_EQ(0, h[j].name[k]);
		}
		EXPECT_EQ(1, found);
	}
	EXPECT_TRUE(poisoned(&h[3], 5 * sizeof(h[0])));

	/* A short array: nr_entries says how many there are. */
	poison(h, sizeof(h));
	ASSERT_EQ(0, list_call(self->fd[0], h, 1, &li));
	EXPECT_EQ(3, li.nr_entries);
	EXPECT_EQ(HELD, h[0].state);
	EXPECT_TRUE(poisoned(&h[1], 7 * sizeof(h[0])));
	poison(h, sizeof(h));
	ASSERT_EQ(0, list_call(self->fd[0], h, 0, &li));
	EXPECT_EQ(3, li.nr_entries);
	EXPECT_TRUE(poisoned(h, sizeof(h)));

	ASSERT_EQ(0, list_call(self->fd[2], h, 8, &li));
	EXPECT_EQ(0, li.nr_entries);
	EXPECT_TRUE(poisoned(h, sizeof(h)));
	EXPECT_EQ(1, list_count(self->fd[1]));
}

/* ---- compatibility: one holder, a NONBLOCK request from another session ---- */

FIXTURE(matrix) {
	int fd;
	char name[128];
	struct locker lk[1];
};

FIXTURE_VARIANT(matrix) {
	__u32 held;
	__u32 asked;
	bool compatible;
};

FIXTURE_VARIANT_ADD(matrix, shared_shared) { .held = S, .asked = S, .compatible = true };
FIXTURE_VARIANT_ADD(matrix, shared_append) { .held = S, .asked = A, .compatible = true };
FIXTURE_VARIANT_ADD(matrix, shared_exclusive) { .held = S, .asked = X, .compatible = false };
FIXTURE_VARIANT_ADD(matrix, append_shared) { .held = A, .asked = S, .compatible = true };
FIXTURE_VARIANT_ADD(matrix, append_append) { .held = A, .asked = A, .compatible = false };
FIXTURE_VARIANT_ADD(matrix, append_exclusive) { .held = A, .asked = X, .compatible = false };
FIXTURE_VARIANT_ADD(matrix, exclusive_shared) { .held = X, .asked = S, .compatible = false };
FIXTURE_VARIANT_ADD(matrix, exclusive_append) { .held = X, .asked = A, .compatible = false };
FIXTURE_VARIANT_ADD(matrix, exclusive_exclusive) { .held = X, .asked = X, .compatible = false };

FIXTURE_SETUP(matrix)
{
	require_lock_feature(_metadata);
	self->fd = open_session();
	ASSERT_LE(0, self->fd);
	snprintf(self->name, sizeof(self->name), "lock_test.matrix.%u.%u.%d",
		 variant->held, variant->asked, getpid());
}

FIXTURE_TEARDOWN(matrix)
{
	locker_kill(&self->lk[0]);
	close(self->fd);
}

TEST_F(matrix, nonblock)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd, self->name, variant->held, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_call(_metadata, &self->lk[0], OP_LOCK, variant->asked, NONBLOCK, &r);
	ASSERT_EQ(0, query(self->fd, self->name, &q, e, MAXE));
	EXPECT_EQ(l.generation, q.generation);

	if (variant->compatible) {
		ASSERT_EQ(0, r.ret) {
			TH_LOG("errno %d, expected a grant", r.err);
		}
		EXPECT_NE(0, r.handle);
		EXPECT_EQ(l.generation, r.generation);
		EXPECT_EQ(0, r.result);
		ASSERT_EQ(2, q.nr_entries);
		i = find_entry(e, q.nr_entries, getpid(), HELD);
		ASSERT_LE(0, i);
		EXPECT_EQ(variant->held, e[i].mode);
		i = find_entry(e, q.nr_entries, self->lk[0].pid, HELD);
		ASSERT_LE(0, i);
		EXPECT_EQ(variant->asked, e[i].mode);
		EXPECT_NE(e[0].session, e[1].session);
		locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
		EXPECT_EQ(0, r.ret);
		EXPECT_EQ(0, unlock_handle(self->fd, l.handle));
		return;
	}

	ASSERT_EQ(-1, r.ret);
	EXPECT_EQ(EAGAIN, r.err);
	/* The holder that blocked it; nothing else written. */
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(getpid(), r.e[0].pid);
	EXPECT_EQ(variant->held, r.e[0].mode);
	EXPECT_EQ(HELD, r.e[0].state);
	EXPECT_NE(0, r.e[0].session);
	expect_comm(_metadata, &r.e[0]);
	EXPECT_TRUE(poisoned(&r.e[1], 3 * sizeof(r.e[0])));
	EXPECT_TRUE(poisoned(&r.handle, sizeof(r.handle)));
	EXPECT_TRUE(poisoned(&r.generation, sizeof(r.generation)));
	EXPECT_TRUE(poisoned(&r.result, sizeof(r.result)));
	/* A NONBLOCK request leaves nothing queued. */
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(e[0].session, r.e[0].session);

	/* Once the holder is gone it is granted. */
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	locker_call(_metadata, &self->lk[0], OP_LOCK, variant->asked, NONBLOCK, &r);
	EXPECT_EQ(0, r.ret);
	locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
}

/* ---- EAGAIN and ETIMEDOUT report who is in the way ---- */

TEST_F(lk, eagain_entries)
{
	struct lockdev_entry e[4];
	struct lockdev_lock l;
	struct snap s;
	int i, j;

	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, lock_call(self->fd[i], self->name, S, 0, &l));
	take_snap(self->fd[3], self->name, &s);

	lock_input(&l, self->name, X, NONBLOCK);
	poison(e, sizeof(e));
	l.entries = ptr(e);
	l.nr_entries = 4;
	EXPECT_EQ(-1, ioctl(self->fd[3], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(3, l.nr_entries);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(getpid(), e[i].pid);
		EXPECT_EQ(S, e[i].mode);
		EXPECT_EQ(HELD, e[i].state);
		for (j = 0; j < i; j++)
			EXPECT_NE(e[j].session, e[i].session);
	}
	EXPECT_TRUE(poisoned(&e[3], sizeof(e[3])));
	EXPECT_TRUE(poisoned(&l.handle, sizeof(l.handle)));
	EXPECT_TRUE(poisoned(&l.generation, sizeof(l.generation)));
	EXPECT_TRUE(poisoned(&l.result, sizeof(l.result)));
	EXPECT_EQ(ptr(self->name), l.name);
	EXPECT_EQ(X, l.mode);
	EXPECT_EQ(NONBLOCK, l.flags);

	/* Room for one: the real count, one entry, the rest untouched. */
	lock_input(&l, self->name, X, NONBLOCK);
	poison(e, sizeof(e));
	l.entries = ptr(e);
	l.nr_entries = 1;
	EXPECT_EQ(-1, ioctl(self->fd[3], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(3, l.nr_entries);
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_TRUE(poisoned(&e[1], 3 * sizeof(e[0])));

	/* Room for none. */
	lock_input(&l, self->name, X, NONBLOCK);
	poison(e, sizeof(e));
	l.entries = ptr(e);
	l.nr_entries = 0;
	EXPECT_EQ(-1, ioctl(self->fd[3], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(3, l.nr_entries);
	EXPECT_TRUE(poisoned(e, sizeof(e)));

	/* No array at all. */
	lock_input(&l, self->name, X, NONBLOCK);
	EXPECT_EQ(-1, ioctl(self->fd[3], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);

	expect_snap(_metadata, self->fd[3], self->name, &s);
	EXPECT_EQ(0, list_count(self->fd[3]));
}

TEST_F(lk, deadline_expires)
{
	struct lockdev_entry e[4];
	struct lockdev_lock l;
	__u64 deadline, t;
	struct snap s;
	int ret, err;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	take_snap(self->fd[2], self->name, &s);

	lock_input(&l, self->name, S, DEADLINE);
	poison(e, sizeof(e));
	l.entries = ptr(e);
	l.nr_entries = 4;
	deadline = now_ns() + 300 * MS;
	l.deadline_ns = deadline;
	arm_alarm(20);
	ret = ioctl(self->fd[1], LOCKDEV_IOC_LOCK, &l);
	err = errno;
	t = now_ns();
	alarm(0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ETIMEDOUT, err);
	EXPECT_LE(deadline, t);
	EXPECT_GT(deadline + 5000 * MS, t);
	ASSERT_EQ(1, l.nr_entries);
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_TRUE(poisoned(&e[1], 3 * sizeof(e[0])));
	EXPECT_TRUE(poisoned(&l.handle, sizeof(l.handle)));
	EXPECT_TRUE(poisoned(&l.generation, sizeof(l.generation)));
	EXPECT_TRUE(poisoned(&l.result, sizeof(l.result)));
	EXPECT_EQ(deadline, l.deadline_ns);

	/* The timed-out request is gone. */
	expect_snap(_metadata, self->fd[2], self->name, &s);
	EXPECT_EQ(0, list_count(self->fd[1]));
}

TEST_F(lk, deadline_in_the_past)
{
	const __u64 past[] = { now_ns() - 1000 * MS, 1 };
	struct lockdev_entry e[4];
	struct lockdev_lock l, h;
	unsigned int i;
	struct snap s;
	__u64 t;
	int ret, err;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &h));
	take_snap(self->fd[2], self->name, &s);
	for (i = 0; i < 2; i++) {
		lock_input(&l, self->name, S, DEADLINE);
		poison(e, sizeof(e));
		l.entries = ptr(e);
		l.nr_entries = 4;
		l.deadline_ns = past[i];
		t = now_ns();
		arm_alarm(20);
		ret = ioctl(self->fd[1], LOCKDEV_IOC_LOCK, &l);
		err = errno;
		alarm(0);
		EXPECT_EQ(-1, ret);
		EXPECT_EQ(ETIMEDOUT, err);
		EXPECT_GT(t + 2000 * MS, now_ns());
		EXPECT_EQ(1, l.nr_entries);
		EXPECT_EQ(getpid(), e[0].pid);
		EXPECT_EQ(X, e[0].mode);
	}
	expect_snap(_metadata, self->fd[2], self->name, &s);
	EXPECT_EQ(0, list_count(self->fd[1]));

	/* With nothing to wait for, a past deadline does not matter. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], h.handle));
	lock_input(&l, self->name, S, DEADLINE);
	l.deadline_ns = past[0];
	EXPECT_EQ(0, ioctl(self->fd[1], LOCKDEV_IOC_LOCK, &l));
}

/* ---- blocking waits and the grant policy, across processes ---- */

TEST_F(lk, blocking_wait)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);
	locker_quiet(_metadata, &self->lk[0], QUIET_MS);

	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	locker_granted(_metadata, &self->lk[0], &r);
	EXPECT_NE(0, r.handle);
	EXPECT_EQ(0, r.result);
	/* The exclusive holder's release changed the generation. */
	EXPECT_NE(0, r.generation);
	EXPECT_NE(l.generation, r.generation);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(self->lk[0].pid, e[0].pid);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(r.generation, q.generation);

	locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	expect_idle_lock(_metadata, self->fd[1], self->name);
}

/* A waiting EXCLUSIVE blocks readers that come after it. */
TEST_F_TIMEOUT(lk, exclusive_waiter_blocks_readers, 60)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[3], self->name, X);

	/* Compatible with the holder, not with the queued EXCLUSIVE. */
	lock_input(&l, self->name, S, NONBLOCK);
	poison(e, sizeof(e));
	l.entries = ptr(e);
	l.nr_entries = 4;
	EXPECT_EQ(-1, ioctl(self->fd[1], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(1, l.nr_entries);
	EXPECT_EQ(self->lk[0].pid, e[0].pid);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(WAITING, e[0].state);
	EXPECT_TRUE(poisoned(&e[1], 3 * sizeof(e[0])));

	lock_input(&l, self->name, A, NONBLOCK);
	EXPECT_EQ(-1, ioctl(self->fd[1], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);

	lock_input(&l, self->name, S, DEADLINE);
	l.deadline_ns = now_ns() + 200 * MS;
	arm_alarm(20);
	EXPECT_EQ(-1, ioctl(self->fd[1], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(ETIMEDOUT, errno);
	alarm(0);

	/* A blocking reader queues behind it. */
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_wait(_metadata, &self->lk[1], self->fd[3], self->name, S);
	locker_quiet(_metadata, &self->lk[1], QUIET_MS);
	ASSERT_EQ(0, query(self->fd[3], self->name, &q, e, MAXE));
	ASSERT_EQ(3, q.nr_entries);
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(self->lk[0].pid, e[1].pid);
	EXPECT_EQ(WAITING, e[1].state);
	EXPECT_EQ(self->lk[1].pid, e[2].pid);
	EXPECT_EQ(WAITING, e[2].state);

	ASSERT_EQ(0, unlock_name(self->fd[0], self->name));
	locker_granted(_metadata, &self->lk[0], &r);
	locker_quiet(_metadata, &self->lk[1], QUIET_MS);
	locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[1], &r);
}

/* A waiting APPEND does not block readers. */
TEST_F_TIMEOUT(lk, append_waiter_lets_readers_in, 60)
{
	struct lockdev_entry e[8];
	struct locker_reply r;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, A, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[3], self->name, A);

	EXPECT_EQ(0, lock_call(self->fd[1], self->name, S, NONBLOCK, &l));
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_lock(_metadata, &self->lk[1], S, &r);
	locker_quiet(_metadata, &self->lk[0], 0);

	/* An appender is blocked by the holding and the waiting appender. */
	lock_input(&l, self->name, A, NONBLOCK);
	poison(e, sizeof(e));
	l.entries = ptr(e);
	l.nr_entries = 8;
	EXPECT_EQ(-1, ioctl(self->fd[2], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(2, l.nr_entries);
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(A, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(self->lk[0].pid, e[1].pid);
	EXPECT_EQ(A, e[1].mode);
	EXPECT_EQ(WAITING, e[1].state);

	/* An exclusive request by everyone: three holders, then the waiter. */
	lock_input(&l, self->name, X, NONBLOCK);
	poison(e, sizeof(e));
	l.entries = ptr(e);
	l.nr_entries = 8;
	EXPECT_EQ(-1, ioctl(self->fd[2], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(4, l.nr_entries);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(HELD, e[i].state);
	EXPECT_EQ(self->lk[0].pid, e[3].pid);
	EXPECT_EQ(WAITING, e[3].state);
	EXPECT_TRUE(poisoned(&e[4], 4 * sizeof(e[0])));

	/* The appender gets it when the other appender leaves. */
	ASSERT_EQ(0, unlock_name(self->fd[0], self->name));
	locker_granted(_metadata, &self->lk[0], &r);
}

/* Appenders are granted one at a time, in the order they queued. */
TEST_F_TIMEOUT(lk, append_fifo, 120)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	struct pollfd p;
	char got[8];
	int order[2], i, j;

	ASSERT_EQ(0, pipe(order));
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	for (i = 0; i < 4; i++) {
		locker_start(_metadata, &self->lk[i], -1, self->name, order[1], i);
		locker_must_wait(_metadata, &self->lk[i], self->fd[1], self->name, A);
	}
	close(order[1]);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(5, q.nr_entries);
	EXPECT_EQ(getpid(), e[0].pid);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(self->lk[i].pid, e[1 + i].pid);
		EXPECT_EQ(WAITING, e[1 + i].state);
	}

	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	for (i = 0; i < 4; i++) {
		locker_granted(_metadata, &self->lk[i], &r);
		for (j = i + 1; j < 4; j++)
			locker_quiet(_metadata, &self->lk[j], j == i + 1 ? QUIET_MS : 0);
		ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
		ASSERT_EQ(4 - i, q.nr_entries);
		EXPECT_EQ(self->lk[i].pid, e[0].pid);
		EXPECT_EQ(HELD, e[0].state);
		EXPECT_EQ(A, e[0].mode);
		for (j = i + 1; j < 4; j++) {
			EXPECT_EQ(self->lk[j].pid, e[j - i].pid);
			EXPECT_EQ(WAITING, e[j - i].state);
		}
		locker_call(_metadata, &self->lk[i], OP_UNLOCK, 0, 0, &r);
		EXPECT_EQ(0, r.ret);
	}

	/* The order the grants happened in, as the lockers wrote it. */
	p.fd = order[0];
	p.events = POLLIN;
	ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
	ASSERT_EQ(4, read(order[0], got, sizeof(got)));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(i, got[i]);
	close(order[0]);
}

/* A release grants queued requests in order while they stay compatible. */
TEST_F_TIMEOUT(lk, release_in_queue_order, 120)
{
	static const __u32 modes[4] = { S, S, X, S };
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	for (i = 0; i < 4; i++) {
		locker_start(_metadata, &self->lk[i], -1, self->name, -1, i);
		locker_must_wait(_metadata, &self->lk[i], self->fd[1], self->name, modes[i]);
	}
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	locker_granted(_metadata, &self->lk[0], &r);
	locker_granted(_metadata, &self->lk[1], &r);
	locker_quiet(_metadata, &self->lk[2], QUIET_MS);
	locker_quiet(_metadata, &self->lk[3], 0);

	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(4, q.nr_entries);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(HELD, e[i].state);
		EXPECT_EQ(S, e[i].mode);
	}
	EXPECT_LE(0, find_entry(e, 2, self->lk[0].pid, HELD));
	EXPECT_LE(0, find_entry(e, 2, self->lk[1].pid, HELD));
	EXPECT_EQ(self->lk[2].pid, e[2].pid);
	EXPECT_EQ(WAITING, e[2].state);
	EXPECT_EQ(X, e[2].mode);
	EXPECT_EQ(self->lk[3].pid, e[3].pid);
	EXPECT_EQ(WAITING, e[3].state);

	locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_quiet(_metadata, &self->lk[2], QUIET_MS);
	locker_call(_metadata, &self->lk[1], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[2], &r);
	locker_quiet(_metadata, &self->lk[3], QUIET_MS);
	locker_call(_metadata, &self->lk[2], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[3], &r);
}

/*
 * Queue SHARED, APPEND, APPEND, SHARED, EXCLUSIVE, SHARED behind an
 * EXCLUSIVE. Its release grants the first SHARED and APPEND, skips the
 * second APPEND, grants the SHARED after it (compatible with the holders and
 * with the waiting APPEND), and stops at the EXCLUSIVE, which also holds
 * back the last SHARED.
 */
TEST_F_TIMEOUT(lk, release_grants_while_compatible, 120)
{
	static const __u32 modes[6] = { S, A, A, S, X, S };
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	for (i = 0; i < 6; i++) {
		locker_start(_metadata, &self->lk[i], -1, self->name, -1, i);
		locker_must_wait(_metadata, &self->lk[i], self->fd[1], self->name, modes[i]);
	}
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	locker_granted(_metadata, &self->lk[0], &r);
	locker_granted(_metadata, &self->lk[1], &r);
	locker_granted(_metadata, &self->lk[3], &r);
	locker_quiet(_metadata, &self->lk[2], QUIET_MS);
	locker_quiet(_metadata, &self->lk[4], 0);
	locker_quiet(_metadata, &self->lk[5], 0);

	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(6, q.nr_entries);
	EXPECT_LE(0, find_entry(e, 3, self->lk[0].pid, HELD));
	EXPECT_LE(0, find_entry(e, 3, self->lk[1].pid, HELD));
	EXPECT_LE(0, find_entry(e, 3, self->lk[3].pid, HELD));
	EXPECT_EQ(self->lk[2].pid, e[3].pid);
	EXPECT_EQ(WAITING, e[3].state);
	EXPECT_EQ(self->lk[4].pid, e[4].pid);
	EXPECT_EQ(WAITING, e[4].state);
	EXPECT_EQ(self->lk[5].pid, e[5].pid);
	EXPECT_EQ(WAITING, e[5].state);

	/* The holding appender leaves: the second appender gets in. */
	locker_call(_metadata, &self->lk[1], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[2], &r);
	locker_quiet(_metadata, &self->lk[4], QUIET_MS);
	locker_quiet(_metadata, &self->lk[5], 0);

	/* Everyone leaves: the EXCLUSIVE, and only then the last SHARED. */
	locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_call(_metadata, &self->lk[2], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_quiet(_metadata, &self->lk[4], QUIET_MS);
	locker_call(_metadata, &self->lk[3], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[4], &r);
	locker_quiet(_metadata, &self->lk[5], QUIET_MS);
	locker_call(_metadata, &self->lk[4], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[5], &r);
}

/* A waiter with a deadline that is granted in time gets the lock. */
TEST_F(lk, deadline_granted_in_time)
{
	struct locker_cmd c = { .op = OP_LOCK, .mode = X, .flags = DEADLINE };
	struct locker_reply r;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	c.deadline_ns = now_ns() + 2 * WAIT_MS * MS;
	locker_send(_metadata, &self->lk[0], &c);
	ASSERT_TRUE(wait_entry(self->fd[1], self->name, self->lk[0].pid, WAITING));
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	locker_granted(_metadata, &self->lk[0], &r);
	EXPECT_GT(c.deadline_ns, r.end_ns);
	EXPECT_NE(0, r.handle);
}

/*
 * A deadline of 2^63 - 1 or more (the largest ktime and beyond, which a
 * signed 64-bit time cannot hold) is no deadline: the waiter stays queued
 * until the holder releases, 300 ms later, and is granted.
 */
TEST_F(lk, deadline_far_future)
{
	static const __u64 far[] = { UINT64_MAX, 1ull << 63, (1ull << 63) - 1 };
	struct locker_cmd c = { .op = OP_LOCK, .mode = X, .flags = DEADLINE };
	struct locker_reply r;
	struct lockdev_lock l;
	__u64 unlocked;
	unsigned int i;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	for (i = 0; i < ARRAY_SIZE(far); i++) {
		ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
		c.deadline_ns = far[i];
		locker_send(_metadata, &self->lk[0], &c);
		ASSERT_FALSE(locker_answer(&self->lk[0], &r, QUIET_MS)) {
			TH_LOG("deadline %#llx: ret %d errno %d, expected a wait",
			       (unsigned long long)far[i], r.ret, r.err);
		}
		EXPECT_TRUE(wait_entry(self->fd[1], self->name,
				       self->lk[0].pid, WAITING));
		unlocked = now_ns();
		ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
		locker_granted(_metadata, &self->lk[0], &r);
		/* Granted by the release, not before. */
		EXPECT_LE(unlocked, r.end_ns);
		locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
		EXPECT_EQ(0, r.ret);
	}
}

/*
 * A waiting EXCLUSIVE holds back a reader queued behind it. When it leaves
 * the queue without being granted (deadline, signal, kill), the reader
 * behind it is compatible with everything left and must be granted.
 */
enum { LEAVE_DEADLINE, LEAVE_SIGNAL, LEAVE_KILL };

static void waiter_leaves(struct __test_metadata *_metadata,
			  FIXTURE_DATA(lk) *self, int how)
{
	struct locker_cmd c = { .op = OP_LOCK, .mode = X };
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	if (how == LEAVE_SIGNAL) {
		locker_call(_metadata, &self->lk[0], OP_SIGACT, 0, 0, &r);
		ASSERT_EQ(0, r.ret);
	}
	if (how == LEAVE_DEADLINE) {
		c.flags = DEADLINE;
		c.deadline_ns = now_ns() + 1500 * MS;
	}
	locker_send(_metadata, &self->lk[0], &c);
	ASSERT_TRUE(wait_entry(self->fd[1], self->name, self->lk[0].pid, WAITING));
	locker_must_wait(_metadata, &self->lk[1], self->fd[1], self->name, S);

	if (how == LEAVE_SIGNAL) {
		ASSERT_EQ(0, kill(self->lk[0].pid, SIGUSR1));
	} else if (how == LEAVE_KILL) {
		pid_t pid = self->lk[0].pid;

		locker_kill(&self->lk[0]);
		ASSERT_TRUE(wait_no_entry(self->fd[1], self->name, pid));
	}
	if (how != LEAVE_KILL) {
		ASSERT_TRUE(locker_answer(&self->lk[0], &r, WAIT_MS));
		EXPECT_EQ(-1, r.ret);
		EXPECT_EQ(how == LEAVE_DEADLINE ? ETIMEDOUT : EINTR, r.err);
	}
	locker_granted(_metadata, &self->lk[1], &r);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(2, q.nr_entries);
	EXPECT_LE(0, find_entry(e, q.nr_entries, self->lk[1].pid, HELD));
	EXPECT_GT(0, find_entry(e, q.nr_entries, 0, WAITING));
}

TEST_F(lk, expired_waiter_unblocks_followers)
{
	waiter_leaves(_metadata, self, LEAVE_DEADLINE);
}

TEST_F(lk, interrupted_waiter_unblocks_followers)
{
	waiter_leaves(_metadata, self, LEAVE_SIGNAL);
}

TEST_F(lk, killed_waiter_unblocks_followers)
{
	waiter_leaves(_metadata, self, LEAVE_KILL);
}

/* ---- signals ---- */

TEST_F(lk, signal_interrupts_wait)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_call(_metadata, &self->lk[0], OP_SIGACT, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);

	ASSERT_EQ(0, kill(self->lk[0].pid, SIGUSR1));
	ASSERT_TRUE(locker_answer(&self->lk[0], &r, WAIT_MS));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	EXPECT_EQ(1, r.sigs);
	EXPECT_TRUE(poisoned(&r.handle, sizeof(r.handle)));
	EXPECT_TRUE(poisoned(r.e, sizeof(r.e)));

	/* The request is gone... */
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(getpid(), e[0].pid);
	/* ...so the release grants it to nobody. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	expect_idle_lock(_metadata, self->fd[1], self->name);
	locker_call(_metadata, &self->lk[0], OP_LIST, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(0, r.nr);
	EXPECT_EQ(0, lock_call(self->fd[1], self->name, X, NONBLOCK, &l));
}

TEST_F(lk, signal_restarts_wait)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_call(_metadata, &self->lk[0], OP_SIGACT, 0, SA_RESTART, &r);
	ASSERT_EQ(0, r.ret);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);

	ASSERT_EQ(0, kill(self->lk[0].pid, SIGUSR1));
	locker_quiet(_metadata, &self->lk[0], 2 * QUIET_MS);
	ASSERT_TRUE(wait_entry(self->fd[1], self->name, self->lk[0].pid, WAITING));

	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	locker_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(1, r.sigs);
	EXPECT_EQ(0, r.result);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(self->lk[0].pid, e[0].pid);
	EXPECT_EQ(HELD, e[0].state);
}

/* A restarted call keeps its absolute deadline. */
TEST_F(lk, signal_restart_keeps_deadline)
{
	struct locker_cmd c = { .op = OP_LOCK, .mode = X, .flags = DEADLINE };
	struct locker_reply r;
	struct lockdev_lock l;
	__u64 t;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_call(_metadata, &self->lk[0], OP_SIGACT, 0, SA_RESTART, &r);
	ASSERT_EQ(0, r.ret);
	c.deadline_ns = now_ns() + 2000 * MS;
	locker_send(_metadata, &self->lk[0], &c);
	ASSERT_TRUE(wait_entry(self->fd[1], self->name, self->lk[0].pid, WAITING));
	/* Halfway through, a signal. */
	t = now_ns();
	if (t < c.deadline_ns - 1000 * MS)
		sleep_ms((c.deadline_ns - 1000 * MS - t) / MS);
	ASSERT_EQ(0, kill(self->lk[0].pid, SIGUSR1));

	ASSERT_TRUE(locker_answer(&self->lk[0], &r, WAIT_MS));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(ETIMEDOUT, r.err);
	EXPECT_EQ(1, r.sigs);
	EXPECT_LE(c.deadline_ns, r.end_ns);
	/* Not a fresh 2 s from the signal. */
	EXPECT_GT(c.deadline_ns + 900 * MS, r.end_ns);
	EXPECT_EQ(1, r.nr);
	EXPECT_EQ(getpid(), r.e[0].pid);
	ASSERT_TRUE(wait_no_entry(self->fd[1], self->name, self->lk[0].pid));
}

/*
 * A signal and a grant at the same moment: the call either got the lock and
 * says so, or says EINTR and nobody holds it. Never both, never neither.
 */
TEST_F_TIMEOUT(lk, signal_races_grant, 180)
{
	struct lockdev_entry e[MAXE];
	int granted = 0, interrupted = 0, i;
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_call(_metadata, &self->lk[0], OP_SIGACT, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	for (i = 0; i < 40; i++) {
		ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
		locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);
		if (i & 1) {
			ASSERT_EQ(0, kill(self->lk[0].pid, SIGUSR1));
			ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
		} else {
			ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
			ASSERT_EQ(0, kill(self->lk[0].pid, SIGUSR1));
		}
		ASSERT_TRUE(locker_answer(&self->lk[0], &r, WAIT_MS));
		ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
		if (r.ret == 0) {
			granted++;
			ASSERT_EQ(1, q.nr_entries);
			EXPECT_EQ(self->lk[0].pid, e[0].pid);
			EXPECT_EQ(HELD, e[0].state);
			locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
			ASSERT_EQ(0, r.ret);
		} else {
			interrupted++;
			ASSERT_EQ(EINTR, r.err);
			ASSERT_EQ(0, q.nr_entries) {
				TH_LOG("round %d: EINTR, but the lock has %u entries (pid %u state %u)",
				       i, q.nr_entries, e[0].pid, e[0].state);
			}
			locker_call(_metadata, &self->lk[0], OP_LIST, 0, 0, &r);
			ASSERT_EQ(0, r.nr);
		}
		expect_idle_lock(_metadata, self->fd[1], self->name);
	}
	TH_LOG("%d granted, %d interrupted", granted, interrupted);
	EXPECT_EQ(40, granted + interrupted);
}

/* ---- sessions: shared by fork, released by close and exit ---- */

TEST_F(lk, fork_shares_session)
{
	struct locker_cmd c = { .op = OP_UNLOCK };
	struct locker_reply r;
	struct lockdev_lock l;
	__u64 h2;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	c.handle = l.handle;
	locker_start(_metadata, &self->lk[0], self->fd[0], self->name, -1, 0);

	/* The child sees the parent's lock as its own. */
	locker_call(_metadata, &self->lk[0], OP_LIST, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(c.handle, r.h.handle);
	EXPECT_EQ(HELD, r.h.state);
	locker_call(_metadata, &self->lk[0], OP_LOCK, S, NONBLOCK, &r);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EALREADY, r.err);

	/* A lock the child takes stays with the session after the child exits. */
	locker_start(_metadata, &self->lk[1], self->fd[0], self->name2, -1, 1);
	locker_must_lock(_metadata, &self->lk[1], X, &r);
	h2 = r.handle;
	EXPECT_EQ(0, locker_exit(&self->lk[1]));
	EXPECT_EQ(2, list_count(self->fd[0]));
	EXPECT_EQ(-1, lock_call(self->fd[1], self->name2, S, NONBLOCK, &l));
	EXPECT_EQ(EAGAIN, errno);

	/* The child unlocks the parent's lock by its handle. */
	locker_send(_metadata, &self->lk[0], &c);
	ASSERT_TRUE(locker_answer(&self->lk[0], &r, WAIT_MS));
	EXPECT_EQ(0, r.ret);
	expect_idle_lock(_metadata, self->fd[1], self->name);
	EXPECT_EQ(-1, unlock_handle(self->fd[0], c.handle));
	EXPECT_EQ(ENOLCK, errno);

	/* The parent unlocks the child's. */
	EXPECT_EQ(0, unlock_handle(self->fd[0], h2));
	EXPECT_EQ(0, list_count(self->fd[0]));
}

TEST_F(lk, close_releases)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);

	/* Closing the reader's session wakes the waiting writer. */
	close(self->fd[0]);
	self->fd[0] = -1;
	locker_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(0, r.result);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(self->lk[0].pid, e[0].pid);
	EXPECT_EQ(-1, lock_call(self->fd[1], self->name, X, NONBLOCK, &l));
	EXPECT_EQ(EAGAIN, errno);
	locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);

	/* And an exclusive holder's close lets the next one in. */
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, X, NONBLOCK, &l));
	EXPECT_EQ(-1, lock_call(self->fd[2], self->name, X, NONBLOCK, &l));
	EXPECT_EQ(EAGAIN, errno);
	close(self->fd[1]);
	self->fd[1] = -1;
	EXPECT_EQ(0, lock_call(self->fd[2], self->name, X, NONBLOCK, &l));
}

/* A process killed while it waits leaves no request behind. */
TEST_F(lk, kill_cancels_wait)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	pid_t pid;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, S);
	pid = self->lk[0].pid;
	locker_kill(&self->lk[0]);
	ASSERT_TRUE(wait_no_entry(self->fd[1], self->name, pid));
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(1, q.nr_entries);
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	expect_idle_lock(_metadata, self->fd[1], self->name);

	/* And one killed while it holds a reader lock releases it. */
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_lock(_metadata, &self->lk[1], S, &r);
	pid = self->lk[1].pid;
	locker_kill(&self->lk[1]);
	ASSERT_TRUE(wait_no_entry(self->fd[1], self->name, pid));
	EXPECT_EQ(0, lock_call(self->fd[1], self->name, X, NONBLOCK, &l));
	EXPECT_EQ(0, l.result);
}

/* ---- bad input: each fails with its error and changes nothing ---- */

TEST_F(lk, lock_bad_flags)
{
	struct lockdev_lock l;
	char what[32];
	unsigned int bit;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l));
	take_snap(self->fd[2], self->name, &s);
	/* Bit 3 is LOCKDEV_LOCK_VALUE. */
	for (bit = 4; bit < 32; bit++) {
		snprintf(what, sizeof(what), "flag bit %u", bit);
		lock_input(&l, self->name, S, 1u << bit);
		lock_fails(_metadata, self->fd[0], &l, EINVAL, what);
		lock_input(&l, self->name2, X, NONBLOCK | (1u << bit));
		lock_fails(_metadata, self->fd[0], &l, EINVAL, what);
	}
	expect_snap(_metadata, self->fd[2], self->name, &s);
	expect_no_lock(_metadata, self->fd[2], self->name2);
	EXPECT_EQ(0, list_count(self->fd[0]));
}

TEST_F(lk, lock_bad_mode)
{
	/* 4 is LOCKDEV_MODE_NONE. */
	static const __u32 modes[] = { 0, 5, 0x80000001u, ~0u };
	struct lockdev_lock l;
	char what[32];
	unsigned int i;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l));
	take_snap(self->fd[2], self->name, &s);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		snprintf(what, sizeof(what), "mode %#x", modes[i]);
		lock_input(&l, self->name, modes[i], 0);
		lock_fails(_metadata, self->fd[0], &l, EINVAL, what);
		lock_input(&l, self->name2, modes[i], NONBLOCK);
		lock_fails(_metadata, self->fd[0], &l, EINVAL, what);
	}
	expect_snap(_metadata, self->fd[2], self->name, &s);
	expect_no_lock(_metadata, self->fd[2], self->name2);
	EXPECT_EQ(0, list_count(self->fd[0]));
}

TEST_F(lk, lock_bad_name_len)
{
	char big[4097];
	struct lockdev_lock l;

	lock_input(&l, self->name, S, 0);
	l.name_len = 0;
	lock_fails(_metadata, self->fd[0], &l, EINVAL, "name_len 0");
	lock_input(&l, self->name, S, 0);
	l.name = 0;
	l.name_len = 0;
	lock_fails(_metadata, self->fd[0], &l, EINVAL, "name NULL, name_len 0");

	long_name(big, 4096, self->name);
	lock_input(&l, big, S, 0);
	l.name_len = LOCKDEV_NAME_MAX + 1;
	lock_fails(_metadata, self->fd[0], &l, ENAMETOOLONG, "name_len 256");
	l.name_len = 4096;
	lock_fails(_metadata, self->fd[0], &l, ENAMETOOLONG, "name_len 4096");
	l.name_len = ~0u;
	lock_fails(_metadata, self->fd[0], &l, ENAMETOOLONG, "name_len ~0");
	EXPECT_EQ(0, list_count(self->fd[0]));
	big[LOCKDEV_NAME_MAX] = 0;
	expect_no_lock(_metadata, self->fd[1], big);
	expect_no_lock(_metadata, self->fd[1], self->name);
}

TEST_F(lk, lock_bad_flag_combinations)
{
	static const __u32 bad[] = {
		NONBLOCK | ASYNC, NONBLOCK | DEADLINE, NONBLOCK | DEADLINE | ASYNC,
	};
	struct lockdev_lock l;
	char what[32];
	unsigned int i;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[1], self->name, X, 0, &l));
	take_snap(self->fd[2], self->name, &s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(what, sizeof(what), "flags %#x", bad[i]);
		/* On a held lock: not EAGAIN or ETIMEDOUT, but EINVAL. */
		lock_input(&l, self->name, S, bad[i]);
		l.deadline_ns = now_ns() + 100 * MS;
		lock_fails(_metadata, self->fd[0], &l, EINVAL, what);
		/* On a free lock: not granted. */
		lock_input(&l, self->name2, S, bad[i]);
		l.deadline_ns = now_ns() + 100 * MS;
		lock_fails(_metadata, self->fd[0], &l, EINVAL, what);
	}
	expect_snap(_metadata, self->fd[2], self->name, &s);
	expect_no_lock(_metadata, self->fd[2], self->name2);
	EXPECT_EQ(0, list_count(self->fd[0]));
}

TEST_F(lk, lock_bad_name_pointer)
{
	long page = sysconf(_SC_PAGESIZE);
	struct lockdev_lock l;
	char *map;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));
	memset(map, 'n', page);

	lock_input(&l, self->name, S, 0);
	l.name = 0;
	lock_fails(_metadata, self->fd[0], &l, EFAULT, "name NULL");
	lock_input(&l, self->name, S, 0);
	l.name = 8;
	lock_fails(_metadata, self->fd[0], &l, EFAULT, "name 8");
	lock_input(&l, self->name, S, 0);
	l.name = ptr(map + page);
	lock_fails(_metadata, self->fd[0], &l, EFAULT, "name unmapped");
	/* Starts readable, ends in the unreadable page. */
	lock_input(&l, self->name, S, 0);
	l.name = ptr(map + page - 4);
	l.name_len = 8;
	lock_fails(_metadata, self->fd[0], &l, EFAULT, "name straddles");
	lock_input(&l, self->name, S, 0);
	l.name = ~0ull - 3;
	lock_fails(_metadata, self->fd[0], &l, EFAULT, "name at the top");
	EXPECT_EQ(0, list_count(self->fd[0]));
	expect_no_lock(_metadata, self->fd[1], self->name);
	munmap(map, 2 * page);
}

/*
 * A name that ends where an unreadable page starts is read whole and no
 * further, by LOCK and by UNLOCK, whatever its length; one that runs a byte
 * into that page is not read (EFAULT).
 */
TEST_F(lk, lock_name_at_page_end)
{
	static const unsigned int lens[] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 14, 15, 16, 17, 23, 31,
		LOCKDEV_NAME_MAX,
	};
	char *map, *name, copy[LOCKDEV_NAME_MAX + 1], what[32];
	long page = sysconf(_SC_PAGESIZE);
	struct lockdev_lock l, m;
	struct lockdev_unlock u;
	unsigned int i, len;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		len = lens[i];
		snprintf(what, sizeof(what), "name of %u bytes", len);
		name = map + page - len;
		memset(name, 'a' + i, len);
		name[0] = 'E';
		memcpy(copy, name, len);
		copy[len] = '\0';

		lock_input(&l, copy, X, NONBLOCK);
		l.name = ptr(name);
		ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_LOCK, &l)) {
			TH_LOG("%s: %s", what, strerror(errno));
		}
		/* It is the lock of that name. */
		EXPECT_EQ(-1, lock_call(self->fd[1], copy, X, NONBLOCK, &m));
		EXPECT_EQ(EAGAIN, errno);
		memset(&u, 0, sizeof(u));
		u.name = ptr(name);
		u.name_len = len;
		EXPECT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_UNLOCK, &u)) {
			TH_LOG("%s: %s", what, strerror(errno));
		}

		lock_input(&l, copy, X, NONBLOCK);
		l.name = ptr(name + 1);
		lock_fails(_metadata, self->fd[0], &l, EFAULT, what);
		u.name = ptr(name + 1);
		unlock_fails(_metadata, self->fd[0], &u, EFAULT, what);
	}
	EXPECT_EQ(0, list_count(self->fd[0]));
	munmap(map, 2 * page);
}

TEST_F(lk, lock_bad_arg_pointer)
{
	struct lockdev_lock *l;
	struct lockdev_lock m;

	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_LOCK, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_LOCK, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* Readable, so the request is valid, but its outputs cannot be written. */
	l = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, l);
	lock_input(l, self->name, X, 0);
	ASSERT_EQ(0, mprotect(l, 4096, PROT_READ));
	arm_alarm(10);
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_LOCK, l));
	EXPECT_EQ(EFAULT, errno);
	alarm(0);
	/* The lock was not taken. */
	EXPECT_EQ(0, list_count(self->fd[0]));
	expect_unheld(_metadata, self->fd[1], self->name);
	EXPECT_EQ(0, lock_call(self->fd[1], self->name, X, NONBLOCK, &m));
	munmap(l, 4096);
}

TEST_F(lk, lock_struct_size)
{
	struct {
		struct lockdev_lock l;
		__u8 tail[64];
	} g, before;
	unsigned int nr = _IOC_NR(LOCKDEV_IOC_LOCK), i;

	lock_input(&g.l, self->name, X, NONBLOCK);
	before = g;
	EXPECT_EQ(-1, ioctl(self->fd[0], _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC, nr,
					      LOCKDEV_LOCK_SIZE_VER0 - 8), &g.l));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, memcmp(&g.l, &before.l, sizeof(g.l)));
	expect_no_lock(_metadata, self->fd[1], self->name);

	memset(g.tail, 0, sizeof(g.tail));
	g.tail[sizeof(g.tail) - 1] = 1;
	before = g;
	EXPECT_EQ(-1, ioctl(self->fd[0], _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC, nr,
					      sizeof(g)), &g));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(0, memcmp(&g, &before, sizeof(g)));
	expect_no_lock(_metadata, self->fd[1], self->name);

	memset(g.tail, 0, sizeof(g.tail));
	ASSERT_EQ(0, ioctl(self->fd[0], _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC, nr,
					     sizeof(g)), &g));
	EXPECT_NE(0, g.l.handle);
	EXPECT_NE(0, g.l.generation);
	for (i = 0; i < sizeof(g.tail); i++)
		EXPECT_EQ(0, g.tail[i]);
	EXPECT_EQ(0, unlock_handle(self->fd[0], g.l.handle));
}

TEST_F(lk, unlock_bad_input)
{
	char big[LOCKDEV_NAME_MAX + 2];
	struct lockdev_unlock u;
	struct lockdev_lock l;
	unsigned int bit;
	char what[32];
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	take_snap(self->fd[1], self->name, &s);

	u = (struct lockdev_unlock){ .handle = l.handle, .name = ptr(self->name),
				     .name_len = strlen(self->name) };
	unlock_fails(_metadata, self->fd[0], &u, EINVAL, "handle and name");
	u = (struct lockdev_unlock){ 0 };
	unlock_fails(_metadata, self->fd[0], &u, EINVAL, "neither");
	u = (struct lockdev_unlock){ .name_len = strlen(self->name) };
	unlock_fails(_metadata, self->fd[0], &u, EINVAL, "neither, with a length");
	u = (struct lockdev_unlock){ .name = ptr(self->name) };
	unlock_fails(_metadata, self->fd[0], &u, EINVAL, "name_len 0");
	/* Bit 0 is LOCKDEV_UNLOCK_SET_VALUE. */
	for (bit = 1; bit < 32; bit++) {
		snprintf(what, sizeof(what), "flag bit %u", bit);
		u = (struct lockdev_unlock){ .handle = l.handle, .flags = 1u << bit };
		unlock_fails(_metadata, self->fd[0], &u, EINVAL, what);
		u = (struct lockdev_unlock){ .name = ptr(self->name),
					     .name_len = strlen(self->name),
					     .flags = 1u << bit };
		unlock_fails(_metadata, self->fd[0], &u, EINVAL, what);
	}
	long_name(big, LOCKDEV_NAME_MAX + 1, self->name);
	u = (struct lockdev_unlock){ .name = ptr(big), .name_len = LOCKDEV_NAME_MAX + 1 };
	unlock_fails(_metadata, self->fd[0], &u, ENAMETOOLONG, "name_len 256");
	u = (struct lockdev_unlock){ .name = 8, .name_len = 5 };
	unlock_fails(_metadata, self->fd[0], &u, EFAULT, "name 8");
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_UNLOCK, NULL));
	EXPECT_EQ(EFAULT, errno);

	expect_snap(_metadata, self->fd[1], self->name, &s);
	EXPECT_EQ(1, list_count(self->fd[0]));
	EXPECT_EQ(0, unlock_handle(self->fd[0], l.handle));
}

TEST_F(lk, query_bad_input)
{
	char big[LOCKDEV_NAME_MAX + 2];
	struct lockdev_query q, before;
	struct lockdev_entry e[2];
	struct lockdev_lock l;
	struct snap s;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	take_snap(self->fd[1], self->name, &s);
	long_name(big, LOCKDEV_NAME_MAX + 1, self->name);

	/* Bit 0 is LOCKDEV_QUERY_VALUE. */
	for (i = 1; i < 37; i++) {
		int err = EINVAL;

		query(self->fd[1], self->name, &q, e, 2);
		if (i < 32) {
			q.flags = 1u << i;
		} else if (i == 32) {
			q.name_len = 0;
		} else if (i == 33) {
			q.name = ptr(big);
			q.name_len = LOCKDEV_NAME_MAX + 1;
			err = ENAMETOOLONG;
		} else if (i == 34) {
			q.name = 8;
			err = EFAULT;
		} else if (i == 35) {
			q.entries = 8;
			err = EFAULT;
		} else {
			q.name = 0;
			q.name_len = 0;
		}
		before = q;
		poison(e, sizeof(e));
		EXPECT_EQ(-1, ioctl(self->fd[1], LOCKDEV_IOC_QUERY, &q)) {
			TH_LOG("case %d: succeeded", i);
		}
		EXPECT_EQ(err, errno) {
			TH_LOG("case %d: errno %d, expected %d", i, errno, err);
		}
		EXPECT_EQ(0, memcmp(&q, &before, sizeof(q))) {
			TH_LOG("case %d: the struct was written", i);
		}
		EXPECT_TRUE(poisoned(e, sizeof(e)));
	}
	EXPECT_EQ(-1, ioctl(self->fd[1], LOCKDEV_IOC_QUERY, NULL));
	EXPECT_EQ(EFAULT, errno);
	expect_snap(_metadata, self->fd[1], self->name, &s);
}

TEST_F(lk, list_bad_input)
{
	struct lockdev_list li, before;
	struct lockdev_held h[2];
	struct lockdev_lock l;
	unsigned int bit;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	for (bit = 0; bit < 32; bit++) {
		poison(h, sizeof(h));
		li = (struct lockdev_list){ .entries = ptr(h), .nr_entries = 2,
					    .flags = 1u << bit };
		before = li;
		EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_LIST, &li));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(0, memcmp(&li, &before, sizeof(li)));
		EXPECT_TRUE(poisoned(h, sizeof(h)));
	}
	li = (struct lockdev_list){ .entries = 8, .nr_entries = 2 };
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_LIST, &li));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_LIST, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(1, list_count(self->fd[0]));
}

TEST_HARNESS_MAIN
