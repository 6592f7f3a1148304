/*
 * test_segkmem.c - unit tests for --segkmem on (core/segkmem.c,
 * core/kmem_slab.c), TAP.
 *
 * Boots the machine and the HAT with the HAT caches on hat_memload_arena
 * and checks: a segkmem page is a kernel mapping of a data frame; the
 * boot reserves count as boot heap (no kernel mapping at init); a cache
 * that runs out of slab room grows a slab, and when that happens inside a
 * HAT operation (t_hatdepth 1) the kernel load runs at depth 2 and takes
 * its new kernel tables from the htable reserve, after vmem has mapped the
 * span page as populator; idle slabs go back through vt_kmem_update, which
 * unmaps them from kas; segkmem_fini leaves no kernel page behind.
 * Single threaded: the main OS thread runs as kthread 0.
 */
#include "core/segkmem.h"

#include <stdio.h>

#include "core/hat.h"
#include "core/hment.h"
#include "core/htable.h"
#include "core/page.h"
#include "tests/tap.h"

#define	NPAGES		4096
#define	THROTTLE	16
#define	NOBJ		400

static struct hatstats
stats(void)
{
	struct hatstats s;

	vt_hatstats_sum(&s);
	return (s);
}

/* The pfn kas maps at va, or PFN_INVALID. */
static pfn_t
kas_pfn(uintptr_t va)
{
	uint_t e;
	htable_t *ht = htable_getpage(kas.a_hat, va, &e);
	pfn_t pfn;

	if (ht == NULL)
		return (PFN_INVALID);
	pfn = PTE2PFN(x86pte_get(ht, e), ht->ht_level);
	htable_release(ht);
	return (pfn);
}

int
main(void)
{
	struct vt_hat_params p;
	struct hatstats s0, s1;
	static void *obj[NOBJ];
	uint64_t free0, loads0;
	caddr_t va;
	pfn_t pfn;
	uint_t i, n;

	vt_machine_init(NPAGES, THROTTLE);
	vt_hatstats_init(2);
	hat_params_default(&p);
	vt_segkmem = 1;
	hat_init(&p);
	free0 = freemem;
	segkmem_init();
	s0 = stats();
	tap_ok(segkmem_active() && hment_cache->cache_slab_objs ==
	    MMU_PAGESIZE / ((sizeof (hment_t) + 63) & ~(size_t)63) &&
	    htable_cache->cache_slab_objs > 0 && s0.vt_kas_loads == 0 &&
	    freemem == free0,
	    "init: the caches have slabs (%u hments, %u htables a page); "
	    "the boot reserves are boot heap, nothing mapped",
	    hment_cache->cache_slab_objs, htable_cache->cache_slab_objs);

	/* A grow inside a HAT operation: the kernel load is nested. */
	curthread->t_hatdepth = 1;
	s0 = stats();
	n = 0;
	for (i = 0; i < NOBJ; i++)
		if ((obj[i] = kmem_cache_alloc(hment_cache, KM_SLEEP)) != NULL)
			n++;
	s1 = stats();
	tap_ok(n == NOBJ && hment_cache->cache_slab_create >= 1 &&
	    s1.vt_kas_loads - s0.vt_kas_loads ==
	    hment_cache->cache_slab_create + s1.vt_vmem_populates -
	    s0.vt_vmem_populates,
	    "hment_cache grew %lu slabs: one kernel load each, plus %lu span "
	    "pages", (unsigned long)hment_cache->cache_slab_create,
	    s1.vt_vmem_populates - s0.vt_vmem_populates);
	tap_ok(s1.vt_vmem_populates > s0.vt_vmem_populates,
	    "the first slab of a span made vmem map its span page as "
	    "populator");
	tap_ok(s1.vt_ht_reserve_mode - s0.vt_ht_reserve_mode >= 3 &&
	    s1.hs_htable_rgets - s0.hs_htable_rgets >= 3,
	    "nested (depth 2) kernel loads took their new tables from the "
	    "reserve (%lu reserve-mode allocations, %lu reserve gets)",
	    s1.vt_ht_reserve_mode - s0.vt_ht_reserve_mode,
	    s1.hs_htable_rgets - s0.hs_htable_rgets);
	tap_ok(curthread->t_hatdepth == 1 && curthread->t_vmem_populator == 0,
	    "depth and populator flag restored after the grow");
	curthread->t_hatdepth = 0;

	/* The slab page is a kernel mapping of a data frame. */
	loads0 = stats().vt_kas_loads;
	va = segkmem_page_alloc();
	pfn = va != NULL ? kas_pfn((uintptr_t)va) : PFN_INVALID;
	tap_ok(va != NULL && (uintptr_t)va >= segkmem_base() &&
	    pfn != PFN_INVALID && vt_frame_tag_get(pfn) == VT_FRAME_DATA &&
	    stats().vt_kas_loads == loads0 + 1,
	    "segkmem_page_alloc: kas maps a data frame at the heap va");
	segkmem_page_free(va);
	tap_ok(kas_pfn((uintptr_t)va) == PFN_INVALID &&
	    vt_frame_tag_get(pfn) == VT_FRAME_FREE,
	    "segkmem_page_free: unmapped from kas, frame free");

	/* Idle slabs go back with kmem's update, one idle slab kept. */
	s0 = stats();
	for (i = 0; i < NOBJ; i++)
		kmem_cache_free(hment_cache, obj[i]);
	tap_ok(VT_PEEK(hment_cache->cache_shrink) == 1 &&
	    hment_cache->cache_slab_destroy == 0,
	    "the frees only note idle slabs (no HAT call from a free)");
	vt_kmem_update();
	s1 = stats();
	tap_ok(hment_cache->cache_slab_destroy >= 1 &&
	    s1.vt_kas_unloads - s0.vt_kas_unloads ==
	    hment_cache->cache_slab_destroy &&
	    hment_cache->cache_nslabs <= 1,
	    "vt_kmem_update gave %lu slabs back, each a kernel unload (%u left)",
	    (unsigned long)hment_cache->cache_slab_destroy,
	    hment_cache->cache_nslabs);

	segkmem_fini();
	tap_ok(!segkmem_active() && hment_cache->cache_nslabs == 0 &&
	    htable_cache->cache_nslabs == 0 && vt_segkmem == 0,
	    "segkmem_fini: every slab and span page unmapped");
	hat_fini();
	vt_machine_fini();
	tap_ok(1, "shutdown");
	tap_plan(tap_n);
	return (tap_done());
}
