// SPDX-License-Identifier: GPL-2.0
/*
 * Persistent lockspaces: LOCKDEV_IOC_SPACE's CREATE, SET and REMOVE, their
 * errors and permissions; what a persistent lockspace keeps with no session
 * attached (a lock's generation and value, a learned order edge); SET
 * changing who may attach later; forced removal, which ends the waits of
 * its locks and fails its sessions' later calls with EIDRM; and a
 * persistent lockspace going with its IPC namespace.
 *
 * Tests run as root. Other uids are played by forked children that drop to
 * them; every child dies by SIGALRM after KID_SECS and every wait for one
 * is bounded, so a broken module fails a test, never hangs it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
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

#define SPACES		"/proc/lockdev/spaces"
#define ORDER		"/proc/lockdev/order"
#define PARAMS		"/sys/module/lockdev/parameters/"
#define KEEP		LOCKDEV_SPACE_KEEP
#define KID_SECS	60

/* Unprivileged ids the children take. */
#define UID_A		1001
/* A uid of the quota test's alone: no other test leaves it lockspaces. */
#define UID_QUOTA	1031
#define UID_B		1002
#define GID_A		1001

/* LOCKDEV_IOC_SPACE on a session of its own: 0, or -1 with errno. */
static int ctl(const char *name, __u32 op, __u32 flags, __u32 mode,
	       __u32 uid, __u32 gid)
{
	int fd = open_session(), ret, err;

	if (fd < 0)
		return -1;
	ret = space_ctl_call(fd, name, strlen(name), op, flags, mode, uid, gid);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

static int create(const char *name, __u32 mode)
{
	return ctl(name, LOCKDEV_SPACE_CREATE, 0, mode, KEEP, KEEP);
}

static int set_mode(const char *name, __u32 mode)
{
	return ctl(name, LOCKDEV_SPACE_SET, 0, mode, KEEP, KEEP);
}

static int remove_space(const char *name, __u32 flags)
{
	return ctl(name, LOCKDEV_SPACE_REMOVE, flags, KEEP, KEEP, KEEP);
}

/* LOCK without the outputs. */
static int lk(int fd, const char *name, __u32 mode, __u32 flags)
{
	struct lockdev_lock l;

	return lock_call(fd, name, mode, flags, &l);
}

/* A new session attached to @name (NOCREATE), or -1. */
static int session_in(const char *name)
{
	int fd = open_session();

	if (fd >= 0 && attach_space(fd, name, LOCKDEV_ATTACH_NOCREATE, 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Does a line of @path start with @prefix? 1 yes, 0 no, -1 unreadable. */
static int has_line(const char *path, const char *prefix)
{
	char *buf = read_file(path), *line, *save = NULL;
	int found = 0;

	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save))
		found = !strncmp(line, prefix, strlen(prefix));
	free(buf);
	return found;
}

/* The line of @name in /proc/lockdev/spaces, from its uid on, in @out. */
static bool space_line(const char *name, char *out, size_t size)
{
	char *buf = read_file(SPACES), *line, *save = NULL;
	size_t len = strlen(name);
	bool found = false;

	if (!buf)
		return false;
	for (line = strtok_r(buf, "\n", &save); line && !found;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, name, len) || line[len] != ' ')
			continue;
		snprintf(out, size, "%s", line + len + 1);
		found = true;
	}
	free(buf);
	return found;
}

/* Wait up to WAIT_MS for @name to leave /proc/lockdev/spaces. */
static bool space_gone(const char *name)
{
	char line[256];
	int waited;

	for (waited = 0; space_line(name, line, sizeof(line)); waited += 5) {
		if (waited >= WAIT_MS)
			return false;
		sleep_ms(5);
	}
	return true;
}

/*
 * Run @fn(@arg) in a child that is @uid and @gid (root stays root for 0),
 * dying by SIGALRM after KID_SECS: its exit status, or -1 if it died.
 */
static int in_child(uid_t uid, gid_t gid, int (*fn)(const void *),
		    const void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(KID_SECS);
		if (uid && become(uid, gid))
			_exit(99);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Child bodies: the errno of their call, or 0. */
static int kid_create(const void *name)
{
	return create(name, 0600) ? errno : 0;
}

static int kid_set_mode(const void *name)
{
	return set_mode(name, 0666) ? errno : 0;
}

static int kid_give_to_b(const void *name)
{
	return ctl(name, LOCKDEV_SPACE_SET, 0, KEEP, UID_B, KEEP) ? errno : 0;
}

static int kid_make_persistent(const void *name)
{
	return ctl(name, LOCKDEV_SPACE_SET, LOCKDEV_SPACE_PERSISTENT, KEEP,
		   KEEP, KEEP) ? errno : 0;
}

static int kid_replace(const void *name)
{
	return ctl(name, LOCKDEV_SPACE_CREATE, LOCKDEV_SPACE_REPLACE, 0600,
		   KEEP, KEEP) ? errno : 0;
}

static int kid_remove(const void *name)
{
	return remove_space(name, 0) ? errno : 0;
}

static int kid_attach(const void *name)
{
	int fd = open_session(), ret;

	if (fd < 0)
		return 98;
	ret = attach_space(fd, name, LOCKDEV_ATTACH_NOCREATE, 0) ? errno : 0;
	close(fd);
	return ret;
}

/* In a new user namespace mapping only root: an id it cannot map. */
static int kid_unmapped(const void *name)
{
	if (unshare(CLONE_NEWUSER) ||
	    write_str("/proc/self/setgroups", "deny") ||
	    write_str("/proc/self/uid_map", "0 0 1") ||
	    write_str("/proc/self/gid_map", "0 0 1"))
		return 97;
	return ctl(name, LOCKDEV_SPACE_CREATE, 0, 0600, 5, KEEP) ? errno : 0;
}

TEST(struct_layout)
{
	EXPECT_EQ(LOCKDEV_SPACE_CTL_SIZE_VER2,
		  sizeof(struct lockdev_space_ctl));
	EXPECT_EQ(LOCKDEV_SPACE_CTL_SIZE_VER2, _IOC_SIZE(LOCKDEV_IOC_SPACE));
	EXPECT_EQ(_IOC_READ | _IOC_WRITE, _IOC_DIR(LOCKDEV_IOC_SPACE));
	EXPECT_EQ(LOCKDEV_SPACE_CTL_SIZE_VER1,
		  offsetof(struct lockdev_space_ctl, cluster));
	EXPECT_EQ(64, offsetof(struct lockdev_space_ctl, cluster_len));
}

/* Every malformed request fails with EINVAL, or ENAMETOOLONG. */
TEST(bad_requests)
{
	char name[64], big[LOCKDEV_NAME_MAX + 2];
	struct lockdev_space_ctl c;
	int fd = open_session();

	ASSERT_LE(0, fd);
	snprintf(name, sizeof(name), "persist-bad-%d", getpid());
	EXPECT_EQ(-1, ctl(name, 0, 0, 0600, KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctl(name, 5, 0, 0600, KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctl(name, LOCKDEV_SPACE_CREATE,
			  LOCKDEV_SPACE_PERSISTENT, 0600, KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctl(name, LOCKDEV_SPACE_CREATE, 0, 01000, KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctl(name, LOCKDEV_SPACE_CREATE, 0, KEEP, KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctl(name, LOCKDEV_SPACE_SET, LOCKDEV_SPACE_PERSISTENT |
			  LOCKDEV_SPACE_TRANSIENT, KEEP, KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctl(name, LOCKDEV_SPACE_SET, LOCKDEV_SPACE_FORCE, KEEP,
			  KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctl(name, LOCKDEV_SPACE_SET, 0, 01000, KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctl(name, LOCKDEV_SPACE_REMOVE, 0x8, KEEP, KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ctl(name, LOCKDEV_SPACE_REMOVE,
			  LOCKDEV_SPACE_PERSISTENT, KEEP, KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);

	memset(&c, 0, sizeof(c));
	c.name = ptr(name);
	c.name_len = strlen(name);
	c.op = LOCKDEV_SPACE_CREATE;
	c.mode = 0600;
	c.uid = KEEP;
	c.gid = KEEP;
	c.pad = 1;
	EXPECT_EQ(-1, ioctl(fd, LOCKDEV_IOC_SPACE, &c));
	EXPECT_EQ(EINVAL, errno);
	c.pad = 0;
	EXPECT_EQ(-1, ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC,
				    _IOC_NR(LOCKDEV_IOC_SPACE), 40), &c));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(-1, space_ctl_call(fd, name, 0, LOCKDEV_SPACE_CREATE, 0,
				     0600, KEEP, KEEP));
	EXPECT_EQ(EINVAL, errno);
	long_name(big, LOCKDEV_NAME_MAX + 1, "persist-long");
	EXPECT_EQ(-1, space_ctl_call(fd, big, LOCKDEV_NAME_MAX + 1,
				     LOCKDEV_SPACE_CREATE, 0, 0600, KEEP, KEEP));
	EXPECT_EQ(ENAMETOOLONG, errno);
	long_name(big, LOCKDEV_NAME_MAX, "persist-long");
	EXPECT_EQ(0, space_ctl_call(fd, big, LOCKDEV_NAME_MAX,
				    LOCKDEV_SPACE_CREATE, 0, 0600, KEEP, KEEP));
	EXPECT_EQ(0, space_ctl_call(fd, big, LOCKDEV_NAME_MAX,
				    LOCKDEV_SPACE_REMOVE, 0, KEEP, KEEP, KEEP));

	/* Nothing was created by a failed call. */
	EXPECT_EQ(-1, remove_space(name, 0));
	EXPECT_EQ(ENOENT, errno);
	/* An id that does not map into the caller's user namespace. */
	EXPECT_EQ(EINVAL, in_child(0, 0, kid_unmapped, name));
	close(fd);
}

/*
 * CREATE makes a lockspace that exists with no session, EEXIST the second
 * time; SET changes it as /proc/lockdev/spaces shows; REMOVE ends it; SET
 * and REMOVE of a missing name fail with ENOENT.
 */
TEST(create_set_remove)
{
	long long spaces = stat_value("lockspaces");
	char name[64], line[256], want[128];

	ASSERT_LE(0, spaces);
	snprintf(name, sizeof(name), "persist-csr-%d", getpid());
	ASSERT_EQ(0, create(name, 0640));
	EXPECT_EQ(spaces + 1, stat_value("lockspaces"));
	EXPECT_EQ(-1, create(name, 0640));
	EXPECT_EQ(EEXIST, errno);
	ASSERT_TRUE(space_line(name, line, sizeof(line)));
	EXPECT_STREQ("0 0 0640 0 0 0 persistent strict", line);

	ASSERT_EQ(0, ctl(name, LOCKDEV_SPACE_SET, 0, 0604, UID_A, GID_A));
	ASSERT_TRUE(space_line(name, line, sizeof(line)));
	snprintf(want, sizeof(want), "%d %d 0604 0 0 0 persistent strict", UID_A,
		 GID_A);
	EXPECT_STREQ(want, line);
	/* KEEP leaves each field; the mode alone changes. */
	ASSERT_EQ(0, set_mode(name, 0600));
	ASSERT_TRUE(space_line(name, line, sizeof(line)));
	snprintf(want, sizeof(want), "%d %d 0600 0 0 0 persistent strict", UID_A,
		 GID_A);
	EXPECT_STREQ(want, line);

	ASSERT_EQ(0, remove_space(name, 0));
	EXPECT_EQ(spaces, wait_stat("lockspaces", spaces));
	EXPECT_FALSE(space_line(name, line, sizeof(line)));
	EXPECT_EQ(-1, set_mode(name, 0600));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, remove_space(name, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, session_in(name));
	EXPECT_EQ(ENOENT, errno);
}

/*
 * With every session gone a persistent lockspace keeps its idle lock (its
 * generation and value) and its learned order edge; once SET makes it
 * transient again, it goes.
 */
TEST(keeps_state)
{
	char name[64], edge[128], line[256];
	struct lockdev_unlock un;
	struct lockdev_query q;
	struct lockdev_lock l;
	__u64 gen;
	int fd;

	snprintf(name, sizeof(name), "persist-keep-%d", getpid());
	snprintf(edge, sizeof(edge), "edge %s pa pb ", name);
	ASSERT_EQ(0, create(name, 0600));
	fd = session_in(name);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lock_call(fd, "pa:1", LOCKDEV_MODE_EXCLUSIVE, 0, &l));
	ASSERT_EQ(0, lk(fd, "pb:1", LOCKDEV_MODE_SHARED, 0));
	EXPECT_EQ(0, unlock_name(fd, "pb:1"));
	memset(&un, 0, sizeof(un));
	un.handle = l.handle;
	un.flags = LOCKDEV_UNLOCK_SET_VALUE;
	memcpy(un.value, "kept", 4);
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_UNLOCK, &un));
	ASSERT_EQ(0, query(fd, "pa:1", &q, NULL, 0));
	gen = q.generation;
	EXPECT_NE(0, gen);
	close(fd);

	/* The lockspace is left with no session, its lock idle. */
	ASSERT_TRUE(space_line(name, line, sizeof(line)));
	EXPECT_STREQ("0 0 0600 0 0 2 persistent strict", line);
	EXPECT_EQ(1, has_line(ORDER, edge));
	fd = session_in(name);
	ASSERT_LE(0, fd);
	memset(&q, 0, sizeof(q));
	q.name = ptr("pa:1");
	q.name_len = 4;
	q.flags = LOCKDEV_QUERY_VALUE;
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_QUERY, &q));
	EXPECT_EQ(gen, q.generation);
	EXPECT_EQ(LOCKDEV_QUERY_IDLE, q.lock_flags);
	EXPECT_EQ(0, memcmp(q.value, "kept", 4));
	close(fd);

	ASSERT_EQ(0, ctl(name, LOCKDEV_SPACE_SET, LOCKDEV_SPACE_TRANSIENT,
			 KEEP, KEEP, KEEP));
	EXPECT_FALSE(space_line(name, line, sizeof(line)));
	EXPECT_EQ(0, has_line(ORDER, edge));
	EXPECT_EQ(-1, session_in(name));
	EXPECT_EQ(ENOENT, errno);
}

/* SET PERSISTENT keeps a lockspace that ATTACH created past its sessions. */
TEST(set_persistent)
{
	char name[64], line[256];
	int fd = open_session();

	ASSERT_LE(0, fd);
	snprintf(name, sizeof(name), "persist-set-%d", getpid());
	ASSERT_EQ(0, attach_space(fd, name, 0, 0640));
	ASSERT_TRUE(space_line(name, line, sizeof(line)));
	EXPECT_STREQ("0 0 0640 1 0 0 transient strict", line);
	ASSERT_EQ(0, ctl(name, LOCKDEV_SPACE_SET, LOCKDEV_SPACE_PERSISTENT,
			 KEEP, KEEP, KEEP));
	/* A second time changes nothing. */
	ASSERT_EQ(0, ctl(name, LOCKDEV_SPACE_SET, LOCKDEV_SPACE_PERSISTENT,
			 KEEP, KEEP, KEEP));
	close(fd);
	ASSERT_TRUE(space_line(name, line, sizeof(line)));
	EXPECT_STREQ("0 0 0640 0 0 0 persistent strict", line);
	fd = session_in(name);
	EXPECT_LE(0, fd);
	/* REMOVE while a session is attached: EBUSY. */
	EXPECT_EQ(-1, remove_space(name, 0));
	EXPECT_EQ(EBUSY, errno);
	close(fd);
	EXPECT_EQ(0, remove_space(name, 0));
	EXPECT_FALSE(space_line(name, line, sizeof(line)));
}

/*
 * Who may do what: CREATE and SET PERSISTENT need CAP_SYS_ADMIN; SET and
 * REMOVE need the owner; giving a lockspace away needs CAP_CHOWN.
 */
TEST(permissions)
{
	char name[64];

	snprintf(name, sizeof(name), "persist-perm-%d", getpid());
	EXPECT_EQ(EPERM, in_child(UID_A, GID_A, kid_create, name));
	EXPECT_EQ(-1, remove_space(name, 0));
	EXPECT_EQ(ENOENT, errno);

	ASSERT_EQ(0, create(name, 0600));
	EXPECT_EQ(EPERM, in_child(UID_A, GID_A, kid_set_mode, name));
	EXPECT_EQ(EPERM, in_child(UID_A, GID_A, kid_remove, name));
	EXPECT_EQ(ENOENT, in_child(UID_A, GID_A, kid_remove, "persist-none"));

	/* Root gives it to UID_A, who may then change and remove it. */
	ASSERT_EQ(0, ctl(name, LOCKDEV_SPACE_SET, 0, KEEP, UID_A, KEEP));
	EXPECT_EQ(EPERM, in_child(UID_A, GID_A, kid_give_to_b, name));
	EXPECT_EQ(EPERM, in_child(UID_A, GID_A, kid_make_persistent, name));
	EXPECT_EQ(0, in_child(UID_A, GID_A, kid_set_mode, name));
	EXPECT_EQ(EPERM, in_child(UID_B, UID_B, kid_remove, name));
	EXPECT_EQ(0, in_child(UID_A, GID_A, kid_remove, name));
	EXPECT_EQ(-1, remove_space(name, 0));
	EXPECT_EQ(ENOENT, errno);
}

/* SET applies to sessions that attach later; attached ones keep theirs. */
TEST(set_applies_later)
{
	int to_kid[2], from_kid[2], st, fd;
	char name[64], b;
	pid_t pid;

	snprintf(name, sizeof(name), "persist-later-%d", getpid());
	ASSERT_EQ(0, create(name, 0600));
	EXPECT_EQ(EACCES, in_child(UID_A, GID_A, kid_attach, name));
	ASSERT_EQ(0, set_mode(name, 0604));
	EXPECT_EQ(0, in_child(UID_A, GID_A, kid_attach, name));
	ASSERT_EQ(0, ctl(name, LOCKDEV_SPACE_SET, 0, 0660, KEEP, GID_A));
	EXPECT_EQ(0, in_child(UID_A, GID_A, kid_attach, name));
	EXPECT_EQ(EACCES, in_child(UID_B, UID_B, kid_attach, name));

	/* UID_A attaches with write permission, and keeps it. */
	ASSERT_EQ(0, pipe(to_kid));
	ASSERT_EQ(0, pipe(from_kid));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KID_SECS);
		if (become(UID_A, GID_A))
			_exit(99);
		fd = session_in(name);
		if (fd < 0 || write(from_kid[1], "a", 1) != 1 ||
		    read(to_kid[0], &b, 1) != 1)
			_exit(98);
		_exit(lk(fd, "later", LOCKDEV_MODE_EXCLUSIVE, 0) ? errno : 0);
	}
	ASSERT_EQ(1, read(from_kid[0], &b, 1));
	ASSERT_EQ(0, set_mode(name, 0600));
	EXPECT_EQ(EACCES, in_child(UID_A, GID_A, kid_attach, name));
	ASSERT_EQ(1, write(to_kid[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(to_kid[0]);
	close(to_kid[1]);
	close(from_kid[0]);
	close(from_kid[1]);
	/*
	 * The lock the kid died holding keeps the removed lockspace until
	 * the collector drops it: wait, so that no later test counts it.
	 */
	EXPECT_EQ(0, remove_space(name, 0));
	EXPECT_TRUE(space_gone(name));
}

/*
 * Forced removal: a waiter in another process fails with EIDRM, so does an
 * asynchronous request's completion; the holder's next LOCK and QUERY fail
 * with EIDRM while its UNLOCK and close still work; the name is free for a
 * new, empty lockspace at once.
 */
/*
 * A child that attaches to lockspace @space and blocks asking @name in
 * @mode; it exits 0 when told EIDRM, else with the errno it got or 97/98.
 * Return its pid, or -1.
 */
static pid_t waiter_told_eidrm(const char *space, const char *name,
			       __u32 mode)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	alarm(KID_SECS);
	fd = session_in(space);
	if (fd < 0)
		_exit(98);
	if (!lk(fd, name, mode, 0))
		_exit(97);
	_exit(errno == EIDRM ? 0 : errno);
}

TEST(force_remove)
{
	long long spaces = stat_value("lockspaces");
	int holder, async, fresh, st;
	struct lockdev_completion c;
	struct lockdev_lock l;
	struct lockdev_query q;
	char name[64], line[256];
	pid_t pid;

	ASSERT_LE(0, spaces);
	snprintf(name, sizeof(name), "persist-force-%d", getpid());
	ASSERT_EQ(0, create(name, 0600));
	holder = session_in(name);
	async = session_in(name);
	ASSERT_LE(0, holder);
	ASSERT_LE(0, async);
	ASSERT_EQ(0, lock_call(holder, "x", LOCKDEV_MODE_EXCLUSIVE, 0, &l));

	pid = waiter_told_eidrm(name, "x", LOCKDEV_MODE_SHARED);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_entry(holder, "x", pid, LOCKDEV_STATE_WAITING));
	ASSERT_EQ(0, lk(async, "x", LOCKDEV_MODE_EXCLUSIVE,
			       LOCKDEV_LOCK_ASYNC));

	EXPECT_EQ(-1, remove_space(name, 0));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, remove_space(name, LOCKDEV_SPACE_FORCE));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_NE(0, poll_in(async, WAIT_MS));
	ASSERT_EQ(0, read_all(async, &c, sizeof(c)));
	EXPECT_EQ(-EIDRM, c.result);

	EXPECT_EQ(-1, lk(holder, "y", LOCKDEV_MODE_SHARED, 0));
	EXPECT_EQ(EIDRM, errno);
	EXPECT_EQ(-1, query(holder, "x", &q, NULL, 0));
	EXPECT_EQ(EIDRM, errno);
	ASSERT_TRUE(space_line(name, line, sizeof(line)));
	EXPECT_STREQ("0 0 0600 2 1 0 removed strict", line);

	/* The name is free: a new lockspace, empty, beside the removed one. */
	fresh = open_session();
	ASSERT_LE(0, fresh);
	EXPECT_EQ(-1, attach_space(fresh, name, LOCKDEV_ATTACH_NOCREATE, 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, attach_space(fresh, name, 0, 0600));
	ASSERT_EQ(0, query(fresh, "x", &q, NULL, 0));
	EXPECT_EQ(0, q.generation);
	EXPECT_EQ(0, lk(fresh, "x", LOCKDEV_MODE_EXCLUSIVE,
			LOCKDEV_LOCK_NONBLOCK));
	EXPECT_EQ(0, unlock_name(fresh, "x"));

	EXPECT_EQ(0, unlock_handle(holder, l.handle));
	EXPECT_EQ(0, close(holder));
	EXPECT_EQ(0, close(async));
	EXPECT_EQ(0, close(fresh));
	EXPECT_EQ(spaces, wait_stat("lockspaces", spaces));
}

/*
 * A waiter told EIDRM by a forced REMOVE frees its request at once, also
 * while the REMOVE still goes through the lock's other waiters: the REMOVE
 * is done with each request before it tells its waiter. KASAN in the debug
 * lane sees it if not. Class names, so that ending a request touches its
 * session's class summary.
 */
/*
 * CREATE with LOCKDEV_SPACE_REPLACE takes the name of a transient
 * lockspace that another uid opened first, as a squatter would before an
 * administrator prepares it: that one is removed as by a forced REMOVE (its
 * waiter told EIDRM, its holder's calls failing with EIDRM) and the new
 * one is root's, with the mode asked, so that the squatter cannot attach to
 * it. A persistent one still gives EEXIST; with no lockspace of the name it
 * creates one; without CAP_SYS_ADMIN it fails with EPERM, changing nothing.
 */
TEST(replace)
{
	long long spaces = stat_value("lockspaces");
	char name[64], line[256];
	struct kid k;
	int st, obs;
	pid_t pid;

	snprintf(name, sizeof(name), "persist-replace-%d", getpid());
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		int fd = open_session();

		if (become(UID_B, UID_B) || fd < 0 ||
		    attach_space(fd, name, 0, 0666) ||
		    lk(fd, "x", LOCKDEV_MODE_EXCLUSIVE, 0))
			_exit(2);
		kid_send(&k, 'h');
		if (kid_recv(&k, WAIT_MS) != 'r')
			_exit(3);
		if (!lk(fd, "y", LOCKDEV_MODE_SHARED, 0) || errno != EIDRM)
			_exit(4);
		if (unlock_name(fd, "x"))
			_exit(5);
		close(fd);
		fd = open_session();
		if (fd < 0 || !attach_space(fd, name, LOCKDEV_ATTACH_NOCREATE,
					    0) || errno != EACCES)
			_exit(6);
		_exit(0);
	}
	ASSERT_EQ('h', kid_recv(&k, WAIT_MS));
	obs = session_in(name);
	ASSERT_LE(0, obs);
	pid = waiter_told_eidrm(name, "x", LOCKDEV_MODE_SHARED);
	ASSERT_LE(0, pid);
	ASSERT_TRUE(wait_entry(obs, "x", pid, LOCKDEV_STATE_WAITING));
	ASSERT_TRUE(space_line(name, line, sizeof(line)));
	EXPECT_STREQ("1002 1002 0666 3 1 0 transient strict", line);

	/* Without CAP_SYS_ADMIN: refused, and the squatter's stays. */
	EXPECT_EQ(EPERM, in_child(UID_B, UID_B, kid_replace, name));
	ASSERT_TRUE(space_line(name, line, sizeof(line)));
	EXPECT_STREQ("1002 1002 0666 3 1 0 transient strict", line);
	/* Without REPLACE: EEXIST. */
	EXPECT_EQ(-1, create(name, 0600));
	EXPECT_EQ(EEXIST, errno);

	ASSERT_EQ(0, ctl(name, LOCKDEV_SPACE_CREATE, LOCKDEV_SPACE_REPLACE,
			 0640, KEEP, KEEP));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT_EQ(0, kid_send(&k, 'r'));
	EXPECT_EQ(0, kid_reap(&k));
	EXPECT_EQ(-1, lk(obs, "z", LOCKDEV_MODE_SHARED, 0));
	EXPECT_EQ(EIDRM, errno);
	EXPECT_EQ(0, close(obs));
	/* The name is root's persistent lockspace, the old one gone. */
	EXPECT_EQ(spaces + 1, wait_stat("lockspaces", spaces + 1));
	ASSERT_TRUE(space_line(name, line, sizeof(line)));
	EXPECT_STREQ("0 0 0640 0 0 0 persistent strict", line);
	/* A persistent one is not replaced. */
	EXPECT_EQ(-1, ctl(name, LOCKDEV_SPACE_CREATE, LOCKDEV_SPACE_REPLACE,
			  0600, KEEP, KEEP));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(0, remove_space(name, 0));
	EXPECT_TRUE(space_gone(name));
	/* No lockspace of the name: REPLACE creates. */
	EXPECT_EQ(0, ctl(name, LOCKDEV_SPACE_CREATE, LOCKDEV_SPACE_REPLACE,
			 0600, KEEP, KEEP));
	EXPECT_EQ(0, remove_space(name, 0));
	EXPECT_EQ(spaces, wait_stat("lockspaces", spaces));
}

TEST(force_remove_vs_waiters)
{
	long long spaces = stat_value("lockspaces");
	int holder, round, st, i;
	pid_t pid[3];
	char name[64];

	ASSERT_LE(0, spaces);
	for (round = 0; round < 10; round++) {
		snprintf(name, sizeof(name), "persist-fw-%d-%d", getpid(),
			 round);
		ASSERT_EQ(0, create(name, 0600));
		holder = session_in(name);
		ASSERT_LE(0, holder);
		ASSERT_EQ(0, lk(holder, "c:x", LOCKDEV_MODE_EXCLUSIVE, 0));
		for (i = 0; i < 3; i++) {
			pid[i] = waiter_told_eidrm(name, "c:x",
						   LOCKDEV_MODE_EXCLUSIVE);
			ASSERT_LE(0, pid[i]);
			ASSERT_TRUE(wait_entry(holder, "c:x", pid[i],
					       LOCKDEV_STATE_WAITING));
		}
		ASSERT_EQ(0, remove_space(name, LOCKDEV_SPACE_FORCE));
		for (i = 0; i < 3; i++) {
			ASSERT_EQ(pid[i], waitpid(pid[i], &st, 0));
			EXPECT_TRUE(WIFEXITED(st));
			EXPECT_EQ(0, WEXITSTATUS(st));
		}
		EXPECT_EQ(0, close(holder));
	}
	EXPECT_EQ(spaces, wait_stat("lockspaces", spaces));
}

/*
 * ATTACH racing a REMOVE without FORCE: either the ATTACH comes first, and
 * the REMOVE fails with EBUSY while the session is attached, or the REMOVE
 * does, and the ATTACH fails with ENOENT. A session that attached never
 * finds its lockspace removed (EIDRM), nor its locks taken by the collector.
 */
TEST(attach_vs_remove)
{
	long long spaces = stat_value("lockspaces");
	int round, st, tries;
	char name[64];
	pid_t pid;

	ASSERT_LE(0, spaces);
	for (round = 0; round < 20; round++) {
		snprintf(name, sizeof(name), "persist-ar-%d-%d", getpid(),
			 round);
		ASSERT_EQ(0, create(name, 0600));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			struct lockdev_query q;
			int fd, n;

			alarm(KID_SECS);
			for (n = 0; n < 100000; n++) {
				fd = session_in(name);
				if (fd < 0)
					_exit(errno == ENOENT ? 0 : errno);
				if (lk(fd, "x", LOCKDEV_MODE_EXCLUSIVE,
				       LOCKDEV_LOCK_NONBLOCK) ||
				    unlock_name(fd, "x") ||
				    query(fd, "x", &q, NULL, 0))
					_exit(errno);
				close(fd);
			}
			_exit(96);
		}
		/* Until the child is between two sessions. */
		for (tries = 0; remove_space(name, 0); tries++) {
			ASSERT_EQ(EBUSY, errno);
			ASSERT_GT(100000, tries);
			sleep_ms(tries % 3);
		}
		ASSERT_EQ(pid, waitpid(pid, &st, 0));
		EXPECT_TRUE(WIFEXITED(st));
		EXPECT_EQ(0, WEXITSTATUS(st));
	}
	EXPECT_EQ(spaces, wait_stat("lockspaces", spaces));
}

/* A blocking upgrade ends with EIDRM and the lock stays held. */
TEST(force_remove_upgrade)
{
	struct lockdev_convert cv;
	struct lockdev_lock l;
	int fd, other, st;
	char name[64];
	pid_t pid;

	snprintf(name, sizeof(name), "persist-upgrade-%d", getpid());
	ASSERT_EQ(0, create(name, 0600));
	other = session_in(name);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, lk(other, "u", LOCKDEV_MODE_SHARED, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(KID_SECS);
		fd = session_in(name);
		if (fd < 0 || lock_call(fd, "u", LOCKDEV_MODE_SHARED, 0, &l))
			_exit(98);
		memset(&cv, 0, sizeof(cv));
		cv.handle = l.handle;
		cv.mode = LOCKDEV_MODE_EXCLUSIVE;
		if (!ioctl(fd, LOCKDEV_IOC_CONVERT, &cv))
			_exit(97);
		if (errno != EIDRM)
			_exit(errno);
		/* Still held in SHARED: UNLOCK releases it. */
		_exit(unlock_handle(fd, l.handle) ? 96 : 0);
	}
	ASSERT_TRUE(wait_entry(other, "u", pid, LOCKDEV_STATE_CONVERTING));
	ASSERT_EQ(0, remove_space(name, LOCKDEV_SPACE_FORCE));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	close(other);
}

/* In a new IPC namespace: create a persistent lockspace with an idle lock. */
static int kid_ipc_space(const void *name)
{
	int fd;

	if (unshare(CLONE_NEWIPC))
		return 97;
	if (create(name, 0600))
		return errno;
	fd = session_in(name);
	if (fd < 0 || lk(fd, "ns", LOCKDEV_MODE_EXCLUSIVE, 0))
		return 98;
	close(fd);
	return 0;
}

/* A persistent lockspace goes, its idle lock too, when its IPC namespace does. */
TEST(goes_with_ipc_ns)
{
	long long spaces = stat_value("lockspaces");
	long long idle = stat_value("idle_locks");
	char name[64];
	int i;

	ASSERT_LE(0, spaces);
	snprintf(name, sizeof(name), "persist-ipc-%d", getpid());
	ASSERT_EQ(0, in_child(0, 0, kid_ipc_space, name));
	/* The collector looks every 10 seconds. */
	for (i = 0; i < 50 && stat_value("lockspaces") != spaces; i++)
		sleep_ms(500);
	EXPECT_EQ(spaces, stat_value("lockspaces"));
	EXPECT_EQ(idle, stat_value("idle_locks"));
}

/*
 * As UID_QUOTA, root of a user namespace of its own: create two persistent
 * lockspaces, charged to UID_QUOTA.
 */
static int kid_quota(const void *name)
{
	char buf[96], map[32];
	int ret;

	/*
	 * Its own uid and gid mapped: no privilege needed, but /proc/self
	 * must be its own again after the change of uid.
	 */
	if (prctl(PR_SET_DUMPABLE, 1) || unshare(CLONE_NEWUSER))
		return 97;
	snprintf(map, sizeof(map), "0 %d 1", UID_QUOTA);
	if (write_str("/proc/self/setgroups", "deny") ||
	    write_str("/proc/self/uid_map", map) ||
	    write_str("/proc/self/gid_map", map))
		return 96;
	snprintf(buf, sizeof(buf), "%s-1", (const char *)name);
	if (create(buf, 0600))
		return 95;
	snprintf(buf, sizeof(buf), "%s-2", (const char *)name);
	ret = create(buf, 0600) ? errno : 0;
	snprintf(buf, sizeof(buf), "%s-1", (const char *)name);
	if (remove_space(buf, 0))
		return 94;
	return ret;
}

/* A persistent lockspace counts against its creator's lockspace limit. */
TEST(quota)
{
	char name[64], old[32] = "";
	FILE *f;

	snprintf(name, sizeof(name), "persist-quota-%d", getpid());
	f = fopen(PARAMS "max_spaces_per_user", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	ASSERT_EQ(0, write_str(PARAMS "max_spaces_per_user", "1"));
	EXPECT_EQ(EDQUOT, in_child(UID_QUOTA, UID_QUOTA, kid_quota, name));
	EXPECT_EQ(0, write_str(PARAMS "max_spaces_per_user", old));
}

/*
 * Left behind on purpose: a persistent lockspace with an idle lock, an
 * owner-died one and a learned edge, which the module drops at unload
 * (the runner unloads it and fails on any warning or leak).
 */
TEST(left_for_unload)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "persist-left-%d", getpid());
	ASSERT_EQ(0, create(name, 0600));
	fd = session_in(name);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lk(fd, "la:1", LOCKDEV_MODE_EXCLUSIVE, 0));
	ASSERT_EQ(0, lk(fd, "lb:1", LOCKDEV_MODE_SHARED, 0));
	ASSERT_EQ(0, unlock_name(fd, "lb:1"));
	/* la:1 stays owner-died, lb:1 idle. */
	close(fd);
}

TEST_HARNESS_MAIN
