// SPDX-License-Identifier: GPL-2.0
/*
 * Resident locks: a lock stays in its lockspace after its last holder and
 * waiter have gone, idle, with its generation and owner-died mark, until
 * the bounds max_idle_locks_per_space and max_idle_locks drop the least
 * recently used idle locks, or its lockspace goes. A dropped lock asked for
 * again gets a generation no lock has had. An idle owner-died lock is never
 * dropped for a bound and has a line in /proc/lockdev/locks. And a read of
 * /proc/lockdev/locks while another process grows the table by tens of
 * thousands of locks lists each lock once. The netlink GET_LOCKS dump shows
 * idle owner-died locks, and every idle lock when asked with LOCKDEV_A_ALL.
 * Walks paused in a lockspace cost its trims and its end one step each.
 *
 * Every test works in a named lockspace of its own (so that the per-space
 * bound is the test's alone), saves the two bounds in its fixture and puts
 * them back in the teardown, which runs on failure too. Tests run as root.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/lockdev.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"
#include "genl_util.h"

#define PARAMS		"/sys/module/lockdev/parameters/"
#define PER_SPACE	"max_idle_locks_per_space"
#define ALL_SPACES	"max_idle_locks"

#define S LOCKDEV_MODE_SHARED
#define A LOCKDEV_MODE_APPEND
#define X LOCKDEV_MODE_EXCLUSIVE
#define N LOCKDEV_MODE_NONE
#define IDLE LOCKDEV_QUERY_IDLE

/* Generations a test has seen, to show that a new lock's is new. */
#define MAX_SEEN	4096

/* The per-uid test: a uid with 4 lockspaces of 10 idle locks, one with 30. */
#define UID_SPREAD	2040
#define UID_ONE		2041
#define UID_DUMPER	2042
#define SPREAD_SPACES	4
#define SPREAD_LOCKS	10
#define ONE_LOCKS	30
/*
 * The level test: a uid with 16 lockspaces of 8 idle locks, 63 over the
 * bound: not a multiple of 16, so that some keep one more than others.
 */
#define UID_LEVEL	2043
/* The reads reap_passes_walks_once pauses are this uid's. */
#define UID_MARKS	2044
#define LEVEL_SPACES	16
#define LEVEL_LOCKS	8
#define LEVEL_OVER	63
/* The most lockspaces idle_owner() makes. */
#define MAX_OWNED	LEVEL_SPACES

/* Locks the growth test's process creates and holds. */
#define GROWTH		30000
/* Idle locks of each lockspace removed_during_walk removes. */
#define REAP_LOCKS	20000
/* Bytes per read() of /proc/lockdev/locks in the growth test. */
#define CHUNK		512
/*
 * drain_lets_others_run: idle locks that went idle lately, which the first
 * walk of their lockspace sorts and lists, made for at most DRAIN_SECS (a
 * debug kernel makes a tenth of them in that time, whose walk still takes
 * about 100 ms there); the period of the SCHED_FIFO ticker beside it, and
 * the room for its ticks.
 */
/*
 * reap_passes_walks_once: the owner-died locks of each lockspace it
 * removes, and the reads of /proc/lockdev/locks paused among them.
 */
#define MARK_LOCKS	20000
#define MARK_WALKS	5000
#define DRAIN_LOCKS	200000
#define DRAIN_SECS	10
#define TICK_NS		1000000
#define MAX_TICKS	100000

/* The value of module parameter @name, or -1. */
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

	snprintf(path, sizeof(path), PARAMS "%s", name);
	snprintf(buf, sizeof(buf), "%lld\n", value);
	return write_str(path, buf);
}

static int attach(int fd, const char *space)
{
	struct lockdev_attach a = {
		.name = ptr(space), .name_len = strlen(space), .mode = 0600,
	};

	return ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
}

FIXTURE(res) {
	int fd;
	char space[64];
	long long per_space;
	long long all;
	__u64 seen[MAX_SEEN];
	int nr_seen;
};

FIXTURE_SETUP(res)
{
	struct lockdev_version v = { 0 };

	self->fd = -1;
	self->nr_seen = 0;
	self->per_space = get_param(PER_SPACE);
	self->all = get_param(ALL_SPACES);
	ASSERT_LE(0, self->per_space);
	ASSERT_LE(0, self->all);
	snprintf(self->space, sizeof(self->space), "res-%d", getpid());
	self->fd = open_session();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_VERSION, &v));
	ASSERT_TRUE(v.features & LOCKDEV_FEATURE_RESIDENT);
	ASSERT_EQ(0, attach(self->fd, self->space));
}

/* Is lockspace @space (a plain name) in /proc/lockdev/spaces? */
static bool space_listed(const char *space)
{
	char *text = read_file("/proc/lockdev/spaces"), *p;
	size_t len = strlen(space);
	bool found = false;

	for (p = text; p && !found; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		found = !strncmp(p, space, len) && p[len] == ' ';
	}
	free(text);
	return found;
}

/* Wait up to 60 s for lockspace @space to leave /proc/lockdev/spaces. */
static bool space_gone(const char *space)
{
	int ms;

	for (ms = 0; space_listed(space) && ms < 60000; ms += 50)
		sleep_ms(50);
	return !space_listed(space);
}

FIXTURE_TEARDOWN(res)
{

	/*
	 * Its owner-died locks (proc_once_during_growth leaves thousands)
	 * would stay for as long as the lockspace: not for the suites after,
	 * which must not see them go either (the collector drops them).
	 */
	if (self->fd >= 0) {
		EXPECT_EQ(0, space_ctl_call(self->fd, self->space,
					    strlen(self->space),
					    LOCKDEV_SPACE_REMOVE,
					    LOCKDEV_SPACE_FORCE,
					    LOCKDEV_SPACE_KEEP,
					    LOCKDEV_SPACE_KEEP,
					    LOCKDEV_SPACE_KEEP));
		close(self->fd);
		EXPECT_TRUE(space_gone(self->space));
	}
	if (self->per_space >= 0)
		EXPECT_EQ(0, set_param(PER_SPACE, self->per_space));
	if (self->all >= 0)
		EXPECT_EQ(0, set_param(ALL_SPACES, self->all));
}

/* Remember generation @g; say whether it had been seen before. */
static bool seen_before(struct _test_data_res *self, __u64 g)
{
	int i;

	for (i = 0; i < self->nr_seen; i++)
		if (self->seen[i] == g)
			return true;
	if (self->nr_seen < MAX_SEEN)
		self->seen[self->nr_seen++] = g;
	return false;
}

/* Take @name in @mode without waiting and release it: the grant's generation. */
static __u64 touch(struct __test_metadata *_metadata, int fd,
		   const char *name, __u32 mode)
{
	struct lockdev_lock l;

	EXPECT_EQ(0, lock_call(fd, name, mode, LOCKDEV_LOCK_NONBLOCK, &l)) {
		TH_LOG("lock %s: errno %d", name, errno);
		return 0;
	}
	EXPECT_EQ(0, unlock_handle(fd, l.handle)) {
		TH_LOG("unlock %s: errno %d", name, errno);
	}
	return l.generation;
}

/* QUERY @name: its generation and lock_flags, and no entries. */
static __u64 query_idle(struct __test_metadata *_metadata, int fd,
			const char *name, __u32 *flags)
{
	struct lockdev_entry e[2];
	struct lockdev_query q;

	EXPECT_EQ(0, query(fd, name, &q, e, 2)) {
		TH_LOG("query %s: errno %d", name, errno);
		return 0;
	}
	EXPECT_EQ(0, q.nr_entries) {
		TH_LOG("%s: %u entries, expected none", name, q.nr_entries);
	}
	EXPECT_TRUE(poisoned(e, sizeof(e)));
	*flags = q.lock_flags;
	return q.generation;
}

/* @name must be idle: a non-zero generation, returned, and IDLE. */
static __u64 expect_idle(struct __test_metadata *_metadata, int fd,
			 const char *name)
{
	__u32 flags = 0;
	__u64 g = query_idle(_metadata, fd, name, &flags);

	EXPECT_NE(0, g) {
		TH_LOG("%s: generation 0, expected an idle lock", name);
	}
	EXPECT_EQ(IDLE, flags & (IDLE | LOCKDEV_QUERY_OWNER_DIED)) {
		TH_LOG("%s: lock_flags %#x, expected IDLE", name, flags);
	}
	return g;
}

/* @name must not exist (never created, or dropped). */
static void expect_dropped(struct __test_metadata *_metadata, int fd,
			   const char *name)
{
	__u32 flags = ~0u;
	__u64 g = query_idle(_metadata, fd, name, &flags);

	EXPECT_EQ(0, g) {
		TH_LOG("%s: generation %llu, expected it dropped", name,
		       (unsigned long long)g);
	}
	EXPECT_EQ(0, flags) {
		TH_LOG("%s: lock_flags %#x, expected 0", name, flags);
	}
}

/* The lines of /proc/lockdev/locks of lock @name in @space. */
static int proc_lines(const char *space, const char *name,
		      struct locks_line *out, int max)
{
	struct locks_line *l;
	int nr, i, n = 0;

	nr = read_locks(NULL, space, &l);
	if (nr < 0)
		return nr;
	for (i = 0; i < nr; i++)
		if (!strcmp(l[i].name, name) && n < max)
			out[n++] = l[i];
	free(l);
	return n;
}

/* An unlocked lock stays: idle, with the generation its release left. */
TEST_F(res, idle_after_unlock)
{
	struct lockdev_entry e[2];
	struct lockdev_query q;
	struct lockdev_lock l;
	__u64 g0, g1, g2;
	__u32 flags;
	int fd2;

	/* Never asked for: generation 0, and a query creates nothing. */
	expect_dropped(_metadata, self->fd, "never");
	expect_dropped(_metadata, self->fd, "never");

	ASSERT_EQ(0, lock_call(self->fd, "r", X, 0, &l));
	g0 = l.generation;
	EXPECT_NE(0, g0);
	ASSERT_EQ(0, query(self->fd, "r", &q, e, 2));
	EXPECT_EQ(1, q.nr_entries);
	EXPECT_EQ(0, q.lock_flags & IDLE);
	EXPECT_EQ(g0, q.generation);
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	EXPECT_EQ(0, list_count(self->fd));

	/* The EXCLUSIVE release changed the generation; the lock is idle. */
	g1 = query_idle(_metadata, self->fd, "r", &flags);
	EXPECT_NE(0, g1);
	EXPECT_NE(g0, g1);
	EXPECT_EQ(IDLE, flags);

	/* A SHARED hold and release leave the generation as it was. */
	EXPECT_EQ(g1, touch(_metadata, self->fd, "r", S));
	EXPECT_EQ(g1, expect_idle(_metadata, self->fd, "r"));
	EXPECT_EQ(g1, touch(_metadata, self->fd, "r", S));
	EXPECT_EQ(g1, expect_idle(_metadata, self->fd, "r"));

	/* An APPEND release changes it, and so does an EXCLUSIVE one. */
	EXPECT_EQ(g1, touch(_metadata, self->fd, "r", A));
	g2 = expect_idle(_metadata, self->fd, "r");
	EXPECT_NE(g1, g2);
	EXPECT_NE(g0, g2);
	EXPECT_EQ(g2, touch(_metadata, self->fd, "r", X));
	g1 = expect_idle(_metadata, self->fd, "r");
	EXPECT_NE(g2, g1);
	EXPECT_NE(g0, g1);

	/* The same lock, seen from another session of the lockspace. */
	fd2 = open_session();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, attach(fd2, self->space));
	EXPECT_EQ(g1, expect_idle(_metadata, fd2, "r"));
	close(fd2);
}

/*
 * A session that goes away (closed, or its process killed) leaves the locks
 * it held in SHARED or NONE idle, with their generations.
 */
TEST_F(res, idle_after_close)
{
	struct lockdev_lock ls, ln;
	struct act_reply r;
	struct locker ac;
	__u32 flags;
	int fd2;

	fd2 = open_session();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, attach(fd2, self->space));
	ASSERT_EQ(0, lock_call(fd2, "closed-s", S, 0, &ls));
	ASSERT_EQ(0, lock_call(fd2, "closed-n", N, 0, &ln));
	close(fd2);
	EXPECT_EQ(ls.generation, query_idle(_metadata, self->fd, "closed-s",
					    &flags));
	EXPECT_EQ(IDLE, flags);
	EXPECT_EQ(ln.generation, query_idle(_metadata, self->fd, "closed-n",
					    &flags));
	EXPECT_EQ(IDLE, flags);

	actor_start(_metadata, &ac, -1);
	actor_call(_metadata, &ac, ACT_ATTACH, self->space, 0600, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	actor_call(_metadata, &ac, ACT_LOCK, "killed-s", S, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	locker_kill(&ac);
	EXPECT_EQ(r.generation, query_idle(_metadata, self->fd, "killed-s",
					   &flags));
	EXPECT_EQ(IDLE, flags);
}

/* A lock held (in any mode, NONE too) is not idle; idle_locks counts. */
TEST_F(res, idle_locks_counted)
{
	long long idle = stat_value("idle_locks"), locks = stat_value("locks");
	long long dropped = stat_value("idle_dropped");
	struct lockdev_entry e[2];
	struct lockdev_query q;
	struct lockdev_lock l;

	ASSERT_LE(0, idle);
	ASSERT_LE(0, locks);
	ASSERT_LE(0, dropped);
	ASSERT_EQ(0, lock_call(self->fd, "c", S, 0, &l));
	EXPECT_EQ(idle, stat_value("idle_locks"));
	EXPECT_EQ(locks + 1, stat_value("locks"));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	EXPECT_EQ(idle + 1, stat_value("idle_locks"));
	EXPECT_EQ(locks, stat_value("locks"));

	/* Taken again it is not idle, released again it is. */
	ASSERT_EQ(0, lock_call(self->fd, "c", X, 0, &l));
	EXPECT_EQ(idle, stat_value("idle_locks"));
	EXPECT_EQ(locks + 1, stat_value("locks"));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	EXPECT_EQ(idle + 1, stat_value("idle_locks"));

	/* Held in NONE: held, not idle. */
	ASSERT_EQ(0, lock_call(self->fd, "c", N, 0, &l));
	EXPECT_EQ(idle, stat_value("idle_locks"));
	EXPECT_EQ(locks + 1, stat_value("locks"));
	ASSERT_EQ(0, query(self->fd, "c", &q, e, 2));
	EXPECT_EQ(1, q.nr_entries);
	EXPECT_EQ(0, q.lock_flags & IDLE);
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	EXPECT_EQ(idle + 1, stat_value("idle_locks"));
	EXPECT_EQ(locks, stat_value("locks"));
	EXPECT_EQ(dropped, stat_value("idle_dropped"));
}

/* A lock held in NONE is not idle: a bound cannot drop it. */
TEST_F(res, none_holder_keeps_lock)
{
	struct lockdev_entry e[2];
	struct lockdev_query q;
	struct lockdev_lock l;
	char name[16];
	__u64 g;
	int i;

	ASSERT_EQ(0, set_param(PER_SPACE, 1));
	g = touch(_metadata, self->fd, "kept", X);
	ASSERT_EQ(0, lock_call(self->fd, "kept", N, 0, &l));
	EXPECT_NE(0, l.generation);
	EXPECT_NE(g, l.generation);
	g = l.generation;
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		touch(_metadata, self->fd, name, X);
	}
	ASSERT_EQ(0, query(self->fd, "kept", &q, e, 2));
	EXPECT_EQ(g, q.generation);
	EXPECT_EQ(1, q.nr_entries);
	EXPECT_EQ(0, q.lock_flags & IDLE);
	EXPECT_EQ(N, e[0].mode);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
	/* Of the four idle ones, the bound kept the newest alone. */
	expect_dropped(_metadata, self->fd, "o2");
	expect_idle(_metadata, self->fd, "o3");
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	EXPECT_EQ(g, expect_idle(_metadata, self->fd, "kept"));
	expect_dropped(_metadata, self->fd, "o3");
}

/*
 * With a bound of 4 idle locks per lockspace, a fifth idle lock drops the
 * least recently used: the second created, since the first was used again
 * (first in, first out would drop the first). No idle lock but the one
 * just used is queried before the next drop, so that it makes no
 * difference whether a QUERY counts as a use.
 */
TEST_F(res, lru_per_space)
{
	static const char *const names[] = { "l0", "l1", "l2", "l3", "l4" };
	long long dropped = stat_value("idle_dropped");
	long long idle = stat_value("idle_locks");
	struct lockdev_lock l;
	__u64 g[5], g1;
	int i;

	ASSERT_LE(0, dropped);
	ASSERT_LE(0, idle);
	ASSERT_EQ(0, set_param(PER_SPACE, 4));
	for (i = 0; i < 4; i++) {
		touch(_metadata, self->fd, names[i], X);
		g[i] = expect_idle(_metadata, self->fd, names[i]);
		EXPECT_FALSE(seen_before(self, g[i]));
	}
	EXPECT_EQ(idle + 4, stat_value("idle_locks"));
	EXPECT_EQ(dropped, stat_value("idle_dropped"));
	/* Use l0 again: now l1 is the least recently used. */
	EXPECT_EQ(g[0], touch(_metadata, self->fd, "l0", S));
	touch(_metadata, self->fd, "l4", X);
	g[4] = expect_idle(_metadata, self->fd, "l4");
	EXPECT_FALSE(seen_before(self, g[4]));
	expect_dropped(_metadata, self->fd, "l1");
	EXPECT_EQ(idle + 4, stat_value("idle_locks"));
	EXPECT_EQ(dropped + 1, stat_value("idle_dropped"));

	/* Asked for again, l1 has a generation no lock had. */
	ASSERT_EQ(0, lock_call(self->fd, "l1", S, 0, &l));
	EXPECT_NE(0, l.generation);
	EXPECT_NE(g[1], l.generation);
	EXPECT_FALSE(seen_before(self, l.generation)) {
		TH_LOG("re-created l1 got old generation %llu",
		       (unsigned long long)l.generation);
	}
	EXPECT_EQ(0, l.result);
	g1 = l.generation;
	/* Held, it is not idle: nothing was dropped for it. */
	EXPECT_EQ(idle + 4, stat_value("idle_locks"));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	/* Its release made five idle: l2 is now the least recently used. */
	expect_dropped(_metadata, self->fd, "l2");
	EXPECT_EQ(g[3], expect_idle(_metadata, self->fd, "l3"));
	EXPECT_EQ(g[0], expect_idle(_metadata, self->fd, "l0"));
	EXPECT_EQ(g[4], expect_idle(_metadata, self->fd, "l4"));
	EXPECT_EQ(g1, expect_idle(_metadata, self->fd, "l1"));
	EXPECT_EQ(idle + 4, stat_value("idle_locks"));
	EXPECT_EQ(dropped + 2, stat_value("idle_dropped"));
}

/*
 * The order of use holds whatever the module did with the idle locks in
 * between: a read of /proc/lockdev/locks puts those that went idle lately
 * in line (in the order they went idle); then two of them are used again,
 * l1 before l0, and are the most recently used; then a fifth lock goes
 * idle over the bound of 4, and l2, not l0, is dropped; and again l3.
 */
TEST_F(res, lru_across_walk)
{
	static const char *const names[] = { "l0", "l1", "l2", "l3" };
	struct locks_line line[2];
	__u64 g[4];
	int i;

	ASSERT_EQ(0, set_param(PER_SPACE, 4));
	for (i = 0; i < 4; i++) {
		touch(_metadata, self->fd, names[i], X);
		g[i] = expect_idle(_metadata, self->fd, names[i]);
	}
	/* A walk; idle and consistent, they have no line. */
	EXPECT_EQ(0, proc_lines(self->space, "l0", line, 2));
	/* Not dropped meanwhile: the generations their release left. */
	EXPECT_EQ(g[1], touch(_metadata, self->fd, "l1", S));
	EXPECT_EQ(g[0], touch(_metadata, self->fd, "l0", S));
	touch(_metadata, self->fd, "l4", X);
	expect_dropped(_metadata, self->fd, "l2");
	expect_idle(_metadata, self->fd, "l3");
	expect_idle(_metadata, self->fd, "l1");
	expect_idle(_metadata, self->fd, "l0");
	expect_idle(_metadata, self->fd, "l4");
	touch(_metadata, self->fd, "l5", S);
	expect_dropped(_metadata, self->fd, "l3");
	expect_idle(_metadata, self->fd, "l1");
	expect_idle(_metadata, self->fd, "l0");
}

/*
 * A lock dropped and asked for again, over and over, never gets a
 * generation seen before: neither its own old one nor another lock's.
 */
TEST_F(res, dropped_generation_new)
{
	__u64 g, idle;
	int i;

	ASSERT_EQ(0, set_param(PER_SPACE, 1));
	for (i = 0; i < 200; i++) {
		const char *name = i % 2 ? "odd" : "even";

		g = touch(_metadata, self->fd, name, X);
		EXPECT_NE(0, g);
		EXPECT_FALSE(seen_before(self, g)) {
			TH_LOG("round %d: %s created with old generation %llu",
			       i, name, (unsigned long long)g);
		}
		idle = expect_idle(_metadata, self->fd, name);
		EXPECT_FALSE(seen_before(self, idle)) {
			TH_LOG("round %d: %s released to old generation %llu",
			       i, name, (unsigned long long)idle);
		}
		/* The other one went for this one. */
		expect_dropped(_metadata, self->fd, i % 2 ? "even" : "odd");
		if (_metadata->passed == 0)
			break;
	}
}

/*
 * The module-wide bound: all lockspaces together keep at most
 * max_idle_locks idle locks, and a lockspace gives up its least recently
 * used ones. Other lockspaces may hold some of the allowance, so the test
 * counts how many of its own stayed and checks that they are the most
 * recently used ones.
 */
TEST_F(res, lru_module_wide)
{
	/* Last use, oldest first: l3 is used again after l6. */
	static const char *const by_use[] = {
		"l0", "l1", "l2", "l4", "l5", "l6", "l3", "l7",
	};
	long long dropped = stat_value("idle_dropped"), idle;
	int i, fd2, kept = 0, nr = ARRAY_SIZE(by_use);
	char name[8], space2[80];
	__u32 flags;

	ASSERT_LE(0, dropped);
	ASSERT_EQ(0, set_param(ALL_SPACES, 4));
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		touch(_metadata, self->fd, name, X);
	}
	touch(_metadata, self->fd, "l3", X);
	touch(_metadata, self->fd, "l7", X);

	/* The module-wide bound may be kept a little later. */
	for (i = 0; i < SOON_MS / 10 && stat_value("idle_locks") > 4; i++)
		sleep_ms(10);
	idle = stat_value("idle_locks");
	EXPECT_GE(4, idle) {
		TH_LOG("%lld idle locks, the bound is 4", idle);
	}
	for (i = 0; i < nr; i++)
		if (query_idle(_metadata, self->fd, by_use[i], &flags))
			kept++;
	EXPECT_LE(2, kept) {
		TH_LOG("the lockspace with the most idle locks kept only %d",
		       kept);
	}
	EXPECT_GE(idle, kept);
	/* Kept: the @kept most recently used; dropped: the others. */
	for (i = 0; i < nr; i++) {
		if (i >= nr - kept)
			expect_idle(_metadata, self->fd, by_use[i]);
		else
			expect_dropped(_metadata, self->fd, by_use[i]);
	}
	EXPECT_LE(dropped + nr - kept, stat_value("idle_dropped"));

	/*
	 * Another lockspace: while ours has more idle locks, ours give way,
	 * then its own least recently used: b0 goes, b4, b5 and l7 stay.
	 */
	fd2 = open_session();
	ASSERT_LE(0, fd2);
	snprintf(space2, sizeof(space2), "%s-b", self->space);
	ASSERT_EQ(0, attach(fd2, space2));
	ASSERT_EQ(0, set_param(ALL_SPACES, 6));
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "b%d", i);
		touch(_metadata, fd2, name, X);
	}
	for (i = 0; i < SOON_MS / 10 && stat_value("idle_locks") > 6; i++)
		sleep_ms(10);
	EXPECT_GE(6, stat_value("idle_locks"));
	expect_dropped(_metadata, fd2, "b0");
	expect_idle(_metadata, fd2, "b4");
	expect_idle(_metadata, fd2, "b5");
	expect_idle(_metadata, self->fd, "l7");
	close(fd2);
}

/*
 * The module-wide bound when the two lockspaces with the most idle locks
 * have as many: they still give theirs up until the bound holds.
 */
TEST_F(res, module_wide_tie)
{
	long long base, bound, now;
	char name[16], space2[80];
	int i, fd2;

	fd2 = open_session();
	ASSERT_LE(0, fd2);
	snprintf(space2, sizeof(space2), "%s-t", self->space);
	ASSERT_EQ(0, attach(fd2, space2));
	base = stat_value("idle_locks");
	ASSERT_LE(0, base);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		touch(_metadata, self->fd, name, S);
		touch(_metadata, fd2, name, S);
	}
	/* 81 of ours: over by 3, then 40 and 40. */
	bound = base + 78;
	ASSERT_EQ(0, set_param(ALL_SPACES, bound));
	touch(_metadata, self->fd, "t40", S);
	for (i = 0; i < SOON_MS / 10; i++) {
		now = stat_value("idle_locks");
		if (now <= bound)
			break;
		sleep_ms(10);
	}
	EXPECT_GE(bound, now) {
		TH_LOG("%lld idle locks, the bound is %lld", now, bound);
	}
	expect_idle(_metadata, self->fd, "t40");
	expect_idle(_metadata, fd2, "t39");
	close(fd2);
}

/*
 * In kid @k as @uid: @spaces lockspaces of @per idle locks each. It says 'r'
 * when they are there; asked with 'c', it answers 'A' plus how many are
 * still there, and goes when told.
 */
static void idle_owner(struct __test_metadata *_metadata, struct kid *k,
		       uid_t uid, int spaces, int per)
{
	char space[80], name[16];
	int fd[MAX_OWNED];
	int i, j, kept = 0;
	__u32 flags;

	if (become(uid, uid))
		_exit(2);
	for (i = 0; i < spaces; i++) {
		snprintf(space, sizeof(space), "res-%d-%d-%d", getppid(), uid,
			 i);
		fd[i] = open_session();
		if (fd[i] < 0 || attach(fd[i], space))
			_exit(3);
		for (j = 0; j < per; j++) {
			snprintf(name, sizeof(name), "i%d", j);
			touch(_metadata, fd[i], name, X);
		}
	}
	kid_send(k, 'r');
	if (kid_recv(k, WAIT_MS) != 'c')
		_exit(4);
	for (i = 0; i < spaces; i++) {
		for (j = 0; j < per; j++) {
			snprintf(name, sizeof(name), "i%d", j);
			if (query_idle(_metadata, fd[i], name, &flags))
				kept++;
		}
	}
	kid_send(k, 'A' + kept);
	kid_recv(k, WAIT_MS);
	_exit(_metadata->passed ? 0 : 1);
}

/*
 * Set max_idle_locks to @bound and use "p0" of @fd again, which applies it
 * as the lock goes idle; then the bound holds, soon, and p0, the most
 * recently used, stays.
 */
static void apply_bound(struct __test_metadata *_metadata, int fd,
			long long bound)
{
	int i;

	ASSERT_EQ(0, set_param(ALL_SPACES, bound));
	touch(_metadata, fd, "p0", X);
	for (i = 0; i < SOON_MS / 10 && stat_value("idle_locks") > bound; i++)
		sleep_ms(10);
	EXPECT_GE(bound, stat_value("idle_locks"));
	expect_idle(_metadata, fd, "p0");
}

/*
 * The module-wide bound, per uid: a uid that spreads 40 idle locks over
 * four lockspaces gives up the 10 over the bound, not the uid whose one
 * lockspace has 30, the largest lockspace.
 */
TEST_F(res, module_wide_per_uid)
{
	struct kid one, spread;
	long long bound;

	ASSERT_LE(0, kid_fork(&one));
	if (one.pid == 0)
		idle_owner(_metadata, &one, UID_ONE, 1, ONE_LOCKS);
	ASSERT_EQ('r', kid_recv(&one, WAIT_MS));
	ASSERT_LE(0, kid_fork(&spread));
	if (spread.pid == 0)
		idle_owner(_metadata, &spread, UID_SPREAD, SPREAD_SPACES,
			   SPREAD_LOCKS);
	ASSERT_EQ('r', kid_recv(&spread, WAIT_MS));

	/* Ten over the bound once our lock goes idle again. */
	touch(_metadata, self->fd, "p0", X);
	bound = stat_value("idle_locks") - 10;
	ASSERT_LT(0, bound);
	apply_bound(_metadata, self->fd, bound);

	kid_send(&one, 'c');
	EXPECT_EQ('A' + ONE_LOCKS, kid_recv(&one, WAIT_MS));
	kid_send(&spread, 'c');
	EXPECT_EQ('A' + SPREAD_SPACES * SPREAD_LOCKS - 10,
		  kid_recv(&spread, WAIT_MS));
	kid_send(&one, 'q');
	kid_send(&spread, 'q');
	EXPECT_EQ(0, kid_reap(&one));
	EXPECT_EQ(0, kid_reap(&spread));
}

/*
 * The module-wide bound over many lockspaces of one count: the uid gives
 * up the 63 over the bound by cutting each of its 16 lockspaces once, down
 * to 4 or 5, not by one lock per cut (idle_cuts counts the cuts).
 */
TEST_F(res, module_wide_level)
{
	long long bound, cuts;
	struct kid level;

	touch(_metadata, self->fd, "p0", X);
	ASSERT_LE(0, kid_fork(&level));
	if (level.pid == 0)
		idle_owner(_metadata, &level, UID_LEVEL, LEVEL_SPACES,
			   LEVEL_LOCKS);
	ASSERT_EQ('r', kid_recv(&level, WAIT_MS));

	bound = stat_value("idle_locks") - LEVEL_OVER;
	ASSERT_LT(0, bound);
	cuts = stat_value("idle_cuts");
	ASSERT_LE(0, cuts);
	apply_bound(_metadata, self->fd, bound);
	EXPECT_GE(cuts + LEVEL_SPACES, stat_value("idle_cuts")) {
		TH_LOG("%lld cuts for %d locks in %d lockspaces",
		       stat_value("idle_cuts") - cuts, LEVEL_OVER,
		       LEVEL_SPACES);
	}

	kid_send(&level, 'c');
	EXPECT_EQ('A' + LEVEL_SPACES * LEVEL_LOCKS - LEVEL_OVER,
		  kid_recv(&level, WAIT_MS));
	kid_send(&level, 'q');
	EXPECT_EQ(0, kid_reap(&level));
}

/*
 * An idle owner-died lock: never dropped for a bound, shown by QUERY as
 * OWNER_DIED | IDLE and by /proc/lockdev/locks with one owner-died line;
 * marked consistent and unlocked, it is an ordinary idle lock again, which
 * the bound may drop.
 */
TEST_F(res, owner_died_kept)
{
	long long locks = stat_value("locks"), idle = stat_value("idle_locks");
	struct locks_line lines[4];
	struct lockdev_consistent c;
	struct lockdev_lock l;
	struct act_reply r;
	struct locker ac;
	char name[8], esc_space[ESC_MAX];
	__u64 g;
	__u32 flags;
	int i, n;

	ASSERT_EQ(0, set_param(PER_SPACE, 2));
	actor_start(_metadata, &ac, -1);
	actor_call(_metadata, &ac, ACT_ATTACH, self->space, 0600, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	actor_hold(_metadata, &ac, "dead", X, 0);
	locker_kill(&ac);
	EXPECT_EQ(locks + 1, wait_stat("locks", locks + 1));
	EXPECT_EQ(idle, stat_value("idle_locks"));

	g = query_idle(_metadata, self->fd, "dead", &flags);
	EXPECT_NE(0, g);
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED | IDLE, flags);
	proc_escape(esc_space, self->space, strlen(self->space));
	n = proc_lines(esc_space, "dead", lines, 4);
	ASSERT_EQ(1, n);
	EXPECT_STREQ("-", lines[0].mode);
	EXPECT_STREQ("owner-died", lines[0].state);
	EXPECT_EQ(0, lines[0].pid);
	EXPECT_STREQ("-", lines[0].comm);
	EXPECT_LE(0, lines[0].age_ms);
	EXPECT_EQ(1, lines[0].owner_died);
	EXPECT_EQ(g, lines[0].generation);
	EXPECT_EQ(-1, lines[0].nr_waits);
	EXPECT_EQ(0, lines[0].session);

	/* Five ordinary idle locks after it: the bound of 2 keeps it. */
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		touch(_metadata, self->fd, name, X);
	}
	/*
	 * Whether it counts against the bound the header leaves open: o3
	 * may have gone for it, o4 stays either way.
	 */
	expect_dropped(_metadata, self->fd, "o2");
	expect_idle(_metadata, self->fd, "o4");
	EXPECT_EQ(g, query_idle(_metadata, self->fd, "dead", &flags));
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED | IDLE, flags);
	EXPECT_EQ(1, proc_lines(esc_space, "dead", lines, 4));
	EXPECT_LE(idle + 1, stat_value("idle_locks"));
	EXPECT_GE(idle + 2, stat_value("idle_locks"));
	EXPECT_EQ(locks + 1, stat_value("locks"));

	/* Consistent and unlocked: ordinary, idle, the newest of three. */
	ASSERT_EQ(0, lock_call(self->fd, "dead", X, 0, &l));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, l.result);
	memset(&c, 0, sizeof(c));
	c.handle = l.handle;
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_CONSISTENT, &c));
	ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	g = query_idle(_metadata, self->fd, "dead", &flags);
	EXPECT_NE(0, g);
	EXPECT_EQ(IDLE, flags);
	EXPECT_EQ(0, proc_lines(esc_space, "dead", lines, 4));
	EXPECT_EQ(locks, stat_value("locks"));
	EXPECT_EQ(idle + 2, stat_value("idle_locks"));
	expect_dropped(_metadata, self->fd, "o3");
	expect_idle(_metadata, self->fd, "o4");

	/* Two newer idle locks push it out. */
	touch(_metadata, self->fd, "p0", S);
	touch(_metadata, self->fd, "p1", S);
	expect_dropped(_metadata, self->fd, "dead");
	EXPECT_EQ(idle + 2, stat_value("idle_locks"));
}

/* A lockspace that goes drops its idle locks; a new one starts empty. */
TEST_F(res, space_gone_drops_idle)
{
	long long idle = stat_value("idle_locks");
	long long spaces = stat_value("lockspaces");
	long long dropped = stat_value("idle_dropped");
	char name[8];
	int i;

	ASSERT_LE(0, idle);
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		touch(_metadata, self->fd, name, i % 2 ? S : X);
	}
	EXPECT_EQ(idle + 5, stat_value("idle_locks"));
	close(self->fd);
	self->fd = -1;
	EXPECT_EQ(idle, wait_stat("idle_locks", idle));
	EXPECT_EQ(spaces - 1, wait_stat("lockspaces", spaces - 1));
	/* idle_dropped counts drops for a bound, not these. */
	EXPECT_EQ(dropped, stat_value("idle_dropped"));

	self->fd = open_session();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, attach(self->fd, self->space));
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		expect_dropped(_metadata, self->fd, name);
	}
}

/*
 * A lockspace removed by force while a session holds locks drops its idle
 * locks, and keeps none of the others idle once released: nobody attaches
 * to it again.
 */
TEST_F(res, removed_keeps_no_idle)
{
	long long idle = stat_value("idle_locks");
	long long dropped = stat_value("idle_dropped");
	struct lockdev_lock l[3];
	char name[8];
	int i;

	ASSERT_LE(0, idle);
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		ASSERT_EQ(0, lock_call(self->fd, name, X,
				       LOCKDEV_LOCK_NONBLOCK, &l[i]));
	}
	touch(_metadata, self->fd, "before", S);
	EXPECT_EQ(idle + 1, stat_value("idle_locks"));
	ASSERT_EQ(0, space_ctl_call(self->fd, self->space, strlen(self->space),
				    LOCKDEV_SPACE_REMOVE, LOCKDEV_SPACE_FORCE,
				    LOCKDEV_SPACE_KEEP, LOCKDEV_SPACE_KEEP,
				    LOCKDEV_SPACE_KEEP));
	EXPECT_EQ(idle, stat_value("idle_locks"));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, unlock_handle(self->fd, l[i].handle));
		EXPECT_EQ(idle, stat_value("idle_locks"));
	}
	EXPECT_EQ(idle, stat_value("idle_locks"));
	/* Dropped as a lockspace that goes drops them, not for a bound. */
	EXPECT_EQ(dropped, stat_value("idle_dropped"));
	/* Removed already: the teardown has nothing to remove. */
	close(self->fd);
	self->fd = -1;
}

/* One message of a GET_LOCKS dump, of the test's lockspace. */
struct dump_msg {
	char name[16];
	__u32 state;
	int owner_died;		/* -1: no such attribute */
	__u64 generation;
	__u64 session;
};

struct dump {
	const char *space;	/* escaped */
	struct dump_msg m[8];
	int n;
	int bad;
};

static int dump_one(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LOCKDEV_A_MAX + 1];
	struct dump *d = arg;
	struct dump_msg *m;
	int len;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, LOCKDEV_A_MAX, NULL) ||
	    !tb[LOCKDEV_A_LOCKSPACE])
		return NL_SKIP;
	len = nla_len(tb[LOCKDEV_A_LOCKSPACE]);
	if (len != (int)strlen(d->space) ||
	    memcmp(nla_data(tb[LOCKDEV_A_LOCKSPACE]), d->space, len))
		return NL_SKIP;
	if (d->n >= 8 || !tb[LOCKDEV_A_NAME] || !tb[LOCKDEV_A_STATE] ||
	    !tb[LOCKDEV_A_GENERATION] ||
	    nla_len(tb[LOCKDEV_A_NAME]) >= (int)sizeof(m->name)) {
		d->bad++;
		return NL_SKIP;
	}
	m = &d->m[d->n++];
	memset(m, 0, sizeof(*m));
	memcpy(m->name, nla_data(tb[LOCKDEV_A_NAME]),
	       nla_len(tb[LOCKDEV_A_NAME]));
	m->state = nla_get_u32(tb[LOCKDEV_A_STATE]);
	m->owner_died = tb[LOCKDEV_A_OWNER_DIED] ?
			nla_get_u8(tb[LOCKDEV_A_OWNER_DIED]) : -1;
	m->generation = nla_get_u64(tb[LOCKDEV_A_GENERATION]);
	m->session = tb[LOCKDEV_A_SESSION] ?
		     nla_get_u64(tb[LOCKDEV_A_SESSION]) : 0;
	return NL_OK;
}

/* GET_LOCKS of lockspace @d->space into @d, with LOCKDEV_A_ALL if @all. */
static int dump_locks(struct dump *d, bool all)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;
	int fam, ret = -1;

	d->n = 0;
	d->bad = 0;
	if (!sk || genl_connect(sk))
		goto out;
	fam = genl_ctrl_resolve(sk, LOCKDEV_GENL_NAME);
	msg = nlmsg_alloc();
	if (fam < 0 || !msg ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0, NLM_F_DUMP,
			 LOCKDEV_CMD_GET_LOCKS, LOCKDEV_GENL_VERSION) ||
	    (all && nla_put_flag(msg, LOCKDEV_A_ALL)) ||
	    nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, dump_one, d) ||
	    nl_send_auto(sk, msg) < 0 || nl_recvmsgs_default(sk) < 0)
		goto out;
	ret = 0;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret;
}

static const struct dump_msg *dumped(const struct dump *d, const char *name)
{
	int i;

	for (i = 0; i < d->n; i++)
		if (!strcmp(d->m[i].name, name))
			return &d->m[i];
	return NULL;
}

/*
 * GET_LOCKS: an idle owner-died lock has one message (STATE_IDLE,
 * OWNER_DIED, its generation); an idle consistent one only with
 * LOCKDEV_A_ALL.
 */
TEST_F(res, dump_idle)
{
	const struct dump_msg *m;
	struct lockdev_lock l;
	struct act_reply r;
	struct locker ac;
	char esc_space[ESC_MAX];
	struct dump d;
	__u64 g_idle, g_dead;
	__u32 flags;
	int all;

	proc_escape(esc_space, self->space, strlen(self->space));
	d.space = esc_space;
	touch(_metadata, self->fd, "idle", X);
	g_idle = expect_idle(_metadata, self->fd, "idle");
	ASSERT_EQ(0, lock_call(self->fd, "held", S, 0, &l));
	actor_start(_metadata, &ac, -1);
	actor_call(_metadata, &ac, ACT_ATTACH, self->space, 0600, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	actor_hold(_metadata, &ac, "dead", X, 0);
	locker_kill(&ac);
	g_dead = query_idle(_metadata, self->fd, "dead", &flags);
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED | IDLE, flags);

	for (all = 0; all < 2; all++) {
		ASSERT_EQ(0, dump_locks(&d, all));
		EXPECT_EQ(0, d.bad);
		EXPECT_EQ(all ? 3 : 2, d.n) {
			TH_LOG("%d messages of the lockspace, all %d", d.n,
			       all);
		}
		m = dumped(&d, "held");
		ASSERT_NE(NULL, m);
		EXPECT_EQ(LOCKDEV_STATE_HELD, m->state);
		EXPECT_NE(0, m->session);
		m = dumped(&d, "dead");
		ASSERT_NE(NULL, m);
		EXPECT_EQ(LOCKDEV_STATE_IDLE, m->state);
		EXPECT_EQ(1, m->owner_died);
		EXPECT_EQ(g_dead, m->generation);
		m = dumped(&d, "idle");
		if (!all) {
			EXPECT_EQ(NULL, m);
			continue;
		}
		ASSERT_NE(NULL, m);
		EXPECT_EQ(LOCKDEV_STATE_IDLE, m->state);
		EXPECT_EQ(0, m->owner_died);
		EXPECT_EQ(g_idle, m->generation);
	}
}

/* Idle locks of the paused-dump test, and the newer ones that trim them. */
#define PAUSE_OLD	2000
#define PAUSE_NEW	1000

/*
 * Count the GET_LOCKS messages of lockspace @space in what @sk receives,
 * per lock: "o%04d" at @count[i], "n%04d" at @count[PAUSE_OLD + i]. One
 * datagram if @once, else up to the end of the dump. Return 1 at the end,
 * 0 if more may come, -1 on an error or a message of another lock.
 */
static int dump_count(int sk, const char *space, int *count, bool once)
{
	static char buf[GENL_BUF];
	struct nlmsghdr *nh;
	struct nlattr *a, *sp, *nm;
	unsigned int i;
	int left;
	ssize_t n;

	do {
		n = recv(sk, buf, sizeof(buf), 0);
		if (n <= 0)
			return -1;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				return 1;
			if (nh->nlmsg_type == NLMSG_ERROR)
				return -1;
			sp = nm = NULL;
			left = nh->nlmsg_len - GENL_HDRLEN_ALL;
			for (a = (struct nlattr *)((char *)nh + GENL_HDRLEN_ALL);
			     left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
			     a->nla_len <= left;
			     left -= NLA_ALIGN(a->nla_len),
			     a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
				if (a->nla_type == LOCKDEV_A_LOCKSPACE)
					sp = a;
				else if (a->nla_type == LOCKDEV_A_NAME)
					nm = a;
			}
			if (!sp || !nm ||
			    sp->nla_len - NLA_HDRLEN != strlen(space) ||
			    memcmp((char *)sp + NLA_HDRLEN, space,
				   strlen(space)))
				continue;
			if (nm->nla_len - NLA_HDRLEN != 5 ||
			    sscanf((char *)nm + NLA_HDRLEN + 1, "%4u", &i) != 1 ||
			    i >= (((char *)nm)[NLA_HDRLEN] == 'o' ?
				  PAUSE_OLD : PAUSE_NEW))
				return -1;
			count[i + (((char *)nm)[NLA_HDRLEN] == 'o' ?
				   0 : PAUSE_OLD)]++;
		}
	} while (!once);
	return 0;
}

/*
 * A GET_LOCKS dump of every lock, paused after its first messages, while
 * newer locks push the oldest idle ones out, past the dump's place: the
 * trims step over its mark once (they take it out at the head of the idle
 * list), and the dump, resumed, goes on from the first idle lock left. It
 * names each lock at most once, and each that was idle all along once.
 */
TEST_F(res, dump_paused_while_trimmed)
{
	int *count, sk, fam, ret, i, met = 0;
	char name[8], attrs[8];
	size_t off = 0;

	count = calloc(PAUSE_OLD + PAUSE_NEW, sizeof(*count));
	ASSERT_NE(NULL, count);
	ASSERT_EQ(0, set_param(PER_SPACE, PAUSE_OLD));
	for (i = 0; i < PAUSE_OLD; i++) {
		snprintf(name, sizeof(name), "o%04d", i);
		touch(_metadata, self->fd, name, X);
	}
	sk = genl_socket();
	ASSERT_LE(0, sk);
	fam = genl_family(sk, LOCKDEV_GENL_NAME);
	ASSERT_LT(0, fam);
	ASSERT_EQ(0, genl_put(attrs, sizeof(attrs), &off, LOCKDEV_A_ALL,
			      NULL, 0));
	ASSERT_EQ(0, genl_send(sk, fam, LOCKDEV_CMD_GET_LOCKS,
			       LOCKDEV_GENL_VERSION,
			       NLM_F_REQUEST | NLM_F_DUMP, attrs, off));
	/* Read until the dump is in the test's lockspace, and pause there. */
	do {
		ret = dump_count(sk, self->space, count, true);
		for (i = 0, met = 0; i < PAUSE_OLD; i++)
			met += count[i];
	} while (!ret && !met);
	ASSERT_EQ(0, ret);
	met = 0;

	for (i = 0; i < PAUSE_NEW; i++) {
		snprintf(name, sizeof(name), "n%04d", i);
		touch(_metadata, self->fd, name, X);
	}
	do
		ret = dump_count(sk, self->space, count, false);
	while (!ret);
	ASSERT_EQ(1, ret);
	close(sk);

	for (i = 0; i < PAUSE_OLD + PAUSE_NEW; i++) {
		EXPECT_GE(1, count[i]) {
			TH_LOG("lock %d named %d times", i, count[i]);
		}
		met += count[i] && i < PAUSE_NEW;
	}
	/* The first ones were met before the pause; the last all along. */
	EXPECT_LT(0, met);
	for (i = PAUSE_NEW; i < PAUSE_OLD; i++)
		EXPECT_EQ(1, count[i]) {
			TH_LOG("idle all along, lock o%04d named %d times", i,
			       count[i]);
		}
	/* Those that came since the dump started are not its. */
	for (i = PAUSE_OLD; i < PAUSE_OLD + PAUSE_NEW; i++)
		EXPECT_EQ(0, count[i]);
	free(count);
}

/*
 * The sum of @count's PAUSE_OLD first entries after one more datagram of
 * the dump on @sk, or -1 at its end or on an error.
 */
static int dump_step(int sk, const char *space, int *count)
{
	int i, sum = 0;

	if (dump_count(sk, space, count, true))
		return -1;
	for (i = 0; i < PAUSE_OLD; i++)
		sum += count[i];
	return sum;
}

/*
 * A GET_LOCKS dump by a uid that may read the lockspace, paused in it; its
 * owner then shuts the uid out. The datagram the kernel filled before (at
 * the last recv()) may still hold locks of it; no later one does, not even
 * the lock at which the dump had paused.
 */
TEST_F(res, dump_visibility_rechecked)
{
	int *count, sk, fam, i, before, now, late = 0;
	struct lockdev_lock l;
	char name[8];
	struct kid k;

	count = calloc(PAUSE_OLD, sizeof(*count));
	ASSERT_NE(NULL, count);
	ASSERT_EQ(0, space_ctl_call(self->fd, self->space, strlen(self->space),
				    LOCKDEV_SPACE_SET, 0, 0644,
				    LOCKDEV_SPACE_KEEP, LOCKDEV_SPACE_KEEP));
	for (i = 0; i < PAUSE_OLD; i++) {
		snprintf(name, sizeof(name), "o%04d", i);
		ASSERT_EQ(0, lock_call(self->fd, name, LOCKDEV_MODE_SHARED,
				       LOCKDEV_LOCK_NONBLOCK, &l));
	}
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_DUMPER, UID_DUMPER))
			_exit(2);
		sk = genl_socket();
		fam = sk < 0 ? -1 : genl_family(sk, LOCKDEV_GENL_NAME);
		if (fam <= 0 ||
		    genl_send(sk, fam, LOCKDEV_CMD_GET_LOCKS,
			      LOCKDEV_GENL_VERSION,
			      NLM_F_REQUEST | NLM_F_DUMP, NULL, 0))
			_exit(3);
		do
			before = dump_step(sk, self->space, count);
		while (!before);
		EXPECT_LT(0, before);
		EXPECT_GT(PAUSE_OLD / 2, before);
		kid_send(&k, 'r');
		if (kid_recv(&k, WAIT_MS) != 'c')
			_exit(4);
		while ((now = dump_step(sk, self->space, count)) >= 0) {
			late += now > before;
			before = now;
		}
		EXPECT_GE(1, late);
		EXPECT_GT(PAUSE_OLD, before);
		close(sk);
		KID_EXIT();
	}
	ASSERT_EQ('r', kid_recv(&k, WAIT_MS));
	ASSERT_EQ(0, space_ctl_call(self->fd, self->space, strlen(self->space),
				    LOCKDEV_SPACE_SET, 0, 0600,
				    LOCKDEV_SPACE_KEEP, LOCKDEV_SPACE_KEEP));
	kid_send(&k, 'c');
	EXPECT_EQ(0, kid_reap(&k));
	free(count);
}

/* The growth test's process: create and hold GROWTH locks, then wait. */
static void __attribute__((noreturn)) grow(const char *space, int done,
					   int go_on)
{
	struct lockdev_lock l;
	char name[16], c = 0;
	int fd, i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(CHILD_SECS);
	fd = open_session();
	if (fd < 0 || attach(fd, space))
		_exit(2);
	for (i = 0; i < GROWTH; i++) {
		snprintf(name, sizeof(name), "g%06d", i);
		if (lock_call(fd, name, i % 2 ? S : X, LOCKDEV_LOCK_NONBLOCK,
			      &l))
			_exit(3);
	}
	if (write(done, &c, 1) != 1)
		_exit(4);
	if (read(go_on, &c, 1) < 0)
		_exit(5);
	_exit(0);
}

/* Read all of /proc/lockdev/locks in CHUNK-byte read() calls. */
static char *read_chunked(void)
{
	size_t len = 0, size = 1 << 20;
	char *buf = malloc(size), *p;
	int fd = open(LOCKS, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		if (size - len < CHUNK + 1) {
			p = realloc(buf, size * 2);
			if (!p)
				break;
			buf = p;
			size *= 2;
		}
		n = read(fd, buf + len, CHUNK);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

/*
 * Check one read of the file: every line of @space names a lock g%06d of
 * session @session (0: take the first line's), once. Return how many.
 */
static int check_once(struct __test_metadata *_metadata, const char *text,
		      const char *space, unsigned char *seen, int pass)
{
	struct locks_line *l;
	unsigned long long session = 0;
	int nr, i, idx, dups = 0;
	char *end;

	nr = read_locks(text, space, &l);
	EXPECT_LE(0, nr) {
		TH_LOG("pass %d: " LOCKS " does not parse (%d)", pass, nr);
		return 0;
	}
	memset(seen, 0, GROWTH);
	for (i = 0; i < nr; i++) {
		idx = strtol(l[i].name + 1, &end, 10);
		EXPECT_TRUE(l[i].name[0] == 'g' && !*end && idx >= 0 &&
			    idx < GROWTH) {
			TH_LOG("pass %d: unexpected lock %s", pass, l[i].name);
			continue;
		}
		if (!session)
			session = l[i].session;
		EXPECT_EQ(session, l[i].session);
		if (seen[idx]++ && !dups++)
			TH_LOG("pass %d: %s listed twice", pass, l[i].name);
	}
	EXPECT_EQ(0, dups) {
		TH_LOG("pass %d: %d lines repeated of %d", pass, dups, nr);
	}
	free(l);
	return nr;
}

/*
 * While another process creates and holds GROWTH locks (so the table grows
 * and resizes), reads of /proc/lockdev/locks in small chunks list each
 * lock at most once; once it is done, a read lists each exactly once.
 */
TEST_F_TIMEOUT(res, proc_once_during_growth, 300)
{
	char esc_space[ESC_MAX], *text;
	unsigned char *seen = malloc(GROWTH);
	int done[2], go_on[2], passes = 0, nr = 0;
	__u64 end = now_ns() + 120ull * 1000000000ull;
	struct pollfd p;
	pid_t pid;
	char c;

	ASSERT_NE(NULL, seen);
	ASSERT_EQ(0, pipe(done));
	ASSERT_EQ(0, pipe(go_on));
	proc_escape(esc_space, self->space, strlen(self->space));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(done[0]);
		close(go_on[1]);
		grow(self->space, done[1], go_on[0]);
	}
	close(done[1]);
	close(go_on[0]);
	p.fd = done[0];
	p.events = POLLIN;
	while (poll(&p, 1, 0) == 0 && now_ns() < end) {
		text = read_chunked();
		ASSERT_NE(NULL, text);
		nr = check_once(_metadata, text, esc_space, seen, passes);
		free(text);
		passes++;
		if (!_metadata->passed)
			break;
	}
	/* Done growing: one byte; its failure closes the pipe instead. */
	p.revents = 0;
	while (poll(&p, 1, 1000) == 0 && now_ns() < end)
		;
	EXPECT_EQ(0, read_all(done[0], &c, 1)) {
		TH_LOG("the growing process did not finish in time (%s)",
		       p.revents ? "it failed" : "timeout");
	}
	TH_LOG("%d reads during growth, the last saw %d locks", passes, nr);
	text = read_chunked();
	ASSERT_NE(NULL, text);
	EXPECT_EQ(GROWTH, check_once(_metadata, text, esc_space, seen, -1));
	free(text);
	close(go_on[1]);
	close(done[0]);
	/* Releasing that many takes a while on a debug kernel. */
	EXPECT_EQ(0, reap(pid, CHILD_SECS * 1000));
	free(seen);
}

/* Open /proc/lockdev/locks and read its first CHUNK bytes into *@text. */
static int open_paused(char **text, size_t *len)
{
	int fd = open(LOCKS, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	*len = 0;
	*text = malloc(1 << 20);
	if (fd < 0 || !*text)
		return -1;
	n = read(fd, *text, CHUNK);
	if (n < 0)
		return -1;
	*len = n;
	return fd;
}

/* Read the rest of @fd after *@text, and close it. */
static int read_rest(int fd, char *text, size_t len)
{
	ssize_t n;

	while (len + CHUNK < (1 << 20) &&
	       (n = read(fd, text + len, CHUNK)) > 0)
		len += n;
	text[len] = 0;
	close(fd);
	return len + CHUNK < (1 << 20) ? 0 : -1;
}

/*
 * Walks of /proc/lockdev/locks paused mid-way keep their place while the
 * locks around it go idle, are dropped for the bound, come back and go with
 * their lockspace: once read on, they list each lock at most once.
 */
TEST_F(res, paused_walks_outlive_churn)
{
	unsigned char *seen = malloc(GROWTH);
	char esc_space[ESC_MAX], name[16], *t1, *t2;
	struct lockdev_lock l;
	int fd1, fd2, i;
	size_t n1, n2;

	ASSERT_NE(NULL, seen);
	proc_escape(esc_space, self->space, strlen(self->space));
	for (i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "g%06d", i);
		ASSERT_EQ(0, lock_call(self->fd, name, X, 0, &l));
	}
	fd1 = open_paused(&t1, &n1);
	ASSERT_LE(0, fd1);
	for (i = 0; i < 600; i += 2) {
		snprintf(name, sizeof(name), "g%06d", i);
		ASSERT_EQ(0, unlock_name(self->fd, name));
	}
	fd2 = open_paused(&t2, &n2);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, set_param(PER_SPACE, 10));
	for (i = 0; i < 600; i += 4) {
		snprintf(name, sizeof(name), "g%06d", i);
		ASSERT_EQ(0, lock_call(self->fd, name, X, 0, &l));
	}
	EXPECT_EQ(0, set_param(PER_SPACE, self->per_space));
	for (i = 0; i < 600; i++) {
		snprintf(name, sizeof(name), "g%06d", i);
		EXPECT_EQ(i % 4 && !(i % 2) ? -1 : 0,
			  unlock_name(self->fd, name));
	}
	/* The lockspace goes while both walks are paused in it. */
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, read_rest(fd1, t1, n1));
	ASSERT_EQ(0, read_rest(fd2, t2, n2));
	EXPECT_GE(600, check_once(_metadata, t1, esc_space, seen, 1));
	EXPECT_GE(600, check_once(_metadata, t2, esc_space, seen, 2));
	free(t1);
	free(t2);
	free(seen);
}

/*
 * A persistent lockspace removed while a /proc walk lists its locks that
 * went idle lately: the walk takes them to list them, the lockspace's end
 * drops them meanwhile, and none is left behind, counted idle, once the
 * lockspace is gone. Tried at four delays between the walk's start and the
 * removal, each on REAP_LOCKS locks.
 */
TEST_F_TIMEOUT(res, removed_during_walk, 240)
{
	static const int delay_us[] = { 500, 2000, 5000, 12000 };
	long long idle = stat_value("idle_locks");
	struct lockdev_lock l;
	char space[64], name[16], *text;
	int fd, i, k, p[2], status;
	pid_t pid;

	ASSERT_LE(0, idle);
	for (k = 0; k < (int)ARRAY_SIZE(delay_us); k++) {
		snprintf(space, sizeof(space), "res-reap-%d-%d", getpid(), k);
		fd = open_session();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, space_ctl_call(fd, space, strlen(space),
					    LOCKDEV_SPACE_CREATE, 0, 0600,
					    LOCKDEV_SPACE_KEEP,
					    LOCKDEV_SPACE_KEEP));
		ASSERT_EQ(0, attach(fd, space));
		for (i = 0; i < REAP_LOCKS; i++) {
			snprintf(name, sizeof(name), "w%06d", i);
			ASSERT_EQ(0, lock_call(fd, name, X,
					       LOCKDEV_LOCK_NONBLOCK, &l));
			ASSERT_EQ(0, unlock_handle(fd, l.handle));
		}
		close(fd);
		ASSERT_EQ(idle + REAP_LOCKS, stat_value("idle_locks"));

		ASSERT_EQ(0, pipe(p));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			alarm(60);
			close(p[0]);
			if (write(p[1], "r", 1) != 1)
				_exit(1);
			text = read_file("/proc/lockdev/locks");
			_exit(text ? 0 : 1);
		}
		close(p[1]);
		ASSERT_EQ(1, read(p[0], name, 1));
		close(p[0]);
		usleep(delay_us[k]);
		fd = open_session();
		ASSERT_LE(0, fd);
		EXPECT_EQ(0, space_ctl_call(fd, space, strlen(space),
					    LOCKDEV_SPACE_REMOVE, 0,
					    LOCKDEV_SPACE_KEEP,
					    LOCKDEV_SPACE_KEEP,
					    LOCKDEV_SPACE_KEEP));
		close(fd);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_EQ(0, status);
		EXPECT_TRUE(space_gone(space));
		EXPECT_EQ(idle, wait_stat("idle_locks", idle)) {
			TH_LOG("after a removal %d us into a walk", delay_us[k]);
		}
	}
}

/*
 * As uid UID_MARKS, which sees no lockspace of the other tests: open
 * @walks reads of /proc/lockdev/locks and read each until it has passed
 * lines of lockspace @esc (as the file escapes it), so that its walk is
 * paused among that lockspace's first locks; tell the parent 'r' (or 'f'),
 * and close them when it says 'c'.
 */
static void __attribute__((noreturn)) pause_walks(struct kid *k,
						  const char *esc, int walks)
{
	struct rlimit rl = { walks + 64, walks + 64 };
	size_t size = 65536, len;
	char *text = malloc(size);
	ssize_t n;
	int i, fd;

	alarm(240);
	if (!text || setrlimit(RLIMIT_NOFILE, &rl) ||
	    become(UID_MARKS, UID_MARKS))
		goto fail;
	for (i = 0; i < walks; i++) {
		fd = open(LOCKS, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			goto fail;
		len = 0;
		do {
			n = read(fd, text + len, 4096);
			if (n <= 0)
				goto fail;
			len += n;
			text[len] = 0;
		} while (!strstr(text, esc) && len + 4097 < size);
		if (!strstr(text, esc))
			goto fail;
	}
	kid_send(k, 'r');
	kid_recv(k, 240000);
	_exit(0);
fail:
	kid_send(k, 'f');
	_exit(1);
}

/*
 * Make lockspace @space, persistent and readable by all, with MARK_LOCKS
 * owner-died locks (a child took them and exited), pause @walks reads of
 * /proc/lockdev/locks among its first locks, remove it, and return how
 * long, in ns, the module took to drop its locks; 0 if a step failed.
 */
static __u64 reap_time(struct __test_metadata *_metadata, const char *space,
		       int walks)
{
	char esc[ESC_MAX], name[16];
	struct lockdev_lock l;
	long long before;
	struct kid k = { .pid = -1 };
	__u64 t0, t = 0;
	int fd, i, status;
	pid_t pid;

	fd = open_session();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, space_ctl_call(fd, space, strlen(space),
				    LOCKDEV_SPACE_CREATE, 0, 0644,
				    LOCKDEV_SPACE_KEEP, LOCKDEV_SPACE_KEEP));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int own = open_session();

		alarm(120);
		if (own < 0 || attach(own, space))
			_exit(1);
		for (i = 0; i < MARK_LOCKS; i++) {
			snprintf(name, sizeof(name), "m%06d", i);
			if (lock_call(own, name, X, LOCKDEV_LOCK_NONBLOCK, &l))
				_exit(2);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status) {
		TH_LOG("the child that takes %d locks failed", MARK_LOCKS);
	}
	if (walks) {
		proc_escape(esc, space, strlen(space));
		ASSERT_LE(0, kid_fork(&k));
		if (!k.pid)
			pause_walks(&k, esc, walks);
		EXPECT_EQ('r', kid_recv(&k, 240000)) {
			TH_LOG("%d reads could not pause among the locks of %s",
			       walks, space);
		}
	}
	/* Other lockspaces' locks may go meanwhile, none may come. */
	before = stat_value("locks");
	t0 = now_ns();
	EXPECT_EQ(0, space_ctl_call(fd, space, strlen(space),
				    LOCKDEV_SPACE_REMOVE, 0,
				    LOCKDEV_SPACE_KEEP, LOCKDEV_SPACE_KEEP,
				    LOCKDEV_SPACE_KEEP));
	while (stat_value("locks") > before - MARK_LOCKS &&
	       now_ns() - t0 < 120000000000ull)
		usleep(2000);
	if (stat_value("locks") <= before - MARK_LOCKS)
		t = now_ns() - t0;
	if (walks) {
		kid_send(&k, 'c');
		EXPECT_EQ(0, kid_reap(&k));
	}
	close(fd);
	return t;
}

/*
 * The collector drops the locks of a removed lockspace a batch per hold of
 * its list lock, each batch from the head of the list of busy locks. Reads
 * of /proc/lockdev/locks paused among its first locks leave their marks
 * there; once the locks before them are gone, the marks head the list, and
 * a collector that stepped over all of them for each lock took their number
 * times the locks' (980 ms against 65 ms without the walks, in a 6.12
 * guest, with the list lock held for each batch's share). Now the marks
 * are taken out as the collector meets them: the removal costs about what
 * it costs without them.
 */
TEST_F_TIMEOUT(res, reap_passes_walks_once, 600)
{
	char space[64];
	__u64 alone, walked;

	snprintf(space, sizeof(space), "res-marks-%d-0", getpid());
	alone = reap_time(_metadata, space, 0);
	ASSERT_NE(0, alone);
	snprintf(space, sizeof(space), "res-marks-%d-1", getpid());
	walked = reap_time(_metadata, space, MARK_WALKS);
	ASSERT_NE(0, walked);
	TH_LOG("%d locks dropped in %llu ms alone, in %llu ms with %d walks among them",
	       MARK_LOCKS, (unsigned long long)alone / 1000000,
	       (unsigned long long)walked / 1000000, MARK_WALKS);
	EXPECT_LT(walked, 3 * alone + 200000000ull);
}

static int pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

struct ticks {
	atomic_int ready;
	atomic_int stop;
	int n;
	__u64 at[MAX_TICKS];
};

/* A SCHED_FIFO process on CPU 0 that notes when each 1 ms sleep ends. */
static void __attribute__((noreturn)) ticker(struct ticks *t)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct timespec d = { .tv_nsec = TICK_NS };

	alarm(120);
	if (pin_cpu0() || sched_setscheduler(0, SCHED_FIFO, &sp))
		_exit(1);
	atomic_store(&t->ready, 1);
	while (!atomic_load(&t->stop) && t->n < MAX_TICKS) {
		clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
		t->at[t->n++] = now_ns();
	}
	_exit(0);
}

/*
 * The first walk of a lockspace whose locks (DRAIN_LOCKS, or what
 * DRAIN_SECS makes) all went idle lately (none listed yet) references,
 * sorts and lists them all: a long stretch of kernel work, which must let
 * the CPU go now and then. A SCHED_FIFO ticker on the same CPU, which
 * sleeps a millisecond at a time, has to get the CPU again well within a
 * quarter of the time a /proc read takes to do that walk. A drain that held
 * lru_lock for all its locks, or sorted them without a break, kept it away
 * for over half of the read (114 ms of 205 in a 6.12 guest; 7 ms of 222
 * without either).
 */
TEST_F_TIMEOUT(res, drain_lets_others_run, 300)
{
	__u64 t0, t1, gap = 0, end = now_ns() + DRAIN_SECS * 1000000000ull;
	int i, nr, in = 0, status;
	struct lockdev_lock l;
	char name[16], *text;
	struct ticks *t;
	pid_t pid;

	for (nr = 0; nr < DRAIN_LOCKS && now_ns() < end; nr++) {
		snprintf(name, sizeof(name), "d%07d", nr);
		ASSERT_EQ(0, lock_call(self->fd, name, X,
				       LOCKDEV_LOCK_NONBLOCK, &l));
		ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	}
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, t);
	ASSERT_EQ(0, pin_cpu0());
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		ticker(t);
	while (!atomic_load(&t->ready) && !waitpid(pid, &status, WNOHANG))
		usleep(1000);
	ASSERT_TRUE(atomic_load(&t->ready));
	usleep(20000);

	t0 = now_ns();
	text = read_file("/proc/lockdev/locks");
	t1 = now_ns();
	atomic_store(&t->stop, 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, status);
	ASSERT_NE(NULL, text);
	free(text);
	/* The longest the ticker waited for the CPU, read included. */
	for (i = 0; i < t->n; i++) {
		in += t->at[i] > t0 && t->at[i] <= t1;
		if (i && t->at[i] > t0 && t->at[i - 1] < t1 &&
		    t->at[i] - t->at[i - 1] > gap)
			gap = t->at[i] - t->at[i - 1];
	}
	TH_LOG("the read of %d locks took %llu ms; the ticker ran %d times meanwhile, at most %llu ms apart",
	       nr, (unsigned long long)(t1 - t0) / 1000000, in,
	       (unsigned long long)gap / 1000000);
	munmap(t, sizeof(*t));
	/* A quarter of the read must hold a few of the ticker's sleeps. */
	if (t1 - t0 < 20 * TICK_NS)
		SKIP(return, "a read of %d locks too fast to tell", nr);
	EXPECT_LT(gap, (t1 - t0) / 4);
}

TEST_HARNESS_MAIN
