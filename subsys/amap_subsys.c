/*
 * amap_subsys.c - the amap subsystem table (amap_subsys.h): options
 * (process slots, VA, swap, injected allocation failures, candidate fixes
 * of the findings), boot and teardown of the amap module, anons, pages and
 * swap, the counters.
 *
 * Harness code (not ported).
 */
#include "amap_subsys.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hat_subsys.h"
#include "../core/uvm_amap.h"
#include "../core/uvm_anon.h"
#include "../core/uvm_map_sim.h"
#include "../stress/report.h"

uint32_t vt_amap_op_base;

static const char *const amap_op_names[VT_AMAP_NOPS] = {
#define VT_AMAP_OP_NAME(id, name) name,
	VT_AMAP_OPS(VT_AMAP_OP_NAME)
#undef VT_AMAP_OP_NAME
};

#define OFF(f)	offsetof(struct vt_amap_opts, f)

static const struct vt_param amap_params[] = {
	{ "amap-procs", 0, VT_P_U32, OFF(procs), 2, 4096, "N",
	    "process slots (vm_maps) forked, exited and exec'd", 0, 12 },
	{ "amap-va-pages", 0, VT_P_U32, OFF(va_pages), 64, 1 << 16, "N",
	    "pages of VA in each process's window", 0, 1024 },
	{ "amap-swap-slots", 0, VT_P_U32, OFF(swap_slots), 16, 1 << 20, "N",
	    "simulated swap slots", 0, 2048 },
	{ "amap-malloc-fail", 0, VT_P_PROB, OFF(malloc_fail), 0, 1, "P",
	    "probability that an M_NOWAIT / M_CANFAIL amap malloc fails "
	    "(ppref, amap_extend, amap_copy from a fault)", 0, 0 },
	{ "amap-pool-fail", 0, VT_P_PROB, OFF(pool_fail), 0, 1, "P",
	    "probability that a non-waiting pool_get (amap, anon) fails", 0,
	    0 },
	{ "pagealloc-fail", 0, VT_P_PROB, OFF(pagealloc_fail), 0, 1, "P",
	    "probability that uvm_pagealloc fails (amap_cow_now restarts, "
	    "fault ENOMEM)", 0, 0 },
	{ "amap-fix", 0, VT_P_STR, OFF(fix), 0, 0, "LIST",
	    "candidate fixes of the findings, comma separated: alloc-null, "
	    "extend-wipe, swapoff-restart, cownow-restart, or none "
	    "(doc/amap.md; the amap scenarios default to cownow-restart)", 0,
	    0, NULL },
};

static const char *const amap_counter_names[] = {
#define VT_AMAP_COUNTER_NAME(f) #f,
	VT_AMAPSTATS(VT_AMAP_COUNTER_NAME)
#undef VT_AMAP_COUNTER_NAME
	"amaps_live", "anons_live", "pages_live", "swap_used",
	NULL
};

static const struct {
	const char	*name;
	uint32_t	bit;
} fix_names[] = {
	{ "alloc-null", VT_AMAP_FIX_ALLOC_NULL },
	{ "extend-wipe", VT_AMAP_FIX_EXTEND_WIPE },
	{ "swapoff-restart", VT_AMAP_FIX_SWAPOFF_RESTART },
	{ "cownow-restart", VT_AMAP_FIX_COWNOW_RESTART },
};

static int
amap_validate(struct vt_config *c, void *opts, char *err, size_t errlen)
{
	struct vt_amap_opts *o = opts;
	const char *s = o->fix;

	(void) c;
	o->fixes = 0;
	if (s != NULL && strcmp(s, "none") == 0)
		s = NULL;
	while (s != NULL && *s != '\0') {
		size_t n = strcspn(s, ",");
		bool found = false;

		for (size_t i = 0; i < sizeof (fix_names) /
		    sizeof (fix_names[0]); i++) {
			if (strlen(fix_names[i].name) == n &&
			    strncmp(fix_names[i].name, s, n) == 0) {
				o->fixes |= fix_names[i].bit;
				found = true;
			}
		}
		if (!found) {
			snprintf(err, errlen, "--amap-fix: unknown fix '%.*s' "
			    "(alloc-null, extend-wipe, swapoff-restart, "
			    "cownow-restart)",
			    (int)n, s);
			return (-1);
		}
		s += n;
		if (*s == ',')
			s++;
	}
	if ((uint64_t)o->procs * o->va_pages * 9 > vt_host_memory_budget()) {
		snprintf(err, errlen, "--amap-procs %u --amap-va-pages %u: the "
		    "beliefs need more memory than this machine can give",
		    o->procs, o->va_pages);
		return (-1);
	}
	return (0);
}

static int
amap_boot(const struct vt_config *c, char *err, size_t errlen)
{
	const struct vt_amap_opts *o = vt_amap_opts_c(c);

	(void) err;
	(void) errlen;
	vt_amap_init(vt_config_nworkers(c) + 1);
	vt_uvm_init(o->swap_slots);
	vt_uvm_faults.malloc_ppm = (uint32_t)llround(o->malloc_fail * 1e6);
	vt_uvm_faults.pool_ppm = (uint32_t)llround(o->pool_fail * 1e6);
	vt_uvm_faults.pagealloc_ppm = (uint32_t)llround(o->pagealloc_fail *
	    1e6);
	vt_amap_fixes = o->fixes;
	return (0);
}

static void
amap_fini_all(void)
{
	vt_uvm_fini();
	vt_amap_fini();
	memset(&vt_uvm_faults, 0, sizeof (vt_uvm_faults));
	vt_amap_fixes = 0;
}

static void
amap_stats(const struct vt_config *c, struct vt_report *r)
{
	uint64_t v[VT_AMAPSTAT_FIELDS];

	(void) c;
	vt_amapstats_sum(v);
	for (int i = 0; i < VT_AMAPSTAT_FIELDS; i++)
		vt_report_counter(r, "AMAP", vt_amapstat_names[i], v[i]);
	vt_report_counter(r, "AMAP", "amaps_live", VT_PEEK(vt_amap_live));
	vt_report_counter(r, "AMAP", "anons_live", VT_PEEK(vt_anon_live));
	vt_report_counter(r, "AMAP", "pages_live", VT_PEEK(vt_vm_pages_live));
	vt_report_counter(r, "AMAP", "swap_used", vt_swap_used());
}

static void
amap_brief(const struct vt_config *c, char *buf, size_t len)
{
	const struct vt_amap_opts *o = vt_amap_opts_c(c);

	snprintf(buf, len, "amap procs %u%s%s", o->procs, o->fixes ? " fix " :
	    "", o->fixes ? o->fix : "");
}

/*
 * A swap-off walks every amap and anon; a wipe-out every slot: the
 * allowance grows with the processes and their VA.
 */
static uint64_t
amap_steps_per_op(const struct vt_config *c)
{
	const struct vt_amap_opts *o = vt_amap_opts_c(c);

	return ((uint64_t)o->procs * (VT_MAP_MAXENT * 16 + 4 * o->va_pages) +
	    100000);
}

const struct vt_subsys_ops vt_subsys_amap = {
	.name = "amap",
	.desc = "NetBSD uvm_amap (2005): amaps, anons, ppref and swap-off "
	    "under forking, faulting, clipping processes on the x86 HAT",
	.params = amap_params,
	.nparams = sizeof (amap_params) / sizeof (amap_params[0]),
	.opts_size = sizeof (struct vt_amap_opts),
	.validate = amap_validate,
	.boot = amap_boot,
	.fini = amap_fini_all,
	.op_names = amap_op_names,
	.nops = VT_AMAP_NOPS,
	.op_base = &vt_amap_op_base,
	.checks = vt_amap_checks,
	.nchecks = VT_AMAP_NCHECKS,
	.audit = vt_amap_audit,
	.stats = amap_stats,
	.counter_names = amap_counter_names,
	.brief = amap_brief,
	.steps_per_op = amap_steps_per_op,
};

const struct vt_subsys_ops *const vt_amap_subsystems[] = {
	&vt_subsys_machine,
	&vt_subsys_hat,
	&vt_subsys_amap,
	NULL
};
