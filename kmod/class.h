/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lock classes and learned order: the objects class.c keeps and
 * proc_order.c shows, and the hooks the lock engine calls. The rest of the
 * module sees only struct ld_class pointers. The summary of the classes a
 * session has, struct ld_class_held, is part of struct ld_session
 * (session.h).
 *
 * Every class, edge and inversion belongs to one lockspace and lives as long
 * as it: ld_class_space_free() frees them when the lockspace goes. Classes
 * and edges are found without a lock, under RCU, in two hash tables; they
 * are created, listed and freed under ld_class_mutex (locking.h).
 */
#ifndef LOCKDEV_KMOD_CLASS_H
#define LOCKDEV_KMOD_CLASS_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/types.h>

#include "grant.h"
#include "table.h"

struct ld_session;

/* How many classes a session's summary tracks at once. */
#define LD_CLASSES_HELD	8

/*
 * struct ld_class_held - the classes a session holds or awaits, for learned
 * order: one slot per class of the requests it has on locks (held, waiting
 * or converting). Protected by the session's lock.
 * @nr: slots in use; read with READ_ONCE() to skip an empty summary.
 * @slot: @class, @count requests of it, and @example, the lock of the last
 *	of them to start (NULL once that one ended), to name in an edge.
 *
 * Requests of a class that finds every slot taken are not tracked: the
 * session learns no edge from that class until a slot frees and a later
 * request of it takes one. A slot is never kept for a class the session no
 * longer has, so no false edge is learned.
 */
struct ld_class_held {
	u32 nr;
	struct {
		struct ld_class *class;
		struct ld_lock *example;
		u32 count;
	} slot[LD_CLASSES_HELD];
};

/*
 * struct ld_gnode - an entry of ld_class_list, ld_edge_list or
 * ld_inversion_list: a record, or the place a /proc reader stopped at
 * @node: in the list. ld_class_mutex.
 * @mark: a reader's place (proc_order.c), before the record it reads
 *	next; every walk of the lists skips it. Immutable.
 *
 * A reader's place stays in the list between two read() calls, so that
 * the next one goes on from there whatever was freed meanwhile.
 */
struct ld_gnode {
	struct list_head node;
	bool mark;
};

/*
 * struct ld_class - a lock class: the bytes of a lock name before its first
 * colon, in one lockspace
 * @hnode: in the classes hash table. RCU readers; ld_class_mutex writers.
 * @space: its lockspace; no reference: the lockspace frees the class.
 * @snode: in @space->classes. ld_class_mutex.
 * @gnode: in ld_class_list, every class in creation order. ld_class_mutex.
 * @out: the edges from it, struct ld_class_edge.onode. ld_class_mutex.
 * @bfs: queue of the cycle search. ld_class_mutex.
 * @bfs_gen: the search that last reached it. ld_class_mutex.
 * @via: the first edge of the path that search reached it by.
 *	ld_class_mutex.
 * @acquisitions: grants of locks of the class.
 * @contentions: those grants that had to wait.
 * @wait_total: ns waited by @contentions.
 * @wait_max: the longest of those waits.
 * @hold_total: ns held, counted at each release.
 * @hold_max: the longest hold.
 * @rcu: for freeing after the hash table's RCU readers.
 * @name_len: length of @name. Immutable, as @name.
 * @name: the class name, not NUL-terminated.
 *
 * The lock_stat counters are atomics updated without a lock; the maxima
 * with a compare-and-exchange loop.
 */
struct ld_class {
	struct hlist_node hnode;
	struct ld_space *space;
	struct list_head snode;
	struct ld_gnode gnode;
	struct list_head out;
	struct list_head bfs;
	u64 bfs_gen;
	struct ld_class_edge *via;
	atomic64_t acquisitions;
	atomic64_t contentions;
	atomic64_t wait_total;
	atomic64_t wait_max;
	atomic64_t hold_total;
	atomic64_t hold_max;
	struct rcu_head rcu;
	u16 name_len;
	u8 name[];
};

/*
 * struct ld_class_example - the first time an edge was taken. Immutable.
 * @time: ktime in ns.
 * @pid: the process that asked; a reference is held.
 * @comm: its comm.
 * @from_len: length of @names' first name, the lock of class "from" held.
 * @to_len: length of the second, the lock of class "to" asked for.
 * @names: the two names, one after the other, in the owner's allocation.
 */
struct ld_class_example {
	u64 time;
	struct pid *pid;
	char comm[TASK_COMM_LEN];
	u16 from_len;
	u16 to_len;
	const u8 *names;
};

/*
 * struct ld_class_edge - a learned edge: a lock of class @to was asked for
 * while a lock of class @from was held or awaited
 * @hnode: in the edges hash table, keyed by (@from, @to). RCU readers;
 *	ld_class_mutex writers.
 * @from: the class held. Immutable.
 * @to: the class asked for. Immutable.
 * @onode: in @from->out. ld_class_mutex.
 * @gnode: in ld_edge_list, every edge in creation order. ld_class_mutex.
 * @count: how often it was taken. Atomic.
 * @inv: the inversion it closed, or NULL. ld_class_mutex.
 * @rcu: for freeing after the hash table's RCU readers.
 * @ex: its first example.
 * @names: room for @ex's names.
 */
struct ld_class_edge {
	struct hlist_node hnode;
	struct ld_class *from;
	struct ld_class *to;
	struct list_head onode;
	struct ld_gnode gnode;
	atomic64_t count;
	struct ld_class_inversion *inv;
	struct rcu_head rcu;
	struct ld_class_example ex;
	u8 names[];
};

/*
 * struct ld_class_inversion - an edge that closed a cycle of edges.
 * Immutable once listed; freed with its edge.
 * @gnode: in ld_inversion_list, in the order found. ld_class_mutex.
 * @edge: the edge that closed the cycle.
 * @back: the example of the edge leaving @edge->to on the path back to
 *	@edge->from, as it was then.
 * @names: room for @back's names.
 */
struct ld_class_inversion {
	struct ld_gnode gnode;
	struct ld_class_edge *edge;
	struct ld_class_example back;
	u8 names[];
};

extern struct mutex ld_class_mutex;
extern struct list_head ld_class_list;
extern struct list_head ld_edge_list;
extern struct list_head ld_inversion_list;
extern unsigned int ld_nr_classes;
extern unsigned int ld_nr_edges;
extern unsigned long ld_nr_inversions;
extern bool ld_order_full;

/**
 * ld_gnode_after() - the first record after @p in @head
 * @head: ld_class_list, ld_edge_list or ld_inversion_list
 * @p: @head, or a record or mark in it
 *
 * Return: the record, or NULL at the end of @head. Marks are skipped.
 */
static inline struct ld_gnode *ld_gnode_after(struct list_head *head,
					      struct list_head *p)
{
	struct ld_gnode *g;

	lockdep_assert_held(&ld_class_mutex);
	for (p = p->next; p != head; p = p->next) {
		g = list_entry(p, struct ld_gnode, node);
		if (!g->mark)
			return g;
	}
	return NULL;
}

void ld_class_stat_reset(void);

/* Lock classes and learned order (class.c); the hooks the lock engine calls. */
struct ld_class *ld_class_find(struct ld_space *space, const u8 *name,
			       u32 len);
void ld_class_space_free(struct ld_space *space);
void __ld_class_learn(struct ld_session *sess, struct ld_lock *lk);
void __ld_class_enter(struct ld_req *req);
void __ld_class_leave(struct ld_req *req);
void __ld_class_granted(struct ld_class *class);
void __ld_class_waited(struct ld_class *class, u64 ns);
void __ld_class_released(struct ld_class *class, u64 ns);

/* @sess asks for @lk: learn the edges from the classes it holds or awaits. */
static inline void ld_class_learn(struct ld_session *sess, struct ld_lock *lk)
{
	if (lk->class)
		__ld_class_learn(sess, lk);
}

/*
 * Does @req count in its session's summary: has its lock a class, and is
 * the mode it holds, or waits for, not NONE? A hold in NONE grants nothing
 * and teaches nothing; a conversion from NONE counts from when it is
 * granted or queued (ld_convert_to(), ld_enqueue()).
 */
static inline bool ld_class_counts(const struct ld_req *req)
{
	return req->lk->class && ld_req_want(req) != LOCKDEV_MODE_NONE;
}

/* @req goes on its lock, or out of NONE: count its class in the summary. */
static inline void ld_class_enter(struct ld_req *req)
{
	if (ld_class_counts(req))
		__ld_class_enter(req);
}

/* @req leaves its lock, or goes to NONE: uncount it if it counted. */
static inline void ld_class_leave(struct ld_req *req)
{
	if (ld_class_counts(req))
		__ld_class_leave(req);
}

/*
 * lock_stat: a grant of @lk; a grant at @now after a wait queued at
 * @since (both ld_since()).
 */
static inline void ld_class_granted(struct ld_lock *lk)
{
	if (lk->class)
		__ld_class_granted(lk->class);
}

static inline void ld_class_waited(struct ld_lock *lk, u64 since, u64 now)
{
	if (lk->class)
		__ld_class_waited(lk->class, ld_age(now, since));
}

/* lock_stat: the release at @now of a hold of @lk granted at @since. */
static inline void ld_class_released(struct ld_lock *lk, u64 since, u64 now)
{
	if (lk->class)
		__ld_class_released(lk->class, ld_age(now, since));
}

#endif /* LOCKDEV_KMOD_CLASS_H */
