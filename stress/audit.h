/*
 * audit.h - the stop-the-world audit driver (DESIGN §5.2): with every
 * worker parked at a safe point, each subsystem of the run audits its own
 * state (struct vt_subsys_ops.audit); the first violated check names the
 * failure, `audit:<check>`.
 *
 * Harness code (not ported).
 */
#ifndef VT_STRESS_AUDIT_H
#define VT_STRESS_AUDIT_H

#include <stdint.h>

#include "config.h"

struct vt_audit_result {
	uint32_t	violations;	/* total found (audits continue past the first) */
	int		first;		/* subsystem's index of its first violated check */
	const char	*check;		/* its name (static), NULL if none */
	char		msg[512];	/* first violation, human readable */
	uint64_t	objects;	/* objects examined */
};

/*
 * Audit every subsystem c's scenario uses, in order.  World stopped; takes
 * no locks.  Returns the violations found (0: every invariant holds); *r
 * describes the first one, its check named "<check>" (subsystem's name).
 */
uint32_t vt_audit_run(const struct vt_config *c, struct vt_audit_result *r);

#endif /* VT_STRESS_AUDIT_H */
