/*
 * fail.c - the engine's failure path: a failed check anywhere (a panic in
 * the port, an audit, the watchdog, a crash signal) prints the replay line,
 * the check, what each worker waits on and holds, the flight recorders and
 * the summary, then ends the process with the check's exit code.
 *
 * Harness code (not ported).
 */
#include "engine_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/page.h"
#include "../core/sys.h"
#include "../locks/atomic.h"
#include "../locks/kmutex.h"
#include "../locks/sched_point.h"
#include "trace.h"

/* ---- failure path ---- */

void
vt_engine_say(const char *fmt, ...)
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

const char *
vt_engine_role_name(const struct vt_worker *w)
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
	vt_engine_say("  worker %u (%s #%u): %" PRIu64 " ops; %s; holds %s\n", w->id,
	    vt_engine_role_name(w), w->role_rank, VT_PEEK(w->nops), wait,
	    held[0] ? held : "no locks");
}

/*
 * The thread reporting a failure, and where its report resumes when reading
 * the workers' state faults (a wait or a held lock in memory a bug freed:
 * the mutant amap-swapoff-no-flag frees an amap whose lock a worker still
 * waits on).  fail_thread: written once by the reporter, before any fault;
 * fail_jmp and fail_jmp_armed: the reporter only.
 */
static uintptr_t fail_thread;
static sigjmp_buf fail_jmp;
static volatile sig_atomic_t fail_jmp_armed;

/*
 * Report a failure and exit.  Runs on whichever thread failed (a panicking
 * worker, or main for audits and the watchdog) while other workers may
 * still run: it takes no lock a worker could hold, reads cross-thread
 * fields only with relaxed loads, and reads the HAT's statistics only when
 * stats is true (world parked by this thread).  Never returns.
 */
void __attribute__((noreturn))
vt_engine_fail(const char *check, const char *msg, int code, bool waits,
    bool stats)
{
	struct vt_report *r = &R.rep;
	double t;

	if (__atomic_exchange_n(&R.failing, 1, __ATOMIC_SEQ_CST) != 0) {
		if (__atomic_load_n(&fail_thread, __ATOMIC_RELAXED) ==
		    (uintptr_t)pthread_self()) {
			/* Our own report faulted (the crash handler). */
			if (fail_jmp_armed)
				siglongjmp(fail_jmp, 1);
			vt_engine_say("vmtorture: the report of the failure "
			    "above faulted (%s); exiting with its code\n", check);
			_exit(R.rep.exit_code);
		}
		/* Another thread is reporting; it will end the process. */
		for (;;)
			pause();
	}
	__atomic_store_n(&fail_thread, (uintptr_t)pthread_self(),
	    __ATOMIC_RELAXED);
	r->exit_code = code;	/* also what a fault later in the report exits with */
	t = vt_engine_now();
	if (isatty(STDERR_FILENO))
		vt_engine_say("\r\033[K");	/* the live status line */
	vt_config_cmdline(&R.cfg, false, r->replay, sizeof (r->replay));
	vt_engine_say("%s\n", r->replay);
	vt_engine_say("FAIL: %s: %s\n", check, msg != NULL ? msg : "");
	if (R.cfg.sched != VT_SCHED_FREE) {
		vt_engine_say("schedule: failed at step %" PRIu64 " (replays exactly: "
		    "same command line)\n", vt_sched_step());
		vt_trace_fail(R.trace, check, vt_sched_step(), vt_sched_hash());
	}
	/*
	 * What the workers wait on and hold is read from their memory, which
	 * the bug under test may have freed: a fault here cuts the list short
	 * (the crash handlers are one-shot, so they are installed again) and
	 * the report goes on.
	 */
	if (waits && R.nworkers > 0) {
		vt_engine_say("workers:\n");
		if (sigsetjmp(fail_jmp, 1) == 0) {
			fail_jmp_armed = 1;
			for (uint32_t i = 0; i < R.nworkers; i++)
				dump_waits(R.workers[i]);
		} else {
			vt_engine_say("  (cut short: reading a worker's locks "
			    "faulted; a lock it names is in freed memory)\n");
			vt_engine_install_crash_handlers();
		}
		fail_jmp_armed = 0;
	}
	if (R.nworkers > 0) {
		vt_engine_say("flight recorders (oldest first):\n");
		for (uint32_t i = 0; i < R.nworkers; i++)
			vt_recorder_dump(STDERR_FILENO, R.workers[i]);
	}
	r->cfg = &R.cfg;
	vt_report_collect(r, R.workers, R.nworkers, stats);
	r->audits = VT_PEEK(R.audits);
	r->audit_objects = R.audit_objects;
	if (VT_PEEK(R.world) == W_RUNNING || VT_PEEK(R.world) == W_PARKED)
		r->seconds = t - R.t_start -
		    (double)VT_PEEK(R.t_audit_ns) * 1e-9;
	r->failed = true;
	if (R.cfg.sched != VT_SCHED_FREE) {
		r->controlled = true;
		r->fail_step = vt_sched_step();
		r->sched_steps = r->fail_step;
		r->trace_hash = vt_sched_hash();
	}
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
void
vt_engine_panic(const char *check, const char *msg)
{
	bool hang = check != NULL && (strcmp(check, "watchdog") == 0 ||
	    strcmp(check, "livelock") == 0 ||
	    strcmp(check, "deadlock") == 0);
	const kthread_t *t = vt_curthread();
	const struct vt_worker *w = t != NULL ? t->t_engine : NULL;
	char buf[700];

	/* Say who failed: a worker (with its role) or the boot thread. */
	if (w != NULL)
		snprintf(buf, sizeof (buf), "in worker %u (%s): %s", w->id,
		    vt_engine_role_name(w), msg != NULL ? msg : "");
	else
		snprintf(buf, sizeof (buf), "in the boot thread: %s",
		    msg != NULL ? msg : "");
	vt_engine_fail(check != NULL ? check : "panic", buf,
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
	vt_engine_panic("crash", msg);
}

void
vt_engine_install_crash_handlers(void)
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
