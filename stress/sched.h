/*
 * sched.h - the controlled scheduler (DESIGN §6): workers run as fibers on
 * one OS thread and a seeded strategy picks who runs at every schedule
 * point, so the same seed and options give the same interleaving.
 *
 * Strategies:
 *   random - at each point switch to a uniformly chosen runnable task with
 *            probability switch_prob;
 *   pct    - Burckhardt et al., ASPLOS 2010: distinct random priorities
 *            (>= depth), depth-1 change points chosen uniformly in [1, k];
 *            the highest-priority runnable task always runs; at change point
 *            j the running task's priority drops to j;
 *   pos    - partial order sampling (Yuan et al., CAV 2018): every task's
 *            pending event (its next schedule point, on one object) has a
 *            random priority; the highest-priority runnable task runs;
 *            when a task's event on object o has run, every other task
 *            whose pending event is on o draws a fresh priority (those
 *            events race with it), and so does the task for its next
 *            event.  A spinner goes lowest, as under pct;
 *   replay - follow a recorded list of switches (shrinking, trace replay):
 *            at a point with a recorded switch run its target, otherwise
 *            go on with the running task (the first other runnable one,
 *            lowest index first, when it cannot).  Switches at a task's
 *            end are recorded apart (sw_end), so a trace of every switch
 *            replays exactly.
 * Blocking is exact: locks and condition variables park the task on the
 * object and releases wake it, so "no runnable task while some are blocked"
 * is a deadlock, reported with its wait-for cycle.
 */
#ifndef VT_STRESS_SCHED_H
#define VT_STRESS_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "../locks/kthread.h"
#include "../locks/sched_point.h"
#include "fiber.h"

enum vt_sched_strategy { VT_STRAT_RANDOM = 1, VT_STRAT_PCT, VT_STRAT_REPLAY,
    VT_STRAT_POS };

enum vt_task_state { VT_TASK_RUNNABLE, VT_TASK_BLOCKED, VT_TASK_DONE };

struct vt_sched_task {
	struct vt_fiber	st_fiber;
	uint32_t	st_id;		/* worker id, 1..n */
	kthread_t	*st_kt;		/* installed as curthread while running */
	enum vt_task_state st_state;
	const void	*st_blocked_on;	/* object it waits for (BLOCKED) */
	const char	*st_what;	/* "mutex", "cv", "page", ... */
	int64_t		st_prio;	/* pct/pos priority (spinners go below 0) */
	const void	*st_pos_obj;	/* pos: object of its pending event */
	/* Its last schedule point, for reports (sites are return addresses). */
	uint64_t	st_step;
	enum vt_sp_kind	st_kind;
	bool		st_blocked_here;	/* it was a block */
	const void	*st_pc;
	const void	*st_wait_pc;	/* site of its last lock/trylock/cv_wait */
	/* Its last distinct sites since the last progress (livelock; a ring). */
	const void	*st_spin[4];
	uint32_t	st_nspin;	/* sites noted (mod 4: the next slot) */
	void		(*st_body)(void *);
	void		*st_arg;
};

/*
 * One forced switch of a replay schedule: at step sw_step run task sw_to;
 * sw_end: at the end of the task that runs then (no step of its own).
 */
struct vt_sched_switch {
	uint64_t	sw_step;
	uint32_t	sw_to;		/* task index */
	bool		sw_end;
};

struct vt_trace;

struct vt_sched_params {
	enum vt_sched_strategy strategy;
	uint64_t	seed;
	uint32_t	depth;		/* pct d (>= 1) */
	uint64_t	steps;		/* pct k: estimated steps of the run */
	double		switch_prob;	/* random p */
	uint64_t	max_steps;	/* step budget (0: none): exceeding it is a hang */
	struct vt_trace	*trace;		/* gets every decision (trace.h), or NULL */
	/* replay */
	const struct vt_sched_switch *replay;
	uint32_t	nreplay;
	uint64_t	stop_at_step;	/* 0: run to the end */
	/*
	 * Livelock: this many steps in a row without progress (an operation
	 * completed or a task finished, by any task) end the run as
	 * VT_SCHED_LIVELOCK.  Locks taken and released do not count: the
	 * kernel's spin loops (htable_alloc stealing) take and drop locks on
	 * every lap.  0: off.
	 */
	uint64_t	livelock_steps;
};

enum vt_sched_outcome {
	VT_SCHED_DONE = 0,	/* every task finished */
	VT_SCHED_DEADLOCK,	/* no runnable task, some blocked */
	VT_SCHED_BUDGET,	/* max_steps exceeded (livelock/hang) */
	VT_SCHED_STOPPED,	/* reached stop_at_step */
	VT_SCHED_LIVELOCK,	/* livelock_steps without progress */
};

struct vt_sched_result {
	enum vt_sched_outcome outcome;
	uint64_t	steps;		/* schedule points passed */
	uint64_t	switches;	/* context switches between tasks */
	uint64_t	preemptions;	/* switches away from a runnable task */
	uint64_t	trace_hash;	/* FNV-1a over every decision (no sites) */
	char		cycle[2048];	/* deadlock: the wait-for cycle; livelock:
					 * the spinning workers and sites */
	uint64_t	quiet_max;	/* longest run of steps without progress */
};

/*
 * Run the tasks (already filled: id, kt, body, arg) to completion under the
 * strategy on the calling OS thread.  Installs vt_sched_hook and the block/
 * wake control for the duration.  Returns when all tasks are done, on
 * deadlock, on budget exhaustion, or at stop_at_step (then the remaining
 * fibers are abandoned: the caller must not touch shared state after that
 * except to report).
 */
void vt_sched_run(struct vt_sched_task *tasks, uint32_t n,
    const struct vt_sched_params *p, struct vt_sched_result *r);

/*
 * The running task made progress: controlled.c calls it when an operation
 * completes (a task's end counts by itself).
 */
void vt_sched_progress(void);

/* True while vt_sched_run is active on this process. */
bool vt_sched_active(void);
/* Current step number (for flight recorders). */
uint64_t vt_sched_step(void);
/* The trace hash of the decisions so far (failure reports). */
uint64_t vt_sched_hash(void);

/*
 * The last schedule point of worker id while vt_sched_run is active: its
 * step, what it was ("lock", ..., "block") and its site (a return address
 * for vt_symbol_site).  False if there is none.
 */
bool vt_sched_last_point(uint32_t id, uint64_t *step, const char **what,
    const void **pc);

/* Name of the object a task waits on, for cycle printing (set by engine). */
typedef const char *(*vt_sched_objname_t)(const void *obj, const char *what,
    char *buf, size_t len);
/* Who holds obj (kthread id) or 0; lets the deadlock report follow the chain. */
typedef uint32_t (*vt_sched_holder_t)(const void *obj, const char *what);
void vt_sched_set_describers(vt_sched_objname_t name, vt_sched_holder_t holder);

#endif /* VT_STRESS_SCHED_H */
