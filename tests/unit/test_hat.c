/*
 * test_hat.c - single-threaded unit test of the simulated machine and the
 * hat_i86.c glue: boot, hats, memload (embedded then hments), unload,
 * pageunload, a large page, ISM sharing seen through the simulated MMU,
 * kmem fault injection, and that tearing everything down gives every frame
 * and object back.  TAP output.
 */
#include "../tap.h"

#include <inttypes.h>
#include <pthread.h>

#include "core/hat.h"
#include "core/hment.h"
#include "core/htable.h"
#include "core/mmu.h"
#include "core/page.h"

#define NPAGES		4096
#define PG		MMU_PAGESIZE
#define VA_A		((uintptr_t)0x10000000)
#define VA_B		((uintptr_t)0x10001000)
#define VA_C		((uintptr_t)0x20005000)
#define VA_LARGE	((uintptr_t)0x40000000)	/* 2 MiB aligned */
#define VA_ISM		((uintptr_t)0x80000000)	/* 2 MiB aligned */
#define VA_SHARE	((uintptr_t)0xc0000000)	/* 2 MiB aligned */
#define ISM_PAGES	4
#define RW_USER		(PROT_READ | PROT_WRITE | PROT_USER)

static struct as as1, as2, asi;

static struct vt_hat_params params = {
	.mlist_locks = 256, .hash_locks = 256, .htable_locks = 128,
	.hment_hash_size = 4096, .hment_rev = HMENT_REV_2007_AVL,
	.hment_reserve_amount = 16, .htable_reserve_amount = 8,
	.htable_steal_passes = 8, .force_steal = 0,
};

static hat_t *
mk_hat(struct as *as, uint32_t id)
{
	rw_init(&as->a_lock, NULL, 0, NULL);
	as->a_id = id;
	rw_enter(&as->a_lock, RW_WRITER);
	as->a_hat = hat_alloc(as);
	rw_exit(&as->a_lock);
	return (as->a_hat);
}

static void
rm_hat(struct as *as)
{
	hat_t *hat;

	rw_enter(&as->a_lock, RW_WRITER);
	hat = as->a_hat;
	hat_free_start(hat);
	as->a_hat = NULL;
	rw_exit(&as->a_lock);
	hat_free_end(hat);
	rw_destroy(&as->a_lock);
}

static void
load(struct as *as, uintptr_t va, page_t *pp, uint_t attr, uint_t flags)
{
	rw_enter(&as->a_lock, RW_READER);
	hat_memload(as->a_hat, (caddr_t)va, pp, attr, flags);
	rw_exit(&as->a_lock);
}

static void
unload(struct as *as, uintptr_t va, size_t len)
{
	rw_enter(&as->a_lock, RW_READER);
	hat_unload(as->a_hat, (caddr_t)va, len, HAT_UNLOAD);
	rw_exit(&as->a_lock);
}

/* Walk va on simulated cpu c with as's hat loaded, then go idle. */
static int
walk(uint32_t c, struct as *as, uintptr_t va, bool write)
{
	int rv;

	rw_enter(&as->a_lock, RW_READER);
	vt_mmu_switch(c, as->a_hat);
	rv = vt_mmu_walk(c, va, write);
	vt_mmu_switch(c, NULL);
	rw_exit(&as->a_lock);
	return (rv);
}

static x86pte_t
getpte(hat_t *hat, uintptr_t va, level_t level)
{
	htable_t *ht;
	uint_t e;
	x86pte_t pte = 0;

	ht = htable_getpte(hat, va, &e, &pte, level);
	if (ht == NULL)
		return (0);
	htable_release(ht);
	return (pte);
}

static uint64_t
outstanding(kmem_cache_t *cp)
{
	return (__atomic_load_n(&cp->cache_outstanding, __ATOMIC_RELAXED));
}

/*
 * Concurrency smoke test: one thread maps and unmaps pages so level-0
 * tables are created and freed over and over (the frames recycled, LIFO),
 * while a simulated CPU walks the same addresses.  The walker's frame-tag
 * checks and the cross-call in hat_tlb_inval are what is exercised.
 */
#define SMOKE_ITERS	4000
#define SMOKE_REGIONS	4
static page_t *smoke_page;
static uint32_t smoke_walker_done;
static uint64_t smoke_hits;

static void *
smoke_mapper(void *arg)
{
	kthread_t t;
	cpu_t cpu = { 1, 0 };
	int i, r, k;

	vt_thread_init(&t, 1, &cpu, 11);
	vt_thread_set_current(&t);
	for (i = 0; i < SMOKE_ITERS; i++) {
		r = i % SMOKE_REGIONS;
		for (k = 0; k < 3; k++)
			load(&as1, VA_LARGE + r * LEVEL_SIZE(1) + k * PG,
			    smoke_page, RW_USER, HAT_LOAD);
		unload(&as1, VA_LARGE + r * LEVEL_SIZE(1), 3 * PG);
	}
	vt_thread_fini(&t);
	return (arg);
}

static void *
smoke_walker(void *arg)
{
	kthread_t t;
	cpu_t cpu = { 0, 0 };
	uint64_t hits = 0;
	uint32_t n = 0;

	vt_thread_init(&t, 2, &cpu, 12);
	vt_thread_set_current(&t);
	while (!__atomic_load_n(&smoke_walker_done, __ATOMIC_ACQUIRE)) {
		n++;
		hits += walk(0, &as1, VA_LARGE + (n % SMOKE_REGIONS) *
		    LEVEL_SIZE(1) + (n % 3) * PG, (n & 1) != 0);
	}
	smoke_hits = hits;
	vt_thread_fini(&t);
	return (arg);
}

static void
smoke(void)
{
	pthread_t m, w;
	struct hatstats hs;

	smoke_page = vt_frame_alloc(VT_FRAME_DATA);
	smoke_walker_done = 0;
	vt_hatstats_init(2);
	pthread_create(&w, NULL, smoke_walker, NULL);
	pthread_create(&m, NULL, smoke_mapper, NULL);
	pthread_join(m, NULL);
	__atomic_store_n(&smoke_walker_done, 1, __ATOMIC_RELEASE);
	pthread_join(w, NULL);
	vt_hatstats_sum(&hs);
	tap_ok(hat_page_getshare(smoke_page) == 0 &&
	    as1.a_hat->hat_pages_mapped[0] == 0,
	    "smoke: mapper and walker raced (%" PRIu64 " translations, %lu "
	    "shootdowns, %lu waits)", smoke_hits, hs.vt_tlb_inval,
	    hs.vt_tlb_xcall_waits);
	vt_frame_free(smoke_page);
}

static void
run_suite(int rev)
{
	hat_t *h1, *h2, *hi;
	page_t *pp, *run, *ism[ISM_PAGES];
	uint64_t free_boot, ht_boot, hm_boot;
	htable_t *ht, *ism_ht;
	void *obj, *obj2;
	int i, ok;

	tap_diag("hment revision %s", rev == HMENT_REV_2007_AVL ?
	    "2007 avl" : "2006 chain");
	params.hment_rev = rev;

	/* Boot. */
	vt_machine_init(NPAGES, 16);
	tap_ok(freemem == NPAGES - 1, "machine: %d frames free (pfn 0 kept)",
	    NPAGES - 1);
	hat_init(&params);
	tap_ok(kas.a_hat != NULL && kas.a_hat->hat_htable != NULL &&
	    vt_frame_tag_get(kas.a_hat->hat_htable->ht_pfn) ==
	    VT_FRAME_PT + 3, "boot: kernel hat with a level-3 top table");
	tap_ok(mmu.max_page_level == 1 && LEVEL_SHIFT(1) == 21 &&
	    mmu.hash_cnt == 16, "mmu_init: amd64, 2 MiB pages, hash_cnt %u",
	    mmu.hash_cnt);
	free_boot = freemem;
	ht_boot = outstanding(htable_cache) - htable_reserve_cnt;
	hm_boot = outstanding(hment_cache) - hment_reserve_count;
	tap_ok(free_boot == NPAGES - 2 && ht_boot == 1,
	    "boot used one frame and one htable (freemem %" PRIu64 ")",
	    free_boot);
	vt_mmu_init(2);

	/* Two hats. */
	h1 = mk_hat(&as1, 1);
	h2 = mk_hat(&as2, 2);
	tap_ok(h1->hat_id == 1 && h2->hat_id == 2 && h1 != h2,
	    "hat_alloc: ids 1 and 2");
	tap_ok(vt_hat_first() == h2 && vt_hat_next(h2) == h1 &&
	    vt_hat_next(h1) == NULL && kas.a_hat->hat_prev == h1,
	    "hat list: newest first, kas anchors both ends");
	tap_ok(can_steal_post_boot == 1 && use_boot_reserve == 0,
	    "after boot: stealing allowed, boot reserve off");

	/* One data page, mapped four times. */
	pp = vt_frame_alloc(VT_FRAME_DATA);
	tap_ok(pp != NULL && !PP_ISFREE(pp) &&
	    vt_frame_tag_get(pp->p_pagenum) == VT_FRAME_DATA,
	    "vt_frame_alloc: data frame pfn %" PRIu64,
	    pp ? pp->p_pagenum : 0);
	page_lock(pp, SE_SHARED);
	load(&as1, VA_A, pp, RW_USER, HAT_LOAD);
	tap_ok(pp->p_embed == 1 && hat_page_getshare(pp) == 1,
	    "first mapping is embedded");
	load(&as1, VA_B, pp, RW_USER, HAT_LOAD);
	load(&as2, VA_A, pp, RW_USER, HAT_LOAD);
	load(&as2, VA_C, pp, RW_USER, HAT_LOAD);
	tap_ok(pp->p_embed == 0 && hat_page_getshare(pp) == 4,
	    "four mappings on hments (share %u)", hat_page_getshare(pp));
	load(&as1, VA_A, pp, RW_USER, HAT_LOAD);
	tap_ok(hat_page_getshare(pp) == 4 && h1->hat_pages_mapped[0] == 2,
	    "refault of the same mapping changes nothing");

	/* The simulated MMU. */
	tap_ok(walk(0, &as1, VA_A, true) == 1 &&
	    (getpte(h1, VA_A, 0) & (PT_REF | PT_MOD)) == (PT_REF | PT_MOD),
	    "mmu walk translates and sets REF|MOD");
	tap_ok(walk(0, &as1, VA_C, false) == 0 &&
	    walk(1, &as1, VA_LARGE, false) == 0,
	    "mmu walk of unmapped addresses faults");
	tap_ok(h1->hat_cpus == 0 && vt_mmu_current(0) == NULL,
	    "switching away clears hat_cpus");

	/* Unload. */
	unload(&as1, VA_B, PG);
	tap_ok(hat_page_getshare(pp) == 3 && h1->hat_pages_mapped[0] == 1,
	    "hat_unload of one page");
	unload(&as2, VA_C - PG, 4 * PG);
	tap_ok(hat_page_getshare(pp) == 2 && h2->hat_pages_mapped[0] == 1,
	    "hat_unload of a range");
	tap_ok(getpte(h2, VA_C, 0) == 0, "unloaded PTE is clear");

	/* Pageunload removes everything and syncs ref/mod. */
	page_unlock(pp);
	page_lock(pp, SE_EXCL);
	(void) hat_pageunload(pp, HAT_FORCE_PGUNLOAD);
	tap_ok(hat_page_getshare(pp) == 0 && pp->p_mapping == NULL &&
	    h1->hat_pages_mapped[0] == 0 && h2->hat_pages_mapped[0] == 0,
	    "hat_pageunload removes every mapping");
	tap_ok(hat_page_getattr(pp, P_MOD | P_REF) == (P_MOD | P_REF),
	    "ref/mod synced to the page");
	page_unlock(pp);

	/* A large page. */
	run = vt_frame_alloc_run(512, VT_FRAME_DATA);
	tap_ok(run != NULL && run->p_szc == 1 && run[511].p_szc == 1 &&
	    (run->p_pagenum & 511) == 0, "vt_frame_alloc_run: 512 aligned");
	rw_enter(&as1.a_lock, RW_READER);
	vt_hat_memload_large(h1, (caddr_t)VA_LARGE, run, RW_USER, HAT_LOAD);
	rw_exit(&as1.a_lock);
	tap_ok(h1->hat_pages_mapped[1] == 1 && hat_page_getshare(run) == 1 &&
	    hat_page_getshare(&run[5]) == 1 &&
	    PTE_IS_LGPG(getpte(h1, VA_LARGE, 1), 1),
	    "level-1 mapping of the large page");
	tap_ok(walk(0, &as1, VA_LARGE + 5 * PG, true) == 1,
	    "mmu walk through a 2 MiB page");
	page_lock(&run[5], SE_EXCL);
	(void) hat_pageunload(&run[5], 0);
	page_unlock(&run[5]);
	tap_ok(h1->hat_pages_mapped[1] == 0 && hat_page_getshare(run) == 0 &&
	    hat_page_getattr(&run[7], P_MOD) != 0,
	    "pageunload of a constituent removes the large mapping");

	/* ISM: a hat whose level-0 table another hat borrows. */
	hi = mk_hat(&asi, 3);
	for (i = 0; i < ISM_PAGES; i++) {
		ism[i] = vt_frame_alloc(VT_FRAME_DATA);
		load(&asi, VA_ISM + i * PG, ism[i], RW_USER,
		    HAT_LOAD | HAT_LOAD_SHARE);
	}
	tap_ok((hi->hat_flags & HAT_SHARED) != 0, "HAT_LOAD_SHARE marks the "
	    "ISM hat shared");
	rw_enter(&as2.a_lock, RW_WRITER);
	(void) hat_share(h2, (caddr_t)VA_SHARE, hi, (caddr_t)VA_ISM,
	    LEVEL_SIZE(1), 0);
	ht = htable_lookup(h2, VA_SHARE, 0);
	ism_ht = htable_lookup(hi, VA_ISM, 0);
	ok = ht != NULL && ism_ht != NULL &&
	    (ht->ht_flags & HTABLE_SHARED_PFN) && ht->ht_pfn == ism_ht->ht_pfn &&
	    ht->ht_shares == ism_ht;
	if (ht != NULL)
		htable_release(ht);
	if (ism_ht != NULL)
		htable_release(ism_ht);
	rw_exit(&as2.a_lock);
	tap_ok(ok && h2->hat_ism_pgcnt == ISM_PAGES,
	    "hat_share borrows the ISM level-0 table (ism_pgcnt %" PRIu64 ")",
	    h2->hat_ism_pgcnt);
	tap_ok(walk(1, &as2, VA_SHARE + 2 * PG, false) == 1 &&
	    walk(1, &as2, VA_SHARE + 9 * PG, false) == 0,
	    "the sharer sees the ISM pages through the shared table");
	rw_enter(&as2.a_lock, RW_WRITER);
	hat_unshare(h2, (caddr_t)VA_SHARE, LEVEL_SIZE(1), 0);
	ht = htable_lookup(h2, VA_SHARE, 0);
	if (ht != NULL)
		htable_release(ht);
	rw_exit(&as2.a_lock);
	tap_ok(ht == NULL && h2->hat_ism_pgcnt == 0 &&
	    walk(1, &as2, VA_SHARE + 2 * PG, false) == 0,
	    "hat_unshare drops the shared table");

	/* Unaligned: per-page (locked, NOCONSIST) loads instead. */
	rw_enter(&as2.a_lock, RW_WRITER);
	(void) hat_share(h2, (caddr_t)(VA_SHARE + PG), hi, (caddr_t)VA_ISM,
	    LEVEL_SIZE(1), 0);
	rw_exit(&as2.a_lock);
	tap_ok(h2->hat_pages_mapped[0] == ISM_PAGES &&
	    hat_page_getshare(ism[1]) == 1 &&
	    walk(1, &as2, VA_SHARE + 2 * PG, true) == 1,
	    "unaligned hat_share loads page by page");
	rw_enter(&as2.a_lock, RW_WRITER);
	hat_unshare(h2, (caddr_t)(VA_SHARE + PG), LEVEL_SIZE(1), 0);
	rw_exit(&as2.a_lock);
	tap_ok(h2->hat_pages_mapped[0] == 0, "hat_unshare unloads them");
	unload(&asi, VA_ISM, LEVEL_SIZE(1));
	tap_ok(hi->hat_pages_mapped[0] == 0 &&
	    hat_page_getshare(ism[0]) == 0, "ISM hat unloaded");

	/* kmem fault injection. */
	vt_kmem_set_fault(hment_cache, 1000000, 0);
	obj = kmem_cache_alloc(hment_cache, KM_NOSLEEP);
	obj2 = kmem_cache_alloc(hment_cache, KM_SLEEP);
	tap_ok(obj == NULL && obj2 != NULL && hment_cache->cache_fails >= 1,
	    "fail_ppm 1000000: KM_NOSLEEP fails, KM_SLEEP does not");
	kmem_cache_free(hment_cache, obj2);
	vt_kmem_set_fault(hment_cache, 0, outstanding(hment_cache) + 1);
	obj = kmem_cache_alloc(hment_cache, KM_NOSLEEP);
	obj2 = kmem_cache_alloc(hment_cache, KM_NOSLEEP);
	tap_ok(obj != NULL && obj2 == NULL, "budget caps outstanding objects");
	kmem_cache_free(hment_cache, obj);
	vt_kmem_set_fault(hment_cache, 0, 0);
	kmem_reap();
	tap_ok(vt_kmem_reap_pending() && !vt_kmem_reap_pending(),
	    "kmem_reap request is seen once");

	smoke();

	/* Tear down: every frame and object comes back. */
	rm_hat(&as1);
	rm_hat(&as2);
	rm_hat(&asi);
	tap_ok(vt_hat_first() == NULL && kas.a_hat->hat_prev == NULL,
	    "hat list empty");
	vt_frame_free(pp);
	for (i = 0; i < 512; i++)
		vt_frame_free(&run[i]);
	for (i = 0; i < ISM_PAGES; i++)
		vt_frame_free(ism[i]);
	tap_ok(freemem == free_boot, "every frame back (freemem %" PRIu64
	    ", boot %" PRIu64 ")", freemem, free_boot);
	tap_ok(outstanding(htable_cache) - htable_reserve_cnt == ht_boot,
	    "htables back to the reserve/kmem");
	tap_ok(outstanding(hment_cache) - hment_reserve_count == hm_boot,
	    "hments back to the reserve/kmem");
	{
		struct hatstats hs;

		vt_hatstats_sum(&hs);
		tap_ok(hs.hs_ptable_allocs == hs.hs_ptable_frees + 1 &&
		    hs.vt_tlb_inval > 0, "hatstats: %lu ptable allocs, %lu "
		    "frees, %lu shootdowns", hs.hs_ptable_allocs,
		    hs.hs_ptable_frees, hs.vt_tlb_inval);
	}

	vt_mmu_fini();
	hat_fini();
	tap_ok(freemem == NPAGES - 1, "hat_fini gives the kernel's frame back");
	vt_machine_fini();

	/* Boot again. */
	vt_machine_init(NPAGES / 2, 8);
	hat_init(&params);
	h1 = mk_hat(&as1, 1);
	tap_ok(h1->hat_id == 1 && freemem == NPAGES / 2 - 3,
	    "second boot works");
	rm_hat(&as1);
	hat_fini();
	vt_machine_fini();
}

int
main(void)
{
	run_suite(HMENT_REV_2007_AVL);
	run_suite(HMENT_REV_2006_CHAIN);
	tap_plan(tap_n);
	return (tap_done());
}
