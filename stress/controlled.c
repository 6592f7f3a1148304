/*
 * controlled.c - controlled mode (DESIGN §6): every worker runs as a fiber
 * on this OS thread under the controlled scheduler (sched.c), with
 * deterministic stop-the-world audits every --audit-ops operations, the
 * deadlock describers, schedule files and --trace.
 *
 * Harness code (not ported).  Nothing here reads the clock except for the
 * reported running time.
 */
#include "engine_impl.h"
#include "subsys.h"

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

#include "../core/page.h"
#include "../locks/atomic.h"
#include "../locks/kmutex.h"
#include "../locks/sched_ctl.h"
#include "trace.h"


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
	vt_engine_audit_now(true);
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

	while (w->nops < limit && !vt_engine_interrupted()) {
		if (CB.due)
			controlled_park();
		w->role->op(w);
		VT_POKE(w->nops, w->nops + 1);
		vt_sched_progress();
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
 * The switches of a trace or schedule file (trace.h) as the replay
 * strategy's list.  Returns the count; a bad file is a usage error (one
 * line naming file:line, exit 2).
 */
static uint32_t
load_schedule(const char *path, struct vt_sched_switch **out)
{
	struct vt_trace_file f;
	struct vt_sched_switch *sw;
	uint32_t n;

	if (vt_trace_read(path, 0, &f) != 0)
		exit(VT_EXIT_USAGE);
	sw = calloc(f.nsw + 1, sizeof (*sw));
	if (sw == NULL)
		vt_engine_internal_error("out of memory for the schedule");
	for (size_t i = 0; i < f.nsw; i++) {
		if (f.sw[i].next > R.nworkers) {
			fprintf(stderr, "vmtorture: %s:%u: worker %u: the run "
			    "has %u workers\n", path, f.sw[i].line,
			    f.sw[i].next, R.nworkers);
			free(sw);
			vt_trace_file_free(&f);
			exit(VT_EXIT_USAGE);
		}
		sw[i].sw_step = f.sw[i].step;
		sw[i].sw_to = f.sw[i].next - 1;
		sw[i].sw_end = f.sw[i].end;
	}
	*out = sw;
	n = (uint32_t)f.nsw;
	vt_trace_file_free(&f);
	return (n);
}

static const char *
outcome_name(enum vt_sched_outcome o)
{
	switch (o) {
	case VT_SCHED_DONE:
		return ("done");
	case VT_SCHED_DEADLOCK:
		return ("deadlock");
	case VT_SCHED_BUDGET:
		return ("step budget exhausted");
	case VT_SCHED_STOPPED:
		return ("stopped (--stop-at-step)");
	case VT_SCHED_LIVELOCK:
		return ("livelock");
	}
	return ("?");
}

/*
 * Run every worker as a fiber under the controlled scheduler on this
 * thread.  Deterministic: same options and seeds, same decisions.  learn:
 * a first pass whose only purpose is to count the schedule points (pct k).
 */
void
vt_engine_run_controlled(enum vt_sched_strategy strat, uint64_t k,
    struct vt_sched_result *res)
{
	struct vt_sched_task *tasks;
	struct vt_sched_params p;
	struct vt_sched_switch *sw = NULL;
	double t0;
	uint32_t nsw = 0;

	tasks = calloc(R.nworkers, sizeof (*tasks));
	if (tasks == NULL)
		vt_engine_internal_error("out of memory for the tasks");
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
	p.max_steps = vt_config_step_budget(&R.cfg);
	p.livelock_steps = R.cfg.livelock_steps;
	if (R.cfg.schedule != NULL) {
		nsw = load_schedule(R.cfg.schedule, &sw);
		p.strategy = VT_STRAT_REPLAY;
		p.replay = sw;
		p.nreplay = nsw;
	}
	if (R.cfg.trace != NULL) {
		struct vt_trace_opts o;
		char cmd[2048];

		/*
		 * pct's k-learning pass (random strategy) is traced too: if it
		 * fails, the file holds its schedule.  Its switches are many
		 * and matter only then, so they are held back until then.
		 */
		memset(&o, 0, sizeof (o));
		o.tail = R.cfg.trace_tail;
		o.all = R.cfg.trace_all;
		o.deferred = R.cfg.sched == VT_SCHED_PCT &&
		    strat == VT_STRAT_RANDOM && !o.all;
		vt_config_cmdline(&R.cfg, false, cmd, sizeof (cmd));
		R.trace = vt_trace_open(R.cfg.trace, cmd, &o);
		if (R.trace == NULL)
			exit(VT_EXIT_USAGE);
		p.trace = R.trace;
	}
	vt_sched_set_describers(sched_objname, sched_holder);
	memset(&CB, 0, sizeof (CB));
	CB.live = R.nworkers;
	CB.next = R.cfg.audit_ops;
	VT_POKE(R.world, W_RUNNING);
	t0 = vt_engine_now();
	R.t_start = t0;
	vt_sched_run(tasks, R.nworkers, &p, res);
	R.rep.seconds = vt_engine_now() - t0;
	VT_POKE(R.world, W_JOINED);
	if (R.trace != NULL) {
		struct vt_trace *t = R.trace;

		R.trace = NULL;
		if (vt_trace_close(t, res->outcome == VT_SCHED_DEADLOCK ||
		    res->outcome == VT_SCHED_BUDGET ||
		    res->outcome == VT_SCHED_LIVELOCK,
		    outcome_name(res->outcome), res->steps,
		    res->trace_hash) != 0)
			vt_engine_internal_error("the trace is incomplete");
	}
	free(sw);
	free(tasks);
}

/* What the scheduler's outcome means for the run (may not return). */
void
vt_engine_controlled_outcome(const struct vt_sched_result *res)
{
	char msg[2300];

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
		vt_engine_fail("deadlock", msg, VT_EXIT_HANG, true, false);
	case VT_SCHED_LIVELOCK:
		snprintf(msg, sizeof (msg), "at step %" PRIu64 ": %s",
		    res->steps, res->cycle);
		vt_engine_fail("livelock", msg, VT_EXIT_HANG, true, false);
	case VT_SCHED_BUDGET:
		snprintf(msg, sizeof (msg), "step budget of %" PRIu64
		    " schedule points exhausted (livelock or hang; --max-steps)",
		    res->steps - 1);
		vt_engine_fail("watchdog", msg, VT_EXIT_HANG, true, false);
	}
}
