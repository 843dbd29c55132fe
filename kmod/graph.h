/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Deadlock detection (graph.c): a walk of the wait-for graph of a
 * lockspace before a request waits, under the lockspace's graph mutex
 * (locking.h); that mutex's lock and unlock, and the grants handed over
 * to its holder (graph_mutex.c).
 */
#ifndef LOCKDEV_KMOD_GRAPH_H
#define LOCKDEV_KMOD_GRAPH_H

#include <linux/list.h>
#include <linux/types.h>

#include "grant.h"

struct ld_report;
struct ld_session;
struct ld_space;

int ld_graph_check(struct ld_session *sess, struct ld_lock *lk,
		   const struct ld_req *req, u32 want, const struct ld_req *self,
		   const struct list_head *stop, struct ld_report **repp);

void ld_graph_lock(struct ld_space *space);
void ld_graph_unlock(struct ld_space *space);
void ld_graph_defer(struct ld_req *req);
void ld_graph_kick(struct ld_space *space);

#endif /* LOCKDEV_KMOD_GRAPH_H */
