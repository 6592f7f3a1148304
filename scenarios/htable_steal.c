/*
 * htable_steal.c - `htable-steal`: mappers keep building page tables while
 * ptable_alloc fails now and then (force_steal) so htable_alloc steals, a
 * reaper runs htable_reap (kmem's reclaim) often and whenever asked, and a
 * churner destroys and recreates hats so HAT_FREEING and HAT_VICTIM race
 * with the stealers.
 */
#include "scenario.h"

#include "../subsys/hat_subsys.h"
#include "../subsys/hat_world.h"

static const struct vt_role roles[] = {
	{ "mapper", "map/unmap library pages in its VA slots of random hats",
	    2, 1, vt_world_mapper_op, vt_world_mapper_init,
	    vt_world_mapper_fini },
	{ "reaper", "kmem_cache_reap(htable_cache) -> htable_reap, often and "
	    "on every kmem_reap request", 1, 0,
	    vt_world_reaper_op, NULL, NULL },
	{ "churner", "destroy a hat and allocate a new one in its as "
	    "(as WRITER)", 1, 0, vt_world_churner_op, NULL, NULL },
	{ "swapper", "hat_swapout a random hat (as WRITER): unload all but "
	    "ISM and locked tables, purge its cache", 0, 0,
	    vt_world_swapper_op, NULL, NULL },
};

static void
defaults(struct vt_config *c)
{
	struct vt_hat_opts *h = vt_hat_opts(c);

	h->hats = 8;
	h->shared_pages = 32;
	h->va_slots = 256;
	h->htable_reserve_amount = 1;
	h->force_steal = 16;
}

const struct vt_scenario_ops vt_scenario_htable_steal = {
	.name = "htable-steal",
	.desc = "map/unmap + reaper + forced ptable failures + hat churn: "
	    "htable_steal, HAT_VICTIM/HAT_FREEING",
	.subsys = vt_hat_subsystems,
	.roles = roles,
	.nroles = sizeof (roles) / sizeof (roles[0]),
	.defaults = defaults,
	.setup = vt_world_setup,
	.teardown = vt_world_teardown,
	.needs_tryenter = false,
};
