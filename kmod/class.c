// SPDX-License-Identifier: GPL-2.0
/*
 * Lock classes and learned order, lockdep's idea for user space.
 *
 * The class of a name "class:instance" is the bytes before its first colon.
 * A lock finds its class once, when it is created; each session keeps a
 * small summary of the classes of the requests it has (struct
 * ld_class_held), so that a request of class B learns the edge A -> B from
 * every other class A the session holds or awaits without looking at its
 * requests. Known classes and edges are found without a lock; only the first
 * sight of a class or an edge takes ld_class_mutex. A new edge that closes a
 * cycle is an inversion: a potential deadlock, kept with the example of the
 * edge that leads back.
 *
 * Classes and edges are budgeted three ways (ld_class_charge()): over all
 * lockspaces (max_classes, max_class_edges), per lockspace (..._per_space)
 * and over the lockspaces of one owner uid (..._per_user: the uid that
 * created them, whom LOCKDEV_IOC_SPACE does not change), so that one
 * user's lockspaces cannot use up what another's learn from.
 *
 * Also the per-class lock_stat counters, which are atomics.
 */
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "class.h"
#include "events.h"
#include "grant.h"
#include "params.h"
#include "session.h"
#include "space.h"
#include "stats.h"
#include "table.h"
#include "user.h"

/* Creates classes and edges and guards every list of them (class.h). */
DEFINE_MUTEX(ld_class_mutex);
/* Every class, edge and inversion, in the order made. ld_class_mutex. */
LIST_HEAD(ld_class_list);
LIST_HEAD(ld_edge_list);
LIST_HEAD(ld_inversion_list);
/* Classes and edges that exist, over all lockspaces. ld_class_mutex. */
unsigned int ld_nr_classes;
unsigned int ld_nr_edges;

/*
 * struct ld_class_owner - the classes and edges of the lockspaces of one
 * owner, for max_classes_per_user and max_class_edges_per_user
 * @node: in ld_owner_table. ld_class_mutex.
 * @uid: the owner, the uid charged for them (ld_space.creator). Immutable.
 * @classes: classes of its lockspaces. ld_class_mutex.
 * @edges: edges of its lockspaces. ld_class_mutex.
 *
 * Exists while its lockspaces have classes.
 */
struct ld_class_owner {
	struct hlist_node node;
	kuid_t uid;
	u32 classes;
	u32 edges;
};

static DEFINE_HASHTABLE(ld_owner_table, 6);
/* Inversions found since load. ld_class_mutex. */
unsigned long ld_nr_inversions;
/* Something did not fit, once. */
bool ld_order_full;

static DEFINE_HASHTABLE(ld_class_table, 10);
static DEFINE_HASHTABLE(ld_edge_table, 11);
/* The number of the last cycle search. ld_class_mutex. */
static u64 ld_class_walk;

static u32 ld_class_hash(const struct ld_space *space, const u8 *name, u32 len)
{
	return jhash(name, len, hash_ptr(space, 32));
}

static u32 ld_edge_hash(const struct ld_class *from, const struct ld_class *to)
{
	return jhash_2words(hash_ptr(from, 32), hash_ptr(to, 32), 0);
}

/* Context: rcu_read_lock() held. */
static struct ld_class *ld_class_lookup(const struct ld_space *space,
					const u8 *name, u32 len, u32 hash)
{
	struct ld_class *c;

	hash_for_each_possible_rcu(ld_class_table, c, hnode, hash)
		if (c->space == space && c->name_len == len &&
		    !memcmp(c->name, name, len))
			return c;
	return NULL;
}

/* Context: rcu_read_lock() held. */
static struct ld_class_edge *ld_edge_lookup(const struct ld_class *from,
					    const struct ld_class *to)
{
	struct ld_class_edge *e;

	hash_for_each_possible_rcu(ld_edge_table, e, hnode,
				   ld_edge_hash(from, to))
		if (e->from == from && e->to == to)
			return e;
	return NULL;
}

/* Count what did not fit. */
static void ld_class_full(void)
{
	WRITE_ONCE(ld_order_full, true);
	ld_stat_inc(order_full);
}

/* The owner entry of @uid, or NULL. Context: ld_class_mutex held. */
static struct ld_class_owner *ld_owner_lookup(kuid_t uid)
{
	struct ld_class_owner *o;

	hash_for_each_possible(ld_owner_table, o, node, __kuid_val(uid))
		if (uid_eq(o->uid, uid))
			return o;
	return NULL;
}

/*
 * Charge a class (@edge false) or an edge of @space to the budgets: over
 * all lockspaces, of @space, and of the lockspaces of its owner. The
 * owner's entry, if it has none yet, is *@spare, allocated before the
 * mutex (so that nobody reclaims memory while others wait for it), which
 * is then taken. False, and nothing charged, if a budget is full or there
 * is no spare.
 *
 * Context: ld_class_mutex held.
 */
static bool ld_class_charge(struct ld_space *space, bool edge,
			    struct ld_class_owner **spare)
{
	struct ld_class_owner *o;

	lockdep_assert_held(&ld_class_mutex);
	if (edge && (ld_nr_edges >= READ_ONCE(ld_max_class_edges) ||
		     space->nr_edges >= READ_ONCE(ld_max_class_edges_per_space)))
		return false;
	if (!edge && (ld_nr_classes >= READ_ONCE(ld_max_classes) ||
		      space->nr_classes >= READ_ONCE(ld_max_classes_per_space)))
		return false;
	o = ld_owner_lookup(space->creator->uid) ?: *spare;
	if (!o)
		return false;
	if (edge ? o->edges >= READ_ONCE(ld_max_class_edges_per_user) :
	    o->classes >= READ_ONCE(ld_max_classes_per_user))
		return false;
	if (o == *spare) {
		*spare = NULL;
		o->uid = space->creator->uid;
		hash_add(ld_owner_table, &o->node, __kuid_val(o->uid));
		ld_stat_add(memory, ksize(o));
	}
	if (edge) {
		o->edges++;
		WRITE_ONCE(space->nr_edges, space->nr_edges + 1);
		WRITE_ONCE(ld_nr_edges, ld_nr_edges + 1);
	} else {
		o->classes++;
		WRITE_ONCE(space->nr_classes, space->nr_classes + 1);
		WRITE_ONCE(ld_nr_classes, ld_nr_classes + 1);
	}
	return true;
}

/*
 * Uncharge all the classes and edges of @space, which are being freed.
 * Context: ld_class_mutex held.
 */
static void ld_class_uncharge(struct ld_space *space)
{
	struct ld_class_owner *o = ld_owner_lookup(space->creator->uid);

	lockdep_assert_held(&ld_class_mutex);
	WRITE_ONCE(ld_nr_classes, ld_nr_classes - space->nr_classes);
	WRITE_ONCE(ld_nr_edges, ld_nr_edges - space->nr_edges);
	if (o) {
		o->classes -= space->nr_classes;
		o->edges -= space->nr_edges;
		if (!o->classes && !o->edges) {
			hash_del(&o->node);
			ld_stat_add(memory, -(long)ksize(o));
			kfree(o);
		}
	}
	space->nr_classes = 0;
	space->nr_edges = 0;
}

static struct ld_class *ld_class_create(struct ld_space *space,
					const u8 *name, u32 len, u32 hash)
{
	struct ld_class_owner *spare;
	struct ld_class *c, *old;

	if (READ_ONCE(ld_nr_classes) >= READ_ONCE(ld_max_classes) ||
	    READ_ONCE(space->nr_classes) >=
	    READ_ONCE(ld_max_classes_per_space)) {
		ld_class_full();
		return NULL;
	}
	c = kzalloc(struct_size(c, name, len), GFP_KERNEL_ACCOUNT);
	if (!c)
		return NULL;
	c->space = space;
	INIT_LIST_HEAD(&c->out);
	INIT_LIST_HEAD(&c->bfs);
	c->name_len = len;
	memcpy(c->name, name, len);
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);

	mutex_lock(&ld_class_mutex);
	rcu_read_lock();
	old = ld_class_lookup(space, name, len, hash);
	rcu_read_unlock();
	if (old || !ld_class_charge(space, false, &spare)) {
		mutex_unlock(&ld_class_mutex);
		if (!old)
			ld_class_full();
		kfree(spare);
		kfree(c);
		return old;
	}
	hash_add_rcu(ld_class_table, &c->hnode, hash);
	list_add_tail(&c->snode, &space->classes);
	list_add_tail(&c->gnode.node, &ld_class_list);
	mutex_unlock(&ld_class_mutex);
	kfree(spare);
	ld_stat_inc(classes);
	ld_stat_add(memory, ksize(c));
	return c;
}

/**
 * ld_class_find() - the class of a lock name, created if new
 * @space: the lockspace of the lock
 * @name: the lock's name
 * @len: its length
 *
 * A known class is found without a lock. A new one is created unless a
 * budget is full (ld_class_charge()), which is counted in order_full.
 *
 * Context: may sleep; the caller holds a reference to @space.
 * Return: the class, which lives as long as @space; NULL for a name without
 * a class (no colon, or a colon first), or if it could not be created.
 */
struct ld_class *ld_class_find(struct ld_space *space, const u8 *name,
			       u32 len)
{
	const u8 *colon = memchr(name, ':', len);
	struct ld_class *c;
	u32 hash;

	if (!colon || colon == name)
		return NULL;
	len = colon - name;
	hash = ld_class_hash(space, name, len);
	rcu_read_lock();
	c = ld_class_lookup(space, name, len, hash);
	rcu_read_unlock();
	if (c)
		return c;
	return ld_class_create(space, name, len, hash);
}

static void ld_example_free(struct ld_class_example *ex)
{
	put_pid(ex->pid);
}

static void ld_edge_free(struct ld_class_edge *e)
{
	struct ld_class_inversion *inv = e->inv;

	lockdep_assert_held(&ld_class_mutex);
	hash_del_rcu(&e->hnode);
	list_del(&e->onode);
	list_del(&e->gnode.node);
	ld_stat_dec(class_edges);
	if (inv) {
		list_del(&inv->gnode.node);
		ld_example_free(&inv->back);
		ld_stat_add(memory, -(long)ksize(inv));
		kfree(inv);
	}
	ld_example_free(&e->ex);
	ld_stat_add(memory, -(long)ksize(e));
	kfree_rcu(e, rcu);
}

/**
 * ld_class_space_free() - free the classes and edges of a lockspace
 * @space: the lockspace, which is being freed, or which the collector
 *	reaped: no session is bound to it, nor can be, and it has no lock
 *
 * Context: may sleep.
 */
void ld_class_space_free(struct ld_space *space)
{
	struct ld_class_edge *e, *etmp;
	struct ld_class *c, *tmp;

	/* Only a session bound to @space adds a class to it. */
	if (list_empty(&space->classes))
		return;
	mutex_lock(&ld_class_mutex);
	list_for_each_entry(c, &space->classes, snode)
		list_for_each_entry_safe(e, etmp, &c->out, onode)
			ld_edge_free(e);
	list_for_each_entry_safe(c, tmp, &space->classes, snode) {
		hash_del_rcu(&c->hnode);
		list_del(&c->snode);
		list_del(&c->gnode.node);
		ld_stat_dec(classes);
		ld_stat_add(memory, -(long)ksize(c));
		kfree_rcu(c, rcu);
	}
	ld_class_uncharge(space);
	mutex_unlock(&ld_class_mutex);
}

/*
 * The first edge of a path of edges from @from to @to, or NULL: a
 * breadth-first search that visits each class and edge at most once.
 */
static struct ld_class_edge *ld_class_path(struct ld_class *from,
					   struct ld_class *to)
{
	struct ld_class_edge *e, *found = NULL;
	struct ld_class *c, *n;
	LIST_HEAD(queue);

	lockdep_assert_held(&ld_class_mutex);
	ld_class_walk++;
	from->bfs_gen = ld_class_walk;
	from->via = NULL;
	list_add_tail(&from->bfs, &queue);
	while (!found && !list_empty(&queue)) {
		c = list_first_entry(&queue, struct ld_class, bfs);
		list_del_init(&c->bfs);
		list_for_each_entry(e, &c->out, onode) {
			n = e->to;
			if (n->bfs_gen == ld_class_walk)
				continue;
			n->bfs_gen = ld_class_walk;
			n->via = c->via ?: e;
			if (n == to) {
				found = n->via;
				break;
			}
			list_add_tail(&n->bfs, &queue);
		}
	}
	while (!list_empty(&queue))
		list_del_init(queue.next);
	return found;
}

/* Fill @ex for the calling task, now; its names are at @names. */
static void ld_example_fill(struct ld_class_example *ex, u8 *names,
			    const u8 *from, u32 from_len, const u8 *to,
			    u32 to_len)
{
	ex->time = ktime_get_ns();
	ex->pid = get_task_pid(current, PIDTYPE_TGID);
	get_task_comm(ex->comm, current);
	ex->from_len = from_len;
	ex->to_len = to_len;
	memcpy(names, from, from_len);
	memcpy(names + from_len, to, to_len);
	ex->names = names;
}

/* Room for any inversion, allocated before ld_class_mutex. */
#define LD_INVERSION_SIZE \
	struct_size_t(struct ld_class_inversion, names, 2 * LOCKDEV_NAME_MAX)

/*
 * Keep the inversion @e closed, with @back, the edge that leads back, in
 * @inv (LD_INVERSION_SIZE bytes, or NULL if memory was short), and send its
 * event, which counts against @user.
 */
static void ld_inversion_add(struct ld_class_edge *e,
			     const struct ld_class_edge *back,
			     struct ld_class_inversion *inv,
			     struct ld_user *user)
{
	const struct ld_class_example *bx = &back->ex;

	lockdep_assert_held(&ld_class_mutex);
	ld_nr_inversions++;
	ld_stat_inc(inversions);
	if (!inv)
		return;
	inv->edge = e;
	inv->back = *bx;
	inv->back.pid = get_pid(bx->pid);
	memcpy(inv->names, bx->names, bx->from_len + bx->to_len);
	inv->back.names = inv->names;
	list_add_tail(&inv->gnode.node, &ld_inversion_list);
	e->inv = inv;
	ld_stat_add(memory, ksize(inv));
	ld_event_inversion(e, back, user);
}

/*
 * Copy the name of a lock of @class that @sess holds or awaits to @buf, room
 * for LOCKDEV_NAME_MAX bytes. Returns its length, 0 if there is none.
 */
static u32 ld_class_example_name(struct ld_session *sess,
				 const struct ld_class *class, u8 *buf)
{
	struct ld_class_held *h = &sess->classes;
	struct ld_lock *lk;
	struct ld_req *req;
	bool held = false;
	u32 i, len = 0;

	spin_lock(&sess->lock);
	for (i = 0; i < h->nr; i++) {
		if (h->slot[i].class != class)
			continue;
		held = true;
		/* Alive: a request of it is held or queued. */
		lk = h->slot[i].example;
		if (lk) {
			len = lk->name_len;
			memcpy(buf, lk->name, len);
		}
		break;
	}
	spin_unlock(&sess->lock);
	if (len || !held)
		return len;

	/* The example ended but others of the class remain: find one. */
	spin_lock(&sess->slot_lock);
	for (i = 0; i < sess->nr_slots && !len; i++) {
		req = ld_slot_req(sess, i);
		lk = req ? READ_ONCE(req->lk) : NULL;
		if (!lk || lk->class != class)
			continue;
		spin_lock(&lk->lock);
		/* Not one held or awaited in NONE, which does not count. */
		if (req->state != LD_DONE && ld_class_counts(req)) {
			len = lk->name_len;
			memcpy(buf, lk->name, len);
		}
		spin_unlock(&lk->lock);
	}
	spin_unlock(&sess->slot_lock);
	return len;
}

/* Learn the edge @from -> @lk's class, unknown a moment ago. */
static void ld_edge_create(struct ld_session *sess, struct ld_class *from,
			   struct ld_lock *lk)
{
	struct ld_class_inversion *inv;
	struct ld_class_edge *e, *old, *back;
	struct ld_class *to = lk->class;
	struct ld_class_owner *spare;
	u8 name[LOCKDEV_NAME_MAX];
	u32 len;

	if (READ_ONCE(ld_nr_edges) >= READ_ONCE(ld_max_class_edges) ||
	    READ_ONCE(to->space->nr_edges) >=
	    READ_ONCE(ld_max_class_edges_per_space)) {
		ld_class_full();
		return;
	}
	len = ld_class_example_name(sess, from, name);
	if (!len)
		return;
	e = kzalloc(struct_size(e, names, len + lk->name_len),
		    GFP_KERNEL_ACCOUNT);
	if (!e)
		return;
	e->from = from;
	e->to = to;
	atomic64_set(&e->count, 1);
	ld_example_fill(&e->ex, e->names, name, len, lk->name, lk->name_len);
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	inv = kzalloc(LD_INVERSION_SIZE, GFP_KERNEL_ACCOUNT);

	mutex_lock(&ld_class_mutex);
	rcu_read_lock();
	old = ld_edge_lookup(from, to);
	rcu_read_unlock();
	if (old || !ld_class_charge(to->space, true, &spare)) {
		if (old)
			atomic64_inc(&old->count);
		mutex_unlock(&ld_class_mutex);
		if (!old)
			ld_class_full();
		ld_example_free(&e->ex);
		kfree(e);
		goto out;
	}
	back = ld_class_path(to, from);
	hash_add_rcu(ld_edge_table, &e->hnode, ld_edge_hash(from, to));
	list_add_tail(&e->onode, &from->out);
	list_add_tail(&e->gnode.node, &ld_edge_list);
	ld_stat_inc(class_edges);
	ld_stat_add(memory, ksize(e));
	if (back) {
		ld_inversion_add(e, back, inv, sess->user);
		inv = NULL;
	}
	mutex_unlock(&ld_class_mutex);
out:
	kfree(inv);
	kfree(spare);
}

/**
 * __ld_class_learn() - a session asks for a lock of a class
 * @sess: the session
 * @lk: the lock, pinned, whose class is not NULL
 *
 * Learns the edge to @lk's class from every other class the session holds
 * or awaits: a known edge is counted without a lock, a new one is created
 * under ld_class_mutex unless a budget is full (ld_class_charge(), counted
 * in order_full), and checked for closing a cycle.
 *
 * Context: may sleep; no spinlock held.
 */
void __ld_class_learn(struct ld_session *sess, struct ld_lock *lk)
{
	struct ld_class *held[LD_CLASSES_HELD], *to = lk->class;
	struct ld_class_held *h = &sess->classes;
	struct ld_class_edge *e;
	u32 i, n = 0;

	if (!READ_ONCE(h->nr))
		return;
	spin_lock(&sess->lock);
	for (i = 0; i < h->nr; i++)
		if (h->slot[i].class != to)
			held[n++] = h->slot[i].class;
	spin_unlock(&sess->lock);
	/* The classes stay: they live as long as the session's lockspace. */
	for (i = 0; i < n; i++) {
		rcu_read_lock();
		e = ld_edge_lookup(held[i], to);
		if (e)
			atomic64_inc(&e->count);
		rcu_read_unlock();
		if (!e)
			ld_edge_create(sess, held[i], lk);
	}
}

/**
 * __ld_class_enter() - count a request's class in its session's summary
 * @req: the request, about to be held or queued; its lock has a class
 *
 * Context: @req->lk->lock held.
 */
void __ld_class_enter(struct ld_req *req)
{
	struct ld_session *sess = req->sess;
	struct ld_class_held *h = &sess->classes;
	struct ld_class *class = req->lk->class;
	u32 i;

	lockdep_assert_held(&req->lk->lock);
	spin_lock(&sess->lock);
	for (i = 0; i < h->nr; i++)
		if (h->slot[i].class == class)
			break;
	if (i == h->nr) {
		/* No room: this request is not tracked (struct ld_class_held). */
		if (i == LD_CLASSES_HELD)
			goto out;
		h->slot[i].class = class;
		h->slot[i].count = 0;
		WRITE_ONCE(h->nr, i + 1);
	}
	h->slot[i].count++;
	h->slot[i].example = req->lk;
out:
	spin_unlock(&sess->lock);
}

/**
 * __ld_class_leave() - uncount a request's class
 * @req: the request, leaving its lock; its lock has a class
 *
 * Context: @req->lk->lock held.
 */
void __ld_class_leave(struct ld_req *req)
{
	struct ld_session *sess = req->sess;
	struct ld_class_held *h = &sess->classes;
	struct ld_class *class = req->lk->class;
	u32 i;

	lockdep_assert_held(&req->lk->lock);
	spin_lock(&sess->lock);
	for (i = 0; i < h->nr; i++)
		if (h->slot[i].class == class)
			break;
	if (i < h->nr) {
		if (h->slot[i].example == req->lk)
			h->slot[i].example = NULL;
		if (!--h->slot[i].count) {
			h->slot[i] = h->slot[h->nr - 1];
			WRITE_ONCE(h->nr, h->nr - 1);
		}
	}
	spin_unlock(&sess->lock);
}

/* Raise *@max to @v unless it is higher already. */
static void ld_stat_max(atomic64_t *max, s64 v)
{
	s64 old = atomic64_read(max);

	while (v > old && !atomic64_try_cmpxchg(max, &old, v))
		;
}

/**
 * __ld_class_granted() - lock_stat: a lock of @class was granted
 * @class: the class
 */
void __ld_class_granted(struct ld_class *class)
{
	atomic64_inc(&class->acquisitions);
}

/**
 * __ld_class_waited() - lock_stat: the grant had waited
 * @class: the class
 * @ns: how long, in ns
 */
void __ld_class_waited(struct ld_class *class, u64 ns)
{
	atomic64_inc(&class->contentions);
	atomic64_add(ns, &class->wait_total);
	ld_stat_max(&class->wait_max, ns);
}

/**
 * __ld_class_released() - lock_stat: a hold of a lock of @class ended
 * @class: the class
 * @ns: how long it was held, in ns
 */
void __ld_class_released(struct ld_class *class, u64 ns)
{
	atomic64_add(ns, &class->hold_total);
	ld_stat_max(&class->hold_max, ns);
}

/**
 * ld_class_stat_reset() - zero the lock_stat counters of every class
 *
 * Counts that race with the reset may survive it.
 */
void ld_class_stat_reset(void)
{
	struct ld_gnode *g;
	struct ld_class *c;

	mutex_lock(&ld_class_mutex);
	for (g = ld_gnode_after(&ld_class_list, &ld_class_list); g;
	     g = ld_gnode_after(&ld_class_list, &g->node)) {
		c = container_of(g, struct ld_class, gnode);
		atomic64_set(&c->acquisitions, 0);
		atomic64_set(&c->contentions, 0);
		atomic64_set(&c->wait_total, 0);
		atomic64_set(&c->wait_max, 0);
		atomic64_set(&c->hold_total, 0);
		atomic64_set(&c->hold_max, 0);
	}
	mutex_unlock(&ld_class_mutex);
}
