// SPDX-License-Identifier: GPL-2.0
/*
 * The graph mutex of a lockspace (locking.h), and the releases handed over
 * to its holder. An UNLOCK of a lock with waiters grants them, which needs
 * the graph mutex: the wait-for graph walk reads the holders and waiters of
 * every lock with waiters, frozen under it. So that an UNLOCK never waits
 * for that mutex behind another task's walk, an UNLOCK that finds it taken
 * ends its hold at once, as far as the lock's counts, its generation and
 * the session go, and leaves the request on the lock's holders, skipped by
 * every reader of them; the mutex's holder takes it off and grants the
 * waiters when it gives the mutex up, or the next task when it takes it.
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
 * ld_graph_defer() - hand the rest of a release over to the graph mutex
 * @req: the request, held and not converting, not asynchronous, claimed by
 *	its UNLOCK (@req->releasing)
 *
 * The hold ends now: the lock's counts, the holders counter, the session's
 * classes, lock_stat and, for APPEND and EXCLUSIVE, the generation. The
 * request stays on its lock's holders until ld_graph_drain() takes it off
 * and grants the waiters; the reference taken here is that drain's. The
 * caller then forgets the request, and calls ld_graph_kick().
 *
 * Context: @req->lk->lock held; the lock has waiters, and another task holds
 * ld_graph() of it.
 */
void ld_graph_defer(struct ld_req *req)
{
	struct ld_lock *lk = req->lk;

	lockdep_assert_held(&lk->lock);
	ld_hold_end(req, false);
	ld_stat_inc(handed_over);
	WRITE_ONCE(req->sess->handed, true);
	refcount_inc(&req->ref);
	/* A full barrier: pairs with the smp_mb() of ld_graph_unlock(). */
	llist_add(&req->gone, &lk->space->released);
}

/*
 * Finish the releases handed over in @space: take each request off its
 * lock's holders, grant what its lock's queue allows, and drop the
 * request. Return true if a lock went idle past the lockspace's bound.
 */
static bool ld_graph_drain(struct ld_space *space)
{
	struct llist_node *list = llist_del_all(&space->released);
	struct ld_req *req, *tmp;
	struct ld_lock *lk;
	bool over = false;

	lockdep_assert_held(&space->graph_mutex);
	llist_for_each_entry_safe(req, tmp, llist_reverse_order(list), gone) {
		lk = req->lk;
		spin_lock(&lk->lock);
		list_del_init(&req->hnode);
		req->wait = NULL;
		req->state = LD_DONE;
		ld_grant_waiters(lk);
		over |= ld_lock_rest(lk);
		spin_unlock(&lk->lock);
		ld_req_put(req);
	}
	return over;
}

/**
 * ld_graph_lock() - take the graph mutex of a lockspace
 * @space: the lockspace, referenced by the caller
 *
 * Finishes the releases handed over before, so that its holder finds every
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
 * Then finishes the releases handed over while it was held, taking it again
 * with mutex_trylock() for them: if another task has it by then, that task
 * finishes them. Each round finishes the UNLOCKs that other tasks made
 * while the mutex was held, each of which had found it taken.
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
		 * either that UNLOCK's ld_graph_kick() finds the mutex free,
		 * or this finds its request.
		 */
		smp_mb();
		ld_space_trim_if(space, over);
		if (llist_empty(&space->released) ||
		    !mutex_trylock(&space->graph_mutex))
			return;
		over = ld_graph_drain(space);
	}
}

/**
 * ld_graph_kick() - finish a release handed over, if the mutex came free
 * @space: the lockspace, referenced by the caller
 *
 * Context: may sleep; no lock of the module held.
 */
void ld_graph_kick(struct ld_space *space)
{
	if (mutex_trylock(&space->graph_mutex))
		ld_graph_unlock(space);
}
