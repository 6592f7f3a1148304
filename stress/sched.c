/*
 * sched.c - the controlled scheduler (see sched.h).
 *
 * Everything here runs on one OS thread.  The running task reaches a
 * schedule point (vt_sched_hook), a block (lock/cv/page wait) or its end;
 * the strategy picks the next task; a fiber switch resumes it.  Decisions
 * depend only on the seed, the step number and task ids, never on time or
 * addresses.  Sites (code addresses) go to the trace and the reports, never
 * into a decision or the trace hash.
 */
#include "sched.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../locks/prng.h"
#include "../locks/sched_ctl.h"
#include "../locks/sched_point.h"
#include "symbol.h"
#include "trace.h"

#define SCHED_STACK	(256 * 1024)

/*
 * Livelock: a spin loop goes round a bounded set of objects (its locks and
 * flags); a long scan (hment_steal's walk over every page) touches new ones
 * all the time.  Touching more than SCHED_OBJ_SPREAD distinct objects since
 * the last progress counts as progress.  Only the count of distinct
 * objects matters, never their addresses, so the decision is deterministic.
 */
#define SCHED_OBJ_SPREAD	4096
#define SCHED_OBJ_SLOTS		(4 * SCHED_OBJ_SPREAD)	/* a power of two */

struct sched_state {
	struct vt_sched_task	*tasks;
	uint32_t		n;
	struct vt_sched_params	p;
	struct vt_sched_result	*r;
	struct vt_fiber		main;		/* the OS thread's own context */
	uint32_t		cur;		/* running task index */
	uint64_t		rng[4];		/* xoshiro256** */
	uint64_t		*change_points;	/* pct: sorted, depth-1 of them */
	uint32_t		next_change;
	int64_t			low_prio;	/* pct/pos: last "lowest" priority given to a spinner */
	uint32_t		replay_pos;
	uint64_t		progress_step;	/* step of the last progress */
	uint32_t		ndistinct;	/* objects touched since then */
	uint32_t		obj_gen;	/* generation of obj_seen (never 0) */
	struct {
		const void	*obj;
		uint32_t	gen;
	}			*obj_seen;	/* SCHED_OBJ_SLOTS, open addressing */
	bool			active;
	uint64_t		final_steps;	/* r->steps when the last run ended */
	uint64_t		final_hash;	/* r->trace_hash then */
};

static struct sched_state S;
static vt_sched_objname_t objname_fn;
static vt_sched_holder_t holder_fn;

static uint64_t
rng_next(void)
{
	return (vt_prng_next(S.rng));
}

static uint64_t
rng_below(uint64_t n)
{
	return (vt_prng_below(S.rng, n));
}

static void
fnv(uint64_t *h, const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len-- > 0) {
		*h ^= *c++;
		*h *= 0x100000001b3ULL;
	}
}

/*
 * A decision at a schedule point: hash it, and give it to the trace.  A
 * block is hashed as the yield point it is; what names its object.
 */
static void
record(enum vt_sp_kind kind, const void *obj, const void *pc, uint32_t next,
    const char *what)
{
	struct {
		uint64_t step;
		uint64_t site;
		uint32_t who, to, kind, pad;
	} d;

	/*
	 * The hash covers the decision itself (step, point kind, who ran, who
	 * runs next), not the code address of the site, so one build's hash
	 * matches another's (plain, TSan, another compiler) for the same seed
	 * and options.
	 */
	memset(&d, 0, sizeof (d));
	d.step = S.r->steps;
	d.who = S.tasks[S.cur].st_id;
	d.to = S.tasks[next].st_id;
	d.kind = (uint32_t)kind;
	fnv(&S.r->trace_hash, &d, sizeof (d));
	if (S.p.trace != NULL) {
		struct vt_trace_point tp;

		tp.step = d.step;
		tp.who = d.who;
		tp.next = d.to;
		tp.kind = kind;
		tp.label = what != NULL ? VT_TRACE_BLOCK : VT_TRACE_POINT;
		tp.obj = obj;
		tp.what = what;
		tp.pc = pc;
		vt_trace_point(S.p.trace, &tp);
	}
}

static bool
runnable(uint32_t i)
{
	return (S.tasks[i].st_state == VT_TASK_RUNNABLE);
}

static uint32_t
count_runnable(void)
{
	uint32_t i, c = 0;

	for (i = 0; i < S.n; i++)
		c += runnable(i);
	return (c);
}

/* Highest-priority runnable task (pct); ties impossible (distinct prios). */
static int
pct_pick(void)
{
	uint32_t i;
	int best = -1;

	for (i = 0; i < S.n; i++)
		if (runnable(i) && (best < 0 || S.tasks[i].st_prio >
		    S.tasks[best].st_prio))
			best = (int)i;
	return (best);
}

/* The i-th runnable task, 0-based. */
static int
nth_runnable(uint64_t k)
{
	uint32_t i;

	for (i = 0; i < S.n; i++)
		if (runnable(i) && k-- == 0)
			return ((int)i);
	return (-1);
}

/* Lowest-id runnable task other than `not` if possible. */
static int
first_runnable_except(uint32_t not)
{
	uint32_t i;
	int any = -1;

	for (i = 0; i < S.n; i++) {
		if (!runnable(i))
			continue;
		if (i != not)
			return ((int)i);
		any = (int)i;
	}
	return (any);
}

/*
 * The replay strategy: the recorded switch of this step (at_end: of this
 * task end) if there is one, else go on with the running task.
 */
static int
replay_pick(bool yielding, bool at_end)
{
	const struct vt_sched_switch *sw;
	uint32_t c = S.cur;

	/* Switches of steps already passed were not taken (an edited file). */
	while (S.replay_pos < S.p.nreplay &&
	    S.p.replay[S.replay_pos].sw_step < S.r->steps)
		S.replay_pos++;
	sw = S.replay_pos < S.p.nreplay ? &S.p.replay[S.replay_pos] : NULL;
	if (sw != NULL && sw->sw_step == S.r->steps && sw->sw_end == at_end) {
		S.replay_pos++;
		if (sw->sw_to < S.n && runnable(sw->sw_to))
			return ((int)sw->sw_to);
	}
	if (runnable(c) && !yielding)
		return ((int)c);
	return (first_runnable_except(c));
}

/* pos: a fresh random priority (positive; spinners go below 0). */
static int64_t
pos_prio(void)
{
	return ((int64_t)(rng_next() >> 2) + 1);
}

/*
 * pos: task c's pending event (on c's st_pos_obj) has just run.  Every
 * other task waiting to act on the same object races with it and draws a
 * fresh priority; c draws one for its next event, on obj (none at_end).
 * Objects are compared for identity only, so the schedule does not depend
 * on where they lie in memory.
 */
static void
pos_update(uint32_t c, const void *obj, bool yielding, bool at_end,
    uint32_t nr)
{
	const void *done = S.tasks[c].st_pos_obj;
	uint32_t i;

	if (done != NULL)
		for (i = 0; i < S.n; i++)
			if (i != c && S.tasks[i].st_state != VT_TASK_DONE &&
			    S.tasks[i].st_pos_obj == done)
				S.tasks[i].st_prio = pos_prio();
	if (at_end)
		return;
	S.tasks[c].st_pos_obj = obj;
	S.tasks[c].st_prio = (yielding && runnable(c) && nr > 1) ?
	    --S.low_prio : pos_prio();
}

/*
 * Choose who runs after step S.r->steps.  yielding: the current task is
 * spinning and should let others run; at_end: it has just finished; obj:
 * what the current task is about to act on (NULL: nothing named).
 * Returns -1 if nobody can run.
 */
static int
choose(bool yielding, bool at_end, const void *obj)
{
	uint32_t c = S.cur;
	uint32_t nr = count_runnable();

	if (nr == 0)
		return (-1);
	switch (S.p.strategy) {
	case VT_STRAT_PCT:
		if (S.next_change < S.p.depth - 1 &&
		    S.change_points[S.next_change] == S.r->steps) {
			/* Change point j (1-based) lowers the runner to j. */
			S.tasks[c].st_prio = (int64_t)S.next_change + 1;
			S.next_change++;
		}
		if (yielding && runnable(c) && nr > 1) {
			/* A spinner makes progress only if others run: lowest. */
			S.tasks[c].st_prio = --S.low_prio;
		}
		return (pct_pick());
	case VT_STRAT_RANDOM:
		if (yielding && runnable(c) && nr > 1) {
			/* Uniform over the other runnable tasks. */
			uint64_t k = rng_below(nr - 1);
			int t = nth_runnable(k);

			return (t >= (int)c ? nth_runnable(k + 1) : t);
		}
		if (runnable(c) && (double)(rng_next() >> 11) * 0x1.0p-53 >=
		    S.p.switch_prob)
			return ((int)c);
		return (nth_runnable(rng_below(nr)));
	case VT_STRAT_POS:
		pos_update(c, obj, yielding, at_end, nr);
		return (pct_pick());
	case VT_STRAT_REPLAY:
		return (replay_pick(yielding, at_end));
	}
	return (-1);
}

static void
switch_to(uint32_t next)
{
	uint32_t prev = S.cur;

	if (next == prev)
		return;
	S.r->switches++;
	if (runnable(prev))
		S.r->preemptions++;
	S.cur = next;
	vt_thread_set_current(S.tasks[next].st_kt);
	vt_fiber_switch(&S.tasks[prev].st_fiber, &S.tasks[next].st_fiber);
	/* Resumed: someone switched back to us (S.cur == prev again). */
}

static void
back_to_main(void)
{
	struct vt_sched_task *t = &S.tasks[S.cur];

	vt_fiber_switch(&t->st_fiber, &S.main);
}

static void describe_deadlock(void);
static void describe_livelock(uint64_t quiet);

/* Progress: restart the livelock window (every task's spin sites). */
static void
progress(void)
{
	uint64_t quiet = S.r->steps - S.progress_step;

	if (quiet > S.r->quiet_max)
		S.r->quiet_max = quiet;
	S.progress_step = S.r->steps;
	S.ndistinct = 0;
	if (++S.obj_gen == 0)
		S.obj_gen = 1;		/* slots of generation 0 read as empty */
	for (uint32_t i = 0; i < S.n; i++)
		S.tasks[i].st_nspin = 0;
}

/* Count obj among the objects touched since the last progress. */
static void
touch(const void *obj)
{
	uint64_t h = (uint64_t)(uintptr_t)obj * 0x9e3779b97f4a7c15ULL;
	uint32_t i = (uint32_t)(h >> 40) & (SCHED_OBJ_SLOTS - 1);

	if (obj == NULL || S.obj_seen == NULL)
		return;
	while (S.obj_seen[i].gen == S.obj_gen) {
		if (S.obj_seen[i].obj == obj)
			return;
		i = (i + 1) & (SCHED_OBJ_SLOTS - 1);
	}
	S.obj_seen[i].obj = obj;
	S.obj_seen[i].gen = S.obj_gen;
	if (++S.ndistinct > SCHED_OBJ_SPREAD)
		progress();
}

void
vt_sched_progress(void)
{
	if (S.active)
		progress();
}

/*
 * Note pc among t's last distinct sites since the last progress (a ring of
 * four: a spinning task ends up showing its loop).
 */
static void
spin_site(struct vt_sched_task *t, const void *pc)
{
	const uint32_t max = sizeof (t->st_spin) / sizeof (t->st_spin[0]);
	uint32_t n = t->st_nspin < max ? t->st_nspin : max;

	for (uint32_t i = 0; i < n; i++)
		if (t->st_spin[i] == pc)
			return;
	t->st_spin[t->st_nspin % max] = pc;
	t->st_nspin++;
}

/*
 * The common decision point: count the step, stop/budget checks, choose,
 * trace, switch.  Called from the running task's fiber.  what: a block on
 * obj ("mutex", "cv", ...), or NULL for a plain schedule point.
 */
static void
decide(enum vt_sp_kind kind, const void *obj, const void *pc,
    const char *what)
{
	struct vt_sched_task *t = &S.tasks[S.cur];
	int next;

	S.r->steps++;
	t->st_step = S.r->steps;
	t->st_kind = kind;
	t->st_blocked_here = what != NULL;
	t->st_pc = pc;
	if (S.p.stop_at_step != 0 && S.r->steps >= S.p.stop_at_step) {
		S.r->outcome = VT_SCHED_STOPPED;
		back_to_main();
	}
	if (S.p.max_steps != 0 && S.r->steps > S.p.max_steps) {
		S.r->outcome = VT_SCHED_BUDGET;
		back_to_main();
	}
	if (S.p.livelock_steps != 0) {
		touch(obj);
		spin_site(t, pc);
		if (S.r->steps - S.progress_step > S.p.livelock_steps) {
			describe_livelock(S.r->steps - S.progress_step);
			S.r->outcome = VT_SCHED_LIVELOCK;
			back_to_main();
		}
	}
	next = choose(kind == VT_SP_YIELD, false, obj);
	if (next < 0) {
		describe_deadlock();
		S.r->outcome = VT_SCHED_DEADLOCK;
		back_to_main();
	}
	record(kind, obj, pc, (uint32_t)next, what);
	switch_to((uint32_t)next);
}

/* pc NULL: the point is inline in the caller (atomics, racy accesses). */
static void
sched_hook(enum vt_sp_kind kind, const void *obj, const void *pc)
{
	struct vt_sched_task *t = &S.tasks[S.cur];

	if (pc == NULL)
		pc = __builtin_return_address(0);
	if (kind == VT_SP_LOCK || kind == VT_SP_TRYLOCK ||
	    kind == VT_SP_CV_WAIT)
		t->st_wait_pc = pc;
	decide(kind, obj, pc, NULL);
}

/*
 * Park the running task on obj until a wake; then return to the caller.
 * A lock or cv block follows that lock's own schedule point, whose site
 * (the caller of mutex_enter, cv_wait, rw_enter) is the block's.
 */
static void
sched_block(const void *obj, const char *what)
{
	struct vt_sched_task *t = &S.tasks[S.cur];
	const void *pc = __builtin_return_address(0);

	if (what != NULL && (strcmp(what, "mutex") == 0 ||
	    strcmp(what, "cv") == 0 || strcmp(what, "rwlock") == 0) &&
	    t->st_wait_pc != NULL)
		pc = t->st_wait_pc;
	t->st_state = VT_TASK_BLOCKED;
	t->st_blocked_on = obj;
	t->st_what = what;
	decide(VT_SP_YIELD, obj, pc, what != NULL ? what : "?");
}

static void
sched_wake(const void *obj)
{
	uint32_t i;

	for (i = 0; i < S.n; i++) {
		struct vt_sched_task *t = &S.tasks[i];

		if (t->st_state == VT_TASK_BLOCKED && t->st_blocked_on == obj) {
			t->st_state = VT_TASK_RUNNABLE;
			t->st_blocked_on = NULL;
			t->st_what = NULL;
		}
	}
}

static const struct vt_sched_ctl sched_ctl = {
	.block = sched_block,
	.wake = sched_wake,
};

static void
task_main(void *arg)
{
	struct vt_sched_task *t = arg;
	int next;

	t->st_body(t->st_arg);
	t->st_state = VT_TASK_DONE;
	progress();
	next = choose(false, true, NULL);
	if (next < 0) {
		uint32_t i;

		for (i = 0; i < S.n; i++)
			if (S.tasks[i].st_state == VT_TASK_BLOCKED) {
				describe_deadlock();
				S.r->outcome = VT_SCHED_DEADLOCK;
				break;
			}
		back_to_main();
	}
	if (S.p.trace != NULL) {
		/* Not a decision of the hash (there is no step), but replay needs it. */
		struct vt_trace_point tp;

		memset(&tp, 0, sizeof (tp));
		tp.step = S.r->steps;
		tp.who = t->st_id;
		tp.next = S.tasks[next].st_id;
		tp.kind = VT_SP_YIELD;
		tp.label = VT_TRACE_END;
		vt_trace_point(S.p.trace, &tp);
	}
	S.r->switches++;
	S.cur = (uint32_t)next;
	vt_thread_set_current(S.tasks[next].st_kt);
	vt_fiber_switch(&t->st_fiber, &S.tasks[next].st_fiber);
	abort();		/* nobody switches back to a finished task */
}

/*
 * The livelock report: every task that is not done, with the sites it
 * passed since the last progress (a spinner shows its spin loop).
 */
static void
describe_livelock(uint64_t quiet)
{
	char *out = S.r->cycle;
	size_t len = sizeof (S.r->cycle), used = 0;
	int w;

	w = snprintf(out, len, "no worker completed an operation for %" PRIu64
	    " steps; ", quiet);
	used = (w > 0 && (size_t)w < len) ? (size_t)w : 0;
	for (uint32_t i = 0; i < S.n; i++) {
		struct vt_sched_task *t = &S.tasks[i];

		if (t->st_state == VT_TASK_DONE)
			continue;
		w = snprintf(out + used, len - used, "worker %u %s at", t->st_id,
		    t->st_state == VT_TASK_BLOCKED ? "blocked" : "spinning");
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
		for (uint32_t j = 0; j < t->st_nspin && j < sizeof (t->st_spin) /
		    sizeof (t->st_spin[0]); j++) {
			w = snprintf(out + used, len - used, "%s %s", j ? "," : "",
			    vt_symbol_site(t->st_spin[j]));
			if (w < 0 || (size_t)w >= len - used)
				break;
			used += (size_t)w;
		}
		if (used + 2 < len) {
			out[used++] = ';';
			out[used++] = ' ';
			out[used] = '\0';
		}
	}
}

static void
describe_deadlock(void)
{
	char *out = S.r->cycle, name[96];
	size_t len = sizeof (S.r->cycle), used = 0;
	uint32_t i, start = UINT32_MAX, steps;
	int w;

	/* Start from a blocked task; follow holder links to find a cycle. */
	for (i = 0; i < S.n && start == UINT32_MAX; i++)
		if (S.tasks[i].st_state == VT_TASK_BLOCKED)
			start = i;
	if (start == UINT32_MAX)
		return;
	/* Every blocked task first, then the chain from the first one. */
	for (i = 0; i < S.n; i++) {
		struct vt_sched_task *t = &S.tasks[i];

		if (t->st_state != VT_TASK_BLOCKED)
			continue;
		if (objname_fn == NULL || objname_fn(t->st_blocked_on,
		    t->st_what, name, sizeof (name)) == NULL)
			(void) snprintf(name, sizeof (name), "%s",
			    t->st_what ? t->st_what : "?");
		w = snprintf(out + used, len - used, "worker %u waits on %s at "
		    "%s; ", t->st_id, name, vt_symbol_site(t->st_pc));
		if (w < 0 || (size_t)w >= len - used) {
			out[used] = '\0';	/* no room: the chain instead */
			break;
		}
		used += (size_t)w;
	}
	i = start;
	for (steps = 0; steps <= S.n; steps++) {
		struct vt_sched_task *t = &S.tasks[i];
		uint32_t holder = 0, j;

		if (objname_fn == NULL || objname_fn(t->st_blocked_on,
		    t->st_what, name, sizeof (name)) == NULL)
			(void) snprintf(name, sizeof (name), "%s",
			    t->st_what ? t->st_what : "?");
		w = snprintf(out + used, len - used, "%sworker %u -> %s %s",
		    steps ? " -> " : "", t->st_id, t->st_what ? t->st_what : "?",
		    name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
		if (holder_fn != NULL)
			holder = holder_fn(t->st_blocked_on, t->st_what);
		if (holder == 0)
			break;
		for (j = 0; j < S.n && S.tasks[j].st_id != holder; j++)
			;
		if (j == S.n)
			break;
		if (j == start || steps == S.n) {
			(void) snprintf(out + used, len - used,
			    " -> held by worker %u (cycle)", holder);
			break;
		}
		if (S.tasks[j].st_state != VT_TASK_BLOCKED) {
			(void) snprintf(out + used, len - used,
			    " -> held by worker %u", holder);
			break;
		}
		i = j;
	}
}

void
vt_sched_run(struct vt_sched_task *tasks, uint32_t n,
    const struct vt_sched_params *p, struct vt_sched_result *r)
{
	uint64_t x = p->seed;
	uint32_t i;
	int first;

	memset(r, 0, sizeof (*r));
	r->trace_hash = 0xcbf29ce484222325ULL;
	memset(&S, 0, sizeof (S));
	S.tasks = tasks;
	S.n = n;
	S.p = *p;
	S.r = r;
	if (S.p.depth == 0)
		S.p.depth = 1;
	vt_prng_seed(S.rng, x);
	vt_fiber_init_main(&S.main);

	/* pct: distinct priorities depth..depth+n-1 in random order. */
	for (i = 0; i < n; i++)
		tasks[i].st_prio = (int64_t)(S.p.depth + i);
	for (i = n; i > 1; i--) {
		uint32_t j = (uint32_t)rng_below(i);
		int64_t tmp = tasks[i - 1].st_prio;

		tasks[i - 1].st_prio = tasks[j].st_prio;
		tasks[j].st_prio = tmp;
	}
	S.low_prio = 0;
	for (i = 0; i < n; i++) {
		tasks[i].st_pos_obj = NULL;
		if (S.p.strategy == VT_STRAT_POS)
			tasks[i].st_prio = pos_prio();
	}
	if (S.p.strategy == VT_STRAT_PCT && S.p.depth > 1) {
		uint64_t k = S.p.steps ? S.p.steps : 1;

		S.change_points = calloc(S.p.depth - 1, sizeof (uint64_t));
		if (S.change_points == NULL)
			abort();
		for (i = 0; i + 1 < S.p.depth; i++)
			S.change_points[i] = 1 + rng_below(k);
		/* Sorted, so they are met in order of steps. */
		for (i = 1; i + 1 < S.p.depth; i++) {
			uint64_t v = S.change_points[i];
			int j = (int)i - 1;

			while (j >= 0 && S.change_points[j] > v) {
				S.change_points[j + 1] = S.change_points[j];
				j--;
			}
			S.change_points[j + 1] = v;
		}
	}

	for (i = 0; i < n; i++) {
		tasks[i].st_state = VT_TASK_RUNNABLE;
		tasks[i].st_blocked_on = NULL;
		tasks[i].st_step = 0;
		tasks[i].st_pc = NULL;
		tasks[i].st_wait_pc = NULL;
		tasks[i].st_blocked_here = false;
		if (vt_fiber_create(&tasks[i].st_fiber, SCHED_STACK, task_main,
		    &tasks[i]) != 0)
			abort();
	}

	if (S.p.livelock_steps != 0) {
		S.obj_seen = calloc(SCHED_OBJ_SLOTS, sizeof (*S.obj_seen));
		if (S.obj_seen == NULL) {
			fprintf(stderr, "vmtorture: out of memory for the "
			    "livelock check\n");
			exit(4);
		}
		S.obj_gen = 1;
	}
	S.active = true;
	vt_sched_ctl = &sched_ctl;
	vt_sched_hook = sched_hook;
	first = (S.p.strategy == VT_STRAT_PCT ||
	    S.p.strategy == VT_STRAT_POS) ? pct_pick() :
	    S.p.strategy == VT_STRAT_RANDOM ? nth_runnable(rng_below(n)) : 0;
	if (S.p.strategy == VT_STRAT_REPLAY && S.p.nreplay > 0 &&
	    S.p.replay[0].sw_step == 0 && !S.p.replay[0].sw_end) {
		/* The recorded first pick (step 0). */
		if (S.p.replay[0].sw_to < n)
			first = (int)S.p.replay[0].sw_to;
		S.replay_pos = 1;
	}
	S.cur = (uint32_t)first;
	{
		/* Step 0: who starts (worker 0 = nobody ran before). */
		struct { uint64_t step, site; uint32_t who, to, kind, pad; } d;

		memset(&d, 0, sizeof (d));
		d.to = tasks[first].st_id;
		fnv(&r->trace_hash, &d, sizeof (d));
		if (S.p.trace != NULL) {
			struct vt_trace_point tp;

			memset(&tp, 0, sizeof (tp));
			tp.next = d.to;
			tp.label = VT_TRACE_START;
			vt_trace_point(S.p.trace, &tp);
		}
	}
	vt_thread_set_current(tasks[first].st_kt);
	vt_fiber_switch(&S.main, &tasks[first].st_fiber);
	/* Back on the main context: finished, deadlocked, stopped or over budget. */
	vt_sched_hook = NULL;
	vt_sched_ctl = NULL;
	vt_thread_set_current(NULL);
	S.active = false;
	for (i = 0; i < n; i++)
		vt_fiber_destroy(&tasks[i].st_fiber);
	free(S.obj_seen);
	S.obj_seen = NULL;
	free(S.change_points);
	S.change_points = NULL;
	/*
	 * r belongs to the caller and may go out of scope before the world is
	 * torn down (whose mutex calls still read the step clock): keep the
	 * last values here instead.
	 */
	S.final_steps = r->steps;
	S.final_hash = r->trace_hash;
	S.r = NULL;
}

bool
vt_sched_active(void)
{
	return (S.active);
}

uint64_t
vt_sched_step(void)
{
	return (S.r != NULL ? S.r->steps : S.final_steps);
}

uint64_t
vt_sched_hash(void)
{
	return (S.r != NULL ? S.r->trace_hash : S.final_hash);
}

bool
vt_sched_last_point(uint32_t id, uint64_t *step, const char **what,
    const void **pc)
{
	for (uint32_t i = 0; S.active && i < S.n; i++) {
		const struct vt_sched_task *t = &S.tasks[i];

		if (t->st_id != id || t->st_step == 0)
			continue;
		*step = t->st_step;
		*what = t->st_blocked_here ? "block" :
		    vt_sp_kind_name(t->st_kind);
		*pc = t->st_pc;
		return (true);
	}
	return (false);
}

void
vt_sched_set_describers(vt_sched_objname_t name, vt_sched_holder_t holder)
{
	objname_fn = name;
	holder_fn = holder;
}
