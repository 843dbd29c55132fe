// SPDX-License-Identifier: GPL-2.0
/*
 * The limits of the module parameters in /sys/module/lockdev/parameters/:
 * set a small limit, reach it, see the next request fail with the documented
 * errno and change nothing, release one and see it work again.
 *
 * Every test saves the six parameters in its fixture and puts them back in
 * the teardown, which runs on failure too. The per-uid limits are exercised
 * by a child running as a uid no other test uses, so the root-owned test
 * process is not what reaches them. Children die by SIGALRM after
 * KID_TIMEOUT_S and every wait is bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "genl_util.h"
#include "kselftest_harness.h"
#include "util.h"

#define PARAMS		"/sys/module/lockdev/parameters/"


/* One uid per test, used by no other test file. */
#define UID_USER_LOCKS	2002
#define UID_WAITERS	2003
#define UID_SESSIONS	2004
#define UID_SPACES	2005
#define UID_QUEUED	2006
#define UID_COMPLETIONS	2007
#define UID_OWNER_DIED	2008
#define UID_DEFAULT	2009
#define UID_COLLECTED	2010
#define UID_SLOTS	2030
#define UID_RETIRED	2031
#define UID_WALKS	2032
#define UID_SUBORD	2033
/* The subordinate uids of UID_SUBORD: SUBORD_UIDS from SUBORD_BASE. */
#define SUBORD_BASE	200000
#define SUBORD_UIDS	4
/* Another uid, which must not be affected by the first one's limit. */
#define UID_OTHER(uid)	((uid) + 10)

static const char *const limit_names[] = {
	"max_locks_per_space",
	"max_locks_per_user",
	"max_waiters_per_user",
	"max_sessions_per_user",
	"max_spaces_per_user",
	"max_classes_per_user",
};

#define NR_LIMITS	ARRAY_SIZE(limit_names)

/* The value of module parameter @name, or -1. */
static long long get_param(const char *name)
{
	char path[128], buf[32];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtoll(buf, NULL, 10);
}

static int set_param(const char *name, long long value)
{
	char path[128], buf[32];
	int fd, len;
	ssize_t n;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	len = snprintf(buf, sizeof(buf), "%lld\n", value);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	close(fd);
	return n == len ? 0 : -1;
}

/* Fork a child that dies by SIGALRM after KID_TIMEOUT_S; like fork(). */
static pid_t kid_fork_nopipes(void)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		alarm(KID_TIMEOUT_S);
	return pid;
}

static int lock_dl(int fd, const char *name, __u32 mode, __u32 flags,
		   __u64 deadline, struct lockdev_lock *l)
{
	struct lockdev_lock tmp;

	if (!l)
		l = &tmp;
	memset(l, 0, sizeof(*l));
	l->name = ptr(name);
	l->name_len = strlen(name);
	l->mode = mode;
	l->flags = flags;
	l->deadline_ns = deadline;
	poison(&l->handle, sizeof(l->handle));
	poison(&l->generation, sizeof(l->generation));
	poison(&l->result, sizeof(l->result));
	return ioctl(fd, LOCKDEV_IOC_LOCK, l);
}

static int lock_str(int fd, const char *name, __u32 mode, __u32 flags)
{
	return lock_dl(fd, name, mode, flags, 0, NULL);
}

static int unlock_str(int fd, const char *name)
{
	struct lockdev_unlock u;

	memset(&u, 0, sizeof(u));
	u.name = ptr(name);
	u.name_len = strlen(name);
	return ioctl(fd, LOCKDEV_IOC_UNLOCK, &u);
}

static int query_str(int fd, const char *name, struct lockdev_entry *e,
		     __u32 nr, struct lockdev_query *q)
{
	memset(q, 0, sizeof(*q));
	q->name = ptr(name);
	q->name_len = strlen(name);
	q->entries = ptr(e);
	q->nr_entries = nr;
	poison(&q->lock_flags, sizeof(q->lock_flags));
	poison(&q->generation, sizeof(q->generation));
	if (e)
		poison(e, nr * sizeof(*e));
	return ioctl(fd, LOCKDEV_IOC_QUERY, q);
}

/* The lock does not exist: QUERY finds neither entries nor a generation. */
static void expect_no_lock(struct __test_metadata *_metadata, int fd,
			   const char *name)
{
	struct lockdev_entry e[4];
	struct lockdev_query q;

	EXPECT_EQ(0, query_str(fd, name, e, 4, &q));
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(0, q.generation);
	EXPECT_EQ(0, q.lock_flags);
}

/* Wait up to WAIT_MS for lock @name to have @n entries in @state. */
static int wait_state(int fd, const char *name, __u32 state, int n)
{
	int waited;

	for (waited = 0; waited < WAIT_MS; waited += 5) {
		if (count_state(fd, name, state) == n)
			return 0;
		sleep_ms(5);
	}
	return -1;
}

/*
 * In a child as @uid: open a session, create a lockspace and take a lock in
 * it, which a limit reached by another uid must not prevent.
 */
static int other_uid_locks(struct __test_metadata *_metadata, uid_t uid,
			   const char *name)
{
	pid_t pid = kid_fork_nopipes();
	int fd;

	if (pid < 0)
		return -3;
	if (pid == 0) {
		if (become(uid, uid))
			_exit(2);
		fd = open_session();
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, attach_space(fd, name, 0, 0600));
		EXPECT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK));
		/* Unlocked, so that no owner-died lock keeps the lockspace. */
		EXPECT_EQ(0, unlock_str(fd, name));
		KID_EXIT();
	}
	return reap(pid, WAIT_MS);
}

FIXTURE(limits) {
	long long saved[NR_LIMITS];
	char prefix[64];
};

FIXTURE_SETUP(limits)
{
	unsigned int i;

	for (i = 0; i < NR_LIMITS; i++)
		self->saved[i] = get_param(limit_names[i]);
	for (i = 0; i < NR_LIMITS; i++)
		ASSERT_LT(0, self->saved[i]);
	snprintf(self->prefix, sizeof(self->prefix), "limits-%d", getpid());
}

FIXTURE_TEARDOWN(limits)
{
	unsigned int i;

	for (i = 0; i < NR_LIMITS; i++) {
		if (self->saved[i] <= 0)
			continue;
		EXPECT_EQ(0, set_param(limit_names[i], self->saved[i]));
		EXPECT_EQ(self->saved[i], get_param(limit_names[i]));
	}
}

/* The six parameters exist, root may write them, and they read back. */
TEST_F(limits, params)
{
	char path[128];
	struct stat st;
	unsigned int i;

	for (i = 0; i < NR_LIMITS; i++) {
		snprintf(path, sizeof(path), PARAMS "%s", limit_names[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(S_IFREG | 0644, st.st_mode) TH_LOG("%s", path);
		EXPECT_EQ(0, set_param(limit_names[i], 7));
		EXPECT_EQ(7, get_param(limit_names[i]));
		EXPECT_EQ(0, set_param(limit_names[i], self->saved[i]));
		EXPECT_EQ(self->saved[i], get_param(limit_names[i]));
	}
}

/*
 * max_locks_per_space: locks that exist in one lockspace. A request that
 * would create one more fails with ENOSPC; one for a lock that exists does
 * not; other lockspaces are not affected.
 */
TEST_F(limits, locks_per_space)
{
	char s1[96], s2[96], a[96], b[96], c[96], d[96], e[96];
	int fda = open_session(), fdb = open_session(), fdc = open_session();
	long long locks, holders;
	struct lockdev_entry ent[4];
	struct lockdev_query q;

	ASSERT_LE(0, fda);
	ASSERT_LE(0, fdb);
	ASSERT_LE(0, fdc);
	snprintf(s1, sizeof(s1), "%s-space1", self->prefix);
	snprintf(s2, sizeof(s2), "%s-space2", self->prefix);
	snprintf(a, sizeof(a), "%s-a", self->prefix);
	snprintf(b, sizeof(b), "%s-b", self->prefix);
	snprintf(c, sizeof(c), "%s-c", self->prefix);
	snprintf(d, sizeof(d), "%s-d", self->prefix);
	snprintf(e, sizeof(e), "%s-e", self->prefix);
	ASSERT_EQ(0, attach_space(fda, s1, 0, 0600));
	ASSERT_EQ(0, attach_space(fdb, s1, 0, 0600));
	ASSERT_EQ(0, attach_space(fdc, s2, 0, 0600));

	ASSERT_EQ(0, set_param("max_locks_per_space", 3));
	ASSERT_EQ(0, lock_str(fda, a, LOCKDEV_MODE_SHARED, 0));
	ASSERT_EQ(0, lock_str(fda, b, LOCKDEV_MODE_SHARED, 0));
	ASSERT_EQ(0, lock_str(fda, c, LOCKDEV_MODE_SHARED, 0));
	locks = stat_value("locks");
	holders = stat_value("holders");

	/* A fourth lock in the lockspace. */
	EXPECT_EQ(-1, lock_str(fda, d, LOCKDEV_MODE_EXCLUSIVE, 0));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, lock_str(fda, d, LOCKDEV_MODE_EXCLUSIVE,
			       LOCKDEV_LOCK_NONBLOCK));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(-1, lock_str(fdb, e, LOCKDEV_MODE_SHARED, 0));
	EXPECT_EQ(ENOSPC, errno);
	/* Nothing changed. */
	expect_no_lock(_metadata, fda, d);
	expect_no_lock(_metadata, fdb, e);
	EXPECT_EQ(locks, stat_value("locks"));
	EXPECT_EQ(holders, stat_value("holders"));

	/* Another grant of a lock that exists creates none. */
	EXPECT_EQ(0, lock_str(fdb, a, LOCKDEV_MODE_SHARED, 0));
	ASSERT_EQ(0, query_str(fdb, a, ent, 4, &q));
	EXPECT_EQ(2, q.nr_entries);
	/* Another lockspace has room. */
	EXPECT_EQ(0, lock_str(fdc, d, LOCKDEV_MODE_EXCLUSIVE, 0));

	/* Releasing c frees a place. */
	EXPECT_EQ(0, unlock_str(fda, c));
	EXPECT_EQ(0, lock_str(fdb, d, LOCKDEV_MODE_EXCLUSIVE, 0));
	EXPECT_EQ(-1, lock_str(fdb, e, LOCKDEV_MODE_SHARED, 0));
	EXPECT_EQ(ENOSPC, errno);

	/* A lower limit applies to later requests; nothing held is lost. */
	ASSERT_EQ(0, set_param("max_locks_per_space", 1));
	ASSERT_EQ(0, query_str(fda, b, ent, 4, &q));
	EXPECT_EQ(1, q.nr_entries);
	EXPECT_EQ(-1, lock_str(fda, c, LOCKDEV_MODE_SHARED, 0));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0, unlock_str(fda, b));
	EXPECT_EQ(0, unlock_str(fda, a));
	EXPECT_EQ(0, unlock_str(fdb, a));
	/* Only d is left. */
	EXPECT_EQ(-1, lock_str(fda, c, LOCKDEV_MODE_SHARED, 0));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0, unlock_str(fdb, d));
	EXPECT_EQ(0, lock_str(fda, c, LOCKDEV_MODE_SHARED, 0));
	close(fda);
	close(fdb);
	close(fdc);
}

/*
 * max_locks_per_user: grants held by one uid, in every lockspace. One more
 * fails with EDQUOT; other uids are not affected.
 */
TEST_F(limits, locks_per_user)
{
	char space[96], a[96], b[96], c[96], d[96], e[96], other[96];
	long long holders, locks;
	int s1, s2;
	struct kid k;

	snprintf(space, sizeof(space), "%s-uspace", self->prefix);
	snprintf(a, sizeof(a), "%s-a", self->prefix);
	snprintf(b, sizeof(b), "%s-b", self->prefix);
	snprintf(c, sizeof(c), "%s-c", self->prefix);
	snprintf(d, sizeof(d), "%s-d", self->prefix);
	snprintf(e, sizeof(e), "%s-e", self->prefix);
	snprintf(other, sizeof(other), "%s-other", self->prefix);
	ASSERT_EQ(0, set_param("max_locks_per_user", 3));

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_USER_LOCKS, UID_USER_LOCKS))
			_exit(2);
		s1 = open_session();
		s2 = open_session();
		EXPECT_LE(0, s1);
		EXPECT_LE(0, s2);
		/* Two grants in the default lockspace, one in a named one. */
		EXPECT_EQ(0, lock_str(s1, a, LOCKDEV_MODE_EXCLUSIVE, 0));
		EXPECT_EQ(0, lock_str(s1, b, LOCKDEV_MODE_SHARED, 0));
		EXPECT_EQ(0, attach_space(s2, space, 0, 0600));
		EXPECT_EQ(0, lock_str(s2, c, LOCKDEV_MODE_APPEND, 0));
		if (!_metadata->passed)
			_exit(1);
		holders = stat_value("holders");
		locks = stat_value("locks");

		EXPECT_EQ(-1, lock_str(s1, d, LOCKDEV_MODE_EXCLUSIVE, 0));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(-1, lock_str(s1, d, LOCKDEV_MODE_SHARED,
				       LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(-1, lock_str(s2, d, LOCKDEV_MODE_SHARED, 0));
		EXPECT_EQ(EDQUOT, errno);
		expect_no_lock(_metadata, s1, d);
		expect_no_lock(_metadata, s2, d);
		EXPECT_EQ(holders, stat_value("holders"));
		EXPECT_EQ(locks, stat_value("locks"));

		/* Another uid is not limited by this one's grants. */
		kid_send(&k, 'O');
		EXPECT_EQ('c', kid_recv(&k, WAIT_MS));

		/* One released, one more granted, and no more. */
		EXPECT_EQ(0, unlock_str(s1, b));
		EXPECT_EQ(0, lock_str(s1, d, LOCKDEV_MODE_SHARED, 0));
		EXPECT_EQ(-1, lock_str(s2, e, LOCKDEV_MODE_SHARED, 0));
		EXPECT_EQ(EDQUOT, errno);
		/*
		 * Closing a session gives back its grants, but the APPEND
		 * lock it leaves owner-died stays charged to the uid.
		 */
		close(s2);
		EXPECT_EQ(-1, lock_str(s1, e, LOCKDEV_MODE_SHARED, 0));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(0, unlock_str(s1, d));
		EXPECT_EQ(0, lock_str(s1, e, LOCKDEV_MODE_SHARED, 0));
		close(s1);
		KID_EXIT();
	}
	EXPECT_EQ('O', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, other_uid_locks(_metadata, UID_OTHER(UID_USER_LOCKS),
				     other));
	kid_send(&k, 'c');
	EXPECT_EQ(0, kid_reap(&k));
}

/* Locks of the handle-room test; its uid has room for twice as many. */
#define ROOM_LOCKS	80

/*
 * The room a uid's sessions keep for handles, beyond the first 16 of each,
 * is charged to it, at most twice max_locks_per_user (160 here): a session
 * that once had 80 requests and keeps the last keeps room for 128 (112
 * charged), so another session of the uid cannot grow past room for 32 (a
 * growth charges the new room before the old goes), although the uid holds
 * only 33 locks. When the first session's last request ends, its room goes
 * back.
 */
TEST_F(limits, handle_room_per_user)
{
	char name[96];
	int s1, s2, i;
	pid_t pid;

	ASSERT_EQ(0, set_param("max_locks_per_user", ROOM_LOCKS));
	pid = kid_fork_nopipes();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become(UID_SLOTS, UID_SLOTS))
			_exit(2);
		s1 = open_session();
		s2 = open_session();
		ASSERT_LE(0, s1);
		ASSERT_LE(0, s2);
		for (i = 0; i < ROOM_LOCKS; i++) {
			snprintf(name, sizeof(name), "%s-r%d", self->prefix, i);
			ASSERT_EQ(0, lock_str(s1, name, LOCKDEV_MODE_SHARED,
					      LOCKDEV_LOCK_NONBLOCK));
		}
		for (i = 0; i < ROOM_LOCKS - 1; i++) {
			snprintf(name, sizeof(name), "%s-r%d", self->prefix, i);
			ASSERT_EQ(0, unlock_str(s1, name));
		}
		for (i = 0; i < 32; i++) {
			snprintf(name, sizeof(name), "%s-s%d", self->prefix, i);
			ASSERT_EQ(0, lock_str(s2, name, LOCKDEV_MODE_SHARED,
					      LOCKDEV_LOCK_NONBLOCK));
		}
		snprintf(name, sizeof(name), "%s-s32", self->prefix);
		EXPECT_EQ(-1, lock_str(s2, name, LOCKDEV_MODE_SHARED,
				       LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(EDQUOT, errno);
		expect_no_lock(_metadata, s2, name);
		/* The first session's last request ends: its room goes back. */
		snprintf(name, sizeof(name), "%s-r%d", self->prefix,
			 ROOM_LOCKS - 1);
		ASSERT_EQ(0, unlock_str(s1, name));
		snprintf(name, sizeof(name), "%s-s32", self->prefix);
		EXPECT_EQ(0, lock_str(s2, name, LOCKDEV_MODE_SHARED,
				      LOCKDEV_LOCK_NONBLOCK));
		close(s2);
		close(s1);
		KID_EXIT();
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
}

struct waiter {
	pthread_t thread;
	int fd;
	const char *name;
	int ret;
	int err;
	int done;
};

/* A thread of its own session, blocked on a lock for at most 15 s. */
static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	w->ret = lock_dl(w->fd, w->name, LOCKDEV_MODE_EXCLUSIVE,
			 LOCKDEV_LOCK_DEADLINE, now_ns() + 15000000000ull,
			 NULL);
	w->err = errno;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Wait up to WAIT_MS for a waiter thread to end; then join it. */
static int waiter_join(struct waiter *w)
{
	int waited;

	for (waited = 0; waited < WAIT_MS; waited += 5) {
		if (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
			return pthread_join(w->thread, NULL);
		sleep_ms(5);
	}
	return -1;
}

/* max_locks_per_user counts queued requests as well as grants. */
TEST_F(limits, locks_per_user_queued)
{
	char a[96], b[96], c[96], d[96];
	struct waiter w;
	int h, s;
	pid_t pid;

	snprintf(a, sizeof(a), "%s-a", self->prefix);
	snprintf(b, sizeof(b), "%s-b", self->prefix);
	snprintf(c, sizeof(c), "%s-c", self->prefix);
	snprintf(d, sizeof(d), "%s-d", self->prefix);
	ASSERT_EQ(0, set_param("max_locks_per_user", 3));

	pid = kid_fork_nopipes();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become(UID_QUEUED, UID_QUEUED))
			_exit(2);
		h = open_session();
		s = open_session();
		EXPECT_LE(0, h);
		EXPECT_LE(0, s);
		EXPECT_EQ(0, lock_str(h, a, LOCKDEV_MODE_EXCLUSIVE, 0));
		EXPECT_EQ(0, lock_str(h, b, LOCKDEV_MODE_EXCLUSIVE, 0));
		memset(&w, 0, sizeof(w));
		w.fd = open_session();
		w.name = a;
		if (!_metadata->passed || w.fd < 0 ||
		    pthread_create(&w.thread, NULL, waiter_main, &w))
			_exit(3);
		EXPECT_EQ(0, wait_state(h, a, LOCKDEV_STATE_WAITING, 1));

		/* Two grants and one queued request: no more. */
		EXPECT_EQ(-1, lock_str(s, c, LOCKDEV_MODE_SHARED, 0));
		EXPECT_EQ(EDQUOT, errno);
		expect_no_lock(_metadata, s, c);
		EXPECT_EQ(0, unlock_str(h, b));
		EXPECT_EQ(0, lock_str(s, c, LOCKDEV_MODE_SHARED, 0));

		/* The queued request becomes a grant: still three. */
		EXPECT_EQ(0, unlock_str(h, a));
		EXPECT_EQ(0, waiter_join(&w));
		EXPECT_EQ(0, w.ret) TH_LOG("errno %d", w.err);
		EXPECT_EQ(0, lock_str(h, b, LOCKDEV_MODE_SHARED, 0));
		EXPECT_EQ(-1, lock_str(h, d, LOCKDEV_MODE_SHARED,
				       LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(EDQUOT, errno);
		close(w.fd);
		close(h);
		close(s);
		KID_EXIT();
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
}

/*
 * max_waiters_per_user: requests of one uid waiting at once. A request that
 * would wait beyond it fails with EDQUOT at once; one that is granted at once
 * does not wait and is not limited.
 */
TEST_F(limits, waiters_per_user)
{
	char a[96], b[96], c[96], d[96];
	struct waiter w[2];
	long long waiters;
	__u64 start;
	int h, s, i;
	pid_t pid;

	snprintf(a, sizeof(a), "%s-a", self->prefix);
	snprintf(b, sizeof(b), "%s-b", self->prefix);
	snprintf(c, sizeof(c), "%s-c", self->prefix);
	snprintf(d, sizeof(d), "%s-d", self->prefix);
	ASSERT_EQ(0, set_param("max_waiters_per_user", 2));

	pid = kid_fork_nopipes();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become(UID_WAITERS, UID_WAITERS))
			_exit(2);
		h = open_session();
		s = open_session();
		EXPECT_LE(0, h);
		EXPECT_LE(0, s);
		EXPECT_EQ(0, lock_str(h, a, LOCKDEV_MODE_EXCLUSIVE, 0));
		EXPECT_EQ(0, lock_str(h, b, LOCKDEV_MODE_EXCLUSIVE, 0));
		EXPECT_EQ(0, lock_str(h, c, LOCKDEV_MODE_EXCLUSIVE, 0));
		if (!_metadata->passed)
			_exit(1);

		/* Two waiters, each in a thread with its own session. */
		for (i = 0; i < 2; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].fd = open_session();
			w[i].name = i ? b : a;
			if (w[i].fd < 0 ||
			    pthread_create(&w[i].thread, NULL, waiter_main,
					   &w[i]))
				_exit(3);
		}
		EXPECT_EQ(0, wait_state(h, a, LOCKDEV_STATE_WAITING, 1));
		EXPECT_EQ(0, wait_state(h, b, LOCKDEV_STATE_WAITING, 1));
		waiters = stat_value("waiters");

		/* A third would wait: EDQUOT, without waiting. */
		start = now_ns();
		EXPECT_EQ(-1, lock_dl(s, c, LOCKDEV_MODE_SHARED,
				      LOCKDEV_LOCK_DEADLINE,
				      now_ns() + 3000000000ull, NULL));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_GT(2000000000ull, now_ns() - start);
		EXPECT_EQ(-1, lock_str(s, c, LOCKDEV_MODE_SHARED, 0));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(0, count_state(h, c, LOCKDEV_STATE_WAITING));
		EXPECT_EQ(1, count_state(h, c, LOCKDEV_STATE_HELD));
		EXPECT_EQ(waiters, stat_value("waiters"));

		/* A request granted at once does not wait. */
		EXPECT_EQ(0, lock_str(s, d, LOCKDEV_MODE_EXCLUSIVE, 0));
		EXPECT_EQ(0, unlock_str(s, d));

		/* One waiter granted: another request may wait again. */
		EXPECT_EQ(0, unlock_str(h, a));
		EXPECT_EQ(0, waiter_join(&w[0]));
		EXPECT_EQ(0, w[0].ret) TH_LOG("errno %d", w[0].err);
		EXPECT_EQ(-1, lock_dl(s, c, LOCKDEV_MODE_SHARED,
				      LOCKDEV_LOCK_DEADLINE,
				      now_ns() + 300000000ull, NULL));
		EXPECT_EQ(ETIMEDOUT, errno);

		EXPECT_EQ(0, unlock_str(h, b));
		EXPECT_EQ(0, waiter_join(&w[1]));
		EXPECT_EQ(0, w[1].ret) TH_LOG("errno %d", w[1].err);
		close(w[0].fd);
		close(w[1].fd);
		close(h);
		close(s);
		KID_EXIT();
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
}

/*
 * max_sessions_per_user: sessions one uid has open. One more open() of
 * /dev/lockdev fails with EDQUOT (the header names no errno for open(); the
 * parameter belongs with the per-uid limits, which give EDQUOT).
 */
TEST_F(limits, sessions_per_user)
{
	long long sessions;
	int fd[3], extra;
	char other[96];
	struct kid k;

	snprintf(other, sizeof(other), "%s-other", self->prefix);
	ASSERT_EQ(0, set_param("max_sessions_per_user", 3));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_SESSIONS, UID_SESSIONS))
			_exit(2);
		fd[0] = open_session();
		fd[1] = open_session();
		fd[2] = open_session();
		EXPECT_LE(0, fd[0]);
		EXPECT_LE(0, fd[1]);
		EXPECT_LE(0, fd[2]);
		if (!_metadata->passed)
			_exit(1);
		sessions = stat_value("sessions");
		EXPECT_EQ(-1, open_session());
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(sessions, stat_value("sessions"));

		/* Another uid may open one. */
		kid_send(&k, 'O');
		EXPECT_EQ('c', kid_recv(&k, WAIT_MS));

		/* One closed, one more opened, and no more. */
		close(fd[1]);
		extra = open_session();
		EXPECT_LE(0, extra);
		EXPECT_EQ(-1, open_session());
		EXPECT_EQ(EDQUOT, errno);
		close(extra);
		close(fd[0]);
		close(fd[2]);
		KID_EXIT();
	}
	EXPECT_EQ('O', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, other_uid_locks(_metadata, UID_OTHER(UID_SESSIONS),
				     other));
	kid_send(&k, 'c');
	EXPECT_EQ(0, kid_reap(&k));
}

/*
 * max_spaces_per_user: named lockspaces one uid has created and that still
 * exist. One more attach that would create fails with EDQUOT; attaching to
 * an existing lockspace creates none and is not limited.
 */
TEST_F(limits, spaces_per_user)
{
	char s1[96], s2[96], s3[96], other[96];
	int fda, fdb, fdc, fdd;
	long long spaces;
	struct kid k;

	snprintf(s1, sizeof(s1), "%s-s1", self->prefix);
	snprintf(s2, sizeof(s2), "%s-s2", self->prefix);
	snprintf(s3, sizeof(s3), "%s-s3", self->prefix);
	snprintf(other, sizeof(other), "%s-other", self->prefix);
	ASSERT_EQ(0, set_param("max_spaces_per_user", 2));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_SPACES, UID_SPACES))
			_exit(2);
		fda = open_session();
		fdb = open_session();
		fdc = open_session();
		fdd = open_session();
		EXPECT_LE(0, fda);
		EXPECT_LE(0, fdb);
		EXPECT_LE(0, fdc);
		EXPECT_LE(0, fdd);
		EXPECT_EQ(0, attach_space(fda, s1, 0, 0600));
		EXPECT_EQ(0, attach_space(fdb, s2, 0, 0600));
		if (!_metadata->passed)
			_exit(1);
		spaces = stat_value("lockspaces");

		EXPECT_EQ(-1, attach_space(fdc, s3, 0, 0600));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(spaces, stat_value("lockspaces"));
		EXPECT_EQ(-1, attach_space(fdd, s3, LOCKDEV_ATTACH_NOCREATE,
					   0600));
		EXPECT_EQ(ENOENT, errno);
		/* An existing lockspace takes another session. */
		EXPECT_EQ(0, attach_space(fdd, s1, 0, 0600));
		EXPECT_EQ(spaces, stat_value("lockspaces"));

		/* Another uid may create one. */
		kid_send(&k, 'O');
		EXPECT_EQ('c', kid_recv(&k, WAIT_MS));

		/* s2 goes away with its last session: room for s3. */
		close(fdb);
		EXPECT_EQ(spaces - 1, wait_stat("lockspaces", spaces - 1));
		EXPECT_EQ(0, attach_space(fdc, s3, 0, 0600));
		EXPECT_EQ(spaces, stat_value("lockspaces"));
		close(fda);
		close(fdc);
		close(fdd);
		KID_EXIT();
	}
	EXPECT_EQ('O', kid_recv(&k, WAIT_MS));
	EXPECT_EQ(0, other_uid_locks(_metadata, UID_OTHER(UID_SPACES),
				     other));
	kid_send(&k, 'c');
	EXPECT_EQ(0, kid_reap(&k));
}

static int cancel_handle(int fd, __u64 handle)
{
	struct lockdev_cancel c;

	memset(&c, 0, sizeof(c));
	c.handle = handle;
	return ioctl(fd, LOCKDEV_IOC_CANCEL, &c);
}

#define COMPLETIONS	4
#define ASYNC_TRIES	32

/*
 * max_waiters_per_user also bounds, counted apart from queued requests, the
 * asynchronous requests whose completion is not read yet: requests that were
 * cancelled or timed out, and so wait no more, cannot pile up completions.
 * Once they are read, asynchronous requests are accepted again.
 */
TEST_F(limits, unread_completions)
{
	struct lockdev_completion c[ASYNC_TRIES];
	struct lockdev_lock l;
	char a[96], b[96], d[96];
	int h, s, w, i, n, ret;
	ssize_t got;
	pid_t pid;

	snprintf(a, sizeof(a), "%s-a", self->prefix);
	snprintf(b, sizeof(b), "%s-b", self->prefix);
	snprintf(d, sizeof(d), "%s-d", self->prefix);
	ASSERT_EQ(0, set_param("max_waiters_per_user", COMPLETIONS));
	ASSERT_EQ(0, set_param("max_locks_per_user", 2 * COMPLETIONS));

	pid = kid_fork_nopipes();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become(UID_COMPLETIONS, UID_COMPLETIONS))
			_exit(2);
		h = open_session();
		s = open_session();
		w = open_session();
		EXPECT_LE(0, h);
		EXPECT_LE(0, s);
		EXPECT_LE(0, w);
		EXPECT_EQ(0, lock_str(h, a, LOCKDEV_MODE_EXCLUSIVE, 0));
		EXPECT_EQ(0, lock_str(h, b, LOCKDEV_MODE_EXCLUSIVE, 0));
		if (!_metadata->passed)
			_exit(1);

		/*
		 * Requests granted at once post no completion; those granted
		 * later post one, read here: neither stays charged.
		 */
		for (i = 0; i < 2 * COMPLETIONS; i++) {
			EXPECT_EQ(0, lock_dl(s, b, LOCKDEV_MODE_SHARED,
					     LOCKDEV_LOCK_ASYNC, 0, &l)) {
				TH_LOG("request %d: errno %d", i, errno);
			}
			EXPECT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
			EXPECT_EQ(0, unlock_str(h, b));
			EXPECT_EQ(sizeof(c[0]), read(s, c, sizeof(c)));
			EXPECT_EQ(0, c[0].result);
			EXPECT_EQ(0, unlock_str(s, b));
			EXPECT_EQ(0, lock_str(h, b, LOCKDEV_MODE_EXCLUSIVE, 0));
			EXPECT_EQ(0, lock_dl(s, d, LOCKDEV_MODE_SHARED,
					     LOCKDEV_LOCK_ASYNC, 0, &l));
			EXPECT_EQ(0, l.result);
			EXPECT_EQ(0, unlock_str(s, d));
		}
		if (!_metadata->passed)
			_exit(1);

		/*
		 * Each request ends (cancelled, or timed out: its deadline
		 * has passed) before the next is made: only its unread
		 * completion is left.
		 */
		for (n = 0; n < ASYNC_TRIES; n++) {
			if (n & 1)
				ret = lock_dl(s, a, LOCKDEV_MODE_SHARED,
					      LOCKDEV_LOCK_ASYNC |
					      LOCKDEV_LOCK_DEADLINE, 1, &l);
			else
				ret = lock_dl(s, a, LOCKDEV_MODE_SHARED,
					      LOCKDEV_LOCK_ASYNC, 0, &l);
			if (ret)
				break;
			EXPECT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
			if (!(n & 1))
				EXPECT_EQ(0, cancel_handle(s, l.handle));
			EXPECT_EQ(0, wait_state(h, a, LOCKDEV_STATE_WAITING,
						0));
		}
		EXPECT_EQ(COMPLETIONS, n) {
			TH_LOG("%d completions left unread with a limit of %d",
			       n, COMPLETIONS);
		}
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(0, count_state(h, a, LOCKDEV_STATE_WAITING));
		/* A request that waits itself is not an unread completion. */
		EXPECT_EQ(-1, lock_dl(w, b, LOCKDEV_MODE_SHARED,
				      LOCKDEV_LOCK_DEADLINE,
				      now_ns() + 200000000ull, NULL));
		EXPECT_EQ(ETIMEDOUT, errno);

		/* Read, they make room again. */
		EXPECT_NE(0, poll_in(s, 0) & POLLIN);
		got = read(s, c, sizeof(c));
		EXPECT_EQ(n * (ssize_t)sizeof(c[0]), got);
		for (i = 0; i < n && (i + 1) * (ssize_t)sizeof(c[0]) <= got;
		     i++)
			EXPECT_EQ((i & 1) ? -ETIMEDOUT : -ECANCELED,
				  c[i].result);
		EXPECT_EQ(0, lock_dl(s, a, LOCKDEV_MODE_SHARED,
				     LOCKDEV_LOCK_ASYNC, 0, &l));
		EXPECT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
		EXPECT_EQ(0, cancel_handle(s, l.handle));
		EXPECT_EQ((ssize_t)sizeof(c[0]), read(s, c, sizeof(c)));

		/* Closing the session gives back its unread completions. */
		for (i = 0; i < COMPLETIONS; i++) {
			EXPECT_EQ(0, lock_dl(s, a, LOCKDEV_MODE_SHARED,
					     LOCKDEV_LOCK_ASYNC, 0, &l));
			EXPECT_EQ(0, cancel_handle(s, l.handle));
		}
		EXPECT_EQ(-1, lock_dl(s, a, LOCKDEV_MODE_SHARED,
				      LOCKDEV_LOCK_ASYNC, 0, &l));
		EXPECT_EQ(EDQUOT, errno);
		close(s);
		s = open_session();
		EXPECT_LE(0, s);
		EXPECT_EQ(0, lock_dl(s, a, LOCKDEV_MODE_SHARED,
				     LOCKDEV_LOCK_ASYNC, 0, &l));
		EXPECT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
		close(w);
		close(s);
		close(h);
		KID_EXIT();
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
}

#define OWNER_DIED_LOCKS	20

/* Lock @i of owner_died_charged. */
static void od_name(char *buf, size_t size, const char *prefix, int i)
{
	snprintf(buf, size, "%s-od%d", prefix, i);
}

/*
 * Take owner-died lock @name in EXCLUSIVE from @fd, mark it consistent and
 * release it: it no longer exists.
 */
static int clear_owner_died(int fd, const char *name)
{
	struct lockdev_consistent c;
	struct lockdev_lock l;

	if (lock_dl(fd, name, LOCKDEV_MODE_EXCLUSIVE, LOCKDEV_LOCK_NONBLOCK,
		    0, &l))
		return -1;
	if (!(l.result & LOCKDEV_RESULT_OWNER_DIED))
		return -2;
	memset(&c, 0, sizeof(c));
	c.handle = l.handle;
	if (ioctl(fd, LOCKDEV_IOC_CONSISTENT, &c))
		return -3;
	return unlock_str(fd, name);
}

/*
 * max_locks_per_user counts the owner-died locks that a uid's sessions left
 * behind, until they are marked consistent: a uid that leaves its locks
 * owner-died cannot make more of them exist than its limit.
 */
TEST_F(limits, owner_died_charged)
{
	char space[96], name[128];
	long long locks;
	int root, fd, i;
	struct kid k;
	pid_t pid;

	snprintf(space, sizeof(space), "%s-odspace", self->prefix);
	root = open_session();
	ASSERT_LE(0, root);
	ASSERT_EQ(0, attach_space(root, space, 0, 0666));
	ASSERT_EQ(0, set_param("max_locks_per_user", OWNER_DIED_LOCKS));

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_OWNER_DIED, UID_OWNER_DIED))
			_exit(2);
		/* Each session leaves its EXCLUSIVE lock owner-died. */
		for (i = 0; i < OWNER_DIED_LOCKS; i++) {
			od_name(name, sizeof(name), self->prefix, i);
			fd = open_session();
			EXPECT_LE(0, fd);
			EXPECT_EQ(0, attach_space(fd, space, 0, 0600));
			EXPECT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_EXCLUSIVE,
					      LOCKDEV_LOCK_NONBLOCK));
			close(fd);
		}
		if (!_metadata->passed)
			_exit(1);
		locks = stat_value("locks");
		od_name(name, sizeof(name), self->prefix, OWNER_DIED_LOCKS);
		fd = open_session();
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, attach_space(fd, space, 0, 0600));
		EXPECT_EQ(-1, lock_str(fd, name, LOCKDEV_MODE_EXCLUSIVE,
				       LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(-1, lock_str(fd, name, LOCKDEV_MODE_SHARED, 0));
		EXPECT_EQ(EDQUOT, errno);
		expect_no_lock(_metadata, fd, name);
		EXPECT_EQ(locks, stat_value("locks"));

		/* Root clears one of them: room for one more. */
		kid_send(&k, 'c');
		EXPECT_EQ('d', kid_recv(&k, WAIT_MS));
		EXPECT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(0, unlock_str(fd, name));
		close(fd);
		KID_EXIT();
	}
	/*
	 * Root clears them with the limit lifted: owner-died locks that
	 * earlier tests left count against root as well, whatever they are.
	 */
	EXPECT_EQ('c', kid_recv(&k, WAIT_MS));
	ASSERT_EQ(0, set_param("max_locks_per_user", 1 << 22));
	od_name(name, sizeof(name), self->prefix, 0);
	EXPECT_EQ(0, clear_owner_died(root, name));
	ASSERT_EQ(0, set_param("max_locks_per_user", OWNER_DIED_LOCKS));
	kid_send(&k, 'd');
	EXPECT_EQ(0, kid_reap(&k));
	/* Root clears the others. */
	ASSERT_EQ(0, set_param("max_locks_per_user", 1 << 22));
	for (i = 1; i < OWNER_DIED_LOCKS; i++) {
		od_name(name, sizeof(name), self->prefix, i);
		EXPECT_EQ(0, clear_owner_died(root, name));
	}
	close(root);
	ASSERT_EQ(0, set_param("max_locks_per_user", OWNER_DIED_LOCKS));

	/* Nothing is left charged to the uid, and nothing was given twice. */
	pid = kid_fork_nopipes();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become(UID_OWNER_DIED, UID_OWNER_DIED))
			_exit(2);
		fd = open_session();
		EXPECT_LE(0, fd);
		for (i = 0; i < OWNER_DIED_LOCKS; i++) {
			od_name(name, sizeof(name), self->prefix, i);
			EXPECT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_SHARED,
					      LOCKDEV_LOCK_NONBLOCK)) {
				TH_LOG("lock %d: errno %d", i, errno);
			}
		}
		od_name(name, sizeof(name), self->prefix, i);
		EXPECT_EQ(-1, lock_str(fd, name, LOCKDEV_MODE_SHARED,
				       LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(EDQUOT, errno);
		close(fd);
		KID_EXIT();
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
}

/*
 * max_spaces_per_user counts a uid's default lockspace as well: with a limit
 * of one, a uid with a named lockspace gets EDQUOT for the first lock of a
 * session in its default lockspace, and one using its default lockspace
 * cannot create a named one.
 */
TEST_F(limits, default_space_counted)
{
	char s1[96], s2[96], a[96];
	long long spaces;
	int fda, fdb, fdc, fdd;
	pid_t pid;

	snprintf(s1, sizeof(s1), "%s-s1", self->prefix);
	snprintf(s2, sizeof(s2), "%s-s2", self->prefix);
	snprintf(a, sizeof(a), "%s-a", self->prefix);
	ASSERT_EQ(0, set_param("max_spaces_per_user", 1));

	pid = kid_fork_nopipes();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (become(UID_DEFAULT, UID_DEFAULT))
			_exit(2);
		fda = open_session();
		fdb = open_session();
		fdc = open_session();
		EXPECT_LE(0, fda);
		EXPECT_LE(0, fdb);
		EXPECT_LE(0, fdc);
		EXPECT_EQ(0, attach_space(fda, s1, 0, 0600));
		if (!_metadata->passed)
			_exit(1);
		spaces = stat_value("lockspaces");

		/* The default lockspace would be a second one. */
		EXPECT_EQ(-1, lock_str(fdb, a, LOCKDEV_MODE_EXCLUSIVE,
				       LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(-1, lock_str(fdb, a, LOCKDEV_MODE_SHARED, 0));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(spaces, stat_value("lockspaces"));
		if (!_metadata->passed)
			_exit(1);

		/* The failed LOCKs did not bind fdb: it may still attach. */
		EXPECT_EQ(0, attach_space(fdb, s1, LOCKDEV_ATTACH_NOCREATE,
					0600)) {
			TH_LOG("errno %d", errno);
		}
		close(fdb);
		fdb = open_session();
		EXPECT_LE(0, fdb);

		/* Without the named one, the default lockspace fits ... */
		close(fda);
		EXPECT_EQ(spaces - 1, wait_stat("lockspaces", spaces - 1));
		EXPECT_EQ(0, lock_str(fdb, a, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(spaces, stat_value("lockspaces"));
		/* It is one lockspace for every session of the uid ... */
		fdd = open_session();
		EXPECT_LE(0, fdd);
		EXPECT_EQ(-1, lock_str(fdd, a, LOCKDEV_MODE_SHARED,
				       LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(EAGAIN, errno);
		close(fdd);
		/* ... and takes the place of a named one. */
		EXPECT_EQ(-1, attach_space(fdc, s2, 0, 0600));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(0, unlock_str(fdb, a));
		close(fdb);
		EXPECT_EQ(spaces - 1, wait_stat("lockspaces", spaces - 1));
		EXPECT_EQ(0, attach_space(fdc, s2, 0, 0600));
		close(fdc);
		KID_EXIT();
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
}

#define COLLECTED_LOCKS	3

/*
 * As @uid in the host's namespaces: create lockspace @space and hold
 * COLLECTED_LOCKS locks in it. 0 if everything worked, else 1.
 */
static int collected_try(const char *space, const char *prefix, uid_t uid)
{
	char name[128];
	pid_t pid = kid_fork_nopipes();
	int fd, i;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (become(uid, uid))
			_exit(2);
		fd = open_session();
		if (fd < 0 || attach_space(fd, space, 0, 0600))
			_exit(1);
		for (i = 0; i < COLLECTED_LOCKS; i++) {
			snprintf(name, sizeof(name), "%s-c%d", prefix, i);
			if (lock_str(fd, name, LOCKDEV_MODE_SHARED,
				     LOCKDEV_LOCK_NONBLOCK))
				_exit(1);
		}
		_exit(0);
	}
	return reap(pid, WAIT_MS);
}

/*
 * What a uid's sessions leave behind in namespaces that go away stays
 * charged to it only until the collector drops it: a uid mapped into new
 * user and IPC namespaces creates a lockspace there (all that
 * max_spaces_per_user = 1 allows) and leaves as many owner-died locks in it
 * as max_locks_per_user allows; once the namespaces are gone, the same uid
 * may create a lockspace and take that many locks again, within 25 s.
 */
TEST_F_TIMEOUT(limits, collected_uncharged, 90)
{
	char space[96], host_space[96], name[128];
	int fd, i, waited, st = -1;
	struct kid k;

	snprintf(space, sizeof(space), "%s-ns", self->prefix);
	snprintf(host_space, sizeof(host_space), "%s-host", self->prefix);
	ASSERT_EQ(0, set_param("max_locks_per_user", COLLECTED_LOCKS));
	ASSERT_EQ(0, set_param("max_spaces_per_user", 1));

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (unshare(CLONE_NEWUSER | CLONE_NEWIPC))
			_exit(2);
		kid_send(&k, 'u');
		/* Root of the namespaces, which is UID_COLLECTED outside. */
		if (kid_recv(&k, WAIT_MS) != 'm' || become(0, 0))
			_exit(3);
		for (i = 0; i < COLLECTED_LOCKS; i++) {
			snprintf(name, sizeof(name), "%s-c%d", self->prefix, i);
			fd = open_session();
			EXPECT_LE(0, fd);
			EXPECT_EQ(0, attach_space(fd, space, 0, 0600));
			EXPECT_EQ(0, lock_str(fd, name, LOCKDEV_MODE_EXCLUSIVE,
					      LOCKDEV_LOCK_NONBLOCK));
			close(fd);
		}
		fd = open_session();
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, attach_space(fd, space, 0, 0600));
		EXPECT_EQ(-1, lock_str(fd, name, LOCKDEV_MODE_SHARED,
				       LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(EDQUOT, errno);
		close(fd);
		KID_EXIT();
	}
	ASSERT_EQ('u', kid_recv(&k, WAIT_MS));
	ASSERT_EQ(0, map_ids(k.pid, UID_COLLECTED, 1));
	kid_send(&k, 'm');
	ASSERT_EQ(0, kid_reap(&k));

	/* The charges go when the collector drops what they were for. */
	for (waited = 0; waited <= 25000; waited += 500) {
		st = collected_try(host_space, self->prefix, UID_COLLECTED);
		if (st != 1)
			break;
		sleep_ms(500);
	}
	EXPECT_EQ(0, st) {
		TH_LOG("uid %d still charged 25 s after its namespaces went",
		       UID_COLLECTED);
	}
}

/*
 * In UID_SUBORD's user namespace: become @uid, try one lock, tell the kid
 * 'l' (locked), 'q' (EDQUOT) or 'e', and unlock and exit when told 'x'.
 */
static void __attribute__((noreturn)) subord_lock(struct kid *k, uid_t uid,
						  const char *prefix)
{
	char name[128], got = 'e';
	int fd;

	if (become(uid, uid))
		_exit(2);
	snprintf(name, sizeof(name), "%s-sub%d", prefix, (int)uid);
	fd = open_session();
	if (fd >= 0 && !lock_str(fd, name, LOCKDEV_MODE_EXCLUSIVE,
				 LOCKDEV_LOCK_NONBLOCK))
		got = 'l';
	else if (fd >= 0 && errno == EDQUOT)
		got = 'q';
	kid_send(k, got);
	if (kid_recv(k, WAIT_MS) != 'x')
		_exit(3);
	_exit(got == 'l' && unlock_str(fd, name) ? 4 : 0);
}

/*
 * A user's subordinate uids count against its own limits: UID_SUBORD takes
 * a lock, then maps SUBORD_UIDS subordinate uids of its in a user namespace
 * of its own (as newuidmap would, written here by root), and with
 * max_locks_per_user at SUBORD_UIDS, the first SUBORD_UIDS - 1 of them take
 * one lock each and the last none (EDQUOT). Without it, each would have
 * the whole limit. A namespace that root creates counts each of its uids
 * apart (collected_uncharged).
 */
TEST_F(limits, subordinate_uids_counted)
{
	char name[128];
	struct kid k, sub[SUBORD_UIDS];
	int fd, i;

	ASSERT_EQ(0, set_param("max_locks_per_user", SUBORD_UIDS));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_SUBORD, UID_SUBORD))
			_exit(2);
		snprintf(name, sizeof(name), "%s-own", self->prefix);
		fd = open_session();
		if (fd < 0 || lock_str(fd, name, LOCKDEV_MODE_EXCLUSIVE,
				       LOCKDEV_LOCK_NONBLOCK) ||
		    unshare(CLONE_NEWUSER))
			_exit(3);
		kid_send(&k, 'u');
		if (kid_recv(&k, WAIT_MS) != 'm')
			_exit(4);
		for (i = 0; i < SUBORD_UIDS; i++) {
			if (!kid_fork(&sub[i]))
				subord_lock(&sub[i], i, self->prefix);
			EXPECT_EQ(i < SUBORD_UIDS - 1 ? 'l' : 'q',
				  kid_recv(&sub[i], WAIT_MS)) {
				TH_LOG("subordinate uid %d", i);
			}
		}
		for (i = 0; i < SUBORD_UIDS; i++) {
			kid_send(&sub[i], 'x');
			EXPECT_EQ(0, kid_reap(&sub[i]));
		}
		EXPECT_EQ(0, unlock_str(fd, name));
		KID_EXIT();
	}
	ASSERT_EQ('u', kid_recv(&k, WAIT_MS));
	ASSERT_EQ(0, map_ids(k.pid, SUBORD_BASE, SUBORD_UIDS));
	kid_send(&k, 'm');
	EXPECT_EQ(0, kid_reap(&k));
}

/* The files of /proc/lockdev/ whose walks last across reads. */
static const char *const walk_files[] = {
	"/proc/lockdev/locks", "/proc/lockdev/spaces", "/proc/lockdev/levels",
	"/proc/lockdev/order", "/proc/lockdev/lock_stat",
};

/* Start a GET_LOCKS dump and read it to its end: 0 or -1 with errno. */
static int dump_locks(void)
{
	int sk = genl_socket(), fam, n, ret = -1;

	if (sk < 0)
		return -1;
	fam = genl_family(sk, LOCKDEV_GENL_NAME);
	if (fam > 0 &&
	    !genl_send(sk, fam, LOCKDEV_CMD_GET_LOCKS, LOCKDEV_GENL_VERSION,
		       NLM_F_REQUEST | NLM_F_DUMP, NULL, 0))
		ret = genl_recv_all(sk, WAIT_MS, &n);
	n = errno;
	close(sk);
	errno = n;
	return ret;
}

/*
 * An open walk of a /proc/lockdev/ file, and a GET_LOCKS dump, count as a
 * session of the opener's uid in max_sessions_per_user: they keep a place
 * in shared lists and a lockspace between reads. /proc/lockdev/stats,
 * read at once, does not count.
 */
TEST_F(limits, walks_counted)
{
	int fd, walk, i, stats;
	struct kid k;

	ASSERT_EQ(0, set_param("max_sessions_per_user", 2));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_WALKS, UID_WALKS))
			_exit(2);
		fd = open_session();
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, dump_locks());
		for (i = 0; i < (int)ARRAY_SIZE(walk_files); i++) {
			walk = open(walk_files[i], O_RDONLY | O_CLOEXEC);
			EXPECT_LE(0, walk) TH_LOG("%s", walk_files[i]);
			/* The limit is reached: no session, walk or dump. */
			EXPECT_EQ(-1, open_session());
			EXPECT_EQ(EDQUOT, errno);
			EXPECT_EQ(-1, open(walk_files[(i + 1) %
					   ARRAY_SIZE(walk_files)],
					   O_RDONLY | O_CLOEXEC));
			EXPECT_EQ(EDQUOT, errno) TH_LOG("%s", walk_files[i]);
			EXPECT_EQ(-1, dump_locks());
			EXPECT_EQ(EDQUOT, errno);
			stats = open("/proc/lockdev/stats", O_RDONLY | O_CLOEXEC);
			EXPECT_LE(0, stats);
			close(stats);
			close(walk);
		}
		close(fd);
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
}

/*
 * A removed lockspace stops counting in its creator's max_spaces_per_user
 * at once, though a session of another uid keeps it; its classes count in
 * its creator's max_classes_per_user until that session leaves, and are
 * dropped within 25 s of it.
 */
TEST_F_TIMEOUT(limits, removed_uncharged, 60)
{
	long long full = stat_value("order_full");
	long long classes = stat_value("classes");
	char s1[96], s2[96], s3[96];
	int held, fd, fd2, fd3, waited;
	struct kid k;

	snprintf(s1, sizeof(s1), "%s-r1", self->prefix);
	snprintf(s2, sizeof(s2), "%s-r2", self->prefix);
	snprintf(s3, sizeof(s3), "%s-r3", self->prefix);
	ASSERT_EQ(0, set_param("max_spaces_per_user", 2));
	ASSERT_EQ(0, set_param("max_classes_per_user", 1));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_RETIRED, UID_RETIRED))
			_exit(2);
		fd = open_session();
		fd2 = open_session();
		fd3 = open_session();
		EXPECT_LE(0, fd);
		EXPECT_LE(0, fd2);
		EXPECT_LE(0, fd3);
		EXPECT_EQ(0, attach_space(fd, s1, 0, 0666));
		EXPECT_EQ(0, attach_space(fd2, s2, 0, 0600));
		EXPECT_EQ(0, lock_str(fd, "ra:1", LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(0, unlock_str(fd, "ra:1"));
		EXPECT_EQ(classes + 1, stat_value("classes"));
		/* Both budgets are full. */
		EXPECT_EQ(-1, attach_space(fd3, s3, 0, 0600));
		EXPECT_EQ(EDQUOT, errno);
		EXPECT_EQ(0, lock_str(fd2, "rb:1", LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(0, unlock_str(fd2, "rb:1"));
		EXPECT_EQ(classes + 1, stat_value("classes"));
		EXPECT_EQ(full + 1, stat_value("order_full"));
		if (!_metadata->passed)
			_exit(1);
		kid_send(&k, 'a');
		if (kid_recv(&k, WAIT_MS) != 'b')
			_exit(3);
		EXPECT_EQ(0, space_ctl_call(fd, s1, strlen(s1),
					    LOCKDEV_SPACE_REMOVE,
					    LOCKDEV_SPACE_FORCE, 0, 0, 0));
		close(fd);
		/* Root's session keeps s1; it counts no more all the same. */
		EXPECT_EQ(0, attach_space(fd3, s3, 0, 0600));
		EXPECT_EQ(classes + 1, stat_value("classes"));
		/* Root waits for the collector, up to 25 s. */
		alarm(KID_TIMEOUT_S + 30);
		kid_send(&k, 'c');
		if (kid_recv(&k, 30000) != 'd')
			_exit(4);
		EXPECT_EQ(0, lock_str(fd2, "rc:1", LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK));
		EXPECT_EQ(0, unlock_str(fd2, "rc:1"));
		EXPECT_EQ(classes + 1, stat_value("classes"));
		EXPECT_EQ(full + 1, stat_value("order_full"));
		close(fd2);
		close(fd3);
		KID_EXIT();
	}
	ASSERT_EQ('a', kid_recv(&k, WAIT_MS));
	held = open_session();
	ASSERT_LE(0, held);
	ASSERT_EQ(0, attach_space(held, s1, 0, 0600));
	kid_send(&k, 'b');
	EXPECT_EQ('c', kid_recv(&k, WAIT_MS));
	close(held);
	/* Root's session went: s1's class is dropped. */
	for (waited = 0; waited < 25000; waited += 100) {
		if (stat_value("classes") == classes)
			break;
		sleep_ms(100);
	}
	EXPECT_EQ(classes, stat_value("classes"));
	kid_send(&k, 'd');
	EXPECT_EQ(0, kid_reap(&k));
}

TEST_HARNESS_MAIN
