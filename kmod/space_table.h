/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The table of lockspaces that space.c keeps and space_idle.c reads, and
 * nothing else uses.
 */
#ifndef LOCKDEV_KMOD_SPACE_TABLE_H
#define LOCKDEV_KMOD_SPACE_TABLE_H

#include <linux/mutex.h>
#include <linux/types.h>

#define LD_SPACES_BITS	8

/* Guards the lockspaces, their user namespaces and ld_spaces (locking.h). */
extern struct mutex ld_spaces_mutex;
/* The lockspaces in their namespaces, for lookups. ld_spaces_mutex. */
extern struct hlist_head ld_spaces[1 << LD_SPACES_BITS];

#endif /* LOCKDEV_KMOD_SPACE_TABLE_H */
