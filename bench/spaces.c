// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: contended throughput in two lockspaces against one.
 *
 * A pair is two threads, each a session of its own, pinned on one CPU,
 * that lock (EXCLUSIVE, blocking) and unlock one name of their own; the
 * holder yields the CPU before it unlocks, so the other thread asks while
 * the lock is held and every LOCK waits and every UNLOCK grants it to the
 * waiter. "one": one pair in a lockspace, on CPU 0, alone on the machine.
 * "two": two pairs at once, one on each CPU, each in a lockspace of its
 * own. "shared": the same two pairs in one lockspace. The figure is lock +
 * unlock pairs per second of all threads; the rounds of the three run in a
 * random order. The module's count of grants that had to wait, read around
 * each round, shows how many LOCKs waited.
 *
 * Before each set of rounds, a loop that shares nothing runs on one CPU
 * and then on two at once, 100 ms each: the median speedup of two is the
 * most two lockspaces could reach against one meanwhile. Below the bar (one
 * host thread running both vCPUs of a TCG guest in turn gives about 1), the
 * figure is still measured but the bar cannot be judged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "lockbench.h"

#define THREADS	4

struct spaces spaces;

struct worker {
	pthread_t thread;
	int fd;
	int cpu;
	char name[24];
	long ops;
	int err;
};

static atomic_int go, stop;

#define SPIN_NS	100000000.0

struct spinner {
	pthread_t thread;
	int cpu;
	unsigned long iters;
};

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *spin_main(void *arg)
{
	struct spinner *sp = arg;
	unsigned long i = 0;

	pin(sp->cpu);
	while (!atomic_load(&go))
		sched_yield();
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		i++;
	sp->iters = i;
	return NULL;
}

/* Iterations of a loop sharing nothing on CPUs 0 to @n - 1 in SPIN_NS. */
static double spin_iters(int n)
{
	struct spinner sp[2];
	double iters = 0;
	int i, k;

	atomic_store(&stop, 0);
	for (k = 0; k < n; k++) {
		sp[k].cpu = k;
		if (pthread_create(&sp[k].thread, NULL, spin_main, &sp[k]))
			break;
	}
	atomic_store(&go, 1);
	usleep(SPIN_NS / 1000);
	atomic_store(&stop, 1);
	for (i = 0; i < k; i++) {
		pthread_join(sp[i].thread, NULL);
		iters += sp[i].iters;
	}
	atomic_store(&go, 0);
	return k == n ? iters : NAN;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint64_t h;

	pin(w->cpu);
	while (!atomic_load(&go))
		sched_yield();
	while (!atomic_load(&stop)) {
		w->err = ld_lock(w->fd, w->name, strlen(w->name),
				 LOCKDEV_MODE_EXCLUSIVE, 0, &h);
		if (w->err)
			break;
		sched_yield();
		w->err = ld_unlock(w->fd, h);
		if (w->err)
			break;
		w->ops++;
	}
	return NULL;
}

enum { ONE, TWO, SHARED };

/* One round: pairs of lock + unlock per second, or NAN with why set. */
static double spaces_round(int kind)
{
	struct worker w[THREADS];
	int threads = kind == ONE ? 2 : THREADS;
	char space[32];
	long long c0 = 0, c1 = 0;
	long ops = 0;
	double t0, el;
	int i, n, err = 0;

	memset(w, 0, sizeof(w));
	for (n = 0; n < threads; n++) {
		snprintf(space, sizeof(space), "lb.space.%d",
			 kind == TWO ? n / 2 : 0);
		w[n].fd = open_session(space);
		if (w[n].fd < 0) {
			err = -w[n].fd;
			break;
		}
		w[n].cpu = sys.cpus > 1 ? n / 2 : 0;
		snprintf(w[n].name, sizeof(w[n].name), "lb.contended.%d",
			 n / 2);
		if (pthread_create(&w[n].thread, NULL, worker_main, &w[n])) {
			err = EAGAIN;
			close(w[n].fd);
			break;
		}
	}
	atomic_store(&stop, 0);
	if (stat_get("contended", &c0))
		c0 = -1;
	t0 = now_ns();
	atomic_store(&go, 1);
	usleep(cfg.spaces_ns / 1000);
	atomic_store(&stop, 1);
	el = now_ns() - t0;
	for (i = 0; i < n; i++) {
		pthread_join(w[i].thread, NULL);
		close(w[i].fd);
		ops += w[i].ops;
		if (w[i].err)
			err = w[i].err;
	}
	atomic_store(&go, 0);
	if (c0 >= 0 && !stat_get("contended", &c1)) {
		spaces.waits += c1 - c0;
		spaces.ops += ops;
	}
	if (err) {
		snprintf(spaces.why, sizeof(spaces.why), "%s: %s",
			 errname(err), strerror(err));
		return NAN;
	}
	return (double)ops / el * 1e9;
}

void run_spaces(uint64_t *rnd)
{
	double speedup[MAX_ROUNDS], *fig[3];
	int r, k, order[3];
	double x;

	spaces.one_med = spaces.two_med = spaces.shared_med = NAN;
	spaces.speedup = NAN;
	spaces.waits = spaces.ops = 0;
	if (!sys.lock_ok) {
		snprintf(spaces.why, sizeof(spaces.why), "%s", sys.lock_why);
		return;
	}
	fig[ONE] = spaces.one;
	fig[TWO] = spaces.two;
	fig[SHARED] = spaces.shared;
	note("lockspaces: %d rounds of one, two and shared ...", cfg.rounds);
	for (r = 0; r < cfg.rounds; r++) {
		if (sys.cpus > 1)
			speedup[r] = spin_iters(2) / spin_iters(1);
		shuffle(order, 3, rnd);
		for (k = 0; k < 3; k++) {
			x = spaces_round(order[k]);
			if (isnan(x))
				return;
			fig[order[k]][spaces.n] = x;
		}
		spaces.n++;
	}
	spaces.one_med = median(spaces.one, spaces.n);
	spaces.two_med = median(spaces.two, spaces.n);
	spaces.shared_med = median(spaces.shared, spaces.n);
	if (sys.cpus > 1)
		spaces.speedup = median(speedup, spaces.n);
}
