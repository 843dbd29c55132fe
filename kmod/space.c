// SPDX-License-Identifier: GPL-2.0
/*
 * Lockspaces: named ones with SysV-IPC-like ownership and permission bits,
 * and one default lockspace per uid. Both are per user and IPC namespace.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/jhash.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "class.h"
#include "cluster.h"
#include "events.h"
#include "params.h"
#include "request.h"
#include "space.h"
#include "space_table.h"
#include "space_levels.h"
#include "stats.h"
#include "table.h"
#include "user.h"

#ifndef CONFIG_POSIX_MQUEUE
#error "lockdev tells IPC namespaces apart by their mqueue mounts: CONFIG_POSIX_MQUEUE"
#endif

/* Guards the lockspaces, their user namespaces and ld_retired (locking.h). */
DEFINE_MUTEX(ld_spaces_mutex);
/* The lockspaces in their namespaces, for lookups. ld_spaces_mutex. */
DEFINE_HASHTABLE(ld_spaces, LD_SPACES_BITS);
/*
 * Every lockspace by its id, for walks (ld_space_next()), with the xarray's
 * own lock: an id is reserved without ld_spaces_mutex (ld_space_prep()),
 * and a lockspace stored or erased under it.
 */
static DEFINE_XARRAY_ALLOC(ld_space_ids);
static u32 ld_space_id_next;
/*
 * Removed lockspaces the collector has yet to reap (ld_space.node): out of
 * ld_spaces, so that lookups and walks of those in their namespaces do not
 * meet them, however many sessions or readers keep. ld_spaces_mutex.
 */
static HLIST_HEAD(ld_retired);

/*
 * struct ld_userns - the user namespace of one or more lockspaces
 * @node: in ld_userns_table. ld_spaces_mutex.
 * @ns: the namespace; the one reference lockdev holds to it.
 * @spaces: lockspaces in it. ld_spaces_mutex.
 *
 * One reference for all of them, so that the collector can tell that
 * nothing but lockdev holds the namespace: its count is then 1.
 */
struct ld_userns {
	struct hlist_node node;
	struct user_namespace *ns;
	unsigned int spaces;
};

static DEFINE_HASHTABLE(ld_userns_table, 6);

static void ld_space_gc_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(ld_space_gc, ld_space_gc_fn);
/* How often idle lockspaces are checked for a namespace that went away. */
#define LD_SPACE_GC_PERIOD	(10 * HZ)

/* Is the IPC namespace whose mount @mnt is (and is referenced) alive? */
static bool ld_ipc_alive(const struct vfsmount *mnt)
{
	return READ_ONCE(mnt->mnt_sb->s_fs_info);
}

static u32 ld_space_hash(const struct user_namespace *user_ns,
			 const struct vfsmount *ipc, bool is_default,
			 kuid_t uid, const u8 *name, u32 len)
{
	u32 seed = jhash_3words((u32)(unsigned long)user_ns,
				(u32)(unsigned long)ipc, is_default, 0);

	if (is_default)
		return jhash_1word(__kuid_val(uid), seed);
	return jhash(name, len, seed);
}

static bool ld_space_match(const struct ld_space *space,
			   const struct user_namespace *user_ns,
			   const struct vfsmount *ipc, bool is_default,
			   kuid_t uid, const u8 *name, u32 len)
{
	lockdep_assert_held(&ld_spaces_mutex);
	if (space->user_ns != user_ns || space->ipc != ipc ||
	    space->is_default != is_default || space->removed)
		return false;
	if (is_default)
		return uid_eq(space->uid, uid);
	return space->name_len == len && !memcmp(space->name, name, len);
}

/* Find a lockspace and take a reference; ld_spaces_mutex held. */
static struct ld_space *ld_space_find(u32 hash,
				      const struct user_namespace *user_ns,
				      const struct vfsmount *ipc,
				      bool is_default, kuid_t uid,
				      const u8 *name, u32 len)
{
	struct ld_space *space;

	lockdep_assert_held(&ld_spaces_mutex);
	hash_for_each_possible(ld_spaces, space, node, hash) {
		if (ld_space_match(space, user_ns, ipc, is_default, uid,
				   name, len)) {
			refcount_inc(&space->ref);
			return space;
		}
	}
	return NULL;
}

/*
 * A session is about to bind to @space, found under the mutex: from here
 * on REMOVE without FORCE fails, and the collector leaves @space alone.
 */
static void ld_space_enter(struct ld_space *space)
{
	lockdep_assert_held(&ld_spaces_mutex);
	atomic_inc(&space->sessions);
}

/*
 * @space leaves its namespace for good (REMOVE, a replacing CREATE, the
 * collector, which also calls it for a removed lockspace it reaps, to take
 * it off ld_retired): from now on it no longer counts in its creator's
 * lockspaces,
 * though it stays while sessions, kept reports or readers of /proc hold it,
 * which its creator may not control; nor is it in ld_spaces any more, where
 * the idle bound looks, so once ld_spaces_mutex is dropped the caller drops
 * its idle locks, and it keeps none from then on (ld_space_trim_if()). Its
 * other locks and its classes go when the collector reaps it, once no
 * session is attached.
 */
static void ld_space_retire(struct ld_space *space)
{
	lockdep_assert_held(&ld_spaces_mutex);
	/* Out of ld_spaces, or of ld_retired once the collector reaps it. */
	hash_del(&space->node);
	if (!space->reaped)
		hlist_add_head(&space->node, &ld_retired);
	if (space->retired)
		return;
	space->retired = true;
	if (space->creator)
		atomic_dec(&space->creator->spaces);
}

/*
 * Count one more lockspace in @ns, referencing it for the first with
 * *@spare, which is then used and set to NULL.
 */
static void ld_userns_get(struct user_namespace *ns, struct ld_userns **spare)
{
	struct ld_userns *u;

	lockdep_assert_held(&ld_spaces_mutex);
	hash_for_each_possible(ld_userns_table, u, node, (unsigned long)ns) {
		if (u->ns == ns) {
			u->spaces++;
			return;
		}
	}
	u = *spare;
	*spare = NULL;
	u->ns = get_user_ns(ns);
	u->spaces = 1;
	hash_add(ld_userns_table, &u->node, (unsigned long)ns);
}

/* Count one lockspace less in @ns, dropping the reference after the last. */
static void ld_userns_put(struct user_namespace *ns)
{
	struct ld_userns *u;

	lockdep_assert_held(&ld_spaces_mutex);
	hash_for_each_possible(ld_userns_table, u, node, (unsigned long)ns) {
		if (u->ns != ns)
			continue;
		if (--u->spaces)
			return;
		hash_del(&u->node);
		put_user_ns(u->ns);
		kfree(u);
		return;
	}
	WARN_ON_ONCE(1);
}

/*
 * struct ld_space_prep - what making a lockspace allocates, allocated
 *	before ld_spaces_mutex is taken (ld_space_prep()): a caller whose
 *	memory cgroup is at its limit reclaims without holding up every other
 *	user's ATTACH
 * @space: the lockspace, zeroed but for its name, with its id reserved in
 *	ld_space_ids.
 * @uns: for ld_userns_get(), should its user namespace be new.
 * @user: the caller's uid accounting, referenced.
 *
 * ld_space_create() takes what it uses; ld_space_unprep() frees the rest.
 */
struct ld_space_prep {
	struct ld_space *space;
	struct ld_userns *uns;
	struct ld_user *user;
};

static void ld_space_unprep(struct ld_space_prep *prep)
{
	if (prep->space) {
		xa_erase(&ld_space_ids, prep->space->id);
		kfree(prep->space);
	}
	kfree(prep->uns);
	if (prep->user)
		ld_user_put(prep->user);
	memset(prep, 0, sizeof(*prep));
}

/*
 * Fill @prep for a lockspace named @name (NULL for a default one), to be
 * created by a task with @cred.
 */
static int ld_space_prep(struct ld_space_prep *prep, const struct cred *cred,
			 const u8 *name, u32 len)
{
	struct ld_space *space;

	might_sleep();
	prep->user = ld_user_get(cred);
	prep->uns = kzalloc(sizeof(*prep->uns), GFP_KERNEL_ACCOUNT);
	space = kzalloc(struct_size(space, name, len), GFP_KERNEL_ACCOUNT);
	if (!prep->user || !prep->uns || !space)
		goto err;
	/* Reserved: walks do not meet it before it is whole. */
	if (xa_alloc_cyclic(&ld_space_ids, &space->id, NULL, xa_limit_32b,
			    &ld_space_id_next, GFP_KERNEL_ACCOUNT) < 0)
		goto err;
	space->name_len = len;
	memcpy(space->name, name, len);
	prep->space = space;
	return 0;

err:
	kfree(space);
	ld_space_unprep(prep);
	return -ENOMEM;
}

/*
 * Make the lockspace of @prep, owned by @cred, charged to its uid, and put
 * it in the table: a named one, or if @is_default the uid's default one.
 * Sets *@err to -EDQUOT, or -ENOMEM, when it returns NULL.
 */
static struct ld_space *ld_space_create(const struct cred *cred,
					struct ld_space_prep *prep,
					bool is_default, umode_t mode,
					u32 hash, int *err)
{
	struct ld_space *space = prep->space;

	lockdep_assert_held(&ld_spaces_mutex);
	if (!ld_user_charge(&prep->user->spaces,
			    READ_ONCE(ld_max_spaces_per_user))) {
		*err = -EDQUOT;
		return NULL;
	}
	/* The id was reserved: storing it allocates nothing. */
	if (xa_is_err(xa_store(&ld_space_ids, space->id, space, GFP_NOWAIT))) {
		atomic_dec(&prep->user->spaces);
		*err = -ENOMEM;
		return NULL;
	}
	ld_userns_get(current_user_ns(), &prep->uns);
	refcount_set(&space->ref, 1);
	atomic_set(&space->locks, 0);
	INIT_LIST_HEAD(&space->classes);
	mutex_init(&space->graph_mutex);
	init_llist_head(&space->released);
	init_llist_head(&space->released_async);
	spin_lock_init(&space->lru_lock);
	INIT_LIST_HEAD(&space->busy);
	INIT_LIST_HEAD(&space->idle);
	space->user_ns = current_user_ns();
	space->ipc = mntget(ld_current_ipc());
	space->is_default = is_default;
	space->uid = cred->euid;
	space->gid = cred->egid;
	space->mode = mode;
	space->order_mode = LOCKDEV_ORDER_STRICT;
	space->creator = prep->user;
	prep->user = NULL;
	prep->space = NULL;
	hash_add(ld_spaces, &space->node, hash);
	ld_stat_inc(spaces);
	ld_stat_add(memory, ksize(space));
	return space;
}

/**
 * ld_space_attach() - find or create a named lockspace
 * @name: its name
 * @len: the name's length, 1 to LOCKDEV_NAME_MAX
 * @flags: LOCKDEV_ATTACH_* flags
 * @mode: permission bits for a new lockspace
 * @spacep: the lockspace, referenced and entered (ld_space_enter()), on
 *	success: the caller binds a session to it, or leaves it
 * @permsp: the caller's LD_MAY_* permissions on it, on success
 *
 * Return: 0, -ENOENT (missing with NOCREATE), -EACCES (no permission),
 * -EDQUOT (the caller's lockspace limit) or -ENOMEM.
 */
int ld_space_attach(const u8 *name, u32 len, u32 flags, umode_t mode,
		    struct ld_space **spacep, unsigned int *permsp)
{
	struct user_namespace *user_ns = current_user_ns();
	struct vfsmount *ipc = ld_current_ipc();
	const struct cred *cred = current_cred();
	u32 hash = ld_space_hash(user_ns, ipc, false, GLOBAL_ROOT_UID,
				 name, len);
	struct ld_space_prep prep = {};
	struct ld_space *space;
	unsigned int perms;
	int ret = 0;

	for (;;) {
		mutex_lock(&ld_spaces_mutex);
		space = ld_space_find(hash, user_ns, ipc, false,
				      GLOBAL_ROOT_UID, name, len);
		if (space || (flags & LOCKDEV_ATTACH_NOCREATE) || prep.space)
			break;
		mutex_unlock(&ld_spaces_mutex);
		ret = ld_space_prep(&prep, cred, name, len);
		if (ret)
			return ret;
	}
	if (!space) {
		if (flags & LOCKDEV_ATTACH_NOCREATE) {
			ret = -ENOENT;
			goto out;
		}
		space = ld_space_create(cred, &prep, false, mode, hash, &ret);
		if (!space)
			goto out;
	}
	perms = ld_space_perms(space, cred, NULL);
	if (!perms) {
		mutex_unlock(&ld_spaces_mutex);
		ld_space_unprep(&prep);
		ld_space_put(space);
		return -EACCES;
	}
	/* Under the mutex: REMOVE and the collector see the session. */
	ld_space_enter(space);
	*spacep = space;
	*permsp = perms;
out:
	mutex_unlock(&ld_spaces_mutex);
	ld_space_unprep(&prep);
	return ret;
}

/**
 * ld_space_default() - find or create the default lockspace of a uid
 * @cred: credentials whose effective uid names it
 * @spacep: the lockspace, referenced and entered, on success, as
 *	ld_space_attach() gives it
 *
 * A default lockspace counts against the uid's lockspace limit as a named
 * one does.
 *
 * Return: 0, -EDQUOT (the uid's lockspace limit) or -ENOMEM.
 */
int ld_space_default(const struct cred *cred, struct ld_space **spacep)
{
	struct user_namespace *user_ns = current_user_ns();
	struct vfsmount *ipc = ld_current_ipc();
	u32 hash = ld_space_hash(user_ns, ipc, true, cred->euid, NULL, 0);
	struct ld_space_prep prep = {};
	struct ld_space *space;
	int ret = 0;

	for (;;) {
		mutex_lock(&ld_spaces_mutex);
		space = ld_space_find(hash, user_ns, ipc, true, cred->euid,
				      NULL, 0);
		if (space || prep.space)
			break;
		mutex_unlock(&ld_spaces_mutex);
		ret = ld_space_prep(&prep, cred, NULL, 0);
		if (ret)
			return ret;
	}
	if (!space)
		space = ld_space_create(cred, &prep, true, 0600, hash, &ret);
	if (space) {
		ld_space_enter(space);
		*spacep = space;
	}
	mutex_unlock(&ld_spaces_mutex);
	ld_space_unprep(&prep);
	return ret;
}

/*
 * The owner, group and mode a CREATE or SET gives, each if set_ says so,
 * and the order mode default unless it is 0.
 */
struct ld_space_ids {
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	u32 order_mode;
	bool set_uid;
	bool set_gid;
	bool set_mode;
};

/* Decode @c's ids in the caller's user namespace: -EINVAL if unmapped. */
static int ld_space_ids_get(const struct lockdev_space_ctl *c,
			    struct ld_space_ids *ids)
{
	struct user_namespace *ns = current_user_ns();

	ids->set_uid = c->uid != LOCKDEV_SPACE_KEEP;
	ids->set_gid = c->gid != LOCKDEV_SPACE_KEEP;
	ids->set_mode = c->mode != LOCKDEV_SPACE_KEEP;
	ids->uid = make_kuid(ns, c->uid);
	ids->gid = make_kgid(ns, c->gid);
	ids->mode = ids->set_mode ? c->mode : 0;
	ids->order_mode = c->order_mode;
	return (ids->set_uid && !uid_valid(ids->uid)) ||
	       (ids->set_gid && !gid_valid(ids->gid)) ? -EINVAL : 0;
}

/*
 * May the caller give @space (NULL for a new one) the owner and group of
 * @ids? A uid other than its effective one, or a group it is not in, needs
 * CAP_CHOWN in its user namespace, unless @space has that one already.
 */
static bool ld_space_may_chown(const struct ld_space *space,
			       const struct ld_space_ids *ids)
{
	const struct cred *cred = current_cred();
	bool uid_ok, gid_ok;

	uid_ok = !ids->set_uid || uid_eq(ids->uid, cred->euid) ||
		 (space && uid_eq(ids->uid, space->uid));
	gid_ok = !ids->set_gid || ld_cred_in_group(cred, ids->gid) ||
		 (space && gid_eq(ids->gid, space->gid));
	return (uid_ok && gid_ok) || ns_capable(current_user_ns(), CAP_CHOWN);
}

/* May the caller change or remove @space: its owner, or CAP_SYS_ADMIN. */
static bool ld_space_may_admin(const struct ld_space *space)
{
	return uid_eq(current_euid(), space->uid) ||
	       ns_capable(space->user_ns, CAP_SYS_ADMIN);
}

static void ld_space_set_ids(struct ld_space *space,
			     const struct ld_space_ids *ids)
{
	lockdep_assert_held(&ld_spaces_mutex);
	if (ids->set_uid)
		WRITE_ONCE(space->uid, ids->uid);
	if (ids->set_gid)
		WRITE_ONCE(space->gid, ids->gid);
	if (ids->set_mode)
		WRITE_ONCE(space->mode, ids->mode);
	if (ids->order_mode)
		WRITE_ONCE(space->order_mode, ids->order_mode);
}

/*
 * After REMOVE or a replacing CREATE retired @space, referenced, and
 * ld_spaces_mutex was dropped: drop its idle locks, out of the idle
 * bound's sight now; if removed by force, end its waits and say so; and
 * have the collector drop its owner-died locks at once.
 */
static void ld_space_removed(struct ld_space *space, bool force)
{
	ld_space_trim(space, 0, false);
	if (force) {
		ld_lock_space_abort(space);
		ld_event_space_removed(space);
	}
	mod_delayed_work(system_wq, &ld_space_gc, 0);
}

/*
 * LOCKDEV_SPACE_CREATE: a new persistent lockspace, its reference its own.
 * With LOCKDEV_SPACE_REPLACE it takes the place of a transient one of the
 * name, which is removed as by REMOVE with LOCKDEV_SPACE_FORCE in the same
 * hold of ld_spaces_mutex, so that no ATTACH creates the name in between;
 * if the new one cannot be made, the old one stays.
 */
static int ld_space_ctl_create(const u8 *name, u32 len, u32 hash,
			       const struct lockdev_space_ctl *c,
			       const u8 *cluster,
			       const struct ld_space_ids *ids)
{
	const struct cred *cred = current_cred();
	struct ld_space_prep prep = {};
	struct ld_cl_space *cs = NULL;
	struct ld_space *space, *old;
	u32 flags = c->flags;
	int ret;

	if (!ns_capable(current_user_ns(), CAP_SYS_ADMIN) ||
	    !ld_space_may_chown(NULL, ids))
		return -EPERM;
	/* A DLM lockspace is the host's, whatever the namespaces. */
	if ((flags & LOCKDEV_SPACE_CLUSTER) &&
	    (!capable(CAP_SYS_ADMIN) || current_user_ns() != &init_user_ns ||
	     !ld_current_in_init_ipc()))
		return -EPERM;
	ret = ld_space_prep(&prep, cred, name, len);
	if (ret)
		return ret;
	if (flags & LOCKDEV_SPACE_CLUSTER) {
		/* Without ld_spaces_mutex: joining waits for the cluster. */
		ret = ld_cl_space_join(name, len, cluster, c->cluster_len,
				       &cs);
		if (ret) {
			ld_space_unprep(&prep);
			return ret;
		}
		prep.space->cl = cs;
	}
	mutex_lock(&ld_spaces_mutex);
	old = ld_space_find(hash, current_user_ns(), ld_current_ipc(), false,
			    GLOBAL_ROOT_UID, name, len);
	if (old && (old->persistent || !(flags & LOCKDEV_SPACE_REPLACE))) {
		mutex_unlock(&ld_spaces_mutex);
		ld_space_unprep(&prep);
		ld_space_put(old);
		if (cs)
			ld_cl_space_put(cs);
		return -EEXIST;
	}
	space = ld_space_create(cred, &prep, false, ids->mode, hash, &ret);
	if (!space && cs)
		ld_cl_space_put(cs);
	if (space) {
		ld_space_set_ids(space, ids);
		space->persistent = true;
		if (old) {
			WRITE_ONCE(old->removed, true);
			ld_space_retire(old);
		}
	}
	mutex_unlock(&ld_spaces_mutex);
	ld_space_unprep(&prep);
	if (old && space)
		ld_space_removed(old, true);
	if (old)
		ld_space_put(old);
	/* Without a session, only the collector sees its namespaces go. */
	if (space)
		queue_delayed_work(system_wq, &ld_space_gc, LD_SPACE_GC_PERIOD);
	return ret;
}

/* LOCKDEV_SPACE_SET under ld_spaces_mutex; *@unpersist if it stopped being. */
static int ld_space_ctl_set(struct ld_space *space, u32 flags,
			    const struct ld_space_ids *ids, bool *unpersist)
{
	lockdep_assert_held(&ld_spaces_mutex);
	if (!ld_space_may_admin(space) || !ld_space_may_chown(space, ids))
		return -EPERM;
	if ((flags & LOCKDEV_SPACE_PERSISTENT) &&
	    !ns_capable(current_user_ns(), CAP_SYS_ADMIN))
		return -EPERM;
	ld_space_set_ids(space, ids);
	if ((flags & LOCKDEV_SPACE_PERSISTENT) && !space->persistent) {
		refcount_inc(&space->ref);
		WRITE_ONCE(space->persistent, true);
	}
	if ((flags & LOCKDEV_SPACE_TRANSIENT) && space->persistent) {
		WRITE_ONCE(space->persistent, false);
		*unpersist = true;
	}
	return 0;
}

/* LOCKDEV_SPACE_REMOVE under ld_spaces_mutex, as ld_space_ctl_set(). */
static int ld_space_ctl_remove(struct ld_space *space, u32 flags,
			       bool *unpersist)
{
	lockdep_assert_held(&ld_spaces_mutex);
	if (!ld_space_may_admin(space))
		return -EPERM;
	if (!(flags & LOCKDEV_SPACE_FORCE) && atomic_read(&space->sessions))
		return -EBUSY;
	WRITE_ONCE(space->removed, true);
	ld_space_retire(space);
	if (space->persistent) {
		WRITE_ONCE(space->persistent, false);
		*unpersist = true;
	}
	return 0;
}

/*
 * @space, referenced, is no longer persistent: drop the idle locks it kept
 * unless a session is attached (the last to leave does), then its own
 * reference.
 */
static void ld_space_unpersist(struct ld_space *space)
{
	/* Pairs with atomic_dec_and_test() in ld_space_leave(). */
	smp_mb();
	if (!atomic_read(&space->sessions))
		ld_space_trim(space, 0, false);
	ld_space_put(space);
}

/*
 * SET, REMOVE or LEVEL of @c on @space, under ld_spaces_mutex; a LEVEL may
 * ask for more @room with -EAGAIN (ld_space_level_set()).
 */
static int ld_space_ctl_op(struct ld_space *space,
			   const struct lockdev_space_ctl *c,
			   const struct ld_space_ids *ids, const u8 *prefix,
			   struct ld_levels **room, bool *unpersist)
{
	lockdep_assert_held(&ld_spaces_mutex);
	switch (c->op) {
	case LOCKDEV_SPACE_SET:
		return ld_space_ctl_set(space, c->flags, ids, unpersist);
	case LOCKDEV_SPACE_LEVEL:
		if (!ld_space_may_admin(space))
			return -EPERM;
		return ld_space_level_set(space, prefix, c->prefix_len,
					  c->level, room);
	default:
		return ld_space_ctl_remove(space, c->flags, unpersist);
	}
}

/**
 * ld_space_ctl() - LOCKDEV_IOC_SPACE: create, change or remove a lockspace
 * @name: its name
 * @len: the name's length, 1 to LOCKDEV_NAME_MAX
 * @c: the request, whose op, flags, mode, order mode and prefix length the
 *	caller checked
 * @more: the prefix of a LEVEL, or the cluster name of a CREATE with
 *	LOCKDEV_SPACE_CLUSTER, copied in
 *
 * Context: may sleep.
 * Return: 0 or a negative errno of the uapi header's list.
 */
int ld_space_ctl(const u8 *name, u32 len, const struct lockdev_space_ctl *c,
		 const u8 *more)
{
	struct user_namespace *user_ns = current_user_ns();
	struct vfsmount *ipc = ld_current_ipc();
	u32 hash = ld_space_hash(user_ns, ipc, false, GLOBAL_ROOT_UID,
				 name, len);
	struct ld_levels *room = NULL;
	bool unpersist = false;
	struct ld_space_ids ids = {};
	struct ld_space *space;
	int ret = 0;

	if (c->op == LOCKDEV_SPACE_CREATE || c->op == LOCKDEV_SPACE_SET)
		ret = ld_space_ids_get(c, &ids);
	if (ret)
		return ret;
	if (c->op == LOCKDEV_SPACE_CREATE)
		return ld_space_ctl_create(name, len, hash, c, more, &ids);
again:
	mutex_lock(&ld_spaces_mutex);
	space = ld_space_find(hash, user_ns, ipc, false, GLOBAL_ROOT_UID,
			      name, len);
	if (!space) {
		mutex_unlock(&ld_spaces_mutex);
		kfree(room);
		return -ENOENT;
	}
	ret = ld_space_ctl_op(space, c, &ids, more, &room, &unpersist);
	mutex_unlock(&ld_spaces_mutex);
	if (ret == -EAGAIN && c->op == LOCKDEV_SPACE_LEVEL) {
		/* Allocated without the mutex, then looked at again. */
		ret = ld_space_level_room(space, &room);
		ld_space_put(space);
		if (!ret)
			goto again;
		return ret;
	}
	kfree(room);
	if (!ret && c->op == LOCKDEV_SPACE_REMOVE)
		ld_space_removed(space, c->flags & LOCKDEV_SPACE_FORCE);
	if (unpersist)
		ld_space_unpersist(space);
	ld_space_put(space);
	return ret;
}

/**
 * ld_spaces_lock() - ld_spaces_mutex, for lockdep_is_held() elsewhere
 *
 * Return: the mutex.
 */
struct mutex *ld_spaces_lock(void)
{
	return &ld_spaces_mutex;
}

/**
 * ld_space_get() - take another reference to a lockspace
 * @space: the lockspace, already referenced by the caller
 */
void ld_space_get(struct ld_space *space)
{
	refcount_inc(&space->ref);
}

/**
 * ld_space_put() - drop a reference; the last one frees the lockspace
 * @space: the lockspace
 *
 * Context: may sleep.
 */
void ld_space_put(struct ld_space *space)
{
	if (!refcount_dec_and_mutex_lock(&space->ref, &ld_spaces_mutex))
		return;
	hash_del(&space->node);
	xa_erase(&ld_space_ids, space->id);
	ld_userns_put(space->user_ns);
	mutex_unlock(&ld_spaces_mutex);
	ld_stat_dec(spaces);
	ld_stat_add(memory, -(long)ksize(space));
	/* Before the creator goes: its uid names the classes' budget. */
	ld_class_space_free(space);
	ld_space_levels_free(space);
	ld_req_spare_free(space->spare);
	if (space->creator) {
		if (!space->retired)
			atomic_dec(&space->creator->spaces);
		ld_user_put(space->creator);
	}
	mutex_destroy(&space->graph_mutex);
	mntput(space->ipc);
	if (space->cl && !space->cl_left)
		ld_cl_space_put(space->cl);
	kfree(space);
}

/**
 * ld_space_next() - walk the lockspaces
 * @prev: the lockspace the walk is at, referenced by the caller (who keeps
 *	that reference), or NULL to start
 *
 * A lockspace that exists for the whole walk is met once; one created
 * meanwhile may be missed. Linear in the lockspaces over a whole walk.
 *
 * Context: may sleep.
 * Return: the next lockspace, referenced, or NULL at the end.
 */
struct ld_space *ld_space_next(struct ld_space *prev)
{
	unsigned long id = prev ? prev->id + 1UL : 0;
	struct ld_space *space;

	mutex_lock(&ld_spaces_mutex);
	/* A lockspace in the xarray is freed only under the mutex. */
	xa_for_each_start(&ld_space_ids, id, space, id)
		if (refcount_inc_not_zero(&space->ref))
			break;
	mutex_unlock(&ld_spaces_mutex);
	return space;
}

/**
 * ld_space_leave() - a session bound to a lockspace goes
 * @space: the lockspace, still referenced by the session
 *
 * The last session to go frees the lockspace's spare request, and drops
 * the idle locks of a lockspace that is not persistent, which live as long
 * as it does. The lockspace may now be kept only by owner-died locks, or be
 * persistent: have the collector look at it, at once if it was removed
 * (nobody can attach to it again), so that it and a cluster lockspace's
 * DLM lockspace go with its last session, not a period later.
 *
 * Context: may sleep.
 */
void ld_space_leave(struct ld_space *space)
{
	/* Fully ordered: pairs with the barrier of ld_space_unpersist(). */
	if (!atomic_dec_and_test(&space->sessions))
		return;
	ld_req_spare_free(xchg(&space->spare, NULL));
	if (!READ_ONCE(space->persistent))
		ld_space_trim(space, 0, false);
	if (READ_ONCE(space->removed))
		mod_delayed_work(system_wq, &ld_space_gc, 0);
	else
		queue_delayed_work(system_wq, &ld_space_gc,
				   LD_SPACE_GC_PERIOD);
}

/*
 * Can a session still reach @space? Not once it was removed, nor once its
 * IPC namespace went, nor
 * once nothing but lockdev's one reference (struct ld_userns) holds its
 * user namespace: no task can be in that namespace again.
 */
static bool ld_space_reachable(const struct ld_space *space)
{
	return !space->removed && ld_ipc_alive(space->ipc) &&
	       refcount_read(&space->user_ns->ns.count) > 1;
}

/*
 * The collector's look at @space, ld_spaces_mutex held: false if it must
 * look again later. It takes every unreachable lockspace, onto @dead by
 * its node (off ld_spaces and ld_retired once reaped), with a reference
 * (a persistent one's own), and retires it.
 */
static bool ld_space_gc_look(struct ld_space *space, struct hlist_head *dead)
{
	lockdep_assert_held(&ld_spaces_mutex);
	if (space->reaped || atomic_read(&space->sessions))
		return true;
	if (ld_space_reachable(space))
		return false;
	if (space->persistent)
		WRITE_ONCE(space->persistent, false);
	else if (!refcount_inc_not_zero(&space->ref))
		return false;
	/* Nobody attaches to it again: no lock of it comes back. */
	space->reaped = true;
	ld_space_retire(space);
	hlist_add_head(&space->node, dead);
	return true;
}

/*
 * The collector: every lockspace with no session attached is persistent or
 * kept only by its locks, and those are owner-died locks. Once nobody can
 * attach to it again they can never be told or cleared, so they are
 * dropped, and the lockspace with them: a persistent one gives up its own
 * reference, which the collector takes over. It looks at the lockspaces
 * in their namespaces (ld_spaces), whose namespaces may have gone, and at
 * the removed ones (ld_retired). A lockspace it reaped may stay until its
 * last reference goes (a kept report's, a reader's of /proc); it is on
 * neither list, so that it neither stalls the collection of the others nor
 * keeps the collector running. Runs while such lockspaces exist. A run
 * reaps every lockspace it finds unreachable: its cost is linear in the
 * number of lockspaces and their locks, in a work item, with no lock held
 * across lockspaces but the table's mutex, for one walk of the lists.
 */
static void ld_space_gc_fn(struct work_struct *work)
{
	struct ld_space *space;
	struct hlist_node *tmp;
	bool again = false;
	HLIST_HEAD(dead);
	int bkt;

	mutex_lock(&ld_spaces_mutex);
	hash_for_each_safe(ld_spaces, bkt, tmp, space, node)
		again |= !ld_space_gc_look(space, &dead);
	hlist_for_each_entry_safe(space, tmp, &ld_retired, node)
		again |= !ld_space_gc_look(space, &dead);
	mutex_unlock(&ld_spaces_mutex);
	/* Each is referenced: its last put, which unhashes it, is not yet. */
	hlist_for_each_entry_safe(space, tmp, &dead, node) {
		hlist_del_init(&space->node);
		ld_lock_space_reap(space);
		/* No lock is left to have a class, nor session to learn one. */
		ld_class_space_free(space);
		/* Nor to need the DLM: leave it now, not with a kept report. */
		if (space->cl) {
			space->cl_left = true;
			ld_cl_space_put(space->cl);
		}
		ld_space_put(space);
		cond_resched();
	}
	if (again)
		queue_delayed_work(system_wq, &ld_space_gc, LD_SPACE_GC_PERIOD);
}

/* A persistent lockspace, whose own reference the caller takes over. */
static struct ld_space *ld_space_unpersist_any(void)
{
	struct ld_space *space, *found = NULL;
	int bkt;

	mutex_lock(&ld_spaces_mutex);
	hash_for_each(ld_spaces, bkt, space, node)
		if (space->persistent)
			found = space;
	if (found)
		WRITE_ONCE(found->persistent, false);
	mutex_unlock(&ld_spaces_mutex);
	return found;
}

/**
 * ld_space_exit() - stop the collector at unload, and drop the persistent
 * lockspaces with their idle locks (owner-died ones go with the table)
 */
void ld_space_exit(void)
{
	struct ld_space *space;

	cancel_delayed_work_sync(&ld_space_gc);
	while ((space = ld_space_unpersist_any())) {
		ld_space_trim(space, 0, false);
		ld_space_put(space);
	}
}
