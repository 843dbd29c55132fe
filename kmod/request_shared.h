/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the paths of the requests share: LOCK and UNLOCK (request.c),
 * CONVERT (convert.c), and nothing else uses.
 */
#ifndef LOCKDEV_KMOD_REQUEST_SHARED_H
#define LOCKDEV_KMOD_REQUEST_SHARED_H

#include <linux/compiler.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "grant.h"
#include "graph.h"
#include "request.h"
#include "session.h"
#include "space.h"
#include "table.h"

struct ld_req *ld_req_lookup_name(struct ld_session *sess, const u8 *name,
				  u32 len);
int ld_acquire_check(struct ld_session *sess, struct ld_req *req,
		     struct ld_args *a);
bool ld_cl_try_again(struct ld_args *a, unsigned long *until);

/*
 * Unlock @lk, and ld_graph(@lk) if @graph; trim the lockspace if @over.
 * Once @lk->lock is dropped, @lk may go (another thread of the session
 * may unlock a request just granted); its lockspace, the session's, stays.
 */
static __always_inline void ld_lock_leave(struct ld_lock *lk, bool graph,
					  bool over)
	__releases(&lk->lock)
{
	struct ld_space *space = lk->space;

	spin_unlock(&lk->lock);
	if (graph)
		ld_graph_unlock(space);
	ld_space_trim_if(space, over);
}

/*
 * Retake @lk->lock with ld_graph(@lk) first, as changing a lock with
 * waiters needs. The caller keeps @lk alive and looks at it again.
 */
static inline void ld_lock_regraph(struct ld_lock *lk)
	__releases(&lk->lock) __acquires(&lk->lock)
{
	spin_unlock(&lk->lock);
	ld_graph_lock(lk->space);
	spin_lock(&lk->lock);
}

/*
 * Might ld_acquire_check() learn or check anything for @req, a new request
 * or a conversion from NONE: has its lock a class and the session classes
 * held or awaited (__ld_class_learn()), or has the order anything to check?
 */
static inline bool ld_acquire_checks(struct ld_session *sess,
				     const struct ld_req *req)
{
	return (req->lk->class && READ_ONCE(sess->classes.nr)) ||
	       ld_order_checks(sess, req);
}

/*
 * The LD_MAY_* permission a hold in @mode needs, as fcntl's read and write
 * locks need a file open for reading or writing: APPEND and EXCLUSIVE need
 * write permission on the lockspace; SHARED and NONE need read or write
 * permission, which every session bound to it has.
 */
static inline unsigned int ld_mode_needs(u32 mode)
{
	return mode == LOCKDEV_MODE_APPEND || mode == LOCKDEV_MODE_EXCLUSIVE ?
	       LD_MAY_WRITE : 0;
}

/*
 * Find the session's request by handle, or by name when @handle is 0, and
 * take a reference to it.
 */
static __always_inline struct ld_req *
ld_req_lookup(struct ld_session *sess, u64 handle, const u8 *name, u32 len)
{
	if (handle)
		return ld_slot_get(sess, handle);
	return ld_req_lookup_name(sess, name, len);
}

/* A request that holds its lock and that no UNLOCK has claimed. */
static inline bool ld_req_held(const struct ld_req *req)
{
	return (req->state == LD_HELD || req->state == LD_CONVERTING) &&
	       !req->releasing;
}

#endif /* LOCKDEV_KMOD_REQUEST_SHARED_H */
