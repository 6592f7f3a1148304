/*
 * engine.h - what scenarios, subsystems and their roles see of the engine:
 * the role and scenario ops tables (the locktorture `struct
 * lock_torture_ops` pattern: const tables, a NULL entry means "not
 * supported" or "nothing to do"), the worker handle with its PRNG,
 * operation counters and flight recorder.
 */
#ifndef VT_STRESS_ENGINE_H
#define VT_STRESS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../locks/kthread.h"
#include "config.h"

struct vt_worker;
struct vt_subsys_ops;

/* A thread role: what one kind of worker does, one operation at a time. */
struct vt_role {
	const char	*name;		/* "mapper"; also the CLI option --mapper N */
	const char	*desc;
	uint32_t	weight;		/* share of --threads (0: only if asked for) */
	uint32_t	min_count;	/* at least this many when --threads is used */
	/* One operation.  Called repeatedly; returns holding no locks. */
	void	(*op)(struct vt_worker *w);
	/* Optional per-worker setup/teardown (boot thread, before/after run). */
	void	(*worker_init)(struct vt_worker *w);
	void	(*worker_fini)(struct vt_worker *w);
	/*
	 * Simulated hardware: --ROLE N adds workers on top of --threads
	 * instead of taking them from it.
	 */
	bool	extra;
};

/* A scenario: the subsystems it drives and its roles. */
struct vt_scenario_ops {
	const char	*name;
	const char	*desc;
	/* Subsystems used, NULL-terminated, in boot order. */
	const struct vt_subsys_ops *const *subsys;
	const struct vt_role *roles;
	uint32_t	nroles;
	/* Scenario tuning on top of the built-in defaults (before the CLI). */
	void	(*defaults)(struct vt_config *c);
	/*
	 * Build the world after the subsystems booted.  Returns 0, or -1 with
	 * a one-line reason in err (usage error, exit 2).
	 */
	int	(*setup)(const struct vt_config *c, char *err, size_t errlen);
	/* Tear the world down after the run and the final audit. */
	void	(*teardown)(void);
	bool	needs_tryenter;		/* refuses back ends without try-lock */
	bool	test_only;		/* planted bug for the harness's own tests */
};

#define VT_RECORDER_SIZE 32	/* events kept per worker */
#define VT_MAX_OPS	64	/* operation kinds over all subsystems */

/* One flight-recorder event; written by the worker with relaxed stores. */
struct vt_event {
	uint64_t	seq;		/* worker's op number */
	uint32_t	op;		/* operation kind (vt_op_name) */
	uint32_t	hat_id;		/* the object operated on (subsystem's id) */
	uint64_t	va;
	uint64_t	pfn;
	int64_t		result;
};

struct vt_worker {
	kthread_t	kt;		/* curthread for this worker (t_id = id) */
	cpu_t		cpu;		/* CPU for this worker */
	uint32_t	id;		/* 1..nworkers (0 is the boot thread) */
	uint32_t	role_index;	/* index into the run's roles (vt_config) */
	uint32_t	role_rank;	/* 0..count-1 within its role */
	const struct vt_role *role;
	uint64_t	rng[4];		/* workload PRNG (xoshiro256**), from (seed, id) */
	uint64_t	nops;		/* operations completed; relaxed stores (watchdog reads) */
	uint64_t	op_count[VT_MAX_OPS];	/* by kind; owner only, read after join/park */
	uint32_t	rec_head;	/* next recorder slot */
	struct vt_event	rec[VT_RECORDER_SIZE];
	const struct vt_config *cfg;
	void		*role_state;	/* scenario-private */
};

/* Workload PRNG: deterministic from (seed, worker id); no clock anywhere. */
uint64_t vt_worker_rand(struct vt_worker *w);
/* Uniform in [0, n). */
uint64_t vt_worker_rand_below(struct vt_worker *w, uint64_t n);
/* True with probability pct/100. */
bool vt_worker_chance(struct vt_worker *w, uint32_t pct);

/*
 * Record an event in w's flight recorder and count it as an operation of
 * kind op (a subsystem's op_base + its own index: see subsys.h).
 */
void vt_worker_event(struct vt_worker *w, uint32_t op, uint32_t obj_id,
    uint64_t va, uint64_t pfn, int64_t result);

/* Name of operation kind op ("hat_memload"), "?" if none. */
const char *vt_op_name(uint32_t op);

/*
 * Memory a run may ask of the host: three quarters of its physical
 * memory.  Subsystems refuse options whose demand exceeds it (exit 2)
 * instead of failing an allocation mid-run.
 */
uint64_t vt_host_memory_budget(void);

/* All workers of the run (for roles that look at others, e.g. mmu). */
uint32_t vt_engine_nworkers(void);

/*
 * Explicit yield/backoff point for role loops that wait on other workers
 * (a schedule point in controlled mode, sched_yield in free mode).
 */
void vt_worker_yield(void);

#endif /* VT_STRESS_ENGINE_H */
