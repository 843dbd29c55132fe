/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module-wide counters (stats.c): per-CPU, updated without a lock from
 * anywhere in the module, and summed for /proc/lockdev/stats and the
 * netlink GET_STATS reply.
 */
#ifndef LOCKDEV_KMOD_STATS_H
#define LOCKDEV_KMOD_STATS_H

#include <linux/percpu.h>

struct seq_file;

/*
 * struct ld_stats_pcpu - per-CPU counters for /proc/lockdev/stats; gauges
 * are the sum over CPUs of increments and decrements. Updated with
 * this_cpu_*() and summed without a lock.
 */
struct ld_stats_pcpu {
	long sessions;
	unsigned long sessions_opened;
	long spaces;
	long locks;
	long holders;
	long waiters;
	unsigned long grants;
	unsigned long contended;
	unsigned long timeouts;
	unsigned long cancels;
	unsigned long eagains;
	unsigned long deadlocks;
	unsigned long owner_deaths;
	long memory;
	unsigned long cycles;
	unsigned long order_violations;
	unsigned long inversions;
	long classes;
	long class_edges;
	unsigned long order_full;
	unsigned long events;
	unsigned long events_dropped;
	long idle_locks;
	unsigned long idle_dropped;
	unsigned long handed_over;
	unsigned long idle_cuts;
};

DECLARE_PER_CPU(struct ld_stats_pcpu, ld_stats);

#define ld_stat_add(field, n)	this_cpu_add(ld_stats.field, (n))
#define ld_stat_inc(field)	this_cpu_inc(ld_stats.field)
#define ld_stat_dec(field)	this_cpu_dec(ld_stats.field)

int lockdev_stats_show(struct seq_file *m, void *v);
int ld_stats_each(int (*fn)(const char *name, long value, void *arg),
		  void *arg);

#endif /* LOCKDEV_KMOD_STATS_H */
