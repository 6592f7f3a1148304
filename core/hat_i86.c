/*
 * hat_i86.c - the parts of illumos i86pc/vm/hat_i86.c (2014, the companion
 * of the 2015 htable.c seed) that drive the hment and htable code: boot
 * (mmu_init, hat_init), hat creation and destruction, the load path
 * (hat_memload -> hati_load_common -> hati_pte_map), the unload paths
 * (hat_unload -> hat_unload_callback -> hat_pte_unmap, hat_pageunload ->
 * hati_pageunload -> hati_page_unmap), ISM sharing (hat_share/hat_unshare)
 * and the TLB shootdown (hat_tlb_inval), here a cross-call to the simulated
 * CPUs of mmu.c.  Written anew from the digest §2-§3; function names,
 * retry loops, lock order and re-checks follow the kernel's.
 *
 * Left out as a whole:
 *   PORT: Xen, i386/PAE and VLP (32-bit process) hats; TOP_LEVEL is always
 *         mmu.max_level.
 *   PORT: the kmap segment (hat_kmap_load/hat_kmap_unload): no segmap.
 *   PORT: hat_devload, hat_memload_array, attribute/sync/probe entry points
 *         nobody drives; vt_hat_memload_large stands in for the large-page
 *         level choice of hat_memload_array.
 *   PORT: the kernel part of user address spaces: hat_alloc copies no
 *         kernel top-level entries, and user addresses end at the VA hole.
 *
 * Lock order (digest §3.2, doc/LOCKING.md): AS lock -> page lock -> mlist
 * lock -> htable bucket mutex -> hment hash lock.  hat_list_lock is held
 * alone; hat_mutex is a leaf.  Nothing allocates under an mlist or bucket
 * lock: hment_free runs after x86_hm_exit.
 */
#include "hat.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "hat_pte.h"
#include "hment.h"
#include "htable.h"
#include "mmu.h"
#include "page.h"
#include "../base/inject.h"
#include "../locks/locktable.h"

/* Flags and attributes the digest lists that hat.h does not need. */
#ifndef HAT_MERGING_OK
#define HAT_MERGING_OK		0x0200
#endif
#ifndef HAT_LOADCACHING_OK
#define HAT_LOADCACHING_OK	0x0300
#endif

#define IS_PAGEALIGNED(a)	(((uintptr_t)(a) & MMU_PAGEOFFSET) == 0)

/* Basic parameters of the simulated MMU (mmu_init). */
struct hat_mmu_info mmu;

/*
 * PORT: user address spaces are the lower half only (below the VA hole);
 * htable.c's walks stop at the same place.  Set by mmu_init.
 */
uintptr_t kernelbase;
uintptr_t _userlimit;

/* The kernel's address space; kas.a_hat anchors the list of user hats. */
struct as kas;

/*
 * hat_list_lock protects every hat's hat_next/hat_prev, setting and clearing
 * HAT_VICTIM and setting HAT_FREEING.  hat_list_cv is broadcast when a
 * HAT_VICTIM flag is cleared (htable_steal); hat_free_start waits on it.
 */
kmutex_t	hat_list_lock;
kcondvar_t	hat_list_cv;

/*
 * The 2006 reserve ownership (hment revision 2006 only): hat_reserves_lock
 * serialises taking and giving up hat_reserves_thread (hment.c), and
 * hat_reserves_cv is broadcast when it is given up.
 */
kmutex_t	hat_reserves_lock;
kcondvar_t	hat_reserves_cv;
static struct vt_lock_class *hat_reserves_class; /* "hat_reserves_lock" */

uint_t use_boot_reserve = 1;	/* boot only (hat_init); racy reads */
uint_t can_steal_post_boot = 0;	/* set by the first hat_alloc */

struct hatstats *vt_hatstats;
uint32_t vt_hatstats_n;

uint_t vt_hat_fix = 0;		/* VT_HAT_FIX_*; set at boot (--hat-fix) */

static kmem_cache_t *hat_cache;		/* hat_t */
static kmem_cache_t *hat_hash_cache;	/* hat_ht_hash arrays */
static struct vt_lock_class *hat_list_class;	/* "hat_list_lock" */
static struct vt_lock_class *hat_mutex_class;	/* "hat_mutex", scattered */
static uint32_t vt_hat_ids;		/* last user hat id handed out; atomics */

/* ------------------------------------------------------------------ */
/* Statistics                                                          */
/* ------------------------------------------------------------------ */

#define HS_FIELD(f)	{ #f, offsetof(struct hatstats, f) },
const struct vt_hatstat_field vt_hatstat_fields[VT_HATSTAT_FIELDS] = {
	VT_HATSTATS(HS_FIELD)
	VT_HATSTATS_PORT(HS_FIELD)
};
#undef HS_FIELD

/*
 * One counter set per kthread id: nthreads workers (ids 1..nthreads) plus
 * the boot thread (id 0).  Counts already made (boot) are kept.  Setup
 * only (no workers running).
 */
void
vt_hatstats_init(uint32_t nthreads)
{
	uint32_t n = nthreads + 1;
	struct hatstats *hs;

	if (vt_hatstats != NULL && n <= vt_hatstats_n)
		return;
	hs = aligned_alloc(_Alignof(struct hatstats), n * sizeof (*hs));
	if (hs == NULL)
		panic("vt_hatstats_init: out of host memory");
	memset(hs, 0, n * sizeof (*hs));
	if (vt_hatstats != NULL) {
		memcpy(hs, vt_hatstats, vt_hatstats_n * sizeof (*hs));
		free(vt_hatstats);
	}
	vt_hatstats = hs;
	vt_hatstats_n = n;
}

/* Sum every thread's counters (workers stopped or world stopped). */
void
vt_hatstats_sum(struct hatstats *out)
{
	uint32_t i, f;

	memset(out, 0, sizeof (*out));
	for (i = 0; i < vt_hatstats_n; i++) {
		for (f = 0; f < VT_HATSTAT_FIELDS; f++) {
			*(ulong_t *)((char *)out + vt_hatstat_fields[f].off) +=
			    *(const ulong_t *)((const char *)&vt_hatstats[i] +
			    vt_hatstat_fields[f].off);
		}
	}
}

/* ------------------------------------------------------------------ */
/* hat_enter / hat_exit                                                */
/* ------------------------------------------------------------------ */

/* Port of hat_enter() (hat_i86.c 2014).  Takes hat_mutex (a leaf). */
void
hat_enter(hat_t *hat)
{
	mutex_enter(&hat->hat_mutex);
}

/* Port of hat_exit() (hat_i86.c 2014).  Drops hat_mutex. */
void
hat_exit(hat_t *hat)
{
	mutex_exit(&hat->hat_mutex);
}

/* ------------------------------------------------------------------ */
/* Boot                                                                */
/* ------------------------------------------------------------------ */

/*
 * Port of mmu_init() (hat_i86.c 2014), amd64 only.  No locks (boot).
 * PORT: the CPU's features are fixed: 48-bit virtual addresses, NX, PGE
 * and PAT present, 2 MiB pages but no 1 GiB pages (max_page_level 1).
 * physmax (the highest pfn) is passed in.
 */
void
mmu_init(uint64_t physmax)
{
	uint_t max_htables;
	uint_t va_bits = 48;
	uint_t pa_bits = 52;
	uint_t i;

	memset(&mmu, 0, sizeof (mmu));
	mmu.pt_global = PT_GLOBAL;
	mmu.pae_hat = 1;
	mmu.pt_nx = PT_NX;

	/* The non-canonical hole between the two halves of the VA space. */
	mmu.hole_start = (uintptr_t)1 << (va_bits - 1);
	mmu.hole_end = (uintptr_t)0 - mmu.hole_start - 1;
	mmu.highest_pfn = mmu_btop(((uint64_t)1 << pa_bits) - 1);
	mmu.pte_size = 8;
	mmu.pte_size_shift = 3;

	mmu.num_level = 4;
	mmu.max_level = 3;
	mmu.ptes_per_table = 512;
	mmu.top_level_count = 512;
	mmu.level_shift[0] = 12;
	mmu.level_shift[1] = 21;
	mmu.level_shift[2] = 30;
	mmu.level_shift[3] = 39;
	for (i = 0; i < mmu.num_level; ++i) {
		mmu.level_size[i] = (uintptr_t)1 << mmu.level_shift[i];
		mmu.level_offset[i] = mmu.level_size[i] - 1;
		mmu.level_mask[i] = ~mmu.level_offset[i];
	}

	/* set_max_page_level(): large pages yes, 1 GiB pages no. */
	mmu.max_page_level = 1;
	mmu.umax_page_level = 1;

	for (i = 0; i <= mmu.max_page_level; ++i) {
		mmu.pte_bits[i] = PT_VALID;
		if (i > 0)
			mmu.pte_bits[i] |= PT_PAGESIZE;
	}
	for (i = 1; i < mmu.num_level; ++i)
		mmu.ptp_bits[i] = PT_PTPBITS;

	/*
	 * Hash buckets per hat: a page's worth of pointers, fewer when memory
	 * is small, more (for 64-bit hats) when it is large.
	 */
	max_htables = (uint_t)(physmax / mmu.ptes_per_table);
	mmu.hash_cnt = MMU_PAGESIZE / sizeof (htable_t *);
	while (mmu.hash_cnt > 16 && mmu.hash_cnt >= max_htables)
		mmu.hash_cnt >>= 1;
	mmu.vlp_hash_cnt = mmu.hash_cnt;
	while (mmu.hash_cnt * 4 < max_htables)
		mmu.hash_cnt <<= 1;

	kernelbase = mmu.hole_start;
	_userlimit = kernelbase;
}

/* Harness: the default tunables, one place for every caller. */
void
hat_params_default(struct vt_hat_params *p)
{
	memset(p, 0, sizeof (*p));
	p->mlist_locks = VT_HAT_DEF_MLIST_LOCKS;
	p->hash_locks = VT_HAT_DEF_HASH_LOCKS;
	p->htable_locks = VT_HAT_DEF_HTABLE_LOCKS;
	p->hment_hash_size = VT_HAT_DEF_HMENT_HASH_SIZE;
	p->hment_rev = HMENT_REV_2007_AVL;
	p->hment_reserve_amount = VT_HAT_DEF_HMENT_RESERVE;
	p->htable_reserve_amount = VT_HAT_DEF_HTABLE_RESERVE;
	p->htable_steal_passes = VT_HAT_DEF_STEAL_PASSES;
	p->force_steal = 0;
}

/*
 * Harness: the lock table sizes of the hment.c revision p->hment_rev names
 * (MLIST_NUM_LOCK and HASH_NUM_LOCK are 2048 in 2007, 256 in 2006).
 */
void
hat_params_rev_locks(struct vt_hat_params *p)
{
	if (p->hment_rev == HMENT_REV_2006_CHAIN) {
		p->mlist_locks = VT_HAT_DEF_MLIST_LOCKS_2006;
		p->hash_locks = VT_HAT_DEF_HASH_LOCKS_2006;
	} else {
		p->mlist_locks = VT_HAT_DEF_MLIST_LOCKS;
		p->hash_locks = VT_HAT_DEF_HASH_LOCKS;
	}
}

/*
 * Port of hat_init() + hat_kern_alloc() + hat_init_finish() (hat_i86.c
 * 2014).  Boot: one thread, no workers.  Takes kas.a_lock as writer while
 * the kernel hat is installed.
 *
 * PORT: the kernel's top-level table is created with htable_create instead
 * of being adopted from the boot loader (htable_attach), and there are no
 * kernel ranges to pre-fill for user hats.
 */
void
hat_init(const struct vt_hat_params *p)
{
	hat_t *khat;
	uint_t table_cnt, mapping_cnt;

	VERIFY(pages != NULL);			/* vt_machine_init first */
	VERIFY(hat_cache == NULL);		/* not booted yet */
	if (vt_hatstats == NULL)
		vt_hatstats_init(0);
	else
		memset(vt_hatstats, 0, vt_hatstats_n * sizeof (*vt_hatstats));

	mmu_init(vt_npages - 1);
	use_boot_reserve = 1;
	can_steal_post_boot = 0;
	vt_hat_ids = 0;

	hat_list_class = vt_lockclass_create("hat_list_lock");
	vt_mutex_init_class(&hat_list_lock, hat_list_class, 0);
	cv_init(&hat_list_cv, NULL, CV_DEFAULT, NULL);
	hat_mutex_class = vt_lockclass_create("hat_mutex");
	hat_reserves_class = vt_lockclass_create("hat_reserves_lock");
	vt_mutex_init_class(&hat_reserves_lock, hat_reserves_class, 0);
	cv_init(&hat_reserves_cv, NULL, CV_DEFAULT, NULL);
	VT_POKE(hat_reserves_thread, NULL);

	htable_init(p->htable_locks);
	hment_init(p->hment_rev, p->hment_hash_size, p->mlist_locks,
	    p->hash_locks);

	hat_cache = kmem_cache_create("hat_t", sizeof (hat_t), 0, NULL, NULL,
	    NULL, NULL, NULL, 0);
	hat_hash_cache = kmem_cache_create("HatHash",
	    mmu.hash_cnt * sizeof (htable_t *), 0, NULL, NULL, NULL, NULL,
	    NULL, 0);

	/* Tunables (kernel names), from the command line. */
	hment_reserve_amount = p->hment_reserve_amount;
	htable_reserve_amount = p->htable_reserve_amount;
	htable_steal_passes = p->htable_steal_passes;
	force_steal = p->force_steal;

	/* The kernel hat: id 0, not on the list, its anchor. */
	rw_init(&kas.a_lock, NULL, 0, NULL);
	kas.a_id = 0;
	rw_enter(&kas.a_lock, RW_WRITER);
	khat = kmem_cache_alloc(hat_cache, KM_SLEEP);
	memset(khat, 0, sizeof (*khat));
	khat->hat_id = 0;
	vt_mutex_init_class(&khat->hat_mutex, hat_mutex_class, 0);
	khat->hat_as = &kas;
	khat->hat_next = NULL;
	khat->hat_prev = NULL;
	khat->hat_num_hash = mmu.hash_cnt;
	khat->hat_ht_hash = kmem_cache_alloc(hat_hash_cache, KM_SLEEP);
	memset(khat->hat_ht_hash, 0, mmu.hash_cnt * sizeof (htable_t *));
	khat->hat_ht_cached = NULL;
	khat->hat_rcu_pending = 0;
	khat->hat_htable = NULL;
	kas.a_hat = khat;
	rw_exit(&kas.a_lock);

	/*
	 * hat_kern_alloc(): the initial reserves.  Our kernel needs only its
	 * top table (plus the kernel's 1/4 slop); hments for 1/16 of the
	 * entries those tables could hold.
	 */
	table_cnt = 1;
	table_cnt += table_cnt >> 2;
	mapping_cnt = (table_cnt * mmu.ptes_per_table) >> 4;
	htable_initial_reserve(table_cnt);
	hment_reserve(mapping_cnt);

	/* The kernel's top-level page table (from the boot reserve). */
	khat->hat_htable = htable_create(khat, 0, TOP_LEVEL(khat), NULL);

	/*
	 * hat_init_finish(): boot is over; the reserves are for recursion
	 * only from here on, and the boot surplus goes back.
	 */
	VT_RACY_STORE(use_boot_reserve, 0);
	htable_adjust_reserve();
}

/*
 * Undo hat_init so the machine can boot again (tests, repeated runs).  No
 * workers running.  User hats still on the list are freed here.  PORT: no
 * kernel counterpart; the kernel hat is torn down like a freed user hat.
 */
void
hat_fini(void)
{
	hat_t *hat, *khat = kas.a_hat;

	if (khat == NULL)
		return;
	/* --segkmem on: the slab pages leave kas while the HAT still works. */
	segkmem_fini();
	while ((hat = khat->hat_next) != NULL) {
		VT_RACY_STORE(hat->hat_flags,
		    (uint16_t)(VT_RACY_LOAD(hat->hat_flags) | HAT_FREEING));
		hat_free_end(hat);
	}
	VT_RACY_STORE(khat->hat_flags,
	    (uint16_t)(VT_RACY_LOAD(khat->hat_flags) | HAT_FREEING));
	htable_purge_hat(khat);
	kmem_cache_free(hat_hash_cache, khat->hat_ht_hash);
	mutex_destroy(&khat->hat_mutex);
	kmem_cache_free(hat_cache, khat);
	kas.a_hat = NULL;
	rw_destroy(&kas.a_lock);

	hment_fini();
	htable_fini();
	kmem_cache_destroy(hat_hash_cache);
	kmem_cache_destroy(hat_cache);
	hat_hash_cache = NULL;
	hat_cache = NULL;
	cv_destroy(&hat_list_cv);
	mutex_destroy(&hat_list_lock);
	cv_destroy(&hat_reserves_cv);
	mutex_destroy(&hat_reserves_lock);
	use_boot_reserve = 1;
	can_steal_post_boot = 0;
	vt_hat_fix = 0;
}

/* ------------------------------------------------------------------ */
/* hat creation and destruction                                        */
/* ------------------------------------------------------------------ */

/*
 * Port of hat_alloc() (hat_i86.c 2014).  as->a_lock held as writer.  Takes
 * and drops hat_list_lock to put the hat at the head of the list.
 * PORT: the hat gets an id (hat_id, from a counter) that stands in for its
 * address in HTABLE_HASH; no VLP hats; no kernel entries are copied into
 * the new top table (user and kernel address spaces do not overlap here).
 */
hat_t *
hat_alloc(struct as *as)
{
	hat_t *hat;
	htable_t *ht;

	/* The first user hat opens up the steal paths. */
	if (VT_RACY_LOAD(can_steal_post_boot) == 0)
		VT_RACY_STORE(can_steal_post_boot, 1);

	ASSERT(rw_write_held(&as->a_lock));
	hat = kmem_cache_alloc(hat_cache, KM_SLEEP);
	/* What the kernel's hati_constructor sets up. */
	memset(hat, 0, sizeof (*hat));
	hat->hat_as = as;
	hat->hat_id = atomic_add_32_nv(&vt_hat_ids, 1);
	vt_mutex_init_class(&hat->hat_mutex, hat_mutex_class, hat->hat_id);
	ASSERT(hat->hat_flags == 0);

	hat->hat_num_hash = mmu.hash_cnt;
	hat->hat_ht_hash = kmem_cache_alloc(hat_hash_cache, KM_SLEEP);
	memset(hat->hat_ht_hash, 0, hat->hat_num_hash * sizeof (htable_t *));

	/* The top-level table (htable_create finds hat_htable still NULL). */
	hat->hat_htable = NULL;
	hat->hat_ht_cached = NULL;
	hat->hat_rcu_pending = 0;
	ht = htable_create(hat, (uintptr_t)0, TOP_LEVEL(hat), NULL);
	hat->hat_htable = ht;

	/*
	 * Insert at the head of the list; kas.a_hat is the anchor: its
	 * hat_next is the first user hat, its hat_prev the last.
	 */
	mutex_enter(&hat_list_lock);
	hat->hat_prev = NULL;
	hat->hat_next = kas.a_hat->hat_next;
	if (hat->hat_next != NULL)
		hat->hat_next->hat_prev = hat;
	else
		kas.a_hat->hat_prev = hat;
	kas.a_hat->hat_next = hat;
	mutex_exit(&hat_list_lock);

	return (hat);
}

/*
 * Port of hat_free_start() (hat_i86.c 2014).  as->a_lock held as writer.
 * Takes hat_list_lock; may sleep on hat_list_cv (dropping and retaking
 * hat_list_lock) while htable_steal has the hat as its victim; then marks
 * it HAT_FREEING, after which the steal code leaves it alone.
 */
void
hat_free_start(hat_t *hat)
{
	ASSERT(rw_write_held(&hat->hat_as->a_lock));

	mutex_enter(&hat_list_lock);
	while (VT_RACY_LOAD(hat->hat_flags) & HAT_VICTIM) {
		if (VT_INJECT(HAT_FREE_START_CLEARS_VICTIM)) {
			/* Mutant: the exiting thread clears the thief's flag. */
			VT_RACY_STORE(hat->hat_flags, (uint16_t)
			    (VT_RACY_LOAD(hat->hat_flags) & ~HAT_VICTIM));
			break;
		}
		cv_wait(&hat_list_cv, &hat_list_lock);
	}
	VT_RACY_STORE(hat->hat_flags,
	    (uint16_t)(VT_RACY_LOAD(hat->hat_flags) | HAT_FREEING));
	mutex_exit(&hat_list_lock);
}

/*
 * Port of hat_free_end() (hat_i86.c 2014).  No lock held on entry; takes
 * and drops hat_list_lock to unlink the hat; then frees every htable
 * (htable_purge_hat needs no locking on a HAT_FREEING hat) and the hat.
 * PORT: the kernel asserts the current CPU is not running the hat; here no
 * simulated CPU may still have it loaded.
 */
void
hat_free_end(hat_t *hat)
{
	cpuset_t cpus;

	ASSERT(VT_RACY_LOAD(hat->hat_flags) & HAT_FREEING);
	cpus = __atomic_load_n(&hat->hat_cpus, __ATOMIC_SEQ_CST);
	if (cpus != 0)
		panic("hat_free_end: hat %u still loaded on simulated cpus "
		    "0x%" PRIx64, hat->hat_id, cpus);

	mutex_enter(&hat_list_lock);
	if (hat->hat_prev != NULL)
		hat->hat_prev->hat_next = hat->hat_next;
	else
		kas.a_hat->hat_next = hat->hat_next;
	if (hat->hat_next != NULL)
		hat->hat_next->hat_prev = hat->hat_prev;
	else
		kas.a_hat->hat_prev = hat->hat_prev;
	mutex_exit(&hat_list_lock);
	hat->hat_next = hat->hat_prev = NULL;

	/* Free every page table and htable of the hat. */
	htable_purge_hat(hat);

	kmem_cache_free(hat_hash_cache, hat->hat_ht_hash);
	hat->hat_ht_hash = NULL;
	VT_RACY_STORE(hat->hat_flags, (uint16_t)0);
	/* The hat_mutex class keeps the dead mutex's counts (retire). */
	mutex_destroy(&hat->hat_mutex);
	kmem_cache_free(hat_cache, hat);
}

/* ------------------------------------------------------------------ */
/* Load path                                                           */
/* ------------------------------------------------------------------ */

/*
 * Port of hati_mkpte() (hat_i86.c 2014).  No locks.
 * Build a leaf PTE for pfn at level from protections, software bits and
 * caching attributes.  PORT: the CPU is assumed to have PAT.
 */
static x86pte_t
hati_mkpte(pfn_t pfn, uint_t attr, level_t level, uint_t flags)
{
	x86pte_t pte;
	uint_t cache_attr = attr & HAT_ORDER_MASK;

	pte = MAKEPTE(pfn, level);
	if (attr & PROT_WRITE)
		PTE_SET(pte, PT_WRITABLE);
	if (attr & PROT_USER)
		PTE_SET(pte, PT_USER);
	if (!(attr & PROT_EXEC))
		PTE_SET(pte, mmu.pt_nx);

	/*
	 * Mappings that never sync ref/mod (or have no mapping list entry)
	 * get REF and MOD preset, so the hardware never has to write them.
	 */
	if (flags & HAT_LOAD_NOCONSIST)
		PTE_SET(pte, PT_NOCONSIST | PT_REF | PT_MOD);
	else if (attr & HAT_NOSYNC)
		PTE_SET(pte, PT_NOSYNC | PT_REF | PT_MOD);

	/* Caching: strict order is the value 0, so it is tested first. */
	if (cache_attr == HAT_STRICTORDER) {
		PTE_SET(pte, PT_NOCACHE);
	} else if (cache_attr & (HAT_UNORDERED_OK | HAT_STORECACHING_OK)) {
		/* cacheable: no bits */
	} else if (cache_attr & (HAT_MERGING_OK | HAT_LOADCACHING_OK)) {
		PTE_SET(pte, PT_NOCACHE);
		PTE_SET(pte, (level == 0) ? PT_PAT_4K : PT_PAT_LARGE);
	} else {
		panic("hati_mkpte(): bad caching attributes: %x", cache_attr);
	}
	return (pte);
}

/*
 * Port of hati_sync_pte_to_page() (hat_i86.c 2014).  The page's mlist lock
 * is held on entry and on return.
 * Copy the PTE's REF/MOD bits to the page (every constituent page of a
 * large mapping), unless the mapping does not sync them.
 */
void
hati_sync_pte_to_page(page_t *pp, x86pte_t pte, level_t level)
{
	uint_t rm = 0;
	pgcnt_t pgcnt;

	if (PTE_GET(pte, PT_SOFTWARE) >= PT_NOSYNC)
		return;
	if (PTE_GET(pte, PT_REF))
		rm |= P_REF;
	if (PTE_GET(pte, PT_MOD))
		rm |= P_MOD;
	if (rm == 0)
		return;

	ASSERT(x86_hm_held(pp));
	pgcnt = page_get_pagecnt(level);
	ASSERT((pp->p_pagenum & (pgcnt - 1)) == 0);
	for (; pgcnt > 0; --pgcnt) {
		/* The large mapping keeps p_szc from shrinking below level. */
		ASSERT(pp->p_szc >= level);
		hat_page_setattr(pp, rm);
		++pp;
	}
}

/* PTE bits a HAT_LOAD_REMAP may change (pfn, permissions, caching). */
#define PT_REMAP_BITS \
	(PT_PADDR | PT_NX | PT_WRITABLE | PT_WRITETHRU | PT_NOCACHE | \
	PT_PAT_4K | PT_PAT_LARGE | PT_IGNORE | PT_REF | PT_MOD)

#define REMAPASSERT(EX) \
	do { if (!(EX)) panic("hati_pte_map: " #EX); } while (0)

/*
 * Port of hati_pte_map() (hat_i86.c 2014).  Caller holds a busy reference
 * on ht; no HAT lock held on entry or return.  For a consistent mapping it
 * takes pp's mlist lock (hment_prepare may drop and retake it to allocate
 * or free an hment, revalidating), installs the PTE, adds the mapping list
 * entry, drops the mlist lock, and only then frees an unused hment.
 * Returns 0, or -1 when a large page collides with a page table (LPAGE_ERROR).
 */
static int
hati_pte_map(htable_t *ht, uint_t entry, page_t *pp, x86pte_t pte,
    int flags, void *pte_ptr)
{
	hat_t *hat = ht->ht_hat;
	x86pte_t old_pte;
	level_t l = ht->ht_level;
	hment_t *hm = NULL;
	uint_t is_consist;
	uint_t is_locked;
	int rv = 0;

	/* Consistent mappings go on the page's mapping list. */
	is_consist = (pp != NULL && (flags & HAT_LOAD_NOCONSIST) == 0);

	/* Locked mappings are counted even when one is already there. */
	is_locked = (flags & HAT_LOAD_LOCK) != 0 && hat != kas.a_hat;
	if (is_locked)
		HTABLE_LOCK_INC(ht);

	/* mlist lock, and an hment if the page will need one (maybe NULL). */
	if (is_consist) {
		x86_hm_enter(pp);
		hm = hment_prepare(ht, entry, pp);
	}

	/* Install the new PTE; the old one comes back. */
	old_pte = x86pte_set(ht, entry, pte, pte_ptr);

	/* A large page cannot go where a page table is linked. */
	if (old_pte == LPAGE_ERROR) {
		if (is_locked)
			HTABLE_LOCK_DEC(ht);
		rv = -1;
		goto done;
	}

	/* Same mapping again (a refault): nothing else to do. */
	if (PTE_EQUIV(pte, old_pte))
		goto done;

	/* A new mapping: enter it on the mapping list, count it. */
	if (!PTE_ISVALID(old_pte)) {
		if (is_consist) {
			hment_assign(ht, entry, pp, hm);
			x86_hm_exit(pp);
		} else {
			ASSERT(flags & HAT_LOAD_NOCONSIST);
		}
		HTABLE_INC(ht->ht_valid_cnt);
		PGCNT_INC(hat, l);
		return (rv);
	}

	/*
	 * A remap of a live entry: a different pfn needs HAT_LOAD_REMAP and
	 * NOCONSIST on both sides; otherwise only the permission and caching
	 * bits may change.
	 */
	if (!PTE_ISPAGE(old_pte, l))
		panic("non-null/page mapping pte=0x%" PRIx64, old_pte);
	if (PTE2PFN(old_pte, l) != PTE2PFN(pte, l)) {
		REMAPASSERT(flags & HAT_LOAD_REMAP);
		REMAPASSERT(flags & HAT_LOAD_NOCONSIST);
		REMAPASSERT(PTE_GET(old_pte, PT_SOFTWARE) >= PT_NOCONSIST);
		/* PORT: every simulated pfn is memory (pf_is_memory). */
		REMAPASSERT(!is_consist);
	}
	if (PTE_GET(old_pte, ~PT_REMAP_BITS) != PTE_GET(pte, ~PT_REMAP_BITS))
		panic("remap bits changed: old_pte=0x%" PRIx64 ", pte=0x%"
		    PRIx64, old_pte, pte);

	/* No mapping list entry for a remap: free the hment once unlocked. */
done:
	if (is_consist) {
		x86_hm_exit(pp);
		if (hm != NULL)
			hment_free(hm);
	}
	return (rv);
}

/*
 * Who owns the reserves, read without hat_reserves_lock.  A thread comparing
 * it with itself sees only its own stores, so that read is no schedule
 * point; another thread's look (is someone in the reserves?) is one, but
 * only with --segkmem on: without it no HAT operation nests, nobody ever
 * owns the reserves, and a schedule point there would only move controlled
 * schedules of the 2006 revision.
 */
static kthread_t *
reserves_owner(void)
{
	return (vt_segkmem ? VT_RACY_LOAD(hat_reserves_thread) :
	    VT_PEEK(hat_reserves_thread));
}

/*
 * Port of hati_reserves_enter() (hat_i86.c 2006, digest §2.5).  No lock held
 * on entry or return; takes hat_reserves_lock and may sleep on
 * hat_reserves_cv while another thread owns the reserves.
 *
 * Count one more level of HAT recursion (two for the HAT's own kmem,
 * kmem_for_hat).  A nested operation makes this thread the only one that
 * may use the reserves; while some thread owns them, every other HAT
 * operation waits for it to finish.
 * PORT: the kernel keeps an "exiting" flag in bit 7 of t_hatdepth; here it
 * is t_hatexiting, because the 2015 htable.c reads t_hatdepth as a depth.
 */
static void
hati_reserves_enter(uint_t kmem_for_hat)
{
	ASSERT(kmem_for_hat < 2);
	ASSERT(curthread->t_hatdepth < 16);
	curthread->t_hatdepth += 1 + (int)kmem_for_hat;

	/* use_boot_reserve changes only at boot: no schedule point. */
	if (VT_PEEK(hat_reserves_thread) == curthread ||
	    VT_PEEK(use_boot_reserve))
		return;
	if (curthread->t_hatdepth > 1 || reserves_owner() != NULL) {
		mutex_enter(&hat_reserves_lock);
		while (hat_reserves_thread != NULL)
			cv_wait(&hat_reserves_cv, &hat_reserves_lock);
		if (curthread->t_hatdepth > 1) {
			VT_RACY_STORE(hat_reserves_thread, curthread);
			HATSTAT_INC(vt_reserves_owned);
		}
		mutex_exit(&hat_reserves_lock);
	}
}

/*
 * Port of hati_reserves_exit() (hat_i86.c 2006, digest §2.5).  No lock held
 * on entry or return; takes hat_reserves_lock, and kmem and the reserve
 * mutexes through the adjust routines.
 *
 * Leave a level; the owner gives the reserves up when it is back at depth
 * 0, wakes the waiters, then (not for the HAT's own kmem, and not from
 * inside its own adjusting) refills and trims both reserves.
 */
static void
hati_reserves_exit(uint_t kmem_for_hat)
{
	ASSERT(kmem_for_hat < 2);
	curthread->t_hatdepth -= 1 + (int)kmem_for_hat;
	ASSERT(curthread->t_hatdepth >= 0);

	if (VT_PEEK(hat_reserves_thread) != curthread ||
	    curthread->t_hatdepth != 0 || VT_PEEK(use_boot_reserve))
		return;
	mutex_enter(&hat_reserves_lock);
	VT_RACY_STORE(hat_reserves_thread, NULL);
	cv_broadcast(&hat_reserves_cv);
	mutex_exit(&hat_reserves_lock);

	if (!kmem_for_hat && !curthread->t_hatexiting) {
		curthread->t_hatexiting = 1;
		htable_adjust_reserve();
		hment_adjust_reserve();
		curthread->t_hatexiting = 0;
	}
}

/*
 * Port of hati_load_common() (hat_i86.c 2014).  The caller holds the
 * hat's AS lock (any mode).  Takes bucket mutexes through htable_lookup/
 * htable_create/htable_release and the mlist lock through hati_pte_map;
 * none is held on return.  Returns 0, or -1 if a large page could not be
 * loaded over an existing page table.
 */
static int
hati_load_common(hat_t *hat, uintptr_t va, page_t *pp, uint_t attr,
    uint_t flags, level_t level, pfn_t pfn)
{
	htable_t *ht;
	uint_t entry;
	x86pte_t pte;
	int rv = 0;
	bool rev2006 = (hment_revision == HMENT_REV_2006_CHAIN);
	uint_t kmem_for_hat = (flags & HAT_NO_KALLOC) ? 1 : 0;

	/*
	 * Depth > 1 means a HAT operation recursed: reserves only.  PORT: with
	 * the 2006 hment the 2006 rule runs instead, after the lookup as there
	 * (hati_reserves_enter; the reserves get an owner).
	 */
	if (!rev2006) {
		++curthread->t_hatdepth;
		ASSERT(curthread->t_hatdepth < 16);
	}

	ASSERT(hat == kas.a_hat || rw_lock_held(&hat->hat_as->a_lock));

	/*
	 * A hat whose tables others share (ISM).  The kernel sets this bit
	 * with no lock held (a racy read-modify-write, kept as is).
	 */
	if (flags & HAT_LOAD_SHARE)
		VT_RACY_STORE(hat->hat_flags,
		    (uint16_t)(VT_RACY_LOAD(hat->hat_flags) | HAT_SHARED));

	/* The table that maps va at this level, if it exists. */
	ht = htable_lookup(hat, va, level);
	if (rev2006) {
		hati_reserves_enter(kmem_for_hat);
		/* 2006: a nested load never needs an hment. */
		if (curthread->t_hatdepth > 1)
			flags |= HAT_LOAD_NOCONSIST;
	}

	/* No page_t: the mapping cannot be on a mapping list. */
	if (pp == NULL)
		flags |= HAT_LOAD_NOCONSIST;

	if (ht == NULL) {
		ht = htable_create(hat, va, level, NULL);
		ASSERT(ht != NULL);
	}
	entry = htable_va2entry(va, ht);

	ASSERT(VT_RACY_LOAD(ht->ht_busy) > 0);
	if (ht->ht_vaddr > va || va > HTABLE_LAST_PAGE(ht))
		panic("hati_load_common: bad htable %" PRIu64 ", va 0x%"
		    PRIxPTR, ht->ht_id, va);
	ASSERT(ht->ht_level == level);

	if (hat == kas.a_hat)
		attr &= ~PROT_USER;
	pte = hati_mkpte(pfn, attr, level, flags);
	if (hat == kas.a_hat && va >= kernelbase)
		PTE_SET(pte, mmu.pt_global);

	rv = hati_pte_map(ht, entry, pp, pte, flags, NULL);

	htable_release(ht);
	if (rev2006)
		hati_reserves_exit(kmem_for_hat);
	else
		--curthread->t_hatdepth;
	return (rv);
}

/* Flags hat_memload accepts (the subset of the kernel's this port has). */
static const uint_t supported_memload_flags =
	HAT_LOAD | HAT_LOAD_LOCK | HAT_LOAD_NOCONSIST | HAT_LOAD_SHARE |
	HAT_LOAD_REMAP | HAT_NO_KALLOC;

/*
 * Port of hat_memload() (hat_i86.c 2014).  The caller holds the hat's AS
 * lock (reader is enough) and normally pp's page lock.  Locks as
 * hati_load_common.  PORT: no kmap fast path.
 */
void
hat_memload(hat_t *hat, caddr_t addr, page_t *pp, uint_t attr, uint_t flags)
{
	uintptr_t va = (uintptr_t)addr;
	level_t level = 0;
	pfn_t pfn = page_pptonum(pp);

	ASSERT(IS_PAGEALIGNED(va));
	ASSERT(hat == kas.a_hat || va < _userlimit);
	ASSERT(hat == kas.a_hat || rw_lock_held(&hat->hat_as->a_lock));
	ASSERT((flags & supported_memload_flags) == flags);
	ASSERT(!IN_VA_HOLE(va));
	ASSERT(!PP_ISFREE(pp));

	/* Ordinary memory: always cacheable. */
	attr |= HAT_STORECACHING_OK;
	if (hati_load_common(hat, va, pp, attr, flags, level, pfn) != 0)
		panic("unexpected hati_load_common() failure");
}

/*
 * Port of the large-page part of hat_memload_array() (hat_i86.c 2014).
 * Locks as hati_load_common.  Map the 2 MiB page led by pp (p_szc >= 1) at
 * addr with one level-1 PTE; if a level-0 table is already linked there
 * (LPAGE_ERROR) fall back, as hat_memload_array does, to the next smaller
 * size: 512 level-0 mappings of the constituent pages.
 */
void
vt_hat_memload_large(hat_t *hat, caddr_t addr, page_t *pp, uint_t attr,
    uint_t flags)
{
	uintptr_t va = (uintptr_t)addr;
	pfn_t pfn = page_pptonum(pp);
	level_t level = 1;
	pgcnt_t i, pgcnt;

	ASSERT(hat == kas.a_hat || va + LEVEL_SIZE(1) <= _userlimit);
	ASSERT(hat == kas.a_hat || rw_lock_held(&hat->hat_as->a_lock));
	ASSERT((flags & supported_memload_flags) == flags);
	ASSERT((va & LEVEL_OFFSET(1)) == 0);
	ASSERT((pfn_to_pa(pfn) & LEVEL_OFFSET(1)) == 0);
	ASSERT(pp->p_szc >= 1);
	ASSERT(!PP_ISFREE(pp));

	attr |= HAT_STORECACHING_OK;
	if (hati_load_common(hat, va, pp, attr, flags, level, pfn) == 0)
		return;
	/* A smaller page size, one constituent page at a time. */
	pgcnt = page_get_pagecnt(1);
	for (i = 0; i < pgcnt; i++) {
		if (hati_load_common(hat, va + mmu_ptob(i), pp + i, attr,
		    flags, 0, pfn + i) != 0)
			panic("unexpected hati_load_common() failure");
	}
}

/* ------------------------------------------------------------------ */
/* TLB shootdown: the simulated cross-call                             */
/* ------------------------------------------------------------------ */

/*
 * Port of hat_tlb_inval_range() (hat_i86.c 2014).  Takes no lock; may be
 * called with mlist and bucket mutexes held.
 * Nothing to do for a hat being freed.  Shared (ISM) tables may be
 * reached at unknown addresses, so they go to every CPU.  The kernel hat
 * goes to every CPU; a user hat to the CPUs running it (hat_cpus).
 * PORT: the cross-call waits for simulated CPUs that are in the middle of
 * a walk (the IPI acknowledgement), which is what lets the caller free a
 * page-table frame afterwards, then flushes [va, va + len) from the TLB of
 * every CPU running the hat (core/tlb.h; DEMAP_ALL_ADDR: everything).
 * Idle CPUs count as the kernel's delayed flushes.
 */
static void
hat_tlb_inval_range(hat_t *hat, uintptr_t va, size_t len)
{
	cpuset_t cpus_to_shootdown;
	uint32_t waited, idle = 0;

	if (VT_RACY_LOAD(hat->hat_flags) & HAT_FREEING)
		return;
	if (hat == kas.a_hat)
		HATSTAT_INC(vt_tlb_inval_kas);	/* PORT: counted */
	if (VT_RACY_LOAD(hat->hat_flags) & HAT_SHARED) {
		hat = kas.a_hat;
		va = DEMAP_ALL_ADDR;
	}
	HATSTAT_INC(vt_tlb_inval);

	/* Panicking: only the local flush, no cross-calls. */
	if (panicstr != NULL)
		return;

	if (hat == kas.a_hat)
		cpus_to_shootdown = ~(cpuset_t)0;
	else
		cpus_to_shootdown = __atomic_load_n(&hat->hat_cpus,
		    __ATOMIC_SEQ_CST);
	if (cpus_to_shootdown == 0)
		return;
	waited = vt_mmu_xcall(hat, va, len, cpus_to_shootdown, &idle);
	while (waited-- > 0)
		HATSTAT_INC(vt_tlb_xcall_waits);
	while (idle-- > 0)
		HATSTAT_INC(hs_tlb_inval_delayed);
}

/* Port of hat_tlb_inval() (hat_i86.c 2014).  Takes no lock. */
void
hat_tlb_inval(hat_t *hat, uintptr_t va)
{
	hat_tlb_inval_range(hat, va, MMU_PAGESIZE);
}

/* ------------------------------------------------------------------ */
/* Unload paths                                                        */
/* ------------------------------------------------------------------ */

/*
 * Port of hat_pte_unmap() (hat_i86.c 2014).  Caller holds a busy reference
 * on ht and no mlist lock; ht is not released here.  Takes the mlist lock
 * of the page old_pte names; if the PTE turns out to name another page
 * (someone unmapped or remapped it meanwhile), drops that mlist lock and
 * retries with the PTE found.  hment_free runs after the mlist lock is
 * dropped.  With tlb false the caller does the shootdown later.
 */
void
hat_pte_unmap(htable_t *ht, uint_t entry, uint_t flags, x86pte_t old_pte,
    void *pte_ptr, boolean_t tlb)
{
	hat_t *hat = ht->ht_hat;
	hment_t *hm = NULL;
	page_t *pp = NULL;
	level_t l = ht->ht_level;
	pfn_t pfn;

	/* The lock count follows the request even if nothing is unmapped. */
	if ((flags & HAT_UNLOAD_UNLOCK) != 0 && hat != kas.a_hat) {
		ASSERT(VT_RACY_LOAD(ht->ht_lock_cnt) > 0);
		HTABLE_LOCK_DEC(ht);
	}

	/*
	 * Invalidate under the mlist lock of the page the old PTE names.  If
	 * the entry changed under us (hat_pageunload got there first, or it
	 * was remapped), the expect test fails and we go round with the
	 * value found, after dropping the now possibly wrong mlist lock.
	 */
	ASSERT(VT_RACY_LOAD(ht->ht_busy) > 0);
	while (PTE_ISVALID(old_pte)) {
		pfn = PTE2PFN(old_pte, l);
		if (PTE_GET(old_pte, PT_SOFTWARE) >= PT_NOCONSIST) {
			pp = NULL;
		} else {
			pp = page_numtopp_nolock(pfn);
			if (pp == NULL)
				panic("no page_t, not NOCONSIST: old_pte=0x%"
				    PRIx64 " ht=%" PRIu64 " entry=0x%x",
				    old_pte, ht->ht_id, entry);
			x86_hm_enter(pp);
		}

		old_pte = x86pte_inval(ht, entry, old_pte, pte_ptr, tlb);

		/* Still the same page: it is ours now. */
		if (PTE_ISVALID(old_pte) && PTE2PFN(old_pte, l) == pfn)
			break;

		if (pp != NULL) {
			x86_hm_exit(pp);
			pp = NULL;
		} else {
			ASSERT(PTE_GET(old_pte, PT_SOFTWARE) >= PT_NOCONSIST);
		}
	}

	/* Somebody else removed it. */
	if (!PTE_ISVALID(old_pte)) {
		if (pp != NULL)
			x86_hm_exit(pp);
		return;
	}

	/* Ref/mod to the page, and off the mapping list. */
	if (pp != NULL) {
		if (!(flags & HAT_UNLOAD_NOSYNC))
			hati_sync_pte_to_page(pp, old_pte, l);
		hm = hment_remove(pp, ht, entry);
		x86_hm_exit(pp);
		if (hm != NULL)
			hment_free(hm);
	}

	ASSERT(VT_RACY_LOAD(ht->ht_valid_cnt) > 0);
	HTABLE_DEC(ht->ht_valid_cnt);
	PGCNT_DEC(hat, l);
}

/*
 * Port of hat_unload_callback() (hat_i86.c 2014), without callbacks.
 * Caller holds the hat's AS lock.  Takes bucket mutexes (htable_getpte,
 * htable_walk, htable_release) and mlist locks (hat_pte_unmap), one at a
 * time, none held on return.
 * PORT: no caller passes a callback, so the range bookkeeping that only
 * feeds callbacks (handle_ranges) is left out.
 * PORT: the 2014 behaviour is kept: the loop unmaps with tlb = false and a
 * single deferred hat_tlb_inval_range() for the whole range follows (the
 * single-page fast path shoots down per PTE).  Safe because no page can be
 * reused before we return; page-table frames freed by htable_release get
 * their own shootdown in unlink_ptp.
 */
static void
hat_unload_callback(hat_t *hat, caddr_t addr, size_t len, uint_t flags)
{
	uintptr_t vaddr = (uintptr_t)addr;
	uintptr_t eaddr = vaddr + len;
	htable_t *ht = NULL;
	uint_t entry;
	x86pte_t old_pte;

	ASSERT(hat == kas.a_hat || eaddr <= _userlimit);
	ASSERT(IS_PAGEALIGNED(vaddr));
	ASSERT(IS_PAGEALIGNED(eaddr));

	/* One page (common: COW after fork): no walk needed. */
	if (len == MMU_PAGESIZE) {
		ht = htable_getpte(hat, vaddr, &entry, &old_pte, 0);
		if (ht != NULL) {
			if (PTE_ISVALID(old_pte))
				hat_pte_unmap(ht, entry, flags, old_pte, NULL,
				    B_TRUE);
			htable_release(ht);
		}
		return;
	}

	while (vaddr < eaddr) {
		old_pte = htable_walk(hat, &ht, &vaddr, eaddr);
		if (ht == NULL)
			break;
		ASSERT(!IN_VA_HOLE(vaddr));
		if (vaddr < (uintptr_t)addr)
			panic("hat_unload_callback(): unmap inside large page");

		/* Unmap one entry; the TLB shootdown comes after the loop. */
		entry = htable_va2entry(vaddr, ht);
		hat_pte_unmap(ht, entry, flags, old_pte, NULL, B_FALSE);
		ASSERT(ht->ht_level <= (level_t)mmu.max_page_level);
		vaddr += LEVEL_SIZE(ht->ht_level);
	}
	if (ht != NULL)
		htable_release(ht);

	hat_tlb_inval_range(hat, (uintptr_t)addr, len);
}

/*
 * Port of hat_unload() (hat_i86.c 2014).  Caller holds the hat's AS lock.
 * Locks as hat_unload_callback.  PORT: no kmap fast path.
 */
void
hat_unload(hat_t *hat, caddr_t addr, size_t len, uint_t flags)
{
	ASSERT(hat == kas.a_hat || (uintptr_t)addr + len <= _userlimit);
	hat_unload_callback(hat, addr, len, flags);
}

/*
 * Port of hat_swapout() (hat_i86.c 2014).  The hat's AS lock is held (the
 * kernel's as_swapout holds it as reader).  Locks as htable_walk and
 * hat_unload; takes hat_mutex in htable_purge_hat.
 *
 * Unload what can be unloaded of a user hat that is being swapped out:
 * every table's mappings except ISM (shared) ranges and tables with
 * locked entries, then give back the hat's cache of free tables.  A
 * plain hat_unload of the user range would also tear down shared tables,
 * which seg_spt does not allow.
 * PORT: the kernel clips eaddr to the as's a_userlimit; a simulated as
 * has none, so _userlimit bounds the walk.
 */
void
hat_swapout(hat_t *hat)
{
	uintptr_t vaddr = (uintptr_t)0;
	uintptr_t eaddr = _userlimit;
	htable_t *ht = NULL;
	level_t l;

	ASSERT(hat != kas.a_hat);
	ASSERT(IS_PAGEALIGNED(vaddr) && IS_PAGEALIGNED(eaddr));
	ASSERT(rw_lock_held(&hat->hat_as->a_lock));

	while (vaddr < eaddr) {
		(void) htable_walk(hat, &ht, &vaddr, eaddr);
		if (ht == NULL)
			break;
		ASSERT(!IN_VA_HOLE(vaddr));

		/* A shared (ISM) table: step over all of it. */
		l = ht->ht_level;
		if ((ht->ht_flags & HTABLE_SHARED_PFN) != 0) {
			vaddr = ht->ht_vaddr + LEVEL_SIZE(l + 1);
			htable_release(ht);
			ht = NULL;
			continue;
		}

		/* Only tables without locked entries lose their mappings. */
		if (VT_RACY_LOAD(ht->ht_lock_cnt) == 0)
			hat_unload(hat, (caddr_t)vaddr, LEVEL_SIZE(l),
			    HAT_UNLOAD_UNMAP);

		/*
		 * A leaf table with locked entries is skipped as a whole;
		 * otherwise move on by one entry.
		 */
		if (VT_RACY_LOAD(ht->ht_lock_cnt) > 0 && l == 0)
			vaddr = ht->ht_vaddr + LEVEL_SIZE(1);
		else
			vaddr += LEVEL_SIZE(l);
	}
	if (ht != NULL)
		htable_release(ht);

	/* Memory is short (that is why we swap): drop the cached tables. */
	htable_purge_hat(hat);
}

/*
 * Port of hati_page_unmap() (hat_i86.c 2014), shared with hment_steal.
 * pp's mlist lock is held on entry and DROPPED on return; (pp, ht, entry)
 * came from pp's mapping list.  Takes ht's bucket mutex briefly
 * (htable_acquire: mlist -> bucket, the allowed order) and releases the
 * hold after the mlist lock is gone, since htable_release may free the
 * table.  Returns the hment that described the mapping (NULL if it was
 * embedded) for the caller to free or reuse.
 */
hment_t *
hati_page_unmap(page_t *pp, htable_t *ht, uint_t entry)
{
	x86pte_t old_pte;
	pfn_t pfn = pp->p_pagenum;
	hment_t *hm;

	/*
	 * The table cannot go away before we hold it: an unmapper releases
	 * its table only after removing the hment, which needs the mlist
	 * lock we hold.  (Mutant hati-page-unmap-no-hold takes no hold.)
	 */
	if (!VT_INJECT(HATI_PAGE_UNMAP_NO_HOLD))
		htable_acquire(ht);

	old_pte = x86pte_inval(ht, entry, 0, NULL, B_TRUE);
	if (PTE2PFN(old_pte, ht->ht_level) != pfn)
		panic("x86pte_inval() failure found PTE = 0x%" PRIx64
		    " pfn being unmapped is %" PRIu64 " ht=%" PRIu64
		    " entry=0x%x", old_pte, pfn, ht->ht_id, entry);

	ASSERT(VT_RACY_LOAD(ht->ht_valid_cnt) > 0);
	HTABLE_DEC(ht->ht_valid_cnt);
	PGCNT_DEC(ht->ht_hat, ht->ht_level);

	if (PTE_GET(old_pte, PT_SOFTWARE) < PT_NOSYNC &&
	    !VT_INJECT(HATI_PAGE_UNMAP_NO_SYNC))	/* mutant: MOD dropped */
		hati_sync_pte_to_page(pp, old_pte, ht->ht_level);

	hm = hment_remove(pp, ht, entry);

	/* Unlocked before the release, which may free the htable. */
	x86_hm_exit(pp);
	htable_release(ht);
	return (hm);
}

/*
 * Port of hati_pageunload() (hat_i86.c 2014).  No HAT lock held on entry or
 * return.  Repeatedly takes the mlist lock of cur_pp, finds one mapping of
 * the size being worked on, and removes it with hati_page_unmap (which
 * drops the mlist lock); hment_free after that.  When no mapping of this
 * size is left, moves on to the large page containing pp, if any.
 * PORT: no vpm cache yet, so no p_vpmref to clear.
 */
static int
hati_pageunload(page_t *pp, uint_t pg_szcd, uint_t forceflag)
{
	page_t *cur_pp = pp;
	hment_t *hm;
	hment_t *prev;
	htable_t *ht;
	uint_t entry;
	level_t level;

	/* hment_free may call kmem: depth guards against recursion. */
	++curthread->t_hatdepth;
	ASSERT(curthread->t_hatdepth < 16);

next_size:
	for (;;) {
		x86_hm_enter(cur_pp);
		for (prev = NULL; ; prev = hm) {
			hm = hment_walk(cur_pp, &ht, &entry, prev);
			if (hm == NULL) {
				x86_hm_exit(cur_pp);

				/* Not part of a larger page: done. */
				if (cur_pp->p_szc <= pg_szcd) {
					ASSERT(curthread->t_hatdepth > 0);
					--curthread->t_hatdepth;
					return (0);
				}

				/*
				 * Large mappings live on the leader page of
				 * the next size up.
				 */
				++pg_szcd;
				cur_pp = PP_GROUPLEADER(cur_pp, pg_szcd);
				goto next_size;
			}

			/* A mapping of the size we are working on? */
			level = ht->ht_level;
			if (level == (level_t)pg_szcd)
				break;
		}

		if (VT_INJECT(HATI_PAGEUNLOAD_NO_RECHECK)) {
			/* Mutant: a window, and no second look after it. */
			x86_hm_exit(cur_pp);
			x86_hm_enter(cur_pp);
		}
		/* Drops cur_pp's mlist lock. */
		hm = hati_page_unmap(cur_pp, ht, entry);
		if (hm != NULL)
			hment_free(hm);
	}
}

/*
 * Port of hat_pageunload() (hat_i86.c 2014).  pp is locked SE_EXCL by the
 * caller.  Locks as hati_pageunload.
 */
int
hat_pageunload(page_t *pp, uint_t forceflag)
{
	ASSERT(PAGE_EXCL(pp));
	return (hati_pageunload(pp, 0, forceflag));
}

/*
 * Port of hat_page_demote() (hat_i86.c 2014).  pp is locked SE_EXCL by the
 * caller (who also keeps new large mappings of its region away: here it
 * holds the large page's leader SE_EXCL, the page every large load holds
 * SE_SHARED).  Locks as hati_pageunload, then takes and drops the mlist
 * lock of the region's root (and, to wait for another demotion, of the
 * root's root), never two at once.
 *
 * Remove the large mappings of the region around pp and decrement the
 * size code of every constituent page, so that pp ends up a small page.
 * Pages are rewritten from the highest pfn down, so a root keeps its code
 * until last and hment_mapcnt() always finds the largest region that may
 * still have a mapping.
 * PORT: amd64 here has a single large size (szc 1, max_page_level 1), so
 * the loop over sizes runs once; it is written for any depth as in the
 * kernel.  The kernel's page_szc_lock assertion has no counterpart.
 */
void
hat_page_demote(page_t *pp)
{
	uint_t pszc, rszc, szc;
	page_t *rootpp, *firstpp, *lastpp;
	pgcnt_t pgcnt;

	ASSERT(PAGE_EXCL(pp));
	ASSERT(!PP_ISFREE(pp));

	if (pp->p_szc == 0)
		return;

	rootpp = PP_GROUPLEADER(pp, 1);
	(void) hati_pageunload(rootpp, 1, HAT_FORCE_PGUNLOAD);

	/*
	 * No large mapping of pp is left and none can appear (pp's region is
	 * locked).  Serialise with another demotion in the same root region
	 * through the root's mlist lock; a root whose code differs from ours
	 * means we raced with one.
	 */
	for (;;) {
		pszc = pp->p_szc;
		if (pszc == 0)
			return;
		rootpp = PP_GROUPLEADER(pp, pszc);
		x86_hm_enter(rootpp);
		if ((rszc = rootpp->p_szc) == pszc)
			break;
		x86_hm_exit(rootpp);
		if (rszc > pszc) {
			/* The other demotion is not done: wait for it. */
			ASSERT(pp != rootpp);
			rootpp = PP_GROUPLEADER(rootpp, rszc);
			x86_hm_enter(rootpp);
			x86_hm_exit(rootpp);
		}
	}
	ASSERT(pp->p_szc == pszc);

	/*
	 * From the outermost region in: every page of the region of size
	 * szc around pp drops to szc - 1, except the sub-region that holds
	 * pp, which the next round takes one size further down.
	 */
	for (szc = pszc; szc > 0; --szc) {
		page_t *inner = (szc > 1) ? PP_GROUPLEADER(pp, szc - 1) : NULL;
		pgcnt_t inner_cnt = (szc > 1) ? page_get_pagecnt(szc - 1) : 0;

		pgcnt = page_get_pagecnt(szc);
		firstpp = PP_GROUPLEADER(pp, szc);
		for (lastpp = firstpp + (pgcnt - 1); lastpp >= firstpp;
		    --lastpp) {
			if (inner != NULL && lastpp >= inner &&
			    lastpp < inner + inner_cnt)
				continue;	/* the next round's region */
			ASSERT(lastpp->p_szc == pszc);
			lastpp->p_szc = (uchar_t)(szc - 1);
		}
	}
	x86_hm_exit(rootpp);
}

/*
 * Port of hat_page_getshare() (hat_i86.c 2014).  Takes pp's mlist lock (and
 * those of its large-page leaders) through hment_mapcnt.  PORT: no vpm
 * reference to add.
 */
uint_t
hat_page_getshare(page_t *pp)
{
	return (hment_mapcnt(pp));
}

/* ------------------------------------------------------------------ */
/* ISM: hat_share / hat_unshare                                        */
/* ------------------------------------------------------------------ */

/* Port of hat_get_mapped_size() (hat_i86.c 2014).  No locks; advisory. */
static size_t
hat_get_mapped_size(hat_t *hat)
{
	size_t total = 0;
	uint_t l;

	for (l = 0; l <= mmu.max_page_level; l++)
		total += VT_RACY_LOAD(hat->hat_pages_mapped[l]) <<
		    LEVEL_SHIFT(l);
	total += hat->hat_ism_pgcnt;
	return (total);
}

/*
 * Port of hat_share() (hat_i86.c 2014).  hat's AS lock held as writer (as
 * the kernel's as_map path holds it), which also protects hat_ism_pgcnt.
 * Takes bucket mutexes of both hats (htable_walk/lookup/create/release)
 * and mlist locks for per-page loads, one at a time.
 *
 * Walk the ISM hat's mappings.  Where a whole, aligned ISM page table (a
 * level-0 table, or a level-1 table whose entries are all large pages)
 * covers the range, link that table into hat's tables (htable_create with
 * a shared table: the new htable borrows its pfn); otherwise load the ISM
 * pages one by one.
 * PORT: there are no segments, so is_it_dism() is always false: every share
 * is locked ISM (per-page loads are HAT_LOAD_LOCK | HAT_LOAD_NOCONSIST).
 */
int
hat_share(hat_t *hat, caddr_t addr, hat_t *ism_hat, caddr_t src_addr,
    size_t len, uint_t ismszc)
{
	uintptr_t vaddr_start = (uintptr_t)addr;
	uintptr_t vaddr;
	uintptr_t eaddr = vaddr_start + len;
	uintptr_t ism_addr_start = (uintptr_t)src_addr;
	uintptr_t ism_addr = ism_addr_start;
	uintptr_t e_ism_addr = ism_addr + len;
	htable_t *ism_ht = NULL;
	htable_t *ht;
	x86pte_t pte;
	page_t *pp;
	pfn_t pfn;
	level_t l;
	pgcnt_t pgcnt;
	uint_t prot;
	int is_dism = 0;
	int flags;
	int16_t ism_valid;

	ASSERT(hat != kas.a_hat);
	ASSERT(eaddr <= _userlimit);
	ASSERT(rw_write_held(&hat->hat_as->a_lock));
	if (!(VT_RACY_LOAD(ism_hat->hat_flags) & HAT_SHARED)) {
		ASSERT(hat_get_mapped_size(ism_hat) == 0);
		return (0);
	}

	ASSERT(IS_PAGEALIGNED(vaddr_start));
	ASSERT(IS_PAGEALIGNED(ism_addr_start));
	while (ism_addr < e_ism_addr) {
		/* The next valid ISM mapping. */
		pte = htable_walk(ism_hat, &ism_ht, &ism_addr, e_ism_addr);
		if (ism_ht == NULL)
			break;

		/* Do we share this table already? */
		l = ism_ht->ht_level;
		vaddr = vaddr_start + (ism_addr - ism_addr_start);
		ht = htable_lookup(hat, vaddr, l);
		if (ht != NULL) {
			if (ht->ht_flags & HTABLE_SHARED_PFN)
				goto shared;
			htable_release(ht);
			goto not_shared;
		}

		/* The top table is never shared. */
		if (l == (level_t)mmu.max_level)
			goto not_shared;

		/* DISM faults could later want another level. */
		if (is_dism && l > 0)
			goto not_shared;

		/* Both sides aligned to the table's span ... */
		if (ism_addr != ism_ht->ht_vaddr ||
		    (vaddr & LEVEL_OFFSET(l + 1)) != 0)
			goto not_shared;

		/* ... and the range covers the whole table. */
		if (e_ism_addr - ism_addr < LEVEL_SIZE(l + 1))
			goto not_shared;

		/* Above level 0 every entry must be a page, not a table. */
		if (l > 0) {
			uint_t e;

			/* Entry 0 is the one htable_walk just found. */
			for (e = 1; e < HTABLE_NUM_PTES(ism_ht); ++e) {
				x86pte_t epte = x86pte_get(ism_ht, e);

				if (!PTE_ISPAGE(epte, l))
					goto not_shared;
			}
		}

		/* Borrow the ISM table. */
		ht = htable_create(hat, vaddr, l, ism_ht);
shared:
		ASSERT(ht->ht_flags & HTABLE_SHARED_PFN);
		ASSERT(ht->ht_shares == ism_ht);
		/*
		 * The sharer's table counts what the ISM table holds; the
		 * difference goes into hat_ism_pgcnt.
		 */
		ism_valid = VT_RACY_LOAD(ism_ht->ht_valid_cnt);
		hat->hat_ism_pgcnt += (pgcnt_t)((int64_t)(ism_valid -
		    VT_RACY_LOAD(ht->ht_valid_cnt)) <<
		    (LEVEL_SHIFT(ht->ht_level) - MMU_PAGESHIFT));
		VT_RACY_STORE(ht->ht_valid_cnt, ism_valid);
		htable_release(ht);
		ism_addr = ism_ht->ht_vaddr + LEVEL_SIZE(l + 1);
		htable_release(ism_ht);
		ism_ht = NULL;
		continue;

not_shared:
		/*
		 * Copy the ISM mappings instead, with the largest page size
		 * that fits.
		 */
		for (l = ism_ht->ht_level; l > 0; --l) {
			if (LEVEL_SIZE(l) <= eaddr - vaddr &&
			    (vaddr & LEVEL_OFFSET(l)) == 0)
				break;
		}

		/* Do not run past the end of the share. */
		if (eaddr - vaddr >= LEVEL_SIZE(ism_ht->ht_level)) {
			pgcnt = mmu_btop(LEVEL_SIZE(ism_ht->ht_level));
		} else {
			pgcnt = mmu_btop(eaddr - vaddr);
			l = 0;
		}

		pfn = PTE2PFN(pte, ism_ht->ht_level);
		ASSERT(pfn != PFN_INVALID);
		while (pgcnt > 0) {
			/* Protections come from the ISM PTE. */
			pp = page_numtopp_nolock(pfn);
			ASSERT(pp != NULL);

			prot = PROT_USER | PROT_READ | HAT_UNORDERED_OK;
			if (PTE_GET(pte, PT_WRITABLE))
				prot |= PROT_WRITE;
			if (!PTE_GET(pte, PT_NX))
				prot |= PROT_EXEC;

			flags = HAT_LOAD;
			if (!is_dism)
				flags |= HAT_LOAD_LOCK | HAT_LOAD_NOCONSIST;
			while (hati_load_common(hat, vaddr, pp, prot, flags,
			    l, pfn) != 0) {
				if (l == 0)
					panic("hati_load_common() failure");
				--l;
			}

			vaddr += LEVEL_SIZE(l);
			ism_addr += LEVEL_SIZE(l);
			pfn += mmu_btop(LEVEL_SIZE(l));
			pgcnt -= mmu_btop(LEVEL_SIZE(l));
		}
	}
	if (ism_ht != NULL)
		htable_release(ism_ht);
	return (0);
}

/*
 * Port of hat_unshare() (hat_i86.c 2014).  hat's AS lock held as writer.
 * Takes bucket mutexes (htable_lookup/release) and then whatever
 * hat_unload takes.
 * Drop every shared table in the range (zero its count and let
 * htable_release free it, which also releases the ISM table), shoot down
 * once, then unload what was loaded page by page.
 * PORT: never DISM (see hat_share), so the unload also unlocks.
 */
void
hat_unshare(hat_t *hat, caddr_t addr, size_t len, uint_t ismszc)
{
	uintptr_t vaddr;
	uintptr_t eaddr = (uintptr_t)addr + len;
	htable_t *ht = NULL;
	uint_t need_demaps = 0;
	uint_t flags = HAT_UNLOAD_UNMAP;
	level_t l;

	ASSERT(hat != kas.a_hat);
	ASSERT(eaddr <= _userlimit);
	ASSERT(IS_PAGEALIGNED(addr));
	ASSERT(IS_PAGEALIGNED(eaddr));
	ASSERT(rw_write_held(&hat->hat_as->a_lock));

	/*
	 * Shared tables first.  One shootdown for all of them is enough: a
	 * hat_pageunload of an ISM page meanwhile invalidates everywhere.
	 */
	l = (level_t)mmu.max_page_level;
	if (l == (level_t)mmu.max_level)
		--l;
	for (; l >= 0; --l) {
		for (vaddr = (uintptr_t)addr; vaddr < eaddr;
		    vaddr = (vaddr & LEVEL_MASK(l + 1)) + LEVEL_SIZE(l + 1)) {
			ASSERT(!IN_VA_HOLE(vaddr));
			ht = htable_lookup(hat, vaddr, l);
			if (ht == NULL)
				continue;
			if (ht->ht_flags & HTABLE_SHARED_PFN) {
				/* Empty it; htable_release does the rest. */
				hat->hat_ism_pgcnt -= (pgcnt_t)((int64_t)
				    VT_RACY_LOAD(ht->ht_valid_cnt) <<
				    (LEVEL_SHIFT(ht->ht_level) -
				    MMU_PAGESHIFT));
				VT_RACY_STORE(ht->ht_valid_cnt, (int16_t)0);
				need_demaps = 1;
			}
			htable_release(ht);
		}
	}

	if (!(VT_RACY_LOAD(hat->hat_flags) & HAT_FREEING) && need_demaps)
		hat_tlb_inval(hat, DEMAP_ALL_ADDR);

	/* Then what could not be shared. */
	flags |= HAT_UNLOAD_UNLOCK;
	hat_unload(hat, addr, len, flags);
}

/* ------------------------------------------------------------------ */
/* The hat list (audit)                                                */
/* ------------------------------------------------------------------ */

/* First user hat (world stopped, or hat_list_lock held). */
hat_t *
vt_hat_first(void)
{
	return (kas.a_hat != NULL ? kas.a_hat->hat_next : NULL);
}

/* Next user hat (world stopped, or hat_list_lock held). */
hat_t *
vt_hat_next(hat_t *hat)
{
	return (hat->hat_next);
}
