// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: by-name LOCK + UNLOCK of random probe names while the same
 * session holds 10 ... cfg.levels[last] other locks, and the first size once
 * more on the way down. The held sizes come one after the other, seconds
 * apart, so each is measured together with two empty ioctls on another
 * session: that baseline says how fast the machine ran meanwhile, and the
 * growth is judged on the ratio of the two. Measuring the first size before
 * and after the others shows what drift the baseline does not catch.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockbench.h"

struct growth growth;

/* Takes locks on hs until n reaches want; 0 or the errno that stopped it. */
static int take_held(int hs, uint64_t *handles, long *n, long want)
{
	char name[32];
	int len, e;

	while (*n < want) {
		len = snprintf(name, sizeof(name), "lb.held.%07ld", *n);
		e = ld_lock(hs, name, len, LOCKDEV_MODE_EXCLUSIVE,
			    LOCKDEV_LOCK_NONBLOCK, &handles[*n]);
		if (e)
			return e;
		(*n)++;
	}
	return 0;
}

static void measure_level(struct level *L, int hs, int dev,
			  struct name_pool *probes, uint64_t *rnd)
{
	struct meas pair[2] = {
		{ .key = "growth_lock", .label = "by-name LOCK+UNLOCK",
		  .op = { .run = op_lock, .fd = hs, .names = probes } },
		{ .key = "growth_empty2", .label = "two empty ioctls",
		  .op = { .run = op_empty2, .fd = dev } },
	};

	measure_set(pair, 2, rnd);
	L->probe = pair[0];
	L->base = pair[1];
}

void run_growth(int dev, uint64_t *rnd)
{
	long max = cfg.levels[cfg.nlevels - 1], n = 0;
	struct name_pool probes;
	uint64_t *handles;
	int hs, i, e = 0;
	double t0;

	if (!sys.lock_ok) {
		snprintf(growth.why, sizeof(growth.why), "%s", sys.lock_why);
		return;
	}
	handles = calloc(max, sizeof(*handles));
	if (!handles || pool_init(&probes, "gp", 40, cfg.pool, rnd)) {
		free(handles);
		snprintf(growth.why, sizeof(growth.why), "out of memory");
		return;
	}
	hs = open_session(NULL);
	if (hs < 0) {
		snprintf(growth.why, sizeof(growth.why), "%s: %s", DEV_PATH,
			 strerror(-hs));
		goto out;
	}
	for (i = 0; i < cfg.nlevels; i++) {
		struct level *L = &growth.lv[i];
		long start = n;

		growth.nlv = i + 1;
		L->want = cfg.levels[i];
		if (L->want >= 100000)
			note("growth: taking %s locks ...", count_str(L->want));
		t0 = now_ns();
		e = take_held(hs, handles, &n, L->want);
		L->build_ns = n - start >= 1000 ?
			      (now_ns() - t0) / (double)(n - start) : NAN;
		L->build_err = e;
		/* Under a limit, leave room for the probe. */
		if (is_limit_err(e) && n > 0 && !ld_unlock(hs, handles[n - 1]))
			n--;
		L->held = n;
		note("growth: %s held, %d rounds ...", count_str(n),
		     cfg.rounds);
		measure_level(L, hs, dev, &probes, rnd);
		if (e)
			break;
	}
	if (n >= 100000)
		note("growth: unlocking %s locks ...", count_str(n));
	/* The first size again on the way down: drift shows in the two. */
	if (growth.nlv > 1 && !growth.lv[0].probe.err) {
		while (n > growth.lv[0].held)
			ld_unlock(hs, handles[--n]);
		growth.again.want = growth.lv[0].want;
		growth.again.held = n;
		growth.again.build_ns = NAN;
		note("growth: %s held again, %d rounds ...", count_str(n),
		     cfg.rounds);
		measure_level(&growth.again, hs, dev, &probes, rnd);
	}
	/* Unlock first: closing a session with EXCLUSIVE locks marks them. */
	while (n > 0)
		ld_unlock(hs, handles[--n]);
	close(hs);
out:
	pool_free(&probes);
	free(handles);
}
