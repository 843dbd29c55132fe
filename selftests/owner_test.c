// SPDX-License-Identifier: GPL-2.0
/*
 * Owner death and generation: a session that goes away holding APPEND or
 * EXCLUSIVE marks the lock owner-died, every later grant reports
 * LOCKDEV_RESULT_OWNER_DIED until an EXCLUSIVE holder calls
 * LOCKDEV_IOC_CONSISTENT; the 64-bit generation changes on every release or
 * downgrade from APPEND or EXCLUSIVE and is never reused for a new lock.
 *
 * Other lock owners are child processes ("agents") driven over pipes, each
 * with a session of its own. Every wait is bounded, so that a broken module
 * fails a test instead of hanging it; agents die with their test
 * (PR_SET_PDEATHSIG) and are killed by the teardown, which also clears the
 * owner-died marks the test left.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"

#define NAME_LEN	160
#define MAX_AGENTS	4
#define MAX_ENTRIES	16
#define MAX_MARKED	12
/* How long to watch for something that must not happen. */
#define QUIET_MS	200
#define POISON64	0xa5a5a5a5a5a5a5a5ull

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

/* Take @name at once (NONBLOCK). */
static int lock_now(int fd, const char *name, __u32 mode,
		    struct lockdev_lock *lk)
{
	return lock_req(fd, name, mode, LOCKDEV_LOCK_NONBLOCK, 0, 0, lk);
}

/* CONSISTENT by @handle, or by @name when @handle is 0. */
static int consistent(int fd, __u64 handle, const char *name, __u32 flags)
{
	struct lockdev_consistent c;

	memset(&c, 0, sizeof(c));
	c.handle = handle;
	if (name) {
		c.name = ptr(name);
		c.name_len = strlen(name);
	}
	c.flags = flags;
	return ioctl(fd, LOCKDEV_IOC_CONSISTENT, &c);
}

static int convert(int fd, __u64 handle, __u32 mode, struct lockdev_convert *cv)
{
	poison(cv, sizeof(*cv));
	cv->handle = handle;
	cv->name = 0;
	cv->name_len = 0;
	cv->mode = mode;
	cv->flags = 0;
	cv->deadline_ns = 0;
	return ioctl(fd, LOCKDEV_IOC_CONVERT, cv);
}

static int cancel_req(int fd, __u64 handle)
{
	struct lockdev_cancel c;

	memset(&c, 0, sizeof(c));
	c.handle = handle;
	return ioctl(fd, LOCKDEV_IOC_CANCEL, &c);
}

/* ---- agents: other lock owners in child processes ---------------------- */

enum { AG_LOCK = 1, AG_UNLOCK, AG_CONVERT, AG_EXIT };

struct agent_cmd {
	int op;
	__u32 mode;
	__u32 flags;
	__u32 timeout_ms;	/* AG_LOCK with DEADLINE: deadline from now */
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
	struct lockdev_convert cv;
	struct lockdev_lock lk;
	struct agent_cmd c;
	struct agent_rsp r;
	__u64 handle = 0;
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
					 0, &lk);
			r.err = r.ret ? errno : 0;
			r.result = lk.result;
			r.handle = lk.handle;
			r.generation = lk.generation;
			if (!r.ret)
				handle = lk.handle;
			break;
		case AG_UNLOCK:
			r.ret = unlock_name(fd, c.name);
			r.err = r.ret ? errno : 0;
			break;
		case AG_CONVERT:
			/* The lock this agent took last. */
			r.ret = convert(fd, handle, c.mode, &cv);
			r.err = r.ret ? errno : 0;
			r.result = cv.result;
			r.generation = cv.generation;
			break;
		case AG_EXIT:
		default:
			/* Exit holding whatever is held. */
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
	ASSERT_LT(0, poll_in(a->rsp, SOON_MS));
	ASSERT_EQ(sizeof(r), read(a->rsp, &r, sizeof(r)));
	ASSERT_EQ(0, r.ret);
}

static void agent_reap(struct agent *a)
{
	if (a->pid > 0) {
		waitpid(a->pid, NULL, 0);
		close(a->cmd);
		close(a->rsp);
	}
	a->pid = 0;
}

static void agent_stop(struct agent *a)
{
	if (a->pid > 0)
		kill(a->pid, SIGKILL);
	agent_reap(a);
}

/* kill -9 the agent and wait until it is gone. */
static void agent_kill(struct __test_metadata *_metadata, struct agent *a)
{
	int status;

	ASSERT_LT(0, a->pid);
	ASSERT_EQ(0, kill(a->pid, SIGKILL));
	ASSERT_EQ(a->pid, waitpid(a->pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	close(a->cmd);
	close(a->rsp);
	a->pid = 0;
}

static void agent_send(struct __test_metadata *_metadata, struct agent *a,
		       int op, const char *name, __u32 mode, __u32 flags,
		       __u32 timeout_ms)
{
	struct agent_cmd c;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.mode = mode;
	c.flags = flags;
	c.timeout_ms = timeout_ms;
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

/* The agent takes @name in @mode at once; its grant is in @r. */
static void agent_hold(struct __test_metadata *_metadata, struct agent *a,
		       const char *name, __u32 mode, struct agent_rsp *r)
{
	agent_send(_metadata, a, AG_LOCK, name, mode, LOCKDEV_LOCK_NONBLOCK, 0);
	agent_recv(_metadata, a, r, SOON_MS);
	ASSERT_EQ(0, r->ret) {
		TH_LOG("agent lock %s: errno %d", name, r->err);
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

FIXTURE(owner) {
	int fd;
	__u64 features;
	char prefix[96];
	struct agent ag[MAX_AGENTS];
	/* Locks that may be left owner-died, cleared by the teardown. */
	char marked[MAX_MARKED][NAME_LEN];
	int nr_marked;
};

FIXTURE_SETUP(owner)
{
	struct lockdev_version v;

	self->fd = open_session();
	ASSERT_LE(0, self->fd);
	memset(&v, 0, sizeof(v));
	ASSERT_EQ(0, ioctl(self->fd, LOCKDEV_IOC_VERSION, &v));
	self->features = v.features;
	if ((v.features & (LOCKDEV_FEATURE_LOCK | LOCKDEV_FEATURE_OWNER_DIED)) !=
	    (LOCKDEV_FEATURE_LOCK | LOCKDEV_FEATURE_OWNER_DIED))
		/* The 6.1 harness would run the test after a SKIP in setup. */
		SKIP(_exit(255), "the module does not implement owner-died");
	snprintf(self->prefix, sizeof(self->prefix), "owner.%s.%d",
		 _metadata->name, getpid());
}

FIXTURE_TEARDOWN(owner)
{
	struct lockdev_lock lk;
	int i, fd;

	for (i = 0; i < MAX_AGENTS; i++)
		agent_stop(&self->ag[i]);
	close(self->fd);
	/*
	 * Leave no owner-died lock behind: such a lock lives until the module
	 * is unloaded, and a failed test may leave one on any name it used.
	 */
	fd = open_session();
	for (i = 0; fd >= 0 && i < self->nr_marked; i++) {
		if (lock_now(fd, self->marked[i], LOCKDEV_MODE_EXCLUSIVE, &lk))
			continue;
		if (lk.result & LOCKDEV_RESULT_OWNER_DIED)
			consistent(fd, lk.handle, NULL, 0);
		unlock_handle(fd, lk.handle);
	}
	if (fd >= 0)
		close(fd);
}

/* Have the teardown clear owner-died on @name, whatever the test did. */
static void mark(FIXTURE_DATA(owner) *self, const char *name)
{
	int i;

	for (i = 0; i < self->nr_marked; i++)
		if (!strcmp(self->marked[i], name))
			return;
	if (self->nr_marked < MAX_MARKED)
		snprintf(self->marked[self->nr_marked++], NAME_LEN, "%s", name);
}

/* A lock name unique to this test run, cleaned up by the teardown. */
static void mkname(FIXTURE_DATA(owner) *self, char *buf, const char *suffix)
{
	snprintf(buf, NAME_LEN, "%s.%s", self->prefix, suffix);
	mark(self, buf);
}

/*
 * An agent takes @name in @mode and is killed with SIGKILL; wait until its
 * session is gone. Returns the generation the agent's grant had.
 */
static __u64 holder_killed(struct __test_metadata *_metadata,
			   FIXTURE_DATA(owner) *self, struct agent *a,
			   const char *name, __u32 mode)
{
	struct agent_rsp r;

	mark(self, name);
	agent_start(_metadata, a);
	agent_hold(_metadata, a, name, mode, &r);
	EXPECT_EQ(0, r.result);
	EXPECT_NE(0, r.generation);
	agent_kill(_metadata, a);
	EXPECT_EQ(0, wait_lock_state(self->fd, name, 0, 0));
	return r.generation;
}

/* QUERY @name: the lock exists, has no holder and is marked owner-died. */
static __u64 expect_owner_died(struct __test_metadata *_metadata, int fd,
			       const char *name)
{
	struct lockdev_entry e[MAX_ENTRIES];
	struct lockdev_query q;

	EXPECT_EQ(0, query(fd, name, &q, e, MAX_ENTRIES));
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED | LOCKDEV_QUERY_IDLE,
		  q.lock_flags);
	EXPECT_NE(0, q.generation);
	EXPECT_NE(POISON64, q.generation);
	return q.generation;
}

/* QUERY @name: the lock does not exist (nothing held, nothing marked). */
static void expect_gone(struct __test_metadata *_metadata, int fd,
			const char *name)
{
	struct lockdev_entry e[MAX_ENTRIES];
	struct lockdev_query q;

	EXPECT_EQ(0, query(fd, name, &q, e, MAX_ENTRIES));
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(0, q.lock_flags);
	EXPECT_EQ(0, q.generation);
}

/* QUERY @name: the lock exists, idle: nothing held, nothing marked. */
static void expect_idle(struct __test_metadata *_metadata, int fd,
			const char *name)
{
	struct lockdev_entry e[MAX_ENTRIES];
	struct lockdev_query q;

	EXPECT_EQ(0, query(fd, name, &q, e, MAX_ENTRIES));
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(LOCKDEV_QUERY_IDLE, q.lock_flags);
	EXPECT_NE(0, q.generation);
	EXPECT_NE(POISON64, q.generation);
}

/*
 * QUERY @name: nothing held, nothing marked; idle, or gone with the default
 * lockspace when the session that went was the last one in it.
 */
static void expect_unmarked(struct __test_metadata *_metadata, int fd,
			    const char *name)
{
	struct lockdev_entry e[MAX_ENTRIES];
	struct lockdev_query q;

	EXPECT_EQ(0, query(fd, name, &q, e, MAX_ENTRIES));
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(q.generation ? LOCKDEV_QUERY_IDLE : 0, q.lock_flags);
	EXPECT_NE(POISON64, q.generation);
}

static __u64 query_generation(int fd, const char *name)
{
	struct lockdev_entry e[MAX_ENTRIES];
	struct lockdev_query q;

	if (query(fd, name, &q, e, MAX_ENTRIES))
		return POISON64;
	return q.generation;
}

static __u32 query_flags(int fd, const char *name)
{
	struct lockdev_entry e[MAX_ENTRIES];
	struct lockdev_query q;

	if (query(fd, name, &q, e, MAX_ENTRIES))
		return ~0u;
	return q.lock_flags;
}

/*
 * The full cycle after the death of a holder in @mode: every grant, in any
 * mode and to any session, reports owner-died until CONSISTENT.
 */
static void owner_died_cycle(struct __test_metadata *_metadata,
			     FIXTURE_DATA(owner) *self, __u32 mode)
{
	long long deaths = stat_value("owner_deaths");
	struct lockdev_lock lk;
	struct agent_rsp r;
	char name[NAME_LEN];
	__u64 dead_gen, gen;

	ASSERT_LE(0, deaths) {
		TH_LOG("no owner_deaths in " STATS);
	}
	mkname(self, name, "a");
	dead_gen = holder_killed(_metadata, self, &self->ag[0], name, mode);

	/* The lock outlives its holder, marked, with a new generation. */
	gen = expect_owner_died(_metadata, self->fd, name);
	EXPECT_NE(dead_gen, gen);
	EXPECT_EQ(deaths + 1, stat_value("owner_deaths"));

	/* The next grant reports it. */
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_EXCLUSIVE, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, lk.result);
	EXPECT_EQ(gen, lk.generation);
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED, query_flags(self->fd, name));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	/* Unlocking without CONSISTENT leaves it marked. */
	expect_owner_died(_metadata, self->fd, name);

	/* And every later grant, in every mode, to every session. */
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_SHARED, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, lk.result);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	agent_start(_metadata, &self->ag[1]);
	agent_hold(_metadata, &self->ag[1], name, LOCKDEV_MODE_SHARED, &r);
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, r.result);
	agent_unlock(_metadata, &self->ag[1], name);
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_APPEND, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, lk.result);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	expect_owner_died(_metadata, self->fd, name);

	/* So does a call allowed to wait. */
	ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
			      LOCKDEV_LOCK_DEADLINE,
			      now_ns() + SOON_MS * 1000000ull, 0, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, lk.result);

	/* CONSISTENT by the EXCLUSIVE holder clears it. */
	EXPECT_EQ(0, consistent(self->fd, lk.handle, NULL, 0));
	EXPECT_EQ(0, query_flags(self->fd, name));
	EXPECT_EQ(1, count_state(self->fd, name, LOCKDEV_STATE_HELD));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	expect_idle(_metadata, self->fd, name);

	/* Later grants no longer report it. */
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_EXCLUSIVE, &lk));
	EXPECT_EQ(0, lk.result);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	agent_hold(_metadata, &self->ag[1], name, LOCKDEV_MODE_APPEND, &r);
	EXPECT_EQ(0, r.result);
	agent_unlock(_metadata, &self->ag[1], name);
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_SHARED, &lk));
	EXPECT_EQ(0, lk.result);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	expect_idle(_metadata, self->fd, name);
	EXPECT_EQ(deaths + 1, stat_value("owner_deaths"));
}

TEST_F(owner, exclusive_holder_killed)
{
	owner_died_cycle(_metadata, self, LOCKDEV_MODE_EXCLUSIVE);
}

TEST_F(owner, append_holder_killed)
{
	owner_died_cycle(_metadata, self, LOCKDEV_MODE_APPEND);
}

/* Going away by exit() or close() is owner death as well as kill -9. */
TEST_F(owner, exit_and_close_are_deaths)
{
	long long deaths = stat_value("owner_deaths");
	struct lockdev_lock lk;
	struct agent_rsp r;
	char a[NAME_LEN], b[NAME_LEN];
	int fd2, status;

	mkname(self, a, "a");
	mkname(self, b, "b");
	mark(self, a);
	mark(self, b);

	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], a, LOCKDEV_MODE_EXCLUSIVE, &r);
	agent_send(_metadata, &self->ag[0], AG_EXIT, NULL, 0, 0, 0);
	ASSERT_EQ(self->ag[0].pid, waitpid(self->ag[0].pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	close(self->ag[0].cmd);
	close(self->ag[0].rsp);
	self->ag[0].pid = 0;
	EXPECT_EQ(0, wait_lock_state(self->fd, a, 0, 0));
	expect_owner_died(_metadata, self->fd, a);

	fd2 = open_session();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, lock_now(fd2, b, LOCKDEV_MODE_APPEND, &lk));
	EXPECT_EQ(0, lk.result);
	close(fd2);
	EXPECT_EQ(0, wait_lock_state(self->fd, b, 0, 0));
	expect_owner_died(_metadata, self->fd, b);
	EXPECT_EQ(deaths + 2, stat_value("owner_deaths"));

	ASSERT_EQ(0, lock_now(self->fd, b, LOCKDEV_MODE_SHARED, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, lk.result);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
}

/* CONSISTENT may name the lock instead of the handle. */
TEST_F(owner, consistent_by_name)
{
	struct lockdev_lock lk;
	char name[NAME_LEN];

	mkname(self, name, "a");
	holder_killed(_metadata, self, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_EXCLUSIVE, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, lk.result);
	EXPECT_EQ(0, consistent(self->fd, 0, name, 0));
	EXPECT_EQ(0, query_flags(self->fd, name));
	EXPECT_EQ(0, unlock_name(self->fd, name));
	expect_idle(_metadata, self->fd, name);
}

/* CONSISTENT by a SHARED or APPEND holder: EPERM, the mark stays. */
TEST_F(owner, consistent_not_exclusive)
{
	struct lockdev_lock lk, lk2;
	char name[NAME_LEN];
	int fd2;

	mkname(self, name, "a");
	holder_killed(_metadata, self, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);

	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_SHARED, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, lk.result);
	EXPECT_EQ(-1, consistent(self->fd, lk.handle, NULL, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, consistent(self->fd, 0, name, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED, query_flags(self->fd, name));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));

	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_APPEND, &lk));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, lk.result);
	/* With a SHARED holder beside it, in another session. */
	fd2 = open_session();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, lock_now(fd2, name, LOCKDEV_MODE_SHARED, &lk2));
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, lk2.result);
	EXPECT_EQ(-1, consistent(self->fd, lk.handle, NULL, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, consistent(fd2, lk2.handle, NULL, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED, query_flags(self->fd, name));
	EXPECT_EQ(0, unlock_handle(fd2, lk2.handle));
	close(fd2);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));

	/* Closing a SHARED holder's session is no death, nothing cleared. */
	expect_owner_died(_metadata, self->fd, name);
}

/* CONSISTENT on a lock the session does not hold: ENOLCK, the mark stays. */
TEST_F(owner, consistent_not_held)
{
	struct lockdev_completion c;
	struct lockdev_lock lk;
	struct agent_rsp r;
	char name[NAME_LEN], none[NAME_LEN];

	mkname(self, none, "none");
	EXPECT_EQ(-1, consistent(self->fd, 0, none, 0));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, consistent(self->fd, 0x4000000000001234ull, NULL, 0));
	EXPECT_EQ(ENOLCK, errno);
	expect_gone(_metadata, self->fd, none);

	mkname(self, name, "a");
	holder_killed(_metadata, self, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	/* Marked, held by nobody. */
	EXPECT_EQ(-1, consistent(self->fd, 0, name, 0));
	EXPECT_EQ(ENOLCK, errno);
	expect_owner_died(_metadata, self->fd, name);

	/* Held in EXCLUSIVE, by another session. */
	agent_start(_metadata, &self->ag[1]);
	agent_hold(_metadata, &self->ag[1], name, LOCKDEV_MODE_EXCLUSIVE, &r);
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, r.result);
	EXPECT_EQ(-1, consistent(self->fd, 0, name, 0));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(-1, consistent(self->fd, r.handle, NULL, 0));
	EXPECT_EQ(ENOLCK, errno);
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED, query_flags(self->fd, name));

	/* Awaited by this session, not held. */
	if (self->features & LOCKDEV_FEATURE_ASYNC) {
		ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_EXCLUSIVE,
				      LOCKDEV_LOCK_ASYNC, 0, 1, &lk));
		ASSERT_EQ(LOCKDEV_RESULT_QUEUED,
			  lk.result & LOCKDEV_RESULT_QUEUED);
		EXPECT_EQ(-1, consistent(self->fd, lk.handle, NULL, 0));
		EXPECT_EQ(ENOLCK, errno);
		EXPECT_EQ(-1, consistent(self->fd, 0, name, 0));
		EXPECT_EQ(ENOLCK, errno);
		EXPECT_EQ(0, cancel_req(self->fd, lk.handle));
		ASSERT_NE(0, poll_in(self->fd, SOON_MS) & POLLIN);
		ASSERT_EQ(sizeof(c), read(self->fd, &c, sizeof(c)));
		EXPECT_EQ(-ECANCELED, c.result);
	}
	agent_unlock(_metadata, &self->ag[1], name);

	/* A handle that was ours, released. */
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_EXCLUSIVE, &lk));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	EXPECT_EQ(-1, consistent(self->fd, lk.handle, NULL, 0));
	EXPECT_EQ(ENOLCK, errno);
	expect_owner_died(_metadata, self->fd, name);
}

/* Bad input to CONSISTENT: EINVAL / ENAMETOOLONG, the mark stays. */
TEST_F(owner, consistent_bad_input)
{
	char name[NAME_LEN], longname[LOCKDEV_NAME_MAX + 2];
	struct lockdev_consistent c;
	struct lockdev_lock lk;
	unsigned int bit;

	mkname(self, name, "a");
	holder_killed(_metadata, self, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_EXCLUSIVE, &lk));

	for (bit = 0; bit < 32; bit++) {
		EXPECT_EQ(-1, consistent(self->fd, lk.handle, NULL, 1u << bit));
		EXPECT_EQ(EINVAL, errno);
	}
	/* Neither handle nor name, also with a name's length. */
	EXPECT_EQ(-1, consistent(self->fd, 0, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	memset(&c, 0, sizeof(c));
	c.name_len = strlen(name);
	EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_CONSISTENT, &c));
	EXPECT_EQ(EINVAL, errno);
	/* A name one byte too long. */
	memset(longname, 'x', sizeof(longname));
	longname[LOCKDEV_NAME_MAX + 1] = 0;
	memset(&c, 0, sizeof(c));
	c.name = ptr(longname);
	c.name_len = LOCKDEV_NAME_MAX + 1;
	EXPECT_EQ(-1, ioctl(self->fd, LOCKDEV_IOC_CONSISTENT, &c));
	EXPECT_EQ(ENAMETOOLONG, errno);

	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED, query_flags(self->fd, name));
	EXPECT_EQ(0, consistent(self->fd, lk.handle, NULL, 0));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	expect_idle(_metadata, self->fd, name);
}

/* A holder in SHARED that dies leaves no mark. */
TEST_F(owner, shared_holder_killed)
{
	long long deaths = stat_value("owner_deaths");
	struct lockdev_lock lk;
	struct agent_rsp r;
	char a[NAME_LEN], b[NAME_LEN];

	mkname(self, a, "a");
	mkname(self, b, "b");
	mark(self, a);
	mark(self, b);

	/* Alone: the lock is left idle, or goes with its lockspace. */
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], a, LOCKDEV_MODE_SHARED, &r);
	agent_kill(_metadata, &self->ag[0]);
	EXPECT_EQ(0, wait_lock_state(self->fd, a, 0, 0));
	expect_unmarked(_metadata, self->fd, a);
	ASSERT_EQ(0, lock_now(self->fd, a, LOCKDEV_MODE_EXCLUSIVE, &lk));
	EXPECT_EQ(0, lk.result);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));

	/* Beside another reader: the lock stays, unmarked, same generation. */
	agent_start(_metadata, &self->ag[1]);
	agent_hold(_metadata, &self->ag[1], b, LOCKDEV_MODE_SHARED, &r);
	ASSERT_EQ(0, lock_now(self->fd, b, LOCKDEV_MODE_SHARED, &lk));
	EXPECT_EQ(r.generation, lk.generation);
	agent_kill(_metadata, &self->ag[1]);
	EXPECT_EQ(0, wait_lock_state(self->fd, b, 1, 0));
	EXPECT_EQ(0, query_flags(self->fd, b));
	EXPECT_EQ(lk.generation, query_generation(self->fd, b));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	expect_idle(_metadata, self->fd, b);

	EXPECT_EQ(deaths, stat_value("owner_deaths"));
}

/* A holder that unlocked, or downgraded to SHARED, before dying leaves no mark. */
TEST_F(owner, released_before_death)
{
	long long deaths = stat_value("owner_deaths");
	__u32 modes[2] = { LOCKDEV_MODE_EXCLUSIVE, LOCKDEV_MODE_APPEND };
	struct lockdev_lock lk;
	struct agent_rsp r;
	char name[NAME_LEN];
	int i;

	for (i = 0; i < 2; i++) {
		mkname(self, name, i ? "append" : "exclusive");
		mark(self, name);
		agent_start(_metadata, &self->ag[0]);
		agent_hold(_metadata, &self->ag[0], name, modes[i], &r);
		agent_unlock(_metadata, &self->ag[0], name);
		agent_kill(_metadata, &self->ag[0]);
		expect_unmarked(_metadata, self->fd, name);
		ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_EXCLUSIVE, &lk));
		EXPECT_EQ(0, lk.result);
		EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	}

	/* Downgraded to SHARED: it dies holding SHARED only. */
	mkname(self, name, "downgraded");
	mark(self, name);
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_EXCLUSIVE, &r);
	agent_send(_metadata, &self->ag[0], AG_CONVERT, NULL,
		   LOCKDEV_MODE_SHARED, 0, 0);
	agent_recv(_metadata, &self->ag[0], &r, SOON_MS);
	ASSERT_EQ(0, r.ret);
	agent_kill(_metadata, &self->ag[0]);
	EXPECT_EQ(0, wait_lock_state(self->fd, name, 0, 0));
	expect_unmarked(_metadata, self->fd, name);
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_EXCLUSIVE, &lk));
	EXPECT_EQ(0, lk.result);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));

	EXPECT_EQ(deaths, stat_value("owner_deaths"));
}

#define CLOSING_HELD	150000
#define CLOSING_TAKE_NS	(1000 * 1000000ULL)
#define CLOSING_MS	20

/*
 * A session closed while it holds many locks and waits for one more: its
 * wait is cancelled before any of its locks is released, so an UNLOCK
 * meanwhile grants it nothing, and the lock is not left owner-died by a
 * session that never held it. The UNLOCK comes CLOSING_MS after the
 * closing process said it was about to close: after the close began, and
 * long before it ended, since it has many locks to release: CLOSING_HELD,
 * or as many as a second of locking takes on a slow kernel.
 */
TEST_F_TIMEOUT(owner, closed_waiter_not_granted, 120)
{
	long long deaths = stat_value("owner_deaths");
	char name[NAME_LEN], n[NAME_LEN + 16], c;
	struct lockdev_lock lk, mine;
	int p[2], fd, i;
	__u64 end;
	pid_t pid;

	mkname(self, name, "wanted");
	mark(self, name);
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_EXCLUSIVE, &mine));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		fd = open_session();
		end = now_ns() + CLOSING_TAKE_NS;
		for (i = 0; fd >= 0 && i < CLOSING_HELD && now_ns() < end; i++) {
			snprintf(n, sizeof(n), "%s.%d", self->prefix, i);
			if (lock_now(fd, n, LOCKDEV_MODE_SHARED, &lk))
				_exit(2);
		}
		if (fd < 0 || lock_req(fd, name, LOCKDEV_MODE_EXCLUSIVE,
				       LOCKDEV_LOCK_ASYNC, 0, 0, &lk) ||
		    lk.result != LOCKDEV_RESULT_QUEUED)
			_exit(3);
		/* Closed at once: its requests end while the parent unlocks. */
		if (write(p[1], "q", 1) != 1)
			_exit(4);
		close(fd);
		_exit(0);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	sleep_ms(CLOSING_MS);
	EXPECT_EQ(0, unlock_handle(self->fd, mine.handle));
	ASSERT_EQ(0, reap(pid, 6 * WAIT_MS));
	EXPECT_EQ(0, query_flags(self->fd, name) & LOCKDEV_QUERY_OWNER_DIED);
	EXPECT_EQ(deaths, stat_value("owner_deaths"));
}

/*
 * A waiter blocked while the holder is killed gets the lock with OWNER_DIED,
 * and so does an asynchronous request queued behind it.
 */
TEST_F(owner, waiter_sees_owner_died)
{
	struct agent *holder = &self->ag[0], *waiter = &self->ag[1];
	struct lockdev_completion c;
	struct lockdev_lock lk;
	struct agent_rsp r;
	char name[NAME_LEN];
	int async = !!(self->features & LOCKDEV_FEATURE_ASYNC);
	__u64 dead_gen;

	mkname(self, name, "a");
	mark(self, name);
	agent_start(_metadata, holder);
	agent_start(_metadata, waiter);
	agent_hold(_metadata, holder, name, LOCKDEV_MODE_EXCLUSIVE, &r);
	dead_gen = r.generation;
	agent_lock_blocking(_metadata, waiter, name, LOCKDEV_MODE_EXCLUSIVE);
	ASSERT_EQ(0, wait_lock_state(self->fd, name, 1, 1));
	if (async) {
		ASSERT_EQ(0, lock_req(self->fd, name, LOCKDEV_MODE_SHARED,
				      LOCKDEV_LOCK_ASYNC, 0, 0x0d, &lk));
		ASSERT_EQ(LOCKDEV_RESULT_QUEUED, lk.result);
		ASSERT_EQ(0, wait_lock_state(self->fd, name, 1, 2));
	}

	agent_kill(_metadata, holder);
	agent_recv(_metadata, waiter, &r, SOON_MS);
	EXPECT_EQ(0, r.ret) {
		TH_LOG("blocked waiter: errno %d", r.err);
	}
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, r.result);
	EXPECT_NE(0, r.generation);
	EXPECT_NE(dead_gen, r.generation);
	EXPECT_EQ(r.generation, query_generation(self->fd, name));
	EXPECT_EQ(LOCKDEV_QUERY_OWNER_DIED, query_flags(self->fd, name));

	if (!async)
		return;
	/* The waiter holds EXCLUSIVE: our request still waits. */
	EXPECT_EQ(0, poll_in(self->fd, QUIET_MS));
	/* Its unlock, without CONSISTENT, passes the mark on. */
	agent_unlock(_metadata, waiter, name);
	ASSERT_NE(0, poll_in(self->fd, SOON_MS) & POLLIN);
	poison(&c, sizeof(c));
	ASSERT_EQ(sizeof(c), read(self->fd, &c, sizeof(c)));
	EXPECT_EQ(0x0d, c.user_data);
	EXPECT_EQ(lk.handle, c.handle);
	EXPECT_EQ(0, c.result);
	EXPECT_EQ(LOCKDEV_RESULT_OWNER_DIED, c.flags & LOCKDEV_RESULT_OWNER_DIED);
	EXPECT_NE(0, c.generation);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	expect_owner_died(_metadata, self->fd, name);
}

/* Generation: a release from EXCLUSIVE changes it; the next grant sees it. */
TEST_F(owner, generation_exclusive_release)
{
	struct lockdev_lock lk, lk2;
	struct agent_rsp r;
	char name[NAME_LEN];
	__u64 g1;

	mkname(self, name, "a");
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_EXCLUSIVE, &lk));
	g1 = lk.generation;
	EXPECT_NE(0, g1);
	EXPECT_NE(POISON64, g1);
	EXPECT_EQ(g1, query_generation(self->fd, name));

	/* A waiter keeps the lock alive across the release. */
	agent_start(_metadata, &self->ag[0]);
	agent_lock_blocking(_metadata, &self->ag[0], name, LOCKDEV_MODE_SHARED);
	ASSERT_EQ(0, wait_lock_state(self->fd, name, 1, 1));
	EXPECT_EQ(g1, query_generation(self->fd, name));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	agent_recv(_metadata, &self->ag[0], &r, SOON_MS);
	ASSERT_EQ(0, r.ret);
	EXPECT_NE(0, r.generation);
	EXPECT_NE(g1, r.generation);
	EXPECT_EQ(r.generation, query_generation(self->fd, name));

	/* SHARED grants do not change it. */
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_SHARED, &lk2));
	EXPECT_EQ(r.generation, lk2.generation);
	EXPECT_EQ(0, unlock_handle(self->fd, lk2.handle));
	EXPECT_EQ(r.generation, query_generation(self->fd, name));
	agent_unlock(_metadata, &self->ag[0], name);
	expect_idle(_metadata, self->fd, name);
}

/* Generation: a release from APPEND changes it. */
TEST_F(owner, generation_append_release)
{
	struct lockdev_lock lk, lk2;
	char name[NAME_LEN];
	__u64 g1, g2;
	int fd2;

	mkname(self, name, "a");
	fd2 = open_session();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_APPEND, &lk));
	g1 = lk.generation;
	EXPECT_NE(0, g1);
	ASSERT_EQ(0, lock_now(fd2, name, LOCKDEV_MODE_SHARED, &lk2));
	EXPECT_EQ(g1, lk2.generation);
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	g2 = query_generation(self->fd, name);
	EXPECT_NE(0, g2);
	EXPECT_NE(g1, g2);
	EXPECT_EQ(1, count_state(self->fd, name, LOCKDEV_STATE_HELD));
	EXPECT_EQ(0, unlock_handle(fd2, lk2.handle));
	close(fd2);
	expect_idle(_metadata, self->fd, name);
}

/* Generation: every downgrade from EXCLUSIVE or APPEND changes it. */
TEST_F(owner, generation_downgrade)
{
	struct lockdev_convert cv;
	struct lockdev_lock lk;
	struct agent_rsp r;
	char a[NAME_LEN], b[NAME_LEN];
	__u64 g1, g2, g3;

	mkname(self, a, "a");
	mkname(self, b, "b");
	ASSERT_EQ(0, lock_now(self->fd, a, LOCKDEV_MODE_EXCLUSIVE, &lk));
	g1 = lk.generation;
	ASSERT_EQ(0, convert(self->fd, lk.handle, LOCKDEV_MODE_APPEND, &cv));
	g2 = cv.generation;
	EXPECT_NE(0, g2);
	EXPECT_NE(POISON64, g2);
	EXPECT_NE(g1, g2);
	EXPECT_EQ(g2, query_generation(self->fd, a));
	ASSERT_EQ(0, convert(self->fd, lk.handle, LOCKDEV_MODE_SHARED, &cv));
	g3 = cv.generation;
	EXPECT_NE(0, g3);
	EXPECT_NE(g1, g3);
	EXPECT_NE(g2, g3);
	EXPECT_EQ(g3, query_generation(self->fd, a));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));

	/* EXCLUSIVE to SHARED, and the reader it wakes sees the new value. */
	ASSERT_EQ(0, lock_now(self->fd, b, LOCKDEV_MODE_EXCLUSIVE, &lk));
	g1 = lk.generation;
	agent_start(_metadata, &self->ag[0]);
	agent_lock_blocking(_metadata, &self->ag[0], b, LOCKDEV_MODE_SHARED);
	ASSERT_EQ(0, wait_lock_state(self->fd, b, 1, 1));
	ASSERT_EQ(0, convert(self->fd, lk.handle, LOCKDEV_MODE_SHARED, &cv));
	EXPECT_NE(g1, cv.generation);
	EXPECT_NE(0, cv.generation);
	agent_recv(_metadata, &self->ag[0], &r, SOON_MS);
	ASSERT_EQ(0, r.ret);
	EXPECT_EQ(cv.generation, r.generation);
	EXPECT_EQ(cv.generation, query_generation(self->fd, b));
	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	agent_unlock(_metadata, &self->ag[0], b);
}

/* Generation: a SHARED release while other readers hold on changes nothing. */
TEST_F(owner, generation_shared_release)
{
	struct lockdev_lock lk, lk2;
	struct agent_rsp r;
	char name[NAME_LEN];
	__u64 g;
	int fd2;

	mkname(self, name, "a");
	fd2 = open_session();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, lock_now(self->fd, name, LOCKDEV_MODE_SHARED, &lk));
	g = lk.generation;
	EXPECT_NE(0, g);
	ASSERT_EQ(0, lock_now(fd2, name, LOCKDEV_MODE_SHARED, &lk2));
	EXPECT_EQ(g, lk2.generation);
	agent_start(_metadata, &self->ag[0]);
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_SHARED, &r);
	EXPECT_EQ(g, r.generation);

	EXPECT_EQ(0, unlock_handle(self->fd, lk.handle));
	EXPECT_EQ(g, query_generation(self->fd, name));
	agent_unlock(_metadata, &self->ag[0], name);
	EXPECT_EQ(g, query_generation(self->fd, name));
	/* A reader's death is a SHARED release too. */
	agent_hold(_metadata, &self->ag[0], name, LOCKDEV_MODE_SHARED, &r);
	EXPECT_EQ(g, r.generation);
	agent_kill(_metadata, &self->ag[0]);
	EXPECT_EQ(0, wait_lock_state(self->fd, name, 1, 0));
	EXPECT_EQ(g, query_generation(self->fd, name));
	EXPECT_EQ(0, query_flags(self->fd, name));

	EXPECT_EQ(0, unlock_handle(fd2, lk2.handle));
	close(fd2);
	expect_idle(_metadata, self->fd, name);
}

/*
 * Generation: a lock created anew, or released from APPEND or EXCLUSIVE,
 * never gets a value any lock had before (since load), a resident lock
 * keeps its own until then, and no value is 0. Several hundred rounds over
 * a few names and every mode, with releases that change a live lock's value
 * in between.
 */
#define ROUNDS 300

static int seen_before(const __u64 *seen, int n, __u64 g)
{
	int i;

	for (i = 0; i < n; i++)
		if (seen[i] == g)
			return 1;
	return 0;
}

TEST_F(owner, generation_never_reused)
{
	static const __u32 modes[3] = {
		LOCKDEV_MODE_EXCLUSIVE, LOCKDEV_MODE_APPEND, LOCKDEV_MODE_SHARED
	};
	static __u64 seen[2 * ROUNDS + 5];
	struct lockdev_lock lk, lk2;
	char name[NAME_LEN], sfx[8];
	int i, n = 0, fd2, reused = 0, zero = 0;
	__u64 g, g2, last[5] = { 0 };

	fd2 = open_session();
	ASSERT_LE(0, fd2);
	for (i = 0; i < ROUNDS; i++) {
		snprintf(sfx, sizeof(sfx), "%d", i % 5);
		mkname(self, name, sfx);
		ASSERT_EQ(0, lock_now(self->fd, name, modes[i % 3], &lk)) {
			TH_LOG("round %d: errno %d", i, errno);
		}
		g = lk.generation;
		zero += g == 0;
		/* A new lock's is new; a resident one's is as left. */
		if (last[i % 5] ? g != last[i % 5] : seen_before(seen, n, g)) {
			if (!reused++)
				TH_LOG("round %d: granted generation %llu, left at %llu",
				       i, (unsigned long long)g,
				       (unsigned long long)last[i % 5]);
		}
		if (!last[i % 5])
			seen[n++] = g;
		if (modes[i % 3] == LOCKDEV_MODE_APPEND && i % 2) {
			/* A reader keeps it alive across the APPEND release. */
			ASSERT_EQ(0, lock_now(fd2, name, LOCKDEV_MODE_SHARED, &lk2));
			EXPECT_EQ(g, lk2.generation);
			ASSERT_EQ(0, unlock_handle(self->fd, lk.handle));
			g2 = query_generation(fd2, name);
			zero += g2 == 0;
			EXPECT_NE(g, g2);
			reused += seen_before(seen, n, g2);
			seen[n++] = g2;
			ASSERT_EQ(0, unlock_handle(fd2, lk2.handle));
			g = g2;
		} else {
			ASSERT_EQ(0, unlock_handle(self->fd, lk.handle));
		}
		/* Idle now, at a new value if APPEND or EXCLUSIVE released. */
		g2 = query_generation(self->fd, name);
		zero += g2 == 0;
		if (modes[i % 3] == LOCKDEV_MODE_SHARED ||
		    (modes[i % 3] == LOCKDEV_MODE_APPEND && i % 2)) {
			EXPECT_EQ(g, g2);
		} else {
			EXPECT_NE(g, g2);
			reused += seen_before(seen, n, g2);
			seen[n++] = g2;
		}
		last[i % 5] = g2;
	}
	EXPECT_EQ(0, reused);
	EXPECT_EQ(0, zero);
	close(fd2);
}

/* /proc/lockdev/stats owner_deaths counts each lock marked owner-died. */
TEST_F(owner, owner_deaths_counted)
{
	long long deaths = stat_value("owner_deaths");
	struct agent_rsp r;
	char a[NAME_LEN], b[NAME_LEN], c[NAME_LEN], d[NAME_LEN], e[NAME_LEN];

	ASSERT_LE(0, deaths) {
		TH_LOG("no owner_deaths in " STATS);
	}
	mkname(self, a, "a");
	mkname(self, b, "b");
	mkname(self, c, "c");
	mkname(self, d, "d");
	mkname(self, e, "e");

	holder_killed(_metadata, self, &self->ag[0], a, LOCKDEV_MODE_EXCLUSIVE);
	EXPECT_EQ(deaths + 1, stat_value("owner_deaths"));
	holder_killed(_metadata, self, &self->ag[0], b, LOCKDEV_MODE_APPEND);
	EXPECT_EQ(deaths + 2, stat_value("owner_deaths"));
	holder_killed(_metadata, self, &self->ag[0], c, LOCKDEV_MODE_SHARED);
	EXPECT_EQ(deaths + 2, stat_value("owner_deaths"));

	/* One process holding two locks marks two locks. */
	mark(self, d);
	mark(self, e);
	agent_start(_metadata, &self->ag[1]);
	agent_hold(_metadata, &self->ag[1], d, LOCKDEV_MODE_EXCLUSIVE, &r);
	agent_hold(_metadata, &self->ag[1], e, LOCKDEV_MODE_APPEND, &r);
	agent_kill(_metadata, &self->ag[1]);
	EXPECT_EQ(0, wait_lock_state(self->fd, d, 0, 0));
	EXPECT_EQ(0, wait_lock_state(self->fd, e, 0, 0));
	EXPECT_EQ(deaths + 4, stat_value("owner_deaths"));
}

TEST_HARNESS_MAIN
