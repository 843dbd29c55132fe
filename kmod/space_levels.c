// SPDX-License-Identifier: GPL-2.0
/*
 * Declared levels: an administrator gives name prefixes of a lockspace a
 * level (LOCKDEV_SPACE_LEVEL), so that programs that ask at level 0 are
 * still checked in the order. The declarations of a lockspace are one
 * array, sorted by prefix, that a change replaces whole: the LOCK path
 * reads it under RCU without a lock, and finds nothing to read when the
 * lockspace declares nothing.
 */
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/lockdev.h>

#include "request.h"
#include "space_levels.h"
#include "stats.h"

/*
 * struct ld_level_decl - one declaration
 * @level: the level, above 0.
 * @len: length of @prefix, 1 to LOCKDEV_NAME_MAX.
 * @prefix: the prefix, not NUL-terminated.
 */
struct ld_level_decl {
	u32 level;
	u16 len;
	u8 prefix[LOCKDEV_NAME_MAX];
};

/*
 * struct ld_levels - the declarations of a lockspace (ld_space.levels)
 * @rcu: frees it after the readers that may see it.
 * @nr: how many, 1 to LOCKDEV_SPACE_LEVELS_MAX.
 * @decl: the declarations, sorted by prefix as names sort in the order.
 *
 * Immutable once published; replaced whole under ld_spaces_mutex.
 */
struct ld_levels {
	struct rcu_head rcu;
	u32 nr;
	struct ld_level_decl decl[];
};

static struct ld_levels *ld_levels_deref(struct ld_space *space)
{
	return rcu_dereference_protected(space->levels,
					 lockdep_is_held(ld_spaces_lock()));
}

/*
 * Where @prefix is in @lv, or would go: sets *@found if it is there.
 * @lv may be NULL.
 */
static u32 ld_levels_pos(const struct ld_levels *lv, const u8 *prefix,
			 u32 len, bool *found)
{
	u32 i;
	int cmp;

	*found = false;
	for (i = 0; lv && i < lv->nr; i++) {
		cmp = ld_name_cmp(lv->decl[i].prefix, lv->decl[i].len, prefix,
				  len);
		if (cmp >= 0) {
			*found = !cmp;
			break;
		}
	}
	return i;
}

/*
 * Fill @lv, room for @nr declarations or more, with @old's (@old may be
 * NULL) but the one at @drop, leaving the one at @gap for the caller (each
 * U32_MAX for none).
 */
static void ld_levels_fill(struct ld_levels *lv, const struct ld_levels *old,
			   u32 nr, u32 drop, u32 gap)
{
	u32 i, j = 0;

	lv->nr = nr;
	for (i = 0; old && i < old->nr; i++) {
		if (i == drop)
			continue;
		if (j == gap)
			j++;
		lv->decl[j++] = old->decl[i];
	}
	ld_stat_add(memory, ksize(lv));
}

/**
 * ld_space_level_room() - allocate what a LEVEL of a lockspace needs
 * @space: the lockspace, referenced
 * @room: set to room for one declaration more than @space has now, at most
 *	LOCKDEV_SPACE_LEVELS_MAX, for ld_space_level_set(), which is called
 *	under ld_spaces_mutex and allocates nothing; kfree() it if unused
 *
 * Context: may sleep; ld_spaces_mutex not held, so that a caller whose
 * memory cgroup is at its limit reclaims without holding up every other
 * user's ATTACH.
 * Return: 0 or -ENOMEM.
 */
int ld_space_level_room(struct ld_space *space, struct ld_levels **room)
{
	const struct ld_levels *lv;
	u32 nr;

	rcu_read_lock();
	lv = rcu_dereference(space->levels);
	nr = lv ? lv->nr : 0;
	rcu_read_unlock();
	nr = min_t(u32, nr + 1, LOCKDEV_SPACE_LEVELS_MAX);
	kfree(*room);
	*room = kmalloc(struct_size(*room, decl, nr), GFP_KERNEL_ACCOUNT);
	if (!*room)
		return -ENOMEM;
	(*room)->nr = nr;
	return 0;
}

/* Publish @lv (or none) as @space's declarations and free the old ones. */
static void ld_levels_replace(struct ld_space *space, struct ld_levels *lv)
{
	struct ld_levels *old = ld_levels_deref(space);

	rcu_assign_pointer(space->levels, lv);
	if (old) {
		ld_stat_add(memory, -(long)ksize(old));
		kfree_rcu(old, rcu);
	}
}

/**
 * ld_space_level_set() - LOCKDEV_SPACE_LEVEL: declare or remove a prefix
 * @space: the lockspace
 * @prefix: the prefix
 * @len: its length, 1 to LOCKDEV_NAME_MAX
 * @level: its level, or 0 to remove the declaration
 * @room: from ld_space_level_room(), or NULL; taken (set to NULL) if used
 *
 * Context: ld_spaces_mutex held.
 * Return: 0, -ENOENT (@level 0, and @prefix is not declared), -ENOSPC
 * (LOCKDEV_SPACE_LEVELS_MAX declarations already), or -EAGAIN when @room
 * is too small for the change: the caller drops the mutex, calls
 * ld_space_level_room() and comes back.
 */
int ld_space_level_set(struct ld_space *space, const u8 *prefix, u32 len,
		       u32 level, struct ld_levels **room)
{
	struct ld_levels *old = ld_levels_deref(space), *lv = *room;
	u32 nr = old ? old->nr : 0, want;
	bool found;
	u32 at;

	lockdep_assert_held(ld_spaces_lock());
	at = ld_levels_pos(old, prefix, len, &found);
	if (!level && !found)
		return -ENOENT;
	if (level && !found && nr >= LOCKDEV_SPACE_LEVELS_MAX)
		return -ENOSPC;
	want = !level ? nr - 1 : found ? nr : nr + 1;
	if (want && (!lv || lv->nr < want))
		return -EAGAIN;
	if (!want) {
		ld_levels_replace(space, NULL);
		return 0;
	}
	*room = NULL;
	if (!level) {
		ld_levels_fill(lv, old, want, at, U32_MAX);
	} else {
		ld_levels_fill(lv, old, want, U32_MAX, found ? U32_MAX : at);
		lv->decl[at].level = level;
		lv->decl[at].len = len;
		memcpy(lv->decl[at].prefix, prefix, len);
	}
	ld_levels_replace(space, lv);
	return 0;
}

/**
 * ld_space_level_find() - ld_space_level() for a lockspace with declarations
 * @space: the lockspace
 * @name: the name
 * @len: its length
 *
 * Context: any; takes no lock.
 * Return: the level of the longest declared prefix of @name, or 0.
 */
u32 ld_space_level_find(struct ld_space *space, const u8 *name, u32 len)
{
	const struct ld_level_decl *d;
	const struct ld_levels *lv;
	u32 i, level = 0, best = 0;

	rcu_read_lock();
	lv = rcu_dereference(space->levels);
	for (i = 0; lv && i < lv->nr; i++) {
		d = &lv->decl[i];
		if (d->len > best && d->len <= len &&
		    !memcmp(d->prefix, name, d->len)) {
			best = d->len;
			level = d->level;
		}
	}
	rcu_read_unlock();
	return level;
}

/**
 * ld_space_levels_free() - free a lockspace's declarations as it goes
 * @space: the lockspace, whose last reference is gone
 */
void ld_space_levels_free(struct ld_space *space)
{
	/* Nobody holds the lockspace, so nobody reads them. */
	struct ld_levels *lv = rcu_dereference_protected(space->levels, 1);

	if (lv) {
		ld_stat_add(memory, -(long)ksize(lv));
		kfree(lv);
	}
}

/**
 * ld_space_levels_show() - the lines of /proc/lockdev/levels of a lockspace
 * @m: the seq_file
 * @space: the lockspace, referenced by the caller
 */
void ld_space_levels_show(struct seq_file *m, struct ld_space *space)
{
	const struct ld_level_decl *d;
	const struct ld_levels *lv;
	u32 i;

	rcu_read_lock();
	lv = rcu_dereference(space->levels);
	for (i = 0; lv && i < lv->nr; i++) {
		d = &lv->decl[i];
		ld_space_show_name(m, space);
		seq_putc(m, ' ');
		ld_escape(m, d->prefix, d->len);
		seq_printf(m, " %u\n", d->level);
	}
	rcu_read_unlock();
}
