// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: one per open file description of /dev/lockdev. A session owns
 * its locks, binds to one lockspace, and queues the completions of its
 * asynchronous requests for read() and poll().
 */
#include <linux/cred.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "grant.h"
#include "params.h"
#include "report.h"
#include "request.h"
#include "session.h"
#include "space.h"
#include "stats.h"
#include "user.h"

static atomic64_t ld_session_ids = ATOMIC64_INIT(0);

/**
 * ld_session_create() - create the session of a newly opened file
 * @file: the file
 *
 * Return: the session, or an ERR_PTR(): -ENOMEM, or -EDQUOT at the opener's
 * session limit.
 */
struct ld_session *ld_session_create(struct file *file)
{
	struct ld_session *sess;
	struct ld_user *user;

	user = ld_user_get_session(file->f_cred);
	if (IS_ERR(user))
		return ERR_CAST(user);
	sess = kzalloc(sizeof(*sess), GFP_KERNEL_ACCOUNT);
	if (!sess) {
		ld_user_put_session(user);
		return ERR_PTR(-ENOMEM);
	}
	sess->id = atomic64_inc_return(&ld_session_ids);
	sess->cred = get_cred(file->f_cred);
	sess->user = user;
	sess->pid = get_pid(task_tgid(current));
	sess->slot_base = 1;
	spin_lock_init(&sess->slot_lock);
	spin_lock_init(&sess->lock);
	INIT_LIST_HEAD(&sess->done);
	init_waitqueue_head(&sess->wq);
	INIT_LIST_HEAD(&sess->waiting);
	INIT_LIST_HEAD(&sess->bfs_node);
	sess->order_mode = LOCKDEV_ORDER_STRICT;
	ld_stat_inc(sessions);
	ld_stat_inc(sessions_opened);
	ld_stat_add(memory, ksize(sess));
	return sess;
}

/*
 * Handles. A handle is a slot of the session's array and the generation of
 * the slot when it was given, (generation << LD_SLOT_BITS) | slot. A slot's
 * first generation is the session's @slot_base, 1 at first. A freed slot
 * keeps the generation its next handle gets, so a handle that ended never
 * names a request again; a slot whose generation is used up is retired,
 * never given again. A free slot is an odd word: generation << 32 | next
 * free slot plus one << 1 | 1.
 *
 * The array grows by doubling when every slot holds a request. A session
 * whose array grew past LD_SLOT_KEEP gives it back when its last request
 * ends, and its later slots start above every generation it gave, so an
 * ended handle stays invalid. The room of a uid's arrays beyond the first
 * LD_SLOT_FIRST slots of each is charged to it, at most twice
 * max_locks_per_user: a session that keeps one request in a high slot keeps
 * its room, and the uid's room cannot grow past that.
 */
#define LD_SLOT_FIRST	16
#define LD_SLOT_KEEP	64

static unsigned long ld_slot_free_word(u32 gen, u32 next)
{
	return (unsigned long)gen << 32 | (unsigned long)next << 1 |
	       LD_SLOT_FREE;
}

/* The part of a room of @cap slots that is charged to the uid. */
static u32 ld_slot_charged(u32 cap)
{
	return cap > LD_SLOT_FIRST ? cap - LD_SLOT_FIRST : 0;
}

/*
 * Charge @user for a room of @cap slots: the uid's sessions together have
 * room for at most twice max_locks_per_user beyond the first LD_SLOT_FIRST
 * of each, so that the room they keep after their requests ended stays
 * bounded.
 */
static bool ld_slot_charge(struct ld_user *user, u32 cap)
{
	u64 limit = min_t(u64, 2ULL * READ_ONCE(ld_max_locks_per_user),
			  INT_MAX);
	u32 n = ld_slot_charged(cap);

	if ((u64)atomic_add_return(n, &user->slots) <= limit)
		return true;
	atomic_sub(n, &user->slots);
	return false;
}

/* Give back the charge of a room of @cap slots. */
static void ld_slot_uncharge(struct ld_user *user, u32 cap)
{
	atomic_sub(ld_slot_charged(cap), &user->slots);
}

/* Free a completion that was posted or read, and its charge. */
static void ld_completion_free(struct ld_session *sess, struct ld_completion *c)
{
	ld_stat_add(memory, -(long)ksize(c));
	kfree(c);
	atomic_dec(&sess->user->completions);
}

/**
 * ld_session_destroy() - release everything a session holds and free it
 * @sess: the session, whose file is gone
 *
 * Context: may sleep.
 */
void ld_session_destroy(struct ld_session *sess)
{
	struct ld_completion *c, *tmp;

	ld_lock_session_release(sess);
	ld_report_session_exit(sess);
	list_for_each_entry_safe(c, tmp, &sess->done, node)
		ld_completion_free(sess, c);
	if (sess->slots) {
		ld_stat_add(memory, -(long)(sess->cap_slots *
					   sizeof(*sess->slots)));
		ld_slot_uncharge(sess->user, sess->cap_slots);
		kvfree(sess->slots);
	}
	put_pid(sess->pid);
	if (sess->space) {
		ld_space_leave(sess->space);
		ld_space_put(sess->space);
	}
	ld_user_put_session(sess->user);
	put_cred(sess->cred);
	ld_stat_dec(sessions);
	ld_stat_add(memory, -(long)ksize(sess));
	kfree(sess);
}

/* Give @req the slot @i, of generation @gen. */
static void ld_slot_fill(struct ld_session *sess, struct ld_req *req, u32 i,
			 u32 gen)
{
	lockdep_assert_held(&sess->slot_lock);
	req->handle = (u64)gen << LD_SLOT_BITS | i;
	sess->slots[i] = (unsigned long)req;
	sess->used_slots++;
	if (gen > sess->slot_top)
		sess->slot_top = gen;
}

/* Take a free slot or an unused one, if any. */
static __always_inline bool ld_slot_take(struct ld_session *sess,
					 struct ld_req *req)
{
	unsigned long w;
	u32 i;

	lockdep_assert_held(&sess->slot_lock);
	if (sess->free_slot) {
		i = sess->free_slot - 1;
		w = sess->slots[i];
		sess->free_slot = (u32)w >> 1;
		ld_slot_fill(sess, req, i, w >> 32);
		return true;
	}
	if (sess->nr_slots < sess->cap_slots) {
		ld_slot_fill(sess, req, sess->nr_slots++, sess->slot_base);
		return true;
	}
	return false;
}

/* ld_slot_alloc() when the session's array is full: grow it. */
static int ld_slot_grow(struct ld_session *sess, struct ld_req *req)
{
	unsigned long *room = NULL, *old;
	u32 cap = 0, want;
	long grown = 0;

	for (;;) {
		spin_lock(&sess->slot_lock);
		if (ld_slot_take(sess, req))
			break;
		if (cap > sess->cap_slots) {
			/* @room and @cap become the array given back. */
			memcpy(room, sess->slots,
			       sess->nr_slots * sizeof(*room));
			old = sess->slots;
			sess->slots = room;
			room = old;
			swap(cap, sess->cap_slots);
			grown = (long)(sess->cap_slots - cap) * sizeof(*room);
			ld_slot_take(sess, req);
			break;
		}
		want = sess->cap_slots ? sess->cap_slots * 2 : LD_SLOT_FIRST;
		spin_unlock(&sess->slot_lock);
		/* Too small now: a racing call on the session grew it. */
		ld_slot_uncharge(sess->user, cap);
		kvfree(room);
		room = NULL;
		cap = 0;
		if (want > LD_SLOT_MAX)
			return -EDQUOT;
		if (!ld_slot_charge(sess->user, want))
			return -EDQUOT;
		room = kvmalloc_array(want, sizeof(*room), GFP_KERNEL_ACCOUNT);
		if (!room) {
			ld_slot_uncharge(sess->user, want);
			return -ENOMEM;
		}
		cap = want;
	}
	spin_unlock(&sess->slot_lock);
	ld_slot_uncharge(sess->user, cap);
	ld_stat_add(memory, grown);
	kvfree(room);
	return 0;
}

/**
 * ld_slot_alloc() - give a request its handle
 * @sess: the session
 * @req: the request, whose @handle is set
 *
 * Context: may sleep.
 * Return: 0, -EDQUOT when the session has LD_SLOT_MAX slots or its uid
 * room for twice max_locks_per_user, or -ENOMEM.
 */
int ld_slot_alloc(struct ld_session *sess, struct ld_req *req)
{
	bool taken;

	spin_lock(&sess->slot_lock);
	taken = ld_slot_take(sess, req);
	spin_unlock(&sess->slot_lock);
	return taken ? 0 : ld_slot_grow(sess, req);
}

/**
 * ld_slot_get_req() - is a request still in its slot
 * @sess: the session
 * @req: the request, referenced by the caller
 *
 * Return: true if @req has not been forgotten.
 */
bool ld_slot_get_req(struct ld_session *sess, struct ld_req *req)
{
	u32 i = req->handle & (LD_SLOT_MAX - 1);
	bool ret;

	spin_lock(&sess->slot_lock);
	ret = i < sess->nr_slots && ld_slot_req(sess, i) == req;
	spin_unlock(&sess->slot_lock);
	return ret;
}

/*
 * Give the slots of @sess back if it has none in use and grew past
 * LD_SLOT_KEEP; the slots made later start above every generation given.
 * Return: the array to free, of *@cap slots, or NULL.
 */
static unsigned long *ld_slot_shrink(struct ld_session *sess, u32 *cap)
{
	unsigned long *room = sess->slots;

	lockdep_assert_held(&sess->slot_lock);
	if (sess->used_slots || sess->cap_slots <= LD_SLOT_KEEP ||
	    sess->slot_top == U32_MAX)
		return NULL;
	*cap = sess->cap_slots;
	ld_slot_uncharge(sess->user, *cap);
	sess->slots = NULL;
	sess->nr_slots = 0;
	sess->cap_slots = 0;
	sess->free_slot = 0;
	sess->slot_base = sess->slot_top + 1;
	return room;
}

/**
 * ld_slot_clear() - take a request's handle away, under the slot lock
 * @sess: the session
 * @req: the request, which ended or is ending; the reference its slot kept
 *	becomes the caller's
 * @cap: set to the size of the array returned, in slots
 *
 * Context: @sess->slot_lock held.
 * Return: the session's array if it gave it back (ld_slot_shrink()), for
 * ld_slot_room_free() once the caller holds no spinlock; or NULL.
 */
unsigned long *ld_slot_clear(struct ld_session *sess, struct ld_req *req,
			     u32 *cap)
{
	u32 i = req->handle & (LD_SLOT_MAX - 1);
	u32 gen = req->handle >> LD_SLOT_BITS;

	lockdep_assert_held(&sess->slot_lock);
	if (gen == U32_MAX) {
		sess->slots[i] = ld_slot_free_word(0, 0);
	} else {
		sess->slots[i] = ld_slot_free_word(gen + 1, sess->free_slot);
		sess->free_slot = i + 1;
	}
	sess->used_slots--;
	return ld_slot_shrink(sess, cap);
}

/**
 * ld_slot_room_free() - free an array of slots ld_slot_clear() gave back
 * @room: the array, or NULL
 * @cap: its size, in slots
 *
 * Context: may sleep.
 */
void ld_slot_room_free(unsigned long *room, u32 cap)
{
	if (room) {
		ld_stat_add(memory, -(long)(cap * sizeof(*room)));
		kvfree(room);
	}
}

/**
 * ld_slot_free() - take a request's handle away
 * @sess: the session
 * @req: the request, which ended; the reference its slot kept becomes the
 *	caller's
 *
 * Context: may sleep.
 */
void ld_slot_free(struct ld_session *sess, struct ld_req *req)
{
	unsigned long *room;
	u32 cap = 0;

	spin_lock(&sess->slot_lock);
	room = ld_slot_clear(sess, req, &cap);
	spin_unlock(&sess->slot_lock);
	ld_slot_room_free(room, cap);
}

/**
 * ld_session_next() - the session's next request from a slot on
 * @sess: the session
 * @index: the slot to look from; set past the request found
 *
 * Return: the request, referenced, or NULL.
 */
struct ld_req *ld_session_next(struct ld_session *sess, u32 *index)
{
	struct ld_req *req = NULL;

	spin_lock(&sess->slot_lock);
	for (; *index < sess->nr_slots && !req; (*index)++) {
		req = ld_slot_req(sess, *index);
		if (req)
			refcount_inc(&req->ref);
	}
	spin_unlock(&sess->slot_lock);
	return req;
}

/*
 * Bind the session to @space, referenced and entered, with @perms on it,
 * unless it is bound already: of racing binds one wins, and only the
 * winner's permissions are ever stored. @perms is written before @space is
 * published, so whoever sees @space sees its permissions.
 */
static int ld_session_bind(struct ld_session *sess, struct ld_space *space,
			   unsigned int perms)
{
	spin_lock(&sess->lock);
	if (sess->space) {
		spin_unlock(&sess->lock);
		ld_space_leave(space);
		ld_space_put(space);
		return -EBUSY;
	}
	sess->perms = perms;
	/* A mode the session chose has LD_ORDER_CHOSEN, so stays. */
	cmpxchg(&sess->order_mode, LOCKDEV_ORDER_STRICT,
		READ_ONCE(space->order_mode));
	/* Pairs with smp_load_acquire() of @space by its readers. */
	smp_store_release(&sess->space, space);
	spin_unlock(&sess->lock);
	return 0;
}

/* ld_session_space() of a session that never attached. */
int __ld_session_space(struct ld_session *sess, unsigned int need)
{
	struct ld_space *space;
	int ret;

	ret = ld_space_default(sess->cred, &space);
	if (ret)
		return ret;
	ld_session_bind(sess, space, LD_MAY_READ | LD_MAY_WRITE);
	/* Losing the race to another thread's bind is fine. */
	return ld_session_may(sess, need) ? 0 : -EACCES;
}

/**
 * ld_session_attach() - bind the session to a named lockspace
 * @sess: the session
 * @name: the lockspace's name
 * @len: its length
 * @flags: LOCKDEV_ATTACH_* flags
 * @mode: permission bits if it is created
 *
 * Return: 0, -EBUSY if the session is bound already, or what
 * ld_space_attach() returns.
 */
int ld_session_attach(struct ld_session *sess, const u8 *name, u32 len,
		      u32 flags, umode_t mode)
{
	struct ld_space *space;
	unsigned int perms;
	int ret;

	/* Pairs with ld_session_bind()'s smp_store_release(). */
	if (smp_load_acquire(&sess->space))
		return -EBUSY;
	ret = ld_space_attach(name, len, flags, mode, &space, &perms);
	if (ret)
		return ret;
	return ld_session_bind(sess, space, perms);
}

/**
 * ld_session_post() - post a completion for read()
 * @sess: the session
 * @c: the completion, filled in
 */
void ld_session_post(struct ld_session *sess, struct ld_completion *c)
{
	spin_lock(&sess->lock);
	list_add_tail(&c->node, &sess->done);
	spin_unlock(&sess->lock);
	wake_up_interruptible_poll(&sess->wq, EPOLLIN | EPOLLRDNORM);
}

/* Take the oldest completion, or NULL. */
static struct ld_completion *ld_session_pop(struct ld_session *sess)
{
	struct ld_completion *c;

	spin_lock(&sess->lock);
	c = list_first_entry_or_null(&sess->done, struct ld_completion, node);
	if (c)
		list_del(&c->node);
	spin_unlock(&sess->lock);
	return c;
}

/*
 * Put back @c, which a read() could not copy out. Another reader or poller
 * may have woken for it, found the list empty and slept again: wake them.
 */
static void ld_session_unpop(struct ld_session *sess, struct ld_completion *c)
{
	spin_lock(&sess->lock);
	list_add(&c->node, &sess->done);
	spin_unlock(&sess->lock);
	wake_up_interruptible_poll(&sess->wq, EPOLLIN | EPOLLRDNORM);
}

static bool ld_session_has_done(struct ld_session *sess)
{
	bool ret;

	spin_lock(&sess->lock);
	ret = !list_empty(&sess->done);
	spin_unlock(&sess->lock);
	return ret;
}

/**
 * ld_session_read() - read() of the session: completion records
 * @sess: the session
 * @buf: the caller's buffer
 * @count: its size
 * @nonblock: the file is O_NONBLOCK
 *
 * Return: bytes read, a whole number of records; -EINVAL for a buffer below
 * one record; -EAGAIN or -ERESTARTSYS when nothing is ready; -EFAULT.
 */
ssize_t ld_session_read(struct ld_session *sess, char __user *buf,
			size_t count, bool nonblock)
{
	const size_t size = sizeof(struct lockdev_completion);
	struct ld_completion *c;
	ssize_t done = 0;
	int ret;

	if (count < size)
		return -EINVAL;
	for (;;) {
		c = ld_session_pop(sess);
		if (c)
			break;
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(sess->wq,
					       ld_session_has_done(sess));
		if (ret)
			return ret;
	}
	while (c) {
		if (copy_to_user(buf + done, &c->rec, size)) {
			ld_session_unpop(sess, c);
			return done ? done : -EFAULT;
		}
		done += size;
		ld_completion_free(sess, c);
		c = count - done >= size ? ld_session_pop(sess) : NULL;
	}
	return done;
}

/**
 * ld_session_poll() - poll() of the session
 * @sess: the session
 * @file: its file
 * @wait: the poll table
 *
 * Return: EPOLLIN | EPOLLRDNORM while completions are ready, else 0.
 */
__poll_t ld_session_poll(struct ld_session *sess, struct file *file,
			 poll_table *wait)
{
	poll_wait(file, &sess->wq, wait);
	return ld_session_has_done(sess) ? EPOLLIN | EPOLLRDNORM : 0;
}
