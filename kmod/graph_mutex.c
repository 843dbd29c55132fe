// SPDX-License-Identifier: GPL-2.0
/*
 * The graph mutex of a lockspace (locking.h), and the grants handed over
 * to its holder. An UNLOCK or a downgrade of a lock with waiters grants
 * them, which needs the graph mutex: the wait-for graph walk reads the
 * holders and waiters of every lock with waiters, frozen under it. So that
 * neither waits for that mutex behind another task's walk, one that finds
 * it taken changes the hold at once, as far as the lock's counts, its
 * generation and the session go, and hands the rest over: an UNLOCK leaves
 * its request on the lock's holders, skipped by every reader of them, and
 * the mutex's holder takes it off and grants the waiters when it gives the
 * mutex up, or the next task when it takes it.
 */
#include <linux/llist.h>
#include <linux/mutex.h>

#include "grant.h"
#include "graph.h"
#include "request.h"
#include "session.h"
#include "space.h"
#include "stats.h"
#include "table.h"

/**
 * ld_graph_defer() - hand the grants of a lock over to the graph mutex
 * @req: a held request of the lock, whose hold just ended (claimed by its
 *	UNLOCK, counted out with ld_hold_end() and LD_DONE) or was
 *	downgraded
 *
 * The request stays on its lock's holders until ld_graph_drain() takes it
 * off, if its hold ended, and grants the waiters; the reference taken here
 * is that drain's. A request handed over already is not queued twice: the
 * drain sees what it is by then. The caller calls ld_graph_kick() once it
 * holds no lock.
 *
 * Context: @req->lk->lock held; the lock has waiters, and another task holds
 * ld_graph() of it.
 */
void ld_graph_defer(struct ld_req *req)
{
	struct ld_space *space = req->lk->space;

	lockdep_assert_held(&req->lk->lock);
	ld_stat_inc(handed_over);
	if (req->handed)
		return;
	req->handed = true;
	WRITE_ONCE(req->sess->handed, true);
	refcount_inc(&req->ref);
	/* Full barriers: pair with the smp_mb() of ld_graph_unlock(). */
	if (req->async)
		llist_add(&ld_req_async(req)->gone, &space->released_async);
	else
		llist_add(&req->gone, &space->released);
}

/*
 * Finish a hand-over: take @req off its lock's holders if its hold ended,
 * grant what the lock's queue allows, and drop the request. Returns what
 * ld_lock_rest() returns.
 */
static bool ld_graph_finish(struct ld_req *req)
{
	struct ld_lock *lk = req->lk;
	bool over;

	spin_lock(&lk->lock);
	req->handed = false;
	/*
	 * A sync request's @wait shares its room with @gone. An async one's
	 * may be the wait of a conversion queued since: leave it.
	 */
	if (!req->async)
		req->wait = NULL;
	/* Ended by a hand-over, or since by an UNLOCK: off, if not yet. */
	if (req->state == LD_DONE)
		list_del_init(&req->hnode);
	ld_grant_waiters(lk);
	over = ld_lock_rest(lk);
	spin_unlock(&lk->lock);
	ld_req_put(req);
	return over;
}

/*
 * Finish the hand-overs queued in @space. Return true if a lock went idle
 * past the lockspace's bound.
 */
static bool ld_graph_drain(struct ld_space *space)
{
	struct llist_node *list = llist_del_all(&space->released);
	struct llist_node *alist = llist_del_all(&space->released_async);
	struct ld_async *as, *atmp;
	struct ld_req *req, *tmp;
	bool over = false;

	lockdep_assert_held(&space->graph_mutex);
	llist_for_each_entry_safe(req, tmp, llist_reverse_order(list), gone)
		over |= ld_graph_finish(req);
	llist_for_each_entry_safe(as, atmp, llist_reverse_order(alist), gone)
		over |= ld_graph_finish(&as->req);
	return over;
}

/* Has @space hand-overs queued? */
static bool ld_graph_pending(struct ld_space *space)
{
	return !llist_empty(&space->released) ||
	       !llist_empty(&space->released_async);
}

/**
 * ld_graph_lock() - take the graph mutex of a lockspace
 * @space: the lockspace, referenced by the caller
 *
 * Finishes the hand-overs queued before, so that its holder finds every
 * lock as its holders left it.
 *
 * Context: may sleep; no lock of the module held.
 */
void ld_graph_lock(struct ld_space *space)
{
	mutex_lock(&space->graph_mutex);
	while (unlikely(ld_graph_drain(space))) {
		mutex_unlock(&space->graph_mutex);
		ld_space_trim_if(space, true);
		mutex_lock(&space->graph_mutex);
	}
}

/**
 * ld_graph_unlock() - give up the graph mutex of a lockspace
 * @space: the lockspace, referenced by the caller
 *
 * Then finishes the hand-overs queued while it was held, taking it again
 * with mutex_trylock() for them: if another task has it by then, that task
 * finishes them. Each round finishes the UNLOCKs and downgrades that other
 * tasks made while the mutex was held, each of which had found it taken.
 *
 * Context: may sleep; ld_graph() of @space held, and no spinlock.
 */
void ld_graph_unlock(struct ld_space *space)
{
	bool over = false;

	for (;;) {
		mutex_unlock(&space->graph_mutex);
		/*
		 * Pairs with the barrier of llist_add() in ld_graph_defer():
		 * either that call's ld_graph_kick() finds the mutex free, or
		 * this finds its request.
		 */
		smp_mb();
		ld_space_trim_if(space, over);
		if (!ld_graph_pending(space) ||
		    !mutex_trylock(&space->graph_mutex))
			return;
		over = ld_graph_drain(space);
	}
}

/**
 * ld_graph_kick() - finish a hand-over, if the mutex came free
 * @space: the lockspace, referenced by the caller
 *
 * Context: may sleep; no lock of the module held.
 */
void ld_graph_kick(struct ld_space *space)
{
	if (mutex_trylock(&space->graph_mutex))
		ld_graph_unlock(space);
}
