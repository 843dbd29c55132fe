/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two halves of cluster lockspaces share: the DLM lockspaces,
 * the DLM's calls and the work queue (cluster_space.c), used by the DLM
 * locks of each lock (cluster.c). Private to those two files.
 */
#ifndef LOCKDEV_KMOD_CLUSTER_DLM_H
#define LOCKDEV_KMOD_CLUSTER_DLM_H

#include <linux/dlm.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

/* Bytes of the DLM's lock value block of a cluster lockspace. */
#define LD_CL_LVB_LEN		48

/*
 * struct ld_cl_space - the DLM lockspace of a cluster lockspace
 * @ls: the DLM's lockspace.
 * @ref: the lockspace's reference, and one per lock's struct ld_cl_lock;
 *	the last put leaves the DLM lockspace, in @release.
 * @release: the work that leaves it.
 */
struct ld_cl_space {
	dlm_lockspace_t *ls;
	refcount_t ref;
	struct work_struct release;
};

/*
 * The DLM's calls, as 6.1 and 6.12 declare them: symbol_request() checks
 * the header's against these.
 */
typedef int ld_dlm_lock_t(dlm_lockspace_t *ls, int mode,
			  struct dlm_lksb *lksb, u32 flags, const void *name,
			  unsigned int namelen, u32 parent_lkid,
			  void (*ast)(void *arg), void *arg,
			  void (*bast)(void *arg, int mode));
typedef int ld_dlm_unlock_t(dlm_lockspace_t *ls, u32 lkid, u32 flags,
			    struct dlm_lksb *lksb, void *arg);
typedef int ld_dlm_new_ls_t(const char *name, const char *cluster, u32 flags,
			    int lvblen, const struct dlm_lockspace_ops *ops,
			    void *ops_arg, int *ops_result,
			    dlm_lockspace_t **ls);
typedef int ld_dlm_release_ls_t(dlm_lockspace_t *ls, int force);

/*
 * struct ld_dlm_calls - the DLM's calls, found with symbol_request() when
 *	the first cluster lockspace is made (ld_dlm_mutex), then immutable
 *	until unload
 */
struct ld_dlm_calls {
	ld_dlm_new_ls_t *new_ls;
	ld_dlm_release_ls_t *release_ls;
	ld_dlm_lock_t *lock_fn;
	ld_dlm_unlock_t *unlock_fn;
};

extern struct ld_dlm_calls ld_dlm;
/* Every lock's work and the leaving of DLM lockspaces run on it. */
extern struct workqueue_struct *ld_cl_wq;
/* NONBLOCK requests waiting for an answer, and unload for the lockspaces. */
extern struct wait_queue_head ld_cl_waitq;

#endif /* LOCKDEV_KMOD_CLUSTER_DLM_H */
