/*
 * sweep.h - `vmtorture sweep`: a grid of lock-table sizes (and thread
 * counts, lock back ends) run as child `vmtorture run`s, repetitions
 * interleaved; medians, CSV, gnuplot plots, the contention model and the
 * recommended size (sweep.c runs the grid, sweep_model.c models and
 * plots).
 *
 * Harness code (not ported).  Axes are run options given a comma list:
 * --threads, --lock, and every option whose name ends in "-locks" (a lock
 * table's size of any subsystem), so new subsystems' tables sweep too.  The
 * lock class an axis sizes is found in the children's reports: the table
 * whose size follows the axis at every point.
 */
#ifndef VT_STRESS_SWEEP_H
#define VT_STRESS_SWEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SWEEP_MAX_AXES		6
#define SWEEP_MAX_VALUES	24
#define SWEEP_MAX_POINTS	512
#define SWEEP_MAX_REPEAT	50
#define SWEEP_MAX_CLASSES	16	/* lock classes read from each report */

struct sweep_axis {
	char		name[64];	/* option name without "--" */
	bool		size;		/* a "-locks" axis: a lock table's size */
	uint32_t	n;
	char		*val[SWEEP_MAX_VALUES];	/* as given */
	uint64_t	num[SWEEP_MAX_VALUES];	/* numeric value (size, threads) */
	char		cls[48];	/* size axes: the lock class it sizes, or "" */
};

/* One lock class in one run's report. */
struct sweep_lock {
	char		name[48];
	uint64_t	size, acquisitions, contended;
};

struct sweep_run {
	bool		done;
	double		ops_per_s;	/* role operations / seconds */
	uint32_t	nlocks;
	struct sweep_lock locks[SWEEP_MAX_CLASSES];
};

struct sweep_point {
	uint32_t	idx[SWEEP_MAX_AXES];	/* value index per axis */
	struct sweep_run *runs;			/* [repeat] */
	double		med, lo, hi;		/* ops/s: median, min, max */
	double		rate[SWEEP_MAX_AXES];	/* size axes: median contended/acq */
	uint32_t	workers;		/* of its configuration */
};

struct sweep {
	const char	*scenario;
	uint32_t	naxes;
	struct sweep_axis axes[SWEEP_MAX_AXES];
	int		xaxis;		/* the first size axis: x of the plots */
	int		thr_axis;	/* --threads axis, or -1 */
	uint32_t	npoints;
	struct sweep_point points[SWEEP_MAX_POINTS];
	uint32_t	repeat;
	const char	*csv, *png, *plot;	/* plot: "dumb", "none" or NULL */
	char		**pass;		/* run options passed through */
	int		npass;
};

/* sweep_model.c: the report, the model and the recommendation (stdout). */
void vt_sweep_report(const struct sweep *s, FILE *f);
/* Plots through gnuplot: the PNG (s->png) and/or a terminal plot. 0 or -1. */
int vt_sweep_plot(const struct sweep *s);
/* Is gnuplot on PATH? */
bool vt_sweep_have_gnuplot(void);
/* The value of axis a at point p (as given), and its number. */
const char *vt_sweep_val(const struct sweep *s, const struct sweep_point *p,
    uint32_t a);
uint64_t vt_sweep_num(const struct sweep *s, const struct sweep_point *p,
    uint32_t a);

#endif /* VT_STRESS_SWEEP_H */
