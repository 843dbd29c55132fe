// SPDX-License-Identifier: GPL-2.0
/*
 * Lockspaces: named ones with SysV-IPC-like ownership and permission bits,
 * and one default lockspace per uid. Both are per user and IPC namespace.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/ipc_namespace.h>
#include <linux/jhash.h>
#include <linux/nsproxy.h>
#include <linux/proc_ns.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "lockdev.h"

static DEFINE_MUTEX(ld_spaces_mutex);
static DEFINE_HASHTABLE(ld_spaces, 8);

/* The IPC namespace of the calling task. */
static struct ipc_namespace *ld_current_ipc_ns(void)
{
	return current->nsproxy->ipc_ns;
}

static u32 ld_space_hash(const struct user_namespace *user_ns,
			 const struct ipc_namespace *ipc_ns, bool is_default,
			 kuid_t uid, const u8 *name, u32 len)
{
	u32 seed = jhash_3words((u32)(unsigned long)user_ns,
				(u32)(unsigned long)ipc_ns, is_default, 0);

	if (is_default)
		return jhash_1word(__kuid_val(uid), seed);
	return jhash(name, len, seed);
}

static bool ld_space_match(const struct ld_space *space,
			   const struct user_namespace *user_ns,
			   const struct ipc_namespace *ipc_ns, bool is_default,
			   kuid_t uid, const u8 *name, u32 len)
{
	if (space->user_ns != user_ns || space->ipc_ns != ipc_ns ||
	    space->ipc_ns_inum != ipc_ns->ns.inum ||
	    space->is_default != is_default)
		return false;
	if (is_default)
		return uid_eq(space->uid, uid);
	return space->name_len == len && !memcmp(space->name, name, len);
}

/* Find a lockspace and take a reference; ld_spaces_mutex held. */
static struct ld_space *ld_space_find(u32 hash,
				      const struct user_namespace *user_ns,
				      const struct ipc_namespace *ipc_ns,
				      bool is_default, kuid_t uid,
				      const u8 *name, u32 len)
{
	struct ld_space *space;

	lockdep_assert_held(&ld_spaces_mutex);
	hash_for_each_possible(ld_spaces, space, node, hash) {
		if (ld_space_match(space, user_ns, ipc_ns, is_default, uid,
				   name, len)) {
			refcount_inc(&space->ref);
			return space;
		}
	}
	return NULL;
}

static struct ld_space *ld_space_alloc(const u8 *name, u32 len)
{
	struct ld_space *space;

	space = kzalloc(struct_size(space, name, len), GFP_KERNEL_ACCOUNT);
	if (!space)
		return NULL;
	refcount_set(&space->ref, 1);
	atomic_set(&space->locks, 0);
	INIT_LIST_HEAD(&space->classes);
	mutex_init(&space->graph_mutex);
	space->user_ns = get_user_ns(current_user_ns());
	space->ipc_ns = ld_current_ipc_ns();
	space->ipc_ns_inum = ld_current_ipc_ns()->ns.inum;
	space->name_len = len;
	memcpy(space->name, name, len);
	return space;
}

static void ld_space_add(struct ld_space *space, u32 hash)
{
	lockdep_assert_held(&ld_spaces_mutex);
	hash_add(ld_spaces, &space->node, hash);
	ld_stat_inc(spaces);
	ld_stat_add(memory, ksize(space));
}

/* SysV-style permission bits of @cred on a named @space. */
static unsigned int ld_space_perms(const struct ld_space *space,
				   const struct cred *cred)
{
	unsigned int granted = space->mode;

	if (uid_eq(cred->euid, space->uid))
		granted >>= 6;
	else if (in_group_p(space->gid))
		granted >>= 3;
	granted &= LD_MAY_READ | LD_MAY_WRITE;
	if (granted != (LD_MAY_READ | LD_MAY_WRITE) &&
	    ns_capable(space->user_ns, CAP_IPC_OWNER))
		granted = LD_MAY_READ | LD_MAY_WRITE;
	return granted;
}

/**
 * ld_space_attach() - find or create a named lockspace
 * @name: its name
 * @len: the name's length, 1 to LOCKDEV_NAME_MAX
 * @flags: LOCKDEV_ATTACH_* flags
 * @mode: permission bits for a new lockspace
 * @spacep: the lockspace, referenced, on success
 * @permsp: the caller's LD_MAY_* permissions on it, on success
 *
 * Return: 0, -ENOENT (missing with NOCREATE), -EACCES (no permission),
 * -EDQUOT (the caller's lockspace limit) or -ENOMEM.
 */
int ld_space_attach(const u8 *name, u32 len, u32 flags, umode_t mode,
		    struct ld_space **spacep, unsigned int *permsp)
{
	struct user_namespace *user_ns = current_user_ns();
	struct ipc_namespace *ipc_ns = ld_current_ipc_ns();
	const struct cred *cred = current_cred();
	u32 hash = ld_space_hash(user_ns, ipc_ns, false, GLOBAL_ROOT_UID,
				 name, len);
	struct ld_space *space;
	struct ld_user *user;
	unsigned int perms;
	int ret = 0;

	mutex_lock(&ld_spaces_mutex);
	space = ld_space_find(hash, user_ns, ipc_ns, false, GLOBAL_ROOT_UID,
			      name, len);
	if (!space) {
		if (flags & LOCKDEV_ATTACH_NOCREATE) {
			ret = -ENOENT;
			goto out;
		}
		user = ld_user_get(cred->euid);
		if (!user) {
			ret = -ENOMEM;
			goto out;
		}
		if (!ld_user_charge(&user->spaces,
				    READ_ONCE(ld_max_spaces_per_user))) {
			ld_user_put(user);
			ret = -EDQUOT;
			goto out;
		}
		space = ld_space_alloc(name, len);
		if (!space) {
			atomic_dec(&user->spaces);
			ld_user_put(user);
			ret = -ENOMEM;
			goto out;
		}
		space->uid = cred->euid;
		space->gid = cred->egid;
		space->mode = mode;
		space->creator = user;
		ld_space_add(space, hash);
	}
	perms = ld_space_perms(space, cred);
	if (!perms) {
		mutex_unlock(&ld_spaces_mutex);
		ld_space_put(space);
		return -EACCES;
	}
	*spacep = space;
	*permsp = perms;
out:
	mutex_unlock(&ld_spaces_mutex);
	return ret;
}

/**
 * ld_space_default() - find or create the default lockspace of a uid
 * @cred: credentials whose effective uid names it
 * @spacep: the lockspace, referenced, on success
 *
 * Return: 0 or -ENOMEM.
 */
int ld_space_default(const struct cred *cred, struct ld_space **spacep)
{
	struct user_namespace *user_ns = current_user_ns();
	struct ipc_namespace *ipc_ns = ld_current_ipc_ns();
	u32 hash = ld_space_hash(user_ns, ipc_ns, true, cred->euid, NULL, 0);
	struct ld_space *space;
	int ret = 0;

	mutex_lock(&ld_spaces_mutex);
	space = ld_space_find(hash, user_ns, ipc_ns, true, cred->euid, NULL, 0);
	if (!space) {
		space = ld_space_alloc(NULL, 0);
		if (!space) {
			ret = -ENOMEM;
			goto out;
		}
		space->is_default = true;
		space->uid = cred->euid;
		space->gid = cred->egid;
		space->mode = 0600;
		ld_space_add(space, hash);
	}
	*spacep = space;
out:
	mutex_unlock(&ld_spaces_mutex);
	return ret;
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
	mutex_unlock(&ld_spaces_mutex);
	ld_stat_dec(spaces);
	ld_stat_add(memory, -(long)ksize(space));
	if (space->creator) {
		atomic_dec(&space->creator->spaces);
		ld_user_put(space->creator);
	}
	ld_class_space_free(space);
	mutex_destroy(&space->graph_mutex);
	put_user_ns(space->user_ns);
	kfree(space);
}

/**
 * ld_space_visible() - may the reader of /proc/lockdev/locks see a lockspace
 * @space: the lockspace
 * @cred: the reader's credentials
 *
 * Return: true for a lockspace of the reader's namespaces that it may read,
 * and for every lockspace if it has CAP_SYS_ADMIN in the initial user
 * namespace and is in the initial IPC namespace: the host's root.
 */
bool ld_space_visible(const struct ld_space *space, const struct cred *cred)
{
	if (ld_current_ipc_ns()->ns.inum == PROC_IPC_INIT_INO &&
	    ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN))
		return true;
	if (space->user_ns != cred->user_ns ||
	    space->ipc_ns != ld_current_ipc_ns())
		return false;
	if (space->is_default)
		return uid_eq(space->uid, cred->euid) ||
		       ns_capable_noaudit(space->user_ns, CAP_IPC_OWNER);
	return ld_space_perms(space, cred) & LD_MAY_READ;
}

/**
 * ld_escape() - print bytes with the escapes of /proc/lockdev/locks
 * @m: the seq_file
 * @s: the bytes
 * @len: how many
 *
 * Bytes outside 0x21-0x7e, the backslash and the tilde become a backslash and
 * three octal digits.
 */
void ld_escape(struct seq_file *m, const u8 *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (ld_escaped(s[i]))
			seq_printf(m, "\\%03o", s[i]);
		else
			seq_putc(m, s[i]);
	}
}

/**
 * ld_space_show_name() - print a lockspace's name as /proc shows it
 * @m: the seq_file
 * @space: the lockspace
 */
void ld_space_show_name(struct seq_file *m, const struct ld_space *space)
{
	if (space->is_default)
		seq_printf(m, "~%u", from_kuid_munged(seq_user_ns(m), space->uid));
	else
		ld_escape(m, space->name, space->name_len);
}
