// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: contended throughput in one lockspace against two.
 *
 * Four threads, each a session of its own, two on each CPU, form two pairs;
 * the threads of a pair lock and unlock (EXCLUSIVE, blocking) two names of
 * their own pair at random, so each pair contends with itself only. In
 * "one" every session works in one lockspace, in "two" each pair in a
 * lockspace of its own: the same threads, names and CPUs, only the
 * lockspaces differ. The figure is lock + unlock pairs per second of all
 * four threads; the rounds of the two alternate in a random order.
 *
 * Before each pair of rounds, a loop that shares nothing runs on one CPU
 * and then on two at once, 100 ms each: the median speedup of two is the
 * most any lock could reach on this machine meanwhile. Below the bar (one
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
	char names[2][24];
	uint64_t rnd;
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

static void *spin_main(void *arg)
{
	struct spinner *sp = arg;
	cpu_set_t set;
	unsigned long i = 0;

	CPU_ZERO(&set);
	CPU_SET(sp->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
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
	cpu_set_t set;
	uint64_t h;
	int k;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!atomic_load(&go))
		sched_yield();
	while (!atomic_load(&stop)) {
		k = rnd_next(&w->rnd) & 1;
		w->err = ld_lock(w->fd, w->names[k], strlen(w->names[k]),
				 LOCKDEV_MODE_EXCLUSIVE, 0, &h);
		if (!w->err)
			w->err = ld_unlock(w->fd, h);
		if (w->err)
			break;
		w->ops++;
	}
	return NULL;
}

/* One round: pairs of lock + unlock per second, or NAN with why set. */
static double spaces_round(int two, uint64_t *rnd)
{
	struct worker w[THREADS];
	char space[32];
	long ops = 0;
	double t0, el;
	int i, n, err = 0;

	memset(w, 0, sizeof(w));
	for (n = 0; n < THREADS; n++) {
		snprintf(space, sizeof(space), "lb.space.%d", two ? n / 2 : 0);
		w[n].fd = open_session(space);
		if (w[n].fd < 0) {
			err = -w[n].fd;
			break;
		}
		w[n].cpu = n % (sys.cpus > 1 ? 2 : 1);
		w[n].rnd = rnd_next(rnd) | 1;
		for (i = 0; i < 2; i++)
			snprintf(w[n].names[i], sizeof(w[n].names[i]),
				 "lb.contended.%d.%d", n / 2, i);
		if (pthread_create(&w[n].thread, NULL, worker_main, &w[n])) {
			err = EAGAIN;
			close(w[n].fd);
			break;
		}
	}
	atomic_store(&stop, 0);
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
	if (err) {
		snprintf(spaces.why, sizeof(spaces.why), "%s: %s",
			 errname(err), strerror(err));
		return NAN;
	}
	return (double)ops / el * 1e9;
}

void run_spaces(uint64_t *rnd)
{
	double speedup[MAX_ROUNDS];
	int r, k, first;
	double x;

	spaces.one_med = spaces.two_med = spaces.speedup = NAN;
	if (!sys.lock_ok) {
		snprintf(spaces.why, sizeof(spaces.why), "%s", sys.lock_why);
		return;
	}
	note("lockspaces: %d rounds of one and two ...", cfg.rounds);
	for (r = 0; r < cfg.rounds; r++) {
		if (sys.cpus > 1)
			speedup[r] = spin_iters(2) / spin_iters(1);
		first = rnd_next(rnd) & 1;
		for (k = 0; k < 2; k++) {
			x = spaces_round(first ^ k, rnd);
			if (isnan(x))
				return;
			if (first ^ k)
				spaces.two[spaces.n] = x;
			else
				spaces.one[spaces.n] = x;
		}
		spaces.n++;
	}
	spaces.one_med = median(spaces.one, spaces.n);
	spaces.two_med = median(spaces.two, spaces.n);
	if (sys.cpus > 1)
		spaces.speedup = median(speedup, spaces.n);
}
