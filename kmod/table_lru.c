// SPDX-License-Identifier: GPL-2.0
/*
 * The lists of a lockspace's locks (table.c says what they hold): a drain
 * of the locks that went idle lately onto the idle list, in the order they
 * went idle; trims of the least recently used idle locks, for a bound or
 * at the lockspace's end; and walks that meet each lock once.
 */
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/wait_bit.h>

#include "params.h"
#include "space.h"
#include "stats.h"
#include "table.h"
#include "table_lru.h"
#include "user.h"

/* The lock of an entry of a lockspace's list, or NULL for a walk's mark. */
static struct ld_lock *ld_link_lock(struct list_head *pos)
{
	struct ld_link *l = list_entry(pos, struct ld_link, node);

	return atomic64_read(&l->rest) & LD_REST_MARK ? NULL :
	       container_of(l, struct ld_lock, link);
}

/* Levels of ld_lately_sort(): it sorts up to 2^LD_SORT_LEVELS locks. */
#define LD_SORT_LEVELS	32

/* The stamp of a lock of @lately, read without its lock: a drain's key. */
static u64 ld_lately_key(struct llist_node *node)
{
	return ld_lock_idle_since(llist_entry(node, struct ld_lock, lately));
}

/*
 * Merge two chains of locks sorted by when they went idle, @a's first. A
 * drain may sort a million: it lets others have the CPU every
 * LD_TRIM_BATCH steps.
 */
static struct llist_node *ld_lately_merge(struct llist_node *a,
					  struct llist_node *b)
{
	struct llist_node head, *tail = &head;
	u32 n = 0;

	while (a && b) {
		if (ld_lately_key(b) < ld_lately_key(a)) {
			tail->next = b;
			b = b->next;
		} else {
			tail->next = a;
			a = a->next;
		}
		tail = tail->next;
		if (!(++n % LD_TRIM_BATCH))
			cond_resched();
	}
	tail->next = a ?: b;
	return head.next;
}

/*
 * Sort a chain of locks by when they went idle: a bottom-up merge sort,
 * O(n log n), with @part[i] a sorted run of 2^i locks that came before
 * those of @part[j] for j < i.
 */
static struct llist_node *ld_lately_sort(struct llist_node *chain)
{
	struct llist_node *part[LD_SORT_LEVELS] = {}, *run;
	int i;

	while (chain) {
		run = chain;
		chain = chain->next;
		run->next = NULL;
		for (i = 0; i < LD_SORT_LEVELS - 1 && part[i]; i++) {
			run = ld_lately_merge(part[i], run);
			part[i] = NULL;
		}
		part[i] = ld_lately_merge(part[i], run);
	}
	run = NULL;
	for (i = 0; i < LD_SORT_LEVELS; i++)
		run = ld_lately_merge(part[i], run);
	return run;
}

/*
 * Put @lk, taken off @space->lately, on @space->idle if it is still idle.
 * Returns false if it was dropped meanwhile: the caller's reference may be
 * the last.
 */
static bool ld_lately_settle(struct ld_space *space, struct ld_lock *lk)
{
	s64 rest = atomic64_read(&lk->link.rest), new;

	lockdep_assert_held(&space->lru_lock);
	if (rest & LD_REST_DEAD)
		return false;
	do {
		new = rest & ~LD_REST_QUEUED;
		if (rest & LD_REST_IDLE)
			new |= LD_REST_LISTED;
	} while (!atomic64_try_cmpxchg(&lk->link.rest, &rest, new));
	/* Its stamp stays when it went idle: @idle is in that order. */
	if (new & LD_REST_LISTED)
		list_move_tail(&lk->link.node, &space->idle);
	return true;
}

/**
 * ld_space_drain() - list the locks of a lockspace that went idle lately
 * @space: the lockspace, referenced
 *
 * Takes @space->lately, sorts it by when each lock went idle and puts those
 * still idle at the tail of @space->idle in that order. Each lock is
 * referenced while the drain has it: a lockspace's end (ld_lock_space_reap())
 * may unlink it meanwhile.
 *
 * Context: may sleep; no lock held. Linear in the locks it takes, times
 * their logarithm; it holds lru_lock for LD_TRIM_BATCH of them at most.
 */
static void ld_space_drain(struct ld_space *space)
{
	struct llist_node *chain, *pos, *next, *gone = NULL;
	struct ld_lock *lk, *tmp;
	u32 n = 0;

	if (llist_empty(&space->lately))
		return;
	/*
	 * A lock in @lately, or in a chain taken from it and not referenced
	 * yet, is in the table: the only end of such a lock, its lockspace's
	 * (ld_space_reap_busy()), waits while @draining says there is one.
	 */
	spin_lock(&space->lru_lock);
	chain = llist_del_all(&space->lately);
	atomic_inc(&space->draining);
	for (pos = chain; pos; pos = pos->next) {
		refcount_inc(&llist_entry(pos, struct ld_lock, lately)->ref);
		if (++n % LD_TRIM_BATCH || !pos->next)
			continue;
		spin_unlock(&space->lru_lock);
		cond_resched();
		spin_lock(&space->lru_lock);
	}
	spin_unlock(&space->lru_lock);
	if (atomic_dec_and_test(&space->draining))
		wake_up_var(&space->draining);
	chain = ld_lately_sort(chain);
	n = 0;

	spin_lock(&space->lru_lock);
	for (pos = chain; pos; pos = next) {
		/* Once settled, it may be queued again, at once. */
		next = pos->next;
		lk = llist_entry(pos, struct ld_lock, lately);
		/* The table's reference stays: this one is not the last. */
		if (ld_lately_settle(space, lk)) {
			refcount_dec(&lk->ref);
		} else {
			pos->next = gone;
			gone = pos;
		}
		if (++n % LD_TRIM_BATCH)
			continue;
		spin_unlock(&space->lru_lock);
		cond_resched();
		spin_lock(&space->lru_lock);
	}
	spin_unlock(&space->lru_lock);
	llist_for_each_entry_safe(lk, tmp, gone, lately)
		ld_lock_put(lk);
}

/*
 * The first lock of @list, @space's idle list (the least recently used) or
 * its busy list. The marks of walks ahead of it are taken out of the list
 * (ld_walk_pos.at_head), so that the trims or the reap to come do not step
 * over them again: however many walks wait in a lockspace, a trim costs
 * what it drops, and a reap what it drops and one step per walk.
 */
static struct ld_lock *ld_list_first(struct ld_space *space,
				     struct list_head *list)
{
	struct list_head *pos, *next;
	struct ld_walk_pos *w;
	struct ld_lock *lk;

	lockdep_assert_held(&space->lru_lock);
	list_for_each_safe(pos, next, list) {
		lk = ld_link_lock(pos);
		if (lk)
			return lk;
		w = container_of(pos, struct ld_walk_pos, mark.node);
		list_del(pos);
		w->marked = false;
		w->at_head = true;
	}
	return NULL;
}

/**
 * ld_space_trim() - drop idle locks of a lockspace, least recently used first
 * @space: the lockspace
 * @keep: how many idle locks it keeps at most; 0 when it goes
 * @bound: for a bound, counted in idle_dropped and idle_cuts; not when the
 *	lockspace goes
 *
 * Context: may sleep; no lock held.
 * Return: how many it dropped.
 */
u32 ld_space_trim(struct ld_space *space, u32 keep, bool bound)
{
	struct ld_lock *lk, *tmp;
	LIST_HEAD(gone);
	bool cut = false;
	u32 n, dropped = 0;

	ld_space_drain(space);
	/*
	 * At most LD_TRIM_BATCH locks per hold of lru_lock: a lowered bound
	 * or a lockspace going may drop a million. Idle locks that another
	 * drain has taken, or that went idle since, are not on @idle yet.
	 */
	do {
		n = 0;
		spin_lock(&space->lru_lock);
		while (atomic_read(&space->nr_idle) > keep &&
		       n < LD_TRIM_BATCH) {
			lk = ld_list_first(space, &space->idle);
			if (!lk)
				break;
			ld_lock_unlink(lk, &gone);
			if (bound) {
				ld_stat_inc(idle_dropped);
				if (!cut)
					ld_stat_inc(idle_cuts);
				cut = true;
			}
			n++;
		}
		spin_unlock(&space->lru_lock);
		list_for_each_entry_safe(lk, tmp, &gone, link.node) {
			ld_lock_remove(lk);
			cond_resched();
		}
		INIT_LIST_HEAD(&gone);
		dropped += n;
	} while (n == LD_TRIM_BATCH);
	return dropped;
}

/*
 * ld_lock_space_reap() for the locks of @space->busy, the busy ones and
 * those that went idle lately, LD_TRIM_BATCH per hold of lru_lock.
 */
static void ld_space_reap_busy(struct ld_space *space)
{
	struct ld_lock *lk, *tmp;
	struct ld_user *died;
	LIST_HEAD(gone);
	u32 n;

	do {
		n = 0;
		spin_lock(&space->lru_lock);
		if (atomic_read(&space->draining)) {
			/* A drain has locks of @busy not referenced yet. */
			spin_unlock(&space->lru_lock);
			wait_var_event(&space->draining,
				       !atomic_read(&space->draining));
			n = LD_TRIM_BATCH;
			continue;
		}
		while (n < LD_TRIM_BATCH &&
		       (lk = ld_list_first(space, &space->busy))) {
			/* Idle lately, if another drain has it still. */
			if (!ld_lock_unlink(lk, &gone)) {
				atomic_dec(&space->locks);
				ld_stat_dec(locks);
			}
			n++;
		}
		spin_unlock(&space->lru_lock);
		list_for_each_entry_safe(lk, tmp, &gone, link.node) {
			spin_lock(&lk->lock);
			WARN_ON(!list_empty(&lk->holders) ||
				!list_empty(&lk->waiters));
			died = ld_lock_repaired(lk);
			spin_unlock(&lk->lock);
			ld_died_user_put(died);
			ld_lock_remove(lk);
			cond_resched();
		}
		INIT_LIST_HEAD(&gone);
	} while (n == LD_TRIM_BATCH);
}

/**
 * ld_lock_space_reap() - drop every lock of an unreachable lockspace
 * @space: the lockspace, referenced, which no session can attach to again
 *	and none is attached to: its locks are idle or owner-died
 *
 * A drain that took @space->lately before this one's (a /proc walk's) may
 * put locks of @space->busy on @space->idle while they are dropped, between
 * two holds of lru_lock; once @space->busy is empty it puts no more there,
 * so a second trim drops those.
 *
 * Context: may sleep. Linear in the number of its locks.
 */
void ld_lock_space_reap(struct ld_space *space)
{
	ld_space_trim(space, 0, false);
	ld_space_reap_busy(space);
	ld_space_trim(space, 0, false);
}

/*
 * Where @w goes on in @list: after its mark, which it takes out; at the
 * head of @list if a trim took the mark out there; or at its end.
 */
static struct list_head *ld_walk_resume(struct ld_walk_pos *w,
					struct list_head *list)
{
	struct list_head *pos;

	if (w->marked) {
		pos = w->mark.node.next;
		list_del(&w->mark.node);
		w->marked = false;
		return pos;
	}
	if (w->at_head) {
		w->at_head = false;
		return list->next;
	}
	return list;
}

/* Put the mark of @w in its list, right after the entry @after. */
static void ld_walk_mark(struct ld_walk_pos *w, struct list_head *after)
{
	atomic64_set(&w->mark.rest, LD_REST_MARK);
	list_add(&w->mark.node, after);
	w->marked = true;
}

/*
 * Does @w meet @lk, which its list has: was @lk there when the walk started
 * (its stamp is not above @w->upto), and is it on the list where the walk
 * meets it, the idle list if idle?
 */
static bool ld_walk_meets(const struct ld_walk_pos *w,
			  const struct ld_lock *lk)
{
	s64 rest = atomic64_read(&lk->link.rest);

	if ((u64)rest >> LD_REST_SHIFT > w->upto)
		return false;
	return w->in_idle || !(rest & LD_REST_IDLE);
}

/**
 * ld_walk_next() - the next lock of a walk of one lockspace
 * @space: the lockspace
 * @w: the walk, zeroed to start, and ended with ld_walk_end()
 * @idle: go on to the idle locks after the busy ones
 *
 * A lock that is in the lockspace for the whole walk is met once; one that
 * comes, goes idle or busy meanwhile is met at most once: the walk meets
 * the locks whose stamp is not above the one the lockspace had when it
 * started, the busy ones on the busy list and the idle ones on the idle
 * list, and passes the others. It keeps its place with a mark in the list,
 * so that a call costs one step per lock it passes, and per other walk's
 * mark; it lets go of the lockspace's lru_lock every LD_TRIM_BATCH steps.
 *
 * Context: may sleep.
 * Return: the next lock, referenced, or NULL at the end.
 */
struct ld_lock *ld_walk_next(struct ld_space *space, struct ld_walk_pos *w,
			     bool idle)
{
	struct ld_lock *found = NULL;
	struct list_head *list, *pos;
	u32 n = 0;

	if (!w->started) {
		ld_space_drain(space);
		/* A trim may have found those it listed with it: trim again. */
		ld_idle_bound();
	}
	spin_lock(&space->lru_lock);
	list = w->in_idle ? &space->idle : &space->busy;
	if (!w->started) {
		w->started = true;
		w->upto = atomic64_read(&space->stamp);
		pos = list->next;
	} else {
		pos = ld_walk_resume(w, list);
	}
	for (;;) {
		if (pos == list) {
			if (w->in_idle || !idle)
				break;
			w->in_idle = true;
			list = &space->idle;
			pos = list->next;
			continue;
		}
		found = ld_link_lock(pos);
		if (found && ld_walk_meets(w, found))
			break;
		found = NULL;
		/* A lock passed or another walk's mark: a step either way. */
		if (++n < LD_TRIM_BATCH) {
			pos = pos->next;
			continue;
		}
		ld_walk_mark(w, pos);
		spin_unlock(&space->lru_lock);
		cond_resched();
		spin_lock(&space->lru_lock);
		pos = ld_walk_resume(w, list);
		n = 0;
	}
	if (found) {
		refcount_inc(&found->ref);
		ld_walk_mark(w, &found->link.node);
	}
	spin_unlock(&space->lru_lock);
	return found;
}

/**
 * ld_walk_end() - end a walk of one lockspace, at its end or before
 * @space: the lockspace
 * @w: the walk; zeroed again
 */
void ld_walk_end(struct ld_space *space, struct ld_walk_pos *w)
{
	if (w->started) {
		/* A trim may take the mark out meanwhile: look under the lock. */
		spin_lock(&space->lru_lock);
		if (w->marked)
			list_del(&w->mark.node);
		spin_unlock(&space->lru_lock);
	}
	memset(w, 0, sizeof(*w));
}
