// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: figures measured in rounds. A round runs one figure's
 * operation about cfg.round_ns long; every round runs every figure of a set
 * once, in an order shuffled afresh for each round, so that a slow stretch
 * of the host hits every figure alike and none always follows another. A
 * figure is the median of its rounds.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "lockbench.h"

void meas_fail(struct meas *m, int err, const char *fmt, ...)
{
	va_list ap;

	m->err = err ? err : EINVAL;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
}

static void op_failed(struct meas *m, int e)
{
	if (e == EPROTO)
		meas_fail(m, e, "the call did not fail as it should");
	else
		meas_fail(m, e, "%s: %s", errname(e), strerror(e));
}

/* Times n operations; NAN with m failed on an error. */
static double timed(struct meas *m, long n)
{
	double t0 = now_ns();
	int e = m->op.run(&m->op, n);

	if (e) {
		op_failed(m, e);
		return NAN;
	}
	return now_ns() - t0;
}

/* Operations per round of about cfg.round_ns; also warms the path up. */
static void calibrate(struct meas *m)
{
	double el;
	long n = 8;

	for (;;) {
		el = timed(m, n);
		if (isnan(el))
			return;
		if (el >= cfg.round_ns / 10 || n >= (1L << 34))
			break;
		n *= 4;
	}
	m->iters = (long)((double)n * cfg.round_ns / (el > 1 ? el : 1));
	if (m->iters < 1)
		m->iters = 1;
	/*
	 * Once more at full length: a stall of the host during the short runs
	 * above would otherwise make every round too short.
	 */
	el = timed(m, m->iters);
	if (isnan(el))
		return;
	n = (long)((double)m->iters * cfg.round_ns / (el > 1 ? el : 1));
	if (n > m->iters)
		m->iters = n;
}

void measure_set(struct meas *m, int nm, uint64_t *rnd)
{
	int order[32];
	int r, k, i;
	double el;

	for (i = 0; i < nm; i++)
		if (!m[i].err)
			calibrate(&m[i]);
	for (r = 0; r < cfg.rounds; r++) {
		shuffle(order, nm, rnd);
		for (k = 0; k < nm; k++) {
			struct meas *x = &m[order[k]];

			if (x->err)
				continue;
			el = timed(x, x->iters);
			if (!isnan(el))
				x->s[x->n++] = el / (double)x->iters;
		}
	}
	for (i = 0; i < nm; i++) {
		struct meas *x = &m[i];
		int j;

		x->med = x->lo = x->hi = NAN;
		if (x->err)
			continue;
		x->med = median(x->s, x->n);
		for (j = 0; j < x->n; j++) {
			if (j == 0 || x->s[j] < x->lo)
				x->lo = x->s[j];
			if (j == 0 || x->s[j] > x->hi)
				x->hi = x->s[j];
		}
	}
}
