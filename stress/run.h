/*
 * run.h - run control shared by the CLI (tools/main.c) and the engine's own
 * files: option table and parsing (config.c), the free-running engine
 * (engine.c), flight-recorder dumps (recorder.c), the summary and JSON
 * report (report.c) and the micro-benchmarks (bench.c).
 *
 * Harness code, not part of the port.  Nothing here is called by scenarios;
 * they see only engine.h.
 */
#ifndef VT_STRESS_RUN_H
#define VT_STRESS_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "engine.h"
#include "audit.h"
#include "../scenarios/scenario.h"
#include "../core/hat.h"

/* Exit codes (DESIGN §5). */
#define VT_EXIT_PASS	0
#define VT_EXIT_FAIL	1
#define VT_EXIT_USAGE	2
#define VT_EXIT_HANG	3
#define VT_EXIT_INTERNAL 4

/* ---- options (config.c) ---- */

/* Print the option list with built-in defaults (vmtorture list/help). */
void vt_config_print_options(FILE *f);

/*
 * Parse `run SCENARIO [options]`: argv[0] is the scenario name.  Fills c
 * (built-in defaults, the scenario's defaults, then the options), resolves
 * the per-role worker counts and validates everything.  On a usage error
 * prints one line on stderr and returns -1; *scp is the scenario.  Returns
 * 1 after printing the help asked for with -h/--help, 0 to run.
 */
int vt_config_parse(struct vt_config *c, const struct vt_scenario_ops **scp,
    int argc, char **argv);

/*
 * Command line for c: `vmtorture run SCENARIO --seed S ...`.  all: every
 * option in force; otherwise only the options given that differ from the
 * scenario's defaults (the replay line).  Returns buf.
 */
const char *vt_config_cmdline(const struct vt_config *c, bool all, char *buf,
    size_t len);

/*
 * The same as an argument vector for `vmtorture` (argv[0] = "run", then
 * SCENARIO and the options; outputs: also --json/--trace/--tap/-q when
 * set), NULL-terminated and malloc'd (vt_config_argv_free).  NULL if out of
 * memory.  *argcp (if not NULL) is the word count.
 */
char **vt_config_argv(const struct vt_config *c, bool all, bool outputs,
    int *argcp);
void vt_config_argv_free(char **argv);

/* Every option as a json-c object (returned as void * to keep json-c out). */
void *vt_config_json(const struct vt_config *c);

/* The options a scenario's defaults() changes (vmtorture list). */
void vt_config_print_scenario_defaults(FILE *f,
    const struct vt_scenario_ops *sc);

/* Total workers of the run: role workers + mmu walkers. */
uint32_t vt_config_nworkers(const struct vt_config *c);

/* Parse a non-negative integer / double (whole string); 0 or -1. */
int vt_parse_u64(const char *s, uint64_t *out);
int vt_parse_double(const char *s, double *out);

/* ---- flight recorder (recorder.c) ---- */

/* Dump w's last events to fd with write(2) (safe while others run). */
void vt_recorder_dump(int fd, const struct vt_worker *w);

/* ---- run report (report.c) ---- */

#define VT_REPORT_MAX_CLASSES	64
#define VT_REPORT_MAX_CACHES	16
#define VT_REPORT_MAX_ROLES	(VT_MAX_ROLES + 1)	/* + mmu */

/* Names are copied: the classes and caches are gone when the report prints. */
struct vt_report_lock {
	char		name[48];
	uint32_t	size;
	uint64_t	acquisitions;
	uint64_t	contended;
};

struct vt_report_cache {
	char		name[48];
	uint64_t	outstanding, allocs, frees, fails;
};

/* What the summary prints, collected at a point where it is safe to read. */
struct vt_report {
	const struct vt_config		*cfg;
	const struct vt_scenario_ops	*sc;
	double		seconds;		/* running time (audits excluded) */
	uint64_t	ops[VT_NOPS];		/* events by kind */
	uint64_t	role_ops[VT_REPORT_MAX_ROLES];	/* op calls by role */
	uint32_t	role_workers[VT_REPORT_MAX_ROLES];
	const char	*role_name[VT_REPORT_MAX_ROLES];
	uint32_t	nroles;
	uint64_t	audits;
	uint64_t	audit_objects;		/* examined by the last audit */
	bool		have_stats;		/* hatstats/locks/kmem valid */
	uint64_t	hatstats[VT_HATSTAT_FIELDS];
	uint32_t	nlocks;
	struct vt_report_lock	locks[VT_REPORT_MAX_CLASSES];
	uint32_t	ncaches;
	struct vt_report_cache	caches[VT_REPORT_MAX_CACHES];
	/* Controlled mode (--sched random|pct). */
	bool		controlled;
	uint64_t	sched_steps;		/* schedule points passed */
	uint64_t	sched_switches;		/* context switches */
	uint64_t	sched_preemptions;	/* switches away from a runnable task */
	uint64_t	sched_k;		/* pct k in force (learned or given) */
	uint64_t	trace_hash;		/* FNV-1a of the decisions */
	bool		have_mmu;		/* --mmu > 0 */
	uint64_t	mmu_walks, mmu_faults, mmu_cas_retries;
	/* Failure (failed == false: pass). */
	bool		failed;
	int		exit_code;		/* the run's exit code */
	uint64_t	fail_step;		/* controlled: step of the failure */
	char		check[64];
	char		message[800];
	char		replay[2048];
};

/*
 * Collect (r->cfg and r->sc set first) op counts from the workers (relaxed reads: valid while they run)
 * and, if stats, HATSTAT/lock/kmem counters (only with the world stopped).
 */
void vt_report_collect(struct vt_report *r, struct vt_worker *const *workers,
    uint32_t nworkers, bool stats);
/* The stdout summary (and TAP line with --tap). */
void vt_report_print(const struct vt_report *r, FILE *f);
/* --json FILE; 0 or -1 (message on stderr). */
int vt_report_json(const struct vt_report *r, const char *path);

/* ---- engine (engine.c) ---- */

/* `vmtorture run ...` (argv[0] = scenario).  Returns the exit code. */
int vt_run_main(int argc, char **argv);

/* ---- bench (bench.c) ---- */

/* `vmtorture bench [--seconds S] [--lock NAME] [--tap]` (argv[0]="bench"). */
int vt_bench_main(int argc, char **argv);

/* ---- hunt, replay, shrink (hunt.c) ---- */

/*
 * `vmtorture hunt SCENARIO --seeds A-B | --sched-seeds A-B [--jobs N]
 * [--shrink] [--timeout S] [run options]` (argv[0] = scenario): child runs
 * per seed, reports the lowest failing one.  Exit 1 found, 0 none, 2 usage.
 */
int vt_hunt_main(int argc, char **argv);

/*
 * `vmtorture replay FILE [run options]` (argv[0] = a trace/schedule file:
 * runs its header's command with --schedule FILE, in-process) or
 * `vmtorture replay SCENARIO [run options]` (same as run).
 */
int vt_replay_main(int argc, char **argv);

/*
 * `vmtorture shrink [vmtorture run] SCENARIO [run options] [--out FILE]
 * [--max-runs N] [--timeout S]`: trace a failing controlled run and delete
 * switches while it fails the same check.  0 shrunk, 2 usage/not failing.
 */
int vt_shrink_main(int argc, char **argv);

#endif /* VT_STRESS_RUN_H */
