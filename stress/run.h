/*
 * run.h - run control shared by the CLI (tools/main.c) and the engine's own
 * files: options and parsing (config.c, ini.c, cmdline.c), the engine
 * (engine.c, free.c, controlled.c, fail.c), flight-recorder dumps
 * (recorder.c), hunt/replay/shrink.
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
#include "param.h"
#include "report.h"
#include "subsys.h"

/* Exit codes (DESIGN §5). */
#define VT_EXIT_PASS	0
#define VT_EXIT_FAIL	1
#define VT_EXIT_USAGE	2
#define VT_EXIT_HANG	3
#define VT_EXIT_INTERNAL 4

/* ---- options (config.c) ---- */

/*
 * Print the option list with declared defaults (vmtorture list/help): the
 * engine's and those of sc's subsystems (sc NULL: every subsystem's).
 */
void vt_config_print_options(FILE *f, const struct vt_scenario_ops *sc);

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
 * Apply INI text (a scenario file's contents, len bytes, named name in
 * messages) to c, which vt_config_parse filled (the fuzz target's way in;
 * `-f FILE` reads files).  0, or -1 after one line on stderr.  The strings
 * c gets from the text live until the next call.
 */
int vt_config_load_ini_text(struct vt_config *c, const char *name,
    const char *text, size_t len);

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



/* ---- flight recorder (recorder.c) ---- */

/* Dump w's last events to fd with write(2) (safe while others run). */
void vt_recorder_dump(int fd, const struct vt_worker *w);

/* ---- engine (engine.c) ---- */

/* `vmtorture run ...` (argv[0] = scenario).  Returns the exit code. */
int vt_run_main(int argc, char **argv);

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

/*
 * `vmtorture selftest [--budget T] [--only NAME,...] [--jobs N] [--json
 * FILE]`: the bug catalogue's blind campaign (selftest.c).  0 every mutant
 * caught and the control passed, 1 otherwise, 2 usage, 4 harness failure.
 */
int vt_selftest_main(int argc, char **argv);

/*
 * `vmtorture campaign [-f FILE] [--scenarios ...] [--strategies ...]
 * [--budget T | --seeds A-B] [--jobs N] [--shard I/N] [run options]`: a
 * matrix of cells over seeds, one JSON line per run (campaign.c).  0 no
 * failure, 1 failures, 2 usage, 4 harness failure.
 */
int vt_campaign_main(int argc, char **argv);

/*
 * `vmtorture merge FILE...`: fold campaign JSON-line files (shards) into
 * one report (campaign_merge.c).  Exit as the campaign's.
 */
int vt_merge_main(int argc, char **argv);

/*
 * `vmtorture sweep SCENARIO --X-locks LIST ... [run options]` (sweep.c):
 * the grid of lock-table sizes, its model and the recommended size.  0, 1
 * a child's check failed, 2 usage, 4 harness failure.
 */
int vt_sweep_main(int argc, char **argv);

#endif /* VT_STRESS_RUN_H */
