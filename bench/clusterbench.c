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
 * LOCKDEV_NODE_OUT/cluster.json, and a TAP line; node 2 a TAP line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libdlm.h>

#include "../uapi/linux/lockdev.h"

#define SPACE		"lockdev_bench"
#define DLM_SPACE	"lockdev_bench_dlm"
#define PORT		7179
#define PEER_MS		180000
#define LOCAL_OPS	20000
#define REMOTE_OPS	200
#define DLM_NAMES	16

static int sock;

static void die(const char *what)
{
	printf("not ok 1 - clusterbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void tell(char c)
{
	if (write(sock, &c, 1) != 1)
		die("telling the peer");
}

static void hear(char want)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	char got;

	if (poll(&pfd, 1, PEER_MS) != 1 || read(sock, &got, 1) != 1 ||
	    got != want) {
		errno = EPROTO;
		die("hearing the peer");
	}
}

static struct sockaddr_in address(const char *var)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(PORT) };
	const char *addr = getenv(var);

	if (!addr || inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		errno = EINVAL;
		die(var);
	}
	return sin;
}

static void connect_peers(int node)
{
	struct sockaddr_in sin;
	double end = now_ns() + PEER_MS * 1e6;
	int one = 1, lsock;

	if (node == 1) {
		sin = address("LOCKDEV_NODE_ADDR");
		lsock = socket(AF_INET, SOCK_STREAM, 0);
		if (lsock < 0 ||
		    setsockopt(lsock, SOL_SOCKET, SO_REUSEADDR, &one,
			       sizeof(one)) ||
		    bind(lsock, (struct sockaddr *)&sin, sizeof(sin)) ||
		    listen(lsock, 1))
			die("listening");
		sock = accept(lsock, NULL, NULL);
		if (sock < 0)
			die("accepting");
		close(lsock);
		return;
	}
	sin = address("LOCKDEV_PEER_ADDR");
	for (;;) {
		sock = socket(AF_INET, SOCK_STREAM, 0);
		if (sock < 0)
			die("socket");
		if (!connect(sock, (struct sockaddr *)&sin, sizeof(sin)))
			return;
		close(sock);
		if (now_ns() > end)
			die("connecting");
		usleep(200000);
	}
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
		die("/dev/lockdev");
	if (!cluster)
		return fd;
	if (!cl) {
		errno = EINVAL;
		die("LOCKDEV_CLUSTER");
	}
	c.cluster = (__u64)(unsigned long)cl;
	c.cluster_len = strlen(cl);
	if (ioctl(fd, LOCKDEV_IOC_SPACE, &c) && errno != EEXIST)
		die("creating the cluster lockspace");
	if (ioctl(fd, LOCKDEV_IOC_ATTACH, &at))
		die("attaching");
	return fd;
}

static __u64 lock_x(int fd, const char *name)
{
	struct lockdev_lock l = { .name = (__u64)(unsigned long)name,
				  .name_len = strlen(name),
				  .mode = LOCKDEV_MODE_EXCLUSIVE };

	if (ioctl(fd, LOCKDEV_IOC_LOCK, &l))
		die("LOCK");
	return l.handle;
}

static void unlock_h(int fd, __u64 handle)
{
	struct lockdev_unlock u = { .handle = handle };

	if (ioctl(fd, LOCKDEV_IOC_UNLOCK, &u))
		die("UNLOCK");
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
		die("dlm_ls_unlock_wait");
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
			die("dlm_ls_lock_wait");
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
		tell('T');
		hear('H');
		t = now_ns();
		unlock_h(cfd, lock_x(cfd, "bench-remote"));
		remote += now_ns() - t;
	}
	tell('D');
	for (i = 0; i < REMOTE_OPS; i++) {
		tell('T');
		hear('H');
		t = now_ns();
		if (dlm_ex(ls, &lksb, "remote", NULL))
			die("dlm_ls_lock_wait");
		dlm_remote += now_ns() - t;
		dlm_un(ls, &lksb);
	}
	tell('D');
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
		die(path);
	fprintf(f, "{\n  \"ns\": {\"local\": %.0f, \"cached\": %.0f, "
		"\"dlm_local\": %.0f, \"remote\": %.0f, \"dlm_remote\": %.0f},\n"
		"  \"ratios\": {\"cached_vs_dlm_local\": %.3f, "
		"\"remote_vs_dlm_remote\": %.3f, \"cached_vs_local\": %.3f},\n"
		"  \"ops\": {\"local\": %d, \"remote\": %d}\n}\n",
		local, cached, dlm_local, remote, dlm_remote,
		cached / dlm_local, remote / dlm_remote, cached / local,
		LOCAL_OPS, REMOTE_OPS);
	fclose(f);
	printf("ok 1 - clusterbench: figures in %s\n", path);
}

/* Node 2: keep the lock each round, lockdev's way then libdlm's. */
static void node2(int cfd, dlm_lshandle_t ls)
{
	struct pollfd pfd = { .fd = dlm_ls_get_fd(ls), .events = POLLIN };
	struct dlm_lksb lksb;
	char c;

	for (;;) {
		if (read(sock, &c, 1) != 1)
			die("reading");
		if (c == 'D')
			break;
		unlock_h(cfd, lock_x(cfd, "bench-remote"));
		tell('H');
	}
	for (;;) {
		if (read(sock, &c, 1) != 1)
			die("reading");
		if (c == 'D')
			break;
		blocked = 0;
		if (dlm_ex(ls, &lksb, "remote", on_bast))
			die("dlm_ls_lock_wait");
		tell('H');
		while (!blocked) {
			if (poll(&pfd, 1, PEER_MS) != 1 ||
			    dlm_dispatch(pfd.fd) < 0)
				die("waiting for the blocking callback");
		}
		dlm_un(ls, &lksb);
	}
	printf("ok 1 - clusterbench: node 2 served\n");
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
		die("removing the cluster lockspace");
	close(fd);
	while (!access("/sys/kernel/dlm/" SPACE, F_OK) && now_ns() < end)
		usleep(100000);
}

int main(void)
{
	const char *node = getenv("LOCKDEV_NODE");
	dlm_lshandle_t ls;
	int fd, cfd, one;

	if (!node || (strcmp(node, "1") && strcmp(node, "2"))) {
		fprintf(stderr, "clusterbench: run it with bench/cluster\n");
		return 2;
	}
	one = !strcmp(node, "1");
	connect_peers(one ? 1 : 2);
	fd = session(0);
	cfd = session(1);
	ls = dlm_create_lockspace(DLM_SPACE, 0600);
	if (!ls)
		die("joining " DLM_SPACE);
	/* Both joined before either locks (see selftests/vm/cluster). */
	tell('J');
	hear('J');
	if (one)
		node1(fd, cfd, ls);
	else
		node2(cfd, ls);
	tell('E');
	hear('E');
	dlm_release_lockspace(DLM_SPACE, ls, 1);
	close(cfd);
	close(fd);
	leave();
	return 0;
}
