// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: kernel memory per held lock, by name length, from what the
 * whole kernel's slab caches, its kmalloc() allocations too large for a
 * cache and its vmalloc areas grow by while one session holds
 * cfg.mem_locks locks (not from the module's own counter).
 *
 * Each name length is measured in a lockspace of its own, which goes with
 * its session at the end and takes its (then idle) locks with it: every
 * figure starts from the same lock table, and none pays for the growth of
 * the table that another figure's resident locks caused.
 *
 * The same measure of OFD locks, the kernel's own, is the reference: one
 * open file description holds locks on every other byte of one file.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockbench.h"

#define GONE_TIMEOUT_NS	10e9
#define MAX_CACHES	1024

struct mem_fig mem_figs[NR_NAME_LENS];
struct mem_fig mem_ofd;

/* One slab cache's objects in use, in bytes (active_objs * objsize). */
struct cache_use {
	char name[64];
	long long bytes;
};

/*
 * Every cache of /proc/slabinfo into @c (at most MAX_CACHES): how many,
 * or -1 when unreadable.
 */
static int read_caches(struct cache_use *c)
{
	char line[512];
	long long active, size;
	FILE *f = fopen("/proc/slabinfo", "r");
	int n = 0;

	if (!f)
		return -1;
	while (n < MAX_CACHES && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld %*d %lld", c[n].name, &active,
			   &size) == 3) {
			c[n].bytes = active * size;
			n++;
		}
	fclose(f);
	return n;
}

/*
 * Into @f->top, the caches of @after that grew most since @before, per
 * lock held. A cache that slab merging shares with other users (SLUB's
 * default) has the name of the first cache of its size and flags.
 */
static void top_caches(struct mem_fig *f, const struct cache_use *before,
		       int nb, const struct cache_use *after, int na)
{
	int i, j, k;

	for (i = 0; i < na; i++) {
		long long grew = after[i].bytes;
		double per;

		for (j = 0; j < nb; j++)
			if (!strcmp(before[j].name, after[i].name)) {
				grew -= before[j].bytes;
				break;
			}
		if (grew <= 0)
			continue;
		per = (double)grew / (double)f->locks;
		/* Insert it in order, largest first; the smallest falls off. */
		k = MEM_TOP;
		while (k > 0 && (!f->top[k - 1].name[0] ||
				 f->top[k - 1].bytes_per_lock < per)) {
			if (k < MEM_TOP)
				f->top[k] = f->top[k - 1];
			k--;
		}
		if (k < MEM_TOP) {
			snprintf(f->top[k].name, sizeof(f->top[k].name), "%s",
				 after[i].name);
			f->top[k].bytes_per_lock = per;
		}
	}
}

/* Name i of length len: unique by its index, the rest pseudo-random. */
static void mem_name(char *s, int len, long i)
{
	uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ULL + 1;
	int j;

	j = snprintf(s, len + 1, "lb.m%d.%08lx.", len, i);
	for (; j < len; j++)
		s[j] = 'a' + rnd_next(&x) % 26;
}

/*
 * Waits until the module has no more idle locks than @before, which it had
 * before a figure: the figure's lockspace and its locks are gone.
 */
static void wait_gone(long long before)
{
	double start = now_ns();
	long long idle;

	while (!stat_get("idle_locks", &idle) && idle > before &&
	       now_ns() - start < GONE_TIMEOUT_NS)
		usleep(20000);
}

/*
 * The kernel's memory and caches before a figure's locks are taken, into
 * @m0 and @before; the count of caches, or -1 with @f->why set.
 */
static int mem_before(struct mem_fig *f, struct kmem *m0,
		      struct cache_use *before)
{
	if (settle_kernel(m0) < 0) {
		snprintf(f->why, sizeof(f->why),
			 "/proc/slabinfo or /proc/meminfo unreadable");
		return -1;
	}
	return read_caches(before);
}

/* The figure of @n locks held, against what mem_before() read. */
static void mem_after(struct mem_fig *f, long n, const struct kmem *m0,
		      const struct cache_use *before, int nb,
		      struct cache_use *after)
{
	struct kmem m1;
	int na;

	/* What stays: a table that grew frees its old buckets after RCU. */
	settle_kernel(&m1);
	na = read_caches(after);
	f->locks = n;
	if (n <= 0)
		return;
	f->delta.slab = m1.slab - m0->slab;
	f->delta.large = m1.large - m0->large;
	f->delta.vmalloc = m1.vmalloc - m0->vmalloc;
	f->bytes_per_lock = (double)(f->delta.slab + f->delta.large +
				     f->delta.vmalloc) / (double)n;
	top_caches(f, before, nb, after, na);
}

static void measure_len(struct mem_fig *f, uint64_t *handles,
			struct cache_use *before, struct cache_use *after)
{
	struct kmem m0;
	char name[LOCKDEV_NAME_MAX + 1], space[32];
	long long idle = 0;
	long n, k;
	int fd, e = 0, nb;

	snprintf(space, sizeof(space), "lb.memory.%d", f->name_len);
	stat_get("idle_locks", &idle);
	fd = open_session(space);
	if (fd < 0) {
		snprintf(f->why, sizeof(f->why), "%s: %s", DEV_PATH,
			 strerror(-fd));
		return;
	}
	nb = mem_before(f, &m0, before);
	if (nb < 0) {
		close(fd);
		return;
	}
	for (n = 0; n < cfg.mem_locks; n++) {
		mem_name(name, f->name_len, n);
		e = ld_lock(fd, name, f->name_len, LOCKDEV_MODE_EXCLUSIVE,
			    LOCKDEV_LOCK_NONBLOCK, &handles[n]);
		if (e)
			break;
	}
	mem_after(f, n, &m0, before, nb, after);
	if (e)
		snprintf(f->why, sizeof(f->why), "lock %s: %s",
			 count_str(n + 1), errname(e));
	/* Unlock first: closing a session with EXCLUSIVE locks marks them. */
	for (k = 0; k < n; k++)
		ld_unlock(fd, handles[k]);
	close(fd);
	wait_gone(idle);
}

/*
 * OFD write locks on bytes 0, 2, 4 ... of @path, which never merge: one
 * struct file_lock each, and nothing per lock besides (the file's lock
 * context is there from the first). A tenth as many as the lockdev
 * figures: each insertion walks the file's list of locks.
 */
static void measure_ofd(struct mem_fig *f, const char *path,
			struct cache_use *before, struct cache_use *after)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_len = 1 };
	struct kmem m0;
	long n, want = cfg.mem_locks / 10;
	int fd, e = 0, nb;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(f->why, sizeof(f->why), "%s: %s", path,
			 strerror(errno));
		return;
	}
	/* The first lock creates the file's lock context: not a lock's cost. */
	if (fcntl(fd, F_OFD_SETLK, &fl)) {
		snprintf(f->why, sizeof(f->why), "F_OFD_SETLK: %s",
			 strerror(errno));
		close(fd);
		return;
	}
	nb = mem_before(f, &m0, before);
	if (nb < 0) {
		close(fd);
		return;
	}
	for (n = 0; n < want; n++) {
		fl.l_start = 2 * (n + 1);
		if (fcntl(fd, F_OFD_SETLK, &fl)) {
			e = errno;
			break;
		}
	}
	mem_after(f, n, &m0, before, nb, after);
	if (e)
		snprintf(f->why, sizeof(f->why), "F_OFD_SETLK %s: %s",
			 count_str(n + 1), strerror(e));
	close(fd);
}

/**
 * run_memory() - memory per held lock, by name length, and per OFD lock
 * @ofd_path: a file the OFD locks may take
 */
void run_memory(const char *ofd_path)
{
	struct cache_use *before, *after;
	uint64_t *handles;
	int i;

	for (i = 0; i < NR_NAME_LENS; i++) {
		mem_figs[i].name_len = name_lens[i];
		mem_figs[i].bytes_per_lock = NAN;
	}
	mem_ofd.bytes_per_lock = NAN;
	before = calloc(MAX_CACHES, sizeof(*before));
	after = calloc(MAX_CACHES, sizeof(*after));
	handles = calloc(cfg.mem_locks, sizeof(*handles));
	if (!handles || !before || !after) {
		snprintf(mem_figs[0].why, sizeof(mem_figs[0].why), "%s",
			 strerror(ENOMEM));
		snprintf(mem_ofd.why, sizeof(mem_ofd.why), "%s",
			 strerror(ENOMEM));
		goto out;
	}
	note("memory: %s OFD locks ...", count_str(cfg.mem_locks / 10));
	measure_ofd(&mem_ofd, ofd_path, before, after);
	for (i = 0; i < NR_NAME_LENS; i++) {
		if (!sys.lock_ok) {
			snprintf(mem_figs[i].why, sizeof(mem_figs[i].why),
				 "%s", sys.lock_why);
			continue;
		}
		note("memory: %s locks with names of %d bytes ...",
		     count_str(cfg.mem_locks), name_lens[i]);
		measure_len(&mem_figs[i], handles, before, after);
	}
out:
	free(handles);
	free(after);
	free(before);
}
