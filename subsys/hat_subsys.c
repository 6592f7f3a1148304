/*
 * hat_subsys.c - the HAT subsystem table (hat_subsys.h): its options by
 * kernel tunable name, boot and teardown of hment/htable/hat_i86 and the
 * simulated MMU, HATSTAT and MMU counters, the scattered lock classes,
 * and the mmu role any HAT scenario offers.
 *
 * Harness code (not ported).
 */
#include "hat_subsys.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hat_audit.h"
#include "../core/hat.h"
#include "../core/hment.h"
#include "../core/htable.h"
#include "../core/mmu.h"
#include "../core/page.h"
#include "../core/sys.h"
#include "../locks/kmutex.h"
#include "../locks/locktable.h"
#include "../stress/report.h"

uint32_t vt_hat_op_base;

static const char *const hat_op_names[VT_HAT_NOPS] = {
#define VT_HAT_OP_NAME(id, name) name,
	VT_HAT_OPS(VT_HAT_OP_NAME)
#undef VT_HAT_OP_NAME
};

#define OFF(f)	offsetof(struct vt_hat_opts, f)

static const struct vt_param_choice hrev_choices[] = {
	{ "avl|2007", HMENT_REV_2007_AVL },
	{ "chain|2006", HMENT_REV_2006_CHAIN },
	{ NULL, 0 },
};

/* Candidate fixes of the README's findings (core/hat.h VT_HAT_FIX_*). */
static const struct vt_param_choice hfix_choices[] = {
	{ "none", 0 },
	{ "hment-steal-victim", VT_HAT_FIX_HMENT_STEAL_VICTIM },
	{ NULL, 0 },
};

/* htable_lookup's bucket walk (core/htable_rcu.c). */
static const struct vt_param_choice hlookup_choices[] = {
	{ "mutex", 0 },
	{ "rcu", 1 },
	{ NULL, 0 },
};

/* The HAT caches' slabs through the kernel hat (core/segkmem.h). */
static const struct vt_param_choice segkmem_choices[] = {
	{ "off", 0 },
	{ "on", 1 },
	{ NULL, 0 },
};

static const struct vt_param hat_params[] = {
	/*
	 * "auto": the revision's own MLIST_NUM_LOCK/HASH_NUM_LOCK (2048 for
	 * the 2007 hment.c, 256 for 2006); a given size must be a power of
	 * two (hat_validate: the auto flag needs the 64-bit kind).
	 */
	{ "mlist-locks", 0, VT_P_U64, OFF(mlist_locks), 1, 1 << 20, "N",
	    "mlist_lock table size (MLIST_NUM_LOCK), power of two; auto: "
	    "2048 (avl) or 256 (chain); page: one lock per page",
	    VT_PF_SIZE | VT_PF_AUTO | VT_PF_PAGE, 0, "auto" },
	{ "hash-locks", 0, VT_P_U64, OFF(hash_locks), 1, 1 << 20, "N",
	    "hash_lock table size (HASH_NUM_LOCK), power of two; auto: "
	    "2048 (avl) or 256 (chain)", VT_PF_SIZE | VT_PF_AUTO, 0, "auto" },
	{ "htable-locks", 0, VT_P_POW2, OFF(htable_locks), 1, 1 << 20, "N",
	    "htable_mutex table size (NUM_HTABLE_MUTEX), power of two", VT_PF_SIZE,
	    VT_HAT_DEF_HTABLE_LOCKS },
	{ "hment-hash", 0, VT_P_ENUM, OFF(hment_rev), 0, 0, "REV",
	    "hment.c revision: avl (2007) or chain (2006)", 0, 0, "avl",
	    hrev_choices },
	{ "hment-hash-size", 0, VT_P_POW2, OFF(hment_hash_size), 1, 1 << 24,
	    "N", "hment hash buckets (HMENT_HASH_SIZE), power of two", VT_PF_SIZE,
	    VT_HAT_DEF_HMENT_HASH_SIZE },
	{ "kmem-fail", 0, VT_P_PROB, OFF(kmem_fail), 0, 1, "P",
	    "probability that a KM_NOSLEEP hment/htable allocation fails", 0,
	    0 },
	{ "kmem-budget", 0, VT_P_U64, OFF(kmem_budget), 0, 1e18, "N",
	    "fail KM_NOSLEEP hment allocations beyond N outstanding (0: none)",
	    0, 0 },
	{ "hment-reserve-amount", 0, VT_P_U32, OFF(hment_reserve_amount), 0,
	    1 << 20, "N", "hment_reserve_amount", 0, VT_HAT_DEF_HMENT_RESERVE },
	{ "htable-reserve-amount", 0, VT_P_U32, OFF(htable_reserve_amount), 0,
	    1 << 20, "N", "htable_reserve_amount (0 forces stealing)", 0,
	    VT_HAT_DEF_HTABLE_RESERVE },
	{ "htable-steal-passes", 0, VT_P_U32, OFF(htable_steal_passes), 0,
	    1000, "N", "htable_steal_passes", 0, VT_HAT_DEF_STEAL_PASSES },
	{ "force-steal", 0, VT_P_U64, OFF(force_steal), 0, 1e18, "N",
	    "force_steal", 0, 0 },
	{ "hats", 0, VT_P_U32, OFF(hats), 1, 4096, "N",
	    "address spaces (hats) the scenario creates", 0, 4 },
	{ "shared-pages", 0, VT_P_U32, OFF(shared_pages), 0, 1 << 20, "N",
	    "\"library\" data pages shared by the hats", 0, 64 },
	{ "va-slots", 0, VT_P_U32, OFF(va_slots), 1, 1 << 20, "N",
	    "pages of VA per worker per hat", 0, 256 },
	{ "hat-fix", 0, VT_P_ENUM, OFF(hat_fix), 0, 0, "FIX",
	    "candidate fix of a known finding: none, or hment-steal-victim "
	    "(hment_steal pins its victim's hat with HAT_VICTIM)", 0, 0,
	    "none", hfix_choices },
	{ "htable-lookup", 0, VT_P_ENUM, OFF(htable_lookup), 0, 0, "HOW",
	    "htable_lookup's bucket walk: mutex (the kernel's) or rcu (an RCU "
	    "read section; free mode only)", 0, 0, "mutex", hlookup_choices },
	{ "segkmem", 0, VT_P_ENUM, OFF(segkmem), 0, 0, "ON",
	    "hment/htable caches grow slabs mapped into the kernel hat "
	    "(HAT recursion, reserves, kernel mappings): off or on", 0, 0,
	    "off", segkmem_choices },
	{ "vmodsort", 0, VT_P_ENUM, OFF(vmodsort), 0, 0, "ON",
	    "library pages belong to a VMODSORT vnode: loads set P_MOD first, "
	    "the page daemon trusts P_MOD and write-protects on write-back "
	    "(hati_page_clrwrt): off or on", 0, 0, "off", segkmem_choices },
};

static const char *const hat_counter_names[] = {
#define VT_HAT_COUNTER_NAME(f) #f,
	VT_HATSTATS(VT_HAT_COUNTER_NAME)
	VT_HATSTATS_PORT(VT_HAT_COUNTER_NAME)
#undef VT_HAT_COUNTER_NAME
	"mmu_walks (with --mmu)",
	"mmu_faults",
	"mmu_cas_retries",
	"tlb_walks",
	"tlb_hits",
	"tlb_fills",
	"tlb_flushed",
	"tlb_shootdowns",
	"tlb_stale_writes",
	"writebacks",
	NULL
};

/*
 * The roles every HAT scenario offers: the simulated CPU (hardware, so
 * not counted in --threads) and the kernel's file-cache mappings.
 */
static const struct vt_role hat_roles[] = {
	{ .name = "mmu",
	  .desc = "simulated CPU: load a hat, access its VAs through a TLB, "
	    "walking the page tables without locks on a miss (REF/MOD by "
	    "CAS), go idle",
	  .weight = 0, .min_count = 0, .extra = true, .op = vt_mmu_op },
	{ .name = "kmapper",
	  .desc = "segmap's part: map library pages into the kernel hat at its "
	    "own kernel VAs and unmap them (kernel hments on user pages' "
	    "lists, kernel shootdowns)",
	  .weight = 0, .min_count = 0, .extra = false, .op = vt_kmapper_op,
	  .worker_init = vt_kmapper_init, .worker_fini = vt_kmapper_fini },
};
static const struct vt_role *const mmu_role = &hat_roles[0];

static int
hat_validate(struct vt_config *c, void *opts, char *err, size_t errlen)
{
	const struct vt_hat_opts *o = opts;
	int r = vt_config_role_index(c, mmu_role->name);
	uint64_t need;

	/*
	 * Each mapper keeps a belief per (hat, slot): the workload's memory
	 * grows as workers x hats x slots (counted for every worker, a bound).
	 */
	if (__builtin_mul_overflow((uint64_t)vt_config_nworkers(c) *
	    o->hats, (uint64_t)o->va_slots * sizeof (uint64_t), &need) ||
	    need > vt_host_memory_budget()) {
		snprintf(err, errlen, "--hats %u --va-slots %u with %u workers: "
		    "the mappers' slot tables need more memory than this "
		    "machine can give (%" PRIu64 " MiB)", o->hats, o->va_slots,
		    vt_config_nworkers(c), vt_host_memory_budget() >> 20);
		return (-1);
	}

	if (o->mlist_locks != VT_PARAM_AUTO && o->mlist_locks != VT_PARAM_PAGE &&
	    (o->mlist_locks & (o->mlist_locks - 1)) != 0) {
		snprintf(err, errlen, "--mlist-locks %" PRIu64 ": not a power "
		    "of two", o->mlist_locks);
		return (-1);
	}
	if (o->hash_locks != VT_PARAM_AUTO &&
	    (o->hash_locks & (o->hash_locks - 1)) != 0) {
		snprintf(err, errlen, "--hash-locks %" PRIu64 ": not a power "
		    "of two", o->hash_locks);
		return (-1);
	}

	/*
	 * A grace period waits for every reader; with all workers on one OS
	 * thread, a fiber parked inside a read section would never let one end.
	 */
	if (o->htable_lookup != 0 && c->sched != VT_SCHED_FREE) {
		snprintf(err, errlen, "--htable-lookup rcu needs --sched free "
		    "(the controlled scheduler does not model RCU grace "
		    "periods)");
		return (-1);
	}
	if (o->segkmem != 0 &&
	    o->htable_reserve_amount < VT_SEGKMEM_MIN_HT_RESERVE) {
		snprintf(err, errlen, "--segkmem on needs --htable-reserve-amount "
		    ">= %u (a nested kernel load may use only the reserve; "
		    "got %u)", VT_SEGKMEM_MIN_HT_RESERVE,
		    o->htable_reserve_amount);
		return (-1);
	}
	if (r >= 0 && c->role_override[r] > (int32_t)VT_MMU_MAXCPUS) {
		snprintf(err, errlen, "--%s %d: at most %u simulated CPUs",
		    mmu_role->name, c->role_override[r], VT_MMU_MAXCPUS);
		return (-1);
	}
	return (0);
}

static int
hat_boot(const struct vt_config *c, char *err, size_t errlen)
{
	const struct vt_hat_opts *o = vt_hat_opts_c(c);
	struct vt_hat_params hp;
	uint32_t ppm, ncpus = vt_config_role_count(c, mmu_role->name);

	vt_hatstats_init(vt_config_nworkers(c) + 1);
	hat_params_default(&hp);
	hp.hment_rev = o->hment_rev;
	hat_params_rev_locks(&hp);	/* "auto": the revision's own sizes */
	if (o->mlist_locks == VT_PARAM_PAGE)
		hp.mlist_locks = VT_HAT_MLIST_PER_PAGE;
	else if (o->mlist_locks != VT_PARAM_AUTO)
		hp.mlist_locks = (uint32_t)o->mlist_locks;
	if (o->hash_locks != VT_PARAM_AUTO)
		hp.hash_locks = (uint32_t)o->hash_locks;
	hp.htable_locks = o->htable_locks;
	hp.hment_hash_size = o->hment_hash_size;
	hp.hment_reserve_amount = o->hment_reserve_amount;
	hp.htable_reserve_amount = o->htable_reserve_amount;
	hp.htable_steal_passes = o->htable_steal_passes;
	hp.force_steal = (ulong_t)o->force_steal;
	vt_htable_rcu = o->htable_lookup;	/* before any table is hashed */
	vt_segkmem = o->segkmem;		/* before the caches are created */
	hat_init(&hp);
	if (vt_segkmem)
		segkmem_init();		/* the boot reserves' slabs, in kas */
	vt_hat_fix = (uint_t)o->hat_fix;

	/* Fault policy: KM_NOSLEEP failures on both HAT caches. */
	ppm = (uint32_t)llround(o->kmem_fail * 1e6);
	if (hment_cache != NULL)
		vt_kmem_set_fault(hment_cache, ppm, o->kmem_budget);
	if (htable_cache != NULL)
		vt_kmem_set_fault(htable_cache, ppm, 0);
	if (ncpus > 0)
		vt_mmu_init(ncpus);
	return (0);
}

static void
hat_fini_all(void)
{
	if (vt_mmu_ncpus() > 0)
		vt_mmu_fini();
	hat_fini();
}

static void
hat_stats(const struct vt_config *c, struct vt_report *r)
{
	struct hatstats hs;

	if (c->hash_spread)
		vt_hat_spread(r);
	memset(&hs, 0, sizeof (hs));
	vt_hatstats_sum(&hs);
	for (int i = 0; i < VT_HATSTAT_FIELDS; i++)
		vt_report_counter(r, "HATSTAT", vt_hatstat_fields[i].name,
		    *(const ulong_t *)(const void *)((const char *)&hs +
		    vt_hatstat_fields[i].off));
	if (vt_config_role_count(c, mmu_role->name) > 0) {
		struct vt_mmu_stats ms;

		memset(&ms, 0, sizeof (ms));
		vt_mmu_stats(&ms);
		vt_report_counter(r, "MMU", "mmu_walks", ms.walks);
		vt_report_counter(r, "MMU", "mmu_faults", ms.faults);
		vt_report_counter(r, "MMU", "mmu_cas_retries", ms.cas_retries);
		vt_report_counter(r, "MMU", "tlb_walks", ms.tlb_walks);
		vt_report_counter(r, "MMU", "tlb_hits", ms.tlb_hits);
		vt_report_counter(r, "MMU", "tlb_fills", ms.tlb_fills);
		vt_report_counter(r, "MMU", "tlb_flushed", ms.tlb_flushed);
		vt_report_counter(r, "MMU", "tlb_shootdowns",
		    ms.tlb_shootdowns);
		vt_report_counter(r, "MMU", "tlb_stale_writes",
		    ms.tlb_stale_writes);
		vt_report_counter(r, "MMU", "writebacks", ms.writebacks);
	}
}

/* Singleton mutexes of the port that live outside any table. */
static const kmutex_t *
known_mutex(int i)
{
	switch (i) {
	case 0:	return (&hat_list_lock);
	case 1:	return (&hment_reserve_mutex);
	case 2:	return (&htable_reserve_mutex);
	case 3:	return (&htable_rcu_mutex);
	default: return (NULL);
	}
}

/* Every hat's hat_mutex and the port's global singletons.  World stopped. */
static void
hat_lock_members(const struct vt_lock_class *cls, struct vt_lock_stats *s)
{
	const kmutex_t *m;
	hat_t *hat;

	for (int i = 0; (m = known_mutex(i)) != NULL; i++)
		if (m->m_class == cls)
			vt_lockclass_add(s, m);
	if (kas.a_hat != NULL && kas.a_hat->hat_mutex.m_class == cls)
		vt_lockclass_add(s, &kas.a_hat->hat_mutex);
	for (hat = vt_hat_first(); hat != NULL; hat = vt_hat_next(hat))
		if (hat != kas.a_hat && hat->hat_mutex.m_class == cls)
			vt_lockclass_add(s, &hat->hat_mutex);
}

static void
hat_brief(const struct vt_config *c, char *buf, size_t len)
{
	snprintf(buf, len, "hment %s", vt_hat_opts_c(c)->hment_rev ==
	    HMENT_REV_2006_CHAIN ? "chain" : "avl");
}

/*
 * An operation can scan pages (hment_steal's rotor, a racy point per
 * page), so the allowance grows with --pages: one point per page, 16x the
 * measured worst (hment-steal, ~4100 points per operation at 65536 pages).
 */
static uint64_t
hat_steps_per_op(const struct vt_config *c)
{
	return (vt_machine_opts_c(c)->pages);
}

const struct vt_subsys_ops vt_subsys_hat = {
	.name = "hat",
	.desc = "illumos x86 HAT: hment mapping lists (2007 AVL / 2006 chain), "
	    "htable page tables with reserves and stealing, hat_i86 glue, "
	    "simulated MMU walkers",
	.params = hat_params,
	.nparams = sizeof (hat_params) / sizeof (hat_params[0]),
	.opts_size = sizeof (struct vt_hat_opts),
	.validate = hat_validate,
	.boot = hat_boot,
	.fini = hat_fini_all,
	.roles = hat_roles,
	.nroles = sizeof (hat_roles) / sizeof (hat_roles[0]),
	.op_names = hat_op_names,
	.nops = VT_HAT_NOPS,
	.op_base = &vt_hat_op_base,
	.checks = vt_hat_checks,
	.nchecks = VT_HAT_NCHECKS,
	.audit = vt_hat_audit,
	.stats = hat_stats,
	.counter_names = hat_counter_names,
	.lock_members = hat_lock_members,
	.brief = hat_brief,
	.steps_per_op = hat_steps_per_op,
};

const struct vt_subsys_ops *const vt_hat_subsystems[] = {
	&vt_subsys_machine,
	&vt_subsys_hat,
	NULL
};
