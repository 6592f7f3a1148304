/*
 * registry.c - the subsystem catalogue (registry.h).
 */
#include "registry.h"

#include "amap_subsys.h"
#include "calib_subsys.h"
#include "hat_subsys.h"
#include "vpm_subsys.h"

const struct vt_subsys_ops *const vt_subsystems[] = {
	&vt_subsys_machine,
	&vt_subsys_hat,
	&vt_subsys_vpm,
	&vt_subsys_calib,
	&vt_subsys_amap,
	NULL
};
