/*
 * vpm_subsys.c - the vpm subsystem table (vpm_subsys.h): options by the
 * seed's tunable names, boot and teardown of the page cache and the vpm
 * cache, VPM_DEBUG counters and page-cache counters, the vpm_mtx and
 * vpmq_mtx lock classes.
 *
 * Harness code (not ported).
 */
#include "vpm_subsys.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hat_subsys.h"
#include "../core/pagecache.h"
#include "../core/vpm.h"
#include "../locks/locktable.h"
#include "../stress/report.h"

uint32_t vt_vpm_op_base;

static const char *const vpm_op_names[VT_VPM_NOPS] = {
#define VT_VPM_OP_NAME(id, name) name,
	VT_VPM_OPS(VT_VPM_OP_NAME)
#undef VT_VPM_OP_NAME
};

const struct vt_check vt_vpm_checks[VT_VPM_NCHECKS] = {
#define VT_VPM_CHECK_ROW(id, name, desc) { name, desc },
	VT_VPM_CHECKS(VT_VPM_CHECK_ROW)
#undef VT_VPM_CHECK_ROW
};

#define OFF(f)	offsetof(struct vt_vpm_opts, f)

static const struct vt_param_choice fix_choices[] = {
	{ "none", VT_VPM_FIX_NONE },
	{ "signal", VT_VPM_FIX_SIGNAL },
	{ NULL, 0 },
};

static const struct vt_param vpm_params[] = {
	{ "vpm-cache-pages", 0, VT_P_U64, OFF(cache_pages), 0, 1 << 22, "N",
	    "vpmaps in the cache (0: vpm_cache_percent of memory, clamped to "
	    "VPMAP_MINCACHE..VPMAP_MAXCACHE)", VT_PF_SIZE, 0 },
	{ "vpm-cache-percent", 0, VT_P_U32, OFF(cache_percent), 1, 100, "P",
	    "vpm_cache_percent", 0, 12 },
	{ "vpm-nfreelist", 0, VT_P_U32, OFF(nfreelist), 0, 65536, "N",
	    "vpm_nfreelist (0: one per CPU; rounded up to a power of two; "
	    "above 2 x CPUs: the seed's warning and 2 x CPUs)", 0, 0 },
	{ "vpm-cache-enable", 0, VT_P_U32, OFF(cache_enable), 0, 2, "0|1|2",
	    "vpm_cache_enable (2: from the seed, odd seeds on)", 0, 1 },
	{ "steals-mtbf", 0, VT_P_U32, OFF(steals_mtbf), 0, 1 << 30, "N",
	    "VPM_MTBF steals_mtbf: force a steal every N+1 reuses (seed "
	    "DEBUG: 7; 0: off)", 0, 0 },
	{ "contend-mtbf", 0, VT_P_U32, OFF(contend_mtbf), 0, 1 << 30, "N",
	    "VPM_MTBF contend_mtbf: skip the p_vpmref fast path every N+1 "
	    "lookups (seed DEBUG: 127; 0: off)", 0, 0 },
	{ "vpm-fix", 0, VT_P_ENUM, OFF(fix), 0, 0, "NAME",
	    "candidate fix: none, or signal (free_vpmap wakes a sleeper on "
	    "every free, see doc/vpm.md)", 0, 0, "none", fix_choices },
	{ "vnodes", 0, VT_P_U32, OFF(vnodes), 1, 4096, "N",
	    "simulated files", 0, 4 },
	{ "file-pages", 0, VT_P_U32, OFF(file_pages), 1, 1 << 16, "N",
	    "pages per file", 0, 16 },
};

static const char *const vpm_counter_names[] = {
#define VT_VPM_CNAME(f) #f,
	VT_VPM_DEBUG_FIELDS(VT_VPM_CNAME)
#undef VT_VPM_CNAME
	"hits", "misses", "flips", "skips", "releq_busy",
	"PAGECACHE lookups, hits, waits, creates, create_races, getpages, "
	"reads, putpages, writebacks, reclaims, rel_clean/mod/notrel",
	NULL
};

static int
cache_on(const struct vt_config *c)
{
	const struct vt_vpm_opts *o = vt_vpm_opts_c(c);

	return (o->cache_enable == 2 ? (int)(c->seed & 1) :
	    (int)o->cache_enable);
}

static int
vpm_validate(struct vt_config *c, void *opts, char *err, size_t errlen)
{
	const struct vt_vpm_opts *o = opts;
	uint64_t need = (uint64_t)o->vnodes * o->file_pages * 2 * MMU_PAGESIZE;

	if (need > vt_host_memory_budget()) {
		snprintf(err, errlen, "--vnodes %u --file-pages %u: the files "
		    "need more memory than this machine can give", o->vnodes,
		    o->file_pages);
		return (-1);
	}
	if ((uint64_t)o->vnodes * o->file_pages >=
	    vt_machine_opts_c(c)->pages / 2) {
		snprintf(err, errlen, "--vnodes %u --file-pages %u: the files "
		    "need at most half of --pages %" PRIu64, o->vnodes,
		    o->file_pages, vt_machine_opts_c(c)->pages);
		return (-1);
	}
	return (0);
}

static int
vpm_boot(const struct vt_config *c, char *err, size_t errlen)
{
	const struct vt_vpm_opts *o = vt_vpm_opts_c(c);
	uint32_t nw = vt_config_nworkers(c);

	(void) err;
	(void) errlen;
	vt_pagecache_init();
	max_ncpus = nw > 0 ? (int)nw : 1;	/* one virtual CPU per worker */
	vpm_enable = 1;
	kpm_enable = 1;
	vpm_cache_enable = cache_on(c);
	vpm_cache_percent = o->cache_percent;
	vt_vpm_cache_pages = (long)o->cache_pages;
	vpm_nfreelist = (int)o->nfreelist;
	steals_mtbf = (int)o->steals_mtbf;
	contend_mtbf = (int)o->contend_mtbf;
	vt_vpm_fix_signal = o->fix == VT_VPM_FIX_SIGNAL;
	vpm_init();
	return (0);
}

static void
vpm_fini_all(void)
{
	vt_vpm_fini();
	vt_pagecache_fini();
}

static void
vpm_stats(const struct vt_config *c, struct vt_report *r)
{
	uint64_t hits, misses;

	(void) c;
#define VT_VPM_CREPORT(f) vt_report_counter(r, "VPM", #f, VT_PEEK(vpm_debug.f));
	VT_VPM_DEBUG_FIELDS(VT_VPM_CREPORT)
#undef VT_VPM_CREPORT
	vt_vpm_hits_misses(&hits, &misses);
	vt_report_counter(r, "VPM", "hits", hits);
	vt_report_counter(r, "VPM", "misses", misses);
	vt_report_counter(r, "VPM", "flips", VT_PEEK(vpm_debug.vt_flips));
	vt_report_counter(r, "VPM", "skips", VT_PEEK(vpm_debug.vt_skips));
	vt_report_counter(r, "VPM", "releq_busy",
	    VT_PEEK(vpm_debug.vt_releq_busy));
#define PCR(f) vt_report_counter(r, "PAGECACHE", #f, VT_PEEK(vt_pcstat.f))
	PCR(lookups);
	PCR(lookup_hits);
	PCR(lookup_waits);
	PCR(creates);
	PCR(create_races);
	PCR(getpages);
	PCR(getpage_reads);
	PCR(putpages);
	PCR(writebacks);
	PCR(reclaims);
	PCR(rel_clean);
	PCR(rel_mod);
	PCR(rel_notrel);
#undef PCR
}

/* Every vpm_mtx and vpmq_mtx (scattered classes).  World stopped. */
static void
vpm_lock_members(const struct vt_lock_class *cls, struct vt_lock_stats *s)
{
	for (long i = 0; vpmd_vpmap != NULL && i < vt_vpm_npages; i++)
		if (vpmd_vpmap[i].vpm_mtx.m_class == cls)
			vt_lockclass_add(s, &vpmd_vpmap[i].vpm_mtx);
	for (int i = 0; vpmd_free != NULL && i < vpm_nfreelist; i++)
		for (int q = 0; q < 2; q++)
			if (vpmd_free[i].vpm_freeq[q].vpmq_mtx.m_class == cls)
				vt_lockclass_add(s,
				    &vpmd_free[i].vpm_freeq[q].vpmq_mtx);
}

static void
vpm_brief(const struct vt_config *c, char *buf, size_t len)
{
	const struct vt_vpm_opts *o = vt_vpm_opts_c(c);

	if (!cache_on(c))
		snprintf(buf, len, "vpm cache off");
	else
		snprintf(buf, len, "vpm %" PRIu64 " pages%s, nfreelist %u%s",
		    o->cache_pages, o->cache_pages ? "" : " (percent)",
		    o->nfreelist, o->fix == VT_VPM_FIX_SIGNAL ?
		    ", fix signal" : "");
}

/* A get_free_vpmap may walk a whole queue and every freelist. */
static uint64_t
vpm_steps_per_op(const struct vt_config *c)
{
	const struct vt_vpm_opts *o = vt_vpm_opts_c(c);
	uint64_t n = o->cache_pages ? o->cache_pages : 16384;

	return (64 * n + 64 * (o->nfreelist + 64) + 4096);
}

const struct vt_subsys_ops vt_subsys_vpm = {
	.name = "vpm",
	.desc = "illumos vpm cache (vpm.c 2009): vpmaps on flipping alloc/"
	    "release freelists over a simulated page cache and vnodes with "
	    "data checks",
	.params = vpm_params,
	.nparams = sizeof (vpm_params) / sizeof (vpm_params[0]),
	.opts_size = sizeof (struct vt_vpm_opts),
	.validate = vpm_validate,
	.boot = vpm_boot,
	.fini = vpm_fini_all,
	.op_names = vpm_op_names,
	.nops = VT_VPM_NOPS,
	.op_base = &vt_vpm_op_base,
	.checks = vt_vpm_checks,
	.nchecks = VT_VPM_NCHECKS,
	.audit = vt_vpm_audit,
	.stats = vpm_stats,
	.counter_names = vpm_counter_names,
	.lock_members = vpm_lock_members,
	.brief = vpm_brief,
	.steps_per_op = vpm_steps_per_op,
};

const struct vt_subsys_ops *const vt_vpm_subsystems[] = {
	&vt_subsys_machine,
	&vt_subsys_hat,
	&vt_subsys_vpm,
	NULL
};
