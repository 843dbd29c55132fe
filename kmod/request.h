/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Requests (request.c, convert.c, query.c): what a session asks of a lock,
 * from LOCK to UNLOCK, through the lock table and the grant policy, and
 * what it asks about locks; lock sets, several requests in one call
 * (lockset.c); and the order mode, the order rule that levels and names
 * impose on a session's requests (order.c). The lock order is in
 * locking.h.
 */
#ifndef LOCKDEV_KMOD_REQUEST_H
#define LOCKDEV_KMOD_REQUEST_H

#include <linux/types.h>

#include <uapi/linux/lockdev.h>

#include "grant.h"
#include "session.h"

/* Requests (request.c; CONVERT in convert.c, QUERY and LIST in query.c). */
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
int ld_lock_cancel(struct ld_session *sess, u64 handle, bool post);
int ld_lock_consistent(struct ld_session *sess, u64 handle, const u8 *name,
		       u32 len);
int ld_lock_query(struct ld_session *sess, const u8 *name, u32 len,
		  struct ld_args *args, u32 *lock_flags);
int ld_lock_list(struct ld_session *sess, struct lockdev_held *out, u32 max,
		 u32 *nr);
void ld_lock_session_release(struct ld_session *sess);
void ld_lock_space_abort(struct ld_space *space);
void __ld_req_put(struct ld_req *req, struct ld_req **spare);
void ld_req_spare_free(struct ld_req *spare);

/**
 * ld_req_put() - drop a reference to a request; the last one frees it
 * @req: the request, off every list and out of its session's slots
 */
static inline void ld_req_put(struct ld_req *req)
{
	if (refcount_dec_and_test(&req->ref))
		__ld_req_put(req, NULL);
}

/* The order rule (order.c). */
int ld_name_cmp(const u8 *a, u32 alen, const u8 *b, u32 blen);
u32 ld_order_peek(struct ld_session *sess);
bool ld_order_swap(struct ld_session *sess, u32 seen, u32 mode);

/* Is @req ranked, and has its session ranked requests besides it? */
static inline bool ld_order_ranked(struct ld_session *sess,
				   const struct ld_req *req)
{
	return req->level && atomic_read(&sess->nr_ranked) >= 2;
}

/**
 * ld_order_checks() - has ld_order_check() anything to check for @req
 * @sess: the session
 * @req: its new request
 *
 * Return: true if @req is ranked, the session's order mode is not off and
 * it has ranked requests besides @req.
 */
static inline bool ld_order_checks(struct ld_session *sess,
				   const struct ld_req *req)
{
	return ld_order_ranked(sess, req) &&
	       ld_session_order(sess) != LOCKDEV_ORDER_OFF;
}

int ld_order_check(struct ld_session *sess, struct ld_req *req,
		   struct ld_args *a);

/* Lock sets (lockset.c): one request of a set, decoded. */
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

#endif /* LOCKDEV_KMOD_REQUEST_H */
