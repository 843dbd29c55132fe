/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Cluster lockspaces (cluster.c, cluster_space.c): a lockspace backed by a
 * lockspace of the kernel's distributed lock manager, each of its locks by
 * one DLM lock that the host holds for its sessions. What the grant engine asks of it is
 * whether a lock's DLM lock covers a mode (ld_cl_covers()), read under the
 * lock's spinlock; the rest runs in a work item per lock (locking.h).
 */
#ifndef LOCKDEV_KMOD_CLUSTER_H
#define LOCKDEV_KMOD_CLUSTER_H

#include <linux/types.h>

struct ld_args;
struct ld_cl_space;
struct ld_lock;

int ld_cl_init(void);
void ld_cl_exit(void);
int ld_cl_space_join(const u8 *name, u32 len, const u8 *cluster, u32 clen,
		     struct ld_cl_space **csp);
void ld_cl_space_put(struct ld_cl_space *cs);
struct ld_lock *ld_cl_lock_alloc(struct ld_cl_space *cs, const u8 *name,
				 u32 len);
size_t ld_cl_lock_size(const struct ld_lock *lk);
void ld_cl_lock_free(struct ld_lock *lk);
void ld_cl_lock_drop(struct ld_lock *lk);
bool ld_cl_covers(const struct ld_lock *lk, u32 mode);
void ld_cl_kick(struct ld_lock *lk);
void ld_cl_released(struct ld_lock *lk);
int ld_cl_try(struct ld_lock *lk, u32 mode, unsigned long *until);
u64 ld_cl_generation(void);

#endif /* LOCKDEV_KMOD_CLUSTER_H */
