/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Walks of the locks (proc_locks.c): of every lockspace, as
 * /proc/lockdev/locks and GET_LOCKS see them, and whom each waiter of a
 * lock waits for; and the names of the modes those print. They take each
 * lock's spinlock in turn (locking.h).
 */
#ifndef LOCKDEV_KMOD_PROC_LOCKS_H
#define LOCKDEV_KMOD_PROC_LOCKS_H

#include <linux/types.h>

#include "grant.h"
#include "space.h"
#include "table.h"

struct file;

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

int ld_locks_iter_init(struct ld_locks_iter *it, const struct file *file,
		       bool all, bool idle);
bool ld_locks_iter_sees(const struct ld_locks_iter *it,
			const struct ld_lock *lk);
struct ld_lock *ld_locks_iter_next(struct ld_locks_iter *it);
void ld_locks_iter_exit(struct ld_locks_iter *it);

extern const char *const ld_mode_names[5];

#endif /* LOCKDEV_KMOD_PROC_LOCKS_H */
