// SPDX-License-Identifier: GPL-2.0
/*
 * clusterbench: what a lock of a cluster lockspace costs, on the two guests
 * of selftests/vm/cluster (bench/cluster runs it), against the same
 * through the DLM's user device (libdlm) as the anchor. Node 1 measures,
 * node 2 plays the other host; they order their steps over TCP on the
 * private link, outside every timed interval.
 *
 *  local           LOCK+UNLOCK in EXCLUSIVE in a lockspace of one host
 *  cached          the same in a cluster lockspace whose DLM lock this
 *                  host keeps: no DLM call
 *  dlm_local       dlm_ls_lock_wait(EX) + dlm_ls_unlock_wait() on names
 *                  node 2 never uses: a DLM lock made and freed per
 *                  operation, with a message to the name's master when
 *                  that is node 2
 *  remote          LOCK in EXCLUSIVE of a cluster lock whose DLM lock node
 *                  2 keeps (it took and released it just before): node 2
 *                  gives it up when asked, then the grant comes
 *  dlm_remote      dlm_ls_lock_wait(EX) while node 2 holds EX through
 *                  libdlm and unlocks it on the blocking callback
 *
 * Node 1 prints a line per figure and the ratios, writes them as JSON to
 * LOCKDEV_NODE_OUT/cluster.json, and a TAP line; node 2 a TAP line. The
 * link to the peer and the TAP lines are selftests/cluster/peer.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <libdlm.h>

#include "../uapi/linux/lockdev.h"
#include "../selftests/cluster/peer.h"

#define SPACE		"lockdev_bench"
#define DLM_SPACE	"lockdev_bench_dlm"
#define PORT		7179
/* Bound on every wait for the peer. */
#define PEER_MS		180000
#define LOCAL_OPS	20000
#define REMOTE_OPS	200
#define DLM_NAMES	16

static int sock;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* A session in the cluster lockspace (created first), or a default one. */
static int session(int cluster)
{
	struct lockdev_space_ctl c = {
		.name = (__u64)(unsigned long)SPACE, .name_len = strlen(SPACE),
		.op = LOCKDEV_SPACE_CREATE, .flags = LOCKDEV_SPACE_CLUSTER,
		.mode = 0600, .uid = LOCKDEV_SPACE_KEEP,
		.gid = LOCKDEV_SPACE_KEEP,
	};
	struct lockdev_attach at = { .name = c.name, .name_len = c.name_len };
	const char *cl = getenv("LOCKDEV_CLUSTER");
	int fd = open("/dev/lockdev", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		bail("/dev/lockdev");
	if (!cluster)
		return fd;
	if (!cl) {
		errno = EINVAL;
		bail("LOCKDEV_CLUSTER");
	}
	c.cluster = (__u64)(unsigned long)cl;
	c.cluster_len = strlen(cl);
	if (ioctl(fd, LOCKDEV_IOC_SPACE, &c) && errno != EEXIST)
		bail("creating the cluster lockspace");
	if (ioctl(fd, LOCKDEV_IOC_ATTACH, &at))
		bail("attaching");
	return fd;
}

static __u64 lock_x(int fd, const char *name)
{
	struct lockdev_lock l = { .name = (__u64)(unsigned long)name,
				  .name_len = strlen(name),
				  .mode = LOCKDEV_MODE_EXCLUSIVE };

	if (ioctl(fd, LOCKDEV_IOC_LOCK, &l))
		bail("LOCK");
	return l.handle;
}

static void unlock_h(int fd, __u64 handle)
{
	struct lockdev_unlock u = { .handle = handle };

	if (ioctl(fd, LOCKDEV_IOC_UNLOCK, &u))
		bail("UNLOCK");
}

/* ns per LOCK+UNLOCK of @name on @fd, @ops times after a warm-up. */
static double lockdev_loop(int fd, const char *name, int ops)
{
	double t;
	int i;

	unlock_h(fd, lock_x(fd, name));
	t = now_ns();
	for (i = 0; i < ops; i++)
		unlock_h(fd, lock_x(fd, name));
	return (now_ns() - t) / ops;
}

static int dlm_ex(dlm_lshandle_t ls, struct dlm_lksb *lksb, const char *name,
		  void (*bast)(void *arg))
{
	memset(lksb, 0, sizeof(*lksb));
	return dlm_ls_lock_wait(ls, LKM_EXMODE, lksb, 0, name, strlen(name), 0,
				NULL, bast, NULL) || lksb->sb_status;
}

static void dlm_un(dlm_lshandle_t ls, struct dlm_lksb *lksb)
{
	if (dlm_ls_unlock_wait(ls, lksb->sb_lkid, 0, lksb))
		bail("dlm_ls_unlock_wait");
}

/* ns per lock+unlock through libdlm, over DLM_NAMES names. */
static double dlm_loop(dlm_lshandle_t ls, int ops)
{
	struct dlm_lksb lksb;
	char name[32];
	double t;
	int i;

	t = now_ns();
	for (i = 0; i < ops; i++) {
		snprintf(name, sizeof(name), "local-%d", i % DLM_NAMES);
		if (dlm_ex(ls, &lksb, name, NULL))
			bail("dlm_ls_lock_wait");
		dlm_un(ls, &lksb);
	}
	return (now_ns() - t) / ops;
}

static int blocked;

static void on_bast(void *arg)
{
	(void)arg;
	blocked = 1;
}

static void node1(int fd, int cfd, dlm_lshandle_t ls)
{
	double local, cached, dlm_local, remote = 0, dlm_remote = 0, t;
	struct dlm_lksb lksb;
	const char *out = getenv("LOCKDEV_NODE_OUT");
	char path[4096];
	FILE *f;
	int i;

	local = lockdev_loop(fd, "bench", LOCAL_OPS);
	cached = lockdev_loop(cfd, "bench-cached", LOCAL_OPS);
	dlm_local = dlm_loop(ls, LOCAL_OPS / 10);
	for (i = 0; i < REMOTE_OPS; i++) {
		tell_c(sock, 'T');
		hear_c(sock, 'H');
		t = now_ns();
		unlock_h(cfd, lock_x(cfd, "bench-remote"));
		remote += now_ns() - t;
	}
	tell_c(sock, 'D');
	for (i = 0; i < REMOTE_OPS; i++) {
		tell_c(sock, 'T');
		hear_c(sock, 'H');
		t = now_ns();
		if (dlm_ex(ls, &lksb, "remote", NULL))
			bail("dlm_ls_lock_wait");
		dlm_remote += now_ns() - t;
		dlm_un(ls, &lksb);
	}
	tell_c(sock, 'D');
	remote /= REMOTE_OPS;
	dlm_remote /= REMOTE_OPS;
	printf("# local       %10.0f ns  LOCK+UNLOCK, a lockspace of one host\n",
	       local);
	printf("# cached      %10.0f ns  LOCK+UNLOCK, cluster lockspace, DLM lock kept\n",
	       cached);
	printf("# dlm_local   %10.0f ns  libdlm lock+unlock, no other holder\n",
	       dlm_local);
	printf("# remote      %10.0f ns  LOCK, the other host keeps the DLM lock\n",
	       remote);
	printf("# dlm_remote  %10.0f ns  libdlm lock, the other host holds EX\n",
	       dlm_remote);
	printf("# cached_vs_dlm_local %.3f, remote_vs_dlm_remote %.3f, cached_vs_local %.3f\n",
	       cached / dlm_local, remote / dlm_remote, cached / local);
	snprintf(path, sizeof(path), "%s/cluster.json", out ? out : ".");
	f = fopen(path, "w");
	if (!f)
		bail(path);
	fprintf(f, "{\n  \"ns\": {\"local\": %.0f, \"cached\": %.0f, "
		"\"dlm_local\": %.0f, \"remote\": %.0f, \"dlm_remote\": %.0f},\n"
		"  \"ratios\": {\"cached_vs_dlm_local\": %.3f, "
		"\"remote_vs_dlm_remote\": %.3f, \"cached_vs_local\": %.3f},\n"
		"  \"ops\": {\"local\": %d, \"remote\": %d}\n}\n",
		local, cached, dlm_local, remote, dlm_remote,
		cached / dlm_local, remote / dlm_remote, cached / local,
		LOCAL_OPS, REMOTE_OPS);
	fclose(f);
	check(1, "clusterbench: figures in %s", path);
}

/* Node 2: keep the lock each round, lockdev's way then libdlm's. */
static void node2(int cfd, dlm_lshandle_t ls)
{
	struct pollfd pfd = { .fd = dlm_ls_get_fd(ls), .events = POLLIN };
	struct dlm_lksb lksb;
	char c;

	for (;;) {
		hear(sock, &c, 1);
		if (c == 'D')
			break;
		unlock_h(cfd, lock_x(cfd, "bench-remote"));
		tell_c(sock, 'H');
	}
	for (;;) {
		hear(sock, &c, 1);
		if (c == 'D')
			break;
		blocked = 0;
		if (dlm_ex(ls, &lksb, "remote", on_bast))
			bail("dlm_ls_lock_wait");
		tell_c(sock, 'H');
		while (!blocked) {
			if (poll(&pfd, 1, peer_ms) != 1 ||
			    dlm_dispatch(pfd.fd) < 0)
				bail("waiting for the blocking callback");
		}
		dlm_un(ls, &lksb);
	}
	check(1, "clusterbench: node 2 served");
}

/* Remove the cluster lockspace, and wait until the DLM's is left. */
static void leave(void)
{
	struct lockdev_space_ctl c = {
		.name = (__u64)(unsigned long)SPACE, .name_len = strlen(SPACE),
		.op = LOCKDEV_SPACE_REMOVE, .flags = LOCKDEV_SPACE_FORCE,
	};
	double end = now_ns() + 60e9;
	int fd = open("/dev/lockdev", O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, LOCKDEV_IOC_SPACE, &c))
		bail("removing the cluster lockspace");
	close(fd);
	while (!access("/sys/kernel/dlm/" SPACE, F_OK) && now_ns() < end)
		usleep(100000);
}

int main(void)
{
	dlm_lshandle_t ls;
	int fd, cfd, one;

	one = peer_node("clusterbench (bench/cluster)") == 1;
	peer_ms = PEER_MS;
	sock = peer_connect(one ? 1 : 2, PORT);
	fd = session(0);
	cfd = session(1);
	ls = dlm_create_lockspace(DLM_SPACE, 0600);
	if (!ls)
		bail("joining " DLM_SPACE);
	/* Both joined before either locks (see selftests/vm/cluster). */
	peer_joined(sock);
	if (one)
		node1(fd, cfd, ls);
	else
		node2(cfd, ls);
	tell_c(sock, 'E');
	hear_c(sock, 'E');
	dlm_release_lockspace(DLM_SPACE, ls, 1);
	close(cfd);
	close(fd);
	leave();
	return summary();
}
