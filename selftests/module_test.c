// SPDX-License-Identifier: GPL-2.0
/*
 * The module's life: unload is refused while a session exists, and load,
 * use, unload, reload works repeatedly; while it is unloaded, liblockdev's
 * opens say so. Needs LOCKDEV_VM_MODULE, the path of the module the runner
 * loaded; leaves the module loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "lockdev.h"
#include "util.h"

static int unload(void)
{
	return syscall(__NR_delete_module, "lockdev", O_NONBLOCK);
}

static int load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = syscall(__NR_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

static int lock_one(int fd, const char *name, __u32 mode)
{
	struct lockdev_lock lk = {
		.name = (__u64)(unsigned long)name,
		.name_len = strlen(name),
		.mode = mode,
		.flags = LOCKDEV_LOCK_NONBLOCK,
	};

	return ioctl(fd, LOCKDEV_IOC_LOCK, &lk);
}

TEST(unload_refused_while_session_open)
{
	int fd = open_session();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lock_one(fd, "module:held", LOCKDEV_MODE_EXCLUSIVE));
	EXPECT_EQ(-1, unload());
	EXPECT_EQ(EWOULDBLOCK, errno);
	/* Still working. */
	EXPECT_EQ(0, lock_one(fd, "module:held2", LOCKDEV_MODE_SHARED));
	close(fd);
}

TEST(reload_cycles)
{
	const char *path = getenv("LOCKDEV_VM_MODULE");
	int i, fd, other;

	if (!path || !*path)
		SKIP(return, "LOCKDEV_VM_MODULE is not set (run under selftests/vm/run)");
	for (i = 0; i < 5; i++) {
		fd = open_session();
		ASSERT_LE(0, fd);
		other = open_session();
		ASSERT_LE(0, other);
		ASSERT_EQ(0, lock_one(fd, "module:cycle", LOCKDEV_MODE_EXCLUSIVE));
		ASSERT_EQ(-1, lock_one(other, "module:cycle", LOCKDEV_MODE_SHARED));
		ASSERT_EQ(EAGAIN, errno);
		close(fd);
		close(other);
		ASSERT_EQ(0, unload());
		ASSERT_EQ(-1, access(LOCKDEV_DEV, F_OK));
		ASSERT_EQ(0, load(path));
		/* A fresh module: nothing is left from the last one. */
		fd = open_session();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, lock_one(fd, "module:cycle", LOCKDEV_MODE_EXCLUSIVE));
		close(fd);
	}
}

/*
 * Without the module there is no /dev/lockdev: liblockdev's opens return
 * -ENOENT, which lockdev_strerror() calls "lockdev module not loaded".
 * Nothing else is tried while it is out: the netlink calls would have the
 * kernel load a module of that name from /lib/modules.
 */
TEST(library_open_without_module)
{
	const char *path = getenv("LOCKDEV_VM_MODULE");
	struct lockdev *ld = NULL;
	int open_ret, space_ret;

	if (!path || !*path)
		SKIP(return, "LOCKDEV_VM_MODULE is not set (run under selftests/vm/run)");
	ASSERT_EQ(0, unload());
	open_ret = lockdev_open(&ld, 0);
	space_ret = lockdev_open_space(&ld, "module-lib", 0600, 0);
	ASSERT_EQ(0, load(path));
	EXPECT_EQ(-ENOENT, open_ret);
	EXPECT_EQ(-ENOENT, space_ret);
	EXPECT_EQ(NULL, ld);
	EXPECT_EQ(0, strncmp(lockdev_strerror(open_ret, 0),
			     "lockdev module not loaded", 25))
		TH_LOG("lockdev_strerror: %s", lockdev_strerror(open_ret, 0));
	/* And back: the library opens the reloaded module. */
	ASSERT_EQ(0, lockdev_open(&ld, 0));
	lockdev_close(ld);
}

TEST_HARNESS_MAIN
