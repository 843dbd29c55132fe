// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: the performance bars of issue 12 (docs: bench/README), measured
 * in one process run against the same machine's alternatives:
 *
 *  1. one process, nothing else held, every round in a shuffled order: the
 *     floors (two empty ioctls, two VERSION ioctls, flock, fcntl, OFD, a
 *     futex mutex), by-name LOCK + UNLOCK of random names of 16, 40, 100
 *     and 200 bytes (40 twice: the noise check) and the by-handle relock;
 *  2. kernel memory per held lock by name length (memory.c);
 *  3. hand-off between two processes, lockdev against flock (handoff.c);
 *  4. deadlock detection with 0, 100 and 1,000 other waiters (detect.c);
 *  5. contended throughput in two lockspaces against one (spaces.c);
 *  6. by-name LOCK + UNLOCK with 10 ... 1,000,000 other locks held
 *     (growth.c).
 *
 * Before each of 3-6 the kernel's memory use is let settle, so that frees
 * left over from the one before do not slow it down.
 *
 * Exit status: 0 when it ran (with --check, only if every bar passed, else
 * 1), 2 when it could not run (usage, no /dev/lockdev).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "lockbench.h"

struct config cfg;
struct system_info sys;
const int name_lens[NR_NAME_LENS] = { 16, 40, 100, 200 };

struct meas figs[16];
int nfigs;

static struct name_pool pools[NR_NAME_LENS + 1];
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

	snprintf(tmp_paths[i], sizeof(tmp_paths[i]), "/tmp/lockbench.%s.XXXXXX",
		 what);
	fd = mkostemp(tmp_paths[i], O_CLOEXEC);
	if (fd < 0) {
		note("cannot create a file in /tmp: %s", strerror(errno));
		tmp_paths[i][0] = '\0';
	}
	return fd;
}

static void probe_module(int dev)
{
	struct utsname u;
	uint64_t h;
	FILE *f;
	int e;

	sys.have_version = !ioctl(dev, LOCKDEV_IOC_VERSION, &sys.v);
	if (!uname(&u))
		snprintf(sys.release, sizeof(sys.release), "%s", u.release);
	snprintf(sys.clocksource, sizeof(sys.clocksource), "?");
	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (fscanf(f, "%63s", sys.clocksource) != 1)
			snprintf(sys.clocksource, sizeof(sys.clocksource), "?");
		fclose(f);
	}
	sys.cpus = sysconf(_SC_NPROCESSORS_ONLN);

	e = ld_lock(dev, "lb.probe", 8, LOCKDEV_MODE_EXCLUSIVE,
		    LOCKDEV_LOCK_NONBLOCK, &h);
	if (!e)
		e = ld_unlock(dev, h);
	sys.lock_err = e;
	sys.lock_ok = !e;
	if (e)
		snprintf(sys.lock_why, sizeof(sys.lock_why),
			 "LOCK + UNLOCK fails with %s: %s%s", errname(e),
			 strerror(e), e == ENOTTY ? " (no lock engine)" : "");
}

static void add_fig(const char *key, const char *label,
		    int (*run)(struct op *, long), int fd,
		    struct name_pool *names)
{
	struct meas *m = &figs[nfigs++];

	m->key = key;
	m->label = label;
	m->op.run = run;
	m->op.fd = fd;
	m->op.names = names;
	if (names && !sys.lock_ok)
		meas_fail(m, sys.lock_err, "%s", sys.lock_why);
}

/* The relock figure works on a session of its own, holding one lock. */
static void add_relock(uint64_t *rnd)
{
	struct meas *m = &figs[nfigs];
	int fd, e;

	add_fig("relock", "by-handle relock NONE->EX->NONE", op_relock, -1,
		&pools[NR_NAME_LENS]);
	if (m->err)
		return;
	e = pool_init(&pools[NR_NAME_LENS], "rl", 40, 1, rnd);
	fd = open_session(NULL);
	if (e || fd < 0) {
		meas_fail(m, e ? e : -fd, "cannot set up");
		return;
	}
	m->op.fd = fd;
	e = relock_setup(&m->op, pools[NR_NAME_LENS].buf, 40);
	if (e == EINVAL)
		meas_fail(m, e, "unsupported (LOCKDEV_MODE_NONE: EINVAL)");
	else if (e)
		meas_fail(m, e, "%s: %s", errname(e), strerror(e));
}

static int uncontended(int dev, const char *flock_path, uint64_t *rnd)
{
	static char labels[NR_NAME_LENS][48];
	static const char *keys[NR_NAME_LENS] = {
		"lock16", "lock", "lock100", "lock200"
	};
	int fd_flock, fd_fcntl, fd_ofd, i;

	fd_flock = open(flock_path, O_RDWR | O_CLOEXEC);
	fd_fcntl = tmp_file(1, "fcntl");
	fd_ofd = tmp_file(2, "ofd");
	if (fd_flock < 0 || fd_fcntl < 0 || fd_ofd < 0)
		return -1;
	for (i = 0; i < NR_NAME_LENS; i++) {
		if (pool_init(&pools[i], "p", name_lens[i], cfg.pool, rnd))
			return -1;
		snprintf(labels[i], sizeof(labels[i]),
			 "by-name LOCK+UNLOCK, %d-byte names", name_lens[i]);
	}

	add_fig("empty2", "two empty ioctls (ENOTTY)", op_empty2, dev, NULL);
	add_fig("version2", "two VERSION ioctls", op_version2, dev, NULL);
	add_fig("flock", "flock LOCK_EX+LOCK_UN", op_flock, fd_flock, NULL);
	add_fig("fcntl", "fcntl F_SETLK wrlck+unlck", op_fcntl, fd_fcntl, NULL);
	add_fig("ofd", "OFD F_OFD_SETLK wrlck+unlck", op_ofd, fd_ofd, NULL);
	add_fig("futex", "futex mutex lock+unlock", op_futex, -1, NULL);
	for (i = 0; i < NR_NAME_LENS; i++)
		add_fig(keys[i], labels[i], op_lock, dev, &pools[i]);
	add_fig("lock_again", "the 40-byte figure again (noise check)",
		op_lock, dev, &pools[1]);
	add_relock(rnd);

	note("uncontended: %d rounds of %d figures ...", cfg.rounds, nfigs);
	measure_set(figs, nfigs, rnd);
	close(fd_flock);
	close(fd_fcntl);
	close(fd_ofd);
	if (figs[nfigs - 1].op.fd >= 0)
		close(figs[nfigs - 1].op.fd);
	for (i = 0; i <= NR_NAME_LENS; i++)
		pool_free(&pools[i]);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lockbench [options]\n"
		"Measures lockdev against two empty and two VERSION ioctls, flock, fcntl,\n"
		"OFD locks and a futex mutex; memory per held lock; growth with held\n"
		"locks; hand-off; deadlock detection with waiters; contended throughput\n"
		"in two lockspaces against one; and checks the bars of issue 12\n"
		"(see bench/README).\n"
		"  -q, --quick          small counts and short rounds, a smoke run\n"
		"  -r, --rounds N       rounds per figure (default 21, quick 5)\n"
		"  -t, --round-ms MS    one round of one figure (default 100, quick 20)\n"
		"  -n, --max-held N     most other locks held for growth (default\n"
		"                       1000000, quick 10000)\n"
		"  -m, --mem-locks N    locks held for memory per lock (default 100000,\n"
		"                       quick 10000)\n"
		"  -H, --handoffs N     hand-offs per round (default 1000, quick 200)\n"
		"  -W, --max-waiters N  other waiters for detection (default 1000,\n"
		"                       quick 100)\n"
		"  -s, --seed N         seed of the random names and orders\n"
		"  -o, --out DIR        write figures.json and the plot data there\n"
		"      --no-raise-limits  leave the module's lock limits alone\n"
		"      --check          exit 1 unless every bar passed\n"
		"  -h, --help           this text\n");
}

static int parse_num(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 10);
	if (errno || *end || *v <= 0) {
		note("bad number: %s", s);
		return -1;
	}
	return 0;
}

static void set_levels(long max_held, long max_waiters)
{
	long l;

	cfg.levels[0] = 10;
	cfg.nlevels = 1;
	for (l = 1000; l < max_held && cfg.nlevels < MAX_LEVELS - 1; l *= 10)
		cfg.levels[cfg.nlevels++] = l;
	if (max_held > 10)
		cfg.levels[cfg.nlevels++] = max_held;
	cfg.dwaiters[0] = 0;
	cfg.dwaiters[1] = max_waiters / 10;
	cfg.dwaiters[2] = max_waiters;
	cfg.ndwaiters = 3;
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "round-ms", required_argument, NULL, 't' },
		{ "max-held", required_argument, NULL, 'n' },
		{ "mem-locks", required_argument, NULL, 'm' },
		{ "handoffs", required_argument, NULL, 'H' },
		{ "max-waiters", required_argument, NULL, 'W' },
		{ "seed", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "no-raise-limits", no_argument, NULL, 'L' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	long rounds = 0, round_ms = 0, max_held = 0, mem = 0, handoffs = 0;
	long waiters = 0, seed = 0, *dst;
	int c;

	cfg.raise_limits = 1;
	while ((c = getopt_long(argc, argv, "qr:t:n:m:H:W:s:o:h", opts,
				NULL)) != -1) {
		dst = NULL;
		switch (c) {
		case 'q': cfg.quick = 1; break;
		case 'r': dst = &rounds; break;
		case 't': dst = &round_ms; break;
		case 'n': dst = &max_held; break;
		case 'm': dst = &mem; break;
		case 'H': dst = &handoffs; break;
		case 'W': dst = &waiters; break;
		case 's': dst = &seed; break;
		case 'o': cfg.out_dir = optarg; break;
		case 'L': cfg.raise_limits = 0; break;
		case 'C': cfg.check = 1; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
		if (dst && parse_num(optarg, dst))
			return -1;
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	cfg.rounds = rounds ? rounds : cfg.quick ? 5 : 21;
	if (cfg.rounds > MAX_ROUNDS)
		cfg.rounds = MAX_ROUNDS;
	cfg.round_ns = (round_ms ? round_ms : cfg.quick ? 20 : 100) * 1e6;
	cfg.seed = seed ? (uint64_t)seed : (uint64_t)time(NULL);
	cfg.pool = cfg.quick ? 1024 : 4096;
	cfg.mem_locks = mem ? mem : cfg.quick ? 10000 : 100000;
	cfg.handoffs = handoffs ? handoffs : cfg.quick ? 200 : 1000;
	cfg.handoff_rounds = cfg.quick ? 3 : cfg.rounds < 15 ? cfg.rounds : 15;
	cfg.spaces_ns = cfg.quick ? 50e6 : 200e6;
	set_levels(max_held ? max_held : cfg.quick ? 10000 : 1000000,
		   waiters ? waiters : cfg.quick ? 100 : 1000);
	return 0;
}

int main(int argc, char **argv)
{
	struct kmem km;
	uint64_t rnd;
	int dev, hfd, all;

	if (parse_args(argc, argv))
		return 2;
	rnd = cfg.seed * 0x9E3779B97F4A7C15ULL | 1;
	dev = open_session(NULL);
	if (dev < 0) {
		note("%s: %s%s", DEV_PATH, strerror(-dev),
		     access("/proc/lockdev", F_OK) ?
		     ": the lockdev module is not loaded (bench/run boots a guest with it)" : "");
		return 2;
	}
	atexit(cleanup);
	signal(SIGINT, on_fatal);
	signal(SIGTERM, on_fatal);
	hfd = tmp_file(0, "flock");
	if (hfd < 0)
		return 2;
	close(hfd);

	probe_module(dev);
	if (!sys.lock_ok)
		note("%s: measuring the rest", sys.lock_why);
	raise_limits(cfg.levels[cfg.nlevels - 1] > cfg.mem_locks ?
		     cfg.levels[cfg.nlevels - 1] + 64 : cfg.mem_locks + 64);

	if (uncontended(dev, tmp_paths[0], &rnd))
		return 2;
	run_memory(tmp_paths[0]);
	settle_kernel(&km);
	run_handoff(tmp_paths[0]);
	settle_kernel(&km);
	run_detect(dev, &rnd);
	settle_kernel(&km);
	run_spaces(&rnd);
	/* Last: a million locks leave a long tail of frees behind. */
	settle_kernel(&km);
	run_growth(dev, &rnd);
	restore_limits();

	all = report();
	close(dev);
	return cfg.check && !all ? 1 : 0;
}
