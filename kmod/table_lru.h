/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the lock table (table.c) and the lists of a lockspace's locks
 * (table_lru.c) share, and nothing else uses.
 */
#ifndef LOCKDEV_KMOD_TABLE_LRU_H
#define LOCKDEV_KMOD_TABLE_LRU_H

#include <linux/list.h>
#include <linux/types.h>

struct ld_lock;

/* Locks a trim, a reap or a walk passes per hold of a lockspace's lru_lock. */
#define LD_TRIM_BATCH	256

void ld_idle_bound(void);
bool ld_lock_unlink(struct ld_lock *lk, struct list_head *gone);

#endif
