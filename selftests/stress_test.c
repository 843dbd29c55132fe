// SPDX-License-Identifier: GPL-2.0
/*
 * A randomized multi-process stress of the lock engine with an independent
 * deadlock checker.
 *
 * Workers (each a process with its own session, all in one lockspace of
 * their own) take random names from a small set in random modes and orders,
 * with blocking, timed, non-blocking and asynchronous requests, upgrades and
 * lock sets, and release them again, for a bounded time. Whenever a
 * request fails with EDEADLK and LOCKDEV_RESULT_CYCLE, its worker keeps
 * every lock it holds, snapshots /proc/lockdev/locks at once, reads
 * LOCKDEV_IOC_DEADLOCK, and waits until the checker has looked.
 *
 * The checker (the test process) trusts nothing the module says about the
 * cycle: from the snapshot alone it rebuilds the wait-for graph (each
 * waiting or converting line's waits_for column: the pids of the holders
 * and earlier waiters it waits for) and the sessions the refused request
 * would have waited for (the incompatible holders, and the incompatible
 * requests that would have been queued ahead of it), and confirms that one
 * of those reaches the reporter: a cycle through the reporter was real.
 * It then checks the module's own report against the same snapshot: each
 * member waits for the next. The other members of a cycle cannot leave it
 * while the reporter holds on, except by their own deadline: a report whose
 * cycle was broken that way before the snapshot (a member's timed wait
 * ended with ETIMEDOUT after the refused request started) is counted as
 * excused, not failed. Lock sets release what they took when they fail, so
 * their cycles are only counted.
 *
 * Half of the asynchronous requests that queue are left waiting while
 * their worker goes on (upgrades, other requests), so that a session
 * waits more than once at a time: an upgrade queued ahead of a waiter can
 * then close a cycle through the session's other wait, which the checker
 * follows too. A worker whose asynchronous request waits is not held in
 * a cycle by it, and may let go of what the cycle ran through before the
 * snapshot: a report whose member did so after the refused request started,
 * or is doing so still, is excused too. A report that fails names what
 * each member's worker did from 300 ms before the request on.
 *
 * Safety is checked all along: each worker counts what it holds in shared
 * counters, per name and mode, after a grant returns and before it calls
 * for a release or a downgrade, so that the counters never say more than
 * is held. A worker whose grant the counters show next to an incompatible
 * hold of another worker has seen two incompatible holds at one instant:
 * the run fails. Workers also take locks in NONE and convert them out of
 * it (queued, and checked by the checker, as new requests are), and
 * downgrade (to any weaker mode, NONE too), which grants waiters at once.
 *
 * The grant policy is checked the same way. A worker publishes when it
 * enters and leaves a wait that only a grant can end (no deadline, not
 * asynchronous, not a set). Before half of its new requests, a worker
 * asks QUERY for the lock's queue: a request queued there, incompatible
 * with its own, of a worker that was in such a wait before the QUERY, was
 * queued first. If the new request is then granted while that wait has
 * still not ended, it overtook a waiter it had to queue behind (or was
 * granted next to an incompatible grant): the run fails.
 *
 * The run must end with every lock free and every worker gone in time (an
 * undetected deadlock among blocking waits would hang it), the stats'
 * cycles must have grown by the deadlocks the workers saw, and
 * /proc/lockdev/locks must hold nothing of the lockspace. It prints its
 * figures. Knobs: LOCKDEV_STRESS_MS (run time, default 2000),
 * LOCKDEV_STRESS_WORKERS (default 8, at most 17), LOCKDEV_STRESS_SEED.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
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
#include "harness_util.h"

#define S LOCKDEV_MODE_SHARED
#define A LOCKDEV_MODE_APPEND
#define X LOCKDEV_MODE_EXCLUSIVE
#define N LOCKDEV_MODE_NONE
#define MS 1000000ull

/*
 * Workers at most: a waiter waits for at most all the others, whom
 * waits_for then lists whole (LOCKDEV_PROC_WAITS_FOR_MAX pids), so that the
 * checker sees every edge.
 */
#define MAXW		(LOCKDEV_PROC_WAITS_FOR_MAX + 1)
#define NNAMES		6	/* names the workers share */
#define MAXHELD		3	/* locks a worker holds at most */
#define NREC		8	/* recent ended waits a worker remembers */
#define NMEM		16	/* report members kept */
#define MOVING		(~0ULL)	/* slot.moved_ns while a worker lets go */
#define NJOT		32	/* calls a worker remembers */
#define SNAP_MAX	(1024 * 1024)

enum { K_LOCK = 1, K_CONVERT, K_ASYNC };

/* A wait that ended, for the checker's excuses. */
struct wrec {
	__u64 start_ns;
	__u64 end_ns;
	int err;
};

/*
 * A call of a worker on a hold or a wait, for the checker's log of a false
 * report. @op: B, T, N or A for LOCK blocking, timed, non-blocking or
 * asynchronous; c for a completion read; U UNLOCK; P an upgrade; R a
 * conversion from NONE; D a downgrade; S a lock set (@name its first
 * name); X CANCEL. @pending: an asynchronous request of its waited.
 */
struct jot {
	__u64 start_ns;
	__u64 end_ns;
	char op;
	char name;
	char mode;
	char pending;
	int err;
};

/* What a worker shares with the checker. */
struct slot {
	pid_t pid;
	/* figures */
	long ops, grants, waits, timeouts, eagains, cancels, sets, converts;
	long downgrades, raises, policy_checks, left_waiting;
	/*
	 * When it last let go of or weakened a hold, or ended a wait, while
	 * an asynchronous request of its could be in a cycle: it was not
	 * held there by a blocking wait. MOVING while it does so.
	 */
	__u64 moved_ns;
	/* odd while in a wait that only a grant ends */
	unsigned int wseq;
	long dl_lock, dl_convert, dl_async, dl_set, unexpected;
	int last_err, last_op;
	unsigned int njots;
	struct jot jots[NJOT];
	/* the recent waits that ended by a deadline */
	unsigned int nrec;
	struct wrec rec[NREC];
	/* the report of the current EDEADLK */
	int kind;
	int name;
	__u32 mode;
	__u64 start_ns;
	__u64 snap_ns;
	int dl_ret;
	__u32 reason;
	__u32 nr_members;
	struct lockdev_cycle_member m[NMEM];
	int snap_len;
	char snap[SNAP_MAX];
};

struct shared {
	volatile int stop;
	char space[64];
	/* holds per name and mode (LOCKDEV_MODE_* - 1), as the workers count */
	int holds[NNAMES][3];
	/* grants seen next to an incompatible hold, and the first of them */
	int clashes;
	char clash[160];
	/* new requests granted ahead of an earlier incompatible waiter */
	int overtakes;
	char overtake[200];
	struct slot w[MAXW];
};

static struct shared *sh;

static int knob(const char *env, int dflt)
{
	const char *v = getenv(env);

	return v && atoi(v) > 0 ? atoi(v) : dflt;
}

/* ---- the workers ---- */

struct held {
	int name;
	__u32 mode;
	__u64 handle;
	bool from_set;
};

/* An asynchronous request left waiting while its worker goes on. */
struct pending {
	bool on;
	int name;
	__u32 mode;
	__u64 handle;
	__u64 start;
};

struct worker {
	int idx;
	int fd;
	int report;	/* write end of the checker's pipe */
	int ack;	/* read end of this worker's ack pipe */
	struct slot *s;
	unsigned int seed;
	int nheld;
	struct held held[MAXHELD];
	struct pending pend;
};

/* Remember a call that began at @start and failed with @err, or 0. */
static void jot(struct worker *w, char op, int name, __u32 mode, __u64 start,
		int err)
{
	struct jot *j = &w->s->jots[w->s->njots % NJOT];

	j->start_ns = start;
	j->end_ns = now_ns();
	j->op = op;
	j->name = name;
	j->mode = mode;
	j->pending = w->pend.on;
	j->err = err;
	__atomic_add_fetch(&w->s->njots, 1, __ATOMIC_RELEASE);
}

static void name_of(int n, char *buf)
{
	sprintf(buf, "n%d", n);
}

static int rnd(struct worker *w, int n)
{
	return rand_r(&w->seed) % n;
}

static __u32 rnd_mode(struct worker *w)
{
	int r = rnd(w, 100);

	return r < 40 ? S : r < 65 ? A : X;
}

/* A deadline: as often a few ms away (it will pass) as a few hundred. */
static __u64 rnd_deadline(struct worker *w)
{
	return now_ns() + (rnd(w, 2) ? 1 + rnd(w, 20) : 50 + rnd(w, 350)) * MS;
}

static void remember_timeout(struct worker *w, __u64 start, int err)
{
	struct wrec *r = &w->s->rec[w->s->nrec % NREC];

	r->start_ns = start;
	r->err = err;
	__atomic_store_n(&r->end_ns, now_ns(), __ATOMIC_RELEASE);
	__atomic_add_fetch(&w->s->nrec, 1, __ATOMIC_RELEASE);
}

/* Count a hold of @name in @mode that was granted, and check it. */
static void hold_add(struct worker *w, int name, __u32 mode)
{
	int *h = sh->holds[name], n[3], m;

	if (mode == N)
		return;
	__atomic_add_fetch(&h[mode - 1], 1, __ATOMIC_SEQ_CST);
	for (m = 0; m < 3; m++)
		n[m] = __atomic_load_n(&h[m], __ATOMIC_SEQ_CST);
	/* Minus this one, is any hold incompatible with it? */
	n[mode - 1]--;
	for (m = 0; m < 3; m++)
		if (n[m] && !compatible(m + 1, mode))
			break;
	if (m == 3)
		return;
	if (__atomic_fetch_add(&sh->clashes, 1, __ATOMIC_SEQ_CST) == 0)
		snprintf(sh->clash, sizeof(sh->clash),
			 "worker %d granted n%d in %s while held: %d shared, %d append, %d exclusive",
			 w->s->pid, name, mode_name(mode), n[0], n[1], n[2]);
}

/* Uncount a hold, before the call that ends or weakens it. */
static void hold_drop(int name, __u32 mode)
{
	if (mode != N)
		__atomic_sub_fetch(&sh->holds[name][mode - 1], 1, __ATOMIC_SEQ_CST);
}

/* Enter or leave a wait that only a grant ends. */
static void wait_mark(struct worker *w)
{
	__atomic_add_fetch(&w->s->wseq, 1, __ATOMIC_SEQ_CST);
}

/* The earlier waiters a new request must not overtake. */
struct queued_before {
	int n;
	int who[2 * MAXW];
	unsigned int seq[2 * MAXW];
	__u32 mode[2 * MAXW];
};

/*
 * Before a new request for @name in @mode: the incompatible requests its
 * queue shows of workers in a wait only a grant ends, read before the
 * queue, so that the wait the queue shows is that one or a later one.
 */
static void policy_before(struct worker *w, const char *name, __u32 mode,
			  struct queued_before *qb)
{
	struct lockdev_entry e[2 * MAXW];
	unsigned int seq[MAXW];
	struct lockdev_query q;
	__u32 i, j;

	qb->n = -1;
	if (rnd(w, 2))
		return;
	for (j = 0; j < MAXW; j++)
		seq[j] = __atomic_load_n(&sh->w[j].wseq, __ATOMIC_SEQ_CST);
	if (query(w->fd, name, &q, e, 2 * MAXW))
		return;
	w->s->policy_checks++;
	qb->n = 0;
	for (i = 0; i < q.nr_entries && i < 2 * MAXW; i++) {
		if (e[i].state == LOCKDEV_STATE_HELD ||
		    e[i].pid == (__u32)w->s->pid || compatible(e[i].mode, mode))
			continue;
		for (j = 0; j < MAXW; j++)
			if (sh->w[j].pid == (pid_t)e[i].pid && (seq[j] & 1))
				break;
		if (j == MAXW)
			continue;
		qb->who[qb->n] = j;
		qb->seq[qb->n] = seq[j];
		qb->mode[qb->n] = e[i].mode;
		qb->n++;
	}
}

/* After the request was granted: had each of those waits ended? */
static void policy_after(struct worker *w, int name, __u32 mode,
			 const struct queued_before *qb)
{
	int i, j;

	for (i = 0; i < qb->n; i++) {
		j = qb->who[i];
		if (__atomic_load_n(&sh->w[j].wseq, __ATOMIC_SEQ_CST) !=
		    qb->seq[i])
			continue;
		if (__atomic_fetch_add(&sh->overtakes, 1, __ATOMIC_SEQ_CST) == 0)
			snprintf(sh->overtake, sizeof(sh->overtake),
				 "worker %d granted n%d in %s while worker %d, queued before it for %s, still waited",
				 w->s->pid, name, mode_name(mode), sh->w[j].pid,
				 mode_name(qb->mode[i]));
	}
}

/*
 * The worker lets go of something while its pending request waits: from
 * moving() to moved() its moved_ns reads MOVING, then the time it was
 * done. Taken before the calls, the time could precede a release that a
 * busy machine runs tens of ms later, after a cycle was found that the
 * release then breaks.
 */
static bool moving(struct worker *w)
{
	if (!w->pend.on)
		return false;
	__atomic_store_n(&w->s->moved_ns, MOVING, __ATOMIC_SEQ_CST);
	return true;
}

static void moved(struct worker *w, bool marked)
{
	if (marked)
		__atomic_store_n(&w->s->moved_ns, now_ns(), __ATOMIC_SEQ_CST);
}

static void release_all(struct worker *w)
{
	bool marked = moving(w);
	int i, j, n = w->nheld;

	/* In a random order. */
	while (n) {
		__u64 start = now_ns();
		int ret;

		i = rnd(w, n);
		hold_drop(w->held[i].name, w->held[i].mode);
		ret = unlock_handle(w->fd, w->held[i].handle) ? errno : 0;
		jot(w, 'U', w->held[i].name, w->held[i].mode, start, ret);
		if (ret) {
			w->s->unexpected++;
			w->s->last_err = ret;
			w->s->last_op = 100;
		}
		for (j = i; j < n - 1; j++)
			w->held[j] = w->held[j + 1];
		n--;
	}
	w->nheld = 0;
	moved(w, marked);
}

/*
 * The worker was told of a cycle: snapshot /proc/lockdev/locks first (the
 * cycle's other members are still waiting), then read the report, hand
 * both to the checker and wait until it has looked.
 */
static void report_cycle(struct worker *w, int kind, int name, __u32 mode,
			 __u64 start)
{
	struct lockdev_deadlock d;
	struct slot *s = w->s;
	char b = w->idx, *all = read_file(LOCKS), *line, *save = NULL;
	size_t len = 0, n, plen = strlen(sh->space);
	int nr = 0;

	/*
	 * The header and the lines of this lockspace, whole: the file also
	 * has the lines of every other lockspace, idle owner-died locks too.
	 */
	for (line = all ? strtok_r(all, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (++nr > 2 && (strncmp(line, sh->space, plen) ||
				 line[plen] != ' '))
			continue;
		n = strlen(line);
		if (len + n + 1 > SNAP_MAX - 1)
			break;
		memcpy(s->snap + len, line, n);
		s->snap[len + n] = '\n';
		len += n + 1;
	}
	free(all);
	s->snap[len] = 0;
	s->snap_len = len;
	s->snap_ns = now_ns();
	s->kind = kind;
	s->name = name;
	s->mode = mode;
	s->start_ns = start;
	s->dl_ret = deadlock_call(w->fd, &d, s->m, NMEM);
	s->reason = d.reason;
	s->nr_members = d.nr_members;
	if (write_all(w->report, &b, 1) || read_all(w->ack, &b, 1))
		_exit(20);
}

static bool is_held(struct worker *w, int name)
{
	int i;

	for (i = 0; i < w->nheld; i++)
		if (w->held[i].name == name)
			return true;
	return w->pend.on && w->pend.name == name;
}

/* A granted lock joins what the worker holds. */
static void hold_new(struct worker *w, int name, __u32 mode, __u64 handle)
{
	w->s->grants++;
	hold_add(w, name, mode);
	w->held[w->nheld].name = name;
	w->held[w->nheld].mode = mode;
	w->held[w->nheld].handle = handle;
	w->held[w->nheld].from_set = false;
	w->nheld++;
}

/*
 * The completion of the worker's pending asynchronous request: at once if
 * @block is 0, else within 3 s, or cancelled. True if it was granted.
 */
static bool pending_end(struct worker *w, int block)
{
	struct pending *pd = &w->pend;
	struct lockdev_completion c;
	struct pollfd p = { .fd = w->fd, .events = POLLIN };
	bool marked;
	int err;

	if (!pd->on)
		return false;
	if (poll(&p, 1, block ? 3000 : 0) != 1) {
		struct lockdev_cancel cn = { .handle = pd->handle };

		if (!block)
			return false;
		marked = moving(w);
		err = ioctl(w->fd, LOCKDEV_IOC_CANCEL, &cn) ? errno : 0;
		if (!err)
			w->s->cancels++;
		jot(w, 'X', pd->name, pd->mode, pd->start, err);
		moved(w, marked);
	}
	pd->on = false;
	jot(w, 'c', pd->name, pd->mode, pd->start, 0);
	if (read_all(w->fd, &c, sizeof(c))) {
		w->s->unexpected++;
		w->s->last_err = errno;
		w->s->last_op = 4;
		return false;
	}
	if (c.result == -EDEADLK && (c.flags & LOCKDEV_RESULT_CYCLE)) {
		w->s->dl_async++;
		report_cycle(w, K_ASYNC, pd->name, pd->mode, pd->start);
		release_all(w);
		return false;
	}
	if (c.result == -ECANCELED) {
		remember_timeout(w, pd->start, ECANCELED);
		return false;
	}
	if (c.result) {
		w->s->unexpected++;
		w->s->last_err = -c.result;
		w->s->last_op = 5;
		return false;
	}
	hold_new(w, pd->name, pd->mode, pd->handle);
	return true;
}

/* Take one new name: blocking, timed, non-blocking or asynchronous. */
static void take_one(struct worker *w)
{
	struct queued_before qb = { .n = -1 };
	struct lockdev_lock l;
	char name[16];
	int n, how = rnd(w, 100), ret, err;
	__u32 mode = rnd(w, 10) ? rnd_mode(w) : N;
	__u64 start;

	do {
		n = rnd(w, NNAMES);
	} while (is_held(w, n));
	name_of(n, name);
	w->s->ops++;
	if (how < 40) {			/* blocking */
		lock_input(&l, name, mode, 0);
	} else if (how < 65) {		/* timed */
		lock_input(&l, name, mode, LOCKDEV_LOCK_DEADLINE);
		l.deadline_ns = rnd_deadline(w);
	} else if (how < 80) {		/* non-blocking */
		lock_input(&l, name, mode, LOCKDEV_LOCK_NONBLOCK);
	} else if (w->pend.on) {	/* one asynchronous wait at a time */
		lock_input(&l, name, mode, LOCKDEV_LOCK_NONBLOCK);
	} else {			/* asynchronous */
		lock_input(&l, name, mode, LOCKDEV_LOCK_ASYNC);
		l.user_data = n;
	}
	if (how < 80)
		policy_before(w, name, mode, &qb);
	start = now_ns();
	if (how < 40)
		wait_mark(w);
	ret = ioctl(w->fd, LOCKDEV_IOC_LOCK, &l);
	err = errno;
	if (how < 40)
		wait_mark(w);
	jot(w, how < 40 ? 'B' : how < 65 ? 'T' :
	       (l.flags & LOCKDEV_LOCK_ASYNC) ? 'A' : 'N', n, mode, start,
	    ret ? err : 0);

	if (!ret && (l.flags & LOCKDEV_LOCK_ASYNC) &&
	    (l.result & LOCKDEV_RESULT_QUEUED)) {
		w->s->waits++;
		w->pend = (struct pending){
			.on = true, .name = n, .mode = mode,
			.handle = l.handle, .start = start,
		};
		/*
		 * A cycle it closes has completed it already: report that
		 * now, while the cycle's other members wait. Half of the
		 * others wait on while the worker goes on.
		 */
		if (pending_end(w, 0) || !w->pend.on)
			return;
		if (rnd(w, 2))
			w->s->left_waiting++;
		else
			pending_end(w, 1);
		return;
	} else if (ret) {
		if (err == EDEADLK && l.result == LOCKDEV_RESULT_CYCLE) {
			w->s->dl_lock++;
			report_cycle(w, K_LOCK, n, mode, start);
			release_all(w);
		} else if (err == ETIMEDOUT) {
			w->s->timeouts++;
			remember_timeout(w, start, err);
		} else if (err == EAGAIN) {
			w->s->eagains++;
		} else {
			w->s->unexpected++;
			w->s->last_err = err;
			w->s->last_op = 1;
		}
		return;
	}
	hold_new(w, n, mode, l.handle);
	policy_after(w, n, mode, &qb);
}

/* Upgrade a held SHARED or APPEND lock to EXCLUSIVE, blocking or timed. */
static void upgrade_one(struct worker *w)
{
	struct lockdev_convert cv;
	struct held *h = NULL;
	int i, ret, err;
	__u64 start;

	for (i = 0; i < w->nheld; i++)
		if (w->held[i].mode != X && w->held[i].mode != N &&
		    !w->held[i].from_set)
			h = &w->held[i];
	if (!h)
		return;
	w->s->ops++;
	w->s->converts++;
	memset(&cv, 0, sizeof(cv));
	cv.handle = h->handle;
	cv.mode = X;
	if (rnd(w, 2)) {
		cv.flags = LOCKDEV_LOCK_DEADLINE;
		cv.deadline_ns = rnd_deadline(w);
	}
	start = now_ns();
	if (!cv.flags)
		wait_mark(w);
	ret = ioctl(w->fd, LOCKDEV_IOC_CONVERT, &cv);
	err = errno;
	if (!cv.flags)
		wait_mark(w);
	jot(w, 'P', h->name, X, start, ret ? err : 0);
	if (!ret) {
		hold_drop(h->name, h->mode);
		hold_add(w, h->name, X);
		h->mode = X;
		return;
	}
	if (err == EDEADLK && cv.result == LOCKDEV_RESULT_CYCLE) {
		w->s->dl_convert++;
		report_cycle(w, K_CONVERT, h->name, X, start);
		release_all(w);
	} else if (err == ETIMEDOUT) {
		w->s->timeouts++;
		remember_timeout(w, start, err);
	} else {
		w->s->unexpected++;
		w->s->last_err = err;
		w->s->last_op = 2;
	}
}

/*
 * Convert a lock held in NONE to another mode, blocking or timed: it
 * queues as a new request would, so the checker takes it for one.
 */
static void raise_none(struct worker *w)
{
	struct queued_before qb;
	struct lockdev_convert cv;
	struct held *h = NULL;
	__u32 mode = rnd_mode(w);
	char name[16];
	int i, ret, err;
	__u64 start;

	for (i = 0; i < w->nheld; i++)
		if (w->held[i].mode == N)
			h = &w->held[i];
	if (!h)
		return;
	w->s->ops++;
	w->s->raises++;
	memset(&cv, 0, sizeof(cv));
	cv.handle = h->handle;
	cv.mode = mode;
	if (rnd(w, 2)) {
		cv.flags = LOCKDEV_LOCK_DEADLINE;
		cv.deadline_ns = rnd_deadline(w);
	}
	name_of(h->name, name);
	policy_before(w, name, mode, &qb);
	start = now_ns();
	if (!cv.flags)
		wait_mark(w);
	ret = ioctl(w->fd, LOCKDEV_IOC_CONVERT, &cv);
	err = errno;
	if (!cv.flags)
		wait_mark(w);
	jot(w, 'R', h->name, mode, start, ret ? err : 0);
	if (!ret) {
		w->s->grants++;
		hold_add(w, h->name, mode);
		policy_after(w, h->name, mode, &qb);
		h->mode = mode;
	} else if (err == EDEADLK && cv.result == LOCKDEV_RESULT_CYCLE) {
		w->s->dl_convert++;
		report_cycle(w, K_LOCK, h->name, mode, start);
		release_all(w);
	} else if (err == ETIMEDOUT) {
		w->s->timeouts++;
		remember_timeout(w, start, err);
	} else {
		w->s->unexpected++;
		w->s->last_err = err;
		w->s->last_op = 7;
	}
}

/*
 * Downgrade a held lock to a weaker mode, NONE too: it never waits, and
 * may grant waiters at once.
 */
static void downgrade_one(struct worker *w)
{
	struct lockdev_convert cv;
	struct held *h = NULL;
	bool marked;
	int i, ret;
	__u64 start;
	__u32 mode;

	for (i = 0; i < w->nheld; i++)
		if (w->held[i].mode != N)
			h = &w->held[i];
	if (!h)
		return;
	/* A weaker mode: below h->mode in S < A < X, or NONE. */
	mode = rnd(w, h->mode);
	mode = mode ? mode : N;
	w->s->ops++;
	w->s->downgrades++;
	memset(&cv, 0, sizeof(cv));
	cv.handle = h->handle;
	cv.mode = mode;
	/* Counted in the weaker mode before the call, as a release is. */
	marked = moving(w);
	hold_drop(h->name, h->mode);
	hold_add(w, h->name, mode);
	start = now_ns();
	ret = ioctl(w->fd, LOCKDEV_IOC_CONVERT, &cv) ? errno : 0;
	jot(w, 'D', h->name, mode, start, ret);
	if (ret) {
		w->s->unexpected++;
		w->s->last_err = ret;
		w->s->last_op = 6;
	}
	moved(w, marked);
	h->mode = mode;
}

/* A set of two or three names, with nothing held: blocking or timed. */
static void take_set(struct worker *w)
{
	struct lockdev_set_item it[3];
	struct lockdev_lock_set ls;
	char names[3][16];
	int i, ret, err, n = 2 + rnd(w, 2), timed = rnd(w, 2);
	__u64 start = now_ns();
	__u32 modes[3];

	for (i = 0; i < n; i++) {
		name_of(rnd(w, NNAMES), names[i]);
		modes[i] = rnd_mode(w);
		set_item(&it[i], names[i], modes[i], 0);
	}
	w->s->ops++;
	w->s->sets++;
	ret = set_call(w->fd, it, n, timed ? LOCKDEV_LOCK_DEADLINE : 0,
		       timed ? rnd_deadline(w) : 0, &ls);
	err = ret ? errno : 0;
	jot(w, 'S', names[0][1] - '0', modes[0], start, err);
	if (!ret) {
		w->s->grants++;
		for (i = 0; i < n; i++) {
			__u32 mode = modes[i];
			int k, dup = 0;

			for (k = 0; k < w->nheld; k++)
				dup |= w->held[k].handle == it[i].handle;
			if (dup)
				continue;
			/* Items of one name are one request in the strongest. */
			for (k = i + 1; k < n; k++)
				if (it[k].handle == it[i].handle && modes[k] > mode)
					mode = modes[k];
			hold_add(w, names[i][1] - '0', mode);
			w->held[w->nheld].name = names[i][1] - '0';
			w->held[w->nheld].mode = mode;
			w->held[w->nheld].handle = it[i].handle;
			w->held[w->nheld].from_set = true;
			w->nheld++;
		}
		/* The checker's upgrades are of single locks only. */
		return;
	}
	if (err == EDEADLK && ls.result == LOCKDEV_RESULT_CYCLE) {
		w->s->dl_set++;
	} else if (err == ETIMEDOUT) {
		w->s->timeouts++;
		remember_timeout(w, start, ETIMEDOUT);
	} else {
		w->s->unexpected++;
		w->s->last_err = err;
		w->s->last_op = 3;
	}
}

static void __attribute__((noreturn)) worker_main(struct worker *w)
{
	struct lockdev_attach at = { 0 };
	__u32 old;
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(120);
	w->s->pid = getpid();
	w->fd = open_session();
	if (w->fd < 0)
		_exit(10);
	at.name = ptr(sh->space);
	at.name_len = strlen(sh->space);
	at.mode = 0600;
	if (ioctl(w->fd, LOCKDEV_IOC_ATTACH, &at))
		_exit(11);
	/* Levels are 0 anyway; keep the order out of it. */
	if (set_order(w->fd, LOCKDEV_ORDER_OFF, &old))
		_exit(12);
	while (!sh->stop) {
		pending_end(w, 0);
		r = rnd(w, 100);
		if (w->nheld == 0 && !w->pend.on && r < 10)
			take_set(w);
		else if (w->nheld + w->pend.on < MAXHELD && r < 70)
			take_one(w);
		else if (w->nheld && r < 78)
			upgrade_one(w);
		else if (w->nheld && r < 84)
			downgrade_one(w);
		else if (w->nheld && r < 90)
			raise_none(w);
		else
			release_all(w);
		if (rnd(w, 4) == 0)
			usleep(rnd(w, 500));
	}
	pending_end(w, 1);
	release_all(w);
	close(w->fd);
	_exit(0);
}

/* ---- the checker ---- */

struct graph {
	struct locks_line *l;
	int n;
};

static bool waits_on(const struct locks_line *l)
{
	return !strcmp(l->state, "waiting") || !strcmp(l->state, "converting");
}

/*
 * Would the refused upgrade @s, queued ahead of @p's waiting request on
 * the same lock, have made @p wait for it? It would, if they conflict.
 */
static bool behind_upgrade(const struct graph *g, const struct slot *s,
			   long p)
{
	char name[16];
	int i;

	if (s->kind != K_CONVERT)
		return false;
	name_of(s->name, name);
	for (i = 0; i < g->n; i++)
		if (g->l[i].pid == p && !strcmp(g->l[i].name, name) &&
		    !strcmp(g->l[i].state, "waiting") &&
		    !compatible(mode_of(g->l[i].mode), s->mode))
			return true;
	return false;
}

/*
 * Does any of @from reach the session of @s along waits_for edges, or a
 * session that @s's upgrade would have made wait for it? Every session is
 * one worker process here, so pids name sessions.
 */
static bool reaches(const struct graph *g, const long *from, int nfrom,
		    const struct slot *s)
{
	long target = s->pid;
	long queue[4 * MAXW + 64], seen[4 * MAXW + 64];
	int qh = 0, qt = 0, ns = 0, i, j, k;

	for (i = 0; i < nfrom && qt < (int)(sizeof(queue) / sizeof(queue[0])); i++)
		queue[qt++] = from[i];
	while (qh < qt) {
		long p = queue[qh++];

		if (p == target || behind_upgrade(g, s, p))
			return true;
		for (k = 0; k < ns; k++)
			if (seen[k] == p)
				break;
		if (k < ns)
			continue;
		if (ns < (int)(sizeof(seen) / sizeof(seen[0])))
			seen[ns++] = p;
		for (i = 0; i < g->n; i++) {
			if (g->l[i].pid != p || !waits_on(&g->l[i]))
				continue;
			for (j = 0; j < g->l[i].nr_waits &&
			     qt < (int)(sizeof(queue) / sizeof(queue[0])); j++)
				queue[qt++] = g->l[i].waits[j];
		}
	}
	return false;
}

/*
 * The sessions the refused request would have waited for, from the
 * snapshot: other holders incompatible with it, and incompatible requests
 * that would have been queued ahead of it (every queued request for a new
 * one; the waiting upgrades for an upgrade).
 */
static int blockers(const struct graph *g, const struct slot *s, long *out,
		    int max)
{
	char name[16];
	int i, n = 0;

	name_of(s->name, name);
	for (i = 0; i < g->n && n < max; i++) {
		const struct locks_line *l = &g->l[i];

		/* An idle owner-died lock's line blocks nobody. */
		if (strcmp(l->name, name) || l->pid == s->pid ||
		    !strcmp(l->state, "owner-died"))
			continue;
		if (s->kind == K_CONVERT && !strcmp(l->state, "waiting"))
			continue;
		if (!compatible(mode_of(l->mode), s->mode))
			out[n++] = l->pid;
	}
	return n;
}

/* Does the snapshot show @pid waiting for @name (@len bytes)? */
static bool own_wait(const struct graph *g, long pid, const __u8 *name,
		     __u32 len)
{
	char esc[ESC_MAX];
	int i;

	proc_escape(esc, name, len);
	for (i = 0; i < g->n; i++)
		if (g->l[i].pid == pid && waits_on(&g->l[i]) &&
		    !strcmp(g->l[i].name, esc))
			return true;
	return false;
}

/*
 * An upgrade queued ahead makes the waiters behind it wait for its
 * session, so a cycle it closes may run through another wait of the
 * session: add what those wait for to @from.
 */
static int own_waits_for(const struct graph *g, const struct slot *s,
			 long *from, int n, int max)
{
	int i, j;

	for (i = 0; i < g->n; i++) {
		if (g->l[i].pid != s->pid || !waits_on(&g->l[i]))
			continue;
		for (j = 0; j < g->l[i].nr_waits && n < max; j++)
			from[n++] = g->l[i].waits[j];
	}
	return n;
}

/* Does the snapshot show @pid waiting for @name with @next among what it waits for? */
static bool edge(const struct graph *g, long pid, const __u8 *name,
		 __u32 len, long next)
{
	char esc[ESC_MAX];
	int i, j;

	proc_escape(esc, name, len);
	for (i = 0; i < g->n; i++) {
		if (g->l[i].pid != pid || !waits_on(&g->l[i]) ||
		    strcmp(g->l[i].name, esc))
			continue;
		for (j = 0; j < g->l[i].nr_waits; j++)
			if (g->l[i].waits[j] == next)
				return true;
	}
	return false;
}

/* The slot of worker @pid among the first @nw, or NULL. */
static const struct slot *slot_of(long pid, int nw)
{
	int i;

	for (i = 0; i < nw; i++)
		if (sh->w[i].pid == pid)
			return &sh->w[i];
	return NULL;
}

/*
 * Did worker @pid have a wait end by its deadline (or a cancel) since
 * @since, or let go of something while its asynchronous request waited?
 */
static bool timed_out_since(long pid, __u64 since, int nw)
{
	const struct slot *w = slot_of(pid, nw);
	unsigned int nrec;
	__u64 moved;
	int k;

	if (!w)
		return false;
	nrec = __atomic_load_n(&w->nrec, __ATOMIC_ACQUIRE);
	moved = __atomic_load_n(&w->moved_ns, __ATOMIC_SEQ_CST);
	if (moved && moved >= since)
		return true;
	for (k = 0; k < NREC && k < (int)nrec; k++)
		if (__atomic_load_n(&w->rec[k].end_ns, __ATOMIC_ACQUIRE) >= since)
			return true;
	return false;
}

struct tally {
	long reports, verified, excused, failed;
	long members_total, members_max;
};

/*
 * What the module said of member @m of a cycle, and what its worker did
 * around @since: when it last let go of something while its asynchronous
 * request waited, when its last waits ended, and its calls that ended
 * after @since - 300 ms; times in us from @since.
 */
static void log_member(struct __test_metadata *_metadata,
		       const struct lockdev_cycle_member *m, __u64 since,
		       int nw)
{
	char ends[NREC * 24] = "", calls[NJOT * 64] = "", last[40] = "never";
	const struct slot *w = slot_of(m->pid, nw);
	char *p = ends, *q = calls;
	unsigned int k, n;
	__u64 t;

	if (w) {
		t = __atomic_load_n(&w->moved_ns, __ATOMIC_SEQ_CST);
		if (t == MOVING)
			snprintf(last, sizeof(last), "now");
		else if (t)
			snprintf(last, sizeof(last), "%lld us",
				 (long long)(t - since) / 1000);
		n = __atomic_load_n(&w->nrec, __ATOMIC_ACQUIRE);
		for (k = 0; k < NREC && k < n; k++)
			p += sprintf(p, " %lld/%d",
				     (long long)(w->rec[k].end_ns - since) / 1000,
				     w->rec[k].err);
		n = __atomic_load_n(&w->njots, __ATOMIC_ACQUIRE);
		for (k = n > NJOT ? n - NJOT : 0; k < n; k++) {
			const struct jot *j = &w->jots[k % NJOT];

			if (j->end_ns + 300 * MS < since)
				continue;
			q += sprintf(q, " %c:n%d:%s%s:%lld..%lld:%d", j->op,
				     j->name, mode_name(j->mode),
				     j->pending ? "+async" : "",
				     (long long)(j->start_ns - since) / 1000,
				     (long long)(j->end_ns - since) / 1000,
				     j->err);
		}
	}
	TH_LOG("member pid %u flags %#x holds %.16s in %s, waits for %.16s in %s; moved %s; waits ended (us/errno):%s; calls (op:name:mode:us..us:errno):%s",
	       m->pid, m->flags, m->held_name, mode_name(m->held_mode),
	       m->wait_name, mode_name(m->wait_mode), last, ends, calls);
}

/* Check the report of worker @i. False if it was plainly wrong. */
static bool check_report(struct __test_metadata *_metadata, int i, int nw,
			 struct tally *t)
{
	struct slot *s = &sh->w[i];
	struct graph g;
	long from[4 * MAXW + 64];
	bool real, consistent = true, excuse = false;
	char name[16];
	__u32 k, n;
	int nfrom;

	t->reports++;
	g.n = read_locks(s->snap, sh->space, &g.l);
	if (g.n < 0) {
		TH_LOG("worker %d: the snapshot does not parse (%d)", s->pid, g.n);
		t->failed++;
		return false;
	}
	nfrom = blockers(&g, s, from, sizeof(from) / sizeof(from[0]));
	if (s->kind == K_CONVERT)
		nfrom = own_waits_for(&g, s, from, nfrom,
				      sizeof(from) / sizeof(from[0]));
	real = reaches(&g, from, nfrom, s);

	/* The module's own report, against the same snapshot. */
	n = s->nr_members;
	name_of(s->name, name);
	if (s->dl_ret || s->reason != LOCKDEV_RESULT_CYCLE || n < 2 ||
	    s->m[0].pid != (__u32)s->pid || n > NMEM) {
		TH_LOG("worker %d: DEADLOCK ret %d reason %u members %u member 0 pid %u",
		       s->pid, s->dl_ret, s->reason, n, s->m[0].pid);
		consistent = false;
	} else {
		if ((s->m[0].wait_name_len != strlen(name) ||
		     memcmp(s->m[0].wait_name, name, strlen(name))) &&
		    (s->kind != K_CONVERT ||
		     !own_wait(&g, s->pid, s->m[0].wait_name,
			       s->m[0].wait_name_len))) {
			TH_LOG("worker %d: member 0 waits for %.16s, asked %s",
			       s->pid, s->m[0].wait_name, name);
			consistent = false;
		}
		for (k = 0; k < n; k++) {
			const struct lockdev_cycle_member *m = &s->m[k];
			const struct lockdev_cycle_member *nx = &s->m[(k + 1) % n];
			const struct lockdev_cycle_member *pv = &s->m[(k + n - 1) % n];
			int j, found = 0;

			if (pv->wait_name_len != m->held_name_len ||
			    memcmp(pv->wait_name, m->held_name, m->held_name_len)) {
				TH_LOG("worker %d: member %u holds %.16s, member %u waits for %.16s",
				       s->pid, k, m->held_name, (k + n - 1) % n,
				       pv->wait_name);
				consistent = false;
			}
			if (k == 0) {
				for (j = 0; j < nfrom; j++)
					found |= from[j] == (long)nx->pid;
			} else if (nx == &s->m[0] &&
				   (s->m[0].flags & LOCKDEV_MEMBER_QUEUED) &&
				   behind_upgrade(&g, s, m->pid)) {
				/* It waits behind the refused upgrade. */
				found = 1;
			} else {
				found = edge(&g, m->pid, m->wait_name,
					     m->wait_name_len, nx->pid);
			}
			if (!found) {
				/*
				 * A deadline ended its wait, or the request
				 * of the next member that it queued behind.
				 */
				if (k && (timed_out_since(m->pid, s->start_ns, nw) ||
					  (nx != &s->m[0] &&
					   timed_out_since(nx->pid, s->start_ns, nw)))) {
					excuse = true;
				} else if (nx == &s->m[0] &&
					   (s->m[0].flags & LOCKDEV_MEMBER_QUEUED) &&
					   s->kind == K_CONVERT) {
					/*
					 * It waited only behind the refused
					 * upgrade, which never queued: nothing
					 * kept its wait for the snapshot.
					 */
					excuse = true;
				} else {
					TH_LOG("worker %d: member %u (pid %u) does not wait for member %u (pid %u) on %.16s in the snapshot",
					       s->pid, k, m->pid, (k + 1) % n,
					       nx->pid, m->wait_name);
					consistent = false;
				}
			}
		}
		t->members_total += n;
		if ((long)n > t->members_max)
			t->members_max = n;
	}
	if ((!real || !consistent) && !excuse) {
		/*
		 * Any member's deadline may have broken the cycle before the
		 * snapshot; give a wait that just ended the time to be
		 * recorded by its worker.
		 */
		sleep_ms(300);
		for (k = 1; k < n && k < NMEM; k++)
			excuse |= timed_out_since(s->m[k].pid, s->start_ns, nw);
	}
	if (real && consistent) {
		t->verified++;
		free(g.l);
		return true;
	}
	if (excuse) {
		t->excused++;
		free(g.l);
		return true;
	}
	TH_LOG("worker %d asked %s in %s (kind %d): %s; snapshot, %llu us after the request:\n%s",
	       s->pid, name, mode_name(s->mode), s->kind,
	       real ? "the report disagrees with the snapshot" :
	       "no cycle through it in the snapshot",
	       (unsigned long long)(s->snap_ns - s->start_ns) / 1000, s->snap);
	for (k = 0; k < n && k < NMEM; k++)
		log_member(_metadata, &s->m[k], s->start_ns, nw);
	t->failed++;
	free(g.l);
	return false;
}

FIXTURE(stress) {
	int nw;
	pid_t pids[MAXW];
};

FIXTURE_SETUP(stress)
{
	require_lock_feature(_metadata);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	snprintf(sh->space, sizeof(sh->space), "stress_test.%d", getpid());
	self->nw = knob("LOCKDEV_STRESS_WORKERS", 8);
	if (self->nw > MAXW)
		self->nw = MAXW;
}

FIXTURE_TEARDOWN(stress)
{
	int i;

	for (i = 0; i < self->nw; i++)
		if (self->pids[i] > 0) {
			kill(self->pids[i], SIGKILL);
			waitpid(self->pids[i], NULL, 0);
		}
	munmap(sh, sizeof(*sh));
}

TEST_F_TIMEOUT(stress, random_workload, 300)
{
	int run_ms = knob("LOCKDEV_STRESS_MS", 2000);
	unsigned int seed = knob("LOCKDEV_STRESS_SEED", (int)(now_ns() % 1000000) + 1);
	long long cycles0 = stat_value("cycles"), cycles1;
	int rep[2], acks[MAXW][2], i, left, st;
	struct tally t = { 0 };
	struct slot sum = { 0 };
	struct locks_line *l;
	__u64 start, end;
	char b;

	ASSERT_LE(0, cycles0) {
		TH_LOG("no cycles in " STATS);
	}
	ASSERT_EQ(0, pipe2(rep, O_CLOEXEC));
	TH_LOG("%d workers, %d ms, seed %u, lockspace %s", self->nw, run_ms,
	       seed, sh->space);
	for (i = 0; i < self->nw; i++) {
		ASSERT_EQ(0, pipe2(acks[i], O_CLOEXEC));
		fflush(stdout);
		fflush(stderr);
		self->pids[i] = fork();
		ASSERT_LE(0, self->pids[i]);
		if (self->pids[i] == 0) {
			struct worker w = {
				.idx = i, .report = rep[1], .ack = acks[i][0],
				.s = &sh->w[i], .seed = seed * 1000 + i,
			};

			close(rep[0]);
			worker_main(&w);
		}
		close(acks[i][0]);
	}
	close(rep[1]);

	/* Check reports until the time is up, then until every worker is gone. */
	start = now_ns();
	end = start + run_ms * MS;
	left = self->nw;
	while (left) {
		struct pollfd p = { .fd = rep[0], .events = POLLIN };
		__u64 now = now_ns();
		int n;

		if (!sh->stop && now >= end)
			sh->stop = 1;
		if (now > end + 60000 * MS) {
			char *locks = read_file(LOCKS);

			TH_LOG("%d workers still running 60 s after the end: a deadlock nobody was told of?\n%s",
			       left, locks ? locks : "");
			free(locks);
			ASSERT_TRUE(false);
		}
		n = poll(&p, 1, 50);
		if (n == 1 && (p.revents & POLLIN)) {
			if (read(rep[0], &b, 1) != 1)
				continue;
			ASSERT_LT(b, self->nw);
			EXPECT_TRUE(check_report(_metadata, b, self->nw, &t));
			ASSERT_EQ(1, write(acks[(int)b][1], &b, 1));
			continue;
		}
		for (i = 0; i < self->nw; i++) {
			if (self->pids[i] <= 0)
				continue;
			if (waitpid(self->pids[i], &st, WNOHANG) == self->pids[i]) {
				EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) {
					TH_LOG("worker %d ended with status %#x",
					       self->pids[i], st);
				}
				self->pids[i] = 0;
				left--;
			}
		}
	}
	for (i = 0; i < self->nw; i++)
		close(acks[i][1]);
	close(rep[0]);

	for (i = 0; i < self->nw; i++) {
		struct slot *s = &sh->w[i];

		sum.ops += s->ops;
		sum.grants += s->grants;
		sum.timeouts += s->timeouts;
		sum.eagains += s->eagains;
		sum.cancels += s->cancels;
		sum.sets += s->sets;
		sum.converts += s->converts;
		sum.downgrades += s->downgrades;
		sum.raises += s->raises;
		sum.policy_checks += s->policy_checks;
		sum.left_waiting += s->left_waiting;
		sum.dl_lock += s->dl_lock;
		sum.dl_convert += s->dl_convert;
		sum.dl_async += s->dl_async;
		sum.dl_set += s->dl_set;
		sum.unexpected += s->unexpected;
		EXPECT_EQ(0, s->unexpected) {
			TH_LOG("worker %d: %ld unexpected outcomes, the last errno %d in op %d",
			       s->pid, s->unexpected, s->last_err, s->last_op);
		}
	}
	TH_LOG("%ld requests in %llu ms: %ld grants, %ld timeouts, %ld EAGAIN, %ld cancels, %ld sets, %ld upgrades, %ld downgrades, %ld from NONE",
	       sum.ops, (unsigned long long)(now_ns() - start) / MS, sum.grants,
	       sum.timeouts, sum.eagains, sum.cancels, sum.sets, sum.converts,
	       sum.downgrades, sum.raises);
	TH_LOG("asynchronous requests left waiting while their worker went on: %ld",
	       sum.left_waiting);
	TH_LOG("deadlocks detected: %ld (LOCK %ld, CONVERT %ld, async %ld, LOCK_SET %ld)",
	       sum.dl_lock + sum.dl_convert + sum.dl_async + sum.dl_set,
	       sum.dl_lock, sum.dl_convert, sum.dl_async, sum.dl_set);
	TH_LOG("checked: %ld reports, %ld confirmed from /proc, %ld set aside (a deadline ended a wait, a member let go of a lock while its asynchronous request waited, or a wait was only behind the refused upgrade), %ld false; members per cycle: mean %.1f, max %ld",
	       t.reports, t.verified, t.excused, t.failed,
	       t.reports ? (double)t.members_total / t.reports : 0.0,
	       t.members_max);
	EXPECT_EQ(0, t.failed);
	EXPECT_EQ(sum.dl_lock + sum.dl_convert + sum.dl_async, t.reports);
	TH_LOG("grant policy: %ld new requests checked against the queue before them, %d overtook a waiter",
	       sum.policy_checks, sh->overtakes);
	EXPECT_EQ(0, sh->overtakes) {
		TH_LOG("the first: %s", sh->overtake);
	}
	EXPECT_EQ(0, sh->clashes) {
		TH_LOG("%d grants next to an incompatible hold; the first: %s",
		       sh->clashes, sh->clash);
	}
	for (i = 0; i < NNAMES * 3; i++)
		EXPECT_EQ(0, sh->holds[i / 3][i % 3]);

	/* Everything is free again, and every deadlock was counted. */
	cycles1 = stat_value("cycles");
	EXPECT_EQ(cycles0 + sum.dl_lock + sum.dl_convert + sum.dl_async +
		  sum.dl_set, cycles1);
	EXPECT_EQ(0, wait_stat("holders", 0));
	EXPECT_EQ(0, wait_stat("waiters", 0));
	i = read_locks(NULL, sh->space, &l);
	EXPECT_EQ(0, i) {
		TH_LOG("%d lines of %s left in " LOCKS, i, sh->space);
	}
	free(l);
}

/* The checker itself: it confirms a real cycle and refuses a made-up one. */
TEST(checker_self_test)
{
	static const char real[] =
		"# lockdev locks 1\n# columns\n"
		"sp n0 0 exclusive held 100 w 1 0 5 - 1\n"
		"sp n1 0 exclusive held 200 w 1 0 6 - 2\n"
		"sp n0 0 append waiting 200 w 1 0 5 100 2\n"
		"sp n1 0 shared waiting 300 w 1 0 6 200 3\n";
	static const char none[] =
		"# lockdev locks 1\n# columns\n"
		"sp n0 0 exclusive held 100 w 1 0 5 - 1\n"
		"sp n1 0 exclusive held 200 w 1 0 6 - 2\n"
		"sp n1 0 shared waiting 300 w 1 0 6 200 3\n"
		"sp n2 0 shared waiting 200 w 1 0 7 400 2\n";
	struct tally t = { 0 };
	struct slot *s;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	strcpy(sh->space, "sp");
	s = &sh->w[0];
	s->pid = 100;
	sh->w[1].pid = 200;
	s->kind = K_LOCK;
	s->name = 1;
	s->mode = X;
	s->reason = LOCKDEV_RESULT_CYCLE;
	s->nr_members = 2;
	s->m[0].pid = 100;
	s->m[0].held_name_len = s->m[0].wait_name_len = 2;
	memcpy(s->m[0].held_name, "n0", 3);
	memcpy(s->m[0].wait_name, "n1", 3);
	s->m[1].pid = 200;
	s->m[1].held_name_len = s->m[1].wait_name_len = 2;
	memcpy(s->m[1].held_name, "n1", 3);
	memcpy(s->m[1].wait_name, "n0", 3);

	strcpy(s->snap, real);
	EXPECT_TRUE(check_report(_metadata, 0, 2, &t));
	EXPECT_EQ(1, t.verified);
	/* Member 1 waits for something else: no cycle, and the report lies. */
	strcpy(s->snap, none);
	EXPECT_FALSE(check_report(_metadata, 0, 2, &t));
	EXPECT_EQ(1, t.failed);
	/* Unless member 1's deadline ended its wait after the request began. */
	s->start_ns = 1000;
	sh->w[1].rec[0].end_ns = 2000;
	sh->w[1].nrec = 1;
	EXPECT_TRUE(check_report(_metadata, 0, 2, &t));
	EXPECT_EQ(1, t.excused);
	/*
	 * Or it let go of something while its asynchronous request waited,
	 * after the request began, or is doing so still; not before.
	 */
	sh->w[1].nrec = 0;
	sh->w[1].moved_ns = 500;
	EXPECT_FALSE(check_report(_metadata, 0, 2, &t));
	EXPECT_EQ(2, t.failed);
	sh->w[1].moved_ns = MOVING;
	EXPECT_TRUE(check_report(_metadata, 0, 2, &t));
	sh->w[1].moved_ns = 1500;
	EXPECT_TRUE(check_report(_metadata, 0, 2, &t));
	EXPECT_EQ(3, t.excused);
	munmap(sh, sizeof(*sh));
}

/* The safety count: it takes compatible holds and refuses the others. */
TEST(safety_self_test)
{
	struct slot s = { .pid = 100 };
	struct worker w = { .s = &s };

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	memset(sh, 0, sizeof(*sh));
	hold_add(&w, 0, S);
	hold_add(&w, 0, S);
	hold_add(&w, 0, A);
	hold_add(&w, 1, X);
	EXPECT_EQ(0, sh->clashes);
	hold_add(&w, 0, A);
	EXPECT_EQ(1, sh->clashes);
	EXPECT_NE(NULL, strstr(sh->clash, "n0 in append"));
	hold_drop(0, A);
	hold_add(&w, 1, S);
	EXPECT_EQ(2, sh->clashes);
	hold_drop(1, S);
	hold_drop(1, X);
	hold_add(&w, 1, S);
	EXPECT_EQ(2, sh->clashes);
	hold_add(&w, 0, X);
	EXPECT_EQ(3, sh->clashes);
	munmap(sh, sizeof(*sh));
}

TEST_HARNESS_MAIN
