/*
 * amap_swapoff.c - `amap-swapoff`: the amap-cow workload plus a swap-off
 * thread running amap_swap_off over slot ranges (markers on amap_list,
 * amap_lock_try failures, the AMAP_SWAPOFF wipe-out deferral) while amaps
 * die under it and the page daemon fills the swap.
 */
#include "scenario.h"

#include "../subsys/amap_subsys.h"
#include "../subsys/hat_subsys.h"

static const struct vt_role roles[] = {
	{ "forker", "exec, fork (copy, shared, wired) and exit processes", 1,
	    1, vt_amap_forker_op, NULL, NULL, false },
	{ "faulter", "read and write pages of a process", 1, 1,
	    vt_amap_faulter_op, NULL, NULL, false },
	{ "mapper", "unmap parts of entries, map and grow entries", 1, 0,
	    vt_amap_mapper_op, NULL, NULL, false },
	{ "pager", "swap anon pages out", 1, 1, vt_amap_pager_op, NULL, NULL,
	    false },
	{ "swapoff", "amap_swap_off over a quarter of the swap slots", 1, 1,
	    vt_amap_swapoff_op, NULL, NULL, false },
};

static void
defaults(struct vt_config *c)
{
	struct vt_hat_opts *h = vt_hat_opts(c);
	struct vt_amap_opts *a = vt_amap_opts(c);

	h->hats = 1;
	h->shared_pages = 0;
	/*
	 * The finding cownow-restart (doc/amap.md) fails ordinary runs:
	 * its fix is on unless --amap-fix says otherwise (none: the seed).
	 */
	a->fix = "cownow-restart";
	a->swap_slots = 512;
	((struct vt_machine_opts *)vt_config_sub(c, &vt_subsys_machine))->pages =
	    16384;
}

const struct vt_scenario_ops vt_scenario_amap_swapoff = {
	.name = "amap-swapoff",
	.desc = "amap-cow plus amap_swap_off over slot ranges while amaps die",
	.subsys = vt_amap_subsystems,
	.roles = roles,
	.nroles = sizeof (roles) / sizeof (roles[0]),
	.defaults = defaults,
	.setup = vt_amap_world_setup,
	.teardown = vt_amap_world_teardown,
	.needs_tryenter = true,
};
