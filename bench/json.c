// SPDX-License-Identifier: GPL-2.0
/*
 * lockbench: figures.json and the data the plots are drawn from, written to
 * cfg.out_dir.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "lockbench.h"

/* The hand-off variants' names in figures.json, by HV_*. */
static const char *const hv_names[NR_HV] = { "lockdev", "flock", "futex" };

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void jnum(FILE *f, double x)
{
	if (isnan(x) || isinf(x))
		fputs("null", f);
	else
		fprintf(f, "%.3f", x);
}

static void jerr(FILE *f, const char *why)
{
	if (why[0])
		jstr(f, why);
	else
		fputs("null", f);
}

static void json_meas(FILE *f, const struct meas *m)
{
	int i;

	fputs("{\"key\": ", f);
	jstr(f, m->key);
	fputs(", \"label\": ", f);
	jstr(f, m->label);
	fputs(", \"ns\": ", f);
	jnum(f, m->err ? NAN : m->med);
	fputs(", \"min\": ", f);
	jnum(f, m->err ? NAN : m->lo);
	fputs(", \"max\": ", f);
	jnum(f, m->err ? NAN : m->hi);
	fprintf(f, ", \"ops_per_round\": %ld, \"rounds\": [", m->iters);
	for (i = 0; !m->err && i < m->n; i++) {
		fputs(i ? ", " : "", f);
		jnum(f, m->s[i]);
	}
	fputs("], \"error\": ", f);
	jerr(f, m->err ? m->why : "");
	fputc('}', f);
}

/* A size or level measured a second time, or null. */
static void json_pair(FILE *f, long count, const struct meas *probe,
		      const struct meas *base)
{
	if (!probe->n && !probe->err) {
		fputs("null", f);
		return;
	}
	fprintf(f, "{\"count\": %ld, \"lock\": ", count);
	json_meas(f, probe);
	fputs(", \"empty2\": ", f);
	json_meas(f, base);
	fputc('}', f);
}

static void json_head(FILE *f)
{
	int i;

	fprintf(f, "{\n  \"quick\": %s,\n  \"rounds\": %d,\n  \"round_ms\": %.0f,\n  \"seed\": %llu,\n",
		cfg.quick ? "true" : "false", cfg.rounds, cfg.round_ns / 1e6,
		(unsigned long long)cfg.seed);
	fputs("  \"kernel\": ", f);
	jstr(f, sys.release);
	fprintf(f, ",\n  \"cpus\": %ld,\n  \"clocksource\": ", sys.cpus);
	jstr(f, sys.clocksource);
	if (sys.have_version)
		fprintf(f, ",\n  \"module\": \"%u.%u.%u\"", sys.v.major,
			sys.v.minor, sys.v.patch);
	fputs(",\n", f);
	/* Every bar's value under its key, null when not measured. */
	for (i = 0; i < nbars; i++) {
		fprintf(f, "  \"%s\": ", bars[i].key);
		jnum(f, bars[i].value);
		fputs(",\n", f);
	}
	/* The keys a shortened run could not fill. */
	if (!find_bar("growth_1m_vs_10"))
		fputs("  \"growth_1m_vs_10\": null,\n", f);
	if (!find_bar("detect_1000_vs_0"))
		fputs("  \"detect_1000_vs_0\": null,\n", f);
	for (i = 0; i < NR_NAME_LENS; i++) {
		if (mem_figs[i].name_len <= 40)
			continue;
		fprintf(f, "  \"bytes_per_lock_%d\": ", mem_figs[i].name_len);
		jnum(f, mem_figs[i].bytes_per_lock);
		fputs(",\n", f);
	}
	fputs("  \"bytes_per_lock_ofd\": ", f);
	jnum(f, mem_ofd.bytes_per_lock);
	fputs(",\n", f);
	fputs("  \"noise\": {\"figure\": \"lock\", \"first_ns\": ", f);
	jnum(f, fig_ns("lock"));
	fputs(", \"second_ns\": ", f);
	jnum(f, fig_ns("lock_again"));
	fputs(", \"ratio\": ", f);
	jnum(f, ratio(fig_ns("lock_again"), fig_ns("lock")));
	fputs("},\n  \"ns\": {", f);
	for (i = 0; i < nfigs; i++) {
		fprintf(f, "%s\"%s\": ", i ? ", " : "", figs[i].key);
		jnum(f, fig_ns(figs[i].key));
	}
	fputs(", \"handoff_lockdev\": ", f);
	jnum(f, hand.m[HV_LOCKDEV].med);
	fputs(", \"handoff_flock\": ", f);
	jnum(f, hand.m[HV_FLOCK].med);
	fputs(", \"handoff_futex\": ", f);
	jnum(f, hand.m[HV_FUTEX].med);
	fputs("},\n", f);
}

/* One row of "memory": a name length's figure, or OFD's (name_len 0). */
static void json_mem(FILE *f, const struct mem_fig *m)
{
	int k;

	fprintf(f, "    {\"name_len\": %d, \"locks\": %ld, ", m->name_len,
		m->locks);
	fprintf(f, "\"slab_bytes\": %lld, \"large_bytes\": %lld, ",
		m->delta.slab, m->delta.large);
	fprintf(f, "\"vmalloc_bytes\": %lld, ", m->delta.vmalloc);
	fputs("\"bytes_per_lock\": ", f);
	jnum(f, m->bytes_per_lock);
	fputs(", \"caches\": [", f);
	for (k = 0; k < MEM_TOP && m->top[k].name[0]; k++) {
		fprintf(f, "%s{\"name\": ", k ? ", " : "");
		jstr(f, m->top[k].name);
		fputs(", \"bytes_per_lock\": ", f);
		jnum(f, m->top[k].bytes_per_lock);
		fputc('}', f);
	}
	fputs("], \"error\": ", f);
	jerr(f, m->why);
	fputc('}', f);
}

static void json_details(FILE *f)
{
	int i;

	fputs("  \"figures\": [\n", f);
	for (i = 0; i < nfigs; i++) {
		fputs("    ", f);
		json_meas(f, &figs[i]);
		fputs(i < nfigs - 1 ? ",\n" : "\n", f);
	}
	fputs("  ],\n  \"memory\": [\n", f);
	for (i = 0; i < NR_NAME_LENS; i++) {
		json_mem(f, &mem_figs[i]);
		fputs(",\n", f);
	}
	json_mem(f, &mem_ofd);
	fputc('\n', f);
	fputs("  ],\n  \"growth\": {\"error\": ", f);
	jerr(f, growth.why);
	fputs(", \"levels\": [", f);
	for (i = 0; i < growth.nlv; i++) {
		const struct level *L = &growth.lv[i];

		fprintf(f, "%s\n    {\"want\": %ld, \"held\": %ld, \"build_ns_per_lock\": ",
			i ? "," : "", L->want, L->held);
		jnum(f, L->build_ns);
		fputs(", \"lock\": ", f);
		json_meas(f, &L->probe);
		fputs(", \"empty2\": ", f);
		json_meas(f, &L->base);
		fputc('}', f);
	}
	fputs("],\n    \"again\": ", f);
	json_pair(f, growth.again.held, &growth.again.probe,
		  &growth.again.base);
	fputs("},\n", f);
}

static void json_contended(FILE *f)
{
	int i, v;

	fprintf(f, "  \"handoff\": {\"per_round\": %ld, \"rounds\": %d",
		cfg.handoffs, cfg.handoff_rounds);
	for (v = 0; v < NR_HV; v++) {
		double *l = hand.lat[v];
		long n = hand.nlat[v];

		fprintf(f, ", \"%s\": {\"ns\": ", hv_names[v]);
		jnum(f, hand.m[v].med);
		fputs(", \"p50\": ", f);
		jnum(f, percentile(l, n, 50));
		fputs(", \"p90\": ", f);
		jnum(f, percentile(l, n, 90));
		fputs(", \"p99\": ", f);
		jnum(f, percentile(l, n, 99));
		fputs(", \"p99_9\": ", f);
		jnum(f, percentile(l, n, 99.9));
		fputs(", \"max\": ", f);
		jnum(f, n ? l[n - 1] : NAN);
		fputs(", \"error\": ", f);
		jerr(f, hand.m[v].err ? hand.m[v].why : "");
		fputc('}', f);
	}
	fputs("},\n  \"detect\": {\"error\": ", f);
	jerr(f, det.why);
	fputs(", \"levels\": [", f);
	for (i = 0; i < det.nlv; i++) {
		fprintf(f, "%s\n    {\"waiters\": %ld, \"lock\": ", i ? "," : "",
			det.lv[i].have);
		json_meas(f, &det.lv[i].probe);
		fputs(", \"empty2\": ", f);
		json_meas(f, &det.lv[i].base);
		fputc('}', f);
	}
	fputs("],\n    \"again\": ", f);
	json_pair(f, 0, &det.again.probe, &det.again.base);
	fputs("},\n  \"spaces\": {\"one_pairs_per_s\": ", f);
	jnum(f, spaces.one_med);
	fputs(", \"two_pairs_per_s\": ", f);
	jnum(f, spaces.two_med);
	fputs(", \"shared_pairs_per_s\": ", f);
	jnum(f, spaces.shared_med);
	fputs(", \"waited\": ", f);
	jnum(f, ratio(spaces.waits, spaces.ops));
	fputs(", \"parallel_speedup\": ", f);
	jnum(f, spaces.speedup);
	fprintf(f, ", \"rounds\": %d, \"error\": ", spaces.n);
	jerr(f, spaces.why);
	fputs("},\n", f);
}

static void json_bars(FILE *f)
{
	int i;

	fputs("  \"bars\": [\n", f);
	for (i = 0; i < nbars; i++) {
		const struct bar *b = &bars[i];

		fputs("    {\"key\": ", f);
		jstr(f, b->key);
		fputs(", \"label\": ", f);
		jstr(f, b->label);
		fputs(", \"value\": ", f);
		jnum(f, b->value);
		fprintf(f, ", \"op\": \"%s\", \"limit\": %g, \"verdict\": \"%s\", \"note\": ",
			b->at_least ? ">=" : "<=", b->limit, verdict_str(b->v));
		jstr(f, b->note);
		fputs(i < nbars - 1 ? "},\n" : "}\n", f);
	}
	fputs("  ]\n}\n", f);
}

static FILE *out_file(const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cfg.out_dir, name);
	f = fopen(path, "w");
	if (!f)
		note("%s: %s", path, strerror(errno));
	return f;
}

static void write_plot_data(void)
{
	static const double tail[] = { 99.9, 99.99, 100 };
	FILE *f;
	double p;
	int i, v;

	f = out_file("growth.dat");
	if (f) {
		fputs("# held  lock_ns  empty2_ns  lock_per_empty2\n", f);
		for (i = 0; i < growth.nlv; i++) {
			const struct level *L = &growth.lv[i];

			if (!L->probe.err && !L->base.err)
				fprintf(f, "%ld %.1f %.1f %.4f\n", L->held,
					L->probe.med, L->base.med,
					ratio(L->probe.med, L->base.med));
		}
		fclose(f);
	}
	f = out_file("namelen.dat");
	if (f) {
		fputs("# name_len  lock_ns  min  max  bytes_per_lock\n", f);
		for (i = 0; i < NR_NAME_LENS; i++) {
			char key[16];
			const struct meas *m;

			snprintf(key, sizeof(key), "lock%d", name_lens[i]);
			m = find_fig(name_lens[i] == 40 ? "lock" : key);
			if (!m || m->err)
				continue;
			fprintf(f, "%d %.1f %.1f %.1f ", name_lens[i], m->med,
				m->lo, m->hi);
			if (isnan(mem_figs[i].bytes_per_lock))
				fputs("NaN\n", f);
			else
				fprintf(f, "%.1f\n", mem_figs[i].bytes_per_lock);
		}
		fclose(f);
	}
	f = out_file("handoff.dat");
	if (f) {
		fputs("# percentile  lockdev_ns  flock_ns  futex_ns\n", f);
		/* Every half percent, then the tail. */
		for (i = 1; i < 200 + 3; i++) {
			p = i < 200 ? i / 2.0 : tail[i - 200];
			fprintf(f, "%g", p);
			for (v = 0; v < NR_HV; v++)
				fprintf(f, " %.0f", percentile(hand.lat[v],
							       hand.nlat[v], p));
			fputc('\n', f);
		}
		fclose(f);
	}
}

void write_results(void)
{
	FILE *f = out_file("figures.json");

	if (f) {
		json_head(f);
		json_details(f);
		json_contended(f);
		json_bars(f);
		fclose(f);
	}
	write_plot_data();
}
