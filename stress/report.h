/*
 * report.h - what a run reports: operation and role counts, the counters
 * and tables each subsystem contributes (by kernel name), the lock classes,
 * the schedule (controlled mode) and the failure.  Collected at a point
 * where it is safe to read, printed as the summary (report.c) and written
 * as JSON.
 *
 * Harness code (not ported).
 */
#ifndef VT_STRESS_REPORT_H
#define VT_STRESS_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "engine.h"
#include "../locks/lockstat.h"

#define VT_REPORT_MAX_CLASSES	64
#define VT_REPORT_MAX_COUNTERS	192
#define VT_REPORT_MAX_TABLES	4
#define VT_REPORT_MAX_ROWS	32
#define VT_REPORT_MAX_COLS	6

#define VT_REPORT_LS_HOT	16	/* --lockstat-top at most */
#define VT_REPORT_LS_SITES	5	/* contending sites shown per class */

/* --lockstat: one bucket of a table (times in the report's unit). */
struct vt_report_ls_bucket {
	uint32_t	index;
	uint64_t	acquisitions, contended;
	struct vt_ls_times wait, hold;
	char		site[96];	/* its top contending site, or "" */
};

/* --lockstat: a contending call site of a class. */
struct vt_report_ls_site {
	char		site[96];	/* function:file:line */
	uint64_t	count;		/* contended acquisitions */
	uint64_t	wait;		/* their wait */
};

/* --lockstat of one class (times converted to the report's unit). */
struct vt_report_lockstat {
	struct vt_ls_times wait, hold;
	double		skew;		/* tables: max/mean acquisitions per bucket */
	uint64_t	max_load;	/* tables: the busiest bucket's acquisitions */
	uint32_t	max_index;
	uint32_t	nhot;
	struct vt_report_ls_bucket hot[VT_REPORT_LS_HOT];
	uint32_t	nsites;
	struct vt_report_ls_site sites[VT_REPORT_LS_SITES];
	uint64_t	other;		/* contended from sites not listed */
};

#define VT_REPORT_MAX_SPREADS	8
#define VT_SPREAD_HIST		9	/* buckets holding 0..7 keys, and 8 or more */

/*
 * --hash-spread: how the keys a run really used (pages, mappings, tables)
 * fall on the buckets of one hash or lock table.
 */
struct vt_report_spread {
	char		name[48];	/* "MLIST_MUTEX -> mlist_lock" */
	char		keys_what[32];	/* "pages" */
	uint64_t	keys;
	uint32_t	buckets;
	uint32_t	nonempty;
	uint64_t	max;		/* keys in the fullest bucket */
	uint32_t	max_index;
	double		mean;		/* keys / buckets */
	double		chi2;		/* against uniform placement */
	double		df;		/* buckets - 1 */
	double		z;		/* Wilson-Hilferty: X^2/df as a normal deviate */
	uint64_t	hist[VT_SPREAD_HIST];	/* buckets by occupancy */
};

/* Names are copied: lock classes and caches are gone when the report prints. */
struct vt_report_lock {
	char		name[48];
	uint32_t	size;
	uint64_t	acquisitions;
	uint64_t	contended;
	bool		have_ls;	/* ls valid (--lockstat) */
	struct vt_report_lockstat ls;
};

/* A counter of a subsystem, by kernel name, under a heading ("HATSTAT"). */
struct vt_report_counter {
	const char	*group;		/* static strings of the subsystem */
	const char	*name;
	uint64_t	value;
};

/* A table a subsystem contributes ("kmem caches"), one row per object. */
struct vt_report_table {
	const char	*key;		/* JSON key ("kmem") */
	const char	*title;		/* summary heading ("kmem caches") */
	uint32_t	ncols;
	const char	*cols[VT_REPORT_MAX_COLS];
	uint32_t	nrows;
	struct {
		char		name[48];
		uint64_t	v[VT_REPORT_MAX_COLS];
	} rows[VT_REPORT_MAX_ROWS];
};

struct vt_report {
	const struct vt_config		*cfg;
	double		seconds;		/* running time (audits excluded) */
	uint64_t	ops[VT_MAX_OPS];	/* events by kind */
	uint64_t	role_ops[VT_MAX_ROLES];	/* op calls by role */
	uint32_t	role_workers[VT_MAX_ROLES];
	uint64_t	audits;
	uint64_t	audit_objects;		/* examined by the last audit */
	bool		have_stats;		/* counters/tables/locks valid */
	uint32_t	ncounters;
	struct vt_report_counter counters[VT_REPORT_MAX_COUNTERS];
	uint32_t	ntables;
	struct vt_report_table	tables[VT_REPORT_MAX_TABLES];
	uint32_t	nlocks;
	struct vt_report_lock	locks[VT_REPORT_MAX_CLASSES];
	uint32_t	nspreads;
	struct vt_report_spread	spreads[VT_REPORT_MAX_SPREADS];
	bool		have_lockstat;		/* --lockstat tables collected */
	const char	*ls_unit;		/* "ns" or "steps" */
	uint32_t	ls_hold_every;		/* holds timed: one in this many */
	/* Controlled mode (--sched random|pct). */
	bool		controlled;
	uint64_t	sched_steps;		/* schedule points passed */
	uint64_t	sched_switches;		/* context switches */
	uint64_t	sched_preemptions;	/* switches away from a runnable task */
	uint64_t	sched_k;		/* pct k in force (learned or given) */
	uint64_t	trace_hash;		/* FNV-1a of the decisions */
	/* "running", "pass", "fail", "hang" or "interrupted" (NULL: derived). */
	const char	*result;
	/* Failure (failed == false: pass). */
	bool		failed;
	int		exit_code;		/* the run's exit code */
	uint64_t	fail_step;		/* controlled: step of the failure */
	char		check[64];
	char		message[800];
	char		replay[2048];
};

/* For subsystems' stats(): add a counter (static group and name). */
void vt_report_counter(struct vt_report *r, const char *group,
    const char *name, uint64_t value);
/*
 * Start a table with ncols columns (static names); returns it, or NULL if
 * the report has no room.  vt_report_row adds a row of ncols values.
 */
struct vt_report_table *vt_report_table(struct vt_report *r, const char *key,
    const char *title, uint32_t ncols, const char *const *cols);
void vt_report_row(struct vt_report_table *t, const char *name,
    const uint64_t *values);

/*
 * Collect (r->cfg set first) op counts from the workers (relaxed reads:
 * valid while they run) and, if stats, every subsystem's counters and the
 * lock classes (only with the world stopped).
 */
void vt_report_collect(struct vt_report *r, struct vt_worker *const *workers,
    uint32_t nworkers, bool stats);
/*
 * --lockstat (lockstat_report.c): fill l->ls from the class's sums s and,
 * for a table, its buckets; ns_per_tick converts the clock.  World stopped.
 */
struct vt_lock_class;
struct vt_lock_stats;
void vt_report_lockstat_class(const struct vt_report *r,
    struct vt_report_lock *l, const struct vt_lock_class *cls,
    const struct vt_lock_stats *s, double ns_per_tick);
/* The lockstat tables of the summary (after the lock counts). */
void vt_report_lockstat_print(const struct vt_report *r, FILE *f, bool tap);
/* l's "lockstat" object (a json_object *), NULL without one. */
void *vt_report_lockstat_json(const struct vt_report *r,
    const struct vt_report_lock *l);

/*
 * For subsystems' stats() under --hash-spread (spread_report.c): one hash,
 * occ[i] the keys in bucket i of n; name and what are copied.  A hash
 * without keys is left out.
 */
void vt_report_spread(struct vt_report *r, const char *name, const char *what,
    const uint32_t *occ, uint32_t n);
/* The hash-spread table of the summary; the "hash_spread" JSON array. */
void vt_report_spread_print(const struct vt_report *r, FILE *f, bool tap);
void *vt_report_spread_json(const struct vt_report *r);

/* One summary line: fmt and a newline, behind "# " when tap (a TAP comment). */
void vt_report_line(FILE *f, bool tap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The stdout summary (and TAP line with --tap). */
void vt_report_print(const struct vt_report *r, FILE *f);
/* --json FILE; 0 or -1 (message on stderr). */
int vt_report_json(const struct vt_report *r, const char *path);

#endif /* VT_STRESS_REPORT_H */
