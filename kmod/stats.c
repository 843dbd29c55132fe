// SPDX-License-Identifier: GPL-2.0
/*
 * Module-wide counters and their /proc/lockdev/stats format, which the uapi
 * header documents.
 */
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include "lockdev.h"

DEFINE_PER_CPU(struct ld_stats_pcpu, ld_stats);

#define LD_STAT_SUM(field) ({					\
	long __sum = 0;						\
	int __cpu;						\
	for_each_possible_cpu(__cpu)				\
		__sum += per_cpu(ld_stats, __cpu).field;	\
	__sum; })

/**
 * lockdev_stats_show() - print /proc/lockdev/stats
 * @m: the seq_file
 * @v: unused
 *
 * Return: 0.
 */
int lockdev_stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "version %d\n", LOCKDEV_PROC_STATS_VERSION);
	seq_printf(m, "sessions %ld\n", LD_STAT_SUM(sessions));
	seq_printf(m, "sessions_opened %ld\n", LD_STAT_SUM(sessions_opened));
	seq_printf(m, "lockspaces %ld\n", LD_STAT_SUM(spaces));
	seq_printf(m, "locks %ld\n", LD_STAT_SUM(locks));
	seq_printf(m, "holders %ld\n", LD_STAT_SUM(holders));
	seq_printf(m, "waiters %ld\n", LD_STAT_SUM(waiters));
	seq_printf(m, "grants %ld\n", LD_STAT_SUM(grants));
	seq_printf(m, "contended %ld\n", LD_STAT_SUM(contended));
	seq_printf(m, "timeouts %ld\n", LD_STAT_SUM(timeouts));
	seq_printf(m, "cancels %ld\n", LD_STAT_SUM(cancels));
	seq_printf(m, "eagains %ld\n", LD_STAT_SUM(eagains));
	seq_printf(m, "deadlocks %ld\n", LD_STAT_SUM(deadlocks));
	seq_printf(m, "owner_deaths %ld\n", LD_STAT_SUM(owner_deaths));
	seq_printf(m, "memory %ld\n", LD_STAT_SUM(memory));
	seq_printf(m, "cycles %ld\n", LD_STAT_SUM(cycles));
	seq_printf(m, "order_violations %ld\n", LD_STAT_SUM(order_violations));
	seq_printf(m, "inversions %ld\n", LD_STAT_SUM(inversions));
	seq_printf(m, "classes %ld\n", LD_STAT_SUM(classes));
	seq_printf(m, "class_edges %ld\n", LD_STAT_SUM(class_edges));
	seq_printf(m, "order_full %ld\n", LD_STAT_SUM(order_full));
	return 0;
}
