// SPDX-License-Identifier: GPL-2.0
/*
 * The lock table: lock objects by (lockspace, name), resident after their
 * last holder and waiter went; how a lock goes idle and busy again, and the
 * module-wide bound on idle locks; generations, value blocks and owner-died
 * marks. The drains, trims and walks of a lockspace's lists of locks are in
 * table_lru.c.
 *
 * Every lock of a lockspace is on one of its two lists, under its lru_lock:
 * @busy (held, awaited, owner-died, being set up, or idle lately) or @idle
 * (nobody holds or awaits it). A lock joins the tail of @busy with a stamp,
 * strictly increasing per lockspace, and takes a new one when it goes idle.
 * A walk passes the locks whose stamp is above the one the lockspace had
 * when the walk came to it: those came or moved after that, and may have
 * been met already.
 *
 * Going idle and busy again, what a LOCK and UNLOCK of an idle lock do,
 * take no lru_lock: a lock going idle stays on @busy, marked idle
 * (LD_REST_IDLE) with the stamp of when, and is queued once on the
 * lockspace's @lately; asked for again before it left @busy, it only
 * loses the mark. ld_space_drain() puts the locks of @lately that are idle
 * on @idle in the order they went idle, before a trim, a walk, or the
 * lockspace's end: so the head of @idle is the least recently used idle
 * lock whenever a trim looks. The rest bits of a lock, changed atomically,
 * settle who moves it: going busy again takes a lock off @idle under
 * lru_lock only if it is there (LD_REST_LISTED); a drain lists only a lock
 * still idle.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/percpu_counter.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "class.h"
#include "events.h"
#include "grant.h"
#include "params.h"
#include "session.h"
#include "space.h"
#include "stats.h"
#include "table.h"
#include "table_lru.h"
#include "user.h"

/*
 * Every lock comes from a cache of its name's length class, so that it
 * costs its name's length rounded up to 8 bytes, or to 16 above
 * LD_NAME_FINE, and no more: kmalloc() would round a lock of a long name,
 * a path say, up to a power of two, up to twice what it needs.
 */
#define LD_NAME_FINE	128
#define LD_NAME_CACHES	(LD_NAME_FINE / 8 + \
			 DIV_ROUND_UP(LOCKDEV_NAME_MAX - LD_NAME_FINE, 16))

/* Every lock, keyed by (lockspace, name). */
struct rhashtable ld_locks;
static struct kmem_cache *ld_lock_caches[LD_NAME_CACHES];
/* Their names: lockdev_lock_N for a name room of N bytes. */
static char ld_lock_cache_names[LD_NAME_CACHES][24];

/* The index of the cache of locks with names of @len bytes. */
static u32 ld_lock_cache_index(u32 len)
{
	if (len <= LD_NAME_FINE)
		return (len - 1) / 8;
	return LD_NAME_FINE / 8 + (len - LD_NAME_FINE - 1) / 16;
}

/* The name room of the locks of cache @i. */
static u32 ld_lock_cache_room(u32 i)
{
	if (i < LD_NAME_FINE / 8)
		return (i + 1) * 8;
	return LD_NAME_FINE + (i + 1 - LD_NAME_FINE / 8) * 16;
}

/* The cache of locks with names of @len bytes. */
static struct kmem_cache *ld_lock_cache(u32 len)
{
	return ld_lock_caches[ld_lock_cache_index(len)];
}

DEFINE_PER_CPU(u64, ld_gen_seq);
/*
 * Idle locks of all lockspaces, for max_idle_locks: per CPU, so that locks
 * going idle and busy on many CPUs share no cache line; compared exactly
 * near the bound (percpu_counter_compare()).
 */
static struct percpu_counter ld_nr_idle;

static void ld_idle_trim_fn(struct work_struct *work);
static DECLARE_WORK(ld_idle_trim_work, ld_idle_trim_fn);

/**
 * ld_idle_bound() - queue the trim of idle locks beyond max_idle_locks
 *
 * Context: any; queues a work item if all lockspaces together have more
 * idle locks than max_idle_locks.
 */
void ld_idle_bound(void)
{
	if (percpu_counter_compare(&ld_nr_idle,
				   READ_ONCE(ld_max_idle_locks)) > 0)
		queue_work(system_unbound_wq, &ld_idle_trim_work);
}

struct ld_key {
	const struct ld_space *space;
	const u8 *name;
	u32 len;
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

static __always_inline int
ld_lock_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
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

/*
 * The next stamp of @space, for a lock joining its busy list or going
 * idle: strictly increasing, about ns.
 */
static __always_inline s64 ld_stamp(struct ld_space *space)
{
	s64 now = ld_coarse_ns(), old = atomic64_read(&space->stamp), new;

	do {
		new = max(now, old + 1);
	} while (!atomic64_try_cmpxchg(&space->stamp, &old, new));
	return new;
}

/* Give @lk a new stamp, keeping its rest bits. */
static __always_inline void ld_lock_restamp(struct ld_lock *lk)
{
	s64 stamp = ld_stamp(lk->space) << LD_REST_SHIFT;
	s64 rest = atomic64_read(&lk->link.rest);

	while (!atomic64_try_cmpxchg(&lk->link.rest, &rest,
				     stamp | (rest & LD_REST_FLAGS)))
		cpu_relax();
}

/* Put @lk at the tail of the busy list of its lockspace, with a new stamp. */
static void ld_lock_relink(struct ld_lock *lk)
{
	lockdep_assert_held(&lk->space->lru_lock);
	list_move_tail(&lk->link.node, &lk->space->busy);
	ld_lock_restamp(lk);
}

static void ld_lock_free(struct ld_lock *lk);

static void ld_lock_free_rcu(struct rcu_head *rcu)
{
	ld_lock_free(container_of(rcu, struct ld_lock, rcu));
}

/* What @lk costs, for the memory counter. */
static size_t ld_lock_size(const struct ld_lock *lk)
{
	if (lk->space->cl)
		return ld_cl_lock_size(lk);
	return kmem_cache_size(ld_lock_cache(lk->name_len));
}

/* Free @lk's memory, which nobody can reach any more. */
static void ld_lock_free(struct ld_lock *lk)
{
	kmem_cache_free(ld_lock_cache(lk->name_len), lk);
}

/**
 * __ld_lock_put() - free a lock whose last reference was dropped
 * @lk: the lock
 *
 * The last reference is never the table's; the lock is freed after an RCU
 * grace period (lookups run under rcu_read_lock()).
 *
 * Context: may sleep (the lockspace may go with it).
 */
void __ld_lock_put(struct ld_lock *lk)
{
	struct ld_space *space = lk->space;
	u8 *value = lk->value;

	ld_stat_add(memory, -(long)ld_lock_size(lk));
	/*
	 * A cluster lock's DLM side takes its state, then frees it in its
	 * work, which may run at once: @lk is not touched after this.
	 */
	if (space->cl)
		ld_cl_lock_drop(lk);
	else
		call_rcu(&lk->rcu, ld_lock_free_rcu);
	if (value) {
		ld_stat_add(memory, -(long)ksize(value));
		kfree(value);
	}
	ld_space_put(space);
}

/* Free a lock that never was in the table. */
static void ld_lock_discard(struct ld_lock *lk)
{
	struct ld_space *space = lk->space;

	atomic_dec(&space->locks);
	if (space->cl)
		ld_cl_lock_free(lk);
	else
		ld_lock_free(lk);
	ld_space_put(space);
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
	if (space->cl)
		lk = ld_cl_lock_alloc(space->cl, name, len);
	else
		lk = kmem_cache_zalloc(ld_lock_cache(len), GFP_KERNEL_ACCOUNT);
	if (!lk) {
		atomic_dec(&space->locks);
		*err = -ENOMEM;
		return NULL;
	}
	ld_space_get(space);
	lk->space = space;
	/* The table's reference and the caller's, and the caller's pin. */
	refcount_set(&lk->ref, 2);
	lk->busy = 1;
	spin_lock_init(&lk->lock);
	INIT_LIST_HEAD(&lk->holders);
	INIT_LIST_HEAD(&lk->waiters);
	INIT_LIST_HEAD(&lk->link.node);
	lk->name_len = len;
	memcpy(lk->name, name, len);
	lk->generation = ld_lock_next_generation(lk);
	lk->class = ld_class_find(space, name, len);
	return lk;
}

/* Count @lk, idle until now, out of the idle locks. */
static void ld_lock_unidle(struct ld_lock *lk)
{
	atomic_dec(&lk->space->nr_idle);
	percpu_counter_dec(&ld_nr_idle);
	ld_stat_dec(idle_locks);
}

/* Count @lk, idle until now, as busy; its lockspace's busy count is. */
static void ld_lock_woken(struct ld_lock *lk)
{
	ld_lock_unidle(lk);
	ld_stat_inc(locks);
}

/* ld_lock_wake() of a lock on its lockspace's idle list. */
static int ld_lock_wake_listed(struct ld_lock *lk)
{
	struct ld_space *space = lk->space;
	int ret = 0;

	spin_lock(&space->lru_lock);
	if (ld_lock_dead(lk)) {
		atomic_dec(&space->locks);
		ret = -EAGAIN;
	} else {
		atomic64_andnot(LD_REST_IDLE | LD_REST_LISTED, &lk->link.rest);
		ld_lock_relink(lk);
		ld_lock_woken(lk);
	}
	spin_unlock(&space->lru_lock);
	return ret;
}

/*
 * Make @lk, found, busy if it is idle. Fails with -EAGAIN if it was dropped
 * meanwhile (look again), -ENOSPC at the lockspace's limit of busy locks.
 */
static int ld_lock_wake(struct ld_lock *lk)
{
	struct ld_space *space = lk->space;
	s64 rest = atomic64_read(&lk->link.rest);

	lockdep_assert_held(&lk->lock);
	/* A dropped lock is idle, or one whose creation was undone. */
	if (!(rest & LD_REST_IDLE))
		return rest & LD_REST_DEAD ? -EAGAIN : 0;
	if ((unsigned int)atomic_inc_return(&space->locks) >
	    READ_ONCE(ld_max_locks_per_space)) {
		atomic_dec(&space->locks);
		return -ENOSPC;
	}
	/* Not yet on the idle list: it stays where it is, on the busy one. */
	do {
		if (!(rest & LD_REST_IDLE)) {
			/* Dropped with its lockspace meanwhile. */
			atomic_dec(&space->locks);
			return -EAGAIN;
		}
		if (rest & LD_REST_LISTED)
			return ld_lock_wake_listed(lk);
	} while (!atomic64_try_cmpxchg(&lk->link.rest, &rest,
				       rest & ~LD_REST_IDLE));
	ld_lock_woken(lk);
	return 0;
}

/*
 * Insert @new into the table and return it; or ERR_PTR(-EEXIST) if another
 * lock of the name is there, or another error. Its busy count, 1 from its
 * creation, keeps it from going idle before it is on its lockspace's list.
 */
static struct ld_lock *ld_lock_insert(struct ld_lock *new)
{
	struct ld_key key = {
		.space = new->space, .name = new->name, .len = new->name_len,
	};
	struct ld_space *space = new->space;
	struct ld_lock *old;

	old = rhashtable_lookup_get_insert_key(&ld_locks, &key, &new->node,
					       ld_locks_params);
	if (old)
		return IS_ERR(old) ? old : ERR_PTR(-EEXIST);
	spin_lock(&space->lru_lock);
	list_add_tail(&new->link.node, &space->busy);
	ld_lock_restamp(new);
	spin_unlock(&space->lru_lock);
	ld_stat_inc(locks);
	ld_stat_add(memory, ld_lock_size(new));
	return new;
}

/* The lock of @space named @name, referenced; ERR_PTR(-EAGAIN): look again. */
static __always_inline struct ld_lock *
ld_lock_lookup(struct ld_space *space, const u8 *name, u32 len)
{
	struct ld_key key = { .space = space, .name = name, .len = len };
	struct ld_lock *lk;

	rcu_read_lock();
	lk = rhashtable_lookup(&ld_locks, &key, ld_locks_params);
	if (lk && !refcount_inc_not_zero(&lk->ref))
		lk = ERR_PTR(-EAGAIN);
	rcu_read_unlock();
	return lk;
}

/**
 * ld_lock_get() - find a lock
 * @space: the lockspace
 * @name: the lock's name
 * @len: its length
 *
 * The lock found may be dropped meanwhile: the caller looks at
 * ld_lock_dead() under its lock.
 *
 * Return: the lock, referenced, or NULL.
 */
struct ld_lock *ld_lock_get(struct ld_space *space, const u8 *name, u32 len)
{
	struct ld_lock *lk;

	while (IS_ERR(lk = ld_lock_lookup(space, name, len)))
		cond_resched();
	return lk;
}

/**
 * ld_lock_make() - find a lock or create it, busy, pinned and locked
 * @space: the lockspace
 * @name: the lock's name
 * @len: its length
 * @err: set to -ENOSPC or -ENOMEM when that fails
 * @created: set to whether this call created it
 *
 * The lock is made busy and pinned (its busy count): a request is about
 * to join it. It is returned locked, as its request needs it next.
 *
 * Context: may sleep.
 * Return: the lock, referenced, pinned, its lock held; or NULL.
 */
struct ld_lock *ld_lock_make(struct ld_space *space, const u8 *name, u32 len,
			     int *err, bool *created)
{
	struct ld_lock *lk, *new = NULL;

	*err = 0;
	*created = false;
	for (;; cond_resched()) {
		lk = ld_lock_lookup(space, name, len);
		if (IS_ERR(lk))
			continue;
		if (!lk) {
			if (!new)
				new = ld_lock_alloc(space, name, len, err);
			if (!new)
				return NULL;
			lk = ld_lock_insert(new);
			if (lk == new) {
				*created = true;
				spin_lock(&lk->lock);
				/* For sparse: ld_acquire() says it holds it. */
				__release(&lk->lock);
				return lk;
			}
			/* Another task inserted the name first: find it. */
			if (PTR_ERR(lk) == -EEXIST)
				continue;
			*err = PTR_ERR(lk);
			lk = NULL;
			break;
		}
		spin_lock(&lk->lock);
		*err = ld_lock_wake(lk);
		if (!*err && !ld_lock_dead(lk)) {
			lk->busy++;
			__release(&lk->lock);
			break;
		}
		spin_unlock(&lk->lock);
		ld_lock_put(lk);
		lk = NULL;
		if (*err && *err != -EAGAIN)
			break;
		*err = 0;
	}
	if (new)
		ld_lock_discard(new);
	return lk;
}

/**
 * ld_lock_rest() - a lock may have lost its last holder and waiter
 * @lk: the lock
 *
 * An unused lock that is not owner-died becomes idle: the most recently
 * used of its lockspace's idle locks. One marked owner-died stays on the
 * busy list, with a new stamp.
 *
 * Context: @lk->lock held.
 * Return: true if the lockspace now has more idle locks than its bound, or
 * was removed: the caller calls ld_space_trim_if() once it dropped its
 * locks.
 */
bool ld_lock_rest(struct ld_lock *lk)
{
	struct ld_space *space = lk->space;
	s64 rest = atomic64_read(&lk->link.rest), stamp, new;
	bool over;

	lockdep_assert_held(&lk->lock);
	if (lk->busy || !list_empty(&lk->holders) ||
	    !list_empty(&lk->waiters) ||
	    (rest & (LD_REST_IDLE | LD_REST_DEAD)))
		return false;
	if (lk->owner_died) {
		/* Kept, and from now on idle: its stamp says since when. */
		spin_lock(&space->lru_lock);
		if (!ld_lock_dead(lk))
			ld_lock_relink(lk);
		spin_unlock(&space->lru_lock);
		return false;
	}
	stamp = ld_stamp(space) << LD_REST_SHIFT;
	do {
		new = stamp | (rest & LD_REST_FLAGS) | LD_REST_IDLE |
		      LD_REST_QUEUED;
	} while (!atomic64_try_cmpxchg(&lk->link.rest, &rest, new));
	if (!(rest & LD_REST_QUEUED))
		llist_add(&lk->lately, &space->lately);
	atomic_dec(&space->locks);
	ld_stat_dec(locks);
	ld_stat_inc(idle_locks);
	over = atomic_inc_return(&space->nr_idle) >
	       READ_ONCE(ld_max_idle_locks_per_space) ||
	       READ_ONCE(space->removed);
	percpu_counter_inc(&ld_nr_idle);
	ld_idle_bound();
	return over;
}

/**
 * ld_lock_unlink() - take a lock out of its lockspace's lists for good
 * @lk: the lock
 * @gone: the caller's list to put it on, or NULL for none
 *
 * The caller drops the table's reference with ld_lock_remove().
 *
 * Context: @lk->space->lru_lock held.
 * Return: whether it was idle, and is uncounted as such; a lock that was
 * not is still counted busy.
 */
bool ld_lock_unlink(struct ld_lock *lk, struct list_head *gone)
{
	s64 rest, new;
	bool idle;

	lockdep_assert_held(&lk->space->lru_lock);
	/* In one step: going busy again must see it idle, or dead. */
	rest = atomic64_read(&lk->link.rest);
	do {
		new = (rest & ~(LD_REST_IDLE | LD_REST_LISTED)) | LD_REST_DEAD;
	} while (!atomic64_try_cmpxchg(&lk->link.rest, &rest, new));
	idle = rest & LD_REST_IDLE;
	if (idle)
		ld_lock_unidle(lk);
	if (gone)
		list_move_tail(&lk->link.node, gone);
	else
		list_del_init(&lk->link.node);
	return idle;
}

/**
 * ld_lock_unmake() - undo the creation of a lock that no request joined
 * @lk: the lock, created by the failing call, which still references it
 *
 * A call that fails leaves no lock behind that it created. The caller
 * passes @lk to ld_lock_remove() once it dropped @lk->lock, if this
 * returns true.
 *
 * Context: @lk->lock held.
 * Return: true if @lk is out of its lockspace's lists, false if another
 * request joined it meanwhile.
 */
bool ld_lock_unmake(struct ld_lock *lk)
{
	struct ld_space *space = lk->space;

	lockdep_assert_held(&lk->lock);
	if (lk->busy || lk->owner_died || !list_empty(&lk->holders) ||
	    !list_empty(&lk->waiters))
		return false;
	spin_lock(&space->lru_lock);
	if (atomic64_read(&lk->link.rest) & LD_REST_FLAGS) {
		spin_unlock(&space->lru_lock);
		return false;
	}
	ld_lock_unlink(lk, NULL);
	spin_unlock(&space->lru_lock);
	atomic_dec(&space->locks);
	ld_stat_dec(locks);
	return true;
}

/**
 * ld_lock_remove() - the second half of dropping a lock
 * @lk: the lock, out of its lockspace's lists
 *
 * Takes it out of the hash table and drops the table's reference. A walk
 * of the table that takes no reference (the event scanner) may hold
 * @lk->lock and have seen it alive (ld_lock_dead()) before a trim, which
 * does not take @lk->lock, marked it: taking @lk->lock here waits for it,
 * before the last put reuses @lk->holders for the RCU callback. A walk
 * that takes @lk->lock later sees it dead.
 *
 * Context: may sleep; @lk->lock not held.
 */
void ld_lock_remove(struct ld_lock *lk)
{
	list_del_init(&lk->link.node);
	rhashtable_remove_fast(&ld_locks, &lk->node, ld_locks_params);
	spin_lock(&lk->lock);
	spin_unlock(&lk->lock);
	ld_lock_put(lk);
}

/*
 * max_idle_locks: the uids whose lockspaces have the most idle locks give
 * some up, each from its lockspaces with the most (ld_space_most_idle()),
 * so that a uid that spreads its idle locks over many lockspaces cannot
 * push out another uid's. It stops when a lockspace gives up none: its idle
 * locks are with a drain (a /proc walk's) that has not listed them yet, and
 * the next lock to go idle over the bound queues the work again.
 */
static void ld_idle_trim_fn(struct work_struct *work)
{
	struct ld_space *space;
	u32 keep, dropped;
	long over;

	for (;;) {
		over = percpu_counter_sum(&ld_nr_idle) -
		       (long)READ_ONCE(ld_max_idle_locks);
		if (over <= 0)
			break;
		space = ld_space_most_idle(over, &keep);
		if (!space)
			break;
		dropped = ld_space_trim(space, keep, true);
		ld_space_put(space);
		if (!dropped)
			break;
		cond_resched();
	}
}

/**
 * ld_lock_repaired() - clear the owner-died mark of a lock
 * @lk: the lock
 *
 * Context: @lk->lock held.
 * Return: the uid charged for the mark, to pass to ld_died_user_put() once
 * @lk->lock is dropped, or NULL.
 */
struct ld_user *ld_lock_repaired(struct ld_lock *lk)
{
	struct ld_user *user = lk->died_user;

	lockdep_assert_held(&lk->lock);
	lk->owner_died = false;
	lk->died_user = NULL;
	return user;
}

/**
 * ld_died_user_put() - drop the charge and reference of an owner-died mark
 * @user: what ld_lock_repaired() returned
 */
void ld_died_user_put(struct ld_user *user)
{
	if (!user)
		return;
	atomic_dec(&user->locks);
	ld_user_put(user);
}

/**
 * ld_lock_value() - the value block of a lock, for a grant or a query
 * @lk: the lock
 * @value: LOCKDEV_VALUE_LEN bytes to fill; all zero if not valid
 *
 * Context: @lk->lock held.
 * Return: 0, or LOCKDEV_RESULT_VALUE_INVALID.
 */
u32 ld_lock_value(const struct ld_lock *lk, u8 *value)
{
	lockdep_assert_held(&lk->lock);
	if (lk->value) {
		memcpy(value, lk->value, LOCKDEV_VALUE_LEN);
		return 0;
	}
	memset(value, 0, LOCKDEV_VALUE_LEN);
	return LOCKDEV_RESULT_VALUE_INVALID;
}

/**
 * ld_value_alloc() - room for a value block, taken before the lock's lock
 * @a: the request, whose @a->value_room gets it
 *
 * Return: 0 or -ENOMEM.
 */
int ld_value_alloc(struct ld_args *a)
{
	a->value_room = kmalloc(LOCKDEV_VALUE_LEN, GFP_KERNEL_ACCOUNT);
	return a->value_room ? 0 : -ENOMEM;
}

/**
 * ld_lock_set_value() - set the value block of a lock
 * @lk: the lock, held by the caller in APPEND or EXCLUSIVE
 * @a: the request: @a->value, and @a->value_room unless @lk has room
 *
 * Context: @lk->lock held.
 */
void ld_lock_set_value(struct ld_lock *lk, struct ld_args *a)
{
	lockdep_assert_held(&lk->lock);
	if (!lk->value) {
		lk->value = a->value_room;
		a->value_room = NULL;
		ld_stat_add(memory, ksize(lk->value));
	}
	memcpy(lk->value, a->value, LOCKDEV_VALUE_LEN);
}

/**
 * ld_table_init() - set up the lock table
 *
 * Return: 0 or a negative errno.
 */
int ld_table_init(void)
{
	int i, ret = -ENOMEM;
	size_t size;

	for (i = 0; i < LD_NAME_CACHES; i++) {
		size = struct_size_t(struct ld_lock, name,
				     ld_lock_cache_room(i));
		snprintf(ld_lock_cache_names[i], sizeof(ld_lock_cache_names[i]),
			 "lockdev_lock_%u", ld_lock_cache_room(i));
		ld_lock_caches[i] = kmem_cache_create(ld_lock_cache_names[i],
						      size,
						      __alignof__(struct ld_lock),
						      SLAB_ACCOUNT, NULL);
		if (!ld_lock_caches[i])
			goto err;
	}
	ret = percpu_counter_init(&ld_nr_idle, 0, GFP_KERNEL);
	if (ret)
		goto err;
	ret = rhashtable_init(&ld_locks, &ld_locks_params);
	if (!ret)
		return 0;
	percpu_counter_destroy(&ld_nr_idle);
err:
	while (i--)
		kmem_cache_destroy(ld_lock_caches[i]);
	return ret;
}

/* At unload, only locks kept for their owner-died mark remain. */
static void ld_table_exit_free(void *ptr, void *arg)
{
	struct ld_lock *lk = ptr;
	struct ld_user *died;

	WARN_ON(!list_empty(&lk->holders) || !list_empty(&lk->waiters) ||
		(atomic64_read(&lk->link.rest) & (LD_REST_IDLE | LD_REST_LISTED)));
	atomic_dec(&lk->space->locks);
	ld_stat_dec(locks);
	spin_lock(&lk->lock);
	died = ld_lock_repaired(lk);
	spin_unlock(&lk->lock);
	ld_died_user_put(died);
	list_del_init(&lk->link.node);
	ld_lock_put(lk);
}

/**
 * ld_table_exit() - tear down the lock table
 *
 * No session exists any more, so no idle lock either; the locks left are
 * those marked owner-died.
 */
void ld_table_exit(void)
{
	int i;

	cancel_work_sync(&ld_idle_trim_work);
	rhashtable_free_and_destroy(&ld_locks, ld_table_exit_free, NULL);
	rcu_barrier();
	percpu_counter_destroy(&ld_nr_idle);
	for (i = 0; i < LD_NAME_CACHES; i++)
		kmem_cache_destroy(ld_lock_caches[i]);
}

/**
 * ld_lock_owner_died() - a holder in APPEND or EXCLUSIVE went away
 * @lk: the lock
 * @req: the holder, of a closing session
 *
 * The uid of its session keeps paying for the lock until it is repaired,
 * and the value block is not valid any more.
 *
 * Context: @lk->lock held.
 */
void ld_lock_owner_died(struct ld_lock *lk, const struct ld_req *req)
{
	lockdep_assert_held(&lk->lock);
	if (!lk->died_user) {
		lk->died_user = req->sess->user;
		refcount_inc(&lk->died_user->ref);
		atomic_inc(&lk->died_user->locks);
	}
	lk->owner_died = true;
	if (lk->value) {
		ld_stat_add(memory, -(long)ksize(lk->value));
		kfree(lk->value);
		lk->value = NULL;
	}
	ld_stat_inc(owner_deaths);
	ld_event_owner_died(lk, req);
}
