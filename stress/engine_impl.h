/*
 * engine_impl.h - what the engine's own files share (engine.c: boot, the
 * run and its teardown; free.c: real threads; controlled.c: fibers under the
 * controlled scheduler; fail.c: the failure path).  Not for scenarios or
 * subsystems: they see engine.h.
 */
#ifndef VT_STRESS_ENGINE_IMPL_H
#define VT_STRESS_ENGINE_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "run.h"
#include "sched.h"

/* The run's world: boot, workers running, parked for an audit, joined. */
enum world_state { W_BOOT = 0, W_RUNNING, W_PARKED, W_JOINED };

/*
 * The run.  Fields set at boot are immutable while workers run.  The park
 * fields are protected by R.pk; park_req and stop are also read by workers
 * without it (relaxed atomics) as a hint, then re-checked under R.pk.
 */
struct vt_engine_run {
	struct vt_config cfg;			/* immutable after parse */
	const struct vt_scenario_ops *sc;	/* immutable */
	struct vt_worker **workers;		/* [nworkers]; immutable */
	uint32_t	nworkers;		/* immutable after boot */
	pthread_t	*threads;		/* main thread only */
	uint8_t		*finished;		/* per worker; relaxed atomics */

	pthread_mutex_t	pk;			/* the park barrier */
	pthread_cond_t	main_cv;		/* workers -> main */
	pthread_cond_t	worker_cv;		/* main -> workers */
	uint32_t	park_req;		/* pk; relaxed reads by workers */
	uint32_t	stop;			/* pk; relaxed reads by workers */
	uint64_t	park_gen;		/* pk */
	uint32_t	parked;			/* pk */
	uint32_t	nactive;		/* pk: started, not yet exited */
	bool		go;			/* pk: start signal */

	uint32_t	world;			/* enum world_state; relaxed atomics */
	uint64_t	audits;			/* main writes; relaxed atomics */
	uint64_t	audit_objects;		/* main only */
	double		t_start;		/* main writes before go */
	uint64_t	t_audit_ns;		/* time spent parked; relaxed atomics */
	uint32_t	failing;		/* first failure wins; atomics */
	struct vt_report rep;			/* the failing/finishing thread */
	struct vt_trace	*trace;			/* --trace (controlled mode; trace.h) */
	/*
	 * SIGINT/SIGTERM received (its number), set by the handler with an
	 * atomic store; the run stops at the next safe point.
	 */
	uint32_t	interrupted;
};
extern struct vt_engine_run R;

/* Monotonic seconds; an absolute CLOCK_MONOTONIC deadline secs from now. */
double vt_engine_now(void);
void vt_engine_deadline(struct timespec *ts, double secs);

/* Harness failure (exit 4): message on stderr. */
void vt_engine_internal_error(const char *what) __attribute__((noreturn));

/* fail.c: report a failed check and _exit(code); never returns. */
void vt_engine_fail(const char *check, const char *msg, int code, bool waits,
    bool stats) __attribute__((noreturn));
void vt_engine_hang(const char *why) __attribute__((noreturn));
void vt_engine_panic(const char *check, const char *msg);
void vt_engine_install_crash_handlers(void);
void vt_engine_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *vt_engine_role_name(const struct vt_worker *w);

/* True once SIGINT/SIGTERM asked the run to stop (relaxed load). */
static inline bool
vt_engine_interrupted(void)
{
	return (__atomic_load_n(&R.interrupted, __ATOMIC_RELAXED) != 0);
}

/* engine.c: audit now (world stopped); fails the run on a violation. */
void vt_engine_audit_now(bool stats_if_fail);

/* free.c: run the workers as threads until the duration or op bound. */
void vt_engine_run_free(void);

/* controlled.c: run them as fibers under strategy strat (pct k). */
void vt_engine_run_controlled(enum vt_sched_strategy strat, uint64_t k,
    struct vt_sched_result *res);
/* What the scheduler's outcome means for the run (may not return). */
void vt_engine_controlled_outcome(const struct vt_sched_result *res);

#endif /* VT_STRESS_ENGINE_IMPL_H */
