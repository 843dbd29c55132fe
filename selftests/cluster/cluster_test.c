// SPDX-License-Identifier: GPL-2.0
/*
 * cluster_test: a lockdev cluster lockspace across the two guests of
 * selftests/vm/cluster.
 *
 *     selftests/vm/cluster -- selftests/cluster/cluster_test
 *
 * Runs on both nodes (LOCKDEV_NODE 1 or 2, LOCKDEV_NODE_ADDR,
 * LOCKDEV_PEER_ADDR, LOCKDEV_CLUSTER and LOCKDEV_NODE_OUT as cluster-node
 * sets them), which talk over TCP on the private link to order their steps.
 * Both create the cluster lockspace; then, in turn:
 *
 *  exclusion   node 1 holds EXCLUSIVE: node 2's NONBLOCK request fails with
 *              EAGAIN and a request with a deadline times out; a blocking
 *              one is granted once node 1 released, with the value node 1
 *              set and the generation node 1 saw after its release; then
 *              node 1's NONBLOCK request is granted, as node 2 only keeps
 *              the DLM lock;
 *  policy      node 1 holds SHARED, node 2 asks for EXCLUSIVE and waits:
 *              a new SHARED request on node 1 waits too (it times out),
 *              and node 2's EXCLUSIVE is granted when node 1 releases;
 *  value       node 1 sets a value in EXCLUSIVE, node 2 sets another in
 *              APPEND and, still keeping the DLM lock in PW, asks for
 *              EXCLUSIVE: the grant carries its own value, not the older
 *              one the DLM holds for the lock, and so does node 1's next
 *              grant;
 *  killed      a process of node 1 holding EXCLUSIVE is killed (SIGKILL):
 *              node 2's request is granted owner-died; node 2 marks it
 *              consistent, and node 1's next grant no longer says
 *              owner-died;
 *  cycle       each node holds one lock and asks for the other's: neither
 *              module sees the cycle, and the deadlines break it
 *              (ETIMEDOUT on both);
 *  host death  a process of node 1 holds EXCLUSIVE and node 2 waits for
 *              it; node 1 crashes (sysrq b: its qemu ends). Node 2's
 *              request is granted once the DLM recovered, owner-died, with
 *              the value not valid. Node 1 leaves the file died-on-purpose
 *              in its results first, for the runner.
 *
 * Each node prints TAP lines for its own checks and "N passed, N failed";
 * the exit status is 1 if a check failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../uapi/linux/lockdev.h"
#include "peer.h"

#define SPACE		"lockdev_cluster_test"
#define PORT		7178
/* How long a request that must wait is watched waiting. */
#define WATCH_MS	3000
/* Bound on every wait for the peer: TCG guests run slowly. */
#define PEER_MS		180000
#define VALUE		"set by node 1"

static __u64 deadline_in(int ms)
{
	return (now_ms() + ms) * 1000000ULL;
}

/* A session attached to the cluster lockspace. */
static int session(void)
{
	struct lockdev_attach at = { .name = (__u64)(unsigned long)SPACE,
				     .name_len = strlen(SPACE) };
	int fd = open("/dev/lockdev", O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, LOCKDEV_IOC_ATTACH, &at))
		bail("attaching to " SPACE);
	return fd;
}

/* LOCK @name in @mode with @flags; a deadline @ms ahead if @ms > 0. */
static int lock(int fd, const char *name, __u32 mode, __u32 flags, int ms,
		struct lockdev_lock *l)
{
	memset(l, 0, sizeof(*l));
	l->name = (__u64)(unsigned long)name;
	l->name_len = strlen(name);
	l->mode = mode;
	l->flags = flags | LOCKDEV_LOCK_VALUE;
	if (ms > 0) {
		l->flags |= LOCKDEV_LOCK_DEADLINE;
		l->deadline_ns = deadline_in(ms);
	}
	return ioctl(fd, LOCKDEV_IOC_LOCK, l) ? errno : 0;
}

static int unlock(int fd, __u64 handle, const char *value)
{
	struct lockdev_unlock u = { .handle = handle };

	if (value) {
		u.flags = LOCKDEV_UNLOCK_SET_VALUE;
		memcpy(u.value, value, strnlen(value, sizeof(u.value)));
	}
	return ioctl(fd, LOCKDEV_IOC_UNLOCK, &u) ? errno : 0;
}

static __u64 generation(int fd, const char *name)
{
	struct lockdev_query q = { .name = (__u64)(unsigned long)name,
				   .name_len = strlen(name) };

	if (ioctl(fd, LOCKDEV_IOC_QUERY, &q))
		bail("QUERY");
	return q.generation;
}

/*
 * In a child: LOCK @name in @mode, with a deadline @ms ahead; write the
 * result, its flags and how long it took to @pipe_w. Returns the child.
 */
static pid_t lock_in_child(const char *name, __u32 mode, int ms, int pipe_w)
{
	pid_t pid = fork();
	long long rec[3];
	struct lockdev_lock l;
	int fd;

	if (pid)
		return pid;
	fd = session();
	rec[2] = now_ms();
	rec[0] = lock(fd, name, mode, 0, ms, &l);
	rec[1] = l.result;
	rec[2] = now_ms() - rec[2];
	if (write(pipe_w, rec, sizeof(rec)) != sizeof(rec))
		_exit(1);
	if (!rec[0])
		unlock(fd, l.handle, NULL);
	_exit(0);
}

static void create_space(void)
{
	const char *cluster = getenv("LOCKDEV_CLUSTER");
	struct lockdev_space_ctl c = {
		.name = (__u64)(unsigned long)SPACE, .name_len = strlen(SPACE),
		.op = LOCKDEV_SPACE_CREATE, .flags = LOCKDEV_SPACE_CLUSTER,
		.mode = 0666, .uid = LOCKDEV_SPACE_KEEP,
		.gid = LOCKDEV_SPACE_KEEP,
	};
	long long t = now_ms();
	int fd = open("/dev/lockdev", O_RDWR | O_CLOEXEC);

	if (!cluster || fd < 0) {
		errno = cluster ? errno : EINVAL;
		bail("LOCKDEV_CLUSTER and /dev/lockdev");
	}
	c.cluster = (__u64)(unsigned long)cluster;
	c.cluster_len = strlen(cluster);
	check(!ioctl(fd, LOCKDEV_IOC_SPACE, &c),
	      "creates the cluster lockspace %s in cluster %s (%s, %lld ms)",
	      SPACE, cluster, strerror(errno), now_ms() - t);
	close(fd);
}

static void exclusion1(int sock, int fd)
{
	struct lockdev_lock l;
	__u64 gen;
	int ret;

	check(!lock(fd, "mailbox", LOCKDEV_MODE_EXCLUSIVE, 0, 60000, &l),
	      "exclusion: takes mailbox EXCLUSIVE");
	tell_c(sock, 'H');
	hear_c(sock, 'W');
	usleep(1000000);
	check(!unlock(fd, l.handle, VALUE),
	      "exclusion: releases it, setting the value");
	gen = generation(fd, "mailbox");
	tell(sock, &gen, sizeof(gen));
	hear_c(sock, 'F');
	ret = lock(fd, "mailbox", LOCKDEV_MODE_EXCLUSIVE,
		   LOCKDEV_LOCK_NONBLOCK, 0, &l);
	check(!ret,
	      "exclusion: NONBLOCK EXCLUSIVE is granted while node 2 only keeps the DLM lock (%s)",
	      strerror(ret));
	unlock(fd, l.handle, NULL);
}

static void exclusion2(int sock, int fd)
{
	struct lockdev_lock l;
	long long t;
	__u64 gen;
	int ret;

	hear_c(sock, 'H');
	ret = lock(fd, "mailbox", LOCKDEV_MODE_EXCLUSIVE,
		   LOCKDEV_LOCK_NONBLOCK, 0, &l);
	check(ret == EAGAIN,
	      "exclusion: NONBLOCK EXCLUSIVE fails with EAGAIN while node 1 holds it (%s)",
	      strerror(ret));
	t = now_ms();
	ret = lock(fd, "mailbox", LOCKDEV_MODE_EXCLUSIVE, 0, WATCH_MS, &l);
	t = now_ms() - t;
	check(ret == ETIMEDOUT && t >= WATCH_MS - 50,
	      "exclusion: EXCLUSIVE with a deadline times out after %lld ms (%s)",
	      t, strerror(ret));
	tell_c(sock, 'W');
	ret = lock(fd, "mailbox", LOCKDEV_MODE_EXCLUSIVE, 0, 60000, &l);
	check(!ret, "exclusion: EXCLUSIVE is granted once node 1 released (%s)",
	      strerror(ret));
	hear(sock, &gen, sizeof(gen));
	check(!ret && !(l.result & LOCKDEV_RESULT_VALUE_INVALID) &&
	      !strncmp((char *)l.value, VALUE, sizeof(l.value)),
	      "exclusion: the grant carries the value node 1 set (\"%.*s\")",
	      (int)sizeof(l.value), (char *)l.value);
	check(!ret && l.generation == gen,
	      "exclusion: and the generation node 1 saw after its release (%#llx, %#llx)",
	      (unsigned long long)l.generation, (unsigned long long)gen);
	unlock(fd, l.handle, NULL);
	tell_c(sock, 'F');
}

static void policy1(int sock, int fd)
{
	struct lockdev_lock l, l2;
	int fd2 = session(), ret;

	check(!lock(fd, "index", LOCKDEV_MODE_SHARED, 0, 60000, &l),
	      "policy: takes index SHARED");
	tell_c(sock, 'S');
	hear_c(sock, 'E');
	ret = lock(fd2, "index", LOCKDEV_MODE_SHARED, 0, WATCH_MS, &l2);
	check(ret == ETIMEDOUT,
	      "policy: a new SHARED waits while node 2's EXCLUSIVE waits (%s)",
	      strerror(ret));
	tell_c(sock, 'R');
	check(!unlock(fd, l.handle, NULL), "policy: releases its SHARED");
	hear_c(sock, 'G');
	ret = lock(fd2, "index", LOCKDEV_MODE_SHARED, 0, 60000, &l2);
	check(!ret, "policy: SHARED is granted after node 2's EXCLUSIVE (%s)",
	      strerror(ret));
	unlock(fd2, l2.handle, NULL);
	close(fd2);
}

static void policy2(int sock, int fd)
{
	long long rec[3];
	int p[2];
	pid_t pid;

	(void)fd;
	hear_c(sock, 'S');
	if (pipe(p))
		bail("pipe");
	pid = lock_in_child("index", LOCKDEV_MODE_EXCLUSIVE, 120000, p[1]);
	usleep(1000000);
	tell_c(sock, 'E');
	hear_c(sock, 'R');
	if (read(p[0], rec, sizeof(rec)) != sizeof(rec))
		bail("reading the child's result");
	waitpid(pid, NULL, 0);
	check(!rec[0] && rec[2] >= WATCH_MS,
	      "policy: EXCLUSIVE is granted once node 1 released, after %lld ms (%s)",
	      rec[2], strerror(rec[0]));
	tell_c(sock, 'G');
	close(p[0]);
	close(p[1]);
}

static void value1(int sock, int fd)
{
	struct lockdev_lock l;
	int ret;

	check(!lock(fd, "value", LOCKDEV_MODE_EXCLUSIVE, 0, 60000, &l) &&
	      !unlock(fd, l.handle, "one"),
	      "value: sets one in EXCLUSIVE");
	tell_c(sock, 'V');
	hear_c(sock, 'W');
	ret = lock(fd, "value", LOCKDEV_MODE_APPEND, 0, 60000, &l);
	check(!ret && !strncmp((char *)l.value, "two", sizeof(l.value)),
	      "value: APPEND is granted with node 2's latest value (\"%.*s\", %s)",
	      (int)sizeof(l.value), (char *)l.value, strerror(ret));
	unlock(fd, l.handle, NULL);
}

static void value2(int sock, int fd)
{
	struct lockdev_lock l;
	__u64 gen;
	int ret;

	hear_c(sock, 'V');
	ret = lock(fd, "value", LOCKDEV_MODE_APPEND, 0, 60000, &l);
	check(!ret && !strncmp((char *)l.value, "one", sizeof(l.value)),
	      "value: APPEND is granted with node 1's value (\"%.*s\", %s)",
	      (int)sizeof(l.value), (char *)l.value, strerror(ret));
	unlock(fd, l.handle, "two");
	gen = generation(fd, "value");
	ret = lock(fd, "value", LOCKDEV_MODE_EXCLUSIVE, 0, 60000, &l);
	check(!ret && !strncmp((char *)l.value, "two", sizeof(l.value)),
	      "value: EXCLUSIVE, asked while keeping PW, is granted with this host's latest value (\"%.*s\")",
	      (int)sizeof(l.value), (char *)l.value);
	check(!ret && l.generation == gen,
	      "value: and this host's latest generation (%#llx, %#llx)",
	      (unsigned long long)l.generation, (unsigned long long)gen);
	unlock(fd, l.handle, NULL);
	tell_c(sock, 'W');
}

static void killed1(int sock, int fd)
{
	struct lockdev_lock l;
	int p[2], ret;
	pid_t pid;
	char c;

	if (pipe(p))
		bail("pipe");
	pid = fork();
	if (!pid) {
		if (lock(session(), "killed", LOCKDEV_MODE_EXCLUSIVE, 0, 60000,
			 &l) || write(p[1], "h", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	check(pid > 0 && read(p[0], &c, 1) == 1 && !kill(pid, SIGKILL) &&
	      waitpid(pid, NULL, 0) == pid,
	      "killed: a process holding killed EXCLUSIVE is killed");
	close(p[0]);
	close(p[1]);
	tell_c(sock, 'K');
	hear_c(sock, 'C');
	ret = lock(fd, "killed", LOCKDEV_MODE_EXCLUSIVE, 0, 60000, &l);
	check(!ret && !(l.result & LOCKDEV_RESULT_OWNER_DIED),
	      "killed: once node 2 marked it consistent, node 1's grant is not owner-died (result %#x, %s)",
	      l.result, strerror(ret));
	unlock(fd, l.handle, NULL);
}

static void killed2(int sock, int fd)
{
	struct lockdev_consistent c = { 0 };
	struct lockdev_lock l;
	int ret;

	hear_c(sock, 'K');
	ret = lock(fd, "killed", LOCKDEV_MODE_EXCLUSIVE, 0, 60000, &l);
	check(!ret && (l.result & LOCKDEV_RESULT_OWNER_DIED),
	      "killed: EXCLUSIVE is granted owner-died after node 1's holder was killed (result %#x, %s)",
	      l.result, strerror(ret));
	c.handle = l.handle;
	if (!ret)
		ret = ioctl(fd, LOCKDEV_IOC_CONSISTENT, &c) ? errno : 0;
	check(!ret, "killed: marks it consistent (%s)", strerror(ret));
	unlock(fd, l.handle, NULL);
	tell_c(sock, 'C');
}

/* Each node holds @mine and asks for @theirs, which the other holds. */
static void cycle(int sock, int fd, const char *mine, const char *theirs)
{
	struct lockdev_lock l, l2;
	long long t;
	int ret;

	check(!lock(fd, mine, LOCKDEV_MODE_EXCLUSIVE, 0, 60000, &l),
	      "cycle: takes %s EXCLUSIVE", mine);
	tell_c(sock, 'C');
	hear_c(sock, 'C');
	t = now_ms();
	ret = lock(fd, theirs, LOCKDEV_MODE_EXCLUSIVE, 0, 2 * WATCH_MS, &l2);
	t = now_ms() - t;
	check(ret == ETIMEDOUT && t >= 2 * WATCH_MS - 50,
	      "cycle: asking for %s, held by the other node, is broken by the deadline after %lld ms (%s)",
	      theirs, t, strerror(ret));
	/* Both requests ended before either lock is released. */
	tell_c(sock, 'D');
	hear_c(sock, 'D');
	unlock(fd, l.handle, NULL);
	tell_c(sock, 'U');
	hear_c(sock, 'U');
}

static void death1(int sock)
{
	const char *out = getenv("LOCKDEV_NODE_OUT");
	char path[4096];
	int p[2], fd;
	char c;

	if (pipe(p))
		bail("pipe");
	if (!fork()) {
		struct lockdev_lock l;

		fd = session();
		if (lock(fd, "died", LOCKDEV_MODE_EXCLUSIVE, 0, 60000, &l))
			_exit(1);
		if (write(p[1], "h", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (read(p[0], &c, 1) != 1)
		bail("the holder");
	check(1, "death: a process holds died EXCLUSIVE");
	tell_c(sock, 'X');
	hear_c(sock, 'Y');
	snprintf(path, sizeof(path), "%s/died-on-purpose", out ? out : ".");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		bail(path);
	close(fd);
	printf("# death: node 1 crashes now\n");
	fflush(stdout);
	sync();
	fd = open("/proc/sysrq-trigger", O_WRONLY);
	if (fd < 0 || write(fd, "b", 1) != 1)
		bail("/proc/sysrq-trigger");
	pause();
}

static void death2(int sock, int fd)
{
	struct lockdev_lock l;
	long long t;
	int ret;

	hear_c(sock, 'X');
	ret = lock(fd, "died", LOCKDEV_MODE_EXCLUSIVE, LOCKDEV_LOCK_NONBLOCK, 0,
		   &l);
	check(ret == EAGAIN, "death: died is held on node 1 (%s)",
	      strerror(ret));
	tell_c(sock, 'Y');
	t = now_ms();
	ret = lock(fd, "died", LOCKDEV_MODE_EXCLUSIVE, 0, PEER_MS, &l);
	t = now_ms() - t;
	check(!ret, "death: EXCLUSIVE is granted after node 1 died, in %lld ms (%s)",
	      t, strerror(ret));
	check(!ret && (l.result & LOCKDEV_RESULT_OWNER_DIED),
	      "death: the grant says owner-died (result %#x)", l.result);
	check(!ret && (l.result & LOCKDEV_RESULT_VALUE_INVALID),
	      "death: and that the value is not valid");
	unlock(fd, l.handle, NULL);
}

/* Node 2, alone: remove the lockspace, and see the DLM lockspace left. */
static void leave(void)
{
	const char *out = getenv("LOCKDEV_NODE_OUT");
	struct lockdev_space_ctl c = {
		.name = (__u64)(unsigned long)SPACE, .name_len = strlen(SPACE),
		.op = LOCKDEV_SPACE_REMOVE, .flags = LOCKDEV_SPACE_FORCE,
	};
	long long end = now_ms() + 60000;
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/peer-died", out ? out : ".");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	fd = open("/dev/lockdev", O_RDWR | O_CLOEXEC);
	errno = 0;
	check(fd >= 0 && !ioctl(fd, LOCKDEV_IOC_SPACE, &c),
	      "removes the cluster lockspace (%s)", strerror(errno));
	close(fd);
	while (!access("/sys/kernel/dlm/" SPACE, F_OK) && now_ms() < end)
		usleep(100000);
	check(access("/sys/kernel/dlm/" SPACE, F_OK),
	      "the DLM lockspace is left once the last session is gone");
}

int main(void)
{
	int sock, fd, one;

	one = peer_node("cluster_test") == 1;
	peer_ms = PEER_MS;
	sock = peer_connect(one ? 1 : 2, PORT);
	create_space();
	fd = session();
	/* Both joined: the DLM's recovery for the join is over on both. */
	peer_joined(sock);
	if (one) {
		exclusion1(sock, fd);
		policy1(sock, fd);
		value1(sock, fd);
		killed1(sock, fd);
		cycle(sock, fd, "a", "b");
		death1(sock);
	} else {
		exclusion2(sock, fd);
		policy2(sock, fd);
		value2(sock, fd);
		killed2(sock, fd);
		cycle(sock, fd, "b", "a");
		death2(sock, fd);
		close(fd);
		leave();
	}
	return summary();
}
