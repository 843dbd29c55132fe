/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lockdev module's version. Each part of the module has a header:
 * table.h the lock objects and their table (table.c, table_lru.c); grant.h
 * the grant policy, waits and conversions (grant.c); request.h the
 * requests of the ioctls (request.c, convert.c, query.c), lock sets
 * (lockset.c) and the order rule (order.c); graph.h deadlock detection
 * (graph.c); session.h the sessions and their handles (session.c);
 * proc_locks.h walks of the locks (proc_locks.c); user.h the per-uid
 * limits, space.h the lockspaces, report.h deadlock and order reports,
 * class.h lock classes and learned order, events.h the events and the
 * netlink family, stats.h the counters, proc.h the /proc/lockdev/ files,
 * dev.h the device and its ioctls, params.h the limits' module parameters,
 * compat.h what 6.1 lacks of newer kernels.
 * main.c loads and unloads the module, each part in turn.
 *
 * The module's lock order, with what each lock protects, is in locking.h.
 */
#ifndef LOCKDEV_KMOD_LOCKDEV_H
#define LOCKDEV_KMOD_LOCKDEV_H

#define LOCKDEV_VERSION_MAJOR	0
#define LOCKDEV_VERSION_MINOR	8
#define LOCKDEV_VERSION_PATCH	0
#define LOCKDEV_VERSION_STRING	"0.8.0"

#endif /* LOCKDEV_KMOD_LOCKDEV_H */
