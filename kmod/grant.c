// SPDX-License-Identifier: GPL-2.0
/*
 * The grant and wait engine: the compatibility of modes, the grant policy,
 * the queue, waits and their deadlines, asynchronous completions, and the
 * one path by which a new request or a conversion is granted or queued.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "class.h"
#include "grant.h"
#include "graph.h"
#include "hold.h"
#include "params.h"
#include "request.h"
#include "session.h"
#include "space.h"
#include "stats.h"
#include "table.h"
#include "user.h"

/**
 * ld_req_want() - the mode a request holds, or waits for while queued
 * @req: the request
 *
 * Return: a LOCKDEV_MODE_*.
 */
u32 ld_req_want(const struct ld_req *req)
{
	return req->state == LD_CONVERTING ? req->want : req->mode;
}

/**
 * ld_queued_mask() - the modes asked for by the waiters of a lock before one
 * @lk: the lock
 * @stop: the waiter to stop at, or NULL for all of them
 *
 * Context: @lk->lock held.
 * Return: LD_MODE_BIT()s of the modes.
 */
u32 ld_queued_mask(const struct ld_lock *lk, const struct list_head *stop)
{
	const struct ld_wait *w;
	u32 mask = 0;

	list_for_each_entry(w, &lk->waiters, wnode) {
		if (&w->wnode == stop)
			break;
		mask |= LD_MODE_BIT(ld_req_want(w->req));
	}
	return mask;
}

/* An upgrade of a held mode, which queues ahead of new requests. */
static bool ld_req_upgrading(const struct ld_req *req)
{
	return req->state == LD_CONVERTING && req->mode != LOCKDEV_MODE_NONE;
}

/**
 * ld_upgrade_pos() - where an upgrade queues: after the upgrades queued
 * @lk: the lock
 *
 * Context: @lk->lock held.
 * Return: the waiter it queues ahead of, or @lk->waiters.
 */
struct list_head *ld_upgrade_pos(struct ld_lock *lk)
{
	struct ld_wait *w;

	list_for_each_entry(w, &lk->waiters, wnode)
		if (!ld_req_upgrading(w->req))
			return &w->wnode;
	return &lk->waiters;
}

/**
 * ld_visit_blockers() - visit each request a wait depends on
 * @lk: the lock
 * @want: the mode asked for
 * @self: the request itself when it holds @lk already, or NULL
 * @stop: the waiters from here on are not ahead of the request
 * @visit: its fn is called for each incompatible holder, then each
 *	incompatible waiter ahead, with its arg; a true return stops the walk
 *
 * Context: @lk->lock held, or ld_graph(@lk) held and @lk has waiters.
 * Return: true if the visit was ended early.
 */
bool ld_visit_blockers(struct ld_lock *lk, u32 want,
		       const struct ld_req *self, const struct list_head *stop,
		       const struct ld_visit *visit)
{
	struct ld_wait *w;
	struct ld_req *r;

	list_for_each_entry(r, &lk->holders, hnode)
		if (r != self && !READ_ONCE(r->releasing) &&
		    !ld_compatible(want, LD_MODE_BIT(r->mode)) &&
		    visit->fn(r, false, visit->arg))
			return true;
	list_for_each_entry(w, &lk->waiters, wnode) {
		if (&w->wnode == stop)
			break;
		r = w->req;
		if (r != self &&
		    !ld_compatible(want, LD_MODE_BIT(ld_req_want(r))) &&
		    visit->fn(r, true, visit->arg))
			return true;
	}
	return false;
}

/**
 * ld_fill_entry() - describe a holder or waiter as the caller sees it
 * @e: the entry to fill
 * @r: the request
 * @queued: @r as a waiter; else as a holder, which an upgrade waiting in
 *	the queue also is: in the mode it holds, and LD_HELD
 * @now: the clocks, for its age
 */
void ld_fill_entry(struct lockdev_entry *e, const struct ld_req *r,
		   bool queued, const struct ld_now *now)
{
	memset(e, 0, sizeof(*e));
	e->session = r->sess->id;
	e->age_ns = ld_req_age(r, queued, now);
	e->pid = ld_req_pid(r, task_active_pid_ns(current));
	e->mode = queued ? ld_req_want(r) : r->mode;
	e->state = queued ? r->state : LD_HELD;
	e->level = r->level;
	ld_req_comm(r, (char *)e->comm);
}

/**
 * ld_req_pid() - the process that asked for a request, as @ns sees it
 * @r: the request
 * @ns: the pid namespace
 *
 * Return: its pid, or 0 if @ns cannot see it or it has exited.
 */
pid_t ld_req_pid(const struct ld_req *r, struct pid_namespace *ns)
{
	return pid_has_task(r->pid, PIDTYPE_TGID) ? pid_nr_ns(r->pid, ns) : 0;
}

/**
 * ld_req_comm() - the comm of the process that asked, or "-" once exited
 * @r: the request
 * @buf: TASK_COMM_LEN bytes to fill, NUL-padded
 *
 * The comm is the process's now, read when shown rather than kept with
 * every request.
 */
void ld_req_comm(const struct ld_req *r, char *buf)
{
	struct task_struct *task;

	rcu_read_lock();
	task = pid_task(r->pid, PIDTYPE_TGID);
	strscpy_pad(buf, task ? task->comm : "-", TASK_COMM_LEN);
	rcu_read_unlock();
}

struct ld_fill {
	struct ld_args *args;
	struct ld_now now;
};

static bool ld_fill_one(struct ld_req *r, bool queued, void *arg)
{
	struct ld_fill *f = arg;
	struct ld_args *a = f->args;

	if (a->nr_entries < a->max_entries)
		ld_fill_entry(&a->entries[a->nr_entries], r, queued, &f->now);
	a->nr_entries++;
	return false;
}

/**
 * ld_fill_all() - describe every holder, then every waiter, of a lock
 * @lk: the lock
 * @a: its entries are filled
 *
 * Context: @lk->lock held.
 */
void ld_fill_all(struct ld_lock *lk, struct ld_args *a)
{
	struct ld_fill f = { .args = a };
	struct ld_wait *w;
	struct ld_req *r;

	lockdep_assert_held(&lk->lock);
	ld_now_read(&f.now);
	list_for_each_entry(r, &lk->holders, hnode)
		if (!r->releasing)
			ld_fill_one(r, false, &f);
	list_for_each_entry(w, &lk->waiters, wnode)
		ld_fill_one(w->req, true, &f);
}

/* Report the requests that block a request in @a's entries. */
static void ld_fill_blockers(struct ld_lock *lk, u32 want,
			     const struct ld_req *self,
			     const struct list_head *stop, struct ld_args *a)
{
	struct ld_fill f = { .args = a };
	struct ld_visit visit = { .fn = ld_fill_one, .arg = &f };

	lockdep_assert_held(&lk->lock);
	ld_now_read(&f.now);
	a->nr_entries = 0;
	ld_visit_blockers(lk, want, self, stop, &visit);
}

/**
 * ld_unqueue() - take a request off its lock's queue, ungranted
 * @req: the request, waiting or converting
 * @result: why, a negative errno
 *
 * A conversion falls back to its old mode, held.
 *
 * Context: ld_graph() and @req->lk->lock held.
 */
void ld_unqueue(struct ld_req *req, int result)
{
	lockdep_assert_held(ld_graph(req->lk));
	lockdep_assert_held(&req->lk->lock);
	/* Back to NONE, it counts in its session's class summary no more. */
	if (req->state == LD_CONVERTING && req->mode == LOCKDEV_MODE_NONE)
		ld_class_leave(req);
	list_del_init(&req->wait->wnode);
	list_del_init(&req->wait->gnode);
	atomic_dec(&req->sess->user->waiters);
	ld_stat_dec(waiters);
	/* Pairs with the waiter's smp_load_acquire() in ld_wait(). */
	smp_store_release(&req->state,
			  req->state == LD_CONVERTING ? LD_HELD : LD_DONE);
}

/**
 * ld_wait_finish() - end the blocking wait of a request
 * @req: the request, whose task sleeps in ld_wait()
 * @result: 0 (granted) or a negative errno
 *
 * The task then returns with @result without taking a lock.
 *
 * Context: @req->lk->lock held.
 */
void ld_wait_finish(struct ld_req *req, int result)
{
	struct ld_wait *w = req->wait;
	struct task_struct *task = w->task;

	lockdep_assert_held(&req->lk->lock);
	w->result = result;
	w->generation = req->lk->generation;
	w->flags = req->lk->owner_died ? LOCKDEV_RESULT_OWNER_DIED : 0;
	w->task = NULL;
	ld_wait_reset(req);
	/*
	 * Pairs with smp_load_acquire() in ld_wait(): from here on the waiter
	 * may return, and @w on its stack be gone. Its task_struct is freed
	 * only after an RCU grace period, which holding @lk->lock defers.
	 */
	smp_store_release(&w->finished, true);
	wake_up_process(task);
}

/**
 * ld_complete() - post the completion of an asynchronous request
 * @req: the request, whose wait ended
 * @result: 0 or a negative errno
 *
 * Context: @req->lk->lock held.
 */
void ld_complete(struct ld_req *req, int result)
{
	struct ld_async *as = ld_req_async(req);
	struct ld_completion *c = as->done;

	lockdep_assert_held(&req->lk->lock);
	as->done = NULL;
	c->rec.user_data = as->user_data;
	c->rec.handle = req->handle;
	c->rec.generation = req->lk->generation;
	c->rec.result = result;
	if (result == -EDEADLK)
		c->rec.flags = LOCKDEV_RESULT_CYCLE;
	else
		c->rec.flags = !result && req->lk->owner_died ?
			       LOCKDEV_RESULT_OWNER_DIED : 0;
	ld_session_post(req->sess, c);
}

static void ld_timeout_disarm(struct ld_req *req);

/* Grant a waiting request or conversion, and tell its waiter. */
static void ld_grant(struct ld_req *req)
{
	struct ld_lock *lk = req->lk;
	bool starts = req->state != LD_CONVERTING ||
		      req->mode == LOCKDEV_MODE_NONE;
	/* One clock read for the end of the wait and the start of the hold. */
	u64 now = starts ? ld_since(lk) : 0;

	lockdep_assert_held(ld_graph(lk));
	lockdep_assert_held(&lk->lock);
	list_del_init(&req->wait->wnode);
	list_del_init(&req->wait->gnode);
	atomic_dec(&req->sess->user->waiters);
	ld_stat_dec(waiters);
	ld_stat_inc(contended);
	if (starts)
		ld_class_waited(lk, req->wait->since, now);
	if (req->state == LD_CONVERTING) {
		if (!starts)
			ld_stat_inc(grants);
		ld_convert_at(req, req->want, now);
		/* Pairs with the waiter's smp_load_acquire() in ld_wait(). */
		smp_store_release(&req->state, LD_HELD);
	} else {
		ld_hold_at(req, now);
	}
	if (req->wait->task) {
		ld_wait_finish(req, 0);
	} else {
		ld_timeout_disarm(req);
		ld_complete(req, 0);
	}
}

/**
 * ld_grant_waiters() - grant what the queue allows
 * @lk: the lock
 *
 * Grants, in queue order, each waiter compatible with the holders and with
 * every earlier waiter still queued.
 *
 * Context: ld_graph(@lk) and @lk->lock held.
 */
void ld_grant_waiters(struct ld_lock *lk)
{
	struct ld_wait *ww, *tmp;
	struct ld_req *w, *self;
	u32 queued = 0, want;

	lockdep_assert_held(ld_graph(lk));
	lockdep_assert_held(&lk->lock);
	list_for_each_entry_safe(ww, tmp, &lk->waiters, wnode) {
		w = ww->req;
		want = ld_req_want(w);
		self = w->state == LD_CONVERTING ? w : NULL;
		if (ld_compatible(want, queued) &&
		    ld_compatible(want, ld_holders_mask(lk, self)) &&
		    ld_cl_allows(lk, want)) {
			ld_grant(w);
			continue;
		}
		queued |= LD_MODE_BIT(want);
		/*
		 * No waiter asks for NONE, and EXCLUSIVE, waiting or held,
		 * blocks every other mode: the rest of the queue stays. So a
		 * call costs the waiters up to the first EXCLUSIVE that waits,
		 * not the whole queue, each time a hand-over is finished.
		 */
		if ((queued | ld_holders_mask(lk, NULL)) &
		    LD_MODE_BIT(LOCKDEV_MODE_EXCLUSIVE))
			break;
	}
}

/* A deadline as a ktime; anything from KTIME_MAX on is none. */
static ktime_t ld_deadline(u64 deadline_ns)
{
	return deadline_ns >= KTIME_MAX ? KTIME_MAX : ns_to_ktime(deadline_ns);
}

/* Jiffies from now to @deadline, at most MAX_JIFFY_OFFSET; 0 if past. */
static unsigned long ld_deadline_delay(ktime_t deadline)
{
	ktime_t now = ktime_get();

	if (ktime_compare(deadline, now) <= 0)
		return 0;
	return min_t(u64, nsecs_to_jiffies(ktime_sub(deadline, now)) + 1,
		     MAX_JIFFY_OFFSET);
}

/* Arm the deadline of a queued asynchronous request. */
static void ld_timeout_arm(struct ld_req *req, u64 deadline_ns)
{
	struct ld_async *as = ld_req_async(req);

	lockdep_assert_held(ld_graph(req->lk));
	lockdep_assert_held(&req->lk->lock);
	as->deadline = ld_deadline(deadline_ns);
	refcount_inc(&req->ref);
	as->armed = true;
	queue_delayed_work(system_wq, &as->dwork,
			   ld_deadline_delay(as->deadline));
}

/* The request ended otherwise: drop the timer's reference if it was armed. */
static void ld_timeout_disarm(struct ld_req *req)
{
	if (req->async && ld_req_async(req)->armed &&
	    cancel_delayed_work(&ld_req_async(req)->dwork))
		refcount_dec(&req->ref);
}

/**
 * ld_async_cancel() - end a queued asynchronous request
 * @req: the request, waiting
 * @result: -ECANCELED, or -ETIMEDOUT when its deadline passed, for its
 *	completion
 * @post: post its completion; not when the LOCK that queued it fails
 *
 * Context: ld_graph() and @req->lk->lock held.
 * Return: what ld_req_end() returns.
 */
bool ld_async_cancel(struct ld_req *req, int result, bool post)
{
	if (result == -ETIMEDOUT)
		ld_stat_inc(timeouts);
	else
		ld_stat_inc(cancels);
	ld_timeout_disarm(req);
	ld_unqueue(req, result);
	if (post)
		ld_complete(req, result);
	ld_grant_waiters(req->lk);
	return ld_req_end(req);
}

/**
 * ld_wait_abort() - end a queued request or conversion with an error
 * @req: the request, waiting or converting
 * @result: the negative errno its waiter or its completion gets
 *
 * As a cancel ends it, but without granting the waiters behind it: the
 * caller ends them all (a lockspace's forced removal). A conversion falls
 * back to its held mode. An asynchronous request posts its completion and
 * stays in its session's slot, ended, until the session forgets it when it
 * closes: nothing but the session may forget it while it is open.
 *
 * Context: ld_graph() and @req->lk->lock held.
 * Return: what ld_req_end() returns for a new request, else false.
 */
bool ld_wait_abort(struct ld_req *req, int result)
{
	bool blocking = req->wait->task;
	bool converting = req->state == LD_CONVERTING;
	bool over = false;

	ld_stat_inc(cancels);
	if (!blocking)
		ld_timeout_disarm(req);
	ld_unqueue(req, result);
	/* First: once told, a blocking waiter may free @req at once. */
	if (!converting)
		over = ld_req_end(req);
	if (blocking)
		ld_wait_finish(req, result);
	else
		ld_complete(req, result);
	return over;
}

/* The deadline of a queued asynchronous request passed, or seems to. */
static void ld_timeout_fn(struct work_struct *work)
{
	struct ld_async *as = container_of(to_delayed_work(work),
					   struct ld_async, dwork);
	struct ld_req *req = &as->req;
	struct ld_lock *lk = req->lk;
	bool over = false, ended = false;
	unsigned long delay;

	/* A waiting request stays waiting, and its lock alive, under it. */
	ld_graph_lock(lk->space);
	delay = ld_deadline_delay(as->deadline);
	/*
	 * Timers fire early for far deadlines: wait on, same reference, which
	 * a grant may drop as soon as the mutex is: hold one until after it.
	 */
	if (req->state == LD_WAITING && delay &&
	    queue_delayed_work(system_wq, &as->dwork, delay)) {
		refcount_inc(&req->ref);
		ld_graph_unlock(lk->space);
		ld_req_put(req);
		return;
	}
	if (req->state == LD_WAITING) {
		spin_lock(&lk->lock);
		over = ld_async_cancel(req, -ETIMEDOUT, true);
		spin_unlock(&lk->lock);
		ended = true;
	}
	ld_graph_unlock(lk->space);
	ld_space_trim_if(lk->space, over);
	if (ended)
		ld_req_forget(req);
	ld_req_put(req);
}

/**
 * ld_async_disarm_sync() - stop the deadline of a request, waiting for it
 * @req: the request, of a closing session
 *
 * Context: may sleep.
 */
void ld_async_disarm_sync(struct ld_req *req)
{
	if (req->async && ld_req_async(req)->armed &&
	    cancel_delayed_work_sync(&ld_req_async(req)->dwork))
		refcount_dec(&req->ref);
}

/* Sleep until @w finishes, a signal or the deadline of @a. */
static int ld_sleep(struct ld_wait *w, const struct ld_args *a)
{
	bool timed = a->flags & LOCKDEV_LOCK_DEADLINE;
	ktime_t deadline = ld_deadline(a->deadline_ns);
	int ret = 0;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		/* Pairs with smp_store_release() in ld_wait_finish(). */
		if (smp_load_acquire(&w->finished))
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (timed && ktime_compare(ktime_get(), deadline) >= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (timed)
			schedule_hrtimeout_range(&deadline,
						 current->timer_slack_ns,
						 HRTIMER_MODE_ABS);
		else
			schedule();
	}
	__set_current_state(TASK_RUNNING);
	return ret;
}

/**
 * ld_wait() - wait for a queued request or conversion
 * @req: the request
 * @w: its wait; passed because a grant may clear @req->wait before this
 *	even starts
 * @state: LD_WAITING or LD_CONVERTING, as queued
 * @a: its arguments: the deadline; the outputs of a grant are filled
 *
 * Giving up is settled under the locks, where a grant that raced with it
 * stands. A new request that ends ungranted leaves its lock's class summary;
 * the caller forgets it.
 *
 * Context: may sleep; no lock held.
 * Return: 0 if granted, else -ERESTARTSYS, -ETIMEDOUT, -ECANCELED.
 */
int ld_wait(struct ld_req *req, struct ld_wait *w, u8 state,
	    struct ld_args *a)
{
	struct ld_lock *lk = req->lk;
	bool over = false;
	int ret;

	ret = ld_sleep(w, a);
	/* Pairs with smp_store_release() in ld_wait_finish(). */
	if (smp_load_acquire(&w->finished))
		goto finished;

	/* Unfinished under the mutex, the request is queued: @lk is alive. */
	ld_graph_lock(lk->space);
	if (w->finished) {
		ld_graph_unlock(lk->space);
		goto finished;
	}
	spin_lock(&lk->lock);
	if (ret == -ETIMEDOUT) {
		ld_fill_blockers(lk, ld_req_want(req),
				 state == LD_CONVERTING ? req : NULL,
				 &w->wnode, a);
		ld_stat_inc(timeouts);
	} else {
		ld_stat_inc(cancels);
	}
	ld_unqueue(req, ret);
	ld_grant_waiters(lk);
	if (state == LD_WAITING)
		over = ld_req_end(req);
	w->task = NULL;
	ld_wait_reset(req);
	spin_unlock(&lk->lock);
	ld_graph_unlock(lk->space);
	ld_space_trim_if(lk->space, over);
	return ret;

finished:
	if (w->result)
		return w->result;
	a->handle = req->handle;
	a->generation = w->generation;
	a->result = w->flags;
	if (a->want_value) {
		spin_lock(&lk->lock);
		a->result |= ld_lock_value(lk, a->value);
		spin_unlock(&lk->lock);
	}
	return 0;
}

/**
 * ld_enqueue() - queue a request or conversion that is not granted at once
 * @req: a new request, or a held one converting (then @self is @req)
 * @want: the mode asked for
 * @self: @req when it holds the lock already, else NULL
 * @pos: where it queues (ld_queue_pos())
 * @a: the call's flags and deadline; EAGAIN and EDEADLK fill its outputs
 * @wait: the wait of a blocking request, on the caller's stack and not
 *	initialized: it is set up here, once the request queues
 *
 * The one path by which new requests and conversions wait: NONBLOCK fails,
 * a wait that would close a cycle fails, the uid's waiter limit applies,
 * and the request joins the queue and its session's waits.
 *
 * Context: ld_graph() and @req->lk->lock held.
 * Return: 0 if queued, or -EIDRM (its lockspace was removed), -EAGAIN,
 * -EDEADLK or -EDQUOT.
 */
int ld_enqueue(struct ld_req *req, u32 want, struct ld_req *self,
	       struct list_head *pos, struct ld_args *a, struct ld_wait *wait)
{
	struct ld_session *sess = req->sess;
	struct ld_lock *lk = req->lk;
	int ret;

	lockdep_assert_held(ld_graph(lk));
	lockdep_assert_held(&lk->lock);
	/* Pairs with ld_lock_space_abort(), under the same graph mutex. */
	if (READ_ONCE(lk->space->removed))
		return -EIDRM;
	if (a->flags & LOCKDEV_LOCK_NONBLOCK) {
		/* Only the DLM's cover is missing: the caller may ask it. */
		if (lk->space->cl &&
		    ld_compatible(want, ld_holders_mask(lk, self) |
					    ld_queued_mask(lk, pos))) {
			refcount_inc(&lk->ref);
			a->cl_lk = lk;
		}
		ld_fill_blockers(lk, want, self, pos, a);
		ld_stat_inc(eagains);
		return -EAGAIN;
	}
	ret = ld_graph_check(sess, lk, req, want, self, pos, &a->report);
	if (ret) {
		a->reason = LOCKDEV_RESULT_CYCLE;
		ld_stat_inc(cycles);
		ld_stat_inc(deadlocks);
		return ret;
	}
	if (!ld_user_charge(&sess->user->waiters,
			    READ_ONCE(ld_max_waiters_per_user)))
		return -EDQUOT;
	/* A conversion waits on its caller's stack, also an async request's. */
	if (!req->async || self) {
		*wait = (struct ld_wait){};
		req->wait = wait;
	}
	req->wait->req = req;
	req->wait->task = req->async && !self ? NULL : current;
	req->wait->finished = false;
	req->wait->since = ld_since(lk);
	/* Each wait is reported once, a conversion's too. */
	req->told &= ~LD_TOLD_WAIT;
	list_add_tail(&req->wait->wnode, pos);
	list_add_tail(&req->wait->gnode, &sess->waiting);
	if (self) {
		req->want = want;
		req->state = LD_CONVERTING;
		/* Out of NONE, it counts in its session's class summary. */
		if (req->mode == LOCKDEV_MODE_NONE)
			ld_class_enter(req);
	} else {
		req->state = LD_WAITING;
	}
	ld_stat_inc(waiters);
	if (req->async && !self && (a->flags & LOCKDEV_LOCK_DEADLINE))
		ld_timeout_arm(req, a->deadline_ns);
	if (lk->space->cl)
		ld_cl_kick(lk);
	return 0;
}

/**
 * ld_async_alloc() - a new asynchronous request
 * @sess: its session
 * @user_data: for its completion
 * @err: set when it fails
 *
 * With its wait, deadline and completion. The completion is reserved now and
 * charged to the uid until read() or the request's end frees it.
 *
 * Return: the request, zeroed but for those, or NULL with *@err set to
 * -EDQUOT (unread completions of the uid) or -ENOMEM.
 */
struct ld_req *ld_async_alloc(struct ld_session *sess, u64 user_data,
			      int *err)
{
	atomic_t *charge = &sess->user->completions;
	struct ld_async *as;

	*err = -EDQUOT;
	if (!ld_user_charge(charge, READ_ONCE(ld_max_waiters_per_user)))
		return NULL;
	*err = -ENOMEM;
	as = kzalloc(sizeof(*as), GFP_KERNEL_ACCOUNT);
	if (!as)
		goto err;
	as->done = kzalloc(sizeof(*as->done), GFP_KERNEL_ACCOUNT);
	if (!as->done) {
		kfree(as);
		goto err;
	}
	ld_stat_add(memory, ksize(as) + ksize(as->done));
	INIT_LIST_HEAD(&as->wait.wnode);
	INIT_LIST_HEAD(&as->wait.gnode);
	as->wait.req = &as->req;
	as->user_data = user_data;
	INIT_DELAYED_WORK(&as->dwork, ld_timeout_fn);
	as->req.async = true;
	as->req.wait = &as->wait;
	return &as->req;

err:
	atomic_dec(charge);
	return NULL;
}

/* ld_async_drop_done() of an asynchronous request. */
void __ld_async_drop_done(struct ld_req *req)
{
	struct ld_async *as = ld_req_async(req);

	if (!as->done)
		return;
	ld_stat_add(memory, -(long)ksize(as->done));
	kfree(as->done);
	as->done = NULL;
	atomic_dec(&req->sess->user->completions);
}

/**
 * ld_async_free() - free an asynchronous request
 * @req: the request, whose last reference went
 */
void ld_async_free(struct ld_req *req)
{
	struct ld_async *as = ld_req_async(req);

	ld_stat_add(memory, -(long)ksize(as));
	kfree(as);
}
