// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: the bars of issue 12 and the table on stdout.
 */
#include <math.h>
#include <string.h>

#include "lockbench.h"

struct bar bars[12];
int nbars;

static struct bar *add_bar(const char *key, const char *label, int at_least,
			   double limit, double value, const char *unit)
{
	struct bar *b = &bars[nbars++];

	snprintf(b->key, sizeof(b->key), "%s", key);
	b->label = label;
	b->at_least = at_least;
	b->limit = limit;
	b->value = value;
	b->unit = unit;
	if (isnan(value))
		b->v = V_NA;
	else if (at_least)
		b->v = value >= limit ? V_PASS : V_FAIL;
	else
		b->v = value <= limit ? V_PASS : V_FAIL;
	return b;
}

const struct bar *find_bar(const char *key)
{
	int i;

	for (i = 0; i < nbars; i++)
		if (!strcmp(bars[i].key, key))
			return &bars[i];
	return NULL;
}

const char *verdict_str(enum verdict v)
{
	return v == V_PASS ? "PASS" : v == V_FAIL ? "FAIL" : "N/A";
}

const struct meas *find_fig(const char *key)
{
	int i;

	for (i = 0; i < nfigs; i++)
		if (!strcmp(figs[i].key, key))
			return &figs[i];
	return NULL;
}

double fig_ns(const char *key)
{
	const struct meas *m = find_fig(key);

	return m && !m->err ? m->med : NAN;
}

/* "1m", "200k" or "10": a count as it appears in a key. */
static const char *short_count(long n)
{
	static char bufs[4][24];
	static int next;
	char *s = bufs[next++ % 4];

	if (n >= 1000000 && n % 1000000 == 0)
		snprintf(s, 24, "%ldm", n / 1000000);
	else if (n >= 1000 && n % 1000 == 0)
		snprintf(s, 24, "%ldk", n / 1000);
	else
		snprintf(s, 24, "%ld", n);
	return s;
}

/* A figure relative to the baseline measured alongside it. */
static double rel(const struct meas *p, const struct meas *b)
{
	return p->err || b->err ? NAN : ratio(p->med, b->med);
}

/*
 * Growth from the small end to the large one, each relative to its own
 * baseline; the small end is the geometric mean of its measurements before
 * and after the large one when both exist, so that drift the baselines do
 * not catch is split evenly instead of landing on one side.
 */
static double growth_ratio(double small, double again, double large,
			   char *note, size_t len)
{
	double s = isnan(again) ? small : sqrt(small * again);

	snprintf(note, len, "relative to two empty ioctls: small end %.3f%s",
		 small, isnan(again) ? "" : " before,");
	if (!isnan(again))
		snprintf(note + strlen(note), len - strlen(note),
			 " %.3f after", again);
	snprintf(note + strlen(note), len - strlen(note), ", large end %.3f",
		 large);
	return ratio(large, s);
}

static void bar_why(struct bar *b, const char *why)
{
	if (isnan(b->value) && why && why[0])
		snprintf(b->note, sizeof(b->note), "%s", why);
}

static void uncontended_bars(void)
{
	const struct meas *lock = find_fig("lock");
	const struct meas *relock = find_fig("relock");
	const struct meas *hl = &hand.m[HV_LOCKDEV], *hf = &hand.m[HV_FLOCK];
	struct bar *b;

	b = add_bar("lock_vs_ofd", "by-name LOCK+UNLOCK / OFD lock+unlock", 0,
		    1.0, ratio(fig_ns("lock"), fig_ns("ofd")), "");
	bar_why(b, lock->why);
	b = add_bar("lock_vs_version2",
		    "by-name LOCK+UNLOCK / two VERSION ioctls", 0, 2.0,
		    ratio(fig_ns("lock"), fig_ns("version2")), "");
	bar_why(b, lock->why);
	b = add_bar("relock_vs_flock", "by-handle relock / flock lock+unlock",
		    0, 1.0, ratio(fig_ns("relock"), fig_ns("flock")), "");
	bar_why(b, relock->why);
	b = add_bar("handoff_vs_flock", "hand-off lockdev / flock", 0, 1.0,
		    ratio(hl->med, hf->med), "");
	bar_why(b, hl->err ? hl->why : hf->why);
}

static void memory_bars(void)
{
	static char keys[2][32], labels[2][64];
	struct bar *b;
	int i, k = 0;

	for (i = 0; i < NR_NAME_LENS && k < 2; i++) {
		if (mem_figs[i].name_len > 40)
			continue;
		snprintf(keys[k], sizeof(keys[k]), "bytes_per_lock_%d",
			 mem_figs[i].name_len);
		snprintf(labels[k], sizeof(labels[k]),
			 "bytes per held lock, %d-byte names",
			 mem_figs[i].name_len);
		b = add_bar(keys[k], labels[k], 0, 160,
			    mem_figs[i].bytes_per_lock, "B");
		bar_why(b, mem_figs[i].why);
		if (!b->note[0] && !isnan(mem_ofd.bytes_per_lock))
			snprintf(b->note, sizeof(b->note),
				 "an OFD lock: %.1f B, this / OFD = %.2f",
				 mem_ofd.bytes_per_lock,
				 ratio(b->value, mem_ofd.bytes_per_lock));
		k++;
	}
}

static void growth_bar(void)
{
	static char key[32], label[80];
	const struct level *lo = &growth.lv[0];
	const struct level *hi = &growth.lv[growth.nlv ? growth.nlv - 1 : 0];
	long want = cfg.levels[cfg.nlevels - 1];
	char note[200] = "";
	struct bar *b;
	double g = NAN;

	if (growth.nlv > 1)
		g = growth_ratio(rel(&lo->probe, &lo->base),
				 growth.again.probe.n ?
				 rel(&growth.again.probe, &growth.again.base) :
				 NAN, rel(&hi->probe, &hi->base),
				 note, sizeof(note));
	snprintf(key, sizeof(key), "growth_%s_vs_%s", short_count(want),
		 short_count(cfg.levels[0]));
	snprintf(label, sizeof(label), "growth, %s held / %s held",
		 count_str(want), count_str(cfg.levels[0]));
	b = add_bar(key, label, 0, 1.30, g, "");
	if (growth.nlv > 1 && hi->held < want) {
		snprintf(b->note, sizeof(b->note), "only %s held (%s)",
			 count_str(hi->held), errname(hi->build_err));
		b->v = V_NA;
	} else if (!isnan(g)) {
		snprintf(b->note, sizeof(b->note), "%s", note);
	} else {
		bar_why(b, growth.why[0] ? growth.why : hi->probe.why);
	}
}

static void detect_bar(void)
{
	static char key[32], label[80];
	const struct dlevel *lo = &det.lv[0];
	const struct dlevel *hi = &det.lv[det.nlv ? det.nlv - 1 : 0];
	long want = cfg.dwaiters[cfg.ndwaiters - 1];
	char note[200] = "";
	struct bar *b;
	double g = NAN;

	if (det.nlv == cfg.ndwaiters && det.nlv > 1)
		g = growth_ratio(rel(&lo->probe, &lo->base),
				 det.again.probe.n ?
				 rel(&det.again.probe, &det.again.base) : NAN,
				 rel(&hi->probe, &hi->base), note, sizeof(note));
	snprintf(key, sizeof(key), "detect_%ld_vs_0", want);
	snprintf(label, sizeof(label), "detection, %s other waiters / none",
		 count_str(want));
	b = add_bar(key, label, 0, 1.25, g, "");
	if (!isnan(g))
		snprintf(b->note, sizeof(b->note), "%s", note);
	else
		bar_why(b, det.why[0] ? det.why : hi->probe.why);
}

static void make_bars(void)
{
	struct bar *b;

	uncontended_bars();
	memory_bars();
	growth_bar();
	detect_bar();
	b = add_bar("two_spaces_vs_one",
		    "contended throughput, two lockspaces / one", 1, 1.7,
		    ratio(spaces.two_med, spaces.one_med), "");
	bar_why(b, spaces.why);
	if (b->v != V_NA && !(spaces.speedup >= 1.7)) {
		b->v = V_NA;
		snprintf(b->note, sizeof(b->note),
			 "two CPUs did only %.2fx the work of one: see bench/run -P",
			 spaces.speedup);
	}
}

/* ------------------------------------------------------------ the table */

static void print_meas(const struct meas *m, const char *label)
{
	if (m->err)
		printf("  %-44s %12s   %s\n", label, "-", m->why);
	else
		printf("  %-44s %12.1f %10.1f %10.1f %12s\n", label, m->med,
		       m->lo, m->hi, count_str(m->iters));
}

static void print_figs(void)
{
	double a = fig_ns("lock"), b = fig_ns("lock_again");
	int i;

	printf("one process, no other lock held (random names; each round in a shuffled order)\n");
	printf("  %-44s %12s %10s %10s %12s\n", "", "ns/op", "min", "max",
	       "ops/round");
	for (i = 0; i < nfigs; i++)
		print_meas(&figs[i], figs[i].label);
	printf("  noise check: the by-name figure measured twice, second / first = %.3f\n",
	       ratio(b, a));
}

static void print_memory(void)
{
	int i;

	printf("\nkernel memory per held lock (slab objects, kmalloc beyond the caches, vmalloc)\n");
	printf("  %10s %10s %14s %14s %14s %14s\n", "name bytes", "locks",
	       "slab delta", "large delta", "vmalloc delta", "bytes/lock");
	for (i = 0; i < NR_NAME_LENS; i++) {
		const struct mem_fig *f = &mem_figs[i];

		if (isnan(f->bytes_per_lock)) {
			printf("  %10d %10s   %s\n", f->name_len, "-", f->why);
			continue;
		}
		printf("  %10d %10s %14s %14s %14s %14.1f%s%s\n", f->name_len,
		       count_str(f->locks), count_str(f->delta.slab),
		       count_str(f->delta.large), count_str(f->delta.vmalloc),
		       f->bytes_per_lock,
		       f->why[0] ? "  " : "", f->why);
	}
	if (isnan(mem_ofd.bytes_per_lock))
		printf("  %10s %10s   %s\n", "OFD", "-", mem_ofd.why);
	else
		printf("  %10s %10s %14s %14s %14s %14.1f%s%s\n", "OFD",
		       count_str(mem_ofd.locks), count_str(mem_ofd.delta.slab),
		       count_str(mem_ofd.delta.large),
		       count_str(mem_ofd.delta.vmalloc),
		       mem_ofd.bytes_per_lock, mem_ofd.why[0] ? "  " : "",
		       mem_ofd.why);
	printf("  per lock, the slab caches that grew most, then large and vmalloc:\n");
	for (i = 0; i < NR_NAME_LENS; i++) {
		const struct mem_fig *f = &mem_figs[i];
		int k;

		if (isnan(f->bytes_per_lock))
			continue;
		printf("  %10d ", f->name_len);
		for (k = 0; k < MEM_TOP && f->top[k].name[0]; k++)
			printf(" %s %.1f,", f->top[k].name,
			       f->top[k].bytes_per_lock);
		printf(" large %.1f, vmalloc %.1f\n",
		       (double)f->delta.large / (double)f->locks,
		       (double)f->delta.vmalloc / (double)f->locks);
	}
}

/* A row of a scaled figure: count, probe, baseline, an optional column. */
static void print_scaled(const char *count, const struct meas *probe,
			 const struct meas *base, const char *extra)
{
	if (probe->err) {
		printf("  %12s %12s   %s\n", count, "-", probe->why);
		return;
	}
	printf("  %12s %12.1f %10.1f %10.1f %16.1f %8.3f", count, probe->med,
	       probe->lo, probe->hi, base->med, ratio(probe->med, base->med));
	if (extra)
		printf(" %14s", extra);
	putchar('\n');
}

static void print_growth(void)
{
	char build[32], count[48];
	int i;

	printf("\nby-name LOCK+UNLOCK of random names while the session holds N other locks\n");
	if (growth.why[0])
		printf("  %s\n", growth.why);
	printf("  %12s %12s %10s %10s %16s %8s %14s\n", "held", "ns/op", "min",
	       "max", "2 empty ioctls", "ratio", "ns/LOCK build");
	for (i = 0; i < growth.nlv; i++) {
		const struct level *L = &growth.lv[i];

		if (isnan(L->build_ns))
			snprintf(build, sizeof(build), "-");
		else
			snprintf(build, sizeof(build), "%.1f", L->build_ns);
		print_scaled(count_str(L->held), &L->probe, &L->base, build);
		if (L->build_err)
			printf("  %12s the module refused lock %s: %s\n", "",
			       count_str(L->held + 1), errname(L->build_err));
	}
	if (growth.again.probe.n || growth.again.probe.err) {
		snprintf(count, sizeof(count), "%s again",
			 count_str(growth.again.held));
		print_scaled(count, &growth.again.probe, &growth.again.base,
			     "-");
	}
}

static void print_handoff(void)
{
	int v;

	printf("\nexclusive hand-off between two processes on one CPU (ns from the holder's\n"
	       "unlock to the blocked waiter's return; %s per round, %d rounds; the figure\n"
	       "is the median of the rounds' medians, then percentiles of all hand-offs)\n",
	       count_str(cfg.handoffs), cfg.handoff_rounds);
	printf("  %-20s %12s %10s %10s %10s %10s %10s %10s\n", "", "ns/hand-off",
	       "p50", "p90", "p99", "p99.9", "min", "max");
	for (v = 0; v < NR_HV; v++) {
		const struct meas *m = &hand.m[v];
		double *l = hand.lat[v];
		long n = hand.nlat[v];

		if (m->err) {
			printf("  %-20s %12s   %s\n", m->label, "-", m->why);
			continue;
		}
		printf("  %-20s %12.1f %10.0f %10.0f %10.0f %10.0f %10.0f %10.0f\n",
		       m->label, m->med, percentile(l, n, 50),
		       percentile(l, n, 90), percentile(l, n, 99),
		       percentile(l, n, 99.9), l[0], l[n - 1]);
	}
	printf("  against the futex mutex, the floor (a wake-up and a switch): lockdev %.3f,\n"
	       "  flock %.3f\n",
	       ratio(hand.m[HV_LOCKDEV].med, hand.m[HV_FUTEX].med),
	       ratio(hand.m[HV_FLOCK].med, hand.m[HV_FUTEX].med));
}

static void print_detect(void)
{
	int i;

	printf("\nblocking LOCK that waits, so runs deadlock detection (deadline already passed:\n"
	       "detection, queueing, ETIMEDOUT; no sleep), with N other waiters asleep\n");
	if (det.why[0])
		printf("  stopped: %s\n", det.why);
	printf("  %12s %12s %10s %10s %16s %8s\n", "waiters", "ns/op", "min",
	       "max", "2 empty ioctls", "ratio");
	for (i = 0; i < det.nlv; i++)
		print_scaled(count_str(det.lv[i].have), &det.lv[i].probe,
			     &det.lv[i].base, NULL);
	if (det.again.probe.n || det.again.probe.err)
		print_scaled("0 again", &det.again.probe, &det.again.base,
			     NULL);
	printf("  letting the %s waiters through took %.0f ms\n",
	       count_str(det.started), det.drain_ns / 1e6);
}

static void print_spaces(void)
{
	printf("\ncontended LOCK+UNLOCK (every LOCK waits), pairs of threads on one CPU each\n");
	if (spaces.why[0])
		printf("  %s\n", spaces.why);
	if (isnan(spaces.one_med))
		return;
	printf("  one lockspace, one pair        %12.0f pairs/s (median of %d rounds)\n",
	       spaces.one_med, spaces.n);
	printf("  two lockspaces, a pair each    %12.0f pairs/s  %.2fx one\n",
	       spaces.two_med, ratio(spaces.two_med, spaces.one_med));
	printf("  one lockspace, both pairs      %12.0f pairs/s  %.2fx two\n",
	       spaces.shared_med, ratio(spaces.shared_med, spaces.two_med));
	if (spaces.ops)
		printf("  LOCKs that waited: %.1f%% (the module's count of contended grants)\n",
		       100 * ratio(spaces.waits, spaces.ops));
	printf("  a loop sharing nothing: two CPUs did %.2fx the work of one\n",
	       spaces.speedup);
}

static void print_bars(void)
{
	int i;

	printf("\nbars (issue 12)%s\n", cfg.quick ?
	       " - QUICK run: reduced counts, verdicts only indicative" : "");
	for (i = 0; i < nbars; i++) {
		const struct bar *b = &bars[i];
		char val[32] = "-";

		if (!isnan(b->value))
			snprintf(val, sizeof(val), b->unit[0] ? "%.1f" : "%.3f",
				 b->value);
		printf("  %-46s %10s %-2s %s %-6g %-4s", b->label, val,
		       b->unit, b->at_least ? ">=" : "<=", b->limit,
		       verdict_str(b->v));
		if (b->note[0])
			printf("  %s", b->note);
		printf("\n");
	}
}

static void print_text(void)
{
	printf("\nlockbench: %s run, %d rounds of about %.0f ms per figure, seed %llu\n",
	       cfg.quick ? "QUICK" : "full", cfg.rounds, cfg.round_ns / 1e6,
	       (unsigned long long)cfg.seed);
	printf("kernel %s, %ld CPUs, clocksource %s", sys.release, sys.cpus,
	       sys.clocksource);
	if (sys.have_version)
		printf("; lockdev %u.%u.%u, abi %u", sys.v.major, sys.v.minor,
		       sys.v.patch, sys.v.abi_version);
	printf("\nTimes are ns per operation, the median of the rounds (and the fastest and\n"
	       "slowest round). Under qemu TCG only ratios within one run mean anything.\n\n");
	if (!sys.lock_ok)
		printf("lockdev locking unavailable: %s\n\n", sys.lock_why);
	print_figs();
	print_memory();
	print_growth();
	print_handoff();
	print_detect();
	print_spaces();
	print_bars();
}

/* Prints the table, writes the files; returns whether every bar passed. */
int report(void)
{
	int i, all = 1;

	make_bars();
	print_text();
	fflush(stdout);
	if (cfg.out_dir)
		write_results();
	for (i = 0; i < nbars; i++)
		if (bars[i].v != V_PASS)
			all = 0;
	return all;
}
