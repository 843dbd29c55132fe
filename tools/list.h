/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockdev list (cmd_list.c): the holders and waiters of the module's dump,
 * the processes that have each session open (openers.c), and the tree of
 * who waits for whom (list_tree.c).
 */
#ifndef LOCKDEV_TOOLS_LIST_H
#define LOCKDEV_TOOLS_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lockdev.h"

/* A process that has a session open, from its /proc/PID/fdinfo. */
struct opener {
	uint64_t session;
	pid_t pid;
};

struct openers {
	struct opener *v;	/* sorted by session, then pid */
	size_t n;
};

int openers_scan(struct openers *o);
const struct opener *openers_of(const struct openers *o, uint64_t session,
				size_t *n);
void openers_free(struct openers *o);

/* What one dump gave: its lines, in the dump's order. */
struct lines {
	struct lockdev_lock_info *v;
	size_t n;
	size_t cap;
};

const char *state_str(const struct lockdev_lock_info *l);
int list_tree(const struct lines *ls, const struct openers *o,
	      bool noheadings);

#endif /* LOCKDEV_TOOLS_LIST_H */
