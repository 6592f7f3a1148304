/*
 * calib_subsys.c - the planted bugs of known depth (calib_subsys.h).
 *
 * A bug of depth d needs d ordering constraints between the workers' steps
 * (Burckhardt et al., ASPLOS 2010), and PCT finds it with probability at
 * least 1/(n k^(d-1)) for n workers and k steps in all.  The chains:
 *
 *   d = 1: worker 1 sets `done` at its last step; worker 2 fails if it sees
 *          it at its first step: worker 1 must run all its steps before
 *          worker 2 runs any (the reorder bug that needs one thread to run
 *          long while the others wait).
 *   d >= 2: for i = 1..d-1, worker i raises flag i at its middle step (for
 *          i > 1 only if it sees flag i-1 raised) and lowers it at the next
 *          step; worker d fails if it sees flag d-1 raised at its middle
 *          step.  Each link is a check-then-act window one step wide:
 *          worker i+1's step must fall between worker i's two.
 *
 * Every access is a VT_RACY_LOAD/STORE, i.e. one schedule point; workers
 * beyond d make the same number of points on a word of their own.
 */
#include "calib_subsys.h"

#include <stddef.h>

#include "../base/panic.h"
#include "../locks/atomic.h"

#define CALIB_MAX_DEPTH	8
#define OFF(f)	offsetof(struct vt_calib_opts, f)

/* The chain's words (racy by design); reset by boot. */
static uint32_t calib_flag[CALIB_MAX_DEPTH];
static uint32_t calib_done;
static uint32_t calib_noise[64];

static const struct vt_param calib_params[] = {
	{ "calib-depth", 0, VT_P_U32, OFF(depth), 1, CALIB_MAX_DEPTH, "D",
	    "depth of the planted bug: ordering constraints it needs", 0, 2 },
	{ "calib-steps", 0, VT_P_U32, OFF(steps), 2, 1 << 20, "K",
	    "schedule points of each worker's operation", 0, 10 },
};

static int
calib_validate(struct vt_config *c, void *opts, char *err, size_t errlen)
{
	const struct vt_calib_opts *o = opts;
	uint32_t n = vt_config_nworkers(c);

	if (n < o->depth || n < 2) {
		snprintf(err, errlen, "--calib-depth %u: needs at least %u "
		    "workers (the run has %u)", o->depth, o->depth < 2 ? 2 :
		    o->depth, n);
		return (-1);
	}
	return (0);
}

static int
calib_boot(const struct vt_config *c, char *err, size_t errlen)
{
	(void) c;
	(void) err;
	(void) errlen;
	for (int i = 0; i < CALIB_MAX_DEPTH; i++)
		VT_POKE(calib_flag[i], 0);
	VT_POKE(calib_done, 0);
	return (0);
}

void
vt_calib_op(uint32_t id, const struct vt_config *c)
{
	const struct vt_calib_opts *o = vt_calib_opts_c(c);
	uint32_t k = o->steps, d = o->depth, mid = k / 2;
	uint32_t *mine = &calib_noise[id % 64];

	for (uint32_t s = 0; s < k; s++) {
		if (d == 1 && id == 1 && s == k - 1) {
			VT_RACY_STORE(calib_done, 1);
		} else if (d == 1 && id == 2 && s == 0) {
			if (VT_RACY_LOAD(calib_done) != 0)
				panic("planted bug of depth 1: worker 2 started "
				    "after worker 1 finished");
		} else if (d >= 2 && id < d && s == mid) {
			if (id == 1 || VT_RACY_LOAD(calib_flag[id - 1]) != 0)
				VT_RACY_STORE(calib_flag[id], 1);
			else
				(void) VT_RACY_LOAD(*mine);
		} else if (d >= 2 && id < d && s == mid + 1) {
			VT_RACY_STORE(calib_flag[id], 0);
		} else if (d >= 2 && id == d && s == mid) {
			if (VT_RACY_LOAD(calib_flag[d - 1]) != 0)
				panic("planted bug of depth %u: every window of "
				    "the chain was hit", d);
		} else {
			(void) VT_RACY_LOAD(*mine);
		}
	}
}

static uint64_t
calib_steps_per_op(const struct vt_config *c)
{
	return (vt_calib_opts_c(c)->steps + 8);
}

const struct vt_subsys_ops vt_subsys_calib = {
	.name = "calib",
	.desc = "scheduler calibration: a planted bug of known depth (test "
	    "only)",
	.params = calib_params,
	.nparams = sizeof (calib_params) / sizeof (calib_params[0]),
	.opts_size = sizeof (struct vt_calib_opts),
	.validate = calib_validate,
	.boot = calib_boot,
	.steps_per_op = calib_steps_per_op,
};
