// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster lockspaces, their DLM side: joining and leaving the DLM
 * lockspace of a cluster lockspace, finding the DLM's calls, and the work
 * queue that every lock's DLM lock works on (cluster.c).
 *
 * The DLM's calls are found with symbol_request() when the first cluster
 * lockspace is made, so the module loads and works without the DLM, and
 * keeps the DLM loaded from then until unload. A DLM lockspace is left
 * once its lockspace and every DLM lock of it are gone, in a work item:
 * dlm_release_lockspace() sleeps, and waits for dlm_controld.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": cluster: " fmt

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>

#include <uapi/linux/lockdev.h>

#include "cluster.h"
#include "cluster_dlm.h"
#include "table.h"

struct ld_dlm_calls ld_dlm;
static DEFINE_MUTEX(ld_dlm_mutex);
struct workqueue_struct *ld_cl_wq;
DECLARE_WAIT_QUEUE_HEAD(ld_cl_waitq);
/* DLM lockspaces joined and not left yet. */
static atomic_t ld_cl_nr_spaces = ATOMIC_INIT(0);
/* This host's tag in the generations it makes, bits 40 to 63. */
static u64 ld_cl_tag;

/**
 * ld_cl_generation() - a generation no lock of any host has had
 *
 * Return: this host's tag and ld_next_generation().
 */
u64 ld_cl_generation(void)
{
	return ld_cl_tag | (ld_next_generation() & GENMASK_ULL(39, 0));
}

/* Find the DLM's calls, once. */
static int ld_dlm_get(void)
{
	int ret = 0;

	mutex_lock(&ld_dlm_mutex);
	if (ld_dlm.lock_fn)
		goto out;
	ld_dlm.new_ls = symbol_request(dlm_new_lockspace);
	ld_dlm.release_ls = symbol_request(dlm_release_lockspace);
	ld_dlm.unlock_fn = symbol_request(dlm_unlock);
	if (ld_dlm.new_ls && ld_dlm.release_ls &&
	    ld_dlm.unlock_fn) {
		ld_dlm.lock_fn = symbol_request(dlm_lock);
		if (ld_dlm.lock_fn)
			goto out;
	}
	if (ld_dlm.new_ls)
		symbol_put(dlm_new_lockspace);
	if (ld_dlm.release_ls)
		symbol_put(dlm_release_lockspace);
	if (ld_dlm.unlock_fn)
		symbol_put(dlm_unlock);
	memset(&ld_dlm, 0, sizeof(ld_dlm));
	ret = -EOPNOTSUPP;
out:
	mutex_unlock(&ld_dlm_mutex);
	return ret;
}

static void ld_cl_space_release(struct work_struct *work)
{
	struct ld_cl_space *cs = container_of(work, struct ld_cl_space,
					      release);
	int ret;

	ret = ld_dlm.release_ls(cs->ls, 2);
	if (ret)
		pr_warn("leaving a DLM lockspace failed: %d\n", ret);
	kfree(cs);
	atomic_dec(&ld_cl_nr_spaces);
	wake_up_all(&ld_cl_waitq);
}

/**
 * ld_cl_space_join() - join the DLM lockspace of a new cluster lockspace
 * @name: the lockspace's name, at most LOCKDEV_CLUSTER_SPACE_NAME_MAX bytes
 * @len: its length
 * @cluster: the cluster's name, at most LOCKDEV_CLUSTER_NAME_MAX bytes
 * @clen: its length
 * @csp: the DLM lockspace, with a reference, on success
 *
 * Context: may sleep, for as long as the cluster takes to admit the host.
 * Return: 0, -EINVAL (a NUL byte in a name), -EOPNOTSUPP (no DLM),
 * -ENOTCONN (the host is in no cluster), -EBADR (another cluster name),
 * -EEXIST (the host has a DLM lockspace of the name), -ENOMEM, or another
 * error of the DLM.
 */
int ld_cl_space_join(const u8 *name, u32 len, const u8 *cluster, u32 clen,
		     struct ld_cl_space **csp)
{
	char lsname[LOCKDEV_CLUSTER_SPACE_NAME_MAX + 1];
	char cname[LOCKDEV_CLUSTER_NAME_MAX + 1];
	struct ld_cl_space *cs;
	int ret;

	if (len > LOCKDEV_CLUSTER_SPACE_NAME_MAX ||
	    clen > LOCKDEV_CLUSTER_NAME_MAX)
		return -ENAMETOOLONG;
	if (memchr(name, 0, len) || memchr(cluster, 0, clen))
		return -EINVAL;
	memcpy(lsname, name, len);
	lsname[len] = 0;
	memcpy(cname, cluster, clen);
	cname[clen] = 0;
	ret = ld_dlm_get();
	if (ret)
		return ret;
	cs = kzalloc(sizeof(*cs), GFP_KERNEL_ACCOUNT);
	if (!cs)
		return -ENOMEM;
	ret = ld_dlm.new_ls(lsname, cname, DLM_LSFL_NEWEXCL,
				   LD_CL_LVB_LEN, NULL, NULL, NULL, &cs->ls);
	if (ret) {
		kfree(cs);
		pr_debug("joining %s in cluster %s failed: %d\n", lsname,
			 cname, ret);
		/* The DLM has no node id: dlm_controld does not run. */
		return ret == -EUNATCH ? -ENOTCONN : ret;
	}
	refcount_set(&cs->ref, 1);
	INIT_WORK(&cs->release, ld_cl_space_release);
	atomic_inc(&ld_cl_nr_spaces);
	*csp = cs;
	return 0;
}

/**
 * ld_cl_space_put() - drop a reference to a DLM lockspace
 * @cs: the DLM lockspace
 *
 * The last leaves it, in a work item.
 */
void ld_cl_space_put(struct ld_cl_space *cs)
{
	if (refcount_dec_and_test(&cs->ref))
		queue_work(ld_cl_wq, &cs->release);
}

/**
 * ld_cl_init() - set up cluster lockspaces
 *
 * Return: 0 or -ENOMEM.
 */
int ld_cl_init(void)
{
	ld_cl_wq = alloc_workqueue("lockdev_cluster", WQ_UNBOUND, 0);
	if (!ld_cl_wq)
		return -ENOMEM;
	ld_cl_tag = (u64)((get_random_u32() & GENMASK(23, 0)) | 1) << 40;
	return 0;
}

/**
 * ld_cl_exit() - tear cluster lockspaces down, once every lock is gone
 *
 * Waits until every DLM lockspace is left.
 */
void ld_cl_exit(void)
{
	wait_event(ld_cl_waitq, !atomic_read(&ld_cl_nr_spaces));
	/* The locks' RCU frees that put the lockspaces have returned. */
	rcu_barrier();
	destroy_workqueue(ld_cl_wq);
	if (!ld_dlm.lock_fn)
		return;
	symbol_put(dlm_new_lockspace);
	symbol_put(dlm_release_lockspace);
	symbol_put(dlm_unlock);
	symbol_put(dlm_lock);
}
