/*
 * engine.c - the run: boots the simulated machine and the subsystems,
 * builds the scenario's workers, runs them (free.c or controlled.c), audits
 * at the end and reports.  Also the worker PRNG.
 *
 * Harness code (not ported).  This file is explicitly about free-running
 * threads and wall time: the main thread reads the clock (run length,
 * audit interval, watchdog); worker code never does.  A worker's operation
 * sequence and injected faults depend only on (seed, worker id).
 */
#include "engine.h"
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

#include "audit.h"
#include "output.h"
#include "run.h"
#include "sched.h"
#include "subsys.h"
#include "symbol.h"
#include "trace.h"
#include "../locks/lockdep.h"
#include "../locks/lockstat.h"
#include "../core/sys.h"
#include "../locks/atomic.h"
#include "../locks/lockops.h"
#include "../locks/locktable.h"
#include "../locks/prng.h"
#include "../base/inject.h"
#include "../locks/sched_point.h"

#if defined(VT_TSAN)
/* Pull tsan_options.o (our __tsan_default_options) out of libvt.a. */
extern const int vt_tsan_options_anchor;
const int *vt_engine_tsan_anchor = &vt_tsan_options_anchor;
#endif

struct vt_engine_run R = {
	.pk = PTHREAD_MUTEX_INITIALIZER,
};

double
vt_engine_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

void
vt_engine_deadline(struct timespec *ts, double secs)
{
	double whole;
	double frac = modf(secs < 0 ? 0 : secs, &whole);

	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)whole;
	ts->tv_nsec += (long)(frac * 1e9);
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* ---- the workload PRNG (xoshiro256**, seeded by splitmix64) ---- */

/* A seed for stream `stream` of worker id, from the run seed only. */
static uint64_t
derive_seed(uint64_t seed, uint32_t id, uint64_t stream)
{
	uint64_t x = seed;
	uint64_t a = vt_prng_splitmix64(&x);

	x = a ^ ((uint64_t)id << 32) ^ stream;
	return (vt_prng_splitmix64(&x));
}

uint64_t
vt_worker_rand(struct vt_worker *w)
{
	return (vt_prng_next(w->rng));
}

uint64_t
vt_worker_rand_below(struct vt_worker *w, uint64_t n)
{
	return (vt_prng_below(w->rng, n));
}

bool
vt_worker_chance(struct vt_worker *w, uint32_t pct)
{
	if (pct >= 100)
		return (true);
	return (vt_worker_rand_below(w, 100) < pct);
}

uint64_t
vt_host_memory_budget(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	if (pages <= 0 || size <= 0)
		return (UINT64_MAX);
	return ((uint64_t)pages / 4 * 3 * (uint64_t)size);
}

uint32_t
vt_engine_nworkers(void)
{
	return (R.nworkers);
}

void
vt_worker_yield(void)
{
	vt_sched_point(VT_SP_YIELD, NULL);
	if (vt_sched_hook == NULL)
		sched_yield();
}

static struct vt_worker *
worker_new(uint32_t id, uint32_t role_index, uint32_t rank,
    const struct vt_role *role)
{
	struct vt_worker *w;

	/* Own cache lines: workers never share a line with each other. */
	w = aligned_alloc(64, (sizeof (*w) + 63) & ~(size_t)63);
	if (w == NULL)
		return (NULL);
	memset(w, 0, sizeof (*w));
	w->id = id;
	w->role_index = role_index;
	w->role_rank = rank;
	w->role = role;
	w->cfg = &R.cfg;
	w->cpu.cpu_seqid = id - 1;
	vt_thread_init(&w->kt, id, &w->cpu, derive_seed(R.cfg.seed, id, 0xfa));
	w->kt.t_engine = w;
	vt_prng_seed(w->rng, derive_seed(R.cfg.seed, id, 0x3c));
	return (w);
}

void
vt_engine_internal_error(const char *what)
{
	fprintf(stderr, "vmtorture: internal error: %s\n", what);
	exit(VT_EXIT_INTERNAL);
}

static void
build_workers(void)
{
	uint32_t n = vt_config_nworkers(&R.cfg), id = 0;

	R.workers = calloc(n, sizeof (*R.workers));
	R.threads = calloc(n, sizeof (*R.threads));
	R.finished = calloc(n, 1);
	if (R.workers == NULL || R.threads == NULL || R.finished == NULL)
		vt_engine_internal_error("out of memory for workers");
	/* The scenario's roles, then its subsystems' (vt_config roles[]). */
	for (uint32_t r = 0; r < R.cfg.nroles; r++) {
		for (uint32_t k = 0; k < R.cfg.role_count[r]; k++) {
			id++;
			R.workers[id - 1] = worker_new(id, r, k, R.cfg.roles[r]);
			if (R.workers[id - 1] == NULL)
				vt_engine_internal_error("out of memory for workers");
		}
	}
	R.nworkers = id;
	/* worker_init runs on the boot thread, in id order. */
	for (uint32_t i = 0; i < R.nworkers; i++)
		if (R.workers[i]->role->worker_init != NULL)
			R.workers[i]->role->worker_init(R.workers[i]);
}

void
vt_engine_audit_now(bool stats_if_fail)
{
	struct vt_audit_result ar;
	char msg[700];

	memset(&ar, 0, sizeof (ar));
	if (vt_audit_run(&R.cfg, &ar) != 0) {
		char check[64];

		snprintf(check, sizeof (check), "audit:%s",
		    ar.check != NULL ? ar.check : "?");
		snprintf(msg, sizeof (msg), "%s (%u violation%s)", ar.msg,
		    ar.violations, ar.violations == 1 ? "" : "s");
		vt_engine_fail(check, msg, VT_EXIT_FAIL, false, stats_if_fail);
	}
	R.audit_objects = ar.objects;
	VT_POKE(R.audits, R.audits + 1);
}

/* ---- the run ---- */

/*
 * SIGINT/SIGTERM: the first one asks the run to stop at the next safe
 * point (final audit, summary, JSON "interrupted", exit 128 + signal); a
 * second one ends the process at once, unless it comes within a second of
 * the first (timeout(1) signals the child and then its process group: one
 * request, delivered twice).
 */
static int64_t first_stop_ns;	/* handler only */

static void
on_stop_signal(int sig)
{
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (__atomic_exchange_n(&R.interrupted, (uint32_t)sig,
	    __ATOMIC_SEQ_CST) == 0) {
		__atomic_store_n(&first_stop_ns, now, __ATOMIC_RELAXED);
		return;
	}
	if (now - __atomic_load_n(&first_stop_ns, __ATOMIC_RELAXED) >
	    1000000000)
		_exit(128 + sig);
}

static void
install_stop_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof (sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	(void) sigaction(SIGINT, &sa, NULL);
	(void) sigaction(SIGTERM, &sa, NULL);
}

/* --lockdep-edges FILE: the class edges seen, written whole. */
static int
write_edges(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (f == NULL)
		return (-1);
	(void) vt_lockdep_dump(f);
	if (fclose(f) != 0) {
		free(buf);
		return (-1);
	}
	rc = vt_output_write("--lockdep-edges", path, buf, len);
	free(buf);
	return (rc);
}

/* lockdep names sites as the traces do (function:file:line). */
static const char *
lockdep_site(const void *pc, char *buf, size_t len)
{
	snprintf(buf, len, "%s", vt_symbol_site(pc));
	return (buf);
}

static void
boot(void)
{
	const struct vt_subsys_ops *const *ssp = R.sc->subsys;
	const struct vt_lock_ops *lo = vt_lock_find(R.cfg.lock);
	char err[256];

	vt_lock_select(lo);
	vt_lockdep_enabled = R.cfg.lockdep;
	/* Records are attached at mutex_init: switched on before the boot. */
	vt_lockstat_enabled = R.cfg.lockstat;
	vt_lockstat_hold_mask = (uint64_t)R.cfg.lockstat_hold_every - 1;
	vt_lockstat_set_clock(R.cfg.sched != VT_SCHED_FREE ? vt_sched_step :
	    NULL);
	vt_lockstat_begin();
	/* Mutants: set before any worker exists, ticks restart every boot. */
	vt_inject_clear();
	(void) vt_config_inject_parse(&R.cfg, R.sc, vt_injected);
	vt_lockdep_set_site_namer(lockdep_site);
	vt_panic_hook = vt_engine_panic;
	vt_engine_install_crash_handlers();
	install_stop_handlers();
	for (int i = 0; ssp != NULL && ssp[i] != NULL; i++) {
		err[0] = '\0';
		if (ssp[i]->boot != NULL &&
		    ssp[i]->boot(&R.cfg, err, sizeof (err)) != 0) {
			fprintf(stderr, "vmtorture: %s: %s\n", ssp[i]->name,
			    err[0] ? err : "subsystem boot failed");
			exit(VT_EXIT_USAGE);
		}
	}
	err[0] = '\0';
	if (R.sc->setup != NULL && R.sc->setup(&R.cfg, err, sizeof (err)) != 0) {
		fprintf(stderr, "vmtorture: %s: %s\n", R.sc->name,
		    err[0] ? err : "scenario setup failed");
		exit(VT_EXIT_USAGE);
	}
}

static void
shutdown_world(void)
{
	const struct vt_subsys_ops *const *ssp = R.sc->subsys;
	int n = 0;

	for (uint32_t i = 0; i < R.nworkers; i++)
		if (R.workers[i]->role->worker_fini != NULL)
			R.workers[i]->role->worker_fini(R.workers[i]);
	if (R.sc->teardown != NULL)
		R.sc->teardown();
	while (ssp != NULL && ssp[n] != NULL)
		n++;
	while (n-- > 0)
		if (ssp[n]->fini != NULL)
			ssp[n]->fini();
	for (uint32_t i = 0; i < R.nworkers; i++) {
		vt_thread_fini(&R.workers[i]->kt);
		free(R.workers[i]);
	}
	free(R.workers);
	free(R.threads);
	free((void *)R.finished);
	R.workers = NULL;
	R.nworkers = 0;
}

int
vt_run_main(int argc, char **argv)
{
	struct vt_report *r = &R.rep;
	pthread_condattr_t ca;

	switch (vt_config_parse(&R.cfg, &R.sc, argc, argv)) {
	case 0:
		break;
	case 1:
		return (VT_EXIT_PASS);	/* --help */
	default:
		return (VT_EXIT_USAGE);
	}
	/* Outputs are checked before the run, not found unwritable after it. */
	if ((R.cfg.lockdep_edges != NULL && vt_output_check("--lockdep-edges",
	    R.cfg.lockdep_edges) != 0) ||
	    (R.cfg.json != NULL && vt_output_check("--json", R.cfg.json) != 0) ||
	    (R.cfg.trace != NULL && vt_output_check("--trace", R.cfg.trace) != 0))
		return (VT_EXIT_USAGE);
	if (R.cfg.schedule != NULL) {
		/* A bad schedule is a usage error, found before anything runs. */
		struct vt_trace_file f;

		if (vt_trace_read(R.cfg.schedule, 0, &f) != 0)
			return (VT_EXIT_USAGE);
		for (size_t i = 0; i < f.nsw; i++) {
			if (f.sw[i].next > vt_config_nworkers(&R.cfg)) {
				fprintf(stderr, "vmtorture: %s:%u: worker %u: the "
				    "run has %u workers\n", R.cfg.schedule,
				    f.sw[i].line, f.sw[i].next,
				    vt_config_nworkers(&R.cfg));
				vt_trace_file_free(&f);
				return (VT_EXIT_USAGE);
			}
		}
		if (f.nsw == 0)
			fprintf(stderr, "vmtorture: warning: --schedule %s has no "
			    "switches: every worker runs until it blocks or "
			    "ends\n", R.cfg.schedule);
		vt_trace_file_free(&f);
	}
	if (R.cfg.json != NULL) {
		/* An older file must not go on saying "pass" if we are killed. */
		r->cfg = &R.cfg;
		r->result = "running";
		if (vt_report_json(r, R.cfg.json) != 0)
			return (VT_EXIT_USAGE);
		r->result = NULL;
	}
	if (R.cfg.tap)
		printf("1..1\n");
	{
		/* The whole command line first, so a killed run still says it. */
		char cmd[2048];

		vt_config_cmdline(&R.cfg, true, cmd, sizeof (cmd));
		printf("%s%s\n", R.cfg.tap ? "# " : "", cmd);
		fflush(stdout);
	}
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&R.main_cv, &ca);
	pthread_cond_init(&R.worker_cv, &ca);
	pthread_condattr_destroy(&ca);

	boot();
	build_workers();
	if (R.cfg.sched == VT_SCHED_FREE) {
		vt_engine_run_free();
	} else {
		struct vt_sched_result res;
		uint64_t k = R.cfg.steps;

		if (R.cfg.sched == VT_SCHED_PCT && k == 0 &&
		    R.cfg.schedule == NULL) {
			/*
			 * Learn k: one run under the random strategy (same
			 * seeds) counts the schedule points; then boot afresh.
			 */
			uint64_t stop = R.cfg.stop_at_step;

			/*
			 * The first pass writes --trace too: if it fails,
			 * the file holds the failing schedule (replayable);
			 * if not, the pct pass rewrites it.
			 */
			R.cfg.stop_at_step = 0;
			vt_engine_run_controlled(VT_STRAT_RANDOM, 0, &res);
			vt_engine_controlled_outcome(&res);
			k = res.steps;
			shutdown_world();
			vt_lockclass_reset();
			R.cfg.stop_at_step = stop;
			boot();
			build_workers();
		}
		vt_engine_run_controlled(R.cfg.sched == VT_SCHED_PCT ? VT_STRAT_PCT :
		    R.cfg.sched == VT_SCHED_POS ? VT_STRAT_POS : VT_STRAT_RANDOM,
		    k, &res);
		vt_engine_controlled_outcome(&res);
		R.rep.controlled = true;
		R.rep.sched_steps = res.steps;
		R.rep.sched_switches = res.switches;
		R.rep.sched_preemptions = res.preemptions;
		R.rep.sched_k = k;
		R.rep.trace_hash = res.trace_hash;
	}

	/* Final audit: every worker has exited (joined). */
	vt_engine_audit_now(true);
	r->cfg = &R.cfg;
	vt_report_collect(r, R.workers, R.nworkers, true);
	r->audits = R.audits;
	r->audit_objects = R.audit_objects;
	r->failed = false;

	shutdown_world();
	VT_POKE(R.world, W_BOOT);
	vt_panic_hook = NULL;
	vt_inject_clear();

	if (R.cfg.lockdep_edges != NULL && write_edges(R.cfg.lockdep_edges) != 0)
		return (VT_EXIT_INTERNAL);
	if (vt_engine_interrupted()) {
		r->result = "interrupted";
		r->exit_code = 128 + (int)R.interrupted;
	}
	vt_report_print(r, stdout);
	fflush(stdout);
	if (R.cfg.json != NULL && vt_report_json(r, R.cfg.json) != 0)
		return (VT_EXIT_INTERNAL);
	return (r->exit_code);
}
