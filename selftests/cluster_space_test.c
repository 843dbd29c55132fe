// SPDX-License-Identifier: GPL-2.0
/*
 * Creating a cluster lockspace (LOCKDEV_SPACE_CLUSTER) where it cannot be
 * made: every malformed request, an unprivileged caller (another uid, a
 * user namespace of its own, an IPC namespace of its own), and a host that
 * is in no cluster (the test guests run no dlm_controld: ENOTCONN) or whose
 * DLM cannot be loaded (EOPNOTSUPP). After each failure the
 * name is free. What a cluster lockspace does is tested on a cluster
 * (selftests/cluster/, through selftests/vm/cluster).
 *
 * Tests run as root; other users and namespaces are forked children, each
 * bounded by SIGALRM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"

#define KEEP	LOCKDEV_SPACE_KEEP
#define CLUSTER	"lockdev-test"
/* LOCKDEV_IOC_SPACE with the struct's first two sizes. */
#define IOC_SPACE_VER1 _IOWR(LOCKDEV_IOC_MAGIC, _IOC_NR(LOCKDEV_IOC_SPACE), \
			     char[LOCKDEV_SPACE_CTL_SIZE_VER1])

/* A CREATE of @name with CLUSTER in @cluster, every other field 0. */
static void cluster_ctl(struct lockdev_space_ctl *c, const char *name,
			const char *cluster)
{
	memset(c, 0, sizeof(*c));
	c->name = ptr(name);
	c->name_len = strlen(name);
	c->op = LOCKDEV_SPACE_CREATE;
	c->flags = LOCKDEV_SPACE_CLUSTER;
	c->mode = 0600;
	c->uid = KEEP;
	c->gid = KEEP;
	c->cluster = ptr(cluster);
	c->cluster_len = strlen(cluster);
}

/* LOCKDEV_IOC_SPACE of @c on a session of its own: 0 or the errno. */
static int space_call(unsigned long cmd, struct lockdev_space_ctl *c)
{
	int fd = open_session(), ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, cmd, c) ? errno : 0;
	close(fd);
	return ret;
}

/* @name is free: a plain CREATE of it works, and REMOVE takes it again. */
static bool name_free(const char *name)
{
	int fd = open_session();
	bool ok;

	if (fd < 0)
		return false;
	ok = !space_ctl_call(fd, name, strlen(name), LOCKDEV_SPACE_CREATE, 0,
			     0600, KEEP, KEEP) &&
	     !space_ctl_call(fd, name, strlen(name), LOCKDEV_SPACE_REMOVE, 0,
			     0, 0, 0);
	close(fd);
	return ok;
}

/*
 * The errno of a well-formed CLUSTER create of @name in a child: @how 1 as
 * uid 1001, 2 as root of a user namespace of its own, 3 in an IPC namespace
 * of its own; 98 if the namespace cannot be made.
 */
static int kid_create(const char *name, int how)
{
	struct lockdev_space_ctl c;
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(CHILD_SECS);
		if (how == 1 && become(1001, 1001))
			_exit(99);
		if (how == 2 &&
		    (unshare(CLONE_NEWUSER) ||
		     write_str("/proc/self/setgroups", "deny") ||
		     write_str("/proc/self/uid_map", "0 0 1") ||
		     write_str("/proc/self/gid_map", "0 0 1")))
			_exit(98);
		if (how == 3 && unshare(CLONE_NEWIPC))
			_exit(98);
		cluster_ctl(&c, name, CLUSTER);
		_exit(space_call(LOCKDEV_IOC_SPACE, &c));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST(feature)
{
	struct lockdev_version v = { 0 };
	int fd = open_session();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_VERSION, &v));
	EXPECT_TRUE(v.features & LOCKDEV_FEATURE_CLUSTER);
	close(fd);
}

/* Every malformed request fails, with the errno the header gives. */
TEST(bad_requests)
{
	char name[80], big[LOCKDEV_CLUSTER_NAME_MAX + 2];
	struct lockdev_space_ctl c;
	void *page;

	snprintf(name, sizeof(name), "cl-bad-%d", getpid());
	/* The struct without cluster: cluster_len reads as 0. */
	cluster_ctl(&c, name, CLUSTER);
	EXPECT_EQ(EINVAL, space_call(IOC_SPACE_VER1, &c));
	cluster_ctl(&c, name, CLUSTER);
	c.flags |= LOCKDEV_SPACE_REPLACE;
	EXPECT_EQ(EINVAL, space_call(LOCKDEV_IOC_SPACE, &c));
	cluster_ctl(&c, name, CLUSTER);
	c.pad2 = 1;
	EXPECT_EQ(EINVAL, space_call(LOCKDEV_IOC_SPACE, &c));
	cluster_ctl(&c, name, CLUSTER);
	c.cluster_len = 0;
	EXPECT_EQ(EINVAL, space_call(LOCKDEV_IOC_SPACE, &c));
	/* cluster and cluster_len without CLUSTER, on CREATE and on SET. */
	cluster_ctl(&c, name, CLUSTER);
	c.flags = 0;
	EXPECT_EQ(EINVAL, space_call(LOCKDEV_IOC_SPACE, &c));
	cluster_ctl(&c, name, CLUSTER);
	c.flags = 0;
	c.cluster_len = 0;
	EXPECT_EQ(EINVAL, space_call(LOCKDEV_IOC_SPACE, &c));
	cluster_ctl(&c, name, CLUSTER);
	c.op = LOCKDEV_SPACE_SET;
	EXPECT_EQ(EINVAL, space_call(LOCKDEV_IOC_SPACE, &c));
	cluster_ctl(&c, name, CLUSTER);
	c.op = LOCKDEV_SPACE_SET;
	c.flags = 0;
	EXPECT_EQ(EINVAL, space_call(LOCKDEV_IOC_SPACE, &c));
	/* Too long: the cluster's name, the lockspace's for the DLM. */
	memset(big, 'c', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	cluster_ctl(&c, name, big);
	EXPECT_EQ(ENAMETOOLONG, space_call(LOCKDEV_IOC_SPACE, &c));
	long_name(big, LOCKDEV_CLUSTER_SPACE_NAME_MAX + 1, "cl-long-");
	cluster_ctl(&c, big, CLUSTER);
	EXPECT_EQ(ENAMETOOLONG, space_call(LOCKDEV_IOC_SPACE, &c));
	/* A NUL byte: in the lockspace's name, in the cluster's. */
	cluster_ctl(&c, name, CLUSTER);
	c.name_len = strlen(name) + 1;
	EXPECT_EQ(EINVAL, space_call(LOCKDEV_IOC_SPACE, &c));
	cluster_ctl(&c, name, CLUSTER);
	c.cluster_len = strlen(CLUSTER) + 1;
	EXPECT_EQ(EINVAL, space_call(LOCKDEV_IOC_SPACE, &c));
	/* A cluster name the module cannot read. */
	page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	cluster_ctl(&c, name, CLUSTER);
	c.cluster = ptr(page);
	EXPECT_EQ(EFAULT, space_call(LOCKDEV_IOC_SPACE, &c));
	munmap(page, 4096);
	EXPECT_TRUE(name_free(name));
}

/* The host's DLM lockspace is not for a user, nor a namespace's root. */
TEST(not_privileged)
{
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "cl-perm-%d", getpid());
	EXPECT_EQ(EPERM, kid_create(name, 1));
	ret = kid_create(name, 2);
	if (ret == 98) {
		TH_LOG("no user namespace: that part is not run");
	} else {
		EXPECT_EQ(EPERM, ret);
	}
	ret = kid_create(name, 3);
	if (ret == 98) {
		TH_LOG("no IPC namespace: that part is not run");
	} else {
		EXPECT_EQ(EPERM, ret);
	}
	EXPECT_TRUE(name_free(name));
}

/* Is the DLM there now, built in or loaded? */
static bool dlm_loaded(void)
{
	return !access("/sys/kernel/dlm", F_OK);
}

/* Does this kernel have the DLM, built in or as a module? */
static bool kernel_has_dlm(void)
{
	char path[512];
	struct utsname u;

	if (dlm_loaded() || uname(&u))
		return true;
	snprintf(path, sizeof(path), "/lib/modules/%s/kernel/fs/dlm",
		 u.release);
	return !access(path, F_OK);
}

#define MODPROBE "/proc/sys/kernel/modprobe"

/* Write @path to the kernel's modprobe setting: 0 or -1. */
static int set_modprobe(const char *path)
{
	int fd = open(MODPROBE, O_WRONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -1;
	ret = write_all(fd, path, strlen(path));
	close(fd);
	return ret;
}

/*
 * A kernel whose DLM module cannot be loaded: EOPNOTSUPP, and the next
 * request, once it can be, gets as far as the cluster (ENOTCONN). The
 * module loader is made to fail by the kernel's modprobe setting, so this
 * runs only while the DLM is not loaded yet (the lockdev module keeps it
 * from its first cluster lockspace on): in the 6.1, 6.12 and rt lanes,
 * before no_cluster loads it.
 */
TEST(no_dlm)
{
	struct lockdev_space_ctl c;
	char *old, name[64];
	int ret, again;

	if (dlm_loaded())
		SKIP(return, "the DLM is built in or loaded: it cannot be missing");
	old = read_file(MODPROBE);
	ASSERT_NE(NULL, old);
	old[strcspn(old, "\n")] = 0;
	ASSERT_EQ(0, set_modprobe("/bin/false"));
	snprintf(name, sizeof(name), "cl-nodlm-%d", getpid());
	cluster_ctl(&c, name, CLUSTER);
	ret = space_call(LOCKDEV_IOC_SPACE, &c);
	ASSERT_EQ(0, set_modprobe(old));
	EXPECT_EQ(EOPNOTSUPP, ret);
	EXPECT_FALSE(dlm_loaded());
	EXPECT_TRUE(name_free(name));
	/* The failure was not kept: with a loader, the DLM is found. */
	if (kernel_has_dlm()) {
		cluster_ctl(&c, name, CLUSTER);
		again = space_call(LOCKDEV_IOC_SPACE, &c);
		EXPECT_EQ(ENOTCONN, again);
		EXPECT_TRUE(name_free(name));
	}
	free(old);
}

/*
 * The test guests are in no cluster: with a DLM, ENOTCONN (the DLM module
 * loaded on demand); without one, EOPNOTSUPP.
 */
TEST(no_cluster)
{
	struct lockdev_space_ctl c;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "cl-none-%d", getpid());
	cluster_ctl(&c, name, CLUSTER);
	ret = space_call(LOCKDEV_IOC_SPACE, &c);
	if (kernel_has_dlm()) {
		EXPECT_EQ(ENOTCONN, ret);
	} else {
		EXPECT_EQ(EOPNOTSUPP, ret);
	}
	EXPECT_TRUE(name_free(name));
	/* Asked again, the same answer: nothing was left half made. */
	cluster_ctl(&c, name, CLUSTER);
	EXPECT_EQ(ret, space_call(LOCKDEV_IOC_SPACE, &c));
	EXPECT_TRUE(name_free(name));
}

TEST_HARNESS_MAIN
