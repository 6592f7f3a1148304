/*
 * registry.h - every subsystem of the harness, in `vmtorture list` order
 * (registry.c).  A new subsystem adds its table there.
 */
#ifndef VT_SUBSYS_REGISTRY_H
#define VT_SUBSYS_REGISTRY_H

#include "../stress/subsys.h"

extern const struct vt_subsys_ops *const vt_subsystems[];

#endif /* VT_SUBSYS_REGISTRY_H */
