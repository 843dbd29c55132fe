// SPDX-License-Identifier: GPL-2.0
/*
 * liblockdev-preload.so against the kernel's own locks: the same sequence
 * of flock(2), fcntl(2) (POSIX and OFD) and lockf(3) calls, made by
 * preload-helper processes, gives the same result call by call without the
 * library (variant "kernel") and with it (variant "lockdev"); with it the
 * locks are lockdev's too: they show in /proc/lockdev/locks, and a flock
 * deadlock of two processes over two files fails with EDEADLK instead of
 * hanging. Range locks are left to the kernel, and without /dev/lockdev the
 * library says so once and uses the kernel's locks alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "util.h"

/* How long a call that must wait is watched, and how long an answer may take. */
#define BLOCKED_MS	300
#define ANSWER_MS	10000

struct helper {
	pid_t pid;
	int in;			/* its stdin */
	int out;		/* its stdout */
	char buf[4096];
	size_t len;
	char err[PATH_MAX];	/* its stderr, a file */
};

static char helper_path[PATH_MAX], preload_path[PATH_MAX];

static void find_paths(struct __test_metadata *_metadata)
{
	char exe[PATH_MAX], *dir;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	ASSERT_LT(0, n);
	exe[n] = 0;
	dir = dirname(exe);
	snprintf(helper_path, sizeof(helper_path), "%s/preload-helper", dir);
	snprintf(preload_path, sizeof(preload_path),
		 "%s/../lib/liblockdev-preload.so", dir);
	ASSERT_EQ(0, access(helper_path, X_OK));
	ASSERT_EQ(0, access(preload_path, R_OK)) {
		TH_LOG("no %s: build it first (make lib)", preload_path);
	}
}

/*
 * Start a helper, with the library when @preload, and without /dev/lockdev
 * (a tmpfs on /dev in a mount namespace of its own) when @nodev.
 */
static int helper_start(struct helper *h, const char *dir, int idx,
			bool preload, bool nodev)
{
	int in[2], out[2], err;

	memset(h, 0, sizeof(*h));
	snprintf(h->err, sizeof(h->err), "%s/stderr.%d", dir, idx);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		return -1;
	h->pid = fork();
	if (h->pid < 0)
		return -1;
	if (!h->pid) {
		err = open(h->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		setpgid(0, 0);
		if (nodev && (unshare(CLONE_NEWNS) ||
			      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE,
				    NULL) ||
			      mount("none", "/dev", "tmpfs", 0, NULL)))
			_exit(126);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(126);
		if (preload) {
			setenv("LD_PRELOAD", preload_path, 1);
			setenv("LOCKDEV_PRELOAD_LOG", "1", 1);
		}
		execl(helper_path, helper_path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	h->in = in[1];
	h->out = out[0];
	return 0;
}

static void helper_stop(struct helper *h)
{
	if (h->pid <= 0)
		return;
	kill(-h->pid, SIGKILL);
	kill(h->pid, SIGKILL);
	waitpid(h->pid, NULL, 0);
	close(h->in);
	close(h->out);
	h->pid = 0;
}

/* Its next answer, within @ms: NULL if none came (the call waits). */
static const char *answer(struct helper *h, int ms)
{
	static char line[256];
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(h->buf, '\n', h->len);
		if (nl) {
			size_t l = nl - h->buf;

			memcpy(line, h->buf, l < 255 ? l : 255);
			line[l < 255 ? l : 255] = 0;
			memmove(h->buf, nl + 1, h->len - l - 1);
			h->len -= l + 1;
			return line;
		}
		if (poll_in(h->out, ms) <= 0)
			return NULL;
		n = read(h->out, h->buf + h->len, sizeof(h->buf) - h->len);
		if (n <= 0)
			return NULL;
		h->len += n;
	}
}

static void __attribute__((format(printf, 2, 3)))
send(struct helper *h, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	write_all(h->in, line, n);
}

/* Send a command and expect @want within ANSWER_MS. */
#define CALL(h, want, ...) do {						\
	const char *_a;							\
	send(h, __VA_ARGS__);						\
	_a = answer(h, ANSWER_MS);					\
	ASSERT_NE(NULL, _a);						\
	ASSERT_STREQ(want, _a);						\
} while (0)

/* Send a command that must wait: no answer within BLOCKED_MS. */
#define BLOCKS(h, ...) do {						\
	send(h, __VA_ARGS__);						\
	ASSERT_EQ(NULL, answer(h, BLOCKED_MS));				\
} while (0)

/* The answer of a command that waited. */
#define ANSWERS(h, want) do {						\
	const char *_a = answer(h, ANSWER_MS);				\
	ASSERT_NE(NULL, _a);						\
	ASSERT_STREQ(want, _a);						\
} while (0)

/* A command's "ok NUMBER" answer. */
static long call_num(struct helper *h, const char *cmd)
{
	const char *a;

	send(h, "%s", cmd);
	a = answer(h, ANSWER_MS);
	if (!a || strncmp(a, "ok ", 3))
		return -1;
	return atol(a + 3);
}

FIXTURE(preload) {
	char dir[64];
	char f1[128], f2[128];
	struct helper h[3];
	bool lockdev;
};

FIXTURE_VARIANT(preload) {
	bool lockdev;
};

FIXTURE_VARIANT_ADD(preload, kernel) { .lockdev = false };
FIXTURE_VARIANT_ADD(preload, lockdev) { .lockdev = true };

FIXTURE_SETUP(preload)
{
	int i, fd;

	find_paths(_metadata);
	snprintf(self->dir, sizeof(self->dir), "/tmp/preload_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->f1, sizeof(self->f1), "%s/mbox.index.log", self->dir);
	snprintf(self->f2, sizeof(self->f2), "%s/other.index.log", self->dir);
	fd = open(self->f1, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	fd = open(self->f2, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	close(fd);
	self->lockdev = variant->lockdev;
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, helper_start(&self->h[i], self->dir, i,
					  variant->lockdev, false));
	arm_alarm(60);
}

FIXTURE_TEARDOWN(preload)
{
	char cmd[128];
	int i;

	for (i = 0; i < 3; i++)
		helper_stop(&self->h[i]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

/*
 * With the library, whether /proc/lockdev/locks has a line of @path's lock
 * of @kind ("flock/" or "fcntl/") in @mode and @state asked by @pid.
 */
static bool shown(const char *kind, const char *path, const char *mode,
		  const char *state, long pid)
{
	struct locks_line *l;
	bool found = false;
	int i, n = read_locks(NULL, NULL, &l);

	for (i = 0; i < n; i++) {
		const char *end = l[i].name + strlen(l[i].name) - strlen(path);

		if (!strncmp(l[i].name, kind, strlen(kind)) &&
		    end > l[i].name && !strcmp(end, path) &&
		    !strcmp(l[i].mode, mode) && !strcmp(l[i].state, state) &&
		    l[i].pid == pid)
			found = true;
	}
	if (n > 0)
		free(l);
	return found;
}

/* Whether any line of /proc/lockdev/locks names @path. */
static bool shown_any(const char *path)
{
	struct locks_line *l;
	bool found = false;
	int i, n = read_locks(NULL, NULL, &l);

	for (i = 0; i < n; i++)
		found |= strstr(l[i].name, path) != NULL;
	if (n > 0)
		free(l);
	return found;
}

/* Two processes: exclusion, non-blocking failure, a blocked waiter. */
TEST_F(preload, flock_exclusion)
{
	struct helper *a = &self->h[0], *b = &self->h[1];
	long pa = call_num(a, "pid"), pb = call_num(b, "pid");

	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "flock 0 ex");
	CALL(b, "err EAGAIN", "flock 0 ex nb");
	CALL(b, "err EAGAIN", "flock 0 sh nb");
	if (self->lockdev)
		EXPECT_TRUE(shown("flock/", self->f1, "exclusive", "held", pa));
	BLOCKS(b, "flock 0 sh");
	if (self->lockdev)
		EXPECT_TRUE(shown("flock/", self->f1, "shared", "waiting",
				  pb));
	CALL(a, "ok", "flock 0 sh");
	ANSWERS(b, "ok");
	CALL(a, "ok", "flock 0 un");
	CALL(b, "ok", "flock 0 un");
	CALL(a, "ok", "flock 0 ex nb");
	/* Closing the only descriptor releases it. */
	CALL(a, "ok", "close 0");
	CALL(b, "ok", "flock 0 ex nb");
	if (self->lockdev)
		EXPECT_TRUE(shown("flock/", self->f1, "exclusive", "held", pb));
	CALL(b, "ok", "close 0");
	if (self->lockdev)
		EXPECT_FALSE(shown_any(self->f1));
}

/*
 * A file of @dir whose name the library keeps in the same entry as
 * @path's for flock (preload/name.c: entry (inode * 31 + device * 7 + 1)
 * mod 64), so that locking it pushes @path's name out; into @out.
 */
static int same_name_entry(const char *dir, const char *path, char *out,
			   size_t len)
{
	unsigned long long want, h;
	struct stat st;
	int i, fd;

	if (stat(path, &st))
		return -1;
	want = ((unsigned long long)st.st_ino * 31 + st.st_dev * 7 + 1) % 64;
	for (i = 0; i < 4096; i++) {
		snprintf(out, len, "%s/other.%d", dir, i);
		fd = open(out, O_RDWR | O_CREAT, 0600);
		if (fd < 0 || fstat(fd, &st))
			return -1;
		close(fd);
		h = ((unsigned long long)st.st_ino * 31 + st.st_dev * 7 + 1) % 64;
		if (h == want)
			return 0;
	}
	return -1;
}

/*
 * A lock keeps the name it was taken under: a file renamed or unlinked
 * while locked, whose name the process then made again, is still released
 * and converted under the old one, and nothing stays held.
 */
TEST_F(preload, flock_renamed_and_unlinked)
{
	struct helper *a = &self->h[0], *b = &self->h[1];
	char other[160], moved[160];

	snprintf(moved, sizeof(moved), "%s.old", self->f1);
	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "flock 0 ex");
	ASSERT_EQ(0, rename(self->f1, moved));
	ASSERT_EQ(0, same_name_entry(self->dir, moved,
				     other, sizeof(other)));
	CALL(a, "ok", "open 1 %s", other);
	CALL(a, "ok", "flock 1 ex");
	CALL(a, "ok", "close 1");
	CALL(a, "ok", "flock 0 sh");
	CALL(a, "ok", "flock 0 un");
	if (self->lockdev)
		EXPECT_FALSE(shown_any(self->f1));
	CALL(b, "ok", "open 0 %s", moved);
	CALL(b, "ok", "flock 0 ex nb");
	CALL(b, "ok", "close 0");

	CALL(a, "ok", "open 2 %s", self->f2);
	CALL(a, "ok", "flock 2 sh");
	ASSERT_EQ(0, same_name_entry(self->dir, self->f2, other,
				     sizeof(other)));
	ASSERT_EQ(0, unlink(self->f2));
	CALL(a, "ok", "open 1 %s", other);
	CALL(a, "ok", "flock 1 ex");
	CALL(a, "ok", "close 1");
	CALL(a, "ok", "flock 2 ex");
	CALL(a, "ok", "close 2");
	if (self->lockdev)
		EXPECT_FALSE(shown_any(self->f2));
}

/* A vfork() child's close() leaves its parent's lock alone. */
TEST_F(preload, vfork_child_close)
{
	struct helper *a = &self->h[0], *b = &self->h[1];
	long pa = call_num(a, "pid");

	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "flock 0 ex");
	CALL(a, "ok", "vforkclose 0");
	CALL(b, "err EAGAIN", "flock 0 ex nb");
	if (self->lockdev)
		EXPECT_TRUE(shown("flock/", self->f1, "exclusive", "held", pa));
	CALL(a, "ok", "flock 0 un");
	CALL(b, "ok", "flock 0 ex nb");
	if (self->lockdev)
		EXPECT_TRUE(shown("flock/", self->f1, "exclusive", "held",
				  call_num(b, "pid")));
}

/* The open file description's lock: shared by dup() and fork(). */
TEST_F(preload, flock_dup_fork)
{
	struct helper *a = &self->h[0], *b = &self->h[1];
	char cmd[64];
	long kid;

	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "dup 0 1");
	CALL(a, "ok", "flock 0 ex");
	CALL(a, "ok", "close 0");
	CALL(b, "err EAGAIN", "flock 0 ex nb");
	/* The copy unlocks what the original locked. */
	CALL(a, "ok", "flock 1 un");
	CALL(b, "ok", "flock 0 ex nb");
	CALL(b, "ok", "flock 0 un");
	/* Held through a fork: the last process's close releases it. */
	CALL(a, "ok", "flock 1 ex");
	kid = call_num(a, "fork");
	ASSERT_LT(0, kid);
	CALL(a, "ok", "close 1");
	CALL(b, "err EAGAIN", "flock 0 ex nb");
	/* The parent can lock anew; its new lock is its own. */
	CALL(a, "ok", "open 2 %s", self->f2);
	CALL(a, "ok", "flock 2 ex");
	snprintf(cmd, sizeof(cmd), "kill %ld", kid);
	CALL(a, "ok", "%s", cmd);
	CALL(b, "ok", "flock 0 ex nb");
	CALL(b, "ok", "open 1 %s", self->f2);
	CALL(b, "err EAGAIN", "flock 1 ex nb");
	CALL(a, "ok", "close 2");
	CALL(b, "ok", "flock 1 ex nb");
}

/* A lock held through a fork and converted by one of the two. */
TEST_F(preload, flock_fork_convert)
{
	struct helper *a = &self->h[0], *b = &self->h[1];
	long pa = call_num(a, "pid"), kid;
	char cmd[64];

	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "flock 0 ex");
	kid = call_num(a, "fork");
	ASSERT_LT(0, kid);
	CALL(a, "ok", "flock 0 sh");
	if (self->lockdev)
		EXPECT_TRUE(shown("flock/", self->f1, "shared", "held", pa));
	CALL(b, "ok", "flock 0 sh nb");
	CALL(b, "err EAGAIN", "flock 0 ex nb");
	snprintf(cmd, sizeof(cmd), "kill %ld", kid);
	CALL(a, "ok", "%s", cmd);
	CALL(b, "err EAGAIN", "flock 0 ex nb");
	CALL(a, "ok", "close 0");
	CALL(b, "ok", "flock 0 ex nb");
}

/*
 * POSIX locks: the process's, released by the close of any descriptor of
 * the file, not inherited by a child; F_GETLK names the holder's pid.
 */
TEST_F(preload, posix)
{
	struct helper *a = &self->h[0], *b = &self->h[1];
	long pa = call_num(a, "pid");
	char want[64];

	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "open 1 %s", self->f1);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "posix 0 wr");
	CALL(b, "err EAGAIN", "posix 0 rd nb");
	snprintf(want, sizeof(want), "ok wrlck %ld", pa);
	CALL(b, want, "getlk 0 rd");
	if (self->lockdev)
		EXPECT_TRUE(shown("fcntl/", self->f1, "exclusive", "held", pa));
	/* The child is another process: the parent's lock excludes it. */
	CALL(a, "err EAGAIN", "forkrun posix 0 wr nb");
	CALL(a, "ok unlck", "getlk 0 wr");
	/* Another descriptor of the file closes: the lock goes. */
	CALL(a, "ok", "close 1");
	CALL(b, "ok unlck", "getlk 0 wr");
	CALL(b, "ok", "posix 0 rd nb");
	CALL(a, "ok", "posix 0 rd nb");
	CALL(b, "err EAGAIN", "posix 0 wr nb");
	/* An upgrade waits for the other reader, holding its read lock. */
	BLOCKS(b, "posix 0 wr");
	CALL(a, "ok", "posix 0 un");
	ANSWERS(b, "ok");
	CALL(a, "err EAGAIN", "lockf 0 tlock");
	CALL(b, "ok", "posix 0 un");
	CALL(a, "ok", "lockf 0 tlock");
	CALL(b, "err EAGAIN", "lockf 0 tlock");
	BLOCKS(b, "lockf 0 lock");
	CALL(a, "ok", "lockf 0 ulock");
	ANSWERS(b, "ok");
	if (self->lockdev)
		EXPECT_FALSE(shown("fcntl/", self->f1, "exclusive", "held",
				   pa));
	CALL(b, "ok", "lockf 0 ulock");
	/* lockf64, which programs built with _FILE_OFFSET_BITS=64 call. */
	CALL(a, "ok", "lockf64 0 tlock");
	if (self->lockdev)
		EXPECT_TRUE(shown("fcntl/", self->f1, "exclusive", "held", pa));
	CALL(b, "err EAGAIN", "lockf64 0 tlock");
	CALL(a, "ok", "lockf64 0 ulock");
	if (self->lockdev)
		EXPECT_FALSE(shown("fcntl/", self->f1, "exclusive", "held",
				   pa));
}

/* OFD locks: the open file description's, conflicting with POSIX ones. */
TEST_F(preload, ofd)
{
	struct helper *a = &self->h[0], *b = &self->h[1];

	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "open 1 %s", self->f1);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "ofd 0 wr");
	/* Another open file description of the same process conflicts. */
	CALL(a, "err EAGAIN", "ofd 1 rd nb");
	CALL(b, "err EAGAIN", "ofd 0 rd nb");
	CALL(b, "err EAGAIN", "posix 0 rd nb");
	CALL(b, "ok wrlck -1", "ofdgetlk 0 rd");
	/* Unlike a POSIX lock, it stays when another descriptor closes. */
	CALL(a, "ok", "close 1");
	CALL(b, "err EAGAIN", "ofd 0 wr nb");
	CALL(a, "ok", "dup 0 2");
	CALL(a, "ok", "close 0");
	CALL(b, "err EAGAIN", "ofd 0 wr nb");
	BLOCKS(b, "ofd 0 wr");
	CALL(a, "ok", "close 2");
	ANSWERS(b, "ok");
	if (self->lockdev)
		EXPECT_TRUE(shown("fcntl/", self->f1, "exclusive", "held",
				  call_num(b, "pid")));
}

/*
 * exec keeps the descriptors and the kernel's locks on them (POSIX and
 * flock); the library loses its sessions at exec, but the kernel's lock
 * still excludes, so every call answers as without it.
 */
TEST_F(preload, exec)
{
	struct helper *a = &self->h[0], *b = &self->h[1];

	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "open 1 %s", self->f2);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(b, "ok", "open 1 %s", self->f2);
	CALL(a, "ok", "flock 0 ex");
	CALL(a, "ok", "posix 1 wr");
	CALL(a, "ok", "exec");
	CALL(b, "err EAGAIN", "flock 0 sh nb");
	CALL(b, "err EAGAIN", "posix 1 rd nb");
	BLOCKS(b, "flock 0 ex");
	CALL(a, "ok", "flock 0 un");
	ANSWERS(b, "ok");
	BLOCKS(b, "posix 1 wr");
	CALL(a, "ok", "close 1");
	ANSWERS(b, "ok");
	CALL(a, "err EAGAIN", "flock 0 ex nb");
}

/*
 * A signal ends a wait with EINTR when its handler has no SA_RESTART, and
 * the wait goes on when it has.
 */
TEST_F(preload, eintr)
{
	struct helper *a = &self->h[0], *b = &self->h[1];

	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "flock 0 ex");
	CALL(a, "ok", "posix 0 wr");
	CALL(b, "ok", "alarm 200");
	CALL(b, "err EINTR", "flock 0 sh");
	CALL(b, "ok", "alarm 200");
	CALL(b, "err EINTR", "posix 0 rd");
	CALL(b, "ok", "alarm 200");
	CALL(b, "err EINTR", "lockf 0 lock");
	CALL(b, "ok", "alarm 100 restart");
	BLOCKS(b, "flock 0 sh");
	CALL(a, "ok", "flock 0 un");
	ANSWERS(b, "ok");
	CALL(b, "ok", "flock 0 un");
	CALL(b, "ok", "alarm 100 restart");
	BLOCKS(b, "posix 0 rd");
	CALL(a, "ok", "posix 0 un");
	ANSWERS(b, "ok");
	CALL(b, "ok", "posix 0 un");
	/* Nothing was left behind: the locks come free for b. */
	CALL(a, "ok", "posix 0 wr");
	CALL(a, "ok", "flock 0 ex");
	CALL(a, "ok", "close 0");
	CALL(b, "ok", "flock 0 ex nb");
	CALL(b, "ok", "posix 0 wr nb");
}

/*
 * Two processes lock two files with flock in opposite order: the kernel
 * lets them wait for each other for ever; lockdev fails the call that
 * closes the cycle with EDEADLK, and the other one then gets its lock.
 */
TEST_F(preload, flock_deadlock)
{
	struct helper *a = &self->h[0], *b = &self->h[1];

	if (!self->lockdev)
		SKIP(return, "the kernel does not detect flock deadlocks");
	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "open 1 %s", self->f2);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(b, "ok", "open 1 %s", self->f2);
	CALL(a, "ok", "flock 0 ex");
	CALL(b, "ok", "flock 1 ex");
	BLOCKS(a, "flock 1 ex");
	CALL(b, "err EDEADLK", "flock 0 ex");
	CALL(b, "ok", "flock 1 un");
	ANSWERS(a, "ok");
	/* The same with OFD locks. */
	CALL(a, "ok", "flock 0 un");
	CALL(a, "ok", "flock 1 un");
	CALL(a, "ok", "ofd 0 wr");
	CALL(b, "ok", "ofd 1 wr");
	BLOCKS(b, "ofd 0 wr");
	CALL(a, "err EDEADLK", "ofd 1 wr");
	CALL(a, "ok", "ofd 0 un");
	ANSWERS(b, "ok");
}

/*
 * A process without the library holds the kernel's lock: a process with it
 * gets the lockdev lock, then waits for the kernel's, and says so.
 */
TEST_F(preload, kernel_holder)
{
	struct helper *b = &self->h[1], k;
	long pb = call_num(b, "pid");
	char *err;

	ASSERT_EQ(0, helper_start(&k, self->dir, 8, false, false));
	CALL(&k, "ok", "open 0 %s", self->f1);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(&k, "ok", "flock 0 ex");
	CALL(b, "err EAGAIN", "flock 0 sh nb");
	BLOCKS(b, "flock 0 ex");
	if (self->lockdev)
		EXPECT_TRUE(shown("flock/", self->f1, "exclusive", "held", pb));
	CALL(&k, "ok", "flock 0 un");
	ANSWERS(b, "ok");
	CALL(&k, "err EAGAIN", "flock 0 sh nb");
	helper_stop(&k);
	if (!self->lockdev)
		return;
	err = read_file(b->err);
	ASSERT_NE(NULL, err);
	EXPECT_NE(NULL, strstr(err, "held by a process without lockdev")) {
		TH_LOG("its stderr: %s", err);
	}
	free(err);
}

/*
 * LOCKDEV_PRELOAD_CLASSES gives the class of the paths its globs match, the
 * first match's; other paths keep the class made of their base name; an
 * entry that is not GLOB=CLASS is said on stderr and left out.
 */
TEST_F(preload, classes)
{
	struct helper c;
	char *err;
	long pc;

	if (!self->lockdev)
		SKIP(return, "the library's classes");
	ASSERT_EQ(0, setenv("LOCKDEV_PRELOAD_CLASSES",
			    "no-equals:*/mbox.*=mail.log:*/mbox.index.log=later:*=bad class",
			    1));
	ASSERT_EQ(0, helper_start(&c, self->dir, 8, true, false));
	ASSERT_EQ(0, unsetenv("LOCKDEV_PRELOAD_CLASSES"));
	pc = call_num(&c, "pid");
	CALL(&c, "ok", "open 0 %s", self->f1);
	CALL(&c, "ok", "open 1 %s", self->f2);
	CALL(&c, "ok", "flock 0 ex");
	CALL(&c, "ok", "posix 1 wr");
	EXPECT_TRUE(shown("flock/mail.log:", self->f1, "exclusive", "held",
			  pc));
	EXPECT_TRUE(shown("fcntl/other.index.log:", self->f2, "exclusive",
			  "held", pc));
	helper_stop(&c);
	err = read_file(c.err);
	ASSERT_NE(NULL, err);
	EXPECT_NE(NULL, strstr(err, "\"no-equals\" is not GLOB=CLASS")) {
		TH_LOG("its stderr: %s", err);
	}
	EXPECT_NE(NULL, strstr(err, "\"*=bad class\" is not GLOB=CLASS")) {
		TH_LOG("its stderr: %s", err);
	}
	free(err);
}

/* A lock of a byte range goes to the kernel alone. */
TEST_F(preload, range)
{
	struct helper *a = &self->h[0], *b = &self->h[1];

	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(b, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "range 0 wr");
	CALL(b, "err EAGAIN", "range 0 wr");
	if (self->lockdev)
		EXPECT_FALSE(shown_any(self->f1));
	CALL(b, "err EAGAIN", "posix 0 wr nb");
	CALL(a, "ok", "range 0 un");
	CALL(b, "ok", "posix 0 wr nb");
}

/*
 * Without /dev/lockdev the library says so once and the kernel's locks
 * still exclude, also a process that uses the module.
 */
TEST_F(preload, no_device)
{
	struct helper *a = &self->h[0], nodev;
	char *err, *p;
	int said = 0;

	if (!self->lockdev)
		SKIP(return, "the library's fallback");
	ASSERT_EQ(0, helper_start(&nodev, self->dir, 9, true, true));
	CALL(&nodev, "ok", "open 0 %s", self->f1);
	CALL(&nodev, "ok", "open 1 %s", self->f2);
	CALL(a, "ok", "open 0 %s", self->f1);
	CALL(a, "ok", "flock 0 ex");
	CALL(&nodev, "err EAGAIN", "flock 0 ex nb");
	CALL(&nodev, "ok", "flock 1 ex nb");
	CALL(&nodev, "ok", "posix 1 wr nb");
	CALL(a, "ok", "flock 0 un");
	CALL(&nodev, "ok", "flock 0 ex nb");
	helper_stop(&nodev);
	err = read_file(nodev.err);
	ASSERT_NE(NULL, err);
	EXPECT_NE(NULL, strstr(err, "using the kernel's locks only"));
	for (p = err; (p = strstr(p, "lockdev-preload[")); p++)
		said++;
	EXPECT_EQ(1, said) {
		TH_LOG("its stderr: %s", err);
	}
	free(err);
}

TEST_HARNESS_MAIN
