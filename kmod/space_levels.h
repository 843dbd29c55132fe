/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declared levels (space_levels.c): per named lockspace, name prefixes with
 * the level that a request at level 0 of a name with that prefix gets.
 * A lockspace's set of declarations is replaced whole under
 * ld_spaces_mutex and read under RCU (locking.h).
 */
#ifndef LOCKDEV_KMOD_SPACE_LEVELS_H
#define LOCKDEV_KMOD_SPACE_LEVELS_H

#include <linux/rcupdate.h>
#include <linux/types.h>

#include "space.h"

struct seq_file;

struct ld_levels;

int ld_space_level_room(struct ld_space *space, struct ld_levels **room);
int ld_space_level_set(struct ld_space *space, const u8 *prefix, u32 len,
		       u32 level, struct ld_levels **room);
u32 ld_space_level_find(struct ld_space *space, const u8 *name, u32 len);
void ld_space_levels_free(struct ld_space *space);
void ld_space_levels_show(struct seq_file *m, struct ld_space *space);

/**
 * ld_space_level() - the declared level of a name
 * @space: the lockspace
 * @name: the name
 * @len: its length
 *
 * Costs one load when @space declares no level.
 *
 * Return: the level of the longest declared prefix of @name, or 0.
 */
static inline u32 ld_space_level(struct ld_space *space, const u8 *name,
				 u32 len)
{
	if (!rcu_access_pointer(space->levels))
		return 0;
	return ld_space_level_find(space, name, len);
}

#endif /* LOCKDEV_KMOD_SPACE_LEVELS_H */
