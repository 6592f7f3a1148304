/*
 * vpm_flip.c - `vpm-flip`: many readers and writers of a few small files
 * through vpm_data_copy, a tiny vpm cache split over several freelists
 * (alloc/release queue flips, vpm_mtx skips, p_vpmref contention, steals,
 * empty freelists and sleeps on vpm_free_cv), and a syncer flushing
 * pages with vpm_sync_pages.
 */
#include "scenario.h"

#include "../subsys/vpm_subsys.h"

static const struct vt_role roles[] = {
	{ "reader", "vpm_data_copy(S_READ), or vpm_map_pages and a check in "
	    "place, of one or two pages of a file, every byte checked", 4, 1, vt_vpm_reader_op, vt_vpm_worker_init,
	    vt_vpm_worker_fini },
	{ "writer", "vpm_data_copy(S_WRITE) of a page, whole or in part, "
	    "create or fetch path", 2, 1, vt_vpm_writer_op, vt_vpm_worker_init,
	    vt_vpm_worker_fini },
	{ "syncer", "vpm_sync_pages with random SM_ flags", 1, 0,
	    vt_vpm_syncer_op, NULL, NULL },
};

static void
defaults(struct vt_config *c)
{
	struct vt_vpm_opts *o = vt_vpm_opts(c);

	c->threads = 8;
	o->cache_pages = 8;
	o->nfreelist = 4;
	o->vnodes = 3;
	o->file_pages = 8;
}

const struct vt_scenario_ops vt_scenario_vpm_flip = {
	.name = "vpm-flip",
	.desc = "readers/writers of few files through a tiny vpm cache on "
	    "several freelists: flips, skips, contention, sleeps",
	.subsys = vt_vpm_subsystems,
	.roles = roles,
	.nroles = sizeof (roles) / sizeof (roles[0]),
	.defaults = defaults,
	.setup = vt_vpm_world_setup,
	.teardown = vt_vpm_world_teardown,
	.needs_tryenter = true,
};
