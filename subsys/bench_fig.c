/*
 * bench_fig.c - clock, median and figure lines shared by the HAT, amap and
 * vpm benches.
 */
#include "bench_fig.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double
vt_bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

double
vt_bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof (*v), cmp_double);
	return (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

void
vt_bench_figure(struct vt_bench_out *o, const char *name, double v, int prec,
    const char *unit)
{
	const char *sp = *unit ? " " : "";

	o->bo_n++;
	if (o->bo_tap)
		printf("ok %d - %s: %.*f%s%s\n", o->bo_n, name, prec, v, sp,
		    unit);
	else
		printf("  %-*s %12.*f%s%s\n", o->bo_width, name, prec, v, sp,
		    unit);
	fflush(stdout);
}
