// SPDX-License-Identifier: GPL-2.0
/*
 * CONVERT: a held request changes its mode. A downgrade may grant waiters;
 * an upgrade is granted at once or queued ahead of the waiters it does not
 * have to wait behind, through the one enqueue path of new requests
 * (grant.c); a conversion from NONE is checked and queued as a new request
 * is. The lock order is in locking.h.
 */
#include <linux/compiler.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>

#include "grant.h"
#include "graph.h"
#include "hold.h"
#include "report.h"
#include "request.h"
#include "request_shared.h"
#include "session.h"
#include "space.h"
#include "table.h"

/*
 * A downgrade of @req to @a->mode, under its lock's spinlock. It may grant
 * waiters, which needs ld_graph(); if another task holds that, the grant is
 * handed over to it (ld_graph_defer()). Sets *@graph if it took ld_graph().
 */
static void ld_downgrade(struct ld_req *req, struct ld_args *a, bool *graph)
{
	struct ld_lock *lk = req->lk;
	u32 old = req->mode;

	if (!*graph && !list_empty(&lk->waiters))
		/* A trylock never waits, so it may nest in lk->lock. */
		*graph = mutex_trylock(ld_graph(lk));
	if (a->set_value)
		ld_lock_set_value(lk, a);
	ld_convert_to(req, a->mode);
	if (old == LOCKDEV_MODE_APPEND || old == LOCKDEV_MODE_EXCLUSIVE)
		lk->generation = ld_lock_next_generation(lk);
	if (*graph)
		ld_grant_waiters(lk);
	else if (!list_empty(&lk->waiters))
		ld_graph_defer(req);
}

/* ld_convert_locked(): check the order first, with no lock held. */
#define LD_CONVERT_CHECK	2

/*
 * ld_lock_convert() under its locks: *@graph says if ld_graph() is held,
 * @checked if the order was checked for a conversion from NONE. Returns 1
 * if converted, 0 if queued, LD_CONVERT_CHECK for a valid conversion from
 * NONE not @checked yet that has something to check (ld_acquire_checks()),
 * -EAGAIN to be called again with ld_graph(), -EINPROGRESS to be called
 * again once a hand-over of @req is finished, or another negative errno.
 */
static int ld_convert_locked(struct ld_req *req, struct ld_args *a,
			     bool *graph, struct ld_wait *wait, bool checked)
{
	struct ld_lock *lk = req->lk;
	u32 old = req->mode, want = a->mode;
	bool down = ld_mode_rank(want) < ld_mode_rank(old), grantable;
	struct list_head *pos;
	int ret;

	if (req->state == LD_CONVERTING)
		return -EBUSY;
	if (!ld_req_held(req))
		return -ENOLCK;
	if (a->set_value && (!down || (old != LOCKDEV_MODE_APPEND &&
				       old != LOCKDEV_MODE_EXCLUSIVE)))
		return -EPERM;
	a->old_mode = old;
	if (want == old)
		return 1;
	/* From NONE, a conversion is checked as a new request is. */
	if (old == LOCKDEV_MODE_NONE && !checked &&
	    ld_acquire_checks(req->sess, req))
		return LD_CONVERT_CHECK;
	if (down) {
		ld_downgrade(req, a, graph);
		return 1;
	}
	/* Changing the holders of a lock with waiters needs ld_graph(). */
	pos = ld_queue_pos(lk, req);
	grantable = ld_grantable(lk, want, req, pos);
	if (!*graph && (!grantable || !list_empty(&lk->waiters)))
		return -EAGAIN;
	if (grantable) {
		ld_settle(req, want);
		return 1;
	}
	/* Its wait field links its hand-over until that is finished. */
	if (req->handed && !req->async)
		return -EINPROGRESS;
	ret = ld_enqueue(req, want, req, pos, a, wait);
	if (ret == -EDEADLK)
		a->result = LOCKDEV_RESULT_CYCLE;
	return ret;
}

/* ld_lock_convert() but for its report. */
static __always_inline int ld_convert(struct ld_session *sess, u64 handle,
				      const u8 *name, u32 len,
				      struct ld_args *a)
{
	struct ld_wait wait __uninitialized;
	struct ld_req *req = ld_req_lookup(sess, handle, name, len);
	bool graph = false, checked = false, kick;
	struct ld_lock *lk;
	struct ld_wait *w;
	int ret;

	if (!req)
		return -ENOLCK;
	lk = req->lk;
	ret = -EACCES;
	if (!ld_session_may(sess, ld_mode_needs(a->mode)))
		goto out;
	spin_lock(&lk->lock);
	for (;;) {
		ret = ld_convert_locked(req, a, &graph, &wait, checked);
		if (ret == LD_CONVERT_CHECK) {
			/*
			 * Only a conversion that is valid, and from NONE,
			 * learns and is checked; then it is validated again.
			 */
			spin_unlock(&lk->lock);
			if (graph)
				ld_graph_unlock(lk->space);
			graph = false;
			ret = ld_acquire_check(sess, req, a);
			if (ret)
				goto out;
			checked = true;
			spin_lock(&lk->lock);
			continue;
		}
		if (ret == -EINPROGRESS) {
			/* Our ld_graph_unlock() finishes the hand-over. */
			spin_unlock(&lk->lock);
			ld_graph_unlock(lk->space);
			graph = false;
			spin_lock(&lk->lock);
			continue;
		}
		/* Without ld_graph(), EAGAIN asks for it. */
		if (ret != -EAGAIN || graph)
			break;
		ld_lock_regraph(lk);
		graph = true;
	}
	if (ret > 0) {
		ld_fill_grant(req, a);
		ret = 0;
	} else if (!ret) {
		w = req->wait;
		ld_lock_leave(lk, graph, false);
		ret = ld_wait(req, w, LD_CONVERTING, a);
		goto out;
	}
	/* A downgrade handed over: finish it if the mutex came free. */
	kick = !graph && req->handed;
	ld_lock_leave(lk, graph, false);
	if (kick)
		ld_graph_kick(lk->space);
out:
	ld_req_put(req);
	return ret;
}

/**
 * ld_lock_convert() - LOCKDEV_IOC_CONVERT
 * @sess: the session
 * @handle: the grant's handle, or 0 to go by @name
 * @name: the lock's name
 * @len: its length
 * @a: the new mode, wait flags and value; generation, result and value are
 *	filled, and on EDEADLK result says why
 *
 * Context: may sleep.
 * Return: 0 or a negative errno of the uapi header's list.
 */
int ld_lock_convert(struct ld_session *sess, u64 handle, const u8 *name,
		    u32 len, struct ld_args *a)
{
	unsigned long until = 0;
	int ret;

	do {
		a->reason = 0;
		a->report = NULL;
		a->cl_lk = NULL;
		ret = ld_convert(sess, handle, name, len, a);
	} while (ret == -EAGAIN && ld_cl_try_again(a, &until));
	if (ret == -EDEADLK && a->reason)
		a->result = a->reason;
	else if (!ret)
		a->result |= a->reason & LOCKDEV_RESULT_ORDER;
	if (a->report) {
		ld_report_keep(sess, a->report);
		a->report = NULL;
	}
	return ret;
}
