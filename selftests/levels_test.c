// SPDX-License-Identifier: GPL-2.0
/*
 * Declared levels and the order mode default of a lockspace
 * (LOCKDEV_SPACE_LEVEL, lockdev_space_ctl.order_mode): requests at level 0
 * take the level of the longest declared prefix of their name and are
 * checked, listed and shown at it; an explicit level wins; removal, the
 * limit, every error and who may declare; the mode a session starts in;
 * /proc/lockdev/levels and the order column of /proc/lockdev/spaces; and
 * liblockdev's calls for both.
 *
 * Tests run as root. Other uids are played by forked children that drop to
 * them and die by SIGALRM after KID_SECS; every wait for one is bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"
#include "lockdev.h"

#define LEVELS		"/proc/lockdev/levels"
#define SPACES		"/proc/lockdev/spaces"
#define KEEP		LOCKDEV_SPACE_KEEP
#define KID_SECS	60
#define UID_A		1001
#define GID_A		1001

/* A LOCKDEV_IOC_SPACE request of @op on @name, every other field 0/KEEP. */
static void ctl_init(struct lockdev_space_ctl *c, const char *name, __u32 op)
{
	memset(c, 0, sizeof(*c));
	c->name = ptr(name);
	c->name_len = strlen(name);
	c->op = op;
	c->mode = op == LOCKDEV_SPACE_CREATE ? 0600 : KEEP;
	c->uid = KEEP;
	c->gid = KEEP;
}

/* LOCKDEV_IOC_SPACE on a session of its own: 0, or -1 with errno. */
static int ctl_call(struct lockdev_space_ctl *c)
{
	int fd = open_session(), ret, err;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, LOCKDEV_IOC_SPACE, c);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

static int create(const char *name, __u32 mode, __u32 order)
{
	struct lockdev_space_ctl c;

	ctl_init(&c, name, LOCKDEV_SPACE_CREATE);
	c.mode = mode;
	c.order_mode = order;
	return ctl_call(&c);
}

static int set_default(const char *name, __u32 order)
{
	struct lockdev_space_ctl c;

	ctl_init(&c, name, LOCKDEV_SPACE_SET);
	c.order_mode = order;
	return ctl_call(&c);
}

static int declare(const char *name, const char *prefix, __u32 level)
{
	struct lockdev_space_ctl c;

	ctl_init(&c, name, LOCKDEV_SPACE_LEVEL);
	c.prefix = ptr(prefix);
	c.prefix_len = strlen(prefix);
	c.level = level;
	return ctl_call(&c);
}

static int remove_space(const char *name)
{
	struct lockdev_space_ctl c;

	ctl_init(&c, name, LOCKDEV_SPACE_REMOVE);
	c.flags = LOCKDEV_SPACE_FORCE;
	return ctl_call(&c);
}

static int attach(int fd, const char *name)
{
	struct lockdev_attach a;

	memset(&a, 0, sizeof(a));
	a.name = ptr(name);
	a.name_len = strlen(name);
	a.flags = LOCKDEV_ATTACH_NOCREATE;
	return ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
}

/* A new session attached to @name, or -1. */
static int session_in(const char *name)
{
	int fd = open_session();

	if (fd >= 0 && attach(fd, name)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* LOCK @name in EXCLUSIVE at @level, without waiting: 0 or -1. */
static int lk(int fd, const char *name, __u32 level, __u32 *result)
{
	struct lockdev_lock l;

	lock_input(&l, name, LOCKDEV_MODE_EXCLUSIVE, LOCKDEV_LOCK_NONBLOCK);
	l.level = level;
	l.result = 0;
	if (ioctl(fd, LOCKDEV_IOC_LOCK, &l))
		return -1;
	if (result)
		*result = l.result;
	return 0;
}

/* The level LIST shows for @name in session @fd, or -1 if it is not there. */
static long listed_level(int fd, const char *name)
{
	struct lockdev_held h[16];
	struct lockdev_list l;
	__u32 i;

	if (list_call(fd, h, 16, &l))
		return -1;
	for (i = 0; i < l.nr_entries && i < 16; i++)
		if (h[i].name_len == strlen(name) &&
		    !memcmp(h[i].name, name, h[i].name_len))
			return h[i].level;
	return -1;
}

/* The mode SET_ORDER reports without changing it. */
static __u32 order_of(int fd)
{
	__u32 old = 0;

	return set_order(fd, 0, &old) ? 0 : old;
}

/* The lines of /proc/lockdev/levels of lockspace @name, "prefix level\n"... */
static char *levels_of(const char *name)
{
	char *buf = read_file(LEVELS), *line, *save = NULL, *out;
	size_t len = strlen(name), n = 0;

	if (!buf)
		return NULL;
	out = calloc(1, strlen(buf) + 1);
	for (line = strtok_r(buf, "\n", &save); out && line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, name, len) || line[len] != ' ')
			continue;
		n += sprintf(out + n, "%s\n", line + len + 1);
	}
	free(buf);
	return out;
}

/* The last field (order) of @name's line in /proc/lockdev/spaces. */
static bool order_column(const char *name, char *out, size_t size)
{
	char *buf = read_file(SPACES), *line, *save = NULL, *last;
	size_t len = strlen(name);
	bool found = false;

	if (!buf)
		return false;
	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, name, len) || line[len] != ' ')
			continue;
		last = strrchr(line, ' ');
		snprintf(out, size, "%s", last + 1);
		found = true;
	}
	free(buf);
	return found;
}

/* Run @fn(@arg) in a child that is @uid: its exit status, or -1. */
static int in_child(uid_t uid, int (*fn)(const void *), const void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(KID_SECS);
		if (uid && become(uid, GID_A))
			_exit(99);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

FIXTURE(space) {
	char name[64];
};

FIXTURE_SETUP(space)
{
	snprintf(self->name, sizeof(self->name), "levels-%s-%d",
		 _metadata->name, getpid());
	ASSERT_EQ(0, create(self->name, 0644, 0));
}

FIXTURE_TEARDOWN(space)
{
	remove_space(self->name);
}

TEST(struct_layout)
{
	/* VER1 ends where the cluster fields (VER2) start. */
	EXPECT_EQ(LOCKDEV_SPACE_CTL_SIZE_VER1,
		  offsetof(struct lockdev_space_ctl, cluster));
	EXPECT_EQ(40, offsetof(struct lockdev_space_ctl, prefix));
	EXPECT_EQ(32, offsetof(struct lockdev_space_ctl, order_mode));
	EXPECT_EQ(sizeof(struct lockdev_space_ctl),
		  _IOC_SIZE(LOCKDEV_IOC_SPACE));
	EXPECT_EQ(LOCKDEV_FEATURE_SPACE_LEVELS,
		  LOCKDEV_FEATURE_ALL & LOCKDEV_FEATURE_SPACE_LEVELS);
}

/* A caller of the first size still creates, and cannot give a prefix. */
TEST(size_ver0)
{
	unsigned int nr = _IOC_NR(LOCKDEV_IOC_SPACE);
	struct lockdev_space_ctl c;
	char name[64];
	int fd = open_session();

	ASSERT_LE(0, fd);
	snprintf(name, sizeof(name), "levels-ver0-%d", getpid());
	ctl_init(&c, name, LOCKDEV_SPACE_CREATE);
	c.prefix_len = 1;
	EXPECT_EQ(0, ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC,
				   nr, LOCKDEV_SPACE_CTL_SIZE_VER0), &c));
	ctl_init(&c, name, LOCKDEV_SPACE_LEVEL);
	c.prefix = ptr("a:");
	c.level = 3;
	c.prefix_len = 2;
	EXPECT_EQ(-1, ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC,
				    nr, LOCKDEV_SPACE_CTL_SIZE_VER0), &c));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, ioctl(fd, LOCKDEV_IOC_SPACE, &c));
	close(fd);
	EXPECT_EQ(0, remove_space(name));
}

/* Every malformed request: EINVAL, ENAMETOOLONG, EFAULT; nothing changes. */
TEST_F(space, bad_requests)
{
	char big[LOCKDEV_NAME_MAX + 2];
	struct lockdev_space_ctl c;
	char *text;

	ctl_init(&c, self->name, LOCKDEV_SPACE_SET);
	c.order_mode = LOCKDEV_ORDER_OFF + 1;
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(EINVAL, errno);
	ctl_init(&c, self->name, LOCKDEV_SPACE_SET);
	c.pad = 1;
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(EINVAL, errno);
	ctl_init(&c, self->name, LOCKDEV_SPACE_SET);
	c.level = 1;
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(EINVAL, errno);
	ctl_init(&c, self->name, LOCKDEV_SPACE_SET);
	c.prefix = ptr("a");
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(EINVAL, errno);
	ctl_init(&c, self->name, LOCKDEV_SPACE_CREATE);
	c.prefix_len = 1;
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(EINVAL, errno);
	ctl_init(&c, self->name, LOCKDEV_SPACE_REMOVE);
	c.order_mode = LOCKDEV_ORDER_WARN;
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(EINVAL, errno);

	ctl_init(&c, self->name, LOCKDEV_SPACE_LEVEL);
	c.prefix = ptr("a:");
	c.prefix_len = 2;
	c.level = 5;
	c.order_mode = LOCKDEV_ORDER_WARN;
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(EINVAL, errno);
	c.order_mode = 0;
	c.flags = LOCKDEV_SPACE_FORCE;
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(EINVAL, errno);
	c.flags = 0;
	c.prefix_len = 0;
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(EINVAL, errno);
	long_name(big, LOCKDEV_NAME_MAX + 1, "p");
	c.prefix = ptr(big);
	c.prefix_len = LOCKDEV_NAME_MAX + 1;
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(ENAMETOOLONG, errno);
	c.prefix = 8;
	c.prefix_len = 2;
	EXPECT_EQ(-1, ctl_call(&c));
	EXPECT_EQ(EFAULT, errno);

	text = levels_of(self->name);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ("", text);
	free(text);

	/* The longest prefix is fine. */
	c.prefix = ptr(big);
	c.prefix_len = LOCKDEV_NAME_MAX;
	EXPECT_EQ(0, ctl_call(&c));
}

/* ENOENT: no such lockspace, no such declaration. */
TEST_F(space, enoent)
{
	char other[96];

	snprintf(other, sizeof(other), "%s-none", self->name);
	EXPECT_EQ(-1, declare(other, "a:", 1));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, set_default(other, LOCKDEV_ORDER_WARN));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, declare(self->name, "a:", 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, declare(self->name, "a:", 7));
	EXPECT_EQ(-1, declare(self->name, "a", 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, declare(self->name, "a:", 0));
	EXPECT_EQ(-1, declare(self->name, "a:", 0));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * A level-0 request takes its declared level, shown by LIST and
 * /proc/lockdev/locks; the order is checked at it: strict refuses the
 * inversion with EDEADLK and LOCKDEV_RESULT_ORDER.
 */
TEST_F(space, declared_strict)
{
	struct lockdev_cycle_member m[2];
	struct locks_line *lines = NULL;
	struct lockdev_deadlock d;
	struct lockdev_lock l;
	__u32 result = 0;
	char *text;
	int fd, n;

	ASSERT_EQ(0, declare(self->name, "mailbox:", 20));
	ASSERT_EQ(0, declare(self->name, "index:", 40));
	fd = session_in(self->name);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lk(fd, "index:u1", 0, &result));
	EXPECT_EQ(0, result);
	EXPECT_EQ(40, listed_level(fd, "index:u1"));

	text = read_file(LOCKS);
	ASSERT_NE(NULL, text);
	n = read_locks(text, self->name, &lines);
	ASSERT_EQ(1, n);
	EXPECT_EQ(40, lines[0].level);
	free(lines);
	free(text);

	EXPECT_EQ(-1, lk(fd, "mailbox:u1", 0, NULL));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(-1, listed_level(fd, "mailbox:u1"));
	ASSERT_EQ(0, deadlock_call(fd, &d, m, 2));
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, d.reason);
	ASSERT_EQ(1, d.nr_members);
	EXPECT_EQ(40, m[0].held_level);
	EXPECT_EQ(20, m[0].wait_level);

	/* Its result says why. */
	lock_input(&l, "mailbox:u1", LOCKDEV_MODE_EXCLUSIVE,
		   LOCKDEV_LOCK_NONBLOCK);
	EXPECT_EQ(-1, ioctl(fd, LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, l.result);
	/* Unranked names are not checked; a higher declared level is fine. */
	EXPECT_EQ(0, lk(fd, "other", 0, NULL));
	EXPECT_EQ(0, listed_level(fd, "other"));
	EXPECT_EQ(0, declare(self->name, "zz:", 50));
	EXPECT_EQ(0, lk(fd, "zz:1", 0, NULL));
	EXPECT_EQ(50, listed_level(fd, "zz:1"));
	close(fd);
}

/* In warn mode (the lockspace's default) the inversion is granted, flagged. */
TEST_F(space, declared_warn)
{
	long long before = stat_value("order_violations");
	__u32 result = 0;
	int fd;

	ASSERT_EQ(0, declare(self->name, "mailbox:", 20));
	ASSERT_EQ(0, declare(self->name, "index:", 40));
	ASSERT_EQ(0, set_default(self->name, LOCKDEV_ORDER_WARN));
	fd = session_in(self->name);
	ASSERT_LE(0, fd);
	EXPECT_EQ(LOCKDEV_ORDER_WARN, order_of(fd));
	ASSERT_EQ(0, lk(fd, "index:u1", 0, &result));
	ASSERT_EQ(0, lk(fd, "mailbox:u1", 0, &result));
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, result & LOCKDEV_RESULT_ORDER);
	EXPECT_EQ(20, listed_level(fd, "mailbox:u1"));
	EXPECT_LT(before, stat_value("order_violations"));
	close(fd);
}

/* The longest matching prefix wins; an explicit level wins over it. */
TEST_F(space, longest_and_explicit)
{
	int fd;

	ASSERT_EQ(0, declare(self->name, "mail", 10));
	ASSERT_EQ(0, declare(self->name, "mailbox:", 20));
	ASSERT_EQ(0, declare(self->name, "mailbox:user.", 30));
	fd = session_in(self->name);
	ASSERT_LE(0, fd);
	/* In the order, so that strict mode grants them all. */
	ASSERT_EQ(0, lk(fd, "mai", 0, NULL));
	ASSERT_EQ(0, lk(fd, "mail:queue", 0, NULL));
	ASSERT_EQ(0, lk(fd, "mailbox:shared", 0, NULL));
	ASSERT_EQ(0, lk(fd, "mailbox:user.a", 0, NULL));
	ASSERT_EQ(0, lk(fd, "mailbox:user.b", 77, NULL));
	EXPECT_EQ(30, listed_level(fd, "mailbox:user.a"));
	EXPECT_EQ(20, listed_level(fd, "mailbox:shared"));
	EXPECT_EQ(10, listed_level(fd, "mail:queue"));
	EXPECT_EQ(0, listed_level(fd, "mai"));
	EXPECT_EQ(77, listed_level(fd, "mailbox:user.b"));
	close(fd);
}

/* A lock set sorts by the declared levels: both orders of items succeed. */
TEST_F(space, lock_set)
{
	struct lockdev_set_item it[3];
	struct lockdev_lock_set s;
	int fd;

	ASSERT_EQ(0, declare(self->name, "a:", 30));
	ASSERT_EQ(0, declare(self->name, "b:", 10));
	fd = session_in(self->name);
	ASSERT_LE(0, fd);
	set_item(&it[0], "a:1", LOCKDEV_MODE_EXCLUSIVE, 0);
	set_item(&it[1], "b:1", LOCKDEV_MODE_EXCLUSIVE, 0);
	set_item(&it[2], "a:1", LOCKDEV_MODE_SHARED, 30);
	ASSERT_EQ(0, set_call(fd, it, 3, 0, 0, &s));
	EXPECT_EQ(30, listed_level(fd, "a:1"));
	EXPECT_EQ(10, listed_level(fd, "b:1"));
	EXPECT_EQ(0, unlock_name(fd, "a:1"));
	EXPECT_EQ(0, unlock_name(fd, "b:1"));
	/* The same name at its declared level and another: EINVAL. */
	set_item(&it[0], "a:1", LOCKDEV_MODE_EXCLUSIVE, 0);
	set_item(&it[1], "a:1", LOCKDEV_MODE_EXCLUSIVE, 31);
	EXPECT_EQ(-1, set_call(fd, it, 2, 0, 0, &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, s.failed);
	close(fd);
}

/* A conversion from NONE is checked at the level its request got. */
TEST_F(space, convert_keeps_level)
{
	struct lockdev_convert cv;
	struct lockdev_lock l;
	int fd;

	ASSERT_EQ(0, declare(self->name, "low:", 5));
	ASSERT_EQ(0, declare(self->name, "high:", 50));
	fd = session_in(self->name);
	ASSERT_LE(0, fd);
	lock_input(&l, "low:1", LOCKDEV_MODE_NONE, 0);
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(5, listed_level(fd, "low:1"));
	ASSERT_EQ(0, lk(fd, "high:1", 0, NULL));
	memset(&cv, 0, sizeof(cv));
	cv.handle = l.handle;
	cv.mode = LOCKDEV_MODE_EXCLUSIVE;
	cv.flags = LOCKDEV_LOCK_NONBLOCK;
	EXPECT_EQ(-1, ioctl(fd, LOCKDEV_IOC_CONVERT, &cv));
	EXPECT_EQ(EDEADLK, errno);
	EXPECT_EQ(LOCKDEV_RESULT_ORDER, cv.result);
	close(fd);
}

/* Removing a declaration, or changing its level, applies to later requests. */
TEST_F(space, remove_and_change)
{
	char *text;
	int fd;

	ASSERT_EQ(0, declare(self->name, "a:", 10));
	fd = session_in(self->name);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lk(fd, "a:1", 0, NULL));
	ASSERT_EQ(0, declare(self->name, "a:", 12));
	ASSERT_EQ(0, lk(fd, "a:2", 0, NULL));
	ASSERT_EQ(0, declare(self->name, "a:", 0));
	ASSERT_EQ(0, lk(fd, "a:3", 0, NULL));
	EXPECT_EQ(10, listed_level(fd, "a:1"));
	EXPECT_EQ(12, listed_level(fd, "a:2"));
	EXPECT_EQ(0, listed_level(fd, "a:3"));
	text = levels_of(self->name);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ("", text);
	free(text);
	close(fd);
}

/* At most LOCKDEV_SPACE_LEVELS_MAX; beyond, ENOSPC, but changes still go. */
TEST_F(space, limit)
{
	char prefix[32];
	int i;

	for (i = 0; i < LOCKDEV_SPACE_LEVELS_MAX; i++) {
		snprintf(prefix, sizeof(prefix), "p%02d:", i);
		ASSERT_EQ(0, declare(self->name, prefix, i + 1));
	}
	EXPECT_EQ(-1, declare(self->name, "one-more:", 1));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0, declare(self->name, "p00:", 99));
	EXPECT_EQ(0, declare(self->name, "p01:", 0));
	EXPECT_EQ(0, declare(self->name, "one-more:", 1));
	EXPECT_EQ(-1, declare(self->name, "two-more:", 1));
	EXPECT_EQ(ENOSPC, errno);
}

#define RACERS	2
#define ROUNDS	20

/*
 * Declarations made by two processes at once, each change allocated
 * before the lockspaces' mutex and made under it if the array still fits:
 * none is lost, and the limit still holds.
 */
TEST_F(space, racing_declarations)
{
	int per = LOCKDEV_SPACE_LEVELS_MAX / RACERS, i, j, r, n = 0;
	char prefix[32], *text, *p;
	pid_t pid[RACERS];

	for (r = 0; r < RACERS; r++) {
		pid[r] = fork();
		ASSERT_LE(0, pid[r]);
		if (pid[r])
			continue;
		for (j = 0; j < ROUNDS; j++)
			for (i = 0; i < per; i++) {
				snprintf(prefix, sizeof(prefix), "r%d-%02d:",
					 r, i);
				if (declare(self->name, prefix, j + 1))
					_exit(1);
			}
		_exit(0);
	}
	for (r = 0; r < RACERS; r++)
		EXPECT_EQ(0, reap(pid[r], KID_SECS * 1000));
	text = levels_of(self->name);
	ASSERT_NE(NULL, text);
	for (p = text; (p = strchr(p, '\n')); p++)
		n++;
	EXPECT_EQ(LOCKDEV_SPACE_LEVELS_MAX, n) TH_LOG("%s", text);
	snprintf(prefix, sizeof(prefix), "r1-%02d: %d\n", per - 1, ROUNDS);
	EXPECT_NE(NULL, strstr(text, prefix)) TH_LOG("%s", text);
	free(text);
	EXPECT_EQ(-1, declare(self->name, "one-more:", 1));
	EXPECT_EQ(ENOSPC, errno);
}

/* /proc/lockdev/levels: sorted by prefix, escaped; header. */
TEST_F(space, proc_levels)
{
	char *text;

	ASSERT_EQ(0, declare(self->name, "b:", 2));
	ASSERT_EQ(0, declare(self->name, "a b\\", 1));
	ASSERT_EQ(0, declare(self->name, "a", 3));
	text = levels_of(self->name);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ("a 3\na\\040b\\134 1\nb: 2\n", text);
	free(text);
	text = read_file(LEVELS);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(0, strncmp(text, "# lockdev levels 1\n# lockspace prefix level\n",
			     44)) TH_LOG("%s", text);
	free(text);
}

static int kid_sees_levels(const void *name)
{
	char *text = levels_of(name);
	int ret = !text ? 98 : text[0] ? 1 : 0;

	free(text);
	return ret;
}

/* /proc/lockdev/levels shows a lockspace only to who may read it. */
TEST_F(space, proc_visibility)
{
	struct lockdev_space_ctl c;

	ASSERT_EQ(0, declare(self->name, "a:", 1));
	EXPECT_EQ(1, in_child(UID_A, kid_sees_levels, self->name));
	ctl_init(&c, self->name, LOCKDEV_SPACE_SET);
	c.mode = 0600;
	ASSERT_EQ(0, ctl_call(&c));
	EXPECT_EQ(0, in_child(UID_A, kid_sees_levels, self->name));
	EXPECT_EQ(1, in_child(0, kid_sees_levels, self->name));
}

static int kid_declare(const void *name)
{
	return declare(name, "k:", 4) ? errno : 0;
}

static int kid_set_default(const void *name)
{
	return set_default(name, LOCKDEV_ORDER_OFF) ? errno : 0;
}

/* Declaring and the default need the owner, or CAP_SYS_ADMIN. */
TEST_F(space, permission)
{
	struct lockdev_space_ctl c;
	char *text;

	EXPECT_EQ(EPERM, in_child(UID_A, kid_declare, self->name));
	EXPECT_EQ(EPERM, in_child(UID_A, kid_set_default, self->name));
	text = levels_of(self->name);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ("", text);
	free(text);
	ctl_init(&c, self->name, LOCKDEV_SPACE_SET);
	c.uid = UID_A;
	ASSERT_EQ(0, ctl_call(&c));
	EXPECT_EQ(0, in_child(UID_A, kid_declare, self->name));
	EXPECT_EQ(0, in_child(UID_A, kid_set_default, self->name));
	text = levels_of(self->name);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ("k: 4\n", text);
	free(text);
}

/*
 * A session starts in its lockspace's default as it attaches, unless it
 * set a mode before; changing the default leaves attached sessions.
 */
TEST_F(space, order_default)
{
	char col[16];
	__u32 old;
	int a, b, c, d;

	ASSERT_TRUE(order_column(self->name, col, sizeof(col)));
	EXPECT_STREQ("strict", col);
	ASSERT_EQ(0, set_default(self->name, LOCKDEV_ORDER_WARN));
	ASSERT_TRUE(order_column(self->name, col, sizeof(col)));
	EXPECT_STREQ("warn", col);

	a = open_session();
	b = open_session();
	d = open_session();
	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_LE(0, d);
	EXPECT_EQ(LOCKDEV_ORDER_STRICT, order_of(a));
	ASSERT_EQ(0, attach(a, self->name));
	EXPECT_EQ(LOCKDEV_ORDER_WARN, order_of(a));

	ASSERT_EQ(0, set_order(b, LOCKDEV_ORDER_STRICT, &old));
	EXPECT_EQ(LOCKDEV_ORDER_STRICT, old);
	ASSERT_EQ(0, attach(b, self->name));
	EXPECT_EQ(LOCKDEV_ORDER_STRICT, order_of(b));

	/* SET with order_mode 0 keeps the default. */
	ASSERT_EQ(0, set_default(self->name, 0));
	ASSERT_TRUE(order_column(self->name, col, sizeof(col)));
	EXPECT_STREQ("warn", col);
	ASSERT_EQ(0, set_default(self->name, LOCKDEV_ORDER_OFF));
	EXPECT_EQ(LOCKDEV_ORDER_WARN, order_of(a));
	c = session_in(self->name);
	ASSERT_LE(0, c);
	EXPECT_EQ(LOCKDEV_ORDER_OFF, order_of(c));

	/* A default lockspace starts strict. */
	ASSERT_EQ(0, lk(d, "levels-default", 0, NULL));
	EXPECT_EQ(LOCKDEV_ORDER_STRICT, order_of(d));
	close(a);
	close(b);
	close(c);
	close(d);
}

/* CREATE takes the default too. */
TEST(create_with_default)
{
	char name[64], col[16];
	int fd;

	snprintf(name, sizeof(name), "levels-create-%d", getpid());
	ASSERT_EQ(0, create(name, 0600, LOCKDEV_ORDER_OFF));
	ASSERT_TRUE(order_column(name, col, sizeof(col)));
	EXPECT_STREQ("off", col);
	fd = session_in(name);
	ASSERT_LE(0, fd);
	EXPECT_EQ(LOCKDEV_ORDER_OFF, order_of(fd));
	close(fd);
	EXPECT_EQ(0, remove_space(name));
}

/* liblockdev: lockdev_space_set_order() and lockdev_space_level(). */
TEST_F(space, lib_calls)
{
	struct lockdev *ld;
	unsigned int old;
	char *text;

	EXPECT_EQ(0, lockdev_space_level(self->name, "mailbox:", 20));
	EXPECT_EQ(0, lockdev_space_level(self->name, "index:", 40));
	EXPECT_EQ(-ENOENT, lockdev_space_level(self->name, "none:", 0));
	EXPECT_EQ(-EINVAL, lockdev_space_level(self->name, "", 1));
	EXPECT_EQ(-EINVAL, lockdev_space_level(self->name, NULL, 1));
	EXPECT_EQ(-EINVAL, lockdev_space_level(NULL, "a", 1));
	EXPECT_EQ(0, lockdev_space_level(self->name, "index:", 0));
	text = levels_of(self->name);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ("mailbox: 20\n", text);
	free(text);

	EXPECT_EQ(0, lockdev_space_set_order(self->name, LOCKDEV_ORDER_WARN));
	EXPECT_EQ(-EINVAL, lockdev_space_set_order(self->name, 0));
	EXPECT_EQ(-EINVAL, lockdev_space_set_order(self->name, 9));
	EXPECT_EQ(-ENOENT, lockdev_space_set_order("levels-no-such-space",
						   LOCKDEV_ORDER_OFF));
	ASSERT_EQ(0, lockdev_open_space(&ld, self->name, 0,
					LOCKDEV_OPEN_NOCREATE));
	ASSERT_EQ(0, lockdev_set_order(ld, 0, &old));
	EXPECT_EQ(LOCKDEV_ORDER_WARN, old);
	lockdev_close(ld);
}

TEST_HARNESS_MAIN
