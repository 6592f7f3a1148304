/*
 * scenario.h - scenarios as const ops tables of thread roles (the
 * locktorture `struct lock_torture_ops` pattern).  A NULL entry means "not
 * supported"/"nothing to do".
 */
#ifndef VT_SCENARIOS_SCENARIO_H
#define VT_SCENARIOS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stress/config.h"
#include "../stress/engine.h"

struct vt_role {
	const char	*name;		/* "mapper"; also the CLI option --mapper N */
	const char	*desc;
	uint32_t	weight;		/* share of --threads (0: only if asked for) */
	uint32_t	min_count;	/* at least this many when --threads is used */
	/* One operation.  Called repeatedly; returns holding no locks. */
	void	(*op)(struct vt_worker *w);
	/* Optional per-worker setup/teardown (boot thread, before/after run). */
	void	(*worker_init)(struct vt_worker *w);
	void	(*worker_fini)(struct vt_worker *w);
};

struct vt_scenario_ops {
	const char	*name;
	const char	*desc;
	const struct vt_role *roles;
	uint32_t	nroles;
	/* Scenario tuning on top of the built-in defaults (before the CLI). */
	void	(*defaults)(struct vt_config *c);
	/*
	 * Build the world after hat_init (hats, data pages, ISM segment).
	 * Returns 0, or -1 with a one-line reason in err (usage error, exit 2).
	 */
	int	(*setup)(const struct vt_config *c, char *err, size_t errlen);
	/* Tear the world down after the run and the final audit. */
	void	(*teardown)(void);
	bool	needs_tryenter;		/* refuses back ends without try-lock */
	bool	test_only;		/* planted bug for the harness's own tests */
};

/* NULL-terminated registry, in `vmtorture list` order. */
extern const struct vt_scenario_ops *const vt_scenarios[];
const struct vt_scenario_ops *vt_scenario_find(const char *name);

/* The simulated-hardware role any scenario may add with --mmu N. */
extern const struct vt_role vt_mmu_role;

#endif /* VT_SCENARIOS_SCENARIO_H */
