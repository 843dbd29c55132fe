// SPDX-License-Identifier: GPL-2.0
/*
 * The order of ranked locks: a session may take a lock at level L > 0 only
 * above every ranked lock it holds or awaits, or at the same level with a
 * name that sorts after theirs. The session's order mode says what breaking
 * it does: fail (strict), report (warn) or nothing (off).
 */
#include <linux/sched.h>
#include <linux/string.h>

#include "grant.h"
#include "report.h"
#include "request.h"
#include "session.h"
#include "stats.h"
#include "table.h"

/**
 * ld_name_cmp() - compare two names in the order's sense
 * @a: one name
 * @alen: its length
 * @b: the other
 * @blen: its length
 *
 * Bytes compare as unsigned; a name sorts before every longer name it is a
 * prefix of.
 *
 * Return: below, equal to or above 0 as @a sorts before, with or after @b.
 */
int ld_name_cmp(const u8 *a, u32 alen, const u8 *b, u32 blen)
{
	int ret = memcmp(a, b, min(alen, blen));

	if (ret)
		return ret;
	return alen == blen ? 0 : (alen < blen ? -1 : 1);
}

/**
 * ld_order_peek() - the session's order mode, for ld_order_swap()
 * @sess: the session
 *
 * Return: its order_mode: LOCKDEV_ORDER_* with LD_ORDER_CHOSEN if SET_ORDER
 * set it.
 */
u32 ld_order_peek(struct ld_session *sess)
{
	return READ_ONCE(sess->order_mode);
}

/**
 * ld_order_swap() - set the session's order mode, if it is still as seen
 * @sess: the session
 * @seen: what ld_order_peek() returned
 * @mode: the new mode, LOCKDEV_ORDER_*
 *
 * SET_ORDER writes the old mode out first and only then sets the new one,
 * so that a call that cannot write its output changes nothing; a change
 * made meanwhile, by another SET_ORDER or the session's bind, makes it try
 * again.
 *
 * Return: true if set, false if the mode was no longer @seen.
 */
bool ld_order_swap(struct ld_session *sess, u32 seen, u32 mode)
{
	return cmpxchg(&sess->order_mode, seen, mode | LD_ORDER_CHOSEN) ==
	       seen;
}

/* Does the ranked request @r of the session forbid asking @lk at @level? */
static bool ld_order_broken(const struct ld_req *r, const struct ld_lock *hl,
			    const struct ld_lock *lk, u32 level)
{
	if (r->level != level)
		return r->level > level;
	return ld_name_cmp(hl->name, hl->name_len, lk->name,
			   lk->name_len) > 0;
}

/**
 * ld_order_check() - check a new request against the order
 * @sess: the session
 * @req: the request, whose lock the caller has found and pinned
 * @a: its arguments; a broken order sets @a->reason and @a->report
 *
 * Goes through the session's requests only when it has ranked ones besides
 * @req (ld_order_checks()). The first held or queued ranked request in the
 * way is reported; a hold in NONE, which grants nothing, is never in the
 * way.
 *
 * Context: no ld_lock.lock held.
 * Return: 0, or -EDEADLK when the order is broken in strict mode.
 */
int ld_order_check(struct ld_session *sess, struct ld_req *req,
		   struct ld_args *a)
{
	u32 mode = ld_session_order(sess);
	struct ld_lock *lk = req->lk, *hl;
	struct ld_report *rep = NULL;
	bool broken = false;
	struct ld_req *r;
	u32 i;

	if (mode == LOCKDEV_ORDER_OFF || !ld_order_ranked(sess, req))
		return 0;

	spin_lock(&sess->slot_lock);
	for (i = 0; i < sess->nr_slots && !broken; i++) {
		r = ld_slot_req(sess, i);
		hl = r ? READ_ONCE(r->lk) : NULL;
		if (r == req || !hl || !r->level || hl == lk)
			continue;
		spin_lock(&hl->lock);
		if (r->state != LD_DONE &&
		    ld_req_want(r) != LOCKDEV_MODE_NONE &&
		    ld_order_broken(r, hl, lk, req->level)) {
			broken = true;
			rep = ld_report_alloc(sess->space, LOCKDEV_RESULT_ORDER,
					      1, hl->name_len + lk->name_len,
					      GFP_NOWAIT);
			if (rep)
				ld_report_set(rep, 0, sess, task_tgid(current),
					      current->comm, r,
					      ld_req_want(r),
					      r->state == LD_WAITING ||
					      r->mode == LOCKDEV_MODE_NONE, lk,
					      a->mode, req->level);
		}
		spin_unlock(&hl->lock);
	}
	spin_unlock(&sess->slot_lock);
	if (!broken)
		return 0;

	ld_stat_inc(order_violations);
	if (mode == LOCKDEV_ORDER_STRICT)
		ld_stat_inc(deadlocks);
	if (rep) {
		rep->handle = req->handle;
		rep->order_mode = mode;
	}
	a->reason = LOCKDEV_RESULT_ORDER;
	a->report = rep;
	return mode == LOCKDEV_ORDER_STRICT ? -EDEADLK : 0;
}
