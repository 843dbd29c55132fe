// SPDX-License-Identifier: GPL-2.0
/*
 * lockdev_locks_dump(): the holders and waiters it reports, checked against
 * the sessions' fdinfo and the requests made; its flags and errors; ending
 * it early from the callback; what an unprivileged caller gets; and, on a
 * module with resident locks, the idle ones (owner-died always, the others
 * with LOCKDEV_DUMP_IDLE).
 *
 * Other lock owners are forked children (holder_start()); every wait is
 * bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "lib_util.h"

#define SEEN_MAX	8

/* What a dump said of the locks whose names start with @prefix. */
struct seen {
	const char *prefix;
	int calls;
	int n;
	int stop_at;		/* return @stop after this many calls, or 0 */
	int stop;
	struct lockdev_lock_info l[SEEN_MAX];
};

static int collect(const struct lockdev_lock_info *l, void *arg)
{
	struct seen *s = arg;

	s->calls++;
	if (s->stop_at && s->calls == s->stop_at)
		return s->stop;
	if (strncmp(l->name, s->prefix, strlen(s->prefix)) || s->n == SEEN_MAX)
		return 0;
	s->l[s->n++] = *l;
	return 0;
}

/* The entry of @s of @pid in @state, or NULL. */
static const struct lockdev_lock_info *entry_of(const struct seen *s,
						__u32 pid, __u32 state)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (s->l[i].pid == pid && s->l[i].state == state)
			return &s->l[i];
	return NULL;
}

/* The session id that fdinfo gives for descriptor @fd of the caller, or 0. */
static unsigned long long session_of(int fd)
{
	static const char key[] = "lockdev_session:\t";
	unsigned long long id = 0;
	char path[64], *buf, *p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	buf = read_file(path);
	if (!buf)
		return 0;
	p = strstr(buf, key);
	if (p)
		id = strtoull(p + sizeof(key) - 1, NULL, 10);
	free(buf);
	return id;
}

/* LOCK @len bytes at @name, SHARED, on @ld's session; the raw ioctl. */
static int lock_n(struct lockdev *ld, const char *name, size_t len,
		  struct lockdev_lock *l)
{
	memset(l, 0, sizeof(*l));
	l->name = (__u64)(uintptr_t)name;
	l->name_len = len;
	l->mode = LOCKDEV_MODE_SHARED;
	return ioctl(lockdev_fd(ld), LOCKDEV_IOC_LOCK, l);
}

FIXTURE(dump) {
	struct lockdev *ld;
	char prefix[32];
	char name[64];
	struct seen s;
};

FIXTURE_SETUP(dump)
{
	self->ld = lib_open(_metadata);
	snprintf(self->prefix, sizeof(self->prefix), "dump%d:",
		 (int)getpid());
	snprintf(self->name, sizeof(self->name), "%sa", self->prefix);
	memset(&self->s, 0, sizeof(self->s));
	self->s.prefix = self->prefix;
}

FIXTURE_TEARDOWN(dump)
{
	lockdev_close(self->ld);
}

/* A holder and a waiter: every field, as the requests and fdinfo say. */
TEST_F(dump, holder_and_waiter)
{
	const struct lockdev_lock_info *h, *w;
	struct lockdev_completion c;
	unsigned long long mine = session_of(lockdev_fd(self->ld));
	char space[32], comm[17] = "";
	struct lockdev_info qi;
	struct kid k;

	ASSERT_NE(0, mine);
	prctl(PR_GET_NAME, comm);
	snprintf(space, sizeof(space), "~%u", geteuid());
	holder_start(_metadata, &k, self->name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lockdev_lock_async(self->ld, self->name,
					LOCKDEV_MODE_SHARED, 3,
					LOCKDEV_FOREVER, 0, NULL));
	expect_waiting(_metadata, self->ld, self->name, getpid(),
		       LOCKDEV_STATE_WAITING);
	ASSERT_LE(0, lockdev_query(self->ld, self->name, NULL, 0, &qi));

	ASSERT_EQ(0, lockdev_locks_dump(0, collect, &self->s));
	EXPECT_EQ(2, self->s.n);
	EXPECT_LE(2, self->s.calls);
	h = entry_of(&self->s, k.pid, LOCKDEV_STATE_HELD);
	ASSERT_NE(NULL, h);
	EXPECT_EQ(strlen(space), h->lockspace_len);
	EXPECT_STREQ(space, h->lockspace);
	EXPECT_EQ(strlen(self->name), h->name_len);
	EXPECT_STREQ(self->name, h->name);
	EXPECT_EQ(LOCKDEV_MODE_EXCLUSIVE, h->mode);
	EXPECT_EQ(0, h->level);
	EXPECT_NE(0, h->session);
	EXPECT_NE(mine, h->session);
	EXPECT_EQ(qi.generation, h->generation);
	EXPECT_EQ(0, h->owner_died);
	EXPECT_EQ(0, h->nr_waits_for);
	EXPECT_EQ(0, h->waits_for_truncated);
	EXPECT_GT(60000 * MS, h->age_ns);

	w = entry_of(&self->s, getpid(), LOCKDEV_STATE_WAITING);
	ASSERT_NE(NULL, w);
	EXPECT_STREQ(space, w->lockspace);
	EXPECT_EQ(LOCKDEV_MODE_SHARED, w->mode);
	EXPECT_EQ(3, w->level);
	EXPECT_EQ(mine, w->session);
	EXPECT_STREQ(comm, w->comm);
	EXPECT_EQ(qi.generation, w->generation);
	ASSERT_EQ(1, w->nr_waits_for);
	EXPECT_EQ((__u32)k.pid, w->waits_for[0]);
	EXPECT_EQ(0, w->waits_for_truncated);

	holder_stop(_metadata, &k, 'u');
	ASSERT_EQ(1, lockdev_read_completions(self->ld, &c, 1, WAIT_MS * MS,
					      0));
	EXPECT_EQ(0, c.result);
	EXPECT_EQ(0, lockdev_unlock_name(self->ld, self->name));

	/* Released, the lock has no holder or waiter to show. */
	memset(&self->s, 0, sizeof(self->s));
	self->s.prefix = self->prefix;
	ASSERT_EQ(0, lockdev_locks_dump(0, collect, &self->s));
	EXPECT_EQ(NULL, entry_of(&self->s, getpid(), LOCKDEV_STATE_HELD));
	EXPECT_EQ(NULL, entry_of(&self->s, k.pid, LOCKDEV_STATE_HELD));
}

/* A name with NUL and escaped bytes comes as its bytes, with its length. */
TEST_F(dump, binary_name)
{
	struct lockdev_lock_info *l;
	struct lockdev_lock g;
	char name[64];
	int len;

	len = snprintf(name, sizeof(name), "%sb", self->prefix);
	memcpy(name + len, "\0 x~", 4);
	len += 4;
	name[len] = 0;
	ASSERT_EQ(0, lock_n(self->ld, name, len, &g));
	ASSERT_EQ(0, lockdev_locks_dump(0, collect, &self->s));
	ASSERT_EQ(1, self->s.n);
	l = &self->s.l[0];
	EXPECT_EQ(len, l->name_len);
	EXPECT_EQ(0, memcmp(l->name, name, len + 1));
	EXPECT_EQ(0, lockdev_unlock(self->ld, g.handle));
}

TEST_F(dump, bad_arguments)
{
	EXPECT_EQ(-EINVAL, lockdev_locks_dump(~LOCKDEV_DUMP_FLAGS_ALL, collect,
					      &self->s));
	EXPECT_EQ(-EINVAL, lockdev_locks_dump(1U << 31, collect, &self->s));
	EXPECT_EQ(-EINVAL, lockdev_locks_dump(0, NULL, NULL));
	EXPECT_EQ(0, self->s.calls);
}

/*
 * The netlink calls leave errno as they found it, as every function of
 * the library does, also where libnl and recv() set it.
 */
TEST_F(dump, errno_left_alone)
{
	struct lockdev_monitor *mon;
	struct lockdev_event ev;

	errno = 4242;
	ASSERT_EQ(0, lockdev_locks_dump(0, collect, &self->s));
	EXPECT_EQ(4242, errno);
	ASSERT_EQ(0, lockdev_monitor_open(&mon, LOCKDEV_MONITOR_NONBLOCK));
	EXPECT_EQ(4242, errno);
	while (lockdev_monitor_read(mon, &ev) == 0)
		;
	EXPECT_EQ(-EAGAIN, lockdev_monitor_read(mon, &ev));
	EXPECT_EQ(4242, errno);
	EXPECT_EQ(0, lockdev_monitor_thresholds(mon, -1, -1, NULL, NULL));
	EXPECT_EQ(4242, errno);
	lockdev_monitor_close(mon);
	EXPECT_EQ(4242, errno);
}

/* What the callback returns other than 0 ends the dump and is returned. */
TEST_F(dump, callback_ends_it)
{
	char name[64];
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%sstop%d", self->prefix, i);
		ASSERT_EQ(0, lockdev_lock(self->ld, name, LOCKDEV_MODE_SHARED,
					  0, 0, NULL));
	}
	self->s.stop_at = 1;
	self->s.stop = 42;
	EXPECT_EQ(42, lockdev_locks_dump(0, collect, &self->s));
	EXPECT_EQ(1, self->s.calls);
	self->s.calls = 0;
	self->s.stop_at = 2;
	self->s.stop = -ECANCELED;
	EXPECT_EQ(-ECANCELED, lockdev_locks_dump(0, collect, &self->s));
	EXPECT_EQ(2, self->s.calls);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "%sstop%d", self->prefix, i);
		EXPECT_EQ(0, lockdev_unlock_name(self->ld, name));
	}
}

/*
 * Without CAP_NET_ADMIN the dump works, and shows only the lockspaces the
 * caller could see in /proc/lockdev/locks: not root's default one.
 */
TEST_F(dump, unprivileged)
{
	struct kid k;

	ASSERT_EQ(0, lockdev_lock(self->ld, self->name, LOCKDEV_MODE_SHARED,
				  0, 0, NULL));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		ASSERT_EQ(0, become(65534, 65534));
		EXPECT_EQ(0, lockdev_locks_dump(0, collect, &self->s));
		EXPECT_EQ(0, self->s.n);
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
	ASSERT_EQ(0, lockdev_locks_dump(0, collect, &self->s));
	EXPECT_EQ(1, self->s.n);
	EXPECT_EQ(0, lockdev_unlock_name(self->ld, self->name));
}

/*
 * Resident locks: an idle lock is shown only with LOCKDEV_DUMP_IDLE; an
 * idle owner-died one always, with no holder's fields.
 */
TEST_F(dump, idle_locks)
{
	const struct lockdev_lock_info *l;
	struct lockdev_grant g;
	char died[64];
	struct kid k;

	lib_require(_metadata, LOCKDEV_FEATURE_RESIDENT, "resident locks");
	ASSERT_EQ(0, lockdev_lock(self->ld, self->name, LOCKDEV_MODE_EXCLUSIVE,
				  0, 0, &g));
	ASSERT_EQ(0, lockdev_unlock(self->ld, g.handle));
	ASSERT_EQ(0, lockdev_locks_dump(0, collect, &self->s));
	EXPECT_EQ(0, self->s.n);
	ASSERT_EQ(0, lockdev_locks_dump(LOCKDEV_DUMP_IDLE, collect, &self->s));
	ASSERT_EQ(1, self->s.n);
	l = &self->s.l[0];
	EXPECT_STREQ(self->name, l->name);
	EXPECT_EQ(LOCKDEV_STATE_IDLE, l->state);
	EXPECT_EQ(0, l->owner_died);
	EXPECT_EQ(0, l->session);
	EXPECT_EQ(0, l->mode);
	EXPECT_EQ(0, l->pid);
	EXPECT_NE(0, l->generation);

	/* A holder in EXCLUSIVE exits holding it: owner-died, and shown. */
	snprintf(died, sizeof(died), "%sdied", self->prefix);
	holder_start(_metadata, &k, died, LOCKDEV_MODE_EXCLUSIVE);
	holder_stop(_metadata, &k, 'q');
	memset(&self->s, 0, sizeof(self->s));
	self->s.prefix = died;
	ASSERT_EQ(0, lockdev_locks_dump(0, collect, &self->s));
	ASSERT_EQ(1, self->s.n);
	l = &self->s.l[0];
	EXPECT_EQ(LOCKDEV_STATE_IDLE, l->state);
	EXPECT_EQ(1, l->owner_died);
	EXPECT_EQ(0, l->session);
	EXPECT_EQ(0, l->pid);
	EXPECT_NE(0, l->generation);

	/* Marked consistent, it is an ordinary idle lock again. */
	ASSERT_EQ(0, lockdev_lock(self->ld, died, LOCKDEV_MODE_EXCLUSIVE, 0, 0,
				  &g));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED,
		  g.result & LOCKDEV_RESULT_OWNER_DIED);
	EXPECT_EQ(0, lockdev_consistent(self->ld, g.handle));
	EXPECT_EQ(0, lockdev_unlock(self->ld, g.handle));
	memset(&self->s, 0, sizeof(self->s));
	self->s.prefix = died;
	ASSERT_EQ(0, lockdev_locks_dump(0, collect, &self->s));
	EXPECT_EQ(0, self->s.n);
}

TEST_HARNESS_MAIN
