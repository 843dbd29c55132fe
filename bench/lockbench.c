// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: the performance bars of lockdev (docs: bench/README), measured
 * in one process run against the same machine's alternatives.
 *
 *  1. two empty ioctls on /dev/lockdev (a number the module rejects with
 *     ENOTTY), the floor of any ioctl-based lock;
 *  2. lockdev LOCK (EXCLUSIVE, no flags) + UNLOCK by handle, uncontended;
 *  3. flock(2) LOCK_EX + LOCK_UN on an open file in /tmp;
 *  4. fcntl(2) F_SETLK write lock + unlock;
 *  5. fcntl(2) F_OFD_SETLK write lock + unlock;
 *  6. 2. while the same session holds 10, 10,000 and 1,000,000 other locks,
 *     and the module's memory per held lock (/proc/lockdev/stats memory);
 *  7. exclusive hand-off between two processes, lockdev against flock;
 *  8. a blocking LOCK that has to wait, and so runs deadlock detection, with
 *     0, 100 and 1,000 other waiters in the system.
 *
 * Every figure is a mean over one round of many operations; a round lasts
 * about --round-ms, the rounds of the figures that are compared are
 * interleaved, and the figure reported is the median of the rounds. Only
 * ratios within one run mean anything under qemu TCG.
 *
 * Exit status: 0 when the benchmark ran (whatever the verdicts; with
 * --check, 0 only if every bar passed and 1 otherwise), 2 when it could not
 * run (usage, no /dev/lockdev).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/lockdev.h>

#define DEV_PATH	"/dev/" LOCKDEV_DEVICE_NAME
#define STATS_PATH	"/proc/lockdev/stats"
#define PARAM_DIR	"/sys/module/lockdev/parameters/"

/* An ioctl number of the device's type and direction that it rejects. */
#define EMPTY_IOC	_IOC(_IOC_READ | _IOC_WRITE, LOCKDEV_IOC_MAGIC, 0x7f, 8)

#define MAX_ROUNDS	64
#define MAX_LEVELS	3
#define HANDOFF_WARMUP	20
/* Longest a hand-off participant waits for the other before giving up. */
#define STEP_TIMEOUT_NS	10e9

static const char *prog = "lockbench";

static struct {
	int quick;
	int json;
	int check;
	int raise_limits;
	int rounds;
	double round_ns;
	long levels[MAX_LEVELS];
	int nlevels;
	long handoffs;
	int handoff_rounds;
	int handoff_cpus;	/* HC_* */
	long dwaiters[MAX_LEVELS];	/* other waiters for the detection figure */
	int ndwaiters;
} cfg;

/* Where the two hand-off processes run. */
enum { HC_SAME, HC_SPLIT, HC_FREE };

/* ---------------------------------------------------------------- utils */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int64_t now_i64(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Progress and notes go to stderr so that --json keeps stdout clean. */
static void note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* n with thousands separators, in one of a few rotating static buffers. */
static const char *count_str(long n)
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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	if (n <= 0)
		return NAN;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void minmax(const double *v, int n, double *lo, double *hi)
{
	int i;

	*lo = *hi = NAN;
	for (i = 0; i < n; i++) {
		if (i == 0 || v[i] < *lo)
			*lo = v[i];
		if (i == 0 || v[i] > *hi)
			*hi = v[i];
	}
}

/* Name of an errno value (ENOTTY ...), for compact reports. */
static const char *errname(int e)
{
	switch (e) {
	case ENOTTY: return "ENOTTY";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case EDQUOT: return "EDQUOT";
	case ENOMEM: return "ENOMEM";
	case EAGAIN: return "EAGAIN";
	case EDEADLK: return "EDEADLK";
	case EINTR: return "EINTR";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ENOLCK: return "ENOLCK";
	case EALREADY: return "EALREADY";
	case E2BIG: return "E2BIG";
	case EFAULT: return "EFAULT";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EPROTO: return "EPROTO";
	case EBUSY: return "EBUSY";
	default: return "errno";
	}
}

static int is_limit_err(int e)
{
	return e == ENOSPC || e == EDQUOT || e == ENOMEM;
}

/* Reads one "name value" pair of /proc/lockdev/stats; 0 or -1. */
static int stat_get(const char *key, long long *val)
{
	char line[256], name[128];
	long long v;
	FILE *f = fopen(STATS_PATH, "r");
	int found = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", name, &v) == 2 &&
		    strcmp(name, key) == 0) {
			*val = v;
			found = 0;
			break;
		}
	}
	fclose(f);
	return found;
}

/* Kernel memory that a module's allocations show in, in bytes. */
static long long meminfo_kernel(void)
{
	char line[256], name[64];
	long long v, sum = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %lld", name, &v) != 2)
			continue;
		if (!strcmp(name, "Slab") || !strcmp(name, "VmallocUsed") ||
		    !strcmp(name, "Percpu"))
			sum += v * 1024;
	}
	fclose(f);
	return sum;
}

/* ---------------------------------------------------------------- locks */

static int ld_lock(int fd, const char *name, uint32_t flags, uint64_t *handle)
{
	struct lockdev_lock l;

	memset(&l, 0, sizeof(l));
	l.name = (uintptr_t)name;
	l.name_len = strlen(name);
	l.mode = LOCKDEV_MODE_EXCLUSIVE;
	l.flags = flags;
	if (ioctl(fd, LOCKDEV_IOC_LOCK, &l))
		return errno;
	*handle = l.handle;
	return 0;
}

static int ld_unlock(int fd, uint64_t handle)
{
	struct lockdev_unlock u;

	memset(&u, 0, sizeof(u));
	u.handle = handle;
	if (ioctl(fd, LOCKDEV_IOC_UNLOCK, &u))
		return errno;
	return 0;
}

enum op { OP_EMPTY2, OP_LOCKDEV, OP_FLOCK, OP_FCNTL, OP_OFD, OP_DETECT };

struct opctx {
	int fd;			/* the session, or the open file */
	const char *name;	/* the lock's name for OP_LOCKDEV */
};

static int fcntl_pair(int fd, int cmd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, cmd, &fl))
		return errno;
	fl.l_type = F_UNLCK;
	if (fcntl(fd, cmd, &fl))
		return errno;
	return 0;
}

/*
 * Runs n operations (each a lock + unlock pair, or two empty ioctls).
 * Return: 0, an errno, or EPROTO when the empty ioctl did not fail.
 */
static int run_op(enum op op, const struct opctx *c, long n)
{
	uint64_t buf[1] = { 0 }, h;
	size_t len;
	long i;
	int e;

	switch (op) {
	case OP_EMPTY2:
		for (i = 0; i < n; i++) {
			if (ioctl(c->fd, EMPTY_IOC, buf) != -1)
				return EPROTO;
			if (errno != ENOTTY)
				return errno;
			if (ioctl(c->fd, EMPTY_IOC, buf) != -1)
				return EPROTO;
			if (errno != ENOTTY)
				return errno;
		}
		return 0;
	case OP_LOCKDEV:
		len = strlen(c->name);
		for (i = 0; i < n; i++) {
			struct lockdev_lock l;
			struct lockdev_unlock u;

			memset(&l, 0, sizeof(l));
			l.name = (uintptr_t)c->name;
			l.name_len = len;
			l.mode = LOCKDEV_MODE_EXCLUSIVE;
			if (ioctl(c->fd, LOCKDEV_IOC_LOCK, &l))
				return errno;
			h = l.handle;
			memset(&u, 0, sizeof(u));
			u.handle = h;
			if (ioctl(c->fd, LOCKDEV_IOC_UNLOCK, &u))
				return errno;
		}
		return 0;
	case OP_FLOCK:
		for (i = 0; i < n; i++) {
			if (flock(c->fd, LOCK_EX) || flock(c->fd, LOCK_UN))
				return errno;
		}
		return 0;
	case OP_FCNTL:
	case OP_OFD:
		for (i = 0; i < n; i++) {
			e = fcntl_pair(c->fd, op == OP_FCNTL ? F_SETLK : F_OFD_SETLK);
			if (e)
				return e;
		}
		return 0;
	case OP_DETECT:
		/*
		 * A blocking LOCK of a lock another session holds, with a
		 * deadline already passed: it has to wait, so the module runs
		 * deadlock detection and queues it, then finds the deadline
		 * gone and fails with ETIMEDOUT, without sleeping.
		 */
		len = strlen(c->name);
		for (i = 0; i < n; i++) {
			struct lockdev_lock l;

			memset(&l, 0, sizeof(l));
			l.name = (uintptr_t)c->name;
			l.name_len = len;
			l.mode = LOCKDEV_MODE_EXCLUSIVE;
			l.flags = LOCKDEV_LOCK_DEADLINE;
			l.deadline_ns = 1;
			if (!ioctl(c->fd, LOCKDEV_IOC_LOCK, &l))
				return EPROTO;
			if (errno != ETIMEDOUT)
				return errno;
		}
		return 0;
	}
	return EINVAL;
}

/* ------------------------------------------------------------ measuring */

struct meas {
	const char *key;
	const char *label;
	enum op op;
	struct opctx ctx;
	long iters;		/* operations per round */
	int n;			/* rounds done */
	double s[MAX_ROUNDS];	/* ns per operation of each round */
	int err;		/* the errno that stopped it, or 0 */
	char why[160];		/* why it has no figure */
	double med, lo, hi;
};

static void meas_fail(struct meas *m, int err, const char *fmt, ...)
{
	va_list ap;

	m->err = err ? err : EINVAL;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
}

static void op_failed(struct meas *m, int e)
{
	if (e == EPROTO && m->op == OP_EMPTY2)
		meas_fail(m, e, "the empty ioctl did not fail with ENOTTY");
	else if (e == EPROTO && m->op == OP_DETECT)
		meas_fail(m, e, "the contended LOCK was granted");
	else
		meas_fail(m, e, "%s: %s", errname(e), strerror(e));
}

/* Operations per round of about cfg.round_ns; also warms the path up. */
static void calibrate(struct meas *m)
{
	double el, t0;
	long n = 8;
	int e;

	for (;;) {
		t0 = now_ns();
		e = run_op(m->op, &m->ctx, n);
		el = now_ns() - t0;
		if (e) {
			op_failed(m, e);
			return;
		}
		if (el >= cfg.round_ns / 10 || n >= (1L << 34))
			break;
		n *= 4;
	}
	m->iters = (long)((double)n * cfg.round_ns / (el > 1 ? el : 1));
	if (m->iters < 1)
		m->iters = 1;
	/*
	 * Once more at full length: a stall of the host during the short
	 * runs above would otherwise make every round too short.
	 */
	t0 = now_ns();
	e = run_op(m->op, &m->ctx, m->iters);
	el = now_ns() - t0;
	if (e) {
		op_failed(m, e);
		return;
	}
	n = (long)((double)m->iters * cfg.round_ns / (el > 1 ? el : 1));
	if (n > m->iters)
		m->iters = n;
}

/*
 * Measures every figure of m[0..nm) in cfg.rounds rounds, interleaved: each
 * round runs every figure once, starting with a different one, so that a
 * drift of the machine's speed hits them all alike.
 */
static void measure_set(struct meas *m, int nm)
{
	int r, k, i, e;
	double t0, el;

	for (i = 0; i < nm; i++)
		if (!m[i].err)
			calibrate(&m[i]);
	for (r = 0; r < cfg.rounds; r++) {
		for (k = 0; k < nm; k++) {
			struct meas *x = &m[(r + k) % nm];

			if (x->err)
				continue;
			t0 = now_ns();
			e = run_op(x->op, &x->ctx, x->iters);
			el = now_ns() - t0;
			if (e) {
				op_failed(x, e);
				continue;
			}
			x->s[x->n++] = el / (double)x->iters;
		}
	}
	for (i = 0; i < nm; i++) {
		m[i].med = m[i].err ? NAN : median(m[i].s, m[i].n);
		minmax(m[i].s, m[i].err ? 0 : m[i].n, &m[i].lo, &m[i].hi);
	}
}

/* ---------------------------------------------------------- module info */

static struct {
	int have_version;
	struct lockdev_version v;
	int lock_ok;		/* LOCK + UNLOCK work */
	char lock_why[200];	/* why not */
	int lock_err;
	char release[128];
	char clocksource[64];
	long cpus;
} sys;

static void probe_module(int dev)
{
	struct utsname u;
	uint64_t h;
	FILE *f;
	int e;

	memset(&sys.v, 0, sizeof(sys.v));
	sys.have_version = ioctl(dev, LOCKDEV_IOC_VERSION, &sys.v) == 0;
	if (uname(&u) == 0)
		snprintf(sys.release, sizeof(sys.release), "%s", u.release);
	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (fscanf(f, "%63s", sys.clocksource) != 1)
			sys.clocksource[0] = '\0';
		fclose(f);
	}
	sys.cpus = sysconf(_SC_NPROCESSORS_ONLN);

	/*
	 * The feature bit says what the module claims; a LOCK call says what
	 * it does. Before the lock engine, LOCK fails with ENOTTY.
	 */
	e = ld_lock(dev, "lockbench.probe", LOCKDEV_LOCK_NONBLOCK, &h);
	if (!e)
		e = ld_unlock(dev, h);
	sys.lock_err = e;
	if (!e) {
		sys.lock_ok = 1;
		if (sys.have_version && !(sys.v.features & LOCKDEV_FEATURE_LOCK))
			note("warning: LOCK works but the version ioctl does not report LOCKDEV_FEATURE_LOCK");
	} else if (e == ENOTTY) {
		snprintf(sys.lock_why, sizeof(sys.lock_why),
			 "LOCK fails with ENOTTY: the module has no lock engine%s",
			 sys.have_version && (sys.v.features & LOCKDEV_FEATURE_LOCK) ?
			 " (though its version ioctl reports LOCKDEV_FEATURE_LOCK)" : "");
	} else {
		snprintf(sys.lock_why, sizeof(sys.lock_why),
			 "LOCK + UNLOCK fails with %s: %s", errname(e), strerror(e));
	}
}

/* ------------------------------------------------------- module limits */

struct param_save {
	char name[64];
	char old[64];
	int changed;
};

static struct param_save saved[2];

static void restore_limits(void)
{
	char path[512];
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
 * Raises a limit below need for this run (root only; the module applies a
 * change to later requests), and restores it at exit.
 */
static void raise_limit(struct param_save *s, const char *name, long need)
{
	char path[512];
	long long cur;
	FILE *f;

	snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(path, sizeof(path), PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(s->old, sizeof(s->old), f) || sscanf(s->old, "%lld", &cur) != 1) {
		fclose(f);
		return;
	}
	fclose(f);
	if (cur <= 0 || cur >= need)
		return;
	f = fopen(path, "w");
	if (!f || fprintf(f, "%ld\n", need) < 0 || fclose(f) != 0) {
		note("module parameter %s is %lld, below the %s locks wanted, and cannot be raised",
		     name, cur, count_str(need));
		return;
	}
	s->changed = 1;
	note("raised module parameter %s from %lld to %s for this run",
	     name, cur, count_str(need));
}

/* -------------------------------------------------- held-locks scaling */

struct level {
	long want;		/* locks to hold */
	long held;		/* locks held when measured */
	int build_err;		/* why building stopped short, or 0 */
	double build_ns;	/* ns per LOCK while building up to it */
	long long memory;	/* /proc/lockdev/stats memory at it, or -1 */
	long long kmem;		/* Slab + VmallocUsed + Percpu at it */
	struct meas probe, base;
	int measured;
};

static struct {
	int ran;
	char why[200];
	struct level lv[MAX_LEVELS];
	int nlv;
	long long mem_pre, locks_pre;	/* before the session opened */
	long long mem0, kmem0;		/* session open, nothing held */
	long long mem_after, locks_after; /* after the session closed */
	double unlock_ns;		/* ns per UNLOCK releasing the set */
	double close_ns;		/* close() of the emptied session */
	double settle_ns;		/* until the counters were back */
	long held_max;			/* largest number held */
	double bytes_per_lock;		/* from the memory counter */
	double kbytes_per_lock;		/* from /proc/meminfo */
} held;

/*
 * The session hs takes the set level by level; at each level the probe
 * (LOCK + UNLOCK of one more name on hs) is measured interleaved with two
 * empty ioctls on dev, another session that holds nothing: the baseline
 * shows how fast the machine ran meanwhile, and is independent of the set.
 */
static void run_held(int dev)
{
	uint64_t *handles, h = 0;
	char name[64];
	long long v;
	int hs, width, i, e = 0;
	long n = 0, k;
	double t0;

	held.ran = 1;
	width = snprintf(name, sizeof(name), "%ld", cfg.levels[cfg.nlevels - 1]);

	handles = calloc(cfg.levels[cfg.nlevels - 1], sizeof(*handles));
	if (!handles) {
		snprintf(held.why, sizeof(held.why), "out of memory");
		return;
	}
	if (cfg.raise_limits && geteuid() == 0) {
		long need = cfg.levels[cfg.nlevels - 1] + 64;

		raise_limit(&saved[0], "max_locks_per_user", need);
		raise_limit(&saved[1], "max_locks_per_space", need);
	}

	if (stat_get("memory", &held.mem_pre))
		held.mem_pre = -1;
	if (stat_get("locks", &held.locks_pre))
		held.locks_pre = -1;
	hs = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (hs < 0) {
		snprintf(held.why, sizeof(held.why), "%s: %s", DEV_PATH, strerror(errno));
		free(handles);
		return;
	}
	if (stat_get("memory", &held.mem0))
		held.mem0 = -1;
	held.kmem0 = meminfo_kernel();

	for (i = 0; i < cfg.nlevels; i++) {
		struct level *L = &held.lv[i];
		long start = n;

		held.nlv = i + 1;
		L->want = cfg.levels[i];
		if (L->want > 100000)
			note("taking %s locks in one session ...", count_str(L->want));
		t0 = now_ns();
		/*
		 * Names grow in byte order, so the set also obeys the strictest
		 * reading of the order rules; NONBLOCK so that nothing can hang.
		 */
		while (n < L->want) {
			snprintf(name, sizeof(name), "lockbench.held.%0*ld", width, n);
			e = ld_lock(hs, name, LOCKDEV_LOCK_NONBLOCK, &h);
			if (e)
				break;
			handles[n++] = h;
		}
		L->build_ns = n - start >= 1000 ? (now_ns() - t0) / (double)(n - start) : NAN;
		if (e) {
			L->build_err = e;
			note("taking lock %s of %s failed with %s (%s)%s", count_str(n + 1),
			     count_str(L->want), errname(e), strerror(e),
			     is_limit_err(e) ? ": the module refused more locks; measuring with what it gave" : "");
			/* Leave room for the measured lock under a limit. */
			if (is_limit_err(e) && n > 0 && ld_unlock(hs, handles[n - 1]) == 0)
				n--;
		}
		L->held = n;
		if (stat_get("memory", &v))
			v = -1;
		L->memory = v;
		L->kmem = meminfo_kernel();
		if (n > held.held_max)
			held.held_max = n;

		/* lockbench.probe sorts after every lockbench.held.* name. */
		L->probe.key = "held";
		L->probe.label = "lockdev LOCK+UNLOCK";
		L->probe.op = OP_LOCKDEV;
		L->probe.ctx.fd = hs;
		L->probe.ctx.name = "lockbench.probe";
		L->base.key = "empty2";
		L->base.label = "two empty ioctls";
		L->base.op = OP_EMPTY2;
		L->base.ctx.fd = dev;
		if (n > 0) {
			struct meas pair[2];

			pair[0] = L->probe;
			pair[1] = L->base;
			measure_set(pair, 2);
			L->probe = pair[0];
			L->base = pair[1];
			L->measured = 1;
		} else {
			meas_fail(&L->probe, e, "no lock could be taken");
			meas_fail(&L->base, e, "not measured");
		}
		if (e)
			break;
	}

	if (held.held_max > 0) {
		struct level *L = &held.lv[held.nlv - 1];

		if (held.mem0 >= 0 && L->memory >= 0)
			held.bytes_per_lock = (double)(L->memory - held.mem0) / (double)L->held;
		if (held.kmem0 >= 0 && L->kmem >= 0)
			held.kbytes_per_lock = (double)(L->kmem - held.kmem0) / (double)L->held;
	}

	/*
	 * Unlock the set before closing: a session that closes holding an
	 * EXCLUSIVE lock leaves it behind marked owner-died.
	 */
	if (n > 100000)
		note("unlocking %s locks ...", count_str(n));
	t0 = now_ns();
	for (k = 0; k < n; k++) {
		e = ld_unlock(hs, handles[k]);
		if (e) {
			note("unlocking held lock %s failed with %s (%s)", count_str(k + 1),
			     errname(e), strerror(e));
			break;
		}
	}
	if (k == n && n > 0)
		held.unlock_ns = (now_ns() - t0) / (double)n;
	t0 = now_ns();
	close(hs);
	held.close_ns = now_ns() - t0;
	free(handles);

	/* The counters may lag behind (RCU, work items): wait up to 10 s. */
	t0 = now_ns();
	for (i = 0; i < 100; i++) {
		if (stat_get("locks", &held.locks_after))
			held.locks_after = -1;
		if (stat_get("memory", &held.mem_after))
			held.mem_after = -1;
		if (held.locks_after <= held.locks_pre && held.mem_after <= held.mem_pre)
			break;
		usleep(100000);
	}
	held.settle_ns = now_ns() - t0;
	restore_limits();
}

/* ------------------------------------------------------------- hand-off */

/*
 * Two processes pass one EXCLUSIVE lock back and forth. The holder waits
 * until the other has announced its request and is asleep in the kernel
 * (state S or D in /proc/PID/stat), notes the time, and unlocks; the other
 * notes the time its blocking LOCK (or flock) call returns. The figure is
 * that interval: from the release to the blocked waiter running with the
 * lock. Waiting for the other side costs time too, but it is outside the
 * interval.
 *
 * By default both processes are pinned to one CPU: the interval is then the
 * unlock, the wake-up and one switch to the waiter. Under qemu TCG a wake-up
 * across CPUs waits for the host to schedule the other vCPU's thread, which
 * takes milliseconds, varies tenfold and would drown the lock's own cost
 * (--handoff-cpus split measures that instead).
 */
enum hvariant { HV_LOCKDEV, HV_FLOCK };

struct hshared {
	atomic_int holder;	/* 0 or 1 */
	atomic_int waiting[2];	/* announced a blocking request */
	atomic_int ready;	/* the child is set up */
	atomic_int stop;
	atomic_int error;
	atomic_long seq;	/* hand-offs done */
	atomic_long rel_seq;	/* seq when the lock was last released */
	atomic_llong t_rel;	/* when it was released, ns */
	char msg[200];
	long total;
	double lat[];		/* ns of hand-off k */
};

static struct hshared *hs_mem;
static size_t hs_size;
static char handoff_path[64];
static volatile sig_atomic_t alarmed;

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

static void hfail(struct hshared *sh, const char *fmt, ...)
{
	va_list ap;
	int zero = 0;

	if (!atomic_compare_exchange_strong(&sh->error, &zero, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->msg, sizeof(sh->msg), fmt, ap);
	va_end(ap);
}

struct hside {
	enum hvariant v;
	int fd;
	uint64_t handle;
	int statfd;		/* /proc/OTHER/stat */
};

static int h_open(struct hside *s)
{
	if (s->v == HV_LOCKDEV)
		s->fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	else
		s->fd = open(handoff_path, O_RDWR | O_CLOEXEC);
	return s->fd < 0 ? errno : 0;
}

static int h_lock(struct hside *s)
{
	if (s->v == HV_LOCKDEV)
		return ld_lock(s->fd, "lockbench.handoff", 0, &s->handle);
	return flock(s->fd, LOCK_EX) ? errno : 0;
}

static int h_unlock(struct hside *s)
{
	if (s->v == HV_LOCKDEV)
		return ld_unlock(s->fd, s->handle);
	return flock(s->fd, LOCK_UN) ? errno : 0;
}

/* Whether the task whose stat file is open sleeps (S or D). */
static int other_asleep(int statfd)
{
	char buf[512], *p;
	ssize_t n = pread(statfd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || !p[1] || !p[2])
		return -1;
	return p[2] == 'S' || p[2] == 'D';
}

static int timed_out(double start)
{
	return now_ns() - start > STEP_TIMEOUT_NS;
}

/* One side's loop; me 0 starts holding the lock. */
static void handoff_loop(struct hshared *sh, struct hside *s, int me)
{
	int other = !me, holding = me == 0, e, a;
	double start;
	int64_t t;
	long k;

	while (!atomic_load(&sh->error)) {
		if (holding) {
			start = now_ns();
			while (!atomic_load(&sh->waiting[other])) {
				if (atomic_load(&sh->error))
					return;
				if (timed_out(start)) {
					hfail(sh, "side %d: the other side never asked for the lock", me);
					break;
				}
				sched_yield();
			}
			while ((a = other_asleep(s->statfd)) == 0) {
				if (atomic_load(&sh->error))
					break;
				if (timed_out(start)) {
					hfail(sh, "side %d: the other side never blocked", me);
					break;
				}
			}
			if (a < 0)
				hfail(sh, "side %d: cannot read the other side's /proc stat", me);
			k = atomic_load(&sh->seq);
			if (k >= sh->total || atomic_load(&sh->error))
				atomic_store(&sh->stop, 1);
			atomic_store(&sh->rel_seq, k);
			atomic_store(&sh->t_rel, now_i64());
			e = h_unlock(s);
			holding = 0;
			if (e) {
				hfail(sh, "side %d: unlock: %s", me, strerror(e));
				return;
			}
			if (atomic_load(&sh->stop))
				return;
			start = now_ns();
			while (atomic_load(&sh->holder) != other) {
				if (atomic_load(&sh->error))
					return;
				if (timed_out(start)) {
					hfail(sh, "side %d: the other side never got the lock", me);
					return;
				}
				sched_yield();
			}
		} else {
			atomic_store(&sh->waiting[me], 1);
			e = h_lock(s);
			t = now_i64();
			atomic_store(&sh->waiting[me], 0);
			if (e) {
				hfail(sh, "side %d: blocking lock: %s%s", me, strerror(e),
				      alarmed ? " (the round's time limit passed)" : "");
				return;
			}
			holding = 1;
			if (atomic_load(&sh->stop) || atomic_load(&sh->error)) {
				h_unlock(s);
				return;
			}
			k = atomic_load(&sh->seq);
			if (atomic_load(&sh->rel_seq) != k) {
				hfail(sh, "side %d: granted while the other side held the lock", me);
				h_unlock(s);
				return;
			}
			sh->lat[k] = (double)(t - atomic_load(&sh->t_rel));
			atomic_store(&sh->seq, k + 1);
			atomic_store(&sh->holder, me);
		}
	}
	if (holding)
		h_unlock(s);
}

static int pick_cpus(int cpu[2])
{
	cpu_set_t set;
	int i, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			cpu[n++] = i;
	return n == 2;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* One round: returns the mean hand-off in ns, or NAN with msg set. */
static double handoff_round(enum hvariant v, char *msg, size_t msglen)
{
	struct hshared *sh = hs_mem;
	struct hside s = { .v = v, .fd = -1, .statfd = -1 };
	struct sigaction sa;
	cpu_set_t saved_set;
	int cpu[2], pinned, e, status, i;
	char path[64];
	double sum = 0;
	pid_t pid;

	memset(sh, 0, hs_size);
	atomic_store(&sh->rel_seq, -1);
	sh->total = HANDOFF_WARMUP + cfg.handoffs;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: a stuck wait fails */
	sigaction(SIGALRM, &sa, NULL);
	alarmed = 0;

	pinned = cfg.handoff_cpus != HC_FREE && pick_cpus(cpu) &&
		 sched_getaffinity(0, sizeof(saved_set), &saved_set) == 0;
	if (pinned && cfg.handoff_cpus == HC_SAME)
		cpu[1] = cpu[0];
	e = h_open(&s);
	if (!e)
		e = h_lock(&s);
	if (e) {
		snprintf(msg, msglen, "%s", strerror(e));
		if (s.fd >= 0)
			close(s.fd);
		return NAN;
	}
	atomic_store(&sh->holder, 0);

	pid = fork();
	if (pid < 0) {
		snprintf(msg, msglen, "fork: %s", strerror(errno));
		close(s.fd);
		return NAN;
	}
	if (pid == 0) {
		struct hside c = { .v = v, .fd = -1 };

		close(s.fd);	/* the parent's session or open file */
		if (pinned)
			pin(cpu[1]);
		alarm(120);
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)getppid());
		c.statfd = open(path, O_RDONLY | O_CLOEXEC);
		e = h_open(&c);
		if (e || c.statfd < 0)
			hfail(sh, "child: %s", strerror(e ? e : errno));
		atomic_store(&sh->ready, 1);
		if (!e && c.statfd >= 0)
			handoff_loop(sh, &c, 1);
		_exit(atomic_load(&sh->error) ? 1 : 0);
	}

	if (pinned)
		pin(cpu[0]);
	alarm(120);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	s.statfd = open(path, O_RDONLY | O_CLOEXEC);
	if (s.statfd < 0)
		hfail(sh, "parent: %s: %s", path, strerror(errno));
	{
		double start = now_ns();

		while (!atomic_load(&sh->ready) && !atomic_load(&sh->error)) {
			if (timed_out(start)) {
				hfail(sh, "the child did not start");
				break;
			}
			sched_yield();
		}
	}
	if (!atomic_load(&sh->error))
		handoff_loop(sh, &s, 0);
	close(s.fd);	/* releases the lock if an error left it held */
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    (WEXITSTATUS(status) != 0 && !atomic_load(&sh->error)))
		hfail(sh, "the child died");
	alarm(0);
	if (s.statfd >= 0)
		close(s.statfd);
	if (pinned)
		sched_setaffinity(0, sizeof(saved_set), &saved_set);
	if (atomic_load(&sh->error)) {
		snprintf(msg, msglen, "%s", sh->msg);
		return NAN;
	}
	if (atomic_load(&sh->seq) < sh->total) {
		snprintf(msg, msglen, "only %ld hand-offs", (long)atomic_load(&sh->seq));
		return NAN;
	}
	for (i = HANDOFF_WARMUP; i < sh->total; i++)
		sum += sh->lat[i];
	return sum / (double)cfg.handoffs;
}

static struct {
	int ran;
	struct meas m[2];	/* lockdev, flock; s[] in ns per hand-off */
} hand;

static void run_handoff(void)
{
	char msg[200];
	int r, k, i;
	double x;

	hand.ran = 1;
	hand.m[0].key = "handoff_lockdev";
	hand.m[0].label = "hand-off lockdev";
	hand.m[1].key = "handoff_flock";
	hand.m[1].label = "hand-off flock";
	if (!sys.lock_ok)
		meas_fail(&hand.m[0], sys.lock_err, "%s", sys.lock_why);

	hs_size = sizeof(struct hshared) + (HANDOFF_WARMUP + cfg.handoffs) * sizeof(double);
	hs_mem = mmap(NULL, hs_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (hs_mem == MAP_FAILED) {
		meas_fail(&hand.m[0], errno, "mmap: %s", strerror(errno));
		meas_fail(&hand.m[1], errno, "mmap: %s", strerror(errno));
		return;
	}
	note("hand-off: %d rounds of %s hand-offs each for lockdev and flock ...",
	     cfg.handoff_rounds, count_str(cfg.handoffs));
	for (r = 0; r < cfg.handoff_rounds; r++) {
		for (k = 0; k < 2; k++) {
			i = (r + k) % 2;
			if (hand.m[i].err)
				continue;
			x = handoff_round(i == 0 ? HV_LOCKDEV : HV_FLOCK, msg, sizeof(msg));
			if (isnan(x))
				meas_fail(&hand.m[i], EIO, "%s", msg);
			else
				hand.m[i].s[hand.m[i].n++] = x;
		}
	}
	for (i = 0; i < 2; i++) {
		hand.m[i].iters = cfg.handoffs;
		hand.m[i].med = hand.m[i].err ? NAN : median(hand.m[i].s, hand.m[i].n);
		minmax(hand.m[i].s, hand.m[i].err ? 0 : hand.m[i].n, &hand.m[i].lo, &hand.m[i].hi);
	}
	munmap(hs_mem, hs_size);
}

/* ---------------------------------------------------------------- bars */

/* ---------------------------------------------- deadlock detection cost */

#define DETECT_WALLS	10
#define DETECT_STACK	(64 * 1024)

struct dlevel {
	long want;		/* other waiters wanted */
	long have;		/* other waiters asleep when measured */
	struct meas probe, base;
};

static struct {
	int ran;
	char why[200];
	struct dlevel lv[MAX_LEVELS];
	int nlv;
	long started;		/* waiter threads started */
	long failed;		/* waiter threads that could not wait */
	int fail_err;
	double drain_ns;	/* letting every waiter through at the end */
} det;

static const char *wall_name(int i)
{
	static char names[DETECT_WALLS][32];

	snprintf(names[i], sizeof(names[i]), "lockbench.detect.wall.%d", i);
	return names[i];
}

/*
 * Another waiter: a session of its own, blocked in a SHARED LOCK of a wall
 * lock the holder keeps EXCLUSIVE, unrelated to the measured lock. When the
 * walls go it gets its lock, lets go and closes its session.
 */
static void *waiter_main(void *arg)
{
	long i = (long)arg;
	struct lockdev_lock l;
	struct lockdev_unlock u;
	const char *name = wall_name(i % DETECT_WALLS);
	int fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		__atomic_add_fetch(&det.failed, 1, __ATOMIC_RELAXED);
		det.fail_err = errno;
		return NULL;
	}
	memset(&l, 0, sizeof(l));
	l.name = (uintptr_t)name;
	l.name_len = strlen(name);
	l.mode = LOCKDEV_MODE_SHARED;
	if (ioctl(fd, LOCKDEV_IOC_LOCK, &l)) {
		__atomic_add_fetch(&det.failed, 1, __ATOMIC_RELAXED);
		det.fail_err = errno;
	} else {
		memset(&u, 0, sizeof(u));
		u.handle = l.handle;
		ioctl(fd, LOCKDEV_IOC_UNLOCK, &u);
	}
	close(fd);
	return NULL;
}

/* Wait until /proc/lockdev/stats shows @want waiters, for at most 60 s. */
static int wait_waiters(long long want)
{
	double end = now_ns() + 60e9;
	long long v = -1;

	while (now_ns() < end) {
		if (stat_get("waiters", &v))
			return -1;
		if (v >= want || det.failed)
			return v >= want ? 0 : -1;
		usleep(10000);
	}
	return -1;
}

/*
 * The measured session asks for a lock the holder keeps: a blocking LOCK
 * with a deadline already passed, so that it runs deadlock detection and
 * queues, then times out at once (OP_DETECT). Between levels, waiter
 * threads are added, each a session blocked on a wall lock the holder
 * keeps, until 0, 100 and 1,000 other requests wait in the system. At each
 * level the probe is measured interleaved with two empty ioctls, the
 * baseline that shows how fast the machine ran meanwhile.
 */
static void run_detect(int dev)
{
	static const char probe_name[] = "lockbench.detect.probe";
	pthread_t *threads = NULL;
	long long waiters0;
	pthread_attr_t attr;
	int holder, sess, i, e;
	long max = cfg.dwaiters[cfg.ndwaiters - 1];
	uint64_t h;
	double t0;

	det.ran = 1;
	holder = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	sess = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (holder < 0 || sess < 0) {
		snprintf(det.why, sizeof(det.why), "cannot open a session: %s",
			 strerror(errno));
		goto out;
	}
	e = ld_lock(holder, probe_name, 0, &h);
	for (i = 0; !e && i < DETECT_WALLS; i++)
		e = ld_lock(holder, wall_name(i), 0, &h);
	if (e) {
		snprintf(det.why, sizeof(det.why), "holder: LOCK: %s", errname(e));
		goto out;
	}
	if (stat_get("waiters", &waiters0)) {
		snprintf(det.why, sizeof(det.why), "/proc/lockdev/stats has no waiters");
		goto out;
	}
	threads = calloc(max ? max : 1, sizeof(*threads));
	if (!threads) {
		snprintf(det.why, sizeof(det.why), "out of memory");
		goto out;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, DETECT_STACK);
	for (i = 0; i < cfg.ndwaiters; i++) {
		struct dlevel *L = &det.lv[det.nlv];

		L->want = cfg.dwaiters[i];
		while (det.started < L->want) {
			if (pthread_create(&threads[det.started], &attr, waiter_main,
					   (void *)det.started)) {
				snprintf(det.why, sizeof(det.why),
					 "cannot start waiter thread %ld", det.started + 1);
				break;
			}
			det.started++;
		}
		if (det.why[0] || wait_waiters(waiters0 + L->want)) {
			if (!det.why[0])
				snprintf(det.why, sizeof(det.why),
					 "only %ld of %ld waiters waited (%s)",
					 det.started - det.failed, L->want,
					 det.failed ? errname(det.fail_err) : "timeout");
			break;
		}
		L->have = L->want;
		note("detection: %s other waiters asleep; %d rounds ...",
		     count_str(L->have), cfg.rounds);
		L->probe = (struct meas){ .key = "detect", .label = "blocking LOCK that waits",
					  .op = OP_DETECT,
					  .ctx = { .fd = sess, .name = probe_name } };
		L->base = (struct meas){ .key = "empty2", .label = "two empty ioctls",
					 .op = OP_EMPTY2, .ctx = { .fd = dev } };
		measure_set(&L->probe, 2);
		det.nlv++;
	}
	pthread_attr_destroy(&attr);
out:
	/* Let every waiter through: release the walls, join the threads. */
	t0 = now_ns();
	if (holder >= 0)
		close(holder);
	for (i = 0; i < det.started; i++)
		pthread_join(threads[i], NULL);
	det.drain_ns = now_ns() - t0;
	free(threads);
	if (sess >= 0)
		close(sess);
}

enum verdict { V_NA, V_PASS, V_FAIL };

struct bar {
	const char *key;
	const char *label;
	const char *op;		/* "<=" or "<" */
	double limit;
	double value;
	const char *unit;	/* "" for a ratio */
	enum verdict v;
	char note[200];
};

static struct bar bars[6];
static int nbars;

static struct bar *add_bar(const char *key, const char *label, const char *op,
			   double limit, double value, const char *unit)
{
	struct bar *b = &bars[nbars++];

	b->key = key;
	b->label = label;
	b->op = op;
	b->limit = limit;
	b->value = value;
	b->unit = unit;
	if (isnan(value))
		b->v = V_NA;
	else if (!strcmp(op, "<"))
		b->v = value < limit ? V_PASS : V_FAIL;
	else
		b->v = value <= limit ? V_PASS : V_FAIL;
	return b;
}

static const char *verdict_str(enum verdict v)
{
	return v == V_PASS ? "PASS" : v == V_FAIL ? "FAIL" : "N/A";
}

/* ---------------------------------------------------------------- output */

static struct meas un[5];	/* the uncontended figures */

static const struct meas *find_un(const char *key)
{
	int i;

	for (i = 0; i < 5; i++)
		if (!strcmp(un[i].key, key))
			return &un[i];
	return NULL;
}

static double ratio(double a, double b)
{
	return isnan(a) || isnan(b) || b <= 0 ? NAN : a / b;
}

static void print_meas_row(const struct meas *m, const char *label)
{
	if (m->err) {
		printf("  %-40s %12s   %s\n", label, "-", m->why);
		return;
	}
	printf("  %-40s %12.1f %10.1f %10.1f %12s\n", label, m->med, m->lo, m->hi,
	       count_str(m->iters));
}

static const char *hc_str(void)
{
	return cfg.handoff_cpus == HC_SAME ? "both on one CPU" :
	       cfg.handoff_cpus == HC_SPLIT ? "one CPU each" : "CPUs as the scheduler picks";
}

static void print_text(void)
{
	int i;

	printf("\nlockbench: %s run, %d rounds of about %.0f ms per figure; kernel %s, %ld CPUs, clocksource %s\n",
	       cfg.quick ? "QUICK" : "full", cfg.rounds, cfg.round_ns / 1e6,
	       sys.release, sys.cpus, sys.clocksource[0] ? sys.clocksource : "?");
	if (sys.have_version)
		printf("lockdev module %u.%u.%u, abi %u, features 0x%llx\n",
		       sys.v.major, sys.v.minor, sys.v.patch, sys.v.abi_version,
		       (unsigned long long)sys.v.features);
	if (!sys.lock_ok)
		printf("lockdev locking unavailable: %s\n", sys.lock_why);
	printf("Times are ns per operation, the median of the rounds (and the fastest and slowest\n"
	       "round). Absolute times under qemu TCG drift from run to run: compare ratios only.\n\n");

	printf("uncontended lock + unlock (one process, nothing else held)\n");
	printf("  %-40s %12s %10s %10s %12s\n", "", "ns/op", "min", "max", "ops/round");
	for (i = 0; i < 5; i++)
		print_meas_row(&un[i], un[i].label);

	if (held.ran) {
		printf("\nlockdev LOCK + UNLOCK of one more name while the session holds N locks\n");
		if (held.why[0])
			printf("  not run: %s\n", held.why);
		printf("  %12s %12s %10s %10s %16s %8s %14s\n", "held", "ns/op", "min", "max",
		       "2 empty ioctls", "ratio", "ns/LOCK build");
		for (i = 0; i < held.nlv; i++) {
			const struct level *L = &held.lv[i];
			char held_s[48];

			snprintf(held_s, sizeof(held_s), "%s", count_str(L->held));
			if (L->probe.err) {
				printf("  %12s %12s   %s\n", held_s, "-", L->probe.why);
			} else {
				char build[32] = "-";

				if (!isnan(L->build_ns))
					snprintf(build, sizeof(build), "%.1f", L->build_ns);
				printf("  %12s %12.1f %10.1f %10.1f %16.1f %8.3f %14s\n",
				       held_s, L->probe.med, L->probe.lo, L->probe.hi,
				       L->base.med, ratio(L->probe.med, L->base.med),
				       build);
			}
			if (L->build_err)
				printf("  %12s the module refused lock %s of %s: %s (%s)\n", "",
				       count_str(L->held + 1), count_str(L->want),
				       errname(L->build_err), strerror(L->build_err));
		}
		if (held.held_max > 0) {
			printf("\nmemory per held lock (%s held, names of %d bytes)\n",
			       count_str(held.held_max),
			       (int)strlen("lockbench.held.") +
			       snprintf(NULL, 0, "%ld", cfg.levels[cfg.nlevels - 1]));
			if (held.mem0 >= 0 && !isnan(held.bytes_per_lock))
				printf("  /proc/lockdev/stats memory: %s -> %s bytes: %.1f bytes per held lock\n",
				       count_str(held.mem0),
				       count_str(held.lv[held.nlv - 1].memory),
				       held.bytes_per_lock);
			else
				printf("  /proc/lockdev/stats has no memory counter\n");
			if (!isnan(held.kbytes_per_lock))
				printf("  /proc/meminfo Slab+VmallocUsed+Percpu grew %.1f bytes per held lock (whole kernel; a cross-check)\n",
				       held.kbytes_per_lock);
			if (!isnan(held.unlock_ns))
				printf("  releasing them with UNLOCK took %.1f ns per lock; ", held.unlock_ns);
			else
				printf("  ");
			printf("close() of the emptied session took %.1f ms\n", held.close_ns / 1e6);
			if (held.locks_after >= 0 && held.mem_after >= 0 && held.mem_pre >= 0)
				printf("  afterwards: %lld locks (%lld before), memory %+lld bytes against before%s\n",
				       held.locks_after, held.locks_pre, held.mem_after - held.mem_pre,
				       held.locks_after <= held.locks_pre && held.mem_after <= held.mem_pre ?
				       "" : " (NOT back after 10 s: a leak?)");
		}
	}

	if (hand.ran) {
		printf("\nexclusive hand-off between two processes (ns from the holder's unlock to the\n"
		       "blocked waiter's return with the lock; %s per round, %d rounds; %s)\n",
		       count_str(cfg.handoffs), cfg.handoff_rounds, hc_str());
		printf("  %-40s %12s %10s %10s\n", "", "ns/hand-off", "min", "max");
		print_meas_row(&hand.m[0], "lockdev EXCLUSIVE, blocking LOCK");
		print_meas_row(&hand.m[1], "flock LOCK_EX, blocking");
	}

	if (det.ran) {
		printf("\nblocking LOCK that has to wait, so runs deadlock detection (a deadline already\n"
		       "passed: detection, queueing, ETIMEDOUT; no sleep), with N other waiters asleep\n");
		if (det.why[0])
			printf("  stopped: %s\n", det.why);
		printf("  %12s %12s %10s %10s %16s %8s\n", "waiters", "ns/op", "min", "max",
		       "2 empty ioctls", "ratio");
		for (i = 0; i < det.nlv; i++) {
			const struct dlevel *L = &det.lv[i];

			if (L->probe.err)
				printf("  %12s %12s   %s\n", count_str(L->have), "-", L->probe.why);
			else
				printf("  %12s %12.1f %10.1f %10.1f %16.1f %8.3f\n",
				       count_str(L->have), L->probe.med, L->probe.lo,
				       L->probe.hi, L->base.med,
				       ratio(L->probe.med, L->base.med));
		}
		printf("  letting the %s waiters through at the end took %.0f ms\n",
		       count_str(det.started), det.drain_ns / 1e6);
	}

	printf("\nbars%s\n", cfg.quick ? " (QUICK run: reduced counts, verdicts are only indicative)" : "");
	for (i = 0; i < nbars; i++) {
		const struct bar *b = &bars[i];
		char val[32];

		if (isnan(b->value))
			snprintf(val, sizeof(val), "-");
		else
			snprintf(val, sizeof(val), b->unit[0] ? "%.1f" : "%.3f", b->value);
		printf("  %-50s %10s %s %-3s %-7g %-4s", b->label, val, b->unit[0] ? b->unit : " ",
		       b->op, b->limit, verdict_str(b->v));
		if (b->note[0])
			printf("  %s", b->note);
		printf("\n");
	}
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_num(double x)
{
	if (isnan(x) || isinf(x))
		printf("null");
	else
		printf("%.3f", x);
}

static void json_meas(const struct meas *m)
{
	int i;

	printf("{\"key\": ");
	json_str(m->key);
	printf(", \"label\": ");
	json_str(m->label);
	printf(", \"ns\": ");
	json_num(m->err ? NAN : m->med);
	printf(", \"min\": ");
	json_num(m->err ? NAN : m->lo);
	printf(", \"max\": ");
	json_num(m->err ? NAN : m->hi);
	printf(", \"ops_per_round\": %ld, \"rounds\": [", m->iters);
	for (i = 0; !m->err && i < m->n; i++) {
		printf(i ? ", " : "");
		json_num(m->s[i]);
	}
	printf("], \"error\": ");
	if (m->err)
		json_str(m->why);
	else
		printf("null");
	printf("}");
}

static void print_json(void)
{
	int i;

	printf("{\n  \"quick\": %s,\n  \"rounds\": %d,\n  \"round_ms\": %.0f,\n",
	       cfg.quick ? "true" : "false", cfg.rounds, cfg.round_ns / 1e6);
	printf("  \"kernel\": ");
	json_str(sys.release);
	printf(",\n  \"cpus\": %ld,\n  \"clocksource\": ", sys.cpus);
	json_str(sys.clocksource);
	printf(",\n  \"module\": ");
	if (sys.have_version)
		printf("{\"version\": \"%u.%u.%u\", \"abi\": %u, \"features\": %llu}",
		       sys.v.major, sys.v.minor, sys.v.patch, sys.v.abi_version,
		       (unsigned long long)sys.v.features);
	else
		printf("null");
	printf(",\n  \"lock_available\": %s,\n  \"lock_error\": ", sys.lock_ok ? "true" : "false");
	if (sys.lock_ok)
		printf("null");
	else
		json_str(sys.lock_why);
	printf(",\n  \"uncontended\": [\n");
	for (i = 0; i < 5; i++) {
		printf("    ");
		json_meas(&un[i]);
		printf(i < 4 ? ",\n" : "\n");
	}
	printf("  ],\n  \"held\": [\n");
	for (i = 0; held.ran && i < held.nlv; i++) {
		const struct level *L = &held.lv[i];

		printf("    {\"want\": %ld, \"held\": %ld, \"build_error\": ", L->want, L->held);
		if (L->build_err)
			json_str(errname(L->build_err));
		else
			printf("null");
		printf(", \"build_ns_per_lock\": ");
		json_num(L->build_ns);
		printf(", \"memory\": %lld, \"lock_unlock\": ", L->memory);
		json_meas(&L->probe);
		printf(", \"empty2\": ");
		json_meas(&L->base);
		printf("}%s\n", i < held.nlv - 1 ? "," : "");
	}
	printf("  ],\n  \"memory\": {\"held\": %ld, \"before\": %lld, \"bytes_per_lock\": ",
	       held.held_max, held.mem0);
	json_num(held.bytes_per_lock);
	printf(", \"meminfo_bytes_per_lock\": ");
	json_num(held.kbytes_per_lock);
	printf(", \"unlock_ns_per_lock\": ");
	json_num(held.unlock_ns);
	printf(", \"close_ms\": ");
	json_num(held.close_ns / 1e6);
	printf(", \"locks_before\": %lld, \"memory_before_session\": %lld",
	       held.locks_pre, held.mem_pre);
	printf(", \"locks_after_close\": %lld, \"memory_after_close\": %lld},\n",
	       held.locks_after, held.mem_after);
	printf("  \"handoff\": {\"per_round\": %ld, \"cpus\": ", cfg.handoffs);
	json_str(cfg.handoff_cpus == HC_SAME ? "same" : cfg.handoff_cpus == HC_SPLIT ? "split" : "free");
	printf(", \"lockdev\": ");
	json_meas(&hand.m[0]);
	printf(", \"flock\": ");
	json_meas(&hand.m[1]);
	printf("},\n  \"detect\": {\"error\": ");
	if (det.why[0])
		json_str(det.why);
	else
		printf("null");
	printf(", \"levels\": [");
	for (i = 0; i < det.nlv; i++) {
		printf("%s\n    {\"waiters\": %ld, \"lock\": ", i ? "," : "", det.lv[i].have);
		json_meas(&det.lv[i].probe);
		printf(", \"empty2\": ");
		json_meas(&det.lv[i].base);
		printf("}");
	}
	printf("]},\n  \"bars\": [\n");
	for (i = 0; i < nbars; i++) {
		const struct bar *b = &bars[i];

		printf("    {\"key\": ");
		json_str(b->key);
		printf(", \"label\": ");
		json_str(b->label);
		printf(", \"value\": ");
		json_num(b->value);
		printf(", \"op\": \"%s\", \"limit\": %g, \"verdict\": \"%s\", \"note\": ",
		       b->op, b->limit, verdict_str(b->v));
		json_str(b->note);
		printf("}%s\n", i < nbars - 1 ? "," : "");
	}
	printf("  ]\n}\n");
}

/* ---------------------------------------------------------------- main */

static char tmp_paths[4][64];

static void cleanup(void)
{
	int i;

	for (i = 0; i < 4; i++)
		if (tmp_paths[i][0])
			unlink(tmp_paths[i]);
	restore_limits();
}

static void on_fatal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int tmp_file(int i, const char *what)
{
	int fd;

	snprintf(tmp_paths[i], sizeof(tmp_paths[i]), "/tmp/lockbench.%s.XXXXXX", what);
	fd = mkostemp(tmp_paths[i], O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create a file in /tmp: %s\n", prog, strerror(errno));
		tmp_paths[i][0] = '\0';
	}
	return fd;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-q] [--json] [options]\n"
		"Measures lockdev against two empty ioctls, flock, fcntl and OFD locks,\n"
		"with many locks held, memory per held lock, two-process hand-off and the\n"
		"cost of deadlock detection with many waiters, and\n"
		"checks the performance bars of the design (see bench/README).\n"
		"  -q, --quick         small counts and short rounds, for smoke tests\n"
		"  -j, --json          machine-readable output on stdout\n"
		"  -r, --rounds N      rounds per figure (default 21, quick 5)\n"
		"  -t, --round-ms MS   length of one round of one figure (default 100, quick 20)\n"
		"  -n, --max-held N    the largest number of held locks (default 1000000,\n"
		"                      quick 10000)\n"
		"  -H, --handoffs N    hand-offs per round (default 1000, quick 200; rounds:\n"
		"                      15 or --rounds if fewer, quick 3)\n"
		"      --handoff-cpus same|split|free  where the two hand-off processes run:\n"
		"                      one CPU (default), one CPU each, or unpinned\n"
		"  -W, --max-waiters N other waiters for the detection figure (default\n"
		"                      1000, quick 100; also measured with none and 100)\n"
		"      --no-raise-limits  do not raise the module's lock limits for the run\n"
		"      --check         exit 1 unless every bar passed\n"
		"  -h, --help          this text\n"
		"Exit status: 0 when it ran, 1 with --check when a bar did not pass, 2 when\n"
		"it could not run (no %s, bad usage).\n", prog, DEV_PATH);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "json", no_argument, NULL, 'j' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "round-ms", required_argument, NULL, 't' },
		{ "max-held", required_argument, NULL, 'n' },
		{ "handoffs", required_argument, NULL, 'H' },
		{ "no-raise-limits", no_argument, NULL, 'L' },
		{ "check", no_argument, NULL, 'C' },
		{ "handoff-cpus", required_argument, NULL, 'P' },
		{ "max-waiters", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	long rounds = 0, round_ms = 0, max_held = 0, handoffs = 0, max_waiters = 0;
	const struct meas *m_e, *m_l, *m_f;
	int c, dev, fd_flock, fd_fcntl, fd_ofd, hfd, i, failed = 0;
	struct bar *b;
	char *end;

	cfg.raise_limits = 1;
	held.bytes_per_lock = held.kbytes_per_lock = held.close_ns = NAN;
	held.unlock_ns = held.settle_ns = NAN;
	held.mem0 = held.mem_after = held.locks_after = -1;
	held.mem_pre = held.locks_pre = held.kmem0 = -1;
	while ((c = getopt_long(argc, argv, "qjr:t:n:H:W:h", opts, NULL)) != -1) {
		long *dst = NULL;

		switch (c) {
		case 'q': cfg.quick = 1; break;
		case 'j': cfg.json = 1; break;
		case 'r': dst = &rounds; break;
		case 't': dst = &round_ms; break;
		case 'n': dst = &max_held; break;
		case 'H': dst = &handoffs; break;
		case 'W': dst = &max_waiters; break;
		case 'L': cfg.raise_limits = 0; break;
		case 'C': cfg.check = 1; break;
		case 'P':
			if (!strcmp(optarg, "same"))
				cfg.handoff_cpus = HC_SAME;
			else if (!strcmp(optarg, "split"))
				cfg.handoff_cpus = HC_SPLIT;
			else if (!strcmp(optarg, "free"))
				cfg.handoff_cpus = HC_FREE;
			else {
				fprintf(stderr, "%s: --handoff-cpus: same, split or free\n", prog);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (dst) {
			errno = 0;
			*dst = strtol(optarg, &end, 10);
			if (errno || *end || *dst <= 0) {
				fprintf(stderr, "%s: bad number: %s\n", prog, optarg);
				return 2;
			}
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	cfg.rounds = rounds ? rounds : cfg.quick ? 5 : 21;
	if (cfg.rounds > MAX_ROUNDS)
		cfg.rounds = MAX_ROUNDS;
	cfg.round_ns = (round_ms ? round_ms : cfg.quick ? 20 : 100) * 1e6;
	max_held = max_held ? max_held : cfg.quick ? 10000 : 1000000;
	cfg.levels[0] = 10;
	cfg.nlevels = 1;
	if (max_held > 10000)
		cfg.levels[cfg.nlevels++] = cfg.quick ? 1000 : 10000;
	else if (max_held > 1000 && cfg.quick)
		cfg.levels[cfg.nlevels++] = 1000;
	if (max_held > 10)
		cfg.levels[cfg.nlevels++] = max_held;
	cfg.handoffs = handoffs ? handoffs : cfg.quick ? 200 : 1000;
	cfg.handoff_rounds = cfg.quick ? 3 : cfg.rounds < 15 ? cfg.rounds : 15;
	max_waiters = max_waiters ? max_waiters : cfg.quick ? 100 : 1000;
	cfg.dwaiters[0] = 0;
	cfg.ndwaiters = 1;
	if (max_waiters > 100)
		cfg.dwaiters[cfg.ndwaiters++] = 100;
	else if (max_waiters > 10)
		cfg.dwaiters[cfg.ndwaiters++] = 10;
	cfg.dwaiters[cfg.ndwaiters++] = max_waiters;

	dev = open(DEV_PATH, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		int e = errno;

		if (e == ENOENT && access("/proc/lockdev", F_OK) != 0)
			fprintf(stderr, "%s: %s: %s: the lockdev module is not loaded "
				"(bench/run boots a guest with it loaded)\n",
				prog, DEV_PATH, strerror(e));
		else
			fprintf(stderr, "%s: cannot open %s: %s\n", prog, DEV_PATH, strerror(e));
		return 2;
	}

	atexit(cleanup);
	signal(SIGINT, on_fatal);
	signal(SIGTERM, on_fatal);
	fd_flock = tmp_file(0, "flock");
	fd_fcntl = tmp_file(1, "fcntl");
	fd_ofd = tmp_file(2, "ofd");
	hfd = tmp_file(3, "handoff");
	if (hfd >= 0) {
		/* The hand-off file: each side opens it itself. */
		snprintf(handoff_path, sizeof(handoff_path), "%s", tmp_paths[3]);
		close(hfd);
	}
	if (fd_flock < 0 || fd_fcntl < 0 || fd_ofd < 0 || hfd < 0)
		return 2;

	probe_module(dev);
	if (!sys.lock_ok)
		note("%s: measuring the rest", sys.lock_why);

	/* 1-5: uncontended, interleaved. */
	un[0] = (struct meas){ .key = "empty2", .label = "two empty ioctls (baseline)",
			       .op = OP_EMPTY2, .ctx = { .fd = dev } };
	un[1] = (struct meas){ .key = "lockdev", .label = "lockdev LOCK+UNLOCK",
			       .op = OP_LOCKDEV,
			       .ctx = { .fd = dev, .name = "lockbench.uncontended" } };
	un[2] = (struct meas){ .key = "flock", .label = "flock LOCK_EX+LOCK_UN",
			       .op = OP_FLOCK, .ctx = { .fd = fd_flock } };
	un[3] = (struct meas){ .key = "fcntl", .label = "fcntl F_SETLK wrlck+unlck",
			       .op = OP_FCNTL, .ctx = { .fd = fd_fcntl } };
	un[4] = (struct meas){ .key = "ofd", .label = "OFD F_OFD_SETLK wrlck+unlck",
			       .op = OP_OFD, .ctx = { .fd = fd_ofd } };
	if (!sys.lock_ok)
		meas_fail(&un[1], sys.lock_err, "%s", sys.lock_why);
	note("uncontended: %d rounds of 5 figures ...", cfg.rounds);
	measure_set(un, 5);

	/* 6: held locks and memory. */
	if (sys.lock_ok)
		run_held(dev);
	else
		snprintf(held.why, sizeof(held.why), "%s", sys.lock_why);

	/* 7: hand-off. */
	run_handoff();

	/* 8: deadlock detection with other waiters. */
	if (sys.lock_ok)
		run_detect(dev);
	else
		snprintf(det.why, sizeof(det.why), "%s", sys.lock_why);

	/* The bars. */
	m_e = find_un("empty2");
	m_l = find_un("lockdev");
	m_f = find_un("flock");
	b = add_bar("lockdev_vs_empty_ioctls", "lockdev uncontended / two empty ioctls",
		    "<=", 1.25, ratio(m_l->med, m_e->med), "");
	if (m_l->err)
		snprintf(b->note, sizeof(b->note), "%s", m_l->why);
	b = add_bar("lockdev_vs_flock", "lockdev uncontended / flock", "<", 1.0,
		    ratio(m_l->med, m_f->med), "");
	if (m_l->err)
		snprintf(b->note, sizeof(b->note), "%s", m_l->why);
	{
		const struct level *lo = NULL, *hi = NULL;
		double g = NAN;
		static char label_buf[96];

		for (i = 0; held.ran && i < held.nlv; i++) {
			if (held.lv[i].probe.err || held.lv[i].base.err)
				continue;
			if (!lo)
				lo = &held.lv[i];
			hi = &held.lv[i];
		}
		/*
		 * The sizes are measured one after the other, so the machine may
		 * have changed speed in between: the growth is judged on each
		 * size's figure relative to the baseline measured alongside it.
		 */
		if (lo && hi && hi != lo)
			g = ratio(ratio(hi->probe.med, hi->base.med),
				  ratio(lo->probe.med, lo->base.med));
		snprintf(label_buf, sizeof(label_buf), "growth, %s held / %s held",
			 count_str(cfg.levels[cfg.nlevels - 1]), count_str(cfg.levels[0]));
		b = add_bar("growth_held", label_buf, "<=", 1.30, g, "");
		if (!sys.lock_ok) {
			snprintf(b->note, sizeof(b->note), "%s", sys.lock_why);
		} else if (hi && hi->held < cfg.levels[cfg.nlevels - 1]) {
			/* Measured, but not at the number the bar names. */
			snprintf(b->note, sizeof(b->note),
				 "only %s held (%s); ratio is for that many",
				 count_str(hi->held), errname(hi->build_err));
			b->v = V_NA;
		} else if (hi && lo && hi != lo) {
			snprintf(b->note, sizeof(b->note),
				 "baseline-corrected; raw %.3f, baseline drift %.3f",
				 ratio(hi->probe.med, lo->probe.med),
				 ratio(hi->base.med, lo->base.med));
		}
	}
	b = add_bar("bytes_per_held_lock", "bytes per held lock", "<=", 256,
		    held.bytes_per_lock, "B");
	if (!sys.lock_ok)
		snprintf(b->note, sizeof(b->note), "%s", sys.lock_why);
	else if (held.held_max > 0 && held.mem0 < 0)
		snprintf(b->note, sizeof(b->note), "/proc/lockdev/stats has no memory counter");
	else if (held.held_max > 0 && held.held_max < cfg.levels[cfg.nlevels - 1])
		snprintf(b->note, sizeof(b->note), "with %s held", count_str(held.held_max));
	b = add_bar("handoff_vs_flock", "hand-off lockdev / flock", "<=", 1.0,
		    ratio(hand.m[0].med, hand.m[1].med), "");
	if (hand.m[0].err)
		snprintf(b->note, sizeof(b->note), "lockdev: %s", hand.m[0].why);
	else if (hand.m[1].err)
		snprintf(b->note, sizeof(b->note), "flock: %s", hand.m[1].why);

	{
		const struct dlevel *lo = det.nlv ? &det.lv[0] : NULL;
		const struct dlevel *hi = det.nlv ? &det.lv[det.nlv - 1] : NULL;
		static char label_buf[96];
		double g = NAN;

		if (lo && hi != lo && !lo->probe.err && !hi->probe.err &&
		    !lo->base.err && !hi->base.err)
			g = ratio(ratio(hi->probe.med, hi->base.med),
				  ratio(lo->probe.med, lo->base.med));
		snprintf(label_buf, sizeof(label_buf),
			 "detection, %s other waiters / none",
			 count_str(cfg.dwaiters[cfg.ndwaiters - 1]));
		b = add_bar("detect_waiters", label_buf, "<=", 2.0, g, "");
		if (!sys.lock_ok) {
			snprintf(b->note, sizeof(b->note), "%s", sys.lock_why);
		} else if (hi && hi->have < cfg.dwaiters[cfg.ndwaiters - 1]) {
			snprintf(b->note, sizeof(b->note), "%s", det.why);
			b->v = V_NA;
		} else if (isnan(g)) {
			snprintf(b->note, sizeof(b->note), "%s",
				 det.why[0] ? det.why : lo && lo->probe.err ?
				 lo->probe.why : hi && hi->probe.err ? hi->probe.why :
				 "not measured");
		} else {
			snprintf(b->note, sizeof(b->note),
				 "baseline-corrected; raw %.3f, baseline drift %.3f",
				 ratio(hi->probe.med, lo->probe.med),
				 ratio(hi->base.med, lo->base.med));
		}
	}

	if (cfg.json)
		print_json();
	else
		print_text();
	fflush(stdout);

	close(dev);
	close(fd_flock);
	close(fd_fcntl);
	close(fd_ofd);
	for (i = 0; i < nbars; i++)
		if (bars[i].v != V_PASS)
			failed = 1;
	return cfg.check && failed ? 1 : 0;
}
