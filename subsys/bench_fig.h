/*
 * bench_fig.h - what every `vmtorture bench` figure needs: a monotonic
 * clock, the median of the repetitions, and one output line per figure
 * (aligned text, or a TAP `ok` line for the bench suite).
 */
#ifndef VT_SUBSYS_BENCH_FIG_H
#define VT_SUBSYS_BENCH_FIG_H

#include <stdbool.h>

/* Where figures go; the caller owns it (one per bench run). */
struct vt_bench_out {
	bool	bo_tap;		/* TAP lines instead of text */
	int	bo_width;	/* text: width of the name column */
	int	bo_n;		/* figures printed so far (the TAP number) */
};

/* Seconds on the monotonic clock. */
double vt_bench_now_s(void);
/* Median of v[0..n-1] (n >= 1); sorts v in place. */
double vt_bench_median(double *v, int n);
/* Print one figure: name, value with prec decimals, unit ("" for none). */
void vt_bench_figure(struct vt_bench_out *o, const char *name, double v,
    int prec, const char *unit);

#endif /* VT_SUBSYS_BENCH_FIG_H */
