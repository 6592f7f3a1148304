/*
 * pct_calib.c - `pct-calib`, a test-only scenario: n workers, one
 * operation of --calib-steps points each, and a planted bug that needs
 * --calib-depth ordering constraints (subsys/calib_subsys.c).  Run over many
 * scheduler seeds it measures how often each strategy finds a bug of that
 * depth, beside PCT's bound 1/(n k^(d-1)) (tests/calibrate.py).
 */
#include "scenario.h"

#include "../subsys/calib_subsys.h"

static void
calib_worker_op(struct vt_worker *w)
{
	vt_calib_op(w->id, w->cfg);
}

static const struct vt_role roles[] = {
	{ "worker", "runs its steps; workers 1..D carry the planted chain", 1, 1,
	    calib_worker_op, NULL, NULL, false },
};

static const struct vt_subsys_ops *const calib_subsystems[] = {
	&vt_subsys_calib,
	NULL
};

static void
defaults(struct vt_config *c)
{
	c->threads = 2;
	c->ops = 1;
	c->audit_ops = 0;
}

const struct vt_scenario_ops vt_scenario_pct_calib = {
	.name = "pct-calib",
	.desc = "TEST ONLY: a planted bug of known depth (--calib-depth) for "
	    "measuring the schedulers",
	.subsys = calib_subsystems,
	.roles = roles,
	.nroles = sizeof (roles) / sizeof (roles[0]),
	.defaults = defaults,
	.needs_tryenter = false,
	.test_only = true,
};
