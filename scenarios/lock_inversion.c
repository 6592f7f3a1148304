/*
 * lock_inversion.c - `lock-inversion`, a test-only scenario with a planted
 * lock-order inversion: `forward` workers take inv_a then inv_b, `backward`
 * workers take inv_b then inv_a.  It exists to prove the harness reports a
 * deadlock with its wait-for cycle (exit 3) and, in controlled mode, replays
 * it to the same step.  It touches no HAT state.
 */
#include "scenario.h"

#include "../subsys/hat_subsys.h"

#include <stdio.h>

#include "../locks/kmutex.h"
#include "../locks/locktable.h"

static struct vt_lock_class *inv_class;	/* "inversion[2]"; setup/teardown */

/* Takes first, then second; drops both.  No lock held on entry or return. */
static void
take_two(struct vt_worker *w, uint32_t first, uint32_t second)
{
	kmutex_t *a = vt_locktable_lock(inv_class, first);
	kmutex_t *b = vt_locktable_lock(inv_class, second);

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
	{ "forward", "inversion[0] then inversion[1]", 1, 1, forward_op, NULL,
	    NULL },
	{ "backward", "inversion[1] then inversion[0] (the planted bug)", 1, 1,
	    backward_op, NULL, NULL },
};

static void
defaults(struct vt_config *c)
{
	struct vt_hat_opts *h = vt_hat_opts(c);

	c->threads = 2;
	h->hats = 1;
	h->shared_pages = 0;
}

static int
setup(const struct vt_config *c, char *err, size_t errlen)
{
	(void) c;
	inv_class = vt_locktable_create("inversion", 2);
	if (inv_class == NULL) {
		(void) snprintf(err, errlen, "cannot allocate the lock pair");
		return (-1);
	}
	return (0);
}

static void
teardown(void)
{
	vt_locktable_destroy(inv_class);
	inv_class = NULL;
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
