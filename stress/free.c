/*
 * free.c - free mode (DESIGN §6): one OS thread per worker, stop-the-world
 * audits on a park barrier, and the watchdog.
 *
 * Harness code (not ported).  This file is explicitly about free-running
 * threads and wall time: the main thread reads the clock (run length,
 * audit interval, watchdog); worker code never does.
 *
 * Park barrier.  Workers check R.park_req (relaxed) between operations,
 * holding no lock.  The barrier itself is a plain pthread mutex + two
 * condition variables (harness code, not the port's kmutex), which gives
 * TSan a happens-before edge from every worker's last operation to the
 * audit, and from the audit back to the workers' next operations.
 */
#include "engine_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../locks/atomic.h"

/* ---- workers ---- */

/* Wait at the safe point while main audits.  Holds no port lock. */
static void
park(void)
{
	pthread_mutex_lock(&R.pk);
	while (R.park_req) {
		uint64_t gen = R.park_gen;

		R.parked++;
		pthread_cond_broadcast(&R.main_cv);
		while (R.park_gen == gen)
			pthread_cond_wait(&R.worker_cv, &R.pk);
		R.parked--;
	}
	pthread_mutex_unlock(&R.pk);
}

static void *
worker_main(void *arg)
{
	struct vt_worker *w = arg;
	uint64_t limit = w->cfg->ops;

	vt_thread_set_current(&w->kt);
	pthread_mutex_lock(&R.pk);
	while (!R.go)
		pthread_cond_wait(&R.worker_cv, &R.pk);
	pthread_mutex_unlock(&R.pk);

	for (;;) {
		if (VT_PEEK(R.park_req))
			park();
		if (VT_PEEK(R.stop))
			break;
		if (limit != 0 && w->nops >= limit)
			break;
		w->role->op(w);
		VT_POKE(w->nops, w->nops + 1);
	}

	pthread_mutex_lock(&R.pk);
	VT_POKE(R.finished[w->id - 1], 1);
	R.nactive--;
	pthread_cond_broadcast(&R.main_cv);
	pthread_mutex_unlock(&R.pk);
	return (NULL);
}

/* ---- audits and the watchdog (main thread) ---- */

void __attribute__((noreturn))
vt_engine_hang(const char *why)
{
	vt_engine_fail("watchdog", why, VT_EXIT_HANG, true, false);
}


/*
 * Stop the world: ask every worker to park between operations, wait (at
 * most --watchdog seconds) until all running workers are parked, audit,
 * release them.  Returns the seconds spent.
 */
static double
stop_the_world_audit(void)
{
	double t0 = vt_engine_now();
	struct timespec dl;
	int rc = 0;

	vt_engine_deadline(&dl, R.cfg.watchdog);
	pthread_mutex_lock(&R.pk);
	VT_POKE(R.park_req, 1);
	while (R.parked < R.nactive && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&R.main_cv, &R.pk, &dl);
	if (R.parked < R.nactive) {
		char why[160];

		snprintf(why, sizeof (why), "stop-the-world for an audit: %u of "
		    "%u workers did not reach a safe point in %gs", R.nactive -
		    R.parked, R.nactive, R.cfg.watchdog);
		vt_engine_hang(why);
	}
	VT_POKE(R.world, W_PARKED);
	vt_engine_audit_now(true);
	VT_POKE(R.world, W_RUNNING);
	VT_POKE(R.park_req, 0);
	R.park_gen++;
	pthread_cond_broadcast(&R.worker_cv);
	pthread_mutex_unlock(&R.pk);
	return (vt_engine_now() - t0);
}

/* Per-worker progress for the watchdog (main thread only). */
static uint64_t *wd_last;
static double *wd_when;

static void
watchdog_reset(double t)
{
	for (uint32_t i = 0; i < R.nworkers; i++) {
		wd_last[i] = VT_PEEK(R.workers[i]->nops);
		wd_when[i] = t;
	}
}

static void
watchdog_check(double t)
{
	for (uint32_t i = 0; i < R.nworkers; i++) {
		uint64_t n = VT_PEEK(R.workers[i]->nops);

		if (VT_PEEK(R.finished[i]) || n != wd_last[i]) {
			wd_last[i] = n;
			wd_when[i] = t;
		} else if (t - wd_when[i] >= R.cfg.watchdog) {
			char why[160];

			snprintf(why, sizeof (why), "worker %u (%s) made no "
			    "progress for %gs", R.workers[i]->id,
			    vt_engine_role_name(R.workers[i]), R.cfg.watchdog);
			vt_engine_hang(why);
		}
	}
}

/*
 * The live status line on a terminal (stderr), about once a second:
 * elapsed and remaining time, operations per second since the last line,
 * audits.  Nothing when stderr is not a terminal, with -q or with --tap.
 */
static void
status_line(double t, double end, bool by_time, bool clear)
{
	static double last_t;
	static uint64_t last_ops;
	uint64_t ops = 0;
	char buf[160];
	int n;

	if (R.cfg.quiet || R.cfg.tap || !isatty(STDERR_FILENO))
		return;
	if (clear) {
		vt_engine_say("\r\033[K");
		return;
	}
	if (t - last_t < 1.0)
		return;
	for (uint32_t i = 0; i < R.nworkers; i++)
		ops += VT_PEEK(R.workers[i]->nops);
	n = snprintf(buf, sizeof (buf), "\r\033[K%s: %.0fs", R.cfg.scenario,
	    t - R.t_start);
	if (by_time && n > 0 && (size_t)n < sizeof (buf))
		n += snprintf(buf + n, sizeof (buf) - (size_t)n, " of %.0fs",
		    end - R.t_start);
	if (n > 0 && (size_t)n < sizeof (buf))
		snprintf(buf + n, sizeof (buf) - (size_t)n, ", %.0f ops/s, %"
		    PRIu64 " audits, no failure", last_t > 0 ? (double)(ops -
		    last_ops) / (t - last_t) : 0.0, VT_PEEK(R.audits));
	vt_engine_say("%s", buf);
	last_t = t;
	last_ops = ops;
}

/* Run the workers until the duration or op bound; audits on the way. */
void
vt_engine_run_free(void)
{
	double t, end = 0, next_audit = 0, audit_secs;
	sigset_t stop, old;
	bool by_time = R.cfg.duration > 0;

	wd_last = calloc(R.nworkers, sizeof (*wd_last));
	wd_when = calloc(R.nworkers, sizeof (*wd_when));
	if (wd_last == NULL || wd_when == NULL)
		vt_engine_internal_error("out of memory for the watchdog");

	pthread_mutex_lock(&R.pk);
	R.nactive = R.nworkers;
	pthread_mutex_unlock(&R.pk);
	/* Workers never take SIGINT/SIGTERM: the main thread handles them. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	for (uint32_t i = 0; i < R.nworkers; i++) {
		if (pthread_create(&R.threads[i], NULL, worker_main,
		    R.workers[i]) != 0)
			vt_engine_internal_error("pthread_create failed");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	R.t_start = vt_engine_now();
	end = R.t_start + R.cfg.duration;
	if (R.cfg.audit_interval > 0)
		next_audit = R.t_start + R.cfg.audit_interval;
	watchdog_reset(R.t_start);
	VT_POKE(R.world, W_RUNNING);
	pthread_mutex_lock(&R.pk);
	R.go = true;
	pthread_cond_broadcast(&R.worker_cv);
	pthread_mutex_unlock(&R.pk);

	for (;;) {
		struct timespec nap = { 0, 10 * 1000 * 1000 };
		uint32_t active;

		nanosleep(&nap, NULL);
		t = vt_engine_now();
		pthread_mutex_lock(&R.pk);
		active = R.nactive;
		pthread_mutex_unlock(&R.pk);
		if (active == 0)
			break;
		if (by_time && t >= end)
			break;
		if (vt_engine_interrupted())
			break;
		watchdog_check(t);
		status_line(t, end, by_time, false);
		if (next_audit != 0 && t >= next_audit) {
			audit_secs = stop_the_world_audit();
			/* --duration counts running time, not audit time. */
			end += audit_secs;
			VT_POKE(R.t_audit_ns, R.t_audit_ns +
			    (uint64_t)(audit_secs * 1e9));
			t = vt_engine_now();
			watchdog_reset(t);
			next_audit = t + R.cfg.audit_interval;
		}
	}

	status_line(t, end, by_time, true);
	/* Stop: every worker finishes its operation and exits. */
	{
		struct timespec dl;
		int rc = 0;

		vt_engine_deadline(&dl, R.cfg.watchdog);
		pthread_mutex_lock(&R.pk);
		VT_POKE(R.stop, 1);
		while (R.nactive > 0 && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&R.main_cv, &R.pk, &dl);
		if (R.nactive > 0) {
			char why[160];

			snprintf(why, sizeof (why), "%u of %u workers did not "
			    "stop within %gs of the end of the run", R.nactive,
			    R.nworkers, R.cfg.watchdog);
			vt_engine_hang(why);
		}
		pthread_mutex_unlock(&R.pk);
	}
	t = vt_engine_now();
	for (uint32_t i = 0; i < R.nworkers; i++)
		pthread_join(R.threads[i], NULL);
	VT_POKE(R.world, W_JOINED);
	R.rep.seconds = t - R.t_start - (double)R.t_audit_ns * 1e-9;
	free(wd_last);
	free(wd_when);
}
