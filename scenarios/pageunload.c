/*
 * pageunload.c - `pageunload`: mappers load library pages while a page
 * daemon locks pages SE_EXCL and unloads all their mappings with
 * hat_pageunload (mapping-list walks racing with concurrent maps, unmaps
 * and table releases), counting mappings with hat_page_getshare and
 * hment_mapcnt now and then.
 */
#include "scenario.h"

#include "../subsys/hat_subsys.h"
#include "../subsys/hat_world.h"

static const struct vt_role roles[] = {
	{ "mapper", "map/unmap library pages in its VA slots of random hats",
	    3, 1, vt_world_mapper_op, vt_world_mapper_init,
	    vt_world_mapper_fini },
	{ "pageunloader", "page_lock(SE_EXCL) a library page, hat_pageunload "
	    "it, check no mapping is left", 1, 0,
	    vt_world_pageunloader_op, NULL, NULL },
	{ "demoter", "page_lock(SE_EXCL) the large page, hat_page_demote a "
	    "constituent page, check no large mapping or size code is left, "
	    "promote it again", 0, 0, vt_world_demoter_op, NULL, NULL },
};

static void
defaults(struct vt_config *c)
{
	struct vt_hat_opts *h = vt_hat_opts(c);

	h->hats = 8;
	h->shared_pages = 16;
	h->va_slots = 64;
}

const struct vt_scenario_ops vt_scenario_pageunload = {
	.name = "pageunload",
	.desc = "mappers + hat_pageunload of shared pages",
	.subsys = vt_hat_subsystems,
	.roles = roles,
	.nroles = sizeof (roles) / sizeof (roles[0]),
	.defaults = defaults,
	.setup = vt_world_setup,
	.teardown = vt_world_teardown,
	.needs_tryenter = false,
};
