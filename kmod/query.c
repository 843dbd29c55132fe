// SPDX-License-Identifier: GPL-2.0
/*
 * QUERY and LIST: who holds and awaits a lock, and what a session holds
 * and awaits.
 */
#include <linux/spinlock.h>
#include <linux/string.h>

#include "grant.h"
#include "request.h"
#include "session.h"
#include "space.h"
#include "table.h"

/**
 * ld_lock_query() - LOCKDEV_IOC_QUERY
 * @sess: the session
 * @name: the lock's name
 * @len: its length
 * @a: entries are filled with the holders, then the waiters; generation
 *	and value
 * @lock_flags: set to LOCKDEV_QUERY_* bits
 *
 * Return: 0, -EACCES or -ENOMEM.
 */
int ld_lock_query(struct ld_session *sess, const u8 *name, u32 len,
		  struct ld_args *a, u32 *lock_flags)
{
	struct ld_lock *lk;
	int ret;

	ret = ld_session_space(sess, LD_MAY_READ);
	if (ret)
		return ret;
	a->nr_entries = 0;
	a->generation = 0;
	memset(a->value, 0, sizeof(a->value));
	*lock_flags = 0;
	lk = ld_lock_get(sess->space, name, len);
	if (!lk)
		return 0;
	spin_lock(&lk->lock);
	if (ld_lock_dead(lk)) {
		/* Dropped since it was found: it does not exist. */
		spin_unlock(&lk->lock);
		ld_lock_put(lk);
		return 0;
	}
	ld_fill_all(lk, a);
	a->generation = lk->generation;
	if (lk->owner_died)
		*lock_flags |= LOCKDEV_QUERY_OWNER_DIED;
	if (!ld_lock_held(lk) && list_empty(&lk->waiters))
		*lock_flags |= LOCKDEV_QUERY_IDLE;
	if (a->want_value && ld_lock_value(lk, a->value))
		*lock_flags |= LOCKDEV_QUERY_VALUE_INVALID;
	spin_unlock(&lk->lock);
	ld_lock_put(lk);
	return 0;
}

/* Describe @req of the session, alive, for LIST. */
static void ld_fill_held(struct lockdev_held *h, const struct ld_req *req)
{
	const struct ld_lock *lk = req->lk;

	memset(h, 0, sizeof(*h));
	h->handle = req->handle;
	h->generation = lk->generation;
	h->mode = ld_req_want(req);
	h->state = req->state;
	h->level = req->level;
	h->name_len = lk->name_len;
	memcpy(h->name, lk->name, lk->name_len);
}

/**
 * ld_lock_list() - LOCKDEV_IOC_LIST
 * @sess: the session
 * @out: room for @max entries
 * @max: how many fit
 * @nr: set to how many requests the session has
 *
 * Return: 0.
 */
int ld_lock_list(struct ld_session *sess, struct lockdev_held *out, u32 max,
		 u32 *nr)
{
	struct ld_lock *lk;
	struct ld_req *req;
	u32 i, n = 0;

	/* A request in a slot is alive, and keeps its lock alive. */
	spin_lock(&sess->slot_lock);
	for (i = 0; i < sess->nr_slots; i++) {
		req = ld_slot_req(sess, i);
		lk = req ? READ_ONCE(req->lk) : NULL;
		if (!lk)
			continue;
		spin_lock(&lk->lock);
		if (req->state != LD_DONE) {
			if (n < max)
				ld_fill_held(&out[n], req);
			n++;
		}
		spin_unlock(&lk->lock);
	}
	spin_unlock(&sess->slot_lock);
	*nr = n;
	return 0;
}

