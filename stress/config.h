/*
 * config.h - one run's configuration: every option in force.
 *
 * Filled with the declared defaults (the engine's table in config.c, each
 * subsystem's table), then the scenario's defaults, then the command line
 * (-f FILE.ini first where given).  The summary and the replay line print
 * every option that differs from the declared/scenario default.
 */
#ifndef VT_STRESS_CONFIG_H
#define VT_STRESS_CONFIG_H

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>

#define VT_MAX_ROLES	16	/* a scenario's roles + its subsystems' */
#define VT_MAX_WORKERS	256
#define VT_MAX_SUBSYS	8	/* registered subsystems */
#define VT_SUBSYS_OPTS_MAX 256	/* bytes of one subsystem's options */

enum vt_sched_mode { VT_SCHED_FREE = 0, VT_SCHED_RANDOM, VT_SCHED_PCT,
    VT_SCHED_POS };

struct vt_role;
struct vt_scenario_ops;

struct vt_config {
	const char	*scenario;		/* name */
	const struct vt_scenario_ops *sc;	/* the scenario */
	/* The run's roles: the scenario's, then its subsystems' (in order). */
	uint32_t	nroles;
	const struct vt_role *roles[VT_MAX_ROLES];
	uint32_t	role_count[VT_MAX_ROLES];	/* resolved worker counts */
	int32_t		role_override[VT_MAX_ROLES];	/* --ROLE N; -1 = not given */

	uint64_t	seed;			/* --seed */
	uint32_t	threads;		/* --threads: split over roles by weight */
	double		duration;		/* --duration S (0: use ops) */
	uint64_t	ops;			/* --ops N per worker (0: use duration) */
	int		sched;			/* enum vt_sched_mode: --sched */
	uint64_t	sched_seed;		/* --sched-seed (0: --seed) */
	uint32_t	depth;			/* --depth D (pct) */
	uint64_t	steps;			/* --steps K (pct; 0: learn) */
	double		switch_prob;		/* --switch-prob P (random) */
	uint64_t	max_steps;		/* --max-steps N: budget */
	uint64_t	livelock_steps;		/* --livelock-steps N (0: off) */
	uint64_t	stop_at_step;		/* --stop-at-step N */
	const char	*trace;			/* --trace FILE: the schedule's switches */
	uint32_t	trace_tail;		/* --trace-tail N: last points kept */
	bool		trace_all;		/* --trace-all: every point is a line */
	const char	*schedule;		/* --schedule FILE */
	const char	*lock;			/* --lock NAME */
	double		audit_interval;		/* --audit-interval S */
	uint64_t	audit_ops;		/* --audit-ops N (controlled) */
	double		watchdog;		/* --watchdog S */
	bool		lockdep;		/* --lockdep: the lock-order check */
	const char	*lockdep_edges;		/* --lockdep-edges FILE: the edges seen */
	bool		lockstat;		/* --lockstat: wait/hold times, sites */
	uint32_t	lockstat_top;		/* --lockstat-top N: hottest buckets shown */
	uint32_t	lockstat_hold_every;	/* --lockstat-hold-every N: holds timed */
	bool		hash_spread;		/* --hash-spread: bucket occupancy */
	const char	*json;			/* --json FILE */
	const char	*inject;		/* --inject NAME[,NAME...] (catalogue) */
	bool		tap;			/* --tap */
	bool		quiet;			/* -q */

	/* One options block per registered subsystem (vt_config_sub()). */
	alignas(16) unsigned char sub[VT_MAX_SUBSYS][VT_SUBSYS_OPTS_MAX];
};

/* The declared defaults of the engine and of every registered subsystem. */
void vt_config_defaults(struct vt_config *c);

/* Total workers of the run (every role). */
uint32_t vt_config_nworkers(const struct vt_config *c);

/*
 * Controlled mode's step budget: --max-steps, or generous per operation
 * (100000 plus what each subsystem says one operation may take) times
 * --ops times the workers.  UINT64_MAX if that overflows.
 */
uint64_t vt_config_step_budget(const struct vt_config *c);

/*
 * Check c->inject (names of the bug catalogue, base/inject.h) against the
 * scenario's subsystems; with on != NULL (VT_NMUTANTS flags) mark them.
 * 0, or -1 after one usage line.
 */
struct vt_scenario_ops;
int vt_config_inject_parse(const struct vt_config *c,
    const struct vt_scenario_ops *sc, bool *on);

/* Index of role `name` among c's roles, or -1. */
int vt_config_role_index(const struct vt_config *c, const char *name);

/* Workers of role `name` in c (0 if the run has no such role). */
uint32_t vt_config_role_count(const struct vt_config *c, const char *name);

#endif /* VT_STRESS_CONFIG_H */
