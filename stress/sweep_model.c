/*
 * sweep_model.c - what `vmtorture sweep` makes of its grid: the table of
 * medians, the T^2/N collision model of each swept table's contention, the
 * recommended size beside the illumos and Linux rules of thumb, its
 * extrapolation to more CPUs, and the gnuplot plots.
 *
 * The model.  T threads each take one of N hashed locks at random and hold
 * it a fraction h of the time: an acquisition finds its lock held with
 * probability about (T-1) h / N, so the contended fraction of a table is
 *     r = a + k (T-1) / N
 * (a: contention that no size removes, e.g. every thread on one hot page;
 * k ~ h), and contended acquisitions per second grow as T^2 / N -- the
 * observation behind illumos' 2 ncpu^2 pse_mutex[] rule.  a and k are
 * fitted by least squares over the points of one series.
 *
 * Harness code (not ported).
 */
#include "sweep.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../locks/kmutex.h"

#define WITHIN		0.05	/* "within 5 % of the best" */
#define RATE_FLOOR	0.001	/* extrapolate to at least 0.1 % contended */
#define ILLUMOS_MUTEX	8	/* bytes of an illumos kmutex_t (amd64) */

static uint64_t
pow2ceil(double v)
{
	uint64_t p = 1;

	while ((double)p < v && p < (1ULL << 40))
		p <<= 1;
	return (p);
}

/* illumos size_pse_array(): max(128, min(MB of RAM, 2 ncpu^2)), pow2 up. */
static uint64_t
illumos_rule(uint64_t ncpu, uint64_t mb)
{
	double v = 2.0 * (double)ncpu * (double)ncpu;

	if ((double)mb < v)
		v = (double)mb;
	if (v < 128)
		v = 128;
	return (pow2ceil(v));
}

/* Linux futex_init(): roundup_pow_of_two(256 * CPUs). */
static uint64_t
linux_rule(uint64_t ncpu)
{
	return (pow2ceil(256.0 * (double)ncpu));
}

/* Do p and q differ only on axes a (and b)? */
static bool
same_series(const struct sweep *s, const struct sweep_point *p,
    const struct sweep_point *q, int a, int b)
{
	for (uint32_t i = 0; i < s->naxes; i++)
		if ((int)i != a && (int)i != b && p->idx[i] != q->idx[i])
			return (false);
	return (true);
}

/* "2 workers, lock mcs, hash-locks 2048" for p, leaving out axis skip. */
static const char *
series_name(const struct sweep *s, const struct sweep_point *p, int skip,
    bool workers, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (workers)
		n += (size_t)snprintf(buf + n, len - n, "%u worker%s",
		    p->workers, p->workers == 1 ? "" : "s");
	for (uint32_t a = 0; a < s->naxes && n < len; a++) {
		if ((int)a == skip || (int)a == s->thr_axis)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %s",
		    n ? ", " : "", s->axes[a].name, vt_sweep_val(s, p, a));
	}
	return (buf);
}

static const char *
human_rate(double v, char *buf, size_t len)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.3fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.1f", v);
	return (buf);
}

static const char *
human_bytes(double v, char *buf, size_t len)
{
	if (v >= 1024.0 * 1024)
		snprintf(buf, len, "%.1f MiB", v / 1024 / 1024);
	else if (v >= 1024)
		snprintf(buf, len, "%.1f KiB", v / 1024);
	else
		snprintf(buf, len, "%.0f B", v);
	return (buf);
}

/* The table of medians. */
static void
print_points(const struct sweep *s, FILE *f)
{
	char b[32];

	fprintf(f, "sweep %s: %u points x %u repetitions, interleaved; x axis "
	    "--%s (lock class %s)\n", s->scenario, s->npoints, s->repeat,
	    s->axes[s->xaxis].name, s->axes[s->xaxis].cls[0] ?
	    s->axes[s->xaxis].cls : "not found in the reports");
	fprintf(f, " ");
	for (uint32_t a = 0; a < s->naxes; a++)
		fprintf(f, " %13s", s->axes[a].name);
	fprintf(f, " %7s %12s %11s %11s %7s", "workers", "ops/s median", "min",
	    "max", "spread");
	for (uint32_t a = 0; a < s->naxes; a++)
		if (s->axes[a].size && s->axes[a].cls[0])
			fprintf(f, " %14.14s", s->axes[a].cls);
	fprintf(f, "\n");
	for (uint32_t i = 0; i < s->npoints; i++) {
		const struct sweep_point *p = &s->points[i];

		fprintf(f, " ");
		for (uint32_t a = 0; a < s->naxes; a++)
			fprintf(f, " %13s", vt_sweep_val(s, p, a));
		fprintf(f, " %7u %12s", p->workers, human_rate(p->med, b,
		    sizeof (b)));
		fprintf(f, " %11s", human_rate(p->lo, b, sizeof (b)));
		fprintf(f, " %11s", human_rate(p->hi, b, sizeof (b)));
		fprintf(f, " %6.1f%%", p->med > 0 ? 100 * (p->hi - p->lo) /
		    p->med : 0);
		for (uint32_t a = 0; a < s->naxes; a++)
			if (s->axes[a].size && s->axes[a].cls[0])
				fprintf(f, " %13.3f%%", 100 * p->rate[a]);
		fprintf(f, "\n");
	}
	fprintf(f, "  (spread: (max - min) / median; last columns: contended "
	    "fraction of each swept table, median)\n");
}

struct fit {
	bool	ok;
	double	a, k, r2;
	uint32_t n;
};

/* Least squares r = a + k (T-1)/N over the series of p (x and threads vary). */
static struct fit
fit_series(const struct sweep *s, const struct sweep_point *p)
{
	struct fit ft = { 0 };
	double su = 0, sy = 0, suu = 0, suy = 0, syy = 0, n = 0;
	int x = s->xaxis;

	for (uint32_t i = 0; i < s->npoints; i++) {
		const struct sweep_point *q = &s->points[i];
		double u, y;

		if (!same_series(s, p, q, x, s->thr_axis))
			continue;
		u = (double)(q->workers > 0 ? q->workers - 1 : 0) /
		    (double)vt_sweep_num(s, q, (uint32_t)x);
		y = q->rate[x];
		su += u;
		sy += y;
		suu += u * u;
		suy += u * y;
		syy += y * y;
		n++;
	}
	ft.n = (uint32_t)n;
	if (n < 2 || n * suu - su * su <= 1e-12)
		return (ft);
	ft.k = (n * suy - su * sy) / (n * suu - su * su);
	ft.a = (sy - ft.k * su) / n;
	{
		double ssr = 0, sst = syy - sy * sy / n;

		for (uint32_t i = 0; i < s->npoints; i++) {
			const struct sweep_point *q = &s->points[i];
			double u, e;

			if (!same_series(s, p, q, x, s->thr_axis))
				continue;
			u = (double)(q->workers > 0 ? q->workers - 1 : 0) /
			    (double)vt_sweep_num(s, q, (uint32_t)x);
			e = q->rate[x] - (ft.a + ft.k * u);
			ssr += e * e;
		}
		ft.r2 = sst > 1e-18 ? 1 - ssr / sst : 1;
	}
	ft.ok = true;
	return (ft);
}

/*
 * The recommendation of one series (every point like p but for the x
 * axis), at its largest worker count.
 */
static void
recommend(const struct sweep *s, const struct sweep_point *p, FILE *f)
{
	const struct sweep_point *best = NULL, *rec = NULL;
	uint32_t tmax = 0, x = (uint32_t)s->xaxis;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t mb = (uint64_t)sysconf(_SC_PHYS_PAGES) *
	    (uint64_t)sysconf(_SC_PAGESIZE) >> 20;
	char name[160], b1[32], b2[32], m1[32], m2[32];
	struct fit ft;

	for (uint32_t i = 0; i < s->npoints; i++)
		if (same_series(s, p, &s->points[i], s->xaxis, s->thr_axis) &&
		    s->points[i].workers > tmax)
			tmax = s->points[i].workers;
	for (uint32_t i = 0; i < s->npoints; i++) {
		const struct sweep_point *q = &s->points[i];

		if (!same_series(s, p, q, s->xaxis, s->thr_axis) ||
		    q->workers != tmax)
			continue;
		if (best == NULL || q->med > best->med)
			best = q;
	}
	if (best == NULL)
		return;
	for (uint32_t i = 0; i < s->npoints; i++) {
		const struct sweep_point *q = &s->points[i];

		if (!same_series(s, p, q, s->xaxis, s->thr_axis) ||
		    q->workers != tmax || q->med < (1 - WITHIN) * best->med)
			continue;
		if (rec == NULL || vt_sweep_num(s, q, x) < vt_sweep_num(s, rec,
		    x))
			rec = q;
	}
	{
		double worst = 0;

		for (uint32_t i = 0; i < s->npoints; i++) {
			const struct sweep_point *q = &s->points[i];

			if (same_series(s, p, q, s->xaxis, s->thr_axis) &&
			    q->workers == tmax && q->med > 0 &&
			    (q->hi - q->lo) / q->med > worst)
				worst = (q->hi - q->lo) / q->med;
		}
		if (worst > 2 * WITHIN)
			fprintf(f, "warning: repetitions of one point differ by "
			    "up to %.0f%% (more than twice the %.0f%% window): "
			    "the machine is too noisy for this call; use more "
			    "--repeat, a longer --duration or a quiet machine\n",
			    100 * worst, 100 * WITHIN);
	}
	series_name(s, rec, s->xaxis, true, name, sizeof (name));
	fprintf(f, "recommendation (%s): --%s %" PRIu64 ": %s ops/s, within "
	    "%.0f%% of the best (%" PRIu64 ": %s ops/s)\n", name, s->axes[x].name,
	    vt_sweep_num(s, rec, x), human_rate(rec->med, b1, sizeof (b1)),
	    100 * WITHIN, vt_sweep_num(s, best, x), human_rate(best->med, b2,
	    sizeof (b2)));
	fprintf(f, "  memory: %" PRIu64 " x %zu B = %s with this build's "
	    "kmutex_t, %s with illumos' %d-byte kmutex_t\n",
	    vt_sweep_num(s, rec, x), sizeof (kmutex_t), human_bytes((double)
	    vt_sweep_num(s, rec, x) * sizeof (kmutex_t), m1, sizeof (m1)),
	    human_bytes((double)vt_sweep_num(s, rec, x) * ILLUMOS_MUTEX, m2,
	    sizeof (m2)), ILLUMOS_MUTEX);
	fprintf(f, "  rules of thumb for this machine (%ld CPUs, %" PRIu64
	    " MB): illumos max(128, min(MB, 2 ncpu^2)) = %" PRIu64 ", Linux "
	    "256 x CPUs = %" PRIu64 "\n", ncpu, mb, illumos_rule((uint64_t)ncpu,
	    mb), linux_rule((uint64_t)ncpu));

	if (s->axes[x].cls[0] == '\0') {
		fprintf(f, "  model: no lock class follows --%s in the reports; "
		    "nothing to fit\n", s->axes[x].name);
		return;
	}
	ft = fit_series(s, p);
	if (!ft.ok) {
		fprintf(f, "  model: %s contention cannot be fitted (one worker "
		    "count and one size, or one thread: (T-1)/N does not "
		    "vary)\n", s->axes[x].cls);
		return;
	}
	fprintf(f, "  model: contended fraction of %s = %.5f + %.4f (T-1)/N "
	    "(least squares over %u points, R^2 %.3f)\n", s->axes[x].cls, ft.a,
	    ft.k, ft.n, ft.r2);
	if (ft.k <= 0 || tmax < 2) {
		fprintf(f, "  extrapolation: none (%s); contention does not "
		    "grow with (T-1)/N here\n", tmax < 2 ? "measured at one "
		    "worker only" : "k <= 0");
		return;
	}
	{
		uint64_t nrec = vt_sweep_num(s, rec, x);
		double target = ft.k * (double)(tmax - 1) / (double)nrec;
		static const uint64_t cpus[] = { 16, 64 };

		if (target < RATE_FLOOR)
			target = RATE_FLOOR;
		fprintf(f, "  extrapolated with the model from %u workers "
		    "(contended fraction k (T-1)/N held at %.2f%%):\n", tmax,
		    100 * target);
		for (size_t i = 0; i < sizeof (cpus) / sizeof (cpus[0]); i++) {
			uint64_t t = cpus[i];
			uint64_t nf = pow2ceil(ft.k * (double)(t - 1) / target);
			uint64_t nt = pow2ceil((double)nrec * (double)t *
			    (double)(t - 1) / ((double)tmax * (double)(tmax -
			    1)));

			fprintf(f, "    %3" PRIu64 " CPUs (%.0fx the measured "
			    "workers): %" PRIu64 " (same contended fraction), %"
			    PRIu64 " (same contended acquisitions per second, "
			    "T^2/N); illumos rule %" PRIu64 ", Linux %" PRIu64
			    "\n", t, (double)t / tmax, nf, nt, illumos_rule(t,
			    mb), linux_rule(t));
		}
	}
}

void
vt_sweep_report(const struct sweep *s, FILE *f)
{
	print_points(s, f);
	/* One recommendation per series: its first point stands for it. */
	for (uint32_t i = 0; i < s->npoints; i++) {
		bool first = true;

		for (uint32_t j = 0; j < i && first; j++)
			if (same_series(s, &s->points[i], &s->points[j],
			    s->xaxis, s->thr_axis))
				first = false;
		if (first)
			recommend(s, &s->points[i], f);
	}
	fflush(f);
}

/* ---- plots ---- */

bool
vt_sweep_have_gnuplot(void)
{
	return (system("command -v gnuplot >/dev/null 2>&1") == 0);
}

/* Lines of one plot: for every series (x varies), "x y" rows. */
static void
plot_data(const struct sweep *s, FILE *g, bool rate)
{
	int x = s->xaxis;
	char name[160];
	uint32_t nser = 0;

	for (uint32_t i = 0; i < s->npoints; i++) {
		bool first = true;

		for (uint32_t j = 0; j < i && first; j++)
			if (same_series(s, &s->points[i], &s->points[j], x, -1))
				first = false;
		if (!first)
			continue;
		fprintf(g, "$d%u << EOD\n", nser);
		for (uint32_t j = 0; j < s->npoints; j++) {
			const struct sweep_point *q = &s->points[j];

			if (!same_series(s, &s->points[i], q, x, -1))
				continue;
			if (rate)
				fprintf(g, "%" PRIu64 " %.6f\n", vt_sweep_num(s,
				    q, (uint32_t)x), 100 * q->rate[x]);
			else
				fprintf(g, "%" PRIu64 " %.1f %.1f %.1f\n",
				    vt_sweep_num(s, q, (uint32_t)x), q->med,
				    q->lo, q->hi);
		}
		fprintf(g, "EOD\n");
		nser++;
	}
	fprintf(g, "plot ");
	nser = 0;
	for (uint32_t i = 0; i < s->npoints; i++) {
		bool first = true;

		for (uint32_t j = 0; j < i && first; j++)
			if (same_series(s, &s->points[i], &s->points[j], x, -1))
				first = false;
		if (!first)
			continue;
		series_name(s, &s->points[i], x, true, name, sizeof (name));
		fprintf(g, "%s$d%u using 1:2%s with %s title \"%s\"",
		    nser ? ", " : "", nser, rate ? "" : ":3:4",
		    rate ? "linespoints" : "yerrorlines", name);
		nser++;
	}
	fprintf(g, "\n");
}

static int
plot_to(const struct sweep *s, const char *term, const char *out)
{
	FILE *g = popen("gnuplot", "w");
	int x = s->xaxis;

	if (g == NULL) {
		fprintf(stderr, "vmtorture sweep: cannot start gnuplot\n");
		return (-1);
	}
	fprintf(g, "set terminal %s\nset termoption noenhanced\n", term);
	if (out != NULL)
		fprintf(g, "set output \"%s\"\n", out);
	fprintf(g, "set logscale x 2\nset key outside bottom center\n"
	    "set grid\nset xlabel \"--%s\"\n", s->axes[x].name);
	if (out != NULL)
		fprintf(g, "set multiplot layout 2,1 title \"vmtorture sweep "
		    "%s\"\n", s->scenario);
	fprintf(g, "set title \"throughput (median, min..max of %u)\"\n"
	    "set ylabel \"role ops/s\"\n", s->repeat);
	plot_data(s, g, false);
	fprintf(g, "set title \"contended acquisitions of %s\"\n"
	    "set ylabel \"%% contended\"\n", s->axes[x].cls[0] ?
	    s->axes[x].cls : "?");
	plot_data(s, g, true);
	if (out != NULL)
		fprintf(g, "unset multiplot\n");
	if (pclose(g) != 0) {
		fprintf(stderr, "vmtorture sweep: gnuplot failed\n");
		return (-1);
	}
	return (0);
}

int
vt_sweep_plot(const struct sweep *s)
{
	if (s->png != NULL &&
	    plot_to(s, "png size 960,1080", s->png) != 0)
		return (-1);
	if (s->plot != NULL) {
		fflush(stdout);
		if (plot_to(s, "dumb size 100,28", NULL) != 0)
			return (-1);
	}
	return (0);
}
