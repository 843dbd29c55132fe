// SPDX-License-Identifier: GPL-2.0
/*
 * LOCKDEV_IOC_CONVERT: downgrades are immediate and wake the waiters they
 * unblock, upgrades wait (ahead of new requests) under NONBLOCK and DEADLINE,
 * two upgraders waiting for each other are a deadlock one of them is told
 * about, a second upgrade of the same lock is EBUSY, an unlock cancels a
 * waiting upgrade, the generation changes on downgrades, and bad input.
 *
 * Another session is usually another process, a "locker": a forked child
 * that runs the lock calls the test sends it over a pipe and answers each
 * with its outcome. A test sees that a locker is really blocked in the kernel
 * by polling QUERY until its request shows up waiting, never by sleeping
 * blindly; every wait is bounded, so a broken module fails a test rather than
 * hanging it. Each test works on its own lock names, made from its name and
 * pid.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/lockdev.h>

#include "kselftest_harness.h"
#include "util.h"

/* ---- helpers shared by lock_test.c and convert_test.c (kept identical) ---- */

/* The longest a thing that must happen may take: TCG guests are slow. */
#define WAIT_MS		10000
/* How long a thing that must not happen is given to show itself. */
#define QUIET_MS	300
/* No child process outlives this many seconds. */
#define CHILD_SECS	120
/* Entries the tests read back from QUERY. */
#define MAXE		16
/* Other sessions (processes) and own sessions a test may use. */
#define MAXLK		8
#define NFD		4

static inline __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline __u64 ptr(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* True if every byte of @p is still POISON. */
static inline bool poisoned(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != POISON)
			return false;
	return true;
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A name of exactly @len bytes that starts with @prefix, in @buf. */
static inline void long_name(char *buf, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	memset(buf, 'z', len);
	memcpy(buf, prefix, n < len ? n : len);
	buf[len] = 0;
}

/* A LOCK request: inputs set, outputs (result, handle, generation) poisoned. */
static inline void lock_input(struct lockdev_lock *l, const char *name,
			      __u32 mode, __u32 flags)
{
	poison(l, sizeof(*l));
	l->name = ptr(name);
	l->name_len = strlen(name);
	l->mode = mode;
	l->flags = flags;
	l->level = 0;
	l->deadline_ns = 0;
	l->user_data = 0;
	l->entries = 0;
	l->nr_entries = 0;
}

static inline int lock_call(int fd, const char *name, __u32 mode, __u32 flags,
			    struct lockdev_lock *l)
{
	lock_input(l, name, mode, flags);
	return ioctl(fd, LOCKDEV_IOC_LOCK, l);
}

static inline int unlock_handle(int fd, __u64 handle)
{
	struct lockdev_unlock u = { .handle = handle };

	return ioctl(fd, LOCKDEV_IOC_UNLOCK, &u);
}

static inline int unlock_name(int fd, const char *name)
{
	struct lockdev_unlock u = { .name = ptr(name), .name_len = strlen(name) };

	return ioctl(fd, LOCKDEV_IOC_UNLOCK, &u);
}

/* QUERY @name into @e, @cap entries; only those @cap are poisoned first. */
static inline int query(int fd, const char *name, struct lockdev_query *q,
			struct lockdev_entry *e, __u32 cap)
{
	poison(q, sizeof(*q));
	q->name = ptr(name);
	q->name_len = strlen(name);
	q->flags = 0;
	q->entries = ptr(e);
	q->nr_entries = cap;
	if (e)
		poison(e, cap * sizeof(*e));
	return ioctl(fd, LOCKDEV_IOC_QUERY, q);
}

/* LIST into @h, @cap entries; only those @cap are poisoned first. */
static inline int list_call(int fd, struct lockdev_held *h, __u32 cap,
			    struct lockdev_list *l)
{
	poison(l, sizeof(*l));
	l->entries = ptr(h);
	l->nr_entries = cap;
	l->flags = 0;
	if (h)
		poison(h, cap * sizeof(*h));
	return ioctl(fd, LOCKDEV_IOC_LIST, l);
}

/* How many locks and requests the session has, or -1 if LIST fails. */
static inline int list_count(int fd)
{
	struct lockdev_held h[4];
	struct lockdev_list l;

	if (list_call(fd, h, 4, &l))
		return -1;
	return l.nr_entries;
}

/* Index of the first of @n entries of @pid (any pid if 0) in @state (any if 0). */
static inline int find_entry(const struct lockdev_entry *e, __u32 n, pid_t pid,
			     __u32 state)
{
	__u32 i;

	for (i = 0; i < n && i < MAXE; i++)
		if ((!pid || e[i].pid == (__u32)pid) && (!state || e[i].state == state))
			return i;
	return -1;
}

/* Wait until QUERY of @name shows an entry of @pid (0: anyone) in @state. */
static inline bool wait_entry(int fd, const char *name, pid_t pid, __u32 state)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	__u64 end = now_ns() + WAIT_MS * 1000000ull;

	do {
		if (!query(fd, name, &q, e, MAXE) &&
		    find_entry(e, q.nr_entries, pid, state) >= 0)
			return true;
		sleep_ms(2);
	} while (now_ns() < end);
	return false;
}

/* Wait until QUERY of @name shows no entry of @pid. */
static inline bool wait_no_entry(int fd, const char *name, pid_t pid)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	__u64 end = now_ns() + WAIT_MS * 1000000ull;

	do {
		if (!query(fd, name, &q, e, MAXE) &&
		    find_entry(e, q.nr_entries, pid, 0) < 0)
			return true;
		sleep_ms(2);
	} while (now_ns() < end);
	return false;
}

/* What QUERY says about a lock, to check that a failed call changed nothing. */
struct snap {
	int ret;
	__u64 generation;
	__u32 nr;
	__u32 lock_flags;
	struct lockdev_entry e[MAXE];
};

static inline void take_snap(int fd, const char *name, struct snap *s)
{
	struct lockdev_query q;

	s->ret = query(fd, name, &q, s->e, MAXE);
	s->generation = q.generation;
	s->nr = q.nr_entries;
	s->lock_flags = q.lock_flags;
}

static inline void expect_snap(struct __test_metadata *_metadata, int fd,
			       const char *name, const struct snap *before)
{
	struct snap now;
	__u32 i;

	take_snap(fd, name, &now);
	EXPECT_EQ(0, now.ret);
	EXPECT_EQ(before->generation, now.generation);
	EXPECT_EQ(before->lock_flags, now.lock_flags);
	ASSERT_EQ(before->nr, now.nr);
	for (i = 0; i < now.nr && i < MAXE; i++) {
		EXPECT_EQ(before->e[i].session, now.e[i].session);
		EXPECT_EQ(before->e[i].pid, now.e[i].pid);
		EXPECT_EQ(before->e[i].mode, now.e[i].mode);
		EXPECT_EQ(before->e[i].state, now.e[i].state);
		EXPECT_EQ(before->e[i].level, now.e[i].level);
	}
}

/* The lock must not exist: generation 0, nobody in it, entries untouched. */
static inline void expect_no_lock(struct __test_metadata *_metadata, int fd,
				  const char *name)
{
	struct lockdev_entry e[2];
	struct lockdev_query q;

	ASSERT_EQ(0, query(fd, name, &q, e, 2));
	EXPECT_EQ(0, q.generation);
	EXPECT_EQ(0, q.nr_entries);
	EXPECT_EQ(0, q.lock_flags);
	EXPECT_TRUE(poisoned(e, sizeof(e)));
}

/* Skip when the module does not implement the lock calls. */
static inline void require_lock_feature(struct __test_metadata *_metadata)
{
	struct lockdev_version v = { 0 };
	int fd = open_session();

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, LOCKDEV_IOC_VERSION, &v));
	close(fd);
	if (!(v.features & LOCKDEV_FEATURE_LOCK))
		SKIP(_exit(255), "the module lacks LOCKDEV_FEATURE_LOCK");
}

/* SIGALRM that interrupts a call, bounding a wait the test makes itself. */
static void __attribute__((unused)) on_alarm(int sig)
{
	(void)sig;
}

static inline void arm_alarm(unsigned int secs)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(secs);
}

/*
 * A locker: another process that runs lock calls on a session when the test
 * tells it to, over a pipe, and answers each with the outcome. Its session is
 * its own, or one of the test's that it shares (as fork shares it).
 */
enum {
	OP_LOCK = 1,	/* mode, flags, level, deadline_ns */
	OP_UNLOCK,	/* handle, or the locker's last grant if 0 */
	OP_UNLOCK_NAME,
	OP_CONVERT,	/* handle (0: last grant), mode, flags, deadline_ns */
	OP_LIST,
	OP_SIGACT,	/* catch SIGUSR1 with sa_flags = flags */
};

struct locker_cmd {
	__u32 op;
	__u32 mode;
	__u32 flags;
	__u32 level;
	__u64 deadline_ns;
	__u64 handle;
};

struct locker_reply {
	__u32 op;
	__s32 ret;
	__s32 err;
	__u32 result;
	__u64 handle;
	__u64 generation;
	__u64 start_ns;
	__u64 end_ns;
	__u32 sigs;		/* SIGUSR1s caught so far */
	__u32 nr;		/* LOCK: nr_entries; LIST: how many */
	struct lockdev_entry e[4];	/* LOCK: the entries, as written */
	struct lockdev_held h;		/* LIST: the first one */
};

struct locker {
	pid_t pid;
	int cmd;
	int reply;
};

static volatile sig_atomic_t locker_sigs;

static void __attribute__((unused)) locker_on_signal(int sig)
{
	(void)sig;
	locker_sigs++;
}

static inline int read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static inline int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static void __attribute__((noreturn, unused))
locker_main(int fd, const char *name, int cmd, int reply, int order, int idx)
{
	struct locker_cmd c;
	struct locker_reply r;
	__u64 last = 0;
	int i;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGALRM, SIG_DFL);
	alarm(CHILD_SECS);
	/* Hold no other file: a session must go when the test closes it. */
	for (i = 3; i < 1024; i++)
		if (i != fd && i != cmd && i != reply && i != order)
			close(i);
	if (fd < 0)
		fd = open_session();
	if (fd < 0)
		_exit(99);

	while (!read_all(cmd, &c, sizeof(c))) {
		memset(&r, 0, sizeof(r));
		r.op = c.op;
		r.start_ns = now_ns();
		errno = 0;
		switch (c.op) {
		case OP_LOCK: {
			struct lockdev_lock l;

			lock_input(&l, name, c.mode, c.flags);
			l.level = c.level;
			l.deadline_ns = c.deadline_ns;
			poison(r.e, sizeof(r.e));
			l.entries = ptr(r.e);
			l.nr_entries = 4;
			r.ret = ioctl(fd, LOCKDEV_IOC_LOCK, &l);
			r.err = r.ret ? errno : 0;
			r.result = l.result;
			r.handle = l.handle;
			r.generation = l.generation;
			r.nr = l.nr_entries;
			if (!r.ret)
				last = l.handle;
			break;
		}
		case OP_UNLOCK:
			r.ret = unlock_handle(fd, c.handle ? c.handle : last);
			r.err = r.ret ? errno : 0;
			break;
		case OP_UNLOCK_NAME:
			r.ret = unlock_name(fd, name);
			r.err = r.ret ? errno : 0;
			break;
		case OP_CONVERT: {
			struct lockdev_convert v;

			poison(&v, sizeof(v));
			v.handle = c.handle ? c.handle : last;
			v.name = 0;
			v.name_len = 0;
			v.mode = c.mode;
			v.flags = c.flags;
			v.deadline_ns = c.deadline_ns;
			r.ret = ioctl(fd, LOCKDEV_IOC_CONVERT, &v);
			r.err = r.ret ? errno : 0;
			r.result = v.result;
			r.generation = v.generation;
			break;
		}
		case OP_LIST: {
			struct lockdev_held h[2];
			struct lockdev_list l;

			r.ret = list_call(fd, h, 2, &l);
			r.err = r.ret ? errno : 0;
			r.nr = l.nr_entries;
			r.h = h[0];
			break;
		}
		case OP_SIGACT: {
			struct sigaction sa = { .sa_handler = locker_on_signal };

			sigemptyset(&sa.sa_mask);
			sa.sa_flags = c.flags;
			r.ret = sigaction(SIGUSR1, &sa, NULL);
			r.err = r.ret ? errno : 0;
			break;
		}
		default:
			r.ret = -1;
			r.err = ENOSYS;
		}
		r.end_ns = now_ns();
		r.sigs = locker_sigs;
		if (write_all(reply, &r, sizeof(r)))
			_exit(98);
		if (c.op == OP_LOCK && !r.ret && order >= 0) {
			char b = idx;

			if (write_all(order, &b, 1))
				_exit(97);
		}
	}
	_exit(0);
}

/*
 * Start a locker on @name: its own session if @fd < 0, else the test's
 * session @fd, shared. After each grant it writes @idx to @order if >= 0.
 */
static inline void locker_start(struct __test_metadata *_metadata,
				struct locker *lk, int fd, const char *name,
				int order, int idx)
{
	int c[2], r[2];

	ASSERT_EQ(0, pipe(c));
	ASSERT_EQ(0, pipe(r));
	fflush(stdout);
	fflush(stderr);
	lk->pid = fork();
	ASSERT_LE(0, lk->pid);
	if (lk->pid == 0) {
		close(c[1]);
		close(r[0]);
		locker_main(fd, name, c[0], r[1], order, idx);
	}
	close(c[0]);
	close(r[1]);
	lk->cmd = c[1];
	lk->reply = r[0];
}

static inline void locker_send(struct __test_metadata *_metadata,
			       struct locker *lk, const struct locker_cmd *c)
{
	ASSERT_EQ(0, write_all(lk->cmd, c, sizeof(*c)));
}

/* Ask the locker to lock in @mode with @flags; the answer comes later. */
static inline void locker_lock(struct __test_metadata *_metadata,
			       struct locker *lk, __u32 mode, __u32 flags)
{
	struct locker_cmd c = { .op = OP_LOCK, .mode = mode, .flags = flags };

	locker_send(_metadata, lk, &c);
}

/* The locker's next answer, if it comes within @ms. */
static inline bool locker_answer(struct locker *lk, struct locker_reply *r, int ms)
{
	struct pollfd p = { .fd = lk->reply, .events = POLLIN };
	int n;

	do {
		n = poll(&p, 1, ms);
	} while (n < 0 && errno == EINTR);
	if (n != 1)
		return false;
	return !read_all(lk->reply, r, sizeof(*r));
}

/* Send one command and wait for its answer, which must come. */
static inline void locker_call(struct __test_metadata *_metadata,
			       struct locker *lk, __u32 op, __u32 mode,
			       __u32 flags, struct locker_reply *r)
{
	struct locker_cmd c = { .op = op, .mode = mode, .flags = flags };

	locker_send(_metadata, lk, &c);
	ASSERT_TRUE(locker_answer(lk, r, WAIT_MS)) {
		TH_LOG("locker %d did not answer op %u", lk->pid, op);
	}
}

/* Lock in @mode from the locker; the grant must come at once. */
static inline void locker_must_lock(struct __test_metadata *_metadata,
				    struct locker *lk, __u32 mode,
				    struct locker_reply *r)
{
	locker_call(_metadata, lk, OP_LOCK, mode, 0, r);
	ASSERT_EQ(0, r->ret) {
		TH_LOG("locker %d: lock failed with errno %d", lk->pid, r->err);
	}
}

/* Ask for @mode, blocking, and wait until QUERY shows the request waiting. */
static inline void locker_must_wait(struct __test_metadata *_metadata,
				    struct locker *lk, int fd,
				    const char *name, __u32 mode)
{
	struct locker_reply r;

	locker_lock(_metadata, lk, mode, 0);
	ASSERT_TRUE(wait_entry(fd, name, lk->pid, LOCKDEV_STATE_WAITING)) {
		if (locker_answer(lk, &r, 0))
			TH_LOG("locker %d did not wait: ret %d errno %d",
			       lk->pid, r.ret, r.err);
		else
			TH_LOG("locker %d never showed up waiting", lk->pid);
	}
}

/* The locker must not have answered anything within QUIET_MS. */
static inline void locker_quiet(struct __test_metadata *_metadata,
				struct locker *lk, int ms)
{
	struct locker_reply r;

	ASSERT_FALSE(locker_answer(lk, &r, ms)) {
		TH_LOG("locker %d answered op %u: ret %d errno %d, expected no answer",
		       lk->pid, r.op, r.ret, r.err);
	}
}

/* Wait for the answer to an earlier request, which must be a grant. */
static inline void locker_granted(struct __test_metadata *_metadata,
				  struct locker *lk, struct locker_reply *r)
{
	ASSERT_TRUE(locker_answer(lk, r, WAIT_MS)) {
		TH_LOG("locker %d was not granted in time", lk->pid);
	}
	ASSERT_EQ(0, r->ret) {
		TH_LOG("locker %d: errno %d, expected a grant", lk->pid, r->err);
	}
}

/* Let the locker exit normally (closing its end of the session). */
static inline int locker_exit(struct locker *lk)
{
	__u64 end = now_ns() + WAIT_MS * 1000000ull;
	int status;
	pid_t got;

	close(lk->cmd);
	close(lk->reply);
	do {
		got = waitpid(lk->pid, &status, WNOHANG);
		if (got == lk->pid) {
			lk->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		sleep_ms(2);
	} while (now_ns() < end);
	kill(lk->pid, SIGKILL);
	waitpid(lk->pid, &status, 0);
	lk->pid = 0;
	return -1;
}

static inline void locker_kill(struct locker *lk)
{
	if (lk->pid <= 0)
		return;
	kill(lk->pid, SIGKILL);
	waitpid(lk->pid, NULL, 0);
	close(lk->cmd);
	close(lk->reply);
	lk->pid = 0;
}

/* ---- end of shared helpers ---- */

#define S LOCKDEV_MODE_SHARED
#define A LOCKDEV_MODE_APPEND
#define X LOCKDEV_MODE_EXCLUSIVE
#define HELD LOCKDEV_STATE_HELD
#define WAITING LOCKDEV_STATE_WAITING
#define CONVERTING LOCKDEV_STATE_CONVERTING
#define NONBLOCK LOCKDEV_LOCK_NONBLOCK
#define DEADLINE LOCKDEV_LOCK_DEADLINE
#define ASYNC LOCKDEV_LOCK_ASYNC
#define MS 1000000ull

/* A CONVERT request: inputs set, outputs (result, generation) poisoned. */
static void convert_input(struct lockdev_convert *c, __u64 handle,
			  const char *name, __u32 mode, __u32 flags)
{
	poison(c, sizeof(*c));
	c->handle = handle;
	c->name = name ? ptr(name) : 0;
	c->name_len = name ? strlen(name) : 0;
	c->mode = mode;
	c->flags = flags;
	c->deadline_ns = 0;
}

/* CONVERT by handle, bounded by an alarm in case it wrongly waits. */
static int convert_call(int fd, __u64 handle, __u32 mode, __u32 flags,
			struct lockdev_convert *c)
{
	int ret, err;

	convert_input(c, handle, NULL, mode, flags);
	arm_alarm(10);
	ret = ioctl(fd, LOCKDEV_IOC_CONVERT, c);
	err = errno;
	alarm(0);
	errno = err;
	return ret;
}

/* CONVERT must fail with @err, leaving the struct as it was. */
static void convert_fails(struct __test_metadata *_metadata, int fd,
			  struct lockdev_convert *c, int err, const char *what)
{
	struct lockdev_convert before = *c;
	int ret, e;

	arm_alarm(10);
	ret = ioctl(fd, LOCKDEV_IOC_CONVERT, c);
	e = errno;
	alarm(0);
	EXPECT_EQ(-1, ret) {
		TH_LOG("%s: the conversion was done", what);
	}
	EXPECT_EQ(err, e) {
		TH_LOG("%s: errno %d (%s), expected %d", what, e, strerror(e), err);
	}
	EXPECT_EQ(0, memcmp(c, &before, sizeof(*c))) {
		TH_LOG("%s: the struct was written", what);
	}
}

/* The one lock @fd holds must be in @mode, held. */
static void expect_held(struct __test_metadata *_metadata, int fd, __u32 mode)
{
	struct lockdev_held h[2];
	struct lockdev_list li;

	ASSERT_EQ(0, list_call(fd, h, 2, &li));
	ASSERT_EQ(1, li.nr_entries);
	EXPECT_EQ(mode, h[0].mode);
	EXPECT_EQ(HELD, h[0].state);
}

/* Ask the locker to convert its lock to @mode and see the upgrade wait. */
static void locker_must_convert_wait(struct __test_metadata *_metadata,
				     struct locker *lk, int fd,
				     const char *name, __u32 mode)
{
	struct locker_cmd c = { .op = OP_CONVERT, .mode = mode };
	struct locker_reply r;

	locker_send(_metadata, lk, &c);
	ASSERT_TRUE(wait_entry(fd, name, lk->pid, CONVERTING)) {
		if (locker_answer(lk, &r, 0))
			TH_LOG("locker %d did not wait: ret %d errno %d",
			       lk->pid, r.ret, r.err);
		else
			TH_LOG("locker %d never showed up converting", lk->pid);
	}
}

/* Which of two lockers answers first within @ms: 0, 1, or -1 for neither. */
static int first_answer(struct locker *a, struct locker *b, int ms)
{
	struct pollfd p[2] = {
		{ .fd = a->reply, .events = POLLIN },
		{ .fd = b->reply, .events = POLLIN },
	};
	int n;

	do {
		n = poll(p, 2, ms);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	return (p[0].revents & POLLIN) ? 0 : 1;
}

FIXTURE(cv) {
	int fd[NFD];
	char name[128];
	char name2[140];
	struct locker lk[MAXLK];
};

FIXTURE_SETUP(cv)
{
	int i;

	require_lock_feature(_metadata);
	for (i = 0; i < NFD; i++) {
		self->fd[i] = open_session();
		ASSERT_LE(0, self->fd[i]);
	}
	snprintf(self->name, sizeof(self->name), "convert_test.%s.%d",
		 _metadata->name, getpid());
	snprintf(self->name2, sizeof(self->name2), "%s.2", self->name);
}

FIXTURE_TEARDOWN(cv)
{
	int i;

	alarm(0);
	for (i = 0; i < MAXLK; i++)
		locker_kill(&self->lk[i]);
	for (i = 0; i < NFD; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
}

/* ---- downgrades: immediate, and they wake whom they unblock ---- */

TEST_F_TIMEOUT(cv, downgrade_exclusive_to_shared, 60)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	for (i = 0; i < 3; i++)
		locker_start(_metadata, &self->lk[i], -1, self->name, -1, i);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, S);
	locker_must_wait(_metadata, &self->lk[1], self->fd[1], self->name, X);
	locker_must_wait(_metadata, &self->lk[2], self->fd[1], self->name, S);

	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c)) {
		TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(0, c.result);
	EXPECT_NE(0, c.generation);
	EXPECT_NE(l.generation, c.generation);

	/* The reader queued first gets in; the writer and the reader behind it wait. */
	locker_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(c.generation, r.generation);
	locker_quiet(_metadata, &self->lk[1], QUIET_MS);
	locker_quiet(_metadata, &self->lk[2], 0);

	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(c.generation, q.generation);
	ASSERT_EQ(4, q.nr_entries);
	i = find_entry(e, 2, getpid(), HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(S, e[i].mode);
	i = find_entry(e, 2, self->lk[0].pid, HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(S, e[i].mode);
	EXPECT_EQ(self->lk[1].pid, e[2].pid);
	EXPECT_EQ(WAITING, e[2].state);
	EXPECT_EQ(X, e[2].mode);
	EXPECT_EQ(self->lk[2].pid, e[3].pid);
	EXPECT_EQ(WAITING, e[3].state);
	expect_held(_metadata, self->fd[0], S);
}

TEST_F_TIMEOUT(cv, downgrade_exclusive_to_append, 60)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, A);
	locker_must_wait(_metadata, &self->lk[1], self->fd[1], self->name, S);

	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, A, 0, &c)) {
		TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(0, c.result);
	EXPECT_NE(0, c.generation);
	EXPECT_NE(l.generation, c.generation);

	/* The reader gets in past the waiting appender; the appender waits. */
	locker_granted(_metadata, &self->lk[1], &r);
	locker_quiet(_metadata, &self->lk[0], QUIET_MS);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(3, q.nr_entries);
	i = find_entry(e, 2, getpid(), HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(A, e[i].mode);
	i = find_entry(e, 2, self->lk[1].pid, HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(S, e[i].mode);
	EXPECT_EQ(self->lk[0].pid, e[2].pid);
	EXPECT_EQ(WAITING, e[2].state);
	expect_held(_metadata, self->fd[0], A);

	/* When the appender leaves, the other one gets in. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	locker_granted(_metadata, &self->lk[0], &r);
}

TEST_F_TIMEOUT(cv, downgrade_append_to_shared, 60)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, A, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, A);
	locker_must_wait(_metadata, &self->lk[1], self->fd[1], self->name, X);

	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c)) {
		TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(0, c.result);
	EXPECT_NE(0, c.generation);
	EXPECT_NE(l.generation, c.generation);

	locker_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(c.generation, r.generation);
	locker_quiet(_metadata, &self->lk[1], QUIET_MS);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(3, q.nr_entries);
	i = find_entry(e, 2, getpid(), HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(S, e[i].mode);
	i = find_entry(e, 2, self->lk[0].pid, HELD);
	ASSERT_LE(0, i);
	EXPECT_EQ(A, e[i].mode);
	EXPECT_EQ(self->lk[1].pid, e[2].pid);
	EXPECT_EQ(WAITING, e[2].state);
	expect_held(_metadata, self->fd[0], S);
}

/* Converting to the mode held succeeds at once, whoever waits. */
TEST_F(cv, same_mode)
{
	static const __u32 modes[] = { S, A, X };
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_lock l;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, lock_call(self->fd[0], self->name, modes[i], 0, &l));
		ASSERT_EQ(0, convert_call(self->fd[0], l.handle, modes[i], 0, &c)) {
			TH_LOG("mode %u: errno %d", modes[i], errno);
		}
		EXPECT_EQ(0, c.result);
		EXPECT_NE(0, c.generation);
		ASSERT_EQ(0, convert_call(self->fd[0], l.handle, modes[i], NONBLOCK, &c)) {
			TH_LOG("mode %u, NONBLOCK: errno %d", modes[i], errno);
		}
		ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
		EXPECT_EQ(c.generation, q.generation);
		ASSERT_EQ(1, q.nr_entries);
		EXPECT_EQ(modes[i], e[0].mode);
		EXPECT_EQ(HELD, e[0].state);
		if (modes[i] == S)
			EXPECT_EQ(l.generation, c.generation);
		ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	}

	/* A reader behind which a writer waits stays a reader at once. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c)) {
		TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(l.generation, c.generation);
	locker_quiet(_metadata, &self->lk[0], 0);
}

/* Downgrades from APPEND or EXCLUSIVE change the generation; SHARED->SHARED does not. */
TEST_F(cv, generation)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_lock l;
	__u64 g;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	g = l.generation;
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, A, 0, &c));
	EXPECT_NE(g, c.generation);
	EXPECT_NE(0, c.generation);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(c.generation, q.generation);
	g = c.generation;

	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c));
	EXPECT_NE(g, c.generation);
	EXPECT_NE(0, c.generation);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(c.generation, q.generation);
	g = c.generation;

	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c));
	EXPECT_EQ(g, c.generation);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(g, q.generation);

	/* Up to EXCLUSIVE and straight down to SHARED. */
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, X, 0, &c));
	g = c.generation;
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(g, q.generation);
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, S, 0, &c));
	EXPECT_NE(g, c.generation);
	EXPECT_NE(0, c.generation);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(c.generation, q.generation);
}

/* ---- upgrades ---- */

TEST_F(cv, upgrade_uncontended)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_lock l, l1;
	int i;

	/* Alone: at once. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, X, 0, &c)) {
		TH_LOG("errno %d", errno);
	}
	EXPECT_EQ(0, c.result);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(-1, lock_call(self->fd[1], self->name, S, NONBLOCK, &l1));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, A, 0, &l));
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, X, NONBLOCK, &c)) {
		TH_LOG("errno %d", errno);
	}
	expect_held(_metadata, self->fd[0], X);
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));

	/* SHARED to APPEND next to another reader: compatible, so at once. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, A, NONBLOCK, &c)) {
		TH_LOG("errno %d", errno);
	}
	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	ASSERT_EQ(2, q.nr_entries);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(HELD, e[i].state);
	EXPECT_EQ(A + S, e[0].mode + e[1].mode);
	expect_held(_metadata, self->fd[0], A);
}

/*
 * An upgrade queues ahead of waiting requests, so one that is compatible
 * with the holders is granted even while a writer waits.
 */
TEST_F(cv, upgrade_not_blocked_by_waiters)
{
	struct lockdev_convert c;
	struct lockdev_lock l, l1;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[2], self->name, X);
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, A, NONBLOCK, &c)) {
		TH_LOG("errno %d", errno);
	}
	expect_held(_metadata, self->fd[0], A);
	locker_quiet(_metadata, &self->lk[0], 0);
}

TEST_F_TIMEOUT(cv, upgrade_waits, 60)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l;
	int i;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	locker_must_convert_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);
	locker_quiet(_metadata, &self->lk[0], QUIET_MS);

	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	i = find_entry(e, q.nr_entries, self->lk[0].pid, CONVERTING);
	ASSERT_LE(0, i);
	EXPECT_EQ(X, e[i].mode);
	EXPECT_LE(0, find_entry(e, q.nr_entries, getpid(), HELD));
	/* A new reader queues behind the upgrade. */
	EXPECT_EQ(-1, lock_call(self->fd[1], self->name, S, NONBLOCK, &l));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, unlock_name(self->fd[0], self->name));
	locker_granted(_metadata, &self->lk[0], &r);
	EXPECT_EQ(0, r.result);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(self->lk[0].pid, e[0].pid);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
	locker_call(_metadata, &self->lk[0], OP_LIST, 0, 0, &r);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(X, r.h.mode);
	EXPECT_EQ(HELD, r.h.state);
}

TEST_F(cv, upgrade_nonblock)
{
	struct lockdev_convert c;
	struct lockdev_lock l, l1;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	take_snap(self->fd[2], self->name, &s);

	convert_input(&c, l.handle, NULL, X, NONBLOCK);
	convert_fails(_metadata, self->fd[0], &c, EAGAIN, "to EXCLUSIVE");
	convert_input(&c, 0, self->name, X, NONBLOCK);
	convert_fails(_metadata, self->fd[0], &c, EAGAIN, "to EXCLUSIVE, by name");
	/* Still a reader, nothing queued. */
	expect_snap(_metadata, self->fd[2], self->name, &s);
	expect_held(_metadata, self->fd[0], S);

	ASSERT_EQ(0, unlock_handle(self->fd[1], l1.handle));
	ASSERT_EQ(0, convert_call(self->fd[0], l.handle, X, NONBLOCK, &c)) {
		TH_LOG("errno %d", errno);
	}
	expect_held(_metadata, self->fd[0], X);
}

TEST_F(cv, upgrade_deadline)
{
	struct lockdev_convert c;
	struct lockdev_lock l, l1;
	__u64 deadline, t;
	struct snap s;
	int ret, err;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	take_snap(self->fd[2], self->name, &s);

	convert_input(&c, l.handle, NULL, X, DEADLINE);
	deadline = now_ns() + 300 * MS;
	c.deadline_ns = deadline;
	arm_alarm(20);
	ret = ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &c);
	err = errno;
	t = now_ns();
	alarm(0);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(ETIMEDOUT, err);
	EXPECT_LE(deadline, t);
	EXPECT_GT(deadline + 5000 * MS, t);
	EXPECT_TRUE(poisoned(&c.generation, sizeof(c.generation)));
	EXPECT_TRUE(poisoned(&c.result, sizeof(c.result)));
	expect_snap(_metadata, self->fd[2], self->name, &s);
	expect_held(_metadata, self->fd[0], S);

	/* A deadline in the past fails at once. */
	convert_input(&c, l.handle, NULL, X, DEADLINE);
	c.deadline_ns = now_ns() - 1000 * MS;
	t = now_ns();
	convert_fails(_metadata, self->fd[0], &c, ETIMEDOUT, "past deadline");
	EXPECT_GT(t + 2000 * MS, now_ns());
	expect_snap(_metadata, self->fd[2], self->name, &s);

	/* With nothing to wait for, it does not matter. */
	ASSERT_EQ(0, unlock_handle(self->fd[1], l1.handle));
	convert_input(&c, l.handle, NULL, X, DEADLINE);
	c.deadline_ns = now_ns() - 1000 * MS;
	EXPECT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &c));
	expect_held(_metadata, self->fd[0], X);
}

/*
 * Holders A (a locker) and B (the test) read. A upgrades and waits for B. A
 * new reader C is refused: an incompatible request is queued. D (writer) and
 * E (reader) queue. When B leaves, A is granted EXCLUSIVE before D and E,
 * which then follow in order.
 */
TEST_F_TIMEOUT(cv, upgrade_ahead_of_new_requests, 90)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock l, b;
	int i;

	for (i = 0; i < 3; i++)
		locker_start(_metadata, &self->lk[i], -1, self->name, -1, i);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &b));
	locker_must_convert_wait(_metadata, &self->lk[0], self->fd[3], self->name, X);

	lock_input(&l, self->name, S, NONBLOCK);
	poison(e, sizeof(e));
	l.entries = ptr(e);
	l.nr_entries = MAXE;
	EXPECT_EQ(-1, ioctl(self->fd[1], LOCKDEV_IOC_LOCK, &l));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_LE(0, find_entry(e, l.nr_entries, self->lk[0].pid, CONVERTING)) {
		TH_LOG("the waiting upgrade is not among the %u entries", l.nr_entries);
	}

	locker_must_wait(_metadata, &self->lk[1], self->fd[3], self->name, X);
	locker_must_wait(_metadata, &self->lk[2], self->fd[3], self->name, S);

	ASSERT_EQ(0, unlock_handle(self->fd[0], b.handle));
	locker_granted(_metadata, &self->lk[0], &r);
	locker_quiet(_metadata, &self->lk[1], QUIET_MS);
	locker_quiet(_metadata, &self->lk[2], 0);
	ASSERT_EQ(0, query(self->fd[3], self->name, &q, e, MAXE));
	ASSERT_EQ(3, q.nr_entries);
	EXPECT_EQ(self->lk[0].pid, e[0].pid);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(self->lk[1].pid, e[1].pid);
	EXPECT_EQ(WAITING, e[1].state);
	EXPECT_EQ(self->lk[2].pid, e[2].pid);
	EXPECT_EQ(WAITING, e[2].state);

	locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[1], &r);
	locker_quiet(_metadata, &self->lk[2], QUIET_MS);
	locker_call(_metadata, &self->lk[1], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[2], &r);
}

/*
 * An upgrade goes ahead even of a writer that queued before it (else the
 * two would wait for each other).
 */
TEST_F_TIMEOUT(cv, upgrade_ahead_of_earlier_waiter, 60)
{
	struct locker_reply r;
	struct lockdev_lock b;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &b));
	locker_must_wait(_metadata, &self->lk[1], self->fd[3], self->name, X);
	locker_must_convert_wait(_metadata, &self->lk[0], self->fd[3], self->name, X);
	locker_quiet(_metadata, &self->lk[0], QUIET_MS);

	ASSERT_EQ(0, unlock_handle(self->fd[0], b.handle));
	locker_granted(_metadata, &self->lk[0], &r);
	locker_quiet(_metadata, &self->lk[1], QUIET_MS);
	locker_call(_metadata, &self->lk[0], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[1], &r);
}

/*
 * A waiting upgrade holds back a reader that queued behind it; when the
 * upgrade times out, the reader is compatible with everything left and must
 * be granted, and the upgrader still reads.
 */
TEST_F_TIMEOUT(cv, expired_upgrade_unblocks_followers, 60)
{
	struct locker_cmd cmd = { .op = OP_CONVERT, .mode = X, .flags = DEADLINE };
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock b;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &b));
	cmd.deadline_ns = now_ns() + 1500 * MS;
	locker_send(_metadata, &self->lk[0], &cmd);
	ASSERT_TRUE(wait_entry(self->fd[1], self->name, self->lk[0].pid, CONVERTING));
	locker_must_wait(_metadata, &self->lk[1], self->fd[1], self->name, S);

	ASSERT_TRUE(locker_answer(&self->lk[0], &r, WAIT_MS));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(ETIMEDOUT, r.err);
	EXPECT_LE(cmd.deadline_ns, r.end_ns);
	locker_granted(_metadata, &self->lk[1], &r);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(3, q.nr_entries);
	EXPECT_GT(0, find_entry(e, q.nr_entries, 0, CONVERTING));
	EXPECT_GT(0, find_entry(e, q.nr_entries, 0, WAITING));
	locker_call(_metadata, &self->lk[0], OP_LIST, 0, 0, &r);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(S, r.h.mode);
	EXPECT_EQ(HELD, r.h.state);
}

/* Two readers both upgrading: exactly one is told EDEADLK. */
TEST_F_TIMEOUT(cv, two_upgraders_deadlock, 60)
{
	struct locker_cmd cmd = { .op = OP_CONVERT, .mode = X };
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	int told, other;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_start(_metadata, &self->lk[1], -1, self->name, -1, 1);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	locker_must_lock(_metadata, &self->lk[1], S, &r);
	locker_must_convert_wait(_metadata, &self->lk[0], self->fd[0], self->name, X);
	locker_send(_metadata, &self->lk[1], &cmd);

	told = first_answer(&self->lk[0], &self->lk[1], WAIT_MS);
	ASSERT_LE(0, told) {
		TH_LOG("neither upgrader was told of the deadlock");
	}
	other = !told;
	ASSERT_TRUE(locker_answer(&self->lk[told], &r, 0));
	EXPECT_EQ(-1, r.ret);
	ASSERT_EQ(EDEADLK, r.err) {
		TH_LOG("locker %d: ret %d errno %d", told, r.ret, r.err);
	}
	TH_LOG("upgrader %d was told EDEADLK", told);
	locker_quiet(_metadata, &self->lk[other], QUIET_MS);

	/* The one told still reads; the other still waits to upgrade. */
	locker_call(_metadata, &self->lk[told], OP_LIST, 0, 0, &r);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(S, r.h.mode);
	EXPECT_EQ(HELD, r.h.state);
	ASSERT_EQ(0, query(self->fd[0], self->name, &q, e, MAXE));
	EXPECT_LE(0, find_entry(e, q.nr_entries, self->lk[told].pid, HELD));
	EXPECT_LE(0, find_entry(e, q.nr_entries, self->lk[other].pid, CONVERTING));
	EXPECT_GT(0, find_entry(e, q.nr_entries, self->lk[told].pid, CONVERTING));

	/* When it gives up its lock, the other is granted. */
	locker_call(_metadata, &self->lk[told], OP_UNLOCK, 0, 0, &r);
	EXPECT_EQ(0, r.ret);
	locker_granted(_metadata, &self->lk[other], &r);
	ASSERT_EQ(0, query(self->fd[0], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(self->lk[other].pid, e[0].pid);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
}

/* A thread that upgrades a lock of the session and reports how it ended. */
struct upgrader {
	int fd;
	__u64 handle;
	int ret;
	int err;
	int done[2];
	pthread_t thread;
};

static void *upgrade_thread(void *arg)
{
	struct upgrader *u = arg;
	struct lockdev_convert c;

	convert_input(&c, u->handle, NULL, X, 0);
	u->ret = ioctl(u->fd, LOCKDEV_IOC_CONVERT, &c);
	u->err = u->ret ? errno : 0;
	if (write(u->done[1], "x", 1) != 1)
		u->err = -1;
	return NULL;
}

/* Start the upgrade in a thread, with SIGALRM left to the main thread. */
static void upgrader_start(struct __test_metadata *_metadata, struct upgrader *u,
			   int fd, __u64 handle)
{
	sigset_t set, old;

	u->fd = fd;
	u->handle = handle;
	ASSERT_EQ(0, pipe(u->done));
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &set, &old));
	ASSERT_EQ(0, pthread_create(&u->thread, NULL, upgrade_thread, u));
	ASSERT_EQ(0, pthread_sigmask(SIG_SETMASK, &old, NULL));
}

static bool upgrader_done(struct upgrader *u, int ms)
{
	struct pollfd p = { .fd = u->done[0], .events = POLLIN };
	char b;

	if (poll(&p, 1, ms) != 1 || read(u->done[0], &b, 1) != 1)
		return false;
	pthread_join(u->thread, NULL);
	close(u->done[0]);
	close(u->done[1]);
	return true;
}

/* A second upgrade of the same lock by the same session: EBUSY. */
TEST_F(cv, second_upgrade_ebusy)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_convert c;
	struct lockdev_query q;
	struct lockdev_lock l, l1;
	struct upgrader u;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	upgrader_start(_metadata, &u, self->fd[0], l.handle);
	ASSERT_TRUE(wait_entry(self->fd[2], self->name, 0, CONVERTING)) {
		if (upgrader_done(&u, 0))
			TH_LOG("the upgrade did not wait: ret %d errno %d", u.ret, u.err);
	}
	take_snap(self->fd[2], self->name, &s);

	convert_input(&c, l.handle, NULL, X, 0);
	convert_fails(_metadata, self->fd[0], &c, EBUSY, "blocking");
	convert_input(&c, l.handle, NULL, X, NONBLOCK);
	convert_fails(_metadata, self->fd[0], &c, EBUSY, "nonblock");
	convert_input(&c, 0, self->name, X, NONBLOCK);
	convert_fails(_metadata, self->fd[0], &c, EBUSY, "by name");
	expect_snap(_metadata, self->fd[2], self->name, &s);

	/* The first upgrade is still there and completes. */
	ASSERT_EQ(0, unlock_handle(self->fd[1], l1.handle));
	ASSERT_TRUE(upgrader_done(&u, WAIT_MS));
	EXPECT_EQ(0, u.ret) {
		TH_LOG("errno %d", u.err);
	}
	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(X, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
}

/* Another thread of the session unlocks while the upgrade waits: ECANCELED. */
TEST_F(cv, unlock_cancels_upgrade)
{
	struct lockdev_entry e[MAXE];
	struct lockdev_query q;
	struct lockdev_lock l, l1;
	struct upgrader u;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	upgrader_start(_metadata, &u, self->fd[0], l.handle);
	ASSERT_TRUE(wait_entry(self->fd[2], self->name, 0, CONVERTING)) {
		if (upgrader_done(&u, 0))
			TH_LOG("the upgrade did not wait: ret %d errno %d", u.ret, u.err);
	}

	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	ASSERT_TRUE(upgrader_done(&u, WAIT_MS));
	EXPECT_EQ(-1, u.ret);
	EXPECT_EQ(ECANCELED, u.err);
	ASSERT_EQ(0, query(self->fd[2], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(S, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
	EXPECT_EQ(0, list_count(self->fd[0]));
	EXPECT_EQ(1, list_count(self->fd[1]));
}

/* A signal ends a waiting upgrade, which leaves the old mode held. */
TEST_F(cv, upgrade_interrupted)
{
	struct lockdev_entry e[MAXE];
	struct locker_reply r;
	struct lockdev_query q;
	struct lockdev_lock b;

	locker_start(_metadata, &self->lk[0], -1, self->name, -1, 0);
	locker_call(_metadata, &self->lk[0], OP_SIGACT, 0, 0, &r);
	ASSERT_EQ(0, r.ret);
	locker_must_lock(_metadata, &self->lk[0], S, &r);
	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &b));
	locker_must_convert_wait(_metadata, &self->lk[0], self->fd[1], self->name, X);

	ASSERT_EQ(0, kill(self->lk[0].pid, SIGUSR1));
	ASSERT_TRUE(locker_answer(&self->lk[0], &r, WAIT_MS));
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	EXPECT_EQ(1, r.sigs);
	EXPECT_TRUE(poisoned(&r.generation, sizeof(r.generation)));

	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	EXPECT_EQ(2, q.nr_entries);
	EXPECT_GT(0, find_entry(e, q.nr_entries, 0, CONVERTING));
	EXPECT_LE(0, find_entry(e, q.nr_entries, self->lk[0].pid, HELD));
	locker_call(_metadata, &self->lk[0], OP_LIST, 0, 0, &r);
	ASSERT_EQ(1, r.nr);
	EXPECT_EQ(S, r.h.mode);
	EXPECT_EQ(HELD, r.h.state);

	/* The other reader leaves: nothing upgrades behind the caller's back. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], b.handle));
	sleep_ms(QUIET_MS);
	ASSERT_EQ(0, query(self->fd[1], self->name, &q, e, MAXE));
	ASSERT_EQ(1, q.nr_entries);
	EXPECT_EQ(self->lk[0].pid, e[0].pid);
	EXPECT_EQ(S, e[0].mode);
	EXPECT_EQ(HELD, e[0].state);
}

TEST_F(cv, convert_by_name)
{
	struct lockdev_convert c;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	convert_input(&c, 0, self->name, S, 0);
	ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &c));
	EXPECT_NE(l.generation, c.generation);
	expect_held(_metadata, self->fd[0], S);
	convert_input(&c, 0, self->name, X, NONBLOCK);
	ASSERT_EQ(0, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, &c));
	expect_held(_metadata, self->fd[0], X);
}

TEST_F(cv, convert_not_held)
{
	struct lockdev_convert c;
	struct lockdev_lock l, l1;
	struct snap s;

	convert_input(&c, 0, self->name, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "never locked, by name");
	convert_input(&c, 1, NULL, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "never locked, by handle");

	/* Another session's lock. */
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, X, 0, &l1));
	take_snap(self->fd[2], self->name, &s);
	convert_input(&c, 0, self->name, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "other session, by name");
	convert_input(&c, l1.handle, NULL, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "other session, by handle");
	expect_snap(_metadata, self->fd[2], self->name, &s);

	/* Handles the session was never given. */
	ASSERT_EQ(0, lock_call(self->fd[0], self->name2, X, 0, &l));
	convert_input(&c, l.handle + 1, NULL, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "handle + 1");
	convert_input(&c, ~0ull, NULL, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "handle ~0");
	expect_held(_metadata, self->fd[0], X);

	/* Unlocked already. */
	ASSERT_EQ(0, unlock_handle(self->fd[0], l.handle));
	convert_input(&c, l.handle, NULL, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "unlocked, by handle");
	convert_input(&c, 0, self->name2, S, 0);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "unlocked, by name");
	expect_no_lock(_metadata, self->fd[2], self->name2);
}

/* A request still waiting (in a child sharing the session) is not held. */
TEST_F(cv, convert_waiting_request)
{
	struct lockdev_convert c;
	struct locker_reply r;
	struct lockdev_lock l1;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[1], self->name, X, 0, &l1));
	locker_start(_metadata, &self->lk[0], self->fd[0], self->name, -1, 0);
	locker_must_wait(_metadata, &self->lk[0], self->fd[2], self->name, S);
	take_snap(self->fd[2], self->name, &s);
	convert_input(&c, 0, self->name, X, NONBLOCK);
	convert_fails(_metadata, self->fd[0], &c, ENOLCK, "waiting request");
	expect_snap(_metadata, self->fd[2], self->name, &s);
	ASSERT_EQ(0, unlock_handle(self->fd[1], l1.handle));
	locker_granted(_metadata, &self->lk[0], &r);
}

TEST_F(cv, convert_bad_input)
{
	static const __u32 modes[] = { 0, 4, 5, 0x80000002u, ~0u };
	static const __u32 combos[] = {
		ASYNC, ASYNC | NONBLOCK, ASYNC | DEADLINE, NONBLOCK | DEADLINE,
	};
	char big[LOCKDEV_NAME_MAX + 2];
	struct lockdev_convert c;
	struct lockdev_lock l, l1;
	unsigned int i;
	char what[48];
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, S, 0, &l));
	ASSERT_EQ(0, lock_call(self->fd[1], self->name, S, 0, &l1));
	take_snap(self->fd[2], self->name, &s);

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		snprintf(what, sizeof(what), "mode %#x", modes[i]);
		convert_input(&c, l.handle, NULL, modes[i], 0);
		convert_fails(_metadata, self->fd[0], &c, EINVAL, what);
	}
	/* Bad flags on an upgrade (to APPEND) that would otherwise succeed at once. */
	for (i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		snprintf(what, sizeof(what), "flags %#x", combos[i]);
		convert_input(&c, l.handle, NULL, A, combos[i]);
		c.deadline_ns = now_ns() + 100 * MS;
		convert_fails(_metadata, self->fd[0], &c, EINVAL, what);
	}
	for (i = 3; i < 32; i++) {
		snprintf(what, sizeof(what), "flag bit %u", i);
		convert_input(&c, l.handle, NULL, A, 1u << i);
		convert_fails(_metadata, self->fd[0], &c, EINVAL, what);
	}
	convert_input(&c, l.handle, self->name, A, 0);
	convert_fails(_metadata, self->fd[0], &c, EINVAL, "handle and name");
	convert_input(&c, 0, NULL, A, 0);
	convert_fails(_metadata, self->fd[0], &c, EINVAL, "neither handle nor name");
	convert_input(&c, 0, self->name, A, 0);
	c.name_len = 0;
	convert_fails(_metadata, self->fd[0], &c, EINVAL, "name_len 0");
	long_name(big, LOCKDEV_NAME_MAX + 1, self->name);
	convert_input(&c, 0, big, A, 0);
	convert_fails(_metadata, self->fd[0], &c, ENAMETOOLONG, "name_len 256");
	convert_input(&c, 0, self->name, A, 0);
	c.name = 8;
	convert_fails(_metadata, self->fd[0], &c, EFAULT, "name 8");
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, NULL));
	EXPECT_EQ(EFAULT, errno);

	expect_snap(_metadata, self->fd[2], self->name, &s);
	expect_held(_metadata, self->fd[0], S);
}

/* A conversion whose outputs cannot be written is not done. */
TEST_F(cv, convert_read_only_struct)
{
	struct lockdev_convert *c;
	struct lockdev_lock l;
	struct snap s;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	take_snap(self->fd[1], self->name, &s);
	c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, c);
	convert_input(c, l.handle, NULL, S, 0);
	ASSERT_EQ(0, mprotect(c, 4096, PROT_READ));
	EXPECT_EQ(-1, ioctl(self->fd[0], LOCKDEV_IOC_CONVERT, c));
	EXPECT_EQ(EFAULT, errno);
	expect_snap(_metadata, self->fd[1], self->name, &s);
	expect_held(_metadata, self->fd[0], X);
	munmap(c, 4096);
}

TEST_F(cv, convert_struct_size)
{
	struct lockdev_convert c, before;
	struct lockdev_lock l;

	ASSERT_EQ(0, lock_call(self->fd[0], self->name, X, 0, &l));
	convert_input(&c, l.handle, NULL, S, 0);
	before = c;
	EXPECT_EQ(-1, ioctl(self->fd[0], _IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC,
					      _IOC_NR(LOCKDEV_IOC_CONVERT),
					      LOCKDEV_CONVERT_SIZE_VER0 - 8), &c));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, memcmp(&c, &before, sizeof(c)));
	expect_held(_metadata, self->fd[0], X);
}

TEST_HARNESS_MAIN
