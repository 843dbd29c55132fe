// SPDX-License-Identifier: GPL-2.0
/*
 * Deadlock detection: before a request waits, a breadth-first walk of the
 * wait-for graph from the requests it would wait for. The graph's nodes are
 * sessions; a waiting request's session has an edge to the session of every
 * holder incompatible with it and of every incompatible request queued ahead
 * of it. A walk that reaches the requesting session found a cycle. Each
 * session and each edge is visited at most once, so the cost is bounded by
 * the size of the part of the graph the request would depend on, with no hop
 * limit.
 */
#include "lockdev.h"

/* The number of the current walk, to mark visited sessions. */
static u64 ld_graph_walk;

struct ld_walk {
	struct ld_session *target;
	struct list_head queue;
	bool found;
};

static bool ld_graph_visit(struct ld_req *blocker, void *arg)
{
	struct ld_walk *walk = arg;
	struct ld_session *sess = blocker->sess;

	if (sess == walk->target) {
		walk->found = true;
		return true;
	}
	if (sess->bfs_gen != ld_graph_walk) {
		sess->bfs_gen = ld_graph_walk;
		list_add_tail(&sess->bfs_node, &walk->queue);
	}
	return false;
}

/**
 * ld_graph_check() - would a request close a cycle of waits
 * @sess: the session asking
 * @lk: the lock it asks for
 * @want: the mode it asks for
 * @self: its request when it holds @lk already (an upgrade), or NULL
 * @stop: where the request would queue: waiters from here on are not ahead
 *
 * Context: ld_graph_mutex and @lk->lock held. The holders and waiters of
 * every lock that has waiters are frozen under ld_graph_mutex (lockdev.h),
 * so the walk reads them without their locks.
 * Return: 0, or -EDEADLK if waiting would close a cycle.
 */
int ld_graph_check(struct ld_session *sess, struct ld_lock *lk, u32 want,
		   const struct ld_req *self, const struct list_head *stop)
{
	struct ld_walk walk = {
		.target = sess,
		.queue = LIST_HEAD_INIT(walk.queue),
	};
	struct ld_visit visit = { .fn = ld_graph_visit, .arg = &walk };
	struct ld_session *s, *tmp;
	struct ld_req *r, *up;
	struct ld_wait *w;

	lockdep_assert_held(&ld_graph_mutex);
	lockdep_assert_held(&lk->lock);
	ld_graph_walk++;
	ld_visit_blockers(lk, want, self, stop, &visit);
	while (!walk.found && !list_empty(&walk.queue)) {
		s = list_first_entry(&walk.queue, struct ld_session, bfs_node);
		list_del_init(&s->bfs_node);
		list_for_each_entry(w, &s->waiting, gnode) {
			r = w->req;
			up = r->state == LD_CONVERTING ? r : NULL;
			if (ld_visit_blockers(r->lk, ld_req_want(r), up,
					      &r->wnode, &visit))
				break;
		}
	}
	list_for_each_entry_safe(s, tmp, &walk.queue, bfs_node)
		list_del_init(&s->bfs_node);
	return walk.found ? -EDEADLK : 0;
}
