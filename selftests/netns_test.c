// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink family in other network namespaces: a process in new user,
 * network, IPC and pid namespaces (a container) resolves the family,
 * dumps and subscribes to events, and gets those of its own lockspaces
 * only, with its own pids; SUBSCRIBE needs CAP_NET_ADMIN over the socket's
 * network namespace, in the sender and in the socket's opener; its errors
 * and limits; subscriptions go with their sockets. Raw generic netlink (genl_util.h), to see every errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "genl_util.h"
#include "util.h"

#define X	LOCKDEV_MODE_EXCLUSIVE

/* How long an event that must come may take, and one that must not. */
#define EVENT_MS	8000
#define QUIET_MS	500

/* A child's exit code 10 + @n if @cond is false. */
#define CHECK(cond, n) do { if (!(cond)) _exit(10 + (n)); } while (0)

/* An event, or a GET_LOCKS message, as far as these tests look. */
struct msg {
	__u32 kind;
	char space[64];
	char name[LOCKDEV_NAME_MAX + 1];
	long pid;
};

/* Attribute @type among the @len bytes of attributes at @a, or NULL. */
static const struct nlattr *find_attr(const void *a, int len, int type)
{
	const struct nlattr *nla = a;

	while (len >= NLA_HDRLEN && nla->nla_len >= NLA_HDRLEN &&
	       nla->nla_len <= len) {
		if ((nla->nla_type & NLA_TYPE_MASK) == type)
			return nla;
		len -= NLA_ALIGN(nla->nla_len);
		nla = (const void *)((const char *)nla +
				     NLA_ALIGN(nla->nla_len));
	}
	return NULL;
}

static void attr_str(char *out, size_t size, const struct nlattr *a)
{
	size_t n = a ? a->nla_len - NLA_HDRLEN : 0;

	if (n >= size)
		n = size - 1;
	if (a)
		memcpy(out, (const char *)a + NLA_HDRLEN, n);
	out[n] = 0;
}

static long attr_u32(const struct nlattr *a)
{
	return a ? (long)*(const __u32 *)((const char *)a + NLA_HDRLEN) : -1;
}

/*
 * Fill @m from message @nh: the lockspace, and the name and pid, at the top
 * level or (an event's) in its first member.
 */
static void parse_msg(const struct nlmsghdr *nh, struct msg *m)
{
	const char *attrs = (const char *)nh + GENL_HDRLEN_ALL;
	int len = nh->nlmsg_len - GENL_HDRLEN_ALL;
	const struct nlattr *mem = find_attr(attrs, len, LOCKDEV_A_MEMBER);

	memset(m, 0, sizeof(*m));
	m->kind = attr_u32(find_attr(attrs, len, LOCKDEV_A_EVENT));
	attr_str(m->space, sizeof(m->space),
		 find_attr(attrs, len, LOCKDEV_A_LOCKSPACE));
	if (mem) {
		attrs = (const char *)mem + NLA_HDRLEN;
		len = mem->nla_len - NLA_HDRLEN;
	}
	attr_str(m->name, sizeof(m->name), find_attr(attrs, len, LOCKDEV_A_NAME));
	m->pid = attr_u32(find_attr(attrs, len, LOCKDEV_A_PID));
}

/* The next event on @sk within @ms: 0, or -1 with errno (ETIMEDOUT). */
static int next_event(int sk, int fam, int ms, struct msg *m)
{
	static char buf[GENL_BUF];
	struct pollfd p = { .fd = sk, .events = POLLIN };
	struct nlmsghdr *nh;
	ssize_t n;

	for (;;) {
		if (poll(&p, 1, ms) != 1) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = recv(sk, buf, sizeof(buf), 0);
		if (n < 0)
			return -1;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type != fam ||
			    ((struct genlmsghdr *)NLMSG_DATA(nh))->cmd !=
			    LOCKDEV_CMD_EVENT)
				continue;
			parse_msg(nh, m);
			return 0;
		}
	}
}

/* A "do" command without attributes, acked: 0 or -1 with the errno. */
static int nl_do(int sk, int fam, __u8 cmd)
{
	int n;

	if (genl_send(sk, fam, cmd, LOCKDEV_GENL_VERSION,
		      NLM_F_REQUEST | NLM_F_ACK, NULL, 0))
		return -1;
	return genl_recv_all(sk, WAIT_MS, &n);
}

/* A socket in the caller's network namespace, and the family's id. */
static int nl_open(int *fam)
{
	int sk = genl_socket();

	if (sk < 0)
		return -1;
	*fam = genl_family(sk, LOCKDEV_GENL_NAME);
	if (*fam < 0) {
		close(sk);
		return -1;
	}
	return sk;
}

/* A new socket, subscribed: the socket, or -1 with the errno. */
static int nl_subscribed(int *fam)
{
	int sk = nl_open(fam), err;

	if (sk < 0)
		return -1;
	if (nl_do(sk, *fam, LOCKDEV_CMD_SUBSCRIBE)) {
		err = errno;
		close(sk);
		errno = err;
		return -1;
	}
	return sk;
}

/*
 * The GET_LOCKS messages whose name starts with @prefix, at most @max of
 * them into @out: how many, or -1 with errno.
 */
static int dump(int sk, int fam, const char *prefix, struct msg *out, int max)
{
	static char buf[GENL_BUF];
	struct pollfd p = { .fd = sk, .events = POLLIN };
	struct nlmsghdr *nh;
	int nr = 0, err;
	struct msg m;
	ssize_t n;

	if (genl_send(sk, fam, LOCKDEV_CMD_GET_LOCKS, LOCKDEV_GENL_VERSION,
		      NLM_F_REQUEST | NLM_F_DUMP, NULL, 0))
		return -1;
	for (;;) {
		if (poll(&p, 1, WAIT_MS) != 1)
			return errno = ETIMEDOUT, -1;
		n = recv(sk, buf, sizeof(buf), 0);
		if (n < 0)
			return -1;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_DONE ||
			    nh->nlmsg_type == NLMSG_ERROR) {
				err = *(int *)NLMSG_DATA(nh);
				if (err)
					return errno = -err, -1;
				return nr;
			}
			if (nh->nlmsg_type != fam ||
			    ((struct genlmsghdr *)NLMSG_DATA(nh))->cmd !=
			    LOCKDEV_CMD_GET_LOCKS)
				continue;
			parse_msg(nh, &m);
			if (!strncmp(m.name, prefix, strlen(prefix)) &&
			    nr < max)
				out[nr++] = m;
		}
	}
}

/* Does the kernel have network namespaces (CONFIG_NET_NS)? */
static bool have_netns(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) ? 1 : 0);
	return pid > 0 && reap(pid, WAIT_MS) == 0;
}

#define NEED_NETNS() do { \
	if (!have_netns()) \
		SKIP(return, "no network namespaces (CONFIG_NET_NS)"); \
} while (0)

/*
 * Become root of new user and IPC namespaces, and network namespace unless
 * @net is false, @uid outside.
 */
static int enter_ns(uid_t uid, bool net)
{
	char map[32];

	/* A changed uid leaves the process not dumpable: /proc/self root's. */
	if (uid && (become(uid, uid) || prctl(PR_SET_DUMPABLE, 1)))
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
	if (unshare(CLONE_NEWUSER | CLONE_NEWIPC | (net ? CLONE_NEWNET : 0)) ||
	    write_str("/proc/self/setgroups", "deny") ||
	    write_str("/proc/self/uid_map", map) ||
	    write_str("/proc/self/gid_map", map))
		return -1;
	return 0;
}

static int enter_container(uid_t uid)
{
	return enter_ns(uid, true);
}

/*
 * An order violation in the caller's default lockspace: "@prefix-hi" at
 * level 20 held, "@prefix-lo" at level 10 refused. 0 or -1.
 */
static int order_event(const char *prefix)
{
	char hi[64], lo[64];
	struct lockdev_lock l;
	int fd = open_session(), ret;

	if (fd < 0)
		return -1;
	snprintf(hi, sizeof(hi), "%s-hi", prefix);
	snprintf(lo, sizeof(lo), "%s-lo", prefix);
	lock_input(&l, hi, X, 0);
	l.level = 20;
	ret = ioctl(fd, LOCKDEV_IOC_LOCK, &l);
	lock_input(&l, lo, X, 0);
	l.level = 10;
	if (!ret && (ioctl(fd, LOCKDEV_IOC_LOCK, &l) != -1 || errno != EDEADLK))
		ret = -1;
	/* Not left held at close, which would mark it owner-died. */
	if (unlock_name(fd, hi))
		ret = -1;
	close(fd);
	return ret;
}

/* Wait on @sk for the ORDER event of "@prefix-lo"; 0 or -1. */
static int wait_order(int sk, int fam, const char *prefix, struct msg *m)
{
	char lo[64];

	snprintf(lo, sizeof(lo), "%s-lo", prefix);
	while (!next_event(sk, fam, EVENT_MS, m))
		if (m->kind == LOCKDEV_EVENT_ORDER && !strcmp(m->name, lo))
			return 0;
	return -1;
}

/*
 * The container's pid 1: it sees the family, its own locks in a dump and
 * not the host's, and its own events only, with its own pids. @k talks to
 * the host: 's' once subscribed; 'g' back once the host's event is sent.
 * Then a 'c' to @outer, its parent, in its namespaces but outside its pid
 * namespace, has that one break the order as "@mine" "o": pid 0.
 */
static void __attribute__((noreturn)) container_init(struct kid *k,
						      const char *host,
						      const char *mine,
						      int outer)
{
	char held[64], o[40];
	struct msg m[4], e;
	struct lockdev_lock l;
	int sk, fam, fd, dsk;

	CHECK(getpid() == 1, 0);
	sk = nl_subscribed(&fam);
	CHECK(sk >= 0, 1);
	kid_send(k, 's');
	CHECK(kid_recv(k, WAIT_MS) == 'g', 2);
	/* Its own event comes first: the host's, queued before, did not. */
	CHECK(order_event(mine) == 0, 3);
	CHECK(next_event(sk, fam, EVENT_MS, &e) == 0, 4);
	snprintf(held, sizeof(held), "%s-lo", mine);
	CHECK(e.kind == LOCKDEV_EVENT_ORDER && !strcmp(e.name, held), 5);
	CHECK(!strcmp(e.space, "~0"), 6);
	CHECK(e.pid == 1, 7);
	CHECK(next_event(sk, fam, QUIET_MS, &e) == -1 && errno == ETIMEDOUT, 8);

	/* The dump: its own holder, with its own pid; not the host's. */
	fd = open_session();
	CHECK(fd >= 0, 9);
	snprintf(held, sizeof(held), "%s-held", mine);
	lock_input(&l, held, X, 0);
	CHECK(ioctl(fd, LOCKDEV_IOC_LOCK, &l) == 0, 10);
	dsk = nl_open(&fam);
	CHECK(dsk >= 0, 11);
	CHECK(dump(dsk, fam, mine, m, 4) == 1, 12);
	CHECK(!strcmp(m[0].name, held) && m[0].pid == 1, 13);
	CHECK(!strcmp(m[0].space, "~0"), 14);
	CHECK(dump(dsk, fam, host, m, 4) == 0, 15);
	CHECK(unlock_name(fd, held) == 0, 16);
	close(dsk);
	close(fd);

	snprintf(o, sizeof(o), "%so", mine);
	CHECK(write(outer, "c", 1) == 1, 17);
	CHECK(wait_order(sk, fam, o, &e) == 0, 18);
	CHECK(e.pid == 0 && !strcmp(e.space, "~0"), 19);
	close(sk);
	_exit(0);
}

/*
 * A container and the host each break the order in their default lockspace;
 * the container's subscriber gets its own event only, with its own pid 1
 * (0 for a process of the container outside its pid namespace);
 * the host's, of the initial user namespace, gets both, the container's
 * with the pid the host sees. Dumps show each its own.
 */
TEST(container_events_and_dump)
{
	char host[32], mine[32], hname[64], o[40], c;
	struct lockdev_lock l;
	struct msg e, m[4];
	int sk, fam, fd, st, pfd[2], cp[2];
	pid_t inner = 0;
	struct kid k;

	NEED_NETNS();
	snprintf(host, sizeof(host), "nsh%d", (int)getpid());
	snprintf(mine, sizeof(mine), "nsc%d", (int)getpid());
	sk = nl_subscribed(&fam);
	ASSERT_LE(0, sk);
	fd = open_session();
	ASSERT_LE(0, fd);
	snprintf(hname, sizeof(hname), "%s-held", host);
	lock_input(&l, hname, X, 0);
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_LOCK, &l));
	ASSERT_EQ(0, pipe(pfd));

	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		close(pfd[0]);
		if (enter_container(0) || unshare(CLONE_NEWPID) || pipe(cp))
			_exit(2);
		inner = fork();
		if (inner < 0)
			_exit(3);
		if (inner == 0) {
			close(cp[0]);
			container_init(&k, host, mine, cp[1]);
		}
		close(cp[1]);
		if (write(pfd[1], &inner, sizeof(inner)) != sizeof(inner))
			_exit(4);
		snprintf(o, sizeof(o), "%so", mine);
		if (read(cp[0], &c, 1) == 1 && order_event(o))
			_exit(5);
		_exit(reap(inner, 4 * EVENT_MS));
	}
	close(pfd[1]);
	ASSERT_EQ(sizeof(inner), read(pfd[0], &inner, sizeof(inner)));
	close(pfd[0]);
	ASSERT_EQ('s', kid_recv(&k, WAIT_MS));
	/* The host's event, sent before the container's. */
	ASSERT_EQ(0, order_event(host));
	ASSERT_EQ(0, wait_order(sk, fam, host, &e));
	EXPECT_EQ(getpid(), e.pid);
	kid_send(&k, 'g');
	ASSERT_EQ(0, wait_order(sk, fam, mine, &e));
	EXPECT_EQ(inner, e.pid);
	EXPECT_STREQ("~0", e.space);
	st = kid_reap(&k);
	EXPECT_EQ(0, st) {
		TH_LOG("the container failed (its pid 1 at step %d)", st - 10);
	}
	close(sk);
	sk = nl_open(&fam);
	ASSERT_LE(0, sk);
	ASSERT_EQ(1, dump(sk, fam, host, m, 4));
	EXPECT_STREQ(hname, m[0].name);
	EXPECT_EQ(getpid(), m[0].pid);
	EXPECT_EQ(0, unlock_name(fd, hname));
	close(fd);
	close(sk);
}

/* Send @cmd with u32 attribute @attr, acked: 0 or -1 and errno. */
static int with_attr(int sk, int fam, __u8 cmd, int attr)
{
	char attrs[16];
	size_t off = 0;
	__u32 v = 1;
	int n;

	if (genl_put(attrs, sizeof(attrs), &off, attr, &v, sizeof(v)) ||
	    genl_send(sk, fam, cmd, LOCKDEV_GENL_VERSION,
		      NLM_F_REQUEST | NLM_F_ACK, attrs, off))
		return -1;
	return genl_recv_all(sk, WAIT_MS, &n);
}

/*
 * SUBSCRIBE and UNSUBSCRIBE need CAP_NET_ADMIN in the user namespace that
 * owns the socket's network namespace: a process of a nested user
 * namespace, root there, has it not. GET_STATS is for the initial user
 * namespace, thresholds are set from there; a dump needs nothing.
 */
TEST(permissions)
{
	struct msg m;
	int sk, fam;
	pid_t pid;

	NEED_NETNS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(KID_TIMEOUT_S);
		CHECK(enter_container(0) == 0, 0);
		sk = nl_open(&fam);
		CHECK(sk >= 0, 1);
		CHECK(nl_do(sk, fam, LOCKDEV_CMD_GET_STATS) == -1 &&
		      errno == EPERM, 2);
		CHECK(dump(sk, fam, "", &m, 1) >= 0, 3);
		CHECK(with_attr(sk, fam, LOCKDEV_CMD_THRESHOLDS,
				LOCKDEV_A_HELD_THRESHOLD_MS) == -1 &&
		      errno == EPERM, 7);
		CHECK(unshare(CLONE_NEWUSER) == 0, 4);
		CHECK(nl_do(sk, fam, LOCKDEV_CMD_SUBSCRIBE) == -1 &&
		      errno == EPERM, 5);
		CHECK(nl_do(sk, fam, LOCKDEV_CMD_UNSUBSCRIBE) == -1 &&
		      errno == EPERM, 6);
		close(sk);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));

}

/*
 * In the initial network namespace, which the initial user namespace owns,
 * neither a user without CAP_NET_ADMIN nor the root of a new user namespace
 * may subscribe; the latter's dump shows its own lock with its pid 1 and
 * not the host's, and it may not read the counters.
 */
TEST(initial_netns)
{
	struct lockdev_lock l;
	struct msg m[4];
	int sk, fam, fd;
	pid_t pid, inner;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(KID_TIMEOUT_S);
		CHECK(become(65534, 65534) == 0, 0);
		sk = nl_open(&fam);
		CHECK(sk >= 0, 1);
		CHECK(nl_do(sk, fam, LOCKDEV_CMD_SUBSCRIBE) == -1 &&
		      errno == EPERM, 2);
		/* The host's users read the counters, as /proc/lockdev/stats. */
		CHECK(nl_do(sk, fam, LOCKDEV_CMD_GET_STATS) == 0, 3);
		close(sk);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));

	fd = open_session();
	ASSERT_LE(0, fd);
	lock_input(&l, "nsi-host", X, 0);
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_LOCK, &l));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(KID_TIMEOUT_S);
		CHECK(enter_ns(0, false) == 0 && unshare(CLONE_NEWPID) == 0, 0);
		inner = fork();
		if (inner)
			_exit(inner < 0 ? 11 : reap(inner, WAIT_MS));
		close(fd);
		fd = open_session();
		lock_input(&l, "nsi-mine", X, 0);
		CHECK(fd >= 0 && ioctl(fd, LOCKDEV_IOC_LOCK, &l) == 0, 1);
		sk = nl_open(&fam);
		CHECK(sk >= 0, 2);
		CHECK(nl_do(sk, fam, LOCKDEV_CMD_SUBSCRIBE) == -1 &&
		      errno == EPERM, 3);
		CHECK(nl_do(sk, fam, LOCKDEV_CMD_GET_STATS) == -1 &&
		      errno == EPERM, 4);
		CHECK(dump(sk, fam, "nsi-", m, 4) == 1, 5);
		CHECK(!strcmp(m[0].name, "nsi-mine") && m[0].pid == 1, 6);
		CHECK(unlock_name(fd, "nsi-mine") == 0, 7);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
	EXPECT_EQ(0, unlock_name(fd, "nsi-host"));
	close(fd);
}

/*
 * A host user opens a socket in a user and network namespace of its own,
 * where it is root, and passes it out to a process of its own on the host,
 * which owns that user namespace and so may subscribe through it: the
 * socket shows what its opener sees, the lockspaces of that user
 * namespace, not the host user's own default lockspace. Nor does a dump
 * through it.
 */
TEST(socket_passed_out)
{
	int sp[2], sk, fam, fd;
	struct lockdev_lock l;
	struct msg m[4], e;
	pid_t pid, opener;

	NEED_NETNS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(KID_TIMEOUT_S);
		CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) ==
		      0, 1);
		opener = fork();
		CHECK(opener >= 0, 2);
		if (!opener) {
			CHECK(enter_container(65534) == 0, 4);
			sk = genl_socket();
			CHECK(sk >= 0 && send_fds(sp[1], &sk, 1) == 0, 5);
			_exit(0);
		}
		CHECK(become(65534, 65534) == 0, 0);
		CHECK(recv_fds(sp[0], &sk, 1) == 0, 6);
		CHECK(reap(opener, WAIT_MS) == 0, 7);
		fam = genl_family(sk, LOCKDEV_GENL_NAME);
		CHECK(fam >= 0, 8);
		CHECK(nl_do(sk, fam, LOCKDEV_CMD_SUBSCRIBE) == 0, 9);
		CHECK(order_event("nsp") == 0, 10);
		CHECK(next_event(sk, fam, QUIET_MS, &e) == -1 &&
		      errno == ETIMEDOUT, 11);
		fd = open_session();
		lock_input(&l, "nsp-held", X, 0);
		CHECK(fd >= 0 && ioctl(fd, LOCKDEV_IOC_LOCK, &l) == 0, 12);
		CHECK(dump(sk, fam, "nsp-", m, 4) == 0, 13);
		CHECK(unlock_name(fd, "nsp-held") == 0, 14);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid, 2 * WAIT_MS));
}

/*
 * A socket an unprivileged user opened and passed to root: root's requests
 * on it, sent as libraries send them (sendto() with an address), do not
 * lend it root's privilege: SUBSCRIBE, UNSUBSCRIBE and setting a threshold
 * fail with EPERM.
 */
TEST(socket_passed_in)
{
	int sp[2], sk, fam;
	pid_t opener;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp));
	opener = fork();
	ASSERT_LE(0, opener);
	if (!opener) {
		CHECK(become(65534, 65534) == 0, 1);
		sk = genl_socket();
		CHECK(sk >= 0 && send_fds(sp[1], &sk, 1) == 0, 2);
		_exit(0);
	}
	ASSERT_EQ(0, recv_fds(sp[0], &sk, 1));
	ASSERT_EQ(0, reap(opener, WAIT_MS));
	fam = genl_family(sk, LOCKDEV_GENL_NAME);
	ASSERT_LE(0, fam);
	EXPECT_EQ(-1, nl_do(sk, fam, LOCKDEV_CMD_SUBSCRIBE));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, nl_do(sk, fam, LOCKDEV_CMD_UNSUBSCRIBE));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, with_attr(sk, fam, LOCKDEV_CMD_THRESHOLDS,
				LOCKDEV_A_HELD_THRESHOLD_MS));
	EXPECT_EQ(EPERM, errno);
	close(sk);
	close(sp[0]);
	close(sp[1]);
}

/*
 * In a container: EEXIST, ENOENT, EINVAL; the uid's limit (EDQUOT), which
 * a closed socket gives back; many subscribe-and-close rounds leak none.
 */
TEST(errors_and_limit)
{
	int sk[LOCKDEV_SUBSCRIBERS_PER_USER + 1], fam, i;
	pid_t pid;

	NEED_NETNS();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(KID_TIMEOUT_S);
		CHECK(enter_container(0) == 0, 0);
		sk[0] = nl_open(&fam);
		CHECK(sk[0] >= 0, 1);
		CHECK(nl_do(sk[0], fam, LOCKDEV_CMD_UNSUBSCRIBE) == -1 &&
		      errno == ENOENT, 2);
		CHECK(with_attr(sk[0], fam, LOCKDEV_CMD_SUBSCRIBE,
				LOCKDEV_A_EVENT) == -1 &&
		      errno == EINVAL, 3);
		CHECK(nl_do(sk[0], fam, LOCKDEV_CMD_SUBSCRIBE) == 0, 4);
		CHECK(nl_do(sk[0], fam, LOCKDEV_CMD_SUBSCRIBE) == -1 &&
		      errno == EEXIST, 5);
		CHECK(nl_do(sk[0], fam, LOCKDEV_CMD_UNSUBSCRIBE) == 0, 6);
		CHECK(nl_do(sk[0], fam, LOCKDEV_CMD_UNSUBSCRIBE) == -1 &&
		      errno == ENOENT, 7);
		close(sk[0]);
		for (i = 0; i < 200; i++) {
			sk[0] = nl_subscribed(&fam);
			CHECK(sk[0] >= 0, 8);
			close(sk[0]);
		}
		for (i = 0; i < LOCKDEV_SUBSCRIBERS_PER_USER; i++)
			CHECK((sk[i] = nl_subscribed(&fam)) >= 0, 9);
		CHECK(nl_subscribed(&fam) == -1 && errno == EDQUOT, 10);
		close(sk[0]);
		CHECK((sk[0] = nl_subscribed(&fam)) >= 0, 11);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
}

/* A uid, and where its subordinate uids start. */
#define SUBORD_UID	21500
#define SUBORD_BASE	210000

/*
 * A user's subordinate uids share its subscriber limit: uid SUBORD_UID
 * makes user and network namespaces whose uids 0 and 1 are subordinate
 * uids of its (mapped by root, as newuidmap would), subscribes
 * LOCKDEV_SUBSCRIBERS_PER_USER sockets there, and its uid 1, in a container
 * of its own, may subscribe no more (EDQUOT).
 */
TEST(subordinate_uids_share_limit)
{
	int sk[LOCKDEV_SUBSCRIBERS_PER_USER], fam, i;
	struct kid k;
	pid_t pid;

	NEED_NETNS();
	ASSERT_LE(0, kid_fork(&k));
	if (k.pid == 0) {
		CHECK(become(SUBORD_UID, SUBORD_UID) == 0, 1);
		CHECK(unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0, 2);
		kid_send(&k, 'u');
		CHECK(kid_recv(&k, WAIT_MS) == 'm', 3);
		for (i = 0; i < LOCKDEV_SUBSCRIBERS_PER_USER; i++)
			CHECK((sk[i] = nl_subscribed(&fam)) >= 0, 4);
		pid = fork();
		CHECK(pid >= 0, 5);
		if (!pid) {
			CHECK(enter_container(1) == 0, 6);
			CHECK(nl_subscribed(&fam) == -1 && errno == EDQUOT, 7);
			_exit(0);
		}
		CHECK(reap(pid, WAIT_MS) == 0, 8);
		_exit(0);
	}
	ASSERT_EQ('u', kid_recv(&k, WAIT_MS));
	ASSERT_EQ(0, map_ids(k.pid, SUBORD_BASE, 2));
	kid_send(&k, 'm');
	EXPECT_EQ(0, kid_reap(&k));
}

/* First uid of the containers that fill the module-wide limit. */
#define FILL_UID	21000
#define FILLERS		(LOCKDEV_SUBSCRIBERS_MAX / LOCKDEV_SUBSCRIBERS_PER_USER)

/*
 * A container of uid @uid subscribes LOCKDEV_SUBSCRIBERS_PER_USER sockets,
 * says 'f', and holds them until its pipe closes.
 */
static void __attribute__((noreturn)) filler(struct kid *k, uid_t uid)
{
	int i, fam;

	if (enter_container(uid))
		_exit(errno == EPERM ? 4 : 2);
	for (i = 0; i < LOCKDEV_SUBSCRIBERS_PER_USER; i++)
		if (nl_subscribed(&fam) < 0)
			_exit(3);
	kid_send(k, 'f');
	kid_recv(k, 3 * WAIT_MS);
	_exit(0);
}

/*
 * LOCKDEV_SUBSCRIBERS_MAX subscribers of containers in all (ENOSPC); the
 * host's root, in the initial user namespace, is not limited.
 */
FIXTURE(fill) {
	int unused;
};

FIXTURE_SETUP(fill)
{
}

FIXTURE_TEARDOWN(fill)
{
}

TEST_F_TIMEOUT(fill, module_limit, 120)
{
	struct kid k[FILLERS], last;
	int i, fam, sk, n = 0, st;
	char c;

	NEED_NETNS();
	for (i = 0; i < FILLERS; i++) {
		ASSERT_LE(0, kid_fork(&k[i]));
		if (k[i].pid == 0)
			filler(&k[i], FILL_UID + i);
		c = kid_recv(&k[i], WAIT_MS);
		if (c != 'f') {
			st = kid_reap(&k[i]);
			if (st != 4)
				TH_LOG("container of uid %d: exit %d",
				       FILL_UID + i, st);
			break;
		}
		n++;
	}
	if (n == FILLERS) {
		ASSERT_LE(0, kid_fork(&last));
		if (last.pid == 0) {
			CHECK(enter_container(FILL_UID + FILLERS) == 0, 0);
			CHECK(nl_subscribed(&fam) == -1 && errno == ENOSPC, 1);
			_exit(0);
		}
		EXPECT_EQ(0, kid_reap(&last));
		sk = nl_subscribed(&fam);
		EXPECT_LE(0, sk);
		close(sk);
	}
	while (i--)
		kid_reap(&k[i]);
	if (n < FILLERS)
		SKIP(return, "no container of an unprivileged uid (%d made)",
		     n);
}

TEST_HARNESS_MAIN
