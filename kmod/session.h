/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sessions (session.c): one per open file description of /dev/lockdev,
 * bound to one lockspace, with its handle slots, which hold its requests,
 * and its asynchronous completions for read() and poll(). Its slot_lock
 * guards the slots and its lock the rest (locking.h).
 */
#ifndef LOCKDEV_KMOD_SESSION_H
#define LOCKDEV_KMOD_SESSION_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "class.h"
#include "grant.h"

struct cred;
struct ld_report;
struct ld_user;

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
 * @slot_lock: protects @slots, @nr_slots, @cap_slots, @free_slot, @used_slots,
 *	@slot_base and @slot_top.
 * @slots: the handles: per slot, its struct ld_req, or while free, the
 *	generation its next handle gets and the next free slot (session.c).
 * @nr_slots: slots in use or freed; @slots has room for @cap_slots, which
 *	are charged to @user->slots.
 * @cap_slots: the room of @slots.
 * @free_slot: the first free slot plus one, or 0 if none.
 * @used_slots: slots that hold a request.
 * @slot_base: the generation of a slot's first handle.
 * @slot_top: the highest generation given, for @slot_base when the slots
 *	are given back.
 * @order_mode: LOCKDEV_ORDER_*, with LD_ORDER_CHOSEN once SET_ORDER set
 *	it; until then binding to a lockspace sets its default. Changed with
 *	xchg() and cmpxchg(), read with READ_ONCE().
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
 *	that blocks the request itself or another wait of its session (an
 *	upgrade's walk). @space->graph_mutex.
 * @bfs_from: the waiting request of @bfs_parent that this session blocks;
 *	with no @bfs_parent, that other wait, or NULL. @space->graph_mutex.
 * @bfs_via: this session's request that blocks it. @space->graph_mutex.
 * @bfs_via_queued: @bfs_via blocks as a request queued ahead, not as a
 *	holder. @space->graph_mutex.
 * @handed: one of its UNLOCKs or downgrades handed the grant of its lock's
 *	waiters over to the holder of @space->graph_mutex (ld_graph_defer()):
 *	the session's teardown takes that mutex once, so that no request of it
 *	is left in a hand-over. Set with WRITE_ONCE(), never cleared.
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
	u32 used_slots;
	u32 slot_base;
	u32 slot_top;
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
	bool handed;
};

/* In ld_session.order_mode: the session chose its mode (SET_ORDER). */
#define LD_ORDER_CHOSEN	0x80000000U

/* The order mode of @sess, LOCKDEV_ORDER_*. */
static inline u32 ld_session_order(const struct ld_session *sess)
{
	return READ_ONCE(sess->order_mode) & ~LD_ORDER_CHOSEN;
}

struct ld_session *ld_session_create(struct file *file);
void ld_session_destroy(struct ld_session *sess);
int __ld_session_space(struct ld_session *sess, unsigned int need);

/* Has @sess, bound to its lockspace, the LD_MAY_* permissions @need? */
static inline bool ld_session_may(const struct ld_session *sess,
				  unsigned int need)
{
	return (READ_ONCE(sess->perms) & need) == need;
}

/**
 * ld_session_space() - make sure the session has a lockspace and may use it
 * @sess: the session
 * @need: the LD_MAY_* permissions the caller needs
 *
 * A session that never attached is bound to its opener's default lockspace
 * (__ld_session_space()).
 *
 * Return: 0, -EACCES, -EDQUOT (the default lockspace would pass the uid's
 * lockspace limit) or -ENOMEM.
 */
static inline int ld_session_space(struct ld_session *sess, unsigned int need)
{
	/* Pairs with ld_session_bind()'s smp_store_release(). */
	if (!smp_load_acquire(&sess->space))
		return __ld_session_space(sess, need);
	return ld_session_may(sess, need) ? 0 : -EACCES;
}

/* Was the lockspace @sess is bound to removed by force (LOCKDEV_IOC_SPACE)? */
static inline bool ld_session_removed(const struct ld_session *sess)
{
	/* Pairs with ld_session_bind()'s smp_store_release(). */
	const struct ld_space *space = smp_load_acquire(&sess->space);

	return space && READ_ONCE(space->removed);
}

int ld_session_attach(struct ld_session *sess, const u8 *name, u32 len,
		      u32 flags, umode_t mode);
void ld_session_post(struct ld_session *sess, struct ld_completion *c);
ssize_t ld_session_read(struct ld_session *sess, char __user *buf,
			size_t count, bool nonblock);
__poll_t ld_session_poll(struct ld_session *sess, struct file *file,
			 poll_table *wait);

/* Handles (session.c says what a handle is). */
#define LD_SLOT_BITS	24
#define LD_SLOT_MAX	BIT(LD_SLOT_BITS)
#define LD_SLOT_FREE	1UL	/* a free slot's word is odd */

int ld_slot_alloc(struct ld_session *sess, struct ld_req *req);
bool ld_slot_get_req(struct ld_session *sess, struct ld_req *req);
unsigned long *ld_slot_clear(struct ld_session *sess, struct ld_req *req,
			     u32 *cap);
void ld_slot_room_free(unsigned long *room, u32 cap);
void ld_slot_free(struct ld_session *sess, struct ld_req *req);

/**
 * ld_slot_req() - the request in a slot
 * @sess: the session
 * @i: the slot, below @sess->nr_slots
 *
 * Context: @sess->slot_lock held.
 * Return: the request, or NULL if the slot is free.
 */
static inline struct ld_req *ld_slot_req(struct ld_session *sess, u32 i)
{
	unsigned long w = sess->slots[i];

	lockdep_assert_held(&sess->slot_lock);
	return w & LD_SLOT_FREE ? NULL : (struct ld_req *)w;
}

/**
 * ld_slot_find() - the request a handle names, under the slot lock
 * @sess: the session
 * @handle: the handle
 *
 * A request in a slot is alive: its slot keeps a reference to it.
 *
 * Context: @sess->slot_lock held.
 * Return: the request, or NULL if the handle names none now.
 */
static inline struct ld_req *ld_slot_find(struct ld_session *sess, u64 handle)
{
	u32 i = handle & (LD_SLOT_MAX - 1);
	struct ld_req *req;

	if (i >= sess->nr_slots)
		return NULL;
	req = ld_slot_req(sess, i);
	return req && req->handle == handle && READ_ONCE(req->lk) ? req : NULL;
}

/**
 * ld_slot_get() - the request a handle names
 * @sess: the session
 * @handle: the handle
 *
 * Inline: every call by handle starts here.
 *
 * Return: the request, referenced, or NULL if the handle names none now.
 */
static inline struct ld_req *ld_slot_get(struct ld_session *sess, u64 handle)
{
	struct ld_req *req;

	spin_lock(&sess->slot_lock);
	req = ld_slot_find(sess, handle);
	if (req)
		refcount_inc(&req->ref);
	spin_unlock(&sess->slot_lock);
	return req;
}

struct ld_req *ld_session_next(struct ld_session *sess, u32 *index);

#endif /* LOCKDEV_KMOD_SESSION_H */
