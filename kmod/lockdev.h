/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lock path of the lockdev module: the lock objects and their table
 * (table.c); the grant policy, waits and conversions (grant.c); the requests
 * of the ioctls (request.c); deadlock detection over the wait-for graph
 * (graph.c); the order mode and the order rule (order.c); lock sets
 * (lockset.c); the session, one open file description of /dev/lockdev, with
 * its handles and asynchronous completions (session.c); and walks of the
 * locks (proc_locks.c).
 *
 * The other parts have a header each: user.h the per-uid limits, space.h the
 * lockspaces, report.h deadlock and order reports, class.h lock classes and
 * learned order, events.h the events and the netlink family, stats.h the
 * counters, proc.h the /proc/lockdev/ files, dev.h the device and its
 * ioctls, params.h the limits' module parameters. main.c loads and unloads
 * the module, each part in turn.
 *
 * The module's lock order, with what each lock protects, is in locking.h.
 */
#ifndef LOCKDEV_KMOD_LOCKDEV_H
#define LOCKDEV_KMOD_LOCKDEV_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include <uapi/linux/lockdev.h>

#include "params.h"
#include "space.h"

struct cred;
struct ld_class;
struct ld_report;
struct ld_user;

#define LOCKDEV_VERSION_MAJOR	0
#define LOCKDEV_VERSION_MINOR	3
#define LOCKDEV_VERSION_PATCH	0
#define LOCKDEV_VERSION_STRING	"0.3.0"

/* Bits of the modes, for masks of modes present. */
#define LD_MODE_BIT(mode)	(1U << (mode))

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
 * @lock: protects @nr, @owner_died, @generation, @died_user,
 *	@value, @holders and @waiters.
 * @generation: see the uapi header.
 * @nr: holders per mode, indexed by mode - 1 (LD_NR()).
 * @name_len: length of @name.
 * @owner_died: a holder in APPEND or EXCLUSIVE went away without unlocking.
 * @busy: callers that found it and will come back with a request: it does
 *	not go idle meanwhile. @lock.
 * @dead: out of the table, or going: whoever finds it looks again.
 *	@space->lru_lock.
 * @idle: on @space->idle. @space->lru_lock.
 * @stamp: when it joined its list of @space (table.c). @space->lru_lock.
 * @link: in @space->busy or @space->idle. @space->lru_lock.
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
	u32 nr[4];
	u8 name_len;
	bool owner_died;
	bool dead;
	bool idle;
	u32 busy;
	u64 stamp;
	struct list_head link;
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

/* The graph mutex of @lk's lockspace (locking.h). */
static inline struct mutex *ld_graph(const struct ld_lock *lk)
{
	return &lk->space->graph_mutex;
}

/* The count of holders of @lk in @mode. */
#define LD_NR(lk, mode)	((lk)->nr[(mode) - 1])

/* States of a request, as in the uapi header, plus the end. */
#define LD_HELD		LOCKDEV_STATE_HELD
#define LD_WAITING	LOCKDEV_STATE_WAITING
#define LD_CONVERTING	LOCKDEV_STATE_CONVERTING
#define LD_DONE		0

/*
 * struct ld_req - one request of a session for one lock: a grant, a waiting
 * request, or a grant with a waiting upgrade. Kept small: it is most of what
 * a held lock costs.
 * @lk: the lock. Set once, before the request is visible on the lock.
 * @sess: the session. Immutable.
 * @handle: the session's handle for it, its slot and the slot's
 *	generation (session.c). Immutable.
 * @ref: the session's reference, plus one per task in a call on it and one
 *	while an asynchronous deadline is armed.
 * @level: the request's level. Immutable.
 * @hnode: in @lk->holders while held. @lk->lock.
 * @state: LD_HELD, LD_WAITING, LD_CONVERTING or LD_DONE. @lk->lock, and
 *	ld_graph() while waiting or converting; read with
 *	smp_load_acquire() by the sleeping waiter.
 * @mode: the held mode, or the one asked for while waiting. @lk->lock.
 * @want: the mode an upgrade asks for while converting. @lk->lock.
 * @async: asynchronous; @wait is then its struct ld_async. Immutable.
 * @releasing: an UNLOCK has claimed it. @lk->lock.
 * @told: LD_TOLD_* bits: the events already sent about it. @lk->lock.
 * @since: ktime in ns when held or queued. @lk->lock.
 * @pid: the process that asked. Immutable. Referenced by the request if
 *	@own_pid, else it is the session's @pid, which outlives the request's
 *	time on its lock's lists.
 * @own_pid: the request holds the reference of @pid.
 * @wait: while waiting or converting, its wait; for an asynchronous
 *	request, always its struct ld_async. @lk->lock.
 */
struct ld_req {
	struct ld_lock *lk;
	struct ld_session *sess;
	u64 handle;
	refcount_t ref;
	u32 level;
	struct list_head hnode;
	u8 state;
	u8 mode;
	u8 want;
	bool async;
	bool releasing;
	u8 told;
	bool own_pid;
	u64 since;
	struct pid *pid;
	struct ld_wait *wait;
};

/* Bits of ld_req.told. */
#define LD_TOLD_HELD	0x1	/* held too long */
#define LD_TOLD_WAIT	0x2	/* waited too long */

/*
 * struct ld_wait - a queued request's wait
 * @wnode: in the waiters of its request's lock. The lock's lock.
 * @gnode: in ld_session.waiting. ld_graph().
 * @req: the request.
 * @task: the task sleeping for a blocking request. @req->lk->lock.
 * @finished: another task ended the wait; the fields below are its result.
 *	Written under @req->lk->lock with smp_store_release().
 * @result: 0 (granted) or a negative errno.
 * @flags: LOCKDEV_RESULT_* of the grant.
 * @bfs_pos: the request's place in its lock's queue, counted from 0 by the
 *	wait-for graph walk that last numbered the lock. ld_graph().
 * @generation: the lock's generation at the grant.
 * @bfs_gen: in the wait of a lock's first waiter, the graph walk (graph.c)
 *	that last numbered the lock's waiters and scanned the lock; the two
 *	fields below are that walk's marks. ld_graph().
 * @bfs_held: LD_MODE_BIT()s of the modes for which that walk has visited
 *	the lock's incompatible holders. ld_graph().
 * @bfs_upto: per mode (index mode - 1), the waiter ahead of which that walk
 *	has visited the lock's incompatible waiters, or NULL. ld_graph().
 *
 * A blocking request's lives on its waiter's stack, and the waiter returns
 * as soon as it sees @finished, without taking a lock.
 */
struct ld_wait {
	struct list_head wnode;
	struct list_head gnode;
	struct ld_req *req;
	struct task_struct *task;
	bool finished;
	int result;
	u32 flags;
	u32 bfs_pos;
	u64 generation;
	u64 bfs_gen;
	u8 bfs_held;
	struct ld_req *bfs_upto[3];
};

/*
 * struct ld_completion - a completion waiting to be read
 * @node: in ld_session.done. ld_session.lock.
 * @rec: what read() returns.
 */
struct ld_completion {
	struct list_head node;
	struct lockdev_completion rec;
};

/*
 * struct ld_async - what an asynchronous request needs besides its wait;
 * freed with the request
 * @wait: its wait.
 * @user_data: for its completion. Immutable.
 * @done: its completion, reserved at submission, posted when the wait
 *	ends. @wait.req->lk->lock.
 * @dwork: its deadline's work; it queues itself again when a timer of a
 *	far deadline fired early.
 * @deadline: the deadline (CLOCK_MONOTONIC), KTIME_MAX for none. Set when
 *	armed, under the lockspace's graph mutex, and read under it.
 * @armed: @dwork was queued and holds a reference to the request.
 */
struct ld_async {
	struct ld_wait wait;
	u64 user_data;
	struct ld_completion *done;
	struct delayed_work dwork;
	ktime_t deadline;
	bool armed;
};

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
 * struct ld_session - one open file description of /dev/lockdev
 * @id: unique since load. Immutable.
 * @cred: the opener's credentials; a reference is held. Immutable.
 * @user: the opener's uid accounting; a reference is held. Immutable.
 * @space: the lockspace, set once under @lock and then immutable; read
 *	with smp_load_acquire().
 * @perms: LD_MAY_* on @space, written under @lock before @space is, and
 *	immutable once @space is set.
 * @pid: the opener's process, referenced: the requests it makes point to
 *	it without a reference of their own. Immutable.
 * @slot_lock: protects @slots, @nr_slots, @cap_slots and @free_slot.
 * @slots: the handles: per slot, its struct ld_req, or while free, the
 *	generation its next handle gets and the next free slot (session.c).
 * @nr_slots: slots in use or freed; @slots has room for @cap_slots.
 * @cap_slots: the room of @slots.
 * @free_slot: the first free slot plus one, or 0 if none.
 * @order_mode: LOCKDEV_ORDER_*. READ_ONCE()/WRITE_ONCE().
 * @nr_ranked: requests at a level above 0, held or queued. Atomic.
 * @lock: protects @done, @report and @classes, and the binding of @space.
 * @done: struct ld_completion ready for read().
 * @report: the last deadlock or order report, referenced, or NULL.
 * @classes: the classes of its requests (class.c).
 * @wq: read() and poll() wait here for @done.
 * @waiting: struct ld_wait.gnode of its waiting requests. @space->graph_mutex.
 * @bfs_node: queue of the wait-for graph walk. @space->graph_mutex.
 * @bfs_gen: walk that last visited it. @space->graph_mutex.
 * @bfs_parent: the session whose wait led the walk here, or NULL for one
 *	that blocks the request itself. @space->graph_mutex.
 * @bfs_from: the waiting request of @bfs_parent that this session blocks.
 *	@space->graph_mutex.
 * @bfs_via: this session's request that blocks it. @space->graph_mutex.
 * @bfs_via_queued: @bfs_via blocks as a request queued ahead, not as a
 *	holder. @space->graph_mutex.
 */
struct ld_session {
	u64 id;
	const struct cred *cred;
	struct ld_user *user;
	struct ld_space *space;
	unsigned int perms;
	struct pid *pid;
	spinlock_t slot_lock;	/* protects the slots */
	unsigned long *slots;
	u32 nr_slots;
	u32 cap_slots;
	u32 free_slot;
	u32 order_mode;
	atomic_t nr_ranked;
	spinlock_t lock;	/* protects done, report, classes, binding */
	struct list_head done;
	struct ld_report *report;
	struct ld_class_held classes;
	wait_queue_head_t wq;
	struct list_head waiting;
	struct list_head bfs_node;
	u64 bfs_gen;
	struct ld_session *bfs_parent;
	struct ld_req *bfs_from;
	struct ld_req *bfs_via;
	bool bfs_via_queued;
};

struct ld_session *ld_session_create(struct file *file);
void ld_session_destroy(struct ld_session *sess);
int ld_session_space(struct ld_session *sess, unsigned int need);
int ld_session_attach(struct ld_session *sess, const u8 *name, u32 len,
		      u32 flags, umode_t mode);
void ld_session_post(struct ld_session *sess, struct ld_completion *c);
ssize_t ld_session_read(struct ld_session *sess, char __user *buf,
			size_t count, bool nonblock);
__poll_t ld_session_poll(struct ld_session *sess, struct file *file,
			 poll_table *wait);

/*
 * What a lock, convert or unlock request asks, and what it gets back;
 * @report is a deadlock or order report for the caller to keep, @old_mode
 * the mode a conversion started from, @value the value block of a grant
 * when @want_value or the one to set when @set_value, with @value_room the room allocated for
 * it should the lock have none yet.
 */
struct ld_args {
	u32 mode;
	u32 flags;
	u32 level;
	u64 deadline_ns;
	u64 user_data;
	struct lockdev_entry *entries;
	bool want_entries;
	u32 max_entries;
	u32 nr_entries;
	u32 result;
	u64 handle;
	u64 generation;
	u32 reason;
	u32 old_mode;
	struct ld_report *report;
	bool want_value;
	bool set_value;
	u8 *value_room;
	u8 value[LOCKDEV_VALUE_LEN];
};

/* The rank of a mode: NONE < SHARED < APPEND < EXCLUSIVE. */
static inline u32 ld_mode_rank(u32 mode)
{
	return mode == LOCKDEV_MODE_NONE ? 0 : mode;
}

/* The lock table (table.c). */
int ld_table_init(void);
void ld_table_exit(void);
u64 ld_next_generation(void);
struct ld_lock *ld_lock_get(struct ld_space *space, const u8 *name, u32 len,
			    bool create, int *err, bool *created);
bool ld_lock_unmake(struct ld_lock *lk);
void ld_lock_remove(struct ld_lock *lk);
void ld_lock_put(struct ld_lock *lk);
bool ld_lock_rest(struct ld_lock *lk);
void ld_space_trim(struct ld_space *space, u32 keep, bool bound);
void ld_lock_space_reap(struct ld_space *space);
struct ld_user *ld_lock_repaired(struct ld_lock *lk);
void ld_died_user_put(struct ld_user *user);
void ld_lock_owner_died(struct ld_lock *lk, const struct ld_req *req);
u32 ld_lock_value(const struct ld_lock *lk, u8 *value);
int ld_value_alloc(struct ld_args *a);
void ld_lock_set_value(struct ld_lock *lk, struct ld_args *a);

/* After ld_lock_rest() said so: bring the lockspace back to its bound. */
static inline void ld_space_trim_if(struct ld_space *space, bool over)
{
	if (unlikely(over))
		ld_space_trim(space, READ_ONCE(ld_max_idle_locks_per_space),
			      true);
}

/*
 * struct ld_walk_pos - where a walk of one lockspace's locks is
 * (ld_walk_next())
 * @cur: the lock it is at, referenced by the walker, or NULL.
 * @last: @cur's stamp then.
 * @upto: the lockspace's stamp when the walk started: locks with a higher
 *	one came or moved since, and are skipped.
 * @started: @upto is set.
 * @in_idle: the walk is on the idle list.
 */
struct ld_walk_pos {
	struct ld_lock *cur;
	u64 last;
	u64 upto;
	bool started;
	bool in_idle;
};

struct ld_lock *ld_walk_next(struct ld_space *space, struct ld_walk_pos *w,
			     bool idle);

/* Handles (session.c). */
int ld_slot_alloc(struct ld_session *sess, struct ld_req *req);
struct ld_req *ld_slot_get(struct ld_session *sess, u64 handle);
bool ld_slot_get_req(struct ld_session *sess, struct ld_req *req);
void ld_slot_free(struct ld_session *sess, struct ld_req *req);
struct ld_req *ld_slot_req(struct ld_session *sess, u32 i);
struct ld_req *ld_session_next(struct ld_session *sess, u32 *index);

/* The grant and wait engine (grant.c). */
bool ld_compatible(u32 mode, u32 mask);
u32 ld_req_want(const struct ld_req *req);
struct list_head *ld_queue_pos(struct ld_lock *lk, const struct ld_req *self);
bool ld_grantable(struct ld_lock *lk, u32 want, const struct ld_req *self,
		  const struct list_head *pos);
void ld_settle(struct ld_req *req, u32 want);
void ld_convert_to(struct ld_req *req, u32 mode);
void ld_hold(struct ld_req *req);
void ld_unqueue(struct ld_req *req, int result);
void ld_wait_finish(struct ld_req *req, int result);
void ld_grant_waiters(struct ld_lock *lk);
int ld_enqueue(struct ld_req *req, u32 want, struct ld_req *self,
	       struct list_head *pos, struct ld_args *a, struct ld_wait *wait);
int ld_wait(struct ld_req *req, struct ld_wait *w, u8 state,
	    struct ld_args *a);
void ld_complete(struct ld_req *req, int result);
u64 ld_since(const struct ld_lock *lk);
void ld_fill_entry(struct lockdev_entry *e, const struct ld_req *r, u64 now);
pid_t ld_req_pid(const struct ld_req *r, struct pid_namespace *ns);
void ld_req_comm(const struct ld_req *r, char *buf);
void ld_fill_all(struct ld_lock *lk, struct ld_args *a);
void ld_fill_grant(const struct ld_req *req, struct ld_args *a);
int ld_async_alloc(struct ld_req *req, u64 user_data);
void ld_async_drop_done(struct ld_req *req);
void ld_async_free(struct ld_req *req);
bool ld_async_cancel(struct ld_req *req, int result);
void ld_async_disarm_sync(struct ld_req *req);

/* Requests (request.c). */
int ld_lock_init(void);
void ld_lock_exit(void);
bool ld_req_end(struct ld_req *req);
void ld_req_forget(struct ld_req *req);
int ld_lock_acquire(struct ld_session *sess, const u8 *name, u32 len,
		    struct ld_args *args);
int ld_lock_release(struct ld_session *sess, u64 handle, const u8 *name,
		    u32 len, struct ld_args *args);
int ld_lock_convert(struct ld_session *sess, u64 handle, const u8 *name,
		    u32 len, struct ld_args *args);
int ld_lock_cancel(struct ld_session *sess, u64 handle);
int ld_lock_consistent(struct ld_session *sess, u64 handle, const u8 *name,
		       u32 len);
int ld_lock_query(struct ld_session *sess, const u8 *name, u32 len,
		  struct ld_args *args, u32 *lock_flags);
int ld_lock_list(struct ld_session *sess, struct lockdev_held *out, u32 max,
		 u32 *nr);
void ld_lock_session_release(struct ld_session *sess);
void ld_req_put(struct ld_req *req);
/*
 * A visit of requests: fn(request, queued, arg), where queued says it blocks
 * as a waiter rather than as a holder; a true return ends the visit.
 */
struct ld_visit {
	bool (*fn)(struct ld_req *req, bool queued, void *arg);
	void *arg;
};

bool ld_visit_blockers(struct ld_lock *lk, u32 want,
		       const struct ld_req *self, const struct list_head *stop,
		       const struct ld_visit *visit);

/* Every lock, for the scanner of long holds and waits (events.c). */
extern struct rhashtable ld_locks;

/*
 * struct ld_waits - whom each waiter of one lock waits for, found in one
 * pass over the lock (proc_locks.c), for /proc/lockdev/locks and GET_LOCKS
 * @req: the holders in grant order, then the waiters in queue order.
 * @nr: entries of @req; the first @nr_holders of them are the holders.
 * @idx: per mode (index mode - 1), the indices in @req, ascending, of the
 *	entries whose mode (held, or asked for by a waiter) is incompatible
 *	with it; @nr_idx entries each.
 * @cap: room of each array.
 *
 * Valid while the lock's lock is held from ld_waits_fill() on. Only its
 * owner uses it.
 */
struct ld_waits {
	struct ld_req **req;
	u32 *idx[3];
	u32 nr;
	u32 nr_holders;
	u32 nr_idx[3];
	u32 cap;
};

u32 ld_waits_fill(struct ld_waits *wt, struct ld_lock *lk);
int ld_waits_room(struct ld_waits *wt, u32 n);
bool ld_waits_visit(const struct ld_waits *wt, u32 i, u32 max,
		    const struct ld_visit *visit);
void ld_waits_free(struct ld_waits *wt);

/*
 * struct ld_locks_iter - a walk of the locks of every lockspace
 * (proc_locks.c), which meets each lock at most once
 * @space: the lockspace the walk is in, referenced, or NULL.
 * @pos_in: where in @space.
 * @cur: the lock the walk is at, referenced, or NULL.
 * @pos: how many locks the walk has passed, for seq_file.
 * @viewer: who walks.
 * @all: every lockspace, not only those the walker may see.
 * @idle: idle locks too, not only busy ones.
 * @waits: room to find the waits of the lock the walk is at, kept for the
 *	next lock.
 *
 * Only its owner uses it, one call at a time.
 */
struct ld_locks_iter {
	struct ld_space *space;
	struct ld_walk_pos pos_in;
	struct ld_lock *cur;
	loff_t pos;
	struct ld_viewer viewer;
	bool all;
	bool idle;
	struct ld_waits waits;
};

void ld_locks_iter_init(struct ld_locks_iter *it, const struct file *file,
			bool all, bool idle);
struct ld_lock *ld_locks_iter_next(struct ld_locks_iter *it);
void ld_locks_iter_exit(struct ld_locks_iter *it);

int ld_graph_check(struct ld_session *sess, struct ld_lock *lk,
		   const struct ld_req *req, u32 want, const struct ld_req *self,
		   const struct list_head *stop, struct ld_report **repp);

int ld_name_cmp(const u8 *a, u32 alen, const u8 *b, u32 blen);
int ld_order_set(struct ld_session *sess, u32 mode, u32 *old);
int ld_order_check(struct ld_session *sess, struct ld_req *req,
		   struct ld_args *a);

/* One request of a lock set, decoded. */
struct ld_set_item {
	u32 index;
	u32 mode;
	u32 level;
	u32 name_len;
	u32 dup;
	u32 result;
	u64 handle;
	u64 generation;
	u8 value[LOCKDEV_VALUE_LEN];
	u8 name[LOCKDEV_NAME_MAX];
};

int ld_lock_set(struct ld_session *sess, struct ld_set_item *items, u32 nr,
		struct ld_args *a, u32 *failed);

extern const char *const ld_mode_names[5];

#endif /* LOCKDEV_KMOD_LOCKDEV_H */
