// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster lockspaces: a lockspace backed by a lockspace of the kernel's
 * distributed lock manager (fs/dlm), as GFS2's glocks are.
 *
 * Each lock of a cluster lockspace has one DLM lock, which the host holds
 * for its sessions and asks up or down in a work item of its own
 * (ld_cl_work()): the mode its holders and waiters need (SHARED needs CR,
 * APPEND PW, EXCLUSIVE EX; NONE nothing), kept after they go, and given up
 * down to what its holders need when another host asks (the DLM's blocking
 * callback). The grant engine grants a request only while the lock's
 * @cover, the DLM mode held, covers it, and while it would not block the
 * mode another host waits for (@block). The DLM lock is made in NL first
 * and then converted, always with a lock value block and QUECVT, so that
 * conversions of all hosts queue in order and the DLM's recovery keeps the
 * lock value block of a lock some survivor holds. The lock value block
 * carries the lock's generation, value and owner-died mark between hosts
 * (struct ld_cl_lvb).
 *
 * No DLM call is made with a lock of the module held: the work item decides
 * under the lockspace's graph mutex and the lock's spinlock, drops them,
 * then calls; the DLM's callbacks only note what came and queue the work.
 * The DLM lockspaces and the DLM's calls are cluster_space.c's.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": cluster: " fmt

#include <linux/build_bug.h>
#include <linux/delay.h>
#include <linux/dlm.h>
#include <linux/jiffies.h>
#include <linux/minmax.h>
#include <linux/printk.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "cluster.h"
#include "cluster_dlm.h"
#include "grant.h"
#include "graph.h"
#include "space.h"
#include "stats.h"
#include "table.h"

/* A longer name is known to the DLM by this prefix and a 128-bit hash. */
#define LD_CL_RES_PREFIX	48
/*
 * How long a NONBLOCK request asks again, from the DLM's first answer,
 * while another host yields; and how long it waits for an answer.
 */
#define LD_CL_TRY_TIME		(HZ / 10)
#define LD_CL_TRY_STEP_MS	10
#define LD_CL_TRY_ANSWER	(5 * HZ)

#define LD_CL_LVB_MAGIC		0x6c6b6476U
#define LD_CL_LVB_VALUE		0x1U	/* the value is valid */
#define LD_CL_LVB_DIED		0x2U	/* the lock is owner-died */

/* No DLM lock, or none asked. */
#define LD_CL_NONE		(-1)

/*
 * struct ld_cl_lvb - the lock value block: what a host that held the lock
 *	in APPEND or EXCLUSIVE left for the next, written as it gave its
 *	DLM lock down or up
 * @generation: the lock's generation.
 * @magic: LD_CL_LVB_MAGIC once a host wrote it; the DLM's is zero first.
 * @flags: LD_CL_LVB_*.
 * @value: the value block, if LD_CL_LVB_VALUE.
 */
struct ld_cl_lvb {
	__le64 generation;
	__le32 magic;
	__le32 flags;
	u8 value[LOCKDEV_VALUE_LEN];
};

static_assert(sizeof(struct ld_cl_lvb) == LD_CL_LVB_LEN);

/*
 * struct ld_cl_lock - the DLM lock of a lock of a cluster lockspace
 * @cs: its DLM lockspace, referenced. Immutable.
 * @work: ld_cl_work(), which alone makes DLM calls for it; a work item never
 *	runs twice at once, so what only it uses needs no lock.
 * @lock: protects @dropped, @answered and @bast, which the DLM's callbacks
 *	and the lock's last put write, queueing @work before they drop it;
 *	interrupt-safe.
 * @answered: the DLM answered the call under way, in @lksb.
 * @bast: the most restrictive mode another host asked for since the work
 *	last looked, or LD_CL_NONE.
 * @cover: the DLM mode the host holds and grants under, or LD_CL_NONE.
 *	@lk->lock.
 * @block: the DLM mode another host waits for, or LD_CL_NONE: no new grant
 *	blocks it. @lk->lock.
 * @serving: the work grants the waiters a new DLM grant covers, though
 *	another host asks meanwhile. @lk->lock.
 * @try_mode: the DLM mode NONBLOCK requests ask for, or LD_CL_NONE.
 *	@lk->lock.
 * @try_seq: counts the answers to them. @lk->lock; read with READ_ONCE().
 * @granted: the DLM mode granted, or LD_CL_NONE with no DLM lock. @work.
 * @asked: the mode of the call under way, or LD_CL_NONE. @work.
 * @busy: a call is under way. @work.
 * @try_call: the call under way answers NONBLOCK requests. @work.
 * @unlocking: the call under way releases the DLM lock. @work.
 * @res_len: length of @res. Immutable.
 * @lksb: the DLM's status block. The DLM while @busy, else @work.
 * @lvb: the lock value block of @lksb. As @lksb.
 * @last: the lock's state at its last put, for the DLM lock's release.
 * @res: the DLM's name of the lock. Immutable.
 * @dropped: @lk's last reference went: @last is its state; release the DLM
 *	lock, then free this.
 * @lk: the lock, allocated with this so as to cost the locks of other
 *	lockspaces nothing; this outlives its last reference, freed after
 *	the DLM lock is released and an RCU grace period.
 */
struct ld_cl_lock {
	struct ld_cl_space *cs;
	struct work_struct work;
	spinlock_t lock;	/* see above */
	bool answered;
	s8 bast;
	s8 cover;
	s8 block;
	bool serving;
	s8 try_mode;
	u32 try_seq;
	s8 granted;
	s8 asked;
	bool busy;
	bool try_call;
	bool unlocking;
	u8 res_len;
	struct dlm_lksb lksb;
	struct ld_cl_lvb lvb;
	struct ld_cl_lvb last;
	char res[DLM_RESNAME_MAXLEN];
	bool dropped;
	struct ld_lock lk;	/* last: its name follows */
};

/* The DLM side of @lk, a lock of a cluster lockspace. */
static struct ld_cl_lock *ld_cl_of(const struct ld_lock *lk)
{
	return container_of(lk, struct ld_cl_lock, lk);
}

/* The keys of the hash of long names: the same on every host. */
static const siphash_key_t ld_cl_res_keys[2] = {
	{{ 0x6c6f636b64657631ULL, 0x636c75737465726eULL }},
	{{ 0x6c6f636b64657632ULL, 0x616d652068617368ULL }},
};

/* The DLM mode a hold in lockdev @mode needs; LD_CL_NONE for NONE. */
static s8 ld_cl_mode(u32 mode)
{
	switch (mode) {
	case LOCKDEV_MODE_SHARED:
		return DLM_LOCK_CR;
	case LOCKDEV_MODE_APPEND:
		return DLM_LOCK_PW;
	case LOCKDEV_MODE_EXCLUSIVE:
		return DLM_LOCK_EX;
	default:
		return LD_CL_NONE;
	}
}

/* Are DLM modes @a and @b, of NL, CR, PW and EX or LD_CL_NONE, compatible? */
static bool ld_cl_compat(s8 a, s8 b)
{
	if (a <= DLM_LOCK_NL || b <= DLM_LOCK_NL)
		return true;
	if (a == DLM_LOCK_EX || b == DLM_LOCK_EX)
		return false;
	return a == DLM_LOCK_CR || b == DLM_LOCK_CR;
}

/**
 * ld_cl_covers() - may the host grant a hold of a lock in a mode
 * @lk: a lock of a cluster lockspace
 * @mode: the lockdev mode
 *
 * Context: @lk->lock held.
 * Return: true if its DLM lock covers @mode and, unless a grant of the DLM
 * is being served, @mode would not block what another host waits for.
 */
bool ld_cl_covers(const struct ld_lock *lk, u32 mode)
{
	const struct ld_cl_lock *cl = ld_cl_of(lk);
	s8 m = ld_cl_mode(mode);

	lockdep_assert_held(&lk->lock);
	if (m == LD_CL_NONE)
		return true;
	if (cl->cover < m)
		return false;
	return cl->serving || ld_cl_compat(m, cl->block);
}

/**
 * ld_cl_kick() - have the work of a lock look at it again
 * @lk: a lock of a cluster lockspace, referenced by the caller
 *
 * Context: any.
 */
void ld_cl_kick(struct ld_lock *lk)
{
	queue_work(ld_cl_wq, &ld_cl_of(lk)->work);
}

/**
 * ld_cl_released() - a hold of a lock of a cluster lockspace ended or went down
 * @lk: the lock
 *
 * If another host waits for it, the host may give its DLM lock down now.
 *
 * Context: @lk->lock held.
 */
void ld_cl_released(struct ld_lock *lk)
{
	if (ld_cl_of(lk)->block != LD_CL_NONE)
		ld_cl_kick(lk);
}

/* The DLM's completion callback: note it, and look. */
static void ld_cl_ast(void *arg)
{
	struct ld_cl_lock *cl = arg;
	unsigned long flags;

	spin_lock_irqsave(&cl->lock, flags);
	cl->answered = true;
	queue_work(ld_cl_wq, &cl->work);
	spin_unlock_irqrestore(&cl->lock, flags);
}

/* The DLM's blocking callback: another host asks for @mode. */
static void ld_cl_bast(void *arg, int mode)
{
	struct ld_cl_lock *cl = arg;
	unsigned long flags;

	spin_lock_irqsave(&cl->lock, flags);
	cl->bast = max_t(s8, cl->bast, mode);
	queue_work(ld_cl_wq, &cl->work);
	spin_unlock_irqrestore(&cl->lock, flags);
}

/* The state of @lk as the lock value block carries it. */
static void ld_cl_lvb_out(const struct ld_lock *lk, struct ld_cl_lvb *v)
{
	u32 flags = 0;

	v->generation = cpu_to_le64(lk->generation);
	v->magic = cpu_to_le32(LD_CL_LVB_MAGIC);
	if (lk->value) {
		flags |= LD_CL_LVB_VALUE;
		memcpy(v->value, lk->value, LOCKDEV_VALUE_LEN);
	} else {
		memset(v->value, 0, LOCKDEV_VALUE_LEN);
	}
	if (lk->owner_died)
		flags |= LD_CL_LVB_DIED;
	v->flags = cpu_to_le32(flags);
}

/* Drop the value of @lk: not valid. */
static void ld_cl_value_drop(struct ld_lock *lk)
{
	if (!lk->value)
		return;
	ld_stat_add(memory, -(long)ksize(lk->value));
	kfree(lk->value);
	lk->value = NULL;
}

/* A holder on another host went away: mark @lk owner-died. */
static void ld_cl_died(struct ld_lock *lk)
{
	if (!lk->owner_died)
		ld_stat_inc(owner_deaths);
	lk->owner_died = true;
	ld_cl_value_drop(lk);
}

/*
 * Does the DLM's lock value block, as a grant from @granted to @asked
 * returned it, hold a state newer than this host's? Only up from NL or
 * CR: from PW up the DLM returns the block it was last given, which this
 * host's holders have changed since.
 */
static bool ld_cl_lvb_newer(s8 granted, s8 asked)
{
	return asked > granted && granted < DLM_LOCK_PW;
}

/*
 * A grant up from NL or CR brought the lock value block: take the state
 * it carries. @room is memory for a value, taken if used; a mark another
 * host cleared gives *@repaired, the uid charged for it, to put once
 * @lk->lock is dropped.
 */
static void ld_cl_lvb_in(struct ld_cl_lock *cl, struct ld_lock *lk,
			 u32 sbflags, u8 **room, struct ld_user **repaired)
{
	const struct ld_cl_lvb *v = &cl->lvb;
	u32 flags;

	if (sbflags & DLM_SBF_VALNOTVALID) {
		/* The DLM lost it with a host that held PW or EX. */
		ld_cl_died(lk);
		lk->generation = ld_cl_generation();
		return;
	}
	if (le32_to_cpu(v->magic) != LD_CL_LVB_MAGIC)
		return;
	lk->generation = le64_to_cpu(v->generation);
	flags = le32_to_cpu(v->flags);
	if (flags & LD_CL_LVB_DIED)
		ld_cl_died(lk);
	else if (lk->owner_died)
		*repaired = ld_lock_repaired(lk);
	if (!(flags & LD_CL_LVB_VALUE) || (!lk->value && !*room)) {
		ld_cl_value_drop(lk);
		return;
	}
	if (!lk->value) {
		lk->value = *room;
		*room = NULL;
		ld_stat_add(memory, ksize(lk->value));
	}
	memcpy(lk->value, v->value, LOCKDEV_VALUE_LEN);
}

/* The DLM failed a call: the waiters it would have covered fail. */
static bool ld_cl_fail(struct ld_lock *lk)
{
	struct ld_wait *ww, *tmp;
	bool over = false;

	list_for_each_entry_safe(ww, tmp, &lk->waiters, wnode)
		if (!ld_cl_covers(lk, ld_req_want(ww->req)))
			over |= ld_wait_abort(ww->req, -EIO);
	return over;
}

/* NONBLOCK requests asked: they have their answer. */
static void ld_cl_tried(struct ld_cl_lock *cl)
{
	cl->try_mode = LD_CL_NONE;
	WRITE_ONCE(cl->try_seq, cl->try_seq + 1);
	wake_up_all(&ld_cl_waitq);
}

/* What the work asks of the DLM once it dropped its locks. */
enum ld_cl_op {
	LD_CL_IDLE,
	LD_CL_NEW,	/* a new DLM lock, in NL */
	LD_CL_CONVERT,	/* to @mode */
	LD_CL_UNLOCK,	/* release it */
};

struct ld_cl_call {
	enum ld_cl_op op;
	s8 mode;
	u32 flags;
};

/*
 * The DLM answered the call under way: take what it granted. Returns
 * what ld_lock_rest() would, for waiters failed.
 */
static bool ld_cl_answer(struct ld_cl_lock *cl, struct ld_lock *lk,
			 u8 **room, struct ld_user **repaired, bool *fresh)
{
	int status = cl->lksb.sb_status;
	s8 asked = cl->asked;
	bool over = false;

	cl->busy = false;
	cl->asked = LD_CL_NONE;
	if (cl->try_call) {
		cl->try_call = false;
		ld_cl_tried(cl);
	}
	pr_debug("%.*s: answer %d for mode %d, had %d\n", cl->res_len,
		 cl->res, status, asked, cl->granted);
	switch (status) {
	case 0:
		if (asked > cl->granted && asked > DLM_LOCK_NL) {
			if (ld_cl_lvb_newer(cl->granted, asked))
				ld_cl_lvb_in(cl, lk, cl->lksb.sb_flags, room,
					     repaired);
			cl->cover = asked;
			*fresh = true;
		}
		cl->granted = asked;
		break;
	case -EAGAIN:
		/* A NONBLOCK call the DLM could not grant at once. */
		break;
	case -EDEADLK:
		/* A conversion deadlock across hosts: give way entirely. */
		cl->block = DLM_LOCK_EX;
		break;
	default:
		pr_warn_ratelimited("%.*s: the DLM failed a request: %d\n",
				    cl->res_len, cl->res, status);
		over = ld_cl_fail(lk);
		break;
	}
	return over;
}

/* The DLM mode the holders of @lk need, at least NL. */
static s8 ld_cl_holders_need(const struct ld_lock *lk)
{
	if (lk->nr_exclusive)
		return DLM_LOCK_EX;
	if (lk->nr_append)
		return DLM_LOCK_PW;
	if (lk->nr_shared)
		return DLM_LOCK_CR;
	return DLM_LOCK_NL;
}

/* The DLM mode the waiters of @lk need, at least NL. */
static s8 ld_cl_waiters_need(const struct ld_lock *lk)
{
	struct ld_wait *ww;
	s8 need = DLM_LOCK_NL;

	list_for_each_entry(ww, &lk->waiters, wnode) {
		need = max(need, ld_cl_mode(ld_req_want(ww->req)));
		if (need == DLM_LOCK_EX)
			break;
	}
	return need;
}

/*
 * With no call under way: choose the next. Another host that waits is
 * served first: once the holders allow, the DLM lock goes down to what
 * they need; else it goes up to what the holders, waiters and NONBLOCK
 * requests need.
 */
static void ld_cl_decide(struct ld_cl_lock *cl, struct ld_lock *lk,
			 struct ld_cl_call *call)
{
	s8 held = ld_cl_holders_need(lk);
	s8 need = max(held, ld_cl_waiters_need(lk));

	if (cl->block != LD_CL_NONE && ld_cl_compat(cl->granted, cl->block))
		cl->block = LD_CL_NONE;
	if (cl->block != LD_CL_NONE) {
		if (cl->try_mode != LD_CL_NONE)
			ld_cl_tried(cl);
		if (!ld_cl_compat(held, cl->block))
			return;
		if (cl->granted >= DLM_LOCK_PW)
			ld_cl_lvb_out(lk, &cl->lvb);
		cl->cover = held;
		cl->block = LD_CL_NONE;
		*call = (struct ld_cl_call){ LD_CL_CONVERT, held,
					     DLM_LKF_CONVERT | DLM_LKF_VALBLK };
		return;
	}
	if (cl->granted == LD_CL_NONE) {
		if (need > DLM_LOCK_NL || cl->try_mode != LD_CL_NONE)
			call->op = LD_CL_NEW;
		return;
	}
	if (need > cl->granted) {
		*call = (struct ld_cl_call){ LD_CL_CONVERT, need,
					     DLM_LKF_CONVERT | DLM_LKF_VALBLK |
					     DLM_LKF_QUECVT };
		cl->try_call = cl->try_mode != LD_CL_NONE;
	} else if (cl->try_mode > cl->granted) {
		*call = (struct ld_cl_call){ LD_CL_CONVERT, cl->try_mode,
					     DLM_LKF_CONVERT | DLM_LKF_VALBLK |
					     DLM_LKF_QUECVT | DLM_LKF_NOQUEUE |
					     DLM_LKF_NOQUEUEBAST };
		cl->try_call = true;
	} else if (cl->try_mode != LD_CL_NONE) {
		ld_cl_tried(cl);
	}
}

/*
 * One look at @lk under its locks: take the DLM's answer and grant what it
 * covers, note what other hosts ask, and choose the next call. Returns
 * what ld_lock_rest() would.
 */
static bool ld_cl_step(struct ld_cl_lock *cl, struct ld_lock *lk,
		       struct ld_cl_call *call, u8 **room,
		       struct ld_user **repaired)
{
	bool answered, fresh = false, over = false;
	s8 bast;

	lockdep_assert_held(ld_graph(lk));
	lockdep_assert_held(&lk->lock);
	spin_lock_irq(&cl->lock);
	answered = cl->answered;
	cl->answered = false;
	bast = cl->bast;
	cl->bast = LD_CL_NONE;
	spin_unlock_irq(&cl->lock);
	if (answered && cl->busy)
		over = ld_cl_answer(cl, lk, room, repaired, &fresh);
	if (fresh) {
		cl->serving = true;
		ld_grant_waiters(lk);
		cl->serving = false;
	}
	if (bast != LD_CL_NONE) {
		pr_debug("%.*s: another host asks for mode %d\n", cl->res_len,
			 cl->res, bast);
		cl->block = max(cl->block, bast);
	}
	if (!cl->busy)
		ld_cl_decide(cl, lk, call);
	return over;
}

/* Make @call, with no lock held. */
static void ld_cl_call(struct ld_cl_lock *cl, const struct ld_cl_call *call)
{
	dlm_lockspace_t *ls = cl->cs->ls;
	unsigned long flags;
	int ret;

	pr_debug("%.*s: call %d mode %d flags %#x\n", cl->res_len, cl->res,
		 call->op, call->mode, call->flags);
	cl->busy = true;
	switch (call->op) {
	case LD_CL_NEW:
		cl->asked = DLM_LOCK_NL;
		ret = ld_dlm.lock_fn(ls, DLM_LOCK_NL, &cl->lksb, DLM_LKF_VALBLK,
				  cl->res, cl->res_len, 0, ld_cl_ast, cl,
				  ld_cl_bast);
		break;
	case LD_CL_CONVERT:
		cl->asked = call->mode;
		ret = ld_dlm.lock_fn(ls, call->mode, &cl->lksb, call->flags, NULL,
				  0, 0, ld_cl_ast, cl, ld_cl_bast);
		break;
	default:
		cl->unlocking = true;
		ret = ld_dlm.unlock_fn(ls, cl->lksb.sb_lkid,
				    cl->granted >= DLM_LOCK_PW ?
				    DLM_LKF_VALBLK : 0, &cl->lksb, cl);
		break;
	}
	if (!ret)
		return;
	/* Refused at once: the work takes it as the DLM's answer. */
	cl->lksb.sb_status = ret;
	spin_lock_irqsave(&cl->lock, flags);
	cl->answered = true;
	queue_work(ld_cl_wq, &cl->work);
	spin_unlock_irqrestore(&cl->lock, flags);
}

static void ld_cl_free(struct ld_cl_lock *cl)
{
	ld_cl_space_put(cl->cs);
	kfree(cl);
}

static void ld_cl_free_rcu(struct rcu_head *rcu)
{
	ld_cl_free(container_of(rcu, struct ld_cl_lock, lk.rcu));
}

/*
 * The lock is gone: once no call is under way, release the DLM lock with
 * the lock's last state, then free @cl.
 */
static void ld_cl_wind_down(struct ld_cl_lock *cl)
{
	bool answered, fresh = false;

	spin_lock_irq(&cl->lock);
	answered = cl->answered;
	cl->answered = false;
	spin_unlock_irq(&cl->lock);
	if (answered && cl->busy) {
		cl->busy = false;
		if (cl->unlocking) {
			cl->granted = LD_CL_NONE;
		} else if (!cl->lksb.sb_status) {
			/* Granted up after the lock went: which is newer? */
			fresh = ld_cl_lvb_newer(cl->granted, cl->asked);
			cl->granted = cl->asked;
		}
	}
	if (cl->busy)
		return;
	if (cl->granted == LD_CL_NONE) {
		/*
		 * With @lk gone, only the DLM's callbacks and the last put
		 * queue the work, under @cl->lock with what they note, and
		 * with no DLM lock no callback comes: if one queued it
		 * while this run was under way, the run to come frees @cl.
		 */
		if (work_pending(&cl->work))
			return;
		/* RCU walkers of the table may still look at the lock. */
		call_rcu(&cl->lk.rcu, ld_cl_free_rcu);
		return;
	}
	if (!fresh)
		cl->lvb = cl->last;
	ld_cl_call(cl, &(struct ld_cl_call){ .op = LD_CL_UNLOCK });
}

/* The work of a lock: see the top of the file. */
static void ld_cl_work(struct work_struct *work)
{
	struct ld_cl_lock *cl = container_of(work, struct ld_cl_lock, work);
	struct ld_cl_call call = { .op = LD_CL_IDLE };
	struct ld_user *repaired = NULL;
	struct ld_space *space;
	struct ld_lock *lk;
	u8 *room = NULL;
	bool over, dropped;

	spin_lock_irq(&cl->lock);
	dropped = cl->dropped;
	spin_unlock_irq(&cl->lock);
	if (dropped) {
		ld_cl_wind_down(cl);
		return;
	}
	lk = &cl->lk;
	/* Its last put is under way: it queues the work again. */
	if (!refcount_inc_not_zero(&lk->ref))
		return;
	space = lk->space;
	if (!READ_ONCE(lk->value))
		room = kmalloc(LOCKDEV_VALUE_LEN, GFP_KERNEL_ACCOUNT);
	ld_graph_lock(space);
	spin_lock(&lk->lock);
	over = ld_cl_step(cl, lk, &call, &room, &repaired);
	spin_unlock(&lk->lock);
	ld_graph_unlock(space);
	ld_space_trim_if(space, over);
	ld_died_user_put(repaired);
	kfree(room);
	if (call.op != LD_CL_IDLE)
		ld_cl_call(cl, &call);
	ld_lock_put(lk);
}

/*
 * The DLM's name of a lock: its name, or if longer than the DLM takes, its
 * first LD_CL_RES_PREFIX bytes and two SipHashes of the whole.
 */
static void ld_cl_res(struct ld_cl_lock *cl, const u8 *name, u32 len)
{
	u64 h[2];

	if (len <= DLM_RESNAME_MAXLEN) {
		memcpy(cl->res, name, len);
		cl->res_len = len;
		return;
	}
	h[0] = siphash(name, len, &ld_cl_res_keys[0]);
	h[1] = siphash(name, len, &ld_cl_res_keys[1]);
	memcpy(cl->res, name, LD_CL_RES_PREFIX);
	memcpy(cl->res + LD_CL_RES_PREFIX, h, sizeof(h));
	cl->res_len = LD_CL_RES_PREFIX + sizeof(h);
}

/**
 * ld_cl_lock_alloc() - a new lock of a cluster lockspace, with its DLM side
 * @cs: the lockspace's DLM lockspace
 * @name: the lock's name
 * @len: its length
 *
 * Return: the lock, zeroed, with room for @len bytes of name, or NULL.
 */
struct ld_lock *ld_cl_lock_alloc(struct ld_cl_space *cs, const u8 *name,
				 u32 len)
{
	struct ld_cl_lock *cl;

	cl = kzalloc(struct_size(cl, lk.name, len), GFP_KERNEL_ACCOUNT);
	if (!cl)
		return NULL;
	refcount_inc(&cs->ref);
	cl->cs = cs;
	INIT_WORK(&cl->work, ld_cl_work);
	spin_lock_init(&cl->lock);
	cl->bast = LD_CL_NONE;
	cl->cover = LD_CL_NONE;
	cl->block = LD_CL_NONE;
	cl->try_mode = LD_CL_NONE;
	cl->granted = LD_CL_NONE;
	cl->asked = LD_CL_NONE;
	cl->lksb.sb_lvbptr = (char *)&cl->lvb;
	ld_cl_res(cl, name, len);
	return &cl->lk;
}

/**
 * ld_cl_lock_size() - what a lock of a cluster lockspace costs
 * @lk: the lock
 *
 * Return: the bytes of its allocation.
 */
size_t ld_cl_lock_size(const struct ld_lock *lk)
{
	return ksize(ld_cl_of(lk));
}

/**
 * ld_cl_lock_free() - free a lock of a cluster lockspace that never was in
 * the table, so never had a DLM lock
 * @lk: the lock
 */
void ld_cl_lock_free(struct ld_lock *lk)
{
	ld_cl_free(ld_cl_of(lk));
}

/**
 * ld_cl_lock_drop() - the last reference of a lock went
 * @lk: the lock, which the caller does not touch afterwards
 *
 * Its state is kept for the release of its DLM lock, which the work makes,
 * and the lock is freed after that, possibly before this returns. The work
 * is queued under @cl->lock, so that a run of it that sees @dropped finds
 * it queued already or queued again (ld_cl_wind_down()).
 */
void ld_cl_lock_drop(struct ld_lock *lk)
{
	struct ld_cl_lock *cl = ld_cl_of(lk);

	ld_cl_lvb_out(lk, &cl->last);
	spin_lock_irq(&cl->lock);
	cl->dropped = true;
	queue_work(ld_cl_wq, &cl->work);
	spin_unlock_irq(&cl->lock);
}

/**
 * ld_cl_try() - ask the DLM for a lock a NONBLOCK request found not covered
 * @lk: the lock, referenced by the caller
 * @mode: the lockdev mode asked for
 * @until: 0 at the first call; then when to give up, in jiffies
 *
 * Asks without queueing and waits for the answer, however long the DLM
 * takes to give it, up to LD_CL_TRY_ANSWER (while it recovers from a
 * host's death, say), then asks again for up to LD_CL_TRY_TIME after the
 * first answer while another host gives up a DLM lock nobody there holds.
 *
 * Context: may sleep; no lock held.
 * Return: 0 to make the request again, or -EAGAIN.
 */
int ld_cl_try(struct ld_lock *lk, u32 mode, unsigned long *until)
{
	struct ld_cl_lock *cl = ld_cl_of(lk);
	u32 seq;

	if (*until && time_after(jiffies, *until))
		return -EAGAIN;
	if (*until)
		msleep(LD_CL_TRY_STEP_MS);
	spin_lock(&lk->lock);
	if (ld_cl_covers(lk, mode)) {
		spin_unlock(&lk->lock);
		return 0;
	}
	/* Another host waits: it goes first. */
	if (cl->block != LD_CL_NONE) {
		spin_unlock(&lk->lock);
		return -EAGAIN;
	}
	seq = cl->try_seq;
	cl->try_mode = max(cl->try_mode, ld_cl_mode(mode));
	ld_cl_kick(lk);
	spin_unlock(&lk->lock);
	if (wait_event_killable_timeout(ld_cl_waitq,
					READ_ONCE(cl->try_seq) != seq,
					LD_CL_TRY_ANSWER) <= 0)
		return -EAGAIN;
	if (!*until)
		*until = jiffies + LD_CL_TRY_TIME;
	return 0;
}
