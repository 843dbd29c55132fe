// SPDX-License-Identifier: GPL-2.0
/*
 * Events for the netlink group "events" and the subscribers: each is
 * rendered into a message where it happens, without sleeping, with its
 * pids as the initial pid namespace sees them, queued, and sent from a work
 * item: multicast in the initial network namespace, and again, rendered for
 * each subscriber that may see its lockspace, unicast to it
 * (netlink_subscribe.c); the message keeps what that needs (struct
 * ld_event_info). Nothing is rendered while nobody listens, and a full queue drops
 * and counts instead of making lockers wait. A listener's full socket is
 * its own loss (it reads ENOBUFS); netlink reports it to the sender only
 * for sockets that ask, so it is counted when it is. A scanner finds the
 * locks held or awaited past their thresholds.
 */
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/rhashtable.h>
#include <linux/skbuff.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>

#include "class.h"
#include "events.h"
#include "grant.h"
#include "report.h"
#include "session.h"
#include "space.h"
#include "stats.h"
#include "table.h"
#include "user.h"

/*
 * Events waiting for ld_events_work, and those dropped from it to make room
 * (ld_event_make_room()), which the work item frees; each queue has its own
 * lock.
 */
static struct sk_buff_head ld_events;
static struct sk_buff_head ld_events_evicted;

static struct ld_event_info *ld_event_info(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct ld_event_info) > sizeof(skb->cb));
	return (struct ld_event_info *)skb->cb;
}

/* Drop the pids an event's message keeps. */
static void ld_event_put_pids(struct ld_event_info *ev)
{
	u32 i;

	for (i = 0; i < ev->nr_pids; i++)
		put_pid(ev->pids[i].pid);
	kfree(ev->pids);
	ev->pids = NULL;
	ev->nr_pids = 0;
}

/*
 * Drop what a queued event keeps, its message gone; it no longer counts
 * against its uid. May sleep.
 */
static void ld_event_free(struct ld_event_info *ev)
{
	ld_event_put_pids(ev);
	ld_user_put(ev->user);
	ld_space_put((struct ld_space *)ev->space);
}

/*
 * Free the events of @queue unsent, uncharging their uids first if
 * @charged (ld_event_make_room() uncharged those it dropped). May sleep.
 */
static void ld_events_drop(struct sk_buff_head *queue, bool charged)
{
	struct ld_event_info *ev;
	struct sk_buff *skb;

	while ((skb = skb_dequeue(queue))) {
		ev = ld_event_info(skb);
		if (charged)
			atomic_dec(&ev->user->events);
		ld_event_free(ev);
		kfree_skb(skb);
	}
}

static void ld_events_send(struct work_struct *work)
{
	struct ld_event_info ev;
	struct sk_buff *skb;

	for (;;) {
		ld_events_drop(&ld_events_evicted, false);
		skb = skb_dequeue(&ld_events);
		if (!skb)
			break;
		ev = *ld_event_info(skb);
		ld_subs_send(skb, &ev);
		if (genlmsg_multicast(&ld_genl_family, skb, 0, 0,
				      GFP_KERNEL) == -ENOBUFS)
			ld_stat_inc(events_dropped);
		atomic_dec(&ev.user->events);
		ld_event_free(&ev);
	}
}

/* Does anybody listen: the group in the initial namespace, or subscribers. */
static bool ld_events_wanted(void)
{
	return genl_has_listeners(&ld_genl_family, &init_net, 0) ||
	       ld_subs_any();
}

/*
 * Keep @pid, whose number is the u32 at offset @off of @skb's message, to
 * render it again for each subscriber.
 */
static int ld_event_pid(struct sk_buff *skb, u32 off, struct pid *pid)
{
	struct ld_event_info *ev = ld_event_info(skb);
	struct ld_event_pid *p;
	u32 cap;

	if (ev->nr_pids == ev->cap_pids) {
		cap = ev->cap_pids ? 2 * ev->cap_pids : 4;
		p = krealloc_array(ev->pids, cap, sizeof(*p),
				   ev->gfp | __GFP_NOWARN);
		if (!p)
			return -ENOMEM;
		ev->pids = p;
		ev->cap_pids = cap;
	}
	ev->pids[ev->nr_pids].off = off;
	ev->pids[ev->nr_pids++].pid = get_pid(pid);
	return 0;
}

/* Put LOCKDEV_A_PID, @nr, the number of @pid, and keep @pid. */
static int ld_event_put_pid(struct sk_buff *skb, struct pid *pid, pid_t nr)
{
	u32 off = skb->len + NLA_HDRLEN;

	return nla_put_u32(skb, LOCKDEV_A_PID, nr) ?:
	       ld_event_pid(skb, off, pid);
}

static DECLARE_WORK(ld_events_work, ld_events_send);

/*
 * The queue is full and @user has an event to queue: drop the newest queued
 * event of the uid with the most queued, if that uid has more than @user
 * (this one counted), so that a uid with few events queued keeps its place
 * however many uids flood. The dropped event stops counting at once; the
 * work item frees it. The walk is bounded by LOCKDEV_EVENTS_QUEUED.
 *
 * Return: whether an event was dropped.
 */
static bool ld_event_make_room(const struct ld_user *user)
{
	int most = atomic_read(&user->events), n;
	struct ld_user *heaviest = NULL, *u;
	struct sk_buff *skb, *victim = NULL;
	unsigned long flags;

	spin_lock_irqsave(&ld_events.lock, flags);
	skb_queue_walk(&ld_events, skb) {
		u = ld_event_info(skb)->user;
		n = atomic_read(&u->events);
		if (n > most) {
			most = n;
			heaviest = u;
		}
	}
	if (heaviest) {
		skb_queue_reverse_walk(&ld_events, skb) {
			if (ld_event_info(skb)->user == heaviest) {
				__skb_unlink(skb, &ld_events);
				atomic_dec(&heaviest->events);
				victim = skb;
				break;
			}
		}
	}
	spin_unlock_irqrestore(&ld_events.lock, flags);
	if (!victim)
		return false;
	skb_queue_tail(&ld_events_evicted, victim);
	ld_stat_inc(events_dropped);
	schedule_work(&ld_events_work);
	return true;
}

/**
 * ld_event_new() - start an event message, if anybody listens
 * @kind: LOCKDEV_EVENT_*
 * @space: the lockspace it happened in
 * @user: the uid it counts against until sent: that of the session whose
 *	call or end caused it, or that held or waited too long, or for a
 *	lockspace removed, its creator's; the caller keeps it alive until
 *	ld_event_send() or ld_event_cancel()
 * @size: room for the attributes after the lockspace
 * @gfp: allocation flags of the caller's context
 *
 * One uid's events take at most LOCKDEV_EVENTS_QUEUED_PER_USER places of
 * the queue, and an event that finds the queue full takes the place of the
 * newest event of the uid with the most queued, if that uid has more than
 * the event's: so uids that make thousands at once (sessions closed with
 * their locks held in EXCLUSIVE, say) do not crowd out other uids', however
 * many they are.
 *
 * Return: the message with its header, kind and lockspace, to finish with
 * ld_event_send() or drop with ld_event_cancel(); NULL if nobody listens,
 * or if @user's share of the queue is full, or the queue is and no uid has
 * more queued than @user, or memory is short (the event is counted
 * dropped).
 */
struct sk_buff *ld_event_new(u32 kind, const struct ld_space *space,
			     struct ld_user *user, size_t size, gfp_t gfp)
{
	struct ld_event_info *ev;
	struct sk_buff *skb;

	if (!ld_events_wanted())
		return NULL;
	if (!ld_user_charge(&user->events, LOCKDEV_EVENTS_QUEUED_PER_USER))
		goto drop;
	if (skb_queue_len(&ld_events) >= LOCKDEV_EVENTS_QUEUED &&
	    !ld_event_make_room(user))
		goto uncharge;
	skb = genlmsg_new(nla_total_size(sizeof(u32)) +
			  nla_total_size(4 * LOCKDEV_NAME_MAX) + size,
			  gfp | __GFP_NOWARN);
	if (!skb)
		goto uncharge;
	ev = ld_event_info(skb);
	memset(ev, 0, sizeof(*ev));
	ev->space = space;
	ev->user = user;
	ev->gfp = gfp;
	if (!genlmsg_put(skb, 0, 0, &ld_genl_family, 0, LOCKDEV_CMD_EVENT) ||
	    nla_put_u32(skb, LOCKDEV_A_EVENT, kind))
		goto free;
	ev->space_off = skb->len;
	if (ld_nl_put_space(skb, space, &init_user_ns))
		goto free;
	ev->body = skb->len;
	return skb;

free:
	nlmsg_free(skb);
uncharge:
	atomic_dec(&user->events);
drop:
	ld_stat_inc(events_dropped);
	return NULL;
}

/**
 * ld_event_send() - queue a finished event message
 * @skb: from ld_event_new()
 */
void ld_event_send(struct sk_buff *skb)
{
	struct ld_event_info *ev = ld_event_info(skb);

	nlmsg_end(skb, nlmsg_hdr(skb));
	ld_space_get((struct ld_space *)ev->space);
	ld_user_hold(ev->user);
	skb_queue_tail(&ld_events, skb);
	ld_stat_inc(events);
	schedule_work(&ld_events_work);
}

/**
 * ld_event_cancel() - drop an event that did not fit its message
 * @skb: from ld_event_new()
 */
void ld_event_cancel(struct sk_buff *skb)
{
	struct ld_event_info *ev = ld_event_info(skb);

	ld_event_put_pids(ev);
	atomic_dec(&ev->user->events);
	nlmsg_free(skb);
	ld_stat_inc(events_dropped);
}

/* Room for one member of a report. */
#define LD_MEMBER_SIZE	(nla_total_size(0) + 2 * nla_total_size(LOCKDEV_NAME_MAX) + \
			 nla_total_size(TASK_COMM_LEN) + \
			 nla_total_size_64bit(sizeof(u64)) + \
			 7 * nla_total_size(sizeof(u32)))

static int ld_event_member(struct sk_buff *skb,
			   const struct ld_report_member *m)
{
	struct nlattr *nest = nla_nest_start(skb, LOCKDEV_A_MEMBER);

	if (!nest ||
	    nla_put_u64_64bit(skb, LOCKDEV_A_SESSION, m->session,
			      LOCKDEV_A_PAD) ||
	    ld_event_put_pid(skb, m->pid, pid_nr(m->pid)) ||
	    nla_put_string(skb, LOCKDEV_A_COMM, m->comm) ||
	    nla_put_u32(skb, LOCKDEV_A_FLAGS, m->flags) ||
	    nla_put(skb, LOCKDEV_A_HELD_NAME, m->held_len, m->held_name) ||
	    nla_put_u32(skb, LOCKDEV_A_HELD_MODE, m->held_mode) ||
	    nla_put_u32(skb, LOCKDEV_A_HELD_LEVEL, m->held_level) ||
	    nla_put(skb, LOCKDEV_A_NAME, m->wait_len, m->wait_name) ||
	    nla_put_u32(skb, LOCKDEV_A_MODE, m->wait_mode) ||
	    nla_put_u32(skb, LOCKDEV_A_LEVEL, m->wait_level))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/**
 * ld_event_report() - send the event of a deadlock or order report
 * @rep: the report, complete
 * @user: the uid of the session that made it
 *
 * Context: may sleep.
 */
void ld_event_report(const struct ld_report *rep, struct ld_user *user)
{
	bool order = rep->reason == LOCKDEV_RESULT_ORDER;
	struct sk_buff *skb;
	u32 i;

	skb = ld_event_new(order ? LOCKDEV_EVENT_ORDER : LOCKDEV_EVENT_DEADLOCK,
			   rep->space, user, nla_total_size(sizeof(u32)) +
			   rep->nr * LD_MEMBER_SIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (order && nla_put_u32(skb, LOCKDEV_A_ORDER_MODE, rep->order_mode))
		goto cancel;
	for (i = 0; i < rep->nr; i++)
		if (ld_event_member(skb, &rep->m[i]))
			goto cancel;
	ld_event_send(skb);
	return;

cancel:
	ld_event_cancel(skb);
}

/**
 * ld_event_owner_died() - send the event of a lock marked owner-died
 * @lk: the lock, just marked, with its new generation
 * @req: the request its dead session held it with
 *
 * Context: @lk->lock held.
 */
void ld_event_owner_died(const struct ld_lock *lk, const struct ld_req *req)
{
	char comm[TASK_COMM_LEN];
	struct sk_buff *skb;

	lockdep_assert_held(&lk->lock);
	ld_req_comm(req, comm);
	skb = ld_event_new(LOCKDEV_EVENT_OWNER_DIED, lk->space, req->sess->user,
			   nla_total_size(LOCKDEV_NAME_MAX) +
			   2 * nla_total_size(sizeof(u32)) +
			   nla_total_size(TASK_COMM_LEN) +
			   2 * nla_total_size_64bit(sizeof(u64)), GFP_ATOMIC);
	if (!skb)
		return;
	if (nla_put(skb, LOCKDEV_A_NAME, lk->name_len, lk->name) ||
	    nla_put_u32(skb, LOCKDEV_A_MODE, req->mode) ||
	    nla_put_u64_64bit(skb, LOCKDEV_A_SESSION, req->sess->id,
			      LOCKDEV_A_PAD) ||
	    ld_event_put_pid(skb, req->pid, pid_nr(req->pid)) ||
	    nla_put_string(skb, LOCKDEV_A_COMM, comm) ||
	    nla_put_u64_64bit(skb, LOCKDEV_A_GENERATION, lk->generation,
			      LOCKDEV_A_PAD)) {
		ld_event_cancel(skb);
		return;
	}
	ld_event_send(skb);
}

/**
 * ld_event_space_removed() - send the event of a lockspace removed by force
 * @space: the lockspace
 */
void ld_event_space_removed(const struct ld_space *space)
{
	struct sk_buff *skb;

	skb = ld_event_new(LOCKDEV_EVENT_SPACE_REMOVED, space, space->creator,
			   0, GFP_KERNEL);
	if (skb)
		ld_event_send(skb);
}

/* One LOCKDEV_A_EDGE nest: the classes of @e and its first example. */
static int ld_event_edge(struct sk_buff *skb, const struct ld_class_edge *e)
{
	const struct ld_class_example *ex = &e->ex;
	struct nlattr *nest = nla_nest_start(skb, LOCKDEV_A_EDGE);

	if (!nest ||
	    nla_put(skb, LOCKDEV_A_CLASS_FROM, e->from->name_len,
		    e->from->name) ||
	    nla_put(skb, LOCKDEV_A_CLASS_TO, e->to->name_len, e->to->name) ||
	    ld_event_put_pid(skb, ex->pid, pid_nr(ex->pid)) ||
	    nla_put_string(skb, LOCKDEV_A_COMM, ex->comm) ||
	    nla_put(skb, LOCKDEV_A_HELD_NAME, ex->from_len, ex->names) ||
	    nla_put(skb, LOCKDEV_A_NAME, ex->to_len, ex->names + ex->from_len))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/**
 * ld_event_inversion() - send the event of a learned-order inversion
 * @e: the edge that closed a cycle
 * @back: the edge leaving @e->to on the way back to @e->from
 * @user: the uid of the session that learned @e
 *
 * Context: ld_class_mutex held; may sleep.
 */
void ld_event_inversion(const struct ld_class_edge *e,
			const struct ld_class_edge *back, struct ld_user *user)
{
	struct sk_buff *skb;

	skb = ld_event_new(LOCKDEV_EVENT_INVERSION, e->from->space, user,
			   2 * (nla_total_size(0) +
				4 * nla_total_size(LOCKDEV_NAME_MAX) +
				nla_total_size(sizeof(u32)) +
				nla_total_size(TASK_COMM_LEN)), GFP_KERNEL);
	if (!skb)
		return;
	if (ld_event_edge(skb, e) || ld_event_edge(skb, back)) {
		ld_event_cancel(skb);
		return;
	}
	ld_event_send(skb);
}

/* Send the event of @r held or awaited past its threshold. */
static void ld_event_long(const struct ld_lock *lk, const struct ld_req *r,
			  bool holder, const struct ld_now *now)
{
	const struct nlattr *pid;
	struct sk_buff *skb;
	u32 start;

	skb = ld_event_new(holder ? LOCKDEV_EVENT_HELD_LONG :
			   LOCKDEV_EVENT_WAITED_LONG, lk->space, r->sess->user,
			   NLMSG_GOODSIZE, GFP_ATOMIC);
	if (!skb)
		return;
	start = skb->len;
	if (ld_nl_put_req(skb, lk, r, holder, now, &init_pid_ns, NULL, 0)) {
		ld_event_cancel(skb);
		return;
	}
	pid = nla_find((const struct nlattr *)(skb->data + start),
		       skb->len - start, LOCKDEV_A_PID);
	if (!pid || ld_event_pid(skb, (const u8 *)nla_data(pid) - skb->data,
				 r->pid)) {
		ld_event_cancel(skb);
		return;
	}
	ld_event_send(skb);
}

/* Locks looked at between two breaks of the scanner's table walk. */
#define LD_SCAN_BATCH	256

/* Report what @lk has held or waiting past the thresholds, once each. */
static void ld_scan_lock(struct ld_lock *lk, u64 held_ns, u64 wait_ns,
			 const struct ld_now *now)
{
	struct ld_wait *w;
	struct ld_req *r;

	lockdep_assert_held(&lk->lock);
	if (held_ns)
		list_for_each_entry(r, &lk->holders, hnode)
			if (!(r->told & LD_TOLD_HELD) && !r->releasing &&
			    ld_req_age(r, false, now) >= held_ns) {
				r->told |= LD_TOLD_HELD;
				ld_event_long(lk, r, true, now);
			}
	if (!wait_ns)
		return;
	list_for_each_entry(w, &lk->waiters, wnode) {
		r = w->req;
		if (!(r->told & LD_TOLD_WAIT) &&
		    ld_req_age(r, true, now) >= wait_ns) {
			r->told |= LD_TOLD_WAIT;
			ld_event_long(lk, r, false, now);
		}
	}
}

static void ld_scan_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(ld_scan_work, ld_scan_fn);

/*
 * Walk every lock for holders and waiters past the thresholds, while they
 * are set and somebody listens; then come back after a quarter of the
 * smaller threshold, between 10 ms and 1 s.
 */
static void ld_scan_fn(struct work_struct *work)
{
	u32 held_ms = READ_ONCE(ld_held_threshold_ms);
	u32 wait_ms = READ_ONCE(ld_wait_threshold_ms);
	struct rhashtable_iter hti;
	struct ld_now now;
	struct ld_lock *lk;
	unsigned int n = 0;
	u32 every;

	if (!held_ms && !wait_ms)
		return;
	if (ld_events_wanted()) {
		rhashtable_walk_enter(&ld_locks, &hti);
		rhashtable_walk_start(&hti);
		while ((lk = rhashtable_walk_next(&hti))) {
			if (IS_ERR(lk))
				continue;
			spin_lock(&lk->lock);
			ld_now_read(&now);
			/* Not yet dropped, or ld_lock_remove() waits. */
			if (!ld_lock_dead(lk))
				ld_scan_lock(lk, (u64)held_ms * NSEC_PER_MSEC,
					     (u64)wait_ms * NSEC_PER_MSEC, &now);
			spin_unlock(&lk->lock);
			if (++n % LD_SCAN_BATCH == 0) {
				rhashtable_walk_stop(&hti);
				cond_resched();
				rhashtable_walk_start(&hti);
			}
		}
		rhashtable_walk_stop(&hti);
		rhashtable_walk_exit(&hti);
	}
	every = min_not_zero(held_ms, wait_ms) / 4;
	schedule_delayed_work(&ld_scan_work,
			      msecs_to_jiffies(clamp(every, 10U, 1000U)));
}

/* The scanner may run: set under the parameters' lock (kernel_param_lock). */
static bool ld_scan_live;

/**
 * ld_events_kick() - a threshold changed: rescan now
 *
 * Context: the module's kernel_param_lock() held, as in a parameter's set
 * function and the netlink command.
 */
void ld_events_kick(void)
{
	if (ld_scan_live)
		mod_delayed_work(system_wq, &ld_scan_work, 0);
}

/**
 * ld_events_init() - set up the event queue and register the family
 *
 * Return: 0 or a negative errno.
 */
int ld_events_init(void)
{
	int ret;

	skb_queue_head_init(&ld_events);
	skb_queue_head_init(&ld_events_evicted);
	ret = ld_subs_init();
	if (ret)
		return ret;
	ret = genl_register_family(&ld_genl_family);
	if (ret) {
		ld_subs_exit();
		return ret;
	}
	kernel_param_lock(THIS_MODULE);
	ld_scan_live = true;
	ld_events_kick();
	kernel_param_unlock(THIS_MODULE);
	return 0;
}

/**
 * ld_events_exit() - stop the scanner, drop queued events, unregister
 *
 * Context: no session exists any more.
 */
void ld_events_exit(void)
{
	kernel_param_lock(THIS_MODULE);
	ld_scan_live = false;
	kernel_param_unlock(THIS_MODULE);
	cancel_delayed_work_sync(&ld_scan_work);
	flush_work(&ld_events_work);
	ld_events_drop(&ld_events_evicted, false);
	ld_events_drop(&ld_events, true);
	genl_unregister_family(&ld_genl_family);
	ld_subs_exit();
}
