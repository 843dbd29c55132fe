/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The limits of the uapi header: module parameters, defined in params.c. A
 * change by root applies to later requests. The event thresholds, parameters
 * as well, are in events.h.
 */
#ifndef LOCKDEV_KMOD_PARAMS_H
#define LOCKDEV_KMOD_PARAMS_H

/* Limits, module parameters (params.c); read with READ_ONCE(). */
extern unsigned int ld_max_locks_per_space;
extern unsigned int ld_max_locks_per_user;
extern unsigned int ld_max_waiters_per_user;
extern unsigned int ld_max_sessions_per_user;
extern unsigned int ld_max_spaces_per_user;
extern unsigned int ld_max_classes;
extern unsigned int ld_max_class_edges;
extern unsigned int ld_max_classes_per_space;
extern unsigned int ld_max_class_edges_per_space;
extern unsigned int ld_max_classes_per_user;
extern unsigned int ld_max_class_edges_per_user;
extern unsigned int ld_max_idle_locks;
extern unsigned int ld_max_idle_locks_per_space;

#endif /* LOCKDEV_KMOD_PARAMS_H */
