// SPDX-License-Identifier: GPL-2.0
/*
 * Asynchronous locking: LOCKDEV_LOCK_ASYNC, LOCKDEV_IOC_CANCEL, read() and
 * poll() of completions.
 *
 * Other lock owners are child processes ("agents") driven over pipes: each
 * opens its own session and runs the lock calls it is sent. Every wait is
 * bounded (poll timeouts, alarm(), deadlines on the agents' blocking calls)
 * so that a broken module fails a test instead of hanging it; agents die
 * with their test (PR_SET_PDEATHSIG) and are killed by the teardown.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"

#define REC		sizeof(struct lockdev_completion)
#define NAME_LEN	160
#define MAX_AGENTS	4
#define MAX_ENTRIES	16
#define MAX_USED	8
/* How long to watch for something that must not happen. */
#define QUIET_MS	200

/* ---- ioctl wrappers: outputs poisoned, inputs set ---------------------- */

static int lock_req(int fd, const char *name, __u32 mode, __u32 flags,
		    __u64 deadline, __u64 user_data, struct lockdev_lock *lk)
{
	poison(lk, sizeof(*lk));
	lk->name = ptr(name);
	lk->name_len = strlen(name);
	lk->mode = mode;
	lk->flags = flags;
	lk->level = 0;
	lk->deadline_ns = deadline;
	lk->user_data = user_data;
	lk->entries = 0;
	lk->nr_entries = 0;
	return ioctl(fd, LOCKDEV_IOC_LOCK, lk);
}

static int cancel_req(int fd, __u64 handle, __u32 flags, __u32 pad)
{
	struct lockdev_cancel c;

	c.handle = handle;
	c.flags = flags;
	c.pad = pad;
	return ioctl(fd, LOCKDEV_IOC_CANCEL, &c);
}

/* LIST the session's own locks; @h holds MAX_ENTRIES entries. */
static int list_own(int fd, struct lockdev_list *l, struct lockdev_held *h)
{
	poison(l, sizeof(*l));
	poison(h, MAX_ENTRIES * sizeof(*h));
	l->entries = ptr(h);
	l->nr_entries = MAX_ENTRIES;
	l->flags = 0;
	return ioctl(fd, LOCKDEV_IOC_LIST, l);
}

static int set_nonblock(int fd, int on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -1;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* ---- agents: other lock owners in child processes ---------------------- */

enum { AG_LOCK = 1, AG_UNLOCK, AG_EXIT };

struct agent_cmd {
	int op;
	__u32 mode;
	__u32 flags;
	__u32 delay_ms;		/* AG_UNLOCK: sleep first */
	__u32 timeout_ms;	/* AG_LOCK with DEADLINE: deadline from now */
	__u64 user_data;
	char name[NAME_LEN];
};

struct agent_rsp {
	int ret;
	int err;
	__u32 result;
	__u32 pad;
	__u64 handle;
	__u64 generation;
};

struct agent {
	pid_t pid;
	int cmd;	/* write end */
	int rsp;	/* read end */
};

static int write_full(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

static void __attribute__((noreturn)) agent_main(int cmd, int rsp)
{
	struct agent_cmd c;
	struct agent_rsp r;
	struct lockdev_lock lk;
	int fd;

	signal(SIGALRM, SIG_DFL);
	alarm(60);
	memset(&r, 0, sizeof(r));
	fd = open_session();
	r.ret = fd < 0 ? -1 : 0;
	r.err = errno;
	if (write_full(rsp, &r, sizeof(r)) || fd < 0)
		_exit(1);
	while (read(cmd, &c, sizeof(c)) == sizeof(c)) {
		memset(&r, 0, sizeof(r));
		switch (c.op) {
		case AG_LOCK:
			r.ret = lock_req(fd, c.name, c.mode, c.flags,
					 (c.flags & LOCKDEV_LOCK_DEADLINE) ?
					 now_ns() + c.timeout_ms * 1000000ull : 0,
					 c.user_data, &lk);
			r.err = r.ret ? errno : 0;
			r.result = lk.result;
			r.handle = lk.handle;
			r.generation = lk.generation;
			break;
		case AG_UNLOCK:
			if (c.delay_ms)
				usleep(c.delay_ms * 1000);
			r.ret = unlock_name(fd, c.name);
			r.err = r.ret ? errno : 0;
			break;
		case AG_EXIT:
		default:
			_exit(0);
		}
		if (write_full(rsp, &r, sizeof(r)))
			_exit(1);
	}
	_exit(0);
}

/* Start an agent with a session of its own, sharing no session of ours. */
static void agent_start(struct __test_metadata *_metadata, struct agent *a)
{
	pid_t parent = getpid();
	struct agent_rsp r;
	int c[2], p[2], fd;

	ASSERT_EQ(0, pipe(c));
	ASSERT_EQ(0, pipe(p));
	a->pid = fork();
	ASSERT_LE(0, a->pid);
	if (a->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		/* Drop every inherited fd: sessions must not be shared. */
		for (fd = 3; fd < 1024; fd++)
			if (fd != c[0] && fd != p[1])
				close(fd);
		agent_main(c[0], p[1]);
	}
	close(c[0]);
	close(p[1]);
	a->cmd = c[1];
	a->rsp = p[0];
	ASSERT_EQ(1, poll_in(a->rsp, SOON_MS) > 0);
	ASSERT_EQ(sizeof(r), read(a->rsp, &r, sizeof(r)));
	ASSERT_EQ(0, r.ret);
}

static void agent_stop(struct agent *a)
{
	if (a->pid > 0) {
		kill(a->pid, SIGKILL);
		waitpid(a->pid, NULL, 0);
		close(a->cmd);
		close(a->rsp);
	}
	a->pid = 0;
}

static void agent_send(struct __test_metadata *_metadata, struct agent *a,
		       int op, const char *name, __u32 mode, __u32 flags,
		       __u32 ms)
{
	struct agent_cmd c;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.mode = mode;
	c.flags = flags;
	c.delay_ms = ms;
	c.timeout_ms = ms;
	if (name)
		snprintf(c.name, sizeof(c.name), "%s", name);
	ASSERT_EQ(0, write_full(a->cmd, &c, sizeof(c)));
}

/* The answer to the agent's last command, waiting at most @timeout_ms. */
static void agent_recv(struct __test_metadata *_metadata, struct agent *a,
		       struct agent_rsp *r, int timeout_ms)
{
	ASSERT_LT(0, poll_in(a->rsp, timeout_ms)) {
		TH_LOG("agent %d did not answer within %d ms", a->pid, timeout_ms);
	}
	ASSERT_EQ(sizeof(*r), read(a->rsp, r, sizeof(*r)));
}

/* The agent takes @name in @mode at once (NONBLOCK) and must succeed. */
static void agent_hold(struct __test_metadata *_metadata, struct agent *a,
		       const char *name, __u32 mode)
{
	struct agent_rsp r;

	agent_send(_metadata, a, AG_LOCK, name, mode, LOCKDEV_LOCK_NONBLOCK, 0);
	agent_recv(_metadata, a, &r, SOON_MS);
	ASSERT_EQ(0, r.ret) {
		TH_LOG("agent lock %s: errno %d", name, r.err);
	}
}

/* The agent starts a blocking lock (deadline 20 s) and does not wait for it. */
static void agent_lock_blocking(struct __test_metadata *_metadata,
				struct agent *a, const char *name, __u32 mode)
{
	agent_send(_metadata, a, AG_LOCK, name, mode, LOCKDEV_LOCK_DEADLINE, 20000);
}

static void agent_unlock(struct __test_metadata *_metadata, struct agent *a,
			 const char *name)
{
	struct agent_rsp r;

	agent_send(_metadata, a, AG_UNLOCK, name, 0, 0, 0);
	agent_recv(_metadata, a, &r, SOON_MS);
	ASSERT_EQ(0, r.ret) {
		TH_LOG("agent unlock %s: errno %d", name, r.err);
	}
}

/* ---- the fixture ------------------------------------------------------- */

FIXTURE(async) {
	int fd;
	char prefix[96];
	struct agent ag[MAX_AGENTS];
	/* Names the test used, cleaned up by the teardown. */
	char used[MAX_USED][NAME_LEN];
	int nr_used;
};

FIXTURE_SETUP(async)
{
	struct lockdev_version v;

	self->fd = open_session();
	ASSERT_LE(0, self->fd);
	memset(&v, 0, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_VERSION, &v));
	if ((v.features & (LOCKDEV_FEATURE_LOCK | LOCKDEV_FEATURE_ASYNC)) !=
	    (LOCKDEV_FEATURE_LOCK | LOCKDEV_FEATURE_ASYNC))
		/* The 6.1 harness would run the test after a SKIP in setup. */
		SKIP(_exit(255), "the module does not implement asynchronous locking");
	snprintf(self->prefix, sizeof(self->prefix), "async.%s.%d",
		 _metadata->name, getpid());
}

FIXTURE_TEARDOWN(async)
{
	struct lockdev_consistent cs;
	struct lockdev_lock lk;
	int i, fd;

	for (i = 0; i < MAX_AGENTS; i++)
		agent_stop(&self->ag[i]);
	close(self->fd);
	/*
	 * Sessions that went away holding EXCLUSIVE or APPEND (killed agents,
	 * our own session) left their locks owner-died, and such a lock lives
	 * until the module is unloaded: clear them.
	 */
	fd = open_session();
	for (i = 0; fd >= 0 && i < self->nr_used; i++) {
		if (lock_req(fd, self->used[i], LOCKDEV_MODE_EXCLUSIVE,
			     LOCKDEV_LOCK_NONBLOCK, 0, 0, &lk))
			continue;
		if (lk.result & LOCKDEV_RESULT_OWNER_DIED) {
			memset(&cs, 0, sizeof(cs));
			cs.handle = lk.handle;
			ioctl(fd, LOCKDEV_IOC_CONSISTENT, &cs);
		}
		unlock_handle(fd, lk.handle);
	}
	if (fd >= 0)
		close(fd);
}

/* A lock name unique to this test run, cleaned up by the teardown. */
static void mkname(FIXTURE_DATA(async) *self, char *buf, const char *suffix)
{
	snprintf(buf, NAME_LEN, "%s.%s", self->prefix, suffix);
	if (self->nr_used < MAX_USED)
		snprintf(self->used[self->nr_used++], NAME_LEN, "%s.%s",
			 self->prefix, suffix);
}

/* Read exactly one completion, waiting at most SOON_MS for it. */
static void read_one(struct __test_metadata *_metadata, int fd,
		     struct lockdev_completion *c)
{
	struct lockdev_completion buf[4];

	ASSERT_NE(0, poll_in(fd, SOON_MS) & POLLIN);
	poison(buf, sizeof(buf));
	ASSERT_EQ(REC, read(fd, buf, sizeof(buf)));
	*c = buf[0];
}

static void expect_completion(struct __test_metadata *_metadata,
			      const struct lockdev_completion *c,
			      __u64 user_data, __u64 handle, int result)
{
	EXPECT_EQ(user_data, c->user_data);
	EXPECT_EQ(handle, c->handle);
	EXPECT_EQ(result, c->result);
	EXPECT_EQ(0, c->flags & LOCKDEV_RESULT_OWNER_DIED);
}

/* Assert that @fd's session holds @name in @mode, and nobody else does. */
static void expect_sole_holder(struct __test_metadata *_metadata, int fd,
			       const char *name, __u32 mode, __u64 generation)
{
	struct lockdev_entry e[MAX_ENTRIES];
	struct lockdev_query q;

	ASSERT_EQ(0, query(fd, name, &q, e, MAX_ENTRIES));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
	EXPECT_EQ(mode, e[0].mode);
	EXPECT_EQ(getpid(), e[0].pid);
	EXPECT_EQ(generation, q.generation);
	EXPECT_NE(0, q.generation);
}

TEST(struct_layout)
{
	EXPECT_EQ(32, sizeof(struct lockdev_completion));
	EXPECT_EQ(LOCKDEV_CANCEL_SIZE_VER0, sizeof(struct lockdev_cancel));
	EXPECT_EQ(LOCKDEV_CANCEL_SIZE_VER0, _IOC_SIZE(LOCKDEV_IOC_CANCEL));
	EXPECT_EQ(LOCKDEV_LOCK_SIZE_VER1, sizeof(struct lockdev_lock));
}

/* Granted at once: no QUEUED, a handle and a generation, no completion. */
TEST_F(async, granted_at_once)
{
	struct lockdev_held h[MAX_ENTRIES];
	struct lockdev_completion c;
	struct lockdev_list l;
	struct lockdev_lock lk;
	char name[NAME_LEN];

	mkname(self, name, "a");
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 0x1111, &lk));
	EXPECT_EQ(0, lk.result);
	EXPECT_NE(0, lk.handle);
	EXPECT_NE(0xa5a5a5a5a5a5a5a5ull, lk.handle);
	EXPECT_NE(0, lk.generation);
	EXPECT_NE(0xa5a5a5a5a5a5a5a5ull, lk.generation);
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));

	expect_sole_holder(_metadata, self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			   lk.generation);
	ASSERT_EQ(0, list_own(self->fd, &l, h));
	ASSERT_EQ(1, l.nr_entries);
	EXPECT_EQ(lk.handle, h[0].handle);
	EXPECT_EQ(LOCKDEV_STATE_HELD, h[0].state);
	EXPECT_EQ(LOCKDEV_MODE_EXCLUSIVE, h[0].mode);
	EXPECT_EQ(lk.generation, h[0].generation);
	EXPECT_EQ(strlen(name), h[0].name_len);
	EXPECT_EQ(0, memcmp(name, h[0].name, strlen(name)));

	/* Nothing to read either. */
	ASSERT_EQ(0, set_nonblock(self->fd, 1));
	poison(&c, sizeof(c));
	EXPECT_EQ(-1, read(self->fd, &c, sizeof(c)));
	EXPECT_EQ(EAGAIN, errno);

	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));
	EXPECT_EQ(-1, read(self->fd, &c, sizeof(c)));
	EXPECT_EQ(EAGAIN, errno);
}

/* Compatible with another session's holder: granted at once too. */
TEST_F(async, granted_at_once_shared)
{
	struct lockdev_lock lk;
	char name[NAME_LEN];

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_SHARED);
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_SHARED,
			      LOCKDEV_LOCK_ASYNC, 0, 7, &lk));
	EXPECT_EQ(0, lk.result);
	EXPECT_NE(0, lk.handle);
	EXPECT_NE(0, lk.generation);
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));
	EXPECT_EQ(2, count_state(self->fd, name, LOCKDEV_STATE_HELD));
	EXPECT_EQ(0, count_state(self->fd, name, LOCKDEV_STATE_WAITING));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
}

/*
 * Queued: QUEUED and a handle, nothing to poll until the holder unlocks, then
 * one completion that names the request, and the lock is ours.
 */
TEST_F(async, queued_then_granted)
{
	struct lockdev_entry e[MAX_ENTRIES];
	struct lockdev_held h[MAX_ENTRIES];
	struct lockdev_completion c;
	struct lockdev_query q;
	struct lockdev_list l;
	struct lockdev_lock lk;
	char name[NAME_LEN];
	int rev;

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);

	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_SHARED,
			      LOCKDEV_LOCK_ASYNC, 0, 0xfeedface12345678ull, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	EXPECT_NE(0, lk.handle);
	EXPECT_NE(0xa5a5a5a5a5a5a5a5ull, lk.handle);

	/* Queued in the kernel, behind the holder. */
	ASSERT_EQ(0, query(self->fd, name, &q, e, MAX_ENTRIES));
	ASSERT_EQ(2, q.nr_entries);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
	EXPECT_EQ(LOCKDEV_MODE_EXCLUSIVE, e[0].mode);
	EXPECT_EQ(self->ag[0].pid, e[0].pid);
	EXPECT_EQ(LOCKDEV_STATE_WAITING, e[1].state);
	EXPECT_EQ(LOCKDEV_MODE_SHARED, e[1].mode);
	EXPECT_EQ(getpid(), e[1].pid);
	ASSERT_EQ(0, list_own(self->fd, &l, h));
	ASSERT_EQ(1, l.nr_entries);
	EXPECT_EQ(lk.handle, h[0].handle);
	EXPECT_EQ(LOCKDEV_STATE_WAITING, h[0].state);
	EXPECT_EQ(LOCKDEV_MODE_SHARED, h[0].mode);

	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));

	agent_unlock(_metadata, &self->ag[0], name);
	rev = poll_in(self->fd, SOON_MS);
	EXPECT_EQ(POLLIN | POLLRDNORM, rev & (POLLIN | POLLRDNORM));
	EXPECT_EQ(0, rev & (POLLERR | POLLHUP | POLLNVAL));
	read_one(_metadata, self->fd, &c);
	expect_completion(_metadata, &c, 0xfeedface12345678ull, lk.handle, 0);
	EXPECT_NE(0, c.generation);
	EXPECT_EQ(0, poll_in(self->fd, 0));

	/* The lock is held now, under the handle the request had. */
	expect_sole_holder(_metadata, self->fd, name, LOCKDEV_MODE_SHARED,
			   c.generation);
	ASSERT_EQ(0, list_own(self->fd, &l, h));
	ASSERT_EQ(1, l.nr_entries);
	EXPECT_EQ(lk.handle, h[0].handle);
	EXPECT_EQ(LOCKDEV_STATE_HELD, h[0].state);
	EXPECT_EQ(c.generation, h[0].generation);

	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	ASSERT_EQ(0, query(self->fd, name, &q, e, MAX_ENTRIES));
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(c.generation, q.generation);
	EXPECT_EQ(LOCKDEV_QUERY_IDLE, q.lock_flags);
	EXPECT_EQ(0, poll_in(self->fd, 0));
}

/* The same, waited for with epoll. */
TEST_F(async, epoll)
{
	struct epoll_event ev[4];
	struct lockdev_completion c;
	struct lockdev_lock lk;
	char name[NAME_LEN];
	int ep;

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);

	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	memset(ev, 0, sizeof(ev));
	ev[0].events = EPOLLIN;
	ev[0].data.u64 = 0x5151;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, self->fd, &ev[0]));
	EXPECT_EQ(0, epoll_wait(ep, ev, 4, 0));

	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 99, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	EXPECT_EQ(0, epoll_wait(ep, ev, 4, QUIET_MS));

	agent_unlock(_metadata, &self->ag[0], name);
	poison(ev, sizeof(ev));
	ASSERT_EQ(1, epoll_wait(ep, ev, 4, SOON_MS));
	EXPECT_NE(0, ev[0].events & EPOLLIN);
	EXPECT_EQ(0x5151, ev[0].data.u64);

	poison(&c, sizeof(c));
	ASSERT_EQ(REC, read(self->fd, &c, sizeof(c)));
	expect_completion(_metadata, &c, 99, lk.handle, 0);
	EXPECT_NE(0, c.generation);
	EXPECT_EQ(0, epoll_wait(ep, ev, 4, 0));
	expect_sole_holder(_metadata, self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			   c.generation);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	close(ep);
}

/* ASYNC with DEADLINE: -ETIMEDOUT at or after the deadline, nothing held. */
TEST_F(async, deadline_times_out)
{
	struct lockdev_held h[MAX_ENTRIES];
	struct lockdev_completion c;
	struct lockdev_list l;
	struct lockdev_lock lk;
	char name[NAME_LEN];
	__u64 deadline;
	int rev;

	long long timeouts = stat_value("timeouts");

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);

	deadline = now_ns() + 500 * 1000000ull;
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC | LOCKDEV_LOCK_DEADLINE,
			      deadline, 0xdead, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);

	/* Whenever a completion shows, the deadline has passed. */
	rev = poll_in(self->fd, 100);
	if (rev)
		EXPECT_LE(deadline, now_ns());
	rev = poll_in(self->fd, SOON_MS);
	EXPECT_NE(0, rev & POLLIN);
	EXPECT_LE(deadline, now_ns());

	poison(&c, sizeof(c));
	ASSERT_EQ(REC, read(self->fd, &c, sizeof(c)));
	expect_completion(_metadata, &c, 0xdead, lk.handle, -ETIMEDOUT);
	EXPECT_EQ(timeouts + 1, stat_value("timeouts"));

	/* Nothing held, nothing queued. */
	EXPECT_EQ(1, count_state(self->fd, name, LOCKDEV_STATE_HELD));
	EXPECT_EQ(0, count_state(self->fd, name, LOCKDEV_STATE_WAITING));
	ASSERT_EQ(0, list_own(self->fd, &l, h));
	EXPECT_EQ(0, l.nr_entries);
	EXPECT_EQ(-1, unlock_handle(self->fd, lk.handle));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, cancel_req(self->fd, lk.handle, 0, 0));
	EXPECT_EQ(ENOENT, errno);

	/* The holder's release grants nothing to the timed-out request. */
	agent_unlock(_metadata, &self->ag[0], name);
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));
	EXPECT_EQ(0, count_state(self->fd, name, LOCKDEV_STATE_HELD));
}

/*
 * ASYNC with a deadline of 2^63 - 1 or more, which is no deadline: no
 * completion while the lock is held, a grant when it is released.
 */
TEST_F(async, deadline_far_future)
{
	static const __u64 far[] = { UINT64_MAX, 1ull << 63 };
	struct lockdev_completion c;
	struct lockdev_lock lk;
	char name[NAME_LEN];
	unsigned int i;

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	for (i = 0; i < 2; i++) {
		agent_hold(_metadata, &self->ag[0], name,
			   LOCKDEV_MODE_EXCLUSIVE);
		ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_ASYNC | LOCKDEV_LOCK_DEADLINE,
				      far[i], i + 1, &lk));
		EXPECT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
		EXPECT_EQ(0, poll_in(self->fd, 1000)) {
			TH_LOG("deadline %#llx: a completion while held",
			       (unsigned long long)far[i]);
		}
		agent_unlock(_metadata, &self->ag[0], name);
		read_one(_metadata, self->fd, &c);
		expect_completion(_metadata, &c, i + 1, lk.handle, 0);
		EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	}
}

/* CANCEL of a queued request: -ECANCELED, and the queue entry is gone. */
TEST_F(async, cancel_queued)
{
	struct lockdev_held h[MAX_ENTRIES];
	struct lockdev_completion c;
	struct lockdev_list l;
	struct lockdev_lock lk, again;
	char name[NAME_LEN];
	long long cancels = stat_value("cancels");

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 0xca, &lk));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	ASSERT_EQ(0, wait_lock_state(self->fd, name, 1, 1));

	/* A queued request is not held: UNLOCK does not take it away. */
	EXPECT_EQ(-1, unlock_handle(self->fd, lk.handle));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(1, count_state(self->fd, name, LOCKDEV_STATE_WAITING));
	EXPECT_EQ(0, poll_in(self->fd, 0));

	/* Asking again for what the session awaits is EALREADY. */
	EXPECT_EQ(-1, lock_req(self->fd, name, LOCKDEV_MODE_SHARED,
			       LOCKDEV_LOCK_ASYNC, 0, 0xcb, &again));
	EXPECT_EQ(EALREADY, errno);
	ASSERT_EQ(0, list_own(self->fd, &l, h));
	ASSERT_EQ(1, l.nr_entries);
	EXPECT_EQ(lk.handle, h[0].handle);
	EXPECT_EQ(LOCKDEV_MODE_EXCLUSIVE, h[0].mode);
	EXPECT_EQ(LOCKDEV_STATE_WAITING, h[0].state);

	EXPECT_EQ(0, cancel_req(self->fd, lk.handle, 0, 0));
	read_one(_metadata, self->fd, &c);
	expect_completion(_metadata, &c, 0xca, lk.handle, -ECANCELED);
	EXPECT_EQ(cancels + 1, stat_value("cancels"));
	EXPECT_EQ(1, count_state(self->fd, name, LOCKDEV_STATE_HELD));
	EXPECT_EQ(0, count_state(self->fd, name, LOCKDEV_STATE_WAITING));
	ASSERT_EQ(0, list_own(self->fd, &l, h));
	EXPECT_EQ(0, l.nr_entries);

	EXPECT_EQ(-1, cancel_req(self->fd, lk.handle, 0, 0));
	EXPECT_EQ(ENOENT, errno);

	/* The release grants nothing to the cancelled request. */
	agent_unlock(_metadata, &self->ag[0], name);
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));
	EXPECT_EQ(0, count_state(self->fd, name, LOCKDEV_STATE_HELD));
}

/*
 * A queued request whose LOCK fails because its outputs cannot be written
 * is cancelled, and posts no completion: the caller never learned of it.
 */
TEST_F(async, queued_output_unwritable)
{
	size_t in = offsetof(struct lockdev_lock, result);
	long page = sysconf(_SC_PAGESIZE);
	struct lockdev_lock lk, *u;
	char name[NAME_LEN];
	char *map;

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	/* Its inputs end a writable page; its outputs start a read-only one. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	u = (struct lockdev_lock *)(map + page - in);
	memset(u, 0, sizeof(*u));
	u->name = ptr(name);
	u->name_len = strlen(name);
	u->mode = LOCKDEV_MODE_EXCLUSIVE;
	u->flags = LOCKDEV_LOCK_ASYNC;
	u->user_data = 0xfa;
	ASSERT_EQ(0, mprotect(map + page, page, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_LOCK, u));
	EXPECT_EQ(EFAULT, errno);
	munmap(map, 2 * page);

	EXPECT_EQ(0, count_state(self->fd, name, LOCKDEV_STATE_WAITING));
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));
	/* Nor does the release grant it anything. */
	agent_unlock(_metadata, &self->ag[0], name);
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));
	EXPECT_EQ(0, count_state(self->fd, name, LOCKDEV_STATE_HELD));
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, 0, 0, &lk));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
}

/* CANCEL of a handle that names no queued request of this session. */
TEST_F(async, cancel_unknown)
{
	struct lockdev_lock lk, held, other;
	char a[NAME_LEN], b[NAME_LEN], d[NAME_LEN];
	int fd2;

	EXPECT_EQ(-1, cancel_req(self->fd, 0x4000000000001234ull, 0, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, cancel_req(self->fd, 0, 0, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, cancel_req(self->fd, ~0ull, 0, 0));
	EXPECT_EQ(ENOENT, errno);

	/* A grant, synchronous or asynchronous, is not a queued request. */
	mkname(self, a, "a");
	mkname(self, b, "b");
	mkname(self, d, "d");
	ASSERT_EQ(0, lock_req(self->fd, a, LOCKDEV_MODE_EXCLUSIVE, 0, 0, 0, &held));
	EXPECT_EQ(-1, cancel_req(self->fd, held.handle, 0, 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, lock_req(self->fd, b, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 1, &lk));
	ASSERT_EQ(0, lk.result);
	EXPECT_EQ(-1, cancel_req(self->fd, lk.handle, 0, 0));
	EXPECT_EQ(ENOENT, errno);
	/* Both still held, and no completion was made up. */
	EXPECT_EQ(1, count_state(self->fd, a, LOCKDEV_STATE_HELD));
	EXPECT_EQ(1, count_state(self->fd, b, LOCKDEV_STATE_HELD));
	EXPECT_EQ(0, poll_in(self->fd, 0));

	/* Another session's queued request cannot be cancelled from here. */
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], d, LOCKDEV_MODE_EXCLUSIVE);
	fd2 = open_session();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, lock_req(fd2, d, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 2, &other));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, other.result);
	EXPECT_EQ(-1, cancel_req(self->fd, other.handle, 0, 0));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(1, count_state(self->fd, d, LOCKDEV_STATE_WAITING));
	EXPECT_EQ(0, poll_in(fd2, 0));
	EXPECT_EQ(0, cancel_req(fd2, other.handle, 0, 0));
	EXPECT_NE(0, poll_in(fd2, SOON_MS) & POLLIN);
	close(fd2);

	EXPECT_EQ(0, unlock_handle(self->fd, held.handle));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
}

/* CANCEL after the request completed, before and after its record is read. */
TEST_F(async, cancel_completed)
{
	struct lockdev_completion c;
	struct lockdev_lock lk;
	char name[NAME_LEN];

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 0xc0, &lk));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	agent_unlock(_metadata, &self->ag[0], name);
	ASSERT_NE(0, poll_in(self->fd, SOON_MS) & POLLIN);

	/* Completed but not read yet: too late to cancel. */
	EXPECT_EQ(-1, cancel_req(self->fd, lk.handle, 0, 0));
	EXPECT_EQ(ENOENT, errno);
	read_one(_metadata, self->fd, &c);
	expect_completion(_metadata, &c, 0xc0, lk.handle, 0);
	EXPECT_EQ(0, poll_in(self->fd, 0));

	EXPECT_EQ(-1, cancel_req(self->fd, lk.handle, 0, 0));
	EXPECT_EQ(ENOENT, errno);
	expect_sole_holder(_metadata, self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			   c.generation);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
}

/* CANCEL with flags or pad set fails with EINVAL and cancels nothing. */
TEST_F(async, cancel_bad_flags)
{
	struct lockdev_completion c;
	struct lockdev_lock lk;
	char name[NAME_LEN];
	unsigned int bit;

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 0xbad, &lk));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);

	for (bit = 0; bit < 32; bit++) {
		EXPECT_EQ(-1, cancel_req(self->fd, lk.handle, 1u << bit, 0));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(-1, cancel_req(self->fd, lk.handle, 0, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, cancel_req(self->fd, lk.handle, 0, 0x80000000u));
	EXPECT_EQ(EINVAL, errno);
	/* Also for a handle that is not queued: input is checked first. */
	EXPECT_EQ(-1, cancel_req(self->fd, 0x4000000000001234ull, 1, 0));
	EXPECT_EQ(EINVAL, errno);

	/* Still queued, nothing completed. */
	EXPECT_EQ(1, count_state(self->fd, name, LOCKDEV_STATE_WAITING));
	EXPECT_EQ(0, poll_in(self->fd, 0));

	EXPECT_EQ(0, cancel_req(self->fd, lk.handle, 0, 0));
	read_one(_metadata, self->fd, &c);
	expect_completion(_metadata, &c, 0xbad, lk.handle, -ECANCELED);
}

/* Make one completion ready on self->fd (a grant) and return its handle. */
static __u64 one_completion(struct __test_metadata *_metadata,
			    FIXTURE_DATA(async) *self, const char *name,
			    __u64 user_data)
{
	struct lockdev_lock lk;

	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	lk.handle = 0;
	EXPECT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_SHARED,
			      LOCKDEV_LOCK_ASYNC, 0, user_data, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	agent_unlock(_metadata, &self->ag[0], name);
	EXPECT_NE(0, poll_in(self->fd, SOON_MS) & POLLIN);
	return lk.handle;
}

/* read() with a buffer smaller than one record: EINVAL, nothing consumed. */
TEST_F(async, read_small_buffer)
{
	struct lockdev_completion c, before;
	char name[NAME_LEN];
	__u64 handle;

	mkname(self, name, "a");
	handle = one_completion(_metadata, self, name, 0x5a11);

	poison(&c, sizeof(c));
	before = c;
	EXPECT_EQ(-1, read(self->fd, &c, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(self->fd, &c, REC / 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(self->fd, &c, REC - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, memcmp(&c, &before, sizeof(c)));

	/* The completion is still there. */
	EXPECT_NE(0, poll_in(self->fd, 0) & POLLIN);
	ASSERT_EQ(REC, read(self->fd, &c, sizeof(c)));
	expect_completion(_metadata, &c, 0x5a11, handle, 0);
	EXPECT_EQ(0, unlock_handle(self->fd, handle));
}

/* read() of 0 bytes is a buffer smaller than one record too. */
TEST_F(async, read_zero_length)
{
	struct lockdev_completion c;
	char name[NAME_LEN];
	__u64 handle;

	mkname(self, name, "a");
	handle = one_completion(_metadata, self, name, 0x5a12);
	EXPECT_EQ(-1, read(self->fd, &c, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NE(0, poll_in(self->fd, 0) & POLLIN);
	ASSERT_EQ(REC, read(self->fd, &c, sizeof(c)));
	expect_completion(_metadata, &c, 0x5a12, handle, 0);
	EXPECT_EQ(0, unlock_handle(self->fd, handle));
}

/* read() on a non-blocking session with nothing ready: EAGAIN. */
TEST_F(async, read_nonblock_empty)
{
	struct lockdev_completion c[2], before[2];
	struct lockdev_lock lk;
	char name[NAME_LEN], other[NAME_LEN];
	int fd;

	/* Opened non-blocking, never used. */
	fd = open(LOCKDEV_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, fd);
	poison(c, sizeof(c));
	memcpy(before, c, sizeof(c));
	EXPECT_EQ(-1, read(fd, c, sizeof(c)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, memcmp(c, before, sizeof(c)));
	close(fd);

	/* Made non-blocking with fcntl, with a grant and a queued request. */
	ASSERT_EQ(0, set_nonblock(self->fd, 1));
	EXPECT_EQ(-1, read(self->fd, c, sizeof(c)));
	EXPECT_EQ(EAGAIN, errno);
	mkname(self, name, "a");
	mkname(self, other, "b");
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 1, &lk));
	EXPECT_EQ(0, lk.result);
	EXPECT_EQ(-1, read(self->fd, c, sizeof(c)));
	EXPECT_EQ(EAGAIN, errno);

	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], other, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lock_req(self->fd, other, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 2, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	EXPECT_EQ(-1, read(self->fd, c, sizeof(c)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, memcmp(c, before, sizeof(c)));
}

/* A blocking read() sleeps until another process's unlock grants the request. */
TEST_F(async, blocking_read_wakes)
{
	struct lockdev_completion c[4];
	struct agent_rsp r;
	struct lockdev_lock lk;
	char name[NAME_LEN];
	ssize_t n;
	int err;

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 0xb10c, &lk));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);

	/* The agent unlocks 300 ms from now, while we sleep in read(). */
	agent_send(_metadata, &self->ag[0], AG_UNLOCK, name, 0, 0, 300);
	poison(c, sizeof(c));
	arm_alarm(10);
	n = read(self->fd, c, sizeof(c));
	err = errno;
	alarm(0);
	ASSERT_EQ(REC, n) {
		TH_LOG("read: %zd, errno %d", n, err);
	}
	expect_completion(_metadata, &c[0], 0xb10c, lk.handle, 0);
	agent_recv(_metadata, &self->ag[0], &r, SOON_MS);
	EXPECT_EQ(0, r.ret);
	expect_sole_holder(_metadata, self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			   c[0].generation);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
}

/* A blocking read() also wakes for a deadline that passes. */
TEST_F(async, blocking_read_wakes_on_timeout)
{
	struct lockdev_completion c[4];
	struct lockdev_lock lk;
	char name[NAME_LEN];
	__u64 deadline;
	ssize_t n;
	int err;

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	deadline = now_ns() + 300 * 1000000ull;
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_SHARED,
			      LOCKDEV_LOCK_ASYNC | LOCKDEV_LOCK_DEADLINE,
			      deadline, 0x71, &lk));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	poison(c, sizeof(c));
	arm_alarm(10);
	n = read(self->fd, c, sizeof(c));
	err = errno;
	alarm(0);
	ASSERT_EQ(REC, n) {
		TH_LOG("read: %zd, errno %d", n, err);
	}
	EXPECT_LE(deadline, now_ns());
	expect_completion(_metadata, &c[0], 0x71, lk.handle, -ETIMEDOUT);
}

/* Several completions: whole records, as many as fit, oldest first. */
TEST_F(async, several_completions)
{
	struct lockdev_completion c[5];
	struct lockdev_lock lk[4];
	char name[4][NAME_LEN];
	char sfx[2] = "0";
	int i;

	agent_start(_metadata, &self->ag[0]);
	for (i = 0; i < 4; i++) {
		sfx[0] = '1' + i;
		mkname(self, name[i], sfx);
		agent_hold(_metadata, &self->ag[0], name[i], LOCKDEV_MODE_EXCLUSIVE);
		ASSERT_EQ(0, lock_req(self->fd, name[i], LOCKDEV_MODE_SHARED,
				      LOCKDEV_LOCK_ASYNC, 0, 100 + i, &lk[i]));
		ASSERT_EQ(LOCKDEV_RESULT_QUEUED, lk[i].result);
	}
	for (i = 0; i < 4; i++)
		EXPECT_NE(lk[i].handle, lk[(i + 1) % 4].handle);

	/* Completions in the order 0 (grant), 2 and 1 (cancels), 3 (grant). */
	agent_unlock(_metadata, &self->ag[0], name[0]);
	ASSERT_EQ(0, wait_lock_state(self->fd, name[0], 1, 0));
	EXPECT_EQ(0, cancel_req(self->fd, lk[2].handle, 0, 0));
	EXPECT_EQ(0, cancel_req(self->fd, lk[1].handle, 0, 0));
	agent_unlock(_metadata, &self->ag[0], name[3]);
	ASSERT_EQ(0, wait_lock_state(self->fd, name[3], 1, 0));

	/* Room for two and a half: two whole records. */
	poison(c, sizeof(c));
	ASSERT_EQ(2 * REC, read(self->fd, c, 2 * REC + REC / 2));
	expect_completion(_metadata, &c[0], 100, lk[0].handle, 0);
	expect_completion(_metadata, &c[1], 102, lk[2].handle, -ECANCELED);
	/* The half record's room is not written. */
	EXPECT_EQ(POISON, ((unsigned char *)&c[2])[0]);

	/* Room for five, two ready: two, without waiting for more. */
	poison(c, sizeof(c));
	arm_alarm(10);
	ASSERT_EQ(2 * REC, read(self->fd, c, sizeof(c)));
	alarm(0);
	expect_completion(_metadata, &c[0], 101, lk[1].handle, -ECANCELED);
	expect_completion(_metadata, &c[1], 103, lk[3].handle, 0);
	EXPECT_EQ(POISON, ((unsigned char *)&c[2])[0]);

	EXPECT_EQ(0, poll_in(self->fd, 0));
	ASSERT_EQ(0, set_nonblock(self->fd, 1));
	EXPECT_EQ(-1, read(self->fd, c, sizeof(c)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, unlock_handle(self->fd, lk[0].handle));
	EXPECT_EQ(0, unlock_handle(self->fd, lk[3].handle));
}

/* Closing a session removes its queued requests. */
TEST_F(async, close_removes_queued)
{
	struct lockdev_completion c;
	struct lockdev_lock lk;
	char name[NAME_LEN];
	long long cancels = stat_value("cancels"), waiters = stat_value("waiters");
	int fd2;

	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	fd2 = open_session();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, lock_req(fd2, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_ASYNC, 0, 1, &lk));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	ASSERT_EQ(0, wait_lock_state(self->fd, name, 1, 1));
	EXPECT_EQ(waiters + 1, stat_value("waiters"));
	close(fd2);
	EXPECT_EQ(0, wait_lock_state(self->fd, name, 1, 0));
	EXPECT_EQ(cancels + 1, stat_value("cancels"));
	EXPECT_EQ(waiters, stat_value("waiters"));

	/* Our later request is not behind the closed session's EXCLUSIVE. */
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_SHARED,
			      LOCKDEV_LOCK_ASYNC, 0, 2, &lk));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	agent_unlock(_metadata, &self->ag[0], name);
	read_one(_metadata, self->fd, &c);
	expect_completion(_metadata, &c, 2, lk.handle, 0);
	expect_sole_holder(_metadata, self->fd, name, LOCKDEV_MODE_SHARED,
			   c.generation);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
}

/* kill -9 of a process with queued requests removes them too. */
TEST_F(async, kill_removes_queued)
{
	struct lockdev_completion c;
	struct lockdev_lock lk, lk2;
	struct agent_rsp r;
	char a[NAME_LEN], b[NAME_LEN], d[NAME_LEN];
	struct agent *holder = &self->ag[0], *victim = &self->ag[1];
	long long cancels = stat_value("cancels"), waiters = stat_value("waiters");
	int status;

	mkname(self, a, "a");
	mkname(self, b, "b");
	mkname(self, d, "d");
	agent_start(_metadata, holder);
	agent_start(_metadata, victim);
	agent_hold(_metadata, holder, a, LOCKDEV_MODE_EXCLUSIVE);
	agent_hold(_metadata, holder, b, LOCKDEV_MODE_EXCLUSIVE);
	agent_hold(_metadata, holder, d, LOCKDEV_MODE_EXCLUSIVE);

	/* Two asynchronous requests and one blocked call. */
	agent_send(_metadata, victim, AG_LOCK, a, LOCKDEV_MODE_EXCLUSIVE,
		   LOCKDEV_LOCK_ASYNC, 0);
	agent_recv(_metadata, victim, &r, SOON_MS);
	ASSERT_EQ(0, r.ret);
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, r.result);
	agent_send(_metadata, victim, AG_LOCK, b, LOCKDEV_MODE_SHARED,
		   LOCKDEV_LOCK_ASYNC, 0);
	agent_recv(_metadata, victim, &r, SOON_MS);
	ASSERT_EQ(0, r.ret);
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, r.result);
	agent_lock_blocking(_metadata, victim, d, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, wait_lock_state(self->fd, a, 1, 1));
	ASSERT_EQ(0, wait_lock_state(self->fd, b, 1, 1));
	ASSERT_EQ(0, wait_lock_state(self->fd, d, 1, 1));
	EXPECT_EQ(waiters + 3, stat_value("waiters"));

	ASSERT_EQ(0, kill(victim->pid, SIGKILL));
	ASSERT_EQ(victim->pid, waitpid(victim->pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	close(victim->cmd);
	close(victim->rsp);
	victim->pid = 0;
	EXPECT_EQ(0, wait_lock_state(self->fd, a, 1, 0));
	EXPECT_EQ(0, wait_lock_state(self->fd, b, 1, 0));
	EXPECT_EQ(0, wait_lock_state(self->fd, d, 1, 0));
	/* Each request counted once, however it ended. */
	EXPECT_EQ(cancels + 3, stat_value("cancels"));
	EXPECT_EQ(waiters, stat_value("waiters"));

	/* Later requests are not blocked by what the dead process queued. */
	ASSERT_EQ(0, lock_req(self->fd, a, LOCKDEV_MODE_SHARED,
			      LOCKDEV_LOCK_ASYNC, 0, 3, &lk));
	ASSERT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	agent_unlock(_metadata, holder, a);
	read_one(_metadata, self->fd, &c);
	expect_completion(_metadata, &c, 3, lk.handle, 0);
	agent_unlock(_metadata, holder, b);
	agent_unlock(_metadata, holder, d);
	EXPECT_EQ(0, lock_req(self->fd, b, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, 0, 0, &lk2));
	EXPECT_EQ(0, lk2.result);
	EXPECT_EQ(0, lock_req(self->fd, d, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_NONBLOCK, 0, 0, &lk2));
	EXPECT_EQ(0, lk2.result);
}

/*
 * Grant policy: a SHARED request compatible with the SHARED holder still
 * queues behind a waiting EXCLUSIVE, and is granted after it.
 */
TEST_F(async, queued_behind_waiting_exclusive)
{
	struct lockdev_entry e[MAX_ENTRIES];
	struct lockdev_completion c;
	struct lockdev_query q;
	struct lockdev_lock lk;
	struct agent_rsp r;
	char name[NAME_LEN];
	struct agent *reader = &self->ag[0], *writer = &self->ag[1];

	mkname(self, name, "a");
	agent_start(_metadata, reader);
	agent_start(_metadata, writer);
	agent_hold(_metadata, reader, name, LOCKDEV_MODE_SHARED);
	agent_lock_blocking(_metadata, writer, name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, wait_lock_state(self->fd, name, 1, 1));

	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_SHARED,
			      LOCKDEV_LOCK_ASYNC, 0, 0xe1, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
	ASSERT_EQ(0, query(self->fd, name, &q, e, MAX_ENTRIES));
	ASSERT_EQ(3, q.nr_entries);
	EXPECT_EQ(reader->pid, e[0].pid);
	EXPECT_EQ(LOCKDEV_STATE_HELD, e[0].state);
	EXPECT_EQ(writer->pid, e[1].pid);
	EXPECT_EQ(LOCKDEV_STATE_WAITING, e[1].state);
	EXPECT_EQ(LOCKDEV_MODE_EXCLUSIVE, e[1].mode);
	EXPECT_EQ(getpid(), e[2].pid);
	EXPECT_EQ(LOCKDEV_STATE_WAITING, e[2].state);
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));

	/* The reader leaves: the writer goes first, we still wait. */
	agent_unlock(_metadata, reader, name);
	agent_recv(_metadata, writer, &r, SOON_MS);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(0, r.result & LOCKDEV_RESULT_QUEUED);
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));
	EXPECT_EQ(1, count_state(self->fd, name, LOCKDEV_STATE_WAITING));

	agent_unlock(_metadata, writer, name);
	read_one(_metadata, self->fd, &c);
	expect_completion(_metadata, &c, 0xe1, lk.handle, 0);
	expect_sole_holder(_metadata, self->fd, name, LOCKDEV_MODE_SHARED,
			   c.generation);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
}

/* A waiting APPEND does not block readers: granted at once. */
TEST_F(async, not_queued_behind_waiting_append)
{
	struct lockdev_lock lk;
	struct agent_rsp r;
	char name[NAME_LEN];
	struct agent *appender = &self->ag[0], *waiter = &self->ag[1];

	mkname(self, name, "a");
	agent_start(_metadata, appender);
	agent_start(_metadata, waiter);
	agent_hold(_metadata, appender, name, LOCKDEV_MODE_APPEND);
	agent_lock_blocking(_metadata, waiter, name, LOCKDEV_MODE_APPEND);
	ASSERT_EQ(0, wait_lock_state(self->fd, name, 1, 1));

	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_SHARED,
			      LOCKDEV_LOCK_ASYNC, 0, 0xe2, &lk));
	EXPECT_EQ(0, lk.result);
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));
	EXPECT_EQ(2, count_state(self->fd, name, LOCKDEV_STATE_HELD));
	EXPECT_EQ(1, count_state(self->fd, name, LOCKDEV_STATE_WAITING));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));

	agent_unlock(_metadata, appender, name);
	agent_recv(_metadata, waiter, &r, SOON_MS);
	EXPECT_EQ(0, r.ret);
}

/* ASYNC cannot be combined with NONBLOCK; nothing is queued or held. */
TEST_F(async, async_nonblock_einval)
{
	struct lockdev_lock lk;
	char name[NAME_LEN];

	mkname(self, name, "a");
	EXPECT_EQ(-1, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			       LOCKDEV_LOCK_ASYNC | LOCKDEV_LOCK_NONBLOCK, 0, 1, &lk));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, count_state(self->fd, name, LOCKDEV_STATE_HELD));
	EXPECT_EQ(0, poll_in(self->fd, 0));
}

/*
 * Two threads of one session ask at once for a lock another session holds:
 * one request is queued, the other is EALREADY. The first one's LOCK drops
 * the lock's spinlock to take the graph mutex, and the module must look
 * again for the session's request once it has both. A race, tried for
 * RACE_ROUNDS rounds or RACE_MS, whichever ends first: it can only catch
 * the bug by chance.
 */
#define RACE_ROUNDS	2000
#define RACE_MS		3000

struct racer {
	pthread_barrier_t *go;
	int fd;
	const char *name;
	int rounds;
	struct lockdev_lock lk[RACE_ROUNDS];
	int ret[RACE_ROUNDS];
	int err[RACE_ROUNDS];
	volatile int *stop;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	int i;

	for (i = 0; i < RACE_ROUNDS; i++) {
		pthread_barrier_wait(r->go);
		if (*r->stop)
			break;
		r->ret[i] = lock_req(r->fd, r->name, LOCKDEV_MODE_SHARED,
				     LOCKDEV_LOCK_ASYNC, 0, i, &r->lk[i]);
		r->err[i] = errno;
		r->rounds = i + 1;
		pthread_barrier_wait(r->go);
	}
	return NULL;
}

TEST_F(async, racing_threads_one_request)
{
	pthread_barrier_t go;
	struct racer *r = calloc(2, sizeof(*r));
	__u64 end = now_ns() + RACE_MS * 1000000ull;
	volatile int stop = 0;
	struct lockdev_completion c;
	char name[NAME_LEN];
	pthread_t t[2];
	int i, k, queued, already, bad = 0;

	ASSERT_NE(NULL, r);
	mkname(self, name, "a");
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, pthread_barrier_init(&go, NULL, 3));
	for (k = 0; k < 2; k++) {
		r[k].go = &go;
		r[k].fd = self->fd;
		r[k].name = name;
		r[k].stop = &stop;
		ASSERT_EQ(0, pthread_create(&t[k], NULL, racer_main, &r[k]));
	}
	for (i = 0; i < RACE_ROUNDS; i++) {
		if (now_ns() > end || bad)
			stop = 1;
		pthread_barrier_wait(&go);
		if (stop)
			break;
		pthread_barrier_wait(&go);
		queued = already = 0;
		for (k = 0; k < 2; k++) {
			if (!r[k].ret[i] &&
			    r[k].lk[i].result == LOCKDEV_RESULT_QUEUED) {
				queued++;
				EXPECT_EQ(0, cancel_req(self->fd,
							r[k].lk[i].handle,
							0, 0));
				read_one(_metadata, self->fd, &c);
				EXPECT_EQ(-ECANCELED, c.result);
			} else if (r[k].ret[i] == -1 &&
				   r[k].err[i] == EALREADY) {
				already++;
			}
		}
		if (queued != 1 || already != 1) {
			TH_LOG("round %d: %d queued, %d EALREADY", i, queued,
			       already);
			bad = 1;
		}
	}
	for (k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	pthread_barrier_destroy(&go);
	TH_LOG("%d rounds", r[0].rounds);
	EXPECT_EQ(0, bad);
	EXPECT_LT(0, r[0].rounds);
	free(r);
}

TEST_HARNESS_MAIN
