// SPDX-License-Identifier: GPL-2.0
/*
 * Which lockspace gives up idle locks first when all of them together have
 * more than max_idle_locks: the uids with the most, and of a uid, its
 * lockspaces with the most (ld_space_most_idle()).
 */
#include <linux/hashtable.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mutex.h>

#include "space.h"
#include "space_table.h"
#include "user.h"

/*
 * The uids whose lockspaces have idle locks, linked by their @idle_next,
 * each with its @idle the sum of its lockspaces' @idle_seen, which is their
 * count of idle locks now: what ld_space_most_idle() works from.
 */
static struct ld_user *ld_users_idle(void)
{
	struct ld_user *users = NULL;
	struct ld_space *space;
	int bkt;

	lockdep_assert_held(&ld_spaces_mutex);
	hash_for_each(ld_spaces, bkt, space, node)
		space->creator->idle = 0;
	hash_for_each(ld_spaces, bkt, space, node) {
		space->idle_seen = atomic_read(&space->nr_idle);
		if (!space->idle_seen)
			continue;
		if (!space->creator->idle) {
			space->creator->idle_next = users;
			users = space->creator;
		}
		space->creator->idle += space->idle_seen;
	}
	return users;
}

/* Idle locks of the uids of ld_users_idle() @users over @level each. */
static u64 ld_users_over(const void *users, u64 level)
{
	const struct ld_user *user;
	u64 over = 0;

	lockdep_assert_held(&ld_spaces_mutex);
	for (user = users; user; user = user->idle_next)
		if (user->idle > level)
			over += user->idle - level;
	return over;
}

/* Idle locks of the lockspaces @user created over @level each. */
static u64 ld_spaces_over(const void *user, u64 level)
{
	struct ld_space *space;
	u64 over = 0;
	int bkt;

	lockdep_assert_held(&ld_spaces_mutex);
	hash_for_each(ld_spaces, bkt, space, node)
		if (space->creator == user && space->idle_seen > level)
			over += space->idle_seen - level;
	return over;
}

/*
 * Counts are to lose @want in all: the highest level at which they are
 * over it by @want or more, which the largest, @top, is cut to.
 * @over(@arg, level) is how many are over @level in all, at least @want at
 * level 0. The level is below @top, and the largest loses no more than
 * @want, since over(level + 1) < @want. Cut this way one by one, largest
 * first, each again from what is left, they lose @want exactly, and each
 * is cut once at most: to the level or to one above it.
 */
static u64 ld_level_keep(u64 top, u64 want,
			 u64 (*over)(const void *arg, u64 level),
			 const void *arg)
{
	u64 lo = 0, hi = top, mid;

	/* over(lo) >= want, over(hi) = 0 < want */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (over(arg, mid) >= want)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/**
 * ld_space_most_idle() - where idle locks go first for max_idle_locks
 * @over: how many idle locks are over the bound
 * @keep: set to how many idle locks the lockspace keeps
 *
 * The uids whose lockspaces have the most idle locks give up first, down
 * to a level all of them keep, so that @over go; and a uid gives up from
 * its lockspaces with the most, down to a level all of them keep. This
 * picks the first cut: a lockspace of the uid with the most, its one with
 * the most, and how many it keeps, at least one fewer than it has. Cut by
 * cut, every lockspace over its level is cut once, whatever the counts:
 * with many lockspaces of one count, not one lock per call.
 *
 * Context: may sleep. Linear in the lockspaces, times the bits of a count.
 * Return: the lockspace, referenced, or NULL if none has idle locks.
 */
struct ld_space *ld_space_most_idle(long over, u32 *keep)
{
	struct ld_user *users, *user, *best = NULL;
	struct ld_space *space, *fullest = NULL;
	u64 total = 0, cut;
	int bkt;

	if (WARN_ON_ONCE(over <= 0))
		return NULL;
	mutex_lock(&ld_spaces_mutex);
	users = ld_users_idle();
	for (user = users; user; user = user->idle_next) {
		total += user->idle;
		if (!best || user->idle > best->idle)
			best = user;
	}
	if (!best)
		goto out;
	cut = best->idle - ld_level_keep(best->idle, min_t(u64, over, total),
					 ld_users_over, users);
	hash_for_each(ld_spaces, bkt, space, node)
		if (space->creator == best &&
		    (!fullest || space->idle_seen > fullest->idle_seen))
			fullest = space;
	*keep = ld_level_keep(fullest->idle_seen, cut, ld_spaces_over, best);
	ld_space_get(fullest);
out:
	mutex_unlock(&ld_spaces_mutex);
	return fullest;
}
