/*
 * config.h - one run's configuration: every option in force.
 *
 * Filled with built-in defaults, then the scenario's defaults, then the
 * command line.  The summary and the replay line print every field that
 * differs from the built-in/scenario default.
 */
#ifndef VT_STRESS_CONFIG_H
#define VT_STRESS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define VT_MAX_ROLES	8
#define VT_MAX_WORKERS	256

enum vt_sched_mode { VT_SCHED_FREE = 0, VT_SCHED_RANDOM, VT_SCHED_PCT };

struct vt_config {
	const char	*scenario;		/* name */
	uint64_t	seed;			/* --seed (default 1) */
	uint32_t	threads;		/* --threads: split over roles by weight */
	uint32_t	role_count[VT_MAX_ROLES];	/* resolved per-role worker counts */
	int32_t		role_override[VT_MAX_ROLES];	/* --ROLE N; -1 = not given */
	uint32_t	mmu_walkers;		/* --mmu N: simulated hardware walkers */
	double		duration;		/* --duration S (0: use ops) */
	uint64_t	ops;			/* --ops N per worker (0: use duration) */
	enum vt_sched_mode sched;		/* --sched free|random|pct */
	uint64_t	sched_seed;		/* --sched-seed (default: --seed) */
	uint32_t	depth;			/* --depth D (pct) */
	uint64_t	steps;			/* --steps K (pct; 0: learn from a first run) */
	double		switch_prob;		/* --switch-prob P (random) */
	uint64_t	max_steps;		/* --max-steps N: budget, exceeding is a hang */
	uint64_t	stop_at_step;		/* --stop-at-step N (replay: stop there) */
	const char	*trace;			/* --trace FILE: the schedule's switches */
	uint32_t	trace_tail;		/* --trace-tail N: last points kept (200) */
	bool		trace_all;		/* --trace-all: every point is a line */
	const char	*schedule;		/* --schedule FILE: replay these switches */
	const char	*lock;			/* --lock NAME */
	uint32_t	mlist_locks;		/* --mlist-locks (2048) */
	uint32_t	hash_locks;		/* --hash-locks (2048) */
	uint32_t	htable_locks;		/* --htable-locks (128) */
	uint32_t	hment_hash_size;	/* --hment-hash-size (65536) */
	int		hment_rev;		/* --hment-hash avl|chain */
	uint64_t	pages;			/* --pages N frames */
	uint64_t	throttlefree;		/* --throttlefree N (default pages/64) */
	double		kmem_fail;		/* --kmem-fail P (hment+htable NOSLEEP) */
	uint64_t	kmem_budget;		/* --kmem-budget N hments outstanding (0 none) */
	uint32_t	hment_reserve_amount;	/* --hment-reserve-amount */
	uint32_t	htable_reserve_amount;	/* --htable-reserve-amount */
	uint32_t	htable_steal_passes;	/* --htable-steal-passes */
	uint64_t	force_steal;		/* --force-steal N */
	uint32_t	hats;			/* --hats N address spaces */
	uint32_t	shared_pages;		/* --shared-pages N "library" pages */
	uint32_t	va_slots;		/* --va-slots N pages of VA per worker per hat */
	double		audit_interval;		/* --audit-interval S (0: only at end) */
	uint64_t	audit_ops;		/* --audit-ops N: controlled mode, every N ops */
	double		watchdog;		/* --watchdog S */
	const char	*json;			/* --json FILE */
	const char	*inject;		/* --inject BUG (later: selftest) */
	bool		tap;			/* --tap: TAP output for meson */
	bool		quiet;			/* -q */
};

/* Built-in defaults. */
void vt_config_defaults(struct vt_config *c);

#endif /* VT_STRESS_CONFIG_H */
