/*
 * registry.c - the scenario catalogue (DESIGN §7), in `vmtorture list`
 * order (the engine looks scenarios up by name once tools/ registers them).
 */
#include "scenario.h"

/* Defined one per file in scenarios/. */
extern const struct vt_scenario_ops vt_scenario_map_unmap;
extern const struct vt_scenario_ops vt_scenario_hment_steal;
extern const struct vt_scenario_ops vt_scenario_htable_steal;
extern const struct vt_scenario_ops vt_scenario_pageunload;
extern const struct vt_scenario_ops vt_scenario_vpm_flip;
extern const struct vt_scenario_ops vt_scenario_vpm_evict;
extern const struct vt_scenario_ops vt_scenario_lock_inversion;
extern const struct vt_scenario_ops vt_scenario_pct_calib;
extern const struct vt_scenario_ops vt_scenario_amap_cow;
extern const struct vt_scenario_ops vt_scenario_amap_swapoff;

const struct vt_scenario_ops *const vt_scenarios[] = {
	&vt_scenario_map_unmap,
	&vt_scenario_hment_steal,
	&vt_scenario_htable_steal,
	&vt_scenario_pageunload,
	&vt_scenario_amap_cow,
	&vt_scenario_amap_swapoff,
	&vt_scenario_vpm_flip,
	&vt_scenario_vpm_evict,
	&vt_scenario_lock_inversion,	/* test only: a planted deadlock */
	&vt_scenario_pct_calib,		/* test only: a bug of known depth */
	NULL
};
