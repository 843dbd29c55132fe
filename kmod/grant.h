/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The grant policy (grant.c): the requests of sessions on locks, their
 * states and modes, which modes are compatible, the queue of waiters and
 * conversions, the waits of blocking and asynchronous requests and their
 * completions. A request's lock's spinlock and its lockspace's graph mutex
 * guard it (locking.h).
 */
#ifndef LOCKDEV_KMOD_GRANT_H
#define LOCKDEV_KMOD_GRANT_H

#include <linux/container_of.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/pid.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include <uapi/linux/lockdev.h>

#include "table.h"

struct ld_report;
struct ld_session;
struct pid_namespace;

/* Bits of the modes, for masks of modes present. */
#define LD_MODE_BIT(mode)	(1U << (mode))

/* States of a request, as in the uapi header, plus the end. */
#define LD_HELD		LOCKDEV_STATE_HELD
#define LD_WAITING	LOCKDEV_STATE_WAITING
#define LD_CONVERTING	LOCKDEV_STATE_CONVERTING
#define LD_DONE		0

/*
 * struct ld_req - one request of a session for one lock: a grant, a waiting
 * request, or a grant with a waiting upgrade. Kept small: it is most of what
 * a held lock costs.
 * @lk: the lock. Set once, before the request is visible on the lock.
 * @sess: the session. Immutable.
 * @handle: the session's handle for it, its slot and the slot's
 *	generation (session.c). Immutable.
 * @ref: the session's reference, plus one per task in a call on it and one
 *	while an asynchronous deadline is armed.
 * @level: the request's level. Immutable.
 * @hnode: in @lk->holders while held. @lk->lock.
 * @state: LD_HELD, LD_WAITING, LD_CONVERTING or LD_DONE. @lk->lock, and
 *	ld_graph() while waiting or converting; read with
 *	smp_load_acquire() by the sleeping waiter.
 * @mode: the held mode, or the one asked for while waiting. @lk->lock;
 *	a downgrade that hands its grants over (ld_graph_defer()) changes it
 *	under a graph walk, so it is written with WRITE_ONCE() and the walk
 *	reads it with READ_ONCE().
 * @want: the mode an upgrade asks for while converting. @lk->lock.
 * @async: asynchronous; @wait is then its struct ld_async. Immutable.
 * @releasing: an UNLOCK has claimed it. @lk->lock; written with
 *	WRITE_ONCE(), and read with READ_ONCE() by a graph walk. A request
 *	whose release was handed over (ld_graph_defer()) stays on
 *	@lk->holders, released, uncounted and LD_DONE, until the graph
 *	mutex's holder takes it off: whoever reads @lk->holders skips it.
 * @told: LD_TOLD_* bits: the events already sent about it. @lk->lock.
 * @since: ld_since() when granted its mode. @lk->lock.
 * @pid: the process that asked. Immutable. Referenced by the request if
 *	@own_pid, else it is the session's @pid, which outlives the request's
 *	time on its lock's lists.
 * @own_pid: the request holds the reference of @pid.
 * @handed: an UNLOCK or a downgrade of it found ld_graph() taken and handed
 *	the grant of its lock's waiters over to that mutex's holder
 *	(ld_graph_defer()): it is on its lockspace's @released, by @gone, or
 *	@released_async, by its struct ld_async's @gone, until that holder
 *	takes it off. @lk->lock.
 * @wait: while waiting or converting, its wait; else, for an asynchronous
 *	request, its struct ld_async's (ld_wait_reset()). @lk->lock.
 * @gone: instead of @wait, while @handed and not @async.
 */
struct ld_req {
	struct ld_lock *lk;
	struct ld_session *sess;
	u64 handle;
	refcount_t ref;
	u32 level;
	struct list_head hnode;
	u8 state;
	u8 mode;
	u8 want;
	bool async;
	bool releasing;
	u8 told;
	bool own_pid;
	bool handed;
	u64 since;
	struct pid *pid;
	union {
		struct ld_wait *wait;
		struct llist_node gone;
	};
};

/* Bits of ld_req.told. */
#define LD_TOLD_HELD	0x1	/* held too long */
#define LD_TOLD_WAIT	0x2	/* waited too long */

/*
 * struct ld_wait - a queued request's wait
 * @wnode: in the waiters of its request's lock. The lock's lock.
 * @gnode: in ld_session.waiting. ld_graph().
 * @req: the request.
 * @task: the task sleeping for a blocking request. @req->lk->lock.
 * @finished: another task ended the wait; the fields below are its result.
 *	Written under @req->lk->lock with smp_store_release().
 * @result: 0 (granted) or a negative errno.
 * @flags: LOCKDEV_RESULT_* of the grant.
 * @bfs_pos: the request's place in its lock's queue, counted from 0 by the
 *	wait-for graph walk that last numbered the lock. ld_graph().
 * @generation: the lock's generation at the grant.
 * @since: ld_since() when queued, as a new request or a conversion.
 *	@req->lk->lock.
 * @bfs_gen: in the wait of a lock's first waiter, the graph walk (graph.c)
 *	that last numbered the lock's waiters and scanned the lock; the two
 *	fields below are that walk's marks. ld_graph().
 * @bfs_held: LD_MODE_BIT()s of the modes for which that walk has visited
 *	the lock's incompatible holders. ld_graph().
 * @bfs_upto: per mode (index mode - 1), the waiter ahead of which that walk
 *	has visited the lock's incompatible waiters, or NULL. ld_graph().
 *
 * A blocking request's lives on its waiter's stack, and the waiter returns
 * as soon as it sees @finished, without taking a lock.
 */
struct ld_wait {
	struct list_head wnode;
	struct list_head gnode;
	struct ld_req *req;
	struct task_struct *task;
	bool finished;
	int result;
	u32 flags;
	u32 bfs_pos;
	u64 generation;
	u64 since;
	u64 bfs_gen;
	u8 bfs_held;
	struct ld_req *bfs_upto[3];
};

/*
 * struct ld_completion - a completion waiting to be read
 * @node: in ld_session.done. ld_session.lock.
 * @rec: what read() returns.
 */
struct ld_completion {
	struct list_head node;
	struct lockdev_completion rec;
};

/*
 * struct ld_async - an asynchronous request: the request and what it needs
 *	besides, allocated and freed as one
 * @req: the request.
 * @wait: its wait as a new request; a conversion of it waits on the stack
 *	of its caller, as any other does.
 * @user_data: for its completion. Immutable.
 * @done: its completion, reserved at submission, posted when the wait
 *	ends. @wait.req->lk->lock.
 * @dwork: its deadline's work; it queues itself again when a timer of a
 *	far deadline fired early.
 * @deadline: the deadline (CLOCK_MONOTONIC), KTIME_MAX for none. Set when
 *	armed, under the lockspace's graph mutex, and read under it.
 * @armed: @dwork was queued and holds a reference to the request.
 * @gone: while the request is @handed, in its lockspace's @released_async.
 */
struct ld_async {
	struct ld_req req;
	struct ld_wait wait;
	u64 user_data;
	struct ld_completion *done;
	struct delayed_work dwork;
	ktime_t deadline;
	bool armed;
	struct llist_node gone;
};

/* The asynchronous part of an asynchronous request. */
static inline struct ld_async *ld_req_async(struct ld_req *req)
{
	return container_of(req, struct ld_async, req);
}

/*
 * ld_wait_reset() - a request's wait ended: point @req->wait back at its
 * own, an asynchronous request's, or at none
 */
static inline void ld_wait_reset(struct ld_req *req)
{
	req->wait = req->async ? &ld_req_async(req)->wait : NULL;
}

/*
 * What a lock, convert or unlock request asks, and what it gets back;
 * @report is a deadlock or order report for the caller to keep, @old_mode
 * the mode a conversion started from, @value the value block of a grant
 * when @want_value or the one to set when @set_value, with @value_room the
 * room allocated for it should the lock have none yet; @cl_lk, referenced,
 * a lock of a cluster lockspace that a NONBLOCK request found not covered
 * by the DLM alone (ld_cl_try()).
 */
struct ld_args {
	u32 mode;
	u32 flags;
	u32 level;
	u64 deadline_ns;
	u64 user_data;
	struct lockdev_entry *entries;
	bool want_entries;
	u32 max_entries;
	u32 nr_entries;
	u32 result;
	u64 handle;
	u64 generation;
	u32 reason;
	u32 old_mode;
	struct ld_report *report;
	bool want_value;
	bool set_value;
	u8 *value_room;
	struct ld_lock *cl_lk;
	u8 value[LOCKDEV_VALUE_LEN];
};

/* The rank of a mode: NONE < SHARED < APPEND < EXCLUSIVE. */
static inline u32 ld_mode_rank(u32 mode)
{
	return mode == LOCKDEV_MODE_NONE ? 0 : mode;
}

/* The grant and wait engine (grant.c). */
u32 ld_req_want(const struct ld_req *req);
u32 ld_queued_mask(const struct ld_lock *lk, const struct list_head *stop);
struct list_head *ld_upgrade_pos(struct ld_lock *lk);
void ld_unqueue(struct ld_req *req, int result);
void ld_wait_finish(struct ld_req *req, int result);
void ld_grant_waiters(struct ld_lock *lk);
int ld_enqueue(struct ld_req *req, u32 want, struct ld_req *self,
	       struct list_head *pos, struct ld_args *a, struct ld_wait *wait);
int ld_wait(struct ld_req *req, struct ld_wait *w, u8 state,
	    struct ld_args *a);
void ld_complete(struct ld_req *req, int result);
/**
 * ld_coarse_ns() - the coarse clock: the last tick, in ns
 *
 * jiffies in ns: one load and a multiplication, with no seqcount loop and
 * no timespec arithmetic, where ktime_get_coarse_ns() has both, and inline
 * where HZ divides a second, where jiffies64_to_nsecs() is a call. It
 * counts from an arbitrary origin, so only differences of two readings mean
 * anything: the ages of holds and waits, and how long a lock has been idle.
 */
static inline u64 ld_coarse_ns(void)
{
#if !(NSEC_PER_SEC % HZ)
	return get_jiffies_64() * (NSEC_PER_SEC / HZ);
#else
	return jiffies64_to_nsecs(get_jiffies_64());
#endif
}

/**
 * ld_since() - when a hold or wait of a lock starts
 * @lk: the lock
 *
 * A lock with a class takes local_clock(), the clock of the kernel's own
 * lock_stat: nanoseconds for its lock_stat times, and no clocksource read.
 * Any other lock takes the coarse clock (the last tick), which costs no
 * clock read at all and does for the ages /proc shows in milliseconds.
 * The two clocks differ, so an age is taken with ld_req_age().
 *
 * Return: the time in ns, in the clock of @lk.
 */
static inline u64 ld_since(const struct ld_lock *lk)
{
	return lk->class ? local_clock() : ld_coarse_ns();
}

/* Both clocks of ld_since(), read once for the ages of many requests. */
struct ld_now {
	u64 fine;
	u64 coarse;
};

static inline void ld_now_read(struct ld_now *now)
{
	now->fine = local_clock();
	now->coarse = ld_coarse_ns();
}

/* The age at @now of @since; local_clock() of two CPUs may differ a bit. */
static inline u64 ld_age(u64 now, u64 since)
{
	return now > since ? now - since : 0;
}

/*
 * The age at @now of @r's hold, or if @queued, of its wait (as a new request
 * or a conversion). Context: @r->lk->lock held.
 */
static inline u64 ld_req_age(const struct ld_req *r, bool queued,
			     const struct ld_now *now)
{
	return ld_age(r->lk->class ? now->fine : now->coarse,
		      queued ? r->wait->since : r->since);
}

void ld_fill_entry(struct lockdev_entry *e, const struct ld_req *r,
		   bool queued, const struct ld_now *now);
pid_t ld_req_pid(const struct ld_req *r, struct pid_namespace *ns);
void ld_req_comm(const struct ld_req *r, char *buf);
void ld_fill_all(struct ld_lock *lk, struct ld_args *a);
struct ld_req *ld_async_alloc(struct ld_session *sess, u64 user_data,
			      int *err);
void __ld_async_drop_done(struct ld_req *req);

/**
 * ld_async_drop_done() - free an unneeded reserved completion
 * @req: the request, asynchronous or not
 *
 * Frees the reserved completion of an asynchronous request that will post
 * none (granted at once, or ending), and its charge (__ld_async_drop_done()).
 * Its session is alive, and the request cannot end under the caller: it
 * holds its lock, or owns it.
 */
static inline void ld_async_drop_done(struct ld_req *req)
{
	if (req->async)
		__ld_async_drop_done(req);
}

void ld_async_free(struct ld_req *req);
bool ld_async_cancel(struct ld_req *req, int result, bool post);
bool ld_wait_abort(struct ld_req *req, int result);
void ld_async_disarm_sync(struct ld_req *req);

/*
 * A visit of requests: fn(request, queued, arg), where queued says it blocks
 * as a waiter rather than as a holder; a true return ends the visit.
 */
struct ld_visit {
	bool (*fn)(struct ld_req *req, bool queued, void *arg);
	void *arg;
};

bool ld_visit_blockers(struct ld_lock *lk, u32 want,
		       const struct ld_req *self, const struct list_head *stop,
		       const struct ld_visit *visit);

/*
 * The grant engine's fast path: what every uncontended LOCK and CONVERT
 * asks, inline.
 */

/**
 * ld_compatible() - is a mode compatible with every mode of a set
 * @mode: the mode asked for
 * @mask: LD_MODE_BIT()s of the modes present
 *
 * SHARED is compatible with SHARED, APPEND and NONE; APPEND with SHARED and
 * NONE; EXCLUSIVE with NONE; NONE with every mode.
 *
 * Return: true if @mode may coexist with each of them.
 */
static inline bool ld_compatible(u32 mode, u32 mask)
{
	const u32 none = LD_MODE_BIT(LOCKDEV_MODE_NONE);
	const u32 shared = LD_MODE_BIT(LOCKDEV_MODE_SHARED);
	u32 ok;

	switch (mode) {
	case LOCKDEV_MODE_SHARED:
		ok = shared | LD_MODE_BIT(LOCKDEV_MODE_APPEND) | none;
		break;
	case LOCKDEV_MODE_APPEND:
		ok = shared | none;
		break;
	case LOCKDEV_MODE_EXCLUSIVE:
		ok = none;
		break;
	default:
		return true;
	}
	return !(mask & ~ok);
}

/* The modes held on @lk, not counting one hold of @self if given. */
static inline u32 ld_holders_mask(const struct ld_lock *lk,
				  const struct ld_req *self)
{
	u32 mask = 0, mode;

	for (mode = LOCKDEV_MODE_SHARED; mode <= LOCKDEV_MODE_NONE; mode++)
		if (ld_nr(lk, mode) > (self && self->mode == mode))
			mask |= LD_MODE_BIT(mode);
	return mask;
}

/**
 * ld_queue_pos() - where a request for @lk queues
 * @lk: the lock
 * @self: a held request converting, or NULL for a new request
 *
 * A conversion from NONE queues as a new request does, at the tail.
 *
 * Context: @lk->lock held.
 * Return: the waiter it queues ahead of, or @lk->waiters.
 */
static inline struct list_head *ld_queue_pos(struct ld_lock *lk,
					     const struct ld_req *self)
{
	if (!self || self->mode == LOCKDEV_MODE_NONE)
		return &lk->waiters;
	return ld_upgrade_pos(lk);
}

/**
 * ld_grantable() - may a request be granted now, without queueing
 * @lk: the lock
 * @want: the mode asked for
 * @self: the request when it holds @lk already, or NULL
 * @pos: where it would queue
 *
 * Context: @lk->lock held; ld_graph(@lk) too if @lk has waiters.
 * Return: true if @want is compatible with the holders and with every
 * waiter ahead of @pos.
 */
static inline bool ld_grantable(struct ld_lock *lk, u32 want,
				const struct ld_req *self,
				const struct list_head *pos)
{
	u32 mask = ld_holders_mask(lk, self);

	if (!list_empty(&lk->waiters))
		mask |= ld_queued_mask(lk, pos);
	return ld_compatible(want, mask) && ld_cl_allows(lk, want);
}

/**
 * ld_fill_grant() - the outputs of a grant: handle, generation, result, value
 * @req: the request, granted
 * @a: its arguments
 *
 * Context: @req->lk->lock held.
 */
static inline void ld_fill_grant(const struct ld_req *req, struct ld_args *a)
{
	struct ld_lock *lk = req->lk;

	a->handle = req->handle;
	a->generation = lk->generation;
	a->result = lk->owner_died ? LOCKDEV_RESULT_OWNER_DIED : 0;
	if (a->want_value)
		a->result |= ld_lock_value(lk, a->value);
}

#endif /* LOCKDEV_KMOD_GRANT_H */
