/*
 * engine.h - what a scenario's roles see of the engine: the worker handle,
 * its PRNG, operation counters and flight recorder.
 */
#ifndef VT_STRESS_ENGINE_H
#define VT_STRESS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "../locks/kthread.h"
#include "config.h"

/* Operation kinds counted per worker and reported in JSON "ops". */
#define VT_OPS(X) \
	X(MEMLOAD, "hat_memload") \
	X(MEMLOAD_LARGE, "hat_memload_large") \
	X(UNLOAD, "hat_unload") \
	X(PAGEUNLOAD, "hat_pageunload") \
	X(SHARE, "hat_share") \
	X(UNSHARE, "hat_unshare") \
	X(HAT_ALLOC, "hat_alloc") \
	X(HAT_FREE, "hat_free") \
	X(REAP, "htable_reap") \
	X(MMU_WALK, "mmu_walk") \
	X(MAPCNT, "hment_mapcnt")

enum vt_op {
#define VT_OP_ENUM(id, name) VT_OP_##id,
	VT_OPS(VT_OP_ENUM)
#undef VT_OP_ENUM
	VT_NOPS
};
const char *vt_op_name(enum vt_op op);

#define VT_RECORDER_SIZE 32	/* events kept per worker */

/* One flight-recorder event; written by the worker with relaxed stores. */
struct vt_event {
	uint64_t	seq;		/* worker's op number */
	uint32_t	op;		/* enum vt_op */
	uint32_t	hat_id;
	uint64_t	va;
	uint64_t	pfn;
	int64_t		result;
};

struct vt_role;

struct vt_worker {
	kthread_t	kt;		/* curthread for this worker (t_id = id) */
	cpu_t		cpu;		/* CPU for this worker */
	uint32_t	id;		/* 1..nworkers (0 is the boot thread) */
	uint32_t	role_index;	/* index into the scenario's roles */
	uint32_t	role_rank;	/* 0..count-1 within its role */
	const struct vt_role *role;
	uint64_t	rng[4];		/* workload PRNG (xoshiro256**), from (seed, id) */
	uint64_t	nops;		/* operations completed; relaxed stores (watchdog reads) */
	uint64_t	op_count[VT_NOPS];	/* by kind; owner only, read after join/park */
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

/* Record an event in w's flight recorder and count it as an op of kind op. */
void vt_worker_event(struct vt_worker *w, enum vt_op op, uint32_t hat_id,
    uint64_t va, uint64_t pfn, int64_t result);

/* All workers of the run (for roles that look at others, e.g. mmu). */
uint32_t vt_engine_nworkers(void);

/*
 * Explicit yield/backoff point for role loops that wait on other workers
 * (a schedule point in controlled mode, sched_yield in free mode).
 */
void vt_worker_yield(void);

#endif /* VT_STRESS_ENGINE_H */
