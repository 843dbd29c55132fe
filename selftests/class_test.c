// SPDX-License-Identifier: GPL-2.0
/*
 * Lock classes and learned order: the edges /proc/lockdev/order shows, the
 * inversions it reports though nothing deadlocked, names without a class,
 * the max_classes and max_class_edges limits, the per-class counters of
 * /proc/lockdev/lock_stat and their reset, and who sees what.
 *
 * Each test works in lockspaces of its own, named after the test and its
 * pid, and looks only at the lines of those. Other processes are forked
 * children; every child dies by SIGALRM after KID_TIMEOUT_S and every wait
 * is bounded, so a broken module fails a test, never hangs it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"

#define ORDER		"/proc/lockdev/order"
#define LOCK_STAT	"/proc/lockdev/lock_stat"
#define PARAMS		"/sys/module/lockdev/parameters/"

/* An unprivileged uid. */
#define UID_OTHER	3101

/* Longest line the tests parse, and most lines they keep. */
#define LINE_MAX_LEN	1024
#define MAX_LINES	32

#define ORDER_COLUMNS	"# edge lockspace from to count age_ms pid comm " \
			"from_name to_name | inversion lockspace from to " \
			"age_ms pid comm from_name to_name pid2 comm2 " \
			"from_name2 to_name2"
#define STAT_COLUMNS	"# lockspace class acquisitions contentions " \
			"wait_total_ns wait_max_ns hold_total_ns hold_max_ns"

static void __attribute__((constructor)) ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

/* A module parameter's value, or -1. */
static long long param(const char *name)
{
	char path[128], *s;
	long long v = -1;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	s = read_file(path);
	if (s)
		v = strtoll(s, NULL, 10);
	free(s);
	return v;
}

static int set_param(const char *name, long long v)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	snprintf(val, sizeof(val), "%lld\n", v);
	return write_str(path, val);
}

/* A session attached to lockspace @space (created with @mode). */
static int session_in(const char *space, __u32 mode)
{
	struct lockdev_attach a = {
		.name = ptr(space),
		.name_len = strlen(space),
		.mode = mode,
	};
	int fd = open_session();

	if (fd < 0)
		return -1;
	if (ioctl(fd, LOCKDEV_IOC_ATTACH, &a)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Lock @name, blocking: 0 or -1 with errno. In SHARED, so that a session
 * that closes without unlocking leaves no owner-died lock, which would keep
 * its lockspace, and the classes in it, alive.
 */
static int take(int fd, const char *name)
{
	struct lockdev_lock l;

	return lock_call(fd, name, LOCKDEV_MODE_SHARED, 0, &l);
}

/* Lock @name in EXCLUSIVE, blocking: 0 or -1 with errno. */
static int xlock(int fd, const char *name)
{
	struct lockdev_lock l;

	return lock_call(fd, name, LOCKDEV_MODE_EXCLUSIVE, 0, &l);
}

static void space_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "class-%s-%d", what, getpid());
}

/*
 * The lines of @path that start with "@kind @space " (kind "" for any),
 * up to MAX_LINES of them copied to @out without their newline. Returns
 * how many there are, or -1 if the file cannot be read.
 */
static int lines_of(const char *path, const char *kind, const char *space,
		    char out[][LINE_MAX_LEN])
{
	char prefix[256], *buf = read_file(path), *p, *nl;
	int n = 0;

	if (!buf)
		return -1;
	snprintf(prefix, sizeof(prefix), "%s%s%s ", kind, *kind ? " " : "",
		 space);
	for (p = buf; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (!strncmp(p, prefix, strlen(prefix))) {
			if (out && n < MAX_LINES)
				snprintf(out[n], LINE_MAX_LEN, "%.*s",
					 (int)(nl - p), p);
			n++;
		}
		if (!*nl)
			break;
	}
	free(buf);
	return n;
}

struct edge {
	char space[128], from[64], to[64], comm[32], from_name[256];
	char to_name[256];
	unsigned long long count, age_ms;
	int pid;
};

struct inversion {
	struct edge e;		/* e.count unused */
	int pid2;
	char comm2[32], from_name2[256], to_name2[256];
};

static bool parse_edge(const char *line, struct edge *e)
{
	return sscanf(line, "edge %127s %63s %63s %llu %llu %d %31s %255s %255s",
		      e->space, e->from, e->to, &e->count, &e->age_ms, &e->pid,
		      e->comm, e->from_name, e->to_name) == 9;
}

static bool parse_inversion(const char *line, struct inversion *v)
{
	struct edge *e = &v->e;

	return sscanf(line,
		      "inversion %127s %63s %63s %llu %d %31s %255s %255s %d %31s %255s %255s",
		      e->space, e->from, e->to, &e->age_ms, &e->pid, e->comm,
		      e->from_name, e->to_name, &v->pid2, v->comm2,
		      v->from_name2, v->to_name2) == 12;
}

/* The edge @from -> @to of @space, if /proc/lockdev/order shows it. */
static bool find_edge(const char *space, const char *from, const char *to,
		      struct edge *out)
{
	char *buf = read_file(ORDER), *line, *save;
	bool found = false;
	struct edge e;

	if (!buf)
		return false;
	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!parse_edge(line, &e) || strcmp(e.space, space) ||
		    strcmp(e.from, from) || strcmp(e.to, to))
			continue;
		if (out)
			*out = e;
		found = true;
	}
	free(buf);
	return found;
}

struct stat_line {
	long long acq, cont, wait_total, wait_max, hold_total, hold_max;
};

/* The lock_stat line of @class in @space, or false. */
static bool find_stat(const char *space, const char *class,
		      struct stat_line *s)
{
	char lines[MAX_LINES][LINE_MAX_LEN], sp[128], cl[64];
	int n = lines_of(LOCK_STAT, "", space, lines), i;

	for (i = 0; i < n && i < MAX_LINES; i++) {
		if (sscanf(lines[i], "%127s %63s %lld %lld %lld %lld %lld %lld",
			   sp, cl, &s->acq, &s->cont, &s->wait_total,
			   &s->wait_max, &s->hold_total, &s->hold_max) != 8)
			continue;
		if (!strcmp(cl, class))
			return true;
	}
	return false;
}

/* The second line of /proc/lockdev/order, parsed. */
struct order_head {
	unsigned int classes, max_classes, edges, max_edges;
	unsigned long inversions;
	bool full;
};

static bool order_head(struct order_head *h)
{
	char *buf = read_file(ORDER), *l2;
	int end = 0;
	bool ok = false;

	if (!buf)
		return false;
	l2 = strchr(buf, '\n');
	if (l2 && sscanf(l2 + 1, "# classes %u/%u edges %u/%u inversions %lu%n",
			 &h->classes, &h->max_classes, &h->edges,
			 &h->max_edges, &h->inversions, &end) == 5) {
		h->full = !strncmp(l2 + 1 + end, " full\n", 6);
		ok = h->full || l2[1 + end] == '\n';
	}
	free(buf);
	return ok;
}

/* Both files: their header lines, exactly. */
TEST(format)
{
	char *buf = read_file(ORDER), *p;
	struct order_head h;
	struct stat st;

	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, strncmp(buf, "# lockdev order 1\n", 18));
	EXPECT_EQ(1, LOCKDEV_PROC_ORDER_VERSION);
	p = strchr(buf, '\n');
	ASSERT_NE(NULL, p);
	p = strchr(p + 1, '\n');
	ASSERT_NE(NULL, p);
	EXPECT_EQ(0, strncmp(p + 1, ORDER_COLUMNS "\n",
			     strlen(ORDER_COLUMNS) + 1));
	free(buf);
	ASSERT_TRUE(order_head(&h));
	EXPECT_EQ(param("max_classes"), h.max_classes);
	EXPECT_EQ(param("max_class_edges"), h.max_edges);
	EXPECT_EQ(stat_value("classes"), h.classes);
	EXPECT_EQ(stat_value("class_edges"), h.edges);
	EXPECT_EQ(stat_value("inversions"), h.inversions);
	EXPECT_EQ(stat_value("order_full") > 0, h.full);

	buf = read_file(LOCK_STAT);
	ASSERT_NE(NULL, buf);
	EXPECT_EQ(0, strncmp(buf, "# lockdev lock_stat 1\n" STAT_COLUMNS "\n",
			     strlen("# lockdev lock_stat 1\n" STAT_COLUMNS) + 1));
	EXPECT_EQ(1, LOCKDEV_PROC_LOCK_STAT_VERSION);
	free(buf);
	ASSERT_EQ(0, stat(ORDER, &st));
	EXPECT_EQ(S_IFREG | 0444, st.st_mode);
	ASSERT_EQ(0, stat(LOCK_STAT, &st));
	EXPECT_EQ(S_IFREG | 0644, st.st_mode);
}

/* Edges are learned once, then counted; each with its first example. */
TEST(edges_learned)
{
	long long classes = stat_value("classes");
	long long edges = stat_value("class_edges");
	char space[64], comm[32] = "", *s;
	struct edge e;
	int fd;

	s = read_file("/proc/self/comm");
	ASSERT_NE(NULL, s);
	ASSERT_EQ(1, sscanf(s, "%31s", comm));
	free(s);
	space_name(space, sizeof(space), "edges");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, take(fd, "user:a"));
	/* A class on its own teaches nothing, nor one of the same class. */
	ASSERT_EQ(0, take(fd, "user:b"));
	EXPECT_EQ(0, lines_of(ORDER, "edge", space, NULL));
	EXPECT_FALSE(find_edge(space, "user", "user", NULL));
	ASSERT_EQ(0, take(fd, "mbox:a.inbox"));
	ASSERT_TRUE(find_edge(space, "user", "mbox", &e));
	EXPECT_EQ(1, e.count);
	EXPECT_EQ(getpid(), e.pid);
	EXPECT_STREQ(comm, e.comm);
	/* The example held is the lock of the class last taken. */
	EXPECT_STREQ("user:b", e.from_name);
	EXPECT_STREQ("mbox:a.inbox", e.to_name);
	EXPECT_GT(10000, e.age_ms);
	EXPECT_EQ(classes + 2, stat_value("classes"));
	EXPECT_EQ(edges + 1, stat_value("class_edges"));

	/* Again, other names: counted; the example stays the first. */
	ASSERT_EQ(0, unlock_name(fd, "mbox:a.inbox"));
	ASSERT_EQ(0, take(fd, "mbox:a.sent"));
	ASSERT_TRUE(find_edge(space, "user", "mbox", &e));
	EXPECT_EQ(2, e.count);
	EXPECT_STREQ("mbox:a.inbox", e.to_name);
	EXPECT_FALSE(find_edge(space, "mbox", "user", NULL));

	/* Two classes held, two locks of one: one edge from each class. */
	ASSERT_EQ(0, take(fd, "index:a.inbox"));
	ASSERT_TRUE(find_edge(space, "user", "index", &e));
	EXPECT_EQ(1, e.count);
	ASSERT_TRUE(find_edge(space, "mbox", "index", &e));
	EXPECT_EQ(1, e.count);
	EXPECT_STREQ("mbox:a.sent", e.from_name);
	EXPECT_EQ(3, lines_of(ORDER, "edge", space, NULL));
	EXPECT_EQ(classes + 3, stat_value("classes"));
	EXPECT_EQ(edges + 3, stat_value("class_edges"));
	EXPECT_EQ(0, lines_of(ORDER, "inversion", space, NULL));

	/* Classes and edges go with their lockspace. */
	close(fd);
	EXPECT_EQ(classes, wait_stat("classes", classes));
	EXPECT_EQ(edges, wait_stat("class_edges", edges));
	EXPECT_EQ(0, lines_of(ORDER, "edge", space, NULL));
	EXPECT_EQ(0, lines_of(LOCK_STAT, "", space, NULL));
}

/* A request that waits is awaited: its class counts as held. */
TEST(awaited_class)
{
	char space[64];
	struct lockdev_lock l;
	struct edge e;
	int fd, fd2;

	space_name(space, sizeof(space), "await");
	fd = session_in(space, 0600);
	fd2 = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, take(fd2, "queue:1"));
	ASSERT_EQ(0, lock_call(fd, "queue:1", LOCKDEV_MODE_EXCLUSIVE,
			       LOCKDEV_LOCK_ASYNC, &l));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
	ASSERT_EQ(0, take(fd, "spool:1"));
	ASSERT_TRUE(find_edge(space, "queue", "spool", &e));
	EXPECT_STREQ("queue:1", e.from_name);
	EXPECT_STREQ("spool:1", e.to_name);
	/* A request that ended, granted or not, counts no more. */
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_CANCEL,
			   &(struct lockdev_cancel){ .handle = l.handle }));
	ASSERT_EQ(0, unlock_name(fd, "spool:1"));
	ASSERT_EQ(0, take(fd, "spool:2"));
	ASSERT_TRUE(find_edge(space, "queue", "spool", &e));
	EXPECT_EQ(1, e.count);
	close(fd);
	close(fd2);
}

/*
 * Asking again for a lock the session holds (EALREADY) teaches nothing: it
 * would otherwise learn the reverse of the order the locks were taken in,
 * and report an inversion that never happened.
 */
TEST(again_teaches_nothing)
{
	long long inversions = stat_value("inversions");
	struct lockdev_lock l;
	char space[64];
	int fd;

	ASSERT_LE(0, inversions);
	space_name(space, sizeof(space), "again");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, take(fd, "user:a"));
	ASSERT_EQ(0, take(fd, "mbox:a.inbox"));
	ASSERT_TRUE(find_edge(space, "user", "mbox", NULL));
	EXPECT_EQ(-1, lock_call(fd, "user:a", LOCKDEV_MODE_SHARED, 0, &l));
	EXPECT_EQ(EALREADY, errno);
	EXPECT_FALSE(find_edge(space, "mbox", "user", NULL));
	EXPECT_EQ(1, lines_of(ORDER, "edge", space, NULL));
	EXPECT_EQ(0, lines_of(ORDER, "inversion", space, NULL));
	EXPECT_EQ(inversions, stat_value("inversions"));
	close(fd);
}

/*
 * A hold in NONE grants nothing and teaches nothing: taking user:a while
 * mbox:z is held in NONE learns no mbox -> user, so converting mbox:z out
 * of NONE, which learns user -> mbox, closes no cycle.
 */
TEST(none_teaches_nothing)
{
	long long inversions = stat_value("inversions");
	struct lockdev_convert c;
	struct lockdev_lock lz;
	char space[64];
	int fd;

	ASSERT_LE(0, inversions);
	space_name(space, sizeof(space), "nonecls");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lock_call(fd, "mbox:z", LOCKDEV_MODE_NONE, 0, &lz));
	ASSERT_EQ(0, take(fd, "user:a"));
	EXPECT_FALSE(find_edge(space, "mbox", "user", NULL));
	memset(&c, 0, sizeof(c));
	c.handle = lz.handle;
	c.mode = LOCKDEV_MODE_EXCLUSIVE;
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_CONVERT, &c));
	EXPECT_TRUE(find_edge(space, "user", "mbox", NULL));
	/* Back in NONE, it is not held: user:b learns nothing from it. */
	c.mode = LOCKDEV_MODE_NONE;
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_CONVERT, &c));
	ASSERT_EQ(0, take(fd, "user:b"));
	EXPECT_FALSE(find_edge(space, "mbox", "user", NULL));
	EXPECT_EQ(0, lines_of(ORDER, "inversion", space, NULL));
	EXPECT_EQ(inversions, stat_value("inversions"));
	/* Out of NONE again, with user:a and user:b held: one edge. */
	c.mode = LOCKDEV_MODE_SHARED;
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_CONVERT, &c));
	EXPECT_EQ(1, lines_of(ORDER, "edge", space, NULL));
	close(fd);
}

/* A conversion from NONE that fails with EPERM learns no edge. */
TEST(invalid_conversion_teaches_nothing)
{
	struct lockdev_convert c;
	struct lockdev_lock lz;
	char space[64];
	int fd;

	space_name(space, sizeof(space), "noneperm");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lock_call(fd, "mbox:z", LOCKDEV_MODE_NONE, 0, &lz));
	ASSERT_EQ(0, take(fd, "user:a"));
	memset(&c, 0, sizeof(c));
	c.handle = lz.handle;
	c.mode = LOCKDEV_MODE_EXCLUSIVE;
	c.flags = LOCKDEV_CONVERT_SET_VALUE;
	EXPECT_EQ(-1, ioctl(fd, LOCKDEV_IOC_CONVERT, &c));
	EXPECT_EQ(EPERM, errno);
	EXPECT_FALSE(find_edge(space, "user", "mbox", NULL));
	close(fd);
}

/*
 * An edge's example names a lock of its class held out of NONE: when the
 * latest one is released, the one still held, not one held in NONE.
 */
TEST(example_skips_none)
{
	struct lockdev_lock la;
	struct edge e;
	char space[64];
	int fd;

	space_name(space, sizeof(space), "noneex");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lock_call(fd, "mbox:a", LOCKDEV_MODE_NONE, 0, &la));
	ASSERT_EQ(0, take(fd, "mbox:b"));
	ASSERT_EQ(0, take(fd, "mbox:c"));
	ASSERT_EQ(0, unlock_name(fd, "mbox:c"));
	ASSERT_EQ(0, take(fd, "user:u"));
	ASSERT_TRUE(find_edge(space, "mbox", "user", &e));
	EXPECT_STREQ("mbox:b", e.from_name);
	EXPECT_STREQ("user:u", e.to_name);
	close(fd);
}

/* Names without a colon, or with one first, have no class. */
TEST(no_class)
{
	long long classes = stat_value("classes");
	long long edges = stat_value("class_edges");
	char space[64];
	int fd;

	space_name(space, sizeof(space), "none");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, take(fd, "plain"));
	ASSERT_EQ(0, take(fd, ":leading"));
	EXPECT_EQ(classes, stat_value("classes"));
	ASSERT_EQ(0, take(fd, "cls:one"));
	EXPECT_EQ(classes + 1, stat_value("classes"));
	/* Held unclassed locks teach nothing, and are taught nothing. */
	EXPECT_EQ(edges, stat_value("class_edges"));
	ASSERT_EQ(0, take(fd, "other"));
	ASSERT_EQ(0, take(fd, "a:b:c"));
	EXPECT_EQ(classes + 2, stat_value("classes"));
	EXPECT_EQ(edges + 1, stat_value("class_edges"));
	EXPECT_TRUE(find_edge(space, "cls", "a", NULL));
	EXPECT_EQ(1, lines_of(ORDER, "edge", space, NULL));
	EXPECT_EQ(2, lines_of(LOCK_STAT, "", space, NULL));
	close(fd);
}

/* Kid: in @space, set comm to @comm, lock @first then @second, unlock. */
static int lock_pair(const char *space, const char *comm, const char *first,
		     const char *second)
{
	struct kid k;
	int fd;

	if (kid_fork(&k) < 0)
		return -1;
	if (k.pid == 0) {
		prctl(PR_SET_NAME, comm);
		fd = session_in(space, 0600);
		if (fd < 0 || take(fd, first) || take(fd, second) ||
		    unlock_name(fd, second) || unlock_name(fd, first))
			_exit(1);
		close(fd);
		_exit(0);
	}
	if (kid_reap(&k))
		return -1;
	return k.pid;
}

/*
 * A -> B in one process, then B -> A in another: nothing deadlocks, both
 * get their locks, and the second edge is reported as an inversion.
 */
TEST(inversion_two_processes)
{
	long long inversions = stat_value("inversions");
	long long deadlocks = stat_value("deadlocks");
	char space[64], lines[MAX_LINES][LINE_MAX_LEN];
	struct inversion v;
	struct order_head h;
	pid_t one, two;

	space_name(space, sizeof(space), "inv");
	/* A session keeps the lockspace alive between the two. */
	ASSERT_LE(0, session_in(space, 0600));
	one = lock_pair(space, "inv-one", "user:alice", "user2:bob");
	ASSERT_LT(0, one);
	EXPECT_EQ(0, lines_of(ORDER, "inversion", space, NULL));
	EXPECT_EQ(inversions, stat_value("inversions"));
	two = lock_pair(space, "inv-two", "user2:carol", "user:dave");
	ASSERT_LT(0, two);
	EXPECT_EQ(deadlocks, stat_value("deadlocks"));
	EXPECT_EQ(inversions + 1, stat_value("inversions"));
	ASSERT_TRUE(order_head(&h));
	EXPECT_EQ(stat_value("inversions"), h.inversions);

	ASSERT_EQ(1, lines_of(ORDER, "inversion", space, lines));
	ASSERT_TRUE(parse_inversion(lines[0], &v)) {
		TH_LOG("bad line: %s", lines[0]);
	}
	EXPECT_STREQ(space, v.e.space);
	EXPECT_STREQ("user2", v.e.from);
	EXPECT_STREQ("user", v.e.to);
	EXPECT_GT(10000, v.e.age_ms);
	EXPECT_EQ(two, v.e.pid);
	EXPECT_STREQ("inv-two", v.e.comm);
	EXPECT_STREQ("user2:carol", v.e.from_name);
	EXPECT_STREQ("user:dave", v.e.to_name);
	EXPECT_EQ(one, v.pid2);
	EXPECT_STREQ("inv-one", v.comm2);
	EXPECT_STREQ("user:alice", v.from_name2);
	EXPECT_STREQ("user2:bob", v.to_name2);
	/* Both edges are there too. */
	EXPECT_EQ(2, lines_of(ORDER, "edge", space, NULL));
	EXPECT_TRUE(find_edge(space, "user", "user2", NULL));
	EXPECT_TRUE(find_edge(space, "user2", "user", NULL));

	/* Taking the inverted order again is no new inversion. */
	ASSERT_LT(0, lock_pair(space, "inv-three", "user2:x", "user:y"));
	EXPECT_EQ(1, lines_of(ORDER, "inversion", space, NULL));
	EXPECT_EQ(inversions + 1, stat_value("inversions"));
}

/* A cycle of three: the example leading back is the edge leaving "to". */
TEST(inversion_cycle_of_three)
{
	long long inversions = stat_value("inversions");
	char space[64], lines[MAX_LINES][LINE_MAX_LEN];
	struct inversion v;
	pid_t one;
	int fd;

	space_name(space, sizeof(space), "three");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	one = lock_pair(space, "three-ab", "a:1", "b:1");
	ASSERT_LT(0, one);
	ASSERT_LT(0, lock_pair(space, "three-bc", "b:2", "c:2"));
	EXPECT_EQ(0, lines_of(ORDER, "inversion", space, NULL));
	/* c -> a closes a -> b -> c. */
	ASSERT_EQ(0, take(fd, "c:3"));
	ASSERT_EQ(0, take(fd, "a:3"));
	EXPECT_EQ(inversions + 1, stat_value("inversions"));
	ASSERT_EQ(1, lines_of(ORDER, "inversion", space, lines));
	ASSERT_TRUE(parse_inversion(lines[0], &v));
	EXPECT_STREQ("c", v.e.from);
	EXPECT_STREQ("a", v.e.to);
	EXPECT_EQ(getpid(), v.e.pid);
	EXPECT_STREQ("c:3", v.e.from_name);
	EXPECT_STREQ("a:3", v.e.to_name);
	EXPECT_EQ(one, v.pid2);
	EXPECT_STREQ("three-ab", v.comm2);
	EXPECT_STREQ("a:1", v.from_name2);
	EXPECT_STREQ("b:1", v.to_name2);
	close(fd);
}

/*
 * A session remembers LD_CLASSES_HELD (8) classes for learning: with nine
 * held, a new class learns edges from the first eight only.
 */
TEST(summary_bound)
{
	char space[64], name[32];
	int fd, i;

	space_name(space, sizeof(space), "bound");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	for (i = 0; i < 9; i++) {
		snprintf(name, sizeof(name), "c%d:x", i);
		ASSERT_EQ(0, take(fd, name));
	}
	ASSERT_EQ(0, take(fd, "z:1"));
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		EXPECT_TRUE(find_edge(space, name, "z", NULL)) {
			TH_LOG("no edge %s -> z", name);
		}
	}
	EXPECT_FALSE(find_edge(space, "c8", "z", NULL));
	/* A slot freed is taken by the next class that starts. */
	ASSERT_EQ(0, unlock_name(fd, "c0:x"));
	ASSERT_EQ(0, take(fd, "y:1"));
	ASSERT_EQ(0, take(fd, "w:1"));
	EXPECT_TRUE(find_edge(space, "y", "w", NULL));
	EXPECT_FALSE(find_edge(space, "c8", "w", NULL));
	close(fd);
}

FIXTURE(limits) {
	long long max_classes;
	long long max_edges;
};

FIXTURE_SETUP(limits)
{
	self->max_classes = param("max_classes");
	self->max_edges = param("max_class_edges");
	ASSERT_EQ(65536, self->max_classes);
	ASSERT_EQ(262144, self->max_edges);
	ASSERT_EQ(1024, param("max_classes_per_space"));
	ASSERT_EQ(4096, param("max_class_edges_per_space"));
	ASSERT_EQ(4096, param("max_classes_per_user"));
	ASSERT_EQ(16384, param("max_class_edges_per_user"));
}

FIXTURE_TEARDOWN(limits)
{
	EXPECT_EQ(0, set_param("max_classes", self->max_classes));
	EXPECT_EQ(0, set_param("max_class_edges", self->max_edges));
}

/* Beyond max_classes a lock has no class; counted in order_full. */
TEST_F(limits, classes)
{
	long long full = stat_value("order_full");
	long long classes = stat_value("classes");
	struct order_head h;
	char space[64];
	int fd;

	space_name(space, sizeof(space), "limcls");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_param("max_classes", classes + 1));
	ASSERT_EQ(0, take(fd, "fits:1"));
	EXPECT_EQ(classes + 1, stat_value("classes"));
	EXPECT_EQ(full, stat_value("order_full"));
	/* The lock works; it just has no class. */
	ASSERT_EQ(0, take(fd, "nofit:1"));
	EXPECT_EQ(classes + 1, stat_value("classes"));
	EXPECT_EQ(full + 1, stat_value("order_full"));
	EXPECT_FALSE(find_edge(space, "fits", "nofit", NULL));
	EXPECT_FALSE(find_stat(space, "nofit", &(struct stat_line){ 0 }));
	ASSERT_TRUE(order_head(&h));
	EXPECT_TRUE(h.full);
	EXPECT_EQ(classes + 1, h.max_classes);
	EXPECT_EQ(classes + 1, h.classes);
	/* A known class still fits. */
	ASSERT_EQ(0, take(fd, "fits:2"));
	EXPECT_EQ(full + 1, stat_value("order_full"));
	close(fd);
}

/* Beyond max_class_edges an edge is not learned; counted in order_full. */
TEST_F(limits, edges)
{
	long long full = stat_value("order_full");
	long long edges = stat_value("class_edges");
	struct order_head h;
	struct edge e;
	char space[64];
	int fd;

	space_name(space, sizeof(space), "limedge");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_param("max_class_edges", edges + 1));
	ASSERT_EQ(0, take(fd, "e1:x"));
	ASSERT_EQ(0, take(fd, "e2:x"));
	EXPECT_EQ(edges + 1, stat_value("class_edges"));
	EXPECT_EQ(full, stat_value("order_full"));
	/* e1 -> e3 and e2 -> e3 do not fit. */
	ASSERT_EQ(0, take(fd, "e3:x"));
	EXPECT_EQ(edges + 1, stat_value("class_edges"));
	EXPECT_EQ(full + 2, stat_value("order_full"));
	EXPECT_FALSE(find_edge(space, "e1", "e3", NULL));
	EXPECT_FALSE(find_edge(space, "e2", "e3", NULL));
	ASSERT_TRUE(order_head(&h));
	EXPECT_TRUE(h.full);
	EXPECT_EQ(edges + 1, h.max_edges);
	EXPECT_EQ(edges + 1, h.edges);
	/* A known edge is still counted. */
	ASSERT_EQ(0, unlock_name(fd, "e3:x"));
	ASSERT_EQ(0, unlock_name(fd, "e2:x"));
	ASSERT_EQ(0, take(fd, "e2:y"));
	ASSERT_TRUE(find_edge(space, "e1", "e2", &e));
	EXPECT_EQ(2, e.count);
	EXPECT_EQ(full + 2, stat_value("order_full"));
	close(fd);
}

#define MS	1000000LL
/*
 * lock_stat times come from local_clock(), which on two CPUs may differ by
 * up to a scheduler tick: 10 ms at HZ=100, the slowest tick.
 */
#define TICK_MS	10

/*
 * Acquisitions, one contended grant, its wait and the holds; then the
 * reset.
 */
/* More classes than a lockspace may have, with an edge to each from 8. */
#define FILL_CLASSES	1100

/*
 * Another uid fills its own lockspace with classes and edges past its
 * budgets; root's lockspace still learns, and root's inversion is reported.
 */
TEST(budget_is_per_owner)
{
	long long full = stat_value("order_full");
	char fill[64], own[64], name[32];
	struct kid k;
	int fd, i;

	space_name(fill, sizeof(fill), "fill");
	space_name(own, sizeof(own), "own");
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		fd = -1;
		if (!become(UID_OTHER, UID_OTHER))
			fd = session_in(fill, 0600);
		for (i = 0; fd >= 0 && i < FILL_CLASSES; i++) {
			snprintf(name, sizeof(name), "fill%d:x", i);
			if (take(fd, name))
				_exit(1);
		}
		/* Its lockspace, and so its classes, live until told. */
		kid_send(&k, fd >= 0 ? 'y' : 'n');
		kid_recv(&k, WAIT_MS);
		_exit(0);
	}
	/* 1,100 LOCKs, each learning edges, take 7 to 9 s on the debug kernel. */
	ASSERT_EQ('y', kid_recv(&k, 6 * WAIT_MS));
	EXPECT_LT(full, stat_value("order_full"));
	ASSERT_LE(0, session_in(own, 0600));
	ASSERT_LT(0, lock_pair(own, "own-one", "ra:1", "rb:1"));
	ASSERT_LT(0, lock_pair(own, "own-two", "rb:2", "ra:2"));
	EXPECT_TRUE(find_edge(own, "ra", "rb", NULL));
	EXPECT_TRUE(find_edge(own, "rb", "ra", NULL));
	EXPECT_EQ(1, lines_of(ORDER, "inversion", own, NULL));
	kid_send(&k, 'x');
	EXPECT_EQ(0, kid_reap(&k));
}

TEST(lock_stat_values)
{
	struct stat_line s = { 0 };
	char space[64];
	struct kid k;
	__u64 start;
	int fd, fdk;

	space_name(space, sizeof(space), "stat");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, xlock(fd, "db:1"));
	ASSERT_TRUE(find_stat(space, "db", &s));
	EXPECT_EQ(1, s.acq);
	EXPECT_EQ(0, s.cont);
	EXPECT_EQ(0, s.wait_total);
	EXPECT_EQ(0, s.wait_max);
	EXPECT_EQ(0, s.hold_total);
	EXPECT_EQ(0, s.hold_max);

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		fdk = session_in(space, 0600);
		if (fdk < 0 || xlock(fdk, "db:1"))
			_exit(1);
		sleep_ms(100);
		_exit(unlock_name(fdk, "db:1") ? 1 : 0);
	}
	ASSERT_TRUE(wait_entry(fd, "db:1", k.pid, LOCKDEV_STATE_WAITING));
	start = now_ns();
	sleep_ms(200);
	ASSERT_EQ(0, unlock_name(fd, "db:1"));
	EXPECT_EQ(0, kid_reap(&k));
	ASSERT_TRUE(find_stat(space, "db", &s));
	EXPECT_EQ(2, s.acq);
	EXPECT_EQ(1, s.cont);
	/*
	 * The wait began before start and ended after start + 200 ms, less
	 * the tick by which the clocks of two CPUs may differ.
	 */
	EXPECT_LE((200 - TICK_MS) * MS, s.wait_max);
	EXPECT_EQ(s.wait_max, s.wait_total);
	EXPECT_GT((long long)(now_ns() - start) + 10000 * MS, s.wait_max);
	/* Holds: ours >= 200 ms, the kid's >= 100 ms, each less a tick. */
	EXPECT_LE((200 - TICK_MS) * MS, s.hold_max);
	EXPECT_LE((300 - 2 * TICK_MS) * MS, s.hold_total);
	EXPECT_LT(s.hold_max, s.hold_total);

	/* An uncontended grant counts, without a wait. */
	ASSERT_EQ(0, take(fd, "db:2"));
	ASSERT_TRUE(find_stat(space, "db", &s));
	EXPECT_EQ(3, s.acq);
	EXPECT_EQ(1, s.cont);

	/* Reset: "0" with or without a newline. */
	ASSERT_EQ(0, write_str(LOCK_STAT, "0\n"));
	ASSERT_TRUE(find_stat(space, "db", &s));
	EXPECT_EQ(0, s.acq);
	EXPECT_EQ(0, s.cont);
	EXPECT_EQ(0, s.wait_total);
	EXPECT_EQ(0, s.wait_max);
	EXPECT_EQ(0, s.hold_total);
	EXPECT_EQ(0, s.hold_max);
	/* Longer than the clocks of two CPUs may differ. */
	sleep_ms(2 * TICK_MS);
	ASSERT_EQ(0, unlock_name(fd, "db:2"));
	ASSERT_TRUE(find_stat(space, "db", &s));
	EXPECT_LT(0, s.hold_total);
	ASSERT_EQ(0, write_str(LOCK_STAT, "0"));
	ASSERT_TRUE(find_stat(space, "db", &s));
	EXPECT_EQ(0, s.hold_total);
	close(fd);
}

/*
 * A hold in NONE is no hold for lock_stat: only the time out of NONE
 * counts as held, and a conversion out of NONE that waits counts as a
 * contention, for as long as it waited.
 */
TEST(lock_stat_none_conversions)
{
	struct stat_line s = { 0 };
	struct lockdev_convert c;
	struct lockdev_lock l;
	char space[64];
	__u64 start, held, waited;
	struct kid k;
	int fd, fdk;

	space_name(space, sizeof(space), "statnone");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lock_call(fd, "db:1", LOCKDEV_MODE_NONE, 0, &l));
	ASSERT_FALSE(find_stat(space, "db", &s) && s.acq);
	sleep_ms(300);
	memset(&c, 0, sizeof(c));
	c.handle = l.handle;
	c.mode = LOCKDEV_MODE_EXCLUSIVE;
	start = now_ns();
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_CONVERT, &c));
	c.mode = LOCKDEV_MODE_NONE;
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_CONVERT, &c));
	held = now_ns() - start;
	ASSERT_TRUE(find_stat(space, "db", &s));
	EXPECT_EQ(1, s.acq);
	EXPECT_EQ(0, s.cont);
	/* Held between the two calls; the 300 ms in NONE before were not. */
	EXPECT_GE((long long)held + TICK_MS * MS, s.hold_total);

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		fdk = session_in(space, 0600);
		if (fdk < 0 || xlock(fdk, "db:1") || kid_send(&k, 'y') ||
		    !wait_queued(fdk, "db:1", getppid()))
			_exit(1);
		sleep_ms(200);
		_exit(unlock_name(fdk, "db:1") ? 1 : 0);
	}
	ASSERT_EQ('y', kid_recv(&k, WAIT_MS));
	start = now_ns();
	c.mode = LOCKDEV_MODE_EXCLUSIVE;
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_CONVERT, &c));
	waited = now_ns() - start;
	EXPECT_EQ(0, kid_reap(&k));
	sleep_ms(100);
	c.mode = LOCKDEV_MODE_NONE;
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_CONVERT, &c));
	ASSERT_TRUE(find_stat(space, "db", &s));
	EXPECT_EQ(3, s.acq);
	EXPECT_EQ(1, s.cont);
	EXPECT_EQ(s.wait_max, s.wait_total);
	/* The kid held it 200 ms after it saw us wait. */
	EXPECT_LE((200 - TICK_MS) * MS, s.wait_max);
	EXPECT_GE((long long)waited + TICK_MS * MS, s.wait_max);
	/* Ours after the wait >= 100 ms, the kid's >= 200 ms, less a tick. */
	EXPECT_LE((200 - TICK_MS) * MS, s.hold_max);
	EXPECT_LE((300 - 2 * TICK_MS) * MS, s.hold_total);
	close(fd);
}

/* Anything but "0" fails with EINVAL and resets nothing. */
TEST(lock_stat_bad_input)
{
	static const char *const bad[] = { "1", "00", "0 ", " 0", "0\n\n", "x", "\n",
			      "-0", "0x0" };
	struct stat_line s;
	char space[64];
	unsigned int i;
	int fd;

	space_name(space, sizeof(space), "statbad");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, take(fd, "bad:1"));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, write_str(LOCK_STAT, bad[i]));
		EXPECT_EQ(EINVAL, errno) {
			TH_LOG("writing \"%s\"", bad[i]);
		}
	}
	ASSERT_TRUE(find_stat(space, "bad", &s));
	EXPECT_EQ(1, s.acq);
	close(fd);
}

/* A writer that is not root gets EPERM, even on a file root opened. */
TEST(lock_stat_reset_root_only)
{
	struct stat_line s;
	char space[64];
	struct kid k;
	int fd, wfd;

	space_name(space, sizeof(space), "statperm");
	fd = session_in(space, 0666);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, take(fd, "perm:1"));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		wfd = open(LOCK_STAT, O_WRONLY | O_CLOEXEC);
		if (wfd < 0 || become(UID_OTHER, UID_OTHER))
			_exit(2);
		EXPECT_EQ(-1, write(wfd, "0", 1));
		EXPECT_EQ(EPERM, errno);
		/* Nor may it open the file for writing itself. */
		EXPECT_EQ(-1, open(LOCK_STAT, O_WRONLY | O_CLOEXEC));
		EXPECT_EQ(EACCES, errno);
		/* It still reads what it may see. */
		EXPECT_TRUE(find_stat(space, "perm", &s));
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
	ASSERT_TRUE(find_stat(space, "perm", &s));
	EXPECT_EQ(1, s.acq);
	close(fd);
}

/*
 * Root in an IPC namespace of its own, which cannot see every lockspace,
 * resets nothing: neither through a file it opened there, nor through one
 * root opened outside.
 */
TEST(lock_stat_reset_not_from_ipc_ns)
{
	struct stat_line s;
	char space[64];
	struct kid k;
	int fd, wfd, own;

	space_name(space, sizeof(space), "statipc");
	fd = session_in(space, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, take(fd, "ipc:1"));
	wfd = open(LOCK_STAT, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, wfd);
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(2);
		EXPECT_EQ(-1, write(wfd, "0", 1));
		EXPECT_EQ(EPERM, errno);
		own = open(LOCK_STAT, O_WRONLY | O_CLOEXEC);
		EXPECT_LE(0, own);
		EXPECT_EQ(-1, write(own, "0", 1));
		EXPECT_EQ(EPERM, errno);
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
	ASSERT_TRUE(find_stat(space, "ipc", &s));
	EXPECT_EQ(1, s.acq);
	close(wfd);
	close(fd);
}

/* Learn @from -> @to in @space from a session of its own; -1 on error. */
static int learn(const char *space, __u32 mode, const char *from,
		 const char *to)
{
	int fd = session_in(space, mode);

	if (fd < 0)
		return -1;
	if (take(fd, from) || take(fd, to)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Readers see only the lockspaces they could see in /proc/lockdev/locks:
 * not a root-owned 0600 one as another uid, nothing of the host's from
 * another user namespace.
 */
TEST(visibility)
{
	char priv[64], pub[64];
	struct kid k;
	int fd1, fd2, fd3;

	space_name(priv, sizeof(priv), "vispriv");
	space_name(pub, sizeof(pub), "vispub");
	fd1 = learn(priv, 0600, "hp:1", "hq:1");
	fd2 = learn(pub, 0644, "hp:1", "hq:1");
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(1, lines_of(ORDER, "edge", priv, NULL));
	EXPECT_EQ(1, lines_of(ORDER, "edge", pub, NULL));
	EXPECT_EQ(2, lines_of(LOCK_STAT, "", priv, NULL));

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_OTHER, UID_OTHER))
			_exit(2);
		EXPECT_EQ(0, lines_of(ORDER, "edge", priv, NULL));
		EXPECT_EQ(0, lines_of(LOCK_STAT, "", priv, NULL));
		EXPECT_EQ(1, lines_of(ORDER, "edge", pub, NULL));
		EXPECT_EQ(2, lines_of(LOCK_STAT, "", pub, NULL));
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (unshare(CLONE_NEWUSER) ||
		    write_str("/proc/self/setgroups", "deny") ||
		    write_str("/proc/self/uid_map", "0 0 1") ||
		    write_str("/proc/self/gid_map", "0 0 1")) {
			TH_LOG("cannot make a user namespace: %s",
			       strerror(errno));
			_exit(2);
		}
		/* The host's are out of sight; its own, same name, are not. */
		EXPECT_EQ(0, lines_of(ORDER, "edge", pub, NULL));
		EXPECT_EQ(0, lines_of(LOCK_STAT, "", pub, NULL));
		EXPECT_EQ(0, lines_of(ORDER, "edge", priv, NULL));
		fd3 = learn(pub, 0600, "np:1", "nq:1");
		EXPECT_LE(0, fd3);
		EXPECT_EQ(1, lines_of(ORDER, "edge", pub, NULL));
		EXPECT_TRUE(find_edge(pub, "np", "nq", NULL));
		EXPECT_FALSE(find_edge(pub, "hp", "hq", NULL));
		EXPECT_EQ(2, lines_of(LOCK_STAT, "", pub, NULL));
		EXPECT_FALSE(find_stat(pub, "hp", &(struct stat_line){ 0 }));
		/* Nor may its root reset the counters. */
		EXPECT_EQ(-1, write_str(LOCK_STAT, "0"));
		EXPECT_EQ(EPERM, errno);
		close(fd3);
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
	EXPECT_EQ(1, lines_of(ORDER, "edge", pub, NULL));
	EXPECT_TRUE(find_edge(pub, "hp", "hq", NULL));
	close(fd1);
	close(fd2);
}

TEST_HARNESS_MAIN
