/*
 * machine_subsys.c - the simulated machine as a subsystem (hat_subsys.h):
 * physical frames with their page_t array, freemem and throttlefree, and
 * the kmem caches with their fault injection.  Every kernel subsystem of
 * the harness runs on it; its report is the kmem cache table.
 *
 * Harness code (not ported).
 */
#include "hat_subsys.h"

#include <inttypes.h>
#include <stdio.h>

#include "../core/page.h"
#include "../core/page_lockstat.h"
#include "../core/sys.h"
#include "../locks/atomic.h"
#include "../locks/locktable.h"
#include "../stress/report.h"

#define OFF(f)	offsetof(struct vt_machine_opts, f)

static const struct vt_param machine_params[] = {
	{ "pages", 0, VT_P_U64, OFF(pages), 64, 1 << 22, "N",
	    "physical frames of the simulated machine", VT_PF_SIZE, 65536 },
	{ "throttlefree", 0, VT_P_U64, OFF(throttlefree), 0, 1 << 22, "N",
	    "ptable_alloc fails at or below N free frames (auto: pages/64)",
	    VT_PF_AUTO | VT_PF_SIZE, 0, "auto" },
};

static uint64_t
throttlefree_of(const struct vt_machine_opts *o)
{
	return (o->throttlefree == VT_PARAM_AUTO ? o->pages / 64 :
	    o->throttlefree);
}

static int
machine_validate(struct vt_config *c, void *opts, char *err, size_t errlen)
{
	const struct vt_machine_opts *o = opts;
	uint64_t need = o->pages * (MMU_PAGESIZE + sizeof (page_t));

	if (need > vt_host_memory_budget()) {
		snprintf(err, errlen, "--pages %" PRIu64 ": the frames need %"
		    PRIu64 " MiB, more than this machine can give (%" PRIu64
		    " MiB)", o->pages, need >> 20, vt_host_memory_budget() >> 20);
		return (-1);
	}
	if (o->throttlefree != VT_PARAM_AUTO && o->throttlefree >= o->pages) {
		snprintf(err, errlen, "--throttlefree %" PRIu64 ": not below "
		    "--pages %" PRIu64, o->throttlefree, o->pages);
		return (-1);
	}
	return (0);
}

static int
machine_boot(const struct vt_config *c, char *err, size_t errlen)
{
	const struct vt_machine_opts *o = vt_machine_opts_c(c);

	vt_machine_init(o->pages, throttlefree_of(o));
	return (0);
}

static void
machine_stats(const struct vt_config *c, struct vt_report *r)
{
	static const char *const cols[] = { "outstanding", "allocs", "frees",
	    "fails" };
	struct vt_report_table *t = vt_report_table(r, "kmem", "kmem caches",
	    4, cols);

	for (kmem_cache_t *cp = vt_kmem_cache_first(); cp != NULL;
	    cp = cp->cache_next) {
		uint64_t v[4];

		v[0] = VT_PEEK(cp->cache_outstanding);
		v[1] = VT_PEEK(cp->cache_allocs);
		v[2] = VT_PEEK(cp->cache_frees);
		v[3] = VT_PEEK(cp->cache_fails);
		vt_report_row(t, cp->cache_name, v);
	}
}

/* The page locks' class (only with --lockstat).  World stopped. */
static void
machine_lock_members(const struct vt_lock_class *cls, struct vt_lock_stats *s)
{
	if (cls != NULL && cls == vt_page_lock_class)
		vt_page_lockstat_sum(s);
}

static const char *const machine_counter_names[] = {
	"kmem caches: outstanding, allocs, frees, fails per cache",
	NULL
};

const struct vt_subsys_ops vt_subsys_machine = {
	.name = "machine",
	.desc = "simulated machine: page_t frames, freemem/throttlefree, kmem "
	    "caches with KM_NOSLEEP failure injection",
	.params = machine_params,
	.nparams = sizeof (machine_params) / sizeof (machine_params[0]),
	.opts_size = sizeof (struct vt_machine_opts),
	.validate = machine_validate,
	.boot = machine_boot,
	.fini = vt_machine_fini,
	.stats = machine_stats,
	.counter_names = machine_counter_names,
	.lock_members = machine_lock_members,
};
