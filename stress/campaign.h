/*
 * campaign.h - the records of `vmtorture campaign` and `vmtorture merge`:
 * one run as a JSON line, the failure signature read from a child's
 * report, and the aggregate both commands print (campaign_report.c).
 *
 * Harness code (not ported).  A campaign writes a header line
 * ({"type": "campaign", ...: its cells and shard}), one line per finished
 * run ({"type": "run", ...}) and an end line ({"type": "end", ...}).  The
 * report is a function of the run lines alone, so the report of a merge of
 * shard files and that of one process over the same seeds agree.
 */
#ifndef VT_STRESS_CAMPAIGN_H
#define VT_STRESS_CAMPAIGN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VT_CAMP_CELL	160	/* "SCENARIO/OPTSET/STRATEGY" */
#define VT_CAMP_SIG	512
#define VT_CAMP_REPLAY	2048
#define VT_CAMP_FRAMES	2	/* flight-recorder frames in a signature */

/* One finished run. */
struct vt_camp_run {
	char		cell[VT_CAMP_CELL];
	char		strategy[32];
	uint64_t	seed;
	char		result[16];	/* pass, fail, hang, timeout, error */
	char		check[64];	/* "" when it passed */
	char		sig[VT_CAMP_SIG];	/* "" when it passed */
	double		seconds;
	uint64_t	steps;		/* controlled: schedule points run */
	int		code;		/* exit code */
	char		replay[VT_CAMP_REPLAY];
	char		hash[24];	/* controlled: trace hash */
	const char	*note;		/* NULL, or "handoff", "recheck" */
};

/* Is this result a failure of the port (fail, hang, timeout)? */
bool vt_camp_is_failure(const struct vt_camp_run *r);

/*
 * The signature of a failure: "CHECK | SITE | FRAMES".  SITE is where the
 * check fired: an assertion's file:line, else the failure message with
 * the worker named in it and every number replaced by '#'.  FRAMES are the
 * top VT_CAMP_FRAMES operations of the failing worker's flight recorder in
 * the child's stderr (errpath), newest first ("-": none).
 */
void vt_camp_signature(const char *check, const char *message,
    const char *errpath, char *sig, size_t len);

/* Write r as one JSON line to f (flushed). 0, or -1 on a write error. */
int vt_camp_write_run(FILE *f, const struct vt_camp_run *r);

/* ---- the aggregate ---- */

struct vt_camp_cell {
	char		name[VT_CAMP_CELL];
	uint64_t	runs, fails, errors;
	uint64_t	low_seed;	/* lowest failing seed, UINT64_MAX none */
	char		low_check[64];
};

struct vt_camp_sig {
	char		sig[VT_CAMP_SIG];
	char		check[64];
	uint64_t	count;
	size_t		*cellv;		/* indices into the aggregate's cells */
	size_t		ncells;
	struct vt_camp_run best;	/* the shortest reproducer */
};

struct vt_camp_agg {
	struct vt_camp_cell *cells;
	size_t		ncells, cap_cells;
	struct vt_camp_sig *sigs;
	size_t		nsigs, cap_sigs;
	uint64_t	runs, fails, errors;
	double		child_seconds;
};

/* Add a cell (no-op when known), then a finished run.  0, or -1 (ENOMEM). */
int vt_camp_agg_cell(struct vt_camp_agg *a, const char *name);
int vt_camp_agg_add(struct vt_camp_agg *a, const struct vt_camp_run *r);
void vt_camp_agg_free(struct vt_camp_agg *a);

/*
 * Print the report: a table of the cells (runs, failed runs, the lowest
 * failing seed and its check), the de-duplicated signatures (count, cells,
 * the shortest reproducer: fewest schedule steps, controlled before free)
 * and the RESULT line.  Nothing in it depends on timing or on the order
 * the runs were added in.
 */
void vt_camp_agg_print(const struct vt_camp_agg *a, FILE *f);

#endif /* VT_STRESS_CAMPAIGN_H */
