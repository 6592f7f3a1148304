/*
 * engine.c - the free-running engine (DESIGN §6, free mode): boots the
 * simulated machine and the HAT, builds the scenario's world, runs one OS
 * thread per worker, stops the world for audits, watches for hangs, and
 * reports.  Also the failure path (vt_panic_hook) and the worker PRNG.
 *
 * Harness code (not ported).  This file is explicitly about free-running
 * threads and wall time: the main thread reads the clock (run length,
 * audit interval, watchdog); worker code never does.  A worker's operation
 * sequence and injected faults depend only on (seed, worker id).
 *
 * Park barrier.  Workers check R.park_req (relaxed) between operations,
 * holding no lock.  The barrier itself is a plain pthread mutex + two
 * condition variables (harness code, not the port's kmutex), which gives
 * TSan a happens-before edge from every worker's last operation to the
 * audit, and from the audit back to the workers' next operations.
 */
#include "engine.h"

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

#include "run.h"
#include "audit.h"
#include "../core/hat.h"
#include "../core/hment.h"
#include "../core/htable.h"
#include "../core/mmu.h"
#include "../core/page.h"
#include "../core/sys.h"
#include "../locks/atomic.h"
#include "../locks/lockops.h"
#include "../locks/prng.h"
#include "../locks/sched_ctl.h"
#include "../locks/locktable.h"
#include "../locks/sched_point.h"
#include "sched.h"

#if defined(VT_TSAN)
/* Pull tsan_options.o (our __tsan_default_options) out of libvt.a. */
extern const int vt_tsan_options_anchor;
const int *vt_engine_tsan_anchor = &vt_tsan_options_anchor;
#endif

enum world_state { W_BOOT = 0, W_RUNNING, W_PARKED, W_JOINED };

/*
 * The run.  Fields set at boot are immutable while workers run.  The park
 * fields are protected by R.pk; park_req and stop are also read by workers
 * without it (relaxed atomics) as a hint, then re-checked under R.pk.
 */
static struct run {
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
	FILE		*trace;			/* --trace (controlled mode) */
} R = {
	.pk = PTHREAD_MUTEX_INITIALIZER,
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

static void
abs_deadline(struct timespec *ts, double secs)
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

/* ---- failure path ---- */

static void
say(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof (buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof (buf))
		n = (int)sizeof (buf) - 1;
	for (const char *p = buf; n > 0;) {
		ssize_t k = write(STDERR_FILENO, p, (size_t)n);

		if (k <= 0)
			break;
		p += k;
		n -= (int)k;
	}
}

static const char *
worker_role_name(const struct vt_worker *w)
{
	return (w->role != NULL ? w->role->name : "?");
}

/* Describe what w's kthread waits on and holds (watchdog; racy reads). */
static void
dump_waits(const struct vt_worker *w)
{
	const kthread_t *t = &w->kt;
	const void *obj = VT_PEEK(t->t_wait);
	const char *what = VT_PEEK(t->t_wait_what);
	uint32_t nheld = VT_PEEK(t->t_nheld);
	char wait[192], held[512], name[64];
	size_t n = 0;

	if (obj == NULL) {
		snprintf(wait, sizeof (wait), "running (not blocked)");
	} else if (what != NULL && strcmp(what, "mutex") == 0) {
		const kmutex_t *m = obj;
		kthread_t *o = vt_mutex_owner(m);

		vt_mutex_name(m, name, sizeof (name));
		if (o != NULL)
			snprintf(wait, sizeof (wait),
			    "waits on mutex %s (held by worker %u)", name,
			    VT_PEEK(o->t_id));
		else
			snprintf(wait, sizeof (wait), "waits on mutex %s", name);
	} else if (what != NULL && strcmp(what, "rwlock") == 0) {
		krwlock_t *rw = (krwlock_t *)(uintptr_t)obj;
		kthread_t *o = VT_PEEK(rw->rw_writer);

		if (o != NULL)
			snprintf(wait, sizeof (wait),
			    "waits on an AS rwlock (writer: worker %u)",
			    VT_PEEK(o->t_id));
		else
			snprintf(wait, sizeof (wait),
			    "waits on an AS rwlock (readers: %d)",
			    VT_PEEK(rw->rw_readers));
	} else if (what != NULL && strcmp(what, "page") == 0) {
		const page_t *pp = obj;

		snprintf(wait, sizeof (wait), "waits on page lock of pfn %"
		    PRIu64, pp->p_pagenum);
	} else {
		snprintf(wait, sizeof (wait), "waits on a %s",
		    what != NULL ? what : "?");
	}
	held[0] = '\0';
	if (nheld > VT_MAX_HELD)
		nheld = VT_MAX_HELD;
	for (uint32_t i = 0; i < nheld && n < sizeof (held); i++) {
		const kmutex_t *m = VT_PEEK(t->t_held[i]);

		if (m == NULL)
			continue;
		vt_mutex_name(m, name, sizeof (name));
		n += (size_t)snprintf(held + n, sizeof (held) - n, "%s%s",
		    n ? ", " : "", name);
	}
	say("  worker %u (%s #%u): %" PRIu64 " ops; %s; holds %s\n", w->id,
	    worker_role_name(w), w->role_rank, VT_PEEK(w->nops), wait,
	    held[0] ? held : "no locks");
}

/*
 * Report a failure and exit.  Runs on whichever thread failed (a panicking
 * worker, or main for audits and the watchdog) while other workers may
 * still run: it takes no lock a worker could hold, reads cross-thread
 * fields only with relaxed loads, and reads the HAT's statistics only when
 * stats is true (world parked by this thread).  Never returns.
 */
static void __attribute__((noreturn))
fail_run(const char *check, const char *msg, int code, bool waits,
    bool stats)
{
	struct vt_report *r = &R.rep;
	double t;

	if (__atomic_exchange_n(&R.failing, 1, __ATOMIC_SEQ_CST) != 0) {
		/* Another thread is reporting; it will end the process. */
		for (;;)
			pause();
	}
	t = now_s();
	vt_config_cmdline(&R.cfg, false, r->replay, sizeof (r->replay));
	say("%s\n", r->replay);
	say("FAIL: %s: %s\n", check, msg != NULL ? msg : "");
	if (R.cfg.sched != VT_SCHED_FREE) {
		say("schedule: failed at step %" PRIu64 " (replays exactly: "
		    "same command line)\n", vt_sched_step());
		if (R.trace != NULL)
			fflush(R.trace);
	}
	if (waits && R.nworkers > 0) {
		say("workers:\n");
		for (uint32_t i = 0; i < R.nworkers; i++)
			dump_waits(R.workers[i]);
	}
	if (R.nworkers > 0) {
		say("flight recorders (oldest first):\n");
		for (uint32_t i = 0; i < R.nworkers; i++)
			vt_recorder_dump(STDERR_FILENO, R.workers[i]);
	}
	r->cfg = &R.cfg;
	r->sc = R.sc;
	vt_report_collect(r, R.workers, R.nworkers, stats);
	r->audits = VT_PEEK(R.audits);
	r->audit_objects = R.audit_objects;
	if (VT_PEEK(R.world) == W_RUNNING || VT_PEEK(R.world) == W_PARKED)
		r->seconds = t - R.t_start -
		    (double)VT_PEEK(R.t_audit_ns) * 1e-9;
	r->failed = true;
	snprintf(r->check, sizeof (r->check), "%s", check);
	snprintf(r->message, sizeof (r->message), "%s", msg != NULL ? msg : "");
	fflush(stderr);
	vt_report_print(r, stdout);
	if (R.cfg.json != NULL)
		(void) vt_report_json(r, R.cfg.json);
	fflush(stdout);
	fflush(stderr);
	_exit(code);
}

/* vt_panic_hook: an ASSERT/VERIFY/panic/vt_fail anywhere in the port. */
static void
engine_panic(const char *check, const char *msg)
{
	bool hang = check != NULL && (strcmp(check, "watchdog") == 0 ||
	    strcmp(check, "deadlock") == 0);
	const kthread_t *t = vt_curthread();
	const struct vt_worker *w = t != NULL ? t->t_engine : NULL;
	char buf[700];

	/* Say who failed: a worker (with its role) or the boot thread. */
	if (w != NULL)
		snprintf(buf, sizeof (buf), "in worker %u (%s): %s", w->id,
		    worker_role_name(w), msg != NULL ? msg : "");
	else
		snprintf(buf, sizeof (buf), "in the boot thread: %s",
		    msg != NULL ? msg : "");
	fail_run(check != NULL ? check : "panic", buf,
	    hang ? VT_EXIT_HANG : VT_EXIT_FAIL, hang, false);
}

/*
 * A crash in the port (SIGSEGV on a stale pointer, ...) is a failed check
 * like a panic: report it the same way.  The handler is one-shot
 * (SA_RESETHAND), so a fault inside the report ends the process the
 * default way.
 */
static void
engine_crash(int sig, siginfo_t *si, void *uc)
{
	char msg[128];

	(void) uc;
	snprintf(msg, sizeof (msg), "signal %d (%s) at address %p", sig,
	    strsignal(sig), si != NULL ? si->si_addr : NULL);
	engine_panic("crash", msg);
}

static void
install_crash_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	struct sigaction sa;

	memset(&sa, 0, sizeof (sa));
	sa.sa_sigaction = engine_crash;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof (sigs) / sizeof (sigs[0]); i++)
		(void) sigaction(sigs[i], &sa, NULL);
}

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

static void
internal_error(const char *what)
{
	fprintf(stderr, "vmtorture: internal error: %s\n", what);
	exit(VT_EXIT_INTERNAL);
}

static void
build_workers(void)
{
	const struct vt_scenario_ops *sc = R.sc;
	uint32_t n = vt_config_nworkers(&R.cfg), id = 0;

	R.workers = calloc(n, sizeof (*R.workers));
	R.threads = calloc(n, sizeof (*R.threads));
	R.finished = calloc(n, 1);
	if (R.workers == NULL || R.threads == NULL || R.finished == NULL)
		internal_error("out of memory for workers");
	for (uint32_t r = 0; r < sc->nroles && r < VT_MAX_ROLES; r++) {
		for (uint32_t k = 0; k < R.cfg.role_count[r]; k++) {
			id++;
			R.workers[id - 1] = worker_new(id, r, k, &sc->roles[r]);
			if (R.workers[id - 1] == NULL)
				internal_error("out of memory for workers");
		}
	}
	for (uint32_t k = 0; k < R.cfg.mmu_walkers; k++) {
		id++;
		R.workers[id - 1] = worker_new(id, sc->nroles, k, &vt_mmu_role);
		if (R.workers[id - 1] == NULL)
			internal_error("out of memory for workers");
	}
	R.nworkers = id;
	/* worker_init runs on the boot thread, in id order. */
	for (uint32_t i = 0; i < R.nworkers; i++)
		if (R.workers[i]->role->worker_init != NULL)
			R.workers[i]->role->worker_init(R.workers[i]);
}

/* ---- audits and the watchdog (main thread) ---- */

static void __attribute__((noreturn))
hang(const char *why)
{
	fail_run("watchdog", why, VT_EXIT_HANG, true, false);
}

static void
audit_now(bool stats_if_fail)
{
	struct vt_audit_result ar;
	char msg[700];

	memset(&ar, 0, sizeof (ar));
	if (vt_audit_run(&ar) != 0) {
		char check[64];

		snprintf(check, sizeof (check), "audit:%s",
		    vt_audit_check_name(ar.first));
		snprintf(msg, sizeof (msg), "%s (%u violation%s)", ar.msg,
		    ar.violations, ar.violations == 1 ? "" : "s");
		fail_run(check, msg, VT_EXIT_FAIL, false, stats_if_fail);
	}
	R.audit_objects = ar.objects;
	VT_POKE(R.audits, R.audits + 1);
}

/*
 * Stop the world: ask every worker to park between operations, wait (at
 * most --watchdog seconds) until all running workers are parked, audit,
 * release them.  Returns the seconds spent.
 */
static double
stop_the_world_audit(void)
{
	double t0 = now_s();
	struct timespec dl;
	int rc = 0;

	abs_deadline(&dl, R.cfg.watchdog);
	pthread_mutex_lock(&R.pk);
	VT_POKE(R.park_req, 1);
	while (R.parked < R.nactive && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&R.main_cv, &R.pk, &dl);
	if (R.parked < R.nactive) {
		char why[160];

		snprintf(why, sizeof (why), "stop-the-world for an audit: %u of "
		    "%u workers did not reach a safe point in %gs", R.nactive -
		    R.parked, R.nactive, R.cfg.watchdog);
		hang(why);
	}
	VT_POKE(R.world, W_PARKED);
	audit_now(true);
	VT_POKE(R.world, W_RUNNING);
	VT_POKE(R.park_req, 0);
	R.park_gen++;
	pthread_cond_broadcast(&R.worker_cv);
	pthread_mutex_unlock(&R.pk);
	return (now_s() - t0);
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
			    worker_role_name(R.workers[i]), R.cfg.watchdog);
			hang(why);
		}
	}
}

/* Run the workers until the duration or op bound; audits on the way. */
static void
run_workers(void)
{
	double t, end = 0, next_audit = 0, audit_secs;
	bool by_time = R.cfg.duration > 0;

	wd_last = calloc(R.nworkers, sizeof (*wd_last));
	wd_when = calloc(R.nworkers, sizeof (*wd_when));
	if (wd_last == NULL || wd_when == NULL)
		internal_error("out of memory for the watchdog");

	pthread_mutex_lock(&R.pk);
	R.nactive = R.nworkers;
	pthread_mutex_unlock(&R.pk);
	for (uint32_t i = 0; i < R.nworkers; i++) {
		if (pthread_create(&R.threads[i], NULL, worker_main,
		    R.workers[i]) != 0)
			internal_error("pthread_create failed");
	}
	R.t_start = now_s();
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
		t = now_s();
		pthread_mutex_lock(&R.pk);
		active = R.nactive;
		pthread_mutex_unlock(&R.pk);
		if (active == 0)
			break;
		if (by_time && t >= end)
			break;
		watchdog_check(t);
		if (next_audit != 0 && t >= next_audit) {
			audit_secs = stop_the_world_audit();
			/* --duration counts running time, not audit time. */
			end += audit_secs;
			VT_POKE(R.t_audit_ns, R.t_audit_ns +
			    (uint64_t)(audit_secs * 1e9));
			t = now_s();
			watchdog_reset(t);
			next_audit = t + R.cfg.audit_interval;
		}
	}

	/* Stop: every worker finishes its operation and exits. */
	{
		struct timespec dl;
		int rc = 0;

		abs_deadline(&dl, R.cfg.watchdog);
		pthread_mutex_lock(&R.pk);
		VT_POKE(R.stop, 1);
		while (R.nactive > 0 && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&R.main_cv, &R.pk, &dl);
		if (R.nactive > 0) {
			char why[160];

			snprintf(why, sizeof (why), "%u of %u workers did not "
			    "stop within %gs of the end of the run", R.nactive,
			    R.nworkers, R.cfg.watchdog);
			hang(why);
		}
		pthread_mutex_unlock(&R.pk);
	}
	t = now_s();
	for (uint32_t i = 0; i < R.nworkers; i++)
		pthread_join(R.threads[i], NULL);
	VT_POKE(R.world, W_JOINED);
	R.rep.seconds = t - R.t_start - (double)R.t_audit_ns * 1e-9;
	free(wd_last);
	free(wd_when);
}


/* ---- controlled mode (--sched random|pct) ---- */

/*
 * Stop-the-world in controlled mode, deterministic: every --audit-ops
 * operations (counted over all workers) an audit is due; each worker parks
 * at its next safe point (between operations, no locks held) by blocking on
 * the barrier; the last one to arrive, or to finish, runs the audit and
 * wakes the others.  All of it runs on the scheduler's one OS thread.
 */
static struct {
	uint64_t	ops;		/* operations completed, all workers */
	uint64_t	next;		/* audit when ops reaches it */
	uint32_t	live;		/* workers not finished */
	uint32_t	parked;		/* workers waiting at the barrier */
	uint64_t	gen;		/* audits done: a parked worker waits for it to move */
	bool		due;
} CB;

static void
controlled_audit(void)
{
	audit_now(true);
	CB.due = false;
	CB.parked = 0;
	CB.next = CB.ops + R.cfg.audit_ops;
	CB.gen++;
	vt_sched_ctl->wake(&CB);
}

static void
controlled_park(void)
{
	uint64_t gen = CB.gen;

	CB.parked++;
	if (CB.parked == CB.live) {
		controlled_audit();
		return;
	}
	/*
	 * Wait for this audit, not for "no audit due": the next one may be
	 * due before a woken worker runs again, and it must park afresh.
	 */
	while (CB.gen == gen)
		vt_sched_ctl->block(&CB, "audit");
}

/* A worker's body as a fiber: its --ops operations, then done. */
static void
controlled_body(void *arg)
{
	struct vt_worker *w = arg;
	uint64_t limit = w->cfg->ops;

	while (w->nops < limit) {
		if (CB.due)
			controlled_park();
		w->role->op(w);
		VT_POKE(w->nops, w->nops + 1);
		if (R.cfg.audit_ops != 0 && ++CB.ops >= CB.next)
			CB.due = true;
	}
	CB.live--;
	if (CB.due && CB.live > 0 && CB.parked == CB.live)
		controlled_audit();
}

static const char *
sched_objname(const void *obj, const char *what, char *buf, size_t len)
{
	if (obj == NULL || what == NULL)
		return (NULL);
	if (strcmp(what, "mutex") == 0)
		return (vt_mutex_name(obj, buf, len));
	if (strcmp(what, "page") == 0) {
		snprintf(buf, len, "page pfn %" PRIu64,
		    ((const page_t *)obj)->p_pagenum);
		return (buf);
	}
	return (NULL);
}

static uint32_t
sched_holder(const void *obj, const char *what)
{
	kthread_t *t = NULL;

	if (obj == NULL || what == NULL)
		return (0);
	if (strcmp(what, "mutex") == 0)
		t = vt_mutex_owner(obj);
	else if (strcmp(what, "rwlock") == 0)
		/* rwlock waiters park on the rwlock's cv (kmutex.c). */
		t = VT_PEEK(((krwlock_t *)(uintptr_t)((const char *)obj -
		    offsetof(krwlock_t, rw_cv)))->rw_writer);
	return (t != NULL ? t->t_id : 0);
}

/*
 * Read the switches of a trace or schedule file: lines "STEP WHO ... -> TO"
 * where WHO != TO (worker ids), '#' lines are comments.  Returns the count
 * or -1 (message printed).
 */
static int
load_schedule(const char *path, struct vt_sched_switch **out)
{
	FILE *f = fopen(path, "r");
	struct vt_sched_switch *sw = NULL;
	size_t n = 0, cap = 0;
	char line[512];

	if (f == NULL) {
		fprintf(stderr, "vmtorture: --schedule %s: cannot read the file\n",
		    path);
		return (-1);
	}
	while (fgets(line, sizeof (line), f) != NULL) {
		unsigned long long step;
		unsigned who, to;
		char *arrow;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		arrow = strstr(line, "->");
		if (arrow == NULL || sscanf(line, "%llu %u", &step, &who) != 2 ||
		    sscanf(arrow, "-> %u", &to) != 1 || to == 0 ||
		    to > R.nworkers) {
			fprintf(stderr, "vmtorture: --schedule %s: not a trace "
			    "line: %s", path, line);
			fclose(f);
			free(sw);
			return (-1);
		}
		if (who == to)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			sw = realloc(sw, cap * sizeof (*sw));
			if (sw == NULL)
				internal_error("out of memory for the schedule");
		}
		sw[n].sw_step = step;
		sw[n].sw_to = to - 1;
		n++;
	}
	fclose(f);
	*out = sw;
	return ((int)n);
}

/*
 * Run every worker as a fiber under the controlled scheduler on this
 * thread.  Deterministic: same options and seeds, same decisions.  learn:
 * a first pass whose only purpose is to count the schedule points (pct k).
 */
static void
run_controlled(enum vt_sched_strategy strat, uint64_t k,
    struct vt_sched_result *res)
{
	struct vt_sched_task *tasks;
	struct vt_sched_params p;
	struct vt_sched_switch *sw = NULL;
	double t0;
	int nsw = 0;

	tasks = calloc(R.nworkers, sizeof (*tasks));
	if (tasks == NULL)
		internal_error("out of memory for the tasks");
	for (uint32_t i = 0; i < R.nworkers; i++) {
		tasks[i].st_id = R.workers[i]->id;
		tasks[i].st_kt = &R.workers[i]->kt;
		tasks[i].st_body = controlled_body;
		tasks[i].st_arg = R.workers[i];
	}
	memset(&p, 0, sizeof (p));
	p.strategy = strat;
	p.seed = R.cfg.sched_seed;
	p.depth = R.cfg.depth;
	p.steps = k;
	p.switch_prob = R.cfg.switch_prob;
	p.stop_at_step = R.cfg.stop_at_step;
	/*
	 * Budget: generous per operation unless given.  An operation can scan
	 * every page (hment_steal's rotor, a racy point per page), so the
	 * allowance grows with --pages.
	 */
	p.max_steps = R.cfg.max_steps != 0 ? R.cfg.max_steps :
	    R.cfg.ops * R.nworkers * (100000 + 8 * R.cfg.pages) + 1000000;
	if (R.cfg.schedule != NULL) {
		nsw = load_schedule(R.cfg.schedule, &sw);
		if (nsw < 0)
			exit(VT_EXIT_USAGE);
		p.strategy = VT_STRAT_REPLAY;
		p.replay = sw;
		p.nreplay = (uint32_t)nsw;
	}
	if (R.cfg.trace != NULL) {
		char cmd[2048];

		R.trace = fopen(R.cfg.trace, "w");
		if (R.trace == NULL) {
			fprintf(stderr, "vmtorture: --trace %s: cannot write\n",
			    R.cfg.trace);
			exit(VT_EXIT_USAGE);
		}
		vt_config_cmdline(&R.cfg, false, cmd, sizeof (cmd));
		fprintf(R.trace, "# %s\n# step worker point site -> next\n",
		    cmd);
		p.trace = R.trace;
	}
	vt_sched_set_describers(sched_objname, sched_holder);
	memset(&CB, 0, sizeof (CB));
	CB.live = R.nworkers;
	CB.next = R.cfg.audit_ops;
	VT_POKE(R.world, W_RUNNING);
	t0 = now_s();
	R.t_start = t0;
	vt_sched_run(tasks, R.nworkers, &p, res);
	R.rep.seconds = now_s() - t0;
	VT_POKE(R.world, W_JOINED);
	if (R.trace != NULL) {
		fclose(R.trace);
		R.trace = NULL;
	}
	free(sw);
	free(tasks);
}

/* What the scheduler's outcome means for the run (may not return). */
static void
controlled_outcome(const struct vt_sched_result *res)
{
	char msg[1200];

	switch (res->outcome) {
	case VT_SCHED_DONE:
		return;
	case VT_SCHED_STOPPED:
		printf("stopped at step %" PRIu64 " as asked (--stop-at-step); "
		    "trace hash %016" PRIx64 "\n", res->steps, res->trace_hash);
		exit(VT_EXIT_PASS);
	case VT_SCHED_DEADLOCK:
		snprintf(msg, sizeof (msg), "no runnable worker at step %" PRIu64
		    ": %s", res->steps, res->cycle);
		fail_run("deadlock", msg, VT_EXIT_HANG, true, false);
	case VT_SCHED_BUDGET:
		snprintf(msg, sizeof (msg), "step budget of %" PRIu64
		    " schedule points exhausted (livelock or hang; --max-steps)",
		    res->steps - 1);
		fail_run("watchdog", msg, VT_EXIT_HANG, true, false);
	}
}

/* ---- the run ---- */

static void
boot(void)
{
	const struct vt_lock_ops *lo = vt_lock_find(R.cfg.lock);
	struct vt_hat_params hp;
	uint32_t ppm;
	char err[256];

	vt_lock_select(lo);
	vt_panic_hook = engine_panic;
	install_crash_handlers();
	vt_machine_init(R.cfg.pages, R.cfg.throttlefree);
	vt_hatstats_init(vt_config_nworkers(&R.cfg) + 1);
	memset(&hp, 0, sizeof (hp));
	hp.mlist_locks = R.cfg.mlist_locks;
	hp.hash_locks = R.cfg.hash_locks;
	hp.htable_locks = R.cfg.htable_locks;
	hp.hment_hash_size = R.cfg.hment_hash_size;
	hp.hment_rev = R.cfg.hment_rev;
	hp.hment_reserve_amount = R.cfg.hment_reserve_amount;
	hp.htable_reserve_amount = R.cfg.htable_reserve_amount;
	hp.htable_steal_passes = R.cfg.htable_steal_passes;
	hp.force_steal = (ulong_t)R.cfg.force_steal;
	hat_init(&hp);

	/* Fault policy: KM_NOSLEEP failures on both HAT caches. */
	ppm = (uint32_t)llround(R.cfg.kmem_fail * 1e6);
	if (hment_cache != NULL)
		vt_kmem_set_fault(hment_cache, ppm, R.cfg.kmem_budget);
	if (htable_cache != NULL)
		vt_kmem_set_fault(htable_cache, ppm, 0);

	err[0] = '\0';
	if (R.sc->setup != NULL && R.sc->setup(&R.cfg, err, sizeof (err)) != 0) {
		fprintf(stderr, "vmtorture: %s: %s\n", R.sc->name,
		    err[0] ? err : "scenario setup failed");
		exit(VT_EXIT_USAGE);
	}
	if (R.cfg.mmu_walkers > 0)
		vt_mmu_init(R.cfg.mmu_walkers);
}

static void
shutdown_world(void)
{
	for (uint32_t i = 0; i < R.nworkers; i++)
		if (R.workers[i]->role->worker_fini != NULL)
			R.workers[i]->role->worker_fini(R.workers[i]);
	if (R.sc->teardown != NULL)
		R.sc->teardown();
	if (R.cfg.mmu_walkers > 0)
		vt_mmu_fini();
	hat_fini();
	vt_machine_fini();
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
	if (R.cfg.tap) {
		printf("1..1\n");
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
		run_workers();
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
			run_controlled(VT_STRAT_RANDOM, 0, &res);
			controlled_outcome(&res);
			k = res.steps;
			shutdown_world();
			vt_lockclass_reset();
			R.cfg.stop_at_step = stop;
			boot();
			build_workers();
		}
		run_controlled(R.cfg.sched == VT_SCHED_PCT ? VT_STRAT_PCT :
		    VT_STRAT_RANDOM, k, &res);
		controlled_outcome(&res);
		R.rep.controlled = true;
		R.rep.sched_steps = res.steps;
		R.rep.sched_switches = res.switches;
		R.rep.sched_preemptions = res.preemptions;
		R.rep.sched_k = k;
		R.rep.trace_hash = res.trace_hash;
	}

	/* Final audit: every worker has exited (joined). */
	audit_now(true);
	r->cfg = &R.cfg;
	r->sc = R.sc;
	vt_report_collect(r, R.workers, R.nworkers, true);
	r->audits = R.audits;
	r->audit_objects = R.audit_objects;
	r->failed = false;

	shutdown_world();
	VT_POKE(R.world, W_BOOT);
	vt_panic_hook = NULL;

	vt_report_print(r, stdout);
	fflush(stdout);
	if (R.cfg.json != NULL && vt_report_json(r, R.cfg.json) != 0)
		return (VT_EXIT_INTERNAL);
	return (VT_EXIT_PASS);
}
