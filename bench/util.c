// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: time, statistics, /proc readers, module parameters and random
 * names.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lockbench.h"

double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Progress goes to stderr; the table is stdout. */
void note(const char *fmt, ...)
{
	va_list ap;

	fputs("lockbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* n with thousands separators, in one of a few rotating static buffers. */
const char *count_str(long n)
{
	static char bufs[8][32];
	static int next;
	char tmp[32], *out = bufs[next++ % 8];
	int len, i, j = 0;

	len = snprintf(tmp, sizeof(tmp), "%ld", n < 0 ? -n : n);
	if (n < 0)
		out[j++] = '-';
	for (i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = tmp[i];
	}
	out[j] = '\0';
	return out;
}

const char *errname(int e)
{
	switch (e) {
	case ENOTTY: return "ENOTTY";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EDQUOT: return "EDQUOT";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case EDEADLK: return "EDEADLK";
	case EALREADY: return "EALREADY";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EPROTO: return "EPROTO";
	case EBUSY: return "EBUSY";
	case ENOLCK: return "ENOLCK";
	case EACCES: return "EACCES";
	default: return "errno";
	}
}

int is_limit_err(int e)
{
	return e == ENOSPC || e == EDQUOT || e == ENOMEM;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void sort_doubles(double *v, long n)
{
	qsort(v, n, sizeof(*v), cmp_double);
}

double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	if (n <= 0)
		return NAN;
	memcpy(s, v, n * sizeof(*s));
	sort_doubles(s, n);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* The p-th percentile (0..100) of n sorted values, nearest rank. */
double percentile(double *sorted, long n, double p)
{
	long k;

	if (n <= 0)
		return NAN;
	k = (long)ceil(p / 100 * (double)n) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return sorted[k];
}

double ratio(double a, double b)
{
	return isnan(a) || isnan(b) || b <= 0 ? NAN : a / b;
}

/* xorshift64*: the run's random names and orders, from --seed. */
uint64_t rnd_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Fills @order with 0 to @n - 1 in a random order. */
void shuffle(int *order, int n, uint64_t *rnd)
{
	int i, j, t;

	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = rnd_next(rnd) % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

/* Reads one "name value" line of /proc/lockdev/stats: 0, or -1. */
int stat_get(const char *key, long long *val)
{
	char line[256], name[128];
	FILE *f = fopen(STATS_PATH, "r");
	long long v;
	int ret = -1;

	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", name, &v) == 2 &&
		    !strcmp(name, key)) {
			*val = v;
			ret = 0;
		}
	}
	fclose(f);
	return ret;
}

/*
 * From /proc/slabinfo: the bytes of every cache's objects in use (sum of
 * active_objs * objsize) into *@objs, and of the pages the caches hold (sum
 * of num_slabs * pagesperslab pages) into *@pages. 0, or -1.
 */
static int slab_bytes(long long *objs, long long *pages)
{
	long long active, total, size, per, npages, slabs, page;
	char line[512], name[128];
	FILE *f = fopen("/proc/slabinfo", "r");

	if (!f)
		return -1;
	page = sysconf(_SC_PAGESIZE);
	*objs = *pages = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line,
			   "%127s %lld %lld %lld %lld %lld : tunables %*d %*d %*d : slabdata %*d %lld",
			   name, &active, &total, &size, &per, &npages,
			   &slabs) != 7)
			continue;
		*objs += active * size;
		*pages += slabs * npages * page;
	}
	fclose(f);
	return 0;
}

/* A "Key: N kB" line of /proc/meminfo in bytes, or -1. */
static long long meminfo_bytes(const char *key)
{
	char line[256], name[64];
	long long v = -1, n;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %lld", name, &n) == 2 &&
		    !strcmp(name, key)) {
			v = n * 1024;
			break;
		}
	fclose(f);
	return v;
}

/*
 * Folds the CPUs' pending counts into meminfo's (vm.stat_refresh, root
 * only): 0, or -1 when they may lag by a few pages a CPU.
 */
static int stat_refresh(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, "1", 1) == 1 ? 0 : -1;
	close(fd);
	return ret;
}

/*
 * Kernel memory in use: slab objects, kmalloc() allocations too large for
 * any cache (whole pages from the page allocator, which the kernel counts
 * in meminfo's Slab but no cache lists), and vmalloc. Returns their sum,
 * or -1 when unreadable.
 */
long long kernel_mem(struct kmem *m)
{
	long long pages, slab;

	stat_refresh();
	slab = meminfo_bytes("Slab");
	m->vmalloc = meminfo_bytes("VmallocUsed");
	if (slab_bytes(&m->slab, &pages) || slab < 0 || m->vmalloc < 0)
		return -1;
	m->large = slab > pages ? slab - pages : 0;
	return m->slab + m->large + m->vmalloc;
}

/*
 * Kernel memory once it stops moving: frees of earlier figures may still
 * wait for an RCU grace period or a work item, and would slow the next
 * figure or blur a memory delta. Gives up after about 3 s and returns the
 * last reading.
 */
long long settle_kernel(struct kmem *m)
{
	long long prev = kernel_mem(m), cur;
	int i;

	for (i = 0; i < 30 && prev >= 0; i++) {
		usleep(100000);
		cur = kernel_mem(m);
		if (llabs(cur - prev) < 16384)
			return cur;
		prev = cur;
	}
	return prev;
}

/* ---------------------------------------------------- module parameters */

static struct param_save {
	const char *name;
	char old[64];
	int changed;
} saved[] = {
	{ .name = "max_locks_per_user" },
	{ .name = "max_locks_per_space" },
};

void restore_limits(void)
{
	char path[256];
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(saved) / sizeof(saved[0]); i++) {
		if (!saved[i].changed)
			continue;
		snprintf(path, sizeof(path), PARAM_DIR "%s", saved[i].name);
		f = fopen(path, "w");
		if (f) {
			fputs(saved[i].old, f);
			fclose(f);
		}
		saved[i].changed = 0;
	}
}

/*
 * Raises the module's lock limits to need for the run when they are lower
 * (root only); restore_limits() puts them back.
 */
void raise_limits(long need)
{
	char path[256];
	long long cur;
	size_t i;
	FILE *f;

	if (!cfg.raise_limits || geteuid() != 0)
		return;
	for (i = 0; i < sizeof(saved) / sizeof(saved[0]); i++) {
		struct param_save *s = &saved[i];

		snprintf(path, sizeof(path), PARAM_DIR "%s", s->name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(s->old, sizeof(s->old), f) ||
		    sscanf(s->old, "%lld", &cur) != 1 || cur >= need) {
			fclose(f);
			continue;
		}
		fclose(f);
		f = fopen(path, "w");
		if (!f || fprintf(f, "%ld\n", need) < 0 || fclose(f)) {
			note("module parameter %s is %lld and cannot be raised",
			     s->name, cur);
			continue;
		}
		s->changed = 1;
		note("raised module parameter %s from %lld to %s for this run",
		     s->name, cur, count_str(need));
	}
}

/* A new session, attached to the lockspace space unless it is NULL. */
int open_session(const char *space)
{
	struct lockdev_attach at;
	int fd, e;

	fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0 || !space)
		return fd < 0 ? -errno : fd;
	memset(&at, 0, sizeof(at));
	at.name = (uintptr_t)space;
	at.name_len = strlen(space);
	at.mode = 0600;
	if (ioctl(fd, LOCKDEV_IOC_ATTACH, &at)) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* ---------------------------------------------------------- random names */

/*
 * n names of exactly len bytes: "lb.TAG." then random letters and digits,
 * distinct with overwhelming odds for len >= 16.
 */
int pool_init(struct name_pool *p, const char *tag, int len, long n,
	      uint64_t *rnd)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char prefix[32];
	int plen, j;
	long i;

	plen = snprintf(prefix, sizeof(prefix), "lb.%s.", tag);
	if (plen + 8 > len)
		return EINVAL;
	p->buf = malloc((size_t)len * n);
	if (!p->buf)
		return ENOMEM;
	p->len = len;
	p->n = n;
	p->next = 0;
	for (i = 0; i < n; i++) {
		char *s = p->buf + (size_t)len * i;

		memcpy(s, prefix, plen);
		for (j = plen; j < len; j++)
			s[j] = chars[rnd_next(rnd) % (sizeof(chars) - 1)];
	}
	return 0;
}

void pool_free(struct name_pool *p)
{
	free(p->buf);
	p->buf = NULL;
}

const char *pool_take(struct name_pool *p)
{
	const char *s = p->buf + (size_t)p->len * p->next;

	if (++p->next == p->n)
		p->next = 0;
	return s;
}
