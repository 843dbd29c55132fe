// SPDX-License-Identifier: GPL-2.0
/*
 * Module-wide counters and their /proc/lockdev/stats format, which the uapi
 * header documents.
 */
#include <linux/seq_file.h>

#include <uapi/linux/lockdev.h>

#include "lockdev.h"

struct lockdev_stats lockdev_stats;

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
	seq_printf(m, "sessions %ld\n",
		   atomic_long_read(&lockdev_stats.sessions));
	seq_printf(m, "sessions_opened %ld\n",
		   atomic_long_read(&lockdev_stats.sessions_opened));
	return 0;
}
