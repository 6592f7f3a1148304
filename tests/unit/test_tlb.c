/*
 * test_tlb.c - unit test of the simulated CPUs' TLBs (core/tlb.c) under
 * the HAT: a second access hits, a first write walks again to set MOD,
 * hat_unload's deferred range shootdown and hat_pageunload's per-page one
 * empty the TLB of a CPU running the hat, a hat switch flushes; and the
 * `tlb` check fires on a planted stale entry, on the use of a cached
 * translation to a freed frame, and under mutant x86pte-inval-no-shootdown;
 * the `lost-mod` check passes a written page whose MOD was synced (and
 * writes it back), and fires on a PTE whose MOD was cleared without a sync
 * and under mutant hati-page-unmap-no-sync; hat_pagesync(HAT_SYNC_ZERORM)
 * clears a running CPU's REF/MOD by CAS, shoots its entry down and moves
 * MOD to the page, and its write-back check fires under mutant
 * hati-update-pte-no-sync.  TAP output; the failing cases run in fork()ed
 * children.
 */
#include "../tap.h"
#include "../child.h"

#include <inttypes.h>

#include "base/inject.h"
#include "core/hat.h"
#include "core/hment.h"
#include "core/htable.h"
#include "core/mmu.h"
#include "core/page.h"
#include "locks/sched_point.h"

#define NPAGES		2048
#define PG		MMU_PAGESIZE
#define VA_A		((uintptr_t)0x10000000)
#define VA_B		((uintptr_t)0x10001000)
#define RW_USER		(PROT_READ | PROT_WRITE | PROT_USER)

static struct vt_hat_params params = {
	.mlist_locks = 64, .hash_locks = 64, .htable_locks = 64,
	.hment_hash_size = 1024, .hment_rev = HMENT_REV_2007_AVL,
	.hment_reserve_amount = 16, .htable_reserve_amount = 8,
	.htable_steal_passes = 8, .force_steal = 0,
};

static struct as as1;

static void
load(uintptr_t va, page_t *pp)
{
	page_lock(pp, SE_SHARED);
	rw_enter(&as1.a_lock, RW_READER);
	hat_memload(as1.a_hat, (caddr_t)va, pp, RW_USER, HAT_LOAD);
	rw_exit(&as1.a_lock);
	page_unlock(pp);
}

static void
pageunload(page_t *pp)
{
	page_lock(pp, SE_EXCL);
	(void) hat_pageunload(pp, 0);
	page_unlock(pp);
}

static struct vt_mmu_stats
stats(void)
{
	struct vt_mmu_stats ms;

	vt_mmu_stats(&ms);
	return (ms);
}

/* Does any simulated CPU still cache frame pfn?  (In a child: it fails.) */
static void
child_check(void *arg)
{
	page_t *pp = arg;

	vt_mmu_tlb_check_frames(pp->p_pagenum, 1, "the test");
	printf("survived\n");
}

static void
child_planted(void *arg)
{
	page_t *pp = arg;

	vt_mmu_tlb_plant(1, VA_B, pp->p_pagenum, true);
	child_check(pp);
}

/* CPU 0 runs as1 and caches VA_A -> pp; pp is freed; the CPU uses it. */
static void
child_freed(void *arg)
{
	page_t *pp = arg;

	vt_mmu_switch(0, as1.a_hat);
	vt_mmu_tlb_plant(0, VA_A, pp->p_pagenum, false);
	vt_frame_free(pp);
	(void) vt_mmu_walk(0, VA_A, false);
	printf("survived\n");
}

/* The mutant: the page daemon unloads a page CPU 0 is using. */
static void
child_mutant(void *arg)
{
	page_t *pp = arg;

	vt_injected[VT_MUT_X86PTE_INVAL_NO_SHOOTDOWN] = true;
	load(VA_A, pp);
	vt_mmu_switch(0, as1.a_hat);
	(void) vt_mmu_walk(0, VA_A, false);
	pageunload(pp);
	child_check(pp);
}

/* CPU 0 writes pp at VA_A; the page daemon unloads and writes it back. */
static void
write_then_writeback(page_t *pp)
{
	load(VA_A, pp);
	vt_mmu_switch(0, as1.a_hat);
	(void) vt_mmu_walk(0, VA_A, true);
	(void) vt_mmu_walk(0, VA_A, true);
	vt_mmu_switch(0, NULL);
	page_lock(pp, SE_EXCL);
	(void) hat_pageunload(pp, 0);
	vt_mmu_writeback(pp, "the test");
	page_unlock(pp);
}

/* The PTE's MOD is cleared without a sync before the unload. */
static void
child_lost_mod(void *arg)
{
	page_t *pp = arg;
	htable_t *ht;
	x86pte_t pte;
	uint_t e;

	load(VA_A, pp);
	vt_mmu_switch(0, as1.a_hat);
	(void) vt_mmu_walk(0, VA_A, true);
	vt_mmu_switch(0, NULL);
	ht = htable_getpage(as1.a_hat, VA_A, &e);
	pte = x86pte_get(ht, e);
	(void) x86pte_update(ht, e, pte, pte & ~(x86pte_t)PT_MOD);
	htable_release(ht);
	page_lock(pp, SE_EXCL);
	(void) hat_pageunload(pp, 0);
	vt_mmu_writeback(pp, "the test");
	printf("survived\n");
}

static void
child_no_sync(void *arg)
{
	vt_injected[VT_MUT_HATI_PAGE_UNMAP_NO_SYNC] = true;
	write_then_writeback(arg);
	printf("survived\n");
}

/* CPU 0 writes pp at VA_A and keeps running; the daemon syncs it. */
static void
child_update_no_sync(void *arg)
{
	page_t *pp = arg;

	vt_injected[VT_MUT_HATI_UPDATE_PTE_NO_SYNC] = true;
	load(VA_A, pp);
	vt_mmu_switch(0, as1.a_hat);
	(void) vt_mmu_walk(0, VA_A, true);
	page_lock(pp, SE_EXCL);
	vt_mmu_sync_writeback(pp);
	printf("survived\n");
}

/*
 * --vmodsort: CPU 0 writes VA_A through its clean writable entry from
 * inside the shootdown of hati_page_clrwrt's write-protect (the first
 * schedule point after the CAS made the PTE read-only, before the flush).
 */
static htable_t *stale_ht;
static uint_t stale_e;
static int stale_armed, stale_rv;

static void
stale_hook(enum vt_sp_kind kind, const void *obj, const void *pc)
{
	(void) kind;
	(void) obj;
	(void) pc;
	if (!stale_armed)
		return;
	vt_sched_hook = NULL;
	if (!(x86pte_get(stale_ht, stale_e) & PT_WRITABLE)) {
		stale_armed = 0;
		stale_rv = vt_mmu_walk(0, VA_A, true);
	}
	if (stale_armed)
		vt_sched_hook = stale_hook;
}

/*
 * pp is VMODSORT and P_MOD, mapped at VA_A, cached clean and writable by
 * CPU 0; its write-back write-protects it while CPU 0 writes.  pp SE_EXCL
 * on return.  Returns the write version the write-back recorded.
 */
static uint32_t
stale_write_during_writeback(page_t *pp)
{
	uint_t e;

	VT_POKE(pp->p_vmodsort, (uchar_t)1);
	load(VA_A, pp);
	hat_page_setattr(pp, P_MOD);		/* the load's hat_setmod */
	vt_mmu_switch(0, as1.a_hat);
	(void) vt_mmu_walk(0, VA_A, false);	/* clean, writable entry */
	stale_ht = htable_getpage(as1.a_hat, VA_A, &e);
	stale_e = e;
	page_lock(pp, SE_EXCL);
	stale_armed = 1;
	stale_rv = -1;
	vt_sched_hook = stale_hook;
	vt_mmu_sync_writeback(pp);
	vt_sched_hook = NULL;
	return (vt_frame_cver[pp->p_pagenum]);
}

/* The mutant: the stale write stays MOD in the read-only PTE only. */
static void
child_stale_mutant(void *arg)
{
	page_t *pp = arg;

	vt_injected[VT_MUT_X86PTE_UPDATE_NO_STALE_CHECK] = true;
	(void) stale_write_during_writeback(pp);
	printf("stale write %d\n", stale_rv);
	vt_mmu_sync_writeback(pp);		/* the next write-back */
	printf("survived\n");
}

static void
expect_failure(void (*fn)(void *), void *arg, const char *check,
    const char *what)
{
	char out[4096], tag[64];
	int status = run_child(fn, arg, out, sizeof (out));
	bool failed = WIFEXITED(status) && WEXITSTATUS(status) == 1;

	snprintf(tag, sizeof (tag), "[%s]", check);
	tap_ok(failed && strstr(out, tag) != NULL &&
	    strstr(out, "survived") == NULL, "%s fails the %s check", what,
	    check);
	if (!failed || strstr(out, tag) == NULL)
		tap_diag("status 0x%x, output: %s", status, out);
}

int
main(void)
{
	struct vt_mmu_stats ms0, ms;
	page_t *pp, *pp2;
	x86pte_t pte;
	htable_t *ht;
	uint32_t w0;
	uint_t e;

	tap_plan(24);
	vt_machine_init(NPAGES, 16);
	hat_init(&params);
	vt_mmu_init(2);
	rw_init(&as1.a_lock, NULL, 0, NULL);
	as1.a_id = 1;
	rw_enter(&as1.a_lock, RW_WRITER);
	as1.a_hat = hat_alloc(&as1);
	rw_exit(&as1.a_lock);
	pp = vt_frame_alloc(VT_FRAME_DATA);
	pp2 = vt_frame_alloc(VT_FRAME_DATA);
	load(VA_A, pp);

	/* CPU 0 runs the hat: a read fills, the next read hits. */
	rw_enter(&as1.a_lock, RW_READER);
	vt_mmu_switch(0, as1.a_hat);
	ms0 = stats();
	tap_ok(vt_mmu_walk(0, VA_A, false) == 1 &&
	    vt_mmu_walk(0, VA_A, false) == 1, "two reads translate");
	ms = stats();
	tap_ok(ms.tlb_fills - ms0.tlb_fills == 1 &&
	    ms.tlb_hits - ms0.tlb_hits == 1 &&
	    ms.tlb_walks - ms0.tlb_walks == 1,
	    "the first read walks and fills, the second hits");

	/* A write through the clean entry walks again and sets MOD. */
	ht = htable_getpage(as1.a_hat, VA_A, &e);
	pte = ht != NULL ? x86pte_get(ht, e) : 0;
	tap_ok(ht != NULL && (pte & PT_REF) && !(pte & PT_MOD),
	    "after reads the PTE has REF, not MOD");
	tap_ok(vt_mmu_walk(0, VA_A, true) == 1 &&
	    (x86pte_get(ht, e) & PT_MOD) && stats().tlb_walks -
	    ms0.tlb_walks == 2, "a first write walks again and sets MOD");
	htable_release(ht);
	rw_exit(&as1.a_lock);

	/* hat_unload's deferred range shootdown reaches the running CPU. */
	ms0 = stats();
	rw_enter(&as1.a_lock, RW_READER);
	hat_unload(as1.a_hat, (caddr_t)VA_A, PG, HAT_UNLOAD);
	rw_exit(&as1.a_lock);
	ms = stats();
	tap_ok(ms.tlb_shootdowns > ms0.tlb_shootdowns &&
	    ms.tlb_flushed - ms0.tlb_flushed == 1 &&
	    vt_mmu_walk(0, VA_A, false) == 0,
	    "hat_unload shoots the entry down; the next access faults");

	/* So does hat_pageunload's. */
	load(VA_A, pp);
	tap_ok(vt_mmu_walk(0, VA_A, true) == 1, "mapped again, written");
	pageunload(pp);
	vt_mmu_tlb_check_frames(pp->p_pagenum, 1, "hat_pageunload");
	tap_ok(vt_mmu_walk(0, VA_A, false) == 0 &&
	    hat_page_getattr(pp, P_MOD) != 0,
	    "hat_pageunload shoots it down (the check passes), MOD kept");

	/* A hat switch flushes everything. */
	load(VA_B, pp2);
	(void) vt_mmu_walk(0, VA_B, false);
	ms0 = stats();
	vt_mmu_switch(0, NULL);
	ms = stats();
	tap_ok(ms.tlb_flushed - ms0.tlb_flushed == 1 &&
	    ms.tlb_shootdowns == ms0.tlb_shootdowns,
	    "switching away flushes without a shootdown");

	/* The check. */
	expect_failure(child_planted, pp, "tlb", "a planted stale entry");
	expect_failure(child_freed, pp, "tlb", "using a translation to a freed "
	    "frame");
	expect_failure(child_mutant, pp, "tlb", "x86pte-inval-no-shootdown");
	{
		char out[4096];
		int st = run_child(child_check, pp, out, sizeof (out));

		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
		    strstr(out, "survived") != NULL,
		    "and passes with no stale entry");
	}

	/* lost-mod (pp was written twice above, never written back) */
	w0 = vt_frame_wver[pp->p_pagenum];
	write_then_writeback(pp);
	tap_ok(w0 == 2 && vt_frame_wver[pp->p_pagenum] == w0 + 2 &&
	    vt_frame_cver[pp->p_pagenum] == w0 + 2 &&
	    hat_page_getattr(pp, P_MOD) == 0 && stats().writebacks == 1,
	    "two writes, MOD synced by hat_pageunload: the check passes and "
	    "the page is written back clean");
	if (w0 != 2)
		tap_diag("wver %u before", w0);
	expect_failure(child_lost_mod, pp, "lost-mod", "a PTE whose MOD was "
	    "cleared without a sync");
	expect_failure(child_no_sync, pp, "lost-mod",
	    "hati-page-unmap-no-sync");

	/* hat_pagesync */
	expect_failure(child_update_no_sync, pp, "lost-mod",
	    "hati-update-pte-no-sync");
	load(VA_A, pp);
	vt_mmu_switch(0, as1.a_hat);
	(void) vt_mmu_walk(0, VA_A, true);
	w0 = vt_frame_wver[pp->p_pagenum];
	page_lock(pp, SE_EXCL);
	tap_ok(hat_pagesync(pp, HAT_SYNC_STOPON_MOD) == (P_MOD | P_REF) &&
	    (x86pte_get(ht = htable_getpage(as1.a_hat, VA_A, &e), e) &
	    PT_MOD) != 0, "hat_pagesync without ZERORM copies REF|MOD to "
	    "the page and leaves the PTE alone");
	htable_release(ht);
	hat_page_clrattr(pp, P_MOD | P_REF);
	ms0 = stats();
	ht = htable_getpage(as1.a_hat, VA_A, &e);
	tap_ok(hat_pagesync(pp, HAT_SYNC_ZERORM) == (P_MOD | P_REF) &&
	    (x86pte_get(ht, e) & (PT_REF | PT_MOD)) == 0 &&
	    stats().tlb_flushed - ms0.tlb_flushed == 1,
	    "hat_pagesync(ZERORM) moves REF|MOD to the page, clears them in "
	    "the PTE and shoots the running CPU's entry down");
	htable_release(ht);
	(void) vt_mmu_walk(0, VA_A, true);
	vt_mmu_sync_writeback(pp);
	tap_ok(vt_frame_cver[pp->p_pagenum] == vt_frame_wver[pp->p_pagenum] &&
	    hat_page_getattr(pp, P_MOD) == 0,
	    "the daemon's write-back of a mapped page passes and cleans it");
	page_unlock(pp);
	vt_mmu_switch(0, NULL);
	pageunload(pp);

	/* x86pte_update's stale-write branch (--vmodsort on). */
	expect_failure(child_stale_mutant, pp, "lost-mod",
	    "x86pte-update-no-stale-check");
	ms0 = stats();
	w0 = stale_write_during_writeback(pp);
	pte = x86pte_get(stale_ht, stale_e);
	ms = stats();
	tap_ok(stale_rv == 1 && ms.tlb_stale_writes - ms0.tlb_stale_writes ==
	    1 && vt_frame_wver[pp->p_pagenum] == w0 + 1,
	    "a write through the stale clean entry during the write-protect's "
	    "shootdown sets MOD in the read-only PTE (the dirty-bit assist)");
	tap_ok(hat_page_getattr(pp, P_MOD) != 0 && !(pte & PT_WRITABLE) &&
	    !(pte & PT_MOD), "x86pte_update saw it, gave write permission "
	    "back, and hati_page_clrwrt's retry moved MOD to the page");
	tap_ok(vt_mmu_walk(0, VA_A, true) == 0,
	    "the shootdown flushed the entry: the next write faults");
	vt_mmu_sync_writeback(pp);
	tap_ok(vt_frame_cver[pp->p_pagenum] == w0 + 1 &&
	    hat_page_getattr(pp, P_MOD) == 0,
	    "the next write-back passes the lost-mod check and writes it "
	    "back");
	htable_release(stale_ht);
	page_unlock(pp);
	vt_mmu_switch(0, NULL);
	pageunload(pp);
	VT_POKE(pp->p_vmodsort, (uchar_t)0);

	pageunload(pp2);
	rw_enter(&as1.a_lock, RW_WRITER);
	hat_free_start(as1.a_hat);
	rw_exit(&as1.a_lock);
	hat_free_end(as1.a_hat);
	as1.a_hat = NULL;
	rw_destroy(&as1.a_lock);
	vt_frame_free(pp);
	vt_frame_free(pp2);
	vt_mmu_fini();
	hat_fini();
	vt_machine_fini();
	return (tap_done());
}
