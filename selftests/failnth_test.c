// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection: every call of the suite with its 1st, 2nd, 3rd ...
 * fault point failed in turn, as syzkaller does with fail-nth.
 *
 * For one operation (a variant) the test repeats a round: set up the
 * sessions and locks the call needs, write N to /proc/thread-self/fail-nth
 * (the N-th allocation this thread makes from then on fails: slab and page
 * allocator, with failslab and fail_page_alloc told not to spare
 * allocations that may sleep), make the call, read fail-nth back (0: the
 * fault was injected) and clear it; then check that the call either did
 * what it does without a fault or failed with an error its text documents
 * (ENOMEM; ENOBUFS for netlink) and changed nothing, that the session still
 * works, and, once everything is closed, that /proc/lockdev/stats counts
 * the sessions, lockspaces, locks, holders, waiters and memory it counted
 * before. N grows from 1 until the call runs through without a fault. The
 * debug kernel's kmemleak scan at the end of the run finds what leaked.
 *
 * Only the thread that makes the call gets faults, and none reach other
 * processes. Skipped on a kernel without fail-nth (CONFIG_FAULT_INJECTION):
 * only the debug lane has it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "genl_util.h"

#define S LOCKDEV_MODE_SHARED
#define A LOCKDEV_MODE_APPEND
#define X LOCKDEV_MODE_EXCLUSIVE
#define MS 1000000ull

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define SPACE		"failnth"
/* More fault points than any call has: reaching it is a failure. */
#define MAX_NTH		2000
/* How long the timed waits of a round last. */
#define WAIT_NS		(20 * MS)

/* The failslab and fail_page_alloc settings the pass needs. */
static const char *const knob_path[] = {
	"/sys/kernel/debug/failslab/ignore-gfp-wait",
	"/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait",
	"/sys/kernel/debug/fail_page_alloc/min-order",
	/* No lock stays resident once released: memory comes back. */
	"/sys/module/lockdev/parameters/max_idle_locks",
};
static const char *const knob_value[] = { "N", "N", "0", "0" };
#define NKNOBS		(sizeof(knob_path) / sizeof(knob_path[0]))
/* Every fault kind's "verbose" is set to 0: a stack dump fails the lane. */
#define VERBOSE_GLOB	"/sys/kernel/debug/fail*/verbose"
#define MAX_VERBOSE	8

/* The counters a round must leave as it found them. */
static const char *const counted[] = {
	"sessions", "lockspaces", "locks", "holders", "waiters", "memory",
};
#define NCOUNTED	(sizeof(counted) / sizeof(counted[0]))

/* What one round works on. */
struct fx {
	int fd;		/* the session under test; -1 once closed */
	int other;	/* a second session, in the same lockspace */
	int nl;		/* a generic netlink socket */
	int family;	/* the lockdev family's id */
	const char *path;	/* the /proc file of a proc variant */
	__u64 h;	/* a handle of fd's */
	__u64 h2;	/* a handle of other's */
	struct lockdev_lock l;
	struct lockdev_entry e[8];
	struct lockdev_held held[8];
	struct lockdev_completion comp[2];
	struct lockdev_cycle_member m[2];
	char buf[4096];
};

struct op {
	/* Set up what the call needs (ASSERTs allowed). */
	void (*setup)(struct __test_metadata *_metadata, struct fx *f);
	/* The call under fault injection: 0, or -1 with errno set. */
	int (*call)(struct fx *f);
	/* Its outcome without a fault: 0 or an errno. */
	int normal;
	/* Errors it may fail with under a fault (besides normal). */
	int errs[3];
	/* Check the state after the call: done, or (failed) not done. */
	void (*after)(struct __test_metadata *_metadata, struct fx *f,
		      int ret, int err);
	/* Its setup leaves a deadlock report, which holds the lockspace. */
	bool reports;
};

/* The counted stats, from one read of /proc/lockdev/stats: 0 or -1. */
static int read_counts(long long *v)
{
	char key[64];
	long long value;
	size_t i, found = 0;
	FILE *f = fopen(STATS, "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &value) == 2)
		for (i = 0; i < NCOUNTED; i++)
			if (!strcmp(key, counted[i])) {
				v[i] = value;
				found++;
			}
	fclose(f);
	return found == NCOUNTED ? 0 : -1;
}

static int read_str(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Fail the @n-th fault point of this thread from now on. */
static int arm(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(nth, buf, len, 0) == len ? 0 : -1;
}

/* 1 if the armed fault was injected, 0 if not, -1 on error; disarms. */
static int disarm(int nth)
{
	char buf[16];
	ssize_t n = pread(nth, buf, sizeof(buf) - 1, 0);

	if (n <= 0 || pwrite(nth, "0", 1, 0) != 1)
		return -1;
	buf[n] = 0;
	return atoi(buf) == 0;
}

static int attach(int fd, const char *name, __u32 flags, __u32 mode)
{
	struct lockdev_attach a = {
		.name = ptr(name), .name_len = strlen(name),
		.flags = flags, .mode = mode,
	};

	return ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
}

/* A new session, attached to SPACE if @attached. */
static int session(struct __test_metadata *_metadata, bool attached)
{
	int fd = open_session();

	EXPECT_LE(0, fd);
	if (fd >= 0 && attached)
		EXPECT_EQ(0, attach(fd, SPACE, 0, 0600));
	return fd;
}

/* Take @name; its handle (the grant's, or the queued request's). */
static __u64 take(struct __test_metadata *_metadata, int fd, const char *name,
		  __u32 mode, __u32 flags)
{
	struct lockdev_lock l;

	EXPECT_EQ(0, lock_call(fd, name, mode, flags, &l));
	return l.handle;
}

/* The mode in which @fd holds or awaits @h, or 0. */
static __u32 mode_of_handle(int fd, __u64 h)
{
	struct lockdev_held held[8];
	struct lockdev_list l;
	__u32 i;

	if (list_call(fd, held, 8, &l))
		return 0;
	for (i = 0; i < l.nr_entries && i < 8; i++)
		if (held[i].handle == h)
			return held[i].mode;
	return 0;
}

/* The next completion of @fd, which must come. */
static void read_comp(struct __test_metadata *_metadata, int fd,
		      struct lockdev_completion *c)
{
	ASSERT_NE(0, poll_in(fd, WAIT_MS) & POLLIN);
	ASSERT_EQ(sizeof(*c), read(fd, c, sizeof(*c)));
}

/* Release and cancel everything @fd has, so that closing it marks nothing. */
static void drop_all(struct __test_metadata *_metadata, int fd)
{
	struct lockdev_held held[8];
	struct lockdev_cancel c;
	struct lockdev_list l;
	__u32 i;

	ASSERT_EQ(0, list_call(fd, held, 8, &l));
	ASSERT_GE(8, l.nr_entries);
	for (i = 0; i < l.nr_entries; i++) {
		if (held[i].state == LOCKDEV_STATE_WAITING) {
			memset(&c, 0, sizeof(c));
			c.handle = held[i].handle;
			EXPECT_EQ(0, ioctl(fd, LOCKDEV_IOC_CANCEL, &c));
		} else {
			EXPECT_EQ(0, unlock_handle(fd, held[i].handle));
		}
	}
}

static void fx_close(struct __test_metadata *_metadata, struct fx *f)
{
	if (f->fd >= 0) {
		drop_all(_metadata, f->fd);
		close(f->fd);
	}
	if (f->other >= 0) {
		drop_all(_metadata, f->other);
		close(f->other);
	}
	if (f->nl >= 0)
		close(f->nl);
	f->fd = f->other = f->nl = -1;
}

/* ---- the operations ---- */

static void setup_fresh(struct __test_metadata *_metadata, struct fx *f)
{
	f->fd = session(_metadata, false);
}

static void setup_attached(struct __test_metadata *_metadata, struct fx *f)
{
	f->fd = session(_metadata, true);
	f->other = session(_metadata, true);
}

/* other holds fn:a in EXCLUSIVE. */
static void setup_blocked(struct __test_metadata *_metadata, struct fx *f)
{
	setup_attached(_metadata, f);
	f->h2 = take(_metadata, f->other, "fn:a", X, 0);
}

static int call_open(struct fx *f)
{
	f->fd = open_session();
	return f->fd < 0 ? -1 : 0;
}

static int call_attach(struct fx *f)
{
	return attach(f->fd, SPACE, 0, 0600);
}

static void after_attach_new(struct __test_metadata *_metadata, struct fx *f,
			     int ret, int err)
{
	if (ret == 0) {
		EXPECT_EQ(-1, attach(f->fd, SPACE, 0, 0600));
		EXPECT_EQ(EBUSY, errno);
		return;
	}
	/* Not created, and the session may still attach. */
	f->other = session(_metadata, false);
	EXPECT_EQ(-1, attach(f->other, SPACE, LOCKDEV_ATTACH_NOCREATE, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, attach(f->fd, SPACE, 0, 0600));
}

static void setup_attach_existing(struct __test_metadata *_metadata,
				  struct fx *f)
{
	f->other = session(_metadata, true);
	f->h2 = take(_metadata, f->other, "fn:a", S, 0);
	f->fd = session(_metadata, false);
}

static void after_attach_existing(struct __test_metadata *_metadata,
				  struct fx *f, int ret, int err)
{
	if (ret)
		EXPECT_EQ(0, call_attach(f));
	/* Attached to the lockspace that holds other's lock. */
	EXPECT_EQ(1, count_state(f->fd, "fn:a", LOCKDEV_STATE_HELD));
}

static int call_lock_c(struct fx *f)
{
	int ret = lock_call(f->fd, "c", X, 0, &f->l);

	f->h = f->l.handle;
	return ret;
}

static void after_lock_default(struct __test_metadata *_metadata,
			       struct fx *f, int ret, int err)
{
	EXPECT_EQ(ret ? 0 : 1, list_count(f->fd));
}

/* fd holds gb:1, so its next lock of class fn teaches the edge gb -> fn. */
static void setup_lock(struct __test_metadata *_metadata, struct fx *f)
{
	setup_attached(_metadata, f);
	take(_metadata, f->fd, "gb:1", S, 0);
}

static int call_lock(struct fx *f)
{
	int ret = lock_call(f->fd, "fn:a", X, 0, &f->l);

	f->h = f->l.handle;
	return ret;
}

static void after_lock(struct __test_metadata *_metadata, struct fx *f,
		       int ret, int err)
{
	EXPECT_EQ(ret ? 1 : 2, list_count(f->fd));
	EXPECT_EQ(ret ? 0 : 1, count_state(f->other, "fn:a",
					   LOCKDEV_STATE_HELD));
}

static int call_lock_nonblock(struct fx *f)
{
	lock_input(&f->l, "fn:a", X, LOCKDEV_LOCK_NONBLOCK);
	f->l.entries = ptr(f->e);
	f->l.nr_entries = 8;
	return ioctl(f->fd, LOCKDEV_IOC_LOCK, &f->l);
}

static void after_no_lock(struct __test_metadata *_metadata, struct fx *f,
			  int ret, int err)
{
	EXPECT_EQ(0, list_count(f->fd));
	EXPECT_EQ(0, count_state(f->other, "fn:a", LOCKDEV_STATE_WAITING));
}

static int call_lock_deadline(struct fx *f)
{
	lock_input(&f->l, "fn:a", X, LOCKDEV_LOCK_DEADLINE);
	f->l.deadline_ns = now_ns() + WAIT_NS;
	return ioctl(f->fd, LOCKDEV_IOC_LOCK, &f->l);
}

static int call_lock_async_deadline(struct fx *f)
{
	int ret;

	lock_input(&f->l, "fn:a", X,
		   LOCKDEV_LOCK_ASYNC | LOCKDEV_LOCK_DEADLINE);
	f->l.deadline_ns = now_ns() + WAIT_NS;
	f->l.user_data = 7;
	ret = ioctl(f->fd, LOCKDEV_IOC_LOCK, &f->l);
	f->h = f->l.handle;
	return ret;
}

static void after_lock_async_deadline(struct __test_metadata *_metadata,
				      struct fx *f, int ret, int err)
{
	if (ret) {
		EXPECT_EQ(0, list_count(f->fd));
		EXPECT_EQ(0, poll_in(f->fd, 0));
		return;
	}
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, f->l.result);
	read_comp(_metadata, f->fd, f->comp);
	EXPECT_EQ(-ETIMEDOUT, f->comp[0].result);
	EXPECT_EQ(7, f->comp[0].user_data);
	EXPECT_EQ(f->h, f->comp[0].handle);
	EXPECT_EQ(0, list_count(f->fd));
}

static int call_lock_async(struct fx *f)
{
	int ret;

	lock_input(&f->l, "fn:a", X, LOCKDEV_LOCK_ASYNC);
	f->l.user_data = 8;
	ret = ioctl(f->fd, LOCKDEV_IOC_LOCK, &f->l);
	f->h = f->l.handle;
	return ret;
}

static void after_lock_async(struct __test_metadata *_metadata, struct fx *f,
			     int ret, int err)
{
	EXPECT_EQ(0, unlock_handle(f->other, f->h2));
	if (ret) {
		EXPECT_EQ(0, list_count(f->fd));
		EXPECT_EQ(0, poll_in(f->fd, 0));
		return;
	}
	read_comp(_metadata, f->fd, f->comp);
	EXPECT_EQ(0, f->comp[0].result);
	EXPECT_EQ(8, f->comp[0].user_data);
	EXPECT_EQ(X, mode_of_handle(f->fd, f->h));
}

static int convert(int fd, __u64 h, __u32 mode, __u32 flags, __u64 deadline)
{
	struct lockdev_convert c = {
		.handle = h, .mode = mode, .flags = flags,
		.deadline_ns = deadline,
	};

	return ioctl(fd, LOCKDEV_IOC_CONVERT, &c);
}

static void setup_convert_up(struct __test_metadata *_metadata, struct fx *f)
{
	setup_attached(_metadata, f);
	f->h = take(_metadata, f->fd, "fn:a", S, 0);
}

static int call_convert_up(struct fx *f)
{
	return convert(f->fd, f->h, X, 0, 0);
}

static void after_convert_up(struct __test_metadata *_metadata, struct fx *f,
			     int ret, int err)
{
	EXPECT_EQ(ret ? S : X, mode_of_handle(f->fd, f->h));
}

/* fd holds fn:a in EXCLUSIVE, other awaits it in SHARED. */
static void setup_convert_down(struct __test_metadata *_metadata,
			       struct fx *f)
{
	setup_attached(_metadata, f);
	f->h = take(_metadata, f->fd, "fn:a", X, 0);
	f->h2 = take(_metadata, f->other, "fn:a", S, LOCKDEV_LOCK_ASYNC);
}

static int call_convert_down(struct fx *f)
{
	return convert(f->fd, f->h, S, 0, 0);
}

static void after_convert_down(struct __test_metadata *_metadata,
			       struct fx *f, int ret, int err)
{
	if (ret) {
		EXPECT_EQ(X, mode_of_handle(f->fd, f->h));
		EXPECT_EQ(1, count_state(f->fd, "fn:a",
					 LOCKDEV_STATE_WAITING));
		return;
	}
	EXPECT_EQ(S, mode_of_handle(f->fd, f->h));
	read_comp(_metadata, f->other, f->comp);
	EXPECT_EQ(0, f->comp[0].result);
	EXPECT_EQ(f->h2, f->comp[0].handle);
}

/* fd and other both hold fn:a in SHARED: fd's upgrade must wait. */
static void setup_convert_wait(struct __test_metadata *_metadata,
			       struct fx *f)
{
	setup_convert_up(_metadata, f);
	f->h2 = take(_metadata, f->other, "fn:a", S, 0);
}

static int call_convert_deadline(struct fx *f)
{
	return convert(f->fd, f->h, X, LOCKDEV_LOCK_DEADLINE,
		       now_ns() + WAIT_NS);
}

static void after_convert_wait(struct __test_metadata *_metadata,
			       struct fx *f, int ret, int err)
{
	EXPECT_EQ(S, mode_of_handle(f->fd, f->h));
	EXPECT_EQ(2, count_state(f->fd, "fn:a", LOCKDEV_STATE_HELD));
	EXPECT_EQ(0, count_state(f->fd, "fn:a", LOCKDEV_STATE_CONVERTING));
}

static void setup_held(struct __test_metadata *_metadata, struct fx *f)
{
	setup_attached(_metadata, f);
	f->h = take(_metadata, f->fd, "fn:a", X, 0);
}

static int call_unlock(struct fx *f)
{
	return unlock_handle(f->fd, f->h);
}

static int call_unlock_name(struct fx *f)
{
	return unlock_name(f->fd, "fn:a");
}

static void after_unlock(struct __test_metadata *_metadata, struct fx *f,
			 int ret, int err)
{
	EXPECT_EQ(ret ? 1 : 0, list_count(f->fd));
}

static int call_lock_set(struct fx *f)
{
	struct lockdev_set_item it[4];
	struct lockdev_lock_set s;

	set_item(&it[0], "fn:a", X, 0);
	set_item(&it[1], "fn:b", S, 0);
	set_item(&it[2], "gb:1", A, 0);
	set_item(&it[3], "c", S, 0);
	return set_call(f->fd, it, 4, 0, 0, &s);
}

static void after_lock_set(struct __test_metadata *_metadata, struct fx *f,
			   int ret, int err)
{
	EXPECT_EQ(ret ? 0 : 4, list_count(f->fd));
}

/* fd and other hold fn:a in SHARED. */
static void setup_two_readers(struct __test_metadata *_metadata,
			      struct fx *f)
{
	setup_attached(_metadata, f);
	f->h = take(_metadata, f->fd, "fn:a", S, 0);
	f->h2 = take(_metadata, f->other, "fn:a", S, 0);
}

static int call_query(struct fx *f)
{
	struct lockdev_query q;
	int ret = query(f->fd, "fn:a", &q, f->e, 8);

	if (ret == 0 && q.nr_entries != 2)
		return errno = EPROTO, -1;
	return ret;
}

static void setup_three(struct __test_metadata *_metadata, struct fx *f)
{
	setup_attached(_metadata, f);
	take(_metadata, f->fd, "fn:a", S, 0);
	take(_metadata, f->fd, "fn:b", X, 0);
	take(_metadata, f->fd, "c", A, 0);
}

static int call_list(struct fx *f)
{
	struct lockdev_list l;
	int ret = list_call(f->fd, f->held, 8, &l);

	if (ret == 0 && l.nr_entries != 3)
		return errno = EPROTO, -1;
	return ret;
}

/* fd's asynchronous request for fn:a waits behind other's EXCLUSIVE. */
static void setup_queued(struct __test_metadata *_metadata, struct fx *f)
{
	setup_blocked(_metadata, f);
	f->h = take(_metadata, f->fd, "fn:a", X, LOCKDEV_LOCK_ASYNC);
}

static int call_cancel(struct fx *f)
{
	struct lockdev_cancel c = { .handle = f->h };

	return ioctl(f->fd, LOCKDEV_IOC_CANCEL, &c);
}

static void after_cancel(struct __test_metadata *_metadata, struct fx *f,
			 int ret, int err)
{
	if (ret) {
		EXPECT_EQ(1, count_state(f->other, "fn:a",
					 LOCKDEV_STATE_WAITING));
		return;
	}
	read_comp(_metadata, f->fd, f->comp);
	EXPECT_EQ(-ECANCELED, f->comp[0].result);
	EXPECT_EQ(0, list_count(f->fd));
}

/* fn:a is owner-died (a session closed holding it), and fd holds it. */
static void setup_owner_died(struct __test_metadata *_metadata, struct fx *f)
{
	int gone;

	setup_attached(_metadata, f);
	gone = session(_metadata, true);
	take(_metadata, gone, "fn:a", X, 0);
	close(gone);
	ASSERT_EQ(0, lock_call(f->fd, "fn:a", X, 0, &f->l));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, f->l.result);
	f->h = f->l.handle;
}

static int call_consistent(struct fx *f)
{
	struct lockdev_consistent c = { .handle = f->h };

	return ioctl(f->fd, LOCKDEV_IOC_CONSISTENT, &c);
}

static bool owner_died(int fd, const char *name)
{
	struct lockdev_entry e[2];
	struct lockdev_query q;

	return query(fd, name, &q, e, 2) == 0 &&
	       (q.lock_flags & LOCKDEV_QUERY_OWNER_DIED);
}

static void after_consistent(struct __test_metadata *_metadata, struct fx *f,
			     int ret, int err)
{
	EXPECT_EQ(!!ret, owner_died(f->fd, "fn:a"));
	if (ret)
		EXPECT_EQ(0, call_consistent(f));
}

/* fd has one completion to read: its request for fn:a was granted. */
static void setup_completion(struct __test_metadata *_metadata, struct fx *f)
{
	setup_queued(_metadata, f);
	EXPECT_EQ(0, unlock_handle(f->other, f->h2));
	EXPECT_NE(0, poll_in(f->fd, WAIT_MS) & POLLIN);
}

static int call_read(struct fx *f)
{
	ssize_t n = read(f->fd, f->comp, sizeof(f->comp));

	if (n >= 0 && n != sizeof(f->comp[0]))
		return errno = EPROTO, -1;
	return n < 0 ? -1 : 0;
}

static void after_read(struct __test_metadata *_metadata, struct fx *f,
		       int ret, int err)
{
	if (ret)
		read_comp(_metadata, f->fd, f->comp);
	EXPECT_EQ(0, f->comp[0].result);
	EXPECT_EQ(f->h, f->comp[0].handle);
	EXPECT_EQ(0, poll_in(f->fd, 0));
}

/*
 * fd holds fn:a and fn:b in SHARED, has a request for gb:1 queued behind
 * other, and an unread completion (its grant of c).
 */
static void setup_close(struct __test_metadata *_metadata, struct fx *f)
{
	setup_attached(_metadata, f);
	take(_metadata, f->fd, "fn:a", S, 0);
	take(_metadata, f->fd, "fn:b", S, 0);
	take(_metadata, f->other, "gb:1", X, 0);
	take(_metadata, f->fd, "gb:1", X, LOCKDEV_LOCK_ASYNC);
	f->h2 = take(_metadata, f->other, "c", X, 0);
	take(_metadata, f->fd, "c", S, LOCKDEV_LOCK_ASYNC);
	EXPECT_EQ(0, unlock_handle(f->other, f->h2));
	EXPECT_NE(0, poll_in(f->fd, WAIT_MS) & POLLIN);
}

static int call_close(struct fx *f)
{
	int ret = close(f->fd);

	f->fd = -1;
	return ret;
}

static void after_close(struct __test_metadata *_metadata, struct fx *f,
			int ret, int err)
{
	EXPECT_EQ(0, count_state(f->other, "fn:a", LOCKDEV_STATE_HELD));
	EXPECT_EQ(0, count_state(f->other, "gb:1", LOCKDEV_STATE_WAITING));
	EXPECT_EQ(0, count_state(f->other, "c", LOCKDEV_STATE_HELD));
	EXPECT_FALSE(owner_died(f->other, "fn:a"));
}

/* Closed holding fn:a in EXCLUSIVE: owner-died, which other clears. */
static void after_close_owner_died(struct __test_metadata *_metadata,
				   struct fx *f, int ret, int err)
{
	ASSERT_EQ(0, lock_call(f->other, "fn:a", X, LOCKDEV_LOCK_NONBLOCK,
			       &f->l));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, f->l.result);
	f->fd = f->other;
	f->h = f->l.handle;
	EXPECT_EQ(0, call_consistent(f));
	f->fd = -1;
}

/* fd waits for fn:a behind other, and learned gb -> fn on the way. */
static void setup_busy(struct __test_metadata *_metadata, struct fx *f)
{
	setup_blocked(_metadata, f);
	take(_metadata, f->fd, "gb:1", S, 0);
	f->h = take(_metadata, f->fd, "fn:a", S, LOCKDEV_LOCK_ASYNC);
}

static int call_proc(struct fx *f)
{
	int pfd = open(f->path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (pfd < 0)
		return -1;
	do
		n = read(pfd, f->buf, sizeof(f->buf));
	while (n > 0);
	close(pfd);
	return n < 0 ? -1 : 0;
}

/* fd's last deadlock report: an order violation. */
static void setup_deadlock(struct __test_metadata *_metadata, struct fx *f)
{
	setup_attached(_metadata, f);
	lock_input(&f->l, "fn:b", S, 0);
	f->l.level = 20;
	ASSERT_EQ(0, ioctl(f->fd, LOCKDEV_IOC_LOCK, &f->l));
	lock_input(&f->l, "fn:a", S, 0);
	f->l.level = 10;
	ASSERT_EQ(-1, ioctl(f->fd, LOCKDEV_IOC_LOCK, &f->l));
	ASSERT_EQ(EDEADLK, errno);
}

static int call_deadlock(struct fx *f)
{
	struct lockdev_deadlock d;
	int ret = deadlock_call(f->fd, &d, f->m, 2);

	if (ret == 0 && d.reason != LOCKDEV_RESULT_ORDER)
		return errno = EPROTO, -1;
	return ret;
}

static void setup_netlink(struct __test_metadata *_metadata, struct fx *f)
{
	setup_busy(_metadata, f);
	f->nl = genl_socket();
	ASSERT_LE(0, f->nl);
	f->family = genl_family(f->nl, LOCKDEV_GENL_NAME);
	ASSERT_LT(0, f->family);
}

static int call_get_locks(struct fx *f)
{
	int n;

	if (genl_send(f->nl, f->family, LOCKDEV_CMD_GET_LOCKS,
		      LOCKDEV_GENL_VERSION, NLM_F_REQUEST | NLM_F_DUMP,
		      NULL, 0) ||
	    genl_recv_all(f->nl, WAIT_MS, &n))
		return -1;
	/* Root sees fd's and other's lines at least. */
	if (n < 3)
		return errno = EPROTO, -1;
	return 0;
}

static int call_get_stats(struct fx *f)
{
	int n;

	if (genl_send(f->nl, f->family, LOCKDEV_CMD_GET_STATS,
		      LOCKDEV_GENL_VERSION, NLM_F_REQUEST | NLM_F_ACK,
		      NULL, 0) ||
	    genl_recv_all(f->nl, WAIT_MS, &n))
		return -1;
	if (n != 1)
		return errno = EPROTO, -1;
	return 0;
}

/* A failed dump may leave the socket mid-dump: a new one must work. */
static void after_netlink(struct __test_metadata *_metadata, struct fx *f,
			  int ret, int err)
{
	close(f->nl);
	f->nl = genl_socket();
	ASSERT_LE(0, f->nl);
	EXPECT_EQ(0, call_get_locks(f));
	EXPECT_EQ(0, call_get_stats(f));
}

static void after_none(struct __test_metadata *_metadata, struct fx *f,
		       int ret, int err)
{
}

static int call_subscribe(struct fx *f)
{
	int n;

	if (genl_send(f->nl, f->family, LOCKDEV_CMD_SUBSCRIBE,
		      LOCKDEV_GENL_VERSION, NLM_F_REQUEST | NLM_F_ACK,
		      NULL, 0))
		return -1;
	return genl_recv_all(f->nl, WAIT_MS, &n);
}

/*
 * Subscribed if the call succeeded, not if the module failed it (ENOMEM);
 * ENOBUFS may be the ack's, after either. UNSUBSCRIBE tells.
 */
static void after_subscribe(struct __test_metadata *_metadata, struct fx *f,
			    int ret, int err)
{
	int n, r;

	ASSERT_EQ(0, genl_send(f->nl, f->family, LOCKDEV_CMD_UNSUBSCRIBE,
			       LOCKDEV_GENL_VERSION, NLM_F_REQUEST | NLM_F_ACK,
			       NULL, 0));
	r = genl_recv_all(f->nl, WAIT_MS, &n) ? errno : 0;
	if (ret == 0) {
		EXPECT_EQ(0, r);
	} else if (err == ENOMEM) {
		EXPECT_EQ(ENOENT, r);
	} else {
		EXPECT_TRUE(r == 0 || r == ENOENT);
	}
}

#define ENOMEM_ONLY	{ ENOMEM }

static const struct op op_open = {
	NULL, call_open, 0, ENOMEM_ONLY, after_none,
};
static const struct op op_attach_new = {
	setup_fresh, call_attach, 0, ENOMEM_ONLY, after_attach_new,
};
static const struct op op_attach_existing = {
	setup_attach_existing, call_attach, 0, ENOMEM_ONLY,
	after_attach_existing,
};
static const struct op op_lock_default = {
	setup_fresh, call_lock_c, 0, ENOMEM_ONLY, after_lock_default,
};
static const struct op op_lock = {
	setup_lock, call_lock, 0, ENOMEM_ONLY, after_lock,
};
static const struct op op_lock_nonblock = {
	setup_blocked, call_lock_nonblock, EAGAIN, ENOMEM_ONLY, after_no_lock,
};
static const struct op op_lock_deadline = {
	setup_blocked, call_lock_deadline, ETIMEDOUT, ENOMEM_ONLY,
	after_no_lock,
};
static const struct op op_lock_async_deadline = {
	setup_blocked, call_lock_async_deadline, 0, ENOMEM_ONLY,
	after_lock_async_deadline,
};
static const struct op op_lock_async = {
	setup_blocked, call_lock_async, 0, ENOMEM_ONLY, after_lock_async,
};
static const struct op op_convert_up = {
	setup_convert_up, call_convert_up, 0, ENOMEM_ONLY, after_convert_up,
};
static const struct op op_convert_down = {
	setup_convert_down, call_convert_down, 0, ENOMEM_ONLY,
	after_convert_down,
};
static const struct op op_convert_deadline = {
	setup_convert_wait, call_convert_deadline, ETIMEDOUT, ENOMEM_ONLY,
	after_convert_wait,
};
static const struct op op_unlock = {
	setup_held, call_unlock, 0, ENOMEM_ONLY, after_unlock,
};
static const struct op op_unlock_name = {
	setup_held, call_unlock_name, 0, ENOMEM_ONLY, after_unlock,
};
static const struct op op_lock_set = {
	setup_attached, call_lock_set, 0, ENOMEM_ONLY, after_lock_set,
};
static const struct op op_query = {
	setup_two_readers, call_query, 0, ENOMEM_ONLY, after_none,
};
static const struct op op_list = {
	setup_three, call_list, 0, ENOMEM_ONLY, after_none,
};
static const struct op op_cancel = {
	setup_queued, call_cancel, 0, ENOMEM_ONLY, after_cancel,
};
static const struct op op_consistent = {
	setup_owner_died, call_consistent, 0, ENOMEM_ONLY, after_consistent,
};
static const struct op op_read = {
	setup_completion, call_read, 0, ENOMEM_ONLY, after_read,
};
static const struct op op_close = {
	setup_close, call_close, 0, ENOMEM_ONLY, after_close,
};
static const struct op op_close_owner_died = {
	setup_held, call_close, 0, ENOMEM_ONLY, after_close_owner_died,
};
static const struct op op_proc = {
	setup_busy, call_proc, 0, ENOMEM_ONLY, after_none,
};
static const struct op op_deadlock = {
	setup_deadlock, call_deadlock, 0, ENOMEM_ONLY, after_none, true,
};
static const struct op op_get_locks = {
	setup_netlink, call_get_locks, 0, { ENOMEM, ENOBUFS }, after_netlink,
};
static const struct op op_get_stats = {
	setup_netlink, call_get_stats, 0, { ENOMEM, ENOBUFS }, after_netlink,
};
static const struct op op_subscribe = {
	setup_netlink, call_subscribe, 0, { ENOMEM, ENOBUFS }, after_subscribe,
};

FIXTURE(failnth) {
	int nth;
	char saved[NKNOBS][32];
	char *verbose[MAX_VERBOSE];
	char verbose_saved[MAX_VERBOSE][32];
	int nverbose;
	long long base[NCOUNTED];
};

FIXTURE_VARIANT(failnth) {
	const char *name;
	const struct op *op;
	const char *path;
};

#define OP(call) \
	FIXTURE_VARIANT_ADD(failnth, call) { .name = #call, .op = &op_##call }

OP(open);
OP(attach_new);
OP(attach_existing);
OP(lock_default);
OP(lock);
OP(lock_nonblock);
OP(lock_deadline);
OP(lock_async_deadline);
OP(lock_async);
OP(convert_up);
OP(convert_down);
OP(convert_deadline);
OP(unlock);
OP(unlock_name);
OP(lock_set);
OP(query);
OP(list);
OP(cancel);
OP(consistent);
OP(read);
OP(close);
OP(close_owner_died);
OP(deadlock);
OP(get_locks);
OP(get_stats);
OP(subscribe);

#define PROC(file) \
	FIXTURE_VARIANT_ADD(failnth, proc_##file) { .name = "proc_" #file, \
		.op = &op_proc, .path = "/proc/lockdev/" #file }

PROC(locks);
PROC(stats);
PROC(deadlocks);
PROC(order);
PROC(lock_stat);

FIXTURE_SETUP(failnth)
{
	long long now[NCOUNTED];
	glob_t g;
	size_t i;

	self->nth = -1;
	self->nverbose = 0;
	if (access(FAIL_NTH, F_OK))
		SKIP(_exit(255), "no " FAIL_NTH ": no fault injection");
	if (access(knob_path[0], F_OK))
		SKIP(_exit(255), "no failslab in debugfs");
	for (i = 0; i < NKNOBS; i++) {
		ASSERT_EQ(0, read_str(knob_path[i], self->saved[i],
				      sizeof(self->saved[i])));
		ASSERT_EQ(0, write_str(knob_path[i], knob_value[i]));
	}
	ASSERT_EQ(0, glob(VERBOSE_GLOB, 0, NULL, &g));
	for (i = 0; i < g.gl_pathc && i < MAX_VERBOSE; i++) {
		self->verbose[i] = strdup(g.gl_pathv[i]);
		ASSERT_EQ(0, read_str(self->verbose[i], self->verbose_saved[i],
				      sizeof(self->verbose_saved[i])));
		self->nverbose++;
		ASSERT_EQ(0, write_str(self->verbose[i], "0"));
	}
	globfree(&g);
	self->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth);
	ASSERT_EQ(0, flush_reports());
	/* What the reports dropped held may be freed a little later. */
	ASSERT_EQ(0, read_counts(self->base));
	for (i = 0; i < WAIT_MS / 100; i++) {
		sleep_ms(100);
		ASSERT_EQ(0, read_counts(now));
		if (!memcmp(now, self->base, sizeof(now)))
			break;
		memcpy(self->base, now, sizeof(now));
	}
}

FIXTURE_TEARDOWN(failnth)
{
	int i;

	if (self->nth < 0)
		return;
	close(self->nth);
	for (i = 0; i < (int)NKNOBS; i++)
		write_str(knob_path[i], self->saved[i]);
	for (i = 0; i < self->nverbose; i++) {
		write_str(self->verbose[i], self->verbose_saved[i]);
		free(self->verbose[i]);
	}
}

static bool allowed(const struct op *op, int err)
{
	size_t i;

	if (err == op->normal)
		return true;
	for (i = 0; i < sizeof(op->errs) / sizeof(op->errs[0]); i++)
		if (op->errs[i] && op->errs[i] == err)
			return true;
	return false;
}

/* Each counted stat must come back once a round closed everything. */
static void expect_back(struct __test_metadata *_metadata,
			const long long *want)
{
	long long now[NCOUNTED];
	size_t i;
	int ms;

	for (ms = 0; ; ms += 5) {
		ASSERT_EQ(0, read_counts(now));
		if (!memcmp(now, want, sizeof(now)) || ms >= WAIT_MS)
			break;
		sleep_ms(5);
	}
	for (i = 0; i < NCOUNTED; i++) {
		EXPECT_EQ(want[i], now[i]) {
			TH_LOG("%s not back", counted[i]);
		}
	}
}

/* A session that went through the round still locks and unlocks. */
static void expect_usable(struct __test_metadata *_metadata, int fd)
{
	struct lockdev_lock l;

	if (fd < 0)
		return;
	ASSERT_EQ(0, lock_call(fd, "usable", X, LOCKDEV_LOCK_NONBLOCK, &l));
	EXPECT_EQ(0, unlock_handle(fd, l.handle));
}

TEST_F_TIMEOUT(failnth, sweep, 600)
{
	const struct op *op = variant->op;
	int n, ret, err, injected = 1, failures = 0;
	struct fx f;

	for (n = 1; n <= MAX_NTH && injected; n++) {
		memset(&f, 0, sizeof(f));
		f.fd = f.other = f.nl = -1;
		f.path = variant->path;
		if (op->setup)
			op->setup(_metadata, &f);
		ASSERT_TRUE(_metadata->passed);

		ASSERT_EQ(0, arm(self->nth, n));
		ret = op->call(&f);
		err = errno;
		injected = disarm(self->nth);
		ASSERT_LE(0, injected);

		if (!injected) {
			/* Past the last fault point: the call as usual. */
			EXPECT_EQ(op->normal, ret ? err : 0) {
				TH_LOG("without a fault: %s", strerror(err));
			}
		} else if (ret) {
			EXPECT_TRUE(allowed(op, err)) {
				TH_LOG("fault %d: undocumented error %s", n,
				       strerror(err));
			}
			failures += err != op->normal;
		}
		op->after(_metadata, &f, ret, err);
		expect_usable(_metadata, f.fd);
		expect_usable(_metadata, f.other);
		fx_close(_metadata, &f);
		if (op->reports)
			ASSERT_EQ(0, flush_reports());
		expect_back(_metadata, self->base);
		if (!_metadata->passed) {
			TH_LOG("at fault %d of the call (%s)", n,
			       ret ? strerror(err) : "it succeeded");
			break;
		}
	}
	EXPECT_GE(MAX_NTH, n - 1) {
		TH_LOG("more than %d fault points", MAX_NTH);
	}
	ksft_print_msg("%s: %d fault points, %d failed the call\n",
		       variant->name, n - 2, failures);
	fflush(stdout);
}

TEST_HARNESS_MAIN
