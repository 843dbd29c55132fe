/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockdev: the hold of a request, as it starts, changes mode and ends.
 *
 * Every uncontended LOCK, CONVERT and UNLOCK runs one of these, and the
 * grant engine (grant.c) one for each grant it makes. They are inline for
 * the lock path's sake: a call costs about as much as one of them does.
 * The caller holds the request's lock's lock.
 */
#ifndef LOCKDEV_KMOD_HOLD_H
#define LOCKDEV_KMOD_HOLD_H

#include <linux/list.h>
#include <linux/lockdep.h>

#include "class.h"
#include "cluster.h"
#include "grant.h"
#include "stats.h"
#include "table.h"

/*
 * A hold of @req in its mode starts at @now, ld_since() read by the
 * caller: lock_stat and the counters.
 */
static inline void ld_hold_start(struct ld_req *req, u64 now)
{
	req->since = now;
	ld_stat_inc(grants);
	if (req->mode != LOCKDEV_MODE_NONE)
		ld_class_granted(req->lk);
}

/* ld_hold() with its start, @now, read by the caller. */
static inline void ld_hold_at(struct ld_req *req, u64 now)
{
	struct ld_lock *lk = req->lk;

	lockdep_assert_held(&lk->lock);
	list_add_tail(&req->hnode, &lk->holders);
	ld_nr_add(lk, req->mode, 1);
	ld_hold_start(req, now);
	/* Pairs with the waiter's smp_load_acquire() in ld_wait(). */
	smp_store_release(&req->state, LD_HELD);
	ld_stat_inc(holders);
}

/**
 * ld_hold() - make a new request a holder of its lock at once
 * @req: the request
 *
 * Context: @req->lk->lock held; ld_graph() too if the lock has waiters.
 */
static inline void ld_hold(struct ld_req *req)
{
	ld_hold_at(req, ld_since(req->lk));
}

/**
 * ld_hold_end() - end the hold of a request in its lock's state
 * @req: the request, held, whose release is under way
 * @died: its session went away without unlocking
 *
 * Uncounts it, for lock_stat and the session's classes too, and gives the
 * lock a new generation, and an owner-died mark if @died, when it held
 * APPEND or EXCLUSIVE. Its place on the lock's holders is the caller's.
 *
 * Context: @req->lk->lock held.
 */
static __always_inline void ld_hold_end(struct ld_req *req, bool died)
{
	struct ld_lock *lk = req->lk;

	lockdep_assert_held(&lk->lock);
	ld_nr_add(lk, req->mode, -1);
	ld_stat_dec(holders);
	if (req->mode != LOCKDEV_MODE_NONE && lk->class)
		ld_class_released(lk, req->since, ld_since(lk));
	if (req->mode == LOCKDEV_MODE_APPEND ||
	    req->mode == LOCKDEV_MODE_EXCLUSIVE) {
		lk->generation = ld_lock_next_generation(lk);
		if (died)
			ld_lock_owner_died(lk, req);
	}
	ld_class_leave(req);
	if (lk->space->cl)
		ld_cl_released(lk);
}

/* Does a conversion of @req to @mode start or end a hold (to or from NONE)? */
static inline bool ld_crosses_none(const struct ld_req *req, u32 mode)
{
	return (req->mode == LOCKDEV_MODE_NONE) != (mode == LOCKDEV_MODE_NONE);
}

/*
 * ld_convert_to() with @now, ld_since() read by the caller, for a
 * conversion that ld_crosses_none(); else @now is not read.
 */
static inline void ld_convert_at(struct ld_req *req, u32 mode, u64 now)
{
	struct ld_lock *lk = req->lk;
	u32 old = req->mode;

	lockdep_assert_held(&lk->lock);
	/* To NONE it counts in its session's class summary no more. */
	if (mode == LOCKDEV_MODE_NONE && old != mode)
		ld_class_leave(req);
	ld_nr_add(lk, old, -1);
	/* A graph walk may read it meanwhile (struct ld_req). */
	WRITE_ONCE(req->mode, mode);
	ld_nr_add(lk, mode, 1);
	/* Out of NONE at once it counts; a queued one counts already. */
	if (old == LOCKDEV_MODE_NONE && mode != old && req->state == LD_HELD)
		ld_class_enter(req);
	if (old == LOCKDEV_MODE_NONE) {
		ld_hold_start(req, now);
	} else if (mode == LOCKDEV_MODE_NONE) {
		ld_class_released(lk, req->since, now);
		req->since = now;
	}
	if (lk->space->cl && ld_mode_rank(mode) < ld_mode_rank(old))
		ld_cl_released(lk);
}

/**
 * ld_convert_to() - change the held mode of a request
 * @req: the request, held
 * @mode: the new mode
 *
 * A conversion from NONE is an acquisition, to NONE a release, for
 * lock_stat and for the session's class summary (ld_class_counts()); only
 * those read the clock, once.
 *
 * Context: @req->lk->lock held, and ld_graph() if the lock has waiters,
 * unless it is a downgrade whose grants are handed over (ld_graph_defer()).
 */
static __always_inline void ld_convert_to(struct ld_req *req, u32 mode)
{
	ld_convert_at(req, mode,
		      ld_crosses_none(req, mode) ? ld_since(req->lk) : 0);
}

/**
 * ld_settle() - grant a request or conversion at once
 * @req: a new request, or a held one converting
 * @want: the mode
 *
 * Context: @req->lk->lock held; ld_graph() too if the lock has waiters.
 */
static inline void ld_settle(struct ld_req *req, u32 want)
{
	if (req->state == LD_HELD)
		ld_convert_to(req, want);
	else
		ld_hold(req);
}

#endif /* LOCKDEV_KMOD_HOLD_H */
