// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlock detection: before a request waits, a breadth-first walk of the
 * wait-for graph from the requests it would wait for. The graph's nodes are
 * sessions; a waiting request's session has an edge to the session of every
 * holder incompatible with it and of every incompatible request queued ahead
 * of it. A walk that reaches the requesting session found a cycle. Each
 * session is expanded at most once, and each lock's holders and queue are
 * scanned at most once per mode asked for (ld_walk_blockers()), so the cost
 * is linear in the part of the graph the request would depend on: the
 * sessions visited, their waiting requests, and the holders and waiters of
 * the locks those wait for; with no hop limit, and not the number of edges,
 * which can be quadratic in a queue.
 *
 * The walk runs under the lockspace's graph mutex, under which the holders
 * and waiters of every lock with waiters are frozen but for one thing: an
 * UNLOCK or a downgrade that found the mutex taken ends or weakens a hold
 * meanwhile (graph_mutex.c). That only removes edges, and grants nothing
 * until the walk is over, so every cycle the walk finds existed when it
 * began, and none that exists at its end is missed.
 */
#include <linux/string.h>

#include "grant.h"
#include "graph.h"
#include "report.h"
#include "session.h"
#include "space.h"
#include "table.h"

/*
 * struct ld_walk - one walk of the wait-for graph
 * @target: the session asking; reaching it closes a cycle.
 * @gen: the number of this walk in the lockspace, to mark visited sessions.
 * @queue: sessions to expand, by bfs_node.
 * @cur: the session being expanded, NULL while visiting the blockers of
 *	the request itself.
 * @cur_req: the waiting request of @cur being expanded.
 * @found: the request of @target that closes the cycle, or NULL.
 * @found_queued: @found blocks as a request queued ahead.
 * @found_mode: the mode in which @found blocks.
 * @found_from: @cur when @found was reached.
 * @found_from_req: @cur_req when @found was reached.
 */
struct ld_walk {
	struct ld_session *target;
	u64 gen;
	struct list_head queue;
	struct ld_session *cur;
	struct ld_req *cur_req;
	struct ld_req *found;
	bool found_queued;
	u32 found_mode;
	struct ld_session *found_from;
	struct ld_req *found_from_req;
};

static bool ld_graph_visit(struct ld_req *blocker, bool queued, void *arg)
{
	struct ld_walk *walk = arg;
	struct ld_session *sess = blocker->sess;

	if (sess == walk->target) {
		walk->found = blocker;
		walk->found_queued = queued;
		walk->found_mode = queued ? ld_req_want(blocker) :
					    READ_ONCE(blocker->mode);
		walk->found_from = walk->cur;
		walk->found_from_req = walk->cur_req;
		return true;
	}
	if (sess->bfs_gen != walk->gen) {
		sess->bfs_gen = walk->gen;
		sess->bfs_parent = walk->cur;
		sess->bfs_from = walk->cur_req;
		sess->bfs_via = blocker;
		sess->bfs_via_queued = queued;
		list_add_tail(&sess->bfs_node, &walk->queue);
	}
	return false;
}

/*
 * Go along the cycle found by @walk from where it closed back to the
 * request: member i (from @k down to 1) is a session and the request it
 * waits with, which its successor blocks. Of members below @n, add the
 * length of their names to *@names, or fill them into @rep if given.
 */
static void ld_cycle_members(const struct ld_walk *walk, u32 k, u32 n,
			     struct ld_report *rep, size_t *names)
{
	struct ld_session *s = walk->found_from;
	struct ld_req *wreq = walk->found_from_req;
	char comm[TASK_COMM_LEN];
	u32 i;

	for (i = k; s; i--) {
		if (i < n && rep) {
			ld_req_comm(wreq, comm);
			ld_report_set(rep, i, s, wreq->pid, comm,
				      s->bfs_via,
				      s->bfs_via_queued ? ld_req_want(s->bfs_via) :
				      READ_ONCE(s->bfs_via->mode),
				      s->bfs_via_queued, wreq->lk,
				      ld_req_want(wreq), wreq->level);
		} else if (i < n) {
			*names += s->bfs_via->lk->name_len + wreq->lk->name_len;
		}
		wreq = s->bfs_from;
		s = s->bfs_parent;
	}
}

/*
 * Build the report of a cycle found by @walk: member 0 is the session
 * asking for @lk in @want with @req, which waits with it, or, for a cycle
 * the walk began at another wait of the session (an upgrade queued ahead,
 * ld_walk_own_waits()), with that wait; member i > 0 is the i-th session
 * along the cycle. GFP_NOWAIT: the caller holds @lk->lock. NULL if out of
 * memory: the request still fails, without a report.
 */
static struct ld_report *ld_graph_report(const struct ld_walk *walk,
					 struct ld_lock *lk,
					 const struct ld_req *req, u32 want)
{
	struct ld_req *own = walk->found_from_req;
	struct ld_session *s;
	struct ld_report *rep;
	size_t names;
	u32 k = 0, n;

	for (s = walk->found_from; s; s = s->bfs_parent) {
		k++;
		own = s->bfs_from;
	}
	n = min_t(u32, k + 1, LOCKDEV_CYCLE_MAX);
	names = walk->found->lk->name_len +
		(own ? own->lk->name_len : lk->name_len);
	ld_cycle_members(walk, k, n, NULL, &names);

	rep = ld_report_alloc(walk->target->space, LOCKDEV_RESULT_CYCLE, n,
			      names, GFP_NOWAIT);
	if (!rep)
		return NULL;
	rep->handle = req->handle;
	if (own)
		ld_report_set(rep, 0, walk->target, task_tgid(current),
			      current->comm, walk->found, walk->found_mode,
			      walk->found_queued, own->lk, ld_req_want(own),
			      own->level);
	else
		ld_report_set(rep, 0, walk->target, task_tgid(current),
			      current->comm, walk->found, walk->found_mode,
			      walk->found_queued, lk, want, req->level);
	ld_cycle_members(walk, k, n, rep, NULL);
	return rep;
}

/*
 * The marks of @walk on @lk, which has waiters: in the wait of its first
 * waiter. The first time the walk comes to @lk, it numbers the waiters in
 * queue order and forgets what earlier walks marked.
 */
static struct ld_wait *ld_walk_enter(const struct ld_walk *walk,
				     struct ld_lock *lk)
{
	struct ld_wait *m = list_first_entry(&lk->waiters, struct ld_wait,
					     wnode);
	struct ld_wait *w;
	u32 pos = 0;

	if (m->bfs_gen == walk->gen)
		return m;
	m->bfs_gen = walk->gen;
	m->bfs_held = 0;
	memset(m->bfs_upto, 0, sizeof(m->bfs_upto));
	list_for_each_entry(w, &lk->waiters, wnode)
		w->bfs_pos = pos++;
	return m;
}

/*
 * Visit what @r, a waiting request of the session being expanded, waits
 * for: the holders of its lock incompatible with the mode it wants, but
 * itself, and the incompatible waiters queued ahead of it.
 *
 * Each lock's holders are scanned at most once per mode and walk: a second
 * request that wants the same mode has the same blockers among them, but
 * for the first request itself, whose session the walk has already visited.
 * The waiters ahead of a request are a prefix of the queue, so per mode the
 * walk remembers how long a prefix it has scanned and only scans on from
 * there: each lock's queue is scanned at most once per mode and walk.
 *
 * Return: true if the visit found the target.
 */
static bool ld_walk_blockers(struct ld_walk *walk, struct ld_req *r)
{
	struct ld_lock *lk = r->lk;
	struct ld_wait *m = ld_walk_enter(walk, lk), *ww;
	u32 want = ld_req_want(r);
	struct ld_req *h, *w;

	if (!(m->bfs_held & LD_MODE_BIT(want))) {
		m->bfs_held |= LD_MODE_BIT(want);
		list_for_each_entry(h, &lk->holders, hnode)
			if (h != r && !READ_ONCE(h->releasing) &&
			    !ld_compatible(want,
					   LD_MODE_BIT(READ_ONCE(h->mode))) &&
			    ld_graph_visit(h, false, walk))
				return true;
	}
	w = m->bfs_upto[want - 1];
	if (w && w->wait->bfs_pos >= r->wait->bfs_pos)
		return false;
	m->bfs_upto[want - 1] = r;
	ww = w ? w->wait : list_first_entry(&lk->waiters, struct ld_wait,
					     wnode);
	list_for_each_entry_from(ww, &lk->waiters, wnode) {
		w = ww->req;
		if (w == r)
			break;
		if (!ld_compatible(want, LD_MODE_BIT(ld_req_want(w))) &&
		    ld_graph_visit(w, true, walk))
			return true;
	}
	return false;
}

/*
 * An upgrade that queues ahead of waiters makes those it conflicts with wait
 * for its session, so a cycle may come back to the session through any of
 * its other waits (another thread's, an asynchronous request's), not only
 * through what the upgrade waits for: the walk starts from those too. A
 * session the walk reaches from them records the wait in bfs_from, which
 * the report names as member 0's.
 *
 * Return: true if the visit found the target.
 */
static bool ld_walk_own_waits(struct ld_walk *walk, struct ld_session *sess)
{
	struct ld_wait *w;

	list_for_each_entry(w, &sess->waiting, gnode) {
		walk->cur_req = w->req;
		if (ld_walk_blockers(walk, w->req))
			return true;
	}
	walk->cur_req = NULL;
	return false;
}

/**
 * ld_graph_check() - would a request close a cycle of waits
 * @sess: the session asking
 * @lk: the lock it asks for
 * @req: its request, for the report
 * @want: the mode it asks for
 * @self: its request when it holds @lk already (an upgrade), or NULL
 * @stop: where the request would queue: waiters from here on are not ahead
 * @repp: set to the cycle's report (or NULL without memory) on -EDEADLK
 *
 * An upgrade queues ahead of requests already waiting, and so makes those
 * that it is incompatible with wait for it: a session whose wait is one of
 * them closes a cycle too, whether the walk reached it from what the
 * upgrade waits for or from another wait of the session's.
 *
 * Context: ld_graph(@lk) and @lk->lock held. The holders and waiters of
 * every lock of the lockspace that has waiters are frozen under it (locking.h),
 * so the walk reads them without their locks.
 * Return: 0, or -EDEADLK if waiting would close a cycle.
 */
int ld_graph_check(struct ld_session *sess, struct ld_lock *lk,
		   const struct ld_req *req, u32 want, const struct ld_req *self,
		   const struct list_head *stop, struct ld_report **repp)
{
	struct ld_walk walk = {
		.target = sess,
		.queue = LIST_HEAD_INIT(walk.queue),
	};
	struct ld_visit visit = { .fn = ld_graph_visit, .arg = &walk };
	struct ld_session *s, *tmp;
	u32 behind = U32_MAX;
	struct ld_wait *w;
	struct ld_req *r;

	lockdep_assert_held(ld_graph(lk));
	lockdep_assert_held(&lk->lock);
	walk.gen = ++lk->space->graph_walk;
	/* Where an upgrade queues: a waiter numbered @behind or more is behind it. */
	if (self && stop != &lk->waiters) {
		ld_walk_enter(&walk, lk);
		behind = list_entry(stop, struct ld_wait, wnode)->bfs_pos;
	}
	ld_visit_blockers(lk, want, self, stop, &visit);
	if (!walk.found && behind != U32_MAX)
		ld_walk_own_waits(&walk, sess);
	while (!walk.found && !list_empty(&walk.queue)) {
		s = list_first_entry(&walk.queue, struct ld_session, bfs_node);
		list_del_init(&s->bfs_node);
		walk.cur = s;
		list_for_each_entry(w, &s->waiting, gnode) {
			r = w->req;
			walk.cur_req = r;
			if (self && r->lk == lk &&
			    !ld_compatible(ld_req_want(r), LD_MODE_BIT(want)) &&
			    w->bfs_pos >= behind) {
				walk.found = (struct ld_req *)self;
				walk.found_queued = true;
				walk.found_mode = want;
				walk.found_from = s;
				walk.found_from_req = r;
				break;
			}
			if (ld_walk_blockers(&walk, r))
				break;
		}
	}
	list_for_each_entry_safe(s, tmp, &walk.queue, bfs_node)
		list_del_init(&s->bfs_node);
	if (!walk.found)
		return 0;
	*repp = ld_graph_report(&walk, lk, req, want);
	return -EDEADLK;
}
