// SPDX-License-Identifier: GPL-2.0
/*
 * The cost bounds of lockdev(7), "COST": what one user builds in its own
 * lockspace must not make another user's calls slower, and the walks over
 * what a call depends on (the deadlock check, /proc/lockdev/locks, the
 * GET_LOCKS dump) cost the same per request they pass, whatever the number
 * of requests.
 *
 * A crowd: uid 65534 holds "L" in EXCLUSIVE in a lockspace of its own and
 * queues SHARED waiters for it, one session each, CROWD_SMALL and then
 * CROWD of them. Times are the median of many fast calls, or the fastest of
 * several slow ones, so that a slow moment of a TCG guest on a loaded host
 * does not decide, and each bound is a factor:
 *
 *  - root's uncontended LOCK and UNLOCK in its default lockspace, while the
 *    crowd's user runs the deadlock check over its crowd in a loop, takes at
 *    most ISOLATION_FACTOR times what it takes with no crowd;
 *  - root's blocking LOCK of "L" in EXCLUSIVE, which runs the deadlock check
 *    over the whole crowd before it times out, and a read of
 *    /proc/lockdev/locks and a GET_LOCKS dump, which show every waiter and
 *    whom it waits for, take per crowd member at most LINEAR_FACTOR times
 *    as much with CROWD waiters as with CROWD_SMALL: linear work keeps the
 *    ratio near 1 (1 to 4.2 measured under TCG on a loaded host, whose
 *    memory accesses slow down as the crowd's memory grows, and the dump
 *    redoes the lock's list for each buffer), work quadratic in the queue
 *    makes it up to CROWD / CROWD_SMALL, 32: 68 to 97 for the deadlock
 *    check, 21 to 38 for the read and 13 for the dump with the quadratic
 *    walks, measured on the 6.12 lane.
 *
 * The module's per-uid limits are raised for the crowd and put back after.
 *
 * A read of /proc/lockdev/order in reads of READ_BYTES, each of which shows
 * about one edge and starts a chunk of the file again, costs per edge at
 * most LINEAR_FACTOR times as much with EDGES as with EDGES_SMALL edges: a
 * chunk that found its place by walking the list from its head made the
 * ratio up to EDGES / EDGES_SMALL, 32 (14 measured). Every edge is read
 * exactly once. Meanwhile another process makes and drops lockspaces with
 * a class each, so that classes are freed around the reader's place in
 * the list between its chunks. (Under TCG that frees a class only every
 * few dozen chunks: too rarely for the ratio to show a reader that starts
 * over at each free, but often enough to try the place against frees.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"

#define PARAMS		"/sys/module/lockdev/parameters/"

/*
 * The crowd: waiters of one lock, at two sizes. Lock debugging (lockdep,
 * KASAN: the debug lane) makes every call many times slower, and its costs
 * are not the module's: there the crowds are a quarter as large and the
 * times are only logged, as proc_test does with its memory bar.
 */
#define CROWD		8000
#define CROWD_SMALL	250
static int crowd = CROWD, crowd_small = CROWD_SMALL;
/* Learned edges: from each of HELD classes to each of many more. */
#define HELD		8
#define EDGES		32000
#define EDGES_SMALL	1000
static int edges = EDGES, edges_small = EDGES_SMALL;
#define READ_BYTES	128
static bool debugging;
/* The bounds, as lockdev(7) states them. */
#define ISOLATION_FACTOR	3
#define LINEAR_FACTOR		8
/* Calls per median. */
#define FAST_RUNS	301
#define SLOW_RUNS	7

/* What the timing helpers return when a call failed. */
#define FAILED		((__u64)-1)

#define CROWD_UID	65534
#define LOCK_NAME	"L"

static const char *const limit_names[] = {
	"max_locks_per_user",
	"max_waiters_per_user",
	"max_sessions_per_user",
};

#define NR_LIMITS	ARRAY_SIZE(limit_names)

static long long get_param(const char *name)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

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
	int fd, len, ret;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%lld", value);
	ret = write(fd, buf, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

static __u64 median(__u64 *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

/* The fastest: what the host's other load only ever adds to is left out. */
static __u64 fastest(__u64 *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[0];
}

static int attach(int fd, const char *space, __u32 flags)
{
	struct lockdev_attach at = {
		.name = ptr(space),
		.name_len = strlen(space),
		.flags = flags,
		.mode = 0666,
	};

	return ioctl(fd, LOCKDEV_IOC_ATTACH, &at);
}

/* Raise the open files limit to @n; 0 or -1. */
static int raise_nofile(rlim_t n)
{
	struct rlimit rl = { n, n };

	return setrlimit(RLIMIT_NOFILE, &rl);
}

/*
 * The crowd, as uid CROWD_UID: holds LOCK_NAME in EXCLUSIVE in @space,
 * then for each number read from @in queues SHARED waiters until it has
 * that many, and writes the number back on @out; 0 ends it.
 */
static void crowd_main(const char *space, int in, int out)
{
	struct lockdev_lock l;
	int fd, n = 0, want;

	if (become(CROWD_UID, CROWD_UID))
		_exit(2);
	fd = open_session();
	if (fd < 0 || attach(fd, space, 0) ||
	    lock_call(fd, LOCK_NAME, LOCKDEV_MODE_EXCLUSIVE, 0, &l))
		_exit(3);
	while (read_all(in, &want, sizeof(want)) == 0 && want > 0) {
		for (; n < want; n++) {
			fd = open_session();
			if (fd < 0 || attach(fd, space, LOCKDEV_ATTACH_NOCREATE) ||
			    lock_call(fd, LOCK_NAME, LOCKDEV_MODE_SHARED,
				      LOCKDEV_LOCK_ASYNC, &l) ||
			    !(l.result & LOCKDEV_RESULT_QUEUED))
				_exit(4);
		}
		if (write_all(out, &n, sizeof(n)))
			_exit(5);
	}
	_exit(0);
}

/*
 * Another process of the crowd's user: until killed, asks for LOCK_NAME in
 * EXCLUSIVE with a deadline already past, which runs the deadlock check
 * over the whole crowd and then times out.
 */
static void churn_main(const char *space)
{
	struct lockdev_lock l;
	int fd;

	if (become(CROWD_UID, CROWD_UID))
		_exit(2);
	fd = open_session();
	if (fd < 0 || attach(fd, space, LOCKDEV_ATTACH_NOCREATE))
		_exit(3);
	for (;;) {
		lock_input(&l, LOCK_NAME, LOCKDEV_MODE_EXCLUSIVE,
			   LOCKDEV_LOCK_DEADLINE);
		l.deadline_ns = 1;
		if (ioctl(fd, LOCKDEV_IOC_LOCK, &l) == 0 || errno != ETIMEDOUT)
			_exit(4);
	}
}

FIXTURE(bounds) {
	long long saved[NR_LIMITS];
	char space[64];
	pid_t crowd;
	pid_t churn;
	int to_crowd;
	int from_crowd;
	int fd;		/* root's session in the crowd's lockspace */
	int own;	/* root's session in its default lockspace */
};

FIXTURE_SETUP(bounds)
{
	int in[2], out[2];
	size_t i;

	debugging = !access("/proc/lockdep", F_OK);
	if (debugging) {
		crowd = CROWD / 4;
		crowd_small = CROWD_SMALL / 4;
		TH_LOG("lock debugging on: crowds of %d and %d, no bars",
		       crowd_small, crowd);
	}

	for (i = 0; i < NR_LIMITS; i++) {
		self->saved[i] = get_param(limit_names[i]);
		ASSERT_LE(0, self->saved[i]);
		if (self->saved[i] < 4 * crowd)
			ASSERT_EQ(0, set_param(limit_names[i], 4 * crowd));
	}
	ASSERT_EQ(0, raise_nofile(crowd + 256));
	snprintf(self->space, sizeof(self->space), "bounds-%d", (int)getpid());
	self->churn = -1;
	ASSERT_EQ(0, pipe2(in, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(out, O_CLOEXEC));
	self->crowd = fork();
	ASSERT_LE(0, self->crowd);
	if (self->crowd == 0) {
		alarm(CHILD_SECS);
		close(in[1]);
		close(out[0]);
		crowd_main(self->space, in[0], out[1]);
	}
	close(in[0]);
	close(out[1]);
	self->to_crowd = in[1];
	self->from_crowd = out[0];
	self->own = open_session();
	ASSERT_LE(0, self->own);
	self->fd = open_session();
	ASSERT_LE(0, self->fd);
	/* The crowd's holder is there once "L" has a holder. */
	for (i = 0; i < 1000 && attach(self->fd, self->space,
				       LOCKDEV_ATTACH_NOCREATE); i++)
		sleep_ms(10);
	ASSERT_EQ(0, wait_lock_state(self->fd, LOCK_NAME, 1, 0));
}

FIXTURE_TEARDOWN(bounds)
{
	int status, zero = 0;
	size_t i;

	if (self->churn > 0) {
		kill(self->churn, SIGKILL);
		waitpid(self->churn, &status, 0);
	}
	write_all(self->to_crowd, &zero, sizeof(zero));
	close(self->to_crowd);
	close(self->from_crowd);
	waitpid(self->crowd, &status, 0);
	close(self->fd);
	close(self->own);
	for (i = 0; i < NR_LIMITS; i++)
		EXPECT_EQ(0, set_param(limit_names[i], self->saved[i]));
}

/* Grow the crowd to @n waiters; 0 or -1. */
static int crowd_grow(FIXTURE_DATA(bounds) *self, int n)
{
	int got;

	if (write_all(self->to_crowd, &n, sizeof(n)) ||
	    read_all(self->from_crowd, &got, sizeof(got)))
		return -1;
	return got == n ? 0 : -1;
}

static void churn_start(FIXTURE_DATA(bounds) *self)
{
	self->churn = fork();
	if (self->churn == 0) {
		alarm(CHILD_SECS);
		churn_main(self->space);
	}
}

static void churn_stop(FIXTURE_DATA(bounds) *self)
{
	int status;

	if (self->churn <= 0)
		return;
	kill(self->churn, SIGKILL);
	waitpid(self->churn, &status, 0);
	self->churn = -1;
}

/* Median ns of an uncontended LOCK and UNLOCK of root's own lock. */
static __u64 time_uncontended(int fd)
{
	static __u64 t[FAST_RUNS];
	struct lockdev_lock l;
	__u64 start;
	int i;

	for (i = 0; i < FAST_RUNS; i++) {
		start = now_ns();
		if (lock_call(fd, "bounds-own", LOCKDEV_MODE_EXCLUSIVE, 0, &l) ||
		    unlock_handle(fd, l.handle))
			return FAILED;
		t[i] = now_ns() - start;
	}
	return median(t, FAST_RUNS);
}

/*
 * Fastest ns of a LOCK of LOCK_NAME in EXCLUSIVE that runs the deadlock
 * check over the crowd and times out at its deadline, already past.
 */
static __u64 time_check(int fd)
{
	__u64 t[SLOW_RUNS], start;
	struct lockdev_lock l;
	int i, ret;

	for (i = 0; i < SLOW_RUNS; i++) {
		lock_input(&l, LOCK_NAME, LOCKDEV_MODE_EXCLUSIVE,
			   LOCKDEV_LOCK_DEADLINE);
		l.deadline_ns = 1;
		start = now_ns();
		ret = ioctl(fd, LOCKDEV_IOC_LOCK, &l);
		t[i] = now_ns() - start;
		if (ret == 0 || errno != ETIMEDOUT)
			return FAILED;
	}
	return fastest(t, SLOW_RUNS);
}

/* Fastest ns of a read of all of /proc/lockdev/locks; its lines in *@lines. */
static __u64 time_proc(long *lines)
{
	__u64 t[SLOW_RUNS], start;
	static char buf[1 << 16];
	ssize_t n;
	int i, fd;
	long nl;
	char *p;

	for (i = 0; i < SLOW_RUNS; i++) {
		nl = 0;
		start = now_ns();
		fd = open("/proc/lockdev/locks", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return FAILED;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			for (p = buf; (p = memchr(p, '\n', buf + n - p)); p++)
				nl++;
		close(fd);
		t[i] = now_ns() - start;
		if (n < 0)
			return FAILED;
		*lines = nl;
	}
	return fastest(t, SLOW_RUNS);
}

static int count_record(struct nl_msg *msg, void *arg)
{
	(*(long *)arg)++;
	return NL_OK;
}

/* Fastest ns of a GET_LOCKS dump; its records in *@records. */
static __u64 time_dump(long *records)
{
	__u64 t[SLOW_RUNS], start;
	struct nl_sock *sk;
	int i, fam, ret;
	long n;

	for (i = 0; i < SLOW_RUNS; i++) {
		n = 0;
		sk = nl_socket_alloc();
		if (!sk)
			return FAILED;
		if (genl_connect(sk) ||
		    (fam = genl_ctrl_resolve(sk, LOCKDEV_GENL_NAME)) < 0 ||
		    nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM,
					count_record, &n)) {
			nl_socket_free(sk);
			return FAILED;
		}
		start = now_ns();
		ret = genl_send_simple(sk, fam, LOCKDEV_CMD_GET_LOCKS,
				       LOCKDEV_GENL_VERSION, NLM_F_DUMP);
		if (ret >= 0)
			ret = nl_recvmsgs_default(sk);
		t[i] = now_ns() - start;
		nl_socket_free(sk);
		if (ret < 0)
			return FAILED;
		*records = n;
	}
	return fastest(t, SLOW_RUNS);
}

/*
 * Is @big per member of @nbig at most LINEAR_FACTOR times @small per
 * @nsmall? Each is scaled by an uncontended LOCK and UNLOCK timed next to
 * it, @ref_small and @ref_big, which no crowd changes: so that the host
 * running the guest slower for one than for the other does not decide.
 * Always, under lock debugging.
 */
static bool linear(__u64 small, long nsmall, __u64 ref_small,
		   __u64 big, long nbig, __u64 ref_big)
{
	double per_small = (double)small / nsmall / ref_small;
	double per_big = (double)big / nbig / ref_big;

	fprintf(stderr, "# per member, scaled: %.4f and %.4f, ratio %.2f\n",
	       per_small, per_big, per_big / per_small);
	return debugging || per_big <= LINEAR_FACTOR * per_small;
}

/* One user's crowd does not slow another user's uncontended call. */
TEST_F_TIMEOUT(bounds, isolation, 300)
{
	__u64 base, crowded;

	churn_start(self);
	ASSERT_LT(0, self->churn);
	base = time_uncontended(self->own);
	ASSERT_NE(FAILED, base);
	churn_stop(self);
	ASSERT_EQ(0, crowd_grow(self, crowd));
	churn_start(self);
	ASSERT_LT(0, self->churn);
	crowded = time_uncontended(self->own);
	ASSERT_NE(FAILED, crowded);
	churn_stop(self);
	TH_LOG("LOCK+UNLOCK: %llu ns alone, %llu ns beside %d waiters",
	       base, crowded, crowd);
	if (!debugging)
		EXPECT_LE(crowded, ISOLATION_FACTOR * base);
}

/* The deadlock check costs the same per session it visits. */
TEST_F_TIMEOUT(bounds, deadlock_check, 300)
{
	__u64 small, big, ref_small, ref_big;

	ASSERT_EQ(0, crowd_grow(self, crowd_small));
	ref_small = time_uncontended(self->own);
	small = time_check(self->fd);
	ASSERT_NE(FAILED, small);
	ASSERT_EQ(0, crowd_grow(self, crowd));
	ref_big = time_uncontended(self->own);
	big = time_check(self->fd);
	ASSERT_NE(FAILED, big);
	TH_LOG("check: %llu ns over %d waiters, %llu ns over %d",
	       small, crowd_small, big, crowd);
	ASSERT_NE(FAILED, ref_small);
	ASSERT_NE(FAILED, ref_big);
	EXPECT_TRUE(linear(small, crowd_small, ref_small, big, crowd, ref_big));
}

/* A read of /proc/lockdev/locks costs the same per line. */
TEST_F_TIMEOUT(bounds, proc_locks, 300)
{
	long lsmall = 0, lbig = 0;
	__u64 small, big, ref_small, ref_big;

	ASSERT_EQ(0, crowd_grow(self, crowd_small));
	ref_small = time_uncontended(self->own);
	small = time_proc(&lsmall);
	ASSERT_NE(FAILED, small);
	ASSERT_LT(crowd_small, lsmall);
	ASSERT_EQ(0, crowd_grow(self, crowd));
	ref_big = time_uncontended(self->own);
	big = time_proc(&lbig);
	ASSERT_NE(FAILED, big);
	ASSERT_LT(crowd, lbig);
	TH_LOG("/proc/lockdev/locks: %llu ns for %ld lines, %llu ns for %ld",
	       small, lsmall, big, lbig);
	ASSERT_NE(FAILED, ref_small);
	ASSERT_NE(FAILED, ref_big);
	EXPECT_TRUE(linear(small, lsmall, ref_small, big, lbig, ref_big));
}

/* A GET_LOCKS dump costs the same per record, and misses none. */
TEST_F_TIMEOUT(bounds, dump, 300)
{
	long rsmall = 0, rbig = 0;
	__u64 small, big, ref_small, ref_big;

	ASSERT_EQ(0, crowd_grow(self, crowd_small));
	ref_small = time_uncontended(self->own);
	small = time_dump(&rsmall);
	ASSERT_NE(FAILED, small);
	ASSERT_LT(crowd_small, rsmall);
	ASSERT_EQ(0, crowd_grow(self, crowd));
	ref_big = time_uncontended(self->own);
	big = time_dump(&rbig);
	ASSERT_NE(FAILED, big);
	ASSERT_LT(crowd, rbig);
	TH_LOG("GET_LOCKS: %llu ns for %ld records, %llu ns for %ld",
	       small, rsmall, big, rbig);
	ASSERT_NE(FAILED, ref_small);
	ASSERT_NE(FAILED, ref_big);
	EXPECT_TRUE(linear(small, rsmall, ref_small, big, rbig, ref_big));
}

static const char *const order_limits[] = {
	"max_classes_per_space",
	"max_class_edges_per_space",
	"max_classes_per_user",
	"max_class_edges_per_user",
};

#define NR_ORDER_LIMITS	ARRAY_SIZE(order_limits)

/*
 * Root's session in a lockspace of its own, holding HELD classes, and
 * another in its default lockspace for the reference times. The per-space
 * and per-user budgets of classes and edges are raised for it.
 */
FIXTURE(order) {
	long long saved[NR_ORDER_LIMITS];
	char space[64];
	int classes;	/* classes taken after the HELD */
	int fd;
	int own;
};

FIXTURE_SETUP(order)
{
	char name[32];
	size_t i;
	int h;

	debugging = !access("/proc/lockdep", F_OK);
	if (debugging) {
		edges = EDGES / 4;
		edges_small = EDGES_SMALL / 4;
	}
	for (i = 0; i < NR_ORDER_LIMITS; i++) {
		self->saved[i] = get_param(order_limits[i]);
		ASSERT_LE(0, self->saved[i]);
		ASSERT_EQ(0, set_param(order_limits[i], 4 * EDGES));
	}
	snprintf(self->space, sizeof(self->space), "bounds-order-%d",
		 (int)getpid());
	self->own = open_session();
	ASSERT_LE(0, self->own);
	self->fd = open_session();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, attach(self->fd, self->space, 0));
	/* The first calls of a session are slower: not in the references. */
	ASSERT_NE(FAILED, time_uncontended(self->own));
	for (h = 0; h < HELD; h++) {
		struct lockdev_lock l;

		snprintf(name, sizeof(name), "h%d:x", h);
		ASSERT_EQ(0, lock_call(self->fd, name, LOCKDEV_MODE_SHARED, 0,
				       &l));
	}
}

FIXTURE_TEARDOWN(order)
{
	size_t i;

	close(self->fd);
	close(self->own);
	for (i = 0; i < NR_ORDER_LIMITS; i++)
		EXPECT_EQ(0, set_param(order_limits[i], self->saved[i]));
}

/* Learn edges until the lockspace has @n beyond those among the HELD. */
static int order_grow(FIXTURE_DATA(order) *self, int n)
{
	struct lockdev_lock l;
	char name[32];

	for (; self->classes * HELD < n; self->classes++) {
		snprintf(name, sizeof(name), "c%d:x", self->classes);
		if (lock_call(self->fd, name, LOCKDEV_MODE_SHARED, 0, &l) ||
		    unlock_handle(self->fd, l.handle))
			return -1;
	}
	return 0;
}

/*
 * Fastest ns of a read of /proc/lockdev/order in reads of READ_BYTES; the
 * lines of @space's edges in *@lines.
 */
static __u64 time_order(const char *space, long *lines)
{
	static char buf[1 << 22];
	__u64 t[SLOW_RUNS], start;
	char prefix[96], *p, *nl;
	size_t len = 0;
	ssize_t n = 0;
	int i, fd;

	snprintf(prefix, sizeof(prefix), "edge %s ", space);
	for (i = 0; i < SLOW_RUNS; i++) {
		start = now_ns();
		fd = open("/proc/lockdev/order", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return FAILED;
		len = 0;
		while (len + READ_BYTES < sizeof(buf) &&
		       (n = read(fd, buf + len, READ_BYTES)) > 0)
			len += n;
		close(fd);
		t[i] = now_ns() - start;
		if (n < 0 || len + READ_BYTES >= sizeof(buf))
			return FAILED;
	}
	buf[len] = 0;
	*lines = 0;
	for (p = buf; (nl = strchr(p, '\n')); p = nl + 1)
		if (!strncmp(p, prefix, strlen(prefix)))
			++*lines;
	return fastest(t, SLOW_RUNS);
}

/*
 * A child that, until killed, makes lockspaces of its own with a class
 * each and lets them go, so that classes are freed all the time: any user
 * can do that, and a reader of /proc/lockdev/order must not start over at
 * each.
 */
static pid_t churn_classes(void)
{
	struct lockdev_lock l;
	char space[64];
	pid_t pid = fork();
	int fd, i;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (i = 0;; i++) {
		snprintf(space, sizeof(space), "bounds-churn-%d-%d",
			 (int)getpid(), i);
		fd = open_session();
		if (fd < 0 || attach(fd, space, 0) ||
		    lock_call(fd, "churn:x", LOCKDEV_MODE_SHARED, 0, &l))
			_exit(1);
		close(fd);
	}
}

/*
 * A read of /proc/lockdev/order costs the same per edge, and misses none,
 * while another process's lockspaces and their classes come and go.
 */
TEST_F_TIMEOUT(order, proc_order, 300)
{
	/* The HELD classes learned an edge from each one taken before. */
	const long among = HELD * (HELD - 1) / 2;
	__u64 small, big, ref_small, ref_big;
	long lsmall = 0, lbig = 0;
	pid_t churn = churn_classes();
	int status;

	ASSERT_LT(0, churn);
	ASSERT_EQ(0, order_grow(self, edges_small));
	ref_small = time_uncontended(self->own);
	small = time_order(self->space, &lsmall);
	ASSERT_NE(FAILED, small);
	EXPECT_EQ(among + HELD * self->classes, lsmall);
	ASSERT_EQ(0, order_grow(self, edges));
	ref_big = time_uncontended(self->own);
	big = time_order(self->space, &lbig);
	ASSERT_NE(FAILED, big);
	EXPECT_EQ(among + HELD * self->classes, lbig);
	TH_LOG("/proc/lockdev/order: %llu ns for %ld edges, %llu ns for %ld",
	       small, lsmall, big, lbig);
	/* Still churning: it did not fail, and it ran all along. */
	ASSERT_EQ(0, waitpid(churn, &status, WNOHANG));
	kill(churn, SIGKILL);
	ASSERT_EQ(churn, waitpid(churn, &status, 0));
	ASSERT_NE(FAILED, ref_small);
	ASSERT_NE(FAILED, ref_big);
	EXPECT_TRUE(linear(small, lsmall, ref_small, big, lbig, ref_big));
}

TEST_HARNESS_MAIN
