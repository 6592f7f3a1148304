/*
 * scenario.h - the scenario catalogue.  Each scenario is a const ops table
 * (struct vt_scenario_ops, stress/engine.h) naming the subsystems it
 * drives and its thread roles.
 */
#ifndef VT_SCENARIOS_SCENARIO_H
#define VT_SCENARIOS_SCENARIO_H

#include "../stress/config.h"
#include "../stress/engine.h"

/* NULL-terminated registry, in `vmtorture list` order (registry.c). */
extern const struct vt_scenario_ops *const vt_scenarios[];

#endif /* VT_SCENARIOS_SCENARIO_H */
