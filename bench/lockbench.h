/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lockbench: what the parts of the benchmark share (docs: bench/README).
 *
 * One job per file: util.c (time, statistics, /proc, module parameters,
 * random names), measure.c (rounds in shuffled order), floors.c (the
 * operations lockdev is measured against), lockops.c (lockdev's own
 * operations), memory.c, growth.c, handoff.c, detect.c, spaces.c (one
 * figure each), report.c (the bars and the table), json.c (figures.json
 * and plot data) and lockbench.c (options and the order of the run).
 */
#ifndef LOCKBENCH_H
#define LOCKBENCH_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/lockdev.h>

#define DEV_PATH	"/dev/" LOCKDEV_DEVICE_NAME
#define STATS_PATH	"/proc/lockdev/stats"
#define PARAM_DIR	"/sys/module/lockdev/parameters/"

#define MAX_ROUNDS	64
#define MAX_LEVELS	8
#define NR_NAME_LENS	4

struct config {
	int quick;
	int check;
	int raise_limits;
	int rounds;
	double round_ns;
	uint64_t seed;
	long pool;			/* random probe names per pool */
	long levels[MAX_LEVELS];	/* held locks for the growth figure */
	int nlevels;
	long mem_locks;			/* locks held for bytes per lock */
	long handoffs;
	int handoff_rounds;
	long dwaiters[3];		/* other waiters for detection */
	int ndwaiters;
	double spaces_ns;		/* one round of the throughput figure */
	const char *out_dir;		/* figures.json and plot data */
};

extern struct config cfg;
extern const int name_lens[NR_NAME_LENS];

/* util.c */
double now_ns(void);
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *count_str(long n);
const char *errname(int e);
int is_limit_err(int e);
double median(const double *v, int n);
double percentile(double *sorted, long n, double p);
void sort_doubles(double *v, long n);
double ratio(double a, double b);
uint64_t rnd_next(uint64_t *state);
void shuffle(int *order, int n, uint64_t *rnd);
int stat_get(const char *key, long long *val);
/* Kernel memory in use, in bytes (kernel_mem()). */
struct kmem {
	long long slab;		/* slab objects: active_objs * objsize */
	long long large;	/* kmalloc() beyond the caches: whole pages */
	long long vmalloc;	/* VmallocUsed */
};

long long kernel_mem(struct kmem *m);
long long settle_kernel(struct kmem *m);
void raise_limits(long need);
void restore_limits(void);
int open_session(const char *space);

/* A set of random names of one length, used in turn. */
struct name_pool {
	char *buf;		/* n names of len bytes, not terminated */
	int len;
	long n;
	long next;
};

int pool_init(struct name_pool *p, const char *tag, int len, long n,
	      uint64_t *rnd);
void pool_free(struct name_pool *p);
const char *pool_take(struct name_pool *p);

/* lockops.c */
int ld_lock(int fd, const char *name, int len, uint32_t mode, uint32_t flags,
	    uint64_t *handle);
int ld_unlock(int fd, uint64_t handle);
int ld_convert(int fd, uint64_t handle, uint32_t mode);

/* measure.c: one figure, the mean ns per operation of each round. */
struct op {
	int (*run)(struct op *op, long n);	/* 0 or an errno */
	int fd;
	struct name_pool *names;
	uint64_t handle;
};

struct meas {
	const char *key;
	const char *label;
	struct op op;
	long iters;		/* operations per round */
	int n;			/* rounds done */
	double s[MAX_ROUNDS];	/* ns per operation of each round */
	int err;		/* the errno that stopped it, or 0 */
	char why[200];		/* why it has no figure */
	double med, lo, hi;
};

void meas_fail(struct meas *m, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void measure_set(struct meas *m, int nm, uint64_t *rnd);

/* floors.c */
int op_empty2(struct op *op, long n);
int op_version2(struct op *op, long n);
int op_flock(struct op *op, long n);
int op_fcntl(struct op *op, long n);
int op_ofd(struct op *op, long n);
int op_futex(struct op *op, long n);
void futex_lock(atomic_int *w, int shared);
void futex_unlock(atomic_int *w, int shared);

/* lockops.c */
int op_lock(struct op *op, long n);
int op_relock(struct op *op, long n);
int op_detect(struct op *op, long n);
int relock_setup(struct op *op, const char *name, int len);

/* memory.c */
/* The slab caches that grew most while a figure's locks were held. */
#define MEM_TOP		3

struct mem_cache {
	char name[64];		/* as /proc/slabinfo names it; "" if unused */
	double bytes_per_lock;	/* its growth / the locks held */
};

struct mem_fig {
	int name_len;
	long locks;		/* held when measured */
	struct kmem delta;	/* while they are held, in bytes */
	double bytes_per_lock;	/* NAN when not measured */
	struct mem_cache top[MEM_TOP];	/* where the slab delta went */
	char why[200];
};

extern struct mem_fig mem_figs[NR_NAME_LENS];
extern struct mem_fig mem_ofd;	/* OFD locks, the reference */
void run_memory(const char *ofd_path);

/* growth.c */
struct level {
	long want;		/* other locks to hold */
	long held;		/* held when measured */
	int build_err;		/* why taking them stopped short, or 0 */
	double build_ns;	/* ns per LOCK while taking them */
	struct meas probe, base;
};

extern struct growth {
	char why[200];
	struct level lv[MAX_LEVELS];
	int nlv;
	struct level again;	/* lv[0] once more after the largest */
} growth;

void run_growth(int dev, uint64_t *rnd);

/* handoff.c */
/* What passes the lock: lockdev, flock(2), a futex mutex (the floor). */
enum { HV_LOCKDEV, HV_FLOCK, HV_FUTEX, NR_HV };

extern struct handoff {
	struct meas m[NR_HV];	/* s[]: median hand-off of each round, ns */
	double *lat[NR_HV];	/* every counted hand-off, sorted */
	long nlat[NR_HV];
} hand;

void run_handoff(const char *flock_path);

/* detect.c */
struct dlevel {
	long want;		/* other waiters */
	long have;		/* other waiters asleep when measured */
	struct meas probe, base;
};

extern struct detect {
	char why[200];
	struct dlevel lv[3];
	int nlv;
	struct dlevel again;	/* no waiters, once more after the others */
	long started;
	double drain_ns;
} det;

void run_detect(int dev, uint64_t *rnd);

/* spaces.c */
extern struct spaces {
	char why[200];
	int n;
	double one[MAX_ROUNDS], two[MAX_ROUNDS];	/* ops per second */
	double shared[MAX_ROUNDS];
	double one_med, two_med, shared_med;
	long long waits, ops;	/* grants that waited, lock + unlock pairs */
	double speedup;		/* of a loop sharing nothing, on two CPUs */
} spaces;

void run_spaces(uint64_t *rnd);

/* report.c */
struct system_info {
	int have_version;
	struct lockdev_version v;
	int lock_ok;
	int lock_err;
	char lock_why[200];
	char release[128];
	char clocksource[64];
	long cpus;
};

extern struct system_info sys;
extern struct meas figs[];
extern int nfigs;

const struct meas *find_fig(const char *key);
double fig_ns(const char *key);

enum verdict { V_NA, V_PASS, V_FAIL };

struct bar {
	char key[32];
	const char *label;
	int at_least;		/* value >= limit passes, else value <= limit */
	double limit;
	double value;
	const char *unit;	/* "" for a ratio */
	enum verdict v;
	char note[200];
};

extern struct bar bars[];
extern int nbars;
const struct bar *find_bar(const char *key);
const char *verdict_str(enum verdict v);
int report(void);

/* json.c */
void write_results(void);

#endif /* LOCKBENCH_H */
