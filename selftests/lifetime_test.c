// SPDX-License-Identifier: GPL-2.0
/*
 * A lifetime stress: every call at random from several processes of two
 * uids, while other processes read every /proc/lockdev file and dump over
 * generic netlink, sessions are closed and replaced under running calls, and
 * processes are killed with SIGKILL, for a bounded time.
 *
 * Workers (root and uid 65534, two threads each on shared sessions) call
 * LOCK (blocking with a near deadline, non-blocking, asynchronous),
 * CONVERT, UNLOCK, CANCEL, CONSISTENT, LOCK_SET, QUERY, LIST, SET_ORDER,
 * DEADLOCK, read() and poll() on a few names, attach to three named
 * lockspaces of root's (0666, 0644, 0600) or stay in their default one,
 * replace a session with dup2() while the other thread uses it, fork
 * children that share a session, and take signals that interrupt their
 * waits. Readers read /proc/lockdev/{locks,stats,deadlocks,order,lock_stat}
 * in random chunks, sometimes stopping half way, reset lock_stat, and dump
 * GET_LOCKS and GET_STATS over raw generic netlink, sometimes closing the
 * socket in the middle of a dump. The test process kills a random worker or
 * reader now and then and starts another in its place.
 *
 * Readers also subscribe to events (LOCKDEV_CMD_SUBSCRIBE), read a few and
 * close the socket, unsubscribed or not. A second run adds an administrator
 * who, all the while, makes the three lockspaces persistent and transient
 * again, changes their modes, and removes them (forced or not, with the
 * workers' sessions attached and waiting) and creates them anew, while
 * uid 65534's workers try the same and must be refused.
 *
 * Every call must end with an error its text names. At the end every child
 * must be gone in time, and once the owner-died locks the killed workers
 * left are cleared, /proc/lockdev/stats must show no holder, no waiter, and
 * as many locks, sessions and lockspaces as before; the runner fails the
 * lane on any kernel report. Knob: LOCKDEV_LIFETIME_MS (default 5000).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/lockdev.h>
#include <linux/netlink.h>

#include "kselftest_harness.h"
#include "util.h"
#include "harness_util.h"

#define MS		1000000ull
#define NOBODY		65534
#define NWORKERS	4	/* half root, half 65534 */
#define NREADERS	2	/* one of each */
#define NKIDS		(NWORKERS + NREADERS)
#define NNAMES		6
#define NSLOTS		3	/* sessions a worker keeps */
#define NHANDLES	8	/* handles a worker thread remembers */
#define NSPACES		3
#define STOP_MS		20000	/* how long the children may take to stop */
#define ADMIN		NKIDS	/* the role of the administrator */

static const unsigned int space_modes[NSPACES] = { 0666, 0644, 0600 };

struct shared {
	atomic_int stop;
	atomic_int bad;
	atomic_int churn;	/* the administrator runs: lockspaces go */
	atomic_ulong calls, reads, dumps, forks, events, space_ops;
	char what[256];
	char prefix[32];
	char spaces[NSPACES][48];
};

static struct shared *sh;

static int knob(const char *env, int dflt)
{
	const char *v = getenv(env);

	return v && atoi(v) > 0 ? atoi(v) : dflt;
}

static unsigned int rnd(unsigned int *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void bad(const char *fmt, const char *op, long ret, int err)
{
	if (atomic_fetch_add(&sh->bad, 1) == 0)
		snprintf(sh->what, sizeof(sh->what), fmt, op, ret, err);
}

static bool err_in(int err, const int *ok, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (ok[i] == err)
			return true;
	return false;
}

/* The call @op returned @ret: its errno must be one of the listed. */
#define CHECK(op, ret, ...) do {					\
	const int __ok[] = { 0, __VA_ARGS__ };				\
	int __e = (ret) < 0 ? errno : 0;				\
	if (!err_in(__e, __ok, sizeof(__ok) / sizeof(__ok[0])))		\
		bad("%s returned %ld, errno %d", op, (long)(ret), __e);	\
	atomic_fetch_add(&sh->calls, 1);				\
} while (0)

/*
 * What a call in a lockspace may also meet while the administrator runs:
 * EIDRM once its lockspace was removed, ENOENT for an ATTACH of a name
 * that is gone (0, which every call may return, otherwise).
 */
#define GONE		(atomic_load(&sh->churn) ? EIDRM : 0)
#define NO_SPACE	(atomic_load(&sh->churn) ? ENOENT : 0)

/* ---- workers ---- */

struct worker {
	int fds[NSLOTS];
	pid_t kids[4];
};

struct wthread {
	struct worker *w;
	int idx;
	unsigned int seed;
	__u64 handles[NHANDLES];
};

static void name_of(char *buf, size_t len, unsigned int i)
{
	snprintf(buf, len, "%sn%u", sh->prefix, i % NNAMES);
}

static __u64 some_handle(struct wthread *t)
{
	unsigned int r = rnd(&t->seed);

	/* Now and then a handle that was never given. */
	if (r % 8 == 0)
		return 1 + r % 64;
	return t->handles[r % NHANDLES] ?: 1;
}

static void keep_handle(struct wthread *t, __u64 handle)
{
	t->handles[rnd(&t->seed) % NHANDLES] = handle;
}

/* A deadline a few milliseconds from now, or already past. */
static __u64 near_deadline(struct wthread *t)
{
	return now_ns() + (rnd(&t->seed) % 12) * MS - 2 * MS;
}

static void w_lock(struct wthread *t, int fd, const char *name)
{
	static const __u32 flags[] = {
		LOCKDEV_LOCK_DEADLINE, LOCKDEV_LOCK_NONBLOCK,
		LOCKDEV_LOCK_ASYNC, LOCKDEV_LOCK_ASYNC | LOCKDEV_LOCK_DEADLINE,
	};
	struct lockdev_entry e[4];
	struct lockdev_lock l;
	int ret;

	lock_input(&l, name, 1 + rnd(&t->seed) % 3, flags[rnd(&t->seed) % 4]);
	l.level = rnd(&t->seed) % 3;
	l.deadline_ns = near_deadline(t);
	l.user_data = rnd(&t->seed);
	if (rnd(&t->seed) % 2) {
		l.entries = ptr(e);
		l.nr_entries = 4;
	}
	ret = ioctl(fd, LOCKDEV_IOC_LOCK, &l);
	CHECK("LOCK", ret, EALREADY, EAGAIN, ETIMEDOUT, EINTR, EDEADLK, EACCES,
	      ENOSPC, EDQUOT, GONE);
	if (!ret) {
		if (!l.handle)
			bad("%s gave handle %ld (errno %d)", "LOCK", 0, 0);
		keep_handle(t, l.handle);
	}
}

static void w_convert(struct wthread *t, int fd, const char *name)
{
	struct lockdev_convert cv = { 0 };
	int ret;

	if (rnd(&t->seed) % 2) {
		cv.handle = some_handle(t);
	} else {
		cv.name = ptr(name);
		cv.name_len = strlen(name);
	}
	cv.mode = 1 + rnd(&t->seed) % 3;
	cv.flags = rnd(&t->seed) % 2 ? LOCKDEV_LOCK_NONBLOCK :
				       LOCKDEV_LOCK_DEADLINE;
	cv.deadline_ns = near_deadline(t);
	ret = ioctl(fd, LOCKDEV_IOC_CONVERT, &cv);
	CHECK("CONVERT", ret, ENOLCK, EBUSY, EAGAIN, ETIMEDOUT, EINTR, EDEADLK,
	      ECANCELED, EDQUOT, EACCES, GONE);
}

static void w_unlock(struct wthread *t, int fd, const char *name)
{
	struct lockdev_unlock u = { 0 };
	int ret;

	if (rnd(&t->seed) % 2) {
		u.handle = some_handle(t);
	} else {
		u.name = ptr(name);
		u.name_len = strlen(name);
	}
	ret = ioctl(fd, LOCKDEV_IOC_UNLOCK, &u);
	CHECK("UNLOCK", ret, ENOLCK);
}

static void w_consistent(struct wthread *t, int fd, const char *name)
{
	struct lockdev_consistent c = { 0 };
	int ret;

	if (rnd(&t->seed) % 2) {
		c.handle = some_handle(t);
	} else {
		c.name = ptr(name);
		c.name_len = strlen(name);
	}
	ret = ioctl(fd, LOCKDEV_IOC_CONSISTENT, &c);
	CHECK("CONSISTENT", ret, ENOLCK, EPERM, GONE);
}

static void w_lock_set(struct wthread *t, int fd)
{
	char names[3][48];
	struct lockdev_set_item it[3];
	struct lockdev_lock_set ls;
	int i, n = 1 + rnd(&t->seed) % 3, ret;

	memset(it, 0, sizeof(it));
	memset(&ls, 0, sizeof(ls));
	for (i = 0; i < n; i++) {
		name_of(names[i], sizeof(names[i]), rnd(&t->seed));
		it[i].name = ptr(names[i]);
		it[i].name_len = strlen(names[i]);
		it[i].mode = 1 + rnd(&t->seed) % 3;
	}
	ls.items = ptr(it);
	ls.nr_items = n;
	ls.item_size = sizeof(it[0]);
	ls.flags = rnd(&t->seed) % 2 ? LOCKDEV_LOCK_NONBLOCK :
				       LOCKDEV_LOCK_DEADLINE;
	ls.deadline_ns = near_deadline(t);
	ret = ioctl(fd, LOCKDEV_IOC_LOCK_SET, &ls);
	CHECK("LOCK_SET", ret, EALREADY, EAGAIN, ETIMEDOUT, EINTR, EDEADLK,
	      EACCES, ENOSPC, EDQUOT, GONE);
	for (i = 0; !ret && i < n; i++)
		keep_handle(t, it[i].handle);
}

static void w_attach(struct wthread *t, int fd)
{
	const char *space = sh->spaces[rnd(&t->seed) % NSPACES];
	struct lockdev_attach at = {
		.name = ptr(space), .name_len = strlen(space),
		.flags = LOCKDEV_ATTACH_NOCREATE,
	};
	int ret = ioctl(fd, LOCKDEV_IOC_ATTACH, &at);

	CHECK("ATTACH", ret, EBUSY, EACCES, NO_SPACE);
}

/* LOCKDEV_IOC_SPACE @op on root's lockspace @i. */
static int space_ctl(int fd, int i, __u32 op, __u32 flags, __u32 mode)
{
	return space_ctl_call(fd, sh->spaces[i], strlen(sh->spaces[i]), op,
			      flags, mode, LOCKDEV_SPACE_KEEP,
			      LOCKDEV_SPACE_KEEP);
}

/* Not the owner: uid 65534 may change or remove none of root's. */
static void w_space(struct wthread *t, int fd)
{
	int i = rnd(&t->seed) % NSPACES, ret;

	if (!atomic_load(&sh->churn) || !getuid())
		return;
	if (rnd(&t->seed) % 2)
		ret = space_ctl(fd, i, LOCKDEV_SPACE_SET, 0, 0666);
	else
		ret = space_ctl(fd, i, LOCKDEV_SPACE_REMOVE,
				LOCKDEV_SPACE_FORCE, LOCKDEV_SPACE_KEEP);
	if (!ret)
		bad("%s by uid 65534 returned %ld, errno %d", "SPACE", ret, 0);
	CHECK("SPACE", ret, EPERM, ENOENT);
}

/* Replace session @slot under the other thread's feet. */
static void w_reopen(struct wthread *t)
{
	int slot = rnd(&t->seed) % NSLOTS;
	int fd = open(LOCKDEV_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		bad("%s returned %ld, errno %d", "open", fd, errno);
		return;
	}
	if (dup2(fd, t->w->fds[slot]) < 0)
		bad("%s returned %ld, errno %d", "dup2", -1, errno);
	close(fd);
}

static void w_op(struct wthread *t);

/* A child sharing the worker's sessions makes a few calls and exits. */
static void w_fork(struct wthread *t)
{
	int i, slot = rnd(&t->seed) % 4;
	pid_t pid;

	if (t->w->kids[slot] > 0) {
		if (waitpid(t->w->kids[slot], NULL, WNOHANG) == 0)
			return;
		t->w->kids[slot] = 0;
	}
	pid = fork();
	if (pid == 0) {
		pid_t parent = getppid();

		/* Neither replacing sessions nor forking again. */
		t->idx = 1;
		t->seed ^= getpid();
		for (i = 0; i < 20 && !atomic_load(&sh->stop) &&
		     getppid() == parent; i++)
			w_op(t);
		_exit(0);
	}
	if (pid > 0) {
		t->w->kids[slot] = pid;
		atomic_fetch_add(&sh->forks, 1);
	}
}

static void w_op(struct wthread *t)
{
	struct lockdev_completion c[4];
	struct lockdev_cycle_member m[2];
	struct lockdev_deadlock d;
	struct lockdev_entry e[4];
	struct lockdev_held h[4];
	struct lockdev_order o;
	struct lockdev_cancel cn;
	struct lockdev_query q;
	struct lockdev_list ls;
	struct pollfd pfd;
	int fd = t->w->fds[rnd(&t->seed) % NSLOTS];
	char name[48];
	long ret;

	name_of(name, sizeof(name), rnd(&t->seed));
	switch (rnd(&t->seed) % 20) {
	case 0: case 1: case 2: case 3:
		w_lock(t, fd, name);
		break;
	case 4: case 5:
		w_convert(t, fd, name);
		break;
	case 6: case 7: case 8:
		w_unlock(t, fd, name);
		break;
	case 9:
		memset(&cn, 0, sizeof(cn));
		cn.handle = some_handle(t);
		ret = ioctl(fd, LOCKDEV_IOC_CANCEL, &cn);
		CHECK("CANCEL", ret, ENOENT);
		break;
	case 10:
		w_consistent(t, fd, name);
		break;
	case 11:
		w_lock_set(t, fd);
		break;
	case 12:
		ret = query(fd, name, &q, e, 4);
		CHECK("QUERY", ret, EACCES, GONE);
		break;
	case 13:
		ret = list_call(fd, h, 4, &ls);
		CHECK("LIST", ret);
		break;
	case 14:
		ret = read(fd, c, sizeof(c));
		CHECK("read", ret, EAGAIN, EINTR);
		if (ret > 0 && ret % sizeof(c[0]))
			bad("%s returned %ld (errno %d)", "read", ret, 0);
		break;
	case 15:
		pfd.fd = fd;
		pfd.events = POLLIN;
		ret = poll(&pfd, 1, rnd(&t->seed) % 2);
		CHECK("poll", ret, EINTR);
		break;
	case 16:
		memset(&o, 0, sizeof(o));
		o.mode = rnd(&t->seed) % 4;
		ret = ioctl(fd, LOCKDEV_IOC_SET_ORDER, &o);
		CHECK("SET_ORDER", ret);
		break;
	case 17:
		memset(&d, 0, sizeof(d));
		d.members = ptr(m);
		d.nr_members = 2;
		ret = ioctl(fd, LOCKDEV_IOC_DEADLOCK, &d);
		CHECK("DEADLOCK", ret);
		break;
	case 18:
		if (rnd(&t->seed) % 4)
			w_attach(t, fd);
		else
			w_space(t, fd);
		break;
	default:
		if (t->idx != 0)
			break;
		if (rnd(&t->seed) % 4)
			w_reopen(t);
		else
			w_fork(t);
		break;
	}
}

static void *w_thread(void *arg)
{
	struct wthread *t = arg;

	while (!atomic_load(&sh->stop))
		w_op(t);
	return NULL;
}

static void on_signal(int sig)
{
}

static void __attribute__((noreturn)) worker(unsigned int seed)
{
	struct itimerval it = { { 0, 7000 }, { 0, 7000 } };
	struct sigaction sa = { .sa_handler = on_signal };
	struct wthread t[2];
	struct worker w;
	pthread_t th;
	int i;

	/* Signals without SA_RESTART: waits end with EINTR now and then. */
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	memset(&w, 0, sizeof(w));
	for (i = 0; i < NSLOTS; i++) {
		w.fds[i] = open(LOCKDEV_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (w.fds[i] < 0)
			_exit(3);
	}
	for (i = 0; i < 2; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].w = &w;
		t[i].idx = i;
		t[i].seed = seed * 2 + i + 1;
	}
	if (pthread_create(&th, NULL, w_thread, &t[1]))
		_exit(4);
	w_thread(&t[0]);
	pthread_join(th, NULL);
	for (i = 0; i < 4; i++)
		if (w.kids[i] > 0)
			waitpid(w.kids[i], NULL, 0);
	_exit(0);
}

/* ---- readers ---- */

static const char *const proc_files[] = {
	"/proc/lockdev/locks", "/proc/lockdev/stats",
	"/proc/lockdev/deadlocks", "/proc/lockdev/order",
	"/proc/lockdev/lock_stat", "/proc/lockdev/spaces",
	"/proc/lockdev/levels",
};

static void r_proc(unsigned int *seed)
{
	const char *path = proc_files[rnd(seed) % 5];
	static char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool half = rnd(seed) % 4 == 0;
	long ret;

	if (fd < 0) {
		bad("open %s: %ld, errno %d", path, fd, errno);
		return;
	}
	do {
		ret = read(fd, buf, 1 + rnd(seed) % sizeof(buf));
		CHECK(path, ret);
	} while (ret > 0 && !(half && rnd(seed) % 2));
	close(fd);
	atomic_fetch_add(&sh->reads, 1);
}

static void r_reset_stat(void)
{
	int fd = open("/proc/lockdev/lock_stat", O_WRONLY | O_CLOEXEC);
	long ret;

	if (fd < 0) {
		CHECK("open lock_stat for writing", fd, EACCES);
		return;
	}
	ret = write(fd, "0\n", 2);
	CHECK("write lock_stat", ret, EPERM);
	close(fd);
}

static int nl_send(int sk, __u16 type, __u16 flags, __u8 cmd,
		   __u16 attr, const void *data, int len)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		char attrs[64];
	} req;
	struct nlattr *a = (struct nlattr *)req.attrs;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };

	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.n.nlmsg_type = type;
	req.n.nlmsg_flags = NLM_F_REQUEST | flags;
	req.g.cmd = cmd;
	req.g.version = type == GENL_ID_CTRL ? 1 : LOCKDEV_GENL_VERSION;
	if (attr) {
		a->nla_type = attr;
		a->nla_len = NLA_HDRLEN + len;
		memcpy((char *)a + NLA_HDRLEN, data, len);
		req.n.nlmsg_len += NLA_ALIGN(a->nla_len);
	}
	return sendto(sk, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&to,
		      sizeof(to)) < 0 ? -1 : 0;
}

/* Every attribute of @n, after its genetlink header, fits in it. */
static bool nl_attrs_fit(const struct nlmsghdr *n, __u16 *fam_id)
{
	const char *p = (const char *)NLMSG_DATA(n) + GENL_HDRLEN;
	const char *end = (const char *)n + n->nlmsg_len;
	const struct nlattr *a;

	if (n->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return false;
	while (p + NLA_HDRLEN <= end) {
		a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			return false;
		if (fam_id && a->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(fam_id, p + NLA_HDRLEN, sizeof(*fam_id));
		p += NLA_ALIGN(a->nla_len);
	}
	return true;
}

/*
 * Read the answers to one request: 0 at its end (NLMSG_DONE, an ack, or
 * the one reply of a do), a negative errno from NLMSG_ERROR, or -EIO for
 * a malformed message. With @quit set, stop after the first buffer.
 */
static int nl_answers(int sk, bool dump, bool quit, __u16 *fam_id)
{
	static char buf[32768];
	struct nlmsghdr *n;
	long len;
	int err;

	for (;;) {
		len = recv(sk, buf, sizeof(buf), 0);
		if (len < 0)
			return -errno;
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len);
		     n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_type == NLMSG_DONE)
				return 0;
			if (n->nlmsg_type == NLMSG_ERROR) {
				memcpy(&err, NLMSG_DATA(n), sizeof(err));
				return err;
			}
			if (!nl_attrs_fit(n, fam_id))
				return -EIO;
			if (!dump)
				return 0;
		}
		if (len)
			return -EIO;
		if (quit)
			return 0;
	}
}

static int nl_family(int sk, __u16 *id)
{
	*id = 0;
	if (nl_send(sk, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY,
		    CTRL_ATTR_FAMILY_NAME, LOCKDEV_GENL_NAME,
		    sizeof(LOCKDEV_GENL_NAME)))
		return -errno;
	return nl_answers(sk, false, false, id);
}

static void r_netlink(unsigned int *seed)
{
	struct timeval tv = { .tv_sec = 5 };
	bool dump = rnd(seed) % 3 != 0, quit = rnd(seed) % 4 == 0;
	__u16 fam;
	int sk, ret;

	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (sk < 0) {
		bad("%s returned %ld, errno %d", "socket", sk, errno);
		return;
	}
	setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ret = nl_family(sk, &fam);
	if (ret || !fam) {
		errno = -ret;
		CHECK("resolving the lockdev family", ret ? -1 : 0);
		close(sk);
		return;
	}
	if (dump)
		ret = nl_send(sk, fam, NLM_F_DUMP, LOCKDEV_CMD_GET_LOCKS, 0,
			      NULL, 0);
	else
		ret = nl_send(sk, fam, 0, LOCKDEV_CMD_GET_STATS, 0, NULL, 0);
	if (!ret)
		ret = nl_answers(sk, dump, quit, NULL);
	else
		ret = -errno;
	errno = -ret;
	CHECK(dump ? "GET_LOCKS dump" : "GET_STATS", ret ? -1 : 0);
	close(sk);
	atomic_fetch_add(&sh->dumps, 1);
}

/*
 * Events that came on a subscribed socket, until the answer to the
 * request just sent: its error (0 for an ack), or -EIO for a malformed
 * message; with @ack false, until none came for the socket's timeout.
 */
static int nl_events(int sk, bool ack)
{
	static char buf[32768];
	struct nlmsghdr *n;
	long len;
	int err;

	for (;;) {
		len = recv(sk, buf, sizeof(buf), 0);
		/* Events the socket had no room for are lost, not a fault. */
		if (len < 0 && errno == ENOBUFS)
			continue;
		if (len < 0)
			return ack ? -errno : 0;
		for (n = (struct nlmsghdr *)buf; NLMSG_OK(n, len);
		     n = NLMSG_NEXT(n, len)) {
			if (n->nlmsg_type == NLMSG_ERROR) {
				memcpy(&err, NLMSG_DATA(n), sizeof(err));
				return err;
			}
			if (!nl_attrs_fit(n, NULL))
				return -EIO;
			atomic_fetch_add(&sh->events, 1);
		}
		if (len)
			return -EIO;
	}
}

/*
 * Subscribe to events (root may, uid 65534 without CAP_NET_ADMIN may not),
 * read what comes for a moment, and close, unsubscribed or not.
 */
static void r_subscribe(unsigned int *seed)
{
	struct timeval tv = { .tv_sec = 5 };
	__u16 fam;
	int sk, ret;

	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (sk < 0) {
		bad("%s returned %ld, errno %d", "socket", sk, errno);
		return;
	}
	setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ret = nl_family(sk, &fam);
	if (!ret && fam)
		ret = nl_send(sk, fam, NLM_F_ACK, LOCKDEV_CMD_SUBSCRIBE, 0,
			      NULL, 0) ? -errno : nl_events(sk, true);
	errno = -ret;
	CHECK("SUBSCRIBE", ret ? -1 : 0, getuid() ? EPERM : 0);
	if (!ret && getuid())
		bad("%s by uid 65534 returned %ld, errno %d", "SUBSCRIBE", 0,
		    0);
	if (!ret) {
		tv.tv_sec = 0;
		tv.tv_usec = 1000 * (1 + rnd(seed) % 50);
		setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ret = nl_events(sk, false);
		errno = -ret;
		CHECK("reading events", ret ? -1 : 0);
	}
	if (!ret && rnd(seed) % 2) {
		tv.tv_sec = 5;
		setsockopt(sk, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		ret = nl_send(sk, fam, NLM_F_ACK, LOCKDEV_CMD_UNSUBSCRIBE, 0,
			      NULL, 0) ? -errno : nl_events(sk, true);
		errno = -ret;
		CHECK("UNSUBSCRIBE", ret ? -1 : 0);
	}
	close(sk);
	atomic_fetch_add(&sh->dumps, 1);
}

static void __attribute__((noreturn)) reader(unsigned int seed)
{
	while (!atomic_load(&sh->stop)) {
		switch (rnd(&seed) % 8) {
		case 0: case 1: case 2: case 3:
			r_proc(&seed);
			break;
		case 4:
			r_reset_stat();
			break;
		case 5:
			r_subscribe(&seed);
			break;
		default:
			r_netlink(&seed);
			break;
		}
	}
	_exit(0);
}

/* ---- the administrator ---- */

/*
 * Change root's lockspaces under the workers' feet: their modes, whether
 * they persist, and their removal, forced or not, and creation anew.
 */
static void __attribute__((noreturn)) admin(unsigned int seed)
{
	int fd = open_session(), i, ret;

	if (fd < 0)
		_exit(3);
	while (!atomic_load(&sh->stop)) {
		sleep_ms(1 + rnd(&seed) % 20);
		i = rnd(&seed) % NSPACES;
		switch (rnd(&seed) % 6) {
		case 0:
			ret = space_ctl(fd, i, LOCKDEV_SPACE_SET, 0,
					space_modes[rnd(&seed) % NSPACES]);
			CHECK("SET mode", ret, ENOENT);
			break;
		case 1:
			ret = space_ctl(fd, i, LOCKDEV_SPACE_SET,
					LOCKDEV_SPACE_PERSISTENT,
					LOCKDEV_SPACE_KEEP);
			CHECK("SET PERSISTENT", ret, ENOENT);
			break;
		case 2:
			ret = space_ctl(fd, i, LOCKDEV_SPACE_SET,
					LOCKDEV_SPACE_TRANSIENT,
					LOCKDEV_SPACE_KEEP);
			CHECK("SET TRANSIENT", ret, ENOENT);
			break;
		case 3:
			ret = space_ctl(fd, i, LOCKDEV_SPACE_REMOVE, 0,
					LOCKDEV_SPACE_KEEP);
			CHECK("REMOVE", ret, EBUSY, ENOENT);
			break;
		default:
			ret = space_ctl(fd, i, LOCKDEV_SPACE_REMOVE,
					LOCKDEV_SPACE_FORCE,
					LOCKDEV_SPACE_KEEP);
			CHECK("REMOVE FORCE", ret, ENOENT);
			sleep_ms(rnd(&seed) % 5);
			ret = space_ctl(fd, i, LOCKDEV_SPACE_CREATE, 0,
					space_modes[i]);
			CHECK("CREATE", ret, EEXIST);
			break;
		}
		atomic_fetch_add(&sh->space_ops, 1);
	}
	_exit(0);
}

/* ---- the test ---- */

static pid_t spawn(int role, unsigned int seed)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid)
		return pid;
	alarm(CHILD_SECS);
	if (role % 2 && become(NOBODY, NOBODY))
		_exit(5);
	if (role == ADMIN)
		admin(seed);
	if (role < NWORKERS)
		worker(seed);
	reader(seed);
}

/*
 * As uid @uid, in lockspace @space (NULL: the default one), take every
 * name once and clear its owner-died mark. Returns how many were marked,
 * or -1 if a name could not be taken.
 */
static int clear_owner_died(uid_t uid, const char *space)
{
	struct lockdev_lock l;
	char name[48];
	int fd, i, n = 0, status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid) {
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) == 255)
			return -1;
		return WEXITSTATUS(status);
	}
	if (uid && become(uid, uid))
		_exit(255);
	fd = open_session();
	if (fd < 0)
		_exit(255);
	if (space) {
		struct lockdev_attach at = {
			.name = ptr(space), .name_len = strlen(space),
			.flags = LOCKDEV_ATTACH_NOCREATE,
		};

		if (ioctl(fd, LOCKDEV_IOC_ATTACH, &at))
			_exit(255);
	}
	for (i = 0; i < NNAMES; i++) {
		name_of(name, sizeof(name), i);
		if (lock_call(fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, &l))
			_exit(255);
		if (l.result & LOCKDEV_RESULT_OWNER_DIED) {
			struct lockdev_consistent c = { .handle = l.handle };

			if (ioctl(fd, LOCKDEV_IOC_CONSISTENT, &c))
				_exit(255);
			n++;
		}
		if (unlock_handle(fd, l.handle))
			_exit(255);
	}
	_exit(n);
}

FIXTURE(lifetime) {
	pid_t pids[NKIDS + 1];	/* the last: the administrator's */
	int spaces[NSPACES];
};

FIXTURE_SETUP(lifetime)
{
	struct lockdev_attach at;
	int i;

	require_lock_feature(_metadata);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	snprintf(sh->prefix, sizeof(sh->prefix), "lt%d.", getpid());
	/* Root's lockspaces, kept while the test runs. */
	for (i = 0; i < NSPACES; i++) {
		snprintf(sh->spaces[i], sizeof(sh->spaces[i]), "%s%o",
			 sh->prefix, space_modes[i]);
		self->spaces[i] = open_session();
		ASSERT_LE(0, self->spaces[i]);
		memset(&at, 0, sizeof(at));
		at.name = ptr(sh->spaces[i]);
		at.name_len = strlen(sh->spaces[i]);
		at.mode = space_modes[i];
		ASSERT_EQ(0, ioctl(self->spaces[i], LOCKDEV_IOC_ATTACH, &at));
	}
}

FIXTURE_TEARDOWN(lifetime)
{
	int i;

	int fd = open_session();

	atomic_store(&sh->stop, 1);
	for (i = 0; i <= NKIDS; i++)
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	for (i = 0; i < NSPACES; i++) {
		if (self->spaces[i] >= 0)
			close(self->spaces[i]);
		/* Persistent ones, when a test failed half way. */
		if (fd >= 0)
			space_ctl(fd, i, LOCKDEV_SPACE_REMOVE,
				  LOCKDEV_SPACE_FORCE, LOCKDEV_SPACE_KEEP);
	}
	if (fd >= 0)
		close(fd);
	munmap(sh, sizeof(*sh));
}

/*
 * Make root's lockspace @i exist and persist once the administrator is
 * gone (it may have left it removed, or transient and about to go): 0, or
 * -1 with errno.
 */
static int space_back(int fd, int i)
{
	int tries;

	for (tries = 0; tries < 3; tries++) {
		if (!space_ctl(fd, i, LOCKDEV_SPACE_CREATE, 0, space_modes[i]))
			return 0;
		if (errno != EEXIST)
			return -1;
		if (!space_ctl(fd, i, LOCKDEV_SPACE_SET,
			       LOCKDEV_SPACE_PERSISTENT, LOCKDEV_SPACE_KEEP))
			return 0;
		if (errno != ENOENT)
			return -1;
	}
	return -1;
}

/* Wait for stat @name to come back to @want, over the collector's passes. */
static long long stat_back(const char *name, long long want)
{
	long long v = wait_stat(name, want);
	int i;

	for (i = 0; i < 2 && v != want; i++)
		v = wait_stat(name, want);
	return v;
}

/*
 * Workers, readers and, with @churn, the administrator, for
 * LOCKDEV_LIFETIME_MS; then everything they left must be cleared and
 * counted back.
 */
static void run_all(struct __test_metadata *_metadata,
		    FIXTURE_DATA(lifetime) *self, bool churn)
{
	int ms = knob("LOCKDEV_LIFETIME_MS", 5000), i, k, died = 0, n, fd;
	long long spaces0, locks0;
	long long sessions0;
	unsigned int seed = getpid();
	unsigned long kills = 0;
	struct locks_line *l;
	__u64 end;

	/* A kept deadlock report holds its lockspace: none before and after. */
	ASSERT_EQ(0, flush_reports());
	spaces0 = stat_value("lockspaces") - NSPACES;
	locks0 = stat_value("locks");
	sessions0 = stat_value("sessions");
	ASSERT_LE(0, locks0);
	ASSERT_LE(0, sessions0);
	fd = open_session();
	ASSERT_LE(0, fd);
	atomic_store(&sh->churn, churn);
	for (i = 0; churn && i < NSPACES; i++)
		ASSERT_EQ(0, space_ctl(fd, i, LOCKDEV_SPACE_SET,
				       LOCKDEV_SPACE_PERSISTENT,
				       LOCKDEV_SPACE_KEEP));
	for (i = 0; i < NKIDS; i++) {
		self->pids[i] = spawn(i, rnd(&seed));
		ASSERT_LT(0, self->pids[i]);
	}
	if (churn) {
		self->pids[ADMIN] = spawn(ADMIN, rnd(&seed));
		ASSERT_LT(0, self->pids[ADMIN]);
	}
	end = now_ns() + ms * MS;
	while (now_ns() < end) {
		sleep_ms(20 + rnd(&seed) % 200);
		k = rnd(&seed) % NKIDS;
		kill(self->pids[k], SIGKILL);
		waitpid(self->pids[k], NULL, 0);
		kills++;
		self->pids[k] = spawn(k, rnd(&seed));
		ASSERT_LT(0, self->pids[k]);
	}
	atomic_store(&sh->stop, 1);
	for (i = 0; i <= NKIDS; i++) {
		if (self->pids[i] <= 0)
			continue;
		EXPECT_EQ(0, reap(self->pids[i], STOP_MS)) {
			TH_LOG("child %d (role %d) did not stop cleanly", self->pids[i], i);
		}
		self->pids[i] = 0;
	}
	TH_LOG("%d ms: %lu calls, %lu /proc reads, %lu netlink requests, %lu events, %lu forks, %lu kills, %lu lockspace changes",
	       ms, atomic_load(&sh->calls), atomic_load(&sh->reads),
	       atomic_load(&sh->dumps), atomic_load(&sh->events),
	       atomic_load(&sh->forks), kills, atomic_load(&sh->space_ops));
	EXPECT_EQ(0, atomic_load(&sh->bad)) {
		TH_LOG("%d bad answers, the first: %s", atomic_load(&sh->bad),
		       sh->what);
	}
	EXPECT_EQ(0, wait_stat("holders", 0));
	EXPECT_EQ(0, wait_stat("waiters", 0));

	/* The locks the killed workers held in APPEND or EXCLUSIVE remain. */
	n = clear_owner_died(0, NULL);
	EXPECT_LE(0, n);
	died += n;
	n = clear_owner_died(NOBODY, NULL);
	EXPECT_LE(0, n);
	died += n;
	for (i = 0; i < NSPACES; i++) {
		if (churn)
			EXPECT_EQ(0, space_back(fd, i)) {
				TH_LOG("%s: errno %d", sh->spaces[i], errno);
			}
		n = clear_owner_died(0, sh->spaces[i]);
		EXPECT_LE(0, n) {
			TH_LOG("could not clear the locks of %s", sh->spaces[i]);
		}
		died += n;
		if (churn)
			EXPECT_EQ(0, space_ctl(fd, i, LOCKDEV_SPACE_REMOVE,
					       LOCKDEV_SPACE_FORCE,
					       LOCKDEV_SPACE_KEEP));
	}
	TH_LOG("%d owner-died locks cleared", died);
	close(fd);
	for (i = 0; i < NSPACES; i++) {
		close(self->spaces[i]);
		self->spaces[i] = -1;
	}
	/* A removed lockspace's owner-died locks go with the collector. */
	EXPECT_EQ(0, flush_reports());
	EXPECT_EQ(locks0, stat_back("locks", locks0));
	EXPECT_EQ(sessions0 - NSPACES,
		  wait_stat("sessions", sessions0 - NSPACES));
	EXPECT_EQ(spaces0, stat_back("lockspaces", spaces0));
	EXPECT_EQ(0, wait_stat("holders", 0));
	EXPECT_EQ(0, wait_stat("waiters", 0));
	n = read_locks(NULL, NULL, &l);
	ASSERT_LE(0, n);
	for (i = 0; i < n; i++)
		EXPECT_EQ(NULL, strstr(l[i].name, sh->prefix)) {
			TH_LOG("left in /proc/lockdev/locks: %s %s", l[i].space,
			       l[i].name);
		}
	free(l);
}

TEST_F_TIMEOUT(lifetime, everything_at_once, 150)
{
	run_all(_metadata, self, false);
}

/* The same, while the administrator changes and removes the lockspaces. */
TEST_F_TIMEOUT(lifetime, lockspaces_come_and_go, 150)
{
	run_all(_metadata, self, true);
}

TEST_HARNESS_MAIN
