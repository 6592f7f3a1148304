/*
 * amap_cow.c - `amap-cow`: processes exec, fork (amap_ref + NEEDSCOPY,
 * shared inheritance, wired forks through amap_cow_now) and exit; faulters
 * read and write their pages (amap_copy on NEEDSCOPY entries, new anons,
 * copy on write by amap_add replace); mappers unmap parts of entries
 * (amap_splitref, amap_unref -> amap_pp_adjref -> amap_wiperange), map and
 * grow entries (amap_extend) and write-protect shared amaps; a page daemon
 * swaps pages out (and keeps them busy while it writes).
 */
#include "scenario.h"

#include "../subsys/amap_subsys.h"
#include "../subsys/hat_subsys.h"

static const struct vt_role roles[] = {
	{ "forker", "exec, fork (copy, shared, wired: amap_cow_now) and exit "
	    "processes", 1, 1, vt_amap_forker_op, NULL, NULL, false },
	{ "faulter", "read and write pages of a process (amap_copy, new "
	    "anons, copy on write)", 2, 1, vt_amap_faulter_op, NULL, NULL,
	    false },
	{ "mapper", "unmap parts of entries (clip: amap_splitref), map and "
	    "grow entries (amap_extend), amap_share_protect", 1, 1,
	    vt_amap_mapper_op, NULL, NULL, false },
	{ "pager", "swap anon pages out (busy while written)", 1, 1,
	    vt_amap_pager_op, NULL, NULL, false },
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
	/* Fewer frames: the page daemon's scan meets owned pages sooner. */
	((struct vt_machine_opts *)vt_config_sub(c, &vt_subsys_machine))->pages =
	    16384;
}

const struct vt_scenario_ops vt_scenario_amap_cow = {
	.name = "amap-cow",
	.desc = "fork/COW/clip/unmap/grow/wire-fork over NetBSD uvm_amap with "
	    "a page daemon",
	.subsys = vt_amap_subsystems,
	.roles = roles,
	.nroles = sizeof (roles) / sizeof (roles[0]),
	.defaults = defaults,
	.setup = vt_amap_world_setup,
	.teardown = vt_amap_world_teardown,
	.needs_tryenter = true,
};
