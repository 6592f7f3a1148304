/*
 * test_htable.c - unit tests for core/htable.c (TAP).
 *
 * Boots the simulated machine and HAT, allocates one user hat and checks,
 * on a known layout, what htable.c promises: table creation at each level
 * with parents, holds and PTPs; lookups; entry/VA arithmetic; x86pte_set /
 * inval / update semantics (expect mismatches, REF/MOD kept); scans and
 * walks over hand-made entries; release of empty tables to the hat's
 * cache; reserve accounting; and reaping (cached tables and, through
 * htable_steal_active, an idle table with a live mapping).
 *
 * Single threaded: the main OS thread runs as kthread 0.
 */
#include "core/htable.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "core/hat.h"
#include "core/hment.h"
#include "core/page.h"
#include "tests/tap.h"

#define	NPAGES		4096
#define	THROTTLE	16

/* A VA with distinct indices at every level: top 5, 7, 11, 13. */
#define	VA_TOP_E	5
#define	VA_L2_E		7
#define	VA_L1_E		11
#define	VA_L0_E		13

static uintptr_t
make_va(uint_t e3, uint_t e2, uint_t e1, uint_t e0)
{
	return (((uintptr_t)e3 << 39) | ((uintptr_t)e2 << 30) |
	    ((uintptr_t)e1 << 21) | ((uintptr_t)e0 << 12));
}

static struct hatstats
stats(void)
{
	struct hatstats s;

	vt_hatstats_sum(&s);
	return (s);
}

static uint_t
reserve_list_len(void)
{
	uint_t n = 0;
	htable_t *ht;

	for (ht = htable_reserve_pool; ht != NULL; ht = ht->ht_next)
		++n;
	return (n);
}

static uint_t
cached_len(hat_t *hat)
{
	uint_t n = 0;
	htable_t *ht;

	for (ht = hat->hat_ht_cached; ht != NULL; ht = ht->ht_next)
		++n;
	return (n);
}

/* Pointer into a table's frame, as the simulated MMU sees it. */
static x86pte_t *
pte_ptr(htable_t *ht, uint_t e)
{
	return ((x86pte_t *)vt_frame_va(ht->ht_pfn) + e);
}

/* The simulated MMU marks an entry used (and dirty). */
static void
mmu_touch(htable_t *ht, uint_t e, x86pte_t bits)
{
	__atomic_fetch_or(pte_ptr(ht, e), bits, __ATOMIC_SEQ_CST);
}

static void
test_reserve(void)
{
	uint_t c0, amount0 = htable_reserve_amount;
	uint_t boot0 = use_boot_reserve;

	c0 = htable_reserve_cnt;
	tap_ok(reserve_list_len() == c0,
	    "reserve count %u equals reserve list length after boot", c0);

	/* htable_initial_reserve adds the count plus the built-in 200. */
	VT_POKE(use_boot_reserve, 1);
	htable_initial_reserve(3);
	tap_ok(htable_reserve_cnt == c0 + 203 && reserve_list_len() == c0 + 203,
	    "htable_initial_reserve(3) adds 203 (now %u)", htable_reserve_cnt);

	/* Out of boot, adjust trims to htable_reserve_amount. */
	VT_POKE(use_boot_reserve, 0);
	htable_reserve_amount = 50;
	htable_adjust_reserve();
	tap_ok(htable_reserve_cnt == 50 && reserve_list_len() == 50,
	    "htable_adjust_reserve trims to htable_reserve_amount (50): %u",
	    htable_reserve_cnt);

	/* While a thread may use the reserves, nothing is trimmed. */
	htable_reserve_amount = 10;
	curthread->t_hatdepth = 2;
	htable_adjust_reserve();
	tap_ok(htable_reserve_cnt == 50,
	    "no trimming while USE_HAT_RESERVES() (t_hatdepth 2)");
	curthread->t_hatdepth = 0;

	htable_reserve_amount = amount0;
	VT_POKE(use_boot_reserve, boot0);
}

/*
 * Concurrent part: workers race htable_create/lookup/release over a few
 * shared level-0 tables (the lookup-allocate-recheck path, frees of the
 * loser, release to the cache) and map/unmap their own pages through them,
 * while a reaper steals cached and idle tables (htable_steal, passes,
 * HAT_VICTIM, htable_steal_active against hat_unload).  Each worker checks
 * what holding a table guarantees.  Meant to be run under TSan too.
 */
#define	NWORKERS	3
#define	NITER		20000
#define	NVAS		5

static hat_t *c_hat;
static struct as *c_as;
static page_t *c_page[NWORKERS];
static uint32_t c_running;		/* workers still going; atomics */
static uint32_t c_bad[NWORKERS + 1];	/* per thread failures */

static uintptr_t
c_va(uint_t k)
{
	static const uint_t l1[NVAS] = { 0, 1, 2, 0, 0 };
	static const uint_t l2[NVAS] = { 0, 0, 0, 1, 0 };
	static const uint_t l3[NVAS] = { 1, 1, 1, 1, 2 };

	return (make_va(l3[k], l2[k], l1[k], 0));
}

static void *
c_worker(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	kthread_t kt;
	cpu_t cpu = { .cpu_seqid = id };
	uint64_t x = 0x9e3779b97f4a7c15ULL * id;
	htable_t *ht, *h1;
	uintptr_t va, pva;
	uint_t i, k;

	vt_thread_init(&kt, id, &cpu, id);
	vt_thread_set_current(&kt);
	for (i = 0; i < NITER; ++i) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		k = (uint_t)(x >> 33) % NVAS;
		va = c_va(k);
		ht = htable_create(c_hat, va, 0, NULL);
		if (ht == NULL || ht->ht_level != 0 || ht->ht_vaddr != va ||
		    VT_PEEK(ht->ht_busy) < 1 || ht->ht_parent == NULL ||
		    vt_frame_tag_get(ht->ht_pfn) != VT_FRAME_PT + 0 ||
		    x86pte_get(ht->ht_parent, htable_va2entry(va,
		    ht->ht_parent)) != MAKEPTP(ht->ht_pfn, 0))
			++c_bad[id];
		if ((x >> 20) & 1) {
			h1 = htable_lookup(c_hat, va, 1);
			if (h1 != ht->ht_parent)
				++c_bad[id];
			if (h1 != NULL)
				htable_release(h1);
		}
		if ((x >> 21) & 1) {
			/* Map and unmap this worker's page in this table. */
			pva = va + (uintptr_t)(1 + id) * MMU_PAGESIZE;
			rw_enter(&c_as->a_lock, RW_READER);
			hat_memload(c_hat, (caddr_t)pva, c_page[id - 1],
			    PROT_READ | PROT_USER, HAT_LOAD);
			rw_exit(&c_as->a_lock);
			htable_release(ht);
			if ((x >> 22) & 1)
				sched_yield();
			rw_enter(&c_as->a_lock, RW_READER);
			hat_unload(c_hat, (caddr_t)pva, MMU_PAGESIZE,
			    HAT_UNLOAD);
			rw_exit(&c_as->a_lock);
		} else {
			htable_release(ht);
		}
	}
	__atomic_sub_fetch(&c_running, 1, __ATOMIC_SEQ_CST);
	vt_thread_set_current(NULL);
	vt_thread_fini(&kt);
	return (NULL);
}

static void
ok_pages_unmapped(void)
{
	uint_t i, mapped = 0;

	for (i = 0; i < NWORKERS; ++i)
		mapped += c_page[i]->p_mapping != NULL;
	tap_ok(mapped == 0, "concurrent: no page left on a mapping list");
}

static void *
c_reaper(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	kthread_t kt;
	cpu_t cpu = { .cpu_seqid = id };

	vt_thread_init(&kt, id, &cpu, id);
	vt_thread_set_current(&kt);
	while (__atomic_load_n(&c_running, __ATOMIC_SEQ_CST) != 0) {
		kmem_cache_reap(htable_cache);
		sched_yield();
	}
	vt_thread_set_current(NULL);
	vt_thread_fini(&kt);
	return (NULL);
}

static void
test_concurrent(struct as *as)
{
	pthread_t tid[NWORKERS + 1];
	struct hatstats s0, s1;
	uint64_t free0;
	uint_t i, bad = 0;

	vt_hatstats_init(NWORKERS + 1);
	for (i = 0; i < NWORKERS; ++i)
		c_page[i] = vt_frame_alloc(VT_FRAME_DATA);
	/* The reaper will also empty the other hats' caches: do it now. */
	kmem_cache_reap(htable_cache);
	free0 = freemem;
	rw_enter(&as->a_lock, RW_WRITER);
	c_hat = hat_alloc(as);
	as->a_hat = c_hat;
	rw_exit(&as->a_lock);
	c_as = as;
	s0 = stats();

	c_running = NWORKERS;
	for (i = 0; i < NWORKERS; ++i)
		pthread_create(&tid[i], NULL, c_worker,
		    (void *)(uintptr_t)(i + 1));
	pthread_create(&tid[NWORKERS], NULL, c_reaper,
	    (void *)(uintptr_t)(NWORKERS + 1));
	for (i = 0; i <= NWORKERS; ++i)
		pthread_join(tid[i], NULL);
	s1 = stats();

	for (i = 0; i <= NWORKERS; ++i)
		bad += c_bad[i];
	tap_ok(bad == 0, "concurrent: every held table was consistent "
	    "(%u bad)", bad);
	tap_diag("concurrent: reap attempts %lu, reaped %lu, ptable allocs "
	    "%lu, frees %lu", s1.hs_reap_attempts - s0.hs_reap_attempts,
	    s1.hs_reaped - s0.hs_reaped,
	    s1.hs_ptable_allocs - s0.hs_ptable_allocs,
	    s1.hs_ptable_frees - s0.hs_ptable_frees);
	tap_ok(s1.hs_reap_attempts > s0.hs_reap_attempts,
	    "concurrent: the reaper ran");
	tap_ok(htable_dont_cache == 0 && !(c_hat->hat_flags & HAT_VICTIM) &&
	    c_hat->hat_pages_mapped[0] == 0,
	    "concurrent: no steal state left, nothing mapped");
	ok_pages_unmapped();
	for (i = 0; i < NVAS; ++i) {
		htable_t *h = htable_lookup(c_hat, c_va(i), 0);

		if (h != NULL) {
			bad += h->ht_busy != 1 || h->ht_valid_cnt != 0;
			htable_release(h);
		}
	}
	tap_ok(bad == 0, "concurrent: no table left busy or populated");

	rw_enter(&as->a_lock, RW_WRITER);
	hat_free_start(c_hat);
	rw_exit(&as->a_lock);
	hat_free_end(c_hat);
	tap_ok(freemem == free0, "concurrent: hat_free returned every frame "
	    "(%lu/%lu)", (unsigned long)freemem, (unsigned long)free0);
	for (i = 0; i < NWORKERS; ++i)
		vt_frame_free(c_page[i]);
}

int
main(void)
{
	struct vt_hat_params p;
	struct as as1, as2, as3;
	hat_t *hat, *hat2;
	htable_t *top, *ht0, *ht1, *ht2, *h, *ism, *sh;
	uintptr_t va, vs, v, eaddr;
	uint64_t free0, free1, freeboot;
	uint32_t act0, actboot;
	page_t *pp1, *pp2, *pp3;
	x86pte_t pte, pte2, pte3, old, cur;
	uint_t e, n, top_valid0;
	struct hatstats s0, s1;
	uintptr_t want[3];
	int ok;

	vt_machine_init(NPAGES, THROTTLE);
	memset(&p, 0, sizeof (p));
	p.mlist_locks = 64;
	p.hash_locks = 64;
	p.htable_locks = 16;
	p.hment_hash_size = 1024;
	p.hment_rev = HMENT_REV_2007_AVL;
	p.hment_reserve_amount = 200;
	p.htable_reserve_amount = 200;
	p.htable_steal_passes = 8;
	p.force_steal = 0;
	hat_init(&p);
	tap_ok(kas.a_hat != NULL && htable_cache != NULL &&
	    htable_mutex != NULL, "hat_init: kernel hat, htable cache, locks");
	tap_ok(htable_mutex->lc_size == 16, "htable_mutex table has 16 locks");

	test_reserve();

	/* Two user address spaces. */
	memset(&as1, 0, sizeof (as1));
	rw_init(&as1.a_lock, NULL, 0, NULL);
	as1.a_id = 1;
	memset(&as2, 0, sizeof (as2));
	rw_init(&as2.a_lock, NULL, 0, NULL);
	as2.a_id = 2;
	freeboot = freemem;
	actboot = active_ptables;
	rw_enter(&as1.a_lock, RW_WRITER);
	hat = hat_alloc(&as1);
	as1.a_hat = hat;
	rw_exit(&as1.a_lock);
	top = hat->hat_htable;
	tap_ok(top != NULL && top->ht_level == (level_t)mmu.max_level &&
	    top->ht_vaddr == 0 && top->ht_hat == hat,
	    "hat_alloc: top-level table at level %u", mmu.max_level);
	tap_ok(can_steal_post_boot == 1, "hat_alloc sets can_steal_post_boot");
	tap_ok(vt_frame_tag_get(top->ht_pfn) == VT_FRAME_PT + mmu.max_level,
	    "top table frame tagged VT_FRAME_PT+%u", mmu.max_level);

	/* Build levels 2..0 under one VA. */
	va = make_va(VA_TOP_E, VA_L2_E, VA_L1_E, VA_L0_E);
	free0 = freemem;
	act0 = active_ptables;
	top_valid0 = (uint_t)top->ht_valid_cnt;
	s0 = stats();
	ht0 = htable_create(hat, va, 0, NULL);
	tap_ok(ht0 != NULL && ht0->ht_level == 0 && ht0->ht_hat == hat &&
	    ht0->ht_vaddr == (va & LEVEL_MASK(1)),
	    "htable_create level 0: vaddr 0x%lx", (unsigned long)ht0->ht_vaddr);
	ht1 = ht0->ht_parent;
	ht2 = ht1 != NULL ? ht1->ht_parent : NULL;
	tap_ok(ht1 != NULL && ht1->ht_level == 1 &&
	    ht1->ht_vaddr == (va & LEVEL_MASK(2)), "parent is level 1");
	tap_ok(ht2 != NULL && ht2->ht_level == 2 &&
	    ht2->ht_vaddr == (va & LEVEL_MASK(3)), "grandparent is level 2");
	tap_ok(ht2 != NULL && ht2->ht_parent == top, "level 2's parent is top");
	tap_ok(ht0->ht_busy == 1 && ht1->ht_busy == 1 && ht2->ht_busy == 1,
	    "ht_busy: 1 each (caller's hold; children hold parents)");
	tap_ok(ht0->ht_valid_cnt == 0 && ht1->ht_valid_cnt == 1 &&
	    ht2->ht_valid_cnt == 1 &&
	    (uint_t)top->ht_valid_cnt == top_valid0 + 1,
	    "ht_valid_cnt: 0 / 1 / 1 / top+1");
	tap_ok(free0 - freemem == 3 && active_ptables - act0 == 3,
	    "three page-table frames allocated (freemem -%lu, active +%u)",
	    (unsigned long)(free0 - freemem), active_ptables - act0);
	s1 = stats();
	tap_ok(s1.hs_ptable_allocs - s0.hs_ptable_allocs == 3,
	    "hs_ptable_allocs +3");
	tap_ok(ht0->ht_id != ht1->ht_id && ht1->ht_id != ht2->ht_id &&
	    ht0->ht_id != 0, "distinct ht_ids");
	tap_ok(vt_frame_tag_get(ht0->ht_pfn) == VT_FRAME_PT + 0 &&
	    vt_frame_tag_get(ht1->ht_pfn) == VT_FRAME_PT + 1 &&
	    vt_frame_tag_get(ht2->ht_pfn) == VT_FRAME_PT + 2,
	    "frames tagged with their levels");

	/* PTPs in the parents. */
	tap_ok(x86pte_get(ht1, htable_va2entry(va, ht1)) ==
	    MAKEPTP(ht0->ht_pfn, 0), "level-1 entry is MAKEPTP(level-0 pfn)");
	tap_ok(x86pte_get(ht2, htable_va2entry(va, ht2)) ==
	    MAKEPTP(ht1->ht_pfn, 1), "level-2 entry is MAKEPTP(level-1 pfn)");
	tap_ok(x86pte_get(top, htable_va2entry(va, top)) ==
	    MAKEPTP(ht2->ht_pfn, 2), "top entry is MAKEPTP(level-2 pfn)");

	/* Lookups. */
	h = htable_lookup(hat, va, 1);
	tap_ok(h == ht1 && ht1->ht_busy == 2, "htable_lookup level 1 holds it");
	htable_release(h);
	tap_ok(ht1->ht_busy == 1, "htable_release drops the hold");
	h = htable_lookup(hat, va + MMU_PAGESIZE * 7, 0);
	tap_ok(h == ht0, "htable_lookup level 0, other VA in the same table");
	htable_release(h);
	tap_ok(htable_lookup(hat, va + LEVEL_SIZE(1), 0) == NULL,
	    "no level-0 table for the next 2 MiB");
	tap_ok(htable_lookup(hat, va, (level_t)mmu.max_level) == top &&
	    top->ht_busy >= 2, "htable_lookup of the top level");
	htable_release(top);
	h = htable_create(hat, va, 0, NULL);
	tap_ok(h == ht0 && ht0->ht_busy == 2 && free0 - freemem == 3,
	    "htable_create of an existing table allocates nothing");
	htable_release(h);
	htable_acquire(ht0);
	tap_ok(ht0->ht_busy == 2, "htable_acquire");
	htable_release(ht0);

	/* Entry <-> VA arithmetic. */
	tap_ok(htable_va2entry(va, ht0) == VA_L0_E &&
	    htable_va2entry(va, ht1) == VA_L1_E &&
	    htable_va2entry(va, ht2) == VA_L2_E &&
	    htable_va2entry(va, top) == VA_TOP_E, "htable_va2entry per level");
	ok = 1;
	for (e = 0; e < 512; e += 37) {
		ok &= htable_va2entry(htable_e2va(ht0, e), ht0) == e;
		ok &= htable_va2entry(htable_e2va(ht1, e), ht1) == e;
	}
	tap_ok(ok, "htable_e2va/htable_va2entry round trip");
	tap_ok(htable_e2va(ht0, VA_L0_E) == va &&
	    htable_e2va(top, VA_TOP_E) == make_va(VA_TOP_E, 0, 0, 0),
	    "htable_e2va values");
	if (mmu.hole_start < mmu.hole_end) {
		tap_ok(htable_e2va(top, 256) == mmu.hole_end + 1,
		    "top entry 256 lies past the VA hole");
	} else {
		tap_ok(1, "# SKIP no VA hole");
	}

	/* x86pte_set / inval / update on ht0 entry VA_L0_E. */
	pp1 = vt_frame_alloc(VT_FRAME_DATA);
	pp2 = vt_frame_alloc(VT_FRAME_DATA);
	pp3 = vt_frame_alloc(VT_FRAME_DATA);
	tap_ok(pp1 != NULL && pp2 != NULL && pp3 != NULL, "data frames");
	e = VA_L0_E;
	pte = MAKEPTE(pp1->p_pagenum, 0) | PT_USER | PT_WRITABLE;
	old = x86pte_set(ht0, e, pte, NULL);
	HTABLE_INC(ht0->ht_valid_cnt);
	tap_ok(old == 0 && x86pte_get(ht0, e) == pte,
	    "x86pte_set on an empty slot returns 0 and installs");
	mmu_touch(ht0, e, PT_REF | PT_MOD);
	pte2 = MAKEPTE(pp1->p_pagenum, 0) | PT_USER;
	old = x86pte_set(ht0, e, pte2, NULL);
	tap_ok(old == (pte | PT_REF | PT_MOD) &&
	    x86pte_get(ht0, e) == (pte2 | PT_REF | PT_MOD),
	    "x86pte_set same pfn keeps REF/MOD");
	old = x86pte_set(ht0, e, pte2, NULL);
	tap_ok(old == pte2 && x86pte_get(ht0, e) == (pte2 | PT_REF | PT_MOD),
	    "x86pte_set of the installed value is a no-op returning new");
	pte3 = MAKEPTE(pp2->p_pagenum, 0) | PT_USER | PT_WRITABLE;
	old = x86pte_set(ht0, e, pte3, NULL);
	tap_ok(old == (pte2 | PT_REF | PT_MOD) && x86pte_get(ht0, e) == pte3,
	    "x86pte_set of another pfn drops REF/MOD");

	cur = x86pte_get(ht0, e);
	old = x86pte_update(ht0, e, cur ^ PT_WRITABLE, cur | PT_NX);
	tap_ok(old == cur && x86pte_get(ht0, e) == cur,
	    "x86pte_update with a stale expect changes nothing, returns current");
	old = x86pte_update(ht0, e, cur, cur & ~PT_WRITABLE);
	tap_ok(old == cur && x86pte_get(ht0, e) == (cur & ~PT_WRITABLE),
	    "x86pte_update with the right expect installs");
	cur = x86pte_get(ht0, e);

	old = x86pte_inval(ht0, e, MAKEPTE(pp3->p_pagenum, 0), NULL, B_TRUE);
	tap_ok(old == cur && x86pte_get(ht0, e) == cur,
	    "x86pte_inval with another pfn expected changes nothing");
	mmu_touch(ht0, e, PT_REF);
	old = x86pte_inval(ht0, e, cur, NULL, B_TRUE);
	tap_ok(old == (cur | PT_REF) && x86pte_get(ht0, e) == 0,
	    "x86pte_inval with matching pfn clears, returns old (with REF)");
	HTABLE_DEC(ht0->ht_valid_cnt);
	x86pte_set(ht0, e, pte, NULL);
	old = x86pte_inval(ht0, e, 0, NULL, B_FALSE);
	tap_ok(old == pte && x86pte_get(ht0, e) == 0,
	    "x86pte_inval with expect 0 clears whatever is there");
	old = x86pte_inval(ht0, e, 0, NULL, B_FALSE);
	tap_ok(old == 0, "x86pte_inval of an empty slot returns 0");

	/* A large page cannot replace a PTP. */
	cur = x86pte_get(ht1, VA_L1_E);
	old = x86pte_set(ht1, VA_L1_E, MAKEPTE(pp3->p_pagenum, 1) | PT_USER,
	    NULL);
	tap_ok(old == LPAGE_ERROR && x86pte_get(ht1, VA_L1_E) == cur,
	    "x86pte_set of a large page over a PTP gives LPAGE_ERROR");

	/* Scans and walks over a few hand-made entries. */
	want[0] = htable_e2va(ht0, 20);
	want[1] = htable_e2va(ht0, 21);
	want[2] = htable_e2va(ht0, 400);
	x86pte_set(ht0, 20, MAKEPTE(pp1->p_pagenum, 0) | PT_NOCONSIST, NULL);
	x86pte_set(ht0, 21, MAKEPTE(pp2->p_pagenum, 0) | PT_NOCONSIST, NULL);
	x86pte_set(ht0, 400, MAKEPTE(pp3->p_pagenum, 0) | PT_NOCONSIST, NULL);
	HTABLE_INC(ht0->ht_valid_cnt);
	HTABLE_INC(ht0->ht_valid_cnt);
	HTABLE_INC(ht0->ht_valid_cnt);

	eaddr = HTABLE_LAST_PAGE(ht0) + MMU_PAGESIZE;
	v = ht0->ht_vaddr;
	pte = htable_scan(ht0, &v, eaddr);
	tap_ok(PTE_ISVALID(pte) && PTE2PFN(pte, 0) == pp1->p_pagenum &&
	    v == want[0], "htable_scan finds entry 20");
	v = htable_e2va(ht0, 22);
	pte = htable_scan(ht0, &v, htable_e2va(ht0, 300));
	tap_ok(pte == 0 && v == htable_e2va(ht0, 300),
	    "htable_scan stops at eaddr with nothing found");
	v = htable_e2va(ht0, 401);
	pte = htable_scan(ht0, &v, eaddr);
	tap_ok(pte == 0 && v == eaddr,
	    "htable_scan to the end of the table finds nothing");

	h = NULL;
	v = 0;
	n = 0;
	ok = 1;
	for (;;) {
		pte = htable_walk(hat, &h, &v, HTABLE_WALK_TO_END);
		if (h == NULL)
			break;
		ok &= n < 3 && v == want[n] && h == ht0 && PTE_ISPAGE(pte, 0);
		++n;
		v += MMU_PAGESIZE;
	}
	tap_ok(ok && n == 3 && v == 0, "htable_walk visits the 3 entries (%u)",
	    n);
	tap_ok(ht0->ht_busy == 1, "htable_walk left no extra hold");
	h = htable_getpage(hat, want[1], &e);
	tap_ok(h == ht0 && e == 21, "htable_getpage of a mapped VA");
	htable_release(h);
	tap_ok(htable_getpage(hat, want[1] + MMU_PAGESIZE, &e) == NULL &&
	    ht0->ht_busy == 1, "htable_getpage of an unmapped VA is NULL");
	h = htable_getpte(hat, want[2], &e, &pte, 0);
	tap_ok(h == ht0 && e == 400 && PTE2PFN(pte, 0) == pp3->p_pagenum,
	    "htable_getpte");
	htable_release(h);

	/* Take the hand-made entries down again. */
	x86pte_inval(ht0, 20, 0, NULL, B_TRUE);
	x86pte_inval(ht0, 21, 0, NULL, B_TRUE);
	x86pte_inval(ht0, 400, 0, NULL, B_TRUE);
	HTABLE_DEC(ht0->ht_valid_cnt);
	HTABLE_DEC(ht0->ht_valid_cnt);
	HTABLE_DEC(ht0->ht_valid_cnt);
	tap_ok(ht0->ht_valid_cnt == 0, "ht0 empty again");

	/* Releasing the last hold on an empty level-0 table frees it. */
	free1 = freemem;
	htable_release(ht0);
	tap_ok(htable_lookup(hat, va, 0) == NULL, "released level-0 table gone");
	tap_ok(x86pte_get(ht1, VA_L1_E) == 0 && ht1->ht_valid_cnt == 0,
	    "its PTP is cleared in the parent");
	tap_ok(cached_len(hat) == 1 && hat->hat_ht_cached == ht0 &&
	    freemem == free1, "it went to the hat's cache with its frame");
	/* Tables at or above max_page_level stay in a user hat. */
	tap_ok(htable_lookup(hat, va, 1) == ht1 && ht1->ht_busy == 1,
	    "the empty level-1 parent stays (level >= max_page_level)");
	htable_release(ht1);
	tap_ok(ht1->ht_busy == 0, "level-1 table idle (busy 0)");

	/* The next create reuses the cached table without a new frame. */
	h = htable_create(hat, va, 0, NULL);
	tap_ok(h != NULL && cached_len(hat) == 0 && freemem == free1 &&
	    h->ht_level == 0 && h->ht_parent == ht1 &&
	    x86pte_get(ht1, VA_L1_E) == MAKEPTP(h->ht_pfn, 0),
	    "htable_create reuses the cached table");
	ht0 = h;
	htable_release(ht0);
	tap_ok(cached_len(hat) == 1, "released to the cache again");

	/* Reaping frees cached tables. */
	s0 = stats();
	act0 = active_ptables;
	kmem_cache_reap(htable_cache);
	s1 = stats();
	tap_ok(s1.hs_reap_attempts > s0.hs_reap_attempts,
	    "kmem_cache_reap ran htable_reap");
	tap_ok(s1.hs_reaped - s0.hs_reaped >= 1 && cached_len(hat) == 0,
	    "htable_reap took the cached table (hs_reaped +%lu)",
	    s1.hs_reaped - s0.hs_reaped);
	tap_ok(freemem == free1 + 1 && active_ptables == act0 - 1 &&
	    s1.hs_ptable_frees > s0.hs_ptable_frees,
	    "its frame is free again");
	tap_ok(htable_dont_cache == 0, "htable_dont_cache back to 0");
	tap_ok(!(hat->hat_flags & HAT_VICTIM), "HAT_VICTIM cleared");

	/*
	 * A mapped but idle level-0 table is stolen by a later pass
	 * (htable_steal_active), which unmaps it through hat_pte_unmap.
	 */
	free1 = freemem;
	rw_enter(&as1.a_lock, RW_READER);
	hat_memload(hat, (caddr_t)va, pp1,
	    PROT_READ | PROT_WRITE | PROT_USER, HAT_LOAD);
	rw_exit(&as1.a_lock);
	h = htable_lookup(hat, va, 0);
	tap_ok(h != NULL && h->ht_valid_cnt == 1 && h->ht_busy == 1 &&
	    PTE2PFN(x86pte_get(h, VA_L0_E), 0) == pp1->p_pagenum,
	    "hat_memload mapped a page through a new level-0 table");
	htable_release(h);
	tap_ok(pp1->p_mapping != NULL, "page has its mapping");
	s0 = stats();
	kmem_cache_reap(htable_cache);
	s1 = stats();
	tap_ok(htable_lookup(hat, va, 0) == NULL,
	    "htable_reap stole the idle level-0 table");
	tap_ok(s1.hs_reaped - s0.hs_reaped >= 1, "hs_reaped +%lu",
	    s1.hs_reaped - s0.hs_reaped);
	tap_ok(pp1->p_mapping == NULL && hat->hat_pages_mapped[0] == 0,
	    "the mapping was unloaded");
	tap_ok(x86pte_get(ht1, VA_L1_E) == 0 && ht1->ht_valid_cnt == 0 &&
	    ht1->ht_busy == 0, "parent PTP cleared, parent hold dropped");
	tap_ok(freemem == free1, "frame returned (freemem back to %lu)",
	    (unsigned long)free1);

	/* Shared (ISM-style) tables borrow a frame and pin the source. */
	rw_enter(&as2.a_lock, RW_WRITER);
	hat2 = hat_alloc(&as2);
	as2.a_hat = hat2;
	rw_exit(&as2.a_lock);
	vs = make_va(9, 9, 9, 0);
	ism = htable_create(hat, vs, 0, NULL);
	x86pte_set(ism, 3, MAKEPTE(pp2->p_pagenum, 0) | PT_NOCONSIST, NULL);
	HTABLE_INC(ism->ht_valid_cnt);
	s0 = stats();
	free1 = freemem;
	sh = htable_create(hat2, vs, 0, ism);
	s1 = stats();
	tap_ok(sh != NULL && (sh->ht_flags & HTABLE_SHARED_PFN) &&
	    sh->ht_pfn == ism->ht_pfn && sh->ht_shares == ism &&
	    sh->ht_valid_cnt == 0, "shared table borrows the ISM frame");
	tap_ok(ism->ht_busy == 2 &&
	    s1.hs_htable_shared - s0.hs_htable_shared == 1,
	    "the ISM table is pinned (busy 2, hs_htable_shared +1)");
	tap_ok(free1 - freemem == 2, "only the two parents took frames");
	tap_ok(x86pte_get(sh->ht_parent, htable_va2entry(vs, sh->ht_parent)) ==
	    MAKEPTP(ism->ht_pfn, 0), "hat2's PTP points at the ISM frame");
	h = sh->ht_parent;
	htable_release(sh);
	s1 = stats();
	tap_ok(htable_lookup(hat2, vs, 0) == NULL && ism->ht_busy == 1 &&
	    s1.hs_htable_unshared - s0.hs_htable_unshared == 1,
	    "releasing the empty shared table unpins the ISM table");
	tap_ok(x86pte_get(h, htable_va2entry(vs, h)) == 0 &&
	    PTE_ISVALID(x86pte_get(ism, 3)) && free1 - freemem == 2,
	    "PTP cleared; the ISM frame and entry untouched");
	x86pte_inval(ism, 3, 0, NULL, B_FALSE);
	HTABLE_DEC(ism->ht_valid_cnt);
	htable_release(ism);

	/* Reserve bookkeeping stayed consistent through all of it. */
	tap_ok(reserve_list_len() == htable_reserve_cnt,
	    "reserve count equals list length (%u)", htable_reserve_cnt);

	/* hat teardown frees every table. */
	memset(&as3, 0, sizeof (as3));
	rw_init(&as3.a_lock, NULL, 0, NULL);
	as3.a_id = 3;
	test_concurrent(&as3);

	rw_enter(&as1.a_lock, RW_WRITER);
	hat_free_start(hat);
	rw_exit(&as1.a_lock);
	hat_free_end(hat);
	rw_enter(&as2.a_lock, RW_WRITER);
	hat_free_start(hat2);
	rw_exit(&as2.a_lock);
	hat_free_end(hat2);
	vt_frame_free(pp1);
	vt_frame_free(pp2);
	vt_frame_free(pp3);
	tap_ok(freemem == freeboot && active_ptables == actboot,
	    "hat_free: every frame back (freemem %lu/%lu, active %u/%u)",
	    (unsigned long)freemem, (unsigned long)freeboot, active_ptables,
	    actboot);
	tap_ok(reserve_list_len() == htable_reserve_cnt,
	    "reserve count equals list length after teardown");

	hat_fini();
	vt_machine_fini();
	rw_destroy(&as1.a_lock);
	rw_destroy(&as2.a_lock);
	rw_destroy(&as3.a_lock);
	tap_ok(1, "shutdown");
	tap_plan(tap_n);	/* trailing plan: a crash leaves none */
	return (tap_done());
}
