// SPDX-License-Identifier: GPL-2.0
/*
 * Module-wide counters and their /proc/lockdev/stats format, which the uapi
 * header documents.
 */
#include <linux/percpu.h>
#include <linux/seq_file.h>

#include <uapi/linux/lockdev.h>

#include "stats.h"

DEFINE_PER_CPU(struct ld_stats_pcpu, ld_stats);

/* The lines of /proc/lockdev/stats after "version", in their order. */
static const struct {
	const char *name;
	size_t offset;
} ld_stat_fields[] = {
#define LD_STAT_FIELD(name, field) { name, offsetof(struct ld_stats_pcpu, field) }
	LD_STAT_FIELD("sessions", sessions),
	LD_STAT_FIELD("sessions_opened", sessions_opened),
	LD_STAT_FIELD("lockspaces", spaces),
	LD_STAT_FIELD("locks", locks),
	LD_STAT_FIELD("holders", holders),
	LD_STAT_FIELD("waiters", waiters),
	LD_STAT_FIELD("grants", grants),
	LD_STAT_FIELD("contended", contended),
	LD_STAT_FIELD("timeouts", timeouts),
	LD_STAT_FIELD("cancels", cancels),
	LD_STAT_FIELD("eagains", eagains),
	LD_STAT_FIELD("deadlocks", deadlocks),
	LD_STAT_FIELD("owner_deaths", owner_deaths),
	LD_STAT_FIELD("memory", memory),
	LD_STAT_FIELD("cycles", cycles),
	LD_STAT_FIELD("order_violations", order_violations),
	LD_STAT_FIELD("inversions", inversions),
	LD_STAT_FIELD("classes", classes),
	LD_STAT_FIELD("class_edges", class_edges),
	LD_STAT_FIELD("order_full", order_full),
	LD_STAT_FIELD("events", events),
	LD_STAT_FIELD("events_dropped", events_dropped),
	LD_STAT_FIELD("idle_locks", idle_locks),
	LD_STAT_FIELD("idle_dropped", idle_dropped),
	LD_STAT_FIELD("handed_over", handed_over),
	LD_STAT_FIELD("idle_cuts", idle_cuts),
#undef LD_STAT_FIELD
};

/**
 * ld_stats_each() - call @fn with the name and value of every counter
 * @fn: called in the order of /proc/lockdev/stats, "version" first
 * @arg: passed to @fn; a non-zero return of @fn ends the walk
 *
 * Gauges and counters are summed over the CPUs without a lock, so a sum may
 * be a moment old.
 *
 * Return: what @fn returned last.
 */
int ld_stats_each(int (*fn)(const char *name, long value, void *arg),
		  void *arg)
{
	unsigned int i;
	long sum;
	int cpu, ret;

	ret = fn("version", LOCKDEV_PROC_STATS_VERSION, arg);
	for (i = 0; !ret && i < ARRAY_SIZE(ld_stat_fields); i++) {
		sum = 0;
		for_each_possible_cpu(cpu)
			sum += *(long *)((char *)per_cpu_ptr(&ld_stats, cpu) +
					 ld_stat_fields[i].offset);
		ret = fn(ld_stat_fields[i].name, sum, arg);
	}
	return ret;
}

static int ld_stats_line(const char *name, long value, void *arg)
{
	seq_printf(arg, "%s %ld\n", name, value);
	return 0;
}

/**
 * lockdev_stats_show() - print /proc/lockdev/stats
 * @m: the seq_file
 * @v: unused
 *
 * Return: 0.
 */
int lockdev_stats_show(struct seq_file *m, void *v)
{
	return ld_stats_each(ld_stats_line, m);
}
