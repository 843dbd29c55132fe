// SPDX-License-Identifier: GPL-2.0
/*
 * Requests: what a session asks of a lock, from LOCK to UNLOCK. Each
 * call's path through the lock table (table.c) and the grant engine
 * (grant.c): acquisition, release, cancel, owner-died and its repair, and
 * the end of a closing session's requests; conversions are in convert.c,
 * QUERY and LIST in query.c. The lock order and the invariant that lets
 * the uncontended path take only the lock's own spinlock are in locking.h.
 */
#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "class.h"
#include "compat.h"
#include "grant.h"
#include "graph.h"
#include "hold.h"
#include "params.h"
#include "report.h"
#include "request.h"
#include "request_shared.h"
#include "session.h"
#include "space.h"
#include "space_levels.h"
#include "stats.h"
#include "table.h"
#include "user.h"

static struct kmem_cache *ld_req_cache;

/* The process asking: the session's own, or one the request references. */
static void ld_req_set_pid(struct ld_req *req)
{
	struct pid *pid = task_tgid(current);

	if (pid == req->sess->pid) {
		req->pid = pid;
	} else {
		req->pid = get_pid(pid);
		req->own_pid = true;
	}
}

/*
 * A zeroed request that is not asynchronous: the spare of the lockspace of
 * @sess (ld_req_put_spare()) or a new one.
 */
static struct ld_req *ld_req_alloc(struct ld_session *sess)
{
	struct ld_req *req = xchg(&sess->space->spare, NULL);

	if (req) {
		memset(req, 0, sizeof(*req));
		return req;
	}
	req = kmem_cache_zalloc(ld_req_cache, GFP_KERNEL_ACCOUNT);
	if (req)
		ld_stat_add(memory, sizeof(*req));
	return req;
}

/*
 * A new request of @sess, charged to its uid, with a handle: asynchronous
 * if @a asks. NULL with *@err set if a limit or memory forbids.
 */
static struct ld_req *ld_req_new(struct ld_session *sess,
				 const struct ld_args *a, int *err)
{
	struct ld_req *req;

	if (a->flags & LOCKDEV_LOCK_ASYNC) {
		req = ld_async_alloc(sess, a->user_data, err);
		if (!req)
			return NULL;
	} else {
		req = ld_req_alloc(sess);
		if (!req) {
			*err = -ENOMEM;
			return NULL;
		}
	}
	req->sess = sess;
	refcount_set(&req->ref, 1);
	INIT_LIST_HEAD(&req->hnode);
	req->mode = a->mode;
	req->level = a->level;
	ld_req_set_pid(req);
	*err = -EDQUOT;
	if (!ld_user_charge(&sess->user->locks,
			    READ_ONCE(ld_max_locks_per_user)))
		goto err_drop;
	*err = ld_slot_alloc(sess, req);
	if (*err) {
		atomic_dec(&sess->user->locks);
		goto err_drop;
	}
	if (req->level)
		atomic_inc(&sess->nr_ranked);
	return req;

err_drop:
	ld_async_drop_done(req);
	ld_req_put(req);
	return NULL;
}

/* Free a request that is not asynchronous. */
static void ld_req_free(struct ld_req *req)
{
	ld_stat_add(memory, -(long)sizeof(*req));
	kmem_cache_free(ld_req_cache, req);
}

/**
 * __ld_req_put() - free a request whose last reference was dropped
 * @req: the request
 * @spare: where a request that is not asynchronous may stay, if that is
 *	empty, rather than be freed; or NULL
 */
void __ld_req_put(struct ld_req *req, struct ld_req **spare)
{
	if (req->lk)
		ld_lock_put(req->lk);
	if (req->own_pid)
		put_pid(req->pid);
	if (req->async)
		ld_async_free(req);
	else if (!spare || cmpxchg(spare, NULL, req))
		ld_req_free(req);
}

/*
 * ld_req_put() in a call of @sess, alive, and so its lockspace: the request
 * the last reference frees becomes the lockspace's spare if it has none,
 * for the next request made in it (ld_req_alloc()), which then costs no
 * allocation and no memory cgroup charge. The spare is counted in the
 * module's memory, one per lockspace at most, until the lockspace's last
 * session leaves it, or it goes (ld_req_spare_free()).
 */
static void ld_req_put_spare(struct ld_session *sess, struct ld_req *req)
{
	if (refcount_dec_and_test(&req->ref))
		__ld_req_put(req, &sess->space->spare);
}

/**
 * ld_req_spare_free() - free the spare request of a lockspace
 * @spare: the spare, taken from its lockspace, or NULL
 */
void ld_req_spare_free(struct ld_req *spare)
{
	if (spare)
		ld_req_free(spare);
}

/* Give back what a request that ends was charged: its completion, rank, uid. */
static __always_inline void ld_req_uncharge(struct ld_session *sess,
					    struct ld_req *req)
{
	ld_async_drop_done(req);
	if (req->level)
		atomic_dec(&sess->nr_ranked);
	atomic_dec(&sess->user->locks);
}

/**
 * ld_req_forget() - forget a request that ended
 * @req: the request; the caller's reference is dropped
 *
 * Its charge, then its handle. Once the handle is gone the session may be
 * freed (its teardown finds only what is in its slots), so nothing of the
 * session is touched after that.
 */
void ld_req_forget(struct ld_req *req)
{
	struct ld_session *sess = req->sess;

	ld_req_uncharge(sess, req);
	ld_slot_free(sess, req);
	ld_req_put(req);
}

/**
 * ld_req_end() - a queued new request ends without a grant
 * @req: the request
 *
 * Context: @req->lk->lock held.
 * Return: what ld_lock_rest() returns.
 */
bool ld_req_end(struct ld_req *req)
{
	lockdep_assert_held(&req->lk->lock);
	ld_class_leave(req);
	return ld_lock_rest(req->lk);
}

/* The request of @sess on @lk, held or queued, or NULL. */
static __always_inline struct ld_req *
ld_lock_find_req(struct ld_lock *lk, const struct ld_session *sess)
{
	struct ld_wait *w;
	struct ld_req *r;

	lockdep_assert_held(&lk->lock);
	list_for_each_entry(r, &lk->holders, hnode)
		if (r->sess == sess && !r->releasing)
			return r;
	list_for_each_entry(w, &lk->waiters, wnode)
		if (w->req->sess == sess)
			return w->req;
	return NULL;
}

/**
 * ld_acquire_check() - learn the class edges and check the order
 * @sess: the session
 * @req: a new request, or a conversion from NONE
 * @a: its arguments; in warn mode an order report is kept in the session
 *
 * Context: may sleep; no lock held.
 * Return: 0, or the order check's error.
 */
int ld_acquire_check(struct ld_session *sess, struct ld_req *req,
		     struct ld_args *a)
{
	int ret;

	ld_class_learn(sess, req->lk);
	ret = ld_order_check(sess, req, a);
	if (!ret && a->report) {
		/*
		 * Warn mode: keep the order report now, so that a deadlock
		 * report of the same request does not take its place.
		 */
		ld_report_keep(sess, a->report);
		a->report = NULL;
	}
	return ret;
}

/*
 * The slow half of LOCK: under the graph mutex, grant or queue, and wait.
 * Returns with no lock held, having unpinned @lk.
 */
static int ld_acquire_queue(struct ld_req *req, struct ld_args *a)
	__releases(&req->lk->lock)
{
	struct ld_wait wait __uninitialized;
	struct ld_lock *lk = req->lk;
	bool over = false;
	int ret;

	ld_lock_regraph(lk);
	lk->busy--;
	/*
	 * Another thread of the session may have asked for @lk while its
	 * spinlock was dropped: that one's request stands, not this one.
	 */
	ret = ld_lock_find_req(lk, req->sess) ? -EALREADY : 0;
	if (!ret && ld_grantable(lk, a->mode, NULL, &lk->waiters)) {
		ld_hold(req);
		ld_fill_grant(req, a);
		ld_async_drop_done(req);
		ld_lock_leave(lk, true, false);
		return 0;
	}
	if (!ret)
		ret = ld_enqueue(req, a->mode, NULL, &lk->waiters, a, &wait);
	if (ret == -EDEADLK && req->async) {
		/* An asynchronous request learns it from its completion. */
		a->handle = req->handle;
		a->result = LOCKDEV_RESULT_QUEUED;
		ld_complete(req, ret);
		ret = 1;
	}
	if (ret) {
		over = ld_req_end(req);
		ld_lock_leave(lk, true, over);
		ld_req_forget(req);
		return ret > 0 ? 0 : ret;
	}
	if (req->async) {
		a->handle = req->handle;
		a->result = LOCKDEV_RESULT_QUEUED;
		ld_lock_leave(lk, true, false);
		return 0;
	}
	refcount_inc(&req->ref);
	ld_lock_leave(lk, true, false);
	ret = ld_wait(req, &wait, LD_WAITING, a);
	if (ret)
		ld_req_forget(req);
	ld_req_put(req);
	return ret;
}

/* ld_lock_acquire() but for its report. */
static int ld_acquire(struct ld_session *sess, const u8 *name, u32 len,
		      struct ld_args *a)
{
	bool over, created, unmade;
	struct ld_req *req;
	struct ld_lock *lk;
	int ret;

	ret = ld_session_space(sess, ld_mode_needs(a->mode));
	if (ret)
		return ret;
	if (!a->level)
		a->level = ld_space_level(sess->space, name, len);
	req = ld_req_new(sess, a, &ret);
	if (!req)
		return ret;
	lk = ld_lock_make(sess->space, name, len, &ret, &created);
	if (!lk) {
		ld_req_forget(req);
		return ret;
	}
	__acquire(&lk->lock);
	/* The lock's reference becomes the request's; the pin keeps it busy. */
	WRITE_ONCE(req->lk, lk);
	/*
	 * A request the session already has on @lk is EALREADY before
	 * anything else: it teaches no class edge and breaks no order.
	 */
	ret = ld_lock_find_req(lk, sess) ? -EALREADY : 0;
	/*
	 * Not a LOCK in NONE, which grants nothing: its conversion from NONE
	 * is checked as a new request.
	 */
	if (!ret && req->mode != LOCKDEV_MODE_NONE &&
	    ld_acquire_checks(sess, req)) {
		spin_unlock(&lk->lock);
		ret = ld_acquire_check(sess, req, a);
		spin_lock(&lk->lock);
		/* Another thread of the session may have asked meanwhile. */
		if (!ret && ld_lock_find_req(lk, sess))
			ret = -EALREADY;
	}
	if (ret) {
		lk->busy--;
		unmade = created && ld_lock_unmake(lk);
		over = !unmade && ld_lock_rest(lk);
		ld_lock_leave(lk, false, over);
		if (unmade)
			ld_lock_remove(lk);
		ld_req_forget(req);
		return ret;
	}
	ld_class_enter(req);
	if (list_empty(&lk->waiters) && ld_grantable(lk, a->mode, NULL, NULL)) {
		lk->busy--;
		ld_hold(req);
		ld_fill_grant(req, a);
		/* Under the lock: once it is dropped, another thread may unlock. */
		ld_async_drop_done(req);
		spin_unlock(&lk->lock);
		return 0;
	}
	return ld_acquire_queue(req, a);
}

/**
 * ld_cl_try_again() - ask the DLM for a NONBLOCK request's cover
 * @a: the request, which failed only for want of its lock's DLM cover if
 *	@a->cl_lk is set (ld_cl_try())
 * @until: when to give up asking, in jiffies; 0 before the first ask
 *
 * Context: may sleep; no lock held.
 * Return: true to make the request again.
 */
bool ld_cl_try_again(struct ld_args *a, unsigned long *until)
{
	struct ld_lock *lk = a->cl_lk;
	int ret;

	if (likely(!lk))
		return false;
	a->cl_lk = NULL;
	ret = ld_cl_try(lk, a->mode, until);
	ld_lock_put(lk);
	return !ret;
}

/**
 * ld_lock_acquire() - LOCKDEV_IOC_LOCK
 * @sess: the session
 * @name: the lock's name
 * @len: its length
 * @a: the request; its outputs are filled as the uapi header says, and on
 *	EDEADLK its result says why
 *
 * Context: may sleep.
 * Return: 0 or a negative errno of the uapi header's list.
 */
int ld_lock_acquire(struct ld_session *sess, const u8 *name, u32 len,
		    struct ld_args *a)
{
	unsigned long until = 0;
	int ret;

	do {
		a->reason = 0;
		a->report = NULL;
		a->cl_lk = NULL;
		ret = ld_acquire(sess, name, len, a);
	} while (ret == -EAGAIN && ld_cl_try_again(a, &until));
	if (ret == -EDEADLK)
		a->result = a->reason;
	else if (!ret)
		a->result |= a->reason & LOCKDEV_RESULT_ORDER;
	if (a->report) {
		if (ret)
			a->report->handle = 0;
		ld_report_keep(sess, a->report);
		a->report = NULL;
	}
	return ret;
}

/**
 * ld_req_lookup_name() - the session's request for a lock, by its name
 * @sess: the session
 * @name: the lock's name
 * @len: its length
 *
 * Return: the request, held or queued, referenced; or NULL.
 */
struct ld_req *ld_req_lookup_name(struct ld_session *sess, const u8 *name,
				  u32 len)
{
	struct ld_req *req;
	struct ld_lock *lk;

	/* Pairs with ld_session_bind()'s smp_store_release(). */
	if (!smp_load_acquire(&sess->space))
		return NULL;
	lk = ld_lock_get(sess->space, name, len);
	if (!lk)
		return NULL;
	spin_lock(&lk->lock);
	req = ld_lock_find_req(lk, sess);
	if (req)
		refcount_inc(&req->ref);
	spin_unlock(&lk->lock);
	ld_lock_put(lk);
	return req;
}

/*
 * Release a held request, claimed by its caller. @died: its session went
 * away without unlocking. A pending upgrade of it, by another thread, ends
 * with ECANCELED. Returns what ld_lock_rest() returns.
 */
static __always_inline bool
ld_release_locked(struct ld_req *req, bool died, bool graph)
{
	struct ld_lock *lk = req->lk;

	lockdep_assert_held(&lk->lock);
	if (req->state == LD_CONVERTING) {
		ld_stat_inc(cancels);
		ld_unqueue(req, -ECANCELED);
		ld_wait_finish(req, -ECANCELED);
	}
	list_del_init(&req->hnode);
	ld_hold_end(req, died);
	/* Pairs with the waiter's smp_load_acquire() in ld_wait(). */
	smp_store_release(&req->state, LD_DONE);
	if (graph)
		ld_grant_waiters(lk);
	return ld_lock_rest(lk);
}

/* ld_release_locked() for a request whose lock the caller has not locked. */
static void ld_release(struct ld_req *req, bool died)
{
	struct ld_lock *lk = req->lk;
	bool graph = false, over;

	spin_lock(&lk->lock);
	if (!list_empty(&lk->waiters)) {
		ld_lock_regraph(lk);
		graph = true;
	}
	over = ld_release_locked(req, died, graph);
	ld_lock_leave(lk, graph, over);
	ld_req_forget(req);
}

/* UNLOCK's checks of @req, under its lock's spinlock: 0 or a negative errno. */
static int ld_release_check(const struct ld_req *req, const struct ld_args *a)
{
	/* Of threads unlocking one request, one wins. */
	if (!ld_req_held(req))
		return -ENOLCK;
	if (a && a->set_value && req->mode != LOCKDEV_MODE_APPEND &&
	    req->mode != LOCKDEV_MODE_EXCLUSIVE)
		return -EPERM;
	return 0;
}

/*
 * The end of a request UNLOCK released, in the caller's call on @sess:
 * found by @named, it is forgotten (ld_req_forget()) and the reference of
 * the lookup is left; found by handle, its handle is gone already, and the
 * reference its slot kept is left. That one goes to the lockspace's spare.
 */
static __always_inline void ld_release_end(struct ld_session *sess,
					   struct ld_req *req, bool named)
{
	if (named)
		ld_req_forget(req);
	else
		ld_req_uncharge(sess, req);
	ld_req_put_spare(sess, req);
}

/**
 * ld_lock_release() - LOCKDEV_IOC_UNLOCK
 * @sess: the session
 * @handle: the grant's handle, or 0 to go by @name
 * @name: the lock's name
 * @len: its length
 * @a: with @a->set_value, the value to set and its room
 *
 * By handle, the request is found and claimed under the session's slot
 * lock and its lock's spinlock, and its handle taken away there: the call
 * takes no reference and the slot lock once. A release that grants waiters
 * needs the lockspace's graph mutex; if another task holds it, the release
 * is handed over to that task (ld_graph_defer()) rather than wait for it.
 * Only a hold with a pending upgrade, by another thread, waits for it: the
 * upgrade is cancelled under it.
 *
 * Return: 0, -ENOLCK if the session does not hold it, -EPERM if it would
 * set the value without holding the lock in APPEND or EXCLUSIVE.
 */
int ld_lock_release(struct ld_session *sess, u64 handle, const u8 *name,
		    u32 len, struct ld_args *a)
{
	bool named = !handle, graph = false, over;
	unsigned long *room = NULL;
	struct ld_req *req;
	struct ld_lock *lk;
	u32 cap = 0;
	int ret;

	if (named) {
		req = ld_req_lookup_name(sess, name, len);
		if (!req)
			return -ENOLCK;
		lk = req->lk;
		spin_lock(&lk->lock);
		ret = ld_release_check(req, a);
	} else {
		spin_lock(&sess->slot_lock);
		req = ld_slot_find(sess, handle);
		if (!req) {
			spin_unlock(&sess->slot_lock);
			return -ENOLCK;
		}
		lk = req->lk;
		spin_lock(&lk->lock);
		ret = ld_release_check(req, a);
		if (!ret)
			room = ld_slot_clear(sess, req, &cap);
		spin_unlock(&sess->slot_lock);
	}
	if (ret) {
		spin_unlock(&lk->lock);
		if (named)
			ld_req_put(req);
		return ret;
	}
	WRITE_ONCE(req->releasing, true);
	if (a && a->set_value)
		ld_lock_set_value(lk, a);
	if (!list_empty(&lk->waiters)) {
		/* A trylock never waits, so it may nest in lk->lock. */
		graph = mutex_trylock(ld_graph(lk));
		/*
		 * Taken: hand the release over rather than wait. A pending
		 * upgrade is cancelled under ld_graph().
		 */
		if (!graph && req->state == LD_HELD) {
			ld_hold_end(req, false);
			req->state = LD_DONE;
			ld_graph_defer(req);
			spin_unlock(&lk->lock);
			ld_release_end(sess, req, named);
			ld_graph_kick(sess->space);
			goto out;
		}
		if (!graph) {
			ld_lock_regraph(lk);
			graph = true;
		}
	}
	over = ld_release_locked(req, false, graph);
	ld_lock_leave(lk, graph, over);
	ld_release_end(sess, req, named);
out:
	ld_slot_room_free(room, cap);
	return 0;
}

/**
 * ld_lock_cancel() - LOCKDEV_IOC_CANCEL
 * @sess: the session
 * @handle: the queued asynchronous request
 * @post: post its completion (ECANCELED); not when the LOCK that queued it
 *	fails, whose caller never learned its handle
 *
 * Return: 0, or -ENOENT if no queued request has @handle.
 */
int ld_lock_cancel(struct ld_session *sess, u64 handle, bool post)
{
	struct ld_req *req = ld_slot_get(sess, handle);
	bool over = false;
	struct ld_lock *lk;
	int ret = -ENOENT;

	if (!req)
		return ret;
	lk = req->lk;
	/* A waiting request stays waiting, and its lock alive, under it. */
	ld_graph_lock(lk->space);
	if (req->async && req->state == LD_WAITING) {
		spin_lock(&lk->lock);
		over = ld_async_cancel(req, -ECANCELED, post);
		spin_unlock(&lk->lock);
		ret = 0;
	}
	ld_graph_unlock(lk->space);
	ld_space_trim_if(lk->space, over);
	if (!ret)
		ld_req_forget(req);
	ld_req_put(req);
	return ret;
}

/**
 * ld_lock_consistent() - LOCKDEV_IOC_CONSISTENT
 * @sess: the session
 * @handle: the grant's handle, or 0 to go by @name
 * @name: the lock's name
 * @len: its length
 *
 * Return: 0, -ENOLCK if not held, -EPERM if not held in EXCLUSIVE.
 */
int ld_lock_consistent(struct ld_session *sess, u64 handle, const u8 *name,
		       u32 len)
{
	struct ld_req *req = ld_req_lookup(sess, handle, name, len);
	struct ld_user *died = NULL;
	struct ld_lock *lk;
	int ret = 0;

	if (!req)
		return -ENOLCK;
	lk = req->lk;
	spin_lock(&lk->lock);
	if (!ld_req_held(req))
		ret = -ENOLCK;
	else if (req->mode != LOCKDEV_MODE_EXCLUSIVE)
		ret = -EPERM;
	else
		died = ld_lock_repaired(lk);
	spin_unlock(&lk->lock);
	ld_died_user_put(died);
	ld_req_put(req);
	return ret;
}

/*
 * Cancel every wait of a closing session in one hold of its lockspace's
 * graph mutex, taken without finishing the hand-overs queued before: grants
 * to a request with waiters need the mutex, so none of the session's
 * requests can be granted once it is held, and none is left queued when
 * ld_graph_unlock() finishes them.
 */
static void ld_session_unwait(struct ld_session *sess)
{
	struct ld_space *space = sess->space;
	struct ld_wait *w;
	struct ld_req *req;
	struct ld_lock *lk;
	bool over = false;

	if (!space)
		return;
	mutex_lock(&space->graph_mutex);
	while ((w = list_first_entry_or_null(&sess->waiting, struct ld_wait,
					     gnode))) {
		req = w->req;
		lk = req->lk;
		spin_lock(&lk->lock);
		ld_stat_inc(cancels);
		ld_unqueue(req, -ECANCELED);
		ld_grant_waiters(lk);
		if (req->state == LD_DONE)
			over |= ld_req_end(req);
		spin_unlock(&lk->lock);
		cond_resched();
	}
	ld_graph_unlock(space);
	ld_space_trim_if(space, over);
}

/**
 * ld_lock_space_abort() - end every wait in a lockspace removed by force
 * @space: the lockspace, referenced and marked removed
 *
 * Every request waiting for a lock of it ends with -EIDRM, granting
 * nothing. It runs under the lockspace's graph mutex, under which
 * ld_enqueue() checks the mark, so no request waits in it afterwards.
 *
 * Context: may sleep. Linear in the lockspace's locks.
 */
void ld_lock_space_abort(struct ld_space *space)
{
	struct ld_walk_pos w = {};
	struct ld_wait *ww;
	struct ld_lock *lk;
	bool over = false;

	ld_graph_lock(space);
	while ((lk = ld_walk_next(space, &w, false))) {
		spin_lock(&lk->lock);
		while ((ww = list_first_entry_or_null(&lk->waiters,
						      struct ld_wait, wnode)))
			over |= ld_wait_abort(ww->req, -EIDRM);
		spin_unlock(&lk->lock);
		ld_lock_put(lk);
		cond_resched();
	}
	ld_walk_end(space, &w);
	ld_graph_unlock(space);
	ld_space_trim_if(space, over);
}

/**
 * ld_lock_session_release() - end every request of a closing session
 * @sess: the session, which no file refers to any more
 *
 * Cancels its waits first, so that releasing its locks grants none of its
 * own requests, then releases its locks, marking owner-died those it held in
 * APPEND or EXCLUSIVE.
 *
 * Context: may sleep.
 */
void ld_lock_session_release(struct ld_session *sess)
{
	struct ld_req *req;
	u32 index = 0;

	ld_session_unwait(sess);
	while ((req = ld_session_next(sess, &index))) {
		ld_async_disarm_sync(req);
		if (ld_slot_get_req(sess, req)) {
			if (req->state == LD_HELD && req->lk)
				ld_release(req, true);
			else
				ld_req_forget(req);
		}
		ld_req_put(req);
	}
	/* Wait for the releases it handed over: they point at it. */
	if (READ_ONCE(sess->handed)) {
		ld_graph_lock(sess->space);
		ld_graph_unlock(sess->space);
	}
}

/**
 * ld_lock_init() - set up the request cache and the lock table
 *
 * Return: 0 or a negative errno.
 */
int ld_lock_init(void)
{
	int ret;

	ld_req_cache = KMEM_CACHE(ld_req, SLAB_ACCOUNT);
	if (!ld_req_cache)
		return -ENOMEM;
	ret = ld_table_init();
	if (ret)
		kmem_cache_destroy(ld_req_cache);
	return ret;
}

/**
 * ld_lock_exit() - tear down the lock table and the request cache
 */
void ld_lock_exit(void)
{
	ld_table_exit();
	kmem_cache_destroy(ld_req_cache);
}
