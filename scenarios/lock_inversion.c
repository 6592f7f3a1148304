/*
 * lock_inversion.c - `lock-inversion`, a test-only scenario with a planted
 * lock-order inversion: `forward` workers take inversion_a then
 * inversion_b, `backward` workers take inversion_b then inversion_a.  It
 * exists to prove the harness reports a deadlock with its wait-for cycle
 * (exit 3) and, in controlled mode, replays it to the same step; and that
 * --lockdep reports the inversion (lock-order, exit 1) the first time both
 * orders are seen, before any deadlock.  Lockdep is off by default here so
 * that the deadlock is what the run meets.  It touches no HAT state.
 */
#include "scenario.h"

#include "../subsys/hat_subsys.h"

#include <stdio.h>

#include "../locks/kmutex.h"

/* Two named mutexes, each a lock class of its own; setup/teardown. */
static kmutex_t inv[2];

/*
 * Takes inv[first], then inv[second]; drops both.  No lock held on entry
 * or return.
 */
static void
take_two(struct vt_worker *w, uint32_t first, uint32_t second)
{
	kmutex_t *a = &inv[first];
	kmutex_t *b = &inv[second];

	mutex_enter(a);
	mutex_enter(b);
	mutex_exit(b);
	mutex_exit(a);
	vt_hat_event(w, VT_HAT_OP_MAPCNT, 0, first, second, 0);
}

static void
forward_op(struct vt_worker *w)
{
	take_two(w, 0, 1);
}

static void
backward_op(struct vt_worker *w)
{
	take_two(w, 1, 0);
}

static const struct vt_role roles[] = {
	{ "forward", "inversion_a then inversion_b", 1, 1, forward_op, NULL,
	    NULL },
	{ "backward", "inversion_b then inversion_a (the planted bug)", 1, 1,
	    backward_op, NULL, NULL },
};

static void
defaults(struct vt_config *c)
{
	struct vt_hat_opts *h = vt_hat_opts(c);

	c->threads = 2;
	c->lockdep = false;
	h->hats = 1;
	h->shared_pages = 0;
}

static int
setup(const struct vt_config *c, char *err, size_t errlen)
{
	(void) c;
	(void) err;
	(void) errlen;
	mutex_init(&inv[0], "inversion_a", MUTEX_DEFAULT, NULL);
	mutex_init(&inv[1], "inversion_b", MUTEX_DEFAULT, NULL);
	return (0);
}

static void
teardown(void)
{
	mutex_destroy(&inv[0]);
	mutex_destroy(&inv[1]);
}

const struct vt_scenario_ops vt_scenario_lock_inversion = {
	.name = "lock-inversion",
	.desc = "TEST ONLY: a planted lock-order inversion; must end in a "
	    "deadlock report (exit 3)",
	.subsys = vt_hat_subsystems,
	.roles = roles,
	.nroles = sizeof (roles) / sizeof (roles[0]),
	.defaults = defaults,
	.setup = setup,
	.teardown = teardown,
	.needs_tryenter = false,
	.test_only = true,
};
