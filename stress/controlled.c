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
				vt_engine_internal_error("out of memory for the schedule");
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
void
vt_engine_run_controlled(enum vt_sched_strategy strat, uint64_t k,
    struct vt_sched_result *res)
{
	struct vt_sched_task *tasks;
	struct vt_sched_params p;
	struct vt_sched_switch *sw = NULL;
	double t0;
	int nsw = 0;

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
	t0 = vt_engine_now();
	R.t_start = t0;
	vt_sched_run(tasks, R.nworkers, &p, res);
	R.rep.seconds = vt_engine_now() - t0;
	VT_POKE(R.world, W_JOINED);
	if (R.trace != NULL) {
		fclose(R.trace);
		R.trace = NULL;
	}
	free(sw);
	free(tasks);
}

/* What the scheduler's outcome means for the run (may not return). */
void
vt_engine_controlled_outcome(const struct vt_sched_result *res)
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
		vt_engine_fail("deadlock", msg, VT_EXIT_HANG, true, false);
	case VT_SCHED_BUDGET:
		snprintf(msg, sizeof (msg), "step budget of %" PRIu64
		    " schedule points exhausted (livelock or hang; --max-steps)",
		    res->steps - 1);
		vt_engine_fail("watchdog", msg, VT_EXIT_HANG, true, false);
	}
}
