/*
 * calib_subsys.h - `calib`, the scheduler-calibration subsystem: planted
 * bugs of a known depth for the test-only `pct-calib` scenario (issue:
 * measure each strategy's detection rate against PCT's bound).
 *
 * Harness code (not ported): no kernel state, only a few shared words that
 * the workers read and write with marked racy accesses, each one schedule
 * point.
 */
#ifndef VT_SUBSYS_CALIB_SUBSYS_H
#define VT_SUBSYS_CALIB_SUBSYS_H

#include <stdint.h>

#include "../stress/subsys.h"

/* Options (the calib block of the configuration). */
struct vt_calib_opts {
	uint32_t	depth;		/* --calib-depth D: ordering constraints */
	uint32_t	steps;		/* --calib-steps K: points per operation */
};

extern const struct vt_subsys_ops vt_subsys_calib;

static inline const struct vt_calib_opts *
vt_calib_opts_c(const struct vt_config *c)
{
	return ((const struct vt_calib_opts *)vt_config_sub_const(c,
	    &vt_subsys_calib));
}

/*
 * One operation of worker id (1..n): K schedule points; workers 1..D carry
 * the planted chain, the others only make points.  Panics with "planted
 * bug of depth D" when the chain's D ordering constraints all held.  Takes
 * no lock.
 */
void vt_calib_op(uint32_t id, const struct vt_config *c);

#endif /* VT_SUBSYS_CALIB_SUBSYS_H */
