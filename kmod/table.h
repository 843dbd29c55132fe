/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lock table (table.c, table_lru.c): the named locks of every
 * lockspace, resident while idle, with their value blocks and owner-died
 * marks; the lookup and creation of a lock, the bounds on idle locks, and
 * walks of one lockspace's locks. Each lock's spinlock and each lockspace's
 * lru_lock and graph mutex guard it (locking.h).
 */
#ifndef LOCKDEV_KMOD_TABLE_H
#define LOCKDEV_KMOD_TABLE_H

#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <uapi/linux/lockdev.h>

#include "cluster.h"
#include "params.h"
#include "space.h"

struct ld_args;
struct ld_class;
struct ld_req;
struct ld_user;

/*
 * struct ld_link - an entry of a lockspace's busy or idle list: a lock's
 *	(struct ld_lock.link) or the mark of a walk (struct ld_walk_pos.mark)
 * @node: in the list. The lockspace's lru_lock.
 * @rest: a lock's LD_REST_* bits and, above LD_REST_SHIFT, its stamp (see
 *	struct ld_lock); a mark's: LD_REST_MARK.
 */
struct ld_link {
	struct list_head node;
	atomic64_t rest;
};

/*
 * struct ld_lock - a named lock in a lockspace (table.c)
 * @node: in the locks table. The key, @space and @name, is immutable; the
 *	table has its own locking.
 * @space: the lockspace; a reference is held.
 * @class: the class of the name (class.c), or NULL. Set at creation and
 *	immutable; a class lives as long as its lockspace, so outlives the lock.
 * @ref: the table's reference while the lock is in it, plus one per request
 *	whose @lk it is and one per caller that found it and comes back: a
 *	request's reference keeps its lock's memory, also after the lock left
 *	the table. The last put frees it after RCU.
 * @lock: protects the holder counts, @owner_died, @generation, @died_user,
 *	@value, @holders and @waiters.
 * @generation: see the uapi header.
 * @nr_shared: holders in SHARED (ld_nr()).
 * @nr_none: holders in NONE.
 * @busy: callers that found it and will come back with a request: it does
 *	not go idle meanwhile. @lock.
 * @name_len: length of @name.
 * @owner_died: a holder in APPEND or EXCLUSIVE went away without unlocking.
 * @nr_append: holders in APPEND, at most one.
 * @nr_exclusive: holders in EXCLUSIVE, at most one.
 * @lately: in @space->lately while LD_REST_QUEUED.
 * @link: in @space->busy or @space->idle (@space->lru_lock), with its rest
 *	word (@link.rest): LD_REST_* bits, whether it is idle and where it
 *	waits as such, or is dead: out of the table, or going, so that
 *	whoever finds it looks again; and above LD_REST_SHIFT a stamp of
 *	@space->stamp: when it joined the busy list, or when it went idle
 *	since (table.c). LD_REST_IDLE is set and cleared under @lock, with
 *	the stamp of going idle; LD_REST_LISTED, LD_REST_DEAD and the stamp
 *	of joining a list under @space->lru_lock; LD_REST_QUEUED by going
 *	idle and under @space->lru_lock. Changed with atomic operations.
 * @died_user: while @owner_died, the uid charged for it (in its @locks),
 *	referenced; the holder that went away was its session's.
 * @value: the value block, LOCKDEV_VALUE_LEN bytes, what a holder set; NULL
 *	while not valid (since the lock came into existence, or its last
 *	owner death).
 * @holders: struct ld_req.hnode, in grant order.
 * @waiters: struct ld_wait.wnode, in queue order, upgrades first.
 * @rcu: for freeing after the table's RCU readers. It shares the room of
 *	@holders and @waiters, which are empty for good once the last
 *	reference is gone.
 * @name: the name, not NUL-terminated.
 *
 * A lock of a cluster lockspace is allocated with its DLM side, struct
 * ld_cl_lock (cluster.c), which frees it.
 *
 * A lock is resident: it stays in the table when nobody holds or awaits it
 * (idle), until table.c drops it for a bound or its lockspace goes. Changes
 * to @holders and @waiters of a lock with waiters also need ld_graph().
 * What a graph walk knows of a lock with waiters is kept in the wait of its
 * first waiter (struct ld_wait), so that a lock costs nothing for it.
 */
struct ld_lock {
	struct rhash_head node;
	struct ld_space *space;
	struct ld_class *class;
	refcount_t ref;
	spinlock_t lock;	/* see above */
	u64 generation;
	u32 nr_shared;
	u32 nr_none;
	u32 busy;
	u8 name_len;
	bool owner_died;
	u8 nr_append;
	u8 nr_exclusive;
	struct llist_node lately;
	struct ld_link link;
	struct ld_user *died_user;
	u8 *value;
	union {
		struct {
			struct list_head holders;
			struct list_head waiters;
		};
		struct rcu_head rcu;
	};
	u8 name[];
};

/* Bits of ld_link.rest, below the stamp. */
#define LD_REST_IDLE	0x1	/* nobody holds, awaits or pins it */
#define LD_REST_QUEUED	0x2	/* on its lockspace's @lately */
#define LD_REST_LISTED	0x4	/* on its lockspace's @idle */
#define LD_REST_DEAD	0x8	/* out of the table, or going */
#define LD_REST_MARK	0x10	/* not a lock: the mark of a walk */
#define LD_REST_SHIFT	5
#define LD_REST_FLAGS	(BIT(LD_REST_SHIFT) - 1)

DECLARE_PER_CPU(u64, ld_gen_seq);

/**
 * ld_next_generation() - a generation no lock has had since load
 *
 * Return: a per-CPU sequence number and the CPU, never 0.
 */
static inline u64 ld_next_generation(void)
{
	int cpu = get_cpu();
	u64 seq = ++*per_cpu_ptr(&ld_gen_seq, cpu);

	put_cpu();
	return seq * nr_cpu_ids + cpu;
}

/*
 * When @lk, which nobody holds or awaits, went idle: a stamp, about ns. An
 * idle lock kept for its owner-died mark has the stamp of when it joined
 * the busy list again as such.
 */
static inline u64 ld_lock_idle_since(const struct ld_lock *lk)
{
	return (u64)atomic64_read(&lk->link.rest) >> LD_REST_SHIFT;
}

/* Is @lk out of the table, or going? Whoever finds it looks again. */
static inline bool ld_lock_dead(const struct ld_lock *lk)
{
	return atomic64_read(&lk->link.rest) & LD_REST_DEAD;
}

/* The graph mutex of @lk's lockspace (locking.h). */
static inline struct mutex *ld_graph(const struct ld_lock *lk)
{
	return &lk->space->graph_mutex;
}

/* The count of holders of @lk in @mode. */
static inline u32 ld_nr(const struct ld_lock *lk, u32 mode)
{
	switch (mode) {
	case LOCKDEV_MODE_SHARED:
		return lk->nr_shared;
	case LOCKDEV_MODE_APPEND:
		return lk->nr_append;
	case LOCKDEV_MODE_EXCLUSIVE:
		return lk->nr_exclusive;
	default:
		return lk->nr_none;
	}
}

/* Count @n more holders of @lk in @mode, or fewer. */
static inline void ld_nr_add(struct ld_lock *lk, u32 mode, int n)
{
	switch (mode) {
	case LOCKDEV_MODE_SHARED:
		lk->nr_shared += n;
		break;
	case LOCKDEV_MODE_APPEND:
		lk->nr_append += n;
		break;
	case LOCKDEV_MODE_EXCLUSIVE:
		lk->nr_exclusive += n;
		break;
	default:
		lk->nr_none += n;
	}
}

/*
 * May the host grant @lk in @want as far as the DLM is concerned: always,
 * but in a cluster lockspace (ld_cl_covers()). Context: @lk->lock held.
 */
static inline bool ld_cl_allows(const struct ld_lock *lk, u32 want)
{
	return likely(!lk->space->cl) || ld_cl_covers(lk, want);
}

/* A new generation for @lk: in a cluster lockspace, with the host's tag. */
static inline u64 ld_lock_next_generation(const struct ld_lock *lk)
{
	return lk->space->cl ? ld_cl_generation() : ld_next_generation();
}

/* How many hold @lk. Released holds still on @lk->holders do not count. */
static inline u32 ld_nr_holders(const struct ld_lock *lk)
{
	return lk->nr_shared + lk->nr_none + lk->nr_append + lk->nr_exclusive;
}

/* Does anyone hold @lk? */
static inline bool ld_lock_held(const struct ld_lock *lk)
{
	return ld_nr_holders(lk);
}

/* The lock table (table.c). */
int ld_table_init(void);
void ld_table_exit(void);
struct ld_lock *ld_lock_get(struct ld_space *space, const u8 *name, u32 len);
struct ld_lock *ld_lock_make(struct ld_space *space, const u8 *name, u32 len,
			     int *err, bool *created);
bool ld_lock_unmake(struct ld_lock *lk);
void ld_lock_remove(struct ld_lock *lk);
void __ld_lock_put(struct ld_lock *lk);
bool ld_lock_rest(struct ld_lock *lk);
u32 ld_space_trim(struct ld_space *space, u32 keep, bool bound);
void ld_lock_space_reap(struct ld_space *space);
struct ld_user *ld_lock_repaired(struct ld_lock *lk);
void ld_died_user_put(struct ld_user *user);
void ld_lock_owner_died(struct ld_lock *lk, const struct ld_req *req);
u32 ld_lock_value(const struct ld_lock *lk, u8 *value);
int ld_value_alloc(struct ld_args *a);
void ld_lock_set_value(struct ld_lock *lk, struct ld_args *a);

/**
 * ld_lock_put() - drop a reference to a lock; the last one frees it
 * @lk: the lock
 *
 * Context: may sleep (the lockspace may go with it).
 */
static inline void ld_lock_put(struct ld_lock *lk)
{
	if (refcount_dec_and_test(&lk->ref))
		__ld_lock_put(lk);
}

/*
 * After ld_lock_rest() said so: bring the lockspace back to its bound, or
 * for a removed one, to no idle lock at all: nobody attaches to it again.
 */
static inline void ld_space_trim_if(struct ld_space *space, bool over)
{
	if (likely(!over))
		return;
	if (READ_ONCE(space->removed))
		ld_space_trim(space, 0, false);
	else
		ld_space_trim(space, READ_ONCE(ld_max_idle_locks_per_space),
			      true);
}

/*
 * struct ld_walk_pos - where a walk of one lockspace's locks is
 * (ld_walk_next())
 * @mark: while @marked, in the list the walk is on, right after the last
 *	lock it met: locks that move do not move it. The lockspace's lru_lock.
 * @upto: the lockspace's stamp when the walk started: locks with a higher
 *	one came or moved since, and are skipped.
 * @started: @upto is set.
 * @marked: @mark is in a list. The lockspace's lru_lock.
 * @at_head: a trim or a reap found @mark ahead of every lock of its list
 *	and took it out: the walk goes on from that list's first lock. The
 *	lockspace's lru_lock.
 * @in_idle: the walk is on the idle list.
 */
struct ld_walk_pos {
	struct ld_link mark;
	u64 upto;
	bool started;
	bool marked;
	bool at_head;
	bool in_idle;
};

struct ld_lock *ld_walk_next(struct ld_space *space, struct ld_walk_pos *w,
			     bool idle);
void ld_walk_end(struct ld_space *space, struct ld_walk_pos *w);

/* Every lock, for the scanner of long holds and waits (events.c). */
extern struct rhashtable ld_locks;

#endif /* LOCKDEV_KMOD_TABLE_H */
