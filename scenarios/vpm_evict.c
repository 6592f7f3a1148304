/*
 * vpm_evict.c - `vpm-evict`: readers and writers through vpm_data_copy
 * while a page daemon evicts unmapped clean pages (hat_pageunload clears
 * p_vpmref), so frames change identity under the cache: the seed's
 * "stolen" and "previous page locked" paths.  vpm_cache_enable is chosen
 * per run from the seed (odd: on) unless --vpm-cache-enable says.
 */
#include "scenario.h"

#include "../subsys/vpm_subsys.h"

static const struct vt_role roles[] = {
	{ "reader", "vpm_data_copy(S_READ), or vpm_map_pages and a check in "
	    "place, of one or two pages of a file, every byte checked", 3, 1, vt_vpm_reader_op, vt_vpm_worker_init,
	    vt_vpm_worker_fini },
	{ "writer", "vpm_data_copy(S_WRITE) of a page, whole or in part, "
	    "create or fetch path", 2, 1, vt_vpm_writer_op, vt_vpm_worker_init,
	    vt_vpm_worker_fini },
	{ "pageout", "evict a random cached page (write back, "
	    "hat_pageunload, free the frame)", 1, 1, vt_vpm_pageout_op, NULL,
	    NULL },
	{ "syncer", "vpm_sync_pages with random SM_ flags", 1, 0,
	    vt_vpm_syncer_op, NULL, NULL },
};

static void
defaults(struct vt_config *c)
{
	struct vt_vpm_opts *o = vt_vpm_opts(c);

	c->threads = 8;
	o->cache_pages = 16;
	o->nfreelist = 2;
	o->cache_enable = 2;
	o->vnodes = 4;
	o->file_pages = 16;
}

const struct vt_scenario_ops vt_scenario_vpm_evict = {
	.name = "vpm-evict",
	.desc = "vpm readers/writers plus a page daemon evicting clean "
	    "pages; vpm_cache_enable per run",
	.subsys = vt_vpm_subsystems,
	.roles = roles,
	.nroles = sizeof (roles) / sizeof (roles[0]),
	.defaults = defaults,
	.setup = vt_vpm_world_setup,
	.teardown = vt_vpm_world_teardown,
	.needs_tryenter = true,
};
