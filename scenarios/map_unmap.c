/*
 * map_unmap.c - `map-unmap`: mappers load and unload library pages in their
 * VA slots of a few hats (embed -> hment promotion, hment_prepare retries,
 * hash insert/remove, htable create/release races, now and then a level-1
 * mapping), while a sharer attaches and detaches the ISM segment
 * (hat_share / hat_unshare: the HTABLE_SHARED_PFN paths of htable_alloc,
 * htable_create and htable_release).
 */
#include "scenario.h"

#include "../subsys/hat_subsys.h"
#include "../subsys/hat_world.h"

static const struct vt_role roles[] = {
	{ "mapper", "map/unmap library pages in its VA slots of random hats "
	    "(sometimes a 2 MiB mapping)", 3, 1,
	    vt_world_mapper_op, vt_world_mapper_init, vt_world_mapper_fini },
	{ "sharer", "hat_share the ISM segment into a random hat, later "
	    "hat_unshare it (as WRITER)", 1, 0,
	    vt_world_sharer_op, NULL, NULL },
};

static void
defaults(struct vt_config *c)
{
	struct vt_hat_opts *h = vt_hat_opts(c);

	h->hats = 8;
	h->shared_pages = 32;
	h->va_slots = 128;
}

const struct vt_scenario_ops vt_scenario_map_unmap = {
	.name = "map-unmap",
	.desc = "mappers over a few hats sharing library pages, plus ISM "
	    "hat_share/hat_unshare",
	.subsys = vt_hat_subsystems,
	.roles = roles,
	.nroles = sizeof (roles) / sizeof (roles[0]),
	.defaults = defaults,
	.setup = vt_world_setup,
	.teardown = vt_world_teardown,
	.needs_tryenter = false,
};
