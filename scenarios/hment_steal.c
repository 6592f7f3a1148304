/*
 * hment_steal.c - `hment-steal`: mappers over many hats and few library
 * pages (so each page has a long hment list) with a starved hment cache:
 * a small hment_reserve_amount and KM_NOSLEEP failures make hment_alloc
 * fall back to hment_steal, which unmaps other workers' mappings while they
 * map and unmap.  The caches grow through segkmem (--segkmem on), as the
 * kernel's do: a failed grow or a steal then runs inside a nested kernel
 * load, so the reserves are used after boot and kernel mappings come and go.
 */
#include "scenario.h"

#include "../subsys/hat_subsys.h"
#include "../subsys/hat_world.h"

static const struct vt_role roles[] = {
	{ "mapper", "map/unmap library pages in its VA slots of random hats",
	    1, 1, vt_world_mapper_op, vt_world_mapper_init,
	    vt_world_mapper_fini },
};

static void
defaults(struct vt_config *c)
{
	struct vt_hat_opts *h = vt_hat_opts(c);

	h->hats = 16;
	h->shared_pages = 16;
	h->va_slots = 64;
	h->hment_reserve_amount = 4;
	h->kmem_fail = 0.25;
	h->segkmem = 1;
}

const struct vt_scenario_ops vt_scenario_hment_steal = {
	.name = "hment-steal",
	.desc = "map/unmap with a starved hment cache: hment_alloc falls back "
	    "to hment_steal",
	.subsys = vt_hat_subsystems,
	.roles = roles,
	.nroles = sizeof (roles) / sizeof (roles[0]),
	.defaults = defaults,
	.setup = vt_world_setup,
	.teardown = vt_world_teardown,
	.needs_tryenter = false,
};
