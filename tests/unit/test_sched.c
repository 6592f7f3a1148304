/*
 * test_sched.c - the controlled scheduler on its own: determinism, exact
 * deadlock detection, and PCT's probabilistic guarantee on a known depth-2
 * ordering bug (Burckhardt et al. 2010: probability >= 1/(n * k^(d-1))).
 */
#include "../../stress/sched.h"

#include <string.h>

#include "../../locks/kmutex.h"
#include "../../locks/lockops.h"
#include "../../locks/sched_point.h"
#include "../tap.h"

#define MAXN 8

static kthread_t kts[MAXN];
static cpu_t cpus[MAXN];
static struct vt_sched_task tasks[MAXN];

/* Depth-2 bug: worker 2's step 3 must fall between worker 1's steps 5 and 6. */
static int phase, seen, bug;
static uint32_t steps_each;

static void
body(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg, i;

	for (i = 0; i < steps_each; i++) {
		vt_sched_point(VT_SP_RACY, &steps_each);
		if (id == 1 && i == 5)
			phase = 1;
		if (id == 1 && i == 6) {
			if (seen)
				bug = 1;
			phase = 2;
		}
		if (id == 2 && i == 3 && phase == 1)
			seen = 1;
	}
}

static void
setup(uint32_t n, void (*fn)(void *))
{
	uint32_t i;

	memset(tasks, 0, sizeof (tasks));
	for (i = 0; i < n; i++) {
		vt_thread_init(&kts[i], i + 1, &cpus[i], i + 1);
		tasks[i].st_id = i + 1;
		tasks[i].st_kt = &kts[i];
		tasks[i].st_body = fn;
		tasks[i].st_arg = (void *)(uintptr_t)(i + 1);
	}
}

static uint32_t
hunt(enum vt_sched_strategy strat, uint32_t n, uint32_t runs, uint64_t k)
{
	struct vt_sched_params p;
	struct vt_sched_result r;
	uint32_t s, hits = 0;

	for (s = 1; s <= runs; s++) {
		memset(&p, 0, sizeof (p));
		p.strategy = strat;
		p.seed = s;
		p.depth = 2;
		p.steps = k;
		p.switch_prob = 0.1;
		phase = seen = bug = 0;
		setup(n, body);
		vt_sched_run(tasks, n, &p, &r);
		hits += bug;
	}
	return (hits);
}

/*
 * Lock-order inversion between two workers: must deadlock.  Each run uses
 * its own pair: the deadlocked fibers are abandoned still holding theirs.
 */
static kmutex_t pairs[2][2];
static kmutex_t *ma, *mb;

static void
inverter(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	kmutex_t *first = id == 1 ? ma : mb, *second = id == 1 ? mb : ma;
	int i;

	for (i = 0; i < 50; i++) {
		mutex_enter(first);
		vt_sched_point(VT_SP_YIELD, NULL);
		mutex_enter(second);
		mutex_exit(second);
		mutex_exit(first);
	}
}

static uint32_t
holder(const void *obj, const char *what)
{
	kthread_t *t;

	if (strcmp(what, "mutex") != 0)
		return (0);
	t = vt_mutex_owner(obj);
	return (t ? t->t_id : 0);
}

static const char *
objname(const void *obj, const char *what, char *buf, size_t len)
{
	if (strcmp(what, "mutex") != 0)
		return (NULL);
	return (vt_mutex_name(obj, buf, len));
}

int
main(void)
{
	struct vt_sched_params p;
	struct vt_sched_result r1, r2;
	uint32_t n = 3, runs = 3000, pct_hits, rnd_hits;
	uint64_t k;
	double bound;

	tap_plan(8);
	steps_each = 10;
	k = (uint64_t)n * steps_each;

	/* Same seed, same decisions. */
	memset(&p, 0, sizeof (p));
	p.strategy = VT_STRAT_PCT;
	p.seed = 42;
	p.depth = 3;
	p.steps = k;
	setup(n, body);
	vt_sched_run(tasks, n, &p, &r1);
	setup(n, body);
	vt_sched_run(tasks, n, &p, &r2);
	tap_ok(r1.outcome == VT_SCHED_DONE && r1.trace_hash == r2.trace_hash &&
	    r1.steps == r2.steps, "pct: same seed gives the same trace hash "
	    "(%016llx, %llu steps)", (unsigned long long)r1.trace_hash,
	    (unsigned long long)r1.steps);
	p.strategy = VT_STRAT_RANDOM;
	p.switch_prob = 0.3;
	setup(n, body);
	vt_sched_run(tasks, n, &p, &r1);
	setup(n, body);
	vt_sched_run(tasks, n, &p, &r2);
	tap_ok(r1.trace_hash == r2.trace_hash && r1.switches == r2.switches,
	    "random: same seed gives the same trace hash");
	p.seed = 43;
	setup(n, body);
	vt_sched_run(tasks, n, &p, &r2);
	tap_ok(r1.trace_hash != r2.trace_hash,
	    "random: another seed gives another trace");

	/* PCT's guarantee on the depth-2 bug, beside the random strategy. */
	pct_hits = hunt(VT_STRAT_PCT, n, runs, k);
	rnd_hits = hunt(VT_STRAT_RANDOM, n, runs, k);
	bound = 1.0 / ((double)n * (double)k);
	tap_diag("depth-2 bug, n=%u k=%llu: pct %u/%u (%.4f), random(p=0.1) "
	    "%u/%u (%.4f), bound 1/(n*k) = %.4f", n, (unsigned long long)k,
	    pct_hits, runs, (double)pct_hits / runs, rnd_hits, runs,
	    (double)rnd_hits / runs, bound);
	tap_ok((double)pct_hits / runs >= bound,
	    "pct finds the depth-2 bug at or above 1/(n*k)");

	/* pos: deterministic, and it finds the same bug. */
	memset(&p, 0, sizeof (p));
	p.strategy = VT_STRAT_POS;
	p.seed = 42;
	setup(n, body);
	vt_sched_run(tasks, n, &p, &r1);
	setup(n, body);
	vt_sched_run(tasks, n, &p, &r2);
	tap_ok(r1.outcome == VT_SCHED_DONE && r1.trace_hash == r2.trace_hash &&
	    r1.switches == r2.switches, "pos: same seed gives the same trace "
	    "hash (%016llx)", (unsigned long long)r1.trace_hash);
	{
		uint32_t pos_hits = hunt(VT_STRAT_POS, n, runs, k);

		tap_diag("depth-2 bug: pos %u/%u (%.4f)", pos_hits, runs,
		    (double)pos_hits / runs);
		tap_ok(pos_hits > 0, "pos finds the depth-2 bug");
	}

	/* Exact deadlock detection with the cycle. */
	ma = &pairs[0][0];
	mb = &pairs[0][1];
	mutex_init(ma, "ma", MUTEX_DEFAULT, NULL);
	mutex_init(mb, "mb", MUTEX_DEFAULT, NULL);
	vt_sched_set_describers(objname, holder);
	memset(&p, 0, sizeof (p));
	p.strategy = VT_STRAT_RANDOM;
	p.seed = 7;
	p.switch_prob = 0.5;
	setup(2, inverter);
	vt_sched_run(tasks, 2, &p, &r1);
	tap_diag("deadlock at step %llu: %s", (unsigned long long)r1.steps,
	    r1.cycle);
	tap_ok(r1.outcome == VT_SCHED_DEADLOCK && strstr(r1.cycle, "cycle"),
	    "lock-order inversion is reported as a deadlock with its cycle");
	ma = &pairs[1][0];
	mb = &pairs[1][1];
	mutex_init(ma, "ma", MUTEX_DEFAULT, NULL);
	mutex_init(mb, "mb", MUTEX_DEFAULT, NULL);
	setup(2, inverter);
	vt_sched_run(tasks, 2, &p, &r2);
	tap_ok(r2.outcome == VT_SCHED_DEADLOCK && r2.steps == r1.steps &&
	    r2.trace_hash == r1.trace_hash,
	    "the deadlock replays to the same step (%llu)",
	    (unsigned long long)r2.steps);
	return (tap_done());
}
