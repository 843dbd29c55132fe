// SPDX-License-Identifier: GPL-2.0
/*
 * Events over generic netlink, received through liblockdev's monitor: each
 * kind of event made to happen and received with its fields, thresholds
 * set at run time, an unprivileged listener refused, the dump of holders
 * and waiters against /proc/lockdev/locks, a flood of long waits that is
 * dropped and counted while lockers go on, and several uids' bursts that
 * leave another uid's events their place.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "kselftest_harness.h"
#include "lockdev.h"
#include "util.h"
#include "harness_util.h"

#define S	LOCKDEV_MODE_SHARED
#define X	LOCKDEV_MODE_EXCLUSIVE

/* How long an event that must come may take. */
#define EVENT_MS	5000

#define HELD_PARAM	"/sys/module/lockdev/parameters/held_threshold_ms"

/* The next event, waiting up to @ms: 0, -ETIMEDOUT or the read's error. */
static int next_event(struct lockdev_monitor *mon, struct lockdev_event *ev,
		      int ms)
{
	struct pollfd p = { .fd = lockdev_monitor_fd(mon), .events = POLLIN };
	int ret;

	for (;;) {
		ret = lockdev_monitor_read(mon, ev);
		if (ret != -EAGAIN)
			return ret;
		if (poll(&p, 1, ms) <= 0)
			return -ETIMEDOUT;
	}
}

/* A lock name unique to this test run: "<class><pid>:<instance>". */
static void ev_name(char *buf, size_t len, const char *class,
		    const char *inst)
{
	snprintf(buf, len, "%s%d:%s", class, (int)getpid(), inst);
}

FIXTURE(ev) {
	struct lockdev_monitor *mon;
	int fd;
};

FIXTURE_SETUP(ev)
{
	struct lockdev_event e;
	struct lockdev_query q;

	ASSERT_EQ(0, lockdev_monitor_open(&self->mon,
					  LOCKDEV_MONITOR_NONBLOCK));
	/* Events of earlier tests still on their way are not this test's. */
	while (next_event(self->mon, &e, 200) == 0)
		;
	self->fd = open_session();
	ASSERT_LE(0, self->fd);
	/* Bind the default lockspace, so that it outlives the kids' sessions. */
	ASSERT_EQ(0, query(self->fd, "bind", &q, NULL, 0));
}

FIXTURE_TEARDOWN(ev)
{
	EXPECT_EQ(0, lockdev_monitor_thresholds(self->mon, 0, 0, NULL, NULL));
	lockdev_monitor_close(self->mon);
	close(self->fd);
}

/* A two-way deadlock: one DEADLOCK event with both members, in order. */
TEST_F(ev, deadlock)
{
	char a[64], b[64], lsp[16];
	struct lockdev_lock l;
	struct lockdev_event e;
	struct kid k;
	int fd;

	ev_name(a, sizeof(a), "user", "a");
	ev_name(b, sizeof(b), "user", "b");
	ASSERT_EQ(0, lock_call(self->fd, a, X, 0, &l));
	if (!kid_fork(&k)) {
		fd = open_session();
		EXPECT_EQ(0, lock_call(fd, b, X, 0, &l));
		kid_send(&k, 'r');
		EXPECT_EQ(0, lock_call(fd, a, X, 0, &l));
		KID_EXIT();
	}
	ASSERT_EQ('r', kid_recv(&k, WAIT_MS));
	ASSERT_TRUE(wait_entry(self->fd, a, k.pid, LOCKDEV_STATE_WAITING));
	EXPECT_EQ(-1, lock_call(self->fd, b, X, 0, &l));
	EXPECT_EQ(EDEADLK, errno);

	ASSERT_EQ(0, next_event(self->mon, &e, EVENT_MS));
	EXPECT_EQ(LOCKDEV_EVENT_DEADLOCK, e.kind);
	snprintf(lsp, sizeof(lsp), "~%u", (unsigned int)geteuid());
	EXPECT_STREQ(lsp, e.lockspace);
	ASSERT_EQ(2, e.nr_members);
	EXPECT_EQ(getpid(), (pid_t)e.members[0].pid);
	EXPECT_STREQ(a, e.members[0].held_name);
	EXPECT_STREQ(b, e.members[0].wait_name);
	EXPECT_EQ(X, e.members[0].held_mode);
	EXPECT_EQ(X, e.members[0].wait_mode);
	EXPECT_EQ(k.pid, (pid_t)e.members[1].pid);
	EXPECT_STREQ(b, e.members[1].held_name);
	EXPECT_STREQ(a, e.members[1].wait_name);
	EXPECT_STREQ("events_test", e.members[1].comm);

	EXPECT_EQ(0, unlock_name(self->fd, a));
	EXPECT_EQ(0, kid_reap(&k));
}

/* An order violation in strict and in warn mode: one ORDER event each. */
TEST_F(ev, order)
{
	char hi[64], lo[64];
	struct lockdev_lock l;
	struct lockdev_event e;
	__u32 old;

	ev_name(hi, sizeof(hi), "mbox", "x");
	ev_name(lo, sizeof(lo), "ns", "u");
	lock_input(&l, hi, X, 0);
	l.level = 20;
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_LOCK, &l));
	lock_input(&l, lo, X, 0);
	l.level = 10;
	EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EDEADLK, errno);
	ASSERT_EQ(0, next_event(self->mon, &e, EVENT_MS));
	EXPECT_EQ(LOCKDEV_EVENT_ORDER, e.kind);
	EXPECT_EQ(LOCKDEV_ORDER_STRICT, e.order_mode);
	ASSERT_EQ(1, e.nr_members);
	EXPECT_EQ(getpid(), (pid_t)e.members[0].pid);
	EXPECT_STREQ(hi, e.members[0].held_name);
	EXPECT_EQ(20, e.members[0].held_level);
	EXPECT_STREQ(lo, e.members[0].wait_name);
	EXPECT_EQ(10, e.members[0].wait_level);

	ASSERT_EQ(0, set_order(self->fd, LOCKDEV_ORDER_WARN, &old));
	lock_input(&l, lo, X, 0);
	l.level = 10;
	EXPECT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_LOCK, &l));
	ASSERT_EQ(0, next_event(self->mon, &e, EVENT_MS));
	EXPECT_EQ(LOCKDEV_EVENT_ORDER, e.kind);
	EXPECT_EQ(LOCKDEV_ORDER_WARN, e.order_mode);
	ASSERT_EQ(1, e.nr_members);
	EXPECT_STREQ(lo, e.members[0].wait_name);

	/* Off: no event. */
	EXPECT_EQ(0, unlock_name(self->fd, lo));
	ASSERT_EQ(0, set_order(self->fd, LOCKDEV_ORDER_OFF, &old));
	lock_input(&l, lo, X, 0);
	l.level = 10;
	EXPECT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(-ETIMEDOUT, next_event(self->mon, &e, 300));
	EXPECT_EQ(0, unlock_name(self->fd, lo));
	EXPECT_EQ(0, unlock_name(self->fd, hi));
}

/* Take @first then @second, shared, in a process of its own that exits. */
static pid_t take_two(const char *first, const char *second)
{
	struct lockdev_lock l;
	pid_t pid = fork();
	int fd, ok;

	if (pid)
		return pid;
	fd = open_session();
	ok = fd >= 0 && !lock_call(fd, first, S, 0, &l) &&
	     !lock_call(fd, second, S, 0, &l);
	_exit(ok ? 0 : 1);
}

/* A->B in one process, then B->A in another: one INVERSION event. */
TEST_F(ev, inversion)
{
	char a1[64], b1[64], a2[64], b2[64], ca[32], cb[32];
	struct lockdev_event e;
	pid_t p1, p2;

	ev_name(a1, sizeof(a1), "invA", "1");
	ev_name(b1, sizeof(b1), "invB", "1");
	ev_name(a2, sizeof(a2), "invA", "2");
	ev_name(b2, sizeof(b2), "invB", "2");
	snprintf(ca, sizeof(ca), "invA%d", (int)getpid());
	snprintf(cb, sizeof(cb), "invB%d", (int)getpid());

	p1 = take_two(a1, b1);
	ASSERT_EQ(0, reap(p1, WAIT_MS));
	EXPECT_EQ(-ETIMEDOUT, next_event(self->mon, &e, 200));
	p2 = take_two(b2, a2);
	ASSERT_EQ(0, reap(p2, WAIT_MS));

	ASSERT_EQ(0, next_event(self->mon, &e, EVENT_MS));
	EXPECT_EQ(LOCKDEV_EVENT_INVERSION, e.kind);
	ASSERT_EQ(2, e.nr_edges);
	EXPECT_STREQ(cb, e.edges[0].class_from);
	EXPECT_STREQ(ca, e.edges[0].class_to);
	EXPECT_EQ(p2, (pid_t)e.edges[0].pid);
	EXPECT_STREQ(b2, e.edges[0].from_name);
	EXPECT_STREQ(a2, e.edges[0].to_name);
	EXPECT_STREQ(ca, e.edges[1].class_from);
	EXPECT_STREQ(cb, e.edges[1].class_to);
	EXPECT_EQ(p1, (pid_t)e.edges[1].pid);
	EXPECT_STREQ(a1, e.edges[1].from_name);
	EXPECT_STREQ(b1, e.edges[1].to_name);
	EXPECT_STREQ("events_test", e.edges[1].comm);
}

/* A holder killed while holding EXCLUSIVE: one OWNER_DIED event. */
TEST_F(ev, owner_died)
{
	struct lockdev_lock l;
	struct lockdev_query q;
	struct lockdev_event e;
	char n[64];
	struct kid k;
	int fd;

	ev_name(n, sizeof(n), "rpm", "db");
	if (!kid_fork(&k)) {
		fd = open_session();
		EXPECT_EQ(0, lock_call(fd, n, X, 0, &l));
		kid_send(&k, 'h');
		pause();
		KID_EXIT();
	}
	ASSERT_EQ('h', kid_recv(&k, WAIT_MS));
	kill(k.pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, kid_reap(&k));

	ASSERT_EQ(0, next_event(self->mon, &e, EVENT_MS));
	EXPECT_EQ(LOCKDEV_EVENT_OWNER_DIED, e.kind);
	EXPECT_STREQ(n, e.name);
	EXPECT_EQ(k.pid, (pid_t)e.pid);
	EXPECT_EQ(X, e.mode);
	EXPECT_STREQ("events_test", e.comm);
	ASSERT_EQ(0, query(self->fd, n, &q, NULL, 0));
	EXPECT_EQ(q.generation, e.generation);
	EXPECT_NE(0, e.generation);

	ASSERT_EQ(0, lock_call(self->fd, n, X, 0, &l));
	EXPECT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_CONSISTENT,
			   &(struct lockdev_consistent){ .handle = l.handle }));
	EXPECT_EQ(0, unlock_handle(self->fd, l.handle));
}

/*
 * A forced removal: one SPACE_REMOVED event with the lockspace only; a
 * removal without sessions, not forced, sends none.
 */
TEST_F(ev, space_removed)
{
	struct lockdev_event e;
	struct lockdev *ld;
	char n[64];

	snprintf(n, sizeof(n), "ev-removed-%d", (int)getpid());
	ASSERT_EQ(0, lockdev_space_create(n, 0600, (uid_t)-1, (gid_t)-1));
	ASSERT_EQ(0, lockdev_open_space(&ld, n, 0, LOCKDEV_OPEN_NOCREATE));
	ASSERT_EQ(0, lockdev_space_remove(n, LOCKDEV_SPACE_FORCE));
	ASSERT_EQ(0, next_event(self->mon, &e, EVENT_MS));
	EXPECT_EQ(LOCKDEV_EVENT_SPACE_REMOVED, e.kind);
	EXPECT_STREQ(n, e.lockspace);
	EXPECT_EQ(0, e.name_len);
	EXPECT_EQ(0, e.pid);
	lockdev_close(ld);

	ASSERT_EQ(0, lockdev_space_create(n, 0600, (uid_t)-1, (gid_t)-1));
	ASSERT_EQ(0, lockdev_space_remove(n, 0));
	EXPECT_EQ(-ETIMEDOUT, next_event(self->mon, &e, 500));
}

/* Held past the threshold: one HELD_LONG event, not repeated. */
TEST_F(ev, held_long)
{
	struct lockdev_lock l;
	struct lockdev_event e;
	__u32 held, wait;
	char n[64];

	ev_name(n, sizeof(n), "idx", "held");
	ASSERT_EQ(0, lockdev_monitor_thresholds(self->mon, 100, 0, &held,
						&wait));
	EXPECT_EQ(100, held);
	EXPECT_EQ(0, wait);
	ASSERT_EQ(0, lock_call(self->fd, n, S, 0, &l));
	ASSERT_EQ(0, next_event(self->mon, &e, EVENT_MS));
	EXPECT_EQ(LOCKDEV_EVENT_HELD_LONG, e.kind);
	EXPECT_STREQ(n, e.name);
	EXPECT_EQ(getpid(), (pid_t)e.pid);
	EXPECT_EQ(S, e.mode);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e.state);
	EXPECT_LE(100000000ULL, e.age_ns);
	/* Once per holding. */
	EXPECT_EQ(-ETIMEDOUT, next_event(self->mon, &e, 600));
	EXPECT_EQ(0, unlock_handle(self->fd, l.handle));
}

/* Awaited past the threshold: one WAITED_LONG event for the waiter. */
TEST_F(ev, waited_long)
{
	struct lockdev_lock l;
	struct lockdev_event e;
	char n[64];
	struct kid k;
	int fd;

	ev_name(n, sizeof(n), "idx", "wait");
	ASSERT_EQ(0, lock_call(self->fd, n, X, 0, &l));
	ASSERT_EQ(0, lockdev_monitor_thresholds(self->mon, -1, 100, NULL,
						NULL));
	if (!kid_fork(&k)) {
		fd = open_session();
		EXPECT_EQ(0, lock_call(fd, n, S, 0, &l));
		KID_EXIT();
	}
	ASSERT_EQ(0, next_event(self->mon, &e, EVENT_MS));
	EXPECT_EQ(LOCKDEV_EVENT_WAITED_LONG, e.kind);
	EXPECT_STREQ(n, e.name);
	EXPECT_EQ(k.pid, (pid_t)e.pid);
	EXPECT_EQ(S, e.mode);
	EXPECT_EQ(LOCKDEV_STATE_WAITING, e.state);
	EXPECT_LE(100000000ULL, e.age_ns);
	EXPECT_EQ(-ETIMEDOUT, next_event(self->mon, &e, 600));
	EXPECT_EQ(0, unlock_handle(self->fd, l.handle));
	EXPECT_EQ(0, kid_reap(&k));
}

/* Thresholds set through netlink show in the parameters, and back. */
TEST_F(ev, thresholds)
{
	__u32 held, wait;
	char *text;
	FILE *f;

	ASSERT_EQ(0, lockdev_monitor_thresholds(self->mon, 1234, 567, &held,
						&wait));
	EXPECT_EQ(1234, held);
	EXPECT_EQ(567, wait);
	text = read_file(HELD_PARAM);
	ASSERT_NE(NULL, text);
	EXPECT_EQ(1234, atoi(text));
	free(text);

	f = fopen(HELD_PARAM, "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "4321\n");
	ASSERT_EQ(0, fclose(f));
	ASSERT_EQ(0, lockdev_monitor_thresholds(self->mon, -1, -1, &held,
						&wait));
	EXPECT_EQ(4321, held);
	EXPECT_EQ(567, wait);
	EXPECT_EQ(-EINVAL, lockdev_monitor_thresholds(self->mon, -2, 0, NULL,
						      NULL));
	EXPECT_EQ(-EINVAL, lockdev_monitor_thresholds(self->mon,
						      1LL << 32, 0, NULL,
						      NULL));
}

/* Send @cmd with @held as its threshold (if >= 0): the kernel's error. */
static int raw_thresholds(int held)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = nlmsg_alloc();
	int fam, ret = -ENOMEM;

	if (!sk || !msg || genl_connect(sk))
		goto out;
	fam = genl_ctrl_resolve(sk, LOCKDEV_GENL_NAME);
	if (fam < 0)
		goto out;
	genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0, 0,
		    LOCKDEV_CMD_THRESHOLDS, LOCKDEV_GENL_VERSION);
	if (held >= 0)
		nla_put_u32(msg, LOCKDEV_A_HELD_THRESHOLD_MS, held);
	ret = nl_send_sync(sk, msg);
	msg = NULL;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret;
}

/*
 * Send GET_STATS with genlmsghdr.reserved set to @reserved and @flags
 * added to nlmsg_flags: the kernel's error, as libnl returns it.
 */
static int raw_header(__u8 reserved, __u16 flags)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = nlmsg_alloc();
	struct genlmsghdr *g;
	int fam, ret = -ENOMEM;

	if (!sk || !msg || genl_connect(sk))
		goto out;
	fam = genl_ctrl_resolve(sk, LOCKDEV_GENL_NAME);
	if (fam < 0)
		goto out;
	g = genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0, flags,
			LOCKDEV_CMD_GET_STATS, LOCKDEV_GENL_VERSION);
	if (!g)
		goto out;
	((struct genlmsghdr *)nlmsg_data(nlmsg_hdr(msg)))->reserved = reserved;
	ret = nl_send_sync(sk, msg);
	msg = NULL;
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret;
}

/* Every command checks the reserved byte and the flags of its header. */
TEST(strict_header)
{
	EXPECT_EQ(0, raw_header(0, 0));
	EXPECT_EQ(-NLE_INVAL, raw_header(0x55, 0));
	EXPECT_EQ(-NLE_INVAL, raw_header(0, NLM_F_EXCL));
	EXPECT_EQ(-NLE_INVAL, raw_header(0, 0x4000));
}

/* Without CAP_NET_ADMIN: no joining the group, no changing thresholds. */
TEST(unprivileged)
{
	struct lockdev_monitor *mon;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		if (become(65534, 65534))
			_exit(2);
		if (lockdev_monitor_open(&mon, 0) != -EPERM)
			_exit(3);
		if (raw_thresholds(5) != -NLE_PERM)
			_exit(4);
		/* Reading them is fine. */
		if (raw_thresholds(-1))
			_exit(5);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid, WAIT_MS));
}

/*
 * Send @cmd (a dump if @dump) with one attribute, @attr: LOCKDEV_A_ALL as a
 * flag, any other as a u32. The kernel's error as libnl returns it, or 0.
 */
static int raw_with_attr(__u8 cmd, bool dump, int attr)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = nlmsg_alloc();
	int fam, ret = -ENOMEM;

	if (!sk || !msg || genl_connect(sk))
		goto out;
	fam = genl_ctrl_resolve(sk, LOCKDEV_GENL_NAME);
	if (fam < 0)
		goto out;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, fam, 0,
			 dump ? NLM_F_DUMP : 0, cmd, LOCKDEV_GENL_VERSION) ||
	    (attr == LOCKDEV_A_ALL ? nla_put_flag(msg, attr) :
	     nla_put_u32(msg, attr, 0)))
		goto out;
	ret = nl_send_auto(sk, msg);
	if (ret >= 0)
		ret = nl_recvmsgs_default(sk);
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret;
}

/*
 * GET_LOCKS takes the flag LOCKDEV_A_ALL and nothing else; others not it,
 * and GET_STATS not the thresholds either.
 */
TEST_F(ev, attributes_per_command)
{
	EXPECT_EQ(0, raw_with_attr(LOCKDEV_CMD_GET_LOCKS, true, LOCKDEV_A_ALL));
	EXPECT_EQ(-NLE_INVAL, raw_with_attr(LOCKDEV_CMD_GET_LOCKS, true,
					    LOCKDEV_A_HELD_THRESHOLD_MS));
	EXPECT_EQ(-NLE_INVAL, raw_with_attr(LOCKDEV_CMD_GET_LOCKS, true,
					    LOCKDEV_A_PID));
	EXPECT_EQ(-NLE_INVAL, raw_with_attr(LOCKDEV_CMD_THRESHOLDS, false,
					    LOCKDEV_A_ALL));
	EXPECT_EQ(-NLE_INVAL, raw_with_attr(LOCKDEV_CMD_GET_STATS, false,
					    LOCKDEV_A_HELD_THRESHOLD_MS));
	EXPECT_EQ(-NLE_INVAL, raw_with_attr(LOCKDEV_CMD_GET_STATS, false,
					    LOCKDEV_A_ALL));
}

/* One holder or waiter of a GET_LOCKS dump, as /proc/lockdev/locks shows it. */
struct dump_line {
	char name[ESC_MAX];
	long pid;
	char mode[16];
	char state[16];
};

struct dump {
	struct dump_line line[16];
	int n;
	const char *prefix;
};

static int dump_one(struct nl_msg *msg, void *arg)
{
	static const char *const states[] = { "?", "held", "waiting",
					      "converting" };
	struct nlattr *tb[LOCKDEV_A_MAX + 1];
	struct dump *d = arg;
	struct dump_line *l;
	__u32 state;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, LOCKDEV_A_MAX, NULL) ||
	    !tb[LOCKDEV_A_NAME] || !tb[LOCKDEV_A_STATE] || d->n >= 16)
		return NL_SKIP;
	l = &d->line[d->n];
	proc_escape(l->name, nla_data(tb[LOCKDEV_A_NAME]),
		    nla_len(tb[LOCKDEV_A_NAME]));
	if (strncmp(l->name, d->prefix, strlen(d->prefix)))
		return NL_SKIP;
	l->pid = nla_get_u32(tb[LOCKDEV_A_PID]);
	snprintf(l->mode, sizeof(l->mode), "%s",
		 mode_name(nla_get_u32(tb[LOCKDEV_A_MODE])));
	state = nla_get_u32(tb[LOCKDEV_A_STATE]);
	snprintf(l->state, sizeof(l->state), "%s", states[state & 3]);
	d->n++;
	return NL_OK;
}

/* The dump names the same holders and waiters as /proc/lockdev/locks. */
TEST_F(ev, dump_matches_proc)
{
	struct locks_line *pl;
	struct lockdev_lock l;
	struct nl_sock *sk;
	struct dump d = { 0 };
	char a[64], b[64], prefix[32];
	int fam, n, i, j, found;
	struct kid k;
	int fd;

	snprintf(prefix, sizeof(prefix), "dump%d:", (int)getpid());
	d.prefix = prefix;
	ev_name(a, sizeof(a), "dump", "a");
	ev_name(b, sizeof(b), "dump", "b");
	ASSERT_EQ(0, lock_call(self->fd, a, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd, b, X, 0, &l));
	if (!kid_fork(&k)) {
		fd = open_session();
		EXPECT_EQ(0, lock_call(fd, a, S, 0, &l));
		kid_send(&k, 'r');
		EXPECT_EQ(0, lock_call(fd, b, S, 0, &l));
		KID_EXIT();
	}
	ASSERT_EQ('r', kid_recv(&k, WAIT_MS));
	ASSERT_TRUE(wait_entry(self->fd, b, k.pid, LOCKDEV_STATE_WAITING));

	sk = nl_socket_alloc();
	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_connect(sk));
	fam = genl_ctrl_resolve(sk, LOCKDEV_GENL_NAME);
	ASSERT_LT(0, fam);
	ASSERT_EQ(0, nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM,
					 dump_one, &d));
	ASSERT_LE(0, genl_send_simple(sk, fam, LOCKDEV_CMD_GET_LOCKS,
				      LOCKDEV_GENL_VERSION, NLM_F_DUMP));
	ASSERT_LE(0, nl_recvmsgs_default(sk));
	nl_socket_free(sk);

	n = read_locks(NULL, NULL, &pl);
	ASSERT_LE(0, n);
	found = 0;
	for (i = 0; i < n; i++) {
		if (strncmp(pl[i].name, prefix, strlen(prefix)))
			continue;
		found++;
		for (j = 0; j < d.n; j++)
			if (!strcmp(d.line[j].name, pl[i].name) &&
			    d.line[j].pid == pl[i].pid &&
			    !strcmp(d.line[j].mode, pl[i].mode) &&
			    !strcmp(d.line[j].state, pl[i].state))
				break;
		EXPECT_LT(j, d.n) {
			TH_LOG("/proc line %s %ld %s %s not in the dump",
			       pl[i].name, pl[i].pid, pl[i].mode,
			       pl[i].state);
		}
	}
	free(pl);
	EXPECT_EQ(4, found);
	EXPECT_EQ(found, d.n);

	EXPECT_EQ(0, unlock_name(self->fd, b));
	EXPECT_EQ(0, kid_reap(&k));
	EXPECT_EQ(0, unlock_name(self->fd, a));
}

/* Holders of one lock, more than one dump buffer's worth of pids. */
#define CROWD_HOLDERS	4000

/* What a dump says of the locks called name. */
struct big_dump {
	const char *name;
	int holders;
	int waiters;
	int waits_for;
	bool truncated;
};

static int big_one(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LOCKDEV_A_MAX + 1], *a;
	struct big_dump *d = arg;
	int rem;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, LOCKDEV_A_MAX, NULL) ||
	    !tb[LOCKDEV_A_NAME] || !tb[LOCKDEV_A_STATE] ||
	    nla_len(tb[LOCKDEV_A_NAME]) != (int)strlen(d->name) ||
	    memcmp(nla_data(tb[LOCKDEV_A_NAME]), d->name, strlen(d->name)))
		return NL_SKIP;
	if (nla_get_u32(tb[LOCKDEV_A_STATE]) == LOCKDEV_STATE_HELD) {
		d->holders++;
		return NL_OK;
	}
	d->waiters++;
	if (tb[LOCKDEV_A_WAITS_FOR])
		nla_for_each_nested(a, tb[LOCKDEV_A_WAITS_FOR], rem)
			d->waits_for += nla_type(a) == LOCKDEV_A_PID;
	d->truncated = tb[LOCKDEV_A_WAITS_FOR_TRUNCATED];
	return NL_OK;
}

/*
 * A waiter that waits for more holders than one dump buffer holds the pids
 * of: its message lists the first LOCKDEV_WAITS_FOR_MAX with the truncated
 * flag, and the dump goes on to its end.
 */
TEST_F_TIMEOUT(ev, dump_big_record, 300)
{
	struct big_dump d = { 0 };
	struct rlimit rl = { CROWD_HOLDERS + 64, CROWD_HOLDERS + 64 };
	struct lockdev_lock l;
	struct nl_sock *sk;
	char name[64];
	struct kid k;
	int fam, i, fd;

	ev_name(name, sizeof(name), "big", "x");
	d.name = name;
	if (!kid_fork(&k)) {
		/* The debug lane takes a while to open all of them. */
		alarm(CHILD_SECS);
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(2);
		for (i = 0; i < CROWD_HOLDERS; i++) {
			fd = open_session();
			if (fd < 0 || lock_call(fd, name, S, 0, &l))
				_exit(3);
		}
		kid_send(&k, 'r');
		kid_recv(&k, CHILD_SECS * 1000);
		_exit(0);
	}
	ASSERT_EQ('r', kid_recv(&k, CHILD_SECS * 1000));
	ASSERT_EQ(0, lock_call(self->fd, name, X, LOCKDEV_LOCK_ASYNC, &l));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, l.result);

	sk = nl_socket_alloc();
	ASSERT_NE(NULL, sk);
	ASSERT_EQ(0, genl_connect(sk));
	fam = genl_ctrl_resolve(sk, LOCKDEV_GENL_NAME);
	ASSERT_LT(0, fam);
	ASSERT_EQ(0, nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM,
					 big_one, &d));
	ASSERT_LE(0, genl_send_simple(sk, fam, LOCKDEV_CMD_GET_LOCKS,
				      LOCKDEV_GENL_VERSION, NLM_F_DUMP));
	EXPECT_LE(0, nl_recvmsgs_default(sk));
	nl_socket_free(sk);
	EXPECT_EQ(CROWD_HOLDERS, d.holders);
	EXPECT_EQ(1, d.waiters);
	EXPECT_EQ(LOCKDEV_WAITS_FOR_MAX, d.waits_for);
	EXPECT_TRUE(d.truncated);

	EXPECT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_CANCEL,
			   &(struct lockdev_cancel){ .handle = l.handle }));
	kid_send(&k, 'x');
	EXPECT_EQ(0, kid_reap(&k));
}

#define FLOOD	2000

/*
 * Thousands of waits past the threshold with a listener that does not
 * read: the events that do not fit are dropped and counted, and lockers go
 * on at their pace meanwhile. Two minutes: on the debug kernel, setting up
 * and ending 2000 waits and rendering their events for a subscriber takes
 * more than the harness's 30 s.
 */
TEST_F_TIMEOUT(ev, flood, 120)
{
	long long dropped = stat_value("events_dropped");
	int holder = open_session(), waiter = open_session();
	static __u64 held[FLOOD];
	struct lockdev_lock l;
	struct lockdev_event e;
	int i, ret, got, lost;
	__u64 start;
	char n[64];

	ASSERT_LE(0, holder);
	ASSERT_LE(0, waiter);
	for (i = 0; i < FLOOD; i++) {
		snprintf(n, sizeof(n), "flood%d:%d", (int)getpid(), i);
		ASSERT_EQ(0, lock_call(holder, n, X, 0, &l));
		held[i] = l.handle;
		ASSERT_EQ(0, lock_call(waiter, n, S, LOCKDEV_LOCK_ASYNC, &l));
		ASSERT_EQ(LOCKDEV_RESULT_QUEUED, l.result);
	}
	ASSERT_EQ(0, lockdev_monitor_thresholds(self->mon, -1, 1, NULL, NULL));

	/* Lockers are not slowed while the scanner floods. */
	start = now_ns();
	for (i = 0; i < 500; i++) {
		ASSERT_EQ(0, lock_call(self->fd, "flood-free", X, 0, &l));
		ASSERT_EQ(0, unlock_handle(self->fd, l.handle));
	}
	EXPECT_GT(5000000000ULL, now_ns() - start);

	/* Give the scanner the time to go through the flood. */
	for (i = 0; i < WAIT_MS / 10 && stat_value("events_dropped") <=
	     dropped; i++)
		sleep_ms(10);
	/*
	 * The listener reads on until the flood is over. Fewer events than
	 * waits reach it: the module's queue dropped and counted some, or,
	 * when the sender kept pace with the scanner (it runs on the other
	 * CPU), the listener's own socket overflowed and it was told so.
	 */
	got = lost = 0;
	for (i = 0; i < 2 * FLOOD; i++) {
		ret = next_event(self->mon, &e, 500);
		if (ret == -ETIMEDOUT)
			break;
		if (ret == -ENOBUFS)
			lost++;
		else if (!ret)
			got++;
		else
			break;
	}
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_GT(FLOOD, got);
	EXPECT_LT(0, got);
	EXPECT_TRUE(stat_value("events_dropped") > dropped || lost > 0);
	TH_LOG("%d of %d waits reported, %d overruns, %lld dropped", got,
	       FLOOD, lost, stat_value("events_dropped") - dropped);

	/* Unlocked, not left owner-died by a close, for the tests after. */
	close(waiter);
	for (i = 0; i < FLOOD; i++)
		EXPECT_EQ(0, unlock_handle(holder, held[i]));
	close(holder);
}

#define OVERRUN		200

/*
 * A kid that holds @n locks of @space in EXCLUSIVE, named @prefix0 and on,
 * and exits: an OWNER_DIED event for each. Returns the kid's status.
 */
static int die_holding(const char *space, const char *prefix, int n)
{
	struct lockdev_lock l;
	struct kid k;
	char name[64];
	int fd, i;

	if (!kid_fork(&k)) {
		fd = open_session();
		if (fd < 0 || attach_space(fd, space, 0, 0600))
			_exit(2);
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%s%d", prefix, i);
			if (lock_call(fd, name, X, 0, &l))
				_exit(3);
		}
		_exit(0);
	}
	return kid_reap(&k);
}

/*
 * A subscriber that does not read loses what does not fit in its socket,
 * is told so on its next read (ENOBUFS), and gets the events that come
 * after it has read on. A second subscriber, later in the module's list,
 * reads everything: once it has the last event, the first one's turn for
 * it has passed.
 */
TEST_F(ev, overrun_then_resume)
{
	int room = 64 << 20, i, ret, got = 0;
	struct lockdev_monitor *all;
	struct lockdev_event e;
	char space[64];

	snprintf(space, sizeof(space), "overrun%d", (int)getpid());
	ASSERT_EQ(0, lockdev_monitor_open(&all, LOCKDEV_MONITOR_NONBLOCK));
	ASSERT_EQ(0, setsockopt(lockdev_monitor_fd(all), SOL_SOCKET,
				SO_RCVBUFFORCE, &room, sizeof(room)));
	ASSERT_EQ(0, die_holding(space, "lost", OVERRUN));
	for (i = 0; i < OVERRUN; i++) {
		ASSERT_EQ(0, next_event(all, &e, EVENT_MS));
		ASSERT_EQ(LOCKDEV_EVENT_OWNER_DIED, e.kind);
	}

	ASSERT_EQ(-ENOBUFS, next_event(self->mon, &e, EVENT_MS));
	while ((ret = next_event(self->mon, &e, 200)) == 0)
		got++;
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_LT(0, got);
	EXPECT_GT(OVERRUN, got);

	ASSERT_EQ(0, die_holding(space, "after", 1));
	ASSERT_EQ(0, next_event(self->mon, &e, EVENT_MS));
	EXPECT_EQ(LOCKDEV_EVENT_OWNER_DIED, e.kind);
	EXPECT_STREQ("after0", e.name);
	TH_LOG("%d of %d events fitted", got, OVERRUN);
	lockdev_monitor_close(all);
	EXPECT_EQ(0, space_ctl_call(self->fd, space, strlen(space),
				    LOCKDEV_SPACE_REMOVE, LOCKDEV_SPACE_FORCE,
				    0, 0, 0));
}

#define UID_FLOODER	2051
#define FLOODERS	6
#define FLOOD_LOCKS	2000
#define SLOW_SUBS	48
/* How long to wait for the queue to fill; a slow kernel may keep up. */
#define FILL_WAIT_NS	(10 * 1000000000ULL)

/*
 * A session of uid UID_FLOODER + @idx holding FLOOD_LOCKS locks of @space,
 * till killed.
 */
static void __attribute__((noreturn)) hold_many(struct kid *k, const char *space,
					       int idx)
{
	struct lockdev_lock l;
	char n[64];
	int fd, i;

	if (become(UID_FLOODER + idx, UID_FLOODER + idx))
		_exit(2);
	fd = open_session();
	if (fd < 0 || attach_space(fd, space, 0, 0666))
		_exit(3);
	for (i = 0; i < FLOOD_LOCKS; i++) {
		snprintf(n, sizeof(n), "burst%d:%d", idx, i);
		if (lock_call(fd, n, X, LOCKDEV_LOCK_NONBLOCK, &l))
			_exit(4);
	}
	kid_send(k, 'h');
	pause();
	_exit(0);
}

/*
 * Several uids' bursts of events do not crowd out another uid's: sessions
 * of FLOODERS uids killed at once while they hold 2,000 locks each in
 * EXCLUSIVE make bursts of OWNER_DIED events that fill the queue, as
 * LOCKDEV_EVENTS_QUEUED_PER_USER alone does not prevent. Root closes a
 * session with a lock in EXCLUSIVE while the queue is full: its event
 * still reaches the listener, whose socket has room for all that come.
 * Subscribers that do not read, as a busy host may have, are there too:
 * a module that copies each event for them sends slower, and its queue
 * stays full longer.
 */
TEST_F_TIMEOUT(ev, flood_share, 120)
{
	long long start = stat_value("events_dropped"), queued;
	__u64 end;
	struct lockdev_monitor *slow[SLOW_SUBS];
	int room = 64 << 20, i, ret, got = 0, fd;
	struct kid burst[FLOODERS];
	struct lockdev_event e;
	struct lockdev_lock l;
	struct sched_param fifo = { .sched_priority = 1 }, other = { 0 };
	char space[64], m[64];
	bool found = false;

	ASSERT_EQ(0, setsockopt(lockdev_monitor_fd(self->mon), SOL_SOCKET,
				SO_RCVBUFFORCE, &room, sizeof(room)));
	for (i = 0; i < SLOW_SUBS; i++)
		ASSERT_EQ(0, lockdev_monitor_open(&slow[i],
						  LOCKDEV_MONITOR_NONBLOCK));
	snprintf(space, sizeof(space), "evburst%d", (int)getpid());
	for (i = 0; i < FLOODERS; i++) {
		if (!kid_fork(&burst[i]))
			hold_many(&burst[i], space, i);
		ASSERT_EQ('h', kid_recv(&burst[i], KID_TIMEOUT_S * 1000));
	}
	ev_name(m, sizeof(m), "victim", "db");
	fd = open_session();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, lock_call(fd, m, X, 0, &l));

	/*
	 * Ahead of the busy sender and the dying, so as to see the queue fill:
	 * what was queued since, less what the listener got. Root closes its
	 * session once the queue is nearly full, while the bursts go on, and
	 * without its priority, which would win it the first place freed.
	 */
	queued = stat_value("events");
	end = now_ns() + FILL_WAIT_NS;
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_FIFO, &fifo));
	for (i = 0; i < FLOODERS; i++)
		kill(burst[i].pid, SIGKILL);
	while (now_ns() < end && stat_value("events") - queued - got <
	       LOCKDEV_EVENTS_QUEUED - 16) {
		while (next_event(self->mon, &e, 0) == 0)
			got++;
		usleep(100);
	}
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_OTHER, &other));
	close(fd);
	for (i = 0; i < FLOODERS; i++)
		EXPECT_EQ(128 + SIGKILL, kid_reap(&burst[i]));

	while (!found && (ret = next_event(self->mon, &e, EVENT_MS)) == 0) {
		if (e.kind != LOCKDEV_EVENT_OWNER_DIED)
			continue;
		got++;
		found = !strcmp(e.name, m);
	}
	EXPECT_TRUE(found);
	for (i = 0; i < SLOW_SUBS; i++)
		lockdev_monitor_close(slow[i]);
	TH_LOG("root's event after %d owner deaths of %d; %lld dropped", got,
	       FLOODERS * FLOOD_LOCKS + 1,
	       stat_value("events_dropped") - start);

	/* Root's lock repaired, the flooders' lockspace gone with its own. */
	ASSERT_EQ(0, lock_call(self->fd, m, X, 0, &l));
	EXPECT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_CONSISTENT,
			   &(struct lockdev_consistent){ .handle = l.handle }));
	EXPECT_EQ(0, unlock_handle(self->fd, l.handle));
	EXPECT_EQ(0, space_ctl_call(self->fd, space, strlen(space),
				    LOCKDEV_SPACE_REMOVE, LOCKDEV_SPACE_FORCE,
				    0, 0, 0));
}

#define PER_SPACE	"/sys/module/lockdev/parameters/max_idle_locks_per_space"
#define CHURNERS	2
#define CHURN_MS	3000
#define KEEP_IDLE	4
#define SCANNED		64

/*
 * Until @ms have passed: lock and unlock names never used before in
 * lockspace @space, each unlock dropping the least recently used idle lock.
 */
static void __attribute__((noreturn)) churn(const char *space, int ms)
{
	__u64 end = now_ns() + (__u64)ms * 1000000;
	int fd = open_session(), i;
	struct lockdev_lock l;
	char n[64];

	if (fd < 0 || attach_space(fd, space, 0, 0600))
		_exit(2);
	for (i = 0; now_ns() < end; i++) {
		snprintf(n, sizeof(n), "churn%d:%d", (int)getpid(), i);
		if (lock_call(fd, n, X, 0, &l) || unlock_handle(fd, l.handle))
			_exit(3);
	}
	_exit(0);
}

/*
 * The scanner walks the table without a reference to the locks while
 * unlocks in another lockspace drop idle ones: it must never look at the
 * holders of a lock being freed (whose room the RCU callback reuses). A
 * bounded stress: a module without the fix crashes only if the race is
 * hit.
 */
TEST_F_TIMEOUT(ev, scan_vs_trim, 60)
{
	long long dropped = stat_value("idle_dropped");
	int holder = open_session(), i, got = 0;
	pid_t kids[CHURNERS];
	struct lockdev_event e;
	struct lockdev_lock l;
	char space[64], n[64], *saved = read_file(PER_SPACE), keep[16];
	__u64 end;

	ASSERT_NE(NULL, saved);
	ASSERT_LE(0, holder);
	for (i = 0; i < SCANNED; i++) {
		snprintf(n, sizeof(n), "scanned%d:%d", (int)getpid(), i);
		ASSERT_EQ(0, lock_call(holder, n, S, 0, &l));
	}
	snprintf(keep, sizeof(keep), "%d\n", KEEP_IDLE);
	ASSERT_EQ(0, write_str(PER_SPACE, keep));
	ASSERT_EQ(0, lockdev_monitor_thresholds(self->mon, 1, 1, NULL, NULL));
	snprintf(space, sizeof(space), "scan-trim-%d", (int)getpid());
	for (i = 0; i < CHURNERS; i++) {
		kids[i] = fork();
		ASSERT_LE(0, kids[i]);
		if (!kids[i])
			churn(space, CHURN_MS);
	}
	end = now_ns() + 2ULL * CHURN_MS * 1000000;
	while (now_ns() < end)
		if (next_event(self->mon, &e, 100) == 0)
			got++;
	for (i = 0; i < CHURNERS; i++)
		EXPECT_EQ(0, reap(kids[i], WAIT_MS));
	EXPECT_EQ(0, write_str(PER_SPACE, saved));
	free(saved);
	/* The scanner ran meanwhile, and idle locks were dropped. */
	EXPECT_LE(SCANNED, got);
	EXPECT_LT(dropped, stat_value("idle_dropped"));
	TH_LOG("%d events, %lld idle locks dropped", got,
	       stat_value("idle_dropped") - dropped);
	close(holder);
}

TEST_HARNESS_MAIN
