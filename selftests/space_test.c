// SPDX-License-Identifier: GPL-2.0
/*
 * Lockspaces: LOCKDEV_IOC_ATTACH, isolation between lockspaces, the per-uid
 * default lockspace, SysV-IPC-like permissions, lifetime, and isolation per
 * user and IPC namespace.
 *
 * Tests run as root. Other uids are played by forked children that drop to
 * them with setresuid(); every child dies by SIGALRM after KID_TIMEOUT_S and
 * every wait for one is bounded, so a broken module fails a test, never
 * hangs it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
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

#include "kselftest_harness.h"
#include "util.h"

#define LOCKS		"/proc/lockdev/locks"
#define RW		(_IOC_READ | _IOC_WRITE)


/* Unprivileged ids the children take. */
#define UID_A		1001
#define UID_B		1002
#define UID_C		1003
#define GID_SHARED	1000
#define GID_C		1003

static void __attribute__((constructor)) ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

static void attach_input(struct lockdev_attach *a, const void *name,
			 __u32 len, __u32 flags, __u32 mode)
{
	memset(a, 0, sizeof(*a));
	a->name = ptr(name);
	a->name_len = len;
	a->flags = flags;
	a->mode = mode;
}

static int do_attach(int fd, const void *name, __u32 len, __u32 flags,
		     __u32 mode)
{
	struct lockdev_attach a;

	attach_input(&a, name, len, flags, mode);
	return ioctl(fd, LOCKDEV_IOC_ATTACH, &a);
}

static int attach_str(int fd, const char *name, __u32 flags, __u32 mode)
{
	return do_attach(fd, name, strlen(name), flags, mode);
}

/*
 * Unshare the user namespace, and the namespaces in @more (CLONE_NEW*), and
 * be root in it, mapped to the caller's root.
 */
static int enter_user_ns(int more)
{
	if (unshare(CLONE_NEWUSER | more) ||
	    write_str("/proc/self/setgroups", "deny") ||
	    write_str("/proc/self/uid_map", "0 0 1") ||
	    write_str("/proc/self/gid_map", "0 0 1"))
		return -1;
	return 0;
}

/* LOCK @name; outputs in @l (poisoned first), which may be NULL. */
static int lock_ent(int fd, const char *name, __u32 mode, __u32 flags,
		    struct lockdev_entry *e, __u32 nr, struct lockdev_lock *l)
{
	struct lockdev_lock tmp;

	if (!l)
		l = &tmp;
	memset(l, 0, sizeof(*l));
	l->name = ptr(name);
	l->name_len = strlen(name);
	l->mode = mode;
	l->flags = flags;
	l->entries = ptr(e);
	l->nr_entries = nr;
	poison(&l->handle, sizeof(l->handle));
	poison(&l->generation, sizeof(l->generation));
	poison(&l->result, sizeof(l->result));
	if (e)
		poison(e, nr * sizeof(*e));
	return ioctl(fd, LOCKDEV_IOC_LOCK, l);
}

static int lock_str(int fd, const char *name, __u32 mode, __u32 flags,
		    struct lockdev_lock *l)
{
	return lock_ent(fd, name, mode, flags, NULL, 0, l);
}

static int unlock_str(int fd, const char *name)
{
	struct lockdev_unlock u;

	memset(&u, 0, sizeof(u));
	u.name = ptr(name);
	u.name_len = strlen(name);
	return ioctl(fd, LOCKDEV_IOC_UNLOCK, &u);
}

/* QUERY @name into @e[@nr]; outputs in @q, poisoned first. */
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

/*
 * How many lines of /proc/lockdev/locks show a request of task @pid (as the
 * reader sees it); -1 if the file cannot be read.
 */
static int proc_lines_of_pid(pid_t pid)
{
	char *buf = read_file(LOCKS), *line, *save = NULL, *rest, *f = NULL;
	int n = 0, nr = 0, i;

	if (!buf)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		/* Skip the format line and the column names. */
		if (++nr <= 2)
			continue;
		/* The sixth field is the pid. */
		rest = line;
		for (i = 0; i < 6 && rest; i++)
			f = strsep(&rest, " ");
		if (i == 6 && f && atol(f) == pid)
			n++;
	}
	free(buf);
	return n;
}

TEST(struct_layout)
{
	EXPECT_EQ(LOCKDEV_ATTACH_SIZE_VER0, sizeof(struct lockdev_attach));
	EXPECT_EQ(LOCKDEV_ATTACH_SIZE_VER0, _IOC_SIZE(LOCKDEV_IOC_ATTACH));
	EXPECT_EQ(RW, _IOC_DIR(LOCKDEV_IOC_ATTACH));
}

/* Attach creates a lockspace; a second attach to the name creates nothing. */
TEST(attach_creates)
{
	long long spaces = stat_value("lockspaces");
	struct lockdev_attach a, before;
	int fd1 = open_session(), fd2 = open_session();
	char name[64];

	ASSERT_LE(0, spaces);
	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	snprintf(name, sizeof(name), "space-create-%d", getpid());

	attach_input(&a, name, strlen(name), 0, 0600);
	before = a;
	ASSERT_EQ(0, ioctl(fd1, LOCKDEV_IOC_ATTACH, &a));
	/* ATTACH has no outputs: the struct comes back as it went. */
	EXPECT_EQ(0, memcmp(&a, &before, sizeof(a)));
	EXPECT_EQ(spaces + 1, stat_value("lockspaces"));

	EXPECT_EQ(0, attach_str(fd2, name, LOCKDEV_ATTACH_NOCREATE, 0));
	EXPECT_EQ(spaces + 1, stat_value("lockspaces"));

	close(fd1);
	close(fd2);
	EXPECT_EQ(spaces, wait_stat("lockspaces", spaces));
}

/* Two sessions attached to one name see each other's locks. */
TEST(same_space_conflicts)
{
	int fda = open_session(), fdb = open_session();
	struct lockdev_entry e[4];
	struct lockdev_lock la, lb;
	struct lockdev_query q;
	char space[64];
	const char *lk = "space-same-lock";

	ASSERT_LE(0, fda);
	ASSERT_LE(0, fdb);
	snprintf(space, sizeof(space), "space-same-%d", getpid());
	ASSERT_EQ(0, attach_str(fda, space, 0, 0600));
	ASSERT_EQ(0, attach_str(fdb, space, 0, 0600));

	ASSERT_EQ(0, lock_str(fda, lk, LOCKDEV_MODE_EXCLUSIVE, 0, &la));
	EXPECT_NE(0, la.handle);
	EXPECT_NE(0, la.generation);
	EXPECT_EQ(0, la.result);

	EXPECT_EQ(-1, lock_ent(fdb, lk, LOCKDEV_MODE_SHARED,
			       LOCKDEV_LOCK_NONBLOCK, e, 4, &lb));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, lb.nr_entries);
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
	EXPECT_EQ(LOCKDEV_MODE_EXCLUSIVE, e[0].mode);

	ASSERT_EQ(0, query_str(fdb, lk, e, 4, &q));
	EXPECT_EQ(1, q.nr_entries);
	EXPECT_EQ(la.generation, q.generation);
	EXPECT_EQ(getpid(), e[0].pid);

	EXPECT_EQ(0, unlock_str(fda, lk));
	EXPECT_EQ(0, lock_str(fdb, lk, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, &lb));
	close(fda);
	close(fdb);
}

/* The same lock name in different lockspaces is different locks. */
TEST(different_spaces_isolated)
{
	int fda = open_session(), fdb = open_session();
	int fdc = open_session(), fdd = open_session();
	struct lockdev_entry e[4];
	struct lockdev_query q;
	char s1[64], s2[64];
	const char *lk = "space-diff-lock";

	ASSERT_LE(0, fda);
	ASSERT_LE(0, fdb);
	ASSERT_LE(0, fdc);
	ASSERT_LE(0, fdd);
	snprintf(s1, sizeof(s1), "space-diff1-%d", getpid());
	snprintf(s2, sizeof(s2), "space-diff2-%d", getpid());
	ASSERT_EQ(0, attach_str(fda, s1, 0, 0600));
	ASSERT_EQ(0, attach_str(fdb, s2, 0, 0600));
	ASSERT_EQ(0, attach_str(fdd, s1, 0, 0600));

	EXPECT_EQ(0, lock_str(fda, lk, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, NULL));
	EXPECT_EQ(0, lock_str(fdb, lk, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, NULL));
	/* fdc works in the default lockspace. */
	EXPECT_EQ(0, lock_str(fdc, lk, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, NULL));

	ASSERT_EQ(0, query_str(fdb, lk, e, 4, &q));
	EXPECT_EQ(1, q.nr_entries);

	/* The same lockspace as fda does conflict. */
	EXPECT_EQ(-1, lock_str(fdd, lk, LOCKDEV_MODE_EXCLUSIVE,
			       LOCKDEV_LOCK_NONBLOCK, NULL));
	EXPECT_EQ(EAGAIN, errno);
	close(fda);
	close(fdb);
	close(fdc);
	close(fdd);
}

/* Lockspace names are bytes: a NUL is an ordinary byte. */
TEST(name_bytes)
{
	int fda = open_session(), fdb = open_session(), fdc = open_session();
	char n1[64], n2[64];
	const char *lk = "space-bytes-lock";
	int len;

	ASSERT_LE(0, fda);
	ASSERT_LE(0, fdb);
	ASSERT_LE(0, fdc);
	len = snprintf(n1, sizeof(n1), "space-bytes-%d", getpid());
	memcpy(n2, n1, len);
	n1[len] = 0;
	n2[len] = 0;
	n1[len + 1] = 'a';
	n2[len + 1] = 'b';

	ASSERT_EQ(0, do_attach(fda, n1, len + 2, 0, 0600));
	ASSERT_EQ(0, do_attach(fdb, n2, len + 2, 0, 0600));
	EXPECT_EQ(0, lock_str(fda, lk, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, NULL));
	EXPECT_EQ(0, lock_str(fdb, lk, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, NULL));
	/* The name cut at its NUL is yet another lockspace, which is missing. */
	EXPECT_EQ(-1, do_attach(fdc, n1, len, LOCKDEV_ATTACH_NOCREATE, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, do_attach(fdc, n1, len + 2, LOCKDEV_ATTACH_NOCREATE, 0));
	EXPECT_EQ(-1, lock_str(fdc, lk, LOCKDEV_MODE_SHARED,
			       LOCKDEV_LOCK_NONBLOCK, NULL));
	EXPECT_EQ(EAGAIN, errno);
	close(fda);
	close(fdb);
	close(fdc);
}

/*
 * Without ATTACH a session works in its uid's default lockspace: two uids
 * using one lock name do not conflict, two sessions of one uid do.
 */
TEST(default_space_per_uid)
{
	const char *lk = "space-default-lock";
	struct kid holder, other;
	int fd;

	/* A session of uid A holds the lock until told to go. */
	ASSERT_LE(0, kid_fork(&holder));
	if (holder.pid == 0) {
		if (become(UID_A, UID_A))
			_exit(2);
		fd = open_session();
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE, 0, NULL));
		kid_send(&holder, _metadata->passed ? 'L' : 'E');
		kid_recv(&holder, WAIT_MS);
		KID_EXIT();
	}
	ASSERT_EQ('L', kid_recv(&holder, WAIT_MS));

	/* Uid B takes the same name at once. */
	ASSERT_LE(0, kid_fork(&other));
	if (other.pid == 0) {
		if (become(UID_B, UID_B))
			_exit(2);
		fd = open_session();
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK, NULL));
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&other));

	/* Another session of uid A conflicts. */
	ASSERT_LE(0, kid_fork(&other));
	if (other.pid == 0) {
		if (become(UID_A, UID_A))
			_exit(2);
		fd = open_session();
		EXPECT_LE(0, fd);
		EXPECT_EQ(-1, lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE,
				       LOCKDEV_LOCK_NONBLOCK, NULL));
		EXPECT_EQ(EAGAIN, errno);
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&other));

	/* And root has a default lockspace of its own. */
	fd = open_session();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, NULL));
	close(fd);

	kid_send(&holder, 'q');
	EXPECT_EQ(0, kid_reap(&holder));
}

/* NOCREATE on a missing lockspace: ENOENT, nothing created or attached. */
TEST(nocreate_missing)
{
	long long spaces = stat_value("lockspaces");
	int fd = open_session(), fd2 = open_session();
	char name[64];

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	snprintf(name, sizeof(name), "space-nocreate-%d", getpid());
	EXPECT_EQ(-1, attach_str(fd, name, LOCKDEV_ATTACH_NOCREATE, 0600));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(spaces, stat_value("lockspaces"));
	EXPECT_EQ(-1, attach_str(fd2, name, LOCKDEV_ATTACH_NOCREATE, 0600));
	EXPECT_EQ(ENOENT, errno);
	/* The failed call left fd unattached. */
	EXPECT_EQ(0, attach_str(fd, name, 0, 0600));
	EXPECT_EQ(0, attach_str(fd2, name, LOCKDEV_ATTACH_NOCREATE, 0600));
	close(fd);
	close(fd2);
}

/* A session attaches once. */
TEST(attach_twice)
{
	long long spaces = stat_value("lockspaces");
	int fd = open_session(), fd2 = open_session();
	char s1[64], s2[64];

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	snprintf(s1, sizeof(s1), "space-twice1-%d", getpid());
	snprintf(s2, sizeof(s2), "space-twice2-%d", getpid());
	ASSERT_EQ(0, attach_str(fd, s1, 0, 0600));
	EXPECT_EQ(-1, attach_str(fd, s1, 0, 0600));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, attach_str(fd, s1, LOCKDEV_ATTACH_NOCREATE, 0600));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, attach_str(fd, s2, 0, 0600));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(spaces + 1, stat_value("lockspaces"));
	/* s2 was not created. */
	EXPECT_EQ(-1, attach_str(fd2, s2, LOCKDEV_ATTACH_NOCREATE, 0600));
	EXPECT_EQ(ENOENT, errno);
	close(fd);
	close(fd2);
}

/* A session that has locked in its default lockspace cannot attach. */
TEST(attach_after_default_lock)
{
	int fd = open_session(), fd2 = open_session();
	struct lockdev_entry e[4];
	struct lockdev_query q;
	char name[64], lk[64];

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	snprintf(name, sizeof(name), "space-late-%d", getpid());
	snprintf(lk, sizeof(lk), "space-late-lock-%d", getpid());
	ASSERT_EQ(0, lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE, 0, NULL));
	EXPECT_EQ(-1, attach_str(fd, name, 0, 0600));
	EXPECT_EQ(EBUSY, errno);
	/* Nothing changed: the lock is held, the lockspace was not created. */
	ASSERT_EQ(0, query_str(fd, lk, e, 4, &q));
	EXPECT_EQ(1, q.nr_entries);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
	EXPECT_EQ(-1, attach_str(fd2, name, LOCKDEV_ATTACH_NOCREATE, 0600));
	EXPECT_EQ(ENOENT, errno);
	close(fd);
	close(fd2);
}

FIXTURE(bad) {
	int fd;
	long long spaces;
	char name[LOCKDEV_NAME_MAX + 2];
};

FIXTURE_SETUP(bad)
{
	self->spaces = stat_value("lockspaces");
	self->fd = open_session();
	ASSERT_LE(0, self->fd);
	memset(self->name, 'n', sizeof(self->name));
	snprintf(self->name, sizeof(self->name), "space-bad-%d-", getpid());
	self->name[strlen(self->name)] = 'n';
}

/* After bad input nothing exists and the session can still attach. */
FIXTURE_TEARDOWN(bad)
{
	EXPECT_EQ(self->spaces, stat_value("lockspaces"));
	EXPECT_EQ(0, do_attach(self->fd, self->name, 20, 0, 0600));
	close(self->fd);
}

TEST_F(bad, mode_above_0777)
{
	const __u32 modes[] = { 01000, 02000, 04000, 010000, 0100666,
				0x80000000u, 0xffffffffu };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		EXPECT_EQ(-1, do_attach(self->fd, self->name, 20, 0, modes[i]));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(bad, name_len_zero)
{
	EXPECT_EQ(-1, do_attach(self->fd, self->name, 0, 0, 0600));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(bad, name_too_long)
{
	long long spaces = stat_value("lockspaces");
	int fd2 = open_session();

	EXPECT_EQ(-1, do_attach(self->fd, self->name, LOCKDEV_NAME_MAX + 1,
				0, 0600));
	EXPECT_EQ(ENAMETOOLONG, errno);
	EXPECT_EQ(-1, do_attach(self->fd, self->name, 0x80000000u, 0, 0600));
	EXPECT_EQ(ENAMETOOLONG, errno);
	/* The longest name works. */
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, do_attach(fd2, self->name, LOCKDEV_NAME_MAX, 0, 0600));
	EXPECT_EQ(spaces + 1, stat_value("lockspaces"));
	close(fd2);
	EXPECT_EQ(spaces, wait_stat("lockspaces", spaces));
}

TEST_F(bad, unknown_flags)
{
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		if ((1u << bit) & LOCKDEV_ATTACH_FLAGS_ALL)
			continue;
		EXPECT_EQ(-1, do_attach(self->fd, self->name, 20, 1u << bit,
					0600));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(bad, nonzero_pad)
{
	struct lockdev_attach a;
	const __u32 pads[] = { 1, 0x80000000u };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pads); i++) {
		attach_input(&a, self->name, 20, 0, 0600);
		a.pad = pads[i];
		EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_ATTACH, &a));
		EXPECT_EQ(EINVAL, errno);
	}
}

TEST_F(bad, size_too_small)
{
	struct lockdev_attach a;

	attach_input(&a, self->name, 20, 0, 0600);
	EXPECT_EQ(-1, ioctl(self->fd, _IOC(RW, LOCKDEV_IOC_MAGIC,
					   _IOC_NR(LOCKDEV_IOC_ATTACH),
					   LOCKDEV_ATTACH_SIZE_VER0 - 8), &a));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(bad, bad_name_pointer)
{
	EXPECT_EQ(-1, do_attach(self->fd, (void *)8, 20, 0, 0600));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * Children that create lockspaces or try them as another uid. A uid of 0
 * stays root (CAP_IPC_OWNER).
 */
static void start_creator(struct __test_metadata *_metadata, struct kid *k,
			  uid_t uid, gid_t gid, const char *space, __u32 mode)
{
	int fd;

	ASSERT_LE(0, kid_fork(k));
	if (k->pid == 0) {
		if (uid && become(uid, gid))
			_exit(2);
		fd = open_session();
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, attach_str(fd, space, 0, mode));
		kid_send(k, _metadata->passed ? 'A' : 'E');
		kid_recv(k, WAIT_MS);
		KID_EXIT();
	}
	ASSERT_EQ('A', kid_recv(k, WAIT_MS));
}

static void stop_creator(struct __test_metadata *_metadata, struct kid *k)
{
	kid_send(k, 'q');
	EXPECT_EQ(0, kid_reap(k));
}

#define EXPECT_RESULT(want, ret, err) do {				\
	if (want) {							\
		EXPECT_EQ(-1, (ret));					\
		EXPECT_EQ((want), (err));				\
	} else {							\
		EXPECT_EQ(0, (ret)) TH_LOG("errno %d", (err));		\
	}								\
} while (0)

/*
 * As @uid/@gid, attach to @space (asking mode 0777, which must be ignored),
 * QUERY a lock in it and LOCK it; 0 or the errno each must give. Return the
 * child's exit status.
 */
static int probe(struct __test_metadata *_metadata, uid_t uid, gid_t gid,
		 const char *space, int attach_err, int query_err, int lock_err)
{
	struct lockdev_entry e[4];
	struct lockdev_query q;
	int fd, ret, err;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -3;
	if (pid == 0) {
		alarm(KID_TIMEOUT_S);
		if (uid && become(uid, gid))
			_exit(2);
		fd = open_session();
		EXPECT_LE(0, fd);
		ret = attach_str(fd, space, 0, 0777);
		err = errno;
		EXPECT_RESULT(attach_err, ret, err);
		if (!attach_err) {
			ret = query_str(fd, "space-perm-lock", e, 4, &q);
			err = errno;
			EXPECT_RESULT(query_err, ret, err);
			ret = lock_str(fd, "space-perm-lock",
				       LOCKDEV_MODE_EXCLUSIVE,
				       LOCKDEV_LOCK_NONBLOCK, NULL);
			err = errno;
			EXPECT_RESULT(lock_err, ret, err);
		}
		KID_EXIT();
	}
	return reap(pid, WAIT_MS);
}

TEST(perm_0600)
{
	struct kid creator;
	char space[64];

	snprintf(space, sizeof(space), "space-0600-%d", getpid());
	start_creator(_metadata, &creator, UID_A, GID_SHARED, space, 0600);
	/* The owner, from another session. */
	EXPECT_EQ(0, probe(_metadata, UID_A, GID_SHARED, space, 0, 0, 0));
	/* A group member and another uid get neither read nor write. */
	EXPECT_EQ(0, probe(_metadata, UID_B, GID_SHARED, space, EACCES, 0, 0));
	EXPECT_EQ(0, probe(_metadata, UID_C, GID_C, space, EACCES, 0, 0));
	/* Root has CAP_IPC_OWNER. */
	EXPECT_EQ(0, probe(_metadata, 0, 0, space, 0, 0, 0));
	stop_creator(_metadata, &creator);
}

TEST(perm_0640)
{
	struct kid creator;
	char space[64];

	snprintf(space, sizeof(space), "space-0640-%d", getpid());
	start_creator(_metadata, &creator, UID_A, GID_SHARED, space, 0640);
	/* The group may attach, query and hold SHARED, not EXCLUSIVE. */
	EXPECT_EQ(0, probe(_metadata, UID_B, GID_SHARED, space, 0, 0, EACCES));
	EXPECT_EQ(0, probe(_metadata, UID_C, GID_C, space, EACCES, 0, 0));
	EXPECT_EQ(0, probe(_metadata, UID_A, GID_SHARED, space, 0, 0, 0));
	stop_creator(_metadata, &creator);
}

TEST(perm_0620)
{
	struct kid creator;
	char space[64];

	snprintf(space, sizeof(space), "space-0620-%d", getpid());
	start_creator(_metadata, &creator, UID_A, GID_SHARED, space, 0620);
	/* Write without read: the group may lock but not query. */
	EXPECT_EQ(0, probe(_metadata, UID_B, GID_SHARED, space, 0, EACCES, 0));
	EXPECT_EQ(0, probe(_metadata, UID_C, GID_C, space, EACCES, 0, 0));
	stop_creator(_metadata, &creator);
}

TEST(perm_0604)
{
	struct kid creator;
	char space[64];

	snprintf(space, sizeof(space), "space-0604-%d", getpid());
	start_creator(_metadata, &creator, UID_A, GID_SHARED, space, 0604);
	/* Others may read; the group's own bits (none) apply to its members. */
	EXPECT_EQ(0, probe(_metadata, UID_C, GID_C, space, 0, 0, EACCES));
	EXPECT_EQ(0, probe(_metadata, UID_B, GID_SHARED, space, EACCES, 0, 0));
	stop_creator(_metadata, &creator);
}

TEST(perm_0666)
{
	struct kid creator;
	char space[64];

	snprintf(space, sizeof(space), "space-0666-%d", getpid());
	start_creator(_metadata, &creator, UID_A, GID_SHARED, space, 0666);
	EXPECT_EQ(0, probe(_metadata, UID_C, GID_C, space, 0, 0, 0));
	EXPECT_EQ(0, probe(_metadata, UID_B, GID_SHARED, space, 0, 0, 0));
	stop_creator(_metadata, &creator);
}

/*
 * As @uid/@gid, attached to @space, take each mode (0 or the errno it must
 * give, for SHARED and NONE alike @rd_err, for APPEND and EXCLUSIVE and for
 * conversions to them @wr_err), convert NONE -> SHARED, and take a lock set
 * whose second item is EXCLUSIVE. Return the child's exit status.
 */
static int probe_modes(struct __test_metadata *_metadata, uid_t uid,
		       gid_t gid, const char *space, int rd_err, int wr_err)
{
	static const __u32 modes[] = { LOCKDEV_MODE_SHARED, LOCKDEV_MODE_NONE,
				       LOCKDEV_MODE_APPEND,
				       LOCKDEV_MODE_EXCLUSIVE };
	struct lockdev_set_item it[2];
	struct lockdev_lock_set ls;
	struct lockdev_lock l;
	int fd, ret, err, i;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -3;
	if (pid == 0) {
		alarm(KID_TIMEOUT_S);
		if (become(uid, gid))
			_exit(2);
		fd = open_session();
		if (fd < 0 || attach_str(fd, space, 0, 0))
			_exit(3);
		for (i = 0; i < 4; i++) {
			ret = lock_call(fd, "perm-mode", modes[i],
					LOCKDEV_LOCK_NONBLOCK, &l);
			err = errno;
			EXPECT_RESULT(i < 2 ? rd_err : wr_err, ret, err);
			if (!ret)
				EXPECT_EQ(0, unlock_handle(fd, l.handle));
		}
		/* Conversions from NONE and SHARED. */
		if (lock_call(fd, "perm-cv", LOCKDEV_MODE_NONE, 0, &l))
			_exit(4);
		ret = convert_nonblock(fd, l.handle, LOCKDEV_MODE_EXCLUSIVE);
		err = errno;
		EXPECT_RESULT(wr_err, ret, err);
		ret = convert_nonblock(fd, l.handle, LOCKDEV_MODE_NONE);
		EXPECT_EQ(0, ret);
		EXPECT_EQ(0, convert_nonblock(fd, l.handle,
					      LOCKDEV_MODE_SHARED));
		ret = convert_nonblock(fd, l.handle, LOCKDEV_MODE_APPEND);
		err = errno;
		EXPECT_RESULT(wr_err, ret, err);
		EXPECT_EQ(0, unlock_handle(fd, l.handle));
		/* A set is taken whole or not at all. */
		memset(it, 0, sizeof(it));
		memset(&ls, 0, sizeof(ls));
		it[0].name = (uintptr_t)"perm-set-a";
		it[0].name_len = strlen("perm-set-a");
		it[0].mode = LOCKDEV_MODE_SHARED;
		it[1].name = (uintptr_t)"perm-set-b";
		it[1].name_len = strlen("perm-set-b");
		it[1].mode = LOCKDEV_MODE_EXCLUSIVE;
		ls.items = (uintptr_t)it;
		ls.nr_items = 2;
		ls.item_size = sizeof(it[0]);
		ls.flags = LOCKDEV_LOCK_NONBLOCK;
		ret = ioctl(fd, LOCKDEV_IOC_LOCK_SET, &ls);
		err = errno;
		EXPECT_RESULT(wr_err, ret, err);
		EXPECT_EQ(wr_err ? 0 : 2, list_count(fd));
		KID_EXIT();
	}
	return reap(pid, WAIT_MS);
}

/*
 * Read permission is enough for SHARED and NONE, as fcntl's read locks need
 * a file open for reading; APPEND, EXCLUSIVE and upgrades to them need
 * write permission (EACCES). Write permission alone allows every mode.
 */
TEST(perm_modes)
{
	struct kid creator;
	char space[64];

	snprintf(space, sizeof(space), "space-modes-%d", getpid());
	start_creator(_metadata, &creator, UID_A, GID_SHARED, space, 0624);
	/* The group writes, others read, the owner does both. */
	EXPECT_EQ(0, probe_modes(_metadata, UID_B, GID_SHARED, space, 0, 0));
	EXPECT_EQ(0, probe_modes(_metadata, UID_C, GID_C, space, 0, EACCES));
	EXPECT_EQ(0, probe_modes(_metadata, UID_A, GID_SHARED, space, 0, 0));
	stop_creator(_metadata, &creator);
}

/* The owner is the creator's effective uid: root created it, 0600. */
TEST(perm_root_owned)
{
	struct kid creator;
	char space[64];

	snprintf(space, sizeof(space), "space-rootown-%d", getpid());
	start_creator(_metadata, &creator, 0, 0, space, 0600);
	EXPECT_EQ(0, probe(_metadata, UID_A, GID_SHARED, space, EACCES, 0, 0));
	EXPECT_EQ(0, probe(_metadata, UID_A, 0, space, EACCES, 0, 0));
	stop_creator(_metadata, &creator);
}

/* A lockspace lives while a session is attached, then disappears. */
TEST(lifetime)
{
	long long spaces = stat_value("lockspaces");
	int fda = open_session(), fdb = open_session(), fdc = open_session();
	int fdd = open_session();
	char name[64];

	ASSERT_LE(0, fda);
	ASSERT_LE(0, fdb);
	ASSERT_LE(0, fdc);
	ASSERT_LE(0, fdd);
	snprintf(name, sizeof(name), "space-life-%d", getpid());

	ASSERT_EQ(0, attach_str(fda, name, 0, 0600));
	ASSERT_EQ(0, attach_str(fdb, name, LOCKDEV_ATTACH_NOCREATE, 0600));
	ASSERT_EQ(0, lock_str(fda, "space-life-lock", LOCKDEV_MODE_SHARED, 0,
			      NULL));
	EXPECT_EQ(spaces + 1, stat_value("lockspaces"));
	close(fda);
	/* fdb is still attached. */
	EXPECT_EQ(spaces + 1, stat_value("lockspaces"));
	EXPECT_EQ(0, attach_str(fdc, name, LOCKDEV_ATTACH_NOCREATE, 0600));
	close(fdb);
	close(fdc);
	EXPECT_EQ(spaces, wait_stat("lockspaces", spaces));
	EXPECT_EQ(-1, attach_str(fdd, name, LOCKDEV_ATTACH_NOCREATE, 0600));
	EXPECT_EQ(ENOENT, errno);
	close(fdd);
}

/* A forked child shares the session, and so keeps the lockspace alive. */
TEST(lifetime_fork)
{
	long long spaces = stat_value("lockspaces");
	int fd = open_session(), fd2 = open_session();
	struct kid k;
	char name[64];

	ASSERT_LE(0, fd);
	ASSERT_LE(0, fd2);
	snprintf(name, sizeof(name), "space-lifefork-%d", getpid());
	ASSERT_EQ(0, attach_str(fd, name, 0, 0600));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		kid_recv(&k, WAIT_MS);
		_exit(0);
	}
	close(fd);
	EXPECT_EQ(spaces + 1, stat_value("lockspaces"));
	kid_send(&k, 'q');
	EXPECT_EQ(0, kid_reap(&k));
	EXPECT_EQ(spaces, wait_stat("lockspaces", spaces));
	EXPECT_EQ(-1, attach_str(fd2, name, LOCKDEV_ATTACH_NOCREATE, 0600));
	EXPECT_EQ(ENOENT, errno);
	close(fd2);
}

/* A lock marked owner-died outlives its session, and keeps its lockspace. */
TEST(lifetime_owner_died_lock)
{
	long long spaces = stat_value("lockspaces");
	int fda = open_session(), fdb = open_session(), fdc = open_session();
	const char *lk = "space-died-lock";
	struct lockdev_consistent c;
	struct lockdev_entry e[4];
	struct lockdev_query q;
	struct lockdev_lock l;
	char name[64];

	ASSERT_LE(0, fda);
	ASSERT_LE(0, fdb);
	ASSERT_LE(0, fdc);
	snprintf(name, sizeof(name), "space-died-%d", getpid());
	ASSERT_EQ(0, attach_str(fda, name, 0, 0600));
	ASSERT_EQ(0, lock_str(fda, lk, LOCKDEV_MODE_EXCLUSIVE, 0, NULL));
	close(fda);
	EXPECT_EQ(spaces + 1, stat_value("lockspaces"));

	ASSERT_EQ(0, attach_str(fdb, name, LOCKDEV_ATTACH_NOCREATE, 0600));
	ASSERT_EQ(0, query_str(fdb, lk, e, 4, &q));
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED | LOCKDEV_QUERY_IDLE,
		  q.lock_flags);
	EXPECT_NE(0, q.generation);
	ASSERT_EQ(0, lock_str(fdb, lk, LOCKDEV_MODE_EXCLUSIVE, 0, &l));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, l.result);
	memset(&c, 0, sizeof(c));
	c.handle = l.handle;
	EXPECT_EQ(0, ioctl(fdb, LOCKDEV_IOC_CONSISTENT, &c));
	EXPECT_EQ(0, unlock_str(fdb, lk));
	close(fdb);
	EXPECT_EQ(spaces, wait_stat("lockspaces", spaces));
	EXPECT_EQ(-1, attach_str(fdc, name, LOCKDEV_ATTACH_NOCREATE, 0600));
	EXPECT_EQ(ENOENT, errno);
	close(fdc);
}

/*
 * The host holds a lock in a named lockspace (mode 0666, so that only the
 * namespace keeps it out of reach) and one in its default lockspace.
 */
struct host_locks {
	int named;
	int deflt;
	char space[64];
	char lk[64];
};

static void host_lock(struct __test_metadata *_metadata,
		      struct host_locks *h, const char *what)
{
	snprintf(h->space, sizeof(h->space), "space-%s-%d", what, getpid());
	snprintf(h->lk, sizeof(h->lk), "space-%s-lock-%d", what, getpid());
	h->named = open_session();
	h->deflt = open_session();
	ASSERT_LE(0, h->named);
	ASSERT_LE(0, h->deflt);
	ASSERT_EQ(0, attach_str(h->named, h->space, 0, 0666));
	ASSERT_EQ(0, lock_str(h->named, h->lk, LOCKDEV_MODE_EXCLUSIVE, 0,
			      NULL));
	ASSERT_EQ(0, lock_str(h->deflt, h->lk, LOCKDEV_MODE_EXCLUSIVE, 0,
			      NULL));
}

/* In the namespace: the host's lockspaces and locks are out of reach. */
static void check_isolated(struct __test_metadata *_metadata,
			   const struct host_locks *h, pid_t host)
{
	int fd = open_session(), fd2 = open_session(), fd3 = open_session();

	EXPECT_LE(0, fd);
	EXPECT_LE(0, fd2);
	EXPECT_LE(0, fd3);
	EXPECT_EQ(-1, attach_str(fd, h->space, LOCKDEV_ATTACH_NOCREATE, 0666));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, proc_lines_of_pid(host));
	/* The same name makes a lockspace of the namespace's own. */
	EXPECT_EQ(0, attach_str(fd, h->space, 0, 0600));
	EXPECT_EQ(0, lock_str(fd, h->lk, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, NULL));
	EXPECT_EQ(0, attach_str(fd3, h->space, LOCKDEV_ATTACH_NOCREATE, 0600));
	EXPECT_EQ(-1, lock_str(fd3, h->lk, LOCKDEV_MODE_EXCLUSIVE,
			       LOCKDEV_LOCK_NONBLOCK, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* So does the default lockspace. */
	EXPECT_EQ(0, lock_str(fd2, h->lk, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, NULL));
	/* Its own locks it sees; still none of the host's. */
	EXPECT_LE(2, proc_lines_of_pid(getpid()));
	EXPECT_EQ(0, proc_lines_of_pid(host));
	close(fd);
	close(fd2);
	close(fd3);
}

/* The host's locks are unchanged after the namespace's tries. */
static void check_host(struct __test_metadata *_metadata,
		       const struct host_locks *h)
{
	struct lockdev_entry e[4];
	struct lockdev_query q;

	ASSERT_EQ(0, query_str(h->named, h->lk, e, 4, &q));
	EXPECT_EQ(1, q.nr_entries);
	EXPECT_EQ(getpid(), e[0].pid);
	ASSERT_EQ(0, query_str(h->deflt, h->lk, e, 4, &q));
	EXPECT_EQ(1, q.nr_entries);
	EXPECT_EQ(getpid(), e[0].pid);
}

TEST(user_namespace)
{
	struct host_locks h;
	pid_t host = getpid();
	struct kid k;

	host_lock(_metadata, &h, "userns");
	/* Sanity: the host sees its own locks. */
	EXPECT_EQ(2, proc_lines_of_pid(host));
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (enter_user_ns(0)) {
			TH_LOG("cannot make a user namespace: %s",
			       strerror(errno));
			_exit(2);
		}
		check_isolated(_metadata, &h, host);
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
	check_host(_metadata, &h);
	close(h.named);
	close(h.deflt);
}

TEST(ipc_namespace)
{
	struct host_locks h;
	pid_t host = getpid();
	struct kid k;

	host_lock(_metadata, &h, "ipcns");
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (unshare(CLONE_NEWIPC)) {
			TH_LOG("cannot make an IPC namespace: %s",
			       strerror(errno));
			_exit(2);
		}
		check_isolated(_metadata, &h, host);
		/* Nor does an unprivileged reader in the namespace. */
		if (become(UID_A, UID_A))
			_exit(2);
		EXPECT_EQ(0, proc_lines_of_pid(host));
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));

	/* The same unprivileged reader in the host's namespace sees it. */
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (become(UID_A, UID_A))
			_exit(2);
		EXPECT_EQ(1, proc_lines_of_pid(host));
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
	check_host(_metadata, &h);
	close(h.named);
	close(h.deflt);
}

/*
 * The namespace tests below run longer than the harness's default allows
 * on slow guests: a fixture gives them their own timeout, and notes the
 * lockspaces and locks of /proc/lockdev/stats before.
 */
FIXTURE(deadns) {
	long long spaces;
	long long locks;
};

FIXTURE_SETUP(deadns)
{
	self->spaces = stat_value("lockspaces");
	self->locks = stat_value("locks");
	ASSERT_LE(0, self->spaces);
	ASSERT_LE(0, self->locks);
}

FIXTURE_TEARDOWN(deadns)
{
}

/* New IPC namespaces made to get the first one's place back. */
#define RECYCLE_TRIES	50

/* Exit statuses of the children of recycled_ipc_namespace. */
enum {
	NS_OK,
	NS_SETUP = 2,
	NS_FOUND = 10,		/* attached to the dead namespace's lockspace */
	NS_OWNER_DIED,		/* got its owner-died lock */
};

static const char *ns_status(int st)
{
	switch (st) {
	case NS_OK:
		return "ok";
	case NS_FOUND:
		return "attached to the dead namespace's lockspace";
	case NS_OWNER_DIED:
		return "got the dead namespace's owner-died lock";
	default:
		return "failed";
	}
}

/* Unshare the IPC namespace and write its inode number to @wr. */
static int new_ipc_ns(int wr)
{
	struct stat st;

	if (unshare(CLONE_NEWIPC) || stat("/proc/self/ns/ipc", &st))
		return -1;
	return write(wr, &st.st_ino, sizeof(st.st_ino)) ==
	       sizeof(st.st_ino) ? 0 : -1;
}

/*
 * Child @i of recycled_ipc_namespace, in an IPC namespace of its own: the
 * first leaves @lk owner-died in lockspace @space and in its default
 * lockspace; every later one must find neither lockspace, and its own
 * lockspaces of those names start empty.
 */
static void __attribute__((noreturn))
ipc_ns_child(int i, const char *space, const char *lk, int wr)
{
	struct lockdev_lock l;
	int fd, fd2;

	if (new_ipc_ns(wr))
		_exit(NS_SETUP);
	fd = open_session();
	fd2 = open_session();
	if (fd < 0 || fd2 < 0)
		_exit(NS_SETUP);
	/* In the default lockspace too. */
	if (lock_str(fd2, lk, LOCKDEV_MODE_EXCLUSIVE, LOCKDEV_LOCK_NONBLOCK,
		     &l))
		_exit(NS_SETUP);
	if (l.result & LOCKDEV_RESULT_OWNER_DIED)
		_exit(NS_OWNER_DIED);
	if (i == 0) {
		if (attach_str(fd, space, 0, 0600) ||
		    lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE,
			     LOCKDEV_LOCK_NONBLOCK, NULL))
			_exit(NS_SETUP);
		/* Exit holding both: owner-died, with the namespace gone. */
		_exit(NS_OK);
	}
	if (unlock_str(fd2, lk))
		_exit(NS_SETUP);
	if (!attach_str(fd, space, LOCKDEV_ATTACH_NOCREATE, 0600)) {
		if (!lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, &l) &&
		    (l.result & LOCKDEV_RESULT_OWNER_DIED))
			_exit(NS_OWNER_DIED);
		_exit(NS_FOUND);
	}
	if (errno != ENOENT || attach_str(fd, space, 0, 0600) ||
	    lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE, LOCKDEV_LOCK_NONBLOCK,
		     &l))
		_exit(NS_SETUP);
	if (l.result & LOCKDEV_RESULT_OWNER_DIED)
		_exit(NS_OWNER_DIED);
	_exit(unlock_str(fd, lk) ? NS_SETUP : NS_OK);
}

/*
 * A lockspace belongs to its IPC namespace, not to the namespace that later
 * takes its address and inode number. In a user namespace of its own, a
 * child in a new IPC namespace leaves a lock owner-died in a named lockspace
 * and exits, and its IPC namespace goes with it. Then, one after another, up
 * to RECYCLE_TRIES children in new IPC namespaces (in the same user
 * namespace, which the lockspace keeps alive) look for that lockspace with
 * NOCREATE: ENOENT every time, also for those whose namespace has the first
 * one's inode number, and the lock of that name is never owner-died, there
 * nor in the default lockspace.
 */
TEST_F_TIMEOUT(deadns, recycled_ipc_namespace, 120)
{
	int i, p[2], st, recycled = 0, tries = 0;
	ino_t first = 0, ino;
	char space[64], lk[64];
	__u64 start;
	pid_t pid;
	struct kid k;

	snprintf(space, sizeof(space), "space-recycled-%d", getpid());
	snprintf(lk, sizeof(lk), "space-recycled-lock-%d", getpid());
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		alarm(90);
		if (enter_user_ns(0)) {
			TH_LOG("cannot make a user namespace: %s",
			       strerror(errno));
			_exit(2);
		}
		start = now_ns();
		for (i = 0; i <= RECYCLE_TRIES; i++) {
			if (pipe(p))
				_exit(3);
			fflush(stdout);
			fflush(stderr);
			pid = fork();
			if (pid < 0)
				_exit(3);
			if (pid == 0) {
				close(p[0]);
				ipc_ns_child(i, space, lk, p[1]);
			}
			close(p[1]);
			ino = 0;
			if (!(poll_in(p[0], WAIT_MS) & POLLIN) ||
			    read(p[0], &ino, sizeof(ino)) != sizeof(ino))
				ino = 0;
			close(p[0]);
			st = reap(pid, WAIT_MS);
			if (i == 0)
				first = ino;
			else
				tries++;
			if (i && ino == first)
				recycled++;
			EXPECT_EQ(NS_OK, st) {
				TH_LOG("child %d (IPC namespace inode %lu, the first's %lu): %s",
				       i, (unsigned long)ino,
				       (unsigned long)first, ns_status(st));
			}
			if (st != NS_OK || now_ns() - start > 30000000000ull)
				break;
			/* Give the dead namespace time to be freed. */
			sleep_ms(20);
		}
		TH_LOG("%d of %d new IPC namespaces had inode number %lu again",
		       recycled, tries, (unsigned long)first);
		KID_EXIT();
	}
	EXPECT_EQ(0, reap(k.pid, 100000));
	close(k.rd);
	close(k.wr);
}

/*
 * Wait up to @ms for the lockspaces and locks of /proc/lockdev/stats to be
 * at most @spaces and @locks; false if they are not.
 */
static bool stats_down_to(long long spaces, long long locks, int ms,
			  long long *now_spaces, long long *now_locks)
{
	int waited;

	for (waited = 0;; waited += 100) {
		*now_spaces = stat_value("lockspaces");
		*now_locks = stat_value("locks");
		if (*now_spaces <= spaces && *now_locks <= locks)
			return true;
		if (waited >= ms)
			return false;
		sleep_ms(100);
	}
}

/* Children of dead_namespace_collected; the last one keeps its namespace. */
#define DEAD_KIDS	4
#define KEEPER		(DEAD_KIDS - 1)

/*
 * The owner-died locks of a lockspace that no session can reach any more
 * are dropped, and the lockspace with them, within about 10 seconds (given
 * 25 here): two children in new user and IPC namespaces and one in a new
 * user namespace only leave a lock owner-died and exit. A fourth leaves
 * one too but stays in its namespaces, so its lockspace must stay: after
 * the others' are gone, it attaches to it again and finds the lock.
 */
TEST_F_TIMEOUT(deadns, dead_namespace_collected, 90)
{
	static const int more[DEAD_KIDS] = {
		CLONE_NEWIPC, CLONE_NEWIPC, 0, CLONE_NEWIPC
	};
	long long spaces, locks;
	struct kid k[DEAD_KIDS];
	char space[64], lk[64];
	struct lockdev_query q;
	struct lockdev_lock l;
	struct lockdev_consistent c;
	int i, fd;

	snprintf(space, sizeof(space), "space-deadns-%d", getpid());
	snprintf(lk, sizeof(lk), "space-deadns-lock-%d", getpid());
	for (i = 0; i < DEAD_KIDS; i++) {
		ASSERT_LE(0, kid_fork(&k[i]));
		if (k[i].pid != 0) {
			ASSERT_EQ('r', kid_recv(&k[i], WAIT_MS));
			continue;
		}
		alarm(80);
		if (enter_user_ns(more[i]))
			_exit(2);
		fd = open_session();
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, attach_str(fd, space, 0, 0600));
		EXPECT_EQ(0, lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK, NULL));
		if (i == KEEPER)
			close(fd);
		kid_send(&k[i], _metadata->passed ? 'r' : 'e');
		if (i != KEEPER) {
			kid_recv(&k[i], WAIT_MS);
			/* Exit holding it: owner-died. */
			KID_EXIT();
		}
		EXPECT_EQ('c', kid_recv(&k[i], 60000));
		fd = open_session();
		EXPECT_EQ(0, attach_str(fd, space, LOCKDEV_ATTACH_NOCREATE,
					0600));
		EXPECT_EQ(0, query_str(fd, lk, NULL, 0, &q));
		EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED | LOCKDEV_QUERY_IDLE,
			  q.lock_flags);
		EXPECT_EQ(0, lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK, &l));
		EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, l.result);
		memset(&c, 0, sizeof(c));
		c.handle = l.handle;
		EXPECT_EQ(0, ioctl(fd, LOCKDEV_IOC_CONSISTENT, &c));
		EXPECT_EQ(0, unlock_str(fd, lk));
		close(fd);
		KID_EXIT();
	}
	EXPECT_LE(self->spaces + DEAD_KIDS, stat_value("lockspaces"));
	EXPECT_LE(self->locks + DEAD_KIDS, stat_value("locks"));
	for (i = 0; i < KEEPER; i++) {
		kid_send(&k[i], 'q');
		EXPECT_EQ(0, kid_reap(&k[i]));
	}
	/* The keeper's lockspace and lock remain. */
	EXPECT_TRUE(stats_down_to(self->spaces + 1, self->locks + 1, 25000,
				  &spaces, &locks)) {
		TH_LOG("lockspaces %lld, locks %lld after 25 s; %lld, %lld before",
		       spaces, locks, self->spaces, self->locks);
	}
	kid_send(&k[KEEPER], 'c');
	EXPECT_EQ(0, kid_reap(&k[KEEPER]));
	EXPECT_TRUE(stats_down_to(self->spaces, self->locks, SOON_MS,
				  &spaces, &locks)) {
		TH_LOG("lockspaces %lld, locks %lld; %lld, %lld before",
		       spaces, locks, self->spaces, self->locks);
	}
}

/*
 * A user namespace that is gone with several lockspaces of its own (in the
 * host's IPC namespace, which lives on): a named one and the default one of
 * its root, each with an owner-died lock. No session can reach either, so
 * both are dropped, with their locks.
 */
TEST_F_TIMEOUT(deadns, dead_user_namespace_spaces, 90)
{
	long long spaces, locks;
	char space[64], lk[64];
	int fd, fd2;
	struct kid k;

	snprintf(space, sizeof(space), "space-deaduser-%d", getpid());
	snprintf(lk, sizeof(lk), "space-deaduser-lock-%d", getpid());
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		if (enter_user_ns(0))
			_exit(2);
		fd = open_session();
		fd2 = open_session();
		EXPECT_LE(0, fd);
		EXPECT_LE(0, fd2);
		EXPECT_EQ(0, attach_str(fd, space, 0, 0600));
		EXPECT_EQ(0, lock_str(fd, lk, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK, NULL));
		EXPECT_EQ(0, lock_str(fd2, lk, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_NONBLOCK, NULL));
		/* Exit holding both: owner-died. */
		KID_EXIT();
	}
	EXPECT_EQ(0, kid_reap(&k));
	EXPECT_LE(self->spaces + 2, stat_value("lockspaces"));
	EXPECT_LE(self->locks + 2, stat_value("locks"));
	EXPECT_TRUE(stats_down_to(self->spaces, self->locks, 25000, &spaces,
				  &locks)) {
		TH_LOG("lockspaces %lld, locks %lld after 25 s; %lld, %lld before",
		       spaces, locks, self->spaces, self->locks);
	}
}

/*
 * Lockspaces of dead namespaces that only a kept report holds: their
 * reports are all of one uid (root, the namespaces' creator), which keeps
 * this many.
 */
#define ZOMBIES		LOCKDEV_DEADLOCKS_KEPT_PER_USER

/*
 * Lockspaces of dead namespaces that kept order reports hold on to (each
 * broke the order before its namespace went) do not stall the collector:
 * a dead user namespace's lockspace with an owner-died lock goes as fast
 * as it would alone, and the held lockspaces stay, with no lock, until
 * their reports go.
 */
TEST_F_TIMEOUT(deadns, kept_reports_do_not_stall, 90)
{
	struct lockdev_lock l;
	long long spaces, locks;
	char space[64];
	struct kid k;
	int i, fd;

	for (i = 0; i <= ZOMBIES; i++) {
		ASSERT_LE(0, kid_fork(&k));
		if (k.pid != 0) {
			EXPECT_EQ(0, kid_reap(&k));
			continue;
		}
		if (enter_user_ns(i < ZOMBIES ? CLONE_NEWIPC : 0))
			_exit(2);
		snprintf(space, sizeof(space), "space-zombie-%d-%d", getppid(),
			 i);
		fd = open_session();
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, attach_str(fd, space, 0, 0600));
		memset(&l, 0, sizeof(l));
		l.name = ptr("zombie:a");
		l.name_len = strlen("zombie:a");
		l.mode = LOCKDEV_MODE_EXCLUSIVE;
		l.flags = LOCKDEV_LOCK_NONBLOCK;
		l.level = 2;
		EXPECT_EQ(0, ioctl(fd, LOCKDEV_IOC_LOCK, &l));
		if (i < ZOMBIES) {
			l.name = ptr("zombie:b");
			l.level = 1;
			EXPECT_EQ(-1, ioctl(fd, LOCKDEV_IOC_LOCK, &l));
			EXPECT_EQ(EDEADLK, errno);
		}
		/* Exit holding zombie:a: owner-died. */
		KID_EXIT();
	}
	EXPECT_TRUE(stats_down_to(self->spaces + ZOMBIES, self->locks, 25000,
				  &spaces, &locks)) {
		TH_LOG("lockspaces %lld, locks %lld after 25 s; %lld, %lld before",
		       spaces, locks, self->spaces, self->locks);
	}
}

TEST_HARNESS_MAIN
