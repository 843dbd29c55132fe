// SPDX-License-Identifier: GPL-2.0
/*
 * Lock objects and requests: the grant policy, waits, conversions, release,
 * owner-died and generations. The lock order and the invariant that lets the
 * uncontended path take only the lock's own spinlock are in lockdev.h.
 */
#include <linux/hash.h>
#include <linux/hrtimer.h>
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/rhashtable.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "lockdev.h"

/* Every lock, keyed by (lockspace, name). */
struct rhashtable ld_locks;
/* Every request, keyed by (lock, session): a session's one request per lock. */
static struct rhashtable ld_owned;
static struct kmem_cache *ld_req_cache;
static DEFINE_PER_CPU(u64, ld_gen_seq);

struct ld_key {
	const struct ld_space *space;
	const u8 *name;
	u32 len;
};

struct ld_owned_key {
	struct ld_lock *lk;
	struct ld_session *sess;
};

static u32 ld_key_hashfn(const void *data, u32 len, u32 seed)
{
	const struct ld_key *key = data;

	return jhash(key->name, key->len, seed ^ hash_ptr(key->space, 32));
}

static u32 ld_lock_hashfn(const void *data, u32 len, u32 seed)
{
	const struct ld_lock *lk = data;

	return jhash(lk->name, lk->name_len, seed ^ hash_ptr(lk->space, 32));
}

static int ld_lock_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct ld_key *key = arg->key;
	const struct ld_lock *lk = obj;

	return lk->space != key->space || lk->name_len != key->len ||
	       memcmp(lk->name, key->name, key->len);
}

static const struct rhashtable_params ld_locks_params = {
	.head_offset = offsetof(struct ld_lock, node),
	.hashfn = ld_key_hashfn,
	.obj_hashfn = ld_lock_hashfn,
	.obj_cmpfn = ld_lock_cmpfn,
	.automatic_shrinking = true,
};

static const struct rhashtable_params ld_owned_params = {
	.head_offset = offsetof(struct ld_req, onode),
	.key_offset = offsetof(struct ld_req, lk),
	.key_len = sizeof(struct ld_owned_key),
	.automatic_shrinking = true,
};

static const u32 ld_compat_mask[4] = {
	[LOCKDEV_MODE_SHARED] = LD_MODE_BIT(LOCKDEV_MODE_SHARED) |
				LD_MODE_BIT(LOCKDEV_MODE_APPEND),
	[LOCKDEV_MODE_APPEND] = LD_MODE_BIT(LOCKDEV_MODE_SHARED),
	[LOCKDEV_MODE_EXCLUSIVE] = 0,
};

/**
 * ld_compatible() - is a mode compatible with every mode of a set
 * @mode: the mode asked for
 * @mask: LD_MODE_BIT()s of the modes present
 *
 * Return: true if @mode may coexist with each of them.
 */
bool ld_compatible(u32 mode, u32 mask)
{
	return !(mask & ~ld_compat_mask[mode]);
}

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

/* The modes held on @lk, not counting one hold of @self if given. */
static u32 ld_holders_mask(const struct ld_lock *lk, const struct ld_req *self)
{
	u32 mask = 0, mode;

	for (mode = LOCKDEV_MODE_SHARED; mode <= LOCKDEV_MODE_EXCLUSIVE; mode++)
		if (LD_NR(lk, mode) > (self && self->mode == mode))
			mask |= LD_MODE_BIT(mode);
	return mask;
}

/* The modes asked for by the waiters of @lk before @stop. */
static u32 ld_queued_mask(const struct ld_lock *lk, const struct list_head *stop)
{
	const struct ld_req *w;
	u32 mask = 0;

	list_for_each_entry(w, &lk->waiters, wnode) {
		if (&w->wnode == stop)
			break;
		mask |= LD_MODE_BIT(ld_req_want(w));
	}
	return mask;
}

/* Where an upgrade queues: after the upgrades already queued. */
static struct list_head *ld_upgrade_pos(struct ld_lock *lk)
{
	struct ld_req *w;

	list_for_each_entry(w, &lk->waiters, wnode)
		if (w->state != LD_CONVERTING)
			return &w->wnode;
	return &lk->waiters;
}

/**
 * ld_visit_blockers() - visit each request a wait depends on
 * @lk: the lock
 * @want: the mode asked for
 * @self: the request itself when it holds @lk (an upgrade), or NULL
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
	struct ld_req *r;

	list_for_each_entry(r, &lk->holders, hnode)
		if (r != self && !ld_compatible(want, LD_MODE_BIT(r->mode)) &&
		    visit->fn(r, false, visit->arg))
			return true;
	list_for_each_entry(r, &lk->waiters, wnode) {
		if (&r->wnode == stop)
			break;
		if (r != self &&
		    !ld_compatible(want, LD_MODE_BIT(ld_req_want(r))) &&
		    visit->fn(r, true, visit->arg))
			return true;
	}
	return false;
}

/* A generation no lock has had: a per-CPU sequence and the CPU. */
static u64 ld_next_generation(void)
{
	int cpu = get_cpu();
	u64 seq = ++*per_cpu_ptr(&ld_gen_seq, cpu);

	put_cpu();
	return seq * nr_cpu_ids + cpu;
}

/* Fill in one struct lockdev_entry for @r as the caller sees it. */
static void ld_fill_entry(struct lockdev_entry *e, const struct ld_req *r,
			  u64 now)
{
	memset(e, 0, sizeof(*e));
	e->session = r->sess->id;
	e->age_ns = now - r->since;
	e->pid = pid_nr_ns(r->pid, task_active_pid_ns(current));
	e->mode = ld_req_want(r);
	e->state = r->state;
	e->level = r->level;
	memcpy(e->comm, r->comm, sizeof(e->comm));
}

struct ld_fill {
	struct ld_args *args;
	u64 now;
};

static bool ld_fill_one(struct ld_req *r, bool queued, void *arg)
{
	struct ld_fill *f = arg;
	struct ld_args *a = f->args;

	if (a->nr_entries < a->max_entries)
		ld_fill_entry(&a->entries[a->nr_entries], r, f->now);
	a->nr_entries++;
	return false;
}

/* Report the requests that block a request in @a's entries. */
static void ld_fill_blockers(struct ld_lock *lk, u32 want,
			     const struct ld_req *self,
			     const struct list_head *stop, struct ld_args *a)
{
	struct ld_fill f = { .args = a, .now = ktime_get_ns() };
	struct ld_visit visit = { .fn = ld_fill_one, .arg = &f };

	lockdep_assert_held(&lk->lock);
	a->nr_entries = 0;
	ld_visit_blockers(lk, want, self, stop, &visit);
}

static void ld_fill_grant(const struct ld_req *req, struct ld_args *a)
{
	a->handle = req->handle;
	a->generation = req->lk->generation;
	a->result = req->lk->owner_died ? LOCKDEV_RESULT_OWNER_DIED : 0;
}

/* Make @req a holder of its lock at once. */
static void ld_hold(struct ld_req *req)
{
	struct ld_lock *lk = req->lk;

	lockdep_assert_held(&lk->lock);
	list_add_tail(&req->hnode, &lk->holders);
	LD_NR(lk, req->mode)++;
	req->since = ktime_get_ns();
	/* Pairs with the waiter's smp_load_acquire() in ld_wait(). */
	smp_store_release(&req->state, LD_HELD);
	ld_stat_inc(holders);
	ld_stat_inc(grants);
	ld_class_granted(lk);
}

/* Take @req off its lock's queue; an upgrade falls back to its old mode. */
static void ld_unqueue(struct ld_req *req, int result)
{
	lockdep_assert_held(ld_graph(req->lk));
	lockdep_assert_held(&req->lk->lock);
	list_del_init(&req->wnode);
	list_del_init(&req->wait->gnode);
	atomic_dec(&req->sess->user->waiters);
	ld_stat_dec(waiters);
	req->result = result;
	/* Pairs with the waiter's smp_load_acquire() in ld_wait(). */
	smp_store_release(&req->state,
			  req->state == LD_CONVERTING ? LD_HELD : LD_DONE);
}

static void ld_timeout_disarm(struct ld_req *req);

/*
 * End the blocking wait of @req for its sleeping task, which then returns
 * with @result without taking a lock.
 */
static void ld_wait_finish(struct ld_req *req, int result)
{
	struct ld_wait *w = req->wait;
	struct task_struct *task = w->task;

	lockdep_assert_held(&req->lk->lock);
	w->result = result;
	w->generation = req->lk->generation;
	w->flags = req->lk->owner_died ? LOCKDEV_RESULT_OWNER_DIED : 0;
	w->task = NULL;
	if (!req->async)
		req->wait = NULL;
	/*
	 * Pairs with smp_load_acquire() in ld_wait(): from here on the waiter
	 * may return, and @w on its stack be gone. Its task_struct is freed
	 * only after an RCU grace period, which holding @lk->lock defers.
	 */
	smp_store_release(&w->finished, true);
	wake_up_process(task);
}

/* The asynchronous part of an asynchronous request. */
static struct ld_async *ld_req_async(const struct ld_req *req)
{
	return container_of(req->wait, struct ld_async, wait);
}

/* Post the completion of an asynchronous request whose wait ended. */
static void ld_complete(struct ld_req *req, int result)
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

/* Grant a waiting request or upgrade, and tell its waiter. */
static void ld_grant(struct ld_req *req)
{
	struct ld_lock *lk = req->lk;

	lockdep_assert_held(ld_graph(lk));
	lockdep_assert_held(&lk->lock);
	list_del_init(&req->wnode);
	list_del_init(&req->wait->gnode);
	atomic_dec(&req->sess->user->waiters);
	ld_stat_dec(waiters);
	ld_stat_inc(contended);
	if (req->state == LD_CONVERTING) {
		LD_NR(lk, req->mode)--;
		req->mode = req->want;
		LD_NR(lk, req->mode)++;
		/* Pairs with the waiter's smp_load_acquire() in ld_wait(). */
		smp_store_release(&req->state, LD_HELD);
		ld_stat_inc(grants);
	} else {
		ld_class_waited(lk, req->since);
		ld_hold(req);
	}
	if (req->wait->task) {
		ld_wait_finish(req, 0);
	} else {
		ld_timeout_disarm(req);
		ld_complete(req, 0);
	}
}

/*
 * Grant, in queue order, each waiter compatible with the holders and with
 * every earlier waiter still queued.
 */
static void ld_grant_waiters(struct ld_lock *lk)
{
	struct ld_req *w, *tmp, *self;
	u32 queued = 0, want;

	lockdep_assert_held(ld_graph(lk));
	lockdep_assert_held(&lk->lock);
	list_for_each_entry_safe(w, tmp, &lk->waiters, wnode) {
		want = ld_req_want(w);
		self = w->state == LD_CONVERTING ? w : NULL;
		if (ld_compatible(want, queued) &&
		    ld_compatible(want, ld_holders_mask(lk, self)))
			ld_grant(w);
		else
			queued |= LD_MODE_BIT(want);
	}
}

/*
 * Drop a reference to @lk; the last one frees it after an RCU grace period
 * (lookups in the table run under rcu_read_lock()).
 *
 * Context: may sleep (the lockspace may go with it).
 */
static void ld_lock_put(struct ld_lock *lk)
{
	struct ld_space *space = lk->space;

	if (!refcount_dec_and_test(&lk->ref))
		return;
	ld_stat_add(memory, -(long)ksize(lk));
	kfree_rcu(lk, rcu);
	ld_space_put(space);
}

/*
 * Clear the owner-died mark of @lk; the caller passes what this returns to
 * ld_died_user_put() once it dropped @lk->lock.
 */
static struct ld_user *ld_lock_repaired(struct ld_lock *lk)
{
	struct ld_user *user = lk->died_user;

	lockdep_assert_held(&lk->lock);
	lk->owner_died = false;
	lk->died_user = NULL;
	return user;
}

/* Drop the charge and reference of an owner-died lock's uid, if any. */
static void ld_died_user_put(struct ld_user *user)
{
	if (!user)
		return;
	atomic_dec(&user->locks);
	ld_user_put(user);
}

/* Take a lock out of the table: it no longer exists, for every count. */
static void ld_lock_remove(struct ld_lock *lk)
{
	lk->dead = true;
	rhashtable_remove_fast(&ld_locks, &lk->node, ld_locks_params);
	atomic_dec(&lk->space->locks);
	ld_stat_dec(locks);
}

/*
 * If @lk is unused, take it out of the table; the caller then drops the
 * table's reference with ld_lock_put() after dropping its lock.
 */
static bool ld_lock_unused(struct ld_lock *lk)
{
	lockdep_assert_held(&lk->lock);
	if (lk->busy || lk->owner_died || !list_empty(&lk->holders) ||
	    !list_empty(&lk->waiters))
		return false;
	ld_lock_remove(lk);
	return true;
}

static struct ld_lock *ld_lock_alloc(struct ld_space *space, const u8 *name,
				     u32 len, int *err)
{
	struct ld_lock *lk;

	if ((unsigned int)atomic_inc_return(&space->locks) >
	    READ_ONCE(ld_max_locks_per_space)) {
		atomic_dec(&space->locks);
		*err = -ENOSPC;
		return NULL;
	}
	lk = kzalloc(struct_size(lk, name, len), GFP_KERNEL_ACCOUNT);
	if (!lk) {
		atomic_dec(&space->locks);
		*err = -ENOMEM;
		return NULL;
	}
	ld_space_get(space);
	lk->space = space;
	refcount_set(&lk->ref, 1);
	spin_lock_init(&lk->lock);
	INIT_LIST_HEAD(&lk->holders);
	INIT_LIST_HEAD(&lk->waiters);
	lk->generation = ld_next_generation();
	lk->name_len = len;
	memcpy(lk->name, name, len);
	lk->class = ld_class_find(space, name, len);
	return lk;
}

/* Free a lock that never was in the table. */
static void ld_lock_discard(struct ld_lock *lk)
{
	atomic_dec(&lk->space->locks);
	ld_space_put(lk->space);
	kfree(lk);
}

/**
 * ld_lock_find() - find a lock, or create it, and lock it
 * @space: the lockspace
 * @name: the lock's name
 * @len: its length
 * @create: create the lock if it does not exist
 * @err: set to -ENOSPC or -ENOMEM when creating fails
 *
 * Return: the lock, pinned alive by its busy count (drop it with
 * ld_lock_leave_pinned()), not locked; or NULL.
 */
static struct ld_lock *ld_lock_find(struct ld_space *space, const u8 *name,
				    u32 len, bool create, int *err)
{
	struct ld_key key = { .space = space, .name = name, .len = len };
	struct ld_lock *lk, *old, *new = NULL;

	*err = 0;
	for (;;) {
		rcu_read_lock();
		lk = rhashtable_lookup(&ld_locks, &key, ld_locks_params);
		if (lk) {
			spin_lock(&lk->lock);
			rcu_read_unlock();
			if (!lk->dead)
				break;
			spin_unlock(&lk->lock);
			continue;
		}
		rcu_read_unlock();
		if (!create)
			return NULL;
		if (!new) {
			new = ld_lock_alloc(space, name, len, err);
			if (!new)
				return NULL;
		}
		old = rhashtable_lookup_get_insert_key(&ld_locks, &key,
						       &new->node,
						       ld_locks_params);
		if (IS_ERR(old)) {
			ld_lock_discard(new);
			*err = PTR_ERR(old);
			return NULL;
		}
		if (old)
			continue;
		ld_stat_inc(locks);
		ld_stat_add(memory, ksize(new));
		lk = new;
		new = NULL;
		spin_lock(&lk->lock);
		if (!lk->dead)
			break;
		spin_unlock(&lk->lock);
	}
	if (new)
		ld_lock_discard(new);
	lk->busy++;
	spin_unlock(&lk->lock);
	return lk;
}

/* Unlock @lk, and ld_graph(@lk) if @graph; free the lock if unused. */
static void ld_lock_leave(struct ld_lock *lk, bool graph)
	__releases(&lk->lock)
{
	bool unused = ld_lock_unused(lk);

	spin_unlock(&lk->lock);
	if (graph)
		mutex_unlock(ld_graph(lk));
	if (unused)
		ld_lock_put(lk);
}

/*
 * Unpin and unlock a lock pinned by ld_lock_find() or ld_req_pin(), and
 * ld_graph(@lk) if @graph; free the lock if it is unused.
 */
static void ld_lock_leave_pinned(struct ld_lock *lk, bool graph)
	__releases(&lk->lock)
{
	lk->busy--;
	ld_lock_leave(lk, graph);
}

/**
 * ld_lock_unpin() - drop a pin taken while @lk->lock was held
 * @lk: the lock, whose busy count the caller raised
 */
void ld_lock_unpin(struct ld_lock *lk)
{
	spin_lock(&lk->lock);
	ld_lock_leave_pinned(lk, false);
}

/*
 * Lock @lk->lock, and ld_graph(@lk) first if @need_graph or the lock has
 * waiters. Returns whether ld_graph(@lk) is held. The caller keeps @lk
 * alive across the retry: it holds or awaits it, or has pinned it.
 */
static bool ld_lock_enter(struct ld_lock *lk, bool need_graph)
	__acquires(&lk->lock)
{
	if (!need_graph) {
		spin_lock(&lk->lock);
		if (list_empty(&lk->waiters))
			return false;
		spin_unlock(&lk->lock);
	}
	mutex_lock(ld_graph(lk));
	spin_lock(&lk->lock);
	return true;
}

static struct ld_req *ld_req_alloc(struct ld_session *sess, const struct ld_args *a)
{
	struct ld_req *req;

	req = kmem_cache_zalloc(ld_req_cache, GFP_KERNEL_ACCOUNT);
	if (!req)
		return NULL;
	req->sess = sess;
	refcount_set(&req->ref, 1);
	INIT_LIST_HEAD(&req->hnode);
	INIT_LIST_HEAD(&req->wnode);
	req->mode = a->mode;
	req->level = a->level;
	req->pid = get_task_pid(current, PIDTYPE_TGID);
	get_task_comm(req->comm, current);
	ld_stat_add(memory, kmem_cache_size(ld_req_cache));
	return req;
}

/*
 * Free the reserved completion of an asynchronous request that will post
 * none (granted at once, or ending), and its charge. Its session is alive,
 * and the request cannot end under the caller: it holds its lock, or owns it.
 */
static void ld_async_drop_done(struct ld_req *req)
{
	struct ld_async *as;

	if (!req->async || !ld_req_async(req)->done)
		return;
	as = ld_req_async(req);
	ld_stat_add(memory, -(long)ksize(as->done));
	kfree(as->done);
	as->done = NULL;
	atomic_dec(&req->sess->user->completions);
}

/**
 * ld_req_put() - drop a reference to a request; the last one frees it
 * @req: the request, off every list and table
 */
void ld_req_put(struct ld_req *req)
{
	if (!refcount_dec_and_test(&req->ref))
		return;
	if (req->async) {
		struct ld_async *as = ld_req_async(req);

		ld_stat_add(memory, -(long)ksize(as));
		kfree(as);
	}
	if (req->lk)
		ld_lock_put(req->lk);
	put_pid(req->pid);
	ld_stat_add(memory, -(long)kmem_cache_size(ld_req_cache));
	kmem_cache_free(ld_req_cache, req);
}

/*
 * Forget a request that ended: its charge, then its handle. Once the handle
 * is gone the session may be freed (its teardown finds only what is in
 * @handles), so nothing of the session is touched after that.
 */
static void ld_req_forget(struct ld_req *req)
{
	struct ld_session *sess = req->sess;

	ld_async_drop_done(req);
	if (req->level)
		atomic_dec(&sess->nr_ranked);
	atomic_dec(&sess->user->locks);
	xa_erase(&sess->handles, req->handle);
	ld_req_put(req);
}

/*
 * End a queued plain request that will not be granted: off the owned table,
 * and out of the lock if that leaves it unused. Returns whether the caller
 * must ld_lock_free() the lock after unlocking.
 */
static bool ld_req_end(struct ld_req *req)
{
	lockdep_assert_held(&req->lk->lock);
	rhashtable_remove_fast(&ld_owned, &req->onode, ld_owned_params);
	ld_class_leave(req);
	return ld_lock_unused(req->lk);
}

/*
 * A deadline as a ktime: CLOCK_MONOTONIC nanoseconds, where anything beyond
 * KTIME_MAX (which ns_to_ktime() would make negative) means no deadline.
 */
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

static void ld_timeout_fn(struct work_struct *work)
{
	struct ld_async *as = container_of(to_delayed_work(work),
					   struct ld_async, dwork);
	struct ld_req *req = as->wait.req;
	struct ld_lock *lk = req->lk;
	bool unused = false, ended = false;
	unsigned long delay;

	/* A waiting request stays waiting, and its lock alive, under it. */
	mutex_lock(ld_graph(lk));
	delay = ld_deadline_delay(as->deadline);
	/* Timers fire early for far deadlines: wait on, same reference. */
	if (req->state == LD_WAITING && delay &&
	    queue_delayed_work(system_wq, &as->dwork, delay)) {
		mutex_unlock(ld_graph(lk));
		return;
	}
	if (req->state == LD_WAITING) {
		spin_lock(&lk->lock);
		ld_stat_inc(timeouts);
		ld_unqueue(req, -ETIMEDOUT);
		ld_complete(req, -ETIMEDOUT);
		ld_grant_waiters(lk);
		unused = ld_req_end(req);
		spin_unlock(&lk->lock);
		ended = true;
	}
	mutex_unlock(ld_graph(lk));
	if (unused)
		ld_lock_put(lk);
	if (ended)
		ld_req_forget(req);
	ld_req_put(req);
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

/*
 * Sleep until another task ends @w, the wait of @req (a grant, or a release
 * of an upgrading request), a signal or the deadline. @w is passed because
 * a grant may clear @req->wait before this even starts. Giving up is settled
 * under the locks, where a grant that raced with it stands. A plain request
 * that ends ungranted is taken off the owned table; the caller forgets it.
 */
static int ld_wait(struct ld_req *req, struct ld_wait *w, u8 state,
		   struct ld_args *a)
{
	bool timed = a->flags & LOCKDEV_LOCK_DEADLINE;
	ktime_t deadline = ld_deadline(a->deadline_ns);
	struct ld_lock *lk = req->lk;
	bool unused = false;
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
	/* Pairs with smp_store_release() in ld_wait_finish(). */
	if (smp_load_acquire(&w->finished))
		goto finished;

	/* Unfinished under the mutex, the request is queued: @lk is alive. */
	mutex_lock(ld_graph(lk));
	if (w->finished) {
		mutex_unlock(ld_graph(lk));
		goto finished;
	}
	spin_lock(&lk->lock);
	if (ret == -ETIMEDOUT) {
		ld_fill_blockers(lk, ld_req_want(req),
				 state == LD_CONVERTING ? req : NULL,
				 &req->wnode, a);
		ld_stat_inc(timeouts);
	} else {
		ld_stat_inc(cancels);
	}
	ld_unqueue(req, ret);
	ld_grant_waiters(lk);
	if (state == LD_WAITING)
		unused = ld_req_end(req);
	w->task = NULL;
	if (!req->async)
		req->wait = NULL;
	spin_unlock(&lk->lock);
	mutex_unlock(ld_graph(lk));
	if (unused)
		ld_lock_put(lk);
	return ret;

finished:
	if (!w->result) {
		a->handle = req->handle;
		a->generation = w->generation;
		a->result = w->flags;
	}
	return w->result;
}

/*
 * Make @req asynchronous: its wait, deadline and completion. The completion
 * is reserved now and charged to the uid until read() or the request's end
 * frees it.
 */
static int ld_async_alloc(struct ld_req *req, u64 user_data)
{
	atomic_t *charge = &req->sess->user->completions;
	struct ld_async *as;

	if (!ld_user_charge(charge, READ_ONCE(ld_max_waiters_per_user)))
		return -EDQUOT;
	as = kzalloc(sizeof(*as), GFP_KERNEL_ACCOUNT);
	if (!as)
		goto err;
	as->done = kzalloc(sizeof(*as->done), GFP_KERNEL_ACCOUNT);
	if (!as->done) {
		kfree(as);
		goto err;
	}
	ld_stat_add(memory, ksize(as) + ksize(as->done));
	INIT_LIST_HEAD(&as->wait.gnode);
	as->wait.req = req;
	as->user_data = user_data;
	INIT_DELAYED_WORK(&as->dwork, ld_timeout_fn);
	req->async = true;
	req->wait = &as->wait;
	return 0;

err:
	atomic_dec(charge);
	return -ENOMEM;
}

static int ld_owned_insert(struct ld_req *req)
{
	int ret;

	ret = rhashtable_lookup_insert_fast(&ld_owned, &req->onode,
					    ld_owned_params);
	if (!ret)
		ld_class_enter(req);
	return ret == -EEXIST ? -EALREADY : ret;
}

/* ld_lock_acquire() but for its report. */
static int ld_acquire(struct ld_session *sess, const u8 *name, u32 len,
		      struct ld_args *a)
{
	struct ld_wait wait = { .gnode = LIST_HEAD_INIT(wait.gnode) };
	struct ld_req *req;
	struct ld_lock *lk;
	bool unused;
	int ret;

	ret = ld_session_space(sess, LD_MAY_WRITE);
	if (ret)
		return ret;
	req = ld_req_alloc(sess, a);
	if (!req)
		return -ENOMEM;
	if (a->flags & LOCKDEV_LOCK_ASYNC) {
		ret = ld_async_alloc(req, a->user_data);
		if (ret) {
			ld_req_put(req);
			return ret;
		}
	}
	if (!ld_user_charge(&sess->user->locks,
			    READ_ONCE(ld_max_locks_per_user))) {
		ld_async_drop_done(req);
		ld_req_put(req);
		return -EDQUOT;
	}
	req->handle = atomic64_inc_return(&sess->next_handle);
	ret = xa_insert(&sess->handles, req->handle, req, GFP_KERNEL_ACCOUNT);
	if (ret) {
		atomic_dec(&sess->user->locks);
		ld_async_drop_done(req);
		ld_req_put(req);
		return ret;
	}
	if (req->level)
		atomic_inc(&sess->nr_ranked);

	lk = ld_lock_find(sess->space, name, len, true, &ret);
	if (!lk)
		goto err_forget;
	ld_class_learn(sess, lk);
	/* The request's reference keeps @lk's memory for as long as it lives. */
	refcount_inc(&lk->ref);
	WRITE_ONCE(req->lk, lk);
	ret = ld_order_check(sess, req, a);
	if (!ret && a->report) {
		/*
		 * Warn mode: keep the order report now, so that a deadlock
		 * report of the same request does not take its place.
		 */
		ld_report_keep(sess, a->report);
		a->report = NULL;
	}
	spin_lock(&lk->lock);
	if (ret) {
		ld_lock_leave_pinned(lk, false);
		goto err_forget;
	}
	ret = ld_owned_insert(req);
	if (ret) {
		ld_lock_leave_pinned(lk, false);
		goto err_forget;
	}
	if (list_empty(&lk->waiters) &&
	    ld_compatible(a->mode, ld_holders_mask(lk, NULL))) {
		ld_hold(req);
		ld_fill_grant(req, a);
		lk->busy--;
		/* Under the lock: once it is dropped, another thread may unlock. */
		ld_async_drop_done(req);
		spin_unlock(&lk->lock);
		return 0;
	}

	spin_unlock(&lk->lock);
	mutex_lock(ld_graph(lk));
	spin_lock(&lk->lock);
	lk->busy--;
	if (ld_compatible(a->mode, ld_queued_mask(lk, &lk->waiters) |
				   ld_holders_mask(lk, NULL))) {
		ld_hold(req);
		ld_fill_grant(req, a);
		goto out_unlock;
	}
	if (a->flags & LOCKDEV_LOCK_NONBLOCK) {
		ld_fill_blockers(lk, a->mode, NULL, &lk->waiters, a);
		ld_stat_inc(eagains);
		ret = -EAGAIN;
		goto err_unlock;
	}
	ret = ld_graph_check(sess, lk, req, a->mode, NULL, &lk->waiters,
			     &a->report);
	if (ret) {
		a->reason = LOCKDEV_RESULT_CYCLE;
		ld_stat_inc(cycles);
		ld_stat_inc(deadlocks);
		if (!req->async)
			goto err_unlock;
		/* An asynchronous request learns it from its completion. */
		a->handle = req->handle;
		a->result = LOCKDEV_RESULT_QUEUED;
		ld_complete(req, ret);
		ret = 0;
		goto err_unlock;
	}
	if (!ld_user_charge(&sess->user->waiters,
			    READ_ONCE(ld_max_waiters_per_user))) {
		ret = -EDQUOT;
		goto err_unlock;
	}
	if (!req->async) {
		wait.req = req;
		wait.task = current;
		req->wait = &wait;
	}
	list_add_tail(&req->wnode, &lk->waiters);
	list_add_tail(&req->wait->gnode, &sess->waiting);
	req->since = ktime_get_ns();
	req->state = LD_WAITING;
	ld_stat_inc(waiters);

	if (req->async) {
		if (a->flags & LOCKDEV_LOCK_DEADLINE)
			ld_timeout_arm(req, a->deadline_ns);
		a->handle = req->handle;
		a->result = LOCKDEV_RESULT_QUEUED;
		goto out_unlock;
	}
	refcount_inc(&req->ref);
	spin_unlock(&lk->lock);
	mutex_unlock(ld_graph(lk));

	ret = ld_wait(req, &wait, LD_WAITING, a);
	if (ret)
		ld_req_forget(req);
	ld_req_put(req);
	return ret;

out_unlock:
	if (!(a->result & LOCKDEV_RESULT_QUEUED))
		ld_async_drop_done(req);
	spin_unlock(&lk->lock);
	mutex_unlock(ld_graph(lk));
	return 0;

err_unlock:
	unused = ld_req_end(req);
	spin_unlock(&lk->lock);
	mutex_unlock(ld_graph(lk));
	if (unused)
		ld_lock_put(lk);
err_forget:
	ld_req_forget(req);
	return ret;
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
	int ret;

	a->reason = 0;
	a->report = NULL;
	ret = ld_acquire(sess, name, len, a);
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

/*
 * Find the session's request by handle, or by name when @handle is 0, and
 * take a reference to it.
 */
static struct ld_req *ld_req_lookup(struct ld_session *sess, u64 handle,
				    const u8 *name, u32 len)
{
	struct ld_owned_key key = { .sess = sess };
	struct ld_req *req;
	int err;

	if (handle) {
		xa_lock(&sess->handles);
		req = xa_load(&sess->handles, handle);
		if (req && READ_ONCE(req->lk))
			refcount_inc(&req->ref);
		else
			req = NULL;
		xa_unlock(&sess->handles);
		return req;
	}
	/* Pairs with ld_session_bind()'s smp_store_release(). */
	if (!smp_load_acquire(&sess->space))
		return NULL;
	key.lk = ld_lock_find(sess->space, name, len, false, &err);
	if (!key.lk)
		return NULL;
	spin_lock(&key.lk->lock);
	req = rhashtable_lookup_fast(&ld_owned, &key, ld_owned_params);
	if (req)
		refcount_inc(&req->ref);
	ld_lock_leave_pinned(key.lk, false);
	return req;
}

/*
 * Pin the lock of a request found by ld_req_lookup(), which may have ended
 * meanwhile and its lock left the table: the request's reference keeps the
 * lock's memory. Returns false if the request or the lock is gone.
 */
static bool ld_req_pin(struct ld_req *req)
{
	struct ld_lock *lk = req->lk;
	bool live;

	spin_lock(&lk->lock);
	live = !lk->dead && req->state != LD_DONE;
	if (live)
		lk->busy++;
	spin_unlock(&lk->lock);
	return live;
}

/* ld_req_lookup() and ld_req_pin(): NULL if none or if it ended. */
static struct ld_req *ld_req_lookup_pinned(struct ld_session *sess,
					   u64 handle, const u8 *name, u32 len)
{
	struct ld_req *req = ld_req_lookup(sess, handle, name, len);

	if (req && !ld_req_pin(req)) {
		ld_req_put(req);
		req = NULL;
	}
	return req;
}

/*
 * Release a held request. @died: its session went away without unlocking.
 * A pending upgrade of it, by another thread, ends with ECANCELED.
 */
static void ld_release(struct ld_req *req, bool died)
{
	struct ld_lock *lk = req->lk;
	bool graph;

	graph = ld_lock_enter(lk, false);
	if (req->state == LD_CONVERTING) {
		ld_stat_inc(cancels);
		ld_unqueue(req, -ECANCELED);
		ld_wait_finish(req, -ECANCELED);
	}
	list_del_init(&req->hnode);
	LD_NR(lk, req->mode)--;
	ld_stat_dec(holders);
	ld_class_released(lk, req->since);
	if (req->mode != LOCKDEV_MODE_SHARED) {
		lk->generation = ld_next_generation();
		if (died && !lk->died_user) {
			/* The uid keeps paying for the lock until it is repaired. */
			lk->died_user = req->sess->user;
			refcount_inc(&lk->died_user->ref);
			atomic_inc(&lk->died_user->locks);
		}
		if (died) {
			lk->owner_died = true;
			ld_stat_inc(owner_deaths);
			ld_event_owner_died(lk, req);
		}
	}
	req->result = -ECANCELED;
	/* Pairs with the waiter's smp_load_acquire() in ld_wait(). */
	smp_store_release(&req->state, LD_DONE);
	rhashtable_remove_fast(&ld_owned, &req->onode, ld_owned_params);
	ld_class_leave(req);
	if (graph)
		ld_grant_waiters(lk);
	ld_lock_leave(lk, graph);
	ld_req_forget(req);
}

/**
 * ld_lock_release() - LOCKDEV_IOC_UNLOCK
 * @sess: the session
 * @handle: the grant's handle, or 0 to go by @name
 * @name: the lock's name
 * @len: its length
 *
 * Return: 0, or -ENOLCK if the session does not hold it.
 */
int ld_lock_release(struct ld_session *sess, u64 handle, const u8 *name,
		    u32 len)
{
	struct ld_req *req = ld_req_lookup_pinned(sess, handle, name, len);
	struct ld_lock *lk;
	int ret = -ENOLCK;

	if (!req)
		return ret;
	lk = req->lk;
	spin_lock(&lk->lock);
	/* Of threads unlocking one request, one wins. */
	if ((req->state == LD_HELD || req->state == LD_CONVERTING) &&
	    !req->releasing) {
		req->releasing = true;
		ret = 0;
	}
	/* A request claimed for release keeps its lock alive. */
	lk->busy--;
	spin_unlock(&lk->lock);
	if (!ret)
		ld_release(req, false);
	ld_req_put(req);
	return ret;
}

/* ld_lock_convert() but for its report. */
static int ld_convert(struct ld_session *sess, u64 handle, const u8 *name,
		      u32 len, struct ld_args *a)
{
	struct ld_wait wait = { .gnode = LIST_HEAD_INIT(wait.gnode) };
	struct ld_req *req = ld_req_lookup_pinned(sess, handle, name, len);
	struct list_head *pos;
	struct ld_wait *w;
	struct ld_lock *lk;
	bool graph;
	int ret = 0;

	if (!req)
		return -ENOLCK;
	lk = req->lk;
	/*
	 * An upgrade may queue: it needs ld_graph(lk). @req->mode may change
	 * under another thread's conversion until @lk->lock is held, so look
	 * again once it is.
	 */
	graph = ld_lock_enter(lk, a->mode > READ_ONCE(req->mode));
	if (!graph && a->mode > req->mode) {
		spin_unlock(&lk->lock);
		graph = ld_lock_enter(lk, true);
	}
	if (req->state == LD_CONVERTING) {
		ret = -EBUSY;
		goto out;
	}
	if (req->state != LD_HELD || req->releasing) {
		ret = -ENOLCK;
		goto out;
	}
	a->old_mode = req->mode;
	if (a->mode == req->mode)
		goto granted;
	if (a->mode < req->mode) {
		LD_NR(lk, req->mode)--;
		req->mode = a->mode;
		LD_NR(lk, req->mode)++;
		lk->generation = ld_next_generation();
		if (graph)
			ld_grant_waiters(lk);
		goto granted;
	}
	pos = ld_upgrade_pos(lk);
	if (ld_compatible(a->mode, ld_holders_mask(lk, req) |
				   ld_queued_mask(lk, pos))) {
		LD_NR(lk, req->mode)--;
		req->mode = a->mode;
		LD_NR(lk, req->mode)++;
		goto granted;
	}
	if (a->flags & LOCKDEV_LOCK_NONBLOCK) {
		ld_fill_blockers(lk, a->mode, req, pos, a);
		ld_stat_inc(eagains);
		ret = -EAGAIN;
		goto out;
	}
	ret = ld_graph_check(sess, lk, req, a->mode, req, pos, &a->report);
	if (ret) {
		a->result = LOCKDEV_RESULT_CYCLE;
		ld_stat_inc(cycles);
		ld_stat_inc(deadlocks);
		goto out;
	}
	if (!ld_user_charge(&sess->user->waiters,
			    READ_ONCE(ld_max_waiters_per_user))) {
		ret = -EDQUOT;
		goto out;
	}
	if (!req->async)
		req->wait = &wait;
	req->wait->req = req;
	req->wait->task = current;
	req->wait->finished = false;
	list_add_tail(&req->wnode, pos);
	list_add_tail(&req->wait->gnode, &sess->waiting);
	req->want = a->mode;
	req->state = LD_CONVERTING;
	ld_stat_inc(waiters);
	w = req->wait;
	ld_lock_leave_pinned(lk, graph);

	ret = ld_wait(req, w, LD_CONVERTING, a);
	ld_req_put(req);
	return ret;

granted:
	a->handle = req->handle;
	a->generation = lk->generation;
	a->result = lk->owner_died ? LOCKDEV_RESULT_OWNER_DIED : 0;
out:
	ld_lock_leave_pinned(lk, graph);
	ld_req_put(req);
	return ret;
}

/**
 * ld_lock_convert() - LOCKDEV_IOC_CONVERT
 * @sess: the session
 * @handle: the grant's handle, or 0 to go by @name
 * @name: the lock's name
 * @len: its length
 * @a: the new mode and wait flags; generation and result are filled, and
 *	on EDEADLK result says why
 *
 * Context: may sleep.
 * Return: 0 or a negative errno of the uapi header's list.
 */
int ld_lock_convert(struct ld_session *sess, u64 handle, const u8 *name,
		    u32 len, struct ld_args *a)
{
	int ret;

	a->report = NULL;
	ret = ld_convert(sess, handle, name, len, a);
	if (a->report) {
		ld_report_keep(sess, a->report);
		a->report = NULL;
	}
	return ret;
}

/**
 * ld_lock_cancel() - LOCKDEV_IOC_CANCEL
 * @sess: the session
 * @handle: the queued asynchronous request
 *
 * Return: 0, or -ENOENT if no queued request has @handle.
 */
int ld_lock_cancel(struct ld_session *sess, u64 handle)
{
	struct ld_req *req = ld_req_lookup(sess, handle, NULL, 0);
	struct ld_lock *lk;
	bool unused = false;
	int ret = -ENOENT;

	if (!req)
		return ret;
	lk = req->lk;
	/* A waiting request stays waiting, and its lock alive, under it. */
	mutex_lock(ld_graph(lk));
	if (req->async && req->state == LD_WAITING) {
		spin_lock(&lk->lock);
		ld_stat_inc(cancels);
		ld_timeout_disarm(req);
		ld_unqueue(req, -ECANCELED);
		ld_complete(req, -ECANCELED);
		ld_grant_waiters(lk);
		unused = ld_req_end(req);
		spin_unlock(&lk->lock);
		ret = 0;
	}
	mutex_unlock(ld_graph(lk));
	if (unused)
		ld_lock_put(lk);
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
	struct ld_req *req = ld_req_lookup_pinned(sess, handle, name, len);
	struct ld_user *died = NULL;
	struct ld_lock *lk;
	int ret = 0;

	if (!req)
		return -ENOLCK;
	lk = req->lk;
	spin_lock(&lk->lock);
	if ((req->state != LD_HELD && req->state != LD_CONVERTING) ||
	    req->releasing)
		ret = -ENOLCK;
	else if (req->mode != LOCKDEV_MODE_EXCLUSIVE)
		ret = -EPERM;
	else
		died = ld_lock_repaired(lk);
	ld_lock_leave_pinned(lk, false);
	ld_died_user_put(died);
	ld_req_put(req);
	return ret;
}

/**
 * ld_lock_query() - LOCKDEV_IOC_QUERY
 * @sess: the session
 * @name: the lock's name
 * @len: its length
 * @a: entries are filled with the holders, then the waiters, and the
 *	generation
 * @lock_flags: set to LOCKDEV_QUERY_* bits
 *
 * Return: 0, -EACCES or -ENOMEM.
 */
int ld_lock_query(struct ld_session *sess, const u8 *name, u32 len,
		  struct ld_args *a, u32 *lock_flags)
{
	struct ld_fill f = { .args = a, .now = ktime_get_ns() };
	struct ld_lock *lk;
	struct ld_req *r;
	int ret;

	ret = ld_session_space(sess, LD_MAY_READ);
	if (ret)
		return ret;
	a->nr_entries = 0;
	a->generation = 0;
	*lock_flags = 0;
	lk = ld_lock_find(sess->space, name, len, false, &ret);
	if (!lk)
		return 0;
	spin_lock(&lk->lock);
	list_for_each_entry(r, &lk->holders, hnode)
		ld_fill_one(r, false, &f);
	list_for_each_entry(r, &lk->waiters, wnode)
		ld_fill_one(r, false, &f);
	a->generation = lk->generation;
	if (lk->owner_died)
		*lock_flags |= LOCKDEV_QUERY_OWNER_DIED;
	ld_lock_leave_pinned(lk, false);
	return 0;
}

/**
 * ld_lock_list() - LOCKDEV_IOC_LIST
 * @sess: the session
 * @out: room for @max entries
 * @max: how many fit
 * @nr: set to how many requests the session has
 *
 * Return: 0.
 */
int ld_lock_list(struct ld_session *sess, struct lockdev_held *out, u32 max,
		 u32 *nr)
{
	struct lockdev_held *h;
	struct ld_lock *lk;
	struct ld_req *req;
	unsigned long index;
	u32 n = 0;

	/* A request in @handles is alive, and keeps its lock alive. */
	xa_lock(&sess->handles);
	xa_for_each(&sess->handles, index, req) {
		lk = READ_ONCE(req->lk);
		if (!lk)
			continue;
		spin_lock(&lk->lock);
		if (!lk->dead && req->state != LD_DONE) {
			if (n < max) {
				h = &out[n];
				memset(h, 0, sizeof(*h));
				h->handle = req->handle;
				h->generation = lk->generation;
				h->mode = ld_req_want(req);
				h->state = req->state;
				h->level = req->level;
				h->name_len = lk->name_len;
				memcpy(h->name, lk->name, lk->name_len);
			}
			n++;
		}
		spin_unlock(&lk->lock);
	}
	xa_unlock(&sess->handles);
	*nr = n;
	return 0;
}

/* The session's next request from *@index on, referenced, or NULL. */
static struct ld_req *ld_session_next(struct ld_session *sess,
				      unsigned long *index)
{
	struct ld_req *req;

	xa_lock(&sess->handles);
	req = xa_find(&sess->handles, index, ULONG_MAX, XA_PRESENT);
	if (req) {
		refcount_inc(&req->ref);
		(*index)++;
	}
	xa_unlock(&sess->handles);
	return req;
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
	unsigned long index = 0;
	struct ld_lock *lk;
	struct ld_req *req;
	bool unused;

	while ((req = ld_session_next(sess, &index))) {
		mutex_lock(&sess->space->graph_mutex);
		unused = false;
		lk = req->lk;
		if (req->state == LD_WAITING || req->state == LD_CONVERTING) {
			spin_lock(&lk->lock);
			ld_stat_inc(cancels);
			ld_unqueue(req, -ECANCELED);
			ld_grant_waiters(lk);
			if (req->state == LD_DONE)
				unused = ld_req_end(req);
			spin_unlock(&lk->lock);
		}
		mutex_unlock(&sess->space->graph_mutex);
		if (unused)
			ld_lock_put(lk);
		ld_req_put(req);
	}

	index = 0;
	while ((req = ld_session_next(sess, &index))) {
		if (req->async && ld_req_async(req)->armed &&
		    cancel_delayed_work_sync(&ld_req_async(req)->dwork))
			refcount_dec(&req->ref);
		if (xa_load(&sess->handles, req->handle) == req) {
			if (req->state == LD_HELD)
				ld_release(req, true);
			else
				ld_req_forget(req);
		}
		ld_req_put(req);
	}
}

/* The next lock of @space that only its owner-died mark keeps, taken out. */
static struct ld_lock *ld_reap_next(struct rhashtable_iter *hti,
				    struct ld_space *space,
				    struct ld_user **died)
{
	struct ld_lock *lk;

	rhashtable_walk_start(hti);
	for (;;) {
		lk = rhashtable_walk_next(hti);
		if (IS_ERR(lk) && PTR_ERR(lk) == -EAGAIN)
			continue;
		if (IS_ERR_OR_NULL(lk)) {
			lk = NULL;
			break;
		}
		if (lk->space != space)
			continue;
		spin_lock(&lk->lock);
		if (!lk->dead && lk->owner_died && !lk->busy &&
		    list_empty(&lk->holders) && list_empty(&lk->waiters)) {
			*died = ld_lock_repaired(lk);
			ld_lock_remove(lk);
			spin_unlock(&lk->lock);
			break;
		}
		spin_unlock(&lk->lock);
	}
	rhashtable_walk_stop(hti);
	return lk;
}

/**
 * ld_lock_space_reap() - drop the owner-died locks of an unreachable
 * lockspace
 * @space: the lockspace, referenced, which no session can attach to again
 *
 * Context: may sleep. Linear in the number of locks, in the collector.
 */
void ld_lock_space_reap(struct ld_space *space)
{
	struct rhashtable_iter hti;
	struct ld_user *died;
	struct ld_lock *lk;

	rhashtable_walk_enter(&ld_locks, &hti);
	while ((lk = ld_reap_next(&hti, space, &died))) {
		ld_died_user_put(died);
		ld_lock_put(lk);
		cond_resched();
	}
	rhashtable_walk_exit(&hti);
}

/**
 * ld_lock_init() - set up the lock tables
 *
 * Return: 0 or a negative errno.
 */
int ld_lock_init(void)
{
	int ret;

	ld_req_cache = KMEM_CACHE(ld_req, SLAB_ACCOUNT);
	if (!ld_req_cache)
		return -ENOMEM;
	ret = rhashtable_init(&ld_locks, &ld_locks_params);
	if (ret)
		goto err_cache;
	ret = rhashtable_init(&ld_owned, &ld_owned_params);
	if (ret)
		goto err_locks;
	return 0;

err_locks:
	rhashtable_destroy(&ld_locks);
err_cache:
	kmem_cache_destroy(ld_req_cache);
	return ret;
}

/* At unload, only locks kept for their owner-died mark remain. */
static void ld_lock_exit_free(void *ptr, void *arg)
{
	struct ld_lock *lk = ptr;
	struct ld_user *died;

	WARN_ON(!list_empty(&lk->holders) || !list_empty(&lk->waiters));
	atomic_dec(&lk->space->locks);
	ld_stat_dec(locks);
	spin_lock(&lk->lock);
	died = ld_lock_repaired(lk);
	spin_unlock(&lk->lock);
	ld_died_user_put(died);
	ld_lock_put(lk);
}

/**
 * ld_lock_exit() - tear down the lock tables
 *
 * No session exists any more; the locks left are those marked owner-died.
 */
void ld_lock_exit(void)
{
	rhashtable_destroy(&ld_owned);
	rhashtable_free_and_destroy(&ld_locks, ld_lock_exit_free, NULL);
	rcu_barrier();
	kmem_cache_destroy(ld_req_cache);
}
