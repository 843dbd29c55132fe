// SPDX-License-Identifier: GPL-2.0
/*
 * Per-uid accounting: one struct ld_user per uid that has a session or a
 * lockspace, holding the counters the limits apply to. The uid is the one
 * the limits count against (ld_user_accountable()).
 */
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "params.h"
#include "stats.h"
#include "user.h"

static DEFINE_MUTEX(ld_users_mutex);
static DEFINE_HASHTABLE(ld_users, 8);

/* The accounting of @uid, referenced, or NULL if it has none. */
static struct ld_user *ld_user_find(kuid_t uid)
{
	struct ld_user *user;

	lockdep_assert_held(&ld_users_mutex);
	hash_for_each_possible(ld_users, user, node, __kuid_val(uid)) {
		if (uid_eq(user->uid, uid)) {
			refcount_inc(&user->ref);
			return user;
		}
	}
	return NULL;
}

/**
 * ld_user_accountable() - the uid whose limits count what a task does
 * @cred: the task's credentials
 *
 * The effective uid; but in a user namespace that a uid other than root
 * created, or one below it, the outermost such creator. So a user's own
 * user namespaces, and the subordinate uids it maps in them (newuidmap),
 * share its limits instead of multiplying them. Namespaces that root
 * creates (containers) count each of their uids on its own.
 *
 * Return: the uid, in the initial user namespace.
 */
kuid_t ld_user_accountable(const struct cred *cred)
{
	const struct user_namespace *ns;
	kuid_t uid = cred->euid;

	for (ns = cred->user_ns; ns != &init_user_ns; ns = ns->parent)
		if (!uid_eq(ns->owner, GLOBAL_ROOT_UID))
			uid = ns->owner;
	return uid;
}

/**
 * ld_user_get() - find or create the accounting that counts a task's doings
 * @cred: the task's credentials
 *
 * That of ld_user_accountable(). A new one is allocated before
 * ld_users_mutex is taken again, so that no caller reclaims memory while
 * every opener of the device waits for it.
 *
 * Return: a reference, or NULL when out of memory.
 */
struct ld_user *ld_user_get(const struct cred *cred)
{
	kuid_t uid = ld_user_accountable(cred);
	struct ld_user *user, *spare;

	mutex_lock(&ld_users_mutex);
	user = ld_user_find(uid);
	mutex_unlock(&ld_users_mutex);
	if (user)
		return user;
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!spare)
		return NULL;
	spare->uid = uid;
	refcount_set(&spare->ref, 1);
	mutex_lock(&ld_users_mutex);
	user = ld_user_find(uid);
	if (!user) {
		hash_add(ld_users, &spare->node, __kuid_val(uid));
		user = spare;
	}
	mutex_unlock(&ld_users_mutex);
	if (user == spare)
		ld_stat_add(memory, ksize(user));
	else
		kfree(spare);
	return user;
}

/**
 * ld_user_put() - drop a reference taken by ld_user_get()
 * @user: the accounting
 */
void ld_user_put(struct ld_user *user)
{
	if (!refcount_dec_and_mutex_lock(&user->ref, &ld_users_mutex))
		return;
	hash_del(&user->node);
	mutex_unlock(&ld_users_mutex);
	ld_stat_add(memory, -(long)ksize(user));
	kfree(user);
}

/**
 * ld_user_get_session() - ld_user_get(), charged for one session
 * @cred: the credentials of the file's opener
 *
 * A session counts against max_sessions_per_user of its opener's
 * accountable uid, and so does a walk that lasts across reads or dump
 * calls (space_view.c).
 *
 * Return: a reference, to drop with ld_user_put_session(), or
 * ERR_PTR(-ENOMEM), or ERR_PTR(-EDQUOT) at the limit.
 */
struct ld_user *ld_user_get_session(const struct cred *cred)
{
	struct ld_user *user = ld_user_get(cred);

	if (!user)
		return ERR_PTR(-ENOMEM);
	if (!ld_user_charge(&user->sessions,
			    READ_ONCE(ld_max_sessions_per_user))) {
		ld_user_put(user);
		return ERR_PTR(-EDQUOT);
	}
	return user;
}

/**
 * ld_user_put_session() - give back what ld_user_get_session() took
 * @user: the accounting
 */
void ld_user_put_session(struct ld_user *user)
{
	atomic_dec(&user->sessions);
	ld_user_put(user);
}
