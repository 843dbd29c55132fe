/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-uid accounting (user.c): one struct ld_user per uid that has a session
 * or a lockspace, with the counters the per-uid limits apply to; the uid is
 * the one they count against (ld_user_accountable()).
 * ld_users_mutex guards the table of them (locking.h).
 */
#ifndef LOCKDEV_KMOD_USER_H
#define LOCKDEV_KMOD_USER_H

#include <linux/atomic.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/uidgid.h>

/*
 * struct ld_user - per-uid accounting of limits
 * @node: in the users table, under ld_users_mutex.
 * @uid: the accountable uid, in the initial user namespace. Immutable.
 * @ref: sessions and lockspaces that point here.
 * @locks: requests held or queued by sessions of this uid, and the
 *	owner-died locks its sessions left (until marked consistent or gone).
 * @waiters: requests queued by sessions of this uid.
 * @completions: asynchronous requests of this uid whose completion is not
 *	read yet (limited by max_waiters_per_user as well).
 * @sessions: sessions opened by this uid.
 * @slots: the handle slots its sessions have room for beyond the first of
 *	each (session.c), at most twice max_locks_per_user.
 * @spaces: lockspaces, named and default, created by this uid.
 * @events: events queued for netlink that count against this uid (the uid
 *	of the session that caused each, events.c), at most
 *	LOCKDEV_EVENTS_QUEUED_PER_USER.
 * @idle: idle locks of the lockspaces it created, summed by
 *	ld_space_most_idle() for max_idle_locks. ld_spaces_mutex.
 * @idle_next: the next uid with idle locks, in the list
 *	ld_space_most_idle() makes. ld_spaces_mutex.
 *
 * The counters (all but @idle) are atomic and need no lock.
 */
struct ld_user {
	struct hlist_node node;
	kuid_t uid;
	refcount_t ref;
	atomic_t locks;
	atomic_t waiters;
	atomic_t completions;
	atomic_t sessions;
	atomic_t slots;
	atomic_t spaces;
	atomic_t events;
	u64 idle;
	struct ld_user *idle_next;
};

struct cred;

kuid_t ld_user_accountable(const struct cred *cred);
struct ld_user *ld_user_get(const struct cred *cred);

/* Another reference to @user, which the caller has one of. */
static inline void ld_user_hold(struct ld_user *user)
{
	refcount_inc(&user->ref);
}

void ld_user_put(struct ld_user *user);

/**
 * ld_user_charge() - count one more against a limit
 * @counter: one of the counters of a struct ld_user
 * @limit: its limit
 *
 * Return: true if counted, false (and nothing counted) at the limit.
 */
static inline bool ld_user_charge(atomic_t *counter, unsigned int limit)
{
	if ((unsigned int)atomic_inc_return(counter) <= limit)
		return true;
	atomic_dec(counter);
	return false;
}

struct ld_user *ld_user_get_session(const struct cred *cred);
void ld_user_put_session(struct ld_user *user);

#endif /* LOCKDEV_KMOD_USER_H */
